//! CloudFormation's quotas on one template: counts, sizes, lengths of
//! descriptions.

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::Param;
use crate::source::Span;
use crate::target::{Limits, Target};

use super::Emitter;

/// CloudFormation's quotas on one template, a fact of the target's.
const LIMITS: Limits = Target::CloudFormation.capabilities().limits;

const MAX_RESOURCES: usize = LIMITS.resources.unwrap();

const MAX_PARAMETERS: usize = LIMITS.parameters.unwrap();

const MAX_OUTPUTS: usize = LIMITS.outputs.unwrap();

const MAX_MAPPINGS: usize = LIMITS.mappings.unwrap();

/// The largest template body CloudFormation accepts from S3.
const MAX_BODY: usize = LIMITS.body_bytes.unwrap();

/// The largest template body that can be passed inline (`--template-body`).
const MAX_INLINE_BODY: usize = LIMITS.inline_body_bytes.unwrap();

pub(super) const MAX_TEMPLATE_DESCRIPTION: usize = 1024;

pub(super) const MAX_PARAM_DESCRIPTION: usize = 4000;

pub(super) const MAX_OUTPUT_DESCRIPTION: usize = 1024;

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl<'d> Emitter<'d> {
    /// Text CloudFormation caps at `max` bytes, cut with a warning.
    pub(super) fn bounded<'t>(
        &mut self,
        text: &'t str,
        max: usize,
        span: Span,
        what: &str,
        label: &str,
    ) -> &'t str {
        if text.len() <= max {
            return text;
        }
        self.report(
            Diagnostic::new(
                &codes::W0513,
                span,
                format!(
                    "{what} is {} bytes long: CloudFormation takes at most {max}, so it is cut",
                    text.len()
                ),
            )
            .label(label.to_string())
            .help(format!("shorten the doc comment to at most {max} bytes")),
        );
        truncate(text, max)
    }

    /// Checks CloudFormation's quotas; `size` is the printed template's.
    pub(super) fn check_limits(&mut self, size: usize, resource_count: usize) {
        let deployment = self.deployment;
        let limit = |what: &str, count: usize, max: usize, span: Span, label: &str| {
            Diagnostic::new(
                &codes::E0516,
                span,
                format!("the template has {count} {what}: CloudFormation accepts at most {max}"),
            )
            .label(label.to_string())
            .note("this is a quota of CloudFormation on one template")
        };
        if resource_count > MAX_RESOURCES {
            let span = deployment
                .resources
                .get(MAX_RESOURCES)
                .map_or(self.anchor(), |r| r.span);
            self.report(
                limit("resources", resource_count, MAX_RESOURCES, span, "the first resource over the limit")
                    .help("split the program into several stacks (one entry file each), sharing values through outputs with `export`"),
            );
        }
        let read: Vec<&Param> = deployment
            .params
            .iter()
            .filter(|p| self.is_read(&p.name))
            .collect();
        let params = read.len();
        if params > MAX_PARAMETERS {
            let span = self.param_span(&read[MAX_PARAMETERS].name);
            self.report(
                limit("parameters", params, MAX_PARAMETERS, span, "the first param over the limit is read here")
                    .help("give some params at compile time with `--param` or `--params FILE`: they are then folded into the template"),
            );
        }
        let outputs = deployment.outputs.len();
        if outputs > MAX_OUTPUTS {
            let span = deployment.outputs[MAX_OUTPUTS].span;
            self.report(
                limit("outputs", outputs, MAX_OUTPUTS, span, "the first output over the limit")
                    .help("output lists instead of one output per value, or split the program into several stacks"),
            );
        }
        let mappings = self.mapping_spans.len();
        if mappings > MAX_MAPPINGS {
            let span = self.mapping_spans[MAX_MAPPINGS];
            self.report(
                limit("mappings", mappings, MAX_MAPPINGS, span, "the first lookup over the limit")
                    .help("give the keys at compile time with `--param`: a lookup with a known key needs no mapping"),
            );
        }
        let span = self.anchor();
        if size > MAX_BODY {
            self.report(
                limit("bytes", size, MAX_BODY, span, "in the template built from this program")
                    .help("split the program into several stacks (one entry file each), sharing values through outputs with `export`"),
            );
        } else if size > MAX_INLINE_BODY {
            self.report(
                Diagnostic::new(
                    &codes::W0510,
                    span,
                    format!(
                        "the template is {size} bytes: CloudFormation accepts at most {MAX_INLINE_BODY} bytes passed inline"
                    ),
                )
                .label("in the template built from this program")
                .note("a larger template must be uploaded to S3 and passed by URL (`--template-url`; `aws cloudformation deploy --s3-bucket` does it), up to 1,000,000 bytes")
                .help("upload the template to S3, or split the program into several stacks"),
            );
        }
    }
}
