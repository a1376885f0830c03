//! Expressions: partial evaluation of names, literals, members, indexes,
//! calls and operators, folded where every operand is known and distributed
//! over deploy-time choices.

use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::sema::eval::{self, Value};
use crate::source::Span;
use crate::syntax::ast::*;

use crate::sema::names::{DeclKind, Place};

use super::expand::{Expander, Memo};
use super::values::{Fields, Val, ir_fields};

impl<'p> Expander<'p> {
    /// Lowers an expression as a property value, `self.expr(expr)
    /// .into_property()`, building list and object literals as IR directly.
    pub(super) fn property(&mut self, expr: &Expr) -> ir::Expr {
        match &expr.kind {
            ExprKind::Paren(inner) => self.property(inner),
            ExprKind::Str(s) => match s.parts.as_slice() {
                [StrPart::Text(t)] => ir::Expr::String(t.clone()),
                _ => self.expr(expr).into_property(),
            },
            ExprKind::Int(i) => ir::Expr::Int(*i),
            ExprKind::Bool(b) => ir::Expr::Bool(*b),
            ExprKind::List(items) => {
                ir::Expr::List(items.iter().map(|e| self.property(e)).collect())
            }
            ExprKind::Object(props) => ir::Expr::Object(ir_fields(
                props
                    .iter()
                    .map(|p| (self.key(&p.key.name), self.property(&p.value))),
                true,
            )),
            _ => self.expr(expr).into_property(),
        }
    }

    /// A native resource's property value: `property`, remembered (see
    /// `remembered`).
    pub(super) fn remembered_property(&mut self, expr: &'p Expr) -> ir::Expr {
        let lowered = self.remembered(expr, |this, expr| Lowered::Property(this.property(expr)));
        match lowered {
            Lowered::Property(value) => value,
            Lowered::Let(_) => unreachable!("a property's value is remembered as one"),
        }
    }

    /// The value of a `let`, remembered (see `remembered`).
    pub(super) fn remembered_let(&mut self, expr: &'p Expr) -> Val {
        match self.remembered(expr, |this, expr| Lowered::Let(this.expr(expr))) {
            Lowered::Let(value) => value,
            Lowered::Property(_) => unreachable!("a let's value is remembered as one"),
        }
    }

    /// `lower(expr)`, remembered for the next copy or instance whose names
    /// it reads hold the same constants (a security group's rules, the
    /// defaults of a component's params): lowered again, it would give
    /// the same value, spend the same budget and report nothing.
    fn remembered(&mut self, expr: &'p Expr, lower: fn(&mut Self, &'p Expr) -> Lowered) -> Lowered {
        if matches!(
            expr.kind,
            ExprKind::Name(_) | ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Bool(_)
        ) {
            return lower(self, expr);
        }
        let at = std::ptr::from_ref(expr) as usize;
        let names = match self.remembered.get(&at) {
            Some(None) => return lower(self, expr),
            Some(Some(known)) => &known.names,
            None => {
                let fresh = Remembered {
                    names: free_names(expr),
                    key: Vec::new(),
                    value: None,
                    misses: 0,
                    hits: 0,
                };
                self.remembered.insert(at, Some(fresh));
                match self.remembered.get(&at) {
                    Some(Some(known)) => &known.names,
                    _ => unreachable!("inserted above"),
                }
            }
        };
        // The values of the names it reads, as lowering would find them.
        // In a buffer reused from one lowering to the next (a lowering
        // within takes a fresh one).
        let mut key = std::mem::take(&mut self.key_buffer_vals);
        let keyed = self.key_of(names, &mut key, 0);
        if let (true, Some(Some(known))) = (keyed, self.remembered.get(&at))
            && let Some(earlier) = &known.value
            && known.key.len() == key.len()
            && known.key.iter().zip(&key).all(|(a, b)| same_entry(a, b))
        {
            let steps = self.spent.steps.saturating_add(earlier.steps);
            let values = self.spent.values.saturating_add(earlier.values);
            let frame = self.frames.last().expect("a frame is open while lowering");
            let todo = earlier
                .lets
                .iter()
                .all(|(position, _)| matches!(frame.memo.get(*position), Some(Memo::Todo)));
            if !self.spent.exhausted
                && steps <= self.budget.steps
                && values <= self.budget.values
                && todo
            {
                let value = earlier.value.clone();
                let lets = (!earlier.lets.is_empty()).then(|| earlier.lets.clone());
                self.spent.steps = steps;
                self.spent.values = values;
                let frame = self.frame();
                for (position, v) in lets.into_iter().flatten() {
                    frame.memo[position] = Memo::Done(v);
                }
                if let Some(Some(known)) = self.remembered.get_mut(&at) {
                    known.hits += 1;
                }
                key.clear();
                self.key_buffer_vals = key;
                return value;
            }
        }
        let (steps, values) = (self.spent.steps, self.spent.values);
        let reported = self.diagnostics.len();
        // A let read before it is computed is computed while lowering: which
        // ones, to set them alike when the value is reused.
        let pending = keyed && key.iter().any(Option::is_none);
        let frames = self.frames.len();
        let made = self.resources.len();
        let todo: Vec<usize> = match pending {
            true => self.frames[frames - 1]
                .memo
                .iter()
                .enumerate()
                .filter(|(_, m)| matches!(m, Memo::Todo))
                .map(|(i, _)| i)
                .collect(),
            false => Vec::new(),
        };
        let value = lower(self, expr);
        let settled = keyed && key.iter().flatten().all(settled);
        let lets: Vec<(usize, Val)> = if pending {
            let memo = &self.frames[frames - 1].memo;
            todo.iter()
                .filter_map(|&i| match &memo[i] {
                    Memo::Done(v) => Some((i, v.clone())),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let untouched = !pending || (self.frames.len() == frames && self.resources.len() == made);
        let spent = (self.spent.steps - steps, self.spent.values - values);
        let store = settled && !self.spent.exhausted && self.diagnostics.len() == reported;
        let Some(Some(known)) = self.remembered.get_mut(&at) else {
            key.clear();
            self.key_buffer_vals = key;
            return value;
        };
        if store && untouched {
            std::mem::swap(&mut known.key, &mut key);
            known.value = Some(Earlier {
                value: value.clone(),
                steps: spent.0,
                values: spent.1,
                lets,
            });
        }
        key.clear();
        self.key_buffer_vals = key;
        known.misses += 1;
        // One that never repeats (it reads a resource, a name of each
        // copy) is not worth looking up again.
        if known.hits == 0 && known.misses >= MISSES_BEFORE_FORGETTING {
            self.remembered.insert(at, None);
        }
        value
    }

    /// Pushes onto `key` the values `names` hold, as `peek_name` knows
    /// them; a `let` of the frame not computed yet, whose value lowering
    /// would compute on the way, as `None` and then, in its place, what
    /// its own expression reads (known when that was lowered before:
    /// `remembered`). `false` when one is not known.
    fn key_of(&self, names: &[&'p Ident], key: &mut Vec<Option<Val>>, depth: u32) -> bool {
        for name in names {
            if let Some(v) = self.peek_name(name) {
                key.push(Some(v));
                continue;
            }
            let Some(inner) = self.todo_let_names(name).filter(|_| depth < MAX_LET_DEPTH) else {
                return false;
            };
            key.push(None);
            if !self.key_of(inner, key, depth + 1) {
                return false;
            }
        }
        true
    }

    /// The names a `let` of the current frame reads, when it is not
    /// computed yet and its expression was lowered through `remembered`.
    fn todo_let_names(&self, name: &Ident) -> Option<&[&'p Ident]> {
        let frame = self.frames.last()?;
        let names = &self.program.names[frame.module.0 as usize];
        let (_, decl) = names.lookup(name)?;
        if decl.kind != DeclKind::Let || decl.place == Place::Loop {
            return None;
        }
        let position = frame.position(frame.module, decl.place)?;
        let ItemKind::Let(l) = &frame.item(position).kind else {
            return None;
        };
        if !matches!(frame.memo[position], Memo::Todo) {
            return None;
        }
        let at = std::ptr::from_ref::<Expr>(&l.value) as usize;
        match self.remembered.get(&at) {
            Some(Some(known)) => Some(&known.names),
            _ => None,
        }
    }

    /// Lowers an expression: what its operands know at compile time is
    /// folded as they are combined (`fold_op`), the rest becomes IR.
    #[inline]
    pub fn expr(&mut self, expr: &Expr) -> Val {
        match expr.kind {
            ExprKind::List(_) | ExprKind::Object(_) => self.literal(expr),
            _ => self.lower_expr(expr),
        }
    }

    /// A list or object literal: one made only of constants is built once
    /// and shared, its steps and elements counted each time it is read as
    /// they would be were it built again.
    #[inline(never)]
    fn literal(&mut self, expr: &Expr) -> Val {
        let at = std::ptr::from_ref(expr) as usize;
        match self.literals.get(&at) {
            Some(Some(known)) => {
                let steps = self.spent.steps.saturating_add(known.steps);
                let values = self.spent.values.saturating_add(known.values);
                if !self.spent.exhausted
                    && steps <= self.budget.steps
                    && values <= self.budget.values
                {
                    self.spent.steps = steps;
                    self.spent.values = values;
                    return known.value.clone();
                }
                return self.lower_expr(expr);
            }
            Some(None) => return self.lower_expr(expr),
            None => {}
        }
        if !is_constant_literal(expr) {
            self.literals.insert(at, None);
            return self.lower_expr(expr);
        }
        let (steps, values) = (self.spent.steps, self.spent.values);
        let value = self.lower_expr(expr);
        if !self.spent.exhausted {
            let known = Literal {
                value: value.clone(),
                steps: self.spent.steps - steps,
                values: self.spent.values - values,
            };
            self.literals.insert(at, Some(known));
        }
        value
    }

    /// The value `expr` lowers to when it is a constant literal whose value
    /// is known without lowering it (a list or object one built already).
    pub(super) fn constant(&self, expr: &Expr) -> Option<Val> {
        match &expr.kind {
            ExprKind::Null => Some(Val::Null),
            ExprKind::Bool(b) => Some(Val::Bool(*b)),
            ExprKind::Int(i) => Some(Val::Int(*i)),
            ExprKind::Str(s) => match s.parts.as_slice() {
                [] => Some(Val::Str(String::new())),
                [StrPart::Text(t)] => Some(Val::Str(t.clone())),
                _ => None,
            },
            ExprKind::Paren(inner) => self.constant(inner),
            ExprKind::List(_) | ExprKind::Object(_) => {
                let at = std::ptr::from_ref(expr) as usize;
                match self.literals.get(&at) {
                    Some(Some(known)) => Some(known.value.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn lower_expr(&mut self, expr: &Expr) -> Val {
        if !self.step(expr.span) {
            return Val::Null;
        }
        match &expr.kind {
            ExprKind::Name(name) => self.lookup_name(name).unwrap_or(Val::Null),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Str(s) => {
                if let [StrPart::Text(t)] = s.parts.as_slice() {
                    return Val::Str(t.clone());
                }
                let mut parts: Vec<ir::Part> = Vec::with_capacity(s.parts.len());
                for part in &s.parts {
                    match part {
                        StrPart::Text(t) => push_text(&mut parts, t),
                        StrPart::Interp(e) => match self.expr(e) {
                            Val::Str(t) => push_text(&mut parts, &t),
                            Val::Int(i) => push_text(&mut parts, &i.to_string()),
                            Val::Bool(b) => push_text(&mut parts, &b.to_string()),
                            Val::Number(n) => push_text(&mut parts, &eval::format_number(n)),
                            Val::Null => {}
                            // Nested interpolations read as one.
                            Val::Deploy(ir::Expr::Interp(inner)) => {
                                for part in inner {
                                    match part {
                                        ir::Part::Text(t) => push_text(&mut parts, &t),
                                        expr => parts.push(expr),
                                    }
                                }
                            }
                            other => parts.push(ir::Part::Expr(other.into_ir())),
                        },
                    }
                }
                if parts.len() > 1 {
                    return Val::Deploy(ir::Expr::Interp(parts));
                }
                match parts.pop() {
                    None => Val::Str(String::new()),
                    Some(ir::Part::Text(t)) => Val::Str(t),
                    // `"${x}"` is `x`.
                    Some(ir::Part::Expr(e)) => Val::Deploy(e),
                }
            }
            ExprKind::List(items) => {
                if !self.hold(items.len(), expr.span) {
                    return Val::Null;
                }
                Val::list(items.iter().map(|e| self.expr(e)).collect())
            }
            ExprKind::Object(props) => {
                let mut fields = Fields::with_capacity(props.len());
                for p in props {
                    let v = self.expr(&p.value);
                    let k = self.key(&p.key.name);
                    fields.insert(k, v);
                }
                Val::object(fields)
            }
            ExprKind::Member(base, name) => {
                let base_val = self.expr(base);
                if self.counted(&base_val, base.span) {
                    return Val::Null;
                }
                member(base_val, &name.name)
            }
            ExprKind::Index(base, index) => {
                let base_val = self.expr(base);
                if self.counted(&base_val, base.span) {
                    return Val::Null;
                }
                let keys = match &base.kind {
                    ExprKind::Name(name) => self.copy_keys(name),
                    _ => None,
                };
                let base = base_val;
                let mut index_val_ = self.expr(index);
                if let Some(keys) = keys
                    && !matches!(index_val_, Val::Int(_))
                {
                    index_val_ = key_position(&keys, index_val_);
                }
                let at = (base_span(expr), index.span);
                let item = index_val(expr, base, index_val_, at, &mut self.diagnostics);
                self.bounded_copy(item, base_span(expr))
            }
            ExprKind::Call(callee, args) => {
                let builtin = match &callee.kind {
                    ExprKind::Name(n) => match Builtin::from_name(&n.name) {
                        Some(builtin) => builtin,
                        None => return Val::Null,
                    },
                    _ => return Val::Null,
                };
                if let Some(context) = builtin.context() {
                    return Val::Deploy(ir::Expr::Context(context));
                }
                let args: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
                if builtin == Builtin::Length
                    && let [arg] = args.as_slice()
                    && let Some(length) = self.deploy_length(arg)
                {
                    return length;
                }
                call_vals(expr, builtin, args, &mut self.diagnostics)
            }
            ExprKind::Unary(op, operand) => {
                let v = self.expr(operand);
                if let Some(folded) = fold_op(expr, &[&v], &mut self.diagnostics) {
                    return folded;
                }
                let v = v.into_ir();
                Val::Deploy(match op {
                    UnaryOp::Not => ir::Expr::Not(Box::new(v)),
                    UnaryOp::Neg => ir::Expr::Neg(Box::new(v)),
                })
            }
            ExprKind::Binary(op, a, b) => {
                let va = self.expr(a);
                // Short circuits decide without the other operand.
                match (op, &va) {
                    (BinaryOp::And, Val::Bool(false)) => return Val::Bool(false),
                    (BinaryOp::Or, Val::Bool(true)) => return Val::Bool(true),
                    (BinaryOp::And | BinaryOp::Or, Val::Bool(_)) => return self.expr(b),
                    _ => {}
                }
                // Text compared with text written out (`r.protocol ==
                // "any"`, for every copy): compared where it is written,
                // without a copy of it.
                let vb = match (op, &va, plain_text(b)) {
                    (BinaryOp::Eq | BinaryOp::Ne, Val::Str(text), Some(written)) => {
                        if self.step(b.span) {
                            return Val::Bool((text == written) == (*op == BinaryOp::Eq));
                        }
                        Val::Null
                    }
                    _ => self.expr(b),
                };
                if let Some(compared) = self.count_comparison(*op, &va, &vb) {
                    return compared;
                }
                binary_vals(expr, *op, va, vb, &mut self.diagnostics)
            }
            ExprKind::Conditional(c, a, b) => match self.expr(c) {
                Val::Bool(true) => self.expr(a),
                Val::Bool(false) => self.expr(b),
                cond => {
                    let va = self.expr(a);
                    let vb = self.expr(b);
                    choice(cond.into_ir(), va, vb)
                }
            },
            ExprKind::ListComp(comp) => {
                let iterable = self.expr(&comp.iterable);
                self.repeat(comp, None, expr.span, iterable)
            }
            ExprKind::ObjectComp(comp, value) => {
                let iterable = self.expr(&comp.iterable);
                self.repeat(comp, Some(value), expr.span, iterable)
            }
            ExprKind::Null | ExprKind::Error => Val::Null,
            ExprKind::Bool(b) => Val::Bool(*b),
            ExprKind::Int(i) => Val::Int(*i),
            ExprKind::Number(n) => match n.parse::<f64>() {
                Ok(x) if x.is_finite() => Val::Number(x),
                // The folder reports it, as it does everywhere.
                _ => fold_op(expr, &[], &mut self.diagnostics).unwrap_or(Val::Null),
            },
            // A range with a bound known only at deploy time is a count, read
            // from the syntax where a `for` needs it.
            ExprKind::Range(from, to) => match (self.expr(from), self.expr(to)) {
                (Val::Int(from), Val::Int(to)) if to - from <= eval::MAX_RANGE => {
                    let len = usize::try_from(to.saturating_sub(from)).unwrap_or(0);
                    if !self.hold(len, expr.span) {
                        return Val::Null;
                    }
                    Val::list((from..to).map(Val::Int).collect())
                }
                _ => Val::Null,
            },
        }
    }

    /// One copy of a resource unrolled to a deploy-time count's bound, read
    /// by index: as it is where the reader exists only with it (the copy
    /// of another resource over the same count), else refused (E0506),
    /// since it may not exist.
    fn bounded_copy(&mut self, item: Val, span: Span) -> Val {
        let Some(exists) = super::resources::exists_of(&item) else {
            return item;
        };
        if self.covered.contains(&exists) {
            return super::resources::with_exists(item, None);
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0506,
                span,
                "one copy of a resource repeated a number of times known only at deploy time cannot be read here",
            )
            .label("this copy exists only when the count is above its index")
            .help("list the copies with a comprehension (`[for w in web: w.id]`), read the copy from a resource repeated over the same count, or give the count at compile time (`--param`)"),
        );
        Val::Null
    }

    /// `length(list)` of copies that exist only under deploy-time
    /// conditions: the number that exist, not the number made. Copies
    /// counted by the target are their count; a list whose elements are
    /// kept under conditions (copies unrolled to a bound, a filter known
    /// at deploy time) is `length` of the list on a target that computes
    /// it (Terraform: of the `concat` of its parts), and elsewhere, when
    /// each condition implies the one before (a count above each copy's
    /// index), the choice `c3 ? 4 : c2 ? 3 : ...`. `None`: every element is
    /// there, and the length is known.
    fn deploy_length(&mut self, value: &Val) -> Option<Val> {
        match value {
            Val::Resource(instance) if instance.counted => {
                let count = instance
                    .natives()
                    .first()
                    .and_then(|id| self.resources.get(id.index()))
                    .and_then(|made| made.count.clone())?;
                Some(Val::from_ir(*count))
            }
            Val::List(items) => {
                let conditions: Vec<Option<ir::Expr>> = super::values::present(items)
                    .map(|item| match item {
                        Val::Deploy(ir::Expr::If(c, _, otherwise))
                            if matches!(**otherwise, ir::Expr::Null) =>
                        {
                            Some((**c).clone())
                        }
                        item => super::resources::exists_of(item),
                    })
                    .collect();
                if conditions.iter().all(Option::is_none) {
                    return None;
                }
                let whole = || {
                    Val::Deploy(ir::Expr::Call(
                        Builtin::Length,
                        vec![value.clone().into_ir()],
                    ))
                };
                if self.target.capabilities().deploy_arithmetic {
                    return Some(whole());
                }
                let fixed = conditions.iter().take_while(|c| c.is_none()).count();
                let conditional: Option<Vec<ir::Expr>> =
                    conditions[fixed..].iter().cloned().collect();
                let nested = conditional
                    .as_ref()
                    .is_some_and(|cs| cs.windows(2).all(|pair| implies(&pair[1], &pair[0])));
                match (conditional, nested) {
                    (Some(conditions), true) => Some(conditions.into_iter().enumerate().fold(
                        Val::Int(fixed as i64),
                        |fewer, (k, c)| {
                            Val::Choice(
                                c,
                                Box::new(Val::Int((fixed + k + 1) as i64)),
                                Box::new(fewer),
                            )
                        },
                    )),
                    _ => Some(whole()),
                }
            }
            _ => None,
        }
    }

    /// Reports a read of a resource repeated a deploy-time number of times.
    pub(super) fn counted(&mut self, value: &Val, span: Span) -> bool {
        let Val::Resource(instance) = value else {
            return false;
        };
        if !instance.counted {
            return false;
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0506,
                span,
                "a resource repeated a number of times known only at deploy time cannot be read yet",
            )
            .label("its copies exist only once deployed")
            .help("give the count at compile time (`--param`) to read the copies, or leave them unread"),
        );
        true
    }
}

/// A property value remembered (`Expander::remembered_property`): the
/// names it reads, their values when it was last lowered, and what it was
/// lowered to then with the steps and elements that took.
pub(super) struct Remembered<'p> {
    names: Vec<&'p Ident>,
    /// The values of `names`, a `let` not computed yet as `None` followed
    /// by the values of the names it reads (see `key_of`).
    key: Vec<Option<Val>>,
    value: Option<Earlier>,
    misses: u32,
    hits: u32,
}

/// A remembered lowering: its value, the steps and elements it took, and
/// the `let`s of the frame it computed (by position), set again with it.
struct Earlier {
    value: Lowered,
    steps: usize,
    values: usize,
    lets: Vec<(usize, Val)>,
}

/// What is remembered: a property's value, or a `let`'s.
#[derive(Clone)]
pub(super) enum Lowered {
    Property(ir::Expr),
    Let(Val),
}

/// Lowerings of a property value with no reuse after which it is no
/// longer remembered.
const MISSES_BEFORE_FORGETTING: u32 = 8;

/// How deep `key_of` follows `let`s not computed yet through the `let`s
/// they read.
const MAX_LET_DEPTH: u32 = 4;

/// The names `expr` reads, each once, but for the variables of its own
/// comprehensions.
fn free_names(expr: &Expr) -> Vec<&Ident> {
    /// `bound`: the variables of the comprehensions around `expr`.
    fn walk<'e>(expr: &'e Expr, bound: &mut Vec<&'e str>, out: &mut Vec<&'e Ident>) {
        match &expr.kind {
            ExprKind::Name(name) => {
                let name_text = name.name.as_str();
                if !bound.contains(&name_text) && !out.iter().any(|n| n.name == name.name) {
                    out.push(name);
                }
            }
            ExprKind::ListComp(c) | ExprKind::ObjectComp(c, _) => {
                walk(&c.iterable, bound, out);
                let before = bound.len();
                bound.push(&c.binding.first.name);
                bound.extend(c.binding.second.as_ref().map(|s| s.name.as_str()));
                let value = match &expr.kind {
                    ExprKind::ObjectComp(_, value) => Some(&**value),
                    _ => None,
                };
                for part in [c.filter.as_ref(), Some(&c.body), value]
                    .into_iter()
                    .flatten()
                {
                    walk(part, bound, out);
                }
                bound.truncate(before);
            }
            _ => expr.for_each_operand(|e| walk(e, bound, out)),
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut Vec::new(), &mut out);
    out
}

/// Is the value made only of constants, no resource or deploy-time part?
fn settled(value: &Val) -> bool {
    match value {
        Val::Null | Val::Bool(_) | Val::Int(_) | Val::Number(_) | Val::Str(_) => true,
        Val::List(items) => items.iter().all(settled),
        Val::Object(fields) => fields.values().all(settled),
        Val::Resource(_) | Val::Choice(..) | Val::Deploy(_) | Val::Gone => false,
    }
}

/// `same_key` of two entries of a key, a `let` not computed yet in both.
fn same_entry(a: &Option<Val>, b: &Option<Val>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_key(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Is `b` the value `a` (a settled value) was: equal scalars, or the very
/// same list or object, which nothing changes while it is shared.
fn same_key(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Number(x), Val::Number(y)) => x.to_bits() == y.to_bits(),
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::List(x), Val::List(y)) => std::rc::Rc::ptr_eq(x, y),
        (Val::Object(x), Val::Object(y)) => std::rc::Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// The text of a string literal without interpolation.
fn plain_text(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Str(s) => match s.parts.as_slice() {
            [StrPart::Text(t)] => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// A list or object literal made only of constants, and what building
/// it spends of the budget.
pub(super) struct Literal {
    value: Val,
    steps: usize,
    values: usize,
}

/// Is `expr` a literal whose value is the same wherever it is read: text
/// without interpolation, integers, booleans, null, and lists and objects
/// of them? (A decimal is left out: one out of range is reported where it
/// is read.)
fn is_constant_literal(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Null => true,
        ExprKind::Str(s) => matches!(s.parts.as_slice(), [] | [StrPart::Text(_)]),
        ExprKind::Paren(inner) => is_constant_literal(inner),
        ExprKind::List(items) => items.iter().all(is_constant_literal),
        ExprKind::Object(props) => props.iter().all(|p| is_constant_literal(&p.value)),
        _ => false,
    }
}

/// `base[index]`. A constant table indexed by a deploy-time choice between
/// constants becomes the choice between the table's entries:
/// `{ small = "t3.small", ... }[c ? "large" : "small"]` is
/// `c ? "t3.large" : "t3.small"`, which every target can express. An index
/// known at compile time that is out of range is the folder's error
/// (E0312), here as in a `let`; `at` is where the base and the index are.
fn index_val(
    expr: &Expr,
    base: Val,
    index: Val,
    at: (Span, Span),
    diagnostics: &mut Vec<Diagnostic>,
) -> Val {
    match (base, index) {
        (Val::List(items), Val::Int(i)) => {
            match usize::try_from(i).ok().and_then(|n| items.get(n)) {
                Some(Val::Gone) => Val::Null,
                Some(item) => item.clone(),
                None => {
                    diagnostics.push(eval::index_out_of_range(i, items.len(), at.1, at.0));
                    Val::Null
                }
            }
        }
        (base @ Val::Object(_), index @ Val::Str(_)) => {
            // A key that is there reads its field, folded or not; a field
            // that is not a scalar goes through the folder, which gives
            // its constant form.
            if let (Val::Object(fields), Val::Str(k)) = (&base, &index)
                && let Some(
                    field @ (Val::Null
                    | Val::Bool(_)
                    | Val::Int(_)
                    | Val::Number(_)
                    | Val::Str(_)
                    | Val::Deploy(_)),
                ) = fields.get(k.as_str())
            {
                return field.clone();
            }
            if let Some(folded) = fold_op(expr, &[&base, &index], diagnostics) {
                return folded;
            }
            match (base, index) {
                (Val::Object(fields), Val::Str(k)) => {
                    fields.get(k.as_str()).cloned().unwrap_or(Val::Null)
                }
                _ => Val::Null,
            }
        }
        (base @ (Val::List(_) | Val::Object(_)), Val::Choice(c, a, b)) => {
            let a = index_val(expr, base.clone(), *a, at, diagnostics);
            let b = index_val(expr, base, *b, at, diagnostics);
            Val::Choice(c, Box::new(a), Box::new(b))
        }
        (Val::Choice(c, a, b), index) => {
            let a = index_val(expr, *a, index.clone(), at, diagnostics);
            let b = index_val(expr, *b, index, at, diagnostics);
            Val::Choice(c, Box::new(a), Box::new(b))
        }
        (Val::List(items), Val::Deploy(index)) if picks_resources(&items) => {
            pick_resource(&items, &index)
        }
        (base, index) => Val::Deploy(ir::Expr::Index(
            Box::new(base.into_ir()),
            Box::new(index.into_ir()),
        )),
    }
}

/// An index into copies keyed by name, as the position of the copy it
/// reads: a key known at compile time is its copy's position; one known
/// only at deploy time (the switch of a blue/green tier) is the choice
/// among the positions, `live == "blue" ? 0 : 1`, which every target
/// expresses as it does `c ? a : b`. The checker made sure every value the
/// index may take is a key (E0218), so the last key needs no test.
fn key_position(keys: &[String], index: Val) -> Val {
    match index {
        Val::Str(k) => match keys.iter().position(|key| *key == k) {
            Some(n) => Val::Int(n as i64),
            None => Val::Null,
        },
        Val::Choice(c, a, b) => Val::Choice(
            c,
            Box::new(key_position(keys, *a)),
            Box::new(key_position(keys, *b)),
        ),
        Val::Deploy(e) if !keys.is_empty() => {
            let last = Val::Int(keys.len() as i64 - 1);
            keys[..keys.len() - 1]
                .iter()
                .enumerate()
                .rev()
                .fold(last, |otherwise, (n, key)| {
                    let test = ir::Expr::Binary(
                        BinaryOp::Eq,
                        Box::new(e.clone()),
                        Box::new(ir::Expr::String(key.clone())),
                    );
                    Val::Choice(test, Box::new(Val::Int(n as i64)), Box::new(otherwise))
                })
        }
        other => other,
    }
}

/// Does `a` imply `b`, as far as their form shows: the same condition, or
/// `a` an `||` of tests each of which `b` has among its own (`n == 3 ||
/// n == 4` implies `n == 2 || n == 3 || n == 4`).
fn implies(a: &ir::Expr, b: &ir::Expr) -> bool {
    fn alternatives<'e>(e: &'e ir::Expr, out: &mut Vec<&'e ir::Expr>) {
        match e {
            ir::Expr::Binary(BinaryOp::Or, x, y) => {
                alternatives(x, out);
                alternatives(y, out);
            }
            other => out.push(other),
        }
    }
    if a == b {
        return true;
    }
    let (mut of_a, mut of_b) = (Vec::new(), Vec::new());
    alternatives(a, &mut of_a);
    alternatives(b, &mut of_b);
    of_a.iter().all(|x| of_b.contains(x))
}

/// The most resources a deploy-time index picks from as a choice.
const MAX_PICKED: usize = 16;

/// Is `items` a short list of resources, all there: what a deploy-time
/// index into it picks is then one of them, read through its outputs?
fn picks_resources(items: &[Val]) -> bool {
    (1..=MAX_PICKED).contains(&items.len())
        && items
            .iter()
            .all(|v| matches!(v, Val::Resource(i) if !i.counted && i.exists.is_none()))
}

/// `items[index]`, `index` known only at deploy time, as the choice among
/// the resources (`index == 0 ? a : index == 1 ? b : c`): a resource's
/// outputs are read through it (`subnets[i % 2].network_id`), which a
/// list of their ids indexed at deploy time could not give.
fn pick_resource(items: &[Val], index: &ir::Expr) -> Val {
    let (last, rest) = items.split_last().expect("a list of one or more");
    rest.iter()
        .enumerate()
        .rev()
        .fold(last.clone(), |otherwise, (k, item)| {
            let test = ir::Expr::Binary(
                BinaryOp::Eq,
                Box::new(index.clone()),
                Box::new(ir::Expr::Int(k as i64)),
            );
            Val::Choice(test, Box::new(item.clone()), Box::new(otherwise))
        })
}

/// The span of the base of an index expression.
fn base_span(expr: &Expr) -> Span {
    match &expr.kind {
        ExprKind::Index(base, _) => base.span,
        _ => expr.span,
    }
}

/// `a op b` on lowered operands: distributed over deploy-time choices, so
/// each branch can fold; folded when both sides are known.
fn binary_vals(
    expr: &Expr,
    op: BinaryOp,
    va: Val,
    vb: Val,
    diagnostics: &mut Vec<Diagnostic>,
) -> Val {
    if let Val::Choice(c, a, b) = va {
        let a = binary_vals(expr, op, *a, vb.clone(), diagnostics);
        let b = binary_vals(expr, op, *b, vb, diagnostics);
        return choice(c, a, b);
    }
    if let Val::Choice(c, a, b) = vb {
        let a = binary_vals(expr, op, va.clone(), *a, diagnostics);
        let b = binary_vals(expr, op, va, *b, diagnostics);
        return choice(c, a, b);
    }
    // Only an absent value is null: a list, an object, a resource or a
    // deploy-time value always exists.
    if matches!(op, BinaryOp::Eq | BinaryOp::Ne)
        && (matches!(va, Val::Null) || matches!(vb, Val::Null))
    {
        let both_null = matches!(va, Val::Null) && matches!(vb, Val::Null);
        return Val::Bool(both_null == (op == BinaryOp::Eq));
    }
    if let Some(folded) = fold_op(expr, &[&va, &vb], diagnostics) {
        return folded;
    }
    // Text built around a deploy-time part can still be known to differ
    // from a constant (`"${app}-www" == "@"`): folded, where CloudFormation
    // could not compare text built with `Fn::Sub` in a condition at all.
    if matches!(op, BinaryOp::Eq | BinaryOp::Ne)
        && let (Val::Str(text), Val::Deploy(ir::Expr::Interp(parts)))
        | (Val::Deploy(ir::Expr::Interp(parts)), Val::Str(text)) = (&va, &vb)
        && never_equal(text, parts)
    {
        return Val::Bool(op == BinaryOp::Ne);
    }
    // One side known decides `&&` and `||`, or leaves the other side.
    match (op, &va, &vb) {
        (BinaryOp::And, Val::Bool(false), _) | (BinaryOp::And, _, Val::Bool(false)) => {
            return Val::Bool(false);
        }
        (BinaryOp::Or, Val::Bool(true), _) | (BinaryOp::Or, _, Val::Bool(true)) => {
            return Val::Bool(true);
        }
        (BinaryOp::And, Val::Bool(true), _) | (BinaryOp::Or, Val::Bool(false), _) => return vb,
        (BinaryOp::And, _, Val::Bool(true)) | (BinaryOp::Or, _, Val::Bool(false)) => return va,
        _ => {}
    }
    Val::Deploy(ir::Expr::Binary(
        op,
        Box::new(va.into_ir()),
        Box::new(vb.into_ir()),
    ))
}

/// Can text made of `parts` never be `text`, whatever its deploy-time parts
/// are: its constant start, end or length already differ?
fn never_equal(text: &str, parts: &[ir::Part]) -> bool {
    let constant: usize = parts
        .iter()
        .map(|p| match p {
            ir::Part::Text(t) => t.len(),
            ir::Part::Expr(_) => 0,
        })
        .sum();
    let starts = match parts.first() {
        Some(ir::Part::Text(t)) => text.starts_with(t.as_str()),
        _ => true,
    };
    let ends = match parts.last() {
        Some(ir::Part::Text(t)) => text.ends_with(t.as_str()),
        _ => true,
    };
    constant > text.len() || !starts || !ends
}

/// A built-in function on lowered arguments, distributed over choices.
fn call_vals(
    expr: &Expr,
    builtin: Builtin,
    args: Vec<Val>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Val {
    if let Some(i) = args.iter().position(|a| matches!(a, Val::Choice(..))) {
        let mut first = args.clone();
        let mut second = args;
        let Val::Choice(c, a, b) = std::mem::replace(&mut first[i], Val::Null) else {
            unreachable!("position found a choice");
        };
        first[i] = *a;
        second[i] = *b;
        return choice(
            c,
            call_vals(expr, builtin, first, diagnostics),
            call_vals(expr, builtin, second, diagnostics),
        );
    }
    match (builtin, args.as_slice()) {
        (Builtin::Length, [Val::List(items)]) => return Val::Int(items.len() as i64),
        (Builtin::Length, [Val::Object(fields)]) => return Val::Int(fields.len() as i64),
        (Builtin::Element, [Val::List(items), Val::Int(i)]) if !items.is_empty() => {
            return match &items[(*i).rem_euclid(items.len() as i64) as usize] {
                Val::Gone => Val::Null,
                item => item.clone(),
            };
        }
        (Builtin::Concat, lists) if lists.iter().all(|l| matches!(l, Val::List(_))) => {
            return Val::list(
                lists
                    .iter()
                    .flat_map(|l| match l {
                        Val::List(items) => items.as_slice(),
                        _ => &[],
                    })
                    .cloned()
                    .collect(),
            );
        }
        _ => {}
    }
    let refs: Vec<&Val> = args.iter().collect();
    if let Some(folded) = fold_op(expr, &refs, diagnostics) {
        return folded;
    }
    Val::Deploy(ir::Expr::Call(
        builtin,
        args.iter().map(Val::to_ir).collect(),
    ))
}

/// A deploy-time choice; the same value on both sides needs no choice.
fn choice(c: ir::Expr, a: Val, b: Val) -> Val {
    if a.same_const(&b) {
        a
    } else {
        Val::Choice(c, Box::new(a), Box::new(b))
    }
}

/// Folds an operator, a call, an index or a number literal whose operands
/// turned out constant, by handing the same operation on named constants
/// to the constant folder, each at its operand's place: what it cannot
/// compute (a division by zero, an index out of range, a number too large)
/// is its error, reported as it is for a `let`.
fn fold_op(expr: &Expr, operands: &[&Val], diagnostics: &mut Vec<Diagnostic>) -> Option<Val> {
    // Arithmetic on two integers, the most common fold (`(start + i) % 250`
    // for every copy), without building an expression for the folder.
    if let ExprKind::Binary(op, ..) = &expr.kind
        && let Some(folded) = fold_scalars(*op, operands)
    {
        return Some(folded);
    }
    let values: Vec<Value> = operands
        .iter()
        .map(|v| v.to_value())
        .collect::<Option<_>>()?;
    let name = |i: usize, span: Span| Expr {
        kind: ExprKind::Name(Ident {
            name: match OPERAND_NAMES.get(i) {
                Some(name) => (*name).to_string(),
                None => format!("#{i}"),
            },
            span,
        }),
        span,
    };
    let rebuilt = match &expr.kind {
        ExprKind::Binary(op, a, b) => {
            ExprKind::Binary(*op, Box::new(name(0, a.span)), Box::new(name(1, b.span)))
        }
        ExprKind::Unary(op, a) => ExprKind::Unary(*op, Box::new(name(0, a.span))),
        ExprKind::Call(callee, args) => ExprKind::Call(
            callee.clone(),
            (0..values.len())
                .map(|i| name(i, args.get(i).map_or(expr.span, |a| a.span)))
                .collect(),
        ),
        ExprKind::Index(base, index) => {
            ExprKind::Index(Box::new(name(0, base.span)), Box::new(name(1, index.span)))
        }
        ExprKind::Number(n) => ExprKind::Number(n.clone()),
        _ => return None,
    };
    let expr = Expr {
        kind: rebuilt,
        span: expr.span,
    };
    let lookup = |n: &Ident| {
        n.name
            .strip_prefix('#')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| values.get(i).cloned())
    };
    let before = diagnostics.len();
    match eval::eval(
        &expr,
        &crate::sema::names::Names::default(),
        &lookup,
        diagnostics,
    ) {
        Some(value) => Some(Val::from_value(value)),
        // Reported: nothing of it is left to deploy time.
        None if diagnostics.len() > before => Some(Val::Null),
        None => None,
    }
}

/// The names `fold_op` gives its operands, written out for the few
/// operands an operator or a call has.
const OPERAND_NAMES: [&str; 4] = ["#0", "#1", "#2", "#3"];

/// `x op y` on two integers, two texts or two booleans, as the constant
/// folder computes it, without building an expression for it; `None` for
/// anything else.
fn fold_scalars(op: BinaryOp, operands: &[&Val]) -> Option<Val> {
    match operands {
        [Val::Int(x), Val::Int(y)] => fold_ints(op, *x, *y),
        [Val::Str(x), Val::Str(y)] => match op {
            BinaryOp::Eq => Some(Val::Bool(x == y)),
            BinaryOp::Ne => Some(Val::Bool(x != y)),
            _ => None,
        },
        [Val::Bool(x), Val::Bool(y)] => match op {
            BinaryOp::Eq => Some(Val::Bool(x == y)),
            BinaryOp::Ne => Some(Val::Bool(x != y)),
            BinaryOp::And => Some(Val::Bool(*x && *y)),
            BinaryOp::Or => Some(Val::Bool(*x || *y)),
            _ => None,
        },
        _ => None,
    }
}

/// `x op y` as the constant folder computes it on two integers; `None`
/// for what it reports (overflow, division by zero) or does not fold.
fn fold_ints(op: BinaryOp, x: i64, y: i64) -> Option<Val> {
    let int = |n: Option<i64>| n.map(Val::Int);
    match op {
        BinaryOp::Add => int(x.checked_add(y)),
        BinaryOp::Sub => int(x.checked_sub(y)),
        BinaryOp::Mul => int(x.checked_mul(y)),
        BinaryOp::Div if y != 0 => int(x.checked_div(y)),
        BinaryOp::Rem if y != 0 => Some(Val::Int(x.wrapping_rem(y))),
        BinaryOp::Eq => Some(Val::Bool(x == y)),
        BinaryOp::Ne => Some(Val::Bool(x != y)),
        BinaryOp::Lt => Some(Val::Bool(x < y)),
        BinaryOp::Le => Some(Val::Bool(x <= y)),
        BinaryOp::Gt => Some(Val::Bool(x > y)),
        BinaryOp::Ge => Some(Val::Bool(x >= y)),
        _ => None,
    }
}

fn push_text(parts: &mut Vec<ir::Part>, text: &str) {
    if let Some(ir::Part::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else if !text.is_empty() {
        parts.push(ir::Part::Text(text.to_string()));
    }
}

fn member(base: Val, name: &str) -> Val {
    match base {
        Val::Resource(instance) => match &instance.native {
            Some(id) if name == "id" => Val::Deploy(ir::Expr::Ref(*id)),
            Some(id) => Val::Deploy(ir::Expr::Attr(*id, name.to_string())),
            None => instance.outputs.get(name).cloned().unwrap_or(Val::Null),
        },
        Val::Object(fields) => fields.get(name).cloned().unwrap_or(Val::Null),
        Val::Null => Val::Null,
        Val::Choice(c, a, b) => {
            Val::Choice(c, Box::new(member(*a, name)), Box::new(member(*b, name)))
        }
        Val::Deploy(ir::Expr::Ref(id)) if name == "id" => Val::Deploy(ir::Expr::Ref(id)),
        Val::Deploy(ir::Expr::Ref(id)) => Val::Deploy(ir::Expr::Attr(id, name.to_string())),
        Val::Deploy(ir::Expr::Attr(id, path)) => {
            Val::Deploy(ir::Expr::Attr(id, format!("{path}.{name}")))
        }
        Val::Deploy(e) => Val::Deploy(ir::Expr::Member(Box::new(e), name.into())),
        other => Val::from_ir(ir::Expr::Member(Box::new(other.into_ir()), name.into())),
    }
}
