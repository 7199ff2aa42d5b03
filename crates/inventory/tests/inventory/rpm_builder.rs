//! Builds rpm header blobs and NDB `Packages.db` files from parts, for hostile-input tests and
//! the fuzz targets (which include this file by path).

/// rpm header value types used here.
pub const INT32: u32 = 4;
/// A NUL-terminated string.
pub const STRING: u32 = 6;
/// `count` NUL-terminated strings.
pub const STRING_ARRAY: u32 = 8;

/// A header blob from (tag, type, count, value bytes); offsets are filled in.
pub fn header(entries: &[(i32, u32, u32, &[u8])]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, ty, count, value) in entries {
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&count.to_be_bytes());
        data.extend_from_slice(value);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(data);
    blob
}

/// A valid header for `name-version-release.arch` built from `name.src.rpm`.
pub fn simple_header(name: &str) -> Vec<u8> {
    let s = |v: &str| [v.as_bytes(), b"\0"].concat();
    header(&[
        (1000, STRING, 1, &s(name)),
        (1001, STRING, 1, &s("1.0")),
        (1002, STRING, 1, &s("1")),
        (1022, STRING, 1, &s("x86_64")),
        (1044, STRING, 1, &s(&format!("{name}-1.0-1.src.rpm"))),
    ])
}

/// An NDB database (one slot page) holding `blobs` as packages 1, 2, ...
pub fn ndb(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0u8; 4096];
    out[..4].copy_from_slice(b"RpmP");
    out[12..16].copy_from_slice(&1u32.to_le_bytes());
    out[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
    for slot in 0..254 {
        let at = 32 + slot * 16;
        out[at..at + 4].copy_from_slice(b"Slot");
    }
    for (i, blob) in blobs.iter().enumerate() {
        let start = out.len();
        out.extend_from_slice(b"BlbS");
        out.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        out.extend_from_slice(blob);
        out.resize(out.len().div_ceil(16) * 16, 0);
        let blocks = (out.len() - start) as u32 / 16;
        let slot = 32 + i * 16;
        out[slot + 4..slot + 8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
        out[slot + 8..slot + 12].copy_from_slice(&(start as u32 / 16).to_le_bytes());
        out[slot + 12..slot + 16].copy_from_slice(&blocks.to_le_bytes());
    }
    out
}
