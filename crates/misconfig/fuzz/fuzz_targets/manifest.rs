//! Feeds arbitrary bytes through the YAML/JSON manifest loader, PSS and every Kubernetes check.
//! Run from `crates/misconfig`: `cargo +nightly fuzz run manifest fuzz/corpus/manifest
//! fuzz/seeds/manifest` (libFuzzer writes new inputs to the first, ignored, directory).
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_misconfig::{InputKind, Options, PssLevel, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let opts = Options { pss_level: PssLevel::Restricted, ..Options::default() };
    let _ = scan_bytes("fuzz.yaml", data, InputKind::Kubernetes, &opts);
});
