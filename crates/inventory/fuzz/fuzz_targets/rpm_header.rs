#![no_main]
//! Fuzzes the rpm header parser: each input is one header blob, stored in an otherwise valid
//! NDB `Packages.db` so that it reaches the parser through the analyzer.

mod analyze;
#[path = "../../tests/inventory/rpm_builder.rs"]
#[allow(dead_code)]
mod rpm_builder;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let db = rpm_builder::ndb(&[data.to_vec()]);
    analyze::analyze_and_resolve("var/lib/rpm/Packages.db", &db);
});
