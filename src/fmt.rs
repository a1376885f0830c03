//! `infra fmt`: one canonical layout, every comment kept.
//!
//! The formatter walks the AST and prints it again; the source text is read
//! only for comments, blank lines and the verbatim text of error nodes.
//!
//! # Layout
//!
//! - Two spaces of indentation; one declaration per line.
//! - A blank line between declarations (at the top level and inside
//!   components and target blocks), except between consecutive single-line
//!   `import`s, `param`s or `let`s that were adjacent in the source. A blank
//!   line the user wrote between declarations, properties, list elements,
//!   object entries or comment groups is kept (at most one); none is kept at
//!   the start or end of a block.
//! - Declaration blocks print one `key = value` per line; an empty block
//!   prints `{}`.
//! - Object literals print inline, `{ a = 1, b = 2 }`, when they fit in 80
//!   columns and contain no comment and no multi-line value; otherwise one
//!   entry per line without commas. Lists likewise: `[a, b]`, or one element
//!   per line with a trailing comma.
//! - Binary operators with single spaces, `c ? a : b`, `0..3`, `-x`, `!x`;
//!   parentheses exactly where they were written.
//! - Comprehensions: `[for x in xs if c: body]`, `{for k, v in m: k => v}`.
//! - Types: `string`, `[T]`, `{string: T}`, `{ a: T, b?: U }`, `T?`,
//!   `"a" | "b"`.
//! - Headers: `resource name: Type for i in xs if cond {`,
//!   `persistent component Name {`, `target terraform-aws {`,
//!   `native "AWS::X::Y" on cloudformation {` with members
//!   `property Name: T`, `attribute Name: T = expr` and settings `key = value`.
//! - Strings are re-escaped (`\\`, `\"`, `\n`, `\t`, `\r`, `\0`, `\${`).
//!   Multi-line strings print their dedented lines one level deeper than the
//!   line the string starts on, with the closing `"""` at that line's
//!   indentation (or right after the last line when the value does not end
//!   with a line break).
//!
//! # Comments
//!
//! Comments are taken from [`SourceFile::comments`] in source order and each
//! is printed exactly once, verbatim. Before a declaration, property, schema
//! member, list element or object entry, every pending comment that starts
//! before it is printed on its own line. A comment on the same line as the end
//! of the previous node (or of an opening bracket) stays there as a trailing
//! comment. A comment inside an expression that has no place of its own (an
//! operand, a call, a header) is moved to the end of the enclosing line, or to
//! the next own-line position; it is never dropped. Remaining comments are
//! printed before the closing bracket of their block and at the end of the
//! file. A `///` comment keeps attaching to the same declaration: when a moved
//! doc comment would land directly above a node that had no doc, a blank line
//! separates them.

use crate::syntax::ast::*;

/// The column limit for inline lists and objects.
const WIDTH: usize = 80;

/// Formats a parsed file. `text` is the file's source, for comments.
pub fn format(file: &SourceFile, text: &str) -> String {
    let mut printer = Printer {
        text,
        comments: &file.comments,
        next: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        indent: 0,
        at_line_start: true,
        last_end: 0,
        gap_from: 0,
        fresh: true,
        last_doc: false,
    };
    printer.items(&file.items, text.len());
    printer.leading(text.len(), false);
    let mut out = printer.out;
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The printer's state, saved and restored around trial renderings.
#[derive(Clone, Copy)]
struct Saved {
    len: usize,
    next: usize,
    indent: usize,
    at_line_start: bool,
    last_end: usize,
    gap_from: usize,
    fresh: bool,
    last_doc: bool,
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// Index of the first comment not yet printed.
    next: usize,
    out: String,
    indent: usize,
    /// Nothing written on the current output line yet (indentation is lazy).
    at_line_start: bool,
    /// Source offset of the end of the last node printed, for trailing comments.
    last_end: usize,
    /// Source offset after the last node or comment printed, for blank lines.
    gap_from: usize,
    /// Nothing printed yet in the current block: no blank line allowed.
    fresh: bool,
    /// The last thing printed is a `///` comment.
    last_doc: bool,
}

impl Printer<'_> {
    // -------------------------------------------------------------- output

    fn write(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.at_line_start {
            for _ in 0..self.indent {
                self.out.push_str("  ");
            }
            self.at_line_start = false;
        }
        self.out.push_str(s);
        self.fresh = false;
        self.last_doc = false;
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
    }

    fn blank_line(&mut self) {
        if !self.at_line_start {
            self.newline();
        }
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn column(&self) -> usize {
        if self.at_line_start {
            return self.indent * 2;
        }
        let start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out[start..].chars().count()
    }

    fn save(&self) -> Saved {
        Saved {
            len: self.out.len(),
            next: self.next,
            indent: self.indent,
            at_line_start: self.at_line_start,
            last_end: self.last_end,
            gap_from: self.gap_from,
            fresh: self.fresh,
            last_doc: self.last_doc,
        }
    }

    fn restore(&mut self, saved: Saved) {
        self.out.truncate(saved.len);
        self.next = saved.next;
        self.indent = saved.indent;
        self.at_line_start = saved.at_line_start;
        self.last_end = saved.last_end;
        self.gap_from = saved.gap_from;
        self.fresh = saved.fresh;
        self.last_doc = saved.last_doc;
    }

    /// Marks `end` (a source offset) as the end of the node just printed.
    fn ended(&mut self, end: usize) {
        self.last_end = end;
        self.gap_from = self.gap_from.max(end);
    }

    // ------------------------------------------------------------ source

    /// The end of a node's span without the whitespace and comments that pest
    /// includes after the last token of some rules.
    fn real_end(&self, span: crate::source::Span) -> usize {
        let start = span.start as usize;
        let mut pos = (span.end as usize).min(self.text.len());
        loop {
            let trimmed = self.text[start..pos]
                .trim_end_matches([' ', '\t', '\r', '\n', '\u{FEFF}'])
                .len();
            pos = start + trimmed;
            let idx = self
                .comments
                .partition_point(|c| (c.span.start as usize) < pos);
            match idx.checked_sub(1).map(|i| &self.comments[i]) {
                Some(c) if c.span.end as usize >= pos && c.span.start as usize >= start => {
                    pos = c.span.start as usize;
                }
                _ => return pos,
            }
        }
    }

    /// The offset of the first token at or after `pos`, skipping comments.
    fn skip_trivia(&self, mut pos: usize) -> usize {
        loop {
            let rest = &self.text[pos..];
            let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{FEFF}']);
            pos += rest.len() - trimmed.len();
            let idx = self
                .comments
                .partition_point(|c| (c.span.start as usize) < pos);
            match self.comments.get(idx) {
                Some(c) if c.span.start as usize == pos => pos = c.span.end as usize,
                _ => return pos,
            }
        }
    }

    /// Whether a comment starts strictly between `open` and `close`.
    fn comment_in(&self, open: usize, close: usize) -> bool {
        let idx = self
            .comments
            .partition_point(|c| (c.span.start as usize) <= open);
        self.comments
            .get(idx)
            .is_some_and(|c| (c.span.start as usize) < close)
    }

    /// Whether the source has an empty line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        let gap = &self.text[from..to];
        let mut lines = gap.split('\n');
        lines.next();
        let mut rest: Vec<&str> = lines.collect();
        // The last piece is the text before `to` on its line, not a whole line.
        rest.pop();
        rest.iter()
            .any(|line| line.trim_matches([' ', '\t', '\r', '\u{FEFF}']).is_empty())
    }

    /// Whether the comment groups before `pos` are separated by a blank line
    /// from each other, the previous node or the node at `pos`.
    fn gap_has_blank(&self, pos: usize) -> bool {
        let mut from = self.gap_from;
        for c in &self.comments[self.next..] {
            let start = c.span.start as usize;
            if start >= pos {
                break;
            }
            if self.blank_between(from, start) {
                return true;
            }
            from = from.max(c.span.end as usize);
        }
        self.blank_between(from, pos)
    }

    // ---------------------------------------------------------- comments

    /// Prints, each on its own line, the pending comments that start before
    /// `pos`, keeping blank lines between groups.
    fn leading(&mut self, pos: usize, blank_before_pos: bool) {
        while let Some(c) = self.comments.get(self.next) {
            let start = c.span.start as usize;
            if start >= pos {
                break;
            }
            if !self.at_line_start {
                self.newline();
            }
            if !self.fresh && self.blank_between(self.gap_from, start) {
                self.blank_line();
            }
            self.write(&c.text);
            self.last_doc = c.kind == CommentKind::Doc;
            self.newline();
            self.gap_from = self.gap_from.max(c.span.end as usize);
            self.next += 1;
        }
        if blank_before_pos && !self.fresh && self.blank_between(self.gap_from, pos) {
            self.blank_line();
        }
    }

    /// Prints, at the end of the current line, the pending comments that were
    /// written on the line of the last node (or inside it), before `bound`.
    fn trailing(&mut self, bound: usize) {
        while let Some(c) = self.comments.get(self.next) {
            let start = c.span.start as usize;
            if start >= bound {
                break;
            }
            let inside = start < self.last_end;
            if !inside && self.text[self.last_end..start].contains('\n') {
                break;
            }
            if self.at_line_start {
                self.write(&c.text);
            } else {
                self.out.push(' ');
                self.out.push_str(&c.text);
            }
            self.last_doc = c.kind == CommentKind::Doc;
            self.gap_from = self.gap_from.max(c.span.end as usize);
            self.next += 1;
            if c.kind != CommentKind::Block || c.text.contains('\n') {
                break;
            }
        }
    }

    /// Keeps a moved `///` comment from attaching to a node without a doc.
    fn doc_guard(&mut self, has_doc: bool) {
        if !has_doc && self.last_doc {
            self.blank_line();
        }
    }

    /// Writes an opening bracket and the comments after it on its line.
    fn open(&mut self, bracket: &str, open: usize, first: Option<usize>, close: usize) {
        self.write(bracket);
        self.indent += 1;
        self.fresh = true;
        self.last_end = open + 1;
        self.trailing(first.unwrap_or(close));
        self.newline();
    }

    /// Writes the comments left before a closing bracket, then the bracket.
    fn close(&mut self, bracket: &str, close: usize) {
        self.leading(close, false);
        if !self.at_line_start {
            self.newline();
        }
        self.indent -= 1;
        self.write(bracket);
        self.ended(close + bracket.len());
    }

    // ------------------------------------------------------ declarations

    fn items(&mut self, items: &[Item], close: usize) {
        let mut prev: Option<(&Item, bool)> = None;
        for (i, item) in items.iter().enumerate() {
            let is_error = matches!(item.kind, ItemKind::Error);
            if let Some((prev_item, prev_multiline)) = prev {
                let grouped = same_simple_kind(prev_item, item)
                    && !prev_multiline
                    && !self.item_is_multiline(item);
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

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Import(import) => {
                self.write("import ");
                self.string(&import.path);
                self.write(" as ");
                self.write(&import.alias.name);
            }
            ItemKind::Param(param) => {
                self.write("param ");
                self.write(&param.name.name);
                self.type_annotation(param.ty.as_ref());
                if let Some(default) = &param.default {
                    self.write(" = ");
                    self.expr(default);
                }
                if let Some(options) = &param.options {
                    self.write(" ");
                    self.block(options);
                }
            }
            ItemKind::Let(let_decl) => {
                self.write("let ");
                self.write(&let_decl.name.name);
                self.type_annotation(let_decl.ty.as_ref());
                self.write(" = ");
                self.expr(&let_decl.value);
            }
            ItemKind::Resource(resource) => {
                self.write("resource ");
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
                }
                if let Some(cond) = &resource.if_guard {
                    self.write(" if ");
                    self.expr(cond);
                }
                self.write(" ");
                self.block(&resource.body);
            }
            ItemKind::Output(output) => {
                self.write("output ");
                self.write(&output.name.name);
                self.type_annotation(output.ty.as_ref());
                if let Some(value) = &output.value {
                    self.write(" = ");
                    self.expr(value);
                }
                if let Some(options) = &output.options {
                    self.write(" ");
                    self.block(options);
                }
            }
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
            ItemKind::Unsupported(reason) => {
                self.write("unsupported ");
                self.string(reason);
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
    fn properties_block(&mut self, open: usize, close: usize, properties: &[Property]) {
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

    // ------------------------------------------------------- expressions

    /// Prints an expression, inline when it fits, else breaking its lists and
    /// objects one element per line.
    fn expr(&mut self, e: &Expr) {
        if let Some(flat) = self.flat(e) {
            if self.column() + flat.chars().count() <= WIDTH
                || !matches!(
                    e.kind,
                    ExprKind::List(_)
                        | ExprKind::Object(_)
                        | ExprKind::Member(..)
                        | ExprKind::Index(..)
                        | ExprKind::Call(..)
                        | ExprKind::Unary(..)
                        | ExprKind::Binary(..)
                        | ExprKind::Conditional(..)
                        | ExprKind::Range(..)
                        | ExprKind::ListComp(_)
                        | ExprKind::ObjectComp(..)
                        | ExprKind::Paren(_)
                        | ExprKind::Str(_)
                )
            {
                self.write(&flat);
                return;
            }
        }
        match &e.kind {
            ExprKind::List(items) => self.broken_list(e, items),
            ExprKind::Object(properties) => {
                let open = e.span.start as usize;
                let close = (e.span.end as usize).saturating_sub(1).max(open);
                self.properties_block(open, close, properties);
            }
            ExprKind::Str(lit) => self.string(lit),
            ExprKind::Member(base, name) => {
                self.expr(base);
                self.write(".");
                self.write(&name.name);
            }
            ExprKind::Index(base, index) => {
                self.expr(base);
                self.write("[");
                self.expr(index);
                self.write("]");
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                self.write("(");
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.expr(arg);
                }
                self.write(")");
            }
            ExprKind::Unary(op, operand) => {
                self.write(unary(*op));
                self.expr(operand);
            }
            ExprKind::Binary(op, lhs, rhs) => {
                self.expr(lhs);
                self.write(" ");
                self.write(op.symbol());
                self.write(" ");
                self.expr(rhs);
            }
            ExprKind::Conditional(cond, then, otherwise) => {
                self.expr(cond);
                self.write(" ? ");
                self.expr(then);
                self.write(" : ");
                self.expr(otherwise);
            }
            ExprKind::Range(from, to) => {
                self.expr(from);
                self.write("..");
                self.expr(to);
            }
            ExprKind::ListComp(comp) => {
                self.write("[");
                self.comprehension(comp);
                self.write("]");
            }
            ExprKind::ObjectComp(comp, value) => {
                self.write("{");
                self.comprehension(comp);
                self.write(" => ");
                self.expr(value);
                self.write("}");
            }
            ExprKind::Paren(inner) => {
                self.write("(");
                self.expr(inner);
                self.write(")");
            }
            _ => {
                let text = self.flat(e).unwrap_or_default();
                self.write(&text);
            }
        }
    }

    fn comprehension(&mut self, comp: &Comprehension) {
        self.write("for ");
        self.write(&binding(&comp.binding));
        self.write(" in ");
        self.expr(&comp.iterable);
        if let Some(filter) = &comp.filter {
            self.write(" if ");
            self.expr(filter);
        }
        self.write(": ");
        self.expr(&comp.body);
    }

    fn broken_list(&mut self, e: &Expr, items: &[Expr]) {
        let open = e.span.start as usize;
        let close = (e.span.end as usize).saturating_sub(1).max(open);
        let first = items.first().map(|i| i.span.start as usize);
        self.open("[", open, first, close);
        for (i, item) in items.iter().enumerate() {
            self.leading(item.span.start as usize, true);
            self.expr(item);
            self.write(",");
            self.ended(item.span.end as usize);
            let bound = items
                .get(i + 1)
                .map_or(close, |next| next.span.start as usize);
            self.trailing(bound);
            self.newline();
        }
        self.close("]", close);
    }

    /// The expression on one line, or `None` when it cannot be: a list or
    /// object with a comment inside, or a multi-line string.
    fn flat(&self, e: &Expr) -> Option<String> {
        let mut out = String::new();
        self.flat_into(e, &mut out).then_some(out)
    }

    fn flat_into(&self, e: &Expr, out: &mut String) -> bool {
        match &e.kind {
            ExprKind::Null => out.push_str("null"),
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Int(n) => out.push_str(&n.to_string()),
            ExprKind::Number(n) => out.push_str(n),
            ExprKind::Str(lit) => return self.flat_string(lit, out),
            ExprKind::Name(name) => out.push_str(&name.name),
            ExprKind::List(items) => {
                if self.comment_in(e.span.start as usize, e.span.end as usize) {
                    return false;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.flat_into(item, out) {
                        return false;
                    }
                }
                out.push(']');
            }
            ExprKind::Object(properties) => {
                if self.comment_in(e.span.start as usize, e.span.end as usize) {
                    return false;
                }
                if properties.is_empty() {
                    out.push_str("{}");
                    return true;
                }
                out.push_str("{ ");
                for (i, property) in properties.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&key(&property.key));
                    out.push_str(" = ");
                    if !self.flat_into(&property.value, out) {
                        return false;
                    }
                }
                out.push_str(" }");
            }
            ExprKind::Member(base, name) => {
                if !self.flat_into(base, out) {
                    return false;
                }
                out.push('.');
                out.push_str(&name.name);
            }
            ExprKind::Index(base, index) => {
                if !self.flat_into(base, out) {
                    return false;
                }
                out.push('[');
                if !self.flat_into(index, out) {
                    return false;
                }
                out.push(']');
            }
            ExprKind::Call(callee, args) => {
                if !self.flat_into(callee, out) {
                    return false;
                }
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.flat_into(arg, out) {
                        return false;
                    }
                }
                out.push(')');
            }
            ExprKind::Unary(op, operand) => {
                out.push_str(unary(*op));
                return self.flat_into(operand, out);
            }
            ExprKind::Binary(op, lhs, rhs) => {
                if !self.flat_into(lhs, out) {
                    return false;
                }
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                return self.flat_into(rhs, out);
            }
            ExprKind::Conditional(cond, then, otherwise) => {
                if !self.flat_into(cond, out) {
                    return false;
                }
                out.push_str(" ? ");
                if !self.flat_into(then, out) {
                    return false;
                }
                out.push_str(" : ");
                return self.flat_into(otherwise, out);
            }
            ExprKind::Range(from, to) => {
                if !self.flat_into(from, out) {
                    return false;
                }
                out.push_str("..");
                return self.flat_into(to, out);
            }
            ExprKind::ListComp(comp) => {
                out.push('[');
                if !self.flat_comprehension(comp, out) {
                    return false;
                }
                out.push(']');
            }
            ExprKind::ObjectComp(comp, value) => {
                out.push('{');
                if !self.flat_comprehension(comp, out) {
                    return false;
                }
                out.push_str(" => ");
                if !self.flat_into(value, out) {
                    return false;
                }
                out.push('}');
            }
            ExprKind::Paren(inner) => {
                out.push('(');
                if !self.flat_into(inner, out) {
                    return false;
                }
                out.push(')');
            }
            ExprKind::Error => {
                let span = e.span.range();
                out.push_str(self.text.get(span).unwrap_or_default());
            }
        }
        true
    }

    fn flat_comprehension(&self, comp: &Comprehension, out: &mut String) -> bool {
        out.push_str("for ");
        out.push_str(&binding(&comp.binding));
        out.push_str(" in ");
        if !self.flat_into(&comp.iterable, out) {
            return false;
        }
        if let Some(filter) = &comp.filter {
            out.push_str(" if ");
            if !self.flat_into(filter, out) {
                return false;
            }
        }
        out.push_str(": ");
        self.flat_into(&comp.body, out)
    }

    fn flat_string(&self, lit: &StringLit, out: &mut String) -> bool {
        if lit.multiline {
            return false;
        }
        out.push('"');
        for part in &lit.parts {
            match part {
                StrPart::Text(text) => escape_into(text, out),
                StrPart::Interp(e) => {
                    out.push_str("${");
                    if !self.flat_into(e, out) {
                        return false;
                    }
                    out.push('}');
                }
            }
        }
        out.push('"');
        true
    }

    // ----------------------------------------------------------- strings

    fn string(&mut self, lit: &StringLit) {
        if lit.multiline {
            self.multiline_string(lit);
            return;
        }
        self.write("\"");
        for part in &lit.parts {
            match part {
                StrPart::Text(text) => {
                    let mut escaped = String::new();
                    escape_into(text, &mut escaped);
                    self.write(&escaped);
                }
                StrPart::Interp(e) => self.interp(e),
            }
        }
        self.write("\"");
    }

    fn interp(&mut self, e: &Expr) {
        self.write("${");
        match self.flat(e) {
            Some(flat) => self.write(&flat),
            None => self.expr(e),
        }
        self.write("}");
    }

    /// Pushes raw text (multi-line string content) with no indentation.
    fn raw(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.out.push_str(s);
        self.at_line_start = false;
        self.fresh = false;
        self.last_doc = false;
    }

    /// Prints a `"""` string so that parsing and dedenting it again gives
    /// back exactly the same parts.
    fn multiline_string(&mut self, lit: &StringLit) {
        let outer = "  ".repeat(self.indent);
        let inner = "  ".repeat(self.indent + 1);
        let parts = &lit.parts;
        let has_content = parts.iter().any(|p| match p {
            StrPart::Text(t) => t.chars().any(|c| !matches!(c, ' ' | '\t' | '\n')),
            StrPart::Interp(_) => true,
        });
        let ends_with_newline = matches!(parts.last(), Some(StrPart::Text(t)) if t.ends_with('\n'));
        self.write("\"\"\"");
        self.indent += 1;
        match parts.first() {
            None => {}
            Some(StrPart::Text(_)) if has_content => {
                // Every line one level deeper; dedenting removes exactly that.
                let lines = split_lines(parts);
                let count = lines.len();
                for (i, line) in lines.iter().enumerate() {
                    self.out.push('\n');
                    self.at_line_start = true;
                    if !line.is_empty() {
                        self.raw(&inner);
                    }
                    let last = i + 1 == count;
                    for (j, segment) in line.iter().enumerate() {
                        match segment {
                            Segment::Text(text) => {
                                let at_end = last && j + 1 == line.len();
                                let escaped = escape_multiline(text, at_end);
                                self.raw(&escaped);
                            }
                            Segment::Interp(e) => self.interp(e),
                        }
                    }
                }
            }
            Some(first) => {
                // No line to indent against: print the value as it is. A
                // value without content starts on the next line; one starting
                // with an interpolation starts right after the quotes.
                if matches!(first, StrPart::Text(_)) {
                    self.out.push('\n');
                }
                let count = parts.len();
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        StrPart::Text(text) => {
                            let escaped = escape_multiline(text, i + 1 == count);
                            self.out.push_str(&escaped);
                            self.at_line_start = text.ends_with('\n');
                            self.fresh = false;
                            self.last_doc = false;
                        }
                        StrPart::Interp(e) => {
                            self.at_line_start = false;
                            self.interp(e);
                        }
                    }
                }
            }
        }
        self.indent -= 1;
        if ends_with_newline {
            self.out.push_str(&outer);
        }
        self.out.push_str("\"\"\"");
        self.at_line_start = false;
    }
}

// ------------------------------------------------------------------- helpers

/// Consecutive declarations of these kinds may stay together without a blank line.
fn same_simple_kind(a: &Item, b: &Item) -> bool {
    matches!(
        (&a.kind, &b.kind),
        (ItemKind::Import(_), ItemKind::Import(_))
            | (ItemKind::Param(_), ItemKind::Param(_))
            | (ItemKind::Let(_), ItemKind::Let(_))
    )
}

fn unary(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "-",
        UnaryOp::Not => "!",
    }
}

fn binding(binding: &Binding) -> String {
    match &binding.second {
        Some(second) => format!("{}, {}", binding.first.name, second.name),
        None => binding.first.name.clone(),
    }
}

fn key(key: &Key) -> String {
    if key.quoted {
        quote(&key.name)
    } else {
        key.name.clone()
    }
}

/// Whether `name` can be written as a bare key.
fn is_bare_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(text, &mut out);
    out.push('"');
    out
}

/// Escapes the text of a one-line string.
fn escape_into(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
}

/// Escapes the text of a `"""` string: line breaks and tabs stay as they are,
/// a third `"` in a row is escaped, and so is a `"` just before the closing
/// quotes when `at_end`.
fn escape_multiline(text: &str, at_end: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quotes = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            quotes = 0;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            '"' if quotes == 2 || (at_end && chars.peek().is_none()) => {
                out.push_str("\\\"");
                quotes = 0;
            }
            '"' => {
                out.push('"');
                quotes += 1;
            }
            c => out.push(c),
        }
    }
    out
}

enum Segment<'a> {
    Text(&'a str),
    Interp(&'a Expr),
}

/// The parts of a string split into lines (without the line breaks).
fn split_lines(parts: &[StrPart]) -> Vec<Vec<Segment<'_>>> {
    let mut lines = vec![Vec::new()];
    for part in parts {
        match part {
            StrPart::Text(text) => {
                for (i, piece) in text.split('\n').enumerate() {
                    if i > 0 {
                        lines.push(Vec::new());
                    }
                    if !piece.is_empty() {
                        if let Some(line) = lines.last_mut() {
                            line.push(Segment::Text(piece));
                        }
                    }
                }
            }
            StrPart::Interp(e) => {
                if let Some(line) = lines.last_mut() {
                    line.push(Segment::Interp(e));
                }
            }
        }
    }
    lines
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
