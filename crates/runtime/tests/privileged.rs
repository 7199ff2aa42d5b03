//! Privileged end-to-end tests: the real eBPF sensor, real behaviours, the upstream Falco
//! rules. Run as root (`cargo test -- --include-ignored`). Where `bpf()` is unavailable each
//! test prints a loud SKIPPED line and returns; any other failure fails.
//!
//! The machine is shared: every test keeps only the events of its own process tree (the
//! shell it spawned and its descendants) or of its own uniquely named container.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::event::Event;
use osprey_runtime::live::LiveSource;
use osprey_runtime::prefilter::{OpenPathFilter, open_path_filter};
use osprey_runtime::rules::Ruleset;
use osprey_runtime::sensor::{SensorError, SensorStats, check_bpf_available};

const IMAGE: &str = "localhost/osprey-busybox:test";

fn rules_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
}

fn engine(extra_files: &[&str]) -> Engine {
    let mut rs = Ruleset::default();
    rs.load_file(&rules_dir().join("falco_rules.yaml")).unwrap();
    for f in extra_files {
        rs.load_file(&rules_dir().join(f)).unwrap();
    }
    Engine::compile(
        &rs,
        EngineOptions {
            skip_unknown: false,
            all_matches: true,
        },
    )
    .unwrap()
}

/// Tests take turns: parallel sensors on a 2-CPU machine slow each other's consumers down,
/// and each test's behaviour is cleaner to attribute alone.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `None` (after a loud message) when this machine cannot load eBPF.
fn start() -> Option<LiveSource> {
    start_filtered(OpenPathFilter::default())
}

/// [`start`] with opens filtered in the kernel as `open_paths` says.
fn start_filtered(open_paths: OpenPathFilter) -> Option<LiveSource> {
    match check_bpf_available() {
        Ok(()) => {}
        Err(e @ (SensorError::BpfUnavailable(_) | SensorError::NotRoot)) => {
            eprintln!("\n*** SKIPPED privileged runtime test: {e} ***\n");
            return None;
        }
        Err(e) => panic!("{e}"),
    }
    let source = LiveSource::start(None, open_paths).expect("sensor starts");
    let failed: Vec<_> = source.report().failed().collect();
    assert!(failed.is_empty(), "hooks failed to attach: {failed:?}");
    Some(source)
}

/// Runs `script` under `sh -c` with the sensor on and returns the events of that shell and
/// its descendants.
fn events_of_shell(script: &str) -> Option<Vec<Event>> {
    events_of_shell_filtered(script, OpenPathFilter::default()).map(|(events, _)| events)
}

/// [`events_of_shell`] with opens filtered in the kernel; also returns the sensor's counters.
fn events_of_shell_filtered(
    script: &str,
    open_paths: OpenPathFilter,
) -> Option<(Vec<Event>, SensorStats)> {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut source = start_filtered(open_paths)?;
    let owned = script.to_string();
    let (all, child) = observe(&mut source, move || {
        Command::new("sh")
            .arg("-c")
            .arg(owned)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    assert!(child.status.code().is_some(), "{script}: {child:?}");
    // The shell's pid is the one whose execve of `sh -c SCRIPT` we saw.
    let roots: BTreeSet<i64> = all
        .iter()
        .filter(|e| {
            e.evt_type == "execve"
                && e.thread.name == "sh"
                && e.thread.args.last().is_some_and(|a| a == script)
        })
        .map(|e| e.thread.pid)
        .collect();
    assert!(
        !roots.is_empty(),
        "the shell's own exec was not seen ({} events)",
        all.len()
    );
    let (_, stats) = source.stop().expect("sensor stops");
    Some((
        all.into_iter()
            .filter(|e| {
                roots.contains(&e.thread.pid) || e.ancestors.iter().any(|a| roots.contains(&a.pid))
            })
            .collect(),
        stats,
    ))
}

/// Runs `behaviour` on another thread while consuming events (enrichment reads runtime
/// state that a `--rm` container deletes when it ends), then collects for a short while
/// after it (the ring drains every 100 ms).
fn observe<T: Send + 'static>(
    source: &mut LiveSource,
    behaviour: impl FnOnce() -> T + Send + 'static,
) -> (Vec<Event>, T) {
    let worker = std::thread::spawn(behaviour);
    let mut all = Vec::new();
    while !worker.is_finished() {
        if let Some(ev) = source.next_event(Instant::now() + Duration::from_millis(20)) {
            all.push(ev);
        }
    }
    let deadline = Instant::now() + Duration::from_millis(600);
    while let Some(ev) = source.next_event(deadline) {
        all.push(ev);
    }
    (all, worker.join().expect("behaviour thread"))
}

fn fired(engine: &Engine, events: &[Event]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut m = Vec::new();
    for ev in events {
        m.clear();
        engine.matches(ev, &mut m);
        for &i in &m {
            out.insert(engine.rules()[i as usize].name.clone());
        }
    }
    out
}

fn ensure_image() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        if Command::new("podman")
            .args(["image", "exists", IMAGE])
            .status()
            .is_ok_and(|s| s.success())
        {
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for d in ["bin", "etc", "tmp", "proc", "dev", "sys", "root"] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", r.join("bin/busybox"))
            .expect("busybox-static (scripts/install-test-deps.sh)");
        let list = Command::new("/bin/busybox").arg("--list").output().unwrap();
        for applet in String::from_utf8(list.stdout)
            .unwrap()
            .lines()
            .filter(|a| *a != "busybox")
        {
            std::os::unix::fs::symlink("busybox", r.join("bin").join(applet)).unwrap();
        }
        std::fs::write(
            r.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(r.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let tarball = out.path().join("rootfs.tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(r)
            .arg("-cf")
            .arg(&tarball)
            .arg(".")
            .status()
            .unwrap();
        assert!(st.success(), "tar of the rootfs");
        let st = Command::new("podman")
            .args(["import", "--change", "CMD [\"/bin/sh\"]"])
            .arg(&tarball)
            .arg(IMAGE)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "podman import");
    });
}

/// Runs `cmd` in a fresh container named `name` (extra podman flags first) with the sensor
/// on; returns the events attributed to that container.
fn events_of_container(name: &str, flags: &[&str], cmd: &[&str]) -> Option<Vec<Event>> {
    ensure_image();
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut source = start()?;
    let _ = Command::new("podman").args(["rm", "-f", name]).output();
    let mut args: Vec<String> = [
        "run",
        "--rm",
        "--name",
        name,
        "--runtime",
        "runc",
        "--network",
        "none",
    ]
    .into_iter()
    .chain([
        "--ulimit",
        "nofile=20000:20000",
        "--ulimit",
        "nproc=4096:4096",
    ])
    .chain(flags.iter().copied())
    .chain([IMAGE])
    .chain(cmd.iter().copied())
    .map(String::from)
    .collect();
    let (all, out) = observe(&mut source, move || {
        Command::new("podman")
            .args(std::mem::take(&mut args))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    });
    assert!(out.status.code().is_some(), "{out:?}");
    Some(
        all.into_iter()
            .filter(|e| e.container.as_ref().is_some_and(|c| c.name == name))
            .collect(),
    )
}

fn assert_fired(engine: &Engine, events: &[Event], rule: &str) {
    let fired = fired(engine, events);
    assert!(
        fired.contains(rule),
        "`{rule}` did not fire; fired: {fired:?}; {} events",
        events.len()
    );
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn reading_etc_shadow_is_read_sensitive_file_untrusted() {
    let Some(events) = events_of_shell("cat /etc/shadow > /dev/null") else {
        return;
    };
    let open = events
        .iter()
        .find(|e| e.evt_type == "openat" && e.fd.as_ref().is_some_and(|f| f.name == "/etc/shadow"))
        .expect("openat of /etc/shadow");
    assert_eq!(open.thread.name, "cat");
    assert_eq!(open.ancestors[0].name, "sh");
    assert!(open.res >= 0);
    assert_fired(&engine(&[]), &events, "Read sensitive file untrusted");
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn writing_below_etc_is_write_below_etc() {
    let path = format!("/etc/osprey-test-{}", std::process::id());
    let Some(events) = events_of_shell(&format!("touch {path}; rm -f {path}")) else {
        return;
    };
    let open = events
        .iter()
        .find(|e| e.evt_type == "openat" && e.fd.as_ref().is_some_and(|f| f.name == path))
        .expect("openat of the new file");
    assert!(open.args["flags"].render().contains("O_CREAT"));
    assert_fired(
        &engine(&["falco-sandbox_rules.yaml"]),
        &events,
        "Write below etc",
    );
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn binary_run_from_dev_shm_is_execution_from_dev_shm() {
    let bin = format!("/dev/shm/osprey-true-{}", std::process::id());
    let Some(events) = events_of_shell(&format!("cp /bin/true {bin} && {bin}; rm -f {bin}")) else {
        return;
    };
    let exec = events
        .iter()
        .find(|e| e.evt_type == "execve" && e.thread.exepath == bin)
        .expect("exec from /dev/shm");
    assert_eq!(exec.thread.exe, bin);
    assert_fired(&engine(&[]), &events, "Execution from /dev/shm");
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn ptrace_attach_is_ptrace_attached_to_process() {
    let script = "sleep 5 & strace -p $! -e trace=none -o /dev/null & sleep 0.3; kill %2 %1 2>/dev/null; wait";
    let Some(events) = events_of_shell(script) else {
        return;
    };
    let pt = events
        .iter()
        .find(|e| {
            e.evt_type == "ptrace"
                && e.args.get("request").is_some_and(|r| {
                    r.render().contains("PTRACE_SEIZE") || r.render().contains("PTRACE_ATTACH")
                })
        })
        .expect("ptrace attach event");
    assert_eq!(pt.thread.name, "strace");
    assert_fired(&engine(&[]), &events, "PTRACE attached to process");
}

#[test]
#[ignore = "privileged: loads eBPF and runs podman"]
fn shell_in_a_container_is_attributed_and_detected() {
    let name = format!("osprey-shell-{}", std::process::id());
    let Some(events) = events_of_container(&name, &["-t"], &["sh", "-c", "ls / >/dev/null"]) else {
        return;
    };
    let sh = events
        .iter()
        .find(|e| e.evt_type == "execve" && e.thread.name == "sh")
        .expect("the container's shell exec");
    let c = sh.container.as_ref().unwrap();
    assert_eq!(
        (
            c.image_repository.as_str(),
            c.image_tag.as_str(),
            c.runtime.as_str()
        ),
        ("localhost/osprey-busybox", "test", "podman")
    );
    assert!(!c.privileged);
    assert_ne!(sh.thread.tty, 0, "-t gives the shell a terminal");
    assert_eq!(sh.thread.vpid, 1);
    assert_fired(&engine(&[]), &events, "Terminal shell in container");
}

#[test]
#[ignore = "privileged: loads eBPF and runs podman"]
fn container_connection_to_a_loopback_listener_redirecting_stdio() {
    let name = format!("osprey-nc-{}", std::process::id());
    // busybox sh runs applets through /proc/self/exe (comm `exe`, as Falco would see it too)
    // unless given a path, so the client runs as /bin/nc.
    let script = "nc -l -p 4444 >/dev/null & sleep 0.3; /bin/nc 127.0.0.1 4444 -e /bin/true; wait";
    let Some(events) = events_of_container(&name, &[], &["sh", "-c", script]) else {
        return;
    };
    let connect = events
        .iter()
        .find(|e| {
            e.evt_type == "connect"
                && e.fd
                    .as_ref()
                    .and_then(|f| f.net.as_ref())
                    .is_some_and(|n| n.sport == 4444)
        })
        .expect("connect to 127.0.0.1:4444");
    let net = connect.fd.as_ref().unwrap().net.as_ref().unwrap();
    assert_eq!(
        (net.sip.as_str(), net.l4proto.as_str()),
        ("127.0.0.1", "tcp")
    );
    let rules = engine(&[]);
    assert_fired(&rules, &events, "Netcat Remote Code Execution in Container");
    assert_fired(
        &rules,
        &events,
        "Redirect STDOUT/STDIN to Network Connection in Container",
    );
}

#[test]
#[ignore = "privileged: loads eBPF and runs podman"]
fn kernel_module_load_attempt_in_a_privileged_container() {
    let name = format!("osprey-insmod-{}", std::process::id());
    // A junk "module": the kernel rejects it, the attempt is what counts.
    let script = "head -c 4096 /dev/zero > /tmp/x.ko; insmod /tmp/x.ko; true";
    let Some(events) = events_of_container(&name, &["--privileged"], &["sh", "-c", script]) else {
        return;
    };
    let load = events
        .iter()
        .find(|e| matches!(e.evt_type.as_str(), "init_module" | "finit_module"))
        .expect("module load syscall");
    assert!(load.res < 0, "the junk module must be refused");
    assert!(load.container.as_ref().unwrap().privileged);
    assert_fired(
        &engine(&[]),
        &events,
        "Linux Kernel Module Injection Detected",
    );
}

#[test]
#[ignore = "privileged: loads eBPF and runs podman"]
fn mount_in_a_privileged_container() {
    let name = format!("osprey-mount-{}", std::process::id());
    let script = "mkdir -p /mnt/t && /bin/mount -t tmpfs none /mnt/t && /bin/umount /mnt/t";
    let Some(events) = events_of_container(&name, &["--privileged"], &["sh", "-c", script]) else {
        return;
    };
    let mount = events
        .iter()
        .find(|e| e.evt_type == "mount" && e.thread.name == "mount")
        .expect("mount syscall");
    assert_eq!(mount.args["dir"].render(), "/mnt/t");
    assert_eq!(mount.res, 0);
    assert_fired(
        &engine(&["falco-incubating_rules.yaml"]),
        &events,
        "Mount Launched in Privileged Container",
    );
}

#[test]
#[ignore = "privileged: loads eBPF, builds a small crate"]
fn benign_baseline_fires_no_stable_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        "cd {d} && cargo new --quiet --vcs none demo && cd demo && cargo build --quiet --offline && ./target/debug/demo >/dev/null \
         && ls -la /etc >/dev/null && cat /etc/hostname /etc/os-release >/dev/null && sort /etc/passwd | head -1 >/dev/null \
         && tar -C {d} -czf {d}/demo.tgz demo && rm -rf {d}/demo"
    );
    let Some(events) = events_of_shell(&script) else {
        return;
    };
    assert!(
        events.iter().any(|e| e.thread.name == "rustc"),
        "the build ran under the sensor"
    );
    let fired = fired(&engine(&[]), &events);
    assert!(
        fired.is_empty(),
        "benign activity fired {fired:?} over {} events",
        events.len()
    );
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn opens_no_rule_can_match_are_dropped_in_the_kernel_and_the_others_still_alert() {
    let mut rs = Ruleset::default();
    rs.load_file(&rules_dir().join("falco_rules.yaml")).unwrap();
    let filter = open_path_filter(&rs);
    assert!(
        filter.read_only.is_some(),
        "the stable rules give a read filter"
    );
    let script = "i=0; while [ $i -lt 300 ]; do read -r x < /etc/hostname; i=$((i+1)); done; \
                  cat /etc/shadow > /dev/null; cat /etc/./hostname > /dev/null; \
                  echo x > /tmp/osprey-prefilter-test; rm -f /tmp/osprey-prefilter-test";
    let Some((events, stats)) = events_of_shell_filtered(script, filter) else {
        return;
    };
    let opened = |path: &str| {
        events
            .iter()
            .filter(|e| e.evt_type == "openat" && e.fd.as_ref().is_some_and(|f| f.name == path))
            .count()
    };
    assert_eq!(
        opened("/etc/hostname"),
        1,
        "only the open not in normal form"
    );
    assert!(opened("/etc/shadow") >= 1);
    assert!(
        opened("/tmp/osprey-prefilter-test") >= 1,
        "writes are all forwarded"
    );
    assert!(stats.path_filtered >= 300, "{stats:?}");
    assert_fired(&engine(&[]), &events, "Read sensitive file untrusted");
}

/// The kernel's test of normal form (a word-at-a-time scan, then byte by byte) against its
/// userspace mirror, [`OpenPathFilter::forwards`], with every odd spelling at every offset
/// within an eight-byte word, and at the longest path the kernel compares.
#[test]
#[ignore = "privileged: loads eBPF"]
fn the_kernel_forwards_exactly_the_opens_its_mirror_says() {
    let wanted = "/osprey-scan-wanted";
    let filter = OpenPathFilter {
        read_only: Some(BTreeSet::from([
            osprey_runtime::prefilter::PathPattern::Exact(wanted.into()),
        ])),
        writing: None,
    };
    let mut paths = vec![
        wanted.to_string(),
        format!("/{}", "b".repeat(253)),
        format!("/{}", "b".repeat(254)),
        format!("/{}", "b".repeat(255)),
        format!("/{}/", "c".repeat(252)),
        format!("/{}//", "c".repeat(251)),
        format!("/{}/.", "c".repeat(251)),
    ];
    for pad in 0..16 {
        let dir = format!("/osprey-scan{}", "a".repeat(pad));
        for tail in [
            "/f", "//f", "/./f", "/.f", "/../f", "/f/.", "/f/..", "/f.", "/a.b", "/a..b", "/f/",
            "/.", "/..", "/...",
        ] {
            paths.push(format!("{dir}{tail}"));
        }
    }
    // The list is read from a file: a command line this long would be cut in the exec record.
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), paths.join("\n") + "\n").unwrap();
    let script = format!(
        "while read -r p; do cat \"$p\" >/dev/null 2>&1; done < {}",
        list.path().display()
    );
    let Some((events, stats)) = events_of_shell_filtered(&script, filter.clone()) else {
        return;
    };
    let forwarded: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.evt_type == "openat")
        .filter_map(|e| e.fd.as_ref().map(|f| f.nameraw.as_str()))
        .collect();
    assert!(paths.iter().any(|p| filter.forwards(p, false)));
    assert!(paths.iter().any(|p| !filter.forwards(p, false)));
    for p in &paths {
        assert_eq!(
            forwarded.contains(p.as_str()),
            filter.forwards(p, false),
            "{p:?} ({} bytes)",
            p.len()
        );
    }
    assert_eq!(stats.ring_drops, 0, "{stats:?}");
}

#[test]
#[ignore = "privileged: loads eBPF"]
fn startup_report_and_counters() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(source) = start() else { return };
    let report = source.report().clone();
    assert_eq!(report.hooks.len(), 4);
    assert!(report.syscalls.contains(&"openat") && report.syscalls.contains(&"connect"));
    let child = Command::new("true").status().unwrap();
    assert!(child.success());
    std::thread::sleep(Duration::from_millis(300));
    let (_, stats) = source.stop().unwrap();
    assert!(stats.submitted > 0 && stats.received > 0);
    assert_eq!(stats.ring_drops, 0);
    assert_eq!(stats.decode_errors, 0);
}
