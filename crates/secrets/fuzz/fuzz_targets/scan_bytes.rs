//! The rule engine on arbitrary bytes: no panic, line numbers within the input, and no
//! finding carries more of its line than the input has.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let findings = osprey_secrets::scan_bytes("fuzz/input.txt", data);
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for f in &findings {
        assert!(f.start_line >= 1 && f.start_line <= f.end_line && f.end_line <= lines);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = osprey_secrets::scan_image_config(&value);
    }
});
