//! Throughput on a realistic tree: every policy fixture (PSS pods, Kyverno resources,
//! Gatekeeper samples) copied 20 times, plus 2,000 Dockerfiles. Prints files/s and MiB/s.

use osprey_misconfig::{Options, PssLevel, scan_path};
use std::path::Path;
use std::time::Instant;

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1.7\nARG BASE=debian:12\nFROM ${BASE} AS build\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential=12.9 curl \\\n    && curl -fsSL https://example.com/install.sh | sh \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY . /src\nWORKDIR /src\nRUN --mount=type=cache,target=/root/.cache pip install --no-cache-dir -r requirements.txt\nFROM gcr.io/distroless/base:nonroot\nCOPY --from=build /src/out /app\nUSER 65532\nENTRYPOINT [\"/app/server\"]\n";

fn copy_tree(from: &Path, to: &Path, files: &mut usize, bytes: &mut u64) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        let target = to.join(name.to_string_lossy().trim_start_matches('.'));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target, files, bytes);
        } else {
            *bytes += std::fs::copy(e.path(), &target).unwrap();
            *files += 1;
        }
    }
}

fn measure(label: &str, dir: &Path, files: usize, bytes: u64) -> usize {
    let opts = Options {
        pss_level: PssLevel::Restricted,
        ..Options::default()
    };
    // The first pass warms the page cache; the second is measured.
    scan_path(dir, &opts).unwrap();
    let started = Instant::now();
    let results = scan_path(dir, &opts).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let findings: usize = results.iter().map(|r| r.misconfigurations.len()).sum();
    eprintln!(
        "throughput {label}: {files} files ({:.1} MiB), {} results, {findings} findings in {secs:.2} s = {:.0} files/s, {:.1} MiB/s",
        bytes as f64 / 1048576.0,
        results.len(),
        files as f64 / secs,
        bytes as f64 / 1048576.0 / secs
    );
    results.len()
}

#[test]
#[ignore = "slow: throughput measurement; run with --release -- --ignored --nocapture"]
fn throughput_on_fixture_tree() {
    let shared = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/policy"
    ));
    assert!(
        shared.is_dir(),
        "shared fixtures missing at {}",
        shared.display()
    );
    let manifests = tempfile::tempdir().unwrap();
    let (mut files, mut bytes) = (0usize, 0u64);
    for i in 0..20 {
        copy_tree(
            shared,
            &manifests.path().join(format!("copy{i}")),
            &mut files,
            &mut bytes,
        );
    }
    assert!(measure("manifests", manifests.path(), files, bytes) > 2000);
    let dockerfiles = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        let d = dockerfiles.path().join(format!("svc{i}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("Dockerfile"), DOCKERFILE).unwrap();
    }
    assert_eq!(
        measure(
            "dockerfiles",
            dockerfiles.path(),
            2000,
            2000 * DOCKERFILE.len() as u64
        ),
        2000
    );
}

#[test]
#[ignore = "slow: in-memory throughput measurement; run with --release -- --ignored --nocapture"]
fn in_memory_throughput() {
    use osprey_misconfig::{InputKind, scan_bytes};
    let shared = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/policy/kyverno-policies"
    ));
    assert!(
        shared.is_dir(),
        "shared fixtures missing at {}",
        shared.display()
    );
    let mut inputs = Vec::new();
    for level in ["baseline", "restricted"] {
        for e in std::fs::read_dir(shared.join(level)).unwrap() {
            let p = e.unwrap().path().join(".kyverno-test/resource.yaml");
            inputs.push(std::fs::read(&p).unwrap());
        }
    }
    let opts = Options {
        pss_level: PssLevel::Restricted,
        ..Options::default()
    };
    let bytes: usize = inputs.iter().map(Vec::len).sum::<usize>() * 50;
    let started = Instant::now();
    let mut findings = 0;
    for _ in 0..50 {
        for input in &inputs {
            findings += scan_bytes("r.yaml", input, InputKind::Kubernetes, &opts).unwrap()[0]
                .misconfigurations
                .len();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "in-memory manifests: {:.1} MiB, {findings} findings in {secs:.2} s = {:.1} MiB/s",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs
    );
    let df = DOCKERFILE.as_bytes();
    let started = Instant::now();
    for _ in 0..20000 {
        scan_bytes("Dockerfile", df, InputKind::Dockerfile, &opts).unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "in-memory Dockerfiles: 20000 in {secs:.2} s = {:.0} files/s",
        20000.0 / secs
    );
}
