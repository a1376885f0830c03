//! Types as written, resolved: built-in names, aliases (recursive ones
//! reported), components, native types and namespaces; and a param's
//! declared type with the aliases of every file resolved, for
//! [`params::check_foreign`].

use super::{Checker, ModuleId};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::params;
use crate::sema::resolve::NAMESPACES;
use crate::sema::ty::{Fields, Ty};
use crate::source::Span;
use crate::syntax::ast::*;

impl Checker<'_> {
    /// Resolves a type written in `module`.
    pub(super) fn resolve_type(&mut self, module: ModuleId, ty: &TypeExpr) -> Ty {
        match &ty.kind {
            TypeKind::Path(path) => self.resolve_type_path(module, path),
            TypeKind::Literal(s) => Ty::Literal(s.as_str().into()),
            TypeKind::List(inner) => Ty::list(self.resolve_type(module, inner)),
            TypeKind::Map(inner) => Ty::map(self.resolve_type(module, inner)),
            TypeKind::Object(fields) => Ty::Object(
                fields
                    .iter()
                    .map(|f| {
                        let t = self.resolve_type(module, &f.ty);
                        (f.key.name.clone(), (t, f.optional))
                    })
                    .collect::<Fields>()
                    .into(),
            ),
            TypeKind::Optional(inner) => Ty::optional(self.resolve_type(module, inner)),
            TypeKind::Union(members) => Ty::Union(
                members
                    .iter()
                    .map(|m| self.resolve_type(module, m))
                    .collect(),
            ),
            TypeKind::Paren(inner) => self.resolve_type(module, inner),
        }
    }

    pub(super) fn resolve_type_path(&mut self, module: ModuleId, path: &TypePath) -> Ty {
        // Taken, as resolving a path may resolve others.
        let mut text = std::mem::take(&mut self.path_text);
        write_path_text(path, &mut text);
        let ty = self.resolve_written_path(module, path, &text);
        self.path_text = text;
        ty
    }

    /// A type path, with its text as written.
    fn resolve_written_path(&mut self, module: ModuleId, path: &TypePath, text: &str) -> Ty {
        if path.separator == PathSeparator::Colons {
            return self.native_type(module, text, path.span);
        }
        match path.segments.as_slice() {
            [name] => {
                if let Some(t) = builtin_type(&name.name) {
                    return t;
                }
                if let Some(t) = self.type_in_module(module, &name.name) {
                    return t;
                }
                if crate::target::vocabulary_of(&name.name).is_some() {
                    return self.native_type(module, &name.name, path.span);
                }
                let candidates = self.type_names(module);
                self.unknown_type(path.span, text, candidates.iter().map(String::as_str))
            }
            [namespace, name] => {
                let imported = self.modules[module.0 as usize]
                    .imports
                    .get(&namespace.name)
                    .copied();
                let target = match imported {
                    Some(Some(m)) => Some(m),
                    // The import already failed and was reported.
                    Some(None) => return Ty::Error,
                    None => self.namespace_module(&namespace.name),
                };
                let Some(target) = target else {
                    let mut candidates: Vec<String> =
                        NAMESPACES.iter().map(|s| s.to_string()).collect();
                    candidates.extend(self.modules[module.0 as usize].imports.keys().cloned());
                    let mut diagnostic = Diagnostic::new(
                        &codes::E0104,
                        namespace.span,
                        format!("unknown namespace `{}`", namespace.name),
                    )
                    .label("not an import or a stdlib namespace");
                    diagnostic = diagnostic
                        .did_you_mean(&namespace.name, candidates.iter().map(String::as_str));
                    self.diagnostics.push(diagnostic);
                    return Ty::Error;
                };
                if let Some(t) = self.type_in_module(target, &name.name) {
                    return t;
                }
                let candidates = self.type_names(target);
                self.unknown_type(name.span, text, candidates.iter().map(String::as_str))
            }
            _ => self.unknown_type(path.span, text, std::iter::empty()),
        }
    }

    fn unknown_type<'c>(
        &mut self,
        span: Span,
        name: &str,
        candidates: impl Iterator<Item = &'c str>,
    ) -> Ty {
        let last = name.rsplit(['.', ':']).next().unwrap_or(name);
        let mut diagnostic = Diagnostic::new(&codes::E0104, span, format!("unknown type `{name}`"))
            .label("no type of this name");
        diagnostic = diagnostic.did_you_mean(last, candidates);
        self.diagnostics.push(diagnostic);
        Ty::Error
    }

    /// Names of the types a module declares, for suggestions.
    fn type_names(&self, module: ModuleId) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_TYPES.iter().map(|s| s.to_string()).collect();
        for item in &self.modules[module.0 as usize].ast.items {
            match &item.kind {
                ItemKind::TypeAlias(a) => names.push(a.name.name.clone()),
                ItemKind::Component(c) => names.push(c.name.name.clone()),
                _ => {}
            }
        }
        names
    }

    /// A type alias or component declared in `module`.
    fn type_in_module(&mut self, module: ModuleId, name: &str) -> Option<Ty> {
        let ast = self.modules[module.0 as usize].ast.clone();
        for (index, item) in ast.items.iter().enumerate() {
            match &item.kind {
                ItemKind::TypeAlias(alias) if alias.name.name == name => {
                    let key = (module, name.to_string());
                    if let Some(t) = self.aliases.get(&key) {
                        return Some(t.clone());
                    }
                    if !self.aliases_in_progress.insert(key.clone()) {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0107,
                                alias.name.span,
                                format!("type `{name}` is defined in terms of itself"),
                            )
                            .label("recursive type alias")
                            .help("break the recursion with `any` or a resource type"),
                        );
                        self.aliases.insert(key, Ty::Error);
                        return Some(Ty::Error);
                    }
                    let t = self.resolve_type(module, &alias.ty);
                    self.aliases_in_progress.remove(&key);
                    self.aliases.entry(key).or_insert(t.clone());
                    return Some(t);
                }
                ItemKind::Component(c) if c.name.name == name => {
                    return Some(Ty::Resource(self.component_schema(module, index)));
                }
                _ => {}
            }
        }
        None
    }

    /// A param's declared type, written in `module`, with the aliases of
    /// every file resolved, for [`params::check_foreign`]. Reports nothing:
    /// the type is resolved again when the param is declared, and mistakes
    /// in it are reported then.
    pub(super) fn param_type(&mut self, module: ModuleId, ty: &TypeExpr) -> params::ParamType {
        let mut busy = Vec::new();
        params::ParamType::resolve(ty, &mut |path| self.param_alias(module, path, &mut busy))
    }

    /// The type an alias named in `module` gives a param; `None` for any
    /// other name. `busy`: the aliases being resolved, as a recursive one
    /// stays opaque.
    fn param_alias(
        &mut self,
        module: ModuleId,
        path: &TypePath,
        busy: &mut Vec<(ModuleId, String)>,
    ) -> Option<params::ParamType> {
        if path.separator == PathSeparator::Colons {
            return None;
        }
        let (target, name) = match path.segments.as_slice() {
            [name] => (module, name),
            [namespace, name] => {
                let imported = self.modules[module.0 as usize]
                    .imports
                    .get(&namespace.name)
                    .copied();
                let target = match imported {
                    Some(import) => import?,
                    None => self.namespace_module(&namespace.name)?,
                };
                (target, name)
            }
            _ => return None,
        };
        let ast = self.modules[target.0 as usize].ast.clone();
        let body = ast.items.iter().find_map(|item| match &item.kind {
            ItemKind::TypeAlias(alias) if alias.name.name == name.name => Some(&alias.ty),
            _ => None,
        })?;
        let key = (target, name.name.clone());
        if busy.contains(&key) {
            return None;
        }
        busy.push(key);
        let ty = params::alias_type(path, body, &mut |p| self.param_alias(target, p, busy));
        busy.pop();
        Some(ty)
    }
}

const BUILTIN_TYPES: &[&str] = &["string", "int", "number", "bool", "any"];

/// Writes [`TypePath::text`] into `text`, replacing what it held.
fn write_path_text(path: &TypePath, text: &mut String) {
    let separator = match path.separator {
        PathSeparator::Dot => ".",
        PathSeparator::Colons => "::",
    };
    text.clear();
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            text.push_str(separator);
        }
        text.push_str(&segment.name);
    }
}

/// Is a type written `T?`? (`any?` resolves to `any`, but is still optional.)
pub(super) fn written_optional(ty: &TypeExpr) -> bool {
    match &ty.kind {
        TypeKind::Optional(_) => true,
        TypeKind::Paren(inner) => written_optional(inner),
        _ => false,
    }
}

fn builtin_type(name: &str) -> Option<Ty> {
    Some(match name {
        "string" => Ty::String,
        "int" => Ty::Int,
        "number" => Ty::Number,
        "bool" => Ty::Bool,
        "any" => Ty::Any,
        _ => return None,
    })
}

/// The type a param without a declared type gets from its default.
pub(super) fn literal_type(expr: &Expr) -> Ty {
    match &expr.kind {
        ExprKind::Str(_) => Ty::String,
        ExprKind::Int(_) => Ty::Int,
        ExprKind::Number(_) => Ty::Number,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::List(items) => Ty::list(items.first().map_or(Ty::Any, literal_type)),
        _ => Ty::Any,
    }
}
