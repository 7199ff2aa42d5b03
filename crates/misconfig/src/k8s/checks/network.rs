//! Network exposure: NetworkPolicies, Services, Ingresses.

use super::{Ctx, Family};
use crate::catalog::{Diags, meta};
use crate::k8s::manifest::{kind, name, resource_id};
use crate::k8s::yaml::Node;

meta!(
    NO_DEFAULT_DENY,
    "OSP-K8S-060",
    Medium,
    "Namespace without a default-deny NetworkPolicy",
    "Without a default-deny ingress policy every pod in the namespace accepts traffic from anywhere in the cluster.",
    "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` and no ingress rules, then allow what is needed.",
    ["kubeaudit:netpols", "cis:5.3.2"]
);
meta!(
    ALLOW_ALL_INGRESS,
    "OSP-K8S-061",
    Medium,
    "NetworkPolicy allows all ingress",
    "An empty ingress rule (or one from 0.0.0.0/0) admits traffic from every source on every port.",
    "Restrict `from` and `ports`.",
    []
);
meta!(
    NODEPORT,
    "OSP-K8S-070",
    Medium,
    "Service of type NodePort",
    "NodePort opens the port on every node, bypassing load balancer and ingress controls.",
    "Use ClusterIP behind an Ingress or a LoadBalancer with source ranges.",
    ["kube-score:service-type"]
);
meta!(
    OPEN_LOADBALANCER,
    "OSP-K8S-071",
    Medium,
    "LoadBalancer open to the internet",
    "A LoadBalancer Service without loadBalancerSourceRanges accepts connections from any address.",
    "Set loadBalancerSourceRanges, or use an internal load balancer.",
    []
);
meta!(
    EXTERNAL_IPS,
    "OSP-K8S-072",
    High,
    "Service sets externalIPs",
    "externalIPs let a Service capture traffic for arbitrary addresses (CVE-2020-8554).",
    "Remove externalIPs; block them with an admission policy.",
    ["trivy:KSV-0108"]
);
meta!(
    INGRESS_NO_TLS,
    "OSP-K8S-073",
    Medium,
    "Ingress without TLS",
    "Traffic to this Ingress is served in clear text.",
    "Add spec.tls with a certificate.",
    ["polaris:tlsSettingsMissing"]
);
meta!(
    NGINX_SNIPPETS,
    "OSP-K8S-074",
    High,
    "ingress-nginx snippet annotation",
    "Snippet annotations inject raw NGINX configuration; they allowed reading the controller's secrets (CVE-2021-25742).",
    "Remove *-snippet annotations and disable them in the controller (allow-snippet-annotations: false).",
    ["checkov:CKV_K8S_153", "trivy:KCV-0093"]
);

pub(super) const FAMILY: Family = Family {
    name: "network",
    checks: &[
        &NO_DEFAULT_DENY,
        &ALLOW_ALL_INGRESS,
        &NODEPORT,
        &OPEN_LOADBALANCER,
        &EXTERNAL_IPS,
        &INGRESS_NO_TLS,
        &NGINX_SNIPPETS,
    ],
    run: check,
};

fn empty_selector(n: Option<&Node>) -> bool {
    n.is_none_or(|s| {
        s.is_null()
            || (s.get("matchLabels").is_none_or(|m| m.entries().is_empty())
                && s.get("matchExpressions")
                    .is_none_or(|m| m.items().is_empty()))
    })
}

/// `podSelector: {}`, Ingress in policyTypes (or implied), and no ingress rules.
pub(crate) fn is_default_deny_ingress(np: &Node) -> bool {
    let spec = np.get("spec");
    let Some(spec) = spec else { return false };
    let types: Vec<String> = spec
        .get("policyTypes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    let covers_ingress = types.is_empty() || types.iter().any(|t| t == "Ingress");
    covers_ingress
        && empty_selector(spec.get("podSelector"))
        && spec.get("ingress").is_none_or(|i| i.items().is_empty())
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for obj in ctx.objects {
        d.set_resource(resource_id(obj));
        match kind(obj) {
            "Namespace" => {
                let ns = name(obj);
                if matches!(ns, "kube-system" | "kube-public" | "kube-node-lease") {
                    continue;
                }
                let covered = ctx.cluster.has_default_deny(ns);
                if !covered {
                    d.fail(&NO_DEFAULT_DENY, (obj.line, obj.line), format!("namespace {ns} has no default-deny ingress NetworkPolicy in the scanned manifests"));
                }
            }
            "NetworkPolicy" => {
                for rule in obj
                    .at(&["spec", "ingress"])
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    let from = rule.get("from").map(Node::items).unwrap_or_default();
                    let open_cidr = from.iter().any(|f| {
                        matches!(
                            f.at(&["ipBlock", "cidr"]).and_then(Node::as_str),
                            Some("0.0.0.0/0" | "::/0")
                        )
                    });
                    if (from.is_empty() && rule.get("ports").is_none_or(|p| p.items().is_empty()))
                        || open_cidr
                    {
                        d.fail(
                            &ALLOW_ALL_INGRESS,
                            (rule.line, rule.end_line),
                            format!("{} admits all ingress", resource_id(obj)),
                        );
                    }
                }
            }
            "Service" => {
                let spec = obj.get("spec");
                let ty = spec.and_then(|s| s.get("type"));
                let at = ty.map_or((obj.line, obj.line), |t| (t.line, t.line));
                match ty.and_then(Node::as_str) {
                    Some("NodePort") => d.fail(&NODEPORT, at, "Service type NodePort"),
                    Some("LoadBalancer")
                        if spec
                            .and_then(|s| s.get("loadBalancerSourceRanges"))
                            .is_none_or(|r| r.items().is_empty()) =>
                    {
                        d.fail(
                            &OPEN_LOADBALANCER,
                            at,
                            "LoadBalancer without loadBalancerSourceRanges",
                        )
                    }
                    _ => {}
                }
                if let Some(ips) = spec
                    .and_then(|s| s.get("externalIPs"))
                    .filter(|i| !i.items().is_empty())
                {
                    d.fail(
                        &EXTERNAL_IPS,
                        (ips.line, ips.end_line),
                        "Service sets externalIPs",
                    );
                }
            }
            "Ingress" => {
                if obj
                    .at(&["spec", "tls"])
                    .is_none_or(|t| t.items().is_empty())
                {
                    d.fail(
                        &INGRESS_NO_TLS,
                        (obj.line, obj.line),
                        format!("{} has no tls", resource_id(obj)),
                    );
                }
                for (k, _) in obj
                    .at(&["metadata", "annotations"])
                    .map(Node::entries)
                    .unwrap_or_default()
                {
                    if let Some(key) = k.as_str()
                        && key.starts_with("nginx.ingress.kubernetes.io/")
                        && key.ends_with("-snippet")
                    {
                        d.fail(
                            &NGINX_SNIPPETS,
                            (k.line, k.line),
                            format!("annotation {key}"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
