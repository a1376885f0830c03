//! What is at a position of a checked module, read from the compiler's own
//! `Names` and `Program`: hover, definitions, references and renames.

use lsp_types::{Hover, HoverContents, Location, MarkupContent, MarkupKind, TextEdit, Url};

use super::analysis::Analysis;
use super::text;
use crate::sema::check::{ModuleId, Program, ValueStage};
use crate::sema::names::{Decl, DeclId, DeclKind, Place};
use crate::sema::schema::{Field, SchemaKind};
use crate::sema::ty::{self, SchemaId, Ty};
use crate::source::Span;
use crate::syntax::ast::*;

/// What a position names.
pub enum Hit<'a> {
    /// A resource's type.
    ResourceType { resource: &'a Resource },
    /// A property set in a resource's body.
    Property { schema: SchemaId, key: &'a Key },
    /// An attribute read from a resource, `x.attr`.
    Attribute { schema: SchemaId, ident: &'a Ident },
    /// The path of an import.
    ImportPath { import: &'a Import },
}

/// Every item of a file: its own, and those of its components and
/// `target` blocks.
pub fn all_items(items: &[Item]) -> Vec<&Item> {
    let mut out = Vec::new();
    for item in items {
        out.push(item);
        match &item.kind {
            ItemKind::Component(c) => out.extend(all_items(&c.items)),
            ItemKind::Target(t) => out.extend(all_items(&t.items)),
            _ => {}
        }
    }
    out
}

/// Calls `f` on `expr` and every expression inside it.
pub fn visit_expr<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Str(s) => visit_string(s, f),
        ExprKind::List(items) => items.iter().for_each(|e| visit_expr(e, f)),
        ExprKind::Object(props) => props.iter().for_each(|p| visit_expr(&p.value, f)),
        ExprKind::Member(base, _) => visit_expr(base, f),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
            visit_expr(a, f);
            visit_expr(b, f);
        }
        ExprKind::Call(callee, args) => {
            visit_expr(callee, f);
            args.iter().for_each(|e| visit_expr(e, f));
        }
        ExprKind::Unary(_, e) | ExprKind::Paren(e) => visit_expr(e, f),
        ExprKind::Conditional(a, b, c) => {
            visit_expr(a, f);
            visit_expr(b, f);
            visit_expr(c, f);
        }
        ExprKind::ListComp(c) => visit_comprehension(c, f),
        ExprKind::ObjectComp(c, value) => {
            visit_comprehension(c, f);
            visit_expr(value, f);
        }
        _ => {}
    }
}

fn visit_string<'a>(s: &'a StringLit, f: &mut dyn FnMut(&'a Expr)) {
    for part in &s.parts {
        if let StrPart::Interp(e) = part {
            visit_expr(e, f);
        }
    }
}

fn visit_comprehension<'a>(c: &'a Comprehension, f: &mut dyn FnMut(&'a Expr)) {
    visit_expr(&c.iterable, f);
    if let Some(filter) = &c.filter {
        visit_expr(filter, f);
    }
    visit_expr(&c.body, f);
}

/// The expressions an item holds directly (not those of a component's
/// items).
fn block_exprs(b: Option<&Block>) -> Vec<&Expr> {
    b.map(|b| b.properties.iter().map(|p| &p.value).collect())
        .unwrap_or_default()
}

pub fn item_exprs(item: &Item) -> Vec<&Expr> {
    let block = block_exprs;
    match &item.kind {
        ItemKind::Param(p) => {
            let mut out: Vec<&Expr> = p.default.iter().collect();
            out.extend(block(p.options.as_ref()));
            out
        }
        ItemKind::Let(l) => vec![&l.value],
        ItemKind::Resource(r) => {
            let mut out = Vec::new();
            if let Some(g) = &r.for_guard {
                out.push(&g.iterable);
                out.extend(g.key.as_deref());
            }
            out.extend(r.if_guard.as_ref());
            out.extend(block(Some(&r.body)));
            out
        }
        ItemKind::Output(o) => {
            let mut out: Vec<&Expr> = o.value.iter().collect();
            out.extend(block(o.options.as_ref()));
            out
        }
        ItemKind::Unsupported(u) => u.condition.iter().collect(),
        _ => Vec::new(),
    }
}

fn contains(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

/// What is at `offset` in `module`.
pub fn hit_at<'a>(program: &'a Program, module: ModuleId, offset: usize) -> Option<Hit<'a>> {
    let ast = program.modules.get(module.0 as usize)?;
    // A name: the declaration of the name that starts at the word.
    for item in all_items(&ast.items) {
        if !contains(item.span, offset) {
            continue;
        }
        if let ItemKind::Import(import) = &item.kind
            && contains(import.path.span, offset)
        {
            return Some(Hit::ImportPath { import });
        }
        if let ItemKind::Resource(r) = &item.kind {
            if let ResourceType::Path(p) = &r.ty
                && contains(p.span, offset)
            {
                return Some(Hit::ResourceType { resource: r });
            }
            if let ResourceType::Raw(s) = &r.ty
                && contains(s.span, offset)
            {
                return Some(Hit::ResourceType { resource: r });
            }
            if let Some(schema) = program.schema_of(module, r) {
                for p in &r.body.properties {
                    if contains(p.key.span, offset) {
                        return Some(Hit::Property {
                            schema,
                            key: &p.key,
                        });
                    }
                }
            }
        }
        let mut found = None;
        for expr in item_exprs(item) {
            visit_expr(expr, &mut |e| {
                if let ExprKind::Member(base, ident) = &e.kind
                    && contains(ident.span, offset)
                    && let Some(schema) = resource_schema(program.types.get(&base.span))
                {
                    found = Some(Hit::Attribute { schema, ident });
                }
            });
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The schema of a value that is a resource, or a list or map of them.
fn resource_schema(ty: Option<&Ty>) -> Option<SchemaId> {
    match ty? {
        Ty::Resource(id) => Some(*id),
        Ty::List(of) | Ty::Map(of) | Ty::Optional(of) => resource_schema(Some(of)),
        _ => None,
    }
}

/// The name at `offset` with its declaration, from the module's `Names`.
pub fn name_at(
    program: &Program,
    module: ModuleId,
    text: &str,
    offset: usize,
) -> Option<(Span, DeclId)> {
    let (start, end) = text::word_at(text, offset)?;
    let names = program.names.get(module.0 as usize)?;
    let decl = names.at(start as u32)?;
    let file = program.modules[module.0 as usize].span.file;
    Some((Span::new(file, start, end), decl))
}

/// The item that declares `decl`.
pub fn decl_item<'a>(ast: &'a SourceFile, decl: &Decl) -> Option<&'a Item> {
    let items_of_component = |c: u32| -> Option<&'a [Item]> {
        match &ast.items.get(c as usize)?.kind {
            ItemKind::Component(c) => Some(&c.items),
            _ => None,
        }
    };
    match decl.place {
        Place::File(i) => ast.items.get(i as usize),
        Place::Component { component, item } => items_of_component(component)?.get(item as usize),
        Place::Target {
            component,
            block,
            item,
        } => {
            let items = match component {
                Some(c) => items_of_component(c)?,
                None => &ast.items,
            };
            match &items.get(block as usize)?.kind {
                ItemKind::Target(t) => t.items.get(item as usize),
                _ => None,
            }
        }
        Place::Loop => None,
    }
}

fn stage_words(stage: ValueStage) -> &'static str {
    match stage {
        ValueStage::Compile => "compile time",
        ValueStage::Instance => "when the component is instantiated",
        ValueStage::Context => "deploy time, from the deployment's context",
        ValueStage::Deploy => "deploy time",
    }
}

pub fn show_type(program: &Program, ty: &Ty) -> String {
    ty::display(ty, &|id| {
        program
            .schemas
            .get(id.0 as usize)
            .map_or_else(|| "resource".into(), |s| s.name.clone())
    })
}

fn source_text(analysis: &Analysis, span: Span) -> String {
    analysis
        .file_text(span.file)
        .get(span.range())
        .unwrap_or_default()
        .to_string()
}

/// The doc comment of the declaration whose name is at `span`, wherever
/// in the program it is: a component's param or output, a native schema's
/// property or attribute, an item.
pub fn doc_of_name(program: &Program, span: Span) -> Option<&str> {
    let ast = program.modules.iter().find(|m| m.span.file == span.file)?;
    for item in all_items(&ast.items) {
        let name = match &item.kind {
            ItemKind::Param(p) => Some(p.name.span),
            ItemKind::Let(l) => Some(l.name.span),
            ItemKind::Resource(r) => Some(r.name.span),
            ItemKind::Output(o) => Some(o.name.span),
            ItemKind::Component(c) => Some(c.name.span),
            ItemKind::TypeAlias(t) => Some(t.name.span),
            ItemKind::Native(n) => {
                for member in &n.members {
                    if let MemberKind::Property(f) | MemberKind::Attribute(f) = &member.kind
                        && f.name.span == span
                    {
                        return member.doc.as_deref();
                    }
                }
                Some(n.type_name.span)
            }
            _ => None,
        };
        if name == Some(span) {
            return item.doc.as_deref();
        }
    }
    None
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

fn field_text(
    program: &Program,
    schema: SchemaId,
    name: &str,
    field: &Field,
    attribute: bool,
) -> String {
    let s = &program.schemas[schema.0 as usize];
    let mut out = format!(
        "```infra\n{name}: {}\n```\n{} of `{}`{}\n",
        show_type(program, &field.ty),
        if attribute { "attribute" } else { "property" },
        s.name,
        if attribute {
            ""
        } else if field.required {
            ", required"
        } else {
            ", optional"
        }
    );
    if let Some(c) = s.constraints.get(name) {
        let mut parts = Vec::new();
        if let Some(m) = &c.min {
            parts.push(format!("min {}", m.value));
        }
        if let Some(m) = &c.max {
            parts.push(format!("max {}", m.value));
        }
        if let Some(m) = &c.min_length {
            parts.push(format!("min length {}", m.value));
        }
        if let Some(m) = &c.max_length {
            parts.push(format!("max length {}", m.value));
        }
        if let Some(p) = &c.pattern {
            parts.push(format!("pattern `{}`", p.value.source));
        }
        if let Some(a) = &c.allowed {
            let shown: Vec<String> = a.value.iter().map(|v| v.to_string()).collect();
            parts.push(format!("one of {}", shown.join(", ")));
        }
        if !parts.is_empty() {
            out.push_str(&format!("\nconstraints: {}\n", parts.join("; ")));
        }
    }
    if let Some(doc) = doc_of_name(program, field.span) {
        out.push('\n');
        out.push_str(doc);
        out.push('\n');
    }
    out
}

/// The hover of `offset` in the entry module.
pub fn hover(analysis: &Analysis, module: ModuleId, offset: usize) -> Option<Hover> {
    let program = analysis.program()?;
    let ast = analysis.module_ast(module)?;
    let text = analysis.file_text(ast.span.file);
    if let Some((span, decl_id)) = name_at(program, module, text, offset) {
        let names = &program.names[module.0 as usize];
        let decl = names.decl(decl_id);
        let item = decl_item(ast, decl);
        let name = &text[span.range()];
        let mut out = String::new();
        let declared = match item.map(|i| &i.kind) {
            Some(ItemKind::Param(p)) => {
                let ty = p.ty.as_ref().map(|t| source_text(analysis, t.span));
                let default = p.default.as_ref().map(|d| source_text(analysis, d.span));
                format!(
                    "param {name}{}{}",
                    ty.map(|t| format!(": {t}")).unwrap_or_default(),
                    default.map(|d| format!(" = {d}")).unwrap_or_default()
                )
            }
            Some(ItemKind::Let(l)) => {
                let ty = program
                    .types
                    .get(&l.value.span)
                    .map(|t| show_type(program, t))
                    .or_else(|| l.ty.as_ref().map(|t| source_text(analysis, t.span)));
                format!(
                    "let {name}{}",
                    ty.map(|t| format!(": {t}")).unwrap_or_default()
                )
            }
            Some(ItemKind::Resource(r)) => {
                format!(
                    "resource {name}: {}",
                    source_text(analysis, resource_type_span(r))
                )
            }
            Some(ItemKind::Component(_)) => format!("component {name}"),
            Some(ItemKind::Import(i)) => {
                format!("import {} as {name}", source_text(analysis, i.path.span))
            }
            _ => format!("{} {name}", decl.kind.describe()),
        };
        out.push_str(&format!("```infra\n{declared}\n```\n"));
        let use_type = program.types.get(&span);
        if decl.span != span
            && let Some(ty) = use_type
        {
            out.push_str(&format!("\ntype: `{}`", show_type(program, ty)));
        }
        let stage = program
            .stages
            .get(&span)
            .copied()
            .or_else(|| match item.map(|i| &i.kind) {
                Some(ItemKind::Let(l)) => program.stages.get(&l.value.span).copied(),
                Some(ItemKind::Param(_)) => Some(match program.params.get(name) {
                    Some(info) if info.value.is_some() => ValueStage::Compile,
                    _ if matches!(decl.place, Place::Component { .. }) => ValueStage::Instance,
                    _ => ValueStage::Deploy,
                }),
                _ => None,
            });
        if let Some(stage) = stage {
            out.push_str(&format!("\nknown at {}\n", stage_words(stage)));
        }
        if let Some(doc) = item.and_then(|i| i.doc.as_deref()) {
            out.push('\n');
            out.push_str(doc);
            out.push('\n');
        }
        return Some(markdown(out));
    }
    match hit_at(program, module, offset)? {
        Hit::ResourceType { resource } => {
            let schema = program.schema_of(module, resource)?;
            let s = &program.schemas[schema.0 as usize];
            let from_stdlib = analysis.db()?.get(s.span.file).path.is_none();
            if from_stdlib && let Ok(page) = crate::doc::page(&s.name) {
                return Some(markdown(format!("```text\n{page}```\n")));
            }
            let mut out = format!("```infra\n{}\n```\n", s.name);
            if let Some(doc) = doc_of_name(program, s.span) {
                out.push_str(&format!("\n{doc}\n"));
            }
            for (title, fields) in [("params", &s.inputs), ("outputs", &s.outputs)] {
                if fields.is_empty() {
                    continue;
                }
                out.push_str(&format!("\n{title}:\n"));
                for (name, field) in fields {
                    out.push_str(&format!(
                        "- `{name}: {}`{}\n",
                        show_type(program, &field.ty),
                        if field.required { " (required)" } else { "" }
                    ));
                }
            }
            Some(markdown(out))
        }
        Hit::Property { schema, key } => {
            let s = &program.schemas[schema.0 as usize];
            let field = s.inputs.get(&key.name)?;
            Some(markdown(field_text(
                program, schema, &key.name, field, false,
            )))
        }
        Hit::Attribute { schema, ident } => {
            let s = &program.schemas[schema.0 as usize];
            let field = s.outputs.get(&ident.name)?;
            Some(markdown(field_text(
                program,
                schema,
                &ident.name,
                field,
                true,
            )))
        }
        Hit::ImportPath { import } => Some(markdown(format!(
            "imports {} as `{}`",
            source_text(analysis, import.path.span),
            import.alias.name
        ))),
    }
}

pub fn resource_type_span(r: &Resource) -> Span {
    match &r.ty {
        ResourceType::Path(p) => p.span,
        ResourceType::Raw(s) => s.span,
    }
}

/// The file an import names, as the loader found it.
fn imported_module(
    program: &Program,
    module: ModuleId,
    analysis: &Analysis,
    import: &Import,
) -> Option<ModuleId> {
    let db = analysis.db()?;
    let from = db
        .get(program.modules[module.0 as usize].span.file)
        .path
        .clone()?;
    let relative = import.path.as_plain()?;
    let joined = from.parent()?.join(relative);
    let canonical = joined.canonicalize().ok()?;
    analysis.module_at(&canonical)
}

/// Where what is at `offset` is declared.
pub fn definition(analysis: &Analysis, module: ModuleId, offset: usize) -> Option<Location> {
    let program = analysis.program()?;
    let ast = analysis.module_ast(module)?;
    let text = analysis.file_text(ast.span.file);
    if let Some((_, decl_id)) = name_at(program, module, text, offset) {
        let decl = program.names[module.0 as usize].decl(decl_id);
        if decl.kind == DeclKind::Import
            && let Some(ItemKind::Import(import)) = decl_item(ast, decl).map(|i| &i.kind)
            && let Some(target) = imported_module(program, module, analysis, import)
        {
            let file = analysis.file_of(target)?;
            return analysis.location(Span::new(file, 0, 0));
        }
        return analysis.location(decl.span);
    }
    match hit_at(program, module, offset)? {
        Hit::ResourceType { resource } => {
            let schema = program.schema_of(module, resource)?;
            analysis.location(program.schemas[schema.0 as usize].span)
        }
        Hit::Property { schema, key } => analysis.location(
            program.schemas[schema.0 as usize]
                .inputs
                .get(&key.name)?
                .span,
        ),
        Hit::Attribute { schema, ident } => analysis.location(
            program.schemas[schema.0 as usize]
                .outputs
                .get(&ident.name)?
                .span,
        ),
        Hit::ImportPath { import } => {
            let target = imported_module(program, module, analysis, import)?;
            analysis.location(Span::new(analysis.file_of(target)?, 0, 0))
        }
    }
}

/// A declaration, named so that any analysis that read its file finds it:
/// the file's path and the start of its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub url: Url,
    pub start: u32,
    pub name: String,
    pub kind: DeclKind,
}

/// The declaration at `offset` of the entry module, for references and
/// renames: a name's, or the component of a resource's type.
pub fn symbol_at(analysis: &Analysis, module: ModuleId, offset: usize) -> Option<Symbol> {
    let program = analysis.program()?;
    let ast = analysis.module_ast(module)?;
    let text = analysis.file_text(ast.span.file);
    let (span, kind) = match name_at(program, module, text, offset) {
        Some((_, id)) => {
            let decl = program.names[module.0 as usize].decl(id);
            (decl.span, decl.kind)
        }
        None => match hit_at(program, module, offset)? {
            Hit::ResourceType { resource } => {
                let schema = &program.schemas[program.schema_of(module, resource)?.0 as usize];
                if !matches!(schema.kind, SchemaKind::Component { .. }) {
                    return None;
                }
                (schema.span, DeclKind::Component)
            }
            Hit::Property { schema, key } => {
                let s = &program.schemas[schema.0 as usize];
                if !matches!(s.kind, SchemaKind::Component { .. }) {
                    return None;
                }
                (s.inputs.get(&key.name)?.span, DeclKind::Param)
            }
            _ => return None,
        },
    };
    let db = analysis.db()?;
    let source = db.get(span.file);
    // The stdlib is read-only.
    let path = source.path.as_ref()?;
    Some(Symbol {
        url: Url::from_file_path(path).ok()?,
        start: span.start,
        name: source.text.get(span.range())?.to_string(),
        kind,
    })
}

/// Every place `symbol` is written in the program of `analysis`: its
/// declaration, its uses, and for a component's param or a component the
/// instances' property keys and types, in any module.
pub fn occurrences(analysis: &Analysis, symbol: &Symbol) -> Vec<Span> {
    let mut out = Vec::new();
    let (Some(program), Some(db)) = (analysis.program(), analysis.db()) else {
        return out;
    };
    let Ok(path) = symbol.url.to_file_path() else {
        return out;
    };
    let Some(module) = analysis.module_at(&path) else {
        return out;
    };
    let names = &program.names[module.0 as usize];
    let file = program.modules[module.0 as usize].span.file;
    let len = symbol.name.len();
    let Some(decl) = names.at(symbol.start) else {
        return out;
    };
    if names.decl(decl).kind != symbol.kind {
        return out;
    }
    for (start, id) in names.references() {
        if id == decl {
            out.push(Span::new(file, start as usize, start as usize + len));
        }
    }
    // The component this declaration is, or whose param it is.
    let d = names.decl(decl);
    let component = match (d.kind, d.place) {
        (DeclKind::Component, Place::File(i)) => Some((i as usize, None)),
        (DeclKind::Param, Place::Component { component, .. }) => {
            Some((component as usize, Some(symbol.name.as_str())))
        }
        _ => None,
    };
    if let Some((index, param)) = component {
        let schema = program.schemas.iter().position(|s| {
            matches!(s.kind, SchemaKind::Component { module: m, index: i } if m == module && i == index)
        });
        if let Some(schema) = schema {
            for (m, ast) in program.modules.iter().enumerate() {
                let m = ModuleId(m as u32);
                if db.get(ast.span.file).path.is_none() {
                    continue;
                }
                for item in all_items(&ast.items) {
                    let ItemKind::Resource(r) = &item.kind else {
                        continue;
                    };
                    if program.schema_of(m, r).map(|s| s.0 as usize) != Some(schema) {
                        continue;
                    }
                    match param {
                        None => {
                            if let ResourceType::Path(p) = &r.ty
                                && let Some(last) = p.segments.last()
                            {
                                out.push(last.span);
                            }
                        }
                        Some(param) => {
                            for p in &r.body.properties {
                                if p.key.name == param && !p.key.quoted {
                                    out.push(p.key.span);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The edits of a rename in the file of `span`'s resource declaration:
/// `renamed_from = "OLD"` added to its body, so that what is deployed under
/// the old name is kept, not replaced (unless it says one already).
pub fn renamed_from_edit(analysis: &Analysis, symbol: &Symbol) -> Option<(Url, TextEdit)> {
    if symbol.kind != DeclKind::Resource {
        return None;
    }
    let program = analysis.program()?;
    let path = symbol.url.to_file_path().ok()?;
    let module = analysis.module_at(&path)?;
    let ast = &program.modules[module.0 as usize];
    let resource = all_items(&ast.items)
        .into_iter()
        .find_map(|i| match &i.kind {
            ItemKind::Resource(r) if r.name.span.start == symbol.start => Some(r),
            _ => None,
        })?;
    if resource
        .body
        .properties
        .iter()
        .any(|p| p.key.name == "renamed_from")
    {
        return None;
    }
    let text = analysis.file_text(ast.span.file);
    let open = resource.body.span.start as usize;
    let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let inner = match resource.body.properties.first() {
        Some(p) => {
            let at = p.span.start as usize;
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            text[start..at].to_string()
        }
        None => format!("{indent}  "),
    };
    let closed_on_line = !text[open + 1..resource.body.span.end as usize].contains('\n');
    let insert = if closed_on_line {
        format!("\n{inner}renamed_from = \"{}\"\n{indent}", symbol.name)
    } else {
        format!("\n{inner}renamed_from = \"{}\"", symbol.name)
    };
    let at = text::position(text, open + 1);
    Some((
        symbol.url.clone(),
        TextEdit::new(lsp_types::Range::new(at, at), insert),
    ))
}
