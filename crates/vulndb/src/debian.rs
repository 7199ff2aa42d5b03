//! The Debian security tracker, resolved per (CVE, release, source package) the way
//! `VULN-NOTES.md` §4.2 describes (trivy-db's behaviour):
//!
//! 1. `<not-affected>` or `<undetermined>` on the sid line or the release line: not affected.
//!    `<removed>` is not skipped.
//! 2. A release line with a version, and DSA/DLA entries, fix the release; the highest version
//!    wins. An advisory without a CVE uses its own id.
//! 3. `<no-dsa>`, `<ignored>`, `<postponed>`, `<end-of-life>` on a release line are recorded.
//! 4. Without a release fix, the release's newest source version V (max over the release and
//!    its security suite in the `Sources` index) is compared with sid's fix F: V ≥ F means
//!    fixed at F (a stale state is dropped), otherwise unfixed with any state kept. A source
//!    the release does not have gets no record; a release without `Sources` data gets records
//!    only from its own lines.
//! 5. Severity from sid's urgency: `unimportant` → LOW (flagged), low/medium/high → same,
//!    anything else → UNKNOWN.
//!
//! Inputs (vuln-list-debian layout under one directory): `tracker/CVE/*.json`,
//! `tracker/DSA/*.json`, `tracker/DLA/*.json`, `dsa-list.txt`, `dla-list.txt`,
//! `sources/<codename>/Sources` (deb822, suite in `X-Suite`),
//! `tracker/source/<codename>/**.json` and `distributions.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use osprey_version::{Scheme, Version};
use serde::Deserialize;

use crate::DbError;
use crate::distro::{DistroAdvisory, Status};

#[derive(Debug, Deserialize)]
struct TrackerFile {
    #[serde(rename = "Header")]
    header: Header,
    #[serde(rename = "Annotations", default)]
    annotations: Vec<Annotation>,
}

#[derive(Debug, Deserialize)]
struct Header {
    #[serde(rename = "ID")]
    id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Annotation {
    #[serde(rename = "Type", default)]
    kind_of_line: String,
    #[serde(rename = "Release", default)]
    release: Option<String>,
    #[serde(rename = "Package", default)]
    package: Option<String>,
    #[serde(rename = "Kind", default)]
    kind: Option<String>,
    #[serde(rename = "Version", default)]
    version: Option<String>,
    #[serde(rename = "Severity", default)]
    severity: Option<String>,
    #[serde(rename = "Bugs", default)]
    bugs: Vec<String>,
}

/// The outcome of [`DebianData::resolve`].
#[derive(Debug, Default)]
pub struct Resolved {
    /// One verdict per (vulnerability, release, source package).
    pub advisories: Vec<DistroAdvisory>,
    /// Entries skipped because dpkg would reject their version, naming advisory or file.
    pub warnings: Vec<String>,
}

/// A fix announced by a DSA or DLA.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AdvisoryFix {
    advisory: String,
    cves: Vec<String>,
    release: String,
    package: String,
    version: String,
}

/// Everything the resolver needs, loaded from one directory.
#[derive(Debug, Default)]
pub struct DebianData {
    cves: Vec<(PathBuf, TrackerFile)>,
    fixes: Vec<AdvisoryFix>,
    /// codename → source package → newest version seen.
    sources: BTreeMap<String, BTreeMap<String, Version>>,
    /// Codenames with a major version (`bookworm` → `12`).
    releases: BTreeMap<String, String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.to_owned(),
        error: source,
    }
}

fn parse_error(path: &Path, reason: impl Into<String>) -> DbError {
    DbError::Parse {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, DbError> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_tracker(path: &Path) -> Result<TrackerFile, DbError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let file: TrackerFile =
        serde_json::from_str(&text).map_err(|e| parse_error(path, e.to_string()))?;
    if file.header.id.trim().is_empty() {
        return Err(parse_error(path, "Header.ID is empty"));
    }
    Ok(file)
}

/// Turns a DSA/DLA tracker entry into fixes.
fn fixes_of_entry(file: &TrackerFile) -> Vec<AdvisoryFix> {
    let cves: Vec<String> = file
        .annotations
        .iter()
        .filter(|a| a.kind_of_line == "xref")
        .flat_map(|a| a.bugs.iter().filter(|b| b.starts_with("CVE-")).cloned())
        .collect();
    file.annotations
        .iter()
        .filter(|a| a.kind_of_line == "package" && a.kind.as_deref() == Some("fixed"))
        .filter_map(|a| {
            Some(AdvisoryFix {
                advisory: file.header.id.clone(),
                cves: cves.clone(),
                release: a.release.clone()?,
                package: a.package.clone()?,
                version: a.version.clone()?,
            })
        })
        .collect()
}

/// Parses the tracker's `data/DSA/list` / `data/DLA/list` text format.
fn parse_advisory_list(path: &Path, text: &str) -> Result<Vec<AdvisoryFix>, DbError> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            // `[29 Mar 2023] DSA-5380-1 xorg-server - security update`
            let id = line
                .split_once(']')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .ok_or_else(|| {
                    parse_error(
                        path,
                        format!("line {}: advisory header without id", index + 1),
                    )
                })?;
            current = Some((id.to_owned(), Vec::new()));
        } else if let Some(refs) = trimmed.strip_prefix('{') {
            if let Some((_, cves)) = current.as_mut() {
                cves.extend(
                    refs.trim_end_matches('}')
                        .split_whitespace()
                        .filter(|r| r.starts_with("CVE-"))
                        .map(str::to_owned),
                );
            }
        } else if let Some(rest) = trimmed.strip_prefix('[') {
            // `[bullseye] - xorg-server 2:1.20.11-1+deb11u6` (also `<not-affected>` forms).
            let Some((release, rest)) = rest.split_once(']') else {
                return Err(parse_error(
                    path,
                    format!("line {}: bad release line", index + 1),
                ));
            };
            let mut words = rest.trim().trim_start_matches('-').split_whitespace();
            let (Some(package), Some(version)) = (words.next(), words.next()) else {
                continue;
            };
            if version.starts_with('<') {
                continue;
            }
            let Some((advisory, cves)) = current.as_ref() else {
                return Err(parse_error(
                    path,
                    format!("line {}: release line before any advisory", index + 1),
                ));
            };
            out.push(AdvisoryFix {
                advisory: advisory.clone(),
                cves: cves.clone(),
                release: release.to_owned(),
                package: package.to_owned(),
                version: version.to_owned(),
            });
        }
        // NOTE lines and anything else carry nothing for matching.
    }
    Ok(out)
}

impl DebianData {
    /// Loads every input found under `dir`; missing optional inputs are simply absent.
    pub fn load(dir: &Path) -> Result<DebianData, DbError> {
        let mut data = DebianData::default();
        for path in json_files(&dir.join("tracker/CVE"))? {
            let file = read_tracker(&path)?;
            data.cves.push((path, file));
        }
        for sub in ["tracker/DSA", "tracker/DLA"] {
            for path in json_files(&dir.join(sub))? {
                data.fixes.extend(fixes_of_entry(&read_tracker(&path)?));
            }
        }
        for list in ["dsa-list.txt", "dla-list.txt"] {
            let path = dir.join(list);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                data.fixes.extend(parse_advisory_list(&path, &text)?);
            }
        }
        let dists = dir.join("distributions.json");
        if dists.is_file() {
            let text = std::fs::read_to_string(&dists).map_err(io(&dists))?;
            let map: BTreeMap<String, serde_json::Value> =
                serde_json::from_str(&text).map_err(|e| parse_error(&dists, e.to_string()))?;
            for (codename, info) in map {
                let major = info
                    .get("major-version")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                if !major.is_empty() {
                    data.releases.insert(codename, major.to_owned());
                }
            }
        }
        data.load_sources(dir)?;
        Ok(data)
    }

    fn add_source(
        &mut self,
        path: &Path,
        codename: &str,
        package: &str,
        version: &str,
    ) -> Result<(), DbError> {
        let v = Scheme::Dpkg
            .parse(version)
            .map_err(|e| parse_error(path, format!("source {package}: {e}")))?;
        let slot = self.sources.entry(codename.to_owned()).or_default();
        match slot.get(package) {
            Some(old) if *old >= v => {}
            _ => {
                slot.insert(package.to_owned(), v);
            }
        }
        Ok(())
    }

    fn load_sources(&mut self, dir: &Path) -> Result<(), DbError> {
        let sources_dir = dir.join("sources");
        if sources_dir.is_dir() {
            for entry in std::fs::read_dir(&sources_dir).map_err(io(&sources_dir))? {
                let path = entry.map_err(io(&sources_dir))?.path().join("Sources");
                if path.is_file() {
                    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                    for stanza in parse_deb822(&text) {
                        if stanza.get("Extra-Source-Only").map(String::as_str) == Some("yes") {
                            continue;
                        }
                        let (Some(package), Some(version), Some(suite)) = (
                            stanza.get("Package"),
                            stanza.get("Version"),
                            stanza.get("X-Suite"),
                        ) else {
                            return Err(parse_error(
                                &path,
                                "stanza without Package, Version or X-Suite",
                            ));
                        };
                        // `bookworm-security` counts for `bookworm`.
                        let codename = suite.split('-').next().unwrap_or(suite);
                        self.add_source(&path, codename, package, version)?;
                    }
                }
            }
        }
        // vuln-list's per-package stanzas: tracker/source/<codename>/<component>/<x>/<pkg>.json.
        let per_package = dir.join("tracker/source");
        for path in json_files(&per_package)? {
            let Some(codename) = path
                .strip_prefix(&per_package)
                .ok()
                .and_then(|p| p.components().next())
                .and_then(|c| c.as_os_str().to_str())
                .map(str::to_owned)
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let stanza: BTreeMap<String, Vec<String>> =
                serde_json::from_str(&text).map_err(|e| parse_error(&path, e.to_string()))?;
            let first = |k: &str| stanza.get(k).and_then(|v| v.first()).cloned();
            if let (Some(package), Some(version)) = (first("Package"), first("Version")) {
                self.add_source(&path, &codename, &package, &version)?;
            }
        }
        Ok(())
    }

    /// Resolves every CVE entry and advisory into per-release verdicts. Entries whose version
    /// dpkg would reject (the historic lists hold a few) are skipped with a warning.
    pub fn resolve(&self) -> Result<Resolved, DbError> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        // (cve, release, package) → highest advisory fix.
        let mut advisory_fix: BTreeMap<(String, String, String), Version> = BTreeMap::new();
        let mut cve_ids: BTreeSet<&str> = BTreeSet::new();
        for (_, file) in &self.cves {
            cve_ids.insert(&file.header.id);
        }
        for fix in &self.fixes {
            let v = match Scheme::Dpkg.parse(&fix.version) {
                Ok(v) => v,
                Err(e) => {
                    warnings.push(format!(
                        "{} [{}] {}: {e}",
                        fix.advisory, fix.release, fix.package
                    ));
                    continue;
                }
            };
            let ids: Vec<&str> = if fix.cves.is_empty() {
                vec![fix.advisory.as_str()]
            } else {
                fix.cves.iter().map(String::as_str).collect()
            };
            for id in ids {
                let key = (id.to_owned(), fix.release.clone(), fix.package.clone());
                match advisory_fix.get(&key) {
                    Some(old) if *old >= v => {}
                    _ => {
                        advisory_fix.insert(key, v.clone());
                    }
                }
            }
        }
        for (path, file) in &self.cves {
            out.extend(self.resolve_cve(path, file, &advisory_fix, &mut warnings));
        }
        // Advisory fixes for ids without a tracker entry of their own.
        for ((id, release, package), version) in &advisory_fix {
            if cve_ids.contains(id.as_str()) {
                continue;
            }
            out.push(DistroAdvisory {
                vuln_id: id.clone(),
                distro: "debian".into(),
                release: release.clone(),
                package: package.clone(),
                status: Status::Fixed,
                fixed_version: Some(version.as_str().to_owned()),
                severity: None,
                unimportant: false,
            });
        }
        Ok(Resolved {
            advisories: out,
            warnings,
        })
    }

    fn resolve_cve(
        &self,
        path: &Path,
        file: &TrackerFile,
        advisory_fix: &BTreeMap<(String, String, String), Version>,
        warnings: &mut Vec<String>,
    ) -> Vec<DistroAdvisory> {
        let id = &file.header.id;
        let mut dpkg = |version: &str| match Scheme::Dpkg.parse(version) {
            Ok(v) => Some(v),
            Err(e) => {
                warnings.push(format!("{}: {e}", path.display()));
                None
            }
        };
        let lines: Vec<&Annotation> = file
            .annotations
            .iter()
            .filter(|a| a.kind_of_line == "package" && a.package.is_some())
            .collect();
        let packages: BTreeSet<&str> = lines.iter().filter_map(|a| a.package.as_deref()).collect();
        let mut out = Vec::new();
        for package in packages {
            let of_package = || {
                lines
                    .iter()
                    .filter(move |a| a.package.as_deref() == Some(package))
            };
            let sid = of_package().find(|a| a.release.is_none());
            let sid_kind = sid.and_then(|a| a.kind.as_deref()).unwrap_or_default();
            let sid_fix = match sid {
                Some(a) if sid_kind == "fixed" => a.version.as_deref().and_then(&mut dpkg),
                _ => None,
            };
            let urgency = sid.and_then(|a| a.severity.as_deref()).unwrap_or_default();
            let unimportant = urgency == "unimportant";
            let severity = match urgency.trim_end_matches('*').trim() {
                "unimportant" | "low" => "LOW",
                "medium" => "MEDIUM",
                "high" => "HIGH",
                _ => "UNKNOWN",
            };
            let mut releases: BTreeSet<&str> = self.releases.keys().map(String::as_str).collect();
            releases.extend(of_package().filter_map(|a| a.release.as_deref()));
            for release in releases {
                let line = of_package().find(|a| a.release.as_deref() == Some(release));
                let kind = line.and_then(|a| a.kind.as_deref()).unwrap_or_default();
                let record = |status: Status, fixed: Option<String>| DistroAdvisory {
                    vuln_id: id.clone(),
                    distro: "debian".into(),
                    release: release.to_owned(),
                    package: package.to_owned(),
                    status,
                    fixed_version: fixed,
                    severity: Some(severity.to_owned()),
                    unimportant,
                };
                let in_release = self.sources.get(release).map(|s| s.get(package));
                let not_affected = |k: &str| matches!(k, "not-affected" | "undetermined");
                if not_affected(kind)
                    || (not_affected(sid_kind)
                        && (line.is_some() || matches!(in_release, Some(Some(_)))))
                {
                    out.push(record(Status::NotAffected, None));
                    continue;
                }
                let mut fix: Option<Version> = None;
                if kind == "fixed" {
                    fix = line.and_then(|a| a.version.as_deref()).and_then(&mut dpkg);
                }
                let key = (id.clone(), release.to_owned(), package.to_owned());
                if let Some(v) = advisory_fix.get(&key)
                    && fix.as_ref().is_none_or(|f| v > f)
                {
                    fix = Some(v.clone());
                }
                if let Some(v) = fix {
                    out.push(record(Status::Fixed, Some(v.as_str().to_owned())));
                    continue;
                }
                let state = match kind {
                    "no-dsa" => Some(Status::NoDsa),
                    "ignored" => Some(Status::WontFix),
                    "postponed" => Some(Status::Postponed),
                    "end-of-life" => Some(Status::EndOfLife),
                    _ => None,
                };
                match in_release {
                    // The release ships this source: sid's fix applies if it is old enough.
                    Some(Some(newest)) => match &sid_fix {
                        Some(f) if newest >= f => {
                            out.push(record(Status::Fixed, Some(f.as_str().to_owned())));
                        }
                        _ => out.push(record(state.unwrap_or(Status::Unfixed), None)),
                    },
                    // Sources known, package absent: nothing to report for this release.
                    Some(None) => {}
                    // No Sources data for the release: only its own lines count.
                    None => {
                        if let Some(state) = state {
                            out.push(record(state, None));
                        }
                    }
                }
            }
        }
        out
    }

    /// Codename → major version (`bookworm` → `12`) from `distributions.json`.
    pub fn releases(&self) -> &BTreeMap<String, String> {
        &self.releases
    }
}

/// Splits a deb822 document into stanzas of `field → value` (continuation lines joined).
fn parse_deb822(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut stanza: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !stanza.is_empty() {
                out.push(std::mem::take(&mut stanza));
            }
            last = None;
        } else if line.starts_with([' ', '\t']) {
            if let Some(key) = &last
                && let Some(value) = stanza.get_mut(key)
            {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            stanza.insert(key.trim().to_owned(), value.trim().to_owned());
            last = Some(key.trim().to_owned());
        }
    }
    if !stanza.is_empty() {
        out.push(stanza);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_list_lines() {
        let text = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n[17 Mar 2023] DSA-5356-2 sox - regression update\n\t[bullseye] - sox 14.4.2+git20190427-2+deb11u2\n\tNOTE: x\n\t[buster] - sox <not-affected>\n";
        let fixes = parse_advisory_list(Path::new("dsa-list.txt"), text).unwrap();
        assert_eq!(fixes.len(), 2);
        assert_eq!(fixes[0].cves, vec!["CVE-2023-1393"]);
        assert_eq!(fixes[1].advisory, "DSA-5356-2");
        assert!(fixes[1].cves.is_empty());
        let err = parse_advisory_list(Path::new("l.txt"), "\t[bullseye] - a 1\n").unwrap_err();
        assert!(
            err.to_string().contains("l.txt") && err.to_string().contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn deb822_stanzas() {
        let s = parse_deb822("Package: a\nBinary: x,\n y\nVersion: 1\n\nPackage: b\nVersion: 2\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0]["Binary"], "x,\ny");
        assert_eq!(s[1]["Version"], "2");
    }
}
