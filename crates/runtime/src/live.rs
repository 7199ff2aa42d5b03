//! The live event source: the eBPF [`sensor`](crate::sensor) feeding
//! [`enrich`](crate::enrich), yielding self-contained [`Event`]s in kernel order.
//! `osprey runtime run` evaluates them, `osprey runtime record` writes them.

use std::collections::BTreeSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crate::enrich::Enricher;
use crate::event::Event;
use crate::prefilter::OpenPathFilter;
use crate::sensor::{AttachReport, Record, Sensor, SensorError, SensorOptions, SensorStats};

/// A running sensor with enrichment.
pub struct LiveSource {
    sensor: Sensor,
    records: Receiver<Record>,
    enricher: Enricher,
}

impl LiveSource {
    /// Seeds the process table from `/proc`, then loads and attaches the sensor. `syscalls`
    /// narrows the in-kernel filter (e.g. to the event types the loaded rules name), and
    /// `open_paths` the opens it forwards (see [`crate::prefilter::open_path_filter`]).
    pub fn start(
        syscalls: Option<BTreeSet<String>>,
        open_paths: OpenPathFilter,
    ) -> Result<LiveSource, SensorError> {
        // Seed first: a process that forks between the seed and the attach is still found
        // through the /proc fallback when its first record arrives.
        let enricher = Enricher::new();
        let (tx, records) = channel();
        let sensor = Sensor::start(
            SensorOptions {
                syscalls,
                open_paths,
                ..Default::default()
            },
            tx,
        )?;
        Ok(LiveSource {
            sensor,
            records,
            enricher,
        })
    }

    /// What attached.
    pub fn report(&self) -> &AttachReport {
        self.sensor.report()
    }

    /// Latest sensor counters.
    pub fn stats(&self) -> SensorStats {
        self.sensor.stats()
    }

    /// The next event, waiting at most until `deadline`; `None` when it passed first.
    pub fn next_event(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.records.recv_timeout(wait) {
                Ok(record) => {
                    if let Some(ev) = self.enricher.enrich(record) {
                        return Some(ev);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Stops the sensor and returns the events still queued, then the final counters.
    pub fn stop(mut self) -> Result<(Vec<Event>, SensorStats), SensorError> {
        let stats = self.sensor.stop()?;
        let rest = self.records.try_iter().collect::<Vec<_>>();
        let events = rest
            .into_iter()
            .filter_map(|r| self.enricher.enrich(r))
            .collect();
        Ok((events, stats))
    }
}

/// Syscalls the sensor should report for rules naming `event_types`: the ones it supports.
/// `None` (everything) when no rule restricts its event type.
pub fn syscalls_for(event_types: &[String]) -> Option<BTreeSet<String>> {
    if event_types.is_empty() {
        return None;
    }
    let supported: BTreeSet<&str> = crate::sensor::supported_syscalls().collect();
    Some(
        event_types
            .iter()
            .filter(|t| supported.contains(t.as_str()))
            .cloned()
            .collect(),
    )
}

/// Polling granularity of callers that also watch a stop flag.
pub const POLL: Duration = Duration::from_millis(100);
