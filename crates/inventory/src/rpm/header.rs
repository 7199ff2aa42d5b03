//! The rpm header blob as package databases store it (no lead, no header magic):
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   size of the data store
//! il x { tag: i32, type: u32, offset: i32, count: u32 }   all BE, 16 bytes each
//! dl bytes of data, values found at `offset` within it
//! ```
//!
//! Every read is bounds-checked against the data store, and no allocation is sized from a
//! count before the bytes behind that count have been seen, so a lying header costs at most
//! its own length.

use super::RpmError;

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;
const TAG_PROVIDENAME: i32 = 1047;
const TAG_REQUIRENAME: i32 = 1049;
const TAG_DIRINDEXES: i32 = 1116;
const TAG_BASENAMES: i32 = 1117;
const TAG_DIRNAMES: i32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`): a header beyond them is corrupt.
const MAX_INDEX_ENTRIES: u32 = 0xffff;
const MAX_DATA_LEN: u32 = 0x0fff_ffff;

/// The fields osprey reads from one installed package's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<i32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub provides: Vec<String>,
    pub requires: Vec<String>,
    /// Installed file paths (`DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`).
    pub files: Vec<String>,
}

#[derive(Clone, Copy)]
struct Entry {
    tag: i32,
    ty: u32,
    offset: usize,
    count: usize,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

/// Parses a header blob.
pub(crate) fn parse(blob: &[u8]) -> Result<RpmHeader, RpmError> {
    let err = |msg: String| RpmError(format!("header: {msg}"));
    let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
        return Err(err(format!(
            "{} bytes, shorter than the 8-byte preamble",
            blob.len()
        )));
    };
    if il == 0 || il > MAX_INDEX_ENTRIES {
        return Err(err(format!("index entry count {il} out of range")));
    }
    if dl > MAX_DATA_LEN {
        return Err(err(format!("data length {dl} out of range")));
    }
    let index_end = 8 + il as usize * 16;
    let data_end = index_end + dl as usize;
    if data_end > blob.len() {
        return Err(err(format!(
            "truncated: {il} entries and {dl} data bytes need {data_end} bytes, blob has {}",
            blob.len()
        )));
    }
    let data = Store(&blob[index_end..data_end]);
    let mut header = RpmHeader::default();
    let (mut dir_indexes, mut base_names, mut dir_names) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..il as usize {
        let at = 8 + i * 16;
        let field = |k: usize| be32(blob, at + 4 * k).unwrap_or_default();
        let entry = Entry {
            tag: field(0) as i32,
            ty: field(1),
            offset: field(2) as usize,
            count: field(3) as usize,
        };
        let in_tag = |e: RpmError| err(format!("tag {}: {}", entry.tag, e.0));
        match entry.tag {
            TAG_NAME => header.name = data.string(&entry).map_err(in_tag)?,
            TAG_VERSION => header.version = data.string(&entry).map_err(in_tag)?,
            TAG_RELEASE => header.release = data.string(&entry).map_err(in_tag)?,
            TAG_EPOCH => {
                header.epoch = data
                    .int32s(&entry)
                    .map_err(in_tag)?
                    .first()
                    .map(|e| *e as i32)
            }
            TAG_ARCH => header.arch = Some(data.string(&entry).map_err(in_tag)?),
            TAG_SOURCERPM => header.source_rpm = Some(data.string(&entry).map_err(in_tag)?),
            TAG_LICENSE => header.license = Some(data.string(&entry).map_err(in_tag)?),
            TAG_PROVIDENAME => header.provides = data.strings(&entry).map_err(in_tag)?,
            TAG_REQUIRENAME => header.requires = data.strings(&entry).map_err(in_tag)?,
            TAG_DIRINDEXES => dir_indexes = data.int32s(&entry).map_err(in_tag)?,
            TAG_BASENAMES => base_names = data.strings(&entry).map_err(in_tag)?,
            TAG_DIRNAMES => dir_names = data.strings(&entry).map_err(in_tag)?,
            _ => {}
        }
    }
    for (what, value) in [
        ("NAME", &header.name),
        ("VERSION", &header.version),
        ("RELEASE", &header.release),
    ] {
        if value.is_empty() {
            return Err(err(format!("no {what}")));
        }
    }
    if dir_indexes.len() != base_names.len() {
        return Err(err(format!(
            "{} BASENAMES but {} DIRINDEXES",
            base_names.len(),
            dir_indexes.len()
        )));
    }
    header.files = base_names
        .iter()
        .zip(&dir_indexes)
        .map(|(base, index)| {
            let dir = dir_names.get(*index as usize).ok_or_else(|| {
                err(format!(
                    "DIRINDEXES value {index} beyond {} DIRNAMES",
                    dir_names.len()
                ))
            })?;
            Ok(format!("{dir}{base}"))
        })
        .collect::<Result<_, RpmError>>()?;
    Ok(header)
}

/// The data store of one header.
struct Store<'a>(&'a [u8]);

impl Store<'_> {
    fn tail(&self, entry: &Entry) -> Result<&[u8], RpmError> {
        self.0.get(entry.offset..).ok_or_else(|| {
            RpmError(format!(
                "offset {} beyond the {}-byte data store",
                entry.offset,
                self.0.len()
            ))
        })
    }

    /// NUL-terminated strings starting at the entry's offset; `count` of them.
    fn strings(&self, entry: &Entry) -> Result<Vec<String>, RpmError> {
        if !matches!(entry.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(RpmError(format!(
                "type {} where strings were expected",
                entry.ty
            )));
        }
        let mut rest = self.tail(entry)?;
        let mut out = Vec::new();
        for _ in 0..entry.count {
            let Some(nul) = rest.iter().position(|b| *b == 0) else {
                return Err(RpmError("string runs past the data store".to_string()));
            };
            out.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
            rest = &rest[nul + 1..];
        }
        Ok(out)
    }

    /// The first string (`STRING` has a count of 1; `I18NSTRING` lists one per locale).
    fn string(&self, entry: &Entry) -> Result<String, RpmError> {
        let first = Entry { count: 1, ..*entry };
        Ok(self.strings(&first)?.pop().unwrap_or_default())
    }

    fn int32s(&self, entry: &Entry) -> Result<Vec<u32>, RpmError> {
        if entry.ty != TYPE_INT32 {
            return Err(RpmError(format!(
                "type {} where INT32 was expected",
                entry.ty
            )));
        }
        let len = entry
            .count
            .checked_mul(4)
            .filter(|len| *len <= self.tail(entry).map(<[u8]>::len).unwrap_or(0))
            .ok_or_else(|| {
                RpmError(format!(
                    "{} INT32 values run past the data store",
                    entry.count
                ))
            })?;
        Ok(self.tail(entry)?[..len]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}
