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

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::diagnostics::{Code, Diagnostic, codes};
use crate::ir::{Context, Deletion, Deployment, Expr, Output, Param, ParamType, Part, Resource};
use crate::source::Span;
use crate::syntax::ast::BinaryOp;

/// The version written unless a feature needs a later one.
const BASE_VERSION: &str = "2018-08-31";
/// The first version whose `if` may leave a value out.
const NULLABLE_IF_VERSION: &str = "2021-04-16";

/// The template of `deployment`, and what Heat cannot express.
/// The largest template Heat's engine accepts by default
/// (`max_template_size` in `heat.conf`).
pub const MAX_TEMPLATE_BYTES: usize = 524_288;

/// A template of `size` bytes over the size Heat accepts, reported at the
/// first resource.
pub fn size_limit(deployment: &Deployment, size: usize) -> Option<Diagnostic> {
    if size <= MAX_TEMPLATE_BYTES {
        return None;
    }
    let span = deployment
        .resources
        .first()
        .map(|r| r.span)
        .or_else(|| deployment.outputs.first().map(|o| o.span))?;
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

pub fn emit(deployment: &Deployment) -> (Value, Vec<Diagnostic>) {
    let mut emitter = Emitter::new(deployment);
    let parameters = parameters(&deployment.params);
    let groups = parameter_groups(&deployment.params);
    let resources = emitter.resources();
    let outputs = emitter.outputs();
    let cnames = cnames_to_addresses(
        deployment,
        "OS::Designate::RecordSet",
        "records",
        HEAT_ADDRESSES,
        &codes::E0537,
        |r, attribute| format!("`{}` of `{}`", attribute, emitter.name(&r.id)),
    );
    emitter.diagnostics.extend(cnames);
    emitter.diagnostics.extend(unused_exports(deployment));
    emitter
        .diagnostics
        .extend(unchecked_constraints(deployment));
    let conditions = emitter.condition_definitions();

    let mut template = Map::new();
    let version = if emitter.nullable_if {
        NULLABLE_IF_VERSION
    } else {
        BASE_VERSION
    };
    template.insert("heat_template_version".into(), version.into());
    if let Some(description) = &deployment.description {
        template.insert("description".into(), description.as_str().into());
    }
    if !groups.is_empty() {
        template.insert("parameter_groups".into(), Value::Array(groups));
    }
    if !parameters.is_empty() {
        template.insert("parameters".into(), Value::Object(parameters));
    }
    if !conditions.is_empty() {
        template.insert("conditions".into(), Value::Object(conditions));
    }
    template.insert("resources".into(), Value::Object(resources));
    if !outputs.is_empty() {
        template.insert("outputs".into(), Value::Object(outputs));
    }
    (Value::Object(template), emitter.diagnostics)
}

/// Outputs with an `export` name: Heat has no registry of exported values,
/// so the name is not used. The outputs themselves are written, and other
/// stacks read them by their output names, which is how Heat shares values;
/// a note rather than a warning, because a program built for CloudFormation
/// too must keep its exports, and cannot say so per target.
fn unused_exports(deployment: &Deployment) -> Option<Diagnostic> {
    let exported: Vec<&Output> = deployment
        .outputs
        .iter()
        .filter(|o| o.export.is_some())
        .collect();
    let (first, rest) = exported.split_first()?;
    let names: Vec<&str> = exported.iter().map(|o| o.name.as_str()).collect();
    let mut diagnostic = Diagnostic::new(
        &codes::W0531,
        first.span,
        format!(
            "Heat has no exports: the export {} of {} {} not used",
            if names.len() == 1 { "name" } else { "names" },
            listed("output", &names),
            if names.len() == 1 { "is" } else { "are" },
        ),
    )
    .label(format!(
        "read by its output name, `{}`, on Heat",
        first.name
    ));
    for o in rest {
        diagnostic = diagnostic.secondary(o.span, format!("read as `{}`", o.name));
    }
    Some(
        diagnostic
            .note(format!(
                "a stack's outputs are read by name: `openstack stack output show STACK {}`, or `{{ get_attr: [STACK, outputs, {}] }}` in a template that nests the stack (`OS::Heat::Stack`)",
                first.name, first.name
            ))
            .help("on OpenStack, give other stacks the output names; the export names stay for CloudFormation, where other stacks read them with `Fn::ImportValue`"),
    )
}

/// The attributes of Heat's types that hold an IP address, by the first
/// segment of their path.
const HEAT_ADDRESSES: &[(&str, &str)] = &[
    ("OS::Neutron::FloatingIP", "floating_ip_address"),
    ("OS::Neutron::FloatingIP", "fixed_ip_address"),
    ("OS::Neutron::Port", "fixed_ips"),
    ("OS::Neutron::Subnet", "gateway_ip"),
    ("OS::Nova::Server", "first_address"),
    ("OS::Nova::Server", "accessIPv4"),
    ("OS::Nova::Server", "accessIPv6"),
    ("OS::Nova::Server", "addresses"),
    ("OS::Nova::Server", "networks"),
    ("OS::Octavia::LoadBalancer", "vip_address"),
];

/// CNAME records (of `record_type`, their values in `records`) whose value
/// is an IP address: invalid DNS, which Designate stores and resolvers then
/// fail on. On OpenStack a load balancer's `dns_name` is its address, so the
/// portable `dns.Record` pointed at it is built this way unless it takes its
/// type from the load balancer (`dns_record_type`). Shared by the Terraform
/// backend for the openstack provider; `addresses` lists the attributes that
/// hold an address, `show` names one for the message.
pub(crate) fn cnames_to_addresses(
    deployment: &Deployment,
    record_type: &str,
    records: &str,
    addresses: &[(&str, &str)],
    code: &'static Code,
    show: impl Fn(&Resource, &str) -> String,
) -> Vec<Diagnostic> {
    let by_id: HashMap<&str, &Resource> = deployment
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let is_address = |id: &str, attribute: &str| {
        by_id.get(id).is_some_and(|r| {
            let first = attribute.split('.').next().unwrap_or_default();
            addresses.contains(&(r.type_name.as_str(), first))
        })
    };
    let mut found = Vec::new();
    for r in &deployment.resources {
        if r.type_name != record_type
            || r.properties.get("type") != Some(&Expr::String("CNAME".into()))
        {
            continue;
        }
        let Some(Expr::List(values)) = r.properties.get(records) else {
            continue;
        };
        let Some((id, attribute)) = values.iter().find_map(|v| address_read(v, &is_address)) else {
            continue;
        };
        let holder = by_id[id];
        let mut diagnostic = Diagnostic::new(
            code,
            r.span,
            format!(
                "a CNAME record must name a host, but on {} this one's value is an IP address ({})",
                deployment.target.display(),
                show(holder, attribute)
            ),
        )
        .label("a CNAME record pointing at an address");
        if holder.span != r.span {
            diagnostic = diagnostic.secondary(holder.span, "the address comes from here");
        }
        found.push(
            diagnostic
                .note("OpenStack gives load balancers and servers no DNS name: a `lb.LoadBalancer`'s `dns_name` is its address there")
                .help("make it an `A` record; to name a load balancer on every target, write `type = LB.dns_record_type` with `values = [LB.dns_name]` (a CNAME on AWS, an A record on OpenStack)"),
        );
    }
    found
}

/// The resource and attribute whose address `e` is, as a record's value:
/// the attribute itself, or text made of it alone (and the trailing dot of a
/// host name); either branch of a choice.
fn address_read<'e>(
    e: &'e Expr,
    is_address: &dyn Fn(&str, &str) -> bool,
) -> Option<(&'e str, &'e str)> {
    match e {
        Expr::Attr(id, attribute) => is_address(id, attribute).then_some((id, attribute)),
        Expr::Member(base, _) | Expr::Index(base, _) => address_read(base, is_address),
        Expr::If(_, a, b) => address_read(a, is_address).or_else(|| address_read(b, is_address)),
        Expr::Interp(parts) => {
            let mut read = parts.iter().filter(|p| match p {
                Part::Text(text) => !text.is_empty() && text != ".",
                Part::Expr(_) => true,
            });
            match (read.next(), read.next()) {
                (Some(Part::Expr(e)), None) => address_read(e, is_address),
                _ => None,
            }
        }
        _ => None,
    }
}

/// "output `a`", "outputs `a` and `b`", "outputs `a`, `b` and `c`".
pub(crate) fn listed(kind: &str, names: &[&str]) -> String {
    match names {
        [one] => format!("{kind} `{one}`"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|n| format!("`{n}`")).collect();
            format!("{kind}s {} and `{last}`", init.join(", "))
        }
        [] => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Parameters

fn parameters(params: &[Param]) -> Map<String, Value> {
    params
        .iter()
        .map(|p| (p.name.clone(), parameter(p)))
        .collect()
}

/// Heat's name for a param type.
fn param_type(ty: &ParamType) -> &'static str {
    match ty {
        ParamType::String => "string",
        ParamType::Number | ParamType::Int => "number",
        ParamType::Bool => "boolean",
        ParamType::Json => "json",
        ParamType::List(item) => match **item {
            ParamType::String | ParamType::Number | ParamType::Int | ParamType::Bool => {
                "comma_delimited_list"
            }
            _ => "json",
        },
    }
}

fn parameter(p: &Param) -> Value {
    let ty = param_type(&p.ty);
    let mut out = Map::new();
    out.insert("type".into(), ty.into());
    if let Some(label) = &p.label {
        out.insert("label".into(), label.as_str().into());
    }
    if let Some(description) = &p.description {
        out.insert("description".into(), description.as_str().into());
    }
    if let Some(default) = &p.default {
        out.insert("default".into(), default.clone());
    }
    if p.secret {
        out.insert("hidden".into(), true.into());
    }
    let constraints = constraints(p, ty);
    if !constraints.is_empty() {
        out.insert("constraints".into(), Value::Array(constraints));
    }
    Value::Object(out)
}

/// The param's constraints that apply to its Heat type (Heat rejects, say,
/// a `range` on a string), each described by the param's message.
fn constraints(p: &Param, ty: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut add = |key: &str, value: Value| {
        let mut constraint = Map::new();
        constraint.insert(key.into(), value);
        if let Some(message) = &p.message {
            constraint.insert("description".into(), message.as_str().into());
        }
        out.push(Value::Object(constraint));
    };
    if matches!(ty, "string" | "comma_delimited_list" | "json")
        && (p.min_length.is_some() || p.max_length.is_some())
    {
        let mut bounds = Map::new();
        if let Some(min) = p.min_length {
            bounds.insert("min".into(), min.into());
        }
        if let Some(max) = p.max_length {
            bounds.insert("max".into(), max.into());
        }
        add("length", Value::Object(bounds));
    }
    if ty == "number" && (p.min.is_some() || p.max.is_some()) {
        let mut bounds = Map::new();
        if let Some(min) = &p.min {
            bounds.insert("min".into(), min.clone());
        }
        if let Some(max) = &p.max {
            bounds.insert("max".into(), max.clone());
        }
        add("range", Value::Object(bounds));
    }
    if ty == "string"
        && let Some(pattern) = &p.pattern
    {
        add("allowed_pattern", pattern.as_str().into());
    }
    // Heat checks a list's elements against `allowed_values`, where a list
    // param's allowed values are whole lists (W0532); a `json` parameter
    // takes none.
    if !allowed_unchecked(p, ty)
        && let Some(allowed) = &p.allowed
    {
        add("allowed_values", Value::Array(allowed.clone()));
    }
    out
}

/// Whether the `allowed` values of `p`, a parameter of Heat type `ty`, have
/// no Heat form: a list's are whole lists, which Heat's `allowed_values`
/// would check element by element; a `json` parameter takes none.
fn allowed_unchecked(p: &Param, ty: &str) -> bool {
    p.allowed.is_some() && (ty == "json" || matches!(p.ty, ParamType::List(_)))
}

/// Params whose `allowed` values the template leaves out (W0532): Infra
/// checks them at compile time only.
fn unchecked_constraints(deployment: &Deployment) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for p in &deployment.params {
        let ty = param_type(&p.ty);
        if !allowed_unchecked(p, ty) {
            continue;
        }
        let why = if matches!(p.ty, ParamType::List(_)) {
            "its allowed values are whole lists, and Heat checks each element of a list parameter against `allowed_values`"
        } else {
            "a Heat `json` parameter takes no `allowed_values`"
        };
        let (span, label) = match param_read(deployment, &p.name) {
            Some(span) => (span, format!("reads param `{}`", p.name)),
            None => (
                deployment
                    .resources
                    .first()
                    .map(|r| r.span)
                    .or_else(|| deployment.outputs.first().map(|o| o.span))
                    .unwrap_or_default(),
                format!("param `{}` is a parameter of this template", p.name),
            ),
        };
        found.push(
            Diagnostic::new(
                &codes::W0532,
                span,
                format!(
                    "Heat cannot check the `allowed` values of param `{}` at deploy time",
                    p.name
                ),
            )
            .label(label)
            .note(format!("{why}: the template leaves the constraint out"))
            .note("the constraint is checked against the default and values given at compile time, but not against values given to Heat")
            .help(format!(
                "give `{}` at compile time with `--param` to have it checked",
                p.name
            )),
        );
    }
    found
}

/// Where a diagnostic about a param points: the first resource or output
/// that reads it (the IR keeps no span for params).
fn param_read(deployment: &Deployment, name: &str) -> Option<Span> {
    let reads = |e: &Expr| e.any(&|x| matches!(x, Expr::Param(p) if p == name));
    let read_by = |r: &Resource| {
        r.properties.values().any(reads)
            || r.condition.as_ref().is_some_and(reads)
            || r.count.as_ref().is_some_and(reads)
    };
    let read_in = |o: &Output| reads(&o.value) || o.condition.as_ref().is_some_and(reads);
    deployment
        .resources
        .iter()
        .find(|r| read_by(r))
        .map(|r| r.span)
        .or_else(|| {
            deployment
                .outputs
                .iter()
                .find(|o| read_in(o))
                .map(|o| o.span)
        })
}

/// `parameter_groups`: one per group, in order of first use.
fn parameter_groups(params: &[Param]) -> Vec<Value> {
    let mut groups: Vec<(&str, Vec<Value>)> = Vec::new();
    for p in params {
        let Some(group) = &p.group else { continue };
        match groups.iter_mut().find(|(label, _)| label == group) {
            Some((_, members)) => members.push(p.name.as_str().into()),
            None => groups.push((group, vec![p.name.as_str().into()])),
        }
    }
    groups
        .into_iter()
        .map(|(label, members)| json!({ "label": label, "parameters": members }))
        .collect()
}

// ---------------------------------------------------------------------------
// Resources, outputs and conditions

/// Where a value is written: for diagnostics, and for what may appear there.
#[derive(Clone, Copy)]
struct Site<'a> {
    span: Span,
    /// "property `name` of `web`", for messages.
    place: &'a str,
    /// Inside a resource with a deploy-time count: `%index%` is available.
    in_group: bool,
    /// A value may be left out (`if` with two arguments) rather than null.
    nullable: bool,
}

/// Something Heat cannot express, found while writing a value.
struct Problem {
    code: &'static Code,
    message: String,
    help: String,
    note: Option<String>,
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

/// A named condition.
struct Condition {
    expr: Expr,
    name: String,
}

/// Each resource's name in the template, in the deployment's order: its
/// snake_case name, or its logical id where two would share one.
pub fn resource_names(deployment: &Deployment) -> Vec<String> {
    let mut names = Vec::with_capacity(deployment.resources.len());
    let mut taken = HashSet::new();
    for r in &deployment.resources {
        let mut name = if r.snake.is_empty() || taken.contains(r.snake.as_str()) {
            r.id.clone()
        } else {
            r.snake.clone()
        };
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{}_{n}", r.id);
            n += 1;
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

struct Emitter<'d> {
    deployment: &'d Deployment,
    /// Each resource's name in the template, by logical id.
    names: HashMap<&'d str, String>,
    /// The logical ids of resources with a deploy-time count.
    groups: HashSet<&'d str>,
    conditions: Vec<Condition>,
    /// Conditions known to hold (or not) where a value is being written.
    known: Vec<(Expr, bool)>,
    /// Whether an `if` leaves a value out (needs 2021-04-16).
    nullable_if: bool,
    diagnostics: Vec<Diagnostic>,
}

type Written = Result<Value, Problem>;

impl<'d> Emitter<'d> {
    fn new(deployment: &'d Deployment) -> Emitter<'d> {
        let names = deployment
            .resources
            .iter()
            .map(|r| r.id.as_str())
            .zip(resource_names(deployment))
            .collect();
        let groups = deployment
            .resources
            .iter()
            .filter(|r| r.count.is_some())
            .map(|r| r.id.as_str())
            .collect();
        Emitter {
            deployment,
            names,
            groups,
            conditions: Vec::new(),
            known: Vec::new(),
            nullable_if: false,
            diagnostics: Vec::new(),
        }
    }

    /// The resource's name in the template.
    fn name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
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

    fn resources(&mut self) -> Map<String, Value> {
        let deployment = self.deployment;
        deployment
            .resources
            .iter()
            .map(|r| (self.name(&r.id), self.resource(r)))
            .collect()
    }

    fn resource(&mut self, r: &Resource) -> Value {
        let name = self.name(&r.id);
        let condition = r.condition.as_ref().and_then(|c| {
            let place = format!("the condition of `{name}`");
            let site = Site {
                span: r.span,
                place: &place,
                in_group: false,
                nullable: false,
            };
            self.condition(c, site)
        });
        // Inside the resource, its condition holds.
        let assumed = r.condition.iter().map(|c| (simplified(c), true));
        let depth = self.known.len();
        self.known.extend(assumed);
        let mut properties = Map::new();
        for (key, value) in &r.properties {
            let place = format!("property `{key}` of `{name}`");
            let site = Site {
                span: r.span,
                place: &place,
                in_group: r.count.is_some(),
                nullable: true,
            };
            if let Some(value) = self.property(value, site) {
                properties.insert(key.clone(), value);
            }
        }
        let mut out = Map::new();
        match &r.count {
            Some(count) => {
                let place = format!("the count of `{name}`");
                let site = Site {
                    span: r.span,
                    place: &place,
                    in_group: false,
                    nullable: false,
                };
                let count = self.written(count, site);
                let mut definition = Map::new();
                definition.insert("type".into(), r.type_name.as_str().into());
                if !properties.is_empty() {
                    definition.insert("properties".into(), Value::Object(properties));
                }
                out.insert("type".into(), "OS::Heat::ResourceGroup".into());
                out.insert(
                    "properties".into(),
                    json!({ "count": count, "resource_def": definition }),
                );
            }
            None => {
                out.insert("type".into(), r.type_name.as_str().into());
                if !properties.is_empty() {
                    out.insert("properties".into(), Value::Object(properties));
                }
            }
        }
        self.known.truncate(depth);
        if !r.depends_on.is_empty() {
            let names = r.depends_on.iter().map(|id| self.name(id).into()).collect();
            out.insert("depends_on".into(), Value::Array(names));
        }
        // The policy lowering decided (a snapshot only where Heat takes one).
        if let Some(deletion) = r.deletion {
            let policy = match deletion {
                Deletion::Delete => "Delete",
                Deletion::Retain => "Retain",
                Deletion::Snapshot => "Snapshot",
            };
            out.insert("deletion_policy".into(), policy.into());
        }
        if let Some(condition) = condition {
            out.insert("condition".into(), condition);
        }
        Value::Object(out)
    }

    /// A property's value, or `None` when it is left out.
    fn property(&mut self, value: &Expr, site: Site) -> Option<Value> {
        if matches!(value, Expr::Null) {
            return None;
        }
        match self.value(value, site) {
            Ok(Value::Null) => None,
            Ok(value) => Some(value),
            Err(problem) => {
                self.report(problem, site);
                None
            }
        }
    }

    /// A value, reporting what Heat cannot express (the template is then
    /// not written, so `null` stands in).
    fn written(&mut self, value: &Expr, site: Site) -> Value {
        match self.value(value, site) {
            Ok(value) => value,
            Err(problem) => {
                self.report(problem, site);
                Value::Null
            }
        }
    }

    fn outputs(&mut self) -> Map<String, Value> {
        let deployment = self.deployment;
        deployment
            .outputs
            .iter()
            .map(|o| (o.name.clone(), self.output(o)))
            .collect()
    }

    fn output(&mut self, o: &Output) -> Value {
        let place = format!("output `{}`", o.name);
        let site = Site {
            span: o.span,
            place: &place,
            in_group: false,
            nullable: false,
        };
        let condition = o.condition.as_ref().and_then(|c| self.condition(c, site));
        let depth = self.known.len();
        self.known
            .extend(o.condition.iter().map(|c| (simplified(c), true)));
        let value = self.written(&o.value, site);
        self.known.truncate(depth);
        if o.sensitive {
            let diagnostic = Diagnostic::new(
                &codes::W0530,
                o.span,
                format!("Heat shows output `{}` to anyone who can read the stack", o.name),
            )
            .label("marked sensitive here")
            .note("HOT outputs have no way to hide their value: `openstack stack output show` prints it")
            .help("to keep the value secret, leave it out of the outputs and read it where it is stored (for example the resource that generated it)");
            self.diagnostics.push(diagnostic);
        }
        let mut out = Map::new();
        if let Some(description) = &o.description {
            out.insert("description".into(), description.as_str().into());
        }
        out.insert("value".into(), value);
        if let Some(condition) = condition {
            out.insert("condition".into(), condition);
        }
        Value::Object(out)
    }

    /// A resource's or an output's `condition`: a condition's name, or a
    /// literal boolean.
    fn condition(&mut self, condition: &Expr, site: Site) -> Option<Value> {
        match self.condition_ref(condition) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.report(problem, site);
                None
            }
        }
    }

    /// The `conditions` section: each condition's definition, referring to
    /// the other named conditions it contains.
    fn condition_definitions(&self) -> Map<String, Value> {
        self.conditions
            .iter()
            .map(|c| {
                let definition = self
                    .condition_body(&c.expr, true)
                    .unwrap_or(Value::Bool(false));
                (c.name.clone(), definition)
            })
            .collect()
    }

    // -----------------------------------------------------------------------
    // Values

    fn value(&mut self, e: &Expr, site: Site) -> Written {
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(n) => Value::from(*n),
            Expr::Number(x) => number(*x),
            Expr::String(s) => Value::String(s.clone()),
            Expr::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.value(item, site))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Object(fields) => {
                let mut out = Map::new();
                for (key, value) in fields {
                    if matches!(value, Expr::Null) {
                        continue;
                    }
                    out.insert(key.clone(), self.value(value, site)?);
                }
                Value::Object(out)
            }
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Ref(id) if site.in_group && self.groups.contains(id.as_str()) => {
                return Err(self.copy_of_group(id));
            }
            Expr::Ref(id) if self.groups.contains(id.as_str()) => {
                json!({ "get_attr": [self.name(id), "refs"] })
            }
            Expr::Ref(id) => json!({ "get_resource": self.name(id) }),
            Expr::Attr(..) | Expr::Index(..) | Expr::Member(..) => self.access(e, site)?,
            Expr::Interp(parts) => self.interpolation(parts, site)?,
            Expr::Not(_)
            | Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..)
                if self.known(e).is_some() =>
            {
                Value::Bool(self.known(e) == Some(true))
            }
            Expr::Not(inner) => {
                let condition = self.condition_ref(inner)?;
                json!({ "if": [condition, false, true] })
            }
            Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..) => {
                let condition = self.condition_ref(e)?;
                json!({ "if": [condition, true, false] })
            }
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                return Err(self.ordering(e));
            }
            Expr::Binary(..) | Expr::Neg(_) => return Err(self.arithmetic(e)),
            Expr::If(condition, then, otherwise) => {
                self.conditional(condition, then, otherwise, site)?
            }
            Expr::Call(function, args) => self.call(function, args, site)?,
            Expr::Context(context) => pseudo_parameter(*context)?,
            Expr::CountIndex if site.in_group => "%index%".into(),
            Expr::CountIndex => {
                return Err(internal("the index of a copy outside a counted resource"));
            }
            Expr::Copies { of, each } => self.copies(of, each)?,
        })
    }

    /// The list of `each` over the copies of the group `of`: a group reads
    /// one attribute of every member as a list (`get_attr [group, attr]`)
    /// and their ids as `refs`; anything else per copy has no Heat form.
    fn copies(&mut self, of: &str, each: &Expr) -> Written {
        match each {
            Expr::Ref(id) if self.groups.contains(id.as_str()) => {
                Ok(json!({ "get_attr": [self.name(id), "refs"] }))
            }
            _ if let Some((id, path)) = member_path(each)
                && self.groups.contains(id)
                && let Some(Value::String(first)) = path.first()
                && !GROUP_ATTRIBUTES.contains(&first.as_str())
                && !first.starts_with("resource.") =>
            {
                let mut args = vec![Value::String(self.name(id))];
                args.extend(path);
                Ok(json!({ "get_attr": args }))
            }
            _ if !self.groups.contains(of) => Err(internal(
                "the copies of a resource without a deploy-time count",
            )),
            _ => Err(Problem::new(
                &codes::E0505,
                format!(
                    "Heat cannot make a list of `{}` for each copy of `{}`",
                    self.show(each),
                    self.name(of)
                ),
                "read one attribute of each copy as it is (`[for w in web: w.private_ip]`), and build on that list elsewhere; or give the count at compile time with `--param` so the copies are unrolled".into(),
            )
            .note("an `OS::Heat::ResourceGroup` gives one attribute of all its members as a list (`get_attr [group, attribute]`), and nothing computed per member")),
        }
    }

    /// `c ? a : b`: `if`, leaving the value out where a branch is `null` and
    /// the place allows it.
    fn conditional(&mut self, c: &Expr, then: &Expr, otherwise: &Expr, site: Site) -> Written {
        let c = &simplified(c);
        if let Some(b) = self.known(c) {
            return self.value(if b { then } else { otherwise }, site);
        }
        let (then_null, otherwise_null) =
            (matches!(then, Expr::Null), matches!(otherwise, Expr::Null));
        if site.nullable && then_null && otherwise_null {
            return Ok(Value::Null);
        }
        if site.nullable && otherwise_null {
            let condition = self.condition_ref(c)?;
            let then = self.assuming(c, true, then, site)?;
            self.nullable_if = true;
            return Ok(json!({ "if": [condition, then] }));
        }
        if site.nullable && then_null {
            let condition = self.condition_ref(&negation(c))?;
            let otherwise = self.assuming(c, false, otherwise, site)?;
            self.nullable_if = true;
            return Ok(json!({ "if": [condition, otherwise] }));
        }
        let condition = self.condition_ref(c)?;
        let then = self.assuming(c, true, then, site)?;
        let otherwise = self.assuming(c, false, otherwise, site)?;
        Ok(json!({ "if": [condition, then, otherwise] }))
    }

    /// `e`, written where the condition `c` is known to be `holds`: inside
    /// a branch of an `if`, or in a resource or output with that condition.
    fn assuming(&mut self, c: &Expr, holds: bool, e: &Expr, site: Site) -> Written {
        self.known.push((simplified(c), holds));
        let written = self.value(e, site);
        self.known.pop();
        written
    }

    /// Whether the condition `c` is known where a value is being written.
    fn known(&self, c: &Expr) -> Option<bool> {
        if let Expr::Bool(b) = c {
            return Some(*b);
        }
        let c = simplified(c);
        self.known.iter().rev().find_map(|(k, holds)| {
            if *k == c {
                Some(*holds)
            } else if negation(k) == c {
                Some(!holds)
            } else {
                None
            }
        })
    }

    /// An attribute, or an element or field of a value: `get_param` or
    /// `get_attr` with a path where the value is one, else a selection from a
    /// literal, `str_split` with an index, or a chain of `if`s.
    fn access(&mut self, e: &Expr, site: Site) -> Written {
        if let Expr::Index(_, key) = e
            && matches!(**key, Expr::CountIndex)
        {
            return Err(self.index_by_copy(e));
        }
        if let Some((function, args)) = self.path(e, site)? {
            return Ok(if function == "get_param" && args.len() == 1 {
                json!({ "get_param": args[0] })
            } else {
                json!({ function: args })
            });
        }
        match e {
            Expr::Index(base, key) => self.select(base, key, None, site),
            Expr::Member(base, field) => match &**base {
                Expr::Object(fields) => match fields.get(field) {
                    Some(value) => self.value(value, site),
                    None => Err(internal(&format!(
                        "no field `{field}` in an object literal"
                    ))),
                },
                _ => {
                    // Values of other kinds fail here with their own problem.
                    self.value(base, site)?;
                    Err(self.unindexable(e))
                }
            },
            _ => Err(internal("an attribute read of an unknown shape")),
        }
    }

    /// A copy of one group reading the copy of another with its index:
    /// each group is repeated on its own, and its members cannot name the
    /// members of another.
    fn copy_of_group(&self, id: &str) -> Problem {
        Problem::new(
            &codes::E0506,
            format!(
                "Heat cannot read the matching copy of `{}` from a copy of another resource counted at deploy time",
                self.name(id)
            ),
            "give the count at compile time (`--param`) to unroll the copies into separate resources, or build for Terraform, whose `count` pairs them".into(),
        )
        .note("each resource counted at deploy time is its own `OS::Heat::ResourceGroup`; a member of one group has no way to name the member of another with the same index")
    }

    /// The function and arguments of a `get_param` or `get_attr` reading
    /// `e`, when it is one.
    fn path(
        &mut self,
        e: &Expr,
        site: Site,
    ) -> Result<Option<(&'static str, Vec<Value>)>, Problem> {
        Ok(match e {
            Expr::Param(name) => Some(("get_param", vec![name.as_str().into()])),
            Expr::Attr(id, _) if site.in_group && self.groups.contains(id.as_str()) => {
                return Err(self.copy_of_group(id));
            }
            Expr::Attr(id, attribute) => {
                let mut args = vec![Value::String(self.name(id))];
                args.extend(attribute_path(attribute));
                Some(("get_attr", args))
            }
            Expr::Index(_, key) if matches!(**key, Expr::CountIndex) => {
                return Err(self.index_by_copy(e));
            }
            Expr::Index(base, key) => {
                if let Expr::Attr(id, _) | Expr::Ref(id) = &**base
                    && self.groups.contains(id.as_str())
                {
                    // One copy of a group: `resource.N`, then its attribute.
                    let Expr::Int(n) = **key else {
                        return Err(self.index_of_group(e));
                    };
                    let mut args = vec![
                        Value::String(self.name(id)),
                        Value::String(format!("resource.{n}")),
                    ];
                    if let Expr::Attr(_, attribute) = &**base {
                        args.extend(attribute_path(attribute));
                    }
                    return Ok(Some(("get_attr", args)));
                }
                match self.path(base, site)? {
                    Some((function, mut args)) => {
                        args.push(self.value(key, site)?);
                        Some((function, args))
                    }
                    None => None,
                }
            }
            Expr::Member(base, field) => match self.path(base, site)? {
                Some((function, mut args)) => {
                    args.push(field.as_str().into());
                    Some((function, args))
                }
                None => None,
            },
            _ => None,
        })
    }

    /// `base[key]` where `base` is not read through a path: an element of a
    /// literal, `str_split` with an index, or a chain of `if`s over a
    /// literal's entries when the key is a param.
    fn select(&mut self, base: &Expr, key: &Expr, default: Option<&Expr>, site: Site) -> Written {
        let entries: Vec<(Expr, &Expr)> = match base {
            Expr::List(items) => {
                if let Expr::Int(n) = key {
                    return match usize::try_from(*n).ok().and_then(|n| items.get(n)) {
                        Some(item) => self.value(item, site),
                        None => match default {
                            Some(default) => self.value(default, site),
                            None => Err(internal("index out of range of a list literal")),
                        },
                    };
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (Expr::Int(i as i64), item))
                    .collect()
            }
            Expr::Object(fields) => {
                if let Expr::String(field) = key {
                    return match (fields.get(field), default) {
                        (Some(value), _) => self.value(value, site),
                        (None, Some(default)) => self.value(default, site),
                        (None, None) => {
                            Err(internal(&format!("no key `{field}` in a map literal")))
                        }
                    };
                }
                fields
                    .iter()
                    .map(|(k, v)| (Expr::String(k.clone()), v))
                    .collect()
            }
            Expr::Call(function, args)
                if function == "split" && args.len() == 2 && default.is_none() =>
            {
                let separator = self.value(&args[0], site)?;
                let text = self.value(&args[1], site)?;
                let key = self.value(key, site)?;
                return Ok(json!({ "str_split": [separator, text, key] }));
            }
            _ => {
                // Values of other kinds fail here with their own problem.
                self.value(base, site)?;
                return Err(
                    self.unindexable(&Expr::Index(Box::new(base.clone()), Box::new(key.clone())))
                );
            }
        };
        if entries.is_empty() {
            return match default {
                Some(default) => self.value(default, site),
                None => Err(internal("an element of an empty literal")),
            };
        }
        // A chain of `if`s, one condition per entry, the last entry (or the
        // default) when no other matches.
        let (tested, fallback): (&[(Expr, &Expr)], Value) = match default {
            Some(default) => (&entries[..], self.value(default, site)?),
            None => {
                let (last, rest) = entries.split_last().expect("entries is not empty");
                (rest, self.value(last.1, site)?)
            }
        };
        let mut conditions = Vec::new();
        for (k, _) in tested {
            let test = Expr::Binary(BinaryOp::Eq, Box::new(key.clone()), Box::new(k.clone()));
            match self.condition_ref(&test) {
                Ok(condition) => conditions.push(condition),
                Err(_) => {
                    let whole = Expr::Index(Box::new(base.clone()), Box::new(key.clone()));
                    return Err(self.unindexable(&whole));
                }
            }
        }
        let mut chain = fallback;
        for ((_, value), condition) in tested.iter().zip(conditions).rev() {
            let value = self.value(value, site)?;
            chain = json!({ "if": [condition, value, chain] });
        }
        Ok(chain)
    }

    /// Text with deploy-time parts: `str_replace`, whose params may be
    /// numbers as well as strings (`list_join` takes strings only).
    fn interpolation(&mut self, parts: &[Part], site: Site) -> Written {
        enum Piece<'e> {
            Text(String),
            Value(&'e Expr),
        }
        let mut pieces: Vec<Piece> = Vec::new();
        for part in parts {
            let text = match part {
                Part::Text(text) => Some(text.clone()),
                Part::Expr(Expr::String(s)) => Some(s.clone()),
                Part::Expr(Expr::Int(n)) => Some(n.to_string()),
                Part::Expr(Expr::Bool(b)) => Some(b.to_string()),
                Part::Expr(Expr::CountIndex) if site.in_group => Some("%index%".to_string()),
                Part::Expr(_) => None,
            };
            match (text, part, pieces.last_mut()) {
                (Some(text), _, Some(Piece::Text(previous))) => previous.push_str(&text),
                (Some(text), _, _) => pieces.push(Piece::Text(text)),
                (None, Part::Expr(e), _) => pieces.push(Piece::Value(e)),
                (None, Part::Text(_), _) => unreachable!("text parts are text"),
            }
        }
        match pieces.as_slice() {
            [] => return Ok(Value::String(String::new())),
            [Piece::Text(text)] => return Ok(Value::String(text.clone())),
            [Piece::Value(e)] => return self.value(e, site),
            _ => {}
        }
        // One placeholder per distinct deploy-time part, named after it.
        let mut distinct: Vec<&Expr> = Vec::new();
        let mut bases: Vec<String> = Vec::new();
        for piece in &pieces {
            if let Piece::Value(e) = piece
                && !distinct.contains(e)
            {
                let base = self.placeholder_base(e);
                let mut unique = base.clone();
                let mut n = 2;
                while bases.contains(&unique) {
                    unique = format!("{base}_{n}");
                    n += 1;
                }
                distinct.push(e);
                bases.push(unique);
            }
        }
        let mut values = Vec::new();
        for e in &distinct {
            values.push(self.value(e, site)?);
        }
        let intended: Vec<Segment> = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => Segment::Text(text.clone()),
                Piece::Value(e) => Segment::Key(distinct.iter().position(|d| d == e).unwrap_or(0)),
            })
            .collect();
        // Heat replaces the longest placeholder first, everywhere in the
        // text: choose spellings that cannot match anything else. A script
        // (text of several lines) gets `__name__`, which no shell variable
        // looks like.
        let script = pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Text(text) if text.contains('\n')));
        for variant in usize::from(script)..8 {
            let keys: Vec<String> = bases.iter().map(|b| placeholder(b, variant)).collect();
            let template: String = intended
                .iter()
                .map(|s| match s {
                    Segment::Text(text) => text.as_str(),
                    Segment::Key(i) => keys[*i].as_str(),
                })
                .collect();
            if replaced(&template, &keys) == normalized(&intended) {
                let params: Map<String, Value> = keys.into_iter().zip(values).collect();
                return Ok(json!({ "str_replace": { "template": template, "params": params } }));
            }
        }
        // No placeholders fit: join the parts instead.
        let mut items = Vec::new();
        for segment in intended {
            items.push(match segment {
                Segment::Text(text) => Value::String(text),
                Segment::Key(i) => values[i].clone(),
            });
        }
        Ok(json!({ "list_join": ["", items] }))
    }

    /// A placeholder's name: what the part reads, as a word.
    fn placeholder_base(&self, e: &Expr) -> String {
        let raw = match e {
            Expr::Param(name) => name.clone(),
            Expr::Ref(id) => self.name(id),
            Expr::Attr(id, attribute) => format!("{}_{attribute}", self.name(id)),
            Expr::Context(Context::StackName) => "stack_name".into(),
            Expr::Context(Context::AccountId) => "project_id".into(),
            Expr::Index(base, key) => match &**key {
                Expr::Int(n) => format!("{}_{n}", self.placeholder_base(base)),
                Expr::String(s) => format!("{}_{s}", self.placeholder_base(base)),
                _ => self.placeholder_base(base),
            },
            Expr::Member(base, field) => format!("{}_{field}", self.placeholder_base(base)),
            Expr::Call(function, _) => function.clone(),
            _ => "value".into(),
        };
        word(&raw)
    }

    fn call(&mut self, function: &str, args: &[Expr], site: Site) -> Written {
        let values = |emitter: &mut Self| -> Result<Vec<Value>, Problem> {
            args.iter().map(|a| emitter.value(a, site)).collect()
        };
        Ok(match (function, args) {
            ("join", [_, _]) => json!({ "list_join": values(self)? }),
            ("split", [_, _]) => json!({ "str_split": values(self)? }),
            ("concat", _) => json!({ "list_concat": values(self)? }),
            ("merge", _) => json!({ "map_merge": values(self)? }),
            ("contains", [list, item]) => {
                let list = self.value(list, site)?;
                let item = self.value(item, site)?;
                json!({ "contains": [item, list] })
            }
            ("replace", [text, Expr::String(from), to]) => {
                let text = self.value(text, site)?;
                let to = self.value(to, site)?;
                json!({ "str_replace": { "template": text, "params": { from: to } } })
            }
            ("element", [list, index]) | ("lookup", [list, index]) => {
                let access = Expr::Index(Box::new(list.clone()), Box::new(index.clone()));
                self.value(&access, site)?
            }
            ("lookup", [map, key, default]) => {
                if self.path(map, site)?.is_some() {
                    return Err(self.function_problem(function, args));
                }
                self.select(map, key, Some(default), site)?
            }
            ("object_store_url", []) => return Err(object_store_problem()),
            _ => return Err(self.function_problem(function, args)),
        })
    }

    // -----------------------------------------------------------------------
    // Conditions

    /// The name of the condition `c` (registering it on first use), or a
    /// literal boolean.
    fn condition_ref(&mut self, c: &Expr) -> Written {
        let c = &simplified(c);
        if let Expr::Bool(b) = c {
            return Ok(Value::Bool(*b));
        }
        if let Some(name) = self.condition_name(c) {
            return Ok(name.into());
        }
        // Checks that Heat can evaluate it, before naming it.
        self.condition_body(c, true)?;
        let base = self.condition_base(c);
        let base = if base.len() > 48 {
            "condition".to_string()
        } else {
            base
        };
        let mut name = base.clone();
        let mut n = 2;
        while self.conditions.iter().any(|existing| existing.name == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.conditions.push(Condition {
            expr: c.clone(),
            name: name.clone(),
        });
        Ok(name.into())
    }

    fn condition_name(&self, c: &Expr) -> Option<&str> {
        self.conditions
            .iter()
            .find(|existing| existing.expr == *c)
            .map(|existing| existing.name.as_str())
    }

    /// A condition as a condition function. Below the top, a condition that
    /// has a name is referred to by it.
    fn condition_body(&self, c: &Expr, top: bool) -> Written {
        if !top && let Some(name) = self.condition_name(c) {
            return Ok(name.into());
        }
        Ok(match c {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Binary(BinaryOp::Eq, a, b) => {
                json!({ "equals": [self.condition_value(a)?, self.condition_value(b)?] })
            }
            Expr::Binary(BinaryOp::Ne, a, b) => {
                let equal = Expr::Binary(BinaryOp::Eq, a.clone(), b.clone());
                json!({ "not": self.condition_body(&equal, false)? })
            }
            Expr::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) => {
                let mut operands = Vec::new();
                flatten(c, *op, &mut operands);
                let key = if *op == BinaryOp::And { "and" } else { "or" };
                let operands = operands
                    .into_iter()
                    .map(|o| self.condition_body(o, false))
                    .collect::<Result<Vec<_>, _>>()?;
                json!({ key: operands })
            }
            Expr::Not(inner) => json!({ "not": self.condition_body(inner, false)? }),
            Expr::If(test, then, otherwise) => {
                // (c && a) || (!c && b), with the common literal branches
                // folded away.
                let test = self.condition_body(test, false)?;
                let branch = |emitter: &Self, e: &Expr| emitter.condition_body(e, false);
                match (&**then, &**otherwise) {
                    (Expr::Bool(true), Expr::Bool(false)) => test,
                    (Expr::Bool(false), Expr::Bool(true)) => json!({ "not": test }),
                    (Expr::Bool(true), b) => json!({ "or": [test, branch(self, b)?] }),
                    (a, Expr::Bool(false)) => json!({ "and": [test, branch(self, a)?] }),
                    (a, b) => json!({ "or": [
                        { "and": [test.clone(), branch(self, a)?] },
                        { "and": [{ "not": test }, branch(self, b)?] },
                    ] }),
                }
            }
            Expr::Call(function, args) if function == "contains" && args.len() == 2 => {
                json!({ "contains": [self.condition_value(&args[1])?, self.condition_value(&args[0])?] })
            }
            _ => self.condition_value(c)?,
        })
    }

    /// A value inside a condition: params, constants and condition
    /// functions only.
    fn condition_value(&self, e: &Expr) -> Written {
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(n) => Value::from(*n),
            Expr::Number(x) => number(*x),
            Expr::String(s) => Value::String(s.clone()),
            Expr::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.condition_value(item))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Object(fields) => {
                let mut out = Map::new();
                for (key, value) in fields {
                    out.insert(key.clone(), self.condition_value(value)?);
                }
                Value::Object(out)
            }
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Context(context @ (Context::StackName | Context::AccountId)) => {
                pseudo_parameter(*context)?
            }
            Expr::Context(context) => return Err(pseudo_parameter(*context).unwrap_err()),
            Expr::Index(..) | Expr::Member(..) => {
                let mut keys = Vec::new();
                let mut root = e;
                loop {
                    match root {
                        Expr::Index(base, key) => {
                            keys.push(self.condition_value(key)?);
                            root = base;
                        }
                        Expr::Member(base, field) => {
                            keys.push(field.as_str().into());
                            root = base;
                        }
                        _ => break,
                    }
                }
                match root {
                    Expr::Param(name) => {
                        keys.push(name.as_str().into());
                        keys.reverse();
                        json!({ "get_param": keys })
                    }
                    _ => return Err(self.unconditional(e)),
                }
            }
            Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..)
            | Expr::Not(_) => self.condition_body(e, false)?,
            Expr::Call(function, args) if function == "contains" && args.len() == 2 => {
                self.condition_body(e, false)?
            }
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                return Err(self.ordering(e));
            }
            Expr::Binary(..) | Expr::Neg(_) => return Err(self.arithmetic(e)),
            Expr::Call(function, args) if !HEAT_FUNCTIONS.contains(&function.as_str()) => {
                return Err(self.function_problem(function, args));
            }
            _ => return Err(self.unconditional(e)),
        })
    }

    /// A readable name for a condition: what it tests, as words.
    fn condition_base(&self, c: &Expr) -> String {
        let raw = match c {
            Expr::Param(name) => name.clone(),
            Expr::Binary(BinaryOp::Eq, a, b) => {
                format!("{}_is_{}", self.value_word(a), self.value_word(b))
            }
            Expr::Binary(BinaryOp::Ne, a, b) => {
                format!("{}_is_not_{}", self.value_word(a), self.value_word(b))
            }
            Expr::Binary(BinaryOp::And, a, b) => {
                format!("{}_and_{}", self.condition_base(a), self.condition_base(b))
            }
            Expr::Binary(BinaryOp::Or, a, b) => {
                format!("{}_or_{}", self.condition_base(a), self.condition_base(b))
            }
            Expr::Not(inner) => format!("not_{}", self.condition_base(inner)),
            Expr::Call(function, args) if function == "contains" && args.len() == 2 => {
                format!(
                    "{}_contains_{}",
                    self.value_word(&args[0]),
                    self.value_word(&args[1])
                )
            }
            Expr::Index(..) | Expr::Member(..) => self.value_word(c),
            _ => "condition".into(),
        };
        word(&raw)
    }

    fn value_word(&self, e: &Expr) -> String {
        match e {
            Expr::Param(name) => name.clone(),
            Expr::String(s) if s.is_empty() => "empty".into(),
            Expr::String(s) => s.clone(),
            Expr::Int(n) => n.to_string(),
            Expr::Number(x) => x.to_string(),
            Expr::Bool(b) => b.to_string(),
            Expr::Null => "null".into(),
            Expr::Context(Context::StackName) => "stack_name".into(),
            Expr::Context(Context::AccountId) => "project_id".into(),
            Expr::Index(base, key) => format!("{}_{}", self.value_word(base), self.value_word(key)),
            Expr::Member(base, field) => format!("{}_{field}", self.value_word(base)),
            _ => "value".into(),
        }
    }

    // -----------------------------------------------------------------------
    // What Heat cannot express

    fn arithmetic(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0530,
            format!("Heat cannot compute `{}` at deploy time", self.show(e)),
            self.way_out(e, "so the compiler computes the value"),
        )
        .note("HOT has no arithmetic functions (only `yaql`, which Infra does not write)")
    }

    fn ordering(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0531,
            format!("Heat cannot compare `{}` at deploy time", self.show(e)),
            format!(
                "{}; or test equality instead (`==` with the param's `allowed` values)",
                self.way_out(e, "so the compiler decides the comparison")
            ),
        )
        .note("HOT conditions have `equals`, `not`, `and`, `or` and `contains`, but no ordering comparisons")
    }

    fn function_problem(&self, function: &str, args: &[Expr]) -> Problem {
        let call = Expr::Call(function.to_string(), args.to_vec());
        let (what, fix) = match function {
            "length" => ("`length`", "so the compiler counts the elements"),
            "base64" => (
                "`base64`",
                "so the compiler encodes it; Heat passes `user_data` to Nova as text, so a server's user data needs no `base64`",
            ),
            "cidrsubnet" => (
                "`cidrsubnet`",
                "so the compiler computes the subnet, or pass each subnet's CIDR as its own param",
            ),
            "lower" | "upper" => (
                "changing the case of text",
                "so the compiler converts it, or take the text already in the right case (a param `pattern` can enforce it)",
            ),
            "keys" | "values" => (
                "listing a map's keys or values",
                "so the compiler lists them, or pass the list as its own param",
            ),
            "min" | "max" => ("`min` and `max`", "so the compiler computes the value"),
            "replace" => (
                "`replace` with text to find that is known only at deploy time",
                "so the text to find is a constant (Heat's `str_replace` needs it in the template)",
            ),
            "lookup" => (
                "`lookup` with a default in a deploy-time map",
                "so the compiler looks the key up, or drop the default (`get_param` reads a missing key as empty text)",
            ),
            _ => ("this function", "so the compiler evaluates the call"),
        };
        let what = if what == "this function" {
            format!("`{function}`")
        } else {
            what.to_string()
        };
        Problem::new(
            &codes::E0532,
            format!(
                "Heat has no function for {what}: `{}` is known only at deploy time",
                self.show(&call)
            ),
            self.way_out(&call, fix),
        )
        .note("HOT functions cover this only through `yaql`, which Infra does not write")
    }

    fn unconditional(&self, e: &Expr) -> Problem {
        let reads = if e.any(&|e| matches!(e, Expr::CountIndex)) {
            "the index of a copy".to_string()
        } else if let Some(id) = first_resource(e) {
            format!("the resource `{}`", self.name(id))
        } else {
            "a value Heat computes with a function that conditions cannot call".to_string()
        };
        Problem::new(
            &codes::E0534,
            format!("a Heat condition cannot read `{}`: it reads {reads}", self.show(e)),
            "base the condition on params only (for example a `bool` param or `==` on a string param), or give the value at compile time with `--param`".to_string(),
        )
        .note("Heat evaluates `conditions` before it creates anything: they may use `get_param`, `equals`, `not`, `and`, `or` and `contains` only")
    }

    fn index_by_copy(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!("Heat cannot select `{}` by the index of a copy", self.show(e)),
            "give the count at compile time with `--param` so the copies are unrolled into separate resources, or use the index only inside text (`\"web-${i}\"`)".to_string(),
        )
        .note("in an `OS::Heat::ResourceGroup` the index is the text `%index%`, substituted into strings after every function has been evaluated")
    }

    fn index_of_group(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!(
                "Heat cannot select a copy of a group by a deploy-time index: `{}`",
                self.show(e)
            ),
            self.way_out(
                e,
                "so the copy is chosen in the template (`get_attr [group, resource.N]`)",
            ),
        )
    }

    fn unindexable(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!("Heat cannot select `{}` at deploy time", self.show(e)),
            self.way_out(e, "so the compiler selects the element"),
        )
        .note("Heat selects from a param or an attribute by a path (`get_param [p, key]`, `get_attr [r, attr, key]`), and from a literal by a param only (a chain of `if`s)")
    }

    /// The way out: the params to give at compile time, and what then
    /// happens.
    fn way_out(&self, e: &Expr, then: &str) -> String {
        let mut params = Vec::new();
        collect_params(e, &mut params);
        let copy = e.any(&|e| matches!(e, Expr::CountIndex));
        let resource = first_resource(e).is_some();
        let mut parts = Vec::new();
        if !params.is_empty() {
            let names: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
            let example = format!("--param {}=VALUE", params[0]);
            parts.push(format!(
                "give {} at compile time (`{example}`) {then}",
                names.join(" and ")
            ));
        }
        if copy {
            parts.push(
                "give the count at compile time with `--param` so the copies are unrolled and each index is a constant"
                    .to_string(),
            );
        }
        if resource {
            parts.push(
                "restructure so the template does not need this from a resource's attributes at deploy time"
                    .to_string(),
            );
        }
        if parts.is_empty() {
            parts.push(format!(
                "give the value at compile time with `--param` {then}"
            ));
        }
        parts.join("; or ")
    }

    /// An expression as the program would spell it, for messages.
    fn show(&self, e: &Expr) -> String {
        let text = self.show_inner(e);
        if text.chars().count() > 60 {
            let cut: String = text.chars().take(57).collect();
            format!("{cut}...")
        } else {
            text
        }
    }

    fn show_inner(&self, e: &Expr) -> String {
        let operand = |x: &Expr| match x {
            Expr::Binary(..) | Expr::If(..) => format!("({})", self.show_inner(x)),
            _ => self.show_inner(x),
        };
        match e {
            Expr::Null => "null".into(),
            Expr::Bool(b) => b.to_string(),
            Expr::Int(n) => n.to_string(),
            Expr::Number(x) => x.to_string(),
            Expr::String(s) => format!("{s:?}"),
            Expr::List(items) => {
                let items: Vec<String> = items.iter().map(|i| self.show_inner(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Expr::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", self.show_inner(v)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            Expr::Param(name) => name.clone(),
            Expr::Ref(id) => format!("{}.id", self.name(id)),
            Expr::Attr(id, attribute) => format!("{}.{attribute}", self.name(id)),
            Expr::Interp(parts) => {
                let mut text = String::from("\"");
                for part in parts {
                    match part {
                        Part::Text(t) => text.push_str(t),
                        Part::Expr(e) => text.push_str(&format!("${{{}}}", self.show_inner(e))),
                    }
                }
                text.push('"');
                text
            }
            Expr::Not(inner) => format!("!{}", operand(inner)),
            Expr::Neg(inner) => format!("-{}", operand(inner)),
            Expr::Binary(op, a, b) => format!("{} {} {}", operand(a), op.symbol(), operand(b)),
            Expr::If(c, a, b) => format!("{} ? {} : {}", operand(c), operand(a), operand(b)),
            Expr::Call(function, args) => {
                let args: Vec<String> = args.iter().map(|a| self.show_inner(a)).collect();
                format!("{function}({})", args.join(", "))
            }
            Expr::Index(base, key) => format!("{}[{}]", operand(base), self.show_inner(key)),
            Expr::Member(base, field) => format!("{}.{field}", operand(base)),
            Expr::Context(Context::Region) => "region()".into(),
            Expr::Context(Context::Zones) => "availability_zones()".into(),
            Expr::Context(Context::StackName) => "stack_name()".into(),
            Expr::Context(Context::AccountId) => "account_id()".into(),
            Expr::CountIndex => "i".into(),
            Expr::Copies { of, each } => {
                format!(
                    "[for each copy of {}: {}]",
                    self.name(of),
                    self.show_inner(each)
                )
            }
        }
    }
}

/// A resource and the path of constant keys `e` reads from it
/// (`port.fixed_ips[0].ip_address`), when it is one.
pub fn member_path(e: &Expr) -> Option<(&str, Vec<Value>)> {
    match e {
        Expr::Attr(id, attribute) => Some((id.as_str(), attribute_path(attribute))),
        Expr::Index(base, key) => {
            let (id, mut path) = member_path(base)?;
            path.push(match &**key {
                Expr::Int(n) if *n >= 0 => Value::from(*n),
                Expr::String(s) => Value::String(s.clone()),
                _ => return None,
            });
            Some((id, path))
        }
        Expr::Member(base, field) => {
            let (id, mut path) = member_path(base)?;
            path.push(Value::String(field.clone()));
            Some((id, path))
        }
        _ => None,
    }
}

/// The attributes of an `OS::Heat::ResourceGroup` itself: any other name is
/// read from every member, as a list.
const GROUP_ATTRIBUTES: &[&str] = &["refs", "refs_map", "attributes", "removed_rsrc_list"];

/// Functions Heat has a form for (though not every one inside conditions).
const HEAT_FUNCTIONS: &[&str] = &[
    "join", "split", "concat", "merge", "contains", "replace", "element", "lookup",
];

/// The deploy-time context as Heat's pseudo parameters.
fn pseudo_parameter(context: Context) -> Written {
    match context {
        Context::StackName => Ok(json!({ "get_param": "OS::stack_name" })),
        Context::AccountId => Ok(json!({ "get_param": "OS::project_id" })),
        Context::Region => Err(Problem::new(
            &codes::E0533,
            "Heat templates cannot read the region they are deployed to".into(),
            "declare a `region: string` param and pass the region when creating the stack (or give it at compile time with `--param`)".into(),
        )
        .note("Heat's pseudo parameters are `OS::stack_name`, `OS::stack_id` and `OS::project_id`: none names the region")),
        Context::Zones => Err(Problem::new(
            &codes::E0533,
            "Heat templates cannot list the availability zones".into(),
            "declare a `zones: [string]` param (`openstack availability zone list` shows them) and use it instead of `availability_zones()`".into(),
        )
        .note("HOT has no function that looks zones up; OpenStack clouds often have a single zone, `nova`")),
    }
}

/// `object_store_url()`: the service catalog is out of a template's reach.
fn object_store_problem() -> Problem {
    Problem::new(
        &codes::E0533,
        "Heat templates cannot read the object store's endpoint (`object_store_url()`)".into(),
        "read the URL from the container itself: `storage.Bucket`'s `domain_name` and `website_url` (Swift's `DomainName` and `WebsiteURL`), or declare a param for the endpoint".into(),
    )
    .note("the endpoint is in OpenStack's service catalog, which no HOT function or pseudo parameter reads")
}

fn internal(what: &str) -> Problem {
    Problem::new(
        &codes::E0000,
        format!("internal error: the Heat backend met {what}"),
        "this is a bug in the Infra compiler; please report it with the program".into(),
    )
}

/// A condition without the forms that only restate another one
/// (`c ? true : false`, `!!c`), so that a condition's definition is never
/// just the name of another, which Heat rejects.
fn simplified(c: &Expr) -> Expr {
    match c {
        Expr::If(test, then, otherwise) => match (&**then, &**otherwise) {
            (Expr::Bool(true), Expr::Bool(false)) => simplified(test),
            (Expr::Bool(false), Expr::Bool(true)) => negation(&simplified(test)),
            _ => c.clone(),
        },
        Expr::Not(inner) => negation(&simplified(inner)),
        _ => c.clone(),
    }
}

/// `!c`, without a double negation.
fn negation(c: &Expr) -> Expr {
    match c {
        Expr::Not(inner) => (**inner).clone(),
        _ => Expr::Not(Box::new(c.clone())),
    }
}

/// The operands of a chain of one operator (`a && b && c`).
fn flatten<'e>(e: &'e Expr, op: BinaryOp, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            flatten(b, op, out);
        }
        _ => out.push(e),
    }
}

/// A dotted attribute as `get_attr` path parts; numeric parts index lists.
fn attribute_path(attribute: &str) -> Vec<Value> {
    attribute
        .split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) => Value::from(n),
            _ => Value::String(part.to_string()),
        })
        .collect()
}

fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// `raw` as a word of letters, digits and underscores.
fn word(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() { "value".into() } else { out }
}

/// A placeholder spelling: `$name`, then `__name__`, then numbered ones
/// (`__name_2__`).
fn placeholder(base: &str, variant: usize) -> String {
    match variant {
        0 => format!("${base}"),
        1 => format!("__{base}__"),
        n => format!("__{base}_{n}__"),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Text(String),
    Key(usize),
}

fn normalized(segments: &[Segment]) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for segment in segments {
        match (segment, out.last_mut()) {
            (Segment::Text(t), _) if t.is_empty() => {}
            (Segment::Text(t), Some(Segment::Text(previous))) => previous.push_str(t),
            _ => out.push(segment.clone()),
        }
    }
    out
}

/// What Heat's `str_replace` finds in `template`: it splits the text at
/// each placeholder in turn, longest first (ties in code point order), and
/// never looks into a substituted value.
fn replaced(template: &str, keys: &[String]) -> Vec<Segment> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|a, b| {
        keys[*b]
            .len()
            .cmp(&keys[*a].len())
            .then(keys[*a].cmp(&keys[*b]))
    });
    fn split(text: &str, order: &[usize], keys: &[String], out: &mut Vec<Segment>) {
        let Some((first, rest)) = order.split_first() else {
            out.push(Segment::Text(text.to_string()));
            return;
        };
        for (i, piece) in text.split(keys[*first].as_str()).enumerate() {
            if i > 0 {
                out.push(Segment::Key(*first));
            }
            split(piece, rest, keys, out);
        }
    }
    let mut out = Vec::new();
    split(template, &order, keys, &mut out);
    normalized(&out)
}

fn collect_params(e: &Expr, out: &mut Vec<String>) {
    e.walk(&mut |e| {
        if let Expr::Param(name) = e
            && !out.contains(name)
        {
            out.push(name.clone());
        }
    });
}

fn first_resource(e: &Expr) -> Option<&str> {
    let mut found = None;
    e.walk(&mut |e| {
        if found.is_none()
            && let Expr::Ref(id) | Expr::Attr(id, _) = e
        {
            found = Some(id.as_str());
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Target;

    fn deployment(
        params: Vec<Param>,
        resources: Vec<Resource>,
        outputs: Vec<Output>,
    ) -> Deployment {
        Deployment {
            target: Target::Heat,
            description: None,
            params,
            resources,
            outputs,
        }
    }

    fn param(name: &str, ty: ParamType) -> Param {
        Param::new(name, ty)
    }

    fn resource(id: &str, snake: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
        Resource::new(id, snake, type_name, properties)
    }

    fn output(name: &str, value: Expr) -> Output {
        Output::new(name, value)
    }

    fn p(name: &str) -> Expr {
        Expr::Param(name.into())
    }

    fn s(text: &str) -> Expr {
        Expr::String(text.into())
    }

    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    fn eq(a: Expr, b: Expr) -> Expr {
        bin(BinaryOp::Eq, a, b)
    }

    fn iff(c: Expr, a: Expr, b: Expr) -> Expr {
        Expr::If(Box::new(c), Box::new(a), Box::new(b))
    }

    fn index(a: Expr, b: Expr) -> Expr {
        Expr::Index(Box::new(a), Box::new(b))
    }

    fn interp(parts: Vec<Part>) -> Expr {
        Expr::Interp(parts)
    }

    fn text(t: &str) -> Part {
        Part::Text(t.into())
    }

    fn part(e: Expr) -> Part {
        Part::Expr(e)
    }

    /// The template, asserting that nothing was reported.
    fn clean(d: &Deployment) -> Value {
        let (template, diagnostics) = emit(d);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        template
    }

    fn codes_of(d: &Deployment) -> Vec<&'static str> {
        emit(d).1.iter().map(|d| d.code.id).collect()
    }

    fn server(properties: Vec<(&str, Expr)>) -> Resource {
        let mut all = vec![("flavor", s("m1.small"))];
        all.extend(properties);
        resource("Web", "web", "OS::Nova::Server", all)
    }

    #[test]
    fn an_empty_deployment_is_a_template_with_no_resources() {
        let mut d = deployment(vec![], vec![], vec![]);
        d.description = Some("Nothing yet.".into());
        assert_eq!(
            clean(&d),
            json!({
                "heat_template_version": "2018-08-31",
                "description": "Nothing yet.",
                "resources": {}
            })
        );
    }

    #[test]
    fn params_carry_their_type_and_every_constraint_heat_accepts() {
        let mut env = param("env", ParamType::String);
        env.default = Some(json!("staging"));
        env.label = Some("Environment".into());
        env.description = Some("Deployment environment.".into());
        env.min_length = Some(3);
        env.max_length = Some(12);
        env.pattern = Some("^[a-z]+$".into());
        env.allowed = Some(vec![json!("staging"), json!("production")]);
        env.message = Some("staging or production".into());
        let mut count = param("count", ParamType::Int);
        count.default = Some(json!(2));
        count.min = Some(json!(1));
        count.max = Some(json!(20));
        let mut password = param("password", ParamType::String);
        password.secret = true;
        password.min_length = Some(12);
        let zones = param("zones", ParamType::List(Box::new(ParamType::String)));
        let tags = param("tags", ParamType::Json);
        let flag = param("flag", ParamType::Bool);
        let d = deployment(
            vec![env, count, password, zones, tags, flag],
            vec![],
            vec![],
        );
        assert_eq!(
            clean(&d)["parameters"],
            json!({
                "env": {
                    "type": "string",
                    "label": "Environment",
                    "description": "Deployment environment.",
                    "default": "staging",
                    "constraints": [
                        { "length": { "min": 3, "max": 12 }, "description": "staging or production" },
                        { "allowed_pattern": "^[a-z]+$", "description": "staging or production" },
                        { "allowed_values": ["staging", "production"], "description": "staging or production" }
                    ]
                },
                "count": {
                    "type": "number",
                    "default": 2,
                    "constraints": [{ "range": { "min": 1, "max": 20 } }]
                },
                "password": {
                    "type": "string",
                    "hidden": true,
                    "constraints": [{ "length": { "min": 12 } }]
                },
                "zones": { "type": "comma_delimited_list" },
                "tags": { "type": "json" },
                "flag": { "type": "boolean" }
            })
        );
    }

    #[test]
    fn allowed_values_heat_cannot_check_are_left_out_with_a_warning() {
        // A list's allowed values are whole lists: Heat would check each
        // element against them, and refuse the param's own default.
        let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
        zones.default = Some(json!(["a", "b"]));
        zones.allowed = Some(vec![json!(["a", "b"]), json!(["c"])]);
        zones.min_length = Some(1);
        let mut tags = param("tags", ParamType::Json);
        tags.allowed = Some(vec![json!({ "team": "web" })]);
        let mut env = param("env", ParamType::String);
        env.allowed = Some(vec![json!("staging")]);
        let d = deployment(vec![zones, tags, env], vec![], vec![]);
        let (template, diagnostics) = emit(&d);
        assert_eq!(
            template["parameters"],
            json!({
                "zones": {
                    "type": "comma_delimited_list",
                    "default": ["a", "b"],
                    "constraints": [{ "length": { "min": 1 } }]
                },
                "tags": { "type": "json" },
                "env": {
                    "type": "string",
                    "constraints": [{ "allowed_values": ["staging"] }]
                }
            })
        );
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["W0532", "W0532"]);
        assert!(diagnostics[0].message.contains("`zones`"));
        assert!(diagnostics[1].message.contains("`tags`"));
    }

    #[test]
    fn grouped_params_are_listed_in_parameter_groups() {
        let mut a = param("image", ParamType::String);
        a.group = Some("Servers".into());
        let b = param("env", ParamType::String);
        let mut c = param("flavor", ParamType::String);
        c.group = Some("Servers".into());
        let mut e = param("cidr", ParamType::String);
        e.group = Some("Network".into());
        let d = deployment(vec![a, b, c, e], vec![], vec![]);
        assert_eq!(
            clean(&d)["parameter_groups"],
            json!([
                { "label": "Servers", "parameters": ["image", "flavor"] },
                { "label": "Network", "parameters": ["cidr"] }
            ])
        );
    }

    #[test]
    fn references_are_get_param_get_resource_and_get_attr() {
        let net = resource(
            "AppNet",
            "app_net",
            "OS::Neutron::Net",
            vec![("name", p("name"))],
        );
        let port = resource(
            "WebPort",
            "web_port",
            "OS::Neutron::Port",
            vec![("network", Expr::Ref("AppNet".into()))],
        );
        let out = output(
            "ip",
            Expr::Attr("WebPort".into(), "fixed_ips.0.ip_address".into()),
        );
        let d = deployment(
            vec![param("name", ParamType::String)],
            vec![net, port],
            vec![out],
        );
        let template = clean(&d);
        assert_eq!(
            template["resources"],
            json!({
                "app_net": { "type": "OS::Neutron::Net", "properties": { "name": { "get_param": "name" } } },
                "web_port": { "type": "OS::Neutron::Port", "properties": { "network": { "get_resource": "app_net" } } }
            })
        );
        assert_eq!(
            template["outputs"],
            json!({ "ip": { "value": { "get_attr": ["web_port", "fixed_ips", 0, "ip_address"] } } })
        );
    }

    #[test]
    fn explicit_dependencies_are_depends_on() {
        let a = resource("First", "first", "OS::Neutron::Net", vec![]);
        let mut b = resource("Second", "second", "OS::Neutron::Net", vec![]);
        b.depends_on = vec!["First".into()];
        let d = deployment(vec![], vec![a, b], vec![]);
        assert_eq!(
            clean(&d)["resources"]["second"],
            json!({ "type": "OS::Neutron::Net", "depends_on": ["first"] })
        );
    }

    #[test]
    fn deletion_policies_are_printed_as_lowering_decided() {
        let mut volume = resource(
            "Data",
            "data",
            "OS::Cinder::Volume",
            vec![("size", Expr::Int(10))],
        );
        volume.deletion = Some(Deletion::Snapshot);
        let mut queue = resource(
            "Jobs",
            "jobs",
            "OS::Zaqar::Queue",
            vec![("name", s("jobs"))],
        );
        queue.deletion = Some(Deletion::Delete);
        let mut keep = resource("Keep", "keep", "OS::Swift::Container", vec![]);
        keep.deletion = Some(Deletion::Retain);
        let plain = resource("Plain", "plain", "OS::Swift::Container", vec![]);
        let d = deployment(vec![], vec![volume, queue, keep, plain], vec![]);
        let resources = &clean(&d)["resources"];
        assert_eq!(resources["data"]["deletion_policy"], json!("Snapshot"));
        assert_eq!(resources["jobs"]["deletion_policy"], json!("Delete"));
        assert_eq!(resources["keep"]["deletion_policy"], json!("Retain"));
        assert!(resources["plain"].get("deletion_policy").is_none());
    }

    #[test]
    fn conditions_are_named_after_what_they_test_and_shared() {
        let prod = eq(p("env"), s("production"));
        let mut a = resource("Bastion", "bastion", "OS::Neutron::Net", vec![]);
        a.condition = Some(prod.clone());
        let mut b = resource("Monitor", "monitor", "OS::Neutron::Net", vec![]);
        b.condition = Some(prod.clone());
        let mut c = resource("Debug", "debug", "OS::Neutron::Net", vec![]);
        c.condition = Some(Expr::Not(Box::new(prod.clone())));
        let mut e = resource("Extra", "extra", "OS::Neutron::Net", vec![]);
        e.condition = Some(bin(
            BinaryOp::And,
            bin(BinaryOp::And, prod.clone(), p("ha")),
            bin(BinaryOp::Ne, p("zone"), s("")),
        ));
        let d = deployment(
            vec![
                param("env", ParamType::String),
                param("ha", ParamType::Bool),
                param("zone", ParamType::String),
            ],
            vec![a, b, c, e],
            vec![],
        );
        let template = clean(&d);
        assert_eq!(
            template["conditions"],
            json!({
                "env_is_production": { "equals": [{ "get_param": "env" }, "production"] },
                "not_env_is_production": { "not": "env_is_production" },
                "env_is_production_and_ha_and_zone_is_not_empty": {
                    "and": [
                        "env_is_production",
                        { "get_param": "ha" },
                        { "not": { "equals": [{ "get_param": "zone" }, ""] } }
                    ]
                }
            })
        );
        assert_eq!(
            template["resources"]["bastion"],
            json!({ "type": "OS::Neutron::Net", "condition": "env_is_production" })
        );
        assert_eq!(
            template["resources"]["monitor"]["condition"],
            json!("env_is_production")
        );
        assert_eq!(
            template["resources"]["debug"]["condition"],
            json!("not_env_is_production")
        );
    }

    #[test]
    fn a_boolean_value_is_an_if_over_a_condition() {
        let r = resource(
            "Net",
            "net",
            "OS::Neutron::Net",
            vec![
                ("admin_state_up", eq(p("env"), s("production"))),
                ("port_security_enabled", Expr::Not(Box::new(p("open")))),
                ("shared", p("open")),
            ],
        );
        let d = deployment(
            vec![
                param("env", ParamType::String),
                param("open", ParamType::Bool),
            ],
            vec![r],
            vec![],
        );
        let template = clean(&d);
        assert_eq!(
            template["resources"]["net"]["properties"],
            json!({
                "admin_state_up": { "if": ["env_is_production", true, false] },
                "port_security_enabled": { "if": ["open", false, true] },
                "shared": { "get_param": "open" }
            })
        );
        assert_eq!(
            template["conditions"]["open"],
            json!({ "get_param": "open" })
        );
    }

    #[test]
    fn a_value_absent_under_a_condition_is_a_two_argument_if() {
        let web = server(vec![
            ("key_name", iff(p("debug"), s("ops"), Expr::Null)),
            ("admin_pass", iff(p("debug"), Expr::Null, p("password"))),
            (
                "metadata",
                Expr::Object(crate::ir::Map::from_iter([("role".to_string(), s("web"))])),
            ),
            ("config_drive", iff(p("debug"), Expr::Null, Expr::Null)),
        ]);
        let d = deployment(
            vec![
                param("debug", ParamType::Bool),
                param("password", ParamType::String),
            ],
            vec![web],
            vec![],
        );
        let template = clean(&d);
        assert_eq!(template["heat_template_version"], json!("2021-04-16"));
        assert_eq!(
            template["resources"]["web"]["properties"],
            json!({
                "flavor": "m1.small",
                "key_name": { "if": ["debug", "ops"] },
                "admin_pass": { "if": ["not_debug", { "get_param": "password" }] },
                "metadata": { "role": "web" }
            })
        );
        assert_eq!(
            template["conditions"]["not_debug"],
            json!({ "not": "debug" })
        );
    }

    #[test]
    fn a_condition_known_where_a_value_is_written_is_not_tested_again() {
        let prod = eq(p("env"), s("production"));
        let mut bastion = resource(
            "Bastion",
            "bastion",
            "OS::Nova::Server",
            vec![
                ("flavor", iff(prod.clone(), s("m1.large"), s("m1.small"))),
                (
                    "metadata",
                    iff(
                        p("debug"),
                        Expr::Object(crate::ir::Map::from_iter([(
                            "level".to_string(),
                            iff(p("debug"), s("verbose"), s("quiet")),
                        )])),
                        Expr::Object(crate::ir::Map::from_iter([(
                            "shown".to_string(),
                            Expr::Not(Box::new(p("debug"))),
                        )])),
                    ),
                ),
            ],
        );
        // `c ? true : false` is `c` itself: no second condition.
        bastion.condition = Some(iff(prod.clone(), Expr::Bool(true), Expr::Bool(false)));
        let d = deployment(
            vec![
                param("env", ParamType::String),
                param("debug", ParamType::Bool),
            ],
            vec![bastion],
            vec![],
        );
        let template = clean(&d);
        assert_eq!(
            template["resources"]["bastion"],
            json!({
                "type": "OS::Nova::Server",
                "properties": {
                    "flavor": "m1.large",
                    "metadata": { "if": ["debug", { "level": "verbose" }, { "shown": true }] }
                },
                "condition": "env_is_production"
            })
        );
        assert_eq!(
            template["conditions"],
            json!({
                "env_is_production": { "equals": [{ "get_param": "env" }, "production"] },
                "debug": { "get_param": "debug" }
            })
        );
    }

    #[test]
    fn outputs_have_description_value_and_condition() {
        let mut bastion = resource(
            "Bastion",
            "bastion",
            "OS::Nova::Server",
            vec![("flavor", s("m1.small"))],
        );
        bastion.condition = Some(p("with_bastion"));
        let mut ip = output(
            "bastion_ip",
            Expr::Attr("Bastion".into(), "first_address".into()),
        );
        ip.description = Some("Where to ssh.".into());
        ip.condition = Some(p("with_bastion"));
        ip.export = Some(s("ignored"));
        let name = output(
            "bastion_name",
            iff(
                p("with_bastion"),
                Expr::Attr("Bastion".into(), "name".into()),
                Expr::Null,
            ),
        );
        let d = deployment(
            vec![param("with_bastion", ParamType::Bool)],
            vec![bastion],
            vec![ip, name],
        );
        let (template, diagnostics) = emit(&d);
        // The export name has no Heat form: a note says it is not used, and
        // the output is written without it.
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["W0531"]);
        assert_eq!(diagnostics[0].severity, crate::diagnostics::Severity::Note);
        assert_eq!(template["heat_template_version"], json!("2018-08-31"));
        assert_eq!(
            template["outputs"],
            json!({
                "bastion_ip": {
                    "description": "Where to ssh.",
                    "value": { "get_attr": ["bastion", "first_address"] },
                    "condition": "with_bastion"
                },
                "bastion_name": {
                    "value": { "if": ["with_bastion", { "get_attr": ["bastion", "name"] }, null] }
                }
            })
        );
    }

    #[test]
    fn interpolation_is_str_replace_with_named_placeholders() {
        let net = resource("Net", "net", "OS::Neutron::Net", vec![]);
        let web = server(vec![
            (
                "name",
                interp(vec![part(p("env")), text("-web-"), part(p("env"))]),
            ),
            (
                "user_data",
                interp(vec![
                    text("#!/bin/sh\necho $HOME $env_dir "),
                    part(p("env")),
                    text(" "),
                    part(Expr::Attr("Net".into(), "name".into())),
                    text(" "),
                    part(Expr::Int(3)),
                ]),
            ),
            ("admin_user", interp(vec![part(p("env"))])),
            (
                "description",
                interp(vec![text("echo $env_dir "), part(p("env"))]),
            ),
        ]);
        let d = deployment(
            vec![param("env", ParamType::String)],
            vec![net, web],
            vec![],
        );
        let properties = &clean(&d)["resources"]["web"]["properties"];
        assert_eq!(
            properties["name"],
            json!({ "str_replace": { "template": "$env-web-$env", "params": { "$env": { "get_param": "env" } } } })
        );
        // A script's placeholders do not look like shell variables.
        assert_eq!(
            properties["user_data"],
            json!({ "str_replace": {
                "template": "#!/bin/sh\necho $HOME $env_dir __env__ __net_name__ 3",
                "params": {
                    "__env__": { "get_param": "env" },
                    "__net_name__": { "get_attr": ["net", "name"] }
                }
            } })
        );
        assert_eq!(properties["admin_user"], json!({ "get_param": "env" }));
        // `$env` is in the text itself: the placeholder changes spelling.
        assert_eq!(
            properties["description"],
            json!({ "str_replace": { "template": "echo $env_dir __env__", "params": { "__env__": { "get_param": "env" } } } })
        );
    }

    #[test]
    fn heat_replaces_longest_placeholders_first() {
        let keys = vec!["$a".to_string(), "$ab".to_string()];
        assert_eq!(
            replaced("x$ab$a", &keys),
            vec![Segment::Text("x".into()), Segment::Key(1), Segment::Key(0)]
        );
        // `$a` followed by the text `b` reads as `$ab`: a collision.
        assert_ne!(
            replaced("$ab", &keys),
            vec![Segment::Key(0), Segment::Text("b".into())]
        );
    }

    fn copies(of: &str, each: Expr) -> Expr {
        Expr::Copies {
            of: of.into(),
            each: Box::new(each),
        }
    }

    #[test]
    fn the_copies_of_a_group_read_one_attribute_of_every_member() {
        let mut port = resource("WebPort", "web_port", "OS::Neutron::Port", vec![]);
        port.count = Some(p("n"));
        let mut web = server(vec![]);
        web.count = Some(p("n"));
        let ip = Expr::Member(
            Box::new(index(
                Expr::Attr("WebPort".into(), "fixed_ips".into()),
                Expr::Int(0),
            )),
            "ip_address".into(),
        );
        let d = deployment(
            vec![param("n", ParamType::Int)],
            vec![port, web],
            vec![
                output("ids", copies("Web", Expr::Ref("Web".into()))),
                output(
                    "names",
                    copies("Web", Expr::Attr("Web".into(), "name".into())),
                ),
                output("ips", copies("Web", ip)),
            ],
        );
        let template = clean(&d);
        assert_eq!(
            template["outputs"],
            json!({
                "ids": { "value": { "get_attr": ["web", "refs"] } },
                "names": { "value": { "get_attr": ["web", "name"] } },
                "ips": { "value": { "get_attr": ["web_port", "fixed_ips", 0, "ip_address"] } }
            })
        );
    }

    #[test]
    fn heat_refuses_a_value_computed_for_each_copy_of_a_group() {
        let mut web = server(vec![]);
        web.count = Some(p("n"));
        let each = interp(vec![
            part(Expr::Attr("Web".into(), "first_address".into())),
            text(":80"),
        ]);
        let d = deployment(
            vec![param("n", ParamType::Int)],
            vec![web],
            vec![output("urls", copies("Web", each))],
        );
        let (_, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic.code.id, "E0505");
        assert!(
            diagnostic.message.starts_with("Heat cannot make a list of"),
            "{}",
            diagnostic.message
        );
        assert!(diagnostic.help[0].contains("--param"));
    }

    #[test]
    fn a_deploy_time_count_is_a_resource_group() {
        let mut web = server(vec![
            ("name", interp(vec![text("web-"), part(Expr::CountIndex)])),
            (
                "metadata",
                Expr::Object(crate::ir::Map::from_iter([(
                    "index".to_string(),
                    Expr::CountIndex,
                )])),
            ),
        ]);
        web.count = Some(p("web_count"));
        web.condition = Some(p("enabled"));
        let d = deployment(
            vec![
                param("web_count", ParamType::Int),
                param("enabled", ParamType::Bool),
            ],
            vec![web],
            vec![
                output("ids", Expr::Ref("Web".into())),
                output("names", Expr::Attr("Web".into(), "name".into())),
                output(
                    "first",
                    index(
                        Expr::Attr("Web".into(), "networks.private".into()),
                        Expr::Int(0),
                    ),
                ),
                output("first_id", index(Expr::Ref("Web".into()), Expr::Int(0))),
            ],
        );
        let template = clean(&d);
        assert_eq!(
            template["resources"]["web"],
            json!({
                "type": "OS::Heat::ResourceGroup",
                "properties": {
                    "count": { "get_param": "web_count" },
                    "resource_def": {
                        "type": "OS::Nova::Server",
                        "properties": {
                            "flavor": "m1.small",
                            "name": "web-%index%",
                            "metadata": { "index": "%index%" }
                        }
                    }
                },
                "condition": "enabled"
            })
        );
        assert_eq!(
            template["outputs"],
            json!({
                "ids": { "value": { "get_attr": ["web", "refs"] } },
                "names": { "value": { "get_attr": ["web", "name"] } },
                "first": { "value": { "get_attr": ["web", "resource.0", "networks", "private"] } },
                "first_id": { "value": { "get_attr": ["web", "resource.0"] } }
            })
        );
    }

    #[test]
    fn the_index_of_a_copy_inside_interpolation_is_literal_text() {
        let mut web = server(vec![(
            "name",
            interp(vec![part(p("env")), text("-"), part(Expr::CountIndex)]),
        )]);
        web.count = Some(Expr::Int(2));
        let d = deployment(vec![param("env", ParamType::String)], vec![web], vec![]);
        assert_eq!(
            clean(&d)["resources"]["web"]["properties"]["resource_def"]["properties"]["name"],
            json!({ "str_replace": { "template": "$env-%index%", "params": { "$env": { "get_param": "env" } } } })
        );
    }

    #[test]
    fn functions_with_a_heat_form() {
        let r = resource(
            "Net",
            "net",
            "OS::Neutron::Net",
            vec![(
                "value_specs",
                Expr::Object(crate::ir::Map::from_iter([
                    (
                        "joined".to_string(),
                        Expr::Call("join".into(), vec![s(","), p("zones")]),
                    ),
                    (
                        "split".to_string(),
                        Expr::Call("split".into(), vec![s(","), p("csv")]),
                    ),
                    (
                        "second".to_string(),
                        index(
                            Expr::Call("split".into(), vec![s(","), p("csv")]),
                            Expr::Int(1),
                        ),
                    ),
                    (
                        "all".to_string(),
                        Expr::Call(
                            "concat".into(),
                            vec![p("zones"), Expr::List(vec![s("nova")])],
                        ),
                    ),
                    (
                        "has".to_string(),
                        Expr::Call("contains".into(), vec![p("zones"), s("nova")]),
                    ),
                    (
                        "dashed".to_string(),
                        Expr::Call("replace".into(), vec![p("csv"), s(","), s("-")]),
                    ),
                    (
                        "first".to_string(),
                        Expr::Call("element".into(), vec![p("zones"), Expr::Int(0)]),
                    ),
                    (
                        "tag".to_string(),
                        Expr::Member(Box::new(p("tags")), "owner".into()),
                    ),
                    ("stack".to_string(), Expr::Context(Context::StackName)),
                    ("project".to_string(), Expr::Context(Context::AccountId)),
                ])),
            )],
        );
        let d = deployment(
            vec![
                param("zones", ParamType::List(Box::new(ParamType::String))),
                param("csv", ParamType::String),
                param("tags", ParamType::Json),
            ],
            vec![r],
            vec![],
        );
        assert_eq!(
            clean(&d)["resources"]["net"]["properties"]["value_specs"],
            json!({
                "joined": { "list_join": [",", { "get_param": "zones" }] },
                "split": { "str_split": [",", { "get_param": "csv" }] },
                "second": { "str_split": [",", { "get_param": "csv" }, 1] },
                "all": { "list_concat": [{ "get_param": "zones" }, ["nova"]] },
                "has": { "contains": ["nova", { "get_param": "zones" }] },
                "dashed": { "str_replace": { "template": { "get_param": "csv" }, "params": { ",": "-" } } },
                "first": { "get_param": ["zones", 0] },
                "tag": { "get_param": ["tags", "owner"] },
                "stack": { "get_param": "OS::stack_name" },
                "project": { "get_param": "OS::project_id" }
            })
        );
    }

    #[test]
    fn a_literal_map_indexed_by_a_param_is_a_chain_of_ifs() {
        let flavors = Expr::Object(crate::ir::Map::from_iter([
            ("small".to_string(), s("m1.small")),
            ("medium".to_string(), s("m1.medium")),
            ("large".to_string(), s("m1.large")),
        ]));
        let web = resource(
            "Web",
            "web",
            "OS::Nova::Server",
            vec![("flavor", index(flavors, p("size")))],
        );
        let d = deployment(vec![param("size", ParamType::String)], vec![web], vec![]);
        let template = clean(&d);
        assert_eq!(
            template["resources"]["web"]["properties"]["flavor"],
            json!({ "if": ["size_is_small", "m1.small", { "if": ["size_is_medium", "m1.medium", "m1.large"] }] })
        );
        assert_eq!(
            template["conditions"],
            json!({
                "size_is_small": { "equals": [{ "get_param": "size" }, "small"] },
                "size_is_medium": { "equals": [{ "get_param": "size" }, "medium"] }
            })
        );
    }

    #[test]
    fn arithmetic_is_an_error_naming_heat_and_the_param() {
        let mut web = server(vec![]);
        web.count = Some(bin(BinaryOp::Mul, p("web_count"), Expr::Int(2)));
        let d = deployment(vec![param("web_count", ParamType::Int)], vec![web], vec![]);
        let (_, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic.code.id, "E0530");
        assert_eq!(
            diagnostic.message,
            "Heat cannot compute `web_count * 2` at deploy time"
        );
        assert_eq!(diagnostic.primary.message, "in the count of `web`");
        assert!(
            diagnostic.help[0].contains("--param web_count=VALUE"),
            "{:?}",
            diagnostic.help
        );
        let negative = deployment(
            vec![param("n", ParamType::Int)],
            vec![],
            vec![output("minus", Expr::Neg(Box::new(p("n"))))],
        );
        assert_eq!(codes_of(&negative), ["E0530"]);
    }

    #[test]
    fn ordering_comparisons_are_an_error() {
        let mut r = resource(
            "Backup",
            "backup",
            "OS::Cinder::Volume",
            vec![("size", Expr::Int(1))],
        );
        r.condition = Some(bin(BinaryOp::Gt, p("replicas"), Expr::Int(1)));
        let d = deployment(vec![param("replicas", ParamType::Int)], vec![r], vec![]);
        assert_eq!(codes_of(&d), ["E0531"]);
    }

    #[test]
    fn functions_without_a_heat_form_are_an_error() {
        for function in [
            "length",
            "base64",
            "cidrsubnet",
            "lower",
            "upper",
            "keys",
            "values",
            "min",
            "max",
        ] {
            let d = deployment(
                vec![param("x", ParamType::String)],
                vec![],
                vec![output("o", Expr::Call(function.into(), vec![p("x")]))],
            );
            assert_eq!(codes_of(&d), ["E0532"], "{function}");
        }
        let replace = deployment(
            vec![param("x", ParamType::String)],
            vec![],
            vec![output(
                "o",
                Expr::Call("replace".into(), vec![s("a-b"), p("x"), s("+")]),
            )],
        );
        assert_eq!(codes_of(&replace), ["E0532"]);
    }

    #[test]
    fn region_zones_and_object_store_are_an_error() {
        let d = deployment(
            vec![],
            vec![],
            vec![
                output("region", Expr::Context(Context::Region)),
                output("zone", index(Expr::Context(Context::Zones), Expr::Int(0))),
                output("store", Expr::Call("object_store_url".into(), vec![])),
            ],
        );
        assert_eq!(codes_of(&d), ["E0533", "E0533", "E0533"]);
    }

    #[test]
    fn conditions_reading_resources_are_an_error() {
        let db = resource(
            "Db",
            "db",
            "OS::Trove::Instance",
            vec![("flavor", s("m1.small"))],
        );
        let d = deployment(
            vec![],
            vec![db],
            vec![output(
                "mode",
                iff(
                    eq(Expr::Attr("Db".into(), "port".into()), Expr::Int(5432)),
                    s("plain"),
                    s("custom"),
                ),
            )],
        );
        let (_, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "E0534");
        assert_eq!(
            diagnostics[0].message,
            "a Heat condition cannot read `db.port`: it reads the resource `db`"
        );
    }

    #[test]
    fn selecting_by_the_index_of_a_copy_is_an_error() {
        let mut web = server(vec![(
            "availability_zone",
            index(p("zones"), Expr::CountIndex),
        )]);
        web.count = Some(p("n"));
        let d = deployment(
            vec![
                param("n", ParamType::Int),
                param("zones", ParamType::List(Box::new(ParamType::String))),
            ],
            vec![web],
            vec![],
        );
        assert_eq!(codes_of(&d), ["E0535"]);
        // One group's copy from another's: the copy's index is not a number
        // until Heat substitutes it into text.
        let mut ports = resource(
            "Port",
            "port",
            "OS::Neutron::Port",
            vec![("network", s("private"))],
        );
        ports.count = Some(p("n"));
        let mut servers = server(vec![(
            "networks",
            Expr::List(vec![Expr::Object(crate::ir::Map::from_iter([(
                "port".to_string(),
                index(Expr::Ref("Port".into()), Expr::CountIndex),
            )]))]),
        )]);
        servers.count = Some(p("n"));
        let d = deployment(
            vec![param("n", ParamType::Int)],
            vec![ports, servers],
            vec![output("second", index(Expr::Ref("Port".into()), p("n")))],
        );
        assert_eq!(codes_of(&d), ["E0535", "E0535"]);
    }

    #[test]
    fn a_sensitive_output_is_a_note() {
        let mut secret = output("password", p("password"));
        secret.sensitive = true;
        let d = deployment(
            vec![param("password", ParamType::String)],
            vec![],
            vec![secret],
        );
        let (template, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "W0530");
        assert_eq!(diagnostics[0].severity, crate::diagnostics::Severity::Note);
        assert_eq!(
            template["outputs"]["password"],
            json!({ "value": { "get_param": "password" } })
        );
    }

    #[test]
    fn a_cname_to_an_address_is_an_error() {
        let vip = resource("Vip", "vip", "OS::Neutron::FloatingIP", vec![]);
        let record = |kind: &str, value: Expr| {
            resource(
                "Www",
                "www",
                "OS::Designate::RecordSet",
                vec![("type", s(kind)), ("records", Expr::List(vec![value]))],
            )
        };
        let address = Expr::Attr("Vip".into(), "floating_ip_address".into());
        // As `dns.Record` writes a CNAME's value: a host name with its dot.
        let dotted = interp(vec![part(address.clone()), text(".")]);
        let chosen = iff(
            p("public"),
            address.clone(),
            Expr::Attr("Vip".into(), "fixed_ip_address".into()),
        );
        for value in [address.clone(), dotted, chosen] {
            let d = deployment(
                vec![param("public", ParamType::Bool)],
                vec![vip.clone(), record("CNAME", value)],
                vec![],
            );
            assert_eq!(codes_of(&d), ["E0537"]);
        }
        // An A record of the address, and a CNAME to a name built from it.
        let named = interp(vec![part(address.clone()), text(".nip.io.")]);
        for (kind, value) in [("A", address), ("CNAME", named)] {
            let d = deployment(vec![], vec![vip.clone(), record(kind, value)], vec![]);
            assert_eq!(codes_of(&d), Vec::<&str>::new());
        }
    }

    #[test]
    fn names_colliding_as_snake_case_keep_their_ids() {
        let a = resource("WebServer", "web_server", "OS::Neutron::Net", vec![]);
        let b = resource("Web_Server", "web_server", "OS::Neutron::Net", vec![]);
        let d = deployment(vec![], vec![a, b], vec![]);
        let resources = clean(&d)["resources"].as_object().unwrap().clone();
        let names: Vec<&String> = resources.keys().collect();
        assert_eq!(names, ["web_server", "Web_Server"]);
    }

    #[test]
    fn output_is_byte_identical_across_runs() {
        let mut web = server(vec![("name", interp(vec![part(p("env")), text("-web")]))]);
        web.condition = Some(eq(p("env"), s("production")));
        let d = deployment(vec![param("env", ParamType::String)], vec![web], vec![]);
        let first = serde_json::to_string_pretty(&emit(&d).0).unwrap();
        for _ in 0..5 {
            assert_eq!(serde_json::to_string_pretty(&emit(&d).0).unwrap(), first);
        }
    }
}
