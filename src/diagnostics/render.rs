//! Human-readable rendering through codespan-reporting: the only module that
//! uses it. Control characters of sources, file names and messages are
//! shown escaped ([`escape_controls`]), never sent to the terminal.

use std::borrow::Cow;
use std::collections::HashMap;
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
    let mut escaped = HashMap::new();
    for diagnostic in diagnostics {
        for label in std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary) {
            let id = label.span.file;
            if let (Some(file), false) = (file(db, id), escaped.contains_key(&id)) {
                escaped.insert(id, Escaped::of(file));
            }
        }
    }
    let files = DbFiles { db, escaped };
    let config = Config::default();
    let styles = Styles::default();
    let mut out = String::new();
    for diagnostic in diagnostics {
        let converted = convert(&files, diagnostic);
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
            Err(_) => out.push_str(&escape_controls(&fallback(diagnostic))),
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

/// Text safe to print to a terminal: each control character (but a newline,
/// a tab, and a carriage return before a newline) and each bidirectional
/// override or isolate written as an escape, `\x1b` or `\u{202e}`, so that
/// a source line or a file name cannot move the cursor, change colours or
/// reorder what is shown.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let mut chars = text.char_indices().peekable();
    let mut out: Option<String> = None;
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if let Some(escape) = escape(c, next) {
            out.get_or_insert_with(|| text[..at].to_string())
                .push_str(&escape);
        } else if let Some(out) = &mut out {
            out.push(c);
        }
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// The escape `c` is shown as, followed by `next`; `None` when it is shown
/// as itself.
fn escape(c: char, next: Option<char>) -> Option<String> {
    let shown = match c {
        '\n' | '\t' => false,
        '\r' => next != Some('\n'),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    };
    match (shown, c as u32) {
        (false, _) => None,
        (true, n @ 0..0x80) => Some(format!("\\x{n:02x}")),
        (true, n) => Some(format!("\\u{{{n:x}}}")),
    }
}

/// A file's name and text with their control characters escaped, and where
/// each escape moved the text after it.
struct Escaped {
    name: String,
    text: String,
    line_starts: Vec<usize>,
    /// For each escaped character, its offset in the file and how many
    /// bytes the text after it moved, in all.
    shifts: Vec<(usize, usize)>,
}

impl Escaped {
    /// `None` when nothing in the file needs escaping.
    fn of(file: &SourceFile) -> Option<Escaped> {
        let name = escape_controls(&file.name);
        let mut text = String::new();
        let mut shifts = Vec::new();
        let mut chars = file.text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            match escape(c, next) {
                Some(escape) => {
                    let moved = shifts.last().map_or(0, |&(_, m)| m);
                    shifts.push((at, moved + escape.len() - c.len_utf8()));
                    text.push_str(&escape);
                }
                None => text.push(c),
            }
        }
        if shifts.is_empty() && matches!(name, Cow::Borrowed(_)) {
            return None;
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Some(Escaped {
            name: name.into_owned(),
            text,
            line_starts,
            shifts,
        })
    }

    /// Where an offset of the file is in the escaped text.
    fn offset(&self, offset: usize) -> usize {
        let before = self.shifts.partition_point(|&(at, _)| at < offset);
        offset + before.checked_sub(1).map_or(0, |i| self.shifts[i].1)
    }
}

fn convert(files: &DbFiles, diagnostic: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let mut labels = Vec::new();
    if let Some(label) = label(files, cs::LabelStyle::Primary, &diagnostic.primary) {
        labels.push(label);
    }
    labels.extend(
        diagnostic
            .secondary
            .iter()
            .filter_map(|l| label(files, cs::LabelStyle::Secondary, l)),
    );
    let notes = diagnostic
        .notes
        .iter()
        .map(|n| format!("note: {}", escape_controls(n)))
        .chain((diagnostic.help.iter()).map(|h| format!("help: {}", escape_controls(h))))
        .collect();
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.id)
        .with_message(escape_controls(&diagnostic.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// A codespan label, or `None` for a span in a file the database lacks.
fn label(files: &DbFiles, style: cs::LabelStyle, label: &Label) -> Option<cs::Label<FileId>> {
    let id = label.span.file;
    let mut range = clamp(file(files.db, id)?, label.span);
    if let Some(escaped) = files.escaped(id) {
        range = escaped.offset(range.start)..escaped.offset(range.end);
    }
    Some(cs::Label::new(style, id, range).with_message(escape_controls(&label.message)))
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

/// The source database seen through codespan's [`Files`] interface, with
/// the files that need it escaped.
struct DbFiles<'db> {
    db: &'db SourceDb,
    escaped: HashMap<FileId, Option<Escaped>>,
}

impl<'db> DbFiles<'db> {
    fn file(&self, id: FileId) -> Result<&'db SourceFile, FilesError> {
        file(self.db, id).ok_or(FilesError::FileMissing)
    }

    fn escaped(&self, id: FileId) -> Option<&Escaped> {
        self.escaped.get(&id).and_then(Option::as_ref)
    }
}

impl<'a> Files<'a> for DbFiles<'_> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        match self.escaped(id) {
            Some(escaped) => Ok(&escaped.name),
            None => Ok(&self.file(id)?.name),
        }
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        match self.escaped(id) {
            Some(escaped) => Ok(&escaped.text),
            None => Ok(&self.file(id)?.text),
        }
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let starts = match self.escaped(id) {
            Some(escaped) => &escaped.line_starts,
            None => self.file(id)?.line_starts(),
        };
        Ok(starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next - 1))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let (starts, len) = match self.escaped(id) {
            Some(escaped) => (&escaped.line_starts[..], escaped.text.len()),
            None => {
                let file = self.file(id)?;
                (file.line_starts(), file.text.len())
            }
        };
        let line_start = |index: usize| match index.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[index]),
            std::cmp::Ordering::Equal => Ok(len),
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
    fn control_characters_are_escaped_and_spans_follow() {
        let mut db = SourceDb::new();
        let text = "let a = \"\u{1b}[31mred\u{202e}\"\nlet b = (\n".to_string();
        let file = db.add("evil\u{1b}]0;title\u{7}.infra", None, text.clone());
        let at = text.find('(').unwrap();
        let diagnostic = Diagnostic::new(&codes::E0001, Span::new(file, at, at + 1), "bad \u{9b}")
            .label("here")
            .secondary(Span::new(file, 8, text.find('\n').unwrap()), "this string");
        let shown = human(&db, &[diagnostic], false);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
        assert!(
            shown.contains("evil\\x1b]0;title\\x07.infra:2:9"),
            "{shown}"
        );
        assert!(shown.contains("\\x1b[31mred\\u{202e}"), "{shown}");
        assert!(shown.contains("bad \\u{9b}"), "{shown}");
        // The caret is still under the `(`.
        let line = shown.lines().find(|l| l.contains("let b = (")).unwrap();
        let caret = shown.lines().find(|l| l.contains("^ here")).unwrap();
        assert_eq!(line.find('('), caret.find('^'), "{shown}");
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
