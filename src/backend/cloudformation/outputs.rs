//! `Outputs`: text values, their conditions and exports, and what
//! CloudFormation refuses to output (secrets, empty exports).

use std::borrow::Cow;

use crate::backend::common::names::pascal_case;
use crate::backend::common::reads::params_in;
use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Context, Expr, Output, ParamType, Part, ResourceId};
use crate::json::{Json, json};

use super::conditions::Cond;
use super::limits::MAX_OUTPUT_DESCRIPTION;
use super::values::scalar_text;
use super::{Emitter, Entries, Site};

/// Whether an output's value, as written, may be empty or whitespace-only
/// text: the conditions under which it is (empty: always), or `None`.
fn blank_when(value: &Json<'_>) -> Option<Vec<String>> {
    match value {
        Json::Str(text) => text.trim().is_empty().then(Vec::new),
        Json::Object(entries) => match entries.as_slice() {
            [(key, Json::Array(args))] if key == "Fn::If" => {
                let [Json::Str(name), then, otherwise] = args.as_slice() else {
                    return None;
                };
                let branch = |value, holds: bool| {
                    blank_when(value).map(|mut when| {
                        let state = if holds { "true" } else { "false" };
                        when.insert(0, format!("condition `{name}` is {state}"));
                        when
                    })
                };
                branch(then, true).or_else(|| branch(otherwise, false))
            }
            [(key, Json::Array(args))] if key == "Fn::Join" => match args.as_slice() {
                [_, Json::Array(items)] if items.is_empty() => Some(Vec::new()),
                [_, Json::Array(items)] if items.len() == 1 => blank_when(&items[0]),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// A dynamic reference to a secret inside `expr` (`{{resolve:secretsmanager:`
/// or `{{resolve:ssm-secure:`): the service that keeps it, and the resource
/// the reference names, when it is one of the template's.
fn secret_reference(expr: &Expr) -> Option<(&'static str, Option<ResourceId>)> {
    const SERVICES: [(&str, &str); 2] = [
        ("{{resolve:secretsmanager:", "Secrets Manager"),
        ("{{resolve:ssm-secure:", "Systems Manager Parameter Store"),
    ];
    let service = |text: &str| {
        SERVICES
            .iter()
            .find(|(prefix, _)| text.contains(prefix))
            .map(|(_, service)| *service)
    };
    let mut found = None;
    expr.walk(&mut |e| {
        if found.is_some() {
            return;
        }
        match e {
            Expr::String(text) => found = service(text).map(|s| (s, None)),
            Expr::Interp(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let Part::Text(text) = part else { continue };
                    if let Some(s) = service(text) {
                        // `{{resolve:secretsmanager:${Secret}:...}}`: the
                        // reference names the secret by its `Ref`.
                        let holder = match parts.get(i + 1) {
                            Some(Part::Expr(Expr::Ref(id))) => Some(*id),
                            _ => None,
                        };
                        found = Some((s, holder));
                        break;
                    }
                }
            }
            _ => {}
        }
    });
    found
}

impl<'d> Emitter<'d> {
    /// An output, and its logical id.
    pub(super) fn output(&mut self, o: &'d Output) -> Option<(Cow<'d, str>, Json<'d>)> {
        let id = pascal_case(&o.name);
        let site = Site {
            span: o.span,
            owner: &id,
            in_condition: false,
            output: true,
            counted: false,
        };
        let condition = match &o.condition {
            None => None,
            Some(expr) => match self.cond(expr, &site) {
                Some(Cond::Const(true)) => None,
                Some(Cond::Const(false)) => return None,
                Some(cond) => Some(self.register(cond)),
                None => None,
            },
        };
        if let Expr::Import(name) = &o.value {
            self.report(
                Diagnostic::new(
                    &codes::E0555,
                    o.span,
                    format!("output `{}` is only a value another stack exports", o.name),
                )
                .label(format!("its value is the export {}", self.describe(name)))
                .note("cfn-lint refuses an output that passes on an import (W6001): the stack that exports it already gives it to every stack")
                .help("drop the output: its readers import the same export"),
            );
            return None;
        }
        let secrets: Vec<String> = params_in(&o.value)
            .into_iter()
            .filter(|name| self.params.get(name.as_str()).is_some_and(|p| p.secret))
            .collect();
        if let Some((service, holder)) = secret_reference(&o.value) {
            // A generated secret (`secret.RandomPassword`) is a dynamic
            // reference, which CloudFormation resolves in resource properties
            // only: in `Outputs` it is refused, never shown.
            let mut diagnostic = Diagnostic::new(
                &codes::E0518,
                o.span,
                format!(
                    "output `{}` reads a secret kept in {service}, and CloudFormation cannot output a secret",
                    o.name
                ),
            )
            .label("its value is a dynamic reference (`{{resolve:...}}`) to a secret")
            .note("CloudFormation resolves dynamic references to secrets in resource properties only; a template with one in `Outputs` is refused")
            .help("drop the output: readers fetch the secret where it is kept, with their own permissions; to say where it is, output its ARN or name, not its value");
            if let Some(id) = holder.map(|id| self.id(id)) {
                diagnostic = diagnostic.help(format!(
                    "the secret is the stack's resource `{id}`: `aws cloudformation describe-stack-resource --stack-name STACK --logical-resource-id {id}` gives its ARN, and `aws secretsmanager get-secret-value --secret-id ARN` its value"
                ));
            }
            self.report(diagnostic);
        } else if let Some(secret) = secrets.first() {
            self.report(
                Diagnostic::new(
                    &codes::W0514,
                    o.span,
                    format!(
                        "output `{}` shows secret param `{secret}`: CloudFormation masks it only as a parameter",
                        o.name
                    ),
                )
                .label(format!("reads `{secret}`"))
                .note("`NoEcho` hides a parameter's value in the console and the API, but not where an output shows it")
                .help(format!("drop the output, or output something that identifies `{secret}` without showing it")),
            );
        } else if o.sensitive {
            self.report(
                Diagnostic::new(
                    &codes::W0511,
                    o.span,
                    format!(
                        "output `{}` is sensitive, but CloudFormation shows outputs in plain text",
                        o.name
                    ),
                )
                .label("marked sensitive")
                .note("anyone allowed to describe the stack can read its outputs")
                .help("to share a secret, output where it is kept (a Secrets Manager secret's id) rather than its value"),
            );
        }
        let mut out: Entries<'d> = Vec::new();
        if let Some(description) = &o.description {
            let text = self.bounded(
                description.trim(),
                MAX_OUTPUT_DESCRIPTION,
                o.span,
                &format!("the description of output `{}`", o.name),
                "described by its doc comment",
            );
            out.push(("Description".into(), text.into()));
        }
        if let Some(condition) = condition {
            out.push(("Condition".into(), condition.into()));
        }
        let value = self.output_value(&o.value, &site);
        if o.export.is_some()
            && let Some(when) = blank_when(&value)
        {
            self.empty_export(o, &when);
        }
        out.push(("Value".into(), value));
        if let Some(export) = &o.export {
            let name = self.output_value(export, &site);
            out.push(("Export".into(), Json::single("Name", name)));
        }
        Some((Cow::Owned(id), Json::Object(out)))
    }

    /// An exported output whose value may be blank: CloudFormation refuses
    /// to export an empty or whitespace-only value. `when` lists the
    /// conditions under which it is (none: always).
    fn empty_export(&mut self, o: &Output, when: &[String]) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0520,
            o.span,
            format!(
                "output `{}` is exported, but its value may be empty, and CloudFormation refuses to export an empty value",
                o.name
            ),
        )
        .label(if when.is_empty() {
            "its value is empty"
        } else {
            "its value may be empty"
        });
        if !when.is_empty() {
            diagnostic = diagnostic.note(format!(
                "in the template, the value is empty when {}",
                when.join(" and ")
            ));
        }
        self.report(
            diagnostic
                .note("CloudFormation refuses to create or update a stack that exports an empty or whitespace-only value")
                .help("make the output exist only when it has a value: a choice whose other branch is `null` (`c ? value : null`) is an output under a condition")
                .help("or drop the `export`, if no other stack imports the value"),
        );
    }

    /// An output's value: CloudFormation outputs are text, so lists are
    /// joined with commas (as list parameters are read) and scalars written
    /// as text.
    fn output_value<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        match expr {
            Expr::Null => json!(""),
            Expr::Bool(_) | Expr::Int(_) | Expr::Number(_) => {
                json!(scalar_text(expr).unwrap_or_default())
            }
            Expr::Object(_) => {
                self.report(
                    Diagnostic::new(
                        &codes::E0515,
                        site.span,
                        "CloudFormation outputs are text: an object cannot be an output's value",
                    )
                    .label("this output's value is an object")
                    .help("output each field as its own output"),
                );
                Json::Null
            }
            Expr::If(c, a, b) => match self.cond(c, site) {
                Some(Cond::Const(true)) => self.output_value(a, site),
                Some(Cond::Const(false)) => self.output_value(b, site),
                Some(cond) => {
                    let name = self.register(cond);
                    let a = self.output_value(a, site);
                    let b = self.output_value(b, site);
                    json!({ "Fn::If": [name, a, b] })
                }
                None => Json::Null,
            },
            _ if self.is_list(expr) => {
                let list = self.value(expr, site);
                json!({ "Fn::Join": [",", list] })
            }
            _ => self.value(expr, site),
        }
    }

    /// Is the value a list, as far as CloudFormation functions tell?
    fn is_list(&self, expr: &Expr) -> bool {
        match expr {
            Expr::List(_) | Expr::Context(Context::Zones) => true,
            Expr::Param(name) => self
                .params
                .get(name.as_str())
                .is_some_and(|p| matches!(p.ty, ParamType::List(_))),
            Expr::Call(name, _) => matches!(name, Builtin::Split | Builtin::AvailabilityZones),
            Expr::Attr(id, attr) => self
                .deployment
                .resource(*id)
                .is_some_and(|r| r.facts.list_attributes.contains(attr)),
            _ => false,
        }
    }
}
