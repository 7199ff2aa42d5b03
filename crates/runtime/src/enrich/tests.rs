//! Enrichment over synthetic records and a fake `/proc` (no privileges needed).

use super::*;
use crate::sensor::Header;
use std::net::IpAddr;

const CID: &str = "3f4e1c2b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";

fn header(pid: u32, ppid: u32, comm: &str) -> Header {
    Header {
        tgid: pid,
        tid: pid,
        ppid,
        ts_boot_ns: 1_000,
        uid: 0,
        gid: 0,
        euid: 0,
        loginuid: u32::MAX,
        cap_effective: 0,
        cap_permitted: 0,
        mnt_ns: 4026531832,
        pid_ns: 0,
        vpid: pid,
        comm: comm.into(),
    }
}

fn fake_proc() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("100");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("stat"),
        "100 (bash) S 1 100 100 34816 100 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0",
    )
    .unwrap();
    std::fs::write(p.join("cmdline"), b"-bash\0").unwrap();
    std::fs::write(p.join("cgroup"), "0::/\n").unwrap();
    std::os::unix::fs::symlink("/usr/bin/bash", p.join("exe")).unwrap();
    std::os::unix::fs::symlink("/home/u", p.join("cwd")).unwrap();
    dir
}

fn syscall(
    h: Header,
    nr: u32,
    ret: i64,
    args: [u64; 6],
    strings: [&[u8]; 2],
    sock: Option<SockTuple>,
) -> Record {
    Record::Syscall {
        header: h,
        nr,
        ret,
        args,
        extra: [0; 2],
        sock,
        strings: [strings[0].to_vec(), strings[1].to_vec()],
    }
}

fn exec(h: Header, filename: &str, argv: &[&str]) -> Record {
    Record::Exec {
        header: h,
        syscall_nr: 59,
        tty: 34816,
        sid: 100,
        vpgid: 200,
        filename: filename.into(),
        exe_name: filename.rsplit('/').next().unwrap().into(),
        argv: argv.iter().map(|s| s.to_string()).collect(),
        cgroup: "0::/\n4:memory:/\n".into(),
    }
}

#[test]
fn fork_exec_open_carry_the_process_tree_and_resolve_paths() {
    let proc = fake_proc();
    let mut e = Enricher::with_roots(proc.path().into(), StateRoots::default());
    assert_eq!(e.process_count(), 1);
    assert!(
        e.enrich(Record::Fork {
            header: header(100, 1, "bash"),
            child: 200
        })
        .is_none()
    );
    let ev = e
        .enrich(exec(
            header(200, 100, "cat"),
            "/usr/bin/cat",
            &["cat", "/etc/shadow"],
        ))
        .unwrap();
    assert_eq!(ev.evt_type, "execve");
    assert_eq!(
        (ev.thread.name.as_str(), ev.thread.exepath.as_str()),
        ("cat", "/usr/bin/cat")
    );
    assert_eq!(ev.thread.args, ["/etc/shadow"]);
    assert_eq!(ev.thread.cwd, "/home/u/", "cwd inherited from the parent");
    assert_eq!(ev.thread.sname, "bash");
    assert_eq!(ev.ancestors[0].name, "bash");
    assert_eq!(ev.ancestors[0].exepath, "/usr/bin/bash");
    assert!(ev.container.is_none());

    // openat(AT_FDCWD, "../u/.ssh/../id_rsa", O_RDONLY) = 3
    let at_fdcwd = (-100i64) as u64;
    let ev = e
        .enrich(syscall(
            header(200, 100, "cat"),
            257,
            3,
            [at_fdcwd, 0, 0, 0, 0, 0],
            [b"../u/.ssh/../id_rsa\0", b""],
            None,
        ))
        .unwrap();
    let fd = ev.fd.as_ref().unwrap();
    assert_eq!(
        (fd.num, fd.name.as_str(), fd.nameraw.as_str()),
        (3, "/home/u/id_rsa", "../u/.ssh/../id_rsa")
    );
    assert_eq!(ev.args["flags"], ArgValue::Str("O_RDONLY".into()));
    assert_eq!(ev.args["dirfd"], ArgValue::Int(-100));

    // openat(3, "x", O_WRONLY|O_CREAT) fails: fd.num -1, path resolved against fd 3
    let ev = e
        .enrich(syscall(
            header(200, 100, "cat"),
            257,
            -13,
            [3, 0, 0o101, 0o644, 0, 0],
            [b"x\0", b""],
            None,
        ))
        .unwrap();
    let fd = ev.fd.as_ref().unwrap();
    assert_eq!((fd.num, fd.name.as_str()), (-1, "/home/u/id_rsa/x"));
    assert_eq!(ev.args["flags"], ArgValue::Str("O_WRONLY|O_CREAT".into()));
    assert_eq!(
        ev.args["mode"],
        ArgValue::Str("S_IRUSR|S_IWUSR|S_IRGRP|S_IROTH".into())
    );

    // chdir("/tmp") then a relative unlink resolves against the new cwd
    e.enrich(syscall(
        header(200, 100, "cat"),
        80,
        0,
        [0; 6],
        [b"/tmp\0", b""],
        None,
    ))
    .unwrap();
    let ev = e
        .enrich(syscall(
            header(200, 100, "cat"),
            87,
            0,
            [0; 6],
            [b"f\0", b""],
            None,
        ))
        .unwrap();
    assert_eq!(ev.args["path"], ArgValue::Str("/tmp/f".into()));

    assert!(e.enrich(Record::Exit(header(200, 100, "cat"))).is_none());
    assert_eq!(e.process_count(), 1);
}

#[test]
fn sockets_get_falco_tuples_and_dup2_inherits_them() {
    let proc = fake_proc();
    let mut e = Enricher::with_roots(proc.path().into(), StateRoots::default());
    let tuple = SockTuple {
        family: 2,
        sock_type: 1,
        protocol: 6,
        lport: 40000,
        rport: 4444,
        laddr: IpAddr::from([127, 0, 0, 1]),
        raddr: IpAddr::from([10, 1, 2, 3]),
    };
    let h = || header(100, 1, "nc");
    let ev = e
        .enrich(syscall(h(), 41, 5, [2, 1, 0, 0, 0, 0], [b"", b""], None))
        .unwrap();
    assert_eq!(ev.fd.as_ref().unwrap().kind, FdKind::Ipv4);
    assert_eq!(ev.args["domain"], ArgValue::Str("AF_INET".into()));
    let ev = e
        .enrich(syscall(
            h(),
            42,
            0,
            [5, 0, 16, 0, 0, 0],
            [b"", b""],
            Some(tuple.clone()),
        ))
        .unwrap();
    let fd = ev.fd.as_ref().unwrap();
    assert_eq!(fd.name, "127.0.0.1:40000->10.1.2.3:4444");
    assert!(fd.name_changed);
    let net = fd.net.as_ref().unwrap();
    assert_eq!(
        (
            net.sip.as_str(),
            net.sport,
            net.l4proto.as_str(),
            net.connected
        ),
        ("10.1.2.3", 4444, "tcp", true)
    );
    // dup2(5, 0): the kernel reads the socket behind the returned fd
    let ev = e
        .enrich(syscall(
            h(),
            33,
            0,
            [5, 0, 0, 0, 0, 0],
            [b"", b""],
            Some(tuple),
        ))
        .unwrap();
    assert_eq!(ev.fd.as_ref().unwrap().num, 0);
    assert_eq!(ev.fd.as_ref().unwrap().kind, FdKind::Ipv4);
    // dup2 of a file descriptor copies the table entry
    e.enrich(syscall(
        h(),
        2,
        7,
        [0, 0, 0, 0, 0, 0],
        [b"/var/log/x\0", b""],
        None,
    ))
    .unwrap();
    let ev = e
        .enrich(syscall(h(), 33, 1, [7, 1, 0, 0, 0, 0], [b"", b""], None))
        .unwrap();
    assert_eq!(ev.fd.as_ref().unwrap().name, "/var/log/x");
    // connect on a unix socket: the path comes from the sockaddr
    let mut sun = vec![1u8, 0];
    sun.extend_from_slice(b"/run/docker.sock\0");
    let unix = SockTuple {
        family: 1,
        sock_type: 1,
        protocol: 0,
        lport: 0,
        rport: 0,
        laddr: IpAddr::from([0; 4]),
        raddr: IpAddr::from([0; 4]),
    };
    let ev = e
        .enrich(syscall(
            h(),
            42,
            0,
            [9, 0, 19, 0, 0, 0],
            [b"", &sun],
            Some(unix),
        ))
        .unwrap();
    assert_eq!(
        (
            ev.fd.as_ref().unwrap().kind,
            ev.fd.as_ref().unwrap().name.as_str()
        ),
        (FdKind::Unix, "/run/docker.sock")
    );
}

#[test]
fn enum_arguments_render_symbolically() {
    let proc = fake_proc();
    let mut e = Enricher::with_roots(proc.path().into(), StateRoots::default());
    let ev = e
        .enrich(syscall(
            header(100, 1, "gdb"),
            101,
            0,
            [16, 4242, 0, 0, 0, 0],
            [b"", b""],
            None,
        ))
        .unwrap();
    assert_eq!(ev.args["request"], ArgValue::Str("PTRACE_ATTACH".into()));
    assert_eq!(ev.args["pid"], ArgValue::Int(4242));
    let ev = e
        .enrich(syscall(
            header(100, 1, "x"),
            272,
            0,
            [0x1002_0000, 0, 0, 0, 0, 0],
            [b"", b""],
            None,
        ))
        .unwrap();
    assert_eq!(
        ev.args["flags"],
        ArgValue::Str("CLONE_NEWNS|CLONE_NEWUSER".into())
    );
    let ev = e
        .enrich(syscall(
            header(100, 1, "x"),
            319,
            4,
            [0, 0, 0, 0, 0, 0],
            [b"payload\0", b""],
            None,
        ))
        .unwrap();
    assert_eq!(
        ev.args["name"],
        ArgValue::Str("payload".into()),
        "a memfd name is not a path"
    );
    assert_eq!(ev.fd.as_ref().unwrap().name, "memfd:payload");
    // An unknown syscall number yields no event rather than a wrong one.
    assert!(
        e.enrich(syscall(header(100, 1, "x"), 0, 0, [0; 6], [b"", b""], None))
            .is_none()
    );
}

#[test]
fn a_process_in_a_podman_cgroup_gets_its_container() {
    let proc = fake_proc();
    let p = proc.path().join("300");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("stat"),
        "300 (sh) S 100 300 300 0 300 0 0 0 0 0 0 0 0 0 20 0 1 0 600 0 0",
    )
    .unwrap();
    std::fs::write(
        p.join("cgroup"),
        format!("4:memory:/libpod_parent/libpod-{CID}\n0::/\n"),
    )
    .unwrap();
    let storage = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(storage.path().join("overlay-containers")).unwrap();
    std::fs::write(
        storage.path().join("overlay-containers/containers.json"),
        serde_json::json!([{"id": CID, "names": ["t1"], "metadata": "{\"image-name\":\"localhost/bb:1\"}"}]).to_string(),
    )
    .unwrap();
    let roots = StateRoots {
        podman: storage.path().into(),
        ..Default::default()
    };
    let mut e = Enricher::with_roots(proc.path().into(), roots);
    // Seeded from /proc: pid 300 is in the container.
    let ev = e
        .enrich(syscall(
            header(300, 100, "sh"),
            87,
            0,
            [0; 6],
            [b"/x\0", b""],
            None,
        ))
        .unwrap();
    let c = ev.container.as_ref().unwrap();
    assert_eq!(
        (
            c.id.as_str(),
            c.name.as_str(),
            c.image_repository.as_str(),
            c.image_tag.as_str()
        ),
        (&CID[..12], "t1", "localhost/bb", "1")
    );
    // A process unknown to /proc is attributed by the cgroup names its exec record carries,
    // and its children inherit the container.
    let Record::Exec {
        header: h,
        syscall_nr,
        tty,
        sid,
        vpgid,
        filename,
        exe_name,
        argv,
        ..
    } = exec(header(301, 100, "ls"), "/bin/ls", &["ls"])
    else {
        unreachable!()
    };
    let cgroup = format!("0::/libpod_parent/libpod-{CID}\n4:memory:/libpod_parent/libpod-{CID}\n");
    let ev = e
        .enrich(Record::Exec {
            header: h,
            syscall_nr,
            tty,
            sid,
            vpgid,
            filename,
            exe_name,
            argv,
            cgroup,
        })
        .unwrap();
    assert_eq!(ev.container.unwrap().id, &CID[..12]);
    e.enrich(Record::Fork {
        header: header(301, 100, "ls"),
        child: 302,
    });
    let ev = e
        .enrich(syscall(
            header(302, 301, "ls"),
            87,
            0,
            [0; 6],
            [b"/y\0", b""],
            None,
        ))
        .unwrap();
    assert_eq!(ev.container.unwrap().name, "t1");
}

#[test]
fn an_exited_process_is_told_apart_only_on_the_live_proc() {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let live = Enricher::new();
    assert!(live.exited(pid), "a reaped child is gone");
    assert!(!live.exited(std::process::id()), "this process is not");
    // A fake /proc's pids are not this system's: never judged from here.
    let dir = fake_proc();
    let fake = Enricher::with_roots(dir.path().to_path_buf(), StateRoots::default());
    assert!(!fake.exited(pid));
}
