//! What a check is, independent of what it looks at: a stable ID, a severity, the words shown
//! to the user and the peer IDs it corresponds to. Each check family declares its own
//! [`CheckMeta`] constants next to the code that emits them.

use osprey_model::Severity;

/// The description of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckMeta {
    /// Stable ID: `OSP-DF-001`, `OSP-K8S-001`, `pss:privileged`.
    pub id: &'static str,
    /// Severity of a failure.
    pub severity: Severity,
    /// One-line title.
    pub title: &'static str,
    /// What the check looks for and why it matters.
    pub description: &'static str,
    /// How to fix a failure.
    pub resolution: &'static str,
    /// Peer IDs this check corresponds to, as `tool:ID` (`hadolint:DL3002`, `checkov:CKV_DOCKER_3`,
    /// `trivy:DS-0002`, `kubeaudit:privileged`).
    pub refs: &'static [&'static str],
}

/// Where a failure is and what exactly was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check.
    pub meta: &'static CheckMeta,
    /// What was found.
    pub message: String,
    /// 1-based first line.
    pub start_line: usize,
    /// 1-based last line.
    pub end_line: usize,
    /// Resource it belongs to (`Deployment/web`, `stage 0 (golang:1.22)`).
    pub resource: String,
}

/// Collects failures of one family run.
#[derive(Debug, Default)]
pub struct Diags {
    /// Failures in emission order.
    pub failures: Vec<Failure>,
    resource: String,
}

impl Diags {
    /// Sets the resource name attached to following failures.
    pub fn set_resource(&mut self, resource: impl Into<String>) {
        self.resource = resource.into();
    }

    /// Records a failure of `meta` on lines `start..=end`.
    pub fn fail(
        &mut self,
        meta: &'static CheckMeta,
        lines: (usize, usize),
        message: impl Into<String>,
    ) {
        self.failures.push(Failure {
            meta,
            message: message.into(),
            start_line: lines.0,
            end_line: lines.1.max(lines.0),
            resource: self.resource.clone(),
        });
    }
}

/// Declares a `static` [`CheckMeta`]:
/// `meta!(NAME, "OSP-DF-001", High, "title", "description", "resolution", ["hadolint:DL3002"]);`
macro_rules! meta {
    ($name:ident, $id:literal, $sev:ident, $title:literal, $desc:literal, $res:literal, [$($r:literal),* $(,)?]) => {
        pub(crate) static $name: $crate::catalog::CheckMeta = $crate::catalog::CheckMeta {
            id: $id,
            severity: osprey_model::Severity::$sev,
            title: $title,
            description: $desc,
            resolution: $res,
            refs: &[$($r),*],
        };
    };
}
pub(crate) use meta;
