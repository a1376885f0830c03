//! What the `.infra` program says is deployed, for one assignment of its
//! params: which of the entry file's resources exist, with which copies,
//! and which other resources each copy refers to or depends on.
//!
//! Read from the checker's model (`sema::check::Program`): expressions are
//! evaluated here, with every param known; what only the cloud knows (an
//! attribute) is kept as the set of resources it reads. Constants are folded
//! by `sema::eval`, the compiler's one folder.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use infra::sema::check::Program;
use infra::sema::eval::{self, Value};
use infra::source::Span;
use infra::syntax::ast::{Binding, Expr, ExprKind, Item, ItemKind, Resource, StrPart};

/// One copy of a resource of the entry file: its item index, and its index
/// in the loop when the resource is repeated.
pub type Instance = (usize, Option<u32>);

/// What one copy of a resource says.
#[derive(Clone, Debug, Default)]
pub struct Said {
    /// The resource's name, for messages.
    pub name: String,
    /// Where it is declared: the span of its name.
    pub span: Span,
    /// Resources its properties read (references).
    pub references: BTreeSet<Instance>,
    /// Resources in its `depends_on`.
    pub depends_on: BTreeSet<Instance>,
}

/// What the program deploys for one assignment of its params.
#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub instances: BTreeMap<Instance, Said>,
    /// What the reference could not decide (a guard that is not a bool).
    pub problems: Vec<String>,
}

/// A value of the program while evaluating it with its params known.
#[derive(Clone, Debug)]
enum V {
    Known(Value),
    List(Vec<V>),
    Object(IndexMap<String, V>),
    /// A resource copy used as a value.
    Resource(Instance),
    /// Known only when deploying; reads these resources.
    Deploy(BTreeSet<Instance>),
}

impl V {
    fn known(&self) -> Option<Value> {
        match self {
            V::Known(v) => Some(v.clone()),
            V::List(items) => Some(Value::List(
                items.iter().map(V::known).collect::<Option<_>>()?,
            )),
            V::Object(fields) => Some(Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.known()?)))
                    .collect::<Option<_>>()?,
            )),
            V::Resource(_) | V::Deploy(_) => None,
        }
    }

    fn reads(&self, out: &mut BTreeSet<Instance>) {
        match self {
            V::Known(_) => {}
            V::List(items) => items.iter().for_each(|v| v.reads(out)),
            V::Object(fields) => fields.values().for_each(|v| v.reads(out)),
            V::Resource(i) => {
                out.insert(*i);
            }
            V::Deploy(set) => out.extend(set.iter().copied()),
        }
    }

    /// The elements a `for` walks: (index or key, element).
    fn elements(&self) -> Option<Vec<(V, V)>> {
        Some(match self {
            V::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (V::Known(Value::Int(i as i64)), v.clone()))
                .collect(),
            V::Object(fields) => fields
                .iter()
                .map(|(k, v)| (V::Known(Value::String(k.clone())), v.clone()))
                .collect(),
            V::Known(Value::List(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (V::Known(Value::Int(i as i64)), V::Known(v.clone())))
                .collect(),
            V::Known(Value::Object(fields)) => fields
                .iter()
                .map(|(k, v)| (V::Known(Value::String(k.clone())), V::Known(v.clone())))
                .collect(),
            _ => return None,
        })
    }
}

struct Evaluator<'p> {
    items: &'p [Item],
    params: &'p IndexMap<String, Value>,
    lets: RefCell<BTreeMap<usize, V>>,
    locals: RefCell<Vec<(String, V)>>,
    /// How many copies each repeated resource has, by item index.
    copies: RefCell<BTreeMap<usize, Option<usize>>>,
    problems: RefCell<Vec<String>>,
}

/// Evaluates the entry file of `program` with every param given in `params`
/// (the others take their defaults).
pub fn evaluate(program: &Program, params: &IndexMap<String, Value>) -> Reference {
    let items = &program.modules[program.entry.0 as usize].items;
    let mut all = params.clone();
    for (name, info) in &program.params {
        if !all.contains_key(name)
            && let Some(v) = info.value.clone().or_else(|| info.default.clone())
        {
            all.insert(name.clone(), v);
        }
    }
    let evaluator = Evaluator {
        items,
        params: &all,
        lets: RefCell::default(),
        locals: RefCell::default(),
        copies: RefCell::default(),
        problems: RefCell::default(),
    };
    let mut out = Reference::default();
    for (index, item) in items.iter().enumerate() {
        if let ItemKind::Resource(r) = &item.kind {
            evaluator.instances(index, r, &mut out.instances);
        }
    }
    // A reference to a copy that does not exist is the checker's business
    // (E0208); here it only says nothing.
    let existing: BTreeSet<Instance> = out.instances.keys().copied().collect();
    for said in out.instances.values_mut() {
        said.references.retain(|i| existing.contains(i));
        said.depends_on.retain(|i| existing.contains(i));
    }
    out.problems = evaluator.problems.into_inner();
    out
}

impl Evaluator<'_> {
    fn instances(&self, index: usize, r: &Resource, out: &mut BTreeMap<Instance, Said>) {
        let copies: Vec<(Option<u32>, Option<(V, V)>)> = match &r.for_guard {
            None => vec![(None, None)],
            Some(guard) => {
                let iterable = self.expr(&guard.iterable);
                match iterable.elements() {
                    Some(elements) => elements
                        .into_iter()
                        .enumerate()
                        .map(|(i, pair)| (Some(i as u32), Some(pair)))
                        .collect(),
                    None => {
                        self.problem(format!(
                            "`{}` repeats over a value the reference cannot walk: {iterable:?}",
                            r.name.name
                        ));
                        return;
                    }
                }
            }
        };
        for (copy, pair) in copies {
            let bound = self.locals.borrow().len();
            if let (Some(guard), Some((first, second))) = (&r.for_guard, pair) {
                self.bind(&guard.binding, first, second);
            }
            let exists = match &r.if_guard {
                None => true,
                Some(guard) => match self.expr(guard) {
                    V::Known(Value::Bool(b)) => b,
                    other => {
                        self.problem(format!(
                            "the guard of `{}` is not a bool: {other:?}",
                            r.name.name
                        ));
                        false
                    }
                },
            };
            if exists {
                let mut said = Said {
                    name: r.name.name.clone(),
                    span: r.name.span,
                    ..Said::default()
                };
                for property in &r.body.properties {
                    match property.key.name.as_str() {
                        "deletion" => {}
                        "depends_on" => self.expr(&property.value).reads(&mut said.depends_on),
                        _ => self.expr(&property.value).reads(&mut said.references),
                    }
                }
                said.references.remove(&(index, copy));
                out.insert((index, copy), said);
            }
            self.locals.borrow_mut().truncate(bound);
        }
    }

    fn problem(&self, message: String) {
        self.problems.borrow_mut().push(message);
    }

    fn bind(&self, binding: &Binding, first: V, second: V) {
        let mut locals = self.locals.borrow_mut();
        match &binding.second {
            Some(s) => {
                locals.push((binding.first.name.clone(), first));
                locals.push((s.name.clone(), second));
            }
            None => locals.push((binding.first.name.clone(), second)),
        }
    }

    /// The value of a name in the entry file's scope.
    fn name(&self, name: &str) -> Option<V> {
        if let Some((_, v)) = self.locals.borrow().iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        if let Some(v) = self.params.get(name) {
            return Some(V::Known(v.clone()));
        }
        let (index, item) = self
            .items
            .iter()
            .enumerate()
            .find(|(_, item)| match &item.kind {
                ItemKind::Let(l) => l.name.name == name,
                ItemKind::Resource(r) => r.name.name == name,
                _ => false,
            })?;
        match &item.kind {
            ItemKind::Let(l) => {
                if let Some(v) = self.lets.borrow().get(&index) {
                    return Some(v.clone());
                }
                // A let is evaluated where it is declared.
                let locals = std::mem::take(&mut *self.locals.borrow_mut());
                let v = self.expr(&l.value);
                *self.locals.borrow_mut() = locals;
                self.lets.borrow_mut().insert(index, v.clone());
                Some(v)
            }
            ItemKind::Resource(r) => Some(match &r.for_guard {
                None => V::Resource((index, None)),
                Some(_) => {
                    let n = self.copies_of(index, r)?;
                    V::List(
                        (0..n)
                            .map(|i| V::Resource((index, Some(i as u32))))
                            .collect(),
                    )
                }
            }),
            _ => None,
        }
    }

    fn copies_of(&self, index: usize, r: &Resource) -> Option<usize> {
        if let Some(n) = self.copies.borrow().get(&index) {
            return *n;
        }
        self.copies.borrow_mut().insert(index, None);
        let guard = r.for_guard.as_ref()?;
        let locals = std::mem::take(&mut *self.locals.borrow_mut());
        let n = self.expr(&guard.iterable).elements().map(|e| e.len());
        *self.locals.borrow_mut() = locals;
        self.copies.borrow_mut().insert(index, n);
        n
    }

    fn fold(&self, expr: &Expr) -> Option<Value> {
        let lookup = |name: &str| self.name(name).and_then(|v| v.known());
        eval::eval(expr, &lookup, &mut Vec::new())
    }

    fn expr(&self, expr: &Expr) -> V {
        if let Some(v) = self.fold(expr) {
            return V::Known(v);
        }
        match &expr.kind {
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Name(name) => self
                .name(&name.name)
                .unwrap_or_else(|| V::Deploy(BTreeSet::new())),
            ExprKind::List(items) => V::List(items.iter().map(|e| self.expr(e)).collect()),
            ExprKind::Object(props) => V::Object(
                props
                    .iter()
                    .map(|p| (p.key.name.clone(), self.expr(&p.value)))
                    .collect(),
            ),
            ExprKind::Member(base, field) => match self.expr(base) {
                V::Object(fields) => fields
                    .get(&field.name)
                    .cloned()
                    .unwrap_or_else(|| V::Deploy(BTreeSet::new())),
                V::Known(Value::Object(fields)) => {
                    V::Known(fields.get(&field.name).cloned().unwrap_or(Value::Null))
                }
                other => deploy(&[other]),
            },
            ExprKind::Index(base, index) => {
                let base = self.expr(base);
                let index = self.expr(index);
                match (&base, &index) {
                    (V::List(items), V::Known(Value::Int(i))) if *i >= 0 => items
                        .get(*i as usize)
                        .cloned()
                        .unwrap_or_else(|| deploy(&[base.clone()])),
                    (V::Object(fields), V::Known(Value::String(k))) => fields
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| deploy(&[base.clone()])),
                    _ => deploy(&[base, index]),
                }
            }
            ExprKind::Conditional(c, a, b) => match self.expr(c) {
                V::Known(Value::Bool(true)) => self.expr(a),
                V::Known(Value::Bool(false)) => self.expr(b),
                c => deploy(&[c, self.expr(a), self.expr(b)]),
            },
            ExprKind::ListComp(comp) => {
                let iterable = self.expr(&comp.iterable);
                let Some(elements) = iterable.elements() else {
                    return deploy(&[iterable, self.expr(&comp.body)]);
                };
                let mut out = Vec::new();
                for (first, second) in elements {
                    let bound = self.locals.borrow().len();
                    self.bind(&comp.binding, first, second);
                    let keep = match comp.filter.as_ref().map(|f| self.expr(f)) {
                        None | Some(V::Known(Value::Bool(true))) => Some(true),
                        Some(V::Known(Value::Bool(false))) => Some(false),
                        Some(_) => None,
                    };
                    match keep {
                        Some(true) => out.push(self.expr(&comp.body)),
                        Some(false) => {}
                        None => {
                            let filter = comp.filter.as_ref().map(|f| self.expr(f));
                            out.push(deploy(&[self.expr(&comp.body), filter.unwrap()]));
                        }
                    }
                    self.locals.borrow_mut().truncate(bound);
                }
                V::List(out)
            }
            ExprKind::Str(s) => {
                let parts: Vec<V> = s
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        StrPart::Interp(e) => Some(self.expr(e)),
                        StrPart::Text(_) => None,
                    })
                    .collect();
                deploy(&parts)
            }
            _ => {
                let mut operands = Vec::new();
                expr.for_each_operand(|e| operands.push(self.expr(e)));
                if let ExprKind::ObjectComp(comp, value) = &expr.kind {
                    operands.push(self.expr(&comp.iterable));
                    operands.push(self.expr(value));
                }
                deploy(&operands)
            }
        }
    }
}

/// A deploy-time value made of these.
fn deploy(parts: &[V]) -> V {
    let mut reads = BTreeSet::new();
    for part in parts {
        part.reads(&mut reads);
    }
    V::Deploy(reads)
}
