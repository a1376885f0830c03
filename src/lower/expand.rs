//! The expansion of a checked program into native resources for one target.
//!
//! Expressions are partially evaluated: what every operand knows at compile
//! time is folded (through `sema::eval`), the rest becomes `ir::Expr`.
//! Components are instantiated with their arguments, choosing the `target`
//! block of the target being built; `for` over compile-time lists unrolls;
//! `if` folds or becomes a deploy-time condition.

use rustc_hash::{FxBuildHasher, FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{self, Context, Deletion, Target};
use crate::sema::check::{ModuleId, Program};
use crate::sema::eval::{self, Value};
use crate::sema::schema::SchemaKind;
use crate::source::Span;
use crate::syntax::ast::*;
use crate::target::Repetition;

/// The fields of an object during lowering, in order.
pub type Fields = IndexMap<String, Val, FxBuildHasher>;

/// A value during lowering.
#[derive(Clone, Debug)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    Str(String),
    List(Vec<Val>),
    Object(Fields),
    Resource(Rc<Instance>),
    /// `c ? a : b` with `c` known only at deploy time; both branches keep
    /// their shape, so members, elements and repetition reach into them.
    Choice(ir::Expr, Box<Val>, Box<Val>),
    Deploy(ir::Expr),
}

/// A resource instance, as references see it.
#[derive(Debug)]
pub struct Instance {
    /// The logical id of a native resource; `None` for a component.
    pub native: Option<String>,
    /// Every native resource a component instance made, for `depends_on`
    /// (empty for a native resource, which is its own).
    pub made: Vec<String>,
    /// Repeated a number of times known only at deploy time.
    pub counted: bool,
    /// A component's outputs.
    pub outputs: Fields,
}

impl Instance {
    /// A native resource's instance.
    fn native(id: String, counted: bool) -> Instance {
        Instance {
            native: Some(id),
            made: Vec::new(),
            counted,
            outputs: Fields::default(),
        }
    }

    /// The native resources the instance stands for.
    fn natives(&self) -> &[String] {
        match &self.native {
            Some(id) if self.made.is_empty() => std::slice::from_ref(id),
            _ => &self.made,
        }
    }
}

impl Val {
    fn from_value(value: Value) -> Val {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Number(n) => Val::Number(n),
            Value::String(s) => Val::Str(s),
            Value::List(items) => Val::List(items.into_iter().map(Val::from_value).collect()),
            Value::Object(fields) => Val::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, Val::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The compile-time value, if the whole value is known.
    fn to_value(&self) -> Option<Value> {
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
                    .map(|(k, v)| Some((k.clone(), v.to_value()?)))
                    .collect::<Option<_>>()?,
            ),
            Val::Resource(_) | Val::Choice(..) | Val::Deploy(_) => return None,
        })
    }

    /// The value as an IR expression. A resource used as a value is its id.
    pub fn to_ir(&self) -> ir::Expr {
        match self {
            Val::Null => ir::Expr::Null,
            Val::Bool(b) => ir::Expr::Bool(*b),
            Val::Int(i) => ir::Expr::Int(*i),
            Val::Number(n) => ir::Expr::Number(*n),
            Val::Str(s) => ir::Expr::String(s.clone()),
            Val::List(items) => ir::Expr::List(items.iter().map(Val::to_ir).collect()),
            Val::Object(fields) => {
                ir::Expr::Object(fields.iter().map(|(k, v)| (k.clone(), v.to_ir())).collect())
            }
            Val::Resource(instance) => match &instance.native {
                Some(id) => ir::Expr::Ref(id.clone()),
                // One copy's outputs are no value outside the copies.
                None if instance.counted => ir::Expr::Null,
                None => instance
                    .outputs
                    .get("id")
                    .map_or(ir::Expr::Null, Val::to_ir),
            },
            Val::Choice(c, a, b) => ir::Expr::If(
                Box::new(c.clone()),
                Box::new(a.to_ir()),
                Box::new(b.to_ir()),
            ),
            Val::Deploy(e) => e.clone(),
        }
    }

    /// `to_ir`, taking the value apart rather than copying it.
    pub fn into_ir(self) -> ir::Expr {
        match self {
            Val::Str(s) => ir::Expr::String(s),
            Val::List(items) => ir::Expr::List(items.into_iter().map(Val::into_ir).collect()),
            Val::Object(fields) => ir::Expr::Object(ir_fields(
                fields.into_iter().map(|(k, v)| (k, v.into_ir())),
                false,
            )),
            Val::Choice(c, a, b) => {
                ir::Expr::If(Box::new(c), Box::new(a.into_ir()), Box::new(b.into_ir()))
            }
            Val::Deploy(e) => e,
            other => other.to_ir(),
        }
    }

    /// The value as a property: `into_ir` without the object fields that
    /// are null, which mean "left out" (see `prune`).
    fn into_property(self) -> ir::Expr {
        match self {
            Val::List(items) => ir::Expr::List(items.into_iter().map(Val::into_property).collect()),
            Val::Object(fields) => ir::Expr::Object(ir_fields(
                fields.into_iter().map(|(k, v)| (k, v.into_property())),
                true,
            )),
            Val::Choice(c, a, b) => ir::Expr::If(
                Box::new(c),
                Box::new(a.into_property()),
                Box::new(b.into_property()),
            ),
            other => {
                let mut e = other.into_ir();
                prune(&mut e);
                e
            }
        }
    }

    /// Are both values known at compile time, and equal?
    fn same_const(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Number(a), Val::Number(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::List(a), Val::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_const(y))
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

    fn from_ir(e: ir::Expr) -> Val {
        match e {
            ir::Expr::Null => Val::Null,
            ir::Expr::Bool(b) => Val::Bool(b),
            ir::Expr::Int(i) => Val::Int(i),
            ir::Expr::String(s) => Val::Str(s),
            ir::Expr::Number(n) => Val::Number(n),
            // The shape stays visible: members and elements can still be read.
            ir::Expr::List(items) => Val::List(items.into_iter().map(Val::from_ir).collect()),
            ir::Expr::Object(fields) => Val::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, Val::from_ir(v)))
                    .collect(),
            ),
            other => Val::Deploy(other),
        }
    }
}

/// Name words, outermost first: `["web", "0", "instance"]`.
type Path<'p> = Vec<Cow<'p, str>>;

/// A source-order key: indices of the declarations and loop copies a
/// native resource comes from, so the output follows the program.
type Key = Vec<u32>;

/// Where a resource's key is in `Expander::key_data`: start and length.
type KeyRange = (usize, usize);

/// One scope of names: the entry file, or a component instance.
struct Frame<'p> {
    /// Declarations visible here, by name, each with the memo slot of its
    /// name.
    decls: HashMap<&'p str, (Decl<'p>, u32)>,
    /// The memo slot of each item's name, by index in the scope's items.
    slots: Vec<u32>,
    /// Values of names already computed, by slot.
    memo: Vec<Memo>,
    locals: Vec<(String, Val)>,
    /// The instance's name words and source-order key.
    path: Path<'p>,
    key: Vec<u32>,
    /// The deploy-time condition under which this scope exists.
    condition: Option<ir::Expr>,
    /// Component params given by the instance.
    args: Fields,
    /// The resource declaration this scope instantiates, when a component.
    instance: Option<&'p Resource>,
    /// `deletion` set on the instance that opened this scope, or on one
    /// around it.
    deletion: Option<Asked>,
    /// The program's own resource this scope expands, for diagnostics: a
    /// native resource inside a portable type is reported there.
    origin: Option<Span>,
}

/// A deletion policy the program sets on a resource (`deletion = ...`).
#[derive(Clone, Copy, Debug)]
struct Asked {
    deletion: Deletion,
    /// The value the program wrote.
    at: Span,
    /// Whether it reaches every native resource of the instance: it does
    /// for a stateless or volatile type; a persistent type's policy is for
    /// the resources that hold its data (a volume, not its attachment).
    everywhere: bool,
}

/// Whether a copy of a repeated resource exists.
enum Guard {
    /// It exists under this deploy-time condition (`None`: always).
    Exists(Option<ir::Expr>),
    Never,
}

/// The value of a name in a scope: not computed yet, being computed (read
/// then, it is null), or computed.
#[derive(Clone)]
enum Memo {
    Todo,
    Busy,
    Done(Val),
}

#[derive(Clone, Copy)]
enum Decl<'p> {
    Param(&'p Param),
    Let(&'p Let),
    Resource(&'p Resource, u32),
}

pub struct Expander<'p> {
    program: &'p Program,
    target: Target,
    frames: Vec<Frame<'p>>,
    /// The native resources made so far, and the key of each, kept one
    /// after another in `key_data`.
    resources: Vec<ir::Resource>,
    keys: Vec<KeyRange>,
    key_data: Vec<u32>,
    /// Reused by `instantiate`.
    path_buffer: Path<'p>,
    key_buffer: Key,
    /// Top-level params read at deploy time.
    used_params: HashSet<&'p str>,
    /// The values of the top-level params read so far.
    top_params: HashMap<&'p str, Val>,
    /// The copy of the entry file's repeated resource being expanded.
    top_copy: Option<u32>,
    /// The ids given so far: each resource's is unique in the IR, even
    /// where the target's own names of two would be one (`q` copy 20 and
    /// `q2` copy 0 are both `Q20` on CloudFormation, not on Heat).
    taken: HashSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The logical id of name words: each word's parts between `_` and `-`,
/// capitalized and joined (`["web_server", "0"]` is `WebServer0`).
fn pascal(path: &[Cow<str>]) -> String {
    let mut out = String::with_capacity(path.iter().map(|w| w.len()).sum());
    for word in path {
        let mut rest: &str = word;
        loop {
            let end = rest
                .bytes()
                .position(|b| b == b'_' || b == b'-')
                .unwrap_or(rest.len());
            let part = &rest[..end];
            // Only an ASCII first letter changes; the rest is copied whole.
            match part.as_bytes().first() {
                Some(b) if b.is_ascii() => {
                    out.push(char::from(b.to_ascii_uppercase()));
                    out.push_str(&part[1..]);
                }
                Some(_) => out.push_str(part),
                None => {}
            }
            if end == rest.len() {
                break;
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Name words as snake_case, joined by `_` (`["webServer", "0"]` is
/// `web_server_0`).
fn snake(path: &[Cow<str>]) -> String {
    let mut out = String::with_capacity(path.iter().map(|w| w.len() + 1).sum());
    for (n, word) in path.iter().enumerate() {
        if n > 0 {
            out.push('_');
        }
        if !word.bytes().any(|b| b.is_ascii_uppercase() || b == b'-') {
            out.push_str(word);
            continue;
        }
        for (i, c) in word.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else if c == '-' {
                out.push('_');
            } else {
                out.push(c);
            }
        }
    }
    out
}

fn and(a: Option<ir::Expr>, b: ir::Expr) -> ir::Expr {
    match a {
        Some(a) => ir::Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)),
        None => b,
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

/// An IR object of `fields`, in order, a repeated key keeping its first
/// place and its last value; `pruned`, without the fields that end null.
fn ir_fields(
    fields: impl ExactSizeIterator<Item = (String, ir::Expr)>,
    pruned: bool,
) -> ir::Map<ir::Expr> {
    let mut out = ir::Map::with_capacity_and_hasher(fields.len(), Default::default());
    let mut nulls = false;
    for (k, v) in fields {
        nulls |= matches!(v, ir::Expr::Null);
        out.insert(k, v);
    }
    if pruned && nulls {
        out.retain(|_, v| !matches!(v, ir::Expr::Null));
    }
    out
}

impl<'p> Expander<'p> {
    pub fn new(program: &'p Program, target: Target) -> Expander<'p> {
        Expander {
            program,
            target,
            frames: Vec::new(),
            resources: Vec::new(),
            keys: Vec::new(),
            key_data: Vec::new(),
            path_buffer: Vec::new(),
            key_buffer: Vec::new(),
            used_params: HashSet::default(),
            top_params: HashMap::default(),
            top_copy: None,
            taken: HashSet::default(),
            diagnostics: Vec::new(),
        }
    }

    fn frame(&mut self) -> &mut Frame<'p> {
        self.frames
            .last_mut()
            .expect("a frame is open while lowering")
    }

    /// Expands the entry file: every resource, and every output.
    pub fn run(mut self) -> (ir::Deployment, Vec<Diagnostic>) {
        let entry = &self.program.modules[self.program.entry.0 as usize];
        let items: &'p [Item] = &self.program.modules[self.program.entry.0 as usize].items;
        self.frames.push(new_frame(
            self.program.entry,
            items,
            &[],
            Vec::new(),
            Vec::new(),
        ));
        // Most items are resources, most resources one native resource.
        self.resources.reserve(items.len());
        self.keys.reserve(items.len());
        self.key_data.reserve(items.len());
        // The outputs and params, read later, are noted on this one pass.
        let mut output_items = Vec::new();
        let mut param_items = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match &item.kind {
                ItemKind::Resource(r) => {
                    let _ = self.resource_value(r, index as u32);
                }
                ItemKind::Output(_) => output_items.push(item),
                ItemKind::Param(_) => param_items.push(item),
                _ => {}
            }
        }
        let mut outputs = Vec::new();
        for item in output_items {
            if let ItemKind::Output(o) = &item.kind
                && let Some(value) = &o.value
            {
                let val = self.expr(value);
                let (condition, value_ir) = match val.into_property() {
                    ir::Expr::If(c, a, b) if *b == ir::Expr::Null => (Some(*c), *a),
                    other => (None, other),
                };
                if value_ir == ir::Expr::Null {
                    continue;
                }
                let mut export = None;
                let mut sensitive = false;
                for option in o.options.iter().flat_map(|b| &b.properties) {
                    match option.key.name.as_str() {
                        "export" => export = Some(self.expr(&option.value).into_ir()),
                        "sensitive" => {
                            sensitive = matches!(self.expr(&option.value), Val::Bool(true))
                        }
                        _ => {}
                    }
                }
                if reads_secret(&value_ir, &self.program.params)
                    || self.program.analysis.secret_outputs.contains(&o.name.name)
                {
                    sensitive = true;
                }
                outputs.push(ir::Output {
                    name: o.name.name.clone(),
                    value: value_ir,
                    description: item.doc.clone(),
                    export,
                    condition,
                    sensitive,
                    span: o.name.span,
                });
            }
        }
        let params = self.params(&param_items);
        let resources = self.finish();
        let deployment = ir::Deployment {
            target: self.target,
            description: file_description(entry),
            params,
            resources,
            outputs,
        };
        (deployment, self.diagnostics)
    }

    /// The top-level params read at deploy time, as template parameters.
    fn params(&self, items: &[&Item]) -> Vec<ir::Param> {
        let mut out = Vec::new();
        for item in items {
            let ItemKind::Param(p) = &item.kind else {
                continue;
            };
            if !self.used_params.contains(p.name.name.as_str()) {
                continue;
            }
            let Some(info) = self.program.params.get(&p.name.name) else {
                continue;
            };
            let c = &info.constraints;
            out.push(ir::Param {
                name: p.name.name.clone(),
                ty: param_type(&info.ty),
                default: info.default.as_ref().map(Value::to_json),
                description: item.doc.clone(),
                secret: info.secret,
                min: c.min.as_ref().map(|m| m.value.to_json()),
                max: c.max.as_ref().map(|m| m.value.to_json()),
                min_length: c.min_length.as_ref().map(|m| m.value),
                max_length: c.max_length.as_ref().map(|m| m.value),
                pattern: c.pattern.as_ref().map(|p| p.value.source.clone()),
                allowed: c
                    .allowed
                    .as_ref()
                    .map(|a| a.value.iter().map(Value::to_json).collect())
                    .or_else(|| literal_members(&info.ty)),
                message: c.message.clone(),
                label: info.label.clone(),
                group: info.group.clone(),
            });
        }
        out
    }

    /// The resources in source order.
    fn finish(&mut self) -> Vec<ir::Resource> {
        let mut out = std::mem::take(&mut self.resources);
        let data = &self.key_data;
        let key = |(start, len): KeyRange| &data[start..start + len];
        // Most often made in source order already.
        if !self.keys.is_sorted_by(|&a, &b| key(a) <= key(b)) {
            let mut order: Vec<usize> = (0..self.keys.len()).collect();
            order.sort_by(|&a, &b| key(self.keys[a]).cmp(key(self.keys[b])));
            let mut made: Vec<Option<ir::Resource>> = out.into_iter().map(Some).collect();
            out = order
                .into_iter()
                .map(|i| made[i].take().expect("each resource is taken once"))
                .collect();
        }
        out
    }

    // ------------------------------------------------------------ resources

    /// The value of a resource declaration of the current frame: instances,
    /// created once.
    fn resource_value(&mut self, r: &'p Resource, index: u32) -> Val {
        let frame = self.frame();
        let slot = frame.slots[index as usize] as usize;
        match &frame.memo[slot] {
            Memo::Done(v) => return v.clone(),
            Memo::Busy => return Val::Null,
            Memo::Todo => {}
        }
        frame.memo[slot] = Memo::Busy;
        let value = self.instantiate(r, index);
        self.frame().memo[slot] = Memo::Done(value.clone());
        value
    }

    fn instantiate(&mut self, r: &'p Resource, index: u32) -> Val {
        // The instance's name words and key, built in buffers reused from one
        // resource to the next (a nested instance makes its own).
        let mut path = std::mem::take(&mut self.path_buffer);
        let mut key = std::mem::take(&mut self.key_buffer);
        let frame = self.frames.last().expect("a frame is open while lowering");
        path.extend_from_slice(&frame.path);
        path.push(Cow::Borrowed(r.name.name.as_str()));
        key.extend_from_slice(&frame.key);
        key.push(index);
        // A resource of the entry file may be expanded while another's copy
        // is: it is not that copy.
        let outer_copy = match self.frames.len() {
            1 => self.top_copy.take(),
            _ => self.top_copy,
        };
        let value = self.instantiate_at(r, &mut path, &mut key);
        self.top_copy = outer_copy;
        path.clear();
        key.clear();
        self.path_buffer = path;
        self.key_buffer = key;
        value
    }

    fn instantiate_at(&mut self, r: &'p Resource, path: &mut Path<'p>, key: &mut Key) -> Val {
        let mut condition = self.frame().condition.clone();
        // With `for`, the `if` is each copy's and reads the loop variables.
        if r.for_guard.is_none()
            && let Some(guard) = &r.if_guard
        {
            match self.expr(guard) {
                Val::Bool(false) => return Val::Null,
                Val::Bool(true) => {}
                other => condition = Some(and(condition, other.into_ir())),
            }
        }
        let Some(guard) = &r.for_guard else {
            return self.instance(r, path, key, condition);
        };
        let iterable = self.expr(&guard.iterable);
        // A deploy-time choice between two lists: the copies of each list
        // exist under the condition that chooses it.
        if let Val::Choice(c, a, b) = &iterable
            && let (Val::List(first), Val::List(second)) = (&**a, &**b)
        {
            let yes = and(condition.clone(), c.clone());
            let no = and(condition.clone(), ir::Expr::Not(Box::new(c.clone())));
            let first: Vec<(Val, Val)> = first
                .iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i as i64), v.clone()))
                .collect();
            let offset = first.len();
            let second: Vec<(Val, Val)> = second
                .iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i as i64), v.clone()))
                .collect();
            let mut instances = self.copies(r, guard, path, key, first, 0, Some(yes));
            instances.extend(self.copies(r, guard, path, key, second, offset, Some(no)));
            return Val::List(instances);
        }
        match iterable {
            Val::List(elements) => {
                let pairs = elements
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Val::Int(i as i64), v))
                    .collect();
                Val::List(self.copies(r, guard, path, key, pairs, 0, condition))
            }
            Val::Object(fields) => {
                let pairs = fields.into_iter().map(|(k, v)| (Val::Str(k), v)).collect();
                Val::List(self.copies(r, guard, path, key, pairs, 0, condition))
            }
            _ => {
                // `for i in a..n` with `n` known only at deploy time: one
                // declaration the target repeats itself (Terraform `count`,
                // Heat `ResourceGroup`), where the target can.
                if self.target.repetition() != Repetition::None
                    && let ExprKind::Range(from, to) = &guard.iterable.kind
                {
                    let from = self.expr(from);
                    let to = self.expr(to);
                    let index = match &from {
                        Val::Int(0) => Val::Deploy(ir::Expr::CountIndex),
                        start => Val::Deploy(ir::Expr::Binary(
                            BinaryOp::Add,
                            Box::new(start.to_ir()),
                            Box::new(ir::Expr::CountIndex),
                        )),
                    };
                    let count = match &from {
                        Val::Int(0) => to.to_ir(),
                        start => ir::Expr::Binary(
                            BinaryOp::Sub,
                            Box::new(to.to_ir()),
                            Box::new(start.to_ir()),
                        ),
                    };
                    let before = self.resources.len();
                    let frame_locals = self.frame().locals.len();
                    bind(self.frame(), &guard.binding, index.clone(), index);
                    let condition = match self.copy_guard(r, condition) {
                        Guard::Exists(condition) => condition,
                        Guard::Never => {
                            self.frame().locals.truncate(frame_locals);
                            return Val::List(Vec::new());
                        }
                    };
                    let value = self.instance(r, path, key, condition);
                    self.frame().locals.truncate(frame_locals);
                    for resource in &mut self.resources[before..] {
                        resource.count = Some(count.clone());
                    }
                    if !self.target.snapshots_counted_copies() {
                        let asked = deletion_of(r)
                            .map(|(_, at)| at)
                            .or_else(|| self.frame().deletion.map(|a| a.at));
                        for i in before..self.resources.len() {
                            if self.resources[i].deletion == Some(Deletion::Snapshot) {
                                self.resources[i].deletion = Some(Deletion::Retain);
                                if let Some(at) = asked {
                                    let type_name = self.resources[i].type_name.clone();
                                    self.refuse_snapshot(
                                        at,
                                        &type_name,
                                        "copies repeated at deploy time are the members of one group, which take no deletion policy of their own",
                                    );
                                }
                            }
                        }
                    }
                    // The outputs are one copy's, read with the copy's
                    // index: a comprehension over the copies reads them.
                    return match value {
                        Val::Resource(instance) => Val::Resource(Rc::new(Instance {
                            native: instance.native.clone(),
                            made: instance.made.clone(),
                            counted: true,
                            outputs: instance.outputs.clone(),
                        })),
                        other => other,
                    };
                }
                let diagnostic = match self.given_argument(&guard.iterable) {
                    // A component repeats over what its instance was given:
                    // the mistake is at the instance's argument, which the
                    // user wrote, not in the component.
                    Some((argument, component)) => Diagnostic::new(
                        &codes::E0504,
                        argument.value.span,
                        format!(
                            "`{component}` repeats a resource for each element of `{}`, and {} cannot repeat a resource a number of times known only at deploy time",
                            argument.key.name,
                            self.target.display()
                        ),
                    )
                    .label("known only at deploy time"),
                    None => Diagnostic::new(
                        &codes::E0504,
                        guard.iterable.span,
                        format!(
                            "{} cannot repeat a resource a number of times known only at deploy time",
                            self.target.display()
                        ),
                    )
                    .label("known only at deploy time"),
                };
                self.diagnostics.push(
                    diagnostic
                        .help("give the params this count depends on at compile time (`--param`)"),
                );
                Val::Null
            }
        }
    }

    /// The copies of a resource repeated over `pairs` (index or key, and
    /// element), numbered from `offset`.
    #[allow(clippy::too_many_arguments)]
    fn copies(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        pairs: Vec<(Val, Val)>,
        offset: usize,
        condition: Option<ir::Expr>,
    ) -> Vec<Val> {
        let mut instances = Vec::with_capacity(pairs.len());
        for (i, (first, second)) in pairs.into_iter().enumerate() {
            let n = offset + i;
            let before = self.frame().locals.len();
            bind(self.frame(), &guard.binding, first, second);
            path.push(Cow::Owned(n.to_string()));
            key.push(n as u32);
            let top = self.frames.len() == 1;
            if top {
                self.top_copy = Some(n as u32);
            }
            // A copy the `if` leaves out keeps its place: `web[i]` is the
            // copy made for element `i`.
            let instance = match self.copy_guard(r, condition.clone()) {
                Guard::Exists(condition) => self.instance(r, path, key, condition),
                Guard::Never => Val::Null,
            };
            instances.push(instance);
            if top {
                self.top_copy = None;
            }
            path.pop();
            key.pop();
            self.frame().locals.truncate(before);
        }
        instances
    }

    /// When `expr` is a param of the component being instantiated that its
    /// instance gives, that argument and the component's type name.
    fn given_argument(&self, expr: &Expr) -> Option<(&'p Property, String)> {
        let ExprKind::Name(name) = &expr.kind else {
            return None;
        };
        let frame = self.frames.last()?;
        let instance = frame.instance?;
        if frame.locals.iter().any(|(n, _)| *n == name.name) {
            return None;
        }
        let argument = instance
            .body
            .properties
            .iter()
            .find(|p| p.key.name == name.name)?;
        let component = match &instance.ty {
            ResourceType::Path(p) => p.text(),
            ResourceType::Raw(s) => s.as_plain().unwrap_or_default(),
        };
        Some((argument, component))
    }

    /// The deletion policy of a native resource: the one the program asks
    /// for, or the protection its state class gets (a snapshot where the
    /// type can take one). Deleting is every target's default, so it is
    /// said only where it lifts that protection. A snapshot the type cannot
    /// take is refused where the program asks for it.
    fn policy(
        &mut self,
        asked: Option<Asked>,
        state: StateClass,
        snapshot: bool,
        type_name: &str,
    ) -> Option<Deletion> {
        let persistent = state == StateClass::Persistent;
        match asked.map(|a| (a.deletion, a.at)) {
            Some((Deletion::Snapshot, at)) if !snapshot => {
                self.refuse_snapshot(
                    at,
                    type_name,
                    "a snapshot before deletion is for volumes and databases, on the targets whose tools take one",
                );
                Some(Deletion::Retain)
            }
            Some((Deletion::Delete, _)) if !persistent => None,
            Some((deletion, _)) => Some(deletion),
            None if persistent && snapshot => Some(Deletion::Snapshot),
            None if persistent => Some(Deletion::Retain),
            None => None,
        }
    }

    /// `deletion = "snapshot"` on a resource the target cannot snapshot:
    /// reported once, where the program asks for it.
    fn refuse_snapshot(&mut self, at: Span, type_name: &str, note: &str) {
        if self
            .diagnostics
            .iter()
            .any(|d| d.code.id == codes::E0507.id && d.primary.span == at)
        {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0507,
                at,
                format!(
                    "{} cannot keep a snapshot of `{type_name}` when deleting it",
                    self.target.display()
                ),
            )
            .label("a snapshot is asked for here")
            .note(note)
            .help("use \"retain\" to keep the resource itself, or \"delete\""),
        );
    }

    /// `id`, or, when another resource has it, `id~N`: the backends name
    /// resources after the ids' part before `~`, and report the
    /// collision where their names are one.
    fn unique_id(&mut self, id: String) -> String {
        if self.taken.insert(id.clone()) {
            return id;
        }
        let mut n = 2;
        loop {
            let candidate = format!("{id}~{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// The native resources a resource's `depends_on` names: every native
    /// resource each instance it lists is made of.
    fn depends_on(&mut self, r: &'p Resource) -> Vec<String> {
        let mut depends_on = Vec::new();
        let Some(property) = r
            .body
            .properties
            .iter()
            .find(|p| p.key.name == "depends_on")
        else {
            return depends_on;
        };
        let ExprKind::List(items) = &property.value.kind else {
            return depends_on;
        };
        for item in items {
            let instances = match self.expr(item) {
                Val::List(list) => list,
                one => vec![one],
            };
            for v in instances {
                if let Val::Resource(instance) = v {
                    for id in self.last_made(instance.natives()) {
                        if !depends_on.contains(id) {
                            depends_on.push(id.clone());
                        }
                    }
                }
            }
        }
        depends_on
    }

    /// Of the native resources of one instance, those no other of them
    /// waits for: depending on these is depending on all of them.
    fn last_made<'a>(&self, natives: &'a [String]) -> Vec<&'a String> {
        if natives.len() < 2 {
            return natives.iter().collect();
        }
        let made: Vec<&ir::Resource> = self
            .resources
            .iter()
            .filter(|r| natives.contains(&r.id))
            .collect();
        // Where some exist only under a condition of their own, the last
        // may not exist: depend on every one of them.
        if made.iter().any(|r| r.condition != made[0].condition) {
            return natives.iter().collect();
        }
        let waited_for = |id: &str| {
            made.iter().any(|r| {
                r.id != id
                    && (r.depends_on.iter().any(|d| d == id)
                        || r.properties.values().any(|v| {
                            v.any(&|e| match e {
                                ir::Expr::Ref(x) | ir::Expr::Attr(x, _) => x == id,
                                _ => false,
                            })
                        }))
            })
        };
        natives.iter().filter(|id| !waited_for(id)).collect()
    }

    /// The `if` of a repeated resource, for the copy whose loop variables
    /// are bound: whether it exists, and under which condition.
    fn copy_guard(&mut self, r: &'p Resource, condition: Option<ir::Expr>) -> Guard {
        let Some(guard) = &r.if_guard else {
            return Guard::Exists(condition);
        };
        match self.expr(guard) {
            Val::Bool(false) => Guard::Never,
            Val::Bool(true) => Guard::Exists(condition),
            other => {
                let test = other.into_ir();
                if test.any(&|e| matches!(e, ir::Expr::CountIndex)) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0504,
                            guard.span,
                            format!(
                                "{} cannot leave out some copies of a resource repeated a number of times known only at deploy time",
                                self.target.display()
                            ),
                        )
                        .label("reads the copy's index, known only at deploy time")
                        .help("give the params the count depends on at compile time (`--param`), or repeat over a shorter range instead of leaving copies out"),
                    );
                    return Guard::Never;
                }
                Guard::Exists(Some(and(condition, test)))
            }
        }
    }

    /// One instance of a resource declaration.
    fn instance(
        &mut self,
        r: &'p Resource,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
    ) -> Val {
        let schema = self.program.resource_schemas.get(&r.name.span).copied();
        // A policy set on a portable instance reaches the native resources
        // that hold its data, not the ones around them (an attachment).
        let own = deletion_of(r);
        let inherited = self.frame().deletion;
        let kind_state = schema.map(|id| self.program.schemas[id.0 as usize].state);
        let own = own.map(|(deletion, at)| Asked {
            deletion,
            at,
            everywhere: kind_state != Some(StateClass::Persistent),
        });
        match schema.map(|id| &self.program.schemas[id.0 as usize]) {
            Some(schema) => match &schema.kind {
                SchemaKind::Component { module, index } => {
                    let (module, index) = (*module, *index);
                    let mut args = Fields::default();
                    for property in &r.body.properties {
                        if matches!(property.key.name.as_str(), "depends_on" | "deletion") {
                            continue;
                        }
                        let v = self.expr(&property.value);
                        args.insert(property.key.name.clone(), v);
                    }
                    let deletion = own.or(inherited);
                    // The instance as a whole comes after what it depends
                    // on: so does every native resource it is made of.
                    let depends_on = self.depends_on(r);
                    let before = self.resources.len();
                    let value =
                        self.component(r, module, index, args, path, key, condition, deletion);
                    // A persistent type none of whose native resources is
                    // persistent of itself (a generated password: a Heat
                    // random string) keeps its data in all of them.
                    if kind_state == Some(StateClass::Persistent)
                        && self.resources[before..]
                            .iter()
                            .all(|m| m.state != StateClass::Persistent)
                    {
                        for i in before..self.resources.len() {
                            let (type_name, snapshot) = (
                                self.resources[i].type_name.clone(),
                                self.resources[i].snapshot,
                            );
                            let policy =
                                self.policy(deletion, StateClass::Persistent, snapshot, &type_name);
                            let made = &mut self.resources[i];
                            made.state = StateClass::Persistent;
                            made.deletion = policy;
                        }
                    }
                    for made in &mut self.resources[before..] {
                        for id in &depends_on {
                            if !made.depends_on.contains(id) {
                                made.depends_on.push(id.clone());
                            }
                        }
                    }
                    value
                }
                SchemaKind::Native { .. } => {
                    let type_name = schema.name.clone();
                    let state = schema.state;
                    let snapshot = schema.snapshot;
                    let deletion = own
                        .or(inherited.filter(|a| a.everywhere || state == StateClass::Persistent));
                    self.native(
                        r, type_name, state, snapshot, path, key, condition, deletion,
                    )
                }
            },
            None => {
                let type_name = match &r.ty {
                    ResourceType::Raw(s) => s.as_plain().unwrap_or_default(),
                    ResourceType::Path(p) => p.text(),
                };
                // An unchecked type: what it can take is the target's to say.
                self.native(
                    r,
                    type_name,
                    StateClass::Stateless,
                    true,
                    path,
                    key,
                    condition,
                    own,
                )
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn native(
        &mut self,
        r: &'p Resource,
        type_name: String,
        state: StateClass,
        snapshot: bool,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
        deletion: Option<Asked>,
    ) -> Val {
        let mut properties =
            ir::Map::with_capacity_and_hasher(r.body.properties.len(), Default::default());
        let depends_on = self.depends_on(r);
        for property in &r.body.properties {
            if matches!(property.key.name.as_str(), "deletion" | "depends_on") {
                continue;
            }
            let value = self.property(&property.value);
            if value != ir::Expr::Null {
                properties.insert(property.key.name.clone(), value);
            }
        }
        // The id from the name words; a component made of this one resource
        // renames it after itself once the component is done.
        let id = self.unique_id(pascal(path));
        let deletion = self.policy(deletion, state, snapshot, &type_name);
        let span = self.frame().origin.unwrap_or(r.name.span);
        self.keys.push((self.key_data.len(), key.len()));
        self.key_data.extend_from_slice(key);
        self.resources.push(ir::Resource {
            id: id.clone(),
            snake: snake(path),
            type_name,
            properties,
            depends_on,
            condition,
            count: None,
            state,
            deletion,
            snapshot,
            span,
            copy: self.top_copy,
        });
        Val::Resource(Rc::new(Instance::native(id, false)))
    }

    #[allow(clippy::too_many_arguments)]
    fn component(
        &mut self,
        r: &'p Resource,
        module: ModuleId,
        index: usize,
        args: Fields,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
        deletion: Option<Asked>,
    ) -> Val {
        let program = self.program;
        let ItemKind::Component(component) = &program.modules[module.0 as usize].items[index].kind
        else {
            return Val::Null;
        };
        let blocks: Vec<&'p TargetBlock> = component
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Target(t) => Some(t),
                _ => None,
            })
            .collect();
        let block = blocks
            .iter()
            .find(|b| b.target.name == self.target.name())
            .copied();
        let target_items: &'p [Item] = match block {
            Some(b) => &b.items,
            None if blocks.is_empty() => &[],
            None => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0502,
                        r.name.span,
                        format!(
                            "`{}` has no lowering for {}",
                            component.name.name,
                            self.target.display()
                        ),
                    )
                    .label(format!("cannot be built for {}", self.target.display()))
                    .secondary(component.name.span, "declared here")
                    .help(format!(
                        "add a `target {}` block to the component",
                        self.target.name()
                    )),
                );
                return Val::Null;
            }
        };
        let display = self.program.resource_schemas.get(&r.name.span).map_or_else(
            || component.name.name.clone(),
            |id| self.program.schemas[id.0 as usize].name.clone(),
        );
        for item in target_items {
            if let ItemKind::Unsupported(reason) = &item.kind {
                let reason = reason.as_plain().unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0501,
                        r.name.span,
                        format!(
                            "`{display}` has no form on {}: {reason}",
                            self.target.display()
                        ),
                    )
                    .label(format!("not available on {}", self.target.display()))
                    .secondary(item.span, "the component says so here")
                    .help("build this program for another target, or use another type here"),
                );
                return Val::Null;
            }
        }
        let before = self.resources.len();
        let mut frame = new_frame(
            module,
            &component.items,
            target_items,
            path.to_vec(),
            key.to_vec(),
        );
        frame.args = args;
        frame.instance = Some(r);
        frame.condition = condition;
        frame.deletion = deletion;
        frame.origin = Some(self.frame().origin.unwrap_or(r.name.span));
        self.frames.push(frame);
        // Every resource exists whether or not an output reads it.
        let all = component.items.iter().chain(target_items).enumerate();
        for (i, item) in all {
            if let ItemKind::Resource(inner) = &item.kind {
                let _ = self.resource_value(inner, i as u32);
            }
        }
        let mut outputs = Fields::default();
        for item in component.items.iter().chain(target_items) {
            if let ItemKind::Output(o) = &item.kind
                && let Some(value) = &o.value
            {
                let v = self.expr(value);
                outputs.insert(o.name.name.clone(), v);
            }
        }
        self.frames.pop();
        // A component made of one native resource names it after itself.
        if self.resources.len() == before + 1 {
            let own = self.resources[before].id.clone();
            self.taken.remove(&own);
            let id = self.unique_id(pascal(path));
            let resource = &mut self.resources[before];
            resource.snake = snake(path);
            let old = std::mem::replace(&mut resource.id, id.clone());
            rename(&mut outputs, &old, &id);
            // Only resources made inside this instance can refer to it yet:
            // anything outside reads it through the outputs renamed above.
            rename_in_resource(resource, &old, &id);
        }
        let made = self.resources[before..]
            .iter()
            .map(|r| r.id.clone())
            .collect();
        Val::Resource(Rc::new(Instance {
            native: None,
            made,
            counted: false,
            outputs,
        }))
    }

    // ---------------------------------------------------------- expressions

    fn lookup_name(&mut self, name: &str) -> Option<Val> {
        if let Some((_, v)) = self.frame().locals.iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        let (decl, slot) = self.frame().decls.get(name).copied()?;
        Some(match decl {
            Decl::Param(p) => self.param_value(p),
            Decl::Let(l) => {
                let slot = slot as usize;
                match &self.frame().memo[slot] {
                    Memo::Done(v) => return Some(v.clone()),
                    Memo::Busy => return None,
                    Memo::Todo => {}
                }
                self.frame().memo[slot] = Memo::Busy;
                // A let is evaluated where it is declared, not where it is read.
                let locals = std::mem::take(&mut self.frame().locals);
                let v = self.expr(&l.value);
                self.frame().locals = locals;
                self.frame().memo[slot] = Memo::Done(v.clone());
                v
            }
            Decl::Resource(r, index) => self.resource_value(r, index),
        })
    }

    fn param_value(&mut self, p: &'p Param) -> Val {
        let top = self.frames.len() == 1;
        if top {
            let name = p.name.name.as_str();
            if let Some(v) = self.top_params.get(name) {
                return v.clone();
            }
            let v = match self
                .program
                .params
                .get(name)
                .and_then(|info| info.value.clone())
            {
                Some(value) => Val::from_value(value),
                None => {
                    self.used_params.insert(name);
                    Val::Deploy(ir::Expr::Param(name.to_string()))
                }
            };
            self.top_params.insert(name, v.clone());
            return v;
        }
        if let Some(v) = self.frame().args.get(&p.name.name) {
            return v.clone();
        }
        match &p.default {
            Some(default) => {
                let locals = std::mem::take(&mut self.frame().locals);
                let v = self.expr(default);
                self.frame().locals = locals;
                v
            }
            None => Val::Null,
        }
    }

    /// Lowers an expression as a property value, `self.expr(expr)
    /// .into_property()`, building list and object literals as IR directly.
    fn property(&mut self, expr: &Expr) -> ir::Expr {
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
                    .map(|p| (p.key.name.clone(), self.property(&p.value))),
                true,
            )),
            _ => self.expr(expr).into_property(),
        }
    }

    /// Lowers an expression: what its operands know at compile time is
    /// folded as they are combined (`fold_op`), the rest becomes IR.
    pub fn expr(&mut self, expr: &Expr) -> Val {
        match &expr.kind {
            ExprKind::Name(name) => self.lookup_name(&name.name).unwrap_or(Val::Null),
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
            ExprKind::List(items) => Val::List(items.iter().map(|e| self.expr(e)).collect()),
            ExprKind::Object(props) => {
                let mut fields = Fields::with_capacity_and_hasher(props.len(), FxBuildHasher);
                for p in props {
                    let v = self.expr(&p.value);
                    fields.insert(p.key.name.clone(), v);
                }
                Val::Object(fields)
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
                let base = base_val;
                let index = self.expr(index);
                index_val(base, index)
            }
            ExprKind::Call(callee, args) => {
                let name = match &callee.kind {
                    ExprKind::Name(n) => n.name.as_str(),
                    _ => return Val::Null,
                };
                let context = match name {
                    "region" => Some(Context::Region),
                    "availability_zones" => Some(Context::Zones),
                    "stack_name" => Some(Context::StackName),
                    "account_id" => Some(Context::AccountId),
                    _ => None,
                };
                if let Some(context) = context {
                    return Val::Deploy(ir::Expr::Context(context));
                }
                let args: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
                call_vals(&expr.kind, name, args)
            }
            ExprKind::Unary(op, operand) => {
                let v = self.expr(operand);
                if let Some(folded) = fold_op(&expr.kind, &[&v]) {
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
                let vb = self.expr(b);
                binary_vals(&expr.kind, *op, va, vb)
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
            ExprKind::Number(n) => n.parse().map_or(Val::Null, Val::Number),
            // A range with a bound known only at deploy time is a count, read
            // from the syntax where a `for` needs it.
            ExprKind::Range(from, to) => match (self.expr(from), self.expr(to)) {
                (Val::Int(from), Val::Int(to)) if to - from <= eval::MAX_RANGE => {
                    Val::List((from..to).map(Val::Int).collect())
                }
                _ => Val::Null,
            },
        }
    }

    /// Reports a read of a resource repeated a deploy-time number of times.
    fn counted(&mut self, value: &Val, span: Span) -> bool {
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

    /// A comprehension's value. Over a deploy-time choice between two lists
    /// of known length, it is the choice between the two results.
    fn repeat(
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
        match value {
            None => Val::List(entries.into_iter().map(|(v, _)| v).collect()),
            Some(_) => Val::Object(
                entries
                    .into_iter()
                    .filter_map(|(k, v)| match (k, v) {
                        (Val::Str(k), Some(v)) => Some((k, v)),
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
            Val::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i as i64), v))
                .collect(),
            Val::Object(fields) => fields.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
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
            let before = self.frame().locals.len();
            bind(self.frame(), &comp.binding, first, second);
            let keep = match &comp.filter {
                Some(filter) => match self.expr(filter) {
                    Val::Bool(b) => b,
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0505,
                                filter.span,
                                format!(
                                    "{} cannot filter a list with a condition known only at deploy time",
                                    self.target.display()
                                ),
                            )
                            .label("known only at deploy time")
                            .help("give the params the condition depends on at compile time (`--param`)"),
                        );
                        false
                    }
                },
                None => true,
            };
            if keep {
                let body = self.expr(&comp.body);
                let v = value.map(|v| self.expr(v));
                out.push((body, v));
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
        let Some(of) = instance.natives().first().cloned() else {
            return Val::List(Vec::new());
        };
        let copy = Val::Resource(Rc::new(Instance {
            native: instance.native.clone(),
            made: instance.made.clone(),
            counted: false,
            outputs: instance.outputs.clone(),
        }));
        let before = self.frame().locals.len();
        bind(
            self.frame(),
            &comp.binding,
            Val::Deploy(ir::Expr::CountIndex),
            copy,
        );
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

/// `base[index]`. A constant table indexed by a deploy-time choice between
/// constants becomes the choice between the table's entries:
/// `{ small = "t3.small", ... }[c ? "large" : "small"]` is
/// `c ? "t3.large" : "t3.small"`, which every target can express.
fn index_val(base: Val, index: Val) -> Val {
    match (base, index) {
        (Val::List(items), Val::Int(i)) => {
            items.get(i.max(0) as usize).cloned().unwrap_or(Val::Null)
        }
        (Val::Object(fields), Val::Str(k)) => fields.get(&k).cloned().unwrap_or(Val::Null),
        (base @ (Val::List(_) | Val::Object(_)), Val::Choice(c, a, b)) => {
            let a = index_val(base.clone(), *a);
            let b = index_val(base, *b);
            Val::Choice(c, Box::new(a), Box::new(b))
        }
        (Val::Choice(c, a, b), index) => {
            let a = index_val(*a, index.clone());
            let b = index_val(*b, index);
            Val::Choice(c, Box::new(a), Box::new(b))
        }
        (base, index) => Val::Deploy(ir::Expr::Index(
            Box::new(base.into_ir()),
            Box::new(index.into_ir()),
        )),
    }
}

/// `a op b` on lowered operands: distributed over deploy-time choices, so
/// each branch can fold; folded when both sides are known.
fn binary_vals(kind: &ExprKind, op: BinaryOp, va: Val, vb: Val) -> Val {
    if let Val::Choice(c, a, b) = va {
        let a = binary_vals(kind, op, *a, vb.clone());
        let b = binary_vals(kind, op, *b, vb);
        return choice(c, a, b);
    }
    if let Val::Choice(c, a, b) = vb {
        let a = binary_vals(kind, op, va.clone(), *a);
        let b = binary_vals(kind, op, va, *b);
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
    if let Some(folded) = fold_op(kind, &[&va, &vb]) {
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
fn call_vals(kind: &ExprKind, name: &str, args: Vec<Val>) -> Val {
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
            call_vals(kind, name, first),
            call_vals(kind, name, second),
        );
    }
    match (name, args.as_slice()) {
        ("length", [Val::List(items)]) => return Val::Int(items.len() as i64),
        ("length", [Val::Object(fields)]) => return Val::Int(fields.len() as i64),
        ("element", [Val::List(items), Val::Int(i)]) if !items.is_empty() => {
            return items[(*i).rem_euclid(items.len() as i64) as usize].clone();
        }
        ("concat", lists) if lists.iter().all(|l| matches!(l, Val::List(_))) => {
            return Val::List(
                lists
                    .iter()
                    .flat_map(|l| match l {
                        Val::List(items) => items.clone(),
                        _ => Vec::new(),
                    })
                    .collect(),
            );
        }
        _ => {}
    }
    let refs: Vec<&Val> = args.iter().collect();
    if let Some(folded) = fold_op(kind, &refs) {
        return folded;
    }
    Val::Deploy(ir::Expr::Call(
        name.to_string(),
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

/// Folds an operator or a call whose operands turned out constant, by
/// handing the same operation on named constants to the constant folder.
fn fold_op(kind: &ExprKind, operands: &[&Val]) -> Option<Val> {
    let values: Vec<Value> = operands
        .iter()
        .map(|v| v.to_value())
        .collect::<Option<_>>()?;
    let span = Span::default();
    let name = |i: usize| Expr {
        kind: ExprKind::Name(Ident {
            name: format!("#{i}"),
            span,
        }),
        span,
    };
    let rebuilt = match kind {
        ExprKind::Binary(op, _, _) => ExprKind::Binary(*op, Box::new(name(0)), Box::new(name(1))),
        ExprKind::Unary(op, _) => ExprKind::Unary(*op, Box::new(name(0))),
        ExprKind::Call(callee, _) => {
            ExprKind::Call(callee.clone(), (0..values.len()).map(name).collect())
        }
        _ => return None,
    };
    let expr = Expr {
        kind: rebuilt,
        span,
    };
    let lookup = |n: &str| {
        n.strip_prefix('#')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| values.get(i).cloned())
    };
    let mut quiet = Vec::new();
    eval::eval(&expr, &lookup, &mut quiet).map(Val::from_value)
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
            Some(id) if name == "id" => Val::Deploy(ir::Expr::Ref(id.clone())),
            Some(id) => Val::Deploy(ir::Expr::Attr(id.clone(), name.to_string())),
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
        Val::Deploy(e) => Val::Deploy(ir::Expr::Member(Box::new(e), name.to_string())),
        other => Val::from_ir(ir::Expr::Member(
            Box::new(other.into_ir()),
            name.to_string(),
        )),
    }
}

fn bind(frame: &mut Frame, binding: &Binding, first: Val, second: Val) {
    match &binding.second {
        Some(s) => {
            frame.locals.push((binding.first.name.clone(), first));
            frame.locals.push((s.name.clone(), second));
        }
        None => frame.locals.push((binding.first.name.clone(), second)),
    }
}

fn new_frame<'p>(
    module: ModuleId,
    items: &'p [Item],
    target_items: &'p [Item],
    path: Path<'p>,
    key: Vec<u32>,
) -> Frame<'p> {
    let count = items.len() + target_items.len();
    let mut decls = HashMap::with_capacity_and_hasher(count, Default::default());
    let mut slots = Vec::with_capacity(count);
    for (index, item) in items.iter().chain(target_items).enumerate() {
        let (name, decl) = match &item.kind {
            ItemKind::Param(p) => (p.name.name.as_str(), Decl::Param(p)),
            ItemKind::Let(l) => (l.name.name.as_str(), Decl::Let(l)),
            ItemKind::Resource(r) => (r.name.name.as_str(), Decl::Resource(r, index as u32)),
            _ => {
                slots.push(u32::MAX);
                continue;
            }
        };
        // A name declared again shares the first one's slot: the value
        // of a name is computed once.
        let next = decls.len() as u32;
        slots.push(decls.entry(name).or_insert((decl, next)).1);
    }
    let _ = module;
    Frame {
        memo: vec![Memo::Todo; decls.len()],
        decls,
        slots,
        locals: Vec::new(),
        path,
        key,
        condition: None,
        args: Fields::default(),
        instance: None,
        deletion: None,
        origin: None,
    }
}

/// The policy a resource's `deletion` asks for, and where.
fn deletion_of(r: &Resource) -> Option<(Deletion, Span)> {
    let property = r
        .body
        .properties
        .iter()
        .find(|p| p.key.name == "deletion")?;
    let ExprKind::Str(s) = &property.value.kind else {
        return None;
    };
    let deletion = match s.as_plain()?.as_str() {
        "delete" => Deletion::Delete,
        "retain" => Deletion::Retain,
        "snapshot" => Deletion::Snapshot,
        _ => return None,
    };
    Some((deletion, property.value.span))
}

fn rename(outputs: &mut Fields, old: &str, new: &str) {
    for v in outputs.values_mut() {
        rename_val(v, old, new);
    }
}

fn rename_val(v: &mut Val, old: &str, new: &str) {
    match v {
        Val::Deploy(e) => rename_expr(e, old, new),
        Val::List(items) => items.iter_mut().for_each(|i| rename_val(i, old, new)),
        Val::Object(fields) => fields.values_mut().for_each(|v| rename_val(v, old, new)),
        Val::Resource(instance) if instance.native.as_deref() == Some(old) => {
            *v = Val::Resource(Rc::new(Instance::native(new.to_string(), instance.counted)));
        }
        Val::Choice(condition, a, b) => {
            rename_expr(condition, old, new);
            rename_val(a, old, new);
            rename_val(b, old, new);
        }
        _ => {}
    }
}

fn rename_in_resource(r: &mut ir::Resource, old: &str, new: &str) {
    for v in r.properties.values_mut() {
        rename_expr(v, old, new);
    }
    for d in &mut r.depends_on {
        if d == old {
            *d = new.to_string();
        }
    }
    if let Some(c) = &mut r.condition {
        rename_expr(c, old, new);
    }
}

/// Rewrites references to the resource `old` as references to `new`.
pub fn rename_expr(e: &mut ir::Expr, old: &str, new: &str) {
    use ir::Expr as E;
    match e {
        E::Ref(id) | E::Attr(id, _) if id == old => *id = new.to_string(),
        E::List(items) | E::Call(_, items) => {
            items.iter_mut().for_each(|i| rename_expr(i, old, new));
        }
        E::Object(fields) => fields.values_mut().for_each(|v| rename_expr(v, old, new)),
        E::Interp(parts) => {
            for p in parts {
                if let ir::Part::Expr(e) = p {
                    rename_expr(e, old, new);
                }
            }
        }
        E::Not(a) | E::Neg(a) | E::Member(a, _) => rename_expr(a, old, new),
        E::Binary(_, a, b) | E::Index(a, b) => {
            rename_expr(a, old, new);
            rename_expr(b, old, new);
        }
        E::If(c, a, b) => {
            rename_expr(c, old, new);
            rename_expr(a, old, new);
            rename_expr(b, old, new);
        }
        E::Copies { of, each } => {
            if of == old {
                *of = new.to_string();
            }
            rename_expr(each, old, new);
        }
        _ => {}
    }
}

fn param_type(ty: &crate::sema::params::ParamType) -> ir::ParamType {
    use crate::sema::params::ParamType as P;
    match ty {
        P::String | P::Literal(_) => ir::ParamType::String,
        P::Int => ir::ParamType::Int,
        P::Number => ir::ParamType::Number,
        P::Bool => ir::ParamType::Bool,
        P::List(inner) => ir::ParamType::List(Box::new(param_type(inner))),
        P::Optional(inner) => param_type(inner),
        P::Union(members) if members.iter().all(|m| matches!(m, P::Literal(_))) => {
            ir::ParamType::String
        }
        _ => ir::ParamType::Json,
    }
}

/// The members of a literal union type (`"staging" | "production"`), or
/// the one literal of an alias of one: the values the targets must allow.
fn literal_members(ty: &crate::sema::params::ParamType) -> Option<Vec<serde_json::Value>> {
    use crate::sema::params::ParamType as P;
    match ty {
        P::Optional(inner) => literal_members(inner),
        P::Literal(s) => Some(vec![serde_json::Value::String(s.clone())]),
        P::Union(members) => members
            .iter()
            .map(|m| match m {
                P::Literal(s) => Some(serde_json::Value::String(s.clone())),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Does the value read a secret param?
fn reads_secret(e: &ir::Expr, params: &IndexMap<String, crate::sema::params::ParamInfo>) -> bool {
    e.any(&|e| matches!(e, ir::Expr::Param(p) if params.get(p).is_some_and(|info| info.secret)))
}

/// The file's leading `///` block, when it is not the first declaration's
/// own doc comment.
fn file_description(file: &SourceFile) -> Option<String> {
    let mut lines = Vec::new();
    let mut end = 0;
    let first_item = file
        .items
        .first()
        .map_or(usize::MAX, |i| i.span.start as usize);
    for comment in &file.comments {
        // The block ends at a blank line: more than a line break between;
        // and it leads only what comes before the first declaration.
        if comment.kind != CommentKind::Doc
            || comment.span.start as usize >= first_item
            || (!lines.is_empty() && comment.span.start as usize > end + 1)
        {
            break;
        }
        lines.push(comment.doc_text());
        end = comment.span.end as usize;
    }
    if lines.is_empty() {
        return None;
    }
    let block = lines.join("\n");
    match file.items.first() {
        Some(item) if item.doc.as_deref() == Some(block.as_str()) => None,
        _ => Some(block),
    }
}
