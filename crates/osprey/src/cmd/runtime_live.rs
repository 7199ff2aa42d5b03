//! `osprey runtime run` and `osprey runtime record`: the live eBPF sensor.
//!
//! `run` evaluates every event against the loaded rules as it arrives and applies the
//! configured responses; `record` writes the events as JSON Lines for `osprey runtime replay`.
//! Both narrow the in-kernel syscall filter (to the rules' event types, or `--syscall`).

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use osprey_runtime::live::{LiveSource, POLL, syscalls_for};
use osprey_runtime::prefilter::{OpenPathFilter, open_path_filter};
use osprey_runtime::respond::{KillPolicy, OpenGuard, kill};
use osprey_runtime::sensor::{AttachReport, Sensor, SensorOptions, SensorStats};

use super::runtime::{OutputArgs, RuleArgs, build_sinks, load_rules, rate_limiter};

/// `osprey runtime run`
#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Stop after this many seconds (default: until interrupted).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// SIGKILL the process behind each alert of this rule (repeatable).
    #[arg(long = "kill-rule", value_name = "RULE")]
    pub kill_rules: Vec<String>,
    /// SIGKILL the process behind each alert of a rule with this tag (repeatable).
    #[arg(long = "kill-tag", value_name = "TAG")]
    pub kill_tags: Vec<String>,
    /// Deny opens of this file (or of the files directly in this directory) through fanotify
    /// permission events; each denial is reported on stderr (repeatable).
    #[arg(long = "deny-open", value_name = "PATH")]
    pub deny_open: Vec<PathBuf>,
    /// Diagnostic for bench/runtime.sh: attach the sensor's hooks with programs that return
    /// at once, evaluate nothing, and wait; measures the kernel's cost of the hooks alone.
    #[arg(long, hide = true)]
    pub empty_hooks: bool,
}

/// `osprey runtime record`
#[derive(clap::Args)]
pub struct RecordArgs {
    /// Event file to write (JSON Lines, the replay format); replaced only when recording ends.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Stop after this many seconds (default: until interrupted).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Record only these syscalls (repeatable; default: every one the sensor supports).
    /// Process execs are always recorded.
    #[arg(long = "syscall", value_name = "NAME")]
    pub syscalls: Vec<String>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// SIGINT and SIGTERM end the run cleanly (the record file is completed, counters printed).
fn catch_interrupts() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

fn deadline(duration: Option<f64>) -> anyhow::Result<Option<Instant>> {
    match duration {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 => {
            Ok(Some(Instant::now() + Duration::from_secs_f64(s)))
        }
        Some(s) => anyhow::bail!("--duration must be a positive number of seconds, got {s}"),
    }
}

fn print_report(report: &AttachReport) {
    for h in &report.hooks {
        match &h.error {
            None => eprintln!("sensor: attached {}", h.hook),
            Some(e) => eprintln!("sensor: FAILED to attach {}: {e}", h.hook),
        }
    }
    eprintln!(
        "sensor: {} syscalls filtered in kernel: {} ({} ms)",
        report.syscalls.len(),
        report.syscalls.join(" "),
        report.attach_ms
    );
}

fn print_stats(events: u64, stats: &SensorStats) {
    eprintln!(
        "sensor: {events} events; kernel submitted {}, dropped {} (ring full), unreadable values {}, opens no rule can match {}; received {}",
        stats.submitted, stats.ring_drops, stats.unreadable, stats.path_filtered, stats.received
    );
    if stats.ring_drops > 0 {
        eprintln!(
            "sensor: WARNING: {} records were lost because the ring buffer was full",
            stats.ring_drops
        );
    }
}

fn start_source(
    syscalls: Option<BTreeSet<String>>,
    open_paths: OpenPathFilter,
) -> anyhow::Result<LiveSource> {
    let describe = |patterns: &Option<BTreeSet<_>>| match patterns {
        Some(p) => format!("{} paths the rules name", p.len()),
        None => "all (a rule matches them whatever the path)".to_string(),
    };
    eprintln!(
        "sensor: opens forwarded: read-only: {}; writing: {}",
        describe(&open_paths.read_only),
        describe(&open_paths.writing)
    );
    let source = LiveSource::start(syscalls, open_paths).context("starting the eBPF sensor")?;
    print_report(source.report());
    Ok(source)
}

/// `osprey runtime run --empty-hooks`: the sensor's attach points with nothing behind them.
fn hold_empty_hooks(duration: Option<f64>) -> anyhow::Result<ExitCode> {
    let end = deadline(duration)?;
    catch_interrupts();
    let (tx, _records) = std::sync::mpsc::channel();
    let options = SensorOptions {
        empty_hooks: true,
        ..Default::default()
    };
    let sensor = Sensor::start(options, tx).context("starting the eBPF sensor")?;
    for h in &sensor.report().hooks {
        match &h.error {
            None => eprintln!("sensor: attached {} (empty)", h.hook),
            Some(e) => eprintln!("sensor: FAILED to attach {}: {e}", h.hook),
        }
    }
    eprintln!("sensor: empty hooks attached; nothing is reported");
    while !INTERRUPTED.load(Ordering::Relaxed) && end.is_none_or(|d| Instant::now() < d) {
        std::thread::sleep(POLL);
    }
    let stats = sensor.stop()?;
    print_stats(0, &stats);
    Ok(ExitCode::SUCCESS)
}

/// `osprey runtime run`
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.empty_hooks {
        return hold_empty_hooks(args.duration);
    }
    let (ruleset, engine) = load_rules(&args.rules)?;
    let known: BTreeSet<&str> = engine.rules().iter().map(|r| r.name.as_str()).collect();
    if let Some(missing) = args.kill_rules.iter().find(|r| !known.contains(r.as_str())) {
        anyhow::bail!("--kill-rule {missing:?}: no such rule in the loaded rule files");
    }
    let policy = KillPolicy {
        rules: args.kill_rules.iter().cloned().collect(),
        tags: args.kill_tags.iter().cloned().collect(),
    };
    let mut sinks = build_sinks(&args.output)?;
    let mut limiter = rate_limiter(&args.output);
    let end = deadline(args.duration)?;
    catch_interrupts();
    let _guard = if args.deny_open.is_empty() {
        None
    } else {
        let guard = OpenGuard::start(&args.deny_open, |d| {
            eprintln!(
                "response: denied open of {} by pid {}",
                d.path.display(),
                d.pid
            );
        })
        .context("starting the fanotify open guard")?;
        Some(guard)
    };
    let open_paths = open_path_filter(&ruleset);
    let mut source = start_source(syscalls_for(&engine.report.event_types), open_paths)?;

    let (mut events, mut alerts, mut sink_errors) = (0u64, 0u64, 0u64);
    let mut matched = Vec::new();
    let mut evaluate = |ev: &osprey_runtime::event::Event| {
        events += 1;
        matched.clear();
        engine.matches(ev, &mut matched);
        for &idx in &matched {
            let rule = &engine.rules()[idx as usize];
            if let Some(l) = limiter.as_mut()
                && !l.allow(idx as usize, &rule.name, ev.ts)
            {
                continue;
            }
            alerts += 1;
            let alert = engine.alert(idx, ev);
            for s in sinks.iter_mut() {
                if let Err(e) = s.emit(&alert).and_then(|()| s.flush()) {
                    sink_errors += 1;
                    if sink_errors == 1 {
                        eprintln!("alert delivery failed: {e}");
                    }
                }
            }
            if policy.selects(&rule.name, &rule.tags) {
                match kill(ev.thread.pid) {
                    Ok(()) => eprintln!(
                        "response: killed pid {} ({}) for `{}`",
                        ev.thread.pid, ev.thread.name, rule.name
                    ),
                    Err(e) => eprintln!("response: could not kill pid {}: {e}", ev.thread.pid),
                }
            }
        }
    };
    while !INTERRUPTED.load(Ordering::Relaxed) && end.is_none_or(|d| Instant::now() < d) {
        if let Some(ev) = source.next_event(Instant::now() + POLL) {
            evaluate(&ev);
        }
    }
    let (rest, stats) = source.stop()?;
    rest.iter().for_each(&mut evaluate);
    print_stats(events, &stats);
    eprintln!("{alerts} alerts");
    if sink_errors > 0 {
        anyhow::bail!("{sink_errors} alert deliveries failed");
    }
    Ok(ExitCode::SUCCESS)
}

/// `osprey runtime record`
pub fn record(args: RecordArgs) -> anyhow::Result<ExitCode> {
    let end = deadline(args.duration)?;
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Written beside the target and renamed into place at the end: an interrupted or failed
    // recording never replaces a good file.
    let tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    let mut out = BufWriter::new(tmp.as_file());
    catch_interrupts();
    let syscalls = (!args.syscalls.is_empty()).then(|| args.syscalls.iter().cloned().collect());
    // A recording is for any rules later: every open is kept.
    let mut source = start_source(syscalls, OpenPathFilter::default())?;
    let mut events = 0u64;
    let mut write = |ev: &osprey_runtime::event::Event| -> anyhow::Result<()> {
        serde_json::to_writer(&mut out, ev)?;
        out.write_all(b"\n")?;
        events += 1;
        Ok(())
    };
    while !INTERRUPTED.load(Ordering::Relaxed) && end.is_none_or(|d| Instant::now() < d) {
        if let Some(ev) = source.next_event(Instant::now() + POLL) {
            write(&ev)?;
        }
    }
    let (rest, stats) = source.stop()?;
    for ev in &rest {
        write(ev)?;
    }
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    tmp.persist(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    print_stats(events, &stats);
    eprintln!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
