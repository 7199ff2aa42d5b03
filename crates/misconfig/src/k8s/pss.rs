//! Pod Security Standards, modelled as upstream (`k8s.io/pod-security-admission/policy`)
//! models them: each check has an ID, a level and a list of versioned implementations; at a
//! given level and version the newest implementation not newer than the version applies; a
//! restricted check's `overrides` switch off the baseline checks it supersedes. "Containers"
//! always means init, regular and ephemeral containers.
//!
//! Finding IDs are `pss:<checkID>`.

use super::manifest::{ContainerKind, container_name, containers};
use super::yaml::Node;
use crate::catalog::{CheckMeta, meta};
use crate::{PssLevel, PssVersion};

/// The newest PSS version these definitions know (`latest`).
pub const LATEST_MINOR: u32 = 37;

/// One versioned implementation of a check.
pub struct Implementation {
    /// First Kubernetes 1.N version it applies to.
    pub min_minor: u32,
    /// Baseline check IDs this (restricted) check replaces.
    pub overrides: &'static [&'static str],
    /// Returns the violations, empty when the pod is allowed.
    pub eval: fn(&Pod<'_>) -> Vec<Violation>,
}

/// A PSS check.
pub struct PssCheck {
    /// Upstream ID (`privileged`, `runAsNonRoot`).
    pub id: &'static str,
    /// Level.
    pub level: PssLevel,
    /// Finding metadata (ID `pss:<id>`).
    pub meta: &'static CheckMeta,
    /// Implementations, oldest first.
    pub versions: &'static [Implementation],
}

/// Something that is not allowed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// 1-based line of the offending field.
    pub line: usize,
    /// What is not allowed.
    pub message: String,
}

/// The pod under evaluation.
pub struct Pod<'a> {
    /// Pod metadata (annotations).
    pub metadata: Option<&'a Node>,
    /// Pod spec.
    pub spec: &'a Node,
}

impl<'a> Pod<'a> {
    fn pod_sc(&self, path: &[&str]) -> Option<&'a Node> {
        self.spec.get("securityContext").and_then(|s| s.at(path))
    }

    fn containers(&self) -> Vec<(ContainerKind, &'a Node)> {
        containers(self.spec)
    }

    fn is_windows(&self) -> bool {
        self.spec.at(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    fn host_users_false(&self) -> bool {
        self.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
    }
}

fn csc<'a>(c: &'a Node, path: &[&str]) -> Option<&'a Node> {
    c.get("securityContext").and_then(|s| s.at(path))
}

fn v(line: usize, message: impl Into<String>) -> Violation {
    Violation {
        line,
        message: message.into(),
    }
}

fn cname(kind: ContainerKind, c: &Node) -> String {
    let prefix = match kind {
        ContainerKind::Init => "init container",
        ContainerKind::Regular => "container",
        ContainerKind::Ephemeral => "ephemeral container",
    };
    format!("{prefix} \"{}\"", container_name(c))
}

// ---- baseline ----

fn host_namespaces(p: &Pod<'_>) -> Vec<Violation> {
    ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .filter_map(|f| {
            let n = p.spec.get(f)?;
            (n.as_bool() == Some(true)).then(|| v(n.line, format!("{f}=true")))
        })
        .collect()
}

fn privileged(p: &Pod<'_>) -> Vec<Violation> {
    p.containers()
        .into_iter()
        .filter_map(|(k, c)| {
            let n = csc(c, &["privileged"])?;
            (n.as_bool() == Some(true)).then(|| v(n.line, format!("{} is privileged", cname(k, c))))
        })
        .collect()
}

const CAPS_BASELINE: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, c) in p.containers() {
        for cap in csc(c, &["capabilities", "add"])
            .map(Node::items)
            .unwrap_or_default()
        {
            let name = cap.scalar_text().unwrap_or_default();
            if !CAPS_BASELINE.contains(&name.as_str()) {
                out.push(v(
                    cap.line,
                    format!("{} adds capability {name}", cname(k, c)),
                ));
            }
        }
    }
    out
}

fn host_path_volumes(p: &Pod<'_>) -> Vec<Violation> {
    volumes(p)
        .filter_map(|(name, vol)| {
            let hp = vol.get("hostPath").filter(|n| !n.is_null())?;
            Some(v(hp.line, format!("volume \"{name}\" uses hostPath")))
        })
        .collect()
}

fn volumes<'a>(p: &Pod<'a>) -> impl Iterator<Item = (&'a str, &'a Node)> {
    p.spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|vol| (vol.get("name").and_then(Node::as_str).unwrap_or(""), vol))
}

fn host_ports(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, c) in p.containers() {
        for port in c.get("ports").map(Node::items).unwrap_or_default() {
            if let Some(hp) = port.get("hostPort")
                && hp.as_i64().is_some_and(|n| n != 0)
            {
                out.push(v(
                    hp.line,
                    format!("{} uses hostPort {}", cname(k, c), hp.as_i64().unwrap_or(0)),
                ));
            }
        }
    }
    out
}

fn apparmor_profile(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (key, value) in p
        .metadata
        .and_then(|m| m.get("annotations"))
        .map(Node::entries)
        .unwrap_or_default()
    {
        let Some(k) = key.as_str() else { continue };
        if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
            let val = value.scalar_text().unwrap_or_default();
            if !(val.is_empty() || val == "runtime/default" || val.starts_with("localhost/")) {
                out.push(v(key.line, format!("annotation {k}={val}")));
            }
        }
    }
    let bad = |n: Option<&Node>| {
        n.and_then(|t| {
            let ty = t.scalar_text().unwrap_or_default();
            (!matches!(ty.as_str(), "RuntimeDefault" | "Localhost")).then_some((t.line, ty))
        })
    };
    if let Some((line, ty)) = bad(p.pod_sc(&["appArmorProfile", "type"])) {
        out.push(v(line, format!("pod appArmorProfile type {ty}")));
    }
    for (k, c) in p.containers() {
        if let Some((line, ty)) = bad(csc(c, &["appArmorProfile", "type"])) {
            out.push(v(
                line,
                format!("{} appArmorProfile type {ty}", cname(k, c)),
            ));
        }
    }
    out
}

fn selinux_with(p: &Pod<'_>, types: &[&str]) -> Vec<Violation> {
    let check = |opts: Option<&Node>, who: String, out: &mut Vec<Violation>| {
        let Some(o) = opts else { return };
        if let Some(t) = o.get("type") {
            let ty = t.scalar_text().unwrap_or_default();
            if !types.contains(&ty.as_str()) {
                out.push(v(t.line, format!("{who} seLinuxOptions.type {ty}")));
            }
        }
        for f in ["user", "role"] {
            if let Some(n) = o.get(f) {
                let val = n.scalar_text().unwrap_or_default();
                if !val.is_empty() {
                    out.push(v(n.line, format!("{who} seLinuxOptions.{f} {val}")));
                }
            }
        }
    };
    let mut out = Vec::new();
    check(p.pod_sc(&["seLinuxOptions"]), "pod".into(), &mut out);
    for (k, c) in p.containers() {
        check(csc(c, &["seLinuxOptions"]), cname(k, c), &mut out);
    }
    out
}

fn selinux_1_0(p: &Pod<'_>) -> Vec<Violation> {
    selinux_with(
        p,
        &["", "container_t", "container_init_t", "container_kvm_t"],
    )
}

fn selinux_1_31(p: &Pod<'_>) -> Vec<Violation> {
    selinux_with(
        p,
        &[
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ],
    )
}

fn proc_mount_strict(p: &Pod<'_>) -> Vec<Violation> {
    p.containers()
        .into_iter()
        .filter_map(|(k, c)| {
            let n = csc(c, &["procMount"])?;
            let val = n.scalar_text().unwrap_or_default();
            (val != "Default" && !n.is_null())
                .then(|| v(n.line, format!("{} procMount {val}", cname(k, c))))
        })
        .collect()
}

fn proc_mount_1_35(p: &Pod<'_>) -> Vec<Violation> {
    if p.host_users_false() {
        return Vec::new();
    }
    proc_mount_strict(p)
}

fn seccomp_baseline_1_0(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (key, value) in p
        .metadata
        .and_then(|m| m.get("annotations"))
        .map(Node::entries)
        .unwrap_or_default()
    {
        let Some(k) = key.as_str() else { continue };
        if k == "seccomp.security.alpha.kubernetes.io/pod"
            || k.starts_with("container.seccomp.security.alpha.kubernetes.io/")
        {
            let val = value.scalar_text().unwrap_or_default();
            if !(val.is_empty()
                || val == "runtime/default"
                || val == "docker/default"
                || val.starts_with("localhost/"))
            {
                out.push(v(key.line, format!("annotation {k}={val}")));
            }
        }
    }
    out
}

fn seccomp_type(n: Option<&Node>) -> Option<(usize, String)> {
    n.map(|t| (t.line, t.scalar_text().unwrap_or_default()))
}

fn seccomp_baseline_1_19(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some((line, ty)) = seccomp_type(p.pod_sc(&["seccompProfile", "type"]))
        && ty == "Unconfined"
    {
        out.push(v(line, "pod seccompProfile type Unconfined"));
    }
    for (k, c) in p.containers() {
        if let Some((line, ty)) = seccomp_type(csc(c, &["seccompProfile", "type"]))
            && ty == "Unconfined"
        {
            out.push(v(
                line,
                format!("{} seccompProfile type Unconfined", cname(k, c)),
            ));
        }
    }
    out
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SYSCTLS_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn sysctls_with(p: &Pod<'_>, allowed: &[&[&str]]) -> Vec<Violation> {
    p.pod_sc(&["sysctls"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let name = s.get("name")?.scalar_text().unwrap_or_default();
            (!allowed.iter().any(|set| set.contains(&name.as_str())))
                .then(|| v(s.line, format!("sysctl {name}")))
        })
        .collect()
}

fn sysctls_1_0(p: &Pod<'_>) -> Vec<Violation> {
    sysctls_with(p, &[SYSCTLS_1_0])
}
fn sysctls_1_27(p: &Pod<'_>) -> Vec<Violation> {
    sysctls_with(p, &[SYSCTLS_1_0, SYSCTLS_1_27])
}
fn sysctls_1_29(p: &Pod<'_>) -> Vec<Violation> {
    sysctls_with(p, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29])
}
fn sysctls_1_32(p: &Pod<'_>) -> Vec<Violation> {
    sysctls_with(p, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32])
}
fn sysctls_1_37(p: &Pod<'_>) -> Vec<Violation> {
    sysctls_with(
        p,
        &[
            SYSCTLS_1_0,
            SYSCTLS_1_27,
            SYSCTLS_1_29,
            SYSCTLS_1_32,
            SYSCTLS_1_37,
        ],
    )
}

fn windows_host_process(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(n) = p.pod_sc(&["windowsOptions", "hostProcess"])
        && n.as_bool() == Some(true)
    {
        out.push(v(n.line, "pod windowsOptions.hostProcess=true"));
    }
    for (k, c) in p.containers() {
        if let Some(n) = csc(c, &["windowsOptions", "hostProcess"])
            && n.as_bool() == Some(true)
        {
            out.push(v(
                n.line,
                format!("{} windowsOptions.hostProcess=true", cname(k, c)),
            ));
        }
    }
    out
}

fn host_probes_and_lifecycle(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, c) in p.containers() {
        let handlers = [
            ("livenessProbe", c.get("livenessProbe")),
            ("readinessProbe", c.get("readinessProbe")),
            ("startupProbe", c.get("startupProbe")),
            ("lifecycle.postStart", c.at(&["lifecycle", "postStart"])),
            ("lifecycle.preStop", c.at(&["lifecycle", "preStop"])),
        ];
        for (what, handler) in handlers {
            let Some(h) = handler else { continue };
            for action in ["httpGet", "tcpSocket"] {
                if let Some(host) = h.at(&[action, "host"]) {
                    let val = host.scalar_text().unwrap_or_default();
                    if !val.is_empty() {
                        out.push(v(
                            host.line,
                            format!("{} {what}.{action}.host={val}", cname(k, c)),
                        ));
                    }
                }
            }
        }
    }
    out
}

// ---- restricted ----

const RESTRICTED_VOLUME_TYPES_DENIED: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

fn restricted_volumes(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (name, vol) in volumes(p) {
        for (key, value) in vol.entries() {
            if let Some(k) = key.as_str()
                && RESTRICTED_VOLUME_TYPES_DENIED.contains(&k)
                && !value.is_null()
            {
                out.push(v(key.line, format!("volume \"{name}\" uses {k}")));
            }
        }
    }
    out
}

fn allow_privilege_escalation_1_8(p: &Pod<'_>) -> Vec<Violation> {
    p.containers()
        .into_iter()
        .filter_map(|(k, c)| {
            let n = csc(c, &["allowPrivilegeEscalation"]);
            (n.and_then(Node::as_bool) != Some(false)).then(|| {
                v(
                    n.map_or(c.line, |n| n.line),
                    format!("{} must set allowPrivilegeEscalation=false", cname(k, c)),
                )
            })
        })
        .collect()
}

fn allow_privilege_escalation_1_25(p: &Pod<'_>) -> Vec<Violation> {
    if p.is_windows() {
        return Vec::new();
    }
    allow_privilege_escalation_1_8(p)
}

fn run_as_non_root_1_0(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut pod_true = false;
    if let Some(n) = p.pod_sc(&["runAsNonRoot"]).filter(|n| !n.is_null()) {
        if n.as_bool() == Some(true) {
            pod_true = true;
        } else {
            out.push(v(n.line, "pod sets runAsNonRoot=false"));
        }
    }
    for (k, c) in p.containers() {
        match csc(c, &["runAsNonRoot"]).filter(|n| !n.is_null()) {
            Some(n) if n.as_bool() != Some(true) => out.push(v(
                n.line,
                format!("{} sets runAsNonRoot=false", cname(k, c)),
            )),
            Some(_) => {}
            None if !pod_true => out.push(v(
                c.line,
                format!(
                    "{} must set runAsNonRoot=true (pod or container)",
                    cname(k, c)
                ),
            )),
            None => {}
        }
    }
    out
}

fn run_as_non_root_1_35(p: &Pod<'_>) -> Vec<Violation> {
    if p.host_users_false() {
        return Vec::new();
    }
    run_as_non_root_1_0(p)
}

fn run_as_user_1_23(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(n) = p.pod_sc(&["runAsUser"])
        && n.as_i64() == Some(0)
    {
        out.push(v(n.line, "pod runAsUser=0"));
    }
    for (k, c) in p.containers() {
        if let Some(n) = csc(c, &["runAsUser"])
            && n.as_i64() == Some(0)
        {
            out.push(v(n.line, format!("{} runAsUser=0", cname(k, c))));
        }
    }
    out
}

fn run_as_user_1_35(p: &Pod<'_>) -> Vec<Violation> {
    if p.host_users_false() {
        return Vec::new();
    }
    run_as_user_1_23(p)
}

fn seccomp_restricted_1_19(p: &Pod<'_>) -> Vec<Violation> {
    let valid = |t: &str| t == "RuntimeDefault" || t == "Localhost";
    let mut out = Vec::new();
    let mut pod_set = false;
    if let Some(profile) = p.pod_sc(&["seccompProfile"]).filter(|n| !n.is_null()) {
        let ty = profile
            .get("type")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        if valid(&ty) {
            pod_set = true;
        } else {
            out.push(v(profile.line, format!("pod seccompProfile type {ty:?}")));
        }
    }
    for (k, c) in p.containers() {
        match csc(c, &["seccompProfile"]).filter(|n| !n.is_null()) {
            Some(profile) => {
                let ty = profile.get("type").and_then(Node::scalar_text).unwrap_or_default();
                if !valid(&ty) {
                    out.push(v(profile.line, format!("{} seccompProfile type {ty:?}", cname(k, c))));
                }
            }
            None if !pod_set => out.push(v(
                c.line,
                format!("{} must set seccompProfile.type RuntimeDefault or Localhost (pod or container)", cname(k, c)),
            )),
            None => {}
        }
    }
    out
}

fn seccomp_restricted_1_25(p: &Pod<'_>) -> Vec<Violation> {
    if p.is_windows() {
        return Vec::new();
    }
    seccomp_restricted_1_19(p)
}

fn capabilities_restricted_1_22(p: &Pod<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, c) in p.containers() {
        let drops_all = csc(c, &["capabilities", "drop"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            out.push(v(
                c.line,
                format!("{} must drop ALL capabilities", cname(k, c)),
            ));
        }
        for cap in csc(c, &["capabilities", "add"])
            .map(Node::items)
            .unwrap_or_default()
        {
            let name = cap.scalar_text().unwrap_or_default();
            if name != "NET_BIND_SERVICE" {
                out.push(v(
                    cap.line,
                    format!("{} adds capability {name}", cname(k, c)),
                ));
            }
        }
    }
    out
}

fn capabilities_restricted_1_25(p: &Pod<'_>) -> Vec<Violation> {
    if p.is_windows() {
        return Vec::new();
    }
    capabilities_restricted_1_22(p)
}

meta!(
    M_HOST_NS,
    "pss:hostNamespaces",
    High,
    "Host namespaces shared",
    "Pods must not share the host's network, PID or IPC namespace (PSS baseline).",
    "Remove hostNetwork, hostPID and hostIPC or set them to false.",
    [
        "trivy:KSV-0008",
        "trivy:KSV-0009",
        "trivy:KSV-0010",
        "checkov:CKV_K8S_17",
        "checkov:CKV_K8S_18",
        "checkov:CKV_K8S_19",
        "kubeaudit:hostns",
        "cis:5.2.3"
    ]
);
meta!(
    M_PRIVILEGED,
    "pss:privileged",
    High,
    "Privileged container",
    "Privileged containers have all host capabilities and devices (PSS baseline).",
    "Remove securityContext.privileged or set it to false.",
    [
        "trivy:KSV-0017",
        "checkov:CKV_K8S_16",
        "kubeaudit:privileged",
        "cis:5.2.2"
    ]
);
meta!(
    M_CAPS_BASELINE,
    "pss:capabilities_baseline",
    High,
    "Capability beyond the baseline set",
    "Containers may only add capabilities from the default runtime set (PSS baseline).",
    "Remove the added capability.",
    [
        "trivy:KSV-0022",
        "checkov:CKV_K8S_25",
        "kubeaudit:capabilities",
        "cis:5.2.9"
    ]
);
meta!(
    M_HOSTPATH,
    "pss:hostPathVolumes",
    High,
    "hostPath volume",
    "hostPath volumes expose the node's filesystem (PSS baseline).",
    "Use another volume type.",
    ["trivy:KSV-0023", "cis:5.2.11"]
);
meta!(
    M_HOSTPORTS,
    "pss:hostPorts",
    High,
    "hostPort used",
    "hostPorts bind on the node and bypass network policy (PSS baseline).",
    "Remove hostPort; expose the pod with a Service.",
    ["trivy:KSV-0024", "checkov:CKV_K8S_26", "cis:5.2.12"]
);
meta!(
    M_APPARMOR,
    "pss:appArmorProfile",
    High,
    "AppArmor profile overridden",
    "Only the runtime default or a localhost AppArmor profile is allowed (PSS baseline).",
    "Use RuntimeDefault or a Localhost profile.",
    ["trivy:KSV-0002", "kubeaudit:apparmor"]
);
meta!(
    M_SELINUX,
    "pss:seLinuxOptions",
    High,
    "Custom SELinux options",
    "Setting a custom SELinux user or role, or an unusual type, can escape confinement (PSS baseline).",
    "Remove seLinuxOptions.user/role and use a container type.",
    ["trivy:KSV-0025"]
);
meta!(
    M_PROCMOUNT,
    "pss:procMount",
    High,
    "Unmasked /proc",
    "procMount other than Default exposes host /proc paths (PSS baseline).",
    "Remove procMount or set it to Default.",
    ["trivy:KSV-0027"]
);
meta!(
    M_SECCOMP_BASELINE,
    "pss:seccompProfile_baseline",
    High,
    "seccomp Unconfined",
    "seccomp must not be explicitly disabled (PSS baseline).",
    "Use RuntimeDefault or a Localhost profile.",
    ["trivy:KSV-0104", "kubeaudit:seccomp"]
);
meta!(
    M_SYSCTLS,
    "pss:sysctls",
    High,
    "Unsafe sysctl",
    "Only namespaced, safe sysctls are allowed (PSS baseline).",
    "Remove the sysctl.",
    ["trivy:KSV-0026"]
);
meta!(
    M_WINDOWS_HOST_PROCESS,
    "pss:windowsHostProcess",
    High,
    "Windows HostProcess container",
    "HostProcess containers have full access to the Windows node (PSS baseline).",
    "Remove windowsOptions.hostProcess.",
    ["trivy:KSV-0103", "cis:5.2.10"]
);
meta!(
    M_HOST_PROBES,
    "pss:hostProbesAndHostLifecycle",
    High,
    "Probe or lifecycle handler targets another host",
    "Probes and lifecycle hooks must not set `host`, which lets the kubelet reach arbitrary hosts (PSS baseline).",
    "Remove the host field.",
    []
);
meta!(
    M_RESTRICTED_VOLUMES,
    "pss:restrictedVolumes",
    Medium,
    "Volume type not allowed",
    "Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes are allowed (PSS restricted).",
    "Use an allowed volume type.",
    ["trivy:KSV-0028"]
);
meta!(
    M_APE,
    "pss:allowPrivilegeEscalation",
    Medium,
    "Privilege escalation allowed",
    "Containers must set allowPrivilegeEscalation: false (PSS restricted).",
    "Set securityContext.allowPrivilegeEscalation to false.",
    [
        "trivy:KSV-0001",
        "checkov:CKV_K8S_20",
        "kubeaudit:privesc",
        "cis:5.2.6"
    ]
);
meta!(
    M_RUN_AS_NON_ROOT,
    "pss:runAsNonRoot",
    Medium,
    "Container may run as root",
    "Containers must set runAsNonRoot: true, directly or through the pod (PSS restricted).",
    "Set securityContext.runAsNonRoot to true.",
    [
        "trivy:KSV-0012",
        "checkov:CKV_K8S_23",
        "kubeaudit:nonroot",
        "cis:5.2.7"
    ]
);
meta!(
    M_RUN_AS_USER,
    "pss:runAsUser",
    Medium,
    "runAsUser 0",
    "Containers must not run as UID 0 (PSS restricted).",
    "Set runAsUser to a non-zero UID.",
    ["trivy:KSV-0105", "checkov:CKV_K8S_23", "kubeaudit:nonroot"]
);
meta!(
    M_SECCOMP_RESTRICTED,
    "pss:seccompProfile_restricted",
    Medium,
    "seccomp profile not set",
    "A RuntimeDefault or Localhost seccomp profile must be set (PSS restricted).",
    "Set securityContext.seccompProfile.type to RuntimeDefault.",
    [
        "trivy:KSV-0030",
        "checkov:CKV_K8S_31",
        "kubeaudit:seccomp",
        "cis:5.6.2"
    ]
);
meta!(
    M_CAPS_RESTRICTED,
    "pss:capabilities_restricted",
    Medium,
    "Capabilities not dropped",
    "Containers must drop ALL capabilities and may add back only NET_BIND_SERVICE (PSS restricted).",
    "Set capabilities.drop: [ALL].",
    [
        "trivy:KSV-0003",
        "trivy:KSV-0106",
        "checkov:CKV_K8S_37",
        "kubeaudit:capabilities",
        "cis:5.2.9"
    ]
);
meta!(
    M_PROCMOUNT_RESTRICTED,
    "pss:procMount_restricted",
    Medium,
    "Unmasked /proc (restricted)",
    "procMount must be Default even in user namespaces (PSS restricted).",
    "Remove procMount or set it to Default.",
    ["trivy:KSV-0027"]
);

const fn imp(min_minor: u32, eval: fn(&Pod<'_>) -> Vec<Violation>) -> Implementation {
    Implementation {
        min_minor,
        overrides: &[],
        eval,
    }
}

/// Every PSS check, baseline first.
pub static CHECKS: &[PssCheck] = &[
    PssCheck {
        id: "hostNamespaces",
        level: PssLevel::Baseline,
        meta: &M_HOST_NS,
        versions: &[imp(0, host_namespaces)],
    },
    PssCheck {
        id: "privileged",
        level: PssLevel::Baseline,
        meta: &M_PRIVILEGED,
        versions: &[imp(0, privileged)],
    },
    PssCheck {
        id: "capabilities_baseline",
        level: PssLevel::Baseline,
        meta: &M_CAPS_BASELINE,
        versions: &[imp(0, capabilities_baseline)],
    },
    PssCheck {
        id: "hostPathVolumes",
        level: PssLevel::Baseline,
        meta: &M_HOSTPATH,
        versions: &[imp(0, host_path_volumes)],
    },
    PssCheck {
        id: "hostPorts",
        level: PssLevel::Baseline,
        meta: &M_HOSTPORTS,
        versions: &[imp(0, host_ports)],
    },
    PssCheck {
        id: "appArmorProfile",
        level: PssLevel::Baseline,
        meta: &M_APPARMOR,
        versions: &[imp(0, apparmor_profile)],
    },
    PssCheck {
        id: "seLinuxOptions",
        level: PssLevel::Baseline,
        meta: &M_SELINUX,
        versions: &[imp(0, selinux_1_0), imp(31, selinux_1_31)],
    },
    PssCheck {
        id: "procMount",
        level: PssLevel::Baseline,
        meta: &M_PROCMOUNT,
        versions: &[imp(0, proc_mount_strict), imp(35, proc_mount_1_35)],
    },
    PssCheck {
        id: "seccompProfile_baseline",
        level: PssLevel::Baseline,
        meta: &M_SECCOMP_BASELINE,
        versions: &[imp(0, seccomp_baseline_1_0), imp(19, seccomp_baseline_1_19)],
    },
    PssCheck {
        id: "sysctls",
        level: PssLevel::Baseline,
        meta: &M_SYSCTLS,
        versions: &[
            imp(0, sysctls_1_0),
            imp(27, sysctls_1_27),
            imp(29, sysctls_1_29),
            imp(32, sysctls_1_32),
            imp(37, sysctls_1_37),
        ],
    },
    PssCheck {
        id: "windowsHostProcess",
        level: PssLevel::Baseline,
        meta: &M_WINDOWS_HOST_PROCESS,
        versions: &[imp(0, windows_host_process)],
    },
    PssCheck {
        id: "hostProbesAndHostLifecycle",
        level: PssLevel::Baseline,
        meta: &M_HOST_PROBES,
        versions: &[imp(34, host_probes_and_lifecycle)],
    },
    PssCheck {
        id: "restrictedVolumes",
        level: PssLevel::Restricted,
        meta: &M_RESTRICTED_VOLUMES,
        versions: &[Implementation {
            min_minor: 0,
            overrides: &["hostPathVolumes"],
            eval: restricted_volumes,
        }],
    },
    PssCheck {
        id: "allowPrivilegeEscalation",
        level: PssLevel::Restricted,
        meta: &M_APE,
        versions: &[
            imp(8, allow_privilege_escalation_1_8),
            imp(25, allow_privilege_escalation_1_25),
        ],
    },
    PssCheck {
        id: "runAsNonRoot",
        level: PssLevel::Restricted,
        meta: &M_RUN_AS_NON_ROOT,
        versions: &[imp(0, run_as_non_root_1_0), imp(35, run_as_non_root_1_35)],
    },
    PssCheck {
        id: "runAsUser",
        level: PssLevel::Restricted,
        meta: &M_RUN_AS_USER,
        versions: &[imp(23, run_as_user_1_23), imp(35, run_as_user_1_35)],
    },
    PssCheck {
        id: "seccompProfile_restricted",
        level: PssLevel::Restricted,
        meta: &M_SECCOMP_RESTRICTED,
        versions: &[
            Implementation {
                min_minor: 19,
                overrides: &["seccompProfile_baseline"],
                eval: seccomp_restricted_1_19,
            },
            Implementation {
                min_minor: 25,
                overrides: &["seccompProfile_baseline"],
                eval: seccomp_restricted_1_25,
            },
        ],
    },
    PssCheck {
        id: "capabilities_restricted",
        level: PssLevel::Restricted,
        meta: &M_CAPS_RESTRICTED,
        versions: &[
            Implementation {
                min_minor: 22,
                overrides: &["capabilities_baseline"],
                eval: capabilities_restricted_1_22,
            },
            Implementation {
                min_minor: 25,
                overrides: &["capabilities_baseline"],
                eval: capabilities_restricted_1_25,
            },
        ],
    },
    PssCheck {
        id: "procMount_restricted",
        level: PssLevel::Restricted,
        meta: &M_PROCMOUNT_RESTRICTED,
        versions: &[Implementation {
            min_minor: 35,
            overrides: &["procMount"],
            eval: proc_mount_strict,
        }],
    },
];

/// The checks that apply at `level` and `version`, each with its implementation, overrides
/// applied.
pub fn applicable(
    level: PssLevel,
    version: PssVersion,
) -> Vec<(&'static PssCheck, &'static Implementation)> {
    let minor = match version {
        PssVersion::Latest => LATEST_MINOR,
        PssVersion::Minor(m) => m,
    };
    let picked: Vec<(&PssCheck, &Implementation)> = CHECKS
        .iter()
        .filter(|c| c.level <= level)
        .filter_map(|c| {
            c.versions
                .iter()
                .rev()
                .find(|i| i.min_minor <= minor)
                .map(|i| (c, i))
        })
        .collect();
    let overridden: Vec<&str> = picked
        .iter()
        .flat_map(|(_, i)| i.overrides.iter().copied())
        .collect();
    picked
        .into_iter()
        .filter(|(c, _)| !overridden.contains(&c.id))
        .collect()
}

/// Evaluates a pod: the failing checks with their violations.
pub fn evaluate(
    pod: &Pod<'_>,
    level: PssLevel,
    version: PssVersion,
) -> Vec<(&'static PssCheck, Vec<Violation>)> {
    applicable(level, version)
        .into_iter()
        .filter_map(|(c, i)| {
            let found = (i.eval)(pod);
            (!found.is_empty()).then_some((c, found))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_versions() {
        let ids = |l, v| {
            applicable(l, v)
                .iter()
                .map(|(c, _)| c.id)
                .collect::<Vec<_>>()
        };
        let r = ids(PssLevel::Restricted, PssVersion::Latest);
        assert!(
            !r.contains(&"hostPathVolumes")
                && !r.contains(&"capabilities_baseline")
                && !r.contains(&"procMount")
        );
        assert!(r.contains(&"procMount_restricted") && r.contains(&"seccompProfile_restricted"));
        // Before 1.19 the restricted seccomp check does not exist, so baseline's still applies.
        let old = ids(PssLevel::Restricted, PssVersion::Minor(18));
        assert!(old.contains(&"seccompProfile_baseline") && !old.contains(&"runAsUser"));
        assert!(
            !ids(PssLevel::Baseline, PssVersion::Minor(33)).contains(&"hostProbesAndHostLifecycle")
        );
        assert_eq!(ids(PssLevel::Baseline, PssVersion::Latest).len(), 12);
        assert_eq!(CHECKS.len(), 19);
    }

    fn failing(yaml: &str, level: PssLevel, version: PssVersion) -> Vec<&'static str> {
        let doc =
            &crate::k8s::yaml::load_all(yaml, crate::k8s::yaml::Limits::default()).unwrap()[0];
        let (metadata, spec) = crate::k8s::manifest::pod_template(doc).unwrap();
        evaluate(&Pod { metadata, spec }, level, version)
            .iter()
            .map(|(c, _)| c.id)
            .collect()
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n";

    #[test]
    fn sysctl_allow_list_grows_by_version() {
        let pod = format!(
            "{POD}  securityContext:\n    sysctls: [{{name: net.ipv4.ip_local_reserved_ports, value: '1'}}]\n"
        );
        assert_eq!(
            failing(&pod, PssLevel::Baseline, PssVersion::Minor(26)),
            ["sysctls"]
        );
        assert!(failing(&pod, PssLevel::Baseline, PssVersion::Minor(27)).is_empty());
        let pod = format!(
            "{POD}  securityContext:\n    sysctls: [{{name: net.ipv4.tcp_notsent_lowat, value: '1'}}]\n"
        );
        assert_eq!(
            failing(&pod, PssLevel::Baseline, PssVersion::Minor(36)),
            ["sysctls"]
        );
        assert!(failing(&pod, PssLevel::Baseline, PssVersion::Latest).is_empty());
    }

    #[test]
    fn user_namespaces_relax_from_1_35() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostUsers: false\n  containers:\n  - name: c\n    securityContext: {procMount: Unmasked, runAsUser: 0}\n";
        assert_eq!(
            failing(pod, PssLevel::Baseline, PssVersion::Minor(34)),
            ["procMount"]
        );
        assert!(failing(pod, PssLevel::Baseline, PssVersion::Minor(35)).is_empty());
        let r = failing(pod, PssLevel::Restricted, PssVersion::Minor(35));
        assert!(
            r.contains(&"procMount_restricted")
                && !r.contains(&"runAsUser")
                && !r.contains(&"runAsNonRoot"),
            "{r:?}"
        );
    }

    #[test]
    fn windows_exemptions_from_1_25() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  os: {name: windows}\n  securityContext: {runAsNonRoot: true}\n  containers: [{name: c}]\n";
        let at24 = failing(pod, PssLevel::Restricted, PssVersion::Minor(24));
        assert!(
            at24.contains(&"allowPrivilegeEscalation")
                && at24.contains(&"seccompProfile_restricted")
                && at24.contains(&"capabilities_restricted"),
            "{at24:?}"
        );
        assert!(failing(pod, PssLevel::Restricted, PssVersion::Minor(25)).is_empty());
    }

    #[test]
    fn seccomp_annotations_before_1_19() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}\nspec:\n  containers: [{name: c}]\n";
        assert_eq!(
            failing(pod, PssLevel::Baseline, PssVersion::Minor(18)),
            ["seccompProfile_baseline"]
        );
        assert!(failing(pod, PssLevel::Baseline, PssVersion::Minor(19)).is_empty());
    }

    #[test]
    fn ephemeral_containers_are_checked() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c}]\n  ephemeralContainers:\n  - name: debug\n    securityContext: {privileged: true}\n";
        assert_eq!(
            failing(pod, PssLevel::Baseline, PssVersion::Latest),
            ["privileged"]
        );
    }
}
