//! Printing declarations: items with their doc comments and the blank
//! lines between them, headers, blocks of properties, native schemas and
//! type annotations.

use crate::syntax::ast::*;

use super::Printer;
use super::exprs::{binding, key};
use super::strings::quote;

impl Printer<'_> {
    pub(super) fn items(&mut self, items: &[Item], close: usize) {
        let mut prev: Option<(&Item, bool)> = None;
        for (i, item) in items.iter().enumerate() {
            let is_error = matches!(item.kind, ItemKind::Error);
            if let Some((prev_item, prev_multiline)) = prev {
                // Text that did not parse keeps the blank lines it had.
                let verbatim = is_error || matches!(prev_item.kind, ItemKind::Error);
                let grouped = verbatim
                    || (same_simple_kind(prev_item, item)
                        && !prev_multiline
                        && !self.item_is_multiline(item));
                let keeps_doc = item.doc.is_some() && self.last_doc;
                if !grouped && !keeps_doc && !self.gap_has_blank(item.span.start as usize) {
                    self.blank_line();
                }
            }
            self.leading(item.span.start as usize, true);
            if !is_error {
                self.doc_guard(item.doc.is_some());
            }
            let mark = self.out.len();
            self.item(item);
            let multiline = self.out[mark..].contains('\n');
            self.ended(self.real_end(item.span));
            let bound = items
                .get(i + 1)
                .map_or(close, |next| next.span.start as usize);
            self.trailing(bound);
            self.newline();
            prev = Some((item, multiline));
        }
        self.leading(close, false);
    }

    /// Whether `item` prints on more than one line, found by printing it.
    fn item_is_multiline(&mut self, item: &Item) -> bool {
        let saved = self.save();
        self.leading(item.span.start as usize, true);
        self.doc_guard(item.doc.is_some());
        let mark = self.out.len();
        self.item(item);
        let multiline = self.out[mark..].contains('\n');
        self.restore(saved);
        multiline
    }

    /// `param` and `output`: `KEYWORD name: type = value { options }`.
    fn declaration(
        &mut self,
        keyword: &str,
        name: &Ident,
        ty: Option<&TypeExpr>,
        value: Option<&Expr>,
        options: Option<&Block>,
    ) {
        self.write(keyword);
        self.write(&name.name);
        self.type_annotation(ty);
        if let Some(value) = value {
            self.write(" = ");
            self.expr(value);
        }
        if let Some(options) = options {
            self.write(" ");
            self.block(options);
        }
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Import(import) => {
                self.write("import ");
                self.string(&import.path);
                self.write(" as ");
                self.write(&import.alias.name);
            }
            ItemKind::Param(param) => self.declaration(
                "param ",
                &param.name,
                param.ty.as_ref(),
                param.default.as_ref(),
                param.options.as_ref(),
            ),
            ItemKind::Let(let_decl) => {
                self.write("let ");
                self.write(&let_decl.name.name);
                self.type_annotation(let_decl.ty.as_ref());
                self.write(" = ");
                self.expr(&let_decl.value);
            }
            ItemKind::Resource(resource) => {
                self.write(if resource.existing {
                    "existing "
                } else {
                    "resource "
                });
                self.write(&resource.name.name);
                self.write(": ");
                match &resource.ty {
                    ResourceType::Path(path) => self.write(&path.text()),
                    ResourceType::Raw(lit) => self.string(lit),
                }
                if let Some(guard) = &resource.for_guard {
                    self.write(" for ");
                    self.write(&binding(&guard.binding));
                    self.write(" in ");
                    self.expr(&guard.iterable);
                    if let Some(key) = &guard.key {
                        self.write(" key ");
                        self.expr(key);
                    }
                }
                if let Some(cond) = &resource.if_guard {
                    self.write(" if ");
                    self.expr(cond);
                }
                self.write(" ");
                self.block(&resource.body);
            }
            ItemKind::Output(output) => self.declaration(
                "output ",
                &output.name,
                output.ty.as_ref(),
                output.value.as_ref(),
                output.options.as_ref(),
            ),
            ItemKind::TypeAlias(alias) => {
                self.write("type ");
                self.write(&alias.name.name);
                self.write(" = ");
                self.write(&type_expr(&alias.ty));
            }
            ItemKind::Component(component) => {
                if let Some(state) = component.state {
                    self.write(state.as_str());
                    self.write(" ");
                }
                self.write("component ");
                self.write(&component.name.name);
                self.write(" ");
                let header_end = component.name.span.end as usize;
                self.nested_items(item, header_end, &component.items);
            }
            ItemKind::Target(target) => {
                self.write("target ");
                self.write(&target.target.name);
                self.write(" ");
                let header_end = target.target.span.end as usize;
                self.nested_items(item, header_end, &target.items);
            }
            ItemKind::Unsupported(unsupported) => {
                self.write("unsupported ");
                self.string(&unsupported.reason);
                if let Some(cond) = &unsupported.condition {
                    self.write(" if ");
                    self.expr(cond);
                }
            }
            ItemKind::Native(native) => {
                if let Some(state) = native.state {
                    self.write(state.as_str());
                    self.write(" ");
                }
                self.write("native ");
                self.string(&native.type_name);
                self.write(" on ");
                self.write(&native.target.name);
                self.write(" ");
                self.native_members(item, native);
            }
            ItemKind::Error => {
                let end = self.real_end(item.span);
                let verbatim = &self.text[item.span.start as usize..end];
                self.write(verbatim);
                while self
                    .comments
                    .get(self.next)
                    .is_some_and(|c| (c.span.start as usize) < end)
                {
                    self.next += 1;
                }
            }
        }
    }

    fn type_annotation(&mut self, ty: Option<&TypeExpr>) {
        if let Some(ty) = ty {
            self.write(": ");
            self.write(&type_expr(ty));
        }
    }

    /// The `{` and `}` offsets of a declaration ending in a braced body.
    fn body_brackets(&self, item: &Item, header_end: usize) -> (usize, usize) {
        let open = self.skip_trivia(header_end);
        let close = self.real_end(item.span).saturating_sub(1).max(open);
        (open, close)
    }

    fn nested_items(&mut self, item: &Item, header_end: usize, items: &[Item]) {
        let (open, close) = self.body_brackets(item, header_end);
        if items.is_empty() && !self.comment_in(open, close) {
            self.write("{}");
            return;
        }
        let first = items.first().map(|i| i.span.start as usize);
        self.open("{", open, first, close);
        self.items(items, close);
        self.close("}", close);
    }

    fn native_members(&mut self, item: &Item, native: &Native) {
        let (open, close) = self.body_brackets(item, native.target.span.end as usize);
        let members = &native.members;
        if members.is_empty() && !self.comment_in(open, close) {
            self.write("{}");
            return;
        }
        let first = members.first().map(|m| m.span.start as usize);
        self.open("{", open, first, close);
        for (i, member) in members.iter().enumerate() {
            self.leading(member.span.start as usize, true);
            self.doc_guard(member.doc.is_some());
            match &member.kind {
                MemberKind::Property(field) => self.field("property ", field),
                MemberKind::Attribute(field) => self.field("attribute ", field),
                MemberKind::Setting(property) => self.property(property),
            }
            self.ended(self.real_end(member.span));
            let bound = members
                .get(i + 1)
                .map_or(close, |next| next.span.start as usize);
            self.trailing(bound);
            self.newline();
        }
        self.close("}", close);
    }

    fn field(&mut self, keyword: &str, field: &Field) {
        self.write(keyword);
        if is_bare_name(&field.name.name) {
            self.write(&field.name.name);
        } else {
            self.write(&quote(&field.name.name));
        }
        self.write(": ");
        self.write(&type_expr(&field.ty));
        if let Some(value) = &field.value {
            self.write(" = ");
            self.expr(value);
        }
    }

    fn block(&mut self, block: &Block) {
        let open = block.span.start as usize;
        let close = (block.span.end as usize).saturating_sub(1).max(open);
        if block.properties.is_empty() && !self.comment_in(open, close) {
            self.write("{}");
            self.ended(block.span.end as usize);
            return;
        }
        self.properties_block(open, close, &block.properties);
    }

    /// `{`, one property per line, `}`: blocks and multi-line objects.
    pub(super) fn properties_block(&mut self, open: usize, close: usize, properties: &[Property]) {
        let first = properties.first().map(|p| p.span.start as usize);
        self.open("{", open, first, close);
        for (i, property) in properties.iter().enumerate() {
            self.leading(property.span.start as usize, true);
            self.doc_guard(property.doc.is_some());
            self.property(property);
            self.ended(self.real_end(property.span));
            let bound = properties
                .get(i + 1)
                .map_or(close, |next| next.span.start as usize);
            self.trailing(bound);
            self.newline();
        }
        self.close("}", close);
    }

    fn property(&mut self, property: &Property) {
        self.write(&key(&property.key));
        self.write(" = ");
        self.expr(&property.value);
    }
}

/// Consecutive declarations of these kinds may stay together without a blank line.
fn same_simple_kind(a: &Item, b: &Item) -> bool {
    matches!(
        (&a.kind, &b.kind),
        (ItemKind::Import(_), ItemKind::Import(_))
            | (ItemKind::Param(_), ItemKind::Param(_))
            | (ItemKind::Let(_), ItemKind::Let(_))
    )
}

/// Whether `name` can be written as a bare key.
fn is_bare_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn type_expr(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeKind::Path(path) => path.text(),
        TypeKind::Literal(text) => quote(text),
        TypeKind::List(inner) => format!("[{}]", type_expr(inner)),
        TypeKind::Map(inner) => format!("{{string: {}}}", type_expr(inner)),
        TypeKind::Object(fields) => {
            if fields.is_empty() {
                return "{}".to_string();
            }
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let mark = if f.optional { "?" } else { "" };
                    format!("{}{mark}: {}", key(&f.key), type_expr(&f.ty))
                })
                .collect();
            // `{ string: T }` alone would read back as a map type.
            let comma = match fields.as_slice() {
                [only] if only.starts_with("string:") => ",",
                _ => "",
            };
            format!("{{ {}{comma} }}", fields.join(", "))
        }
        TypeKind::Optional(inner) => format!("{}?", type_expr(inner)),
        TypeKind::Union(terms) => terms.iter().map(type_expr).collect::<Vec<_>>().join(" | "),
        TypeKind::Paren(inner) => format!("({})", type_expr(inner)),
    }
}
