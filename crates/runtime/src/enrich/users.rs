//! uid/gid → name from `passwd`/`group` files. A process in a container is looked up in the
//! container's own files (`/proc/PID/root/etc/passwd`), as Falco does; each root's tables are
//! read once and re-read only when a lookup misses.

use std::collections::HashMap;
use std::path::Path;

#[derive(Default)]
struct Tables {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

/// Name cache keyed by filesystem view (`host` or a container id).
#[derive(Default)]
pub struct Users {
    views: HashMap<String, Tables>,
}

fn parse(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

fn load(root: &Path) -> Tables {
    let read = |rel: &str| {
        std::fs::read_to_string(root.join(rel))
            .map(|t| parse(&t))
            .unwrap_or_default()
    };
    Tables {
        users: read("etc/passwd"),
        groups: read("etc/group"),
    }
}

impl Users {
    /// User and group names for `uid`/`gid` in the view `key`, whose files are under `root`
    /// (`/` for the host); empty when unknown.
    pub fn names(&mut self, key: &str, root: &Path, uid: u32, gid: u32) -> (String, String) {
        let tables = self
            .views
            .entry(key.to_string())
            .or_insert_with(|| load(root));
        if !tables.users.contains_key(&uid) || !tables.groups.contains_key(&gid) {
            // A user added since the last read: read again (a miss on a truly unknown id
            // costs one re-read per event, which only happens for ids with no name).
            *tables = load(root);
        }
        (
            tables.users.get(&uid).cloned().unwrap_or_default(),
            tables.groups.get(&gid).cloned().unwrap_or_default(),
        )
    }

    /// The user name for `uid` in the view `key` (read from `root` on first use).
    pub fn user(&mut self, key: &str, root: &Path, uid: u32) -> String {
        let tables = self
            .views
            .entry(key.to_string())
            .or_insert_with(|| load(root));
        tables.users.get(&uid).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_given_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\n# c\nnobody:x:65534:65534::/:/bin/false\nbroken\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nnogroup:x:65534:\n",
        )
        .unwrap();
        let mut users = Users::default();
        assert_eq!(
            users.names("c", dir.path(), 65534, 0),
            ("nobody".into(), "root".into())
        );
        assert_eq!(
            users.names("c", dir.path(), 4242, 4242),
            (String::new(), String::new())
        );
        std::fs::write(
            dir.path().join("etc/passwd"),
            "app:x:4242:4242::/:/bin/sh\n",
        )
        .unwrap();
        assert_eq!(users.user("c", dir.path(), 4242), "");
        assert_eq!(users.names("c", dir.path(), 4242, 0).0, "app");
    }
}
