//! `--message-format json`: one JSON object per diagnostic, per line.
//!
//! Each line is an object with the keys, in this order: `code`, `severity`,
//! `message`, `file`, `span`, `labels` (primary first), `notes`, `help`.
//! A file name that is not UTF-8 shows each byte that is not as `\xNN` in
//! `file`, and its bytes, whole, are in `file_bytes` (an array of numbers),
//! after `file`, only then. A failure of the command itself (exit status 2)
//! is one line of the same keys, with `code`, `file` and `span` null. A
//! span holds byte offsets (`start`, `end`) and one-based lines and columns;
//! columns count characters, and `column_end` is the column just past the
//! span, as in `rustc`.

use serde::Serialize;

use super::{Diagnostic, Label, Severity};
use crate::source::{SourceDb, Span};

/// One line of JSON per diagnostic, each ending in a newline.
pub fn lines(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let line = serde_json::to_string(&JsonDiagnostic::new(db, d))
                .expect("a diagnostic always serializes");
            line + "\n"
        })
        .collect()
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_bytes: Option<&'a [u8]>,
    span: Location,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: &'a [String],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    primary: bool,
    message: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_bytes: Option<&'a [u8]>,
    span: Location,
}

impl<'a> JsonDiagnostic<'a> {
    fn new(db: &'a SourceDb, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
        let label = |primary: bool, label: &'a Label| JsonLabel {
            primary,
            message: &label.message,
            file: file_name(db, label.span),
            file_bytes: raw_name(db, label.span),
            span: Location::of(db, label.span),
        };
        JsonDiagnostic {
            code: diagnostic.code.id,
            severity: diagnostic.severity,
            message: &diagnostic.message,
            file: file_name(db, diagnostic.primary.span),
            file_bytes: raw_name(db, diagnostic.primary.span),
            span: Location::of(db, diagnostic.primary.span),
            labels: std::iter::once(label(true, &diagnostic.primary))
                .chain(diagnostic.secondary.iter().map(|l| label(false, l)))
                .collect(),
            notes: &diagnostic.notes,
            help: &diagnostic.help,
        }
    }
}

/// Where a span is, in bytes and in one-based lines and character columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Location {
    pub start: usize,
    pub end: usize,
    pub line_start: usize,
    pub column_start: usize,
    pub line_end: usize,
    pub column_end: usize,
}

impl Location {
    /// The location of `span`, clamped to its file; all zeros when the file
    /// is not in the database.
    pub(crate) fn of(db: &SourceDb, span: Span) -> Location {
        if span.file.0 as usize >= db.len() {
            return Location {
                start: span.start as usize,
                end: span.end as usize,
                line_start: 0,
                column_start: 0,
                line_end: 0,
                column_end: 0,
            };
        }
        let file = db.get(span.file);
        let len = file.text.len();
        let start = (span.start as usize).min(len);
        let end = (span.end as usize).clamp(start, len);
        let (line_start, column_start) = file.line_col(start);
        let (line_end, column_end) = file.line_col(end);
        Location {
            start,
            end,
            line_start: line_start + 1,
            column_start,
            line_end: line_end + 1,
            column_end,
        }
    }
}

/// The name of the span's file, or `""` when the database lacks it.
/// The bytes of the span's file's name, when they are not UTF-8.
pub(crate) fn raw_name(db: &SourceDb, span: Span) -> Option<&[u8]> {
    ((span.file.0 as usize) < db.len())
        .then(|| db.get(span.file).raw_name.as_deref())
        .flatten()
}

/// A failure of the command itself, not of a program (exit status 2): one
/// line with the keys of a diagnostic, `file` and `span` null, and `code`
/// null unless the failure has one (an input refused for what it is).
pub fn failure(message: &str, code: Option<&'static super::Code>) -> String {
    let line = serde_json::json!({
        "code": code.map(|c| c.id),
        "severity": "error",
        "message": message,
        "file": null,
        "span": null,
        "labels": [],
        "notes": [],
        "help": [],
    });
    line.to_string() + "\n"
}

pub(crate) fn file_name(db: &SourceDb, span: Span) -> &str {
    if (span.file.0 as usize) < db.len() {
        db.name(span.file)
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::codes;
    use serde_json::Value;

    fn sample() -> (SourceDb, Vec<Diagnostic>) {
        let mut db = SourceDb::new();
        let text = "let a = 1\nlet b = \"é\" +\nlet c = 3\n".to_string();
        let file = db.add("main.infra", None, text);
        let first = Diagnostic::new(
            &codes::E0001,
            Span::new(file, 25, 28),
            "expected an expression, found `let`",
        )
        .label("expected an expression")
        .secondary(Span::new(file, 14, 15), "in this binding")
        .note("an operator needs a right operand")
        .help("finish the expression");
        let second = Diagnostic::new(&codes::E0007, Span::new(file, 33, 34), "too large");
        (db, vec![first, second])
    }

    #[test]
    fn one_parsable_object_per_line() {
        let (db, diagnostics) = sample();
        let text = lines(&db, &diagnostics);
        assert!(text.ends_with('\n'));
        let objects: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objects.len(), 2);
        let first = &objects[0];
        assert_eq!(first["code"], "E0001");
        assert_eq!(first["severity"], "error");
        assert_eq!(first["message"], "expected an expression, found `let`");
        assert_eq!(first["file"], "main.infra");
        assert_eq!(first["notes"][0], "an operator needs a right operand");
        assert_eq!(first["help"][0], "finish the expression");
        assert_eq!(objects[1]["code"], "E0007");
        assert_eq!(objects[1]["notes"], Value::Array(Vec::new()));
    }

    #[test]
    fn spans_have_one_based_lines_and_character_columns() {
        let (db, diagnostics) = sample();
        let text = lines(&db, &diagnostics);
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        // `let` on line 3: bytes 25..28 (the `é` on line 2 is two bytes).
        let span = &first["span"];
        assert_eq!(span["start"], 25);
        assert_eq!(span["end"], 28);
        assert_eq!(span["line_start"], 3);
        assert_eq!(span["column_start"], 1);
        assert_eq!(span["line_end"], 3);
        assert_eq!(span["column_end"], 4);
        let labels = first["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0]["primary"], true);
        assert_eq!(labels[0]["message"], "expected an expression");
        assert_eq!(labels[0]["span"], first["span"]);
        assert_eq!(labels[1]["primary"], false);
        assert_eq!(labels[1]["message"], "in this binding");
        assert_eq!(labels[1]["file"], "main.infra");
        assert_eq!(labels[1]["span"]["line_start"], 2);
        assert_eq!(labels[1]["span"]["column_start"], 5);
    }

    #[test]
    fn keys_keep_a_fixed_order() {
        let (db, diagnostics) = sample();
        let text = lines(&db, &diagnostics);
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "code", "severity", "message", "file", "span", "labels", "notes", "help"
            ]
        );
        let span_keys: Vec<&str> = first["span"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            span_keys,
            [
                "start",
                "end",
                "line_start",
                "column_start",
                "line_end",
                "column_end"
            ]
        );
    }

    #[test]
    fn no_diagnostics_no_lines() {
        assert_eq!(lines(&SourceDb::new(), &[]), "");
    }
}
