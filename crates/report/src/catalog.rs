//! The package graph the SBOM and SARIF renderers share: every `Results[].Packages[]` entry
//! once, with a unique reference, its `DependsOn` resolved to other entries, and the facts
//! every format repeats (full version, osprey properties, the image's identity).

use crate::RenderOptions;
use osprey_model::report::{Report, ReportPackage, ReportResult, ReportVulnerability};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// One package occurrence: which result listed it and the reference documents use for it.
pub(crate) struct Entry<'r> {
    pub result: &'r ReportResult,
    pub package: &'r ReportPackage,
    /// Unique within the document: the package's UID, else its PURL, else `target:ID`, with a
    /// `package-id` qualifier added when two occurrences would share it.
    pub reference: String,
}

/// All package occurrences of a report and the edges between them.
pub(crate) struct Catalog<'r> {
    pub entries: Vec<Entry<'r>>,
    /// `depends_on[i]`: indices of the entries entry `i` depends on, resolved, deduplicated,
    /// never `i` itself. IDs that name no package in the report are dropped, so every edge
    /// resolves.
    pub depends_on: Vec<Vec<usize>>,
    /// Entries no other entry depends on: what the image (or project) directly contains; plus
    /// one entry of each cycle nothing else reaches. Every entry is reachable from these.
    pub top_level: Vec<usize>,
    /// Entry index of each result's first package: entries are in report order, so package
    /// `pi` of result `ri` is entry `first_entry[ri] + pi`.
    first_entry: Vec<usize>,
}

impl<'r> Catalog<'r> {
    /// `reserved`: references the document already uses for other elements (the image, the
    /// OS), which no package may take.
    pub(crate) fn new(report: &'r Report, reserved: &[&str]) -> Self {
        let mut entries = Vec::new();
        let mut first_entry = Vec::with_capacity(report.results.len());
        let mut used: HashSet<String> = reserved.iter().map(|r| r.to_string()).collect();
        for result in &report.results {
            first_entry.push(entries.len());
            for (pi, package) in result.packages.iter().enumerate() {
                let reference = unique_reference(&mut used, result, package, pi);
                entries.push(Entry {
                    result,
                    package,
                    reference,
                });
            }
        }

        // Trivy's DependsOn names `name@version` within the same lockfile or package
        // database; fall back to the whole report only when the ID is unambiguous there.
        let mut global: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            global.entry(e.package.id.as_str()).or_default().push(i);
        }
        let mut depends_on = Vec::with_capacity(entries.len());
        for (ri, result) in report.results.iter().enumerate() {
            let mut local: HashMap<&str, usize> = HashMap::new();
            for (pi, p) in result.packages.iter().enumerate() {
                local.entry(p.id.as_str()).or_insert(first_entry[ri] + pi);
            }
            for (pi, p) in result.packages.iter().enumerate() {
                let me = first_entry[ri] + pi;
                let mut targets = Vec::new();
                for id in &p.depends_on {
                    let target = local.get(id.as_str()).copied().or_else(|| {
                        match global.get(id.as_str()).map(Vec::as_slice) {
                            Some([only]) => Some(*only),
                            _ => None,
                        }
                    });
                    if let Some(t) = target
                        && t != me
                        && !targets.contains(&t)
                    {
                        targets.push(t);
                    }
                }
                depends_on.push(targets);
            }
        }

        let mut depended = vec![false; entries.len()];
        for targets in &depends_on {
            for &t in targets {
                depended[t] = true;
            }
        }
        // Entry points: first every entry nothing depends on, then, for whatever cycles left
        // unreached, the first unreached entry of each; so every entry is reachable.
        let mut reached = vec![false; entries.len()];
        let mut top_level = Vec::new();
        let roots = (0..entries.len()).filter(|&i| !depended[i]);
        for start in roots.chain(0..entries.len()).collect::<Vec<_>>() {
            if reached[start] {
                continue;
            }
            top_level.push(start);
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if !std::mem::replace(&mut reached[i], true) {
                    stack.extend(depends_on[i].iter().copied().filter(|&t| !reached[t]));
                }
            }
        }

        Catalog {
            entries,
            depends_on,
            top_level,
            first_entry,
        }
    }

    /// The entry a vulnerability of `results[result_index]` is about: same package ID, narrowed
    /// by PURL and evidence path when the vulnerability states them.
    pub(crate) fn entry_for_vulnerability(
        &self,
        result_index: usize,
        result: &ReportResult,
        vuln: &ReportVulnerability,
    ) -> Option<usize> {
        let candidates: Vec<usize> = result
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                if vuln.pkg_id.is_empty() {
                    p.name == vuln.pkg_name
                } else {
                    p.id == vuln.pkg_id
                }
            })
            .filter_map(|(pi, _)| Some(self.first_entry.get(result_index)? + pi))
            .collect();
        let narrow = |set: Vec<usize>, keep: &dyn Fn(&ReportPackage) -> bool| -> Vec<usize> {
            let kept: Vec<usize> = set
                .iter()
                .copied()
                .filter(|&i| keep(self.entries[i].package))
                .collect();
            if kept.is_empty() { set } else { kept }
        };
        let mut set = candidates;
        if !vuln.pkg_identifier.purl.is_empty() {
            set = narrow(set, &|p| p.identifier.purl == vuln.pkg_identifier.purl);
        }
        if !vuln.pkg_path.is_empty() {
            set = narrow(set, &|p| p.file_path == vuln.pkg_path);
        }
        set.first().copied()
    }
}

fn unique_reference(
    used: &mut HashSet<String>,
    result: &ReportResult,
    package: &ReportPackage,
    position: usize,
) -> String {
    let base = if !package.identifier.uid.is_empty() {
        package.identifier.uid.clone()
    } else if !package.identifier.purl.is_empty() {
        package.identifier.purl.clone()
    } else {
        format!("{}:{}", result.target, package.id)
    };
    if used.insert(base.clone()) {
        return base;
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    // Each attempt hashes a new counter, so a free reference turns up at once in practice.
    let mut attempt = 0u64;
    loop {
        let tag = short_hash(&[
            &result.target,
            &package.file_path,
            &position.to_string(),
            &attempt.to_string(),
        ]);
        let candidate = format!("{base}{separator}package-id={tag}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
        attempt += 1;
    }
}

/// 16 hex digits of SHA-256 over the parts, each length-prefixed so `("ab","c")` and
/// `("a","bc")` differ.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    hex::encode(&hash(parts)[..8])
}

fn hash(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

/// A UUID-formatted (RFC 9562 version 8, custom) identifier derived from the report's
/// identity, the document time, the format and the seed: stable for the same inputs,
/// different when any of them changes.
pub(crate) fn document_uuid(
    report: &Report,
    opts: &RenderOptions,
    timestamp: &str,
    kind: &str,
) -> String {
    let digests = report.metadata.repo_digests.join(",");
    let mut b = hash(&[
        kind,
        &opts.namespace_seed,
        &report.artifact_name,
        &report.artifact_type,
        &report.metadata.image_id,
        &digests,
        timestamp,
    ]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `epoch:version-release` as the package manager writes it (Trivy splits dpkg and rpm
/// versions into three fields).
pub(crate) fn full_version(p: &ReportPackage) -> String {
    join_version(p.epoch, &p.version, &p.release)
}

/// The source package's full version, when the package states one.
pub(crate) fn full_source_version(p: &ReportPackage) -> Option<String> {
    (!p.src_version.is_empty()).then(|| join_version(p.src_epoch, &p.src_version, &p.src_release))
}

fn join_version(epoch: u32, version: &str, release: &str) -> String {
    let mut v = String::new();
    if epoch > 0 {
        v.push_str(&format!("{epoch}:"));
    }
    v.push_str(version);
    if !release.is_empty() {
        v.push('-');
        v.push_str(release);
    }
    v
}

/// Facts about a package occurrence that no SBOM field holds, as `(name, value)` with names
/// in the `osprey:` namespace (CycloneDX properties, SPDX annotations).
pub(crate) fn package_properties(e: &Entry<'_>) -> Vec<(&'static str, String)> {
    let p = e.package;
    let mut props = vec![("osprey:PkgID", p.id.clone())];
    let mut push = |name: &'static str, value: &str| {
        if !value.is_empty() {
            props.push((name, value.to_string()));
        }
    };
    push("osprey:PkgType", &e.result.r#type);
    push("osprey:Class", &e.result.class);
    push("osprey:Target", &e.result.target);
    push("osprey:FilePath", &p.file_path);
    if let Some(index) = p.layer.index {
        push("osprey:LayerIndex", &index.to_string());
    }
    push("osprey:LayerDigest", &p.layer.digest);
    push("osprey:LayerDiffID", &p.layer.diff_id);
    push("osprey:SrcName", &p.src_name);
    if let Some(v) = full_source_version(p) {
        push("osprey:SrcVersion", &v);
    }
    push("osprey:Arch", &p.arch);
    push("osprey:Relationship", &p.relationship);
    if p.dev {
        push("osprey:Dev", "true");
    }
    props
}

/// How documents name and version the scanned artifact.
pub(crate) struct Subject {
    /// Repository without tag or digest for images (`ghcr.io/acme/app`), else the artifact name.
    pub name: String,
    /// The manifest digest when known, else the image ID (config digest); empty otherwise.
    pub version: String,
    /// `pkg:oci/...` for images with a digest.
    pub purl: Option<String>,
    pub is_image: bool,
}

impl Subject {
    pub(crate) fn of(report: &Report) -> Subject {
        let meta = &report.metadata;
        let is_image = report.artifact_type == "container_image";
        let digest_ref = meta.repo_digests.first();
        let repository = digest_ref
            .and_then(|r| r.split_once('@').map(|(repo, _)| repo.to_string()))
            .or_else(|| meta.repo_tags.first().map(|t| strip_tag(t).to_string()))
            .unwrap_or_else(|| strip_tag(&report.artifact_name).to_string());
        let version = digest_ref
            .and_then(|r| r.split_once('@').map(|(_, d)| d.to_string()))
            .unwrap_or_else(|| meta.image_id.clone());
        let purl = (is_image && version.starts_with("sha256:")).then(|| {
            let last = repository.rsplit('/').next().unwrap_or(&repository);
            let mut purl = format!(
                "pkg:oci/{}@{}",
                percent_encode(&last.to_ascii_lowercase()),
                percent_encode(&version)
            );
            let mut qualifiers = vec![format!(
                "repository_url={}",
                percent_encode(&repository.to_ascii_lowercase())
            )];
            if let Some(tag) = meta.repo_tags.first().and_then(|t| tag_of(t)) {
                qualifiers.push(format!("tag={}", percent_encode(tag)));
            }
            purl.push('?');
            purl.push_str(&qualifiers.join("&"));
            purl
        });
        Subject {
            name: if is_image {
                repository
            } else {
                report.artifact_name.clone()
            },
            version,
            purl,
            is_image,
        }
    }
}

/// `host:5000/app:1.0` -> `host:5000/app`; a colon before the last `/` is a port.
fn strip_tag(reference: &str) -> &str {
    let reference = reference.split('@').next().unwrap_or(reference);
    match tag_of(reference) {
        Some(tag) => &reference[..reference.len() - tag.len() - 1],
        None => reference,
    }
}

fn tag_of(reference: &str) -> Option<&str> {
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    reference[last_slash..]
        .rfind(':')
        .map(|i| &reference[last_slash + i + 1..])
}

/// Percent-encodes everything but RFC 3986 unreserved characters (PURL component rules).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True for an absolute `http(s)` URL made only of characters a URI may hold, so fields with
/// `uri`/`iri-reference` formats never receive free text from advisory feeds.
pub(crate) fn is_web_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            !rest.is_empty()
                && !rest.starts_with('/')
                && s.bytes().all(|b| {
                    b.is_ascii_graphic()
                        && !matches!(
                            b,
                            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                        )
                })
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_subject_from_digest_and_tag() {
        let mut r = Report {
            artifact_name: "registry.local:5000/team/app:1.2".into(),
            artifact_type: "container_image".into(),
            ..Default::default()
        };
        r.metadata.repo_tags = vec!["registry.local:5000/team/app:1.2".into()];
        r.metadata.repo_digests = vec!["registry.local:5000/team/app@sha256:abc".into()];
        let s = Subject::of(&r);
        assert_eq!(s.name, "registry.local:5000/team/app");
        assert_eq!(s.version, "sha256:abc");
        assert_eq!(
            s.purl.as_deref(),
            Some(
                "pkg:oci/app@sha256%3Aabc?repository_url=registry.local%3A5000%2Fteam%2Fapp&tag=1.2"
            )
        );
        assert_eq!(strip_tag("localhost:5000/app"), "localhost:5000/app");
    }

    #[test]
    fn every_entry_is_reachable_from_the_top_level() {
        let pkg = |name: &str, deps: &[&str]| ReportPackage {
            id: format!("{name}@1"),
            name: name.into(),
            depends_on: deps.iter().map(|d| format!("{d}@1")).collect(),
            ..Default::default()
        };
        let report = Report {
            results: vec![ReportResult {
                target: "t".into(),
                // root -> leaf; a <-> b is a cycle nothing else reaches; "ghost" is dangling.
                packages: vec![
                    pkg("root", &["leaf", "ghost"]),
                    pkg("leaf", &[]),
                    pkg("a", &["b"]),
                    pkg("b", &["a"]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let c = Catalog::new(&report, &[]);
        assert_eq!(c.depends_on, vec![vec![1], vec![], vec![3], vec![2]]);
        assert_eq!(c.top_level, vec![0, 2]);
    }

    #[test]
    fn urls_are_checked() {
        assert!(is_web_url("https://nvd.nist.gov/vuln/detail/CVE-2024-1"));
        assert!(!is_web_url("see https://x"));
        assert!(!is_web_url("https://a b"));
        assert!(!is_web_url("ftp://x"));
        assert!(!is_web_url("https://"));
    }
}
