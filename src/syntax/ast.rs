//! The syntax tree: what the source says, with a span on every node.
//!
//! Names are not resolved and nothing is typed here; `sema` does that.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// The properties of a resource's body that are the language's own, not
/// its type's: what it waits for, what its deletion does, and the name it
/// had before.
pub const META_PROPERTIES: &[&str] = &["depends_on", "deletion", "renamed_from"];

/// Is `key` one of [`META_PROPERTIES`]?
pub fn is_meta_property(key: &str) -> bool {
    META_PROPERTIES.contains(&key)
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFile {
    pub items: Vec<Item>,
    /// Every comment in the file, in source order, for the formatter.
    pub comments: Vec<Comment>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub kind: CommentKind,
    /// The comment's text exactly as written, markers included.
    pub text: String,
    pub span: Span,
}

impl Comment {
    /// A `///` line's text: the marker and one space after it removed.
    pub fn doc_text(&self) -> String {
        let text = self.text.trim_start_matches("///");
        text.strip_prefix(' ')
            .unwrap_or(text)
            .trim_end()
            .to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    Line,
    Doc,
    Block,
}

/// A declaration, with the `///` doc comment written just above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub doc: Option<String>,
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Import(Import),
    Param(Param),
    Let(Let),
    Resource(Resource),
    Output(Output),
    TypeAlias(TypeAlias),
    Component(Component),
    Target(TargetBlock),
    Unsupported(Unsupported),
    Native(Native),
    /// A chunk that did not parse; its diagnostic is already reported.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: StringLit,
    pub alias: Ident,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub default: Option<Expr>,
    /// Constraints and options: `min`, `max`, `pattern`, `secret`, ...
    pub options: Option<Block>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// `existing`: a resource the program reads and does not manage.
    pub existing: bool,
    pub name: Ident,
    pub ty: ResourceType,
    pub for_guard: Option<ForGuard>,
    pub if_guard: Option<Expr>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ResourceType {
    /// `compute.Server`, `AWS::EC2::Instance`, `aws_instance`.
    Path(TypePath),
    /// A type name written as a string: a native type the stdlib lacks,
    /// unchecked.
    Raw(StringLit),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForGuard {
    pub binding: Binding,
    pub iterable: Expr,
    /// `key EXPR`: each copy's name, read with the loop variables bound.
    pub key: Option<Box<Expr>>,
    pub span: Span,
}

/// `x` or `i, x` in a `for`.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub first: Ident,
    pub second: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Option<Expr>,
    /// Options: `export`, `sensitive`, ...
    pub options: Option<Block>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeAlias {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateClass {
    Stateless,
    Persistent,
    Volatile,
}

impl StateClass {
    pub fn as_str(self) -> &'static str {
        match self {
            StateClass::Stateless => "stateless",
            StateClass::Persistent => "persistent",
            StateClass::Volatile => "volatile",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    pub state: Option<StateClass>,
    pub name: Ident,
    /// Params, lets, resources, outputs, type aliases and target blocks.
    pub items: Vec<Item>,
}

/// `target heat { ... }`. Its `items` are left empty, unread, in a stdlib
/// file read for a build for other targets ([`crate::syntax::parse_for`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TargetBlock {
    pub target: Ident,
    pub items: Vec<Item>,
}

/// `unsupported "reason"` in a target block: the component has no form on
/// the target. With `if CONDITION`, only the uses for which the condition
/// holds have none (a setting the target cannot honour).
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    pub reason: StringLit,
    pub condition: Option<Expr>,
}

/// `native "TYPE" on TARGET { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Native {
    pub state: Option<StateClass>,
    pub type_name: StringLit,
    pub target: Ident,
    pub members: Vec<SchemaMember>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SchemaMember {
    pub doc: Option<String>,
    pub kind: MemberKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MemberKind {
    Property(Field),
    Attribute(Field),
    /// `key = value` settings of the schema itself.
    Setting(Property),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Option<Expr>,
}

/// `{ key = value ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub properties: Vec<Property>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    pub doc: Option<String>,
    pub key: Key,
    pub value: Expr,
    pub span: Span,
}

/// An object or block key: a bare word or a quoted string.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

// ----------------------------------------------------------------------- types

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Path(TypePath),
    /// A string literal type, a member of a literal union.
    Literal(String),
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Object(Vec<FieldType>),
    Optional(Box<TypeExpr>),
    Union(Vec<TypeExpr>),
    Paren(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypePath {
    pub segments: Vec<Ident>,
    /// `::` (native vocabularies) or `.` (namespaces).
    pub separator: PathSeparator,
    pub span: Span,
}

impl TypePath {
    /// The path as written, e.g. `AWS::EC2::Instance` or `network.Subnet`.
    pub fn text(&self) -> String {
        let sep = match self.separator {
            PathSeparator::Dot => ".",
            PathSeparator::Colons => "::",
        };
        self.segments
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSeparator {
    Dot,
    Colons,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldType {
    pub key: Key,
    pub optional: bool,
    pub ty: TypeExpr,
}

// ----------------------------------------------------------------- expressions

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    /// A decimal literal, kept as written so output is exact.
    Number(String),
    Str(StringLit),
    Name(Ident),
    List(Vec<Expr>),
    Object(Vec<Property>),
    Member(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Range(Box<Expr>, Box<Expr>),
    ListComp(Box<Comprehension>),
    ObjectComp(Box<Comprehension>, Box<Expr>),
    Paren(Box<Expr>),
    /// An expression that failed to lower; its diagnostic is already reported.
    Error,
}

impl Expr {
    /// Calls `f` on every name the expression reads, at any depth, a
    /// comprehension's own variables included (no scopes: for what a name
    /// refers to, see `sema::names`).
    pub fn for_each_name<'a>(&'a self, f: &mut impl FnMut(&'a Ident)) {
        match &self.kind {
            ExprKind::Name(name) => f(name),
            ExprKind::ListComp(c) | ExprKind::ObjectComp(c, _) => {
                let parts = [Some(&c.iterable), c.filter.as_ref(), Some(&c.body)];
                parts.into_iter().flatten().for_each(|e| e.for_each_name(f));
                if let ExprKind::ObjectComp(_, value) = &self.kind {
                    value.for_each_name(f);
                }
            }
            _ => {}
        }
        self.for_each_operand(|e| e.for_each_name(f));
    }

    /// Calls `f` on each direct operand, in source order, interpolations
    /// included. Names and comprehensions are left to the caller: a name is
    /// a leaf every walker treats its own way, and a comprehension binds
    /// names around its parts. A bare callee names a built-in function and is
    /// not an operand.
    pub fn for_each_operand<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Str(s) => {
                for part in &s.parts {
                    if let StrPart::Interp(e) = part {
                        f(e);
                    }
                }
            }
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Object(props) => props.iter().for_each(|p| f(&p.value)),
            ExprKind::Member(base, _) => f(base),
            ExprKind::Index(base, index) => {
                f(base);
                f(index);
            }
            ExprKind::Call(callee, args) => {
                if !matches!(callee.kind, ExprKind::Name(_)) {
                    f(callee);
                }
                args.iter().for_each(f);
            }
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => f(e),
            ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Conditional(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            ExprKind::Name(_)
            | ExprKind::ListComp(_)
            | ExprKind::ObjectComp(..)
            | ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Error => {}
        }
    }
}

/// `for x in xs if cond: body` (in an object comprehension `body` is the key).
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    pub binding: Binding,
    pub iterable: Expr,
    pub filter: Option<Expr>,
    pub body: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// A string literal, split into text and `${}` parts.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub parts: Vec<StrPart>,
    /// Written with `"""`; the text parts are already dedented.
    pub multiline: bool,
    pub span: Span,
}

impl StringLit {
    /// The literal's value when it has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}
