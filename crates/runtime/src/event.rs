//! The one runtime event type: what the sensor produces, what `record` writes, what `replay`
//! reads and what rule conditions evaluate.
//!
//! An [`Event`] is self-contained: the producer resolves process-tree, fd-table, user and
//! container state at the time of the syscall and copies what rules can ask about into the
//! event. Replaying a stream therefore needs no state and gives the same alerts as the live run.
//!
//! The serde form is the record/replay format (one JSON object per line, `docs/runtime-events.md`).
//! Every field except `ts` and `type` has a default, so hand-written events stay short; names
//! are stable (new fields are only ever added).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One syscall exit event with the state rules may look at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Wall-clock time of the event, nanoseconds since the Unix epoch.
    pub ts: u64,
    /// Sequence number in the stream (`evt.num`), starting at 1; 0 when unknown (replay then
    /// numbers events by position: upstream rules treat `evt.num=0` as "never").
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub num: u64,
    /// Syscall name as Falco spells it (`execve`, `openat`, `connect`, ...): `evt.type`.
    #[serde(rename = "type")]
    pub evt_type: String,
    /// Direction: `<` for exit (the only direction rules see), `>` for enter.
    #[serde(default = "exit_dir")]
    pub dir: String,
    /// Raw return value (`evt.rawres`): negative errno on failure, fd or 0 on success.
    #[serde(default)]
    pub res: i64,
    /// Syscall arguments by Falco's `evt.arg.*` names (`flags`, `mode`, `path`, `name`,
    /// `oldpath`, `newpath`, `target`, `linkpath`, `uid`, `request`, `domain`, `cmd`, `fd`,
    /// `filename`, `data`, ...). Flag and enum arguments are rendered symbolically as Falco
    /// does (`O_RDONLY|O_CLOEXEC`, `S_IXUSR|S_IRUSR`, `PTRACE_ATTACH`, `AF_PACKET`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, ArgValue>,
    /// The calling thread and its process.
    #[serde(default)]
    pub thread: Process,
    /// Ancestors of the calling process, parent first (`proc.aname[1]` is `ancestors[0]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<ProcessSummary>,
    /// The file descriptor the event acts on or creates, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<Fd>,
    /// The container the process runs in; `None` on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    /// Kubernetes pod metadata when the container belongs to a pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<K8s>,
}

/// A syscall argument value: numbers stay numbers, everything else is its rendered string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    /// Numeric argument (fd, uid, raw flags where no symbolic form exists).
    Int(i64),
    /// Path, name, or symbolic rendering of flags/enums.
    Str(String),
}

impl ArgValue {
    /// The argument as Falco renders it in strings and outputs.
    pub fn render(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ArgValue::Int(n) => std::borrow::Cow::Owned(n.to_string()),
            ArgValue::Str(s) => std::borrow::Cow::Borrowed(s),
        }
    }
}

/// The calling thread with its process state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    /// Process id (thread group id) in the host pid namespace: `proc.pid`.
    pub pid: i64,
    /// Thread id in the host pid namespace: `thread.tid`.
    pub tid: i64,
    /// Process id inside its pid namespace: `proc.vpid` (1 for a container's init).
    pub vpid: i64,
    /// Parent process id: `proc.ppid`.
    pub ppid: i64,
    /// Session id: `proc.sid`.
    pub sid: i64,
    /// Process group id inside the pid namespace: `proc.vpgid`.
    pub vpgid: i64,
    /// Real user id: `user.uid`.
    pub uid: u32,
    /// Real group id: `group.gid`.
    pub gid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Audit login uid (`user.loginuid`); `-1` when unset (also the default).
    pub loginuid: i64,
    /// User name of `uid` (`user.name`), empty when unknown.
    pub user: String,
    /// Group name of `gid` (`group.name`), empty when unknown.
    pub group: String,
    /// User name of `loginuid` (`user.loginname`), empty when unknown.
    pub loginname: String,
    /// Process name, the executable's basename as the kernel keeps it: `proc.name`.
    pub name: String,
    /// `argv[0]`, as Falco's `proc.exe`.
    pub exe: String,
    /// Full path of the executable: `proc.exepath`.
    pub exepath: String,
    /// `argv[1..]`: `proc.args` joins them with spaces.
    pub args: Vec<String>,
    /// Working directory, with a trailing `/` as Falco reports it: `proc.cwd`.
    pub cwd: String,
    /// Environment as `NAME=value` strings; empty when not captured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Controlling terminal device number, 0 for none: `proc.tty`.
    pub tty: u32,
    /// Name of the session leader: `proc.sname`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sname: String,
    /// Permitted capabilities bitmask: `thread.cap_permitted`.
    pub cap_permitted: u64,
    /// Effective capabilities bitmask: `thread.cap_effective`.
    pub cap_effective: u64,
    /// The executable lives in the upper (writable) layer of an overlay filesystem.
    pub is_exe_upper_layer: bool,
    /// The executable was loaded from a `memfd_create` file descriptor.
    pub is_exe_from_memfd: bool,
    /// Change time of the executable's inode, ns since the epoch (0 when unknown).
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub exe_ino_ctime: u64,
    /// Modification time of the executable's inode, ns since the epoch (0 when unknown).
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub exe_ino_mtime: u64,
    /// Process start time (fork/clone), ns since the epoch: `proc.duration` is `ts - start_ts`.
    pub start_ts: u64,
}

/// An ancestor process, enough for `proc.aname[n]`, `proc.aexe[n]`, `proc.pcmdline`, ...
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessSummary {
    /// Process id.
    pub pid: i64,
    /// Process name.
    pub name: String,
    /// `argv[0]`.
    pub exe: String,
    /// Full path of the executable.
    pub exepath: String,
    /// `argv[1..]`.
    pub args: Vec<String>,
}

/// A file descriptor with what its table entry knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fd {
    /// Descriptor number (`fd.num`); -1 when the call failed before one existed.
    pub num: i64,
    /// Kind of descriptor.
    #[serde(rename = "type")]
    pub kind: FdKind,
    /// Full name: a path for files, `cip:cport->sip:sport` for sockets, as `fd.name`.
    pub name: String,
    /// Name as passed to the syscall, before path resolution (`fd.nameraw`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nameraw: String,
    /// The event changed this descriptor's name (e.g. a UDP connect): `fd.name_changed`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub name_changed: bool,
    /// For sockets: the connection tuple.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net: Option<NetTuple>,
}

/// Descriptor kinds with Falco's `fd.type` names; `fd.typechar` derives from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FdKind {
    /// Regular file (`f`).
    #[default]
    File,
    /// Directory (`d`).
    Directory,
    /// IPv4 socket (`4`).
    Ipv4,
    /// IPv6 socket (`6`).
    Ipv6,
    /// Unix socket (`u`).
    Unix,
    /// Pipe (`p`).
    Pipe,
    /// eventfd (`e`).
    Event,
    /// signalfd (`s`).
    Signalfd,
    /// eventpoll (`l`).
    Eventpoll,
    /// inotify (`i`).
    Inotify,
    /// timerfd (`t`).
    Timerfd,
    /// netlink socket (`n`).
    Netlink,
    /// BPF map or program (`b`).
    Bpf,
    /// userfaultfd (`u`, as Falco).
    Userfaultfd,
    /// io_uring (`r`).
    IoUring,
    /// memfd (`m`).
    Memfd,
    /// Any other kind (`o`).
    Unknown,
}

impl FdKind {
    /// Falco's `fd.type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ipv4 => "ipv4",
            FdKind::Ipv6 => "ipv6",
            FdKind::Unix => "unix",
            FdKind::Pipe => "pipe",
            FdKind::Event => "event",
            FdKind::Signalfd => "signalfd",
            FdKind::Eventpoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::Timerfd => "timerfd",
            FdKind::Netlink => "netlink",
            FdKind::Bpf => "bpf",
            FdKind::Userfaultfd => "userfaultfd",
            FdKind::IoUring => "io_uring",
            FdKind::Memfd => "memfd",
            FdKind::Unknown => "unknown",
        }
    }

    /// Falco's `fd.typechar`.
    pub fn typechar(self) -> char {
        match self {
            FdKind::File => 'f',
            FdKind::Directory => 'd',
            FdKind::Ipv4 => '4',
            FdKind::Ipv6 => '6',
            FdKind::Unix | FdKind::Userfaultfd => 'u',
            FdKind::Pipe => 'p',
            FdKind::Event => 'e',
            FdKind::Signalfd => 's',
            FdKind::Eventpoll => 'l',
            FdKind::Inotify => 'i',
            FdKind::Timerfd => 't',
            FdKind::Netlink => 'n',
            FdKind::Bpf => 'b',
            FdKind::IoUring => 'r',
            FdKind::Memfd => 'm',
            FdKind::Unknown => 'o',
        }
    }
}

/// A socket's endpoints. Client/server follow the connection's direction (the side that
/// connected is the client); `is_server` says which side this process is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetTuple {
    /// Client address (IPv4 or IPv6 text form), empty for unix sockets.
    pub cip: String,
    /// Client port.
    pub cport: u16,
    /// Server address.
    pub sip: String,
    /// Server port.
    pub sport: u16,
    /// `tcp`, `udp`, `icmp`, `raw` or empty for unix sockets: `fd.l4proto`.
    pub l4proto: String,
    /// The socket is connected (`fd.connected`).
    pub connected: bool,
    /// This process is the server side (accept/listen), so local = server.
    pub is_server: bool,
    /// Resolved DNS name of the client address, when the producer knows one (`fd.cip.name`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cip_name: String,
    /// Resolved DNS name of the server address (`fd.sip.name`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sip_name: String,
}

/// The container a process runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    /// Short (12 hex chars) container id: `container.id`.
    pub id: String,
    /// Container name: `container.name`.
    pub name: String,
    /// Image repository without tag or digest: `container.image.repository`.
    pub image_repository: String,
    /// Image tag: `container.image.tag`.
    pub image_tag: String,
    /// Image digest (`sha256:...`), when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image_digest: String,
    /// Runtime that runs it: `docker`, `podman`, `containerd`, `cri-o`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    /// Privileged container: `container.privileged`.
    pub privileged: bool,
    /// Container start time, ns since the epoch (`container.start_ts`).
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub start_ts: u64,
    /// Mounts, in the runtime's order (`container.mount*`, `container.mounts`).
    pub mounts: Vec<Mount>,
}

/// One container mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mount {
    /// Host path (or volume source).
    pub source: String,
    /// Path inside the container.
    pub dest: String,
    /// Mount mode as the runtime reports it (`rw`, `ro`, ...).
    pub mode: String,
    /// Read-write.
    pub rw: bool,
    /// Propagation (`rprivate`, `rshared`, ...).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub propagation: String,
}

/// Kubernetes pod metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct K8s {
    /// Namespace: `k8s.ns.name`.
    pub ns: String,
    /// Pod name: `k8s.pod.name`.
    pub pod: String,
    /// Pod UID, when known.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_uid: String,
}

fn exit_dir() -> String {
    "<".to_string()
}

impl Default for Process {
    fn default() -> Self {
        Process {
            pid: 0,
            tid: 0,
            vpid: 0,
            ppid: 0,
            sid: 0,
            vpgid: 0,
            uid: 0,
            gid: 0,
            euid: 0,
            loginuid: -1,
            user: String::new(),
            group: String::new(),
            loginname: String::new(),
            name: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            env: Vec::new(),
            tty: 0,
            sname: String::new(),
            cap_permitted: 0,
            cap_effective: 0,
            is_exe_upper_layer: false,
            is_exe_from_memfd: false,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            start_ts: 0,
        }
    }
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_event_gets_defaults() {
        let ev: Event = serde_json::from_str(r#"{"ts":1,"type":"execve"}"#).unwrap();
        assert_eq!(ev.dir, "<");
        assert_eq!(ev.thread.loginuid, -1);
        assert!(ev.fd.is_none() && ev.container.is_none());
    }

    #[test]
    fn full_event_round_trips() {
        let ev = Event {
            ts: 1_700_000_000_000_000_000,
            num: 7,
            evt_type: "connect".into(),
            dir: "<".into(),
            res: 0,
            args: BTreeMap::from([
                ("fd".into(), ArgValue::Int(3)),
                ("addr".into(), ArgValue::Str("10.0.0.1:443".into())),
            ]),
            thread: Process {
                pid: 10,
                name: "curl".into(),
                args: vec!["https://x".into()],
                ..Default::default()
            },
            ancestors: vec![ProcessSummary {
                pid: 9,
                name: "bash".into(),
                ..Default::default()
            }],
            fd: Some(Fd {
                num: 3,
                kind: FdKind::Ipv4,
                name: "172.17.0.2:40000->10.0.0.1:443".into(),
                net: Some(NetTuple {
                    cip: "172.17.0.2".into(),
                    cport: 40000,
                    sip: "10.0.0.1".into(),
                    sport: 443,
                    l4proto: "tcp".into(),
                    connected: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            container: Some(Container {
                id: "0123456789ab".into(),
                mounts: vec![Mount {
                    source: "/etc".into(),
                    dest: "/host/etc".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            k8s: Some(K8s {
                ns: "default".into(),
                pod: "web".into(),
                ..Default::default()
            }),
        };
        let line = serde_json::to_string(&ev).unwrap();
        assert!(!line.contains('\n'));
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn fd_kind_names_match_falco() {
        let fd: Fd = serde_json::from_str(r#"{"num":3,"type":"ipv6","name":"x"}"#).unwrap();
        assert_eq!(fd.kind.as_str(), "ipv6");
        assert_eq!(fd.kind.typechar(), '6');
    }
}
