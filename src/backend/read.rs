//! A built template read back, for `infra diff`: its resources, from its
//! JSON by the target's shape (a backend's knowledge of its format):
//! CloudFormation `Resources`, Heat `resources`, Terraform
//! `resource.TYPE.NAME` and `moved` blocks.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use serde_json::Value;

use crate::target::Target;

/// One resource of a template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Res {
    /// The native type whose facts apply: a Heat `ResourceGroup`'s members'
    /// type.
    pub type_name: String,
    /// A Heat `OS::Heat::ResourceGroup` of `type_name`.
    pub group: bool,
    /// Its top-level properties (a group's: its members').
    pub properties: BTreeMap<String, Value>,
    /// What else the template says of it that is compared (CloudFormation
    /// `Condition`, `DependsOn`, `DeletionPolicy`; Heat `depends_on`,
    /// `condition`; Terraform `count`, `depends_on`, `lifecycle`...): a
    /// change here never replaces the resource, but `count` may delete
    /// copies.
    pub meta: BTreeMap<String, Value>,
    /// Why the template protects it, if it does: CloudFormation
    /// `DeletionPolicy`/`UpdateReplacePolicy` `Retain` or `Snapshot`, Heat
    /// `deletion_policy`, Terraform `prevent_destroy`.
    pub protected: Option<String>,
    /// The resources each property names (CloudFormation `Ref`,
    /// `Fn::GetAtt`, `Fn::Sub`; Heat `get_resource`, `get_attr`), by the
    /// template's names; Terraform's are not read.
    pub refers_to: BTreeMap<String, BTreeSet<String>>,
}

/// A template's resources by the template's name of each, and the renames
/// it records (new name → old name).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Shape {
    /// In the template's order.
    pub resources: IndexMap<String, Res>,
    pub moved: BTreeMap<String, String>,
}

/// Reads a template of `target`; `Err` says what is not as the target
/// writes it.
pub(crate) fn read(target: Target, text: &str) -> Result<Shape, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Some(top) = value.as_object() else {
        return Err("not a JSON object".into());
    };
    match target {
        Target::CloudFormation => cloudformation(top),
        Target::Heat => heat(top),
        Target::TerraformAws | Target::TerraformOpenstack => terraform(top),
    }
}

/// The nested stacks a parent template holds, by their files' names
/// relative to it (CloudFormation: an `AWS::CloudFormation::Stack`'s local
/// `TemplateURL`; Heat: a template resource's `type`), in its order; none
/// for a template that is not JSON or holds none.
pub(crate) fn stack_files(target: Target, text: &str) -> Vec<String> {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let (section, file_of): (&str, fn(&Object) -> Option<&str>) = match target {
        Target::CloudFormation => ("Resources", |body| {
            (body.get("Type")?.as_str()? == "AWS::CloudFormation::Stack")
                .then(|| body.get("Properties")?.get("TemplateURL")?.as_str())
                .flatten()
                .filter(|url| !url.contains("://"))
        }),
        Target::Heat => ("resources", |body| {
            body.get("type")?
                .as_str()
                .filter(|t| t.ends_with(".yaml") || t.ends_with(".template"))
                .filter(|t| !t.contains("://"))
        }),
        Target::TerraformAws | Target::TerraformOpenstack => return Vec::new(),
    };
    let Some(Value::Object(resources)) = top.get(section) else {
        return Vec::new();
    };
    resources
        .values()
        .filter_map(|body| file_of(body.as_object()?))
        .map(str::to_string)
        .collect()
}

/// The text of a template of `target` without resources, which `read`
/// reads as no resources: the other side of a nested stack that is gone.
pub(crate) fn empty(target: Target) -> &'static str {
    match target {
        Target::CloudFormation => r#"{"Resources": {}}"#,
        Target::Heat => r#"{"heat_template_version": "2018-08-31", "resources": {}}"#,
        Target::TerraformAws | Target::TerraformOpenstack => "{}",
    }
}

type Object = serde_json::Map<String, Value>;

fn section<'a>(top: &'a Object, key: &str) -> Result<Option<&'a Object>, String> {
    match top.get(key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(format!("`{key}` is not an object")),
    }
}

fn properties(value: Option<&Value>, owner: &str) -> Result<BTreeMap<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(o)) => Ok(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(_) => Err(format!("the properties of `{owner}` are not an object")),
    }
}

fn type_of(body: &Object, key: &str, owner: &str) -> Result<String, String> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("`{owner}` has no `{key}`"))
}

/// A deletion policy that keeps the resource or a snapshot of it.
fn keeps(policy: Option<&Value>) -> Option<&str> {
    let policy = policy?.as_str()?;
    ["retain", "snapshot", "retainexceptoncreate"]
        .contains(&policy.to_ascii_lowercase().as_str())
        .then_some(policy)
}

fn cloudformation(top: &Object) -> Result<Shape, String> {
    let mut shape = Shape::default();
    for (id, body) in section(top, "Resources")?.into_iter().flatten() {
        let body = body
            .as_object()
            .ok_or_else(|| format!("resource `{id}` is not an object"))?;
        let props = properties(body.get("Properties"), id)?;
        let refers_to = refs(&props, cfn_refs);
        let protected = ["DeletionPolicy", "UpdateReplacePolicy"]
            .iter()
            .find_map(|key| keeps(body.get(*key)).map(|p| format!("its {key} is {p}")));
        let meta = body
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "Type" | "Properties"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        shape.resources.insert(
            id.clone(),
            Res {
                type_name: type_of(body, "Type", id)?,
                group: false,
                properties: props,
                meta,
                protected,
                refers_to,
            },
        );
    }
    Ok(shape)
}

/// The resources each property names, where it names any.
fn refs(
    props: &BTreeMap<String, Value>,
    read: fn(&Value, &mut BTreeSet<String>),
) -> BTreeMap<String, BTreeSet<String>> {
    props
        .iter()
        .filter_map(|(name, value)| {
            let mut names = BTreeSet::new();
            read(value, &mut names);
            (!names.is_empty()).then(|| (name.clone(), names))
        })
        .collect()
}

/// The resources a CloudFormation value names.
fn cfn_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(id)) = o.get("Ref")
                && !id.starts_with("AWS::")
            {
                out.insert(id.clone());
            }
            match o.get("Fn::GetAtt") {
                Some(Value::Array(a)) => {
                    if let Some(Value::String(id)) = a.first() {
                        out.insert(id.clone());
                    }
                }
                Some(Value::String(s)) => {
                    out.insert(s.split('.').next().unwrap_or_default().to_string());
                }
                _ => {}
            }
            let sub = match o.get("Fn::Sub") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(Value::Array(a)) => a.first().and_then(Value::as_str),
                _ => None,
            };
            if let Some(text) = sub {
                sub_names(text, out);
            }
            o.values().for_each(|v| cfn_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| cfn_refs(v, out)),
        _ => {}
    }
}

/// The names `${Name}` and `${Name.Attr}` of a `Fn::Sub` text (not
/// `${!Literal}`, nor the pseudo params `${AWS::Region}`).
fn sub_names(text: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let name = &rest[..end];
        if !name.starts_with('!') && !name.contains("::") {
            out.insert(name.split('.').next().unwrap_or_default().to_string());
        }
        rest = &rest[end..];
    }
}

fn heat(top: &Object) -> Result<Shape, String> {
    let mut shape = Shape::default();
    for (name, body) in section(top, "resources")?.into_iter().flatten() {
        let body = body
            .as_object()
            .ok_or_else(|| format!("resource `{name}` is not an object"))?;
        // A resource adopted by its id (an `existing` declaration) is
        // never created, changed or deleted by the stack: nothing to compare.
        if body.contains_key("external_id") {
            continue;
        }
        let type_name = type_of(body, "type", name)?;
        let mut props = properties(body.get("properties"), name)?;
        let mut meta: BTreeMap<String, Value> = body
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "type" | "properties"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut member_type = None;
        if type_name == "OS::Heat::ResourceGroup" {
            // A group is read as its members: their type, their properties,
            // and the group's own properties (`count`) beside the others.
            let def = props.remove("resource_def");
            let def = def.as_ref().and_then(Value::as_object);
            member_type = def
                .and_then(|d| d.get("type"))
                .and_then(Value::as_str)
                .map(str::to_string);
            meta.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
            props = properties(def.and_then(|d| d.get("properties")), name)?;
        }
        let refers_to = refs(&props, heat_refs);
        let protected =
            keeps(body.get("deletion_policy")).map(|p| format!("its deletion_policy is {p}"));
        shape.resources.insert(
            name.clone(),
            Res {
                group: member_type.is_some(),
                type_name: member_type.unwrap_or(type_name),
                properties: props,
                meta,
                protected,
                refers_to,
            },
        );
    }
    Ok(shape)
}

/// The resources a Heat value names.
fn heat_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(id)) = o.get("get_resource") {
                out.insert(id.clone());
            }
            if let Some(Value::Array(a)) = o.get("get_attr")
                && let Some(Value::String(id)) = a.first()
            {
                out.insert(id.clone());
            }
            o.values().for_each(|v| heat_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| heat_refs(v, out)),
        _ => {}
    }
}

/// Terraform's meta-arguments: what a resource block holds besides its
/// arguments.
const TERRAFORM_META: [&str; 7] = [
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
];

fn terraform(top: &Object) -> Result<Shape, String> {
    let mut shape = Shape::default();
    for (type_name, named) in section(top, "resource")?.into_iter().flatten() {
        let named = named
            .as_object()
            .ok_or_else(|| format!("`resource.{type_name}` is not an object"))?;
        for (name, body) in named {
            let address = format!("{type_name}.{name}");
            // A block written twice is a list of bodies in JSON; the last
            // one is read.
            let body = match body {
                Value::Array(bodies) => bodies.last().unwrap_or(&Value::Null),
                body => body,
            };
            let body = body
                .as_object()
                .ok_or_else(|| format!("resource `{address}` is not an object"))?;
            let (meta, props): (BTreeMap<_, _>, BTreeMap<_, _>) = body
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .partition(|(k, _)| TERRAFORM_META.contains(&k.as_str()));
            let lifecycle = body.get("lifecycle").and_then(|l| match l {
                Value::Array(a) => a.last(),
                l => Some(l),
            });
            let protected = lifecycle
                .and_then(|l| l.get("prevent_destroy"))
                .filter(|p| **p == Value::Bool(true))
                .map(|_| "its lifecycle sets prevent_destroy".to_string());
            shape.resources.insert(
                address,
                Res {
                    type_name: type_name.clone(),
                    group: false,
                    properties: props,
                    meta,
                    protected,
                    refers_to: BTreeMap::new(),
                },
            );
        }
    }
    let moved = match top.get("moved") {
        Some(Value::Array(blocks)) => blocks.iter().collect(),
        Some(block @ Value::Object(_)) => vec![block],
        _ => Vec::new(),
    };
    for block in moved {
        let from = block.get("from").and_then(Value::as_str);
        let to = block.get("to").and_then(Value::as_str);
        if let (Some(from), Some(to)) = (from, to) {
            shape.moved.insert(
                strip_address(to).to_string(),
                strip_address(from).to_string(),
            );
        }
    }
    Ok(shape)
}

/// `aws_x.a` of `aws_x.a`, `${aws_x.a}` or `resource.aws_x.a`.
fn strip_address(address: &str) -> &str {
    let address = address
        .strip_prefix("${")
        .and_then(|a| a.strip_suffix('}'))
        .unwrap_or(address);
    address.strip_prefix("resource.").unwrap_or(address)
}
