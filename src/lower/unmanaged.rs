//! `existing` declarations: what each target receives for a resource the
//! program reads and does not manage. CloudFormation gets no resource: the
//! id is read where it is used, and the param holding it takes the type's
//! AWS-specific parameter type. Heat adopts the resource (`external_id`),
//! the param constrained to the type's custom constraint. Terraform reads
//! it as a data source.

use std::borrow::Cow;
use std::rc::Rc;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::sema::schema::{Schema, SchemaKind};
use crate::syntax::ast::*;

use super::expand::Expander;
use super::values::{Fields, Val};

impl<'p> Expander<'p> {
    pub(super) fn existing(
        &mut self,
        r: &'p Resource,
        schema: &'p Schema,
        path: &[Cow<'p, str>],
        key: &[u32],
    ) -> Val {
        // Built for another target than its type's (lowered without
        // `targets_of`, which says so first): refused as any native type is.
        if let SchemaKind::Native { target } = &schema.kind
            && !self.target.accepts_vocabulary(target)
        {
            let owner = ir::Target::vocabulary_display(target);
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0500,
                    r.name.span,
                    format!(
                        "this is a native type of {owner}: the program cannot be built for {}",
                        self.target.display()
                    ),
                )
                .label(format!("an existing {owner} resource")),
            );
            return Val::Null;
        }
        let id = r.body.properties.iter().find(|p| p.key.name == "id");
        if self.target == ir::Target::CloudFormation {
            let export = r.body.properties.iter().find(|p| p.key.name == "export");
            let value = match (id, export) {
                (Some(id), _) => {
                    let value = self.expr(&id.value);
                    if let Val::Deploy(ir::Expr::Param(name)) = &value {
                        self.id_param(name, schema, r);
                    }
                    value
                }
                (None, Some(export)) => {
                    let name = self.property(&export.value);
                    Val::Deploy(ir::Expr::Import(Box::new(name)))
                }
                (None, None) => return Val::Null,
            };
            let mut fields = Fields::default();
            fields.insert("id".into(), value);
            return Val::Object(Rc::new(fields));
        }
        let type_name = schema.name.strip_prefix("data.").unwrap_or(&schema.name);
        let type_name = self.key(type_name);
        let value = self.native(
            r,
            type_name,
            StateClass::Stateless,
            false,
            path,
            key,
            None,
            None,
        );
        if let Some(made) = self.resources.last_mut() {
            made.existing = true;
            made.facts = schema.facts.clone();
            if let Some(ir::Expr::Param(name)) = made.properties.get("id") {
                let name = name.clone();
                self.id_param(&name, schema, r);
            }
        }
        value
    }

    /// `name` holds the id of a resource of `schema`'s type: the target
    /// checks it names one, where it can. A param can be checked as one
    /// kind of id only (E0556).
    fn id_param(&mut self, name: &str, schema: &Schema, r: &Resource) {
        let Some(native_type) = &schema.facts.id_param else {
            return;
        };
        match self.id_params.get(name) {
            None => {
                self.id_params.insert(name.to_string(), native_type.clone());
            }
            Some(first) if first == native_type => {}
            Some(first) => {
                let first = first.clone();
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0556,
                        r.name.span,
                        format!("param `{name}` would hold ids of two kinds of resource"),
                    )
                    .label(format!("reads it as `{native_type}`"))
                    .note(format!(
                        "an earlier `existing` reads it as `{first}`: {} checks the param's value names one resource of one kind",
                        self.target.display()
                    ))
                    .help("give each `existing` declaration a param of its own"),
                );
            }
        }
    }
}
