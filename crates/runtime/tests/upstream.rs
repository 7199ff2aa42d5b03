//! The three upstream Falco rule files load and compile with every field supplied.

use std::collections::BTreeSet;
use std::path::PathBuf;

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::fields;
use osprey_runtime::rules::Ruleset;

const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(name)
}

fn load(names: &[&str]) -> Ruleset {
    let mut rs = Ruleset::default();
    for n in names {
        rs.load_file(&path(n)).unwrap_or_else(|e| panic!("{e}"));
    }
    rs
}

#[test]
fn all_three_files_load_with_zero_unsupported_fields() {
    let rs = load(&FILES);
    let read = rs.items_read;
    assert_eq!((read.rules, read.macros, read.lists), (93, 352, 163));
    // Incubating and sandbox redefine some stable macros and lists: distinct names after merging.
    assert_eq!(
        (rs.rules.len(), rs.macros.len(), rs.lists.len()),
        (93, 315, 118)
    );
    assert_eq!(rs.rules.iter().filter(|r| !r.enabled).count(), 12);
    let engine = Engine::compile(&rs, EngineOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let r = &engine.report;
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_eq!(r.enabled_rules, 81);
    eprintln!(
        "rules {} (enabled {}), macros {}, lists {}, condition fields {}, output fields {}, event types {}",
        r.rules,
        r.enabled_rules,
        r.macros,
        r.lists,
        r.condition_fields.len(),
        r.output_fields.len(),
        r.event_types.len()
    );
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    assert_eq!(r.condition_fields.len(), 87, "{:?}", r.condition_fields);
    assert_eq!(r.output_fields.len(), 61, "{:?}", r.output_fields);
}

#[test]
fn stable_file_alone() {
    let rs = load(&FILES[..1]);
    assert_eq!(
        (rs.rules.len(), rs.macros.len(), rs.lists.len()),
        (25, 87, 49)
    );
    let engine = Engine::compile(&rs, EngineOptions::default()).unwrap();
    assert_eq!(engine.report.enabled_rules, 25);
    let builtin = {
        let mut b = Ruleset::default();
        b.load_str(
            osprey_runtime::DEFAULT_RULES,
            osprey_runtime::DEFAULT_RULES_NAME,
        )
        .unwrap();
        b
    };
    assert_eq!(builtin.rules.len(), 25);
}

/// Enumerates `a.b[...]` field names from the raw text of conditions and outputs (outside
/// quoted strings) independently of the parser, and checks each is in the fields table.
#[test]
fn every_field_named_in_the_files_is_in_the_table() {
    let mut cond = BTreeSet::new();
    let mut out = BTreeSet::new();
    for f in FILES {
        let text = std::fs::read_to_string(path(f)).unwrap();
        let docs: Vec<serde_json::Value> = serde_saphyr::from_str(&text).unwrap();
        for item in docs {
            if let Some(c) = item.get("condition").and_then(|c| c.as_str()) {
                cond.extend(field_names(&strip_quoted(c), false));
            }
            if let Some(o) = item.get("output").and_then(|c| c.as_str()) {
                out.extend(field_names(o, true));
            }
        }
    }
    for (name, arg) in cond.iter().chain(out.iter()) {
        fields::lookup(name, arg.as_deref()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let distinct = |s: &BTreeSet<(String, Option<String>)>| {
        s.iter()
            .map(|(n, a)| {
                if n == "container.mount.dest" {
                    n.clone()
                } else {
                    format!(
                        "{n}{}",
                        a.as_ref().map(|a| format!("[{a}]")).unwrap_or_default()
                    )
                }
            })
            .collect::<BTreeSet<_>>()
    };
    eprintln!(
        "condition fields (mount.dest args folded): {}, output fields: {}",
        distinct(&cond).len(),
        distinct(&out).len()
    );
    assert_eq!(out.len(), 61);
}

fn strip_quoted(s: &str) -> String {
    let mut out = String::new();
    let mut q: Option<char> = None;
    for c in s.chars() {
        match q {
            Some(qc) if c == qc => q = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => q = Some(c),
            None => out.push(c),
        }
    }
    out
}

fn field_names(s: &str, percent: bool) -> Vec<(String, Option<String>)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start_ok = if percent {
            b[i] == b'%'
        } else {
            b[i].is_ascii_alphabetic()
                && (i == 0
                    || !(b[i - 1].is_ascii_alphanumeric()
                        || b[i - 1] == b'_'
                        || b[i - 1] == b'.'
                        || b[i - 1] == b'/'
                        || b[i - 1] == b'-'))
        };
        if !start_ok {
            i += 1;
            continue;
        }
        let start = if percent { i + 1 } else { i };
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
            j += 1;
        }
        while j > start && b[j - 1] == b'.' {
            j -= 1;
        }
        let name = &s[start..j];
        let prefix = name.split('.').next().unwrap_or("");
        let is_field = name.contains('.')
            && [
                "evt",
                "proc",
                "thread",
                "fd",
                "user",
                "group",
                "container",
                "k8s",
                "fs",
            ]
            .contains(&prefix);
        if is_field {
            let mut arg = None;
            if j < b.len()
                && b[j] == b'['
                && let Some(close) = s[j..].find(']')
            {
                arg = Some(s[j + 1..j + close].to_string());
                j += close + 1;
            }
            out.push((name.to_string(), arg));
        }
        i = j.max(i + 1);
    }
    out
}
