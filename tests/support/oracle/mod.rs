//! The semantic oracle: what a template would deploy.
//!
//! Validators check a template's shape; these evaluators check its meaning.
//! Each takes an emitted template and values for its parameters and returns
//! the [`Deployed`] model: the resources that exist once conditions, counts
//! and groups are evaluated, their property values with every intrinsic
//! function evaluated (references kept as typed references), and their
//! dependencies. `reference` evaluates the `.infra` program the same way, so
//! a test can compare what the program says with what each template does.
#![allow(dead_code)]

pub mod cloudformation;
pub mod generate;
pub mod heat;
pub mod reference;
pub mod terraform;

use std::collections::BTreeSet;

use indexmap::IndexMap;
use infra::ir::Target;

/// What a template of `target` deploys with `params`: the evaluator of its
/// target.
pub fn deploy(
    target: Target,
    template: &serde_json::Value,
    params: &IndexMap<String, serde_json::Value>,
) -> Deployed {
    match target {
        Target::CloudFormation => cloudformation::deploy(template, params),
        Target::Heat => heat::deploy(template, params),
        Target::TerraformAws | Target::TerraformOpenstack => terraform::deploy(template, params),
    }
}

/// `deploy`, with the files written beside the template (Heat's member
/// templates, which a group names as its `resource_def.type`), by name.
#[allow(dead_code)]
pub fn deploy_with_files(
    target: Target,
    template: &serde_json::Value,
    params: &IndexMap<String, serde_json::Value>,
    files: &IndexMap<String, serde_json::Value>,
) -> Deployed {
    match target {
        Target::Heat => heat::deploy_with_files(template, params, files),
        _ => deploy(target, template, params),
    }
}

/// A value in a deployed template, as the tool would pass it to the cloud.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Val>),
    Object(IndexMap<String, Val>),
    /// The id of a deployed resource: the key of a resource in
    /// [`Deployed::resources`], or a template name that covers several keys
    /// (a Terraform resource with `count`: `aws_instance.web`).
    Ref(String),
    /// An attribute of a deployed resource (same keys as `Ref`).
    Attr(String, String),
    /// A value only the cloud knows when deploying (text built from an
    /// attribute, the region, an availability zone...), with the keys of the
    /// resources it reads.
    Unknown(Vec<String>),
}

/// One deployed native resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Native {
    /// Its name in the template: CloudFormation logical id, Heat resource
    /// name, Terraform `TYPE.NAME`.
    pub name: String,
    /// The copy's index: Terraform `count`, a member of a Heat
    /// `OS::Heat::ResourceGroup`. `None` for a resource that is not counted.
    pub index: Option<usize>,
    pub type_name: String,
    /// Property values, evaluated; properties removed by the template
    /// (`AWS::NoValue`, a Heat `if` without else, a Terraform `null`) are absent.
    pub properties: IndexMap<String, Val>,
    /// Explicit dependencies (`DependsOn`, `depends_on`), as keys or names.
    pub depends_on: Vec<String>,
    /// The deletion policy as the template states it (`DeletionPolicy`,
    /// Heat `deletion_policy`, or for Terraform `prevent_destroy` when set:
    /// "Retain"), normalised to `Delete`, `Retain` or `Snapshot`.
    pub deletion: Option<String>,
}

/// What a template deploys for one assignment of its parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployed {
    /// Every resource that exists, by key: the template name, with `[i]`
    /// appended for a copy (`aws_instance.web[0]`, `workers[2]`).
    pub resources: IndexMap<String, Native>,
    /// Outputs that exist, evaluated.
    pub outputs: IndexMap<String, Val>,
    /// What is wrong with the template's meaning: a condition or count that
    /// is not a bool or a number, a value that is null where the tool
    /// needs one, a reference to a resource that does not exist for these
    /// parameters, a function the evaluator does not know, a parameter
    /// without value. Empty when the template means something.
    pub problems: Vec<String>,
}

impl Deployed {
    /// The keys of the deployed resources of `type_name`, in order.
    pub fn of_type(&self, type_name: &str) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|(_, r)| r.type_name == type_name)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

impl Val {
    /// The keys and names of the resources this value refers to.
    pub fn references(&self, out: &mut BTreeSet<String>) {
        match self {
            Val::Ref(key) | Val::Attr(key, _) => {
                out.insert(key.clone());
            }
            Val::Unknown(keys) => out.extend(keys.iter().cloned()),
            Val::List(items) => items.iter().for_each(|v| v.references(out)),
            Val::Object(fields) => fields.values().for_each(|v| v.references(out)),
            Val::Null | Val::Bool(_) | Val::Number(_) | Val::String(_) => {}
        }
    }

    /// Does this value, or one inside it, hold a null?
    pub fn has_null(&self) -> bool {
        match self {
            Val::Null => true,
            Val::List(items) => items.iter().any(Val::has_null),
            Val::Object(fields) => fields.values().any(Val::has_null),
            _ => false,
        }
    }
}

impl Deployed {
    /// The keys that `reference` (a key, or a name covering several copies)
    /// stands for among the deployed resources.
    pub fn keys_of<'a>(&'a self, reference: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.resources
            .iter()
            .filter(move |(key, native)| key.as_str() == reference || native.name == reference)
            .map(|(key, _)| key.as_str())
    }

    /// The direct dependencies of the resource `key`: explicit ones and
    /// those its property values refer to, as keys.
    pub fn direct_dependencies(&self, key: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let Some(native) = self.resources.get(key) else {
            return out;
        };
        let mut named = BTreeSet::new();
        for value in native.properties.values() {
            value.references(&mut named);
        }
        named.extend(native.depends_on.iter().cloned());
        for name in &named {
            out.extend(self.keys_of(name).map(str::to_string));
        }
        out.remove(key);
        out
    }

    /// Is `to` deployed before `from`: does `from` depend on it, directly or
    /// through other resources?
    pub fn depends(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(key) = stack.pop() {
            for next in self.direct_dependencies(&key) {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next);
                }
            }
        }
        false
    }
}
