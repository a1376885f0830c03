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
//!   Explicit dependencies are `depends_on`; a persistent resource (or one
//!   whose deletion policy is retain or snapshot) gets
//!   `lifecycle.prevent_destroy`, unless its deletion policy is delete. An
//!   `aws_db_instance` keeps a final snapshot unless its policy is delete
//!   (`terraform destroy` fails on one that says neither).
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
//!   stack's `outputs`, see `KEYED_ATTRIBUTES`) is read by key:
//!   `one([for o in TYPE.NAME.outputs : o.output_value if o.output_key == "k"])`.
//! - Outputs are `output` blocks; an output that reads a secret param or a
//!   sensitive attribute is `sensitive`, as Terraform requires. An export
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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{
    Context, Deletion, Deployment, Expr, Output, Param, ParamType, Part, Resource, Target,
};
use crate::source::Span;
use crate::syntax::ast::BinaryOp;

/// The Terraform version the configuration is written for: `strcontains`
/// and the validation blocks emitted need 1.5.
const REQUIRED_VERSION: &str = ">= 1.5.0";

/// A provider a configuration may need: local name, source, version.
struct Provider {
    local: &'static str,
    source: &'static str,
    version: &'static str,
}

/// The providers whose vocabularies the checker accepts. aws is pinned to
/// the minor version whose schema the stdlib was generated from (6.69.1, see
/// `shared/schemas/terraform/SOURCES.md`); the others to their major series.
const PROVIDERS: &[Provider] = &[
    Provider {
        local: "aws",
        source: "hashicorp/aws",
        version: "~> 6.69",
    },
    Provider {
        local: "openstack",
        source: "terraform-provider-openstack/openstack",
        version: "~> 3.0",
    },
    Provider {
        local: "random",
        source: "hashicorp/random",
        version: "~> 3.6",
    },
];

/// Names Terraform reserves for module arguments: no variable may have them.
const RESERVED_VARIABLES: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
];

/// Attributes the providers mark sensitive: an output reading one must be
/// sensitive too, and `count` may not depend on one.
const SENSITIVE_ATTRIBUTES: &[(&str, &str)] = &[
    ("random_password", "result"),
    ("random_password", "bcrypt_hash"),
    ("aws_db_instance", "password"),
    ("aws_rds_cluster", "master_password"),
    ("aws_secretsmanager_secret_version", "secret_string"),
    ("aws_secretsmanager_secret_version", "secret_binary"),
    ("aws_iam_access_key", "secret"),
    ("aws_launch_template", "user_data"),
    ("openstack_compute_instance_v2", "admin_pass"),
    ("openstack_db_instance_v1", "user"),
    ("openstack_db_user_v1", "password"),
];

/// Attributes the provider gives as a list of key/value objects, read as a
/// map: type, attribute, key field, value field. The native schemas declare
/// them `{string: T}` (`tools/gen-schemas/gen_terraform.py`,
/// `KEYED_ATTRIBUTES`, lists the same ones).
const KEYED_ATTRIBUTES: &[(&str, &str, &str, &str)] = &[(
    "openstack_orchestration_stack_v1",
    "outputs",
    "output_key",
    "output_value",
)];

/// The auth scope data source that region, project and catalog are read from.
const AUTH_SCOPE: &str = "data.openstack_identity_auth_scope_v3.current";

/// The most locals one configuration gets.
const MAX_LOCALS: usize = 64;

// Precedence of Terraform's operators, loosest first.
const P_COND: u8 = 0;
const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_EQ: u8 = 3;
const P_CMP: u8 = 4;
const P_ADD: u8 = 5;
const P_MUL: u8 = 6;
const P_UNARY: u8 = 7;
const P_PRIMARY: u8 = 8;

/// The template of `deployment`, and what the target cannot express.
pub fn emit(deployment: &Deployment) -> (Value, Vec<Diagnostic>) {
    let mut emitter = Emitter::new(deployment);
    let json = emitter.configuration();
    if deployment.target == Target::TerraformOpenstack {
        emitter.diagnostics.extend(super::heat::cnames_to_addresses(
            deployment,
            "openstack_dns_recordset_v2",
            "records",
            OPENSTACK_ADDRESSES,
            &codes::E0553,
            |r, attribute| format!("`{}.{}.{attribute}`", r.type_name, r.snake),
        ));
    }
    emitter.diagnostics.extend(unused_exports(deployment));
    (json, emitter.diagnostics)
}

/// The attributes of the openstack provider's resources that hold an IP
/// address, by the first segment of their path: a CNAME record may not
/// point at one (see `heat::cnames_to_addresses`).
const OPENSTACK_ADDRESSES: &[(&str, &str)] = &[
    ("openstack_compute_instance_v2", "access_ip_v4"),
    ("openstack_compute_instance_v2", "access_ip_v6"),
    ("openstack_compute_instance_v2", "network"),
    ("openstack_lb_loadbalancer_v2", "vip_address"),
    (
        "openstack_networking_floatingip_associate_v2",
        "floating_ip",
    ),
    ("openstack_networking_floatingip_associate_v2", "fixed_ip"),
    ("openstack_networking_floatingip_v2", "address"),
    ("openstack_networking_floatingip_v2", "fixed_ip"),
    ("openstack_networking_port_v2", "all_fixed_ips"),
    ("openstack_networking_port_v2", "fixed_ip"),
    ("openstack_networking_subnet_v2", "gateway_ip"),
];

/// Outputs with an `export` name: Terraform has no registry of exported
/// values, and an `output` block no field for one. A root module's outputs
/// are already what other configurations read (`terraform_remote_state`), by
/// their output names, so the outputs are written as they are; a note rather
/// than a warning, because a program built for CloudFormation too must keep
/// its exports, and cannot say so per target.
fn unused_exports(d: &Deployment) -> Option<Diagnostic> {
    let exported: Vec<&Output> = d.outputs.iter().filter(|o| o.export.is_some()).collect();
    let (first, rest) = exported.split_first()?;
    let names: Vec<&str> = exported.iter().map(|o| o.name.as_str()).collect();
    let listed = super::heat::listed("output", &names);
    let (names_of, verb) = if names.len() == 1 {
        ("name of", "is")
    } else {
        ("names of", "are")
    };
    let mut diagnostic = Diagnostic::new(
        &codes::W0552,
        first.span,
        format!(
            "{} has no exports: the export {names_of} {listed} {verb} not used",
            d.target.display()
        ),
    )
    .label(format!(
        "read by its output name, `{}`, on Terraform",
        first.name
    ));
    for o in rest {
        diagnostic = diagnostic.secondary(o.span, format!("read as `{}`", o.name));
    }
    Some(
        diagnostic
            .note(format!(
                "other configurations read a root module's outputs by name, through the `terraform_remote_state` data source (`data.terraform_remote_state.NAME.outputs.{}`); `terraform output {}` prints one",
                first.name, first.name
            ))
            .help("with Terraform, give other configurations the output names; the export names stay for CloudFormation, where other stacks read them with `Fn::ImportValue`"),
    )
}

/// Where an expression is rendered.
#[derive(Clone, Copy)]
struct Cx {
    /// Where diagnostics point.
    span: Span,
    /// Inside a resource with a deploy-time count: `count.index` exists.
    counted: bool,
    /// Rendering a key for locals: no locals, no diagnostics.
    plain: bool,
    /// Inside the body of a for expression over the copies of a counted
    /// resource (`Expr::Copies`): the copy's index is `i`, and a counted
    /// resource is read at `[i]`.
    copy: bool,
}

/// An expression a value is written with, and the property it is the whole
/// value of.
type Root = (Expr, Option<String>);

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
    resources: HashMap<&'d str, &'d Resource>,
    params: HashMap<&'d str, &'d Param>,
    /// A param's variable name (a reserved name is renamed).
    variables: HashMap<&'d str, String>,
    /// Hoisted values: their plain rendering to their local's name.
    local_keys: HashMap<String, String>,
    locals: Vec<(String, Expr)>,
    /// Which context values are read: data sources to declare. Region,
    /// zones, stack name, account, object store URL.
    contexts: [bool; 5],
    diagnostics: Vec<Diagnostic>,
}

/// Each param's variable name, in the deployment's order: its own, unless
/// Terraform reserves it.
pub fn variable_names(d: &Deployment) -> Vec<String> {
    let names: HashSet<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut variables = Vec::with_capacity(d.params.len());
    for p in &d.params {
        let mut name = p.name.clone();
        if RESERVED_VARIABLES.contains(&name.as_str()) {
            name = format!("{}_value", p.name);
            let mut n = 2;
            while names.contains(name.as_str()) || taken.contains(&name) {
                name = format!("{}_value{n}", p.name);
                n += 1;
            }
        }
        taken.insert(name.clone());
        variables.push(name);
    }
    variables
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
            resources: d.resources.iter().map(|r| (r.id.as_str(), r)).collect(),
            params: d.params.iter().map(|p| (p.name.as_str(), p)).collect(),
            variables,
            local_keys: HashMap::new(),
            locals: Vec::new(),
            contexts: [false; 5],
            diagnostics: Vec::new(),
        }
    }

    fn configuration(&mut self) -> Value {
        let d = self.d;
        self.check_names();
        self.compute_locals();
        let variables = self.variables();
        let mut resources = Map::new();
        for r in &d.resources {
            let body = self.resource(r);
            let by_type = resources
                .entry(r.type_name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(by_name) = by_type {
                by_name.insert(r.snake.clone(), body);
            }
        }
        let mut outputs = Map::new();
        for o in &d.outputs {
            let body = self.output(o);
            outputs.insert(o.name.clone(), body);
        }
        let locals = self.locals_block();
        let data = self.data_sources();

        let mut root = Map::new();
        if let Some(description) = &d.description {
            root.insert("//".into(), Value::String(description.clone()));
        }
        root.insert("terraform".into(), self.terraform_block());
        root.insert("provider".into(), self.provider_block());
        if !variables.is_empty() {
            root.insert("variable".into(), Value::Object(variables));
        }
        if !locals.is_empty() {
            root.insert("locals".into(), Value::Object(locals));
        }
        if !data.is_empty() {
            root.insert("data".into(), Value::Object(data));
        }
        if !resources.is_empty() {
            root.insert("resource".into(), Value::Object(resources));
        }
        if !outputs.is_empty() {
            root.insert("output".into(), Value::Object(outputs));
        }
        Value::Object(root)
    }

    // ------------------------------------------------------------ checks

    /// Resource names Terraform accepts, unique per type; reserved variable
    /// names renamed with a warning.
    fn check_names(&mut self) {
        let d = self.d;
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for r in &d.resources {
            if !is_identifier(&r.snake) {
                self.internal(
                    r.span,
                    format!(
                        "the Terraform name `{}` of resource `{}` is not a valid identifier",
                        r.snake, r.id
                    ),
                );
            }
            if !seen.insert((r.type_name.as_str(), r.snake.as_str())) {
                self.internal(
                    r.span,
                    format!(
                        "two resources are both named `{}.{}` in Terraform",
                        r.type_name, r.snake
                    ),
                );
            }
        }
        for p in &d.params {
            let name = self.variables[p.name.as_str()].clone();
            if name != p.name {
                let span = self.param_site(&p.name);
                let diagnostic = Diagnostic::new(
                    &codes::W0550,
                    span,
                    format!(
                        "Terraform reserves the name `{}`: param `{}` is the variable `{name}` in {}",
                        p.name,
                        p.name,
                        d.target.display()
                    ),
                )
                .label(format!("reads param `{}`", p.name))
                .note(format!(
                    "give its value with `-var {name}=...` or `TF_VAR_{name}` when deploying"
                ))
                .help(format!(
                    "rename the param (for instance `app_{}`) to keep one name on every target",
                    p.name
                ));
                self.diagnostics.push(diagnostic);
            }
        }
    }

    /// Where a diagnostic about a param points: the first resource or output
    /// that reads it (the IR keeps no span for params).
    fn param_site(&self, name: &str) -> Span {
        let reads = |e: &Expr| {
            let mut found = false;
            walk(e, &mut |x| {
                if matches!(x, Expr::Param(p) if p == name) {
                    found = true;
                }
                !found
            });
            found
        };
        for r in &self.d.resources {
            if r.properties.values().any(reads)
                || r.condition.as_ref().is_some_and(reads)
                || r.count.as_ref().is_some_and(reads)
            {
                return r.span;
            }
        }
        for o in &self.d.outputs {
            if reads(&o.value) || o.condition.as_ref().is_some_and(reads) {
                return o.span;
            }
        }
        self.d
            .resources
            .first()
            .map(|r| r.span)
            .or_else(|| self.d.outputs.first().map(|o| o.span))
            .unwrap_or_default()
    }

    fn internal(&mut self, span: Span, message: String) {
        self.diagnostics.push(
            Diagnostic::new(&codes::E0000, span, message)
                .label("while writing the Terraform configuration")
                .note("this is a bug in the compiler, not in the program"),
        );
    }

    // ------------------------------------------------------- the blocks

    fn terraform_block(&mut self) -> Value {
        let d = self.d;
        let mut locals: Vec<&str> = vec![self.provider];
        for r in &d.resources {
            let local = r.type_name.split('_').next().unwrap_or_default();
            if locals.contains(&local) {
                continue;
            }
            if !PROVIDERS.iter().any(|p| p.local == local) {
                // The checker accepts only the vocabularies of known providers.
                self.internal(
                    r.span,
                    format!(
                        "`{}` belongs to a provider the Terraform backend does not know",
                        r.type_name
                    ),
                );
            }
            locals.push(local);
        }
        let mut required = Map::new();
        for local in locals {
            if let Some(p) = PROVIDERS.iter().find(|p| p.local == local) {
                let mut spec = Map::new();
                spec.insert("source".into(), Value::String(p.source.into()));
                spec.insert("version".into(), Value::String(p.version.into()));
                required.insert(p.local.into(), Value::Object(spec));
            }
        }
        let mut block = Map::new();
        block.insert(
            "required_version".into(),
            Value::String(REQUIRED_VERSION.into()),
        );
        block.insert("required_providers".into(), Value::Object(required));
        Value::Object(block)
    }

    /// The provider's configuration: only its region, from a param named
    /// `region`. Credentials come from the environment, never the file.
    fn provider_block(&mut self) -> Value {
        let mut config = Map::new();
        if let Some(p) = self.params.get("region")
            && p.ty == ParamType::String
        {
            let name = &self.variables["region"];
            config.insert("region".into(), Value::String(format!("${{var.{name}}}")));
        }
        let mut block = Map::new();
        block.insert(self.provider.into(), Value::Object(config));
        Value::Object(block)
    }

    fn data_sources(&mut self) -> Map<String, Value> {
        let mut data = Map::new();
        let mut add = |ty: &str, name: &str, body: Map<String, Value>| {
            let mut named = Map::new();
            named.insert(name.into(), Value::Object(body));
            data.insert(ty.into(), Value::Object(named));
        };
        let [region, zones, _, account, object_store] = self.contexts;
        let state = || {
            let mut m = Map::new();
            m.insert("state".into(), Value::String("available".into()));
            m
        };
        if self.provider == "aws" {
            if region {
                add("aws_region", "current", Map::new());
            }
            if zones {
                add("aws_availability_zones", "available", state());
            }
            if account {
                add("aws_caller_identity", "current", Map::new());
            }
        } else {
            if region || account || object_store {
                let mut m = Map::new();
                m.insert("name".into(), Value::String("current".into()));
                add("openstack_identity_auth_scope_v3", "current", m);
            }
            if zones {
                add(
                    "openstack_compute_availability_zones_v2",
                    "available",
                    Map::new(),
                );
            }
        }
        data
    }

    // -------------------------------------------------------- variables

    fn variables(&mut self) -> Map<String, Value> {
        let d = self.d;
        let mut out = Map::new();
        for p in &d.params {
            let mut v = Map::new();
            if let Some(description) = p.description.as_ref().or(p.label.as_ref()) {
                v.insert("description".into(), Value::String(description.clone()));
            }
            v.insert("type".into(), Value::String(type_expr(&p.ty)));
            if let Some(default) = &p.default {
                v.insert("default".into(), default.clone());
            }
            if p.secret {
                v.insert("sensitive".into(), Value::Bool(true));
            }
            let validations = self.validations(p);
            if !validations.is_empty() {
                v.insert("validation".into(), Value::Array(validations));
            }
            out.insert(self.variables[p.name.as_str()].clone(), Value::Object(v));
        }
        out
    }

    /// One `validation` block per constraint of `p`.
    fn validations(&mut self, p: &Param) -> Vec<Value> {
        let var = format!("var.{}", self.variables[p.name.as_str()]);
        let (element_ty, list) = match &p.ty {
            ParamType::List(inner) => (inner.as_ref(), true),
            other => (other, false),
        };
        // A check of each element of a list, of the value otherwise.
        let each = |test: &dyn Fn(&str) -> String| {
            if list {
                format!("alltrue([for v in {var} : {}])", test("v"))
            } else {
                test(&var)
            }
        };
        let what = if list {
            format!("Each element of {}", p.name)
        } else {
            format!("The value of {}", p.name)
        };
        let mut checks: Vec<(String, String)> = Vec::new();
        if let Some(allowed) = &p.allowed {
            let values: Vec<String> = allowed.iter().map(json_to_hcl).collect();
            let set = format!("[{}]", values.join(", "));
            let check = if list {
                // A list param's allowed values are whole lists. Terraform's
                // equality tells a tuple (`["a", "b"]`) from a list of the
                // same elements, so both sides are compared as JSON text.
                (
                    format!("contains([for v in {set} : jsonencode(v)], jsonencode({var}))"),
                    format!(
                        "The value of {} must be one of {}.",
                        p.name,
                        values.join(", ")
                    ),
                )
            } else {
                (
                    format!("contains({set}, {var})"),
                    format!("{what} must be one of {}.", values.join(", ")),
                )
            };
            checks.push(check);
        }
        if let Some(pattern) = &p.pattern {
            if let Some(feature) = re2_unsupported(pattern) {
                let span = self.param_site(&p.name);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0551,
                        span,
                        format!(
                            "the pattern of param `{}` uses {feature}, which {} does not have: its `regex` function is RE2",
                            p.name,
                            self.d.target.display()
                        ),
                    )
                    .label(format!("reads param `{}`", p.name))
                    .note(format!("the pattern is `{pattern}`"))
                    .help("write the pattern without lookaround, backreferences, atomic groups or possessive quantifiers (RE2 has none of them), or check the value with `allowed` values or lengths instead"),
                );
            }
            let anchored = anchored(pattern);
            let literal = quote(&anchored);
            checks.push((
                each(&|x| format!("can(regex({literal}, {x}))")),
                format!("{what} must match the pattern {anchored}."),
            ));
        }
        if p.min.is_some() || p.max.is_some() {
            let min = p.min.as_ref().map(json_to_hcl);
            let max = p.max.as_ref().map(json_to_hcl);
            let test = |x: &str| match (&min, &max) {
                (Some(a), Some(b)) => format!("{x} >= {a} && {x} <= {b}"),
                (Some(a), None) => format!("{x} >= {a}"),
                (None, Some(b)) => format!("{x} <= {b}"),
                (None, None) => String::new(),
            };
            let sentence = match (&min, &max) {
                (Some(a), Some(b)) => format!("{what} must be between {a} and {b}."),
                (Some(a), None) => format!("{what} must be at least {a}."),
                (_, b) => format!(
                    "{what} must be at most {}.",
                    b.as_deref().unwrap_or_default()
                ),
            };
            checks.push((each(&test), sentence));
        }
        if p.min_length.is_some() || p.max_length.is_some() {
            let unit = |n: u64| match (list, n) {
                (true, 1) => "element",
                (true, _) => "elements",
                (false, 1) => "character",
                (false, _) => "characters",
            };
            let whole = format!("The value of {}", p.name);
            let (test, sentence) = match (p.min_length, p.max_length) {
                (Some(a), Some(b)) => (
                    format!("length({var}) >= {a} && length({var}) <= {b}"),
                    format!("{whole} must be between {a} and {b} {} long.", unit(b)),
                ),
                (Some(a), None) => (
                    format!("length({var}) >= {a}"),
                    format!("{whole} must be at least {a} {} long.", unit(a)),
                ),
                (None, Some(b)) => (
                    format!("length({var}) <= {b}"),
                    format!("{whole} must be at most {b} {} long.", unit(b)),
                ),
                (None, None) => unreachable!(),
            };
            checks.push((test, sentence));
        }
        // The param's message describes its constraints, not its type.
        let constraints = checks.len();
        if *element_ty == ParamType::Int {
            checks.push((
                each(&|x| format!("floor({x}) == {x}")),
                format!("{what} must be a whole number."),
            ));
        }
        let nullable = matches!(p.default, Some(Value::Null));
        checks
            .into_iter()
            .enumerate()
            .map(|(i, (condition, sentence))| {
                let condition = if nullable {
                    format!("{var} == null || try({condition}, false)")
                } else {
                    condition
                };
                let message = match &p.message {
                    Some(m) if i < constraints => sentence_of(m),
                    _ => sentence,
                };
                let mut block = Map::new();
                block.insert(
                    "condition".into(),
                    Value::String(format!("${{{condition}}}")),
                );
                block.insert(
                    "error_message".into(),
                    Value::String(escape_template(&message)),
                );
                Value::Object(block)
            })
            .collect()
    }

    // -------------------------------------------------------- resources

    fn resource(&mut self, r: &'d Resource) -> Value {
        let cx = Cx {
            span: r.span,
            counted: r.count.is_some(),
            plain: false,
            copy: false,
        };
        let outer = Cx {
            counted: false,
            ..cx
        };
        let mut body = Map::new();
        for e in r.condition.iter().chain(r.count.iter()) {
            self.check_count(r, e, "count");
        }
        match (&r.condition, &r.count) {
            (None, None) | (Some(Expr::Bool(true)), None) => {}
            (Some(Expr::Bool(false)), _) => {
                body.insert("count".into(), Value::from(0));
            }
            (None, Some(Expr::Int(n))) | (Some(Expr::Bool(true)), Some(Expr::Int(n))) => {
                body.insert("count".into(), Value::from(*n));
            }
            (None, Some(n)) | (Some(Expr::Bool(true)), Some(n)) => {
                let count = self.template(n, outer);
                body.insert("count".into(), count);
            }
            (Some(c), n) => {
                let c = self.operand(c, P_OR, outer);
                let n = match n {
                    None => "1".to_string(),
                    Some(n) => self.operand(n, P_OR, outer),
                };
                body.insert("count".into(), Value::String(format!("${{{c} ? {n} : 0}}")));
            }
        }
        let properties = self.body(&r.properties, cx, true, Some(r));
        body.extend(properties);
        if !r.depends_on.is_empty() {
            let mut refs = Vec::new();
            for id in &r.depends_on {
                match self.resources.get(id.as_str()) {
                    Some(dep) => {
                        refs.push(Value::String(format!("{}.{}", dep.type_name, dep.snake)))
                    }
                    None => self.internal(
                        r.span,
                        format!("`{}` depends on `{id}`, which is not a resource", r.id),
                    ),
                }
            }
            body.insert("depends_on".into(), Value::Array(refs));
        }
        // The policy lowering decided: kept resources cannot be destroyed;
        // a snapshot is the type's own argument.
        let protected = matches!(r.deletion, Some(Deletion::Retain | Deletion::Snapshot));
        self.final_snapshot(r, protected, &mut body, cx);
        if r.deletion == Some(Deletion::Snapshot)
            && r.type_name == "aws_ebs_volume"
            && !r.properties.contains_key("final_snapshot")
        {
            body.insert("final_snapshot".into(), Value::Bool(true));
        }
        if protected {
            let mut lifecycle = Map::new();
            lifecycle.insert("prevent_destroy".into(), Value::Bool(true));
            body.insert("lifecycle".into(), Value::Object(lifecycle));
        }
        Value::Object(body)
    }

    /// An RDS instance refuses to be destroyed until told what becomes of its
    /// data: a final snapshot, named after the instance, unless its deletion
    /// policy is delete. What the program sets itself is left alone.
    fn final_snapshot(
        &mut self,
        r: &Resource,
        keep_data: bool,
        body: &mut Map<String, Value>,
        cx: Cx,
    ) {
        if r.type_name != "aws_db_instance"
            || ["skip_final_snapshot", "final_snapshot_identifier"]
                .iter()
                .any(|k| r.properties.contains_key(*k))
        {
            return;
        }
        body.insert("skip_final_snapshot".into(), Value::Bool(!keep_data));
        if !keep_data {
            return;
        }
        // Snapshot names are letters, digits and single hyphens.
        let name = match r.properties.get("identifier") {
            Some(identifier) => Expr::Interp(vec![
                Part::Expr(identifier.clone()),
                Part::Text("-final".into()),
            ]),
            None => Expr::Interp(vec![
                Part::Expr(Expr::Context(Context::StackName)),
                Part::Text(format!("-{}-final", r.snake.replace('_', "-"))),
            ]),
        };
        let name = self.template(&name, cx);
        body.insert("final_snapshot_identifier".into(), name);
    }

    /// `count` (and a dynamic block's `for_each`) may not be sensitive, and
    /// must be known when Terraform plans.
    fn check_count(&mut self, r: &Resource, e: &Expr, what: &str) {
        if self.is_sensitive(e) {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0550,
                    r.span,
                    format!(
                        "whether `{}.{}` exists depends on a secret, and {} refuses sensitive values in `{what}`",
                        r.type_name,
                        r.snake,
                        self.d.target.display()
                    ),
                )
                .label("its condition or count reads a secret")
                .help("make the condition depend on a param that is not secret (for instance a boolean `enable_...` param)"),
            );
        }
        if let Some((from, read)) = self.known_after_apply(e, &mut Vec::new()) {
            let from = format!("{}.{}", from.type_name, from.snake);
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0554,
                    r.span,
                    format!(
                        "whether `{}.{}` exists depends on `{from}`, which {} knows only after it is created",
                        r.type_name,
                        r.snake,
                        self.d.target.display()
                    ),
                )
                .label(format!("its `{what}` reads `{from}.{read}`"))
                .note(format!("Terraform must know `{what}` when it plans, and refuses a value known only after apply: `terraform plan` fails"))
                .help("make the condition depend on params only, which Terraform knows when it plans"),
            );
        }
    }

    /// A value read by `e` that Terraform knows only after apply, with the
    /// resource it comes from: an id, or an attribute the program does not
    /// set (or sets to such a value). An attribute the program sets to a
    /// known value is known when Terraform plans. `seen` holds the
    /// attributes followed so far.
    fn known_after_apply(
        &self,
        e: &Expr,
        seen: &mut Vec<(String, String)>,
    ) -> Option<(&'d Resource, String)> {
        let mut found = None;
        walk(e, &mut |x| {
            if found.is_some() {
                return false;
            }
            let (id, attr) = match x {
                Expr::Ref(id) => (id, None),
                Expr::Attr(id, attr) => (id, Some(attr)),
                _ => return true,
            };
            let Some(&r) = self.resources.get(id.as_str()) else {
                return false;
            };
            let Some(attr) = attr else {
                found = Some((r, "id".to_string()));
                return false;
            };
            let key = attr.split('.').next().unwrap_or_default();
            match r.properties.get(key) {
                None => found = Some((r, attr.clone())),
                Some(set) => {
                    let followed = (id.clone(), key.to_string());
                    if !seen.contains(&followed) {
                        seen.push(followed);
                        found = self.known_after_apply(set, seen);
                    }
                }
            }
            false
        });
        found
    }

    /// A block body (or a map): `fields` with their values. Nested blocks
    /// that exist only under a deploy-time condition become `dynamic` blocks.
    fn body(
        &mut self,
        fields: &crate::ir::Map<Expr>,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        let mut dynamic = Map::new();
        for (key, value) in fields {
            match self.shape(value, blocks) {
                Shape::Blocks(alternatives) => {
                    let mut fixed = Vec::new();
                    let mut conditional = Vec::new();
                    for (condition, fields) in alternatives {
                        let content = Value::Object(self.body(fields, cx, true, resource));
                        match condition {
                            None => fixed.push(content),
                            Some(c) => {
                                if let Some(r) = resource {
                                    self.check_count(r, &c, "for_each");
                                }
                                let c = self.operand(&c, P_OR, cx);
                                let mut block = Map::new();
                                block.insert(
                                    "for_each".into(),
                                    Value::String(format!("${{{c} ? [1] : []}}")),
                                );
                                block.insert("content".into(), content);
                                conditional.push(Value::Object(block));
                            }
                        }
                    }
                    if !fixed.is_empty() {
                        out.insert(escape_template(key), Value::Array(fixed));
                    }
                    let blocks = if conditional.len() == 1 {
                        conditional.pop().unwrap_or_default()
                    } else {
                        Value::Array(conditional)
                    };
                    dynamic.insert(key.clone(), blocks);
                }
                _ => {
                    let v = self.value(value, cx, blocks, resource);
                    out.insert(escape_template(key), v);
                }
            }
        }
        if !dynamic.is_empty() {
            out.insert("dynamic".into(), Value::Object(dynamic));
        }
        out
    }

    fn value(&mut self, e: &Expr, cx: Cx, blocks: bool, resource: Option<&Resource>) -> Value {
        match self.shape(e, blocks) {
            Shape::Const => const_json(e),
            Shape::List(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.value(item, cx, blocks, resource))
                    .collect(),
            ),
            Shape::Object(fields) => Value::Object(self.body(fields, cx, blocks, resource)),
            Shape::Blocks(_) | Shape::Expr => self.template(e, cx),
        }
    }

    fn shape<'e>(&self, e: &'e Expr, blocks: bool) -> Shape<'e> {
        if e.is_const() {
            return Shape::Const;
        }
        match e {
            Expr::List(items) => {
                if blocks && let Some(alternatives) = block_alternatives(e) {
                    return Shape::Blocks(alternatives);
                }
                if items.iter().any(is_optional_item) {
                    Shape::Expr
                } else {
                    Shape::List(items)
                }
            }
            Expr::Object(fields) => Shape::Object(fields),
            Expr::If(..) if blocks => match block_alternatives(e) {
                Some(alternatives) => Shape::Blocks(alternatives),
                None => Shape::Expr,
            },
            _ => Shape::Expr,
        }
    }

    /// The expressions a value is written with, as `shape` splits it: where
    /// locals may replace parts. Each comes with the name of the property it
    /// is the whole value of.
    fn roots(&self, e: &Expr, blocks: bool, label: Option<&str>, out: &mut Vec<Root>) {
        match self.shape(e, blocks) {
            Shape::Const => {}
            Shape::List(items) => {
                for item in items {
                    // Blocks exist only as an object's fields: in a list,
                    // the value is an expression (see `value`).
                    if let Shape::Blocks(_) = self.shape(item, blocks) {
                        out.push((item.clone(), None));
                    } else {
                        self.roots(item, blocks, None, out);
                    }
                }
            }
            Shape::Object(fields) => {
                for (k, v) in fields {
                    self.roots(v, blocks, Some(k), out);
                }
            }
            Shape::Blocks(alternatives) => {
                for (condition, fields) in alternatives {
                    out.extend(condition.map(|c| (c, None)));
                    for (k, v) in fields {
                        self.roots(v, true, Some(k), out);
                    }
                }
            }
            Shape::Expr => out.push((e.clone(), label.map(str::to_string))),
        }
    }

    // ---------------------------------------------------------- outputs

    fn output(&mut self, o: &Output) -> Value {
        let cx = Cx {
            span: o.span,
            counted: false,
            plain: false,
            copy: false,
        };
        let value = output_value(o);
        let mut body = Map::new();
        if let Some(description) = &o.description {
            body.insert("description".into(), Value::String(description.clone()));
        }
        let v = self.value(&value, cx, false, None);
        body.insert("value".into(), v);
        if o.sensitive || self.is_sensitive(&value) {
            body.insert("sensitive".into(), Value::Bool(true));
        }
        Value::Object(body)
    }

    /// Does `e` read a secret param or an attribute the provider marks
    /// sensitive?
    fn is_sensitive(&self, e: &Expr) -> bool {
        let mut found = false;
        walk(e, &mut |x| {
            match x {
                Expr::Param(p) => found |= self.params.get(p.as_str()).is_some_and(|p| p.secret),
                Expr::Attr(id, path) => {
                    if let Some(r) = self.resources.get(id.as_str()) {
                        let first = path.split('.').next().unwrap_or_default();
                        found |= SENSITIVE_ATTRIBUTES
                            .iter()
                            .any(|(t, a)| *t == r.type_name && *a == first);
                    }
                }
                _ => {}
            }
            !found
        });
        found
    }

    // ----------------------------------------------------------- locals

    /// Hoists compound deploy-time values used more than once into locals,
    /// largest first.
    fn compute_locals(&mut self) {
        let d = self.d;
        let mut roots: Vec<Root> = Vec::new();
        for r in &d.resources {
            roots.extend(r.condition.iter().map(|c| (c.clone(), None)));
            roots.extend(r.count.iter().map(|c| (c.clone(), None)));
            for (k, v) in &r.properties {
                self.roots(v, true, Some(k), &mut roots);
            }
        }
        for o in &d.outputs {
            self.roots(&output_value(o), false, Some(&o.name), &mut roots);
        }
        for _ in 0..MAX_LOCALS {
            // Occurrences by plain rendering: count, size, first expression.
            let mut counts: IndexMap<String, (usize, usize, Expr)> = IndexMap::new();
            for (root, _) in &roots {
                self.count_candidates(root, &mut counts);
            }
            let bodies: Vec<Expr> = self.locals.iter().map(|(_, e)| e.clone()).collect();
            for body in &bodies {
                for child in body.children() {
                    self.count_candidates(child, &mut counts);
                }
            }
            let mut best: Option<(&String, &(usize, usize, Expr))> = None;
            for entry in &counts {
                if entry.1.0 >= 2 && best.is_none_or(|b| entry.1.1 > b.1.1) {
                    best = Some(entry);
                }
            }
            let Some((key, (_, _, e))) = best else {
                break;
            };
            // A choice is named after the property it sets, anything else
            // after what it reads.
            let mut label = None;
            if matches!(e, Expr::If(..)) {
                for (root, l) in &roots {
                    if l.is_some() && self.is_candidate(root) && self.plain(root) == *key {
                        label.clone_from(l);
                        break;
                    }
                }
            }
            let name = self.local_name(e, label.as_deref());
            self.local_keys.insert(key.clone(), name.clone());
            self.locals.push((name, e.clone()));
        }
        self.order_locals(&roots);
    }

    /// Locals in the order they are first read, each after the locals it
    /// reads.
    fn order_locals(&mut self, roots: &[Root]) {
        if self.locals.is_empty() {
            return;
        }
        let mut order: Vec<String> = Vec::new();
        for (root, _) in roots {
            self.visit_locals(root, &mut order);
        }
        let mut locals = std::mem::take(&mut self.locals);
        let mut sorted = Vec::with_capacity(locals.len());
        for name in &order {
            if let Some(i) = locals.iter().position(|(n, _)| n == name) {
                sorted.push(locals.remove(i));
            }
        }
        sorted.extend(locals);
        self.locals = sorted;
    }

    fn visit_locals(&mut self, e: &Expr, order: &mut Vec<String>) {
        if self.is_candidate(e) {
            let key = self.plain(e);
            if let Some(name) = self.local_keys.get(&key).cloned() {
                if !order.contains(&name) {
                    for child in e.children() {
                        self.visit_locals(child, order);
                    }
                    order.push(name);
                }
                return;
            }
        }
        for child in e.children() {
            self.visit_locals(child, order);
        }
    }

    fn count_candidates(&mut self, e: &Expr, counts: &mut IndexMap<String, (usize, usize, Expr)>) {
        if self.is_candidate(e) {
            let key = self.plain(e);
            if self.local_keys.contains_key(&key) {
                return;
            }
            let entry = counts.entry(key).or_insert_with(|| (0, size(e), e.clone()));
            entry.0 += 1;
        }
        for child in e.children() {
            self.count_candidates(child, counts);
        }
    }

    /// May `e` be a local? Compound, known only at deploy time, and valid
    /// wherever the configuration is evaluated: no `count.index`, no
    /// resource that may not exist.
    fn is_candidate(&self, e: &Expr) -> bool {
        // The object store's URL and a value read by key from a key/value
        // list are long expressions: locals when read twice.
        if matches!(e, Expr::Call(name, args) if name == "object_store_url" && args.is_empty()) {
            return self.provider == "openstack";
        }
        let keyed = match e {
            Expr::Index(base, _) => {
                matches!(&**base, Expr::Attr(id, path) if self.is_keyed(id, path))
            }
            Expr::Attr(id, path) => path
                .split_once('.')
                .is_some_and(|(first, _)| self.is_keyed(id, first)),
            _ => false,
        };
        if !keyed && (is_traversal(e) || e.is_const() || size(e) < 3) {
            return false;
        }
        let mut ok = true;
        walk(e, &mut |x| {
            match x {
                Expr::CountIndex => ok = false,
                Expr::Ref(id) | Expr::Attr(id, _) => {
                    ok &= self
                        .resources
                        .get(id.as_str())
                        .is_some_and(|r| r.condition.is_none() && r.count.is_none());
                }
                _ => {}
            }
            ok
        });
        ok
    }

    /// The rendering of `e` without locals: the key locals are found by. It
    /// changes nothing: the data sources it reads are not recorded.
    fn plain(&mut self, e: &Expr) -> String {
        let contexts = self.contexts;
        let cx = Cx {
            span: Span::default(),
            counted: true,
            plain: true,
            copy: false,
        };
        let key = self.render(e, cx).0;
        self.contexts = contexts;
        key
    }

    /// A readable, unique name for a local: the property it sets, or the
    /// words of what it reads.
    fn local_name(&self, e: &Expr, label: Option<&str>) -> String {
        let mut words = Vec::new();
        match label {
            Some(label) => words.extend(
                label
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_ascii_lowercase),
            ),
            None => self.words(e, &mut words),
        }
        let mut name = String::new();
        for w in words.iter().take(6) {
            if name.len() + w.len() > 40 {
                break;
            }
            if !name.is_empty() {
                name.push('_');
            }
            name.push_str(w);
        }
        if name.is_empty() {
            name = "value".into();
        }
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            name = format!("v_{name}");
        }
        let taken = |n: &str| self.locals.iter().any(|(l, _)| l == n);
        if !taken(&name) {
            return name;
        }
        let mut i = 2;
        while taken(&format!("{name}_{i}")) {
            i += 1;
        }
        format!("{name}_{i}")
    }

    fn words(&self, e: &Expr, out: &mut Vec<String>) {
        if out.len() >= 6 {
            return;
        }
        let push_text = |s: &str, out: &mut Vec<String>| {
            for w in s
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .take(3)
            {
                out.push(w.to_ascii_lowercase());
            }
        };
        match e {
            Expr::Null => out.push("null".into()),
            Expr::Bool(b) => out.push(b.to_string()),
            Expr::Int(i) => out.push(i.unsigned_abs().to_string()),
            Expr::Number(n) => push_text(&n.to_string(), out),
            Expr::String(s) => push_text(s, out),
            Expr::Param(p) => push_text(self.variables.get(p.as_str()).unwrap_or(p), out),
            Expr::Ref(id) => {
                if let Some(r) = self.resources.get(id.as_str()) {
                    push_text(&r.snake, out);
                }
                out.push("id".into());
            }
            Expr::Attr(id, path) => {
                if let Some(r) = self.resources.get(id.as_str()) {
                    push_text(&r.snake, out);
                }
                push_text(path, out);
            }
            Expr::Interp(parts) => {
                for part in parts {
                    match part {
                        Part::Text(t) => push_text(t, out),
                        Part::Expr(e) => self.words(e, out),
                    }
                }
            }
            Expr::Not(x) => {
                out.push("not".into());
                self.words(x, out);
            }
            Expr::Neg(x) => {
                out.push("minus".into());
                self.words(x, out);
            }
            Expr::Binary(op, a, b) => {
                self.words(a, out);
                out.push(
                    match op {
                        BinaryOp::Or => "or",
                        BinaryOp::And => "and",
                        BinaryOp::Eq => "is",
                        BinaryOp::Ne => "is_not",
                        BinaryOp::Lt => "below",
                        BinaryOp::Le => "at_most",
                        BinaryOp::Gt => "above",
                        BinaryOp::Ge => "at_least",
                        BinaryOp::Add => "plus",
                        BinaryOp::Sub => "minus",
                        BinaryOp::Mul => "times",
                        BinaryOp::Div => "over",
                        BinaryOp::Rem => "mod",
                    }
                    .into(),
                );
                self.words(b, out);
            }
            Expr::If(_, a, b) => {
                self.words(a, out);
                out.push("or".into());
                self.words(b, out);
            }
            Expr::Call(name, args) => {
                out.push(name.clone());
                for a in args {
                    self.words(a, out);
                }
            }
            Expr::Index(base, i) => {
                self.words(base, out);
                self.words(i, out);
            }
            Expr::Member(base, f) => {
                self.words(base, out);
                push_text(f, out);
            }
            Expr::List(items) => {
                for item in items {
                    self.words(item, out);
                }
            }
            Expr::Object(fields) => {
                for v in fields.values() {
                    self.words(v, out);
                }
            }
            Expr::Context(c) => out.push(
                match c {
                    Context::Region => "region",
                    Context::Zones => "zones",
                    Context::StackName => "workspace",
                    Context::AccountId => "account",
                }
                .into(),
            ),
            Expr::CountIndex => out.push("index".into()),
            Expr::Copies { each, .. } => self.words(each, out),
        }
    }

    fn locals_block(&mut self) -> Map<String, Value> {
        let mut out = Map::new();
        let cx = Cx {
            span: Span::default(),
            counted: false,
            plain: false,
            copy: false,
        };
        let locals = self.locals.clone();
        for (name, e) in &locals {
            let value = match e {
                Expr::Interp(parts) => Value::String(self.template_text(parts, cx, false)),
                _ => Value::String(interpolation(&self.render_inner(e, cx).0)),
            };
            out.insert(name.clone(), value);
        }
        out
    }

    fn hoisted(&mut self, e: &Expr, cx: Cx) -> Option<String> {
        if cx.plain || self.local_keys.is_empty() || !self.is_candidate(e) {
            return None;
        }
        let key = self.plain(e);
        self.local_keys.get(&key).cloned()
    }

    // ------------------------------------------------------ expressions

    /// A JSON string holding `e`: a template for text with deploy-time
    /// parts, `"${...}"` otherwise.
    fn template(&mut self, e: &Expr, cx: Cx) -> Value {
        if let Some(name) = self.hoisted(e, cx) {
            return Value::String(format!("${{local.{name}}}"));
        }
        match e {
            Expr::Interp(parts) => Value::String(self.template_text(parts, cx, false)),
            _ => Value::String(interpolation(&self.render(e, cx).0)),
        }
    }

    /// Template text of `parts`: literal text escaped (`$${`, `%%{`, and in
    /// a quoted string HCL's backslash escapes), expressions as `${...}`.
    fn template_text(&mut self, parts: &[Part], cx: Cx, quoted: bool) -> String {
        let mut flat = Vec::new();
        self.flatten_parts(parts, cx, &mut flat);
        let mut out = String::new();
        for part in flat {
            match part {
                FlatPart::Text(t) => {
                    let t = if quoted { escape_quoted(&t) } else { t };
                    out.push_str(&escape_template(&t));
                }
                FlatPart::Expr(e) => {
                    // `$` before `${` would read as the escape `$${`.
                    if out.ends_with('$') {
                        out.pop();
                        out.push_str("${\"$\"}");
                    }
                    let inner = self.render(e, cx).0;
                    out.push_str(&interpolation(&inner));
                }
            }
        }
        out
    }

    /// Interpolation parts with nested interpolations (unless they are
    /// locals) and string constants merged into the text.
    fn flatten_parts<'e>(&mut self, parts: &'e [Part], cx: Cx, out: &mut Vec<FlatPart<'e>>) {
        let text = |t: &str, out: &mut Vec<FlatPart<'e>>| match out.last_mut() {
            Some(FlatPart::Text(prev)) => prev.push_str(t),
            _ => out.push(FlatPart::Text(t.to_string())),
        };
        for part in parts {
            match part {
                Part::Text(t) => text(t, out),
                Part::Expr(Expr::String(s)) => text(s, out),
                Part::Expr(e @ Expr::Interp(inner)) => {
                    if self.hoisted(e, cx).is_some() {
                        out.push(FlatPart::Expr(e));
                    } else {
                        self.flatten_parts(inner, cx, out);
                    }
                }
                Part::Expr(e) => out.push(FlatPart::Expr(e)),
            }
        }
    }

    /// `e` rendered, in parentheses when it binds looser than `min`.
    fn operand(&mut self, e: &Expr, min: u8, cx: Cx) -> String {
        let (s, p) = self.render(e, cx);
        if p < min { format!("({s})") } else { s }
    }

    /// `e` as a Terraform expression, with its precedence.
    fn render(&mut self, e: &Expr, cx: Cx) -> (String, u8) {
        if let Some(name) = self.hoisted(e, cx) {
            return (format!("local.{name}"), P_PRIMARY);
        }
        self.render_inner(e, cx)
    }

    fn render_inner(&mut self, e: &Expr, cx: Cx) -> (String, u8) {
        match e {
            Expr::Null => ("null".into(), P_PRIMARY),
            Expr::Bool(b) => (b.to_string(), P_PRIMARY),
            Expr::Int(i) => (i.to_string(), if *i < 0 { P_UNARY } else { P_PRIMARY }),
            Expr::Number(n) => (number_text(*n), if *n < 0.0 { P_UNARY } else { P_PRIMARY }),
            Expr::String(s) => (quote(s), P_PRIMARY),
            Expr::List(items) => self.render_list(items, cx),
            Expr::Object(fields) => {
                if fields.is_empty() {
                    return ("{}".into(), P_PRIMARY);
                }
                let mut entries = Vec::new();
                for (k, v) in fields {
                    let key =
                        if is_simple_name(k) && !matches!(k.as_str(), "true" | "false" | "null") {
                            k.clone()
                        } else {
                            quote(k)
                        };
                    let v = self.render(v, cx).0;
                    entries.push(format!("{key} = {v}"));
                }
                (format!("{{ {} }}", entries.join(", ")), P_PRIMARY)
            }
            Expr::Param(name) => match self.variables.get(name.as_str()) {
                Some(var) => (format!("var.{var}"), P_PRIMARY),
                None => {
                    if !cx.plain {
                        self.internal(cx.span, format!("param `{name}` is read but not declared"));
                    }
                    ("null".into(), P_PRIMARY)
                }
            },
            Expr::Ref(id) => (self.resource_ref(id, "id", None, cx), P_PRIMARY),
            Expr::Attr(id, path) => (self.resource_ref(id, path, None, cx), P_PRIMARY),
            Expr::Interp(parts) => (
                format!("\"{}\"", self.template_text(parts, cx, true)),
                P_PRIMARY,
            ),
            Expr::Not(x) => (format!("!{}", self.operand(x, P_UNARY, cx)), P_UNARY),
            Expr::Neg(x) => {
                let s = self.operand(x, P_UNARY, cx);
                if s.starts_with('-') {
                    (format!("-({s})"), P_UNARY)
                } else {
                    (format!("-{s}"), P_UNARY)
                }
            }
            Expr::Binary(op, a, b) => self.binary(*op, a, b, cx),
            Expr::If(c, a, b) => {
                let c = self.operand(c, P_OR, cx);
                let a = self.operand(a, P_OR, cx);
                let b = self.render(b, cx).0;
                (format!("{c} ? {a} : {b}"), P_COND)
            }
            Expr::Call(name, args) => self.call(name, args, cx),
            Expr::Index(base, i) => {
                // `TYPE.NAME[i]`: one copy of a counted resource; inside a
                // for expression over the copies, a counted resource is
                // already the copy, and the index selects from the value.
                if !cx.copy
                    && let Expr::Ref(id) | Expr::Attr(id, _) = base.as_ref()
                    && self
                        .resources
                        .get(id.as_str())
                        .is_some_and(|r| r.count.is_some())
                {
                    let path = match base.as_ref() {
                        Expr::Attr(_, path) => path.as_str(),
                        _ => "id",
                    };
                    let i = self.render(i, cx).0;
                    return (self.resource_ref(id, path, Some(i), cx), P_PRIMARY);
                }
                if let Expr::Attr(id, path) = base.as_ref()
                    && self.is_keyed(id, path)
                {
                    let key = self.render(i, cx).0;
                    return (self.resource_read(id, path, None, Some(key), cx), P_PRIMARY);
                }
                let base = self.operand(base, P_PRIMARY, cx);
                let i = self.render(i, cx).0;
                (format!("{base}[{i}]"), P_PRIMARY)
            }
            Expr::Member(base, field) => {
                let base = self.operand(base, P_PRIMARY, cx);
                if is_simple_name(field) {
                    (format!("{base}.{field}"), P_PRIMARY)
                } else {
                    (format!("{base}[{}]", quote(field)), P_PRIMARY)
                }
            }
            Expr::Context(c) => (self.context(*c), P_PRIMARY),
            Expr::Copies { of, each } => (self.copies(of, each, cx), P_PRIMARY),
            Expr::CountIndex if cx.copy => ("i".into(), P_PRIMARY),
            Expr::CountIndex => {
                if !cx.counted && !cx.plain {
                    self.internal(
                        cx.span,
                        "the index of a copy is read outside a resource with a deploy-time count"
                            .into(),
                    );
                }
                ("count.index".into(), P_PRIMARY)
            }
        }
    }

    /// A list; elements that are absent under a condition make it a
    /// `concat` of the parts.
    fn render_list(&mut self, items: &[Expr], cx: Cx) -> (String, u8) {
        if !items.iter().any(is_optional_item) {
            let items: Vec<String> = items.iter().map(|i| self.render(i, cx).0).collect();
            return (format!("[{}]", items.join(", ")), P_PRIMARY);
        }
        let mut parts = Vec::new();
        let mut run: Vec<String> = Vec::new();
        for item in items {
            if let Expr::If(c, a, b) = item
                && is_optional_item(item)
            {
                if !run.is_empty() {
                    parts.push(format!("[{}]", run.join(", ")));
                    run.clear();
                }
                let c = self.operand(c, P_OR, cx);
                let side = |s: &mut Self, x: &Expr| match x {
                    Expr::Null => "[]".to_string(),
                    x => format!("[{}]", s.render(x, cx).0),
                };
                let a = side(self, a);
                let b = side(self, b);
                parts.push(format!("{c} ? {a} : {b}"));
            } else {
                run.push(self.render(item, cx).0);
            }
        }
        if !run.is_empty() {
            parts.push(format!("[{}]", run.join(", ")));
        }
        (format!("concat({})", parts.join(", ")), P_PRIMARY)
    }

    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, cx: Cx) -> (String, u8) {
        if op == BinaryOp::Div && is_int(a, &self.params) && is_int(b, &self.params) {
            // Infra divides integers to an integer; Terraform's `/` does not.
            let a = self.operand(a, P_MUL, cx);
            let b = self.operand(b, P_MUL + 1, cx);
            return (format!("floor({a} / {b})"), P_PRIMARY);
        }
        let p = match op {
            BinaryOp::Or => P_OR,
            BinaryOp::And => P_AND,
            BinaryOp::Eq | BinaryOp::Ne => P_EQ,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => P_CMP,
            BinaryOp::Add | BinaryOp::Sub => P_ADD,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => P_MUL,
        };
        // Comparisons do not chain: both sides bind tighter.
        let left = if p == P_EQ || p == P_CMP { p + 1 } else { p };
        let a = self.operand(a, left, cx);
        let b = self.operand(b, p + 1, cx);
        (format!("{a} {} {b}", op.symbol()), p)
    }

    fn call(&mut self, name: &str, args: &[Expr], cx: Cx) -> (String, u8) {
        let context = match (name, args.len()) {
            ("region", 0) => Some(Context::Region),
            ("availability_zones", 0) => Some(Context::Zones),
            ("stack_name", 0) => Some(Context::StackName),
            ("account_id", 0) => Some(Context::AccountId),
            _ => None,
        };
        if let Some(c) = context {
            return (self.context(c), P_PRIMARY);
        }
        if (name, args.len()) == ("object_store_url", 0) {
            return (self.object_store_url(cx), P_PRIMARY);
        }
        let function = match (name, args.len()) {
            ("join", 2)
            | ("split", 2)
            | ("element", 2)
            | ("length", 1)
            | ("cidrsubnet", 3)
            | ("lower", 1)
            | ("upper", 1)
            | ("keys", 1)
            | ("values", 1)
            | ("replace", 3) => name,
            ("concat", n) if n > 0 => name,
            ("base64", 1) => "base64encode",
            ("trim", 1) => "trimspace",
            ("contains", 2) if is_text(&args[0], &self.params) => "strcontains",
            ("contains", 2) => "contains",
            ("min" | "max", n) if n > 0 => name,
            ("select", 2) => {
                let list = self.render(&args[1], cx).0;
                let i = self.render(&args[0], cx).0;
                return (format!("element({list}, {i})"), P_PRIMARY);
            }
            ("lookup", 2) => {
                let map = self.operand(&args[0], P_PRIMARY, cx);
                let key = self.render(&args[1], cx).0;
                return (format!("{map}[{key}]"), P_PRIMARY);
            }
            ("lookup", 3) => "lookup",
            _ => {
                if !cx.plain {
                    self.internal(
                        cx.span,
                        format!(
                            "the function `{name}` with {} argument(s) has no form in {}",
                            args.len(),
                            self.d.target.display()
                        ),
                    );
                }
                return ("null".into(), P_PRIMARY);
            }
        };
        let mut rendered: Vec<String> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // Terraform's `replace` reads `/.../` as a regular expression;
            // Infra's replaces the text as it is.
            if name == "replace"
                && i == 1
                && let Expr::String(s) = a
                && s.len() > 1
                && s.starts_with('/')
                && s.ends_with('/')
            {
                rendered.push(quote(&format!("/{}/", regex_escape(s))));
                continue;
            }
            rendered.push(self.render(a, cx).0);
        }
        // `min(list)` in Infra is `min(list...)` in Terraform.
        if matches!(name, "min" | "max") && args.len() == 1 && !is_number(&args[0], &self.params) {
            return (format!("{function}({}...)", rendered[0]), P_PRIMARY);
        }
        (format!("{function}({})", rendered.join(", ")), P_PRIMARY)
    }

    /// The list of `each` over the copies of the counted resource `of`: a
    /// splat (`TYPE.NAME[*].attr`) when `each` is one attribute of a copy,
    /// else `[for i in range(length(TYPE.NAME)) : each]`, the copy's index
    /// being `i`.
    fn copies(&mut self, of: &str, each: &Expr, cx: Cx) -> String {
        let counted = |s: &Self, id: &str| s.resources.get(id).is_some_and(|r| r.count.is_some());
        let whole = Cx {
            counted: false,
            copy: false,
            ..cx
        };
        match each {
            Expr::Ref(id) if counted(self, id) => return self.resource_ref(id, "id", None, whole),
            Expr::Attr(id, path)
                if counted(self, id)
                    && !self.is_keyed(id, path.split('.').next().unwrap_or("")) =>
            {
                return self.resource_ref(id, path, None, whole);
            }
            _ => {}
        }
        if cx.copy || !counted(self, of) || each.any(&|e| matches!(e, Expr::Copies { .. })) {
            if !cx.plain {
                self.internal(
                    cx.span,
                    format!("the copies of `{of}` read where they cannot be"),
                );
            }
            return "null".into();
        }
        let r = self.resources[of];
        let list = format!("{}.{}", r.type_name, r.snake);
        let inner = Cx {
            counted: false,
            copy: true,
            ..cx
        };
        let each = self.render(each, inner).0;
        format!("[for i in range(length({list})) : {each}]")
    }

    /// `TYPE.NAME` (with `[0]` for a conditional resource, `[i]` or `[*]`
    /// for a counted one) and the attribute path.
    fn resource_ref(&mut self, id: &str, path: &str, index: Option<String>, cx: Cx) -> String {
        self.resource_read(id, path, index, None, cx)
    }

    /// Is `path` a key/value list attribute of resource `id` (see
    /// `KEYED_ATTRIBUTES`)?
    fn is_keyed(&self, id: &str, path: &str) -> bool {
        self.resources.get(id).is_some_and(|r| {
            KEYED_ATTRIBUTES
                .iter()
                .any(|(t, a, _, _)| *t == r.type_name && *a == path)
        })
    }

    /// `resource_ref`, reading a key/value list attribute (the first segment
    /// of `path`) as a map: one value, by `key` (rendered) or by the next
    /// segment of `path`, is `one([for o in LIST : o.VALUE if o.KEY == key])`;
    /// the whole map is `{for o in LIST : o.KEY => o.VALUE}`.
    fn resource_read(
        &mut self,
        id: &str,
        path: &str,
        index: Option<String>,
        mut key: Option<String>,
        cx: Cx,
    ) -> String {
        let Some(r) = self.resources.get(id).copied() else {
            if !cx.plain {
                self.internal(cx.span, format!("`{id}` is read but is not a resource"));
            }
            return "null".into();
        };
        let mut s = format!("{}.{}", r.type_name, r.snake);
        if r.count.is_some() {
            // Unindexed, a counted resource is the copy being written: the
            // one a for expression over the copies is at, or the copy of a
            // resource counted alike (a component's other resources).
            match &index {
                Some(i) => s.push_str(&format!("[{i}]")),
                None if cx.copy => s.push_str("[i]"),
                None if cx.counted => s.push_str("[count.index]"),
                None => s.push_str("[*]"),
            }
        } else if r.condition.is_some() {
            s.push_str("[0]");
        }
        let keyed = KEYED_ATTRIBUTES
            .iter()
            .find(|(t, _, _, _)| *t == r.type_name);
        let mut segments = path.split('.').filter(|s| !s.is_empty());
        let mut first = true;
        while let Some(segment) = segments.next() {
            let keyed = keyed.filter(|(_, a, _, _)| first && *a == segment);
            first = false;
            if let Some(&(_, attr, key_field, value_field)) = keyed {
                let list = format!("{s}.{attr}");
                s = match key.take().or_else(|| segments.next().map(quote)) {
                    Some(key) => format!(
                        "one([for o in {list} : o.{value_field} if o.{key_field} == {key}])"
                    ),
                    None => format!("{{for o in {list} : o.{key_field} => o.{value_field}}}"),
                };
            } else if segment.bytes().all(|b| b.is_ascii_digit()) {
                s.push_str(&format!("[{segment}]"));
            } else if is_simple_name(segment) {
                s.push('.');
                s.push_str(segment);
            } else {
                s.push_str(&format!("[{}]", quote(segment)));
            }
        }
        s
    }

    fn context(&mut self, c: Context) -> String {
        let slot = match c {
            Context::Region => 0,
            Context::Zones => 1,
            Context::StackName => 2,
            Context::AccountId => 3,
        };
        self.contexts[slot] = true;
        let aws = self.provider == "aws";
        match c {
            Context::StackName => "terraform.workspace",
            Context::Region if aws => "data.aws_region.current.region",
            Context::Zones if aws => "data.aws_availability_zones.available.names",
            Context::AccountId if aws => "data.aws_caller_identity.current.account_id",
            Context::Region => "data.openstack_identity_auth_scope_v3.current.region",
            Context::Zones => "data.openstack_compute_availability_zones_v2.available.names",
            Context::AccountId => "data.openstack_identity_auth_scope_v3.current.project_id",
        }
        .into()
    }

    /// The object store's public endpoint (`https://swift.example.com/v1/AUTH_...`),
    /// from the auth scope's service catalog: the one `object-store` service,
    /// its one public endpoint in the provider's region (any region when the
    /// provider names none), as the provider itself chooses endpoints.
    /// `one` fails the plan, with its own message, when the catalog has
    /// several. The aws provider has no OpenStack catalog: E0552.
    fn object_store_url(&mut self, cx: Cx) -> String {
        if self.provider == "aws" {
            if !cx.plain {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0552,
                        cx.span,
                        format!(
                            "`object_store_url()` is the endpoint of OpenStack's object store, which {} cannot read",
                            self.d.target.display()
                        ),
                    )
                    .label("reads `object_store_url()`")
                    .note("the value comes from OpenStack's service catalog, which only the openstack provider reads")
                    .help("build this program with `--provider openstack`, or read a `storage.Bucket`'s `domain_name` and `website_url`, which every target gives"),
                );
            }
            return "null".into();
        }
        self.contexts[4] = true;
        format!(
            "one([for s in {AUTH_SCOPE}.service_catalog : one([for e in s.endpoints : e.url if e.interface == \"public\" && contains([\"\", e.region_id, e.region], {AUTH_SCOPE}.region)]) if s.type == \"object-store\"])"
        )
    }
}

// ------------------------------------------------------------- helpers

/// An output's value, `null` when its condition does not hold.
fn output_value(o: &Output) -> Cow<'_, Expr> {
    match &o.condition {
        None | Some(Expr::Bool(true)) => Cow::Borrowed(&o.value),
        Some(Expr::Bool(false)) => Cow::Owned(Expr::Null),
        Some(c) => Cow::Owned(Expr::If(
            Box::new(c.clone()),
            Box::new(o.value.clone()),
            Box::new(Expr::Null),
        )),
    }
}

/// The nested blocks a value stands for, each with the deploy-time
/// condition it exists under; `None` unless the value is a list of objects
/// (or `null`) chosen by conditions, with at least one condition.
fn block_alternatives(e: &Expr) -> Option<Vec<Alternative<'_>>> {
    fn go<'e>(
        e: &'e Expr,
        condition: Option<Expr>,
        item: bool,
        out: &mut Vec<Alternative<'e>>,
    ) -> bool {
        match e {
            Expr::Null => true,
            Expr::Object(fields) if item => {
                out.push((condition, fields));
                true
            }
            Expr::List(items) if !item => items.iter().all(|i| go(i, condition.clone(), true, out)),
            Expr::If(c, a, b) => {
                go(a, Some(and(condition.clone(), (**c).clone())), item, out)
                    && go(b, Some(and(condition, negate((**c).clone()))), item, out)
            }
            _ => false,
        }
    }
    let mut out = Vec::new();
    if go(e, None, false, &mut out) && !out.is_empty() && out.iter().any(|(c, _)| c.is_some()) {
        Some(out)
    } else {
        None
    }
}

fn and(a: Option<Expr>, b: Expr) -> Expr {
    match a {
        None => b,
        Some(a) => Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)),
    }
}

fn negate(e: Expr) -> Expr {
    match e {
        Expr::Not(x) => *x,
        Expr::Binary(BinaryOp::Eq, a, b) => Expr::Binary(BinaryOp::Ne, a, b),
        Expr::Binary(BinaryOp::Ne, a, b) => Expr::Binary(BinaryOp::Eq, a, b),
        Expr::Bool(b) => Expr::Bool(!b),
        e => Expr::Not(Box::new(e)),
    }
}

/// A list element present only under a condition: `c ? x : null`.
fn is_optional_item(e: &Expr) -> bool {
    matches!(e, Expr::If(_, a, b) if matches!(**a, Expr::Null) != matches!(**b, Expr::Null))
}

/// Visits `e` and its subexpressions, pre-order, while `f` says go on.
fn walk<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr) -> bool) {
    if f(e) {
        for child in e.children() {
            walk(child, f);
        }
    }
}

/// Is `e` a reference, possibly indexed by a constant or followed by a
/// field: no computation worth a local.
fn is_traversal(e: &Expr) -> bool {
    match e {
        Expr::Param(_) | Expr::Ref(_) | Expr::Attr(..) | Expr::Context(_) | Expr::CountIndex => {
            true
        }
        Expr::Index(base, i) => is_traversal(base) && i.is_const(),
        Expr::Member(base, _) => is_traversal(base),
        _ => false,
    }
}

/// The number of nodes of `e`, text parts included.
fn size(e: &Expr) -> usize {
    let texts = match e {
        Expr::Interp(parts) => parts.iter().filter(|p| matches!(p, Part::Text(_))).count(),
        _ => 0,
    };
    1 + texts + e.children().into_iter().map(size).sum::<usize>()
}

enum FlatPart<'e> {
    Text(String),
    Expr(&'e Expr),
}

/// Is `e` an integer by construction (Infra divides integers to an integer)?
fn is_int(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::Int(_) | Expr::CountIndex => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| p.ty == ParamType::Int),
        Expr::Neg(x) => is_int(x, params),
        Expr::Binary(
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem,
            a,
            b,
        ) => is_int(a, params) && is_int(b, params),
        Expr::If(_, a, b) => is_int(a, params) && is_int(b, params),
        Expr::Call(name, args) => match name.as_str() {
            "length" => true,
            "min" | "max" => !args.is_empty() && args.iter().all(|a| is_int(a, params)),
            _ => false,
        },
        _ => false,
    }
}

fn is_number(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::Int(_) | Expr::Number(_) | Expr::CountIndex | Expr::Neg(_) => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| matches!(p.ty, ParamType::Int | ParamType::Number)),
        Expr::Binary(
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem,
            ..,
        ) => true,
        Expr::If(_, a, b) => is_number(a, params) || is_number(b, params),
        Expr::Call(name, _) => matches!(name.as_str(), "length" | "min" | "max"),
        _ => false,
    }
}

/// Is `e` text (for `contains`, which Terraform spells `strcontains` on
/// text)?
fn is_text(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::String(_) | Expr::Interp(_) => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| p.ty == ParamType::String),
        Expr::Context(c) => *c != Context::Zones,
        Expr::If(_, a, b) => is_text(a, params) || is_text(b, params),
        Expr::Call(name, _) => matches!(
            name.as_str(),
            "join"
                | "lower"
                | "upper"
                | "replace"
                | "base64"
                | "cidrsubnet"
                | "trim"
                | "object_store_url"
        ),
        _ => false,
    }
}

/// A constant as JSON, its strings escaped: Terraform reads every string of
/// a JSON configuration as a template.
fn const_json(e: &Expr) -> Value {
    match e {
        Expr::Null => Value::Null,
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Int(i) => Value::from(*i),
        Expr::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Expr::String(s) => Value::String(escape_template(s)),
        Expr::List(items) => Value::Array(items.iter().map(const_json).collect()),
        Expr::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (escape_template(k), const_json(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A JSON value as a Terraform literal.
fn json_to_hcl(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(json_to_hcl).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => {
            let entries: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{} = {}", quote(k), json_to_hcl(v)))
                .collect();
            if entries.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", entries.join(", "))
            }
        }
    }
}

/// The Terraform type expression of a param type.
fn type_expr(ty: &ParamType) -> String {
    match ty {
        ParamType::String => "string".into(),
        ParamType::Number | ParamType::Int => "number".into(),
        ParamType::Bool => "bool".into(),
        ParamType::List(inner) => format!("list({})", type_expr(inner)),
        ParamType::Json => "any".into(),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A name that reads the same in any expression: no `-`, which HCL allows in
/// identifiers but a reader takes for a minus.
fn is_simple_name(s: &str) -> bool {
    is_identifier(s) && !s.contains('-')
}

/// `${expr}`; `${ {...} }` when the expression is an object, which reads
/// better than `${{`.
fn interpolation(expr: &str) -> String {
    if expr.starts_with('{') {
        format!("${{ {expr} }}")
    } else {
        format!("${{{expr}}}")
    }
}

/// Literal text in a template: `${` and `%{` escaped.
fn escape_template(s: &str) -> String {
    if !s.contains("${") && !s.contains("%{") {
        return s.to_string();
    }
    s.replace("${", "$${").replace("%{", "%%{")
}

/// HCL's escapes for a quoted string.
fn escape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A string literal in Terraform syntax.
fn quote(s: &str) -> String {
    format!("\"{}\"", escape_template(&escape_quoted(s)))
}

/// A sentence of a param's message: capitalised, ending with a period.
fn sentence_of(message: &str) -> String {
    let trimmed = message.trim();
    let mut chars = trimmed.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return "The value is not valid.".into(),
    };
    if !out.ends_with('.') && !out.ends_with('?') {
        out.push('.');
    }
    out
}

/// A pattern anchored at both ends: Infra, CloudFormation and Heat match the
/// whole value, Terraform's `regex` anywhere in it.
fn anchored(pattern: &str) -> String {
    let starts = pattern.starts_with('^') || pattern.starts_with("\\A");
    let ends = (pattern.ends_with('$') && !pattern.ends_with("\\$")) || pattern.ends_with("\\z");
    if starts && ends {
        pattern.to_string()
    } else {
        format!("^(?:{pattern})$")
    }
}

/// What RE2 (Terraform's `regex`) lacks that a pattern uses, if anything.
fn re2_unsupported(pattern: &str) -> Option<&'static str> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' => {
                if let Some(&n) = bytes.get(i + 1)
                    && !in_class
                    && n.is_ascii_digit()
                    && n != b'0'
                {
                    return Some("a backreference");
                }
                if bytes.get(i + 1) == Some(&b'Z') {
                    return Some("`\\Z`");
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class && bytes.get(i + 1) == Some(&b'?') => {
                let rest = &pattern[i + 2..];
                if rest.starts_with('=') || rest.starts_with('!') {
                    return Some("a lookahead");
                }
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Some("a lookbehind");
                }
                if rest.starts_with('>') {
                    return Some("an atomic group");
                }
            }
            b'*' | b'+' | b'?' | b'}' if !in_class && bytes.get(i + 1) == Some(&b'+') && i > 0 => {
                return Some("a possessive quantifier");
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `s` with RE2's special characters escaped.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(target: Target) -> Deployment {
        Deployment {
            target,
            description: None,
            params: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn resource(id: &str, snake: &str, ty: &str, properties: Vec<(&str, Expr)>) -> Resource {
        Resource::new(id, snake, ty, properties)
    }

    fn param(name: &str, ty: ParamType) -> Param {
        Param::new(name, ty)
    }

    fn output(name: &str, value: Expr) -> Output {
        Output::new(name, value)
    }

    fn s(text: &str) -> Expr {
        Expr::String(text.into())
    }

    fn var(name: &str) -> Expr {
        Expr::Param(name.into())
    }

    fn attr(id: &str, path: &str) -> Expr {
        Expr::Attr(id.into(), path.into())
    }

    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
        Expr::If(Box::new(c), Box::new(a), Box::new(b))
    }

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(name.into(), args)
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

    fn obj(fields: Vec<(&str, Expr)>) -> Expr {
        Expr::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// The configuration of `d`, which must emit without diagnostics.
    fn clean(d: &Deployment) -> Value {
        let (json, diagnostics) = emit(d);
        assert!(
            diagnostics.is_empty(),
            "unexpected diagnostics: {:?}",
            diagnostics
                .iter()
                .map(|d| (d.code.id, &d.message))
                .collect::<Vec<_>>()
        );
        json
    }

    fn codes_of(d: &Deployment) -> Vec<&'static str> {
        emit(d).1.iter().map(|d| d.code.id).collect()
    }

    /// The value of one property of the first resource.
    fn property(d: &Deployment, name: &str) -> Value {
        let json = clean(d);
        let r = &d.resources[0];
        json["resource"][&r.type_name][&r.snake][name].clone()
    }

    /// `e` as the value of a property of an aws_instance.
    fn rendered(params: Vec<Param>, e: Expr) -> Value {
        let mut d = deployment(Target::TerraformAws);
        d.params = params;
        d.resources
            .push(resource("Web", "web", "aws_instance", vec![("ami", e)]));
        property(&d, "ami")
    }

    #[test]
    fn an_empty_deployment_pins_its_provider() {
        let mut d = deployment(Target::TerraformAws);
        d.description = Some("A stack.".into());
        assert_eq!(
            clean(&d),
            json!({
                "//": "A stack.",
                "terraform": {
                    "required_version": ">= 1.5.0",
                    "required_providers": {
                        "aws": { "source": "hashicorp/aws", "version": "~> 6.69" }
                    }
                },
                "provider": { "aws": {} }
            })
        );
        let d = deployment(Target::TerraformOpenstack);
        assert_eq!(
            clean(&d)["terraform"]["required_providers"],
            json!({
                "openstack": {
                    "source": "terraform-provider-openstack/openstack",
                    "version": "~> 3.0"
                }
            })
        );
    }

    #[test]
    fn random_password_adds_the_random_provider() {
        let mut d = deployment(Target::TerraformOpenstack);
        d.resources.push(resource(
            "Password",
            "password",
            "random_password",
            vec![("length", Expr::Int(32))],
        ));
        assert_eq!(
            clean(&d)["terraform"]["required_providers"]["random"],
            json!({ "source": "hashicorp/random", "version": "~> 3.6" })
        );
    }

    #[test]
    fn a_region_param_configures_the_provider() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("region", ParamType::String));
        assert_eq!(
            clean(&d)["provider"],
            json!({ "aws": { "region": "${var.region}" } })
        );
    }

    #[test]
    fn params_are_variables_with_their_constraints() {
        let mut d = deployment(Target::TerraformAws);
        let mut env = param("env", ParamType::String);
        env.description = Some("Deployment environment.".into());
        env.default = Some(json!("staging"));
        env.allowed = Some(vec![json!("staging"), json!("production")]);
        let mut count = param("web_count", ParamType::Int);
        count.default = Some(json!(2));
        count.min = Some(json!(1));
        count.max = Some(json!(20));
        let mut password = param("db_password", ParamType::String);
        password.secret = true;
        password.min_length = Some(12);
        password.pattern = Some("[A-Za-z0-9]+".into());
        password.message = Some("letters and digits only, at least 12 characters".into());
        let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
        zones.default = Some(json!(["a"]));
        zones.pattern = Some("^[a-z]$".into());
        zones.max_length = Some(3);
        let mut tags = param("tags", ParamType::Json);
        tags.default = Some(json!({ "team": "web" }));
        tags.label = Some("Tags".into());
        d.params = vec![
            env,
            count,
            password,
            zones,
            tags,
            param("public", ParamType::Bool),
        ];
        assert_eq!(
            clean(&d)["variable"],
            json!({
                "env": {
                    "description": "Deployment environment.",
                    "type": "string",
                    "default": "staging",
                    "validation": [{
                        "condition": "${contains([\"staging\", \"production\"], var.env)}",
                        "error_message": "The value of env must be one of \"staging\", \"production\"."
                    }]
                },
                "web_count": {
                    "type": "number",
                    "default": 2,
                    "validation": [
                        {
                            "condition": "${var.web_count >= 1 && var.web_count <= 20}",
                            "error_message": "The value of web_count must be between 1 and 20."
                        },
                        {
                            "condition": "${floor(var.web_count) == var.web_count}",
                            "error_message": "The value of web_count must be a whole number."
                        }
                    ]
                },
                "db_password": {
                    "type": "string",
                    "sensitive": true,
                    "validation": [
                        {
                            "condition": "${can(regex(\"^(?:[A-Za-z0-9]+)$\", var.db_password))}",
                            "error_message": "Letters and digits only, at least 12 characters."
                        },
                        {
                            "condition": "${length(var.db_password) >= 12}",
                            "error_message": "Letters and digits only, at least 12 characters."
                        }
                    ]
                },
                "zones": {
                    "type": "list(string)",
                    "default": ["a"],
                    "validation": [
                        {
                            "condition": "${alltrue([for v in var.zones : can(regex(\"^[a-z]$\", v))])}",
                            "error_message": "Each element of zones must match the pattern ^[a-z]$."
                        },
                        {
                            "condition": "${length(var.zones) <= 3}",
                            "error_message": "The value of zones must be at most 3 elements long."
                        }
                    ]
                },
                "tags": {
                    "description": "Tags",
                    "type": "any",
                    "default": { "team": "web" }
                },
                "public": { "type": "bool" }
            })
        );
    }

    #[test]
    fn a_list_params_allowed_values_are_whole_lists() {
        let mut d = deployment(Target::TerraformAws);
        let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
        zones.default = Some(json!(["a", "b"]));
        zones.allowed = Some(vec![json!(["a", "b"]), json!(["c"]), json!([])]);
        d.params = vec![zones];
        // `contains([["a", "b"]], var.zones)` is false in Terraform: a
        // tuple is not equal to a list of the same elements.
        assert_eq!(
            clean(&d)["variable"]["zones"]["validation"],
            json!([{
                "condition": "${contains([for v in [[\"a\", \"b\"], [\"c\"], []] : jsonencode(v)], jsonencode(var.zones))}",
                "error_message": "The value of zones must be one of [\"a\", \"b\"], [\"c\"], []."
            }])
        );
    }

    #[test]
    fn patterns_are_escaped_into_the_condition() {
        let mut d = deployment(Target::TerraformAws);
        let mut p = param("name", ParamType::String);
        p.pattern = Some("^\\d+\"${x}$".into());
        p.default = Some(Value::Null);
        d.params.push(p);
        assert_eq!(
            clean(&d)["variable"]["name"]["validation"],
            json!([{
                "condition": "${var.name == null || try(can(regex(\"^\\\\d+\\\"$${x}$\", var.name)), false)}",
                "error_message": "The value of name must match the pattern ^\\d+\"$${x}$."
            }])
        );
    }

    #[test]
    fn an_export_name_is_a_note_and_the_output_is_written_without_it() {
        for target in [Target::TerraformAws, Target::TerraformOpenstack] {
            let mut d = deployment(target);
            d.resources
                .push(resource("Q", "q", "aws_sqs_queue", vec![]));
            for name in ["url", "arn"] {
                d.outputs.push(Output {
                    export: Some(s(&format!("jobs-{name}"))),
                    ..output(name, attr("Q", name))
                });
            }
            let (json, diagnostics) = emit(&d);
            // One note for every exported output of the configuration.
            assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
            let note = &diagnostics[0];
            assert_eq!(note.code.id, "W0552");
            assert_eq!(note.severity, crate::diagnostics::Severity::Note);
            assert!(note.message.contains("`url` and `arn`"), "{}", note.message);
            assert_eq!(note.secondary.len(), 1);
            assert_eq!(
                json["output"]["url"],
                serde_json::json!({ "value": "${aws_sqs_queue.q.url}" })
            );
        }
    }

    #[test]
    fn a_cname_to_an_address_is_an_error_on_openstack() {
        let mut d = deployment(Target::TerraformOpenstack);
        d.resources.push(resource(
            "Vip",
            "vip",
            "openstack_networking_floatingip_v2",
            vec![],
        ));
        let record = |name: &str, kind: &str, value: Expr| {
            resource(
                name,
                &name.to_lowercase(),
                "openstack_dns_recordset_v2",
                vec![("type", s(kind)), ("records", Expr::List(vec![value]))],
            )
        };
        // `lb.LoadBalancer`'s `dns_name` on this provider, with the dot
        // `dns.Record` gives a CNAME's host.
        let address = interp(vec![part(interp(vec![part(attr("Vip", "address"))]))]);
        let dotted = interp(vec![part(address.clone()), text(".")]);
        d.resources.push(record("Www", "CNAME", dotted));
        d.resources.push(record("Shop", "A", address));
        let (_, diagnostics) = emit(&d);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["E0553"]);
        assert!(
            diagnostics[0]
                .message
                .contains("`openstack_networking_floatingip_v2.vip.address`")
        );
    }

    #[test]
    fn a_reserved_param_name_is_renamed_with_a_warning() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("version", ParamType::String));
        d.resources.push(resource(
            "Db",
            "db",
            "aws_db_instance",
            vec![("engine_version", var("version"))],
        ));
        let (json, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "W0550");
        assert_eq!(
            json["variable"],
            json!({ "version_value": { "type": "string" } })
        );
        assert_eq!(
            json["resource"]["aws_db_instance"]["db"]["engine_version"],
            json!("${var.version_value}")
        );
    }

    #[test]
    fn references_name_the_type_and_the_resource() {
        let mut d = deployment(Target::TerraformAws);
        d.resources.push(resource(
            "Net",
            "net",
            "aws_vpc",
            vec![("cidr_block", s("10.0.0.0/16"))],
        ));
        let mut sub = resource(
            "Sub",
            "sub",
            "aws_subnet",
            vec![
                ("vpc_id", Expr::Ref("Net".into())),
                ("cidr_block", attr("Net", "cidr_block")),
                ("availability_zone", attr("Net", "listener.0.address")),
            ],
        );
        sub.depends_on = vec!["Net".into()];
        d.resources.push(sub);
        assert_eq!(
            clean(&d)["resource"]["aws_subnet"]["sub"],
            json!({
                "vpc_id": "${aws_vpc.net.id}",
                "cidr_block": "${aws_vpc.net.cidr_block}",
                "availability_zone": "${aws_vpc.net.listener[0].address}",
                "depends_on": ["aws_vpc.net"]
            })
        );
    }

    #[test]
    fn a_database_keeps_a_final_snapshot_unless_deleted() {
        let mut d = deployment(Target::TerraformAws);
        let mut named = resource(
            "Db",
            "db",
            "aws_db_instance",
            vec![("identifier", Expr::Param("name".into()))],
        );
        named.deletion = Some(Deletion::Snapshot);
        let mut unnamed = resource("Orders", "orders_db", "aws_db_instance", vec![]);
        unnamed.deletion = Some(Deletion::Snapshot);
        let mut deleted = unnamed.clone();
        deleted.id = "Scratch".into();
        deleted.snake = "scratch".into();
        deleted.deletion = Some(Deletion::Delete);
        let mut own = unnamed.clone();
        own.id = "Own".into();
        own.snake = "own".into();
        own.properties
            .insert("skip_final_snapshot".into(), Expr::Bool(true));
        d.params = vec![param("name", ParamType::String)];
        d.resources = vec![named, unnamed, deleted, own];
        let json = clean(&d);
        let db = &json["resource"]["aws_db_instance"];
        assert_eq!(db["db"]["skip_final_snapshot"], false);
        assert_eq!(db["db"]["final_snapshot_identifier"], "${var.name}-final");
        assert_eq!(
            db["orders_db"]["final_snapshot_identifier"],
            "${terraform.workspace}-orders-db-final"
        );
        assert_eq!(db["scratch"], json!({ "skip_final_snapshot": true }));
        assert_eq!(db["own"]["skip_final_snapshot"], true);
        assert!(db["own"].get("final_snapshot_identifier").is_none());
    }

    #[test]
    fn kept_resources_are_protected_and_snapshots_are_the_types_own() {
        let mut d = deployment(Target::TerraformAws);
        let mut kept = resource(
            "Data",
            "data",
            "aws_ebs_volume",
            vec![("size", Expr::Int(10))],
        );
        kept.deletion = Some(Deletion::Snapshot);
        let mut deleted = kept.clone();
        deleted.id = "Scratch".into();
        deleted.snake = "scratch".into();
        deleted.deletion = Some(Deletion::Delete);
        let mut retained = resource("Web", "web", "aws_instance", vec![]);
        retained.deletion = Some(Deletion::Retain);
        let mut logs = kept.clone();
        logs.id = "Logs".into();
        logs.snake = "logs".into();
        logs.deletion = Some(Deletion::Retain);
        d.resources = vec![kept, deleted, retained, logs];
        let json = clean(&d);
        let protected = json!({ "prevent_destroy": true });
        assert_eq!(
            json["resource"]["aws_ebs_volume"]["data"]["lifecycle"],
            protected
        );
        assert_eq!(
            json["resource"]["aws_ebs_volume"]["scratch"],
            json!({ "size": 10 })
        );
        assert_eq!(
            json["resource"]["aws_instance"]["web"]["lifecycle"],
            protected
        );
        assert_eq!(
            json["resource"]["aws_ebs_volume"]["logs"]["lifecycle"],
            protected
        );
        assert_eq!(
            json["resource"]["aws_ebs_volume"]["data"]["final_snapshot"],
            true
        );
        assert!(json["resource"]["aws_ebs_volume"]["logs"]
            .get("final_snapshot")
            .is_none());
    }

    fn copies(of: &str, each: Expr) -> Expr {
        Expr::Copies {
            of: of.into(),
            each: Box::new(each),
        }
    }

    #[test]
    fn the_copies_of_a_counted_resource_are_a_splat_or_a_for_expression() {
        let mut d = deployment(Target::TerraformOpenstack);
        d.params.push(param("n", ParamType::Int));
        let mut port = resource(
            "WebPort",
            "web_port",
            "openstack_networking_port_v2",
            vec![],
        );
        port.count = Some(var("n"));
        let mut server = resource(
            "WebInstance",
            "web_instance",
            "openstack_compute_instance_v2",
            vec![("network", obj(vec![("port", Expr::Ref("WebPort".into()))]))],
        );
        server.count = Some(var("n"));
        d.resources = vec![port, server];
        let ip = Expr::Index(
            Box::new(attr("WebPort", "all_fixed_ips")),
            Box::new(Expr::Int(0)),
        );
        d.outputs = vec![
            output(
                "ids",
                copies("WebInstance", Expr::Ref("WebInstance".into())),
            ),
            output("names", copies("WebInstance", attr("WebInstance", "name"))),
            output(
                "ips",
                copies(
                    "WebInstance",
                    interp(vec![
                        part(Expr::CountIndex),
                        text("="),
                        part(ip),
                        text(":80"),
                    ]),
                ),
            ),
        ];
        let json = clean(&d);
        // A copy reads the copy of a resource counted alike.
        assert_eq!(
            json["resource"]["openstack_compute_instance_v2"]["web_instance"]["network"],
            json!({ "port": "${openstack_networking_port_v2.web_port[count.index].id}" })
        );
        assert_eq!(
            json["output"],
            json!({
                "ids": { "value": "${openstack_compute_instance_v2.web_instance[*].id}" },
                "names": { "value": "${openstack_compute_instance_v2.web_instance[*].name}" },
                "ips": {
                    "value": "${[for i in range(length(openstack_compute_instance_v2.web_instance)) : \"${i}=${openstack_networking_port_v2.web_port[i].all_fixed_ips[0]}:80\"]}"
                }
            })
        );
    }

    #[test]
    fn a_conditional_resource_has_a_count_and_is_read_at_index_0() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("env", ParamType::String));
        let is_prod = bin(BinaryOp::Eq, var("env"), s("production"));
        let mut bastion = resource(
            "Bastion",
            "bastion",
            "aws_instance",
            vec![("ami", s("ami-1"))],
        );
        bastion.condition = Some(is_prod.clone());
        d.resources.push(bastion);
        let mut out = output(
            "ip",
            cond(is_prod.clone(), attr("Bastion", "public_ip"), s("")),
        );
        out.description = Some("The address.".into());
        d.outputs.push(out);
        let mut gated = output("id", Expr::Ref("Bastion".into()));
        gated.condition = Some(var("public"));
        d.params.push(param("public", ParamType::Bool));
        d.outputs.push(gated);
        let json = clean(&d);
        assert_eq!(
            json["resource"]["aws_instance"]["bastion"],
            json!({
                "count": "${local.env_is_production ? 1 : 0}",
                "ami": "ami-1"
            })
        );
        assert_eq!(
            json["locals"],
            json!({ "env_is_production": "${var.env == \"production\"}" })
        );
        assert_eq!(
            json["output"],
            json!({
                "ip": {
                    "description": "The address.",
                    "value": "${local.env_is_production ? aws_instance.bastion[0].public_ip : \"\"}"
                },
                "id": { "value": "${var.public ? aws_instance.bastion[0].id : null}" }
            })
        );
    }

    #[test]
    fn a_deploy_time_count_uses_count_index() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("n", ParamType::Int));
        let mut web = resource(
            "Web",
            "web",
            "aws_instance",
            vec![(
                "tags",
                obj(vec![(
                    "Name",
                    interp(vec![text("web-"), part(Expr::CountIndex)]),
                )]),
            )],
        );
        web.count = Some(var("n"));
        let mut disk = resource(
            "Disk",
            "disk",
            "aws_volume_attachment",
            vec![(
                "instance_id",
                Expr::Index(
                    Box::new(Expr::Ref("Web".into())),
                    Box::new(Expr::CountIndex),
                ),
            )],
        );
        disk.count = Some(var("n"));
        disk.condition = Some(var("disks"));
        d.params.push(param("disks", ParamType::Bool));
        d.resources = vec![web, disk];
        d.outputs.push(output("ips", attr("Web", "private_ip")));
        let json = clean(&d);
        assert_eq!(
            json["resource"],
            json!({
                "aws_instance": {
                    "web": { "count": "${var.n}", "tags": { "Name": "web-${count.index}" } }
                },
                "aws_volume_attachment": {
                    "disk": {
                        "count": "${var.disks ? var.n : 0}",
                        "instance_id": "${aws_instance.web[count.index].id}"
                    }
                }
            })
        );
        assert_eq!(
            json["output"]["ips"]["value"],
            json!("${aws_instance.web[*].private_ip}")
        );
    }

    #[test]
    fn literal_text_is_escaped() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("x", ParamType::String));
        d.resources.push(resource(
            "Web",
            "web",
            "aws_instance",
            vec![
                ("user_data", s("echo ${HOME} %{x}")),
                (
                    "ami",
                    interp(vec![text("a$"), part(var("x")), text("${b}\n")]),
                ),
                (
                    "tags",
                    obj(vec![(
                        "q",
                        cond(
                            var("p"),
                            interp(vec![text("\"${"), part(var("x")), text("\\")]),
                            s("a\tb"),
                        ),
                    )]),
                ),
            ],
        ));
        d.params.push(param("p", ParamType::Bool));
        let json = clean(&d);
        assert_eq!(
            json["resource"]["aws_instance"]["web"],
            json!({
                "user_data": "echo $${HOME} %%{x}",
                "ami": "a${\"$\"}${var.x}$${b}\n",
                "tags": { "q": "${var.p ? \"\\\"$${${var.x}\\\\\" : \"a\\tb\"}" }
            })
        );
    }

    #[test]
    fn operators_keep_their_precedence() {
        let params = vec![
            param("a", ParamType::Int),
            param("b", ParamType::Int),
            param("x", ParamType::Number),
            param("p", ParamType::Bool),
            param("q", ParamType::Bool),
        ];
        let sum = bin(BinaryOp::Add, var("a"), var("b"));
        assert_eq!(
            rendered(params.clone(), bin(BinaryOp::Mul, sum.clone(), var("x"))),
            json!("${(var.a + var.b) * var.x}")
        );
        assert_eq!(
            rendered(params.clone(), bin(BinaryOp::Sub, var("x"), sum.clone())),
            json!("${var.x - (var.a + var.b)}")
        );
        assert_eq!(
            rendered(
                params.clone(),
                bin(BinaryOp::Div, sum.clone(), Expr::Int(2))
            ),
            json!("${floor((var.a + var.b) / 2)}")
        );
        assert_eq!(
            rendered(params.clone(), bin(BinaryOp::Div, var("x"), Expr::Int(2))),
            json!("${var.x / 2}")
        );
        let either = bin(BinaryOp::Or, var("p"), var("q"));
        let neither = bin(BinaryOp::Or, var("q"), var("p"));
        assert_eq!(
            rendered(
                params.clone(),
                bin(BinaryOp::And, either, Expr::Not(Box::new(neither)))
            ),
            json!("${(var.p || var.q) && !(var.q || var.p)}")
        );
        assert_eq!(
            rendered(
                params.clone(),
                bin(
                    BinaryOp::Eq,
                    bin(BinaryOp::Lt, var("a"), var("b")),
                    var("p")
                )
            ),
            json!("${var.a < var.b == var.p}")
        );
        assert_eq!(
            rendered(params.clone(), Expr::Neg(Box::new(Expr::Int(-1)))),
            json!("${-(-1)}")
        );
        assert_eq!(
            rendered(
                params.clone(),
                cond(
                    var("p"),
                    cond(var("q"), s("a"), s("b")),
                    cond(var("q"), s("c"), Expr::Null)
                )
            ),
            json!("${var.p ? (var.q ? \"a\" : \"b\") : var.q ? \"c\" : null}")
        );
        assert_eq!(
            rendered(
                params,
                Expr::Member(Box::new(var("a")), "field-name".into())
            ),
            json!("${var.a[\"field-name\"]}")
        );
    }

    #[test]
    fn functions_are_terraform_functions() {
        let params = vec![
            param("s", ParamType::String),
            param("l", ParamType::List(Box::new(ParamType::String))),
            param("n", ParamType::List(Box::new(ParamType::Number))),
            param("m", ParamType::Json),
        ];
        let cases = vec![
            (
                call("join", vec![s(","), var("l")]),
                "${join(\",\", var.l)}",
            ),
            (
                call("split", vec![s(","), var("s")]),
                "${split(\",\", var.s)}",
            ),
            (
                call("element", vec![var("l"), Expr::Int(1)]),
                "${element(var.l, 1)}",
            ),
            (call("length", vec![var("l")]), "${length(var.l)}"),
            (call("base64", vec![var("s")]), "${base64encode(var.s)}"),
            (
                call("cidrsubnet", vec![var("s"), Expr::Int(8), Expr::Int(2)]),
                "${cidrsubnet(var.s, 8, 2)}",
            ),
            (call("lookup", vec![var("m"), var("s")]), "${var.m[var.s]}"),
            (
                call("lookup", vec![var("m"), var("s"), s("x")]),
                "${lookup(var.m, var.s, \"x\")}",
            ),
            (
                call("contains", vec![var("s"), s("x")]),
                "${strcontains(var.s, \"x\")}",
            ),
            (
                call("contains", vec![var("l"), s("x")]),
                "${contains(var.l, \"x\")}",
            ),
            (call("min", vec![var("n")]), "${min(var.n...)}"),
            (
                call("max", vec![Expr::Int(1), Expr::Int(2)]),
                "${max(1, 2)}",
            ),
            (
                call("replace", vec![var("s"), s("/a.b/"), s("-")]),
                "${replace(var.s, \"/\\\\/a\\\\.b\\\\//\", \"-\")}",
            ),
            (call("upper", vec![var("s")]), "${upper(var.s)}"),
            (call("keys", vec![var("m")]), "${keys(var.m)}"),
            (
                call("concat", vec![var("l"), Expr::List(vec![s("x")])]),
                "${concat(var.l, [\"x\"])}",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(rendered(params.clone(), e), json!(want));
        }
    }

    #[test]
    fn an_unknown_function_is_an_internal_error() {
        let mut d = deployment(Target::TerraformAws);
        d.resources.push(resource(
            "Web",
            "web",
            "aws_instance",
            vec![(
                "ami",
                call("frobnicate", vec![Expr::Context(Context::Region)]),
            )],
        ));
        assert_eq!(codes_of(&d), ["E0000"]);
    }

    #[test]
    fn context_values_are_data_sources() {
        let props = vec![
            (
                "a",
                interp(vec![
                    part(Expr::Context(Context::Region)),
                    text("/"),
                    part(Expr::Context(Context::AccountId)),
                    text("/"),
                    part(Expr::Context(Context::StackName)),
                ]),
            ),
            (
                "b",
                Expr::Index(
                    Box::new(Expr::Context(Context::Zones)),
                    Box::new(Expr::Int(0)),
                ),
            ),
        ];
        let mut d = deployment(Target::TerraformAws);
        d.resources
            .push(resource("Web", "web", "aws_instance", props.clone()));
        let json = clean(&d);
        assert_eq!(
            json["data"],
            json!({
                "aws_region": { "current": {} },
                "aws_availability_zones": { "available": { "state": "available" } },
                "aws_caller_identity": { "current": {} }
            })
        );
        assert_eq!(
            json["resource"]["aws_instance"]["web"],
            json!({
                "a": "${data.aws_region.current.region}/${data.aws_caller_identity.current.account_id}/${terraform.workspace}",
                "b": "${data.aws_availability_zones.available.names[0]}"
            })
        );
        let mut d = deployment(Target::TerraformOpenstack);
        d.resources.push(resource(
            "Web",
            "web",
            "openstack_compute_instance_v2",
            props,
        ));
        let json = clean(&d);
        assert_eq!(
            json["data"],
            json!({
                "openstack_identity_auth_scope_v3": { "current": { "name": "current" } },
                "openstack_compute_availability_zones_v2": { "available": {} }
            })
        );
        assert_eq!(
            json["resource"]["openstack_compute_instance_v2"]["web"],
            json!({
                "a": "${data.openstack_identity_auth_scope_v3.current.region}/${data.openstack_identity_auth_scope_v3.current.project_id}/${terraform.workspace}",
                "b": "${data.openstack_compute_availability_zones_v2.available.names[0]}"
            })
        );
    }

    #[test]
    fn the_object_store_url_is_read_from_the_service_catalog() {
        let url = call("object_store_url", vec![]);
        let mut d = deployment(Target::TerraformOpenstack);
        d.resources.push(resource(
            "Site",
            "site",
            "openstack_objectstorage_container_v1",
            vec![("name", s("site"))],
        ));
        d.outputs.push(output(
            "host",
            Expr::Index(
                Box::new(call("split", vec![s("/"), url.clone()])),
                Box::new(Expr::Int(2)),
            ),
        ));
        let json = clean(&d);
        assert_eq!(
            json["data"],
            json!({ "openstack_identity_auth_scope_v3": { "current": { "name": "current" } } })
        );
        let catalog = "one([for s in data.openstack_identity_auth_scope_v3.current.service_catalog : one([for e in s.endpoints : e.url if e.interface == \"public\" && contains([\"\", e.region_id, e.region], data.openstack_identity_auth_scope_v3.current.region)]) if s.type == \"object-store\"])";
        assert_eq!(
            json["output"]["host"]["value"],
            json!(format!("${{split(\"/\", {catalog})[2]}}"))
        );
        // Read twice, the long expression is a local.
        d.outputs.push(output(
            "site",
            interp(vec![part(url.clone()), text("/site")]),
        ));
        let json = clean(&d);
        assert_eq!(
            json["locals"],
            json!({ "object_store_url": format!("${{{catalog}}}") })
        );
        assert_eq!(
            json["output"]["site"]["value"],
            json!("${local.object_store_url}/site")
        );
        // The aws provider has no OpenStack catalog.
        let mut d = deployment(Target::TerraformAws);
        d.outputs.push(output("site", url));
        assert_eq!(codes_of(&d), ["E0552"]);
    }

    #[test]
    fn key_value_lists_are_read_by_key() {
        let mut d = deployment(Target::TerraformOpenstack);
        d.resources.push(resource(
            "Jobs",
            "jobs",
            "openstack_orchestration_stack_v1",
            vec![
                ("name", s("jobs")),
                ("template_opts", obj(vec![("Bin", s("{}"))])),
            ],
        ));
        d.outputs.push(output(
            "by_index",
            Expr::Index(Box::new(attr("Jobs", "outputs")), Box::new(s("href"))),
        ));
        d.outputs
            .push(output("by_member", attr("Jobs", "outputs.href")));
        d.outputs.push(output("all", attr("Jobs", "outputs")));
        let json = clean(&d);
        let href = "${one([for o in openstack_orchestration_stack_v1.jobs.outputs : o.output_value if o.output_key == \"href\"])}";
        // Read twice (the two spellings are one read), the value is a local.
        assert_eq!(json["locals"], json!({ "jobs_outputs_href": href }));
        assert_eq!(
            json["output"]["by_index"]["value"],
            json!("${local.jobs_outputs_href}")
        );
        assert_eq!(
            json["output"]["by_member"]["value"],
            json!("${local.jobs_outputs_href}")
        );
        assert_eq!(
            json["output"]["all"]["value"],
            json!(
                "${ {for o in openstack_orchestration_stack_v1.jobs.outputs : o.output_key => o.output_value} }"
            )
        );
        // Read once, it is written in place.
        d.outputs.remove(1);
        let json = clean(&d);
        assert_eq!(json["output"]["by_index"]["value"], json!(href));
        // Other types' attributes are read as they are.
        d.resources[0].type_name = "openstack_compute_instance_v2".into();
        let json = clean(&d);
        assert_eq!(
            json["output"]["by_index"]["value"],
            json!("${openstack_compute_instance_v2.jobs.outputs[\"href\"]}")
        );
    }

    #[test]
    fn outputs_reading_secrets_are_sensitive() {
        let mut d = deployment(Target::TerraformAws);
        let mut pw = param("db_password", ParamType::String);
        pw.secret = true;
        d.params = vec![pw, param("user", ParamType::String)];
        d.resources.push(resource(
            "Password",
            "password",
            "random_password",
            vec![("length", Expr::Int(32))],
        ));
        d.outputs = vec![
            output(
                "dsn",
                interp(vec![part(var("user")), text(":"), part(var("db_password"))]),
            ),
            output("generated", attr("Password", "result")),
            output("user", var("user")),
            Output {
                sensitive: true,
                ..output("marked", var("user"))
            },
        ];
        assert_eq!(
            clean(&d)["output"],
            json!({
                "dsn": { "value": "${var.user}:${var.db_password}", "sensitive": true },
                "generated": { "value": "${random_password.password.result}", "sensitive": true },
                "user": { "value": "${var.user}" },
                "marked": { "value": "${var.user}", "sensitive": true }
            })
        );
    }

    #[test]
    fn conditional_nested_blocks_are_dynamic_blocks() {
        let mut d = deployment(Target::TerraformAws);
        d.params = vec![
            param("size", ParamType::Int),
            param("protocol", ParamType::String),
        ];
        let sized = bin(BinaryOp::Ne, var("size"), Expr::Null);
        let tcp = bin(BinaryOp::Eq, var("protocol"), s("TCP"));
        d.resources.push(resource(
            "Web",
            "web",
            "aws_instance",
            vec![
                (
                    "root_block_device",
                    cond(
                        sized,
                        Expr::List(vec![obj(vec![("volume_size", var("size"))])]),
                        Expr::Null,
                    ),
                ),
                (
                    "metadata_options",
                    Expr::List(vec![obj(vec![("http_tokens", s("required"))])]),
                ),
                (
                    "ebs_block_device",
                    Expr::List(vec![
                        obj(vec![("device_name", s("/dev/sdf"))]),
                        cond(
                            tcp.clone(),
                            obj(vec![("device_name", s("/dev/sdg"))]),
                            Expr::Null,
                        ),
                    ]),
                ),
                (
                    "network_interface",
                    cond(
                        tcp,
                        Expr::List(vec![obj(vec![("device_index", Expr::Int(0))])]),
                        Expr::List(vec![obj(vec![("device_index", Expr::Int(1))])]),
                    ),
                ),
            ],
        ));
        assert_eq!(
            clean(&d)["resource"]["aws_instance"]["web"],
            json!({
                "metadata_options": [{ "http_tokens": "required" }],
                "ebs_block_device": [{ "device_name": "/dev/sdf" }],
                "dynamic": {
                    "root_block_device": {
                        "for_each": "${var.size != null ? [1] : []}",
                        "content": { "volume_size": "${var.size}" }
                    },
                    "ebs_block_device": {
                        "for_each": "${local.protocol_is_tcp ? [1] : []}",
                        "content": { "device_name": "/dev/sdg" }
                    },
                    "network_interface": [
                        {
                            "for_each": "${local.protocol_is_tcp ? [1] : []}",
                            "content": { "device_index": 0 }
                        },
                        {
                            "for_each": "${var.protocol != \"TCP\" ? [1] : []}",
                            "content": { "device_index": 1 }
                        }
                    ]
                }
            })
        );
    }

    #[test]
    fn optional_list_elements_are_concatenated() {
        let params = vec![param("p", ParamType::Bool), param("x", ParamType::String)];
        assert_eq!(
            rendered(
                params,
                Expr::List(vec![
                    s("a"),
                    var("x"),
                    cond(var("p"), s("b"), Expr::Null),
                    s("c"),
                ])
            ),
            json!("${concat([\"a\", var.x], var.p ? [\"b\"] : [], [\"c\"])}")
        );
    }

    #[test]
    fn shared_values_are_locals() {
        let mut d = deployment(Target::TerraformAws);
        d.params = vec![
            param("app", ParamType::String),
            param("env", ParamType::String),
        ];
        let prefix = interp(vec![part(var("app")), text("-"), part(var("env"))]);
        let is_prod = bin(BinaryOp::Eq, var("env"), s("production"));
        let size = cond(is_prod.clone(), s("t3.large"), s("t3.small"));
        for name in ["a", "b"] {
            d.resources.push(resource(
                &name.to_uppercase(),
                name,
                "aws_instance",
                vec![
                    ("instance_type", size.clone()),
                    (
                        "tags",
                        obj(vec![(
                            "Name",
                            interp(vec![part(prefix.clone()), text(&format!("-{name}"))]),
                        )]),
                    ),
                    ("ami", prefix.clone()),
                ],
            ));
        }
        let mut c = resource("C", "c", "aws_instance", vec![]);
        c.condition = Some(is_prod);
        d.resources.push(c);
        let json = clean(&d);
        assert_eq!(
            json["locals"],
            json!({
                "env_is_production": "${var.env == \"production\"}",
                "instance_type": "${local.env_is_production ? \"t3.large\" : \"t3.small\"}",
                "app_env": "${var.app}-${var.env}"
            })
        );
        assert_eq!(
            json["resource"]["aws_instance"]["b"],
            json!({
                "instance_type": "${local.instance_type}",
                "tags": { "Name": "${local.app_env}-b" },
                "ami": "${local.app_env}"
            })
        );
        assert_eq!(
            json["resource"]["aws_instance"]["c"]["count"],
            json!("${local.env_is_production ? 1 : 0}")
        );
    }

    #[test]
    fn values_reading_a_copy_or_a_conditional_resource_stay_inline() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("p", ParamType::Bool));
        let mut x = resource("X", "x", "aws_instance", vec![]);
        x.condition = Some(var("p"));
        d.resources.push(x);
        let name = interp(vec![text("x-"), part(attr("X", "id")), text("-y")]);
        d.outputs = vec![output("a", name.clone()), output("b", name)];
        let json = clean(&d);
        assert_eq!(json.get("locals"), None);
        assert_eq!(
            json["output"]["b"]["value"],
            json!("x-${aws_instance.x[0].id}-y")
        );
    }

    #[test]
    fn a_secret_in_a_count_is_an_error() {
        let mut d = deployment(Target::TerraformAws);
        let mut pw = param("pw", ParamType::String);
        pw.secret = true;
        d.params.push(pw);
        let mut r = resource("X", "x", "aws_instance", vec![]);
        r.condition = Some(bin(BinaryOp::Ne, var("pw"), s("")));
        d.resources.push(r);
        assert_eq!(codes_of(&d), ["E0550"]);
    }

    #[test]
    fn a_value_known_after_apply_in_a_count_is_an_error() {
        let mut d = deployment(Target::TerraformAws);
        d.params.push(param("cidr", ParamType::String));
        d.resources.push(resource(
            "Net",
            "net",
            "aws_vpc",
            vec![("cidr_block", Expr::Param("cidr".into()))],
        ));
        let mut sub = resource(
            "Sub",
            "sub",
            "aws_subnet",
            vec![("vpc_id", Expr::Ref("Net".into()))],
        );
        let reads = |e: Expr| Some(bin(BinaryOp::Ne, e, s("")));
        // The id, an attribute the cloud assigns, and an attribute set to
        // one of them are known only after apply.
        for read in [
            Expr::Ref("Net".into()),
            attr("Net", "arn"),
            attr("Sub", "vpc_id"),
        ] {
            let mut d = d.clone();
            let mut r = resource("X", "x", "aws_subnet", vec![]);
            r.condition = reads(read);
            d.resources.push(sub.clone());
            d.resources.push(r);
            assert_eq!(codes_of(&d), ["E0554"]);
        }
        // An attribute the program sets to a param is known when Terraform
        // plans; so is one set to such an attribute, in a dynamic block too.
        sub.properties
            .insert("cidr_block".into(), attr("Net", "cidr_block"));
        let mut r = resource("X", "x", "aws_subnet", vec![]);
        r.condition = reads(attr("Net", "cidr_block"));
        let mut y = r.clone();
        y.id = "Y".into();
        y.snake = "y".into();
        y.condition = reads(attr("Sub", "cidr_block"));
        d.resources.extend([sub, r, y]);
        assert_eq!(codes_of(&d), Vec::<&str>::new());
    }

    #[test]
    fn a_pattern_re2_cannot_read_is_an_error() {
        let mut d = deployment(Target::TerraformAws);
        let mut p = param("pw", ParamType::String);
        p.pattern = Some("^(?=.*[0-9]).{12,}$".into());
        d.params.push(p);
        assert_eq!(codes_of(&d), ["E0551"]);
        assert_eq!(re2_unsupported("^(a)\\1$"), Some("a backreference"));
        assert_eq!(re2_unsupported("^(?<!x)a$"), Some("a lookbehind"));
        assert_eq!(re2_unsupported("^a++$"), Some("a possessive quantifier"));
        assert_eq!(re2_unsupported("^[a+]+(?:x|y)?(?P<n>z)\\d{1,3}$"), None);
    }

    #[test]
    fn an_unknown_provider_is_an_internal_error() {
        let mut d = deployment(Target::TerraformAws);
        d.resources.push(resource("T", "t", "vault_token", vec![]));
        d.resources.push(resource("U", "u", "vault_policy", vec![]));
        let (json, diagnostics) = emit(&d);
        assert_eq!(
            diagnostics.iter().map(|d| d.code.id).collect::<Vec<_>>(),
            ["E0000"]
        );
        assert_eq!(
            json["terraform"]["required_providers"],
            json!({ "aws": { "source": "hashicorp/aws", "version": "~> 6.69" } })
        );
    }

    #[test]
    fn a_bad_reference_is_an_internal_error() {
        let mut d = deployment(Target::TerraformAws);
        let mut r = resource("X", "x", "aws_instance", vec![("ami", attr("Nope", "id"))]);
        r.depends_on = vec!["Gone".into()];
        d.resources.push(r);
        d.outputs.push(output("i", Expr::CountIndex));
        assert_eq!(codes_of(&d), ["E0000", "E0000", "E0000"]);
    }

    #[test]
    fn output_is_deterministic() {
        let mut d = deployment(Target::TerraformAws);
        d.params = vec![
            param("env", ParamType::String),
            param("app", ParamType::String),
        ];
        for i in 0..20 {
            let name = interp(vec![part(var("app")), text("-"), part(var("env"))]);
            d.resources.push(resource(
                &format!("R{i}"),
                &format!("r{i}"),
                if i % 2 == 0 {
                    "aws_instance"
                } else {
                    "aws_eip"
                },
                vec![
                    ("a", name),
                    (
                        "b",
                        bin(BinaryOp::Eq, var("env"), s(&format!("v{}", i % 3))),
                    ),
                    ("c", Expr::Context(Context::Zones)),
                ],
            ));
        }
        let first = serde_json::to_string(&emit(&d).0).unwrap_or_default();
        for _ in 0..5 {
            assert_eq!(
                serde_json::to_string(&emit(&d).0).unwrap_or_default(),
                first
            );
        }
    }
}
