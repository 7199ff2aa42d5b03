use crate::Fact;
use crate::layer::{LayerFacts, path_hash};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fact with where it stands in the image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocatedFact {
    /// 0-based layer that contained the file; `None` for a live filesystem.
    pub layer: Option<usize>,
    /// False when a later layer deleted, replaced or hid the file.
    pub in_final_fs: bool,
    /// The fact.
    pub fact: Fact,
}

/// A file an analyzer wanted but did not get to read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Layer, when in an image.
    pub layer: Option<usize>,
    /// Path.
    pub path: String,
    /// Analyzer that wanted it.
    pub analyzer: String,
    /// Why (`larger than 10485760 bytes`, an analyzer error message).
    pub reason: String,
}

/// The result of a walk over every layer, squashed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Squashed {
    /// Every fact from every layer, bottom layer first; facts of files not in the final
    /// filesystem are kept with `in_final_fs: false`.
    pub facts: Vec<LocatedFact>,
    /// Symlinks in the final filesystem whose path some analyzer wanted: path -> target as
    /// stored.
    pub symlinks: BTreeMap<String, String>,
    /// Wanted files that were not analysed, or whose analysis failed.
    pub skipped: Vec<Skipped>,
}

/// Whiteouts, opaque dirs and replaced paths of the layers above some point, to decide
/// whether a file of a lower layer survives.
#[derive(Default)]
struct UpperMask {
    deleted: std::collections::HashSet<String>,
    opaque: std::collections::HashSet<String>,
    replaced: std::collections::HashSet<u64>,
}

impl UpperMask {
    /// True when `path` (from a lower layer) is deleted, hidden or replaced from above.
    fn hides(&self, path: &str) -> bool {
        if self.deleted.contains(path) || self.replaced.contains(&path_hash(path)) {
            return true;
        }
        // Any ancestor deleted, replaced by a non-directory, or made opaque.
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            let dir = &path[..slash];
            if self.deleted.contains(dir)
                || self.opaque.contains(dir)
                || self.replaced.contains(&path_hash(dir))
            {
                return true;
            }
            end = slash;
        }
        // The root itself made opaque hides everything below.
        self.opaque.contains("")
    }

    fn add(&mut self, layer: &LayerFacts) {
        self.deleted.extend(layer.whiteouts.iter().cloned());
        self.opaque.extend(layer.opaque_dirs.iter().cloned());
        self.replaced.extend(layer.replaced.iter().copied());
    }
}

/// Applies whiteouts and opaque directories across layers (bottom first): every fact keeps
/// its layer, and says whether its file is still in the final filesystem.
///
/// `layer_index` maps a position in `layers` to the layer number reported (`None` for a live
/// filesystem).
pub fn squash(layers: &[LayerFacts], layer_index: impl Fn(usize) -> Option<usize>) -> Squashed {
    let mut out = Squashed::default();
    let mut mask = UpperMask::default();
    // Walk top-down so each layer is judged against the union of the layers above it.
    let mut per_layer: Vec<Vec<LocatedFact>> = Vec::with_capacity(layers.len());
    for (pos, layer) in layers.iter().enumerate().rev() {
        let idx = layer_index(pos);
        let facts = layer
            .facts
            .iter()
            .map(|f| LocatedFact {
                layer: idx,
                in_final_fs: !mask.hides(&f.path),
                fact: f.clone(),
            })
            .collect();
        per_layer.push(facts);
        for (path, target) in &layer.symlinks {
            if !mask.hides(path) {
                out.symlinks
                    .entry(path.clone())
                    .or_insert_with(|| target.clone());
            }
        }
        mask.add(layer);
    }
    per_layer.reverse();
    out.facts = per_layer.into_iter().flatten().collect();
    for (pos, layer) in layers.iter().enumerate() {
        out.skipped.extend(layer.skipped.iter().map(|s| Skipped {
            layer: layer_index(pos),
            path: s.path.clone(),
            analyzer: s.analyzer.clone(),
            reason: s.reason.clone(),
        }));
    }
    out
}
