//! Kubernetes checks beyond PSS. One file per family; each declares its checks and one
//! `check` function; [`FAMILIES`] is the registry.

mod config;
mod network;
pub(crate) use network::is_default_deny_ingress;
mod rbac;
mod workload;

use super::manifest::{ContainerKind, containers, pod_template};
use super::yaml::Node;
use crate::catalog::{CheckMeta, Diags};

/// A check family.
pub struct Family {
    /// Family name, the finding namespace.
    pub name: &'static str,
    /// Every check the family can fail.
    pub checks: &'static [&'static CheckMeta],
    /// Runs the family over a file's objects.
    pub run: fn(&Ctx<'_>, &mut Diags),
}

/// The registry of Kubernetes check families.
pub static FAMILIES: &[Family] = &[
    workload::FAMILY,
    rbac::FAMILY,
    network::FAMILY,
    config::FAMILY,
];

/// Every Kubernetes check beyond PSS.
pub fn all_checks() -> impl Iterator<Item = &'static CheckMeta> {
    FAMILIES.iter().flat_map(|f| f.checks.iter().copied())
}

/// What a check sees: the objects of the file being reported, and every object of the scan
/// (for checks that look across files, such as a Namespace and its NetworkPolicies).
pub struct Ctx<'a> {
    /// Objects of this file.
    pub objects: &'a [Node],
    /// Every object in the scan, indexed.
    pub cluster: &'a super::Cluster<'a>,
}

/// A workload with its pod template.
pub struct Workload<'a> {
    /// The object.
    pub obj: &'a Node,
    /// Pod metadata.
    pub metadata: Option<&'a Node>,
    /// Pod spec.
    pub spec: &'a Node,
}

impl<'a> Workload<'a> {
    /// The object's kind.
    pub fn kind(&self) -> &'a str {
        super::manifest::kind(self.obj)
    }

    /// Init, regular and ephemeral containers.
    pub fn containers(&self) -> Vec<(ContainerKind, &'a Node)> {
        containers(self.spec)
    }
}

impl<'a> Ctx<'a> {
    /// A context over `objects`, with `cluster` for cross-file lookups.
    pub fn new(objects: &'a [Node], cluster: &'a super::Cluster<'a>) -> Self {
        Ctx { objects, cluster }
    }

    /// Every object with a pod template.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'a>> {
        self.objects.iter().filter_map(|obj| {
            let (metadata, spec) = pod_template(obj)?;
            Some(Workload {
                obj,
                metadata,
                spec,
            })
        })
    }
}

/// A container's `securityContext` field at `path`.
pub(crate) fn csc<'a>(c: &'a Node, path: &[&str]) -> Option<&'a Node> {
    c.get("securityContext").and_then(|s| s.at(path))
}
