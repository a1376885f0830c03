//! Source files and byte spans.
//!
//! Every span is `(file, start, end)` in byte offsets; line and column are
//! computed only when a diagnostic is rendered.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

/// Compact, so that AST snapshots stay readable: `12..17`, or `#2:12..17`
/// outside the first file.
impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.file.0 != 0 {
            write!(f, "#{}:", self.file.0)?;
        }
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// One loaded file: its name as shown to users and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown in diagnostics: the path as given, or `stdlib:PATH` for an embedded file.
    pub name: String,
    /// Path on disk, if the file came from disk.
    pub path: Option<PathBuf>,
    pub text: String,
    /// The name's bytes when they are not UTF-8: `name` then shows each
    /// byte that is not as `\xNN`, and machine-readable output gives these.
    pub raw_name: Option<Vec<u8>>,
    /// Where each line starts, found the first time a position is shown:
    /// a compilation without diagnostics never needs them.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn new(name: String, path: Option<PathBuf>, text: String) -> SourceFile {
        SourceFile {
            name,
            path,
            text,
            raw_name: None,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// Zero-based line index and one-based character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts();
        let line = match line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let mut start = offset;
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let column = self.text[line_starts[line]..start].chars().count() + 1;
        (line, column)
    }

    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            // A source map finds lines in every stdlib file a build reads:
            // a vectorised search is several times quicker.
            crate::bytes::line_starts(self.text.as_bytes())
        })
    }
}

/// Every file of one compilation: user files, imports and stdlib modules.
#[derive(Debug, Default, Clone)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn new() -> SourceDb {
        SourceDb::default()
    }

    pub fn add(&mut self, name: impl Into<String>, path: Option<&Path>, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(
            name.into(),
            path.map(Path::to_path_buf),
            text,
        ));
        id
    }

    /// Adds a file read by another database, as it was: its raw name too.
    pub fn insert(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(file);
        id
    }

    /// Adds a file named by a path as it is shown (`shown`): a name that is
    /// not UTF-8 is kept whole in [`SourceFile::raw_name`].
    pub fn add_path(&mut self, shown: &Path, path: &Path, text: String) -> FileId {
        let (name, raw) = shown_name(shown);
        let id = self.add(name, Some(path), text);
        self.files[id.0 as usize].raw_name = raw;
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.get(id).text
    }

    pub fn name(&self, id: FileId) -> &str {
        &self.get(id).name
    }

    pub fn find_path(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path.as_deref() == Some(path))
            .map(|i| FileId(i as u32))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// The files, in order: a `FileId` is an index here.
    pub fn into_files(self) -> Vec<SourceFile> {
        self.files
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A path as text: itself when it is UTF-8; else each byte that is not
/// written `\xNN`, with the path's bytes.
pub fn shown_name(path: &Path) -> (String, Option<Vec<u8>>) {
    if let Some(text) = path.to_str() {
        return (text.to_string(), None);
    }
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut name = String::new();
    for chunk in bytes.utf8_chunks() {
        name.push_str(chunk.valid());
        for byte in chunk.invalid() {
            name.push_str(&format!("\\x{byte:02x}"));
        }
    }
    (name, Some(bytes))
}
