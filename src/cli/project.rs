//! What `infra.toml` adds to a command line: entry files, targets and
//! providers, the output directory, params per environment (its levels are
//! applied per file by `main.rs`'s `leveled`). The command line's paths and
//! flags override each.

use std::path::{Path, PathBuf};

use infra::diagnostics::Diagnostic;
use infra::params::{Given, GivenParams, GivenValue, Origin};
use infra::project::{self, Manifest};
use infra::source::SourceDb;

/// The project file of a command, read: where it is and what it says.
pub struct Found {
    /// Its directory, as shown from where the command runs.
    pub dir: PathBuf,
    /// Its path as shown.
    pub shown: PathBuf,
    pub manifest: Manifest,
}

/// The `infra.toml` that governs a command: the nearest at or above the
/// first path given (a directory itself, a file its directory), or the
/// current directory when none is. `Err` holds its errors, with the
/// database to show them.
pub fn find(paths: &[PathBuf]) -> Result<Option<Found>, (SourceDb, Vec<Diagnostic>)> {
    let start = match paths.first() {
        None => PathBuf::from("."),
        Some(path) if path.is_dir() => path.clone(),
        Some(path) => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    };
    let Some((real, shown)) = project::find_manifest(&start) else {
        return Ok(None);
    };
    let mut db = SourceDb::new();
    let (manifest, errors) = match project::load_manifest(&mut db, &real, &shown) {
        Ok((_, manifest, errors)) => (manifest, errors),
        // Unreadable: the compilation reports it as it reads the project.
        Err(_) => return Ok(None),
    };
    if !errors.is_empty() {
        return Err((db, errors));
    }
    let dir = shown
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(Some(Found {
        dir,
        shown,
        manifest,
    }))
}

impl Found {
    /// The entry paths of a bare command: `[build] entry`, or the
    /// project's directory.
    pub fn entries(&self) -> Vec<PathBuf> {
        let entry = &self.manifest.build.entry;
        if entry.is_empty() {
            return vec![self.dir.clone()];
        }
        entry
            .iter()
            .map(|e| project::normalize(&self.dir.join(e)))
            .collect()
    }

    pub fn targets(&self) -> Vec<String> {
        let build = &self.manifest.build;
        build.targets.iter().map(|t| t.get_ref().clone()).collect()
    }

    pub fn providers(&self) -> Vec<String> {
        let build = &self.manifest.build;
        build
            .providers
            .iter()
            .map(|p| p.get_ref().clone())
            .collect()
    }

    /// The output directory: the environment's, else `[build] out_dir`.
    pub fn out_dir(&self, env: Option<&str>) -> Option<PathBuf> {
        let of_env = env
            .and_then(|e| self.manifest.env.get(e))
            .and_then(|e| e.out_dir.as_ref());
        of_env
            .or(self.manifest.build.out_dir.as_ref())
            .map(|d| project::normalize(&self.dir.join(d)))
    }

    /// Adds the project's params (the environment's over `[params]`) under
    /// those already given: the command line and `INFRA_PARAM_*` win.
    pub fn add_params(&self, env: Option<&str>, given: &mut GivenParams) {
        let of_env = env.and_then(|e| self.manifest.env.get(e));
        let layers = of_env.map(|e| &e.params).into_iter();
        for table in layers.chain([&self.manifest.params]) {
            for (name, value) in table {
                let Ok(json) = serde_json::to_value(value) else {
                    continue;
                };
                given.entry(name.clone()).or_insert(Given {
                    value: GivenValue::Json(json),
                    origin: Origin::File(self.shown.clone()),
                });
            }
        }
    }
}

/// `--env NAME` must name an `[env.NAME]` of the project file.
pub fn check_env(found: Option<&Found>, env: Option<&str>) -> Result<(), String> {
    let Some(env) = env else {
        return Ok(());
    };
    let Some(found) = found else {
        return Err(format!(
            "`--env {env}` needs a project file: no `{}` at or above the input",
            project::PROJECT_FILE
        ));
    };
    if found.manifest.env.contains_key(env) {
        return Ok(());
    }
    let names: Vec<String> = found
        .manifest
        .env
        .keys()
        .map(|k| format!("`{k}`"))
        .collect();
    let known = if names.is_empty() {
        "it has no `[env.NAME]` table".to_string()
    } else {
        format!("its environments are {}", names.join(", "))
    };
    Err(format!(
        "`{}` has no environment `{env}`: {known}",
        found.shown.display()
    ))
}
