//! `variable` blocks: each param's type, default and one `validation`
//! block per constraint; names Terraform reserves.

use rustc_hash::FxHashSet as HashSet;
use serde_json::Value;

use crate::backend::common::names::first_free;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deployment, Param, ParamType};
use crate::json::{self, Json};

use super::expressions::{escape_template, is_identifier, quote};
use super::{Emitter, Entries};

/// Names Terraform reserves for module arguments: no variable may have them.
const RESERVED_VARIABLES: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
];

/// Each param's variable name, in the deployment's order: its own, unless
/// Terraform reserves it.
pub fn variable_names(d: &Deployment) -> Vec<String> {
    let names: HashSet<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
    let mut taken: HashSet<String> = HashSet::default();
    let mut variables = Vec::with_capacity(d.params.len());
    for p in &d.params {
        let mut name = p.name.clone();
        if RESERVED_VARIABLES.contains(&name.as_str()) {
            name = first_free(&format!("{}_value", p.name), "", |name| {
                names.contains(name) || taken.contains(name)
            });
        }
        taken.insert(name.clone());
        variables.push(name);
    }
    variables
}

/// The Terraform type expression of a param type.
fn type_expr(ty: &ParamType) -> String {
    match ty {
        ParamType::String => "string".into(),
        ParamType::Number | ParamType::Int => "number".into(),
        ParamType::Bool => "bool".into(),
        ParamType::List(inner) => format!("list({})", type_expr(inner)),
        ParamType::Json => "any".into(),
    }
}

/// A JSON value as a Terraform literal.
fn json_to_hcl(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(json_to_hcl).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => {
            let entries: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{} = {}", quote(k), json_to_hcl(v)))
                .collect();
            if entries.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", entries.join(", "))
            }
        }
    }
}

/// A sentence of a param's message: capitalised, ending with a period.
fn sentence_of(message: &str) -> String {
    let trimmed = message.trim();
    let mut chars = trimmed.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return "The value is not valid.".into(),
    };
    if !out.ends_with('.') && !out.ends_with('?') {
        out.push('.');
    }
    out
}

/// A pattern anchored at both ends: Infra, CloudFormation and Heat match the
/// whole value, Terraform's `regex` anywhere in it.
fn anchored(pattern: &str) -> String {
    let starts = pattern.starts_with('^') || pattern.starts_with("\\A");
    let ends = (pattern.ends_with('$') && !pattern.ends_with("\\$")) || pattern.ends_with("\\z");
    if starts && ends {
        pattern.to_string()
    } else {
        format!("^(?:{pattern})$")
    }
}

/// What RE2 (Terraform's `regex`) lacks that a pattern uses, if anything.
pub(super) fn re2_unsupported(pattern: &str) -> Option<&'static str> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' => {
                if let Some(&n) = bytes.get(i + 1)
                    && !in_class
                    && n.is_ascii_digit()
                    && n != b'0'
                {
                    return Some("a backreference");
                }
                if bytes.get(i + 1) == Some(&b'Z') {
                    return Some("`\\Z`");
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class && bytes.get(i + 1) == Some(&b'?') => {
                let rest = &pattern[i + 2..];
                if rest.starts_with('=') || rest.starts_with('!') {
                    return Some("a lookahead");
                }
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Some("a lookbehind");
                }
                if rest.starts_with('>') {
                    return Some("an atomic group");
                }
            }
            b'*' | b'+' | b'?' | b'}' if !in_class && bytes.get(i + 1) == Some(&b'+') && i > 0 => {
                return Some("a possessive quantifier");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

impl<'d> Emitter<'d> {
    /// Resource names Terraform accepts, unique per type; reserved variable
    /// names renamed with a warning.
    pub(super) fn check_names(&mut self) {
        let d = self.d;
        let mut seen: HashSet<(&str, &str)> =
            HashSet::with_capacity_and_hasher(d.resources.len(), Default::default());
        for r in &d.resources {
            if !is_identifier(&r.snake) {
                self.internal(
                    r.span,
                    format!(
                        "the Terraform name `{}` of resource `{}` is not a valid identifier",
                        r.snake, r.id
                    ),
                );
            }
            if !seen.insert((&*r.type_name, r.snake.as_str())) {
                self.internal(
                    r.span,
                    format!(
                        "two resources are both named `{}.{}` in Terraform",
                        r.type_name, r.snake
                    ),
                );
            }
        }
        for p in &d.params {
            let name = self.variables[p.name.as_str()].clone();
            if name != p.name {
                let span = self.param_site(&p.name);
                let diagnostic = Diagnostic::new(
                    &codes::W0550,
                    span,
                    format!(
                        "Terraform reserves the name `{}`: param `{}` is the variable `{name}` in {}",
                        p.name,
                        p.name,
                        d.target.display()
                    ),
                )
                .label(format!("reads param `{}`", p.name))
                .note(format!(
                    "give its value with `-var {name}=...` or `TF_VAR_{name}` when deploying"
                ))
                .help(format!(
                    "rename the param (for instance `app_{}`) to keep one name on every target",
                    p.name
                ));
                self.diagnostics.push(diagnostic);
            }
        }
    }

    pub(super) fn variables(&mut self) -> Entries<'d> {
        let d = self.d;
        let mut out = Vec::with_capacity(d.params.len());
        for p in &d.params {
            let mut v: Entries = Vec::with_capacity(5);
            if let Some(description) = p.description.as_ref().or(p.label.as_ref()) {
                v.push(("description".into(), description.into()));
            }
            v.push(("type".into(), type_expr(&p.ty).into()));
            if let Some(default) = &p.default {
                v.push(("default".into(), default.into()));
            }
            if p.secret {
                v.push(("sensitive".into(), true.into()));
            }
            let validations = self.validations(p);
            if !validations.is_empty() {
                v.push(("validation".into(), Json::Array(validations)));
            }
            let name = self.variables[p.name.as_str()].clone();
            out.push((name.into(), Json::Object(v)));
        }
        json::dedup(out)
    }

    /// One `validation` block per constraint of `p`.
    fn validations(&mut self, p: &Param) -> Vec<Json<'static>> {
        let var = format!("var.{}", self.variables[p.name.as_str()]);
        let (element_ty, list) = match &p.ty {
            ParamType::List(inner) => (inner.as_ref(), true),
            other => (other, false),
        };
        // A check of each element of a list, of the value otherwise.
        let each = |test: &dyn Fn(&str) -> String| {
            if list {
                format!("alltrue([for v in {var} : {}])", test("v"))
            } else {
                test(&var)
            }
        };
        let what = if list {
            format!("Each element of {}", p.name)
        } else {
            format!("The value of {}", p.name)
        };
        let mut checks: Vec<(String, String)> = Vec::new();
        if let Some(allowed) = &p.allowed {
            let values: Vec<String> = allowed.iter().map(json_to_hcl).collect();
            let set = format!("[{}]", values.join(", "));
            let check = if list {
                // A list param's allowed values are whole lists. Terraform's
                // equality tells a tuple (`["a", "b"]`) from a list of the
                // same elements, so both sides are compared as JSON text.
                (
                    format!("contains([for v in {set} : jsonencode(v)], jsonencode({var}))"),
                    format!(
                        "The value of {} must be one of {}.",
                        p.name,
                        values.join(", ")
                    ),
                )
            } else {
                (
                    format!("contains({set}, {var})"),
                    format!("{what} must be one of {}.", values.join(", ")),
                )
            };
            checks.push(check);
        }
        if let Some(pattern) = &p.pattern {
            if let Some(feature) = re2_unsupported(pattern) {
                let span = self.param_site(&p.name);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0551,
                        span,
                        format!(
                            "the pattern of param `{}` uses {feature}, which {} does not have: its `regex` function is RE2",
                            p.name,
                            self.d.target.display()
                        ),
                    )
                    .label(format!("reads param `{}`", p.name))
                    .note(format!("the pattern is `{pattern}`"))
                    .help("write the pattern without lookaround, backreferences, atomic groups or possessive quantifiers (RE2 has none of them), or check the value with `allowed` values or lengths instead"),
                );
            }
            let anchored = anchored(pattern);
            let literal = quote(&anchored);
            checks.push((
                each(&|x| format!("can(regex({literal}, {x}))")),
                format!("{what} must match the pattern {anchored}."),
            ));
        }
        if p.min.is_some() || p.max.is_some() {
            let min = p.min.as_ref().map(json_to_hcl);
            let max = p.max.as_ref().map(json_to_hcl);
            let test = |x: &str| match (&min, &max) {
                (Some(a), Some(b)) => format!("{x} >= {a} && {x} <= {b}"),
                (Some(a), None) => format!("{x} >= {a}"),
                (None, Some(b)) => format!("{x} <= {b}"),
                (None, None) => String::new(),
            };
            let sentence = match (&min, &max) {
                (Some(a), Some(b)) => format!("{what} must be between {a} and {b}."),
                (Some(a), None) => format!("{what} must be at least {a}."),
                (_, b) => format!(
                    "{what} must be at most {}.",
                    b.as_deref().unwrap_or_default()
                ),
            };
            checks.push((each(&test), sentence));
        }
        if p.min_length.is_some() || p.max_length.is_some() {
            let unit = |n: u64| match (list, n) {
                (true, 1) => "element",
                (true, _) => "elements",
                (false, 1) => "character",
                (false, _) => "characters",
            };
            let whole = format!("The value of {}", p.name);
            let (test, sentence) = match (p.min_length, p.max_length) {
                (Some(a), Some(b)) => (
                    format!("length({var}) >= {a} && length({var}) <= {b}"),
                    format!("{whole} must be between {a} and {b} {} long.", unit(b)),
                ),
                (Some(a), None) => (
                    format!("length({var}) >= {a}"),
                    format!("{whole} must be at least {a} {} long.", unit(a)),
                ),
                (None, Some(b)) => (
                    format!("length({var}) <= {b}"),
                    format!("{whole} must be at most {b} {} long.", unit(b)),
                ),
                (None, None) => unreachable!(),
            };
            checks.push((test, sentence));
        }
        // The param's message describes its constraints, not its type.
        let constraints = checks.len();
        if *element_ty == ParamType::Int {
            checks.push((
                each(&|x| format!("floor({x}) == {x}")),
                format!("{what} must be a whole number."),
            ));
        }
        let nullable = matches!(p.default, Some(Value::Null));
        checks
            .into_iter()
            .enumerate()
            .map(|(i, (condition, sentence))| {
                let condition = if nullable {
                    format!("{var} == null || try({condition}, false)")
                } else {
                    condition
                };
                let message = match &p.message {
                    Some(m) if i < constraints => sentence_of(m),
                    _ => sentence,
                };
                json::json!({
                    "condition": format!("${{{condition}}}"),
                    "error_message": escape_template(&message).into_owned(),
                })
            })
            .collect()
    }
}
