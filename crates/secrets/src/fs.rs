//! Secret scanning of a directory tree (`osprey fs DIR --scanners secret`).

use crate::analyzer::{DEFAULT_MAX_SIZE, has_binary_extension};
use crate::engine::Scanner;
use crate::text::{SNIFF_LEN, is_binary};
use osprey_model::SecretFinding;
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How to walk a directory.
#[derive(Debug, Clone)]
pub struct DirOptions {
    /// Files bigger than this are reported as skipped.
    pub max_size: u64,
    /// Honour `.gitignore`, `.ignore` and `.git/info/exclude` (also outside a git checkout).
    pub respect_gitignore: bool,
}

impl Default for DirOptions {
    fn default() -> Self {
        DirOptions {
            max_size: DEFAULT_MAX_SIZE,
            respect_gitignore: true,
        }
    }
}

/// A file that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// Path relative to the scanned directory.
    pub path: String,
    /// Why (`larger than 10485760 bytes`, an I/O error).
    pub reason: String,
}

/// The result of scanning a directory.
#[derive(Debug, Clone, Default)]
pub struct DirScan {
    /// Findings; paths are relative to the scanned directory, `/`-separated.
    pub findings: Vec<SecretFinding>,
    /// Files over the size limit or unreadable.
    pub skipped: Vec<SkippedFile>,
    /// Text files scanned.
    pub files_scanned: usize,
    /// Bytes of the text files scanned.
    pub bytes_scanned: u64,
    /// Files skipped as binary (by extension or content).
    pub binary_files: usize,
    /// Files skipped by a path allow rule.
    pub allowed_files: usize,
}

enum Outcome {
    Scanned(u64, Vec<SecretFinding>),
    Binary,
    Allowed,
    Skipped(SkippedFile),
}

/// Scans every regular file under `root` (symlinks are not followed; `.git` is skipped).
pub fn scan_dir(scanner: &Scanner, root: &Path, options: &DirOptions) -> DirScan {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .git_ignore(options.respect_gitignore)
        .git_exclude(options.respect_gitignore)
        .ignore(options.respect_gitignore)
        .parents(options.respect_gitignore)
        .git_global(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut files: Vec<(PathBuf, String, u64)> = Vec::new();
    let mut scan = DirScan::default();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                scan.skipped.push(SkippedFile {
                    path: root.display().to_string(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        files.push((entry.into_path(), rel, size));
    }
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|(full, rel, size)| scan_one(scanner, full, rel, *size, options))
        .collect();
    for outcome in outcomes {
        match outcome {
            Outcome::Scanned(bytes, findings) => {
                scan.files_scanned += 1;
                scan.bytes_scanned += bytes;
                scan.findings.extend(findings);
            }
            Outcome::Binary => scan.binary_files += 1,
            Outcome::Allowed => scan.allowed_files += 1,
            Outcome::Skipped(s) => scan.skipped.push(s),
        }
    }
    scan
}

fn scan_one(scanner: &Scanner, full: &Path, rel: &str, size: u64, options: &DirOptions) -> Outcome {
    if size == 0 {
        return Outcome::Scanned(0, Vec::new());
    }
    if has_binary_extension(rel) {
        return Outcome::Binary;
    }
    if scanner.path_allowed(rel) {
        return Outcome::Allowed;
    }
    let skipped = |reason: String| {
        Outcome::Skipped(SkippedFile {
            path: rel.to_string(),
            reason,
        })
    };
    // Sniff the head first: most files of a system tree are binaries, and reading them
    // whole would cost more than scanning every text file.
    let mut file = match std::fs::File::open(full) {
        Ok(f) => f,
        Err(e) => return skipped(e.to_string()),
    };
    let mut content = Vec::with_capacity(size.min(options.max_size) as usize + 1);
    if let Err(e) = (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut content) {
        return skipped(e.to_string());
    }
    if is_binary(&content) {
        return Outcome::Binary;
    }
    if size > options.max_size {
        return skipped(format!(
            "larger than {} bytes ({size} bytes)",
            options.max_size
        ));
    }
    if let Err(e) = file.read_to_end(&mut content) {
        return skipped(e.to_string());
    }
    Outcome::Scanned(content.len() as u64, scanner.scan_file(rel, &content))
}
