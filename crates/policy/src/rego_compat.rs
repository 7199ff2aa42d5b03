//! Source rewrites that make regorus evaluate Gatekeeper-era Rego v0 as OPA does.
//!
//! regorus 0.14 differs from OPA on four constructs real templates use (POLICY-NOTES §11):
//!
//! 1. A body line starting with `(` is parsed as a call continuing the previous line. OPA
//!    ends the statement at the newline. We insert `;` after the previous statement.
//! 2. `sprintf` with fewer arguments than verbs is an error; OPA prints `%!v(MISSING)`. Calls
//!    are renamed to our own `osprey_sprintf` extension, which follows Go's fmt.
//! 3. A v0 rule with several bodies (`p[x] { a } { b }`) is rejected; OPA reads it as several
//!    rules with the same head. We repeat the head before each extra body.
//! 4. `not f(input.missing)` is true in regorus; OPA hoists non-trivial call arguments out of
//!    the negation, so an undefined argument makes the whole body undefined. We hoist them the
//!    same way: `__osprey_argN := input.missing; not f(__osprey_argN)`.
//!
//! The rewrites work on tokens (strings, raw strings and comments are skipped), never on
//! regex over raw text, and leave line numbers unchanged so error messages still point at
//! the user's lines.

/// One lexical token with its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// Identifier or keyword.
    Ident,
    /// String or raw string literal.
    Str,
    /// Number.
    Num,
    /// `(`, `[`, `{`.
    Open(u8),
    /// `)`, `]`, `}`.
    Close(u8),
    /// A newline.
    Newline,
    /// `;`.
    Semi,
    /// Any other punctuation (operators, `,`, `:`, `.`, `|`).
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b'\n' => {
                i += 1;
                Tok::Newline
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i = (i + 1).min(b.len());
                Tok::Str
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                Tok::Str
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                Tok::Open(c)
            }
            b')' | b']' | b'}' => {
                i += 1;
                Tok::Close(c)
            }
            b';' => {
                i += 1;
                Tok::Semi
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                Tok::Num
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                Tok::Ident
            }
            _ => {
                // Multi-byte UTF-8 outside strings is not valid Rego; step over it whole.
                i += src[i..].chars().next().map_or(1, char::len_utf8);
                Tok::Punct(c)
            }
        };
        out.push(Token { tok, start, end: i });
    }
    out
}

/// An edit: insert `text` at byte `at`, or replace `at..end` with `text`.
struct Edit {
    at: usize,
    end: usize,
    text: String,
}

/// Rewrites `src` so regorus evaluates it as OPA would (see the module docs).
pub fn rewrite(src: &str) -> String {
    let toks = lex(src);
    let mut edits: Vec<Edit> = Vec::new();
    let text = |t: &Token| &src[t.start..t.end];

    // Stack of open brackets; for `{`, whether it opened a rule body at top level.
    let mut stack: Vec<(u8, bool)> = Vec::new();
    // Start of the current top-level head (first token after the last statement ended).
    let mut head_start: Option<usize> = None;
    let mut last_head: Option<(usize, usize)> = None;
    let mut just_closed_body = false;
    let mut hoist_counter = 0usize;

    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let in_body = stack.iter().any(|(c, _)| *c == b'{');
        match t.tok {
            Tok::Newline => {
                if stack.is_empty() && !just_closed_body {
                    head_start = None;
                }
            }
            Tok::Open(b'{') if stack.is_empty() => {
                if just_closed_body {
                    // Gap 3: another body for the same head.
                    if let Some((hs, he)) = last_head {
                        edits.push(Edit {
                            at: t.start,
                            end: t.start,
                            // Same line, so line numbers in messages stay the user's.
                            text: format!("{} ", src[hs..he].trim_end()),
                        });
                    }
                } else if let Some(hs) = head_start {
                    last_head = Some((hs, t.start));
                }
                just_closed_body = false;
                stack.push((b'{', true));
            }
            Tok::Open(c) => {
                if stack.is_empty() {
                    if just_closed_body {
                        head_start = None;
                    }
                    just_closed_body = false;
                    head_start.get_or_insert(t.start);
                }
                // Gap 1: `(` first on a line inside a body ends the previous statement.
                if c == b'('
                    && in_body
                    && statement_complete_before(&toks, i, src)
                    && let Some(prev) = prev_code(&toks, i)
                {
                    edits.push(Edit {
                        at: toks[prev].end,
                        end: toks[prev].end,
                        text: ";".into(),
                    });
                }
                stack.push((c, false));
            }
            Tok::Close(_) => {
                let popped = stack.pop();
                if stack.is_empty() && matches!(popped, Some((b'{', true))) {
                    just_closed_body = true;
                }
            }
            Tok::Ident if text(&t) == "sprintf" && next_is_open_paren(&toks, i) => {
                // Gap 2.
                edits.push(Edit {
                    at: t.start,
                    end: t.end,
                    text: SPRINTF_EXTENSION.into(),
                });
            }
            Tok::Ident if in_body && text(&t) == "not" && starts_statement(&toks, i) => {
                // Gap 4.
                if let Some((hoists, replaced)) =
                    hoist_negated_call(src, &toks, i, &mut hoist_counter)
                {
                    edits.push(Edit {
                        at: t.start,
                        end: t.start,
                        text: hoists,
                    });
                    edits.extend(replaced);
                }
            }
            _ => {
                if stack.is_empty() {
                    if just_closed_body {
                        // `else` continues the chain; anything else starts a new statement.
                        if text(&t) != "else" {
                            head_start = Some(t.start);
                        }
                        just_closed_body = false;
                    } else {
                        head_start.get_or_insert(t.start);
                    }
                }
            }
        }
        i += 1;
    }
    apply(src, edits)
}

/// Name of the `sprintf` replacement registered by [`crate::rego::new_engine`].
pub const SPRINTF_EXTENSION: &str = "osprey_sprintf";

fn apply(src: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.at, e.end));
    let mut out = String::with_capacity(src.len() + edits.len() * 16);
    let mut pos = 0;
    for e in edits {
        if e.at < pos {
            continue;
        }
        out.push_str(&src[pos..e.at]);
        out.push_str(&e.text);
        pos = e.end;
    }
    out.push_str(&src[pos..]);
    out
}

fn prev_code(toks: &[Token], i: usize) -> Option<usize> {
    (0..i).rev().find(|&j| toks[j].tok != Tok::Newline)
}

fn next_is_open_paren(toks: &[Token], i: usize) -> bool {
    matches!(toks.get(i + 1), Some(t) if t.tok == Tok::Open(b'(') && t.start == toks[i].end)
}

/// True when token `i` is first on its line and the previous line ended a complete
/// expression (not an operator, comma, colon or open bracket).
fn statement_complete_before(toks: &[Token], i: usize, src: &str) -> bool {
    if i == 0 || toks[i - 1].tok != Tok::Newline {
        return false;
    }
    match prev_code(toks, i).map(|j| toks[j]) {
        Some(p) => match p.tok {
            Tok::Ident => !matches!(
                &src[p.start..p.end],
                "not" | "some" | "with" | "as" | "else" | "in"
            ),
            Tok::Str | Tok::Num | Tok::Close(_) => true,
            _ => false,
        },
        None => false,
    }
}

fn starts_statement(toks: &[Token], i: usize) -> bool {
    matches!(
        i.checked_sub(1).map(|j| toks[j].tok),
        None | Some(Tok::Newline | Tok::Semi | Tok::Open(b'{') | Tok::Punct(b'|'))
    )
}

/// For `not name.path(arg, ...)` at token `i`: hoist every argument that is more than a
/// variable or literal into `__osprey_argN := ARG; ` and replace it by the variable.
fn hoist_negated_call(
    src: &str,
    toks: &[Token],
    i: usize,
    counter: &mut usize,
) -> Option<(String, Vec<Edit>)> {
    // name: Ident ( . Ident )*
    let mut j = i + 1;
    if toks.get(j)?.tok != Tok::Ident {
        return None;
    }
    j += 1;
    while toks.get(j)?.tok == Tok::Punct(b'.') && toks.get(j + 1)?.tok == Tok::Ident {
        j += 2;
    }
    if toks.get(j)?.tok != Tok::Open(b'(') || toks[j].start != toks[j - 1].end {
        return None;
    }
    // Split arguments at top-level commas.
    let mut depth = 0usize;
    let mut args: Vec<(usize, usize)> = Vec::new(); // token index ranges
    let mut arg_start = j + 1;
    let mut k = j + 1;
    loop {
        let t = toks.get(k)?;
        match t.tok {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) if depth == 0 => {
                if k > arg_start {
                    args.push((arg_start, k));
                }
                break;
            }
            Tok::Close(_) => depth -= 1,
            Tok::Punct(b',') if depth == 0 => {
                args.push((arg_start, k));
                arg_start = k + 1;
            }
            Tok::Newline if depth == 0 => {}
            _ => {}
        }
        k += 1;
    }
    // What follows the call must end the statement (no `with`, no comparison).
    match toks.get(k + 1).map(|t| t.tok) {
        None | Some(Tok::Newline | Tok::Semi | Tok::Close(b'}')) => {}
        _ => return None,
    }
    let mut hoists = String::new();
    let mut edits = Vec::new();
    for (a, b) in args {
        let code: Vec<&Token> = toks[a..b]
            .iter()
            .filter(|t| t.tok != Tok::Newline)
            .collect();
        let trivial = code.len() == 1 && matches!(code[0].tok, Tok::Ident | Tok::Str | Tok::Num);
        if trivial || code.is_empty() {
            continue;
        }
        let (s, e) = (code[0].start, code[code.len() - 1].end);
        let var = format!("__osprey_arg{}", *counter);
        *counter += 1;
        hoists.push_str(&format!("{var} := {}; ", &src[s..e]));
        edits.push(Edit {
            at: s,
            end: e,
            text: var,
        });
    }
    if hoists.is_empty() {
        return None;
    }
    Some((hoists, edits))
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn repeats_heads_of_multi_body_rules() {
        let src = "package p\ns[x] {\n  x := 1\n} {\n  x := 2\n}\n";
        let out = rewrite(src);
        assert!(out.contains("} s[x] {\n  x := 2"), "{out}");
    }

    #[test]
    fn else_chains_are_left_alone() {
        let src = "package p\nf(x) = 1 {\n  x > 0\n} else = 2 {\n  true\n}\n";
        assert_eq!(rewrite(src), src);
    }

    #[test]
    fn ends_statements_before_parenthesised_lines() {
        let src = "package p\np {\n  input.x\n  (2 - 1) >= 1\n}\n";
        assert!(rewrite(src).contains("input.x;\n  (2 - 1)"));
        // A continued expression is not split.
        let cont = "package p\np {\n  x := 1 +\n  (2 - 1)\n}\n";
        assert_eq!(rewrite(cont), cont);
    }

    #[test]
    fn hoists_arguments_of_negated_calls() {
        let src = "package p\np {\n  not f(input.missing, \"a\", y)\n}\n";
        let out = rewrite(src);
        assert!(
            out.contains("__osprey_arg0 := input.missing; not f(__osprey_arg0, \"a\", y)"),
            "{out}"
        );
        // Plain variables and literals need no hoisting.
        let plain = "package p\np {\n  not f(x)\n}\n";
        assert_eq!(rewrite(plain), plain);
    }

    #[test]
    fn strings_and_comments_are_not_rewritten() {
        let src = "package p\n# sprintf(\"x\") } {\np { x := \"sprintf(} {\" }\n";
        assert_eq!(rewrite(src), src);
    }

    #[test]
    fn renames_sprintf() {
        let out = rewrite("package p\nm := msg { msg := sprintf(\"%v\", [1]) }\n");
        assert!(out.contains("osprey_sprintf(\"%v\", [1])"));
    }
}
