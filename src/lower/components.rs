//! Component instances: the `target` block of the target, and a frame of
//! their own with the instance's arguments. A component made of one native
//! resource gives it the instance's name words.

use std::borrow::Cow;
use std::rc::Rc;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir;
use crate::sema::check::ModuleId;
use crate::syntax::ast::*;

use super::expand::{Asked, Expander};
use super::values::{Instance, Outputs, Val};

impl<'p> Expander<'p> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn component(
        &mut self,
        r: &'p Resource,
        module: ModuleId,
        index: usize,
        args: Vec<(&'p str, Val)>,
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
        // The chosen `target` block, by index among the component's items.
        let mut blocks = false;
        let mut block = None;
        for (i, item) in component.items.iter().enumerate() {
            if let ItemKind::Target(t) = &item.kind {
                blocks = true;
                if t.target.name == self.target.name() {
                    block = Some((t, i as u32));
                    break;
                }
            }
        }
        let block_index = block.map(|(_, i)| i);
        let target_items: &'p [Item] = match block {
            Some((b, _)) => &b.items,
            None if !blocks => &[],
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
        // The type's name, for diagnostics only.
        let caller = self.frame().module;
        let display = || {
            self.program
                .schema_of(caller, r)
                .map_or(component.name.name.as_str(), |id| {
                    self.program.schemas[id.0 as usize].name.as_str()
                })
        };
        for item in target_items {
            if let ItemKind::Unsupported(Unsupported {
                reason,
                condition: None,
            }) = &item.kind
            {
                let reason = reason.as_plain().unwrap_or_default();
                let display = display();
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
        let mut frame = self.spare_frame(
            module,
            Some(index as u32),
            &component.items,
            block_index,
            target_items,
        );
        frame.path.extend_from_slice(path);
        frame.key.extend_from_slice(key);
        frame.args = args;
        frame.instance = Some(r);
        frame.condition = condition;
        frame.deletion = deletion;
        frame.origin = Some(self.frame().origin.unwrap_or(r.name.span));
        self.frames.push(frame);
        if let Some(refusal) = self.unsupported_use(r, display, target_items) {
            self.diagnostics.push(refusal);
            self.close_frame();
            return Val::Null;
        }
        // Every resource exists whether or not an output reads it.
        let all = component.items.iter().chain(target_items).enumerate();
        for (i, item) in all {
            if let ItemKind::Resource(inner) = &item.kind {
                let _ = self.resource_value(inner, i as u32);
            }
        }
        let outputs_of = component.items.iter().chain(target_items);
        let outputs_of = outputs_of.filter_map(|item| match &item.kind {
            ItemKind::Output(o) => o.value.as_ref().map(|value| (&o.name.name, value)),
            _ => None,
        });
        let names = self
            .output_names
            .entry(std::ptr::from_ref(component) as usize)
            .or_insert_with(|| outputs_of.clone().map(|(name, _)| name.clone()).collect())
            .clone();
        let values = outputs_of.map(|(_, value)| self.expr(value)).collect();
        let outputs = Outputs::new(names, values);
        self.close_frame();
        // A component made of one native resource names it after itself:
        // the resource takes the instance's words (the outermost such
        // instance's, which is done last).
        if self.resources.len() == before + 1 {
            let previous = self.previous_words(path);
            self.words.replace_last(path, previous.as_deref());
        }
        let made = (before..self.resources.len())
            .map(|i| ir::ResourceId(i as u32))
            .collect();
        Val::Resource(Rc::new(Instance {
            native: None,
            made,
            counted: false,
            exists: None,
            outputs,
        }))
    }
}

impl Expander<'_> {
    /// The refusal of an instance that sets what its component cannot
    /// honour on the target (`unsupported "reason" if condition`), with the
    /// component's frame open: the condition reads its params. A condition
    /// known only at deploy time is refused too, as it may hold then.
    fn unsupported_use<'d>(
        &mut self,
        r: &Resource,
        display: impl Fn() -> &'d str,
        target_items: &[Item],
    ) -> Option<Diagnostic> {
        for item in target_items {
            let ItemKind::Unsupported(Unsupported {
                reason,
                condition: Some(condition),
            }) = &item.kind
            else {
                continue;
            };
            let when = match self.expr(condition) {
                Val::Bool(false) | Val::Null => continue,
                Val::Bool(true) => "",
                _ => " if its condition holds at deploy time",
            };
            let said = reason.span.to(condition.span);
            let reason = reason.as_plain().unwrap_or_default();
            let target = self.target.display();
            let display = display();
            let mut read = Vec::new();
            condition.for_each_name(&mut |name| read.push(name.name.as_str()));
            let mut refusal = Diagnostic::new(
                &codes::E0501,
                r.name.span,
                format!("this `{display}` cannot be built as asked on {target}{when}: {reason}"),
            )
            .label(format!("not available on {target} with these settings"));
            for property in &r.body.properties {
                if read.contains(&property.key.name.as_str()) {
                    let setting = property.key.span.to(property.value.span);
                    refusal = refusal.secondary(setting, "this setting");
                }
            }
            return Some(
                refusal
                    .secondary(said, "the component says so here")
                    .help(format!(
                        "leave the setting out, or give it a compile-time value that {target} can honour"
                    )),
            );
        }
        None
    }
}
