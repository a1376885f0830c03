//! What a heat template deploys.
//!
//! Mirrors Heat 27's engine for the `heat_template_version` the template
//! states (`heat/engine/hot/template.py`, `hot/functions.py`,
//! `parameters.py`, `constraints.py`, `conditions.py`, `properties.py` and
//! `resources/openstack/heat/resource_group.py`): which functions exist, how
//! parameters are converted and checked, how conditions and `if` select, how
//! an `OS::Heat::ResourceGroup` becomes its members. Where Heat would refuse
//! the stack (or show an output error after creating it) a problem is
//! recorded and evaluation goes on with the next property, resource or
//! output.
//!
//! Not evaluated, each a problem where used: `yaql`, `get_file` (the files
//! sent with a template), `resource_facade` (provider templates). A group
//! whose `resource_def.type` is one of the files given with the template
//! (`deploy_with_files`) deploys each member as a nested stack: its
//! resources under `group[i].`, its outputs read through the group
//! (`get_attr [group, OUTPUT]`, `[group, resource.i, OUTPUT]`). Other
//! nested templates (`OS::Heat::Stack`, a template file as a plain
//! resource's type) are plain resources here. `digest` is checked but not
//! computed (no hash functions without another crate), so its value is
//! `Unknown([])`. Custom constraints are skipped: most ask the cloud.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use indexmap::IndexMap;
use infra::sema::params::regex::Regex;
use serde_json::{Map, Value as Json};

use super::{Deployed, Native, Val};

type Res<T> = Result<T, String>;

/// The date of a template version Heat 27 registers (by date or release name).
fn version_date(v: &str) -> Option<&'static str> {
    const DATES: &str = "2013-05-23 2014-10-16 2015-04-30 2015-10-15 2016-04-08 2016-10-14 \
                         2017-02-24 2017-09-01 2018-03-02 2018-08-31 2021-04-16";
    let date = match v {
        "newton" => "2016-10-14",
        "ocata" => "2017-02-24",
        "pike" => "2017-09-01",
        "queens" => "2018-03-02",
        "rocky" => "2018-08-31",
        "wallaby" => "2021-04-16",
        v => v,
    };
    DATES.split(' ').find(|d| *d == date)
}

/// The version that added a HOT function (`HOTemplate*.functions`).
fn function_since(name: &str) -> Option<&'static str> {
    Some(match name {
        "get_attr" | "get_file" | "get_param" | "get_resource" | "list_join" | "str_replace"
        | "resource_facade" => "2013-05-23",
        "digest" | "repeat" => "2015-04-30",
        "str_split" => "2015-10-15",
        "map_merge" => "2016-04-08",
        "yaql" | "map_replace" | "if" => "2016-10-14",
        "filter" | "str_replace_strict" => "2017-02-24",
        "make_url" | "list_concat" | "list_concat_unique" | "str_replace_vstrict" | "contains" => {
            "2017-09-01"
        }
        _ => return None,
    })
}

/// The version that allowed a function in conditions (`condition_functions`).
fn condition_function_since(name: &str) -> Option<&'static str> {
    Some(match name {
        "get_param" | "equals" | "not" | "and" | "or" => "2016-10-14",
        "yaql" | "contains" => "2017-09-01",
        _ => return None,
    })
}

const PSEUDO_PARAMETERS: &[&str] = &[
    "OS::stack_id",
    "OS::stack_name",
    "OS::project_id",
    "OS::region",
];

/// Heat's default `max_resources_per_stack`, which a group's members count toward.
const MAX_RESOURCES: usize = 1000;

static EMPTY: LazyLock<Map<String, Json>> = LazyLock::new(Map::new);

/// What `template` deploys when its parameters have `params` (by the
/// template's own parameter names; the others take their defaults).
pub fn deploy(template: &Json, params: &IndexMap<String, Json>) -> Deployed {
    deploy_with_files(template, params, &IndexMap::new())
}

/// `deploy`, with the files sent with the template: a template file named
/// as a type (a group's `resource_def.type`) is deployed as a nested stack.
pub fn deploy_with_files(
    template: &Json,
    params: &IndexMap<String, Json>,
    files: &IndexMap<String, Json>,
) -> Deployed {
    let given = params
        .iter()
        .map(|(k, v)| (k.clone(), Given::Json(v.clone())))
        .collect();
    deploy_given(template, &given, files, 0)
}

/// A parameter's value: as the user gives it, or as a parent stack
/// resolved it (references to its resources kept).
enum Given {
    Json(Json),
    Val(Val),
}

/// Nested stacks deeper than this are a problem (Heat's default
/// `max_nested_stack_depth` is 5).
const MAX_DEPTH: usize = 5;

fn deploy_given(
    template: &Json,
    params: &IndexMap<String, Given>,
    files: &IndexMap<String, Json>,
    depth: usize,
) -> Deployed {
    let mut out = Deployed::default();
    let Some(t) = template.as_object() else {
        out.problems
            .push("the template is not a JSON object".into());
        return out;
    };
    let version = match t.get("heat_template_version") {
        Some(Json::String(v)) => version_date(v),
        _ => None,
    };
    let Some(version) = version else {
        let stated = t
            .get("heat_template_version")
            .map_or("nothing".into(), Json::to_string);
        out.problems.push(format!(
            "heat_template_version is {stated}, not a version Heat knows"
        ));
        return out;
    };
    let mut ev = Eval {
        version,
        params: IndexMap::new(),
        conditions: &EMPTY,
        cond_cache: IndexMap::new(),
        resources: &EMPTY,
        live: IndexMap::new(),
        files,
        depth,
        members: IndexMap::new(),
        deploying: BTreeSet::new(),
        out,
    };
    let parameters = section(&mut ev, t, "parameters");
    ev.parameters(parameters, params);
    ev.conditions = section(&mut ev, t, "conditions");
    ev.resources = section(&mut ev, t, "resources");
    // Every condition must mean a boolean, used or not.
    for name in ev.conditions.keys() {
        if let Err(e) = ev.named(name) {
            ev.problem(e);
        }
    }
    ev.deploy_resources();
    let outputs = section(&mut ev, t, "outputs");
    ev.outputs(outputs);
    let mut seen = BTreeSet::new();
    ev.out.problems.retain(|p| seen.insert(p.clone()));
    ev.out
}

/// A top-level section; a null one is empty, as Heat reads it.
fn section<'a>(ev: &mut Eval, t: &'a Map<String, Json>, name: &str) -> &'a Map<String, Json> {
    match t.get(name) {
        None | Some(Json::Null) => &EMPTY,
        Some(Json::Object(map)) => map,
        Some(_) => {
            ev.problem(format!("`{name}` is not a map"));
            &EMPTY
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Live {
    Plain,
    /// A ResourceGroup, with its count once known and valid.
    Group(Option<usize>),
}

/// What a one-key map is: a function call, a function this template may
/// not use there, or data.
enum Kind {
    Call,
    Bad(String),
    Data,
}

struct Eval<'t> {
    /// The template version, as a date.
    version: &'static str,
    /// Parameter values as Heat converts them; `None` for one without value.
    params: IndexMap<String, Option<Val>>,
    conditions: &'t Map<String, Json>,
    /// Named conditions resolved so far; `None` while one is being resolved.
    cond_cache: IndexMap<String, Option<Res<bool>>>,
    resources: &'t Map<String, Json>,
    /// The resources that exist for these parameters.
    live: IndexMap<String, Live>,
    /// The files sent with the template, by name.
    files: &'t IndexMap<String, Json>,
    /// How deep this stack is nested.
    depth: usize,
    /// For a group over a template file, each member's outputs, once
    /// deployed.
    members: IndexMap<String, Vec<IndexMap<String, Val>>>,
    /// The groups being deployed, for one read while it is.
    deploying: BTreeSet<String>,
    out: Deployed,
}

impl<'t> Eval<'t> {
    fn at_least(&self, date: &str) -> bool {
        self.version >= date
    }

    fn problem(&mut self, problem: String) {
        self.out.problems.push(problem);
    }

    // -----------------------------------------------------------------------
    // Parameters

    fn parameters(&mut self, section: &Map<String, Json>, given: &IndexMap<String, Given>) {
        for name in given.keys().filter(|n| !section.contains_key(*n)) {
            self.problem(format!(
                "parameter `{name}` is given but the template has none such"
            ));
        }
        for (name, schema) in section {
            let place = format!("parameter `{name}`");
            let value = match given.get(name) {
                None => self.parameter(&place, schema, None),
                Some(Given::Json(j)) => self.parameter(&place, schema, Some(j)),
                Some(Given::Val(v)) => match val_to_json(v) {
                    Some(j) => self.parameter(&place, schema, Some(&j)),
                    // Known only when deploying: its type is what the
                    // parent's value is, unchecked.
                    None => Some(self.opaque_parameter(&place, schema, v)),
                },
            };
            self.params.insert(name.clone(), value);
        }
    }

    /// A parameter given a value known only when deploying, as the
    /// parameter's type reads it.
    fn opaque_parameter(&mut self, place: &str, schema: &Json, v: &Val) -> Val {
        let ty = schema.get("type").and_then(Json::as_str).unwrap_or("");
        match (ty, v) {
            ("comma_delimited_list", Val::List(_)) | ("json", _) | ("string", _) => v.clone(),
            ("comma_delimited_list", other) if !has_opaque_top(other) => {
                self.problem(format!("{place}: {} is not a list", show(other)));
                v.clone()
            }
            _ => v.clone(),
        }
    }

    fn parameter(&mut self, place: &str, schema: &Json, given: Option<&Json>) -> Option<Val> {
        let Json::Object(s) = schema else {
            self.problem(format!("{place} is not a map"));
            return None;
        };
        let ty = match s.get("type").and_then(Json::as_str) {
            Some(t @ ("string" | "number" | "comma_delimited_list" | "json" | "boolean")) => t,
            _ => {
                self.problem(format!("{place} has no valid type"));
                return None;
            }
        };
        let mut constraints = Vec::new();
        match s.get("constraints") {
            None | Some(Json::Null) => {}
            Some(Json::Array(list)) => {
                for c in list {
                    match self.constraint(ty, c) {
                        Ok(c) => constraints.push(c),
                        Err(e) => self.problem(format!("{place}: {e}")),
                    }
                }
            }
            Some(_) => self.problem(format!("{place}: constraints must be a list")),
        }
        // Heat checks the default even when a value is given (schema validation).
        let default = s.get("default").filter(|d| !d.is_null());
        if let Some(d) = default {
            let checked = convert(ty, d).and_then(|v| check_all(&constraints, &v));
            if let Err(e) = checked {
                self.problem(format!("{place}: default: {e}"));
            }
        }
        let Some(raw) = given.filter(|g| !g.is_null()).or(default) else {
            self.problem(format!("{place} has no value and no default"));
            return None;
        };
        // Heat refuses the stack; the value still shows what it would mean.
        let value = convert(ty, raw);
        if let Err(e) = value
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|v| check_all(&constraints, v))
        {
            self.problem(format!("{place}: {e}"));
        }
        value.ok()
    }

    /// One constraint, as `HOTParamSchema._constraint_from_def` reads it:
    /// the first kind it finds, in its order.
    fn constraint(&self, ty: &str, c: &Json) -> Res<Constraint> {
        const SCALARS_AND_LISTS: &[&str] = &["string", "number", "boolean", "comma_delimited_list"];
        let Json::Object(c) = c else {
            return Err("a constraint is not a map".into());
        };
        let description = c
            .get("description")
            .and_then(Json::as_str)
            .map(String::from);
        let bounds = |key: &str| -> Res<(Option<f64>, Option<f64>)> {
            let Some(Json::Object(b)) = c.get(key) else {
                return Err(format!("`{key}` must be a map of min and max"));
            };
            let num = |k: &str| b.get(k).map(|v| str_to_num(&json_to_val(v))).transpose();
            let (min, max) = (num("min")?, num("max")?);
            if min.is_none() && max.is_none() {
                return Err(format!("a {key} constraint needs a min or a max"));
            }
            Ok((min, max))
        };
        let (rule, types): (Rule, &[&str]) =
            if self.at_least("2017-02-24") && c.contains_key("modulo") {
                let m = c.get("modulo").and_then(Json::as_object);
                let num = |k: &str| m.and_then(|m| m.get(k)).and_then(Json::as_f64);
                // Heat also wants whole numbers, |offset| < |step|, one sign.
                let (Some(step), Some(offset)) = (num("step"), num("offset")) else {
                    return Err("a modulo constraint needs a step and an offset".into());
                };
                if step == 0.0 || offset.abs() >= step.abs() || step * offset < 0.0 {
                    return Err("modulo: step and offset do not fit together".into());
                }
                (Rule::Modulo(step, offset), &["number"])
            } else if c.contains_key("range") {
                let (min, max) = bounds("range")?;
                (Rule::Range(min, max), &["number"])
            } else if c.contains_key("length") {
                let (min, max) = bounds("length")?;
                (
                    Rule::Length(min, max),
                    &["string", "comma_delimited_list", "json"],
                )
            } else if let Some(allowed) = c.get("allowed_values") {
                let Json::Array(allowed) = allowed else {
                    return Err("allowed_values must be a list".into());
                };
                (Rule::Allowed(allowed.clone()), SCALARS_AND_LISTS)
            } else if let Some(pattern) = c.get("allowed_pattern") {
                let pattern = pattern.as_str().ok_or("allowed_pattern must be a string")?;
                // The ASCII flag gives Python's `\d \w \s \b` the meaning the
                // compiler's engine gives them.
                let pattern = pattern.strip_prefix("(?a)").unwrap_or(pattern);
                // The compiler's own engine (the tests have no regex crate): it
                // matches the whole value, as Heat's `re.match` plus its length check.
                match Regex::new(pattern) {
                    Ok(re) => (Rule::Pattern(re), &["string"]),
                    // A dialect feature the engine lacks: Python may accept it, so skip the check.
                    Err(e) if e.unsupported => (Rule::Custom, &["string"]),
                    Err(e) => return Err(format!("allowed_pattern {pattern:?}: {}", e.message)),
                }
            } else if c.contains_key("custom_constraint") {
                // Skipped: most (nova.flavor, glance.image...) look the value up in the cloud.
                (Rule::Custom, SCALARS_AND_LISTS)
            } else {
                return Err("a constraint without a rule".into());
            };
        if !types.contains(&ty) {
            return Err(format!(
                "a {} constraint does not apply to a {ty}",
                rule.name()
            ));
        }
        Ok(Constraint { rule, description })
    }

    // -----------------------------------------------------------------------
    // Conditions

    /// A condition's definition, by name, resolved once.
    fn named(&mut self, name: &str) -> Res<bool> {
        let conditions = self.conditions;
        let Some(definition) = conditions.get(name) else {
            return Err(format!("no condition named `{name}`"));
        };
        match self.cond_cache.get(name) {
            Some(Some(result)) => return result.clone(),
            Some(None) => return Err(format!("condition `{name}` is defined in terms of itself")),
            None => {}
        }
        self.cond_cache.insert(name.into(), None);
        // A definition is a boolean or a condition function: a bare name is not.
        let result = match definition {
            Json::Bool(b) => Ok(*b),
            Json::Object(m)
                if single(m).is_some_and(|(k, _)| !matches!(self.kind(k, true), Kind::Data)) =>
            {
                match self.cond_value(definition) {
                    Ok(Val::Bool(b)) => Ok(b),
                    Ok(other) => Err(format!("evaluates to {}, not a boolean", show(&other))),
                    Err(e) => Err(e),
                }
            }
            _ => Err("is neither a boolean nor a condition function".into()),
        }
        .map_err(|e| format!("condition `{name}`: {e}"));
        self.cond_cache.insert(name.into(), Some(result.clone()));
        result
    }

    /// A value in a condition, where only the condition functions exist.
    fn cond_value(&mut self, node: &Json) -> Res<Val> {
        match node {
            Json::Array(items) => items
                .iter()
                .map(|i| self.cond_value(i))
                .collect::<Res<_>>()
                .map(Val::List),
            Json::Object(map) => {
                if let Some((key, args)) = single(map) {
                    match self.kind(key, true) {
                        Kind::Call => {
                            let a = self.cond_value(args)?;
                            return self.cond_apply(key, a).map_err(|e| format!("{key}: {e}"));
                        }
                        Kind::Bad(e) => return Err(e),
                        Kind::Data => {}
                    }
                }
                let fields = map
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.cond_value(v)?)));
                fields.collect::<Res<_>>().map(Val::Object)
            }
            scalar => Ok(self.value(scalar)?.unwrap_or(Val::Null)),
        }
    }

    fn cond_apply(&mut self, name: &str, a: Val) -> Res<Val> {
        match name {
            "get_param" => self.get_param(a),
            "equals" => {
                let Val::List(items) = &a else {
                    return Err("arguments must be [value_1, value_2]".into());
                };
                let [x, y] = items.as_slice() else {
                    return Err("arguments must be [value_1, value_2]".into());
                };
                if x.has_null() || y.has_null() {
                    return Err(format!("compares a null: {} and {}", show(x), show(y)));
                }
                py_eq(x, y)
                    .map(Val::Bool)
                    .ok_or_else(|| "compares a value known only when deploying".into())
            }
            "not" => Ok(Val::Bool(!self.truth(a)?)),
            "and" | "or" => {
                let Val::List(items) = a else {
                    return Err("arguments must be a list of conditions".into());
                };
                if items.len() < 2 {
                    return Err("needs at least 2 conditions".into());
                }
                let stop = name == "or";
                for item in items {
                    if self.truth(item)? == stop {
                        return Ok(Val::Bool(stop));
                    }
                }
                Ok(Val::Bool(!stop))
            }
            "contains" => match contains(a)? {
                Val::Unknown(_) => Err("tests a value known only when deploying".into()),
                v => Ok(v),
            },
            _ => Err("not evaluated by this oracle".into()),
        }
    }

    /// A resolved condition argument: a boolean, or a condition's name.
    fn truth(&mut self, v: Val) -> Res<bool> {
        match v {
            Val::Bool(b) => Ok(b),
            Val::String(name) => self.named(&name),
            other => Err(format!(
                "{} is not a condition (a boolean or a condition's name)",
                show(&other)
            )),
        }
    }

    fn condition(&mut self, node: &Json) -> Res<bool> {
        let v = self.cond_value(node)?;
        self.truth(v)
    }

    /// A resource's or an output's `condition`: a name, a boolean or a
    /// condition function; null is refused as Heat refuses it.
    fn field_condition(&mut self, node: &Json) -> Res<bool> {
        match node {
            Json::String(_) | Json::Bool(_) => self.condition(node),
            Json::Object(m)
                if single(m).is_some_and(|(k, _)| !matches!(self.kind(k, true), Kind::Data)) =>
            {
                self.condition(node)
            }
            other => Err(format!(
                "{other} is not a condition's name, a boolean or a condition function"
            )),
        }
    }

    // -----------------------------------------------------------------------
    // Values

    fn kind(&self, key: &str, in_condition: bool) -> Kind {
        let (here, there) = if in_condition {
            (condition_function_since(key), function_since(key))
        } else {
            (function_since(key), condition_function_since(key))
        };
        match (here, there) {
            (Some(since), _) if self.at_least(since) => Kind::Call,
            (Some(since), _) => Kind::Bad(format!("`{key}` needs heat_template_version {since}")),
            _ if key.starts_with("Fn::") || key == "Ref" => {
                Kind::Bad(format!("`{key}` is a CloudFormation function, not HOT"))
            }
            (None, Some(_)) if in_condition => {
                Kind::Bad(format!("`{key}` is not allowed in a condition"))
            }
            // Heat would pass it on as data: never what a template means.
            (None, Some(_)) => Kind::Bad(format!("`{key}` is a condition function, outside one")),
            (None, None) => Kind::Data,
        }
    }

    /// A value with its functions evaluated; `None` when a two-argument
    /// `if` (2021-04-16) leaves it out.
    fn value(&mut self, node: &Json) -> Res<Option<Val>> {
        Ok(Some(match node {
            Json::Null => Val::Null,
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) => Val::Number(n.as_f64().unwrap_or(f64::NAN)),
            Json::String(s) => Val::String(s.clone()),
            Json::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.value(item)?);
                }
                Val::List(out)
            }
            Json::Object(map) => {
                if let Some((key, args)) = single(map) {
                    match self.kind(key, false) {
                        Kind::Call => return self.call(key, args),
                        Kind::Bad(e) => return Err(e),
                        Kind::Data => {}
                    }
                }
                let mut out = IndexMap::new();
                for (k, v) in map {
                    if let Some(v) = self.value(v)? {
                        out.insert(k.clone(), v);
                    }
                }
                Val::Object(out)
            }
        }))
    }

    fn call(&mut self, name: &str, args: &Json) -> Res<Option<Val>> {
        if name == "if" {
            return self.iff(args);
        }
        // Arguments are resolved first; one left out by `if` is null there.
        let a = self.value(args)?.unwrap_or(Val::Null);
        self.apply(name, a)
            .map(Some)
            .map_err(|e| format!("{name}: {e}"))
    }

    /// `if` is a macro: only the chosen branch is parsed, so the other may
    /// refer to resources that do not exist.
    fn iff(&mut self, args: &Json) -> Res<Option<Val>> {
        let nullable = self.at_least("2021-04-16");
        let items = match args {
            Json::Array(items) if items.len() == 3 || (nullable && items.len() == 2) => items,
            _ if nullable => {
                return Err(
                    "if: arguments must be [condition, value_if_true(, value_if_false)]".into(),
                );
            }
            _ => {
                return Err(
                    "if: arguments must be [condition, value_if_true, value_if_false]".into(),
                );
            }
        };
        if self.condition(&items[0]).map_err(|e| format!("if: {e}"))? {
            self.value(&items[1])
        } else {
            // A missing else leaves the enclosing item out; a null else is null.
            items.get(2).map_or(Ok(None), |v| self.value(v))
        }
    }

    fn apply(&mut self, name: &str, a: Val) -> Res<Val> {
        match name {
            "get_param" => self.get_param(a),
            "get_resource" => match a {
                Val::String(target) => self.require(&target).map(|()| Val::Ref(target)),
                other => Err(format!("{} is not a resource name", show(&other))),
            },
            "get_attr" => self.get_attr(a),
            "str_replace" | "str_replace_strict" | "str_replace_vstrict" => {
                self.str_replace(name, a)
            }
            "list_join" => self.list_join(a),
            "str_split" => str_split(a),
            "repeat" => self.repeat(a),
            "map_merge" => map_merge(a),
            "map_replace" => map_replace(a),
            "list_concat" => list_concat(a, false),
            "list_concat_unique" => list_concat(a, true),
            "contains" => contains(a),
            "filter" => filter(a),
            "digest" => digest(a),
            "make_url" => make_url(a),
            "get_file" => Err(
                "needs the files sent with the template, which this oracle does not have".into(),
            ),
            "resource_facade" => Err(
                "reads a provider template's parent, which this oracle does not evaluate".into(),
            ),
            _ => Err("not evaluated by this oracle".into()),
        }
    }

    fn get_param(&mut self, a: Val) -> Res<Val> {
        let (name, path) = match a {
            Val::String(name) => (name, Vec::new()),
            Val::List(mut items) if matches!(items.first(), Some(Val::String(_))) => {
                let Val::String(name) = items.remove(0) else {
                    unreachable!()
                };
                (name, items)
            }
            other => {
                return Err(format!(
                    "{} is not a parameter name or [name, path...]",
                    show(&other)
                ));
            }
        };
        if PSEUDO_PARAMETERS.contains(&name.as_str()) {
            return Ok(Val::Unknown(Vec::new()));
        }
        let Some(slot) = self.params.get(&name) else {
            return Err(format!("no parameter `{name}`"));
        };
        // Without a value: already a problem; null carries it on.
        let Some(mut value) = slot.clone() else {
            return Ok(Val::Null);
        };
        // A path that does not lead anywhere gives '' (KeyError, IndexError, TypeError).
        for key in &path {
            let next = match (&value, key) {
                (Val::Object(m), Val::String(k)) => m.get(k).cloned(),
                (Val::List(_) | Val::String(_), key) => {
                    let index = match key {
                        Val::Number(n) if n.fract() == 0.0 => Some(*n as i64),
                        Val::String(s) => s.trim().parse().ok(),
                        _ => None,
                    };
                    index.and_then(|i| match &value {
                        Val::List(items) => py_index(items.len(), i).map(|i| items[i].clone()),
                        Val::String(s) => {
                            let chars: Vec<char> = s.chars().collect();
                            py_index(chars.len(), i).map(|i| Val::String(chars[i].to_string()))
                        }
                        _ => None,
                    })
                }
                _ => None,
            };
            match next {
                Some(v) => value = v,
                None => return Ok(Val::String(String::new())),
            }
        }
        Ok(value)
    }

    /// May `name` be referred to: does it exist for these parameters?
    fn require(&self, name: &str) -> Res<()> {
        if self.live.contains_key(name) {
            Ok(())
        } else if self.resources.contains_key(name) {
            Err(format!(
                "resource `{name}` does not exist for these parameters (its condition is false)"
            ))
        } else {
            Err(format!("no resource named `{name}`"))
        }
    }

    fn get_attr(&mut self, a: Val) -> Res<Val> {
        let Val::List(items) = a else {
            return Err("arguments must be [resource, attribute, path...]".into());
        };
        let Some((Val::String(name), rest)) = items.split_first() else {
            return Err("arguments must be [resource, attribute, path...]".into());
        };
        if rest.is_empty() && !self.at_least("2015-10-15") {
            return Err("needs an attribute name before 2015-10-15".into());
        }
        self.require(name)?;
        let parts = rest.iter().map(component).collect::<Res<Vec<_>>>()?;
        let Some(Live::Group(count)) = self.live.get(name).copied() else {
            return Ok(Val::Attr(name.clone(), parts.join(".")));
        };
        // A group's own attributes (`ResourceGroup.get_attribute`).
        let member = |index: &str| -> Res<String> {
            let count = count.ok_or(format!("the count of group `{name}` is not known"))?;
            match index.parse::<usize>() {
                Ok(i) if i < count && i.to_string() == index => Ok(format!("{name}[{i}]")),
                _ => Err(format!(
                    "group `{name}` has no member `{index}` (count {count})"
                )),
            }
        };
        if self.nested_group(name) {
            self.deploy_now(name);
            let members = self.members.get(name).cloned().unwrap_or_default();
            let first = parts.first().map(String::as_str).unwrap_or("");
            if let Some(index) = first.strip_prefix("resource.") {
                member(index)?;
                let i: usize = index.parse().unwrap_or(0);
                let Some(output) = parts.get(1) else {
                    return Ok(Val::Ref(format!("{name}[{i}]")));
                };
                let outputs = members
                    .get(i)
                    .ok_or(format!("group `{name}` has no member {i}"))?;
                let value = outputs.get(output).ok_or(format!(
                    "member {i} of group `{name}` has no output `{output}`"
                ))?;
                return follow(value, &rest[2..]);
            }
            if first != "refs" && first != "refs_map" {
                return members
                    .iter()
                    .enumerate()
                    .map(|(i, outputs)| match outputs.get(first) {
                        Some(value) => follow(value, &rest[1..]),
                        None => Err(format!(
                            "member {i} of group `{name}` has no output `{first}`"
                        )),
                    })
                    .collect::<Res<Vec<_>>>()
                    .map(Val::List);
            }
        }
        // Every member's id or attribute, a list as long as the count.
        let each = |read: &dyn Fn(String) -> Val| match count {
            Some(count) => Val::List((0..count).map(|i| read(format!("{name}[{i}]"))).collect()),
            None => read(name.clone()),
        };
        match parts.first().map(String::as_str) {
            Some("refs") if parts.len() == 1 => Ok(each(&Val::Ref)),
            Some("refs") if parts.len() == 2 => Ok(Val::Ref(member(&parts[1])?)),
            Some("refs") => Err("a member's id has no path".into()),
            Some("attributes") if parts.len() == 1 => {
                Err("`attributes` needs an attribute name".into())
            }
            Some(key) if key.starts_with("resource.") => {
                let mut split = key.splitn(3, '.').skip(1);
                let target = member(split.next().unwrap_or(""))?;
                let path: Vec<&str> = split.chain(parts[1..].iter().map(String::as_str)).collect();
                Ok(if path.is_empty() {
                    Val::Ref(target)
                } else {
                    Val::Attr(target, path.join("."))
                })
            }
            Some("refs_map" | "attributes" | "removed_rsrc_list") => {
                Ok(Val::Attr(name.clone(), parts.join(".")))
            }
            // One attribute of every member.
            _ => Ok(each(&|member| Val::Attr(member, parts.join(".")))),
        }
    }

    fn str_replace(&self, name: &str, a: Val) -> Res<Val> {
        let (strict, vstrict) = (name != "str_replace", name == "str_replace_vstrict");
        let usage = "arguments must be a map of `template` and `params`";
        let Val::Object(args) = a else {
            return Err(usage.into());
        };
        let (Some(template), Some(params)) = (args.get("template"), args.get("params")) else {
            return Err(usage.into());
        };
        // A value known only when deploying makes the text unknown (even
        // where its placeholder is unused: Heat still depends on it).
        if has_opaque(template) || has_opaque(params) {
            return Ok(unknown(&[template, params]));
        }
        let Val::String(template) = template else {
            return Err("the template must be a string".into());
        };
        let Val::Object(params) = params else {
            return Err("params must be a map".into());
        };
        let mut values = Vec::new();
        for (key, v) in params {
            let text = match v {
                Val::Null if !vstrict => String::new(),
                Val::String(_) | Val::Number(_) | Val::Bool(_) => py_str(v).unwrap_or_default(),
                Val::List(_) | Val::Object(_) if self.at_least("2015-10-15") => {
                    py_json(v).unwrap_or_default()
                }
                Val::Null => String::new(),
                _ => return Err(format!("param `{key}` must be a string or a number")),
            };
            let empty = matches!(v, Val::List(l) if l.is_empty())
                || matches!(v, Val::Object(m) if m.is_empty());
            if vstrict && (text.is_empty() || empty) {
                return Err(format!("param `{key}` is null or empty"));
            }
            values.push((key.as_str(), text));
        }
        // Longest placeholder first; equal lengths in lexicographic order.
        values.sort_by(|x, y| {
            y.0.chars()
                .count()
                .cmp(&x.0.chars().count())
                .then(x.0.cmp(y.0))
        });
        let mut unused: BTreeSet<&str> = values.iter().map(|(k, _)| *k).collect();
        let replaced = replace(vec![template.clone()], &values, &mut unused)?;
        if strict && !unused.is_empty() {
            let unused: Vec<&str> = unused.into_iter().collect();
            return Err(format!(
                "params not found in the template: {}",
                unused.join(", ")
            ));
        }
        Ok(Val::String(replaced.concat()))
    }

    fn list_join(&self, a: Val) -> Res<Val> {
        if has_opaque(&a) {
            return Ok(unknown(&[&a]));
        }
        let multiple = self.at_least("2015-10-15");
        let Val::List(args) = a else {
            return Err("arguments must be [delimiter, list...]".into());
        };
        if args.len() < 2 || (!multiple && args.len() != 2) {
            return Err("arguments must be [delimiter, list...]".into());
        }
        let Val::String(delim) = &args[0] else {
            return Err("the delimiter must be a string".into());
        };
        let mut parts = Vec::new();
        for list in &args[1..] {
            match list {
                Val::List(items) => {
                    for item in items {
                        parts.push(match item {
                            Val::Null => String::new(),
                            Val::String(s) => s.clone(),
                            Val::List(_) | Val::Object(_) if multiple => {
                                py_json(item).unwrap_or_default()
                            }
                            other => {
                                return Err(format!(
                                    "items to join must be strings, not {}",
                                    show(other)
                                ));
                            }
                        });
                    }
                }
                Val::Null => {}
                // JoinMultiple skips any empty value; Join only null.
                v if multiple && !py_truthy(v) => {}
                other => return Err(format!("can only join a list, not {}", show(other))),
            }
        }
        Ok(Val::String(parts.join(delim)))
    }

    fn repeat(&self, a: Val) -> Res<Val> {
        let Val::Object(args) = a else {
            return Err("arguments must be a map of `for_each` and `template`".into());
        };
        let (Some(for_each), Some(template)) = (args.get("for_each"), args.get("template")) else {
            return Err("needs `for_each` and `template`".into());
        };
        let nested = match args.get("permutations") {
            Some(Val::Bool(b)) if self.at_least("2017-09-01") => *b,
            Some(_) if self.at_least("2017-09-01") => {
                return Err("permutations must be a boolean".into());
            }
            _ => true,
        };
        if has_opaque(for_each) {
            return Ok(unknown(&[for_each]));
        }
        let Val::Object(for_each) = for_each else {
            return Err("for_each must be a map".into());
        };
        if for_each.is_empty() {
            return Err("for_each is empty".into());
        }
        let (mut keys, mut lists, mut lens) = (Vec::new(), Vec::new(), Vec::new());
        for (key, v) in for_each {
            let items = match v {
                Val::Null => Vec::new(),
                Val::List(items) => items.clone(),
                Val::Object(m) if nested && self.at_least("2016-10-14") => {
                    m.keys().map(|k| Val::String(k.clone())).collect()
                }
                other => return Err(format!("for_each `{key}` is {}, not a list", show(other))),
            };
            if !matches!(v, Val::Null) {
                lens.push(items.len());
            }
            keys.push(key.as_str());
            lists.push(items);
        }
        if !nested && lens.windows(2).any(|w| w[0] != w[1]) {
            return Err("without permutations the for_each lists must have one length".into());
        }
        let combos: Vec<Vec<&Val>> = if nested {
            lists.iter().fold(vec![Vec::new()], |acc, list| {
                acc.iter()
                    .flat_map(|c| {
                        list.iter()
                            .map(move |item| [c.clone(), vec![item]].concat())
                    })
                    .collect()
            })
        } else {
            let n = lists.iter().map(Vec::len).min().unwrap_or(0);
            (0..n)
                .map(|i| lists.iter().map(|l| &l[i]).collect())
                .collect()
        };
        // The template is resolved before the substitution (Heat's order).
        combos
            .iter()
            .map(|c| substitute(template, &keys, c))
            .collect::<Res<_>>()
            .map(Val::List)
    }

    // -----------------------------------------------------------------------
    // Resources and outputs

    fn deploy_resources(&mut self) {
        let all = self.resources;
        // Which resources exist: Heat evaluates conditions before creating anything.
        for (name, def) in all {
            let Some(d) = def.as_object() else {
                self.problem(format!("resource `{name}` is not a map"));
                continue;
            };
            let enabled = match d.get("condition") {
                None => true,
                Some(_) if !self.at_least("2016-10-14") => {
                    self.problem(format!(
                        "resource `{name}`: `condition` needs heat_template_version 2016-10-14"
                    ));
                    true
                }
                Some(c) => self.field_condition(c).unwrap_or_else(|e| {
                    self.problem(format!("resource `{name}` condition: {e}"));
                    false
                }),
            };
            if enabled {
                let group = d.get("type").and_then(Json::as_str) == Some("OS::Heat::ResourceGroup");
                self.live.insert(
                    name.clone(),
                    if group {
                        Live::Group(None)
                    } else {
                        Live::Plain
                    },
                );
            }
        }
        // Group sizes, before anything refers to a member.
        let names: Vec<String> = self.live.keys().cloned().collect();
        for name in &names {
            if let Some(Live::Group(_)) = self.live.get(name) {
                let count = self.group_count(name, &all[name]);
                self.live.insert(name.clone(), Live::Group(count));
            }
        }
        for name in &names {
            if self.nested_group(name) {
                self.deploy_now(name);
                continue;
            }
            let live = self.live[name];
            self.resource(name, all[name].as_object().unwrap_or(&EMPTY), live);
        }
        // Heat refuses a stack whose dependencies go round ("Circular Dependency Found").
        for (key, native) in &self.out.resources {
            let mut refs = BTreeSet::new();
            native
                .properties
                .values()
                .for_each(|v| v.references(&mut refs));
            refs.extend(native.depends_on.iter().cloned());
            if refs.contains(&native.name) || self.out.depends(key, key) {
                let problem = format!("resource `{key}` depends on itself");
                self.out.problems.push(problem);
            }
        }
    }

    fn resource(&mut self, name: &str, d: &Map<String, Json>, live: Live) {
        let place = format!("resource `{name}`");
        let Some(type_name) = d.get("type").and_then(Json::as_str).map(String::from) else {
            self.problem(format!("{place} has no type"));
            return;
        };
        let depends_on = self.depends_on(&place, d.get("depends_on"));
        let deletion = d
            .get("deletion_policy")
            .and_then(|p| self.deletion(&place, p));
        // Metadata is not deployed as properties, but its references must resolve.
        if let Some(Err(e)) = d.get("metadata").map(|m| self.value(m)) {
            self.problem(format!("{place} metadata: {e}"));
        }
        let Live::Group(count) = live else {
            let properties = self.props(&place, d.get("properties"));
            // Heat never treats null as "left out" (only a 2-argument `if`):
            // `Property.get_value(None)` gives the schema's default, else an
            // empty value ('', 0, false, {}, []) that reaches the cloud, and
            // untyped properties pass the null on. Without schemas the oracle
            // cannot tell these apart, so any null is a problem.
            for (key, v) in &properties {
                if v.has_null() {
                    self.problem(format!("{place} property `{key}` {}", null_problem(v)));
                }
            }
            let native = Native {
                name: name.into(),
                index: None,
                type_name,
                properties,
                depends_on,
                deletion,
            };
            self.out.resources.insert(name.into(), native);
            return;
        };
        let props = d
            .get("properties")
            .and_then(Json::as_object)
            .unwrap_or(&EMPTY);
        let index_var = match props.get("index_var").map(|v| self.value(v)) {
            None | Some(Ok(None)) => "%index%".to_string(),
            Some(Ok(Some(Val::String(s)))) if s.chars().count() >= 3 => s,
            Some(Ok(Some(v))) => {
                self.problem(format!(
                    "{place} property `index_var` is {}, not a string of 3 or more",
                    show(&v)
                ));
                return;
            }
            Some(Err(e)) => {
                self.problem(format!("{place} property `index_var`: {e}"));
                return;
            }
        };
        let Some(Json::Object(def)) = props.get("resource_def") else {
            self.problem(format!("{place} has no resource_def map"));
            return;
        };
        let place = format!("{place} resource_def");
        let type_name = match def.get("type").map(|t| self.value(t)) {
            Some(Ok(Some(Val::String(t)))) => t,
            Some(Err(e)) => return self.problem(format!("{place} type: {e}")),
            _ => return self.problem(format!("{place} has no type")),
        };
        if let Some(Err(e)) = def.get("metadata").map(|m| self.value(m)) {
            self.problem(format!("{place} metadata: {e}"));
        }
        // Heat resolves the definition in this stack, drops the properties
        // that are null (`_clean_props`), then puts each member's index into
        // the text of the resolved values (`_handle_repl_val`).
        let mut properties = self.props(&place, def.get("properties"));
        properties.retain(|_, v| *v != Val::Null);
        for (key, v) in &properties {
            if v.has_null() {
                self.problem(format!("{place} property `{key}` {}", null_problem(v)));
            }
        }
        let nested = self.files.get(&type_name);
        for i in 0..count.unwrap_or(0) {
            let index = i.to_string();
            let properties: IndexMap<String, Val> = properties
                .iter()
                .map(|(k, v)| (k.clone(), put_index(v, &index_var, &index)))
                .collect();
            if let Some(template) = nested {
                self.member(name, i, template, properties, &depends_on);
                continue;
            }
            let native = Native {
                name: name.into(),
                index: Some(i),
                type_name: type_name.clone(),
                properties,
                depends_on: depends_on.clone(),
                deletion: deletion.clone(),
            };
            self.out.resources.insert(format!("{name}[{i}]"), native);
        }
    }

    /// Whether `name` is a live group whose members are a template file.
    fn nested_group(&self, name: &str) -> bool {
        matches!(self.live.get(name), Some(Live::Group(_)))
            && self.resources[name]
                .pointer("/properties/resource_def/type")
                .and_then(Json::as_str)
                .is_some_and(|t| self.files.contains_key(t))
    }

    /// Deploys the group `name` over a template file, once: before the
    /// first read of its members' outputs.
    fn deploy_now(&mut self, name: &str) {
        if self.members.contains_key(name) || !self.deploying.insert(name.to_string()) {
            return;
        }
        self.members.insert(name.to_string(), Vec::new());
        let live = self.live[name];
        let all = self.resources;
        self.resource(name, all[name].as_object().unwrap_or(&EMPTY), live);
        self.deploying.remove(name);
    }

    /// Member `i` of the group `name`: its template deployed as a nested
    /// stack with `properties` as parameters, its resources under
    /// `name[i].`, its outputs kept for `get_attr` through the group.
    fn member(
        &mut self,
        name: &str,
        i: usize,
        template: &Json,
        properties: IndexMap<String, Val>,
        depends_on: &[String],
    ) {
        let place = format!("member {i} of group `{name}`");
        if self.depth + 1 > MAX_DEPTH {
            return self.problem(format!("{place}: nested deeper than {MAX_DEPTH} stacks"));
        }
        let given = properties
            .into_iter()
            .map(|(k, v)| (k, Given::Val(v)))
            .collect();
        let deployed = deploy_given(template, &given, self.files, self.depth + 1);
        let prefix = format!("{name}[{i}].");
        let local: BTreeSet<String> = deployed
            .resources
            .values()
            .map(|r| r.name.clone())
            .collect();
        for problem in deployed.problems {
            self.problem(format!("{place}: {problem}"));
        }
        for (key, mut native) in deployed.resources {
            native.name = format!("{prefix}{}", native.name);
            native.properties = native
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), prefixed(v, &local, &prefix)))
                .collect();
            native.depends_on = native
                .depends_on
                .iter()
                .map(|d| format!("{prefix}{d}"))
                .chain(depends_on.iter().cloned())
                .collect();
            self.out.resources.insert(format!("{prefix}{key}"), native);
        }
        let outputs = deployed
            .outputs
            .iter()
            .map(|(k, v)| (k.clone(), prefixed(v, &local, &prefix)))
            .collect();
        self.members
            .entry(name.to_string())
            .or_default()
            .push(outputs);
    }

    fn group_count(&mut self, name: &str, def: &Json) -> Option<usize> {
        let place = format!("resource `{name}` property `count`");
        let props = match def.get("properties") {
            None => &*EMPTY,
            Some(Json::Object(p)) if !self.is_call(p) => p,
            Some(_) => {
                self.problem(format!(
                    "resource `{name}`: a group's properties must be a map here"
                ));
                return None;
            }
        };
        // Left out, the count is Heat's default, 1.
        let v = match props.get("count").map(|c| self.value(c)) {
            None | Some(Ok(None)) => return Some(1),
            Some(Ok(Some(v))) => v,
            Some(Err(e)) => {
                self.problem(format!("{place}: {e}"));
                return None;
            }
        };
        let count = match &v {
            Val::Number(n) if n.fract() == 0.0 && *n >= 0.0 => Some(*n as usize),
            Val::String(s) => s.trim().parse::<usize>().ok(),
            _ => None,
        };
        match count {
            Some(n) if n <= MAX_RESOURCES => Some(n),
            Some(n) => {
                self.problem(format!(
                    "{place} is {n}, over Heat's default max_resources_per_stack ({MAX_RESOURCES})"
                ));
                None
            }
            None => {
                // Heat would truncate a fraction and make a null count 1:
                // neither is what a template means.
                let why = if has_opaque(&v) {
                    "known only when deploying"
                } else {
                    "not a whole number of 0 or more"
                };
                self.problem(format!("{place} is {}: {why}", show(&v)));
                None
            }
        }
    }

    fn is_call(&self, map: &Map<String, Json>) -> bool {
        single(map).is_some_and(|(k, _)| !matches!(self.kind(k, false), Kind::Data))
    }

    /// A properties map, each property evaluated on its own so that one
    /// problem does not hide the others.
    fn props(&mut self, place: &str, node: Option<&Json>) -> IndexMap<String, Val> {
        let mut out = IndexMap::new();
        match node {
            None => {}
            Some(Json::Object(map)) if !self.is_call(map) => {
                for (key, v) in map {
                    match self.value(v) {
                        Ok(Some(v)) => {
                            out.insert(key.clone(), v);
                        }
                        Ok(None) => {}
                        Err(e) => self.problem(format!("{place} property `{key}`: {e}")),
                    }
                }
            }
            Some(node) => match self.value(node) {
                Ok(Some(Val::Object(map))) => out = map,
                Ok(None) => {}
                Ok(Some(other)) => self.problem(format!(
                    "{place} properties are {}, not a map",
                    show(&other)
                )),
                Err(e) => self.problem(format!("{place} properties: {e}")),
            },
        }
        out
    }

    fn depends_on(&mut self, place: &str, node: Option<&Json>) -> Vec<String> {
        let names: Vec<&str> = match node {
            None => Vec::new(),
            Some(Json::String(s)) => vec![s],
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => {
                items.iter().filter_map(Json::as_str).collect()
            }
            Some(other) => {
                self.problem(format!(
                    "{place} depends_on is {other}, not a resource name or a list of them"
                ));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for name in names {
            if self.live.contains_key(name) {
                out.push(name.to_string());
            } else if !self.resources.contains_key(name) {
                self.problem(format!("{place} depends_on `{name}`: no such resource"));
            }
            // Else a resource its condition leaves out: Heat allows the
            // dependency and ignores it (`ResourceDefinition.dependencies`).
        }
        out
    }

    fn deletion(&mut self, place: &str, node: &Json) -> Option<String> {
        let v = match self.value(node) {
            Ok(v) => v?,
            Err(e) => {
                self.problem(format!("{place} deletion_policy: {e}"));
                return None;
            }
        };
        // Lower-case aliases came with 2016-10-14; no other spelling is accepted.
        let aliases = self.at_least("2016-10-14");
        match v {
            Val::String(p) if ["Delete", "Retain", "Snapshot"].contains(&p.as_str()) => Some(p),
            Val::String(p) if aliases && ["delete", "retain", "snapshot"].contains(&p.as_str()) => {
                Some(p[..1].to_uppercase() + &p[1..])
            }
            other => {
                self.problem(format!(
                    "{place} deletion_policy {} is not a deletion policy",
                    show(&other)
                ));
                None
            }
        }
    }

    fn outputs(&mut self, section: &Map<String, Json>) {
        for (name, o) in section {
            let place = format!("output `{name}`");
            let Some(o) = o.as_object() else {
                self.problem(format!("{place} is not a map"));
                continue;
            };
            if let Some(c) = o.get("condition") {
                match self.field_condition(c) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        self.problem(format!("{place} condition: {e}"));
                        continue;
                    }
                }
            }
            match o.get("value").map(|v| self.value(v)).transpose() {
                Ok(v) => {
                    self.out
                        .outputs
                        .insert(name.clone(), v.flatten().unwrap_or(Val::Null));
                }
                Err(e) => self.problem(format!("{place}: {e}")),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Parameter constraints

#[derive(Debug)]
enum Rule {
    Length(Option<f64>, Option<f64>),
    Range(Option<f64>, Option<f64>),
    Modulo(f64, f64),
    Allowed(Vec<Json>),
    Pattern(Regex),
    Custom,
}

impl Rule {
    fn name(&self) -> &'static str {
        match self {
            Rule::Length(..) => "length",
            Rule::Range(..) => "range",
            Rule::Modulo(..) => "modulo",
            Rule::Allowed(_) => "allowed_values",
            Rule::Pattern(_) => "allowed_pattern",
            Rule::Custom => "custom_constraint",
        }
    }
}

#[derive(Debug)]
struct Constraint {
    rule: Rule,
    description: Option<String>,
}

fn check_all(constraints: &[Constraint], v: &Val) -> Res<()> {
    constraints.iter().try_for_each(|c| check(c, v))
}

fn check(c: &Constraint, v: &Val) -> Res<()> {
    let within = |n: f64, min: &Option<f64>, max: &Option<f64>| {
        min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
    };
    let ok = match (&c.rule, v) {
        (Rule::Length(min, max), Val::String(s)) => within(s.chars().count() as f64, min, max),
        (Rule::Length(min, max), Val::List(l)) => within(l.len() as f64, min, max),
        (Rule::Length(min, max), Val::Object(m)) => within(m.len() as f64, min, max),
        (Rule::Range(min, max), Val::Number(n)) => within(*n, min, max),
        (Rule::Modulo(step, offset), Val::Number(n)) => n - step * (n / step).floor() == *offset,
        // A list's items are compared as they are; a scalar in the schema's type.
        (Rule::Allowed(allowed), Val::List(items)) => items.iter().all(|i| {
            allowed
                .iter()
                .any(|a| py_eq(i, &json_to_val(a)) == Some(true))
        }),
        (Rule::Allowed(allowed), Val::Bool(b)) => allowed
            .iter()
            .any(|a| py_str(&json_to_val(a)).is_some_and(|s| bool_from_string(&s) == Ok(*b))),
        (Rule::Allowed(allowed), Val::Number(n)) => allowed
            .iter()
            .any(|a| str_to_num(&json_to_val(a)) == Ok(*n)),
        (Rule::Allowed(allowed), Val::String(s)) => allowed
            .iter()
            .any(|a| py_str(&json_to_val(a)).as_deref() == Some(s.as_str())),
        // `None`: too long or too costly to decide; not a failure.
        (Rule::Pattern(re), Val::String(s)) => re.full_match(s),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    let why = c.description.clone().unwrap_or_else(|| match &c.rule {
        Rule::Pattern(re) => format!("does not match {:?}", re.as_str()),
        rule => format!("breaks its {} constraint", rule.name()),
    });
    Err(format!("{} {why}", show(v)))
}

/// A parameter's value as Heat's parameter classes convert it.
fn convert(ty: &str, raw: &Json) -> Res<Val> {
    let v = json_to_val(raw);
    match ty {
        "string" => match v {
            Val::String(_) | Val::Number(_) | Val::Bool(_) => {
                Ok(Val::String(py_str(&v).unwrap_or_default()))
            }
            _ => Err(format!("{raw} is not a string")),
        },
        "number" => str_to_num(&v).map(Val::Number),
        "boolean" => match py_str(&v) {
            Some(s) => bool_from_string(&s).map(Val::Bool),
            None => Err(format!("{raw} is not a boolean")),
        },
        "comma_delimited_list" => match v {
            Val::List(items) => items
                .iter()
                .map(|i| {
                    py_str(i)
                        .map(Val::String)
                        .ok_or(format!("{} is not a list item", show(i)))
                })
                .collect::<Res<_>>()
                .map(Val::List),
            Val::String(s) if s.is_empty() => Ok(Val::List(Vec::new())),
            Val::String(s) => Ok(Val::List(
                s.split(',').map(|p| Val::String(p.into())).collect(),
            )),
            _ => Err(format!("{raw} is not a comma-delimited list")),
        },
        // "json": a string is parsed (the empty string stays itself).
        _ => match raw {
            Json::String(s) if s.is_empty() => Ok(v),
            Json::String(s) => serde_json::from_str(s)
                .map(|j| json_to_val(&j))
                .map_err(|e| format!("{raw} is not JSON: {e}")),
            _ => Ok(v),
        },
    }
}

/// `Schema.str_to_num`: a number, or a string that reads as one.
fn str_to_num(v: &Val) -> Res<f64> {
    match v {
        Val::Number(n) => Ok(*n),
        Val::Bool(b) => Ok(f64::from(u8::from(*b))),
        Val::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number")),
        other => Err(format!("{} is not a number", show(other))),
    }
}

/// `oslo_utils.strutils.bool_from_string(strict=True)`.
fn bool_from_string(s: &str) -> Res<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Ok(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Ok(false),
        _ => Err(format!("{s:?} is not a boolean")),
    }
}

// ---------------------------------------------------------------------------
// Functions that need no template

fn str_split(a: Val) -> Res<Val> {
    if has_opaque(&a) {
        return Ok(unknown(&[&a]));
    }
    let Val::List(args) = a else {
        return Err("arguments must be [delimiter, string, (index)]".into());
    };
    let (Some(delim), Some(text)) = (args.first(), args.get(1)) else {
        return Err("arguments must be [delimiter, string, (index)]".into());
    };
    let text = match text {
        Val::Null => return Ok(Val::Null),
        Val::String(s) => s,
        other => return Err(format!("can only split a string, not {}", show(other))),
    };
    let parts: Vec<String> = match delim {
        Val::String(d) if d.is_empty() => return Err("the delimiter is empty".into()),
        Val::String(d) => text.split(d.as_str()).map(String::from).collect(),
        Val::Null => text.split_whitespace().map(String::from).collect(),
        other => {
            return Err(format!(
                "the delimiter must be a string, not {}",
                show(other)
            ));
        }
    };
    let Some(index) = args.get(2) else {
        return Ok(Val::List(parts.into_iter().map(Val::String).collect()));
    };
    let i = match index {
        Val::Number(n) => n.trunc() as i64,
        Val::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("index {s:?} is not a whole number"))?,
        other => return Err(format!("index {} is not a whole number", show(other))),
    };
    py_index(parts.len(), i)
        .map(|i| Val::String(parts[i].clone()))
        .ok_or(format!(
            "index {i} is out of range for {} parts",
            parts.len()
        ))
}

fn map_merge(a: Val) -> Res<Val> {
    let opaque = unknown(&[&a]);
    let Val::List(args) = a else {
        return Err("arguments must be a list of maps".into());
    };
    let mut out = IndexMap::new();
    for m in args {
        match m {
            Val::Null => {}
            Val::Object(m) => out.extend(m),
            Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => return Ok(opaque),
            other => return Err(format!("items to merge must be maps, not {}", show(&other))),
        }
    }
    Ok(Val::Object(out))
}

fn map_replace(a: Val) -> Res<Val> {
    if has_opaque(&a) {
        return Ok(unknown(&[&a]));
    }
    let usage = "arguments must be [map, {keys: map, values: map}]";
    let as_map = |v: Option<&Val>| match v {
        None | Some(Val::Null) => Ok(IndexMap::new()),
        Some(Val::Object(m)) => Ok(m.clone()),
        Some(_) => Err(usage.to_string()),
    };
    let Val::List(args) = &a else {
        return Err(usage.into());
    };
    if args.len() != 2 {
        return Err(usage.into());
    }
    let (input, replacements) = (as_map(args.first())?, as_map(args.get(1))?);
    if replacements.keys().any(|k| k != "keys" && k != "values") {
        return Err(usage.into());
    }
    let (keys, values) = (
        as_map(replacements.get("keys"))?,
        as_map(replacements.get("values"))?,
    );
    let mut out = IndexMap::new();
    for (k, v) in &input {
        let key = match keys.get(k) {
            None | Some(Val::Null) => k.clone(),
            Some(Val::String(new)) if new != k && input.contains_key(new) => {
                return Err(format!(
                    "key replacement {new} collides with a key in the input map"
                ));
            }
            Some(Val::String(new)) if out.contains_key(new) => {
                return Err(format!(
                    "key replacement {new} collides with a key in the output map"
                ));
            }
            Some(Val::String(new)) => new.clone(),
            Some(other) => return Err(format!("key replacement {} is not a string", show(other))),
        };
        // Only a string can equal a key of `values`.
        let value = match v {
            Val::String(s) => values.get(s).unwrap_or(v).clone(),
            _ => v.clone(),
        };
        out.insert(key, value);
    }
    Ok(Val::Object(out))
}

fn list_concat(a: Val, unique: bool) -> Res<Val> {
    let opaque = unknown(&[&a]);
    let Val::List(args) = a else {
        return Err("arguments must be a list of lists".into());
    };
    let mut out = Vec::new();
    for list in args {
        match list {
            Val::Null => {}
            Val::List(items) => out.extend(items),
            Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => return Ok(opaque),
            other => {
                return Err(format!(
                    "items to concat must be lists, not {}",
                    show(&other)
                ));
            }
        }
    }
    if !unique {
        return Ok(Val::List(out));
    }
    let mut kept: Vec<Val> = Vec::new();
    for item in out {
        match any_eq(&item, &kept) {
            Some(true) => {}
            Some(false) => kept.push(item),
            None => return Ok(opaque),
        }
    }
    Ok(Val::List(kept))
}

fn contains(a: Val) -> Res<Val> {
    let Val::List(args) = &a else {
        return Err("arguments must be [value, sequence]".into());
    };
    let [value, sequence] = args.as_slice() else {
        return Err("arguments must be [value, sequence]".into());
    };
    let decided = match (value, sequence) {
        (_, Val::List(items)) => any_eq(value, items),
        (Val::String(v), Val::String(s)) => Some(s.contains(v.as_str())),
        (_, Val::Ref(_) | Val::Attr(..) | Val::Unknown(_)) => None,
        (v, Val::String(_)) if has_opaque(v) => None,
        (v, Val::String(_)) => {
            return Err(format!(
                "can only look for a string in a string, not {}",
                show(v)
            ));
        }
        (_, other) => {
            return Err(format!(
                "the second argument must be a list, not {}",
                show(other)
            ));
        }
    };
    Ok(decided.map_or_else(|| unknown(&[&a]), Val::Bool))
}

fn filter(a: Val) -> Res<Val> {
    let opaque = unknown(&[&a]);
    let Val::List(mut args) = a else {
        return Err("arguments must be [values, list]".into());
    };
    if args.len() != 2 {
        return Err("arguments must be [values, list]".into());
    }
    let (sequence, values) = (args.remove(1), args.remove(0));
    if has_opaque_top(&sequence) || has_opaque_top(&values) {
        return Ok(opaque);
    }
    if !py_truthy(&sequence) {
        return Ok(sequence);
    }
    let Val::List(items) = sequence else {
        return Err("only filters a list".into());
    };
    if !py_truthy(&values) {
        return Ok(Val::List(items));
    }
    let Val::List(values) = values else {
        return Err("filters out a list of values".into());
    };
    let mut out = Vec::new();
    for item in items {
        match any_eq(&item, &values) {
            Some(false) => out.push(item),
            Some(true) => {}
            None => return Ok(opaque),
        }
    }
    Ok(Val::List(out))
}

fn digest(a: Val) -> Res<Val> {
    const ALGORITHMS: &[&str] = &[
        "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384",
        "sha3_512",
    ];
    if has_opaque(&a) {
        return Ok(unknown(&[&a]));
    }
    let Val::List(args) = &a else {
        return Err("arguments must be [algorithm, value]".into());
    };
    let [Val::String(algorithm), Val::String(_)] = args.as_slice() else {
        return Err("arguments must be [algorithm, value], both strings".into());
    };
    if !ALGORITHMS.contains(&algorithm.to_lowercase().as_str()) {
        return Err(format!("unknown algorithm {algorithm:?}"));
    }
    // Checked but not computed: see the module's comment.
    Ok(Val::Unknown(Vec::new()))
}

fn make_url(a: Val) -> Res<Val> {
    const KEYS: &[&str] = &[
        "scheme", "username", "password", "host", "port", "path", "query", "fragment",
    ];
    const USES_NETLOC: &str = "ftp http gopher nntp telnet imap wais file mms https shttp snews \
        prospero rtsp rtspu rsync svn svn+ssh sftp nfs git git+ssh ws wss itms-services";
    let Val::Object(args) = &a else {
        return Err("arguments must be a map".into());
    };
    if let Some(key) = args.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("`{key}` is not an argument"));
    }
    if has_opaque(&a) {
        return Ok(unknown(&[&a]));
    }
    let text = |key: &str| match args.get(key) {
        None => Ok(String::new()),
        Some(Val::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("`{key}` must be a string, not {}", show(other))),
    };
    let scheme = text("scheme")?;
    if scheme.contains(':') {
        return Err("the scheme must not contain ':'".into());
    }
    let (user, password) = (
        quote(&text("username")?, "", false),
        quote(&text("password")?, "", false),
    );
    let mut netloc = String::new();
    if !user.is_empty() || !password.is_empty() {
        netloc += &user;
        if !password.is_empty() {
            netloc += &format!(":{password}");
        }
        netloc.push('@');
    }
    let host = text("host")?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host);
    let host = quote(host, ":", false);
    netloc += &if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let port = match args.get("port") {
        None => String::new(),
        Some(v) => {
            let n = match v {
                Val::Number(n) if n.fract() == 0.0 => *n as i64,
                Val::String(s) => s
                    .trim()
                    .parse()
                    .map_err(|_| format!("invalid port {s:?}"))?,
                other => return Err(format!("invalid port {}", show(other))),
            };
            if !(1..=65535).contains(&n) {
                return Err(format!("invalid port {n}, must be in range 1-65535"));
            }
            py_str(v).unwrap_or_default()
        }
    };
    if !port.is_empty() {
        netloc += &format!(":{port}");
    }
    let path = quote(&text("path")?, "/", false);
    let query = match args.get("query") {
        None => String::new(),
        Some(Val::Object(q)) => {
            let mut pairs = Vec::new();
            for (k, v) in q {
                let v = py_str(v).ok_or(format!("query value {} is not a string", show(v)))?;
                pairs.push(format!("{}={}", quote(k, "", true), quote(&v, "", true)));
            }
            pairs.join("&").replace("%2F", "/")
        }
        Some(_) => return Err("`query` must be a map".into()),
    };
    let fragment = quote(&text("fragment")?, "/", false);
    // urllib.parse.urlunsplit (Python 3.11).
    let mut url = path;
    if !netloc.is_empty()
        || (!scheme.is_empty()
            && USES_NETLOC.split(' ').any(|u| u == scheme)
            && !url.starts_with("//"))
    {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{netloc}{url}");
    }
    if !scheme.is_empty() {
        url = format!("{scheme}:{url}");
    }
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    if !fragment.is_empty() {
        url = format!("{url}#{fragment}");
    }
    Ok(Val::String(url))
}

/// `urllib.parse.quote` (`quote_plus` with `plus`).
fn quote(s: &str, safe: &str, plus: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        let c = char::from(b);
        if b.is_ascii_alphanumeric() || "_.-~".contains(c) || (b.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else if plus && c == ' ' {
            out.push('+');
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

/// `Replace.result`'s recursion: split on the first placeholder, replace
/// the others in the pieces, join with the first's value.
fn replace<'k>(
    strings: Vec<String>,
    keys: &[(&'k str, String)],
    unused: &mut BTreeSet<&'k str>,
) -> Res<Vec<String>> {
    let Some(((placeholder, value), rest)) = keys.split_first() else {
        return Ok(strings);
    };
    if placeholder.is_empty() {
        return Err("a placeholder is empty".into());
    }
    strings
        .into_iter()
        .map(|s| {
            let pieces: Vec<String> = s.split(placeholder).map(String::from).collect();
            if pieces.len() > 1 {
                unused.remove(placeholder);
            }
            Ok(replace(pieces, rest, unused)?.join(value))
        })
        .collect()
}

/// `repeat`'s substitution: in every string, and in map keys.
fn substitute(template: &Val, keys: &[&str], values: &[&Val]) -> Res<Val> {
    Ok(match template {
        Val::String(s) => {
            let mut s = s.clone();
            for (key, value) in keys.iter().zip(values) {
                let Val::String(value) = value else {
                    return Err(format!(
                        "{} is substituted into text, so it must be a string",
                        show(value)
                    ));
                };
                s = s.replace(key, value);
            }
            Val::String(s)
        }
        Val::List(items) => Val::List(
            items
                .iter()
                .map(|i| substitute(i, keys, values))
                .collect::<Res<_>>()?,
        ),
        Val::Object(map) => {
            let mut out = IndexMap::new();
            for (k, v) in map {
                let Val::String(k) = substitute(&Val::String(k.clone()), keys, values)? else {
                    unreachable!()
                };
                out.insert(k, substitute(v, keys, values)?);
            }
            Val::Object(out)
        }
        other => other.clone(),
    })
}

/// A group member's copy of a value: its index in every string.
/// A member's value in its parent's terms: its own resources (`local`)
/// under `prefix`, what the parent gave it as it is.
fn prefixed(v: &Val, local: &BTreeSet<String>, prefix: &str) -> Val {
    let key = |k: &str| -> String {
        let base = k.split('[').next().unwrap_or(k);
        if local.contains(base) {
            format!("{prefix}{k}")
        } else {
            k.to_string()
        }
    };
    match v {
        Val::Ref(k) => Val::Ref(key(k)),
        Val::Attr(k, a) => Val::Attr(key(k), a.clone()),
        Val::Unknown(keys) => Val::Unknown(keys.iter().map(|k| key(k)).collect()),
        Val::List(items) => Val::List(items.iter().map(|i| prefixed(i, local, prefix)).collect()),
        Val::Object(m) => Val::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), prefixed(v, local, prefix)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `get_attr`'s path after an output: keys of maps, indexes of lists; an
/// attribute known only when deploying extends its path.
fn follow(value: &Val, path: &[Val]) -> Res<Val> {
    let mut value = value.clone();
    for key in path {
        let k = component(key)?;
        value = match value {
            Val::Object(m) => m.get(&k).cloned().unwrap_or(Val::Null),
            Val::List(items) => {
                match k.parse::<i64>().ok().and_then(|i| py_index(items.len(), i)) {
                    Some(i) => items[i].clone(),
                    None => Val::Null,
                }
            }
            Val::Attr(r, a) => Val::Attr(r, format!("{a}.{k}")),
            Val::Ref(r) => Val::Attr(r, k),
            other @ Val::Unknown(_) => other,
            other => return Err(format!("{} has no `{k}`", show(&other))),
        };
    }
    Ok(value)
}

/// A value known when the template is read, as JSON.
fn val_to_json(v: &Val) -> Option<Json> {
    Some(match v {
        Val::Null => Json::Null,
        Val::Bool(b) => Json::Bool(*b),
        Val::Number(n) => serde_json::Number::from_f64(*n).map(Json::Number)?,
        Val::String(s) => Json::String(s.clone()),
        Val::List(items) => Json::Array(items.iter().map(val_to_json).collect::<Option<_>>()?),
        Val::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Some((k.clone(), val_to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => return None,
    })
}

fn put_index(v: &Val, var: &str, index: &str) -> Val {
    match v {
        Val::String(s) => Val::String(s.replace(var, index)),
        Val::List(items) => Val::List(items.iter().map(|i| put_index(i, var, index)).collect()),
        Val::Object(m) => Val::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), put_index(v, var, index)))
                .collect(),
        ),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------
// Python's view of values

fn single(map: &Map<String, Json>) -> Option<(&str, &Json)> {
    (map.len() == 1)
        .then(|| map.iter().next().map(|(k, v)| (k.as_str(), v)))
        .flatten()
}

fn json_to_val(j: &Json) -> Val {
    match j {
        Json::Null => Val::Null,
        Json::Bool(b) => Val::Bool(*b),
        Json::Number(n) => Val::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Val::String(s.clone()),
        Json::Array(items) => Val::List(items.iter().map(json_to_val).collect()),
        Json::Object(m) => {
            Val::Object(m.iter().map(|(k, v)| (k.clone(), json_to_val(v))).collect())
        }
    }
}

/// Does the value hold something known only when deploying?
fn has_opaque(v: &Val) -> bool {
    match v {
        Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => true,
        Val::List(items) => items.iter().any(has_opaque),
        Val::Object(m) => m.values().any(has_opaque),
        _ => false,
    }
}

fn has_opaque_top(v: &Val) -> bool {
    matches!(v, Val::Ref(_) | Val::Attr(..) | Val::Unknown(_))
}

/// A value known only when deploying, made from `parts`.
fn unknown(parts: &[&Val]) -> Val {
    let mut keys = BTreeSet::new();
    parts.iter().for_each(|p| p.references(&mut keys));
    Val::Unknown(keys.into_iter().collect())
}

fn py_index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

fn py_truthy(v: &Val) -> bool {
    match v {
        Val::Null => false,
        Val::Bool(b) => *b,
        Val::Number(n) => *n != 0.0,
        Val::String(s) => !s.is_empty(),
        Val::List(l) => !l.is_empty(),
        Val::Object(m) => !m.is_empty(),
        Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => true,
    }
}

/// Python's `==`; `None` when a value known only when deploying decides it
/// (two ids of different resources differ; two attributes may be equal).
fn py_eq(a: &Val, b: &Val) -> Option<bool> {
    let all = |pairs: &mut dyn Iterator<Item = Option<bool>>| {
        let mut undecided = false;
        for eq in pairs {
            match eq {
                Some(false) => return Some(false),
                None => undecided = true,
                Some(true) => {}
            }
        }
        (!undecided).then_some(true)
    };
    let num = |v: &Val| match v {
        Val::Number(n) => Some(*n),
        Val::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    match (a, b) {
        (Val::Unknown(_), _) | (_, Val::Unknown(_)) => None,
        (Val::Ref(x), Val::Ref(y)) => Some(x == y),
        (Val::Attr(x, p), Val::Attr(y, q)) if x == y && p == q => Some(true),
        (Val::Ref(_) | Val::Attr(..), _) | (_, Val::Ref(_) | Val::Attr(..)) => None,
        (Val::Null, Val::Null) => Some(true),
        (Val::String(x), Val::String(y)) => Some(x == y),
        (Val::List(x), Val::List(y)) if x.len() == y.len() => {
            all(&mut x.iter().zip(y).map(|(p, q)| py_eq(p, q)))
        }
        (Val::Object(x), Val::Object(y))
            if x.len() == y.len() && x.keys().all(|k| y.contains_key(k)) =>
        {
            all(&mut x.iter().map(|(k, v)| py_eq(v, &y[k])))
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Some(x == y),
            _ => Some(false),
        },
    }
}

fn any_eq(v: &Val, items: &[Val]) -> Option<bool> {
    let mut undecided = false;
    for item in items {
        match py_eq(v, item) {
            Some(true) => return Some(true),
            None => undecided = true,
            Some(false) => {}
        }
    }
    (!undecided).then_some(false)
}

/// Python's `str()` of a scalar. Integral numbers print without `.0`: the
/// model keeps no int/float distinction (Heat's `100.0` would print `100.0`).
fn py_str(v: &Val) -> Option<String> {
    Some(match v {
        Val::String(s) => s.clone(),
        Val::Bool(true) => "True".into(),
        Val::Bool(false) => "False".into(),
        Val::Number(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e16 => {
            format!("{}", *n as i64)
        }
        Val::Number(n) if n.is_nan() => "nan".into(),
        Val::Number(n) if n.is_infinite() => if *n > 0.0 { "inf" } else { "-inf" }.into(),
        Val::Number(n) => format!("{n}"),
        _ => return None,
    })
}

/// `json.dumps(v, sort_keys=True)`: `", "` and `": "` separators, non-ASCII escaped.
fn py_json(v: &Val) -> Option<String> {
    Some(match v {
        Val::Null => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Number(n) if n.is_nan() => "NaN".into(),
        Val::Number(n) if n.is_infinite() => if *n > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Val::Number(_) => py_str(v)?,
        Val::String(s) => {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out += "\\\"",
                    '\\' => out += "\\\\",
                    '\n' => out += "\\n",
                    '\r' => out += "\\r",
                    '\t' => out += "\\t",
                    '\u{8}' => out += "\\b",
                    '\u{c}' => out += "\\f",
                    ' '..='~' => out.push(c),
                    _ => c
                        .encode_utf16(&mut [0; 2])
                        .iter()
                        .for_each(|u| out += &format!("\\u{u:04x}")),
                }
            }
            out.push('"');
            out
        }
        Val::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(py_json)
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
        Val::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let fields = keys.iter().map(|k| {
                Some(format!(
                    "{}: {}",
                    py_json(&Val::String((*k).clone()))?,
                    py_json(&m[*k])?
                ))
            });
            format!("{{{}}}", fields.collect::<Option<Vec<_>>>()?.join(", "))
        }
        Val::Ref(_) | Val::Attr(..) | Val::Unknown(_) => return None,
    })
}

/// A value in a message.
fn show(v: &Val) -> String {
    py_json(v).unwrap_or_else(|| format!("{v:?}"))
}

/// One part of a `get_attr` path, as text.
fn component(v: &Val) -> Res<String> {
    match v {
        Val::String(s) => Ok(s.clone()),
        Val::Number(n) if n.fract() == 0.0 => Ok(py_str(v).unwrap_or_default()),
        other => Err(format!("{} is not an attribute name or index", show(other))),
    }
}

fn null_problem(v: &Val) -> String {
    let what = if *v == Val::Null {
        "is null"
    } else {
        "holds a null"
    };
    format!("{what}: Heat passes the property's default or an empty value there, not nothing")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn run(template: Json, params: &[(&str, Json)]) -> Deployed {
        let params = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        deploy(&template, &params)
    }

    /// A 2018-08-31 template (what the backend writes by default).
    fn hot(body: Json) -> Json {
        let mut t = json!({ "heat_template_version": "2018-08-31" });
        t.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        t
    }

    fn prop<'d>(d: &'d Deployed, key: &str, property: &str) -> &'d Val {
        &d.resources[key].properties[property]
    }

    fn s(text: &str) -> Val {
        Val::String(text.into())
    }

    fn has_problem(d: &Deployed, part: &str) -> bool {
        d.problems.iter().any(|p| p.contains(part))
    }

    fn env_template() -> Json {
        hot(json!({
            "parameters": {
                "env": { "type": "string", "default": "staging",
                         "constraints": [{ "allowed_values": ["staging", "production"] }] },
                "zone": { "type": "string", "default": "" }
            },
            "conditions": {
                "prod": { "equals": [{ "get_param": "env" }, "production"] },
                "not_prod": { "not": "prod" },
                "prod_in_zone": { "and": ["prod", { "not": { "equals": [{ "get_param": "zone" }, ""] } }] },
                "either": { "or": ["prod", { "contains": [{ "get_param": "zone" }, ["a", "b"]] }] }
            },
            "resources": {
                "net": { "type": "OS::Neutron::Net" },
                "bastion": { "type": "OS::Nova::Server", "condition": "prod",
                             "properties": { "flavor": { "if": ["prod", "m1.large", "m1.small"] } } },
                "debug": { "type": "OS::Nova::Server", "condition": "not_prod" },
                "zonal": { "type": "OS::Nova::Server", "condition": "prod_in_zone" },
                "either": { "type": "OS::Nova::Server", "condition": "either" },
                "inline": { "type": "OS::Nova::Server",
                            "condition": { "equals": [{ "get_param": "zone" }, "b"] } }
            },
            "outputs": {
                "bastion_id": { "value": { "get_resource": "bastion" }, "condition": "prod" },
                "flavor": { "value": { "if": ["prod", { "get_attr": ["bastion", "name"] }, "none"] } }
            }
        }))
    }

    #[test]
    fn conditions_select_resources_both_ways() {
        let d = run(env_template(), &[]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
        assert_eq!(keys, ["net", "debug"]);
        assert_eq!(d.outputs.get("bastion_id"), None);
        assert_eq!(d.outputs["flavor"], s("none"));

        let d = run(
            env_template(),
            &[("env", json!("production")), ("zone", json!("b"))],
        );
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
        assert_eq!(keys, ["net", "bastion", "zonal", "either", "inline"]);
        assert_eq!(prop(&d, "bastion", "flavor"), &s("m1.large"));
        assert_eq!(d.outputs["bastion_id"], Val::Ref("bastion".into()));
        assert_eq!(
            d.outputs["flavor"],
            Val::Attr("bastion".into(), "name".into())
        );

        let d = run(env_template(), &[("zone", json!("a"))]);
        assert!(d.resources.contains_key("either") && !d.resources.contains_key("inline"));
    }

    #[test]
    fn condition_null_and_bad_conditions_are_problems() {
        let t = hot(json!({
            "parameters": { "p": { "type": "string" } },
            "conditions": {
                "over_null": { "equals": [{ "get_param": "p" }, "x"] },
                "bare_name": "over_null",
                "loop": { "not": "loop" },
                "templated": { "equals": [{ "str_replace": { "template": "a", "params": {} } }, "a"] }
            },
            "resources": {
                "a": { "type": "OS::Neutron::Net", "condition": null },
                "b": { "type": "OS::Neutron::Net", "condition": "missing" },
                "c": { "type": "OS::Neutron::Net" }
            }
        }));
        let d = run(t, &[]);
        for part in [
            "parameter `p` has no value",
            "condition `over_null`: equals: compares a null",
            "condition `bare_name`: is neither",
            "defined in terms of itself",
            "`str_replace` is not allowed in a condition",
            "resource `a` condition: null is not",
            "resource `b` condition: no condition named `missing`",
        ] {
            assert!(has_problem(&d, part), "no {part:?} in {:#?}", d.problems);
        }
        assert_eq!(d.resources.keys().collect::<Vec<_>>(), ["c"]);
    }

    #[test]
    fn if_with_and_without_else() {
        let body = json!({
            "parameters": { "on": { "type": "boolean", "default": false } },
            "conditions": { "on": { "get_param": "on" } },
            "resources": { "r": { "type": "OS::Nova::Server", "properties": {
                "with_else": { "if": ["on", "yes", "no"] },
                "without_else": { "if": ["on", "yes"] },
                "in_list": ["a", { "if": ["on", "b"] }],
                "inline": { "if": [{ "not": "on" }, 1, 2] }
            } } }
        });
        let mut t = body.clone();
        t["heat_template_version"] = json!("2021-04-16");
        let d = run(t.clone(), &[]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let props = &d.resources["r"].properties;
        assert_eq!(props["with_else"], s("no"));
        assert!(!props.contains_key("without_else"));
        assert_eq!(props["in_list"], Val::List(vec![s("a")]));
        assert_eq!(props["inline"], Val::Number(1.0));
        let d = run(t, &[("on", json!("true"))]);
        assert_eq!(prop(&d, "r", "without_else"), &s("yes"));
        assert_eq!(prop(&d, "r", "in_list"), &Val::List(vec![s("a"), s("b")]));
        // Before 2021-04-16 `if` needs its three arguments.
        let d = run(hot(body), &[]);
        assert!(
            has_problem(&d, "property `without_else`: if: arguments must be"),
            "{:?}",
            d.problems
        );
    }

    #[test]
    fn an_untaken_branch_may_name_an_absent_resource_a_taken_one_may_not() {
        let t = hot(json!({
            "parameters": { "env": { "type": "string", "default": "staging" } },
            "conditions": { "prod": { "equals": [{ "get_param": "env" }, "production"] } },
            "resources": {
                "bastion": { "type": "OS::Nova::Server", "condition": "prod" },
                "guarded": { "type": "OS::Neutron::FloatingIP",
                             "properties": { "port_id": { "if": ["prod", { "get_resource": "bastion" }, "none"] } } },
                "unguarded": { "type": "OS::Neutron::FloatingIP",
                               "properties": { "port_id": { "get_attr": ["bastion", "first_address"] } } }
            }
        }));
        let d = run(t.clone(), &[]);
        assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
        assert!(has_problem(
            &d,
            "resource `unguarded` property `port_id`: get_attr: resource `bastion` does not exist"
        ));
        assert_eq!(prop(&d, "guarded", "port_id"), &s("none"));
        let d = run(t, &[("env", json!("production"))]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert!(d.depends("unguarded", "bastion"));
    }

    #[test]
    fn get_param_with_a_path() {
        let t = hot(json!({
            "parameters": {
                "cfg": { "type": "json", "default": { "a": { "b": [10, 20] } } },
                "names": { "type": "comma_delimited_list", "default": "x,y" }
            },
            "resources": { "r": { "type": "T", "properties": {
                "deep": { "get_param": ["cfg", "a", "b", 1] },
                "by_text": { "get_param": ["cfg", "a", "b", "0"] },
                "missing": { "get_param": ["cfg", "nope", 3] },
                "item": { "get_param": ["names", 1] },
                "last": { "get_param": ["names", -1] },
                "whole": { "get_param": "names" }
            } } }
        }));
        let d = run(t.clone(), &[]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let p = &d.resources["r"].properties;
        assert_eq!(p["deep"], Val::Number(20.0));
        assert_eq!(p["by_text"], Val::Number(10.0));
        assert_eq!(
            p["missing"],
            s(""),
            "Heat gives '' for a path that leads nowhere"
        );
        assert_eq!(p["item"], s("y"));
        assert_eq!(p["last"], s("y"));
        let d = run(
            t,
            &[
                ("cfg", json!("{\"a\": {\"b\": [1, 2]}}")),
                ("names", json!(["p", 7])),
            ],
        );
        assert_eq!(prop(&d, "r", "deep"), &Val::Number(2.0));
        assert_eq!(prop(&d, "r", "whole"), &Val::List(vec![s("p"), s("7")]));
    }

    #[test]
    fn str_replace_known_and_unknown() {
        let t = hot(json!({
            "parameters": { "n": { "type": "number", "default": 3 } },
            "resources": {
                "db": { "type": "OS::Trove::Instance" },
                "r": { "type": "T", "properties": {
                    "known": { "str_replace": { "template": "$n-$nn-$x $l",
                        "params": { "$n": { "get_param": "n" }, "$nn": "long", "$x": true, "$l": { "b": 1, "a": [null] } } } },
                    "unknown": { "str_replace": { "template": "host=$h",
                        "params": { "$h": { "get_attr": ["db", "hostname"] } } } },
                    "strict": { "str_replace_strict": { "template": "a", "params": { "$q": "b" } } },
                    "vstrict": { "str_replace_vstrict": { "template": "$q", "params": { "$q": "" } } }
                } }
            }
        }));
        let d = run(t, &[]);
        let p = &d.resources["r"].properties;
        assert_eq!(p["known"], s("3-long-True {\"a\": [null], \"b\": 1}"));
        assert_eq!(p["unknown"], Val::Unknown(vec!["db".into()]));
        assert!(d.depends("r", "db"));
        assert!(has_problem(
            &d,
            "property `strict`: str_replace_strict: params not found in the template: $q"
        ));
        assert!(has_problem(
            &d,
            "property `vstrict`: str_replace_vstrict: param `$q` is null or empty"
        ));
        assert_eq!(d.problems.len(), 2, "{:?}", d.problems);
    }

    #[test]
    fn other_functions() {
        let t = hot(json!({
            "resources": { "r": { "type": "T", "properties": {
                "join": { "list_join": [", ", ["a", "b"], [], ["c", { "k": 1 }]] },
                "split": { "str_split": [",", "a,b,c", 1] },
                "merge": { "map_merge": [{ "a": 1, "b": 2 }, null, { "a": 3 }] },
                "replace": { "map_replace": [{ "k": "v", "x": "y" }, { "keys": { "k": "K" }, "values": { "y": "Y" } }] },
                "concat": { "list_concat_unique": [["a", "b"], ["b", "c"]] },
                "in": { "contains": ["b", ["a", "b"]] },
                "filtered": { "filter": [["b"], ["a", "b", "c"]] },
                "repeated": { "repeat": { "for_each": { "%p%": ["80", "443"] }, "template": { "port": "%p%" } } },
                "url": { "make_url": { "scheme": "https", "host": "example.com", "port": 8443,
                                       "path": "/a b", "query": { "q": "x/y z" } } },
                "ids": { "list_join": [",", [{ "get_resource": "r2" }]] }
            } }, "r2": { "type": "T" } }
        }));
        let d = run(t, &[]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let p = &d.resources["r"].properties;
        assert_eq!(p["join"], s("a, b, c, {\"k\": 1}"));
        assert_eq!(p["split"], s("b"));
        let merged = IndexMap::from([
            ("a".to_string(), Val::Number(3.0)),
            ("b".to_string(), Val::Number(2.0)),
        ]);
        assert_eq!(p["merge"], Val::Object(merged));
        let replaced = IndexMap::from([("K".to_string(), s("v")), ("x".to_string(), s("Y"))]);
        assert_eq!(p["replace"], Val::Object(replaced));
        assert_eq!(p["concat"], Val::List(vec![s("a"), s("b"), s("c")]));
        assert_eq!(p["in"], Val::Bool(true));
        assert_eq!(p["filtered"], Val::List(vec![s("a"), s("c")]));
        let port = |v: &str| Val::Object(IndexMap::from([("port".to_string(), s(v))]));
        assert_eq!(p["repeated"], Val::List(vec![port("80"), port("443")]));
        assert_eq!(p["url"], s("https://example.com:8443/a%20b?q=x/y+z"));
        assert_eq!(p["ids"], Val::Unknown(vec!["r2".into()]));
    }

    #[test]
    fn unknown_removed_and_unevaluated_functions_are_problems() {
        let t = hot(json!({
            "resources": { "r": { "type": "T", "properties": {
                "cfn": { "Fn::Join": ["", ["a"]] },
                "cond": { "equals": [1, 1] },
                "yaql": { "yaql": { "expression": "1" } },
                "file": { "get_file": "x.sh" },
                "data": { "network": "public" }
            } } }
        }));
        let d = run(t, &[]);
        assert!(has_problem(
            &d,
            "property `cfn`: `Fn::Join` is a CloudFormation function"
        ));
        assert!(has_problem(
            &d,
            "property `cond`: `equals` is a condition function"
        ));
        assert!(has_problem(&d, "property `yaql`: yaql: not evaluated"));
        assert!(has_problem(&d, "property `file`: get_file"));
        assert_eq!(d.problems.len(), 4, "{:?}", d.problems);
        let data = Val::Object(IndexMap::from([("network".to_string(), s("public"))]));
        assert_eq!(prop(&d, "r", "data"), &data);
        // A function newer than the template's version.
        let mut t = hot(json!({ "resources": { "r": { "type": "T", "properties": {
            "x": { "list_concat": [[1], [2]] } } } } }));
        t["heat_template_version"] = json!("2016-10-14");
        assert!(has_problem(
            &run(t, &[]),
            "`list_concat` needs heat_template_version 2017-09-01"
        ));
    }

    fn group(count: Json) -> Json {
        hot(json!({
            "parameters": { "n": { "type": "number", "default": 3 } },
            "resources": {
                "net": { "type": "OS::Neutron::Net" },
                "vols": { "type": "OS::Heat::ResourceGroup", "deletion_policy": "retain", "depends_on": "net",
                          "properties": { "count": count, "resource_def": {
                              "type": "OS::Cinder::Volume",
                              "properties": { "name": "vol-%index%", "size": 10, "tags": ["t%index%"],
                                              "gone": null, "net": { "get_resource": "net" } } } } },
                "user": { "type": "T", "properties": {
                    "all": { "get_attr": ["vols", "refs"] },
                    "first": { "get_attr": ["vols", "resource.0"] },
                    "size": { "get_attr": ["vols", "resource.2", "size"] },
                    "sizes": { "get_attr": ["vols", "size"] },
                    "dotted": { "get_attr": ["vols", "resource.1.a.b"] }
                } }
            }
        }))
    }

    #[test]
    fn a_group_over_a_member_template_deploys_each_member_as_a_nested_stack() {
        let member = hot(json!({
            "parameters": {
                "index": { "type": "string" },
                "net": { "type": "string" },
                "peers": { "type": "comma_delimited_list" }
            },
            "resources": {
                "port": { "type": "OS::Neutron::Port", "properties": { "network": { "get_param": "net" } } },
                "server": {
                    "type": "OS::Nova::Server",
                    "properties": {
                        "name": { "str_replace": { "template": "s-$i", "params": { "$i": { "get_param": "index" } } } },
                        "networks": [{ "port": { "get_resource": "port" } }],
                        "peer": { "get_param": ["peers", { "get_param": "index" }] }
                    }
                }
            },
            "outputs": {
                "address": { "value": { "get_attr": ["port", "fixed_ips", 0, "ip_address"] } },
                "id": { "value": { "get_resource": "server" } }
            }
        }));
        let main = hot(json!({
            "parameters": { "n": { "type": "number" } },
            "resources": {
                "net": { "type": "OS::Neutron::Net" },
                "peers": {
                    "type": "OS::Heat::ResourceGroup",
                    "properties": {
                        "count": { "get_param": "n" },
                        "resource_def": { "type": "OS::Neutron::Port", "properties": { "name": "p%index%" } }
                    }
                },
                "web": {
                    "type": "OS::Heat::ResourceGroup",
                    "properties": {
                        "count": { "get_param": "n" },
                        "resource_def": {
                            "type": "member.yaml",
                            "properties": {
                                "index": "%index%",
                                "net": { "get_resource": "net" },
                                "peers": { "get_attr": ["peers", "refs"] }
                            }
                        }
                    }
                }
            },
            "outputs": {
                "addresses": { "value": { "get_attr": ["web", "address"] } },
                "second": { "value": { "get_attr": ["web", "resource.1", "id"] } }
            }
        }));
        let files = IndexMap::from([("member.yaml".to_string(), member)]);
        let params = IndexMap::from([("n".to_string(), json!(2))]);
        let d = deploy_with_files(&main, &params, &files);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "net",
                "peers[0]",
                "peers[1]",
                "web[0].port",
                "web[0].server",
                "web[1].port",
                "web[1].server"
            ]
        );
        let server = &d.resources["web[1].server"];
        assert_eq!(server.name, "web[1].server");
        assert_eq!(server.properties["name"], s("s-1"));
        assert_eq!(
            server.properties["networks"],
            Val::List(vec![Val::Object(IndexMap::from([(
                "port".to_string(),
                Val::Ref("web[1].port".into())
            )]))])
        );
        // The parent's values pass as they are; a list is picked by index.
        assert_eq!(
            d.resources["web[0].port"].properties["network"],
            Val::Ref("net".into())
        );
        assert_eq!(server.properties["peer"], Val::Ref("peers[1]".into()));
        assert_eq!(
            d.outputs["addresses"],
            Val::List(vec![
                Val::Attr("web[0].port".into(), "fixed_ips.0.ip_address".into()),
                Val::Attr("web[1].port".into(), "fixed_ips.0.ip_address".into()),
            ])
        );
        assert_eq!(d.outputs["second"], Val::Ref("web[1].server".into()));
        assert!(d.depends("web[1].server", "web[1].port") && d.depends("web[1].port", "net"));

        // A member's problems are the stack's; an output it lacks is one.
        let mut bad = main.clone();
        bad["outputs"]["addresses"]["value"]["get_attr"][1] = json!("nothing");
        let d = deploy_with_files(&bad, &params, &files);
        assert!(
            has_problem(&d, "has no output `nothing`"),
            "{:?}",
            d.problems
        );
        let d = deploy_with_files(
            &main,
            &IndexMap::from([("n".to_string(), json!(0))]),
            &files,
        );
        assert_eq!(d.outputs["addresses"], Val::List(Vec::new()));
        assert!(
            d.resources.keys().all(|k| k == "net"),
            "{:?}",
            d.resources.keys()
        );
        assert_eq!(
            d.problems,
            ["output `second`: get_attr: group `web` has no member `1` (count 0)"]
        );
    }

    #[test]
    fn resource_group_members() {
        let d = run(group(json!({ "get_param": "n" })), &[]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
        assert_eq!(keys, ["net", "vols[0]", "vols[1]", "vols[2]", "user"]);
        let m = &d.resources["vols[2]"];
        assert_eq!(
            (m.name.as_str(), m.index, m.type_name.as_str()),
            ("vols", Some(2), "OS::Cinder::Volume")
        );
        assert_eq!(m.properties["name"], s("vol-2"));
        assert_eq!(m.properties["tags"], Val::List(vec![s("t2")]));
        assert!(
            !m.properties.contains_key("gone"),
            "Heat drops a member's null properties"
        );
        assert_eq!(
            (m.depends_on.clone(), m.deletion.clone()),
            (vec!["net".to_string()], Some("Retain".to_string()))
        );
        let p = &d.resources["user"].properties;
        let each = |read: &dyn Fn(String) -> Val| {
            Val::List((0..3).map(|i| read(format!("vols[{i}]"))).collect())
        };
        assert_eq!(p["all"], each(&Val::Ref));
        assert_eq!(p["first"], Val::Ref("vols[0]".into()));
        assert_eq!(p["size"], Val::Attr("vols[2]".into(), "size".into()));
        assert_eq!(p["sizes"], each(&|m| Val::Attr(m, "size".into())));
        assert_eq!(p["dotted"], Val::Attr("vols[1]".into(), "a.b".into()));
        assert!(d.depends("user", "vols[1]") && d.depends("vols[1]", "net"));

        let d = run(group(json!(0)), &[]);
        assert!(d.resources.keys().all(|k| !k.starts_with("vols")));
        assert!(
            has_problem(&d, "get_attr: group `vols` has no member `0` (count 0)"),
            "{:?}",
            d.problems
        );
        assert_eq!(d.outputs.len(), 0);
        for bad in [json!(-1), json!(1.5), json!("x"), json!(null)] {
            let d = run(group(bad.clone()), &[]);
            assert!(
                has_problem(&d, "resource `vols` property `count` is"),
                "{bad}: {:?}",
                d.problems
            );
        }
    }

    #[test]
    fn depends_on_and_deletion_policy() {
        let t = hot(json!({
            "conditions": { "never": false },
            "resources": {
                "a": { "type": "T" },
                "off": { "type": "T", "condition": "never" },
                "b": { "type": "T", "depends_on": ["a", "off"], "deletion_policy": "Snapshot" },
                "c": { "type": "T", "depends_on": "ghost", "deletion_policy": "Keep" }
            }
        }));
        let d = run(t, &[]);
        assert_eq!(
            d.resources["b"].depends_on,
            ["a"],
            "a dependency on an absent resource is ignored, as Heat does"
        );
        assert_eq!(d.resources["b"].deletion.as_deref(), Some("Snapshot"));
        assert!(d.depends("b", "a") && !d.depends("a", "b"));
        assert!(has_problem(
            &d,
            "resource `c` depends_on `ghost`: no such resource"
        ));
        assert!(has_problem(
            &d,
            "resource `c` deletion_policy \"Keep\" is not a deletion policy"
        ));
        assert_eq!(d.problems.len(), 2, "{:?}", d.problems);
    }

    #[test]
    fn dependency_cycles_are_problems() {
        let t = hot(json!({ "resources": {
            "a": { "type": "T", "properties": { "b": { "get_resource": "b" } } },
            "b": { "type": "T", "depends_on": "a" },
            "c": { "type": "T", "properties": { "me": { "get_attr": ["c", "x"] } } },
            "d": { "type": "T", "depends_on": "a" }
        } }));
        let mut problems = run(t, &[]).problems;
        problems.sort();
        let expected = ["a", "b", "c"].map(|r| format!("resource `{r}` depends on itself"));
        assert_eq!(problems, expected);
    }

    #[test]
    fn parameter_defaults_conversions_and_constraints() {
        let t = hot(json!({
            "parameters": {
                "name": { "type": "string", "default": "web",
                          "constraints": [{ "length": { "min": 2, "max": 4 } }, { "allowed_pattern": "[a-z]+" }] },
                "size": { "type": "number", "default": 10,
                          "constraints": [{ "range": { "min": 1, "max": 100 }, "description": "1 to 100" }] },
                "even": { "type": "number", "default": 2, "constraints": [{ "modulo": { "step": 2, "offset": 0 } }] },
                "flag": { "type": "boolean", "default": "yes" },
                "tier": { "type": "string", "default": "a", "constraints": [{ "allowed_values": ["a", "b"] }] },
                "key": { "type": "string" }
            },
            "resources": { "r": { "type": "T", "properties": {
                "name": { "get_param": "name" }, "size": { "get_param": "size" },
                "flag": { "get_param": "flag" }, "key": { "get_param": "key" }
            } } }
        }));
        let d = run(t.clone(), &[("key", json!("k"))]);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let p = &d.resources["r"].properties;
        assert_eq!(
            (&p["name"], &p["size"], &p["flag"]),
            (&s("web"), &Val::Number(10.0), &Val::Bool(true))
        );
        let d = run(
            t.clone(),
            &[
                ("key", json!(5)),
                ("size", json!("42")),
                ("flag", json!("off")),
            ],
        );
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let p = &d.resources["r"].properties;
        assert_eq!(
            (&p["key"], &p["size"], &p["flag"]),
            (&s("5"), &Val::Number(42.0), &Val::Bool(false))
        );

        let bad = [
            ("name", json!("webserver"), "length"),
            ("name", json!("WEB"), "does not match"),
            ("size", json!(500), "500 1 to 100"),
            ("size", json!("lots"), "\"lots\" is not a number"),
            ("even", json!(3), "modulo"),
            ("flag", json!("maybe"), "is not a boolean"),
            ("tier", json!("c"), "allowed_values"),
            ("nope", json!(1), "parameter `nope` is given but"),
        ];
        for (name, value, part) in bad {
            let d = run(t.clone(), &[("key", json!("k")), (name, value.clone())]);
            assert!(has_problem(&d, part), "{name}={value}: {:?}", d.problems);
        }
        let d = run(t, &[]);
        assert!(has_problem(
            &d,
            "parameter `key` has no value and no default"
        ));
        assert!(
            has_problem(&d, "resource `r` property `key` is null"),
            "{:?}",
            d.problems
        );
        // A default that breaks its own constraint is a problem even when a value is given.
        let t = hot(
            json!({ "parameters": { "p": { "type": "number", "default": 0,
                                                  "constraints": [{ "range": { "min": 1 } }] } } }),
        );
        assert!(has_problem(
            &run(t, &[("p", json!(5))]),
            "parameter `p`: default: 0"
        ));
        let t = hot(
            json!({ "parameters": { "p": { "type": "string", "default": "a",
                                                  "constraints": [{ "range": { "min": 1 } }] } } }),
        );
        assert!(has_problem(
            &run(t, &[]),
            "a range constraint does not apply to a string"
        ));
    }

    #[test]
    fn null_properties_are_problems_and_version_is_checked() {
        let t = hot(json!({
            "parameters": { "on": { "type": "boolean", "default": false } },
            "conditions": { "on": { "get_param": "on" } },
            "resources": { "r": { "type": "T", "properties": {
                "key_name": { "if": ["on", "ops", null] }, "nets": [{ "port": null }]
            } } }
        }));
        let d = run(t, &[]);
        assert!(has_problem(&d, "resource `r` property `key_name` is null"));
        assert!(has_problem(&d, "resource `r` property `nets` holds a null"));
        assert_eq!(prop(&d, "r", "key_name"), &Val::Null);
        let d = run(json!({ "heat_template_version": "2019-01-01" }), &[]);
        assert!(has_problem(&d, "not a version Heat knows"));
        let rocky =
            json!({ "heat_template_version": "rocky", "resources": { "r": { "type": "T" } } });
        let d = run(rocky, &[]);
        assert!(
            d.problems.is_empty() && d.resources.contains_key("r"),
            "{:?}",
            d.problems
        );
    }

    // -----------------------------------------------------------------------
    // The examples' templates

    /// The Heat templates among the example snapshots, without insta's header.
    fn snapshots() -> Vec<(String, Json)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/example_snapshots");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "snap"))
            .filter(|p| p.file_name().unwrap().to_string_lossy().contains("heat"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                let start = text
                    .find("\n{\n")
                    .map(|i| i + 1)
                    .expect("no JSON in the snapshot");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, serde_json::from_str(&text[start..]).unwrap())
            })
            .collect()
    }

    /// Does `value` meet the parameter's definition (type and constraints)?
    fn fits(schema: &Json, value: &Json) -> bool {
        let t = hot(json!({ "parameters": { "p": schema } }));
        run(t, &[("p", value.clone())]).problems.is_empty()
    }

    /// A value for a parameter without default: the first candidate that fits.
    fn sample(name: &str, schema: &Json) -> Json {
        let mut candidates = Vec::new();
        for c in schema["constraints"].as_array().into_iter().flatten() {
            candidates.extend(
                c["allowed_values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            candidates.extend(c["range"]["min"].as_f64().map(|n| json!(n)));
        }
        candidates.extend([
            json!("ubuntu-24.04"),
            json!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheOracle admin@example.com"),
            json!("example.com"),
            json!("203.0.113.0/24"),
            json!(1),
            json!(false),
            json!({}),
        ]);
        candidates
            .into_iter()
            .find(|c| fits(schema, c))
            .unwrap_or_else(|| panic!("no sample value fits parameter `{name}`: {schema}"))
    }

    #[test]
    fn every_heat_example_snapshot_deploys_without_problems() {
        let snapshots = snapshots();
        assert!(
            snapshots.len() >= 8,
            "found only {} Heat snapshots",
            snapshots.len()
        );
        for (file, t) in &snapshots {
            let parameters = t["parameters"].as_object().cloned().unwrap_or_default();
            let base: IndexMap<String, Json> = parameters
                .iter()
                .filter(|(_, schema)| schema.get("default").is_none())
                .map(|(name, schema)| (name.clone(), sample(name, schema)))
                .collect();
            // The defaults, then each enumerated value of each parameter in turn.
            let mut runs = vec![base.clone()];
            for (name, schema) in &parameters {
                let mut values: Vec<Json> = schema["constraints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| c["allowed_values"].as_array().cloned().unwrap_or_default())
                    .collect();
                if schema["type"] == "boolean" {
                    values.extend([json!(true), json!(false)]);
                }
                for value in values {
                    let mut params = base.clone();
                    params.insert(name.clone(), value);
                    runs.push(params);
                }
            }
            for params in runs {
                let d = deploy(t, &params);
                assert!(
                    d.problems.is_empty(),
                    "{file} with {params:?}: {:#?}",
                    d.problems
                );
                assert!(!d.resources.is_empty(), "{file} deploys nothing");
            }
        }
    }

    #[test]
    fn example_snapshots_mean_what_their_programs_say() {
        let snapshots: IndexMap<String, Json> = snapshots().into_iter().collect();
        let t = &snapshots["bastion__heat.snap"];
        let key = ("admin_key", json!("ssh-ed25519 AAAA admin"));
        let image = ("image", json!("ubuntu"));
        let staging = run(t.clone(), &[key.clone(), image.clone()]);
        assert!(!staging.resources.contains_key("bastion_server"));
        assert_eq!(staging.outputs["ssh_command"], s(""));
        let production = run(t.clone(), &[key, image, ("env", json!("production"))]);
        assert!(production.depends("bastion_server", "ops_key"));
        assert_eq!(prop(&production, "app_0_server", "flavor"), &s("m1.large"));
        let ssh = Val::Unknown(vec!["app_0_port".into(), "bastion_ip".into()]);
        assert_eq!(production.outputs["ssh_command"], ssh);

        let t = &snapshots["native__heat__scratch_volumes__heat.snap"];
        let d = run(t.clone(), &[("scratch_count", json!(3))]);
        let scratch: Vec<&str> = d.keys_of("scratch").collect();
        assert_eq!(scratch, ["scratch[0]", "scratch[1]", "scratch[2]"]);
        assert_eq!(prop(&d, "scratch[1]", "name"), &s("scratch-1"));
        // Scratch space, deleted with its data on purpose.
        assert_eq!(
            d.resources["scratch[1]"].deletion.as_deref(),
            Some("Delete")
        );
        assert!(!d.resources.contains_key("backup"));
    }
}
