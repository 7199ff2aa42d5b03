//! Progress bars on a terminal (image layers, advisory downloads); nothing when stderr is not
//! a terminal or `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Draws one bar over the stored bytes of all layers.
pub struct LayerBar {
    bar: Option<ProgressBar>,
    layers: AtomicUsize,
    done: AtomicUsize,
}

impl LayerBar {
    /// A bar when stderr is a terminal and not `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} layers {msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        LayerBar {
            bar,
            layers: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }
    }
}

impl osprey_scan::Progress for LayerBar {
    fn start(&self, layers: usize, bytes: u64) {
        self.layers.store(layers, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.set_length(bytes);
            b.set_message(format!("0/{layers}"));
            b.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    fn layer_done(&self, _index: usize, stored_bytes: u64, _cached: bool) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(b) = &self.bar {
            b.inc(stored_bytes);
            b.set_message(format!("{done}/{}", self.layers.load(Ordering::Relaxed)));
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// One bar per advisory archive download (`osprey db update`).
pub struct DownloadBar {
    bar: Option<ProgressBar>,
}

impl DownloadBar {
    /// A bar when stderr is a terminal and not `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg:12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        DownloadBar { bar }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl osprey_dbupdate::Progress for DownloadBar {
    fn archive_start(&self, ecosystem: &str, bytes: Option<u64>) {
        if let Some(b) = &self.bar {
            b.reset();
            b.set_message(ecosystem.to_owned());
            match bytes {
                Some(n) => b.set_length(n),
                None => b.unset_length(),
            }
        }
    }

    fn archive_bytes(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    fn archive_done(&self, ecosystem: &str, records: usize) {
        if let Some(b) = &self.bar {
            b.println(format!("{ecosystem}: {records} records"));
        }
    }
}
