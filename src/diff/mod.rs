//! `infra diff`: what deploying a new build over an earlier one would do to
//! the resources it made, and whether that loses state.
//!
//! Each template is compared with the same-named file an earlier
//! `infra build -o DIR` wrote, resource by resource, by the template's
//! names (CloudFormation logical ids, Heat names, Terraform addresses):
//! resources added, removed, renamed (a Terraform `moved` block, or a
//! `renamed_from` of a source map beside a template) and changed, with the
//! properties that changed. What a change does comes from the native
//! type's schema in the stdlib (the checker's [`Schema`]): its state class,
//! and the properties whose change makes the tool replace the resource
//! (`replaced_by`, `may_replace`; see `tools/gen-schemas/README.md`).
//! Deleting or replacing a persistent resource (its type's state class, or
//! a template that protects it: `DeletionPolicy`/`deletion_policy`
//! `Retain` or `Snapshot`, `prevent_destroy`) is blocking unless allowed by
//! name.
//!
//! The comparison is of template text: a value given at deploy time (a
//! template parameter) is the same reference in both builds.

mod compare;
mod render;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::sema::schema::{Replacement, Schema, SchemaKind};
use crate::syntax::ast::StateClass;
use crate::target::Target;
use crate::workspace::IoError;

pub use compare::compare;
pub use render::{human, json};

/// What a change of a resource does to the deployed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Danger {
    /// Updated in place, or created: nothing deployed is lost.
    None,
    /// The tool may replace it (a new one made, the old one deleted),
    /// depending on values or on facts the schemas do not give.
    MayReplace,
    /// The tool may delete it, depending on values given when deploying: a
    /// condition it now exists under, a number of copies computed then.
    MayDelete,
    /// The tool replaces it.
    Replace,
    /// The tool deletes it (or some of its copies).
    Delete,
}

/// What `infra diff` makes of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    /// A persistent resource that may be replaced or deleted: reported, not
    /// failing.
    Warn,
    /// A persistent resource deleted or replaced: fails.
    Blocked,
    /// Blocked, but named by `--allow-replace`.
    Allowed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Added,
    Removed,
    Changed,
    Renamed,
}

/// One property (or meta-property: `count`, `DeletionPolicy`...) whose
/// value differs; `None` where it is not written.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyChange {
    pub name: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// What its change does by the type's facts.
    pub effect: Danger,
    /// Not a property: what the template says of the resource besides.
    pub meta: bool,
}

/// One resource of a template that is not the same in both builds.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    /// The template's name of it (the old name for a removed one).
    pub name: String,
    /// Its old name, when renamed.
    pub renamed_from: Option<String>,
    /// Its native type (a Heat group's members' type).
    pub type_name: String,
    /// The entry file's resource it was made for, when known (the new
    /// build's, or a source map's).
    pub resource: Option<String>,
    pub kind: Kind,
    pub properties: Vec<PropertyChange>,
    pub danger: Danger,
    /// Why it is deleted or replaced, as a sentence's end:
    /// `Engine changed from "postgres" to "mysql", and Engine forces
    /// replacement`.
    pub reason: Option<String>,
    /// Why it holds state that deleting it loses, when it does.
    pub persistent: Option<String>,
    pub verdict: Verdict,
}

/// One template's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateDiff {
    /// Its file name relative to the output directory.
    pub file: String,
    pub target: Target,
    /// The earlier build has no template of this name: everything is new.
    pub new_template: bool,
    pub changes: Vec<ResourceChange>,
}

/// The comparison of a build with an earlier one.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub templates: Vec<TemplateDiff>,
    /// Names given to `--allow-replace` that allowed nothing.
    pub unused_allowances: Vec<String>,
}

impl Report {
    /// Does any change lose a persistent resource's state unallowed?
    pub fn blocked(&self) -> bool {
        self.changes().any(|c| c.verdict == Verdict::Blocked)
    }

    /// Every change, template by template.
    pub fn changes(&self) -> impl Iterator<Item = &ResourceChange> {
        self.templates.iter().flat_map(|t| &t.changes)
    }
}

/// One side of a template's comparison: its text, the entry file's
/// resource of each of its resources when known, and its source map if
/// there is one (`NAME.<...>.map.json`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Side<'a> {
    pub text: &'a str,
    pub origins: Option<&'a [(String, String)]>,
    pub map: Option<&'a Value>,
}

/// What the stdlib (or the program) says of native types, read once each.
#[derive(Default)]
pub struct Facts {
    known: BTreeMap<String, Option<TypeFacts>>,
}

/// What a native type's schema says of its resources' state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeFacts {
    pub persistent: bool,
    pub replacement: Replacement,
}

impl Facts {
    /// Facts from the stdlib's schemas, and from the native schemas among
    /// `schemas` (those a program declares itself come first).
    pub fn new<'a>(schemas: impl IntoIterator<Item = &'a Schema>) -> Facts {
        let mut facts = Facts::default();
        for schema in schemas {
            if matches!(schema.kind, SchemaKind::Native { .. }) {
                facts
                    .known
                    .entry(schema.name.clone())
                    .or_insert_with(|| Some(TypeFacts::of(schema)));
            }
        }
        facts
    }

    /// The facts of a native type; `None` for a type no schema describes.
    pub fn of(&mut self, type_name: &str) -> Option<&TypeFacts> {
        self.known
            .entry(type_name.to_string())
            .or_insert_with(|| {
                crate::sema::check::stdlib_native_schema(type_name).map(|s| TypeFacts::of(&s))
            })
            .as_ref()
    }
}

impl TypeFacts {
    fn of(schema: &Schema) -> TypeFacts {
        TypeFacts {
            persistent: schema.state == StateClass::Persistent,
            replacement: schema.replacement.clone(),
        }
    }
}

/// Why `infra diff` could not compare: exit status 2.
#[derive(Debug)]
pub enum DiffError {
    Io(IoError),
    /// The earlier build's directory holds none of the templates built.
    NoTemplates {
        dir: PathBuf,
        names: Vec<String>,
    },
    /// A file of the earlier build is not a template of its target.
    Unreadable {
        path: PathBuf,
        why: String,
    },
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::Io(error) => error.fmt(f),
            DiffError::NoTemplates { dir, names } => write!(
                f,
                "`{}` holds none of the templates built ({}): give the directory an earlier `infra build -o` wrote, with the same `--target`s",
                dir.display(),
                names.join(", ")
            ),
            DiffError::Unreadable { path, why } => {
                write!(f, "cannot read `{}` as a template: {why}", path.display())
            }
        }
    }
}

impl std::error::Error for DiffError {}

impl From<IoError> for DiffError {
    fn from(error: IoError) -> DiffError {
        DiffError::Io(error)
    }
}

/// Compares each template of a build with the same-named file of
/// `old_dir`, written by an earlier `infra build -o old_dir`. A template
/// the directory lacks is new; a directory holding none of them, or a file
/// that is not a template, is an error. `allow` names the resources
/// (template names or the program's) whose deletion or replacement is
/// accepted.
pub fn against(
    old_dir: &Path,
    checked: &crate::Checked,
    templates: &[crate::Template],
    allow: &[String],
) -> Result<Report, DiffError> {
    let io = |path: &Path, action, error| IoError {
        path: path.to_path_buf(),
        action,
        error,
    };
    let meta = std::fs::metadata(old_dir).map_err(|e| io(old_dir, "read directory", e))?;
    if !meta.is_dir() {
        let error = std::io::Error::other("not a directory");
        return Err(io(old_dir, "read directory", error).into());
    }
    let schemas = checked.programs.iter().flat_map(|(_, p)| &p.schemas);
    let mut facts = Facts::new(schemas);
    let names = crate::output_names(&checked.db, templates);
    let mut diffs = Vec::new();
    // Each diff's deployment: its entry file and target, for the moves
    // between a parent and its nested stacks.
    let mut deployments = Vec::new();
    let mut found = false;
    for (name, template) in names.iter().zip(templates) {
        let path = old_dir.join(name);
        let old_text = read_text(&path)?;
        found |= old_text.is_some();
        let old_map = read_map(&crate::sourcemap::map_path(&path))?;
        let old = old_text.as_deref().map(|text| Side {
            text,
            origins: None,
            map: old_map.as_ref(),
        });
        let new = Side {
            text: &template.text,
            origins: Some(&template.origins),
            map: None,
        };
        let diff = compare(name, template.target, old, new, &mut facts).map_err(|why| {
            DiffError::Unreadable {
                path: path.clone(),
                why,
            }
        })?;
        diffs.push(diff);
        deployments.push((template.file, template.target));
        // The earlier build's nested stacks that this one does not have:
        // everything in them is gone from there.
        if template.stack.is_none()
            && let Some(text) = &old_text
        {
            for child in crate::backend::read::stack_files(template.target, text) {
                if names.contains(&child) || child.contains('/') || child.contains("..") {
                    continue;
                }
                let path = old_dir.join(&child);
                let Some(old_text) = read_text(&path)? else {
                    continue;
                };
                let old_map = read_map(&crate::sourcemap::map_path(&path))?;
                let old = Side {
                    text: &old_text,
                    origins: None,
                    map: old_map.as_ref(),
                };
                let new = Side {
                    text: crate::backend::read::empty(template.target),
                    origins: None,
                    map: None,
                };
                let diff = compare(&child, template.target, Some(old), new, &mut facts).map_err(
                    |why| DiffError::Unreadable {
                        path: path.clone(),
                        why,
                    },
                )?;
                diffs.push(diff);
                deployments.push((template.file, template.target));
            }
        }
    }
    moves_between_stacks(&mut diffs, &deployments);
    if !found {
        return Err(DiffError::NoTemplates {
            dir: old_dir.to_path_buf(),
            names,
        });
    }
    Ok(allowing(diffs, allow))
}

/// An earlier build's file: a regular file within the default limit, read
/// without blocking (a FIFO planted in the directory is refused).
fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let max = crate::project::Limits::default().max_file_bytes;
    crate::workspace::read_regular(path, max).map_err(std::io::Error::from)
}

/// A file of the earlier build, if there is one.
fn read_text(path: &Path) -> Result<Option<String>, DiffError> {
    match read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| DiffError::Unreadable {
                path: path.to_path_buf(),
                why: "not UTF-8".into(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(IoError {
            path: path.to_path_buf(),
            action: "read",
            error,
        }
        .into()),
    }
}

/// A resource removed from one template of a deployment and added, under
/// the same name and type, to another (a parent and its nested stacks, see
/// `stacks`) moves between stacks: a stack owns its resources, so the tool
/// deletes it from the one and creates it anew in the other. It is one
/// change, a replacement, in the template it moves to.
fn moves_between_stacks(
    diffs: &mut [TemplateDiff],
    deployments: &[(crate::source::FileId, Target)],
) {
    let mut removed: BTreeMap<(usize, &str, &str), (usize, usize)> = BTreeMap::new();
    let group = |i: usize| {
        deployments[..=i]
            .iter()
            .position(|d| *d == deployments[i])
            .unwrap_or(i)
    };
    for (t, diff) in diffs.iter().enumerate() {
        for (c, change) in diff.changes.iter().enumerate() {
            if change.kind == Kind::Removed {
                removed.insert((group(t), &change.name, &change.type_name), (t, c));
            }
        }
    }
    let mut moves: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for (t, diff) in diffs.iter().enumerate() {
        for (c, change) in diff.changes.iter().enumerate() {
            if change.kind == Kind::Added
                && let Some(&from) = removed.get(&(group(t), &change.name, &change.type_name))
                && from.0 != t
            {
                moves.push((from, (t, c)));
            }
        }
    }
    let mut dropped: Vec<(usize, usize)> = Vec::new();
    for ((from_t, from_c), (to_t, to_c)) in moves {
        let from_file = diffs[from_t].file.clone();
        let gone = diffs[from_t].changes[from_c].clone();
        let change = &mut diffs[to_t].changes[to_c];
        change.kind = Kind::Changed;
        change.danger = Danger::Replace;
        change.reason = Some(format!(
            "it moves from `{from_file}` to this template: a stack owns its resources, so it is deleted from the one and created anew in the other"
        ));
        change.persistent = gone.persistent.clone();
        change.resource = change.resource.clone().or(gone.resource);
        change.verdict = match change.persistent {
            Some(_) => Verdict::Blocked,
            None => Verdict::Fine,
        };
        dropped.push((from_t, from_c));
    }
    dropped.sort_unstable();
    for &(t, c) in dropped.iter().rev() {
        diffs[t].changes.remove(c);
    }
}

/// A source map, if there is one; one that is not JSON is an error.
fn read_map(path: &Path) -> Result<Option<Value>, DiffError> {
    match read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| DiffError::Unreadable {
                path: path.to_path_buf(),
                why: format!("a source map that is not JSON: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(IoError {
            path: path.to_path_buf(),
            action: "read",
            error,
        }
        .into()),
    }
}

/// Decides each blocked change's verdict by `allow`: a name allows a
/// resource it names by its template name (old or new; a Terraform
/// address's `NAME` alone too) or by the entry file's resource.
pub fn allowing(mut templates: Vec<TemplateDiff>, allow: &[String]) -> Report {
    let mut used = vec![false; allow.len()];
    for change in templates.iter_mut().flat_map(|t| &mut t.changes) {
        if change.verdict != Verdict::Blocked {
            continue;
        }
        let names = [Some(&change.name), change.renamed_from.as_ref()];
        let short = |n: &String| n.split_once('.').map(|(_, s)| s.to_string());
        let mut own: Vec<String> = names.into_iter().flatten().cloned().collect();
        own.extend(names.into_iter().flatten().filter_map(short));
        own.extend(change.resource.clone());
        for (i, name) in allow.iter().enumerate() {
            if own.contains(name) {
                used[i] = true;
                change.verdict = Verdict::Allowed;
            }
        }
    }
    let mut unused: Vec<String> = allow
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(name, _)| name.clone())
        .collect();
    unused.dedup();
    Report {
        templates,
        unused_allowances: unused,
    }
}
