//! Responses to detections.
//!
//! - **Kill**: alerts of selected rules (by name or tag) SIGKILL the offending process. This
//!   happens after the syscall returned: it stops what comes next, it does not undo the act.
//! - **Deny open**: an in-kernel block through fanotify permission events (`FAN_OPEN_PERM`
//!   answered with `FAN_DENY`), the one blocking mechanism this kernel class allows (no
//!   BPF-LSM, no kprobe override). Rules evaluate after the syscall, so denial is a path
//!   guard configured up front; every denial is reported.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

/// Which alerts trigger the kill response.
#[derive(Debug, Clone, Default)]
pub struct KillPolicy {
    /// Rule names.
    pub rules: BTreeSet<String>,
    /// Tags: any rule carrying one.
    pub tags: BTreeSet<String>,
}

impl KillPolicy {
    /// Whether an alert of `rule` with `tags` should kill its process.
    pub fn selects(&self, rule: &str, tags: &[String]) -> bool {
        self.rules.contains(rule) || tags.iter().any(|t| self.tags.contains(t))
    }

    /// Nothing selected.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.tags.is_empty()
    }
}

/// SIGKILLs `pid`, refusing pid 0/1 and the caller itself.
pub fn kill(pid: i64) -> std::io::Result<()> {
    let own = i64::from(std::process::id());
    if pid <= 1 || pid == own || pid > i64::from(i32::MAX) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("refusing to kill pid {pid}"),
        ));
    }
    // SAFETY: kill has no memory-safety preconditions; pid was range-checked above.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// One denied open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Process that tried.
    pub pid: i32,
    /// Path it tried to open.
    pub path: PathBuf,
}

/// A running fanotify guard that denies opens of the given paths. Stops on drop.
pub struct OpenGuard {
    stop: Arc<AtomicBool>,
    denied: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

const FAN_CLOEXEC: u32 = 0x1;
const FAN_CLASS_CONTENT: u32 = 0x4;
const FAN_MARK_ADD: u32 = 0x1;
const FAN_OPEN_PERM: u64 = 0x0001_0000;
/// Marks on a directory also cover opens of its direct children.
const FAN_EVENT_ON_CHILD: u64 = 0x0800_0000;
const FAN_ALLOW: u32 = 0x01;
const FAN_DENY: u32 = 0x02;
const METADATA_LEN: usize = 24;

#[repr(C)]
struct FanotifyResponse {
    fd: i32,
    response: u32,
}

fn last_err(what: &str) -> std::io::Error {
    let e = std::io::Error::last_os_error();
    std::io::Error::new(e.kind(), format!("{what}: {e}"))
}

impl OpenGuard {
    /// Marks each path (a file or directory inode) for open-permission events and starts
    /// answering them: opens of a marked path by any other process are denied (EPERM), and
    /// `on_deny` hears of each. Needs CAP_SYS_ADMIN.
    pub fn start(
        paths: &[PathBuf],
        mut on_deny: impl FnMut(Denial) + Send + 'static,
    ) -> std::io::Result<OpenGuard> {
        // SAFETY: plain syscall with constant flags.
        let raw = unsafe {
            libc::syscall(
                libc::SYS_fanotify_init,
                FAN_CLOEXEC | FAN_CLASS_CONTENT,
                (libc::O_RDONLY | libc::O_LARGEFILE) as u32,
            )
        };
        if raw < 0 {
            return Err(last_err(
                "fanotify_init (needs root and CONFIG_FANOTIFY_ACCESS_PERMISSIONS)",
            ));
        }
        // SAFETY: raw is a new descriptor owned from here on.
        let fan = unsafe { OwnedFd::from_raw_fd(raw as i32) };
        let mut marked = Vec::new();
        for p in paths {
            let c = CString::new(p.as_os_str().as_bytes()).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "path with NUL")
            })?;
            // SAFETY: fan is valid, c is a NUL-terminated path.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_fanotify_mark,
                    fan.as_raw_fd(),
                    FAN_MARK_ADD,
                    FAN_OPEN_PERM | FAN_EVENT_ON_CHILD,
                    libc::AT_FDCWD,
                    c.as_ptr(),
                )
            };
            if rc < 0 {
                return Err(last_err(&format!("fanotify_mark {}", p.display())));
            }
            marked.push(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let denied = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, denied) = (Arc::clone(&stop), Arc::clone(&denied));
            std::thread::Builder::new()
                .name("osprey-fanotify".into())
                .spawn(move || {
                    serve(&fan, &marked, &stop, &denied, &mut on_deny);
                })?
        };
        Ok(OpenGuard {
            stop,
            denied,
            thread: Some(thread),
        })
    }

    /// Opens denied so far.
    pub fn denied(&self) -> u64 {
        self.denied.load(Ordering::Relaxed)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    fan: &OwnedFd,
    marked: &[PathBuf],
    stop: &AtomicBool,
    denied: &AtomicU64,
    on_deny: &mut dyn FnMut(Denial),
) {
    let own = std::process::id() as i32;
    let mut buf = vec![0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let mut pfd = libc::pollfd {
            fd: fan.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 100) } <= 0 {
            continue;
        }
        // SAFETY: buf is writable for its length.
        let n = unsafe { libc::read(fan.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            continue;
        }
        let mut off = 0usize;
        while off + METADATA_LEN <= n as usize {
            let m = &buf[off..];
            let event_len = u32::from_ne_bytes(m[0..4].try_into().expect("4 bytes")) as usize;
            let mask = u64::from_ne_bytes(m[8..16].try_into().expect("8 bytes"));
            let fd = i32::from_ne_bytes(m[16..20].try_into().expect("4 bytes"));
            let pid = i32::from_ne_bytes(m[20..24].try_into().expect("4 bytes"));
            if event_len < METADATA_LEN {
                break;
            }
            if fd >= 0 {
                // SAFETY: the kernel handed us this descriptor for the event.
                let event_fd = unsafe { OwnedFd::from_raw_fd(fd) };
                if mask & FAN_OPEN_PERM != 0 {
                    let path =
                        std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap_or_default();
                    let deny = pid != own && is_guarded(marked, &path);
                    let resp = FanotifyResponse {
                        fd,
                        response: if deny { FAN_DENY } else { FAN_ALLOW },
                    };
                    // SAFETY: resp is a valid fanotify_response for this fd.
                    unsafe {
                        libc::write(
                            fan.as_raw_fd(),
                            (&resp as *const FanotifyResponse).cast(),
                            std::mem::size_of::<FanotifyResponse>(),
                        )
                    };
                    if deny {
                        denied.fetch_add(1, Ordering::Relaxed);
                        on_deny(Denial { pid, path });
                    }
                }
                drop(event_fd);
            }
            off += event_len;
        }
    }
}

fn is_guarded(marked: &[PathBuf], path: &Path) -> bool {
    marked.iter().any(|m| path == m || path.starts_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_policy_by_rule_or_tag() {
        let p = KillPolicy {
            rules: ["Read sensitive file untrusted".to_string()].into(),
            tags: ["T1055.008".to_string()].into(),
        };
        assert!(p.selects("Read sensitive file untrusted", &[]));
        assert!(p.selects(
            "PTRACE attached to process",
            &["process".into(), "T1055.008".into()]
        ));
        assert!(!p.selects("Run shell untrusted", &["shell".into()]));
        assert!(KillPolicy::default().is_empty());
    }

    #[test]
    fn kill_refuses_init_and_self() {
        assert!(kill(1).is_err());
        assert!(kill(0).is_err());
        assert!(kill(i64::from(std::process::id())).is_err());
    }

    #[test]
    #[ignore = "privileged: fanotify permission events need root"]
    fn denied_open_fails_with_eperm_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        let other = dir.path().join("other");
        std::fs::write(&secret, "s").unwrap();
        std::fs::write(&other, "o").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let guard = OpenGuard::start(std::slice::from_ref(&secret), move |d| {
            let _ = tx.send(d);
        })
        .unwrap();
        let out = std::process::Command::new("cat")
            .arg(&secret)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Operation not permitted"),
            "{out:?}"
        );
        let ok = std::process::Command::new("cat")
            .arg(&other)
            .output()
            .unwrap();
        assert!(ok.status.success(), "an unmarked file opens");
        let d = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        assert_eq!(d.path, std::fs::canonicalize(&secret).unwrap());
        assert!(d.pid > 0);
        assert_eq!(guard.denied(), 1);
        drop(guard);
        assert!(
            std::process::Command::new("cat")
                .arg(&secret)
                .status()
                .unwrap()
                .success(),
            "guard lifted"
        );
    }
}
