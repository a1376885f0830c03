//! `Resources`: each resource's type, condition, dependencies, deletion
//! policy and properties, and the checks on machine images.

use std::borrow::Cow;

use rustc_hash::FxHashSet as HashSet;

use crate::backend::common::reads::params_in;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deletion, Deployment, Expr, Part, Resource, ResourceId};
use crate::json::{self, Json, json};
use crate::sourcemap::Emitted;

use super::conditions::Cond;
use super::pascal_case;
use super::{Emitter, Entries, Site};
use crate::backend::note_uses;

/// The machine image a resource boots from, where its type takes one (its
/// schema's `image`: a property, then fields of the objects it holds).
fn image_of(r: &Resource) -> Option<&Expr> {
    let (property, fields) = r.facts.image_property.as_deref()?.split_first()?;
    fields.iter().try_fold(
        r.properties.get(property.as_str())?,
        |value, field| match value {
            Expr::Object(object) => object.get(field.as_str()),
            _ => None,
        },
    )
}

/// The params read as they are by an EC2 image id property.
pub(super) fn image_params(deployment: &Deployment) -> HashSet<&str> {
    deployment
        .resources
        .iter()
        .filter_map(|r| match image_of(r) {
            Some(Expr::Param(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// `ami-` and 8 or 17 lower-case letters or digits: what EC2 takes as an
/// image id (the pattern of AWS's resource schema).
pub(super) fn is_ami_id(text: &str) -> bool {
    text.strip_prefix("ami-").is_some_and(|rest| {
        matches!(rest.len(), 8 | 17)
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// `DeletionPolicy` and `UpdateReplacePolicy`: the policy lowering decided.
fn deletion_policy(r: &Resource) -> Option<&'static str> {
    r.deletion.map(|d| match d {
        Deletion::Delete => "Delete",
        Deletion::Retain => "Retain",
        Deletion::Snapshot => "Snapshot",
    })
}

/// A nested stack's properties: its template, a local file that `aws
/// cloudformation package` uploads and replaces by its S3 URL, and its
/// parameters, by the child's logical ids of them (the IR's properties are
/// by the child's param names).
fn nested_stack<'d>(file: &'d str, parameters: Entries<'d>) -> Entries<'d> {
    let parameters = parameters
        .into_iter()
        .map(|(name, value)| (Cow::from(pascal_case(&name)), value))
        .collect();
    let mut properties: Entries<'d> = vec![("TemplateURL".into(), file.into())];
    if !Vec::is_empty(&parameters) {
        properties.push(("Parameters".into(), Json::Object(parameters)));
    }
    properties
}

impl<'d> Emitter<'d> {
    pub(super) fn resource(&mut self, r: &'d Resource) -> Option<Json<'d>> {
        let (mut site, condition) = self.resource_start(r)?;
        let mut properties = Vec::with_capacity(r.properties.len());
        for (name, value) in &r.properties {
            if matches!(value, Expr::Null) {
                continue;
            }
            site.owner = name;
            let value = self.value(value, &site);
            properties.push((Cow::from(&**name), value));
        }
        let mut out = self.resource_head(r, condition, &site);
        if let Some(file) = r.stack() {
            properties = nested_stack(file, properties);
        }
        if !properties.is_empty() {
            out.push(("Properties".into(), Json::Object(properties)));
        }
        Some(Json::Object(out))
    }

    /// `resource(r)` printed into `out` at `depth` as `json::write` prints
    /// it, with the conditions it uses (`Emitted::uses`); `None` where
    /// `resource` gives none. The properties are written as their values
    /// are rendered, without the tree, except a nested stack's.
    pub(super) fn write_resource(
        &mut self,
        out: &mut String,
        r: &'d Resource,
        depth: usize,
    ) -> Option<Vec<String>> {
        let target = self.deployment.target;
        if r.stack().is_some() {
            let resource = self.resource(r)?;
            json::write(out, &resource, depth);
            return Some(Emitted::uses(target, &resource));
        }
        let (mut site, condition) = self.resource_start(r)?;
        // The properties come last in the text but are rendered before the
        // dependencies, which may name conditions too: the order conditions
        // are named in is the tree's. Written aside, then copied.
        let mut properties = std::mem::take(&mut self.scratch);
        properties.clear();
        let mut property_uses = Vec::new();
        let mut n = 0;
        for (name, value) in &r.properties {
            if matches!(value, Expr::Null) {
                continue;
            }
            site.owner = name;
            json::write_key(&mut properties, n, depth + 2, name);
            n += 1;
            self.write_value(&mut properties, value, &site, depth + 2, &mut property_uses);
        }
        let head = Json::Object(self.resource_head(r, condition, &site));
        let mut uses = Emitted::uses(target, &head);
        note_uses(&mut uses, property_uses);
        let Json::Object(head) = head else {
            unreachable!("built as an object")
        };
        out.push('{');
        for (i, (key, value)) in head.iter().enumerate() {
            json::write_key(out, i, depth + 1, key);
            json::write(out, value, depth + 1);
        }
        let mut count = head.len();
        if n > 0 {
            json::write_key(out, count, depth + 1, "Properties");
            count += 1;
            out.push('{');
            out.push_str(&properties);
            json::write_close(out, depth + 1, n, '}');
        }
        json::write_close(out, depth, count, '}');
        self.scratch = properties;
        Some(uses)
    }

    /// The checks before a resource's body, its site and the name of its
    /// condition; `None` when it is never created.
    fn resource_start(&mut self, r: &'d Resource) -> Option<(Site<'d>, Option<String>)> {
        let mut site = Site {
            span: r.span,
            owner: &r.id,
            in_condition: false,
            output: false,
            counted: false,
        };
        if let Some(count) = &r.count {
            let names = params_in(count);
            let help = match names.as_slice() {
                [one] => format!(
                    "give the count at compile time with `--param {one}=N`: the copies are then unrolled into separate resources"
                ),
                _ => "give the count at compile time with `--param`: the copies are then unrolled into separate resources".to_string(),
            };
            self.report(
                Diagnostic::new(
                    &codes::E0504,
                    r.span,
                    format!(
                        "CloudFormation cannot make a deploy-time number of copies of `{}`",
                        r.id
                    ),
                )
                .label(format!("repeated `{}` times", self.describe(count)))
                .note("CloudFormation has no count: every resource in a template is written out")
                .help(help)
                .help("or build for Terraform or Heat, which repeat resources at deploy time"),
            );
            site.counted = true;
        }
        let condition = match &r.condition {
            None => None,
            Some(expr) => match self.cond(expr, &site) {
                Some(Cond::Const(true)) => None,
                // Never created: nothing to write.
                Some(Cond::Const(false)) => return None,
                Some(cond) => Some(self.register(cond)),
                None => None,
            },
        };
        Some((site, condition))
    }

    /// A resource's entries before its properties: type, condition,
    /// dependencies, metadata and deletion policy. Rendered after the
    /// properties, whose conditions are named first.
    fn resource_head(
        &mut self,
        r: &'d Resource,
        condition: Option<String>,
        site: &Site<'_>,
    ) -> Entries<'d> {
        let mut depends_on: Vec<&'d str> = Vec::new();
        // Dependencies that exist only under a condition of their own:
        // `DependsOn` on a resource whose condition is false is refused, so
        // the order is kept by a reference under that condition instead.
        let mut conditional: Vec<Json<'d>> = Vec::new();
        if !r.depends_on.is_empty() {
            let mut referenced: HashSet<ResourceId> = HashSet::default();
            for value in r.properties.values() {
                value.walk(&mut |e| referenced.extend(e.resource()));
            }
            for &id in &r.depends_on {
                let Some(dependency) = self.deployment.resource(id) else {
                    self.internal(
                        r.span,
                        format!("`depends_on` names no resource (index {})", id.0),
                    );
                    continue;
                };
                let logical_id = self.id(id);
                // A reference already orders the two.
                if referenced.contains(&id) || depends_on.contains(&logical_id) {
                    continue;
                }
                let own = match &dependency.condition {
                    Some(c) if Some(c) != r.condition.as_ref() => self.cond(c, site),
                    _ => None,
                };
                match own {
                    None | Some(Cond::Const(true)) => depends_on.push(logical_id),
                    Some(Cond::Const(false)) => {}
                    Some(cond) => {
                        let name = self.register(cond);
                        conditional.push(Json::Object(vec![(
                            "Fn::If".into(),
                            Json::Array(vec![
                                name.into(),
                                Json::Object(vec![("Ref".into(), logical_id.into())]),
                                Json::Object(vec![("Ref".into(), "AWS::NoValue".into())]),
                            ]),
                        )]));
                    }
                }
            }
        }

        let mut out: Entries<'d> = Vec::with_capacity(6);
        out.push(("Type".into(), (&*r.type_name).into()));
        if let Some(condition) = condition {
            out.push(("Condition".into(), condition.into()));
        }
        match depends_on.as_slice() {
            [] => {}
            [one] => out.push(("DependsOn".into(), (*one).into())),
            many => out.push((
                "DependsOn".into(),
                Json::Array(many.iter().map(|&id| id.into()).collect()),
            )),
        }
        if r.stack().is_some() {
            // The local `TemplateURL` is for `aws cloudformation package`,
            // which uploads it: what cfn-lint warns of (W3002) is the way
            // this template is deployed.
            out.push((
                "Metadata".into(),
                json!({ "cfn-lint": { "config": { "ignore_checks": ["W3002"] } } }),
            ));
        } else if !conditional.is_empty() {
            out.push((
                "Metadata".into(),
                Json::Object(vec![(
                    "DependsOnWhenCreated".into(),
                    Json::Array(conditional),
                )]),
            ));
        }
        if let Some(policy) = deletion_policy(r) {
            out.push(("DeletionPolicy".into(), policy.into()));
            out.push(("UpdateReplacePolicy".into(), policy.into()));
        }
        out
    }

    /// A template without resources, which CloudFormation refuses: the
    /// program deploys only outputs there.
    pub(super) fn no_resources(&mut self) {
        let span = self.anchor();
        let label = match self.deployment.outputs.first() {
            Some(o) => format!("output `{}` is in a template without resources", o.name),
            None => "the template built from this program has no resources".to_string(),
        };
        self.report(
            Diagnostic::new(
                &codes::E0519,
                span,
                "the CloudFormation template has no resources, and CloudFormation refuses a template without one",
            )
            .label(label)
            .note("a CloudFormation template needs at least one member in `Resources`; a type made of no native resource on CloudFormation (a `deploy.Context`) adds none")
            .help("declare a resource for the stack to hold; or build the program for Heat or Terraform (`--target heat`, `--target terraform`), which accept templates of outputs only"),
        );
    }

    /// An image written into the program must be an AMI id: EC2 refuses
    /// anything else when the stack is created.
    pub(super) fn check_images(&mut self) {
        for r in &self.deployment.resources {
            let Some(image) = image_of(r) else {
                continue;
            };
            // Each image a deploy-time choice may pick.
            let mut alternatives = vec![image];
            while let Some(e) = alternatives.pop() {
                // Text, or text with values spliced in that cannot start as
                // an AMI id does.
                let text = match e {
                    Expr::If(_, a, b) => {
                        alternatives.extend([&**b, &**a]);
                        continue;
                    }
                    Expr::String(text) if !is_ami_id(text) => text.clone(),
                    Expr::Interp(parts) => match parts.first() {
                        Some(Part::Text(text))
                            if !(text.starts_with("ami-") || "ami-".starts_with(text.as_str())) =>
                        {
                            format!("{text}...")
                        }
                        _ => continue,
                    },
                    _ => continue,
                };
                self.report(
                    Diagnostic::new(
                        &codes::E0517,
                        r.span,
                        format!("`{text}` is not an AMI id, and CloudFormation's `{}` boots only from one", r.type_name),
                    )
                    .label(format!("boots from `{text}`"))
                    .note("an EC2 image id is `ami-` and 8 or 17 letters or digits; a name such as `ubuntu-24.04` means something to OpenStack, not to EC2")
                    .help("make the image a param (given as `--param` or when deploying), or write the AMI id of the region"),
                );
            }
        }
    }
}
