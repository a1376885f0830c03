//! Backends: an `ir::Deployment` to the native template of one target.
//!
//! Backends see only the IR. What a target cannot express is a diagnostic
//! naming the target (E05xx), raised before anything is written.

pub mod cloudformation;
pub mod heat;
pub mod terraform;

use crate::diagnostics::Diagnostic;
use crate::ir::{Deployment, Target};

/// The template of `deployment`, as the file `infra build` writes (pretty
/// JSON and a final newline), and what the target could not express. A
/// template with an error among the diagnostics must not be written.
pub fn emit(deployment: &Deployment) -> (String, Vec<Diagnostic>) {
    let (value, mut diagnostics) = match deployment.target {
        Target::CloudFormation => return cloudformation::emit(deployment),
        Target::Heat => heat::emit(deployment),
        Target::TerraformAws | Target::TerraformOpenstack => terraform::emit(deployment),
    };
    let text = crate::json::pretty_value(&value);
    if deployment.target == Target::Heat {
        diagnostics.extend(heat::size_limit(deployment, text.len()));
    }
    (text, diagnostics)
}


/// Where the names of a template come from: for each of the deployment's
/// resources and params, in its order, the name the template gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Names {
    /// CloudFormation logical id, Heat resource name, Terraform `TYPE.NAME`.
    pub resources: Vec<String>,
    /// CloudFormation parameter, Heat parameter, Terraform variable.
    pub params: Vec<String>,
}

/// The names `emit` gives the resources and params of `deployment`.
pub fn names(deployment: &Deployment) -> Names {
    let resources = match deployment.target {
        Target::CloudFormation => deployment.resources.iter().map(|r| r.id.clone()).collect(),
        Target::Heat => heat::resource_names(deployment),
        Target::TerraformAws | Target::TerraformOpenstack => deployment
            .resources
            .iter()
            .map(|r| format!("{}.{}", r.type_name, r.snake))
            .collect(),
    };
    let params = match deployment.target {
        Target::CloudFormation => deployment
            .params
            .iter()
            .map(|p| cloudformation::pascal_case(&p.name))
            .collect(),
        Target::Heat => deployment.params.iter().map(|p| p.name.clone()).collect(),
        Target::TerraformAws | Target::TerraformOpenstack => terraform::variable_names(deployment),
    };
    Names { resources, params }
}
