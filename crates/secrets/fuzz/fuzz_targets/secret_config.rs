//! The YAML secret config parser: any text gives a config or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = osprey_secrets::SecretConfig::from_yaml(text, "fuzz.yaml") {
            let _ = osprey_secrets::Scanner::new(&config);
        }
    }
});
