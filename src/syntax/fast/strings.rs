//! String literals: one-line strings with escapes and `${}`
//! interpolation, and `"""` strings, dedented as the lowering does.

use crate::syntax::ast::*;
use crate::syntax::lower::{dedent, known_escape, push_text};

use super::Parser;

impl<'t> Parser<'t> {
    /// `string`: one line, escapes, `${}` interpolation.
    pub(super) fn string(&mut self) -> Option<StringLit> {
        let start = self.pos;
        self.eat(b"\"")?;
        // Most strings are one part.
        let mut parts = Vec::with_capacity(1);
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.escape(&mut parts)?,
                b'$' if self.at(b"${") => parts.push(StrPart::Interp(self.interpolation()?)),
                // str_text stops at NEWLINE, and nothing else matches there.
                b'\n' | b'\r' => return None,
                _ => {
                    let text_start = self.pos;
                    self.pos += 1;
                    while let Some(b) = self.peek() {
                        match b {
                            b'"' | b'\\' | b'\n' | b'\r' => break,
                            b'$' if self.at(b"${") => break,
                            _ => self.pos += 1,
                        }
                    }
                    push_text(&mut parts, &self.text[text_start..self.pos]);
                }
            }
        }
        self.pos += 1;
        Some(StringLit {
            parts,
            multiline: false,
            span: self.span(start),
        })
    }

    /// `mstring`: `"""` ... `"""` over lines, dedented.
    pub(super) fn mstring(&mut self) -> Option<StringLit> {
        let start = self.pos;
        self.eat(b"\"\"\"")?;
        // Most strings are one part.
        let mut parts = Vec::with_capacity(1);
        loop {
            match self.peek()? {
                b'"' if self.at(b"\"\"\"") => break,
                b'\\' => self.escape(&mut parts)?,
                b'$' if self.at(b"${") => parts.push(StrPart::Interp(self.interpolation()?)),
                _ => {
                    let text_start = self.pos;
                    self.pos += 1;
                    while let Some(b) = self.peek() {
                        match b {
                            b'\\' => break,
                            b'"' if self.at(b"\"\"\"") => break,
                            b'$' if self.at(b"${") => break,
                            _ => self.pos += 1,
                        }
                    }
                    push_text(&mut parts, &self.text[text_start..self.pos]);
                }
            }
        }
        self.pos += 3;
        Some(StringLit {
            parts: dedent(parts),
            multiline: true,
            span: self.span(start),
        })
    }

    /// `escape = @{ "\\" ~ ANY }`; the lowering reports an unknown one.
    fn escape(&mut self, parts: &mut Vec<StrPart>) -> Option<()> {
        let escaped = self.text[self.pos + 1..self.bytes.len()].chars().next()?;
        let at = self.pos + 1;
        self.pos = at + escaped.len_utf8();
        match known_escape(&self.text[at..self.pos]) {
            Some(text) => {
                push_text(parts, text);
                Some(())
            }
            None => {
                self.bail = true;
                None
            }
        }
    }

    /// `interp = !{ "${" ~ expr ~ "}" }`: whitespace and comments count again.
    fn interpolation(&mut self) -> Option<Expr> {
        self.eat(b"${")?;
        self.skip();
        let expr = self.expr()?;
        self.skip();
        self.eat(b"}")?;
        Some(expr)
    }
}
