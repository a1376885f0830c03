//! Secrecy, tracked beside types: what secret an expression reads (a
//! secret param, a sensitive output), and where a secret may not go (E0321):
//! a property that is not a secret param, an output of a component not
//! declared sensitive.

use std::sync::Arc;

use super::{Checker, ModuleId, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::names::Names;
use crate::sema::schema::{Field, SchemaKind};
use crate::sema::ty::SchemaId;
use crate::source::Span;
use crate::syntax::ast::*;

/// A secret an expression reads, for E0321.
#[derive(Debug)]
pub(super) struct Secret {
    /// Where the expression reads it: a name or an attribute read.
    pub(super) read: Span,
    /// What is read there, as written: `db_password`, `pw.value`, `dsn`.
    pub(super) name: String,
    /// The secret itself, as first read: `dsn` reads `db_password`.
    pub(super) source: String,
    /// The declaration that makes it secret (`secret = true`, an output
    /// declared `sensitive = true`), and what to say there.
    pub(super) origin: Span,
    pub(super) why: String,
}

impl Secret {
    /// The same secret, read at `read` through `name` (a let, a loop
    /// variable).
    pub(super) fn through(&self, name: &str, read: Span) -> Arc<Secret> {
        Arc::new(Secret {
            read,
            name: name.to_string(),
            source: self.source.clone(),
            origin: self.origin,
            why: self.why.clone(),
        })
    }

    /// The label where it is read.
    pub(super) fn label(&self) -> String {
        if self.name == self.source {
            format!("`{}` is secret", self.name)
        } else {
            format!(
                "`{}` is computed from `{}`, a secret",
                self.name, self.source
            )
        }
    }
}

impl Checker<'_> {
    /// Runs `f`; returns its result and the first secret that the
    /// expressions it infers read. What the enclosing expression reads is
    /// kept as it was: a caller that propagates the secret notes it again.
    pub(super) fn reading_secrets<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> T,
    ) -> (T, Option<Arc<Secret>>) {
        let outer = self.secret.take();
        let result = f(self);
        let found = std::mem::replace(&mut self.secret, outer);
        (result, found)
    }

    /// Records that the expression being inferred reads `secret`.
    pub(super) fn note_secret(&mut self, secret: Arc<Secret>) {
        if self.secret.is_none() {
            self.secret = Some(secret);
        }
    }

    /// A secret given to the property `key` of a resource of type `schema`:
    /// refused unless the property is a secret param. Native schemas are
    /// left out: the generated schemas do not say which of their properties
    /// hide their values, and guessing by name would be wrong both ways. In
    /// the stdlib, its components decide where their secret params go.
    pub(super) fn secret_in_property(
        &mut self,
        module: ModuleId,
        schema: SchemaId,
        key: &str,
        field: &Field,
        secret: &Secret,
    ) {
        if field.secret || self.modules[module.0 as usize].stdlib {
            return;
        }
        let s = &self.schemas[schema.0 as usize];
        let SchemaKind::Component {
            module: declared, ..
        } = s.kind
        else {
            return;
        };
        let type_name = s.name.clone();
        let secret_params: Vec<String> = s
            .inputs
            .iter()
            .filter(|(_, f)| f.secret)
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        let own = !self.modules[declared.0 as usize].stdlib;
        let mut diagnostic = Diagnostic::new(
            &codes::E0321,
            secret.read,
            format!("`{key}` of `{type_name}` is not secret, but is given a secret value"),
        )
        .label(secret.label())
        .secondary(secret.origin, secret.why.clone());
        if key == "user_data" && !own {
            self.diagnostics.push(
                diagnostic
                    .note("user data is kept in plain text: anyone who can describe the server can read it")
                    .help("have the server fetch the secret at boot from the secret store (AWS Secrets Manager, OpenStack Barbican) instead of passing it in its user data"),
            );
            return;
        }
        diagnostic = diagnostic.note(format!(
            "only a param declared `secret = true` keeps its value hidden: `{key}` may be written into the template, shown in consoles or read back in plain text"
        ));
        diagnostic = match (own, secret_params.is_empty()) {
            (true, _) => diagnostic.help(format!(
                "pass the secret to a param declared `secret = true`, or declare `{key}` of `{type_name}` `secret = true`"
            )),
            (false, false) => diagnostic.help(format!(
                "pass the secret to a param declared `secret = true`: `{type_name}` has {}",
                secret_params.join(", ")
            )),
            (false, true) => diagnostic.help(
                "pass the secret only to params declared `secret = true`, such as `password` of `database.Instance`",
            ),
        };
        self.diagnostics.push(diagnostic);
    }

    /// An output of a component that reads a secret must be declared
    /// `sensitive = true`, so that reading it outside is known to read a
    /// secret.
    pub(super) fn secret_in_component_output(
        &mut self,
        scope: &Scope,
        output: &Output,
        declared_sensitive: &[String],
        secret: &Secret,
    ) {
        if self.modules[scope.module.0 as usize].stdlib
            || declared_sensitive.contains(&output.name.name)
            || marked_at(output.options.as_ref(), "sensitive", scope.names, &|n| {
                scope.consts.lookup(n)
            })
            .is_some()
        {
            return;
        }
        let name = &output.name.name;
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0321,
                secret.read,
                format!("output `{name}` reads a secret, but is not declared sensitive"),
            )
            .label(secret.label())
            .secondary(secret.origin, secret.why.clone())
            .secondary(output.name.span, "not declared `sensitive = true`")
            .note("whoever reads an output of a component keeps it secret only when it is declared sensitive")
            .help(format!(
                "declare the output sensitive: `output {name}: TYPE {{ sensitive = true }}`"
            )),
        );
    }
}

/// Is `key = true` among `options` (folded as param options are, with no
/// names known)?
pub(super) fn marked(options: Option<&Block>, key: &str) -> bool {
    marked_at(options, key, &Names::default(), &|_| None).is_some()
}

/// Where `key = true` is written among `options`, if it is; names are
/// folded through `lookup`.
pub(super) fn marked_at(
    options: Option<&Block>,
    key: &str,
    names: &Names,
    lookup: &dyn Fn(&Ident) -> Option<Value>,
) -> Option<Span> {
    options?
        .properties
        .iter()
        .filter(|p| p.key.name == key)
        .find(|p| eval::eval(&p.value, names, lookup, &mut Vec::new()) == Some(Value::Bool(true)))
        .map(|p| p.key.span.to(p.value.span))
}

/// The names of a component's outputs declared `sensitive = true`.
pub(super) fn sensitive_outputs(component: &Component) -> Vec<String> {
    component
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Output(o) if marked(o.options.as_ref(), "sensitive") => {
                Some(o.name.name.clone())
            }
            _ => None,
        })
        .collect()
}
