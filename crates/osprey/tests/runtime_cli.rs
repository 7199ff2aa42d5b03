//! `osprey runtime rules check` and `osprey runtime replay` end to end.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime")
}

fn osprey(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn rules_check_reports_counts_for_the_upstream_files() {
    let rules = runtime_dir().join("rules");
    let files: Vec<String> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| rules.join(f).display().to_string())
    .collect();
    let mut args = vec!["runtime", "rules", "check"];
    args.extend(files.iter().map(String::as_str));
    let out = osprey(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("rules: 93 (81 enabled, 0 skipped)"),
        "{stdout}"
    );
    assert!(stdout.contains("macros: 315 (352 items read)"), "{stdout}");
    assert!(stdout.contains("lists: 118 (163 items read)"), "{stdout}");
    assert!(stdout.contains("condition fields (87): "), "{stdout}");
    assert!(stdout.contains("output fields (61): "), "{stdout}");
}

#[test]
fn rules_check_fails_on_unknown_fields_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    std::fs::write(
        &f,
        "- rule: r\n  desc: d\n  condition: evt.type = open and proc.nonexistent = 1\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    let path = f.display().to_string();
    let out = osprey(&["runtime", "rules", "check", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("r.yaml:1") && err.contains("proc.nonexistent"),
        "{err}"
    );
    let out = osprey(&["runtime", "rules", "check", "--skip-unknown", &path]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("skipped: r: unknown field `proc.nonexistent`")
    );
}

#[test]
fn replay_with_default_rules_writes_json_file_and_webhook() {
    let events = runtime_dir().join("tests/replay/read-sensitive-untrusted.trigger.jsonl");
    let clean = runtime_dir().join("tests/replay/read-sensitive-untrusted.clean.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("stream.jsonl");
    let mut text = std::fs::read_to_string(&clean).unwrap();
    text.push_str(&std::fs::read_to_string(&events).unwrap());
    std::fs::write(&stream, text).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let (mut c, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = c.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
                let t = String::from_utf8_lossy(&req).to_string();
                if let Some(h) = t.find("\r\n\r\n") {
                    let len: usize = t
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if req.len() >= h + 4 + len {
                        bodies.push(t[h + 4..h + 4 + len].to_string());
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        }
        bodies
    });
    let file = dir.path().join("alerts.jsonl");
    let url = format!("http://127.0.0.1:{port}/");
    let out = osprey(&[
        "runtime",
        "replay",
        &stream.display().to_string(),
        "--format",
        "json",
        "--output",
        &file.display().to_string(),
        "--webhook",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(
        alerts
            .iter()
            .all(|a| a["rule"] == "Read sensitive file untrusted" && a["priority"] == "Warning")
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 2);
    let bodies = server.join().unwrap();
    let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(first["rule"], "Read sensitive file untrusted");
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 events, 2 alerts"));
}

#[test]
fn replay_text_from_stdin_with_rate_limit() {
    let line =
        std::fs::read_to_string(runtime_dir().join("tests/replay/remove-bulk-data.trigger.jsonl"))
            .unwrap();
    let first = line.lines().next().unwrap();
    let stream: String = (0..5).map(|_| format!("{first}\n")).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args([
            "runtime",
            "replay",
            "-",
            "--rate-limit",
            "1",
            "--burst",
            "2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.contains(": Warning Bulk data has been removed from disk")),
        "{stdout}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("5 events, 2 alerts, 3 suppressed")
            && err.contains("suppressed 3: Remove Bulk Data from Disk"),
        "{err}"
    );
}

#[test]
fn replay_reports_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, "{\"ts\":1,\"type\":\"open\"}\nnot json\n").unwrap();
    let out = osprey(&["runtime", "replay", &f.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: not an event"));
}
