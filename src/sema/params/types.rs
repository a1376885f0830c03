//! A param's type as far as compile-time values are checked
//! ([`ParamType`]): resolved from what is written, the file's own aliases
//! included; values coerced to it and read from text.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::sema::eval::{Value, show};
use crate::syntax::ast::*;

/// A param's type, as far as values given at compile time are checked.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    String,
    Int,
    Number,
    Bool,
    Any,
    List(Box<ParamType>),
    /// `{string: T}`.
    Map(Box<ParamType>),
    Optional(Box<ParamType>),
    /// A member of a literal union: `"a"`.
    Literal(String),
    Union(Vec<ParamType>),
    /// A type checked elsewhere (an object type or an alias of one, a
    /// resource type, an alias not resolved), as written: any value is
    /// accepted here.
    Other(String),
}

/// Does an option apply to a type?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fit {
    Yes,
    No,
    /// The type is not known here (an alias): assume it does.
    Unknown,
}

impl ParamType {
    /// The type as written, every name but the built-in types opaque.
    pub fn from_ast(ty: &TypeExpr) -> ParamType {
        ParamType::resolve(ty, &mut |_| None)
    }

    /// The type with the names `alias` resolves replaced by their types
    /// (see [`alias_type`]); the others are opaque. A union's members that
    /// are unions are flattened into it: `Tier | "batch"` is one list of
    /// allowed values.
    pub fn resolve(
        ty: &TypeExpr,
        alias: &mut dyn FnMut(&TypePath) -> Option<ParamType>,
    ) -> ParamType {
        match &ty.kind {
            TypeKind::Path(path) => {
                let builtin = match path.segments.as_slice() {
                    [name] => match name.name.as_str() {
                        "string" => Some(ParamType::String),
                        "int" => Some(ParamType::Int),
                        "number" => Some(ParamType::Number),
                        "bool" => Some(ParamType::Bool),
                        "any" => Some(ParamType::Any),
                        _ => None,
                    },
                    _ => None,
                };
                builtin
                    .or_else(|| alias(path))
                    .unwrap_or_else(|| ParamType::Other(path.text()))
            }
            TypeKind::Literal(s) => ParamType::Literal(s.clone()),
            TypeKind::List(t) => ParamType::List(Box::new(ParamType::resolve(t, alias))),
            TypeKind::Map(t) => ParamType::Map(Box::new(ParamType::resolve(t, alias))),
            TypeKind::Object(_) => ParamType::Other(type_text(ty)),
            TypeKind::Optional(t) => ParamType::Optional(Box::new(ParamType::resolve(t, alias))),
            TypeKind::Union(members) => {
                let mut flat = Vec::with_capacity(members.len());
                for member in members {
                    match ParamType::resolve(member, alias) {
                        ParamType::Union(inner) => flat.extend(inner),
                        other => flat.push(other),
                    }
                }
                ParamType::Union(flat)
            }
            TypeKind::Paren(t) => ParamType::resolve(t, alias),
        }
    }

    /// The type of a default, for a param declared without one.
    pub fn of_value(value: &Value) -> ParamType {
        fn common<'a>(values: impl Iterator<Item = &'a Value>) -> Option<ParamType> {
            let mut found: Option<ParamType> = None;
            for value in values {
                let ty = ParamType::of_value(value);
                found = Some(match (found, ty) {
                    (None, ty) => ty,
                    (Some(a), b) if a == b => a,
                    (
                        Some(ParamType::Int | ParamType::Number),
                        ParamType::Int | ParamType::Number,
                    ) => ParamType::Number,
                    _ => return None,
                });
            }
            Some(found.unwrap_or(ParamType::Any))
        }
        match value {
            Value::Null => ParamType::Any,
            Value::Bool(_) => ParamType::Bool,
            Value::Int(_) => ParamType::Int,
            Value::Number(_) => ParamType::Number,
            Value::String(_) => ParamType::String,
            Value::List(items) => {
                ParamType::List(Box::new(common(items.iter()).unwrap_or(ParamType::Any)))
            }
            Value::Object(map) => match common(map.values()) {
                Some(ty) => ParamType::Map(Box::new(ty)),
                None => ParamType::Other("object".into()),
            },
        }
    }

    /// The type as written in Infra.
    pub fn describe(&self) -> String {
        match self {
            ParamType::String => "string".into(),
            ParamType::Int => "int".into(),
            ParamType::Number => "number".into(),
            ParamType::Bool => "bool".into(),
            ParamType::Any => "any".into(),
            ParamType::List(t) => format!("[{}]", t.describe()),
            ParamType::Map(t) => format!("{{string: {}}}", t.describe()),
            ParamType::Optional(t) => match **t {
                ParamType::Union(_) => format!("({})?", t.describe()),
                _ => format!("{}?", t.describe()),
            },
            ParamType::Literal(s) => Value::String(s.clone()).to_string(),
            ParamType::Union(members) => members
                .iter()
                .map(ParamType::describe)
                .collect::<Vec<_>>()
                .join(" | "),
            ParamType::Other(text) => text.clone(),
        }
    }

    /// Are the values of this type text (strings, literal unions)?
    fn is_text(&self) -> bool {
        match self {
            ParamType::String | ParamType::Literal(_) => true,
            ParamType::Optional(t) => t.is_text(),
            ParamType::Union(members) => members.iter().all(ParamType::is_text),
            _ => false,
        }
    }

    /// The literals of a literal union, for did-you-mean.
    pub(super) fn literals(&self) -> Vec<&str> {
        match self {
            ParamType::Literal(s) => vec![s.as_str()],
            ParamType::Optional(t) => t.literals(),
            ParamType::Union(members) => members.iter().flat_map(|m| m.literals()).collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn fits(&self, option: &str) -> Fit {
        let base = |ty: &ParamType| match option {
            "min" | "max" => matches!(ty, ParamType::Int | ParamType::Number),
            "min_length" | "max_length" | "pattern" => {
                matches!(ty, ParamType::String | ParamType::Literal(_))
            }
            _ => true,
        };
        match self {
            ParamType::Any | ParamType::Other(_) => Fit::Unknown,
            ParamType::Optional(t) => t.fits(option),
            ParamType::Union(members) => {
                let fits: Vec<Fit> = members.iter().map(|m| m.fits(option)).collect();
                if fits.iter().all(|f| *f == Fit::Yes) {
                    Fit::Yes
                } else if fits.contains(&Fit::Unknown) {
                    Fit::Unknown
                } else {
                    Fit::No
                }
            }
            ty if base(ty) => Fit::Yes,
            _ => Fit::No,
        }
    }

    /// Checks `value` against the type, converting what needs it (an
    /// integral number to an int). The error says what is wrong.
    pub fn coerce(&self, value: Value) -> Result<Value, String> {
        let mismatch = |value: &Value, ty: &ParamType| {
            format!(
                "expected `{}`, found {} {}",
                ty.describe(),
                value.kind(),
                show(value)
            )
        };
        match (self, value) {
            (ParamType::Any | ParamType::Other(_), value) => Ok(value),
            (ParamType::Optional(_), Value::Null) => Ok(Value::Null),
            (ParamType::Optional(t), value) => t.coerce(value),
            (ParamType::String, value @ Value::String(_)) => Ok(value),
            (ParamType::Int, value @ Value::Int(_)) => Ok(value),
            (ParamType::Int, Value::Number(n))
                if n.fract() == 0.0 && n >= i64::MIN as f64 && n < i64::MAX as f64 =>
            {
                Ok(Value::Int(n as i64))
            }
            (ParamType::Number, value @ (Value::Int(_) | Value::Number(_))) => Ok(value),
            (ParamType::Bool, value @ Value::Bool(_)) => Ok(value),
            (ParamType::Literal(s), Value::String(v)) if *s == v => Ok(Value::String(v)),
            (ParamType::Union(members), value) => {
                for member in members {
                    if let Ok(v) = member.coerce(value.clone()) {
                        return Ok(v);
                    }
                }
                Err(mismatch(&value, self))
            }
            (ParamType::List(t), Value::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(t.coerce(item).map_err(|e| format!("element {i}: {e}"))?);
                }
                Ok(Value::List(out))
            }
            (ParamType::Map(t), Value::Object(map)) => {
                let mut out = IndexMap::with_capacity(map.len());
                for (key, item) in map {
                    let item = t.coerce(item).map_err(|e| format!("key `{key}`: {e}"))?;
                    out.insert(key, item);
                }
                Ok(Value::Object(out))
            }
            (ty, value) => Err(mismatch(&value, ty)),
        }
    }

    /// Reads text given on the command line or in the environment: as is
    /// for strings, as a number for ints and numbers, `true` or `false`
    /// for bools, as JSON for lists and maps. The value is then coerced.
    pub fn from_text(&self, text: &str) -> Result<Value, String> {
        let value = match self {
            _ if self.is_text() => Value::String(text.to_string()),
            ParamType::Optional(t) => {
                return if text == "null" {
                    Ok(Value::Null)
                } else {
                    t.from_text(text)
                };
            }
            ParamType::Int => match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => return Err(format!("`{text}` is not an int")),
            },
            ParamType::Number => match text.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => match text.parse::<f64>() {
                    Ok(n) if n.is_finite() && text.bytes().any(|b| b.is_ascii_digit()) => {
                        Value::Number(n)
                    }
                    _ => return Err(format!("`{text}` is not a number")),
                },
            },
            ParamType::Bool => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("`{text}` is not a bool: write `true` or `false`")),
            },
            ParamType::List(_) | ParamType::Map(_) => match serde_json::from_str(text) {
                Ok(json) => Value::from_json(&json),
                Err(e) => {
                    return Err(format!(
                        "a `{}` is written as JSON, and `{text}` is not valid JSON ({e})",
                        self.describe()
                    ));
                }
            },
            ParamType::Union(members) => {
                for member in members {
                    if let Ok(value) = member.from_text(text) {
                        return Ok(value);
                    }
                }
                return Err(format!("`{text}` is not a `{}`", self.describe()));
            }
            ParamType::Any | ParamType::Other(_) => {
                let trimmed = text.trim_start();
                match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(json) if trimmed.starts_with(['[', '{']) => Value::from_json(&json),
                    _ => Value::String(text.to_string()),
                }
            }
            ParamType::String | ParamType::Literal(_) => Value::String(text.to_string()),
        };
        self.coerce(value)
    }
}

/// What a param is declared, for a label under its type: an alias is
/// shown with the type it names.
pub(super) fn declared_as(declared: &TypeExpr, ty: &ParamType) -> String {
    let written = type_text(declared);
    let resolved = ty.describe();
    if written == resolved {
        format!("the param is declared `{written}`")
    } else {
        format!("the param is declared `{written}`, which is `{resolved}`")
    }
}

/// A type expression as written, normalised.
pub fn type_text(ty: &TypeExpr) -> String {
    match &ty.kind {
        TypeKind::Path(path) => path.text(),
        TypeKind::Literal(s) => Value::String(s.clone()).to_string(),
        TypeKind::List(t) => format!("[{}]", type_text(t)),
        TypeKind::Map(t) => format!("{{string: {}}}", type_text(t)),
        TypeKind::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let key = if f.key.quoted {
                        Value::String(f.key.name.clone()).to_string()
                    } else {
                        f.key.name.clone()
                    };
                    let optional = if f.optional { "?" } else { "" };
                    format!("{key}{optional}: {}", type_text(&f.ty))
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        TypeKind::Optional(t) => format!("{}?", type_text(t)),
        TypeKind::Union(members) => members
            .iter()
            .map(type_text)
            .collect::<Vec<_>>()
            .join(" | "),
        TypeKind::Paren(t) => format!("({})", type_text(t)),
    }
}

/// The type of the alias `path`, declared as `body`; `inner` resolves the
/// names in `body`. An alias of an object type stays opaque, as written:
/// objects are the type checker's to check.
pub fn alias_type(
    path: &TypePath,
    body: &TypeExpr,
    inner: &mut dyn FnMut(&TypePath) -> Option<ParamType>,
) -> ParamType {
    let mut body = body;
    while let TypeKind::Paren(t) = &body.kind {
        body = t;
    }
    match &body.kind {
        TypeKind::Object(_) => ParamType::Other(path.text()),
        _ => ParamType::resolve(body, inner),
    }
}

/// The type aliases a file declares, resolved for its params. A name of
/// another file (`compute.Size`, an import's alias) is left to the type
/// checker, which loads that file: `foreign` records that one was met.
pub(super) struct LocalTypes<'a> {
    aliases: IndexMap<&'a str, &'a TypeExpr, FxBuildHasher>,
    /// The aliases being resolved: a recursive one stays opaque (the type
    /// checker reports it).
    busy: Vec<&'a str>,
    foreign: bool,
}

impl<'a> LocalTypes<'a> {
    pub(super) fn new(file: &'a SourceFile) -> LocalTypes<'a> {
        let mut aliases = IndexMap::default();
        for item in &file.items {
            if let ItemKind::TypeAlias(alias) = &item.kind {
                // A duplicate is reported by the resolver; the first counts.
                aliases.entry(alias.name.name.as_str()).or_insert(&alias.ty);
            }
        }
        LocalTypes {
            aliases,
            busy: Vec::new(),
            foreign: false,
        }
    }

    /// The declared type of a param, and whether it names an alias of
    /// another file.
    pub(super) fn resolve(&mut self, ty: &TypeExpr) -> (ParamType, bool) {
        self.foreign = false;
        let resolved = ParamType::resolve(ty, &mut |path| self.alias(path));
        (resolved, self.foreign)
    }

    fn alias(&mut self, path: &TypePath) -> Option<ParamType> {
        if path.separator == PathSeparator::Colons {
            return None;
        }
        let [name] = path.segments.as_slice() else {
            self.foreign = true;
            return None;
        };
        let (&name, &body) = self.aliases.get_key_value(name.name.as_str())?;
        if self.busy.contains(&name) {
            return None;
        }
        self.busy.push(name);
        let ty = alias_type(path, body, &mut |p| self.alias(p));
        self.busy.pop();
        Some(ty)
    }
}
