//! Kubernetes manifests: the loader ([`yaml`], [`manifest`]), Pod Security Standards
//! ([`pss`]) and the other checks ([`checks`]).

pub mod checks;
pub mod manifest;
pub mod pss;
pub mod yaml;

use crate::catalog::Diags;
use crate::report::{self, Kind};
use crate::{Error, Options, PssLevel, PssVersion};
use manifest::{ManifestFile, pod_template, resource_id};
use osprey_model::report::ReportResult;
use std::collections::{HashMap, HashSet};

const KIND: Kind = Kind {
    r#type: "kubernetes",
    provider: "Kubernetes",
};

/// Loads a manifest file, mapping load errors to [`Error::Yaml`] with the file name.
pub fn load(target: &str, bytes: &[u8]) -> Result<ManifestFile, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::Yaml {
            file: target.to_string(),
            line,
            column: 1,
            message: "not valid UTF-8".into(),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    manifest::load(target, text).map_err(|e| Error::Yaml {
        file: target.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// Loads and checks one manifest file on its own.
pub fn scan(target: &str, bytes: &[u8], opts: &Options) -> Result<ReportResult, Error> {
    let file = load(target, bytes)?;
    let cluster = Cluster::new(file.objects.iter());
    Ok(scan_loaded(&file, &cluster, opts))
}

/// Checks a loaded manifest file: PSS at the configured level and version for every pod
/// template, then every other check family. `cluster` indexes every object of the scan, for
/// checks that relate objects across files.
pub fn scan_loaded(file: &ManifestFile, cluster: &Cluster<'_>, opts: &Options) -> ReportResult {
    let mut d = Diags::default();
    for obj in &file.objects {
        let Some((metadata, spec)) = pod_template(obj) else {
            continue;
        };
        d.set_resource(resource_id(obj));
        let pod = pss::Pod { metadata, spec };
        let (level, version) = effective_pss(obj, cluster, opts);
        for (check, violations) in pss::evaluate(&pod, level, version) {
            let line = violations.first().map_or(spec.line, |v| v.line);
            let message = violations
                .iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            d.fail(check.meta, (line, line), message);
        }
    }
    let ctx = checks::Ctx::new(&file.objects, cluster);
    for family in checks::FAMILIES {
        (family.run)(&ctx, &mut d);
    }
    let pss_checks = pss::applicable(opts.pss_level, opts.pss_version)
        .into_iter()
        .map(|(c, _)| ("pss", c.meta));
    let other = checks::FAMILIES
        .iter()
        .flat_map(|f| f.checks.iter().map(move |m| (f.name, *m)));
    report::build(
        &file.name,
        KIND,
        pss_checks.chain(other),
        d.failures,
        |n| file.line(n),
        opts,
    )
}

/// The PSS level and version a workload is held to: the options', raised to its Namespace's
/// `pod-security.kubernetes.io/enforce` label when that namespace is in the scan and stricter.
fn effective_pss(
    obj: &yaml::Node,
    cluster: &Cluster<'_>,
    opts: &Options,
) -> (PssLevel, PssVersion) {
    let default = (opts.pss_level, opts.pss_version);
    if !opts.pss_namespace_labels {
        return default;
    }
    let ns = manifest::namespace(obj).unwrap_or("default");
    let Some(labels) = cluster
        .namespace(ns)
        .and_then(|o| o.at(&["metadata", "labels"]))
    else {
        return default;
    };
    let label = |k: &str| labels.get(k).and_then(yaml::Node::as_str);
    match label("pod-security.kubernetes.io/enforce").and_then(|l| l.parse::<PssLevel>().ok()) {
        Some(level) if level > opts.pss_level => {
            let version = label("pod-security.kubernetes.io/enforce-version")
                .and_then(|v| v.parse::<PssVersion>().ok())
                .unwrap_or(PssVersion::Latest);
            (level, version)
        }
        _ => default,
    }
}

/// Every object of a scan, indexed for the lookups that relate objects across files.
pub struct Cluster<'a> {
    namespaces: HashMap<&'a str, &'a yaml::Node>,
    default_deny: HashSet<&'a str>,
}

impl<'a> Cluster<'a> {
    /// Indexes `objects`.
    pub fn new(objects: impl Iterator<Item = &'a yaml::Node>) -> Self {
        let mut namespaces = HashMap::new();
        let mut default_deny = HashSet::new();
        for o in objects {
            match manifest::kind(o) {
                "Namespace" => {
                    namespaces.insert(manifest::name(o), o);
                }
                "NetworkPolicy" if checks::is_default_deny_ingress(o) => {
                    default_deny.insert(manifest::namespace(o).unwrap_or("default"));
                }
                _ => {}
            }
        }
        Cluster {
            namespaces,
            default_deny,
        }
    }

    /// The Namespace object named `name`, if scanned.
    pub fn namespace(&self, name: &str) -> Option<&'a yaml::Node> {
        self.namespaces.get(name).copied()
    }

    /// True when a scanned NetworkPolicy denies all ingress in namespace `name` by default.
    pub fn has_default_deny(&self, name: &str) -> bool {
        self.default_deny.contains(name)
    }
}
