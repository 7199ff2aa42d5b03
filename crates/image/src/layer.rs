//! Opening a layer: the stored blob is hashed and counted as it streams, its compression is
//! sniffed from the first bytes, and the decompressed tar is hashed again for the diff_id.
//! Mismatches are reported when the stream ends, as an error of the read itself, so a walk of
//! a corrupted layer fails instead of ending normally.

use crate::{Error, ImageSource};
use flate2::bufread::MultiGzDecoder;
use sha2::{Digest as _, Sha256};
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a layer blob is compressed, as sniffed from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip, possibly several members back to back.
    Gzip,
    /// zstd, possibly several frames.
    Zstd,
}

/// Passes bytes through while hashing and counting them.
struct Hashing<R> {
    inner: R,
    /// `None` when [`LayerReader`]'s diff_id check covers the content (see [`open_layer`]).
    hasher: Option<Sha256>,
    bytes: u64,
    /// Stop early when a stream grows past its declared size.
    limit: Option<u64>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        if let Some(limit) = self.limit
            && self.bytes > limit
        {
            return Err(io::Error::other(
                "blob is longer than its descriptor states",
            ));
        }
        Ok(n)
    }
}

type Raw<'a> = BufReader<Hashing<Box<dyn Read + Send + 'a>>>;

enum Decoder<'a> {
    Plain(Raw<'a>),
    Gzip(Box<MultiGzDecoder<Raw<'a>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, Raw<'a>>>),
}

impl<'a> Decoder<'a> {
    fn raw(&mut self) -> &mut Raw<'a> {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(d) => d.get_mut(),
            Decoder::Zstd(d) => d.get_mut(),
        }
    }
}

/// Why a layer stream failed; kept so every later read fails the same way.
#[derive(Debug, Clone)]
enum Failure {
    Integrity { digest: String, reason: String },
    Decode { layer: String, reason: String },
}

impl Failure {
    fn to_io(&self) -> io::Error {
        io::Error::other(match self.clone() {
            Failure::Integrity { digest, reason } => Error::Integrity { digest, reason },
            Failure::Decode { layer, reason } => Error::Layer {
                layer,
                path: String::new(),
                reason,
            },
        })
    }
}

/// The stored blob, counted, hashed (when compressed) and decompressed. At its end the blob's
/// size and digest are checked; the hash of the decompressed tar is left to [`LayerReader`],
/// so that it can run on a different thread from the decompression (see
/// [`LayerReader::read_ahead`]).
struct BlobStream<'a> {
    decoder: Decoder<'a>,
    compression: Compression,
    digest: String,
    size: Option<u64>,
    /// Set once the end was reached and verified.
    finished: bool,
}

impl BlobStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        let result = match &mut self.decoder {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        };
        match result {
            Ok(0) => {
                self.finish()?;
                self.finished = true;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) => {
                let read = self.decoder.raw().get_ref().bytes;
                if let Some(size) = self.size
                    && read > size
                {
                    return Err(Failure::Integrity {
                        digest: self.digest.clone(),
                        reason: format!("blob is longer than the {size} bytes its descriptor says"),
                    });
                }
                let what = match self.compression {
                    Compression::Gzip => "gzip data is truncated or corrupt",
                    Compression::Zstd => "zstd data is truncated or corrupt",
                    Compression::None => "reading the blob failed",
                };
                let of = self.size.map(|s| format!(" of {s}")).unwrap_or_default();
                Err(Failure::Decode {
                    layer: self.digest.clone(),
                    reason: format!("{what} (after {read}{of} blob bytes): {e}"),
                })
            }
        }
    }

    fn finish(&mut self) -> Result<(), Failure> {
        // Decoders may stop at the end of their data; whatever follows is still part of the
        // blob and must be hashed (trailing bytes after a gzip member are refused by
        // MultiGzDecoder itself).
        let digest = self.digest.clone();
        let raw = self.decoder.raw();
        io::copy(raw, &mut io::sink()).map_err(|e| Failure::Integrity {
            digest: digest.clone(),
            reason: e.to_string(),
        })?;
        let hashing = raw.get_mut();
        if let Some(size) = self.size
            && hashing.bytes != size
        {
            return Err(Failure::Integrity {
                digest,
                reason: format!(
                    "blob is {} bytes, its descriptor says {size}",
                    hashing.bytes
                ),
            });
        }
        // Without a hasher, LayerReader's check of the tar's hash covers the content.
        if let Some(hasher) = &hashing.hasher {
            let blob_hash = format!("sha256:{}", hex::encode(hasher.clone().finalize()));
            if blob_hash != self.digest {
                return Err(Failure::Integrity {
                    digest,
                    reason: format!("blob content hashes to {blob_hash}"),
                });
            }
        }
        Ok(())
    }
}

/// What [`LayerReader::read_ahead`]'s decompression thread sends.
enum Chunk {
    Data(Vec<u8>),
    End,
    Failed(Failure),
}

/// Bytes of the stored blob read at a time.
const RAW_BUFFER_BYTES: usize = 256 * 1024;

/// Decompressed bytes travel in chunks this large, at most [`CHUNKS_IN_FLIGHT`] at a time.
const CHUNK_BYTES: usize = 256 * 1024;
const CHUNKS_IN_FLIGHT: usize = 8;

/// Chunk buffers left over from finished layers, for the next ones: a fresh buffer costs a
/// page fault per 4 KiB, which showed in profiles of many-layer images.
static SPARE_CHUNKS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
const SPARE_CHUNKS_KEPT: usize = 4 * CHUNKS_IN_FLIGHT;

fn spare_chunk() -> Option<Vec<u8>> {
    SPARE_CHUNKS.lock().unwrap_or_else(|p| p.into_inner()).pop()
}

fn keep_chunk(buf: Vec<u8>) {
    let mut spare = SPARE_CHUNKS.lock().unwrap_or_else(|p| p.into_inner());
    if spare.len() < SPARE_CHUNKS_KEPT {
        spare.push(buf);
    }
}

/// The receiving end of [`LayerReader::read_ahead`].
struct Prefetched {
    chunks: Receiver<Chunk>,
    /// Consumed buffers go back to the decompression thread for reuse.
    spent: Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    layer: String,
}

impl Prefetched {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        if self.pos == self.current.len() {
            match self.chunks.recv() {
                Ok(Chunk::Data(data)) => {
                    let spent = std::mem::replace(&mut self.current, data);
                    // The thread may have ended already; the buffer then waits for the next
                    // layer.
                    if let Err(back) = self.spent.send(spent) {
                        keep_chunk(back.0);
                    }
                    self.pos = 0;
                }
                Ok(Chunk::End) => return Ok(0),
                Ok(Chunk::Failed(f)) => return Err(f),
                Err(_) => {
                    return Err(Failure::Decode {
                        layer: self.layer.clone(),
                        reason: "the decompression thread stopped before the end of the layer"
                            .into(),
                    });
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        if self.current.capacity() > 0 {
            keep_chunk(std::mem::take(&mut self.current));
        }
    }
}

/// Runs on the read-ahead thread: decompress into recycled buffers until the end, a failure,
/// or the reader going away. Bytes read before a failure are sent ahead of it, so the walk
/// names the entry the failure interrupts, as it does without read-ahead.
fn pump(mut blob: BlobStream<'_>, chunks: SyncSender<Chunk>, spent: Receiver<Vec<u8>>) {
    // Buffers the reader has handed back and not reused are kept for the next layer.
    let finish = |spent: Receiver<Vec<u8>>| spent.try_iter().for_each(keep_chunk);
    loop {
        let mut buf = spent
            .try_recv()
            .ok()
            .or_else(spare_chunk)
            .unwrap_or_default();
        buf.resize(CHUNK_BYTES, 0);
        let mut filled = 0;
        let last = loop {
            if filled == buf.len() {
                break None;
            }
            match blob.read(&mut buf[filled..]) {
                Ok(0) => break Some(Chunk::End),
                Ok(n) => filled += n,
                Err(f) => break Some(Chunk::Failed(f)),
            }
        };
        if filled > 0 {
            buf.truncate(filled);
            if chunks.send(Chunk::Data(buf)).is_err() {
                return finish(spent);
            }
        } else {
            keep_chunk(buf);
        }
        if let Some(last) = last {
            let _ = chunks.send(last);
            return finish(spent);
        }
    }
}

enum Source<'a> {
    Inline(BlobStream<'a>),
    Ahead(Prefetched),
}

/// The uncompressed tar stream of one layer, verified as it is read.
///
/// At the end of the stream the blob's sha256 and size (when the manifest states them) and the
/// tar's sha256 (the config's diff_id) are checked; a mismatch makes that final read fail with
/// an [`io::Error`] wrapping [`Error::Integrity`] (see [`crate::walk_layer`], which unwraps it).
/// After any failure every further read fails again, so a consumer that swallows one error
/// cannot carry on as if the layer were fine.
pub struct LayerReader<'a> {
    source: Source<'a>,
    compression: Compression,
    /// Hash of the decompressed stream.
    diff_hasher: Sha256,
    digest: String,
    diff_id: String,
    failed: Option<Failure>,
    finished: bool,
}

impl<'a> LayerReader<'a> {
    /// The compression found in the blob's first bytes.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Moves reading, hashing and decompressing the blob onto a thread of `scope`, a few
    /// chunks ahead of the consumer, which keeps the tar's hash and the walk. Inflating a big
    /// layer then overlaps with analysing it instead of alternating with it. Verification is
    /// unchanged: a failure on the thread is the failure of the read that reaches it.
    pub fn read_ahead<'scope, 'env>(
        self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
    ) -> LayerReader<'scope>
    where
        'a: 'scope,
    {
        let source = match self.source {
            Source::Inline(blob) => {
                let (chunk_tx, chunk_rx) = sync_channel(CHUNKS_IN_FLIGHT);
                let (spent_tx, spent_rx) = channel();
                scope.spawn(move || pump(blob, chunk_tx, spent_rx));
                Source::Ahead(Prefetched {
                    chunks: chunk_rx,
                    spent: spent_tx,
                    current: Vec::new(),
                    pos: 0,
                    layer: self.digest.clone(),
                })
            }
            ahead @ Source::Ahead(_) => ahead,
        };
        LayerReader { source, ..self }
    }

    fn verify_diff(&self) -> Result<(), Failure> {
        let tar_hash = format!(
            "sha256:{}",
            hex::encode(self.diff_hasher.clone().finalize())
        );
        // A plain tar is its own blob, so its hash must also be the blob's digest. A source
        // that names a layer by its diff_id (a legacy docker-archive) makes the two the same.
        if self.compression == Compression::None && tar_hash != self.digest {
            return Err(Failure::Integrity {
                digest: self.digest.clone(),
                reason: format!("blob content hashes to {tar_hash}"),
            });
        }
        if tar_hash != self.diff_id {
            return Err(Failure::Integrity {
                digest: self.digest.clone(),
                reason: format!(
                    "uncompressed layer hashes to {tar_hash}, the config's diff_id is {}",
                    self.diff_id
                ),
            });
        }
        Ok(())
    }
}

impl Read for LayerReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = &self.failed {
            return Err(f.to_io());
        }
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        let result = match &mut self.source {
            Source::Inline(blob) => blob.read(buf),
            Source::Ahead(ahead) => ahead.read(buf),
        };
        let failure = match result.and_then(|n| {
            if n == 0 {
                self.verify_diff()?;
            }
            Ok(n)
        }) {
            Ok(0) => {
                self.finished = true;
                return Ok(0);
            }
            Ok(n) => {
                self.diff_hasher.update(&buf[..n]);
                return Ok(n);
            }
            Err(f) => f,
        };
        let err = failure.to_io();
        self.failed = Some(failure);
        Err(err)
    }
}

impl crate::SkipRead for LayerReader<'_> {
    /// Read-ahead chunks are hashed where they lie instead of being copied out.
    fn skip(&mut self, mut n: u64) -> io::Result<()> {
        while n > 0 {
            if let (Source::Ahead(ahead), None) = (&mut self.source, &self.failed) {
                let buffered = &ahead.current[ahead.pos..];
                if !buffered.is_empty() {
                    let k = buffered.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                    self.diff_hasher.update(&buffered[..k]);
                    ahead.pos += k;
                    n -= k as u64;
                    continue;
                }
            }
            // Nothing buffered: an ordinary read brings the next chunk in (or, without
            // read-ahead, decompresses a piece), and reports the end and any failure.
            let mut piece = [0u8; 4096];
            let want = piece.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            let want = if matches!(self.source, Source::Ahead(_)) {
                1
            } else {
                want
            };
            match self.read(&mut piece[..want])? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the layer ends inside an entry",
                    ));
                }
                k => n -= k as u64,
            }
        }
        Ok(())
    }
}

/// Opens layer `index` (0 = bottom) of `src` as a verified, decompressed tar stream.
pub fn open_layer(src: &dyn ImageSource, index: usize) -> Result<LayerReader<'_>, Error> {
    let meta = src.metadata();
    let layer = meta.layers.get(index).ok_or_else(|| Error::Malformed {
        what: format!("image {}", meta.name),
        reason: format!("it has {} layers, no layer {index}", meta.layers.len()),
    })?;
    let blob = src.open_blob(&layer.digest)?;
    // The gzip decoder inflates straight from this buffer (no second buffer of its own), one
    // call per fill: a big fill means few calls, and each call also copies up to 32 KiB of
    // its output into the decoder's window.
    let mut raw = BufReader::with_capacity(
        RAW_BUFFER_BYTES,
        Hashing {
            inner: blob,
            hasher: Some(Sha256::new()),
            bytes: 0,
            limit: layer.size,
        },
    );
    let head = match raw.fill_buf() {
        Ok(head) => head,
        Err(e) => {
            let read = raw.get_ref().bytes;
            return Err(match layer.size {
                Some(size) if read > size => Error::Integrity {
                    digest: layer.digest.clone(),
                    reason: format!("blob is longer than the {size} bytes its descriptor says"),
                },
                _ => Error::Layer {
                    layer: layer.digest.clone(),
                    path: String::new(),
                    reason: format!("reading the blob failed: {e}"),
                },
            });
        }
    };
    let compression = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    // A plain tar is its own diff, and a source that names a layer by its diff_id (a legacy
    // docker-archive) cannot know the stored blob's hash: in both cases the diff_id check of
    // LayerReader covers the content, and hashing the blob would only cost time.
    if compression == Compression::None || layer.digest == layer.diff_id {
        raw.get_mut().hasher = None;
    }
    let decoder = match compression {
        Compression::None => Decoder::Plain(raw),
        Compression::Gzip => Decoder::Gzip(Box::new(MultiGzDecoder::new(raw))),
        Compression::Zstd => Decoder::Zstd(Box::new(
            zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| Error::Layer {
                layer: layer.digest.clone(),
                path: String::new(),
                reason: format!("zstd decoder: {e}"),
            })?,
        )),
    };
    Ok(LayerReader {
        source: Source::Inline(BlobStream {
            decoder,
            compression,
            digest: layer.digest.clone(),
            size: layer.size,
            finished: false,
        }),
        compression,
        diff_hasher: Sha256::new(),
        digest: layer.digest.clone(),
        diff_id: layer.diff_id.clone(),
        failed: None,
        finished: false,
    })
}
