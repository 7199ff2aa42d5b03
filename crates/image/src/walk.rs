//! Streaming a layer's tar entries: one pass, nothing written to disk, memory independent of
//! the layer size.

use crate::path::{normalise, split_parent};
use crate::sparse::{PaxSparse, SparseReader};
use crate::{Entry, EntryKind, Error};
use std::cell::{Cell, RefCell};
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Bytes the tar reader may consume between two entries beyond the skipped content: headers,
/// PAX records, GNU long names and sparse maps. The `tar` crate buffers extension records
/// whole, so this bounds the memory a hostile layer can make it allocate.
const MAX_HEADER_BYTES: u64 = 4 << 20;

/// The whiteout prefix of the OCI layer format (`.wh.NAME` deletes `NAME`).
const WHITEOUT_PREFIX: &str = ".wh.";
/// The opaque-directory marker.
const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Other `.wh..wh.` names, and everything in top-level directories so named, are aufs
/// bookkeeping (`.wh..wh.plnk/...`), not part of the filesystem.
const AUFS_META_PREFIX: &str = ".wh..wh.";

/// What a walk saw besides the entries it handed out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Entries passed to the visitor (whiteouts included).
    pub entries: u64,
    /// Of those, whiteouts and opaque-directory markers.
    pub whiteouts: u64,
    /// Entries whose path or hardlink target climbed above the root (`../x`) and was clamped
    /// to it, plus whiteouts naming `.`/`..` (skipped). Each is logged with `tracing::warn!`.
    pub hostile: u64,
    /// Entries not passed on: aufs metadata (`.wh..wh.plnk`), PAX global headers, and in
    /// [`crate::walk_dir`] pseudo-filesystem mounts.
    pub skipped: u64,
    /// [`crate::walk_dir`] only: directories and entries that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Something a filesystem walk could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Path relative to the walked root.
    pub path: String,
    /// The error.
    pub reason: String,
}

/// A tar stream that can pass over bytes without handing them out: the content of entries
/// the visitor did not read, and the padding after each. [`crate::LayerReader`] does it
/// without copying (the bytes are still hashed).
pub trait SkipRead: Read {
    /// Consumes exactly `n` bytes; a stream that ends first is an error.
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

impl<T: AsRef<[u8]>> SkipRead for Cursor<T> {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let len = self.get_ref().as_ref().len() as u64;
        let at = self.position().min(len);
        if n > len - at {
            self.set_position(len);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the tar ends inside an entry",
            ));
        }
        self.set_position(at + n);
        Ok(())
    }
}

impl<R: SkipRead + ?Sized> SkipRead for &mut R {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        (**self).skip(n)
    }
}

/// State shared between [`walk_layer`] and the reader under the tar parser.
struct Guard {
    /// Bytes read from the layer so far.
    read: Cell<u64>,
    /// Reading past this offset fails (`u64::MAX` while the visitor reads content).
    limit: Cell<u64>,
    /// The first error the layer reader returned, kept whole so it can be reported as the
    /// cause even when a visitor or the tar parser turned it into something else.
    cause: RefCell<Option<Error>>,
}

struct Guarded<R> {
    inner: R,
    guard: Rc<Guard>,
}

impl<R> Guarded<R> {
    /// The error to hand the tar parser; the first one is kept whole as the walk's cause.
    fn note(&self, e: io::Error) -> io::Error {
        let message = e.to_string();
        let cause = match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(err)) => *err,
            _ => Error::Layer {
                layer: String::new(),
                path: String::new(),
                reason: message.clone(),
            },
        };
        let mut slot = self.guard.cause.borrow_mut();
        if slot.is_none() {
            *slot = Some(cause);
        }
        io::Error::other(message)
    }

    fn over_limit() -> io::Error {
        io::Error::other(format!(
            "tar headers and extension records exceed {MAX_HEADER_BYTES} bytes for one entry"
        ))
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.guard.limit.get().saturating_sub(self.guard.read.get());
        if room == 0 {
            return Err(Self::over_limit());
        }
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..len]) {
            Ok(n) => {
                self.guard.read.set(self.guard.read.get() + n as u64);
                Ok(n)
            }
            Err(e) => Err(self.note(e)),
        }
    }
}

/// The tar parser seeks only forward from where it stands, to pass over what the visitor
/// left unread; the position it gets back is the count of bytes consumed.
impl<R: SkipRead> Seek for Guarded<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let forward = match pos {
            SeekFrom::Current(n) => u64::try_from(n).ok(),
            _ => None,
        };
        let Some(n) = forward else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a layer stream only moves forward",
            ));
        };
        let read = self.guard.read.get();
        if n > self.guard.limit.get().saturating_sub(read) {
            return Err(Self::over_limit());
        }
        self.inner.skip(n).map_err(|e| self.note(e))?;
        self.guard.read.set(read + n);
        Ok(read + n)
    }
}

fn round_up_block(size: u64) -> u64 {
    size.saturating_add(511) & !511
}

/// Walks the tar stream `reader` (usually a [`crate::LayerReader`]), calling `visitor` for
/// every entry in archive order with the entry and its content (empty for non-files). The
/// visitor may read as much of the content as it wants; the rest is skipped.
///
/// Paths are normalised ([`Entry::path`]; the root directory itself, stored as `./`, comes
/// with an empty path); a path or hardlink target that climbs above the
/// root is clamped to it, as containerd does when applying a layer, and counted in
/// [`WalkStats::hostile`]. Whiteouts become [`EntryKind::Whiteout`] and
/// [`EntryKind::OpaqueDir`]; aufs metadata is skipped. Sparse files (old GNU and PAX 0.0, 0.1
/// and 1.0 formats) are presented under their real name at their full size, and their holes
/// are only produced if the visitor reads them.
///
/// The stream is read to its end even after the tar's end marker, so a [`crate::LayerReader`]
/// gets to verify digests; any failure of the underlying reader, including an integrity
/// failure at the end, is returned as the walk's error even if the visitor swallowed it.
/// Errors name `layer_digest` and the path being read.
pub fn walk_layer<R: SkipRead>(
    reader: R,
    layer_digest: &str,
    mut visitor: impl FnMut(&Entry, &mut dyn Read) -> Result<(), Error>,
) -> Result<WalkStats, Error> {
    let guard = Rc::new(Guard {
        read: Cell::new(0),
        limit: Cell::new(u64::MAX),
        cause: RefCell::new(None),
    });
    // Errors between entries happen before the next path is known: they name the entry
    // they follow.
    let fail = |e: io::Error, after: &str| -> Error {
        let place = if after.is_empty() {
            "at the start of the tar".to_string()
        } else {
            format!("in the tar header after {after:?}")
        };
        if let Some(cause) = guard.cause.borrow_mut().take() {
            return with_layer(cause, layer_digest, "");
        }
        Error::Layer {
            layer: layer_digest.to_string(),
            path: String::new(),
            reason: format!("{place}: {e}"),
        }
    };
    let mut archive = tar::Archive::new(Guarded {
        inner: reader,
        guard: Rc::clone(&guard),
    });
    let mut stats = WalkStats::default();
    let mut entries = archive.entries_with_seek().map_err(|e| fail(e, ""))?;
    let mut last_path = String::new();
    let mut previous_stored = 0;
    loop {
        guard
            .limit
            .set(guard.read.get() + MAX_HEADER_BYTES + round_up_block(previous_stored));
        let next = entries.next();
        guard.limit.set(u64::MAX);
        let mut entry = match next {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(e)) => return Err(fail(e, &last_path)),
        };
        let header_type = entry.header().entry_type();
        previous_stored = if header_type.is_gnu_sparse() {
            entry
                .header()
                .entry_size()
                .map_err(|e| fail(e, &last_path))?
        } else {
            entry.size()
        };
        let pax_sparse = pax_sparse(&mut entry);
        let raw_path = match pax_sparse.as_ref().and_then(|s| s.name.clone()) {
            Some(name) => name,
            None => String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
        };
        let Some(mut item) = classify(&entry, &raw_path, layer_digest, &mut stats) else {
            continue;
        };
        last_path.clone_from(&item.path);
        stats.entries += 1;
        let result = if item.kind == EntryKind::File {
            match &pax_sparse {
                Some(sparse) => {
                    item.size = sparse.real_size;
                    visitor(&item, &mut SparseReader::new(&mut entry, sparse))
                }
                None => visitor(&item, &mut entry),
            }
        } else {
            visitor(&item, &mut io::empty())
        };
        if let Err(e) = result {
            if let Some(cause) = guard.cause.borrow_mut().take() {
                return Err(with_layer(cause, layer_digest, &item.path));
            }
            return Err(e);
        }
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| fail(e, &last_path))?;
    if let Some(cause) = guard.cause.borrow_mut().take() {
        return Err(with_layer(cause, layer_digest, ""));
    }
    Ok(stats)
}

/// The GNU sparse records of an entry's PAX extensions. Unreadable extensions are left to the
/// `tar` crate, which reports them when it parses the entry's path.
fn pax_sparse<R: Read>(entry: &mut tar::Entry<'_, R>) -> Option<PaxSparse> {
    let extensions = entry.pax_extensions().ok()??;
    PaxSparse::from_pax(
        extensions
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.key().ok()?, e.value_bytes()))),
    )
}

/// Fills in the layer and path of a decode error that did not know them.
fn with_layer(error: Error, layer_digest: &str, path: &str) -> Error {
    match error {
        Error::Layer {
            layer,
            path: p,
            reason,
        } => Error::Layer {
            layer: if layer.is_empty() {
                layer_digest.to_string()
            } else {
                layer
            },
            path: if p.is_empty() { path.to_string() } else { p },
            reason,
        },
        other => other,
    }
}

/// Turns a tar entry into an [`Entry`], or `None` for entries that are not part of the
/// filesystem.
fn classify<R: Read>(
    entry: &tar::Entry<'_, R>,
    raw_path: &str,
    layer_digest: &str,
    stats: &mut WalkStats,
) -> Option<Entry> {
    let header = entry.header();
    let header_type = header.entry_type();
    if header_type.is_pax_global_extensions() {
        stats.skipped += 1;
        return None;
    }
    let normalised = normalise(raw_path);
    if normalised.escaped {
        stats.hostile += 1;
        tracing::warn!(
            layer = layer_digest,
            path = raw_path,
            "tar path climbs above the root; clamped"
        );
    }
    let path = normalised.path;
    let mode = header.mode().unwrap_or(0);
    let (dir, name) = split_parent(&path);
    let kind = if name == OPAQUE_MARKER {
        EntryKind::OpaqueDir {
            dir: dir.to_string(),
        }
    } else if name.starts_with(AUFS_META_PREFIX) || path.starts_with(AUFS_META_PREFIX) {
        stats.skipped += 1;
        return None;
    } else if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
        if matches!(target, "" | "." | "..") {
            stats.hostile += 1;
            tracing::warn!(
                layer = layer_digest,
                path = raw_path,
                "whiteout names no file; skipped"
            );
            return None;
        }
        EntryKind::Whiteout {
            target: if dir.is_empty() {
                target.to_string()
            } else {
                format!("{dir}/{target}")
            },
        }
    } else {
        let link = || {
            entry
                .link_name_bytes()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default()
        };
        match header_type {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink { target: link() },
            tar::EntryType::Link => {
                let target = normalise(&link());
                if target.escaped {
                    stats.hostile += 1;
                    tracing::warn!(
                        layer = layer_digest,
                        path = raw_path,
                        "hardlink target climbs above the root; clamped"
                    );
                }
                EntryKind::Hardlink {
                    target: target.path,
                }
            }
            _ => EntryKind::Other,
        }
    };
    if matches!(
        kind,
        EntryKind::Whiteout { .. } | EntryKind::OpaqueDir { .. }
    ) {
        stats.whiteouts += 1;
    }
    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };
    Some(Entry {
        path,
        kind,
        size,
        mode,
    })
}
