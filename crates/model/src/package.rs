use serde::{Deserialize, Serialize};
use std::fmt;

/// The package ecosystem: which version scheme and which advisory namespace apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian and Ubuntu packages (dpkg).
    Deb,
    /// Alpine and Wolfi packages (apk).
    Apk,
    /// RPM-based distributions.
    Rpm,
    /// Python packages (PyPI).
    Pypi,
    /// JavaScript packages (npm registry; npm, yarn and pnpm lockfiles).
    Npm,
    /// Rust crates (crates.io).
    Cargo,
    /// Go modules, and the Go standard library as `stdlib`.
    Golang,
    /// Java archives (Maven coordinates).
    Maven,
    /// Ruby gems.
    Gem,
    /// PHP packages (Packagist).
    Composer,
    /// .NET packages (NuGet).
    Nuget,
}

impl Ecosystem {
    /// The lower-case name used in osprey's JSON and in `expected.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }

    /// True for packages an OS package manager installed.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package's evidence lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct PackageLocation {
    /// Path of the evidence file inside the image or root filesystem, without a leading `/`
    /// (`var/lib/dpkg/status.d/libc6`, `app/bin/gohello`).
    pub path: String,
    /// 0-based index of the layer that added the package; `None` for a live filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// One installed package, as a cataloger found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Ecosystem (decides the version scheme and advisory namespace).
    pub ecosystem: Ecosystem,
    /// Name as the ecosystem spells it (`libc6`, `Django`, `@babel/core`,
    /// `org.apache.logging.log4j:log4j-core`).
    pub name: String,
    /// Full version as the package database states it, epoch included (`1:1.2.13.dfsg-1`).
    pub version: String,
    /// Source package name, where the format has one (dpkg `Source:`, apk origin, rpm SRPM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version, when it differs from or is stated apart from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Architecture, for OS packages (`amd64`, `all`, `x86_64`, `noarch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Normalised package URL (`pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.15`).
    #[serde(default)]
    pub purl: String,
    /// Declared licences, as written by the package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The cataloger's type, as Trivy names result types: `dpkg`, `apk`, `rpm`,
    /// `python-pkg`, `node-pkg`, `npm`, `yarn`, `pnpm`, `cargo`, `rustbinary`, `gobinary`,
    /// `jar`, `gemspec`, `bundler`, `composer`, `composer-vendor`, `dotnet-deps`.
    pub pkg_type: String,
    /// Where the evidence is and which layer added it.
    pub location: PackageLocation,
    /// For lockfile-style sources: the file that lists the package, when it differs from
    /// `location.path` (e.g. a `package-lock.json` corroborating `node_modules/x/package.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockfile: Option<String>,
    /// `Some(true)` for a direct dependency, `Some(false)` for a transitive one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// True for the project itself (npm root package, Go main module, root crate).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
    /// True for development-only dependencies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// IDs (`name@version`) of the packages this one depends on, where the source says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Package {
    /// A package with the required facts set and everything else empty; catalogers fill the
    /// rest. `pkg_type` defaults to the ecosystem name.
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            source_name: None,
            source_version: None,
            arch: None,
            purl: String::new(),
            licenses: Vec::new(),
            pkg_type: ecosystem.as_str().to_string(),
            location: PackageLocation::default(),
            lockfile: None,
            direct: None,
            root: false,
            dev: false,
            depends_on: Vec::new(),
        }
    }

    /// `name@version`, the ID Trivy uses in `Packages[].ID` and `DependsOn`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}
