#![no_main]
//! Fuzzes the parser behind `var/lib/dpkg/status`.

mod analyze;

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyze::analyze_and_resolve(
    "var/lib/dpkg/status",
    data
));
