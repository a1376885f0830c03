//! The backend-neutral deployment: what `lower` produces for one target and
//! what every backend reads. Plain data: native resources with native type
//! names, property values as expression trees holding only deploy-time
//! operations (everything constant is already folded), explicit
//! dependencies, params, conditions and outputs. Order is source order.
//!
//! The IR refers to a resource by its [`ResourceId`], its index in
//! `Deployment::resources`, never by a name: each resource's names (`id`,
//! `snake`) are given in one final pass of lowering, and each backend
//! spells a reference with its own name of the resource (`names`).

mod map;

pub use map::Map;

/// A key of the IR's maps: shared, since a large program's resources
/// repeat the same few property names tens of thousands of times.
pub type Key = Arc<str>;

use std::sync::Arc;

use crate::builtins::Builtin;
pub use crate::native::{DnsRecord, FinalSnapshot, KeyedAttribute, NativeFacts};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, StateClass};

pub use crate::target::Target;

/// A resource of a deployment: its index in `Deployment::resources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub u32);

impl ResourceId {
    /// The index in `Deployment::resources`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub target: Target,
    /// The entry file's leading doc comment.
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
}

/// A param left open at compile time: a template parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    pub default: Option<serde_json::Value>,
    pub description: Option<String>,
    pub secret: bool,
    pub min: Option<serde_json::Value>,
    pub max: Option<serde_json::Value>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
    pub allowed: Option<Vec<serde_json::Value>>,
    /// What the tool shows when a constraint fails.
    pub message: Option<String>,
    pub label: Option<String>,
    pub group: Option<String>,
    /// What the target checks the value names, when it is the id of an
    /// `existing` resource: CloudFormation's AWS-specific parameter type
    /// (`AWS::EC2::VPC::Id`), Heat's custom constraint (`neutron.network`).
    pub native_type: Option<String>,
    /// Where the entry file declares it: the param's name.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    String,
    Number,
    Int,
    Bool,
    List(Box<ParamType>),
    /// Maps, objects and anything else: JSON.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    Delete,
    Retain,
    Snapshot,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The logical id: readable, unique, PascalCase (`WebServer`, `Web0`);
    /// `Name~N` where two resources' name words give one id.
    pub id: String,
    /// The same name as snake_case words, for targets that spell names so.
    pub snake: String,
    /// The native type name (`AWS::EC2::Instance`), shared by the
    /// resources of a type.
    pub type_name: Key,
    pub properties: Map<Expr>,
    /// Explicit dependencies (`depends_on`).
    pub depends_on: Vec<ResourceId>,
    /// Exists only when this deploy-time condition holds.
    pub condition: Option<Box<Expr>>,
    /// A deploy-time number of copies; `Expr::CountIndex` is each copy's index.
    pub count: Option<Box<Expr>>,
    /// With `count`, on Terraform: the deploy-time list of strings the
    /// copies are keyed by (`for_each`), each copy reading its element as
    /// `Expr::Index(list, Expr::CountIndex)`; `count` is its length.
    pub for_each: Option<Box<Expr>>,
    pub state: StateClass,
    /// The deletion policy, when the program or the state class asks for one.
    pub deletion: Option<Deletion>,
    /// Whether the type supports a snapshot before deletion.
    pub snapshot: bool,
    /// What its native schema says the backends read (attributes that are
    /// lists, sensitive, addresses; final-snapshot arguments; ...).
    pub facts: Arc<NativeFacts>,
    /// Where the program declares it: the entry file's resource this one
    /// was made for (a portable type's native resources share it).
    pub span: Span,
    /// The declaration this native resource was made from: its name, in
    /// the entry file (then `span`) or in a component's module.
    pub declared: Span,
    /// Which copy of that resource it belongs to, when the resource is
    /// repeated at compile time: its index in the loop.
    pub copy: Option<u32>,
    /// That copy's name word (its key: `logs` of `vol_logs`).
    pub copy_key: Option<Key>,
    /// The name of the entry file's declaration it was made for: its first
    /// name word (the word it had, where a rename keeps the name): a
    /// resource with all its copies, or a component instance
    /// with everything in it, is one group, which a split into nested
    /// stacks keeps together and places by this name (`stacks::split`).
    /// Shared by the group's resources.
    pub group: Key,
    /// What few resources have (`moved_from`, `stack`), kept apart so that
    /// the many without are smaller: `None` when it has neither.
    pub rare: Option<Box<Rare>>,
    /// A resource the program reads and does not manage (`existing`):
    /// Heat adopts it by `external_id` (its `id` property), Terraform reads
    /// it as a data source (its properties the lookup arguments).
    pub existing: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub export: Option<Expr>,
    pub condition: Option<Expr>,
    pub sensitive: bool,
    pub span: Span,
}

/// What a deploy-time context function reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Region,
    Zones,
    StackName,
    AccountId,
}

/// A value: constants are already folded; the rest is known at deploy time.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    String(String),
    List(Vec<Expr>),
    /// Boxed, so that every `Expr` is as small as a string or a list.
    Object(Box<Map<Expr>>),
    /// A template parameter.
    Param(String),
    /// The id of a resource (`Ref`, `get_resource`, `.id`).
    Ref(ResourceId),
    /// An attribute of a resource, dotted for nested ones (`Endpoint.Address`).
    Attr(ResourceId, String),
    /// Text with deploy-time parts.
    Interp(Vec<Part>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A built-in function applied to deploy-time values.
    Call(Builtin, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    /// The name boxed too, so that an `Expr` is no larger than a string
    /// and its tag.
    Member(Box<Expr>, Box<str>),
    Context(Context),
    /// The value another stack exports under this name (CloudFormation
    /// `Fn::ImportValue`): the id of an `existing` resource given by
    /// `export`.
    Import(Box<Expr>),
    /// The index of a copy of a resource with a deploy-time `count`.
    CountIndex,
    /// The list of `each` over the copies of `of`, a native resource with a
    /// deploy-time `count`: inside `each`, `CountIndex` is the copy's index
    /// and a reference to a counted resource reads that copy of it.
    Copies {
        of: ResourceId,
        each: Box<Expr>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Expr(Expr),
}

impl Deployment {
    /// An empty deployment for `target`.
    pub fn new(target: Target) -> Deployment {
        Deployment {
            target,
            description: None,
            params: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// The resource `id` refers to (`None` only in IR built by hand).
    pub fn resource(&self, id: ResourceId) -> Option<&Resource> {
        self.resources.get(id.index())
    }

    /// Calls `f` on every reference to a resource: in every resource's
    /// properties, condition, count, `for_each` and `depends_on`, and in
    /// every output.
    pub fn for_each_reference_mut(&mut self, f: &mut dyn FnMut(&mut ResourceId)) {
        for r in &mut self.resources {
            for value in r.properties.values_mut() {
                value.for_each_reference_mut(f);
            }
            let repetition = [&mut r.condition, &mut r.count, &mut r.for_each];
            for e in repetition.into_iter().flatten() {
                e.for_each_reference_mut(f);
            }
            r.depends_on.iter_mut().for_each(&mut *f);
        }
        for o in &mut self.outputs {
            let exprs = std::iter::once(&mut o.value)
                .chain(o.export.iter_mut())
                .chain(o.condition.iter_mut());
            for e in exprs {
                e.for_each_reference_mut(f);
            }
        }
    }
}

impl Param {
    /// A param of type `ty` without default, constraint or description.
    pub fn new(name: &str, ty: ParamType) -> Param {
        Param {
            name: name.into(),
            ty,
            default: None,
            description: None,
            secret: false,
            min: None,
            max: None,
            min_length: None,
            max_length: None,
            pattern: None,
            allowed: None,
            message: None,
            label: None,
            group: None,
            native_type: None,
            span: Span::default(),
        }
    }
}

impl Resource {
    /// The id its name words give (`Name` of `Name~2`), which another
    /// resource's give too where lowering kept them apart with `~N`.
    pub fn named_id(&self) -> &str {
        self.id.split('~').next().unwrap_or_default()
    }

    /// Whether another resource's name words give its id too (`Name~N`).
    pub fn id_shared(&self) -> bool {
        self.named_id().len() != self.id.len()
    }

    /// A stateless resource with these properties and nothing else.
    pub fn new(id: &str, snake: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
        Resource {
            id: id.into(),
            snake: snake.into(),
            type_name: type_name.into(),
            properties: properties.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            depends_on: Vec::new(),
            condition: None,
            count: None,
            for_each: None,
            state: StateClass::Stateless,
            deletion: None,
            snapshot: false,
            facts: Arc::default(),
            span: Span::default(),
            declared: Span::default(),
            copy: None,
            copy_key: None,
            group: Key::default(),
            rare: None,
            existing: false,
        }
    }

    /// The name it had before a rename (`renamed_from`), on a target that
    /// can say so (Terraform `moved`): its earlier snake_case name.
    pub fn moved_from(&self) -> Option<&str> {
        self.rare.as_ref()?.moved_from.as_deref()
    }

    pub fn set_moved_from(&mut self, name: &str) {
        self.rare.get_or_insert_default().moved_from = Some(name.into());
    }

    /// For a nested stack's resource in its parent (made by
    /// `stacks::split`): the child template's file name, beside the
    /// parent's. Its `properties` are then the child's parameters, by the
    /// child's param names, and an `Attr` of it reads one of the child's
    /// outputs.
    pub fn stack(&self) -> Option<&str> {
        self.rare.as_ref()?.stack.as_deref()
    }

    pub fn set_stack(&mut self, file: &str) {
        self.rare.get_or_insert_default().stack = Some(file.into());
    }
}

/// What few resources have: see `Resource::moved_from` and
/// `Resource::stack`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rare {
    moved_from: Option<Box<str>>,
    stack: Option<Box<str>>,
}

impl Output {
    /// An output with a value and nothing else.
    pub fn new(name: &str, value: Expr) -> Output {
        Output {
            name: name.into(),
            value,
            description: None,
            export: None,
            condition: None,
            sensitive: false,
            span: Span::default(),
        }
    }
}

impl Expr {
    /// `a && b`, where no `a` holds always: a condition within another.
    pub fn and(a: Option<Expr>, b: Expr) -> Expr {
        match a {
            Some(a) => Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)),
            None => b,
        }
    }

    /// An object of these fields.
    pub fn object(fields: Map<Expr>) -> Expr {
        Expr::Object(Box::new(fields))
    }

    /// `a || b`.
    pub fn or(a: Expr, b: Expr) -> Expr {
        Expr::Binary(BinaryOp::Or, Box::new(a), Box::new(b))
    }

    /// The expressions directly inside this one, in order.
    pub fn children(&self) -> Vec<&Expr> {
        let mut children = Vec::new();
        self.for_each_child(|child| children.push(child));
        children
    }

    /// Calls `f` on each expression directly inside this one, in order,
    /// without collecting them first.
    pub fn for_each_child<'e>(&'e self, mut f: impl FnMut(&'e Expr)) {
        match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Number(_)
            | Expr::String(_)
            | Expr::Param(_)
            | Expr::Ref(_)
            | Expr::Attr(..)
            | Expr::Context(_)
            | Expr::CountIndex => {}
            Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(f),
            Expr::Object(fields) => fields.values().for_each(f),
            Expr::Interp(parts) => {
                for part in parts {
                    if let Part::Expr(e) = part {
                        f(e);
                    }
                }
            }
            Expr::Not(x) | Expr::Neg(x) | Expr::Member(x, _) | Expr::Import(x) => f(x),
            Expr::Copies { each, .. } => f(each),
            Expr::Binary(_, a, b) | Expr::Index(a, b) => {
                f(a);
                f(b);
            }
            Expr::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
        }
    }

    /// Calls `f` on each expression directly inside this one, in order,
    /// to change it.
    pub fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut Expr)) {
        match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Number(_)
            | Expr::String(_)
            | Expr::Param(_)
            | Expr::Ref(_)
            | Expr::Attr(..)
            | Expr::Context(_)
            | Expr::CountIndex => {}
            Expr::List(items) | Expr::Call(_, items) => items.iter_mut().for_each(f),
            Expr::Object(fields) => fields.values_mut().for_each(f),
            Expr::Interp(parts) => {
                for part in parts {
                    if let Part::Expr(e) = part {
                        f(e);
                    }
                }
            }
            Expr::Not(x) | Expr::Neg(x) | Expr::Member(x, _) | Expr::Import(x) => f(x),
            Expr::Copies { each, .. } => f(each),
            Expr::Binary(_, a, b) | Expr::Index(a, b) => {
                f(a);
                f(b);
            }
            Expr::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
        }
    }

    /// Calls `f` on every reference to a resource in this expression
    /// (`Ref`, `Attr`, `Copies`' `of`), in order.
    pub fn for_each_reference_mut(&mut self, f: &mut dyn FnMut(&mut ResourceId)) {
        match self {
            Expr::Ref(id) | Expr::Attr(id, _) | Expr::Copies { of: id, .. } => f(id),
            _ => {}
        }
        self.for_each_child_mut(|child| child.for_each_reference_mut(f));
    }

    /// The resource this expression reads, when it is a `Ref` or an `Attr`.
    pub fn resource(&self) -> Option<ResourceId> {
        match self {
            Expr::Ref(id) | Expr::Attr(id, _) => Some(*id),
            _ => None,
        }
    }

    /// Calls `f` on this expression and every expression inside it,
    /// pre-order.
    pub fn walk<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        f(self);
        self.for_each_child(|child| child.walk(f));
    }

    /// Does this expression, or one inside it, pass `test`?
    pub fn any(&self, test: &dyn Fn(&Expr) -> bool) -> bool {
        if test(self) {
            return true;
        }
        let mut found = false;
        self.for_each_child(|child| found = found || child.any(test));
        found
    }

    /// Is the whole value known at compile time?
    pub fn is_const(&self) -> bool {
        match self {
            Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Number(_) | Expr::String(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_const),
            Expr::Object(fields) => fields.values().all(Expr::is_const),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_of_a_resource_is_renumbered_its_keys_too() {
        let mut d = Deployment::new(Target::TerraformAws);
        let mut r = Resource::new("Web", "web", "aws_instance", vec![]);
        r.condition = Some(Box::new(Expr::Attr(ResourceId(1), "enabled".into())));
        r.count = Some(Box::new(Expr::Attr(ResourceId(2), "size".into())));
        r.for_each = Some(Box::new(Expr::Attr(ResourceId(3), "names".into())));
        r.depends_on = vec![ResourceId(4)];
        d.resources.push(r);
        let mut seen = Vec::new();
        d.for_each_reference_mut(&mut |id| {
            seen.push(id.0);
            id.0 += 10;
        });
        assert_eq!(seen, [1, 2, 3, 4]);
        let r = &d.resources[0];
        assert_eq!(
            r.for_each.as_deref().and_then(Expr::resource),
            Some(ResourceId(13))
        );
        assert_eq!(r.depends_on, [ResourceId(14)]);
    }

    /// The IR holds one `Resource` per native resource, tens of thousands
    /// in a large program: what few resources have is boxed.
    #[test]
    fn a_resource_stays_small() {
        assert!(
            std::mem::size_of::<Resource>() <= 232,
            "{}",
            std::mem::size_of::<Resource>()
        );
        assert_eq!(std::mem::size_of::<Expr>(), 32);
    }
}
