//! Runs every line of every file in `shared/vulndata/version-vectors/` (osv-scalibr's
//! `semantic/testdata`) through its scheme, in both directions.

use std::cmp::Ordering;
use std::path::PathBuf;

use osprey_version::Scheme;

fn vectors_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vulndata/version-vectors"
    ));
    assert!(
        dir.is_dir(),
        "shared data folder missing: expected {} (the read-only `shared` checkout beside the worktree)",
        dir.display()
    );
    dir
}

/// The schemes a vector file is run through, from its name.
fn schemes_for(file: &str) -> &'static [Scheme] {
    match file.split('-').next().unwrap_or_default() {
        "alpine" => &[Scheme::Apk],
        "cran" => &[Scheme::Cran],
        "debian" => &[Scheme::Dpkg],
        "hackage" => &[Scheme::Hackage],
        "maven" => &[Scheme::Maven],
        "nuget" => &[Scheme::NuGet],
        "packagist" => &[Scheme::Composer],
        "pub" => &[Scheme::Pub],
        "pypi" => &[Scheme::Pep440],
        "redhat" => &[Scheme::Rpm],
        "rubygems" => &[Scheme::RubyGems],
        // osv-scalibr runs this file for npm, crates.io, Go and Hex.
        "semver" => &[Scheme::Semver, Scheme::Go],
        _ => &[],
    }
}

fn expected(op: &str) -> Option<Ordering> {
    match op {
        "<" => Some(Ordering::Less),
        "=" => Some(Ordering::Equal),
        ">" => Some(Ordering::Greater),
        _ => None,
    }
}

#[test]
fn every_vector_passes() {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("read version-vectors")
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 19, "expected the 19 osv-scalibr vector files");
    let mut failures = Vec::new();
    let mut total = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let schemes = schemes_for(&name);
        assert!(!schemes.is_empty(), "{name}: no scheme covers this file");
        let text = std::fs::read_to_string(path).expect("read vector file");
        for &scheme in schemes {
            let mut passed = 0;
            for (index, line) in text.lines().enumerate() {
                // The upstream runner skips exactly these; `-class…` lines are data.
                if line.is_empty() || line.starts_with("# ") || line.starts_with("// ") {
                    continue;
                }
                let fields: Vec<&str> = line.split(' ').collect();
                let [a, op, b] = fields[..] else {
                    panic!("{name}:{}: malformed line {line:?}", index + 1);
                };
                let want = expected(op)
                    .unwrap_or_else(|| panic!("{name}:{}: bad operator {op:?}", index + 1));
                let got = osprey_version::compare(scheme, a, b);
                let back = osprey_version::compare(scheme, b, a);
                match (got, back) {
                    (Ok(g), Ok(r)) if g == want && r == want.reverse() => passed += 1,
                    (got, back) => failures.push(format!(
                        "{name}:{} [{scheme}] {line}: got {got:?}, reversed {back:?}",
                        index + 1
                    )),
                }
            }
            println!("{name:36} {scheme:8} {passed:6} passed");
            total += passed;
        }
    }
    println!("total: {total} comparisons passed (each checked both ways)");
    assert!(
        failures.is_empty(),
        "{} vector failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
