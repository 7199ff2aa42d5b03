use osprey_model::{Package, SecretFinding};
use serde::{Deserialize, Serialize};

/// What an analyzer is told about a file before and while reading it.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    /// Normalised path (`usr/lib/os-release`, no leading `/`).
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Unix mode bits.
    pub mode: u32,
}

/// How many leading bytes of a wanted file [`Analyzer::wants_content`] is shown (the whole
/// file when it is shorter). As many as git and grep sniff for binary content.
pub const HEAD_LEN: usize = 8000;

/// A file analyzer: declares the paths it wants, then parses their bytes.
///
/// One walk of each layer calls [`Analyzer::wants`] for every regular file (and symlink); the
/// walker reads a wanted file once and hands the same bytes to every analyzer that wanted it.
/// Results are cached per layer, keyed by the layer's diff_id and every analyzer's
/// [`name`](Analyzer::name) and [`version`](Analyzer::version), so `version` must change
/// whenever the output for the same bytes would.
pub trait Analyzer: Send + Sync {
    /// Stable, unique name (`dpkg`, `python-dist-info`, `secrets`).
    fn name(&self) -> &'static str;

    /// Output version; bump it when the facts produced for the same input change.
    fn version(&self) -> u32;

    /// Cheap test on path and metadata; called for every file of every layer, so it must not
    /// allocate in the common "no" case.
    fn wants(&self, file: &FileMeta<'_>) -> bool;

    /// Largest file this analyzer wants to read in full. Bigger wanted files are reported as
    /// skipped (never silently ignored).
    fn max_size(&self) -> u64 {
        64 << 20
    }

    /// Second look at a wanted file, at its first [`HEAD_LEN`] bytes, before the rest is read:
    /// `false` when the start already shows there is nothing here for this analyzer (a binary
    /// for a text scanner, a script for an ELF reader). Such a file is never copied for it and
    /// yields no facts and no skip, so `analyze` must produce nothing for content it declines.
    fn wants_content(&self, head: &[u8]) -> bool {
        let _ = head;
        true
    }

    /// Parses one wanted file. An error is recorded against the file and layer and does not
    /// stop the scan.
    fn analyze(&self, file: &FileMeta<'_>, content: &[u8]) -> Result<Vec<Fact>, AnalyzerError>;
}

/// A failure of one analyzer on one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct AnalyzerError {
    /// What went wrong, with the line or field at fault where known.
    pub message: String,
}

impl AnalyzerError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        AnalyzerError {
            message: message.into(),
        }
    }
}

/// One thing an analyzer learned from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// The analyzer that produced it.
    pub analyzer: String,
    /// The file it came from.
    pub path: String,
    /// What was learned.
    pub kind: FactKind,
}

/// The payload of a [`Fact`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FactKind {
    /// Packages the file declares. `location.path` is set by the analyzer; `location.layer`
    /// is filled in by the squash.
    Packages(Vec<Package>),
    /// The file's bytes, kept for resolution after the squash (e.g. `os-release`, which may be
    /// a symlink to a file of another layer). Cached as one hex string: as a JSON array of
    /// numbers, a layer's copyright files dominated the time of a warm rescan.
    Content(#[serde(with = "hex_bytes")] Vec<u8>),
    /// Secrets in the file (location's layer and `in_final_fs` are filled in by the squash).
    Secrets(Vec<SecretFinding>),
}

/// Serde adapter writing bytes as one lowercase hex string.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        hex::decode(text.as_bytes()).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_cached_as_a_hex_string_and_round_trips() {
        let fact = Fact {
            analyzer: "os-release".into(),
            path: "etc/os-release".into(),
            kind: FactKind::Content(b"ID=debian\n\xff".to_vec()),
        };
        let json = serde_json::to_value(&fact).unwrap();
        assert_eq!(json["kind"]["value"], "49443d64656269616e0aff");
        assert_eq!(serde_json::from_value::<Fact>(json).unwrap(), fact);
        let odd = serde_json::json!({"analyzer": "a", "path": "p",
            "kind": {"type": "content", "value": "abc"}});
        assert!(serde_json::from_value::<Fact>(odd).is_err());
    }
}
