//! Lowering of pest pairs into the AST: one function per grammar rule.
//!
//! The parse tree has already been accepted by the grammar, so a shape the
//! lowering does not expect is a bug in the compiler, not in the user's
//! program; it is reported as `E0000` instead of panicking.

use std::cell::RefCell;
use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::*;
use super::grammar::Rule;
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, Span};

/// Expressions nested deeper than this (through operators) are refused so
/// that later recursive passes stay within the stack. A chain of one
/// operator (or of operators of one precedence) without parentheses,
/// `1 + 2 + ... + n`, counts as one level, however long.
pub const MAX_EXPR_DEPTH: u32 = 256;

/// The most nodes on one path down an expression's tree, chains counted
/// node by node and objects, comprehensions and strings included: what
/// every later pass recurses through. A longer path is refused (E0004).
pub const MAX_EXPR_TREE: u32 = 4096;

/// How deep an expression is: nested (a chain counting once) and as a tree
/// (every node counting).
/// Counted alike by the fast parser, which gives up where this is refused.
#[derive(Clone, Copy, Debug)]
pub(super) struct Depth {
    pub(super) nesting: u32,
    pub(super) tree: u32,
}

impl Depth {
    pub(super) const LEAF: Depth = Depth {
        nesting: 1,
        tree: 1,
    };
    pub(super) const NONE: Depth = Depth {
        nesting: 0,
        tree: 0,
    };

    pub(super) fn max(self, other: Depth) -> Depth {
        Depth {
            nesting: self.nesting.max(other.nesting),
            tree: self.tree.max(other.tree),
        }
    }

    /// One level above `self`.
    pub(super) fn above(self) -> Depth {
        Depth {
            nesting: self.nesting + 1,
            tree: self.tree + 1,
        }
    }

    /// `lhs op rhs`, `lhs` being of depth `self`: one level above both, but
    /// where `lhs` is a chain of operators of `op`'s power, a link of it.
    pub(super) fn link(self, lhs: &Expr, op: BinaryOp, rhs: Depth) -> Depth {
        let chained = matches!(&lhs.kind, ExprKind::Binary(l, ..) if power(*l) == power(op));
        Depth {
            nesting: if chained {
                self.nesting.max(rhs.nesting + 1)
            } else {
                self.nesting.max(rhs.nesting) + 1
            },
            tree: self.tree.max(rhs.tree) + 1,
        }
    }

    /// Within the limits?
    pub(super) fn allowed(self) -> bool {
        self.nesting <= MAX_EXPR_DEPTH && self.tree <= MAX_EXPR_TREE
    }

    /// A string of interpolations whose deepest tree is `inner`.
    pub(super) fn string(inner: u32) -> Depth {
        Depth {
            nesting: 1,
            tree: inner + 1,
        }
    }

    /// What an object's entries, or a comprehension's parts, whose deepest
    /// tree is `inner`, pass to the node around them: their nesting starts
    /// again, their tree does not.
    pub(super) fn entries(inner: u32) -> Depth {
        Depth {
            nesting: 0,
            tree: inner,
        }
    }

    pub(super) fn comprehension(inner: u32) -> Depth {
        Depth {
            nesting: 1,
            tree: inner.max(1),
        }
    }
}

/// Binding power of a binary operator, in the order of `PRATT`: operators of
/// one power chain without nesting.
fn power(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 3,
        BinaryOp::And => 4,
        BinaryOp::Eq | BinaryOp::Ne => 5,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 6,
        BinaryOp::Add | BinaryOp::Sub => 7,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 8,
    }
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::ternary, Assoc::Right))
        .op(Op::infix(Rule::range, Assoc::Left))
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::infix(Rule::eq, Assoc::Left) | Op::infix(Rule::ne, Assoc::Left))
        .op(Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg) | Op::prefix(Rule::not))
});

pub struct Lowerer<'t> {
    pub file: FileId,
    /// The whole file; pairs come from parsing a chunk of it.
    pub text: &'t str,
    /// Where the chunk being lowered starts in `text`.
    pub base: usize,
    pub comments: Vec<Comment>,
    diagnostics: RefCell<Vec<Diagnostic>>,
    reported_depth: RefCell<bool>,
    /// The deepest tree among the expressions lowered since `scoped` began.
    inner_tree: std::cell::Cell<u32>,
}

/// Tokens that carry no information once the rule around them matched.
fn is_noise(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::COMMENT
            | Rule::kw_import
            | Rule::kw_as
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_resource
            | Rule::kw_existing
            | Rule::kw_output
            | Rule::kw_type
            | Rule::kw_component
            | Rule::kw_target
            | Rule::kw_unsupported
            | Rule::kw_native
            | Rule::kw_on
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_if
            | Rule::kw_key
    )
}

/// The meaningful children of a pair, consumed in grammar order.
struct Children<'i> {
    inner: std::iter::Peekable<Pairs<'i, Rule>>,
}

impl<'i> Children<'i> {
    fn of(pair: Pair<'i, Rule>) -> Children<'i> {
        Children {
            inner: pair.into_inner().peekable(),
        }
    }

    fn skip_noise(&mut self) {
        while self.inner.peek().is_some_and(|p| is_noise(p.as_rule())) {
            self.inner.next();
        }
    }

    /// The next child if it is `rule`.
    fn optional(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        self.skip_noise();
        if self.inner.peek()?.as_rule() == rule {
            self.inner.next()
        } else {
            None
        }
    }

    /// The next child, whatever it is.
    fn next(&mut self) -> Option<Pair<'i, Rule>> {
        self.skip_noise();
        self.inner.next()
    }

    fn rest(mut self) -> impl Iterator<Item = Pair<'i, Rule>> {
        self.skip_noise();
        self.inner.filter(|p| !is_noise(p.as_rule()))
    }
}

impl<'t> Lowerer<'t> {
    pub fn new(file: FileId, text: &'t str) -> Lowerer<'t> {
        Lowerer {
            file,
            text,
            base: 0,
            comments: Vec::new(),
            diagnostics: RefCell::new(Vec::new()),
            reported_depth: RefCell::new(false),
            inner_tree: std::cell::Cell::new(0),
        }
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }

    pub fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    /// Called where the tree does not have the shape the grammar promises.
    fn bug(&self, span: Span, what: &str) {
        self.report(
            Diagnostic::new(&codes::E0000, span, format!("internal error: {what}"))
                .label("the compiler could not read this")
                .note("this is a bug in the Infra compiler; please report it"),
        );
    }

    /// The `///` lines written just above `start`, joined.
    pub fn doc_before(&self, start: usize) -> Option<String> {
        doc_before(self.text, &self.comments, start)
    }

    // ------------------------------------------------------------ declarations

    pub fn item(&self, pair: Pair<Rule>) -> Item {
        let span = self.span(&pair);
        let doc = self.doc_before(span.start as usize);
        let kind = match pair.as_rule() {
            Rule::import_decl => self.import(pair).map(ItemKind::Import),
            Rule::param_decl => self.param(pair).map(ItemKind::Param),
            Rule::let_decl => self.let_decl(pair).map(ItemKind::Let),
            Rule::resource_decl | Rule::existing_decl => {
                self.resource(pair).map(ItemKind::Resource)
            }
            Rule::output_decl => self.output(pair).map(ItemKind::Output),
            Rule::type_decl => self.type_decl(pair).map(ItemKind::TypeAlias),
            Rule::component_decl => self.component(pair).map(ItemKind::Component),
            Rule::target_block => self.target_block(pair).map(ItemKind::Target),
            Rule::unsupported => self.unsupported(pair).map(ItemKind::Unsupported),
            Rule::native_decl => self.native(pair).map(ItemKind::Native),
            _ => None,
        };
        let kind = kind.unwrap_or_else(|| {
            self.bug(span, "unexpected declaration shape");
            ItemKind::Error
        });
        // pest skips the blanks before an optional `if` that is not there:
        // an `unsupported` ends at its reason or condition.
        let span = match &kind {
            ItemKind::Unsupported(u) => {
                let last = u.condition.as_ref().map_or(u.reason.span, |c| c.span);
                Span::new(span.file, span.start as usize, last.end as usize)
            }
            _ => span,
        };
        Item { doc, kind, span }
    }

    fn import(&self, pair: Pair<Rule>) -> Option<Import> {
        let mut c = Children::of(pair);
        let path = self.string(c.next()?)?;
        let alias = self.ident(c.next()?);
        Some(Import { path, alias })
    }

    fn param(&self, pair: Pair<Rule>) -> Option<Param> {
        let mut c = Children::of(pair);
        let name = self.ident(c.next()?);
        let ty = c.optional(Rule::type_expr).map(|p| self.type_expr(p));
        let default = c.optional(Rule::expr).map(|p| self.expr(p));
        let options = c.optional(Rule::block).map(|p| self.block(p));
        Some(Param {
            name,
            ty,
            default,
            options,
        })
    }

    fn let_decl(&self, pair: Pair<Rule>) -> Option<Let> {
        let mut c = Children::of(pair);
        let name = self.ident(c.next()?);
        let ty = c.optional(Rule::type_expr).map(|p| self.type_expr(p));
        let value = self.expr(c.optional(Rule::expr)?);
        Some(Let { name, ty, value })
    }

    fn unsupported(&self, pair: Pair<Rule>) -> Option<Unsupported> {
        let mut c = Children::of(pair);
        let reason = self.string(c.next()?)?;
        let condition = match c.optional(Rule::if_guard) {
            Some(p) => Some(self.expr(Children::of(p).next()?)),
            None => None,
        };
        Some(Unsupported { reason, condition })
    }

    fn resource(&self, pair: Pair<Rule>) -> Option<Resource> {
        let existing = pair.as_rule() == Rule::existing_decl;
        let mut c = Children::of(pair);
        let name = self.ident(c.next()?);
        let ty_pair = Children::of(c.optional(Rule::resource_type)?).next()?;
        let ty = match ty_pair.as_rule() {
            Rule::string => ResourceType::Raw(self.string(ty_pair)?),
            _ => ResourceType::Path(self.type_path(ty_pair)),
        };
        let for_guard = match c.optional(Rule::for_guard) {
            Some(p) => {
                let span = self.span(&p);
                let mut g = Children::of(p);
                let binding = self.binding(g.next()?)?;
                let iterable = self.expr(g.next()?);
                let key = match g.optional(Rule::for_key) {
                    Some(k) => Some(Box::new(self.expr(Children::of(k).next()?))),
                    None => None,
                };
                Some(ForGuard {
                    binding,
                    iterable,
                    key,
                    span,
                })
            }
            None => None,
        };
        let if_guard = match c.optional(Rule::if_guard) {
            Some(p) => Some(self.expr(Children::of(p).next()?)),
            None => None,
        };
        let body = self.block(c.optional(Rule::block)?);
        Some(Resource {
            existing,
            name,
            ty,
            for_guard,
            if_guard,
            body,
        })
    }

    fn output(&self, pair: Pair<Rule>) -> Option<Output> {
        let mut c = Children::of(pair);
        let name = self.ident(c.next()?);
        let ty = c.optional(Rule::type_expr).map(|p| self.type_expr(p));
        let value = c.optional(Rule::expr).map(|p| self.expr(p));
        let options = c.optional(Rule::block).map(|p| self.block(p));
        Some(Output {
            name,
            ty,
            value,
            options,
        })
    }

    fn type_decl(&self, pair: Pair<Rule>) -> Option<TypeAlias> {
        let mut c = Children::of(pair);
        let name = self.ident(c.next()?);
        let ty = self.type_expr(c.optional(Rule::type_expr)?);
        Some(TypeAlias { name, ty })
    }

    fn state_class(&self, pair: &Pair<Rule>) -> Option<StateClass> {
        match pair.as_str() {
            "stateless" => Some(StateClass::Stateless),
            "persistent" => Some(StateClass::Persistent),
            "volatile" => Some(StateClass::Volatile),
            _ => None,
        }
    }

    fn component(&self, pair: Pair<Rule>) -> Option<Component> {
        let mut c = Children::of(pair);
        let state = match c.optional(Rule::state_class) {
            Some(p) => Some(self.state_class(&p)?),
            None => None,
        };
        let name = self.ident(c.next()?);
        let items = c.rest().map(|p| self.item(p)).collect();
        Some(Component { state, name, items })
    }

    fn target_block(&self, pair: Pair<Rule>) -> Option<TargetBlock> {
        let mut c = Children::of(pair);
        let target = self.ident(c.optional(Rule::target_name)?);
        let items = c.rest().map(|p| self.item(p)).collect();
        Some(TargetBlock { target, items })
    }

    fn native(&self, pair: Pair<Rule>) -> Option<Native> {
        let mut c = Children::of(pair);
        let state = match c.optional(Rule::state_class) {
            Some(p) => Some(self.state_class(&p)?),
            None => None,
        };
        let type_name = self.string(c.optional(Rule::string)?)?;
        let target = self.ident(c.optional(Rule::target_name)?);
        let mut members = Vec::new();
        for p in c.rest() {
            let span = self.span(&p);
            let doc = self.doc_before(span.start as usize);
            let kind = match p.as_rule() {
                Rule::property => MemberKind::Setting(self.property(p)?),
                _ => {
                    let mut m = Children::of(p);
                    let is_property = m.next()?.as_str() == "property";
                    let name = self.key_ident(m.next()?)?;
                    let ty = self.type_expr(m.optional(Rule::type_expr)?);
                    let value = m.optional(Rule::expr).map(|e| self.expr(e));
                    let field = Field { name, ty, value };
                    if is_property {
                        MemberKind::Property(field)
                    } else {
                        MemberKind::Attribute(field)
                    }
                }
            };
            members.push(SchemaMember { doc, kind, span });
        }
        Some(Native {
            state,
            type_name,
            target,
            members,
        })
    }

    fn block(&self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let properties = Children::of(pair)
            .rest()
            .filter_map(|p| self.property(p))
            .collect();
        Block { properties, span }
    }

    fn property(&self, pair: Pair<Rule>) -> Option<Property> {
        let span = self.span(&pair);
        let doc = self.doc_before(span.start as usize);
        let mut c = Children::of(pair);
        let key = self.key(c.next()?)?;
        let value = self.expr(c.optional(Rule::expr)?);
        Some(Property {
            doc,
            key,
            value,
            span,
        })
    }

    fn key(&self, pair: Pair<Rule>) -> Option<Key> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::string => {
                let lit = self.string(pair)?;
                match lit.as_plain() {
                    Some(name) => Some(Key {
                        name,
                        quoted: true,
                        span,
                    }),
                    None => {
                        self.report(
                            Diagnostic::new(
                                &codes::E0008,
                                span,
                                "a key cannot contain an interpolation",
                            )
                            .label("interpolated key")
                            .help("write the key as plain text, or build the object with a comprehension"),
                        );
                        None
                    }
                }
            }
            _ => Some(Key {
                name: pair.as_str().to_string(),
                quoted: false,
                span,
            }),
        }
    }

    /// A key used as a name, for schema members.
    fn key_ident(&self, pair: Pair<Rule>) -> Option<Ident> {
        let key = self.key(pair)?;
        Some(Ident {
            name: key.name,
            span: key.span,
        })
    }

    fn binding(&self, pair: Pair<Rule>) -> Option<Binding> {
        let mut c = Children::of(pair);
        let first = self.ident(c.next()?);
        let second = c.next().map(|p| self.ident(p));
        Some(Binding { first, second })
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    // ------------------------------------------------------------------- types

    pub fn type_expr(&self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut terms: Vec<TypeExpr> = Children::of(pair)
            .rest()
            .map(|p| self.type_term(p))
            .collect();
        if terms.len() == 1 {
            terms.pop().unwrap_or(TypeExpr {
                kind: TypeKind::Union(Vec::new()),
                span,
            })
        } else {
            TypeExpr {
                kind: TypeKind::Union(terms),
                span,
            }
        }
    }

    fn type_term(&self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut c = Children::of(pair);
        let Some(primary) = c.next() else {
            self.bug(span, "empty type");
            return TypeExpr {
                kind: TypeKind::Union(Vec::new()),
                span,
            };
        };
        let inner = self.type_primary(primary);
        if c.optional(Rule::optional_mark).is_some() {
            TypeExpr {
                kind: TypeKind::Optional(Box::new(inner)),
                span,
            }
        } else {
            inner
        }
    }

    fn type_primary(&self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::string => {
                let literal = self.string(pair);
                match literal.as_ref().map(StringLit::as_plain) {
                    Some(Some(text)) => TypeKind::Literal(text),
                    Some(None) => {
                        self.report(
                            Diagnostic::new(
                                &codes::E0008,
                                span,
                                "a literal type cannot contain an interpolation",
                            )
                            .label("interpolated literal type")
                            .help("write the literal as plain text: a type is known when the program is read"),
                        );
                        TypeKind::Literal(String::new())
                    }
                    // The string's own error is already reported.
                    None => TypeKind::Literal(String::new()),
                }
            }
            Rule::type_path => TypeKind::Path(self.type_path(pair)),
            Rule::list_type | Rule::map_type | Rule::paren_type => {
                match Children::of(pair).next() {
                    Some(p) => {
                        let inner = Box::new(self.type_expr(p));
                        match rule {
                            Rule::list_type => TypeKind::List(inner),
                            Rule::map_type => TypeKind::Map(inner),
                            _ => TypeKind::Paren(inner),
                        }
                    }
                    None => {
                        self.bug(span, "empty type");
                        TypeKind::Union(Vec::new())
                    }
                }
            }
            Rule::object_type => TypeKind::Object(
                Children::of(pair)
                    .rest()
                    .filter_map(|f| {
                        let mut c = Children::of(f);
                        let key = self.key(c.next()?)?;
                        let optional = c.optional(Rule::optional_mark).is_some();
                        let ty = self.type_expr(c.next()?);
                        Some(FieldType { key, optional, ty })
                    })
                    .collect(),
            ),
            _ => {
                self.bug(span, "unexpected type");
                TypeKind::Union(Vec::new())
            }
        };
        TypeExpr { kind, span }
    }

    fn type_path(&self, pair: Pair<Rule>) -> TypePath {
        let span = self.span(&pair);
        let mut segments = Vec::new();
        let mut separator = PathSeparator::Dot;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::path_sep => {
                    if p.as_str() == "::" {
                        separator = PathSeparator::Colons;
                    }
                }
                _ => segments.push(self.ident(p)),
            }
        }
        TypePath {
            segments,
            separator,
            span,
        }
    }

    // ------------------------------------------------------------- expressions

    pub fn expr(&self, pair: Pair<Rule>) -> Expr {
        let (expr, depth) = self.expr_with_depth(pair);
        self.inner_tree.set(self.inner_tree.get().max(depth.tree));
        expr
    }

    /// Runs `f`, which lowers expressions of their own (an object's values,
    /// a comprehension's parts, a string's interpolations): their nesting
    /// starts again, but their tree is part of the one around them, so it
    /// is returned to be counted there.
    fn scoped<T>(&self, f: impl FnOnce() -> T) -> (T, u32) {
        let outer = self.inner_tree.replace(0);
        let out = f();
        (out, self.inner_tree.replace(outer))
    }

    fn error_expr(span: Span) -> (Expr, Depth) {
        (
            Expr {
                kind: ExprKind::Error,
                span,
            },
            Depth::LEAF,
        )
    }

    /// Wrap `kind` one level above `depth`, refusing trees deeper than the limit.
    fn node(&self, kind: ExprKind, span: Span, depth: Depth) -> (Expr, Depth) {
        self.within_limits(Expr { kind, span }, depth.above())
    }

    /// `lhs op rhs`: one level above its operands, but where `lhs` is a
    /// chain of operators of the same power, a link of that chain.
    fn binary(&self, op: BinaryOp, lhs: (Expr, Depth), rhs: (Expr, Depth)) -> (Expr, Depth) {
        let ((lhs, ld), (rhs, rd)) = (lhs, rhs);
        let span = lhs.span.to(rhs.span);
        let depth = ld.link(&lhs, op, rd);
        let kind = ExprKind::Binary(op, Box::new(lhs), Box::new(rhs));
        self.within_limits(Expr { kind, span }, depth)
    }

    fn within_limits(&self, expr: Expr, depth: Depth) -> (Expr, Depth) {
        if depth.allowed() {
            return (expr, depth);
        }
        if !self.reported_depth.replace(true) {
            let diagnostic = if depth.nesting > MAX_EXPR_DEPTH {
                Diagnostic::new(&codes::E0004, expr.span, "expression nested too deeply")
                    .label("this expression")
                    .note(format!(
                        "expressions may nest at most {MAX_EXPR_DEPTH} operators deep; a chain of one operator without parentheses counts once"
                    ))
            } else {
                Diagnostic::new(&codes::E0004, expr.span, "expression too long")
                    .label("this expression")
                    .note(format!(
                        "an expression may hold at most {MAX_EXPR_TREE} operators one inside another, a chain's counted one by one"
                    ))
            };
            self.report(diagnostic.help("split the expression with `let` declarations"));
        }
        Self::error_expr(expr.span)
    }

    fn expr_with_depth(&self, pair: Pair<Rule>) -> (Expr, Depth) {
        let pairs = pair.into_inner().filter(|p| p.as_rule() != Rule::COMMENT);
        PRATT
            .map_primary(|p| self.postfix_expr(p))
            .map_prefix(|op, (rhs, depth)| {
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::neg {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                self.node(ExprKind::Unary(op, Box::new(rhs)), span, depth)
            })
            .map_infix(|(lhs, ld), op, (rhs, rd)| {
                let span = lhs.span.to(rhs.span);
                let depth = ld.max(rd);
                let kind = match op.as_rule() {
                    Rule::ternary => {
                        let Some(then) = Children::of(op).next() else {
                            self.bug(span, "conditional without a value");
                            return Self::error_expr(span);
                        };
                        let (then, td) = self.expr_with_depth(then);
                        return self.node(
                            ExprKind::Conditional(Box::new(lhs), Box::new(then), Box::new(rhs)),
                            span,
                            depth.max(td),
                        );
                    }
                    Rule::range => {
                        return self.node(
                            ExprKind::Range(Box::new(lhs), Box::new(rhs)),
                            span,
                            depth,
                        );
                    }
                    Rule::or => BinaryOp::Or,
                    Rule::and => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::Ne,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::Le,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::Ge,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                self.binary(kind, (lhs, ld), (rhs, rd))
            })
            .parse(pairs)
    }

    fn postfix_expr(&self, pair: Pair<Rule>) -> (Expr, Depth) {
        let span = self.span(&pair);
        let mut c = Children::of(pair);
        let Some(primary) = c.next() else {
            self.bug(span, "empty expression");
            return Self::error_expr(span);
        };
        let (mut expr, mut depth) = self.primary(primary);
        for post in c.rest() {
            let post_span = self.span(&post);
            let span = expr.span.to(post_span);
            let kind = match post.as_rule() {
                Rule::member => match Children::of(post).next() {
                    Some(name) => ExprKind::Member(Box::new(expr), self.ident(name)),
                    None => {
                        self.bug(post_span, "member without a name");
                        ExprKind::Error
                    }
                },
                Rule::index => match Children::of(post).next() {
                    Some(index) => {
                        let (index, d) = self.expr_with_depth(index);
                        depth = depth.max(d);
                        ExprKind::Index(Box::new(expr), Box::new(index))
                    }
                    None => {
                        self.bug(post_span, "index without a value");
                        ExprKind::Error
                    }
                },
                _ => {
                    let mut args = Vec::new();
                    for arg in Children::of(post).rest() {
                        let (arg, d) = self.expr_with_depth(arg);
                        depth = depth.max(d);
                        args.push(arg);
                    }
                    ExprKind::Call(Box::new(expr), args)
                }
            };
            (expr, depth) = self.node(kind, span, depth);
        }
        (expr, depth)
    }

    fn primary(&self, pair: Pair<Rule>) -> (Expr, Depth) {
        let span = self.span(&pair);
        let leaf = |kind| (Expr { kind, span }, Depth::LEAF);
        match pair.as_rule() {
            Rule::kw_true => leaf(ExprKind::Bool(true)),
            Rule::kw_false => leaf(ExprKind::Bool(false)),
            Rule::kw_null => leaf(ExprKind::Null),
            Rule::ident => leaf(ExprKind::Name(self.ident(pair))),
            Rule::float => leaf(ExprKind::Number(pair.as_str().to_string())),
            Rule::int => match pair.as_str().parse::<i64>() {
                Ok(n) => leaf(ExprKind::Int(n)),
                Err(_) => {
                    self.report(
                        Diagnostic::new(&codes::E0007, span, "integer literal is too large")
                            .label("does not fit in 64 bits")
                            .note(format!("the largest integer is {}", i64::MAX)),
                    );
                    Self::error_expr(span)
                }
            },
            Rule::string | Rule::mstring => match self.scoped(|| self.string(pair)) {
                (Some(s), inner) => self.within_limits(
                    Expr {
                        kind: ExprKind::Str(s),
                        span,
                    },
                    Depth::string(inner),
                ),
                (None, _) => Self::error_expr(span),
            },
            Rule::paren => match Children::of(pair).next() {
                Some(inner) => {
                    let (inner, d) = self.expr_with_depth(inner);
                    self.node(ExprKind::Paren(Box::new(inner)), span, d)
                }
                None => Self::error_expr(span),
            },
            Rule::list => {
                let mut depth = Depth::NONE;
                let mut items = Vec::new();
                for p in Children::of(pair).rest() {
                    let (e, d) = self.expr_with_depth(p);
                    depth = depth.max(d);
                    items.push(e);
                }
                self.node(ExprKind::List(items), span, depth)
            }
            Rule::object => {
                let (entries, inner) = self.scoped(|| {
                    let mut entries = Vec::new();
                    for p in Children::of(pair).rest() {
                        if let Some(prop) = self.property(p) {
                            entries.push(prop);
                        }
                    }
                    entries
                });
                self.node(ExprKind::Object(entries), span, Depth::entries(inner))
            }
            Rule::list_comp | Rule::object_comp => {
                let is_object = pair.as_rule() == Rule::object_comp;
                match self.scoped(|| self.comprehension(pair, is_object)) {
                    (Some((comp, value)), inner) => {
                        let kind = match value {
                            Some(value) => ExprKind::ObjectComp(Box::new(comp), Box::new(value)),
                            None => ExprKind::ListComp(Box::new(comp)),
                        };
                        self.node(kind, span, Depth::comprehension(inner))
                    }
                    (None, _) => {
                        self.bug(span, "malformed comprehension");
                        Self::error_expr(span)
                    }
                }
            }
            _ => {
                self.bug(span, "unexpected expression");
                Self::error_expr(span)
            }
        }
    }

    fn comprehension(
        &self,
        pair: Pair<Rule>,
        is_object: bool,
    ) -> Option<(Comprehension, Option<Expr>)> {
        let mut c = Children::of(pair);
        let binding = self.binding(c.optional(Rule::binding)?)?;
        let iterable = self.expr(c.optional(Rule::expr)?);
        let filter = match c.optional(Rule::comp_filter) {
            Some(f) => Some(self.expr(Children::of(f).next()?)),
            None => None,
        };
        let body = self.expr(c.optional(Rule::expr)?);
        let value = if is_object {
            Some(self.expr(c.optional(Rule::expr)?))
        } else {
            None
        };
        Some((
            Comprehension {
                binding,
                iterable,
                filter,
                body,
            },
            value,
        ))
    }

    // ----------------------------------------------------------------- strings

    pub fn string(&self, pair: Pair<Rule>) -> Option<StringLit> {
        let span = self.span(&pair);
        let multiline = pair.as_rule() == Rule::mstring;
        let mut parts: Vec<StrPart> = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::str_text | Rule::mstr_text => push_text(&mut parts, p.as_str()),
                Rule::escape => {
                    let other = &p.as_str()[1..];
                    let text = match known_escape(other) {
                        Some(text) => text,
                        None => {
                            self.report(
                                Diagnostic::new(
                                    &codes::E0006,
                                    self.span(&p),
                                    format!("unknown escape sequence `\\{other}`"),
                                )
                                .label("unknown escape")
                                .help("the escapes are \\n \\t \\r \\0 \\\\ \\\" and \\$; write `\\\\` for a backslash"),
                            );
                            other
                        }
                    };
                    push_text(&mut parts, text);
                }
                Rule::interp => match Children::of(p).next() {
                    Some(e) => parts.push(StrPart::Interp(self.expr(e))),
                    None => self.bug(span, "empty interpolation"),
                },
                _ => {}
            }
        }
        if multiline {
            parts = dedent(parts);
        }
        Some(StringLit {
            parts,
            multiline,
            span,
        })
    }
}

/// The `///` lines written just above `start` in `text`, joined; `comments`
/// are the file's comments before `start` (at least), in source order.
/// Shared with the hand-written parser in `fast.rs`.
pub(super) fn doc_before(text: &str, comments: &[Comment], start: usize) -> Option<String> {
    let end_index = comments.partition_point(|c| (c.span.end as usize) <= start);
    let mut lines = Vec::new();
    let mut cursor = start;
    for comment in comments[..end_index].iter().rev() {
        let between = &text[comment.span.end as usize..cursor];
        if comment.kind != CommentKind::Doc || !between.trim().is_empty() {
            break;
        }
        if between.matches('\n').count() > 1 {
            break;
        }
        lines.push(comment.doc_text());
        cursor = comment.span.start as usize;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// What a known escape sequence (the character after the backslash) stands for.
pub(super) fn known_escape(escaped: &str) -> Option<&'static str> {
    Some(match escaped {
        "n" => "\n",
        "t" => "\t",
        "r" => "\r",
        "\\" => "\\",
        "\"" => "\"",
        "$" => "$",
        "0" => "\0",
        _ => return None,
    })
}

/// Appends `text` to the last part when it is text, else as a new part.
pub(super) fn push_text(parts: &mut Vec<StrPart>, text: &str) {
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(StrPart::Text(text.to_string()));
    }
}

/// Removes a multi-line string's common indentation, the line break after the
/// opening quotes and the whitespace-only line before the closing quotes.
pub(super) fn dedent(mut parts: Vec<StrPart>) -> Vec<StrPart> {
    // Drop the first line break (and trailing spaces before it).
    if let Some(StrPart::Text(first)) = parts.first_mut() {
        let trimmed = first.trim_start_matches([' ', '\t']);
        if let Some(rest) = trimmed.strip_prefix('\n') {
            *first = rest.to_string();
        } else if let Some(rest) = trimmed.strip_prefix("\r\n") {
            *first = rest.to_string();
        }
    }
    // Drop the indentation before the closing quotes.
    if let Some(StrPart::Text(last)) = parts.last_mut()
        && let Some(pos) = last.rfind('\n')
        && last[pos + 1..].trim().is_empty()
    {
        last.truncate(pos + 1);
    }
    // Common indentation of lines that have content; blank lines do not count.
    let mut indent: Option<usize> = None;
    let mut at_line_start = true;
    let mut width = 0;
    let mut note = |width: usize| indent = Some(indent.map_or(width, |w: usize| w.min(width)));
    for part in &parts {
        match part {
            StrPart::Text(text) => {
                for ch in text.chars() {
                    match ch {
                        '\n' => {
                            at_line_start = true;
                            width = 0;
                        }
                        ' ' | '\t' if at_line_start => width += 1,
                        _ if at_line_start => {
                            note(width);
                            at_line_start = false;
                        }
                        _ => {}
                    }
                }
            }
            StrPart::Interp(_) if at_line_start => {
                note(width);
                at_line_start = false;
            }
            StrPart::Interp(_) => {}
        }
    }
    let indent = indent.unwrap_or(0);
    if indent == 0 {
        return parts;
    }
    let mut at_line_start = true;
    for part in &mut parts {
        match part {
            StrPart::Text(text) => {
                let mut out = String::with_capacity(text.len());
                for (i, line) in text.split('\n').enumerate() {
                    if i > 0 {
                        out.push('\n');
                        at_line_start = true;
                    }
                    if at_line_start {
                        let width = line.len() - line.trim_start_matches([' ', '\t']).len();
                        out.push_str(&line[width.min(indent)..]);
                        if !line.is_empty() {
                            at_line_start = false;
                        }
                    } else {
                        out.push_str(line);
                    }
                }
                *text = out;
            }
            StrPart::Interp(_) => at_line_start = false,
        }
    }
    parts
}
