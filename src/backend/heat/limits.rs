//! The size of template Heat's engine accepts.

use crate::backend::common::reads::first_declaration;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::Deployment;
use crate::target::Target;

/// The largest template Heat's engine accepts by default
/// (`max_template_size` in `heat.conf`).
const MAX_TEMPLATE_BYTES: usize = Target::Heat.capabilities().limits.body_bytes.unwrap();

/// A template of `size` bytes over the size Heat accepts, reported at the
/// first resource (else the first output).
pub(super) fn size_limit(deployment: &Deployment, size: usize) -> Option<Diagnostic> {
    if size <= MAX_TEMPLATE_BYTES {
        return None;
    }
    let span = first_declaration(deployment)?;
    Some(
        Diagnostic::new(
            &codes::E0536,
            span,
            format!(
                "the template is {size} bytes: Heat accepts at most {MAX_TEMPLATE_BYTES} by default"
            ),
        )
        .label("in the template built from this program")
        .note("Heat's `max_template_size` setting bounds the templates a cloud accepts; most clouds keep the default")
        .help("split the program into several stacks (one entry file each), or repeat resources with a deploy-time count (`for i in 0..n`), which Heat writes once as a ResourceGroup"),
    )
}
