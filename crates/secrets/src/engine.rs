//! The scanner: keyword prefilter, rule regexes, filters, de-duplication, line numbers and
//! redaction.
//!
//! Cost of one file: one Aho-Corasick pass (a DFA) over the bytes for every rule's keywords.
//! Each keyword occurrence marks a window around it for the rules that use the keyword:
//! built-in rules only match text that contains one of their keywords and have a bounded
//! match length, so their regexes run on those windows alone (merged where they overlap);
//! user rules keep Trivy's semantics, where any keyword occurrence runs the regex over the
//! whole file. Rule regexes have a bounded match length (see [`crate::rule::compile_regex`]),
//! so every pass is linear in the file size. Line numbers are computed only for matches, by
//! one forward sweep over the sorted matches.

use crate::builtin::{BUILTIN_RULES, builtin_allow_rules};
use crate::config::{ConfigError, SecretConfig};
use crate::keywords::KeywordSet;
use crate::rule::{AllowRule, Origin, Rule, RuleSpec};
use crate::text::{check_passes, is_binary, shannon_entropy};
use memchr::memmem;
use osprey_model::report::CodeLine;
use osprey_model::{SecretFinding, SecretLocation};
use regex_automata::Input;
use std::ops::Range;
use std::sync::LazyLock;

/// At most this many findings are reported per file; a file with more is noise, not a leak.
pub const MAX_FINDINGS_PER_FILE: usize = 1000;

/// Longest line excerpt shown in `Match` and code lines, in bytes around the secret.
const EXCERPT: usize = 120;
/// A redacted run longer than this is shown as this many `*`.
const MAX_STARS: usize = 40;
/// How far after a block secret's start its end marker is looked for.
const BLOCK_SEARCH: usize = 256 * 1024;
/// Context lines shown before and after a finding.
const CONTEXT_LINES: usize = 2;
/// At most this many code lines per finding.
const MAX_CODE_LINES: usize = 12;

/// ID of the built-in allow rule that drops matches inside public PEM blocks (certificates,
/// public keys, CRLs).
pub const PUBLIC_BLOCKS_ALLOW_ID: &str = "public-certificates";

/// Documentation files (and Python package descriptions, which carry the README), where
/// generic rules and JWTs would mostly find the documentation's own examples. Rules marked
/// `skip_docs` do not run there; specific token rules still do.
const DOC_PATHS: &str = r"(?i)\.(?:md|markdown|mdx|rst|adoc|asciidoc|txt|html?|pod|texi|info|[1-9])$|(?:^|/)(?:readme|changelog|changes|history|news)[^/]{0,255}$|(?:^|/)(?:PKG-INFO|METADATA)$";

/// A compiled set of rules and allow rules, ready to scan bytes.
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<Rule>,
    keywords: KeywordSet,
    /// For each keyword pattern (lowercased), the rules it triggers.
    keyword_rules: Vec<Vec<KeywordUse>>,
    unconditional: Vec<usize>,
    allow: Vec<AllowRule>,
    skip_public_blocks: bool,
}

/// One rule's use of a keyword.
#[derive(Debug)]
struct KeywordUse {
    rule: usize,
    /// Which of the rule's keywords this is.
    keyword: usize,
    /// The keyword as the rule spells it, when the rule needs that exact case.
    exact: Option<Box<[u8]>>,
}

/// Where one rule's regex must run in one input.
#[derive(Debug, Clone)]
struct Search {
    rule: usize,
    /// The window to search (the whole input for user and keyword-less rules).
    window: Range<usize>,
    /// The keyword occurrence that opened the window; `None` when any match counts.
    keyword: Option<Range<usize>>,
}

/// One accepted match, before rendering.
#[derive(Debug, Clone)]
struct Hit {
    rule: usize,
    start: usize,
    end: usize,
    secret: Range<usize>,
    /// End of the redacted range: the secret's end, or the end marker's line for blocks.
    mask_end: usize,
}

impl Scanner {
    /// The built-in rules and allow rules.
    pub fn builtin() -> Self {
        Self::new(&SecretConfig::default()).expect("built-in rules compile (tested)")
    }

    /// Built-in rules adjusted by a user config, plus the config's own rules.
    pub fn new(config: &SecretConfig) -> Result<Self, ConfigError> {
        let mut rules = Vec::new();
        for user in &config.rules {
            rules.push(
                Rule::compile(user.spec.clone(), user.line, Origin::User)
                    .map_err(ConfigError::Rule)?,
            );
        }
        for b in BUILTIN_RULES {
            if config.builtin_enabled(b.id, b.category) {
                rules.push(
                    Rule::compile(b.spec(), None, Origin::Builtin).map_err(ConfigError::Rule)?,
                );
            }
        }
        let mut allow = Vec::new();
        for spec in builtin_allow_rules() {
            if !config.disable_allow_rules.iter().any(|d| d == &spec.id) {
                allow.push(
                    AllowRule::compile(&spec, "builtin", Origin::Builtin)
                        .map_err(ConfigError::Rule)?,
                );
            }
        }
        for user in &config.allow_rules {
            allow.push(
                AllowRule::compile(&user.spec, "global", Origin::User).map_err(|mut e| {
                    e.line = user.line;
                    ConfigError::Rule(e)
                })?,
            );
        }
        let skip_public_blocks = !config
            .disable_allow_rules
            .iter()
            .any(|d| d == PUBLIC_BLOCKS_ALLOW_ID);
        Ok(Self::assemble(rules, allow, skip_public_blocks))
    }

    fn assemble(rules: Vec<Rule>, allow: Vec<AllowRule>, skip_public_blocks: bool) -> Self {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut keyword_rules: Vec<Vec<KeywordUse>> = Vec::new();
        let mut unconditional = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.spec.keywords.is_empty() {
                unconditional.push(i);
            }
            for (k, kw) in rule.spec.keywords.iter().enumerate() {
                let lower = kw.to_ascii_lowercase().into_bytes();
                let keyword_use = KeywordUse {
                    rule: i,
                    keyword: k,
                    exact: rule
                        .exact_keywords
                        .then(|| kw.as_bytes().to_vec().into_boxed_slice()),
                };
                match patterns.iter().position(|p| *p == lower) {
                    Some(p) => keyword_rules[p].push(keyword_use),
                    None => {
                        patterns.push(lower);
                        keyword_rules.push(vec![keyword_use]);
                    }
                }
            }
        }
        Scanner {
            rules,
            keywords: KeywordSet::new(&patterns),
            keyword_rules,
            unconditional,
            allow,
            skip_public_blocks,
        }
    }

    /// The rules this scanner runs, user rules first.
    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.iter().map(|r| &r.spec)
    }

    /// True when a path-only allow rule skips the file at `path` (no need to read it).
    pub fn path_allowed(&self, path: &str) -> bool {
        self.allow.iter().any(|a| a.allows_path(path))
    }

    /// Scans one file's bytes. Binary content (a NUL in the first 8000 bytes) and files a
    /// path allow rule covers yield nothing.
    pub fn scan_file(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        if is_binary(content) || self.path_allowed(path) {
            return Vec::new();
        }
        self.scan_text_file(path, content)
    }

    /// [`Scanner::scan_file`] for a file already known to be text and not allowed by path
    /// (the layer analyzer checks both before it reads a file).
    pub(crate) fn scan_text_file(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        let location = SecretLocation::File {
            path: path.to_string(),
            layer: None,
            in_final_fs: true,
        };
        self.scan_text(path, content, &location)
    }

    /// Scans text that is not a file (a config field, a history line); `path` is what path
    /// rules and path allow rules see.
    pub(crate) fn scan_text(
        &self,
        path: &str,
        content: &[u8],
        location: &SecretLocation,
    ) -> Vec<SecretFinding> {
        let hits = self.find(path, content);
        render(&self.rules, content, &hits, location)
    }

    /// Where each rule must search: a window around every occurrence of a built-in rule's
    /// keyword, the whole input for user rules whose keyword occurs and for keyword-less
    /// rules. Sorted by rule, then position.
    fn plan(&self, content: &[u8]) -> Vec<Search> {
        let whole = |rule| Search {
            rule,
            window: 0..content.len(),
            keyword: None,
        };
        let mut searches: Vec<Search> = self.unconditional.iter().map(|&r| whole(r)).collect();
        let mut whole_file = vec![false; self.rules.len()];
        self.keywords.find_all(content, |pattern, at| {
            for u in &self.keyword_rules[pattern] {
                if u.exact
                    .as_deref()
                    .is_some_and(|kw| kw != &content[at.clone()])
                {
                    continue;
                }
                match self.rules[u.rule].reach_around(u.keyword) {
                    Some((before, after)) => searches.push(Search {
                        rule: u.rule,
                        window: at.start.saturating_sub(before)..content.len().min(at.end + after),
                        keyword: Some(at.clone()),
                    }),
                    None if !whole_file[u.rule] => {
                        whole_file[u.rule] = true;
                        searches.push(whole(u.rule));
                    }
                    None => {}
                }
            }
        });
        searches.sort_by_key(|s| (s.rule, s.window.start));
        searches
    }

    fn find(&self, path: &str, content: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let is_doc = is_doc_path(path);
        let searches = self.plan(content);
        for group in searches.chunk_by(|a, b| a.rule == b.rule) {
            let r = group[0].rule;
            let rule = &self.rules[r];
            if !rule.applies_to(path)
                || (rule.spec.skip_docs && is_doc)
                || rule.allow.iter().any(|a| a.allows_path(path))
                || !rule
                    .spec
                    .requires
                    .iter()
                    .all(|lit| memmem::find(content, lit.as_bytes()).is_some())
            {
                continue;
            }
            let mut block_marker = BlockMarker::default();
            let mut accepted = 0;
            // Built on the first window that may hold a match: for many files none does.
            let mut built = None;
            for Window {
                span: window,
                keywords,
            } in merge_windows(group)
            {
                if !rule.could_match(&content[window.clone()]) {
                    continue;
                }
                let (matcher, caps) = built.get_or_insert_with(|| {
                    let matcher = rule.matcher();
                    (matcher, matcher.regex.create_captures())
                });
                // Searching `content[..window.end]` from `window.start` keeps the context
                // before the window for `^` and fences; the end is cut, which only matters
                // for candidates that do not contain a keyword occurrence (dropped below).
                let haystack = &content[..window.end];
                let mut at = window.start;
                while at < window.end && accepted < MAX_FINDINGS_PER_FILE {
                    matcher
                        .regex
                        .search_captures(&Input::new(haystack).range(at..), caps);
                    let Some(whole) = caps.get_match() else {
                        break;
                    };
                    at = if whole.end() > whole.start() {
                        whole.end()
                    } else {
                        whole.end() + 1
                    };
                    if !contains_keyword(&keywords, whole.range()) {
                        continue;
                    }
                    let secret = matcher
                        .secret_idx
                        .and_then(|i| caps.get_group(i))
                        .map_or(whole.range(), |span| span.range());
                    let value = &content[secret.clone()];
                    if value.is_empty()
                        || shannon_entropy(value) < rule.spec.min_entropy
                        || !check_passes(rule.spec.check, value)
                        || rule.allow.iter().any(|a| a.allows(path, value))
                        || self
                            .allow
                            .iter()
                            .any(|a| !a.is_path_only() && a.allows(path, value))
                    {
                        continue;
                    }
                    let mask_end = match &rule.spec.block_end {
                        Some(marker) => {
                            block_marker.line_end_after(content, secret.end, marker.as_bytes())
                        }
                        None => secret.end,
                    };
                    accepted += 1;
                    hits.push(Hit {
                        rule: r,
                        start: whole.start(),
                        end: whole.end(),
                        secret,
                        mask_end,
                    });
                }
            }
        }
        if self.skip_public_blocks && !hits.is_empty() {
            let public = public_blocks(content);
            if !public.is_empty() {
                hits.retain(|h| !inside_any(&public, h.secret.start));
            }
        }
        dedupe(&self.rules, hits)
    }
}

/// A merged search window of one rule.
struct Window {
    span: Range<usize>,
    /// Keyword occurrences inside (sorted by start), or `None` when any match counts.
    keywords: Option<Vec<Range<usize>>>,
}

/// Merges one rule's overlapping windows (sorted by start).
fn merge_windows(group: &[Search]) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    for s in group {
        match out.last_mut() {
            Some(last) if s.window.start <= last.span.end => {
                last.span.end = last.span.end.max(s.window.end);
                match (&mut last.keywords, &s.keyword) {
                    (Some(k), Some(kw)) => k.push(kw.clone()),
                    (k, _) => *k = None,
                }
            }
            _ => out.push(Window {
                span: s.window.clone(),
                keywords: s.keyword.clone().map(|k| vec![k]),
            }),
        }
    }
    for w in &mut out {
        if let Some(k) = &mut w.keywords {
            k.sort_by_key(|r| r.start);
        }
    }
    out
}

/// True when `keywords` is `None` (any match counts) or one of the occurrences lies inside
/// `span`.
fn contains_keyword(keywords: &Option<Vec<Range<usize>>>, span: Range<usize>) -> bool {
    let Some(keywords) = keywords else {
        return true;
    };
    let first = keywords.partition_point(|k| k.start < span.start);
    keywords[first..]
        .iter()
        .take_while(|k| k.start < span.end)
        .any(|k| k.end <= span.end)
}

/// True for documentation files (see [`DOC_PATHS`]).
fn is_doc_path(path: &str) -> bool {
    static DOCS: LazyLock<regex::bytes::Regex> =
        LazyLock::new(|| crate::rule::compile_regex(DOC_PATHS).expect("constant regex (tested)"));
    DOCS.is_match(path.as_bytes())
}

/// Finds block end markers for one rule over one input. It remembers the last marker found
/// (or that there is none further on), so a file with many block starts and few ends is still
/// searched once from left to right.
#[derive(Default)]
struct BlockMarker {
    /// `Some(Some(p))`: next marker at `p`; `Some(None)`: no marker after the last search start.
    next: Option<Option<usize>>,
}

impl BlockMarker {
    /// End of the line holding the first `marker` after `from`, when it lies within
    /// [`BLOCK_SEARCH`] bytes; `from` itself otherwise.
    fn line_end_after(&mut self, content: &[u8], from: usize, marker: &[u8]) -> usize {
        let next = match self.next {
            Some(Some(p)) if p >= from => Some(p),
            Some(None) => None,
            _ => {
                let found = memmem::find(&content[from..], marker).map(|i| from + i);
                self.next = Some(found);
                found
            }
        };
        match next {
            Some(at) if at - from <= BLOCK_SEARCH => {
                memchr::memchr(b'\n', &content[at..]).map_or(content.len(), |j| at + j)
            }
            _ => from,
        }
    }
}

/// Byte ranges of PEM blocks that hold public material (anything but a private key).
fn public_blocks(content: &[u8]) -> Vec<Range<usize>> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = memmem::find(&content[pos..], BEGIN) {
        let start = pos + i;
        let label_end = content[start..]
            .iter()
            .take(80)
            .position(|&b| b == b'\n')
            .map_or(content.len().min(start + 80), |j| start + j);
        let label = &content[start..label_end];
        // Every BEGIN closes at the next END: an END-less tail ends the search, so the scan
        // stays linear however many BEGINs the input holds.
        let Some(j) = memmem::find(&content[label_end..], END) else {
            break;
        };
        let end = label_end + j + END.len();
        if memmem::find(label, b"PRIVATE").is_none() {
            out.push(start..end);
        }
        pos = end;
    }
    out
}

fn inside_any(ranges: &[Range<usize>], at: usize) -> bool {
    let i = ranges.partition_point(|r| r.start <= at);
    i > 0 && ranges[i - 1].contains(&at)
}

/// Drops repeated hits, generic hits where a specific rule found the same secret, and
/// overlapping generic hits (the earlier rule wins). Returns hits sorted by position.
fn dedupe(rules: &[Rule], mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.secret.start, h.secret.end, h.rule));
    hits.dedup_by(|b, a| a.rule == b.rule && a.secret == b.secret);
    let (specific, generic): (Vec<Hit>, Vec<Hit>) =
        hits.into_iter().partition(|h| !rules[h.rule].spec.generic);
    // Prefix maximum of specific secrets' ends, for an O(log n) overlap test.
    let mut max_end = Vec::with_capacity(specific.len());
    let mut running = 0;
    for h in &specific {
        running = running.max(h.secret.end);
        max_end.push(running);
    }
    let overlaps_specific = |g: &Hit| {
        let n = specific.partition_point(|s| s.secret.start < g.secret.end);
        n > 0 && max_end[n - 1] > g.secret.start
    };
    let mut kept_generic: Vec<Hit> = Vec::new();
    for g in generic.into_iter().filter(|g| !overlaps_specific(g)) {
        match kept_generic.last_mut() {
            Some(last) if last.secret.end > g.secret.start => {
                if g.rule < last.rule {
                    *last = g;
                }
            }
            _ => kept_generic.push(g),
        }
    }
    let mut all = specific;
    all.extend(kept_generic);
    all.sort_by_key(|h| (h.secret.start, h.rule));
    all
}

/// Turns hits into findings: line numbers, redacted match and code lines.
fn render(
    rules: &[Rule],
    content: &[u8],
    hits: &[Hit],
    location: &SecretLocation,
) -> Vec<SecretFinding> {
    if hits.len() > MAX_FINDINGS_PER_FILE {
        tracing::warn!(
            location = ?location,
            total = hits.len(),
            "only the first {MAX_FINDINGS_PER_FILE} secrets of this input are reported"
        );
    }
    let masks = merge_ranges(hits.iter().map(|h| h.secret.start..h.mask_end).collect());
    let mut lines = LineCounter::default();
    let mut out = Vec::new();
    for hit in hits.iter().take(MAX_FINDINGS_PER_FILE) {
        let rule = &rules[hit.rule].spec;
        // A fenced match may begin with the previous line's newline: start at its first
        // byte that is not a line break.
        let first = content[hit.start..hit.end]
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .map_or(hit.start, |i| hit.start + i);
        let last = hit.end.max(hit.mask_end).saturating_sub(1).max(first);
        let start_line = lines.line_of(content, first);
        let end_line = start_line + memchr::memchr_iter(b'\n', &content[first..last]).count();
        let line = line_bounds(content, first);
        let focus = hit.secret.start.clamp(line.start, line.end);
        let redacted_match = render_line(content, line, focus, &masks).trim().to_string();
        let code = code_lines(content, first, start_line, end_line, focus, &masks);
        out.push(SecretFinding {
            rule_id: rule.id.clone(),
            category: rule.category.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            start_line,
            end_line,
            redacted_match,
            location: location.clone(),
            code,
        });
    }
    out
}

/// Sorts ranges and merges the overlapping ones, so a window's masks are found by binary
/// search.
fn merge_ranges(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Counts lines forward from the last position asked; positions must not decrease.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, content: &[u8], at: usize) -> usize {
        if at < self.pos {
            self.pos = 0;
            self.line = 0;
        }
        self.line += memchr::memchr_iter(b'\n', &content[self.pos..at]).count();
        self.pos = at;
        self.line + 1
    }
}

/// How far from a match line bounds are looked for. Lines longer than this are shown cut, so
/// a file of one 50 MB line costs the same per finding as any other.
const LINE_SCAN: usize = 4096;

/// A line around a position: `start..end` excludes the newline (and a `\r` before it).
/// `start_known`/`end_known` are false when the line continues beyond [`LINE_SCAN`].
#[derive(Debug, Clone, Copy)]
struct LineSpan {
    start: usize,
    end: usize,
    start_known: bool,
    end_known: bool,
}

/// The line holding `at`, looked for within [`LINE_SCAN`] bytes on either side.
fn line_bounds(content: &[u8], at: usize) -> LineSpan {
    let back_from = at.saturating_sub(LINE_SCAN);
    let (start, start_known) = match memchr::memrchr(b'\n', &content[back_from..at]) {
        Some(i) => (back_from + i + 1, true),
        None => (back_from, back_from == 0),
    };
    let fwd_to = content.len().min(at + LINE_SCAN);
    let (mut end, end_known) = match memchr::memchr(b'\n', &content[at..fwd_to]) {
        Some(i) => (at + i, true),
        None => (fwd_to, fwd_to == content.len()),
    };
    if end > start && content[end - 1] == b'\r' {
        end -= 1;
    }
    LineSpan {
        start,
        end,
        start_known,
        end_known,
    }
}

/// One line, cut to a window around `focus` when long, with every masked byte replaced.
/// `masks` must be sorted and disjoint.
fn render_line(content: &[u8], line: LineSpan, focus: usize, masks: &[Range<usize>]) -> String {
    let (ls, le) = (line.start, line.end);
    let (from, to) = if le - ls <= 2 * EXCERPT {
        (ls, le)
    } else {
        let from = focus.saturating_sub(EXCERPT / 2).max(ls);
        (from, (from + 2 * EXCERPT).min(le))
    };
    let mut out = Vec::with_capacity(to - from + 8);
    if from > ls || !line.start_known {
        out.extend_from_slice(b"...");
    }
    // `masks` are sorted and disjoint: walk the ones that overlap the window.
    let mut i = from;
    let first = masks.partition_point(|m| m.end <= from);
    for m in masks[first..].iter().take_while(|m| m.start < to) {
        let start = m.start.max(i);
        out.extend_from_slice(&content[i..start]);
        let run_end = m.end.min(to);
        out.extend(std::iter::repeat_n(b'*', (run_end - start).min(MAX_STARS)));
        i = run_end;
    }
    out.extend_from_slice(&content[i..to]);
    if to < le || !line.end_known {
        out.extend_from_slice(b"...");
    }
    scrub_random_runs(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Shortest run of token characters [`scrub_random_runs`] looks at.
const SCRUB_MIN_RUN: usize = 24;
/// Entropy above which such a run is taken for key material (random base64 is near 6 bits per
/// byte; long identifiers and words stay below 4).
const SCRUB_MIN_ENTROPY: f64 = 4.2;

/// Masks long random-looking runs (key bodies, tokens no rule knows) in displayed text, so the
/// lines shown around a finding cannot carry a secret that no rule matched.
fn scrub_random_runs(out: &mut [u8]) {
    let is_token =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-');
    let mut i = 0;
    while i < out.len() {
        if !is_token(out[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < out.len() && is_token(out[i]) {
            i += 1;
        }
        let run = &mut out[start..i];
        if run.len() >= SCRUB_MIN_RUN && shannon_entropy(run) >= SCRUB_MIN_ENTROPY {
            run.fill(b'*');
        }
    }
}

/// Redacted lines around a finding, as Trivy's `Code.Lines`.
fn code_lines(
    content: &[u8],
    first: usize,
    start_line: usize,
    end_line: usize,
    focus: usize,
    masks: &[Range<usize>],
) -> Vec<CodeLine> {
    let mut line = line_bounds(content, first);
    let mut number = start_line;
    for _ in 0..CONTEXT_LINES {
        if !line.start_known || line.start == 0 {
            break;
        }
        line = line_bounds(content, line.start - 1);
        number -= 1;
    }
    let last = (end_line + CONTEXT_LINES).min(number + MAX_CODE_LINES - 1);
    let mut out = Vec::new();
    loop {
        let f = if (line.start..=line.end).contains(&focus) {
            focus
        } else {
            line.start
        };
        out.push(CodeLine {
            number,
            content: render_line(content, line, f, masks),
            is_cause: (start_line..=end_line).contains(&number),
            first_cause: number == start_line,
            last_cause: number == end_line,
        });
        // The next line starts after this one's newline (a `\r` may sit before it); stop at
        // the end of the input, at the last line wanted, or when this line's end is beyond
        // reach.
        let next = memchr::memchr(b'\n', &content[line.end..content.len().min(line.end + 2)])
            .map(|i| line.end + i + 1);
        match next {
            Some(n) if number < last && line.end_known && n < content.len() => {
                line = line_bounds(content, n);
                number += 1;
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_paths() {
        assert!(is_doc_path("app/node/node_modules/axios/README.md"));
        assert!(is_doc_path("usr/share/man/man1/ls.1"));
        assert!(is_doc_path("pkg/CHANGELOG"));
        assert!(!is_doc_path("app/config/settings.py"));
        assert!(!is_doc_path("app/config/.env"));
    }

    #[test]
    fn public_blocks_stop_at_a_missing_end() {
        let text = b"-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n";
        let blocks = public_blocks(text);
        assert_eq!(blocks.len(), 1);
        assert!(inside_any(&blocks, 30));
        assert!(!inside_any(&blocks, 70));
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut line = vec![b'a'; 1000];
        line[500..510].copy_from_slice(b"SECRETSECR");
        let span = line_bounds(&line, 500);
        let masks = [Range {
            start: 500,
            end: 510,
        }];
        let s = render_line(&line, span, 500, &masks);
        assert!(s.starts_with("...") && s.ends_with("..."));
        assert!(s.contains("**********") && !s.contains("SECRET"));
        assert!(s.len() < 2 * EXCERPT + 8);
    }
}
