//! Scan options.

use crate::Error;
use crate::dockerfile::checks::Config as DockerfileConfig;

/// Pod Security Standards level to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PssLevel {
    /// Baseline: known privilege escalations.
    #[default]
    Baseline,
    /// Restricted: hardening best practice (includes baseline).
    Restricted,
}

impl std::str::FromStr for PssLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "baseline" => Ok(PssLevel::Baseline),
            "restricted" => Ok(PssLevel::Restricted),
            other => Err(Error::InvalidOption(format!(
                "PSS level `{other}`: expected baseline or restricted"
            ))),
        }
    }
}

/// Pod Security Standards version: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PssVersion {
    /// The newest definitions.
    #[default]
    Latest,
    /// Kubernetes 1.N definitions.
    Minor(u32),
}

impl std::str::FromStr for PssVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("latest") {
            return Ok(PssVersion::Latest);
        }
        let minor = s
            .strip_prefix('v')
            .and_then(|r| r.strip_prefix("1."))
            .and_then(|m| m.parse::<u32>().ok())
            .ok_or_else(|| {
                Error::InvalidOption(format!("PSS version `{s}`: expected latest or v1.N"))
            })?;
        Ok(PssVersion::Minor(minor))
    }
}

/// What to scan for and how to report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// PSS level pods are held to.
    pub pss_level: PssLevel,
    /// PSS version.
    pub pss_version: PssVersion,
    /// Report passed checks too (`Status: PASS`).
    pub include_passed: bool,
    /// Check IDs not to run (`OSP-DF-017`, `pss:seccompProfile_restricted`).
    pub skip_checks: Vec<String>,
    /// Honour `pod-security.kubernetes.io/enforce` (and `enforce-version`) labels of Namespace
    /// objects in the scan: pods in such a namespace are held to the stricter of that level and
    /// [`Options::pss_level`], as admission would hold them. Default on.
    pub pss_namespace_labels: bool,
    /// Dockerfile check configuration.
    pub dockerfile: DockerfileConfig,
    /// Largest file read (default 16 MiB).
    pub max_file_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pss_level: PssLevel::Baseline,
            pss_version: PssVersion::Latest,
            include_passed: false,
            skip_checks: Vec::new(),
            pss_namespace_labels: true,
            dockerfile: DockerfileConfig::default(),
            max_file_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Options {
    /// True when `id` is not skipped.
    pub fn runs(&self, id: &str) -> bool {
        !self.skip_checks.iter().any(|s| s.eq_ignore_ascii_case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_versions() {
        assert_eq!(
            "Restricted".parse::<PssLevel>().unwrap(),
            PssLevel::Restricted
        );
        assert!("privileged".parse::<PssLevel>().is_err());
        assert_eq!(
            "v1.25".parse::<PssVersion>().unwrap(),
            PssVersion::Minor(25)
        );
        assert_eq!("latest".parse::<PssVersion>().unwrap(), PssVersion::Latest);
        assert!("1.25".parse::<PssVersion>().is_err());
        assert!("v2.1".parse::<PssVersion>().is_err());
    }
}
