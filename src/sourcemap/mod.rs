//! Source maps: beside each template, where the program declares each of
//! its resources, params, outputs and conditions, so that a name a tool
//! reports (a CloudFormation logical id, a Heat resource name, a Terraform
//! address) leads back to a line of the program (`infra where`, `lookup`).
//!
//! A map is built from the deployment a template was emitted from, the
//! template's names of its resources, params and outputs
//! (`backend::names`), and the emitted text itself, read back for what
//! only the template says: which entries it kept, and its conditions
//! (CloudFormation `Conditions`, Heat `conditions`) with what uses them.
//!
//! ```json
//! {"version": 1, "template": "app.template.json", "target": "cloudformation",
//!  "resources": {"DbInstance": {"resource": "db", "copy": "logs",
//!      "type": "<the native type>",
//!      "at": {"file": "app.infra", "line": 9, "column": 10},
//!      "declared": {"file": "stdlib:portable/database.infra", "line": 40,
//!                   "column": 12, "name": "instance"},
//!      "renamed_from": "<the Terraform address it was moved from>"}},
//!  "params": {"Env": {"param": "env", "at": {...}}},
//!  "outputs": {"DbEndpoint": {"output": "db_endpoint", "at": {...}}},
//!  "conditions": {"EnvIsProduction": {"used_by": ["Web"], "at": {...}}}}
//! ```

mod emitted;
mod lookup;

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::Names;
use crate::ir::Deployment;
use crate::json::{self, Entries, Json, json};
use crate::source::{SourceDb, Span};

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

/// The source map of one template: `template` is its file name, `text`
/// what `backend::emit` printed for `deployment`, `names` what
/// `backend::names` gives. Pretty JSON with a final newline, the same for
/// the same build.
pub fn build(
    db: &SourceDb,
    deployment: &Deployment,
    names: &Names,
    template: &str,
    text: &str,
) -> String {
    let target = deployment.target;
    let emitted = emitted::read(target, text).unwrap_or_default();
    // What the template kept: an output under a condition that never
    // holds is left out, say.
    let kept_resources: HashSet<&str> = emitted.resources.iter().map(|(n, _)| &**n).collect();
    let kept_params: HashSet<&str> = emitted.params.iter().map(|n| &**n).collect();
    let kept_outputs: HashSet<&str> = emitted.outputs.iter().map(|(n, _)| &**n).collect();
    // Where each resource and output is, for its conditions.
    let mut places: HashMap<&str, Json> = HashMap::default();

    let mut resources: Entries = Vec::with_capacity(deployment.resources.len());
    for (name, r) in names.resources.iter().zip(&deployment.resources) {
        if !kept_resources.contains(name.as_str()) {
            continue;
        }
        let mut entry: Entries = Vec::with_capacity(6);
        entry.push(("resource".into(), text_at(db, r.span).into()));
        if let Some(key) = &r.copy_key {
            entry.push(("copy".into(), key.as_str().into()));
        }
        entry.push(("type".into(), r.type_name.as_str().into()));
        if let Some(at) = location(db, r.span, None) {
            places.insert(name, at.clone());
            entry.push(("at".into(), at));
        }
        if r.declared != r.span
            && let Some(declared) = location(db, r.declared, Some(text_at(db, r.declared)))
        {
            entry.push(("declared".into(), declared));
        }
        if let Some(old) = &r.moved_from {
            let from = format!("{}.{old}", r.type_name);
            entry.push(("renamed_from".into(), from.into()));
        }
        resources.push((name.as_str().into(), Json::Object(entry)));
    }

    let mut params: Entries = Vec::with_capacity(deployment.params.len());
    for (name, p) in names.params.iter().zip(&deployment.params) {
        if !kept_params.contains(name.as_str()) {
            continue;
        }
        let mut entry: Entries = vec![("param".into(), p.name.as_str().into())];
        entry.extend(location(db, p.span, None).map(|at| ("at".into(), at)));
        params.push((name.as_str().into(), Json::Object(entry)));
    }

    let mut outputs: Entries = Vec::with_capacity(deployment.outputs.len());
    for (name, o) in names.outputs.iter().zip(&deployment.outputs) {
        if !kept_outputs.contains(name.as_str()) {
            continue;
        }
        let mut entry: Entries = vec![("output".into(), o.name.as_str().into())];
        if let Some(at) = location(db, o.span, None) {
            places.insert(name, at.clone());
            entry.push(("at".into(), at));
        }
        outputs.push((name.as_str().into(), Json::Object(entry)));
    }

    // Each condition with its users: resources, then outputs, in the
    // template's order.
    let index: HashMap<&str, usize> = (emitted.conditions.iter().enumerate())
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut users: Vec<Vec<&str>> = vec![Vec::new(); emitted.conditions.len()];
    for (user, used) in emitted.resources.iter().chain(&emitted.outputs) {
        for condition in used {
            if let Some(&i) = index.get(condition.as_str()) {
                users[i].push(user);
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
    for _ in 0..combined.len() {
        let mut grew = false;
        for (outer, inner) in combined.iter().enumerate() {
            for &i in inner {
                if i == outer {
                    continue;
                }
                let from: Vec<&str> = users[outer].clone();
                for user in from {
                    if !users[i].contains(&user) {
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
    let conditions: Entries = (emitted.conditions.iter().zip(users))
        .map(|(name, users)| {
            let at = users.iter().find_map(|u| places.get(u).cloned());
            let list = users.iter().map(|u| Json::from(u.to_string())).collect();
            let mut entry: Entries = vec![("used_by".into(), Json::Array(list))];
            entry.extend(at.map(|at| ("at".into(), at)));
            (name.clone().into(), Json::Object(entry))
        })
        .collect();

    let map = json!({
        "version": Json::int(VERSION as i64),
        "template": template,
        "target": target.name(),
        "resources": Json::Object(resources),
        "params": Json::Object(params),
        "outputs": Json::Object(outputs),
        "conditions": Json::Object(conditions),
    });
    json::pretty(&map)
}

/// The text a span covers (empty when it is not in `db`).
fn text_at(db: &SourceDb, span: Span) -> &str {
    if span.file.0 as usize >= db.len() {
        return "";
    }
    db.text(span.file).get(span.range()).unwrap_or_default()
}

/// `{"file", "line", "column"}` of a span's start, one-based, and the
/// `name` there when given (`None` for a span of no file in `db`: IR built
/// by hand).
fn location<'a>(db: &'a SourceDb, span: Span, name: Option<&'a str>) -> Option<Json<'a>> {
    if span.file.0 as usize >= db.len() {
        return None;
    }
    let file = db.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let mut at: Entries = vec![
        ("file".into(), file.name.as_str().into()),
        ("line".into(), Json::int(line as i64 + 1)),
        ("column".into(), Json::int(column as i64)),
    ];
    at.extend(name.map(|n| ("name".into(), n.into())));
    Some(Json::Object(at))
}

#[cfg(test)]
mod tests;
