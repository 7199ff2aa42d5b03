//! `WWW-Authenticate` values as a registry (or anyone on the path) may send them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    osprey_image::registry::fuzzing::parse_challenges(&text);
});
