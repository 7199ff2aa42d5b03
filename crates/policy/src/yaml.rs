//! Loading YAML (and JSON) documents as JSON values, with errors naming the file.

use crate::Error;
use serde_json::Value;
use std::path::Path;

/// Every non-empty document of a YAML or JSON file.
pub fn load_documents(path: &Path) -> Result<Vec<Value>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse_documents(&text).map_err(|reason| Error::Parse {
        path: path.to_path_buf(),
        reason,
    })
}

/// Every non-empty document of YAML (or JSON) text.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Exactly one document.
pub fn load_one(path: &Path) -> Result<Value, Error> {
    let mut docs = load_documents(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        n => Err(Error::Parse {
            path: path.to_path_buf(),
            reason: format!("expected one YAML document, found {n}"),
        }),
    }
}
