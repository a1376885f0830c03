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
use infra::sema::schema::SchemaKind;
use infra::source::Span;
use infra::syntax::ast::{Binding, Expr, ExprKind, Item, ItemKind, Resource, StrPart};

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
    /// Resources its properties read (references), in groups: a group is a
    /// property of a component's instance (which may use only some of what
    /// it is given: one subnet of a list) or one resource a native
    /// resource's property reads. A dependency on one resource of each
    /// group must hold.
    pub references: Vec<BTreeSet<Read>>,
    /// For each group of `references`, the component param it was given
    /// as, when the resource is a component's instance.
    pub arguments: Vec<Option<String>>,
    /// Resources in its `depends_on`.
    pub depends_on: BTreeSet<Instance>,
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
    /// A resource copy used as a value.
    Resource(Instance),
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
            V::Resource(_) | V::Deploy(_) => None,
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

/// A copy of a repeated resource: its index, and its loop variables'
/// values (none for a resource without `for`).
type Copy = (Option<u32>, Option<(V, V)>);

struct Evaluator<'p> {
    program: &'p Program,
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
        program,
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
                for property in &r.body.properties {
                    match property.key.name.as_str() {
                        "deletion" => {}
                        "depends_on" => {
                            let mut reads = BTreeSet::new();
                            self.expr(&property.value).reads(&mut reads);
                            said.depends_on.extend(reads.into_iter().map(|(i, _)| i));
                        }
                        _ => {
                            let mut reads = BTreeSet::new();
                            self.expr(&property.value).reads(&mut reads);
                            reads.retain(|(i, _)| *i != (index, copy));
                            if self.is_component(r) {
                                said.references.push(reads);
                                said.arguments.push(Some(property.key.name.clone()));
                            } else {
                                for i in reads {
                                    said.references.push(BTreeSet::from([i]));
                                    said.arguments.push(None);
                                }
                            }
                        }
                    }
                }
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
        let persistent = self
            .program
            .resource_schemas
            .get(&r.name.span)
            .is_some_and(|id| {
                self.program.schemas[id.0 as usize].state
                    == infra::syntax::ast::StateClass::Persistent
            });
        persistent.then(|| "protected".to_string())
    }

    fn is_component(&self, r: &Resource) -> bool {
        self.program
            .resource_schemas
            .get(&r.name.span)
            .is_some_and(|id| {
                matches!(
                    self.program.schemas[id.0 as usize].kind,
                    SchemaKind::Component { .. }
                )
            })
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
            ExprKind::Index(base, index) => {
                let base = self.expr(base);
                let index = self.expr(index);
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

/// A deploy-time value made of these.
fn deploy(parts: &[V]) -> V {
    let mut reads = BTreeSet::new();
    for part in parts {
        part.reads(&mut reads);
    }
    V::Deploy(reads)
}

/// Does the component that `item` (a resource of the entry file)
/// instantiates read its param `param` when built for `target`: in its
/// body outside `target` blocks, or in the block of `target`? A param only
/// another target reads makes no dependency on this one (a security
/// group's network on OpenStack, whose groups belong to no network).
pub fn reads_argument(program: &Program, item: usize, param: &str, target: &str) -> bool {
    let entry = &program.modules[program.entry.0 as usize];
    let ItemKind::Resource(r) = &entry.items[item].kind else {
        return true;
    };
    let Some(SchemaKind::Component { module, index }) = program
        .resource_schemas
        .get(&r.name.span)
        .map(|id| &program.schemas[id.0 as usize].kind)
    else {
        return true;
    };
    let ItemKind::Component(component) = &program.modules[module.0 as usize].items[*index].kind
    else {
        return true;
    };
    let mut names = BTreeSet::new();
    items_names(&component.items, target, &mut names);
    names.contains(param)
}

fn items_names(items: &[Item], target: &str, out: &mut BTreeSet<String>) {
    for item in items {
        match &item.kind {
            ItemKind::Resource(r) => {
                if let Some(g) = &r.for_guard {
                    expr_names(&g.iterable, out);
                }
                if let Some(g) = &r.if_guard {
                    expr_names(g, out);
                }
                for p in &r.body.properties {
                    expr_names(&p.value, out);
                }
            }
            ItemKind::Let(l) => expr_names(&l.value, out),
            ItemKind::Output(o) => {
                o.value.iter().for_each(|v| expr_names(v, out));
            }
            ItemKind::Param(p) => p.default.iter().for_each(|v| expr_names(v, out)),
            ItemKind::Target(t) if t.target.name == target => items_names(&t.items, target, out),
            _ => {}
        }
    }
}

fn expr_names(expr: &Expr, out: &mut BTreeSet<String>) {
    match &expr.kind {
        ExprKind::Name(n) => {
            out.insert(n.name.clone());
        }
        ExprKind::ListComp(c) => {
            expr_names(&c.iterable, out);
            c.filter.iter().for_each(|f| expr_names(f, out));
            expr_names(&c.body, out);
        }
        ExprKind::ObjectComp(c, value) => {
            expr_names(&c.iterable, out);
            c.filter.iter().for_each(|f| expr_names(f, out));
            expr_names(&c.body, out);
            expr_names(value, out);
        }
        _ => expr.for_each_operand(|e| expr_names(e, out)),
    }
}

/// Does the attribute `output` of the resource `item` of the entry file,
/// when it is a component's output, read a resource the component makes on
/// `target`? An output computed from the instance's params alone (a
/// container's domain on an object store whose address is the cloud's)
/// makes no dependency.
pub fn output_reads_resource(program: &Program, item: usize, output: &str, target: &str) -> bool {
    let entry = &program.modules[program.entry.0 as usize];
    let ItemKind::Resource(r) = &entry.items[item].kind else {
        return true;
    };
    let Some(SchemaKind::Component { module, index }) = program
        .resource_schemas
        .get(&r.name.span)
        .map(|id| &program.schemas[id.0 as usize].kind)
    else {
        return true;
    };
    let ItemKind::Component(component) = &program.modules[module.0 as usize].items[*index].kind
    else {
        return true;
    };
    let mut scope: Vec<&Item> = Vec::new();
    for item in &component.items {
        match &item.kind {
            ItemKind::Target(t) if t.target.name == target => scope.extend(&t.items),
            ItemKind::Target(_) => {}
            _ => scope.push(item),
        }
    }
    let Some(value) = scope.iter().rev().find_map(|item| match &item.kind {
        ItemKind::Output(o) if o.name.name == output => o.value.as_ref(),
        _ => None,
    }) else {
        return true;
    };
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    expr_names(value, &mut names);
    while let Some(name) = names.pop_first() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for item in &scope {
            match &item.kind {
                ItemKind::Resource(r) if r.name.name == name => return true,
                ItemKind::Let(l) if l.name.name == name => expr_names(&l.value, &mut names),
                _ => {}
            }
        }
    }
    false
}
