//! Layer attribution of OS packages across several copies of one database.

use crate::common::{analyze, located};
use osprey_inventory::resolve;
use osprey_scan::Squashed;

fn status(packages: &[(&str, &str)]) -> Vec<u8> {
    packages
        .iter()
        .map(|(name, version)| {
            format!("Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n")
        })
        .collect::<String>()
        .into_bytes()
}

fn layer_of(squashed: &Squashed, name: &str) -> Option<Option<usize>> {
    resolve(squashed)
        .packages
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.location.layer)
}

#[test]
fn lowest_layer_of_continuous_presence() {
    let path = "var/lib/dpkg/status";
    let copies = [
        status(&[("base", "1"), ("curl", "7"), ("gone", "1")]),
        status(&[("base", "1"), ("curl", "8")]),
        status(&[("base", "1"), ("curl", "8"), ("gone", "1"), ("late", "1")]),
    ];
    let mut facts = Vec::new();
    for (layer, bytes) in copies.iter().enumerate() {
        facts.extend(located(layer, layer == 2, analyze(path, bytes)));
    }
    let squashed = Squashed {
        facts,
        ..Squashed::default()
    };
    assert_eq!(layer_of(&squashed, "base"), Some(Some(0)));
    // Upgraded in layer 1.
    assert_eq!(layer_of(&squashed, "curl"), Some(Some(1)));
    // Removed in layer 1, installed again in layer 2: the run starts at 2.
    assert_eq!(layer_of(&squashed, "gone"), Some(Some(2)));
    assert_eq!(layer_of(&squashed, "late"), Some(Some(2)));
    assert_eq!(
        resolve(&squashed).packages.len(),
        4,
        "only the final copy is reported"
    );
}

#[test]
fn deleted_database_reports_nothing() {
    let facts = located(
        0,
        false,
        analyze("var/lib/dpkg/status", &status(&[("base", "1")])),
    );
    let squashed = Squashed {
        facts,
        ..Squashed::default()
    };
    assert!(resolve(&squashed).packages.is_empty());
}

#[test]
fn order_does_not_depend_on_fact_order() {
    let status_d = |name: &str| -> Vec<u8> { status(&[(name, "1")]) };
    let files = ["zeta", "alpha", "mid"];
    let mut facts = Vec::new();
    for name in files {
        facts.extend(located(
            0,
            true,
            analyze(&format!("var/lib/dpkg/status.d/{name}"), &status_d(name)),
        ));
    }
    facts.extend(located(
        0,
        true,
        analyze("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\n"),
    ));
    let forward = Squashed {
        facts: facts.clone(),
        ..Squashed::default()
    };
    facts.reverse();
    let backward = Squashed {
        facts,
        ..Squashed::default()
    };
    let (a, b) = (resolve(&forward), resolve(&backward));
    assert_eq!(a, b);
    let names: Vec<&str> = a.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["musl", "alpha", "mid", "zeta"]);
}
