//! Secrets in the image config: `Env`, `Labels`, `Entrypoint`, `Cmd`, and every history
//! step's `created_by` (where `ARG`/`ENV` values and `RUN |1 X=...` build arguments end up).

use crate::engine::Scanner;
use osprey_model::{SecretFinding, SecretLocation};
use serde_json::Value;

impl Scanner {
    /// Scans an image config. `config` is the config blob (`{"config": {...}, "history":
    /// [...]}`); the inner `config` object alone is accepted too.
    ///
    /// Each value is scanned on its own, so line numbers are within the value (1 for
    /// one-line values). Labels are scanned as `key="value"` so assignment rules see the
    /// label name.
    pub fn scan_image_config(&self, config: &Value) -> Vec<SecretFinding> {
        let inner = match config.get("config") {
            Some(c) if c.is_object() => c,
            _ => config,
        };
        let mut out = Vec::new();
        let mut scan = |text: &str, location: SecretLocation| {
            out.extend(self.scan_text("", text.as_bytes(), &location));
        };
        if let Some(env) = inner.get("Env").and_then(Value::as_array) {
            for (i, entry) in env.iter().enumerate() {
                if let Some(text) = entry.as_str() {
                    scan(text, field(format!("config.Env[{i}]")));
                }
            }
        }
        if let Some(labels) = inner.get("Labels").and_then(Value::as_object) {
            for (key, value) in labels {
                if let Some(value) = value.as_str() {
                    scan(
                        &format!("{key}=\"{value}\""),
                        field(format!("config.Labels.{key}")),
                    );
                }
            }
        }
        for name in ["Entrypoint", "Cmd"] {
            let text = match inner.get(name) {
                Some(Value::Array(args)) => args
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(Value::String(s)) => s.clone(),
                _ => continue,
            };
            scan(&text, field(format!("config.{name}")));
        }
        if let Some(history) = config.get("history").and_then(Value::as_array) {
            for (index, step) in history.iter().enumerate() {
                if let Some(text) = step.get("created_by").and_then(Value::as_str) {
                    scan(text, SecretLocation::History { index });
                }
            }
        }
        out
    }
}

fn field(field: String) -> SecretLocation {
    SecretLocation::Config { field }
}
