//! One finding per package per vulnerability: candidates (a tracker verdict, OSV records)
//! that share an id or alias are merged, and the merged finding gets its id, severity, CVSS
//! and text.

use std::collections::{BTreeMap, BTreeSet};

use osprey_model::report::{Cvss, DataSource, PkgIdentifier, ReportLayer, ReportVulnerability};
use osprey_model::{LayerInfo, Package, Severity};
use osprey_vulndb::DistroAdvisory;
use osprey_vulndb::osv::OsvRecord;

use crate::cvss;
use crate::matcher::rating;

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    /// GitHub Security Advisories (`GHSA-…` records).
    Ghsa,
    /// The Debian security tracker.
    DebianTracker,
    /// Alpine secdb.
    AlpineSecdb,
    /// RustSec (`RUSTSEC-…`).
    RustSec,
    /// The Go vulnerability database (`GO-…`).
    GoVulnDb,
    /// The Python Packaging Advisory Database (`PYSEC-…`).
    PyPa,
    /// Any other OSV record.
    Osv,
}

impl Source {
    fn of_record(id: &str) -> Source {
        match id.split('-').next().unwrap_or_default() {
            "GHSA" => Source::Ghsa,
            "RUSTSEC" => Source::RustSec,
            "GO" => Source::GoVulnDb,
            "PYSEC" => Source::PyPa,
            _ => Source::Osv,
        }
    }

    /// The short id used as `DataSource.ID`, `SeveritySource`, `VendorSeverity` and `CVSS`
    /// key: Trivy's, so consumers of Trivy reports read them alike (RustSec and PyPA records
    /// come through Trivy's generic OSV source, hence `osv`).
    fn id(self) -> &'static str {
        match self {
            Source::Ghsa => "ghsa",
            Source::DebianTracker => "debian",
            Source::AlpineSecdb => "alpine",
            Source::GoVulnDb => "govulndb",
            Source::RustSec | Source::PyPa | Source::Osv => "osv",
        }
    }

    /// `ecosystem` names GitHub's per-ecosystem advisory listing.
    fn data_source(self, ecosystem: &str) -> DataSource {
        let fixed = |name: &str, url: &str| (name.to_owned(), url.to_owned());
        let (name, url) = match self {
            Source::Ghsa => (
                format!("GitHub Security Advisory {ecosystem}"),
                format!(
                    "https://github.com/advisories?query=type%3Areviewed+ecosystem%3A{}",
                    ecosystem.to_ascii_lowercase()
                ),
            ),
            Source::DebianTracker => fixed(
                "Debian Security Tracker",
                "https://salsa.debian.org/security-tracker-team/security-tracker",
            ),
            Source::AlpineSecdb => fixed("Alpine Secdb", "https://secdb.alpinelinux.org/"),
            Source::RustSec => fixed(
                "RustSec Advisory Database",
                "https://github.com/RustSec/advisory-db",
            ),
            Source::GoVulnDb => fixed("The Go Vulnerability Database", "https://pkg.go.dev/vuln/"),
            Source::PyPa => fixed(
                "Python Packaging Advisory Database",
                "https://github.com/pypa/advisory-database",
            ),
            Source::Osv => fixed("OSV", "https://osv.dev/"),
        };
        DataSource {
            id: self.id().to_owned(),
            name,
            url,
        }
    }
}

/// One advisory's verdict on one package, before merging.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The advisory's own id first, then its aliases.
    ids: Vec<String>,
    source: Source,
    /// The OSV ecosystem (`npm`, `Debian:12`); empty for tracker verdicts.
    ecosystem: String,
    /// `fixed`, `affected`, `will_not_fix`, `fix_deferred`, `end_of_life`.
    status: &'static str,
    fixed: Vec<String>,
    vendor_severity: Option<Severity>,
    cvss_v3: Option<String>,
    cvss_v4: Option<String>,
    title: String,
    description: String,
    references: Vec<String>,
    cwe_ids: Vec<String>,
    published: Option<String>,
    modified: Option<String>,
}

impl Candidate {
    pub(crate) fn distro(adv: &DistroAdvisory, source: Source, status: &'static str) -> Self {
        Candidate {
            ids: vec![adv.vuln_id.clone()],
            source,
            ecosystem: String::new(),
            status,
            fixed: adv.fixed_version.iter().cloned().collect(),
            vendor_severity: adv.severity.as_deref().and_then(rating),
            cvss_v3: None,
            cvss_v4: None,
            title: String::new(),
            description: String::new(),
            references: vec![match source {
                Source::AlpineSecdb => {
                    format!("https://security.alpinelinux.org/vuln/{}", adv.vuln_id)
                }
                _ => format!(
                    "https://security-tracker.debian.org/tracker/{}",
                    adv.vuln_id
                ),
            }],
            cwe_ids: Vec::new(),
            published: None,
            modified: None,
        }
    }

    pub(crate) fn osv(
        record: &OsvRecord,
        raw: &serde_json::Value,
        ecosystem: &str,
        fixed: Vec<String>,
    ) -> Self {
        let source = match Source::of_record(&record.id) {
            Source::Osv if ecosystem.starts_with("Debian") => Source::DebianTracker,
            Source::Osv if ecosystem.starts_with("Alpine") => Source::AlpineSecdb,
            s => s,
        };
        let db = raw.get("database_specific");
        let vendor_severity = match source {
            Source::Ghsa => db
                .and_then(|d| d.get("severity"))
                .and_then(|s| s.as_str())
                .and_then(rating),
            _ => None,
        };
        let vector = |kind: &str| {
            record
                .severity
                .iter()
                .find(|s| s.kind == kind)
                .map(|s| s.score.clone())
        };
        let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let references = raw
            .get("references")
            .and_then(|r| r.as_array())
            .map(|refs| {
                refs.iter()
                    .filter_map(|r| r.get("url").and_then(|u| u.as_str()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut ids = vec![record.id.clone()];
        ids.extend(record.aliases.iter().cloned());
        Candidate {
            ids,
            source,
            ecosystem: ecosystem.to_owned(),
            status: if fixed.is_empty() {
                "affected"
            } else {
                "fixed"
            },
            fixed,
            vendor_severity,
            cvss_v3: vector("CVSS_V3"),
            cvss_v4: vector("CVSS_V4"),
            title: record.summary.clone().unwrap_or_default(),
            description: record.details.clone().unwrap_or_default(),
            references,
            cwe_ids: strings(db.and_then(|d| d.get("cwe_ids"))),
            published: record.published.clone(),
            modified: record.modified.clone(),
        }
    }
}

/// Groups candidates that share any id (union-find over ids), then builds one finding per
/// group, sorted by vulnerability id.
pub(crate) fn merge(
    candidates: Vec<Candidate>,
    p: &Package,
    layers: &[LayerInfo],
) -> Vec<ReportVulnerability> {
    let n = candidates.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        for id in &c.ids {
            if let Some(&j) = owner.get(id.as_str()) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            } else {
                owner.insert(id, i);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Candidate>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(c);
    }
    let mut out: Vec<ReportVulnerability> = groups
        .into_values()
        .map(|group| finding(&group, p, layers))
        .collect();
    out.sort_by(|a, b| a.vulnerability_id.cmp(&b.vulnerability_id));
    out
}

/// Sort key of a CVE id by year and number, so `CVE-2021-9999` < `CVE-2021-10000`.
fn cve_key(id: &str) -> Option<(u32, u64)> {
    let rest = id.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    Some((year.parse().ok()?, num.parse().ok()?))
}

fn finding(group: &[&Candidate], p: &Package, layers: &[LayerInfo]) -> ReportVulnerability {
    // The richest record speaks for the group: GitHub's (severity, CWE), then the distro's,
    // then the ecosystem databases.
    let primary = group
        .iter()
        .min_by_key(|c| (c.source, c.ids[0].clone()))
        .expect("groups are never empty");
    let all_ids: BTreeSet<&str> = group
        .iter()
        .flat_map(|c| c.ids.iter().map(String::as_str))
        .collect();
    let vulnerability_id = all_ids
        .iter()
        .filter_map(|id| cve_key(id).map(|k| (k, *id)))
        .min()
        .map(|(_, id)| id.to_owned())
        .unwrap_or_else(|| primary.ids[0].clone());
    // Every advisory id of the group, the records' own and their non-CVE aliases (as Trivy
    // lists them: a PYSEC record's GHSA alias is a vendor id too).
    let vendor_ids: Vec<String> = all_ids
        .iter()
        .filter(|id| **id != vulnerability_id && cve_key(id).is_none())
        .map(|id| (*id).to_owned())
        .collect();

    let mut fixed: Vec<String> = Vec::new();
    for c in group {
        for f in &c.fixed {
            if !fixed.contains(f) {
                fixed.push(f.clone());
            }
        }
    }
    // A fix known to any source wins over "no fix" from another.
    let status = group
        .iter()
        .map(|c| c.status)
        .find(|s| *s == "fixed")
        .unwrap_or(primary.status);

    let mut cvss: BTreeMap<String, Cvss> = BTreeMap::new();
    for c in group {
        let mut entry = Cvss::default();
        if let Some(v) = &c.cvss_v3
            && let Ok(score) = cvss::v3_base_score(v)
        {
            entry.v3_vector = v.clone();
            entry.v3_score = Some(score);
        }
        if let Some(v) = &c.cvss_v4
            && let Ok(score) = cvss::v4_score(v)
        {
            entry.v40_vector = v.clone();
            entry.v40_score = Some(score);
        }
        if entry != Cvss::default() {
            cvss.entry(c.source.id().to_owned()).or_insert(entry);
        }
    }
    let mut vendor_severity = BTreeMap::new();
    for c in group {
        if let Some(s) = c.vendor_severity {
            vendor_severity
                .entry(c.source.id().to_owned())
                .or_insert(s as u8);
        }
    }
    // A source that rates only by CVSS is listed with the rating its score gives (as Trivy
    // lists OSV sources).
    for (source, c) in &cvss {
        if let Some(score) = c.v3_score.or(c.v40_score) {
            vendor_severity
                .entry(source.clone())
                .or_insert(Severity::from_cvss_score(score) as u8);
        }
    }
    // Vendor first (the distro's urgency, then GitHub's rating), then CVSS (v3, else v4).
    let vendor = group
        .iter()
        .filter(|c| c.vendor_severity.is_some())
        .min_by_key(|c| match c.source {
            Source::DebianTracker | Source::AlpineSecdb => 0,
            _ => 1,
        });
    let (severity, severity_source) = match vendor {
        Some(c) => (
            c.vendor_severity.unwrap_or_default(),
            c.source.id().to_owned(),
        ),
        None => cvss
            .iter()
            .find_map(|(src, c)| c.v3_score.map(|s| (s, src)))
            .or_else(|| {
                cvss.iter()
                    .find_map(|(src, c)| c.v40_score.map(|s| (s, src)))
            })
            .map(|(score, src)| (Severity::from_cvss_score(score), src.clone()))
            .unwrap_or((Severity::Unknown, String::new())),
    };

    let text = |f: fn(&Candidate) -> &String| {
        std::iter::once(*primary)
            .chain(group.iter().copied())
            .map(f)
            .find(|t| !t.is_empty())
            .cloned()
            .unwrap_or_default()
    };
    let mut references: Vec<String> = Vec::new();
    for c in std::iter::once(*primary).chain(group.iter().copied()) {
        for r in &c.references {
            if !references.contains(r) {
                references.push(r.clone());
            }
        }
    }
    let primary_url = match primary.source {
        Source::DebianTracker => {
            format!("https://security-tracker.debian.org/tracker/{vulnerability_id}")
        }
        Source::AlpineSecdb => {
            format!("https://security.alpinelinux.org/vuln/{vulnerability_id}")
        }
        _ => format!("https://osv.dev/vulnerability/{}", primary.ids[0]),
    };
    let layer = p
        .location
        .layer
        .and_then(|i| layers.get(i))
        .map(ReportLayer::from)
        .unwrap_or_default();
    ReportVulnerability {
        vulnerability_id,
        vendor_ids,
        pkg_id: p.id(),
        pkg_name: p.name.clone(),
        pkg_path: if p.ecosystem.is_os() {
            String::new()
        } else {
            p.location.path.clone()
        },
        pkg_identifier: PkgIdentifier {
            purl: p.purl.clone(),
            uid: String::new(),
        },
        installed_version: p.version.clone(),
        fixed_version: fixed.join(", "),
        status: status.to_owned(),
        layer,
        severity_source,
        primary_url,
        data_source: Some(primary.source.data_source(&primary.ecosystem)),
        title: text(|c| &c.title),
        description: text(|c| &c.description),
        severity,
        cwe_ids: group
            .iter()
            .flat_map(|c| c.cwe_ids.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        vendor_severity,
        cvss,
        references,
        published_date: primary.published.clone(),
        last_modified_date: primary.modified.clone(),
    }
}
