//! Values during lowering: `Val`, which keeps the shape of lists, objects,
//! resource instances and deploy-time choices, and its conversions from
//! compile-time values and to `ir::Expr`.

use std::rc::Rc;

use crate::ir;
use crate::sema::eval::Value;

/// The fields of an object during lowering, in order.
pub type Fields = ir::Map<Val>;

/// A value during lowering.
#[derive(Clone, Debug)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    Str(String),
    /// Shared: a list or object is read where it is named, many times
    /// (`subnet[i]` for each copy), and not copied each time.
    List(Rc<Vec<Val>>),
    Object(Rc<Fields>),
    Resource(Rc<Instance>),
    /// `c ? a : b` with `c` known only at deploy time; both branches keep
    /// their shape, so members, elements and repetition reach into them.
    Choice(ir::Expr, Box<Val>, Box<Val>),
    Deploy(ir::Expr),
    /// A copy of a repeated resource that its `if` leaves out at compile
    /// time: it keeps its place in the list of copies (`web[i]` is the copy
    /// made for element `i`) and is no element of the list as a value.
    Gone,
}

/// `c ? a : b`, or `a` when both are the same (a member read through a
/// choice between resources that share it).
fn choice(c: ir::Expr, a: ir::Expr, b: ir::Expr) -> ir::Expr {
    if a == b {
        a
    } else {
        ir::Expr::If(Box::new(c), Box::new(a), Box::new(b))
    }
}

/// The elements of a list that are values: not the copies left out.
pub(super) fn present(items: &[Val]) -> impl Iterator<Item = &Val> {
    items.iter().filter(|v| !matches!(v, Val::Gone))
}

/// A resource instance, as references see it.
#[derive(Debug)]
pub struct Instance {
    /// A native resource; `None` for a component.
    pub native: Option<ir::ResourceId>,
    /// Every native resource a component instance made, for `depends_on`
    /// (empty for a native resource, which is its own).
    pub made: Vec<ir::ResourceId>,
    /// Repeated a number of times known only at deploy time.
    pub counted: bool,
    /// A copy unrolled up to a deploy-time count's bound exists only under
    /// this condition (the count is above its index): a list of the copies
    /// holds it as `Fn::If`-like choices, not as a plain reference.
    pub exists: Option<ir::Expr>,
    /// A component's outputs.
    pub outputs: Outputs,
}

/// A component instance's outputs: a value for each of the component's
/// output names, which all its instances share. Thousands of instances
/// each holding a map of their own, keys and hash table included, cost a
/// large program a tenth of its memory while lowering.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    names: Rc<[String]>,
    values: Rc<[Val]>,
}

impl Outputs {
    /// `values[i]` is output `names[i]`'s.
    pub(super) fn new(names: Rc<[String]>, values: Vec<Val>) -> Outputs {
        debug_assert_eq!(names.len(), values.len());
        Outputs {
            names,
            values: values.into(),
        }
    }

    /// The output `name`'s value: the last given it, as a map would keep.
    pub(super) fn get(&self, name: &str) -> Option<&Val> {
        let i = self.names.iter().rposition(|n| n == name)?;
        self.values.get(i)
    }
}

impl Instance {
    /// A native resource's instance.
    pub(super) fn native(id: ir::ResourceId, counted: bool) -> Instance {
        Instance {
            native: Some(id),
            made: Vec::new(),
            counted,
            exists: None,
            outputs: Outputs::default(),
        }
    }

    /// The same instance, read where it is known to exist.
    pub(super) fn without_exists(&self) -> Instance {
        Instance {
            native: self.native,
            made: self.made.clone(),
            counted: self.counted,
            exists: None,
            outputs: self.outputs.clone(),
        }
    }

    /// The native resources the instance stands for.
    pub(super) fn natives(&self) -> &[ir::ResourceId] {
        match &self.native {
            Some(id) if self.made.is_empty() => std::slice::from_ref(id),
            _ => &self.made,
        }
    }
}

impl Val {
    pub(super) fn list(items: Vec<Val>) -> Val {
        Val::List(Rc::new(items))
    }

    pub(super) fn object(fields: Fields) -> Val {
        Val::Object(Rc::new(fields))
    }

    pub(super) fn from_value(value: Value) -> Val {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Number(n) => Val::Number(n),
            Value::String(s) => Val::Str(s),
            Value::List(items) => Val::list(items.into_iter().map(Val::from_value).collect()),
            Value::Object(fields) => Val::object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.into(), Val::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The compile-time value, if the whole value is known.
    pub(super) fn to_value(&self) -> Option<Value> {
        Some(match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Number(n) => Value::Number(*n),
            Val::Str(s) => Value::String(s.clone()),
            Val::List(items) => {
                Value::List(items.iter().map(Val::to_value).collect::<Option<_>>()?)
            }
            Val::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Some((k.to_string(), v.to_value()?)))
                    .collect::<Option<_>>()?,
            ),
            Val::Gone => Value::Null,
            Val::Resource(_) | Val::Choice(..) | Val::Deploy(_) => return None,
        })
    }

    /// The value as an IR expression. A resource used as a value is its id.
    pub fn to_ir(&self) -> ir::Expr {
        match self {
            Val::Null | Val::Gone => ir::Expr::Null,
            Val::Bool(b) => ir::Expr::Bool(*b),
            Val::Int(i) => ir::Expr::Int(*i),
            Val::Number(n) => ir::Expr::Number(*n),
            Val::Str(s) => ir::Expr::String(s.clone()),
            Val::List(items) => ir::Expr::List(present(items).map(Val::to_ir).collect()),
            Val::Object(fields) => {
                let fields = fields.iter().map(|(k, v)| (k.clone(), v.to_ir()));
                ir::Expr::Object(Box::new(fields.collect()))
            }
            Val::Resource(instance) if instance.exists.is_some() => {
                let exists = instance.exists.clone().unwrap_or(ir::Expr::Bool(true));
                let value = Val::Resource(Rc::new(instance.without_exists()));
                ir::Expr::If(
                    Box::new(exists),
                    Box::new(value.to_ir()),
                    Box::new(ir::Expr::Null),
                )
            }
            Val::Resource(instance) => match &instance.native {
                Some(id) => ir::Expr::Ref(*id),
                // One copy's outputs are no value outside the copies.
                None if instance.counted => ir::Expr::Null,
                None => instance
                    .outputs
                    .get("id")
                    .map_or(ir::Expr::Null, Val::to_ir),
            },
            Val::Choice(c, a, b) => choice(c.clone(), a.to_ir(), b.to_ir()),
            Val::Deploy(e) => e.clone(),
        }
    }

    /// `to_ir`, taking the value apart rather than copying it.
    pub fn into_ir(self) -> ir::Expr {
        match self {
            Val::Str(s) => ir::Expr::String(s),
            Val::List(items) => ir::Expr::List(elements(items, Val::into_ir)),
            Val::Object(fields) => ir::Expr::Object(object(fields, Val::into_ir, false)),
            Val::Choice(c, a, b) => choice(c, a.into_ir(), b.into_ir()),
            Val::Deploy(e) => e,
            other => other.to_ir(),
        }
    }

    /// The value as a property: `into_ir` without the object fields that
    /// are null, which mean "left out" (see `prune`).
    pub(super) fn into_property(self) -> ir::Expr {
        match self {
            Val::List(items) => ir::Expr::List(elements(items, Val::into_property)),
            Val::Object(fields) => ir::Expr::Object(object(fields, Val::into_property, true)),
            Val::Choice(c, a, b) => choice(c, a.into_property(), b.into_property()),
            other => {
                let mut e = other.into_ir();
                prune(&mut e);
                e
            }
        }
    }

    /// Are both values known at compile time, and equal?
    pub(super) fn same_const(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Number(a), Val::Number(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::List(a), Val::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same_const(y))
            }
            // Fields in any order, as `Value`'s equality has them.
            (Val::Object(a), Val::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(k).is_some_and(|y| x.same_const(y)))
            }
            _ => false,
        }
    }

    pub(super) fn from_ir(e: ir::Expr) -> Val {
        match e {
            ir::Expr::Null => Val::Null,
            ir::Expr::Bool(b) => Val::Bool(b),
            ir::Expr::Int(i) => Val::Int(i),
            ir::Expr::String(s) => Val::Str(s),
            ir::Expr::Number(n) => Val::Number(n),
            // The shape stays visible: members and elements can still be read.
            ir::Expr::List(items) => Val::list(items.into_iter().map(Val::from_ir).collect()),
            ir::Expr::Object(fields) => Val::object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, Val::from_ir(v)))
                    .collect(),
            ),
            other => Val::Deploy(other),
        }
    }
}

/// Drops object fields whose value is null: a null property means "left out".
fn prune(e: &mut ir::Expr) {
    match e {
        ir::Expr::Object(fields) => {
            fields.retain(|_, v| !matches!(v, ir::Expr::Null));
            fields.values_mut().for_each(prune);
        }
        ir::Expr::List(items) => items.iter_mut().for_each(prune),
        ir::Expr::If(_, a, b) => {
            prune(a);
            prune(b);
        }
        _ => {}
    }
}

/// A list's elements, each made IR by `convert`, the copies left out
/// skipped. A list shared with other values (a constant read by every
/// copy) is read in place, each element cloned as it is converted.
fn elements(items: Rc<Vec<Val>>, convert: fn(Val) -> ir::Expr) -> Vec<ir::Expr> {
    let present = |v: &Val| !matches!(v, Val::Gone);
    match Rc::try_unwrap(items) {
        // Into a list of its own: `collect` would reuse the values' room,
        // and the IR, which lasts until the templates are written, would
        // keep it, half again or more than its elements need.
        Ok(items) => {
            let mut out = Vec::with_capacity(items.len());
            out.extend(items.into_iter().filter(present).map(convert));
            out
        }
        Err(shared) => (shared.iter())
            .filter(|v| present(v))
            .map(|v| convert(v.clone()))
            .collect(),
    }
}

/// An object's fields, each made IR by `convert`; `pruned`, without the
/// fields that end null. Read in place when shared (see `elements`), and
/// put in a map of exactly the fields kept: its keys are distinct already.
fn object(
    fields: Rc<Fields>,
    convert: fn(Val) -> ir::Expr,
    pruned: bool,
) -> Box<ir::Map<ir::Expr>> {
    let converted: Vec<(ir::Key, ir::Expr)> = match Rc::try_unwrap(fields) {
        Ok(fields) => (fields.into_iter()).map(|(k, v)| (k, convert(v))).collect(),
        Err(shared) => (shared.iter())
            .map(|(k, v)| (k.clone(), convert(v.clone())))
            .collect(),
    };
    let kept = |(_, v): &(ir::Key, ir::Expr)| !pruned || !matches!(v, ir::Expr::Null);
    let mut out = ir::Map::with_capacity(converted.iter().filter(|f| kept(f)).count());
    out.extend(converted.into_iter().filter(kept));
    Box::new(out)
}

/// An IR object of `fields`, in order, a repeated key keeping its first
/// place and its last value; `pruned`, without the fields that end null.
pub(super) fn ir_fields(
    fields: impl ExactSizeIterator<Item = (ir::Key, ir::Expr)>,
    pruned: bool,
) -> Box<ir::Map<ir::Expr>> {
    let mut out = ir::Map::with_capacity(fields.len());
    let mut nulls = false;
    for (k, v) in fields {
        nulls |= matches!(v, ir::Expr::Null);
        out.insert(k, v);
    }
    if pruned && nulls {
        // Made anew with room for what stays: the map stays with the IR.
        let kept = out
            .values()
            .filter(|v| !matches!(v, ir::Expr::Null))
            .count();
        let mut exact = ir::Map::with_capacity(kept);
        exact.extend(
            out.into_iter()
                .filter(|(_, v)| !matches!(v, ir::Expr::Null)),
        );
        out = exact;
    }
    Box::new(out)
}
