//! Finding and reading input files, and writing outputs atomically.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, SourceDb};
use crate::syntax;

/// A file that could not be read or written: exit status 2, not a diagnostic.
#[derive(Debug)]
pub struct IoError {
    pub path: PathBuf,
    pub action: &'static str,
    pub error: std::io::Error,
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} `{}`: {}",
            self.action,
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for IoError {}

/// Expands directories into their `*.infra` files, sorted, recursively.
/// Files given explicitly are kept whatever their extension.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|error| IoError {
            path: path.clone(),
            action: "read",
            error,
        })?;
        if meta.is_dir() {
            collect_dir(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let io = |error| IoError {
        path: dir.to_path_buf(),
        action: "read directory",
        error,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_dir(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "infra") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Reads a file into the database. Bytes that are not UTF-8 give a
/// diagnostic (the file is still registered, decoded lossily, so the
/// diagnostic can be shown).
pub fn load(
    db: &mut SourceDb,
    path: &Path,
) -> Result<(FileId, Result<String, Box<Diagnostic>>), IoError> {
    let bytes = std::fs::read(path).map_err(|error| IoError {
        path: path.to_path_buf(),
        action: "read",
        error,
    })?;
    let name = path.display().to_string();
    // The database keeps the text for diagnostics: the file's own, or its
    // readable part when it is not UTF-8.
    let (file, decoded) = match String::from_utf8(bytes) {
        Ok(text) => (db.add(name, Some(path), text.clone()), Ok(text)),
        Err(error) => {
            let bytes = error.into_bytes();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let file = db.add(name, Some(path), lossy);
            (file, syntax::decode(file, bytes))
        }
    };
    Ok((file, decoded))
}

/// Writes `contents` to `path` through a temporary file and a rename, so an
/// interrupted write never leaves a partial file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), IoError> {
    let io = |error| IoError {
        path: path.to_path_buf(),
        action: "write",
        error,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, contents).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|error| {
        let _ = std::fs::remove_file(&tmp);
        io(error)
    })
}
