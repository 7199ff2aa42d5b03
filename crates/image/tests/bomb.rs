//! A 1000:1 gzip bomb streams through with bounded memory. Alone in its binary so the peak
//! resident size measured is this test's.

mod common;

use common::*;
use flate2::Compression as Level;
use flate2::write::GzEncoder;
use osprey_image::{ImageRef, OpenOptions, open};
use std::io::Write;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn compression_bomb_streams_in_bounded_memory() {
    const UNCOMPRESSED: usize = 128 << 20;
    // The tar (one 128 MiB file of zeros) is produced straight into the encoder, never held.
    let mut header = tar::Header::new_gnu();
    header.set_path("bomb").unwrap();
    header.set_size(UNCOMPRESSED as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut tar_hash = sha2::Sha256::default();
    let mut enc = GzEncoder::new(Vec::new(), Level::best());
    let chunk = vec![0u8; 1 << 20];
    let mut feed = |bytes: &[u8]| {
        sha2::Digest::update(&mut tar_hash, bytes);
        enc.write_all(bytes).unwrap();
    };
    feed(header.as_bytes());
    for _ in 0..UNCOMPRESSED / chunk.len() {
        feed(&chunk);
    }
    feed(&[0u8; 1024]);
    let blob = enc.finish().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(sha2::Digest::finalize(tar_hash)));
    assert!(
        UNCOMPRESSED / blob.len() >= 1000,
        "ratio only {}",
        UNCOMPRESSED / blob.len()
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let config = config_for(std::slice::from_ref(&diff_id));
    let config_digest = put_blob(dir, &config);
    let layer_digest = put_blob(dir, &blob);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": blob.len()}],
    }))
    .unwrap();
    let manifest_digest = put_blob(dir, &manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    drop(blob);

    let before = peak_rss_kib();
    let src = open(
        &ImageRef::OciLayout {
            path: dir.to_path_buf(),
            reference: None,
        },
        &OpenOptions::default(),
    )
    .unwrap();
    let entries = walk_all(src.as_ref(), 0).unwrap();
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].size, UNCOMPRESSED as u64);
    assert!(
        grown_mib < 32,
        "peak RSS grew by {grown_mib} MiB while streaming 128 MiB"
    );
    eprintln!("bomb: peak RSS grew by {grown_mib} MiB");
}
