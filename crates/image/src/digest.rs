//! Content digests: validation (a digest becomes a file name, so it must never carry a path)
//! and verified reading of small blobs (indexes, manifests, configs).

use crate::Error;
use sha2::{Digest as _, Sha256};
use std::io::Read;

/// Checks that `digest` is `sha256:` followed by 64 lowercase hex digits and returns the hex
/// part. Everything else is refused: the hex part names a file under `blobs/sha256/`.
pub(crate) fn sha256_hex(digest: &str) -> Result<&str, Error> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| Error::Malformed {
            what: format!("digest {digest:?}"),
            reason: "only sha256 digests are supported".into(),
        })?;
    if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(Error::Malformed {
            what: format!("digest {digest:?}"),
            reason: "expected sha256: followed by 64 lowercase hex digits".into(),
        });
    }
    Ok(hex)
}

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Reads at most `cap` bytes of `reader`; more is an error naming `what`, so a hostile source
/// cannot make us buffer an unbounded "small" file.
pub(crate) fn read_capped(reader: impl Read, cap: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::Malformed {
            what: what.to_string(),
            reason: format!("read failed: {e}"),
        })?;
    if buf.len() as u64 > cap {
        return Err(Error::Malformed {
            what: what.to_string(),
            reason: format!("larger than the {cap}-byte limit for this kind of file"),
        });
    }
    Ok(buf)
}

/// Checks bytes read for a descriptor against its digest and (when known) size.
pub(crate) fn verify(bytes: &[u8], digest: &str, size: Option<u64>) -> Result<(), Error> {
    if let Some(size) = size
        && bytes.len() as u64 != size
    {
        return Err(Error::Integrity {
            digest: digest.to_string(),
            reason: format!("blob is {} bytes, its descriptor says {size}", bytes.len()),
        });
    }
    let actual = sha256_of(bytes);
    if actual != digest {
        return Err(Error::Integrity {
            digest: digest.to_string(),
            reason: format!("content hashes to {actual}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_digests_that_could_name_other_files() {
        assert!(sha256_hex(&format!("sha256:{}", "a".repeat(64))).is_ok());
        assert!(sha256_hex("sha256:../../etc/passwd").is_err());
        assert!(sha256_hex(&format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(sha256_hex(&format!("sha512:{}", "a".repeat(128))).is_err());
        assert!(sha256_hex(&format!("sha256:{}/x", "a".repeat(62))).is_err());
    }

    #[test]
    fn verify_names_the_mismatch() {
        let d = sha256_of(b"abc");
        assert!(verify(b"abc", &d, Some(3)).is_ok());
        let e = verify(b"abd", &d, None).unwrap_err().to_string();
        assert!(e.contains(&d), "{e}");
        let e = verify(b"abc", &d, Some(4)).unwrap_err().to_string();
        assert!(e.contains("3 bytes"), "{e}");
    }
}
