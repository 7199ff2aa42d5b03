//! Rule-engine throughput driver for `bench/runtime-engine.sh`.
//!
//! `engine_bench generate N OUT [--relevant-only]` writes N synthetic events (JSON Lines): a
//! benign mix of opens, execs, connects and (unless `--relevant-only`) reads/writes/closes
//! that no rule names, with the replay-test attack events sprinkled in.
//! `engine_bench run EVENTS RULES...` loads the rules, parses the events into memory, then
//! evaluates them on one thread and prints events/s (per core) and alerts.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::event::{
    ArgValue, Container, Event, Fd, FdKind, NetTuple, Process, ProcessSummary,
};
use osprey_runtime::rules::Ruleset;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

const PROCS: &[(&str, &str)] = &[
    ("nginx", "/usr/sbin/nginx"),
    ("python3", "/usr/bin/python3"),
    ("java", "/usr/bin/java"),
    ("node", "/usr/bin/node"),
    ("bash", "/usr/bin/bash"),
    ("postgres", "/usr/lib/postgresql/15/bin/postgres"),
    ("ruby", "/usr/bin/ruby"),
    ("containerd", "/usr/bin/containerd"),
];
const FILES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/etc/ld.so.cache",
    "/proc/self/status",
    "/etc/hosts",
    "/etc/passwd",
    "/var/lib/app/data.db",
    "/tmp/upload-1234",
    "/var/log/nginx/access.log",
    "/usr/share/zoneinfo/UTC",
    "/home/app/.cache/pip/http/abc",
];
const EXECS: &[(&str, &[&str])] = &[
    ("ls", &["-la", "/srv"]),
    ("grep", &["-r", "TODO", "src"]),
    ("cat", &["/etc/os-release"]),
    ("sh", &["-c", "date"]),
    ("curl", &["-s", "https://example.com/health"]),
    ("git", &["status"]),
    ("python3", &["manage.py", "migrate"]),
];
const OTHER: &[&str] = &[
    "read",
    "write",
    "close",
    "mmap",
    "fstat",
    "futex",
    "epoll_wait",
];

fn synth(rng: &mut Rng, ts: u64, relevant_only: bool) -> Event {
    let (name, exepath) = *rng.pick(PROCS);
    let in_container = rng.next().is_multiple_of(3);
    let mut ev = Event {
        ts,
        evt_type: String::new(),
        dir: "<".into(),
        thread: Process {
            pid: 1000 + (rng.next() % 5000) as i64,
            name: name.into(),
            exe: name.into(),
            exepath: exepath.into(),
            user: "app".into(),
            uid: 1000,
            start_ts: ts.saturating_sub(60_000_000_000),
            ..Default::default()
        },
        ancestors: vec![
            ProcessSummary {
                pid: 900,
                name: "bash".into(),
                ..Default::default()
            },
            ProcessSummary {
                pid: 1,
                name: "systemd".into(),
                ..Default::default()
            },
        ],
        container: in_container.then(|| Container {
            id: "0123456789ab".into(),
            image_repository: "docker.io/library/python".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let kind = rng.next() % 10;
    let kind = if relevant_only { kind % 6 } else { kind };
    match kind {
        0..=3 => {
            let write = rng.next().is_multiple_of(4);
            // Writes go to the application's own files; reads to anything.
            let path = if write {
                FILES[5 + (rng.next() % (FILES.len() as u64 - 5)) as usize]
            } else {
                *rng.pick(FILES)
            };
            ev.evt_type = "openat".into();
            ev.res = 5;
            ev.args.insert("fd".into(), ArgValue::Int(5));
            ev.args.insert("name".into(), ArgValue::Str(path.into()));
            ev.args.insert(
                "flags".into(),
                ArgValue::Str(
                    if write {
                        "O_WRONLY|O_CREAT|O_APPEND"
                    } else {
                        "O_RDONLY|O_CLOEXEC"
                    }
                    .into(),
                ),
            );
            ev.fd = Some(Fd {
                num: 5,
                kind: FdKind::File,
                name: path.into(),
                ..Default::default()
            });
        }
        4 => {
            let (n, args) = *rng.pick(EXECS);
            ev.evt_type = "execve".into();
            ev.thread.name = n.into();
            ev.thread.exe = n.into();
            ev.thread.exepath = format!("/usr/bin/{n}");
            ev.thread.args = args.iter().map(|a| a.to_string()).collect();
        }
        5 => {
            let public = rng.next().is_multiple_of(2);
            let sip = if public { "93.184.215.14" } else { "10.0.3.7" };
            ev.evt_type = "connect".into();
            if ev.thread.name == "bash" {
                // A shell making connections is what "System procs network activity" flags.
                ev.thread.name = "curl".into();
                ev.thread.exepath = "/usr/bin/curl".into();
            }
            ev.fd = Some(Fd {
                num: 7,
                kind: FdKind::Ipv4,
                name: format!("10.0.0.2:40000->{sip}:443"),
                net: Some(NetTuple {
                    cip: "10.0.0.2".into(),
                    cport: 40000,
                    sip: sip.into(),
                    sport: 443,
                    l4proto: "tcp".into(),
                    connected: true,
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        _ => {
            ev.evt_type = (*rng.pick(OTHER)).into();
            ev.res = 64;
            ev.fd = Some(Fd {
                num: 5,
                kind: FdKind::File,
                name: (*rng.pick(FILES)).into(),
                ..Default::default()
            });
        }
    }
    ev
}

fn generate(n: u64, out: &str, relevant_only: bool) -> std::io::Result<()> {
    let attacks: Vec<Event> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replay"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".trigger.jsonl"))
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap_or_default()
                    .lines()
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect();
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let t0 = 1_764_212_345_000_000_000u64;
    for i in 0..n {
        let mut ev = if i % 1000 == 999 && !attacks.is_empty() {
            attacks[(i / 1000) as usize % attacks.len()].clone()
        } else {
            synth(&mut rng, t0, relevant_only)
        };
        ev.ts = t0 + i * 1000;
        ev.num = i + 1;
        serde_json::to_writer(&mut w, &ev)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

fn run(events: &str, rules: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let mut rs = Ruleset::default();
    for r in rules {
        rs.load_file(std::path::Path::new(r))?;
    }
    // ALL_MATCHES=1 reports every matching rule per event (not only the first), so the match
    // digest below covers every rule's verdict: compare it across engine changes.
    let all_matches = std::env::var("ALL_MATCHES").is_ok_and(|v| v == "1");
    let engine = Engine::compile(
        &rs,
        EngineOptions {
            all_matches,
            ..Default::default()
        },
    )?;
    let t = Instant::now();
    let mut stream = Vec::new();
    for line in BufReader::new(std::fs::File::open(events)?).lines() {
        stream.push(serde_json::from_str::<Event>(&line?)?);
    }
    let parse = t.elapsed().as_secs_f64();
    let mut matched = Vec::new();
    let mut by_rule = vec![0u64; engine.rules().len()];
    // FNV-1a over (event index, rule index) of every match of the first pass.
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    for pass in 0..repeat {
        for (i, ev) in stream.iter().enumerate() {
            matched.clear();
            engine.matches(ev, &mut matched);
            for &m in &matched {
                by_rule[m as usize] += 1;
                if pass == 0 {
                    for b in (i as u64).to_le_bytes().into_iter().chain(m.to_le_bytes()) {
                        digest = (digest ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                    }
                }
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let n = (stream.len() * repeat) as f64;
    let alerts: u64 = by_rule.iter().sum();
    println!(
        "rules {} enabled, {} events, {alerts} alerts (match digest {digest:016x}); eval wall {secs:.3}s, cpu {cpu:.2}s = {:.0} events/s per core (JSON parse {:.0} events/s wall)",
        engine.report.enabled_rules,
        stream.len(),
        n / cpu.max(0.01),
        n / parse
    );
    let mut top: Vec<_> = by_rule
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (i, n) in top.iter().take(8) {
        println!("  {n:>8}  {}", engine.rules()[*i].name);
    }
    Ok(())
}

/// CPU time of this process (user + system), from /proc/self/stat: the machine is shared, so
/// wall time alone would measure other tenants' load.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() >= 3 => {
            generate(
                args[1].parse()?,
                &args[2],
                args.iter().any(|a| a == "--relevant-only"),
            )?;
        }
        Some("run") if args.len() >= 3 => run(&args[1], &args[2..])?,
        _ => {
            eprintln!(
                "usage: engine_bench generate N OUT [--relevant-only] | engine_bench run EVENTS RULES..."
            );
            std::process::exit(2);
        }
    }
    Ok(())
}
