//! Manifest and index documents as a registry may send them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    osprey_image::registry::fuzzing::parse_manifest(data);
});
