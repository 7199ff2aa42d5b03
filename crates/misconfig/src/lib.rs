//! Misconfiguration scanning: Dockerfiles, Kubernetes manifests, Pod Security Standards.
//!
//! This crate owns the Dockerfile parser and shell tokenizer, the Dockerfile checks, the
//! Kubernetes manifest loader (multi-document YAML and JSON with line numbers and limits
//! against hostile input), the Pod Security Standards exactly as upstream defines them, and
//! the other Kubernetes checks. Findings come out in the shared Trivy-shaped report model
//! ([`osprey_model::report::ReportResult`]), one result per file.
//!
//! It must not touch: Rego/Gatekeeper policies (`policy` crate), the CLI, rendering, live
//! clusters.
//!
//! Entry points: [`scan_path`] (a file or a directory tree), [`scan_bytes`] (one named input,
//! e.g. `-`), [`scan_stdin`]; [`Options`] picks the PSS level and version, passed checks,
//! skipped IDs and Dockerfile configuration. Check catalogues for listings and docs:
//! [`dockerfile::checks::all_checks`], [`k8s::checks::all_checks`], [`k8s::pss::CHECKS`].
//! IDs: `OSP-DF-NNN` (Dockerfile), `OSP-K8S-NNN` (Kubernetes), `pss:<upstream check ID>`,
//! `OSP-PARSE-001` (a file in a directory walk that could not be parsed).
//!
//! ```
//! use osprey_misconfig::{InputKind, Options, scan_bytes};
//! let results = scan_bytes("Dockerfile", b"FROM alpine:latest\nRUN apk add curl\n", InputKind::Dockerfile, &Options::default()).unwrap();
//! let ids: Vec<&str> = results[0].misconfigurations.iter().map(|m| m.id.as_str()).collect();
//! assert!(ids.contains(&"OSP-DF-011")); // latest tag
//! assert!(ids.contains(&"OSP-DF-002")); // no USER
//! ```
#![deny(missing_docs)]

pub mod catalog;
pub mod dockerfile;
mod error;
pub mod k8s;
mod options;
mod report;
mod secret_names;

pub use error::Error;
pub use options::{Options, PssLevel, PssVersion};
use osprey_model::report::ReportResult;

use std::io::Read;
use std::path::Path;

/// What a byte stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A Dockerfile.
    Dockerfile,
    /// Kubernetes manifests (YAML, multi-document, or JSON).
    Kubernetes,
    /// Decide from the name, then the content.
    Auto,
}

/// Scans one named input (a file's bytes, or stdin for `-`). With [`InputKind::Auto`] an input
/// that is neither a Dockerfile nor a manifest gives no result.
pub fn scan_bytes(
    name: &str,
    bytes: &[u8],
    kind: InputKind,
    opts: &Options,
) -> Result<Vec<ReportResult>, Error> {
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(Error::TooLarge {
            file: name.into(),
            size: bytes.len() as u64,
            limit: opts.max_file_bytes,
        });
    }
    match kind {
        InputKind::Dockerfile => Ok(vec![dockerfile::scan(name, bytes, opts)?]),
        InputKind::Kubernetes => Ok(vec![k8s::scan(name, bytes, opts)?]),
        InputKind::Auto => match detect(name, bytes)? {
            Detected::Dockerfile => Ok(vec![dockerfile::scan(name, bytes, opts)?]),
            Detected::Manifest(f) => {
                let cluster = k8s::Cluster::new(f.objects.iter());
                Ok(vec![k8s::scan_loaded(&f, &cluster, opts)])
            }
            Detected::Neither => Ok(Vec::new()),
        },
    }
}

/// Reads stdin fully (`-`, e.g. `helm template ... | osprey config -`) and scans it.
pub fn scan_stdin(kind: InputKind, opts: &Options) -> Result<Vec<ReportResult>, Error> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(opts.max_file_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|source| Error::Io {
            path: "-".into(),
            source,
        })?;
    scan_bytes("-", &buf, kind, opts)
}

/// An input after detection.
enum Detected {
    Dockerfile,
    Manifest(k8s::manifest::ManifestFile),
    Neither,
}

/// Decides what a named input is, loading manifests once: Dockerfile by name; manifest by
/// extension (or `-`) and content, a document with `apiVersion` and `kind`. A file that
/// mentions `apiVersion` and `kind` but does not load is an error, not silently skipped.
fn detect(name: &str, bytes: &[u8]) -> Result<Detected, Error> {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    if dockerfile::is_dockerfile_name(base) {
        return Ok(Detected::Dockerfile);
    }
    let lower = base.to_ascii_lowercase();
    let manifest_ext = [".yaml", ".yml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e));
    if !(manifest_ext || name == "-") {
        return Ok(Detected::Neither);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(Detected::Neither);
    };
    let mentions = text.contains("apiVersion") && text.contains("kind");
    match k8s::load(name, bytes) {
        Ok(f) if !f.objects.is_empty() => return Ok(Detected::Manifest(f)),
        Err(e) if mentions => return Err(e),
        _ => {}
    }
    if name == "-" && dockerfile::parser::parse(bytes).is_ok_and(|d| !d.stages.is_empty()) {
        return Ok(Detected::Dockerfile);
    }
    Ok(Detected::Neither)
}

/// Scans a file or a directory tree. Dockerfiles are found by name (`Dockerfile`,
/// `*.Dockerfile`, `Dockerfile.*`, `Containerfile`), manifests by extension (`.yaml`, `.yml`,
/// `.json`) and content (`apiVersion` + `kind`). A path named explicitly must parse; in a
/// directory walk a file that fails to parse becomes a finding (`OSP-PARSE-001`, with the
/// error and its line) and the walk goes on. Symbolic links are not followed; hidden
/// directories, `node_modules`, `target` and Helm chart `templates/` are skipped.
pub fn scan_path(path: &Path, opts: &Options) -> Result<Vec<ReportResult>, Error> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    if !meta.is_dir() {
        let bytes = read_limited(path, opts)?;
        return scan_bytes(&path.to_string_lossy(), &bytes, InputKind::Auto, opts);
    }
    let mut files = Vec::new();
    walk(path, &mut files, 0)?;
    files.sort();
    // Manifests are loaded first and checked together, so checks can relate objects across
    // files (a Namespace and the NetworkPolicies of that namespace).
    let mut results: Vec<(String, ReportResult)> = Vec::new();
    let mut manifests = Vec::new();
    for file in files {
        let name = file.to_string_lossy().to_string();
        let step = read_limited(&file, opts).and_then(|bytes| {
            let detected = detect(&name, &bytes)?;
            if let Detected::Dockerfile = detected {
                results.push((name.clone(), dockerfile::scan(&name, &bytes, opts)?));
            }
            Ok(detected)
        });
        match step {
            Ok(Detected::Manifest(manifest)) => manifests.push(manifest),
            Ok(_) => {}
            Err(e @ (Error::Dockerfile { .. } | Error::Yaml { .. } | Error::TooLarge { .. })) => {
                results.push((name.clone(), report::parse_failure(&name, &e)))
            }
            Err(e) => return Err(e),
        }
    }
    let cluster = k8s::Cluster::new(manifests.iter().flat_map(|m| m.objects.iter()));
    for m in &manifests {
        results.push((m.name.clone(), k8s::scan_loaded(m, &cluster, opts)));
    }
    results.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// The Kubernetes objects of every manifest `scan_path` would check under `path` (same file
/// discovery), each as JSON with its first and last line, grouped by file name (the
/// `Target` of that file's result). Files that do not parse are left out: `scan_path`
/// already reports them.
pub fn manifest_objects(path: &Path, opts: &Options) -> Result<Vec<ManifestObjects>, Error> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    let mut files = Vec::new();
    if meta.is_dir() {
        walk(path, &mut files, 0)?;
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut out = Vec::new();
    for file in files {
        let name = file.to_string_lossy().to_string();
        let Ok(bytes) = read_limited(&file, opts) else {
            continue;
        };
        if let Ok(Detected::Manifest(m)) = detect(&name, &bytes) {
            out.push(ManifestObjects {
                target: m.name.clone(),
                objects: m
                    .objects
                    .iter()
                    .map(|o| (o.to_json(), o.line, o.end_line))
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// One manifest file's objects, for [`manifest_objects`].
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestObjects {
    /// File name, as the `Target` of its result.
    pub target: String,
    /// Each object as JSON with its 1-based first and last line.
    pub objects: Vec<(serde_json::Value, usize, usize)>,
}

fn read_limited(path: &Path, opts: &Options) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io {
        path: path.into(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > opts.max_file_bytes {
        return Err(Error::TooLarge {
            file: path.to_string_lossy().into(),
            size,
            limit: opts.max_file_bytes,
        });
    }
    std::fs::read(path).map_err(io)
}

/// Collects candidate files under `dir` (not following symlinks).
fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>, depth: usize) -> Result<(), Error> {
    if depth > 64 {
        return Ok(());
    }
    let io = |source| Error::Io {
        path: dir.into(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let ft = entry.file_type().map_err(io)?;
        let name = entry.file_name().to_string_lossy().to_string();
        if ft.is_dir() {
            // A Helm chart's templates are Go templates, not YAML: scan `helm template` output
            // through stdin instead.
            let chart_templates = name == "templates" && dir.join("Chart.yaml").is_file();
            if !name.starts_with('.')
                && name != "node_modules"
                && name != "target"
                && !chart_templates
            {
                walk(&path, out, depth + 1)?;
            }
        } else if ft.is_file() {
            let lower = name.to_ascii_lowercase();
            if dockerfile::is_dockerfile_name(&name)
                || [".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| lower.ends_with(e))
            {
                out.push(path);
            }
        }
    }
    Ok(())
}
