//! The Terraform backend: an `ir::Deployment` to Terraform JSON configuration
//! (`.tf.json`) for the aws or the openstack provider.
//!
//! What a Terraform user would have written by hand, in JSON syntax:
//!
//! - `terraform.required_providers` pins every provider used (aws or
//!   openstack, and hashicorp/random for `random_password`); a `provider`
//!   block takes its `region` from a param named `region` and nothing else:
//!   credentials stay in the environment.
//! - Params are `variable` blocks: a type expression, the default, the
//!   description, `sensitive` for secrets, and one `validation` block per
//!   constraint (`contains` for allowed values, `can(regex(...))` for
//!   patterns, comparisons for ranges, `length` for lengths, `floor` for
//!   whole numbers), each with a sentence as its `error_message`. A list
//!   param's allowed values are whole lists, compared as `jsonencode` text
//!   (Terraform's `==` tells a tuple from a list).
//! - Resources are `resource.TYPE.NAME` blocks (`NAME` is `Resource.snake`).
//!   A conditional resource has `count = cond ? 1 : 0` and is read as
//!   `TYPE.NAME[0]`; a deploy-time count is `count` with `count.index`, and
//!   the resource is read as `TYPE.NAME[i]` or, as a whole, `TYPE.NAME[*]`.
//!   Copies over a deploy-time list of strings that do not read their index
//!   are keyed instead (`for_each = toset(LIST)`, `each.value`), read as
//!   `TYPE.NAME[each.key]` by copies keyed alike and as a whole as
//!   `values(TYPE.NAME)[*]`, in the order of their keys.
//!   Explicit dependencies are `depends_on`; a persistent resource (or one
//!   whose deletion policy is retain or snapshot) gets
//!   `lifecycle.prevent_destroy`, unless its deletion policy is delete. The
//!   arguments that keep a final snapshot are the schema's `final_snapshot`
//!   (on `ir::Resource`): an `aws_ebs_volume`'s `final_snapshot` flag under
//!   the snapshot policy; an `aws_db_instance` keeps a named final snapshot
//!   unless its policy is delete (`terraform destroy` fails on one that says
//!   neither).
//! - Values keep their JSON shape (nested blocks are arrays of objects);
//!   deploy-time leaves are `"${...}"` expressions in Terraform's own
//!   syntax. A list of nested blocks that exists only under a deploy-time
//!   condition becomes `dynamic` blocks with `for_each = cond ? [1] : []`.
//! - A compound deploy-time value used more than once is a `local`, named
//!   after the property it sets when it is a choice (`instance_type`), else
//!   after what it reads (`env_is_production`). Values that read a copy of
//!   a counted resource, or a resource that may not exist, stay inline.
//! - Context values are data sources (`aws_region`,
//!   `aws_availability_zones`, `aws_caller_identity`,
//!   `openstack_identity_auth_scope_v3`,
//!   `openstack_compute_availability_zones_v2`) or `terraform.workspace`.
//!   `object_store_url()` (openstack only) picks the object store's public
//!   endpoint for the provider's region out of the auth scope's service
//!   catalog.
//! - An attribute the provider gives as a list of key/value objects (a Heat
//!   stack's `outputs`, the schema's `keyed_attributes`) is read by key:
//!   `one([for o in TYPE.NAME.outputs : o.output_value if o.output_key == "k"])`.
//! - Outputs are `output` blocks; an output that reads a secret param or an
//!   attribute the provider marks sensitive (the schema's
//!   `sensitive_attributes`) is `sensitive`, as Terraform requires. An export
//!   name has no Terraform form (other configurations read outputs by name):
//!   a note, W0552, says it is not used.
//!
//! Where Terraform's functions differ from Infra's, the backend bridges the
//! gap: integer division is `floor(a / b)` (exact for non-negative
//! results), `contains` on text is `strcontains`, `min(list)` is
//! `min(list...)`, a two-argument `lookup` is an index, a `replace` of
//! text written `/.../` is escaped so Terraform does not read it as a
//! regular expression, and patterns are anchored (`^(?:...)$`) so that they
//! match the whole value as on every other target. Left as Terraform has
//! them: `keys` and `values` in key order, `element` wrapping around.
//!
//! Diagnostics: E0550 (a secret decides a `count`), E0551 (a pattern RE2
//! cannot read), E0552 (a context value the provider cannot read), E0554
//! (a `count` that reads a value known only after apply: an id, or an
//! attribute the program does not set), W0550 (a param named as Terraform
//! reserves, renamed). What the IR should never hold (an unknown
//! reference, function or provider) is E0000.
//!
//! Output is deterministic: everything is emitted in IR order.
//! Hash maps here are only looked up, never iterated into the output.
//!
//! Here the emitter and the configuration's assembly; blocks in
//! `providers` (with data sources), `variables`, `resources`, `outputs` and
//! `locals`; expressions in `expressions`.

mod expressions;
mod locals;
mod outputs;
mod providers;
mod resources;
mod variables;

pub use variables::variable_names;

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap as HashMap};

use crate::backend::common::dns::cnames_to_addresses;
use crate::backend::common::names::name_of;
use crate::backend::common::reads::{first_declaration, first_read};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Deployment, Expr, Param, Resource, ResourceId, Target};
use crate::json::{self, Entries, Json, json};
use crate::source::Span;
use crate::sourcemap::Emitted;
use crate::workspace::{Printed, Printing, Spill};

use super::{Emission, Names};
use outputs::unused_exports;

/// The Terraform version the configuration is written for: `strcontains`
/// and the validation blocks emitted need 1.5.
const REQUIRED_VERSION: &str = ">= 1.5.0";

/// The configuration of `deployment`, printed as `infra build` writes it,
/// and what the target cannot express.
pub fn emission(deployment: &Deployment) -> Emission {
    emission_to(deployment, Printing::Held)
}

/// `emission`, the configuration printed to `printing`: staged as it is
/// printed, a large one is never held whole; dropped, none is kept.
pub fn emission_to(deployment: &Deployment, printing: Printing<'_>) -> Emission {
    let mut emitter = Emitter::new(deployment);
    let (json, resources, printed) = emitter.configuration(printing);
    let cnames = cnames_to_addresses(deployment, &codes::E0553, |id, _, attribute| {
        format!("`{}.{attribute}`", emitter.address(id))
    });
    emitter.diagnostics.extend(cnames);
    emitter.diagnostics.extend(unused_exports(deployment));
    let sections = Emitted {
        kept: Some(printed),
        ..Emitted::of_tree(deployment.target, &json)
    };
    let printed = print(&json, resources, printing);
    Emission {
        text: printed.text,
        staged: printed.staged,
        diagnostics: emitter.diagnostics,
        sections,
    }
}

/// `json::pretty(configuration)`, its `resource` section printed already
/// type by type (`TypeSection`): the sections before it are written, then
/// each type's object, then the sections after it. A type's text that was
/// staged is copied file to file after what comes before it
/// (`Spill::append`), so that a staged template is never held; a held one
/// is copied piece by piece, each piece freed once copied.
fn print(
    configuration: &Json<'_>,
    resources: Vec<TypeSection<'_, '_>>,
    printing: Printing<'_>,
) -> Printed {
    let Json::Object(sections) = configuration else {
        return Printed::held(json::pretty(configuration));
    };
    let Some(at) = sections.iter().position(|(key, _)| key == "resource") else {
        return Printed::held(json::pretty(configuration));
    };
    let held: usize = resources.iter().map(|t| t.text.text.len() + 64).sum();
    let mut whole = printing.spill(4096 + held);
    whole.text.push('{');
    for (i, (key, value)) in sections[..at].iter().enumerate() {
        json::write_key(&mut whole.text, i, 1, key);
        json::write(&mut whole.text, value, 1);
    }
    json::write_key(&mut whole.text, at, 1, "resource");
    whole.text.push('{');
    let types = resources.len();
    for (t, section) in resources.into_iter().enumerate() {
        json::write_key(&mut whole.text, t, 2, section.name);
        whole.text.push('{');
        whole.append(section.text);
        json::write_close(&mut whole.text, 2, section.count, '}');
        whole.spill();
    }
    json::write_close(&mut whole.text, 1, types, '}');
    for (i, (key, value)) in sections.iter().enumerate().skip(at + 1) {
        json::write_key(&mut whole.text, i, 1, key);
        json::write(&mut whole.text, value, 1);
    }
    json::write_close(&mut whole.text, 0, sections.len(), '}');
    whole.text.push('\n');
    whole.finish()
}

/// The entries of one resource type's object in the `resource` section,
/// printed: `count` of them, staged as they are printed where the
/// template is.
struct TypeSection<'d, 's> {
    name: &'d str,
    count: usize,
    text: Spill<'s>,
}

/// The names `emit` gives: resources as `TYPE.NAME`, params by
/// `variable_names`.
pub(super) fn names(deployment: &Deployment) -> Names {
    Names {
        resources: resource_names(deployment),
        params: variable_names(deployment),
        outputs: deployment.outputs.iter().map(|o| o.name.clone()).collect(),
    }
}

/// Each resource's address, `TYPE.NAME` (`data.TYPE.NAME` for an
/// `existing` one), in the deployment's order.
fn resource_names(deployment: &Deployment) -> Vec<String> {
    (deployment.resources.iter())
        .map(|r| {
            let prefix = if r.existing { "data." } else { "" };
            let mut address =
                String::with_capacity(prefix.len() + r.type_name.len() + 1 + r.snake.len());
            address.push_str(prefix);
            address.push_str(&r.type_name);
            address.push('.');
            address.push_str(&r.snake);
            address
        })
        .collect()
}

/// The index in `groups` of type `ty`'s group, made empty and indexed in
/// `index` when it is the first of its type: types in order of first use.
fn type_group<'d, G: Default>(
    groups: &mut Vec<(&'d str, G)>,
    index: &mut HashMap<&'d str, usize>,
    ty: &'d str,
) -> usize {
    // Resources of a type mostly come together: the last group first.
    match groups.last() {
        Some((last, _)) if *last == ty => groups.len() - 1,
        _ => *index.entry(ty).or_insert_with(|| {
            groups.push((ty, G::default()));
            groups.len() - 1
        }),
    }
}

/// Where an expression is rendered.
#[derive(Clone, Copy)]
struct Cx {
    /// Where diagnostics point.
    span: Span,
    /// Inside a resource with a deploy-time count: `count.index` exists.
    counted: bool,
    /// Inside the body of a for expression over the copies of a counted
    /// resource (`Expr::Copies`): the copy's index is `i`, and a counted
    /// resource is read at `[i]`.
    copy: bool,
}

impl Cx {
    /// Inside resource `r`'s body, and outside it (its `count` and
    /// `for_each`, where `count.index` does not exist).
    fn of(r: &Resource) -> (Cx, Cx) {
        let cx = Cx {
            span: r.span,
            counted: r.count.is_some(),
            copy: false,
        };
        (
            cx,
            Cx {
                counted: false,
                ..cx
            },
        )
    }
}

/// An expression a value is written with, and the property it is the whole
/// value of.
type Root<'e> = (std::borrow::Cow<'e, Expr>, Option<&'e str>);

/// A nested block's body, and the deploy-time condition it exists under.
type Alternative<'e> = (Option<Expr>, &'e crate::ir::Map<Expr>);

/// How a value is written into the JSON.
enum Shape<'e> {
    /// Known at compile time: plain JSON.
    Const,
    /// A JSON array of values.
    List(&'e [Expr]),
    /// A JSON object (a nested block or a map).
    Object(&'e crate::ir::Map<Expr>),
    /// Nested blocks, some only under a deploy-time condition.
    Blocks(Vec<Alternative<'e>>),
    /// A `"${...}"` expression or a template.
    Expr,
}

struct Emitter<'d> {
    d: &'d Deployment,
    provider: &'static str,
    /// Each resource's address (`TYPE.NAME`), by `ResourceId`.
    addresses: Vec<String>,
    params: HashMap<&'d str, &'d Param>,
    /// A param's variable name (a reserved name is renamed).
    variables: HashMap<&'d str, String>,
    /// Hoisted values: their key to their local's name.
    local_keys: HashMap<locals::Key, String>,
    locals: Vec<(String, Expr)>,
    /// The keys of the expressions met while finding locals.
    keys: locals::Keys,
    /// While finding locals, where each local's body is among the nodes.
    bodies: Vec<(usize, usize)>,
    /// Which context values are read: data sources to declare. Region,
    /// zones, stack name, account, object store URL.
    contexts: [bool; 5],
    /// While a resource keyed by `for_each` is written: the list of
    /// strings its copies are keyed by (`ir::Resource::for_each`).
    each: Option<&'d Expr>,
    diagnostics: Vec<Diagnostic>,
}

impl<'d> Emitter<'d> {
    fn new(d: &'d Deployment) -> Emitter<'d> {
        let provider = match d.target {
            Target::TerraformOpenstack => "openstack",
            _ => "aws",
        };
        let variables = d
            .params
            .iter()
            .map(|p| p.name.as_str())
            .zip(variable_names(d))
            .collect();
        Emitter {
            d,
            provider,
            addresses: resource_names(d),
            params: d.params.iter().map(|p| (p.name.as_str(), p)).collect(),
            variables,
            local_keys: HashMap::default(),
            locals: Vec::new(),
            keys: locals::Keys::default(),
            bodies: Vec::new(),
            contexts: [false; 5],
            each: None,
            diagnostics: Vec::new(),
        }
    }

    /// The configuration's tree, its `resource` section `null`, that
    /// section's objects printed type by type (most of the template,
    /// written once), and which of the deployment's resources it holds
    /// (`Emitted::kept`).
    fn configuration<'s>(
        &mut self,
        printing: Printing<'s>,
    ) -> (Json<'d>, Vec<TypeSection<'d, 's>>, Vec<bool>) {
        let d = self.d;
        self.check_names();
        self.compute_locals();
        let variables = self.variables();
        // Resources by type, types in order of first use; a name met again
        // in a type replaces the earlier resource in its place, as in a map
        // (two resources share an address only in a program with an error).
        let mut resources: Vec<(&'d str, IndexMap<&'d str, usize, FxBuildHasher>)> = Vec::new();
        let mut types: HashMap<&'d str, usize> = HashMap::default();
        // Each resource's type and its address's place in the type.
        let mut places: Vec<(u32, u32)> = vec![(u32::MAX, 0); d.resources.len()];
        // The data sources of `existing` declarations, by type alike.
        let mut read: Vec<(&'d str, Entries<'d>)> = Vec::new();
        let mut read_types: HashMap<&'d str, usize> = HashMap::default();
        let mut printed: Vec<bool> = vec![false; d.resources.len()];
        for (i, r) in d.resources.iter().enumerate() {
            if r.existing {
                continue;
            }
            let t = type_group(&mut resources, &mut types, &r.type_name);
            let (place, earlier) = resources[t].1.insert_full(r.snake.as_str(), i);
            places[i] = (t as u32, place as u32);
            if let Some(earlier) = earlier {
                printed[earlier] = false;
            }
            printed[i] = true;
        }
        // Written in the deployment's order, each into its type's object:
        // written type by type, a large deployment's IR would be read once
        // per type, from memory each time. A resource replaced by a later
        // one of its address is written all the same, for what it reports;
        // the diagnostics are put back in the resources' order.
        let mut sections: Vec<TypeSection<'d, 's>> = (resources.iter())
            .map(|(name, by_name)| TypeSection {
                name,
                count: by_name.len(),
                text: printing.spill(640 * by_name.len()),
            })
            .collect();
        let mut reported: Vec<(usize, Diagnostic)> = Vec::new();
        let mut scratch = String::new();
        let mut written = vec![0; resources.len()];
        for (i, r) in d.resources.iter().enumerate() {
            let (t, place) = (places[i].0 as usize, places[i].1 as usize);
            let Some((_, &last)) = resources
                .get(t)
                .and_then(|(_, by_name)| by_name.get_index(place))
            else {
                continue;
            };
            // The first of its address takes the place of the address, and
            // the last of that address is printed there.
            if place == written[t] {
                let section = &mut sections[t].text;
                json::write_key(&mut section.text, place, 3, &r.snake);
                self.write_reported(&mut section.text, last, &mut reported);
                section.spill();
                written[t] += 1;
            }
            if last != i {
                scratch.clear();
                self.write_reported(&mut scratch, i, &mut reported);
            }
        }
        let has_resources = !resources.is_empty();
        drop(resources);
        for (i, r) in d.resources.iter().enumerate() {
            if r.existing {
                // Printed at once, at its depth under `data.TYPE`.
                let mut body = String::new();
                self.write_reported(&mut body, i, &mut reported);
                let t = type_group(&mut read, &mut read_types, &r.type_name);
                read[t]
                    .1
                    .push((r.snake.as_str().into(), Json::Printed(body)));
            }
        }
        reported.sort_by_key(|(i, _)| *i);
        self.diagnostics
            .extend(reported.into_iter().map(|(_, d)| d));
        let read: Entries<'d> = (read.into_iter())
            .map(|(ty, by_name)| (ty.into(), Json::Object(json::dedup(by_name))))
            .collect();
        let mut outputs = Vec::with_capacity(d.outputs.len());
        for o in &d.outputs {
            let body = self.output(o);
            outputs.push((o.name.as_str().into(), body));
        }
        let outputs = json::dedup(outputs);
        let locals = self.locals_block();
        let mut data = read;
        data.extend(self.data_sources());

        let mut root: Entries<'d> = Vec::with_capacity(8);
        if let Some(description) = &d.description {
            root.push(("//".into(), description.into()));
        }
        root.push(("terraform".into(), self.terraform_block()));
        root.push(("provider".into(), self.provider_block()));
        if !variables.is_empty() {
            root.push(("variable".into(), Json::Object(variables)));
        }
        if !locals.is_empty() {
            root.push(("locals".into(), Json::Object(locals)));
        }
        if !data.is_empty() {
            root.push(("data".into(), Json::Object(data)));
        }
        if has_resources {
            // Printed already (`text`); `print` puts it in its place.
            root.push(("resource".into(), Json::Null));
        }
        if !outputs.is_empty() {
            root.push(("output".into(), Json::Object(outputs)));
        }
        // A renamed resource keeps what was deployed under its earlier name.
        let moved: Vec<Json<'d>> = (d.resources.iter())
            .filter_map(|r| {
                let from = r.moved_from()?;
                Some(json!({
                    "from": format!("{}.{from}", r.type_name),
                    "to": format!("{}.{}", r.type_name, r.snake),
                }))
            })
            .collect();
        if !moved.is_empty() {
            root.push(("moved".into(), Json::Array(moved)));
        }
        (Json::Object(root), sections, printed)
    }

    /// Writes resource `i` to `out`, what it reports noted as its.
    fn write_reported(
        &mut self,
        out: &mut String,
        i: usize,
        reported: &mut Vec<(usize, Diagnostic)>,
    ) {
        let before = self.diagnostics.len();
        self.write_resource(out, &self.d.resources[i], 3);
        reported.extend(self.diagnostics.drain(before..).map(|d| (i, d)));
    }

    /// Where a diagnostic about a param points: the first resource or output
    /// that reads it, else the first of any.
    fn param_site(&self, name: &str) -> Span {
        (first_read(self.d, name).or_else(|| first_declaration(self.d))).unwrap_or_default()
    }

    /// The resource `id` refers to.
    fn resource_at(&self, id: ResourceId) -> Option<&'d Resource> {
        self.d.resource(id)
    }

    /// The address (`TYPE.NAME`) of the resource `id` refers to.
    fn address(&self, id: ResourceId) -> &str {
        name_of(&self.addresses, id)
    }

    fn internal(&mut self, span: Span, message: String) {
        self.diagnostics.push(
            Diagnostic::new(&codes::E0000, span, message)
                .label("while writing the Terraform configuration")
                .note("this is a bug in the compiler, not in the program"),
        );
    }
}

#[cfg(test)]
mod tests;
