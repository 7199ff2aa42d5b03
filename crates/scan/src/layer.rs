//! The per-layer half of the pipeline: dispatch each entry to the analyzers that want it and
//! record what later layers need to know to squash (whiteouts, opaque dirs, replaced paths).

use crate::{Analyzer, Fact, FactKind, FileMeta, HEAD_LEN};
use osprey_image::{Entry, EntryKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

/// Wanted files are copied into batches of about this many bytes (or files) before they are
/// analysed: one job per batch keeps the hand-off cheap next to the analysis.
const BATCH_BYTES: usize = 256 * 1024;
const BATCH_FILES: usize = 256;
/// Bytes of one layer read but not yet analysed. Past this the walking thread analyses its
/// batches itself, which bounds memory whatever the layer holds and however busy the pool is.
const MAX_PENDING_BYTES: usize = 2 << 20;
/// Batch buffers kept for reuse across layers: fresh pages cost a fault each.
const SPARE_BUFFERS: usize = 32;
/// A buffer grown this far for one big file is freed rather than kept.
const MAX_SPARE_BYTES: usize = 4 * BATCH_BYTES;
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Collects [`LayerFacts`] from a stream of entries.
///
/// A tar is one stream, so the walk is sequential; analysing a wanted file needs only its
/// bytes. `visit` copies them into a batch, and a full batch is analysed on the rayon scope
/// given to [`LayerAnalysis::parallel`] by whichever worker is free (inline without one): the
/// analysis of a big layer then spreads over every core instead of trailing its walk. What
/// depends on the results in tar order (facts of a path that a later entry of the same tar
/// replaces, hard links carrying their target's facts) is recorded as [`Step`]s and applied
/// in order once every batch is done.
pub struct LayerAnalysis<'a, 's> {
    analyzers: &'a [Box<dyn Analyzer>],
    scope: Option<&'s rayon::Scope<'a>>,
    facts: LayerFacts,
    steps: Vec<Step>,
    batch: Batch,
    outcomes: Arc<Mutex<Vec<FileOutcome>>>,
    pending_bytes: Arc<AtomicUsize>,
}

/// What `finish` replays, in tar order.
enum Step {
    /// A later entry replaces this path: the facts gathered for it so far go.
    Drop(String),
    /// The outcome of a wanted file (by slot).
    File(usize),
    /// A hard link: copies of the target's facts under the link's path.
    Link { target: String, path: String },
}

/// What the analyzers made of one wanted file.
struct FileOutcome {
    slot: usize,
    facts: Vec<Fact>,
    skipped: Vec<SkippedFile>,
}

/// A wanted file waiting in a batch.
struct BatchFile {
    slot: usize,
    path: String,
    size: u64,
    mode: u32,
    content: std::ops::Range<usize>,
    /// Indices of the analyzers that want the content.
    wanting: Vec<usize>,
    /// Skips decided from the header (the file is over an analyzer's size limit).
    skipped: Vec<SkippedFile>,
}

/// Files waiting for analysis and their bytes, back to back in `bytes[..filled]`. The buffer
/// stays initialised past `filled` (buffers are reused), so reading into it needs no zeroing.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    filled: usize,
    files: Vec<BatchFile>,
}

impl Batch {
    fn with_spare_buffer() -> Self {
        let bytes = lock(&SPARE).pop().unwrap_or_default();
        Batch {
            bytes,
            filled: 0,
            files: Vec::new(),
        }
    }

    /// Appends a file's content: its first [`HEAD_LEN`] bytes, then, if `rest(head)` gives a
    /// limit, the rest up to `limit + 1` bytes, so that content over the limit shows even when
    /// the header understates the size. `limit` bounds the head too and `rest`'s limit must not
    /// exceed it. Returns where the content landed, or `None` (nothing kept) when `rest`
    /// declines the file.
    fn append(
        &mut self,
        content: &mut dyn Read,
        size: u64,
        limit: u64,
        rest: impl FnOnce(&[u8]) -> Option<u64>,
    ) -> std::io::Result<Option<std::ops::Range<usize>>> {
        let start = self.filled;
        let most = |limit: u64| usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
        let expected = usize::try_from(size.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(most(limit));
        let head_end =
            self.read_up_to(content, start, start, HEAD_LEN.min(most(limit)), expected)?;
        let Some(limit) = rest(&self.bytes[start..head_end]) else {
            return Ok(None);
        };
        // A short head means the content or the limit ended there.
        let end = if head_end - start == HEAD_LEN {
            self.read_up_to(content, start, head_end, most(limit), expected)?
        } else {
            head_end
        };
        self.filled = end;
        Ok(Some(start..end))
    }

    /// Reads the file starting at `start` on from `end` until it holds `most` bytes or the
    /// content ends; returns the new end. Grows the buffer towards `expected` bytes a file.
    fn read_up_to(
        &mut self,
        content: &mut dyn Read,
        start: usize,
        mut end: usize,
        most: usize,
        expected: usize,
    ) -> std::io::Result<usize> {
        while end - start < most {
            if end == self.bytes.len() {
                // Beyond the initialised part: grow to the expected size, or in steps when
                // the content runs past it; for a head, by one step only, since the file may
                // be declined after it.
                const STEP: usize = 64 * 1024;
                let want = expected
                    .max(2 * (end - start))
                    .max(STEP)
                    .min(most.max(STEP));
                self.bytes.resize(start + want, 0);
            }
            let stop = self.bytes.len().min(start + most);
            match content.read(&mut self.bytes[end..stop]) {
                Ok(0) => break,
                Ok(n) => end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(end)
    }

    /// Runs the analyzers over every file of the batch; its buffer goes back to the spares.
    fn analyze(self, analyzers: &[Box<dyn Analyzer>]) -> Vec<FileOutcome> {
        let outcomes = self
            .files
            .into_iter()
            .map(|f| {
                let meta = FileMeta {
                    path: &f.path,
                    size: f.size,
                    mode: f.mode,
                };
                let mut skipped = f.skipped;
                let wanting = f.wanting.iter().map(|&i| analyzers[i].as_ref());
                let facts = run_analyzers(wanting, &meta, &self.bytes[f.content], &mut skipped);
                FileOutcome {
                    slot: f.slot,
                    facts,
                    skipped,
                }
            })
            .collect();
        let mut spare = lock(&SPARE);
        if spare.len() < SPARE_BUFFERS && self.bytes.len() <= MAX_SPARE_BYTES {
            spare.push(self.bytes);
        }
        outcomes
    }
}

impl<'a> LayerAnalysis<'a, 'a> {
    /// Starts a layer whose files are analysed as they are visited.
    pub fn new(analyzers: &'a [Box<dyn Analyzer>]) -> Self {
        Self::with_scope(analyzers, None)
    }
}

impl<'a, 's> LayerAnalysis<'a, 's> {
    /// Starts a layer whose files are analysed in batches on `scope`. Call
    /// [`LayerAnalysis::end`] inside the scope and [`PendingFacts::finish`] after it.
    pub fn parallel(analyzers: &'a [Box<dyn Analyzer>], scope: &'s rayon::Scope<'a>) -> Self {
        Self::with_scope(analyzers, Some(scope))
    }

    fn with_scope(analyzers: &'a [Box<dyn Analyzer>], scope: Option<&'s rayon::Scope<'a>>) -> Self {
        LayerAnalysis {
            analyzers,
            scope,
            facts: LayerFacts::default(),
            steps: Vec::new(),
            batch: Batch::default(),
            outcomes: Arc::default(),
            pending_bytes: Arc::default(),
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
        if !self.facts.replaced.insert(path_hash(&entry.path)) {
            self.steps.push(Step::Drop(entry.path.clone()));
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
                self.read_file(&meta, content)
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
                self.steps.push(Step::Link {
                    target: target.clone(),
                    path: entry.path.clone(),
                });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Copies a wanted file into the batch, bounded by the largest limit among the analyzers
    /// that want it (which also guards against a header that understates the size). Analyzers
    /// that decline the file's head drop out first; with none left it is not copied at all.
    fn read_file(&mut self, meta: &FileMeta<'_>, content: &mut dyn Read) -> std::io::Result<()> {
        let (mut wanting, skipped) = wanting(self.analyzers, meta);
        let analyzers = self.analyzers;
        let range = match max_limit(analyzers, &wanting) {
            Some(limit) => self.batch.append(content, meta.size, limit, |head| {
                keep_wanting_head(analyzers, &mut wanting, head)
            })?,
            None => None,
        };
        if range.is_none() && skipped.is_empty() {
            return Ok(());
        }
        let slot = self.steps.len();
        self.steps.push(Step::File(slot));
        self.batch.files.push(BatchFile {
            slot,
            path: meta.path.to_string(),
            size: meta.size,
            mode: meta.mode,
            content: range.unwrap_or(0..0),
            wanting,
            skipped,
        });
        if self.batch.filled >= BATCH_BYTES || self.batch.files.len() >= BATCH_FILES {
            self.dispatch();
        }
        Ok(())
    }

    /// Hands the current batch to the scope, or analyses it here when there is no scope or
    /// too much is pending already.
    fn dispatch(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Batch::with_spare_buffer());
        let bytes = batch.filled;
        if let Some(scope) = self.scope
            && self.pending_bytes.load(Ordering::Acquire) + bytes <= MAX_PENDING_BYTES
        {
            self.pending_bytes.fetch_add(bytes, Ordering::AcqRel);
            let (analyzers, outcomes, pending) = (
                self.analyzers,
                Arc::clone(&self.outcomes),
                Arc::clone(&self.pending_bytes),
            );
            scope.spawn(move |_| {
                let done = batch.analyze(analyzers);
                pending.fetch_sub(bytes, Ordering::AcqRel);
                lock(&outcomes).extend(done);
            });
        } else {
            let done = batch.analyze(self.analyzers);
            lock(&self.outcomes).extend(done);
        }
    }

    /// The walk is over: the last batch is dispatched. Inside a scope, call
    /// [`PendingFacts::finish`] once the scope has ended.
    pub fn end(mut self) -> PendingFacts {
        if !self.batch.files.is_empty() {
            self.dispatch();
        }
        PendingFacts {
            facts: self.facts,
            steps: self.steps,
            outcomes: self.outcomes,
        }
    }

    /// The layer's facts (for an analysis without a scope).
    pub fn finish(self) -> LayerFacts {
        self.end().finish()
    }
}

/// A layer whose walk is over; its facts are complete once every batch has been analysed.
pub struct PendingFacts {
    facts: LayerFacts,
    steps: Vec<Step>,
    outcomes: Arc<Mutex<Vec<FileOutcome>>>,
}

impl PendingFacts {
    /// Applies the recorded steps in tar order.
    ///
    /// # Panics
    /// If a batch is still being analysed: the scope the analysis ran on must have ended.
    pub fn finish(self) -> LayerFacts {
        let outcomes = Arc::try_unwrap(self.outcomes)
            .ok()
            .expect("PendingFacts::finish runs after the scope of the layer's batches ended")
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        let mut by_slot: HashMap<usize, FileOutcome> =
            outcomes.into_iter().map(|o| (o.slot, o)).collect();
        let mut facts = self.facts;
        // Indices into `facts.facts` by path, to drop facts of replaced entries and copy
        // those of hard-link targets.
        let mut by_path: HashMap<String, Vec<usize>> = HashMap::new();
        for step in self.steps {
            match step {
                Step::File(slot) => {
                    let Some(outcome) = by_slot.remove(&slot) else {
                        continue;
                    };
                    facts.skipped.extend(outcome.skipped);
                    for fact in outcome.facts {
                        by_path
                            .entry(fact.path.clone())
                            .or_default()
                            .push(facts.facts.len());
                        facts.facts.push(fact);
                    }
                }
                Step::Drop(path) => {
                    if let Some(indices) = by_path.remove(&path) {
                        let drop: HashSet<usize> = indices.into_iter().collect();
                        let mut i = 0;
                        facts.facts.retain(|_| {
                            let keep = !drop.contains(&i);
                            i += 1;
                            keep
                        });
                        by_path.clear();
                        for (i, f) in facts.facts.iter().enumerate() {
                            by_path.entry(f.path.clone()).or_default().push(i);
                        }
                    }
                }
                Step::Link { target, path } => {
                    for i in by_path.get(&target).cloned().unwrap_or_default() {
                        let fact = relocate(&facts.facts[i], &path);
                        by_path
                            .entry(path.clone())
                            .or_default()
                            .push(facts.facts.len());
                        facts.facts.push(fact);
                    }
                }
            }
        }
        facts
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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

/// The analyzers (by index) that want `meta` within their size limit, and the skips of those
/// that want it but not at this size.
fn wanting(analyzers: &[Box<dyn Analyzer>], meta: &FileMeta<'_>) -> (Vec<usize>, Vec<SkippedFile>) {
    let mut wanting = Vec::new();
    let mut skipped = Vec::new();
    for (i, a) in analyzers.iter().enumerate() {
        if !a.wants(meta) {
            continue;
        }
        if meta.size > a.max_size() {
            skipped.push(skip(
                meta,
                a.as_ref(),
                format!(
                    "file is {} bytes, larger than the {}-byte limit",
                    meta.size,
                    a.max_size()
                ),
            ));
        } else {
            wanting.push(i);
        }
    }
    (wanting, skipped)
}

/// The largest size limit among the analyzers `wanting` (indices into `analyzers`).
fn max_limit(analyzers: &[Box<dyn Analyzer>], wanting: &[usize]) -> Option<u64> {
    wanting.iter().map(|&i| analyzers[i].max_size()).max()
}

/// Drops from `wanting` the analyzers that decline a file with this head; the largest limit
/// among those left, `None` when none is.
fn keep_wanting_head(
    analyzers: &[Box<dyn Analyzer>],
    wanting: &mut Vec<usize>,
    head: &[u8],
) -> Option<u64> {
    wanting.retain(|&i| analyzers[i].wants_content(head));
    max_limit(analyzers, wanting)
}

/// Runs `wanting` over the file's bytes; content over a limit and analyzer errors become skips.
fn run_analyzers<'x>(
    wanting: impl Iterator<Item = &'x dyn Analyzer>,
    meta: &FileMeta<'_>,
    content: &[u8],
    skipped: &mut Vec<SkippedFile>,
) -> Vec<Fact> {
    let mut facts = Vec::new();
    for a in wanting {
        if content.len() as u64 > a.max_size() {
            skipped.push(skip(
                meta,
                a,
                format!("content exceeds the {}-byte limit", a.max_size()),
            ));
            continue;
        }
        match a.analyze(meta, content) {
            Ok(new) => facts.extend(new),
            Err(e) => skipped.push(skip(meta, a, e.message)),
        }
    }
    facts
}

fn skip(meta: &FileMeta<'_>, a: &dyn Analyzer, reason: String) -> SkippedFile {
    SkippedFile {
        path: meta.path.to_string(),
        analyzer: a.name().to_string(),
        reason,
    }
}

/// Runs every analyzer that wants `meta` over the file's bytes (read once into `buf`).
/// Files over an analyzer's size limit and analyzer errors come back as skipped files.
pub fn analyze_file(
    analyzers: &[Box<dyn Analyzer>],
    meta: &FileMeta<'_>,
    content: &mut dyn Read,
    buf: &mut Vec<u8>,
) -> std::io::Result<(Vec<Fact>, Vec<SkippedFile>)> {
    let (mut wanting, mut skipped) = wanting(analyzers, meta);
    let Some(limit) = max_limit(analyzers, &wanting) else {
        return Ok((Vec::new(), skipped));
    };
    buf.clear();
    let head_len = (HEAD_LEN as u64).min(limit + 1);
    (&mut *content).take(head_len).read_to_end(buf)?;
    let Some(limit) = keep_wanting_head(analyzers, &mut wanting, buf) else {
        return Ok((Vec::new(), skipped));
    };
    if buf.len() as u64 == HEAD_LEN as u64 {
        content
            .take((limit + 1).saturating_sub(head_len))
            .read_to_end(buf)?;
    }
    let wanting = wanting.iter().map(|&i| analyzers[i].as_ref());
    let facts = run_analyzers(wanting, meta, buf, &mut skipped);
    Ok((facts, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads at most 7 bytes per call, as a decompressing reader may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Appends with no analyzer declining and the same limit after the head.
    fn append_all(
        batch: &mut Batch,
        content: &mut dyn Read,
        size: u64,
        limit: u64,
    ) -> std::ops::Range<usize> {
        batch
            .append(content, size, limit, |_| Some(limit))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn batch_appends_whole_files_and_stops_one_past_the_limit() {
        let mut batch = Batch::default();
        let a: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let ra = append_all(&mut batch, &mut Trickle(&a), a.len() as u64, 1 << 20);
        assert_eq!(&batch.bytes[ra.clone()], &a[..]);
        // A header that understates the size: the content still arrives, up to limit + 1.
        let b = vec![b'x'; 300_000];
        let rb = append_all(&mut batch, &mut Trickle(&b), 10, 250_000);
        assert_eq!(rb, ra.end..ra.end + 250_001);
        // After reuse the buffer is already initialised; contents never bleed across files.
        batch.filled = 0;
        let rc = append_all(&mut batch, &mut &b"short"[..], 5, 100);
        assert_eq!(&batch.bytes[rc], b"short");
        let rd = append_all(&mut batch, &mut &b""[..], 0, 100);
        assert!(rd.is_empty());
        // A limit below the head's length bounds the head.
        let re = append_all(&mut batch, &mut Trickle(&b), b.len() as u64, 99);
        assert_eq!(re.len(), 100);
    }

    #[test]
    fn batch_shows_the_head_and_keeps_nothing_of_a_declined_file() {
        let mut batch = Batch::default();
        let kept = append_all(&mut batch, &mut &b"first"[..], 5, 100);
        let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut seen = Vec::new();
        let declined = batch
            .append(&mut Trickle(&big), big.len() as u64, 1 << 20, |head| {
                seen = head.to_vec();
                None
            })
            .unwrap();
        assert_eq!(declined, None);
        assert_eq!(seen, &big[..HEAD_LEN]);
        assert_eq!(
            batch.filled, kept.end,
            "a declined file leaves the batch as it was"
        );
        assert!(
            batch.bytes.len() <= kept.end + 64 * 1024,
            "the buffer grew for the head only, not to the file's size"
        );
        // The limit after the head may be lower than before it.
        let cut = batch
            .append(&mut Trickle(&big), big.len() as u64, 1 << 20, |_| {
                Some(20_000)
            })
            .unwrap()
            .unwrap();
        assert_eq!(&batch.bytes[cut], &big[..20_001]);
        // A file shorter than the head is shown whole.
        let mut whole = Vec::new();
        batch
            .append(&mut &b"tiny"[..], 4, 1 << 20, |head| {
                whole = head.to_vec();
                Some(1 << 20)
            })
            .unwrap();
        assert_eq!(whole, b"tiny");
    }
}
