//! Feeds arbitrary bytes to the layer walker, both as a plain tar stream and as a layer blob
//! (so compression sniffing, gzip/zstd decoding and digest checks run too). Run with
//! `cargo +nightly fuzz run walk_layer` from `crates/image`. `tests/prop.rs` drives the same
//! entry points with proptest on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use osprey_image::{Error, ImageMetadata, ImageSource, LayerDescriptor, open_layer, walk_layer};
use std::io::{Cursor, Read};

struct Blob {
    metadata: ImageMetadata,
    bytes: Vec<u8>,
}

impl ImageSource for Blob {
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_blob(&self, _digest: &str) -> Result<Box<dyn Read + Send + '_>, Error> {
        Ok(Box::new(Cursor::new(&self.bytes)))
    }
}

fn visit(_: &osprey_image::Entry, content: &mut dyn Read) -> Result<(), Error> {
    // Bounded, so a sparse or bomb entry cannot make one run take minutes.
    let _ = std::io::copy(&mut content.take(1 << 20), &mut std::io::sink());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = walk_layer(Cursor::new(data), "sha256:fuzz", visit);

    let zero = format!("sha256:{}", "0".repeat(64));
    let blob = Blob {
        metadata: ImageMetadata {
            name: "fuzz".into(),
            manifest_digest: None,
            config_digest: zero.clone(),
            config_raw: Vec::new(),
            config: serde_json::Value::Null,
            layers: vec![LayerDescriptor {
                digest: zero.clone(),
                size: Some(data.len() as u64),
                media_type: String::new(),
                diff_id: zero,
            }],
            repo_tags: Vec::new(),
            repo_digests: Vec::new(),
        },
        bytes: data.to_vec(),
    };
    if let Ok(reader) = open_layer(&blob, 0) {
        // The digests are made up, so a walk that "succeeds" would be a verification bug.
        assert!(walk_layer(reader, "sha256:fuzz", visit).is_err());
    }
});
