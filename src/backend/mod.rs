//! Backends: an `ir::Deployment` to the native template of one target.
//!
//! Backends see only the IR. What a target cannot express is a diagnostic
//! naming the target (E05xx), raised before anything is written.
//!
//! Each backend is a folder, split by the template's sections, with one
//! `emit` signature: the printed template and the diagnostics. Each builds a
//! `json::Json` tree that borrows the IR's text, printed by `json`. What all
//! of them decide the same way is in `common`.

pub mod cloudformation;
mod common;
pub mod heat;
pub(crate) mod read;
pub mod terraform;

use crate::diagnostics::Diagnostic;
use crate::ir::{Deployment, Target};
use crate::json::Json;
use crate::sourcemap::Emitted;

/// A template printed, what the target could not express, and what its
/// source map reads of it.
pub struct Emission {
    /// The file `infra build` writes: pretty JSON and a final newline.
    /// Empty when it was staged as it was printed (`staged`).
    pub text: String,
    pub staged: Option<crate::workspace::Staged>,
    /// A template with an error among these must not be written.
    pub diagnostics: Vec<Diagnostic>,
    /// Its sections' names and the conditions each entry uses, noted from
    /// the tree as it was printed.
    pub sections: Emitted,
}

/// A section's entries printed one by one, each with its name, its
/// printed value (`V`) and the conditions it uses (`Emitted::uses`).
type Noted<'a, V> = Vec<(std::borrow::Cow<'a, str>, (V, Vec<String>))>;

/// `value` printed into `out` at `depth` by the tree, its conditions added
/// to `uses` as `Emitted::uses` notes them: where a text writer leaves a
/// value to the tree.
fn write_noted(
    out: &mut String,
    value: &Json,
    depth: usize,
    target: Target,
    uses: &mut Vec<String>,
) {
    crate::json::write(out, value, depth);
    note_uses(uses, Emitted::uses(target, value));
}

/// `write_noted` of the value of an object's `key`, whose conditions the
/// walk reads with the key (`Condition`, `Fn::If`, Heat's `condition`).
fn write_noted_entry<'a>(
    out: &mut String,
    key: &'a str,
    value: Json<'a>,
    depth: usize,
    target: Target,
    uses: &mut Vec<String>,
) {
    crate::json::write(out, &value, depth);
    let entry = Json::Object(vec![(key.into(), value)]);
    note_uses(uses, Emitted::uses(target, &entry));
}

/// The conditions `names` are added to those `uses` notes, each once, where
/// first met: how `Emitted::uses` notes a value walked in parts.
fn note_uses(uses: &mut Vec<String>, names: Vec<String>) {
    if uses.is_empty() {
        *uses = names;
        return;
    }
    for name in names {
        if !uses.contains(&name) {
            uses.push(name);
        }
    }
}

/// The template of `deployment`.
pub fn emission(deployment: &Deployment) -> Emission {
    match deployment.target {
        Target::CloudFormation => cloudformation::emission(deployment),
        Target::Heat => heat::emission(deployment),
        Target::TerraformAws | Target::TerraformOpenstack => terraform::emission(deployment),
    }
}

/// `emission`, printed to `printing` (staged or dropped as it is printed)
/// where the target prints its template piece by piece and it is not
/// measured to be split (Terraform): a nested stack's template is small,
/// and measured whole.
pub fn emission_to(deployment: &Deployment, printing: crate::workspace::Printing<'_>) -> Emission {
    match deployment.target {
        Target::TerraformAws | Target::TerraformOpenstack => {
            terraform::emission_to(deployment, printing)
        }
        Target::CloudFormation | Target::Heat => emission(deployment),
    }
}

/// The template of `deployment` and what the target could not express.
pub fn emit(deployment: &Deployment) -> (String, Vec<Diagnostic>) {
    let emission = emission(deployment);
    (emission.text, emission.diagnostics)
}

/// Where the names of a template come from: for each of the deployment's
/// resources, params and outputs, in its order, the name the template
/// gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Names {
    /// CloudFormation logical id, Heat resource name, Terraform `TYPE.NAME`.
    pub resources: Vec<String>,
    /// CloudFormation parameter, Heat parameter, Terraform variable.
    pub params: Vec<String>,
    /// Each output's name: CloudFormation's PascalCase, Heat's and
    /// Terraform's as written.
    pub outputs: Vec<String>,
}

/// The names `emit` gives the resources and params of `deployment`.
pub fn names(deployment: &Deployment) -> Names {
    match deployment.target {
        Target::CloudFormation => cloudformation::names(deployment),
        Target::Heat => heat::names(deployment),
        Target::TerraformAws | Target::TerraformOpenstack => terraform::names(deployment),
    }
}
