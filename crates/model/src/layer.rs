use serde::{Deserialize, Serialize};

/// The identity of one image layer, as findings refer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LayerInfo {
    /// 0-based position in the manifest's layer list.
    pub index: usize,
    /// Digest of the blob as stored (usually compressed), `sha256:...`.
    pub digest: String,
    /// Digest of the uncompressed tar, `sha256:...` (the config's `rootfs.diff_ids`).
    pub diff_id: String,
    /// Size of the stored blob in bytes.
    pub size: u64,
    /// The history step that created this layer (`created_by`), when the config has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Index of that step in the config's `history[]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_index: Option<usize>,
}
