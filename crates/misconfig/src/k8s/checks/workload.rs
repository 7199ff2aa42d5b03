//! Workload hardening beyond PSS: resources, root filesystem, tokens, images, secrets in env,
//! host mounts, capabilities, IDs, probes, placement.

use super::{Ctx, Family, Workload, csc};
use crate::catalog::{Diags, meta};
use crate::k8s::manifest::{ContainerKind, container_name};
use crate::k8s::yaml::Node;
use crate::secret_names::secret_name;

meta!(
    CPU_LIMIT,
    "OSP-K8S-001",
    Low,
    "CPU limit not set",
    "Without a CPU limit one container can starve others on the node.",
    "Set resources.limits.cpu.",
    [
        "checkov:CKV_K8S_11",
        "trivy:KSV-0011",
        "kubeaudit:limits",
        "kube-score:container-resources"
    ]
);
meta!(
    MEMORY_LIMIT,
    "OSP-K8S-002",
    Low,
    "Memory limit not set",
    "Without a memory limit one container can exhaust node memory and trigger evictions.",
    "Set resources.limits.memory.",
    [
        "checkov:CKV_K8S_13",
        "trivy:KSV-0018",
        "kubeaudit:limits",
        "kube-score:container-resources"
    ]
);
meta!(
    CPU_REQUEST,
    "OSP-K8S-003",
    Low,
    "CPU request not set",
    "Without a CPU request the scheduler cannot place the pod sensibly.",
    "Set resources.requests.cpu.",
    [
        "checkov:CKV_K8S_10",
        "trivy:KSV-0015",
        "kube-score:container-resources"
    ]
);
meta!(
    MEMORY_REQUEST,
    "OSP-K8S-004",
    Low,
    "Memory request not set",
    "Without a memory request the scheduler cannot place the pod sensibly.",
    "Set resources.requests.memory.",
    [
        "checkov:CKV_K8S_12",
        "trivy:KSV-0016",
        "kube-score:container-resources"
    ]
);
meta!(
    READ_ONLY_ROOT,
    "OSP-K8S-005",
    Medium,
    "Root filesystem is writable",
    "A writable root filesystem lets an attacker drop tools and persist changes in the container.",
    "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir where writes are needed.",
    [
        "checkov:CKV_K8S_22",
        "trivy:KSV-0014",
        "kubeaudit:rootfs",
        "kube-score:container-security-context-readonlyrootfilesystem"
    ]
);
meta!(
    SA_TOKEN,
    "OSP-K8S-006",
    Medium,
    "Service account token mounted",
    "The pod gets an API token it likely does not need; a compromise of the pod becomes access to the API.",
    "Set automountServiceAccountToken: false on the pod (or its service account).",
    [
        "checkov:CKV_K8S_38",
        "trivy:KSV-0036",
        "kubeaudit:asat",
        "cis:5.1.6"
    ]
);
meta!(
    DEFAULT_SA,
    "OSP-K8S-007",
    Low,
    "Pod uses the default service account",
    "Sharing the namespace's default service account makes every pod carry the same permissions.",
    "Create a dedicated ServiceAccount and set serviceAccountName.",
    ["kubeaudit:asat", "cis:5.1.5"]
);
meta!(
    IMAGE_TAG,
    "OSP-K8S-008",
    Medium,
    "Image tag missing or latest",
    "Untagged or `latest` images change under the same name; what runs is not what was reviewed.",
    "Use a version tag, better a digest.",
    [
        "checkov:CKV_K8S_14",
        "trivy:KSV-0013",
        "kubeaudit:image",
        "kube-score:container-image-tag"
    ]
);
meta!(
    IMAGE_DIGEST,
    "OSP-K8S-009",
    Low,
    "Image not pinned by digest",
    "Tags can be re-pointed; only a digest pins the image content.",
    "Use image@sha256:....",
    ["checkov:CKV_K8S_43"]
);
meta!(
    PULL_POLICY,
    "OSP-K8S-010",
    Low,
    "imagePullPolicy is not Always",
    "Without Always, a node may run a cached image that another tenant pulled, skipping registry authorisation.",
    "Set imagePullPolicy: Always (or pin by digest).",
    [
        "checkov:CKV_K8S_15",
        "kube-score:container-image-pull-policy"
    ]
);
meta!(
    ENV_LITERAL_SECRET,
    "OSP-K8S-011",
    High,
    "Secret value written in the manifest",
    "An environment variable with a secret-like name has a literal value in the manifest.",
    "Store the value in a Secret (or an external secret store) and reference it.",
    ["polaris:sensitiveContainerEnvVar"]
);
meta!(
    ENV_SECRET_REF,
    "OSP-K8S-012",
    Low,
    "Secret exposed as an environment variable",
    "Secrets in environment variables leak through logs, crash dumps and child processes; files are safer.",
    "Mount the Secret as a volume.",
    [
        "checkov:CKV_K8S_35",
        "kubesec:SecretsAsEnvironmentVariables",
        "cis:5.4.1"
    ]
);
meta!(
    RUNTIME_SOCKET,
    "OSP-K8S-013",
    Critical,
    "Container runtime socket mounted",
    "Access to the Docker, containerd or CRI-O socket is root on the node.",
    "Remove the hostPath mount of the runtime socket.",
    [
        "checkov:CKV_K8S_27",
        "trivy:KSV-0006",
        "kubeaudit:mounts",
        "kubesec:DockerSock"
    ]
);
meta!(
    SENSITIVE_HOSTPATH,
    "OSP-K8S-014",
    High,
    "Sensitive host path mounted",
    "Mounting /, /etc, /proc, /sys, /root, /var/lib/kubelet or similar host paths exposes node credentials and control.",
    "Remove the hostPath volume or mount a narrow, read-only path.",
    ["trivy:KSV-0121", "kubeaudit:mounts", "kubesec:ProcMount"]
);
meta!(
    SYS_ADMIN,
    "OSP-K8S-015",
    High,
    "CAP_SYS_ADMIN added",
    "SYS_ADMIN is close to full root on the node (mounts, namespaces, BPF).",
    "Remove SYS_ADMIN from capabilities.add.",
    [
        "checkov:CKV_K8S_39",
        "trivy:KSV-0005",
        "kubesec:CapSysAdmin",
        "kubeaudit:capabilities"
    ]
);
meta!(
    NET_RAW,
    "OSP-K8S-016",
    Medium,
    "NET_RAW not dropped",
    "NET_RAW allows packet spoofing and ARP/DNS poisoning inside the node network.",
    "Drop ALL (or NET_RAW) capabilities.",
    [
        "checkov:CKV_K8S_28",
        "trivy:KSV-0119",
        "kubeaudit:capabilities",
        "cis:5.2.8"
    ]
);
meta!(
    DANGEROUS_CAPS,
    "OSP-K8S-017",
    High,
    "Dangerous capability added",
    "SYS_MODULE, SYS_PTRACE, SYS_RAWIO, SYS_BOOT, BPF, PERFMON, NET_ADMIN, DAC_READ_SEARCH or ALL give ways out of the container.",
    "Remove the capability.",
    [
        "trivy:KSV-0120",
        "checkov:CKV_K8S_25",
        "polaris:dangerousCapabilities"
    ]
);
meta!(
    LOW_UID,
    "OSP-K8S-018",
    Low,
    "runAsUser below 10000",
    "Low UIDs may coincide with host users, which matters when a container escapes.",
    "Run as a UID above 10000.",
    ["checkov:CKV_K8S_40", "trivy:KSV-0020", "kubesec:RunAsUser"]
);
meta!(
    ROOT_GROUP,
    "OSP-K8S-019",
    Low,
    "runAsGroup is 0 or below 10000",
    "Running as GID 0 grants access to root-group files; low GIDs may coincide with host groups.",
    "Set runAsGroup above 10000.",
    ["trivy:KSV-0021", "trivy:KSV-0116", "kubesec:RunAsGroup"]
);
meta!(
    NO_SECURITY_CONTEXT,
    "OSP-K8S-020",
    Medium,
    "No securityContext",
    "Neither the pod nor the container sets a securityContext, so every runtime default applies.",
    "Set a securityContext with runAsNonRoot, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile.",
    ["checkov:CKV_K8S_30", "trivy:KSV-0118", "cis:5.6.3"]
);
meta!(
    LIVENESS,
    "OSP-K8S-021",
    Low,
    "Liveness probe missing",
    "Without a liveness probe a hung container keeps running.",
    "Add livenessProbe.",
    [
        "checkov:CKV_K8S_8",
        "kube-score:pod-probes",
        "polaris:livenessProbeMissing"
    ]
);
meta!(
    READINESS,
    "OSP-K8S-022",
    Low,
    "Readiness probe missing",
    "Without a readiness probe traffic reaches containers before they are ready.",
    "Add readinessProbe.",
    [
        "checkov:CKV_K8S_9",
        "kube-score:pod-probes",
        "polaris:readinessProbeMissing"
    ]
);
meta!(
    DEFAULT_NAMESPACE,
    "OSP-K8S-023",
    Low,
    "Object in the default namespace",
    "The default namespace has no separation from everything else deployed carelessly.",
    "Set metadata.namespace to a dedicated namespace.",
    ["checkov:CKV_K8S_21", "trivy:KSV-0110", "cis:5.6.4"]
);
meta!(
    KUBE_SYSTEM,
    "OSP-K8S-024",
    Medium,
    "Workload in kube-system",
    "User workloads in kube-system run next to control-plane components and their secrets.",
    "Deploy into a dedicated namespace.",
    ["trivy:KSV-0037"]
);
meta!(
    HOST_ALIASES,
    "OSP-K8S-025",
    Low,
    "hostAliases set",
    "hostAliases rewrite /etc/hosts and can redirect traffic for names the pod trusts.",
    "Use DNS instead of hostAliases.",
    ["trivy:KSV-0007", "kubesec:HostAliases"]
);
meta!(
    DEPRECATED_API,
    "OSP-K8S-026",
    Medium,
    "Deprecated or removed apiVersion",
    "The apiVersion is deprecated or removed; the object will not apply to current clusters.",
    "Use the current apiVersion.",
    [
        "trivy:KSV-0107",
        "kubeaudit:deprecatedapis",
        "kube-score:stable-version"
    ]
);
meta!(
    SHARE_PROCESS_NS,
    "OSP-K8S-027",
    Low,
    "shareProcessNamespace enabled",
    "Containers of the pod can see and signal each other's processes and read their /proc, including secrets in environments.",
    "Remove shareProcessNamespace unless a sidecar truly needs it.",
    []
);

pub(super) const FAMILY: Family = Family {
    name: "workload",
    checks: &[
        &CPU_LIMIT,
        &MEMORY_LIMIT,
        &CPU_REQUEST,
        &MEMORY_REQUEST,
        &READ_ONLY_ROOT,
        &SA_TOKEN,
        &DEFAULT_SA,
        &IMAGE_TAG,
        &IMAGE_DIGEST,
        &PULL_POLICY,
        &ENV_LITERAL_SECRET,
        &ENV_SECRET_REF,
        &RUNTIME_SOCKET,
        &SENSITIVE_HOSTPATH,
        &SYS_ADMIN,
        &NET_RAW,
        &DANGEROUS_CAPS,
        &LOW_UID,
        &ROOT_GROUP,
        &NO_SECURITY_CONTEXT,
        &LIVENESS,
        &READINESS,
        &DEFAULT_NAMESPACE,
        &KUBE_SYSTEM,
        &HOST_ALIASES,
        &DEPRECATED_API,
        &SHARE_PROCESS_NS,
    ],
    run: check,
};

const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/var/run",
    "/run",
];
const SENSITIVE_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/boot",
    "/dev",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
    "/home",
    "/var/log",
    "/var/lib/etcd",
];
const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "BPF",
    "PERFMON",
    "NET_ADMIN",
    "DAC_READ_SEARCH",
    "SYS_TIME",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
];

/// Removed or deprecated group/versions by kind (empty kind list: every kind in that group).
const DEPRECATED: &[(&str, &[&str])] = &[
    ("extensions/v1beta1", &[]),
    ("apps/v1beta1", &[]),
    ("apps/v1beta2", &[]),
    ("batch/v1beta1", &["CronJob"]),
    ("batch/v2alpha1", &[]),
    (
        "policy/v1beta1",
        &["PodSecurityPolicy", "PodDisruptionBudget"],
    ),
    ("rbac.authorization.k8s.io/v1beta1", &[]),
    ("rbac.authorization.k8s.io/v1alpha1", &[]),
    ("networking.k8s.io/v1beta1", &["Ingress", "IngressClass"]),
    ("autoscaling/v2beta1", &[]),
    ("autoscaling/v2beta2", &[]),
    ("admissionregistration.k8s.io/v1beta1", &[]),
    ("apiextensions.k8s.io/v1beta1", &[]),
    ("scheduling.k8s.io/v1beta1", &[]),
    (
        "storage.k8s.io/v1beta1",
        &[
            "CSIDriver",
            "CSINode",
            "StorageClass",
            "VolumeAttachment",
            "CSIStorageCapacity",
        ],
    ),
    ("discovery.k8s.io/v1beta1", &[]),
    ("events.k8s.io/v1beta1", &[]),
    ("flowcontrol.apiserver.k8s.io/v1beta1", &[]),
    ("flowcontrol.apiserver.k8s.io/v1beta2", &[]),
];

/// Built-in namespaced kinds. Other kinds (cluster-scoped ones, custom resources, and files
/// that only look like objects, such as kubeconfig `Config` or `Kustomization`) are not
/// judged on their namespace.
const NAMESPACED: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Ingress",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "LimitRange",
    "ResourceQuota",
    "Endpoints",
    "EndpointSlice",
    "Lease",
];

fn image_tag(image: &str) -> (Option<&str>, bool) {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, t)| t), digest)
}

fn caps(c: &Node, field: &str) -> Vec<(usize, String)> {
    csc(c, &["capabilities", field])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|n| {
            (
                n.line,
                n.scalar_text()
                    .unwrap_or_default()
                    .to_ascii_uppercase()
                    .trim_start_matches("CAP_")
                    .to_string(),
            )
        })
        .collect()
}

fn check(ctx: &Ctx<'_>, d: &mut Diags) {
    for obj in ctx.objects {
        d.set_resource(crate::k8s::manifest::resource_id(obj));
        let kind = crate::k8s::manifest::kind(obj);
        let api = obj.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        if let Some((_, kinds)) = DEPRECATED.iter().find(|(gv, _)| *gv == api)
            && (kinds.is_empty() || kinds.contains(&kind))
        {
            d.fail(
                &DEPRECATED_API,
                (obj.line, obj.line),
                format!("{kind} uses {api}"),
            );
        }
        if NAMESPACED.contains(&kind) {
            match crate::k8s::manifest::namespace(obj) {
                None | Some("default") => {
                    let line = obj
                        .at(&["metadata", "namespace"])
                        .map_or(obj.line, |n| n.line);
                    d.fail(
                        &DEFAULT_NAMESPACE,
                        (line, line),
                        format!("{kind} is in the default namespace"),
                    );
                }
                _ => {}
            }
        }
    }
    for w in ctx.workloads() {
        d.set_resource(crate::k8s::manifest::resource_id(w.obj));
        workload(&w, d);
    }
}

fn workload(w: &Workload<'_>, d: &mut Diags) {
    let spec = w.spec;
    let is_job = matches!(w.kind(), "Job" | "CronJob");
    if crate::k8s::manifest::namespace(w.obj) == Some("kube-system") {
        d.fail(
            &KUBE_SYSTEM,
            (w.obj.line, w.obj.line),
            "workload in kube-system",
        );
    }
    if let Some(n) = spec.get("hostAliases").filter(|n| !n.items().is_empty()) {
        d.fail(
            &HOST_ALIASES,
            (n.line, n.line),
            "hostAliases rewrite /etc/hosts",
        );
    }
    if let Some(n) = spec
        .get("shareProcessNamespace")
        .filter(|n| n.as_bool() == Some(true))
    {
        d.fail(
            &SHARE_PROCESS_NS,
            (n.line, n.line),
            "shareProcessNamespace: true",
        );
    }
    match spec
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool)
    {
        Some(false) => {}
        _ => d.fail(
            &SA_TOKEN,
            (spec.line, spec.line),
            "automountServiceAccountToken is not false",
        ),
    }
    let sa = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Node::as_str);
    if sa.is_none_or(|s| s.is_empty() || s == "default") {
        d.fail(
            &DEFAULT_SA,
            (spec.line, spec.line),
            "pod runs as the default service account",
        );
    }
    for vol in spec.get("volumes").map(Node::items).unwrap_or_default() {
        let Some(path) = vol.at(&["hostPath", "path"]).and_then(Node::as_str) else {
            continue;
        };
        let p = path.trim_end_matches('/');
        let p = if p.is_empty() { "/" } else { p };
        let line = vol.line;
        if SOCKETS.contains(&p)
            || (p.ends_with(".sock")
                && (p.contains("docker") || p.contains("containerd") || p.contains("crio")))
        {
            d.fail(&RUNTIME_SOCKET, (line, line), format!("hostPath {path}"));
        } else if SENSITIVE_PATHS.contains(&p)
            || SENSITIVE_PATHS.iter().any(|s| {
                *s != "/"
                    && p.starts_with(&format!("{s}/"))
                    && matches!(
                        *s,
                        "/proc" | "/sys" | "/etc/kubernetes" | "/var/lib/kubelet"
                    )
            })
        {
            d.fail(
                &SENSITIVE_HOSTPATH,
                (line, line),
                format!("hostPath {path}"),
            );
        }
    }
    let pod_sc = spec
        .get("securityContext")
        .filter(|n| !n.entries().is_empty());
    let pod_uid = pod_sc
        .and_then(|s| s.get("runAsUser"))
        .and_then(Node::as_i64);
    let pod_gid = pod_sc
        .and_then(|s| s.get("runAsGroup"))
        .and_then(Node::as_i64);
    for (ck, c) in w.containers() {
        let name = container_name(c);
        let at = (c.line, c.line);
        if ck != ContainerKind::Ephemeral {
            for (meta, path) in [
                (&CPU_LIMIT, ["limits", "cpu"]),
                (&MEMORY_LIMIT, ["limits", "memory"]),
                (&CPU_REQUEST, ["requests", "cpu"]),
                (&MEMORY_REQUEST, ["requests", "memory"]),
            ] {
                if c.at(&["resources", path[0], path[1]])
                    .is_none_or(Node::is_null)
                {
                    d.fail(
                        meta,
                        at,
                        format!(
                            "container \"{name}\" has no resources.{}.{}",
                            path[0], path[1]
                        ),
                    );
                }
            }
        }
        if ck == ContainerKind::Regular && !is_job {
            if c.get("livenessProbe").is_none() {
                d.fail(
                    &LIVENESS,
                    at,
                    format!("container \"{name}\" has no livenessProbe"),
                );
            }
            if c.get("readinessProbe").is_none() {
                d.fail(
                    &READINESS,
                    at,
                    format!("container \"{name}\" has no readinessProbe"),
                );
            }
        }
        if csc(c, &["readOnlyRootFilesystem"]).and_then(Node::as_bool) != Some(true) {
            d.fail(
                &READ_ONLY_ROOT,
                at,
                format!("container \"{name}\" root filesystem is writable"),
            );
        }
        if let Some(image) = c.get("image").and_then(Node::as_str) {
            let (tag, digest) = image_tag(image);
            let line = c.get("image").map_or(c.line, |n| n.line);
            if !digest && tag.is_none_or(|t| t == "latest") {
                d.fail(&IMAGE_TAG, (line, line), format!("image {image}"));
            }
            if !digest {
                d.fail(
                    &IMAGE_DIGEST,
                    (line, line),
                    format!("image {image} is not pinned by digest"),
                );
            }
            if c.get("imagePullPolicy").and_then(Node::as_str) != Some("Always") && !digest {
                d.fail(
                    &PULL_POLICY,
                    (line, line),
                    format!("container \"{name}\" imagePullPolicy is not Always"),
                );
            }
        }
        for env in c.get("env").map(Node::items).unwrap_or_default() {
            let var = env.get("name").and_then(Node::as_str).unwrap_or("");
            if env.at(&["valueFrom", "secretKeyRef"]).is_some() {
                d.fail(
                    &ENV_SECRET_REF,
                    (env.line, env.line),
                    format!("container \"{name}\" env {var} comes from a Secret"),
                );
            } else if secret_name(var)
                && env
                    .get("value")
                    .and_then(Node::scalar_text)
                    .is_some_and(|v| !v.is_empty() && !v.starts_with("$("))
            {
                d.fail(
                    &ENV_LITERAL_SECRET,
                    (env.line, env.line),
                    format!("container \"{name}\" env {var} has a literal value"),
                );
            }
        }
        for src in c.get("envFrom").map(Node::items).unwrap_or_default() {
            if src.get("secretRef").is_some() {
                d.fail(
                    &ENV_SECRET_REF,
                    (src.line, src.line),
                    format!("container \"{name}\" imports a Secret with envFrom"),
                );
            }
        }
        let added = caps(c, "add");
        let dropped = caps(c, "drop");
        for (line, cap) in &added {
            if cap == "SYS_ADMIN" {
                d.fail(
                    &SYS_ADMIN,
                    (*line, *line),
                    format!("container \"{name}\" adds SYS_ADMIN"),
                );
            } else if DANGEROUS.contains(&cap.as_str()) {
                d.fail(
                    &DANGEROUS_CAPS,
                    (*line, *line),
                    format!("container \"{name}\" adds {cap}"),
                );
            }
        }
        let drops_net_raw = dropped.iter().any(|(_, c)| c == "ALL" || c == "NET_RAW");
        if !drops_net_raw || added.iter().any(|(_, c)| c == "NET_RAW") {
            d.fail(&NET_RAW, at, format!("container \"{name}\" keeps NET_RAW"));
        }
        let uid = csc(c, &["runAsUser"]).and_then(Node::as_i64).or(pod_uid);
        if uid.is_none_or(|u| u < 10000) {
            d.fail(
                &LOW_UID,
                at,
                format!(
                    "container \"{name}\" runAsUser {}",
                    uid.map_or("unset".into(), |u| u.to_string())
                ),
            );
        }
        let gid = csc(c, &["runAsGroup"]).and_then(Node::as_i64).or(pod_gid);
        if gid.is_some_and(|g| g < 10000) {
            d.fail(
                &ROOT_GROUP,
                at,
                format!("container \"{name}\" runAsGroup {}", gid.unwrap_or(0)),
            );
        }
        if pod_sc.is_none()
            && c.get("securityContext")
                .is_none_or(|s| s.entries().is_empty())
        {
            d.fail(
                &NO_SECURITY_CONTEXT,
                at,
                format!("container \"{name}\" has no securityContext"),
            );
        }
    }
}
