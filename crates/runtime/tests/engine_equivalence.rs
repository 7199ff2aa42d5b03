//! The optimised engine (conditions specialised per event type, shared macros and checks
//! evaluated once per event) must match exactly the rules the reference engine (every rule's
//! whole condition tree, evaluated plainly) matches, in the same order.
//!
//! Corpus: every replay-test event (`tests/replay/*.jsonl`, triggering and clean), each also
//! re-typed as every event type the rules name plus one they do not, so each per-type
//! specialisation sees events meant for other types too.

use std::path::{Path, PathBuf};

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::event::Event;
use osprey_runtime::rules::Ruleset;

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// All three upstream rule files, as the engine bench loads them.
fn ruleset() -> Ruleset {
    let mut rs = Ruleset::default();
    for f in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ] {
        rs.load_file(&rules_dir().join(f)).unwrap();
    }
    rs
}

fn replay_events() -> Vec<Event> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            out.push(
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: {e}: {line}", f.display())),
            );
        }
    }
    out
}

fn matches(engine: &Engine, ev: &Event) -> Vec<u32> {
    let mut out = Vec::new();
    engine.matches(ev, &mut out);
    out
}

#[test]
fn optimised_engine_matches_the_reference_on_the_replay_corpus() {
    let rs = ruleset();
    for all_matches in [true, false] {
        let opts = EngineOptions {
            all_matches,
            ..Default::default()
        };
        let fast = Engine::compile(&rs, opts).unwrap();
        let plain = Engine::compile_reference(&rs, opts).unwrap();
        let names = |e: &Engine| e.rules().iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&fast), names(&plain));
        let events = replay_events();
        assert!(
            events.len() >= 50,
            "replay corpus too small: {}",
            events.len()
        );
        let mut types = fast.report.event_types.clone();
        types.push("a_type_no_rule_names".into());
        let (mut checked, mut matched) = (0usize, 0usize);
        for ev in &events {
            let mut variants = vec![ev.clone()];
            variants.extend(types.iter().map(|t| Event {
                evt_type: t.clone(),
                ..ev.clone()
            }));
            for v in &variants {
                let want = matches(&plain, v);
                assert_eq!(
                    matches(&fast, v),
                    want,
                    "all_matches={all_matches}, event {}",
                    serde_json::to_string(v).unwrap()
                );
                checked += 1;
                matched += want.len();
            }
        }
        // The comparison means something only if rules do fire on the corpus.
        assert!(
            matched >= events.len() / 4,
            "only {matched} matches over {checked} events"
        );
    }
}
