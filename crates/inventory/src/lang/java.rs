//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.jpi`/`.hpi`): Maven coordinates from
//! `META-INF/maven/**/pom.properties`, else from `META-INF/MANIFEST.MF`, in the archive and in
//! the archives nested in it.
//!
//! Archives are untrusted: nesting is bounded ([`MAX_DEPTH`]), and so is the total number of
//! bytes decompressed for one file ([`MAX_DECOMPRESSED`]) — a zip bomb is an error, not an
//! out-of-memory.

use super::packages_fact;
use osprey_model::{Ecosystem, Package};
use osprey_scan::{Analyzer, AnalyzerError, Fact, FileMeta};
use std::io::{Cursor, Read};

/// Reads Java archives.
pub(crate) struct JarAnalyzer;

/// Archives nested deeper than this (the file itself is depth 0) are an error: EAR -> WAR ->
/// JAR is 2.
pub(crate) const MAX_DEPTH: usize = 4;
/// Bytes decompressed across one file and everything nested in it.
pub(crate) const MAX_DECOMPRESSED: u64 = 512 << 20;
/// Largest manifest or `pom.properties` read.
const MAX_METADATA: u64 = 1 << 20;

const ARCHIVE_EXTENSIONS: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

fn is_archive(name: &str) -> bool {
    ARCHIVE_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

impl Analyzer for JarAnalyzer {
    fn name(&self) -> &'static str {
        "jar"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileMeta<'_>) -> bool {
        is_archive(file.path)
    }

    fn max_size(&self) -> u64 {
        256 << 20
    }

    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError> {
        let mut walk = Walk {
            budget: MAX_DECOMPRESSED,
            packages: Vec::new(),
        };
        walk.archive(content, file.path, 0)
            .map_err(|e| AnalyzerError::new(format!("{}: {e}", file.path)))?;
        let mut packages = walk.packages;
        for p in &mut packages {
            p.location.path = file.path.to_string();
        }
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(packages_fact(self.name(), file.path, packages))
    }
}

struct Walk {
    budget: u64,
    packages: Vec<Package>,
}

impl Walk {
    /// Reads at most `limit` bytes of an entry, charging them to the budget.
    fn read(&mut self, entry: &mut impl Read, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let cap = limit.min(self.budget);
        let mut out = Vec::new();
        entry
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("{name}: {e}"))?;
        let read = out.len() as u64;
        if read > cap {
            return Err(if cap == self.budget {
                format!("{name}: decompressed data exceeds {MAX_DECOMPRESSED} bytes (zip bomb?)")
            } else {
                format!("{name}: larger than {limit} bytes")
            });
        }
        self.budget -= read;
        Ok(out)
    }

    fn archive(&mut self, data: &[u8], label: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "{label}: archives nested more than {MAX_DEPTH} deep"
            ));
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(data))
            .map_err(|e| format!("{label}: not a readable zip archive: {e}"))?;
        let mut manifest = None;
        let mut found_pom = false;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| format!("{label}: entry {i}: {e}"))?;
            if entry.is_dir() {
                continue;
            }
            let name = entry
                .name()
                .map_err(|e| format!("{label}: entry {i} name: {e}"))?
                .to_string();
            let inner = format!("{label}!{name}");
            if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                let bytes = self.read(&mut entry, &inner, MAX_METADATA)?;
                if let Some(p) = from_pom_properties(&String::from_utf8_lossy(&bytes)) {
                    self.packages.push(p);
                    found_pom = true;
                }
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                let bytes = self.read(&mut entry, &inner, MAX_METADATA)?;
                manifest = Some(String::from_utf8_lossy(&bytes).into_owned());
            } else if is_archive(&name) {
                let bytes = self.read(&mut entry, &inner, MAX_DECOMPRESSED)?;
                drop(entry);
                self.archive(&bytes, &inner, depth + 1)?;
            }
        }
        if !found_pom && let Some(p) = manifest.as_deref().and_then(from_manifest) {
            self.packages.push(p);
        }
        Ok(())
    }
}

fn jar_package(group: &str, artifact: &str, version: &str) -> Package {
    let mut p = Package::new(Ecosystem::Maven, format!("{group}:{artifact}"), version);
    p.pkg_type = "jar".to_string();
    p
}

/// `groupId`, `artifactId` and `version` of a `pom.properties` (Java properties, `#` comments).
fn from_pom_properties(text: &str) -> Option<Package> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with(['#', '!']) {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "groupId" => group = Some(value),
            "artifactId" => artifact = Some(value),
            "version" => version = Some(value),
            _ => {}
        }
    }
    let (group, artifact, version) = (group?, artifact?, version?);
    (!group.is_empty() && !artifact.is_empty() && !version.is_empty())
        .then(|| jar_package(group, artifact, version))
}

/// Coordinates from manifest attributes, when they name a group, an artifact and a version.
fn from_manifest(text: &str) -> Option<Package> {
    let attr = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key)
                .then(|| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    let version = attr("Implementation-Version").or_else(|| attr("Bundle-Version"))?;
    let group = attr("Implementation-Vendor-Id")?;
    // Titles are often prose ("Apache Commons IO"); only an identifier-like one can be an
    // artifact ID.
    let artifact = attr("Implementation-Title")?;
    if artifact.contains(char::is_whitespace) || group.contains(char::is_whitespace) {
        return None;
    }
    Some(jar_package(&group, &artifact, &version))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    /// A zip archive holding `entries` (name, bytes), deflated.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            zip.start_file(*name, options).expect("in memory");
            zip.write_all(bytes).expect("in memory");
        }
        zip.finish().expect("in memory").into_inner()
    }

    fn pom(group: &str, artifact: &str, version: &str) -> Vec<u8> {
        format!("#Generated by Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n")
            .into_bytes()
    }

    fn run(bytes: &[u8]) -> Result<Vec<Package>, AnalyzerError> {
        let facts = JarAnalyzer.analyze(
            &FileMeta {
                path: "app/lib/app.war",
                size: bytes.len() as u64,
                mode: 0o644,
            },
            bytes,
        )?;
        Ok(facts
            .into_iter()
            .flat_map(|f| match f.kind {
                osprey_scan::FactKind::Packages(p) => p,
                _ => Vec::new(),
            })
            .collect())
    }

    #[test]
    fn pom_properties_in_the_archive_and_nested_archives() {
        let log4j = zip_of(&[(
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            &pom("org.apache.logging.log4j", "log4j-core", "2.14.1"),
        )]);
        let manifest_only = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: commons-io\nImplementation-Version: 2.6\nImplementation-Vendor-Id: commons-io\n",
        )]);
        let war = zip_of(&[
            (
                "META-INF/maven/com.example/app/pom.properties",
                &pom("com.example", "app", "1.0"),
            ),
            ("WEB-INF/lib/log4j-core-2.14.1.jar", &log4j),
            ("WEB-INF/lib/commons-io-2.6.jar", &manifest_only),
            ("WEB-INF/lib/notes.txt", b"not an archive"),
        ]);
        let ids: Vec<String> = run(&war).expect("parses").iter().map(Package::id).collect();
        assert_eq!(
            ids,
            [
                "com.example:app@1.0",
                "commons-io:commons-io@2.6",
                "org.apache.logging.log4j:log4j-core@2.14.1"
            ]
        );
        let all = run(&war).expect("parses");
        assert!(
            all.iter()
                .all(|p| p.location.path == "app/lib/app.war" && p.pkg_type == "jar")
        );
    }

    #[test]
    fn prose_manifest_titles_are_not_artifacts() {
        let jar = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Implementation-Title: Apache Commons IO\nImplementation-Version: 2.6\nImplementation-Vendor-Id: org.apache\n",
        )]);
        assert!(run(&jar).expect("parses").is_empty());
    }

    #[test]
    fn zip_bomb_is_an_error() {
        // 600 MiB of zeros deflates to well under 1 MiB; the nested read must stop at the
        // budget instead of allocating it all.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("BOOT-INF/lib/bomb.jar", options)
            .expect("in memory");
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..600 {
            zip.write_all(&chunk).expect("in memory");
        }
        let bomb = zip.finish().expect("in memory").into_inner();
        assert!(bomb.len() < 4 << 20, "bomb is {} bytes", bomb.len());
        let err = run(&bomb).unwrap_err();
        assert!(err.message.contains("zip bomb"), "{err}");
        assert!(err.message.starts_with("app/lib/app.war"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let mut archive = zip_of(&[("META-INF/maven/g/a/pom.properties", &pom("g", "a", "1"))]);
        for _ in 0..=MAX_DEPTH {
            archive = zip_of(&[("lib/inner.jar", &archive)]);
        }
        let err = run(&archive).unwrap_err();
        assert!(err.message.contains("nested more than"), "{err}");
    }

    #[test]
    fn corrupt_archives_are_errors() {
        assert!(
            run(b"PK\x03\x04 truncated")
                .unwrap_err()
                .message
                .contains("not a readable zip")
        );
        let mut good = zip_of(&[("META-INF/maven/g/a/pom.properties", &pom("g", "a", "1"))]);
        let len = good.len();
        good.truncate(len - 10);
        assert!(run(&good).is_err());
    }
}
