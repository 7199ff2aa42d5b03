//! Container attribution and metadata.
//!
//! Attribution is by cgroup path ([`container_from_cgroup`]), the one place that decides
//! "which container is this process in": on this hybrid v1/v2 host the BPF cgroup id is 1
//! for everything, so the path in `/proc/PID/cgroup` (v1 and v2 lines alike) is the signal.
//! A pure-v2 host would key the same function by cgroup id.
//!
//! Metadata (name, image, privileged, mounts, pod) comes from the runtime's own state files,
//! never from its CLI or API: podman's `containers.json` + the OCI `config.json` it writes
//! per container, docker's `config.v2.json`/`hostconfig.json`, and the OCI bundles of
//! containerd and CRI-O with their CRI annotations.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::event::{Container, K8s, Mount};

/// Container runtime named by a cgroup path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// Docker engine.
    Docker,
    /// Podman (libpod).
    Podman,
    /// containerd, directly or through CRI.
    Containerd,
    /// CRI-O.
    CriO,
}

impl Runtime {
    /// The name used in [`Container::runtime`].
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
        }
    }
}

/// A container found in a cgroup file: its runtime and full 64-hex id, plus the pod UID when
/// the path carries one (`kubepods…pod<uid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMatch {
    /// Runtime.
    pub runtime: Runtime,
    /// Full container id.
    pub id: String,
    /// Kubernetes pod UID, when present in the path.
    pub pod_uid: Option<String>,
}

fn hex64_at(s: &str) -> Option<&str> {
    let candidate = s.get(..64)?;
    candidate
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some(candidate)
}

/// Finds the container in the text of `/proc/PID/cgroup` (v1 `N:controllers:/path` and v2
/// `0::/path` lines). Recognised path shapes:
/// docker `/docker/ID`, `docker-ID.scope`; podman `libpod-ID.scope`, `/libpod_parent/libpod-ID`;
/// containerd `cri-containerd-ID.scope`, `/kubepods/…/ID`; CRI-O `crio-ID.scope`, `/crio-ID`.
/// podman's monitor process (`libpod-conmon-ID`) is not in the container.
pub fn container_from_cgroup(text: &str) -> Option<CgroupMatch> {
    for line in text.lines() {
        let Some(path) = line.splitn(3, ':').nth(2) else {
            continue;
        };
        let in_kubepods = path.contains("kubepods");
        let pod_uid = in_kubepods.then(|| pod_uid(path)).flatten();
        // The innermost component naming a container wins (nested cgroups add suffixes
        // like `/container` under the scope).
        for component in path.rsplit('/') {
            let component = component.strip_suffix(".scope").unwrap_or(component);
            if component.contains("conmon") {
                break;
            }
            let (runtime, rest) = if let Some(r) = component.strip_prefix("docker-") {
                (Runtime::Docker, r)
            } else if let Some(r) = component.strip_prefix("libpod-") {
                (Runtime::Podman, r)
            } else if let Some(r) = component.strip_prefix("cri-containerd-") {
                (Runtime::Containerd, r)
            } else if let Some(r) = component.strip_prefix("crio-") {
                (Runtime::CriO, r)
            } else if path.contains("/docker/") {
                (Runtime::Docker, component)
            } else if in_kubepods {
                (Runtime::Containerd, component)
            } else {
                continue;
            };
            if let Some(id) = hex64_at(rest).filter(|id| id.len() == rest.len()) {
                return Some(CgroupMatch {
                    runtime,
                    id: id.to_string(),
                    pod_uid,
                });
            }
        }
    }
    None
}

fn pod_uid(path: &str) -> Option<String> {
    path.split('/').find_map(|c| {
        let c = c.strip_suffix(".slice").unwrap_or(c);
        let uid = c.rsplit_once("pod").map(|(_, u)| u)?;
        (uid.len() >= 32).then(|| uid.replace('_', "-"))
    })
}

/// Splits an image reference into repository, tag and digest
/// (`127.0.0.1:5000/app:1.0@sha256:…` → `127.0.0.1:5000/app`, `1.0`, `sha256:…`).
pub fn split_image(reference: &str) -> (String, String, String) {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => (reference, String::new()),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => (
            name[..last_slash + i].to_string(),
            name[last_slash + i + 1..].to_string(),
            digest,
        ),
        None => (name.to_string(), String::new(), digest),
    }
}

/// Where the runtimes keep their state; tests point these at temporary directories.
#[derive(Debug, Clone)]
pub struct StateRoots {
    /// podman storage (`/var/lib/containers/storage`).
    pub podman: PathBuf,
    /// docker data root (`/var/lib/docker`).
    pub docker: PathBuf,
    /// containerd task state (`/run/containerd/io.containerd.runtime.v2.task`).
    pub containerd: PathBuf,
    /// CRI-O's per-container state (`/run/containers/storage`).
    pub crio: PathBuf,
}

impl Default for StateRoots {
    fn default() -> Self {
        StateRoots {
            podman: "/var/lib/containers/storage".into(),
            docker: "/var/lib/docker".into(),
            containerd: "/run/containerd/io.containerd.runtime.v2.task".into(),
            crio: "/run/containers/storage".into(),
        }
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn str_of<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Container metadata for a cgroup match, from the runtime's state files. Fields the files
/// do not provide stay empty; the id is always set.
pub fn describe(roots: &StateRoots, m: &CgroupMatch) -> (Container, Option<K8s>) {
    let mut c = Container {
        id: m.id[..12].to_string(),
        runtime: m.runtime.as_str().to_string(),
        ..Default::default()
    };
    let spec = match m.runtime {
        Runtime::Podman => {
            podman_names(roots, &m.id, &mut c);
            read_json(
                &roots
                    .podman
                    .join("overlay-containers")
                    .join(&m.id)
                    .join("userdata/config.json"),
            )
        }
        Runtime::Docker => {
            docker_state(roots, &m.id, &mut c);
            None
        }
        Runtime::Containerd => std::fs::read_dir(&roots.containerd)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|ns| read_json(&ns.path().join(&m.id).join("config.json"))),
        Runtime::CriO => read_json(
            &roots
                .crio
                .join("overlay-containers")
                .join(&m.id)
                .join("userdata/config.json"),
        ),
    };
    let mut k8s = None;
    if let Some(spec) = spec {
        apply_oci_spec(&spec, &mut c);
        k8s = pod_from_annotations(&spec, &mut c);
    }
    if k8s.is_none()
        && let Some(uid) = &m.pod_uid
    {
        k8s = Some(K8s {
            pod_uid: uid.clone(),
            ..Default::default()
        });
    }
    (c, k8s)
}

fn set_image(c: &mut Container, reference: &str) {
    if reference.is_empty() {
        return;
    }
    let (repo, tag, digest) = split_image(reference);
    c.image_repository = repo;
    c.image_tag = tag;
    if !digest.is_empty() {
        c.image_digest = digest;
    }
}

fn podman_names(roots: &StateRoots, id: &str, c: &mut Container) {
    let Some(Value::Array(all)) =
        read_json(&roots.podman.join("overlay-containers/containers.json"))
    else {
        return;
    };
    let Some(entry) = all.iter().find(|e| str_of(e, "/id") == id) else {
        return;
    };
    if let Some(name) = entry.pointer("/names/0").and_then(Value::as_str) {
        c.name = name.to_string();
    }
    // `metadata` is itself a JSON document (a string) written by libpod.
    if let Some(meta) = entry
        .get("metadata")
        .and_then(Value::as_str)
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    {
        set_image(c, str_of(&meta, "/image-name"));
        if c.name.is_empty() {
            c.name = str_of(&meta, "/name").to_string();
        }
    }
    if c.image_digest.is_empty() {
        let image_id = str_of(entry, "/image");
        if !image_id.is_empty() {
            c.image_digest = format!("sha256:{image_id}");
        }
    }
}

fn docker_state(roots: &StateRoots, id: &str, c: &mut Container) {
    let dir = roots.docker.join("containers").join(id);
    if let Some(cfg) = read_json(&dir.join("config.v2.json")) {
        c.name = str_of(&cfg, "/Name").trim_start_matches('/').to_string();
        set_image(c, str_of(&cfg, "/Config/Image"));
        if let Some(points) = cfg.get("MountPoints").and_then(Value::as_object) {
            for mp in points.values() {
                c.mounts.push(Mount {
                    source: str_of(mp, "/Source").to_string(),
                    dest: str_of(mp, "/Destination").to_string(),
                    rw: mp.get("RW").and_then(Value::as_bool).unwrap_or(false),
                    mode: str_of(mp, "/Mode").to_string(),
                    propagation: str_of(mp, "/Propagation").to_string(),
                });
            }
        }
    }
    if let Some(host) = read_json(&dir.join("hostconfig.json")) {
        c.privileged = host
            .get("Privileged")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    }
}

/// Mounts and privilege from an OCI runtime spec. Privileged means what `--privileged`
/// produces: every capability in the bounding set (here: CAP_SYS_ADMIN and CAP_SYS_MODULE)
/// and no masked paths.
fn apply_oci_spec(spec: &Value, c: &mut Container) {
    if let Some(mounts) = spec.get("mounts").and_then(Value::as_array) {
        for m in mounts {
            let options: Vec<&str> = m
                .get("options")
                .and_then(Value::as_array)
                .map(|o| o.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ro = options.contains(&"ro");
            c.mounts.push(Mount {
                source: str_of(m, "/source").to_string(),
                dest: str_of(m, "/destination").to_string(),
                mode: if ro { "ro" } else { "rw" }.to_string(),
                rw: !ro,
                propagation: options
                    .iter()
                    .find(|o| {
                        o.ends_with("private") || o.ends_with("shared") || o.ends_with("slave")
                    })
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            });
        }
    }
    let bounding: Vec<&str> = spec
        .pointer("/process/capabilities/bounding")
        .and_then(Value::as_array)
        .map(|caps| caps.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let masked = spec
        .pointer("/linux/maskedPaths")
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty());
    c.privileged =
        bounding.contains(&"CAP_SYS_ADMIN") && bounding.contains(&"CAP_SYS_MODULE") && !masked;
    if let Some(ann) = spec.get("annotations") {
        if c.image_repository.is_empty() {
            let image = [
                "/io.kubernetes.cri.image-name",
                "/io.kubernetes.cri-o.ImageName",
                "/org.opencontainers.image.ref.name",
            ]
            .iter()
            .map(|p| str_of(ann, p))
            .find(|s| !s.is_empty())
            .unwrap_or("");
            set_image(c, image);
        }
        if c.name.is_empty() {
            c.name = [
                "/io.kubernetes.cri.container-name",
                "/io.kubernetes.container.name",
            ]
            .iter()
            .map(|p| str_of(ann, p))
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string();
        }
    }
}

fn pod_from_annotations(spec: &Value, c: &mut Container) -> Option<K8s> {
    let ann = spec.get("annotations")?;
    let first = |keys: &[&str]| {
        keys.iter()
            .map(|k| str_of(ann, k))
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string()
    };
    let pod = first(&["/io.kubernetes.cri.sandbox-name", "/io.kubernetes.pod.name"]);
    if pod.is_empty() {
        return None;
    }
    if c.name.is_empty() {
        c.name = pod.clone();
    }
    Some(K8s {
        pod,
        ns: first(&[
            "/io.kubernetes.cri.sandbox-namespace",
            "/io.kubernetes.pod.namespace",
        ]),
        pod_uid: first(&["/io.kubernetes.cri.sandbox-uid", "/io.kubernetes.pod.uid"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f4e1c2b5a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";

    #[test]
    fn cgroup_paths_of_each_runtime() {
        let cases = [
            (format!("12:memory:/docker/{ID}"), Runtime::Docker),
            (
                format!("0::/system.slice/docker-{ID}.scope"),
                Runtime::Docker,
            ),
            (
                format!("0::/machine.slice/libpod-{ID}.scope/container"),
                Runtime::Podman,
            ),
            (
                format!("4:memory:/libpod_parent/libpod-{ID}"),
                Runtime::Podman,
            ),
            (
                format!(
                    "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/cri-containerd-{ID}.scope"
                ),
                Runtime::Containerd,
            ),
            (
                format!("3:cpu:/kubepods/burstable/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/{ID}"),
                Runtime::Containerd,
            ),
            (
                format!(
                    "0::/kubepods.slice/kubepods-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/crio-{ID}.scope"
                ),
                Runtime::CriO,
            ),
        ];
        for (text, runtime) in cases {
            let text = format!("9:name=systemd:/\n{text}\n");
            let m = container_from_cgroup(&text).unwrap_or_else(|| panic!("no match in {text}"));
            assert_eq!((m.runtime, m.id.as_str()), (runtime, ID), "{text}");
        }
        let kube =
            format!("3:cpu:/kubepods/burstable/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/{ID}");
        assert_eq!(
            container_from_cgroup(&kube).unwrap().pod_uid.as_deref(),
            Some("1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d")
        );
    }

    #[test]
    fn host_and_conmon_are_not_containers() {
        assert!(
            container_from_cgroup(
                "9:name=systemd:/\n4:memory:/process_api/244174eaa0ce546e\n0::/\n"
            )
            .is_none()
        );
        assert!(
            container_from_cgroup(&format!("0::/machine.slice/libpod-conmon-{ID}.scope")).is_none()
        );
        assert!(
            container_from_cgroup(&format!("0::/system.slice/docker-{}.scope", &ID[..40]))
                .is_none()
        );
    }

    #[test]
    fn image_references_split() {
        assert_eq!(
            split_image("localhost/busybox:latest"),
            ("localhost/busybox".into(), "latest".into(), String::new())
        );
        assert_eq!(
            split_image("127.0.0.1:5000/app:1.0@sha256:ab"),
            (
                "127.0.0.1:5000/app".into(),
                "1.0".into(),
                "sha256:ab".into()
            )
        );
        assert_eq!(
            split_image("127.0.0.1:5000/app"),
            ("127.0.0.1:5000/app".into(), String::new(), String::new())
        );
    }

    #[test]
    fn podman_state_files_give_name_image_mounts_privilege() {
        let dir = tempfile::tempdir().unwrap();
        let roots = StateRoots {
            podman: dir.path().into(),
            ..Default::default()
        };
        let userdata = dir
            .path()
            .join("overlay-containers")
            .join(ID)
            .join("userdata");
        std::fs::create_dir_all(&userdata).unwrap();
        let meta = r#"{"image-name":"localhost/osprey-busybox:latest","image-id":"aa","name":"web","created-at":1}"#;
        std::fs::write(
            dir.path().join("overlay-containers/containers.json"),
            serde_json::json!([{"id": ID, "names": ["web"], "image": "aa11", "metadata": meta}])
                .to_string(),
        )
        .unwrap();
        std::fs::write(
            userdata.join("config.json"),
            serde_json::json!({
                "process": {"capabilities": {"bounding": ["CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_CHOWN"]}},
                "mounts": [{"destination": "/host", "source": "/etc", "options": ["rbind", "ro", "rprivate"]}],
                "linux": {"maskedPaths": []}
            })
            .to_string(),
        )
        .unwrap();
        let m = CgroupMatch {
            runtime: Runtime::Podman,
            id: ID.into(),
            pod_uid: None,
        };
        let (c, k8s) = describe(&roots, &m);
        assert_eq!(c.id, &ID[..12]);
        assert_eq!(
            (
                c.name.as_str(),
                c.image_repository.as_str(),
                c.image_tag.as_str()
            ),
            ("web", "localhost/osprey-busybox", "latest")
        );
        assert!(c.privileged);
        assert_eq!(c.mounts[0].dest, "/host");
        assert!(!c.mounts[0].rw);
        assert!(k8s.is_none());
    }

    #[test]
    fn cri_annotations_give_pod_and_namespace() {
        let spec = serde_json::json!({
            "process": {"capabilities": {"bounding": ["CAP_CHOWN"]}},
            "linux": {"maskedPaths": ["/proc/kcore"]},
            "annotations": {
                "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.27",
                "io.kubernetes.cri.container-name": "nginx",
                "io.kubernetes.cri.sandbox-name": "web-0",
                "io.kubernetes.cri.sandbox-namespace": "shop",
                "io.kubernetes.cri.sandbox-uid": "u-1"
            }
        });
        let mut c = Container::default();
        apply_oci_spec(&spec, &mut c);
        let k8s = pod_from_annotations(&spec, &mut c).unwrap();
        assert_eq!(
            (c.image_repository.as_str(), c.name.as_str()),
            ("docker.io/library/nginx", "nginx")
        );
        assert!(!c.privileged);
        assert_eq!((k8s.ns.as_str(), k8s.pod.as_str()), ("shop", "web-0"));
    }
}
