//! What the `.infra` program says is deployed, for one assignment of its
//! params: which of the entry file's resources exist, with which copies,
//! and which other resources each copy refers to or depends on.
//!
//! Read from the checker's model (`sema::check::Program`): expressions are
//! evaluated here, with every param known; what only the cloud knows (an
//! attribute) is kept as the set of resources it reads. Constants are folded
//! by `sema::eval`, the compiler's one folder. A component's instance is
//! evaluated through its body for the target (the standard library's
//! portable types are components too): it refers to what the native
//! resources that exist inside it read, and an output of it reads what the
//! output's expression reads.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use indexmap::IndexMap;
use infra::sema::check::{ModuleId, Program};
use infra::sema::eval::{self, Value};
use infra::sema::resolve::NAMESPACES;
use infra::sema::schema::SchemaKind;
use infra::source::Span;
use infra::syntax::ast::{Binding, Expr, ExprKind, Ident, Item, ItemKind, Resource, StrPart};

/// One copy of a resource of the entry file: its item index, and its index
/// in the loop when the resource is repeated.
pub type Instance = (usize, Option<u32>);

/// What a value reads of a resource copy: the copy itself (its id), or one
/// of its attributes.
pub type Read = (Instance, Option<String>);

/// What one copy of a resource says.
#[derive(Clone, Debug, Default)]
pub struct Said {
    /// The resource's name, for messages.
    pub name: String,
    /// Where it is declared: the span of its name.
    pub span: Span,
    /// Resources its native resources read (references): for a
    /// component's instance, the native resources that exist inside it. A
    /// dependency on one resource of each group must hold.
    pub references: Vec<BTreeSet<Read>>,
    /// Resources in its `depends_on`.
    pub depends_on: BTreeSet<Instance>,
    /// Whether a native resource exists for it (a component whose
    /// resources are all left out by their conditions deploys nothing).
    pub deploys: bool,
    /// What becomes of it when deleted: the `deletion` it sets, or
    /// `"protected"` for a persistent type that sets none.
    pub deletion: Option<String>,
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
    /// A native resource of the entry file (a copy) used as a value.
    Resource(Instance),
    /// A component's instance: the entry file's copy it is, or `None` for
    /// one inside a component; the component; the values of its params.
    Component(Rc<Component>),
    /// Known only when deploying; reads these resources.
    Deploy(BTreeSet<Read>),
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
            V::Resource(_) | V::Component(_) | V::Deploy(_) => None,
        }
    }

    fn reads(&self, out: &mut BTreeSet<Read>) {
        match self {
            V::Known(_) => {}
            V::List(items) => items.iter().for_each(|v| v.reads(out)),
            V::Object(fields) => fields.values().for_each(|v| v.reads(out)),
            V::Resource(i) => {
                out.insert((*i, None));
            }
            // Passing an instance passes its id: the entry file's copy, or,
            // inside a component, what the instance is made from.
            V::Component(c) => match c.outer {
                Some(i) => {
                    out.insert((i, None));
                }
                None => out.extend(c.id_reads.iter().cloned()),
            },
            V::Deploy(set) => out.extend(set.iter().cloned()),
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

/// An instance of a component, as a value.
#[derive(Debug)]
struct Component {
    outer: Option<Instance>,
    module: usize,
    index: usize,
    args: IndexMap<String, V>,
    /// What its `id` reads, for an instance inside a component (passing it
    /// passes its id).
    id_reads: BTreeSet<Read>,
}

/// What reading a resource made inside a component reads: nothing outside
/// the instance, but the instance itself when read from outside.
const INNER: Instance = (usize::MAX, None);

/// A copy of a repeated resource: its index, and its loop variables'
/// values (none for a resource without `for`).
type Copy = (Option<u32>, Option<(V, V)>);

struct Evaluator<'p> {
    program: &'p Program,
    /// The module whose items these are.
    module: ModuleId,
    /// The target whose `target` blocks components are read through.
    target: &'p str,
    /// The scope's items: the entry file's, or a component's with its
    /// `target` block's.
    items: Vec<&'p Item>,
    /// Whether the scope is a component's: its resources are then read as
    /// `INNER`.
    inner: bool,
    params: IndexMap<String, V>,
    lets: RefCell<BTreeMap<usize, V>>,
    locals: RefCell<Vec<(String, V)>>,
    /// The entry file's resources as values, by item index.
    values: RefCell<BTreeMap<usize, V>>,
    problems: RefCell<Vec<String>>,
    depth: usize,
}

/// Components instantiated inside each other deeper than this are a cycle
/// the checker reports.
const MAX_DEPTH: usize = 32;

/// Evaluates the entry file of `program` with every param given in `params`
/// (the others take their defaults).
pub fn evaluate(program: &Program, params: &IndexMap<String, Value>, target: &str) -> Reference {
    let items = program.modules[program.entry.0 as usize]
        .items
        .iter()
        .collect();
    let mut all = params.clone();
    for (name, info) in &program.params {
        if !all.contains_key(name)
            && let Some(v) = info.value.clone().or_else(|| info.default.clone())
        {
            all.insert(name.clone(), v);
        }
    }
    let evaluator = Evaluator {
        program,
        module: program.entry,
        target,
        items,
        inner: false,
        params: all.into_iter().map(|(k, v)| (k, V::Known(v))).collect(),
        lets: RefCell::default(),
        locals: RefCell::default(),
        values: RefCell::default(),
        problems: RefCell::default(),
        depth: 0,
    };
    let mut out = Reference::default();
    for (index, item) in evaluator.items.iter().enumerate() {
        if let ItemKind::Resource(r) = &item.kind {
            evaluator.instances(index, r, &mut out.instances);
        }
    }
    // A reference to a copy that does not exist is the checker's business
    // (E0208); here it only says nothing.
    let existing: BTreeSet<Instance> = out.instances.keys().copied().collect();
    for said in out.instances.values_mut() {
        for group in &mut said.references {
            group.retain(|(i, _)| existing.contains(i));
        }
        said.depends_on.retain(|i| existing.contains(i));
    }
    out.problems = evaluator.problems.into_inner();
    out
}

impl Evaluator<'_> {
    fn instances(&self, index: usize, r: &Resource, out: &mut BTreeMap<Instance, Said>) {
        let copies: Vec<Copy> = match &r.for_guard {
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
                    deletion: self.deletion(r),
                    ..Said::default()
                };
                if let Some(depends_on) = r
                    .body
                    .properties
                    .iter()
                    .find(|p| p.key.name == "depends_on")
                {
                    let mut reads = BTreeSet::new();
                    self.expr(&depends_on.value).reads(&mut reads);
                    said.depends_on.extend(reads.into_iter().map(|(i, _)| i));
                }
                // What the native resources that exist for this copy read.
                let mut reads = BTreeSet::new();
                said.deploys = true;
                match self.component_of(r) {
                    Some((module, component)) => {
                        let args = self.args(r);
                        said.deploys = self.component_reads(module, component, args, &mut reads);
                    }
                    None => {
                        for property in &r.body.properties {
                            if !matches!(property.key.name.as_str(), "deletion" | "depends_on") {
                                self.expr(&property.value).reads(&mut reads);
                            }
                        }
                    }
                }
                reads.retain(|(i, _)| *i != (index, copy) && *i != INNER);
                said.references = reads.into_iter().map(|r| BTreeSet::from([r])).collect();
                out.insert((index, copy), said);
            }
            self.locals.borrow_mut().truncate(bound);
        }
    }

    fn deletion(&self, r: &Resource) -> Option<String> {
        let asked = r.body.properties.iter().find(|p| p.key.name == "deletion");
        if let Some(p) = asked {
            return match &p.value.kind {
                ExprKind::Str(s) => s.as_plain(),
                _ => None,
            };
        }
        // A component of the program's own is as protected as what it is
        // made of says: only a native or a standard library type promises
        // protection by its class.
        let persistent = self
            .program
            .schema_of(self.module, r)
            .map(|id| &self.program.schemas[id.0 as usize])
            .is_some_and(|schema| {
                let standard = match schema.kind {
                    SchemaKind::Native { .. } => true,
                    SchemaKind::Component { .. } => schema
                        .name
                        .split_once('.')
                        .is_some_and(|(ns, _)| NAMESPACES.contains(&ns)),
                };
                standard && schema.state == infra::syntax::ast::StateClass::Persistent
            });
        persistent.then(|| "protected".to_string())
    }

    /// The component a resource instantiates: its module and item index.
    fn component_of(&self, r: &Resource) -> Option<(usize, usize)> {
        match self
            .program
            .schema_of(self.module, r)
            .map(|id| &self.program.schemas[id.0 as usize].kind)
        {
            Some(SchemaKind::Component { module, index }) => Some((module.0 as usize, *index)),
            _ => None,
        }
    }

    /// The values a resource's properties give, with the loop variables of
    /// the copy being evaluated bound.
    fn args(&self, r: &Resource) -> IndexMap<String, V> {
        r.body
            .properties
            .iter()
            .filter(|p| !matches!(p.key.name.as_str(), "deletion" | "depends_on"))
            .map(|p| (p.key.name.clone(), self.expr(&p.value)))
            .collect()
    }

    /// The scope of a component's instance, for this evaluator's target.
    fn child(
        &self,
        module: usize,
        index: usize,
        args: IndexMap<String, V>,
    ) -> Option<Evaluator<'_>> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let ItemKind::Component(component) = &self.program.modules[module].items[index].kind else {
            return None;
        };
        let mut items = Vec::new();
        for item in &component.items {
            match &item.kind {
                ItemKind::Target(t) if t.target.name == self.target => items.extend(&t.items),
                ItemKind::Target(_) => {}
                _ => items.push(item),
            }
        }
        Some(Evaluator {
            program: self.program,
            module: ModuleId(module as u32),
            target: self.target,
            items,
            inner: true,
            params: args,
            lets: RefCell::default(),
            locals: RefCell::default(),
            values: RefCell::default(),
            problems: RefCell::default(),
            depth: self.depth + 1,
        })
    }

    /// What the native resources that exist in an instance of a component
    /// read, through the components inside it; whether any exists.
    fn component_reads(
        &self,
        module: usize,
        index: usize,
        args: IndexMap<String, V>,
        out: &mut BTreeSet<Read>,
    ) -> bool {
        let Some(child) = self.child(module, index, args) else {
            return true;
        };
        let mut made = false;
        for item in &child.items {
            let ItemKind::Resource(r) = &item.kind else {
                continue;
            };
            child.each_copy(r, &mut |child: &Evaluator| match child.component_of(r) {
                Some((module, index)) => {
                    let args = child.args(r);
                    made |= child.component_reads(module, index, args, out);
                }
                None => {
                    made = true;
                    for property in &r.body.properties {
                        if property.key.name != "deletion" {
                            child.expr(&property.value).reads(out);
                        }
                    }
                }
            });
        }
        self.problems
            .borrow_mut()
            .extend(child.problems.into_inner());
        made
    }

    /// Calls `f` for each copy of `r` that exists, with its loop variables
    /// bound.
    fn each_copy(&self, r: &Resource, f: &mut dyn FnMut(&Evaluator)) {
        let copies: Vec<Option<(V, V)>> = match &r.for_guard {
            None => vec![None],
            Some(guard) => match self.expr(&guard.iterable).elements() {
                Some(elements) => elements.into_iter().map(Some).collect(),
                None => return,
            },
        };
        for pair in copies {
            let bound = self.locals.borrow().len();
            if let (Some(guard), Some((first, second))) = (&r.for_guard, pair) {
                self.bind(&guard.binding, first, second);
            }
            let exists = match &r.if_guard {
                None => true,
                Some(guard) => matches!(self.expr(guard), V::Known(Value::Bool(true))),
            };
            if exists {
                f(self);
            }
            self.locals.borrow_mut().truncate(bound);
        }
    }

    /// The output `name` of an instance of a component.
    fn output(&self, c: &Component, name: &str) -> V {
        let Some(child) = self.child(c.module, c.index, c.args.clone()) else {
            return V::Deploy(BTreeSet::new());
        };
        let value = child.items.iter().rev().find_map(|item| match &item.kind {
            ItemKind::Output(o) if o.name.name == name => o.value.as_ref(),
            _ => None,
        });
        let Some(value) = value else {
            // An attribute the component does not compute: the instance's.
            return V::Deploy(BTreeSet::from([(
                c.outer.unwrap_or(INNER),
                Some(name.into()),
            )]));
        };
        let v = child.expr(value);
        let mut reads = BTreeSet::new();
        v.reads(&mut reads);
        if !reads.contains(&(INNER, None)) || c.outer.is_none() {
            return v;
        }
        // It reads what the instance made: a read of the instance.
        reads.remove(&(INNER, None));
        reads.insert((c.outer.unwrap_or(INNER), Some(name.into())));
        V::Deploy(reads)
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

    /// The position of the copy keyed `key` of the resource `base` names,
    /// when it is repeated over an object literal.
    fn key_position(&self, base: &Expr, key: &str) -> Option<usize> {
        let ExprKind::Name(name) = &base.kind else {
            return None;
        };
        if self.locals.borrow().iter().any(|(n, _)| *n == name.name) {
            return None;
        }
        self.items.iter().find_map(|item| match &item.kind {
            ItemKind::Resource(r) if r.name.name == name.name => {
                match &r.for_guard.as_ref()?.iterable.kind {
                    ExprKind::Object(props) => props.iter().position(|p| p.key.name == key),
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// The value of a name in the entry file's scope.
    fn name(&self, name: &str) -> Option<V> {
        if let Some((_, v)) = self.locals.borrow().iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        if let Some(v) = self.params.get(name) {
            return Some(v.clone());
        }
        let (index, item) = self
            .items
            .iter()
            .enumerate()
            .find(|(_, item)| match &item.kind {
                ItemKind::Let(l) => l.name.name == name,
                ItemKind::Resource(r) => r.name.name == name,
                ItemKind::Param(p) => p.name.name == name,
                _ => false,
            })?;
        match &item.kind {
            // A component's param its instance does not give.
            ItemKind::Param(p) => {
                if let Some(v) = self.lets.borrow().get(&index) {
                    return Some(v.clone());
                }
                let locals = std::mem::take(&mut *self.locals.borrow_mut());
                let v = p
                    .default
                    .as_ref()
                    .map_or(V::Known(Value::Null), |d| self.expr(d));
                *self.locals.borrow_mut() = locals;
                self.lets.borrow_mut().insert(index, v.clone());
                Some(v)
            }
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
            ItemKind::Resource(r) => {
                if let Some(v) = self.values.borrow().get(&index) {
                    return Some(v.clone());
                }
                // Being computed: a cycle, which the checker reports.
                self.values
                    .borrow_mut()
                    .insert(index, V::Deploy(BTreeSet::new()));
                let locals = std::mem::take(&mut *self.locals.borrow_mut());
                let v = self.resource_value(index, r);
                *self.locals.borrow_mut() = locals;
                self.values.borrow_mut().insert(index, v.clone());
                Some(v)
            }
            _ => None,
        }
    }

    /// A resource of this scope as a value: the list of its copies when it
    /// is repeated.
    fn resource_value(&self, index: usize, r: &Resource) -> V {
        let one = |copy: Option<u32>, this: &Evaluator| -> V {
            let outer = (!this.inner).then_some((index, copy));
            match this.component_of(r) {
                Some((module, item)) => {
                    let mut component = Component {
                        outer,
                        module,
                        index: item,
                        args: this.args(r),
                        id_reads: BTreeSet::new(),
                    };
                    if outer.is_none() {
                        this.output(&component, "id").reads(&mut component.id_reads);
                    }
                    V::Component(Rc::new(component))
                }
                None => V::Resource(outer.unwrap_or(INNER)),
            }
        };
        let Some(guard) = &r.for_guard else {
            return one(None, self);
        };
        let Some(elements) = self.expr(&guard.iterable).elements() else {
            return V::Deploy(BTreeSet::new());
        };
        let mut copies = Vec::new();
        for (i, (first, second)) in elements.into_iter().enumerate() {
            let bound = self.locals.borrow().len();
            self.bind(&guard.binding, first, second);
            copies.push(one(Some(i as u32), self));
            self.locals.borrow_mut().truncate(bound);
        }
        V::List(copies)
    }

    fn fold(&self, expr: &Expr) -> Option<Value> {
        let lookup = |name: &Ident| self.name(&name.name).and_then(|v| v.known());
        let names = &self.program.names[self.module.0 as usize];
        eval::eval(expr, names, &lookup, &mut Vec::new())
    }

    fn expr(&self, expr: &Expr) -> V {
        if let Some(v) = self.fold(expr) {
            return V::Known(v);
        }
        match &expr.kind {
            ExprKind::Paren(inner) => self.expr(inner),
            // Known operands fold, though the expression reads a list of
            // resources (`i % length(subnets)`).
            ExprKind::Binary(op, a, b) => {
                let (va, vb) = (self.expr(a), self.expr(b));
                let folded =
                    match (va.known(), vb.known()) {
                        (Some(x), Some(y)) => literal(&x, a.span)
                            .zip(literal(&y, b.span))
                            .and_then(|(x, y)| {
                                let e = Expr {
                                    kind: ExprKind::Binary(*op, Box::new(x), Box::new(y)),
                                    span: expr.span,
                                };
                                eval::eval(&e, &Default::default(), &|_| None, &mut Vec::new())
                            }),
                        _ => None,
                    };
                match folded {
                    Some(v) => V::Known(v),
                    None => deploy(&[va, vb]),
                }
            }
            // The length of a list of resources is known.
            ExprKind::Call(callee, args)
                if matches!(&callee.kind, ExprKind::Name(n) if n.name == "length")
                    && args.len() == 1 =>
            {
                match self.expr(&args[0]) {
                    V::List(items) => V::Known(Value::Int(items.len() as i64)),
                    V::Object(fields) => V::Known(Value::Int(fields.len() as i64)),
                    other => deploy(&[other]),
                }
            }
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
                V::Component(c) => self.output(&c, &field.name),
                // Every copy's output.
                V::List(items) if items.iter().any(|v| matches!(v, V::Component(_))) => V::List(
                    items
                        .iter()
                        .map(|v| match v {
                            V::Component(c) => self.output(c, &field.name),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                V::Object(fields) => fields
                    .get(&field.name)
                    .cloned()
                    .unwrap_or_else(|| V::Deploy(BTreeSet::new())),
                V::Known(Value::Object(fields)) => {
                    V::Known(fields.get(&field.name).cloned().unwrap_or(Value::Null))
                }
                // An attribute of a copy, or of every copy.
                other => {
                    let mut reads = BTreeSet::new();
                    other.reads(&mut reads);
                    V::Deploy(
                        reads
                            .into_iter()
                            .map(|(i, attr)| (i, attr.or_else(|| Some(field.name.clone()))))
                            .collect(),
                    )
                }
            },
            ExprKind::Index(base_expr, index) => {
                let base = self.expr(base_expr);
                let mut index = self.expr(index);
                // Copies keyed by name (`for k, v in { blue = ... }`) are
                // read by key: the key's position among the copies.
                if let V::Known(Value::String(k)) = &index
                    && let Some(at) = self.key_position(base_expr, k)
                {
                    index = V::Known(Value::Int(at as i64));
                }
                match (&base, &index) {
                    (V::List(items), V::Known(Value::Int(i))) if *i >= 0 => items
                        .get(*i as usize)
                        .cloned()
                        .unwrap_or_else(|| deploy(std::slice::from_ref(&base))),
                    (V::Object(fields), V::Known(Value::String(k))) => fields
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| deploy(std::slice::from_ref(&base))),
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

/// A constant as an expression, for folding.
fn literal(value: &Value, span: infra::source::Span) -> Option<Expr> {
    let kind = match value {
        Value::Null => ExprKind::Null,
        Value::Bool(b) => ExprKind::Bool(*b),
        Value::Int(i) => ExprKind::Int(*i),
        Value::Number(n) => ExprKind::Number(n.to_string()),
        Value::String(s) => ExprKind::Str(infra::syntax::ast::StringLit {
            parts: vec![StrPart::Text(s.clone())],
            multiline: false,
            span,
        }),
        Value::List(items) => ExprKind::List(
            items
                .iter()
                .map(|v| literal(v, span))
                .collect::<Option<_>>()?,
        ),
        Value::Object(_) => return None,
    };
    Some(Expr { kind, span })
}

/// A deploy-time value made of these.
fn deploy(parts: &[V]) -> V {
    let mut reads = BTreeSet::new();
    for part in parts {
        part.reads(&mut reads);
    }
    V::Deploy(reads)
}
