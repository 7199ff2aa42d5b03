//! OS detection from `os-release` and the distributions' own release files.
//!
//! The analyzer keeps the raw bytes of each release file ([`FactKind::Content`]); the decision
//! is made after the squash, from files in the final filesystem only, because `etc/os-release`
//! is usually a symlink (`../usr/lib/os-release`) whose target may come from another layer.
//!
//! Family names are Trivy's (`debian`, `ubuntu`, `alpine`, `redhat`, `centos`, `rocky`, `alma`,
//! `fedora`, `oracle`, `amazon`, `cbl-mariner`, `azurelinux`, `sles`, `slem`, `opensuse-leap`,
//! `opensuse-tumbleweed`, `photon`, `wolfi`, `chainguard`, `bottlerocket`). The release name is
//! the most precise one the image states: `debian_version` for Debian (`12.15`) when numeric,
//! `alpine-release` for Alpine, the `*-release` file for RHEL-likes (`7.9.2009` for CentOS),
//! `VERSION_ID` otherwise.

use osprey_model::OsInfo;
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta, Squashed};
use std::collections::{BTreeMap, VecDeque};

const ANALYZER: &str = "os-release";

/// Release files read for OS detection (paths without the leading `/`).
const RELEASE_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/debian_version",
    "etc/alpine-release",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/system-release",
    "etc/mariner-release",
    "etc/azurelinux-release",
    "etc/photon-release",
];

/// Release files that name a RHEL-like distribution in the form
/// `<Distribution> release <version> (<codename>)`, most specific first.
const RHEL_LIKE_FILES: &[&str] = &[
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/redhat-release",
    "etc/system-release",
];

/// Symlink hops followed before a chain is declared a loop (the kernel's own limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// Keeps the bytes of OS release files for [`detect_os`].
pub(crate) struct OsReleaseAnalyzer;

impl Analyzer for OsReleaseAnalyzer {
    fn name(&self) -> &'static str {
        ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        (file.path.starts_with("etc/") || file.path.starts_with("usr/lib/"))
            && RELEASE_FILES.contains(&file.path)
    }

    fn max_size(&self) -> u64 {
        64 << 10
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        Ok(vec![Fact {
            analyzer: ANALYZER.to_string(),
            path: file.path.to_string(),
            kind: FactKind::Content(content.to_vec()),
        }])
    }
}

/// The release files of the final filesystem, reachable through symlinks.
struct ReleaseFiles<'a> {
    contents: BTreeMap<&'a str, &'a [u8]>,
    symlinks: &'a BTreeMap<String, String>,
}

impl<'a> ReleaseFiles<'a> {
    fn from_squashed(squashed: &'a Squashed) -> Self {
        let mut contents = BTreeMap::new();
        for located in &squashed.facts {
            if !located.in_final_fs || located.fact.analyzer != ANALYZER {
                continue;
            }
            if let FactKind::Content(bytes) = &located.fact.kind {
                contents.insert(located.fact.path.as_str(), bytes.as_slice());
            }
        }
        ReleaseFiles {
            contents,
            symlinks: &squashed.symlinks,
        }
    }

    /// The text of `path` in the final filesystem, following symlinks. A path that is a
    /// symlink in the final filesystem is always followed, even if some content was recorded
    /// under its own name (a walker may hand a symlink's entry to the analyzer too).
    fn text(&self, path: &str) -> Option<String> {
        let target = resolve_symlinks(path, self.symlinks)?;
        let bytes = self.contents.get(target.as_str())?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The first non-empty line of `path`, trimmed.
    fn first_line(&self, path: &str) -> Option<String> {
        let text = self.text(path)?;
        let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        Some(line.to_string())
    }
}

/// Resolves `path` through the symlinks of the final filesystem, component by component, the
/// way the kernel would inside a chroot: relative targets are relative to the link's directory,
/// absolute ones to the root, and `..` never climbs above the root. `None` for a loop.
pub(crate) fn resolve_symlinks(path: &str, symlinks: &BTreeMap<String, String>) -> Option<String> {
    let mut pending: VecDeque<&str> = path.split('/').collect();
    let mut resolved: Vec<&str> = Vec::new();
    let mut hops = 0;
    while let Some(component) = pending.pop_front() {
        match component {
            "" | "." => continue,
            ".." => {
                resolved.pop();
                continue;
            }
            _ => resolved.push(component),
        }
        if let Some(target) = symlinks.get(&resolved.join("/")) {
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return None;
            }
            resolved.pop();
            if target.starts_with('/') {
                resolved.clear();
            }
            for part in target.split('/').rev() {
                pending.push_front(part);
            }
        }
    }
    Some(resolved.join("/"))
}

/// Parses `os-release` (`KEY=value`, optionally quoted). Lines that are not assignments are
/// skipped with a warning naming the line; nothing here can fail.
pub(crate) fn parse_os_release(text: &str, path: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            tracing::warn!(
                path,
                line = index + 1,
                "os-release: not a KEY=value line, skipped"
            );
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            tracing::warn!(
                path,
                line = index + 1,
                "os-release: invalid key, line skipped"
            );
            continue;
        }
        fields.insert(key.to_string(), unquote(value.trim()));
    }
    fields
}

/// Removes shell-style quotes: `"a \"b\""` -> `a "b"`, `'a'` -> `a`. An unterminated quote
/// keeps the rest of the line.
fn unquote(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(quote @ ('"' | '\'')) => {
            let mut out = String::new();
            let mut escaped = false;
            for c in chars {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if c == '\\' && quote == '"' {
                    escaped = true;
                } else if c == quote {
                    break;
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => value.to_string(),
    }
}

/// Trivy's family name for an `os-release` `ID`.
fn family_from_id(id: &str) -> String {
    let id = id.to_ascii_lowercase();
    let family = match id.as_str() {
        "rhel" => "redhat",
        "almalinux" => "alma",
        "ol" => "oracle",
        "amzn" => "amazon",
        "mariner" => "cbl-mariner",
        "sle-micro" | "sl-micro" => "slem",
        _ => return id,
    };
    family.to_string()
}

/// Detects the OS from the release files in the final filesystem.
pub(crate) fn detect_os(squashed: &Squashed) -> Option<OsInfo> {
    let files = ReleaseFiles::from_squashed(squashed);
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|path| Some(parse_os_release(&files.text(path)?, path)));
    match os_release {
        Some(fields) if fields.get("ID").is_some_and(|id| !id.is_empty()) => {
            Some(from_os_release(&fields, &files))
        }
        _ => from_release_files(&files),
    }
}

fn from_os_release(fields: &BTreeMap<String, String>, files: &ReleaseFiles<'_>) -> OsInfo {
    let family = family_from_id(fields.get("ID").map(String::as_str).unwrap_or_default());
    let version_id = fields.get("VERSION_ID").cloned();
    let name = match family.as_str() {
        "debian" => debian_name(files.first_line("etc/debian_version"), version_id),
        "alpine" => files.first_line("etc/alpine-release").or(version_id),
        "redhat" | "centos" | "rocky" | "alma" | "fedora" | "oracle" => RHEL_LIKE_FILES
            .iter()
            .filter_map(|path| parse_rhel_like(&files.first_line(path)?))
            .find(|(f, _)| *f == family)
            .map(|(_, version)| version)
            .or(version_id),
        _ => version_id,
    };
    OsInfo {
        family,
        name: name.unwrap_or_default(),
        codename: fields
            .get("VERSION_CODENAME")
            .or_else(|| fields.get("UBUNTU_CODENAME"))
            .filter(|c| !c.is_empty())
            .cloned(),
        pretty_name: fields.get("PRETTY_NAME").cloned(),
        eosl: false,
    }
}

/// Debian's release: `debian_version` when it is a dotted number (`12.15`), else `VERSION_ID`,
/// else whatever `debian_version` says (`trixie/sid`).
fn debian_name(debian_version: Option<String>, version_id: Option<String>) -> Option<String> {
    let numeric = debian_version.as_deref().is_some_and(|v| {
        v.starts_with(|c: char| c.is_ascii_digit())
            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    if numeric {
        debian_version
    } else {
        version_id.or(debian_version)
    }
}

/// Parses `<Distribution> release <version> (...)` into (family, version).
fn parse_rhel_like(line: &str) -> Option<(&'static str, String)> {
    let family = [
        ("Red Hat", "redhat"),
        ("CentOS", "centos"),
        ("Rocky", "rocky"),
        ("AlmaLinux", "alma"),
        ("Fedora", "fedora"),
        ("Oracle", "oracle"),
        ("Amazon Linux", "amazon"),
    ]
    .iter()
    .find(|(marker, _)| line.starts_with(marker))?
    .1;
    let (_, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    Some((family, version))
}

/// Detection without `os-release`: the distributions' own files.
fn from_release_files(files: &ReleaseFiles<'_>) -> Option<OsInfo> {
    let os = |family: &str, name: String| OsInfo {
        family: family.to_string(),
        name,
        ..OsInfo::default()
    };
    if let Some(version) = files.first_line("etc/debian_version") {
        return Some(os(
            "debian",
            debian_name(Some(version), None).unwrap_or_default(),
        ));
    }
    if let Some(version) = files.first_line("etc/alpine-release") {
        return Some(os("alpine", version));
    }
    if let Some((family, version)) = RHEL_LIKE_FILES
        .iter()
        .find_map(|path| parse_rhel_like(&files.first_line(path)?))
    {
        return Some(os(family, version));
    }
    // `CBL-Mariner 2.0.20230630`, `Azure Linux 3.0.20240727`, `VMware Photon OS 4.0`: the
    // version is the last word.
    for (path, family) in [
        ("etc/mariner-release", "cbl-mariner"),
        ("etc/azurelinux-release", "azurelinux"),
        ("etc/photon-release", "photon"),
    ] {
        if let Some(line) = files.first_line(path) {
            let version = line.split_whitespace().last().unwrap_or_default();
            return Some(os(family, version.to_string()));
        }
    }
    None
}
