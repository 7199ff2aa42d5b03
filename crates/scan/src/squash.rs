use crate::Fact;
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
