//! Builders of IR for the backends' unit tests.

use crate::builtins::Builtin;
use crate::ir::{Expr, Output, Param, ParamType, Part};
use crate::syntax::ast::BinaryOp;

pub fn param(name: &str, ty: ParamType) -> Param {
    Param::new(name, ty)
}

pub fn output(name: &str, value: Expr) -> Output {
    Output::new(name, value)
}

pub fn s(text: &str) -> Expr {
    Expr::String(text.into())
}

/// A param read.
pub fn p(name: &str) -> Expr {
    Expr::Param(name.into())
}

pub fn attr(id: &str, path: &str) -> Expr {
    Expr::Attr(id.into(), path.into())
}

pub fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

pub fn eq(a: Expr, b: Expr) -> Expr {
    bin(BinaryOp::Eq, a, b)
}

/// `c ? a : b`.
pub fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::If(Box::new(c), Box::new(a), Box::new(b))
}

pub fn index(a: Expr, b: Expr) -> Expr {
    Expr::Index(Box::new(a), Box::new(b))
}

pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(Builtin::from_name(name).expect("a built-in"), args)
}

pub fn interp(parts: Vec<Part>) -> Expr {
    Expr::Interp(parts)
}

pub fn text(t: &str) -> Part {
    Part::Text(t.into())
}

pub fn part(e: Expr) -> Part {
    Part::Expr(e)
}

pub fn object(fields: Vec<(&str, Expr)>) -> Expr {
    Expr::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The copies of `of`, each `each`.
pub fn copies(of: &str, each: Expr) -> Expr {
    Expr::Copies {
        of: of.into(),
        each: Box::new(each),
    }
}
