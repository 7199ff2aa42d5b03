/// One tar entry (or one file of a live filesystem), with its path made safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised path: relative, `/`-separated, no `.`/`..` components, no leading `/`,
    /// no trailing `/` (`etc/os-release`). For whiteouts, the path of the whiteout file itself.
    pub path: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// Size of the content in bytes (0 for non-files).
    pub size: u64,
    /// Unix permission bits and file type bits as stored.
    pub mode: u32,
}

/// The kind of a tar entry, with whiteouts already recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; its content follows.
    File,
    /// A directory.
    Dir,
    /// A symbolic link to `target` (as stored; may be absolute or relative).
    Symlink {
        /// The link target as stored.
        target: String,
    },
    /// A hard link to another entry of the same layer (normalised path).
    Hardlink {
        /// The linked entry's normalised path.
        target: String,
    },
    /// `.wh.NAME`: deletes `target` (normalised path) from lower layers.
    Whiteout {
        /// The path being deleted.
        target: String,
    },
    /// `.wh..wh..opq`: hides everything lower layers put in `dir`.
    OpaqueDir {
        /// The directory made opaque (normalised; empty for the root).
        dir: String,
    },
    /// Devices, FIFOs and other entries without content.
    Other,
}
