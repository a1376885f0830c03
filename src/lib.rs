//! Infra: a compiler for infrastructure as code.
//!
//! The pipeline (see `ARCHITECTURE.md`): [`syntax::parse`] turns text into an
//! AST; later phases resolve, type-check and lower it. Every phase returns
//! its result with diagnostics; only `main.rs` prints.

pub mod diagnostics;
pub mod fmt;
pub mod graph;
pub mod params;
pub mod sema;
pub mod source;
pub mod stdlib;
pub mod suggest;
pub mod syntax;
pub mod workspace;

use diagnostics::Diagnostic;
use source::{FileId, SourceDb};
use syntax::ast;

/// One parsed file of a compilation.
pub struct Parsed {
    pub file: FileId,
    pub ast: ast::SourceFile,
}

/// The result of checking a set of files.
pub struct Checked {
    pub db: SourceDb,
    pub files: Vec<Parsed>,
    pub diagnostics: Vec<Diagnostic>,
}

fn empty_program(file: FileId, len: usize) -> Diagnostic {
    Diagnostic::new(
        &diagnostics::codes::E0009,
        source::Span::new(file, 0, len),
        "the program declares nothing",
    )
    .label("no declarations in this file")
    .note(
        "every checked file is compiled to a template, and a template needs at least one resource",
    )
    .help("declare a resource, or remove the file from the paths given to `infra`")
}

/// Parses and checks the given files, reading them from disk.
pub fn check(paths: &[std::path::PathBuf]) -> Result<Checked, workspace::IoError> {
    let mut db = SourceDb::new();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        let (file, decoded) = workspace::load(&mut db, path)?;
        match decoded {
            Ok(text) => {
                let (ast, diags) = syntax::parse(file, &text);
                if ast.items.is_empty() && diags.is_empty() {
                    diagnostics.push(empty_program(file, text.len()));
                }
                if !diagnostics::has_errors(&diags) {
                    diagnostics.extend(sema::resolve::resolve(&ast));
                }
                diagnostics.extend(diags);
                files.push(Parsed { file, ast });
            }
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    Ok(Checked {
        db,
        files,
        diagnostics,
    })
}
