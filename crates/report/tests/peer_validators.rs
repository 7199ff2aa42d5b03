//! Our SPDX documents through SPDX's own validator (`pyspdxtools` from PyPI `spdx-tools`),
//! which checks what the JSON schema cannot: licence-expression grammar, SPDXID syntax,
//! that every relationship names an element of the document, the namespace URI.

mod common;

use common::*;
use osprey_report::Format;
use std::path::PathBuf;
use std::process::Command;

fn pyspdxtools() -> PathBuf {
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.cache/peers/bin/pyspdxtools"
    ));
    if venv.exists() {
        return venv;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("pyspdxtools"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| {
            panic!("pyspdxtools not found in .cache/peers/bin or PATH: run scripts/install-test-deps.sh")
        })
}

fn validate(name: &str, report: &osprey_model::report::Report) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{name}.spdx.json"));
    std::fs::write(&file, render_to_string(report, Format::SpdxJson, &opts())).expect("write");
    let out = Command::new(pyspdxtools())
        .arg("-i")
        .arg(&file)
        .output()
        .expect("run pyspdxtools");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "pyspdxtools rejects {name}:\n{text}"
    );
}

#[test]
#[ignore = "slow: runs pyspdxtools (installed into .cache/peers by scripts/install-test-deps.sh)"]
fn spdx_tools_accept_our_documents() {
    validate("image", &image_report());
    validate("empty", &empty_report());
    let mut fs = image_report();
    fs.artifact_type = "filesystem".into();
    fs.metadata = Default::default();
    validate("filesystem", &fs);
}

#[test]
#[ignore = "slow: runs pyspdxtools (installed into .cache/peers by scripts/install-test-deps.sh)"]
fn spdx_tools_reject_a_broken_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.spdx.json");
    let mut doc = render_json(&image_report(), Format::SpdxJson);
    doc["relationships"][1]["relatedSpdxElement"] = "SPDXRef-nowhere".into();
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = Command::new(pyspdxtools())
        .arg("-i")
        .arg(&file)
        .output()
        .expect("run pyspdxtools");
    assert!(!out.status.success(), "the validator is live");
}
