//! Completion: what may be written at the cursor, from the text around it
//! (the line being typed need not parse) and the last analysis of the
//! document that did.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind,
};

use super::analysis::Analysis;
use super::query::{all_items, doc_of_name, show_type};
use super::text;
use crate::sema::check::{ModuleId, Program};
use crate::sema::names::{DeclKind, Place};
use crate::sema::schema::Schema;
use crate::sema::ty::Ty;
use crate::syntax::ast::ItemKind;

/// What a completion request needs: the document's text and cursor, and
/// the analysis to read names and types from (the current one, or the last
/// that parsed), with the entry module.
pub struct Context<'a> {
    pub text: &'a str,
    pub offset: usize,
    pub analysis: Option<&'a Analysis>,
    /// The targets the workspace sets, or none for all.
    pub targets: &'a [crate::ir::Target],
    /// A schema for a type the analysis does not use yet (checks a small
    /// program declaring one).
    pub schema_of_type: &'a dyn Fn(&str) -> Option<(Analysis, usize)>,
}

const DECLARATIONS: &[(&str, &str, &str)] = &[
    (
        "resource",
        "resource ${1:name}: ${2:Type} {\n\t$0\n}",
        "a resource",
    ),
    (
        "existing",
        "existing ${1:name}: ${2:Type} {\n\tid = $0\n}",
        "a resource the program reads but does not manage",
    ),
    (
        "param",
        "param ${1:name}: ${2:string}$0",
        "a value given when the program is built or deployed",
    ),
    ("let", "let ${1:name} = $0", "a named value"),
    (
        "output",
        "output ${1:name} = $0",
        "a value the deployment reports",
    ),
    (
        "import",
        "import \"./${1:file}.infra\" as ${2:name}",
        "another file's components and types",
    ),
    (
        "component",
        "component ${1:Name} {\n\t$0\n}",
        "a type made of resources",
    ),
    ("type", "type ${1:Name} = $0", "a type alias"),
    (
        "native",
        "native \"${1:Type}\" on ${2:target} {\n\t$0\n}",
        "a native type's schema",
    ),
];

const META: &[(&str, &str)] = &[
    ("depends_on", "dependencies that no reference shows"),
    (
        "deletion",
        "\"delete\", \"retain\" or \"snapshot\": what happens when it is deleted or replaced",
    ),
    (
        "renamed_from",
        "the earlier name: what was deployed under it is kept",
    ),
];

fn item(label: impl Into<String>, kind: CompletionItemKind) -> CompletionItem {
    CompletionItem {
        label: label.into(),
        kind: Some(kind),
        ..Default::default()
    }
}

fn docs(text: &str) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value: text.to_string(),
    })
}

pub fn complete(cx: &Context) -> CompletionList {
    let mut items = Vec::new();
    let mut incomplete = false;
    let line_start = cx.text[..cx.offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &cx.text[line_start..cx.offset];
    let module = cx
        .analysis
        .and_then(|a| a.program().map(|p| (a, p, p.entry)));

    // A type after `resource NAME:`.
    if let Some(typed) = type_position(before) {
        types(cx, module, typed, &mut items, &mut incomplete);
        // The whole type typed so far is replaced: it holds `.` and `::`,
        // which end a word for most clients.
        let range = text::range(cx.text, cx.offset - typed.len(), cx.offset);
        for item in &mut items {
            item.filter_text = Some(item.label.clone());
            item.text_edit = Some(lsp_types::CompletionTextEdit::Edit(
                lsp_types::TextEdit::new(range, item.label.clone()),
            ));
        }
        return CompletionList {
            is_incomplete: incomplete,
            items,
        };
    }
    // After `.`: attributes, or what a namespace or an import holds.
    if let Some(base) = member_base(before) {
        if let Some((analysis, program, entry)) = module {
            members(analysis, program, entry, base, &mut items);
        }
        namespace_members(base, &mut items);
        return CompletionList {
            is_incomplete: false,
            items,
        };
    }
    let braces = text::open_braces(cx.text, cx.offset);
    let in_value = before.contains('=');
    if let Some(&outer) = braces.first()
        && let Some((name, ty)) = resource_header(cx.text, outer)
    {
        let schema = resource_schema(cx, module, &name, &ty);
        let found = schema.as_ref().and_then(Found::get);
        if braces.len() == 1 && !in_value {
            if let Some((program, schema)) = found {
                properties(program, schema, cx.text, outer, &mut items);
            }
            return CompletionList {
                is_incomplete: false,
                items,
            };
        }
        if braces.len() == 1
            && let Some((_, schema)) = found
            && let Some(key) = before.split('=').next().map(str::trim)
            && let Some(field) = schema.inputs.get(key)
        {
            enum_values(&field.ty, &mut items);
        }
    }
    if braces.is_empty() && !in_value {
        for (label, snippet, detail) in DECLARATIONS {
            items.push(CompletionItem {
                insert_text: Some(snippet.to_string()),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                detail: Some(detail.to_string()),
                ..item(*label, CompletionItemKind::KEYWORD)
            });
        }
        return CompletionList {
            is_incomplete: false,
            items,
        };
    }
    // A value: the names in scope and the literals.
    if let Some((analysis, program, entry)) = module {
        names(analysis, program, entry, &mut items);
    }
    for word in ["true", "false", "null"] {
        items.push(item(word, CompletionItemKind::KEYWORD));
    }
    CompletionList {
        is_incomplete: false,
        items,
    }
}

/// The type typed so far after `resource NAME:` (or `existing NAME:`), when
/// the cursor is there.
fn type_position(before: &str) -> Option<&str> {
    let before = before.trim_start();
    let rest = (before.strip_prefix("resource")).or_else(|| before.strip_prefix("existing"))?;
    let (name, ty) = rest.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(text::is_name_char) {
        return None;
    }
    let ty = ty.trim_start();
    ty.chars()
        .all(|c| text::is_name_char(c) || c == '.' || c == ':')
        .then_some(ty)
}

/// The name before `.` (with an index skipped: `subnet[0].`), when the
/// cursor is after one.
fn member_base(before: &str) -> Option<&str> {
    let typed = before.trim_end_matches(text::is_name_char);
    let mut head = typed.strip_suffix('.')?;
    if let Some(open) = head.strip_suffix(']').and_then(|h| h.rfind('[')) {
        head = &head[..open];
    }
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| text::is_name_char(*c))
        .last()
        .map(|(i, _)| i)?;
    let base = &head[start..];
    let before_base = &head[..start];
    // `a.b.` is not a resource's attribute: only a plain name is completed.
    (!before_base.ends_with('.')).then_some(base)
}

fn types(
    cx: &Context,
    module: Option<(&Analysis, &Program, ModuleId)>,
    typed: &str,
    items: &mut Vec<CompletionItem>,
    incomplete: &mut bool,
) {
    // What is typed is matched anywhere in a portable type or component
    // (`Serv` finds `compute.Server`); the client filters further.
    let typed_lower = typed.to_lowercase();
    let matches = |name: &str| name.to_lowercase().contains(&typed_lower);
    for name in portable_types().into_iter().filter(|n| matches(n)) {
        items.push(CompletionItem {
            detail: Some("portable type".into()),
            ..item(name, CompletionItemKind::CLASS)
        });
    }
    if let Some((analysis, program, entry)) = module {
        let text = analysis.file_text(program.modules[entry.0 as usize].span.file);
        for decl in &program.names[entry.0 as usize].decls {
            if decl.kind == DeclKind::Component
                && matches!(decl.place, Place::File(_))
                && let Some(name) = text.get(decl.span.range())
                && matches(name)
            {
                items.push(CompletionItem {
                    detail: Some("component".into()),
                    ..item(name, CompletionItemKind::CLASS)
                });
            }
        }
    }
    // The components of each import, `alias.Name`.
    if let Some((analysis, program, entry)) = module {
        let text = analysis.file_text(program.modules[entry.0 as usize].span.file);
        for decl in &program.names[entry.0 as usize].decls {
            if decl.kind != DeclKind::Import {
                continue;
            }
            let Some(alias) = text.get(decl.span.range()) else {
                continue;
            };
            for (name, kind, doc) in imported(analysis, program, entry, decl) {
                let full = format!("{alias}.{name}");
                if kind == CompletionItemKind::CLASS && matches(&full) {
                    items.push(CompletionItem {
                        detail: Some("component".into()),
                        documentation: doc.map(docs),
                        ..item(full, kind)
                    });
                }
            }
        }
    }
    // Native types are many: those of the program's targets that start
    // with what is typed, the first few hundred.
    let wanted: Vec<&str> = if cx.targets.is_empty() {
        vec![
            "cloudformation",
            "heat",
            "terraform-aws",
            "terraform-openstack",
            "terraform",
        ]
    } else {
        let mut v: Vec<&str> = cx.targets.iter().map(|t| t.name()).collect();
        if v.iter().any(|t| t.starts_with("terraform")) {
            v.push("terraform");
        }
        v
    };
    let mut natives = 0;
    for name in crate::stdlib::native_types() {
        if !name.starts_with(typed) {
            continue;
        }
        let Some(vocabulary) = crate::target::vocabulary_of(name) else {
            continue;
        };
        if !wanted.contains(&vocabulary) {
            continue;
        }
        natives += 1;
        if natives > 300 {
            *incomplete = true;
            break;
        }
        items.push(CompletionItem {
            detail: Some(format!("native type ({vocabulary})")),
            ..item(name, CompletionItemKind::STRUCT)
        });
    }
}

thread_local! {
    static PORTABLE: Vec<String> = crate::doc::portable_names();
}

fn portable_types() -> Vec<String> {
    PORTABLE.with(Clone::clone)
}

fn namespace_members(base: &str, items: &mut Vec<CompletionItem>) {
    for name in portable_types() {
        if let Some(member) = name.strip_prefix(base).and_then(|n| n.strip_prefix('.')) {
            items.push(CompletionItem {
                detail: Some(format!("portable type {name}")),
                ..item(member, CompletionItemKind::CLASS)
            });
        }
    }
}

/// The entry module's declaration named `name`, any kind.
fn decl_named<'p>(
    analysis: &Analysis,
    program: &'p Program,
    module: ModuleId,
    name: &str,
) -> Option<&'p crate::sema::names::Decl> {
    let text = analysis.file_text(program.modules[module.0 as usize].span.file);
    program.names[module.0 as usize]
        .decls
        .iter()
        .find(|d| text.get(d.span.range()) == Some(name))
}

fn members(
    analysis: &Analysis,
    program: &Program,
    module: ModuleId,
    base: &str,
    items: &mut Vec<CompletionItem>,
) {
    let Some(decl) = decl_named(analysis, program, module, base) else {
        return;
    };
    let ast = &program.modules[module.0 as usize];
    match decl.kind {
        DeclKind::Resource => {
            let resource = all_items(&ast.items)
                .into_iter()
                .find_map(|i| match &i.kind {
                    ItemKind::Resource(r) if r.name.span == decl.span => Some(r),
                    _ => None,
                });
            let Some(schema) = resource.and_then(|r| program.schema_of(module, r)) else {
                return;
            };
            for (name, field) in &program.schemas[schema.0 as usize].outputs {
                items.push(CompletionItem {
                    detail: Some(show_type(program, &field.ty)),
                    documentation: doc_of_name(program, field.span).map(docs),
                    ..item(name.clone(), CompletionItemKind::FIELD)
                });
            }
        }
        DeclKind::Import => {
            for (name, kind, doc) in imported(analysis, program, module, decl) {
                items.push(CompletionItem {
                    documentation: doc.map(docs),
                    ..item(name, kind)
                });
            }
        }
        _ => {}
    }
}

/// The components and type aliases of the file an import names.
fn imported<'p>(
    analysis: &Analysis,
    program: &'p Program,
    module: ModuleId,
    decl: &crate::sema::names::Decl,
) -> Vec<(&'p str, CompletionItemKind, Option<&'p str>)> {
    let ast = &program.modules[module.0 as usize];
    let Some(ItemKind::Import(import)) = super::query::decl_item(ast, decl).map(|i| &i.kind) else {
        return Vec::new();
    };
    let path = (analysis.db())
        .and_then(|db| db.get(ast.span.file).path.clone())
        .and_then(|p| {
            p.parent()?
                .join(import.path.as_plain()?)
                .canonicalize()
                .ok()
        });
    let Some(target) = path.and_then(|p| analysis.module_at(&p)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &program.modules[target.0 as usize].items {
        match &item.kind {
            ItemKind::Component(c) => out.push((
                c.name.name.as_str(),
                CompletionItemKind::CLASS,
                item.doc.as_deref(),
            )),
            ItemKind::TypeAlias(t) => out.push((
                t.name.name.as_str(),
                CompletionItemKind::TYPE_PARAMETER,
                item.doc.as_deref(),
            )),
            _ => {}
        }
    }
    out
}

/// `resource NAME: TYPE` (or `existing NAME: TYPE`) before the block
/// opened at `open`.
fn resource_header(text: &str, open: usize) -> Option<(String, String)> {
    let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
    let header = text[line_start..open].trim();
    let rest = (header.strip_prefix("resource")).or_else(|| header.strip_prefix("existing"))?;
    let (name, rest) = rest.split_once(':')?;
    let ty: String = rest
        .trim_start()
        .chars()
        .take_while(|c| text::is_name_char(*c) || matches!(c, '.' | ':' | '"'))
        .collect();
    Some((name.trim().to_string(), ty.trim_matches('"').to_string()))
}

/// A resource type's schema: in the document's analysis, or in a small
/// program made to check it.
enum Found<'a> {
    InAnalysis(&'a Program, usize),
    Made(Box<Analysis>, usize),
}

impl Found<'_> {
    fn get(&self) -> Option<(&Program, &Schema)> {
        let (program, index) = match self {
            Found::InAnalysis(p, i) => (*p, *i),
            Found::Made(a, i) => (a.program()?, *i),
        };
        Some((program, program.schemas.get(index)?))
    }
}

/// The schema of the resource declared as `name: ty`: from the analysis
/// when it declares it with that type, else from a small program that
/// does.
fn resource_schema<'a>(
    cx: &Context,
    module: Option<(&'a Analysis, &'a Program, ModuleId)>,
    name: &str,
    ty: &str,
) -> Option<Found<'a>> {
    if let Some((analysis, program, entry)) = module
        && let Some(decl) = decl_named(analysis, program, entry, name)
        && decl.kind == DeclKind::Resource
    {
        let ast = &program.modules[entry.0 as usize];
        let resource = all_items(&ast.items)
            .into_iter()
            .find_map(|i| match &i.kind {
                ItemKind::Resource(r) if r.name.span == decl.span => Some(r),
                _ => None,
            });
        let written = analysis.file_text(ast.span.file);
        if let Some(r) = resource
            && let Some(schema) = program.schema_of(entry, r)
            && written
                .get(super::query::resource_type_span(r).range())
                .map(|t| t.trim_matches('"'))
                == Some(ty)
        {
            return Some(Found::InAnalysis(program, schema.0 as usize));
        }
    }
    let (analysis, index) = (cx.schema_of_type)(ty)?;
    Some(Found::Made(Box::new(analysis), index))
}

fn properties(
    program: &Program,
    schema: &Schema,
    text: &str,
    open: usize,
    items: &mut Vec<CompletionItem>,
) {
    let set = text::keys_in_block(text, open);
    for (name, field) in &schema.inputs {
        if set.contains(name) {
            continue;
        }
        items.push(CompletionItem {
            detail: Some(format!(
                "{}{}",
                show_type(program, &field.ty),
                if field.required { " (required)" } else { "" }
            )),
            documentation: doc_of_name(program, field.span).map(docs),
            sort_text: Some(format!("{}{name}", if field.required { 0 } else { 1 })),
            insert_text: Some(format!("{name} = ")),
            ..item(name.clone(), CompletionItemKind::PROPERTY)
        });
    }
    for (name, detail) in META {
        if set.iter().any(|s| s == name) {
            continue;
        }
        items.push(CompletionItem {
            detail: Some(detail.to_string()),
            sort_text: Some(format!("2{name}")),
            insert_text: Some(format!("{name} = ")),
            ..item(*name, CompletionItemKind::PROPERTY)
        });
    }
}

fn enum_values(ty: &Ty, items: &mut Vec<CompletionItem>) {
    match ty {
        Ty::Literal(value) => items.push(CompletionItem {
            insert_text: Some(format!("{value:?}")),
            ..item(format!("{value:?}"), CompletionItemKind::ENUM_MEMBER)
        }),
        Ty::Union(options) => options.iter().for_each(|t| enum_values(t, items)),
        Ty::Optional(t) => enum_values(t, items),
        _ => {}
    }
}

fn names(
    analysis: &Analysis,
    program: &Program,
    module: ModuleId,
    items: &mut Vec<CompletionItem>,
) {
    let text = analysis.file_text(program.modules[module.0 as usize].span.file);
    for decl in &program.names[module.0 as usize].decls {
        let kind = match decl.kind {
            DeclKind::Param => CompletionItemKind::VARIABLE,
            DeclKind::Let => CompletionItemKind::CONSTANT,
            DeclKind::Resource => CompletionItemKind::REFERENCE,
            _ => continue,
        };
        if !matches!(decl.place, Place::File(_)) {
            continue;
        }
        if let Some(name) = text.get(decl.span.range()) {
            items.push(CompletionItem {
                detail: Some(decl.kind.describe().into()),
                ..item(name, kind)
            });
        }
    }
}
