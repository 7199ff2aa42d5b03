//! Rust binaries built with `cargo auditable`: an ELF section `.dep-v0` holding the
//! zlib-compressed JSON dependency list (`packages[]` with name, version, source, kind,
//! dependency indices and a root flag).

use super::elf::{self, Elf};
use super::packages_fact;
use flate2::read::ZlibDecoder;
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use serde::Deserialize;
use std::io::Read;

/// Reads the `.dep-v0` section of executable ELF files.
pub(crate) struct RustBinaryAnalyzer;

/// Decompressed `.dep-v0` larger than this is refused (real ones are a few KiB; a compressed
/// bomb must not exhaust memory).
const MAX_DEP_INFO: u64 = 16 << 20;

#[derive(Deserialize)]
struct DepInfo {
    packages: Vec<DepPackage>,
}

#[derive(Deserialize)]
struct DepPackage {
    name: String,
    version: String,
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// True for files an executable might be: any execute bit, at least an ELF header long.
pub(crate) fn maybe_executable(file: &FileMeta<'_>) -> bool {
    file.mode & 0o111 != 0 && file.size >= 52
}

impl Analyzer for RustBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "rustbinary"
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
        let Some(section) = elf.section(".dep-v0").map_err(|e| err(&e))? else {
            return Ok(Vec::new());
        };
        let packages = parse_dep_info(section).map_err(|e| err(&e))?;
        let packages = packages
            .into_iter()
            .map(|mut p| {
                p.location.path = file.path.to_string();
                p
            })
            .collect();
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

/// The runtime packages of a compressed `.dep-v0` payload (build-only dependencies are not
/// linked into the binary and are left out).
pub(crate) fn parse_dep_info(compressed: &[u8]) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    ZlibDecoder::new(compressed)
        .take(MAX_DEP_INFO + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!(".dep-v0: not zlib data: {e}"))?;
    if json.len() as u64 > MAX_DEP_INFO {
        return Err(format!(
            ".dep-v0: decompresses to more than {MAX_DEP_INFO} bytes"
        ));
    }
    let info: DepInfo =
        serde_json::from_slice(&json).map_err(|e| format!(".dep-v0: bad JSON: {e}"))?;
    let ids: Vec<String> = info
        .packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let mut packages = Vec::new();
    for p in &info.packages {
        if p.kind.as_deref() == Some("build") {
            continue;
        }
        if let Some(bad) = p.dependencies.iter().find(|&&i| i >= ids.len()) {
            return Err(format!(
                ".dep-v0: {} lists dependency index {bad} of {} packages",
                p.name,
                ids.len()
            ));
        }
        let mut package = Package::new(Ecosystem::Cargo, p.name.clone(), p.version.clone());
        package.pkg_type = "rustbinary".to_string();
        package.root = p.root;
        package.depends_on = p
            .dependencies
            .iter()
            .filter(|&&i| {
                info.packages
                    .get(i)
                    .is_some_and(|d| d.kind.as_deref() != Some("build"))
            })
            .filter_map(|&i| ids.get(i).cloned())
            .collect();
        packages.push(package);
    }
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::elf::tests::tiny_elf_with_section;
    use flate2::{Compression, write::ZlibEncoder};
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).expect("in memory");
        enc.finish().expect("in memory")
    }

    fn run(content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        RustBinaryAnalyzer.analyze(
            &FileMeta {
                path: "bin/x",
                size: content.len() as u64,
                mode: 0o755,
            },
            content,
        )
    }

    #[test]
    fn build_dependencies_are_left_out() {
        let json = br#"{"packages":[
            {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},
            {"name":"app","version":"0.1.0","source":"local","dependencies":[0,2],"root":true},
            {"name":"libc","version":"0.2.1","source":"crates.io"}]}"#;
        let packages = parse_dep_info(&zlib(json)).expect("parses");
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(ids, ["app@0.1.0", "libc@0.2.1"]);
        assert!(packages[0].root);
        assert_eq!(packages[0].depends_on, ["libc@0.2.1"]);
    }

    #[test]
    fn real_auditable_binary_and_its_corruptions() {
        let bytes = crate::lang::tests::app_image_file("app/bin/rusthello");
        let facts = run(&bytes).expect("parses");
        let osprey_scan::FactKind::Packages(packages) = &facts[0].kind else {
            panic!("packages fact");
        };
        let ids: Vec<String> = packages.iter().map(Package::id).collect();
        assert_eq!(
            ids,
            [
                "libc@0.2.191",
                "rusthello@0.1.0",
                "smallvec@1.6.0",
                "time@0.1.43"
            ]
        );
        // Truncated: the section header table sits at the end of the file.
        let err = run(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(err.message.contains("truncated ELF"), "{err}");
        // Lying size: grow every section's size field past the end of the file. Section
        // headers start at e_shoff; sh_size is at +32 in each 64-byte entry.
        let mut lying = bytes.clone();
        let shoff = u64::from_le_bytes(lying[40..48].try_into().expect("8 bytes")) as usize;
        let shnum = u16::from_le_bytes(lying[60..62].try_into().expect("2 bytes")) as usize;
        for i in 0..shnum {
            let at = shoff + i * 64 + 32;
            lying[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        }
        let err = run(&lying).unwrap_err();
        assert!(err.message.starts_with("bin/x: truncated ELF"), "{err}");
    }

    #[test]
    fn hostile_payloads_are_errors() {
        // Not zlib.
        let elf = tiny_elf_with_section(".dep-v0", b"definitely not zlib");
        assert!(run(&elf).unwrap_err().message.contains("bin/x: .dep-v0"));
        // Valid zlib, bad JSON.
        let elf = tiny_elf_with_section(".dep-v0", &zlib(b"{\"packages\": [1,"));
        assert!(run(&elf).unwrap_err().message.contains("bad JSON"));
        // Dependency index out of range.
        let json = br#"{"packages":[{"name":"a","version":"1","dependencies":[9]}]}"#;
        let elf = tiny_elf_with_section(".dep-v0", &zlib(json));
        assert!(run(&elf).unwrap_err().message.contains("index 9"));
        // A zlib bomb: 64 MiB of zeros compresses to ~64 KiB.
        let bomb = zlib(&vec![0u8; 64 << 20]);
        let elf = tiny_elf_with_section(".dep-v0", &bomb);
        assert!(run(&elf).unwrap_err().message.contains("more than"));
        // Truncated ELF.
        let elf = tiny_elf_with_section(".dep-v0", &zlib(json));
        assert!(run(&elf[..60]).is_err());
        // Not an ELF at all: nothing to say, no error.
        assert!(run(b"#!/bin/sh\necho hi\n").expect("ok").is_empty());
    }
}
