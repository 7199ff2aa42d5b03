//! The rule-file loader and engine compiler: any text loads or errors with a location.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_runtime::engine::{Engine, EngineOptions};
use osprey_runtime::rules::Ruleset;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut rs = Ruleset::default();
    if rs.load_str(text, "fuzz.yaml").is_ok() {
        let _ = Engine::compile(&rs, EngineOptions { skip_unknown: true, all_matches: true });
    }
});
