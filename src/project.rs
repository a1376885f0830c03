//! The project an entry file belongs to: its root, the one directory
//! imports and `file()` may read under, and the limits of `infra.toml`.
//!
//! The root is the directory of the nearest `infra.toml` at or above the
//! entry file, else the entry file's own directory. `infra.toml` is small:
//!
//! ```toml
//! [limits]
//! max_file_bytes = 8388608
//! ```
//!
//! Unknown tables and keys are errors (E0013), at their span.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, codes};
use crate::source::{SourceDb, Span};
use crate::workspace::{self, IoError};

/// The name of the project file.
pub const PROJECT_FILE: &str = "infra.toml";

/// What the compiler accepts of its input before refusing it. Every field
/// has a default, so an `infra.toml` names only what it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest file read: an entry file, an import, a `file()`, a
    /// `--params` file, `infra.toml` itself.
    pub max_file_bytes: u64,
    /// What one build may make and compute (`lower::Budget`); unset, the
    /// build's own.
    pub max_resources: Option<usize>,
    pub max_values: Option<usize>,
    pub max_steps: Option<usize>,
}

impl Limits {
    /// 8 MiB: ten times the largest program seen, well below what would
    /// exhaust memory.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: Limits::DEFAULT_MAX_FILE_BYTES,
            max_resources: None,
            max_values: None,
            max_steps: None,
        }
    }
}

impl Limits {
    /// `base` with what the project sets.
    pub fn budget(&self, base: crate::lower::Budget) -> crate::lower::Budget {
        crate::lower::Budget {
            resources: self.max_resources.unwrap_or(base.resources),
            values: self.max_values.unwrap_or(base.values),
            steps: self.max_steps.unwrap_or(base.steps),
        }
    }
}

/// The contents of `infra.toml`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Manifest {
    limits: Limits,
}

/// One project: where it is and what it allows.
#[derive(Clone, Debug)]
pub struct Project {
    /// The root, canonical (no symlinks, absolute).
    pub root: PathBuf,
    pub limits: Limits,
}

impl Project {
    /// A project rooted at `root` with the default limits.
    pub fn at(root: &Path) -> Result<Project, IoError> {
        let root = root.canonicalize().map_err(|error| IoError {
            path: root.to_path_buf(),
            action: "read directory",
            error,
        })?;
        Ok(Project {
            root,
            limits: Limits::default(),
        })
    }

    /// The project of an entry file: its `infra.toml`, read into `db` so
    /// that its mistakes are diagnostics with spans, and its root.
    pub fn of_entry(
        db: &mut SourceDb,
        entry: &Path,
    ) -> Result<(Project, Vec<Diagnostic>), IoError> {
        let dir = entry
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut project = Project::at(dir)?;
        let Some((up, manifest)) = project
            .root
            .ancestors()
            .map(|d| d.join(PROJECT_FILE))
            .enumerate()
            .find(|(_, m)| m.symlink_metadata().is_ok())
        else {
            return Ok((project, Vec::new()));
        };
        project.root = manifest
            .parent()
            .expect("a file joined to a directory has a parent")
            .to_path_buf();
        // Shown from the entry file's directory, as the entry file is.
        let mut shown = dir.to_path_buf();
        shown.extend(std::iter::repeat_n("..", up));
        let shown = normalize(&shown.join(PROJECT_FILE));
        let bytes = workspace::read_input(&manifest, Limits::default().max_file_bytes)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let file = db.add(shown.display().to_string(), Some(&manifest), text);
        let mut diagnostics = Vec::new();
        match toml::from_str::<Manifest>(db.text(file)) {
            Ok(read) => project.limits = read.limits,
            Err(error) => {
                let range = error.span().unwrap_or(0..0);
                diagnostics.push(
                    Diagnostic::new(
                        &codes::E0013,
                        Span::new(file, range.start, range.end),
                        format!("invalid `{PROJECT_FILE}`: {}", error.message()),
                    )
                    .label("here")
                    .note(format!(
                        "`{PROJECT_FILE}` holds one table, `[limits]`, with `max_file_bytes`"
                    )),
                );
            }
        }
        Ok((project, diagnostics))
    }
}

/// The projects of a compilation's entry files, each found once: a
/// directory of programs reads its `infra.toml` once and reports its
/// mistakes once.
#[derive(Default)]
pub struct Projects(std::collections::HashMap<PathBuf, Project>);

impl Projects {
    /// The project of `entry`, with the diagnostics of its `infra.toml` the
    /// first time it is found.
    pub fn of(
        &mut self,
        db: &mut SourceDb,
        entry: &Path,
    ) -> Result<(Project, Vec<Diagnostic>), IoError> {
        let dir = entry
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Some(project) = dir.canonicalize().ok().and_then(|d| self.0.get(&d)) {
            return Ok((project.clone(), Vec::new()));
        }
        let (project, diagnostics) = Project::of_entry(db, entry)?;
        if let Ok(dir) = dir.canonicalize() {
            self.0.insert(dir, project.clone());
        }
        Ok((project, diagnostics))
    }
}

/// Why a path a program names cannot be read.
#[derive(Debug)]
pub enum Refusal {
    /// Absolute: a program names files relative to itself.
    Absolute,
    /// Outside the root, by `..` (`through_link: false`) or through a
    /// symbolic link.
    Outside { through_link: bool },
    /// Nothing is there (or it cannot be reached): the path as shown.
    Missing(PathBuf),
    /// Read as `workspace::read_input` refuses it.
    Unreadable(workspace::ReadError),
}

/// Where the file a program names by `relative`, from the directory `dir`
/// of the file that names it, is: the path as shown (the lexical join of
/// `dir` and `relative`) and the canonical path, refused when it is
/// absolute or leaves the project's root, by `..` or through a link.
/// Nothing is read.
pub fn locate(
    project: &Project,
    dir: &Path,
    relative: &str,
) -> Result<(PathBuf, PathBuf), Refusal> {
    let relative_path = Path::new(relative);
    if relative_path.has_root() || relative_path.is_absolute() {
        return Err(Refusal::Absolute);
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let shown = normalize(&dir.join(relative_path));
    let base = dir
        .canonicalize()
        .map_err(|_| Refusal::Missing(shown.clone()))?;
    let lexical = normalize(&base.join(relative_path));
    if !lexical.starts_with(&project.root) {
        return Err(Refusal::Outside {
            through_link: false,
        });
    }
    let canonical = lexical
        .canonicalize()
        .map_err(|_| Refusal::Missing(shown.clone()))?;
    if !canonical.starts_with(&project.root) {
        return Err(Refusal::Outside { through_link: true });
    }
    Ok((shown, canonical))
}

/// [`locate`], then the file read: only a regular file, within the
/// project's limits.
pub fn read_confined(
    project: &Project,
    dir: &Path,
    relative: &str,
) -> Result<(PathBuf, PathBuf, Vec<u8>), Refusal> {
    let (shown, canonical) = locate(project, dir, relative)?;
    let bytes = workspace::read_regular(&canonical, project.limits.max_file_bytes)
        .map_err(Refusal::Unreadable)?;
    Ok((shown, canonical, bytes))
}

/// The path with `.` dropped and each `..` taking off the component before
/// it, without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

impl Refusal {
    /// The coded diagnostic for this refusal, at `span`, the path as written
    /// in the program. It names the path, never what the file holds.
    pub fn diagnostic(&self, span: Span, written: &str, what: &str) -> Diagnostic {
        use workspace::ReadError;
        match self {
            Refusal::Absolute => Diagnostic::new(
                &codes::E0010,
                span,
                format!("{what} `{written}` is an absolute path"),
            )
            .label("outside the project")
            .help(format!(
                "paths are relative to the file that names them, inside the project (the directory of `{PROJECT_FILE}`, or the entry file's)"
            )),
            Refusal::Outside { through_link } => Diagnostic::new(
                &codes::E0010,
                span,
                format!("{what} `{written}` is outside the project"),
            )
            .label(if *through_link {
                "a symbolic link leads out of the project"
            } else {
                "`..` leads out of the project"
            })
            .note(format!(
                "a program reads only files under its project's root: the directory of the nearest `{PROJECT_FILE}`, or the entry file's directory"
            ))
            .help(format!(
                "move the file into the project, or put `{PROJECT_FILE}` in a directory above both"
            )),
            Refusal::Missing(shown) => Diagnostic::new(
                if what == "import" {
                    &codes::E0105
                } else {
                    &codes::E0015
                },
                span,
                format!("cannot find `{written}`"),
            )
            .label(format!("no file at `{}`", shown.display()))
            .help(if what == "import" {
                "import paths are relative to the importing file"
            } else {
                "`file()` paths are relative to the file that calls it"
            }),
            Refusal::Unreadable(ReadError::NotRegular(kind)) => Diagnostic::new(
                &codes::E0011,
                span,
                format!("{what} `{written}` is {kind}, not a regular file"),
            )
            .label("only regular files are read")
            .help("name a file, not a directory, device or pipe"),
            Refusal::Unreadable(ReadError::TooLarge { size, max }) => Diagnostic::new(
                &codes::E0012,
                span,
                format!("{what} `{written}` is larger than the limit of {max} bytes"),
            )
            .label(format!("{size} bytes"))
            .help(format!(
                "raise `max_file_bytes` in the `[limits]` of `{PROJECT_FILE}` if the file is meant to be this large"
            )),
            Refusal::Unreadable(ReadError::Io(error)) => Diagnostic::new(
                if what == "import" {
                    &codes::E0105
                } else {
                    &codes::E0015
                },
                span,
                format!("cannot read `{written}`: {}", plain(error)),
            )
            .label("named here"),
        }
    }
}

/// An I/O error's message without the OS's error number, stable across
/// systems' wording of the number.
fn plain(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("a/./b/../c")), Path::new("a/c"));
        assert_eq!(normalize(Path::new("/a/../../etc")), Path::new("/etc"));
        assert_eq!(normalize(Path::new("a/../../x")), Path::new("../x"));
        assert_eq!(normalize(Path::new("../../x")), Path::new("../../x"));
    }

    #[test]
    fn limits_default_and_unknown_keys() {
        let read: Manifest = toml::from_str("").unwrap();
        assert_eq!(read.limits, Limits::default());
        let read: Manifest = toml::from_str("[limits]\nmax_file_bytes = 10\n").unwrap();
        assert_eq!(read.limits.max_file_bytes, 10);
        let error = toml::from_str::<Manifest>("[limits]\nmax_files = 10\n").unwrap_err();
        assert!(error.message().contains("unknown field"), "{error}");
        assert_eq!(error.span(), Some(9..18));
    }
}
