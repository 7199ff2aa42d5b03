//! Errors, each naming the file and, where it applies, the line.

use std::path::PathBuf;

/// A scan error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a file or directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A Dockerfile could not be parsed.
    #[error("{file}:{line}: Dockerfile: {message}")]
    Dockerfile {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A YAML or JSON document could not be loaded (syntax, or a limit against hostile input).
    #[error("{file}:{line}:{column}: {message}")]
    Yaml {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The input is larger than the limit.
    #[error("{file}: {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// File name.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An option value is invalid.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}
