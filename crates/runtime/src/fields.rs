//! The fields table: every Falco field a condition or output may name, with its type, its
//! argument and how to read it from an [`Event`].
//!
//! Adding a field is one entry in [`FIELDS`]. Conditions and outputs know fields only through
//! [`lookup`], so a name missing here is reported when a rule loads, never evaluated as false.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::IpAddr;

use globset::{GlobBuilder, GlobMatcher};

use crate::event::{ArgValue, Event, FdKind, NetTuple, ProcessSummary};

/// A field's value for one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// Number.
    Int(i64),
    /// Flag.
    Bool(bool),
    /// IP address.
    Ip(IpAddr),
    /// Several values (every ancestor, both ends of a socket); a check holds if any element does.
    Many(Vec<Value<'a>>),
}

impl Value<'_> {
    /// The value as Falco prints it in outputs.
    pub fn render(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Int(n) => Cow::Owned(n.to_string()),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Ip(ip) => Cow::Owned(ip.to_string()),
            Value::Many(v) => Cow::Owned(
                v.iter()
                    .map(|x| x.render().into_owned())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }
}

/// What a field's value is, which decides how literals are parsed and which operators apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    Str,
    /// Signed number.
    Int,
    /// true/false.
    Bool,
    /// IP address; `=`/`in` literals may be CIDR networks.
    Ip,
    /// A syscall argument: a number or a string, compared as rendered text, numerically for `<`...
    Dyn,
}

/// What goes between a field's brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// No argument allowed.
    None,
    /// Optional ancestor/element index (`proc.aname[2]`).
    OptIndex,
    /// Required name (`evt.arg[flags]`).
    Key,
    /// Optional name (`proc.env[HOME]`).
    OptKey,
    /// Required path glob (`container.mount.dest[/etc*]`).
    Glob,
}

/// A field argument, parsed once when the rule compiles.
#[derive(Debug, Clone)]
pub enum FieldArg {
    /// None given.
    None,
    /// An index.
    Index(usize),
    /// A name.
    Key(String),
    /// A compiled glob.
    Glob(GlobMatcher),
}

/// How a field is read.
pub type Getter = for<'a> fn(&'a Ctx<'a>, &'a FieldArg) -> Option<Value<'a>>;

/// One row of the fields table.
pub struct FieldDef {
    /// Falco's name.
    pub name: &'static str,
    /// Value type.
    pub ty: FieldType,
    /// Argument it takes.
    pub arg: ArgKind,
    /// One line of documentation.
    pub desc: &'static str,
    /// The extractor.
    pub get: Getter,
}

impl std::fmt::Debug for FieldDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Per-event evaluation context: the event and lazily built strings several fields share, so a
/// command line is joined at most once per event whatever the number of rules asking for it.
pub struct Ctx<'a> {
    /// The event.
    pub ev: &'a Event,
    cmdline: OnceCell<String>,
    args: OnceCell<String>,
    pcmdline: OnceCell<String>,
    env: OnceCell<String>,
    cap_permitted: OnceCell<String>,
    cap_effective: OnceCell<String>,
    evt_args: OnceCell<String>,
    time: OnceCell<String>,
    open_mode: OnceCell<(bool, bool)>,
}

impl<'a> Ctx<'a> {
    /// A context for `ev`.
    pub fn new(ev: &'a Event) -> Self {
        Ctx {
            ev,
            cmdline: OnceCell::new(),
            args: OnceCell::new(),
            pcmdline: OnceCell::new(),
            env: OnceCell::new(),
            cap_permitted: OnceCell::new(),
            cap_effective: OnceCell::new(),
            evt_args: OnceCell::new(),
            time: OnceCell::new(),
            open_mode: OnceCell::new(),
        }
    }
}

/// Heap blocks of an event, outside the [`Event`] struct itself, that fields read: the engine
/// knows from the checks of each event type's rules which blocks they read, and
/// [`Ctx::prefetch`] asks for all of them at once when an event starts. A field read from a
/// block not yet in cache stalls until memory answers, and the rules discover the blocks one
/// after the other; requested together, the misses overlap. Events still warm from parsing or
/// enrichment make the requests no-ops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapParts(u8);

impl HeapParts {
    /// The syscall arguments (`evt.arg.*`, `evt.is_open_*`): map nodes, names and text values.
    pub const ARGS: HeapParts = HeapParts(1);
    /// The fd's name (`fd.name`, `fd.directory`, `fd.filename`).
    pub const FD_NAME: HeapParts = HeapParts(1 << 1);
    /// The process name (`proc.name`).
    pub const PROC_NAME: HeapParts = HeapParts(1 << 2);
    /// The executable (`proc.exe`, `proc.exepath`).
    pub const PROC_EXE: HeapParts = HeapParts(1 << 3);
    /// The container id (`container.id`, read by the ubiquitous `container` macro).
    pub const CONTAINER_ID: HeapParts = HeapParts(1 << 4);
    /// The ancestor list (`proc.pname`, `proc.aname`).
    pub const ANCESTORS: HeapParts = HeapParts(1 << 5);

    /// The fields the upstream rules test often, with the blocks they read; other fields
    /// read nothing worth asking for ahead.
    const OF_FIELDS: &[(&str, HeapParts)] = &[
        ("evt.arg", HeapParts::ARGS),
        ("evt.args", HeapParts::ARGS),
        ("evt.is_open_read", HeapParts::ARGS),
        ("evt.is_open_write", HeapParts::ARGS),
        ("evt.is_open_exec", HeapParts::ARGS),
        ("fd.name", HeapParts::FD_NAME),
        ("fd.nameraw", HeapParts::FD_NAME),
        ("fd.directory", HeapParts::FD_NAME),
        ("fd.filename", HeapParts::FD_NAME),
        ("proc.name", HeapParts::PROC_NAME),
        ("proc.exe", HeapParts::PROC_EXE),
        ("proc.exepath", HeapParts::PROC_EXE),
        ("container.id", HeapParts::CONTAINER_ID),
        ("proc.pname", HeapParts::ANCESTORS),
        ("proc.aname", HeapParts::ANCESTORS),
    ];

    /// The blocks the field named `name` in [`FIELDS`] reads.
    pub fn of_field(name: &str) -> HeapParts {
        HeapParts::OF_FIELDS
            .iter()
            .find(|(f, _)| *f == name)
            .map_or_else(HeapParts::default, |(_, p)| *p)
    }

    /// Both sets.
    pub fn union(self, other: HeapParts) -> HeapParts {
        HeapParts(self.0 | other.0)
    }

    fn has(self, part: HeapParts) -> bool {
        self.0 & part.0 != 0
    }
}

/// Asks the CPU to bring the cache line at `p` in, without waiting for it (a hint: no effect
/// on results, and a no-op on targets without a stable prefetch instruction).
#[inline(always)]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing the program sees, whatever `p` is.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Ctx<'_> {
    /// Requests the heap blocks in `parts` (see [`HeapParts`]).
    #[inline]
    pub fn prefetch(&self, parts: HeapParts) {
        let ev = self.ev;
        if parts.has(HeapParts::ARGS) {
            // Walking the map touches its nodes (the lookup that follows needs them anyway)
            // and requests each name and text value.
            for (k, v) in &ev.args {
                prefetch(k.as_ptr());
                if let ArgValue::Str(t) = v {
                    prefetch(t.as_ptr());
                }
            }
        }
        if parts.has(HeapParts::FD_NAME)
            && let Some(fd) = &ev.fd
        {
            prefetch(fd.name.as_ptr());
        }
        if parts.has(HeapParts::PROC_NAME) {
            prefetch(ev.thread.name.as_ptr());
        }
        if parts.has(HeapParts::PROC_EXE) {
            prefetch(ev.thread.exe.as_ptr());
            prefetch(ev.thread.exepath.as_ptr());
        }
        if parts.has(HeapParts::CONTAINER_ID)
            && let Some(c) = &ev.container
        {
            prefetch(c.id.as_ptr());
        }
        if parts.has(HeapParts::ANCESTORS) {
            prefetch(ev.ancestors.as_ptr().cast());
        }
    }
}

/// Looks a field up by the name written in a condition or output; `evt.arg.NAME` is
/// `evt.arg[NAME]`. Errors say what is wrong with the name or argument.
pub fn lookup(name: &str, arg: Option<&str>) -> Result<(&'static FieldDef, FieldArg), String> {
    if let Some(key) = name
        .strip_prefix("evt.arg.")
        .or_else(|| name.strip_prefix("evt.rawarg."))
    {
        if arg.is_some() || key.is_empty() {
            return Err(format!("malformed argument field `{name}`"));
        }
        let def = FIELDS
            .iter()
            .find(|f| f.name == "evt.arg")
            .ok_or("fields table lacks evt.arg")?;
        return Ok((def, FieldArg::Key(key.to_string())));
    }
    let lookup_name = if name == "evt.rawarg" {
        "evt.arg"
    } else {
        name
    };
    let def = FIELDS
        .iter()
        .find(|f| f.name == lookup_name)
        .ok_or_else(|| format!("unknown field `{name}`"))?;
    let parsed = match (def.arg, arg) {
        (ArgKind::None, None) | (ArgKind::OptIndex | ArgKind::OptKey, None) => FieldArg::None,
        (ArgKind::None, Some(a)) => {
            return Err(format!("field `{name}` takes no argument, got `[{a}]`"));
        }
        (ArgKind::OptIndex, Some(a)) => FieldArg::Index(
            a.parse()
                .map_err(|_| format!("field `{name}` needs a numeric index, got `[{a}]`"))?,
        ),
        (ArgKind::Key | ArgKind::OptKey, Some(a)) if !a.is_empty() => FieldArg::Key(a.to_string()),
        (ArgKind::Glob, Some(a)) if !a.is_empty() => FieldArg::Glob(
            GlobBuilder::new(a)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("field `{name}[{a}]`: bad glob: {e}"))?
                .compile_matcher(),
        ),
        (_, _) => return Err(format!("field `{name}` needs an argument in brackets")),
    };
    Ok((def, parsed))
}

fn s(v: &str) -> Option<Value<'_>> {
    Some(Value::Str(Cow::Borrowed(v)))
}

fn owned<'a>(v: String) -> Option<Value<'a>> {
    Some(Value::Str(Cow::Owned(v)))
}

fn nonempty(v: &str) -> Option<Value<'_>> {
    if v.is_empty() { None } else { s(v) }
}

fn int(v: impl Into<i64>) -> Option<Value<'static>> {
    Some(Value::Int(v.into()))
}

fn cmdline(name: &str, args: &[String]) -> String {
    let mut out =
        String::with_capacity(name.len() + args.iter().map(|a| a.len() + 1).sum::<usize>());
    out.push_str(name);
    for a in args {
        out.push(' ');
        out.push_str(a);
    }
    out
}

/// The ancestor at Falco index `n` (1 = parent); 0 is the process itself, handled by callers.
fn ancestor<'a>(ctx: &'a Ctx<'a>, n: usize) -> Option<&'a ProcessSummary> {
    n.checked_sub(1).and_then(|i| ctx.ev.ancestors.get(i))
}

/// `proc.aname`-style fields: no index = every ancestor, 0 = the process, n = n-th ancestor.
fn per_ancestor<'a>(
    ctx: &'a Ctx<'a>,
    arg: &FieldArg,
    own: &'a str,
    pick: fn(&ProcessSummary) -> &str,
) -> Option<Value<'a>> {
    match arg {
        FieldArg::Index(0) => s(own),
        FieldArg::Index(n) => ancestor(ctx, *n).map(|p| Value::Str(Cow::Borrowed(pick(p)))),
        _ if ctx.ev.ancestors.is_empty() => None,
        _ => Some(Value::Many(
            ctx.ev
                .ancestors
                .iter()
                .map(|p| Value::Str(Cow::Borrowed(pick(p))))
                .collect(),
        )),
    }
}

fn net<'a>(ctx: &Ctx<'a>) -> Option<&'a NetTuple> {
    ctx.ev.fd.as_ref().and_then(|f| f.net.as_ref())
}

fn ip(text: &str) -> Option<Value<'static>> {
    text.parse::<IpAddr>().ok().map(Value::Ip)
}

/// Local/remote ends: the server side is local when this process is the server.
fn local_remote(n: &NetTuple) -> ((&str, u16, &str), (&str, u16, &str)) {
    let client = (n.cip.as_str(), n.cport, n.cip_name.as_str());
    let server = (n.sip.as_str(), n.sport, n.sip_name.as_str());
    if n.is_server {
        (server, client)
    } else {
        (client, server)
    }
}

fn is_file<'a>(ctx: &Ctx<'a>) -> Option<&'a str> {
    ctx.ev
        .fd
        .as_ref()
        .filter(|f| f.kind == FdKind::File || f.kind == FdKind::Directory)
        .map(|f| f.name.as_str())
}

fn arg<'a>(ctx: &'a Ctx<'a>, key: &str) -> Option<&'a ArgValue> {
    ctx.ev.args.get(key)
}

/// The flags of a symbolic flags argument (`O_RDONLY|O_CREAT`, also space-separated). A byte
/// split: a `char` pattern costs several times more on the opens every event stream is full of.
fn flag_names(v: Option<&ArgValue>) -> impl Iterator<Item = &[u8]> {
    let text = match v {
        Some(ArgValue::Str(s)) => s.as_bytes(),
        _ => b"",
    };
    text.split(|b| *b == b'|' || *b == b' ')
        .filter(|f| !f.is_empty())
}

/// Whether a symbolic flags argument has `flag`.
fn has_flag(v: Option<&ArgValue>, flag: &str) -> bool {
    flag_names(v).any(|f| f == flag.as_bytes())
}

/// Whether the event is of the open family (a `match`: one length switch, then at most one
/// compare, where a list scan compared against every name).
fn is_open(ev: &Event) -> bool {
    matches!(
        ev.evt_type.as_str(),
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at"
    )
}

fn open_mode(ev: &Event) -> (bool, bool) {
    if !is_open(ev) {
        return (false, false);
    }
    if ev.evt_type == "creat" {
        return (false, true);
    }
    let flags = ev.args.get("flags");
    if let Some(ArgValue::Int(n)) = flags {
        let acc = n & 3;
        return (acc == 0 || acc == 2, acc == 1 || acc == 2);
    }
    // One pass over the flags, telling tokens apart by length and one word compare: this runs
    // for every open event, and a `memcmp` call per token and candidate cost more than the rest.
    const RDONLY: u64 = u64::from_le_bytes(*b"O_RDONLY");
    const WRONLY: u64 = u64::from_le_bytes(*b"O_WRONLY");
    let mut mode = (false, false);
    for f in flag_names(flags) {
        match <[u8; 8]>::try_from(f).map(u64::from_le_bytes) {
            Ok(RDONLY) => mode.0 = true,
            Ok(WRONLY) => mode.1 = true,
            Ok(_) => {}
            Err(_) if f == b"O_RDWR" => return (true, true),
            Err(_) => {}
        }
    }
    mode
}

/// Falco's `evt.res`: `SUCCESS`, or the errno name of a negative result.
pub fn res_text(res: i64) -> Cow<'static, str> {
    if res >= 0 {
        return Cow::Borrowed("SUCCESS");
    }
    const NAMES: &[(i64, &str)] = &[
        (1, "EPERM"),
        (2, "ENOENT"),
        (3, "ESRCH"),
        (4, "EINTR"),
        (5, "EIO"),
        (6, "ENXIO"),
        (7, "E2BIG"),
        (8, "ENOEXEC"),
        (9, "EBADF"),
        (10, "ECHILD"),
        (11, "EAGAIN"),
        (12, "ENOMEM"),
        (13, "EACCES"),
        (14, "EFAULT"),
        (16, "EBUSY"),
        (17, "EEXIST"),
        (18, "EXDEV"),
        (19, "ENODEV"),
        (20, "ENOTDIR"),
        (21, "EISDIR"),
        (22, "EINVAL"),
        (23, "ENFILE"),
        (24, "EMFILE"),
        (25, "ENOTTY"),
        (26, "ETXTBSY"),
        (27, "EFBIG"),
        (28, "ENOSPC"),
        (29, "ESPIPE"),
        (30, "EROFS"),
        (31, "EMLINK"),
        (32, "EPIPE"),
        (36, "ENAMETOOLONG"),
        (38, "ENOSYS"),
        (39, "ENOTEMPTY"),
        (40, "ELOOP"),
        (61, "ENODATA"),
        (71, "EPROTO"),
        (88, "ENOTSOCK"),
        (95, "EOPNOTSUPP"),
        (97, "EAFNOSUPPORT"),
        (98, "EADDRINUSE"),
        (99, "EADDRNOTAVAIL"),
        (100, "ENETDOWN"),
        (101, "ENETUNREACH"),
        (103, "ECONNABORTED"),
        (104, "ECONNRESET"),
        (106, "EISCONN"),
        (107, "ENOTCONN"),
        (110, "ETIMEDOUT"),
        (111, "ECONNREFUSED"),
        (113, "EHOSTUNREACH"),
        (114, "EALREADY"),
        (115, "EINPROGRESS"),
    ];
    match NAMES.iter().find(|(n, _)| *n == -res) {
        Some((_, name)) => Cow::Borrowed(name),
        None => Cow::Owned(format!("E{}", -res)),
    }
}

/// Linux capability names by bit.
const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability mask as Falco renders it: names separated by spaces.
pub fn caps_text(mask: u64) -> String {
    CAPS.iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Position of the last `/`: a byte scan, cheaper than `rfind` on the short paths fields see.
fn last_slash(path: &str) -> Option<usize> {
    path.bytes().rposition(|b| b == b'/')
}

fn dirname(path: &str) -> &str {
    match last_slash(path) {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

fn basename(path: &str) -> &str {
    last_slash(path).map_or(path, |i| &path[i + 1..])
}

fn mount_lookup<'a>(ctx: &'a Ctx<'a>, arg: &FieldArg, by_source: bool) -> Option<Value<'a>> {
    let FieldArg::Glob(g) = arg else { return None };
    let found = ctx.ev.container.as_ref().and_then(|c| {
        c.mounts
            .iter()
            .find(|m| g.is_match(if by_source { &m.source } else { &m.dest }))
    });
    match found {
        Some(m) => s(if by_source { &m.dest } else { &m.source }),
        None => s("N/A"),
    }
}

/// Every field osprey supplies.
pub static FIELDS: &[FieldDef] = &[
    // --- evt.*
    FieldDef {
        name: "evt.type",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "syscall name",
        get: |c, _| s(&c.ev.evt_type),
    },
    FieldDef {
        name: "evt.dir",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "`<` exit, `>` enter",
        get: |c, _| s(&c.ev.dir),
    },
    FieldDef {
        name: "evt.num",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "sequence number",
        get: |c, _| int(c.ev.num as i64),
    },
    FieldDef {
        name: "evt.rawtime",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "ns since the epoch",
        get: |c, _| int(c.ev.ts as i64),
    },
    FieldDef {
        name: "evt.time",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "RFC 3339 time with ns",
        get: |c, _| s(c.time.get_or_init(|| crate::output::rfc3339_nanos(c.ev.ts))),
    },
    FieldDef {
        name: "evt.res",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "SUCCESS or errno name",
        get: |c, _| Some(Value::Str(res_text(c.ev.res))),
    },
    FieldDef {
        name: "evt.rawres",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "raw return value",
        get: |c, _| int(c.ev.res),
    },
    FieldDef {
        name: "evt.failed",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "the call failed",
        get: |c, _| Some(Value::Bool(c.ev.res < 0)),
    },
    FieldDef {
        name: "evt.arg",
        ty: FieldType::Dyn,
        arg: ArgKind::Key,
        desc: "a syscall argument by name (`evt.arg.NAME`)",
        get: |c, a| match a {
            FieldArg::Key(k) => arg(c, k).map(|v| match v {
                ArgValue::Int(n) => Value::Int(*n),
                ArgValue::Str(t) => Value::Str(Cow::Borrowed(t)),
            }),
            _ => None,
        },
    },
    FieldDef {
        name: "evt.args",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "all arguments as `name=value`",
        get: |c, _| {
            s(c.evt_args.get_or_init(|| {
                c.ev.args
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.render()))
                    .collect::<Vec<_>>()
                    .join(" ")
            }))
        },
    },
    FieldDef {
        name: "evt.buffer",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "I/O data buffer (`args.data`)",
        get: |c, _| arg(c, "data").map(|v| Value::Str(v.render())),
    },
    FieldDef {
        name: "evt.is_open_read",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "open for reading",
        get: |c, _| Some(Value::Bool(c.open_mode.get_or_init(|| open_mode(c.ev)).0)),
    },
    FieldDef {
        name: "evt.is_open_write",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "open for writing",
        get: |c, _| Some(Value::Bool(c.open_mode.get_or_init(|| open_mode(c.ev)).1)),
    },
    FieldDef {
        name: "evt.is_open_exec",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "open creating a file with an execute bit",
        get: |c, _| {
            let creates = c.ev.evt_type == "creat" || has_flag(c.ev.args.get("flags"), "O_CREAT");
            let m = c.ev.args.get("mode");
            let exec = ["S_IXUSR", "S_IXGRP", "S_IXOTH"]
                .iter()
                .any(|f| has_flag(m, f))
                || matches!(m, Some(ArgValue::Int(n)) if n & 0o111 != 0);
            Some(Value::Bool(is_open(c.ev) && creates && exec))
        },
    },
    // --- proc.* / thread.*
    FieldDef {
        name: "proc.pid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "process id",
        get: |c, _| int(c.ev.thread.pid),
    },
    FieldDef {
        name: "proc.ppid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "parent process id",
        get: |c, _| int(c.ev.thread.ppid),
    },
    FieldDef {
        name: "proc.vpid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "pid in its namespace",
        get: |c, _| int(c.ev.thread.vpid),
    },
    FieldDef {
        name: "proc.sid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "session id",
        get: |c, _| int(c.ev.thread.sid),
    },
    FieldDef {
        name: "proc.vpgid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "process group id in its namespace",
        get: |c, _| int(c.ev.thread.vpgid),
    },
    FieldDef {
        name: "proc.is_vpgid_leader",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "leads its process group",
        get: |c, _| {
            Some(Value::Bool(
                c.ev.thread.vpgid != 0 && c.ev.thread.vpid == c.ev.thread.vpgid,
            ))
        },
    },
    FieldDef {
        name: "thread.tid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "thread id",
        get: |c, _| int(c.ev.thread.tid),
    },
    FieldDef {
        name: "proc.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "process name",
        get: |c, _| s(&c.ev.thread.name),
    },
    FieldDef {
        name: "proc.exe",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "argv[0]",
        get: |c, _| s(&c.ev.thread.exe),
    },
    FieldDef {
        name: "proc.exepath",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "executable path",
        get: |c, _| s(&c.ev.thread.exepath),
    },
    FieldDef {
        name: "proc.args",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "arguments joined by spaces",
        get: |c, _| s(c.args.get_or_init(|| c.ev.thread.args.join(" "))),
    },
    FieldDef {
        name: "proc.cmdline",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "name and arguments",
        get: |c, _| {
            s(c.cmdline
                .get_or_init(|| cmdline(&c.ev.thread.name, &c.ev.thread.args)))
        },
    },
    FieldDef {
        name: "proc.cwd",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "working directory",
        get: |c, _| s(&c.ev.thread.cwd),
    },
    FieldDef {
        name: "proc.env",
        ty: FieldType::Str,
        arg: ArgKind::OptKey,
        desc: "environment, or one variable with [NAME]",
        get: |c, a| match a {
            FieldArg::Key(k) => c.ev.thread.env.iter().find_map(|kv| {
                kv.strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix('='))
                    .map(|v| Value::Str(Cow::Borrowed(v)))
            }),
            _ => s(c.env.get_or_init(|| c.ev.thread.env.join(" "))),
        },
    },
    FieldDef {
        name: "proc.tty",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "controlling terminal, 0 for none",
        get: |c, _| int(c.ev.thread.tty),
    },
    FieldDef {
        name: "proc.sname",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "session leader name",
        get: |c, _| nonempty(&c.ev.thread.sname),
    },
    FieldDef {
        name: "proc.pname",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "parent name",
        get: |c, _| ancestor(c, 1).map(|p| Value::Str(Cow::Borrowed(&p.name))),
    },
    FieldDef {
        name: "proc.pexe",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "parent argv[0]",
        get: |c, _| ancestor(c, 1).map(|p| Value::Str(Cow::Borrowed(&p.exe))),
    },
    FieldDef {
        name: "proc.pexepath",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "parent executable path",
        get: |c, _| ancestor(c, 1).map(|p| Value::Str(Cow::Borrowed(&p.exepath))),
    },
    FieldDef {
        name: "proc.pcmdline",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "parent command line",
        get: |c, _| {
            let p = ancestor(c, 1)?;
            s(c.pcmdline.get_or_init(|| cmdline(&p.name, &p.args)))
        },
    },
    FieldDef {
        name: "proc.aname",
        ty: FieldType::Str,
        arg: ArgKind::OptIndex,
        desc: "ancestor name ([1] parent); no index: any ancestor",
        get: |c, a| per_ancestor(c, a, &c.ev.thread.name, |p| &p.name),
    },
    FieldDef {
        name: "proc.aexe",
        ty: FieldType::Str,
        arg: ArgKind::OptIndex,
        desc: "ancestor argv[0]",
        get: |c, a| per_ancestor(c, a, &c.ev.thread.exe, |p| &p.exe),
    },
    FieldDef {
        name: "proc.aexepath",
        ty: FieldType::Str,
        arg: ArgKind::OptIndex,
        desc: "ancestor executable path",
        get: |c, a| per_ancestor(c, a, &c.ev.thread.exepath, |p| &p.exepath),
    },
    FieldDef {
        name: "proc.apid",
        ty: FieldType::Int,
        arg: ArgKind::OptIndex,
        desc: "ancestor pid",
        get: |c, a| match a {
            FieldArg::Index(0) => int(c.ev.thread.pid),
            FieldArg::Index(n) => ancestor(c, *n).map(|p| Value::Int(p.pid)),
            _ => Some(Value::Many(
                c.ev.ancestors.iter().map(|p| Value::Int(p.pid)).collect(),
            )),
        },
    },
    FieldDef {
        name: "proc.duration",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "ns since the process started",
        get: |c, _| {
            (c.ev.thread.start_ts != 0)
                .then(|| Value::Int(c.ev.ts.saturating_sub(c.ev.thread.start_ts) as i64))
        },
    },
    FieldDef {
        name: "proc.is_exe_upper_layer",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "executable in an overlay upper layer",
        get: |c, _| Some(Value::Bool(c.ev.thread.is_exe_upper_layer)),
    },
    FieldDef {
        name: "proc.is_exe_from_memfd",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "executable from memfd",
        get: |c, _| Some(Value::Bool(c.ev.thread.is_exe_from_memfd)),
    },
    FieldDef {
        name: "proc.exe_ino.ctime",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "executable inode change time",
        get: |c, _| {
            (c.ev.thread.exe_ino_ctime != 0).then_some(Value::Int(c.ev.thread.exe_ino_ctime as i64))
        },
    },
    FieldDef {
        name: "proc.exe_ino.mtime",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "executable inode modification time",
        get: |c, _| {
            (c.ev.thread.exe_ino_mtime != 0).then_some(Value::Int(c.ev.thread.exe_ino_mtime as i64))
        },
    },
    FieldDef {
        name: "proc.exe_ino.ctime_duration_proc_start",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "ns between the executable's inode change and the process start",
        get: |c, _| {
            let t = &c.ev.thread;
            (t.exe_ino_ctime != 0 && t.start_ts != 0)
                .then(|| Value::Int(t.start_ts as i64 - t.exe_ino_ctime as i64))
        },
    },
    FieldDef {
        name: "thread.cap_permitted",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "permitted capabilities, space-separated names",
        get: |c, _| {
            s(c.cap_permitted
                .get_or_init(|| caps_text(c.ev.thread.cap_permitted)))
        },
    },
    FieldDef {
        name: "thread.cap_effective",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "effective capabilities, space-separated names",
        get: |c, _| {
            s(c.cap_effective
                .get_or_init(|| caps_text(c.ev.thread.cap_effective)))
        },
    },
    // --- user.* / group.*
    FieldDef {
        name: "user.uid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "user id",
        get: |c, _| int(c.ev.thread.uid),
    },
    FieldDef {
        name: "user.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "user name",
        get: |c, _| s(&c.ev.thread.user),
    },
    FieldDef {
        name: "user.loginuid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "audit login uid, -1 unset",
        get: |c, _| int(c.ev.thread.loginuid),
    },
    FieldDef {
        name: "user.loginname",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "login user name",
        get: |c, _| s(&c.ev.thread.loginname),
    },
    FieldDef {
        name: "group.gid",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "group id",
        get: |c, _| int(c.ev.thread.gid),
    },
    FieldDef {
        name: "group.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "group name",
        get: |c, _| s(&c.ev.thread.group),
    },
    // --- fd.*
    FieldDef {
        name: "fd.num",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "descriptor number",
        get: |c, _| c.ev.fd.as_ref().map(|f| Value::Int(f.num)),
    },
    FieldDef {
        name: "fd.type",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "descriptor type",
        get: |c, _| {
            c.ev.fd
                .as_ref()
                .map(|f| Value::Str(Cow::Borrowed(f.kind.as_str())))
        },
    },
    FieldDef {
        name: "fd.typechar",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "descriptor type letter",
        get: |c, _| {
            c.ev.fd.as_ref().map(|f| {
                const LETTERS: &str = "fd46upeslitnbrmo";
                // A byte scan: `str::find` with a `char` builds a searcher per call, and
                // `fd.typechar` is in the macros of every open and network rule.
                let letter = f.kind.typechar() as u8;
                let i = LETTERS
                    .bytes()
                    .position(|b| b == letter)
                    .unwrap_or(LETTERS.len() - 1);
                Value::Str(Cow::Borrowed(&LETTERS[i..i + 1]))
            })
        },
    },
    FieldDef {
        name: "fd.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "path or connection tuple",
        get: |c, _| c.ev.fd.as_ref().map(|f| Value::Str(Cow::Borrowed(&f.name))),
    },
    FieldDef {
        name: "fd.nameraw",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "name as passed to the syscall",
        get: |c, _| {
            c.ev.fd.as_ref().map(|f| {
                Value::Str(Cow::Borrowed(if f.nameraw.is_empty() {
                    &f.name
                } else {
                    &f.nameraw
                }))
            })
        },
    },
    FieldDef {
        name: "fd.directory",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "directory of a file",
        get: |c, _| {
            let fd = c.ev.fd.as_ref()?;
            match fd.kind {
                FdKind::Directory => s(&fd.name),
                FdKind::File => s(dirname(&fd.name)),
                _ => None,
            }
        },
    },
    FieldDef {
        name: "fd.filename",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "file name without directory",
        get: |c, _| {
            c.ev.fd
                .as_ref()
                .filter(|f| f.kind == FdKind::File)
                .map(|f| Value::Str(Cow::Borrowed(basename(&f.name))))
        },
    },
    FieldDef {
        name: "fd.name_changed",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "the event renamed the descriptor",
        get: |c, _| c.ev.fd.as_ref().map(|f| Value::Bool(f.name_changed)),
    },
    FieldDef {
        name: "fd.connected",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "socket connected",
        get: |c, _| net(c).map(|n| Value::Bool(n.connected)),
    },
    FieldDef {
        name: "fd.sockfamily",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "`ip` or `unix`",
        get: |c, _| match c.ev.fd.as_ref()?.kind {
            FdKind::Ipv4 | FdKind::Ipv6 => s("ip"),
            FdKind::Unix => s("unix"),
            _ => None,
        },
    },
    FieldDef {
        name: "fd.l4proto",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "tcp, udp, icmp, raw",
        get: |c, _| net(c).and_then(|n| nonempty(&n.l4proto)),
    },
    FieldDef {
        name: "fd.cip",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "client IP",
        get: |c, _| net(c).and_then(|n| ip(&n.cip)),
    },
    FieldDef {
        name: "fd.sip",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "server IP",
        get: |c, _| net(c).and_then(|n| ip(&n.sip)),
    },
    FieldDef {
        name: "fd.lip",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "local IP",
        get: |c, _| net(c).and_then(|n| ip(local_remote(n).0.0)),
    },
    FieldDef {
        name: "fd.rip",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "remote IP",
        get: |c, _| net(c).and_then(|n| ip(local_remote(n).1.0)),
    },
    FieldDef {
        name: "fd.ip",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "either IP",
        get: |c, _| {
            net(c).map(|n| Value::Many([ip(&n.cip), ip(&n.sip)].into_iter().flatten().collect()))
        },
    },
    FieldDef {
        name: "fd.cnet",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "client IP, for CIDR matching",
        get: |c, _| net(c).and_then(|n| ip(&n.cip)),
    },
    FieldDef {
        name: "fd.snet",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "server IP, for CIDR matching",
        get: |c, _| net(c).and_then(|n| ip(&n.sip)),
    },
    FieldDef {
        name: "fd.lnet",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "local IP, for CIDR matching",
        get: |c, _| net(c).and_then(|n| ip(local_remote(n).0.0)),
    },
    FieldDef {
        name: "fd.rnet",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "remote IP, for CIDR matching",
        get: |c, _| net(c).and_then(|n| ip(local_remote(n).1.0)),
    },
    FieldDef {
        name: "fd.net",
        ty: FieldType::Ip,
        arg: ArgKind::None,
        desc: "either IP, for CIDR matching",
        get: |c, _| {
            net(c).map(|n| Value::Many([ip(&n.cip), ip(&n.sip)].into_iter().flatten().collect()))
        },
    },
    FieldDef {
        name: "fd.cport",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "client port",
        get: |c, _| net(c).map(|n| Value::Int(n.cport.into())),
    },
    FieldDef {
        name: "fd.sport",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "server port",
        get: |c, _| net(c).map(|n| Value::Int(n.sport.into())),
    },
    FieldDef {
        name: "fd.lport",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "local port",
        get: |c, _| net(c).map(|n| Value::Int(local_remote(n).0.1.into())),
    },
    FieldDef {
        name: "fd.rport",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "remote port",
        get: |c, _| net(c).map(|n| Value::Int(local_remote(n).1.1.into())),
    },
    FieldDef {
        name: "fd.port",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "either port",
        get: |c, _| {
            net(c)
                .map(|n| Value::Many(vec![Value::Int(n.cport.into()), Value::Int(n.sport.into())]))
        },
    },
    FieldDef {
        name: "fd.cip.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "client DNS name",
        get: |c, _| net(c).and_then(|n| nonempty(&n.cip_name)),
    },
    FieldDef {
        name: "fd.sip.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "server DNS name",
        get: |c, _| net(c).and_then(|n| nonempty(&n.sip_name)),
    },
    FieldDef {
        name: "fd.lip.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "local DNS name",
        get: |c, _| net(c).and_then(|n| nonempty(local_remote(n).0.2)),
    },
    FieldDef {
        name: "fd.rip.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "remote DNS name",
        get: |c, _| net(c).and_then(|n| nonempty(local_remote(n).1.2)),
    },
    FieldDef {
        name: "fs.path.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "path of a file-system event",
        get: |c, _| is_file(c).map(|p| Value::Str(Cow::Borrowed(p))),
    },
    // --- container.*
    FieldDef {
        name: "container.id",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "container id, `host` outside containers",
        get: |c, _| s(c.ev.container.as_ref().map_or("host", |k| &k.id)),
    },
    FieldDef {
        name: "container.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "container name, `host` outside containers",
        get: |c, _| s(c.ev.container.as_ref().map_or("host", |k| &k.name)),
    },
    FieldDef {
        name: "container.image.repository",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "image repository",
        get: |c, _| {
            c.ev.container
                .as_ref()
                .map(|k| Value::Str(Cow::Borrowed(&k.image_repository)))
        },
    },
    FieldDef {
        name: "container.image.tag",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "image tag",
        get: |c, _| {
            c.ev.container
                .as_ref()
                .map(|k| Value::Str(Cow::Borrowed(&k.image_tag)))
        },
    },
    FieldDef {
        name: "container.image.digest",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "image digest",
        get: |c, _| {
            c.ev.container
                .as_ref()
                .and_then(|k| nonempty(&k.image_digest))
        },
    },
    FieldDef {
        name: "container.image",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "repository:tag",
        get: |c, _| {
            let k = c.ev.container.as_ref()?;
            if k.image_tag.is_empty() {
                s(&k.image_repository)
            } else {
                owned(format!("{}:{}", k.image_repository, k.image_tag))
            }
        },
    },
    FieldDef {
        name: "container.type",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "container runtime",
        get: |c, _| c.ev.container.as_ref().and_then(|k| nonempty(&k.runtime)),
    },
    FieldDef {
        name: "container.privileged",
        ty: FieldType::Bool,
        arg: ArgKind::None,
        desc: "privileged container",
        get: |c, _| c.ev.container.as_ref().map(|k| Value::Bool(k.privileged)),
    },
    FieldDef {
        name: "container.start_ts",
        ty: FieldType::Int,
        arg: ArgKind::None,
        desc: "container start, ns",
        get: |c, _| {
            c.ev.container
                .as_ref()
                .filter(|k| k.start_ts != 0)
                .map(|k| Value::Int(k.start_ts as i64))
        },
    },
    FieldDef {
        name: "container.mounts",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "mounts as `source:dest:mode:rw:propagation`, comma-separated",
        get: |c, _| {
            let k = c.ev.container.as_ref()?;
            owned(
                k.mounts
                    .iter()
                    .map(|m| {
                        format!(
                            "{}:{}:{}:{}:{}",
                            m.source, m.dest, m.mode, m.rw, m.propagation
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            )
        },
    },
    FieldDef {
        name: "container.mount.dest",
        ty: FieldType::Str,
        arg: ArgKind::Glob,
        desc: "destination of the mount whose source matches [GLOB], or N/A",
        get: |c, a| mount_lookup(c, a, true),
    },
    FieldDef {
        name: "container.mount.source",
        ty: FieldType::Str,
        arg: ArgKind::Glob,
        desc: "source of the mount whose destination matches [GLOB], or N/A",
        get: |c, a| mount_lookup(c, a, false),
    },
    // --- k8s.*
    FieldDef {
        name: "k8s.ns.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "pod namespace",
        get: |c, _| c.ev.k8s.as_ref().map(|k| Value::Str(Cow::Borrowed(&k.ns))),
    },
    FieldDef {
        name: "k8s.pod.name",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "pod name",
        get: |c, _| c.ev.k8s.as_ref().map(|k| Value::Str(Cow::Borrowed(&k.pod))),
    },
    FieldDef {
        name: "k8s.pod.uid",
        ty: FieldType::Str,
        arg: ArgKind::None,
        desc: "pod UID",
        get: |c, _| c.ev.k8s.as_ref().and_then(|k| nonempty(&k.pod_uid)),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Container, Fd, Mount, Process};

    fn ev() -> Event {
        Event {
            ts: 10_000,
            evt_type: "openat".into(),
            res: -2,
            args: [("flags".to_string(), ArgValue::Str("O_RDWR|O_CREAT".into()))].into(),
            thread: Process {
                name: "bash".into(),
                args: vec!["-c".into(), "ls".into()],
                cap_permitted: (1 << 21) | 1,
                start_ts: 4_000,
                ..Default::default()
            },
            ancestors: vec![
                ProcessSummary {
                    name: "sshd".into(),
                    args: vec!["-D".into()],
                    ..Default::default()
                },
                ProcessSummary {
                    name: "systemd".into(),
                    ..Default::default()
                },
            ],
            fd: Some(Fd {
                num: 3,
                kind: FdKind::File,
                name: "/etc/shadow".into(),
                ..Default::default()
            }),
            container: Some(Container {
                id: "abc".into(),
                mounts: vec![Mount {
                    source: "/proc".into(),
                    dest: "/host/proc".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn get(ev: &Event, name: &str, arg: Option<&str>) -> Option<String> {
        let (def, a) = lookup(name, arg).unwrap();
        let ctx = Ctx::new(ev);
        (def.get)(&ctx, &a).map(|v| v.render().into_owned())
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }

    #[test]
    fn extractors() {
        let e = ev();
        assert_eq!(get(&e, "proc.cmdline", None).unwrap(), "bash -c ls");
        assert_eq!(get(&e, "proc.pcmdline", None).unwrap(), "sshd -D");
        assert_eq!(get(&e, "proc.aname", Some("2")).unwrap(), "systemd");
        assert_eq!(get(&e, "proc.aname", Some("0")).unwrap(), "bash");
        assert_eq!(get(&e, "proc.aname", Some("3")), None);
        assert_eq!(get(&e, "proc.aname", None).unwrap(), "sshd,systemd");
        assert_eq!(get(&e, "evt.res", None).unwrap(), "ENOENT");
        assert_eq!(get(&e, "evt.rawres", None).unwrap(), "-2");
        assert_eq!(get(&e, "evt.is_open_read", None).unwrap(), "true");
        assert_eq!(get(&e, "evt.is_open_write", None).unwrap(), "true");
        assert_eq!(get(&e, "fd.directory", None).unwrap(), "/etc");
        assert_eq!(get(&e, "fd.filename", None).unwrap(), "shadow");
        assert_eq!(get(&e, "fd.typechar", None).unwrap(), "f");
        assert_eq!(
            get(&e, "thread.cap_permitted", None).unwrap(),
            "CAP_CHOWN CAP_SYS_ADMIN"
        );
        assert_eq!(get(&e, "proc.duration", None).unwrap(), "6000");
        assert_eq!(
            get(&e, "container.mount.dest", Some("/proc*")).unwrap(),
            "/host/proc"
        );
        assert_eq!(
            get(&e, "container.mount.dest", Some("/etc")).unwrap(),
            "N/A"
        );
        assert_eq!(get(&e, "evt.arg.flags", None).unwrap(), "O_RDWR|O_CREAT");
        assert_eq!(get(&e, "evt.arg.mode", None), None);
        assert_eq!(get(&e, "fd.sip", None), None);
    }

    #[test]
    fn prefetched_fields_exist() {
        for (name, parts) in HeapParts::OF_FIELDS {
            let (def, _) = lookup(name, Some("x"))
                .or_else(|_| lookup(name, None))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(HeapParts::of_field(def.name), *parts, "{name}");
        }
        assert_eq!(HeapParts::of_field("proc.pid"), HeapParts::default());
    }

    #[test]
    fn lookup_errors() {
        assert!(
            lookup("proc.nope", None)
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            lookup("proc.aname", Some("x"))
                .unwrap_err()
                .contains("numeric index")
        );
        assert!(
            lookup("proc.name", Some("1"))
                .unwrap_err()
                .contains("takes no argument")
        );
        assert!(
            lookup("container.mount.dest", None)
                .unwrap_err()
                .contains("needs an argument")
        );
    }

    #[test]
    fn open_mode_reads_symbolic_and_numeric_flags() {
        let open = |flags: ArgValue| {
            let mut ev = Event {
                evt_type: "openat".into(),
                ..Default::default()
            };
            ev.args.insert("flags".into(), flags);
            open_mode(&ev)
        };
        let sym = |f: &str| open(ArgValue::Str(f.into()));
        assert_eq!(sym("O_RDONLY|O_CLOEXEC"), (true, false));
        assert_eq!(sym("O_CLOEXEC|O_WRONLY|O_CREAT"), (false, true));
        assert_eq!(sym("O_RDWR"), (true, true));
        assert_eq!(sym("O_CREAT O_RDWR"), (true, true));
        assert_eq!(sym("O_RDONLYX|O_WRONLYY|O_RDWRZ"), (false, false));
        assert_eq!(sym("|O_WRONLY|"), (false, true));
        assert_eq!(sym(""), (false, false));
        assert_eq!(open(ArgValue::Int(0)), (true, false));
        assert_eq!(open(ArgValue::Int(0o1101)), (false, true));
        assert_eq!(open(ArgValue::Int(2)), (true, true));
    }
}
