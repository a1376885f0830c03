//! Name resolution within one file: duplicate declarations, references to
//! names that do not exist (with a did-you-mean), and unused params and lets.
//!
//! Member access (`web.private_ip`) is checked against schemas by the type
//! checker; here only the leading name of a reference is resolved. Callees of
//! calls are built-in functions, checked with them.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::*;

/// Names every program can refer to: the stdlib namespaces.
pub const NAMESPACES: &[&str] = &[
    "network", "compute", "storage", "lb", "dns", "database", "queue", "secret", "deploy",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeclKind {
    Param,
    Let,
    Resource,
    Import,
    Component,
    Binding,
}

impl DeclKind {
    fn describe(self) -> &'static str {
        match self {
            DeclKind::Param => "param",
            DeclKind::Let => "let",
            DeclKind::Resource => "resource",
            DeclKind::Import => "import",
            DeclKind::Component => "component",
            DeclKind::Binding => "loop variable",
        }
    }
}

struct Decl {
    kind: DeclKind,
    span: Span,
    used: bool,
}

#[derive(Default)]
struct Scope<'a> {
    names: IndexMap<&'a str, Decl, FxBuildHasher>,
}

/// Did-you-mean compares a name with every name in scope; past this many
/// distinct unknown names in a file, suggestions stop, so that a generated
/// file full of unknown names stays linear.
const MAX_SUGGESTION_SEARCHES: usize = 100;

struct Resolver<'a> {
    scopes: Vec<Scope<'a>>,
    diagnostics: Vec<Diagnostic>,
    /// Suggestions already searched for, by unknown name.
    suggestions: IndexMap<String, Option<String>, FxBuildHasher>,
}

/// Resolves the names of one parsed file.
pub fn resolve(file: &SourceFile) -> Vec<Diagnostic> {
    let mut resolver = Resolver {
        scopes: Vec::new(),
        diagnostics: Vec::new(),
        suggestions: IndexMap::default(),
    };
    resolver.items(&file.items, true);
    resolver.diagnostics
}

impl<'a> Resolver<'a> {
    fn declare(&mut self, name: &'a Ident, kind: DeclKind) {
        let scope = self.scopes.last_mut().expect("a scope is open");
        if let Some(earlier) = scope.names.get(name.name.as_str()) {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0101,
                    name.span,
                    format!("`{}` is declared twice", name.name),
                )
                .label(format!("second declaration of `{}`", name.name))
                .secondary(
                    earlier.span,
                    format!("first declared here as a {}", earlier.kind.describe()),
                )
                .help(
                    "rename one of them; params, lets, resources and imports share one namespace",
                ),
            );
            return;
        }
        scope.names.insert(
            &name.name,
            Decl {
                kind,
                span: name.span,
                used: false,
            },
        );
    }

    fn with_scope(&mut self, capacity: usize, body: impl FnOnce(&mut Self)) -> Scope<'a> {
        self.scopes.push(Scope {
            names: IndexMap::with_capacity_and_hasher(capacity, FxBuildHasher),
        });
        body(self);
        self.scopes.pop().unwrap_or_default()
    }

    /// Declares every item of a block first (order does not matter in
    /// Infra), then resolves their bodies.
    fn items(&mut self, items: &'a [Item], top_level: bool) {
        let scope = self.with_scope(items.len(), |r| r.items_in_open_scope(items));
        if top_level {
            self.report_unused(&scope);
        }
    }

    fn items_in_open_scope(&mut self, items: &'a [Item]) {
        let mut outputs: IndexMap<&str, Span> = IndexMap::new();
        for item in items {
            match &item.kind {
                ItemKind::Import(i) => self.declare(&i.alias, DeclKind::Import),
                ItemKind::Param(p) => self.declare(&p.name, DeclKind::Param),
                ItemKind::Let(l) => self.declare(&l.name, DeclKind::Let),
                ItemKind::Resource(r) => self.declare(&r.name, DeclKind::Resource),
                ItemKind::Component(c) => self.declare(&c.name, DeclKind::Component),
                ItemKind::Output(o) => {
                    if let Some(earlier) = outputs.insert(&o.name.name, o.name.span) {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0101,
                                o.name.span,
                                format!("output `{}` is declared twice", o.name.name),
                            )
                            .label("second output of this name")
                            .secondary(earlier, "first declared here"),
                        );
                    }
                }
                _ => {}
            }
        }
        for item in items {
            match &item.kind {
                ItemKind::Param(p) => {
                    self.opt_expr(p.default.as_ref());
                    self.block(p.options.as_ref());
                }
                ItemKind::Let(l) => self.expr(&l.value),
                ItemKind::Resource(r) => match &r.for_guard {
                    Some(guard) => {
                        let _ = self.with_scope(0, |s| {
                            s.expr(&guard.iterable);
                            s.binding(&guard.binding);
                            s.opt_expr(r.if_guard.as_ref());
                            s.block(Some(&r.body));
                        });
                    }
                    // Nothing to bind: no scope of its own.
                    None => {
                        self.opt_expr(r.if_guard.as_ref());
                        self.block(Some(&r.body));
                    }
                },
                ItemKind::Output(o) => {
                    self.opt_expr(o.value.as_ref());
                    self.block(o.options.as_ref());
                }
                ItemKind::Component(c) => self.items(&c.items, false),
                ItemKind::Target(t) => {
                    let _ = self.with_scope(t.items.len(), |s| s.items_in_open_scope(&t.items));
                }
                ItemKind::Native(n) => {
                    for member in &n.members {
                        match &member.kind {
                            MemberKind::Setting(p) => self.expr(&p.value),
                            MemberKind::Property(f) | MemberKind::Attribute(f) => {
                                self.opt_expr(f.value.as_ref())
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn report_unused(&mut self, scope: &Scope) {
        for (name, decl) in &scope.names {
            if decl.used || name.starts_with('_') {
                continue;
            }
            if matches!(decl.kind, DeclKind::Param | DeclKind::Let) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::W0101,
                        decl.span,
                        format!("{} `{name}` is never used", decl.kind.describe()),
                    )
                    .label("declared here and never read")
                    .help("remove it, or start its name with `_` to keep it unused on purpose"),
                );
            }
        }
    }

    fn binding(&mut self, binding: &'a Binding) {
        self.declare(&binding.first, DeclKind::Binding);
        if let Some(second) = &binding.second {
            self.declare(second, DeclKind::Binding);
        }
        // Loop variables that are not read are common (`for _ in ...`).
        if let Some(scope) = self.scopes.last_mut() {
            for decl in scope.names.values_mut() {
                if decl.kind == DeclKind::Binding {
                    decl.used = true;
                }
            }
        }
    }

    fn block(&mut self, block: Option<&'a Block>) {
        for property in block.into_iter().flat_map(|b| &b.properties) {
            self.expr(&property.value);
        }
    }

    fn opt_expr(&mut self, expr: Option<&'a Expr>) {
        if let Some(expr) = expr {
            self.expr(expr);
        }
    }

    fn reference(&mut self, name: &Ident) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(decl) = scope.names.get_mut(name.name.as_str()) {
                decl.used = true;
                return;
            }
        }
        if NAMESPACES.contains(&name.name.as_str()) {
            return;
        }
        let mut diagnostic = Diagnostic::new(
            &codes::E0102,
            name.span,
            format!("unknown name `{}`", name.name),
        )
        .label("not declared in this scope");
        if let Some(near) = self.suggestion(&name.name) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        self.diagnostics.push(diagnostic);
    }

    fn suggestion(&mut self, name: &str) -> Option<String> {
        if let Some(found) = self.suggestions.get(name) {
            return found.clone();
        }
        if self.suggestions.len() >= MAX_SUGGESTION_SEARCHES {
            return None;
        }
        let candidates = self
            .scopes
            .iter()
            .flat_map(|s| s.names.keys().copied())
            .chain(NAMESPACES.iter().copied());
        let found = suggest::best_match(name, candidates).map(str::to_string);
        self.suggestions.insert(name.to_string(), found.clone());
        found
    }

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Name(name) => self.reference(name),
            ExprKind::ListComp(comp) => self.comprehension(comp, None),
            ExprKind::ObjectComp(comp, value) => self.comprehension(comp, Some(value)),
            _ => expr.for_each_operand(|e| self.expr(e)),
        }
    }

    fn comprehension(&mut self, comp: &'a Comprehension, value: Option<&'a Expr>) {
        self.expr(&comp.iterable);
        let _ = self.with_scope(0, |s| {
            s.binding(&comp.binding);
            s.opt_expr(comp.filter.as_ref());
            s.expr(&comp.body);
            s.opt_expr(value);
        });
    }
}
