//! Go module files: `go.mod` (`require` with `// indirect`, `replace`) and `go.sum`.
//!
//! Since Go 1.17 a `go.mod` lists every module of the build; before, it lists only direct
//! requirements, and `go.sum` (which also names modules pruned from the build graph) fills in
//! the rest. So a `go.sum` package is reported (at the highest version `go.sum` names for its
//! module, as minimal version selection would pick) only when no `go.mod` sits beside it, or
//! when that `go.mod` declares a Go version before 1.17 and does not require the module
//! itself. Such a `go.mod` keeps its bytes as a [`FactKind::Content`] fact so that
//! [`merge_go_sum`] can tell after the squash.

use super::{file_name, packages_fact, parent_dir, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta, LocatedFact};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

const GO_MOD_ANALYZER: &str = "gomod";

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
        let err = |e: String| AnalyzerError::new(format!("{}: {e}", file.path));
        let (mut packages, complete) = if file.path.ends_with("go.sum") {
            (parse_go_sum(text).map_err(err)?, true)
        } else {
            let (packages, go_version) = parse_go_mod(text).map_err(err)?;
            (packages, go_version.is_some_and(|v| v >= (1, 17)))
        };
        for p in &mut packages {
            p.location.path = file.path.to_string();
        }
        let mut facts = packages_fact(self.name(), file.path, packages);
        if !complete {
            facts.push(Fact {
                analyzer: self.name().to_string(),
                path: file.path.to_string(),
                kind: FactKind::Content(content.to_vec()),
            });
        }
        Ok(facts)
    }
}

fn module(name: &str, version: &str, pkg_type: &str) -> Package {
    let mut p = Package::new(Ecosystem::Golang, name, version);
    p.pkg_type = pkg_type.to_string();
    p
}

/// A `go` directive's version: major and minor.
type GoVersion = (u32, u32);

/// The required modules of a `go.mod`, with replacements applied, and its `go` version.
fn parse_go_mod(text: &str) -> Result<(Vec<Package>, Option<GoVersion>), String> {
    let mut go_version = None;
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
            "go" => {
                let mut parts = rest.split('.').map(|p| p.parse::<u32>().ok());
                if let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) {
                    go_version = Some((major, minor));
                }
            }
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
    Ok((packages, go_version))
}

/// The modules of a `go.sum` (`/go.mod`-only lines included), each at the highest version
/// listed for it.
fn parse_go_sum(text: &str) -> Result<Vec<Package>, String> {
    let mut modules: BTreeMap<&str, &str> = BTreeMap::new();
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
        let best = modules.entry(name).or_insert(version);
        if compare_versions(version, best) == Ordering::Greater {
            *best = version;
        }
    }
    Ok(modules
        .into_iter()
        .map(|(n, v)| module(n, v, "gosum"))
        .collect())
}

/// Orders Go module versions (`v1.2.3`, `v0.0.0-20190308221718-c2843e01d9a2`,
/// `v2.0.0+incompatible`) by semantic-versioning precedence.
fn compare_versions(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> ([u64; 3], Option<&str>) {
        let v = v.trim_start_matches('v');
        let v = v.split_once('+').map_or(v, |(core, _build)| core);
        let (core, pre) = match v.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (v, None),
        };
        let mut numbers = [0; 3];
        for (slot, part) in numbers.iter_mut().zip(core.split('.')) {
            *slot = part.parse().unwrap_or(0);
        }
        (numbers, pre)
    }
    let (a_core, a_pre) = split(a);
    let (b_core, b_pre) = split(b);
    a_core.cmp(&b_core).then_with(|| match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let mut a_ids = a.split('.');
            let mut b_ids = b.split('.');
            loop {
                match (a_ids.next(), b_ids.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(x), Some(y)) => {
                        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            (Err(_), Err(_)) => x.cmp(y),
                        };
                        if order != Ordering::Equal {
                            return order;
                        }
                    }
                }
            }
        }
    })
}

/// Applies the `go.sum` rule of the module docs to the final packages, given the final facts.
pub(crate) fn merge_go_sum(packages: &mut Vec<Package>, live: &[&LocatedFact]) {
    let mut with_go_mod = HashSet::new();
    let mut incomplete = HashSet::new();
    for located in live {
        let fact = &located.fact;
        if fact.analyzer != GO_MOD_ANALYZER || !fact.path.ends_with("go.mod") {
            continue;
        }
        let dir = parent_dir(&fact.path);
        with_go_mod.insert(dir);
        if matches!(fact.kind, FactKind::Content(_)) {
            incomplete.insert(dir);
        }
    }
    let required: HashSet<(String, String)> = packages
        .iter()
        .filter(|p| p.pkg_type == "gomod")
        .map(|p| (parent_dir(&p.location.path).to_string(), p.name.clone()))
        .collect();
    packages.retain_mut(|p| {
        if p.pkg_type != "gosum" {
            return true;
        }
        let dir = parent_dir(&p.location.path);
        if !with_go_mod.contains(dir) {
            return true;
        }
        if !incomplete.contains(dir) || required.contains(&(dir.to_string(), p.name.clone())) {
            return false;
        }
        p.direct = Some(false);
        true
    });
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
    fn go_sum_fixtures_list_each_module_once() {
        for file in ["normal/go.sum", "go116/go.sum", "gomod_trivy.sum"] {
            let raw = fixture(&format!("gomod/{file}"));
            let text = String::from_utf8_lossy(&raw);
            // Independent count: distinct first fields (module paths) of the raw lines.
            let modules: HashSet<&str> = text.lines().filter_map(|l| l.split(' ').next()).collect();
            let packages = analyze(&GoModAnalyzer, "src/go.sum", &raw);
            assert_eq!(packages.len(), modules.len(), "{file}");
        }
    }

    #[test]
    fn highest_version_wins_by_semver_precedence() {
        let sum = "a.com/x v1.2.0/go.mod h1:a=\na.com/x v1.10.0 h1:b=\na.com/x v1.10.0-rc.1 h1:c=\n\
                   b.com/y v0.0.0-20190308221718-c2843e01d9a2/go.mod h1:d=\n\
                   b.com/y v0.0.0-20200101000000-aaaaaaaaaaaa/go.mod h1:e=\n\
                   c.com/z v2.0.0+incompatible h1:f=\nc.com/z v1.9.9 h1:g=\n";
        let ids: Vec<String> = parse_go_sum(sum)
            .expect("parses")
            .iter()
            .map(Package::id)
            .collect();
        assert_eq!(
            ids,
            [
                "a.com/x@v1.10.0",
                "b.com/y@v0.0.0-20200101000000-aaaaaaaaaaaa",
                "c.com/z@v2.0.0+incompatible"
            ]
        );
        assert!(parse_go_sum("a.com/x v1\n").unwrap_err().contains("line 1"));
    }

    #[test]
    fn replace_directives() {
        let text = "module m\n\ngo 1.21\n\nrequire (\n\ta.com/x v1.0.0\n\tb.com/y v1.1.0 // indirect\n\tc.com/z v0.1.0\n)\n\nreplace a.com/x => a.com/fork v1.0.1\nreplace c.com/z v0.1.0 => ../z\n";
        let (packages, go) = parse_go_mod(text).expect("parses");
        assert_eq!(go, Some((1, 21)));
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["a.com/fork@v1.0.1", "b.com/y@v1.1.0"]);
        assert!(
            parse_go_mod("require (\n a v1\n")
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(parse_go_mod("require a\n").unwrap_err().contains("line 1"));
    }
}
