#![no_main]
//! Fuzzes the parser behind `lib/apk/db/installed`.

mod analyze;

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyze::analyze_and_resolve(
    "lib/apk/db/installed",
    data
));
