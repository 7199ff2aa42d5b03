//! Groups an inventory into report results the way Trivy does, so consumers of Trivy reports
//! find packages where they expect them.

use osprey_model::report::{ReportPackage, ReportResult};
use osprey_model::{LayerInfo, OsInfo, Package};
use std::collections::BTreeMap;

/// Package types whose packages are found one installed package at a time (so Trivy
/// aggregates them into one result per language, each package keeping its `FilePath`).
fn aggregate_target(pkg_type: &str) -> Option<&'static str> {
    match pkg_type {
        "python-pkg" => Some("Python"),
        "node-pkg" => Some("Node.js"),
        "gemspec" => Some("Ruby"),
        "jar" => Some("Java"),
        "conda-pkg" => Some("Conda"),
        _ => None,
    }
}

/// One result for the OS packages (`Target` = `ARTIFACT (family release)`), one per
/// aggregated language, one per lockfile or binary. Results and packages are sorted so the
/// output is stable.
pub fn package_results(
    artifact: &str,
    os: Option<&OsInfo>,
    packages: &[Package],
    layers: &[LayerInfo],
) -> Vec<ReportResult> {
    let mut os_pkgs = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<ReportPackage>> = BTreeMap::new();
    for p in packages {
        let rp = ReportPackage::from_package(p, layers);
        if p.ecosystem.is_os() {
            os_pkgs.push(rp);
            continue;
        }
        let target = match aggregate_target(&p.pkg_type) {
            Some(t) => t.to_string(),
            None => p
                .lockfile
                .clone()
                .unwrap_or_else(|| p.location.path.clone()),
        };
        groups
            .entry((target, p.pkg_type.clone()))
            .or_default()
            .push(rp);
    }
    let mut results = Vec::new();
    if !os_pkgs.is_empty() || os.is_some() {
        let (family, name) = os
            .map(|o| (o.family.clone(), o.name.clone()))
            .unwrap_or_else(|| ("unknown".into(), String::new()));
        sort_packages(&mut os_pkgs);
        results.push(ReportResult {
            target: format!("{artifact} ({family} {name})").replace(" )", ")"),
            class: "os-pkgs".into(),
            r#type: family,
            packages: os_pkgs,
            ..Default::default()
        });
    }
    for ((target, pkg_type), mut pkgs) in groups {
        sort_packages(&mut pkgs);
        results.push(ReportResult {
            target,
            class: "lang-pkgs".into(),
            r#type: pkg_type,
            packages: pkgs,
            ..Default::default()
        });
    }
    results
}

fn sort_packages(pkgs: &mut [ReportPackage]) {
    pkgs.sort_by(|a, b| {
        (&a.name, &a.version, &a.file_path).cmp(&(&b.name, &b.version, &b.file_path))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use osprey_model::Ecosystem;

    fn pkg(eco: Ecosystem, name: &str, pkg_type: &str, path: &str) -> Package {
        let mut p = Package::new(eco, name, "1.0-1");
        p.pkg_type = pkg_type.into();
        p.location.path = path.into();
        p.location.layer = Some(0);
        p
    }

    #[test]
    fn groups_like_trivy() {
        let os = OsInfo {
            family: "debian".into(),
            name: "12.15".into(),
            ..Default::default()
        };
        let layers = vec![LayerInfo {
            digest: "sha256:aa".into(),
            ..Default::default()
        }];
        let pkgs = vec![
            pkg(Ecosystem::Pypi, "urllib3", "python-pkg", "a/METADATA"),
            pkg(Ecosystem::Deb, "libc6", "dpkg", "var/lib/dpkg/status"),
            pkg(Ecosystem::Pypi, "Django", "python-pkg", "b/METADATA"),
            pkg(Ecosystem::Golang, "stdlib", "gobinary", "app/bin/gohello"),
        ];
        let r = package_results("img:1", Some(&os), &pkgs, &layers);
        let targets: Vec<_> = r
            .iter()
            .map(|r| (r.target.as_str(), r.class.as_str()))
            .collect();
        assert_eq!(
            targets,
            vec![
                ("img:1 (debian 12.15)", "os-pkgs"),
                ("Python", "lang-pkgs"),
                ("app/bin/gohello", "lang-pkgs")
            ]
        );
        assert_eq!(r[0].packages[0].version, "1.0");
        assert_eq!(r[0].packages[0].release, "1");
        assert_eq!(r[0].packages[0].file_path, "");
        assert_eq!(r[1].packages[0].name, "Django");
        assert_eq!(r[1].packages[0].file_path, "b/METADATA");
        assert_eq!(r[1].packages[0].layer.digest, "sha256:aa");
    }
}
