//! What needs only the document's own tree: symbols, folding ranges,
//! formatting; and the fixes diagnostics suggest, as code actions.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, DocumentSymbol, FoldingRange, FoldingRangeKind, SymbolKind,
    TextEdit, Url, WorkspaceEdit,
};

use super::analysis::Analysis;
use super::text;
use crate::sema::ty::Ty;
use crate::source::FileId;
use crate::syntax::ast::*;

fn parse(source: &str) -> SourceFile {
    crate::syntax::parse(FileId(0), source).0
}

#[allow(deprecated)]
fn symbol(
    source: &str,
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    item: &Item,
    selection: crate::source::Span,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_string(),
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: text::range(source, item.span.start as usize, item.span.end as usize),
        selection_range: text::range(source, selection.start as usize, selection.end as usize),
        children,
    }
}

fn symbols_of(source: &str, items: &[Item]) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in items {
        let s = |name: &Ident, detail: Option<String>, kind| {
            symbol(source, &name.name, detail, kind, item, name.span, None)
        };
        let written = |span: crate::source::Span| source.get(span.range()).map(str::to_string);
        out.push(match &item.kind {
            ItemKind::Import(i) => s(&i.alias, written(i.path.span), SymbolKind::MODULE),
            ItemKind::Param(p) => s(
                &p.name,
                p.ty.as_ref().and_then(|t| written(t.span)),
                SymbolKind::VARIABLE,
            ),
            ItemKind::Let(l) => s(&l.name, None, SymbolKind::CONSTANT),
            ItemKind::Resource(r) => s(
                &r.name,
                written(super::query::resource_type_span(r)),
                SymbolKind::OBJECT,
            ),
            ItemKind::Output(o) => s(&o.name, Some("output".into()), SymbolKind::PROPERTY),
            ItemKind::TypeAlias(t) => s(&t.name, None, SymbolKind::TYPE_PARAMETER),
            ItemKind::Component(c) => symbol(
                source,
                &c.name.name,
                Some("component".into()),
                SymbolKind::CLASS,
                item,
                c.name.span,
                Some(symbols_of(source, &c.items)),
            ),
            ItemKind::Target(t) => symbol(
                source,
                &format!("target {}", t.target.name),
                None,
                SymbolKind::NAMESPACE,
                item,
                t.target.span,
                Some(symbols_of(source, &t.items)),
            ),
            ItemKind::Native(n) => symbol(
                source,
                &n.type_name.as_plain().unwrap_or_default(),
                Some(format!("native on {}", n.target.name)),
                SymbolKind::STRUCT,
                item,
                n.type_name.span,
                None,
            ),
            _ => continue,
        });
    }
    out
}

pub fn symbols(source: &str) -> Vec<DocumentSymbol> {
    symbols_of(source, &parse(source).items)
}

pub fn folding(source: &str) -> Vec<FoldingRange> {
    let ast = parse(source);
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize, kind: Option<FoldingRangeKind>| {
        // A span may end past the whitespace after it.
        let end = start + source.get(start..end).map_or(0, |s| s.trim_end().len());
        let (a, b) = (text::position(source, start), text::position(source, end));
        if b.line > a.line {
            out.push(FoldingRange {
                start_line: a.line,
                end_line: b.line,
                kind,
                ..Default::default()
            });
        }
    };
    for item in super::query::all_items(&ast.items) {
        push(
            item.span.start as usize,
            item.span.end as usize,
            Some(FoldingRangeKind::Region),
        );
    }
    // Runs of comment lines.
    let mut run: Option<(usize, usize)> = None;
    for comment in &ast.comments {
        let (start, end) = (comment.span.start as usize, comment.span.end as usize);
        run = match run {
            Some((s, e))
                if !source[e..start].trim().contains('\n')
                    && source[e..start].trim().is_empty() =>
            {
                Some((s, end))
            }
            Some((s, e)) => {
                push(s, e, Some(FoldingRangeKind::Comment));
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = run {
        push(s, e, Some(FoldingRangeKind::Comment));
    }
    out
}

/// The formatter's output as one edit, when the document parses.
pub fn format(source: &str) -> Option<Vec<TextEdit>> {
    let (ast, diagnostics) = crate::syntax::parse(FileId(0), source);
    if crate::diagnostics::has_errors(&diagnostics) {
        return None;
    }
    let formatted = crate::fmt::format(&ast, source);
    if formatted == source {
        return Some(Vec::new());
    }
    Some(vec![TextEdit::new(
        text::range(source, 0, source.len()),
        formatted,
    )])
}

/// A value of a type to start from: what a missing property is set to.
fn placeholder(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "false".into(),
        Ty::Int | Ty::Number => "0".into(),
        Ty::Literal(s) => format!("{s:?}"),
        Ty::Union(options) => options.first().map_or("null".into(), placeholder),
        Ty::Optional(t) => placeholder(t),
        Ty::List(_) => "[]".into(),
        Ty::Map(_) | Ty::Object(_) => "{}".into(),
        Ty::String => "\"\"".into(),
        _ => "null".into(),
    }
}

/// The fixes of the analysis' diagnostics that touch `range` of the entry
/// file: each "did you mean" replaces the name, and the missing required
/// properties of a resource are added with placeholder values.
pub fn code_actions(analysis: &Analysis, url: &Url, start: usize, end: usize) -> Vec<CodeAction> {
    let mut out = Vec::new();
    let (Some(db), Some(program)) = (analysis.db(), analysis.program()) else {
        return out;
    };
    let source = &analysis.text;
    let mut missing: HashMap<u32, Vec<String>> = HashMap::new();
    for d in &analysis.diagnostics {
        let span = d.primary.span;
        if db.get(span.file).path.as_deref() != Some(&analysis.path) {
            continue;
        }
        if (span.end as usize) < start || (span.start as usize) > end {
            continue;
        }
        let edit = |edits: Vec<TextEdit>| WorkspaceEdit {
            changes: Some(HashMap::from([(url.clone(), edits)])),
            ..Default::default()
        };
        let diagnostic = super::analysis::lsp_diagnostics_one(analysis, d);
        for help in &d.help {
            let Some(near) = help
                .strip_prefix("did you mean `")
                .and_then(|h| h.strip_suffix("`?"))
            else {
                continue;
            };
            // The name the diagnostic is about: its span, or the word in it.
            let written = &source[span.range()];
            let (a, b) = if written.chars().all(text::is_name_char) {
                (span.start as usize, span.end as usize)
            } else {
                match text::word_at(source, span.start as usize) {
                    Some(w) => w,
                    None => continue,
                }
            };
            out.push(CodeAction {
                title: format!("Replace with `{near}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(edit(vec![TextEdit::new(
                    text::range(source, a, b),
                    near.to_string(),
                )])),
                is_preferred: Some(true),
                ..Default::default()
            });
        }
        if d.code.id == crate::diagnostics::codes::E0202.id
            && let Some(name) = d
                .message
                .strip_prefix("missing required property `")
                .and_then(|m| m.split('`').next())
        {
            missing
                .entry(span.start)
                .or_default()
                .push(name.to_string());
        }
    }
    let ast = &program.modules[program.entry.0 as usize];
    for item in super::query::all_items(&ast.items) {
        let ItemKind::Resource(r) = &item.kind else {
            continue;
        };
        let Some(names) = missing.get(&r.name.span.start) else {
            continue;
        };
        let Some(schema) = program.schema_of(program.entry, r) else {
            continue;
        };
        let schema = &program.schemas[schema.0 as usize];
        let close = r.body.span.end as usize - 1;
        let line_start = source[..r.body.span.start as usize]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let indent: String = source[line_start..]
            .chars()
            .take_while(|c| *c == ' ')
            .collect();
        let mut insert = String::new();
        if !source[..close].ends_with('\n') {
            insert.push('\n');
        }
        for name in names {
            let value = schema
                .inputs
                .get(name)
                .map_or("null".into(), |f| placeholder(&f.ty));
            insert.push_str(&format!("{indent}  {name} = {value}\n"));
        }
        // Before the `}`, at the start of its line.
        let at = source[..close].rfind('\n').map_or(close, |i| i + 1);
        let at = if source[at..close].trim().is_empty() {
            at
        } else {
            close
        };
        out.push(CodeAction {
            title: format!(
                "Add the missing required propert{} of `{}`",
                if names.len() == 1 { "y" } else { "ies" },
                r.name.name
            ),
            kind: Some(CodeActionKind::QUICKFIX),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(
                    url.clone(),
                    vec![TextEdit::new(text::range(source, at, at), insert)],
                )])),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    out
}
