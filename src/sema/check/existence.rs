//! Uses of conditional resources: a resource declared under an `if` read
//! where that condition is not known to hold (E0208), with a help that
//! names only what is in scope there.

use super::exprs::canon;
use super::{Checker, Entry, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::names::{DeclId, Names};
use crate::sema::ty::Ty;
use crate::source::Span;
use crate::syntax::ast::*;

impl Checker<'_> {
    /// Reports a conditional resource used where its `if` is not known to
    /// hold (E0208), unless one instance of a repeated resource is read at a
    /// constant index under the condition that instance exists by: for `a`
    /// declared `for i in 0..3 if i < n`, `0 < n ? a[0].url : null`. The
    /// help names only what is in scope where `a` is used: an `if` reading
    /// the loop variables is shown with them replaced by what they are for
    /// one instance, or not shown at all.
    pub(super) fn may_not_exist(
        &mut self,
        scope: &Scope,
        name: &Ident,
        index: Option<&Expr>,
        item: usize,
        guard_span: Span,
    ) {
        let ItemKind::Resource(r) = &scope.items[item].kind else {
            return;
        };
        let Some(guard) = &r.if_guard else {
            return;
        };
        let constant = index.and_then(|e| constant_index(scope, e));
        let bound: Vec<DeclId> = r
            .for_guard
            .iter()
            .flat_map(|f| std::iter::once(&f.binding.first).chain(&f.binding.second))
            .filter_map(|b| scope.names.of(b))
            .collect();
        let binds = |n: &Ident| scope.names.of(n).is_some_and(|id| bound.contains(&id));
        let mut names = Vec::new();
        guard.for_each_name(&mut |n| names.push(n));
        let reads_binding = names.iter().any(|n| binds(n));
        // The condition as it reads here for instance `k`; `None` when the
        // names it reads mean something else here, or a loop variable cannot
        // be written without the loop.
        let shadowed = names.iter().any(|n| !binds(n) && scope.is_local(n));
        let instance = |k: i64| {
            let guard_for = r.for_guard.as_ref()?;
            let substitutions = instance_bindings(scope, guard_for, k)?;
            let hidden = substitutions
                .iter()
                .flat_map(|(_, e, _)| {
                    let mut inner = Vec::new();
                    e.for_each_name(&mut |n| inner.push(n));
                    inner
                })
                .any(|n| scope.is_local(n));
            (!shadowed && !hidden).then_some(substitutions)
        };
        if reads_binding
            && let Some(k) = constant
            && let Some(substitutions) = instance(k)
            && scope
                .conditions
                .contains(&canon(&substitute(scope.names, guard, &substitutions)))
        {
            return;
        }
        // `[for i in 0..4 if i < n: a[i]]`, `a` declared `for i in 0..4 if
        // i < n`: the index read where the copy's own `if`, for that index,
        // holds.
        if reads_binding
            && constant.is_none()
            && let Some(e) = index
            && let Some(substitutions) = index_bindings(scope, r, e)
            && !shadowed
            && scope
                .conditions
                .contains(&canon(&substitute(scope.names, guard, &substitutions)))
        {
            return;
        }
        // Which copies exist may be known when the program is built: the
        // copies as a whole are those, and one of them may be read.
        if let Some(exists) = copies_known(scope, r) {
            match (index, constant) {
                (None, _) => return,
                (Some(_), Some(k)) if exists.get(k as usize) == Some(&true) => return,
                (Some(_), Some(k)) if exists.get(k as usize) == Some(&false) => {
                    let kept: Vec<String> = exists
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| **e)
                        .map(|(i, _)| i.to_string())
                        .collect();
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0208,
                            name.span,
                            format!("copy {k} of `{}` never exists", name.name),
                        )
                        .label(format!("its `if` is false for copy {k}"))
                        .secondary(guard_span, "false for this copy")
                        .help(if kept.is_empty() {
                            format!("no copy of `{}` exists", name.name)
                        } else {
                            format!("the copies that exist are {}", kept.join(", "))
                        }),
                    );
                    return;
                }
                _ => {}
            }
        }
        let written = self.source_text(guard_span);
        let help = if !reads_binding {
            let read = match (index, &r.for_guard) {
                (Some(e), _) => format!("{}[{}]", name.name, self.source_text(e.span)),
                (None, Some(_)) => format!("{}[0]", name.name),
                (None, None) => name.name.clone(),
            };
            format!(
                "use it under the same condition, as in `{written} ? {read}.ATTRIBUTE : null`, or give this declaration the same `if`"
            )
        } else {
            let variable = names
                .iter()
                .find(|n| binds(n))
                .map_or("", |n| n.name.as_str());
            let k = constant.unwrap_or(0);
            match instance(k) {
                Some(substitutions) if constant.is_some() => {
                    let condition =
                        splice(scope.names, &written, guard_span, guard, &substitutions);
                    format!(
                        "instance {k} of `{0}` exists only when `{condition}`: read it under that condition, as in `{condition} ? {0}[{k}].ATTRIBUTE : null`",
                        name.name
                    )
                }
                Some(substitutions) => {
                    let condition =
                        splice(scope.names, &written, guard_span, guard, &substitutions);
                    format!(
                        "whether an instance of `{0}` exists depends on `{variable}`, its loop variable: read one instance at a constant index under its own condition, as in `{condition} ? {0}[{k}].ATTRIBUTE : null`, or use `{0}` in a resource with the same `for` and `if`",
                        name.name
                    )
                }
                None => format!(
                    "whether an instance of `{0}` exists depends on `{variable}`, its loop variable, which is not in scope here: use `{0}` in a resource with the same `for` and `if`",
                    name.name
                ),
            }
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0208,
                name.span,
                format!("`{}` may not exist here", name.name),
            )
            .label(format!("`{}` exists only under a condition", name.name))
            .secondary(guard_span, "it exists only when this is true")
            .help(help),
        );
    }
}

/// A constant index, when nothing it reads is a local: `a[0]`, `a[last]`.
fn constant_index(scope: &Scope, index: &Expr) -> Option<i64> {
    let mut names = Vec::new();
    index.for_each_name(&mut |n| names.push(n));
    if names.iter().any(|n| scope.is_local(n)) {
        return None;
    }
    match eval::eval(
        index,
        scope.names,
        &|n| scope.consts.lookup(n),
        &mut Vec::new(),
    )? {
        Value::Int(k) if k >= 0 => Some(k),
        _ => None,
    }
}

/// What the loop variables of `guard` are for instance `k`, as
/// expressions of the module's scope, with their text: for `i in a..b`,
/// `a + k` when `a` is a constant; for `x in xs`, a list named at the top
/// level, `xs[k]`. `None` for anything else.
/// Which copies of a repeated resource exist, when its `if` folds for every
/// element of its `for` at compile time (`for i in 0..3 if i > 0`).
fn copies_known(scope: &Scope, r: &Resource) -> Option<Vec<bool>> {
    let repeat = r.for_guard.as_ref()?;
    let guard = r.if_guard.as_ref()?;
    let iterable = eval::eval(
        &repeat.iterable,
        scope.names,
        &|n| scope.consts.lookup(n),
        &mut Vec::new(),
    )?;
    let elements: Vec<(Value, Value)> = match iterable {
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Int(i as i64), v))
            .collect(),
        Value::Object(fields) => fields
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect(),
        _ => return None,
    };
    elements
        .into_iter()
        .map(|(first, second)| {
            let binding = &repeat.binding;
            let bound: Vec<(Option<DeclId>, Value)> = match &binding.second {
                Some(s) => vec![
                    (scope.names.of(&binding.first), first),
                    (scope.names.of(s), second),
                ],
                None => vec![(scope.names.of(&binding.first), second)],
            };
            let lookup = |n: &Ident| {
                let id = scope.names.of(n);
                bound
                    .iter()
                    .find(|(b, _)| b.is_some() && *b == id)
                    .map(|(_, v)| v.clone())
                    .or_else(|| scope.consts.lookup(n))
            };
            match eval::eval(guard, scope.names, &lookup, &mut Vec::new())? {
                Value::Bool(b) => Some(b),
                _ => None,
            }
        })
        .collect()
}

/// A loop variable's declaration, the expression it stands for, and that
/// expression's text.
type Substitution = (DeclId, Expr, String);

/// The loop variables of `r`, declared `for i in 0..N` (or `for k, i in
/// 0..N`), as the copy read by `index` binds them: both are the index.
fn index_bindings(scope: &Scope, r: &Resource, index: &Expr) -> Option<Vec<Substitution>> {
    let guard = r.for_guard.as_ref()?;
    let ExprKind::Range(start, _) = &guard.iterable.kind else {
        return None;
    };
    let start = eval::eval(
        start,
        scope.names,
        &|n| scope.consts.lookup(n),
        &mut Vec::new(),
    );
    if start != Some(Value::Int(0)) {
        return None;
    }
    let written = canon(index);
    std::iter::once(&guard.binding.first)
        .chain(&guard.binding.second)
        .map(|b| Some((scope.names.of(b)?, index.clone(), written.clone())))
        .collect()
}

fn instance_bindings(scope: &Scope, guard: &ForGuard, k: i64) -> Option<Vec<Substitution>> {
    let literal = |n: i64| {
        let expr = Expr {
            kind: ExprKind::Int(n),
            span: Span::default(),
        };
        (expr, n.to_string())
    };
    let (index, element) = match &guard.iterable.kind {
        ExprKind::Range(start, _) => {
            let Value::Int(start) = eval::eval(
                start,
                scope.names,
                &|n| scope.consts.lookup(n),
                &mut Vec::new(),
            )?
            else {
                return None;
            };
            (literal(k), literal(start.checked_add(k)?))
        }
        ExprKind::Name(list) if is_list(scope, list) => {
            let expr = Expr {
                kind: ExprKind::Index(Box::new(guard.iterable.clone()), Box::new(literal(k).0)),
                span: Span::default(),
            };
            (literal(k), (expr, format!("{}[{k}]", list.name)))
        }
        _ => return None,
    };
    let binding = &guard.binding;
    let first = scope.names.of(&binding.first)?;
    Some(match &binding.second {
        Some(second) => vec![
            (first, index.0, index.1),
            (scope.names.of(second)?, element.0, element.1),
        ],
        None => vec![(first, element.0, element.1)],
    })
}

/// Is `name`, of the module's top level, a list (by its declared type, or
/// its value when known at compile time)?
fn is_list(scope: &Scope, name: &Ident) -> bool {
    let typed = match scope.names.of(name).and_then(|id| scope.entries.get(id)) {
        Some(Entry::Param(t, _)) => Some(t),
        Some(Entry::Let(index)) => scope.lets.get(index).and_then(Option::as_ref),
        _ => None,
    };
    match typed.map(Ty::non_optional) {
        Some(Ty::List(_)) => true,
        Some(Ty::Any) | None => matches!(scope.consts.lookup(name), Some(Value::List(_))),
        Some(_) => false,
    }
}

/// `expr` with the names of `substitutions` replaced by their expressions.
fn substitute(names: &Names, expr: &Expr, substitutions: &[Substitution]) -> Expr {
    let mut expr = expr.clone();
    replace_names(names, &mut expr, substitutions);
    expr
}

fn replace_names(names: &Names, expr: &mut Expr, substitutions: &[Substitution]) {
    let mut each = |e: &mut Expr| replace_names(names, e, substitutions);
    match &mut expr.kind {
        ExprKind::Name(name) => {
            let id = names.of(name);
            if let Some((_, replacement, _)) = substitutions.iter().find(|(d, ..)| Some(*d) == id) {
                *expr = replacement.clone();
            }
        }
        ExprKind::Str(s) => {
            for part in &mut s.parts {
                if let StrPart::Interp(e) = part {
                    each(e);
                }
            }
        }
        ExprKind::List(items) => items.iter_mut().for_each(each),
        ExprKind::Object(props) => props.iter_mut().for_each(|p| each(&mut p.value)),
        ExprKind::Member(base, _) => each(base),
        ExprKind::Call(callee, args) => {
            if !matches!(callee.kind, ExprKind::Name(_)) {
                each(callee);
            }
            args.iter_mut().for_each(each);
        }
        ExprKind::Unary(_, e) | ExprKind::Paren(e) => each(e),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
            each(a);
            each(b);
        }
        ExprKind::Conditional(c, a, b) => {
            each(c);
            each(a);
            each(b);
        }
        ExprKind::ListComp(comp) => {
            each(&mut comp.iterable);
            comp.filter.iter_mut().for_each(&mut each);
            each(&mut comp.body);
        }
        ExprKind::ObjectComp(comp, value) => {
            each(&mut comp.iterable);
            comp.filter.iter_mut().for_each(&mut each);
            each(&mut comp.body);
            each(value);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Number(_)
        | ExprKind::Error => {}
    }
}

/// The text of `guard`, written at `span` as `written`, with the names of
/// `substitutions` replaced by their text.
fn splice(
    resolved: &Names,
    written: &str,
    span: Span,
    guard: &Expr,
    substitutions: &[Substitution],
) -> String {
    let mut names = Vec::new();
    guard.for_each_name(&mut |n| names.push(n));
    names.sort_by_key(|n| std::cmp::Reverse(n.span.range().start));
    let mut text = written.to_string();
    let base = span.range().start;
    for name in names {
        let id = resolved.of(name);
        let Some((_, _, replacement)) = substitutions.iter().find(|(d, ..)| Some(*d) == id) else {
            continue;
        };
        let range = name.span.range();
        if let (Some(start), Some(end)) =
            (range.start.checked_sub(base), range.end.checked_sub(base))
            && name.span.file == span.file
            && text.is_char_boundary(start)
            && end <= text.len()
            && text.is_char_boundary(end)
        {
            text.replace_range(start..end, replacement);
        }
    }
    text
}
