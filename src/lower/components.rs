//! Component instances: the `target` block of the target, a frame of their
//! own with the instance's arguments, and the renaming of a component made
//! of one native resource after the instance.

use std::borrow::Cow;
use std::rc::Rc;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::sema::check::ModuleId;
use crate::syntax::ast::*;

use super::expand::{Asked, Expander, new_frame};
use super::names::{pascal, snake};
use super::values::{Fields, Instance, Val};

impl<'p> Expander<'p> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn component(
        &mut self,
        r: &'p Resource,
        module: ModuleId,
        index: usize,
        args: Fields,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
        deletion: Option<Asked>,
    ) -> Val {
        let program = self.program;
        let ItemKind::Component(component) = &program.modules[module.0 as usize].items[index].kind
        else {
            return Val::Null;
        };
        let blocks: Vec<&'p TargetBlock> = component
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Target(t) => Some(t),
                _ => None,
            })
            .collect();
        let block = blocks
            .iter()
            .find(|b| b.target.name == self.target.name())
            .copied();
        let block_index = block.and_then(|b| {
            component
                .items
                .iter()
                .position(|i| matches!(&i.kind, ItemKind::Target(t) if std::ptr::eq(t, b)))
                .map(|i| i as u32)
        });
        let target_items: &'p [Item] = match block {
            Some(b) => &b.items,
            None if blocks.is_empty() => &[],
            None => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0502,
                        r.name.span,
                        format!(
                            "`{}` has no lowering for {}",
                            component.name.name,
                            self.target.display()
                        ),
                    )
                    .label(format!("cannot be built for {}", self.target.display()))
                    .secondary(component.name.span, "declared here")
                    .help(format!(
                        "add a `target {}` block to the component",
                        self.target.name()
                    )),
                );
                return Val::Null;
            }
        };
        let caller = self.frame().module;
        let display = self.program.schema_of(caller, r).map_or_else(
            || component.name.name.clone(),
            |id| self.program.schemas[id.0 as usize].name.clone(),
        );
        for item in target_items {
            if let ItemKind::Unsupported(reason) = &item.kind {
                let reason = reason.as_plain().unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0501,
                        r.name.span,
                        format!(
                            "`{display}` has no form on {}: {reason}",
                            self.target.display()
                        ),
                    )
                    .label(format!("not available on {}", self.target.display()))
                    .secondary(item.span, "the component says so here")
                    .help("build this program for another target, or use another type here"),
                );
                return Val::Null;
            }
        }
        let before = self.resources.len();
        let mut frame = new_frame(
            module,
            Some(index as u32),
            &component.items,
            block_index,
            target_items,
        );
        frame.path = path.to_vec();
        frame.key = key.to_vec();
        frame.args = args;
        frame.instance = Some(r);
        frame.condition = condition;
        frame.deletion = deletion;
        frame.origin = Some(self.frame().origin.unwrap_or(r.name.span));
        self.frames.push(frame);
        // Every resource exists whether or not an output reads it.
        let all = component.items.iter().chain(target_items).enumerate();
        for (i, item) in all {
            if let ItemKind::Resource(inner) = &item.kind {
                let _ = self.resource_value(inner, i as u32);
            }
        }
        let mut outputs = Fields::default();
        for item in component.items.iter().chain(target_items) {
            if let ItemKind::Output(o) = &item.kind
                && let Some(value) = &o.value
            {
                let v = self.expr(value);
                outputs.insert(o.name.name.clone(), v);
            }
        }
        self.frames.pop();
        // A component made of one native resource names it after itself.
        if self.resources.len() == before + 1 {
            let own = self.resources[before].id.clone();
            self.ids.remove(&own);
            let id = self.unique_id(pascal(path), before);
            let resource = &mut self.resources[before];
            resource.snake = snake(path);
            let old = std::mem::replace(&mut resource.id, id.clone());
            rename(&mut outputs, &old, &id);
            // Only resources made inside this instance can refer to it yet:
            // anything outside reads it through the outputs renamed above.
            rename_in_resource(resource, &old, &id);
        }
        let made = self.resources[before..]
            .iter()
            .map(|r| r.id.clone())
            .collect();
        Val::Resource(Rc::new(Instance {
            native: None,
            made,
            counted: false,
            outputs,
        }))
    }
}

fn rename(outputs: &mut Fields, old: &str, new: &str) {
    for v in outputs.values_mut() {
        rename_val(v, old, new);
    }
}

fn rename_val(v: &mut Val, old: &str, new: &str) {
    match v {
        Val::Deploy(e) => rename_expr(e, old, new),
        Val::List(items) => items.iter_mut().for_each(|i| rename_val(i, old, new)),
        Val::Object(fields) => fields.values_mut().for_each(|v| rename_val(v, old, new)),
        Val::Resource(instance) if instance.native.as_deref() == Some(old) => {
            *v = Val::Resource(Rc::new(Instance::native(new.to_string(), instance.counted)));
        }
        Val::Choice(condition, a, b) => {
            rename_expr(condition, old, new);
            rename_val(a, old, new);
            rename_val(b, old, new);
        }
        _ => {}
    }
}

fn rename_in_resource(r: &mut ir::Resource, old: &str, new: &str) {
    for v in r.properties.values_mut() {
        rename_expr(v, old, new);
    }
    for d in &mut r.depends_on {
        if d == old {
            *d = new.to_string();
        }
    }
    if let Some(c) = &mut r.condition {
        rename_expr(c, old, new);
    }
}

/// Rewrites references to the resource `old` as references to `new`.
pub fn rename_expr(e: &mut ir::Expr, old: &str, new: &str) {
    use ir::Expr as E;
    match e {
        E::Ref(id) | E::Attr(id, _) if id == old => *id = new.to_string(),
        E::List(items) | E::Call(_, items) => {
            items.iter_mut().for_each(|i| rename_expr(i, old, new));
        }
        E::Object(fields) => fields.values_mut().for_each(|v| rename_expr(v, old, new)),
        E::Interp(parts) => {
            for p in parts {
                if let ir::Part::Expr(e) = p {
                    rename_expr(e, old, new);
                }
            }
        }
        E::Not(a) | E::Neg(a) | E::Member(a, _) => rename_expr(a, old, new),
        E::Binary(_, a, b) | E::Index(a, b) => {
            rename_expr(a, old, new);
            rename_expr(b, old, new);
        }
        E::If(c, a, b) => {
            rename_expr(c, old, new);
            rename_expr(a, old, new);
            rename_expr(b, old, new);
        }
        E::Copies { of, each } => {
            if of == old {
                *of = new.to_string();
            }
            rename_expr(each, old, new);
        }
        _ => {}
    }
}
