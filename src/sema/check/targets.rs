//! A component's `target` blocks: each names a known target, declares
//! only that target's native types, is checked in a scope of the
//! component's params and lets, and binds every declared output.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::secrets::sensitive_outputs;
use super::{Checker, ModuleId};
use crate::diagnostics::{Diagnostic, codes};
use crate::syntax::ast::*;
use crate::target::Target;

impl Checker<'_> {
    /// A component's lowering for one target: its resources are native
    /// resources of that target, checked against their schemas, in a scope
    /// of the component's params and lets; each `output` binds one of the
    /// component's declared outputs.
    pub(super) fn check_target_block(
        &mut self,
        module: ModuleId,
        component: &Component,
        block: &TargetBlock,
    ) {
        let target = block.target.name.as_str();
        let Some(block_target) = Target::from_name(target) else {
            let mut d = Diagnostic::new(
                &codes::E0211,
                block.target.span,
                format!("unknown target `{target}`"),
            )
            .label("not a target")
            .note(format!("the targets are {}", Target::NAMES.join(", ")));
            d = d.did_you_mean(target, Target::NAMES);
            self.diagnostics.push(d);
            return;
        };
        let mut items: Vec<Item> = component
            .items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Param(_) | ItemKind::Let(_)))
            .cloned()
            .collect();
        // A bound output is checked against the type its declaration gives.
        let declared: HashMap<&str, &TypeExpr> = component
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Output(o) if o.value.is_none() => {
                    Some((o.name.name.as_str(), o.ty.as_ref()?))
                }
                _ => None,
            })
            .collect();
        items.extend(block.items.iter().map(|item| {
            let mut item = item.clone();
            if let ItemKind::Output(o) = &mut item.kind
                && o.ty.is_none()
                && let Some(ty) = declared.get(o.name.name.as_str())
            {
                o.ty = Some((*ty).clone());
            }
            item
        }));
        for item in &block.items {
            if let ItemKind::Resource(r) = &item.kind {
                let name = match &r.ty {
                    ResourceType::Path(path)
                        if path.separator == PathSeparator::Colons || path.segments.len() == 1 =>
                    {
                        Some((path.text(), path.span))
                    }
                    ResourceType::Raw(raw) => raw.as_plain().map(|t| (t, raw.span)),
                    ResourceType::Path(_) => None,
                };
                if let Some((name, span)) = name
                    && let Some(owner) = crate::target::vocabulary_of(&name)
                    && !block_target.accepts_vocabulary(owner)
                {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0212,
                            span,
                            format!("`{name}` is a native type of {owner}, not of {target}"),
                        )
                        .label(format!("not a {target} type"))
                        .help(format!(
                            "a `target {target}` block lowers into {target}'s own types"
                        )),
                    );
                }
            }
        }
        let _ = self.check_module(module, &items, false, Some(&sensitive_outputs(component)));
        // Every declared output is bound by every lowering.
        let bound: HashSet<&str> = block
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Output(o) if o.value.is_some() => Some(o.name.name.as_str()),
                _ => None,
            })
            .collect();
        let unsupported = block.items.iter().any(|i| {
            matches!(
                i.kind,
                ItemKind::Unsupported(Unsupported {
                    condition: None,
                    ..
                })
            )
        });
        if unsupported {
            return;
        }
        for item in &component.items {
            if let ItemKind::Output(o) = &item.kind
                && o.value.is_none()
                && !bound.contains(o.name.name.as_str())
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0213,
                        block.target.span,
                        format!(
                            "the {target} lowering of `{}` does not bind output `{}`",
                            component.name.name, o.name.name
                        ),
                    )
                    .label(format!("no `output {} = ...` in this block", o.name.name))
                    .secondary(o.name.span, "declared here")
                    .help(format!("add `output {} = ...` to the block", o.name.name)),
                );
            }
        }
    }
}
