//! Falco rule files: rules, macros, lists, exceptions, `override`/`append`, engine and plugin
//! version requirements. Loading only merges definitions; [`crate::engine::Engine`] compiles them.
//!
//! Several files load into one [`Ruleset`] in order, so later files can append to or override
//! what earlier ones define, as with Falco's `-r a.yaml -r b.yaml`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::condition::list_item_from_yaml;
use crate::condition::parser::{Check, Expr, FieldExpr, ListItem, Op, Rhs};

/// The Falco engine version whose rule language this loader implements.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

/// Plugins whose fields osprey supplies itself, with the plugin version they correspond to.
pub const BUILTIN_PLUGINS: &[(&str, (u64, u64, u64))] = &[("container", (0, 4, 0))];

/// Largest rule file accepted.
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Falco priorities, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// EMERGENCY
    Emergency,
    /// ALERT
    Alert,
    /// CRITICAL
    Critical,
    /// ERROR
    Error,
    /// WARNING
    Warning,
    /// NOTICE
    Notice,
    /// INFORMATIONAL (INFO)
    Informational,
    /// DEBUG
    Debug,
}

impl Priority {
    /// Parses a priority case-insensitively (`INFO` is `INFORMATIONAL`).
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// The name Falco prints (`Warning`, `Critical`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

/// Where a definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A rule as loaded (condition still text).
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// Condition text.
    pub condition: String,
    /// Output template.
    pub output: String,
    /// Priority.
    pub priority: Priority,
    /// Tags.
    pub tags: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// Event source (`syscall`).
    pub source: String,
    /// Exceptions, compiled to `and not (...)`.
    pub exceptions: Vec<Exception>,
    /// Warn when the condition has no `evt.type` restriction.
    pub warn_evttypes: bool,
    /// Skip (rather than fail) when a field is unknown.
    pub skip_if_unknown_filter: bool,
    /// Where it was defined.
    pub origin: Origin,
}

/// A macro as loaded.
#[derive(Debug, Clone)]
pub struct MacroDef {
    /// Name.
    pub name: String,
    /// Condition text.
    pub condition: String,
    /// Where it was defined.
    pub origin: Origin,
}

/// A list as loaded.
#[derive(Debug, Clone)]
pub struct ListDef {
    /// Name.
    pub name: String,
    /// Items as written (may name other lists).
    pub items: Vec<String>,
    /// Where it was defined.
    pub origin: Origin,
}

/// A rule exception.
#[derive(Debug, Clone)]
pub struct Exception {
    /// Name, unique within the rule.
    pub name: String,
    /// Fields compared.
    pub fields: Vec<String>,
    /// `fields` was a single string: values are a plain list.
    pub single_field: bool,
    /// Operators, one per field.
    pub comps: Vec<String>,
    /// Value tuples.
    pub values: Vec<ExcValue>,
}

/// An exception value: a scalar or a (nested) list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ExcValue {
    /// One value.
    Scalar(Scalar),
    /// A list of values.
    List(Vec<ExcValue>),
}

/// A YAML scalar in a list or exception.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Str(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(n) => write!(f, "{n}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Str(s) => f.write_str(s),
        }
    }
}

/// A rule file problem, with file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File name.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// Rules, macros and lists merged from one or more files.
#[derive(Debug, Clone, Default)]
pub struct Ruleset {
    /// Rules in definition order.
    pub rules: Vec<RuleDef>,
    /// Macros in definition order.
    pub macros: Vec<MacroDef>,
    /// Lists in definition order.
    pub lists: Vec<ListDef>,
    /// Non-fatal remarks (deprecated `append`, ...).
    pub warnings: Vec<String>,
    /// Items read, before merging redefinitions, appends and overrides.
    pub items_read: ItemCounts,
}

/// Numbers of rule, macro and list items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemCounts {
    /// Rule items.
    pub rules: usize,
    /// Macro items.
    pub macros: usize,
    /// List items.
    pub lists: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    rule: Option<String>,
    #[serde(rename = "macro")]
    macro_name: Option<String>,
    list: Option<String>,
    required_engine_version: Option<Scalar>,
    required_plugin_versions: Option<Vec<RawPlugin>>,
    desc: Option<String>,
    condition: Option<String>,
    output: Option<String>,
    priority: Option<String>,
    tags: Option<Vec<String>>,
    enabled: Option<bool>,
    source: Option<String>,
    exceptions: Option<Vec<RawException>>,
    items: Option<Vec<ExcValue>>,
    append: Option<bool>,
    #[serde(rename = "override")]
    override_: Option<BTreeMap<String, String>>,
    warn_evttypes: Option<bool>,
    #[serde(rename = "skip-if-unknown-filter")]
    skip_if_unknown_filter: Option<bool>,
    capture: Option<bool>,
    capture_duration: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct RawPlugin {
    name: String,
    version: Scalar,
    #[serde(default)]
    alternatives: Vec<RawPlugin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    name: String,
    fields: Option<OneOrMany>,
    comps: Option<OneOrMany>,
    values: Option<Vec<ExcValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

const APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions", "items"];
const REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "tags",
    "exceptions",
    "items",
    "priority",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    "source",
];

fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |v| v.parse().ok())?;
    let patch = it.next().map_or(Some(0), |v| v.parse().ok())?;
    if it.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

fn scalar_list(items: Vec<ExcValue>) -> Vec<String> {
    let mut out = Vec::new();
    for i in items {
        match i {
            ExcValue::Scalar(s) => out.push(s.to_string()),
            ExcValue::List(inner) => out.extend(scalar_list(inner)),
        }
    }
    out
}

impl Ruleset {
    /// Loads a rule file from disk (at most [`MAX_FILE_BYTES`]).
    pub fn load_file(&mut self, path: &Path) -> Result<(), LoadError> {
        let file = path.display().to_string();
        let err = |message: String| LoadError {
            file: file.clone(),
            line: None,
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_FILE_BYTES as u64 {
            return Err(err(format!(
                "{} bytes is over the {MAX_FILE_BYTES}-byte limit",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        self.load_str(&text, &file)
    }

    /// Loads rule-file text; `file` names it in errors.
    pub fn load_str(&mut self, text: &str, file: &str) -> Result<(), LoadError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(LoadError {
                file: file.into(),
                line: None,
                message: "file too large".into(),
            });
        }
        if text.trim().is_empty() {
            return Ok(());
        }
        let items: Option<Vec<Spanned<RawItem>>> =
            serde_saphyr::from_str(text).map_err(|e| LoadError {
                file: file.to_string(),
                line: e.location().map(|l| l.line()),
                message: format!(
                    "not a Falco rules file: {}",
                    e.to_string().lines().next().unwrap_or("invalid YAML")
                ),
            })?;
        for item in items.unwrap_or_default() {
            let origin = Origin {
                file: file.to_string(),
                line: item.referenced.line(),
            };
            self.add(item.value, &origin).map_err(|message| LoadError {
                file: origin.file.clone(),
                line: Some(origin.line),
                message,
            })?;
        }
        Ok(())
    }

    fn add(&mut self, item: RawItem, origin: &Origin) -> Result<(), String> {
        let kinds = [
            item.rule.is_some(),
            item.macro_name.is_some(),
            item.list.is_some(),
            item.required_engine_version.is_some(),
            item.required_plugin_versions.is_some(),
        ];
        match kinds.iter().filter(|k| **k).count() {
            0 => return Err("item is none of rule, macro, list, required_engine_version, required_plugin_versions".into()),
            1 => {}
            _ => return Err("item mixes several of rule, macro, list and version requirements".into()),
        }
        if let Some(v) = &item.required_engine_version {
            let want = parse_version(&v.to_string())
                .ok_or_else(|| format!("bad required_engine_version `{v}`"))?;
            // Old files give a bare number: that is the minor version of 0.x.
            let want = match v {
                Scalar::Int(n) => (0, *n as u64, 0),
                _ => want,
            };
            if want > ENGINE_VERSION {
                let (a, b, c) = ENGINE_VERSION;
                return Err(format!(
                    "requires engine version {v}, osprey implements {a}.{b}.{c}"
                ));
            }
            return Ok(());
        }
        if let Some(plugins) = &item.required_plugin_versions {
            for p in plugins {
                let ok = std::iter::once(p).chain(p.alternatives.iter()).any(|alt| {
                    let want = parse_version(&alt.version.to_string());
                    BUILTIN_PLUGINS
                        .iter()
                        .any(|(n, have)| *n == alt.name && want.is_some_and(|w| w <= *have))
                });
                if !ok {
                    return Err(format!(
                        "requires plugin `{}` {}, which osprey does not provide (built in: {})",
                        p.name,
                        p.version,
                        BUILTIN_PLUGINS
                            .iter()
                            .map(|(n, (a, b, c))| format!("{n} {a}.{b}.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            return Ok(());
        }
        if item.append == Some(true) && item.override_.is_some() {
            return Err("`append` and `override` cannot be mixed".into());
        }
        if item.append == Some(true) {
            self.warnings.push(format!(
                "{origin}: `append: true` is deprecated, use `override`"
            ));
        }
        if let Some(o) = &item.override_ {
            for (k, how) in o {
                let allowed = match how.as_str() {
                    "append" => APPENDABLE,
                    "replace" => REPLACEABLE,
                    other => {
                        return Err(format!(
                            "override `{k}: {other}`: must be append or replace"
                        ));
                    }
                };
                if !allowed.contains(&k.as_str()) {
                    return Err(format!("`{k}` cannot be overridden with {how}"));
                }
            }
        }
        if let Some(name) = item.list.clone() {
            self.items_read.lists += 1;
            self.add_list(name, item, origin)
        } else if let Some(name) = item.macro_name.clone() {
            self.items_read.macros += 1;
            self.add_macro(name, item, origin)
        } else {
            self.items_read.rules += 1;
            let name = item.rule.clone().unwrap_or_default();
            self.add_rule(name, item, origin)
        }
    }

    fn mode(item: &RawItem, key: &str) -> Option<&'static str> {
        Self::mode_of(item.append, &item.override_, key)
    }

    fn add_list(&mut self, name: String, item: RawItem, origin: &Origin) -> Result<(), String> {
        let items = scalar_list(
            item.items
                .ok_or_else(|| format!("list `{name}` has no `items`"))?,
        );
        let existing = self.lists.iter_mut().find(|l| l.name == name);
        match (
            Self::mode_of(item.append, &item.override_, "items"),
            existing,
        ) {
            (Some(_), None) => Err(format!(
                "list `{name}` appends to or overrides a list not defined before"
            )),
            (Some("append"), Some(l)) => {
                l.items.extend(items);
                Ok(())
            }
            (_, Some(l)) => {
                l.items = items;
                l.origin = origin.clone();
                Ok(())
            }
            (_, None) => {
                self.lists.push(ListDef {
                    name,
                    items,
                    origin: origin.clone(),
                });
                Ok(())
            }
        }
    }

    fn mode_of(
        append: Option<bool>,
        ov: &Option<BTreeMap<String, String>>,
        key: &str,
    ) -> Option<&'static str> {
        if append == Some(true) {
            return Some("append");
        }
        match ov.as_ref().and_then(|o| o.get(key)).map(String::as_str) {
            Some("append") => Some("append"),
            Some("replace") => Some("replace"),
            _ => None,
        }
    }

    fn add_macro(&mut self, name: String, item: RawItem, origin: &Origin) -> Result<(), String> {
        let condition = item
            .condition
            .clone()
            .ok_or_else(|| format!("macro `{name}` has no `condition`"))?;
        let existing = self.macros.iter_mut().find(|m| m.name == name);
        match (Self::mode(&item, "condition"), existing) {
            (Some(_), None) => Err(format!(
                "macro `{name}` appends to or overrides a macro not defined before"
            )),
            (Some("append"), Some(m)) => {
                m.condition = format!("{} {}", m.condition, condition);
                Ok(())
            }
            (_, Some(m)) => {
                m.condition = condition;
                m.origin = origin.clone();
                Ok(())
            }
            (_, None) => {
                self.macros.push(MacroDef {
                    name,
                    condition,
                    origin: origin.clone(),
                });
                Ok(())
            }
        }
    }

    fn add_rule(&mut self, name: String, item: RawItem, origin: &Origin) -> Result<(), String> {
        let exceptions = item
            .exceptions
            .as_deref()
            .map(|e| convert_exceptions(&name, e))
            .transpose()?;
        let idx = self.rules.iter().position(|r| r.name == name);
        let modifies = item.append == Some(true) || item.override_.is_some();
        let only_enabled = item.enabled.is_some()
            && item.condition.is_none()
            && item.output.is_none()
            && item.desc.is_none()
            && item.priority.is_none()
            && item.exceptions.is_none();
        if modifies || (only_enabled && idx.is_some()) {
            let Some(i) = idx else {
                return Err(format!(
                    "rule `{name}` appends to or overrides a rule not defined before"
                ));
            };
            let rule = &mut self.rules[i];
            if only_enabled && !modifies {
                rule.enabled = item.enabled.unwrap_or(rule.enabled);
                return Ok(());
            }
            let (append, overrides) = (item.append, item.override_.clone());
            let ov = |k: &str| Self::mode_of(append, &overrides, k);
            if item.append == Some(true) {
                for (k, present) in [
                    ("priority", item.priority.is_some()),
                    ("enabled", item.enabled.is_some()),
                ] {
                    if present {
                        return Err(format!("rule `{name}`: `{k}` cannot be appended"));
                    }
                }
            }
            if let Some(o) = &item.override_ {
                for k in o.keys() {
                    let present = match k.as_str() {
                        "condition" => item.condition.is_some(),
                        "output" => item.output.is_some(),
                        "desc" => item.desc.is_some(),
                        "tags" => item.tags.is_some(),
                        "exceptions" => item.exceptions.is_some(),
                        "priority" => item.priority.is_some(),
                        "enabled" => item.enabled.is_some(),
                        "warn_evttypes" => item.warn_evttypes.is_some(),
                        "skip-if-unknown-filter" => item.skip_if_unknown_filter.is_some(),
                        "capture" => item.capture.is_some(),
                        "capture_duration" => item.capture_duration.is_some(),
                        "source" => item.source.is_some(),
                        _ => false,
                    };
                    if !present {
                        return Err(format!(
                            "rule `{name}`: override names `{k}` but the item does not set it"
                        ));
                    }
                }
            }
            let text = |old: &mut String, new: Option<String>, how: Option<&str>| match (new, how) {
                (Some(n), Some("append")) => *old = format!("{old} {n}"),
                (Some(n), Some("replace")) => *old = n,
                _ => {}
            };
            text(&mut rule.condition, item.condition, ov("condition"));
            text(&mut rule.output, item.output, ov("output"));
            text(&mut rule.desc, item.desc, ov("desc"));
            match (item.tags, ov("tags")) {
                (Some(t), Some("append")) => rule.tags.extend(t),
                (Some(t), Some("replace")) => rule.tags = t,
                _ => {}
            }
            match (exceptions, ov("exceptions")) {
                (Some(ex), Some("append")) => {
                    for e in ex {
                        match rule.exceptions.iter_mut().find(|x| x.name == e.name) {
                            Some(x) => x.values.extend(e.values),
                            None => rule.exceptions.push(e),
                        }
                    }
                }
                (Some(ex), Some("replace")) => rule.exceptions = ex,
                _ => {}
            }
            if ov("priority") == Some("replace")
                && let Some(p) = item.priority
            {
                rule.priority = Priority::parse(&p)
                    .ok_or_else(|| format!("rule `{name}`: unknown priority `{p}`"))?;
            }
            if ov("enabled") == Some("replace") {
                rule.enabled = item.enabled.unwrap_or(rule.enabled);
            }
            if ov("warn_evttypes") == Some("replace") {
                rule.warn_evttypes = item.warn_evttypes.unwrap_or(rule.warn_evttypes);
            }
            if ov("skip-if-unknown-filter") == Some("replace") {
                rule.skip_if_unknown_filter = item
                    .skip_if_unknown_filter
                    .unwrap_or(rule.skip_if_unknown_filter);
            }
            if ov("source") == Some("replace")
                && let Some(s) = item.source
            {
                rule.source = s;
            }
            return Ok(());
        }
        let missing = |k: &str| format!("rule `{name}` has no `{k}`");
        let priority_text = item.priority.ok_or_else(|| missing("priority"))?;
        let def = RuleDef {
            desc: item.desc.ok_or_else(|| missing("desc"))?,
            condition: item.condition.ok_or_else(|| missing("condition"))?,
            output: item.output.ok_or_else(|| missing("output"))?,
            priority: Priority::parse(&priority_text)
                .ok_or_else(|| format!("rule `{name}`: unknown priority `{priority_text}`"))?,
            tags: item.tags.unwrap_or_default(),
            enabled: item.enabled.unwrap_or(true),
            source: item.source.unwrap_or_else(|| "syscall".into()),
            exceptions: exceptions.unwrap_or_default(),
            warn_evttypes: item.warn_evttypes.unwrap_or(true),
            skip_if_unknown_filter: item.skip_if_unknown_filter.unwrap_or(false),
            origin: origin.clone(),
            name,
        };
        match idx {
            Some(i) => self.rules[i] = def,
            None => self.rules.push(def),
        }
        Ok(())
    }
}

fn convert_exceptions(rule: &str, raw: &[RawException]) -> Result<Vec<Exception>, String> {
    let mut out = Vec::new();
    for e in raw {
        let ctx = |m: &str| format!("rule `{rule}`, exception `{}`: {m}", e.name);
        let (fields, single_field) = match &e.fields {
            Some(OneOrMany::One(f)) => (vec![f.clone()], true),
            Some(OneOrMany::Many(fs)) if !fs.is_empty() => (fs.clone(), false),
            _ => return Err(ctx("needs `fields`")),
        };
        let comps = match &e.comps {
            None => vec![
                if single_field {
                    "in".to_string()
                } else {
                    "=".to_string()
                };
                fields.len()
            ],
            Some(OneOrMany::One(c)) => vec![c.clone()],
            Some(OneOrMany::Many(cs)) => cs.clone(),
        };
        if comps.len() != fields.len() {
            return Err(ctx(&format!(
                "{} fields but {} comps",
                fields.len(),
                comps.len()
            )));
        }
        for c in &comps {
            if Op::from_name(c).is_none_or(|o| o == Op::Exists) {
                return Err(ctx(&format!("unknown comparison `{c}`")));
            }
        }
        let values = e.values.clone().unwrap_or_default();
        if !single_field {
            for v in &values {
                match v {
                    ExcValue::List(t) if t.len() == fields.len() => {}
                    _ => {
                        return Err(ctx(&format!(
                            "each value must be a list of {} elements",
                            fields.len()
                        )));
                    }
                }
            }
        }
        out.push(Exception {
            name: e.name.clone(),
            fields,
            single_field,
            comps,
            values,
        });
    }
    Ok(out)
}

fn field_expr(text: &str) -> Result<FieldExpr, String> {
    let text = text.trim();
    match text.split_once('[') {
        Some((name, rest)) if rest.ends_with(']') => Ok(FieldExpr::Field {
            name: name.to_string(),
            arg: Some(rest[..rest.len() - 1].to_string()),
        }),
        Some(_) => Err(format!("malformed field `{text}`")),
        None => Ok(FieldExpr::Field {
            name: text.to_string(),
            arg: None,
        }),
    }
}

fn exc_check(field: &str, comp: &str, value: &ExcValue) -> Result<Expr, String> {
    let op = Op::from_name(comp).ok_or_else(|| format!("unknown comparison `{comp}`"))?;
    let items = |v: &ExcValue| -> Vec<ListItem> {
        match v {
            ExcValue::Scalar(s) => vec![list_item_from_yaml(&s.to_string())],
            ExcValue::List(l) => scalar_list(l.clone())
                .iter()
                .map(|s| list_item_from_yaml(s))
                .collect(),
        }
    };
    let rhs = if op.takes_list() {
        Rhs::List(items(value))
    } else {
        match value {
            ExcValue::Scalar(s) => Rhs::Value(list_item_from_yaml(&s.to_string())),
            ExcValue::List(_) => return Err(format!("`{comp}` takes one value, not a list")),
        }
    };
    Ok(Expr::Check(Check {
        lhs: field_expr(field)?,
        op,
        rhs,
    }))
}

impl Exception {
    /// The condition this exception excludes (`None` when it has no values).
    pub fn to_expr(&self) -> Result<Option<Expr>, String> {
        if self.values.is_empty() {
            return Ok(None);
        }
        if self.single_field {
            let (f, c) = (&self.fields[0], &self.comps[0]);
            let op = Op::from_name(c).ok_or_else(|| format!("unknown comparison `{c}`"))?;
            if op.takes_list() {
                return Ok(Some(exc_check(f, c, &ExcValue::List(self.values.clone()))?));
            }
            let alts = self
                .values
                .iter()
                .map(|v| exc_check(f, c, v))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Some(Expr::Or(alts)));
        }
        let mut alts = Vec::new();
        for v in &self.values {
            let ExcValue::List(tuple) = v else { continue };
            let checks = self
                .fields
                .iter()
                .zip(&self.comps)
                .zip(tuple)
                .map(|((f, c), v)| exc_check(f, c, v))
                .collect::<Result<Vec<_>, _>>()?;
            alts.push(Expr::And(checks));
        }
        Ok(Some(Expr::Or(alts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Ruleset, LoadError> {
        let mut rs = Ruleset::default();
        rs.load_str(text, "t.yaml")?;
        Ok(rs)
    }

    const BASE: &str = "
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  tags: [shell]
";

    #[test]
    fn loads_items_with_lines() {
        let rs = load(BASE).unwrap();
        assert_eq!((rs.rules.len(), rs.macros.len(), rs.lists.len()), (1, 1, 1));
        assert_eq!(rs.rules[0].origin.line, 6);
        assert_eq!(rs.rules[0].priority, Priority::Warning);
        assert_eq!(rs.lists[0].items, ["bash", "sh"]);
    }

    #[test]
    fn override_append_and_replace() {
        let mut rs = load(BASE).unwrap();
        rs.load_str(
            "
- list: shells
  items: [zsh]
  override:
    items: append
- rule: Shell
  condition: and user.uid = 0
  tags: [new]
  priority: ERROR
  override:
    condition: append
    tags: replace
    priority: replace
- rule: Shell
  enabled: false
",
            "u.yaml",
        )
        .unwrap();
        assert_eq!(rs.lists[0].items, ["bash", "sh", "zsh"]);
        let r = &rs.rules[0];
        assert_eq!(
            r.condition,
            "spawned and proc.name in (shells) and user.uid = 0"
        );
        assert_eq!(r.tags, ["new"]);
        assert_eq!(r.priority, Priority::Error);
        assert!(!r.enabled);
    }

    #[test]
    fn deprecated_append_warns() {
        let mut rs = load(BASE).unwrap();
        rs.load_str(
            "- macro: spawned\n  condition: and evt.dir = <\n  append: true\n",
            "u.yaml",
        )
        .unwrap();
        assert_eq!(rs.macros[0].condition, "evt.type = execve and evt.dir = <");
        assert!(rs.warnings[0].contains("deprecated"));
    }

    #[test]
    fn errors_have_file_and_line() {
        let e = load("- rule: x\n  desc: d\n  output: o\n  priority: WARNING\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("t.yaml", Some(1)));
        assert!(e.message.contains("no `condition`"), "{e}");
        let e = load("- rule: x\n  bogus: 1\n").unwrap_err();
        assert!(e.message.contains("bogus"), "{e}");
        let e =
            load("- rule: x\n  append: true\n  override: {condition: append}\n  condition: a\n")
                .unwrap_err();
        assert!(e.message.contains("cannot be mixed"), "{e}");
        let e = load("- macro: m\n  condition: a\n  override: {condition: append}\n").unwrap_err();
        assert!(e.message.contains("not defined before"), "{e}");
        let e = load("- rule: x\n  desc: d\n  condition: c\n  output: o\n  priority: LOUD\n")
            .unwrap_err();
        assert!(e.message.contains("unknown priority"), "{e}");
        let e = load("- required_engine_version: 99.0.0\n").unwrap_err();
        assert!(e.message.contains("engine version"), "{e}");
        let e = load("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n")
            .unwrap_err();
        assert!(e.message.contains("k8saudit"), "{e}");
        let e = load("rule: [unclosed\n").unwrap_err();
        assert!(e.line.is_some(), "{e}");
        let e = load("{a: 1}").unwrap_err();
        assert!(e.message.contains("not a Falco rules file"), "{e}");
    }

    #[test]
    fn exceptions_become_conditions() {
        let rs = load(
            "
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: pairs
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /etc]
    - name: names
      fields: proc.name
      values: [ls, vi]
",
        )
        .unwrap();
        let ex = &rs.rules[0].exceptions;
        assert_eq!(ex.len(), 2);
        let e0 = ex[0].to_expr().unwrap().unwrap();
        let Expr::Or(alts) = e0 else { panic!() };
        assert!(matches!(&alts[0], Expr::And(c) if c.len() == 2));
        let e1 = ex[1].to_expr().unwrap().unwrap();
        assert!(matches!(e1, Expr::Check(Check { op: Op::In, .. })));
        let e = load("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: x\n      fields: [a.b, c.d]\n      values: [[1]]\n").unwrap_err();
        assert!(e.message.contains("list of 2"), "{e}");
    }
}
