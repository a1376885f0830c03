//! Printing string literals: one-line strings re-escaped, `"""` strings
//! re-indented where their shape allows.

use crate::syntax::ast::*;

use super::Printer;

impl Printer<'_> {
    pub(super) fn string(&mut self, lit: &StringLit) {
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

pub(super) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(text, &mut out);
    out.push('"');
    out
}

/// Escapes the text of a one-line string.
pub(super) fn escape_into(text: &str, out: &mut String) {
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
