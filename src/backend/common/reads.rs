//! Where a template reads params: for "give it with `--param`" and for the
//! place a diagnostic about a param points at (the IR keeps no span for
//! params, so it is the first resource or output that reads one).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::ir::{Deployment, Expr};
use crate::source::Span;

/// The params `expr` reads, each once, in the order they are met.
pub fn params_in(expr: &Expr) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    expr.walk(&mut |e| {
        if let Expr::Param(name) = e
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    });
    names
}

/// The expressions a template is written from, each with the span of its
/// resource or output, resources first. `exports`: whether the target
/// writes outputs' export names (CloudFormation alone has them).
fn sites(deployment: &Deployment, exports: bool) -> impl Iterator<Item = (&Expr, Span)> {
    let resources = deployment.resources.iter().flat_map(|r| {
        (r.properties
            .values()
            .chain(r.condition.as_deref())
            .chain(r.count.as_deref()))
        .map(move |e| (e, r.span))
    });
    let outputs = deployment.outputs.iter().flat_map(move |o| {
        let export = o.export.as_ref().filter(|_| exports);
        (std::iter::once(&o.value).chain(export).chain(&o.condition)).map(move |e| (e, o.span))
    });
    resources.chain(outputs)
}

/// Where each declared param the template reads is first read. The walk
/// stops once every declared param is found: in a nested stack, whose
/// params are only what it reads, early.
pub fn first_reads(deployment: &Deployment, exports: bool) -> FxHashMap<&str, Span> {
    let declared: FxHashSet<&str> = (deployment.params.iter())
        .map(|p| p.name.as_str())
        .collect();
    let mut out = FxHashMap::default();
    if declared.is_empty() {
        return out;
    }
    for (expr, span) in sites(deployment, exports) {
        let all = until(expr, &mut |e| {
            if let Expr::Param(name) = e
                && let Some(&name) = declared.get(name.as_str())
            {
                out.entry(name).or_insert(span);
            }
            out.len() == declared.len()
        });
        if all {
            break;
        }
    }
    out
}

/// Walks `e` in order until `f` returns true; whether it did.
fn until(e: &Expr, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
    if f(e) {
        return true;
    }
    let mut done = false;
    e.for_each_child(|child| done = done || until(child, f));
    done
}

/// Where param `name` is first read, on a target without exports.
pub fn first_read(deployment: &Deployment, name: &str) -> Option<Span> {
    let reads = |e: &Expr| matches!(e, Expr::Param(p) if p == name);
    sites(deployment, false)
        .find(|(expr, _)| expr.any(&reads))
        .map(|(_, span)| span)
}

/// A span for what has none of its own: the first resource, else the first
/// output.
pub fn first_declaration(deployment: &Deployment) -> Option<Span> {
    (deployment.resources.first().map(|r| r.span))
        .or_else(|| deployment.outputs.first().map(|o| o.span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::common::testing::*;
    use crate::ir::{Output, Param, ParamType, Resource, Target};
    use crate::source::FileId;

    fn span(start: usize) -> Span {
        Span::new(FileId::default(), start, start + 1)
    }

    /// `a` read by a property of the first resource, `b` by the condition
    /// of the second, `c` by an output's export only.
    fn deployment() -> Deployment {
        let mut first = Resource::new("First", "first", "T", vec![("x", p("a"))]);
        first.span = span(1);
        let mut second = Resource::new("Second", "second", "T", vec![("y", p("a"))]);
        second.condition = Some(Box::new(eq(p("b"), s("on"))));
        second.span = span(2);
        let mut out = Output::new("o", s("x"));
        out.export = Some(p("c"));
        out.span = span(3);
        Deployment {
            target: Target::Heat,
            description: None,
            params: ["a", "b", "c"]
                .map(|name| Param::new(name, ParamType::String))
                .into(),
            resources: vec![first, second],
            outputs: vec![out],
        }
    }

    #[test]
    fn params_are_listed_once_in_order() {
        let e = bin(
            crate::syntax::ast::BinaryOp::And,
            eq(p("b"), p("a")),
            eq(p("b"), s("x")),
        );
        assert_eq!(params_in(&e), ["b", "a"]);
    }

    #[test]
    fn a_param_points_at_its_first_reader() {
        let d = deployment();
        assert_eq!(first_read(&d, "a"), Some(span(1)));
        assert_eq!(first_read(&d, "b"), Some(span(2)));
        assert_eq!(first_read(&d, "c"), None);
        let reads = first_reads(&d, false);
        assert_eq!((reads["a"], reads["b"]), (span(1), span(2)));
        assert!(!reads.contains_key("c"));
        assert_eq!(first_reads(&d, true)["c"], span(3));
    }

    #[test]
    fn only_declared_params_are_found() {
        let mut d = deployment();
        d.params.truncate(1);
        let reads = first_reads(&d, true);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads["a"], span(1));
    }

    #[test]
    fn the_first_declaration_is_a_resource_else_an_output() {
        let mut d = deployment();
        assert_eq!(first_declaration(&d), Some(span(1)));
        d.resources.clear();
        assert_eq!(first_declaration(&d), Some(span(3)));
        d.outputs.clear();
        assert_eq!(first_declaration(&d), None);
    }
}
