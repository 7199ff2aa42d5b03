//! RBAC: what Roles and ClusterRoles grant, and who bindings hand them to.

use super::{Ctx, Family};
use crate::catalog::{CheckMeta, Diags, meta};
use crate::k8s::manifest::{kind, resource_id};
use crate::k8s::yaml::Node;

meta!(
    WILDCARD,
    "OSP-K8S-040",
    High,
    "Role uses wildcards",
    "`*` in verbs, resources or apiGroups grants everything, including what is added to the API later.",
    "List the verbs, resources and groups needed.",
    [
        "checkov:CKV_K8S_49",
        "trivy:KSV-0044",
        "trivy:KSV-0045",
        "trivy:KSV-0046",
        "cis:5.1.3"
    ]
);
meta!(
    READ_SECRETS,
    "OSP-K8S-041",
    High,
    "Role can read Secrets",
    "get/list/watch on secrets reveals every credential in scope, including service account tokens.",
    "Limit secret access to named secrets (resourceNames) or remove it.",
    ["checkov:CKV2_K8S_5", "trivy:KSV-0041", "cis:5.1.2"]
);
meta!(
    CREATE_PODS,
    "OSP-K8S-042",
    Medium,
    "Role can create workloads",
    "Creating pods (directly or through controllers) lets the holder run any image with any service account in scope.",
    "Restrict workload creation to deployment tooling.",
    ["trivy:KSV-0048", "cis:5.1.4"]
);
meta!(
    POD_EXEC,
    "OSP-K8S-043",
    High,
    "Role can exec or attach into pods",
    "pods/exec and pods/attach give a shell in running containers and their secrets.",
    "Remove pods/exec and pods/attach.",
    ["checkov:CKV2_K8S_2", "trivy:KSV-0053", "trivy:KSV-0054"]
);
meta!(
    NODE_PROXY,
    "OSP-K8S-044",
    High,
    "Role can use nodes/proxy",
    "nodes/proxy reaches the kubelet API, which can run commands in any pod on the node.",
    "Remove nodes/proxy.",
    ["checkov:CKV2_K8S_2", "trivy:KSV-0047", "cis:5.1.10"]
);
meta!(
    IMPERSONATE,
    "OSP-K8S-045",
    Critical,
    "Role can impersonate",
    "impersonate lets the holder act as any user, group or service account.",
    "Remove the impersonate verb.",
    ["checkov:CKV2_K8S_3", "trivy:KSV-0043", "cis:5.1.8"]
);
meta!(
    ESCALATE_BIND,
    "OSP-K8S-046",
    Critical,
    "Role can escalate or bind roles",
    "escalate and bind bypass RBAC's privilege-escalation prevention.",
    "Remove the escalate and bind verbs.",
    [
        "checkov:CKV_K8S_157",
        "checkov:CKV_K8S_158",
        "checkov:CKV2_K8S_1",
        "trivy:KSV-0050",
        "cis:5.1.8"
    ]
);
meta!(
    WEBHOOKS,
    "OSP-K8S-047",
    High,
    "Role can change admission webhooks",
    "Writing webhook configurations lets the holder intercept or disable admission control.",
    "Remove write access to mutating/validating webhook configurations.",
    ["checkov:CKV_K8S_155", "trivy:KSV-0114", "cis:5.1.12"]
);
meta!(
    APPROVE_CSR,
    "OSP-K8S-048",
    High,
    "Role can approve certificate signing requests",
    "Approving CSRs (update on certificatesigningrequests/approval plus approve on a signer) can mint client certificates for any identity, including system:masters.",
    "Remove update on certificatesigningrequests/approval and approve on signers.",
    ["checkov:CKV_K8S_156", "cis:5.1.11"]
);
meta!(
    CLUSTER_ADMIN,
    "OSP-K8S-049",
    High,
    "Binding to cluster-admin",
    "cluster-admin is unrestricted; bindings to it should be rare and reviewed.",
    "Bind a narrower role.",
    [
        "trivy:KSV-0111",
        "polaris:clusterrolebindingClusterAdmin",
        "cis:5.1.1"
    ]
);
meta!(
    ANONYMOUS,
    "OSP-K8S-050",
    Critical,
    "Binding to anonymous or all authenticated users",
    "Subjects system:anonymous, system:unauthenticated or system:authenticated hand the role to everyone who can reach the API.",
    "Bind specific users, groups or service accounts.",
    ["trivy:KSV-0122", "kubesec:BindingsToSystemAnonymous"]
);
meta!(
    MASTERS,
    "OSP-K8S-051",
    High,
    "Binding to system:masters",
    "system:masters bypasses RBAC entirely; binding roles to it is meaningless and signals misuse.",
    "Do not reference system:masters.",
    ["trivy:KSV-0123", "cis:5.1.7"]
);
meta!(
    CREATE_PV,
    "OSP-K8S-052",
    Medium,
    "Role can create PersistentVolumes",
    "Creating PersistentVolumes allows hostPath volumes that bypass pod-level restrictions.",
    "Remove create on persistentvolumes.",
    ["cis:5.1.9"]
);
meta!(
    CREATE_TOKEN,
    "OSP-K8S-053",
    High,
    "Role can create service account tokens",
    "create on serviceaccounts/token mints API tokens for service accounts in scope.",
    "Remove create on serviceaccounts/token.",
    []
);

pub(super) const FAMILY: Family = Family {
    name: "rbac",
    checks: &[
        &WILDCARD,
        &READ_SECRETS,
        &CREATE_PODS,
        &POD_EXEC,
        &NODE_PROXY,
        &IMPERSONATE,
        &ESCALATE_BIND,
        &WEBHOOKS,
        &APPROVE_CSR,
        &CLUSTER_ADMIN,
        &ANONYMOUS,
        &MASTERS,
        &CREATE_PV,
        &CREATE_TOKEN,
    ],
    run: check,
};

struct Rule<'a> {
    node: &'a Node,
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::scalar_text)
        .collect()
}

impl Rule<'_> {
    /// True when the rule grants any of `verbs` on any of `(group, resource)`.
    fn grants(&self, targets: &[(&str, &str)], verbs: &[&str]) -> bool {
        let verb = self
            .verbs
            .iter()
            .any(|v| v == "*" || verbs.contains(&v.as_str()));
        let target = targets.iter().any(|(g, r)| {
            (self.groups.iter().any(|x| x == "*" || x == g))
                && self.resources.iter().any(|x| {
                    x == "*"
                        || x == r
                        || (x.ends_with("/*") && r.starts_with(x.trim_end_matches('*')))
                })
        });
        verb && target
    }
}

const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];

fn role_checks(obj: &Node, d: &mut Diags) {
    let name = resource_id(obj);
    let mut csr_approval = None;
    let mut csr_signers = None;
    for node in obj.get("rules").map(Node::items).unwrap_or_default() {
        let rule = Rule {
            node,
            groups: strings(node.get("apiGroups")),
            resources: strings(node.get("resources")),
            verbs: strings(node.get("verbs")),
        };
        let line = (rule.node.line, rule.node.end_line);
        let mut fail =
            |meta: &'static CheckMeta, what: &str| d.fail(meta, line, format!("{name} {what}"));
        if rule.verbs.iter().any(|v| v == "*")
            || rule.resources.iter().any(|r| r == "*")
            || rule.groups.iter().any(|g| g == "*")
        {
            fail(&WILDCARD, "uses a wildcard");
        }
        // A rule limited to named objects is not a blanket grant.
        let named = !strings(rule.node.get("resourceNames")).is_empty();
        if !named && rule.grants(&[("", "secrets")], &["get", "list", "watch"]) {
            fail(&READ_SECRETS, "can read secrets");
        }
        if rule.grants(WORKLOADS, &["create"]) {
            fail(&CREATE_PODS, "can create workloads");
        }
        if rule.grants(
            &[("", "pods/exec"), ("", "pods/attach")],
            &["create", "get"],
        ) {
            fail(&POD_EXEC, "can exec/attach into pods");
        }
        if rule.grants(
            &[("", "nodes/proxy")],
            &[
                "get", "create", "update", "patch", "delete", "list", "watch",
            ],
        ) {
            fail(&NODE_PROXY, "can use nodes/proxy");
        }
        if rule.grants(
            &[
                ("", "users"),
                ("", "groups"),
                ("", "serviceaccounts"),
                ("authentication.k8s.io", "userextras"),
                ("authentication.k8s.io", "uids"),
            ],
            &["impersonate"],
        ) {
            fail(&IMPERSONATE, "can impersonate");
        }
        // `bind` is authorised on roles; peers also look for it on the binding kinds.
        let rbac = [
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
            ("rbac.authorization.k8s.io", "rolebindings"),
            ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ];
        if rule.grants(&rbac, &["escalate", "bind"]) {
            fail(&ESCALATE_BIND, "can escalate or bind roles");
        }
        let hooks = [
            (
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
            ),
            (
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
        ];
        if rule.grants(&hooks, WRITE) {
            fail(&WEBHOOKS, "can change admission webhooks");
        }
        // Approving takes both: update on the approval subresource and approve on a signer.
        if rule.grants(
            &[("certificates.k8s.io", "certificatesigningrequests/approval")],
            &["update", "patch"],
        ) {
            csr_approval.get_or_insert(line);
        }
        if rule.grants(&[("certificates.k8s.io", "signers")], &["approve"]) {
            csr_signers.get_or_insert(line);
        }
        if rule.grants(&[("", "persistentvolumes")], &["create"]) {
            fail(&CREATE_PV, "can create PersistentVolumes");
        }
        if rule.grants(&[("", "serviceaccounts/token")], &["create"]) {
            fail(&CREATE_TOKEN, "can create service account tokens");
        }
    }
    if let (Some(first), Some(_)) = (csr_approval, csr_signers) {
        d.fail(&APPROVE_CSR, first, format!("{name} can approve CSRs"));
    }
}

fn binding_checks(obj: &Node, d: &mut Diags) {
    let name = resource_id(obj);
    if let Some(r) = obj.get("roleRef")
        && r.get("kind").and_then(Node::as_str) == Some("ClusterRole")
        && r.get("name").and_then(Node::as_str) == Some("cluster-admin")
    {
        d.fail(
            &CLUSTER_ADMIN,
            (r.line, r.end_line),
            format!("{name} binds cluster-admin"),
        );
    }
    for s in obj.get("subjects").map(Node::items).unwrap_or_default() {
        let subject = s.get("name").and_then(Node::as_str).unwrap_or("");
        if matches!(
            subject,
            "system:anonymous" | "system:unauthenticated" | "system:authenticated"
        ) {
            d.fail(
                &ANONYMOUS,
                (s.line, s.end_line),
                format!("{name} binds {subject}"),
            );
        }
        if subject == "system:masters" {
            d.fail(
                &MASTERS,
                (s.line, s.end_line),
                format!("{name} binds system:masters"),
            );
        }
    }
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for obj in ctx.objects {
        d.set_resource(resource_id(obj));
        match kind(obj) {
            "Role" | "ClusterRole" => role_checks(obj, d),
            "RoleBinding" | "ClusterRoleBinding" => binding_checks(obj, d),
            _ => {}
        }
    }
}
