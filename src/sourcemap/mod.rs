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
//!      "type": "AWS::RDS::DBInstance",
//!      "at": {"file": "app.infra", "line": 9, "column": 10},
//!      "declared": {"file": "<stdlib/portable/database.infra>", "line": 40,
//!                   "column": 12, "name": "instance"},
//!      "renamed_from": "aws_db_instance.old"}},
//!  "params": {"Env": {"param": "env", "at": {...}}},
//!  "outputs": {"DbEndpoint": {"output": "db_endpoint", "at": {...}}},
//!  "conditions": {"EnvIsProduction": {"used_by": ["Web"], "at": {...}}}}
//! ```

mod lookup;

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap as HashMap;
use serde_json::{Map, Value, json};

use crate::backend::Names;
use crate::ir::{Deployment, Target};
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
    let emitted: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let sections = Sections::of(target, &emitted);

    let mut resources = Map::new();
    for (name, r) in names.resources.iter().zip(&deployment.resources) {
        if !sections.has_resource(name) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("resource".into(), json!(text_at(db, r.span)));
        if let Some(key) = &r.copy_key {
            entry.insert("copy".into(), json!(key));
        }
        entry.insert("type".into(), json!(r.type_name));
        if let Some(at) = location(db, r.span) {
            entry.insert("at".into(), at);
        }
        if r.declared != r.span
            && let Some(Value::Object(mut declared)) = location(db, r.declared)
        {
            declared.insert("name".into(), json!(text_at(db, r.declared)));
            entry.insert("declared".into(), Value::Object(declared));
        }
        if let Some(old) = &r.moved_from {
            entry.insert(
                "renamed_from".into(),
                json!(format!("{}.{old}", r.type_name)),
            );
        }
        resources.insert(name.clone(), Value::Object(entry));
    }

    let mut params = Map::new();
    for (name, p) in names.params.iter().zip(&deployment.params) {
        if !sections.has(&sections.params, name) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("param".into(), json!(p.name));
        if let Some(at) = location(db, p.span) {
            entry.insert("at".into(), at);
        }
        params.insert(name.clone(), Value::Object(entry));
    }

    let mut outputs = Map::new();
    for (name, o) in names.outputs.iter().zip(&deployment.outputs) {
        if !sections.has(&sections.outputs, name) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("output".into(), json!(o.name));
        if let Some(at) = location(db, o.span) {
            entry.insert("at".into(), at);
        }
        outputs.insert(name.clone(), Value::Object(entry));
    }

    let mut conditions = Map::new();
    for (name, used_by) in sections.conditions() {
        let mut entry = Map::new();
        let first_at = used_by.iter().find_map(|user| {
            (resources.get(user.as_str()))
                .or_else(|| outputs.get(user.as_str()))
                .and_then(|e| e.get("at"))
                .cloned()
        });
        entry.insert("used_by".into(), json!(used_by));
        if let Some(at) = first_at {
            entry.insert("at".into(), at);
        }
        conditions.insert(name, Value::Object(entry));
    }

    let map = json!({
        "version": VERSION,
        "template": template,
        "target": target.name(),
        "resources": resources,
        "params": params,
        "outputs": outputs,
        "conditions": conditions,
    });
    let mut out = serde_json::to_string_pretty(&map).unwrap_or_default();
    out.push('\n');
    out
}

/// The text a span covers (empty when it is not in `db`).
fn text_at(db: &SourceDb, span: Span) -> &str {
    if span.file.0 as usize >= db.len() {
        return "";
    }
    db.text(span.file).get(span.range()).unwrap_or_default()
}

/// `{"file", "line", "column"}` of a span's start, one-based (`None` for a
/// span of no file in `db`: IR built by hand).
fn location(db: &SourceDb, span: Span) -> Option<Value> {
    if span.file.0 as usize >= db.len() {
        return None;
    }
    let file = db.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    Some(json!({"file": file.name, "line": line + 1, "column": column}))
}

/// The sections of an emitted template a map reads: which names it has,
/// and its conditions.
struct Sections<'t> {
    target: Target,
    resources: Option<&'t Map<String, Value>>,
    params: Option<&'t Map<String, Value>>,
    outputs: Option<&'t Map<String, Value>>,
    conditions: Option<&'t Map<String, Value>>,
}

impl<'t> Sections<'t> {
    fn of(target: Target, template: &'t Value) -> Sections<'t> {
        let section = |key: &str| template.get(key).and_then(Value::as_object);
        match target {
            Target::CloudFormation => Sections {
                target,
                resources: section("Resources"),
                params: section("Parameters"),
                outputs: section("Outputs"),
                conditions: section("Conditions"),
            },
            Target::Heat => Sections {
                target,
                resources: section("resources"),
                params: section("parameters"),
                outputs: section("outputs"),
                conditions: section("conditions"),
            },
            Target::TerraformAws | Target::TerraformOpenstack => Sections {
                target,
                resources: section("resource"),
                params: section("variable"),
                outputs: section("output"),
                conditions: None,
            },
        }
    }

    fn has(&self, section: &Option<&Map<String, Value>>, name: &str) -> bool {
        section.is_some_and(|s| s.contains_key(name))
    }

    /// Terraform's resources are `resource.TYPE.NAME`.
    fn has_resource(&self, name: &str) -> bool {
        match self.target {
            Target::TerraformAws | Target::TerraformOpenstack => {
                let Some((ty, local)) = name.split_once('.') else {
                    return false;
                };
                (self.resources)
                    .and_then(|r| r.get(ty))
                    .and_then(Value::as_object)
                    .is_some_and(|by_name| by_name.contains_key(local))
            }
            _ => self.has(&self.resources, name),
        }
    }

    /// Each condition, in the template's order, with the resources and
    /// then the outputs that use it: as their `Condition` (`condition`),
    /// or as the test of an `Fn::If` (`if`) in their values.
    fn conditions(&self) -> Vec<(String, Vec<String>)> {
        let Some(conditions) = self.conditions else {
            return Vec::new();
        };
        let (key, function) = match self.target {
            Target::CloudFormation => ("Condition", "Fn::If"),
            _ => ("condition", "if"),
        };
        let mut out: Vec<(String, Vec<String>)> =
            conditions.keys().map(|c| (c.clone(), Vec::new())).collect();
        let index: HashMap<&str, usize> = (conditions.keys().enumerate())
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let users = self.resources.into_iter().chain(self.outputs).flatten();
        let mut used = Vec::new();
        for (user, body) in users {
            used.clear();
            uses(body, key, function, &mut used);
            for name in &used {
                if let Some(&i) = index.get(name) {
                    let users = &mut out[i].1;
                    if users.last() != Some(user) {
                        users.push(user.clone());
                    }
                }
            }
        }
        out
    }
}

/// The condition names `value` uses: `{key: NAME}` and `{function: [NAME,
/// ...]}` anywhere inside it.
fn uses<'v>(value: &'v Value, key: &str, function: &str, found: &mut Vec<&'v str>) {
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                let name = match v {
                    Value::String(s) if k == key => Some(s.as_str()),
                    Value::Array(items) if k == function => items.first().and_then(Value::as_str),
                    _ => None,
                };
                found.extend(name);
                uses(v, key, function, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| uses(v, key, function, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
