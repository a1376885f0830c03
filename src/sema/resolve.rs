//! Name resolution within one file, the only walk of its scopes: it gives
//! every declaration an id and every name the declaration it refers to
//! ([`Names`]), and reports duplicate declarations, references to names
//! that do not exist (with a did-you-mean), and unused params and lets.
//!
//! Member access (`web.private_ip`) is checked against schemas by the type
//! checker; here only the leading name of a reference is resolved. Callees of
//! calls are built-in functions, checked with them.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use super::names::{DeclId, DeclKind, Names, Place};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::*;

/// Names every program can refer to: the stdlib namespaces.
pub const NAMESPACES: &[&str] = &[
    "network", "compute", "storage", "lb", "dns", "database", "queue", "secret", "deploy",
];

struct Decl {
    id: DeclId,
    kind: DeclKind,
    span: Span,
    used: bool,
}

/// Which items a scope declares, for each declaration's [`Place`].
#[derive(Clone, Copy)]
enum Items {
    File,
    Component(u32),
    Target { component: Option<u32>, block: u32 },
}

impl Items {
    fn place(self, item: usize) -> Place {
        let item = item as u32;
        match self {
            Items::File => Place::File(item),
            Items::Component(component) => Place::Component { component, item },
            Items::Target { component, block } => Place::Target {
                component,
                block,
                item,
            },
        }
    }
}

#[derive(Default)]
struct Scope<'a> {
    names: IndexMap<&'a str, Decl, FxBuildHasher>,
    /// A component's own scope: the params, lets and resources of the
    /// scopes around it are not the component's to read.
    component: Option<&'a Ident>,
}

/// Did-you-mean compares a name with every name in scope; past this many
/// distinct unknown names in a file, suggestions stop, so that a generated
/// file full of unknown names stays linear.
const MAX_SUGGESTION_SEARCHES: usize = 100;

/// The names a top-level item is expected to declare and read, for the
/// tables' first capacity.
const REFS_PER_ITEM: usize = 4;

struct Resolver<'a> {
    names: Names,
    scopes: Vec<Scope<'a>>,
    diagnostics: Vec<Diagnostic>,
    /// Suggestions already searched for, by unknown name.
    suggestions: IndexMap<String, Option<String>, FxBuildHasher>,
}

/// Resolves the names of one parsed file.
pub fn resolve(file: &SourceFile) -> (Names, Vec<Diagnostic>) {
    // Room for a declaration per top-level item and a few names each: one
    // growth of the tables less, or none, on a large file.
    let items = file.items.len();
    let mut resolver = Resolver {
        names: Names::with_capacity(items, items * REFS_PER_ITEM),
        scopes: Vec::new(),
        diagnostics: Vec::new(),
        suggestions: IndexMap::default(),
    };
    resolver.items(&file.items, Items::File, None);
    (resolver.names, resolver.diagnostics)
}

impl<'a> Resolver<'a> {
    fn declare(&mut self, name: &'a Ident, kind: DeclKind, place: Place) {
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
        let id = self.names.declare(name, kind, place);
        let scope = self.scopes.last_mut().expect("a scope is open");
        scope.names.insert(
            &name.name,
            Decl {
                id,
                kind,
                span: name.span,
                used: false,
            },
        );
    }

    fn with_scope(&mut self, capacity: usize, body: impl FnOnce(&mut Self)) -> Scope<'a> {
        self.scopes.push(Scope {
            names: IndexMap::with_capacity_and_hasher(capacity, FxBuildHasher),
            component: None,
        });
        body(self);
        self.scopes.pop().unwrap_or_default()
    }

    /// Declares every item of a block first (order does not matter in
    /// Infra), then resolves their bodies.
    fn items(&mut self, items: &'a [Item], of: Items, component: Option<&'a Ident>) {
        let scope = self.with_scope(items.len(), |r| {
            if let Some(scope) = r.scopes.last_mut() {
                scope.component = component;
            }
            r.items_in_open_scope(items, of)
        });
        if matches!(of, Items::File) {
            self.report_unused(&scope);
        }
    }

    fn items_in_open_scope(&mut self, items: &'a [Item], of: Items) {
        let mut outputs: IndexMap<&str, Span> = IndexMap::new();
        for (index, item) in items.iter().enumerate() {
            let place = of.place(index);
            match &item.kind {
                ItemKind::Import(i) => self.declare(&i.alias, DeclKind::Import, place),
                ItemKind::Param(p) => self.declare(&p.name, DeclKind::Param, place),
                ItemKind::Let(l) => self.declare(&l.name, DeclKind::Let, place),
                ItemKind::Resource(r) => self.declare(&r.name, DeclKind::Resource, place),
                ItemKind::Component(c) => self.declare(&c.name, DeclKind::Component, place),
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
        for (index, item) in items.iter().enumerate() {
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
                            s.opt_expr(guard.key.as_deref());
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
                ItemKind::Component(c) => {
                    self.items(&c.items, Items::Component(index as u32), Some(&c.name))
                }
                ItemKind::Target(t) => {
                    let component = match of {
                        Items::Component(component) => Some(component),
                        _ => None,
                    };
                    let block = Items::Target {
                        component,
                        block: index as u32,
                    };
                    let _ =
                        self.with_scope(t.items.len(), |s| s.items_in_open_scope(&t.items, block));
                }
                ItemKind::Unsupported(u) => self.opt_expr(u.condition.as_ref()),
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
        self.declare(&binding.first, DeclKind::Binding, Place::Loop);
        if let Some(second) = &binding.second {
            self.declare(second, DeclKind::Binding, Place::Loop);
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
        let mut inside: Option<&Ident> = None;
        for scope in self.scopes.iter_mut().rev() {
            if let Some(decl) = scope.names.get_mut(name.name.as_str()) {
                decl.used = true;
                let (id, kind, span) = (decl.id, decl.kind, decl.span);
                self.names.refer(name, id);
                let value = matches!(kind, DeclKind::Param | DeclKind::Let | DeclKind::Resource);
                if let Some(component) = inside.filter(|_| value) {
                    self.outside_component(name, component, kind, span);
                }
                return;
            }
            inside = inside.or(scope.component);
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

    fn outside_component(&mut self, name: &Ident, component: &Ident, kind: DeclKind, at: Span) {
        let what = kind.describe();
        let help = match kind {
            DeclKind::Resource => format!(
                "give the component a param for the resource (`param {0}: TYPE`) and pass `{0} = {0}` at each instance",
                name.name
            ),
            _ => format!(
                "declare `param {0}` in `{1}` and pass `{0} = {0}` at each instance",
                name.name, component.name
            ),
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0109,
                name.span,
                format!(
                    "`{}` is a {what} declared outside component `{}`",
                    name.name, component.name
                ),
            )
            .label(format!("not in `{}`'s scope", component.name))
            .secondary(at, format!("the {what} is declared here"))
            .note("a component reads only its own params, lets and resources, so that an instance is built from its arguments alone")
            .help(help),
        );
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
