//! `osprey rootfs /` lists this machine's dpkg packages exactly as `dpkg-query -W` does.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "slow: walks the whole root filesystem of the machine"]
fn rootfs_matches_dpkg_query() {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"])
        .output()
        .expect("dpkg-query runs (this test needs a Debian-family machine)");
    assert!(out.status.success());
    let want: BTreeSet<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (name, version, status) = (f.next()?, f.next()?, f.next()?);
            // Removed packages whose config files remain are known to dpkg but not installed.
            (status == "installed").then(|| (name.to_string(), version.to_string()))
        })
        .collect();
    assert!(
        want.len() > 50,
        "dpkg-query listed only {} packages",
        want.len()
    );

    let squashed =
        osprey_scan::scan_rootfs(Path::new("/"), &osprey_inventory::analyzers()).unwrap();
    let inv = osprey_inventory::resolve(&squashed);
    let got: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == osprey_model::Ecosystem::Deb)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "dpkg-query: {}, osprey: {}\nmissing: {missing:?}\nextra: {extra:?}",
        want.len(),
        got.len()
    );
    assert_eq!(inv.os.map(|o| o.family).as_deref(), Some("debian"));
}
