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

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, rule: &str) -> Value {
        let mut engine = new_engine(true);
        add_module(&mut engine, "t.rego", src).unwrap();
        engine.set_input(Value::from(serde_json::json!({"x": 1})));
        engine.eval_rule(rule.to_string()).unwrap()
    }

    /// The four regorus/OPA differences of POLICY-NOTES §11, each evaluated end to end.
    #[test]
    fn evaluates_like_opa() {
        // 1: a line starting with `(` is a new statement.
        let v = eval("package t\np {\n  input.x\n  (2 - 1) >= 1\n}\n", "data.t.p");
        assert_eq!(v, Value::from(true));
        // 2: sprintf with too few arguments.
        let v = eval("package t\nm := sprintf(\"%v %v\", [1])\n", "data.t.m");
        assert_eq!(v, Value::from("1 %!v(MISSING)"));
        // 3: several bodies for one set rule.
        let v = eval(
            "package t\ns[x] {\n  x := 1\n} {\n  x := 2\n}\n",
            "data.t.s",
        );
        assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::json!([1, 2]));
        // 4: an undefined argument of a negated call makes the body undefined.
        let v = eval(
            "package t\nf(x) { x == 1 }\np { not f(input.missing) }\n",
            "data.t.p",
        );
        assert_eq!(v, Value::Undefined);
    }
}
