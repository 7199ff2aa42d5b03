//! OSV records of distro ecosystems (`Debian:12`, `Alpine:v3.20`) as distro verdicts.
//!
//! The OSV bucket carries the Debian tracker and Alpine secdb converted to OSV. Stored only
//! as OSV records they would sit beside the native feeds' verdicts under another key, and OS
//! matching (by source package and release) would not see them; so each affected entry of
//! such a record also becomes a [`DistroAdvisory`], the same row the native feeds give.
//!
//! Mapping: the vulnerability is the CVE the record is about (`DEBIAN-CVE-…`,
//! `ALPINE-CVE-…` ids, else the first CVE alias or upstream id, else the record id); the
//! first `fixed` event of an `ECOSYSTEM` range is the fix; `introduced` without any fix is
//! unfixed. OSV distro data carries no urgency, so severity is left to other sources.

use crate::distro::{DistroAdvisory, Status};
use crate::osv::OsvRecord;

/// Distro verdicts in `record`; `codename` maps a Debian major (`12`) to its codename.
pub(crate) fn verdicts(
    record: &OsvRecord,
    codename: impl Fn(&str) -> Option<String>,
) -> Vec<DistroAdvisory> {
    let mut out = Vec::new();
    for affected in &record.affected {
        let Some(pkg) = &affected.package else {
            continue;
        };
        let (distro, release) = match pkg.ecosystem.split_once(':') {
            Some(("Debian", major)) => match codename(major) {
                Some(c) => ("debian", c),
                None => continue,
            },
            Some(("Alpine", branch)) if branch.starts_with('v') => ("alpine", branch.to_owned()),
            _ => continue,
        };
        let events = affected
            .ranges
            .iter()
            .filter(|r| r.kind == "ECOSYSTEM")
            .flat_map(|r| r.events.iter());
        let mut introduced = false;
        let mut fixed = None;
        for event in events {
            introduced |= event.contains_key("introduced");
            if fixed.is_none() {
                fixed = event.get("fixed").cloned();
            }
        }
        let status = match (&fixed, introduced) {
            (Some(_), _) => Status::Fixed,
            (None, true) => Status::Unfixed,
            (None, false) => continue,
        };
        out.push(DistroAdvisory {
            vuln_id: vuln_id(record),
            distro: distro.to_owned(),
            release,
            package: pkg.name.clone(),
            status,
            fixed_version: fixed,
            severity: None,
            unimportant: false,
        });
    }
    out
}

fn vuln_id(record: &OsvRecord) -> String {
    for prefix in ["DEBIAN-", "ALPINE-"] {
        if let Some(cve) = record.id.strip_prefix(prefix)
            && cve.starts_with("CVE-")
        {
            return cve.to_owned();
        }
    }
    record
        .aliases
        .iter()
        .chain(record.upstream.iter())
        .find(|a| a.starts_with("CVE-"))
        .cloned()
        .unwrap_or_else(|| record.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> OsvRecord {
        serde_json::from_str(json).unwrap()
    }

    fn codename(major: &str) -> Option<String> {
        (major == "12").then(|| "bookworm".to_owned())
    }

    #[test]
    fn debian_records_become_bookworm_verdicts() {
        let rec = parse(
            r#"{"id":"DEBIAN-CVE-2023-4911","affected":[
              {"package":{"ecosystem":"Debian:12","name":"glibc"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u3"}]}]},
              {"package":{"ecosystem":"Debian:13","name":"glibc"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]},
              {"package":{"ecosystem":"Debian:12","name":"eglibc"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        );
        let v = verdicts(&rec, codename);
        assert_eq!(v.len(), 2, "Debian:13 has no codename here: {v:?}");
        assert_eq!(v[0].vuln_id, "CVE-2023-4911");
        assert_eq!(
            (v[0].distro.as_str(), v[0].release.as_str()),
            ("debian", "bookworm")
        );
        assert_eq!(v[0].status, Status::Fixed);
        assert_eq!(v[0].fixed_version.as_deref(), Some("2.36-9+deb12u3"));
        assert_eq!(
            (v[1].package.as_str(), v[1].status),
            ("eglibc", Status::Unfixed)
        );
    }

    #[test]
    fn alpine_and_dsa_ids_and_language_records() {
        let rec = parse(
            r#"{"id":"DSA-5000-1","upstream":["CVE-2021-1"],"affected":[
              {"package":{"ecosystem":"Alpine:v3.20","name":"openssl"},
               "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.3.2-r0"}]}]}]}"#,
        );
        let v = verdicts(&rec, codename);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].vuln_id, "CVE-2021-1");
        assert_eq!(v[0].release, "v3.20");
        let pypi = parse(
            r#"{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"x"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        );
        assert!(verdicts(&pypi, codename).is_empty());
    }
}
