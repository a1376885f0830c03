//! The front end: text to AST, never failing.
//!
//! pest is kept behind [`parse`] so it can be replaced without touching the
//! rest of the compiler. A hand-written parser (`fast.rs`) reads valid files
//! an order of magnitude faster and gives the same tree; anything it does not
//! accept cleanly goes through pest, which produces the diagnostics.

pub mod ast;
mod errors;
mod fast;
mod grammar;
mod lower;
pub mod scan;

use pest::Parser;

use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, Span};
use ast::{Comment, CommentKind, Item, ItemKind, SourceFile};
use grammar::{InfraParser, Rule};

pub use lower::{MAX_EXPR_DEPTH, MAX_EXPR_TREE};

/// Parses one file. Always returns a tree; broken declarations become
/// [`ItemKind::Error`] items with their diagnostics.
///
/// A valid file is read by the hand-written parser; a file it gives up on
/// (every file with an error, and a few valid ones it is unsure of) by pest,
/// whose tree is the same and whose diagnostics are the ones reported.
pub fn parse(file: FileId, text: &str) -> (SourceFile, Vec<Diagnostic>) {
    parse_targets(file, text, None)
}

/// [`parse`] for a build for `targets` alone (by name, `terraform-aws`):
/// the `target` blocks of other targets are skipped unread, each kept with
/// no items, so that a component still shows which targets it has a form
/// on. For the stdlib's files, which hold a block for every target: they
/// are tested to parse cleanly, so the hand-written parser reads each
/// whole, without the scan that finds where a file's declarations start
/// and what would stop pest; should it give up, the file is read as any
/// other. A build reads no doc of the stdlib (only the entry file's params
/// and outputs have theirs in a template): its comments are skipped, not
/// kept, and its declarations have no doc.
pub fn parse_for(file: FileId, text: &str, targets: &[&str]) -> (SourceFile, Vec<Diagnostic>) {
    parse_for_without(file, text, targets, &[])
}

/// [`parse_for`] without the declarations that start in `gaps` (sorted
/// byte ranges, each ending where a declaration does): the stdlib
/// components a program cannot reach (`stdlib::Reach`).
pub fn parse_for_without(
    file: FileId,
    text: &str,
    targets: &[&str],
    gaps: &[(usize, usize)],
) -> (SourceFile, Vec<Diagnostic>) {
    match fast::parse(file, text, &[0], Some(targets), false, gaps) {
        Some(tree) => (tree, Vec::new()),
        None => parse_targets(file, text, Some(targets)),
    }
}

fn parse_targets(
    file: FileId,
    text: &str,
    targets: Option<&[&str]>,
) -> (SourceFile, Vec<Diagnostic>) {
    let starts = match scan::scan(file, text) {
        Ok(starts) => starts,
        Err(error) => return empty(file, text, vec![errors::scan_error(error)]),
    };
    match fast::parse(file, text, &starts, targets, true, &[]) {
        Some(tree) => (tree, Vec::new()),
        None => parse_chunks(file, text, &starts),
    }
}

/// [`parse`] through pest alone, for tests that compare both parsers.
#[doc(hidden)]
pub fn parse_with_pest(file: FileId, text: &str) -> (SourceFile, Vec<Diagnostic>) {
    match scan::scan(file, text) {
        Ok(starts) => parse_chunks(file, text, &starts),
        Err(error) => empty(file, text, vec![errors::scan_error(error)]),
    }
}

/// The hand-written parser alone: `None` where [`parse`] would use pest.
#[doc(hidden)]
pub fn parse_fast(file: FileId, text: &str) -> Option<SourceFile> {
    let starts = scan::scan(file, text).ok()?;
    fast::parse(file, text, &starts, None, true, &[])
}

fn empty(file: FileId, text: &str, diagnostics: Vec<Diagnostic>) -> (SourceFile, Vec<Diagnostic>) {
    (
        SourceFile {
            items: Vec::new(),
            comments: Vec::new(),
            span: Span::new(file, 0, text.len()),
        },
        diagnostics,
    )
}

/// pest, one chunk (from one declaration start to the next) at a time.
fn parse_chunks(file: FileId, text: &str, starts: &[usize]) -> (SourceFile, Vec<Diagnostic>) {
    let whole = Span::new(file, 0, text.len());
    let mut lowerer = lower::Lowerer::new(file, text);
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    for (start, end) in starts.iter().copied().zip(ends) {
        let pairs = match InfraParser::parse(Rule::file, &text[start..end]) {
            Ok(pairs) => pairs,
            Err(error) => {
                return empty(
                    file,
                    text,
                    vec![errors::pest_error(file, text, start, &error)],
                );
            }
        };
        lowerer.base = start;
        lowerer.comments.extend(
            pairs
                .clone()
                .flatten()
                .filter(|p| p.as_rule() == Rule::COMMENT)
                .map(|p| comment(file, start + p.as_span().start(), p.as_str())),
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

/// The comment `text` found at `start`.
fn comment(file: FileId, start: usize, text: &str) -> Comment {
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
        span: Span::new(file, start, start + text.len()),
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
