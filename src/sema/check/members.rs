//! What a native type's schema says of the members its properties hold:
//! the constraints of members and list elements (`constraints` entries at
//! paths, E0301 as a property's own) and the objects that need one of some
//! sets of members (`one_of_required`, E0231). Only values known at
//! compile time are checked; a part known at deploy time is the target's.

use std::sync::Arc;

use super::items::constants;
use super::{Checker, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::Value;
use crate::sema::schema::{OneOfRequired, Step};
use crate::sema::ty::SchemaId;
use crate::source::Span;
use crate::syntax::ast::*;

/// The constraints of the members of one property: each with its path and
/// the steps there.
pub(super) type MemberConstraints = Arc<Vec<(String, Vec<Step>, crate::sema::params::Constraints)>>;

impl Checker<'_> {
    /// The constraints of the members of `key` that `value` sets, checked
    /// where they are known at compile time.
    pub(super) fn check_member_constraints(
        &mut self,
        scope: &Scope,
        schema: SchemaId,
        key: &str,
        value: &Expr,
    ) {
        let schema_rc = self.schemas[schema.0 as usize].clone();
        if !schema_rc.members.constraints.contains_key(key) {
            return;
        }
        let cached = self
            .member_constraint_cache
            .get(&(schema, key.to_string()))
            .cloned();
        let rules = match cached {
            Some(rules) => rules,
            None => {
                let rules = Arc::new(self.member_constraints(&schema_rc, key));
                self.member_constraint_cache
                    .insert((schema, key.to_string()), rules.clone());
                rules
            }
        };
        for (path, steps, constraints) in rules.iter() {
            let mut found = Vec::new();
            values_at(scope, value, steps, &mut found);
            for (e, folded, default_of) in found {
                self.report_violations(schema, path, constraints, e.span, &folded, default_of);
            }
        }
    }

    /// E0231 where a resource (`set` its properties) or an object one of
    /// its properties holds sets no whole set of members its schema's
    /// `one_of_required` gives.
    pub(super) fn check_one_of_required(
        &mut self,
        scope: &Scope,
        schema: SchemaId,
        resource: Span,
        properties: &[Property],
    ) {
        let members = self.schemas[schema.0 as usize].members.clone();
        for rule in &members.one_of_required {
            match &rule.site {
                None => {
                    let set: Vec<&str> = properties.iter().map(|p| p.key.name.as_str()).collect();
                    self.one_of_met(schema, rule, resource, &set);
                }
                Some(site) => {
                    let Some(property) = properties
                        .iter()
                        .rev()
                        .find(|p| p.key.name == site.property)
                    else {
                        continue;
                    };
                    let mut objects = Vec::new();
                    objects_at(scope, &property.value, &site.steps, &mut objects);
                    for (span, keys) in objects {
                        let set: Vec<&str> = keys.iter().map(String::as_str).collect();
                        self.one_of_met(schema, rule, span, &set);
                    }
                }
            }
        }
    }

    fn one_of_met(&mut self, schema: SchemaId, rule: &OneOfRequired, span: Span, set: &[&str]) {
        if rule.sets.is_empty()
            || rule
                .sets
                .iter()
                .any(|s| s.iter().all(|m| set.contains(&m.as_str())))
        {
            return;
        }
        let schema_name = self.schema_name(schema);
        let shown: Vec<String> = rule
            .sets
            .iter()
            .map(|s| {
                s.iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        let (what, label) = match rule.path.as_str() {
            "" => (
                format!("a resource of `{schema_name}`"),
                "the resource sets none of them".to_string(),
            ),
            path => (
                format!("`{path}` of `{schema_name}`"),
                "this object sets none of them".to_string(),
            ),
        };
        let first = rule.sets[0].join(" = ..., ");
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0231,
                span,
                format!("{what} needs one of: {}", shown.join("; ")),
            )
            .label(label)
            .note("the target refuses it when the stack is deployed")
            .help(format!("set one of them, e.g. `{first} = ...`")),
        );
    }
}

/// The values `steps` reach from `expr` that are known at compile time,
/// with the expression giving each and the param whose default it is.
/// List and object literals are followed, so that a value is pointed at
/// even when its neighbours are known only at deploy time.
fn values_at<'e>(
    scope: &Scope,
    expr: &'e Expr,
    steps: &[Step],
    out: &mut Vec<(&'e Expr, Value, Option<&'e str>)>,
) {
    match (steps.split_first(), &expr.kind) {
        (_, ExprKind::Paren(inner)) => values_at(scope, inner, steps, out),
        (Some((Step::Each, rest)), ExprKind::List(items)) => {
            for item in items {
                values_at(scope, item, rest, out);
            }
        }
        (Some((Step::Key(key), rest)), ExprKind::Object(properties)) => {
            if let Some(p) = properties.iter().rev().find(|p| &p.key.name == key) {
                values_at(scope, &p.value, rest, out);
            }
        }
        _ => {
            for (e, value, default_of) in constants(scope, expr) {
                let mut found = Vec::new();
                values_in(&value, steps, &mut found);
                out.extend(found.into_iter().map(|v| (e, v.clone(), default_of)));
            }
        }
    }
}

fn values_in<'v>(value: &'v Value, steps: &[Step], out: &mut Vec<&'v Value>) {
    match (steps.split_first(), value) {
        (None, _) => out.push(value),
        (Some((Step::Each, rest)), Value::List(items)) => {
            for item in items {
                values_in(item, rest, out);
            }
        }
        (Some((Step::Key(key), rest)), Value::Object(fields)) => {
            if let Some(item) = fields.get(key.as_str()) {
                values_in(item, rest, out);
            }
        }
        _ => {}
    }
}

/// The objects `steps` reach from `expr` whose members are known at
/// compile time: where each is written and the names it sets.
fn objects_at(scope: &Scope, expr: &Expr, steps: &[Step], out: &mut Vec<(Span, Vec<String>)>) {
    match (steps.split_first(), &expr.kind) {
        (_, ExprKind::Paren(inner)) => objects_at(scope, inner, steps, out),
        (None, ExprKind::Object(properties)) => {
            out.push((
                expr.span,
                properties.iter().map(|p| p.key.name.clone()).collect(),
            ));
        }
        (Some((Step::Each, rest)), ExprKind::List(items)) => {
            for item in items {
                objects_at(scope, item, rest, out);
            }
        }
        (Some((Step::Key(key), rest)), ExprKind::Object(properties)) => {
            if let Some(p) = properties.iter().rev().find(|p| &p.key.name == key) {
                objects_at(scope, &p.value, rest, out);
            }
        }
        _ => {
            for (e, value, _) in constants(scope, expr) {
                let mut found = Vec::new();
                values_in(&value, steps, &mut found);
                for v in found {
                    if let Value::Object(fields) = v {
                        out.push((e.span, fields.keys().cloned().collect()));
                    }
                }
            }
        }
    }
}
