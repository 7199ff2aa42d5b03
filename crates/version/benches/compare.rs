//! Comparisons and parses per second, per scheme, over the real versions of the shared
//! vector files. Run with `cargo bench -p osprey-version` (release profile).
//!
//! Plain `std::time` rather than criterion: the matcher's budget is a throughput figure, and
//! a dependency-free bench does not slow every `cargo test` of the crate.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use osprey_version::{Scheme, Version};

fn versions_of(prefix: &str) -> Vec<String> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata/version-vectors"
    ));
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("shared data folder missing ({}): {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read vectors");
        for line in text.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            if let [a, "<" | "=" | ">", b] = fields[..] {
                out.push(a.to_owned());
                out.push(b.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn main() {
    let cases = [
        (Scheme::Dpkg, "debian"),
        (Scheme::Apk, "alpine"),
        (Scheme::Rpm, "redhat"),
        (Scheme::Pep440, "pypi"),
        (Scheme::Semver, "semver"),
        (Scheme::Maven, "maven"),
        (Scheme::RubyGems, "rubygems"),
        (Scheme::NuGet, "nuget"),
        (Scheme::Composer, "packagist"),
    ];
    const COMPARISONS: usize = 2_000_000;
    println!(
        "{:10} {:>8} {:>14} {:>14}",
        "scheme", "versions", "parses/s", "compares/s"
    );
    for (scheme, prefix) in cases {
        let texts = versions_of(prefix);
        let start = Instant::now();
        let mut parsed: Vec<Version> = Vec::with_capacity(texts.len());
        let rounds = (200_000 / texts.len().max(1)).max(1);
        for _ in 0..rounds {
            parsed.clear();
            parsed.extend(texts.iter().filter_map(|t| scheme.parse(black_box(t)).ok()));
        }
        let parses = (rounds * texts.len()) as f64 / start.elapsed().as_secs_f64();
        let n = parsed.len();
        let start = Instant::now();
        let mut less = 0usize;
        for i in 0..COMPARISONS {
            // A fixed stride visits pairs that share prefixes and pairs that do not.
            let a = &parsed[i % n];
            let b = &parsed[(i * 7919 + 13) % n];
            less += usize::from(black_box(a) < black_box(b));
        }
        let compares = COMPARISONS as f64 / start.elapsed().as_secs_f64();
        black_box(less);
        println!(
            "{:10} {n:>8} {parses:>14.0} {compares:>14.0}",
            scheme.name()
        );
    }
}
