//! Bad and hostile input gets clear errors, never a crash or a silent pass.

use std::io::Cursor;

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::replay::{ReplayError, replay};
use osprey_runtime::rules::{LoadError, Ruleset};

fn compile(text: &str, opts: EngineOptions) -> Result<Engine, LoadError> {
    let mut rs = Ruleset::default();
    rs.load_str(text, "hostile.yaml")?;
    Engine::compile(&rs, opts)
}

fn rule(cond: &str) -> String {
    format!(
        "- rule: r\n  desc: d\n  condition: {cond}\n  output: o %proc.name\n  priority: WARNING\n"
    )
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let e = compile(
        "- rule: r\n  desc: [unterminated\n  priority: WARNING\n",
        EngineOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.file, "hostile.yaml");
    assert!(e.line.is_some(), "{e}");
    let e = compile("- list: l\n  items: {a: b}\n", EngineOptions::default()).unwrap_err();
    assert!(e.to_string().starts_with("hostile.yaml:"), "{e}");
}

#[test]
fn deeply_nested_yaml_is_refused_without_crashing() {
    let deep = format!(
        "- list: l\n  items: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(compile(&deep, EngineOptions::default()).is_err());
}

#[test]
fn condition_nesting_beyond_the_cap() {
    let cond = format!("'{}evt.type = open{}'", "(".repeat(150), ")".repeat(150));
    let e = compile(&format!("\n\n{}", rule(&cond)), EngineOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("nesting deeper than 100"), "{e}");
    let nots = format!("'{}evt.type = open'", "not ".repeat(5000));
    assert!(
        compile(&rule(&nots), EngineOptions::default())
            .unwrap_err()
            .message
            .contains("nesting")
    );
}

#[test]
fn macro_chains_beyond_the_cap() {
    let mut text = String::new();
    for i in 0..150 {
        text.push_str(&format!("- macro: m{i}\n  condition: m{}\n", i + 1));
    }
    text.push_str("- macro: m150\n  condition: evt.type = open\n");
    text.push_str(&rule("m0"));
    let e = compile(&text, EngineOptions::default()).unwrap_err();
    assert!(e.message.contains("nested deeper"), "{e}");
}

#[test]
fn unknown_macro_and_cycles() {
    let e = compile(
        &rule("evt.type = open and not_a_macro"),
        EngineOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.message.contains("rule `r`") && e.message.contains("undefined macro `not_a_macro`"),
        "{e}"
    );
    let lists = "- list: a\n  items: [b]\n- list: b\n  items: [a]\n";
    let e = compile(
        &format!("{lists}{}", rule("proc.name in (a)")),
        EngineOptions::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("list cycle: a -> b -> a"), "{e}");
    let macros = "- macro: x\n  condition: y\n- macro: y\n  condition: x\n";
    let e = compile(&format!("{macros}{}", rule("x")), EngineOptions::default()).unwrap_err();
    assert!(e.message.contains("macro cycle"), "{e}");
}

#[test]
fn unknown_fields_fail_unless_skipped() {
    let text = format!(
        "{}- rule: ok\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
        rule("evt.type = open and proc.no_such_field = 1")
    );
    let e = compile(&text, EngineOptions::default()).unwrap_err();
    assert!(
        e.message.contains("unknown field `proc.no_such_field`")
            && e.message.contains("--skip-unknown"),
        "{e}"
    );
    let engine = compile(
        &text,
        EngineOptions {
            skip_unknown: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(engine.rules().len(), 1);
    assert_eq!(engine.report.skipped.len(), 1);
    assert!(engine.report.skipped[0].1.contains("proc.no_such_field"));
    let out_unknown = "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o %proc.bogus\n  priority: INFO\n";
    assert!(
        compile(out_unknown, EngineOptions::default())
            .unwrap_err()
            .message
            .contains("proc.bogus")
    );
}

#[test]
fn rules_without_event_type_are_warned() {
    let engine = compile(&rule("proc.name = bash"), EngineOptions::default()).unwrap();
    assert!(
        engine
            .report
            .warnings
            .iter()
            .any(|w| w.contains("does not restrict evt.type")),
        "{:?}",
        engine.report.warnings
    );
    let ev: osprey_runtime::event::Event =
        serde_json::from_str(r#"{"ts":1,"num":1,"type":"whatever","thread":{"name":"bash"}}"#)
            .unwrap();
    let mut m = Vec::new();
    engine.matches(&ev, &mut m);
    assert_eq!(m, [0]);
}

#[test]
fn bad_event_lines() {
    let engine = compile(&rule("evt.type = open"), EngineOptions::default()).unwrap();
    let input = "{\"ts\":1,\"type\":\"open\"}\n\n{\"ts\":\"x\"}\n";
    match replay(Cursor::new(input), &engine, None, &mut [], |_| {}) {
        Err(ReplayError::BadEvent { line, message }) => {
            assert_eq!(line, 3);
            assert!(message.contains("not an event"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let long = format!("{{\"ts\":1,\"type\":\"{}\"}}\n", "a".repeat(2 << 20));
    assert!(matches!(
        replay(Cursor::new(long), &engine, None, &mut [], |_| {}),
        Err(ReplayError::BadEvent { line: 1, .. })
    ));
}
