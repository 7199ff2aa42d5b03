//! A regorus engine set up to evaluate Rego as OPA does (see [`crate::rego_compat`]).

use crate::rego_compat::{self, SPRINTF_EXTENSION};
use regorus::{Engine, Value};

/// A new engine for Rego v0 or v1 source, with osprey's OPA-compatibility extensions.
pub fn new_engine(rego_v0: bool) -> Engine {
    let mut engine = Engine::new();
    engine.set_rego_v0(rego_v0);
    // Registration only fails for a duplicate name, and this engine is new.
    let _ = engine.add_extension(
        SPRINTF_EXTENSION.to_string(),
        2,
        Box::new(|args: Vec<Value>| {
            let format = args
                .first()
                .and_then(|f| f.as_string().ok())
                .map(|s| s.to_string())
                .ok_or_else(|| anyhow_msg("sprintf: format must be a string"))?;
            let list: Vec<Value> = match args.get(1) {
                Some(Value::Array(a)) => a.iter().cloned().collect(),
                Some(Value::Set(s)) => s.iter().cloned().collect(),
                _ => return Err(anyhow_msg("sprintf: operand 2 must be an array")),
            };
            Ok(Value::from(crate::sprintf::sprintf(&format, &list)))
        }),
    );
    engine
}

/// regorus extensions report errors as `anyhow::Error`.
fn anyhow_msg(m: &'static str) -> anyhow::Error {
    anyhow::Error::msg(m)
}

/// Adds a module after rewriting it for OPA compatibility; returns its package path
/// (`data.k8srequiredlabels`).
pub fn add_module(engine: &mut Engine, name: &str, source: &str) -> Result<String, String> {
    let rewritten = rego_compat::rewrite(source);
    engine
        .add_policy(name.to_string(), rewritten)
        .map_err(|e| format!("{name}: {e}"))
}

