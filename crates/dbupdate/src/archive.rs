//! Reading a mirror's `all.zip` as hostile input.
//!
//! Entries are read into memory one at a time and handed over as text; nothing is written to
//! disk under an entry's name, so a path in an entry cannot escape anywhere. An entry name
//! that would escape (absolute, `..`, a drive or backslash path) still marks the archive as
//! not an honest OSV export and fails it. Sizes are bounded three ways: the number of
//! entries, each entry's size, and the archive's total; the sizes are enforced on the bytes
//! actually inflated, because the sizes a zip declares can lie.

use std::fs::File;
use std::io::Read;

use crate::UpdateError;

/// Bounds on one archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the archive.
    pub max_entries: usize,
    /// Inflated bytes of one entry (one OSV record).
    pub max_entry_bytes: u64,
    /// Inflated bytes of all entries together.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// Room for the real feeds with a wide margin: OSV's largest ecosystem (Debian) has
    /// about 100k records and a few GiB inflated; its largest records are a few MiB.
    fn default() -> Self {
        Limits {
            max_entries: 2_000_000,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 32 << 30,
        }
    }
}

/// Calls `each(entry name, text)` for every `.json` entry of the zip in `file`; other files
/// and directories are skipped. `label` names the archive in errors.
pub fn for_each_record(
    file: File,
    label: &str,
    limits: &Limits,
    mut each: impl FnMut(&str, &str) -> Result<(), UpdateError>,
) -> Result<(), UpdateError> {
    let fail = |reason: String| UpdateError::Archive {
        archive: label.to_owned(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| fail(format!("not a readable zip archive ({e})")))?;
    if zip.len() > limits.max_entries {
        return Err(fail(format!(
            "{} entries, more than the limit of {}",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut total = 0u64;
    let mut buf = Vec::new();
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| fail(format!("entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| fail(format!("entry {index}: {e}")))?
            .into_owned();
        if !is_safe_name(&name) {
            return Err(fail(format!("unsafe entry name {name:?}")));
        }
        if entry.is_dir() || !name.ends_with(".json") {
            continue;
        }
        if entry.size() > limits.max_entry_bytes {
            return Err(fail(format!(
                "entry {name} inflates to {} bytes, more than the limit of {}",
                entry.size(),
                limits.max_entry_bytes
            )));
        }
        buf.clear();
        (&mut entry)
            .take(limits.max_entry_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|e| fail(format!("entry {name}: {e}")))?;
        let size = buf.len() as u64;
        if size > limits.max_entry_bytes {
            return Err(fail(format!(
                "entry {name} inflates past the limit of {} bytes (it declared {})",
                limits.max_entry_bytes,
                entry.size()
            )));
        }
        total += size;
        if total > limits.max_total_bytes {
            return Err(fail(format!(
                "entries inflate past the archive limit of {} bytes",
                limits.max_total_bytes
            )));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|e| fail(format!("entry {name} is not UTF-8: {e}")))?;
        each(&name, text)?;
    }
    Ok(())
}

/// A relative path of plain components: no root, drive, `..`, backslash or NUL.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains(['\\', '\0'])
        && !name.split('/').any(|c| c == ".." || c.ends_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        for ok in ["GHSA-1.json", "sub/dir/x.json", "a..b.json", "dir/"] {
            assert!(is_safe_name(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x.json",
            "a/../../x.json",
            "..",
            "C:/x.json",
            "a\\..\\x.json",
            "x\0.json",
        ] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
    }
}
