//! ServiceAccounts and ConfigMaps.

use super::{Ctx, Family};
use crate::catalog::{Diags, meta};
use crate::k8s::manifest::{kind, name, resource_id};
use crate::k8s::yaml::Node;
use crate::secret_names::secret_name;

meta!(
    DEFAULT_SA_AUTOMOUNT,
    "OSP-K8S-075",
    Medium,
    "default ServiceAccount mounts its token",
    "Every pod that does not name a service account gets the default one; its token should not be mounted automatically.",
    "Set automountServiceAccountToken: false on the default ServiceAccount.",
    ["checkov:CKV_K8S_41", "cis:5.1.5"]
);
meta!(
    CONFIGMAP_SECRET,
    "OSP-K8S-080",
    High,
    "Secret stored in a ConfigMap",
    "ConfigMaps are not secret: they are readable by more roles, not encrypted at rest and shown in plain text.",
    "Move the value into a Secret.",
    ["trivy:KSV-0109", "polaris:sensitiveConfigmapContent"]
);

pub(super) const FAMILY: Family = Family {
    name: "config",
    checks: &[&DEFAULT_SA_AUTOMOUNT, &CONFIGMAP_SECRET],
    run: check,
};

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for obj in ctx.objects {
        d.set_resource(resource_id(obj));
        match kind(obj) {
            "ServiceAccount"
                if name(obj) == "default"
                    && obj
                        .get("automountServiceAccountToken")
                        .and_then(Node::as_bool)
                        != Some(false) =>
            {
                d.fail(
                    &DEFAULT_SA_AUTOMOUNT,
                    (obj.line, obj.line),
                    "default ServiceAccount automounts its token",
                );
            }
            "ConfigMap" => {
                for (k, v) in obj.get("data").map(Node::entries).unwrap_or_default() {
                    let Some(key) = k.as_str() else { continue };
                    if secret_name(key) && v.scalar_text().is_some_and(|s| !s.trim().is_empty()) {
                        d.fail(
                            &CONFIGMAP_SECRET,
                            (k.line, k.line),
                            format!("key {key} looks like a secret"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
