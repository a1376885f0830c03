//! Copies keyed by name and the switch between them: `web["blue"]` reads
//! the copy with that key, `web[live]` with `live` known only at deploy
//! time chooses among them (a blue/green switch). Every value the index
//! may take must be a key (E0218), and a key no value takes is a warning
//! (W0216); the copies switched must hold nothing
//! persistent, directly or in the components they instantiate (E0219),
//! since the idle copy would lose its data; a `stateless component` holds
//! nothing persistent through a component it instantiates either (E0217).

use rustc_hash::FxHashSet as HashSet;

use super::{Checker, Entry, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::schema::SchemaKind;
use crate::sema::ty::{SchemaId, Ty};
use crate::source::Span;
use crate::syntax::ast::*;

/// A deploy-time index into keyed copies, checked once every resource is.
pub(super) struct Switch {
    /// The index expression.
    pub at: Span,
    /// The copies' declared name.
    pub copies: Ident,
    /// The copies' type.
    pub schema: SchemaId,
}

/// The keys of copies declared `for k, v in { KEY = ..., ... }`, in order.
pub fn literal_keys(r: &Resource) -> Option<(Vec<String>, Span)> {
    let guard = r.for_guard.as_ref()?;
    match &guard.iterable.kind {
        ExprKind::Object(props) => Some((
            props.iter().map(|p| p.key.name.clone()).collect(),
            guard.iterable.span,
        )),
        _ => None,
    }
}

impl Checker<'_> {
    /// The keys of the copies `name` refers to, when it names a resource
    /// repeated over an object literal of the scope.
    pub(super) fn copy_keys(&self, scope: &Scope, name: &Ident) -> Option<(Vec<String>, Span)> {
        let (id, _) = scope.names.lookup(name)?;
        let Some(Entry::Resource { item, .. }) = scope.entries.get(id) else {
            return None;
        };
        match &scope.items.get(*item)?.kind {
            ItemKind::Resource(r) => literal_keys(r),
            _ => None,
        }
    }

    /// `copies[index]` over copies keyed by name: each value the index may
    /// take is a key. A deploy-time index is a switch, kept for E0219.
    pub(super) fn keyed_index(
        &mut self,
        scope: &Scope,
        copies: &Ident,
        (keys, declared): (Vec<String>, Span),
        index: &Expr,
        index_ty: &Ty,
        element: &Ty,
    ) {
        if index_ty.is_error() {
            return;
        }
        let param = match &index.kind {
            ExprKind::Name(n) => {
                scope
                    .names
                    .lookup(n)
                    .and_then(|(id, _)| match scope.entries.get(id) {
                        Some(Entry::Param(..)) => Some(n.name.clone()),
                        _ => None,
                    })
            }
            _ => None,
        };
        let possible: Option<Vec<String>> = match index_ty.non_optional() {
            Ty::Literal(k) => Some(vec![k.to_string()]),
            Ty::Union(types) => types
                .iter()
                .map(|t| match t {
                    Ty::Literal(k) => Some(k.to_string()),
                    _ => None,
                })
                .collect(),
            _ => param
                .as_deref()
                .filter(|_| scope.entry)
                .and_then(|p| self.param_allowed.get(p).cloned()),
        };
        let shown_keys = keys
            .iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ");
        match &possible {
            Some(values) => {
                let missing: Vec<&String> = values.iter().filter(|v| !keys.contains(v)).collect();
                if let Some(first) = missing.first() {
                    let shown: Vec<String> = missing.iter().map(|v| format!("\"{v}\"")).collect();
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0218,
                            index.span,
                            format!("`{}` has no copy keyed \"{first}\"", copies.name),
                        )
                        .label(format!("may be {}", shown.join(", ")))
                        .secondary(declared, format!("the keys are {shown_keys}"))
                        .help("make every value the index may take a key of the copies, or narrow the index's type to the keys"),
                    );
                }
            }
            None if param.is_some() => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0218,
                        index.span,
                        format!(
                            "the values of `{}` are not known, so it cannot choose among the copies of `{}`",
                            param.as_deref().unwrap_or_default(),
                            copies.name
                        ),
                    )
                    .label("any string")
                    .secondary(declared, format!("the keys are {shown_keys}"))
                    .help(format!(
                        "declare the param as a union of the keys ({}), or give it `allowed` values",
                        keys.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(" | ")
                    )),
                );
            }
            None => {}
        }
        let constant = matches!(index.kind, ExprKind::Str(_));
        // A copy no value of the switch chooses is made and never read
        // through it: worth saying, though a copy read elsewhere is fine.
        if !constant
            && let Some(values) = &possible
            && values.len() > 1
            && let Some(idle) = keys.iter().find(|k| !values.contains(k))
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::W0216,
                    index.span,
                    format!(
                        "no value of this index chooses `{}[\"{idle}\"]`",
                        copies.name
                    ),
                )
                .label(format!("never \"{idle}\""))
                .secondary(declared, format!("the copy \"{idle}\" is made here"))
                .help(
                    "add the key to the index's type, or remove the copy if nothing else reads it",
                ),
            );
        }
        let schema = match element.non_optional() {
            Ty::Resource(id) => Some(*id),
            _ => None,
        };
        if !constant && let Some(schema) = schema {
            self.switches.push(Switch {
                at: index.span,
                copies: copies.clone(),
                schema,
            });
        }
    }

    /// The first persistent resource a component holds, in its body, its
    /// `target` blocks, or the components it instantiates: its name and
    /// where it is declared.
    fn persistent_inside(
        &self,
        schema: SchemaId,
        seen: &mut HashSet<SchemaId>,
    ) -> Option<(String, Span)> {
        if !seen.insert(schema) {
            return None;
        }
        let (_, members) = self.component_members(schema)?;
        for (r, inner) in members {
            if self.schemas[inner.0 as usize].state == StateClass::Persistent {
                return Some((r.name.name.clone(), r.name.span));
            }
            if let Some(found) = self.persistent_inside(inner, seen) {
                return Some(found);
            }
        }
        None
    }

    /// E0219 for each switch over copies that hold persistent resources,
    /// and E0217 for a `stateless component` holding one through another
    /// component.
    pub(super) fn check_twins(&mut self) {
        let switches = std::mem::take(&mut self.switches);
        for switch in switches {
            let schema = &self.schemas[switch.schema.0 as usize];
            let held = if schema.state == StateClass::Persistent {
                Some((switch.copies.name.clone(), switch.copies.span))
            } else {
                self.persistent_inside(switch.schema, &mut HashSet::default())
            };
            let Some((name, at)) = held else { continue };
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0219,
                    switch.at,
                    format!(
                        "persistent resources are shared: declare `{name}` outside the copies of `{}`",
                        switch.copies.name
                    ),
                )
                .label("switches between copies of the same resources")
                .secondary(at, "holds data that must survive")
                .note("the copies not chosen are idle: each would hold its own copy of the data, lost when it is scaled to zero or rebuilt")
                .help(format!(
                    "declare `{name}` once, outside `{}`, and pass it to the copies as a param",
                    switch.copies.name
                )),
            );
        }
        for id in 0..self.schemas.len() {
            let Some((component, members)) = self.component_members(SchemaId(id as u32)) else {
                continue;
            };
            if component.state != Some(StateClass::Stateless) {
                continue;
            }
            let mut found = Vec::new();
            for (r, inner) in members {
                // A persistent type of itself is reported where it is checked.
                if self.schemas[inner.0 as usize].state == StateClass::Persistent {
                    continue;
                }
                let mut seen = HashSet::default();
                seen.insert(SchemaId(id as u32));
                if let Some(held) = self.persistent_inside(inner, &mut seen) {
                    found.push((
                        r.name.clone(),
                        self.schemas[inner.0 as usize].name.clone(),
                        held,
                    ));
                }
            }
            let component_name = component.name.clone();
            for (r, ty, (held, at)) in found {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0217,
                        r.span,
                        format!(
                            "persistent resource `{held}` inside stateless component `{}`, through `{}`",
                            component_name.name, r.name
                        ),
                    )
                    .label(format!("a `{ty}`, which holds data that must survive"))
                    .secondary(at, "persistent, declared here")
                    .secondary(component_name.span, "declared `stateless`: its instances are rebuilt at will")
                    .note("each instance of a stateless component (each colour of a blue/green tier) would make its own copy of the data, and lose it when it is scaled to zero or rebuilt")
                    .help(format!(
                        "declare the persistent resource outside `{}`, once, and pass it in as a param",
                        component_name.name
                    )),
                );
            }
        }
    }
}

impl Checker<'_> {
    /// The component `schema` is the type of, and each resource it
    /// declares (body and `target` blocks) with the type that resource
    /// has; `None` for a type that is not a component.
    fn component_members(
        &self,
        schema: SchemaId,
    ) -> Option<(&Component, Vec<(&Resource, SchemaId)>)> {
        let SchemaKind::Component { module, index } = self.schemas[schema.0 as usize].kind else {
            return None;
        };
        let m = &self.modules[module.0 as usize];
        let Some(ItemKind::Component(component)) = m.ast.items.get(index).map(|i| &i.kind) else {
            return None;
        };
        let members = component_resources(component)
            .filter_map(|r| {
                let decl = m.names.of(&r.name)?;
                let inner = self.resources.get(module.0 as usize)?.get(decl)?.schema?;
                Some((r, inner))
            })
            .collect();
        Some((component, members))
    }
}

/// The resources a component declares, in its body and `target` blocks.
fn component_resources(component: &Component) -> impl Iterator<Item = &Resource> {
    let blocks = component.items.iter().filter_map(|i| match &i.kind {
        ItemKind::Target(t) => Some(t.items.as_slice()),
        _ => None,
    });
    std::iter::once(component.items.as_slice())
        .chain(blocks)
        .flatten()
        .filter_map(|i| match &i.kind {
            ItemKind::Resource(r) => Some(r),
            _ => None,
        })
}
