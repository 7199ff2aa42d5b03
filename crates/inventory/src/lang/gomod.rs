//! Go module files: `go.mod` (`require` with `// indirect`, `replace`) and `go.sum`.
//!
//! `go.sum` lists every module whose hash the build checked, including modules pruned from the
//! build graph, so it only stands in for a missing `go.mod`: [`drop_superseded_go_sum`] removes
//! its packages when the same directory has a `go.mod`.

use super::{file_name, packages_fact, parent_dir, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use std::collections::{BTreeSet, HashSet};

/// The analyzer name, used by [`super::resolve`] to find `go.mod` facts.
pub(crate) const GO_MOD_ANALYZER: &str = "gomod";

/// Reads `go.mod` and `go.sum` files.
pub(crate) struct GoModAnalyzer;

impl Analyzer for GoModAnalyzer {
    fn name(&self) -> &'static str {
        GO_MOD_ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        matches!(file_name(file.path), "go.mod" | "go.sum")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = utf8(file.path, content)?;
        let result = if file.path.ends_with("go.sum") {
            parse_go_sum(text)
        } else {
            parse_go_mod(text)
        };
        let mut packages = result.map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        for p in &mut packages {
            p.location.path = file.path.to_string();
        }
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

fn module(name: &str, version: &str, pkg_type: &str) -> Package {
    let mut p = Package::new(Ecosystem::Golang, name, version);
    p.pkg_type = pkg_type.to_string();
    p
}

/// The required modules of a `go.mod`, with replacements applied.
fn parse_go_mod(text: &str) -> Result<Vec<Package>, String> {
    let mut requires: Vec<Package> = Vec::new();
    let mut replaces: Vec<(String, Option<String>, String, Option<String>)> = Vec::new();
    let mut block: Option<&str> = None;
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        let (code, comment) = raw.split_once("//").unwrap_or((raw, ""));
        let line = code.trim();
        if line.is_empty() {
            continue;
        }
        let (directive, rest) = match block {
            Some(_) if line == ")" => {
                block = None;
                continue;
            }
            Some(directive) => (directive, line),
            None => {
                let (directive, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(directive);
                    continue;
                }
                (directive, rest)
            }
        };
        let fields: Vec<&str> = rest
            .split_whitespace()
            .map(|f| f.trim_matches('"'))
            .collect();
        match directive {
            "require" => {
                let [name, version] = fields[..] else {
                    return Err(format!("line {n}: require needs a module and a version"));
                };
                let mut p = module(name, version, "gomod");
                p.direct = Some(!comment.trim().starts_with("indirect"));
                requires.push(p);
            }
            "replace" => {
                let arrow = fields
                    .iter()
                    .position(|f| *f == "=>")
                    .ok_or_else(|| format!("line {n}: replace without =>"))?;
                let (old, new) = fields.split_at(arrow);
                let new = &new[1..];
                let (Some(old_name), Some(new_name)) = (old.first(), new.first()) else {
                    return Err(format!("line {n}: replace needs a module on both sides"));
                };
                replaces.push((
                    old_name.to_string(),
                    old.get(1).map(|v| v.to_string()),
                    new_name.to_string(),
                    new.get(1).map(|v| v.to_string()),
                ));
            }
            _ => {}
        }
    }
    if block.is_some() {
        return Err("unterminated ( block".to_string());
    }
    let mut packages = Vec::new();
    'require: for mut p in requires {
        for (old, old_version, new, new_version) in &replaces {
            if *old != p.name || old_version.as_ref().is_some_and(|v| *v != p.version) {
                continue;
            }
            match new_version {
                Some(version) => {
                    p.name = new.clone();
                    p.version = version.clone();
                }
                // A local directory replaces the module: nothing is fetched from a registry.
                None => continue 'require,
            }
        }
        packages.push(p);
    }
    Ok(packages)
}

/// The modules of a `go.sum`, one per module and version (`/go.mod` hash lines included).
fn parse_go_sum(text: &str) -> Result<Vec<Package>, String> {
    let mut modules = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(name), Some(version), Some(_hash)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "line {}: expected `module version hash`",
                index + 1
            ));
        };
        let version = version.strip_suffix("/go.mod").unwrap_or(version);
        modules.insert((name.to_string(), version.to_string()));
    }
    Ok(modules
        .into_iter()
        .map(|(n, v)| module(&n, &v, "gosum"))
        .collect())
}

/// Removes `go.sum` packages of directories that have a `go.mod` (whose requirements are the
/// build list since Go 1.17).
pub(crate) fn drop_superseded_go_sum(packages: &mut Vec<Package>, go_mod_dirs: &HashSet<String>) {
    packages
        .retain(|p| p.pkg_type != "gosum" || !go_mod_dirs.contains(parent_dir(&p.location.path)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    #[test]
    fn go_mod_fixtures_list_their_requires() {
        for dir in ["normal", "go116"] {
            let raw = fixture(&format!("gomod/{dir}/go.mod"));
            let text = String::from_utf8_lossy(&raw);
            let packages = analyze(&GoModAnalyzer, "src/go.mod", &raw);
            // Independent count: lines naming a module path with a `v` version, inside or
            // outside require blocks.
            let module_lines = text
                .lines()
                .map(|l| l.trim().trim_start_matches("require").trim())
                .filter(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .is_some_and(|v| v.starts_with('v'))
                })
                .count();
            assert_eq!(packages.len(), module_lines, "{dir}");
            let indirect = text.matches("// indirect").count();
            assert_eq!(
                packages.iter().filter(|p| p.direct == Some(false)).count(),
                indirect
            );
        }
    }

    #[test]
    fn go_sum_fixtures_list_unique_modules() {
        for file in ["normal/go.sum", "go116/go.sum", "gomod_trivy.sum"] {
            let raw = fixture(&format!("gomod/{file}"));
            let text = String::from_utf8_lossy(&raw);
            // Independent count: lines whose hash is for the whole module (not `/go.mod`),
            // plus modules that only appear with a `/go.mod` hash.
            let full: HashSet<(&str, &str)> = text
                .lines()
                .filter_map(|l| {
                    let mut f = l.split(' ');
                    Some((f.next()?, f.next()?))
                })
                .filter(|(_, v)| !v.ends_with("/go.mod"))
                .collect();
            let mod_only = text
                .lines()
                .filter_map(|l| {
                    let mut f = l.split(' ');
                    Some((f.next()?, f.next()?.strip_suffix("/go.mod")?))
                })
                .filter(|pair| !full.contains(pair))
                .collect::<HashSet<_>>()
                .len();
            let packages = analyze(&GoModAnalyzer, "src/go.sum", &raw);
            assert_eq!(packages.len(), full.len() + mod_only, "{file}");
        }
    }

    #[test]
    fn replace_directives() {
        let text = "module m\n\ngo 1.21\n\nrequire (\n\ta.com/x v1.0.0\n\tb.com/y v1.1.0 // indirect\n\tc.com/z v0.1.0\n)\n\nreplace a.com/x => a.com/fork v1.0.1\nreplace c.com/z v0.1.0 => ../z\n";
        let ids: Vec<String> = parse_go_mod(text)
            .expect("parses")
            .iter()
            .map(Package::id)
            .collect();
        assert_eq!(ids, ["a.com/fork@v1.0.1", "b.com/y@v1.1.0"]);
        assert!(
            parse_go_mod("require (\n a v1\n")
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(parse_go_mod("require a\n").unwrap_err().contains("line 1"));
    }
}
