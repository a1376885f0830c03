//! Compile-time values and constant folding.
//!
//! [`eval`] folds an expression whose every part is known at compile time:
//! literals, constant lets, params given a value with `--param`. A part known
//! only at deploy time makes the whole expression deploy-time (`None`, with
//! no diagnostic). Errors that depend on values, which the type checker
//! cannot see (a division by zero, an index out of range, an overflow), are
//! reported here with the span of the part at fault.
//!
//! Type errors (`1 + "a"`, `!3`, a call with the wrong arguments) are the
//! type checker's: here they only stop folding, silently, so that one
//! mistake is reported once.
//!
//! Evaluation is bounded: a range has at most [`MAX_RANGE`] elements, a
//! string at most [`MAX_STRING`] bytes, and one expression takes at most
//! [`MAX_STEPS`] steps (counting the elements of the values it copies), so a
//! small program cannot make the compiler build a huge value.
//!
//! [`Value`] and how values are compared and shown are in `value`.

#[cfg(test)]
mod tests;
mod value;

pub use value::{Value, format_number, show, values_equal};

use indexmap::IndexMap;

use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::names::{DeclId, Names};
use crate::source::Span;
use crate::syntax::ast::{
    BinaryOp, Binding, Comprehension, Expr, ExprKind, Ident, StrPart, StringLit, UnaryOp,
};

/// The longest range `a..b` folded at compile time.
pub const MAX_RANGE: i64 = 10_000;
/// The longest string built at compile time, in bytes.
pub const MAX_STRING: usize = 1 << 20;
/// The most evaluation steps one expression may take.
pub const MAX_STEPS: usize = 1_000_000;

/// Folds `expr` if everything it reads is known at compile time. `lookup`
/// gives the compile-time value of a name, or `None` when the name is only
/// known at deploy time (a param left open, a resource). Errors such as a
/// division by zero are reported into `diagnostics` and give `None`.
pub fn eval(
    expr: &Expr,
    names: &Names,
    lookup: &dyn Fn(&Ident) -> Option<Value>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let mut evaluator = Evaluator {
        names,
        lookup,
        locals: Vec::new(),
        diagnostics,
        steps: 0,
        root: expr.span,
        exhausted: false,
    };
    evaluator.expr(expr).ok()
}

/// E0312: `index` (at `span`) of a list of `len` elements (at `list`). The
/// one diagnostic of an index out of range, wherever a list is indexed at
/// compile time (lowering indexes lists of resources the folder cannot).
pub fn index_out_of_range(index: i64, len: usize, span: Span, list: Span) -> Diagnostic {
    let elements = if len == 1 { "element" } else { "elements" };
    let valid = match len {
        0 => "the list is empty: no index is valid".to_string(),
        1 => "the only valid index is 0".to_string(),
        _ => format!("valid indexes are 0 to {}", len - 1),
    };
    Diagnostic::new(
        &codes::E0312,
        span,
        format!("index {index} is out of range"),
    )
    .label(format!("index {index} of a list of {len} {elements}"))
    .secondary(list, format!("this list has {len} {elements}"))
    .note(valid)
}

thread_local! {
    /// The steps left to every evaluation run inside [`within_steps`] on
    /// this thread.
    static SHARED: std::cell::Cell<Option<Shared>> = const { std::cell::Cell::new(None) };
}

#[derive(Clone, Copy)]
struct Shared {
    left: usize,
    limit: usize,
    reported: bool,
}

/// Restores the shared budget around [`within_steps`], unwinding or not.
struct Restore(Option<Shared>);

impl Drop for Restore {
    fn drop(&mut self) {
        SHARED.set(self.0);
    }
}

/// Runs `f` with `limit` evaluation steps shared by every evaluation in it
/// (on this thread): each expression is bounded by [`MAX_STEPS`], and a
/// program of many expressions as a whole by `limit` (E0323).
pub fn within_steps<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    let _restore = Restore(SHARED.replace(Some(Shared {
        left: limit,
        limit,
        reported: false,
    })));
    f()
}

/// Why an expression has no compile-time value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Known only at deploy time, or not foldable (a type error the type
    /// checker reports): no diagnostic.
    Unknown,
    /// An error, already reported.
    Error,
}

type Eval = Result<Value, Stop>;

/// Combines the outcomes of independent parts: any error wins.
fn worst(a: Stop, b: Stop) -> Stop {
    if a == Stop::Error || b == Stop::Error {
        Stop::Error
    } else {
        Stop::Unknown
    }
}

struct Evaluator<'a> {
    /// What the names of the expression refer to.
    names: &'a Names,
    lookup: &'a dyn Fn(&Ident) -> Option<Value>,
    /// Comprehensions' loop variables, innermost last; `None` for a
    /// deploy-time one.
    locals: Vec<(DeclId, Option<Value>)>,
    diagnostics: &'a mut Vec<Diagnostic>,
    steps: usize,
    /// The expression given to [`eval`], where running out of steps is
    /// reported.
    root: Span,
    exhausted: bool,
}

impl Evaluator<'_> {
    fn error(
        &mut self,
        code: &'static crate::diagnostics::Code,
        span: Span,
        message: String,
    ) -> EvalError<'_> {
        EvalError {
            diagnostics: self.diagnostics,
            diagnostic: Some(Diagnostic::new(code, span, message)),
        }
    }

    /// Counts `n` steps; past the budget, reports once and stops.
    fn spend(&mut self, n: usize) -> Result<(), Stop> {
        self.steps = self.steps.saturating_add(n);
        if let Some(mut shared) = SHARED.get() {
            if shared.left < n {
                let first = !shared.reported;
                shared.left = 0;
                shared.reported = true;
                SHARED.set(Some(shared));
                if first {
                    let root = self.root;
                    self.error(
                        &codes::E0323,
                        root,
                        format!(
                            "checking this program takes more than {} evaluation steps",
                            shared.limit
                        ),
                    )
                    .label("evaluated here when the limit was reached")
                    .note("every expression folded at compile time counts, each within its own limit too")
                    .help("compute less at compile time, or raise `max_steps` in the project's `infra.toml`")
                    .emit();
                }
                return Err(Stop::Error);
            }
            shared.left -= n;
            SHARED.set(Some(shared));
        }
        if self.steps <= MAX_STEPS {
            return Ok(());
        }
        if !self.exhausted {
            self.exhausted = true;
            let root = self.root;
            self.error(
                &codes::E0314,
                root,
                "this expression is too large to evaluate at compile time".into(),
            )
            .label("evaluating this builds too large a value")
            .note(format!(
                "compile-time evaluation stops after {MAX_STEPS} steps, counting every element of every value built or copied"
            ))
            .help("build smaller collections, or leave the computation to deploy time")
            .emit();
        }
        Err(Stop::Error)
    }

    fn expr(&mut self, expr: &Expr) -> Eval {
        self.spend(1)?;
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Number(text) => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Value::Number(n)),
                _ => {
                    self.error(
                        &codes::E0310,
                        expr.span,
                        format!("the number `{text}` is too large"),
                    )
                    .label("out of the range of a 64-bit decimal")
                    .note("the largest number is about 1.8e308")
                    .emit();
                    Err(Stop::Error)
                }
            },
            ExprKind::Str(lit) => self.string(lit),
            ExprKind::Name(name) => self.name(name),
            ExprKind::List(items) => {
                let values = self.all(items)?;
                Ok(Value::List(values))
            }
            ExprKind::Object(properties) => {
                let mut map = IndexMap::new();
                let mut stop = None;
                for property in properties {
                    match self.expr(&property.value) {
                        Ok(value) => {
                            map.insert(property.key.name.clone(), value);
                        }
                        Err(s) => stop = Some(stop.map_or(s, |t| worst(s, t))),
                    }
                }
                match stop {
                    Some(stop) => Err(stop),
                    None => Ok(Value::Object(map)),
                }
            }
            ExprKind::Member(base, field) => {
                let base_value = self.expr(base)?;
                match base_value {
                    Value::Object(map) => match map.get(&field.name) {
                        Some(value) => Ok(value.clone()),
                        None => {
                            self.missing_key(&map, &field.name, field.span, base.span);
                            Err(Stop::Error)
                        }
                    },
                    _ => Err(Stop::Unknown),
                }
            }
            ExprKind::Index(base, index) => {
                let (base_value, index_value) = self.both(base, index)?;
                self.index(base_value, index_value, base.span, index.span)
            }
            ExprKind::Call(callee, args) => match &callee.kind {
                ExprKind::Name(name) => self.call(name, args, expr.span),
                _ => {
                    let _ = self.all(args);
                    Err(Stop::Unknown)
                }
            },
            ExprKind::Unary(op, operand) => {
                let value = self.expr(operand)?;
                match (op, value) {
                    (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                    (UnaryOp::Neg, Value::Number(n)) => Ok(Value::Number(-n)),
                    (UnaryOp::Neg, Value::Int(i)) => match i.checked_neg() {
                        Some(n) => Ok(Value::Int(n)),
                        None => {
                            self.overflow(expr.span, format!("-({i})"));
                            Err(Stop::Error)
                        }
                    },
                    _ => Err(Stop::Unknown),
                }
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, expr.span),
            ExprKind::Conditional(cond, then, otherwise) => match self.expr(cond)? {
                Value::Bool(true) => self.expr(then),
                Value::Bool(false) => self.expr(otherwise),
                _ => Err(Stop::Unknown),
            },
            ExprKind::Range(start, end) => {
                let (a, b) = self.both(start, end)?;
                let (Value::Int(a), Value::Int(b)) = (a, b) else {
                    return Err(Stop::Unknown);
                };
                let len = (i128::from(b) - i128::from(a)).max(0);
                if len > i128::from(MAX_RANGE) {
                    self.error(
                        &codes::E0314,
                        expr.span,
                        format!("the range {a}..{b} has {len} elements"),
                    )
                    .label(format!("more than the limit of {MAX_RANGE}"))
                    .note(format!(
                        "a range is unrolled at compile time and may hold at most {MAX_RANGE} elements"
                    ))
                    .emit();
                    return Err(Stop::Error);
                }
                self.spend(len as usize)?;
                Ok(Value::List((a..b).map(Value::Int).collect()))
            }
            ExprKind::ListComp(comp) => self.comprehension(comp, None),
            ExprKind::ObjectComp(comp, value) => self.comprehension(comp, Some(value)),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Error => Err(Stop::Unknown),
        }
    }

    /// Evaluates every expression, so that every error is reported.
    fn all(&mut self, exprs: &[Expr]) -> Result<Vec<Value>, Stop> {
        let mut values = Vec::with_capacity(exprs.len());
        let mut stop = None;
        for expr in exprs {
            match self.expr(expr) {
                Ok(value) => values.push(value),
                Err(s) => stop = Some(stop.map_or(s, |t| worst(s, t))),
            }
        }
        match stop {
            Some(stop) => Err(stop),
            None => Ok(values),
        }
    }

    fn both(&mut self, a: &Expr, b: &Expr) -> Result<(Value, Value), Stop> {
        let a = self.expr(a);
        let b = self.expr(b);
        match (a, b) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            (Err(s), Err(t)) => Err(worst(s, t)),
            (Err(s), _) | (_, Err(s)) => Err(s),
        }
    }

    fn name(&mut self, name: &Ident) -> Eval {
        let id = self.names.of(name);
        let local = self.locals.iter().rev().find(|(d, _)| Some(*d) == id);
        let found = match local {
            Some((_, value)) => value.clone(),
            None => (self.lookup)(name),
        };
        let value = found.ok_or(Stop::Unknown)?;
        let remaining = MAX_STEPS.saturating_sub(self.steps) + 1;
        self.spend(value.weight(remaining))?;
        Ok(value)
    }

    fn string(&mut self, lit: &StringLit) -> Eval {
        let mut out = String::new();
        let mut stop = None;
        for part in &lit.parts {
            match part {
                StrPart::Text(text) => out.push_str(text),
                StrPart::Interp(expr) => match self.expr(expr) {
                    Ok(value) => match value.to_text() {
                        Some(text) => out.push_str(&text),
                        None => {
                            self.no_text(&value, expr.span, "interpolated into a string");
                            stop = Some(Stop::Error);
                        }
                    },
                    Err(s) => stop = Some(stop.map_or(s, |t| worst(s, t))),
                },
            }
            if out.len() > MAX_STRING && stop.is_none() {
                self.too_long(lit.span, out.len());
                stop = Some(Stop::Error);
            }
        }
        match stop {
            Some(stop) => Err(stop),
            None => Ok(Value::String(out)),
        }
    }

    fn no_text(&mut self, value: &Value, span: Span, context: &str) {
        let help = match value {
            Value::List(_) => "to write a list as text, join its elements: `join(\",\", xs)`",
            Value::Object(_) => "interpolate the fields one by one: `\"${o.a}-${o.b}\"`",
            _ => "give a value, or test for null first: `x == null ? \"\" : x`",
        };
        self.error(
            &codes::E0315,
            span,
            format!("{} cannot be {context}", value.kind()),
        )
        .label(format!("this is {}: {}", value.kind(), show(value)))
        .note("only strings, ints, numbers and bools have a text form")
        .help(help)
        .emit();
    }

    fn too_long(&mut self, span: Span, len: usize) {
        self.error(
            &codes::E0314,
            span,
            "this string is too long to build at compile time".into(),
        )
        .label(format!("{len} bytes or more"))
        .note(format!(
            "a string built at compile time may hold at most {MAX_STRING} bytes"
        ))
        .emit();
    }

    fn overflow(&mut self, span: Span, what: String) {
        self.error(&codes::E0310, span, "arithmetic overflow".into())
            .label(format!("{what} does not fit in a 64-bit int"))
            .note(format!(
                "ints are 64-bit signed integers: from {} to {}",
                i64::MIN,
                i64::MAX
            ))
            .help("use smaller values, or a number (a decimal) if precision can be lost")
            .emit();
    }

    fn missing_key(&mut self, map: &IndexMap<String, Value>, key: &str, span: Span, base: Span) {
        let mut error = self
            .error(
                &codes::E0313,
                span,
                format!("no key `{key}` in this object"),
            )
            .label(format!("`{key}` is not one of its keys"))
            .secondary(base, "this object");
        if map.is_empty() {
            error = error.note("the object is empty");
        } else {
            let keys: Vec<String> = map.keys().take(10).map(|k| format!("`{k}`")).collect();
            let more = if map.len() > 10 { ", ..." } else { "" };
            error = error.note(format!("its keys are {}{more}", keys.join(", ")));
        }
        if let Some(near) = crate::suggest::best_match(key, map.keys().map(String::as_str)) {
            error = error.help(format!("did you mean `{near}`?"));
        } else {
            error = error.help("to give a fallback value, use `lookup(map, key, default)`");
        }
        error.emit();
    }

    fn index(&mut self, base: Value, index: Value, base_span: Span, index_span: Span) -> Eval {
        match (base, index) {
            (Value::List(items), Value::Int(i)) => {
                match usize::try_from(i).ok().and_then(|i| items.get(i)) {
                    Some(value) => Ok(value.clone()),
                    None => {
                        self.out_of_range(i, items.len(), index_span, base_span);
                        Err(Stop::Error)
                    }
                }
            }
            (Value::Object(map), Value::String(key)) => match map.get(&key) {
                Some(value) => Ok(value.clone()),
                None => {
                    self.missing_key(&map, &key, index_span, base_span);
                    Err(Stop::Error)
                }
            },
            _ => Err(Stop::Unknown),
        }
    }

    fn out_of_range(&mut self, index: i64, len: usize, span: Span, list: Span) {
        self.diagnostics
            .push(index_out_of_range(index, len, span, list));
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Eval {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let short = op == BinaryOp::Or;
                match self.expr(lhs)? {
                    Value::Bool(b) if b == short => Ok(Value::Bool(b)),
                    Value::Bool(_) => match self.expr(rhs)? {
                        Value::Bool(b) => Ok(Value::Bool(b)),
                        _ => Err(Stop::Unknown),
                    },
                    _ => Err(Stop::Unknown),
                }
            }
            _ => {
                let (a, b) = self.both(lhs, rhs)?;
                match op {
                    BinaryOp::Eq => Ok(Value::Bool(values_equal(&a, &b))),
                    BinaryOp::Ne => Ok(Value::Bool(!values_equal(&a, &b))),
                    BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                        let ordering = match (&a, &b) {
                            (Value::Int(x), Value::Int(y)) => x.partial_cmp(y),
                            _ => match (a.as_f64(), b.as_f64()) {
                                (Some(x), Some(y)) => x.partial_cmp(&y),
                                _ => return Err(Stop::Unknown),
                            },
                        };
                        let Some(ordering) = ordering else {
                            return Err(Stop::Unknown);
                        };
                        Ok(Value::Bool(match op {
                            BinaryOp::Lt => ordering.is_lt(),
                            BinaryOp::Le => ordering.is_le(),
                            BinaryOp::Gt => ordering.is_gt(),
                            _ => ordering.is_ge(),
                        }))
                    }
                    _ => self.arithmetic(op, a, b, span, rhs.span),
                }
            }
        }
    }

    fn arithmetic(&mut self, op: BinaryOp, a: Value, b: Value, span: Span, rhs: Span) -> Eval {
        let symbol = op.symbol();
        if matches!(op, BinaryOp::Div | BinaryOp::Rem) && b.as_f64() == Some(0.0) {
            let what = if op == BinaryOp::Div {
                "division by zero"
            } else {
                "remainder of a division by zero"
            };
            self.error(&codes::E0311, span, what.into())
                .label(format!("{a} {symbol} {b} divides by zero"))
                .secondary(rhs, "this is zero")
                .help("check the divisor first: `d == 0 ? 0 : n / d`")
                .emit();
            return Err(Stop::Error);
        }
        match (&a, &b) {
            (Value::Int(x), Value::Int(y)) => {
                let result = match op {
                    BinaryOp::Add => x.checked_add(*y),
                    BinaryOp::Sub => x.checked_sub(*y),
                    BinaryOp::Mul => x.checked_mul(*y),
                    BinaryOp::Div => x.checked_div(*y),
                    _ => Some(x.wrapping_rem(*y)),
                };
                match result {
                    Some(n) => Ok(Value::Int(n)),
                    None => {
                        self.overflow(span, format!("{x} {symbol} {y}"));
                        Err(Stop::Error)
                    }
                }
            }
            _ => {
                let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                    return Err(Stop::Unknown);
                };
                let result = match op {
                    BinaryOp::Add => x + y,
                    BinaryOp::Sub => x - y,
                    BinaryOp::Mul => x * y,
                    BinaryOp::Div => x / y,
                    _ => x % y,
                };
                if result.is_finite() {
                    Ok(Value::Number(result))
                } else {
                    self.error(&codes::E0310, span, "arithmetic overflow".into())
                        .label(format!("{a} {symbol} {b} is too large for a number"))
                        .note("the largest number is about 1.8e308")
                        .emit();
                    Err(Stop::Error)
                }
            }
        }
    }

    fn comprehension(&mut self, comp: &Comprehension, value: Option<&Expr>) -> Eval {
        let iterable = self.expr(&comp.iterable)?;
        let entries: Vec<(Value, Value)> = match iterable {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v))
                .collect(),
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
            _ => return Err(Stop::Unknown),
        };
        let mut list = Vec::new();
        let mut object: IndexMap<String, Value> = IndexMap::new();
        let mut first_key: IndexMap<String, ()> = IndexMap::new();
        for (position, element) in entries {
            self.spend(1)?;
            let depth = self.locals.len();
            self.bind(&comp.binding, position, element);
            let result = self.iteration(comp, value);
            self.locals.truncate(depth);
            match result? {
                None => {}
                Some((body, None)) => list.push(body),
                Some((key, Some(item))) => {
                    let Some(key_text) = key.to_text() else {
                        self.no_text(&key, comp.body.span, "the key of an object");
                        return Err(Stop::Error);
                    };
                    if first_key.insert(key_text.clone(), ()).is_some() {
                        self.error(
                            &codes::E0317,
                            comp.body.span,
                            format!("the key `{key_text}` is produced twice"),
                        )
                        .label(format!("this gives `{key_text}` for two elements"))
                        .note("each key of an object comprehension must be distinct; a later value would silently replace an earlier one")
                        .help("include something unique in the key, such as the index: `for i, x in xs: \"${x}-${i}\" => ...`")
                        .emit();
                        return Err(Stop::Error);
                    }
                    object.insert(key_text, item);
                }
            }
        }
        Ok(match value {
            None => Value::List(list),
            Some(_) => Value::Object(object),
        })
    }

    /// One element of a comprehension: `None` when the filter drops it,
    /// else the body (the key, for an object) and the value.
    #[allow(clippy::type_complexity)]
    fn iteration(
        &mut self,
        comp: &Comprehension,
        value: Option<&Expr>,
    ) -> Result<Option<(Value, Option<Value>)>, Stop> {
        if let Some(filter) = &comp.filter {
            match self.expr(filter)? {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(None),
                _ => return Err(Stop::Unknown),
            }
        }
        match value {
            None => Ok(Some((self.expr(&comp.body)?, None))),
            Some(value) => {
                let (key, item) = self.both(&comp.body, value)?;
                Ok(Some((key, Some(item))))
            }
        }
    }

    /// `for x in xs` binds the element (a map's value); `for i, x in xs`
    /// binds the index (a map's key) and the element.
    fn bind(&mut self, binding: &Binding, position: Value, element: Value) {
        let first = self.names.of(&binding.first);
        match &binding.second {
            None => self.locals.extend(first.map(|id| (id, Some(element)))),
            Some(second) => {
                self.locals.extend(first.map(|id| (id, Some(position))));
                let second = self.names.of(second);
                self.locals.extend(second.map(|id| (id, Some(element))));
            }
        }
    }

    fn call(&mut self, name: &Ident, args: &[Expr], span: Span) -> Eval {
        let values = self.all(args)?;
        let arg = |i: usize| args.get(i).map_or(span, |a| a.span);
        let string = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        };
        let unknown = Err(Stop::Unknown);
        let Some(builtin) = Builtin::from_name(&name.name) else {
            // Unknown functions are left to the type checker.
            return unknown;
        };
        match (builtin, values.as_slice()) {
            (Builtin::Length, [Value::List(items)]) => Ok(Value::Int(items.len() as i64)),
            (Builtin::Length, [Value::Object(map)]) => Ok(Value::Int(map.len() as i64)),
            (Builtin::Length, [Value::String(s)]) => Ok(Value::Int(s.chars().count() as i64)),
            (Builtin::Join, [Value::String(sep), Value::List(items)]) => {
                let mut parts = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.to_text() {
                        Some(text) => parts.push(text),
                        None => {
                            self.no_text(item, arg(1), &format!("joined (element {i})"));
                            return Err(Stop::Error);
                        }
                    }
                }
                let len = parts.iter().map(String::len).sum::<usize>()
                    + sep.len() * parts.len().saturating_sub(1);
                if len > MAX_STRING {
                    self.too_long(span, len);
                    return Err(Stop::Error);
                }
                Ok(Value::String(parts.join(sep)))
            }
            (Builtin::Split, [Value::String(sep), Value::String(text)]) => {
                if sep.is_empty() {
                    self.bad_argument(
                        arg(0),
                        "the separator of `split` is empty",
                        "an empty separator splits nowhere",
                        None,
                    );
                    return Err(Stop::Error);
                }
                self.spend(text.len() / 16)?;
                Ok(Value::List(
                    text.split(sep.as_str())
                        .map(|s| Value::String(s.to_string()))
                        .collect(),
                ))
            }
            (Builtin::Lower, [Value::String(s)]) => Ok(Value::String(s.to_lowercase())),
            (Builtin::Upper, [Value::String(s)]) => Ok(Value::String(s.to_uppercase())),
            (Builtin::Replace, [Value::String(s), Value::String(from), Value::String(to)]) => {
                if from.is_empty() {
                    self.bad_argument(
                        arg(1),
                        "`replace` is asked to replace the empty string",
                        "the text to replace is empty",
                        None,
                    );
                    return Err(Stop::Error);
                }
                let count = s.matches(from.as_str()).count();
                let len = s.len() - count * from.len() + count * to.len();
                if len > MAX_STRING {
                    self.too_long(span, len);
                    return Err(Stop::Error);
                }
                Ok(Value::String(s.replace(from.as_str(), to)))
            }
            (Builtin::Contains, [Value::String(s), Value::String(part)]) => {
                Ok(Value::Bool(s.contains(part.as_str())))
            }
            (Builtin::Contains, [Value::List(items), x]) => {
                Ok(Value::Bool(items.iter().any(|item| values_equal(item, x))))
            }
            (Builtin::Keys, [Value::Object(map)]) => Ok(Value::List(
                map.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            (Builtin::Values, [Value::Object(map)]) => {
                Ok(Value::List(map.values().cloned().collect()))
            }
            (Builtin::Concat, lists) => {
                let mut out = Vec::new();
                for list in lists {
                    match list {
                        Value::List(items) => out.extend(items.iter().cloned()),
                        _ => return unknown,
                    }
                }
                Ok(Value::List(out))
            }
            (Builtin::Min | Builtin::Max, values) => {
                let numbers: &[Value] = match values {
                    [Value::List(items)] => items,
                    _ => values,
                };
                self.extremum(
                    builtin.name(),
                    numbers,
                    args.first().map_or(span, |a| a.span),
                )
            }
            (Builtin::Element, [Value::List(items), Value::Int(i)]) => {
                self.element(items, *i, arg(1), arg(0))
            }
            (Builtin::Lookup, [Value::Object(map), Value::String(key), rest @ ..])
                if rest.len() <= 1 =>
            {
                match (map.get(key), rest.first()) {
                    (Some(value), _) => Ok(value.clone()),
                    (None, Some(default)) => Ok(default.clone()),
                    (None, None) => {
                        self.missing_key(map, key, arg(1), arg(0));
                        Err(Stop::Error)
                    }
                }
            }
            (Builtin::Base64, [Value::String(s)]) => Ok(Value::String(base64(s.as_bytes()))),
            (Builtin::Cidrsubnet, [prefix, Value::Int(newbits), Value::Int(netnum)]) => {
                let Some(prefix) = string(prefix) else {
                    return unknown;
                };
                if prefix.contains(':') {
                    // IPv6 is left to the target's own function.
                    return unknown;
                }
                self.cidrsubnet(&prefix, *newbits, *netnum, [arg(0), arg(1), arg(2)])
            }
            // `file` and the deploy-time context are left to the targets;
            // arguments of other types to the type checker.
            _ => unknown,
        }
    }

    fn bad_argument(&mut self, span: Span, message: &str, label: &str, help: Option<&str>) {
        let mut error = self
            .error(&codes::E0316, span, message.to_string())
            .label(label);
        if let Some(help) = help {
            error = error.help(help);
        }
        error.emit();
    }

    fn extremum(&mut self, function: &str, values: &[Value], first: Span) -> Eval {
        if values.is_empty() {
            self.bad_argument(
                first,
                &format!("`{function}` of no values"),
                "there is nothing to compare",
                Some("give at least one number"),
            );
            return Err(Stop::Error);
        }
        let is_max = function == "max";
        if values.iter().all(|v| matches!(v, Value::Int(_))) {
            let ints = values.iter().filter_map(|v| match v {
                Value::Int(i) => Some(*i),
                _ => None,
            });
            let result = if is_max { ints.max() } else { ints.min() };
            return result.map(Value::Int).ok_or(Stop::Unknown);
        }
        let mut best: Option<f64> = None;
        for value in values {
            let n = value.as_f64().ok_or(Stop::Unknown)?;
            best = Some(match best {
                None => n,
                Some(b) if is_max => b.max(n),
                Some(b) => b.min(n),
            });
        }
        best.map(Value::Number).ok_or(Stop::Unknown)
    }

    fn element(&mut self, items: &[Value], index: i64, index_span: Span, list: Span) -> Eval {
        match usize::try_from(index).ok().and_then(|i| items.get(i)) {
            Some(value) => Ok(value.clone()),
            None => {
                self.out_of_range(index, items.len(), index_span, list);
                Err(Stop::Error)
            }
        }
    }

    fn parse_prefix(&mut self, prefix: &str, span: Span) -> Result<(u32, u32), Stop> {
        match parse_ipv4_prefix(prefix) {
            Ok(parsed) => Ok(parsed),
            Err(error) => {
                self.bad_argument(
                    span,
                    &format!("`{prefix}` is not an IPv4 network block"),
                    &error.label(),
                    error.help().as_deref(),
                );
                Err(Stop::Error)
            }
        }
    }

    fn cidrsubnet(&mut self, prefix: &str, newbits: i64, netnum: i64, spans: [Span; 3]) -> Eval {
        let (address, length) = self.parse_prefix(prefix, spans[0])?;
        let free = 32 - i64::from(length);
        if !(0..=free).contains(&newbits) {
            self.bad_argument(
                spans[1],
                &format!("cannot extend the /{length} prefix `{prefix}` by {newbits} bits"),
                &format!("must be from 0 to {free}"),
                Some("an IPv4 prefix has at most 32 bits"),
            );
            return Err(Stop::Error);
        }
        let count = 1i64 << newbits;
        if !(0..count).contains(&netnum) {
            self.bad_argument(
                spans[2],
                &format!("network number {netnum} does not fit in {newbits} bits"),
                &format!("must be from 0 to {}", count - 1),
                Some(&format!(
                    "`{prefix}` split with {newbits} more bits gives {count} networks"
                )),
            );
            return Err(Stop::Error);
        }
        let new_length = length + newbits as u32;
        let network = address & mask(length);
        let shift = 32 - new_length;
        let address = network | ((netnum as u32).checked_shl(shift).unwrap_or(0));
        Ok(Value::String(format!("{}/{new_length}", ipv4(address))))
    }
}

/// A diagnostic being built by the evaluator, pushed by [`EvalError::emit`].
struct EvalError<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
    diagnostic: Option<Diagnostic>,
}

impl EvalError<'_> {
    fn map(mut self, f: impl FnOnce(Diagnostic) -> Diagnostic) -> Self {
        self.diagnostic = self.diagnostic.take().map(f);
        self
    }

    fn label(self, message: impl Into<String>) -> Self {
        self.map(|d| d.label(message))
    }

    fn secondary(self, span: Span, message: impl Into<String>) -> Self {
        self.map(|d| d.secondary(span, message))
    }

    fn note(self, note: impl Into<String>) -> Self {
        self.map(|d| d.note(note))
    }

    fn help(self, help: impl Into<String>) -> Self {
        self.map(|d| d.help(help))
    }

    fn emit(mut self) {
        if let Some(diagnostic) = self.diagnostic.take() {
            self.diagnostics.push(diagnostic);
        }
    }
}

fn mask(length: u32) -> u32 {
    if length == 0 {
        0
    } else {
        u32::MAX << (32 - length)
    }
}

fn ipv4(address: u32) -> String {
    let [a, b, c, d] = address.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// Why a text is not an IPv4 network block the clouds accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// Not `a.b.c.d/n` at all.
    Malformed,
    /// An octet or the length written with a leading zero (`10.0.01.0/24`),
    /// which `inet_aton` and its heirs read as octal: the clouds refuse it.
    LeadingZero { decimal: String },
    /// Bits set after the prefix (`10.0.2.5/24`): an address in a network,
    /// not the network. The network's own address is given.
    HostBits { network: String },
}

impl BlockError {
    /// The label under the value: what is wrong with it.
    pub fn label(&self) -> String {
        match self {
            BlockError::Malformed => {
                "expected an IPv4 address block such as \"10.0.0.0/16\"".into()
            }
            BlockError::LeadingZero { .. } => "a number written with a leading zero".into(),
            BlockError::HostBits { network } => {
                let length = network.rsplit('/').next().unwrap_or_default();
                format!("an address inside a network: bits after the first {length} are set")
            }
        }
    }

    /// The block to write instead, when there is one.
    pub fn help(&self) -> Option<String> {
        match self {
            BlockError::Malformed => None,
            BlockError::LeadingZero { decimal } => Some(format!(
                "leading zeros are refused, as some tools read them as octal: write `{decimal}`"
            )),
            BlockError::HostBits { network } => {
                Some(format!("use the network address: `{network}`"))
            }
        }
    }
}

/// `a.b.c.d/n` as an address and a prefix length, as the clouds read a
/// network block: the address as [`std::net::Ipv4Addr`] parses it (four
/// decimal octets, no leading zeros), a length from 0 to 32, and no bits set
/// after the prefix.
pub fn parse_ipv4_prefix(text: &str) -> Result<(u32, u32), BlockError> {
    let (address, length) = text.split_once('/').ok_or(BlockError::Malformed)?;
    let parsed_length =
        (!length.is_empty() && length.len() <= 3 && length.bytes().all(|b| b.is_ascii_digit()))
            .then(|| length.parse::<u32>().ok())
            .flatten()
            .filter(|l| *l <= 32)
            .ok_or(BlockError::Malformed)?;
    let parsed: std::net::Ipv4Addr = match address.parse() {
        Ok(parsed) if length.len() == 1 || !length.starts_with('0') => parsed,
        _ => {
            // Told apart from other mistakes: the fix is plain.
            let decimal = without_leading_zeros(address)
                .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
                .ok_or(BlockError::Malformed)?;
            return Err(BlockError::LeadingZero {
                decimal: format!("{decimal}/{parsed_length}"),
            });
        }
    };
    let address = u32::from(parsed);
    let network = address & mask(parsed_length);
    if network != address {
        return Err(BlockError::HostBits {
            network: format!("{}/{parsed_length}", ipv4(network)),
        });
    }
    Ok((address, parsed_length))
}

/// `10.0.01.0` as `10.0.1.0`; `None` when a part is not digits.
fn without_leading_zeros(address: &str) -> Option<String> {
    let parts: Option<Vec<&str>> = address
        .split('.')
        .map(|part| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| {
                let trimmed = part.trim_start_matches('0');
                if trimmed.is_empty() { "0" } else { trimmed }
            })
        })
        .collect();
    Some(parts?.join("."))
}

/// Standard Base64 (RFC 4648) with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
