//! The user's secret config (`--secret-config FILE`), Trivy-like in spirit:
//!
//! ```yaml
//! rules:                       # extra rules, run before the built-in ones
//!   - id: internal-token
//!     category: Internal
//!     title: Internal service token
//!     severity: HIGH
//!     regex: 'itk_(?P<secret>[a-z0-9]{32})'
//!     keywords: [itk_]
//!     path: '\.env$'           # optional: only these paths
//!     entropy: 3.0             # optional: minimum Shannon entropy of the secret
//!     skip-docs: true          # optional: not in Markdown, READMEs, man pages
//!     allow-rules:             # optional: allow rules of this rule only
//!       - id: staging
//!         regex: '^0{32}$'
//! allow-rules:                 # global allow rules: `path` (regex), `glob`, `regex`
//!   - id: vendored
//!     glob: 'third_party/**'
//! disable-rules: [jwt-token]
//! disable-categories: [Generic]
//! disable-allow-rules: [tests]
//! enable-builtin-rules: []     # when non-empty, only these built-in rules run
//! ```
//!
//! Errors name the file and line: YAML errors carry the parser's position, rule errors the
//! line of the rule's `id`.

use crate::rule::{AllowSpec, RuleError, RuleSpec};
use osprey_model::Severity;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

/// A user rule with the line it was declared on.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRule {
    /// The rule.
    pub spec: RuleSpec,
    /// Line of its `id` in the config file.
    pub line: Option<u64>,
}

/// A user allow rule with the line it was declared on.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAllowRule {
    /// The allow rule.
    pub spec: AllowSpec,
    /// Line of its `id` in the config file.
    pub line: Option<u64>,
}

/// What a secret config says. [`SecretConfig::default`] is "built-in rules only".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretConfig {
    /// Extra rules.
    pub rules: Vec<UserRule>,
    /// Extra global allow rules.
    pub allow_rules: Vec<UserAllowRule>,
    /// Built-in rules not to run, by ID.
    pub disable_rules: Vec<String>,
    /// Built-in categories not to run (`Generic`, `JWT`), compared case-insensitively.
    pub disable_categories: Vec<String>,
    /// Built-in allow rules to turn off (`tests`, `examples`, `placeholders`,
    /// `public-certificates`).
    pub disable_allow_rules: Vec<String>,
    /// When non-empty, only these built-in rules run.
    pub enable_builtin_rules: Vec<String>,
}

/// A config that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The YAML is malformed or has unknown or mistyped fields.
    #[error("{file}{}: {message}", line.map(|l| format!(": line {l}")).unwrap_or_default())]
    Yaml {
        /// The file.
        file: String,
        /// Line of the error, when the parser knows it.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A rule or allow rule does not compile.
    #[error("{0}")]
    Rule(RuleError),
    /// The same, with the file named.
    #[error("{file}: {source}")]
    InFile {
        /// The file.
        file: String,
        /// The rule error.
        source: RuleError,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allow_rules: Vec<RawAllow>,
    #[serde(default)]
    disable_rules: Vec<String>,
    #[serde(default)]
    disable_categories: Vec<String>,
    #[serde(default)]
    disable_allow_rules: Vec<String>,
    #[serde(default)]
    enable_builtin_rules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    category: String,
    title: String,
    severity: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    secret_group_name: Option<String>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    skip_docs: bool,
    #[serde(default)]
    allow_rules: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawAllow {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    regex: Option<String>,
}

impl RawAllow {
    fn into_user(self) -> UserAllowRule {
        UserAllowRule {
            line: Some(self.id.referenced.line()),
            spec: AllowSpec {
                id: self.id.value,
                description: self.description,
                path: self.path,
                glob: self.glob,
                regex: self.regex,
            },
        }
    }
}

impl SecretConfig {
    /// Reads and parses a config file, then checks that every rule compiles.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_yaml(&text, &file)
    }

    /// Parses a config; `file` names it in errors. Every rule and allow rule is compiled
    /// here, so a bad regex is reported with its rule and line before any scan starts.
    pub fn from_yaml(text: &str, file: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = if text.trim().is_empty() {
            RawConfig {
                rules: Vec::new(),
                allow_rules: Vec::new(),
                disable_rules: Vec::new(),
                disable_categories: Vec::new(),
                disable_allow_rules: Vec::new(),
                enable_builtin_rules: Vec::new(),
            }
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml {
                file: file.to_string(),
                line: e.location().map(|l| l.line()),
                message: first_line(&e.to_string()),
            })?
        };
        let mut rules = Vec::new();
        for r in raw.rules {
            let line = Some(r.id.referenced.line());
            let severity = r
                .severity
                .to_ascii_uppercase()
                .parse::<Severity>()
                .map_err(|_| ConfigError::InFile {
                    file: file.to_string(),
                    source: RuleError {
                        rule: r.id.value.clone(),
                        line,
                        message: format!(
                            "severity `{}` is not one of LOW, MEDIUM, HIGH, CRITICAL",
                            r.severity
                        ),
                    },
                })?;
            let mut spec = RuleSpec::new(r.id.value, r.category, severity, r.title, r.regex);
            spec.keywords = r.keywords;
            spec.path = r.path;
            if let Some(group) = r.secret_group_name {
                spec.secret_group = group;
            }
            spec.min_entropy = r.entropy.unwrap_or(0.0);
            spec.skip_docs = r.skip_docs;
            spec.allow = r
                .allow_rules
                .into_iter()
                .map(|a| a.into_user().spec)
                .collect();
            rules.push(UserRule { spec, line });
        }
        let config = SecretConfig {
            rules,
            allow_rules: raw
                .allow_rules
                .into_iter()
                .map(RawAllow::into_user)
                .collect(),
            disable_rules: raw.disable_rules,
            disable_categories: raw.disable_categories,
            disable_allow_rules: raw.disable_allow_rules,
            enable_builtin_rules: raw.enable_builtin_rules,
        };
        config.validate(file)?;
        Ok(config)
    }

    /// Compiles every user rule and allow rule once, to report errors with the file named.
    fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let in_file = |source: RuleError| ConfigError::InFile {
            file: file.to_string(),
            source,
        };
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            if !seen.insert(r.spec.id.as_str()) {
                return Err(in_file(RuleError {
                    rule: r.spec.id.clone(),
                    line: r.line,
                    message: "the same id is declared twice".into(),
                }));
            }
            crate::rule::Rule::compile(r.spec.clone(), r.line, crate::rule::Origin::User)
                .map_err(in_file)?;
        }
        for a in &self.allow_rules {
            crate::rule::AllowRule::compile(&a.spec, "global", crate::rule::Origin::User).map_err(
                |mut e| {
                    e.line = a.line;
                    in_file(e)
                },
            )?;
        }
        let known: std::collections::HashSet<&str> =
            crate::builtin::BUILTIN_RULES.iter().map(|b| b.id).collect();
        for id in self.disable_rules.iter().chain(&self.enable_builtin_rules) {
            if !known.contains(id.as_str()) {
                tracing::warn!(file, rule = %id, "secret config names an unknown built-in rule");
            }
        }
        Ok(())
    }

    /// True when a built-in rule runs under this config.
    pub fn builtin_enabled(&self, id: &str, category: &str) -> bool {
        (self.enable_builtin_rules.is_empty() || self.enable_builtin_rules.iter().any(|e| e == id))
            && !self.disable_rules.iter().any(|d| d == id)
            && !self
                .disable_categories
                .iter()
                .any(|c| c.eq_ignore_ascii_case(category))
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let text = r#"
rules:
  - id: internal-token
    category: Internal
    title: Internal service token
    severity: high
    regex: 'itk_(?P<secret>[a-z0-9]{32})'
    keywords: [itk_]
    allow-rules:
      - id: zeros
        regex: '^0{32}$'
allow-rules:
  - id: vendored
    glob: 'third_party/**'
disable-rules: [jwt-token]
disable-categories: [generic]
"#;
        let c = SecretConfig::from_yaml(text, "s.yaml").unwrap();
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].line, Some(3));
        assert_eq!(c.rules[0].spec.severity, Severity::High);
        assert_eq!(
            c.allow_rules[0].spec.glob.as_deref(),
            Some("third_party/**")
        );
        assert!(!c.builtin_enabled("jwt-token", "JWT"));
        assert!(!c.builtin_enabled("password-assignment", "Generic"));
        assert!(c.builtin_enabled("github-pat", "GitHub"));
    }

    #[test]
    fn bad_regex_names_rule_file_and_line() {
        let text = "rules:\n  - id: ok\n    category: c\n    title: t\n    severity: LOW\n    regex: 'a{1,3}'\n  - id: broken\n    category: c\n    title: t\n    severity: LOW\n    regex: '(unclosed'\n";
        let e = SecretConfig::from_yaml(text, "cfg.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cfg.yaml: rule `broken` (line 7): invalid regex"),
            "{e}"
        );
    }

    #[test]
    fn unbounded_regex_is_refused() {
        let text = "rules:\n  - id: greedy\n    category: c\n    title: t\n    severity: LOW\n    regex: 'token=.*'\n";
        let e = SecretConfig::from_yaml(text, "cfg.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`greedy` (line 2)") && e.contains("unbounded"),
            "{e}"
        );
    }

    #[test]
    fn bad_yaml_and_unknown_fields_name_the_line() {
        let e =
            SecretConfig::from_yaml("rules:\n  - id: x\n    regexx: a\n", "cfg.yaml").unwrap_err();
        match &e {
            ConfigError::Yaml { line, .. } => assert!(line.is_some(), "{e}"),
            other => panic!("unexpected {other}"),
        }
        let e = SecretConfig::from_yaml("rules: [\n", "cfg.yaml").unwrap_err();
        assert!(e.to_string().starts_with("cfg.yaml"), "{e}");
    }

    #[test]
    fn bad_severity_and_duplicate_ids_are_refused() {
        let base = "  - id: a\n    category: c\n    title: t\n    regex: 'x{1,2}'\n";
        let e = SecretConfig::from_yaml(&format!("rules:\n{base}    severity: urgent\n"), "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("severity `urgent`"), "{e}");
        let twice = format!("rules:\n{base}    severity: LOW\n{base}    severity: LOW\n");
        let e = SecretConfig::from_yaml(&twice, "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("declared twice"), "{e}");
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(
            SecretConfig::from_yaml("\n", "f").unwrap(),
            SecretConfig::default()
        );
    }
}
