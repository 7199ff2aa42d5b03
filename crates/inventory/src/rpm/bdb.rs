//! The BerkeleyDB backend (`Packages`, rpm < 4.16): a DB hash database, in the byte order of
//! the machine that wrote it.
//!
//! ```text
//! page 0, hash metadata: magic u32 at 12 (0x061561), page size u32 at 20, last page u32 at 32
//! every page: next page u32 at 16, entry count u16 at 20, hf_offset u16 at 22, type u8 at 25
//! hash page (type 13, or 2 unsorted): u16 item offsets from byte 26; items are key/value
//!     pairs laid out from the end of the page down, item i ending where item i-1 starts;
//!     an item's first byte is its kind: 1 inline data, 3 off-page (pgno u32 at 4, length u32
//!     at 8)
//! overflow page (type 7): hf_offset bytes of data from byte 26, chained through next page
//! ```
//!
//! rpm keys each header by its instance number; the value is the header blob, almost always
//! off-page.

use super::{RawHeader, RpmError};

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_HASH: u8 = 13;
const ITEM_KEYDATA: u8 = 1;
const ITEM_OFFPAGE: u8 = 3;

#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

/// The database file, read in its byte order.
struct Db<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    page_count: usize,
}

impl<'a> Db<'a> {
    fn u32_at(&self, bytes: &[u8], at: usize) -> Option<u32> {
        let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self.order {
            Order::Little => u32::from_le_bytes(raw),
            Order::Big => u32::from_be_bytes(raw),
        })
    }

    fn u16_at(&self, bytes: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self.order {
            Order::Little => u16::from_le_bytes(raw),
            Order::Big => u16::from_be_bytes(raw),
        })
    }

    fn page(&self, pgno: u32) -> Option<&'a [u8]> {
        let start = (pgno as usize).checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// Follows an overflow chain from `pgno` and returns exactly `len` bytes.
    fn overflow(&self, mut pgno: u32, len: u32) -> Result<Vec<u8>, String> {
        let len = len as usize;
        if len > self.bytes.len() {
            return Err(format!("off-page length {len} exceeds the file"));
        }
        let mut out = Vec::new();
        let mut visited = 0;
        while out.len() < len {
            visited += 1;
            if pgno == 0 || visited > self.page_count {
                return Err(format!(
                    "overflow chain ends after {} of {len} bytes",
                    out.len()
                ));
            }
            let page = self
                .page(pgno)
                .ok_or(format!("overflow page {pgno} outside the file"))?;
            if page[25] != PAGE_OVERFLOW {
                return Err(format!("page {pgno} is type {}, not overflow", page[25]));
            }
            let used = usize::from(self.u16_at(page, 22).unwrap_or_default());
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .ok_or(format!("overflow page {pgno} claims {used} bytes"))?;
            let take = chunk.len().min(len - out.len());
            out.extend_from_slice(&chunk[..take]);
            pgno = self.u32_at(page, 16).unwrap_or_default();
        }
        Ok(out)
    }

    /// The key/value items of one hash page.
    fn hash_page_values(
        &self,
        pgno: u32,
        page: &[u8],
        out: &mut Vec<RawHeader>,
    ) -> Result<(), String> {
        let entries = usize::from(self.u16_at(page, 20).unwrap_or_default());
        let index_end = PAGE_HEADER + entries * 2;
        if index_end > self.page_size {
            return Err(format!("{entries} entries do not fit in a page"));
        }
        let offset =
            |i: usize| usize::from(self.u16_at(page, PAGE_HEADER + 2 * i).unwrap_or_default());
        let item = |i: usize| -> Result<&[u8], String> {
            let end = if i == 0 {
                self.page_size
            } else {
                offset(i - 1)
            };
            let start = offset(i);
            if start < index_end || start >= end || end > self.page_size {
                return Err(format!("item {i} spans bytes {start}..{end}"));
            }
            Ok(&page[start..end])
        };
        for pair in 0..entries / 2 {
            let (key, value) = (item(2 * pair)?, item(2 * pair + 1)?);
            let record = match (key[0], key.get(1..5)) {
                (ITEM_KEYDATA, Some(instance)) => {
                    format!(
                        "page {pgno} instance {}",
                        self.u32_at(instance, 0).unwrap_or_default()
                    )
                }
                _ => format!("page {pgno} item {}", 2 * pair),
            };
            let blob = match value[0] {
                ITEM_KEYDATA => value[1..].to_vec(),
                ITEM_OFFPAGE => {
                    let (Some(start), Some(len)) = (self.u32_at(value, 4), self.u32_at(value, 8))
                    else {
                        tracing::warn!(record, "rpm bdb: short off-page item, skipped");
                        continue;
                    };
                    match self.overflow(start, len) {
                        Ok(blob) => blob,
                        Err(e) => {
                            tracing::warn!(record, "rpm bdb: {e}, skipped");
                            continue;
                        }
                    }
                }
                kind => {
                    tracing::warn!(record, kind, "rpm bdb: unsupported item kind, skipped");
                    continue;
                }
            };
            // Instance 0 holds rpm's next-instance counter, not a header.
            if blob.len() > 8 {
                out.push(RawHeader { record, blob });
            }
        }
        Ok(())
    }
}

pub(crate) fn is_bdb_hash(bytes: &[u8]) -> bool {
    let Some(raw) = bytes.get(12..16) else {
        return false;
    };
    let raw: [u8; 4] = [raw[0], raw[1], raw[2], raw[3]];
    u32::from_le_bytes(raw) == HASH_MAGIC || u32::from_be_bytes(raw) == HASH_MAGIC
}

pub(crate) fn headers(bytes: &[u8]) -> Result<Vec<RawHeader>, RpmError> {
    let err = |msg: String| RpmError(format!("bdb: {msg}"));
    let magic: [u8; 4] = bytes
        .get(12..16)
        .and_then(|m| m.try_into().ok())
        .ok_or_else(|| err("shorter than the metadata page".to_string()))?;
    let order = if u32::from_le_bytes(magic) == HASH_MAGIC {
        Order::Little
    } else if u32::from_be_bytes(magic) == HASH_MAGIC {
        Order::Big
    } else {
        return Err(err("not a Berkeley DB hash database".to_string()));
    };
    let mut db = Db {
        bytes,
        order,
        page_size: 0,
        page_count: 0,
    };
    let page_size = db.u32_at(bytes, 20).unwrap_or_default() as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(err(format!(
            "page size {page_size} is not a Berkeley DB page size"
        )));
    }
    db.page_size = page_size;
    db.page_count = bytes.len() / page_size;
    let mut out = Vec::new();
    for pgno in 1..db.page_count as u32 {
        let Some(page) = db.page(pgno) else { break };
        if page[25] != PAGE_HASH && page[25] != PAGE_HASH_UNSORTED {
            continue;
        }
        if let Err(e) = db.hash_page_values(pgno, page, &mut out) {
            tracing::warn!(page = pgno, "rpm bdb: {e}, rest of the page skipped");
        }
    }
    Ok(out)
}
