//! The CloudFormation backend: an `ir::Deployment` to the JSON template an
//! experienced CloudFormation author would have written by hand.
//!
//! Params become `Parameters` (PascalCase logical ids) with their
//! constraints; deploy-time booleans become named `Conditions`, deduplicated
//! by structure and named after what they test (`EnvIsProduction`); a
//! compile-time map read with a deploy-time key becomes a `Mappings` entry;
//! the rest are intrinsic functions. What CloudFormation cannot express
//! (arithmetic on deploy-time values, a deploy-time count, most functions)
//! is an E05xx diagnostic naming CloudFormation and the way out, and so is
//! every service limit a template would break.
//!
//! Architecture Invariant: the output depends only on the IR, in IR order.
//! Hash maps here are only looked up, never iterated into the template.
//!
//! Here the emitter and the template's assembly; each section is built in
//! a file of its own (`params`, `conditions`, `mappings`, `resources`,
//! `outputs`), values in `values`, logical ids in `names`, quotas in
//! `limits`.

mod conditions;
mod limits;
mod mappings;
mod names;
mod outputs;
mod params;
mod resources;
mod values;

pub use crate::backend::common::names::pascal_case;

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::common::names::name_of;
use crate::backend::common::reads::first_reads;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deployment, Param, ResourceId};
use crate::json::{self, Entries, Json};
use crate::source::Span;
use crate::sourcemap::Emitted;

use super::{Emission, Names, Noted};
use limits::MAX_TEMPLATE_DESCRIPTION;
use resources::image_params;

/// The template of `deployment`, printed as `infra build` writes it, and
/// what CloudFormation cannot express.
pub fn emission(deployment: &Deployment) -> Emission {
    let param_ids = deployment
        .params
        .iter()
        .map(|p| (p.name.as_str(), pascal_case(&p.name)))
        .collect();
    let names = resource_names(deployment);
    let mut emitter = Emitter::new(deployment, &param_ids, &names);
    let (text, sections) = emitter.template();
    Emission {
        text,
        staged: None,
        diagnostics: emitter.diagnostics,
        sections,
    }
}

/// The names `emit` gives: resources by their logical ids, params by their
/// PascalCase names.
pub(super) fn names(deployment: &Deployment) -> Names {
    Names {
        resources: resource_names(deployment),
        params: (deployment.params.iter())
            .map(|p| pascal_case(&p.name))
            .collect(),
        outputs: deployment
            .outputs
            .iter()
            .map(|o| pascal_case(&o.name))
            .collect(),
    }
}

/// Each resource's logical id, in the deployment's order.
fn resource_names(deployment: &Deployment) -> Vec<String> {
    deployment.resources.iter().map(|r| r.id.clone()).collect()
}

/// Where a value is emitted: what diagnostics point at and how some values
/// are spelled there.
#[derive(Clone, Copy)]
struct Site<'s> {
    span: Span,
    /// The property or output the value belongs to, for naming mappings.
    owner: &'s str,
    /// Inside the `Conditions` section, where only params, pseudo params and
    /// mappings can be read, and `Fn::If` does not exist.
    in_condition: bool,
    /// An output's value: text only, and an absent value is empty text.
    output: bool,
    /// Inside a resource with a deploy-time count (already reported).
    counted: bool,
}

struct Emitter<'d> {
    deployment: &'d Deployment,
    params: HashMap<&'d str, &'d Param>,
    /// Each param's logical id, by its name in the program.
    param_ids: &'d HashMap<&'d str, String>,
    /// Each resource's logical id, by `ResourceId`.
    names: &'d [String],
    /// Every logical id and name used in the template, gathered when a name
    /// is first made up.
    taken: Option<HashSet<Cow<'d, str>>>,
    conditions: Entries<'d>,
    /// A condition's function as JSON text → its name.
    condition_names: HashMap<String, String>,
    mappings: Entries<'d>,
    mapping_names: HashMap<String, String>,
    /// Where each mapping was first needed, for the limit's diagnostic.
    mapping_spans: Vec<Span>,
    /// Where each param is first read.
    param_spans: HashMap<&'d str, Span>,
    /// Params given as a machine image: typed `AWS::EC2::Image::Id`, which
    /// CloudFormation checks against the account's images.
    image_params: HashSet<&'d str>,
    diagnostics: Vec<Diagnostic>,
    reported: HashSet<(&'static str, Span, String)>,
    /// A buffer a resource's properties are printed into, kept between
    /// resources.
    scratch: String,
}

impl<'d> Emitter<'d> {
    /// `names` are `resource_names(deployment)`.
    fn new(
        deployment: &'d Deployment,
        param_ids: &'d HashMap<&'d str, String>,
        names: &'d [String],
    ) -> Emitter<'d> {
        // A param read only by an export name is read here: CloudFormation
        // writes exports.
        let param_spans = first_reads(deployment, true);
        Emitter {
            deployment,
            params: deployment
                .params
                .iter()
                .map(|p| (p.name.as_str(), p))
                .collect(),
            param_ids,
            names,
            taken: None,
            conditions: Vec::new(),
            condition_names: HashMap::default(),
            mappings: Vec::new(),
            mapping_names: HashMap::default(),
            mapping_spans: Vec::new(),
            param_spans,
            image_params: image_params(deployment),
            diagnostics: Vec::new(),
            reported: HashSet::default(),
            scratch: String::new(),
        }
    }

    /// The logical id of the resource `id` refers to.
    fn id(&self, id: ResourceId) -> &'d str {
        name_of(self.names, id)
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        let key = (
            diagnostic.code.id,
            diagnostic.primary.span,
            diagnostic.message.clone(),
        );
        if self.reported.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// A span for what has none of its own: the first declaration.
    fn anchor(&self) -> Span {
        // Outputs are declared in the entry file; a native resource may come
        // from a component's lowering.
        self.deployment
            .outputs
            .first()
            .map(|o| o.span)
            .or_else(|| self.deployment.resources.first().map(|r| r.span))
            .unwrap_or_default()
    }

    /// Where a param is first read (params carry no span of their own).
    fn param_span(&self, name: &str) -> Span {
        self.param_spans
            .get(name)
            .copied()
            .unwrap_or_else(|| self.anchor())
    }

    fn internal(&mut self, span: Span, message: String) {
        self.report(
            Diagnostic::new(&codes::E0000, span, format!("internal error: {message}"))
                .label("the compiler could not emit this for CloudFormation")
                .note("this is a bug in the Infra compiler; please report it"),
        );
    }

    /// The template, printed, and what its source map reads of it.
    fn template(&mut self) -> (String, Emitted) {
        self.check_ids();
        self.check_images();
        let parameters = self.parameters();
        let metadata = self.metadata();
        let deployment = self.deployment;
        // Each resource is printed as it is rendered; the template is put
        // together at the end, the sections before `Resources` being filled
        // in meanwhile. About 600 bytes a resource, reserved at once rather
        // than grown by doubling.
        let mut printed = String::with_capacity(768 * deployment.resources.len());
        // Each with the conditions it uses, for its source map.
        let mut resources: Noted<std::ops::Range<usize>> =
            Vec::with_capacity(deployment.resources.len());
        for r in &deployment.resources {
            let start = printed.len();
            if let Some(uses) = self.write_resource(&mut printed, r, 2) {
                resources.push((Cow::from(r.id.as_str()), (start..printed.len(), uses)));
            }
        }
        // Ids repeat only in a program with an error (E0511), where the last
        // resource of an id replaces the first, as in a map.
        if self.names.iter().collect::<HashSet<_>>().len() < self.names.len() {
            resources = json::dedup(resources);
        }
        let mut outputs = Vec::with_capacity(deployment.outputs.len());
        for o in &deployment.outputs {
            if let Some(output) = self.output(o) {
                outputs.push(output);
            }
        }
        let outputs = json::dedup(outputs);
        if resources.is_empty() {
            self.no_resources();
        }

        // The sections before `Resources`.
        let mut template: Entries<'d> =
            vec![("AWSTemplateFormatVersion".into(), "2010-09-09".into())];
        if let Some(description) = &deployment.description {
            let description = description.trim();
            if !description.is_empty() {
                let span = self.anchor();
                let text = self.bounded(
                    description,
                    MAX_TEMPLATE_DESCRIPTION,
                    span,
                    "the template's description",
                    "in the template built from this program",
                );
                template.push(("Description".into(), text.into()));
            }
        }
        if let Some(metadata) = metadata {
            template.push(("Metadata".into(), metadata));
        }
        if !parameters.is_empty() {
            template.push(("Parameters".into(), Json::Object(parameters)));
        }
        if !self.mappings.is_empty() {
            template.push((
                "Mappings".into(),
                Json::Object(std::mem::take(&mut self.mappings)),
            ));
        }
        if !self.conditions.is_empty() {
            template.push((
                "Conditions".into(),
                Json::Object(std::mem::take(&mut self.conditions)),
            ));
        }
        let mut last: Entries<'d> = Vec::new();
        if !outputs.is_empty() {
            last.push(("Outputs".into(), Json::Object(outputs)));
        }
        let mut sections = Emitted::of(deployment.target, template.iter().chain(&last));
        let members = (resources.iter()).map(|(id, (range, _))| (&**id, &printed[range.clone()]));
        let text = json::pretty_around(&template, "Resources", members, &last);
        self.check_limits(text.len(), resources.len());
        sections.resources = (resources.into_iter())
            .map(|(id, (_, uses))| (id.into_owned(), uses))
            .collect();
        (text, sections)
    }
}

#[cfg(test)]
mod tests;
