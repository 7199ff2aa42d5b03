//! Package URLs for OS packages (<https://github.com/package-url/purl-spec>, `types/`).
//!
//! `pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.15`,
//! `pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1`,
//! `pkg:rpm/redhat/openssl@3.0.7-1.el9?arch=x86_64&distro=redhat-9.4&epoch=1`.
//!
//! - namespace: the OS family (`sles` and `slem` as `suse`, the openSUSE flavours as
//!   `opensuse`, as Trivy does); without a detected OS, `debian` for deb and `alpine` for apk,
//!   none for rpm.
//! - version: without the epoch, which goes into the `epoch` qualifier (the rpm type defines
//!   it; deb follows Trivy here, where the spec's deb examples keep `1:` in the version).
//! - `distro`: `<family>-<release>`; `upstream`: the source package when it differs from the
//!   binary one (`glibc`, or `glibc@<version>` when the source version differs too).

use osprey_model::{Ecosystem, OsInfo, Package};
use packageurl::PackageUrl;

fn namespace(ecosystem: Ecosystem, os: Option<&OsInfo>) -> Option<String> {
    match os.map(|o| o.family.as_str()) {
        Some("sles" | "slem") => Some("suse".to_string()),
        Some(f) if f.starts_with("opensuse") => Some("opensuse".to_string()),
        Some(f) if !f.is_empty() => Some(f.to_string()),
        _ => match ecosystem {
            Ecosystem::Deb => Some("debian".to_string()),
            Ecosystem::Apk => Some("alpine".to_string()),
            _ => None,
        },
    }
}

/// Splits `1:2.3-4` into (`Some("1")`, `2.3-4`); a version without a numeric epoch is whole.
fn split_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(epoch), rest)
        }
        _ => (None, version),
    }
}

/// The package URL of an OS package; empty for other ecosystems or if the package has no name.
pub(crate) fn os_package_purl(package: &Package, os: Option<&OsInfo>) -> String {
    let ty = match package.ecosystem {
        Ecosystem::Deb => "deb",
        Ecosystem::Apk => "apk",
        Ecosystem::Rpm => "rpm",
        _ => return package.purl.clone(),
    };
    build(ty, package, os).unwrap_or_else(|e| {
        tracing::warn!(package = %package.id(), "no package URL: {e}");
        String::new()
    })
}

fn build(ty: &str, package: &Package, os: Option<&OsInfo>) -> Result<String, packageurl::Error> {
    let (epoch, version) = split_epoch(&package.version);
    let mut purl = PackageUrl::new(ty, package.name.as_str())?;
    if let Some(ns) = namespace(package.ecosystem, os) {
        purl.with_namespace(ns)?;
    }
    purl.with_version(version)?;
    if let Some(arch) = package.arch.as_deref() {
        purl.add_qualifier("arch", arch)?;
    }
    if let Some(epoch) = epoch.filter(|e| e.bytes().any(|b| b != b'0')) {
        purl.add_qualifier("epoch", epoch)?;
    }
    if let Some(os) = os.filter(|o| !o.family.is_empty() && !o.name.is_empty()) {
        purl.add_qualifier("distro", format!("{}-{}", os.family, os.name))?;
    }
    if let Some(source) = package
        .source_name
        .as_deref()
        .filter(|s| *s != package.name)
    {
        let upstream = match package.source_version.as_deref() {
            Some(v) if v != package.version => format!("{source}@{v}"),
            _ => source.to_string(),
        };
        purl.add_qualifier("upstream", upstream)?;
    }
    Ok(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian() -> OsInfo {
        OsInfo {
            family: "debian".into(),
            name: "12.15".into(),
            ..OsInfo::default()
        }
    }

    #[test]
    fn deb_with_plus_and_epoch() {
        let mut p = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u14");
        p.arch = Some("amd64".into());
        p.source_name = Some("libc6".into());
        assert_eq!(
            os_package_purl(&p, Some(&debian())),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12.15"
        );
        let mut z = Package::new(Ecosystem::Deb, "zlib1g", "1:1.2.13.dfsg-1");
        z.arch = Some("amd64".into());
        z.source_name = Some("zlib".into());
        z.source_version = Some("1:1.2.13.dfsg-1".into());
        assert_eq!(
            os_package_purl(&z, Some(&debian())),
            "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1&upstream=zlib"
        );
    }

    #[test]
    fn rpm_namespace_from_family() {
        let os = OsInfo {
            family: "sles".into(),
            name: "15.3".into(),
            ..OsInfo::default()
        };
        let mut p = Package::new(Ecosystem::Rpm, "libgcc_s1", "12.2.1+git416-150000.1.5.1");
        p.source_name = Some("gcc12".into());
        p.source_version = Some("12.2.1+git416-150000.1.5.1".into());
        assert_eq!(
            os_package_purl(&p, Some(&os)),
            "pkg:rpm/suse/libgcc_s1@12.2.1%2Bgit416-150000.1.5.1?distro=sles-15.3&upstream=gcc12"
        );
        assert_eq!(split_epoch("a:b"), (None, "a:b"));
    }
}
