//! Kubernetes manifests: the objects in a file (multi-document YAML, JSON, `kind: List`), and
//! the pod template inside each workload kind.

use super::yaml::{self, Limits, Node};

/// A manifest file's text and objects.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    /// Name used in results and errors.
    pub name: String,
    /// Every object with `apiVersion` and `kind`, `List` items flattened.
    pub objects: Vec<Node>,
    text: String,
    line_starts: Vec<usize>,
}

impl ManifestFile {
    /// Text of 1-based line `n`.
    pub fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self.line_starts.get(n).map_or(self.text.len(), |e| e - 1);
        self.text
            .get(start..end.max(start))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    }
}

/// Loads a manifest file. Documents that are not Kubernetes objects are ignored; a file with
/// none gives an empty object list.
pub fn load(name: &str, text: &str) -> Result<ManifestFile, yaml::LoadError> {
    let docs = match yaml::load_all(text, Limits::default()) {
        Ok(d) => d,
        Err(e) => {
            // JSON that the YAML parser refuses (tabs in odd places): accept it without lines.
            let t = text.trim_start();
            match serde_json::from_str::<serde_json::Value>(t) {
                Ok(v) if t.starts_with(['{', '[']) => vec![yaml::from_json(&v)],
                _ => return Err(e),
            }
        }
    };
    let mut objects = Vec::new();
    for doc in docs {
        flatten(doc, &mut objects, 0);
    }
    Ok(ManifestFile {
        name: name.to_string(),
        objects,
        text: text.to_string(),
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect(),
    })
}

fn flatten(doc: Node, out: &mut Vec<Node>, depth: usize) {
    if !is_object(&doc) {
        if let yaml::Value::Seq(items) = doc.value {
            // A JSON array of objects.
            for item in items {
                if depth < 4 {
                    flatten(item, out, depth + 1);
                }
            }
        }
        return;
    }
    let is_list = doc
        .get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        && doc.get("items").is_some();
    if is_list && depth < 4 {
        if let yaml::Value::Map(entries) = doc.value {
            for (k, v) in entries {
                if k.as_str() == Some("items")
                    && let yaml::Value::Seq(items) = v.value
                {
                    for item in items {
                        flatten(item, out, depth + 1);
                    }
                }
            }
        }
        return;
    }
    out.push(doc);
}

/// True for a mapping with string `apiVersion` and `kind`.
pub fn is_object(doc: &Node) -> bool {
    doc.get("apiVersion").and_then(Node::as_str).is_some()
        && doc.get("kind").and_then(Node::as_str).is_some()
}

/// `kind` of an object.
pub fn kind(obj: &Node) -> &str {
    obj.get("kind").and_then(Node::as_str).unwrap_or("")
}

/// `metadata.name` (or `generateName`).
pub fn name(obj: &Node) -> &str {
    obj.at(&["metadata", "name"])
        .or_else(|| obj.at(&["metadata", "generateName"]))
        .and_then(Node::as_str)
        .unwrap_or("")
}

/// `metadata.namespace`, if set.
pub fn namespace(obj: &Node) -> Option<&str> {
    obj.at(&["metadata", "namespace"]).and_then(Node::as_str)
}

/// `Kind/name` for messages.
pub fn resource_id(obj: &Node) -> String {
    format!("{}/{}", kind(obj), name(obj))
}

/// The pod template of a workload: (pod metadata, pod spec). Pods, PodTemplates, Deployments,
/// StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs.
pub fn pod_template(obj: &Node) -> Option<(Option<&Node>, &Node)> {
    let (meta, spec) = match kind(obj) {
        "Pod" => (obj.get("metadata"), obj.get("spec")?),
        "PodTemplate" => (
            obj.at(&["template", "metadata"]),
            obj.at(&["template", "spec"])?,
        ),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => (
            obj.at(&["spec", "template", "metadata"]),
            obj.at(&["spec", "template", "spec"])?,
        ),
        "CronJob" => (
            obj.at(&["spec", "jobTemplate", "spec", "template", "metadata"]),
            obj.at(&["spec", "jobTemplate", "spec", "template", "spec"])?,
        ),
        _ => return None,
    };
    Some((meta, spec))
}

/// Which list a container came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `initContainers`
    Init,
    /// `containers`
    Regular,
    /// `ephemeralContainers`
    Ephemeral,
}

/// Every container of a pod spec: init, regular and ephemeral, in that order.
pub fn containers(spec: &Node) -> Vec<(ContainerKind, &Node)> {
    let mut out = Vec::new();
    for (field, kind) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ] {
        if let Some(list) = spec.get(field) {
            out.extend(list.items().iter().map(|c| (kind, c)));
        }
    }
    out
}

/// A container's name.
pub fn container_name(c: &Node) -> &str {
    c.get("name").and_then(Node::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_documents_are_flattened() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n---\n# not an object\nfoo: bar\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n";
        let f = load("m.yaml", text).unwrap();
        let ids: Vec<String> = f.objects.iter().map(resource_id).collect();
        assert_eq!(ids, ["Pod/a", "Service/s", "Deployment/d"]);
        let (_, spec) = pod_template(&f.objects[2]).unwrap();
        assert_eq!(containers(spec).len(), 1);
        assert_eq!(f.objects[2].line, 14);
    }

    #[test]
    fn json_manifests() {
        let f = load("p.json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[]}}").unwrap();
        assert_eq!(resource_id(&f.objects[0]), "Pod/p");
        let f = load("p.json", "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Namespace\",\n\t\"metadata\": {\"name\": \"n\"}\n}").unwrap();
        assert_eq!(resource_id(&f.objects[0]), "Namespace/n");
    }

    #[test]
    fn cronjob_template() {
        let f = load("c.yaml", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: i}]\n          containers: [{name: c}]\n          ephemeralContainers: [{name: e}]\n").unwrap();
        let (_, spec) = pod_template(&f.objects[0]).unwrap();
        let kinds: Vec<ContainerKind> = containers(spec).iter().map(|c| c.0).collect();
        assert_eq!(
            kinds,
            [
                ContainerKind::Init,
                ContainerKind::Regular,
                ContainerKind::Ephemeral
            ]
        );
    }
}
