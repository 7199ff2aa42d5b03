//! Small byte-level helpers: entropy, binary sniffing, base64, and the token checks.

use crate::rule::Check;

/// How many leading bytes are sniffed for NUL to call a file binary (as git and grep do).
pub(crate) const SNIFF_LEN: usize = 8000;

/// True when the content looks binary: a NUL byte in its first 8000 bytes.
pub fn is_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(SNIFF_LEN)]).is_some()
}

/// Shannon entropy of `bytes` in bits per byte (0 for empty input).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The 6-character base62 CRC32 checksum GitHub appends to its tokens.
pub fn github_checksum(random: &[u8]) -> [u8; 6] {
    let mut n = crc32fast::hash(random);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// True when a GitHub token (`ghp_` + 30 random + 6 checksum) carries a valid checksum.
fn github_token_valid(token: &[u8]) -> bool {
    let Some(underscore) = memchr::memchr(b'_', token) else {
        return false;
    };
    let body = &token[underscore + 1..];
    body.len() == 36 && github_checksum(&body[..30]) == body[30..]
}

/// Decodes standard or URL-safe base64, padded or not; `None` on any other byte.
pub fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn value(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let trimmed = input
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(&input[..0], |i| &input[..=i]);
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &b in trimmed {
        acc = (acc << 6) | value(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// True when a JWT's header and payload decode to JSON objects, the header names an
/// algorithm, and the payload is not a documentation example.
fn jwt_valid(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let object = |part: &[u8]| {
        base64_decode(part)
            .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
            .filter(serde_json::Value::is_object)
    };
    let (Some(header), Some(payload)) = (object(header), object(payload)) else {
        return false;
    };
    if header.get("alg").is_none() {
        return false;
    }
    let text = payload.to_string().to_ascii_lowercase();
    const DOC_MARKERS: [&str; 4] = ["john doe", "1234567890", "example", "jane doe"];
    !DOC_MARKERS.iter().any(|m| text.contains(m))
}

/// True when the value is base64 of `user:password` with both parts present.
fn basic_auth_valid(value: &[u8]) -> bool {
    let Some(raw) = base64_decode(value) else {
        return false;
    };
    match memchr::memchr(b':', &raw) {
        Some(i) => i > 0 && i + 1 < raw.len() && raw.iter().all(|&b| b >= 0x20 && b != 0x7f),
        None => false,
    }
}

/// Runs a rule's extra check on a candidate secret.
pub fn check_passes(check: Check, secret: &[u8]) -> bool {
    match check {
        Check::None => true,
        Check::GithubCrc32 => github_token_valid(secret),
        Check::Jwt => jwt_valid(secret),
        Check::BasicAuthBase64 => basic_auth_valid(secret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_uniform_and_constant_input() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn base64_decodes_both_alphabets() {
        assert_eq!(base64_decode(b"dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode(b"dXNlcjpwYXM=").unwrap(), b"user:pas");
        assert_eq!(base64_decode(b"-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(base64_decode(b"a b").is_none());
    }

    #[test]
    fn github_checksum_matches_the_published_format() {
        // Random part and checksum of the fixture token split so no token sits in the source.
        let random = "tXhzpAfoKt9O36OnFPkeJSutfOtiGg";
        assert_eq!(&github_checksum(random.as_bytes()), b"2LNYtu");
        let token = format!("gh{}_{random}2LNYtu", "p");
        assert!(github_token_valid(token.as_bytes()));
        let broken = format!("gh{}_{random}2LNYtv", "p");
        assert!(!github_token_valid(broken.as_bytes()));
    }

    #[test]
    fn binary_sniffing_looks_for_nul() {
        assert!(is_binary(b"\x7fELF\x02\x01\x01\x00"));
        assert!(!is_binary(b"plain text\n"));
    }
}
