//! The front end: text to AST, never failing.
//!
//! pest is kept behind [`parse`] so it can be replaced without touching the
//! rest of the compiler.

pub mod ast;
mod errors;
mod grammar;
mod lower;
pub mod scan;

use pest::Parser;

use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, Span};
use ast::{Comment, CommentKind, Item, ItemKind, SourceFile};
use grammar::{InfraParser, Rule};

pub use lower::MAX_EXPR_DEPTH;

/// Parses one file. Always returns a tree; broken declarations become
/// [`ItemKind::Error`] items with their diagnostics.
pub fn parse(file: FileId, text: &str) -> (SourceFile, Vec<Diagnostic>) {
    let whole = Span::new(file, 0, text.len());
    let empty = |diagnostics| {
        (
            SourceFile {
                items: Vec::new(),
                comments: Vec::new(),
                span: whole,
            },
            diagnostics,
        )
    };
    let starts = match scan::scan(file, text) {
        Ok(starts) => starts,
        Err(error) => return empty(vec![errors::scan_error(error)]),
    };
    let mut lowerer = lower::Lowerer::new(file, text);
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    for (start, end) in starts.iter().copied().zip(ends) {
        let pairs = match InfraParser::parse(Rule::file, &text[start..end]) {
            Ok(pairs) => pairs,
            Err(error) => return empty(vec![errors::pest_error(file, text, start, &error)]),
        };
        lowerer.base = start;
        lowerer.comments.extend(
            pairs
                .clone()
                .flatten()
                .filter(|p| p.as_rule() == Rule::COMMENT)
                .map(|p| comment(file, start, &p)),
        );
        let top = pairs.flat_map(|file| file.into_inner());
        for pair in top.filter(|p| !matches!(p.as_rule(), Rule::COMMENT | Rule::EOI)) {
            if pair.as_rule() == Rule::bad_item {
                let s = pair.as_span();
                let span = Span::new(file, start + s.start(), start + s.end());
                let previous = items
                    .last()
                    .filter(|i: &&Item| !matches!(i.kind, ItemKind::Error))
                    .map(|i| i.span.start as usize);
                diagnostics.push(errors::chunk_error(
                    file,
                    text,
                    span.start as usize,
                    previous,
                ));
                items.push(Item {
                    doc: None,
                    kind: ItemKind::Error,
                    span,
                });
            } else {
                items.push(lowerer.item(pair));
            }
        }
    }
    let comments = std::mem::take(&mut lowerer.comments);
    diagnostics.extend(lowerer.into_diagnostics());
    diagnostics.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
    (
        SourceFile {
            items,
            comments,
            span: whole,
        },
        diagnostics,
    )
}

fn comment(file: FileId, base: usize, pair: &pest::iterators::Pair<Rule>) -> Comment {
    let s = pair.as_span();
    let text = pair.as_str();
    let kind = if text.starts_with("/*") {
        CommentKind::Block
    } else if text.starts_with("///") && !text.starts_with("////") {
        CommentKind::Doc
    } else {
        CommentKind::Line
    };
    Comment {
        kind,
        text: text.trim_end().to_string(),
        span: Span::new(file, base + s.start(), base + s.end()),
    }
}

/// Decodes a file's bytes, or explains where they stop being UTF-8.
pub fn decode(file: FileId, bytes: Vec<u8>) -> Result<String, Box<Diagnostic>> {
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        Box::new(
            Diagnostic::new(
                &codes::E0005,
                Span::new(file, offset, offset),
                format!("file is not valid UTF-8: invalid byte at offset {offset}"),
            )
            .label("invalid UTF-8 starts here")
            .help("save the file as UTF-8"),
        )
    })
}
