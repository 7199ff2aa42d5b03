//! Replay tests for every upstream stable rule: hand-written events under `tests/replay/`.
//! `<slug>.trigger.jsonl`: every event must raise the rule; `<slug>.clean.jsonl`: no event may.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::PathBuf;
use std::rc::Rc;

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::output::{Alert, Sink};
use osprey_runtime::replay::replay;
use osprey_runtime::rules::Ruleset;

const CASES: &[(&str, &str)] = &[
    (
        "directory-traversal",
        "Directory traversal monitored file read",
    ),
    (
        "read-sensitive-trusted-after-startup",
        "Read sensitive file trusted after startup",
    ),
    ("read-sensitive-untrusted", "Read sensitive file untrusted"),
    ("run-shell-untrusted", "Run shell untrusted"),
    ("system-user-interactive", "System user interactive"),
    ("terminal-shell-in-container", "Terminal shell in container"),
    (
        "contact-k8s-api-server",
        "Contact K8S API Server From Container",
    ),
    (
        "netcat-rce-in-container",
        "Netcat Remote Code Execution in Container",
    ),
    ("search-private-keys", "Search Private Keys or Passwords"),
    ("clear-log-activities", "Clear Log Activities"),
    ("remove-bulk-data", "Remove Bulk Data from Disk"),
    (
        "symlink-over-sensitive",
        "Create Symlink Over Sensitive Files",
    ),
    (
        "hardlink-over-sensitive",
        "Create Hardlink Over Sensitive Files",
    ),
    (
        "packet-socket-in-container",
        "Packet socket created in container",
    ),
    (
        "redirect-stdio-to-network",
        "Redirect STDOUT/STDIN to Network Connection in Container",
    ),
    (
        "kernel-module-injection",
        "Linux Kernel Module Injection Detected",
    ),
    (
        "debugfs-in-privileged-container",
        "Debugfs Launched in Privileged Container",
    ),
    (
        "release-agent-escape",
        "Detect release_agent File Container Escapes",
    ),
    ("ptrace-attached", "PTRACE attached to process"),
    ("ptrace-anti-debug", "PTRACE anti-debug attempt"),
    ("find-aws-credentials", "Find AWS Credentials"),
    ("execution-from-dev-shm", "Execution from /dev/shm"),
    (
        "drop-and-execute-new-binary",
        "Drop and execute new binary in container",
    ),
    (
        "ssh-non-standard-port",
        "Disallowed SSH Connection Non Standard Port",
    ),
    (
        "fileless-memfd-execution",
        "Fileless execution via memfd_create",
    ),
];

struct Collect(Rc<RefCell<Vec<Alert>>>);

impl Sink for Collect {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.borrow_mut().push(alert.clone());
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn engine() -> Engine {
    let mut rs = Ruleset::default();
    rs.load_str(
        osprey_runtime::DEFAULT_RULES,
        osprey_runtime::DEFAULT_RULES_NAME,
    )
    .unwrap();
    Engine::compile(
        &rs,
        EngineOptions {
            all_matches: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Alerts per event line of `file`.
fn alerts_per_line(engine: &Engine, file: &str) -> Vec<(String, Vec<Alert>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/replay")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    assert!(!lines.is_empty(), "{file} has no events");
    lines
        .into_iter()
        .map(|line| {
            let got = Rc::new(RefCell::new(Vec::new()));
            let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(Collect(got.clone()))];
            let stats = replay(Cursor::new(line.clone()), engine, None, &mut sinks, |e| {
                panic!("{e}")
            })
            .unwrap();
            assert_eq!(stats.events, 1);
            let alerts = got.borrow().clone();
            (line, alerts)
        })
        .collect()
}

#[test]
fn every_stable_rule_has_triggering_and_clean_events() {
    let engine = engine();
    let stable: BTreeSet<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    let covered: BTreeSet<&str> = CASES.iter().map(|(_, r)| *r).collect();
    assert_eq!(stable, covered, "every stable rule needs a case");
    let mut failures = Vec::new();
    for (slug, rule) in CASES {
        for (line, alerts) in alerts_per_line(&engine, &format!("{slug}.trigger.jsonl")) {
            match alerts.iter().find(|a| a.rule == *rule) {
                Some(a) => {
                    assert_eq!(a.source, "syscall");
                    assert!(a.output.contains(": "), "{}", a.output);
                    assert!(!a.output_fields.is_empty());
                }
                None => failures.push(format!(
                    "{slug}: `{rule}` did not fire (got {:?}) for {line}",
                    alerts.iter().map(|a| &a.rule).collect::<Vec<_>>()
                )),
            }
        }
        for (line, alerts) in alerts_per_line(&engine, &format!("{slug}.clean.jsonl")) {
            if alerts.iter().any(|a| a.rule == *rule) {
                failures.push(format!("{slug}: `{rule}` fired on a clean event: {line}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn alert_json_is_falco_shaped() {
    let engine = engine();
    let (_, alerts) = alerts_per_line(&engine, "read-sensitive-untrusted.trigger.jsonl").remove(0);
    let a = alerts
        .iter()
        .find(|a| a.rule == "Read sensitive file untrusted")
        .unwrap();
    assert_eq!(a.priority, "Warning");
    assert_eq!(a.time, "2025-11-27T02:59:05.000000000Z");
    assert!(
        a.output.starts_with(
            "02:59:05.000000000: Warning Sensitive file opened for reading by non-trusted program"
        ),
        "{}",
        a.output
    );
    assert_eq!(a.output_fields["fd.name"], "/etc/shadow");
    assert_eq!(a.output_fields["proc.name"], "cat");
    assert_eq!(a.output_fields["user.uid"], 0);
    assert!(
        a.output_fields["proc.aname[2]"].is_null(),
        "missing ancestor is null"
    );
    assert!(a.tags.iter().any(|t| t == "maturity_stable"));
}

#[test]
fn first_match_mode_reports_one_rule_per_event() {
    let mut rs = Ruleset::default();
    rs.load_str(osprey_runtime::DEFAULT_RULES, "stable")
        .unwrap();
    let engine = Engine::compile(&rs, EngineOptions::default()).unwrap();
    // nginx reading /etc/shadow long after start matches two stable rules.
    let line = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/replay/read-sensitive-trusted-after-startup.trigger.jsonl"),
    )
    .unwrap();
    let mut ev: osprey_runtime::event::Event =
        serde_json::from_str(line.lines().next().unwrap()).unwrap();
    ev.num = 1;
    let mut all = Vec::new();
    self::engine().matches(&ev, &mut all);
    assert!(all.len() >= 2, "{all:?}");
    let mut first = Vec::new();
    engine.matches(&ev, &mut first);
    assert_eq!(first.len(), 1);
}
