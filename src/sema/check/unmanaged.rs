//! `existing` declarations: resources a program reads and does not manage.
//! Each is checked against what its target can read of a resource of the
//! native type: on Terraform the data source of the same name, on
//! CloudFormation the id (from a param or another stack's export), on Heat
//! the type's attributes once `id` names the resource.

use std::sync::Arc;

use indexmap::IndexMap;

use super::Checker;
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::schema::{Deprecated, Field, Replacement, SchemaKind};
use crate::sema::ty::{SchemaId, Ty};
use crate::syntax::ast::*;

/// The settings of a resource declaration that mean nothing for a resource
/// the program does not manage.
const NOT_TAKEN: &[(&str, &str)] = &[
    ("deletion", "nothing of it is deleted by this program"),
    (
        "renamed_from",
        "it has no deployed identity of this program's to keep",
    ),
    ("depends_on", "nothing of it is deployed to wait for"),
];

impl Checker<'_> {
    /// The type of `existing NAME: TYPE`, given `ty`, the type `TYPE` names.
    pub(super) fn existing_type(&mut self, ty: Ty, r: &Resource) -> Ty {
        let at = match &r.ty {
            ResourceType::Path(path) => path.span,
            ResourceType::Raw(name) => name.span,
        };
        let id = match ty {
            Ty::Error => return Ty::Error,
            Ty::Resource(id) => id,
            _ => {
                self.no_native_schema(r, at, "a type the stdlib has no schema for");
                return Ty::Error;
            }
        };
        if let Some(found) = self.existing_schemas.get(&id) {
            return Ty::Resource(*found);
        }
        let schema = self.schemas[id.0 as usize].clone();
        let SchemaKind::Native { target } = &schema.kind else {
            self.no_native_schema(r, at, "a portable type or component");
            return Ty::Error;
        };
        let found = if target.starts_with("terraform") {
            match self.native_schema(&format!("data.{}", schema.name)) {
                Some(found) => found,
                None => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0112,
                            at,
                            format!("the provider has no data source `{}`", schema.name),
                        )
                        .label("a type Terraform can manage, not look up")
                        .note("on Terraform, an `existing` declaration is the data source of the same name as its type")
                        .help("read it through a type that has a data source, or pass what you need as a `param`"),
                    );
                    return Ty::Error;
                }
            }
        } else {
            // CloudFormation reads the id; Heat adopts the resource by its
            // id (`external_id`) and reads any attribute.
            let mut inputs = IndexMap::default();
            let optional_string = Field {
                ty: Ty::optional(Ty::String),
                required: false,
                span: schema.span,
                secret: false,
            };
            inputs.insert("id".to_string(), optional_string.clone());
            if target == "cloudformation" {
                inputs.insert("export".to_string(), optional_string);
            }
            let mut existing = (*schema).clone();
            existing.inputs = inputs;
            existing.constraints = IndexMap::default();
            // Only `id` (or `export`) is given: the type's rules of members
            // are the deployed resource's, not the reference's.
            existing.members = Arc::default();
            existing.state = StateClass::Stateless;
            existing.snapshot = false;
            existing.replacement = Replacement::default();
            existing.deprecated = Deprecated::default();
            existing.existing = true;
            let found = SchemaId(self.schemas.len() as u32);
            self.schemas.push(Arc::new(existing));
            found
        };
        self.existing_schemas.insert(id, found);
        Ty::Resource(found)
    }

    fn no_native_schema(&mut self, r: &Resource, at: crate::source::Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0111,
                at,
                format!("`existing {}` needs a native type with a schema", r.name.name),
            )
            .label(format!("{what}: nothing to read it as"))
            .note("an `existing` declaration is checked against what its target can read of the native type")
            .help("name the native type of the target, such as `AWS::EC2::VPC`, `OS::Neutron::Net` or `aws_vpc`"),
        );
    }

    /// What an `existing` declaration may not say, and whether it says
    /// which resource it reads.
    pub(super) fn check_existing(&mut self, r: &Resource, schema: Option<SchemaId>) {
        let refuse = |what: &str, at, why: &str| {
            Diagnostic::new(
                &codes::E0114,
                at,
                format!("an `existing` declaration takes no `{what}`"),
            )
            .label(format!(
                "`{what}` on a resource this program does not manage"
            ))
            .note(format!("`{}` is read, not deployed: {why}", r.name.name))
        };
        if let Some(guard) = &r.for_guard {
            self.diagnostics.push(
                refuse("for", guard.span, "it names one resource")
                    .help("declare one `existing` per resource read"),
            );
        }
        if let Some(condition) = &r.if_guard {
            self.diagnostics.push(
                refuse("if", condition.span, "it is read wherever it is used").help(
                    "remove the `if`; choose the id with a conditional instead (`id = c ? a : b`)",
                ),
            );
        }
        for property in &r.body.properties {
            if let Some((what, why)) = NOT_TAKEN.iter().find(|(k, _)| *k == property.key.name) {
                self.diagnostics
                    .push(refuse(what, property.key.span, why).help(format!("remove `{what}`")));
            }
        }
        let Some(schema) = schema else {
            return;
        };
        let schema = self.schemas[schema.0 as usize].clone();
        let given = |key: &str| r.body.properties.iter().find(|p| p.key.name == key);
        let which = |kind: &str| {
            Diagnostic::new(
                &codes::E0115,
                r.name.span,
                format!(
                    "`existing {}` does not say which `{kind}` it reads",
                    r.name.name
                ),
            )
        };
        if schema.existing {
            let target = match &schema.kind {
                SchemaKind::Native { target } => target.as_str(),
                SchemaKind::Component { .. } => return,
            };
            match (given("id"), given("export")) {
                (None, None) => {
                    let help = if target == "cloudformation" {
                        "give its id, as in `id = vpc_id` with `param vpc_id: string`, or another stack's export, as in `export = \"network-VpcId\"`"
                    } else {
                        "give its id, as in `id = net_id` with `param net_id: string`"
                    };
                    self.diagnostics
                        .push(which(&schema.name).label("no `id`").help(help));
                }
                (Some(_), Some(export)) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0115,
                            export.key.span,
                            format!("`existing {}` gives both `id` and `export`", r.name.name),
                        )
                        .label("a second way of saying which resource")
                        .help("keep one: the id, or the name of the export that holds it"),
                    );
                }
                _ => {}
            }
        } else if r.body.properties.is_empty() && schema.inputs.values().all(|f| !f.required) {
            self.diagnostics.push(
                which(schema.name.strip_prefix("data.").unwrap_or(&schema.name))
                    .label("no lookup argument")
                    .help(format!(
                        "give at least one of the data source's arguments: {}",
                        schema
                            .inputs
                            .keys()
                            .take(4)
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            );
        }
    }

    /// E0113: an attribute the target cannot read of a resource it does
    /// not manage (CloudFormation reads the id only).
    pub(super) fn unreadable_attribute(&mut self, schema: SchemaId, name: &Ident) -> bool {
        let schema = &self.schemas[schema.0 as usize];
        let cloudformation =
            matches!(&schema.kind, SchemaKind::Native { target } if target == "cloudformation");
        if !schema.existing || !cloudformation || name.name == "id" {
            return false;
        }
        let type_name = schema.name.clone();
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0113,
                name.span,
                format!("CloudFormation cannot read `{}` of an existing `{type_name}`", name.name),
            )
            .label("only `id` can be read of a resource the stack does not manage")
            .note("CloudFormation reads what a parameter or another stack's export holds: the id")
            .help(format!(
                "pass `{}` as a param of its own, or export it from the stack that manages the resource",
                name.name
            )),
        );
        true
    }
}
