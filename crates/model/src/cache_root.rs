use std::ffi::OsString;
use std::path::PathBuf;

/// Osprey's cache root, where the layer cache (`layers/`) and the advisory store
/// (`db/osprey.db`) live: `$OSPREY_CACHE_DIR`, else `$XDG_CACHE_HOME/osprey`, else
/// `$HOME/.cache/osprey`; `None` when none of those is set.
///
/// Reads environment variables only (no file system access), so every crate that needs the
/// location agrees on it without depending on the crate that owns the files.
pub fn cache_root() -> Option<PathBuf> {
    cache_root_from(|name| std::env::var_os(name))
}

/// [`cache_root`] over any variable lookup (empty values count as unset).
pub fn cache_root_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(d) = var("OSPREY_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("osprey"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".cache").join("osprey"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn precedence() {
        let all = [
            ("OSPREY_CACHE_DIR", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(cache_root_from(env(&all)), Some(PathBuf::from("/c")));
        assert_eq!(
            cache_root_from(env(&all[1..])),
            Some(PathBuf::from("/x/osprey"))
        );
        assert_eq!(
            cache_root_from(env(&all[2..])),
            Some(PathBuf::from("/h/.cache/osprey"))
        );
        assert_eq!(
            cache_root_from(env(&[("OSPREY_CACHE_DIR", ""), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/osprey"))
        );
        assert_eq!(cache_root_from(env(&[])), None);
    }
}
