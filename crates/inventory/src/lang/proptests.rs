//! Property tests over the same entry points as the fuzz targets in `crates/inventory/fuzz/`:
//! random and mutated inputs through the analyzers must give packages or an error, never a
//! panic.

use super::analyzers;
use super::elf::tests::tiny_elf_with_section;
use super::tests::fixture;
use flate2::{Compression, write::ZlibEncoder};
use osprey_scan::FileMeta;
use proptest::prelude::*;
use std::io::Write;

/// A path each analyzer wants, with the mode it needs.
const WANTED: &[(&str, u32)] = &[
    ("site/x-1.0.dist-info/METADATA", 0o644),
    ("app/package-lock.json", 0o644),
    ("app/node_modules/a/package.json", 0o644),
    ("app/yarn.lock", 0o644),
    ("app/pnpm-lock.yaml", 0o644),
    ("app/Cargo.lock", 0o644),
    ("app/bin/x", 0o755),
    ("app/go.mod", 0o644),
    ("app/go.sum", 0o644),
    ("app/lib/a.jar", 0o644),
    ("gems/specifications/a-1.gemspec", 0o644),
    ("app/Gemfile.lock", 0o644),
    ("app/composer.lock", 0o644),
    ("app/vendor/composer/installed.json", 0o644),
    ("app/a.deps.json", 0o644),
];

/// Every analyzer that wants `path` runs on `content`; only a panic fails.
fn run_all(path: &str, mode: u32, content: &[u8]) {
    let meta = FileMeta {
        path,
        size: content.len() as u64,
        mode,
    };
    for analyzer in analyzers() {
        if analyzer.wants(&meta) {
            let _ = analyzer.analyze(&meta, content);
        }
    }
}

fn run_one(name: &str, path: &str, content: &[u8]) {
    let meta = FileMeta {
        path,
        size: content.len() as u64,
        mode: 0o755,
    };
    let all = analyzers();
    let analyzer = all
        .iter()
        .find(|a| a.name() == name)
        .expect("analyzer exists");
    // Called even when a truncated input is too small to be wanted: analyze must cope anyway.
    let _ = analyzer.analyze(&meta, content);
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).expect("in memory");
    enc.finish().expect("in memory")
}

/// Applies `(position, byte)` edits to `base`, then (for odd `keep`) truncates it.
fn mutate(base: &[u8], edits: &[(usize, u8)], keep: usize) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(at, byte) in edits {
        if !out.is_empty() {
            let at = at % out.len();
            out[at] = byte;
        }
    }
    if keep % 2 == 1 {
        out.truncate((keep / 2) % (out.len() + 1));
    }
    out
}

/// A tiny ELF whose `.go.buildinfo` section holds a Go 1.18+ inline header.
fn go_elf() -> Vec<u8> {
    let mut info = b"\xff Go buildinf:".to_vec();
    info.extend([8, 2]);
    info.resize(32, 0);
    let version = b"go1.21.0";
    info.push(version.len() as u8);
    info.extend(version);
    let modinfo = b"path\tex.com/m\nmod\tex.com/m\tv1.0.0\t\ndep\ta.com/b\tv1.2.3\th1:x\n";
    info.push(modinfo.len() as u8);
    info.extend(modinfo);
    tiny_elf_with_section(".go.buildinfo", &info)
}

fn auditable_elf() -> Vec<u8> {
    let json = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"libc","version":"0.2.1","source":"crates.io"}]}"#;
    tiny_elf_with_section(".dep-v0", &zlib(json))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(
        which in 0..WANTED.len(),
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        elf_prefix in any::<bool>(),
    ) {
        let (path, mode) = WANTED[which];
        let mut content = if elf_prefix { b"\x7fELF\x02\x01\x01".to_vec() } else { Vec::new() };
        content.extend(bytes);
        run_all(path, mode, &content);
    }

    #[test]
    fn mutated_go_buildinfo_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in any::<usize>(),
    ) {
        run_one("gobinary", "app/bin/x", &mutate(&go_elf(), &edits, keep));
    }

    #[test]
    fn mutated_auditable_elf_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in any::<usize>(),
    ) {
        run_one("rustbinary", "app/bin/x", &mutate(&auditable_elf(), &edits, keep));
    }

    #[test]
    fn mutated_package_lock_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        keep in any::<usize>(),
    ) {
        let lock = fixture("npm/package-lock_v3.json");
        run_one("npm-lock", "app/package-lock.json", &mutate(&lock, &edits, keep));
    }
}

#[test]
fn unmutated_seeds_parse() {
    // The seeds above must reach the deep paths, or the mutations test little.
    for (name, seed, expected) in [
        ("gobinary", go_elf(), 3),
        ("rustbinary", auditable_elf(), 2),
    ] {
        let meta = FileMeta {
            path: "app/bin/x",
            size: seed.len() as u64,
            mode: 0o755,
        };
        let all = analyzers();
        let analyzer = all.iter().find(|a| a.name() == name).expect("exists");
        let facts = analyzer.analyze(&meta, &seed).expect("seed parses");
        let count: usize = facts
            .iter()
            .map(|f| match &f.kind {
                osprey_scan::FactKind::Packages(p) => p.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(count, expected, "{name}");
    }
}

#[test]
fn deeply_nested_documents_are_errors_not_stack_overflows() {
    let depth = 100_000;
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml_flow = format!("packages: {}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml_block: String = (0..depth)
        .map(|i| format!("{}- \n", " ".repeat(i % 2000)))
        .collect();
    for (path, content) in [
        ("app/package-lock.json", json.as_bytes()),
        ("app/composer.lock", json.as_bytes()),
        ("app/a.deps.json", json.as_bytes()),
        ("app/node_modules/a/package.json", json.as_bytes()),
        ("app/pnpm-lock.yaml", yaml_flow.as_bytes()),
        ("app/pnpm-lock.yaml", yaml_block.as_bytes()),
    ] {
        let meta = FileMeta {
            path,
            size: content.len() as u64,
            mode: 0o644,
        };
        for analyzer in analyzers() {
            if analyzer.wants(&meta) {
                assert!(analyzer.analyze(&meta, content).is_err(), "{path}");
            }
        }
    }
    let berry = format!(
        "__metadata:\n  version: 4\nx: {}{}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let meta = FileMeta {
        path: "yarn.lock",
        size: berry.len() as u64,
        mode: 0o644,
    };
    let all = analyzers();
    let yarn = all
        .iter()
        .find(|a| a.name() == "yarn-lock")
        .expect("exists");
    assert!(yarn.analyze(&meta, berry.as_bytes()).is_err());
}

#[test]
fn yaml_alias_bomb_is_refused() {
    // "Billion laughs": nine levels of nine aliases expand to 9^9 (387 million) strings.
    let mut yaml = String::from("lockfileVersion: '9.0'\na0: &a0 [\"lol\"]\n");
    for level in 1..=9 {
        let refs = vec![format!("*a{}", level - 1); 9].join(", ");
        yaml.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    // `dependencies` values are free-form, so only the parser's budget can stop the expansion.
    yaml.push_str("packages:\n  x@1.0.0: {dependencies: {y: *a9}}\n");
    let meta = FileMeta {
        path: "pnpm-lock.yaml",
        size: yaml.len() as u64,
        mode: 0o644,
    };
    let all = analyzers();
    let pnpm = all
        .iter()
        .find(|a| a.name() == "pnpm-lock")
        .expect("exists");
    let started = std::time::Instant::now();
    let result = pnpm.analyze(&meta, yaml.as_bytes());
    let err = result.expect_err("alias bomb accepted");
    assert!(err.message.starts_with("pnpm-lock.yaml: "), "{err}");
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
}
