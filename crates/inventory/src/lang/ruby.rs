//! Ruby gems: installed specifications (`specifications/*.gemspec`, Ruby source written by
//! RubyGems) and `Gemfile.lock` (bundler).

use super::{file_name, packages_fact, utf8};
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use std::collections::{HashMap, HashSet};

/// Reads installed gem specifications.
pub(crate) struct GemspecAnalyzer;

/// Reads `Gemfile.lock` files.
pub(crate) struct GemfileLockAnalyzer;

impl Analyzer for GemspecAnalyzer {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path.ends_with(".gemspec") && file.path.contains("specifications/")
    }

    fn max_size(&self) -> u64 {
        1 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = String::from_utf8_lossy(content);
        let (mut name, mut version, mut licenses) = (None, None, Vec::new());
        for line in text.lines() {
            let line = line.trim();
            // `s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`
            let Some((lhs, rhs)) = line.split_once('=') else {
                continue;
            };
            let field = lhs.trim().rsplit('.').next().unwrap_or("");
            match field {
                "name" if name.is_none() => name = first_string(rhs),
                "version" if version.is_none() => version = first_string(rhs),
                "license" | "licenses" if licenses.is_empty() => licenses = all_strings(rhs),
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Err(AnalyzerError::new(format!(
                "{}: no `.name = \"…\"` and `.version = \"…\"` assignments",
                file.path
            )));
        };
        let mut p = Package::new(Ecosystem::Gem, name, version);
        p.pkg_type = "gemspec".to_string();
        p.location.path = file.path.to_string();
        p.licenses = licenses;
        Ok(packages_fact(self.name(), file.path, vec![p]))
    }
}

/// The double-quoted strings in a Ruby expression.
fn all_strings(expr: &str) -> Vec<String> {
    expr.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn first_string(expr: &str) -> Option<String> {
    all_strings(expr)
        .into_iter()
        .next()
        .filter(|s| !s.is_empty())
}

impl Analyzer for GemfileLockAnalyzer {
    fn name(&self) -> &'static str {
        "bundler"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        matches!(file_name(file.path), "Gemfile.lock" | "gems.locked")
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let text = utf8(file.path, content)?;
        let packages = parse_gemfile_lock(file.path, text)?;
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

/// `name (version)` -> name and version, the platform suffix (`-x86_64-linux`) dropped.
fn name_version(spec: &str) -> Option<(&str, &str)> {
    let (name, rest) = spec.split_once(" (")?;
    let version = rest.strip_suffix(')')?;
    let version = version.split_once('-').map_or(version, |(v, _)| v);
    Some((name, version))
}

fn parse_gemfile_lock(path: &str, text: &str) -> Result<Vec<Package>, AnalyzerError> {
    let mut section = "";
    let mut gems: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut direct = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let spec = line.trim();
        match (section, indent) {
            ("GEM" | "GIT" | "PATH", 4) => {
                let (name, version) = name_version(spec).ok_or_else(|| {
                    AnalyzerError::new(format!(
                        "{path}: line {}: expected `name (version)`, got {spec:?}",
                        index + 1
                    ))
                })?;
                gems.push((name.to_string(), version.to_string(), Vec::new()));
            }
            ("GEM" | "GIT" | "PATH", 6) => {
                if let Some(gem) = gems.last_mut() {
                    let name = spec.split(' ').next().unwrap_or(spec);
                    gem.2.push(name.to_string());
                }
            }
            ("DEPENDENCIES", 2) => {
                let name = spec.split([' ', '!']).next().unwrap_or(spec);
                direct.insert(name.to_string());
            }
            _ => {}
        }
    }
    let ids: HashMap<&str, String> = gems
        .iter()
        .map(|(n, v, _)| (n.as_str(), format!("{n}@{v}")))
        .collect();
    Ok(gems
        .iter()
        .map(|(name, version, deps)| {
            let mut p = Package::new(Ecosystem::Gem, name.clone(), version.clone());
            p.pkg_type = "bundler".to_string();
            p.location.path = path.to_string();
            p.direct = Some(direct.contains(name));
            p.depends_on = deps
                .iter()
                .filter_map(|d| ids.get(d.as_str()).cloned())
                .collect();
            p
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::tests::{analyze, fixture};

    #[test]
    fn gemfile_lock_fixtures() {
        for file in ["Gemfile_normal.lock", "Gemfile_bundler2.lock"] {
            let raw = fixture(&format!("bundler/{file}"));
            let text = String::from_utf8_lossy(&raw);
            let packages = analyze(&GemfileLockAnalyzer, "app/Gemfile.lock", &raw);
            // Independent counts: spec lines are indented exactly four spaces; DEPENDENCIES
            // lines two.
            let specs = text
                .lines()
                .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
                .count();
            assert_eq!(packages.len(), specs, "{file}");
            let deps_section = text.split("DEPENDENCIES\n").nth(1).expect("section");
            let direct = deps_section
                .lines()
                .take_while(|l| l.starts_with("  "))
                .count();
            assert_eq!(
                packages.iter().filter(|p| p.direct == Some(true)).count(),
                direct
            );
        }
        let raw = fixture("bundler/Gemfile_bundler2.lock");
        let packages = analyze(&GemfileLockAnalyzer, "Gemfile.lock", &raw);
        let pry = packages.iter().find(|p| p.name == "pry").expect("pry");
        assert_eq!(pry.depends_on, ["coderay@1.1.3", "method_source@1.0.0"]);
    }

    #[test]
    fn installed_gemspec() {
        let spec = br#"# -*- encoding: utf-8 -*-
# stub: rack 2.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.3"
  s.licenses = ["MIT".freeze]
  s.add_runtime_dependency(%q<minitest>.freeze, ["~> 5.0"])
end
"#;
        let packages = analyze(
            &GemspecAnalyzer,
            "usr/local/bundle/specifications/rack-2.2.3.gemspec",
            spec,
        );
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].id(), "rack@2.2.3");
        assert_eq!(packages[0].licenses, ["MIT"]);
        let err = GemspecAnalyzer
            .analyze(
                &FileMeta {
                    path: "specifications/x.gemspec",
                    size: 3,
                    mode: 0o644,
                },
                b"s.name = 1",
            )
            .unwrap_err();
        assert!(err.message.starts_with("specifications/x.gemspec"));
    }

    #[test]
    fn malformed_spec_line_names_the_line() {
        let err = GemfileLockAnalyzer
            .analyze(
                &FileMeta {
                    path: "Gemfile.lock",
                    size: 1,
                    mode: 0o644,
                },
                b"GEM\n  remote: x\n  specs:\n    broken\n",
            )
            .unwrap_err();
        assert!(err.message.contains("line 4"), "{err}");
    }
}
