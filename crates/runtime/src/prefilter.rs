//! Which opened paths can matter to the loaded rules, so the sensor can drop the others in
//! the kernel.
//!
//! An open/close loop makes one event per open, and nearly all of them (libraries, locale
//! files, `/proc`) can never satisfy a rule: building the record, waking userspace, enriching
//! and evaluating it is the sensor's largest cost. This module reads every enabled rule's
//! condition (macros expanded, lists flattened) and derives a condition on the opened path
//! that the rule *implies* for the open syscalls: `fd.name in (...)` gives exact paths,
//! `fd.name startswith`, `pmatch`, `fd.directory` and the literal head of a `glob` give
//! prefixes, and a check for `..` is met only by paths the kernel forwards anyway. Of a
//! conjunction the most selective part is kept; a disjunction unites its parts; anything
//! else (negated path checks, other fields) constrains nothing. Opens for reading only and
//! other opens are derived apart, since many rules ask for `evt.is_open_write=true`: when
//! some rule that can match an open of one kind constrains nothing, opens of that kind are
//! all forwarded.
//!
//! The kernel applies the result only to absolute paths written in normal form, which are
//! exactly what `fd.name` will be; a relative path, one with `.`/`..` parts, doubled or
//! trailing slashes, or one longer than [`MAX_FILTERED_PATH`] is always forwarded. The
//! rules still evaluate every event that arrives; the filter only spares work on events
//! no rule can match. [`OpenPathFilter::forwards`] mirrors the kernel's decision.

use std::collections::{BTreeSet, HashMap};

use crate::condition::parser::{self, Check, Expr, FieldExpr, Modifier, Op, Rhs};
use crate::condition::{Compiler, Scope, TypeRegistry};
use crate::rules::Ruleset;

/// The syscalls the filter applies to: those whose event is an opened path.
pub const OPEN_SYSCALLS: [&str; 4] = ["open", "openat", "openat2", "creat"];

/// Longest path (bytes, without the NUL) the kernel compares; longer ones are forwarded.
/// The kernel's key is a mode byte, the path and its NUL, in at most 256 bytes.
pub const MAX_FILTERED_PATH: usize = 254;

/// First byte of a kernel table key: which kind of open the entry is for.
const KEY_READ_ONLY: u8 = b'r';
const KEY_WRITING: u8 = b'w';

/// A path the rules may care about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathPattern {
    /// Exactly this path.
    Exact(String),
    /// Any path starting with these bytes.
    Prefix(String),
}

/// The paths of open events to forward to userspace, for opens with `O_RDONLY` access and
/// for the others (write access, `creat`). `None`: forward every open of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenPathFilter {
    /// Opens for reading only.
    pub read_only: Option<BTreeSet<PathPattern>>,
    /// Opens for writing.
    pub writing: Option<BTreeSet<PathPattern>>,
}

impl OpenPathFilter {
    /// Whether the kernel forwards an open of `raw` (the path as the syscall received it),
    /// for writing or not.
    pub fn forwards(&self, raw: &str, writing: bool) -> bool {
        let patterns = if writing {
            &self.writing
        } else {
            &self.read_only
        };
        let Some(patterns) = patterns else {
            return true;
        };
        if !is_filterable(raw.as_bytes()) {
            return true;
        }
        patterns.iter().any(|p| match p {
            PathPattern::Exact(e) => raw == e,
            PathPattern::Prefix(pre) => raw.starts_with(pre.as_str()),
        })
    }

    /// Entries of the kernel's longest-prefix-match table: prefix length in bits and the
    /// bytes, which are the kind of open ([`KEY_READ_ONLY`] or [`KEY_WRITING`]) then the
    /// path. An exact path includes its terminating NUL, so only that path matches it.
    pub fn lpm_entries(&self) -> Vec<(u32, Vec<u8>)> {
        let kinds = [
            (KEY_READ_ONLY, &self.read_only),
            (KEY_WRITING, &self.writing),
        ];
        let mut out = Vec::new();
        for (kind, patterns) in kinds {
            for p in patterns.iter().flatten() {
                let mut bytes = vec![kind];
                match p {
                    PathPattern::Exact(e) => {
                        bytes.extend_from_slice(e.as_bytes());
                        bytes.push(0);
                    }
                    PathPattern::Prefix(pre) => bytes.extend_from_slice(pre.as_bytes()),
                }
                // A longer pattern can never match a path the kernel compares (longer paths
                // are forwarded), so it needs no entry.
                if bytes.len() <= MAX_FILTERED_PATH + 2 {
                    out.push(((bytes.len() * 8) as u32, bytes));
                }
            }
        }
        out
    }
}

/// The kernel's test of whether a path is in the normal form `fd.name` takes, so that
/// comparing the raw bytes is comparing `fd.name`: absolute, no empty, `.` or `..` parts, no
/// trailing slash, not cut. Any `..` at all forwards the path: rules look for `../` inside
/// names too.
fn is_filterable(raw: &[u8]) -> bool {
    if raw.len() < 2 || raw.len() > MAX_FILTERED_PATH || raw[0] != b'/' {
        return false;
    }
    if raw[raw.len() - 1] == b'/' {
        return false;
    }
    let mut i = 0;
    while i + 1 < raw.len() {
        let (c, n) = (raw[i], raw[i + 1]);
        if (c == b'.' && n == b'.') || (c == b'/' && n == b'/') {
            return false;
        }
        if c == b'/' && n == b'.' && (i + 2 == raw.len() || raw[i + 2] == b'/') {
            return false;
        }
        i += 1;
    }
    true
}

/// What a condition implies about the path of an open event.
#[derive(Debug, Clone, PartialEq)]
enum Need {
    /// It cannot hold for an open event.
    Never,
    /// It holds only if the path matches one of these (an empty set: only for paths the
    /// kernel forwards anyway).
    Paths(BTreeSet<PathPattern>),
    /// Nothing is known.
    Anything,
}

impl Need {
    /// Rough share of opens that pass: lower is more selective.
    fn cost(&self) -> f64 {
        match self {
            Need::Never => 0.0,
            Need::Anything => f64::INFINITY,
            Need::Paths(ps) => ps
                .iter()
                .map(|p| match p {
                    PathPattern::Exact(_) => 0.001,
                    PathPattern::Prefix(pre) => {
                        0.3f64.powi(pre.split('/').filter(|c| !c.is_empty()).count() as i32)
                    }
                })
                .sum(),
        }
    }

    fn and(parts: impl IntoIterator<Item = Need>) -> Need {
        let mut best = Need::Anything;
        for p in parts {
            if p == Need::Never {
                return Need::Never;
            }
            if p.cost() < best.cost() {
                best = p;
            }
        }
        best
    }

    fn or(parts: impl IntoIterator<Item = Need>) -> Need {
        let mut all = BTreeSet::new();
        let mut any_possible = false;
        for p in parts {
            match p {
                Need::Never => {}
                Need::Anything => return Need::Anything,
                Need::Paths(ps) => {
                    any_possible = true;
                    all.extend(ps);
                }
            }
        }
        if any_possible {
            Need::Paths(all)
        } else {
            Need::Never
        }
    }
}

/// Derives the filter from the enabled rules of `rs`. A condition that does not parse gives
/// no filter: the engine reports it, and the sensor must not guess.
pub fn open_path_filter(rs: &Ruleset) -> OpenPathFilter {
    let mut scope = Scope::default();
    for m in &rs.macros {
        let Ok(body) = parser::parse(&m.condition) else {
            return OpenPathFilter::default();
        };
        scope.macros.insert(m.name.clone(), body);
    }
    for l in &rs.lists {
        scope.lists.insert(l.name.clone(), l.items.clone());
    }
    let mut conditions = Vec::new();
    for r in rs
        .rules
        .iter()
        .filter(|r| r.enabled && r.source == "syscall")
    {
        // Exceptions only narrow a rule, so the condition alone is a sound bound.
        let Ok(c) = parser::parse(&r.condition) else {
            return OpenPathFilter::default();
        };
        conditions.push(c);
    }
    let filter_for = |writing| {
        let mut deriver = Deriver {
            scope: &scope,
            writing,
            memo: HashMap::new(),
            depth: 0,
        };
        match Need::or(conditions.iter().map(|c| deriver.need(c, false))) {
            Need::Anything => None,
            Need::Never => Some(BTreeSet::new()),
            Need::Paths(patterns) => Some(patterns),
        }
    };
    OpenPathFilter {
        read_only: filter_for(false),
        writing: filter_for(true),
    }
}

/// Deepest macro nesting followed; deeper conditions constrain nothing.
const MAX_MACRO_DEPTH: usize = 64;

struct Deriver<'s> {
    scope: &'s Scope,
    /// Deriving for opens with write access (else for read-only opens).
    writing: bool,
    /// Macros are shared by many rules: each is derived once per polarity.
    memo: HashMap<(String, bool), Need>,
    depth: usize,
}

impl Deriver<'_> {
    /// What `e` (negated when `negated`) implies for open events.
    fn need(&mut self, e: &Expr, negated: bool) -> Need {
        match (e, negated) {
            (Expr::And(xs), false) | (Expr::Or(xs), true) => {
                let parts: Vec<Need> = xs.iter().map(|x| self.need(x, negated)).collect();
                Need::and(parts)
            }
            (Expr::Or(xs), false) | (Expr::And(xs), true) => {
                let parts: Vec<Need> = xs.iter().map(|x| self.need(x, negated)).collect();
                Need::or(parts)
            }
            (Expr::Not(x), _) => self.need(x, !negated),
            (Expr::Macro(name), _) => self.macro_need(name, negated),
            (Expr::Check(c), _) => self.check_need(c, negated),
        }
    }

    fn macro_need(&mut self, name: &str, negated: bool) -> Need {
        let key = (name.to_string(), negated);
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        let Some(body) = self.scope.macros.get(name) else {
            return Need::Anything;
        };
        if self.depth >= MAX_MACRO_DEPTH {
            return Need::Anything;
        }
        self.depth += 1;
        let need = self.need(body, negated);
        self.depth -= 1;
        self.memo.insert(key, need.clone());
        need
    }

    fn values(&self, rhs: &Rhs) -> Option<Vec<String>> {
        let items = match rhs {
            Rhs::Value(v) => std::slice::from_ref(v),
            Rhs::List(items) | Rhs::Modified(Modifier::AnyOf | Modifier::OneOf, items) => items,
            _ => return None,
        };
        let mut types = TypeRegistry::default();
        let mut out = Vec::new();
        Compiler::new(self.scope, &mut types)
            .expand(items, &mut out, &mut Vec::new())
            .ok()?;
        Some(out)
    }

    fn check_need(&self, c: &Check, negated: bool) -> Need {
        let FieldExpr::Field { name, arg: None } = &c.lhs else {
            return Need::Anything;
        };
        let Some(values) = self.values(&c.rhs) else {
            return Need::Anything;
        };
        if name == "evt.type" {
            return type_need(c.op, &values, negated);
        }
        // A read-only open is known to be a read and not a write.
        if !self.writing
            && let ("evt.is_open_write" | "evt.is_open_read", Op::Eq | Op::Ne, [v]) =
                (name.as_str(), c.op, values.as_slice())
            && let Ok(wanted) = v.parse::<bool>()
        {
            let actual = name == "evt.is_open_read";
            let holds = (actual == wanted) == (c.op == Op::Eq);
            return if holds != negated {
                Need::Anything
            } else {
                Need::Never
            };
        }
        if negated {
            return Need::Anything;
        }
        let patterns: Option<BTreeSet<PathPattern>> = match (name.as_str(), c.op) {
            ("fd.name" | "fd.nameraw", Op::Eq | Op::In) => values
                .into_iter()
                .map(|v| Some(PathPattern::Exact(v)))
                .collect(),
            ("fd.name" | "fd.nameraw", Op::StartsWith | Op::PMatch)
            | ("fd.directory", Op::StartsWith | Op::PMatch) => values
                .into_iter()
                .map(|v| Some(PathPattern::Prefix(v)))
                .collect(),
            ("fd.directory", Op::Eq | Op::In) => values
                .into_iter()
                .map(|d| {
                    Some(PathPattern::Prefix(if d.ends_with('/') {
                        d
                    } else {
                        format!("{d}/")
                    }))
                })
                .collect(),
            ("fd.name" | "fd.nameraw", Op::Glob) => values
                .into_iter()
                .map(|g| {
                    let head: String = g.chars().take_while(|c| !"*?[\\".contains(*c)).collect();
                    head.starts_with('/').then_some(PathPattern::Prefix(head))
                })
                .collect(),
            // Met only by paths with `..` or `//`, which the kernel always forwards.
            ("fd.name" | "fd.nameraw", Op::Contains)
                if values.iter().all(|v| v.contains("..") || v.contains("//")) =>
            {
                Some(BTreeSet::new())
            }
            _ => None,
        };
        match patterns {
            // A relative pattern can never equal a normal absolute path; the kernel forwards
            // every path that is not one, so such patterns need no entry.
            Some(ps) => Need::Paths(
                ps.into_iter()
                    .filter(|p| match p {
                        PathPattern::Exact(s) | PathPattern::Prefix(s) => s.starts_with('/'),
                    })
                    .collect(),
            ),
            None => Need::Anything,
        }
    }
}

/// An `evt.type` check, for the open syscalls: `Never` when no open syscall passes it.
fn type_need(op: Op, values: &[String], negated: bool) -> Need {
    let listed = |t: &&str| values.iter().any(|v| v == t);
    let passes_some = match (op, negated) {
        (Op::Eq | Op::In, false) | (Op::Ne, true) => OPEN_SYSCALLS.iter().any(listed),
        (Op::Eq | Op::In, true) | (Op::Ne, false) => !OPEN_SYSCALLS.iter().all(listed),
        _ => true,
    };
    if passes_some {
        Need::Anything
    } else {
        Need::Never
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(yaml: &str) -> OpenPathFilter {
        let mut rs = Ruleset::default();
        rs.load_str(yaml, "test.yaml").unwrap();
        open_path_filter(&rs)
    }

    fn rule(cond: &str) -> String {
        format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: WARNING\n")
    }

    fn set(patterns: &[PathPattern]) -> Option<BTreeSet<PathPattern>> {
        Some(patterns.iter().cloned().collect())
    }

    #[test]
    fn normal_form_is_what_the_kernel_compares() {
        for p in ["/etc/shadow", "/a", "/a.b/c.d", "/etc/.hidden"] {
            assert!(is_filterable(p.as_bytes()), "{p}");
        }
        for p in [
            "etc/shadow",
            "/etc//shadow",
            "/etc/./shadow",
            "/etc/../etc/shadow",
            "/a/b../c",
            "/etc/",
            "/etc/.",
            "/",
            "",
        ] {
            assert!(!is_filterable(p.as_bytes()), "{p}");
        }
        let long = format!("/{}", "a".repeat(MAX_FILTERED_PATH));
        assert!(!is_filterable(long.as_bytes()));
    }

    #[test]
    fn exact_prefix_directory_and_glob_checks_give_patterns() {
        let f = filter(&format!(
            "- list: shadowy\n  items: [/etc/shadow, /etc/gshadow]\n\
             - macro: sensitive\n  condition: fd.name in (shadowy) or fd.directory in (/etc/pam.d)\n\
             {}",
            rule(
                "evt.type in (open, openat) and (sensitive or fd.name startswith /root/.ssh \
                 or fd.name glob '/home/*/.aws/*' or fd.name pmatch (/boot))"
            )
        ));
        assert_eq!(f.read_only, f.writing);
        assert!(f.forwards("/etc/shadow", false) && f.forwards("/etc/gshadow", true));
        assert!(!f.forwards("/etc/shadowx", false) && !f.forwards("/etc/hostname", false));
        assert!(f.forwards("/etc/pam.d/common-auth", false) && !f.forwards("/etc/pam.dx", false));
        assert!(f.forwards("/root/.ssh/id_rsa", false));
        assert!(f.forwards("/home/u/.aws/credentials", false));
        assert!(f.forwards("/boot/vmlinuz", false) && !f.forwards("/usr/lib/libc.so.6", false));
        // whatever the rules say, paths not in normal form reach userspace
        assert!(f.forwards("hostname", false) && f.forwards("/etc/../etc/hostname", false));
    }

    #[test]
    fn a_conjunction_keeps_its_most_selective_part() {
        let f = filter(&rule(
            "evt.type = openat and fd.name startswith /etc and fd.name in (/etc/shadow, /etc/sudoers)",
        ));
        let exact = set(&[
            PathPattern::Exact("/etc/shadow".into()),
            PathPattern::Exact("/etc/sudoers".into()),
        ]);
        assert_eq!(f.read_only, exact);
        // `..` in the name: only paths the kernel forwards anyway
        let f = filter(&rule(
            "evt.type = openat and fd.name startswith /etc and fd.nameraw contains '../'",
        ));
        assert_eq!(f.read_only, set(&[]));
        assert!(f.forwards("/etc/x/../shadow", false) && !f.forwards("/etc/shadow", false));
    }

    #[test]
    fn rules_that_cannot_match_an_open_do_not_widen_the_filter() {
        let f = filter(&format!(
            "{}{}{}",
            rule("evt.type = openat and fd.name = /etc/shadow"),
            rule("evt.type = execve and proc.name = sh").replace("r\n", "exec\n"),
            rule("not evt.type in (open, openat, openat2, creat) and proc.name = x")
                .replace("r\n", "other\n"),
        ));
        assert_eq!(f.read_only.unwrap().len(), 1);
    }

    #[test]
    fn write_only_rules_leave_read_only_opens_filtered() {
        let f = filter(&format!(
            "{}{}",
            rule("evt.type = openat and fd.name = /etc/shadow"),
            rule("evt.type = openat and evt.is_open_write=true and fd.name endswith release_agent")
                .replace("r\n", "w\n"),
        ));
        assert_eq!(
            f.read_only,
            set(&[PathPattern::Exact("/etc/shadow".into())])
        );
        assert_eq!(f.writing, None);
        assert!(f.forwards("/sys/fs/cgroup/x/release_agent", true));
        assert!(!f.forwards("/sys/fs/cgroup/x/release_agent", false));
        // `evt.is_open_read=false` and `not evt.is_open_write=false` say the same
        for cond in ["evt.is_open_read=false", "not evt.is_open_write=false"] {
            let f = filter(&rule(&format!("evt.type = openat and {cond}")));
            assert_eq!(f.read_only, set(&[]), "{cond}");
        }
    }

    #[test]
    fn an_unconstrained_open_rule_or_a_negated_path_check_means_no_filter() {
        for cond in [
            "evt.type = openat and proc.name = cat",
            "evt.type = openat and not fd.name startswith /usr",
            "fd.name = /etc/shadow or proc.name = x",
        ] {
            assert_eq!(filter(&rule(cond)), OpenPathFilter::default(), "{cond}");
        }
        // a disabled rule does not count
        let disabled = rule("evt.type = openat and proc.name = cat") + "  enabled: false\n";
        assert_eq!(filter(&disabled).read_only, set(&[]));
    }

    #[test]
    fn lpm_entries_keep_exact_paths_exact() {
        let f = OpenPathFilter {
            read_only: set(&[
                PathPattern::Exact("/etc/shadow".into()),
                PathPattern::Prefix("/root/".into()),
            ]),
            writing: None,
        };
        assert_eq!(
            f.lpm_entries(),
            vec![
                (13 * 8, b"r/etc/shadow\0".to_vec()),
                (7 * 8, b"r/root/".to_vec())
            ]
        );
    }

    #[test]
    fn upstream_stable_rules_filter_ordinary_reads() {
        let mut rs = Ruleset::default();
        rs.load_str(crate::DEFAULT_RULES, crate::DEFAULT_RULES_NAME)
            .unwrap();
        let f = open_path_filter(&rs);
        for quiet in [
            "/etc/hostname",
            "/etc/ld.so.cache",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/proc/self/stat",
            "/tmp/build/output.o",
        ] {
            assert!(!f.forwards(quiet, false), "{quiet} forwarded by {f:?}");
        }
        for wanted in ["/etc/shadow", "/etc/sudoers", "/etc/pam.d/sshd"] {
            assert!(f.forwards(wanted, false), "{wanted} dropped");
        }
        // `Clear Log Activities` and the release_agent rule look at writes by file name
        assert!(f.writing.is_none());
    }
}
