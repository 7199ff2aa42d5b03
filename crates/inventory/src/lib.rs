//! What is installed: OS detection and package catalogers.
//!
//! Each cataloger is one module implementing [`osprey_scan::Analyzer`]: it declares the paths
//! it wants (dpkg `status`, apk `installed`, the rpm database, `os-release`, ...) and parses
//! only those bytes into [`osprey_model::Package`]s or raw file contents. After the layer walk,
//! [`resolve`] turns the squashed facts into the final [`Inventory`]: the OS, the packages with
//! the layer that added them, their dependency IDs and their package URLs.
//!
//! OS catalogers: `dpkg` (`status` and distroless `status.d/`, licences from
//! `usr/share/doc/<package>/copyright`), `apk`
//! (`lib/apk/db/installed`), `rpm` (SQLite, NDB and BerkeleyDB databases, read in-house) and OS
//! detection from `os-release` and the distribution release files. Language catalogers live in
//! the `lang` module.
//!
//! It must not touch: layer reading, whiteouts, vulnerabilities or rendering.
//!
//! ```
//! use osprey_inventory::{analyzers, resolve};
//! use osprey_scan::{FileMeta, Squashed};
//! let names: Vec<&str> = analyzers().iter().map(|a| a.name()).collect();
//! assert!(names.contains(&"dpkg") && names.contains(&"rpm"));
//! let status = FileMeta { path: "var/lib/dpkg/status", size: 0, mode: 0o644 };
//! assert!(analyzers().iter().any(|a| a.wants(&status)));
//! let inventory = resolve(&Squashed::default());
//! assert!(inventory.os.is_none() && inventory.packages.is_empty());
//! ```
#![deny(missing_docs)]

mod apk;
mod dpkg;
mod dpkg_copyright;
pub mod lang;
mod layers;
mod os_release;
mod purl;
mod results;
mod rpm;
mod stanza;

use osprey_model::{OsInfo, Package};
use osprey_scan::{Analyzer, Squashed};

pub use results::package_results;

/// Every analyzer of this crate: OS detection, the OS package catalogers and the language
/// catalogers, in the order the walker should offer files (the order does not change results).
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    let mut all: Vec<Box<dyn Analyzer>> = vec![
        Box::new(os_release::OsReleaseAnalyzer),
        Box::new(dpkg::DpkgAnalyzer),
        Box::new(dpkg_copyright::DpkgCopyrightAnalyzer),
        Box::new(apk::ApkAnalyzer),
        Box::new(rpm::RpmAnalyzer),
    ];
    all.extend(lang::analyzers());
    all
}

/// What an image or root filesystem has installed.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    /// The detected operating system, when one was recognised.
    pub os: Option<OsInfo>,
    /// OS packages first (sorted by evidence path, name, version), then language packages in
    /// the order the language catalogers resolve them.
    pub packages: Vec<Package>,
}

/// Turns the squashed facts of a walk into the inventory.
///
/// Steps: detect the OS from release files in the final filesystem; take OS packages from
/// package databases in the final filesystem only, each attributed to the lowest layer from
/// which it was continuously present; link dpkg dependencies across `status.d` files; take deb
/// licences from `usr/share/doc/<package>/copyright`; give OS packages their package URL with
/// the distro qualifier; add the language packages.
pub fn resolve(squashed: &Squashed) -> Inventory {
    let os = os_release::detect_os(squashed);
    let mut packages = layers::final_os_packages(squashed);
    dpkg::link_dependencies(&mut packages);
    dpkg_copyright::attach_licenses(&mut packages, squashed);
    for package in &mut packages {
        package.purl = purl::os_package_purl(package, os.as_ref());
    }
    packages.extend(lang::resolve(squashed));
    Inventory { os, packages }
}
