//! The eBPF sensor: loads `src/bpf/sensor.bpf.c` (compiled by build.rs), attaches its raw
//! tracepoints, programs the in-kernel syscall filter, and drains the ring buffer on its own
//! thread into a channel of decoded [`Record`]s. Enrichment into [`crate::event::Event`]s
//! is [`crate::enrich`]'s job; this module knows only the kernel side.

mod syscalls;
mod wire;

use std::collections::BTreeSet;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use libbpf_rs::skel::{OpenSkel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, RingBufferBuilder};
use serde::Serialize;

pub(crate) use syscalls::{Arg, FlagSource, NR_EXECVEAT, Result as SyscallResult, by_nr};
pub(crate) use syscalls::{
    render_bpf_cmd, render_clone_flags, render_domain, render_mode, render_open_flags,
    render_ptrace_request,
};
pub(crate) use wire::split_argv;
pub use wire::{Header, Record, SockTuple, decode};

use crate::prefilter::OpenPathFilter;

#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}

/// Why the sensor could not start.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    /// Not running as root (loading tracing programs needs CAP_BPF and CAP_PERFMON).
    #[error("the eBPF sensor needs root (CAP_BPF + CAP_PERFMON); run as root")]
    NotRoot,
    /// The kernel refuses `bpf()` altogether.
    #[error("bpf() is unavailable on this kernel or in this sandbox: {0}")]
    BpfUnavailable(String),
    /// An unknown syscall name was asked for.
    #[error("unknown syscall {0:?}: the sensor reports {1}")]
    UnknownSyscall(String, String),
    /// Opening, loading or attaching failed.
    #[error("loading the eBPF sensor: {0}")]
    Load(String),
}

/// What to trace.
#[derive(Debug, Clone)]
pub struct SensorOptions {
    /// Syscall names to report (Falco spelling); `None` reports every supported one.
    /// Process events (exec, fork, exit) are always on: enrichment needs them.
    pub syscalls: Option<BTreeSet<String>>,
    /// Longest wait before the consumer drains the ring when no wake-up came.
    pub poll_interval: Duration,
    /// Which opened paths to forward (see [`crate::prefilter`]); the default forwards all.
    pub open_paths: OpenPathFilter,
    /// Diagnostic: attach every hook with programs that return at once and report nothing,
    /// so that a benchmark can tell the kernel's cost of the attach points themselves (the
    /// syscall-tracepoint slow path) from the sensor's own work.
    pub empty_hooks: bool,
}

impl Default for SensorOptions {
    fn default() -> Self {
        SensorOptions {
            syscalls: None,
            poll_interval: Duration::from_millis(100),
            open_paths: OpenPathFilter::default(),
            empty_hooks: false,
        }
    }
}

/// One program's attach outcome.
#[derive(Debug, Clone, Serialize)]
pub struct HookStatus {
    /// Hook, as `raw_tracepoint/NAME`.
    pub hook: String,
    /// `None` when attached, else the error.
    pub error: Option<String>,
}

/// The startup report: what attached, what did not, which syscalls pass the kernel filter.
#[derive(Debug, Clone, Serialize)]
pub struct AttachReport {
    /// Every hook with its outcome.
    pub hooks: Vec<HookStatus>,
    /// Syscalls enabled in the in-kernel filter.
    pub syscalls: Vec<&'static str>,
    /// Open + load + attach time in milliseconds.
    pub attach_ms: u64,
}

impl AttachReport {
    /// Hooks that failed to attach.
    pub fn failed(&self) -> impl Iterator<Item = &HookStatus> {
        self.hooks.iter().filter(|h| h.error.is_some())
    }
}

/// Counters: the kernel's per-CPU counters summed, plus what userspace received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SensorStats {
    /// Records the kernel wrote to the ring.
    pub submitted: u64,
    /// Records lost because the ring was full.
    pub ring_drops: u64,
    /// Values (paths, argv) the kernel could not read; the record went out with them empty.
    pub unreadable: u64,
    /// Syscall exits that passed the in-kernel filter.
    pub syscalls: u64,
    /// Opens dropped in the kernel because no loaded rule can match their path.
    pub path_filtered: u64,
    /// Records userspace took from the ring.
    pub received: u64,
    /// Records userspace could not decode.
    pub decode_errors: u64,
}

/// A running sensor. Dropping it without [`Sensor::stop`] also stops it.
pub struct Sensor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<SensorStats, SensorError>>>,
    report: AttachReport,
    stats: Arc<Mutex<SensorStats>>,
}

/// Checks that this process may load tracing programs: root, and a kernel that answers
/// `bpf()`. Tests use it to skip loudly where eBPF is not available.
pub fn check_bpf_available() -> Result<(), SensorError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(SensorError::NotRoot);
    }
    // BPF_MAP_CREATE of a one-slot array: the cheapest call that proves bpf() works.
    let mut attr = [0u32; 30];
    attr[0] = 2; // BPF_MAP_TYPE_ARRAY
    attr[1] = 4; // key_size
    attr[2] = 4; // value_size
    attr[3] = 1; // max_entries
    // SAFETY: attr is a zeroed, correctly sized `union bpf_attr` prefix for BPF_MAP_CREATE.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            0,
            attr.as_mut_ptr(),
            std::mem::size_of_val(&attr),
        )
    };
    if fd < 0 {
        return Err(SensorError::BpfUnavailable(
            std::io::Error::last_os_error().to_string(),
        ));
    }
    // SAFETY: fd is a descriptor this function just received and owns.
    unsafe { libc::close(fd as i32) };
    Ok(())
}

/// Nanoseconds to add to a `CLOCK_BOOTTIME` stamp to get Unix-epoch time.
pub fn boot_to_epoch_offset() -> i128 {
    fn now(clock: libc::clockid_t) -> i128 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a valid timespec to write into.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
    }
    now(libc::CLOCK_REALTIME) - now(libc::CLOCK_BOOTTIME)
}

impl Sensor {
    /// Loads and attaches the sensor and starts draining into `sink`. Returns once the
    /// programs are attached (or failed to), with the startup report available.
    pub fn start(options: SensorOptions, sink: Sender<Record>) -> Result<Sensor, SensorError> {
        check_bpf_available()?;
        let enabled = enabled_syscalls(options.syscalls.as_ref())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(SensorStats::default()));
        let (ready_tx, ready_rx) = sync_channel(1);
        let thread = {
            let stop = Arc::clone(&stop);
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name("osprey-sensor".into())
                .spawn(move || run(&enabled, &options, &sink, &stop, &stats, ready_tx))
                .map_err(|e| SensorError::Load(format!("spawning the sensor thread: {e}")))?
        };
        match ready_rx.recv() {
            Ok(report) => Ok(Sensor {
                stop,
                thread: Some(thread),
                report,
                stats,
            }),
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                Ok(Ok(_)) => SensorError::Load("the sensor thread ended before attaching".into()),
                Err(_) => SensorError::Load("the sensor thread panicked".into()),
            }),
        }
    }

    /// What attached.
    pub fn report(&self) -> &AttachReport {
        &self.report
    }

    /// The latest counters (refreshed about once a second, and at stop).
    pub fn stats(&self) -> SensorStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Detaches, drains what is left in the ring, and returns the final counters.
    pub fn stop(mut self) -> Result<SensorStats, SensorError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(SensorError::Load("the sensor thread panicked".into())),
            None => Ok(self.stats()),
        }
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn enabled_syscalls(
    wanted: Option<&BTreeSet<String>>,
) -> Result<Vec<&'static syscalls::Syscall>, SensorError> {
    let Some(wanted) = wanted else {
        return Ok(syscalls::SYSCALLS.iter().collect());
    };
    let mut out: Vec<&'static syscalls::Syscall> = syscalls::SYSCALLS
        .iter()
        .filter(|s| syscalls::STATE_SYSCALLS.contains(&s.name))
        .collect();
    for name in wanted
        .iter()
        .filter(|n| !syscalls::STATE_SYSCALLS.contains(&n.as_str()))
    {
        if matches!(name.as_str(), "execve" | "execveat") {
            continue; // always on through sched_process_exec
        }
        match syscalls::SYSCALLS.iter().find(|s| s.name == name) {
            Some(s) => out.push(s),
            None => {
                let known: Vec<&str> = syscalls::SYSCALLS.iter().map(|s| s.name).collect();
                return Err(SensorError::UnknownSyscall(name.clone(), known.join(", ")));
            }
        }
    }
    Ok(out)
}

/// Every syscall name the sensor can report.
pub fn supported_syscalls() -> impl Iterator<Item = &'static str> {
    syscalls::SYSCALLS
        .iter()
        .map(|s| s.name)
        .chain(["execve", "execveat"])
}

fn load_err(what: &str) -> impl Fn(libbpf_rs::Error) -> SensorError + '_ {
    move |e| SensorError::Load(format!("{what}: {e}"))
}

fn read_stats(map: &dyn MapCore) -> [u64; wire::STAT_COUNT] {
    let mut out = [0u64; wire::STAT_COUNT];
    for (i, slot) in out.iter_mut().enumerate() {
        let key = (i as u32).to_ne_bytes();
        if let Ok(Some(per_cpu)) = map.lookup_percpu(&key, MapFlags::ANY) {
            *slot = per_cpu
                .iter()
                .filter_map(|v| v.get(..8).and_then(|b| b.try_into().ok()))
                .map(u64::from_ne_bytes)
                .sum();
        }
    }
    out
}

/// The `path_filter` byte of a syscall's layout (`PATH_FILTER_*` of sensor.h): where its
/// open flags are, and which kinds of open `filter` restricts; 0 for other syscalls.
fn path_filter_byte(s: &syscalls::Syscall, filter: &OpenPathFilter) -> u8 {
    let mut kinds = 0;
    if filter.read_only.is_some() {
        kinds |= wire::PATH_FILTER_READ_ONLY;
    }
    if filter.writing.is_some() {
        kinds |= wire::PATH_FILTER_WRITING;
    }
    // Without a filter the kernel need not even look at the open's flags.
    if kinds == 0 || !crate::prefilter::OPEN_SYSCALLS.contains(&s.name) {
        return 0;
    }
    let flags_at = s.args.iter().find_map(|a| match a {
        syscalls::Arg::OpenFlags(_, FlagSource::Reg(i)) => Some(*i as u8 + 1),
        syscalls::Arg::OpenFlags(_, FlagSource::OpenHow(_)) => {
            Some(wire::PATH_FILTER_FLAGS_OPEN_HOW)
        }
        _ => None,
    });
    // no flags argument: creat, which always writes
    flags_at.unwrap_or(wire::PATH_FILTER_ALWAYS_WRITING) | kinds
}

fn run(
    enabled: &[&'static syscalls::Syscall],
    options: &SensorOptions,
    sink: &Sender<Record>,
    stop: &AtomicBool,
    shared_stats: &Mutex<SensorStats>,
    ready: SyncSender<AttachReport>,
) -> Result<SensorStats, SensorError> {
    let started = Instant::now();
    let open_paths = &options.open_paths;
    let mut object = MaybeUninit::uninit();
    let mut open = skel::SensorSkelBuilder::default()
        .open(&mut object)
        .map_err(load_err("opening the BPF object"))?;
    let rodata = open
        .maps
        .rodata_data
        .as_deref_mut()
        .ok_or_else(|| SensorError::Load("no .rodata".into()))?;
    rodata.self_tgid = std::process::id();
    rodata.empty_hooks = u8::from(options.empty_hooks);
    let mut loaded = open.load().map_err(load_err("loading the BPF programs"))?;

    // The path table first: a layout that names it must never see it half-filled.
    for (prefix_bits, bytes) in open_paths.lpm_entries() {
        let mut key = [0u8; 4 + 256];
        key[..4].copy_from_slice(&prefix_bits.to_ne_bytes());
        key[4..4 + bytes.len()].copy_from_slice(&bytes);
        loaded
            .maps
            .open_paths
            .update(&key, &[1u8], MapFlags::ANY)
            .map_err(load_err("programming the open path filter"))?;
    }
    for s in enabled {
        let value = [
            1u8,
            s.strings[0] as u8,
            s.strings[1] as u8,
            s.layout,
            path_filter_byte(s, open_paths),
            0,
            0,
            0,
        ];
        loaded
            .maps
            .layouts
            .update(&s.nr.to_ne_bytes(), &value, MapFlags::ANY)
            .map_err(load_err("programming the syscall filter"))?;
    }

    let progs = &mut loaded.progs;
    let attempts = [
        (
            "raw_tracepoint/sched_process_exec",
            progs.handle_exec.attach(),
        ),
        (
            "raw_tracepoint/sched_process_fork",
            progs.handle_fork.attach(),
        ),
        (
            "raw_tracepoint/sched_process_exit",
            progs.handle_exit.attach(),
        ),
        ("tp_btf/sys_exit", progs.handle_sys_exit.attach()),
    ];
    let mut links = Vec::new();
    let mut hooks = Vec::new();
    for (hook, result) in attempts {
        match result {
            Ok(link) => {
                links.push(link);
                hooks.push(HookStatus {
                    hook: hook.into(),
                    error: None,
                });
            }
            Err(e) => hooks.push(HookStatus {
                hook: hook.into(),
                error: Some(e.to_string()),
            }),
        }
    }
    if links.is_empty() {
        return Err(SensorError::Load(format!("no hook attached: {hooks:?}")));
    }

    let received = std::cell::Cell::new(0u64);
    let decode_errors = std::cell::Cell::new(0u64);
    let consumer_gone = std::cell::Cell::new(false);
    let mut builder = RingBufferBuilder::new();
    builder
        .add(&loaded.maps.events, |bytes: &[u8]| {
            match decode(bytes) {
                Some(record) => {
                    received.set(received.get() + 1);
                    // A closed receiver means the consumer is gone: nothing left to do.
                    if sink.send(record).is_err() {
                        consumer_gone.set(true);
                        return -1;
                    }
                }
                None => decode_errors.set(decode_errors.get() + 1),
            }
            0
        })
        .map_err(load_err("registering the ring buffer"))?;
    let ring = builder
        .build()
        .map_err(load_err("building the ring buffer"))?;

    let report = AttachReport {
        hooks,
        syscalls: enabled.iter().map(|s| s.name).collect(),
        attach_ms: started.elapsed().as_millis() as u64,
    };
    let _ = ready.send(report);

    let snapshot = |counters: [u64; wire::STAT_COUNT]| SensorStats {
        submitted: counters[wire::STAT_SUBMITTED as usize],
        ring_drops: counters[wire::STAT_RING_DROPS as usize],
        unreadable: counters[wire::STAT_UNREADABLE as usize],
        syscalls: counters[wire::STAT_SYSCALLS as usize],
        path_filtered: counters[wire::STAT_PATH_FILTERED as usize],
        received: received.get(),
        decode_errors: decode_errors.get(),
    };
    let mut last_stats = Instant::now();
    while !stop.load(Ordering::Relaxed) && !consumer_gone.get() {
        // Waits for a forced wake-up or the interval, then drains: with batched wake-ups
        // most records arrive without one, and libbpf's poll only reads rings that woke it.
        // An error is EINTR or the callback's stop signal; the loop condition decides.
        let _ = ring.poll(options.poll_interval);
        let _ = ring.consume();
        if last_stats.elapsed() >= Duration::from_secs(1) {
            *shared_stats.lock().unwrap_or_else(|e| e.into_inner()) =
                snapshot(read_stats(&loaded.maps.stats));
            last_stats = Instant::now();
        }
    }
    drop(links);
    let _ = ring.consume();
    let final_stats = snapshot(read_stats(&loaded.maps.stats));
    *shared_stats.lock().unwrap_or_else(|e| e.into_inner()) = final_stats;
    Ok(final_stats)
}
