//! Hostile and corrupted input, each built here: every case ends in a clear error or a
//! documented, safe interpretation, never a panic or a silently partial result.

mod common;

use common::*;
use osprey_image::{
    Compression, EntryKind, Error, ImageRef, OpenOptions, open, open_layer, resolve_symlinks,
    walk_layer,
};
use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use tar::EntryType;

fn oci(dir: &Path) -> Box<dyn osprey_image::ImageSource> {
    open(
        &ImageRef::OciLayout {
            path: dir.to_path_buf(),
            reference: None,
        },
        &OpenOptions::default(),
    )
    .unwrap()
}

fn simple_tar() -> Vec<u8> {
    tar_of(&[("etc/hello", b"hello\n"), ("usr/bin/tool", &[7u8; 3000])])
}

fn expect_integrity(result: Result<impl Sized, Error>, digest: &str, needle: &str) {
    match result {
        Err(Error::Integrity { digest: d, reason }) => {
            assert_eq!(d, digest);
            assert!(
                reason.contains(needle),
                "reason {reason:?} lacks {needle:?}"
            );
        }
        Err(other) => panic!("expected an integrity error, got {other}"),
        Ok(_) => panic!("expected an integrity error, got success"),
    }
}

#[test]
fn blob_digest_mismatch_fails_the_walk() {
    let tmp = tempfile::tempdir().unwrap();
    let layer = TestLayer::gzip(simple_tar());
    write_layout(tmp.path(), &[layer]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    // Change the gzip header's OS byte: same size, same decompressed tar, different hash.
    let path = tmp.path().join("blobs/sha256").join(&digest[7..]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[9] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    expect_integrity(walk_all(src.as_ref(), 0), &digest, "hashes to");
}

#[test]
fn visitor_that_swallows_errors_still_gets_the_integrity_failure() {
    let tmp = tempfile::tempdir().unwrap();
    write_layout(tmp.path(), &[TestLayer::gzip(simple_tar())]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    let path = tmp.path().join("blobs/sha256").join(&digest[7..]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[9] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let result = walk_layer(
        open_layer(src.as_ref(), 0).unwrap(),
        &digest,
        |_, content| {
            let _ = content.read_to_end(&mut Vec::new());
            Ok(())
        },
    );
    expect_integrity(result, &digest, "hashes to");
}

fn edit_manifest_layout(
    dir: &Path,
    layer: TestLayer,
    edit: impl FnOnce(&mut serde_json::Value),
) -> String {
    let written = write_layout(dir, &[layer]);
    let mut manifest: serde_json::Value = serde_json::from_slice(&written.manifest).unwrap();
    edit(&mut manifest);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = put_blob(dir, &bytes);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": bytes.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn blob_size_mismatch_fails() {
    for delta in [1i64, -1] {
        let tmp = tempfile::tempdir().unwrap();
        let layer = TestLayer::gzip(simple_tar());
        let real = layer.blob.len() as i64;
        let digest = edit_manifest_layout(tmp.path(), layer, |m| {
            m["layers"][0]["size"] = (real + delta).into();
        });
        let src = oci(tmp.path());
        let needle = if delta > 0 {
            "its descriptor says"
        } else {
            "longer than"
        };
        expect_integrity(walk_all(src.as_ref(), 0), &digest, needle);
    }
}

#[test]
fn diff_id_mismatch_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let layer = TestLayer {
        blob: gzip(&simple_tar()),
        tar: tar_of(&[("etc/other", b"not this layer")]),
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
    };
    write_layout(tmp.path(), &[layer]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    expect_integrity(walk_all(src.as_ref(), 0), &digest, "diff_id");
}

#[test]
fn truncated_gzip_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = tar_of(&[("big", &vec![0x5au8; 200_000])]);
    let full = gzip(&tar);
    let layer = TestLayer {
        blob: full[..full.len() / 2].to_vec(),
        tar,
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
    };
    write_layout(tmp.path(), &[layer]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    match walk_all(src.as_ref(), 0) {
        Err(Error::Layer { layer, reason, .. }) => {
            assert_eq!(layer, digest);
            assert!(
                reason.contains("gzip data is truncated or corrupt"),
                "{reason}"
            );
        }
        other => panic!("expected a truncation error, got {other:?}"),
    }
}

/// A tar cut inside the content of an entry nobody reads: passing over that content (which
/// the read-ahead reader does without copying) must hit the cut and fail, not end the walk
/// early as if the tar were complete.
#[test]
fn tar_cut_inside_unread_content_is_an_error() {
    let whole = tar_of(&[("etc/a", b"a\n"), ("big", &vec![0x5au8; 600_000])]);
    let tar = whole[..whole.len() / 2].to_vec();
    let cursor = walk_layer(Cursor::new(tar.clone()), "sha256:cut", |_, _| Ok(()));
    assert!(
        matches!(&cursor, Err(Error::Layer { reason, .. }) if reason.contains("ends inside")),
        "{cursor:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    write_layout(tmp.path(), &[TestLayer::gzip(tar)]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    let check = |result: Result<osprey_image::WalkStats, Error>| match result {
        Err(Error::Layer { layer, reason, .. }) => {
            assert_eq!(layer, digest);
            assert!(reason.contains("ends inside"), "{reason}");
        }
        other => panic!("expected a truncation error, got {other:?}"),
    };
    check(walk_layer(
        open_layer(src.as_ref(), 0).unwrap(),
        &digest,
        |_, _| Ok(()),
    ));
    check(std::thread::scope(|scope| {
        let reader = open_layer(src.as_ref(), 0).unwrap().read_ahead(scope);
        walk_layer(reader, &digest, |_, _| Ok(()))
    }));
}

#[test]
fn traversal_paths_are_clamped_to_the_root_and_counted() {
    let tar = RawTar::default()
        .file("../../etc/evil", b"x")
        .file("/abs/file", b"y")
        .file("a/../../b", b"z")
        .file("./ok/./file", b"w")
        .entry("link", EntryType::Link, b"", "../../../etc/shadow")
        .entry("sym", EntryType::Symlink, b"", "../../../../etc/shadow")
        .entry("ok/.wh...", EntryType::Regular, b"", "")
        .finish();
    let mut seen = Vec::new();
    let stats = walk_layer(Cursor::new(tar), "sha256:test", |e, _| {
        seen.push((e.path.clone(), e.kind.clone()));
        Ok(())
    })
    .unwrap();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["etc/evil", "abs/file", "b", "ok/file", "link", "sym"]
    );
    assert_eq!(
        seen[4].1,
        EntryKind::Hardlink {
            target: "etc/shadow".into()
        }
    );
    // Symlink targets are kept as stored; resolution confines them (see below).
    assert_eq!(
        seen[5].1,
        EntryKind::Symlink {
            target: "../../../../etc/shadow".into()
        }
    );
    // ../../etc/evil, a/../../b, the hardlink target, the `.wh...` whiteout.
    assert_eq!(stats.hostile, 4);
    assert_eq!(stats.entries, 6);
}

#[test]
fn symlink_escapes_and_loops_are_contained() {
    let tar = RawTar::default()
        .entry(
            "etc/passwd",
            EntryType::Symlink,
            b"",
            "../../../../etc/shadow",
        )
        .entry(
            "etc/abs",
            EntryType::Symlink,
            b"",
            "/../../../root/.ssh/id_rsa",
        )
        .entry("loop/a", EntryType::Symlink, b"", "b")
        .entry("loop/b", EntryType::Symlink, b"", "a")
        .entry("loop/self", EntryType::Symlink, b"", "./self")
        .entry("hl/a", EntryType::Link, b"", "hl/b")
        .entry("hl/b", EntryType::Link, b"", "hl/a")
        .finish();
    let mut links = HashMap::new();
    let mut hardlinks = Vec::new();
    walk_layer(Cursor::new(tar), "sha256:test", |e, _| {
        match &e.kind {
            EntryKind::Symlink { target } => {
                links.insert(e.path.clone(), target.clone());
            }
            EntryKind::Hardlink { target } => hardlinks.push((e.path.clone(), target.clone())),
            _ => {}
        }
        Ok(())
    })
    .unwrap();
    let resolve = |p: &str| resolve_symlinks(p, |q| links.get(q).cloned());
    assert_eq!(resolve("etc/passwd").unwrap(), "etc/shadow");
    assert_eq!(resolve("etc/abs").unwrap(), "root/.ssh/id_rsa");
    for p in ["loop/a", "loop/self", "loop/a/x"] {
        assert!(matches!(resolve(p), Err(Error::SymlinkLoop { .. })), "{p}");
    }
    // Hardlinks are reported, never followed: a cycle cannot hang the walk.
    assert_eq!(
        hardlinks,
        [
            ("hl/a".to_string(), "hl/b".to_string()),
            ("hl/b".into(), "hl/a".into())
        ]
    );
}

#[test]
fn whiteouts_and_aufs_metadata() {
    let tar = RawTar::default()
        .file(".wh.top", b"")
        .file("a/b/.wh.gone", b"")
        .file("a/.wh..wh..opq", b"")
        .file(".wh..wh..opq", b"")
        .file(".wh..wh.plnk/12.34", b"")
        .finish();
    let mut kinds = Vec::new();
    let stats = walk_layer(Cursor::new(tar), "sha256:test", |e, _| {
        kinds.push(e.kind.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(
        kinds,
        [
            EntryKind::Whiteout {
                target: "top".into()
            },
            EntryKind::Whiteout {
                target: "a/b/gone".into()
            },
            EntryKind::OpaqueDir { dir: "a".into() },
            EntryKind::OpaqueDir { dir: "".into() },
        ]
    );
    assert_eq!((stats.whiteouts, stats.skipped), (4, 1));
}

#[test]
fn oversized_pax_header_is_refused_with_bounded_memory() {
    // A 64 MiB PAX record block compresses to ~64 KiB; the tar crate would buffer it whole.
    let mut raw = RawTar::default();
    let size = 64u64 << 20;
    let h = RawTar::header(b"PaxHeaders/x", EntryType::XHeader, size, b"");
    raw.push_header(&h);
    raw.buf.resize(raw.buf.len() + size as usize, b'a');
    raw.file("after", b"data");
    let tar = raw.finish();
    let err = walk_layer(Cursor::new(tar), "sha256:pax", |_, _| Ok(())).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("sha256:pax") && msg.contains("exceed"),
        "{msg}"
    );
}

#[test]
fn gnu_sparse_ten_gigabyte_file_is_not_materialised() {
    const REAL: u64 = 10 << 30;
    let mut raw = RawTar::default();
    let mut h = RawTar::header(b"var/sparse.img", EntryType::GNUSparse, 512, b"");
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.set_real_size(REAL);
        gnu.sparse[0].set_offset(REAL - 512);
        gnu.sparse[0].set_length(512);
    }
    h.set_cksum();
    raw.push_header(&h);
    raw.push_data(&[b'T'; 512]);
    raw.file("after", b"still here");
    let tar = raw.finish();
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    walk_layer(Cursor::new(tar), "sha256:sparse", |e, content| {
        if e.path == "after" {
            let mut s = String::new();
            content.read_to_string(&mut s).unwrap();
            assert_eq!(s, "still here");
        }
        seen.push((e.path.clone(), e.kind.clone(), e.size));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen[0], ("var/sparse.img".into(), EntryKind::File, REAL));
    assert_eq!(seen[1].0, "after");
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn read_ahead_thread_ends_when_the_walk_gives_up_early() {
    // 16 MiB of contents: far more than the read-ahead thread may buffer, so it is blocked
    // sending when the walk stops, and must notice the reader is gone instead of hanging.
    let contents: Vec<(String, Vec<u8>)> = (0..64u8)
        .map(|i| (format!("f{i}"), vec![b'a' + i % 26; 256 * 1024]))
        .collect();
    let files: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    write_layout(tmp.path(), &[TestLayer::gzip(tar_of(&files))]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    let result = std::thread::scope(|scope| {
        walk_layer(
            open_layer(src.as_ref(), 0).unwrap().read_ahead(scope),
            &digest,
            |entry, _| {
                Err(Error::Layer {
                    layer: digest.clone(),
                    path: entry.path.clone(),
                    reason: "visitor stopped".into(),
                })
            },
        )
    });
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("visitor stopped") && err.contains("f0"),
        "{err}"
    );
}

#[test]
fn hundred_thousand_tiny_files() {
    let mut builder = tar::Builder::new(Vec::new());
    for i in 0..100_000 {
        let mut h = tar::Header::new_ustar();
        h.set_size(1);
        h.set_mode(0o644);
        builder
            .append_data(&mut h, format!("d{}/f{i}", i % 100), &b"x"[..])
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    write_layout(tmp.path(), &[TestLayer::gzip(tar)]);
    let src = oci(tmp.path());
    let started = std::time::Instant::now();
    let entries = walk_all(src.as_ref(), 0).unwrap();
    let took = started.elapsed();
    assert_eq!(entries.len(), 100_000);
    assert!(took.as_secs() < 15, "took {took:?}");
    eprintln!("100k tiny files walked in {took:?}");
}

#[test]
fn zstd_and_plain_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let zstd_tar = tar_of(&[("z/file", b"zstd layer")]);
    // Two zstd frames back to back are one valid stream.
    let (a, b) = zstd_tar.split_at(700);
    let mut blob = zstd::encode_all(a, 3).unwrap();
    blob.extend(zstd::encode_all(b, 19).unwrap());
    let plain = tar_of(&[("p/file", b"plain layer")]);
    // Two gzip members back to back are one valid stream.
    let gz_tar = tar_of(&[("g/file", &[1u8; 5000])]);
    let (c, d) = gz_tar.split_at(1536);
    let mut gz = gzip(c);
    gz.extend(gzip(d));
    write_layout(
        tmp.path(),
        &[
            TestLayer {
                blob,
                tar: zstd_tar,
                media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
            },
            TestLayer {
                blob: plain.clone(),
                tar: plain,
                media_type: "application/vnd.oci.image.layer.v1.tar",
            },
            TestLayer {
                blob: gz,
                tar: gz_tar,
                media_type: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            },
        ],
    );
    let src = oci(tmp.path());
    let want = [
        (Compression::Zstd, "z/file"),
        (Compression::None, "p/file"),
        (Compression::Gzip, "g/file"),
    ];
    for (i, (compression, path)) in want.iter().enumerate() {
        assert_eq!(
            open_layer(src.as_ref(), i).unwrap().compression(),
            *compression
        );
        let entries = walk_all(src.as_ref(), i).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            [*path]
        );
    }
}

#[test]
fn missing_and_malformed_layout_files() {
    let tmp = tempfile::tempdir().unwrap();
    let written = write_layout(tmp.path(), &[TestLayer::gzip(simple_tar())]);
    let open_err = |dir: &Path| {
        open(
            &ImageRef::OciLayout {
                path: dir.to_path_buf(),
                reference: None,
            },
            &OpenOptions::default(),
        )
        .err()
        .map(|e| e.to_string())
        .expect("open should fail")
    };
    let index = tmp.path().join("index.json");
    let original = std::fs::read(&index).unwrap();
    for (bytes, needle) in [
        (&b"{not json"[..], "index.json"),
        (br#"{"schemaVersion":2,"manifests":[]}"#, "lists no images"),
        (
            br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:../../etc/passwd","size":1}]}"#,
            "64 lowercase hex",
        ),
    ] {
        std::fs::write(&index, bytes).unwrap();
        let e = open_err(tmp.path());
        assert!(e.contains(needle), "{e}");
    }
    std::fs::remove_file(&index).unwrap();
    assert!(open_err(tmp.path()).contains("index.json"));
    std::fs::write(&index, &original).unwrap();
    // The config blob is gone: open fails naming it.
    let config = tmp
        .path()
        .join("blobs/sha256")
        .join(&written.config_digest[7..]);
    let config_bytes = std::fs::read(&config).unwrap();
    std::fs::remove_file(&config).unwrap();
    let e = open_err(tmp.path());
    assert!(
        e.contains(&written.config_digest) && e.contains("missing"),
        "{e}"
    );
    std::fs::write(&config, config_bytes).unwrap();
    std::fs::remove_file(tmp.path().join("oci-layout")).unwrap();
    assert!(open_err(tmp.path()).contains("oci-layout"));
}

#[test]
fn manifest_pointing_to_a_missing_layer() {
    let tmp = tempfile::tempdir().unwrap();
    write_layout(tmp.path(), &[TestLayer::gzip(simple_tar())]);
    let src = oci(tmp.path());
    let digest = src.metadata().layers[0].digest.clone();
    std::fs::remove_file(tmp.path().join("blobs/sha256").join(&digest[7..])).unwrap();
    expect_integrity(
        open_layer(src.as_ref(), 0).map(|_| ()),
        &digest,
        "blob missing",
    );
    assert!(open_layer(src.as_ref(), 5).is_err());
}

/// Archive members: name and content.
type Members<'a> = &'a [(&'a str, &'a [u8])];

fn docker_archive(members: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".tar").tempfile().unwrap();
    std::fs::write(file.path(), tar_of(members)).unwrap();
    file
}

#[test]
fn malformed_and_missing_manifest_json() {
    let tar = simple_tar();
    let config = config_for(&[sha256(&tar)]);
    let good_manifest = br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"]}]"#;
    let cases: [(Members, &str); 5] = [
        (
            &[("c.json", &config), ("l/layer.tar", &tar)],
            "manifest.json",
        ),
        (
            &[("manifest.json", b"[{"), ("c.json", &config)],
            "manifest.json in",
        ),
        (
            &[("manifest.json", b"[]"), ("c.json", &config)],
            "lists no images",
        ),
        (
            &[("manifest.json", good_manifest), ("c.json", &config)],
            "l/layer.tar",
        ),
        (
            &[("manifest.json", good_manifest), ("l/layer.tar", &tar)],
            "c.json",
        ),
    ];
    for (members, needle) in cases {
        let file = docker_archive(members);
        let r = ImageRef::DockerArchive {
            path: file.path().to_path_buf(),
            reference: None,
        };
        let e = open(&r, &OpenOptions::default())
            .err()
            .expect("should fail")
            .to_string();
        assert!(e.contains(needle), "{e} lacks {needle}");
    }
    // Detection refuses a tar that is neither kind.
    let file = docker_archive(&[("c.json", &config)]);
    assert!(
        file.path()
            .display()
            .to_string()
            .parse::<ImageRef>()
            .is_err()
    );
    // And the good one opens, with an uncompressed legacy layer named by its diff_id.
    let file = docker_archive(&[
        ("manifest.json", good_manifest),
        ("c.json", &config),
        ("l/layer.tar", &tar),
    ]);
    let src = open(
        &file.path().display().to_string().parse().unwrap(),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(src.metadata().layers[0].digest, sha256(&tar));
    assert_eq!(src.metadata().repo_tags, ["x:1"]);
    assert_eq!(walk_all(src.as_ref(), 0).unwrap().len(), 2);
}

#[test]
fn read_all_of_a_tiny_tar_layer_via_layer_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = simple_tar();
    write_layout(tmp.path(), &[TestLayer::gzip(tar.clone())]);
    let src = oci(tmp.path());
    assert_eq!(read_all(open_layer(src.as_ref(), 0).unwrap()).unwrap(), tar);
}

/// GNU tar's own sparse archives, in both formats it writes (old GNU `S` entries and PAX 1.0).
#[test]
fn gnu_tar_sparse_archives_of_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir(&d).unwrap();
    let big = std::fs::File::create(d.join("big")).unwrap();
    big.set_len(10 << 30).unwrap();
    drop(big);
    let mut mid = vec![0u8; 3 << 20];
    mid[..4].copy_from_slice(b"head");
    let n = mid.len();
    mid[n - 4..].copy_from_slice(b"tail");
    std::fs::write(d.join("mid"), &mid).unwrap();
    // Punch the hole back in so tar sees a sparse file.
    let status = std::process::Command::new("fallocate")
        .args(["--dig-holes"])
        .arg(d.join("mid"))
        .status()
        .unwrap();
    assert!(status.success());
    for format in ["gnu", "posix"] {
        let archive = tmp.path().join(format!("{format}.tar"));
        let status = std::process::Command::new("tar")
            .args(["--sparse", &format!("--format={format}"), "-cf"])
            .arg(&archive)
            .args(["-C", &tmp.path().display().to_string(), "d"])
            .status()
            .expect("GNU tar");
        assert!(status.success());
        let bytes = std::fs::read(&archive).unwrap();
        assert!(
            bytes.len() < 1 << 20,
            "{format}: archive is {} bytes",
            bytes.len()
        );
        let mut seen = Vec::new();
        walk_layer(Cursor::new(bytes), "sha256:gnutar", |e, content| {
            if e.path == "d/mid" {
                let mut got = Vec::new();
                std::io::Read::read_to_end(content, &mut got).unwrap();
                assert!(got == mid, "{format}: d/mid content differs");
            }
            seen.push((e.path.clone(), e.size));
            Ok(())
        })
        .unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("d".into(), 0),
                ("d/big".into(), 10 << 30),
                ("d/mid".into(), 3 << 20)
            ],
            "{format}"
        );
    }
}
