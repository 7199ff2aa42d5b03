//! Version orderings for vulnerability matching.
//!
//! This crate owns one thing: deciding whether one package version is older than another,
//! in the ordering of the package's own ecosystem, and whether a version lies inside an OSV
//! range. Every [`Scheme`] parses a string into a [`Version`]; versions of one scheme are
//! ordered by `Version: Ord`. Parsing and comparing never panic: input a scheme cannot order
//! is a [`VersionError`] naming the input and the reason.
//!
//! Every order is total except Maven's, which reproduces `ComparableVersion` including the
//! cycle Maven itself has between `.qualifier` and `-number` forms (MNG-7644:
//! `2.9.0.RC1` > `2.9.0-1` > `2.9.0` > `2.9.0.RC1`). Compare Maven versions pairwise (as range
//! evaluation does) rather than sorting mixed sets of them; this crate never sorts with
//! `Ord` in a way that could panic.
//!
//! It must not touch: I/O, advisory data, package inventories or matching policy (which
//! advisory applies to which package) — those belong to `vulndb` and `vuln`.
//!
//! | scheme | ecosystems | ordering |
//! |---|---|---|
//! | [`Scheme::Dpkg`] | Debian, Ubuntu | `dpkg --compare-versions` |
//! | [`Scheme::Apk`] | Alpine, Wolfi | apk-tools |
//! | [`Scheme::Rpm`] | Red Hat family, SUSE, Mariner | `rpmvercmp` with `~` and `^` |
//! | [`Scheme::Pep440`] | PyPI | PEP 440, legacy versions below |
//! | [`Scheme::Semver`] | npm, crates.io, Hex | SemVer 2.0 |
//! | [`Scheme::Go`] | Go modules | SemVer with `v`, pseudo-versions |
//! | [`Scheme::Maven`] | Maven | `ComparableVersion` |
//! | [`Scheme::RubyGems`] | RubyGems | `Gem::Version` |
//! | [`Scheme::NuGet`] | NuGet | SemVer 2, four parts, case-insensitive labels |
//! | [`Scheme::Composer`] | Packagist | PHP `version_compare` |
//! | [`Scheme::Pub`] | Dart pub | SemVer with ordered build metadata |
//! | [`Scheme::Cran`] | CRAN | numeric lists, `.` and `-` |
//! | [`Scheme::Hackage`] | Hackage | numeric lists |
//!
//! ```
//! use osprey_version::{Scheme, compare};
//! use std::cmp::Ordering;
//!
//! let fixed = Scheme::Dpkg.parse("7.88.1-10+deb12u4")?;
//! let installed = Scheme::Dpkg.parse("7.88.1-10+deb12u1")?;
//! assert!(installed < fixed);
//! assert_eq!(compare(Scheme::Pep440, "1.0.post1", "1.0")?, Ordering::Greater);
//! assert!(Scheme::Semver.parse("not a version").is_err());
//! # Ok::<(), osprey_version::VersionError>(())
//! ```
#![deny(missing_docs)]

mod apk;
mod composer;
mod dotted;
mod dpkg;
mod maven;
mod num;
mod osv;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

use std::cmp::Ordering;
use std::fmt;

use osprey_model::Ecosystem;

pub use osv::{OsvEvent, OsvRange, osv_affected};

/// Longest version string accepted. Real versions are far shorter; the bound keeps hostile
/// input from costing more than a few microseconds, and Maven's nested lists shallow.
pub const MAX_VERSION_LEN: usize = 512;

/// A version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian packages (`[epoch:]upstream[-revision]`).
    Dpkg,
    /// Alpine packages (`1.2.3_rc1-r0`).
    Apk,
    /// RPM packages (`[epoch:]version[-release]`).
    Rpm,
    /// Python packages (PEP 440).
    Pep440,
    /// SemVer 2.0 (npm, crates.io, Hex).
    Semver,
    /// Go modules (`v1.2.3`, pseudo-versions, `+incompatible`).
    Go,
    /// Maven artifacts.
    Maven,
    /// Ruby gems.
    RubyGems,
    /// NuGet packages.
    NuGet,
    /// PHP packages (Packagist / Composer).
    Composer,
    /// Dart packages (pub).
    Pub,
    /// R packages (CRAN).
    Cran,
    /// Haskell packages (Hackage).
    Hackage,
}

/// Why a version could not be parsed or compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The string is not a version of this scheme.
    #[error("invalid {scheme} version {input:?}: {reason}")]
    Invalid {
        /// The scheme that rejected it.
        scheme: Scheme,
        /// The input, as given (cut to [`MAX_VERSION_LEN`] bytes at most).
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two versions of different schemes were compared.
    #[error("cannot compare a {left} version with a {right} version")]
    SchemeMismatch {
        /// Scheme of the left operand.
        left: Scheme,
        /// Scheme of the right operand.
        right: Scheme,
    },
}

/// The parsed form of each scheme.
#[derive(Debug, Clone)]
enum Parsed {
    Dpkg(dpkg::Dpkg),
    Apk(apk::Apk),
    Rpm(rpm::Rpm),
    Pep440(pep440::Pep440),
    Semver(semver::SemverLike),
    Maven(Vec<maven::Item>),
    RubyGems(rubygems::Gem),
    Composer(composer::Composer),
    Dotted(dotted::Dotted),
}

/// A parsed version of one scheme. Versions of the same scheme are ordered by their scheme
/// (see the crate docs for Maven's caveat); equality is that ordering's (`1.0` equals `1.0.0`
/// in Maven). Ordering versions of different schemes
/// never panics: they sort by scheme, and [`Version::try_cmp`] reports the mismatch instead.
#[derive(Debug, Clone)]
pub struct Version {
    scheme: Scheme,
    text: Box<str>,
    parsed: Parsed,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 13] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
        Scheme::Pub,
        Scheme::Cran,
        Scheme::Hackage,
    ];

    /// A short lower-case name (`dpkg`, `pep440`, …).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Pep440 => "pep440",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Composer => "composer",
            Scheme::Pub => "pub",
            Scheme::Cran => "cran",
            Scheme::Hackage => "hackage",
        }
    }

    /// The ordering of an inventory ecosystem.
    pub fn for_ecosystem(ecosystem: Ecosystem) -> Scheme {
        match ecosystem {
            Ecosystem::Deb => Scheme::Dpkg,
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Pypi => Scheme::Pep440,
            Ecosystem::Npm | Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::Golang => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::Gem => Scheme::RubyGems,
            Ecosystem::Composer => Scheme::Composer,
            Ecosystem::Nuget => Scheme::NuGet,
        }
    }

    /// The ordering of an OSV `ecosystem` string (`PyPI`, `crates.io`, `Debian:12`,
    /// `Alpine:v3.20`, …); `None` for ecosystems without a known ordering. The release suffix
    /// after `:` does not change the ordering.
    pub fn for_osv_ecosystem(name: &str) -> Option<Scheme> {
        let base = name.split_once(':').map_or(name, |(base, _)| base);
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" | "MinimOS" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "Photon OS" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" | "crates.io" | "Hex" | "Julia" | "SwiftURL" => Scheme::Semver,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Composer,
            "Pub" => Scheme::Pub,
            "CRAN" | "Bioconductor" => Scheme::Cran,
            "Hackage" | "GHC" => Scheme::Hackage,
            _ => return None,
        })
    }

    /// Parses `input` as a version of this scheme.
    pub fn parse(self, input: &str) -> Result<Version, VersionError> {
        let invalid = |reason: String| {
            let mut cut = input.len().min(MAX_VERSION_LEN);
            while !input.is_char_boundary(cut) {
                cut -= 1;
            }
            VersionError::Invalid {
                scheme: self,
                input: input[..cut].to_owned(),
                reason,
            }
        };
        if input.len() > MAX_VERSION_LEN {
            return Err(invalid(format!("longer than {MAX_VERSION_LEN} bytes")));
        }
        if input.trim().is_empty() {
            return Err(invalid("version is empty".into()));
        }
        let parsed = match self {
            Scheme::Dpkg => dpkg::parse(input).map(Parsed::Dpkg),
            Scheme::Apk => apk::parse(input).map(Parsed::Apk),
            Scheme::Rpm => rpm::parse(input).map(Parsed::Rpm),
            Scheme::Pep440 => pep440::parse(input).map(Parsed::Pep440),
            Scheme::Semver | Scheme::Go | Scheme::NuGet | Scheme::Pub => {
                semver::parse(input).map(Parsed::Semver)
            }
            Scheme::Maven => maven::parse(input).map(Parsed::Maven),
            Scheme::RubyGems => rubygems::parse(input).map(Parsed::RubyGems),
            Scheme::Composer => composer::parse(input).map(Parsed::Composer),
            Scheme::Cran => dotted::parse(input, &['.', '-']).map(Parsed::Dotted),
            Scheme::Hackage => dotted::parse(input, &['.']).map(Parsed::Dotted),
        }
        .map_err(invalid)?;
        Ok(Version {
            scheme: self,
            text: input.into(),
            parsed,
        })
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Version {
    /// The version string as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme this version belongs to.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Orders two versions of the same scheme; an error when the schemes differ.
    pub fn try_cmp(&self, other: &Version) -> Result<Ordering, VersionError> {
        if self.scheme != other.scheme {
            return Err(VersionError::SchemeMismatch {
                left: self.scheme,
                right: other.scheme,
            });
        }
        Ok(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&*self.text, &*other.text);
        match (&self.parsed, &other.parsed) {
            _ if self.scheme != other.scheme => self.scheme.cmp(&other.scheme),
            (Parsed::Dpkg(x), Parsed::Dpkg(y)) => dpkg::compare(a, x, b, y),
            (Parsed::Apk(x), Parsed::Apk(y)) => apk::compare(a, x, b, y),
            (Parsed::Rpm(x), Parsed::Rpm(y)) => rpm::compare(a, x, b, y),
            (Parsed::Pep440(x), Parsed::Pep440(y)) => pep440::compare(a, x, b, y),
            (Parsed::Semver(x), Parsed::Semver(y)) => {
                let flavor = match self.scheme {
                    Scheme::Pub => semver::Flavor::Pub,
                    Scheme::NuGet => semver::Flavor::NuGet,
                    _ => semver::Flavor::Strict,
                };
                semver::compare(flavor, a, x, b, y)
            }
            (Parsed::Maven(x), Parsed::Maven(y)) => maven::cmp_lists(a, x, b, y),
            (Parsed::RubyGems(x), Parsed::RubyGems(y)) => rubygems::compare(a, x, b, y),
            (Parsed::Composer(x), Parsed::Composer(y)) => composer::compare(a, x, b, y),
            (Parsed::Dotted(x), Parsed::Dotted(y)) => dotted::compare(a, x, b, y),
            // Same scheme always means the same parsed form.
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Parses both strings with `scheme` and orders them.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(scheme.parse(a)?.cmp(&scheme.parse(b)?))
}
