//! OPA Gatekeeper semantics on top of regorus: ConstraintTemplates, Constraints and their
//! `match` blocks, the `input.review` an admission request becomes, and `data.inventory`.
//!
//! regorus only evaluates Rego; everything a Gatekeeper user relies on around it (which
//! objects a constraint applies to, what `input` looks like, libs, referential data) is
//! built here.

use crate::Error;
use regorus::{Engine, Value as RegoValue};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The Gatekeeper admission target name.
const ADMISSION_TARGET: &str = "admission.k8s.gatekeeper.sh";

/// A compiled ConstraintTemplate.
#[derive(Clone)]
pub struct Template {
    /// `spec.crd.spec.names.kind`: the kind of the constraints it defines.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// Rego package of the main module (`k8spspprivileged`).
    package: String,
    engine: Engine,
}

/// One violation a template reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// `msg`.
    pub msg: String,
    /// `details`, when the template gives them.
    pub details: Value,
    /// The constraint that was violated.
    pub constraint: String,
    /// `deny`, `dryrun`, `warn`.
    pub enforcement_action: String,
}

impl Template {
    /// Compiles a ConstraintTemplate document. `origin` names it in errors.
    pub fn compile(doc: &Value, origin: &Path) -> Result<Template, Error> {
        let bad = |reason: String| Error::Template {
            path: origin.to_path_buf(),
            reason,
        };
        if doc["kind"] != "ConstraintTemplate" {
            return Err(bad(format!(
                "expected kind ConstraintTemplate, found {}",
                doc["kind"]
            )));
        }
        let kind = doc["spec"]["crd"]["spec"]["names"]["kind"]
            .as_str()
            .ok_or_else(|| bad("spec.crd.spec.names.kind is missing".into()))?
            .to_string();
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or(&kind)
            .to_string();
        let target = doc["spec"]["targets"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["target"] == ADMISSION_TARGET))
            .ok_or_else(|| bad(format!("no target {ADMISSION_TARGET}")))?;
        let (rego, libs, v0) = rego_source(target).ok_or_else(|| {
            bad("no Rego source (only K8sNativeValidation/CEL code, which osprey does not evaluate yet)".into())
        })?;
        let mut engine = crate::rego::new_engine(v0);
        let package =
            crate::rego::add_module(&mut engine, &format!("{name}.rego"), &rego).map_err(bad)?;
        for (i, lib) in libs.iter().enumerate() {
            crate::rego::add_module(&mut engine, &format!("{name}.lib{i}.rego"), lib)
                .map_err(bad)?;
        }
        Ok(Template {
            kind,
            name,
            package,
            engine,
        })
    }

    /// Evaluates the template's `violation` rule for one review.
    pub fn violations(
        &self,
        constraint: &Constraint,
        review: &Value,
        inventory: &Value,
    ) -> Result<Vec<Violation>, String> {
        let mut engine = self.engine.clone();
        let input = json!({"review": review, "parameters": constraint.parameters});
        engine.set_input(RegoValue::from(input));
        engine
            .add_data(RegoValue::from(json!({"inventory": inventory})))
            .map_err(|e| e.to_string())?;
        let result = engine
            .eval_rule(format!("{}.violation", self.package))
            .map_err(|e| format!("template {}: {e}", self.name))?;
        let items: Vec<RegoValue> = match result {
            RegoValue::Undefined => Vec::new(),
            RegoValue::Set(s) => s.iter().cloned().collect(),
            RegoValue::Array(a) => a.iter().cloned().collect(),
            other => {
                return Err(format!(
                    "template {}: violation is not a set: {other}",
                    self.name
                ));
            }
        };
        items
            .into_iter()
            .map(|v| {
                let v: Value = serde_json::to_value(&v).map_err(|e| e.to_string())?;
                Ok(Violation {
                    msg: v["msg"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v["msg"].to_string()),
                    details: v.get("details").cloned().unwrap_or(Value::Null),
                    constraint: constraint.name.clone(),
                    enforcement_action: constraint.enforcement_action.clone(),
                })
            })
            .collect()
    }
}

/// The Rego of a target: legacy `rego`+`libs`, or the `Rego` engine entry of `code[]`.
/// Returns (rego, libs, is_v0).
fn rego_source(target: &Value) -> Option<(String, Vec<String>, bool)> {
    let libs_of = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(code) = target["code"].as_array() {
        for c in code {
            if c["engine"] == "Rego" {
                let src = &c["source"];
                if let Some(rego) = src["rego"].as_str() {
                    let v0 = src["version"].as_str() != Some("v1");
                    return Some((rego.to_string(), libs_of(&src["libs"]), v0));
                }
            }
        }
    }
    target["rego"]
        .as_str()
        .map(|r| (r.to_string(), libs_of(&target["libs"]), true))
}

/// A Constraint: which objects, which parameters, what to do on violation.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// The constraint's kind (= its template's `names.kind`).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.match`.
    pub matcher: Value,
    /// `spec.parameters` (an empty object when absent).
    pub parameters: Value,
    /// `spec.enforcementAction` (default `deny`).
    pub enforcement_action: String,
}

impl Constraint {
    /// Reads a Constraint document.
    pub fn from_doc(doc: &Value, origin: &Path) -> Result<Constraint, Error> {
        let kind = doc["kind"].as_str().ok_or_else(|| Error::Template {
            path: origin.to_path_buf(),
            reason: "constraint has no kind".into(),
        })?;
        Ok(Constraint {
            kind: kind.to_string(),
            name: doc["metadata"]["name"].as_str().unwrap_or(kind).to_string(),
            matcher: doc["spec"]["match"].clone(),
            parameters: match &doc["spec"]["parameters"] {
                Value::Null => json!({}),
                p => p.clone(),
            },
            enforcement_action: doc["spec"]["enforcementAction"]
                .as_str()
                .unwrap_or("deny")
                .to_string(),
        })
    }

    /// Whether this constraint applies to `review` (Gatekeeper's match semantics).
    /// `namespaces` resolves a namespace name to its Namespace object, for
    /// `namespaceSelector`.
    pub fn matches(&self, review: &Value, namespaces: &dyn Fn(&str) -> Option<Value>) -> bool {
        let obj = match &review["object"] {
            Value::Null => &review["oldObject"],
            o => o,
        };
        let m = &self.matcher;
        if m.is_null() {
            return true;
        }
        let group = review["kind"]["group"].as_str().unwrap_or("");
        let kind = review["kind"]["kind"].as_str().unwrap_or("");
        if let Some(kinds) = m["kinds"].as_array()
            && !kinds.is_empty()
            && !kinds
                .iter()
                .any(|k| list_has(&k["apiGroups"], group) && list_has(&k["kinds"], kind))
        {
            return false;
        }
        let is_namespace = kind == "Namespace" && group.is_empty();
        let namespace = if is_namespace {
            obj["metadata"]["name"].as_str().map(str::to_string)
        } else {
            review["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .map(str::to_string)
        };
        let namespaced = namespace.is_some() && !is_namespace;
        match m["scope"].as_str().unwrap_or("*") {
            "Cluster" if namespaced => return false,
            "Namespaced" if !namespaced => return false,
            _ => {}
        }
        if let Some(ns) = &namespace {
            if let Some(list) = m["namespaces"].as_array()
                && !list.is_empty()
                && !list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|p| glob_match(p, ns))
            {
                return false;
            }
            if let Some(list) = m["excludedNamespaces"].as_array()
                && list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|p| glob_match(p, ns))
            {
                return false;
            }
        }
        if let Some(name) = m["name"].as_str() {
            let obj_name = obj["metadata"]["name"].as_str().unwrap_or("");
            if !glob_match(name, obj_name) {
                return false;
            }
        }
        if !m["labelSelector"].is_null()
            && !selector_matches(&m["labelSelector"], &obj["metadata"]["labels"])
        {
            return false;
        }
        if !m["namespaceSelector"].is_null() {
            let labels = match &namespace {
                Some(_) if is_namespace => obj["metadata"]["labels"].clone(),
                Some(ns) => namespaces(ns)
                    .map(|n| n["metadata"]["labels"].clone())
                    .unwrap_or(Value::Null),
                // Cluster-scoped objects other than Namespaces are not filtered by it.
                None => return true,
            };
            if !selector_matches(&m["namespaceSelector"], &labels) {
                return false;
            }
        }
        true
    }
}

fn list_has(list: &Value, item: &str) -> bool {
    match list.as_array() {
        None => true,
        Some(l) => l
            .iter()
            .filter_map(Value::as_str)
            .any(|x| x == "*" || x == item),
    }
}

/// Gatekeeper's namespace globs: a `*` prefix or suffix wildcard, else exact.
fn glob_match(pattern: &str, s: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        _ if pattern == "*" => true,
        (Some(suffix), _) => s.ends_with(suffix),
        (_, Some(prefix)) => s.starts_with(prefix),
        _ => pattern == s,
    }
}

/// A Kubernetes LabelSelector (`matchLabels`, `matchExpressions` with In, NotIn, Exists,
/// DoesNotExist) against a labels map.
pub fn selector_matches(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    if let Some(ml) = selector["matchLabels"].as_object() {
        for (k, v) in ml {
            if label(k) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = selector["matchExpressions"].as_array() {
        for e in exprs {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ok = match e["operator"].as_str().unwrap_or("") {
                "In" => label(key).is_some_and(|l| values.contains(&l)),
                "NotIn" => label(key).is_none_or(|l| !values.contains(&l)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// Kinds that are cluster-scoped in Kubernetes; an object of one of them never gets a
/// namespace in its review.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "IngressClass",
    "RuntimeClass",
    "APIService",
    "CertificateSigningRequest",
    "PodSecurityPolicy",
    "ConstraintTemplate",
];

/// The `group/version` of an object's `apiVersion` split (`apps/v1` -> `apps`, `v1`).
fn group_version(obj: &Value) -> (String, String) {
    let av = obj["apiVersion"].as_str().unwrap_or("");
    match av.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), av.to_string()),
    }
}

/// The `input.review` Gatekeeper builds for an object: an AdmissionReview's request as is
/// (with `kind` filled from the object when absent), or a CREATE of a plain object. Objects
/// without a namespace are put in `default`, as the API server would.
pub fn review_for(doc: &Value) -> Value {
    if doc["kind"] == "AdmissionReview" {
        let mut req = doc["request"].clone();
        let obj = match &req["object"] {
            Value::Null => req["oldObject"].clone(),
            o => o.clone(),
        };
        if req["kind"].is_null() {
            let (g, v) = group_version(&obj);
            req["kind"] = json!({"group": g, "version": v, "kind": obj["kind"]});
        }
        if req["name"].is_null() {
            req["name"] = obj["metadata"]["name"].clone();
        }
        if req["namespace"].is_null() {
            req["namespace"] = namespace_of(&obj).map(Value::from).unwrap_or(Value::Null);
        }
        return req;
    }
    let (g, v) = group_version(doc);
    let mut review = json!({
        "kind": {"group": g, "version": v, "kind": doc["kind"]},
        "name": doc["metadata"]["name"],
        "operation": "CREATE",
        "object": doc,
        "userInfo": {"username": "osprey", "groups": ["system:authenticated"]},
    });
    if let Some(ns) = namespace_of(doc) {
        review["namespace"] = Value::from(ns);
    }
    review
}

fn namespace_of(obj: &Value) -> Option<String> {
    let kind = obj["kind"].as_str().unwrap_or("");
    if CLUSTER_SCOPED.contains(&kind) {
        return None;
    }
    Some(
        obj["metadata"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
            .unwrap_or("default")
            .to_string(),
    )
}

/// `data.inventory` from objects, as Gatekeeper's sync fills it:
/// `cluster[apiVersion][kind][name]` and `namespace[ns][apiVersion][kind][name]`.
pub fn inventory(objects: &[Value]) -> Value {
    let mut inv = json!({"cluster": {}, "namespace": {}});
    for o in objects {
        let av = o["apiVersion"].as_str().unwrap_or("v1").to_string();
        let kind = o["kind"].as_str().unwrap_or("").to_string();
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        let slot = match namespace_of(o) {
            Some(ns) => &mut inv["namespace"][ns][av][kind][name],
            None => &mut inv["cluster"][av][kind][name],
        };
        *slot = o.clone();
    }
    inv
}

/// Finds the Namespace object called `name` among inventory objects.
pub fn namespace_lookup(objects: &[Value]) -> impl Fn(&str) -> Option<Value> + '_ {
    move |name| {
        objects
            .iter()
            .find(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == name)
            .cloned()
    }
}

/// Resolves `rel` against the directory of `base`.
pub(crate) fn relative_to(base: &Path, rel: &str) -> PathBuf {
    base.parent().unwrap_or(Path::new(".")).join(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_globs() {
        let labels = json!({"app": "web", "tier": "front"});
        assert!(selector_matches(
            &json!({"matchLabels": {"app": "web"}}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "db"}}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "x"]},
                                         {"key": "gone", "operator": "DoesNotExist"}]}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}),
            &labels
        ));
        assert!(glob_match("kube-*", "kube-system"));
        assert!(glob_match("*-system", "kube-system"));
        assert!(!glob_match("kube-system", "kube-public"));
    }

    #[test]
    fn reviews_of_plain_objects_and_admission_reviews() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        let r = review_for(&pod);
        assert_eq!(r["namespace"], "default");
        assert_eq!(r["kind"]["kind"], "Pod");
        assert_eq!(r["operation"], "CREATE");
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "x"}});
        assert_eq!(review_for(&dep)["kind"]["group"], "apps");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}});
        assert!(review_for(&ns).get("namespace").is_none());
        let ar = json!({"kind": "AdmissionReview", "request": {"operation": "DELETE", "oldObject": pod}});
        let r = review_for(&ar);
        assert_eq!(r["operation"], "DELETE");
        assert_eq!(r["kind"]["kind"], "Pod");
    }
}
