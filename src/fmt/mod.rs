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
//!   `native "TYPE" on TARGET {` with members
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
//!
//! # Files
//!
//! This file holds [`format()`] and the printer's output, source and comment
//! machinery; `items` prints declarations, `exprs` expressions, `strings`
//! string literals, and `tests` holds the round-trip tests.

mod exprs;
mod items;
mod strings;
#[cfg(test)]
mod tests;

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
}
