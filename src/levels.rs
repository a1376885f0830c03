//! Diagnostic levels: `--allow`, `--warn` and `--deny` (of a code, or of
//! every warning with `warnings`), the same in `infra.toml`'s
//! `[diagnostics]`, and suppression comments in programs:
//!
//! ```infra
//! // infra: allow W0202
//! resource sensor: "AWS::IoT::Thing" { ... }
//! ```
//!
//! A suppression comment allows the codes it names on the next line that is
//! not a comment; one that allows nothing is itself a warning (W0010), one
//! that names no warning or note a warning too (W0011). A suppression
//! comment wins over the levels; a level given for a code wins over one
//! given for `warnings`. Errors are never lowered; `deny warnings` raises
//! warnings, not notes.

use std::collections::HashMap;

use crate::diagnostics::{Diagnostic, Severity, codes};
use crate::source::{FileId, SourceDb, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported with the code's own severity.
    Warn,
    /// Reported as an error: the command fails.
    Deny,
}

impl Level {
    fn flag(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// The group name every warning answers to.
pub const WARNINGS: &str = "warnings";

/// Levels by code, and for every warning; each with where it was given, for
/// the note on a denied diagnostic.
#[derive(Clone, Debug, Default)]
pub struct Levels {
    warnings: Option<(Level, String)>,
    codes: HashMap<&'static str, (Level, String)>,
}

impl Levels {
    /// Sets the level of `what` (a code, or `warnings`); a later setting
    /// replaces an earlier one. `origin` says where it was given. An unknown
    /// code, or an error lowered, is refused with the reason.
    pub fn set(&mut self, what: &str, level: Level, origin: &str) -> Result<(), String> {
        if what == WARNINGS {
            self.warnings = Some((level, origin.to_string()));
            return Ok(());
        }
        let Some(code) = codes::find(what) else {
            let known = codes::ALL.iter().map(|c| c.id).chain([WARNINGS]);
            let hint = crate::suggest::best_match(&what.to_uppercase(), known)
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            return Err(format!(
                "no diagnostic code `{what}` (`infra explain --list` lists them){hint}"
            ));
        };
        if code.severity == Severity::Error && level != Level::Deny {
            return Err(format!(
                "`{}` is an error: errors cannot be given the level `{}`",
                code.id,
                level.flag()
            ));
        }
        self.codes.insert(code.id, (level, origin.to_string()));
        Ok(())
    }

    /// `self` with `over`'s settings on top (the command line over
    /// `infra.toml`), code by code and for `warnings`.
    pub fn overridden_by(mut self, over: &Levels) -> Levels {
        if let Some(warnings) = &over.warnings {
            self.warnings = Some(warnings.clone());
        }
        for (code, level) in &over.codes {
            self.codes.insert(code, level.clone());
        }
        self
    }

    /// The level of a diagnostic, with where it was given; `None` when
    /// nothing was given for it.
    fn of(&self, diagnostic: &Diagnostic) -> Option<&(Level, String)> {
        self.codes
            .get(diagnostic.code.id)
            .or(match diagnostic.severity {
                Severity::Warning => self.warnings.as_ref(),
                _ => None,
            })
    }
}

/// A suppression comment: the codes it allows and the line it applies to.
struct Suppression {
    file: FileId,
    /// The zero-based line of the first line after it that is not a comment.
    line: usize,
    /// Each code as written, with its span.
    codes: Vec<(String, Span)>,
}

/// The prefix of a suppression comment, after `//` and spaces.
const MARKER: &str = "infra: allow";

/// The suppression comments of a file: lines whose text is only
/// `// infra: allow CODE[, CODE]...`.
fn suppressions(file: FileId, text: &str) -> Vec<Suppression> {
    let mut found = Vec::new();
    let mut pending: Vec<(String, Span)> = Vec::new();
    let mut offset = 0;
    for (line, content) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += content.len();
        let trimmed = content.trim_start();
        let Some(comment) = trimmed.strip_prefix("//") else {
            if !pending.is_empty() && !trimmed.trim().is_empty() {
                found.push(Suppression {
                    file,
                    line,
                    codes: std::mem::take(&mut pending),
                });
            }
            continue;
        };
        // A doc comment (`///`) is documentation, never a suppression.
        if comment.starts_with('/') {
            continue;
        }
        let body = comment.trim_start();
        let Some(list) = body.strip_prefix(MARKER) else {
            continue;
        };
        let mut at = start + (content.len() - trimmed.len()) + 2 + (comment.len() - body.len());
        at += MARKER.len();
        let mut rest = list;
        while !rest.is_empty() {
            let skip = rest
                .find(|c: char| !(c.is_whitespace() || c == ','))
                .unwrap_or(rest.len());
            at += skip;
            rest = &rest[skip..];
            let len = rest
                .find(|c: char| c.is_whitespace() || c == ',')
                .unwrap_or(rest.len());
            if len > 0 {
                let span = Span::new(file, at, at + len);
                pending.push((rest[..len].to_string(), span));
            }
            at += len;
            rest = &rest[len..];
        }
    }
    // At the end of the file, it allows nothing.
    if !pending.is_empty() {
        found.push(Suppression {
            file,
            line: usize::MAX,
            codes: pending,
        });
    }
    found
}

/// The diagnostics as the levels and the suppression comments of the
/// program's own files (those read from disk) have them: allowed ones
/// dropped, denied ones made errors, and a warning for each suppression
/// that allows nothing or names what cannot be allowed.
pub fn apply(db: &SourceDb, diagnostics: Vec<Diagnostic>, levels: &Levels) -> Vec<Diagnostic> {
    apply_by_file(db, diagnostics, &|_| levels, &[])
}

/// [`apply`] with the levels of each file: those of the project it belongs
/// to, when a compilation spans several. `built` are the targets the
/// diagnostics come from, empty for every target: a suppression of a code
/// only another target reports is not said to allow nothing.
pub fn apply_by_file<'l>(
    db: &SourceDb,
    diagnostics: Vec<Diagnostic>,
    levels_of: &dyn Fn(FileId) -> &'l Levels,
    built: &[crate::ir::Target],
) -> Vec<Diagnostic> {
    let reportable = |code: &crate::diagnostics::Code| {
        built.is_empty()
            || crate::ir::Target::reporting(code.id)
                .is_none_or(|owners| owners.iter().any(|t| built.contains(t)))
    };
    let mut comments = Vec::new();
    for index in 0..db.len() {
        let file = FileId(index as u32);
        let source = db.get(file);
        let is_program =
            source.path.is_some() && !source.name.ends_with(crate::project::PROJECT_FILE);
        if is_program && source.text.contains(MARKER) {
            comments.extend(suppressions(file, &source.text));
        }
    }
    let mut used: Vec<Vec<bool>> = comments
        .iter()
        .map(|c| vec![false; c.codes.len()])
        .collect();
    let mut kept = Vec::new();
    'diagnostics: for mut diagnostic in diagnostics {
        if diagnostic.severity != Severity::Error {
            let span = diagnostic.primary.span;
            let line = db.get(span.file).line_col(span.start as usize).0;
            for (comment, used) in comments.iter().zip(&mut used) {
                if comment.file != span.file || comment.line != line {
                    continue;
                }
                if let Some(i) = comment
                    .codes
                    .iter()
                    .position(|(code, _)| code.eq_ignore_ascii_case(diagnostic.code.id))
                {
                    used[i] = true;
                    continue 'diagnostics;
                }
            }
        }
        match levels_of(diagnostic.primary.span.file).of(&diagnostic) {
            Some((Level::Allow, _)) if diagnostic.severity != Severity::Error => continue,
            Some((Level::Deny, origin)) if diagnostic.severity != Severity::Error => {
                diagnostic.severity = Severity::Error;
                diagnostic
                    .notes
                    .push(format!("an error here: {origin} denies it"));
            }
            _ => {}
        }
        kept.push(diagnostic);
    }
    for (comment, used) in comments.iter().zip(used) {
        for ((written, span), used) in comment.codes.iter().zip(used) {
            let found = match codes::find(written) {
                None => Some(
                    Diagnostic::new(
                        &codes::W0011,
                        *span,
                        format!("`{written}` is not a diagnostic code"),
                    )
                    .label("no such code")
                    .did_you_mean(&written.to_uppercase(), codes::ALL.iter().map(|c| c.id)),
                ),
                Some(code) if code.severity == Severity::Error => Some(
                    Diagnostic::new(
                        &codes::W0011,
                        *span,
                        format!("`{}` is an error, which cannot be allowed", code.id),
                    )
                    .label("an error code")
                    .help("fix what the error reports; only warnings and notes are allowed"),
                ),
                Some(code) if !used && reportable(code) => Some(
                    Diagnostic::new(
                        &codes::W0010,
                        *span,
                        format!("`{}` is allowed here, but nothing reports it", code.id),
                    )
                    .label("allows nothing")
                    .note("a suppression comment allows the codes it names on the next line that is not a comment")
                    .help("remove the code from the comment, or move the comment to the line before the one reported"),
                ),
                Some(_) => None,
            };
            // The suppression's own warnings answer to the levels too.
            if let Some(mut diagnostic) = found {
                match levels_of(comment.file).of(&diagnostic) {
                    Some((Level::Allow, _)) => continue,
                    Some((Level::Deny, origin)) => {
                        diagnostic.severity = Severity::Error;
                        diagnostic
                            .notes
                            .push(format!("an error here: {origin} denies it"));
                    }
                    _ => {}
                }
                kept.push(diagnostic);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_of(text: &str) -> (SourceDb, FileId) {
        let mut db = SourceDb::new();
        let file = db.add(
            "main.infra",
            Some(std::path::Path::new("main.infra")),
            text.to_string(),
        );
        (db, file)
    }

    fn warning(file: FileId, at: usize) -> Diagnostic {
        Diagnostic::new(&codes::W0202, Span::new(file, at, at + 1), "unchecked")
    }

    #[test]
    fn a_comment_allows_the_next_line_that_is_not_a_comment() {
        let text =
            "// infra: allow W0202, W0101\n/// Docs.\nresource a: \"X\" {}\nresource b: \"Y\" {}\n";
        let (db, file) = db_of(text);
        let first = text.find("resource a").unwrap();
        let second = text.find("resource b").unwrap();
        let kept = apply(
            &db,
            vec![warning(file, first), warning(file, second)],
            &Levels::default(),
        );
        let ids: Vec<_> = kept.iter().map(|d| (d.code.id, d.primary.span)).collect();
        let w0101 = text.find("W0101").unwrap();
        assert_eq!(
            ids,
            [
                ("W0202", Span::new(file, second, second + 1)),
                ("W0010", Span::new(file, w0101, w0101 + 5)),
            ]
        );
    }

    #[test]
    fn levels_allow_deny_and_codes_win_over_warnings() {
        let (db, file) = db_of("x\n");
        let mut levels = Levels::default();
        levels
            .set(WARNINGS, Level::Deny, "`--deny warnings`")
            .unwrap();
        let denied = apply(&db, vec![warning(file, 0)], &levels);
        assert_eq!(denied[0].severity, Severity::Error);
        assert!(denied[0].notes[0].contains("--deny warnings"));
        levels
            .set("w0202", Level::Allow, "`--allow W0202`")
            .unwrap();
        assert!(apply(&db, vec![warning(file, 0)], &levels).is_empty());
        // Notes are not warnings.
        let note = Diagnostic::new(&codes::W0531, Span::new(file, 0, 1), "n");
        let mut deny_all = Levels::default();
        deny_all.set(WARNINGS, Level::Deny, "").unwrap();
        assert_eq!(
            apply(&db, vec![note], &deny_all)[0].severity,
            Severity::Note
        );
        assert!(levels.set("E0201", Level::Allow, "").is_err());
        assert!(levels.set("W9999", Level::Deny, "").is_err());
        assert!(levels.set("E0201", Level::Deny, "").is_ok());
    }
}
