//! The rule engine: compiles a [`Ruleset`] once, indexes rules by event type, evaluates events
//! and builds alerts.
//!
//! Evaluating an event: its type id selects the type's branch program and candidate rules; the
//! event heap blocks that program's checks read are prefetched at once
//! ([`crate::fields::Ctx::prefetch`]), then the rules run in order, shared macros and checks
//! computed once per event. On a stream too large for the caches, memory latency, not the
//! tests, is most of an event's cost, and overlapping the misses is what pays.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::condition::parser::{self, Expr};
use crate::condition::program::Program;
use crate::condition::{
    CompileError, Compiler, Memo, Node, Operand, Scope, SharedKeys, TypeRegistry,
};
use crate::event::Event;
use crate::fields::{Ctx, Value};
use crate::output::{self, Alert, TemplatePart};
use crate::rules::{LoadError, Origin, Priority, Ruleset};

/// How rules are compiled and matched.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Skip (with a warning) rules that use fields osprey cannot supply, instead of failing.
    pub skip_unknown: bool,
    /// Report every matching rule per event, not only the first (Falco's default is first).
    pub all_matches: bool,
}

/// A compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: Priority,
    /// Tags.
    pub tags: Vec<String>,
    /// Event source.
    pub source: String,
    /// Enabled (disabled rules are compiled, to validate them, but never evaluated).
    pub enabled: bool,
    /// Where it was defined.
    pub origin: Origin,
    condition: Node,
    output: Vec<(TemplatePart, Option<Operand>)>,
}

/// What loading and compiling found.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// Rules defined.
    pub rules: usize,
    /// Rules enabled and compiled.
    pub enabled_rules: usize,
    /// Macros defined.
    pub macros: usize,
    /// Lists defined.
    pub lists: usize,
    /// Distinct fields (with arguments) read by rule and macro conditions.
    pub condition_fields: BTreeSet<String>,
    /// Distinct fields interpolated in outputs.
    pub output_fields: BTreeSet<String>,
    /// Rules skipped, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Non-fatal remarks.
    pub warnings: Vec<String>,
    /// Event types rules name.
    pub event_types: Vec<String>,
}

/// How the engine evaluates an event, indexed by event-type id.
#[derive(Debug)]
enum Plan {
    /// Per type: the rules whose conditions can match it, in rule order, each with the entry of
    /// its condition (specialised for that type) in the type's program.
    Programs {
        by_type: Vec<Box<[(u32, u32)]>>,
        programs: Vec<Program>,
        /// Memo slots the programs' shared subexpressions use.
        memo_slots: usize,
    },
    /// Per type: the candidate rules, whose whole condition trees are walked.
    Reference(Vec<Box<[u32]>>),
}

/// Compiled rules ready to evaluate events.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    plan: Plan,
    types: TypeRegistry,
    all_matches: bool,
    /// Host name put in alerts.
    pub hostname: String,
    /// What loading found.
    pub report: LoadReport,
}

fn parse_at(text: &str, what: &str, origin: &Origin) -> Result<Expr, LoadError> {
    parser::parse(text).map_err(|e| LoadError {
        file: origin.file.clone(),
        line: Some(origin.line),
        message: format!("{what}: condition {e}: `{}`", text.trim()),
    })
}

impl Engine {
    /// Compiles every rule of `rs`.
    pub fn compile(rs: &Ruleset, opts: EngineOptions) -> Result<Engine, LoadError> {
        Engine::build(rs, opts, false)
    }

    /// Compiles every rule of `rs` without the optimisations [`Engine::compile`] applies (no
    /// per-type specialisation, no shared subexpressions): each event walks each candidate
    /// rule's whole condition. The reference the optimised engine is tested against.
    pub fn compile_reference(rs: &Ruleset, opts: EngineOptions) -> Result<Engine, LoadError> {
        Engine::build(rs, opts, true)
    }

    fn build(rs: &Ruleset, opts: EngineOptions, reference: bool) -> Result<Engine, LoadError> {
        let mut scope = Scope::default();
        for m in &rs.macros {
            scope.macros.insert(
                m.name.clone(),
                parse_at(&m.condition, &format!("macro `{}`", m.name), &m.origin)?,
            );
        }
        for l in &rs.lists {
            scope.lists.insert(l.name.clone(), l.items.clone());
        }
        let mut report = LoadReport {
            rules: rs.rules.len(),
            macros: rs.macros.len(),
            lists: rs.lists.len(),
            warnings: rs.warnings.clone(),
            ..Default::default()
        };
        let mut types = TypeRegistry::default();
        let mut shared = SharedKeys::default();
        let mut rules = Vec::new();
        for r in &rs.rules {
            let err = |message: String| LoadError {
                file: r.origin.file.clone(),
                line: Some(r.origin.line),
                message,
            };
            if r.source != "syscall" {
                report.skipped.push((
                    r.name.clone(),
                    format!("source `{}` is not supported", r.source),
                ));
                continue;
            }
            let mut expr = parse_at(&r.condition, &format!("rule `{}`", r.name), &r.origin)?;
            let mut excluded = Vec::new();
            for e in &r.exceptions {
                if let Some(x) = e
                    .to_expr()
                    .map_err(|m| err(format!("rule `{}`: exception `{}`: {m}", r.name, e.name)))?
                {
                    excluded.push(x);
                }
            }
            if !excluded.is_empty() {
                expr = Expr::And(vec![expr, Expr::Not(Box::new(Expr::Or(excluded)))]);
            }
            let mut c = Compiler::new(&scope, &mut types);
            if !reference {
                c = c.sharing(&mut shared);
            }
            let cond = c.compile(&expr);
            let cond_fields = std::mem::take(&mut c.fields_used);
            let compiled = cond.and_then(|cond| {
                let mut out = Vec::new();
                let mut oc_fields = BTreeSet::new();
                for part in output::parse_template(&r.output) {
                    let op = match &part {
                        TemplatePart::Field(f) => {
                            oc_fields.insert(f.to_string());
                            Some(c.operand(f)?)
                        }
                        TemplatePart::Text(_) => None,
                    };
                    out.push((part, op));
                }
                Ok((cond, out, oc_fields))
            });
            match compiled {
                Ok((condition, output, oc_fields)) => {
                    report.condition_fields.extend(cond_fields);
                    report.output_fields.extend(oc_fields);
                    rules.push(CompiledRule {
                        name: r.name.clone(),
                        priority: r.priority,
                        tags: r.tags.clone(),
                        source: r.source.clone(),
                        enabled: r.enabled,
                        origin: r.origin.clone(),
                        condition,
                        output,
                    });
                }
                Err(CompileError::UnknownField(m))
                    if opts.skip_unknown || r.skip_if_unknown_filter =>
                {
                    report.skipped.push((r.name.clone(), m));
                }
                Err(CompileError::UnknownField(m)) => {
                    return Err(err(format!(
                        "rule `{}`: {m} (osprey cannot supply it; --skip-unknown skips such rules)",
                        r.name
                    )));
                }
                Err(CompileError::Invalid(m)) => {
                    return Err(err(format!("rule `{}`: {m}", r.name)));
                }
            }
        }
        // Macros no rule uses are compiled too: a bad one is reported, its fields counted.
        for m in &rs.macros {
            let mut c = Compiler::new(&scope, &mut types);
            match c.compile(&Expr::Macro(m.name.clone())) {
                Ok(_) => report.condition_fields.extend(c.fields_used),
                Err(CompileError::UnknownField(msg)) if opts.skip_unknown => {
                    report
                        .warnings
                        .push(format!("{}: macro `{}`: {msg}", m.origin, m.name));
                }
                Err(e) => {
                    return Err(LoadError {
                        file: m.origin.file.clone(),
                        line: Some(m.origin.line),
                        message: format!("macro `{}`: {e}", m.name),
                    });
                }
            }
        }
        let mut by_type: Vec<Vec<(u32, Node)>> = vec![Vec::new(); types.len()];
        for (i, r) in rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            report.enabled_rules += 1;
            for (id, bucket) in by_type.iter_mut().enumerate() {
                let cond = if reference {
                    match r.condition.possible(id as u16) {
                        Some(false) => Node::Const(false),
                        _ => Node::Const(true),
                    }
                } else {
                    r.condition.for_type(id as u16)
                };
                if !matches!(cond, Node::Const(false)) {
                    bucket.push((i as u32, cond));
                }
            }
            if r.condition.possible(0) != Some(false) {
                let warn = rs
                    .rules
                    .iter()
                    .find(|d| d.name == r.name)
                    .is_none_or(|d| d.warn_evttypes);
                if warn {
                    report.warnings.push(format!(
                        "{}: rule `{}` does not restrict evt.type: it is evaluated for every event",
                        r.origin, r.name
                    ));
                }
            }
        }
        let plan = if reference {
            Plan::Reference(
                by_type
                    .into_iter()
                    .map(|bucket| bucket.into_iter().map(|(i, _)| i).collect())
                    .collect(),
            )
        } else {
            let mut programs = Vec::with_capacity(by_type.len());
            let by_type = by_type
                .into_iter()
                .enumerate()
                .map(|(id, bucket)| {
                    let mut uses = HashMap::default();
                    bucket.iter().for_each(|(_, c)| c.count_shared(&mut uses));
                    let mut program = Program::default();
                    let entries = bucket
                        .into_iter()
                        .map(|(i, c)| {
                            let c = c.drop_unshared(&uses).merge_field_checks();
                            (i, program.add(&c, id as u16))
                        })
                        .collect();
                    programs.push(program);
                    entries
                })
                .collect();
            Plan::Programs {
                by_type,
                programs,
                memo_slots: shared.len(),
            }
        };
        report.event_types = (1..types.len())
            .map(|i| types.name(i as u16).to_string())
            .collect();
        Ok(Engine {
            rules,
            plan,
            types,
            all_matches: opts.all_matches,
            hostname: output::hostname(),
            report,
        })
    }

    /// The compiled rules; indexes in [`Engine::matches`] refer to this slice.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Appends to `out` the indexes of the rules `ev` matches (only the first unless
    /// `all_matches`).
    pub fn matches(&self, ev: &Event, out: &mut Vec<u32>) {
        thread_local! {
            static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
        }
        let id = self.types.id(&ev.evt_type);
        let ctx = Ctx::new(ev);
        match &self.plan {
            Plan::Programs {
                by_type,
                programs,
                memo_slots,
            } => MEMO.with_borrow_mut(|memo| {
                memo.start_event(*memo_slots);
                let program = &programs[id as usize];
                ctx.prefetch(program.heap_parts());
                for &(r, entry) in by_type[id as usize].iter() {
                    if program.run(entry, &ctx, memo) {
                        out.push(r);
                        if !self.all_matches {
                            return;
                        }
                    }
                }
            }),
            Plan::Reference(by_type) => {
                for &r in by_type[id as usize].iter() {
                    if self.rules[r as usize].condition.eval(&ctx, id) {
                        out.push(r);
                        if !self.all_matches {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The alert rule `idx` raises for `ev`.
    pub fn alert(&self, idx: u32, ev: &Event) -> Alert {
        let rule = &self.rules[idx as usize];
        let ctx = Ctx::new(ev);
        let mut msg = String::new();
        let mut fields = BTreeMap::new();
        for (part, op) in &rule.output {
            match (part, op) {
                (TemplatePart::Text(t), _) => msg.push_str(t),
                (TemplatePart::Field(f), Some(op)) => {
                    let v = op.get(&ctx);
                    match &v {
                        Some(v) => msg.push_str(&v.render()),
                        None => msg.push_str("<NA>"),
                    }
                    fields.insert(f.to_string(), json_value(v.as_ref()));
                }
                (TemplatePart::Field(_), None) => {}
            }
        }
        let priority = rule.priority.as_str();
        Alert {
            time: output::rfc3339_nanos(ev.ts),
            rule: rule.name.clone(),
            priority: priority.to_string(),
            output: format!("{}: {priority} {msg}", output::clock_nanos(ev.ts)),
            output_fields: fields,
            source: rule.source.clone(),
            tags: rule.tags.clone(),
            hostname: self.hostname.clone(),
        }
    }
}

fn json_value(v: Option<&Value<'_>>) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        Some(Value::Int(n)) => serde_json::Value::from(*n),
        Some(Value::Bool(b)) => serde_json::Value::Bool(*b),
        Some(other) => serde_json::Value::String(other.render().into_owned()),
    }
}
