//! The on-disk cache of per-layer analysis results.
//!
//! A layer's facts depend only on its uncompressed bytes (its diff_id) and on which analyzers
//! at which versions looked at it, so that pair is the key. Entries are written to a temporary
//! file and renamed into place, so a crash never leaves a half-written entry under a valid
//! key; an unreadable entry is reported, ignored and rewritten.

use crate::{Analyzer, LayerFacts};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bumped when the layout of [`LayerFacts`] changes.
const FORMAT: u32 = 2;

/// A directory of cached [`LayerFacts`].
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LayerCache { dir: dir.into() }
    }

    /// [`osprey_model::cache_root`], or `osprey-cache` in the temporary directory when no
    /// home is known.
    pub fn default_dir() -> PathBuf {
        osprey_model::cache_root().unwrap_or_else(|| std::env::temp_dir().join("osprey-cache"))
    }

    /// The cache's root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn layers_dir(&self) -> PathBuf {
        self.dir.join("layers")
    }

    /// The key for a layer analysed by `analyzers`.
    pub fn key(diff_id: &str, analyzers: &[Box<dyn Analyzer>]) -> String {
        let mut names: Vec<String> = analyzers
            .iter()
            .map(|a| format!("{}@{}:{}", a.name(), a.version(), a.max_size()))
            .collect();
        names.sort();
        let mut h = Sha256::new();
        h.update(format!("osprey-layer-cache/{FORMAT}\n{diff_id}\n").as_bytes());
        for n in names {
            h.update(n.as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.layers_dir().join(format!("{key}.json"))
    }

    /// The cached facts for `key`, if present and readable. A corrupt entry is logged and
    /// treated as absent (the layer is analysed again and the entry rewritten).
    pub fn get(&self, key: &str) -> Option<LayerFacts> {
        let path = self.path_of(key);
        let bytes = fs::read(&path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::warn!("ignoring corrupt cache entry {}: {e}", path.display());
                None
            }
        }
    }

    /// Stores facts under `key`, atomically.
    pub fn put(&self, key: &str, facts: &LayerFacts) -> std::io::Result<()> {
        let dir = self.layers_dir();
        fs::create_dir_all(&dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        // Buffered: serde_json writes token by token, a syscall each on a bare file (two
        // million writes for a Debian base layer).
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut tmp);
        serde_json::to_writer(&mut out, facts)?;
        out.flush()?;
        drop(out);
        tmp.as_file().sync_all()?;
        tmp.persist(self.path_of(key)).map_err(|e| e.error)?;
        Ok(())
    }

    /// Removes every cached entry; returns how many files and bytes were removed.
    pub fn clean(&self) -> std::io::Result<(usize, u64)> {
        let dir = self.layers_dir();
        let mut files = 0;
        let mut bytes = 0;
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_file() {
                bytes += meta.len();
                fs::remove_file(entry.path())?;
                files += 1;
            }
        }
        Ok((files, bytes))
    }
}
