//! Our own Dockerfile parser, following BuildKit's rules: parser directives (`syntax`,
//! `escape`, `check`) only at the very top, comment lines dropped even inside continuations,
//! line continuations with the escape character, JSON (exec) versus shell form, flags
//! (`--from=`, `--mount=`, `--platform=`), heredocs (`<<EOF`, `<<-"EOF"`), stages with aliases
//! and ARG scoping. Every instruction keeps its byte span and its first and last line so a
//! finding can point at the source.

use std::collections::HashMap;

/// A parse error with the 1-based line it happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Largest Dockerfile we parse (BuildKit itself has no limit; real files are a few KiB).
pub const MAX_DOCKERFILE_BYTES: usize = 8 * 1024 * 1024;

/// Where something is in the file: byte range and 1-based lines (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte (newline excluded).
    pub end: usize,
    /// First line, 1-based.
    pub start_line: usize,
    /// Last line, 1-based.
    pub end_line: usize,
}

/// Instruction keywords. Unknown keywords are a parse error, as in BuildKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// `FROM`
    From,
    /// `RUN`
    Run,
    /// `CMD`
    Cmd,
    /// `LABEL`
    Label,
    /// `MAINTAINER`
    Maintainer,
    /// `EXPOSE`
    Expose,
    /// `ENV`
    Env,
    /// `ADD`
    Add,
    /// `COPY`
    Copy,
    /// `ENTRYPOINT`
    Entrypoint,
    /// `VOLUME`
    Volume,
    /// `USER`
    User,
    /// `WORKDIR`
    Workdir,
    /// `ARG`
    Arg,
    /// `ONBUILD`
    Onbuild,
    /// `STOPSIGNAL`
    Stopsignal,
    /// `HEALTHCHECK`
    Healthcheck,
    /// `SHELL`
    Shell,
}

impl Keyword {
    /// Parses a keyword, case-insensitively.
    pub fn parse(word: &str) -> Option<Keyword> {
        Some(match word.to_ascii_uppercase().as_str() {
            "FROM" => Keyword::From,
            "RUN" => Keyword::Run,
            "CMD" => Keyword::Cmd,
            "LABEL" => Keyword::Label,
            "MAINTAINER" => Keyword::Maintainer,
            "EXPOSE" => Keyword::Expose,
            "ENV" => Keyword::Env,
            "ADD" => Keyword::Add,
            "COPY" => Keyword::Copy,
            "ENTRYPOINT" => Keyword::Entrypoint,
            "VOLUME" => Keyword::Volume,
            "USER" => Keyword::User,
            "WORKDIR" => Keyword::Workdir,
            "ARG" => Keyword::Arg,
            "ONBUILD" => Keyword::Onbuild,
            "STOPSIGNAL" => Keyword::Stopsignal,
            "HEALTHCHECK" => Keyword::Healthcheck,
            "SHELL" => Keyword::Shell,
            _ => return None,
        })
    }

    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::From => "FROM",
            Keyword::Run => "RUN",
            Keyword::Cmd => "CMD",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Expose => "EXPOSE",
            Keyword::Env => "ENV",
            Keyword::Add => "ADD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Volume => "VOLUME",
            Keyword::User => "USER",
            Keyword::Workdir => "WORKDIR",
            Keyword::Arg => "ARG",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Shell => "SHELL",
        }
    }

    fn allows_heredoc(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }

    fn allows_json(self) -> bool {
        matches!(
            self,
            Keyword::Run
                | Keyword::Cmd
                | Keyword::Entrypoint
                | Keyword::Shell
                | Keyword::Copy
                | Keyword::Add
                | Keyword::Volume
                | Keyword::Healthcheck
        )
    }
}

/// A `--name[=value]` flag before the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Name without the dashes, lower-cased.
    pub name: String,
    /// Value after `=`, if any.
    pub value: Option<String>,
}

/// The arguments of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Exec form: `["a", "b"]`.
    Json(Vec<String>),
    /// Shell form: the text with continuations joined (escape and newline removed).
    Shell(String),
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word (`EOF`).
    pub name: String,
    /// The body, lines joined with `\n` (tabs stripped for `<<-`).
    pub content: String,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The terminator was quoted: no expansion inside.
    pub quoted: bool,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The keyword.
    pub keyword: Keyword,
    /// Flags before the arguments.
    pub flags: Vec<Flag>,
    /// Arguments.
    pub args: Args,
    /// Heredocs, in order.
    pub heredocs: Vec<Heredoc>,
    /// For `ONBUILD`: the wrapped instruction.
    pub onbuild: Option<Box<Instruction>>,
    /// Where it is, heredoc bodies included.
    pub span: Span,
    /// Index of the stage it belongs to; `None` before the first `FROM`.
    pub stage: Option<usize>,
}

impl Instruction {
    /// Value of flag `name` (without dashes), if given.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// The arguments as one string (JSON elements joined by spaces).
    pub fn text(&self) -> String {
        match &self.args {
            Args::Json(v) => v.join(" "),
            Args::Shell(s) => s.clone(),
        }
    }

    /// True for exec (JSON) form.
    pub fn is_json(&self) -> bool {
        matches!(self.args, Args::Json(_))
    }

    /// Splits shell-form arguments into words (quotes removed); JSON form gives its elements.
    pub fn words(&self) -> Vec<String> {
        match &self.args {
            Args::Json(v) => v.clone(),
            Args::Shell(s) => split_words(s),
        }
    }
}

/// A build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based index.
    pub index: usize,
    /// The base image as written (`alpine:3.20`, `${BASE}`, `builder`).
    pub base: String,
    /// The base with global ARG defaults substituted, when every variable is known.
    pub base_resolved: Option<String>,
    /// `AS` name, lower-cased.
    pub name: Option<String>,
    /// `--platform` value.
    pub platform: Option<String>,
    /// Index of the `FROM` instruction.
    pub from_instruction: usize,
    /// Index one past its last instruction.
    pub end_instruction: usize,
}

/// Parser directives from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The escape character (`\` by default, or `` ` ``).
    pub escape: char,
    /// `# syntax=` frontend image.
    pub syntax: Option<String>,
    /// `# check=` value.
    pub check: Option<String>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// Directives.
    pub directives: Directives,
    /// Instructions in order (ONBUILD triggers are nested inside theirs).
    pub instructions: Vec<Instruction>,
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// ARGs declared before the first FROM, with their defaults.
    pub global_args: Vec<(String, Option<String>)>,
    /// Byte offset of the start of each line (index 0 = line 1).
    line_starts: Vec<usize>,
    /// Lower-cased stage name → index of the first stage with that name.
    stage_names: HashMap<String, usize>,
    source: String,
}

impl Dockerfile {
    /// Text of 1-based line `n`, without the newline.
    pub fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(n)
            .map(|e| e.saturating_sub(1))
            .unwrap_or(self.source.len());
        self.source
            .get(start..end.max(start))
            .map(|s| s.strip_suffix('\r').unwrap_or(s))
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Instructions of stage `index`.
    pub fn stage_instructions(&self, index: usize) -> &[Instruction] {
        match self.stages.get(index) {
            Some(s) => &self.instructions[s.from_instruction..s.end_instruction],
            None => &[],
        }
    }

    /// Finds a stage by its `AS` name (case-insensitive; the first stage of that name) or
    /// index.
    pub fn stage_by_ref(&self, reference: &str) -> Option<&Stage> {
        self.stage_named(reference).or_else(|| {
            reference
                .parse::<usize>()
                .ok()
                .and_then(|i| self.stages.get(i))
        })
    }

    /// Variables in scope just before instruction `index`, as BuildKit scopes them: global
    /// ARGs only reach a stage through a bare `ARG NAME` redeclaration inside it; ARG and ENV
    /// values of the stage itself apply in order, expanded as they are set.
    pub fn vars_before(&self, index: usize) -> HashMap<String, String> {
        let mut vars = HashMap::new();
        let Some(stage) = self.instructions.get(index).and_then(|i| i.stage) else {
            return vars;
        };
        let global: HashMap<&str, &str> = self
            .global_args
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
            .collect();
        let start = self.stages[stage].from_instruction + 1;
        for ins in &self.instructions[start.min(index)..index] {
            if !matches!(ins.keyword, Keyword::Arg | Keyword::Env) {
                continue;
            }
            for (k, v) in key_values(ins.keyword, &ins.text()) {
                match v {
                    Some(v) => {
                        let value = expand(&v, &vars).unwrap_or(v);
                        vars.insert(k, value);
                    }
                    None => {
                        if let Some(g) = global.get(k.as_str()) {
                            vars.insert(k, g.to_string());
                        }
                    }
                }
            }
        }
        vars
    }

    /// The first stage named `name` (case-insensitive).
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        self.stage_names
            .get(&name.to_ascii_lowercase())
            .and_then(|&i| self.stages.get(i))
    }
}

/// Parses a Dockerfile.
pub fn parse(src: &[u8]) -> Result<Dockerfile, ParseError> {
    if src.len() > MAX_DOCKERFILE_BYTES {
        return Err(ParseError {
            line: 1,
            message: format!(
                "file is {} bytes; Dockerfiles over {} bytes are refused",
                src.len(),
                MAX_DOCKERFILE_BYTES
            ),
        });
    }
    let text = std::str::from_utf8(src).map_err(|e| {
        let line = src[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ParseError {
            line,
            message: "not valid UTF-8".into(),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Parser::new(text).run()
}

struct RawLine<'a> {
    start: usize,
    text: &'a str,
}

struct Parser<'a> {
    source: &'a str,
    lines: Vec<RawLine<'a>>,
    pos: usize,
    directives: Directives,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in source.split_inclusive('\n') {
            let body = piece.strip_suffix('\n').unwrap_or(piece);
            let body = body.strip_suffix('\r').unwrap_or(body);
            lines.push(RawLine { start, text: body });
            start += piece.len();
        }
        Parser {
            source,
            lines,
            pos: 0,
            directives: Directives {
                escape: '\\',
                syntax: None,
                check: None,
            },
        }
    }

    fn err(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line,
            message: message.into(),
        }
    }

    fn parse_directives(&mut self) -> Result<(), ParseError> {
        let mut seen: Vec<String> = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            let Some((key, value)) = directive(line.text) else {
                break;
            };
            let lineno = self.pos + 1;
            if seen.contains(&key) {
                return Err(self.err(
                    lineno,
                    format!("only one {key} parser directive can be used"),
                ));
            }
            match key.as_str() {
                "escape" => {
                    self.directives.escape = match value.as_str() {
                        "\\" => '\\',
                        "`" => '`',
                        other => {
                            return Err(self.err(
                                lineno,
                                format!("invalid escape token '{other}': must be ` or \\"),
                            ));
                        }
                    }
                }
                "syntax" => self.directives.syntax = Some(value),
                "check" => self.directives.check = Some(value),
                // Unknown directives are comments, and end the directive block.
                _ => break,
            }
            seen.push(key);
            self.pos += 1;
        }
        Ok(())
    }

    fn run(mut self) -> Result<Dockerfile, ParseError> {
        self.parse_directives()?;
        let mut instructions: Vec<Instruction> = Vec::new();
        while let Some(ins) = self.next_instruction()? {
            instructions.push(ins);
        }
        let line_starts = self.lines.iter().map(|l| l.start).collect();
        let (stages, global_args) = build_stages(&mut instructions, &self)?;
        let mut stage_names = HashMap::new();
        for s in &stages {
            if let Some(n) = &s.name {
                stage_names.entry(n.clone()).or_insert(s.index);
            }
        }
        Ok(Dockerfile {
            directives: self.directives,
            instructions,
            stages,
            global_args,
            line_starts,
            stage_names,
            source: self.source.to_string(),
        })
    }

    /// Strips a trailing escape (plus trailing blanks); returns the rest and whether it
    /// continues.
    fn continuation<'t>(&self, text: &'t str) -> (&'t str, bool) {
        let trimmed = text.trim_end_matches([' ', '\t']);
        match trimmed.strip_suffix(self.directives.escape) {
            // As in BuildKit, any trailing escape continues the line, even a doubled one.
            Some(rest) => (rest, true),
            None => (text, false),
        }
    }

    fn next_instruction(&mut self) -> Result<Option<Instruction>, ParseError> {
        // Skip blank and comment lines.
        while let Some(line) = self.lines.get(self.pos) {
            let t = line.text.trim_start();
            if t.is_empty() || t.starts_with('#') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let Some(first) = self.lines.get(self.pos) else {
            return Ok(None);
        };
        let start_line = self.pos + 1;
        let start = first.start;
        let mut logical = String::new();
        let mut end_idx = self.pos;
        let (piece, mut cont) = self.continuation(first.text.trim_start());
        logical.push_str(piece);
        self.pos += 1;
        while cont {
            let Some(line) = self.lines.get(self.pos) else {
                break; // a trailing escape at end of file ends the instruction
            };
            self.pos += 1;
            let t = line.text.trim_start();
            if t.starts_with('#') || t.trim().is_empty() {
                continue; // comments and blank lines inside a continuation are dropped
            }
            end_idx = self.pos - 1;
            let (piece, c) = self.continuation(line.text);
            logical.push_str(piece);
            cont = c;
        }
        let mut ins = self.instruction_from(&logical, start_line)?;
        if ins.keyword.allows_heredoc() {
            let markers = heredoc_markers(&logical);
            for (name, strip_tabs, quoted) in markers {
                let mut body: Vec<&str> = Vec::new();
                let mut closed = false;
                while let Some(line) = self.lines.get(self.pos) {
                    self.pos += 1;
                    end_idx = self.pos - 1;
                    let candidate = if strip_tabs {
                        line.text.trim_start_matches('\t')
                    } else {
                        line.text
                    };
                    if candidate == name {
                        closed = true;
                        break;
                    }
                    body.push(candidate);
                }
                if !closed {
                    return Err(self.err(
                        start_line,
                        format!("heredoc <<{name} is not terminated before the end of the file"),
                    ));
                }
                let mut content = body.join("\n");
                content.push('\n');
                ins.heredocs.push(Heredoc {
                    name,
                    content,
                    strip_tabs,
                    quoted,
                });
            }
        }
        let last = &self.lines[end_idx];
        ins.span = Span {
            start,
            end: last.start + last.text.len(),
            start_line,
            end_line: end_idx + 1,
        };
        if let Some(inner) = ins.onbuild.as_mut() {
            inner.span = ins.span;
        }
        Ok(Some(ins))
    }

    fn instruction_from(&self, logical: &str, line: usize) -> Result<Instruction, ParseError> {
        let logical = logical.trim();
        let (word, rest) = match logical.find(char::is_whitespace) {
            Some(i) => (&logical[..i], logical[i..].trim_start()),
            None => (logical, ""),
        };
        let keyword = Keyword::parse(word)
            .ok_or_else(|| self.err(line, format!("unknown instruction: {word}")))?;
        if keyword == Keyword::Onbuild {
            if rest.is_empty() {
                return Err(self.err(line, "ONBUILD requires an instruction"));
            }
            let inner = self.instruction_from(rest, line)?;
            if matches!(
                inner.keyword,
                Keyword::Onbuild | Keyword::From | Keyword::Maintainer
            ) {
                return Err(self.err(
                    line,
                    format!(
                        "{} isn't allowed as an ONBUILD trigger",
                        inner.keyword.as_str()
                    ),
                ));
            }
            return Ok(Instruction {
                keyword,
                flags: Vec::new(),
                args: Args::Shell(rest.to_string()),
                heredocs: Vec::new(),
                onbuild: Some(Box::new(inner)),
                span: Span::default(),
                stage: None,
            });
        }
        let (flags, rest) = split_flags(rest);
        let args = if keyword.allows_json() && rest.starts_with('[') {
            match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) => Args::Json(v),
                Err(_) => Args::Shell(rest.to_string()),
            }
        } else {
            Args::Shell(rest.to_string())
        };
        if rest.is_empty() && !matches!(keyword, Keyword::Cmd | Keyword::Entrypoint) {
            return Err(self.err(
                line,
                format!("{} requires at least one argument", keyword.as_str()),
            ));
        }
        Ok(Instruction {
            keyword,
            flags,
            args,
            heredocs: Vec::new(),
            onbuild: None,
            span: Span::default(),
            stage: None,
        })
    }
}

/// `# key=value` at the top of the file.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim();
    if key.is_empty()
        || !key.starts_with(|c: char| c.is_ascii_alphabetic())
        || !key.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim().to_string()))
}

fn split_flags(mut rest: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    while let Some(after) = rest.strip_prefix("--") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let word = &after[..end];
        if word.is_empty() {
            break;
        }
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n, Some(unquote(v))),
            None => (word, None),
        };
        flags.push(Flag {
            name: name.to_ascii_lowercase(),
            value,
        });
        rest = after[end..].trim_start();
    }
    (flags, rest)
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Heredoc markers in an instruction line: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, not
/// `<<<` (a here-string). Returns (name, strip_tabs, quoted).
pub(crate) fn heredoc_markers(line: &str) -> Vec<(String, bool, bool)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'<' && b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                if i > 0 && b[i - 1] == b'<' {
                    i += 1;
                    continue;
                }
                let mut j = i + 2;
                let strip = b.get(j) == Some(&b'-');
                if strip {
                    j += 1;
                }
                let q = match b.get(j) {
                    Some(&c @ (b'"' | b'\'')) => {
                        j += 1;
                        Some(c)
                    }
                    _ => None,
                };
                let name_start = j;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-')
                {
                    j += 1;
                }
                if j > name_start {
                    let name = line[name_start..j].to_string();
                    if q.is_some_and(|qc| b.get(j) == Some(&qc)) {
                        j += 1;
                    }
                    out.push((name, strip, q.is_some()));
                }
                i = j;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out
}

/// Splits text into words the way a shell would, quotes removed, no expansion.
pub fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(&n) = chars.peek()
                                && matches!(n, '"' | '\\' | '$' | '`')
                            {
                                chars.next();
                                cur.push(n);
                                continue;
                            }
                            cur.push('\\');
                        }
                        _ => cur.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Key/value pairs of `ENV`, `LABEL` or `ARG` arguments: `k=v k2="v 2"` or legacy `k v`.
/// ARG without a value yields `None`.
pub fn key_values(keyword: Keyword, text: &str) -> Vec<(String, Option<String>)> {
    let words = split_words(text);
    let Some(first) = words.first() else {
        return Vec::new();
    };
    if keyword != Keyword::Arg && !first.contains('=') {
        // Legacy `ENV key value with spaces`.
        let rest = text.trim_start()[first.len().min(text.trim_start().len())..].trim();
        let value = split_words(rest).join(" ");
        return vec![(first.clone(), Some(value))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR-default}` from `vars`. Returns
/// `None` when a variable has no value.
pub fn expand(text: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            let mut inner = String::new();
            let mut closed = false;
            for d in chars.by_ref() {
                if d == '}' {
                    closed = true;
                    break;
                }
                inner.push(d);
            }
            if !closed {
                return None;
            }
            let (name, default) = if let Some((n, d)) = inner.split_once(":-") {
                (n, Some(d))
            } else if let Some((n, d)) = inner.split_once('-') {
                (n, Some(d))
            } else {
                (inner.as_str(), None)
            };
            match (vars.get(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return None,
            }
        } else {
            let mut name = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    name.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(vars.get(&name)?);
            }
        }
    }
    Some(out)
}

type StagesAndArgs = (Vec<Stage>, Vec<(String, Option<String>)>);

fn build_stages(
    instructions: &mut [Instruction],
    p: &Parser<'_>,
) -> Result<StagesAndArgs, ParseError> {
    let mut stages: Vec<Stage> = Vec::new();
    let mut global_args = Vec::new();
    let mut vars: HashMap<String, String> = HashMap::new();
    for (i, ins) in instructions.iter_mut().enumerate() {
        if ins.keyword == Keyword::From {
            if let Some(prev) = stages.last_mut() {
                prev.end_instruction = i;
            }
            let words = ins.words();
            let (base, name) = match words.as_slice() {
                [base] => (base.clone(), None),
                [base, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
                    (base.clone(), Some(name.to_ascii_lowercase()))
                }
                _ => {
                    return Err(p.err(
                        ins.span.start_line,
                        "FROM requires either one or three arguments (image [AS name])",
                    ));
                }
            };
            stages.push(Stage {
                index: stages.len(),
                base_resolved: expand(&base, &vars),
                base,
                name,
                platform: ins.flag("platform").map(str::to_string),
                from_instruction: i,
                end_instruction: i + 1,
            });
        } else if stages.is_empty() {
            if ins.keyword != Keyword::Arg {
                return Err(p.err(
                    ins.span.start_line,
                    format!(
                        "{} before the first FROM: only ARG may come before FROM",
                        ins.keyword.as_str()
                    ),
                ));
            }
            for (k, v) in key_values(Keyword::Arg, &ins.text()) {
                if let Some(v) = &v {
                    vars.insert(k.clone(), v.clone());
                }
                global_args.push((k, v));
            }
        }
        ins.stage = stages.len().checked_sub(1);
    }
    let n = instructions.len();
    if let Some(last) = stages.last_mut() {
        last.end_instruction = n;
    }
    Ok((stages, global_args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Dockerfile {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn continuation_joins_lines_and_keeps_span() {
        let d =
            p("FROM alpine:3.20\nRUN apk add \\\n  curl \\\n  # a comment\n\n  git\nUSER app\n");
        let run = &d.instructions[1];
        assert_eq!(run.keyword, Keyword::Run);
        assert_eq!(run.text(), "apk add   curl   git");
        assert_eq!((run.span.start_line, run.span.end_line), (2, 6));
        assert_eq!(
            &d.source()[run.span.start..run.span.end],
            "RUN apk add \\\n  curl \\\n  # a comment\n\n  git"
        );
        assert_eq!(d.instructions[2].span.start_line, 7);
    }

    #[test]
    fn escape_directive_changes_continuation() {
        let d =
            p("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\nWORKDIR c:\\app\n");
        assert_eq!(d.directives.escape, '`');
        assert_eq!(d.instructions[1].text(), "dir   c:\\");
        assert_eq!(d.instructions[2].text(), "c:\\app");
    }

    #[test]
    fn directives_only_at_top() {
        let d = p("# syntax=docker/dockerfile:1.7\n# escape=\\\n\n# escape=`\nFROM a\n");
        assert_eq!(
            d.directives.syntax.as_deref(),
            Some("docker/dockerfile:1.7")
        );
        assert_eq!(d.directives.escape, '\\');
        let e = parse(b"# escape=x\nFROM a\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse(b"# escape=`\n# escape=`\nFROM a\n").unwrap_err();
        assert!(e.message.contains("only one"), "{e}");
    }

    #[test]
    fn json_and_shell_form() {
        let d = p(
            "FROM a\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nENTRYPOINT [not json\nRUN [\"a\"]\n",
        );
        assert_eq!(
            d.instructions[1].args,
            Args::Json(vec!["nginx".into(), "-g".into(), "daemon off;".into()])
        );
        assert_eq!(d.instructions[2].args, Args::Shell("[not json".into()));
        assert!(d.instructions[3].is_json());
    }

    #[test]
    fn flags_are_parsed() {
        let d = p(
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM scratch\nCOPY --from=build --chmod=0755 /out /app\nRUN --mount=type=cache,target=/root/.cache go build\n",
        );
        assert_eq!(d.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(d.instructions[2].flag("from"), Some("build"));
        assert_eq!(d.instructions[2].flag("chmod"), Some("0755"));
        assert_eq!(
            d.instructions[3].flag("mount"),
            Some("type=cache,target=/root/.cache")
        );
        assert_eq!(d.instructions[3].text(), "go build");
    }

    #[test]
    fn heredocs() {
        let src = "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCOPY <<-\"CONF\" /etc/app.conf\n\tkey=value\n\tCONF\nRUN cat <<A <<B > /x\na\nA\nb\nB\nUSER 1000\n";
        let d = p(src);
        let run = &d.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(
            run.heredocs[0].content,
            "apt-get update\napt-get install -y curl\n"
        );
        assert_eq!((run.span.start_line, run.span.end_line), (2, 5));
        let copy = &d.instructions[2];
        assert!(copy.heredocs[0].strip_tabs && copy.heredocs[0].quoted);
        assert_eq!(copy.heredocs[0].content, "key=value\n");
        let two = &d.instructions[3];
        assert_eq!(
            two.heredocs
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(d.instructions[4].span.start_line, 14);
        let e = parse(b"FROM a\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not terminated"));
    }

    #[test]
    fn here_string_is_not_heredoc() {
        let d = p("FROM a\nRUN cat <<< hi\nUSER x\n");
        assert!(d.instructions[1].heredocs.is_empty());
        assert_eq!(d.instructions.len(), 3);
    }

    #[test]
    fn stages_and_arg_scoping() {
        let d = p(
            "ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG:-3.20} AS Build\nARG TAG\nRUN x\nFROM build\nFROM $UNKNOWN\n",
        );
        assert_eq!(
            d.global_args,
            vec![("BASE".into(), Some("alpine".into())), ("TAG".into(), None)]
        );
        assert_eq!(d.stages.len(), 3);
        assert_eq!(d.stages[0].base_resolved.as_deref(), Some("alpine:3.20"));
        assert_eq!(d.stages[0].name.as_deref(), Some("build"));
        assert_eq!(d.stage_instructions(0).len(), 3);
        assert_eq!(d.stages[2].base_resolved, None);
        assert_eq!(d.stage_by_ref("BUILD").map(|s| s.index), Some(0));
        assert_eq!(d.stage_by_ref("1").map(|s| s.index), Some(1));
        assert_eq!(d.instructions[0].stage, None);
        assert_eq!(d.instructions[4].stage, Some(0));
    }

    #[test]
    fn arg_scope_inside_stages() {
        let d = p(
            "ARG U=root\nARG V=1\nFROM a:${V}\nARG U\nENV HOME=/home/$U X=${V:-none}\nUSER $U\nFROM b\nUSER $U\n",
        );
        let v = d.vars_before(5);
        assert_eq!(v.get("U").map(String::as_str), Some("root"));
        assert_eq!(v.get("HOME").map(String::as_str), Some("/home/root"));
        // V was not redeclared in the stage: out of scope, so the default applies.
        assert_eq!(v.get("X").map(String::as_str), Some("none"));
        assert!(d.vars_before(7).is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(b"FROM a\n\nFOO bar\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (3, "unknown instruction: FOO")
        );
        let e = parse(b"RUN x\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse(b"FROM a b\n").unwrap_err();
        assert!(e.message.contains("FROM requires"));
        let e = parse(b"FROM a\nONBUILD FROM b\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse(b"FROM a\n\xff\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse(b"FROM a\nWORKDIR\n").unwrap_err();
        assert!(e.message.contains("requires at least one argument"));
    }

    #[test]
    fn onbuild_wraps_an_instruction() {
        let d = p("FROM a\nONBUILD RUN echo hi\n");
        let inner = d.instructions[1].onbuild.as_ref().unwrap();
        assert_eq!(inner.keyword, Keyword::Run);
        assert_eq!(inner.span.start_line, 2);
    }

    #[test]
    fn key_values_forms() {
        assert_eq!(
            key_values(Keyword::Env, "A=1 B=\"two words\" C=x\\ y"),
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two words".into())),
                ("C".into(), Some("x y".into()))
            ]
        );
        assert_eq!(
            key_values(Keyword::Env, "PATH /usr/bin:/bin  extra"),
            vec![("PATH".into(), Some("/usr/bin:/bin extra".into()))]
        );
        assert_eq!(
            key_values(Keyword::Arg, "VERSION"),
            vec![("VERSION".into(), None)]
        );
    }

    #[test]
    fn crlf_and_bom_and_trailing_escape() {
        let d = p("\u{feff}FROM a\r\nRUN a \\\r\n b\r\nUSER x \\");
        assert_eq!(d.instructions[1].text(), "a  b");
        assert_eq!(d.line(2), Some("RUN a \\"));
        assert_eq!(d.instructions[2].text(), "x");
    }

    #[test]
    fn doubled_escape_still_continues_like_buildkit() {
        let d = p("FROM a\nRUN echo \\\\\nUSER x\n");
        assert_eq!(d.instructions.len(), 2);
        assert_eq!(d.instructions[1].text(), "echo \\USER x");
    }
}
