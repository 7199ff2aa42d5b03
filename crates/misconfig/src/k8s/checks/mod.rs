//! Kubernetes checks beyond PSS. One file per family; each declares its checks and one
//! `check` function; [`FAMILIES`] is the registry.

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
pub static FAMILIES: &[Family] = &[];

/// Every Kubernetes check beyond PSS.
pub fn all_checks() -> impl Iterator<Item = &'static CheckMeta> {
    FAMILIES.iter().flat_map(|f| f.checks.iter().copied())
}

/// What a check sees: every object of the file.
pub struct Ctx<'a> {
    /// The objects.
    pub objects: &'a [Node],
}

impl<'a> Ctx<'a> {
    /// A context over `objects`.
    pub fn new(objects: &'a [Node]) -> Self {
        Ctx { objects }
    }
}
