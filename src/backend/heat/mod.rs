//! The Heat backend: a deployment as a Heat Orchestration Template (HOT),
//! written as JSON.
//!
//! The mapping, construct by construct:
//!
//! - The template is `heat_template_version` 2018-08-31 (the oldest version
//!   this backend writes: it has `list_concat`, `contains`, `str_split` with
//!   an index and `if`), or 2021-04-16 when a property has a value only under
//!   a condition: there `if` takes two arguments and an untaken branch leaves
//!   the property out, where 2018-08-31 would pass `null` (an empty string to
//!   a string property).
//! - Params are `parameters` (`string`, `number`, `boolean`, `json`,
//!   `comma_delimited_list`) with `label`, `description`, `default`, `hidden`
//!   and `constraints` (`length`, `range`, `allowed_pattern`,
//!   `allowed_values`, each with the param's message as its `description`);
//!   grouped params are also listed in `parameter_groups`. The `allowed`
//!   values of a list (whole lists, where Heat checks each element) or of a
//!   `json` parameter have no Heat form: left out, with a warning (W0532).
//! - Resources are named by their snake_case name (`web_server`), as Heat
//!   authors write them. A deploy-time count wraps the resource in an
//!   `OS::Heat::ResourceGroup` whose `resource_def` is the resource; a copy's
//!   index is `%index%`, which Heat substitutes into the text of the
//!   resolved properties. Elsewhere the group is the list of its copies:
//!   `get_attr [group, refs]` for their ids, `get_attr [group, ATTR]` for
//!   one attribute of each, `get_attr [group, resource.N, ATTR]` for one copy.
//!   A group over a member template (`stacks::member_templates`: copies
//!   that pair up) is printed alike, its `resource_def.type` the
//!   template's file and its attributes the template's outputs.
//! - Deploy-time conditions are named `conditions` (named after what they
//!   test, `env_is_production`, deduplicated, in order of first use), used
//!   by a resource's or an output's `condition` and by `if`. A boolean value
//!   in a property is `if [cond, true, false]`. Heat evaluates conditions
//!   before creating anything, so they may read params only.
//! - References are `get_param`, `get_resource` and `get_attr` (the dotted
//!   attribute path split into its parts); indexing and member access extend
//!   their paths. Interpolation is `str_replace` with one placeholder per
//!   deploy-time part (`$env`); `join`, `split`, `concat`, `contains`,
//!   `replace` are `list_join`, `str_split`, `list_concat`, `contains`,
//!   `str_replace`; a compile-time map or list indexed by a param is a chain
//!   of `if`s. `stack_name()` and `account_id()` read the pseudo parameters
//!   `OS::stack_name` and `OS::project_id`.
//! - Plain HOT has no arithmetic, no ordering comparisons, no region or zone
//!   lookups and no `length`, `base64`, `cidrsubnet`, `lower`, `upper`,
//!   `keys`, `values`, `min` or `max` (only `yaql`, which this backend does
//!   not write): each is a diagnostic (E0530-E0535) naming Heat and the way
//!   out.
//! - Deletion policies are `deletion_policy` (`Snapshot` only on types that
//!   can be snapshotted, `Retain` otherwise); a sensitive output is a note,
//!   as HOT outputs cannot be hidden; an output's export name has no Heat
//!   form: other stacks read the output by its name, and a note (W0531) says
//!   the export name is not used.
//!
//! Here the emitter and the template's assembly; sections in `params`,
//! `resources` (with outputs) and `conditions`, values in `values` and
//! `interpolation`, diagnostics in `problems`, the size limit in `limits`.
//! Hash maps here are only looked up, never iterated into the template.

mod conditions;
mod interpolation;
mod limits;
mod params;
mod problems;
mod resources;
mod values;

pub use values::member_path;

/// The parameter of a member template (`stacks::member_templates`) that
/// holds the member's index, which the group feeds `%index%`: there a
/// copy's index (`ir::Expr::CountIndex`) reads it.
pub const MEMBER_INDEX_PARAM: &str = "index";

use rustc_hash::FxHashSet as HashSet;

use crate::backend::common::dns::cnames_to_addresses;
use crate::backend::common::names::{first_free, name_of};
use crate::diagnostics::{Code, Diagnostic, codes};
use crate::ir::{Deployment, Expr, ResourceId};
use crate::json::{self, Entries, Json};
use crate::source::Span;
use crate::sourcemap::Emitted;

use super::{Emission, Names};
use conditions::Condition;
use limits::size_limit;
use params::{parameter_groups, parameters, unchecked_constraints};
use resources::unused_exports;

/// The version written unless a feature needs a later one.
const BASE_VERSION: &str = "2018-08-31";

/// The first version whose `if` may leave a value out.
const NULLABLE_IF_VERSION: &str = "2021-04-16";

/// The template of `deployment`, printed as `infra build` writes it, and
/// what Heat cannot express.
pub fn emission(deployment: &Deployment) -> Emission {
    let names = resource_names(deployment);
    let mut emitter = Emitter::new(deployment, &names);
    let parameters = parameters(&deployment.params);
    let groups = parameter_groups(&deployment.params);
    // Each resource is printed as it is built; the template is put together
    // at the end, once its conditions and version are known. About 700
    // bytes a resource, reserved at once rather than grown by doubling.
    let mut printed = String::with_capacity(1024 * deployment.resources.len());
    let resources = emitter.resources(&mut printed);
    let outputs = emitter.outputs();
    let cnames = cnames_to_addresses(deployment, &codes::E0537, |id, _, attribute| {
        format!("`{}` of `{}`", attribute, emitter.name(id))
    });
    emitter.diagnostics.extend(cnames);
    emitter.diagnostics.extend(unused_exports(deployment));
    emitter
        .diagnostics
        .extend(unchecked_constraints(deployment));
    let conditions = emitter.condition_definitions();

    let version = if emitter.nullable_if {
        NULLABLE_IF_VERSION
    } else {
        BASE_VERSION
    };
    let mut template: Entries = vec![("heat_template_version".into(), version.into())];
    if let Some(description) = &deployment.description {
        template.push(("description".into(), description.into()));
    }
    if !groups.is_empty() {
        template.push(("parameter_groups".into(), Json::Array(groups)));
    }
    if !parameters.is_empty() {
        template.push(("parameters".into(), Json::Object(parameters)));
    }
    if !conditions.is_empty() {
        template.push(("conditions".into(), Json::Object(conditions)));
    }
    let mut last: Entries = Vec::new();
    if !outputs.is_empty() {
        last.push(("outputs".into(), Json::Object(outputs)));
    }
    let mut sections = Emitted::of(deployment.target, template.iter().chain(&last));
    let members = (resources.iter()).map(|(name, (range, _))| (&**name, &printed[range.clone()]));
    let text = json::pretty_around(&template, "resources", members, &last);
    sections.resources = (resources.into_iter())
        .map(|(name, (_, uses))| (name.into_owned(), uses))
        .collect();
    emitter
        .diagnostics
        .extend(size_limit(deployment, text.len()));
    Emission {
        text,
        staged: None,
        diagnostics: emitter.diagnostics,
        sections,
    }
}

/// Where a value is written: for diagnostics, and for what may appear there.
#[derive(Clone, Copy)]
struct Site<'a> {
    span: Span,
    /// "property `name` of `web`", for messages: spelled only when one is
    /// reported, not for every value written.
    place: Place<'a>,
    /// Inside a resource with a deploy-time count: `%index%` is available.
    in_group: bool,
    /// A value may be left out (`if` with two arguments) rather than null.
    nullable: bool,
}

/// What a value belongs to, as a diagnostic's label names it.
#[derive(Clone, Copy)]
enum Place<'a> {
    /// A resource's condition.
    Condition(&'a str),
    /// A resource's property: its key and the resource's name.
    Property(&'a str, &'a str),
    /// A resource's deploy-time count.
    Count(&'a str),
    Output(&'a str),
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Condition(name) => write!(f, "the condition of `{name}`"),
            Place::Property(key, name) => write!(f, "property `{key}` of `{name}`"),
            Place::Count(name) => write!(f, "the count of `{name}`"),
            Place::Output(name) => write!(f, "output `{name}`"),
        }
    }
}

/// Something Heat cannot express, found while writing a value.
struct Problem {
    code: &'static Code,
    message: String,
    help: String,
    note: Option<String>,
}

/// The names `emit` gives: resources by `resource_names`, params as they
/// are.
pub(super) fn names(deployment: &Deployment) -> Names {
    Names {
        resources: resource_names(deployment),
        params: deployment.params.iter().map(|p| p.name.clone()).collect(),
        outputs: deployment.outputs.iter().map(|o| o.name.clone()).collect(),
    }
}

/// Each resource's name in the template, in the deployment's order: its
/// snake_case name, or its logical id where two would share one.
pub fn resource_names(deployment: &Deployment) -> Vec<String> {
    let mut names = Vec::with_capacity(deployment.resources.len());
    // Names borrowed from the resources, and the few made up apart: a set
    // of owned names would copy every name once more.
    let mut taken: HashSet<&str> =
        HashSet::with_capacity_and_hasher(deployment.resources.len(), Default::default());
    let mut made: HashSet<String> = HashSet::default();
    for r in &deployment.resources {
        if !r.snake.is_empty() && !taken.contains(r.snake.as_str()) && !made.contains(&r.snake) {
            taken.insert(&r.snake);
            names.push(r.snake.clone());
        } else {
            let name = first_free(&r.id, "_", |name| {
                taken.contains(name) || made.contains(name)
            });
            made.insert(name.clone());
            names.push(name);
        }
    }
    names
}

struct Emitter<'d> {
    deployment: &'d Deployment,
    /// Each resource's name in the template, by `ResourceId`.
    names: &'d [String],
    /// The resources with a deploy-time count.
    groups: HashSet<ResourceId>,
    conditions: Vec<Condition>,
    /// Conditions known to hold (or not) where a value is being written.
    known: Vec<(Expr, bool)>,
    /// Whether an `if` leaves a value out (needs 2021-04-16).
    nullable_if: bool,
    /// A member template: a copy's index is its `MEMBER_INDEX_PARAM`.
    member: bool,
    diagnostics: Vec<Diagnostic>,
}

/// A value as HOT writes it, borrowing the IR's text where it can.
type Written<'e> = Result<Json<'e>, Problem>;

impl<'d> Emitter<'d> {
    /// `names` are `resource_names(deployment)`.
    fn new(deployment: &'d Deployment, names: &'d [String]) -> Emitter<'d> {
        let groups = (deployment.resources.iter().enumerate())
            .filter(|(_, r)| r.count.is_some())
            .map(|(i, _)| ResourceId(i as u32))
            .collect();
        Emitter {
            deployment,
            names,
            groups,
            conditions: Vec::new(),
            known: Vec::new(),
            nullable_if: false,
            member: (deployment.params.iter()).any(|p| p.name == MEMBER_INDEX_PARAM),
            diagnostics: Vec::new(),
        }
    }

    /// The resource's name in the template.
    fn name(&self, id: ResourceId) -> &'d str {
        name_of(self.names, id)
    }

    fn report(&mut self, problem: Problem, site: Site) {
        let mut diagnostic = Diagnostic::new(problem.code, site.span, problem.message)
            .label(format!("in {}", site.place))
            .help(problem.help);
        if let Some(note) = problem.note {
            diagnostic = diagnostic.note(note);
        }
        if !self.diagnostics.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }
}

impl Problem {
    fn new(code: &'static Code, message: String, help: String) -> Problem {
        Problem {
            code,
            message,
            help,
            note: None,
        }
    }

    fn note(mut self, note: impl Into<String>) -> Problem {
        self.note = Some(note.into());
        self
    }
}

#[cfg(test)]
mod tests;
