//! Components that instantiate themselves, directly or through others
//! (E0214): an instance would hold itself without end, so lowering would
//! never finish. Found on the graph of which component instantiates which,
//! before anything is expanded.

use rustc_hash::FxHashSet as HashSet;

use super::Checker;
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::schema::SchemaKind;
use crate::sema::ty::SchemaId;
use crate::source::Span;
use crate::syntax::ast::*;

/// One instantiation: the component instantiated, and where.
type Edge = (SchemaId, Span);

/// How many steps of a cycle are shown, each as a label.
const SHOWN_STEPS: usize = 12;

impl Checker<'_> {
    /// The components each component instantiates, in its body and in its
    /// `target` blocks, by schema id.
    fn instantiations(&self) -> Vec<Vec<Edge>> {
        let mut edges = vec![Vec::new(); self.schemas.len()];
        for (id, schema) in self.schemas.iter().enumerate() {
            let SchemaKind::Component { module, index } = schema.kind else {
                continue;
            };
            let m = &self.modules[module.0 as usize];
            let Some(ItemKind::Component(component)) = m.ast.items.get(index).map(|i| &i.kind)
            else {
                continue;
            };
            let blocks = component.items.iter().filter_map(|i| match &i.kind {
                ItemKind::Target(t) => Some(t.items.as_slice()),
                _ => None,
            });
            let resources = std::iter::once(component.items.as_slice())
                .chain(blocks)
                .flatten()
                .filter_map(|i| match &i.kind {
                    ItemKind::Resource(r) => Some(r),
                    _ => None,
                });
            for r in resources {
                let inner = m
                    .names
                    .of(&r.name)
                    .and_then(|decl| self.resources.get(module.0 as usize)?.get(decl))
                    .and_then(|info| info.schema);
                let Some(inner) = inner else { continue };
                if matches!(
                    self.schemas[inner.0 as usize].kind,
                    SchemaKind::Component { .. }
                ) {
                    let at = match &r.ty {
                        ResourceType::Path(p) => p.span,
                        ResourceType::Raw(s) => s.span,
                    };
                    edges[id].push((inner, at));
                }
            }
        }
        edges
    }

    /// Reports every component that instantiates itself: one cycle per
    /// group of components that reach each other, each step labelled.
    pub(super) fn check_recursive_components(&mut self) {
        let edges = self.instantiations();
        // 0: not seen, 1: on the path, 2: done.
        let mut state = vec![0u8; edges.len()];
        let mut reported: HashSet<Vec<u32>> = HashSet::default();
        let mut cycles = Vec::new();
        for start in 0..edges.len() {
            if state[start] != 0 || edges[start].is_empty() {
                continue;
            }
            // An explicit stack: components may nest deeply. Each entry is
            // a component on the path and the next of its edges to follow;
            // `via` holds the edge taken into each component but the first.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            let mut via: Vec<Span> = Vec::new();
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let Some(&(to, at)) = edges[node].get(*next) else {
                    state[node] = 2;
                    stack.pop();
                    via.pop();
                    continue;
                };
                *next += 1;
                let to = to.0 as usize;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                        via.push(at);
                    }
                    1 => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut steps: Vec<(usize, Span)> = Vec::new();
                        for (k, &(n, _)) in stack.iter().enumerate().skip(from) {
                            let span = via.get(k).copied().unwrap_or(at);
                            steps.push((n, span));
                        }
                        let mut key: Vec<u32> = steps.iter().map(|&(n, _)| n as u32).collect();
                        key.sort_unstable();
                        if reported.insert(key) {
                            cycles.push(steps);
                        }
                    }
                    _ => {}
                }
            }
        }
        for steps in cycles {
            let diagnostic = self.recursion_diagnostic(&steps);
            self.diagnostics.push(diagnostic);
        }
    }

    /// E0214 for a cycle: each step is a component and where it
    /// instantiates the next (the last, the first).
    fn recursion_diagnostic(&self, steps: &[(usize, Span)]) -> Diagnostic {
        let name = |n: usize| self.schemas[n].name.clone();
        let first = name(steps[0].0);
        let mut path: Vec<String> = steps
            .iter()
            .map(|&(n, _)| format!("`{}`", name(n)))
            .collect();
        path.push(format!("`{first}`"));
        let message = if steps.len() == 1 {
            format!("component `{first}` instantiates itself")
        } else {
            format!("components instantiate each other: {}", path.join(" → "))
        };
        let next = |k: usize| name(steps[(k + 1) % steps.len()].0);
        let mut diagnostic = Diagnostic::new(&codes::E0214, steps[0].1, message)
            .label(format!("`{first}` instantiates `{}` here", next(0)));
        for (k, &(n, at)) in steps.iter().enumerate().skip(1).take(SHOWN_STEPS) {
            diagnostic =
                diagnostic.secondary(at, format!("`{}` instantiates `{}` here", name(n), next(k)));
        }
        if steps.len() > SHOWN_STEPS + 1 {
            diagnostic = diagnostic.note(format!(
                "{} more steps are not shown",
                steps.len() - SHOWN_STEPS - 1
            ));
        }
        diagnostic
            .note("an instance would hold an instance of itself, without end")
            .help("give the repeated part a component of its own that does not instantiate its container, or pass the inner resources in as params")
    }
}
