//! Root-filesystem walks: same entries as layers, symlinks not followed, pseudo filesystems
//! skipped, unreadable entries counted.

use osprey_image::{Entry, EntryKind, Error, walk_dir};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::sync::Mutex;

/// Entries seen, with the content of files that could be read.
type Seen = Vec<(Entry, Option<Vec<u8>>)>;

fn collect(root: &Path) -> (Seen, osprey_image::WalkStats) {
    let seen = Mutex::new(Vec::new());
    let stats = walk_dir(root, |entry, content| {
        let bytes = if entry.kind == EntryKind::File {
            let mut v = Vec::new();
            content.read_to_end(&mut v).ok().map(|_| v)
        } else {
            None
        };
        seen.lock().unwrap().push((entry.clone(), bytes));
        Ok(())
    })
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    (seen, stats)
}

#[test]
fn walks_a_tree_without_following_links_or_pseudo_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::write(root.join("usr/lib/os-release"), "ID=debian\n").unwrap();
    symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    symlink("/usr", root.join("usrlink")).unwrap();
    symlink("loop", root.join("loop")).unwrap();
    for pseudo in ["proc", "sys", "dev"] {
        std::fs::create_dir_all(root.join(pseudo).join("x")).unwrap();
        std::fs::write(root.join(pseudo).join("x/file"), "kernel").unwrap();
    }
    let fifo = root.join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let (seen, stats) = collect(root);
    let paths: Vec<&str> = seen.iter().map(|(e, _)| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "etc",
            "etc/os-release",
            "fifo",
            "loop",
            "usr",
            "usr/lib",
            "usr/lib/os-release",
            "usrlink"
        ]
    );
    assert_eq!(stats.entries, 8);
    assert_eq!(stats.skipped, 3);
    assert!(stats.unreadable.is_empty(), "{:?}", stats.unreadable);
    let by_path = |p: &str| seen.iter().find(|(e, _)| e.path == p).unwrap();
    assert_eq!(
        by_path("etc/os-release").0.kind,
        EntryKind::Symlink {
            target: "../usr/lib/os-release".into()
        }
    );
    assert_eq!(
        by_path("usrlink").0.kind,
        EntryKind::Symlink {
            target: "/usr".into()
        }
    );
    assert_eq!(by_path("fifo").0.kind, EntryKind::Other);
    let release = by_path("usr/lib/os-release");
    assert_eq!(
        (release.0.size, release.1.as_deref()),
        (10, Some(&b"ID=debian\n"[..]))
    );
    assert_eq!(release.0.mode & 0o777, 0o644 & !umask());
}

fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap()
}

#[test]
fn visitor_error_stops_the_walk() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..50 {
        std::fs::create_dir_all(tmp.path().join(format!("d{i}"))).unwrap();
        std::fs::write(tmp.path().join(format!("d{i}/f")), "x").unwrap();
    }
    let err = walk_dir(tmp.path(), |entry, _| {
        if entry.path == "d7/f" {
            return Err(Error::Malformed {
                what: entry.path.clone(),
                reason: "stop".into(),
            });
        }
        Ok(())
    })
    .unwrap_err();
    assert!(err.to_string().contains("d7/f"), "{err}");
}

#[test]
fn missing_root_is_an_error_naming_it() {
    let err = walk_dir(Path::new("/no/such/root"), |_, _| Ok(())).unwrap_err();
    assert!(err.to_string().contains("/no/such/root"), "{err}");
}

/// Run as an unprivileged user by `unreadable_entries_are_counted` (root reads everything).
#[test]
#[ignore = "helper: run by unreadable_entries_are_counted under setpriv"]
fn unreadable_helper() {
    let Ok(root) = std::env::var("OSPREY_UNREADABLE_ROOT") else {
        return;
    };
    let (seen, stats) = collect(Path::new(&root));
    let paths: Vec<&str> = seen.iter().map(|(e, _)| e.path.as_str()).collect();
    assert_eq!(paths, ["locked", "open", "secret.txt"]);
    let reasons: Vec<(&str, bool)> = stats
        .unreadable
        .iter()
        .map(|u| (u.path.as_str(), u.reason.contains("denied")))
        .collect();
    assert_eq!(reasons, [("locked", true), ("secret.txt", true)]);
    // The content reader failed for the unreadable file; the walk went on.
    assert!(
        seen.iter()
            .find(|(e, _)| e.path == "secret.txt")
            .unwrap()
            .1
            .is_none()
    );
}

#[test]
fn unreadable_entries_are_counted() {
    let tmp = tempfile::Builder::new().tempdir_in("/tmp").unwrap();
    let root = tmp.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(root.join("locked")).unwrap();
    std::fs::write(root.join("locked/hidden"), "x").unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir(root.join("open")).unwrap();
    std::fs::write(root.join("secret.txt"), "x").unwrap();
    std::fs::set_permissions(
        root.join("secret.txt"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut cmd = if is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe);
        c
    } else {
        // Unprivileged already: the modes above are enough.
        std::process::Command::new(&exe)
    };
    let out = cmd
        .args([
            "--exact",
            "unreadable_helper",
            "--include-ignored",
            "--nocapture",
        ])
        .env("OSPREY_UNREADABLE_ROOT", root)
        .output()
        .expect("running the test binary (setpriv from util-linux when root)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap()
}

#[test]
#[ignore = "slow: walks the whole host filesystem"]
fn walks_the_host_root() {
    let started = std::time::Instant::now();
    let files = std::sync::atomic::AtomicU64::new(0);
    let stats = walk_dir(Path::new("/"), |entry, _| {
        assert!(
            !["proc/", "sys/", "dev/"]
                .iter()
                .any(|p| entry.path.starts_with(p)),
            "{}",
            entry.path
        );
        if entry.kind == EntryKind::File {
            files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    })
    .unwrap();
    eprintln!(
        "/: {} entries ({} files), {} skipped, {} unreadable in {:?}",
        stats.entries,
        files.into_inner(),
        stats.skipped,
        stats.unreadable.len(),
        started.elapsed()
    );
    assert!(stats.entries > 1000);
    assert!(stats.skipped >= 3);
}

#[test]
#[ignore = "privileged: mounts a procfs inside a temporary directory"]
fn pseudo_filesystem_mounts_are_skipped_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let mount_point = tmp.path().join("nested/kernel");
    std::fs::create_dir_all(&mount_point).unwrap();
    std::fs::write(tmp.path().join("nested/real"), "x").unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "proc", "proc"])
        .arg(&mount_point)
        .status()
        .unwrap();
    assert!(status.success(), "mount -t proc failed (needs root)");
    let result = std::panic::catch_unwind(|| collect(tmp.path()));
    let unmounted = std::process::Command::new("umount")
        .arg(&mount_point)
        .status()
        .unwrap();
    let (seen, stats) = result.unwrap();
    assert!(unmounted.success());
    let paths: Vec<&str> = seen.iter().map(|(e, _)| e.path.as_str()).collect();
    assert_eq!(paths, ["nested", "nested/real"]);
    assert_eq!(stats.skipped, 1);
}
