//! `osprey db update` and `osprey db info` end to end: an OSV-style mirror built from the
//! shared advisory data, served by a real HTTP server on 127.0.0.1 (or read from a directory),
//! including servers that break off and archives that are corrupt or hostile. After every
//! failure the previous store must still open with the same content.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn vulndata() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata"
    ));
    assert!(
        dir.is_dir(),
        "shared data folder missing: expected {}",
        dir.display()
    );
    dir
}

/// A Debian-ecosystem record as OSV publishes them. Its fix is newer than the glibc of the
/// distroless fixture, so a scan with the updated store must report it there.
const DEBIAN_RECORD: &str = r#"{"id":"DEBIAN-CVE-2023-4911","modified":"2023-10-03T00:00:00Z",
 "upstream":["CVE-2023-4911"],"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},
 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u99"}]}]}]}"#;

/// A zip entry: name and content.
type Entry = (String, Vec<u8>);

/// A zip of `(name, bytes)` entries, deflated.
fn zip_of(entries: &[Entry]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

/// `<Ecosystem>/all.zip` from the JSON records of `osv/<dir>/` (flat, one record per file).
fn ecosystem_zip(dir: &str) -> Vec<u8> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(vulndata().join("osv").join(dir)).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            entries.push((name, std::fs::read(&path).unwrap()));
        }
    }
    entries.sort();
    zip_of(&entries)
}

/// The mirror used by most tests: npm (51 records), crates.io (1,206) and one Debian record.
fn mirror_files() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        ("npm/all.zip".to_owned(), ecosystem_zip("npm")),
        ("crates.io/all.zip".to_owned(), ecosystem_zip("crates.io")),
        (
            "Debian/all.zip".to_owned(),
            zip_of(&[(
                "DEBIAN-CVE-2023-4911.json".into(),
                DEBIAN_RECORD.as_bytes().to_vec(),
            )]),
        ),
    ])
}

const MIRROR_RECORDS: u64 = 51 + 1206 + 1;

/// How the server answers one path.
#[derive(Clone)]
enum Answer {
    Full(Vec<u8>),
    /// Announces the full length, sends `n` bytes, closes the connection.
    BreaksAfter(Vec<u8>, usize),
}

/// An HTTP/1.1 server on 127.0.0.1 answering GETs from `routes` (404 otherwise), one
/// connection at a time, `Connection: close`. Returns the base URL and the request log.
fn serve(routes: BTreeMap<String, Answer>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request.split(' ').nth(1).unwrap_or("/").to_owned();
            seen.lock().unwrap().push(path.clone());
            let (body, send) = match routes.get(path.trim_start_matches('/')) {
                Some(Answer::Full(b)) => (b.clone(), b.len()),
                Some(Answer::BreaksAfter(b, n)) => (b.clone(), *n),
                None => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                }
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[..send]);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    });
    (base, log)
}

fn full(files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Answer> {
    files
        .into_iter()
        .map(|(k, v)| (k, Answer::Full(v)))
        .collect()
}

fn osprey(args: &[&str], db: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("OSPREY_DB_MIRROR")
        .env_remove("OSPREY_DB")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `db info --format json` with the age left out (it changes by the second).
fn info(db: &Path) -> serde_json::Value {
    let out = osprey(&["db", "info", "--format", "json"], db);
    assert!(out.status.success(), "{}", text(&out));
    let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc.as_object_mut().unwrap().remove("age_seconds");
    doc
}

fn entries(info: &serde_json::Value, kind: &str, name: &str) -> Option<u64> {
    info["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind && s["name"] == name)
        .map(|s| s["entries"].as_u64().unwrap())
}

/// A store updated from a healthy HTTP mirror, for the failure tests to try to break.
fn updated_store(dir: &Path) -> (PathBuf, serde_json::Value) {
    let (base, _) = serve(full(mirror_files()));
    let db = dir.join("osprey.db");
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(out.status.success(), "{}", text(&out));
    let before = info(&db);
    (db, before)
}

/// The directory holds the store and nothing else: no temporary left behind.
fn only_the_store(dir: &Path) {
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["osprey.db"], "leftovers in {}", dir.display());
}

#[test]
fn update_from_an_http_mirror_then_info() {
    let dir = tempfile::tempdir().unwrap();
    let (base, log) = serve(full(mirror_files()));
    let db = dir.path().join("sub/osprey.db");
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{MIRROR_RECORDS} OSV records")),
        "{}",
        text(&out)
    );
    // The ecosystems this mirror lacks are a warning, not an error.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no archive for") && stderr.contains("PyPI"),
        "{stderr}"
    );
    let requested = log.lock().unwrap().clone();
    assert!(
        requested.contains(&"/ecosystems.txt".to_owned()),
        "{requested:?}"
    );
    assert!(
        requested.contains(&"/crates.io/all.zip".to_owned()),
        "{requested:?}"
    );

    let info = info(&db);
    assert_eq!(info["schema_version"], "1");
    assert_eq!(info["built_from"], base.as_str());
    assert_eq!(info["osv_records"], MIRROR_RECORDS);
    assert_eq!(entries(&info, "osv", "npm"), Some(51));
    assert_eq!(entries(&info, "osv", "crates.io"), Some(1206));
    assert_eq!(entries(&info, "osv", "Debian:12"), Some(1));
    let store = osprey_vulndb::Store::open(&db).unwrap();
    let glibc = store.osv_for("Debian:12", "glibc").unwrap();
    assert_eq!(glibc.len(), 1);
    assert_eq!(glibc[0].id, "DEBIAN-CVE-2023-4911");
    let smallvec: Vec<String> = store
        .osv_for("crates.io", "smallvec")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(
        smallvec.contains(&"RUSTSEC-2021-0003".to_owned()),
        "{smallvec:?}"
    );

    // The table form names the same things.
    let out = osprey(&["db", "info"], &db);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    for want in [
        "schema version: 1",
        "crates.io",
        "1206 records",
        "Debian:12",
        " ago)",
    ] {
        assert!(table.contains(want), "{want:?} missing:\n{table}");
    }
}

#[test]
fn ecosystems_txt_limits_what_is_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = mirror_files();
    files.insert("ecosystems.txt".into(), b"npm\nGo\n".to_vec());
    let (base, log) = serve(full(files));
    let db = dir.path().join("osprey.db");
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(out.status.success(), "{}", text(&out));
    let requested = log.lock().unwrap().clone();
    // Listed and present, listed and absent (404, a warning): only those two are asked for.
    assert_eq!(
        requested,
        ["/ecosystems.txt", "/Go/all.zip", "/npm/all.zip"],
        "{}",
        text(&out)
    );
    assert_eq!(info(&db)["osv_records"], 51);
}

#[test]
fn a_server_that_breaks_off_leaves_the_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = updated_store(dir.path());
    let mut routes = full(mirror_files());
    let crates = mirror_files().remove("crates.io/all.zip").unwrap();
    let half = crates.len() / 2;
    routes.insert(
        "crates.io/all.zip".into(),
        Answer::BreaksAfter(crates.clone(), half),
    );
    let (base, log) = serve(routes);
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("crates.io/all.zip")
            && stderr.contains(&format!("{half} of {} bytes", crates.len()))
            && stderr.contains("gave up after 3 attempts")
            && stderr.contains("previous store, if any, is unchanged"),
        "{stderr}"
    );
    let tries = log
        .lock()
        .unwrap()
        .iter()
        .filter(|p| *p == "/crates.io/all.zip")
        .count();
    assert_eq!(tries, 3, "retried");
    assert_eq!(info(&db), before);
    only_the_store(dir.path());
}

#[test]
fn a_corrupt_archive_leaves_the_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = updated_store(dir.path());
    let mut files = mirror_files();
    // A real archive with its central directory cut off: the body arrives whole, as announced.
    let crates = files.get_mut("crates.io/all.zip").unwrap();
    crates.truncate(crates.len() - 200);
    let (base, _) = serve(full(files));
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("archive")
            && stderr.contains("crates.io/all.zip")
            && stderr.contains("not a readable zip"),
        "{stderr}"
    );
    assert_eq!(info(&db), before);
    only_the_store(dir.path());
}

/// Writes a directory mirror; returns its path.
fn dir_mirror(root: &Path, files: &BTreeMap<String, Vec<u8>>) -> PathBuf {
    let mirror = root.join("mirror");
    for (name, bytes) in files {
        let path = mirror.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::create_dir_all(&mirror).unwrap();
    mirror
}

#[test]
fn a_directory_mirror_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir_mirror(dir.path(), &mirror_files());
    let db = dir.path().join("db/osprey.db");
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["db", "update", "--db"])
        .arg(&db)
        .env("OSPREY_DB_MIRROR", &mirror)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let info = info(&db);
    assert_eq!(info["osv_records"], MIRROR_RECORDS);
    assert_eq!(info["built_from"], mirror.display().to_string());
}

#[test]
fn hostile_archives_are_refused_and_the_old_store_stays() {
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = updated_store(dir.path());
    let record = br#"{"id":"GHSA-xxxx-xxxx-xxxx","affected":[]}"#.to_vec();
    let cases: [(&str, Vec<Entry>, &str); 3] = [
        (
            "zip-slip",
            vec![("../../escaped.json".into(), record.clone())],
            "unsafe entry name \"../../escaped.json\"",
        ),
        (
            "absolute",
            vec![("/tmp/escaped.json".into(), record.clone())],
            "unsafe entry name \"/tmp/escaped.json\"",
        ),
        (
            // 80 MiB of spaces (valid JSON padding) deflate to about 80 KiB.
            "bomb",
            vec![("GHSA-bomb.json".into(), {
                let mut b = record.clone();
                b.resize(80 << 20, b' ');
                b
            })],
            "inflates to 83886",
        ),
    ];
    for (what, entries, want) in cases {
        let mut files = mirror_files();
        files.insert("npm/all.zip".into(), zip_of(&entries));
        let case_dir = dir.path().join(what);
        let mirror = dir_mirror(&case_dir, &files);
        let out = osprey(&["db", "update", "--mirror", mirror.to_str().unwrap()], &db);
        assert!(!out.status.success(), "{what}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{what}: {stderr}");
        assert!(!case_dir.join("escaped.json").exists());
        assert!(!Path::new("/tmp/escaped.json").exists());
        assert_eq!(info(&db), before, "{what}");
        std::fs::remove_dir_all(&case_dir).unwrap();
    }
    only_the_store(dir.path());
}

#[test]
fn a_mirror_without_any_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("empty");
    std::fs::create_dir_all(&mirror).unwrap();
    let db = dir.path().join("osprey.db");
    let out = osprey(&["db", "update", "--mirror", mirror.to_str().unwrap()], &db);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("none of the ecosystems osprey matches"),
        "{stderr}"
    );
    assert!(!db.exists());
    let out = osprey(&["db", "update", "--mirror", "ftp://example.invalid"], &db);
    assert!(String::from_utf8_lossy(&out.stderr).contains("only http://"));
}

#[test]
fn info_on_a_missing_store_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = osprey(&["db", "info"], &dir.path().join("nothing.db"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing.db") && stderr.contains("db update"),
        "{stderr}"
    );
}

#[test]
#[ignore = "slow: the whole shared OSV data set (8,209 records) through an HTTP mirror"]
fn every_shared_osv_record_arrives_through_a_mirror() {
    // PyPI is stored as YAML; OSV's archives hold JSON, so it is converted here.
    let mut pypi = Vec::new();
    let mut stack = vec![vulndata().join("osv/PyPI")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                let (record, json) = osprey_vulndb::parse_osv_for_store(&path, &text).unwrap();
                pypi.push((format!("{}.json", record.id), json.into_bytes()));
            }
        }
    }
    pypi.sort();
    let files = BTreeMap::from([
        ("npm/all.zip".to_owned(), ecosystem_zip("npm")),
        ("crates.io/all.zip".to_owned(), ecosystem_zip("crates.io")),
        ("Go/all.zip".to_owned(), ecosystem_zip("Go")),
        ("PyPI/all.zip".to_owned(), zip_of(&pypi)),
    ]);
    let (base, _) = serve(full(files));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("osprey.db");
    let out = osprey(&["db", "update", "--mirror", &base], &db);
    assert!(out.status.success(), "{}", text(&out));
    let info = info(&db);
    assert_eq!(info["osv_records"], 8_209);
    assert_eq!(entries(&info, "osv", "Go"), Some(4_291));
    assert_eq!(entries(&info, "osv", "PyPI"), Some(2_661));
}

#[test]
#[ignore = "slow: scans the distroless fixture image with a store made by db update"]
fn a_scan_uses_the_updated_store() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = updated_store(dir.path());
    let image = vulndata().join("../images/out/distroless-base/distroless-base.docker.tar");
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .arg("image")
        .arg(format!("docker-archive:{}", image.display()))
        .args([
            "--scanners",
            "vuln",
            "--format",
            "json",
            "--no-cache",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, String, String)> = report["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Vulnerabilities"].as_array().cloned().unwrap_or_default())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (s("PkgName"), s("VulnerabilityID"), s("FixedVersion"))
        })
        .collect();
    assert!(
        found.iter().any(|(pkg, id, fixed)| pkg == "libc6"
            && id.ends_with("CVE-2023-4911")
            && fixed == "2.36-9+deb12u99"),
        "{found:?}"
    );
}
