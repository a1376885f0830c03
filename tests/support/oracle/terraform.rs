//! What a Terraform template (one `.tf.json` file, the whole configuration)
//! deploys, as `terraform plan` would see it: variables converted to their
//! types and validated, locals, `count` and `for_each` expanded, every
//! string evaluated as an HCL template, and apply-time values kept as
//! references (`Val::Ref`, `Val::Attr`, `Val::Unknown`).
//!
//! `expr` parses HCL's native syntax, `eval` evaluates it, `funcs` holds the
//! built-in functions, `regex` the matcher they use, `value` the values.

mod eval;
mod expr;
mod funcs;
mod regex;
#[cfg(test)]
mod tests;
mod value;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Deployed, Native};
use eval::Scope;
use expr::{Expr, Key};
use value::{Fail, R, V, make_set, to_bool, to_num, to_str};

/// What `template` deploys when its parameters have `params` (by the
/// template's own parameter names; the others take their defaults).
pub fn deploy(
    template: &serde_json::Value,
    params: &IndexMap<String, serde_json::Value>,
) -> Deployed {
    let ev = Ev::new(template);
    ev.variables(params);
    let mut out = Deployed::default();
    for (key, block) in &ev.resources {
        ev.deploy_resource(key, block, &mut out);
    }
    for (key, block) in &ev.data {
        ev.check_block("data", key, block);
    }
    for (name, body) in &ev.modules {
        for (k, v) in body.iter() {
            if !matches!(k.as_str(), "source" | "version" | "providers" | "//")
                && !META.contains(&k.as_str())
            {
                ev.report(
                    &format!("module.{name}.{k}"),
                    ev.json(v, &Scope::default(), false),
                );
            }
        }
    }
    for (name, body) in &ev.outputs {
        let at = format!("output.{name}");
        match body.get("value") {
            None => ev.problem(format!("{at}: an output needs a `value`")),
            // A null output is not recorded in the state: it does not exist.
            Some(v) => match ev.report(&at, ev.json(v, &Scope::default(), false)) {
                Some(V::Null) | None => {}
                Some(v) => {
                    out.outputs.insert(name.clone(), v.to_val());
                }
            },
        }
    }
    // Terraform evaluates every local value, used or not.
    for name in ev.locals.keys() {
        let _ = ev.local(name);
    }
    ev.cycles(&out);
    let mut seen = BTreeSet::new();
    out.problems = ev
        .problems
        .into_inner()
        .into_iter()
        .filter(|p| seen.insert(p.clone()))
        .collect();
    out
}

/// Arguments of a resource that are not properties.
const META: &[&str] = &[
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "provider",
    "provisioner",
    "connection",
    "//",
];

struct Block<'a> {
    ty: String,
    body: &'a Map<String, Value>,
}

/// The copies of a resource or data source.
#[derive(Clone, Debug)]
enum Instances {
    Single,
    Count(usize),
    /// `for_each`: each key with its value.
    Each(Vec<(String, V)>),
}

/// A memoised evaluation, `Busy` while under way (to find cycles); `None`
/// once it failed (and was reported).
enum Slot<T> {
    Busy,
    Done(Option<T>),
}

/// The configuration and what has been worked out of it so far.
struct Ev<'a> {
    vars: IndexMap<String, &'a Map<String, Value>>,
    /// Each variable's value, `None` when it has none (reported).
    var_values: RefCell<IndexMap<String, Option<V>>>,
    locals: IndexMap<String, &'a Value>,
    local_slots: RefCell<BTreeMap<String, Slot<V>>>,
    /// By `TYPE.NAME`.
    resources: IndexMap<String, Block<'a>>,
    resource_types: BTreeSet<String>,
    /// By `TYPE.NAME`, without `data.`.
    data: IndexMap<String, Block<'a>>,
    modules: IndexMap<String, &'a Map<String, Value>>,
    outputs: IndexMap<String, &'a Map<String, Value>>,
    /// By `resource.TYPE.NAME` or `data.TYPE.NAME`.
    instance_slots: RefCell<BTreeMap<String, Slot<Instances>>>,
    problems: RefCell<Vec<String>>,
}

/// A block body given as one object or an array of them (JSON syntax
/// allows both wherever a block may repeat).
fn objects(v: &Value) -> Vec<&Map<String, Value>> {
    match v {
        Value::Object(m) => vec![m],
        Value::Array(xs) => xs.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// The `label: body` pairs of one level of labels.
fn labeled(v: &Value) -> Vec<(&String, &Value)> {
    objects(v)
        .into_iter()
        .flat_map(|m| m.iter().filter(|(k, _)| *k != "//"))
        .collect()
}

/// An instance key for `for_each`: `TYPE.NAME["key"]`.
fn each_key(name: &str, key: &str) -> String {
    format!(
        "{name}[\"{}\"]",
        key.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

impl<'a> Ev<'a> {
    fn new(template: &'a Value) -> Ev<'a> {
        let mut ev = Ev {
            vars: IndexMap::new(),
            var_values: RefCell::default(),
            locals: IndexMap::new(),
            local_slots: RefCell::default(),
            resources: IndexMap::new(),
            resource_types: BTreeSet::new(),
            data: IndexMap::new(),
            modules: IndexMap::new(),
            outputs: IndexMap::new(),
            instance_slots: RefCell::default(),
            problems: RefCell::default(),
        };
        let mut dup = Vec::new();
        for (kind, v) in labeled(template) {
            match kind.as_str() {
                "variable" | "output" | "module" => {
                    for (name, body) in labeled(v) {
                        let map = match kind.as_str() {
                            "variable" => &mut ev.vars,
                            "output" => &mut ev.outputs,
                            _ => &mut ev.modules,
                        };
                        for m in objects(body) {
                            if map.insert(name.clone(), m).is_some() {
                                dup.push(format!("{kind}.{name}"));
                            }
                        }
                    }
                }
                "locals" => {
                    for m in objects(v) {
                        for (name, x) in m.iter().filter(|(k, _)| *k != "//") {
                            if ev.locals.insert(name.clone(), x).is_some() {
                                dup.push(format!("local.{name}"));
                            }
                        }
                    }
                }
                "resource" | "data" => {
                    for (ty, named) in labeled(v) {
                        for (name, body) in labeled(named) {
                            for m in objects(body) {
                                let block = Block {
                                    ty: ty.clone(),
                                    body: m,
                                };
                                let key = format!("{ty}.{name}");
                                let map = if kind == "resource" {
                                    ev.resource_types.insert(ty.clone());
                                    &mut ev.resources
                                } else {
                                    &mut ev.data
                                };
                                if map.insert(key.clone(), block).is_some() {
                                    dup.push(format!("{kind}.{key}"));
                                }
                            }
                        }
                    }
                }
                // Provider settings, `terraform`, `moved`, `import`, `check`
                // and `removed` blocks change nothing that is deployed.
                _ => {}
            }
        }
        for d in dup {
            ev.problem(format!("{d}: declared twice"));
        }
        ev
    }

    fn problem(&self, p: String) {
        self.problems.borrow_mut().push(p);
    }

    /// The value, or `None` with the failure reported at `at`.
    fn report<T>(&self, at: &str, r: R<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Fail::Dyn(m) | Fail::Static(m)) => {
                self.problem(format!("{at}: {m}"));
                None
            }
            Err(Fail::Reported) => None,
        }
    }

    /// A JSON value as an expression: strings are templates. In a block
    /// body (`body`), `//` is a comment, `dynamic` blocks expand and null
    /// arguments are unset.
    fn json(&self, v: &Value, s: &Scope, body: bool) -> R<V> {
        Ok(match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(t) => {
                let parts = expr::parse_template(t).map_err(Fail::Static)?;
                self.template(&parts, s)?
            }
            Value::Array(xs) => {
                V::List(xs.iter().map(|x| self.json(x, s, body)).collect::<R<_>>()?)
            }
            Value::Object(m) => {
                let mut out = BTreeMap::new();
                let mut unknown: Option<BTreeSet<String>> = None;
                let mut dynamic = Vec::new();
                for (k, x) in m {
                    if body && k == "//" {
                        continue;
                    }
                    if body && k == "dynamic" {
                        dynamic.extend(self.dynamic(x, s)?);
                        continue;
                    }
                    let val = self.json(x, s, body)?;
                    if body && val == V::Null {
                        continue;
                    }
                    // Property names are templates too.
                    let key = if k.contains("${") || k.contains("%{") {
                        let parts = expr::parse_template(k).map_err(Fail::Static)?;
                        match self.template(&parts, s)? {
                            u if u.is_unknown() => {
                                u.refs(unknown.get_or_insert_default());
                                continue;
                            }
                            V::Null => return value::dynamic("a property name is null"),
                            key => to_str(&key).map_err(Fail::Dyn)?,
                        }
                    } else {
                        k.clone()
                    };
                    if out.insert(key.clone(), val).is_some() {
                        return value::dynamic(format!("the property {key:?} is given twice"));
                    }
                }
                for (label, blocks) in dynamic {
                    let all = append_blocks(out.remove(&label), blocks);
                    out.insert(label, all);
                }
                if let Some(mut keys) = unknown {
                    out.values().for_each(|v| v.refs(&mut keys));
                    return Ok(V::Unknown(keys.into_iter().collect()));
                }
                V::Obj(out)
            }
        })
    }

    /// The blocks a `dynamic` property generates, by block type.
    fn dynamic(&self, v: &Value, s: &Scope) -> R<Vec<(String, V)>> {
        let mut out = Vec::new();
        for (label, specs) in labeled(v) {
            for spec in objects(specs) {
                let missing = |what: &str| {
                    Fail::Static(format!("the dynamic block `{label}` has no `{what}`"))
                };
                let coll = self.json(
                    spec.get("for_each").ok_or_else(|| missing("for_each"))?,
                    s,
                    false,
                )?;
                let content = spec.get("content").ok_or_else(|| missing("content"))?;
                let iterator = spec
                    .get("iterator")
                    .and_then(Value::as_str)
                    .unwrap_or(label);
                let Some(items) = eval::iterate(&coll).map_err(|_| {
                    Fail::Dyn(format!(
                        "the for_each of the dynamic block `{label}` is null or not a collection"
                    ))
                })?
                else {
                    out.push((label.clone(), value::unknown_of([&coll])));
                    continue;
                };
                let mut blocks = Vec::new();
                for (key, val) in items {
                    let it = V::Obj(BTreeMap::from([("key".into(), key), ("value".into(), val)]));
                    blocks.push(self.json(content, &s.with(iterator, it), true)?);
                }
                out.push((label.clone(), V::List(blocks)));
            }
        }
        Ok(out)
    }

    fn var(&self, name: &str) -> R<V> {
        match self.var_values.borrow().get(name) {
            Some(Some(v)) => Ok(v.clone()),
            Some(None) => Err(Fail::Reported),
            None => Err(Fail::Static(format!(
                "reference to undeclared input variable `{name}`"
            ))),
        }
    }

    fn local(&self, name: &str) -> R<V> {
        let Some(x) = self.locals.get(name) else {
            return Err(Fail::Static(format!(
                "reference to undeclared local value `{name}`"
            )));
        };
        match self.local_slots.borrow().get(name) {
            Some(Slot::Busy) => {
                return Err(Fail::Static(format!("local.{name} depends on itself")));
            }
            Some(Slot::Done(v)) => return v.clone().ok_or(Fail::Reported),
            None => {}
        }
        self.local_slots
            .borrow_mut()
            .insert(name.into(), Slot::Busy);
        let v = self.report(
            &format!("locals.{name}"),
            self.json(x, &Scope::default(), false),
        );
        self.local_slots
            .borrow_mut()
            .insert(name.into(), Slot::Done(v.clone()));
        v.ok_or(Fail::Reported)
    }

    /// The copies of `resource.KEY` or `data.KEY`, worked out once.
    fn instances(&self, kind: &str, key: &str) -> R<Instances> {
        let at = format!("{kind}.{key}");
        match self.instance_slots.borrow().get(&at) {
            Some(Slot::Busy) => {
                return Err(Fail::Static(format!(
                    "the count or for_each of {at} depends on itself"
                )));
            }
            Some(Slot::Done(i)) => return i.clone().ok_or(Fail::Reported),
            None => {}
        }
        self.instance_slots
            .borrow_mut()
            .insert(at.clone(), Slot::Busy);
        let block = if kind == "data" {
            &self.data[key]
        } else {
            &self.resources[key]
        };
        let r = self.expand(block.body);
        let i = match r {
            Ok(i) => Some(i),
            Err((meta, f)) => {
                self.report::<()>(&format!("{at}.{meta}"), Err(f));
                None
            }
        };
        self.instance_slots
            .borrow_mut()
            .insert(at, Slot::Done(i.clone()));
        i.ok_or(Fail::Reported)
    }

    fn expand(&self, body: &Map<String, Value>) -> Result<Instances, (&'static str, Fail)> {
        let dynamic = |meta, m: String| Err((meta, Fail::Dyn(m)));
        match (body.get("count"), body.get("for_each")) {
            (Some(_), Some(_)) => {
                dynamic("count", "`count` and `for_each` cannot both be set".into())
            }
            (Some(c), None) => {
                let v = self
                    .json(c, &Scope::default(), false)
                    .map_err(|f| ("count", f))?;
                match &v {
                    V::Null => dynamic(
                        "count",
                        "the count is null; it must be a whole number".into(),
                    ),
                    u if u.is_unknown() => dynamic("count", unknowable("count", u)),
                    V::Num(_) | V::Str(_) => match to_num(&v) {
                        Ok(n) if n >= 0.0 && n.fract() == 0.0 => Ok(Instances::Count(n as usize)),
                        Ok(n) => dynamic(
                            "count",
                            format!(
                                "the count must be a whole number of at least 0, got {}",
                                value::fmt_num(n)
                            ),
                        ),
                        Err(m) => dynamic("count", m),
                    },
                    other => dynamic(
                        "count",
                        format!("the count must be a number, got {}", other.type_name()),
                    ),
                }
            }
            (None, Some(f)) => {
                let v = self
                    .json(f, &Scope::default(), false)
                    .map_err(|f| ("for_each", f))?;
                match v {
                    V::Null => dynamic("for_each", "the for_each value is null".into()),
                    u if u.is_unknown() => dynamic("for_each", unknowable("for_each", &u)),
                    V::Obj(m) => Ok(Instances::Each(m.into_iter().collect())),
                    V::Set(xs) => {
                        let mut out = Vec::new();
                        for x in xs {
                            match x {
                                V::Str(s) => out.push((s.clone(), V::Str(s))),
                                u if u.is_unknown() => {
                                    return dynamic("for_each", unknowable("for_each", &u));
                                }
                                other => {
                                    return dynamic(
                                        "for_each",
                                        format!(
                                            "a for_each set must hold strings, it holds a {}",
                                            other.type_name()
                                        ),
                                    );
                                }
                            }
                        }
                        Ok(Instances::Each(out))
                    }
                    other => dynamic(
                        "for_each",
                        format!(
                            "for_each needs a map or a set of strings, got a {} (convert a list with toset())",
                            other.type_name()
                        ),
                    ),
                }
            }
            (None, None) => Ok(Instances::Single),
        }
    }

    /// A reference to a resource: one instance, a list of them (`count`), or
    /// an object of them by key (`for_each`).
    fn resource_value(&self, ty: &str, name: &str) -> R<V> {
        let key = format!("{ty}.{name}");
        if !self.resources.contains_key(&key) {
            return Err(Fail::Static(format!(
                "reference to undeclared resource `{key}`"
            )));
        }
        Ok(match self.instances("resource", &key)? {
            Instances::Single => V::Inst(key),
            Instances::Count(n) => {
                V::List((0..n).map(|i| V::Inst(format!("{key}[{i}]"))).collect())
            }
            Instances::Each(es) => V::Obj(
                es.into_iter()
                    .map(|(k, _)| {
                        let inst = V::Inst(each_key(&key, &k));
                        (k, inst)
                    })
                    .collect(),
            ),
        })
    }

    /// A data source is read while planning but is not deployed: what it
    /// returns is unknown to the oracle and reads no deployed resource.
    fn data_value(&self, ty: &str, name: &str) -> R<V> {
        let key = format!("{ty}.{name}");
        if !self.data.contains_key(&key) {
            return Err(Fail::Static(format!(
                "reference to undeclared data source `data.{key}`"
            )));
        }
        let unknown = || V::Unknown(Vec::new());
        Ok(match self.instances("data", &key)? {
            Instances::Single => unknown(),
            Instances::Count(n) => V::List((0..n).map(|_| unknown()).collect()),
            Instances::Each(es) => V::Obj(es.into_iter().map(|(k, _)| (k, unknown())).collect()),
        })
    }

    fn module_value(&self, name: &str) -> R<V> {
        if !self.modules.contains_key(name) {
            return Err(Fail::Static(format!(
                "reference to undeclared module `{name}`"
            )));
        }
        Ok(V::Unknown(Vec::new()))
    }

    /// Each copy of a block with its key, index and scope.
    fn copies(&self, key: &str, i: Instances) -> Vec<(String, Option<usize>, Scope)> {
        match i {
            Instances::Single => vec![(key.to_string(), None, Scope::default())],
            Instances::Count(n) => (0..n)
                .map(|i| {
                    let s = Scope {
                        count_index: Some(i),
                        ..Scope::default()
                    };
                    (format!("{key}[{i}]"), Some(i), s)
                })
                .collect(),
            Instances::Each(es) => es
                .into_iter()
                .map(|(k, v)| {
                    let s = Scope {
                        each: Some((V::str(&k), v)),
                        ..Scope::default()
                    };
                    (each_key(key, &k), None, s)
                })
                .collect(),
        }
    }

    /// A copy's properties: null ones are unset.
    fn properties(&self, at: &str, body: &Map<String, Value>, s: &Scope) -> IndexMap<String, V> {
        let mut props = IndexMap::new();
        let mut dynamic = Vec::new();
        for (k, v) in body {
            if META.contains(&k.as_str()) {
                continue;
            }
            if k == "dynamic" {
                let blocks = self.report(&format!("{at}.dynamic"), self.dynamic(v, s));
                dynamic.extend(blocks.unwrap_or_default());
                continue;
            }
            match self.report(&format!("{at}.{k}"), self.json(v, s, true)) {
                None | Some(V::Null) => {}
                Some(v) => {
                    props.insert(k.clone(), v);
                }
            }
        }
        for (label, blocks) in dynamic {
            let all = append_blocks(props.shift_remove(&label), blocks);
            props.insert(label, all);
        }
        props
    }

    fn deploy_resource(&self, key: &str, block: &Block, out: &mut Deployed) {
        let at = format!("resource.{key}");
        let depends_on = self.depends_on(&at, block.body);
        let deletion = self.deletion(&at, block.body);
        let Ok(instances) = self.instances("resource", key) else {
            return;
        };
        for (ikey, index, s) in self.copies(key, instances) {
            let props = self.properties(&format!("resource.{ikey}"), block.body, &s);
            out.resources.insert(
                ikey,
                Native {
                    name: key.to_string(),
                    index,
                    type_name: block.ty.clone(),
                    properties: props.iter().map(|(k, v)| (k.clone(), v.to_val())).collect(),
                    depends_on: depends_on.clone(),
                    deletion: deletion.clone(),
                },
            );
        }
    }

    /// Evaluates a block that deploys nothing, for the problems it has.
    fn check_block(&self, kind: &str, key: &str, block: &Block) {
        let at = format!("{kind}.{key}");
        self.depends_on(&at, block.body);
        if let Ok(instances) = self.instances(kind, key) {
            for (ikey, _, s) in self.copies(key, instances) {
                self.properties(&format!("{kind}.{ikey}"), block.body, &s);
            }
        }
    }

    /// `depends_on` as written; each entry must name a declared resource,
    /// data source or module.
    fn depends_on(&self, at: &str, body: &Map<String, Value>) -> Vec<String> {
        let Some(list) = body.get("depends_on") else {
            return Vec::new();
        };
        let Some(list) = list.as_array() else {
            self.problem(format!("{at}.depends_on: a list of references is required"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in list {
            let Some(text) = entry.as_str() else {
                self.problem(format!("{at}.depends_on: {entry} is not a reference"));
                continue;
            };
            // The strings are references, not templates.
            let mut names = Vec::new();
            let mut e = expr::parse_expr(text).ok();
            while let Some(x) = e {
                e = match x {
                    Expr::GetAttr(inner, n) => {
                        names.push(n);
                        Some(*inner)
                    }
                    Expr::Index(inner, _) => Some(*inner),
                    Expr::Var(n) => {
                        names.push(n);
                        None
                    }
                    _ => {
                        names.clear();
                        None
                    }
                };
            }
            names.reverse();
            let known = match names.as_slice() {
                [m, n, ..] if m == "module" => self.modules.contains_key(n),
                [d, t, n, ..] if d == "data" => self.data.contains_key(&format!("{t}.{n}")),
                [t, n, ..] => self.resources.contains_key(&format!("{t}.{n}")),
                _ => false,
            };
            if !known {
                self.problem(format!(
                    "{at}.depends_on: {text:?} names no declared resource, data source or module"
                ));
            }
            out.push(text.to_string());
        }
        out
    }

    /// `Retain` when `lifecycle.prevent_destroy` is true (a literal: no
    /// references are allowed there).
    fn deletion(&self, at: &str, body: &Map<String, Value>) -> Option<String> {
        let mut out = None;
        for lc in body.get("lifecycle").map(objects).unwrap_or_default() {
            let Some(p) = lc.get("prevent_destroy") else {
                continue;
            };
            let at = format!("{at}.lifecycle.prevent_destroy");
            let v = self.report(&at, self.json(p, &Scope::constant(), false));
            match v.as_ref().map(to_bool) {
                Some(Ok(true)) => out = Some("Retain".to_string()),
                Some(Ok(false)) | None => {}
                Some(Err(m)) => self.problem(format!("{at}: {m}")),
            }
        }
        out
    }

    /// Values for the variables: the given one or the default, converted to
    /// the variable's type; then each validation.
    fn variables(&self, params: &IndexMap<String, Value>) {
        for (name, decl) in &self.vars {
            let at = format!("variable.{name}");
            let ty = match decl.get("type") {
                None => Ok(Ty::Any),
                Some(t) => self.parse_type(t),
            };
            let ty = ty.unwrap_or_else(|m| {
                self.problem(format!("{at}.type: {m}"));
                Ty::Any
            });
            let default = decl.get("default").map(|d| {
                self.report(
                    &format!("{at}.default"),
                    self.json(d, &Scope::constant(), false),
                )
            });
            let nullable = decl.get("nullable") != Some(&Value::Bool(false));
            let given = params.get(name).map(V::from_json);
            let raw = match (given, default) {
                // A non-nullable variable set to null takes its default.
                (Some(V::Null), Some(Some(d))) if !nullable => Some(d),
                (Some(v), _) => Some(v),
                (None, Some(d)) => d,
                (None, None) => {
                    self.problem(format!("{at}: no value is given and it has no default"));
                    None
                }
            };
            let value = raw.and_then(|raw| match convert(raw, &ty) {
                Ok(V::Null) if !nullable => {
                    self.problem(format!("{at}: the value must not be null"));
                    None
                }
                Ok(v) => Some(v),
                Err(m) => {
                    self.problem(format!("{at}: the value does not fit its type: {m}"));
                    None
                }
            });
            self.var_values.borrow_mut().insert(name.clone(), value);
        }
        for name in params.keys() {
            if !self.vars.contains_key(name) {
                self.problem(format!(
                    "variable.{name}: a value is given for a variable the configuration does not declare"
                ));
            }
        }
        for (name, decl) in &self.vars {
            if !matches!(self.var_values.borrow().get(name), Some(Some(_))) {
                continue;
            }
            for rule in decl.get("validation").map(objects).unwrap_or_default() {
                let at = format!("variable.{name}.validation");
                let Some(c) = rule.get("condition") else {
                    self.problem(format!("{at}: a validation needs a `condition`"));
                    continue;
                };
                let Some(ok) = self.report(&at, self.json(c, &Scope::default(), false)) else {
                    continue;
                };
                let ok = match ok {
                    u if u.is_unknown() => continue,
                    V::Null => Err("the condition is null".to_string()),
                    v => to_bool(&v),
                };
                match ok {
                    Ok(true) => {}
                    Ok(false) => {
                        let msg = rule
                            .get("error_message")
                            .map(|m| self.json(m, &Scope::default(), false));
                        let msg = match msg {
                            Some(Ok(V::Str(m))) => m,
                            _ => "(no error message)".to_string(),
                        };
                        self.problem(format!("variable.{name}: invalid value: {msg}"));
                    }
                    Err(m) => self.problem(format!("{at}: {m}")),
                }
            }
        }
    }

    fn parse_type(&self, t: &Value) -> Result<Ty, String> {
        let Some(text) = t.as_str() else {
            return Err("a type is written as a string".into());
        };
        // A type is an expression, not a template.
        self.ty(&expr::parse_expr(text)?)
    }

    fn ty(&self, e: &Expr) -> Result<Ty, String> {
        let one = |args: &[Expr]| match args {
            [a] => Ok(a.clone()),
            _ => Err("a type constructor takes one argument".to_string()),
        };
        match e {
            Expr::Var(n) => match n.as_str() {
                "string" => Ok(Ty::Str),
                "number" => Ok(Ty::Num),
                "bool" => Ok(Ty::Bool),
                "any" => Ok(Ty::Any),
                other => Err(format!("unknown type `{other}`")),
            },
            Expr::Call(n, args, false) => match (n.as_str(), one(args)?) {
                ("list", a) => Ok(Ty::List(Box::new(self.ty(&a)?))),
                ("set", a) => Ok(Ty::Set(Box::new(self.ty(&a)?))),
                ("map", a) => Ok(Ty::Map(Box::new(self.ty(&a)?))),
                ("tuple", Expr::Tuple(items)) => Ok(Ty::Tuple(
                    items.iter().map(|i| self.ty(i)).collect::<Result<_, _>>()?,
                )),
                ("object", Expr::Object(items)) => {
                    let mut attrs = Vec::new();
                    for (k, v) in &items {
                        let name = match k {
                            Key::Name(n) => n.clone(),
                            Key::Expr(Expr::Template(_)) => {
                                match self.eval(key_expr(k), &Scope::constant()) {
                                    Ok(V::Str(s)) => s,
                                    _ => return Err("bad attribute name".into()),
                                }
                            }
                            Key::Expr(_) => return Err("bad attribute name".into()),
                        };
                        match v {
                            Expr::Call(o, oargs, false) if o == "optional" => {
                                let (t, d) = match oargs.as_slice() {
                                    [t] => (self.ty(t)?, V::Null),
                                    [t, d] => (
                                        self.ty(t)?,
                                        self.eval(d, &Scope::constant())
                                            .map_err(|_| "bad optional default".to_string())?,
                                    ),
                                    _ => return Err("optional takes a type and a default".into()),
                                };
                                attrs.push((name, t, Some(d)));
                            }
                            _ => attrs.push((name, self.ty(v)?, None)),
                        }
                    }
                    Ok(Ty::Obj(attrs))
                }
                (other, _) => Err(format!("unknown type constructor `{other}`")),
            },
            _ => Err("not a type".into()),
        }
    }

    /// Resources that depend on themselves, directly or through others:
    /// Terraform refuses such a plan.
    fn cycles(&self, out: &Deployed) {
        let keys: Vec<&String> = out.resources.keys().collect();
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, (key, native)) in out.resources.iter().enumerate() {
            by_name.entry(key).or_default().push(i);
            if native.name != *key {
                by_name.entry(&native.name).or_default().push(i);
            }
        }
        let natives: Vec<&Native> = out.resources.values().collect();
        let mut edges: Vec<BTreeSet<usize>> = Vec::new();
        for native in &natives {
            let mut named = BTreeSet::new();
            native
                .properties
                .values()
                .for_each(|v| v.references(&mut named));
            named.extend(native.depends_on.iter().cloned());
            let targets: BTreeSet<usize> = named
                .iter()
                .flat_map(|n| by_name.get(n.as_str()).into_iter().flatten().copied())
                .collect();
            // A block may not refer to itself, not even to another of its copies.
            let same = |j: &usize| natives[*j].name == native.name;
            if named.contains(&native.name) || targets.iter().any(same) {
                self.problem(format!("resource.{}: refers to itself", native.name));
            }
            edges.push(targets.into_iter().filter(|j| !same(j)).collect());
        }
        // Depth-first search: a node met again while on the path closes a cycle.
        let mut state = vec![0u8; keys.len()];
        for start in 0..keys.len() {
            let mut path = vec![(start, edges[start].iter().copied().collect::<Vec<_>>())];
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            while let Some((node, todo)) = path.last_mut() {
                let node = *node;
                match todo.pop() {
                    Some(n) if state[n] == 1 => {
                        let from = path.iter().position(|(p, _)| *p == n).unwrap_or(0);
                        let names: Vec<&str> = path[from..]
                            .iter()
                            .map(|(p, _)| keys[*p].as_str())
                            .collect();
                        self.problem(format!(
                            "resource.{}: dependency cycle: {} -> {}",
                            keys[n],
                            names.join(" -> "),
                            keys[n]
                        ));
                    }
                    Some(n) if state[n] == 0 => {
                        state[n] = 1;
                        path.push((n, edges[n].iter().copied().collect()));
                    }
                    Some(_) => {}
                    None => {
                        state[node] = 2;
                        path.pop();
                    }
                }
            }
        }
    }
}

/// Blocks a `dynamic` block generates, after the static blocks of the
/// same type.
fn append_blocks(existing: Option<V>, blocks: V) -> V {
    match (existing, blocks) {
        (Some(V::List(mut xs)), V::List(ys)) => {
            xs.extend(ys);
            V::List(xs)
        }
        (Some(x @ V::Obj(_)), V::List(ys)) => V::List([x].into_iter().chain(ys).collect()),
        (_, blocks) => blocks,
    }
}

fn key_expr(k: &Key) -> &Expr {
    match k {
        Key::Expr(e) => e,
        Key::Name(_) => unreachable!("only expression keys are evaluated"),
    }
}

/// A variable's type constraint.
#[derive(Clone, Debug)]
enum Ty {
    Any,
    Str,
    Num,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    /// Attributes with, for an optional one, its default.
    Obj(Vec<(String, Ty, Option<V>)>),
}

/// `v` converted to `ty` as Terraform converts a variable's value.
fn convert(v: V, ty: &Ty) -> Result<V, String> {
    if v == V::Null {
        return Ok(V::Null);
    }
    let elems = |v: V, t: &Ty| -> Result<Vec<V>, String> {
        match v {
            V::List(xs) | V::Set(xs) => xs.into_iter().map(|x| convert(x, t)).collect(),
            other => Err(format!("a list is required, got {}", other.type_name())),
        }
    };
    Ok(match ty {
        Ty::Any => v,
        Ty::Str if v.is_primitive() => V::Str(to_str(&v)?),
        Ty::Str => return Err(format!("a string is required, got {}", v.type_name())),
        Ty::Num => V::Num(to_num(&v)?),
        Ty::Bool => V::Bool(to_bool(&v)?),
        Ty::List(t) => V::List(elems(v, t)?),
        Ty::Set(t) => make_set(elems(v, t)?)?,
        Ty::Tuple(ts) => match v {
            V::List(xs) if xs.len() == ts.len() => V::List(
                xs.into_iter()
                    .zip(ts)
                    .map(|(x, t)| convert(x, t))
                    .collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(format!(
                    "a tuple of {} elements is required, got {}",
                    ts.len(),
                    other.type_name()
                ));
            }
        },
        Ty::Map(t) => match v {
            V::Obj(m) => V::Obj(
                m.into_iter()
                    .map(|(k, x)| Ok((k, convert(x, t)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => return Err(format!("a map is required, got {}", other.type_name())),
        },
        Ty::Obj(attrs) => match v {
            // Attributes the type does not name are dropped.
            V::Obj(mut m) => {
                let mut out = BTreeMap::new();
                for (name, t, optional) in attrs {
                    let x = match (m.remove(name), optional) {
                        (Some(V::Null) | None, Some(d)) => d.clone(),
                        (Some(x), _) => x,
                        (None, None) => return Err(format!("the attribute `{name}` is required")),
                    };
                    out.insert(name.clone(), convert(x, t)?);
                }
                V::Obj(out)
            }
            other => return Err(format!("an object is required, got {}", other.type_name())),
        },
    })
}

/// Why a count or for_each that is only known after apply is refused.
fn unknowable(meta: &str, v: &V) -> String {
    let mut keys = BTreeSet::new();
    v.refs(&mut keys);
    let from = if keys.is_empty() {
        "a data source or an apply-time function".to_string()
    } else {
        keys.into_iter().collect::<Vec<_>>().join(", ")
    };
    format!("the {meta} depends on values known only after apply (from {from})")
}
