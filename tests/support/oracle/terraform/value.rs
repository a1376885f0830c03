//! Terraform's values while evaluating: the shared [`Val`] plus what the
//! language needs on the way (sets, whole resource instances), and the
//! conversions between kinds that Terraform applies implicitly.

use std::collections::{BTreeMap, BTreeSet};

use super::super::Val;

/// A value during evaluation. Lists and tuples share `List`, objects and
/// maps share `Obj` (Terraform iterates both by sorted key, as a BTreeMap
/// does).
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<V>),
    /// Elements unique and in Terraform's order (sorted).
    Set(Vec<V>),
    Obj(BTreeMap<String, V>),
    Ref(String),
    Attr(String, String),
    Unknown(Vec<String>),
    /// A whole resource instance (`aws_instance.web`, `aws_instance.web[0]`):
    /// an object whose `id` is a `Ref` and whose other attributes are `Attr`s.
    Inst(String),
}

impl V {
    pub fn str(s: impl Into<String>) -> V {
        V::Str(s.into())
    }

    /// The resource keys this value reads.
    pub fn refs(&self, out: &mut BTreeSet<String>) {
        match self {
            V::Ref(k) | V::Attr(k, _) | V::Inst(k) => {
                out.insert(k.clone());
            }
            V::Unknown(ks) => out.extend(ks.iter().cloned()),
            V::List(xs) | V::Set(xs) => xs.iter().for_each(|x| x.refs(out)),
            V::Obj(m) => m.values().for_each(|x| x.refs(out)),
            V::Null | V::Bool(_) | V::Num(_) | V::Str(_) => {}
        }
    }

    /// Is this value itself unknown until apply (not merely a collection
    /// holding unknowns)?
    pub fn is_unknown(&self) -> bool {
        matches!(self, V::Ref(_) | V::Attr(..) | V::Unknown(_) | V::Inst(_))
    }

    /// Is every part of this value known now?
    pub fn wholly_known(&self) -> bool {
        match self {
            V::List(xs) | V::Set(xs) => xs.iter().all(V::wholly_known),
            V::Obj(m) => m.values().all(V::wholly_known),
            v => !v.is_unknown(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) => "bool",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::List(_) => "list",
            V::Set(_) => "set",
            V::Obj(_) => "object",
            V::Inst(_) => "resource object",
            V::Ref(_) | V::Attr(..) | V::Unknown(_) => "unknown",
        }
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, V::Bool(_) | V::Num(_) | V::Str(_))
    }

    /// The shared model's value: sets become lists, a whole instance an
    /// unknown reading it.
    pub fn to_val(&self) -> Val {
        match self {
            V::Null => Val::Null,
            V::Bool(b) => Val::Bool(*b),
            V::Num(n) => Val::Number(*n),
            V::Str(s) => Val::String(s.clone()),
            V::List(xs) | V::Set(xs) => Val::List(xs.iter().map(V::to_val).collect()),
            V::Obj(m) => Val::Object(m.iter().map(|(k, v)| (k.clone(), v.to_val())).collect()),
            V::Ref(k) => Val::Ref(k.clone()),
            V::Attr(k, a) => Val::Attr(k.clone(), a.clone()),
            V::Unknown(ks) => Val::Unknown(ks.clone()),
            V::Inst(k) => Val::Unknown(vec![k.clone()]),
        }
    }

    /// A literal JSON value (a parameter's value, `jsondecode`): strings are
    /// not templates here.
    pub fn from_json(j: &serde_json::Value) -> V {
        match j {
            serde_json::Value::Null => V::Null,
            serde_json::Value::Bool(b) => V::Bool(*b),
            serde_json::Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => V::str(s),
            serde_json::Value::Array(xs) => V::List(xs.iter().map(V::from_json).collect()),
            serde_json::Value::Object(m) => V::Obj(
                m.iter()
                    .map(|(k, v)| (k.clone(), V::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// An unknown value reading everything `vals` read.
pub fn unknown_of<'a>(vals: impl IntoIterator<Item = &'a V>) -> V {
    let mut keys = BTreeSet::new();
    for v in vals {
        v.refs(&mut keys);
    }
    V::Unknown(keys.into_iter().collect())
}

/// A number as Terraform prints it: whole numbers without a fraction,
/// others in their shortest exact form.
pub fn fmt_num(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    format!("{n}")
}

/// A primitive as a string (Terraform's implicit conversion).
pub fn to_str(v: &V) -> Result<String, String> {
    match v {
        V::Str(s) => Ok(s.clone()),
        V::Num(n) => Ok(fmt_num(*n)),
        V::Bool(b) => Ok(b.to_string()),
        V::Null => Err("a string is required, got null".into()),
        other => Err(format!("a string is required, got {}", other.type_name())),
    }
}

/// A number, or a string holding one.
pub fn to_num(v: &V) -> Result<f64, String> {
    match v {
        V::Num(n) => Ok(*n),
        V::Str(s) => s
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("a number is required, got the string {s:?}")),
        V::Null => Err("a number is required, got null".into()),
        other => Err(format!("a number is required, got {}", other.type_name())),
    }
}

/// A bool, or the string "true" or "false".
pub fn to_bool(v: &V) -> Result<bool, String> {
    match v {
        V::Bool(b) => Ok(*b),
        V::Str(s) if s == "true" => Ok(true),
        V::Str(s) if s == "false" => Ok(false),
        V::Null => Err("a bool is required, got null".into()),
        other => Err(format!("a bool is required, got {}", other.type_name())),
    }
}

/// A whole number (an index, a count, a function's integer argument).
pub fn to_int(v: &V) -> Result<i64, String> {
    let n = to_num(v)?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(format!("a whole number is required, got {}", fmt_num(n)));
    }
    Ok(n as i64)
}

/// Terraform's `==`: values of different types are unequal; `None` when an
/// unknown decides it.
pub fn equal(a: &V, b: &V) -> Option<bool> {
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    match (a, b) {
        (V::List(x), V::List(y)) | (V::Set(x), V::Set(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        (V::Obj(x), V::Obj(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.values().zip(y.values()) {
                match equal(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            all
        }
        (V::Num(x), V::Num(y)) => Some(x == y),
        _ => Some(a == b),
    }
}

/// The elements of a list or set, converted to one type as `tolist`,
/// `toset` and collection-typed variables do: mixed primitives become
/// strings; a primitive mixed with a collection is an error.
pub fn unify(items: Vec<V>) -> Result<Vec<V>, String> {
    let kinds: BTreeSet<&str> = items
        .iter()
        .filter(|v| !matches!(v, V::Null) && !v.is_unknown())
        .map(|v| match v {
            V::List(_) | V::Set(_) => "list",
            V::Obj(_) => "object",
            p => p.type_name(),
        })
        .collect();
    if kinds.len() <= 1 {
        return Ok(items);
    }
    if kinds
        .iter()
        .all(|k| matches!(*k, "bool" | "number" | "string"))
    {
        return items
            .into_iter()
            .map(|v| match v {
                V::Bool(_) | V::Num(_) => to_str(&v).map(V::Str),
                v => Ok(v),
            })
            .collect();
    }
    Err(format!(
        "all elements must have the same type, got {}",
        kinds.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

/// A set of `items`: one type, no duplicates, in Terraform's order.
pub fn make_set(items: Vec<V>) -> Result<V, String> {
    let items = unify(items)?;
    let mut out: Vec<V> = Vec::new();
    for v in items {
        if !out.iter().any(|o| equal(o, &v) == Some(true)) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| match (a, b) {
        (V::Num(x), V::Num(y)) => x.total_cmp(y),
        (V::Str(x), V::Str(y)) => x.cmp(y),
        _ => format!("{a:?}").cmp(&format!("{b:?}")),
    });
    Ok(V::Set(out))
}

/// Why an evaluation failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Fail {
    /// An error Terraform finds while evaluating: `try` and `can` catch it.
    Dyn(String),
    /// An error in the configuration itself (an undeclared name, a function
    /// nobody knows, bad syntax): `try` and `can` pass it on.
    Static(String),
    /// Already in the problems under its own place (a broken local value or
    /// variable, a count that failed).
    Reported,
}

pub type R<T> = Result<T, Fail>;

pub fn dynamic<T>(msg: impl Into<String>) -> R<T> {
    Err(Fail::Dyn(msg.into()))
}
