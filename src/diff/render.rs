//! A diff report as people read it (a table per template, and a line per
//! change that loses state) and as JSON.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Danger, Kind, Report, ResourceChange, TemplateDiff, Verdict};

/// The report for people: the tables (stdout), and the lines about changes
/// that lose state, blocked, allowed or possible (stderr).
pub fn human(report: &Report) -> (String, String) {
    let mut out = String::new();
    let mut messages = String::new();
    for template in &report.templates {
        table(template, &mut out);
        for change in &template.changes {
            message(template, change, &mut messages);
        }
    }
    if report.changes().next().is_none() {
        out.push_str("no changes\n");
    }
    for name in &report.unused_allowances {
        let _ = writeln!(
            messages,
            "note: `--allow-replace {name}` allowed nothing: no resource of that name is deleted or replaced"
        );
    }
    let blocked = report
        .changes()
        .filter(|c| c.verdict == Verdict::Blocked)
        .count();
    if blocked > 0 {
        let _ = writeln!(
            messages,
            "help: if losing {} is intended, name {} with `--allow-replace NAME` (a template's name of it, or the program's resource)",
            if blocked == 1 { "it" } else { "them" },
            if blocked == 1 { "it" } else { "each" },
        );
    }
    (out, messages)
}

fn table(template: &TemplateDiff, out: &mut String) {
    let header = format!("{} ({})", template.file, template.target.display());
    if template.changes.is_empty() {
        let _ = writeln!(out, "{header}: no changes");
        return;
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for change in &template.changes {
        let word = kind_word(change.kind);
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    let summary: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let new = if template.new_template {
        ", a template the earlier build does not have"
    } else {
        ""
    };
    let _ = writeln!(out, "{header}: {}{new}", summary.join(", "));
    let rows: Vec<[String; 4]> = template
        .changes
        .iter()
        .map(|c| {
            let name = match (&c.renamed_from, &c.resource) {
                (Some(from), _) => format!("{from} -> {}", c.name),
                (None, Some(r)) if *r != c.name => format!("{} ({r})", c.name),
                _ => c.name.clone(),
            };
            let mut details: Vec<String> = c.properties.iter().map(|p| p.name.clone()).collect();
            if details.is_empty() {
                details.extend(c.reason.clone());
            }
            [
                action(c).to_string(),
                name,
                c.type_name.clone(),
                details.join(", "),
            ]
        })
        .collect();
    let titles = ["action", "resource", "type", "changed"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([titles[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut line = |cells: [&str; 4]| {
        let mut text = String::from("  ");
        for (i, w) in widths.iter().enumerate() {
            let _ = write!(text, "{:<w$}  ", cells[i], w = w);
        }
        text.push_str(cells[3]);
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(titles);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3]]);
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Added => "added",
        Kind::Removed => "removed",
        Kind::Changed => "changed",
        Kind::Renamed => "renamed",
    }
}

/// What deploying does to it, in a word.
fn action(change: &ResourceChange) -> &'static str {
    match (change.kind, change.danger) {
        (Kind::Added, _) => "create",
        (_, Danger::Delete) => "delete",
        (_, Danger::Replace) => "replace",
        (_, Danger::MayReplace) => "replace?",
        (_, Danger::MayDelete) => "delete?",
        (Kind::Renamed, Danger::None) => "move",
        (_, Danger::None) => "update",
    }
}

fn message(template: &TemplateDiff, change: &ResourceChange, out: &mut String) {
    let (level, tail) = match change.verdict {
        Verdict::Fine => return,
        Verdict::Blocked => ("error", String::new()),
        Verdict::Warn => ("warning", String::new()),
        Verdict::Allowed => ("note", " (allowed by `--allow-replace`)".to_string()),
    };
    let what = match change.danger {
        Danger::Delete => "would be deleted",
        Danger::Replace => "would be replaced",
        Danger::MayDelete => "may be deleted",
        _ => "may be replaced",
    };
    let of = match &change.resource {
        Some(r) => format!(", resource `{r}`"),
        None => String::new(),
    };
    let reason = change.reason.as_deref().unwrap_or("");
    let persistent = change.persistent.as_deref().unwrap_or("");
    let _ = writeln!(
        out,
        "{level}: {}: {} ({}{of}) {what}: {reason}{tail}",
        template.file, change.name, change.type_name
    );
    let _ = writeln!(out, "  = it holds state: {persistent}");
}

/// The report as one JSON document.
pub fn json(report: &Report) -> String {
    let templates: Vec<Value> = report
        .templates
        .iter()
        .map(|t| {
            json!({
                "file": t.file,
                "target": t.target.name(),
                "new_template": t.new_template,
                "changes": t.changes.iter().map(change_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = json!({
        "blocked": report.blocked(),
        "changed": report.changes().next().is_some(),
        "templates": templates,
        "unused_allowances": report.unused_allowances,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn change_json(c: &ResourceChange) -> Value {
    let properties: Vec<Value> = c
        .properties
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "meta": p.meta,
                "old": p.old,
                "new": p.new,
                "effect": danger_name(p.effect),
            })
        })
        .collect();
    json!({
        "name": c.name,
        "renamed_from": c.renamed_from,
        "type": c.type_name,
        "resource": c.resource,
        "kind": kind_word(c.kind),
        "action": action(c),
        "danger": danger_name(c.danger),
        "reason": c.reason,
        "persistent": c.persistent,
        "verdict": match c.verdict {
            Verdict::Fine => "fine",
            Verdict::Warn => "warning",
            Verdict::Blocked => "blocked",
            Verdict::Allowed => "allowed",
        },
        "properties": properties,
    })
}

fn danger_name(danger: Danger) -> &'static str {
    match danger {
        Danger::None => "none",
        Danger::MayReplace => "may_replace",
        Danger::MayDelete => "may_delete",
        Danger::Replace => "replace",
        Danger::Delete => "delete",
    }
}
