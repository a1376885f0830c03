//! `output` blocks, which are sensitive where they read a secret, and
//! the checks on outputs.

use std::borrow::Cow;

use crate::backend::common::exports;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deployment, Expr, Output};
use crate::json::Json;

use super::expressions::walk;
use super::{Cx, Emitter, Entries};

/// The note (W0552) on export names: an `output` block has no field for
/// one, and other configurations read a root module's outputs by name
/// (`terraform_remote_state`).
pub(super) fn unused_exports(d: &Deployment) -> Option<Diagnostic> {
    let note = |first: &str| {
        format!(
            "other configurations read a root module's outputs by name, through the `terraform_remote_state` data source (`data.terraform_remote_state.NAME.outputs.{first}`); `terraform output {first}` prints one"
        )
    };
    exports::unused_exports(
        d,
        &codes::W0552,
        "Terraform",
        note,
        "with Terraform, give other configurations the output names; the export names stay for CloudFormation, where other stacks read them with `Fn::ImportValue`",
    )
}

/// An output's value, `null` when its condition does not hold.
pub(super) fn output_value(o: &Output) -> Cow<'_, Expr> {
    match &o.condition {
        None | Some(Expr::Bool(true)) => Cow::Borrowed(&o.value),
        Some(Expr::Bool(false)) => Cow::Owned(Expr::Null),
        Some(c) => Cow::Owned(Expr::If(
            Box::new(c.clone()),
            Box::new(o.value.clone()),
            Box::new(Expr::Null),
        )),
    }
}

impl<'d> Emitter<'d> {
    pub(super) fn output(&mut self, o: &'d Output) -> Json<'d> {
        let cx = Cx {
            span: o.span,
            counted: false,
            copy: false,
        };
        let value = output_value(o);
        let mut body: Entries = Vec::with_capacity(3);
        if let Some(description) = &o.description {
            body.push(("description".into(), description.into()));
        }
        let v = match &value {
            Cow::Borrowed(e) => self.value(e, cx, false, None),
            Cow::Owned(e) => self.value(e, cx, false, None).into_owned(),
        };
        body.push(("value".into(), v));
        if o.sensitive || self.is_sensitive(&value) {
            body.push(("sensitive".into(), true.into()));
        }
        Json::Object(body)
    }

    /// Does `e` read a secret param or an attribute the provider marks
    /// sensitive?
    pub(super) fn is_sensitive(&self, e: &Expr) -> bool {
        let mut found = false;
        walk(e, &mut |x| {
            match x {
                Expr::Param(p) => found |= self.params.get(p.as_str()).is_some_and(|p| p.secret),
                Expr::Attr(id, path) => {
                    if let Some(r) = self.resource_at(*id) {
                        let first = path.split('.').next().unwrap_or_default();
                        found |= r.facts.sensitive_attributes.iter().any(|a| a == first);
                    }
                }
                _ => {}
            }
            !found
        });
        found
    }
}
