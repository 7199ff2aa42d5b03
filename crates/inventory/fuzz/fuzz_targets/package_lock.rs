//! Arbitrary bytes as a `package-lock.json`.
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
    run("npm-lock", "app/package-lock.json", 0o644, data);
});
