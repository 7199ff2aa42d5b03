//! Enrichment: turns the sensor's [`Record`]s into self-contained [`Event`]s.
//!
//! Keeps the state Falco keeps so that rules see it on every event: a process table seeded
//! from `/proc` and maintained by fork/exec/exit (ancestors, exe, cmdline, cwd, tty,
//! loginuid), a per-process fd table filled by open/socket/accept/connect/dup results,
//! user and group names, and the container of each mount namespace with its metadata.

mod container;
mod procfs;
mod users;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

pub use container::{
    CgroupMatch, Runtime, StateRoots, container_from_cgroup, describe, split_image,
};

use crate::event::{
    ArgValue, Container, Event, Fd, FdKind, K8s, NetTuple, Process, ProcessSummary,
};
use crate::sensor::{
    Arg, FlagSource, Header, NR_EXECVEAT, Record, SockTuple, SyscallResult, by_nr, render_bpf_cmd,
    render_clone_flags, render_domain, render_mode, render_open_flags, render_ptrace_request,
};

/// Longest ancestor chain copied into an event.
const MAX_ANCESTORS: usize = 16;
const AT_FDCWD: i64 = -100;
const O_DIRECTORY: u64 = 0o200000;

type ContainerInfo = Arc<(Container, Option<K8s>)>;

#[derive(Debug, Clone, Default)]
struct Proc {
    pid: u32,
    ppid: u32,
    name: String,
    exe: String,
    exepath: String,
    args: Vec<String>,
    cwd: String,
    tty: u32,
    sid: u32,
    vpgid: u32,
    loginuid: i64,
    start_ts: u64,
    is_exe_from_memfd: bool,
    is_exe_upper_layer: bool,
    container: Option<ContainerInfo>,
    fds: HashMap<i64, Fd>,
}

/// Enrichment state; feed it records in ring order with [`Enricher::enrich`].
pub struct Enricher {
    boot_offset: i128,
    proc_root: PathBuf,
    state_roots: StateRoots,
    procs: HashMap<u32, Proc>,
    users: users::Users,
    /// Metadata of each container seen, by full id.
    containers: HashMap<String, ContainerInfo>,
    /// Overlay upper directory of each container (for `proc.is_exe_upper_layer`).
    upper_dirs: HashMap<String, Option<PathBuf>>,
    num: u64,
}

fn with_slash(mut dir: String) -> String {
    if !dir.ends_with('/') {
        dir.push('/');
    }
    dir
}

/// Lexically normalises an absolute path (`.`, `..`, repeated `/`), as Falco reports `fd.name`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().unwrap_or("")),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    format!("/{}", parts.join("/"))
}

fn fd_kind_of_link(target: &str) -> FdKind {
    if target.starts_with("socket:") {
        FdKind::Unknown
    } else if target.starts_with("pipe:") {
        FdKind::Pipe
    } else if target.starts_with("anon_inode:[eventfd]") {
        FdKind::Event
    } else if target.starts_with("anon_inode:[eventpoll]") {
        FdKind::Eventpoll
    } else if target.starts_with("anon_inode:inotify") {
        FdKind::Inotify
    } else if target.starts_with("anon_inode:[timerfd]") {
        FdKind::Timerfd
    } else if target.starts_with("anon_inode:bpf") {
        FdKind::Bpf
    } else if target.starts_with("/memfd:") {
        FdKind::Memfd
    } else {
        FdKind::File
    }
}

/// Falco's `fd.name` for a socket and its tuple. `server` = this process is the accepting or
/// listening side, so the local address is the server's.
fn socket_fd(num: i64, sock: &SockTuple, server: bool, unix_path: Option<String>) -> Fd {
    let kind = match sock.family {
        1 => FdKind::Unix,
        2 => FdKind::Ipv4,
        10 => FdKind::Ipv6,
        16 => FdKind::Netlink,
        _ => FdKind::Unknown,
    };
    if kind != FdKind::Ipv4 && kind != FdKind::Ipv6 {
        return Fd {
            num,
            kind,
            name: unix_path.unwrap_or_default(),
            ..Default::default()
        };
    }
    let (local, remote) = (
        (sock.laddr.to_string(), sock.lport),
        (sock.raddr.to_string(), sock.rport),
    );
    let ((cip, cport), (sip, sport)) = if server {
        (remote, local)
    } else {
        (local, remote)
    };
    let l4proto = match (sock.protocol, sock.sock_type) {
        (6, _) | (0, 1) => "tcp",
        (17, _) | (0, 2) => "udp",
        (1 | 58, _) => "icmp",
        _ => "raw",
    };
    Fd {
        num,
        kind,
        name: format!("{cip}:{cport}->{sip}:{sport}"),
        net: Some(NetTuple {
            cip,
            cport,
            sip,
            sport,
            l4proto: l4proto.to_string(),
            connected: sock.rport != 0,
            is_server: server,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The path of a `sockaddr_un` (abstract names get Falco's `@` prefix).
fn unix_path(sockaddr: &[u8]) -> Option<String> {
    if sockaddr.len() < 3 || u16::from_ne_bytes([sockaddr[0], sockaddr[1]]) != 1 {
        return None;
    }
    let path = &sockaddr[2..];
    if path[0] == 0 {
        let end = path[1..]
            .iter()
            .position(|&b| b == 0)
            .map_or(path.len(), |i| i + 1);
        return Some(format!("@{}", String::from_utf8_lossy(&path[1..end])));
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Some(String::from_utf8_lossy(&path[..end]).into_owned())
}

fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Argument names that hold a path the kernel resolves against a dirfd or the cwd.
const PATH_ARGS: &[&str] = &[
    "name", "path", "filename", "pathname", "oldpath", "newpath", "linkpath", "dir",
];

impl Enricher {
    /// An enricher over the live system, its process table seeded from `/proc`.
    pub fn new() -> Enricher {
        Enricher::with_roots(PathBuf::from("/proc"), StateRoots::default())
    }

    /// An enricher reading processes under `proc_root` and runtime state under `state_roots`.
    pub fn with_roots(proc_root: PathBuf, state_roots: StateRoots) -> Enricher {
        let mut e = Enricher {
            boot_offset: crate::sensor::boot_to_epoch_offset(),
            proc_root,
            state_roots,
            procs: HashMap::new(),
            users: users::Users::default(),
            containers: HashMap::new(),
            upper_dirs: HashMap::new(),
            num: 0,
        };
        for pid in procfs::all_pids(&e.proc_root) {
            if let Some(p) = e.proc_from_procfs(pid) {
                e.procs.insert(pid, p);
            }
        }
        e
    }

    /// Number of processes in the table.
    pub fn process_count(&self) -> usize {
        self.procs.len()
    }

    /// Parent pid of a tracked process.
    pub fn parent_of(&self, pid: u32) -> Option<u32> {
        self.procs.get(&pid).map(|p| p.ppid)
    }

    fn epoch(&self, boot_ns: u64) -> u64 {
        u64::try_from(i128::from(boot_ns) + self.boot_offset).unwrap_or(0)
    }

    fn proc_from_procfs(&mut self, pid: u32) -> Option<Proc> {
        let s = procfs::snapshot(&self.proc_root, pid)?;
        let exe = s.argv.first().cloned().unwrap_or_default();
        let cgroup = std::fs::read_to_string(self.proc_root.join(pid.to_string()).join("cgroup"))
            .unwrap_or_default();
        let container = self.container_for(&cgroup);
        Some(Proc {
            pid,
            ppid: s.ppid,
            name: s.comm,
            exe,
            exepath: s.exepath,
            args: s.argv.into_iter().skip(1).collect(),
            cwd: with_slash(s.cwd),
            tty: s.tty,
            sid: s.sid,
            vpgid: s.pgrp,
            loginuid: s.loginuid,
            start_ts: self.epoch(s.start_boot_ns),
            container,
            ..Default::default()
        })
    }

    /// The table entry for the record's process, created from `/proc` (or the record) when
    /// the sensor has not seen it start.
    fn ensure(&mut self, h: &Header) -> &mut Proc {
        if !self.procs.contains_key(&h.tgid) {
            let p = self.proc_from_procfs(h.tgid).unwrap_or_else(|| Proc {
                pid: h.tgid,
                ppid: h.ppid,
                name: h.comm.clone(),
                loginuid: if h.loginuid == u32::MAX {
                    -1
                } else {
                    i64::from(h.loginuid)
                },
                ..Default::default()
            });
            self.procs.insert(h.tgid, p);
        }
        let p = self.procs.get_mut(&h.tgid).expect("inserted above");
        p.ppid = h.ppid;
        p
    }

    /// The container a cgroup file's text names, with its metadata (read once per container).
    fn container_for(&mut self, cgroup: &str) -> Option<ContainerInfo> {
        let m = container_from_cgroup(cgroup)?;
        if let Some(known) = self.containers.get(&m.id) {
            return Some(known.clone());
        }
        let info = Arc::new(describe(&self.state_roots, &m));
        // Runtimes write their state before starting the container; a container found with
        // no state yet (or already removed) is asked about again at its next event.
        if !info.0.name.is_empty() || !info.0.image_repository.is_empty() {
            self.containers.insert(m.id, info.clone());
        }
        Some(info)
    }

    /// Whether `exepath` of a process in container `id` lives in the overlay's upper layer.
    fn in_upper_layer(&mut self, id: &str, pid: u32, exepath: &str) -> bool {
        let proc_root = self.proc_root.clone();
        let upper = self.upper_dirs.entry(id.to_string()).or_insert_with(|| {
            let mountinfo =
                std::fs::read_to_string(proc_root.join(pid.to_string()).join("mountinfo")).ok()?;
            mountinfo.lines().find_map(|l| {
                let (pre, post) = l.split_once(" - ")?;
                if pre.split_whitespace().nth(4)? != "/" || !post.starts_with("overlay ") {
                    return None;
                }
                post.split(',')
                    .find_map(|o| o.strip_prefix("upperdir="))
                    .map(PathBuf::from)
            })
        });
        upper
            .as_ref()
            .is_some_and(|u| exepath.starts_with('/') && u.join(&exepath[1..]).exists())
    }

    /// Whether process `pid` of this system is gone, as `kill(pid, 0)` tells: far cheaper
    /// than a failing `/proc/PID` lookup. Only for the live `/proc`, whose pids are this
    /// system's; `false` when unsure (a zombie, a process we may not signal).
    fn exited(&self, pid: u32) -> bool {
        if self.proc_root != Path::new("/proc") {
            return false;
        }
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }

    fn resolve(&mut self, pid: u32, dirfd: i64, raw: &str) -> String {
        if raw.starts_with('/') {
            return normalize(raw);
        }
        let base = if dirfd == AT_FDCWD {
            self.procs
                .get(&pid)
                .map(|p| p.cwd.clone())
                .unwrap_or_default()
        } else {
            self.fd_of(pid, dirfd).map(|f| f.name).unwrap_or_default()
        };
        if base.is_empty() {
            return raw.to_string();
        }
        normalize(&format!("{base}/{raw}"))
    }

    /// A descriptor from the fd table, else from `/proc/PID/fd`.
    fn fd_of(&mut self, pid: u32, num: i64) -> Option<Fd> {
        if let Some(fd) = self.procs.get(&pid).and_then(|p| p.fds.get(&num)) {
            return Some(fd.clone());
        }
        let target = std::fs::read_link(
            self.proc_root
                .join(pid.to_string())
                .join("fd")
                .join(num.to_string()),
        )
        .ok()?;
        let name = target.to_string_lossy().into_owned();
        let fd = Fd {
            num,
            kind: fd_kind_of_link(&name),
            name,
            ..Default::default()
        };
        if let Some(p) = self.procs.get_mut(&pid) {
            p.fds.insert(num, fd.clone());
        }
        Some(fd)
    }

    fn set_fd(&mut self, pid: u32, fd: &Fd) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.fds.insert(fd.num, fd.clone());
        }
    }

    fn base_event(&mut self, h: &Header, evt_type: &str, res: i64) -> Event {
        let ts = self.epoch(h.ts_boot_ns);
        let (container, loginuid) = {
            let p = self.ensure(h);
            (p.container.clone(), p.loginuid)
        };
        let (view, root) = match &container {
            Some(c) => (
                c.0.id.clone(),
                self.proc_root.join(h.tgid.to_string()).join("root"),
            ),
            None => ("host".to_string(), PathBuf::from("/")),
        };
        let (user, group) = self.users.names(&view, &root, h.uid, h.gid);
        let loginname = if loginuid >= 0 {
            self.users.user(&view, &root, loginuid as u32)
        } else {
            String::new()
        };
        // Borrowed from here on: the fd table is not copied per event.
        let p = &self.procs[&h.tgid];
        let mut ancestors = Vec::new();
        let mut cursor = p.ppid;
        while cursor != 0 && ancestors.len() < MAX_ANCESTORS {
            let Some(a) = self.procs.get(&cursor) else {
                break;
            };
            ancestors.push(ProcessSummary {
                pid: i64::from(a.pid),
                name: a.name.clone(),
                exe: a.exe.clone(),
                exepath: a.exepath.clone(),
                args: a.args.clone(),
            });
            if a.ppid == cursor {
                break;
            }
            cursor = a.ppid;
        }
        let sname = self
            .procs
            .get(&p.sid)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        self.num += 1;
        Event {
            ts,
            num: self.num,
            evt_type: evt_type.to_string(),
            dir: "<".to_string(),
            res,
            thread: Process {
                pid: i64::from(h.tgid),
                tid: i64::from(h.tid),
                vpid: i64::from(h.vpid),
                ppid: i64::from(p.ppid),
                sid: i64::from(p.sid),
                vpgid: i64::from(p.vpgid),
                uid: h.uid,
                gid: h.gid,
                euid: h.euid,
                loginuid: p.loginuid,
                user,
                group,
                loginname,
                name: if h.comm.is_empty() {
                    p.name.clone()
                } else {
                    h.comm.clone()
                },
                exe: p.exe.clone(),
                exepath: p.exepath.clone(),
                args: p.args.clone(),
                cwd: p.cwd.clone(),
                tty: p.tty,
                sname,
                cap_permitted: h.cap_permitted,
                cap_effective: h.cap_effective,
                is_exe_upper_layer: p.is_exe_upper_layer,
                is_exe_from_memfd: p.is_exe_from_memfd,
                start_ts: p.start_ts,
                ..Default::default()
            },
            ancestors,
            container: container.as_ref().map(|c| c.0.clone()),
            k8s: container.as_ref().and_then(|c| c.1.clone()),
            ..Default::default()
        }
    }

    /// Applies one record to the state; returns the event rules see, if the record is one.
    pub fn enrich(&mut self, record: Record) -> Option<Event> {
        match record {
            Record::Fork { header, child } => {
                let ts = self.epoch(header.ts_boot_ns);
                let parent = self.ensure(&header).clone();
                self.procs.insert(
                    child,
                    Proc {
                        pid: child,
                        ppid: header.tgid,
                        start_ts: ts,
                        ..parent
                    },
                );
                None
            }
            Record::Exit(header) => {
                self.procs.remove(&header.tgid);
                None
            }
            Record::Exec {
                header,
                syscall_nr,
                tty,
                sid,
                vpgid,
                filename,
                exe_name,
                argv,
                cgroup,
            } => {
                let pid = header.tgid;
                let container = self.container_for(&cgroup);
                // A short-lived process has usually exited by the time its exec is read;
                // asking the kernel first spares a /proc lookup bound to fail.
                let fresh_cwd = if self.exited(pid) {
                    None
                } else {
                    std::fs::read_link(self.proc_root.join(pid.to_string()).join("cwd"))
                        .ok()
                        .map(|p| with_slash(p.to_string_lossy().into_owned()))
                };
                let p = self.ensure(&header);
                if let Some(cwd) = fresh_cwd {
                    p.cwd = cwd;
                }
                let exepath = if filename.starts_with('/') || p.cwd.is_empty() {
                    filename.clone()
                } else {
                    normalize(&format!("{}{filename}", p.cwd))
                };
                p.is_exe_from_memfd = exe_name.starts_with("memfd:");
                p.exepath = if p.is_exe_from_memfd {
                    exe_name
                } else {
                    exepath
                };
                p.exe = argv.first().cloned().unwrap_or_else(|| filename.clone());
                p.args = argv.into_iter().skip(1).collect();
                p.name = header.comm.clone();
                p.tty = tty;
                p.sid = sid;
                p.vpgid = vpgid;
                p.loginuid = if header.loginuid == u32::MAX {
                    -1
                } else {
                    i64::from(header.loginuid)
                };
                p.container = container.clone();
                // Open descriptors marked close-on-exec are gone; others keep their names.
                p.fds.clear();
                let exepath = p.exepath.clone();
                let upper = match container {
                    Some(c) => self.in_upper_layer(&c.0.id, pid, &exepath),
                    None => false,
                };
                self.procs
                    .get_mut(&pid)
                    .expect("ensured")
                    .is_exe_upper_layer = upper;
                let evt_type = if syscall_nr == NR_EXECVEAT {
                    "execveat"
                } else {
                    "execve"
                };
                let mut ev = self.base_event(&header, evt_type, 0);
                ev.args.insert("filename".into(), ArgValue::Str(filename));
                Some(ev)
            }
            Record::Syscall {
                header,
                nr,
                ret,
                args,
                extra,
                sock,
                strings,
            } => {
                let spec = by_nr(nr)?;
                let mut ev = self.base_event(&header, spec.name, ret);
                let pid = header.tgid;
                let mut dirfd = AT_FDCWD;
                let mut first_path = None;
                for arg in spec.args {
                    let (name, value) = match *arg {
                        Arg::Int(name, i) => {
                            let v = if name.ends_with("fd") {
                                i64::from(args[i] as u32 as i32)
                            } else {
                                args[i] as i64
                            };
                            (name, ArgValue::Int(v))
                        }
                        Arg::DirFd(name, i) => {
                            dirfd = i64::from(args[i] as u32 as i32);
                            (name, ArgValue::Int(dirfd))
                        }
                        Arg::Str(name, slot) => {
                            let raw = text(&strings[usize::from(slot)]);
                            let value = if PATH_ARGS.contains(&name)
                                && spec.name != "memfd_create"
                                && !raw.is_empty()
                            {
                                let resolved = self.resolve(pid, dirfd, &raw);
                                first_path.get_or_insert((raw, resolved.clone()));
                                resolved
                            } else {
                                raw
                            };
                            (name, ArgValue::Str(value))
                        }
                        Arg::OpenFlags(name, src) => (
                            name,
                            ArgValue::Str(render_open_flags(flag(src, &args, &extra))),
                        ),
                        Arg::Mode(name, src) => {
                            (name, ArgValue::Str(render_mode(flag(src, &args, &extra))))
                        }
                        Arg::PtraceRequest(name, i) => {
                            (name, ArgValue::Str(render_ptrace_request(args[i])))
                        }
                        Arg::Domain(name, i) => (name, ArgValue::Str(render_domain(args[i]))),
                        Arg::CloneFlags(name, i) => {
                            (name, ArgValue::Str(render_clone_flags(args[i])))
                        }
                        Arg::BpfCmd(name, i) => (name, ArgValue::Str(render_bpf_cmd(args[i]))),
                    };
                    ev.args.insert(name.to_string(), value);
                }
                let fd = match spec.result {
                    SyscallResult::PathFd => {
                        let (raw, name) = first_path.unwrap_or_default();
                        let flags = spec
                            .args
                            .iter()
                            .find_map(|a| match a {
                                Arg::OpenFlags(_, src) => Some(flag(*src, &args, &extra)),
                                _ => None,
                            })
                            .unwrap_or(0);
                        let kind = if flags & O_DIRECTORY != 0 {
                            FdKind::Directory
                        } else {
                            FdKind::File
                        };
                        ev.args.insert("fd".into(), ArgValue::Int(ret));
                        let fd = Fd {
                            num: if ret >= 0 { ret } else { -1 },
                            kind,
                            name,
                            nameraw: raw,
                            ..Default::default()
                        };
                        if ret >= 0 {
                            self.set_fd(pid, &fd);
                        }
                        Some(fd)
                    }
                    SyscallResult::SocketFd if ret >= 0 => {
                        ev.args.insert("fd".into(), ArgValue::Int(ret));
                        let fd = match (&sock, spec.name) {
                            (Some(s), _) => {
                                socket_fd(ret, s, spec.name.starts_with("accept"), None)
                            }
                            (None, "socket") => Fd {
                                num: ret,
                                kind: match args[0] {
                                    1 => FdKind::Unix,
                                    2 => FdKind::Ipv4,
                                    10 => FdKind::Ipv6,
                                    16 => FdKind::Netlink,
                                    _ => FdKind::Unknown,
                                },
                                ..Default::default()
                            },
                            // dup2/dup3 of a non-socket: the new fd names what the old one did.
                            (None, _) => {
                                let old = i64::from(args[0] as u32 as i32);
                                let mut f = self.fd_of(pid, old).unwrap_or_default();
                                f.num = ret;
                                f
                            }
                        };
                        self.set_fd(pid, &fd);
                        Some(fd)
                    }
                    SyscallResult::SocketFd => None,
                    SyscallResult::OtherFd(kind) if ret >= 0 => {
                        let name = match kind {
                            FdKind::Memfd => format!("memfd:{}", text(&strings[0])),
                            _ => String::new(),
                        };
                        let fd = Fd {
                            num: ret,
                            kind,
                            name,
                            ..Default::default()
                        };
                        self.set_fd(pid, &fd);
                        Some(fd)
                    }
                    SyscallResult::OtherFd(_) => None,
                    SyscallResult::Status => match spec.fd_arg {
                        Some(i) => {
                            let num = i64::from(args[i] as u32 as i32);
                            match &sock {
                                Some(s) => {
                                    let server = matches!(spec.name, "bind" | "listen");
                                    let mut fd = socket_fd(num, s, server, unix_path(&strings[1]));
                                    let before = self
                                        .procs
                                        .get(&pid)
                                        .and_then(|p| p.fds.get(&num))
                                        .map(|f| f.name.clone());
                                    fd.name_changed = before.as_deref() != Some(fd.name.as_str());
                                    self.set_fd(pid, &fd);
                                    Some(fd)
                                }
                                None => self.fd_of(pid, num),
                            }
                        }
                        None => None,
                    },
                };
                ev.fd = fd;
                if ret == 0 && matches!(spec.name, "chdir" | "fchdir") {
                    let dir = match spec.name {
                        "chdir" => match ev.args.get("path") {
                            Some(ArgValue::Str(s)) => s.clone(),
                            _ => String::new(),
                        },
                        _ => ev.fd.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
                    };
                    if !dir.is_empty() {
                        self.procs.get_mut(&pid).expect("ensured").cwd = with_slash(dir);
                    }
                }
                Some(ev)
            }
        }
    }
}

impl Default for Enricher {
    fn default() -> Self {
        Enricher::new()
    }
}

fn flag(src: FlagSource, args: &[u64; 6], extra: &[u64; 2]) -> u64 {
    match src {
        FlagSource::Reg(i) => args[i],
        FlagSource::OpenHow(i) => extra[i],
    }
}

#[cfg(test)]
mod tests;
