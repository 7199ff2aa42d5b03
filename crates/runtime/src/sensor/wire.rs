//! Decoding of ring-buffer records. The structs mirror `src/bpf/sensor.h` field for field
//! (`#[repr(C)]`, same explicit padding); `record_sizes_match_the_c_layout` pins the sizes.

use std::mem::size_of;

pub(crate) const COMM_LEN: usize = 16;
pub(crate) const STR_MAX: usize = 1024;
pub(crate) const EXE_NAME_MAX: usize = 64;
pub(crate) const CGROUP_NAME_MAX: usize = 128;

const REC_EXEC: u32 = 1;
const REC_FORK: u32 = 2;
const REC_EXIT: u32 = 3;
const REC_SYSCALL: u32 = 4;

/// `enum stat_index` of sensor.h.
pub(crate) const STAT_SUBMITTED: u32 = 0;
pub(crate) const STAT_RING_DROPS: u32 = 1;
pub(crate) const STAT_UNREADABLE: u32 = 2;
pub(crate) const STAT_SYSCALLS: u32 = 3;
pub(crate) const STAT_PATH_FILTERED: u32 = 4;
pub(crate) const STAT_COUNT: usize = 5;

/// `PATH_FILTER_*` of sensor.h: where an open's flags are (low nibble; 1..=6 are argument
/// registers 0..=5) and which kinds of open the path table filters.
pub(crate) const PATH_FILTER_FLAGS_OPEN_HOW: u8 = 7;
pub(crate) const PATH_FILTER_ALWAYS_WRITING: u8 = 8;
pub(crate) const PATH_FILTER_READ_ONLY: u8 = 0x10;
pub(crate) const PATH_FILTER_WRITING: u8 = 0x20;

#[repr(C)]
#[derive(Clone, Copy)]
struct RawHeader {
    kind: u32,
    tgid: u32,
    tid: u32,
    ppid: u32,
    ts_boot_ns: u64,
    uid: u32,
    gid: u32,
    euid: u32,
    loginuid: u32,
    cap_effective: u64,
    cap_permitted: u64,
    mnt_ns: u64,
    vpid: u32,
    pid_ns: u32,
    comm: [u8; COMM_LEN],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RawSockTuple {
    family: u16,
    sock_type: u16,
    protocol: u16,
    lport: u16,
    rport: u16,
    _pad: [u16; 3],
    laddr: [u8; 16],
    raddr: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RawSyscallFixed {
    h: RawHeader,
    nr: u32,
    len: [u16; 2],
    ret: i64,
    args: [u64; 6],
    extra: [u64; 2],
    sock: RawSockTuple,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RawExecFixed {
    h: RawHeader,
    nr: u32,
    tty: u32,
    sid: u32,
    vpgid: u32,
    filename_len: u16,
    exe_name_len: u16,
    argv_len: u16,
    _pad: u16,
    exe_name: [u8; EXE_NAME_MAX],
    cgroup: [[u8; CGROUP_NAME_MAX]; 4],
    filename: [u8; STR_MAX],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RawFork {
    h: RawHeader,
    child_tgid: u32,
    _pad: u32,
}

/// Identity and credentials of the task that produced a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Process id (thread-group id).
    pub tgid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent process id at the time of the record.
    pub ppid: u32,
    /// `CLOCK_BOOTTIME` nanoseconds.
    pub ts_boot_ns: u64,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// Effective uid.
    pub euid: u32,
    /// Audit login uid (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Mount namespace inode.
    pub mnt_ns: u64,
    /// Pid namespace inode (of children).
    pub pid_ns: u32,
    /// Process id inside its pid namespace.
    pub vpid: u32,
    /// Kernel `comm`.
    pub comm: String,
}

/// A socket's addresses as the kernel holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockTuple {
    /// Address family (`AF_INET` = 2, `AF_INET6` = 10, `AF_UNIX` = 1).
    pub family: u16,
    /// `SOCK_STREAM` = 1, `SOCK_DGRAM` = 2, ...
    pub sock_type: u16,
    /// IP protocol number.
    pub protocol: u16,
    /// Local port.
    pub lport: u16,
    /// Remote port.
    pub rport: u16,
    /// Local address.
    pub laddr: std::net::IpAddr,
    /// Remote address.
    pub raddr: std::net::IpAddr,
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A successful exec (`sched_process_exec`).
    Exec {
        /// The process after the exec.
        header: Header,
        /// `execve` (59) or `execveat` (322).
        syscall_nr: u32,
        /// Controlling tty (`new_encode_dev`), 0 for none.
        tty: u32,
        /// Session id.
        sid: u32,
        /// Process group id in the pid namespace.
        vpgid: u32,
        /// Path as passed to exec (kernel copy).
        filename: String,
        /// Name of the executed file's dentry (`memfd:NAME` for memfds).
        exe_name: String,
        /// Arguments, argv[0] first.
        argv: Vec<String>,
        /// The task's cgroups in `/proc/PID/cgroup` form, as far as the kernel record goes
        /// (parent and leaf directory of the v2 and the v1 memory hierarchy).
        cgroup: String,
    },
    /// A new process (not a thread).
    Fork {
        /// The parent.
        header: Header,
        /// New process id.
        child: u32,
    },
    /// A process (thread-group leader) exited.
    Exit(Header),
    /// A syscall of interest returned.
    Syscall {
        /// The caller.
        header: Header,
        /// x86-64 syscall number.
        nr: u32,
        /// Return value.
        ret: i64,
        /// Raw argument registers.
        args: [u64; 6],
        /// `open_how.flags`, `open_how.mode` for `openat2`.
        extra: [u64; 2],
        /// Socket tuple of the fd involved, when it is a socket.
        sock: Option<SockTuple>,
        /// String slots (paths, names) or, for `connect`/`bind`, the raw sockaddr in slot 1.
        strings: [Vec<u8>; 2],
    },
}

fn read<T: Copy>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: the length is checked above; T is a plain-old-data #[repr(C)] struct of
    // integers and byte arrays, valid for any bit pattern; read_unaligned handles alignment.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn header(raw: &RawHeader) -> Header {
    Header {
        tgid: raw.tgid,
        tid: raw.tid,
        ppid: raw.ppid,
        ts_boot_ns: raw.ts_boot_ns,
        uid: raw.uid,
        gid: raw.gid,
        euid: raw.euid,
        loginuid: raw.loginuid,
        cap_effective: raw.cap_effective,
        cap_permitted: raw.cap_permitted,
        mnt_ns: raw.mnt_ns,
        pid_ns: raw.pid_ns,
        vpid: raw.vpid,
        comm: cstr(&raw.comm),
    }
}

fn ip(family: u16, bytes: &[u8; 16]) -> std::net::IpAddr {
    if family == 10 {
        std::net::IpAddr::from(*bytes)
    } else {
        std::net::IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
}

/// `0::/PARENT/LEAF` and `4:memory:/PARENT/LEAF` lines from the recorded directory names.
fn cgroup_text(names: &[[u8; CGROUP_NAME_MAX]; 4]) -> String {
    let path = |parent: &[u8], leaf: &[u8]| {
        let (parent, leaf) = (cstr(parent), cstr(leaf));
        match (parent.as_str(), leaf.as_str()) {
            (_, "") | (_, "/") => "/".to_string(),
            ("" | "/", l) => format!("/{l}"),
            (p, l) => format!("/{p}/{l}"),
        }
    };
    format!(
        "0::{}\n4:memory:{}\n",
        path(&names[0], &names[1]),
        path(&names[2], &names[3])
    )
}

/// Splits NUL-separated argv bytes; a missing final NUL (cut command line) keeps the tail.
pub(crate) fn split_argv(bytes: &[u8]) -> Vec<String> {
    let trimmed = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Decodes one ring-buffer record; `None` for a truncated or unknown record.
pub fn decode(bytes: &[u8]) -> Option<Record> {
    let kind: u32 = read(bytes)?;
    match kind {
        REC_EXEC => {
            let raw: RawExecFixed = read(bytes)?;
            let argv_start = size_of::<RawExecFixed>();
            let argv_end = (argv_start + usize::from(raw.argv_len)).min(bytes.len());
            Some(Record::Exec {
                header: header(&raw.h),
                syscall_nr: raw.nr,
                tty: raw.tty,
                sid: raw.sid,
                vpgid: raw.vpgid,
                filename: cstr(&raw.filename),
                exe_name: cstr(&raw.exe_name),
                argv: split_argv(&bytes[argv_start..argv_end]),
                cgroup: cgroup_text(&raw.cgroup),
            })
        }
        REC_FORK => {
            let raw: RawFork = read(bytes)?;
            Some(Record::Fork {
                header: header(&raw.h),
                child: raw.child_tgid,
            })
        }
        REC_EXIT => Some(Record::Exit(header(&read::<RawHeader>(bytes)?))),
        REC_SYSCALL => {
            let raw: RawSyscallFixed = read(bytes)?;
            let data = &bytes[size_of::<RawSyscallFixed>()..];
            let len0 = usize::from(raw.len[0]).min(data.len());
            let len1 = usize::from(raw.len[1]).min(data.len() - len0);
            let slot0 = data[..len0]
                .strip_suffix(&[0])
                .unwrap_or(&data[..len0])
                .to_vec();
            let slot1 = data[len0..len0 + len1].to_vec();
            let s = raw.sock;
            let sock = (s.family != 0).then(|| SockTuple {
                family: s.family,
                sock_type: s.sock_type,
                protocol: s.protocol,
                lport: s.lport,
                rport: s.rport,
                laddr: ip(s.family, &s.laddr),
                raddr: ip(s.family, &s.raddr),
            });
            Some(Record::Syscall {
                header: header(&raw.h),
                nr: raw.nr,
                ret: raw.ret,
                args: raw.args,
                extra: raw.extra,
                sock,
                strings: [slot0, slot1],
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same numbers are `_Static_assert`ed in sensor.h, tying both sides together.
    #[test]
    fn record_sizes_match_the_c_layout() {
        assert_eq!(size_of::<RawHeader>(), 88);
        assert_eq!(size_of::<RawSockTuple>(), 48);
        assert_eq!(size_of::<RawSyscallFixed>(), 216);
        assert_eq!(size_of::<RawExecFixed>(), 1712);
        assert_eq!(size_of::<RawFork>(), 96);
    }

    #[test]
    fn argv_splits_on_nul_and_keeps_a_cut_tail() {
        assert_eq!(split_argv(b"cat\0/etc/shadow\0"), ["cat", "/etc/shadow"]);
        assert_eq!(split_argv(b"sh\0-c\0ech"), ["sh", "-c", "ech"]);
        assert!(split_argv(b"").is_empty());
    }

    #[test]
    fn truncated_and_unknown_records_are_rejected() {
        assert!(decode(&[]).is_none());
        assert!(decode(&4u32.to_ne_bytes()).is_none());
        let mut unknown = vec![0u8; 300];
        unknown[0] = 9;
        assert!(decode(&unknown).is_none());
    }
}
