//! What a map reads of an emitted template: the names each section kept,
//! its conditions, and which conditions each resource and output uses.
//! Read from the tree the backend printed, as it is printed: the template
//! is never read back.

use std::borrow::Cow;

use crate::ir::Target;
use crate::json::Json;

/// The sections of one template, by the template's names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Emitted {
    /// Resources, with the conditions each uses.
    pub resources: Vec<(String, Vec<String>)>,
    /// Where the backend notes it so (Terraform, which has no conditions,
    /// leaving `resources` empty): whether the template holds each of the
    /// deployment's resources, in their order.
    pub kept: Option<Vec<bool>>,
    pub params: Vec<String>,
    pub outputs: Vec<(String, Vec<String>)>,
    pub conditions: Vec<String>,
    /// Each condition's text leaves, among which the names of the
    /// conditions it combines (`Fn::Or` of `Condition`s, Heat's `or` of
    /// names): it is used wherever they are.
    pub condition_reads: Vec<Vec<String>>,
}

/// Where each target keeps what a map reads.
struct Spelling {
    resources: &'static str,
    params: &'static str,
    outputs: &'static str,
    conditions: &'static str,
    /// The key that puts a resource or output under a condition.
    condition: &'static str,
    /// The function whose first argument is a condition.
    choice: &'static str,
    /// Terraform's resources are by type, then by name.
    by_type: bool,
}

fn spelling(target: Target) -> Spelling {
    match target {
        Target::CloudFormation => Spelling {
            resources: "Resources",
            params: "Parameters",
            outputs: "Outputs",
            conditions: "Conditions",
            condition: "Condition",
            choice: "Fn::If",
            by_type: false,
        },
        Target::Heat => Spelling {
            resources: "resources",
            params: "parameters",
            outputs: "outputs",
            conditions: "conditions",
            condition: "condition",
            choice: "if",
            by_type: false,
        },
        Target::TerraformAws | Target::TerraformOpenstack => Spelling {
            resources: "resource",
            params: "variable",
            outputs: "output",
            conditions: "",
            condition: "",
            choice: "",
            by_type: true,
        },
    }
}

impl Emitted {
    /// What a template of `target` holds, from its sections (`tree`'s
    /// entries).
    pub fn of<'t, 'a: 't>(
        target: Target,
        sections: impl IntoIterator<Item = &'t (Cow<'a, str>, Json<'a>)>,
    ) -> Emitted {
        let s = spelling(target);
        let mut out = Emitted::default();
        for (key, value) in sections {
            let Json::Object(entries) = value else {
                continue;
            };
            let key = &**key;
            if key == s.resources && s.by_type {
                // Noted by the emitter, by the deployment's order (`kept`).
            } else if key == s.resources {
                out.resources = (entries.iter())
                    .map(|(name, value)| (name.to_string(), uses(&s, value)))
                    .collect();
            } else if key == s.params {
                out.params = entries.iter().map(|(n, _)| n.to_string()).collect();
            } else if key == s.outputs {
                out.outputs = (entries.iter())
                    .map(|(name, value)| (name.to_string(), uses(&s, value)))
                    .collect();
            } else if !s.conditions.is_empty() && key == s.conditions {
                for (name, body) in entries {
                    let mut texts = Vec::new();
                    texts_of(body, &mut texts);
                    out.conditions.push(name.to_string());
                    out.condition_reads.push(texts);
                }
            }
        }
        out
    }

    /// What the template `tree` of `target` holds.
    pub fn of_tree(target: Target, tree: &Json) -> Emitted {
        match tree {
            Json::Object(sections) => Emitted::of(target, sections),
            _ => Emitted::default(),
        }
    }

    /// The conditions a resource or output of `target` uses, for a
    /// template whose resources are printed one by one.
    pub fn uses(target: Target, value: &Json) -> Vec<String> {
        uses(&spelling(target), value)
    }
}

/// The conditions `value` uses, in the order met: the value of a
/// `Condition` key, the first argument of an `Fn::If`.
fn uses(s: &Spelling, value: &Json) -> Vec<String> {
    let mut used = Vec::new();
    if !s.condition.is_empty() {
        walk(s, value, &mut used);
    }
    used
}

/// Every text of a value (object keys left out).
fn texts_of(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::Str(text) => out.push(text.to_string()),
        Json::Array(items) => items.iter().for_each(|v| texts_of(v, out)),
        Json::Object(fields) => fields.iter().for_each(|(_, v)| texts_of(v, out)),
        _ => {}
    }
}

fn note(used: &mut Vec<String>, name: &str) {
    if !used.iter().any(|u| u == name) {
        used.push(name.to_string());
    }
}

/// Whether `value` holds other values, the only ones [`walk`] looks into:
/// most of a tree is leaves, not worth a call each.
fn nested(value: &Json) -> bool {
    matches!(value, Json::Array(_) | Json::Object(_))
}

fn walk(s: &Spelling, value: &Json, used: &mut Vec<String>) {
    match value {
        Json::Array(items) => (items.iter())
            .filter(|v| nested(v))
            .for_each(|v| walk(s, v, used)),
        Json::Object(entries) => {
            for (key, value) in entries {
                if !nested(value) && !matches!(value, Json::Str(_)) {
                    continue;
                }
                if key == s.condition {
                    match value {
                        Json::Str(name) => note(used, name),
                        other => walk(s, other, used),
                    }
                } else if key == s.choice {
                    match value {
                        // The choice's own condition is noted after those
                        // within its branches.
                        Json::Array(arguments) => {
                            let mut rest = arguments.iter();
                            let first = match rest.next() {
                                Some(Json::Str(name)) => Some(name),
                                Some(first) => {
                                    walk(s, first, used);
                                    None
                                }
                                None => None,
                            };
                            rest.for_each(|v| walk(s, v, used));
                            if let Some(name) = first {
                                note(used, name);
                            }
                        }
                        other => walk(s, other, used),
                    }
                } else if nested(value) {
                    walk(s, value, used);
                }
            }
        }
        _ => {}
    }
}
