//! Finding and reading input files, and writing outputs atomically.
//!
//! Only regular files are read, and only up to a size: a FIFO, a device or
//! a directory is refused before it is opened (and opened without blocking
//! all the same, should it change in between). Outputs are written into a
//! fresh directory of unpredictable name and then renamed into place, all
//! of a set or none.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
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

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// Not a regular file: "a directory", "a FIFO", ...
    NotRegular(&'static str),
    /// Larger than the limit, in bytes.
    TooLarge {
        size: u64,
        max: u64,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(error) => error.fmt(f),
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge { size, max } => write!(
                f,
                "it is larger than the limit of {max} bytes ({size} bytes; see `max_file_bytes` in infra.toml)"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// The code of a refusal (E0011, E0012): the same whether the file is
    /// an import or an input of the command.
    pub fn code(&self) -> Option<&'static crate::diagnostics::Code> {
        match self {
            ReadError::Io(_) => None,
            ReadError::NotRegular(_) => Some(&crate::diagnostics::codes::E0011),
            ReadError::TooLarge { .. } => Some(&crate::diagnostics::codes::E0012),
        }
    }
}

impl IoError {
    /// The code of a file refused for what it is (not a regular file, too
    /// large), which reports give as they give a diagnostic's.
    pub fn code(&self) -> Option<&'static crate::diagnostics::Code> {
        let refusal = self.error.get_ref()?.downcast_ref::<ReadError>()?;
        refusal.code()
    }
}

impl From<ReadError> for io::Error {
    fn from(error: ReadError) -> io::Error {
        match error {
            ReadError::Io(error) => error,
            ReadError::NotRegular(_) => io::Error::new(io::ErrorKind::InvalidInput, error),
            ReadError::TooLarge { .. } => io::Error::new(io::ErrorKind::FileTooLarge, error),
        }
    }
}

/// What a file is, when it is not a regular file.
fn kind_of(file_type: fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        if file_type.is_fifo() {
            return Some("a FIFO");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

thread_local! {
    /// Texts read instead of the files at these paths, on this thread: an
    /// editor's unsaved buffers (`with_overlay`).
    static OVERLAY: std::cell::RefCell<std::collections::HashMap<PathBuf, String>> =
        Default::default();
}

/// Runs `f` with the texts of `overlay` read in place of the files at those
/// paths (canonical, as the loader reads them): the language server checks
/// open buffers, imports included, with the compiler's own loader. The
/// files must exist on disk, since imports are confined by their real
/// path before anything is read.
pub fn with_overlay<T>(
    overlay: std::collections::HashMap<PathBuf, String>,
    f: impl FnOnce() -> T,
) -> T {
    struct Restore(std::collections::HashMap<PathBuf, String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let earlier = std::mem::take(&mut self.0);
            OVERLAY.with(|o| *o.borrow_mut() = earlier);
        }
    }
    let _restore = Restore(OVERLAY.with(|o| std::mem::replace(&mut *o.borrow_mut(), overlay)));
    f()
}

fn overlaid(path: &Path) -> Option<String> {
    OVERLAY.with(|o| {
        let o = o.borrow();
        if o.is_empty() {
            return None;
        }
        o.get(path).cloned()
    })
}

/// Reads a regular file of at most `max` bytes. Anything else is refused
/// before a byte is read, and without blocking: the type is checked before
/// opening, the file is opened non-blocking, and checked again once open.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    if let Some(text) = overlaid(path) {
        return Ok(text.into_bytes());
    }
    let check = |meta: &fs::Metadata| {
        if let Some(kind) = kind_of(meta.file_type()) {
            return Err(ReadError::NotRegular(kind));
        }
        if meta.len() > max {
            return Err(ReadError::TooLarge {
                size: meta.len(),
                max,
            });
        }
        Ok(())
    };
    check(&fs::metadata(path).map_err(ReadError::Io)?)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    check(&meta)?;
    // The size may grow while being read (`/proc` files report 0): read at
    // most one byte past the limit to know.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// [`read_regular`] for a file given on the command line: its refusal is
/// an [`IoError`], exit status 2.
pub fn read_input(path: &Path, max: u64) -> Result<Vec<u8>, IoError> {
    read_regular(path, max).map_err(|error| IoError {
        path: path.to_path_buf(),
        action: "read",
        error: error.into(),
    })
}

/// Expands directories into their `*.infra` files, sorted, recursively.
/// Files given explicitly are kept whatever their extension. No file is
/// listed twice, however many links lead to it; a symbolic link is followed
/// only when it stays inside the directory given, and a directory already
/// visited (a link to itself or above) is not entered again.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    let mut seen = Seen::default();
    for path in paths {
        let meta = fs::metadata(path).map_err(|error| IoError {
            path: path.clone(),
            action: "read",
            error,
        })?;
        if meta.is_dir() {
            let root = path.canonicalize().map_err(|error| IoError {
                path: path.clone(),
                action: "read directory",
                error,
            })?;
            if seen.first_time(&meta) {
                collect_dir(path, &root, &mut seen, &mut out)?;
            }
        } else if seen.first_time(&meta) {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Files and directories already listed, by device and inode.
#[derive(Default)]
struct Seen(std::collections::HashSet<(u64, u64)>);

impl Seen {
    fn first_time(&mut self, meta: &fs::Metadata) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            self.0.insert((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            true
        }
    }
}

fn collect_dir(
    dir: &Path,
    root: &Path,
    seen: &mut Seen,
    out: &mut Vec<PathBuf>,
) -> Result<(), IoError> {
    let io = |error| IoError {
        path: dir.to_path_buf(),
        action: "read directory",
        error,
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for entry in entries {
        let Ok(own) = entry.symlink_metadata() else {
            continue;
        };
        let meta = if own.file_type().is_symlink() {
            // A link is followed only to a place inside the directory given;
            // a dangling link is no file of the program.
            match entry.canonicalize() {
                Ok(target) if target.starts_with(root) => match fs::metadata(&target) {
                    Ok(meta) => meta,
                    Err(_) => continue,
                },
                _ => continue,
            }
        } else {
            own
        };
        if meta.is_dir() {
            if seen.first_time(&meta) {
                collect_dir(&entry, root, seen, out)?;
            }
        } else if entry.extension().is_some_and(|e| e == "infra") && seen.first_time(&meta) {
            out.push(entry);
        }
    }
    Ok(())
}

/// Reads a file into the database. Bytes that are not UTF-8 give a
/// diagnostic (the file is still registered, decoded lossily, so the
/// diagnostic can be shown). A file that is not a regular file or is larger
/// than `max_bytes` is an [`IoError`].
pub fn load(
    db: &mut SourceDb,
    path: &Path,
    max_bytes: u64,
) -> Result<(FileId, Result<String, Box<Diagnostic>>), IoError> {
    let bytes = read_input(path, max_bytes)?;
    // The database keeps the text for diagnostics: the file's own, or its
    // readable part when it is not UTF-8.
    let (file, decoded) = match String::from_utf8(bytes) {
        Ok(text) => (db.add_path(path, path, text.clone()), Ok(text)),
        Err(error) => {
            let bytes = error.into_bytes();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let file = db.add_path(path, path, lossy);
            (file, syntax::decode(file, bytes))
        }
    };
    Ok((file, decoded))
}

/// A name no one can guess: 64 bits from the standard library's randomly
/// keyed hasher.
fn unpredictable() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    format!("{:016x}", hasher.finish())
}

/// Creates a directory of a fresh, unpredictable name in `dir`, readable
/// only by its owner.
fn fresh_dir(dir: &Path, prefix: &str) -> io::Result<PathBuf> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    loop {
        let path = dir.join(format!("{prefix}{}", unpredictable()));
        match builder.create(&path) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            result => return result.map(|()| path),
        }
    }
}

/// Creates a file that did not exist (never through a link planted at its
/// name), with `mode`'s permissions on Unix, and writes `contents`.
fn write_new(path: &Path, contents: &[u8], mode: Option<u32>) -> io::Result<()> {
    open_new(path, mode)?.write_all(contents)
}

/// Creates a file that did not exist (never through a link planted at its
/// name), with `mode`'s permissions on Unix.
fn open_new(path: &Path, mode: Option<u32>) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// A build's output directory, written all or none: each file goes into a
/// fresh directory inside it (`.infra-build-PID-*`, `remove_abandoned`
/// removes those whose process is gone) as soon as it is made
/// (`stage`), so that a large build does not hold every template until the
/// end, and all are renamed into place together once the build has
/// succeeded (`place`). Dropped without placing (the build failed), the
/// staged files are removed, and so are the directories made for them.
///
/// Nothing is made on disk until a file is staged. A file that cannot be
/// staged is kept by its maker and given to `place` as bytes, which writes
/// it then or reports why it cannot: a build's diagnostics come before an
/// unwritable output directory, as when every file was written at the end.
pub struct Staging {
    dir: PathBuf,
    state: std::sync::Mutex<StagingState>,
}

#[derive(Default)]
struct StagingState {
    /// The fresh directory, once made.
    staging: Option<PathBuf>,
    /// The first write of a `Spill` that failed: its file is incomplete,
    /// so `place` reports this instead of placing anything.
    failed: Option<io::Error>,
    /// The directories made for `dir`, deepest first.
    created: Vec<PathBuf>,
    /// The next staged file's number (`new-N`).
    next: usize,
    placed: bool,
}

/// A file written into a build's staging directory (`Staging::stage`).
#[derive(Debug)]
pub struct Staged {
    index: usize,
}

/// A file's text as its maker left it: held, or staged as it was made
/// (`Spill`), its text then empty.
pub struct Printed {
    pub text: String,
    pub staged: Option<Staged>,
}

impl Printed {
    pub fn held(text: String) -> Printed {
        Printed { text, staged: None }
    }
}

/// How much text a `Spill` holds before it writes it out.
pub const SPILL_AT: usize = 64 * 1024;

/// The room a `Spill` written out as it grows takes at most at once
/// (`Spill::reserve`): it is written out past `SPILL_AT`, and grown by
/// doubling to it, its text would be copied five times over.
const SPILL_ROOM: usize = SPILL_AT + SPILL_AT / 4;

/// Text made piece by piece, written to a staged file whenever `SPILL_AT`
/// bytes of it are held (`spill`), so that a large template or source map
/// is never held whole. Without a staging, or once its file cannot be
/// made, the text is held. A write that fails is noted in the staging,
/// whose `place` then reports it: the file is incomplete.
pub struct Spill<'s> {
    /// The text made and not written out yet.
    pub text: String,
    to: Option<&'s Staging>,
    file: Option<(fs::File, usize)>,
    /// Dropped as it is made (`Printing::Dropped`).
    dropped: bool,
}

/// Where a template is printed: held, staged as it is printed, or dropped
/// as it is printed (`infra check`, which reads only what the backend
/// reports of it).
#[derive(Clone, Copy)]
pub enum Printing<'s> {
    Held,
    Staged(&'s Staging),
    Dropped,
}

impl<'s> Printing<'s> {
    /// Text printed to here; held, with room for `capacity` bytes.
    pub fn spill(self, capacity: usize) -> Spill<'s> {
        match self {
            Printing::Held => Spill::held(String::with_capacity(capacity)),
            Printing::Staged(staging) => {
                let mut spill = staging.spill();
                spill.reserve(capacity);
                spill
            }
            Printing::Dropped => Spill {
                dropped: true,
                ..Spill::held(String::new())
            },
        }
    }
}

impl<'s> From<Option<&'s Staging>> for Printing<'s> {
    /// Staged where there is a staging, else held.
    fn from(staging: Option<&'s Staging>) -> Printing<'s> {
        staging.map_or(Printing::Held, Printing::Staged)
    }
}

impl Spill<'static> {
    /// Text held whole, `text` to start with.
    pub fn held(text: String) -> Spill<'static> {
        Spill {
            text,
            to: None,
            file: None,
            dropped: false,
        }
    }
}

impl Spill<'_> {
    /// Writes out the text held once there is enough of it (or drops it).
    pub fn spill(&mut self) {
        if self.text.len() >= SPILL_AT {
            match self.dropped {
                true => self.text.clear(),
                false => self.write_out(),
            }
        }
    }

    /// Room for `room` more bytes: all of it for a text held whole, at most
    /// `SPILL_ROOM` for one written out as it grows.
    pub fn reserve(&mut self, room: usize) {
        match self.is_held() {
            true => self.text.reserve(room),
            false => self.text.reserve(room.min(SPILL_ROOM)),
        }
    }

    /// Whether the text is held whole, never written out nor dropped.
    pub fn is_held(&self) -> bool {
        self.to.is_none() && !self.dropped
    }

    /// Whether some of the text was written out.
    pub fn is_staged(&self) -> bool {
        self.file.is_some()
    }

    /// Writes the text held to the file, made at the first call.
    fn write_out(&mut self) {
        let Some(staging) = self.to else { return };
        if self.file.is_none() {
            self.file = staging.create();
            if self.file.is_none() {
                self.to = None;
                return;
            }
        }
        if let Some((file, _)) = &mut self.file
            && let Err(error) = file.write_all(self.text.as_bytes())
        {
            staging.fail(error);
        }
        self.text.clear();
    }

    /// Puts `other`'s text after this one's. What `other` wrote out is
    /// copied file to file, without being read into memory.
    pub fn append(&mut self, mut other: Spill<'_>) {
        let (Some((file, index)), Some(staging)) = (other.file.take(), other.to) else {
            self.text.push_str(&other.text);
            return;
        };
        drop(file);
        let path = staging.staged_path(index);
        let copied = (|| -> io::Result<()> {
            let mut from = fs::File::open(&path)?;
            self.write_out();
            match &mut self.file {
                Some((to, _)) => io::copy(&mut from, to).map(|_| ()),
                None => {
                    let mut earlier = String::new();
                    from.read_to_string(&mut earlier)?;
                    self.text.push_str(&earlier);
                    Ok(())
                }
            }
        })();
        if let Err(error) = copied {
            staging.fail(error);
        }
        let _ = fs::remove_file(&path);
        self.text.push_str(&other.text);
    }

    /// The text: held, or staged whole when any of it was written out;
    /// none when it was dropped.
    pub fn finish(mut self) -> Printed {
        if self.dropped {
            return Printed::held(String::new());
        }
        if self.file.is_none() {
            return Printed::held(self.text);
        }
        self.write_out();
        Printed {
            text: String::new(),
            staged: self.file.take().map(|(_, index)| Staged { index }),
        }
    }
}

/// What `Staging::place` puts at a name: bytes to write, or a file staged.
pub enum Output<'a> {
    Bytes(&'a [u8]),
    Staged(&'a Staged),
}

impl Staging {
    pub fn new(dir: &Path) -> Staging {
        Staging {
            dir: dir.to_path_buf(),
            state: Default::default(),
        }
    }

    /// A staging for a build printed to standard output: its files go to
    /// the system's temporary directory, so that a large template is not
    /// held whole, are read back by `open`, and are removed when it is
    /// dropped; never placed.
    pub fn temporary() -> Staging {
        Staging::new(&std::env::temp_dir())
    }

    /// A staged file, opened to be read back; an error where a write to
    /// the staging failed (the file is incomplete).
    pub fn open(&self, staged: &Staged) -> Result<fs::File, IoError> {
        self.no_write_failed(&mut self.lock())?;
        let path = self.staged_path(staged.index);
        fs::File::open(&path).map_err(|error| IoError {
            path,
            action: "read",
            error,
        })
    }

    /// The first write of a `Spill` that failed, reported against the
    /// directory: its file is incomplete.
    fn no_write_failed(&self, state: &mut StagingState) -> Result<(), IoError> {
        match state.failed.take() {
            Some(error) => Err(IoError {
                path: self.dir.clone(),
                action: "write to",
                error,
            }),
            None => Ok(()),
        }
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `contents` into the staging directory, made at the first
    /// call; `None` when it cannot (the caller keeps the bytes).
    pub fn stage(&self, contents: &[u8]) -> Option<Staged> {
        let (mut file, index) = self.create()?;
        match file.write_all(contents) {
            Ok(()) => Some(Staged { index }),
            Err(_) => {
                drop(file);
                let _ = fs::remove_file(self.staged_path(index));
                None
            }
        }
    }

    /// Text to be staged as it is made (`Spill`).
    pub fn spill(&self) -> Spill<'_> {
        Spill {
            to: Some(self),
            ..Spill::held(String::new())
        }
    }

    /// A new file in the staging directory, made at the first call, and
    /// its number; `None` when it cannot be made.
    fn create(&self) -> Option<(fs::File, usize)> {
        let index = {
            let mut state = self.lock();
            self.staging_dir(&mut state).ok()?;
            state.next += 1;
            state.next - 1
        };
        let file = open_new(&self.staged_path(index), None).ok()?;
        Some((file, index))
    }

    /// Where the staged file numbered `index` is.
    fn staged_path(&self, index: usize) -> PathBuf {
        let state = self.lock();
        let staging = state.staging.as_deref().unwrap_or(&self.dir);
        staging.join(format!("new-{index}"))
    }

    /// Notes the first write that failed, for `place` to report.
    fn fail(&self, error: io::Error) {
        self.lock().failed.get_or_insert(error);
    }

    /// Puts each file at its name under the directory (each path relative
    /// to it): bytes are staged first, every destination is checked, and
    /// only then each is renamed into place. A failure leaves the files
    /// that were there as they were (a rename that fails midway puts back
    /// what the earlier ones replaced).
    pub fn place(&self, files: &[(PathBuf, Output<'_>)]) -> Result<(), IoError> {
        self.place_with(files, &|from, to| fs::rename(from, to))
    }

    /// `place`, its renames through `rename`, so that a test can make one
    /// fail.
    fn place_with(
        &self,
        files: &[(PathBuf, Output<'_>)],
        rename: &dyn Fn(&Path, &Path) -> io::Result<()>,
    ) -> Result<(), IoError> {
        let mut state = self.lock();
        let dir = &self.dir;
        self.no_write_failed(&mut state)?;
        let staging = self.staging_dir(&mut state)?;
        let mut indices = Vec::with_capacity(files.len());
        for (name, output) in files {
            let index = match output {
                Output::Staged(staged) => staged.index,
                Output::Bytes(contents) => {
                    state.next += 1;
                    let index = state.next - 1;
                    write_new(&staging.join(format!("new-{index}")), contents, None).map_err(
                        |error| IoError {
                            path: dir.join(name),
                            action: "write",
                            error,
                        },
                    )?;
                    index
                }
            };
            indices.push(index);
        }
        // One directory holds both the new files and the ones they replace:
        // each directory made and removed is a cost every build pays.
        let new_file = |index: usize| staging.join(format!("new-{index}"));
        let old_file = |index: usize| staging.join(format!("old-{index}"));
        // Every destination must take a file before any is replaced.
        for (name, _) in files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|error| IoError {
                    path: parent.to_path_buf(),
                    action: "create directory",
                    error,
                })?;
            }
            if path.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                return Err(IoError {
                    path,
                    action: "write",
                    error: io::Error::new(io::ErrorKind::IsADirectory, "a directory is in the way"),
                });
            }
        }
        let mut placed: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        for ((name, _), &index) in files.iter().zip(&indices) {
            let path = dir.join(name);
            let step = || -> io::Result<Option<PathBuf>> {
                let backup = old_file(index);
                let saved = match rename(&path, &backup) {
                    Ok(()) => Some(backup),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                    Err(error) => return Err(error),
                };
                match rename(&new_file(index), &path) {
                    Ok(()) => Ok(saved),
                    Err(error) => {
                        if let Some(saved) = &saved {
                            let _ = rename(saved, &path);
                        }
                        Err(error)
                    }
                }
            };
            match step() {
                Ok(saved) => placed.push((path, saved)),
                Err(error) => {
                    for (path, saved) in placed.into_iter().rev() {
                        let _ = match saved {
                            Some(saved) => rename(&saved, &path),
                            None => fs::remove_file(&path),
                        };
                    }
                    return Err(IoError {
                        path,
                        action: "write",
                        error,
                    });
                }
            }
        }
        state.placed = true;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StagingState> {
        // A worker that panicked aborts the build anyway: its state is
        // still what was staged.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The staging directory, made (with the output directory) at the
    /// first call; tried again at each call while it cannot be made.
    fn staging_dir(&self, state: &mut StagingState) -> Result<PathBuf, IoError> {
        if let Some(staging) = &state.staging {
            return Ok(staging.clone());
        }
        let missing: Vec<PathBuf> = (self.dir.ancestors())
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| a.symlink_metadata().is_err())
            .map(Path::to_path_buf)
            .collect();
        let made = fs::create_dir_all(&self.dir);
        state.created.extend(missing);
        made.map_err(|error| IoError {
            path: self.dir.clone(),
            action: "create directory",
            error,
        })?;
        remove_abandoned(&self.dir);
        let prefix = format!("{STAGING_PREFIX}{}-", std::process::id());
        let staging = fresh_dir(&self.dir, &prefix).map_err(|error| IoError {
            path: self.dir.clone(),
            action: "write to",
            error,
        })?;
        state.staging = Some(staging.clone());
        Ok(staging)
    }
}

/// The start of a staging directory's name, before the id of the process
/// that made it.
const STAGING_PREFIX: &str = ".infra-build-";

/// Removes the staging directories in `dir` that builds left when they
/// were interrupted or killed: the process that made each is gone. A
/// running build's directory is its own to remove. Best effort: what
/// cannot be removed stays.
fn remove_abandoned(dir: &Path) {
    #[cfg(unix)]
    {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = (name.to_str())
                .and_then(|n| n.strip_prefix(STAGING_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, _)| pid.parse::<libc::pid_t>().ok());
            let Some(pid) = pid.filter(|&pid| pid > 0) else {
                continue;
            };
            // Never through a link planted at the name.
            if entry.file_type().is_ok_and(|t| t.is_dir()) && !process_exists(pid) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Whether a process `pid` exists (signal 0 checks only that; `EPERM`:
/// it does, another user's).
#[cfg(unix)]
fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 is sent to no one; only the process's existence
    // and the permission are checked.
    let sent = unsafe { libc::kill(pid, 0) };
    sent == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

impl Drop for Staging {
    fn drop(&mut self) {
        let state = self.lock();
        // Best effort: what matters was reported already.
        if let Some(staging) = &state.staging {
            let _ = fs::remove_dir_all(staging);
        }
        if !state.placed {
            for dir in &state.created {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// Replaces the contents of an existing file, for `infra fmt`: through a
/// symbolic link (the file it leads to is written, the link stays), with
/// the file's permissions, by a temporary file created exclusively beside
/// it and a rename, so an interrupted write never leaves a partial file.
pub fn rewrite(path: &Path, contents: &[u8]) -> Result<(), IoError> {
    let io = |error| IoError {
        path: path.to_path_buf(),
        action: "write",
        error,
    };
    let target = path.canonicalize().map_err(io)?;
    let meta = fs::metadata(&target).map_err(io)?;
    let dir = target.parent().unwrap_or(Path::new("/"));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    };
    #[cfg(not(unix))]
    let mode = None;
    let tmp = loop {
        let tmp = dir.join(format!(".{file_name}.{}.tmp", unpredictable()));
        match write_new(&tmp, contents, mode) {
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                let _ = fs::remove_file(&tmp);
                return Err(io(error));
            }
            Ok(()) => break tmp,
        }
    };
    // The mode given at creation is narrowed by the umask: set it exactly.
    let kept = fs::set_permissions(&tmp, meta.permissions());
    kept.and_then(|()| fs::rename(&tmp, &target))
        .map_err(|error| {
            let _ = fs::remove_file(&tmp);
            io(error)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Text of `n` lines, each numbered, `SPILL_AT` bytes every few lines.
    fn lines(spill: &mut Spill<'_>, from: usize, n: usize) -> String {
        let mut all = String::new();
        for i in from..from + n {
            let line = format!("{i:>12} {}\n", "x".repeat(SPILL_AT / 5));
            spill.text.push_str(&line);
            all.push_str(&line);
            spill.spill();
        }
        all
    }

    /// `staged` placed as `t.json` in `dir`, the staging dropped: the text
    /// placed.
    fn placed(staging: Staging, staged: &Staged, dir: &Path) -> String {
        staging
            .place(&[("t.json".into(), Output::Staged(staged))])
            .unwrap();
        drop(staging);
        fs::read_to_string(dir.join("t.json")).unwrap()
    }

    #[test]
    fn a_spill_is_staged_as_it_grows_and_placed_whole() {
        let temp = tempfile::tempdir().unwrap();
        let staging = Staging::new(temp.path());
        let mut spill = staging.spill();
        let text = lines(&mut spill, 0, 23);
        assert!(spill.is_staged() && spill.text.len() < SPILL_AT);
        let printed = spill.finish();
        assert!(printed.text.is_empty());
        let staged = printed.staged.expect("staged");
        assert_eq!(placed(staging, &staged, temp.path()), text);
        assert_eq!(names(temp.path()), ["t.json"]);
    }

    #[test]
    fn spills_appended_are_copied_in_order_and_their_files_removed() {
        let temp = tempfile::tempdir().unwrap();
        let staging = Staging::new(temp.path());
        let mut first = staging.spill();
        let mut second = staging.spill();
        let one = lines(&mut first, 0, 17);
        let two = lines(&mut second, 100, 9);
        assert!(first.is_staged() && second.is_staged());
        let mut small = staging.spill();
        small.text.push_str("small\n");
        let mut whole = staging.spill();
        whole.text.push_str("head\n");
        whole.append(first);
        whole.append(small);
        whole.append(second);
        whole.text.push_str("tail\n");
        let staged = whole.finish().staged.expect("staged");
        // The parts' own files are gone: only the whole is staged.
        let staging_dir = staging.lock().staging.clone().unwrap();
        assert_eq!(names(&staging_dir).len(), 1);
        let placed = placed(staging, &staged, temp.path());
        assert_eq!(placed, format!("head\n{one}small\n{two}tail\n"));
    }

    #[test]
    fn a_spill_whose_file_cannot_be_made_holds_its_text() {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("file");
        fs::write(&file, "").unwrap();
        // No directory can be made under a file: nothing can be staged.
        let staging = Staging::new(&file.join("out"));
        let mut spill = staging.spill();
        let text = lines(&mut spill, 0, 13);
        assert!(!spill.is_staged());
        let printed = spill.finish();
        assert!(printed.staged.is_none());
        assert_eq!(printed.text, text);
        let mut part = staging.spill();
        let rest = lines(&mut part, 0, 7);
        let mut whole = staging.spill();
        whole.text.push_str("head\n");
        whole.append(part);
        let whole = whole.finish();
        assert!(whole.staged.is_none());
        assert_eq!(whole.text, format!("head\n{rest}"));
    }

    #[test]
    fn a_held_spill_keeps_its_text_and_small_text_is_not_staged() {
        let mut held = Spill::held(String::new());
        let text = lines(&mut held, 0, 11);
        let printed = held.finish();
        assert!(printed.staged.is_none());
        assert_eq!(printed.text, text);
        let temp = tempfile::tempdir().unwrap();
        let staging = Staging::new(temp.path());
        let mut small = staging.spill();
        small.text.push_str("small");
        small.spill();
        let printed = small.finish();
        assert!(printed.staged.is_none());
        assert_eq!(printed.text, "small");
        drop(staging);
        assert!(names(temp.path()).is_empty(), "nothing made on disk");
    }

    #[test]
    fn a_dropped_spill_keeps_nothing() {
        let mut dropped = Printing::Dropped.spill(1 << 20);
        assert!(!dropped.is_held());
        for i in 0..40 {
            lines(&mut dropped, i, 1);
            assert!(dropped.text.len() < SPILL_AT, "dropped as it is made");
        }
        let printed = dropped.finish();
        assert!(printed.text.is_empty() && printed.staged.is_none());
    }

    #[test]
    fn a_spill_that_failed_to_write_stops_the_placing() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("t.json"), "old").unwrap();
        let staging = Staging::new(temp.path());
        let mut spill = staging.spill();
        lines(&mut spill, 0, 7);
        staging.fail(io::Error::other("no space left"));
        let staged = spill.finish().staged.expect("staged");
        let error = staging
            .place(&[("t.json".into(), Output::Staged(&staged))])
            .unwrap_err();
        assert_eq!(error.error.to_string(), "no space left");
        drop(staging);
        assert_eq!(
            fs::read_to_string(temp.path().join("t.json")).unwrap(),
            "old"
        );
        assert_eq!(names(temp.path()), ["t.json"]);
    }

    #[test]
    fn a_spill_written_out_as_it_grows_takes_no_more_room_than_it_holds() {
        let temp = tempfile::tempdir().unwrap();
        let staging = Staging::new(temp.path());
        let large = 100 * SPILL_AT;
        let held = Printing::Held.spill(large);
        assert!(held.text.capacity() >= large);
        let staged = Printing::Staged(&staging).spill(large);
        let room = staged.text.capacity();
        assert!((SPILL_ROOM..2 * SPILL_ROOM).contains(&room), "{room}");
        let small = Printing::Staged(&staging).spill(100);
        assert!(
            small.text.capacity() < SPILL_AT,
            "{}",
            small.text.capacity()
        );
    }

    #[test]
    fn a_staged_file_reads_back_whole_unless_a_write_failed() {
        let temp = tempfile::tempdir().unwrap();
        let staging = Staging::new(temp.path());
        let mut spill = staging.spill();
        let all = lines(&mut spill, 0, 7);
        let staged = spill.finish().staged.expect("staged");
        let mut read = String::new();
        io::Read::read_to_string(&mut staging.open(&staged).unwrap(), &mut read).unwrap();
        assert_eq!(read, all);
        staging.fail(io::Error::other("no space left"));
        let error = staging.open(&staged).unwrap_err();
        assert_eq!(error.error.to_string(), "no space left");
        drop(staging);
        assert!(names(temp.path()).is_empty(), "removed once dropped");
    }

    #[test]
    fn a_rename_failing_midway_puts_back_what_was_there() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        fs::write(dir.join("a"), "old a").unwrap();
        fs::write(dir.join("c"), "old c").unwrap();
        let files: Vec<(PathBuf, Output)> = vec![
            ("a".into(), Output::Bytes(b"new a")),
            ("b".into(), Output::Bytes(b"new b")),
            ("c".into(), Output::Bytes(b"new c")),
        ];
        let staging = Staging::new(dir);
        // The third file's placing fails, after `a` and `b` are in place.
        let target_c = dir.join("c");
        let failing = |from: &Path, to: &Path| {
            if to == target_c && from.ends_with("new-2") {
                return Err(io::Error::other("disk full"));
            }
            fs::rename(from, to)
        };
        let error = staging.place_with(&files, &failing).unwrap_err();
        drop(staging);
        assert_eq!(error.path, target_c);
        assert_eq!(fs::read_to_string(dir.join("a")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(dir.join("c")).unwrap(), "old c");
        assert_eq!(names(dir), ["a", "c"]);
        // Placed for real, all are written, no staging directory left.
        Staging::new(dir).place(&files).unwrap();
        assert_eq!(names(dir), ["a", "b", "c"]);
        assert_eq!(fs::read_to_string(dir.join("c")).unwrap(), "new c");
    }

    #[cfg(unix)]
    #[test]
    fn a_staging_directory_left_by_a_build_that_is_gone_is_removed() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let abandoned = dir.join(format!(".infra-build-{gone}-0123456789abcdef"));
        fs::create_dir_all(abandoned.join("sub")).unwrap();
        fs::write(abandoned.join("new-0"), "left").unwrap();
        let running = dir.join(format!(
            ".infra-build-{}-fedcba9876543210",
            std::process::id()
        ));
        fs::create_dir(&running).unwrap();
        let unknown = dir.join(".infra-build-notes");
        fs::create_dir(&unknown).unwrap();
        let staging = Staging::new(dir);
        staging.stage(b"x").expect("staged");
        assert!(!abandoned.exists(), "a gone build's directory is removed");
        assert!(running.exists(), "a running build's directory is its own");
        assert!(unknown.exists(), "a directory of another name is left");
        drop(staging);
        let running = format!(".infra-build-{}-fedcba9876543210", std::process::id());
        assert_eq!(names(dir), [running.as_str(), ".infra-build-notes"]);
    }

    #[test]
    fn files_staged_as_made_are_placed_with_the_rest() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("out");
        let staging = Staging::new(&dir);
        assert!(!dir.exists(), "nothing is made before a file is staged");
        let first = staging.stage(b"first").expect("staged");
        // Staged, a file is in the staging directory, not at its name.
        assert_eq!(names(&dir).len(), 1);
        assert!(names(&dir)[0].starts_with(".infra-build-"));
        let second = staging.stage(b"second").expect("staged");
        let files = [
            ("one".into(), Output::Staged(&first)),
            ("sub/two".into(), Output::Bytes(b"held")),
            ("three".into(), Output::Staged(&second)),
        ];
        staging.place(&files).unwrap();
        drop(staging);
        assert_eq!(names(&dir), ["one", "sub", "three"]);
        assert_eq!(fs::read_to_string(dir.join("one")).unwrap(), "first");
        assert_eq!(fs::read_to_string(dir.join("sub/two")).unwrap(), "held");
        assert_eq!(fs::read_to_string(dir.join("three")).unwrap(), "second");
    }

    #[test]
    fn a_build_not_placed_leaves_nothing_behind() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        let dir = root.join("made/for/the/build");
        let staging = Staging::new(&dir);
        staging.stage(b"a template").expect("staged");
        assert!(dir.is_dir());
        drop(staging);
        // The directories made for it go with the staged files.
        assert!(names(root).is_empty(), "{:?}", names(root));
        // A directory that was there stays, emptied of what was staged.
        let staging = Staging::new(root);
        staging.stage(b"a template").expect("staged");
        drop(staging);
        assert!(root.is_dir());
        assert!(names(root).is_empty());
    }

    #[test]
    fn an_output_directory_that_cannot_be_made_is_reported_when_placing() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        fs::write(root.join("file"), "in the way").unwrap();
        let dir = root.join("file/out");
        let staging = Staging::new(&dir);
        // The maker keeps what cannot be staged ...
        assert!(staging.stage(b"a template").is_none());
        // ... and placing it says why it cannot be written.
        let error = staging
            .place(&[("main.template.json".into(), Output::Bytes(b"{}"))])
            .unwrap_err();
        assert_eq!(error.action, "create directory");
        assert_eq!(error.path, dir);
        drop(staging);
        assert_eq!(names(root), ["file"]);
    }

    #[test]
    fn a_fifo_is_refused_unopened() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
        let refused = read_regular(&fifo, 10);
        assert!(
            matches!(refused, Err(ReadError::NotRegular("a FIFO"))),
            "{refused:?}"
        );
        fs::write(dir.join("big"), "0123456789!").unwrap();
        let refused = read_regular(&dir.join("big"), 10);
        assert!(matches!(
            refused,
            Err(ReadError::TooLarge { size: 11, max: 10 })
        ));
        assert_eq!(read_regular(&dir.join("big"), 11).unwrap(), b"0123456789!");
    }
}
