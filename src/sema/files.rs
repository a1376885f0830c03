//! `file(path)`: the text of a file, read at compile time. Each call whose
//! argument is plain text is replaced, right after parsing, by a string
//! literal holding the file's text, so that every later phase (types,
//! folding, lowering, every backend) sees a compile-time string. The file
//! is read as an import is: relative to the file that calls `file()`,
//! inside the project, a regular file within the project's limits.

use std::path::Path;

use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::project::{self, Project};
use crate::syntax::ast::*;

/// What a refusal calls the path it refuses.
const WHAT: &str = "`file()` argument";

/// Replaces each `file("path")` of `ast` by the text of the file, `dir`
/// being the directory of the file `ast` was read from; the diagnostics of
/// the calls that could not be read (each call is left as it was).
pub fn inline(ast: &mut SourceFile, dir: Option<&Path>, project: &Project) -> Vec<Diagnostic> {
    let mut reader = Reader {
        dir: dir.unwrap_or(Path::new(".")),
        project,
        diagnostics: Vec::new(),
    };
    reader.items(&mut ast.items);
    reader.diagnostics
}

struct Reader<'a> {
    dir: &'a Path,
    project: &'a Project,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn items(&mut self, items: &mut [Item]) {
        for item in items {
            match &mut item.kind {
                ItemKind::Param(param) => {
                    self.option(&mut param.default);
                    self.block(param.options.as_mut());
                }
                ItemKind::Let(l) => self.expr(&mut l.value),
                ItemKind::Resource(resource) => {
                    if let Some(guard) = &mut resource.for_guard {
                        self.expr(&mut guard.iterable);
                        if let Some(key) = &mut guard.key {
                            self.expr(key);
                        }
                    }
                    self.option(&mut resource.if_guard);
                    self.block(Some(&mut resource.body));
                }
                ItemKind::Output(output) => {
                    self.option(&mut output.value);
                    self.block(output.options.as_mut());
                }
                ItemKind::Component(component) => self.items(&mut component.items),
                ItemKind::Target(block) => self.items(&mut block.items),
                ItemKind::Native(native) => {
                    for member in &mut native.members {
                        match &mut member.kind {
                            MemberKind::Property(field) | MemberKind::Attribute(field) => {
                                self.option(&mut field.value)
                            }
                            MemberKind::Setting(property) => self.expr(&mut property.value),
                        }
                    }
                }
                ItemKind::Import(_)
                | ItemKind::TypeAlias(_)
                | ItemKind::Unsupported(_)
                | ItemKind::Error => {}
            }
        }
    }

    fn option(&mut self, expr: &mut Option<Expr>) {
        if let Some(expr) = expr {
            self.expr(expr);
        }
    }

    fn block(&mut self, block: Option<&mut Block>) {
        for property in block.into_iter().flat_map(|b| &mut b.properties) {
            self.expr(&mut property.value);
        }
    }

    fn expr(&mut self, expr: &mut Expr) {
        if let Some(text) = self.call(expr) {
            expr.kind = ExprKind::Str(StringLit {
                parts: vec![StrPart::Text(text)],
                multiline: false,
                span: expr.span,
            });
            return;
        }
        match &mut expr.kind {
            ExprKind::Str(s) => {
                for part in &mut s.parts {
                    if let StrPart::Interp(e) = part {
                        self.expr(e);
                    }
                }
            }
            ExprKind::List(items) => items.iter_mut().for_each(|e| self.expr(e)),
            ExprKind::Object(properties) => {
                properties.iter_mut().for_each(|p| self.expr(&mut p.value))
            }
            ExprKind::Member(base, _) | ExprKind::Unary(_, base) | ExprKind::Paren(base) => {
                self.expr(base)
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                args.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::Conditional(c, a, b) => {
                self.expr(c);
                self.expr(a);
                self.expr(b);
            }
            ExprKind::ListComp(comprehension) => self.comprehension(comprehension),
            ExprKind::ObjectComp(comprehension, key) => {
                self.comprehension(comprehension);
                self.expr(key);
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Name(_)
            | ExprKind::Error => {}
        }
    }

    fn comprehension(&mut self, comprehension: &mut Comprehension) {
        self.expr(&mut comprehension.iterable);
        self.option(&mut comprehension.filter);
        self.expr(&mut comprehension.body);
    }

    /// The text a `file()` call reads, when `expr` is one that can be read;
    /// `None` (with a diagnostic when it is a call of `file` that cannot).
    fn call(&mut self, expr: &Expr) -> Option<String> {
        let ExprKind::Call(callee, args) = &expr.kind else {
            return None;
        };
        let ExprKind::Name(name) = &callee.kind else {
            return None;
        };
        // Another number of arguments is the checker's to report.
        let (true, [arg]) = (name.name == Builtin::File.name(), args.as_slice()) else {
            return None;
        };
        let plain = match &arg.kind {
            ExprKind::Str(s) => s.as_plain(),
            _ => None,
        };
        let Some(relative) = plain else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0016,
                    arg.span,
                    "the path given to `file()` must be plain text",
                )
                .label("not a string literal without interpolation")
                .note("the file is read when the program is compiled, before any value is computed")
                .help("write the path as a string literal, as in `file(\"scripts/boot.sh\")`"),
            );
            return None;
        };
        let bytes = match project::read_confined(self.project, self.dir, &relative) {
            Ok((_, _, bytes)) => bytes,
            Err(refusal) => {
                self.diagnostics
                    .push(refusal.diagnostic(arg.span, &relative, WHAT));
                return None;
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0015,
                        arg.span,
                        format!("`{relative}` is not UTF-8 text"),
                    )
                    .label(format!(
                        "invalid UTF-8 at byte {} of the file",
                        error.utf8_error().valid_up_to()
                    ))
                    .help("`file()` reads text; encode binary data as text (Base64) first"),
                );
                None
            }
        }
    }
}
