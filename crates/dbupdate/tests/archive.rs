//! The archive reader's bounds, each tripped by a real zip just past it.

use std::io::Write;

use osprey_dbupdate::archive::{Limits, for_each_record};

/// A zip entry: name and content.
type Entry<'a> = (&'a str, &'a [u8]);

fn file_of(bytes: &[u8]) -> std::fs::File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, opts).unwrap();
        } else {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(bytes).unwrap();
        }
    }
    zip.finish().unwrap();
    out.into_inner()
}

fn zip_file(entries: &[(&str, &[u8])]) -> std::fs::File {
    file_of(&zip_bytes(entries))
}

fn read(file: std::fs::File, limits: &Limits) -> Result<Vec<(String, String)>, String> {
    let mut seen = Vec::new();
    for_each_record(file, "test.zip", limits, |name, text| {
        seen.push((name.to_owned(), text.to_owned()));
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(seen)
}

const SMALL: Limits = Limits {
    max_entries: 3,
    max_entry_bytes: 100,
    max_total_bytes: 150,
};

#[test]
fn reads_json_entries_and_skips_the_rest() {
    let file = zip_file(&[
        ("dir/", b""),
        ("dir/A.json", b"{\"id\":\"A\"}"),
        ("README.txt", b"not a record"),
    ]);
    let seen = read(file, &SMALL).unwrap();
    assert_eq!(
        seen,
        [("dir/A.json".to_owned(), "{\"id\":\"A\"}".to_owned())]
    );
}

#[test]
fn each_bound_is_enforced() {
    let entry = [b' '; 80];
    let cases: [(Vec<Entry>, &str); 5] = [
        (
            vec![
                ("a.json", b"{}"),
                ("b.json", b"{}"),
                ("c.json", b"{}"),
                ("d.json", b"{}"),
            ],
            "4 entries, more than the limit of 3",
        ),
        (vec![("a.json", &[b' '; 101])], "inflates to 101 bytes"),
        (
            vec![("a.json", &entry), ("b.json", &entry)],
            "past the archive limit of 150",
        ),
        (vec![("x/../../a.json", b"{}")], "unsafe entry name"),
        (vec![("a.json", b"\xff\xfe")], "not UTF-8"),
    ];
    for (entries, want) in cases {
        let err = read(zip_file(&entries), &SMALL).unwrap_err();
        assert!(
            err.contains(want) && err.contains("test.zip"),
            "{want}: {err}"
        );
    }
}

#[test]
fn garbage_and_truncated_archives_are_errors() {
    let err = read(file_of(b"<html>not found</html>"), &SMALL).unwrap_err();
    assert!(err.contains("not a readable zip archive"), "{err}");

    // A deflated entry whose data was damaged after writing: it no longer inflates to what
    // its CRC says.
    let mut bytes = zip_bytes(&[("a.json", &[b'x'; 90])]);
    let data_start = 30 + "a.json".len();
    for b in &mut bytes[data_start..data_start + 4] {
        *b ^= 0x5a;
    }
    let err = read(file_of(&bytes), &SMALL).unwrap_err();
    assert!(err.contains("entry a.json"), "{err}");

    // The central directory cut off.
    let bytes = zip_bytes(&[("a.json", b"{}")]);
    let err = read(file_of(&bytes[..bytes.len() - 10]), &SMALL).unwrap_err();
    assert!(err.contains("not a readable zip archive"), "{err}");
}
