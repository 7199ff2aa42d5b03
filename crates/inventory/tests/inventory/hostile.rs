//! Hostile and broken inputs: truncated and garbage databases, lying lengths, broken stanzas,
//! malformed release files. Nothing may panic, hang or allocate from a lying length; bad
//! records are skipped and the good ones still reported.

use crate::common::{one_layer, read_shared, try_analyze, warnings_of};
use crate::rpm_builder::{INT32, STRING, STRING_ARRAY, header, ndb, simple_header};
use osprey_inventory::resolve;
use osprey_model::Package;
use osprey_scan::FactKind;
use proptest::prelude::*;

const RPM_FIXTURES: &[(&str, &str)] = &[
    (
        "var/lib/rpm/rpmdb.sqlite",
        "fixtures/pkgdb/rpm/sqlite-cbl-mariner-2.0/rpmdb.sqlite",
    ),
    (
        "var/lib/rpm/Packages.db",
        "fixtures/pkgdb/rpm/ndb-sle15-bci/Packages.db",
    ),
    (
        "var/lib/rpm/Packages",
        "fixtures/pkgdb/rpm/bdb-libuuid/Packages",
    ),
    (
        "var/lib/rpm/Packages",
        "fixtures/pkgdb/rpm/bdb-syft/Packages",
    ),
];

/// Packages from the analyzers' facts, or the analyzer error.
fn packages(path: &str, bytes: &[u8]) -> Result<Vec<Package>, String> {
    Ok(try_analyze(path, bytes)?
        .into_iter()
        .flat_map(|fact| match fact.kind {
            FactKind::Packages(p) => p,
            _ => Vec::new(),
        })
        .collect())
}

#[test]
fn truncated_rpm_databases() {
    for (path, fixture) in RPM_FIXTURES {
        let bytes = read_shared(fixture);
        let full = packages(path, &bytes).unwrap().len();
        for len in [
            0,
            1,
            15,
            16,
            99,
            100,
            512,
            4095,
            4096,
            4097,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            match packages(path, &bytes[..len]) {
                Ok(found) => assert!(found.len() <= full, "{fixture}[..{len}]"),
                Err(message) => assert!(message.starts_with(path), "{fixture}[..{len}]: {message}"),
            }
        }
    }
    // Unknown format: a clear error naming the file.
    let err = packages("var/lib/rpm/Packages", b"definitely not a database").unwrap_err();
    assert!(
        err.contains("var/lib/rpm/Packages") && err.contains("not an rpm database"),
        "{err}"
    );
}

#[test]
fn lying_header_lengths_are_rejected_without_allocating() {
    let mut huge = simple_header("liar");
    huge[..4].copy_from_slice(&0xffffu32.to_be_bytes());
    huge[4..8].copy_from_slice(&0x0fff_ffffu32.to_be_bytes());
    let mut too_many = simple_header("liar");
    too_many[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let s = |v: &str| [v.as_bytes(), b"\0"].concat();
    let endless_strings = header(&[
        (1000, STRING, 1, &s("a")),
        (1001, STRING, 1, &s("1")),
        (1002, STRING, 1, &s("1")),
        (1047, STRING_ARRAY, u32::MAX, &s("x")),
    ]);
    let endless_ints = header(&[
        (1000, STRING, 1, &s("a")),
        (1001, STRING, 1, &s("1")),
        (1002, STRING, 1, &s("1")),
        (1116, INT32, 0x4000_0000, &[0; 4]),
    ]);
    let wrong_type = header(&[(1000, INT32, 1, &[0, 0, 0, 1])]);
    let unterminated = header(&[(1000, STRING, 1, b"no-nul")]);
    let dir_index_out_of_range = header(&[
        (1000, STRING, 1, &s("a")),
        (1001, STRING, 1, &s("1")),
        (1002, STRING, 1, &s("1")),
        (1116, INT32, 1, &99u32.to_be_bytes()),
        (1117, STRING_ARRAY, 1, &s("file")),
        (1118, STRING_ARRAY, 1, &s("/dir/")),
    ]);
    let blobs = vec![
        simple_header("good-one"),
        huge,
        too_many,
        endless_strings,
        endless_ints,
        wrong_type,
        unterminated,
        dir_index_out_of_range,
        Vec::new(),
        vec![0; 7],
        simple_header("good-two"),
    ];
    let found = packages("var/lib/rpm/Packages.db", &ndb(&blobs)).unwrap();
    let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["good-one", "good-two"]);
    assert_eq!(found[0].source_name.as_deref(), Some("good-one"));
}

#[test]
fn ndb_slots_pointing_outside_the_file() {
    let mut db = ndb(&[simple_header("kept"), simple_header("lost")]);
    // Second slot: block offset far beyond the end of the file.
    db[32 + 16 + 8..32 + 16 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let found = packages("var/lib/rpm/Packages.db", &db).unwrap();
    assert_eq!(found.len(), 1);
    // Slot page count beyond the file.
    db[12..16].copy_from_slice(&1000u32.to_le_bytes());
    assert!(packages("var/lib/rpm/Packages.db", &db).is_err());
}

/// Byte-swaps the Berkeley DB structures of a little-endian hash database: what the same
/// database written on a big-endian machine looks like (header blobs are big-endian in both).
fn to_big_endian(le: &[u8]) -> Vec<u8> {
    let mut be = le.to_vec();
    let swap32 = |buf: &mut [u8], at: usize| buf[at..at + 4].reverse();
    let swap16 = |buf: &mut [u8], at: usize| buf[at..at + 2].reverse();
    let page_size = u32::from_le_bytes(le[20..24].try_into().unwrap()) as usize;
    for at in [8, 12, 16, 20, 28, 32, 36, 40, 44, 48] {
        swap32(&mut be, at);
    }
    for pgno in 1..le.len() / page_size {
        let base = pgno * page_size;
        let page = &le[base..base + page_size];
        for at in [8, 12, 16] {
            swap32(&mut be, base + at);
        }
        swap16(&mut be, base + 20);
        swap16(&mut be, base + 22);
        if page[25] == 13 || page[25] == 2 {
            let entries = u16::from_le_bytes([page[20], page[21]]) as usize;
            for i in 0..entries {
                let offset = u16::from_le_bytes([page[26 + 2 * i], page[27 + 2 * i]]) as usize;
                swap16(&mut be, base + 26 + 2 * i);
                match page[offset] {
                    3 => {
                        swap32(&mut be, base + offset + 4);
                        swap32(&mut be, base + offset + 8);
                    }
                    1 if i % 2 == 0 => swap32(&mut be, base + offset + 1),
                    _ => {}
                }
            }
        }
    }
    be
}

#[test]
fn berkeley_db_in_both_byte_orders() {
    for fixture in [
        "fixtures/pkgdb/rpm/bdb-libuuid/Packages",
        "fixtures/pkgdb/rpm/bdb-syft/Packages",
    ] {
        let le = read_shared(fixture);
        let be = to_big_endian(&le);
        assert_ne!(le, be);
        let from_le = packages("var/lib/rpm/Packages", &le).unwrap();
        let from_be = packages("var/lib/rpm/Packages", &be).unwrap();
        assert_eq!(from_le.len(), 1);
        assert_eq!(from_le, from_be, "{fixture}");
    }
}

#[test]
fn berkeley_db_overflow_loop_terminates() {
    let mut db = read_shared("fixtures/pkgdb/rpm/bdb-libuuid/Packages");
    let page_size = 4096;
    // Point every overflow page's next-page link at itself.
    for pgno in 1..db.len() / page_size {
        let base = pgno * page_size;
        if db[base + 25] == 7 {
            let own = (pgno as u32).to_le_bytes();
            db[base + 16..base + 20].copy_from_slice(&own);
        }
    }
    let found = packages("var/lib/rpm/Packages", &db).unwrap();
    assert!(found.is_empty());
}

#[test]
fn broken_dpkg_stanzas() {
    let text = "Package: good\nStatus: install ok installed\nVersion: 1.0\n\n\
                 continuation without field\nPackage: odd\nno colon here\nVersion: 2\n\n\
                 Package:\nVersion: 3\n\n\
                 Status: install ok installed\nVersion: 4\n\n\
                 Package: badstatus\nStatus: installed\nVersion: 5\n\n\
                 Package: \u{fffd}\u{0}bin\nVersion: 6\nDepends: good (>= 1) | , ,| (\n\n\
                 Package: last\nVersion: 7\nDescription: x\n .\n more\n";
    let mut bytes = text.as_bytes().to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n', b'\n']);
    let found = packages("var/lib/dpkg/status", &bytes).unwrap();
    let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["good", "odd", "\u{fffd}\u{0}bin", "last"]);
}

#[test]
fn malformed_os_release() {
    let bytes: &[u8] = b"garbage line\n=novalue\nID=\"debian\nVERSION_ID='12\n\xff\xfe=\x00\nPRETTY_NAME=\"a \\\"quoted\\\" name\"\n";
    let inventory = resolve(&one_layer(&[("etc/os-release", bytes)]));
    let os = inventory.os.unwrap();
    assert_eq!((os.family.as_str(), os.name.as_str()), ("debian", "12"));
    assert_eq!(os.pretty_name.as_deref(), Some("a \"quoted\" name"));
    // No ID: not an os-release we can use, and nothing else to go on.
    for text in [&b"NAME=x\n"[..], b"ID=\"\"\n"] {
        assert_eq!(resolve(&one_layer(&[("etc/os-release", text)])).os, None);
    }
}

#[test]
fn skipped_records_are_logged_with_file_and_line() {
    let apk = read_shared("fixtures/pkgdb/apk/trivy-apk-testdata/lib/apk/db/installed");
    let log = warnings_of(|| {
        packages("lib/apk/db/installed", &apk).unwrap();
    });
    assert!(
        log.contains("invalid entry without a package name or version")
            && log.contains("path=\"lib/apk/db/installed\"")
            && log.contains("line=23")
            && log.contains("invalidPackageWithoutAVersion"),
        "{log}"
    );
    let log = warnings_of(|| {
        packages("var/lib/dpkg/status", b"Package: a\nno colon\nVersion: 1\n").unwrap();
    });
    assert!(
        log.contains("line=2") && log.contains("not a `Field: value` line"),
        "{log}"
    );
    let log = warnings_of(|| {
        packages("var/lib/rpm/Packages.db", &ndb(&[vec![0; 12]])).unwrap();
    });
    assert!(
        log.contains("package index 1") && log.contains("index entry count 0"),
        "{log}"
    );
}

/// Every path an OS analyzer reads, with a fixture of that kind to mutate.
fn targets() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "var/lib/dpkg/status",
            read_shared("fixtures/pkgdb/dpkg/ubuntu-18.04/status"),
        ),
        (
            "var/lib/dpkg/status.d/multiple",
            read_shared("fixtures/pkgdb/dpkg/status-multiple"),
        ),
        (
            "lib/apk/db/installed",
            read_shared("fixtures/pkgdb/apk/trivy-apk-testdata/lib/apk/db/installed"),
        ),
        (
            "var/lib/rpm/Packages.db",
            read_shared("fixtures/pkgdb/rpm/ndb-sle15-bci/Packages.db"),
        ),
        (
            "var/lib/rpm/Packages",
            read_shared("fixtures/pkgdb/rpm/bdb-libuuid/Packages"),
        ),
        (
            "etc/os-release",
            read_shared("fixtures/pkgdb/os-release/debian-12/os-release"),
        ),
        (
            "usr/share/doc/x/copyright",
            b"Format: x\nLicense: GPL-2+\n see /usr/share/common-licenses/GPL-2\n".to_vec(),
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), which in 0usize..7) {
        let (path, _) = &targets()[which];
        let _ = try_analyze(path, &bytes);
        let mut squashed = one_layer(&[]);
        if let Ok(facts) = try_analyze(path, &bytes) {
            squashed.facts = crate::common::located(0, true, facts);
        }
        let _ = resolve(&squashed);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..7,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..32),
        cut in any::<prop::sample::Index>(),
    ) {
        let (path, mut bytes) = targets().swap_remove(which);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let len = bytes.len();
        bytes.truncate(len - cut.index(len / 4 + 1));
        let _ = try_analyze(path, &bytes);
    }

    #[test]
    fn mutated_rpm_headers_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let mut blob = simple_header("fuzzed");
        for (at, value) in edits {
            let i = at.index(blob.len());
            blob[i] = value;
        }
        let found = packages("var/lib/rpm/Packages.db", &ndb(&[blob])).unwrap();
        prop_assert!(found.len() <= 1);
    }
}
