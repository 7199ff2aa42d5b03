//! Registry references: never a panic; what parses prints back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_image::registry::RegistryReference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = RegistryReference::parse(text) {
        let again = RegistryReference::parse(&parsed.to_string()).expect("printed form parses");
        assert_eq!(parsed, again);
    }
});
