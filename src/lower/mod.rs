//! Lowering: a checked program to the native resources of one target.
//!
//! Portable types are expanded into the native resources of their `target`
//! block, loops over compile-time lists are unrolled, constants are folded;
//! what is left is deploy-time work, as `ir::Expr`.

mod bounded;
mod budget;
mod components;
mod comprehensions;
mod expand;
mod exprs;
mod liveness;
mod names;
mod params;
mod resources;
#[cfg(test)]
mod tests;
mod unmanaged;
mod values;

pub use budget::Budget;

use crate::diagnostics::Diagnostic;
use crate::ir::{Deployment, Target};

/// The targets to build a program for: those asked for, or, when none is,
/// every target the program can compile to (a program using native types
/// compiles only for their target). Asking for a target the program's
/// native types do not belong to is reported into `diagnostics`.
pub fn targets_of(
    program: &crate::sema::check::Program,
    asked: &[Target],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Target> {
    let _ = diagnostics;
    let natives = native_targets(program);
    if asked.is_empty() {
        return Target::ALL
            .into_iter()
            .filter(|t| natives.iter().all(|u| t.accepts_vocabulary(&u.target)))
            .collect();
    }
    let mut targets = Vec::new();
    for target in asked {
        let foreign: Vec<&NativeUse> = natives
            .iter()
            .filter(|u| !target.accepts_vocabulary(&u.target))
            .collect();
        if foreign.is_empty() {
            targets.push(*target);
            continue;
        }
        for native in foreign {
            let owner = Target::vocabulary_display(&native.target);
            let diagnostic = match native.inside {
                None => Diagnostic::new(
                    &crate::diagnostics::codes::E0500,
                    native.at,
                    format!("this is a native type of {owner}: the program cannot be built for {}", target.display()),
                )
                .label(format!("a {owner} type"))
                .help("use the portable type of the same kind (see `stdlib/portable`) to build for every target"),
                Some(inner) => Diagnostic::new(
                    &crate::diagnostics::codes::E0500,
                    native.at,
                    format!("this component is made with a native type of {owner}: the program cannot be built for {}", target.display()),
                )
                .label(format!("a component using a {owner} type"))
                .secondary(inner, format!("the {owner} type, outside any `target` block"))
                .help("use the portable type of the same kind (see `stdlib/portable`), or put the component's target-specific resources in `target` blocks"),
            };
            diagnostics.push(diagnostic);
        }
    }
    targets
}

/// The targets of the native types the entry file uses, checked or written
/// as a string (whose vocabulary still names its target): directly, or in
/// the body of a component it uses, outside its `target` blocks (whose
/// natives belong to their target). Each is reported at the entry file's
/// resource.
fn native_targets(program: &crate::sema::check::Program) -> Vec<NativeUse> {
    let mut found = Vec::new();
    for item in &program.modules[program.entry.0 as usize].items {
        if let crate::syntax::ast::ItemKind::Resource(r) = &item.kind {
            let mut seen = rustc_hash::FxHashSet::default();
            natives_of(
                program,
                program.entry,
                r,
                r.name.span,
                &mut seen,
                &mut found,
            );
        }
    }
    found
}

/// A native type the entry file uses.
struct NativeUse {
    /// The target it belongs to, as `native ... on TARGET` names it.
    target: String,
    /// The entry file's resource that uses it.
    at: crate::source::Span,
    /// The resource of a component's body that has it, when not `at` itself.
    inside: Option<crate::source::Span>,
}

impl NativeUse {
    fn new(
        target: &str,
        at: crate::source::Span,
        resource: &crate::syntax::ast::Resource,
    ) -> NativeUse {
        NativeUse {
            target: target.to_string(),
            at,
            inside: (resource.name.span != at).then_some(resource.name.span),
        }
    }
}

/// The native types `resource` uses, through the components it
/// instantiates: each component is read once (`seen`), however many times
/// it is instantiated, so nesting costs no more than the components' sizes.
fn natives_of(
    program: &crate::sema::check::Program,
    module: crate::sema::check::ModuleId,
    resource: &crate::syntax::ast::Resource,
    at: crate::source::Span,
    seen: &mut rustc_hash::FxHashSet<crate::sema::ty::SchemaId>,
    found: &mut Vec<NativeUse>,
) {
    use crate::sema::schema::SchemaKind;
    use crate::syntax::ast::{ItemKind, ResourceType};
    let schema = program.schema_of(module, resource);
    let kind = schema.map(|id| &program.schemas[id.0 as usize].kind);
    match kind {
        Some(SchemaKind::Native { target }) => found.push(NativeUse::new(target, at, resource)),
        Some(SchemaKind::Component { module, index })
            if schema.is_some_and(|id| seen.insert(id)) =>
        {
            let items = &program.modules[module.0 as usize].items;
            if let Some(ItemKind::Component(component)) = items.get(*index).map(|i| &i.kind) {
                for item in &component.items {
                    if let ItemKind::Resource(inner) = &item.kind {
                        natives_of(program, *module, inner, at, seen, found);
                    }
                }
            }
        }
        Some(SchemaKind::Component { .. }) => {}
        None => {
            if let ResourceType::Raw(name) = &resource.ty
                && let Some(target) = name
                    .as_plain()
                    .and_then(|n| crate::target::vocabulary_of(&n))
            {
                found.push(NativeUse::new(target, at, resource));
            }
        }
    }
}

/// Lowers a checked entry file for `target`, within the default budget.
pub fn lower(
    program: &crate::sema::check::Program,
    target: Target,
) -> (Deployment, Vec<Diagnostic>) {
    lower_within(program, target, Budget::default())
}

/// Lowers a checked entry file for `target`, within `budget`.
pub fn lower_within(
    program: &crate::sema::check::Program,
    target: Target,
    budget: Budget,
) -> (Deployment, Vec<Diagnostic>) {
    expand::Expander::new(program, target, budget).run()
}
