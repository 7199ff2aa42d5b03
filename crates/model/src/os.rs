use serde::{Deserialize, Serialize};

/// The operating system an image or root filesystem is built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OsInfo {
    /// Lower-case family as Trivy names it: `debian`, `ubuntu`, `alpine`, `redhat`, `centos`,
    /// `rocky`, `alma`, `fedora`, `amazon`, `cbl-mariner`, `opensuse.leap`, `sles`, `wolfi`, ...
    pub family: String,
    /// The release: `12.15` for Debian (from `debian_version` when present), `3.20.3` for
    /// Alpine, `9.4` for RHEL-likes.
    pub name: String,
    /// `VERSION_CODENAME` when known (`bookworm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME` when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// True when the release is past its end of life.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub eosl: bool,
}
