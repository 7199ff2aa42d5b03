//! One pass over every layer of an image (or over a live root filesystem), feeding each file
//! to the analyzers that asked for its path.
//!
//! This crate owns the analyzer contract ([`Analyzer`], [`Fact`]), the per-layer walk that
//! dispatches entries to analyzers (layers in parallel, biggest first; wanted files analysed
//! in batches on any free worker), the on-disk cache of per-layer
//! results keyed by diff_id and analyzer versions ([`LayerCache`]), and the squash that applies
//! whiteouts and opaque directories to say which facts are in the final filesystem and which
//! were deleted or hidden (still reported, with their layer).
//!
//! It must not touch: what a fact means. Catalogers (`inventory`), secret rules (`secrets`)
//! and config checks implement [`Analyzer`]; interpreting the squashed facts is theirs.
#![deny(missing_docs)]

mod analyzer;
mod cache;
mod layer;
mod pipeline;
mod squash;

pub use analyzer::{Analyzer, AnalyzerError, Fact, FactKind, FileMeta, HEAD_LEN};
pub use cache::LayerCache;
pub use layer::{LayerAnalysis, LayerFacts, PendingFacts, SkippedFile, analyze_file, path_hash};
pub use pipeline::{
    ImageScan, Progress, ScanError, ScanOptions, layer_infos, scan_image, scan_rootfs,
};
pub use squash::{LocatedFact, Skipped, Squashed, squash};
