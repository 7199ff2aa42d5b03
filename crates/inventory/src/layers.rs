//! OS packages of the final filesystem, each attributed to the layer that added it.
//!
//! A package database (dpkg `status`, apk `installed`, the rpm database) is rewritten by every
//! layer that installs anything, so the squash keeps one fact per layer for the same path, all
//! but the last with `in_final_fs: false`. Packages are reported from the final copy only; a
//! package's layer is the lowest layer from which the same name, version and architecture is
//! present in every copy up to the final one (an upgrade or a reinstall after removal starts
//! a new run).

use osprey_model::{Ecosystem, Package};
use osprey_scan::{FactKind, LocatedFact, Squashed};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Analyzers whose facts are OS package databases.
const OS_ANALYZERS: &[&str] = &["dpkg", "apk", "rpm"];

type Identity<'a> = (&'a str, &'a str, Option<&'a str>);

fn identity(p: &Package) -> Identity<'_> {
    (p.name.as_str(), p.version.as_str(), p.arch.as_deref())
}

fn packages(fact: &LocatedFact) -> &[Package] {
    match &fact.fact.kind {
        FactKind::Packages(packages) => packages,
        _ => &[],
    }
}

/// Every OS package of the final filesystem with its layer, sorted by evidence path, name,
/// version and architecture; a package listed by two databases (an rpm database in both
/// `var/lib/rpm` and `usr/lib/sysimage/rpm`) is kept once, from the first path.
pub(crate) fn final_os_packages(squashed: &Squashed) -> Vec<Package> {
    let mut by_path: BTreeMap<&str, Vec<&LocatedFact>> = BTreeMap::new();
    for located in &squashed.facts {
        if OS_ANALYZERS.contains(&located.fact.analyzer.as_str())
            && matches!(located.fact.kind, FactKind::Packages(_))
        {
            by_path
                .entry(located.fact.path.as_str())
                .or_default()
                .push(located);
        }
    }
    let mut out = Vec::new();
    for (path, mut copies) in by_path {
        copies.sort_by_key(|f| f.layer);
        let Some(final_at) = copies.iter().rposition(|f| f.in_final_fs) else {
            continue;
        };
        let earlier: Vec<(Option<usize>, HashSet<Identity<'_>>)> = copies[..final_at]
            .iter()
            .map(|f| (f.layer, packages(f).iter().map(identity).collect()))
            .collect();
        for package in packages(copies[final_at]) {
            let mut layer = copies[final_at].layer;
            for (earlier_layer, present) in earlier.iter().rev() {
                if !present.contains(&identity(package)) {
                    break;
                }
                layer = *earlier_layer;
            }
            let mut package = package.clone();
            package.location.path = path.to_string();
            package.location.layer = layer;
            out.push(package);
        }
    }
    out.sort_by(|a, b| {
        (&a.location.path, &a.name, &a.version, &a.arch).cmp(&(
            &b.location.path,
            &b.name,
            &b.version,
            &b.arch,
        ))
    });
    let mut seen: BTreeSet<(Ecosystem, String, String, Option<String>)> = BTreeSet::new();
    out.retain(|p| {
        seen.insert((
            p.ecosystem,
            p.name.clone(),
            p.version.clone(),
            p.arch.clone(),
        ))
    });
    out
}
