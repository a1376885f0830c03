//! Builders of IR for the backends' unit tests.
//!
//! Hand-built IR names the resources it refers to by their ids' text:
//! `rid("Db")` stands for the resource whose `id` is `Db` until `resolved`
//! (which each test module's `emit` calls) makes it that resource's index.

use crate::builtins::Builtin;
use crate::ir::{Deployment, Expr, Output, Param, ParamType, Part, ResourceId};
use crate::syntax::ast::BinaryOp;

/// Marks a `ResourceId` that still stands for a name.
const NAMED: u32 = 1 << 31;

/// The resource whose id is `id`, once `resolved`. A name no resource has
/// stays a reference to no resource.
pub fn rid(id: &str) -> ResourceId {
    // FNV-1a: the same name gives the same stand-in in every test.
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    ResourceId(NAMED | (hash & !NAMED))
}

/// `d` with every `rid(...)` made the index of the resource of that id (the
/// last of that id, where two share one).
pub fn resolved(d: &Deployment) -> Deployment {
    let mut d = d.clone();
    let ids: Vec<ResourceId> = d.resources.iter().map(|r| rid(&r.id)).collect();
    d.for_each_reference_mut(&mut |id| {
        if let Some(i) = ids.iter().rposition(|named| named == id) {
            *id = ResourceId(i as u32);
        }
    });
    d
}

/// A reference to the resource of id `id` (`Ref`, `get_resource`).
pub fn ref_to(id: &str) -> Expr {
    Expr::Ref(rid(id))
}

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
    Expr::Attr(rid(id), path.into())
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
    Expr::Object(Box::new(
        fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    ))
}

/// The copies of `of`, each `each`.
pub fn copies(of: &str, each: Expr) -> Expr {
    Expr::Copies {
        of: rid(of),
        each: Box::new(each),
    }
}
