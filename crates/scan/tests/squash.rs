//! The dispatcher and the squash on hand-made layers: whiteouts, opaque dirs, replaced files,
//! duplicate tar entries, hard links and size limits.

use osprey_image::{Entry, EntryKind};
use osprey_scan::{
    Analyzer, AnalyzerError, Fact, FactKind, FileMeta, LayerAnalysis, LayerFacts, squash,
};

/// Keeps the bytes of every `.conf` file; fails on files named `bad.conf`.
struct ConfFiles;

impl Analyzer for ConfFiles {
    fn name(&self) -> &'static str {
        "conf"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, file: &FileMeta<'_>) -> bool {
        file.path.ends_with(".conf")
    }
    fn max_size(&self) -> u64 {
        16
    }
    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        if file.path.ends_with("bad.conf") {
            return Err(AnalyzerError::new("line 1: not a conf file"));
        }
        Ok(vec![Fact {
            analyzer: self.name().into(),
            path: file.path.to_string(),
            kind: FactKind::Content(content.to_vec()),
        }])
    }
}

enum E<'a> {
    File(&'a str, &'a str),
    Whiteout(&'a str),
    Opaque(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

fn layer(analyzers: &[Box<dyn Analyzer>], entries: &[E<'_>]) -> LayerFacts {
    let mut la = LayerAnalysis::new(analyzers);
    visit_all(&mut la, entries);
    la.finish()
}

/// The same layer with its files analysed in batches on a rayon scope, as the pipeline does.
fn layer_in_batches(analyzers: &[Box<dyn Analyzer>], entries: &[E<'_>]) -> LayerFacts {
    rayon::in_place_scope(|scope| {
        let mut la = LayerAnalysis::parallel(analyzers, scope);
        visit_all(&mut la, entries);
        la.end()
    })
    .finish()
}

fn visit_all(la: &mut LayerAnalysis<'_, '_>, entries: &[E<'_>]) {
    for e in entries {
        let (entry, body) = match *e {
            E::File(p, body) => (
                Entry {
                    path: p.into(),
                    kind: EntryKind::File,
                    size: body.len() as u64,
                    mode: 0o644,
                },
                body,
            ),
            E::Whiteout(t) => (
                Entry {
                    path: format!("{t}.wh"),
                    kind: EntryKind::Whiteout { target: t.into() },
                    size: 0,
                    mode: 0,
                },
                "",
            ),
            E::Opaque(d) => (
                Entry {
                    path: format!("{d}/.wh..wh..opq"),
                    kind: EntryKind::OpaqueDir { dir: d.into() },
                    size: 0,
                    mode: 0,
                },
                "",
            ),
            E::Symlink(p, t) => (
                Entry {
                    path: p.into(),
                    kind: EntryKind::Symlink { target: t.into() },
                    size: 0,
                    mode: 0o777,
                },
                "",
            ),
            E::Hardlink(p, t) => (
                Entry {
                    path: p.into(),
                    kind: EntryKind::Hardlink { target: t.into() },
                    size: 0,
                    mode: 0o644,
                },
                "",
            ),
        };
        la.visit(&entry, &mut body.as_bytes()).unwrap();
    }
}

fn state(s: &osprey_scan::Squashed, path: &str) -> Vec<(Option<usize>, bool)> {
    s.facts
        .iter()
        .filter(|f| f.fact.path == path)
        .map(|f| (f.layer, f.in_final_fs))
        .collect()
}

#[test]
fn whiteouts_opaque_dirs_and_replacements() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![
        layer(
            &a,
            &[
                E::File("etc/a.conf", "a0"),
                E::File("etc/b.conf", "b0"),
                E::File("docs/x.conf", "x0"),
                E::File("keep/k.conf", "k0"),
                E::File("etc/not-wanted.txt", "zzz"),
            ],
        ),
        layer(
            &a,
            &[
                E::Whiteout("etc/a.conf"),
                E::File("etc/b.conf", "b1"),
                E::Opaque("docs"),
                E::File("docs/y.conf", "y1"),
            ],
        ),
        layer(&a, &[E::Whiteout("keep")]),
    ];
    let s = squash(&layers, Some);
    assert_eq!(state(&s, "etc/a.conf"), vec![(Some(0), false)]);
    assert_eq!(
        state(&s, "etc/b.conf"),
        vec![(Some(0), false), (Some(1), true)]
    );
    assert_eq!(state(&s, "docs/x.conf"), vec![(Some(0), false)]);
    assert_eq!(state(&s, "docs/y.conf"), vec![(Some(1), true)]);
    // A whiteout of a directory deletes what is below it.
    assert_eq!(state(&s, "keep/k.conf"), vec![(Some(0), false)]);
    assert!(state(&s, "etc/not-wanted.txt").is_empty());
}

#[test]
fn opaque_dir_does_not_hide_its_own_layer() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    // Order inside the tar must not matter: the opaque marker may come after the new files.
    let layers = vec![
        layer(&a, &[E::File("d/old.conf", "o")]),
        layer(&a, &[E::File("d/new.conf", "n"), E::Opaque("d")]),
    ];
    let s = squash(&layers, Some);
    assert_eq!(state(&s, "d/old.conf"), vec![(Some(0), false)]);
    assert_eq!(state(&s, "d/new.conf"), vec![(Some(1), true)]);
}

#[test]
fn duplicate_entries_in_one_layer_keep_the_last() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![layer(
        &a,
        &[E::File("a.conf", "first"), E::File("a.conf", "second")],
    )];
    let s = squash(&layers, Some);
    assert_eq!(s.facts.len(), 1);
    assert_eq!(s.facts[0].fact.kind, FactKind::Content(b"second".to_vec()));
}

#[test]
fn hardlinks_carry_their_targets_facts() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![layer(
        &a,
        &[E::File("a.conf", "body"), E::Hardlink("b.conf", "a.conf")],
    )];
    let s = squash(&layers, Some);
    assert_eq!(state(&s, "b.conf"), vec![(Some(0), true)]);
}

#[test]
fn symlinks_are_kept_when_wanted_and_visible() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![
        layer(
            &a,
            &[
                E::Symlink("etc/os.conf", "../usr/lib/os.conf"),
                E::Symlink("etc/gone.conf", "x"),
                E::Symlink("etc/other", "x"),
            ],
        ),
        layer(&a, &[E::Whiteout("etc/gone.conf")]),
    ];
    let s = squash(&layers, Some);
    assert_eq!(
        s.symlinks.get("etc/os.conf").map(String::as_str),
        Some("../usr/lib/os.conf")
    );
    assert!(!s.symlinks.contains_key("etc/gone.conf"));
    assert!(!s.symlinks.contains_key("etc/other"));
}

#[test]
fn oversized_and_failing_files_are_reported_not_dropped() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![layer(
        &a,
        &[
            E::File("big.conf", "0123456789abcdefXYZ"),
            E::File("bad.conf", "x"),
        ],
    )];
    let s = squash(&layers, Some);
    assert!(s.facts.is_empty());
    assert_eq!(s.skipped.len(), 2);
    assert!(
        s.skipped[0]
            .reason
            .contains("larger than the 16-byte limit")
    );
    assert_eq!(s.skipped[1].reason, "line 1: not a conf file");
    assert_eq!(s.skipped[1].layer, Some(0));
}

#[test]
fn a_file_replacing_a_directory_hides_its_content() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let layers = vec![
        layer(&a, &[E::File("opt/app/x.conf", "x")]),
        layer(&a, &[E::Symlink("opt/app", "/elsewhere")]),
    ];
    let s = squash(&layers, Some);
    assert_eq!(state(&s, "opt/app/x.conf"), vec![(Some(0), false)]);
}

#[test]
fn cache_round_trips_and_survives_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let cache = osprey_scan::LayerCache::new(dir.path());
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    let facts = layer(&a, &[E::File("a.conf", "x"), E::Whiteout("gone")]);
    let key = osprey_scan::LayerCache::key("sha256:abc", &a);
    assert!(cache.get(&key).is_none());
    cache.put(&key, &facts).unwrap();
    assert_eq!(cache.get(&key), Some(facts));
    // Another analyzer set or layer gives another key.
    assert_ne!(key, osprey_scan::LayerCache::key("sha256:abd", &a));
    assert_ne!(key, osprey_scan::LayerCache::key("sha256:abc", &[]));
    // A truncated entry is ignored, not trusted.
    let entry = dir.path().join("layers").join(format!("{key}.json"));
    let bytes = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &bytes[..bytes.len() / 2]).unwrap();
    assert!(cache.get(&key).is_none());
    assert_eq!(cache.clean().unwrap().0, 1);
    assert_eq!(cache.clean().unwrap(), (0, 0));
}

#[test]
fn batched_analysis_keeps_tar_order_replacements_and_links() {
    let a: Vec<Box<dyn Analyzer>> = vec![Box::new(ConfFiles)];
    // Enough files for many batches, with replacements and links reaching across them.
    let names: Vec<String> = (0..3000).map(|i| format!("etc/f{i}.conf")).collect();
    let bodies: Vec<String> = (0..3000).map(|i| format!("v{i}")).collect();
    let links: Vec<String> = (0..3000).map(|i| format!("links/l{i}.conf")).collect();
    let mut entries: Vec<E<'_>> = Vec::new();
    for i in 0..3000 {
        entries.push(E::File(&names[i], &bodies[i]));
        if i % 7 == 3 {
            // replaced later in the same tar, by a file in a later batch
            entries.push(E::File(&names[i / 2], &bodies[i]));
        }
        if i % 11 == 5 {
            entries.push(E::Hardlink(&links[i], &names[i / 3]));
            // a link whose target comes later in the tar carries nothing
            entries.push(E::Hardlink(&links[(i + 1) % 3000], &names[2999]));
        }
        if i % 500 == 0 {
            entries.push(E::File("big.conf", "0123456789abcdefXYZ"));
            entries.push(E::File("bad.conf", "x"));
        }
    }
    let inline = layer(&a, &entries);
    let batched = layer_in_batches(&a, &entries);
    assert!(inline.facts.len() > 3000, "{}", inline.facts.len());
    assert_eq!(inline.skipped.len(), 12);
    assert_eq!(batched, inline);
}
