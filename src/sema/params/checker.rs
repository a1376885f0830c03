//! The checks of a file's params: [`check`] for the top-level ones and the
//! values given at compile time, [`check_foreign`] for those typed by an
//! alias of another file, [`constraints_of`] for a component's. Defaults and
//! given values are folded here, through the file's constant lets.

use std::cell::RefCell;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use super::ParamInfo;
use super::constraints::Constraints;
use super::given::{Given, GivenParams, GivenValue, Origin};
use super::options::Options;
use super::types::{LocalTypes, ParamType, declared_as};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::names::{DeclKind, Names, Place};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::*;

/// Checks every top-level param of `file` and the compile-time values given.
///
/// A param whose type names an alias of another file (`compute.Size`, an
/// import's) gets a provisional info here and no diagnostics: the type
/// checker resolves the alias and checks it with [`check_foreign`].
pub fn check(
    file: &SourceFile,
    names: &Names,
    given: &GivenParams,
) -> (IndexMap<String, ParamInfo>, Vec<Diagnostic>) {
    let mut checker = Checker {
        env: Env::new(file, names, given, declared_types(file, None)),
        diagnostics: Vec::new(),
    };
    checker.unknown_given(file, given);
    let mut infos = IndexMap::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Param(param) => {
                let name = &param.name.name;
                // A duplicate is reported by the resolver; the first counts.
                let first = !infos.contains_key(name);
                let declared = if first {
                    checker.env.declared.types.get(name.as_str()).cloned()
                } else {
                    param.ty.as_ref().map(ParamType::from_ast)
                };
                let before = checker.diagnostics.len();
                let info = checker.param(param, true, given.get(name), declared);
                if first && checker.env.declared.foreign.contains(&name.as_str()) {
                    checker.diagnostics.truncate(before);
                }
                infos.entry(name.clone()).or_insert(info);
            }
            ItemKind::Component(component) => checker.component(&component.items),
            _ => {}
        }
    }
    (infos, checker.diagnostics)
}

/// Checks the params [`check`] left to the type checker, now that it can
/// resolve every alias: `resolve` gives a declared type with the aliases of
/// every file resolved (see [`alias_type`](super::alias_type)). Their infos are replaced.
pub fn check_foreign(
    file: &SourceFile,
    names: &Names,
    infos: &mut IndexMap<String, ParamInfo>,
    resolve: &mut dyn FnMut(&TypeExpr) -> ParamType,
) -> Vec<Diagnostic> {
    let declared = declared_types(file, Some(resolve));
    if declared.foreign.is_empty() {
        return Vec::new();
    }
    let foreign = declared.foreign.clone();
    let given: GivenParams = infos
        .iter()
        .filter_map(|(name, info)| Some((name.clone(), info.given.clone()?)))
        .collect();
    let mut checker = Checker {
        env: Env::new(file, names, &given, declared),
        diagnostics: Vec::new(),
    };
    for name in foreign {
        let Some(param) = checker.env.params.get(name).copied() else {
            continue;
        };
        let declared = checker.env.declared.types.get(name).cloned();
        let info = checker.param(param, true, given.get(name), declared);
        infos.insert(name.to_string(), info);
    }
    checker.diagnostics
}

/// The declared types of a file's top-level params.
struct Declared<'a> {
    types: IndexMap<&'a str, ParamType, FxBuildHasher>,
    /// The params whose types name an alias of another file.
    foreign: Vec<&'a str>,
}

/// The declared types of the top-level params, the file's own aliases
/// resolved; those naming an alias of another file are given by `foreign`
/// when there is one, else left opaque.
fn declared_types<'a>(
    file: &'a SourceFile,
    mut foreign: Option<&mut dyn FnMut(&TypeExpr) -> ParamType>,
) -> Declared<'a> {
    let mut local = LocalTypes::new(file);
    let mut declared = Declared {
        types: IndexMap::default(),
        foreign: Vec::new(),
    };
    for item in &file.items {
        let ItemKind::Param(param) = &item.kind else {
            continue;
        };
        let name = param.name.name.as_str();
        let Some(ty) = &param.ty else {
            continue;
        };
        if declared.types.contains_key(name) || declared.foreign.contains(&name) {
            continue;
        }
        let (mut resolved, is_foreign) = local.resolve(ty);
        if is_foreign {
            declared.foreign.push(name);
            if let Some(foreign) = foreign.as_mut() {
                resolved = foreign(ty);
            }
        }
        declared.types.insert(name, resolved);
    }
    declared
}

/// The constraints a component's param sets, to check the values its
/// instances pass. Mistakes in the options themselves are reported when the
/// component's file is checked, so they are dropped here.
pub fn constraints_of(file: &SourceFile, names: &Names, param: &Param) -> Constraints {
    let Some(ty) = &param.ty else {
        return Constraints::default();
    };
    let given = GivenParams::new();
    // Nothing is given: the top-level params' types are not needed.
    let declared = Declared {
        types: IndexMap::default(),
        foreign: Vec::new(),
    };
    let mut checker = Checker {
        env: Env::new(file, names, &given, declared),
        diagnostics: Vec::new(),
    };
    checker.options(param, &ParamType::from_ast(ty)).constraints
}

/// What a declared name is, for messages.
fn describe_kind(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Param => "a param left open, known only at deploy time",
        DeclKind::Let => "a let known only at deploy time",
        DeclKind::Resource => "a resource, known only at deploy time",
        DeclKind::Import => "an imported module, not a value",
        DeclKind::Component => "a component, not a value",
        DeclKind::Binding => "a name known only at deploy time",
    }
}

enum Memo {
    Busy,
    /// The value, and whether folding it reported an error.
    Done(Option<Value>, bool),
}

/// The file's top-level names and their compile-time values: lets of
/// constants, and params given a value. Folded lazily, each once.
struct Env<'a> {
    names: &'a Names,
    lets: IndexMap<&'a str, &'a Expr, FxBuildHasher>,
    params: IndexMap<&'a str, &'a Param, FxBuildHasher>,
    given: &'a GivenParams,
    declared: Declared<'a>,
    memo: RefCell<IndexMap<String, Memo>>,
}

impl<'a> Env<'a> {
    fn new(
        file: &'a SourceFile,
        names: &'a Names,
        given: &'a GivenParams,
        declared: Declared<'a>,
    ) -> Env<'a> {
        let mut env = Env {
            names,
            lets: IndexMap::default(),
            params: IndexMap::default(),
            given,
            declared,
            memo: RefCell::new(IndexMap::new()),
        };
        for item in &file.items {
            match &item.kind {
                ItemKind::Param(p) => {
                    env.params.entry(&p.name.name).or_insert(p);
                }
                ItemKind::Let(l) => {
                    env.lets.entry(&l.name.name).or_insert(&l.value);
                }
                _ => {}
            }
        }
        env
    }

    /// The compile-time value of a name: a top-level let or param of the
    /// file; a component's own names and loop variables have none here.
    fn lookup(&self, name: &Ident) -> Option<Value> {
        self.top_level(name)
            .and_then(|_| self.resolve(&name.name).0)
    }

    /// The declaration a name refers to, when it is one of the file's own
    /// top-level declarations.
    fn top_level(&self, name: &Ident) -> Option<DeclKind> {
        let (_, decl) = self.names.lookup(name)?;
        matches!(decl.place, Place::File(_)).then_some(decl.kind)
    }

    /// The compile-time value of a top-level name, and whether folding it
    /// reported an error (then nothing more is said about it here).
    fn resolve(&self, name: &str) -> (Option<Value>, bool) {
        if let Some(memo) = self.memo.borrow().get(name) {
            return match memo {
                Memo::Busy => (None, false),
                Memo::Done(value, failed) => (value.clone(), *failed),
            };
        }
        let let_value = self.lets.get(name).copied();
        let param = self.params.get(name).copied();
        if let_value.is_none() && param.is_none() {
            return (None, false);
        }
        self.memo.borrow_mut().insert(name.to_string(), Memo::Busy);
        let result = match (let_value, param) {
            (Some(expr), _) => {
                // Errors in lets are reported where lets are checked.
                let mut scratch = Vec::new();
                let value = eval::eval(expr, self.names, &|n| self.lookup(n), &mut scratch);
                (value, !scratch.is_empty())
            }
            (None, Some(param)) => (self.given_value(param), false),
            (None, None) => (None, false),
        };
        self.memo
            .borrow_mut()
            .insert(name.to_string(), Memo::Done(result.0.clone(), result.1));
        result
    }

    /// The value given to a param at compile time, converted to its type;
    /// whether it satisfies the constraints is checked (and reported) once,
    /// by the checker.
    fn given_value(&self, param: &Param) -> Option<Value> {
        let given = self.given.get(&param.name.name)?;
        let mut scratch = Vec::new();
        let secret = param
            .options
            .iter()
            .flat_map(|b| &b.properties)
            .filter(|p| p.key.name == "secret")
            .any(|p| {
                eval::eval(&p.value, self.names, &|n| self.lookup(n), &mut scratch)
                    == Some(Value::Bool(true))
            });
        if secret {
            return None;
        }
        let ty = match (&param.ty, &param.default) {
            (Some(ty), _) => self
                .declared
                .types
                .get(param.name.name.as_str())
                .cloned()
                .unwrap_or_else(|| ParamType::from_ast(ty)),
            (None, Some(default)) => {
                eval::eval(default, self.names, &|n| self.lookup(n), &mut scratch)
                    .map_or(ParamType::Any, |v| ParamType::of_value(&v))
            }
            (None, None) => ParamType::Any,
        };
        convert(given, &ty).ok()
    }
}

fn convert(given: &Given, ty: &ParamType) -> Result<Value, String> {
    match &given.value {
        GivenValue::Text(text) => ty.from_text(text),
        GivenValue::Json(json) => ty.coerce(Value::from_json(json)),
    }
}

/// Why an expression is not a constant.
pub(super) enum Culprit<'e> {
    /// This name is known only at deploy time: a description of it.
    Name(&'e Ident, String),
    /// Something already reported (an unknown name, an error in a let).
    Quiet,
    /// Nothing found: not a name's fault (an unfoldable call, a type error).
    Nothing,
}

pub(super) struct Checker<'a> {
    env: Env<'a>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Folds `expr`; also says whether that reported an error.
    pub(super) fn fold(&mut self, expr: &Expr) -> (Option<Value>, bool) {
        let before = self.diagnostics.len();
        let env = &self.env;
        let value = eval::eval(expr, env.names, &|n| env.lookup(n), &mut self.diagnostics);
        (value, self.diagnostics.len() > before)
    }

    /// The first name that keeps `expr` from being a constant.
    pub(super) fn culprit<'e>(&self, expr: &'e Expr) -> Culprit<'e> {
        let mut found = Culprit::Nothing;
        visit_names(expr, &mut |ident| {
            let kind = self.env.names.lookup(ident).map(|(_, decl)| decl.kind);
            if kind == Some(DeclKind::Binding) {
                return false;
            }
            if self.env.top_level(ident).is_some() {
                let (value, failed) = self.env.resolve(&ident.name);
                if value.is_some() {
                    return false;
                }
                if failed {
                    found = Culprit::Quiet;
                    return true;
                }
            }
            found = match kind {
                Some(kind) => Culprit::Name(ident, describe_kind(kind).to_string()),
                None => Culprit::Quiet,
            };
            true
        });
        found
    }

    fn component(&mut self, items: &[Item]) {
        for item in items {
            match &item.kind {
                ItemKind::Param(param) => {
                    let declared = param.ty.as_ref().map(ParamType::from_ast);
                    self.param(param, false, None, declared);
                }
                ItemKind::Component(component) => self.component(&component.items),
                _ => {}
            }
        }
    }

    fn unknown_given(&mut self, file: &SourceFile, given: &GivenParams) {
        let names: Vec<&str> = self.env.params.keys().copied().collect();
        for (name, value) in given {
            // The environment is shared by every program run in it: a
            // variable for a param another program declares is no mistake.
            if value.origin == Origin::Env || self.env.params.contains_key(name.as_str()) {
                continue;
            }
            let start = file.span.start as usize;
            let mut diagnostic = Diagnostic::new(
                &codes::E0102,
                Span::new(file.span.file, start, start),
                format!("no param `{name}` in this program"),
            )
            .label(format!(
                "{} gives a value to `{name}`, which this file does not declare",
                value.source(name)
            ));
            let declared = file.items.iter().find_map(|item| match &item.kind {
                ItemKind::Let(l) if l.name.name == *name => Some("let"),
                ItemKind::Resource(r) if r.name.name == *name => Some("resource"),
                ItemKind::Import(i) if i.alias.name == *name => Some("import"),
                ItemKind::Component(c) if c.name.name == *name => Some("component"),
                _ => None,
            });
            if let Some(kind) = declared {
                diagnostic = diagnostic.note(format!(
                    "`{name}` is a {kind}, not a param: only params take values at compile time"
                ));
            }
            diagnostic = match names.len() {
                0 => diagnostic.note("this file declares no params"),
                _ => {
                    let mut shown: Vec<String> =
                        names.iter().take(10).map(|n| format!("`{n}`")).collect();
                    if names.len() > 10 {
                        shown.push("...".into());
                    }
                    diagnostic.note(format!("the params of this file are {}", shown.join(", ")))
                }
            };
            if let Some(near) = suggest::best_match(name, names.iter().copied()) {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            } else {
                diagnostic = diagnostic.help(match &value.origin {
                    Origin::File(path) => format!(
                        "remove \"{name}\" from the params file `{}`",
                        path.display()
                    ),
                    _ => format!("remove `--param {name}=...`"),
                });
            }
            self.diagnostics.push(diagnostic);
        }
    }

    /// Checks one param, of the declared type `declared` (its aliases
    /// resolved as far as they can be).
    fn param(
        &mut self,
        param: &Param,
        top_level: bool,
        given: Option<&Given>,
        declared: Option<ParamType>,
    ) -> ParamInfo {
        let name = &param.name.name;
        let mut default = None;
        let mut not_constant = None;
        if let Some(expr) = &param.default {
            let (value, failed) = self.fold(expr);
            default = value;
            // A param given a value is not emitted: its default is unused.
            if default.is_none()
                && !failed
                && top_level
                && given.is_none()
                && let Culprit::Name(ident, what) = self.culprit(expr)
            {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0308,
                    ident.span,
                    format!("the default of `{name}` is not known at compile time"),
                )
                .label(format!("`{}` is {what}", ident.name));
                if ident.span != expr.span {
                    diagnostic = diagnostic.secondary(expr.span, "the default");
                }
                diagnostic = diagnostic.note(
                    "a default is written into the template, so it must be a constant: literals, lets of constants, and params given a value at compile time",
                );
                let kind = self.env.names.lookup(ident).map(|(_, decl)| decl.kind);
                if kind == Some(DeclKind::Param) {
                    diagnostic = diagnostic.help(format!(
                        "give `{0}` a value at compile time (`--param {0}=...`), or write the default out",
                        ident.name
                    ));
                } else {
                    diagnostic = diagnostic.help("write the default out as a constant");
                }
                not_constant = Some(diagnostic);
            }
        }
        let ty = declared
            .or_else(|| default.as_ref().map(ParamType::of_value))
            .unwrap_or(ParamType::Any);
        let options = self.options(param, &ty);
        let mut valid_default = None;
        if let (Some(expr), true) = (&param.default, options.secret) {
            self.secret_default(param, expr, options.secret_span);
        } else if let Some(diagnostic) = not_constant {
            self.diagnostics.push(diagnostic);
        } else if let (Some(expr), Some(value)) = (&param.default, default) {
            valid_default = self.check_default(param, expr, &ty, &options, value);
        }
        let mut value = None;
        if let Some(given) = given {
            if options.secret {
                self.secret_given(param, given, options.secret_span);
            } else {
                value = self.check_given(param, given, &ty, &options);
            }
        }
        ParamInfo {
            value,
            secret: options.secret,
            ty,
            default: valid_default,
            constraints: options.constraints,
            label: options.label,
            group: options.group,
            given: given.cloned(),
        }
    }

    fn type_mismatch_help(&self, ty: &ParamType, value: &Value) -> Option<String> {
        let Value::String(text) = value else {
            return None;
        };
        let literals = ty.literals();
        if literals.is_empty() {
            return None;
        }
        match suggest::best_match(text, literals.iter().copied()) {
            Some(near) => Some(format!("did you mean \"{near}\"?")),
            None => Some(format!(
                "the values accepted are {}",
                literals
                    .iter()
                    .map(|l| format!("\"{l}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    pub(super) fn type_secondary(
        &self,
        diagnostic: Diagnostic,
        param: &Param,
        ty: &ParamType,
    ) -> Diagnostic {
        match &param.ty {
            Some(declared) => diagnostic.secondary(declared.span, declared_as(declared, ty)),
            None => diagnostic,
        }
    }

    fn check_default(
        &mut self,
        param: &Param,
        expr: &Expr,
        ty: &ParamType,
        options: &Options,
        value: Value,
    ) -> Option<Value> {
        let name = &param.name.name;
        let value = match ty.coerce(value.clone()) {
            Ok(value) => value,
            Err(reason) => {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0302,
                    expr.span,
                    format!(
                        "the default of `{name}` does not match its type `{}`",
                        ty.describe()
                    ),
                )
                .label(reason);
                diagnostic = self.type_secondary(diagnostic, param, ty);
                if let Some(help) = self.type_mismatch_help(ty, &value) {
                    diagnostic = diagnostic.help(help);
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let violations = options.constraints.violations(&value);
        for violation in &violations {
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                expr.span,
                format!(
                    "the default of `{name}` violates its `{}` constraint",
                    violation.option
                ),
            )
            .label(violation.reason.clone())
            .secondary(violation.span, "the constraint");
            if let Some(message) = &options.constraints.message {
                diagnostic = diagnostic.note(format!("the param's message: {message}"));
            }
            self.diagnostics.push(diagnostic);
        }
        violations.is_empty().then_some(value)
    }

    fn check_given(
        &mut self,
        param: &Param,
        given: &Given,
        ty: &ParamType,
        options: &Options,
    ) -> Option<Value> {
        let name = &param.name.name;
        let origin = given.describe(name);
        let value = match convert(given, ty) {
            Ok(value) => value,
            Err(reason) => {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0302,
                    param.name.span,
                    format!(
                        "the value given for `{name}` does not match its type `{}`",
                        ty.describe()
                    ),
                )
                .label(format!("{origin}: {reason}"));
                diagnostic = self.type_secondary(diagnostic, param, ty);
                let raw = match &given.value {
                    GivenValue::Text(text) => Value::String(text.clone()),
                    GivenValue::Json(json) => Value::from_json(json),
                };
                if let Some(help) = self.type_mismatch_help(ty, &raw) {
                    diagnostic = diagnostic.help(help);
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        if let Some((pattern, why)) = options.constraints.unchecked_pattern(&value) {
            let what = format!("the value given for `{name}`");
            self.diagnostics
                .push(super::constraints::unchecked_pattern_diagnostic(
                    &what,
                    param.name.span,
                    pattern,
                    why,
                ));
            return None;
        }
        let violations = options.constraints.violations(&value);
        for violation in &violations {
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                param.name.span,
                format!(
                    "the value given for `{name}` violates its `{}` constraint",
                    violation.option
                ),
            )
            .label(format!("{origin}: {}", violation.reason))
            .secondary(violation.span, "the constraint");
            if let Some(message) = &options.constraints.message {
                diagnostic = diagnostic.note(format!("the param's message: {message}"));
            }
            self.diagnostics.push(diagnostic);
        }
        violations.is_empty().then_some(value)
    }

    fn secret_default(&mut self, param: &Param, expr: &Expr, secret: Option<Span>) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0309,
            expr.span,
            format!("secret param `{}` has a default", param.name.name),
        )
        .label("this would be written into the template in plain text");
        if let Some(span) = secret {
            diagnostic = diagnostic.secondary(span, "the param is secret");
        }
        self.diagnostics.push(
            diagnostic
                .note("every target writes a param's default into the template, where anyone who can read the template can read the secret")
                .help("remove the default: the value is then asked for when the template is deployed, and hidden"),
        );
    }

    fn secret_given(&mut self, param: &Param, given: &Given, secret: Option<Span>) {
        let name = &param.name.name;
        let mut diagnostic = Diagnostic::new(
            &codes::E0309,
            param.name.span,
            format!("secret param `{name}` is given a value at compile time"),
        )
        .label(format!("given by {}", given.source(name)));
        if let Some(span) = secret {
            diagnostic = diagnostic.secondary(span, "the param is secret");
        }
        self.diagnostics.push(
            diagnostic
                .note("a value given at compile time is folded into the template, where anyone who can read the template can read the secret")
                .help(format!(
                    "leave it to deploy time: remove it from {}, and give it as a parameter when the template is deployed",
                    given.source(name)
                )),
        );
    }
}

/// Calls `f` on every name `expr` reads, in source order, loop variables
/// included; `f` returns true to stop.
fn visit_names<'e>(expr: &'e Expr, f: &mut dyn FnMut(&'e Ident) -> bool) -> bool {
    match &expr.kind {
        ExprKind::Name(ident) => f(ident),
        ExprKind::ListComp(comp) => visit_all(
            [&comp.iterable]
                .into_iter()
                .chain(&comp.filter)
                .chain([&comp.body]),
            f,
        ),
        ExprKind::ObjectComp(comp, value) => visit_all(
            [&comp.iterable]
                .into_iter()
                .chain(&comp.filter)
                .chain([&comp.body, &**value]),
            f,
        ),
        _ => {
            let mut stop = false;
            expr.for_each_operand(|e| stop = stop || visit_names(e, f));
            stop
        }
    }
}

fn visit_all<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    f: &mut dyn FnMut(&'e Ident) -> bool,
) -> bool {
    exprs.into_iter().any(|e| visit_names(e, f))
}
