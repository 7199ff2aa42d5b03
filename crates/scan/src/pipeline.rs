//! The drivers: scan every layer of an image (in parallel, through the cache), or one live
//! root filesystem, and squash.

use crate::layer::analyze_file;
use crate::{
    Analyzer, FileMeta, LayerAnalysis, LayerCache, LayerFacts, SkippedFile, Squashed, squash,
};
use osprey_image::{EntryKind, ImageSource};
use osprey_model::LayerInfo;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// Receives progress while layers stream; the CLI draws a bar on a terminal.
pub trait Progress: Sync {
    /// The scan starts: `layers` layers, `bytes` of stored blobs when known.
    fn start(&self, layers: usize, bytes: u64);
    /// One layer finished (from the cache or analysed).
    fn layer_done(&self, index: usize, stored_bytes: u64, cached: bool);
    /// The scan finished.
    fn finish(&self);
}

/// How to scan.
#[derive(Default)]
pub struct ScanOptions<'a> {
    /// Per-layer result cache; `None` disables caching.
    pub cache: Option<LayerCache>,
    /// Progress sink.
    pub progress: Option<&'a dyn Progress>,
}

/// A failed scan, naming the layer at fault.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading a layer failed (integrity, decompression, malformed tar).
    #[error("layer {index} ({digest}): {source}")]
    Layer {
        /// Layer index.
        index: usize,
        /// Blob digest.
        digest: String,
        /// The cause.
        source: osprey_image::Error,
    },
    /// Reading a root filesystem failed.
    #[error("{0}")]
    Image(#[from] osprey_image::Error),
}

/// The result of scanning an image.
#[derive(Debug)]
pub struct ImageScan {
    /// Every layer with its history step.
    pub layers: Vec<LayerInfo>,
    /// Facts from every layer, squashed.
    pub squashed: Squashed,
    /// How many layers came from the cache.
    pub cached_layers: usize,
    /// Entries walked in analysed (not cached) layers.
    pub entries_walked: u64,
}

/// Layers with the history steps that created them: `history` entries with
/// `empty_layer: true` made no layer, the others map to layers in order.
pub fn layer_infos(src: &dyn ImageSource) -> Vec<LayerInfo> {
    let meta = src.metadata();
    let history: Vec<(usize, Option<String>)> = meta
        .config
        .get("history")
        .and_then(|h| h.as_array())
        .map(|h| {
            h.iter()
                .enumerate()
                .filter(|(_, step)| {
                    !step
                        .get("empty_layer")
                        .and_then(|e| e.as_bool())
                        .unwrap_or(false)
                })
                .map(|(i, step)| {
                    (
                        i,
                        step.get("created_by")
                            .and_then(|c| c.as_str())
                            .map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    meta.layers
        .iter()
        .enumerate()
        .map(|(i, l)| LayerInfo {
            index: i,
            digest: l.digest.clone(),
            diff_id: l.diff_id.clone(),
            size: l.size.unwrap_or(0),
            created_by: history.get(i).and_then(|h| h.1.clone()),
            history_index: history.get(i).map(|h| h.0),
        })
        .collect()
}

/// Scans every layer of an image once, layers in parallel, and squashes.
pub fn scan_image(
    src: &dyn ImageSource,
    analyzers: &[Box<dyn Analyzer>],
    opts: &ScanOptions<'_>,
) -> Result<ImageScan, ScanError> {
    let layers = layer_infos(src);
    if let Some(p) = opts.progress {
        p.start(layers.len(), layers.iter().map(|l| l.size).sum());
    }
    let scan_layer = |layer: &LayerInfo| -> Result<(LayerFacts, bool), ScanError> {
        let key = LayerCache::key(&layer.diff_id, analyzers);
        if let Some(cache) = &opts.cache
            && let Some(facts) = cache.get(&key)
        {
            if let Some(p) = opts.progress {
                p.layer_done(layer.index, layer.size, true);
            }
            return Ok((facts, true));
        }
        let facts = analyze_layer(src, layer, analyzers)?;
        if let Some(cache) = &opts.cache
            && let Err(e) = cache.put(&key, &facts)
        {
            tracing::warn!(
                "could not write cache entry in {}: {e}",
                cache.dir().display()
            );
        }
        if let Some(p) = opts.progress {
            p.layer_done(layer.index, layer.size, false);
        }
        Ok((facts, false))
    };
    // Biggest layers first: the last layer to start bounds the scan, and it should be a
    // small one. FIFO so the spawning worker also takes them in that order.
    let mut order: Vec<&LayerInfo> = layers.iter().collect();
    order.sort_by_key(|l| std::cmp::Reverse(l.size));
    let slots: Vec<OnceLock<Result<(LayerFacts, bool), ScanError>>> =
        layers.iter().map(|_| OnceLock::new()).collect();
    rayon::scope_fifo(|s| {
        for layer in order {
            let (slot, scan_layer) = (&slots[layer.index], &scan_layer);
            s.spawn_fifo(move |_| {
                let _ = slot.set(scan_layer(layer));
            });
        }
    });
    let results = slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("every layer's job ran"));
    if let Some(p) = opts.progress {
        p.finish();
    }
    let mut facts = Vec::with_capacity(results.len());
    let mut cached_layers = 0;
    let mut entries_walked = 0;
    for r in results {
        let (f, cached) = r?;
        if cached {
            cached_layers += 1;
        } else {
            entries_walked += f.entries;
        }
        facts.push(f);
    }
    let squashed = squash(&facts, Some);
    Ok(ImageScan {
        layers,
        squashed,
        cached_layers,
        entries_walked,
    })
}

fn analyze_layer(
    src: &dyn ImageSource,
    layer: &LayerInfo,
    analyzers: &[Box<dyn Analyzer>],
) -> Result<LayerFacts, ScanError> {
    let wrap = |source| ScanError::Layer {
        index: layer.index,
        digest: layer.digest.clone(),
        source,
    };
    let reader = osprey_image::open_layer(src, layer.index).map_err(wrap)?;
    // Three kinds of work overlap: decompression a few chunks ahead on its own thread (on an
    // image with one big layer, most distro bases, it would otherwise leave a core idle), the
    // tar walk here, and batches of wanted files analysed by whichever rayon worker is free.
    let pending = rayon::in_place_scope(|batches| {
        let mut analysis = LayerAnalysis::parallel(analyzers, batches);
        std::thread::scope(|ahead| {
            osprey_image::walk_layer(reader.read_ahead(ahead), &layer.digest, |entry, content| {
                analysis
                    .visit(entry, content)
                    .map_err(|e| osprey_image::Error::Layer {
                        layer: layer.digest.clone(),
                        path: entry.path.clone(),
                        reason: e.to_string(),
                    })
            })
        })?;
        Ok(analysis.end())
    })
    .map_err(wrap)?;
    Ok(pending.finish())
}

/// Scans a live root filesystem (one "layer", no cache: files change under us). Directories
/// are read in parallel, and so are the wanted files.
pub fn scan_rootfs(root: &Path, analyzers: &[Box<dyn Analyzer>]) -> Result<Squashed, ScanError> {
    let collected = Mutex::new(LayerFacts::default());
    let stats =
        osprey_image::walk_dir(root, |entry, content| {
            let meta = FileMeta {
                path: &entry.path,
                size: entry.size,
                mode: entry.mode,
            };
            match &entry.kind {
                EntryKind::File => {
                    let mut buf = Vec::new();
                    let (facts, skipped) = analyze_file(analyzers, &meta, content, &mut buf)
                        .map_err(|e| osprey_image::Error::Io {
                            path: root.join(&entry.path),
                            source: e,
                        })?;
                    if !facts.is_empty() || !skipped.is_empty() {
                        let mut c = collected.lock().unwrap_or_else(|p| p.into_inner());
                        c.facts.extend(facts);
                        c.skipped.extend(skipped);
                    }
                }
                EntryKind::Symlink { target } if analyzers.iter().any(|a| a.wants(&meta)) => {
                    let mut c = collected.lock().unwrap_or_else(|p| p.into_inner());
                    c.symlinks.insert(entry.path.clone(), target.clone());
                }
                _ => {}
            }
            Ok(())
        })?;
    let mut facts = collected.into_inner().unwrap_or_else(|p| p.into_inner());
    // The walk visits in no particular order; sort so results are stable run to run.
    facts
        .facts
        .sort_by(|a, b| (&a.path, &a.analyzer).cmp(&(&b.path, &b.analyzer)));
    for u in &stats.unreadable {
        facts.skipped.push(SkippedFile {
            path: u.path.clone(),
            analyzer: "walk".into(),
            reason: u.reason.clone(),
        });
    }
    Ok(squash(&[facts], |_| None))
}
