//! `infra where`: a name a tool reports, found in the source maps of a
//! build directory, and shown where the program declares it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::workspace::IoError;

/// The source maps of a build directory: each with its path relative to
/// the directory, sorted by it.
pub struct Maps {
    pub dir: PathBuf,
    pub maps: Vec<(PathBuf, Value)>,
}

/// Why the maps could not be read: exit status 2.
#[derive(Debug)]
pub enum WhereError {
    Io(IoError),
    /// A map that is not JSON.
    Unreadable {
        path: PathBuf,
        why: String,
    },
    /// A directory without any map: not a build directory, or one built
    /// before maps were written.
    NoMaps {
        dir: PathBuf,
    },
}

impl fmt::Display for WhereError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhereError::Io(error) => error.fmt(f),
            WhereError::Unreadable { path, why } => {
                write!(f, "cannot read `{}`: {why}", path.display())
            }
            WhereError::NoMaps { dir } => write!(
                f,
                "no source map (`*.map.json`) in `{}`: build into it with `infra build -o {}`",
                dir.display(),
                dir.display()
            ),
        }
    }
}

impl std::error::Error for WhereError {}

impl From<IoError> for WhereError {
    fn from(error: IoError) -> WhereError {
        WhereError::Io(error)
    }
}

/// Reads every `*.map.json` in `dir` and the directories inside it.
pub fn read_maps(dir: &Path) -> Result<Maps, WhereError> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let mut maps = Vec::with_capacity(files.len());
    for path in files {
        let max = crate::project::Limits::default().max_file_bytes;
        let bytes = crate::workspace::read_input(&path, max)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| WhereError::Unreadable {
            path: path.clone(),
            why: format!("a source map that is not JSON: {e}"),
        })?;
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        maps.push((relative, value));
    }
    if maps.is_empty() {
        return Err(WhereError::NoMaps {
            dir: dir.to_path_buf(),
        });
    }
    Ok(Maps {
        dir: dir.to_path_buf(),
        maps,
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let io = |error| IoError {
        path: dir.to_path_buf(),
        action: "read directory",
        error,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(".map.json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The sections of a map, and what each entry is: also the key of its
/// name in the program.
const SECTIONS: [(&str, &str); 4] = [
    ("resources", "resource"),
    ("params", "param"),
    ("outputs", "output"),
    ("conditions", "condition"),
];

/// One entry of one map that a name found.
pub struct Hit<'m> {
    /// The template, relative to the build directory (`aws/app.tf.json`).
    pub template: String,
    pub target: &'m str,
    /// `resource`, `param`, `output` or `condition`.
    pub kind: &'static str,
    /// The template's name of it.
    pub name: &'m str,
    pub entry: &'m Map<String, Value>,
    /// The whole map it is in.
    pub map: &'m Value,
}

/// The entries of `maps` that `id` names: a CloudFormation logical id, a
/// Heat resource name, a Terraform address (with an index, `TYPE.NAME[0]`,
/// or inside a module, `module.app.TYPE.NAME`, as Terraform's messages
/// show them, only its `NAME`, or the address it was moved from), a param,
/// output or condition name.
pub fn find<'m>(maps: &'m Maps, id: &str) -> Vec<Hit<'m>> {
    let plain = normalize(id);
    let mut hits = Vec::new();
    for (path, map) in &maps.maps {
        let target = map.get("target").and_then(Value::as_str).unwrap_or("");
        let terraform = target.starts_with("terraform");
        for (section, kind) in SECTIONS {
            let Some(entries) = map.get(section).and_then(Value::as_object) else {
                continue;
            };
            for (name, entry) in entries {
                let Some(entry) = entry.as_object() else {
                    continue;
                };
                let local = (terraform && kind == "resource")
                    .then(|| name.split_once('.').map(|(_, n)| n))
                    .flatten();
                // Terraform's messages about state may name the address
                // a resource had before a rename.
                let renamed = entry.get("renamed_from").and_then(Value::as_str);
                if name == id
                    || *name == plain
                    || local == Some(plain.as_str())
                    || renamed == Some(plain.as_str())
                {
                    hits.push(Hit {
                        template: template_path(path, map),
                        target,
                        kind,
                        name,
                        entry,
                        map,
                    });
                }
            }
        }
    }
    hits
}

/// An address as Terraform's messages show it, as the map has it: no
/// `module.NAME.` before it, no `[index]` after it.
fn normalize(id: &str) -> String {
    let mut id = id.trim();
    while let Some(rest) = id.strip_prefix("module.") {
        match rest.split_once('.') {
            Some((_, after)) => id = after,
            None => break,
        }
    }
    while id.ends_with(']') {
        match id.rfind('[') {
            Some(open) => id = &id[..open],
            None => break,
        }
    }
    id.to_string()
}

/// The template a map is beside, relative to the build directory: named
/// by the map's own file name (`X.map.json` is beside `X.json`, and
/// `X.yaml.map.json` beside `X.yaml`, as `map_name` names them; a
/// program's Terraform module is `NAME/main.tf.json` whatever the map's
/// `template` says), else by the map's `template`.
fn template_path(map_path: &Path, map: &Value) -> String {
    let file_name = map_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match file_name.strip_suffix(".map.json") {
        Some(stem) if stem.ends_with(".yaml") => stem.to_string(),
        Some(stem) => format!("{stem}.json"),
        None => map
            .get("template")
            .and_then(Value::as_str)
            .map_or(file_name.clone(), str::to_string),
    };
    let path = match map_path.parent() {
        Some(parent) => parent.join(name),
        None => PathBuf::from(name),
    };
    path.to_string_lossy().replace('\\', "/")
}

/// The names of `maps` closest to `id`, for "did you mean": up to three.
pub fn closest(maps: &Maps, id: &str) -> Vec<String> {
    let plain = normalize(id);
    let mut names: Vec<&str> = Vec::new();
    for (_, map) in &maps.maps {
        for (section, _) in SECTIONS {
            if let Some(entries) = map.get(section).and_then(Value::as_object) {
                names.extend(entries.keys().map(String::as_str));
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    let mut near = crate::suggest::closest(&plain, names.iter().copied(), 3);
    // `web` for `aws_instance.web`: the address whose name is close.
    if near.is_empty() && !plain.contains('.') {
        let locals = names
            .iter()
            .filter_map(|n| Some((n.split_once('.')?.1, *n)))
            .collect::<Vec<_>>();
        let found = crate::suggest::closest(&plain, locals.iter().map(|(l, _)| *l), 3);
        near = locals
            .iter()
            .filter(|(l, _)| found.contains(l))
            .map(|(_, n)| *n)
            .take(3)
            .collect();
    }
    near.into_iter().map(str::to_string).collect()
}

/// The hits as a compiler shows a location: `FILE:LINE:COLUMN: what`, the
/// source line with a caret under the name, and for a resource made inside
/// a component the declaration it was made from. `source` gives a file's
/// text by the name the map has for it, when it can be read.
pub fn human(hits: &[Hit], source: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let field = |key: &str| hit.entry.get(key).and_then(Value::as_str);
        let what = match hit.kind {
            "resource" => {
                let copy = field("copy")
                    .map(|c| format!(" (copy `{c}`)"))
                    .unwrap_or_default();
                let renamed = field("renamed_from")
                    .map(|r| format!(", moved from {r}"))
                    .unwrap_or_default();
                // A Terraform address starts with its type.
                let native = match field("type") {
                    Some(ty) if !hit.name.starts_with(&format!("{ty}.")) => {
                        format!("{ty} {}", hit.name)
                    }
                    _ => hit.name.to_string(),
                };
                format!(
                    "resource `{}`{copy} → {native} in {}{renamed}",
                    field("resource").unwrap_or_default(),
                    hit.template
                )
            }
            "param" | "output" => {
                let native = if hit.kind == "param" {
                    "parameter"
                } else {
                    "output"
                };
                let made = field("made_for")
                    .map(|m| format!(", made for `{m}`"))
                    .unwrap_or_default();
                format!(
                    "{} `{}`{made} → {native} {} in {}",
                    hit.kind,
                    field(hit.kind).unwrap_or_default(),
                    hit.name,
                    hit.template
                )
            }
            _ => {
                let users: Vec<String> = (hit.entry.get("used_by"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|u| format!("`{u}`"))
                    .collect();
                let used = match (first_user(hit), users.is_empty()) {
                    (_, true) => String::new(),
                    (Some((kind, name)), false) => format!(
                        ", first used by {kind} `{name}` (used by {})",
                        users.join(", ")
                    ),
                    (None, false) => format!(", used by {}", users.join(", ")),
                };
                format!("condition {} in {}{used}", hit.name, hit.template)
            }
        };
        // The name the caret underlines: a condition's first user's.
        let name = match hit.kind {
            "condition" => first_user(hit).map(|(_, name)| name),
            kind => field("made_for").or_else(|| field(kind)),
        };
        located(&mut out, hit.entry.get("at"), &what, name, source);
        if let Some(declared) = hit.entry.get("declared") {
            let name = declared.get("name").and_then(Value::as_str);
            let what = format!(
                "made from `{}`, declared in a component",
                name.unwrap_or_default()
            );
            located(&mut out, Some(declared), &what, name, source);
        }
    }
    out
}

/// The first resource or output using a condition: which, and its name in
/// the program.
fn first_user<'m>(hit: &Hit<'m>) -> Option<(&'static str, &'m str)> {
    let user = hit.entry.get("used_by")?.as_array()?.first()?.as_str()?;
    [("resources", "resource"), ("outputs", "output")]
        .into_iter()
        .find_map(|(section, key)| {
            let name = hit.map.get(section)?.get(user)?.get(key)?.as_str()?;
            Some((key, name))
        })
}

/// `FILE:LINE:COLUMN: what`, then the line with a caret.
fn located(
    out: &mut String,
    at: Option<&Value>,
    what: &str,
    name: Option<&str>,
    source: &dyn Fn(&str) -> Option<String>,
) {
    let file = at.and_then(|a| a.get("file")).and_then(Value::as_str);
    let line = at.and_then(|a| a.get("line")).and_then(Value::as_u64);
    let column = at.and_then(|a| a.get("column")).and_then(Value::as_u64);
    let (Some(file), Some(line), Some(column)) = (file, line, column) else {
        out.push_str(&format!("(no location): {what}\n"));
        return;
    };
    out.push_str(&format!("{file}:{line}:{column}: {what}\n"));
    let text = source(file);
    let Some(source_line) = text
        .as_deref()
        .and_then(|t| t.lines().nth((line as usize).saturating_sub(1)))
    else {
        return;
    };
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    let before: String = source_line
        .chars()
        .take((column as usize).saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let rest: String = source_line
        .chars()
        .skip((column as usize).saturating_sub(1))
        .collect();
    let width = name.map_or(1, |n| n.chars().count().max(1));
    out.push_str(&format!("{gutter} |\n{number} | {source_line}\n"));
    out.push_str(&format!("{gutter} | {before}{}\n", "^".repeat(width)));
    if let Some(name) = name
        && !name.is_empty()
        && !rest.starts_with(name)
    {
        out.push_str(&format!(
            "{gutter} = note: the file has changed since the build: `{name}` is no longer here\n"
        ));
    }
}

/// The hits as a JSON array: each map entry with the template, target,
/// kind and template name it was found as.
pub fn json(hits: &[Hit]) -> String {
    let list: Vec<Value> = hits
        .iter()
        .map(|hit| {
            let mut object = Map::new();
            object.insert("template".into(), hit.template.clone().into());
            object.insert("target".into(), hit.target.into());
            object.insert("kind".into(), hit.kind.into());
            object.insert("name".into(), hit.name.into());
            object.extend(hit.entry.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(object)
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default();
    out.push('\n');
    out
}
