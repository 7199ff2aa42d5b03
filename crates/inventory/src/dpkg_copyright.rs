//! Licences of dpkg packages from `usr/share/doc/<package>/copyright`.
//!
//! Machine-readable copyright files (DEP-5, first field `Format:`) name their licences in
//! `License:` fields; those are taken as written (`GPL-2+`, `Artistic or GPL-1+`), in order of
//! appearance, without duplicates. Free-form files usually point to
//! `/usr/share/common-licenses/<NAME>`; those names are taken instead. Licence text that is
//! only pasted in, without either marker, is not classified.
//!
//! The analyzer keeps the file's bytes; [`attach_licenses`] reads them after the squash, from
//! the final filesystem only, for deb packages that have no licence yet.

use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta, Squashed};
use std::collections::BTreeMap;

const ANALYZER: &str = "dpkg-copyright";
const DOC_DIR: &str = "usr/share/doc/";
const COMMON_LICENSES: &str = "/usr/share/common-licenses/";

/// Keeps `usr/share/doc/<package>/copyright` files.
pub(crate) struct DpkgCopyrightAnalyzer;

impl Analyzer for DpkgCopyrightAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path
            .strip_prefix(DOC_DIR)
            .and_then(|rest| rest.strip_suffix("/copyright"))
            .is_some_and(|package| !package.is_empty() && !package.contains('/'))
    }

    fn max_size(&self) -> u64 {
        1 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        Ok(vec![Fact {
            analyzer: ANALYZER.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Content(content.to_vec()),
        }])
    }
}

/// The licences a copyright file names.
pub(crate) fn licenses(text: &str) -> Vec<String> {
    let machine_readable = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.starts_with("Format:"));
    let found: Vec<String> = if machine_readable {
        text.lines()
            .filter_map(|l| l.strip_prefix("License:"))
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty() && value != "...")
            .collect()
    } else {
        text.match_indices(COMMON_LICENSES)
            .map(|(at, _)| {
                let rest = &text[at + COMMON_LICENSES.len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || ".+-_".contains(c)))
                    .unwrap_or(rest.len());
                rest[..end].trim_end_matches('.').to_string()
            })
            .filter(|name| !name.is_empty())
            .collect()
    };
    let mut unique = Vec::new();
    for license in found {
        if !unique.contains(&license) {
            unique.push(license);
        }
    }
    unique
}

/// Gives deb packages without a licence the licences of their copyright file in the final
/// filesystem.
pub(crate) fn attach_licenses(packages: &mut [Package], squashed: &Squashed) {
    let files: BTreeMap<&str, &[u8]> = squashed
        .facts
        .iter()
        .filter(|f| f.in_final_fs && f.fact.analyzer == ANALYZER)
        .filter_map(|f| match &f.fact.kind {
            FactKind::Content(bytes) => Some((f.fact.path.as_str(), bytes.as_slice())),
            _ => None,
        })
        .collect();
    for package in packages
        .iter_mut()
        .filter(|p| p.ecosystem == Ecosystem::Deb && p.licenses.is_empty())
    {
        let path = format!("{DOC_DIR}{}/copyright", package.name);
        if let Some(bytes) = files.get(path.as_str()) {
            package.licenses = licenses(&String::from_utf8_lossy(bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_readable_and_free_form() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
                    Files: *\nLicense: GPL-2+\n\nFiles: x\nLicense: Artistic or GPL-1+\n\n\
                    License: GPL-2+\n text\nLicense:\n";
        assert_eq!(licenses(dep5), ["GPL-2+", "Artistic or GPL-1+"]);
        let free = "see /usr/share/common-licenses/GPL-2.\nand /usr/share/common-licenses/LGPL-2.1, also\n\
                    /usr/share/common-licenses/GPL-2";
        assert_eq!(licenses(free), ["GPL-2", "LGPL-2.1"]);
        assert!(licenses("all rights reserved").is_empty());
    }
}
