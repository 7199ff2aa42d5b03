//! Test helpers: secrets are generated at run time from their format, so no credential-shaped
//! literal sits in the repository (push protection would refuse it, and a literal could leak
//! into a real scan).
#![allow(dead_code)]

/// Deterministic xorshift generator.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: &str) -> Self {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Gen(h | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn pick(&mut self, class: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| class[(self.next() % class.len() as u64) as usize] as char)
            .collect()
    }
}

pub fn class(name: &str) -> &'static [u8] {
    match name {
        "A" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "a" => b"abcdefghijklmnopqrstuvwxyz",
        "d" => b"0123456789",
        "h" => b"0123456789abcdef",
        "H" => b"0123456789ABCDEF",
        "n" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "l" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "U" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "b" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "u" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        "3" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        "s" => b"abcdefghijklmnopqrstuvwxyz234567",
        "q" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        other => panic!("unknown class {other}"),
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8], url: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            let c = B64[((n >> (18 - 6 * i)) & 63) as usize];
            out.push(match (url, c) {
                (true, b'+') => '-',
                (true, b'/') => '_',
                _ => c as char,
            });
        }
        if !url {
            out.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    out
}

/// GitHub token body: 30 random characters and their base62 CRC32.
pub fn github_body(g: &mut Gen, valid: bool) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let random = g.pick(class("n"), 30);
    let mut n = crc32fast::hash(random.as_bytes());
    if !valid {
        n ^= 1;
    }
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    format!("{random}{}", String::from_utf8_lossy(&sum))
}

pub fn jwt(g: &mut Gen, payload: &str) -> String {
    format!(
        "{}.{}.{}",
        base64(br#"{"alg":"HS256","typ":"JWT"}"#, true),
        base64(payload.as_bytes(), true),
        g.pick(class("u"), 43)
    )
}

/// Expands a template: `«c:N»` is N random characters of class `c`; `«GH»`/`«GHBAD»` a GitHub
/// token body with a valid/broken checksum; `«UUID»`; `«JWT»` and `«JWTDOC»` (a documentation
/// example payload); `«BASIC»`/`«BASICNOCOLON»` base64 credentials. Returns the text and the
/// random runs it contains (to check they never appear in output); `«c:N=»` marks a public
/// run that is not returned.
pub fn expand(template: &str, seed: &str) -> (String, Vec<String>) {
    let mut g = Gen::new(seed);
    let mut out = String::new();
    let mut runs = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('«') {
        out.push_str(&rest[..i]);
        let after = &rest[i + '«'.len_utf8()..];
        let j = after.find('»').expect("closed placeholder");
        // A trailing `=` marks a public part (an ID, an IV) that output may show.
        let (spec, public) = match after[..j].strip_suffix('=') {
            Some(s) => (s, true),
            None => (&after[..j], false),
        };
        let value = match spec {
            "GH" => github_body(&mut g, true),
            "GHBAD" => github_body(&mut g, false),
            "UUID" => {
                let h = class("h");
                format!(
                    "{}-{}-{}-{}-{}",
                    g.pick(h, 8),
                    g.pick(h, 4),
                    g.pick(h, 4),
                    g.pick(h, 4),
                    g.pick(h, 12)
                )
            }
            "JWT" => {
                let sub = g.pick(class("l"), 12);
                jwt(
                    &mut g,
                    &format!(r#"{{"sub":"svc-{sub}","iat":1700000000}}"#),
                )
            }
            "JWTDOC" => jwt(
                &mut g,
                r#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#,
            ),
            "BASIC" => base64(
                format!("deploy:{}", g.pick(class("n"), 16)).as_bytes(),
                false,
            ),
            "BASICNOCOLON" => base64(
                format!("deploy{}", g.pick(class("n"), 16)).as_bytes(),
                false,
            ),
            _ => {
                let (c, n) = spec.split_once(':').expect("class:count");
                g.pick(class(c), n.parse().expect("count"))
            }
        };
        if value.len() >= 8 && !public {
            runs.push(value.clone());
        }
        out.push_str(&value);
        rest = &after[j + '»'.len_utf8()..];
    }
    out.push_str(rest);
    (out, runs)
}
