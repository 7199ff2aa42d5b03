//! The distro-advisory record every OS feed is reduced to.

use std::fmt;

/// Where a distro stands on one vulnerability in one release of one source package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Fixed at `fixed_version`.
    Fixed,
    /// Affected, no fix yet.
    Unfixed,
    /// Never affected in this release.
    NotAffected,
    /// Affected; minor, no advisory planned (Debian `<no-dsa>`).
    NoDsa,
    /// Affected; will not be fixed (Debian `<ignored>`).
    WontFix,
    /// Affected; fix deferred (Debian `<postponed>`).
    Postponed,
    /// Affected; release no longer supported for this package (Debian `<end-of-life>`).
    EndOfLife,
}

impl Status {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::Unfixed => "unfixed",
            Status::NotAffected => "not_affected",
            Status::NoDsa => "no_dsa",
            Status::WontFix => "will_not_fix",
            Status::Postponed => "fix_deferred",
            Status::EndOfLife => "end_of_life",
        }
    }

    /// The inverse of [`Status::as_str`].
    pub fn from_name(name: &str) -> Option<Status> {
        [
            Status::Fixed,
            Status::Unfixed,
            Status::NotAffected,
            Status::NoDsa,
            Status::WontFix,
            Status::Postponed,
            Status::EndOfLife,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One (vulnerability, distro release, source package) verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistroAdvisory {
    /// `CVE-…`, or the advisory id (`DSA-…`, `ALPINE-…`) when there is no CVE.
    pub vuln_id: String,
    /// `debian` or `alpine`.
    pub distro: String,
    /// Release as the feed names it: `bookworm`, `v3.20`.
    pub release: String,
    /// Source (Debian) or origin (Alpine) package name.
    pub package: String,
    /// The verdict.
    pub status: Status,
    /// First fixed version, for [`Status::Fixed`].
    pub fixed_version: Option<String>,
    /// Distro severity (Debian urgency mapped to LOW/MEDIUM/HIGH/UNKNOWN), when known.
    pub severity: Option<String>,
    /// Whether the distro marks the issue unimportant (hidden by default when matching).
    pub unimportant: bool,
}
