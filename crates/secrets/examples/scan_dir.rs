//! Scans a directory with the built-in rules and prints throughput and findings (redacted).
//!
//! `cargo run --release -p osprey-secrets --example scan_dir -- DIR [--no-gitignore]`

use osprey_secrets::{DirOptions, Scanner, scan_dir};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: scan_dir DIR [--no-gitignore]");
        std::process::exit(2);
    };
    let options = DirOptions {
        respect_gitignore: !args.any(|a| a == "--no-gitignore"),
        ..DirOptions::default()
    };
    let started = Instant::now();
    let scanner = Scanner::builtin();
    let compiled = started.elapsed();
    let scan = scan_dir(&scanner, std::path::Path::new(&dir), &options);
    let secs = started.elapsed().as_secs_f64();
    for f in &scan.findings {
        if let osprey_model::SecretLocation::File { path, .. } = &f.location {
            println!("{path}:{} {} {}", f.start_line, f.rule_id, f.redacted_match);
        }
    }
    for s in &scan.skipped {
        println!("skipped {}: {}", s.path, s.reason);
    }
    let mb = scan.bytes_scanned as f64 / 1e6;
    println!(
        "rules compiled in {:.0} ms; {} text files ({mb:.1} MB) scanned, {} binary, {} allowed by path, {} skipped; {} findings; {secs:.2} s, {:.0} MB/s; {:.2} findings per 10,000 files",
        compiled.as_secs_f64() * 1e3,
        scan.files_scanned,
        scan.binary_files,
        scan.allowed_files,
        scan.skipped.len(),
        scan.findings.len(),
        mb / secs,
        scan.findings.len() as f64 * 1e4 / scan.files_scanned.max(1) as f64
    );
}
