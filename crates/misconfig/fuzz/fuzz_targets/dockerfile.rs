//! Feeds arbitrary bytes through the Dockerfile parser, the shell tokenizer and every check.
//! Run: `cargo +nightly fuzz run dockerfile` from `crates/misconfig`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_misconfig::{InputKind, Options, scan_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = scan_bytes("Dockerfile", data, InputKind::Dockerfile, &Options::default());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = osprey_misconfig::dockerfile::shell::parse(text);
    }
});
