//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
//! `EGG-INFO/PKG-INFO` and `*.egg-info` files (core metadata, an RFC 822 header block).

use super::{packages_fact, parent_dir};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use std::collections::HashMap;

/// Reads Python core metadata files.
pub(crate) struct PythonAnalyzer;

impl Analyzer for PythonAnalyzer {
    fn name(&self) -> &'static str {
        "python-pkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        let path = file.path;
        path.ends_with(".dist-info/METADATA")
            || path.ends_with(".egg-info/PKG-INFO")
            || path.ends_with("EGG-INFO/PKG-INFO")
            || path.ends_with(".egg-info")
    }

    fn max_size(&self) -> u64 {
        // Core metadata embeds the long description; 8 MiB is far beyond any real one.
        8 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let package = parse_metadata(file.path, content)?;
        Ok(packages_fact(self.name(), file.path, vec![package]))
    }
}

/// One distribution from its core metadata headers. Only the header block (up to the first
/// blank line) is read: the body is the free-text description.
fn parse_metadata(path: &str, content: &[u8]) -> Result<Package, AnalyzerError> {
    // Metadata is UTF-8 by spec, but old PKG-INFO files carry Latin-1 author names: decode
    // lossily rather than reject the file.
    let text = String::from_utf8_lossy(content);
    let mut name = None;
    let mut version = None;
    let mut license = None;
    let mut license_expression = None;
    let mut classifier_licenses = Vec::new();
    let mut requires = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a multi-line field (License text, Description)
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Name" => name = Some(value.to_string()),
            "Version" => version = Some(value.to_string()),
            "License" if !value.is_empty() && value != "UNKNOWN" => {
                license = Some(value.to_string())
            }
            "License-Expression" if !value.is_empty() => {
                license_expression = Some(value.to_string())
            }
            "Classifier" => {
                if let Some(rest) = value.strip_prefix("License :: ") {
                    // `License :: OSI Approved :: MIT License` -> `MIT License`.
                    if let Some(last) = rest.rsplit(" :: ").next()
                        && last != "OSI Approved"
                    {
                        classifier_licenses.push(last.to_string());
                    }
                }
            }
            "Requires-Dist" => {
                if let Some(requirement) = requirement_name(value) {
                    requires.push(requirement);
                }
            }
            _ => {}
        }
    }
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AnalyzerError::new(format!("{path}: no Name header")))?;
    let version = version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AnalyzerError::new(format!("{path}: no Version header")))?;
    let mut package = Package::new(Ecosystem::Pypi, name, version);
    package.pkg_type = "python-pkg".to_string();
    package.location.path = path.to_string();
    package.licenses = match (license_expression, license) {
        (Some(expression), _) => vec![expression],
        (None, Some(license)) => vec![license],
        (None, None) => classifier_licenses,
    };
    package.depends_on = requires;
    Ok(package)
}

/// The normalised project name of a `Requires-Dist` value, or `None` when the requirement only
/// applies to an extra (`bcrypt ; extra == 'bcrypt'`): extras are optional and not installed
/// by default.
fn requirement_name(value: &str) -> Option<String> {
    let (spec, marker) = value.split_once(';').unwrap_or((value, ""));
    if marker.contains("extra") {
        return None;
    }
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    (!name.is_empty()).then(|| normalize(name))
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            in_separator = true;
        } else {
            if in_separator && !out.is_empty() {
                out.push('-');
            }
            in_separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The site directory a distribution is installed in (the parent of its `.dist-info`).
fn site_dir(path: &str) -> &str {
    let meta_dir = if path.ends_with(".egg-info") {
        path
    } else {
        parent_dir(path)
    };
    parent_dir(meta_dir)
}

/// Replaces the requirement names the analyzer left in `depends_on` with the `name@version` IDs
/// of distributions installed in the same site directory, dropping requirements that are not
/// installed there.
pub(crate) fn resolve_requirements(packages: &mut [Package]) {
    let mut installed: HashMap<(String, String), String> = HashMap::new();
    for p in packages.iter().filter(|p| p.pkg_type == "python-pkg") {
        installed.insert(
            (site_dir(&p.location.path).to_string(), normalize(&p.name)),
            p.id(),
        );
    }
    for p in packages.iter_mut().filter(|p| p.pkg_type == "python-pkg") {
        let site = site_dir(&p.location.path).to_string();
        let mut ids: Vec<String> = p
            .depends_on
            .iter()
            .filter_map(|name| installed.get(&(site.clone(), name.clone())).cloned())
            .collect();
        ids.sort();
        ids.dedup();
        p.depends_on = ids;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    /// Counts `Requires-Dist` headers without an `extra` marker: the requirements installed by
    /// default, found here by a plain line scan of the raw file.
    fn default_requirements(raw: &str) -> usize {
        raw.lines()
            .filter(|l| l.starts_with("Requires-Dist:") && !l.contains("extra"))
            .count()
    }

    #[test]
    fn every_fixture_parses_to_its_name_and_version_headers() {
        for (file, as_path, name, version) in [
            (
                "asyncssh-2.14.2.METADATA",
                "x/asyncssh-2.14.2.dist-info/METADATA",
                "asyncssh",
                "2.14.2",
            ),
            (
                "networkx-3.0.METADATA",
                "x/networkx-3.0.dist-info/METADATA",
                "networkx",
                "3.0",
            ),
            (
                "zipp-3.12.1.METADATA",
                "x/zipp-3.12.1.dist-info/METADATA",
                "zipp",
                "3.12.1",
            ),
            (
                "setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
                "x/setuptools-51.3.3-py3.8.egg-info/PKG-INFO",
                "setuptools",
                "51.3.3",
            ),
            (
                "unidecode-egg-info.PKG-INFO",
                "x/Unidecode-0.4.1.egg-info",
                "Unidecode",
                "0.4.1",
            ),
        ] {
            let raw = fixture(&format!("python/{file}"));
            let packages = analyze(&PythonAnalyzer, as_path, &raw);
            assert_eq!(packages.len(), 1, "{file}");
            let p = &packages[0];
            assert_eq!(
                (p.name.as_str(), p.version.as_str()),
                (name, version),
                "{file}"
            );
            assert_eq!(p.pkg_type, "python-pkg");
            let text = String::from_utf8_lossy(&raw);
            assert_eq!(p.depends_on.len(), default_requirements(&text), "{file}");
        }
    }

    #[test]
    fn licence_prefers_the_license_header_and_skips_unknown() {
        let raw = fixture("python/asyncssh-2.14.2.METADATA");
        let p = &analyze(&PythonAnalyzer, "a.dist-info/METADATA", &raw)[0];
        assert_eq!(p.licenses, ["Eclipse Public License v2.0"]);
        let raw = fixture("python/unidecode-egg-info.PKG-INFO");
        let p = &analyze(&PythonAnalyzer, "a.egg-info/PKG-INFO", &raw)[0];
        assert!(
            p.licenses.iter().all(|l| l != "UNKNOWN"),
            "{:?}",
            p.licenses
        );
    }

    #[test]
    fn missing_version_is_an_error_naming_the_file() {
        let err = PythonAnalyzer
            .analyze(
                &FileMeta {
                    path: "a.dist-info/METADATA",
                    size: 10,
                    mode: 0o644,
                },
                b"Metadata-Version: 2.1\nName: x\n",
            )
            .unwrap_err();
        assert!(err.message.contains("a.dist-info/METADATA"), "{err}");
        assert!(err.message.contains("Version"), "{err}");
    }

    #[test]
    fn names_normalise_per_pep_503() {
        assert_eq!(normalize("Jinja2"), "jinja2");
        assert_eq!(normalize("jaraco.packaging"), "jaraco-packaging");
        assert_eq!(normalize("typing__extensions"), "typing-extensions");
        assert_eq!(requirement_name("pyOpenSSL>=0.14; extra == 'secure'"), None);
        assert_eq!(
            requirement_name("urllib3 (<1.27,>=1.21.1)").as_deref(),
            Some("urllib3")
        );
    }
}
