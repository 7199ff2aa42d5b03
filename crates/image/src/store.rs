//! Where the files of a layout or archive live: a directory, or the members of a tar file read
//! in place. The tar is indexed once (member name -> offset and size) and each read seeks to
//! the member; nothing is extracted.

use crate::Error;
use crate::path::{normalise, split_parent};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How many symlinks inside an archive are followed to reach a member.
const MAX_MEMBER_LINKS: usize = 16;

/// Read access to the files of an image layout or archive, by normalised relative path.
pub(crate) trait Store: Send + Sync {
    /// Opens a file; the size is returned when known without reading.
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Error>;
    /// Whether the file exists.
    fn contains(&self, path: &str) -> bool;
    /// Names a file for messages: `/x/oci/index.json` or `index.json in /x/app.tar`.
    fn describe(&self, path: &str) -> String;
}

/// A directory on disk.
pub(crate) struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub(crate) fn new(root: &Path) -> DirStore {
        DirStore {
            root: root.to_path_buf(),
        }
    }
}

impl Store for DirStore {
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Error> {
        let full = self.root.join(path);
        let io = |source| Error::Io {
            path: full.clone(),
            source,
        };
        let file = File::open(&full).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Error::Malformed {
                what: full.display().to_string(),
                reason: "not a regular file".into(),
            });
        }
        Ok((Box::new(BufReader::new(file)), meta.len()))
    }

    fn contains(&self, path: &str) -> bool {
        self.root.join(path).is_file()
    }

    fn describe(&self, path: &str) -> String {
        self.root.join(path).display().to_string()
    }
}

/// One indexed member of a tar file.
#[derive(Debug, Clone)]
enum Member {
    /// A regular file: where its data starts and how long it is.
    File { offset: u64, size: u64 },
    /// A symlink or hardlink to another member (normalised path).
    Link(String),
}

/// A tar file whose members are read in place.
pub(crate) struct TarStore {
    file: PathBuf,
    members: HashMap<String, Member>,
}

impl TarStore {
    /// Indexes the members of `file`, seeking past their contents.
    pub(crate) fn index(file: &Path) -> Result<TarStore, Error> {
        let io = |source| Error::Io {
            path: file.to_path_buf(),
            source,
        };
        let bad = |reason: String| Error::Malformed {
            what: format!("archive {}", file.display()),
            reason,
        };
        let handle = File::open(file).map_err(io)?;
        let mut archive = tar::Archive::new(handle);
        let mut members = HashMap::new();
        for entry in archive
            .entries_with_seek()
            .map_err(|e| bad(format!("not a tar file: {e}")))?
        {
            let entry = entry.map_err(|e| bad(format!("not a readable tar file: {e}")))?;
            let name = normalise(&String::from_utf8_lossy(&entry.path_bytes())).path;
            let link = || {
                entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default()
            };
            let member = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                // Symlinks are relative to the member's directory, hardlinks to the root.
                tar::EntryType::Symlink => {
                    let (dir, _) = split_parent(&name);
                    let target = link();
                    let joined = if target.starts_with('/') {
                        target
                    } else {
                        format!("{dir}/{target}")
                    };
                    Member::Link(normalise(&joined).path)
                }
                tar::EntryType::Link => Member::Link(normalise(&link()).path),
                _ => continue,
            };
            members.insert(name, member);
        }
        if members.is_empty() {
            return Err(bad("no files in the archive (not a tar file?)".into()));
        }
        Ok(TarStore {
            file: file.to_path_buf(),
            members,
        })
    }

    /// Follows member links to a file.
    fn locate(&self, path: &str) -> Result<(u64, u64), Error> {
        let mut current = path;
        for _ in 0..=MAX_MEMBER_LINKS {
            match self.members.get(current) {
                Some(Member::File { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(target)) => current = target,
                None => {
                    return Err(Error::Malformed {
                        what: format!("archive {}", self.file.display()),
                        reason: format!("it has no member {path:?}"),
                    });
                }
            }
        }
        Err(Error::Malformed {
            what: format!("archive {}", self.file.display()),
            reason: format!("member {path:?} is a chain of links that does not end"),
        })
    }
}

impl Store for TarStore {
    fn open(&self, path: &str) -> Result<(Box<dyn Read + Send + '_>, u64), Error> {
        let (offset, size) = self.locate(path)?;
        let io = |source| Error::Io {
            path: self.file.clone(),
            source,
        };
        let mut handle = File::open(&self.file).map_err(io)?;
        handle.seek(SeekFrom::Start(offset)).map_err(io)?;
        Ok((Box::new(BufReader::new(handle.take(size))), size))
    }

    fn contains(&self, path: &str) -> bool {
        self.locate(path).is_ok()
    }

    fn describe(&self, path: &str) -> String {
        format!("{path} in {}", self.file.display())
    }
}
