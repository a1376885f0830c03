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
    if let Some(error) = scan::scan(file, text) {
        return empty(vec![errors::scan_error(error)]);
    }
    let pairs = match InfraParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => return empty(vec![errors::pest_error(file, text, 0, &error)]),
    };
    let mut lowerer = lower::Lowerer::new(file, text);
    lowerer.comments = pairs
        .clone()
        .flatten()
        .filter(|p| p.as_rule() == Rule::COMMENT)
        .map(|p| {
            let s = p.as_span();
            let text = p.as_str();
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
                span: Span::new(file, s.start(), s.end()),
            }
        })
        .collect();
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    let top = pairs.flat_map(|file| file.into_inner());
    for pair in top.filter(|p| !matches!(p.as_rule(), Rule::COMMENT | Rule::EOI)) {
        if pair.as_rule() == Rule::bad_item {
            let s = pair.as_span();
            let span = Span::new(file, s.start(), s.end());
            let previous = items
                .last()
                .filter(|i: &&Item| !matches!(i.kind, ItemKind::Error))
                .map(|i| i.span.start as usize);
            diagnostics.push(errors::chunk_error(file, text, s.start(), previous));
            items.push(Item {
                doc: None,
                kind: ItemKind::Error,
                span,
            });
        } else {
            items.push(lowerer.item(pair));
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
