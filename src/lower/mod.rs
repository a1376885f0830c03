//! Lowering: a checked program to the native resources of one target.
//!
//! Portable types are expanded into the native resources of their `target`
//! block, loops over compile-time lists are unrolled, constants are folded;
//! what is left is deploy-time work, as `ir::Expr`.

mod expand;

use crate::diagnostics::Diagnostic;
use crate::ir::{Deployment, Target};

const ALL_TARGETS: [Target; 4] = [
    Target::CloudFormation,
    Target::Heat,
    Target::TerraformAws,
    Target::TerraformOpenstack,
];

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
        return ALL_TARGETS
            .into_iter()
            .filter(|t| natives.iter().all(|(owner, _)| accepts(*t, owner)))
            .collect();
    }
    let mut targets = Vec::new();
    for target in asked {
        let foreign: Vec<&(String, crate::source::Span)> = natives
            .iter()
            .filter(|(owner, _)| !accepts(*target, owner))
            .collect();
        if foreign.is_empty() {
            targets.push(*target);
            continue;
        }
        for (owner, span) in foreign {
            let owner = match owner.as_str() {
                "cloudformation" => "CloudFormation",
                "heat" => "Heat",
                "terraform-aws" => "Terraform (aws)",
                "terraform-openstack" => "Terraform (openstack)",
                _ => "Terraform",
            };
            diagnostics.push(
                Diagnostic::new(
                    &crate::diagnostics::codes::E0500,
                    *span,
                    format!("this is a native type of {owner}: the program cannot be built for {}", target.display()),
                )
                .label(format!("a {owner} type"))
                .help("use the portable type of the same kind (see `stdlib/portable`) to build for every target"),
            );
        }
    }
    targets
}

fn accepts(target: Target, owner: &str) -> bool {
    owner == target.name() || (owner == "terraform" && target.name().starts_with("terraform-"))
}

/// The targets of the native types the entry file uses directly, checked
/// or written as a string (whose vocabulary still names its target).
fn native_targets(program: &crate::sema::check::Program) -> Vec<(String, crate::source::Span)> {
    use crate::sema::schema::SchemaKind;
    use crate::syntax::ast::{ItemKind, ResourceType};
    let mut found = Vec::new();
    for item in &program.modules[program.entry.0 as usize].items {
        let ItemKind::Resource(r) = &item.kind else {
            continue;
        };
        if let Some(id) = program.resource_schemas.get(&r.name.span)
            && let SchemaKind::Native { target } = &program.schemas[id.0 as usize].kind
        {
            found.push((target.clone(), r.name.span));
        } else if let ResourceType::Raw(name) = &r.ty
            && let Some(target) = name
                .as_plain()
                .and_then(|n| crate::stdlib::native_target(&n))
        {
            found.push((target.to_string(), r.name.span));
        }
    }
    found
}

/// Lowers a checked entry file for `target`.
pub fn lower(
    program: &crate::sema::check::Program,
    target: Target,
) -> (Deployment, Vec<Diagnostic>) {
    expand::Expander::new(program, target).run()
}
