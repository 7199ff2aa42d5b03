//! A POSIX-shell tokenizer for `RUN` analysis: enough of the shell grammar to find the simple
//! commands a script runs and how they are chained (`&&`, `||`, `;`, `&`, newlines, pipes),
//! with quoting, escapes, `$(...)`/backticks kept inside words, redirections dropped, comments
//! skipped, and `sh -c '...'` scripts parsed recursively. It does not expand anything.

/// How deep `sh -c` nesting is followed.
const MAX_NESTING: usize = 8;

/// A word of a command, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word with quotes and escapes removed.
    pub text: String,
    /// The word contained an unquoted or double-quoted `$`, `$(...)` or backtick.
    pub dynamic: bool,
}

/// One simple command: `FOO=1 apt-get install -y curl`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// Leading `NAME=value` assignments.
    pub assignments: Vec<(String, String)>,
    /// The words, program first.
    pub words: Vec<Word>,
    /// For `sh -c 'script'`: the parsed script.
    pub nested: Option<Box<Script>>,
}

impl Command {
    /// The words as strings.
    pub fn args(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.text.as_str()).collect()
    }

    /// The words from the real program on, after wrappers that run another command
    /// (`sudo`, `env`, `nohup`, `time`, `nice`, `command`, `exec`) and their options.
    pub fn effective(&self) -> Vec<&str> {
        let words = self.args();
        let mut i = 0;
        while let Some(w) = words.get(i) {
            match basename(w) {
                "sudo" | "doas" => {
                    i += 1;
                    while let Some(w) = words.get(i) {
                        if !w.starts_with('-') {
                            break;
                        }
                        // Options that take a value.
                        if matches!(*w, "-u" | "-g" | "-C" | "-h" | "-p" | "-U" | "-r" | "-t") {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                "env" => {
                    i += 1;
                    while let Some(w) = words.get(i) {
                        if w.starts_with('-') || (w.contains('=') && !w.starts_with('=')) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
                "nohup" | "time" | "command" | "exec" => i += 1,
                "nice" => {
                    i += 1;
                    if words.get(i) == Some(&"-n") {
                        i += 2;
                    } else if words.get(i).is_some_and(|w| w.starts_with('-')) {
                        i += 1;
                    }
                }
                _ => break,
            }
        }
        words.get(i..).map(|s| s.to_vec()).unwrap_or_default()
    }

    /// Basename of the effective program (`/usr/bin/apt-get` → `apt-get`).
    pub fn program(&self) -> Option<&str> {
        self.effective().first().map(|w| basename(w))
    }

    /// True when the command was run through sudo/doas.
    pub fn uses_sudo(&self) -> bool {
        let words = self.args();
        let eff = self.effective().len();
        words[..words.len() - eff]
            .iter()
            .any(|w| matches!(basename(w), "sudo" | "doas"))
    }
}

/// Commands joined by pipes: `curl -s x | sh`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// Commands, left to right.
    pub commands: Vec<Command>,
}

/// A parsed script: pipelines in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// Pipelines in order.
    pub pipelines: Vec<Pipeline>,
}

impl Script {
    /// Every simple command, nested `sh -c` scripts included, in order.
    pub fn commands(&self) -> Vec<&Command> {
        let mut out = Vec::new();
        for p in &self.pipelines {
            for c in &p.commands {
                out.push(c);
                if let Some(n) = &c.nested {
                    out.extend(n.commands());
                }
            }
        }
        out
    }

    /// Every pipeline, nested scripts included.
    pub fn all_pipelines(&self) -> Vec<&Pipeline> {
        let mut out = Vec::new();
        for p in &self.pipelines {
            out.push(p);
            for c in &p.commands {
                if let Some(n) = &c.nested {
                    out.extend(n.all_pipelines());
                }
            }
        }
        out
    }
}

/// Basename of a path-like word.
pub fn basename(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// Parses a shell script.
pub fn parse(src: &str) -> Script {
    parse_nested(src, 0)
}

/// Parses an exec-form argument list: `["sh", "-c", "..."]` becomes the script, anything else
/// one command.
pub fn from_exec(args: &[String]) -> Script {
    let mut cmd = Command {
        words: args
            .iter()
            .map(|a| Word {
                text: a.clone(),
                dynamic: false,
            })
            .collect(),
        ..Default::default()
    };
    cmd.nested = nested_script(&cmd, 0);
    Script {
        pipelines: vec![Pipeline {
            commands: vec![cmd],
        }],
    }
}

fn parse_nested(src: &str, depth: usize) -> Script {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        pos: 0,
    };
    let mut script = Script::default();
    let mut pipeline = Pipeline::default();
    let mut cmd = Command::default();
    loop {
        let tok = lx.next_token();
        match tok {
            Tok::Word(w) => {
                if cmd.words.is_empty() && is_assignment(&w.text) {
                    if let Some((k, v)) = w.text.split_once('=') {
                        cmd.assignments.push((k.to_string(), v.to_string()));
                    }
                } else if cmd.words.is_empty()
                    && matches!(w.text.as_str(), "{" | "}" | "!")
                    && !w.dynamic
                {
                    // Group braces and negation are syntax, not programs.
                } else {
                    cmd.words.push(w);
                }
            }
            Tok::Pipe => {
                finish_command(&mut pipeline, &mut cmd, depth);
            }
            Tok::Sep | Tok::Eof => {
                finish_command(&mut pipeline, &mut cmd, depth);
                if !pipeline.commands.is_empty() {
                    script.pipelines.push(std::mem::take(&mut pipeline));
                }
                if matches!(tok, Tok::Eof) {
                    break;
                }
            }
        }
    }
    script
}

fn finish_command(pipeline: &mut Pipeline, cmd: &mut Command, depth: usize) {
    if cmd.words.is_empty() && cmd.assignments.is_empty() {
        return;
    }
    let mut c = std::mem::take(cmd);
    c.nested = nested_script(&c, depth);
    pipeline.commands.push(c);
}

/// `sh -c 'script'`, `bash -euxo pipefail -c "..."`.
fn nested_script(cmd: &Command, depth: usize) -> Option<Box<Script>> {
    if depth >= MAX_NESTING {
        return None;
    }
    let eff = cmd.effective();
    let prog = basename(eff.first()?);
    if !matches!(prog, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh") {
        return None;
    }
    let mut i = 1;
    let mut has_c = false;
    while let Some(w) = eff.get(i) {
        if *w == "-o" || *w == "+o" {
            i += 2;
            continue;
        }
        if let Some(flags) = w.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            if flags.contains('c') {
                has_c = true;
            }
            // `-euo pipefail`: a trailing `o` takes the next word as its option name.
            i += if flags.ends_with('o') { 2 } else { 1 };
            continue;
        }
        break;
    }
    if !has_c {
        return None;
    }
    eff.get(i)
        .map(|script| Box::new(parse_nested(script, depth + 1)))
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((k, _)) => {
            !k.is_empty()
                && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

enum Tok {
    Word(Word),
    Pipe,
    Sep,
    Eof,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn next_token(&mut self) -> Tok {
        loop {
            // Skip blanks and line continuations.
            while let Some(c) = self.peek() {
                if c == ' ' || c == '\t' || c == '\r' {
                    self.pos += 1;
                } else if c == '\\' && self.peek_at(1) == Some('\n') {
                    self.pos += 2;
                } else {
                    break;
                }
            }
            let Some(c) = self.peek() else {
                return Tok::Eof;
            };
            match c {
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                '\n' | ';' | '(' | ')' => {
                    self.pos += 1;
                    // `;;` in case statements is just another separator.
                    return Tok::Sep;
                }
                '&' => {
                    self.pos += 1;
                    if self.peek() == Some('&') {
                        self.pos += 1;
                    } else if self.peek() == Some('>') {
                        // `&>file` redirection.
                        self.skip_redirect();
                        continue;
                    }
                    return Tok::Sep;
                }
                '|' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('|') => {
                            self.pos += 1;
                            return Tok::Sep;
                        }
                        Some('&') => {
                            self.pos += 1;
                            return Tok::Pipe;
                        }
                        _ => return Tok::Pipe,
                    }
                }
                '<' | '>' => {
                    self.skip_redirect();
                    continue;
                }
                _ => {
                    let w = self.word();
                    // `2>` / `2>>`: a file-descriptor number glued to a redirection.
                    if matches!(self.peek(), Some('<' | '>'))
                        && !w.text.is_empty()
                        && w.text.chars().all(|c| c.is_ascii_digit())
                    {
                        self.skip_redirect();
                        continue;
                    }
                    return Tok::Word(w);
                }
            }
        }
    }

    /// Skips a redirection operator and its target word.
    fn skip_redirect(&mut self) {
        let mut heredoc = false;
        while let Some(c) = self.peek() {
            if matches!(c, '<' | '>' | '&' | '|' | '-') {
                if c == '<' && self.peek_at(1) == Some('<') && self.peek_at(2) != Some('<') {
                    heredoc = true;
                }
                self.pos += 1;
            } else {
                break;
            }
        }
        // `>&2`: the target is glued to the operator.
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if matches!(self.peek(), Some(c) if !matches!(c, '\n' | ';' | '|' | '&' | ')' | '(')) {
            let delim = self.word();
            if heredoc {
                self.skip_heredoc_body(&delim.text);
            }
        }
    }

    /// Skips the body of a heredoc inside a script (starting on the next line).
    fn skip_heredoc_body(&mut self, delim: &str) {
        // Find end of the current line first; the rest of the line still holds commands, so
        // remember where the body starts and cut it out.
        let mut eol = self.pos;
        while eol < self.chars.len() && self.chars[eol] != '\n' {
            eol += 1;
        }
        let body_start = eol + 1;
        let mut i = body_start;
        while i < self.chars.len() {
            let mut j = i;
            while j < self.chars.len() && self.chars[j] != '\n' {
                j += 1;
            }
            let line: String = self.chars[i..j].iter().collect();
            if line.trim_start_matches('\t') == delim {
                let end = (j + 1).min(self.chars.len());
                if body_start <= self.chars.len() {
                    self.chars.drain(body_start.min(end)..end);
                }
                return;
            }
            i = j + 1;
        }
        // Unterminated: the rest is body.
        if body_start < self.chars.len() {
            self.chars.truncate(body_start);
        }
    }

    fn word(&mut self) -> Word {
        let mut text = String::new();
        let mut dynamic = false;
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\'' => {
                    self.pos += 1;
                    while let Some(d) = self.peek() {
                        self.pos += 1;
                        if d == '\'' {
                            break;
                        }
                        text.push(d);
                    }
                }
                '"' => {
                    self.pos += 1;
                    while let Some(d) = self.peek() {
                        self.pos += 1;
                        match d {
                            '"' => break,
                            '\\' => match self.peek() {
                                Some(n @ ('"' | '\\' | '$' | '`')) => {
                                    self.pos += 1;
                                    text.push(n);
                                }
                                Some('\n') => self.pos += 1,
                                _ => text.push('\\'),
                            },
                            '$' => {
                                dynamic = true;
                                text.push('$');
                                if self.peek() == Some('(') {
                                    self.balanced(&mut text);
                                }
                            }
                            '`' => {
                                dynamic = true;
                                text.push('`');
                                self.until('`', &mut text);
                            }
                            _ => text.push(d),
                        }
                    }
                }
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => self.pos += 1,
                        Some(n) => {
                            self.pos += 1;
                            text.push(n);
                        }
                        None => {}
                    }
                }
                '$' => {
                    dynamic = true;
                    self.pos += 1;
                    text.push('$');
                    match self.peek() {
                        Some('(') => self.balanced(&mut text),
                        Some('{') => {
                            self.pos += 1;
                            text.push('{');
                            self.until('}', &mut text);
                        }
                        _ => {}
                    }
                }
                '`' => {
                    dynamic = true;
                    self.pos += 1;
                    text.push('`');
                    self.until('`', &mut text);
                }
                _ => {
                    self.pos += 1;
                    text.push(c);
                }
            }
        }
        Word { text, dynamic }
    }

    /// Copies `( ... )` with nesting (and quotes inside) into `text`.
    fn balanced(&mut self, text: &mut String) {
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            text.push(c);
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn until(&mut self, end: char, text: &mut String) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            text.push(c);
            if c == end {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progs(s: &Script) -> Vec<Vec<String>> {
        s.commands()
            .iter()
            .map(|c| c.args().iter().map(|w| w.to_string()).collect())
            .collect()
    }

    #[test]
    fn operators_split_commands() {
        let s = parse("apt-get update && apt-get install -y curl; rm -rf /x || true & echo a\nls");
        assert_eq!(s.pipelines.len(), 6);
        assert_eq!(progs(&s)[1], ["apt-get", "install", "-y", "curl"]);
    }

    #[test]
    fn pipes_form_pipelines() {
        let s = parse("curl -fsSL https://x/install.sh | sudo bash -s -- --yes |& tee log");
        assert_eq!(s.pipelines.len(), 1);
        let p = &s.pipelines[0];
        assert_eq!(p.commands.len(), 3);
        assert_eq!(p.commands[1].program(), Some("bash"));
        assert!(p.commands[1].uses_sudo());
    }

    #[test]
    fn quotes_and_escapes() {
        let s = parse(r#"echo 'a && b' "c \"d\" $HOME" e\ f"#);
        assert_eq!(s.pipelines.len(), 1);
        let c = s.commands()[0];
        assert_eq!(c.args(), ["echo", "a && b", "c \"d\" $HOME", "e f"]);
        assert!(c.words[2].dynamic && !c.words[1].dynamic);
    }

    #[test]
    fn substitutions_stay_in_words() {
        let s = parse("echo $(cat /x | wc -l) `date` ${A:-b}; true");
        assert_eq!(s.pipelines.len(), 2);
        assert_eq!(
            s.commands()[0].args(),
            ["echo", "$(cat /x | wc -l)", "`date`", "${A:-b}"]
        );
    }

    #[test]
    fn redirections_are_dropped() {
        let s =
            parse("apt-get install -y foo > /dev/null 2>&1 && cat <in >>out &>/dev/null 2> err");
        assert_eq!(
            progs(&s),
            [vec!["apt-get", "install", "-y", "foo"], vec!["cat"]]
        );
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        let s = parse("cat <<EOF > /etc/x && echo done\nrm -rf /\nEOF\nls\n");
        assert_eq!(progs(&s), [vec!["cat"], vec!["echo", "done"], vec!["ls"]]);
    }

    #[test]
    fn comments_and_assignments() {
        let s = parse("# setup\nDEBIAN_FRONTEND=noninteractive apt-get install -y x # trailing\n");
        let c = s.commands()[0];
        assert_eq!(
            c.assignments,
            [("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())]
        );
        assert_eq!(c.args(), ["apt-get", "install", "-y", "x"]);
    }

    #[test]
    fn sh_c_is_parsed_recursively() {
        let s = parse(
            "sh -c 'apt-get update && apt-get install -y curl' && bash -euo pipefail -c \"sudo yum install x\"",
        );
        let all = s.commands();
        let programs: Vec<_> = all.iter().filter_map(|c| c.program()).collect();
        assert_eq!(programs, ["sh", "apt-get", "apt-get", "bash", "yum"]);
        let exec = from_exec(&["/bin/sh".into(), "-c".into(), "wget -qO- x | sh".into()]);
        assert_eq!(exec.all_pipelines()[1].commands.len(), 2);
    }

    #[test]
    fn wrappers_are_skipped() {
        let s = parse("sudo -u root -E env A=1 nice -n 5 /usr/bin/apt-get install x");
        assert_eq!(s.commands()[0].program(), Some("apt-get"));
        assert!(s.commands()[0].uses_sudo());
    }

    #[test]
    fn subshells_and_groups() {
        let s = parse("(cd /x && make) && { echo a; echo b; }");
        assert_eq!(
            progs(&s),
            [
                vec!["cd", "/x"],
                vec!["make"],
                vec!["echo", "a"],
                vec!["echo", "b"]
            ]
        );
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for s in [
            "echo 'abc",
            "echo \"abc",
            "echo $(abc",
            "echo `x",
            "cat <<EOF",
            "a |",
            "\\",
            "${",
        ] {
            let _ = parse(s);
        }
    }
}
