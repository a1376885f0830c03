//! Expressions: types inferred bottom-up and checked against what is
//! expected where the mistake is (list and object literals, each branch of
//! a conditional); names, attributes, operators, built-in calls,
//! comprehensions, and narrowing by `x != null`.

use std::sync::Arc;

use super::secrets::Secret;
use super::{Checker, Entry, Scope};
use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::names::DeclKind;
use crate::sema::resolve::NAMESPACES;
use crate::sema::schema::Field;
use crate::sema::ty::{Fields, Ty, accepts};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::*;

impl Checker<'_> {
    /// Reports a type mismatch unless `found` fits `expected`.
    pub(super) fn expect(
        &mut self,
        expected: &Ty,
        found: &Ty,
        span: Span,
        field: Option<(&str, &Field)>,
    ) {
        if accepts(expected, found) {
            return;
        }
        let (e, f) = (self.show(expected), self.show(found));
        let mut diagnostic =
            Diagnostic::new(&codes::E0203, span, format!("expected `{e}`, found `{f}`"))
                .label(format!("this is `{f}`"));
        if let Some((name, field)) = field {
            diagnostic = diagnostic.secondary(field.span, format!("`{name}` is declared as `{e}`"));
        }
        if let Ty::Resource(id) = found
            && expected.is_stringy()
        {
            self.ensure_fields(*id);
            let attributes: Vec<String> = self.schemas[id.0 as usize]
                .outputs
                .iter()
                .filter(|(_, f)| f.ty.is_stringy())
                .map(|(name, _)| format!("`.{name}`"))
                .collect();
            diagnostic = diagnostic.help(format!(
                "this is a resource; read one of its attributes: {}",
                attributes.join(", ")
            ));
        }
        self.diagnostics.push(diagnostic);
    }

    /// Checks a value against an expected type, reporting a mismatch where
    /// it is.
    pub(super) fn check_value(
        &mut self,
        scope: &mut Scope,
        expr: &Expr,
        expected: &Ty,
        field: Option<(&str, &Field)>,
    ) {
        // Each branch of a conditional is checked against what is expected,
        // where it is: their join may hide a mistake in one of them.
        if let ExprKind::Conditional(c, a, b) = &expr.kind {
            self.branches(scope, c, a, b, |s, scope, branch| {
                s.check_value(scope, branch, expected, field)
            });
            if self.keep_types {
                self.types.insert(expr.span, expected.clone());
                self.record_stage(scope, expr);
            }
            return;
        }
        if let Some(found) = self.check_expr(scope, expr, expected) {
            self.expect(expected, &found, expr.span, field);
        }
    }

    /// Checks a value against an expected type, descending into list and
    /// object literals so a mistake is reported where it is; returns the
    /// type to compare with `expected`, or `None` when the value was checked
    /// here (a literal of the expected shape).
    pub(super) fn check_expr(
        &mut self,
        scope: &mut Scope,
        expr: &Expr,
        expected: &Ty,
    ) -> Option<Ty> {
        let checked = match (&expr.kind, expected.non_optional()) {
            (ExprKind::List(items), Ty::List(element)) => {
                for item in items {
                    self.check_value(scope, item, element, None);
                }
                None
            }
            (ExprKind::Object(props), Ty::Object(fields)) => {
                // Which fields are set, by index.
                let mut seen = vec![false; fields.len()];
                for p in props {
                    match fields.get_full(&p.key.name) {
                        Some((index, _, (t, optional))) => {
                            seen[index] = true;
                            // A null in an optional field leaves it out.
                            if *optional {
                                self.check_value(scope, &p.value, &Ty::optional(t.clone()), None);
                            } else {
                                self.check_value(scope, &p.value, t, None);
                            }
                        }
                        None => {
                            let _ = self.infer(scope, &p.value);
                            let mut d = Diagnostic::new(
                                &codes::E0201,
                                p.key.span,
                                format!("unknown field `{}`", p.key.name),
                            )
                            .label(format!("not a field of `{}`", self.show(expected)));
                            d = d.did_you_mean(&p.key.name, fields.keys().map(String::as_str));
                            self.diagnostics.push(d);
                        }
                    }
                }
                for ((name, (_, optional)), seen) in fields.iter().zip(seen) {
                    if !optional && !seen {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0202,
                                expr.span,
                                format!("missing required field `{name}`"),
                            )
                            .label(format!("`{name}` is not set"))
                            .help(format!("set it: `{name} = ...`")),
                        );
                    }
                }
                None
            }
            (ExprKind::Object(props), Ty::Map(value)) => {
                for p in props {
                    self.check_value(scope, &p.value, value, None);
                }
                None
            }
            // Any string fits: no need to build its literal type.
            (ExprKind::Str(s), Ty::String)
                if s.parts.iter().all(|p| matches!(p, StrPart::Text(_))) =>
            {
                None
            }
            _ => return Some(self.infer(scope, expr)),
        };
        // A literal of the expected shape, checked part by part, has the
        // expected type.
        if self.keep_types {
            self.types
                .insert(expr.span, expected.non_optional().clone());
            self.record_stage(scope, expr);
        }
        checked
    }

    pub(super) fn element_type(&mut self, iterable: &Ty, span: Span) -> Ty {
        match iterable.non_optional() {
            Ty::List(t) => (**t).clone(),
            Ty::Map(t) => (**t).clone(),
            // An object literal is a map whose values are its fields'.
            Ty::Object(fields) => fields
                .values()
                .map(|(t, _)| t.clone())
                .reduce(Ty::join)
                .unwrap_or(Ty::Any),
            Ty::Any | Ty::Error => Ty::Any,
            other => {
                let shown = self.show(other);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0203,
                        span,
                        format!("cannot iterate over `{shown}`"),
                    )
                    .label("not a list, a range or a map"),
                );
                Ty::Error
            }
        }
    }

    /// The type of an expression, recorded for later phases and tools
    /// ([`Program::types`](super::Program::types)).
    pub(super) fn infer(&mut self, scope: &mut Scope, expr: &Expr) -> Ty {
        let ty = self.infer_kind(scope, expr);
        if self.keep_types {
            self.types.insert(expr.span, ty.clone());
            self.record_stage(scope, expr);
        }
        ty
    }

    fn infer_kind(&mut self, scope: &mut Scope, expr: &Expr) -> Ty {
        match &expr.kind {
            ExprKind::Null => Ty::Null,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Number(_) => Ty::Number,
            ExprKind::Error => Ty::Error,
            ExprKind::Str(s) => {
                let mut plain = true;
                for part in &s.parts {
                    if let StrPart::Interp(e) = part {
                        plain = false;
                        let t = self.infer(scope, e);
                        if !t.is_scalar() {
                            let shown = self.show(&t);
                            self.diagnostics.push(
                                Diagnostic::new(
                                    &codes::E0203,
                                    e.span,
                                    format!("cannot interpolate a value of type `{shown}`"),
                                )
                                .label("not a string, number or bool")
                                .help(
                                    if matches!(t, Ty::Resource(_)) {
                                        "read one of the resource's attributes, such as `.id`"
                                    } else {
                                        "use `join(\",\", list)` for a list"
                                    },
                                ),
                            );
                        }
                    }
                }
                match s.parts.as_slice() {
                    _ if !plain => Ty::String,
                    [StrPart::Text(text)] => Ty::Literal(text.as_str().into()),
                    _ => Ty::Literal(s.as_plain().unwrap_or_default().into()),
                }
            }
            ExprKind::Name(name) => self.name_type(scope, name),
            ExprKind::List(items) => {
                let mut element: Option<Ty> = None;
                for item in items {
                    let t = self.infer(scope, item);
                    element = Some(match element {
                        None => t,
                        Some(e) => Ty::join(e, t),
                    });
                }
                Ty::list(element.unwrap_or(Ty::Any))
            }
            ExprKind::Object(props) => {
                let mut fields = Fields::default();
                for p in props {
                    let t = self.infer(scope, &p.value);
                    fields.insert(p.key.name.clone(), (t, false));
                }
                Ty::Object(fields.into())
            }
            ExprKind::Member(base, name) => {
                let base_ty = self.infer(scope, base);
                let ty = self.member_type(&base_ty, name, base.span);
                if !scope.non_null.is_empty() && scope.non_null.contains(&canon(expr)) {
                    return ty.non_optional().clone();
                }
                ty
            }
            ExprKind::Index(base, index) => {
                let base_ty = match &base.kind {
                    // Which instance of a repeated resource is read tells
                    // whether it exists.
                    ExprKind::Name(name) => self.name_type_at(scope, name, Some(index)),
                    _ => self.infer(scope, base),
                };
                let index_ty = self.infer(scope, index);
                // Copies keyed by name, read by key or switched among.
                if let ExprKind::Name(name) = &base.kind
                    && let Ty::List(t) = base_ty.non_optional()
                    && !matches!(index_ty.non_optional(), Ty::Int | Ty::Any)
                    && let Some(keys) = self.copy_keys(scope, name)
                {
                    let element = (**t).clone();
                    self.keyed_index(scope, name, keys, index, &index_ty, &element);
                    return element;
                }
                match base_ty.non_optional() {
                    Ty::List(t) => {
                        self.expect(&Ty::Int, &index_ty, index.span, None);
                        (**t).clone()
                    }
                    Ty::Map(t) => {
                        self.expect(&Ty::String, &index_ty, index.span, None);
                        (**t).clone()
                    }
                    Ty::Object(fields) => match &index.kind {
                        ExprKind::Str(s) => match s.as_plain().and_then(|k| fields.get(&k)) {
                            Some((t, _)) => t.clone(),
                            None => Ty::Any,
                        },
                        _ => Ty::Any,
                    },
                    Ty::Any | Ty::Error => Ty::Any,
                    other => {
                        let shown = self.show(other);
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0203,
                                base.span,
                                format!("cannot index a value of type `{shown}`"),
                            )
                            .label("not a list or a map"),
                        );
                        Ty::Error
                    }
                }
            }
            ExprKind::Call(callee, args) => self.call_type(scope, callee, args),
            ExprKind::Unary(op, operand) => {
                let t = self.infer(scope, operand);
                match op {
                    UnaryOp::Neg => {
                        self.operand(&t, operand.span, "-", Ty::is_numeric, "a number");
                        if t == Ty::Int { Ty::Int } else { Ty::Number }
                    }
                    UnaryOp::Not => {
                        self.operand(&t, operand.span, "!", Ty::is_bool, "a bool");
                        Ty::Bool
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let ta = self.infer(scope, a);
                let tb = self.infer(scope, b);
                self.binary_type(*op, (&ta, a.span), (&tb, b.span))
            }
            ExprKind::Conditional(c, a, b) => {
                let (ta, tb) =
                    self.branches(scope, c, a, b, |s, scope, branch| s.infer(scope, branch));
                Ty::join(ta, tb)
            }
            ExprKind::Range(a, b) => {
                for (e, t) in [(a, self.infer(scope, a)), (b, self.infer(scope, b))] {
                    self.expect(&Ty::Int, &t, e.span, None);
                }
                Ty::list(Ty::Int)
            }
            ExprKind::ListComp(comp) => {
                let body = self.comprehension(scope, comp, None);
                Ty::list(body.0)
            }
            ExprKind::ObjectComp(comp, value) => {
                let (key, value) = self.comprehension(scope, comp, Some(value));
                if !key.is_stringy() {
                    let shown = self.show(&key);
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            comp.body.span,
                            format!("expected `string`, found `{shown}`"),
                        )
                        .label("object keys are strings"),
                    );
                }
                Ty::map(value.unwrap_or(Ty::Any))
            }
            ExprKind::Paren(inner) => self.infer(scope, inner),
        }
    }

    /// Checks the condition of `c ? a : b`, then runs `branch` on `a` and
    /// on `b`, each in the scope it sees: its side of the condition known to
    /// hold, and what the condition tests against null (`x != null ? x : y`,
    /// `a.b != null ? a.b : y`) known not to be null in the branch where it
    /// is not.
    fn branches<T>(
        &mut self,
        scope: &mut Scope,
        c: &Expr,
        a: &Expr,
        b: &Expr,
        mut branch: impl FnMut(&mut Self, &mut Scope, &Expr) -> T,
    ) -> (T, T) {
        let tc = self.infer(scope, c);
        self.expect(&Ty::Bool, &tc, c.span, None);
        let condition = canon(c);
        let (narrow_then, narrow_else) = match null_test(c) {
            Some((tested, true)) => (Some(tested), None),
            Some((tested, false)) => (None, Some(tested)),
            None => (None, None),
        };
        let mut in_branch = |s: &mut Self, scope: &mut Scope, held: String, tested, e| {
            scope.conditions.push(held);
            let narrowed = s.narrow(scope, tested);
            let result = branch(s, scope, e);
            match narrowed {
                Some(Narrowed::Local) => drop(scope.locals.pop()),
                Some(Narrowed::Path) => drop(scope.non_null.pop()),
                None => {}
            }
            scope.conditions.pop();
            result
        };
        let then = in_branch(self, scope, condition.clone(), narrow_then, a);
        let otherwise = in_branch(self, scope, format!("!({condition})"), narrow_else, b);
        (then, otherwise)
    }

    /// Takes `tested` as not null from here: a name through a local of its
    /// type without the `?`, an attribute path through `non_null`. Says
    /// which, for the caller to undo.
    fn narrow(&mut self, scope: &mut Scope, tested: Option<&Expr>) -> Option<Narrowed> {
        let tested = tested?;
        match &tested.kind {
            ExprKind::Name(name) => {
                let id = scope.names.of(name)?;
                let (t, secret) = self.reading_secrets(|s| s.name_type_quiet(scope, name));
                scope.locals.push((id, t.non_optional().clone(), secret));
                Some(Narrowed::Local)
            }
            _ => {
                scope.non_null.push(canon(tested));
                Some(Narrowed::Path)
            }
        }
    }

    /// The type of a name without reporting anything about it.
    fn name_type_quiet(&mut self, scope: &mut Scope, name: &Ident) -> Ty {
        let before = self.diagnostics.len();
        let t = self.name_type(scope, name);
        self.diagnostics.truncate(before);
        t
    }

    fn comprehension(
        &mut self,
        scope: &mut Scope,
        comp: &Comprehension,
        value: Option<&Expr>,
    ) -> (Ty, Option<Ty>) {
        // A comprehension over a secret is secret, whatever its body reads.
        let (iterable, secret) = self.reading_secrets(|s| s.infer(scope, &comp.iterable));
        if let Some(secret) = &secret {
            self.note_secret(secret.clone());
        }
        let before = scope.locals.len();
        let element = self.element_type(&iterable, comp.iterable.span);
        self.record_binding_stage(scope, &comp.binding, &comp.iterable);
        bind(scope, &comp.binding, &iterable, element, secret);
        if let Some(filter) = &comp.filter {
            let t = self.infer(scope, filter);
            self.expect(&Ty::Bool, &t, filter.span, None);
            // The body is read for the elements the filter keeps.
            scope.conditions.push(canon(filter));
        }
        let body = self.infer(scope, &comp.body);
        let value = value.map(|v| self.infer(scope, v));
        if comp.filter.is_some() {
            scope.conditions.pop();
        }
        scope.locals.truncate(before);
        (body, value)
    }

    fn operand(&mut self, t: &Ty, span: Span, op: &str, ok: fn(&Ty) -> bool, wanted: &str) -> bool {
        if ok(t) {
            return true;
        }
        let shown = self.show(t);
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0203,
                span,
                format!("`{op}` needs {wanted}, found `{shown}`"),
            )
            .label(format!("this is `{shown}`")),
        );
        false
    }

    fn binary_type(&mut self, op: BinaryOp, a: (&Ty, Span), b: (&Ty, Span)) -> Ty {
        let sym = op.symbol();
        match op {
            BinaryOp::Or | BinaryOp::And => {
                self.operand(a.0, a.1, sym, Ty::is_bool, "a bool");
                self.operand(b.0, b.1, sym, Ty::is_bool, "a bool");
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !accepts(a.0, b.0) && !accepts(b.0, a.0) {
                    let (ta, tb) = (self.show(a.0), self.show(b.0));
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            a.1.to(b.1),
                            format!("`{sym}` compares `{ta}` with `{tb}`"),
                        )
                        .label("these can never be equal")
                        .note("values of different types are never equal"),
                    );
                }
                Ty::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.operand(a.0, a.1, sym, Ty::is_numeric, "a number");
                self.operand(b.0, b.1, sym, Ty::is_numeric, "a number");
                Ty::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                if op == BinaryOp::Add
                    && (a.0.is_stringy() || b.0.is_stringy())
                    && !matches!(a.0, Ty::Any | Ty::Error)
                    && !matches!(b.0, Ty::Any | Ty::Error)
                {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            a.1.to(b.1),
                            "`+` adds numbers, not strings",
                        )
                        .label("a string operand")
                        .help("join strings with interpolation: \"${a}${b}\""),
                    );
                    return Ty::Error;
                }
                let ok_a = self.operand(a.0, a.1, sym, Ty::is_numeric, "a number");
                let ok_b = self.operand(b.0, b.1, sym, Ty::is_numeric, "a number");
                match (a.0, b.0) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    _ if ok_a && ok_b => Ty::Number,
                    _ => Ty::Error,
                }
            }
        }
    }

    fn name_type(&mut self, scope: &mut Scope, name: &Ident) -> Ty {
        self.name_type_at(scope, name, None)
    }

    /// The type of a name; `index`, when the name is indexed (`a[0]`): which
    /// instance of a repeated resource is read.
    fn name_type_at(&mut self, scope: &mut Scope, name: &Ident, index: Option<&Expr>) -> Ty {
        let resolved = scope.names.lookup(name);
        if let Some((_, t, secret)) = resolved.and_then(|(id, _)| scope.local(id)) {
            if let Some(secret) = secret {
                self.note_secret(secret.through(&name.name, name.span));
            }
            return t.clone();
        }
        match resolved.and_then(|(id, _)| scope.entries.get(id)) {
            Some(Entry::Param(t, secret)) => {
                if let Some(origin) = *secret {
                    self.note_secret(Arc::new(Secret {
                        read: name.span,
                        name: name.name.clone(),
                        source: name.name.clone(),
                        origin,
                        why: format!("`{}` is declared secret here", name.name),
                    }));
                }
                t.clone()
            }
            Some(Entry::Let(index)) => {
                let index = *index;
                let t = self.let_type(scope, index);
                if let Some(secret) = scope.let_secrets.get(&index) {
                    self.note_secret(secret.through(&name.name, name.span));
                }
                t
            }
            Some(Entry::Resource {
                ty,
                condition,
                item,
            }) => {
                let ty = ty.clone();
                if let Some((condition, guard_span)) = condition.as_deref()
                    && !scope.conditions.contains(condition)
                {
                    let (item, guard_span) = (*item, *guard_span);
                    self.may_not_exist(scope, name, index, item, guard_span);
                }
                ty
            }
            Some(Entry::Import) => self.not_a_value(name, "an import", "an import names a file: use its components and type aliases as types, as in `web.WebTier`"),
            None => match resolved.map(|(_, decl)| decl.kind) {
                None if NAMESPACES.contains(&name.name.as_str()) => self.not_a_value(
                    name,
                    "a namespace of portable types",
                    "use its types in a resource, as in `resource net: network.Network { ... }`, and read the resource's attributes",
                ),
                Some(DeclKind::Component) => self.not_a_value(
                    name,
                    "a component",
                    "declare a resource of this component and read its outputs, as in `resource r: NAME { ... }` then `r.OUTPUT`",
                ),
                // Unknown names are reported by the resolver, and names of
                // another scope (E0109) too.
                _ => Ty::Error,
            },
        }
    }

    /// A name that is declared, but not as a value: reported, typed as an
    /// error so that nothing more is said of it.
    fn not_a_value(&mut self, name: &Ident, what: &str, help: &str) -> Ty {
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0108,
                name.span,
                format!("`{}` is {what}, not a value", name.name),
            )
            .label(format!("{what}, used as a value"))
            .help(help.to_string()),
        );
        Ty::Error
    }

    fn member_type(&mut self, base: &Ty, name: &Ident, base_span: Span) -> Ty {
        match base.non_optional() {
            Ty::Resource(id) => {
                self.ensure_fields(*id);
                if self.schemas[id.0 as usize].outputs.contains_key(&name.name)
                    && self.unreadable_attribute(*id, name)
                {
                    return Ty::Error;
                }
                let schema = &self.schemas[id.0 as usize];
                if let Some(field) = schema.outputs.get(&name.name) {
                    let ty = field.ty.clone();
                    if field.secret {
                        let origin = field.span;
                        let why = format!(
                            "`{}` of `{}` is declared sensitive here",
                            name.name, schema.name
                        );
                        let read = base_span.to(name.span);
                        let shown = self.source_text(read);
                        self.note_secret(Arc::new(Secret {
                            read,
                            name: shown.clone(),
                            source: shown,
                            origin,
                            why,
                        }));
                    }
                    return ty;
                }
                let prefix = format!("{}.", name.name);
                let nested: Fields = schema
                    .outputs
                    .iter()
                    .filter_map(|(key, field)| {
                        let rest = key.strip_prefix(&prefix)?;
                        Some((rest.to_string(), (field.ty.clone(), false)))
                    })
                    .collect();
                // `Endpoint.Address` is one attribute, read as a path.
                if !nested.is_empty() {
                    return Ty::Object(nested.into());
                }
                let mut d = Diagnostic::new(
                    &codes::E0204,
                    name.span,
                    format!("`{}` has no attribute `{}`", schema.name, name.name),
                )
                .label("unknown attribute")
                .secondary(schema.span, format!("`{}` is declared here", schema.name));
                if let Some(near) =
                    suggest::best_match(&name.name, schema.outputs.keys().map(String::as_str))
                {
                    d = d.help(format!("did you mean `{near}`?"));
                } else if schema.inputs.contains_key(&name.name) {
                    d = d.note(format!(
                        "`{}` is a property: what a resource is given cannot be read back from it",
                        name.name
                    ));
                }
                self.diagnostics.push(d);
                Ty::Error
            }
            Ty::Object(fields) => match fields.get(&name.name) {
                Some((t, optional)) => {
                    if *optional {
                        Ty::optional(t.clone())
                    } else {
                        t.clone()
                    }
                }
                None => {
                    let mut d = Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("no field `{}` in this object", name.name),
                    )
                    .label("unknown field");
                    d = d.did_you_mean(&name.name, fields.keys().map(String::as_str));
                    self.diagnostics.push(d);
                    Ty::Error
                }
            },
            Ty::Map(t) => (**t).clone(),
            Ty::List(inner) if matches!(**inner, Ty::Resource(_)) => {
                let shown = self.show(base);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("`{shown}` is a list: it has no attribute `{}`", name.name),
                    )
                    .label("read from one element")
                    .secondary(base_span, "a resource with `for` is a list")
                    .help(format!(
                        "index it (`[0].{0}`) or collect every element: `[for x in ...: x.{0}]`",
                        name.name
                    )),
                );
                Ty::Error
            }
            Ty::Any | Ty::Error => Ty::Any,
            other => {
                let shown = self.show(other);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("a value of type `{shown}` has no attribute `{}`", name.name),
                    )
                    .label("no attributes"),
                );
                Ty::Error
            }
        }
    }

    fn call_type(&mut self, scope: &mut Scope, callee: &Expr, args: &[Expr]) -> Ty {
        let arg_types: Vec<Ty> = args.iter().map(|a| self.infer(scope, a)).collect();
        let ExprKind::Name(name) = &callee.kind else {
            let reported = self.diagnostics.len();
            if self.infer(scope, callee) != Ty::Error && self.diagnostics.len() == reported {
                self.diagnostics.push(
                    Diagnostic::new(&codes::E0206, callee.span, "only built-in functions can be called")
                        .label("not a function")
                        .help("call a built-in function by its name, as in `length(xs)` or `cidrsubnet(block, 8, 1)`"),
                );
            }
            return Ty::Error;
        };
        let Some(builtin) = Builtin::from_name(&name.name) else {
            let mut d = Diagnostic::new(
                &codes::E0206,
                name.span,
                format!("unknown function `{}`", name.name),
            )
            .label("not a built-in function");
            d = d.did_you_mean(&name.name, Builtin::ALL.iter().map(|b| b.name()));
            self.diagnostics.push(d);
            return Ty::Error;
        };
        let (min, max) = builtin.arity();
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0207,
                    callee.span,
                    format!(
                        "`{}` takes {wanted} argument{}, given {}",
                        name.name,
                        if wanted == "1" { "" } else { "s" },
                        args.len()
                    ),
                )
                .label("wrong number of arguments"),
            );
            return Ty::Error;
        }
        // The arguments whose type does not depend on the others.
        let expected = builtin.params();
        for ((arg, found), wanted) in args.iter().zip(&arg_types).zip(expected) {
            if *wanted != Ty::Any {
                self.expect(wanted, found, arg.span, None);
            }
        }
        let first = arg_types.first().cloned().unwrap_or(Ty::Any);
        let element = |t: &Ty| match t.non_optional() {
            Ty::List(e) | Ty::Map(e) => (**e).clone(),
            _ => Ty::Any,
        };
        match builtin {
            Builtin::Length => Ty::Int,
            Builtin::Region | Builtin::StackName | Builtin::AccountId | Builtin::ObjectStoreUrl => {
                Ty::String
            }
            Builtin::AvailabilityZones => Ty::list(Ty::String),
            Builtin::Join
            | Builtin::Lower
            | Builtin::Upper
            | Builtin::Replace
            | Builtin::Base64
            | Builtin::Cidrsubnet
            | Builtin::File => Ty::String,
            Builtin::Split | Builtin::Keys => Ty::list(Ty::String),
            Builtin::Contains => Ty::Bool,
            Builtin::Values => Ty::list(element(&first)),
            Builtin::Concat => arg_types
                .into_iter()
                .reduce(Ty::join)
                .unwrap_or(Ty::list(Ty::Any)),
            Builtin::Element => element(&first),
            Builtin::Lookup => element(&first),
            Builtin::Min | Builtin::Max => {
                if arg_types.iter().all(|t| *t == Ty::Int) {
                    Ty::Int
                } else {
                    Ty::Number
                }
            }
        }
    }
}

/// `x != null` gives `(x, true)`, `x == null` gives `(x, false)`: the name,
/// and whether the condition being true means it is not null.
fn null_test(condition: &Expr) -> Option<(&Expr, bool)> {
    let ExprKind::Binary(op @ (BinaryOp::Ne | BinaryOp::Eq), a, b) = &condition.kind else {
        return None;
    };
    let tested = match (&a.kind, &b.kind) {
        (ExprKind::Null, _) => b,
        (_, ExprKind::Null) => a,
        _ => return None,
    };
    matches!(tested.kind, ExprKind::Name(_) | ExprKind::Member(..))
        .then_some((&**tested, *op == BinaryOp::Ne))
}

/// Where [`Checker::narrow`] recorded that a value is not null.
#[derive(Clone, Copy)]
enum Narrowed {
    Local,
    Path,
}

/// Declares the names of a `for` over `iterable`: one name is the element
/// (a map's value); with two, the first is a list's index or a map's key.
/// Over a secret, both names are secret.
pub(super) fn bind(
    scope: &mut Scope,
    binding: &Binding,
    iterable: &Ty,
    element: Ty,
    secret: Option<Arc<Secret>>,
) {
    let Some(first) = scope.names.of(&binding.first) else {
        return;
    };
    match &binding.second {
        Some(second) => {
            let position = match iterable.non_optional() {
                Ty::Map(_) | Ty::Object(_) => Ty::String,
                Ty::Any => Ty::Any,
                Ty::Error => Ty::Error,
                _ => Ty::Int,
            };
            scope.locals.push((first, position, secret.clone()));
            if let Some(second) = scope.names.of(second) {
                scope.locals.push((second, element, secret));
            }
        }
        None => scope.locals.push((first, element, secret)),
    }
}

/// An expression printed without spans, to compare conditions.
pub fn canon(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Number(n) => n.clone(),
        ExprKind::Str(s) => {
            let parts: Vec<String> = s
                .parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => format!("{t:?}"),
                    StrPart::Interp(e) => format!("${{{}}}", canon(e)),
                })
                .collect();
            format!("\"{}\"", parts.join(""))
        }
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::List(items) => {
            format!(
                "[{}]",
                items.iter().map(canon).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Object(props) => format!(
            "{{{}}}",
            props
                .iter()
                .map(|p| format!("{} = {}", p.key.name, canon(&p.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Member(b, n) => format!("{}.{}", canon(b), n.name),
        ExprKind::Index(b, i) => format!("{}[{}]", canon(b), canon(i)),
        ExprKind::Call(c, args) => format!(
            "{}({})",
            canon(c),
            args.iter().map(canon).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Unary(UnaryOp::Neg, e) => format!("-({})", canon(e)),
        ExprKind::Unary(UnaryOp::Not, e) => format!("!({})", canon(e)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", canon(a), op.symbol(), canon(b)),
        ExprKind::Conditional(c, a, b) => {
            format!("({} ? {} : {})", canon(c), canon(a), canon(b))
        }
        ExprKind::Range(a, b) => format!("({}..{})", canon(a), canon(b)),
        ExprKind::ListComp(c) => format!("[for {}]", canon(&c.body)),
        ExprKind::ObjectComp(c, v) => format!("{{for {} => {}}}", canon(&c.body), canon(v)),
        ExprKind::Paren(e) => canon(e),
        ExprKind::Error => "<error>".into(),
    }
}
