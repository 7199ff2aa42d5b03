//! Paths inside an image: normalisation of stored names and symlink resolution confined to
//! the image root.

use crate::Error;

/// The most symlinks followed while resolving one path; Linux gives up (ELOOP) at 40 too.
const MAX_SYMLINK_FOLLOWS: usize = 40;

/// A stored path made relative and canonical (`./usr//lib/../bin/` -> `usr/bin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalised {
    /// The normalised path; empty for the root.
    pub path: String,
    /// True when a `..` tried to climb above the root and was clamped there.
    pub escaped: bool,
}

/// Normalises a stored path: leading `/` and `./` dropped, `.` and empty components removed,
/// `..` applied. A `..` at the root stays at the root (containerd does the same when it
/// applies a layer), and `escaped` records that it happened.
pub(crate) fn normalise(raw: &str) -> Normalised {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            name => parts.push(name),
        }
    }
    Normalised {
        path: parts.join("/"),
        escaped,
    }
}

/// Splits a normalised path into its parent directory and final name (`a/b/c` -> `a/b`, `c`).
pub(crate) fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Resolves every symlink in `path` (a normalised path) the way the kernel would inside a
/// container whose root is the image root: absolute targets restart at the root, `..` never
/// climbs above it, and more than 40 links is a loop.
///
/// `read_link` is asked about normalised paths and returns the stored target when that path
/// is a symlink, `None` otherwise. The final component is followed too, so the result names
/// the file the path finally designates:
///
/// ```
/// let link = |p: &str| (p == "etc/os-release").then(|| "../usr/lib/os-release".to_string());
/// assert_eq!(osprey_image::resolve_symlinks("etc/os-release", link).unwrap(), "usr/lib/os-release");
/// ```
pub fn resolve_symlinks(
    path: &str,
    mut read_link: impl FnMut(&str) -> Option<String>,
) -> Result<String, Error> {
    // Components still to walk, last one on top.
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut follows = 0;
    while let Some(component) = pending.pop() {
        match component.as_str() {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => resolved.push(component),
        }
        let current = resolved.join("/");
        if let Some(target) = read_link(&current) {
            follows += 1;
            if follows > MAX_SYMLINK_FOLLOWS {
                return Err(Error::SymlinkLoop {
                    path: path.to_string(),
                });
            }
            resolved.pop();
            if target.starts_with('/') {
                resolved.clear();
            }
            pending.extend(target.split('/').rev().map(str::to_string));
        }
    }
    Ok(resolved.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn normalises_and_clamps() {
        let n = |s: &str| {
            let n = normalise(s);
            (n.path, n.escaped)
        };
        assert_eq!(
            n("./usr//lib/./os-release"),
            ("usr/lib/os-release".into(), false)
        );
        assert_eq!(n("/etc/passwd"), ("etc/passwd".into(), false));
        assert_eq!(n("a/b/../c/"), ("a/c".into(), false));
        assert_eq!(n("./"), ("".into(), false));
        assert_eq!(n("../../etc/shadow"), ("etc/shadow".into(), true));
        assert_eq!(n("a/../../b"), ("b".into(), true));
    }

    fn links(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn resolves_relative_absolute_and_intermediate_links() {
        let l = links(&[
            ("etc/os-release", "../usr/lib/os-release"),
            ("lib", "usr/lib"),
            ("usr/lib/x", "/opt/y"),
        ]);
        let r = |p: &str| resolve_symlinks(p, |q| l.get(q).cloned()).unwrap();
        assert_eq!(r("etc/os-release"), "usr/lib/os-release");
        assert_eq!(r("lib/os-release"), "usr/lib/os-release");
        assert_eq!(r("lib/x/z"), "opt/y/z");
        assert_eq!(r("plain/file"), "plain/file");
    }

    #[test]
    fn never_escapes_the_root() {
        let l = links(&[("a/b", "../../../../etc/shadow"), ("c", "/../../x")]);
        let r = |p: &str| resolve_symlinks(p, |q| l.get(q).cloned()).unwrap();
        assert_eq!(r("a/b"), "etc/shadow");
        assert_eq!(r("c"), "x");
    }

    #[test]
    fn detects_loops() {
        let l = links(&[("a", "b"), ("b", "a"), ("self", "self"), ("d", "d/e")]);
        for p in ["a", "self", "d/f"] {
            let e = resolve_symlinks(p, |q| l.get(q).cloned()).unwrap_err();
            assert!(matches!(e, Error::SymlinkLoop { .. }), "{p}: {e}");
        }
    }
}
