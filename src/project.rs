//! The project an entry file belongs to: its root, the one directory
//! imports and `file()` may read under, and the limits of `infra.toml`.
//!
//! The root is the directory of the nearest `infra.toml` at or above the
//! entry file, else the entry file's own directory. `infra.toml` also says
//! what a bare `infra build` does (`[build]`), params per environment
//! (`[params]`, `[env.NAME]`), diagnostic levels (`[diagnostics]`) and
//! input limits (`[limits]`); see `docs/language.md`. Unknown tables and
//! keys, targets, providers and codes are errors (E0013), at their span.

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, SourceDb, Span};
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

/// The contents of `infra.toml`: every table optional, every key checked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// What a bare `infra build` or `infra check` in the project does.
    pub build: BuildSettings,
    /// Param values for every environment.
    pub params: toml::Table,
    /// Settings per environment (`[env.production]`), chosen with `--env`.
    pub env: std::collections::BTreeMap<String, EnvSettings>,
    /// Levels of diagnostics: `allow`, `warn`, `deny`.
    pub diagnostics: LevelSettings,
    pub limits: Limits,
}

/// `[build]`: entry files, targets and providers, output directory; the
/// command line's paths and flags override each.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BuildSettings {
    /// Entry files or directories, relative to `infra.toml` (default: its
    /// directory, searched for `*.infra`).
    pub entry: Vec<String>,
    /// As `--target`.
    pub targets: Vec<toml::Spanned<String>>,
    /// As `--provider`.
    pub providers: Vec<toml::Spanned<String>>,
    /// As `-o`, relative to `infra.toml`.
    pub out_dir: Option<String>,
}

/// `[env.NAME]`: what `--env NAME` adds to the project's settings.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvSettings {
    /// Param values, over the project's `[params]`.
    pub params: toml::Table,
    /// The output directory for this environment, over `[build] out_dir`.
    pub out_dir: Option<String>,
}

/// `[diagnostics]`: codes (or `warnings`) by level, as `--allow`, `--warn`
/// and `--deny`, which override them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelSettings {
    pub allow: Vec<toml::Spanned<String>>,
    pub warn: Vec<toml::Spanned<String>>,
    pub deny: Vec<toml::Spanned<String>>,
}

impl Manifest {
    /// Reads `infra.toml`'s text (file `file` of `db`): the manifest, or
    /// the default one with the coded errors (E0013) of what is wrong: a
    /// misspelt key, a value of the wrong type, an unknown target, provider
    /// or diagnostic code, at its span.
    pub fn read(db: &SourceDb, file: FileId) -> (Manifest, Vec<Diagnostic>) {
        let invalid = |range: std::ops::Range<usize>, message: String| {
            Diagnostic::new(
                &codes::E0013,
                Span::new(file, range.start, range.end),
                format!("invalid `{PROJECT_FILE}`: {message}"),
            )
            .label("here")
        };
        let manifest = match toml::from_str::<Manifest>(db.text(file)) {
            Ok(manifest) => manifest,
            Err(error) => {
                let range = error.span().unwrap_or(0..0);
                let diagnostic = invalid(range, error.message().to_string()).note(format!(
                    "`{PROJECT_FILE}` has the tables `[build]` (entry, targets, providers, out_dir), `[params]`, `[env.NAME]` (params, out_dir), `[diagnostics]` (allow, warn, deny) and `[limits]` (max_file_bytes)"
                ));
                return (Manifest::default(), vec![diagnostic]);
            }
        };
        let mut found = Vec::new();
        for target in &manifest.build.targets {
            let name = target.get_ref();
            if name != "terraform" && crate::target::Target::from_name(name).is_none() {
                found.push(
                    invalid(target.span(), format!("unknown target `{name}`"))
                        .help("the targets are cloudformation, heat and terraform (with `providers`), or terraform-aws and terraform-openstack"),
                );
            }
        }
        for provider in &manifest.build.providers {
            let name = provider.get_ref();
            if crate::target::Target::terraform(name).is_none() {
                found.push(
                    invalid(provider.span(), format!("unknown provider `{name}`"))
                        .help("the providers are aws and openstack"),
                );
            }
        }
        let levels = &manifest.diagnostics;
        for (level, list) in [
            (crate::levels::Level::Allow, &levels.allow),
            (crate::levels::Level::Warn, &levels.warn),
            (crate::levels::Level::Deny, &levels.deny),
        ] {
            for code in list {
                if let Err(message) =
                    crate::levels::Levels::default().set(code.get_ref(), level, "")
                {
                    found.push(invalid(code.span(), message));
                }
            }
        }
        (manifest, found)
    }

    /// The manifest's diagnostic levels, each saying it comes from `shown`.
    pub fn levels(&self, shown: &str) -> crate::levels::Levels {
        let mut levels = crate::levels::Levels::default();
        let settings = &self.diagnostics;
        for (level, list, key) in [
            (crate::levels::Level::Allow, &settings.allow, "allow"),
            (crate::levels::Level::Warn, &settings.warn, "warn"),
            (crate::levels::Level::Deny, &settings.deny, "deny"),
        ] {
            for code in list {
                let origin = format!("`{key} = [\"{}\"]` in `{shown}`", code.get_ref());
                // Checked by `read`: an invalid one was reported there.
                let _ = levels.set(code.get_ref(), level, &origin);
            }
        }
        levels
    }
}

/// The nearest `infra.toml` at or above `dir`: its path on disk, and the
/// path shown for it from `dir` (`dir/../infra.toml`, normalized).
pub fn find_manifest(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let canonical = dir.canonicalize().ok()?;
    let (up, manifest) = canonical
        .ancestors()
        .map(|d| d.join(PROJECT_FILE))
        .enumerate()
        .find(|(_, m)| m.symlink_metadata().is_ok())?;
    let mut shown = dir.to_path_buf();
    shown.extend(std::iter::repeat_n("..", up));
    Some((manifest, normalize(&shown.join(PROJECT_FILE))))
}

/// Reads the `infra.toml` at `path` (shown as `shown`) into `db`: its file
/// and what it says, with its errors.
pub fn load_manifest(
    db: &mut SourceDb,
    path: &Path,
    shown: &Path,
) -> Result<(FileId, Manifest, Vec<Diagnostic>), IoError> {
    let bytes = workspace::read_input(path, Limits::default().max_file_bytes)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let file = db.add(shown.display().to_string(), Some(path), text);
    let (manifest, diagnostics) = Manifest::read(db, file);
    Ok((file, manifest, diagnostics))
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
        let Some((manifest, shown)) = find_manifest(dir) else {
            return Ok((project, Vec::new()));
        };
        project.root = manifest
            .parent()
            .expect("a file joined to a directory has a parent")
            .to_path_buf();
        let (_, read, diagnostics) = load_manifest(db, &manifest, &shown)?;
        project.limits = read.limits;
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
