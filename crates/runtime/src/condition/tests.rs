use super::*;
use crate::event::{ArgValue, Container, Event, Fd, FdKind, NetTuple, Process, ProcessSummary};

fn event() -> Event {
    Event {
        ts: 1_000,
        evt_type: "openat".into(),
        res: 3,
        args: [
            (
                "flags".to_string(),
                ArgValue::Str("O_RDONLY|O_CLOEXEC".into()),
            ),
            ("fd".to_string(), ArgValue::Int(3)),
            ("data".to_string(), ArgValue::Str("\u{1}cafe".into())),
        ]
        .into(),
        thread: Process {
            name: "Bash".into(),
            exepath: "/usr/bin/bash".into(),
            args: vec!["-c".into(), "cat /etc/shadow".into()],
            uid: 1000,
            env: vec!["HOME=/root".into(), "B64=Y2F0".into()],
            ..Default::default()
        },
        ancestors: vec![
            ProcessSummary {
                name: "sshd".into(),
                ..Default::default()
            },
            ProcessSummary {
                name: "systemd".into(),
                ..Default::default()
            },
        ],
        fd: Some(Fd {
            num: 3,
            kind: FdKind::Ipv4,
            name: "10.1.2.3:5000->192.168.1.9:443".into(),
            net: Some(NetTuple {
                cip: "10.1.2.3".into(),
                cport: 5000,
                sip: "192.168.1.9".into(),
                sport: 443,
                l4proto: "tcp".into(),
                connected: true,
                ..Default::default()
            }),
            ..Default::default()
        }),
        container: Some(Container {
            id: "abc".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn scope() -> Scope {
    let mut s = Scope::default();
    s.lists.insert(
        "shells".into(),
        vec!["bash".into(), "sh".into(), "more_shells".into()],
    );
    s.lists
        .insert("more_shells".into(), vec!["zsh".into(), "'Bash'".into()]);
    s.lists.insert("loop_a".into(), vec!["loop_b".into()]);
    s.lists.insert("loop_b".into(), vec!["loop_a".into()]);
    s.macros.insert(
        "is_open".into(),
        parser::parse("evt.type in (open, openat)").unwrap(),
    );
    s.macros.insert(
        "outer".into(),
        parser::parse("is_open and not never").unwrap(),
    );
    s.macros
        .insert("never".into(), parser::parse("evt.type = execve").unwrap());
    s.macros.insert(
        "bash_open".into(),
        parser::parse("is_open and proc.name = Bash").unwrap(),
    );
    s.macros
        .insert("cyc_a".into(), parser::parse("cyc_b").unwrap());
    s.macros
        .insert("cyc_b".into(), parser::parse("cyc_a").unwrap());
    s
}

fn try_eval(cond: &str, ev: &Event) -> Result<bool, CompileError> {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let expr = parser::parse(cond).map_err(|e| CompileError::Invalid(e.to_string()))?;
    let node = Compiler::new(&scope, &mut types).compile(&expr)?;
    let ctx = Ctx::new(ev);
    Ok(node.eval(&ctx, types.id(&ev.evt_type)))
}

fn eval(cond: &str) -> bool {
    try_eval(cond, &event()).unwrap_or_else(|e| panic!("{cond}: {e}"))
}

#[test]
fn equality_and_numbers() {
    assert!(eval("proc.name = Bash"));
    assert!(eval("proc.name == Bash"));
    assert!(!eval("proc.name = bash"));
    assert!(eval("proc.name != bash"));
    assert!(eval(
        "user.uid = 1000 and user.uid >= 1000 and user.uid <= 1000 and user.uid > 999 and user.uid < 1001"
    ));
    assert!(eval("user.uid = 0x3e8"));
    assert!(eval("user.uid != 0"));
    assert!(eval("evt.rawres >= 0 and evt.res = SUCCESS"));
    assert!(eval(
        "evt.arg.fd = 3 and evt.arg.fd < 4 and evt.arg[fd] > 2"
    ));
    assert!(eval("user.uid in (0, 1000)"));
    assert!(
        matches!(try_eval("user.uid = root", &event()), Err(CompileError::Invalid(m)) if m.contains("not a number"))
    );
    assert!(matches!(
        try_eval("proc.name > 3", &event()),
        Err(CompileError::Invalid(_))
    ));
}

#[test]
fn string_operators() {
    assert!(eval("proc.cmdline contains /etc/shadow"));
    assert!(!eval("proc.cmdline contains /ETC/shadow"));
    assert!(eval("proc.cmdline icontains /ETC/SHADOW"));
    assert!(eval("proc.exepath startswith /usr/bin/"));
    assert!(eval("proc.exepath endswith /bash"));
    assert!(eval("proc.exepath glob '/usr/*/ba?h'"));
    assert!(eval("proc.exepath glob '/usr/bin/[a-c]ash'"));
    assert!(!eval("proc.exepath glob '/USR/*'"));
    assert!(eval("proc.exepath iglob '/USR/*'"));
    assert!(eval("proc.exepath regex '/usr/bin/b.sh'"));
    assert!(
        !eval("proc.exepath regex 'bin/b.sh'"),
        "regex is a full match"
    );
    assert!(eval("evt.buffer bcontains 63616665"));
    assert!(eval("evt.buffer bstartswith 01"));
    assert!(!eval("evt.buffer bstartswith 63"));
    assert!(matches!(
        try_eval("evt.buffer bcontains xyz", &event()),
        Err(CompileError::Invalid(_))
    ));
    assert!(
        matches!(try_eval("proc.name regex '('", &event()), Err(CompileError::Invalid(m)) if m.contains("bad regex"))
    );
}

#[test]
fn lists_in_intersects_pmatch() {
    assert!(
        eval("proc.name in (shells)"),
        "nested list item `'Bash'` is literal"
    );
    assert!(!eval("proc.name in (bash, sh)"));
    assert!(eval("proc.name in ('Bash')"));
    assert!(eval("proc.aname intersects (systemd, init)"));
    assert!(eval("proc.aname in (sshd)"), "no index: any ancestor");
    assert!(eval("proc.exepath pmatch (/usr/bin, /opt)"));
    assert!(eval("proc.exepath pmatch (/usr/bin/bash)"));
    assert!(!eval("proc.exepath pmatch (/usr/bi)"));
    assert!(
        matches!(try_eval("proc.name in (loop_a)", &event()), Err(CompileError::Invalid(m)) if m.contains("list cycle"))
    );
}

#[test]
fn exists_and_missing_values() {
    assert!(eval("fd.name exists and evt.arg.flags exists"));
    assert!(!eval("evt.arg.mode exists"));
    assert!(!eval("evt.arg.mode = x"));
    assert!(
        !eval("evt.arg.mode != x"),
        "a missing value fails every comparison"
    );
    assert!(eval("not evt.arg.mode != x"));
    assert!(!eval("proc.aname[5] = x or proc.aname[5] != x"));
    let mut host = event();
    host.container = None;
    assert!(try_eval("container.id = host", &host).unwrap());
    assert!(!try_eval("container.privileged = false", &host).unwrap());
}

#[test]
fn modifiers_and_transformers() {
    assert!(eval("proc.exepath startswith anyof (/sbin, /usr)"));
    assert!(!eval("proc.exepath startswith allof (/sbin, /usr)"));
    assert!(eval("proc.exepath contains allof (usr, bash)"));
    assert!(eval("proc.exepath contains oneof (usr, zsh)"));
    assert!(!eval("proc.exepath contains oneof (usr, bash)"));
    assert!(eval("tolower(proc.name) = bash"));
    assert!(eval("toupper(proc.name) = BASH"));
    assert!(eval("basename(proc.exepath) = bash"));
    assert!(eval("len(proc.name) = 4"));
    assert!(eval("len(proc.aname) = 2"));
    assert!(eval("b64(proc.env[B64]) = cat"));
    assert!(eval("concat(proc.name, '-', user.uid) = Bash-1000"));
    assert!(eval("join(',', proc.aname) = 'sshd,systemd'"));
    assert!(eval("basename(proc.exepath) = val(tolower(proc.name))"));
    assert!(eval("basename(proc.exepath) != val(proc.name)"));
    assert!(!eval("tolower(proc.name) = val(proc.exe)"));
    assert!(eval("evt.arg.fd = val(fd.num)"));
    assert!(eval("proc.cmdline contains val(proc.args)"));
    assert!(matches!(
        try_eval("len(proc.name, proc.exe) = 1", &event()),
        Err(CompileError::Invalid(_))
    ));
}

#[test]
fn networks() {
    assert!(eval("fd.sip = 192.168.1.9"));
    assert!(eval("fd.snet in (192.168.0.0/16, 172.16.0.0/12)"));
    assert!(eval("fd.net = 10.0.0.0/8"), "either end");
    assert!(eval("fd.cnet != 192.168.0.0/16"));
    assert!(!eval("fd.rip = 10.0.0.0/8"));
    assert!(eval(
        "fd.rip = 192.168.1.9 and fd.lport = 5000 and fd.rport = 443"
    ));
    assert!(eval("fd.port in (443)"));
    assert!(eval(
        "fd.sport = 443 and fd.l4proto = tcp and fd.typechar = 4 and fd.sockfamily = ip and fd.connected = true"
    ));
    assert!(matches!(
        try_eval("fd.sip = notanip", &event()),
        Err(CompileError::Invalid(_))
    ));
    assert!(matches!(
        try_eval("fd.connected = maybe", &event()),
        Err(CompileError::Invalid(_))
    ));
}

#[test]
fn macros_and_errors() {
    assert!(eval("outer"));
    assert!(
        matches!(try_eval("undefined_macro", &event()), Err(CompileError::Invalid(m)) if m.contains("undefined macro"))
    );
    assert!(
        matches!(try_eval("cyc_a", &event()), Err(CompileError::Invalid(m)) if m.contains("macro cycle"))
    );
    assert!(
        matches!(try_eval("proc.bogus = 1", &event()), Err(CompileError::UnknownField(m)) if m.contains("proc.bogus"))
    );
}

#[test]
fn event_type_index() {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let e = parser::parse("outer and proc.name = x").unwrap();
    let n = Compiler::new(&scope, &mut types).compile(&e).unwrap();
    let open = types.id("openat");
    assert_eq!(n.possible(open), None);
    assert_eq!(n.possible(types.id("execve")), Some(false));
    assert_eq!(n.possible(0), Some(false));
    let e = parser::parse("proc.name = x").unwrap();
    let n = Compiler::new(&scope, &mut types).compile(&e).unwrap();
    assert_eq!(n.possible(0), None, "no evt.type restriction: every type");
    let e = parser::parse("not evt.type = execve").unwrap();
    let n = Compiler::new(&scope, &mut types).compile(&e).unwrap();
    assert_eq!(n.possible(0), Some(true));
}

#[test]
fn contains_bytes_agrees_with_str_contains() {
    let hays = [
        "",
        "a",
        "aaab",
        "O_RDONLY|O_CLOEXEC",
        "/home/u/.ssh/id_rsa",
        "ééa",
    ];
    let needles = [
        "",
        "a",
        "aab",
        "b",
        "O_CREAT",
        "O_CLOEXEC",
        "/.ssh/",
        "id_rsa",
        "é",
        "x",
    ];
    for h in hays {
        for n in needles {
            assert_eq!(
                contains_bytes(h.as_bytes(), n.as_bytes()),
                h.contains(n),
                "{h:?} contains {n:?}"
            );
        }
    }
}

/// Every condition, compiled with sharing, specialised per type, with same-field alternatives
/// merged and run as a branch program, gives what walking its plain tree gives, for every
/// event type.
#[test]
fn branch_programs_agree_with_tree_evaluation() {
    let conds = [
        "is_open and proc.name = Bash",
        "outer or never",
        "not (is_open and not proc.name in (shells))",
        "(is_open or never) and (proc.name = zsh or proc.name in (shells)) and not never",
        "is_open and is_open and not outer",
        "evt.type != openat or fd.num > 2",
        "never",
        "not never",
        "proc.name startswith B and (fd.name contains 443 or never)",
        "proc.name = zsh or fd.num = 3 or proc.name in (shells) or proc.name startswith X",
        "not (proc.name = zsh or proc.name endswith sh) and (fd.name = x or fd.name contains 10.)",
        "bash_open and fd.num = 3",
        "bash_open or fd.num = 4",
        "not bash_open and proc.name = Bash",
    ];
    let scope = scope();
    let mut types = TypeRegistry::default();
    let mut keys = SharedKeys::default();
    let compiled: Vec<(Node, Node)> = conds
        .iter()
        .map(|c| {
            let expr = parser::parse(c).unwrap();
            let plain = Compiler::new(&scope, &mut types).compile(&expr).unwrap();
            let shared = Compiler::new(&scope, &mut types)
                .sharing(&mut keys)
                .compile(&expr)
                .unwrap();
            (plain, shared)
        })
        .collect();
    assert!(!keys.is_empty(), "macros and checks got shared keys");
    let mut checked = 0;
    for type_name in ["openat", "open", "execve", "connect", "read"] {
        let mut ev = event();
        ev.evt_type = type_name.into();
        let id = types.id(type_name);
        let ctx = Ctx::new(&ev);
        let mut program = program::Program::default();
        let mut memo = Memo::default();
        memo.start_event(keys.len());
        // As the engine builds a type's program: keys used once unwrapped, then merged.
        let mut uses = HashMap::default();
        let specialised: Vec<Node> = compiled.iter().map(|(_, s)| s.for_type(id)).collect();
        specialised.iter().for_each(|s| s.count_shared(&mut uses));
        for (((plain, _), shared), cond) in compiled.iter().zip(specialised).zip(conds) {
            let entry = program.add(&shared.drop_unshared(&uses).merge_field_checks(), id);
            let want = plain.eval(&ctx, id);
            assert_eq!(
                program.run(entry, &ctx, &mut memo),
                want,
                "{cond} on {type_name}"
            );
            // Run again: now the shared parts come from the memo.
            assert_eq!(
                program.run(entry, &ctx, &mut memo),
                want,
                "{cond} on {type_name}, memoised"
            );
            checked += usize::from(want);
        }
    }
    assert!(checked > 5, "conditions hold on some events ({checked})");
}

#[test]
fn memo_results_last_one_event() {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let mut keys = SharedKeys::default();
    let expr = parser::parse("is_open").unwrap();
    let node = Compiler::new(&scope, &mut types)
        .sharing(&mut keys)
        .compile(&expr)
        .unwrap();
    // `is_open` is only evt.type checks: nothing worth sharing.
    assert!(matches!(node, Node::EvtType(_)), "{node:?}");
    let expr = parser::parse("proc.name = Bash").unwrap();
    let node = Compiler::new(&scope, &mut types)
        .sharing(&mut keys)
        .compile(&expr)
        .unwrap();
    let Node::Shared(slot, _) = node else {
        panic!("a check is shared: {node:?}")
    };
    let mut program = program::Program::default();
    let entry = program.add(&node, 0);
    let bash = event();
    let mut other = event();
    other.thread.name = "zsh".into();
    let mut memo = Memo::default();
    memo.start_event(keys.len());
    assert!(program.run(entry, &Ctx::new(&bash), &mut memo));
    assert_eq!(memo.cached(slot), Some(true));
    // Without starting a new event the cached result is served, whatever the event...
    assert!(program.run(entry, &Ctx::new(&other), &mut memo));
    // ...and a new event forgets it.
    memo.start_event(keys.len());
    assert_eq!(memo.cached(slot), None);
    assert!(!program.run(entry, &Ctx::new(&other), &mut memo));
}

#[test]
fn same_bytes_agrees_with_slice_equality() {
    let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
    for n in 0..base.len() {
        let a = &base[..n];
        assert!(same_bytes(a, a));
        for flip in 0..n {
            let mut b = a.to_vec();
            b[flip] ^= 0x20;
            assert!(!same_bytes(a, &b), "length {n}, byte {flip} differs");
        }
        if n > 0 {
            assert!(!same_bytes(a, &base[..n - 1]));
        }
    }
}

#[test]
fn same_field_alternatives_merge_into_one_check() {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let expr = parser::parse(
        "proc.name = zsh or fd.num = 3 or proc.name in (shells) or proc.name startswith X",
    )
    .unwrap();
    let node = Compiler::new(&scope, &mut types)
        .compile(&expr)
        .unwrap()
        .merge_field_checks();
    let Node::Or(items) = &node else {
        panic!("{node:?}")
    };
    assert_eq!(
        items.len(),
        2,
        "proc.name checks merged, fd.num kept: {node:?}"
    );
    assert!(
        matches!(&items[0], Node::Check(c) if matches!(c.pred, Pred::Modified(Modifier::AnyOf, ref p) if p.len() == 3))
    );
    let ev = event();
    assert_eq!(
        node.eval(&Ctx::new(&ev), types.id(&ev.evt_type)),
        Compiler::new(&scope, &mut types)
            .compile(&expr)
            .unwrap()
            .eval(&Ctx::new(&ev), types.id(&ev.evt_type))
    );
}

/// A key inside a shared macro is reached through the macro's memo: it counts once for the
/// macro's body, however many rules use the macro, and is unwrapped unless used elsewhere.
#[test]
fn keys_nested_in_shared_macros_count_once() {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let mut keys = SharedKeys::default();
    let mut compile = |c: &str| {
        Compiler::new(&scope, &mut types)
            .sharing(&mut keys)
            .compile(&parser::parse(c).unwrap())
            .unwrap()
    };
    let rules = [
        compile("bash_open and fd.num = 3"),
        compile("bash_open or fd.num = 4"),
    ];
    let direct = compile("proc.name = Bash and fd.num = 5");
    let slot_of = |n: &Node| match n {
        Node::Shared(slot, _) => *slot,
        other => panic!("not shared: {other:?}"),
    };
    let Node::And(items) = &rules[0] else {
        panic!("{:?}", rules[0])
    };
    let macro_slot = slot_of(&items[0]);
    let Node::And(items) = &direct else {
        panic!("{direct:?}")
    };
    let check_slot = slot_of(&items[0]);
    let mut uses = HashMap::default();
    rules.iter().for_each(|r| r.count_shared(&mut uses));
    assert_eq!(uses.get(&macro_slot), Some(&2));
    assert_eq!(uses.get(&check_slot), Some(&1), "{uses:?}");
    // Unwrapped inside the macro: no memo slot for a result read once.
    let mut inner = HashMap::default();
    rules[0]
        .clone()
        .drop_unshared(&uses)
        .count_shared(&mut inner);
    assert_eq!(inner.get(&check_slot), None);
    // Used directly too, it stays shared.
    direct.count_shared(&mut uses);
    assert_eq!(uses.get(&check_slot), Some(&2));
}

/// A program records the event heap blocks its checks read, through transformers and the
/// right side of field comparisons too, for the engine's prefetch.
#[test]
fn programs_know_the_heap_blocks_their_checks_read() {
    let scope = scope();
    let mut types = TypeRegistry::default();
    let mut parts = |c: &str| {
        let node = Compiler::new(&scope, &mut types)
            .compile(&parser::parse(c).unwrap())
            .unwrap();
        let mut program = program::Program::default();
        program.add(&node, 0);
        program.heap_parts()
    };
    assert_eq!(parts("fd.num = 3"), HeapParts::default());
    assert_eq!(parts("fd.name startswith /etc"), HeapParts::FD_NAME);
    assert_eq!(
        parts("basename(proc.exepath) = bash or proc.name = val(container.id)"),
        HeapParts::PROC_EXE
            .union(HeapParts::PROC_NAME)
            .union(HeapParts::CONTAINER_ID)
    );
    assert_eq!(
        parts("evt.is_open_write = true and proc.pname = sshd"),
        HeapParts::ARGS.union(HeapParts::ANCESTORS)
    );
}
