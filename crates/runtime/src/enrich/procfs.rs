//! Reading process state from `/proc`: the seed of the process table at start, and the
//! fallback for a process the sensor has not seen fork (started before it).

use std::path::Path;

/// What `/proc/PID` tells about one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProcSnapshot {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    pub argv: Vec<String>,
    pub exepath: String,
    pub cwd: String,
    pub tty: u32,
    pub sid: u32,
    pub pgrp: u32,
    pub loginuid: i64,
    /// Start time in `CLOCK_BOOTTIME` nanoseconds.
    pub start_boot_ns: u64,
}

/// Clock ticks per second of `/proc/PID/stat` times.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid pgrp session tty_nr … starttime(22)`.
/// comm may contain spaces and parentheses, so fields are counted after the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<(String, u32, u32, u32, u32, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
    // rest[0] is field 3 (state)
    let ppid = rest.get(1)?.parse().ok()?;
    let pgrp = rest.get(2)?.parse().ok()?;
    let sid = rest.get(3)?.parse().ok()?;
    let tty = rest.get(4)?.parse::<i64>().ok()? as u32;
    let start_ticks: u64 = rest.get(19)?.parse().ok()?;
    Some((comm, ppid, pgrp, sid, tty, start_ticks))
}

/// Reads one process; `None` when it is gone.
pub(crate) fn snapshot(proc_root: &Path, pid: u32) -> Option<ProcSnapshot> {
    let dir = proc_root.join(pid.to_string());
    let (comm, ppid, pgrp, sid, tty, start_ticks) =
        parse_stat(&std::fs::read_to_string(dir.join("stat")).ok()?)?;
    let argv = std::fs::read(dir.join("cmdline"))
        .map(|b| crate::sensor::split_argv(&b))
        .unwrap_or_default();
    let link = |name: &str| {
        std::fs::read_link(dir.join(name))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let loginuid = std::fs::read_to_string(dir.join("loginuid"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map_or(-1, |u| if u == u32::MAX { -1 } else { i64::from(u) });
    Some(ProcSnapshot {
        pid,
        ppid,
        comm,
        argv,
        exepath: link("exe"),
        cwd: link("cwd"),
        tty,
        sid,
        pgrp,
        loginuid,
        start_boot_ns: start_ticks * (1_000_000_000 / clock_ticks()),
    })
}

/// Every process id under `proc_root`.
pub(crate) fn all_pids(proc_root: &Path) -> Vec<u32> {
    std::fs::read_dir(proc_root)
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let line = "4242 (my (odd) name) S 1 4242 4242 34816 4242 4194304 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
        let (comm, ppid, pgrp, sid, tty, start) = parse_stat(line).unwrap();
        assert_eq!(
            (comm.as_str(), ppid, pgrp, sid, tty, start),
            ("my (odd) name", 1, 4242, 4242, 34816, 987654)
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn own_process_reads_back() {
        let me = snapshot(Path::new("/proc"), std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert!(!me.exepath.is_empty() && !me.argv.is_empty());
        assert!(me.start_boot_ns > 0);
        assert!(all_pids(Path::new("/proc")).contains(&std::process::id()));
    }
}
