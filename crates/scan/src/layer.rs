//! The per-layer half of the pipeline: dispatch each entry to the analyzers that want it and
//! record what later layers need to know to squash (whiteouts, opaque dirs, replaced paths).

use crate::{Analyzer, Fact, FactKind, FileMeta};
use osprey_image::{Entry, EntryKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

/// A wanted file that was not analysed (too big, unreadable) or whose analysis failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    /// Path in the layer.
    pub path: String,
    /// Analyzer that wanted it.
    pub analyzer: String,
    /// Why.
    pub reason: String,
}

/// Everything the squash needs from one layer; this is what the cache stores.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Facts from files of this layer, in tar order.
    pub facts: Vec<Fact>,
    /// Paths deleted by `.wh.` files (deletions apply to lower layers).
    pub whiteouts: Vec<String>,
    /// Directories made opaque (their lower-layer content is hidden).
    pub opaque_dirs: Vec<String>,
    /// Wanted symlinks: path -> target as stored.
    pub symlinks: BTreeMap<String, String>,
    /// Hashes of the paths of every non-directory entry: a lower layer's file at such a path
    /// is replaced. Hashes keep this at 8 bytes a file instead of the path text.
    pub replaced: HashSet<u64>,
    /// Wanted files not analysed.
    pub skipped: Vec<SkippedFile>,
    /// Number of entries walked.
    pub entries: u64,
    /// Bytes of file content in the layer (uncompressed).
    pub content_bytes: u64,
}

/// Stable hash of a normalised path (FxHash-like, fixed seed) so cached `replaced` sets stay
/// valid across runs and builds.
pub fn path_hash(path: &str) -> u64 {
    let mut h = StablePathHasher(0xcbf2_9ce4_8422_2325);
    path.hash(&mut h);
    h.0
}

/// 64-bit FNV-1a: deterministic across processes, unlike std's RandomState.
struct StablePathHasher(u64);

impl Hasher for StablePathHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Collects [`LayerFacts`] from a stream of entries.
pub struct LayerAnalysis<'a> {
    analyzers: &'a [Box<dyn Analyzer>],
    facts: LayerFacts,
    /// Indices into `facts.facts` by path, to move facts of replaced or hard-linked entries.
    facts_by_path: HashMap<String, Vec<usize>>,
    buf: Vec<u8>,
}

impl<'a> LayerAnalysis<'a> {
    /// Starts a layer.
    pub fn new(analyzers: &'a [Box<dyn Analyzer>]) -> Self {
        LayerAnalysis {
            analyzers,
            facts: LayerFacts::default(),
            facts_by_path: HashMap::new(),
            buf: Vec::new(),
        }
    }

    /// Handles one entry. `content` is the file's bytes for [`EntryKind::File`]; it is read
    /// only if some analyzer wants the file.
    pub fn visit(&mut self, entry: &Entry, content: &mut dyn Read) -> std::io::Result<()> {
        self.facts.entries += 1;
        match &entry.kind {
            EntryKind::Whiteout { target } => {
                self.facts.whiteouts.push(target.clone());
                return Ok(());
            }
            EntryKind::OpaqueDir { dir } => {
                self.facts.opaque_dirs.push(dir.clone());
                return Ok(());
            }
            EntryKind::Dir => return Ok(()),
            _ => {}
        }
        // A second entry for the same path in one tar replaces the first.
        if self.facts.replaced.insert(path_hash(&entry.path)) {
            // first occurrence
        } else {
            self.drop_facts_of(&entry.path);
            self.facts.symlinks.remove(&entry.path);
        }
        let meta = FileMeta {
            path: &entry.path,
            size: entry.size,
            mode: entry.mode,
        };
        match &entry.kind {
            EntryKind::File => {
                self.facts.content_bytes += entry.size;
                self.analyze_file(&meta, content)
            }
            EntryKind::Symlink { target } => {
                if self.analyzers.iter().any(|a| a.wants(&meta)) {
                    self.facts
                        .symlinks
                        .insert(entry.path.clone(), target.clone());
                }
                Ok(())
            }
            EntryKind::Hardlink { target } => {
                self.copy_facts(target, &entry.path);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn analyze_file(&mut self, meta: &FileMeta<'_>, content: &mut dyn Read) -> std::io::Result<()> {
        let (facts, skipped) = analyze_file(self.analyzers, meta, content, &mut self.buf)?;
        self.facts.skipped.extend(skipped);
        for fact in facts {
            let idx = self.facts.facts.len();
            self.facts_by_path
                .entry(fact.path.clone())
                .or_default()
                .push(idx);
            self.facts.facts.push(fact);
        }
        Ok(())
    }

    fn drop_facts_of(&mut self, path: &str) {
        if let Some(indices) = self.facts_by_path.remove(path) {
            let drop: HashSet<usize> = indices.into_iter().collect();
            let mut i = 0;
            self.facts.facts.retain(|_| {
                let keep = !drop.contains(&i);
                i += 1;
                keep
            });
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.facts_by_path.clear();
        for (i, f) in self.facts.facts.iter().enumerate() {
            self.facts_by_path
                .entry(f.path.clone())
                .or_default()
                .push(i);
        }
    }

    /// A hard link shares its target's content, so it carries the target's facts under its
    /// own path.
    fn copy_facts(&mut self, target: &str, path: &str) {
        let Some(indices) = self.facts_by_path.get(target).cloned() else {
            return;
        };
        for i in indices {
            let fact = relocate(&self.facts.facts[i], path);
            let idx = self.facts.facts.len();
            self.facts_by_path
                .entry(path.to_string())
                .or_default()
                .push(idx);
            self.facts.facts.push(fact);
        }
    }

    /// The layer's facts.
    pub fn finish(self) -> LayerFacts {
        self.facts
    }
}

fn relocate(fact: &Fact, path: &str) -> Fact {
    let mut fact = fact.clone();
    let old = std::mem::replace(&mut fact.path, path.to_string());
    match &mut fact.kind {
        FactKind::Packages(pkgs) => {
            for p in pkgs {
                if p.location.path == old {
                    p.location.path = path.to_string();
                }
            }
        }
        FactKind::Secrets(found) => {
            for s in found {
                if let osprey_model::SecretLocation::File { path: p, .. } = &mut s.location
                    && *p == old
                {
                    *p = path.to_string();
                }
            }
        }
        FactKind::Content(_) => {}
    }
    fact
}

/// Runs every analyzer that wants `meta` over the file's bytes (read once into `buf`).
/// Files over an analyzer's size limit and analyzer errors come back as skipped files.
pub fn analyze_file(
    analyzers: &[Box<dyn Analyzer>],
    meta: &FileMeta<'_>,
    content: &mut dyn Read,
    buf: &mut Vec<u8>,
) -> std::io::Result<(Vec<Fact>, Vec<SkippedFile>)> {
    let mut facts = Vec::new();
    let mut skipped = Vec::new();
    let skip = |a: &dyn Analyzer, reason: String| SkippedFile {
        path: meta.path.to_string(),
        analyzer: a.name().to_string(),
        reason,
    };
    let mut wanting: Vec<&dyn Analyzer> = Vec::new();
    for a in analyzers {
        if a.wants(meta) {
            if meta.size > a.max_size() {
                skipped.push(skip(
                    a.as_ref(),
                    format!(
                        "file is {} bytes, larger than the {}-byte limit",
                        meta.size,
                        a.max_size()
                    ),
                ));
            } else {
                wanting.push(a.as_ref());
            }
        }
    }
    if wanting.is_empty() {
        return Ok((facts, skipped));
    }
    buf.clear();
    // Bounded by the largest limit among the wanting analyzers; `take` also guards against a
    // header that understates the size.
    let limit = wanting.iter().map(|a| a.max_size()).max().unwrap_or(0);
    content.take(limit + 1).read_to_end(buf)?;
    for a in wanting {
        if buf.len() as u64 > a.max_size() {
            skipped.push(skip(
                a,
                format!("content exceeds the {}-byte limit", a.max_size()),
            ));
            continue;
        }
        match a.analyze(meta, buf) {
            Ok(new) => facts.extend(new),
            Err(e) => skipped.push(skip(a, e.message)),
        }
    }
    Ok((facts, skipped))
}
