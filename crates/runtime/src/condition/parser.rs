//! Falco condition syntax to an AST.
//!
//! Grammar (precedence `not` > `and` > `or`):
//!
//! ```text
//! expr     := and ('or' and)*
//! and      := not ('and' not)*
//! not      := 'not' not | primary
//! primary  := '(' expr ')' | IDENT                      (macro reference)
//!           | lhs 'exists'
//!           | lhs OP (value | 'val(' lhs ')' | MOD list)  (MOD: anyof, allof, oneof)
//!           | lhs LISTOP (list | IDENT)                  (LISTOP: in, intersects, pmatch)
//! lhs      := FIELD ('[' arg ']')? | TRANSFORMER '(' lhs (',' lhs)* ')'
//! list     := '(' (value (',' value)*)? ')'
//! value    := 'quoted' | "quoted" | bare
//! ```
//!
//! Nesting (parentheses, `not`, transformers) is capped at [`MAX_DEPTH`].

use std::fmt;

/// Deepest nesting of parentheses, `not` and transformers a condition may use (Falco's cap).
pub const MAX_DEPTH: usize = 100;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// At least one must hold.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// A bare identifier: a macro, expanded at compile time.
    Macro(String),
    /// A field check.
    Check(Check),
}

/// `lhs op rhs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The field (possibly transformed).
    pub lhs: FieldExpr,
    /// The operator.
    pub op: Op,
    /// What it is compared with.
    pub rhs: Rhs,
}

/// A field reference, possibly wrapped in transformers.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpr {
    /// `name` or `name[arg]`.
    Field {
        /// Dotted field name.
        name: String,
        /// Bracket argument, verbatim.
        arg: Option<String>,
    },
    /// `transformer(arg, ...)`.
    Transform {
        /// Transformer name (`tolower`, `toupper`, `b64`, `basename`, `len`, `join`, `concat`).
        name: String,
        /// Arguments: fields, or literal strings for `join`'s separator.
        args: Vec<TransformArg>,
    },
}

/// An argument of a transformer.
#[derive(Debug, Clone, PartialEq)]
pub enum TransformArg {
    /// A field or nested transformer.
    Field(FieldExpr),
    /// A quoted literal.
    Literal(String),
}

impl fmt::Display for FieldExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpr::Field { name, arg: None } => write!(f, "{name}"),
            FieldExpr::Field { name, arg: Some(a) } => write!(f, "{name}[{a}]"),
            FieldExpr::Transform { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    match a {
                        TransformArg::Field(e) => write!(f, "{e}")?,
                        TransformArg::Literal(s) => write!(f, "{s:?}")?,
                    }
                }
                write!(f, ")")
            }
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=` / `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains` (hex bytes)
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith` (hex bytes)
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `regex` (full match)
    Regex,
    /// `in`
    In,
    /// `intersects`
    Intersects,
    /// `pmatch`
    PMatch,
    /// `exists`
    Exists,
}

impl Op {
    /// The operator as written in conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
        }
    }

    /// The operator written as `w` (a word operator or a symbol such as `!=`).
    pub fn from_name(w: &str) -> Option<Op> {
        Some(match w {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::PMatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// Whether the operator takes a list on its right side.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }
}

/// List modifier of a string operator: `fd.name startswith anyof (/etc, /usr)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    /// At least one element matches.
    AnyOf,
    /// Every element matches.
    AllOf,
    /// Exactly one element matches.
    OneOf,
}

/// One element of a parenthesised list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// The text, unquoted.
    pub text: String,
    /// Written in quotes: never a list reference.
    pub quoted: bool,
}

/// Right-hand side of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// `exists` takes none.
    None,
    /// A single value.
    Value(ListItem),
    /// A list (bare items may name lists, expanded at compile time).
    List(Vec<ListItem>),
    /// `val(field)`: another field of the same event.
    Field(FieldExpr),
    /// `op anyof|allof|oneof (list)`.
    Modified(Modifier, Vec<ListItem>),
}

/// A syntax error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the condition.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.pos, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Transformers accepted on the left side.
pub const TRANSFORMERS: &[&str] = &[
    "tolower", "toupper", "b64", "basename", "len", "join", "concat",
];

/// Parses a condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    p.ws();
    if p.pos == p.s.len() {
        return Err(p.err("empty condition"));
    }
    let e = p.or()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err(format!("unexpected `{}`", p.snippet())));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            pos: self.pos,
            message: message.into(),
        }
    }

    fn snippet(&self) -> String {
        self.text[self.pos..].chars().take(24).collect()
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// Consumes keyword `kw` if it is next and followed by a boundary.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        if end <= self.s.len()
            && self.s[self.pos..end].eq_ignore_ascii_case(kw.as_bytes())
            && self
                .s
                .get(end)
                .is_none_or(|c| !is_ident_byte(*c) && *c != b'.')
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.ws();
            if self.keyword("or") {
                self.ws();
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        loop {
            self.ws();
            if self.keyword("and") {
                self.ws();
                items.push(self.not()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        if self.keyword("not") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of condition")),
            Some(b'(') => {
                self.pos += 1;
                self.enter()?;
                let e = self.or()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected `)`"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(c) if is_ident_start(c) => {
                let start = self.pos;
                let name = self.dotted_name();
                if !name.contains('.') {
                    if name.eq_ignore_ascii_case("and") || name.eq_ignore_ascii_case("or") {
                        self.pos = start;
                        return Err(self.err(format!("expected a condition before `{name}`")));
                    }
                    self.ws();
                    if self.peek() == Some(b'(') && TRANSFORMERS.contains(&name) {
                        self.pos = start;
                        let lhs = self.lhs()?;
                        return self.check(lhs);
                    }
                    return Ok(Expr::Macro(name.to_string()));
                }
                self.pos = start;
                let lhs = self.lhs()?;
                self.check(lhs)
            }
            Some(_) => Err(self.err(format!(
                "expected a field, macro or `(`, found `{}`",
                self.snippet()
            ))),
        }
    }

    fn dotted_name(&mut self) -> &'a str {
        let start = self.pos;
        while self.pos < self.s.len()
            && (is_ident_byte(self.s[self.pos]) || self.s[self.pos] == b'.')
        {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn lhs(&mut self) -> Result<FieldExpr, ParseError> {
        self.ws();
        if !self.peek().is_some_and(is_ident_start) {
            return Err(self.err(format!("expected a field, found `{}`", self.snippet())));
        }
        let name = self.dotted_name();
        if !name.contains('.') {
            if !TRANSFORMERS.contains(&name) {
                return Err(self.err(format!("`{name}` is neither a field nor a transformer")));
            }
            self.ws();
            if self.peek() != Some(b'(') {
                return Err(self.err(format!("expected `(` after `{name}`")));
            }
            self.pos += 1;
            self.enter()?;
            let mut args = Vec::new();
            loop {
                self.ws();
                match self.peek() {
                    Some(b'"' | b'\'') => args.push(TransformArg::Literal(self.quoted()?)),
                    _ => args.push(TransformArg::Field(self.lhs()?)),
                }
                self.ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected `,` or `)` in transformer arguments")),
                }
            }
            self.depth -= 1;
            return Ok(FieldExpr::Transform {
                name: name.to_string(),
                args,
            });
        }
        if name.ends_with('.') || name.contains("..") {
            return Err(self.err(format!("malformed field name `{name}`")));
        }
        let arg = if self.peek() == Some(b'[') {
            self.pos += 1;
            let start = self.pos;
            while self.pos < self.s.len() && self.s[self.pos] != b']' {
                self.pos += 1;
            }
            if self.pos == self.s.len() {
                return Err(self.err("unterminated `[` in field argument"));
            }
            let a = self.text[start..self.pos].trim().to_string();
            self.pos += 1;
            let a = strip_quotes(&a);
            Some(a)
        } else {
            None
        };
        Ok(FieldExpr::Field {
            name: name.to_string(),
            arg,
        })
    }

    fn operator(&mut self) -> Result<Op, ParseError> {
        self.ws();
        let rest = &self.s[self.pos..];
        let sym = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        for (t, op) in sym {
            if rest.starts_with(t.as_bytes()) {
                self.pos += t.len();
                return Ok(op);
            }
        }
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphabetic() {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        match Op::from_name(word) {
            Some(op) => Ok(op),
            None => {
                self.pos = start;
                Err(self.err(format!("expected an operator, found `{}`", self.snippet())))
            }
        }
    }

    fn check(&mut self, lhs: FieldExpr) -> Result<Expr, ParseError> {
        let op = self.operator()?;
        self.ws();
        let rhs = if op == Op::Exists {
            Rhs::None
        } else if op.takes_list() {
            if self.peek() == Some(b'(') {
                Rhs::List(self.list()?)
            } else {
                Rhs::List(vec![self.value()?])
            }
        } else if self.keyword("val") {
            self.ws();
            if self.peek() != Some(b'(') {
                return Err(self.err("expected `(` after `val`"));
            }
            self.pos += 1;
            let f = self.lhs()?;
            self.ws();
            if self.peek() != Some(b')') {
                return Err(self.err("expected `)` after val(field"));
            }
            self.pos += 1;
            Rhs::Field(f)
        } else if let Some(m) = self.modifier() {
            self.ws();
            Rhs::Modified(m, self.list()?)
        } else {
            Rhs::Value(self.value()?)
        };
        Ok(Expr::Check(Check { lhs, op, rhs }))
    }

    fn modifier(&mut self) -> Option<Modifier> {
        for (kw, m) in [
            ("anyof", Modifier::AnyOf),
            ("allof", Modifier::AllOf),
            ("oneof", Modifier::OneOf),
        ] {
            let save = self.pos;
            if self.keyword(kw) {
                self.ws();
                if self.peek() == Some(b'(') {
                    return Some(m);
                }
                self.pos = save;
            }
        }
        None
    }

    fn list(&mut self) -> Result<Vec<ListItem>, ParseError> {
        if self.peek() != Some(b'(') {
            return Err(self.err("expected `(` to open a list"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.err("expected `,` or `)` in list")),
            }
        }
    }

    fn value(&mut self) -> Result<ListItem, ParseError> {
        self.ws();
        match self.peek() {
            Some(b'"' | b'\'') => Ok(ListItem {
                text: self.quoted()?,
                quoted: true,
            }),
            Some(_) => {
                let start = self.pos;
                while self.pos < self.s.len() && !is_bare_terminator(self.s[self.pos]) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.err(format!("expected a value, found `{}`", self.snippet())));
                }
                Ok(ListItem {
                    text: self.text[start..self.pos].to_string(),
                    quoted: false,
                })
            }
            None => Err(self.err("expected a value, found the end of the condition")),
        }
    }

    fn quoted(&mut self) -> Result<String, ParseError> {
        let q = self.s[self.pos];
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        while self.pos < self.s.len() {
            let c = self.s[self.pos];
            if c == b'\\'
                && self.pos + 1 < self.s.len()
                && matches!(self.s[self.pos + 1], b'\\' | b'"' | b'\'')
            {
                out.push_str(&self.text[run..self.pos]);
                out.push(self.s[self.pos + 1] as char);
                self.pos += 2;
                run = self.pos;
            } else if c == q {
                out.push_str(&self.text[run..self.pos]);
                self.pos += 1;
                return Ok(out);
            } else {
                self.pos += 1;
            }
        }
        self.pos = open;
        Err(self.err("unterminated quoted string"))
    }
}

fn strip_quotes(a: &str) -> String {
    let b = a.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        a[1..a.len() - 1].to_string()
    } else {
        a.to_string()
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_bare_terminator(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',' | b'=' | b'"' | b'\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> FieldExpr {
        FieldExpr::Field {
            name: name.into(),
            arg: None,
        }
    }

    fn bare(s: &str) -> ListItem {
        ListItem {
            text: s.into(),
            quoted: false,
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let e = parse("a or not b and c").unwrap();
        assert_eq!(
            e,
            Expr::Or(vec![
                Expr::Macro("a".into()),
                Expr::And(vec![
                    Expr::Not(Box::new(Expr::Macro("b".into()))),
                    Expr::Macro("c".into())
                ])
            ])
        );
    }

    #[test]
    fn parens_and_not_paren_form() {
        let e = parse("not(a or b)").unwrap();
        assert_eq!(
            e,
            Expr::Not(Box::new(Expr::Or(vec![
                Expr::Macro("a".into()),
                Expr::Macro("b".into())
            ])))
        );
    }

    #[test]
    fn comparisons_and_values() {
        let e = parse(
            "evt.rawres>=0 and fd.name=\"/etc/a b\" and proc.name in (bash, 'sh', shell_binaries)",
        )
        .unwrap();
        let Expr::And(items) = e else { panic!() };
        assert_eq!(
            items[0],
            Expr::Check(Check {
                lhs: field("evt.rawres"),
                op: Op::Ge,
                rhs: Rhs::Value(bare("0"))
            })
        );
        assert_eq!(
            items[1],
            Expr::Check(Check {
                lhs: field("fd.name"),
                op: Op::Eq,
                rhs: Rhs::Value(ListItem {
                    text: "/etc/a b".into(),
                    quoted: true
                })
            })
        );
        let Expr::Check(c) = &items[2] else { panic!() };
        assert_eq!(
            c.rhs,
            Rhs::List(vec![
                bare("bash"),
                ListItem {
                    text: "sh".into(),
                    quoted: true
                },
                bare("shell_binaries")
            ])
        );
    }

    #[test]
    fn field_arguments_and_transformers() {
        let e = parse("proc.aname[2]=sshd and container.mount.dest[/proc*] exists").unwrap();
        let Expr::And(items) = e else { panic!() };
        assert_eq!(
            items[0],
            Expr::Check(Check {
                lhs: FieldExpr::Field {
                    name: "proc.aname".into(),
                    arg: Some("2".into())
                },
                op: Op::Eq,
                rhs: Rhs::Value(bare("sshd"))
            })
        );
        let Expr::Check(c) = &items[1] else { panic!() };
        assert_eq!(
            c.lhs,
            FieldExpr::Field {
                name: "container.mount.dest".into(),
                arg: Some("/proc*".into())
            }
        );
        let e = parse("tolower(basename(proc.exepath)) = val(proc.name)").unwrap();
        let Expr::Check(c) = e else { panic!() };
        assert_eq!(c.lhs.to_string(), "tolower(basename(proc.exepath))");
        assert_eq!(c.rhs, Rhs::Field(field("proc.name")));
    }

    #[test]
    fn modifiers() {
        let Expr::Check(c) = parse("fd.name startswith anyof (/etc, /usr)").unwrap() else {
            panic!()
        };
        assert_eq!(
            c.rhs,
            Rhs::Modified(Modifier::AnyOf, vec![bare("/etc"), bare("/usr")])
        );
    }

    #[test]
    fn escapes_in_quotes() {
        let Expr::Check(c) = parse(r#"proc.cmdline contains "a \"b\" \\c""#).unwrap() else {
            panic!()
        };
        assert_eq!(
            c.rhs,
            Rhs::Value(ListItem {
                text: r#"a "b" \c"#.into(),
                quoted: true
            })
        );
    }

    #[test]
    fn errors_are_positioned() {
        for bad in [
            "",
            "(a",
            "proc.name =",
            "proc.name bogus x",
            "a and",
            "fd.name in (a, b",
            "proc.name = 'x",
            "fd..x = 1",
            "and",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.pos <= bad.len(), "{bad}: {e}");
        }
    }

    #[test]
    fn nesting_is_capped() {
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).unwrap_err().message.contains("nesting deeper"));
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let nots = format!("{}a", "not ".repeat(MAX_DEPTH + 1));
        assert!(parse(&nots).is_err());
    }
}
