//! PAX-format sparse files (GNU tar `--sparse --format=posix`, versions 0.0, 0.1 and 1.0),
//! which the `tar` crate passes through as ordinary files with a sparse map. Old GNU-format
//! sparse entries are expanded by the `tar` crate itself.
//!
//! Holes are produced only when read, so a 10 GB sparse file costs nothing unless a consumer
//! reads it.

use std::io::{self, Read};

/// Most segments accepted in one sparse map; bounds the memory a hostile map can take.
const MAX_SEGMENTS: usize = 100_000;

/// What the PAX records say about a sparse file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaxSparse {
    /// The real name (`GNU.sparse.name`); the header holds a made-up one.
    pub name: Option<String>,
    /// The file's full size, holes included.
    pub real_size: u64,
    /// The map from the records (0.0, 0.1); `None` when it starts the data (1.0).
    pub map: Option<Vec<(u64, u64)>>,
    /// False when the records' map had an odd number of values.
    pub map_complete: bool,
}

fn parse_u64(value: &[u8]) -> Option<u64> {
    std::str::from_utf8(value).ok()?.trim().parse().ok()
}

impl PaxSparse {
    /// Reads the GNU sparse records of an entry's PAX extensions, if any.
    pub(crate) fn from_pax<'a>(records: impl Iterator<Item = (&'a str, &'a [u8])>) -> Option<Self> {
        let mut name = None;
        let mut real_size = None;
        let mut major = None;
        let mut map: Vec<u64> = Vec::new();
        let mut sparse = false;
        for (key, value) in records {
            match key {
                "GNU.sparse.name" => name = Some(String::from_utf8_lossy(value).into_owned()),
                "GNU.sparse.realsize" | "GNU.sparse.size" => real_size = parse_u64(value),
                "GNU.sparse.major" => major = parse_u64(value),
                // 0.1: one comma-separated list; 0.0: repeated offset/numbytes records.
                "GNU.sparse.map" => {
                    map.extend(value.split(|b| *b == b',').filter_map(parse_u64));
                }
                "GNU.sparse.offset" | "GNU.sparse.numbytes" => map.extend(parse_u64(value)),
                _ => {}
            }
            sparse |= key.starts_with("GNU.sparse.");
        }
        if !sparse {
            return None;
        }
        // An odd number of map values cannot be pairs; the reader reports it when read.
        let map_complete = map.len().is_multiple_of(2);
        let map = (major != Some(1))
            .then(|| map.chunks_exact(2).map(|pair| (pair[0], pair[1])).collect());
        Some(PaxSparse {
            name,
            real_size: real_size?,
            map,
            map_complete,
        })
    }
}

/// The expanded content of a PAX sparse file.
pub(crate) struct SparseReader<R> {
    inner: R,
    real_size: u64,
    /// Data segments (offset, length), parsed on first read for 1.0.
    segments: Option<Vec<(u64, u64)>>,
    /// Whether `segments` passed [`SparseReader::validate`].
    checked: bool,
    /// False when the PAX map had an odd number of values.
    map_complete: bool,
    /// Index of the segment at or after `pos`.
    current: usize,
    pos: u64,
}

fn invalid(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sparse file: {reason}"))
}

impl<R: Read> SparseReader<R> {
    pub(crate) fn new(inner: R, sparse: &PaxSparse) -> Self {
        SparseReader {
            inner,
            real_size: sparse.real_size,
            segments: sparse.map.clone(),
            checked: false,
            map_complete: sparse.map_complete,
            current: 0,
            pos: 0,
        }
    }

    /// Reads one newline-terminated decimal number of a 1.0 map; returns it and bytes used.
    fn read_number(&mut self) -> io::Result<(u64, u64)> {
        let mut value: u64 = 0;
        let mut used = 0;
        let mut byte = [0u8; 1];
        loop {
            self.inner
                .read_exact(&mut byte)
                .map_err(|_| invalid("map cut short"))?;
            used += 1;
            match byte[0] {
                b'\n' if used > 1 => return Ok((value, used)),
                d @ b'0'..=b'9' if used <= 20 => {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or_else(|| invalid("number too large in map"))?;
                }
                _ => return Err(invalid("malformed map")),
            }
        }
    }

    /// Parses the 1.0 map at the start of the data and skips its padding.
    fn read_map(&mut self) -> io::Result<Vec<(u64, u64)>> {
        let (count, mut used) = self.read_number()?;
        if count > MAX_SEGMENTS as u64 {
            return Err(invalid("more segments than the limit"));
        }
        let mut segments = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (offset, a) = self.read_number()?;
            let (length, b) = self.read_number()?;
            used += a + b;
            segments.push((offset, length));
        }
        let padding = (512 - used % 512) % 512;
        io::copy(&mut (&mut self.inner).take(padding), &mut io::sink())?;
        Ok(segments)
    }

    fn validate(&self, segments: &[(u64, u64)]) -> io::Result<()> {
        if !self.map_complete {
            return Err(invalid("odd number of values in the map"));
        }
        if segments.len() > MAX_SEGMENTS {
            return Err(invalid("more segments than the limit"));
        }
        let mut end = 0;
        for &(offset, length) in segments {
            let seg_end = offset
                .checked_add(length)
                .ok_or_else(|| invalid("segment overflows"))?;
            if offset < end || seg_end > self.real_size {
                return Err(invalid(
                    "segments overlap, are out of order or exceed the size",
                ));
            }
            end = seg_end;
        }
        Ok(())
    }
}

impl<R: Read> Read for SparseReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let segments = match self.segments.take() {
            Some(s) => s,
            None => self.read_map()?,
        };
        if !self.checked {
            self.validate(&segments)?;
            self.checked = true;
        }
        let result = self.read_with(&segments, buf);
        self.segments = Some(segments);
        result
    }
}

impl<R: Read> SparseReader<R> {
    fn read_with(&mut self, segments: &[(u64, u64)], buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.real_size || buf.is_empty() {
            return Ok(0);
        }
        while segments
            .get(self.current)
            .is_some_and(|&(offset, length)| self.pos >= offset + length)
        {
            self.current += 1;
        }
        let want = buf.len() as u64;
        match segments.get(self.current) {
            Some(&(offset, length)) if self.pos >= offset => {
                let n = want.min(offset + length - self.pos) as usize;
                let got = self.inner.read(&mut buf[..n])?;
                if got == 0 {
                    return Err(invalid("data cut short"));
                }
                self.pos += got as u64;
                Ok(got)
            }
            next => {
                let hole_end = next.map_or(self.real_size, |&(offset, _)| offset);
                let n = want.min(hole_end - self.pos) as usize;
                buf[..n].fill(0);
                self.pos += n as u64;
                Ok(n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(data: &[u8], sparse: &PaxSparse) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        SparseReader::new(data, sparse).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn version_1_map_in_data() {
        let mut data = b"2\n2\n3\n8\n1\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"abcZ");
        let sparse = PaxSparse {
            name: None,
            real_size: 10,
            map: None,
            map_complete: true,
        };
        assert_eq!(expand(&data, &sparse).unwrap(), b"\0\0abc\0\0\0Z\0");
    }

    #[test]
    fn version_0_1_map_in_records() {
        let records = [
            ("GNU.sparse.map", &b"0,2,5,1"[..]),
            ("GNU.sparse.size", b"7"),
            ("GNU.sparse.name", b"f"),
        ];
        let sparse = PaxSparse::from_pax(records.into_iter()).unwrap();
        assert_eq!(sparse.name.as_deref(), Some("f"));
        assert_eq!(expand(b"abc", &sparse).unwrap(), b"ab\0\0\0c\0");
    }

    #[test]
    fn bad_maps_are_errors() {
        let over = PaxSparse {
            name: None,
            real_size: 4,
            map: Some(vec![(2, 5)]),
            map_complete: true,
        };
        assert!(expand(b"abcde", &over).is_err());
        let overlap = PaxSparse {
            name: None,
            real_size: 9,
            map: Some(vec![(2, 3), (1, 1)]),
            map_complete: true,
        };
        assert!(expand(b"abcd", &overlap).is_err());
        let short = PaxSparse {
            name: None,
            real_size: 9,
            map: Some(vec![(0, 5)]),
            map_complete: true,
        };
        assert!(expand(b"ab", &short).is_err());
        let huge = PaxSparse {
            name: None,
            real_size: 9,
            map: None,
            map_complete: true,
        };
        assert!(expand(b"99999999999999999999999\n", &huge).is_err());
        assert!(expand(b"1\nx\n", &huge).is_err());
        assert!(PaxSparse::from_pax([("GNU.sparse.major", &b"1"[..])].into_iter()).is_none());
        let odd = [("GNU.sparse.map", &b"0,2,5"[..]), ("GNU.sparse.size", b"7")];
        let odd = PaxSparse::from_pax(odd.into_iter()).unwrap();
        assert!(expand(b"abc", &odd).is_err());
    }
}
