//! Source maps: beside each template, where the program declares each of
//! its resources, params, outputs and conditions, so that a name a tool
//! reports (a CloudFormation logical id, a Heat resource name, a Terraform
//! address) leads back to a line of the program (`infra where`, `lookup`).
//!
//! A map is built from the deployment a template was emitted from, the
//! template's names of its resources, params and outputs
//! (`backend::names`), and what the backend noted of the tree it printed
//! (`Emitted`), for what only the template says: which entries it kept, and
//! its conditions (CloudFormation `Conditions`, Heat `conditions`) with what
//! uses them. The template is never read back.
//!
//! ```json
//! {"version": 1, "template": "app.template.json", "target": "cloudformation",
//!  "resources": {"DbInstance": {"resource": "db", "copy": "logs",
//!      "type": "<the native type>",
//!      "at": {"file": "app.infra", "line": 9, "column": 10},
//!      "declared": {"file": "stdlib:portable/database.infra", "line": 40,
//!                   "column": 12, "name": "instance"},
//!      "renamed_from": "<the Terraform address it was moved from>"}},
//!  "params": {"Env": {"param": "env", "at": {...}},
//!      "SubnetRef": {"param": "SubnetRef", "made_for": "subnet", "at": {...}}},
//!  "outputs": {"DbEndpoint": {"output": "db_endpoint", "at": {...}}},
//!  "conditions": {"EnvIsProduction": {"used_by": ["Web"], "at": {...}}}}
//! ```

mod emitted;
mod lookup;

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::Names;
use crate::ir::Deployment;
use crate::json::{self, Json};
use crate::source::{SourceDb, Span};
use crate::workspace::Spill;

pub use emitted::Emitted;
pub use lookup::{Hit, Maps, WhereError, closest, find, human, json, read_maps};

/// The version of the format, `"version"` in every map.
pub const VERSION: u64 = 1;

/// The source map's file name for a template's: `NAME.template.map.json`
/// for `NAME.template.json`, `NAME.hot.map.json`, `NAME.tf.map.json` (which
/// Terraform, reading `*.tf.json`, leaves alone).
pub fn map_name(template: &str) -> String {
    let stem = template.strip_suffix(".json").unwrap_or(template);
    format!("{stem}.map.json")
}

/// The source map beside a template file.
pub fn map_path(template: &Path) -> PathBuf {
    let name = template
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    template.with_file_name(map_name(&name))
}

/// The source map of one template: `template` is its file name,
/// `emitted` what `backend::emission` noted of the template it printed
/// for `deployment`, `names` what `backend::names` gives. JSON with each
/// entry (a resource, param, output or condition) on a line of its own,
/// which a search for a name shows whole, and a final newline; the same
/// for the same build.
pub fn build(
    db: &SourceDb,
    deployment: &Deployment,
    names: &Names,
    template: &str,
    emitted: &Emitted,
) -> String {
    let mut out = Spill::held(String::new());
    write(db, deployment, (names, template, emitted), &mut out);
    out.finish().text
}

/// `build`, written to `out` entry by entry: staged as it is made where
/// `out` is (`Spill`).
pub fn write(
    db: &SourceDb,
    deployment: &Deployment,
    (names, template, emitted): (&Names, &str, &Emitted),
    out: &mut Spill<'_>,
) {
    let target = deployment.target;
    // What the template kept: an output under a condition that never
    // holds is left out, say.
    let kept_resources: HashSet<&str> = match &emitted.kept {
        Some(_) => HashSet::default(),
        None => emitted.resources.iter().map(|(n, _)| &**n).collect(),
    };
    let kept = |i: usize, name: &str| match &emitted.kept {
        Some(kept) => kept.get(i).copied().unwrap_or(false),
        None => kept_resources.contains(name),
    };
    let kept_params: HashSet<&str> = emitted.params.iter().map(|n| &**n).collect();
    let kept_outputs: HashSet<&str> = emitted.outputs.iter().map(|(n, _)| &**n).collect();
    // Where each resource and output is, for its conditions: only a map
    // with conditions looks them up.
    let has_conditions = !emitted.conditions.is_empty();
    let mut places: HashMap<&str, Span> = HashMap::default();
    let mut locations = Locations::default();

    // Written as text entry by entry: a map has an entry for every
    // resource, and holding them all as a tree would cost several times
    // the text. About 250 bytes a resource, reserved at once: grown by
    // doubling, a large map would be copied and its pages touched twice
    // (room reserved and left untouched costs no memory). A map written
    // out as it grows takes at most what it holds before it is.
    out.reserve(4096 + 384 * deployment.resources.len());
    out.text.push('{');
    let header = [
        ("version", Json::int(VERSION as i64)),
        ("template", template.into()),
        ("target", target.name().into()),
    ];
    for (i, (key, value)) in header.iter().enumerate() {
        json::write_key(&mut out.text, i, 1, key);
        json::write(&mut out.text, value, 1);
    }
    let mut section = Section::open(&mut out.text, header.len(), "resources");
    for (i, (name, r)) in names
        .resources
        .iter()
        .zip(&deployment.resources)
        .enumerate()
    {
        if !kept(i, name) {
            continue;
        }
        section.entry(&mut out.text, name);
        field(&mut out.text, 0, "resource");
        json::write_str(&mut out.text, text_at(db, r.span));
        if let Some(key) = &r.copy_key {
            field(&mut out.text, 1, "copy");
            json::write_str(&mut out.text, key);
        }
        field(&mut out.text, 1, "type");
        json::write_str(&mut out.text, &r.type_name);
        if let Some(at) = locations.at(db, r.span, false) {
            if has_conditions {
                places.insert(name, r.span);
            }
            field(&mut out.text, 1, "at");
            out.text.push_str(at);
        }
        if r.declared != r.span
            && let Some(declared) = locations.at(db, r.declared, true)
        {
            field(&mut out.text, 1, "declared");
            out.text.push_str(declared);
        }
        if let Some(old) = r.moved_from() {
            // `TYPE.OLD`, escaped piece by piece as escaping goes byte by
            // byte.
            field(&mut out.text, 1, "renamed_from");
            out.text.push('"');
            json::write_escaped(&mut out.text, &r.type_name);
            out.text.push('.');
            json::write_escaped(&mut out.text, old);
            out.text.push('"');
        }
        Section::close_entry(&mut out.text);
        out.spill();
    }
    section.close(&mut out.text);

    let mut section = Section::open(&mut out.text, header.len() + 1, "params");
    for (name, p) in names.params.iter().zip(&deployment.params) {
        if !kept_params.contains(name.as_str()) {
            continue;
        }
        section.entry(&mut out.text, name);
        field(&mut out.text, 0, "param");
        json::write_str(&mut out.text, &p.name);
        made_for(&mut out.text, &p.name, text_at(db, p.span));
        if let Some(at) = locations.at(db, p.span, false) {
            field(&mut out.text, 1, "at");
            out.text.push_str(at);
        }
        Section::close_entry(&mut out.text);
        out.spill();
    }
    section.close(&mut out.text);

    let mut section = Section::open(&mut out.text, header.len() + 2, "outputs");
    for (name, o) in names.outputs.iter().zip(&deployment.outputs) {
        if !kept_outputs.contains(name.as_str()) {
            continue;
        }
        section.entry(&mut out.text, name);
        field(&mut out.text, 0, "output");
        json::write_str(&mut out.text, &o.name);
        made_for(&mut out.text, &o.name, text_at(db, o.span));
        if let Some(at) = locations.at(db, o.span, false) {
            if has_conditions {
                places.insert(name, o.span);
            }
            field(&mut out.text, 1, "at");
            out.text.push_str(at);
        }
        Section::close_entry(&mut out.text);
        out.spill();
    }
    section.close(&mut out.text);

    // Each condition with its users: resources, then outputs, in the
    // template's order.
    let index: HashMap<&str, usize> = (emitted.conditions.iter().enumerate())
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut users: Vec<Vec<&str>> = vec![Vec::new(); emitted.conditions.len()];
    if has_conditions {
        for (user, used) in emitted.resources.iter().chain(&emitted.outputs) {
            for condition in used {
                if let Some(&i) = index.get(condition.as_str()) {
                    users[i].push(user);
                }
            }
        }
    }
    // A condition combined into others is used where they are.
    let combined: Vec<Vec<usize>> = (emitted.condition_reads.iter())
        .map(|texts| {
            texts
                .iter()
                .filter_map(|t| index.get(t.as_str()).copied())
                .collect()
        })
        .collect();
    let mut seen: Vec<HashSet<&str>> = (users.iter())
        .map(|list| list.iter().copied().collect())
        .collect();
    for _ in 0..combined.len() {
        let mut grew = false;
        for (outer, inner) in combined.iter().enumerate() {
            for &i in inner.iter().filter(|&&i| i != outer) {
                for k in 0..users[outer].len() {
                    let user = users[outer][k];
                    if seen[i].insert(user) {
                        users[i].push(user);
                        grew = true;
                    }
                }
            }
        }
        if !grew {
            break;
        }
    }
    let mut section = Section::open(&mut out.text, header.len() + 3, "conditions");
    for (name, users) in emitted.conditions.iter().zip(users) {
        section.entry(&mut out.text, name);
        field(&mut out.text, 0, "used_by");
        out.text.push('[');
        for (i, user) in users.iter().enumerate() {
            if i > 0 {
                out.text.push_str(", ");
            }
            json::write_str(&mut out.text, user);
        }
        out.text.push(']');
        let at = (users.iter())
            .find_map(|u| places.get(u))
            .and_then(|&span| locations.at(db, span, false));
        if let Some(at) = at {
            field(&mut out.text, 1, "at");
            out.text.push_str(at);
        }
        Section::close_entry(&mut out.text);
        out.spill();
    }
    section.close(&mut out.text);
    json::write_close(&mut out.text, 0, header.len() + 4, '}');
    out.text.push('\n');
}

/// The start of an entry's field, the `index`th: an entry is one line,
/// its fields one after another.
fn field(out: &mut String, index: usize, key: &str) {
    if index > 0 {
        out.push_str(", ");
    }
    json::write_str(out, key);
    out.push_str(": ");
}

/// A section of the map's object, written entry by entry.
struct Section {
    count: usize,
}

impl Section {
    /// Opens the `index`th entry of the map, `key`, an object.
    fn open(out: &mut String, index: usize, key: &str) -> Section {
        json::write_key(out, index, 1, key);
        out.push('{');
        Section { count: 0 }
    }

    /// Opens the entry `name`, an object on one line whose fields follow
    /// ([`field`], at least one), then [`Section::close_entry`].
    fn entry(&mut self, out: &mut String, name: &str) {
        json::write_key(out, self.count, 2, name);
        out.push('{');
        self.count += 1;
    }

    fn close_entry(out: &mut String) {
        out.push('}');
    }

    fn close(self, out: &mut String) {
        json::write_close(out, 1, self.count, '}');
    }
}

/// The text a span covers (empty when it is not in `db`).
/// `made_for`, the name of the program's a param or output that the
/// program does not declare is made for (a nested stack's parameter and
/// output that pass what another stack reads of resource `subnet`), where
/// its `at` points.
fn made_for(out: &mut String, name: &str, source: &str) {
    if !source.is_empty() && source != name {
        field(out, 1, "made_for");
        json::write_str(out, source);
    }
}

fn text_at(db: &SourceDb, span: Span) -> &str {
    if span.file.0 as usize >= db.len() {
        return "";
    }
    db.text(span.file).get(span.range()).unwrap_or_default()
}

/// The printed `{"file", "line", "column"}` of each span met, with its
/// `"name"` or not, as a field of an entry: the copies of a resource, and
/// the resources of one declaration, share their places, and finding a
/// line and column and escaping a file name cost more than copying the
/// text.
#[derive(Default)]
struct Locations {
    printed: HashMap<(Span, bool), String>,
}

impl Locations {
    /// The object of a span's start, one-based, with the text the span
    /// covers as its `name` when `named` (`None` for a span of no file in
    /// `db`: IR built by hand).
    fn at(&mut self, db: &SourceDb, span: Span, named: bool) -> Option<&str> {
        if span.file.0 as usize >= db.len() {
            return None;
        }
        // A span without a name is found by its start alone.
        let key = match named {
            true => span,
            false => Span {
                end: span.start,
                ..span
            },
        };
        let text = self.printed.entry((key, named)).or_insert_with(|| {
            let file = db.get(span.file);
            let (line, column) = file.line_col(span.start as usize);
            let mut text = String::from('{');
            field(&mut text, 0, "file");
            json::write_str(&mut text, &file.name);
            field(&mut text, 1, "line");
            json::write(&mut text, &Json::int(line as i64 + 1), 0);
            field(&mut text, 1, "column");
            json::write(&mut text, &Json::int(column as i64), 0);
            if named {
                field(&mut text, 1, "name");
                json::write_str(&mut text, text_at(db, span));
            }
            text.push('}');
            text
        });
        Some(text)
    }
}

#[cfg(test)]
mod tests;
