//! The comparison of one template with its earlier build.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Danger, Facts, Kind, PropertyChange, ResourceChange, Side, TemplateDiff, Verdict};
use crate::backend::read::{self as template, Res, Shape};
use crate::target::Target;

/// Compares the template `file` of `target` with its earlier build (`None`:
/// there was none). `Err` says why a side is not a template of the target.
pub fn compare(
    file: &str,
    target: Target,
    old: Option<Side>,
    new: Side,
    facts: &mut Facts,
) -> Result<TemplateDiff, String> {
    let new_shape = template::read(target, new.text).map_err(|e| format!("the new build: {e}"))?;
    let (old_shape, new_template) = match &old {
        Some(side) => (template::read(target, side.text)?, false),
        None => (Shape::default(), true),
    };
    let mut origins = BTreeMap::new();
    let mut renames = new_shape.moved.clone();
    // The old build's names first: the new build's win. Only the new
    // build's renames are this comparison's.
    for (side, is_new) in old.iter().map(|o| (o, false)).chain([(&new, true)]) {
        if let Some(list) = side.origins {
            origins.extend(list.iter().cloned());
        }
        if let Some(map) = side.map {
            let mut found = BTreeMap::new();
            read_map(map, &mut origins, &mut found);
            if is_new {
                renames.extend(found);
            }
        }
    }
    // A rename is one where the old name is gone and the new one is new.
    renames.retain(|to, from| {
        old_shape.resources.contains_key(from)
            && !new_shape.resources.contains_key(from)
            && new_shape.resources.contains_key(to)
            && !old_shape.resources.contains_key(to)
    });
    let renamed_away: BTreeSet<&String> = renames.values().collect();

    let mut changes = Vec::new();
    for (name, res) in &new_shape.resources {
        let from = renames.get(name);
        let old_name = from.unwrap_or(name);
        let change = match old_shape.resources.get(old_name) {
            Some(before) => changed(target, name, from, before, res, facts),
            None => ResourceChange {
                name: name.clone(),
                renamed_from: None,
                type_name: res.type_name.clone(),
                resource: None,
                kind: Kind::Added,
                properties: Vec::new(),
                danger: Danger::None,
                reason: None,
                persistent: None,
                verdict: Verdict::Fine,
            },
        };
        changes.push(change);
    }
    cascade(target, &new_shape, &mut changes, facts);
    for (name, res) in &old_shape.resources {
        if new_shape.resources.contains_key(name) || renamed_away.contains(name) {
            continue;
        }
        let reason = match target {
            Target::CloudFormation => format!("its logical id `{name}` is gone"),
            Target::Heat => format!("its name `{name}` is gone"),
            Target::TerraformAws | Target::TerraformOpenstack => {
                format!("its address `{name}` is gone and no `moved` block names it")
            }
        };
        changes.push(ResourceChange {
            name: name.clone(),
            renamed_from: None,
            type_name: res.type_name.clone(),
            resource: None,
            kind: Kind::Removed,
            properties: Vec::new(),
            danger: Danger::Delete,
            reason: Some(reason),
            persistent: persistence(res, None, facts),
            verdict: Verdict::Fine,
        });
    }
    // Unchanged resources were kept for the cascade only.
    changes.retain(|c| c.kind != Kind::Changed || !c.properties.is_empty() || c.reason.is_some());
    for change in &mut changes {
        let old_name = change.renamed_from.as_ref().unwrap_or(&change.name);
        change.resource = origins
            .get(&change.name)
            .or_else(|| origins.get(old_name))
            .cloned();
        change.verdict = match (change.danger, &change.persistent) {
            (_, None) | (Danger::None, _) => Verdict::Fine,
            (Danger::MayReplace | Danger::MayDelete, Some(_)) => Verdict::Warn,
            (Danger::Replace | Danger::Delete, Some(_)) => Verdict::Blocked,
        };
    }
    Ok(TemplateDiff {
        file: file.to_string(),
        target,
        new_template,
        changes,
    })
}

/// Why a resource holds state: its type's state class, or the template's
/// protection of it (old or new).
fn persistence(old: &Res, new: Option<&Res>, facts: &mut Facts) -> Option<String> {
    let types = [Some(old), new].into_iter().flatten();
    for res in types.clone() {
        if facts.of(&res.type_name).is_some_and(|f| f.persistent) {
            return Some(format!("{} is persistent", res.type_name));
        }
    }
    types.clone().find_map(|res| res.protected.clone())
}

/// A resource in both builds (under the same name, or renamed).
fn changed(
    target: Target,
    name: &str,
    from: Option<&String>,
    old: &Res,
    new: &Res,
    facts: &mut Facts,
) -> ResourceChange {
    let persistent = persistence(old, Some(new), facts);
    let replacement = facts
        .of(&new.type_name)
        .map(|f| f.replacement.clone())
        .unwrap_or_default();
    let mut properties = Vec::new();
    for (meta, before, after) in [
        (false, &old.properties, &new.properties),
        (true, &old.meta, &new.meta),
    ] {
        let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for key in names {
            let (a, b) = (before.get(key), after.get(key));
            if a == b {
                continue;
            }
            let effect = if meta {
                Danger::None
            } else if replacement.replaced_by.contains(key) {
                Danger::Replace
            } else if replacement.may_replace.contains(key) {
                Danger::MayReplace
            } else {
                Danger::None
            };
            properties.push(PropertyChange {
                name: key.clone(),
                old: a.cloned(),
                new: b.cloned(),
                effect,
                meta,
            });
        }
    }
    let (danger, reason) = if old.type_name != new.type_name || old.group != new.group {
        let shown = |r: &Res| match r.group {
            true => format!("a group of {}", r.type_name),
            false => r.type_name.clone(),
        };
        let reason = format!("its type changed from {} to {}", shown(old), shown(new));
        (Danger::Replace, Some(reason))
    } else if let Some((danger, reason)) = fewer_copies(&properties) {
        (danger, Some(reason))
    } else if let Some(reason) = forcing(&properties, Danger::Replace) {
        (Danger::Replace, Some(reason))
    } else if from.is_some() && target.provider().is_none() {
        let ids = match target {
            Target::CloudFormation => "logical ids",
            _ => "names",
        };
        let reason = format!(
            "{} knows resources by their {ids}: a new one makes a new resource, and the old one leaves the stack",
            target.display()
        );
        (Danger::Replace, Some(reason))
    } else if let Some(reason) = forcing(&properties, Danger::MayReplace) {
        (Danger::MayReplace, Some(reason))
    } else if let Some(reason) = unknown_effect(target, &properties, persistent.is_some()) {
        (Danger::MayReplace, Some(reason))
    } else if let Some(reason) = conditional(&properties) {
        (Danger::MayDelete, Some(reason))
    } else {
        (Danger::None, None)
    };
    ResourceChange {
        name: name.to_string(),
        renamed_from: from.cloned(),
        type_name: new.type_name.clone(),
        resource: None,
        kind: if from.is_some() {
            Kind::Renamed
        } else {
            Kind::Changed
        },
        properties,
        danger,
        reason,
        persistent,
        verdict: Verdict::Fine,
    }
}

/// A value as messages show it: compact JSON, cut short.
pub(super) fn shown(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "nothing".into();
    };
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(57).collect();
    format!("{cut}...")
}

/// Two long values as messages show them: from a little before where
/// they first differ.
fn shown_pair(old: &Value, new: &Value) -> (String, String) {
    let (a, b) = (old.to_string(), new.to_string());
    if a.chars().count() <= 60 && b.chars().count() <= 60 {
        return (a, b);
    }
    let same = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let start = same.saturating_sub(20);
    let window = |text: &str| {
        let rest: String = text.chars().skip(start).collect();
        let cut: String = rest.chars().take(50).collect();
        let before = if start > 0 { "..." } else { "" };
        let after = if rest.chars().count() > 50 { "..." } else { "" };
        format!("{before}{cut}{after}")
    };
    (window(&a), window(&b))
}

fn change_text(p: &PropertyChange) -> String {
    match (&p.old, &p.new) {
        (None, new) => format!("{} set to {}", p.name, shown(new.as_ref())),
        (old, None) => format!("{} removed (was {})", p.name, shown(old.as_ref())),
        (Some(old), Some(new)) => {
            let (old, new) = shown_pair(old, new);
            format!("{} changed from {old} to {new}", p.name)
        }
    }
}

/// `Engine changed from "postgres" to "mysql", and Engine forces
/// replacement`, of the properties whose effect is `effect`.
fn forcing(properties: &[PropertyChange], effect: Danger) -> Option<String> {
    let forcing: Vec<&PropertyChange> = properties.iter().filter(|p| p.effect == effect).collect();
    if forcing.is_empty() {
        return None;
    }
    let changes: Vec<String> = forcing.iter().map(|p| change_text(p)).collect();
    let names: Vec<&str> = forcing.iter().map(|p| p.name.as_str()).collect();
    let verb = match (effect, names.len()) {
        (Danger::MayReplace, _) => "may force",
        (_, 1) => "forces",
        _ => "force",
    };
    Some(format!(
        "{}, and {} {verb} replacement",
        changes.join(", "),
        and_list(&names)
    ))
}

fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A `count` that went down: copies deleted; one that changed otherwise
/// (to or from a value known only when deploying): copies may be.
fn fewer_copies(properties: &[PropertyChange]) -> Option<(Danger, String)> {
    let count = properties.iter().find(|p| p.meta && p.name == "count")?;
    let number = |v: &Option<Value>| v.as_ref().and_then(Value::as_u64);
    // No count is one copy.
    let (old, new) = (
        count.old.as_ref().map_or(Some(1), |_| number(&count.old)),
        count.new.as_ref().map_or(Some(1), |_| number(&count.new)),
    );
    match (old, new) {
        (Some(old), Some(new)) if new < old => Some((
            Danger::Delete,
            format!(
                "its count goes from {old} to {new}: the last {} would be deleted",
                match old - new {
                    1 => "copy".to_string(),
                    n => format!("{n} copies"),
                }
            ),
        )),
        (Some(_), Some(_)) => None,
        _ => Some((
            Danger::MayDelete,
            format!(
                "its count changed from {} to {}: copies may be deleted, depending on values given when deploying",
                shown(count.old.as_ref()),
                shown(count.new.as_ref())
            ),
        )),
    }
}

/// A condition it exists under that is new or changed (CloudFormation
/// `Condition`, Heat `condition`): deploying with it false deletes it.
fn conditional(properties: &[PropertyChange]) -> Option<String> {
    let p = properties.iter().find(|p| {
        p.meta && p.new.is_some() && matches!(p.name.as_str(), "Condition" | "condition")
    })?;
    Some(match &p.old {
        None => format!(
            "it now exists only under the condition {}: deploying with it false deletes it",
            shown(p.new.as_ref())
        ),
        Some(_) => format!(
            "the condition it exists under changed from {} to {}: deploying with the new one false deletes it",
            shown(p.old.as_ref()),
            shown(p.new.as_ref())
        ),
    })
}

/// Terraform's schemas do not say which arguments force a new resource: a
/// persistent resource's changed argument may.
fn unknown_effect(
    target: Target,
    properties: &[PropertyChange],
    persistent: bool,
) -> Option<String> {
    if target.provider().is_none() || !persistent {
        return None;
    }
    let changed: Vec<String> = properties
        .iter()
        .filter(|p| !p.meta)
        .map(change_text)
        .collect();
    if changed.is_empty() {
        return None;
    }
    Some(format!(
        "{}; the provider's schema does not say which arguments force a new resource: `terraform plan` shows it",
        changed.join(", ")
    ))
}

/// A resource whose replacing property names a resource that is replaced
/// (CloudFormation `Ref`, `Fn::GetAtt`; Heat `get_resource`, `get_attr`)
/// gets a new value there, and is replaced in turn.
fn cascade(target: Target, shape: &Shape, changes: &mut [ResourceChange], facts: &mut Facts) {
    if target.provider().is_some() {
        return;
    }
    let index: BTreeMap<String, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    loop {
        let mut raised = false;
        for i in 0..changes.len() {
            if changes[i].kind == Kind::Added || changes[i].danger >= Danger::Replace {
                continue;
            }
            let Some(res) = shape.resources.get(&changes[i].name) else {
                continue;
            };
            let Some(type_facts) = facts.of(&res.type_name) else {
                continue;
            };
            let replacement = type_facts.replacement.clone();
            for (property, refs) in &res.refers_to {
                let own = if replacement.replaced_by.contains(property) {
                    Danger::Replace
                } else if replacement.may_replace.contains(property) {
                    Danger::MayReplace
                } else {
                    continue;
                };
                for name in refs {
                    let Some(&j) = index.get(name) else {
                        continue;
                    };
                    let theirs = changes[j].danger;
                    if !matches!(theirs, Danger::MayReplace | Danger::Replace) {
                        continue;
                    }
                    let danger = own.min(theirs);
                    if danger > changes[i].danger {
                        changes[i].danger = danger;
                        let verb = match danger {
                            Danger::Replace => "would be",
                            _ => "may be",
                        };
                        changes[i].reason = Some(format!(
                            "{property} refers to {name}, which {verb} replaced, and {property} {}",
                            match own {
                                Danger::Replace => "forces replacement",
                                _ => "may force replacement",
                            }
                        ));
                        raised = true;
                    }
                }
            }
        }
        if !raised {
            break;
        }
    }
}

/// Reads a source map's names: `{"resources": {NAME: {"resource": R,
/// "renamed_from": OLD}}}` or `{"resources": [{"name"|"id"|"address": NAME,
/// ...}]}`, `renamed_from` a name or a list of names (the first that the
/// old build has is the rename, decided by the caller). Anything else is
/// ignored: a map is a help, never required.
fn read_map(
    map: &Value,
    origins: &mut BTreeMap<String, String>,
    renames: &mut BTreeMap<String, String>,
) {
    let entries: Vec<(String, &Value)> = match map.get("resources") {
        Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| {
                let name = ["name", "id", "address"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str))?;
                Some((name.to_string(), v))
            })
            .collect(),
        _ => Vec::new(),
    };
    for (name, entry) in entries {
        if let Some(resource) = entry.get("resource").and_then(Value::as_str) {
            origins.insert(name.clone(), resource.to_string());
        }
        let from = match entry.get("renamed_from") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(a)) => a.iter().find_map(Value::as_str).map(str::to_string),
            _ => None,
        };
        if let Some(from) = from {
            renames.entry(name).or_insert(from);
        }
    }
}
