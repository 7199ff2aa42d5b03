//! Opening a layer: the stored blob is hashed and counted as it streams, its compression is
//! sniffed from the first bytes, and the decompressed tar is hashed again for the diff_id.
//! Mismatches are reported when the stream ends, as an error of the read itself, so a walk of
//! a corrupted layer fails instead of ending normally.

use crate::{Error, ImageSource};
use flate2::read::MultiGzDecoder;
use sha2::{Digest as _, Sha256};
use std::io::{self, BufRead, BufReader, Read};

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
    hasher: Sha256,
    bytes: u64,
    /// Stop early when a stream grows past its declared size.
    limit: Option<u64>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
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

/// The uncompressed tar stream of one layer, verified as it is read.
///
/// At the end of the stream the blob's sha256 and size (when the manifest states them) and the
/// tar's sha256 (the config's diff_id) are checked; a mismatch makes that final read fail with
/// an [`io::Error`] wrapping [`Error::Integrity`] (see [`crate::walk_layer`], which unwraps it).
/// After any failure every further read fails again, so a consumer that swallows one error
/// cannot carry on as if the layer were fine.
pub struct LayerReader<'a> {
    decoder: Decoder<'a>,
    compression: Compression,
    /// Hash of the decompressed stream; `None` for plain tars, where it is the blob's hash.
    diff_hasher: Option<Sha256>,
    digest: String,
    size: Option<u64>,
    diff_id: String,
    failed: Option<Failure>,
    finished: bool,
}

impl LayerReader<'_> {
    /// The compression found in the blob's first bytes.
    pub fn compression(&self) -> Compression {
        self.compression
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
        let blob_hash = format!("sha256:{}", hex::encode(hashing.hasher.clone().finalize()));
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
        // A source that names a layer by its diff_id (a legacy docker-archive) cannot know the
        // stored blob's hash; the diff_id check below covers the content.
        if self.digest != self.diff_id && blob_hash != self.digest {
            return Err(Failure::Integrity {
                digest,
                reason: format!("blob content hashes to {blob_hash}"),
            });
        }
        let tar_hash = match &self.diff_hasher {
            Some(h) => format!("sha256:{}", hex::encode(h.clone().finalize())),
            None => blob_hash,
        };
        if tar_hash != self.diff_id {
            return Err(Failure::Integrity {
                digest,
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
        let result = match &mut self.decoder {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        };
        let failure = match result {
            Ok(0) => match self.finish() {
                Ok(()) => {
                    self.finished = true;
                    return Ok(0);
                }
                Err(f) => f,
            },
            Ok(n) => {
                if let Some(h) = &mut self.diff_hasher {
                    h.update(&buf[..n]);
                }
                return Ok(n);
            }
            Err(e) => {
                let read = self.decoder.raw().get_ref().bytes;
                if let Some(size) = self.size
                    && read > size
                {
                    let failure = Failure::Integrity {
                        digest: self.digest.clone(),
                        reason: format!("blob is longer than the {size} bytes its descriptor says"),
                    };
                    let err = failure.to_io();
                    self.failed = Some(failure);
                    return Err(err);
                }
                let what = match self.compression {
                    Compression::Gzip => "gzip data is truncated or corrupt",
                    Compression::Zstd => "zstd data is truncated or corrupt",
                    Compression::None => "reading the blob failed",
                };
                let of = self.size.map(|s| format!(" of {s}")).unwrap_or_default();
                Failure::Decode {
                    layer: self.digest.clone(),
                    reason: format!("{what} (after {read}{of} blob bytes): {e}"),
                }
            }
        };
        let err = failure.to_io();
        self.failed = Some(failure);
        Err(err)
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
    let mut raw = BufReader::with_capacity(
        64 * 1024,
        Hashing {
            inner: blob,
            hasher: Sha256::new(),
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
        decoder,
        compression,
        diff_hasher: (compression != Compression::None).then(Sha256::new),
        digest: layer.digest.clone(),
        size: layer.size,
        diff_id: layer.diff_id.clone(),
        failed: None,
        finished: false,
    })
}
