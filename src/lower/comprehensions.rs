//! Comprehensions: over lists and objects known at compile time, over
//! deploy-time choices between them, and over the copies of a resource
//! counted at deploy time.

use std::rc::Rc;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::*;
use crate::target::Repetition;

use super::expand::Expander;
use super::values::{Instance, Val};

impl<'p> Expander<'p> {
    /// A comprehension's value. Over a deploy-time choice between two lists
    /// of known length, it is the choice between the two results.
    pub(super) fn repeat(
        &mut self,
        comp: &Comprehension,
        value: Option<&Expr>,
        span: Span,
        iterable: Val,
    ) -> Val {
        if let Val::Choice(c, a, b) = iterable {
            let a = self.repeat(comp, value, span, *a);
            let b = self.repeat(comp, value, span, *b);
            return Val::Choice(c, Box::new(a), Box::new(b));
        }
        if let Val::Resource(instance) = &iterable
            && instance.counted
        {
            return self.each_copy(comp, value, span, instance);
        }
        let Some(entries) = self.comprehension_over(comp, value, span, iterable) else {
            return Val::Null;
        };
        if !self.hold(entries.len(), span) {
            return Val::Null;
        }
        match value {
            // Into a list of its own, not the room of the entries.
            None => {
                let mut items = Vec::with_capacity(entries.len());
                items.extend(entries.into_iter().map(|(v, _)| v));
                Val::list(items)
            }
            Some(_) => Val::object(
                entries
                    .into_iter()
                    .filter_map(|(k, v)| match (k, v) {
                        (Val::Str(k), Some(v)) => Some((self.key(&k), v)),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }

    fn comprehension_over(
        &mut self,
        comp: &Comprehension,
        value: Option<&Expr>,
        span: Span,
        iterable: Val,
    ) -> Option<Vec<(Val, Option<Val>)>> {
        let pairs: Vec<(Val, Val)> = match iterable {
            // A copy left out is no element: the others keep their index.
            Val::List(items) => Rc::unwrap_or_clone(items)
                .into_iter()
                .enumerate()
                .filter(|(_, v)| !matches!(v, Val::Gone))
                .map(|(i, v)| (Val::Int(i as i64), v))
                .collect(),
            Val::Object(fields) => Rc::unwrap_or_clone(fields)
                .into_iter()
                .map(|(k, v)| (Val::Str(k.to_string()), v))
                .collect(),
            Val::Null => Vec::new(),
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0505,
                        span,
                        format!(
                            "{} cannot repeat over a list known only at deploy time",
                            self.target.display()
                        ),
                    )
                    .label("this list is known only at deploy time")
                    .help("give the params the list depends on at compile time (`--param`)"),
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for (first, second) in pairs {
            let exists = super::resources::exists_of(&second);
            self.covered.extend(exists.clone());
            let before = self.frame().locals.len();
            self.bind(&comp.binding, first, second);
            // A filter known only at deploy time keeps each element of a
            // list under its own condition, as a copy unrolled to a bound
            // is kept (`[for i in 0..4 if i < n: web[i]]`); an object's
            // field cannot be.
            let (keep, filtered) = match &comp.filter {
                Some(filter) => match self.expr(filter) {
                    Val::Bool(b) => (b, None),
                    condition @ (Val::Deploy(_) | Val::Choice(..)) if value.is_none() => {
                        (true, Some(condition.into_ir()))
                    }
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0505,
                                filter.span,
                                format!(
                                    "{} cannot filter {} with a condition known only at deploy time",
                                    self.target.display(),
                                    if value.is_some() { "an object" } else { "a list" }
                                ),
                            )
                            .label("known only at deploy time")
                            .help("give the params the condition depends on at compile time (`--param`), or build a list")
                        );
                        (false, None)
                    }
                },
                None => (true, None),
            };
            if keep {
                if let Some(c) = &filtered {
                    self.covered.push(c.clone());
                }
                let body = self.expr(&comp.body);
                let v = value.map(|v| self.expr(v));
                if filtered.is_some() {
                    self.covered.pop();
                }
                // An element for a copy unrolled to a deploy-time count's
                // bound is there only when that copy is, and one the filter
                // keeps at deploy time only when it does.
                let condition = match (exists.clone(), filtered) {
                    (Some(e), Some(f)) => Some(ir::Expr::and(Some(e), f)),
                    (e, f) => e.or(f),
                };
                match condition {
                    // A resource keeps its shape, as a copy unrolled to a
                    // bound does: a list of them is read as the copies
                    // (a load balancer's members, each under its condition).
                    Some(c) if v.is_none() && matches!(body, Val::Resource(_)) => {
                        out.push((super::resources::with_exists(body, Some(c)), None));
                    }
                    Some(c) => {
                        let guarded = |v: Val| {
                            Val::Deploy(ir::Expr::If(
                                Box::new(c.clone()),
                                Box::new(v.into_ir()),
                                Box::new(ir::Expr::Null),
                            ))
                        };
                        out.push((guarded(body), v.map(guarded)));
                    }
                    None => out.push((body, v)),
                }
            }
            if exists.is_some() {
                self.covered.pop();
            }
            self.frame().locals.truncate(before);
        }
        Some(out)
    }
}

impl Expander<'_> {
    /// `[for w in web: BODY]` over the copies of a resource counted at deploy
    /// time: `BODY` is lowered once, `w` being the copy whose index is
    /// `CountIndex`, into `Copies`; the targets repeat it over the copies.
    fn each_copy(
        &mut self,
        comp: &Comprehension,
        value: Option<&Expr>,
        span: Span,
        instance: &Instance,
    ) -> Val {
        let refuse = |this: &mut Self, span: Span, message: String, label: &str, help: &str| {
            this.diagnostics.push(
                Diagnostic::new(&codes::E0505, span, message)
                    .label(label.to_string())
                    .help(help.to_string()),
            );
            Val::Null
        };
        let target = self.target.display();
        if value.is_some() {
            return refuse(
                self,
                span,
                format!("{target} cannot make a map over copies counted only at deploy time"),
                "a map over copies counted at deploy time",
                "make a list (`[for w in web: w.private_ip]`), or give the count at compile time (`--param`)",
            );
        }
        if let Some(filter) = &comp.filter {
            return refuse(
                self,
                filter.span,
                format!("{target} cannot filter copies counted only at deploy time"),
                "a filter over copies counted at deploy time",
                "list every copy and filter where the list is used, or give the count at compile time (`--param`)",
            );
        }
        let Some(of) = instance.natives().first().copied() else {
            return Val::list(Vec::new());
        };
        let copy = Val::Resource(Rc::new(Instance {
            native: instance.native,
            made: instance.made.clone(),
            counted: false,
            exists: None,
            outputs: instance.outputs.clone(),
        }));
        let before = self.frame().locals.len();
        self.bind(&comp.binding, Val::Deploy(ir::Expr::CountIndex), copy);
        let body = self.expr(&comp.body);
        self.frame().locals.truncate(before);
        let each = body.into_ir();
        if each.any(&|e| matches!(e, ir::Expr::Copies { .. })) {
            return refuse(
                self,
                comp.body.span,
                format!(
                    "{target} cannot repeat over copies counted only at deploy time inside another such repetition"
                ),
                "repeats over copies again",
                "give the count at compile time (`--param`)",
            );
        }
        if self.target.repetition() == Repetition::Groups && !heat_reads_copies(&each) {
            return refuse(
                self,
                comp.body.span,
                "Heat can list only one attribute of each copy of a resource counted at deploy time".to_string(),
                "computed for each copy",
                "list the attribute alone (`[for w in web: w.private_ip]`) and build on that list, or give the count at compile time (`--param`)",
            );
        }
        Val::Deploy(ir::Expr::Copies {
            of,
            each: Box::new(each),
        })
    }
}

/// Can Heat list `each` over a group's copies: one attribute of a member,
/// or its id (`get_attr [group, attribute]`, `get_attr [group, refs]`)?
fn heat_reads_copies(each: &ir::Expr) -> bool {
    matches!(each, ir::Expr::Ref(_))
        || crate::backend::heat::member_path(each).is_some_and(|(_, path)| !path.is_empty())
}
