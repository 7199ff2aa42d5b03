//! The syscalls the sensor reports: x86-64 number, Falco name, how the BPF exit handler reads
//! the arguments (written into the `layouts` map before attach) and how each argument is
//! named and rendered in [`crate::event::Event::args`].

/// How one argument becomes an `evt.arg.*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    /// Plain number (fds, uids, sizes).
    Int(&'static str, usize),
    /// Directory fd argument: `AT_FDCWD` renders as Falco's `-100`.
    DirFd(&'static str, usize),
    /// The user string read into slot 0 or 1.
    Str(&'static str, u8),
    /// `open` flags, symbolic (`O_RDONLY|O_CLOEXEC`); from an argument, or from `open_how`.
    OpenFlags(&'static str, FlagSource),
    /// File mode bits, symbolic (`S_IRUSR|S_IWUSR`).
    Mode(&'static str, FlagSource),
    /// `ptrace` request name.
    PtraceRequest(&'static str, usize),
    /// Socket address family name (`AF_INET`, `AF_PACKET`).
    Domain(&'static str, usize),
    /// Namespace clone flags (`CLONE_NEWNS|CLONE_NEWUSER`).
    CloneFlags(&'static str, usize),
    /// `bpf` command name.
    BpfCmd(&'static str, usize),
}

/// Where a flags value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagSource {
    /// A syscall argument by index.
    Reg(usize),
    /// `struct open_how` field (0 = flags, 1 = mode) read by the BPF side.
    OpenHow(usize),
}

/// What the result value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Result {
    /// 0 or a negative errno.
    Status,
    /// A new file descriptor naming the path in slot 0.
    PathFd,
    /// A new socket fd (socket, accept): its tuple is read in the kernel.
    SocketFd,
    /// A new fd of another kind (memfd, bpf, userfaultfd).
    OtherFd(crate::event::FdKind),
}

/// One reported syscall.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syscall {
    pub nr: u32,
    pub name: &'static str,
    /// Argument indexes read as user strings into slots 0 and 1.
    pub strings: [i8; 2],
    /// `LAYOUT_*` flags of `sensor.h`.
    pub layout: u8,
    pub args: &'static [Arg],
    pub result: Result,
    /// Index of the argument holding the fd the call acts on, when there is one.
    pub fd_arg: Option<usize>,
}

pub(crate) const LAYOUT_SOCK_ARG0: u8 = 0x01;
pub(crate) const LAYOUT_SOCK_RET: u8 = 0x02;
pub(crate) const LAYOUT_SOCKADDR_ARG1: u8 = 0x04;
pub(crate) const LAYOUT_OPEN_HOW_ARG2: u8 = 0x08;

use crate::event::FdKind;
use Arg::*;
use FlagSource::*;

const fn sc(
    nr: u32,
    name: &'static str,
    strings: [i8; 2],
    layout: u8,
    args: &'static [Arg],
    result: Result,
    fd_arg: Option<usize>,
) -> Syscall {
    Syscall {
        nr,
        name,
        strings,
        layout,
        args,
        result,
        fd_arg,
    }
}

const NONE: [i8; 2] = [-1, -1];

/// Every syscall the sensor can report. `execve`/`execveat` are not here: successful execs
/// come from the `sched_process_exec` hook, which sees the kernel's copy of the path.
pub(crate) const SYSCALLS: &[Syscall] = &[
    sc(
        2,
        "open",
        [0, -1],
        0,
        &[
            Str("name", 0),
            OpenFlags("flags", Reg(1)),
            Mode("mode", Reg(2)),
        ],
        Result::PathFd,
        None,
    ),
    sc(
        257,
        "openat",
        [1, -1],
        0,
        &[
            DirFd("dirfd", 0),
            Str("name", 0),
            OpenFlags("flags", Reg(2)),
            Mode("mode", Reg(3)),
        ],
        Result::PathFd,
        None,
    ),
    sc(
        437,
        "openat2",
        [1, -1],
        LAYOUT_OPEN_HOW_ARG2,
        &[
            DirFd("dirfd", 0),
            Str("name", 0),
            OpenFlags("flags", OpenHow(0)),
            Mode("mode", OpenHow(1)),
        ],
        Result::PathFd,
        None,
    ),
    sc(
        85,
        "creat",
        [0, -1],
        0,
        &[Str("name", 0), Mode("mode", Reg(1))],
        Result::PathFd,
        None,
    ),
    sc(
        41,
        "socket",
        NONE,
        LAYOUT_SOCK_RET,
        &[Domain("domain", 0), Int("type", 1), Int("proto", 2)],
        Result::SocketFd,
        None,
    ),
    sc(
        42,
        "connect",
        NONE,
        LAYOUT_SOCK_ARG0 | LAYOUT_SOCKADDR_ARG1,
        &[Int("fd", 0)],
        Result::Status,
        Some(0),
    ),
    sc(
        43,
        "accept",
        NONE,
        LAYOUT_SOCK_RET,
        &[],
        Result::SocketFd,
        None,
    ),
    sc(
        288,
        "accept4",
        NONE,
        LAYOUT_SOCK_RET,
        &[Int("flags", 3)],
        Result::SocketFd,
        None,
    ),
    sc(
        49,
        "bind",
        NONE,
        LAYOUT_SOCK_ARG0 | LAYOUT_SOCKADDR_ARG1,
        &[Int("fd", 0)],
        Result::Status,
        Some(0),
    ),
    sc(
        50,
        "listen",
        NONE,
        LAYOUT_SOCK_ARG0,
        &[Int("fd", 0), Int("backlog", 1)],
        Result::Status,
        Some(0),
    ),
    sc(
        33,
        "dup2",
        NONE,
        LAYOUT_SOCK_RET,
        &[Int("oldfd", 0), Int("newfd", 1)],
        Result::SocketFd,
        None,
    ),
    sc(
        292,
        "dup3",
        NONE,
        LAYOUT_SOCK_RET,
        &[Int("oldfd", 0), Int("newfd", 1), Int("flags", 2)],
        Result::SocketFd,
        None,
    ),
    sc(
        105,
        "setuid",
        NONE,
        0,
        &[Int("uid", 0)],
        Result::Status,
        None,
    ),
    sc(
        106,
        "setgid",
        NONE,
        0,
        &[Int("gid", 0)],
        Result::Status,
        None,
    ),
    sc(
        113,
        "setreuid",
        NONE,
        0,
        &[Int("ruid", 0), Int("euid", 1)],
        Result::Status,
        None,
    ),
    sc(
        114,
        "setregid",
        NONE,
        0,
        &[Int("rgid", 0), Int("egid", 1)],
        Result::Status,
        None,
    ),
    sc(
        117,
        "setresuid",
        NONE,
        0,
        &[Int("ruid", 0), Int("euid", 1), Int("suid", 2)],
        Result::Status,
        None,
    ),
    sc(
        119,
        "setresgid",
        NONE,
        0,
        &[Int("rgid", 0), Int("egid", 1), Int("sgid", 2)],
        Result::Status,
        None,
    ),
    sc(126, "capset", NONE, 0, &[], Result::Status, None),
    sc(
        101,
        "ptrace",
        NONE,
        0,
        &[PtraceRequest("request", 0), Int("pid", 1)],
        Result::Status,
        None,
    ),
    sc(
        165,
        "mount",
        [0, 1],
        0,
        &[Str("dev", 0), Str("dir", 1), Int("flags", 3)],
        Result::Status,
        None,
    ),
    sc(
        166,
        "umount2",
        [0, -1],
        0,
        &[Str("name", 0), Int("flags", 1)],
        Result::Status,
        None,
    ),
    sc(
        175,
        "init_module",
        [2, -1],
        0,
        &[Int("length", 1), Str("uargs", 0)],
        Result::Status,
        None,
    ),
    sc(
        313,
        "finit_module",
        [1, -1],
        0,
        &[Int("fd", 0), Str("uargs", 0), Int("flags", 2)],
        Result::Status,
        Some(0),
    ),
    sc(
        272,
        "unshare",
        NONE,
        0,
        &[CloneFlags("flags", 0)],
        Result::Status,
        None,
    ),
    sc(
        308,
        "setns",
        NONE,
        0,
        &[Int("fd", 0), CloneFlags("nstype", 1)],
        Result::Status,
        Some(0),
    ),
    sc(
        319,
        "memfd_create",
        [0, -1],
        0,
        &[Str("name", 0), Int("flags", 1)],
        Result::OtherFd(FdKind::Memfd),
        None,
    ),
    sc(
        323,
        "userfaultfd",
        NONE,
        0,
        &[Int("flags", 0)],
        Result::OtherFd(FdKind::Userfaultfd),
        None,
    ),
    sc(
        321,
        "bpf",
        NONE,
        0,
        &[BpfCmd("cmd", 0)],
        Result::OtherFd(FdKind::Bpf),
        None,
    ),
    sc(
        90,
        "chmod",
        [0, -1],
        0,
        &[Str("filename", 0), Mode("mode", Reg(1))],
        Result::Status,
        None,
    ),
    sc(
        91,
        "fchmod",
        NONE,
        0,
        &[Int("fd", 0), Mode("mode", Reg(1))],
        Result::Status,
        Some(0),
    ),
    sc(
        268,
        "fchmodat",
        [1, -1],
        0,
        &[DirFd("dirfd", 0), Str("filename", 0), Mode("mode", Reg(2))],
        Result::Status,
        None,
    ),
    sc(
        92,
        "chown",
        [0, -1],
        0,
        &[Str("path", 0), Int("uid", 1), Int("gid", 2)],
        Result::Status,
        None,
    ),
    sc(
        94,
        "lchown",
        [0, -1],
        0,
        &[Str("path", 0), Int("uid", 1), Int("gid", 2)],
        Result::Status,
        None,
    ),
    sc(
        260,
        "fchownat",
        [1, -1],
        0,
        &[
            DirFd("dirfd", 0),
            Str("pathname", 0),
            Int("uid", 2),
            Int("gid", 3),
            Int("flags", 4),
        ],
        Result::Status,
        None,
    ),
    sc(
        88,
        "symlink",
        [0, 1],
        0,
        &[Str("target", 0), Str("linkpath", 1)],
        Result::Status,
        None,
    ),
    sc(
        266,
        "symlinkat",
        [0, 2],
        0,
        &[Str("target", 0), DirFd("linkdirfd", 1), Str("linkpath", 1)],
        Result::Status,
        None,
    ),
    sc(
        86,
        "link",
        [0, 1],
        0,
        &[Str("oldpath", 0), Str("newpath", 1)],
        Result::Status,
        None,
    ),
    sc(
        265,
        "linkat",
        [1, 3],
        0,
        &[
            DirFd("olddir", 0),
            Str("oldpath", 0),
            DirFd("newdir", 2),
            Str("newpath", 1),
            Int("flags", 4),
        ],
        Result::Status,
        None,
    ),
    sc(
        82,
        "rename",
        [0, 1],
        0,
        &[Str("oldpath", 0), Str("newpath", 1)],
        Result::Status,
        None,
    ),
    sc(
        264,
        "renameat",
        [1, 3],
        0,
        &[
            DirFd("olddirfd", 0),
            Str("oldpath", 0),
            DirFd("newdirfd", 2),
            Str("newpath", 1),
        ],
        Result::Status,
        None,
    ),
    sc(
        316,
        "renameat2",
        [1, 3],
        0,
        &[
            DirFd("olddirfd", 0),
            Str("oldpath", 0),
            DirFd("newdirfd", 2),
            Str("newpath", 1),
            Int("flags", 4),
        ],
        Result::Status,
        None,
    ),
    sc(
        87,
        "unlink",
        [0, -1],
        0,
        &[Str("path", 0)],
        Result::Status,
        None,
    ),
    sc(
        263,
        "unlinkat",
        [1, -1],
        0,
        &[DirFd("dirfd", 0), Str("name", 0), Int("flags", 2)],
        Result::Status,
        None,
    ),
    sc(
        83,
        "mkdir",
        [0, -1],
        0,
        &[Str("path", 0), Mode("mode", Reg(1))],
        Result::Status,
        None,
    ),
    sc(
        258,
        "mkdirat",
        [1, -1],
        0,
        &[DirFd("dirfd", 0), Str("path", 0), Mode("mode", Reg(2))],
        Result::Status,
        None,
    ),
    sc(
        84,
        "rmdir",
        [0, -1],
        0,
        &[Str("path", 0)],
        Result::Status,
        None,
    ),
    sc(
        80,
        "chdir",
        [0, -1],
        0,
        &[Str("path", 0)],
        Result::Status,
        None,
    ),
    sc(
        81,
        "fchdir",
        NONE,
        0,
        &[Int("fd", 0)],
        Result::Status,
        Some(0),
    ),
];

/// Syscalls always traced, whatever the rules ask for: enrichment needs them for `proc.cwd`
/// and relative paths.
pub(crate) const STATE_SYSCALLS: &[&str] = &["chdir", "fchdir"];

/// The table entry for a syscall number.
pub(crate) fn by_nr(nr: u32) -> Option<&'static Syscall> {
    SYSCALLS.iter().find(|s| s.nr == nr)
}

/// Syscall number of `execveat` (execs carry it to tell `execve` from `execveat`).
pub(crate) const NR_EXECVEAT: u32 = 322;

const OPEN_FLAGS: &[(u64, &str)] = &[
    (0o1, "O_WRONLY"),
    (0o2, "O_RDWR"),
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];
const O_TMPFILE: u64 = 0o20000000 | 0o200000;
const O_SYNC: u64 = 0o4000000 | 0o10000;

/// Falco's rendering of `open` flags: `O_RDONLY` when neither write bit is set.
pub(crate) fn render_open_flags(flags: u64) -> String {
    let mut names: Vec<&str> = Vec::new();
    if flags & 0o3 == 0 {
        names.push("O_RDONLY");
    }
    let mut rest = flags;
    if rest & O_TMPFILE == O_TMPFILE {
        names.push("O_TMPFILE");
        rest &= !O_TMPFILE;
    }
    if rest & O_SYNC == O_SYNC {
        names.push("O_SYNC");
        rest &= !O_SYNC;
    }
    for &(bit, name) in OPEN_FLAGS {
        if rest & bit != 0 {
            names.push(name);
        }
    }
    names.join("|")
}

const MODE_BITS: &[(u64, &str)] = &[
    (0o4000, "S_ISUID"),
    (0o2000, "S_ISGID"),
    (0o1000, "S_ISVTX"),
    (0o400, "S_IRUSR"),
    (0o200, "S_IWUSR"),
    (0o100, "S_IXUSR"),
    (0o40, "S_IRGRP"),
    (0o20, "S_IWGRP"),
    (0o10, "S_IXGRP"),
    (0o4, "S_IROTH"),
    (0o2, "S_IWOTH"),
    (0o1, "S_IXOTH"),
];

/// Mode bits as Falco renders them (`S_IRUSR|S_IWUSR`); `0` renders as an empty string.
pub(crate) fn render_mode(mode: u64) -> String {
    let names: Vec<&str> = MODE_BITS
        .iter()
        .filter(|(b, _)| mode & b != 0)
        .map(|(_, n)| *n)
        .collect();
    names.join("|")
}

const PTRACE_REQUESTS: &[(u64, &str)] = &[
    (0, "PTRACE_TRACEME"),
    (1, "PTRACE_PEEKTEXT"),
    (2, "PTRACE_PEEKDATA"),
    (3, "PTRACE_PEEKUSR"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSR"),
    (7, "PTRACE_CONT"),
    (8, "PTRACE_KILL"),
    (9, "PTRACE_SINGLESTEP"),
    (12, "PTRACE_GETREGS"),
    (13, "PTRACE_SETREGS"),
    (14, "PTRACE_GETFPREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (17, "PTRACE_DETACH"),
    (24, "PTRACE_SYSCALL"),
    (0x4200, "PTRACE_SETOPTIONS"),
    (0x4201, "PTRACE_GETEVENTMSG"),
    (0x4202, "PTRACE_GETSIGINFO"),
    (0x4203, "PTRACE_SETSIGINFO"),
    (0x4204, "PTRACE_GETREGSET"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
    (0x4207, "PTRACE_INTERRUPT"),
    (0x4208, "PTRACE_LISTEN"),
];

/// `ptrace` request name; unknown requests render as their number.
pub(crate) fn render_ptrace_request(req: u64) -> String {
    render_named(PTRACE_REQUESTS, req)
}

const DOMAINS: &[(u64, &str)] = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
];

/// Socket family name (`AF_PACKET`); unknown families render as their number.
pub(crate) fn render_domain(domain: u64) -> String {
    render_named(DOMAINS, domain)
}

/// The name `table` gives `value`, or the number itself when it has none.
fn render_named(table: &[(u64, &str)], value: u64) -> String {
    table
        .iter()
        .find(|(n, _)| *n == value)
        .map_or_else(|| value.to_string(), |(_, name)| (*name).to_string())
}

const CLONE_FLAGS: &[(u64, &str)] = &[
    (0x0002_0000, "CLONE_NEWNS"),
    (0x0200_0000, "CLONE_NEWCGROUP"),
    (0x0400_0000, "CLONE_NEWUTS"),
    (0x0800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x0000_0080, "CLONE_NEWTIME"),
    (0x0000_0200, "CLONE_FS"),
    (0x0000_0400, "CLONE_FILES"),
    (0x0000_0800, "CLONE_SIGHAND"),
    (0x0000_8000, "CLONE_SYSVSEM"),
];

/// Namespace/clone flags as Falco renders them.
pub(crate) fn render_clone_flags(flags: u64) -> String {
    let names: Vec<&str> = CLONE_FLAGS
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    names.join("|")
}

const BPF_CMDS: &[&str] = &[
    "BPF_MAP_CREATE",
    "BPF_MAP_LOOKUP_ELEM",
    "BPF_MAP_UPDATE_ELEM",
    "BPF_MAP_DELETE_ELEM",
    "BPF_MAP_GET_NEXT_KEY",
    "BPF_PROG_LOAD",
    "BPF_OBJ_PIN",
    "BPF_OBJ_GET",
    "BPF_PROG_ATTACH",
    "BPF_PROG_DETACH",
    "BPF_PROG_TEST_RUN",
    "BPF_PROG_GET_NEXT_ID",
    "BPF_MAP_GET_NEXT_ID",
    "BPF_PROG_GET_FD_BY_ID",
    "BPF_MAP_GET_FD_BY_ID",
    "BPF_OBJ_GET_INFO_BY_FD",
    "BPF_PROG_QUERY",
    "BPF_RAW_TRACEPOINT_OPEN",
    "BPF_BTF_LOAD",
    "BPF_BTF_GET_FD_BY_ID",
    "BPF_TASK_FD_QUERY",
    "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
    "BPF_MAP_FREEZE",
    "BPF_BTF_GET_NEXT_ID",
    "BPF_MAP_LOOKUP_BATCH",
    "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
    "BPF_MAP_UPDATE_BATCH",
    "BPF_MAP_DELETE_BATCH",
    "BPF_LINK_CREATE",
    "BPF_LINK_UPDATE",
    "BPF_LINK_GET_FD_BY_ID",
    "BPF_LINK_GET_NEXT_ID",
    "BPF_ENABLE_STATS",
    "BPF_ITER_CREATE",
    "BPF_LINK_DETACH",
    "BPF_PROG_BIND_MAP",
];

/// `bpf` command name; unknown commands render as their number.
pub(crate) fn render_bpf_cmd(cmd: u64) -> String {
    usize::try_from(cmd)
        .ok()
        .and_then(|i| BPF_CMDS.get(i))
        .map_or_else(|| cmd.to_string(), |n| (*n).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_fit_the_bpf_table() {
        let mut seen = std::collections::HashSet::new();
        for s in SYSCALLS {
            assert!(s.nr < 512, "{} does not fit SYSCALL_SLOTS", s.name);
            assert!(seen.insert(s.nr), "{} listed twice", s.name);
            for a in s.args {
                if let Arg::Str(_, slot) = a {
                    assert!(
                        s.strings[*slot as usize] >= 0,
                        "{}: slot {slot} is never read",
                        s.name
                    );
                }
            }
        }
    }

    #[test]
    fn open_flags_render_like_falco() {
        assert_eq!(render_open_flags(0), "O_RDONLY");
        assert_eq!(render_open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(render_open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(render_open_flags(0o20200002), "O_TMPFILE|O_RDWR");
    }

    #[test]
    fn enums_render_by_name_or_number() {
        assert_eq!(render_ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(render_ptrace_request(999), "999");
        assert_eq!(render_domain(17), "AF_PACKET");
        assert_eq!(
            render_mode(0o755),
            "S_IRUSR|S_IWUSR|S_IXUSR|S_IRGRP|S_IXGRP|S_IROTH|S_IXOTH"
        );
        assert_eq!(render_clone_flags(0x1002_0000), "CLONE_NEWNS|CLONE_NEWUSER");
        assert_eq!(render_bpf_cmd(5), "BPF_PROG_LOAD");
    }
}
