#![no_main]
//! Fuzzes the rpm database readers: the backend is chosen by the input's magic bytes (SQLite,
//! NDB or Berkeley DB hash), as for a real `Packages` file.

mod analyze;

libfuzzer_sys::fuzz_target!(|data: &[u8]| analyze::analyze_and_resolve(
    "var/lib/rpm/Packages",
    data
));
