//! Arbitrary bytes as an executable file through the cargo-auditable analyzer.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// Runs the language analyzer called `name` on `content` as the file at `path`.
fn run(name: &str, path: &str, mode: u32, content: &[u8]) {
    let analyzers = osprey_inventory::lang::analyzers();
    let analyzer = analyzers
        .iter()
        .find(|a| a.name() == name)
        .expect("analyzer exists");
    let meta = osprey_scan::FileMeta { path, size: content.len() as u64, mode };
    if analyzer.wants(&meta) {
        // Errors are fine; panics, hangs and unbounded allocations are the bugs.
        let _ = analyzer.analyze(&meta, content);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut content = b"\x7fELF".to_vec();
    content.extend_from_slice(data);
    run("rustbinary", "app/bin/x", 0o755, &content);
});
