//! Runtime threat detection.
//!
//! Owns the runtime event model ([`event::Event`], also the JSON Lines record/replay format),
//! the Falco-compatible rule language (loading in [`rules`], condition compilation in
//! [`condition`], field extraction in [`fields`]), the [`engine`] that evaluates events, alert
//! [`output`] sinks and [`replay`]. The eBPF event source ([`sensor`], [`enrich`], [`live`])
//! and the [`respond`] actions live beside them and meet them only at [`event::Event`], plus
//! one bridge the other way: [`prefilter`] reads the rules to tell the sensor which opened
//! paths it may drop in the kernel. Field extraction reads an `Event`, condition compilation
//! knows fields only through the fields table, and the sensor produces `Event`s already
//! enriched with process, fd and container state, so rules evaluate one event with no
//! engine-side state.
//!
//! Must not touch: image scanning, vulnerability data, report renderers, CLI parsing.
#![deny(missing_docs)]

pub mod condition;
pub mod engine;
pub mod enrich;
pub mod event;
pub mod fields;
pub mod live;
pub mod output;
pub mod prefilter;
pub mod replay;
pub mod respond;
pub mod rules;
pub mod sensor;

/// The upstream Falco stable rules (falcosecurity/rules `falco_rules.yaml`, Apache-2.0), the
/// default rule set. Provenance in `crates/runtime/rules/SOURCE.txt`.
pub const DEFAULT_RULES: &str = include_str!("../rules/falco_rules.yaml");

/// File name used for [`DEFAULT_RULES`] in messages.
pub const DEFAULT_RULES_NAME: &str = "builtin:falco_rules.yaml";
