//! `parameters` and `parameter_groups`: each param's Heat type, default
//! and the constraints Heat can check.

use crate::backend::common::reads::{first_declaration, first_read};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deployment, Param, ParamType};
use crate::json::{self, Json, json};

use super::Entries;

pub(super) fn parameters(params: &[Param]) -> Entries<'_> {
    json::dedup(
        params
            .iter()
            .map(|p| (p.name.as_str().into(), parameter(p)))
            .collect(),
    )
}

/// A pattern as Python's `re` reads it with the meaning the compiler
/// checks: `\d`, `\w`, `\s` and `\b` are ASCII (as in Java and RE2), where
/// Python's are Unicode unless the pattern starts with the `(?a)` flag.
fn python_pattern(pattern: &str) -> String {
    let mut chars = pattern.chars();
    let mut named_sets = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            named_sets |= matches!(
                chars.next(),
                Some('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B')
            );
        }
    }
    if named_sets {
        format!("(?a){pattern}")
    } else {
        pattern.to_string()
    }
}

/// Heat's name for a param type.
fn param_type(ty: &ParamType) -> &'static str {
    match ty {
        ParamType::String => "string",
        ParamType::Number | ParamType::Int => "number",
        ParamType::Bool => "boolean",
        ParamType::Json => "json",
        ParamType::List(item) => match **item {
            ParamType::String | ParamType::Number | ParamType::Int | ParamType::Bool => {
                "comma_delimited_list"
            }
            _ => "json",
        },
    }
}

pub(super) fn parameter(p: &Param) -> Json<'_> {
    let ty = param_type(&p.ty);
    let mut out: Entries = vec![("type".into(), ty.into())];
    if let Some(label) = &p.label {
        out.push(("label".into(), label.into()));
    }
    if let Some(description) = &p.description {
        out.push(("description".into(), description.into()));
    }
    if let Some(default) = &p.default {
        out.push(("default".into(), default.into()));
    }
    if p.secret {
        out.push(("hidden".into(), true.into()));
    }
    let constraints = constraints(p, ty);
    if !constraints.is_empty() {
        out.push(("constraints".into(), Json::Array(constraints)));
    }
    Json::Object(out)
}

/// The param's constraints that apply to its Heat type (Heat rejects, say,
/// a `range` on a string), each described by the param's message.
fn constraints<'p>(p: &'p Param, ty: &str) -> Vec<Json<'p>> {
    let mut out = Vec::new();
    let mut add = |key: &'static str, value: Json<'p>| {
        let mut constraint: Entries = vec![(key.into(), value)];
        if let Some(message) = &p.message {
            constraint.push(("description".into(), message.into()));
        }
        out.push(Json::Object(constraint));
    };
    if matches!(ty, "string" | "comma_delimited_list" | "json")
        && (p.min_length.is_some() || p.max_length.is_some())
    {
        let mut bounds: Entries = Vec::new();
        if let Some(min) = p.min_length {
            bounds.push(("min".into(), min.into()));
        }
        if let Some(max) = p.max_length {
            bounds.push(("max".into(), max.into()));
        }
        add("length", Json::Object(bounds));
    }
    if ty == "number" && (p.min.is_some() || p.max.is_some()) {
        let mut bounds: Entries = Vec::new();
        if let Some(min) = &p.min {
            bounds.push(("min".into(), min.into()));
        }
        if let Some(max) = &p.max {
            bounds.push(("max".into(), max.into()));
        }
        add("range", Json::Object(bounds));
    }
    if ty == "string"
        && let Some(pattern) = &p.pattern
    {
        add("allowed_pattern", python_pattern(pattern).into());
    }
    // The id of an `existing` resource: Heat checks it names one.
    if ty == "string"
        && let Some(native_type) = &p.native_type
    {
        add("custom_constraint", native_type.into());
    }
    // Heat checks a list's elements against `allowed_values`, where a list
    // param's allowed values are whole lists (W0532); a `json` parameter
    // takes none.
    if !allowed_unchecked(p, ty)
        && let Some(allowed) = &p.allowed
    {
        add(
            "allowed_values",
            Json::Array(allowed.iter().map(Json::from).collect()),
        );
    }
    out
}

/// Whether the `allowed` values of `p`, a parameter of Heat type `ty`, have
/// no Heat form: a list's are whole lists, which Heat's `allowed_values`
/// would check element by element; a `json` parameter takes none.
fn allowed_unchecked(p: &Param, ty: &str) -> bool {
    p.allowed.is_some() && (ty == "json" || matches!(p.ty, ParamType::List(_)))
}

/// Params whose `allowed` values the template leaves out (W0532): Infra
/// checks them at compile time only.
pub(super) fn unchecked_constraints(deployment: &Deployment) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for p in &deployment.params {
        let ty = param_type(&p.ty);
        if !allowed_unchecked(p, ty) {
            continue;
        }
        let why = if matches!(p.ty, ParamType::List(_)) {
            "its allowed values are whole lists, and Heat checks each element of a list parameter against `allowed_values`"
        } else {
            "a Heat `json` parameter takes no `allowed_values`"
        };
        let (span, label) = match first_read(deployment, &p.name) {
            Some(span) => (span, format!("reads param `{}`", p.name)),
            None => (
                first_declaration(deployment).unwrap_or_default(),
                format!("param `{}` is a parameter of this template", p.name),
            ),
        };
        found.push(
            Diagnostic::new(
                &codes::W0532,
                span,
                format!(
                    "Heat cannot check the `allowed` values of param `{}` at deploy time",
                    p.name
                ),
            )
            .label(label)
            .note(format!("{why}: the template leaves the constraint out"))
            .note("the constraint is checked against the default and values given at compile time, but not against values given to Heat")
            .help(format!(
                "give `{}` at compile time with `--param` to have it checked",
                p.name
            )),
        );
    }
    found
}

/// `parameter_groups`: one per group, in order of first use.
pub(super) fn parameter_groups(params: &[Param]) -> Vec<Json<'_>> {
    let mut groups: Vec<(&str, Vec<Json>)> = Vec::new();
    for p in params {
        let Some(group) = &p.group else { continue };
        match groups.iter_mut().find(|(label, _)| label == group) {
            Some((_, members)) => members.push(p.name.as_str().into()),
            None => groups.push((group, vec![p.name.as_str().into()])),
        }
    }
    groups
        .into_iter()
        .map(|(label, members)| json!({ "label": label, "parameters": Json::Array(members) }))
        .collect()
}
