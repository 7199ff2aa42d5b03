//! Just enough ELF to find a named section and map virtual addresses to file offsets.
//!
//! Every offset and size read from the file is checked against the file's length before use:
//! a truncated binary or one with lying section sizes is an error, never a panic.

/// What went wrong reading an ELF file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ElfError {
    /// A header or table runs past the end of the file.
    #[error("truncated ELF: {0} runs past the end of the file")]
    Truncated(&'static str),
    /// A header field has a value the format does not allow.
    #[error("invalid ELF: {0}")]
    Invalid(&'static str),
}

/// `\x7fELF`.
pub(crate) const MAGIC: &[u8; 4] = b"\x7fELF";

/// True when the bytes start with the ELF magic.
pub(crate) fn is_elf(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

/// A parsed ELF file: its class, byte order and tables.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    is_64: bool,
    big_endian: bool,
    sections: Vec<Section>,
    segments: Vec<Segment>,
    shstrndx: usize,
}

#[derive(Clone, Copy)]
struct Section {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
}

/// A loadable segment: `filesz` bytes at file `offset` appear at `vaddr`.
#[derive(Clone, Copy)]
pub(crate) struct Segment {
    /// `PT_LOAD` etc.
    pub(crate) kind: u32,
    /// `PF_X`/`PF_W`/`PF_R` bits.
    pub(crate) flags: u32,
    /// File offset.
    pub(crate) offset: u64,
    /// Virtual address.
    pub(crate) vaddr: u64,
    /// Bytes present in the file.
    pub(crate) filesz: u64,
}

/// `PT_LOAD`.
pub(crate) const PT_LOAD: u32 = 1;
/// `PF_W`: the segment is writable (Go's buildinfo lives in a writable data segment).
pub(crate) const PF_W: u32 = 2;
/// `SHT_NOBITS`: the section occupies no file bytes (`.bss`).
const SHT_NOBITS: u32 = 8;

impl<'a> Elf<'a> {
    /// Parses the header and both tables. A file without section headers (`e_shnum == 0`) is
    /// fine; a table that does not fit in the file is not.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if data.len() < 16 {
            return Err(ElfError::Truncated("the identification bytes"));
        }
        if !is_elf(data) {
            return Err(ElfError::Invalid("no ELF magic"));
        }
        let is_64 = match data[4] {
            1 => false,
            2 => true,
            _ => return Err(ElfError::Invalid("class is neither 32- nor 64-bit")),
        };
        let big_endian = match data[5] {
            1 => false,
            2 => true,
            _ => {
                return Err(ElfError::Invalid(
                    "byte order is neither little nor big endian",
                ));
            }
        };
        let mut elf = Elf {
            data,
            is_64,
            big_endian,
            sections: Vec::new(),
            segments: Vec::new(),
            shstrndx: 0,
        };
        let header_len = if is_64 { 64 } else { 52 };
        if data.len() < header_len {
            return Err(ElfError::Truncated("the file header"));
        }
        let (phoff, shoff, rest) = if is_64 {
            (elf.u64_at(32)?, elf.u64_at(40)?, 52)
        } else {
            (u64::from(elf.u32_at(28)?), u64::from(elf.u32_at(32)?), 40)
        };
        let phentsize = u64::from(elf.u16_at(rest + 2)?);
        let phnum = u64::from(elf.u16_at(rest + 4)?);
        let shentsize = u64::from(elf.u16_at(rest + 6)?);
        let shnum = u64::from(elf.u16_at(rest + 8)?);
        elf.shstrndx = usize::from(elf.u16_at(rest + 10)?);

        let (min_ph, min_sh) = if is_64 { (56, 64) } else { (32, 40) };
        if phnum > 0 {
            if phentsize < min_ph {
                return Err(ElfError::Invalid("program header entry size too small"));
            }
            elf.check_table(phoff, phentsize, phnum, "the program header table")?;
            for i in 0..phnum {
                let at = to_usize(phoff + i * phentsize)?;
                elf.segments.push(elf.segment_at(at)?);
            }
        }
        if shnum > 0 {
            if shentsize < min_sh {
                return Err(ElfError::Invalid("section header entry size too small"));
            }
            elf.check_table(shoff, shentsize, shnum, "the section header table")?;
            for i in 0..shnum {
                let at = to_usize(shoff + i * shentsize)?;
                elf.sections.push(elf.section_at(at)?);
            }
        }
        Ok(elf)
    }

    /// The loadable segments.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// True for big-endian files.
    pub(crate) fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// The file bytes of the first section called `name`; `Ok(None)` when there is none.
    /// A section whose stated size runs past the end of the file is an error.
    pub(crate) fn section(&self, name: &str) -> Result<Option<&'a [u8]>, ElfError> {
        if self.sections.is_empty() {
            return Ok(None);
        }
        let names = self
            .sections
            .get(self.shstrndx)
            .ok_or(ElfError::Invalid("section name table index out of range"))?;
        let names = self.bytes(names.offset, names.size, "the section name table")?;
        for section in &self.sections {
            let Some(start) = names.get(section.name as usize..) else {
                continue;
            };
            let end = start.iter().position(|&b| b == 0).unwrap_or(start.len());
            if &start[..end] == name.as_bytes() {
                if section.kind == SHT_NOBITS {
                    return Ok(None);
                }
                return self
                    .bytes(section.offset, section.size, "a section")
                    .map(Some);
            }
        }
        Ok(None)
    }

    /// The file bytes that virtual address `vaddr` maps to, up to the end of its segment.
    pub(crate) fn at_vaddr(&self, vaddr: u64) -> Option<&'a [u8]> {
        self.segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find_map(|s| {
                let delta = vaddr.checked_sub(s.vaddr)?;
                if delta >= s.filesz {
                    return None;
                }
                let start = s.offset.checked_add(delta)?;
                let end = s.offset.checked_add(s.filesz)?;
                self.data.get(to_usize(start).ok()?..to_usize(end).ok()?)
            })
    }

    fn bytes(&self, offset: u64, size: u64, what: &'static str) -> Result<&'a [u8], ElfError> {
        let end = offset.checked_add(size).ok_or(ElfError::Truncated(what))?;
        self.data
            .get(to_usize(offset)?..to_usize(end)?)
            .ok_or(ElfError::Truncated(what))
    }

    fn check_table(
        &self,
        off: u64,
        entsize: u64,
        num: u64,
        what: &'static str,
    ) -> Result<(), ElfError> {
        let len = entsize.checked_mul(num).ok_or(ElfError::Truncated(what))?;
        self.bytes(off, len, what).map(|_| ())
    }

    fn segment_at(&self, at: usize) -> Result<Segment, ElfError> {
        Ok(if self.is_64 {
            Segment {
                kind: self.u32_at(at)?,
                flags: self.u32_at(at + 4)?,
                offset: self.u64_at(at + 8)?,
                vaddr: self.u64_at(at + 16)?,
                filesz: self.u64_at(at + 32)?,
            }
        } else {
            Segment {
                kind: self.u32_at(at)?,
                offset: u64::from(self.u32_at(at + 4)?),
                vaddr: u64::from(self.u32_at(at + 8)?),
                filesz: u64::from(self.u32_at(at + 16)?),
                flags: self.u32_at(at + 24)?,
            }
        })
    }

    fn section_at(&self, at: usize) -> Result<Section, ElfError> {
        Ok(if self.is_64 {
            Section {
                name: self.u32_at(at)?,
                kind: self.u32_at(at + 4)?,
                offset: self.u64_at(at + 24)?,
                size: self.u64_at(at + 32)?,
            }
        } else {
            Section {
                name: self.u32_at(at)?,
                kind: self.u32_at(at + 4)?,
                offset: u64::from(self.u32_at(at + 16)?),
                size: u64::from(self.u32_at(at + 20)?),
            }
        })
    }

    fn array<const N: usize>(&self, at: usize) -> Result<[u8; N], ElfError> {
        self.data
            .get(
                at..at
                    .checked_add(N)
                    .ok_or(ElfError::Truncated("a header field"))?,
            )
            .and_then(|b| b.try_into().ok())
            .ok_or(ElfError::Truncated("a header field"))
    }

    fn u16_at(&self, at: usize) -> Result<u16, ElfError> {
        let b = self.array::<2>(at)?;
        Ok(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Result<u32, ElfError> {
        let b = self.array::<4>(at)?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64_at(&self, at: usize) -> Result<u64, ElfError> {
        let b = self.array::<8>(at)?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }
}

fn to_usize(v: u64) -> Result<usize, ElfError> {
    usize::try_from(v).map_err(|_| ElfError::Truncated("an offset"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal little-endian ELF64 with one named section `.x` holding `payload`.
    pub(crate) fn tiny_elf_with_section(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut names = vec![0u8];
        let shstr_name = names.len() as u32;
        names.extend_from_slice(b".shstrtab\0");
        let x_name = names.len() as u32;
        names.extend_from_slice(name.as_bytes());
        names.push(0);
        let mut data = vec![0u8; 64];
        let payload_off = data.len() as u64;
        data.extend_from_slice(payload);
        let names_off = data.len() as u64;
        data.extend_from_slice(&names);
        let shoff = data.len() as u64;
        let section = |name: u32, kind: u32, off: u64, size: u64| {
            let mut s = vec![0u8; 64];
            s[0..4].copy_from_slice(&name.to_le_bytes());
            s[4..8].copy_from_slice(&kind.to_le_bytes());
            s[24..32].copy_from_slice(&off.to_le_bytes());
            s[32..40].copy_from_slice(&size.to_le_bytes());
            s
        };
        let null = section(0, 0, 0, 0);
        let strtab = section(shstr_name, 3, names_off, names.len() as u64);
        let x = section(x_name, 1, payload_off, payload.len() as u64);
        data.extend(null);
        data.extend(strtab);
        data.extend(x);
        data[0..4].copy_from_slice(MAGIC);
        data[4] = 2;
        data[5] = 1;
        data[6] = 1;
        data[40..48].copy_from_slice(&shoff.to_le_bytes());
        data[52..54].copy_from_slice(&64u16.to_le_bytes());
        data[58..60].copy_from_slice(&64u16.to_le_bytes());
        data[60..62].copy_from_slice(&3u16.to_le_bytes());
        data[62..64].copy_from_slice(&1u16.to_le_bytes());
        data
    }

    #[test]
    fn finds_a_named_section() {
        let elf_bytes = tiny_elf_with_section(".dep-v0", b"hello");
        let elf = Elf::parse(&elf_bytes).expect("parses");
        assert_eq!(elf.section(".dep-v0").expect("ok"), Some(&b"hello"[..]));
        assert_eq!(elf.section(".nope").expect("ok"), None);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let elf_bytes = tiny_elf_with_section(".dep-v0", b"hello");
        for len in 0..elf_bytes.len() {
            let cut = &elf_bytes[..len];
            if let Ok(elf) = Elf::parse(cut) {
                let _ = elf.section(".dep-v0");
            }
        }
        assert!(Elf::parse(&elf_bytes[..40]).is_err());
    }

    #[test]
    fn lying_section_size_is_an_error() {
        let mut elf_bytes = tiny_elf_with_section(".dep-v0", b"hello");
        // Third section header (.dep-v0): set its size to u64::MAX - 1.
        let shoff = u64::from_le_bytes(elf_bytes[40..48].try_into().unwrap()) as usize;
        let size_at = shoff + 2 * 64 + 32;
        elf_bytes[size_at..size_at + 8].copy_from_slice(&(u64::MAX - 1).to_le_bytes());
        let elf = Elf::parse(&elf_bytes).expect("tables fit");
        assert!(matches!(
            elf.section(".dep-v0"),
            Err(ElfError::Truncated(_))
        ));
        // A section count that does not fit in the file.
        let mut elf_bytes = tiny_elf_with_section(".dep-v0", b"hello");
        elf_bytes[60..62].copy_from_slice(&500u16.to_le_bytes());
        assert!(matches!(
            Elf::parse(&elf_bytes),
            Err(ElfError::Truncated(_))
        ));
    }
}
