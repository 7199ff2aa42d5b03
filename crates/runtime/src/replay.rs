//! Replaying a recorded event stream (JSON Lines, `docs/runtime-events.md`) through the engine.

use std::collections::BTreeMap;
use std::io::BufRead;

use crate::engine::Engine;
use crate::event::Event;
use crate::output::{RateLimiter, Sink};

/// Longest event line accepted.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What a replay did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayStats {
    /// Events read.
    pub events: u64,
    /// Alerts delivered to the sinks.
    pub alerts: u64,
    /// Alerts by rule name (delivered ones).
    pub by_rule: BTreeMap<String, u64>,
    /// Alerts the rate limiter held back, by rule name.
    pub suppressed: BTreeMap<String, u64>,
    /// Sink delivery failures.
    pub sink_errors: u64,
}

/// A replay that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading failed.
    #[error("reading events: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not an event.
    #[error("line {line}: {message}")]
    BadEvent {
        /// 1-based line number.
        line: u64,
        /// Why.
        message: String,
    },
}

/// Evaluates every event of `input` and sends alerts to `sinks`. Blank lines are skipped; a
/// malformed line stops the replay with its line number. Sink errors are counted and the
/// first is reported through `on_sink_error`, so one dead webhook does not stop detection.
pub fn replay(
    mut input: impl BufRead,
    engine: &Engine,
    mut limiter: Option<&mut RateLimiter>,
    sinks: &mut [Box<dyn Sink>],
    mut on_sink_error: impl FnMut(&std::io::Error),
) -> Result<ReplayStats, ReplayError> {
    let mut stats = ReplayStats::default();
    let mut matched = Vec::new();
    let mut line_no = 0u64;
    let mut buf = String::new();
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut input, MAX_LINE_BYTES as u64 + 1).read_line(&mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.len() > MAX_LINE_BYTES {
            return Err(ReplayError::BadEvent {
                line: line_no,
                message: format!("line longer than {MAX_LINE_BYTES} bytes"),
            });
        }
        if buf.trim().is_empty() {
            continue;
        }
        let mut ev: Event = serde_json::from_str(&buf).map_err(|e| ReplayError::BadEvent {
            line: line_no,
            message: format!("not an event: {e}"),
        })?;
        stats.events += 1;
        // `evt.num` counts from 1 (upstream's `never_true` is `evt.num=0`): number unnumbered
        // events by their position in the stream.
        if ev.num == 0 {
            ev.num = stats.events;
        }
        matched.clear();
        engine.matches(&ev, &mut matched);
        for &idx in &matched {
            let name = &engine.rules()[idx as usize].name;
            if let Some(l) = limiter.as_deref_mut()
                && !l.allow(idx as usize, name, ev.ts)
            {
                continue;
            }
            let alert = engine.alert(idx, &ev);
            for s in sinks.iter_mut() {
                if let Err(e) = s.emit(&alert) {
                    stats.sink_errors += 1;
                    on_sink_error(&e);
                }
            }
            stats.alerts += 1;
            *stats.by_rule.entry(name.clone()).or_default() += 1;
        }
    }
    for s in sinks.iter_mut() {
        if let Err(e) = s.flush() {
            stats.sink_errors += 1;
            on_sink_error(&e);
        }
    }
    if let Some(l) = limiter {
        stats.suppressed = l.suppressed.clone();
    }
    Ok(stats)
}
