//! Runtime threat detection.
//!
//! Owns the runtime event model ([`event::Event`], also the JSON Lines record/replay format),
//! the Falco-compatible rule language (loading, condition compilation, field extraction) and
//! alert sinks. The eBPF event source lives beside them and meets them only at [`event::Event`]:
//! field extraction reads an `Event`, condition compilation knows fields only through the
//! fields table, and the sensor produces `Event`s already enriched with process, fd and
//! container state, so rules evaluate on a single event with no engine-side state.
//!
//! Must not touch: image scanning, vulnerability data, report renderers, CLI parsing.
#![deny(missing_docs)]

pub mod enrich;
pub mod event;
pub mod sensor;
