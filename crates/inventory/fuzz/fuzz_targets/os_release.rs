#![no_main]
//! Fuzzes the parser behind `etc/os-release`.

mod analyze;

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyze::analyze_and_resolve("etc/os-release", data));
