//! Feeds bytes to every analyzer of the inventory that wants `path`, then resolves the facts,
//! as the layer walker and the scan would.

use osprey_scan::{FileMeta, LocatedFact, Squashed};

pub fn analyze_and_resolve(path: &str, bytes: &[u8]) {
    let meta = FileMeta {
        path,
        size: bytes.len() as u64,
        mode: 0o644,
    };
    let mut squashed = Squashed::default();
    for analyzer in osprey_inventory::analyzers()
        .iter()
        .filter(|a| a.wants(&meta))
    {
        if let Ok(facts) = analyzer.analyze(&meta, bytes) {
            squashed
                .facts
                .extend(facts.into_iter().map(|fact| LocatedFact {
                    layer: Some(0),
                    in_final_fs: true,
                    fact,
                }));
        }
    }
    let _ = osprey_inventory::resolve(&squashed);
}
