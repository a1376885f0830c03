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
//!   with a line break). Two shapes cannot be re-indented and print as they
//!   are: a value starting with `${` right after the opening quotes (its
//!   first line has no indentation to add to), and a value of blank lines
//!   only.
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
        doc_moved: false,
    };
    printer.items(&file.items, text.len());
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
    doc_moved: bool,
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
    /// The last thing printed is a `///` comment moved out of a node: it must
    /// not attach to what follows, so a blank line comes next.
    doc_moved: bool,
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
        self.doc_moved = false;
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
            doc_moved: self.doc_moved,
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
        self.doc_moved = saved.doc_moved;
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
            if self.doc_moved || (self.may_blank() && self.blank_between(self.gap_from, start)) {
                self.blank_line();
            }
            self.write(&c.text);
            self.last_doc = c.kind == CommentKind::Doc;
            self.doc_moved = self.last_doc && start < self.last_end;
            self.newline();
            self.gap_from = self.gap_from.max(c.span.end as usize);
            self.next += 1;
        }
        if blank_before_pos
            && (self.doc_moved || (self.may_blank() && self.blank_between(self.gap_from, pos)))
        {
            self.blank_line();
        }
    }

    /// Whether a blank line written in the source may be kept here: not at
    /// the start of a block, except after a `///` comment, where dropping it
    /// would attach the comment to the next node.
    fn may_blank(&self) -> bool {
        !self.fresh || self.last_doc
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
            self.doc_moved = self.last_doc && inside;
            self.gap_from = self.gap_from.max(c.span.end as usize);
            self.next += 1;
            if c.kind != CommentKind::Block || c.text.contains('\n') {
                break;
            }
        }
    }

    /// Keeps a moved `///` comment from attaching to a node without a doc.
    fn doc_guard(&mut self, has_doc: bool) {
        if self.doc_moved || (!has_doc && self.last_doc) {
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
            let fits = self.column() + flat.chars().count() <= WIDTH;
            if fits || !has_structure(e) {
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
        self.doc_moved = false;
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
                    self.raw("\n");
                }
                let count = parts.len();
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        StrPart::Text(text) => {
                            let escaped = escape_multiline(text, i + 1 == count);
                            self.raw(&escaped);
                        }
                        StrPart::Interp(e) => self.interp(e),
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

/// Whether an expression has parts that can go on lines of their own.
fn has_structure(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Name(_)
            | ExprKind::Error
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
                    if !piece.is_empty()
                        && let Some(line) = lines.last_mut()
                    {
                        line.push(Segment::Text(piece));
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

#[cfg(test)]
mod tests {
    use super::format;
    use crate::source::FileId;
    use crate::syntax::ast::SourceFile;
    use crate::syntax::parse;

    /// Zeroes every span of the tree, so that trees compare by content only.
    mod clear {
        use crate::source::Span;
        use crate::syntax::ast::*;

        pub fn file(f: &mut SourceFile) {
            f.span = Span::default();
            f.items.iter_mut().for_each(item);
            for c in &mut f.comments {
                c.span = Span::default();
            }
        }

        fn item(i: &mut Item) {
            i.span = Span::default();
            match &mut i.kind {
                ItemKind::Import(x) => {
                    string(&mut x.path);
                    ident(&mut x.alias);
                }
                ItemKind::Param(x) => {
                    ident(&mut x.name);
                    x.ty.iter_mut().for_each(ty);
                    x.default.iter_mut().for_each(expr);
                    x.options.iter_mut().for_each(block);
                }
                ItemKind::Let(x) => {
                    ident(&mut x.name);
                    x.ty.iter_mut().for_each(ty);
                    expr(&mut x.value);
                }
                ItemKind::Resource(x) => {
                    ident(&mut x.name);
                    match &mut x.ty {
                        ResourceType::Path(p) => path(p),
                        ResourceType::Raw(s) => string(s),
                    }
                    if let Some(g) = &mut x.for_guard {
                        g.span = Span::default();
                        binding(&mut g.binding);
                        expr(&mut g.iterable);
                    }
                    x.if_guard.iter_mut().for_each(expr);
                    block(&mut x.body);
                }
                ItemKind::Output(x) => {
                    ident(&mut x.name);
                    x.ty.iter_mut().for_each(ty);
                    x.value.iter_mut().for_each(expr);
                    x.options.iter_mut().for_each(block);
                }
                ItemKind::TypeAlias(x) => {
                    ident(&mut x.name);
                    ty(&mut x.ty);
                }
                ItemKind::Component(x) => {
                    ident(&mut x.name);
                    x.items.iter_mut().for_each(item);
                }
                ItemKind::Target(x) => {
                    ident(&mut x.target);
                    x.items.iter_mut().for_each(item);
                }
                ItemKind::Unsupported(s) => string(s),
                ItemKind::Native(x) => {
                    string(&mut x.type_name);
                    ident(&mut x.target);
                    for m in &mut x.members {
                        m.span = Span::default();
                        match &mut m.kind {
                            MemberKind::Property(f) | MemberKind::Attribute(f) => {
                                ident(&mut f.name);
                                ty(&mut f.ty);
                                f.value.iter_mut().for_each(expr);
                            }
                            MemberKind::Setting(p) => property(p),
                        }
                    }
                }
                ItemKind::Error => {}
            }
        }

        fn ident(i: &mut Ident) {
            i.span = Span::default();
        }

        fn binding(b: &mut Binding) {
            ident(&mut b.first);
            b.second.iter_mut().for_each(ident);
        }

        fn path(p: &mut TypePath) {
            p.span = Span::default();
            p.segments.iter_mut().for_each(ident);
        }

        fn block(b: &mut Block) {
            b.span = Span::default();
            b.properties.iter_mut().for_each(property);
        }

        fn property(p: &mut Property) {
            p.span = Span::default();
            p.key.span = Span::default();
            expr(&mut p.value);
        }

        fn string(s: &mut StringLit) {
            s.span = Span::default();
            for part in &mut s.parts {
                if let StrPart::Interp(e) = part {
                    expr(e);
                }
            }
        }

        fn ty(t: &mut TypeExpr) {
            t.span = Span::default();
            match &mut t.kind {
                TypeKind::Path(p) => path(p),
                TypeKind::Literal(_) => {}
                TypeKind::List(x)
                | TypeKind::Map(x)
                | TypeKind::Optional(x)
                | TypeKind::Paren(x) => ty(x),
                TypeKind::Object(fields) => {
                    for f in fields {
                        f.key.span = Span::default();
                        ty(&mut f.ty);
                    }
                }
                TypeKind::Union(terms) => terms.iter_mut().for_each(ty),
            }
        }

        fn comprehension(c: &mut Comprehension) {
            binding(&mut c.binding);
            expr(&mut c.iterable);
            c.filter.iter_mut().for_each(expr);
            expr(&mut c.body);
        }

        fn expr(e: &mut Expr) {
            e.span = Span::default();
            match &mut e.kind {
                ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Int(_)
                | ExprKind::Number(_)
                | ExprKind::Error => {}
                ExprKind::Str(s) => string(s),
                ExprKind::Name(i) => ident(i),
                ExprKind::List(items) => items.iter_mut().for_each(expr),
                ExprKind::Object(props) => props.iter_mut().for_each(property),
                ExprKind::Member(base, name) => {
                    expr(base);
                    ident(name);
                }
                ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
                    expr(a);
                    expr(b);
                }
                ExprKind::Call(callee, args) => {
                    expr(callee);
                    args.iter_mut().for_each(expr);
                }
                ExprKind::Unary(_, x) | ExprKind::Paren(x) => expr(x),
                ExprKind::Conditional(a, b, c) => {
                    expr(a);
                    expr(b);
                    expr(c);
                }
                ExprKind::ListComp(c) => comprehension(c),
                ExprKind::ObjectComp(c, v) => {
                    comprehension(c);
                    expr(v);
                }
            }
        }
    }

    fn parse_clean(text: &str) -> crate::syntax::ast::SourceFile {
        let (file, diagnostics) = parse(FileId(0), text);
        assert!(
            diagnostics.is_empty(),
            "unexpected diagnostics {diagnostics:#?} in:\n{text}"
        );
        file
    }

    /// Formats `text` and checks the round trip: same AST without spans, same
    /// comments in the same order, and formatting again changes nothing.
    fn check(text: &str) -> String {
        let (file, diagnostics) = parse(FileId(0), text);
        assert!(
            diagnostics.is_empty(),
            "unexpected diagnostics {diagnostics:#?} in:\n{text}"
        );
        check_parsed(&file, text)
    }

    fn check_parsed(before: &SourceFile, text: &str) -> String {
        let formatted = format(before, text);
        let after = parse_clean(&formatted);
        let (mut a, mut b) = (before.clone(), after.clone());
        clear::file(&mut a);
        clear::file(&mut b);
        if a.items != b.items {
            assert_eq!(
                format!("{:#?}", a.items),
                format!("{:#?}", b.items),
                "the AST changed; source:\n{text}\nformatted:\n{formatted}"
            );
        }
        assert_eq!(
            a.comments, b.comments,
            "comments changed; source:\n{text}\nformatted:\n{formatted}"
        );
        let again = format(&after, &formatted);
        assert_eq!(
            formatted, again,
            "not idempotent; source:\n{text}\nfirst:\n{formatted}\nsecond:\n{again}"
        );
        formatted
    }

    /// A program using every construct of the grammar, in parts that each
    /// parse alone (the comment-insertion tests parse each part many times).
    const PARTS: &[&str] = &[
        r#"// File header comment.

/* A block comment
   spanning lines. */
import "./network.infra" as net // trailing on an import
import "./db.infra" as db



"#,
        r#"/// Deployment environment.
param env: "staging" | "production" = "staging"
param count: int = 2 { min = 1 // lower bound
  max = 20, }

/// Master password.
/// Second doc line.
param password: string {
  secret = true
  pattern = "^[A-Za-z0-9]+$"

  "quoted key" = "x"
}
"#,
        r#"param tags: {string: string}? = {}
param ports: [int] = [80,443]
param shape: { name: string, size?: int, "odd-key": [string] } = { name = "a" }
param pair: (string | int)? = null
param empty_options: int {}
"#,
        r#"let prefix = "shop-${env}"
let is_prod = env == "production"   // trailing on a let
let math = -(1 + 2) * 3 / 4 % 5 - -6 + !!true
let logic = !is_prod && (count > 1 || count <= 0) != false
let cmp = count >= 2 == (count < 3)
let pick = is_prod ? "large" : count > 1 ? "medium" : "small"
let range = 0..count+1
let float = 1.5e3 + 0.25
let nothing = null
let access = net.subnets[0].id
let called = join(",", [prefix, "b"], f()).items[1 + 2]
"#,
        r#"let escapes = "tab\there \"quoted\" back\\slash newline\n dollar \${not} nul\0 cr\r done"
let nested = "outer ${ "inner ${env}" } end ${ {a = 1}.a }$"
let script = """
    #!/bin/sh
    echo "${prefix}" ""quoted""
      indented line
	tab line

    echo done \${literal} \\ back
    """
let no_newline = """
  last line has no break"""
let interp_first = """${prefix}
  kept as is
"""
let empty_ml = """"""
let blank_ml = """
"""
"#,
        r#"let comp = [for i, x in ports if x > 80: x * 2]
let ocomp = {for k, v in tags: k => upper(v)}
let obj = {
  a = 1 // one
  /// doc on b
  b = [1, 2, 3]
  "c d" = { e = true, f = [] }
}
let long = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc", "ddddddddddddddd"]
let nested_long = { outer = { inner = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc"] } }
"#,
        r#"let list_comments = [
  1, // first

  /* before two */ 2,
  [3, 4],
  // dangling at the end
]
let inside = 1 + /* inside an operand */ 2
let inside_call = f(a, // line comment inside a call
  b)
let scripts = ["""
  one
  """, "two"]

"#,
        r#"type Size = "small" | "large"
type Pair = (string | int)?
type Shape = { "quoted": int, plain?: [{string: bool}] }
type Table = {string: [Size]}

"#,
        r#"resource vpc: network.Network {
  cidr = "10.0.0.0/16"
}
resource web: compute.Server for i in 0..3 if is_prod {
  name = "${prefix}-web-${i}" /* block trailing */
  size = pick
  // own-line comment before a property

  tags = {
    role = "web" // trailing in an object
  }
  depends_on = [vpc]
  user_data = """
    #!/bin/sh
    echo ${i}
    """
}
"#,
        r#"resource thing: "AWS::IoT::Thing" {}
resource inst: AWS::EC2::Instance for k, v in tags { ImageId = v }

"#,
        r#"output web_ips: [string] = [for w in web: w.private_ip]
output endpoint = db.endpoint {
  export = "${prefix}-db"
}
output declared: string

"#,
        r#"persistent component Database {
  /// Volume size.
  param size: string = "small"
  resource main: storage.Volume {
    size = size
  }
  output id = main.id
  target terraform-aws {
    resource vol: aws_ebs_volume { size = 10 }
  }
  target heat { unsupported "no volumes on heat" }
}
component Empty {}
stateless component Tiny { let x = 1 }

"#,
        r#"volatile native "AWS::SQS::Queue" on cloudformation {
  ref = "QueueUrl"
  /// Size in GiB.
  property Size: int
  property "Odd-Name": string?
  attribute Arn: string = "Ref"
}
native "AWS::Empty" on cloudformation {}

// End of file comment.
"#,
    ];

    fn rich() -> String {
        PARTS.concat()
    }

    #[test]
    fn rich_program_round_trips() {
        let formatted = check(&rich());
        assert!(
            formatted.contains("param count: int = 2 {\n  min = 1 // lower bound\n  max = 20\n}\n")
        );
        assert!(formatted.contains("import \"./network.infra\" as net // trailing on an import\nimport \"./db.infra\" as db\n\n/// Deployment"));
        assert!(formatted.contains("let inside_call = f(a, b) // line comment inside a call\n"));
        assert!(formatted.contains(
            "\n\nresource vpc: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n\nresource web:"
        ));
        assert!(formatted.contains("resource thing: \"AWS::IoT::Thing\" {}\n"));
        assert!(formatted.ends_with("// End of file comment.\n"));
    }

    /// Offsets between tokens in code (not in strings or comments): the ends
    /// of whitespace runs and the places after an opening bracket or a comma.
    fn boundaries(text: &str) -> Vec<usize> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        // Per nesting level: `None` for a bracket, `Some(multiline)` for `${`.
        let mut stack: Vec<Option<bool>> = Vec::new();
        let mut in_string: Option<bool> = None;
        let mut i = 0;
        while i < bytes.len() {
            if let Some(multiline) = in_string {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' if multiline && bytes[i..].starts_with(b"\"\"\"") => {
                        in_string = None;
                        i += 3;
                    }
                    b'"' if !multiline => {
                        in_string = None;
                        i += 1;
                    }
                    b'$' if bytes.get(i + 1) == Some(&b'{') => {
                        stack.push(Some(multiline));
                        in_string = None;
                        i += 2;
                        out.push(i);
                    }
                    _ => i += 1,
                }
                continue;
            }
            let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += text[i..].find("*/").map_or(bytes.len(), |e| e + 2);
                }
                b'"' => {
                    let multiline = bytes[i..].starts_with(b"\"\"\"");
                    in_string = Some(multiline);
                    i += if multiline { 3 } else { 1 };
                }
                b'(' | b'[' | b'{' | b',' => {
                    if bytes[i] != b',' {
                        stack.push(None);
                    }
                    i += 1;
                    out.push(i);
                }
                b')' | b']' | b'}' => {
                    out.push(i);
                    if let Some(Some(multiline)) = stack.pop() {
                        in_string = Some(multiline);
                    }
                    i += 1;
                }
                b if is_space(b) => {
                    if i == 0 || !is_space(bytes[i - 1]) {
                        out.push(i);
                    }
                    if bytes.get(i + 1).is_some_and(|&n| !is_space(n)) {
                        out.push(i + 1);
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn insert_everywhere(text: &str, insertions: &[&str]) {
        let mut checked = 0;
        let mut refused = Vec::new();
        for at in boundaries(text) {
            for insertion in insertions {
                let variant = format!("{}{insertion}{}", &text[..at], &text[at..]);
                let (file, diagnostics) = parse(FileId(0), &variant);
                if diagnostics.is_empty() {
                    check_parsed(&file, &variant);
                    checked += 1;
                } else {
                    refused.push(at);
                }
            }
        }
        assert!(checked > 0, "no variant parsed");
        assert!(
            refused.len() * 20 < checked,
            "{} variants did not parse, e.g. at {:?}",
            refused.len(),
            &refused[..refused.len().min(10)]
        );
    }

    #[test]
    fn comments_anywhere_are_kept_in_order() {
        for part in PARTS {
            insert_everywhere(part, &[" /* c */ ", "// c\n", "/// d\n"]);
        }
    }

    #[test]
    fn blank_lines_and_comment_groups_anywhere() {
        for part in PARTS {
            insert_everywhere(part, &["\n\n// c\n\n", "\n\n", "\n/// d\n\n"]);
        }
    }

    #[test]
    fn crlf_source_round_trips() {
        let crlf = rich().replace('\n', "\r\n");
        check(&crlf);
        for part in PARTS {
            insert_everywhere(&part.replace('\n', "\r\n"), &["// c\r\n"]);
        }
    }

    /// Formats `text`, checks the round trip, and compares with `expected`.
    fn expect(text: &str, expected: &str) {
        let formatted = check(text);
        assert_eq!(formatted, expected, "source:\n{text}");
    }

    #[test]
    fn empty_and_comment_only_files() {
        expect("", "");
        expect("\n\n  \n", "");
        expect("\n\n// only a comment   \n\n\n", "// only a comment\n");
        expect("/* a */ /* b */\n\n\n// c", "/* a */\n/* b */\n\n// c\n");
    }

    #[test]
    fn blank_lines_between_declarations() {
        expect(
            "import \"a\" as a\nimport \"b\" as b\nparam x = 1\nparam y = 2\n\n\n\nparam z = 3\nlet a = 1\nlet b = 2\noutput o = a\noutput p = b\n",
            "import \"a\" as a\nimport \"b\" as b\n\nparam x = 1\nparam y = 2\n\nparam z = 3\n\nlet a = 1\nlet b = 2\n\noutput o = a\n\noutput p = b\n",
        );
        // A multi-line declaration is always set apart, even among lets.
        expect(
            "let a = 1\nlet b = { c = 1 // c\n}\nlet d = 2\n",
            "let a = 1\n\nlet b = {\n  c = 1 // c\n}\n\nlet d = 2\n",
        );
        // Comments between grouped declarations keep their own blank lines.
        expect(
            "let a = 1\n// about b\n\nlet b = 2\n",
            "let a = 1\n// about b\n\nlet b = 2\n",
        );
        // Forced separation goes before the comments of the next declaration.
        expect(
            "resource a: T {}\n/// Doc of b.\nresource b: T {}\n",
            "resource a: T {}\n\n/// Doc of b.\nresource b: T {}\n",
        );
    }

    #[test]
    fn blocks_print_one_property_per_line() {
        expect(
            "resource web: compute.Server for i in 0..3 if on { name = \"w${i}\", size = 2, }",
            "resource web: compute.Server for i in 0..3 if on {\n  name = \"w${i}\"\n  size = 2\n}\n",
        );
        expect("param p: int {   }", "param p: int {}\n");
        expect(
            "output o: string = x {\n\n\n  export = \"e\"\n\n\n  other = 1\n\n}",
            "output o: string = x {\n  export = \"e\"\n\n  other = 1\n}\n",
        );
    }

    #[test]
    fn lists_and_objects_inline_when_short() {
        expect(
            "let a = [ 1 ,2,3, ]\nlet b = {x=1 y=[ ] \"k k\"={}}\n",
            "let a = [1, 2, 3]\nlet b = { x = 1, y = [], \"k k\" = {} }\n",
        );
        // Too long: one element per line, nested values decide for themselves.
        expect(
            "let a = [\"aaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbb\", \"cccccccccccccccccccc\", [1, 2]]\n",
            "let a = [\n  \"aaaaaaaaaaaaaaaaaaaa\",\n  \"bbbbbbbbbbbbbbbbbbbb\",\n  \"cccccccccccccccccccc\",\n  [1, 2],\n]\n",
        );
        // A comment inside breaks the object; a multi-line value breaks its parents.
        expect(
            "let o = { a = 1 /* one */, b = 2 }\nlet p = [{ s = \"\"\"\n  x\n  \"\"\"\n}]\n",
            "let o = {\n  a = 1 /* one */\n  b = 2\n}\n\nlet p = [\n  {\n    s = \"\"\"\n      x\n    \"\"\"\n  },\n]\n",
        );
        // Exactly 80 columns stays inline; 81 breaks.
        let fits = format!("let a = [\"{}\"]\n", "x".repeat(68));
        assert_eq!(fits.len(), 81);
        expect(&fits, &fits);
        let long = format!("let a = [\"{}\"]\n", "x".repeat(69));
        expect(&long, &format!("let a = [\n  \"{}\",\n]\n", "x".repeat(69)));
    }

    #[test]
    fn expressions_keep_their_shape() {
        expect(
            "let a = - ( 1+2 )*3/4%5 - -6\nlet b = !x&&(y||z)==w!=v\nlet c = a<b ? \"y\" : c>=d ? \"m\" : \"n\"\nlet d = 0 .. n+1\nlet e = f( x , y ).items[ 0 ].name\n",
            "let a = -(1 + 2) * 3 / 4 % 5 - -6\nlet b = !x && (y || z) == w != v\nlet c = a < b ? \"y\" : c >= d ? \"m\" : \"n\"\nlet d = 0..n + 1\nlet e = f(x, y).items[0].name\n",
        );
        expect(
            "output a = [ for i , w in web if i>0 : w.ip ]\noutput b = { for w in web : w.name=>w.id }\n",
            "output a = [for i, w in web if i > 0: w.ip]\n\noutput b = {for w in web: w.name => w.id}\n",
        );
        expect(
            "let n = 007 + 1.50 + 2.5E-3\n",
            "let n = 7 + 1.50 + 2.5E-3\n",
        );
    }

    #[test]
    fn strings_are_re_escaped() {
        expect(
            "let s = \"tab\\t q\\\" bs\\\\ nl\\n cr\\r nul\\0 d\\${x} $ ${ a + \"${b}\" }\"\n",
            "let s = \"tab\\t q\\\" bs\\\\ nl\\n cr\\r nul\\0 d\\${x} $ ${a + \"${b}\"}\"\n",
        );
        expect(
            "resource r: \"AWS::IoT::Thing\" { \"a\\\"b\" = 1, \"\\${k}\" = 2 }",
            "resource r: \"AWS::IoT::Thing\" {\n  \"a\\\"b\" = 1\n  \"\\${k}\" = 2\n}\n",
        );
    }

    #[test]
    fn types_print_canonically() {
        expect(
            "type A = { string : [ int ] }\ntype B = {a:int,b ? :string}\ntype C = ( \"x\"|\"y\" ) ?\ntype D = {}\ntype E = {string: int,}\ntype F = network.Subnet | AWS::EC2::VPC\n",
            "type A = {string: [int]}\n\ntype B = { a: int, b?: string }\n\ntype C = (\"x\" | \"y\")?\n\ntype D = {}\n\ntype E = { string: int, }\n\ntype F = network.Subnet | AWS::EC2::VPC\n",
        );
    }

    #[test]
    fn components_targets_and_natives() {
        expect(
            "persistent component Db { param size: int = 1\n target heat { unsupported \"no\" } target terraform-aws {} }\ncomponent E { }\n",
            "persistent component Db {\n  param size: int = 1\n\n  target heat {\n    unsupported \"no\"\n  }\n\n  target terraform-aws {}\n}\n\ncomponent E {}\n",
        );
        expect(
            "volatile native \"AWS::SQS::Queue\" on cloudformation { ref = \"Url\" property Size : int? attribute \"Odd-Name\": string = \"Ref\" property \"Plain\": int }",
            "volatile native \"AWS::SQS::Queue\" on cloudformation {\n  ref = \"Url\"\n  property Size: int?\n  attribute \"Odd-Name\": string = \"Ref\"\n  property Plain: int\n}\n",
        );
    }

    #[test]
    fn comments_trailing_leading_and_dangling() {
        expect(
            "resource r: T { // after brace\n  a = 1 // after a\n  // before b\n  b = [ // after bracket\n    1, // after 1\n    // dangling in list\n  ]\n  // dangling in block\n} // after block\n",
            "resource r: T { // after brace\n  a = 1 // after a\n  // before b\n  b = [ // after bracket\n    1, // after 1\n    // dangling in list\n  ]\n  // dangling in block\n} // after block\n",
        );
        // Comments inside an expression move to the end of its line.
        expect(
            "let a = f(x, // inside a call\n  y) + /* operand */ 2\nlet b = 1\n",
            "let a = f(x, y) + 2 // inside a call\n/* operand */\nlet b = 1\n",
        );
        // Comments between a header and its brace follow the brace.
        expect(
            "resource r: T /* before brace */ {\n  a = 1\n}\nresource s: T /* empty */ {}\n",
            "resource r: T { /* before brace */\n  a = 1\n}\n\nresource s: T {} /* empty */\n",
        );
    }

    #[test]
    fn trailing_doc_comment_keeps_documenting_the_next_declaration() {
        let text = "let a = 1 /// Doc of b.\noutput b = 2 {\n  x = 1 /// Doc of y.\n  y = 2\n}\n";
        let formatted = check(text);
        assert_eq!(formatted, text);
        let file = parse_clean(&formatted);
        assert_eq!(file.items[1].doc.as_deref(), Some("Doc of b."));
    }

    #[test]
    fn moved_doc_comment_does_not_attach() {
        // `/// d` documents nothing here; once moved above `param size` it
        // must stay apart from that parameter's own doc.
        let formatted = check(
            "persistent /// d\ncomponent C {\n  /// Size.\n  param size: int\n}\nlet a = 1 + /// e\n  2\nlet b = 2\n",
        );
        assert_eq!(
            formatted,
            "persistent component C { /// d\n\n  /// Size.\n  param size: int\n}\n\nlet a = 1 + 2 /// e\n\nlet b = 2\n"
        );
    }

    #[test]
    fn multiline_strings_round_trip_exactly() {
        let cases = [
            "\"\"\"\n  line\n    deeper\n\n  last\n  \"\"\"",
            "\"\"\"\n\tindented with a tab\n\t  and more\n\"\"\"",
            "\"\"\"\n  no final break\"\"\"",
            "\"\"\"inline\"\"\"",
            "\"\"\"  leading spaces\"\"\"",
            "\"\"\"   \"\"\"",
            "\"\"\"\"\"\"",
            "\"\"\"\n\"\"\"",
            "\"\"\"\n\n\"\"\"",
            "\"\"\"\n   \n\t\n\"\"\"",
            "\"\"\"${x}\"\"\"",
            "\"\"\"${x}\n    after ${y}\n\"\"\"",
            "\"\"\"\n${x}\n\"\"\"",
            "\"\"\"\n    ${x} text\n  ${y}\"\"\"",
            "\"\"\"\n  a\n     \n  b\n\"\"\"",
            "\"\"\"\n  quotes \"\" and \\\"\"\" and end\\\"\"\"\"",
            "\"\"\"\n  ends with two \"\\\"\"\"\"",
            "\"\"\"\n  escapes \\\\ \\${x} \\t \\r \\0 \\n done\n\"\"\"",
            "\"\"\"\r\n  crlf\r\n\r\n  lines\r\n  \"\"\"",
            "\"\"\"\n  nested ${ \"\"\"\n    inner\n    \"\"\" } end\n\"\"\"",
            "\"a${ \"\"\"\n  inner\n  \"\"\" }b\"",
        ];
        for case in cases {
            check(&format!("let s = {case}\n"));
            check(&format!(
                "component C {{ target t {{ resource r: T {{ v = [{case}] }} }} }}\n"
            ));
        }
        expect(
            "resource r: T {\n  user_data = [\"\"\"\n#!/bin/sh\n  echo ${x}\n\"\"\"]\n}\n",
            "resource r: T {\n  user_data = [\n    \"\"\"\n      #!/bin/sh\n        echo ${x}\n    \"\"\",\n  ]\n}\n",
        );
    }

    #[test]
    fn broken_declarations_are_printed_verbatim() {
        let text = "let a = 1\nlet b = = 2\nlet c = 3\n";
        let (file, diagnostics) = parse(FileId(0), text);
        assert!(!diagnostics.is_empty());
        assert_eq!(format(&file, text), "let a = 1\nlet b = = 2\nlet c = 3\n");
    }

    #[test]
    fn deep_nesting_within_the_parser_limits() {
        let depth = crate::syntax::scan::MAX_NESTING - 2;
        let lists = format!(
            "let a = {}1 // c\n{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        check(&lists);
        let objects = format!(
            "let o = {}1{}\n",
            "{ a = ".repeat(depth),
            " }".repeat(depth)
        );
        check(&objects);
        let chain = (0..200)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        check(&format!("let s = {chain}\nlet t = [{chain}]\n"));
    }
}
