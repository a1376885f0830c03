//! Deploy-time counts on a target without repetition of its own
//! (CloudFormation): `for i in FROM..n`, `n` a param left open with a
//! compile-time bound (its `max`, or its `allowed` values), unrolls to the
//! bound, each copy existing under a condition the target evaluates from
//! the param alone: `n` is one of the values above the copy's own. A list
//! of the copies holds each under its condition (`Fn::If` with
//! `AWS::NoValue`), so a load balancer's members follow the count.

use std::borrow::Cow;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::sema::check::ModuleId;
use crate::sema::eval::Value;
use crate::sema::params::ParamType;
use crate::sema::schema::SchemaKind;
use crate::syntax::ast::*;

use super::expand::{Expander, Key, Path};
use super::resources::{Naming, with_exists};
use super::values::Val;

/// Whether a count is above a copy's value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Above {
    Always,
    Never,
    When(ir::Expr),
}

/// `c ? a : b` of two answers, folded where a side is constant.
fn choose(c: &ir::Expr, a: Above, b: Above) -> Above {
    let not_c = || ir::Expr::Not(Box::new(c.clone()));
    match (a, b) {
        (Above::Always, Above::Always) => Above::Always,
        (Above::Never, Above::Never) => Above::Never,
        (Above::Always, Above::Never) => Above::When(c.clone()),
        (Above::Never, Above::Always) => Above::When(not_c()),
        (Above::Always, Above::When(y)) => Above::When(ir::Expr::or(c.clone(), y)),
        (Above::When(x), Above::Always) => Above::When(ir::Expr::or(x, not_c())),
        (Above::Never, Above::When(y)) => Above::When(ir::Expr::and(Some(not_c()), y)),
        (Above::When(x), Above::Never) => Above::When(ir::Expr::and(Some(c.clone()), x)),
        (Above::When(x), Above::When(y)) => Above::When(ir::Expr::or(
            ir::Expr::and(Some(c.clone()), x),
            ir::Expr::and(Some(not_c()), y),
        )),
    }
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::Number(x) if x.is_finite() => Some(x.floor() as i64),
        _ => None,
    }
}

impl<'p> Expander<'p> {
    /// The values an int param left open may take, as far as its
    /// constraints say: its `allowed` values, else `min` (or none) to `max`;
    /// `None` without an upper bound.
    fn count_values(&self, name: &str) -> Option<(Option<i64>, i64, Option<Vec<i64>>)> {
        let info = self.program.params.get(name)?;
        if info.ty != ParamType::Int {
            return None;
        }
        if let Some(allowed) = &info.constraints.allowed {
            let values: Vec<i64> = allowed.value.iter().filter_map(as_int).collect();
            let max = *values.iter().max()?;
            return Some((values.iter().min().copied(), max, Some(values)));
        }
        let max = as_int(&info.constraints.max.as_ref()?.value)?;
        let min = info.constraints.min.as_ref().and_then(|m| as_int(&m.value));
        Some((min, max, None))
    }

    /// The largest value a deploy-time count can take, when its params'
    /// constraints bound it.
    pub(super) fn count_bound(&self, count: &ir::Expr) -> Option<i64> {
        match count {
            ir::Expr::Int(i) => Some(*i),
            ir::Expr::Param(name) => self.count_values(name).map(|(_, max, _)| max),
            ir::Expr::If(_, a, b) => Some(self.count_bound(a)?.max(self.count_bound(b)?)),
            _ => None,
        }
    }

    /// Whether `count > value`, as a condition on the params alone: an
    /// `==` for each value of the param above `value` (CloudFormation
    /// compares no numbers but for equality).
    pub(super) fn count_above(&self, count: &ir::Expr, value: i64) -> Option<Above> {
        Some(match count {
            ir::Expr::Int(i) if *i > value => Above::Always,
            ir::Expr::Int(_) => Above::Never,
            ir::Expr::Param(name) => {
                let (min, max, allowed) = self.count_values(name)?;
                let above: Vec<i64> = match allowed {
                    Some(values) => {
                        let mut above: Vec<i64> =
                            values.into_iter().filter(|&v| v > value).collect();
                        above.sort_unstable();
                        above.dedup();
                        above
                    }
                    None => (min.unwrap_or(i64::MIN).max(value.saturating_add(1))..=max).collect(),
                };
                if above.is_empty() {
                    Above::Never
                } else if min.is_some_and(|min| min > value) {
                    Above::Always
                } else {
                    let equal = |v: i64| {
                        ir::Expr::Binary(
                            BinaryOp::Eq,
                            Box::new(count.clone()),
                            Box::new(ir::Expr::Int(v)),
                        )
                    };
                    let mut values = above.into_iter();
                    let first = values.next().map(equal)?;
                    Above::When(values.fold(first, |all, v| ir::Expr::or(all, equal(v))))
                }
            }
            ir::Expr::If(c, a, b) => {
                choose(c, self.count_above(a, value)?, self.count_above(b, value)?)
            }
            _ => return None,
        })
    }

    /// `k < n` (and `<=`, `>`, `>=`, either way round), `k` known at
    /// compile time and `n` a bounded count, on a target that cannot order
    /// deploy-time values (CloudFormation, Heat): the `==` tests of
    /// `count_above`, which it can evaluate. `None` for anything else.
    pub(super) fn count_comparison(&self, op: BinaryOp, a: &Val, b: &Val) -> Option<Val> {
        if self.target.capabilities().ordering_comparisons {
            return None;
        }
        // As `n > k` (`count_above(n, k)`) or its negation `n <= k`.
        let (count, k, above) = match (a, b, op) {
            (Val::Int(k), Val::Deploy(n), BinaryOp::Lt) => (n, *k, true),
            (Val::Int(k), Val::Deploy(n), BinaryOp::Le) => (n, k.checked_sub(1)?, true),
            (Val::Int(k), Val::Deploy(n), BinaryOp::Gt) => (n, k.checked_sub(1)?, false),
            (Val::Int(k), Val::Deploy(n), BinaryOp::Ge) => (n, *k, false),
            (Val::Deploy(n), Val::Int(k), BinaryOp::Gt) => (n, *k, true),
            (Val::Deploy(n), Val::Int(k), BinaryOp::Ge) => (n, k.checked_sub(1)?, true),
            (Val::Deploy(n), Val::Int(k), BinaryOp::Lt) => (n, k.checked_sub(1)?, false),
            (Val::Deploy(n), Val::Int(k), BinaryOp::Le) => (n, *k, false),
            _ => return None,
        };
        self.count_bound(count)?;
        Some(match (self.count_above(count, k)?, above) {
            (Above::Always, yes) => Val::Bool(yes),
            (Above::Never, yes) => Val::Bool(!yes),
            (Above::When(c), true) => Val::Deploy(c),
            (Above::When(c), false) => Val::Deploy(ir::Expr::Not(Box::new(c))),
        })
    }

    /// `for i in from..to`, `to` known only at deploy time, on a target
    /// that cannot repeat: the copies up to `to`'s bound, each under the
    /// condition that `to` is above it; E0504 when nothing bounds `to`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bounded_range(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        condition: Option<ir::Expr>,
        from: &Expr,
        to: &Expr,
    ) -> Val {
        let from = self.expr(from);
        let to = self.expr(to).into_ir();
        let (Val::Int(from), Some(bound)) = (from, self.count_bound(&to)) else {
            self.unbounded_count(guard, &to);
            return Val::Null;
        };
        let mut instances = Vec::new();
        for value in from..bound {
            let index = value - from;
            let above = match self.count_above(&to, value) {
                Some(Above::Never) | None => break,
                Some(above) => above,
            };
            let exists = match above {
                Above::When(c) => Some(c),
                _ => None,
            };
            let copy_condition = match &exists {
                Some(b) => Some(ir::Expr::and(condition.clone(), b.clone())),
                None => condition.clone(),
            };
            let pairs = vec![(Val::Int(index), Val::Int(value))];
            self.covered.extend(exists.clone());
            let made = self.copies(
                r,
                guard,
                path,
                key,
                pairs,
                index as usize,
                copy_condition,
                Naming::Element,
            );
            if exists.is_some() {
                self.covered.pop();
            }
            instances.extend(
                made.into_iter()
                    .map(|copy| with_exists(copy, exists.clone())),
            );
        }
        Val::list(instances)
    }

    /// Whether copies of `r` counted up to `to` are unrolled on Heat rather
    /// than made the members of a group: when `r` is made of several
    /// native resources (a `compute.Server` is a port and a server), each
    /// of which would be a group of its own, unable to name the member of
    /// another with its index, and `to` has a bound.
    pub(super) fn unrolls_on_groups(&mut self, r: &'p Resource, to: &Expr) -> bool {
        let module = self.frame().module;
        let Some(schema) = self.program.schema_of(module, r) else {
            return false;
        };
        let SchemaKind::Component { module, index } = self.program.schemas[schema.0 as usize].kind
        else {
            return false;
        };
        if !self.several_natives(module, index, 0) {
            return false;
        }
        let to = self.expr(to).into_ir();
        self.count_bound(&to).is_some()
    }

    /// Does an instance of the component at `index` of `module` make more
    /// than one native resource on this target (or may it: a repeated one)?
    fn several_natives(&self, module: ModuleId, index: usize, depth: u32) -> bool {
        if depth > 32 {
            return true;
        }
        let items = &self.program.modules[module.0 as usize].items;
        let Some(ItemKind::Component(component)) = items.get(index).map(|i| &i.kind) else {
            return false;
        };
        let block: &[Item] = component
            .items
            .iter()
            .find_map(|i| match &i.kind {
                ItemKind::Target(t) if t.target.name == self.target.name() => Some(&t.items[..]),
                _ => None,
            })
            .unwrap_or(&[]);
        let resources: Vec<&Resource> = component
            .items
            .iter()
            .chain(block)
            .filter_map(|i| match &i.kind {
                ItemKind::Resource(r) => Some(r),
                _ => None,
            })
            .collect();
        match resources.as_slice() {
            [] => false,
            [one] if one.for_guard.is_none() => {
                let kind = self
                    .program
                    .schema_of(module, one)
                    .map(|id| &self.program.schemas[id.0 as usize].kind);
                match kind {
                    Some(&SchemaKind::Component { module, index }) => {
                        self.several_natives(module, index, depth + 1)
                    }
                    _ => false,
                }
            }
            _ => true,
        }
    }

    /// E0504: a deploy-time count without a bound, on a target that must
    /// unroll it.
    fn unbounded_count(&mut self, guard: &ForGuard, count: &ir::Expr) {
        let param = match count {
            ir::Expr::Param(name) => Cow::Owned(format!("`{name}`")),
            _ => Cow::Borrowed("the params it reads"),
        };
        let (at, label) = match self.given_argument(&guard.iterable) {
            Some((argument, _)) => (argument.value.span, "known only at deploy time, unbounded"),
            None => (guard.iterable.span, "known only at deploy time, unbounded"),
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0504,
                at,
                format!(
                    "{} cannot repeat a resource a number of times known only at deploy time without a largest number",
                    self.target.display()
                ),
            )
            .label(label)
            .note("the copies are made up to the count's largest value, each existing only when the count is above it")
            .help(format!(
                "give {param} a `max` (`param n: int = 2 {{ max = 10 }}`) or `allowed` values, or its value at compile time (`--param`)"
            )),
        );
    }
}
