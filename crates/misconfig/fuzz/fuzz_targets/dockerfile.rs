//! Feeds arbitrary bytes through the Dockerfile parser, the shell tokenizer and every check.
//! Run from `crates/misconfig`: `cargo +nightly fuzz run dockerfile fuzz/corpus/dockerfile
//! fuzz/seeds/dockerfile` (libFuzzer writes new inputs to the first, ignored, directory).
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_misconfig::{InputKind, Options, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = scan_bytes("Dockerfile", data, InputKind::Dockerfile, &Options::default());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = osprey_misconfig::dockerfile::shell::parse(text);
    }
});
