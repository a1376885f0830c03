//! Printing expressions: inline when they fit in `WIDTH` columns, else
//! with their lists and objects one element per line.

use crate::syntax::ast::*;

use super::strings::{escape_into, quote};
use super::{Printer, WIDTH};

impl Printer<'_> {
    /// Prints an expression, inline when it fits, else breaking its lists and
    /// objects one element per line.
    pub(super) fn expr(&mut self, e: &Expr) {
        if let Some(flat) = self.flat(e) {
            let fits = self.column() + flat.chars().count() <= WIDTH;
            if fits || !has_structure(e) {
                self.write(&flat);
                return;
            }
        }
        match &e.kind {
            ExprKind::List(items) => self.broken_list(e, items),
            ExprKind::Object(properties) => {
                let open = e.span.start as usize;
                let close = (e.span.end as usize).saturating_sub(1).max(open);
                self.properties_block(open, close, properties);
            }
            ExprKind::Str(lit) => self.string(lit),
            ExprKind::Member(base, name) => {
                self.expr(base);
                self.write(".");
                self.write(&name.name);
            }
            ExprKind::Index(base, index) => {
                self.expr(base);
                self.write("[");
                self.expr(index);
                self.write("]");
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                self.write("(");
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.expr(arg);
                }
                self.write(")");
            }
            ExprKind::Unary(op, operand) => {
                self.write(unary(*op));
                self.expr(operand);
            }
            ExprKind::Binary(op, lhs, rhs) => {
                self.expr(lhs);
                self.write(" ");
                self.write(op.symbol());
                self.write(" ");
                self.expr(rhs);
            }
            ExprKind::Conditional(cond, then, otherwise) => {
                self.expr(cond);
                self.write(" ? ");
                self.expr(then);
                self.write(" : ");
                self.expr(otherwise);
            }
            ExprKind::Range(from, to) => {
                self.expr(from);
                self.write("..");
                self.expr(to);
            }
            ExprKind::ListComp(comp) => {
                self.write("[");
                self.comprehension(comp);
                self.write("]");
            }
            ExprKind::ObjectComp(comp, value) => {
                self.write("{");
                self.comprehension(comp);
                self.write(" => ");
                self.expr(value);
                self.write("}");
            }
            ExprKind::Paren(inner) => {
                self.write("(");
                self.expr(inner);
                self.write(")");
            }
            _ => {
                let text = self.flat(e).unwrap_or_default();
                self.write(&text);
            }
        }
    }

    fn comprehension(&mut self, comp: &Comprehension) {
        self.write("for ");
        self.write(&binding(&comp.binding));
        self.write(" in ");
        self.expr(&comp.iterable);
        if let Some(filter) = &comp.filter {
            self.write(" if ");
            self.expr(filter);
        }
        self.write(": ");
        self.expr(&comp.body);
    }

    fn broken_list(&mut self, e: &Expr, items: &[Expr]) {
        let open = e.span.start as usize;
        let close = (e.span.end as usize).saturating_sub(1).max(open);
        let first = items.first().map(|i| i.span.start as usize);
        self.open("[", open, first, close);
        for (i, item) in items.iter().enumerate() {
            self.leading(item.span.start as usize, true);
            self.expr(item);
            self.write(",");
            self.ended(item.span.end as usize);
            let bound = items
                .get(i + 1)
                .map_or(close, |next| next.span.start as usize);
            self.trailing(bound);
            self.newline();
        }
        self.close("]", close);
    }

    /// The expression on one line, or `None` when it cannot be: a list or
    /// object with a comment inside, or a multi-line string.
    pub(super) fn flat(&self, e: &Expr) -> Option<String> {
        let mut out = String::new();
        self.flat_into(e, &mut out).then_some(out)
    }

    fn flat_into(&self, e: &Expr, out: &mut String) -> bool {
        match &e.kind {
            ExprKind::Null => out.push_str("null"),
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExprKind::Int(n) => out.push_str(&n.to_string()),
            ExprKind::Number(n) => out.push_str(n),
            ExprKind::Str(lit) => return self.flat_string(lit, out),
            ExprKind::Name(name) => out.push_str(&name.name),
            ExprKind::List(items) => {
                if self.comment_in(e.span.start as usize, e.span.end as usize) {
                    return false;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.flat_into(item, out) {
                        return false;
                    }
                }
                out.push(']');
            }
            ExprKind::Object(properties) => {
                if self.comment_in(e.span.start as usize, e.span.end as usize) {
                    return false;
                }
                if properties.is_empty() {
                    out.push_str("{}");
                    return true;
                }
                out.push_str("{ ");
                for (i, property) in properties.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&key(&property.key));
                    out.push_str(" = ");
                    if !self.flat_into(&property.value, out) {
                        return false;
                    }
                }
                out.push_str(" }");
            }
            ExprKind::Member(base, name) => {
                if !self.flat_into(base, out) {
                    return false;
                }
                out.push('.');
                out.push_str(&name.name);
            }
            ExprKind::Index(base, index) => {
                if !self.flat_into(base, out) {
                    return false;
                }
                out.push('[');
                if !self.flat_into(index, out) {
                    return false;
                }
                out.push(']');
            }
            ExprKind::Call(callee, args) => {
                if !self.flat_into(callee, out) {
                    return false;
                }
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !self.flat_into(arg, out) {
                        return false;
                    }
                }
                out.push(')');
            }
            ExprKind::Unary(op, operand) => {
                out.push_str(unary(*op));
                return self.flat_into(operand, out);
            }
            ExprKind::Binary(op, lhs, rhs) => {
                if !self.flat_into(lhs, out) {
                    return false;
                }
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                return self.flat_into(rhs, out);
            }
            ExprKind::Conditional(cond, then, otherwise) => {
                if !self.flat_into(cond, out) {
                    return false;
                }
                out.push_str(" ? ");
                if !self.flat_into(then, out) {
                    return false;
                }
                out.push_str(" : ");
                return self.flat_into(otherwise, out);
            }
            ExprKind::Range(from, to) => {
                if !self.flat_into(from, out) {
                    return false;
                }
                out.push_str("..");
                return self.flat_into(to, out);
            }
            ExprKind::ListComp(comp) => {
                out.push('[');
                if !self.flat_comprehension(comp, out) {
                    return false;
                }
                out.push(']');
            }
            ExprKind::ObjectComp(comp, value) => {
                out.push('{');
                if !self.flat_comprehension(comp, out) {
                    return false;
                }
                out.push_str(" => ");
                if !self.flat_into(value, out) {
                    return false;
                }
                out.push('}');
            }
            ExprKind::Paren(inner) => {
                out.push('(');
                if !self.flat_into(inner, out) {
                    return false;
                }
                out.push(')');
            }
            ExprKind::Error => {
                let span = e.span.range();
                out.push_str(self.text.get(span).unwrap_or_default());
            }
        }
        true
    }

    fn flat_comprehension(&self, comp: &Comprehension, out: &mut String) -> bool {
        out.push_str("for ");
        out.push_str(&binding(&comp.binding));
        out.push_str(" in ");
        if !self.flat_into(&comp.iterable, out) {
            return false;
        }
        if let Some(filter) = &comp.filter {
            out.push_str(" if ");
            if !self.flat_into(filter, out) {
                return false;
            }
        }
        out.push_str(": ");
        self.flat_into(&comp.body, out)
    }

    fn flat_string(&self, lit: &StringLit, out: &mut String) -> bool {
        if lit.multiline {
            return false;
        }
        out.push('"');
        for part in &lit.parts {
            match part {
                StrPart::Text(text) => escape_into(text, out),
                StrPart::Interp(e) => {
                    out.push_str("${");
                    if !self.flat_into(e, out) {
                        return false;
                    }
                    out.push('}');
                }
            }
        }
        out.push('"');
        true
    }
}

/// Whether an expression has parts that can go on lines of their own.
fn has_structure(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Name(_)
            | ExprKind::Error
    )
}

fn unary(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "-",
        UnaryOp::Not => "!",
    }
}

pub(super) fn binding(binding: &Binding) -> String {
    match &binding.second {
        Some(second) => format!("{}, {}", binding.first.name, second.name),
        None => binding.first.name.clone(),
    }
}

pub(super) fn key(key: &Key) -> String {
    if key.quoted {
        quote(&key.name)
    } else {
        key.name.clone()
    }
}
