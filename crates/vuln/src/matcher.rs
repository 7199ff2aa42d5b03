//! Finding the advisories that apply to each package.

use std::collections::HashMap;

use osprey_model::report::{ReportResult, ReportVulnerability};
use osprey_model::{Ecosystem, LayerInfo, OsInfo, Package, Severity};
use osprey_version::{OsvRange, Scheme, Version};
use osprey_vulndb::osv::{OsvAffected, OsvRecord};
use osprey_vulndb::{DistroAdvisory, Status, Store, normalize_package};

use crate::VulnError;
use crate::merge::{Candidate, Source, merge};

/// What to report beyond the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// Report Debian entries the tracker marks `unimportant` (hidden by default: they are
    /// issues Debian does not consider security problems in its packaging, e.g. CVE-2011-3374
    /// in apt, and the main source of "unfixed noise" users complain about).
    pub include_unimportant: bool,
}

/// Matches packages against one store.
pub struct Matcher<'s> {
    store: &'s Store,
    options: MatchOptions,
}

/// The outcome of [`Matcher::match_packages`].
#[derive(Debug, Default)]
pub struct Matches {
    /// `(index into the packages, finding)`, packages in input order, findings by id.
    pub findings: Vec<(usize, ReportVulnerability)>,
    /// Things the user should know about coverage (an OS without advisory data, versions that
    /// could not be ordered), one line each.
    pub notes: Vec<String>,
}

/// Where OS packages are looked up.
struct OsFeed {
    /// `debian` or `alpine` in the store.
    distro: &'static str,
    /// `bookworm`, `v3.20`.
    release: String,
    /// `Debian:12`, `Alpine:v3.20` for OSV records.
    osv_ecosystem: String,
    scheme: Scheme,
    source: Source,
}

/// The OSV ecosystem of a language package; `None` for OS ecosystems.
fn osv_ecosystem(e: Ecosystem) -> Option<&'static str> {
    Some(match e {
        Ecosystem::Pypi => "PyPI",
        Ecosystem::Npm => "npm",
        Ecosystem::Cargo => "crates.io",
        Ecosystem::Golang => "Go",
        Ecosystem::Maven => "Maven",
        Ecosystem::Gem => "RubyGems",
        Ecosystem::Composer => "Packagist",
        Ecosystem::Nuget => "NuGet",
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => return None,
    })
}

/// Directories only the distribution's package manager writes: a language package found
/// there belongs to an OS package, whose advisories (by source package) already cover it, so
/// it is not matched again (Debian's `python3-*`, `node-*`, `ruby-*` packages). The inventory
/// has no per-file ownership for distroless `status.d`, so the layout decides.
const OS_OWNED_DIRS: [&str; 5] = [
    "usr/lib/python3/dist-packages/",
    "usr/share/nodejs/",
    "usr/lib/nodejs/",
    "usr/lib/ruby/vendor_ruby/",
    "usr/share/rubygems-integration/",
];

fn owned_by_os_package(p: &Package) -> bool {
    OS_OWNED_DIRS.iter().any(|d| p.location.path.starts_with(d))
}

impl<'s> Matcher<'s> {
    /// A matcher over `store`.
    pub fn new(store: &'s Store, options: MatchOptions) -> Self {
        Matcher { store, options }
    }

    fn os_feed(&self, os: &OsInfo) -> Result<Option<OsFeed>, VulnError> {
        let major_minor = |name: &str| {
            let mut parts = name.split('.');
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => Some(format!("{a}.{b}")),
                _ => None,
            }
        };
        Ok(match os.family.as_str() {
            "debian" => {
                let major = os.name.split('.').next().unwrap_or_default().to_owned();
                // A release the store's codename map does not know has no tracker verdicts,
                // but OSV `Debian:N` records may still name it.
                let release = match &os.codename {
                    Some(c) if !c.is_empty() => c.clone(),
                    _ => self
                        .store
                        .debian_codename(&major)?
                        .unwrap_or_else(|| major.clone()),
                };
                Some(OsFeed {
                    distro: "debian",
                    release,
                    osv_ecosystem: format!("Debian:{major}"),
                    scheme: Scheme::Dpkg,
                    source: Source::DebianTracker,
                })
            }
            "alpine" => major_minor(&os.name).map(|mm| OsFeed {
                distro: "alpine",
                release: format!("v{mm}"),
                osv_ecosystem: format!("Alpine:v{mm}"),
                scheme: Scheme::Apk,
                source: Source::AlpineSecdb,
            }),
            _ => None,
        })
    }

    /// Every finding for `packages` (an inventory: OS packages of `os` and language packages),
    /// naming each package's layer from `layers`.
    pub fn match_packages(
        &self,
        os: Option<&OsInfo>,
        packages: &[Package],
        layers: &[LayerInfo],
    ) -> Result<Matches, VulnError> {
        let mut out = Matches::default();
        let feed = match os {
            Some(os) => {
                let feed = self.os_feed(os)?;
                if feed.is_none() && packages.iter().any(|p| p.ecosystem.is_os()) {
                    out.notes.push(format!(
                        "no advisory data for {} {}: OS packages were not matched",
                        os.family, os.name
                    ));
                }
                feed
            }
            None => None,
        };
        if feed.as_ref().is_some_and(|f| f.distro == "alpine") {
            out.notes.push(
                "Alpine secdb lists fixed issues only: unfixed vulnerabilities of apk packages \
                 cannot be reported"
                    .into(),
            );
        }
        // Binary packages of one source share its verdicts: look each source up once.
        let mut distro_cache: HashMap<String, Vec<DistroAdvisory>> = HashMap::new();
        let mut osv_cache: HashMap<(String, String), Vec<serde_json::Value>> = HashMap::new();
        for (index, p) in packages.iter().enumerate() {
            let candidates = if p.ecosystem.is_os() {
                let Some(feed) = &feed else { continue };
                if !matches!(
                    (p.ecosystem, feed.distro),
                    (Ecosystem::Deb, "debian") | (Ecosystem::Apk, "alpine")
                ) {
                    continue;
                }
                self.os_candidates(p, feed, &mut distro_cache, &mut osv_cache, &mut out.notes)?
            } else {
                if owned_by_os_package(p) {
                    continue;
                }
                self.lang_candidates(p, &mut osv_cache, &mut out.notes)?
            };
            for vuln in merge(candidates, p, layers) {
                out.findings.push((index, vuln));
            }
        }
        Ok(out)
    }

    fn cached_osv<'c>(
        &self,
        cache: &'c mut HashMap<(String, String), Vec<serde_json::Value>>,
        ecosystem: &str,
        name: &str,
    ) -> Result<&'c [serde_json::Value], VulnError> {
        let key = (ecosystem.to_owned(), normalize_package(ecosystem, name));
        if !cache.contains_key(&key) {
            let records = self.store.osv_json_for(ecosystem, name)?;
            cache.insert(key.clone(), records);
        }
        Ok(&cache[&key])
    }

    fn os_candidates(
        &self,
        p: &Package,
        feed: &OsFeed,
        distro_cache: &mut HashMap<String, Vec<DistroAdvisory>>,
        osv_cache: &mut HashMap<(String, String), Vec<serde_json::Value>>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Candidate>, VulnError> {
        let source_name = p.source_name.as_deref().unwrap_or(&p.name);
        let source_version = p.source_version.as_deref().unwrap_or(&p.version);
        let installed = match feed.scheme.parse(source_version) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("{}: not matched: {e}", p.id()));
                return Ok(Vec::new());
            }
        };
        if !distro_cache.contains_key(source_name) {
            let found = self
                .store
                .distro_for(feed.distro, &feed.release, source_name)?;
            distro_cache.insert(source_name.to_owned(), found);
        }
        let mut out = Vec::new();
        for adv in &distro_cache[source_name] {
            if adv.unimportant && !self.options.include_unimportant {
                continue;
            }
            let status = match adv.status {
                Status::NotAffected => continue,
                Status::Fixed => {
                    let Some(fixed) = &adv.fixed_version else {
                        continue;
                    };
                    match feed.scheme.parse(fixed) {
                        Ok(f) if installed < f => "fixed",
                        Ok(_) => continue,
                        Err(e) => {
                            notes.push(format!("{} {}: not matched: {e}", p.id(), adv.vuln_id));
                            continue;
                        }
                    }
                }
                // `<no-dsa>`: minor, no advisory planned, may still land in a point release:
                // affected, as Trivy reports it for Debian.
                Status::Unfixed | Status::NoDsa => "affected",
                Status::WontFix => "will_not_fix",
                Status::Postponed => "fix_deferred",
                Status::EndOfLife => "end_of_life",
            };
            out.push(Candidate::distro(adv, feed.source, status));
        }
        let records = self.cached_osv(osv_cache, &feed.osv_ecosystem, source_name)?;
        for raw in records {
            if let Some(c) = osv_candidate(
                raw,
                &feed.osv_ecosystem,
                source_name,
                feed.scheme,
                &installed,
                source_version,
            ) {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn lang_candidates(
        &self,
        p: &Package,
        osv_cache: &mut HashMap<(String, String), Vec<serde_json::Value>>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<Candidate>, VulnError> {
        let Some(ecosystem) = osv_ecosystem(p.ecosystem) else {
            return Ok(Vec::new());
        };
        // Go toolchain versions are `go1.19.8` in build info; OSV's stdlib ranges are plain
        // SemVer (`1.19.8`).
        let version = if p.ecosystem == Ecosystem::Golang && p.name == "stdlib" {
            p.version
                .strip_prefix("go")
                .or_else(|| p.version.strip_prefix('v'))
                .unwrap_or(&p.version)
        } else {
            p.version.as_str()
        };
        let scheme = Scheme::for_ecosystem(p.ecosystem);
        let records = self.cached_osv(osv_cache, ecosystem, &p.name)?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let installed = match scheme.parse(version) {
            Ok(v) => v,
            Err(e) => {
                // `(devel)` main modules and local path versions have nothing to match.
                tracing::debug!(package = %p.id(), "not matched: {e}");
                if !p.root {
                    notes.push(format!("{}: not matched: {e}", p.id()));
                }
                return Ok(Vec::new());
            }
        };
        Ok(records
            .iter()
            .filter_map(|raw| osv_candidate(raw, ecosystem, &p.name, scheme, &installed, version))
            .collect())
    }
}

/// True when an OSV `affected` entry or its record marks a RustSec informational notice
/// (unmaintained, unsound, notice): not a vulnerability.
fn informational(record: &OsvRecord, affected: &OsvAffected) -> bool {
    [&record.database_specific, &affected.database_specific]
        .into_iter()
        .flatten()
        .any(|d| d.get("informational").is_some_and(|i| !i.is_null()))
}

/// The candidate an OSV record gives for one installed version, when it applies.
fn osv_candidate(
    raw: &serde_json::Value,
    ecosystem: &str,
    name: &str,
    scheme: Scheme,
    installed: &Version,
    installed_text: &str,
) -> Option<Candidate> {
    let record: OsvRecord = serde_json::from_value(raw.clone()).ok()?;
    if record.withdrawn.is_some() {
        return None;
    }
    let wanted = normalize_package(ecosystem, name);
    let mut fixed = Vec::new();
    let mut hit = false;
    for affected in &record.affected {
        let Some(pkg) = &affected.package else {
            continue;
        };
        if pkg.ecosystem != ecosystem || normalize_package(ecosystem, &pkg.name) != wanted {
            continue;
        }
        if informational(&record, affected) {
            return None;
        }
        let listed = affected
            .versions
            .iter()
            .any(|v| v == installed_text || scheme.parse(v).is_ok_and(|v| v == *installed));
        let mut in_range = false;
        for range in &affected.ranges {
            // GIT ranges are commit hashes; `versions[]` carries what they mean.
            if range.kind == "GIT" {
                continue;
            }
            let events = range.version_events();
            match OsvRange::parse(scheme, &events).and_then(|r| r.contains(installed)) {
                Ok(true) => in_range = true,
                Ok(false) => {}
                Err(e) => tracing::debug!(record = %record.id, "range skipped: {e}"),
            }
            for event in &range.events {
                if let Some(f) = event.get("fixed")
                    && !fixed.contains(f)
                {
                    fixed.push(f.clone());
                }
            }
        }
        hit |= listed || in_range;
    }
    if !hit {
        return None;
    }
    Some(Candidate::osv(&record, raw, ecosystem, fixed))
}

/// Puts each finding into the result that lists its package: OS packages into the `os-pkgs`
/// result, language packages into the result holding the same package ID and evidence path.
/// Findings whose package is in no result are dropped (there is none with a normal inventory).
pub fn attach(results: &mut [ReportResult], packages: &[Package], matches: Matches) {
    for (index, vuln) in matches.findings {
        let p = &packages[index];
        let id = p.id();
        let target = results.iter_mut().find(|r| {
            if p.ecosystem.is_os() {
                r.class == "os-pkgs"
            } else {
                r.class == "lang-pkgs"
                    && r.packages
                        .iter()
                        .any(|rp| rp.id == id && rp.file_path == p.location.path)
            }
        });
        if let Some(r) = target {
            r.vulnerabilities.push(vuln);
        }
    }
    for r in results {
        r.vulnerabilities.sort_by(|a, b| {
            (&a.pkg_name, &a.pkg_path, &a.vulnerability_id).cmp(&(
                &b.pkg_name,
                &b.pkg_path,
                &b.vulnerability_id,
            ))
        });
    }
}

/// Severity a distro or GHSA rating names (`LOW` … `CRITICAL`, `MODERATE`); `None` for
/// unknown or unrated.
pub(crate) fn rating(name: &str) -> Option<Severity> {
    name.parse::<Severity>()
        .ok()
        .filter(|s| *s != Severity::Unknown)
}
