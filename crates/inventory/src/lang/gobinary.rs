//! Go binaries: the build information the Go linker embeds (`\xff Go buildinf:`).
//!
//! The 32-byte header holds the pointer size and flags. Since Go 1.18 (flag bit 2) the version
//! and module info follow inline as varint-length strings; before, two pointers (in the file's
//! byte order, flag bit 1) lead to Go string headers elsewhere in the data segment. The header
//! is found in the `.go.buildinfo` section when there is one, otherwise by scanning the
//! writable load segment, otherwise the whole file — stripped binaries may lack section headers.

use super::elf::{self, Elf, PF_W, PT_LOAD};
use super::packages_fact;
use super::rustbinary::maybe_executable;
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};

/// Reads the build information of executable Go ELF files.
pub(crate) struct GoBinaryAnalyzer;

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// The header is aligned to 16 bytes within its section.
const ALIGN: usize = 16;

impl Analyzer for GoBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "gobinary"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        maybe_executable(file)
    }

    fn max_size(&self) -> u64 {
        512 << 20
    }

    fn wants_content(&self, head: &[u8]) -> bool {
        elf::is_elf(head)
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        if !elf::is_elf(content) {
            return Ok(Vec::new());
        }
        let err = |e: &dyn std::fmt::Display| AnalyzerError::new(format!("{}: {e}", file.path));
        let elf = Elf::parse(content).map_err(|e| err(&e))?;
        let Some(info) = read_build_info(&elf, content).map_err(|e| err(&e))? else {
            return Ok(Vec::new());
        };
        let packages = packages_from(&info)
            .into_iter()
            .map(|mut p| {
                p.location.path = file.path.to_string();
                p
            })
            .collect();
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

/// The Go version and module info strings of a binary.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BuildInfo {
    /// `go1.19.8`.
    pub(crate) go_version: String,
    /// The `path`/`mod`/`dep`/`=>`/`build` lines, sentinels removed.
    pub(crate) modinfo: String,
}

/// The build info of a Go binary; `Ok(None)` for binaries without one (not Go).
fn read_build_info(elf: &Elf<'_>, content: &[u8]) -> Result<Option<BuildInfo>, String> {
    if let Some(section) = elf.section(".go.buildinfo").map_err(|e| e.to_string())?
        && let Some(at) = find_header(section)
    {
        return decode(elf, &section[at..]).map(Some);
    }
    let data_segment = elf
        .segments()
        .iter()
        .find(|s| s.kind == PT_LOAD && s.flags & PF_W != 0);
    if let Some(segment) = data_segment
        && let Some(bytes) = elf.at_vaddr(segment.vaddr)
        && let Some(at) = find_header(bytes)
    {
        return decode(elf, &bytes[at..]).map(Some);
    }
    match find_header(content) {
        Some(at) => decode(elf, &content[at..]).map(Some),
        None => Ok(None),
    }
}

/// Offset of the first 16-byte-aligned magic in `region`.
fn find_header(region: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(region, MAGIC).find(|at| at % ALIGN == 0)
}

/// Decodes the header at the start of `bytes`.
pub(crate) fn decode(elf: &Elf<'_>, bytes: &[u8]) -> Result<BuildInfo, String> {
    let header = bytes
        .get(..HEADER_LEN)
        .ok_or("Go build info header is truncated")?;
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (go_version, modinfo) = if flags & 2 != 0 {
        let (version, rest) = varint_string(&bytes[HEADER_LEN..])?;
        let (modinfo, _) = varint_string(rest)?;
        (version, modinfo)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!(
                "Go build info pointer size {ptr_size} is neither 4 nor 8"
            ));
        }
        let big_endian = flags & 1 != 0 || elf.big_endian();
        let read_ptr = |b: &[u8]| -> Option<u64> {
            let b = b.get(..ptr_size)?;
            Some(match (ptr_size, big_endian) {
                (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
                (_, false) => u64::from_le_bytes(b.try_into().ok()?),
                (_, true) => u64::from_be_bytes(b.try_into().ok()?),
            })
        };
        // Each pointer leads to a Go string header: data pointer, then length.
        let read_string = |ptr_at: usize| -> Result<&[u8], String> {
            let bad = || "Go build info pointer leads outside the file".to_string();
            let string_header = read_ptr(&header[ptr_at..]).ok_or_else(bad)?;
            let string_header = elf.at_vaddr(string_header).ok_or_else(bad)?;
            let data = read_ptr(string_header).ok_or_else(bad)?;
            let len = read_ptr(string_header.get(ptr_size..).ok_or_else(bad)?).ok_or_else(bad)?;
            let data = elf.at_vaddr(data).ok_or_else(bad)?;
            usize::try_from(len)
                .ok()
                .and_then(|len| data.get(..len))
                .ok_or_else(|| "Go build info string runs past its segment".to_string())
        };
        (read_string(16)?, read_string(16 + ptr_size)?)
    };
    Ok(BuildInfo {
        go_version: String::from_utf8_lossy(go_version).into_owned(),
        modinfo: String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned(),
    })
}

/// A uvarint length followed by that many bytes; returns the bytes and the rest.
fn varint_string(bytes: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let mut len: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let rest = &bytes[i + 1..];
            let len = usize::try_from(len).map_err(|_| "Go build info length overflows")?;
            if len > rest.len() {
                return Err(format!(
                    "Go build info string of {len} bytes runs past the end ({} left)",
                    rest.len()
                ));
            }
            return Ok(rest.split_at(len));
        }
    }
    Err("Go build info length is not a valid varint".to_string())
}

/// The module info is framed by two 16-byte sentinels; the closing one follows a newline.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        modinfo
    }
}

/// `go1.19.8` -> `v1.19.8` (the module-version spelling Go's vulnerability data uses); an
/// experiment suffix (`go1.19.8 X:boringcrypto`) is dropped; other forms stay as written.
fn stdlib_version(go_version: &str) -> String {
    let version = go_version.split_whitespace().next().unwrap_or(go_version);
    match version.strip_prefix("go") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("v{rest}"),
        _ => version.to_string(),
    }
}

/// The main module (`root`), its dependencies (replacements applied) and `stdlib`.
pub(crate) fn packages_from(info: &BuildInfo) -> Vec<Package> {
    let mut packages = Vec::new();
    let module = |path: &str, version: &str| {
        let mut p = Package::new(Ecosystem::Golang, path, version);
        p.pkg_type = "gobinary".to_string();
        p
    };
    for line in info.modinfo.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] => {
                let mut p = module(path, version);
                p.root = true;
                packages.push(p);
            }
            ["dep", path, version, ..] => {
                let mut p = module(path, version);
                p.direct = None;
                packages.push(p);
            }
            ["=>", path, version, ..] => {
                // Replaces the dep on the previous line; a local directory replacement has
                // no version, so the required version stays.
                if let Some(last) = packages.last_mut().filter(|p| !p.root)
                    && !version.is_empty()
                {
                    last.name = path.to_string();
                    last.version = version.to_string();
                }
            }
            _ => {}
        }
    }
    let mut stdlib = module("stdlib", &stdlib_version(&info.go_version));
    stdlib.source_version = Some(info.go_version.clone());
    packages.push(stdlib);
    let main_deps: Vec<String> = packages
        .iter()
        .filter(|p| !p.root && p.name != "stdlib")
        .map(Package::id)
        .collect();
    if let Some(main) = packages.iter_mut().find(|p| p.root) {
        main.depends_on = main_deps;
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline_header(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend([8, 2]);
        b.resize(HEADER_LEN, 0);
        b.push(version.len() as u8);
        b.extend(version.as_bytes());
        b.push(modinfo.len() as u8);
        b.extend(modinfo);
        b
    }

    #[test]
    fn replacements_apply_to_the_previous_dependency() {
        let info = BuildInfo {
            go_version: "go1.21.0 X:boringcrypto".into(),
            modinfo: "path\tex.com/cmd\nmod\tex.com/m\tv1.0.0\th1:x\n\
                dep\tgithub.com/a/b\tv1.2.3\th1:y\n=>\tgithub.com/c/b\tv1.2.4\th1:z\n\
                dep\tgolang.org/x/net\tv0.1.0\th1:w\n=>\t../net\t\t\n"
                .into(),
        };
        let ids: Vec<String> = packages_from(&info).iter().map(Package::id).collect();
        assert_eq!(
            ids,
            [
                "ex.com/m@v1.0.0",
                "github.com/c/b@v1.2.4",
                "golang.org/x/net@v0.1.0",
                "stdlib@v1.21.0"
            ]
        );
    }

    #[test]
    fn inline_header_decodes_and_truncation_is_an_error() {
        let elf_bytes = crate::lang::elf::tests::tiny_elf_with_section(".x", b"");
        let elf = Elf::parse(&elf_bytes).expect("parses");
        let header = inline_header("go1.22.1", b"path\tx\n");
        let info = decode(&elf, &header).expect("decodes");
        assert_eq!(info.go_version, "go1.22.1");
        assert_eq!(info.modinfo, "path\tx\n");
        for len in 0..header.len() {
            assert!(decode(&elf, &header[..len]).is_err(), "len {len}");
        }
        // A length that claims more bytes than there are.
        let mut lying = inline_header("go1.22.1", b"");
        lying[HEADER_LEN] = 0x7f;
        assert!(decode(&elf, &lying).unwrap_err().contains("runs past"));
        // Pointer format with an impossible pointer size.
        let mut bad = MAGIC.to_vec();
        bad.extend([3, 0]);
        bad.resize(HEADER_LEN, 0);
        assert!(decode(&elf, &bad).unwrap_err().contains("pointer size 3"));
        // Pointer format whose pointers lead nowhere.
        let mut nowhere = MAGIC.to_vec();
        nowhere.extend([8, 0]);
        nowhere.resize(HEADER_LEN, 0xee);
        assert!(
            decode(&elf, &nowhere)
                .unwrap_err()
                .contains("outside the file")
        );
    }

    /// A 32-bit big-endian ELF with no section headers and one writable load segment (file
    /// offset 0 at vaddr 0x8000) holding a pre-1.18 pointer-format build info.
    fn pointer_format_elf() -> Vec<u8> {
        const BASE: u32 = 0x8000;
        let version = b"go1.16.15";
        let mut modinfo = vec![0xaa; 16];
        modinfo
            .extend(b"path\tex.com/old\nmod\tex.com/old\tv0.1.0\t\ndep\tb.com/c\tv1.0.0\th1:x\n");
        modinfo.extend([0xbb; 16]);
        let mut f = vec![0u8; 144];
        let version_at = f.len() as u32;
        f.extend(version);
        let modinfo_at = f.len() as u32;
        f.extend(&modinfo);
        let total = f.len() as u32;
        f[0..4].copy_from_slice(b"\x7fELF");
        f[4] = 1; // 32-bit
        f[5] = 2; // big endian
        f[6] = 1;
        f[28..32].copy_from_slice(&52u32.to_be_bytes()); // e_phoff
        f[42..44].copy_from_slice(&32u16.to_be_bytes()); // e_phentsize
        f[44..46].copy_from_slice(&1u16.to_be_bytes()); // e_phnum
        let ph = 52;
        f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_be_bytes());
        f[ph + 8..ph + 12].copy_from_slice(&BASE.to_be_bytes()); // p_vaddr
        f[ph + 16..ph + 20].copy_from_slice(&total.to_be_bytes()); // p_filesz
        f[ph + 24..ph + 28].copy_from_slice(&(PF_W | 4).to_be_bytes()); // RW
        f[96..110].copy_from_slice(MAGIC);
        f[110] = 4; // pointer size
        f[111] = 1; // big endian, pointer format
        f[112..116].copy_from_slice(&(BASE + 128).to_be_bytes());
        f[116..120].copy_from_slice(&(BASE + 136).to_be_bytes());
        f[128..132].copy_from_slice(&(BASE + version_at).to_be_bytes());
        f[132..136].copy_from_slice(&(version.len() as u32).to_be_bytes());
        f[136..140].copy_from_slice(&(BASE + modinfo_at).to_be_bytes());
        f[140..144].copy_from_slice(&(modinfo.len() as u32).to_be_bytes());
        f
    }

    #[test]
    fn pointer_format_32_bit_big_endian_without_sections() {
        let bytes = pointer_format_elf();
        let meta = FileMeta {
            path: "bin/old",
            size: bytes.len() as u64,
            mode: 0o755,
        };
        let facts = GoBinaryAnalyzer.analyze(&meta, &bytes).expect("decodes");
        let osprey_scan::FactKind::Packages(packages) = &facts[0].kind else {
            panic!("packages fact");
        };
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(
            ids,
            ["ex.com/old@v0.1.0", "b.com/c@v1.0.0", "stdlib@v1.16.15"]
        );
        assert!(packages[0].root);
        assert_eq!(packages[0].depends_on, ["b.com/c@v1.0.0"]);
        // A string length that runs past the segment is an error naming the file.
        let mut lying = pointer_format_elf();
        lying[140..144].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
        let err = GoBinaryAnalyzer.analyze(&meta, &lying).unwrap_err();
        assert!(err.message.starts_with("bin/old: "), "{err}");
        assert!(err.message.contains("runs past"), "{err}");
    }

    #[test]
    fn real_stripped_binary_without_section_headers() {
        // gohello from the app image, with its section header table removed as a stripper
        // may do: the build info must still be found through the program headers.
        let mut bytes = crate::lang::tests::app_image_file("app/bin/gohello");
        let meta = FileMeta {
            path: "app/bin/gohello",
            size: bytes.len() as u64,
            mode: 0o755,
        };
        let ids = |facts: Vec<Fact>| -> Vec<String> {
            facts
                .into_iter()
                .flat_map(|f| match f.kind {
                    osprey_scan::FactKind::Packages(p) => p,
                    _ => Vec::new(),
                })
                .map(|p| p.id())
                .collect()
        };
        let with_sections = ids(GoBinaryAnalyzer.analyze(&meta, &bytes).expect("decodes"));
        bytes[40..48].fill(0); // e_shoff
        bytes[60..64].fill(0); // e_shnum, e_shstrndx
        let without = ids(GoBinaryAnalyzer.analyze(&meta, &bytes).expect("decodes"));
        assert_eq!(with_sections, without);
        assert_eq!(
            without,
            ["example.com/fixtures/gohello@(devel)", "stdlib@v1.19.8"]
        );
        // Cut inside the build info: an error naming the file, not a panic.
        let at = memchr::memmem::find(&bytes, MAGIC).expect("magic");
        let err = GoBinaryAnalyzer
            .analyze(&meta, &bytes[..at + 40])
            .unwrap_err();
        assert!(err.message.starts_with("app/bin/gohello: "), "{err}");
    }

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.19.8"), "v1.19.8");
        assert_eq!(stdlib_version("go1.22rc1"), "v1.22rc1");
        assert_eq!(stdlib_version("devel go1.23-abc"), "devel");
    }
}
