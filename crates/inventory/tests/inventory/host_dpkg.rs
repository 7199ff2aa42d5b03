//! The build host's own dpkg database against `dpkg-query`: a full, current Debian 12 `status`
//! file (CI and development machines are Debian 12), which the fixtures lack.

use crate::common::one_layer;
use osprey_inventory::resolve;
use std::collections::BTreeSet;
use std::process::Command;

#[test]
#[ignore = "host: needs a Debian host with dpkg-query and /var/lib/dpkg/status"]
fn host_status_matches_dpkg_query() {
    let status = std::fs::read("/var/lib/dpkg/status")
        .expect("this test needs a Debian host: /var/lib/dpkg/status is unreadable");
    let query = Command::new("dpkg-query")
        .args([
            "-W",
            "-f=${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n",
        ])
        .output()
        .expect("this test needs dpkg-query");
    assert!(query.status.success());
    let listing = String::from_utf8(query.stdout).unwrap();
    let files_present = [
        "installed",
        "triggers-pending",
        "triggers-awaited",
        "half-configured",
        "unpacked",
    ];
    let expected: BTreeSet<(String, String, String, String, String)> = listing
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| files_present.contains(&f[5]))
        .map(|f| {
            (
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
            )
        })
        .collect();
    assert!(
        expected.len() > 50,
        "only {} packages on this host",
        expected.len()
    );
    let inventory = resolve(&one_layer(&[("var/lib/dpkg/status", &status)]));
    let found: BTreeSet<(String, String, String, String, String)> = inventory
        .packages
        .iter()
        .map(|p| {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            (
                p.name.clone(),
                p.version.clone(),
                text(&p.arch),
                text(&p.source_name),
                text(&p.source_version),
            )
        })
        .collect();
    assert_eq!(found, expected);
}
