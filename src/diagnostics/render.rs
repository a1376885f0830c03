//! Human-readable rendering through codespan-reporting: the only module that
//! uses it.

use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor::Ansi};

use super::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceDb, SourceFile, Span};

/// Renders diagnostics as text, with ANSI colours when `color` is true.
///
/// Each diagnostic is followed by a blank line. Without colour the output is
/// plain text and depends only on the diagnostics and the sources.
pub fn human(db: &SourceDb, diagnostics: &[Diagnostic], color: bool) -> String {
    let files = DbFiles(db);
    let config = Config::default();
    let styles = Styles::default();
    let mut out = String::new();
    for diagnostic in diagnostics {
        let converted = convert(db, diagnostic);
        let rendered = if color {
            let mut ansi = Ansi::new(Vec::new());
            let mut writer = StylesWriter::new(&mut ansi, &styles);
            term::emit_to_write_style(&mut writer, &config, &files, &converted)
                .map(|()| String::from_utf8_lossy(&ansi.into_inner()).into_owned())
        } else {
            term::emit_into_string(&config, &files, &converted).map(|text| trim_lines(&text))
        };
        match rendered {
            Ok(text) => out.push_str(&text),
            // The spans could not be shown; the message and notes still can.
            Err(_) => out.push_str(&fallback(diagnostic)),
        }
    }
    out
}

/// The closing line, such as `2 errors, 1 warning emitted`; `None` when there
/// is nothing to count.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let count = |severity| {
        diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let parts: Vec<String> = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Note, "note"),
    ]
    .into_iter()
    .filter_map(|(severity, word)| match count(severity) {
        0 => None,
        1 => Some(format!("1 {word}")),
        n => Some(format!("{n} {word}s")),
    })
    .collect();
    if parts.is_empty() {
        None
    } else {
        Some(format!("{} emitted", parts.join(", ")))
    }
}

/// Drops the spaces codespan leaves at the ends of some lines, so plain
/// output survives editors and snapshot files unchanged.
fn trim_lines(text: &str) -> String {
    text.lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
}

fn convert(db: &SourceDb, diagnostic: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(label) = label(db, cs::LabelStyle::Primary, &diagnostic.primary) {
        labels.push(label);
    }
    labels.extend(
        diagnostic
            .secondary
            .iter()
            .filter_map(|l| label(db, cs::LabelStyle::Secondary, l)),
    );
    let notes = diagnostic
        .notes
        .iter()
        .map(|n| format!("note: {n}"))
        .chain(diagnostic.help.iter().map(|h| format!("help: {h}")))
        .collect();
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.id)
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// A codespan label, or `None` for a span in a file the database lacks.
fn label(db: &SourceDb, style: cs::LabelStyle, label: &Label) -> Option<cs::Label<FileId>> {
    let file = file(db, label.span.file)?;
    Some(
        cs::Label::new(style, label.span.file, clamp(file, label.span))
            .with_message(&label.message),
    )
}

/// The span's range moved inside the text and onto character boundaries, so
/// a slightly wrong span still renders instead of failing.
fn clamp(file: &SourceFile, span: Span) -> Range<usize> {
    let text = &file.text;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start as usize);
    let end = floor(span.end as usize).max(start);
    start..end
}

fn file(db: &SourceDb, id: FileId) -> Option<&SourceFile> {
    ((id.0 as usize) < db.len()).then(|| db.get(id))
}

fn fallback(diagnostic: &Diagnostic) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let mut text = format!(
        "{severity}[{}]: {}\n",
        diagnostic.code.id, diagnostic.message
    );
    for note in &diagnostic.notes {
        text.push_str(&format!("  = note: {note}\n"));
    }
    for help in &diagnostic.help {
        text.push_str(&format!("  = help: {help}\n"));
    }
    text.push('\n');
    text
}

/// The source database seen through codespan's [`Files`] interface.
struct DbFiles<'db>(&'db SourceDb);

impl<'db> DbFiles<'db> {
    fn file(&self, id: FileId) -> Result<&'db SourceFile, FilesError> {
        file(self.0, id).ok_or(FilesError::FileMissing)
    }
}

impl<'a> Files<'a> for DbFiles<'_> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.file(id)?.name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.file(id)?.text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let starts = self.file(id)?.line_starts();
        Ok(starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next - 1))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.file(id)?;
        let starts = file.line_starts();
        let line_start = |index: usize| match index.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[index]),
            std::cmp::Ordering::Equal => Ok(file.text.len()),
            std::cmp::Ordering::Greater => Err(FilesError::LineTooLarge {
                given: index,
                max: starts.len() - 1,
            }),
        };
        Ok(line_start(line_index)?..line_start(line_index + 1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::codes;

    fn sample() -> (SourceDb, Vec<Diagnostic>) {
        let mut db = SourceDb::new();
        let text = "let a = 1\nlet b = a +\nlet c = 3\n".to_string();
        let file = db.add("main.infra", None, text);
        let diagnostic = Diagnostic::new(
            &codes::E0001,
            Span::new(file, 20, 21),
            "expected an expression, found end of line",
        )
        .label("expected an expression")
        .secondary(Span::new(file, 14, 15), "this binding is unfinished")
        .note("an operator needs a right operand")
        .help("finish the expression or remove the `+`");
        (db, vec![diagnostic])
    }

    #[test]
    fn plain_text_has_code_location_labels_notes_and_help() {
        let (db, diagnostics) = sample();
        let text = human(&db, &diagnostics, false);
        assert!(
            text.contains("error[E0001]: expected an expression, found end of line"),
            "{text}"
        );
        assert!(text.contains("main.infra:2:11"), "{text}");
        assert!(text.contains("expected an expression\n"), "{text}");
        assert!(text.contains("this binding is unfinished"), "{text}");
        assert!(
            text.contains("= note: an operator needs a right operand"),
            "{text}"
        );
        assert!(
            text.contains("= help: finish the expression or remove the `+`"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.lines().all(|l| l == l.trim_end()), "{text}");
        assert!(text.ends_with("\n\n"), "{text}");
    }

    #[test]
    fn plain_text_is_deterministic() {
        let (db, diagnostics) = sample();
        assert_eq!(
            human(&db, &diagnostics, false),
            human(&db, &diagnostics, false)
        );
    }

    #[test]
    fn color_adds_ansi_escapes() {
        let (db, diagnostics) = sample();
        let text = human(&db, &diagnostics, true);
        assert!(text.contains('\u{1b}'), "{text}");
        assert!(text.contains("E0001"), "{text}");
    }

    #[test]
    fn bad_spans_still_render() {
        let mut db = SourceDb::new();
        let file = db.add("é.infra", None, "let é = 1".to_string());
        let diagnostics = vec![
            // Inside the two bytes of `é`, and past the end of the text.
            Diagnostic::new(&codes::E0001, Span::new(file, 5, 50), "odd span").label("here"),
            Diagnostic::new(&codes::E0001, Span::new(FileId(7), 0, 1), "missing file")
                .help("still shown"),
        ];
        let text = human(&db, &diagnostics, false);
        assert!(text.contains("error[E0001]: odd span"), "{text}");
        assert!(text.contains("é.infra:1:5"), "{text}");
        assert!(text.contains("error[E0001]: missing file"), "{text}");
        assert!(text.contains("= help: still shown"), "{text}");
    }

    #[test]
    fn empty_file_and_end_of_file_spans_render() {
        let mut db = SourceDb::new();
        let file = db.add("empty.infra", None, String::new());
        let diagnostics = vec![Diagnostic::new(
            &codes::E0001,
            Span::new(file, 0, 0),
            "empty",
        )];
        let text = human(&db, &diagnostics, false);
        assert!(text.contains("empty.infra:1:1"), "{text}");
    }

    #[test]
    fn summary_counts_by_severity() {
        let (_, mut diagnostics) = sample();
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&diagnostics).as_deref(), Some("1 error emitted"));
        let mut warning = diagnostics[0].clone();
        warning.severity = Severity::Warning;
        diagnostics.push(diagnostics[0].clone());
        diagnostics.push(warning);
        assert_eq!(
            summary(&diagnostics).as_deref(),
            Some("2 errors, 1 warning emitted")
        );
    }
}
