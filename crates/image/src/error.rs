use std::path::PathBuf;

/// Everything that can go wrong reading an image. Each variant names where: the file, the
/// layer digest and the path inside the layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a local file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A reference that cannot be parsed or resolved.
    #[error("invalid image reference {reference:?}: {reason}")]
    Reference {
        /// The reference given.
        reference: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A manifest, index or config that is malformed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read (`manifest.json in app.tar`, `config sha256:...`).
        what: String,
        /// Why it is malformed.
        reason: String,
    },
    /// A blob whose bytes do not hash to its digest, or whose size differs.
    #[error("blob {digest}: {reason}")]
    Integrity {
        /// The blob digest.
        digest: String,
        /// Expected versus actual.
        reason: String,
    },
    /// A problem inside a layer's tar stream.
    #[error("layer {layer}: {path}: {reason}")]
    Layer {
        /// Layer digest.
        layer: String,
        /// Path inside the layer (empty when not known).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A symlink chain that does not end: more links than the kernel would follow (ELOOP).
    #[error("{path}: too many levels of symbolic links (loop?)")]
    SymlinkLoop {
        /// The path whose resolution looped.
        path: String,
    },
    /// A registry error (network, auth, protocol).
    #[error("registry: {0}")]
    Registry(String),
}
