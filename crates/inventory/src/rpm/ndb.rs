//! The NDB backend (`Packages.db`, SUSE): rpm's own format, little-endian throughout.
//!
//! ```text
//! file header (32 bytes): "RpmP", version u32 (0), generation u32, slot pages u32, ...
//! slots, 16 bytes each, from byte 32 to the end of the slot pages (4096 bytes each):
//!     "Slot", package index u32 (0 = free), block offset u32, block count u32
//! blob at block offset * 16: "BlbS", package index u32, generation u32, length u32, header
//! ```

use super::{RawHeader, RpmError};

pub(crate) const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: &[u8] = b"Slot";
const BLOB_MAGIC: &[u8] = b"BlbS";
const PAGE_SIZE: u64 = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: u64 = 16;
const FIRST_SLOT: usize = 32;
const BLOB_HEADER: u64 = 16;

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

pub(crate) fn headers(bytes: &[u8]) -> Result<Vec<RawHeader>, RpmError> {
    let err = |msg: String| RpmError(format!("ndb: {msg}"));
    if bytes.len() < FIRST_SLOT || !bytes.starts_with(MAGIC) {
        return Err(err("no RpmP file header".to_string()));
    }
    let version = le32(bytes, 4).unwrap_or_default();
    if version != 0 {
        return Err(err(format!("unsupported version {version}")));
    }
    let slot_pages = u64::from(le32(bytes, 12).unwrap_or_default());
    let slots_end = slot_pages * PAGE_SIZE;
    if slot_pages == 0 || slots_end > bytes.len() as u64 {
        return Err(err(format!(
            "{slot_pages} slot pages do not fit in {} bytes",
            bytes.len()
        )));
    }
    let mut out = Vec::new();
    for (n, slot) in bytes[FIRST_SLOT..slots_end as usize]
        .chunks_exact(SLOT_SIZE)
        .enumerate()
    {
        if &slot[..4] != SLOT_MAGIC {
            tracing::warn!(slot = n, "rpm ndb: slot without its magic, skipped");
            continue;
        }
        let field = |k: usize| le32(slot, 4 * k).unwrap_or_default();
        let (index, block_offset, block_count) = (field(1), field(2), field(3));
        if index == 0 {
            continue;
        }
        match blob(bytes, index, block_offset, block_count) {
            Ok(blob) => out.push(RawHeader {
                record: format!("package index {index}"),
                blob: blob.to_vec(),
            }),
            Err(e) => tracing::warn!(slot = n, index, "rpm ndb: {e}, package skipped"),
        }
    }
    Ok(out)
}

/// The header bytes of the blob a slot points to, after checking the blob's own framing.
fn blob(bytes: &[u8], index: u32, block_offset: u32, block_count: u32) -> Result<&[u8], String> {
    let start = u64::from(block_offset) * BLOCK_SIZE;
    let end = start + u64::from(block_count) * BLOCK_SIZE;
    if end > bytes.len() as u64 || start + BLOB_HEADER > end {
        return Err(format!(
            "blob blocks {block_offset}+{block_count} outside the file"
        ));
    }
    let region = &bytes[start as usize..end as usize];
    if &region[..4] != BLOB_MAGIC {
        return Err("blob without its magic".to_string());
    }
    let owner = le32(region, 4).unwrap_or_default();
    if owner != index {
        return Err(format!("blob belongs to package index {owner}"));
    }
    let len = u64::from(le32(region, 12).unwrap_or_default());
    if BLOB_HEADER + len > region.len() as u64 {
        return Err(format!(
            "blob length {len} exceeds its {} blocks",
            block_count
        ));
    }
    Ok(&region[BLOB_HEADER as usize..(BLOB_HEADER + len) as usize])
}
