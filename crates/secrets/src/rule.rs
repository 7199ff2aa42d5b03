//! What a rule declares ([`RuleSpec`], [`AllowSpec`]) and its compiled, ready-to-run form.
//!
//! Built-in rules and user rules from a config file go through the same compiler, so the same
//! checks hold for both: the regex must compile, must have a bounded match length (so matching
//! stays linear in the input, see [`compile_regex`]), and a named `secret` group, when present,
//! says which part of the match is the secret.

use crate::shape::{RequiredBytes, reach_around};
use globset::{Glob, GlobMatcher};
use osprey_model::Severity;
use regex::bytes::Regex;
use regex_automata::{PatternID, meta, util::syntax};
use regex_syntax::hir::Hir;
use std::sync::OnceLock;

/// Longest match any rule may produce. Bounding it keeps every search linear in the input:
/// the regex engines stop extending a candidate match after this many bytes.
pub const MAX_MATCH_LEN: usize = 16 * 1024;

/// Extra test a candidate must pass after its regex matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Check {
    /// No extra test.
    #[default]
    None,
    /// GitHub's token format: the last 6 characters are the CRC32 of the 30 random characters
    /// before them, in base62 (`ghp_`, `gho_`, `ghu_`, `ghs_`).
    GithubCrc32,
    /// A JSON Web Token: header and payload are base64url JSON, the header names an `alg`, and
    /// the payload is not a well-known documentation example.
    Jwt,
    /// Base64 of `user:password`, as in Docker's `auths` and npm's `_auth`.
    BasicAuthBase64,
}

/// A rule as declared, before compilation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// Stable ID (`aws-access-key-id`).
    pub id: String,
    /// Category (`AWS`, `GitHub`, ...).
    pub category: String,
    /// Human title.
    pub title: String,
    /// Severity of a finding.
    pub severity: Severity,
    /// Literal strings (matched case-insensitively) of which at least one must occur in the
    /// file before the regex runs. Empty means "always run".
    pub keywords: Vec<String>,
    /// The regex (Rust `regex` syntax, ASCII classes, matched against raw bytes).
    pub regex: String,
    /// Name of the capture group holding the secret; the whole match when the group is absent.
    pub secret_group: String,
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 disables the gate.
    pub min_entropy: f64,
    /// Extra format check.
    pub check: Check,
    /// A generic rule (password assignments, URL credentials): dropped where a specific rule
    /// found the same secret.
    pub generic: bool,
    /// Literal strings that must all occur somewhere in the file.
    pub requires: Vec<String>,
    /// For block secrets (private keys): the literal that ends the block. The finding's end
    /// line and the redaction extend to the line holding it.
    pub block_end: Option<String>,
    /// Regex on the path: the rule only runs on matching paths.
    pub path: Option<String>,
    /// Do not run on documentation files (Markdown, reStructuredText, man pages, READMEs,
    /// package descriptions), whose credentials are examples.
    pub skip_docs: bool,
    /// Allow rules of this rule only.
    pub allow: Vec<AllowSpec>,
}

impl RuleSpec {
    /// A rule with the given identity and regex and every option at its default.
    pub fn new(
        id: impl Into<String>,
        category: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
        regex: impl Into<String>,
    ) -> Self {
        RuleSpec {
            id: id.into(),
            category: category.into(),
            title: title.into(),
            severity,
            keywords: Vec::new(),
            regex: regex.into(),
            secret_group: "secret".into(),
            min_entropy: 0.0,
            check: Check::None,
            generic: false,
            requires: Vec::new(),
            block_end: None,
            path: None,
            skip_docs: false,
            allow: Vec::new(),
        }
    }
}

/// An allow rule: findings it matches are dropped. Every field given must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowSpec {
    /// Stable ID (`tests`, `placeholders`).
    pub id: String,
    /// Why the allow rule exists.
    pub description: String,
    /// Regex on the file path (Trivy's `path`).
    pub path: Option<String>,
    /// Glob on the file path (`**/fixtures/**`).
    pub glob: Option<String>,
    /// Regex on the secret (or the whole match when the rule has no secret group).
    pub regex: Option<String>,
}

/// A rule or allow rule that did not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule `{rule}`{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct RuleError {
    /// ID of the rule at fault.
    pub rule: String,
    /// Line of the rule in the config file, when it came from one.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

/// Where a rule comes from, which decides how its keywords are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The built-in catalogue: every match contains one of the rule's keywords (the tests
    /// check this for every rule), so the regex only runs near keyword occurrences, keywords
    /// are matched with the regex's own case sensitivity, and the regex is built on first use.
    Builtin,
    /// A user rule: Trivy's semantics, where keywords are a case-insensitive file-level
    /// prefilter and the regex runs over the whole file once any keyword occurs.
    User,
}

/// A compiled rule. The regex is checked when the rule is compiled but, for built-in rules,
/// only built the first time the rule's keyword occurs: most scans need a fraction of the
/// catalogue, and building every regex up front would dominate a small scan.
#[derive(Debug)]
pub(crate) struct Rule {
    pub spec: RuleSpec,
    matcher: OnceLock<Matcher>,
    pub path: Option<Regex>,
    pub allow: Vec<AllowRule>,
    /// User rules search whole files, as Trivy's keyword semantics have it; built-in rules
    /// search windows around their keyword occurrences (see [`Rule::reach`]).
    whole_file: bool,
    shape: OnceLock<Shape>,
    /// Keywords must occur with this exact case (a built-in rule whose regex is
    /// case-sensitive); otherwise they are matched case-insensitively.
    pub exact_keywords: bool,
}

/// What a rule's regex says about every match, read off its syntax tree on first use.
#[derive(Debug)]
struct Shape {
    /// For each keyword (by index in the spec), how far before and after an occurrence a
    /// match containing it can reach.
    around: Vec<(usize, usize)>,
    required: RequiredBytes,
}

/// A rule's built regex and the index of its secret group.
#[derive(Debug)]
pub(crate) struct Matcher {
    pub regex: meta::Regex,
    pub secret_idx: Option<usize>,
}

impl Matcher {
    /// Builds the regex of a rule that searches whole files (`whole_file`) or small windows
    /// around its keywords.
    ///
    /// Same syntax and semantics as [`build_regex`], with less built up front. Literal
    /// prefilters (a quarter of the build time of the catalogue) pay off only on long
    /// haystacks, so windowed rules go without; the one-pass DFA (a tenth) only speeds up
    /// capture groups on a match, which is rare. A scan builds each regex it needs on first
    /// use, so this time is part of every scan.
    fn build(spec: &RuleSpec, whole_file: bool) -> Result<Self, String> {
        let regex = meta::Builder::new()
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .multi_line(true),
            )
            .configure(
                meta::Config::new()
                    .utf8_empty(false)
                    .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                    .hybrid_cache_capacity(DFA_SIZE_LIMIT)
                    .onepass(false)
                    .auto_prefilter(whole_file),
            )
            .build(&spec.regex)
            .map_err(|e| format!("invalid regex: {e}"))?;
        let secret_idx = regex
            .group_info()
            .to_index(PatternID::ZERO, &spec.secret_group);
        Ok(Matcher { regex, secret_idx })
    }
}

/// A compiled allow rule.
#[derive(Debug)]
pub(crate) struct AllowRule {
    path: Option<AllowRegex>,
    glob: Option<GlobMatcher>,
    regex: Option<AllowRegex>,
}

/// An allow rule's regex: checked when the rule is compiled, built then for a user rule (so
/// that every error shows at start-up) and on first use for a built-in one (a test builds
/// each). Building the built-in ones took about a millisecond, and a scan starts its layers
/// only after its secret scanner is ready; on first use the cost falls on a worker instead.
#[derive(Debug)]
struct AllowRegex {
    pattern: String,
    regex: OnceLock<Regex>,
}

impl AllowRegex {
    fn compile(pattern: &str, origin: Origin) -> Result<Self, String> {
        check_regex(pattern)?;
        let regex = OnceLock::new();
        if origin == Origin::User {
            let _ = regex.set(build_regex(pattern)?);
        }
        Ok(AllowRegex {
            pattern: pattern.to_string(),
            regex,
        })
    }

    fn get(&self) -> &Regex {
        self.regex.get_or_init(|| {
            build_regex(&self.pattern)
                .unwrap_or_else(|e| panic!("built-in allow regex `{}`: {e}", self.pattern))
        })
    }
}

impl AllowRule {
    /// Compiles an allow rule; `owner` names the rule it belongs to (for errors).
    pub fn compile(spec: &AllowSpec, owner: &str, origin: Origin) -> Result<Self, RuleError> {
        let err = |message: String| RuleError {
            rule: format!("{owner}/allow/{}", spec.id),
            line: None,
            message,
        };
        if spec.path.is_none() && spec.glob.is_none() && spec.regex.is_none() {
            return Err(err("an allow rule needs `path`, `glob` or `regex`".into()));
        }
        let path = spec
            .path
            .as_deref()
            .map(|p| AllowRegex::compile(p, origin).map_err(|e| err(format!("path: {e}"))))
            .transpose()?;
        let regex = spec
            .regex
            .as_deref()
            .map(|p| AllowRegex::compile(p, origin).map_err(|e| err(format!("regex: {e}"))))
            .transpose()?;
        let glob = spec
            .glob
            .as_deref()
            .map(|g| {
                Glob::new(g)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| err(format!("glob: {e}")))
            })
            .transpose()?;
        Ok(AllowRule { path, glob, regex })
    }

    /// True when this allow rule only looks at paths, so a match skips the whole file.
    pub fn is_path_only(&self) -> bool {
        self.regex.is_none()
    }

    fn path_matches(&self, path: &str) -> bool {
        self.path
            .as_ref()
            .is_none_or(|re| re.get().is_match(path.as_bytes()))
            && self.glob.as_ref().is_none_or(|g| g.is_match(path))
    }

    /// True when a path-only allow rule skips `path`.
    pub fn allows_path(&self, path: &str) -> bool {
        self.is_path_only() && self.path_matches(path)
    }

    /// True when the allow rule drops a finding of `secret` in `path`.
    pub fn allows(&self, path: &str, secret: &[u8]) -> bool {
        self.path_matches(path) && (self.regex.as_ref()).is_none_or(|re| re.get().is_match(secret))
    }
}

/// Compiles a rule regex: ASCII classes over raw bytes, multi-line anchors, and a bounded
/// match length.
///
/// The bound is what makes scanning linear: the `regex` crate never backtracks, and with a
/// bounded match length each search extends a candidate by at most [`MAX_MATCH_LEN`] bytes, so
/// iterating over all matches of a file costs O(file length × pattern size). Unbounded
/// repetitions (`+`, `*`, `{n,}`) are refused with a message that says how to fix them.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    check_regex(pattern)?;
    build_regex(pattern)
}

/// Parses a rule regex with the syntax options every rule regex is built with.
pub(crate) fn parse_regex(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .multi_line(true)
        .build()
        .parse(pattern)
        .map_err(|e| format!("invalid regex: {e}"))
}

/// Parses a rule regex and checks its match length is bounded (see [`compile_regex`]);
/// returns that bound.
fn check_regex(pattern: &str) -> Result<usize, String> {
    max_len(&parse_regex(pattern)?)
}

/// The longest match of a parsed rule regex, or why it is unbounded or too long.
fn max_len(hir: &Hir) -> Result<usize, String> {
    match hir.properties().maximum_len() {
        Some(n) if n <= MAX_MATCH_LEN => Ok(n),
        Some(n) => Err(format!(
            "regex can match {n} bytes; the limit is {MAX_MATCH_LEN} (lower the repetition bounds)"
        )),
        None => Err(
            "regex has an unbounded repetition (`+`, `*` or `{n,}`); give it an upper bound \
             such as `{1,256}` so matching stays linear"
                .into(),
        ),
    }
}

/// Room for a compiled regex (its NFA), and for the lazy DFA's cache of one search thread.
const REGEX_SIZE_LIMIT: usize = 64 << 20;
const DFA_SIZE_LIMIT: usize = 16 << 20;

/// Builds a checked regex.
fn build_regex(pattern: &str) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .multi_line(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex: {e}"))
}

impl Rule {
    /// Compiles a rule; `line` is where it was declared, for errors. A user rule's regex is
    /// checked and built now; a built-in rule's (known to build: a test builds every one) on
    /// first use, which spares a scan the start-up cost of the whole catalogue.
    pub fn compile(spec: RuleSpec, line: Option<u64>, origin: Origin) -> Result<Self, RuleError> {
        let err = |message: String| RuleError {
            rule: spec.id.clone(),
            line,
            message,
        };
        if spec.id.trim().is_empty() {
            return Err(err("`id` is empty".into()));
        }
        let matcher = OnceLock::new();
        let whole_file = origin == Origin::User;
        if whole_file {
            check_regex(&spec.regex).map_err(err)?;
            let _ = matcher.set(Matcher::build(&spec, true).map_err(err)?);
        }
        let path = spec
            .path
            .as_deref()
            .map(|p| compile_regex(p).map_err(|e| err(format!("path: {e}"))))
            .transpose()?;
        let allow = spec
            .allow
            .iter()
            .map(|a| AllowRule::compile(a, &spec.id, origin))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|mut e| {
                e.line = line;
                e
            })?;
        if !(0.0..=8.0).contains(&spec.min_entropy) {
            return Err(err(format!(
                "entropy {} is outside 0..=8 bits per byte",
                spec.min_entropy
            )));
        }
        let builtin = origin == Origin::Builtin;
        // A case-insensitive group anywhere (`(?i)`, `(?i:...)`) may cover the keyword.
        let exact_keywords = builtin && !spec.regex.contains("(?i");
        Ok(Rule {
            spec,
            matcher,
            path,
            allow,
            whole_file,
            shape: OnceLock::new(),
            exact_keywords,
        })
    }

    /// The rule's regex, built on first use.
    pub fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| {
            Matcher::build(&self.spec, false).unwrap_or_else(|e| self.builtin_broken(&e))
        })
    }

    /// For a built-in rule, how many bytes before and after an occurrence of its keyword
    /// `keyword` (an index into the spec's keywords) a match containing it can reach; `None`
    /// for a user rule, which searches the whole file.
    pub fn reach_around(&self, keyword: usize) -> Option<(usize, usize)> {
        (!self.whole_file).then(|| self.shape().around[keyword])
    }

    /// False when no match can lie in `hay`: it lacks every byte of a set that each match
    /// holds one of (see [`RequiredBytes`]).
    pub fn could_match(&self, hay: &[u8]) -> bool {
        self.shape().required.found_in(hay)
    }

    fn shape(&self) -> &Shape {
        self.shape.get_or_init(|| {
            let shape = parse_regex(&self.spec.regex).and_then(|hir| {
                let longest = max_len(&hir)?;
                Ok(Shape {
                    around: (self.spec.keywords.iter())
                        .map(|k| reach_around(&hir, k.as_bytes(), longest))
                        .collect(),
                    required: RequiredBytes::of(&hir, &self.spec.keywords),
                })
            });
            // User rules were checked when compiled, built-in ones by a test.
            shape.unwrap_or_else(|e| self.builtin_broken(&e))
        })
    }

    /// Only built-in rules are checked and built lazily, and a test checks and builds each
    /// of them, so this is a bug in the catalogue.
    fn builtin_broken(&self, e: &str) -> ! {
        panic!("built-in rule `{}` does not build: {e}", self.spec.id)
    }

    /// True when the rule runs on `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        self.path
            .as_ref()
            .is_none_or(|re| re.is_match(path.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbounded_regex_is_refused_with_advice() {
        let e = compile_regex("token=[a-z]+").unwrap_err();
        assert!(e.contains("unbounded"), "{e}");
        assert!(compile_regex("token=[a-z]{1,40}").is_ok());
    }

    #[test]
    fn rule_error_names_rule_and_line() {
        let spec = RuleSpec::new("my-rule", "Custom", Severity::High, "t", "(unclosed");
        let e = Rule::compile(spec, Some(7), Origin::User).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("rule `my-rule` (line 7): invalid regex"),
            "{text}"
        );
    }

    #[test]
    fn allow_rule_needs_a_condition() {
        let e = AllowRule::compile(
            &AllowSpec {
                id: "x".into(),
                ..Default::default()
            },
            "global",
            Origin::User,
        )
        .unwrap_err();
        assert!(e.message.contains("needs"));
    }

    #[test]
    fn builtin_allow_regexes_build() {
        // Built lazily in scans, so a broken one would only show there.
        for spec in crate::builtin::builtin_allow_rules() {
            let rule = AllowRule::compile(&spec, "builtin", Origin::Builtin).unwrap();
            assert!(
                rule.path
                    .iter()
                    .chain(&rule.regex)
                    .all(|re| re.regex.get().is_none())
            );
            for re in rule.path.iter().chain(&rule.regex) {
                re.get();
            }
        }
    }
}
