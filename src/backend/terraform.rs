//! The terraform backend.

use crate::diagnostics::Diagnostic;
use crate::ir::Deployment;

/// The template of `deployment`, and what the target cannot express.
pub fn emit(deployment: &Deployment) -> (serde_json::Value, Vec<Diagnostic>) {
    let _ = deployment;
    (serde_json::Value::Null, Vec::new())
}
