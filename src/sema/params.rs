//! Params: their constraint blocks, their defaults, and the values given at
//! compile time, checked against type and constraints.
//!
//! Every top-level param is checked here: its option block (known keys,
//! values of the right kind, options that fit the param's type, no
//! contradictions, patterns that compile), its default (a constant of the
//! param's type that satisfies every constraint, never on a secret), and
//! the value given to it at compile time (converted by the param's type,
//! then checked the same way). The params of components get the same
//! checks of their option blocks and defaults; their values come from
//! instances, which the type checker checks with [`Constraints::violations`].

use std::cell::RefCell;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use super::eval::{self, Value, show, values_equal};
use crate::diagnostics::{Diagnostic, codes};
use crate::params::{Given, GivenParams, GivenValue, Origin};
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::*;

/// What the checker knows of one top-level param.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamInfo {
    /// The value given at compile time, converted to the param's type: the
    /// param is then a constant, folded into the template.
    pub value: Option<Value>,
    pub secret: bool,
    /// The declared type, or the type of the default.
    pub ty: ParamType,
    /// The default, folded, when it is a valid constant.
    pub default: Option<Value>,
    /// The constraints that are well formed, to emit as the target's own.
    pub constraints: Constraints,
    /// `label`: a short name for consoles.
    pub label: Option<String>,
    /// `group`: the group the param is listed in.
    pub group: Option<String>,
    /// The value given at compile time, as given: a param whose type names
    /// an alias of another file is checked again, with the value converted
    /// again, once the type checker has resolved the alias.
    pub given: Option<Given>,
}

/// The keys of a param's option block.
pub const OPTIONS: &[&str] = &[
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "allowed",
    "secret",
    "message",
    "label",
    "group",
];

// ------------------------------------------------------------------- types

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
enum Fit {
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
    fn literals(&self) -> Vec<&str> {
        match self {
            ParamType::Literal(s) => vec![s.as_str()],
            ParamType::Optional(t) => t.literals(),
            ParamType::Union(members) => members.iter().flat_map(|m| m.literals()).collect(),
            _ => Vec::new(),
        }
    }

    fn fits(&self, option: &str) -> Fit {
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
fn declared_as(declared: &TypeExpr, ty: &ParamType) -> String {
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
struct LocalTypes<'a> {
    aliases: IndexMap<&'a str, &'a TypeExpr, FxBuildHasher>,
    /// The aliases being resolved: a recursive one stays opaque (the type
    /// checker reports it).
    busy: Vec<&'a str>,
    foreign: bool,
}

impl<'a> LocalTypes<'a> {
    fn new(file: &'a SourceFile) -> LocalTypes<'a> {
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
    fn resolve(&mut self, ty: &TypeExpr) -> (ParamType, bool) {
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

// ------------------------------------------------------------- constraints

/// One constraint with the span of its option line (`max = 20`).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint<T> {
    pub value: T,
    pub span: Span,
}

/// The constraints of a param, as its option block sets them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    /// An int or a number.
    pub min: Option<Constraint<Value>>,
    pub max: Option<Constraint<Value>>,
    pub min_length: Option<Constraint<u64>>,
    pub max_length: Option<Constraint<u64>>,
    /// `None` inside when the pattern uses a feature this compiler cannot
    /// check (the target still does).
    pub pattern: Option<Constraint<PatternConstraint>>,
    pub allowed: Option<Constraint<Vec<Value>>>,
    /// `message`: what the targets show when a constraint fails.
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PatternConstraint {
    /// The pattern as written.
    pub source: String,
    pub regex: Option<regex::Regex>,
}

/// A constraint a value breaks.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The option: `min`, `max`, `min_length`, `max_length`, `pattern`,
    /// `allowed`.
    pub option: &'static str,
    /// Its option line.
    pub span: Span,
    /// What is wrong, as a phrase: `25 is greater than the maximum 20`.
    pub reason: String,
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn list_values(values: &[Value]) -> String {
    let mut shown: Vec<String> = values.iter().take(10).map(show).collect();
    if values.len() > 10 {
        shown.push("...".into());
    }
    shown.join(", ")
}

impl Constraints {
    /// Every constraint `value` breaks, in the order of the option keys.
    /// Null (an optional left out) breaks none.
    pub fn violations(&self, value: &Value) -> Vec<Violation> {
        let mut found = Vec::new();
        if *value == Value::Null {
            return found;
        }
        // A long value is not repeated in full: it is on screen already.
        let shown = show(value);
        let subject = if shown.chars().count() <= 32 {
            shown
        } else {
            "the value".to_string()
        };
        let mut add = |option: &'static str, span: Span, reason: String| {
            found.push(Violation {
                option,
                span,
                reason,
            })
        };
        if let Some(allowed) = &self.allowed
            && !allowed.value.iter().any(|a| values_equal(a, value))
        {
            add(
                "allowed",
                allowed.span,
                format!(
                    "{} is not one of the allowed values {}",
                    subject,
                    list_values(&allowed.value)
                ),
            );
        }
        if let Some(min) = &self.min
            && compare(value, &min.value).is_some_and(|o| o.is_lt())
        {
            add(
                "min",
                min.span,
                format!("{} is less than the minimum {}", subject, min.value),
            );
        }
        if let Some(max) = &self.max
            && compare(value, &max.value).is_some_and(|o| o.is_gt())
        {
            add(
                "max",
                max.span,
                format!("{} is greater than the maximum {}", subject, max.value),
            );
        }
        if let Value::String(text) = value {
            let len = text.chars().count() as u64;
            if let Some(min) = &self.min_length
                && len < min.value
            {
                add(
                    "min_length",
                    min.span,
                    format!(
                        "{} is {} long, fewer than the minimum of {}",
                        subject,
                        plural(len, "character", "characters"),
                        min.value
                    ),
                );
            }
            if let Some(max) = &self.max_length
                && len > max.value
            {
                add(
                    "max_length",
                    max.span,
                    format!(
                        "{} is {} long, more than the maximum of {}",
                        subject,
                        plural(len, "character", "characters"),
                        max.value
                    ),
                );
            }
            if let Some(pattern) = &self.pattern
                && let Some(regex) = &pattern.value.regex
                && regex.full_match(text) == Some(false)
            {
                add(
                    "pattern",
                    pattern.span,
                    format!(
                        "{} does not match the pattern `{}`",
                        subject, pattern.value.source
                    ),
                );
            }
        }
        found
    }
}

// ----------------------------------------------------------------- checker

/// Checks every top-level param of `file` and the compile-time values given.
///
/// A param whose type names an alias of another file (`compute.Size`, an
/// import's) gets a provisional info here and no diagnostics: the type
/// checker resolves the alias and checks it with [`check_foreign`].
pub fn check(
    file: &SourceFile,
    given: &GivenParams,
) -> (IndexMap<String, ParamInfo>, Vec<Diagnostic>) {
    let mut checker = Checker {
        env: Env::new(file, given, declared_types(file, None)),
        hidden: IndexMap::new(),
        diagnostics: Vec::new(),
    };
    checker.unknown_given(file, given);
    let mut infos = IndexMap::new();
    for item in &file.items {
        match &item.kind {
            ItemKind::Param(param) => {
                let name = &param.name.name;
                // A duplicate is reported by the resolver; the first counts.
                let first = !infos.contains_key(name);
                let declared = if first {
                    checker.env.declared.types.get(name.as_str()).cloned()
                } else {
                    param.ty.as_ref().map(ParamType::from_ast)
                };
                let before = checker.diagnostics.len();
                let info = checker.param(param, true, given.get(name), declared);
                if first && checker.env.declared.foreign.contains(&name.as_str()) {
                    checker.diagnostics.truncate(before);
                }
                infos.entry(name.clone()).or_insert(info);
            }
            ItemKind::Component(component) => checker.component(&component.items),
            _ => {}
        }
    }
    (infos, checker.diagnostics)
}

/// Checks the params [`check`] left to the type checker, now that it can
/// resolve every alias: `resolve` gives a declared type with the aliases of
/// every file resolved (see [`alias_type`]). Their infos are replaced.
pub fn check_foreign(
    file: &SourceFile,
    infos: &mut IndexMap<String, ParamInfo>,
    resolve: &mut dyn FnMut(&TypeExpr) -> ParamType,
) -> Vec<Diagnostic> {
    let declared = declared_types(file, Some(resolve));
    if declared.foreign.is_empty() {
        return Vec::new();
    }
    let foreign = declared.foreign.clone();
    let given: GivenParams = infos
        .iter()
        .filter_map(|(name, info)| Some((name.clone(), info.given.clone()?)))
        .collect();
    let mut checker = Checker {
        env: Env::new(file, &given, declared),
        hidden: IndexMap::new(),
        diagnostics: Vec::new(),
    };
    for name in foreign {
        let Some(param) = checker.env.params.get(name).copied() else {
            continue;
        };
        let declared = checker.env.declared.types.get(name).cloned();
        let info = checker.param(param, true, given.get(name), declared);
        infos.insert(name.to_string(), info);
    }
    checker.diagnostics
}

/// The declared types of a file's top-level params.
struct Declared<'a> {
    types: IndexMap<&'a str, ParamType, FxBuildHasher>,
    /// The params whose types name an alias of another file.
    foreign: Vec<&'a str>,
}

/// The declared types of the top-level params, the file's own aliases
/// resolved; those naming an alias of another file are given by `foreign`
/// when there is one, else left opaque.
fn declared_types<'a>(
    file: &'a SourceFile,
    mut foreign: Option<&mut dyn FnMut(&TypeExpr) -> ParamType>,
) -> Declared<'a> {
    let mut local = LocalTypes::new(file);
    let mut declared = Declared {
        types: IndexMap::default(),
        foreign: Vec::new(),
    };
    for item in &file.items {
        let ItemKind::Param(param) = &item.kind else {
            continue;
        };
        let name = param.name.name.as_str();
        let Some(ty) = &param.ty else {
            continue;
        };
        if declared.types.contains_key(name) || declared.foreign.contains(&name) {
            continue;
        }
        let (mut resolved, is_foreign) = local.resolve(ty);
        if is_foreign {
            declared.foreign.push(name);
            if let Some(foreign) = foreign.as_mut() {
                resolved = foreign(ty);
            }
        }
        declared.types.insert(name, resolved);
    }
    declared
}

/// The constraints a component's param sets, to check the values its
/// instances pass. Mistakes in the options themselves are reported when the
/// component's file is checked, so they are dropped here.
pub fn constraints_of(file: &SourceFile, param: &Param) -> Constraints {
    let Some(ty) = &param.ty else {
        return Constraints::default();
    };
    let given = GivenParams::new();
    // Nothing is given: the top-level params' types are not needed.
    let declared = Declared {
        types: IndexMap::default(),
        foreign: Vec::new(),
    };
    let mut checker = Checker {
        env: Env::new(file, &given, declared),
        hidden: IndexMap::new(),
        diagnostics: Vec::new(),
    };
    checker.options(param, &ParamType::from_ast(ty)).constraints
}

/// What a name declared in the file is, for messages.
fn describe_kind(kind: &str) -> &'static str {
    match kind {
        "param" => "a param left open, known only at deploy time",
        "let" => "a let known only at deploy time",
        "resource" => "a resource, known only at deploy time",
        "import" => "an imported module, not a value",
        "component" => "a component, not a value",
        _ => "a name known only at deploy time",
    }
}

enum Memo {
    Busy,
    /// The value, and whether folding it reported an error.
    Done(Option<Value>, bool),
}

/// The file's top-level names and their compile-time values: lets of
/// constants, and params given a value. Folded lazily, each once.
struct Env<'a> {
    lets: IndexMap<&'a str, &'a Expr, FxBuildHasher>,
    params: IndexMap<&'a str, &'a Param, FxBuildHasher>,
    kinds: IndexMap<&'a str, &'static str, FxBuildHasher>,
    given: &'a GivenParams,
    declared: Declared<'a>,
    memo: RefCell<IndexMap<String, Memo>>,
}

impl<'a> Env<'a> {
    fn new(file: &'a SourceFile, given: &'a GivenParams, declared: Declared<'a>) -> Env<'a> {
        let mut env = Env {
            lets: IndexMap::default(),
            params: IndexMap::default(),
            kinds: IndexMap::with_capacity_and_hasher(file.items.len(), FxBuildHasher),
            given,
            declared,
            memo: RefCell::new(IndexMap::new()),
        };
        for item in &file.items {
            let (name, kind) = match &item.kind {
                ItemKind::Param(p) => {
                    env.params.entry(&p.name.name).or_insert(p);
                    (&p.name, "param")
                }
                ItemKind::Let(l) => {
                    env.lets.entry(&l.name.name).or_insert(&l.value);
                    (&l.name, "let")
                }
                ItemKind::Resource(r) => (&r.name, "resource"),
                ItemKind::Import(i) => (&i.alias, "import"),
                ItemKind::Component(c) => (&c.name, "component"),
                _ => continue,
            };
            env.kinds.entry(&name.name).or_insert(kind);
        }
        env
    }

    fn lookup(&self, name: &str) -> Option<Value> {
        self.resolve(name).0
    }

    /// The compile-time value of a top-level name, and whether folding it
    /// reported an error (then nothing more is said about it here).
    fn resolve(&self, name: &str) -> (Option<Value>, bool) {
        if let Some(memo) = self.memo.borrow().get(name) {
            return match memo {
                Memo::Busy => (None, false),
                Memo::Done(value, failed) => (value.clone(), *failed),
            };
        }
        let let_value = self.lets.get(name).copied();
        let param = self.params.get(name).copied();
        if let_value.is_none() && param.is_none() {
            return (None, false);
        }
        self.memo.borrow_mut().insert(name.to_string(), Memo::Busy);
        let result = match (let_value, param) {
            (Some(expr), _) => {
                // Errors in lets are reported where lets are checked.
                let mut scratch = Vec::new();
                let value = eval::eval(expr, &|n| self.lookup(n), &mut scratch);
                (value, !scratch.is_empty())
            }
            (None, Some(param)) => (self.given_value(param), false),
            (None, None) => (None, false),
        };
        self.memo
            .borrow_mut()
            .insert(name.to_string(), Memo::Done(result.0.clone(), result.1));
        result
    }

    /// The value given to a param at compile time, converted to its type;
    /// whether it satisfies the constraints is checked (and reported) once,
    /// by the checker.
    fn given_value(&self, param: &Param) -> Option<Value> {
        let given = self.given.get(&param.name.name)?;
        let mut scratch = Vec::new();
        let secret = param
            .options
            .iter()
            .flat_map(|b| &b.properties)
            .filter(|p| p.key.name == "secret")
            .any(|p| {
                eval::eval(&p.value, &|n| self.lookup(n), &mut scratch) == Some(Value::Bool(true))
            });
        if secret {
            return None;
        }
        let ty = match (&param.ty, &param.default) {
            (Some(ty), _) => self
                .declared
                .types
                .get(param.name.name.as_str())
                .cloned()
                .unwrap_or_else(|| ParamType::from_ast(ty)),
            (None, Some(default)) => eval::eval(default, &|n| self.lookup(n), &mut scratch)
                .map_or(ParamType::Any, |v| ParamType::of_value(&v)),
            (None, None) => ParamType::Any,
        };
        convert(given, &ty).ok()
    }
}

fn convert(given: &Given, ty: &ParamType) -> Result<Value, String> {
    match &given.value {
        GivenValue::Text(text) => ty.from_text(text),
        GivenValue::Json(json) => ty.coerce(Value::from_json(json)),
    }
}

/// Why an expression is not a constant.
enum Culprit<'e> {
    /// This name is known only at deploy time: a description of it.
    Name(&'e Ident, String),
    /// Something already reported (an unknown name, an error in a let).
    Quiet,
    /// Nothing found: not a name's fault (an unfoldable call, a type error).
    Nothing,
}

/// The option block of one param, read.
#[derive(Default)]
struct Options {
    constraints: Constraints,
    secret: bool,
    secret_span: Option<Span>,
    label: Option<String>,
    group: Option<String>,
}

struct Checker<'a> {
    env: Env<'a>,
    /// Names declared in the component being checked, by kind: they hide
    /// the file's names and have no value here.
    hidden: IndexMap<String, &'static str>,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    /// Folds `expr`; also says whether that reported an error.
    fn fold(&mut self, expr: &Expr) -> (Option<Value>, bool) {
        let before = self.diagnostics.len();
        let env = &self.env;
        let hidden = &self.hidden;
        let value = eval::eval(
            expr,
            &|n| {
                if hidden.contains_key(n) {
                    None
                } else {
                    env.lookup(n)
                }
            },
            &mut self.diagnostics,
        );
        (value, self.diagnostics.len() > before)
    }

    fn kind_of(&self, name: &str) -> Option<&'static str> {
        self.hidden
            .get(name)
            .copied()
            .or_else(|| self.env.kinds.get(name).copied())
    }

    /// The first name that keeps `expr` from being a constant.
    fn culprit<'e>(&self, expr: &'e Expr) -> Culprit<'e> {
        let mut found = Culprit::Nothing;
        let mut bound = Vec::new();
        visit_names(expr, &mut bound, &mut |ident| {
            if !self.hidden.contains_key(&ident.name) {
                let (value, failed) = self.env.resolve(&ident.name);
                if value.is_some() {
                    return false;
                }
                if failed {
                    found = Culprit::Quiet;
                    return true;
                }
            }
            found = match self.kind_of(&ident.name) {
                Some(kind) => Culprit::Name(ident, describe_kind(kind).to_string()),
                None => Culprit::Quiet,
            };
            true
        });
        found
    }

    fn component(&mut self, items: &[Item]) {
        let saved = self.hidden.clone();
        declare_hidden(items, &mut self.hidden);
        for item in items {
            match &item.kind {
                ItemKind::Param(param) => {
                    let declared = param.ty.as_ref().map(ParamType::from_ast);
                    self.param(param, false, None, declared);
                }
                ItemKind::Component(component) => self.component(&component.items),
                _ => {}
            }
        }
        self.hidden = saved;
    }

    fn unknown_given(&mut self, file: &SourceFile, given: &GivenParams) {
        let names: Vec<&str> = self.env.params.keys().copied().collect();
        for (name, value) in given {
            // The environment is shared by every program run in it: a
            // variable for a param another program declares is no mistake.
            if value.origin == Origin::Env || self.env.params.contains_key(name.as_str()) {
                continue;
            }
            let start = file.span.start as usize;
            let mut diagnostic = Diagnostic::new(
                &codes::E0102,
                Span::new(file.span.file, start, start),
                format!("no param `{name}` in this program"),
            )
            .label(format!(
                "{} gives a value to `{name}`, which this file does not declare",
                value.source(name)
            ));
            if let Some(kind) = self.env.kinds.get(name.as_str()) {
                diagnostic = diagnostic.note(format!(
                    "`{name}` is a {kind}, not a param: only params take values at compile time"
                ));
            }
            diagnostic = match names.len() {
                0 => diagnostic.note("this file declares no params"),
                _ => {
                    let mut shown: Vec<String> =
                        names.iter().take(10).map(|n| format!("`{n}`")).collect();
                    if names.len() > 10 {
                        shown.push("...".into());
                    }
                    diagnostic.note(format!("the params of this file are {}", shown.join(", ")))
                }
            };
            if let Some(near) = suggest::best_match(name, names.iter().copied()) {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            } else {
                diagnostic = diagnostic.help(match &value.origin {
                    Origin::File(path) => format!(
                        "remove \"{name}\" from the params file `{}`",
                        path.display()
                    ),
                    _ => format!("remove `--param {name}=...`"),
                });
            }
            self.diagnostics.push(diagnostic);
        }
    }

    /// Checks one param, of the declared type `declared` (its aliases
    /// resolved as far as they can be).
    fn param(
        &mut self,
        param: &Param,
        top_level: bool,
        given: Option<&Given>,
        declared: Option<ParamType>,
    ) -> ParamInfo {
        let name = &param.name.name;
        let mut default = None;
        let mut not_constant = None;
        if let Some(expr) = &param.default {
            let (value, failed) = self.fold(expr);
            default = value;
            // A param given a value is not emitted: its default is unused.
            if default.is_none()
                && !failed
                && top_level
                && given.is_none()
                && let Culprit::Name(ident, what) = self.culprit(expr)
            {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0308,
                    ident.span,
                    format!("the default of `{name}` is not known at compile time"),
                )
                .label(format!("`{}` is {what}", ident.name));
                if ident.span != expr.span {
                    diagnostic = diagnostic.secondary(expr.span, "the default");
                }
                diagnostic = diagnostic.note(
                    "a default is written into the template, so it must be a constant: literals, lets of constants, and params given a value at compile time",
                );
                if self.kind_of(&ident.name) == Some("param") {
                    diagnostic = diagnostic.help(format!(
                        "give `{0}` a value at compile time (`--param {0}=...`), or write the default out",
                        ident.name
                    ));
                } else {
                    diagnostic = diagnostic.help("write the default out as a constant");
                }
                not_constant = Some(diagnostic);
            }
        }
        let ty = declared
            .or_else(|| default.as_ref().map(ParamType::of_value))
            .unwrap_or(ParamType::Any);
        let options = self.options(param, &ty);
        let mut valid_default = None;
        if let (Some(expr), true) = (&param.default, options.secret) {
            self.secret_default(param, expr, options.secret_span);
        } else if let Some(diagnostic) = not_constant {
            self.diagnostics.push(diagnostic);
        } else if let (Some(expr), Some(value)) = (&param.default, default) {
            valid_default = self.check_default(param, expr, &ty, &options, value);
        }
        let mut value = None;
        if let Some(given) = given {
            if options.secret {
                self.secret_given(param, given, options.secret_span);
            } else {
                value = self.check_given(param, given, &ty, &options);
            }
        }
        ParamInfo {
            value,
            secret: options.secret,
            ty,
            default: valid_default,
            constraints: options.constraints,
            label: options.label,
            group: options.group,
            given: given.cloned(),
        }
    }

    fn type_mismatch_help(&self, ty: &ParamType, value: &Value) -> Option<String> {
        let Value::String(text) = value else {
            return None;
        };
        let literals = ty.literals();
        if literals.is_empty() {
            return None;
        }
        match suggest::best_match(text, literals.iter().copied()) {
            Some(near) => Some(format!("did you mean \"{near}\"?")),
            None => Some(format!(
                "the values accepted are {}",
                literals
                    .iter()
                    .map(|l| format!("\"{l}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn type_secondary(&self, diagnostic: Diagnostic, param: &Param, ty: &ParamType) -> Diagnostic {
        match &param.ty {
            Some(declared) => diagnostic.secondary(declared.span, declared_as(declared, ty)),
            None => diagnostic,
        }
    }

    fn check_default(
        &mut self,
        param: &Param,
        expr: &Expr,
        ty: &ParamType,
        options: &Options,
        value: Value,
    ) -> Option<Value> {
        let name = &param.name.name;
        let value = match ty.coerce(value.clone()) {
            Ok(value) => value,
            Err(reason) => {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0302,
                    expr.span,
                    format!(
                        "the default of `{name}` does not match its type `{}`",
                        ty.describe()
                    ),
                )
                .label(reason);
                diagnostic = self.type_secondary(diagnostic, param, ty);
                if let Some(help) = self.type_mismatch_help(ty, &value) {
                    diagnostic = diagnostic.help(help);
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let violations = options.constraints.violations(&value);
        for violation in &violations {
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                expr.span,
                format!(
                    "the default of `{name}` violates its `{}` constraint",
                    violation.option
                ),
            )
            .label(violation.reason.clone())
            .secondary(violation.span, "the constraint");
            if let Some(message) = &options.constraints.message {
                diagnostic = diagnostic.note(format!("the param's message: {message}"));
            }
            self.diagnostics.push(diagnostic);
        }
        violations.is_empty().then_some(value)
    }

    fn check_given(
        &mut self,
        param: &Param,
        given: &Given,
        ty: &ParamType,
        options: &Options,
    ) -> Option<Value> {
        let name = &param.name.name;
        let origin = given.describe(name);
        let value = match convert(given, ty) {
            Ok(value) => value,
            Err(reason) => {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0302,
                    param.name.span,
                    format!(
                        "the value given for `{name}` does not match its type `{}`",
                        ty.describe()
                    ),
                )
                .label(format!("{origin}: {reason}"));
                diagnostic = self.type_secondary(diagnostic, param, ty);
                let raw = match &given.value {
                    GivenValue::Text(text) => Value::String(text.clone()),
                    GivenValue::Json(json) => Value::from_json(json),
                };
                if let Some(help) = self.type_mismatch_help(ty, &raw) {
                    diagnostic = diagnostic.help(help);
                }
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let violations = options.constraints.violations(&value);
        for violation in &violations {
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                param.name.span,
                format!(
                    "the value given for `{name}` violates its `{}` constraint",
                    violation.option
                ),
            )
            .label(format!("{origin}: {}", violation.reason))
            .secondary(violation.span, "the constraint");
            if let Some(message) = &options.constraints.message {
                diagnostic = diagnostic.note(format!("the param's message: {message}"));
            }
            self.diagnostics.push(diagnostic);
        }
        violations.is_empty().then_some(value)
    }

    fn secret_default(&mut self, param: &Param, expr: &Expr, secret: Option<Span>) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0309,
            expr.span,
            format!("secret param `{}` has a default", param.name.name),
        )
        .label("this would be written into the template in plain text");
        if let Some(span) = secret {
            diagnostic = diagnostic.secondary(span, "the param is secret");
        }
        self.diagnostics.push(
            diagnostic
                .note("every target writes a param's default into the template, where anyone who can read the template can read the secret")
                .help("remove the default: the value is then asked for when the template is deployed, and hidden"),
        );
    }

    fn secret_given(&mut self, param: &Param, given: &Given, secret: Option<Span>) {
        let name = &param.name.name;
        let mut diagnostic = Diagnostic::new(
            &codes::E0309,
            param.name.span,
            format!("secret param `{name}` is given a value at compile time"),
        )
        .label(format!("given by {}", given.source(name)));
        if let Some(span) = secret {
            diagnostic = diagnostic.secondary(span, "the param is secret");
        }
        self.diagnostics.push(
            diagnostic
                .note("a value given at compile time is folded into the template, where anyone who can read the template can read the secret")
                .help(format!(
                    "leave it to deploy time: remove it from {}, and give it as a parameter when the template is deployed",
                    given.source(name)
                )),
        );
    }

    fn options(&mut self, param: &Param, ty: &ParamType) -> Options {
        let mut out = Options::default();
        let Some(block) = &param.options else {
            return out;
        };
        let mut seen: IndexMap<&str, Span> = IndexMap::new();
        let mut allowed_spans = Vec::new();
        for property in &block.properties {
            let key = property.key.name.as_str();
            if !OPTIONS.contains(&key) {
                self.unknown_option(&property.key);
                continue;
            }
            if let Some(first) = seen.get(key) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0317,
                        property.key.span,
                        format!("the option `{key}` is set twice"),
                    )
                    .label("set again here")
                    .secondary(*first, "first set here")
                    .help("remove one of them"),
                );
                continue;
            }
            seen.insert(key, property.key.span);
            let (value, failed) = self.fold(&property.value);
            let Some(value) = value else {
                if !failed {
                    self.option_not_constant(key, &property.value);
                }
                continue;
            };
            if ty.fits(key) == Fit::No {
                self.option_does_not_fit(param, key, &property.key, ty);
                continue;
            }
            // The option's line, without the line break the property's own
            // span may hold.
            let span = property.key.span.to(property.value.span);
            let value_span = property.value.span;
            match (key, value) {
                // A whole-number param bounded by a fraction: the templates
                // would carry a bound no value of the param can meet exactly.
                ("min" | "max", Value::Number(n)) if *ty == ParamType::Int && n.fract() != 0.0 => {
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` of an int param must be a whole number, not {n}"),
                        "a fraction".into(),
                        format!(
                            "write a whole number: `{key} = {}`",
                            if key == "min" { n.ceil() } else { n.floor() }
                        ),
                    );
                }
                ("min" | "max", value @ (Value::Int(_) | Value::Number(_))) => {
                    let constraint = Some(Constraint { value, span });
                    if key == "min" {
                        out.constraints.min = constraint;
                    } else {
                        out.constraints.max = constraint;
                    }
                }
                ("min_length" | "max_length", Value::Int(n)) if n >= 0 => {
                    let constraint = Some(Constraint {
                        value: n as u64,
                        span,
                    });
                    if key == "min_length" {
                        out.constraints.min_length = constraint;
                    } else {
                        out.constraints.max_length = constraint;
                    }
                }
                ("min_length" | "max_length", Value::Int(n)) => {
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` cannot be negative"),
                        format!("this is {n}"),
                        format!("a length is 0 or more: `{key} = 0`"),
                    );
                }
                ("pattern", Value::String(source)) => {
                    let regex = match regex::Regex::new(&source) {
                        Ok(regex) => {
                            if !regex.is_anchored() {
                                self.unanchored(param, &source, value_span);
                            }
                            Some(regex)
                        }
                        Err(error) if error.unsupported => None,
                        Err(error) => {
                            self.invalid_regex(&property.value, &source, &error);
                            continue;
                        }
                    };
                    out.constraints.pattern = Some(Constraint {
                        value: PatternConstraint { source, regex },
                        span,
                    });
                }
                ("allowed", Value::List(items)) => {
                    if items.is_empty() {
                        self.bad_option(
                            key,
                            value_span,
                            "`allowed` lists no values".into(),
                            "an empty list accepts nothing".into(),
                            "list the values accepted, or remove `allowed`".into(),
                        );
                        continue;
                    }
                    let spans: Vec<Span> = match &property.value.kind {
                        ExprKind::List(exprs) if exprs.len() == items.len() => {
                            exprs.iter().map(|e| e.span).collect()
                        }
                        _ => vec![value_span; items.len()],
                    };
                    let mut values = Vec::with_capacity(items.len());
                    let mut ok = true;
                    for (item, span) in items.into_iter().zip(&spans) {
                        match ty.coerce(item.clone()) {
                            Ok(v) => values.push(v),
                            Err(reason) => {
                                ok = false;
                                let diagnostic = Diagnostic::new(
                                    &codes::E0304,
                                    *span,
                                    format!(
                                        "the allowed value {} does not match the param's type `{}`",
                                        show(&item),
                                        ty.describe()
                                    ),
                                )
                                .label(reason);
                                let diagnostic = self.type_secondary(diagnostic, param, ty);
                                self.diagnostics.push(diagnostic);
                            }
                        }
                    }
                    if ok {
                        allowed_spans = spans;
                        out.constraints.allowed = Some(Constraint {
                            value: values,
                            span,
                        });
                    }
                }
                ("secret", Value::Bool(b)) => {
                    out.secret = b;
                    out.secret_span = Some(span);
                }
                ("message", Value::String(s)) => out.constraints.message = Some(s),
                ("label", Value::String(s)) => out.label = Some(s),
                ("group", Value::String(s)) => out.group = Some(s),
                (_, value) => {
                    let (expected, example) = match key {
                        "min" | "max" => ("a number", format!("`{key} = 1`")),
                        "min_length" | "max_length" => ("an int", format!("`{key} = 8`")),
                        "pattern" => ("a string", "`pattern = \"^[a-z]+$\"`".into()),
                        "allowed" => ("a list", "`allowed = [\"a\", \"b\"]`".into()),
                        "secret" => ("a bool", "`secret = true`".into()),
                        _ => ("a string", format!("`{key} = \"...\"`")),
                    };
                    self.bad_option(
                        key,
                        value_span,
                        format!("`{key}` must be {expected}, not {}", value.kind()),
                        format!("this is {}: {}", value.kind(), show(&value)),
                        format!("write {expected}: {example}"),
                    );
                }
            }
        }
        self.contradictions(&mut out.constraints, &allowed_spans);
        out
    }

    fn bad_option(&mut self, key: &str, span: Span, message: String, label: String, help: String) {
        let _ = key;
        self.diagnostics.push(
            Diagnostic::new(&codes::E0304, span, message)
                .label(label)
                .help(help),
        );
    }

    fn unknown_option(&mut self, key: &Key) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0303,
            key.span,
            format!("unknown param option `{}`", key.name),
        )
        .label("not an option of a param");
        diagnostic = diagnostic.did_you_mean(&key.name, OPTIONS.iter().copied());
        let all: Vec<String> = OPTIONS.iter().map(|o| format!("`{o}`")).collect();
        self.diagnostics
            .push(diagnostic.note(format!("the options of a param are {}", all.join(", "))));
    }

    fn option_not_constant(&mut self, key: &str, expr: &Expr) {
        let diagnostic = match self.culprit(expr) {
            Culprit::Quiet => return,
            Culprit::Name(ident, what) => {
                let diagnostic = Diagnostic::new(
                    &codes::E0304,
                    ident.span,
                    format!("the value of `{key}` must be known at compile time"),
                )
                .label(format!("`{}` is {what}", ident.name));
                if ident.span == expr.span {
                    diagnostic
                } else {
                    diagnostic.secondary(expr.span, format!("the value of `{key}`"))
                }
            }
            Culprit::Nothing => Diagnostic::new(
                &codes::E0304,
                expr.span,
                format!("the value of `{key}` must be known at compile time"),
            )
            .label("this cannot be computed at compile time"),
        };
        self.diagnostics.push(
            diagnostic
                .note("constraints are written into the template and checked by the compiler, so they must be constants")
                .help("write a literal, or use a `let` of constants"),
        );
    }

    fn option_does_not_fit(&mut self, param: &Param, key: &str, key_span: &Key, ty: &ParamType) {
        let (applies, help) = match key {
            "min" | "max" => (
                "ints and numbers",
                "to limit the length of a string, use `min_length` and `max_length`; to list the values accepted, use `allowed`",
            ),
            _ => (
                "strings",
                "to limit an int or a number, use `min` and `max`; to list the values accepted, use `allowed`",
            ),
        };
        let mut diagnostic = Diagnostic::new(
            &codes::E0305,
            key_span.span,
            format!(
                "`{key}` does not apply to a param of type `{}`",
                ty.describe()
            ),
        )
        .label(format!("`{key}` constrains {applies}"));
        diagnostic = match (&param.ty, &param.default) {
            (Some(declared), _) => diagnostic.secondary(declared.span, declared_as(declared, ty)),
            (None, Some(default)) => diagnostic.secondary(
                default.span,
                format!("the default makes the param a `{}`", ty.describe()),
            ),
            (None, None) => diagnostic,
        };
        self.diagnostics.push(diagnostic.help(help));
    }

    fn invalid_regex(&mut self, expr: &Expr, source: &str, error: &regex::Error) {
        let span = pattern_span(expr, source, error.start, error.end);
        let mut diagnostic = Diagnostic::new(
            &codes::E0307,
            span,
            format!("invalid regular expression in `pattern`: {}", error.message),
        )
        .label(error.message.clone());
        if span != expr.span {
            diagnostic = diagnostic.secondary(expr.span, "in this pattern");
        }
        self.diagnostics.push(
            diagnostic
                .note("patterns use the syntax CloudFormation, Heat and Terraform share: literals, `.`, classes `[a-z]`, `\\d \\w \\s`, anchors `^ $`, groups `( | )` and quantifiers `* + ? {n,m}`")
                .help("a literal `(`, `[`, `{`, `*`, `+`, `?`, `.` or `\\` is escaped with a backslash, written `\\\\` in an Infra string, or put in a class: `[.]`"),
        );
    }

    fn unanchored(&mut self, param: &Param, source: &str, span: Span) {
        let missing = match (
            source.starts_with('^') || source.starts_with("\\A"),
            source.ends_with('$') || source.ends_with("\\z"),
        ) {
            (false, false) => "neither starts with `^` nor ends with `$`",
            (true, _) => "does not end with `$`",
            (false, true) => "does not start with `^`",
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::W0301,
                span,
                format!("the pattern of `{}` is not anchored", param.name.name),
            )
            .label(format!("this pattern {missing}"))
            .note("CloudFormation and Heat match a pattern against the whole value, Terraform's `regex` against any part of it: an unanchored pattern accepts different values on different targets")
            .help("anchor the pattern at both ends: `^...$`"),
        );
    }

    /// Reports constraints that contradict each other, and drops bounds
    /// that cross (every value would break one of them).
    fn contradictions(&mut self, constraints: &mut Constraints, allowed_spans: &[Span]) {
        if let (Some(min), Some(max)) = (&constraints.min, &constraints.max)
            && compare(&min.value, &max.value).is_some_and(|o| o.is_gt())
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0306,
                    min.span,
                    format!(
                        "`min` ({}) is greater than `max` ({})",
                        min.value, max.value
                    ),
                )
                .label(format!("the minimum is {}", min.value))
                .secondary(max.span, format!("but the maximum is {}", max.value))
                .note("no value can satisfy both")
                .help("swap the bounds, or correct one of them"),
            );
            constraints.min = None;
            constraints.max = None;
        }
        if let (Some(min), Some(max)) = (&constraints.min_length, &constraints.max_length)
            && min.value > max.value
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0306,
                    min.span,
                    format!(
                        "`min_length` ({}) is greater than `max_length` ({})",
                        min.value, max.value
                    ),
                )
                .label(format!("the minimum length is {}", min.value))
                .secondary(max.span, format!("but the maximum length is {}", max.value))
                .note("no value can satisfy both")
                .help("swap the bounds, or correct one of them"),
            );
            constraints.min_length = None;
            constraints.max_length = None;
        }
        let Some(allowed) = &constraints.allowed else {
            return;
        };
        let others = Constraints {
            allowed: None,
            ..constraints.clone()
        };
        for (value, span) in allowed.value.iter().zip(allowed_spans) {
            for violation in others.violations(value) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0306,
                        *span,
                        format!(
                            "the allowed value {} violates the `{}` constraint",
                            show(value),
                            violation.option
                        ),
                    )
                    .label(violation.reason)
                    .secondary(violation.span, "the constraint")
                    .note("a value in `allowed` that breaks another constraint can never be given")
                    .help("remove the value from `allowed`, or correct the other constraint"),
                );
            }
        }
    }
}

/// Declares the names of a component's items (and of its target blocks)
/// as hidden, by kind.
fn declare_hidden(items: &[Item], hidden: &mut IndexMap<String, &'static str>) {
    for item in items {
        let (name, kind) = match &item.kind {
            ItemKind::Param(p) => (&p.name, "param"),
            ItemKind::Let(l) => (&l.name, "let"),
            ItemKind::Resource(r) => (&r.name, "resource"),
            ItemKind::Target(t) => {
                declare_hidden(&t.items, hidden);
                continue;
            }
            _ => continue,
        };
        hidden.insert(name.name.clone(), kind);
    }
}

/// Calls `f` on every name `expr` reads, in source order, except loop
/// variables; `f` returns true to stop.
fn visit_names<'e>(
    expr: &'e Expr,
    bound: &mut Vec<&'e str>,
    f: &mut dyn FnMut(&'e Ident) -> bool,
) -> bool {
    match &expr.kind {
        ExprKind::Name(ident) => !bound.contains(&ident.name.as_str()) && f(ident),
        ExprKind::Str(lit) => visit_all(
            lit.parts.iter().filter_map(|p| match p {
                StrPart::Interp(e) => Some(e),
                StrPart::Text(_) => None,
            }),
            bound,
            f,
        ),
        ExprKind::List(items) => visit_all(items, bound, f),
        ExprKind::Object(props) => visit_all(props.iter().map(|p| &p.value), bound, f),
        ExprKind::Member(base, _) => visit_names(base, bound, f),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
            visit_all([&**a, &**b], bound, f)
        }
        ExprKind::Call(callee, args) => {
            let callee_is_function = matches!(callee.kind, ExprKind::Name(_));
            (!callee_is_function && visit_names(callee, bound, f)) || visit_all(args, bound, f)
        }
        ExprKind::Unary(_, e) | ExprKind::Paren(e) => visit_names(e, bound, f),
        ExprKind::Conditional(c, a, b) => visit_all([&**c, &**a, &**b], bound, f),
        ExprKind::ListComp(comp) => visit_comprehension(comp, None, bound, f),
        ExprKind::ObjectComp(comp, value) => visit_comprehension(comp, Some(value), bound, f),
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Number(_)
        | ExprKind::Error => false,
    }
}

fn visit_all<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    bound: &mut Vec<&'e str>,
    f: &mut dyn FnMut(&'e Ident) -> bool,
) -> bool {
    exprs.into_iter().any(|e| visit_names(e, bound, f))
}

fn visit_comprehension<'e>(
    comp: &'e Comprehension,
    value: Option<&'e Expr>,
    bound: &mut Vec<&'e str>,
    f: &mut dyn FnMut(&'e Ident) -> bool,
) -> bool {
    if visit_names(&comp.iterable, bound, f) {
        return true;
    }
    let depth = bound.len();
    bound.push(&comp.binding.first.name);
    if let Some(second) = &comp.binding.second {
        bound.push(&second.name);
    }
    let parts = comp
        .filter
        .iter()
        .chain(std::iter::once(&comp.body))
        .chain(value);
    let mut stop = false;
    for part in parts {
        if visit_names(part, bound, f) {
            stop = true;
            break;
        }
    }
    bound.truncate(depth);
    stop
}

/// The span of characters `start..end` of a pattern written as a plain
/// string literal; the whole expression when the source cannot be mapped
/// exactly (escapes that are ambiguous, interpolation, a `"""` string).
fn pattern_span(expr: &Expr, source: &str, start: usize, end: usize) -> Span {
    let ExprKind::Str(lit) = &expr.kind else {
        return expr.span;
    };
    if lit.multiline || lit.as_plain().as_deref() != Some(source) {
        return expr.span;
    }
    let widths: Vec<usize> = source
        .chars()
        .map(|c| match c {
            '\\' | '"' | '\n' | '\t' | '\r' | '\0' => 2,
            c => c.len_utf8(),
        })
        .collect();
    let total: usize = widths.iter().sum();
    let span_len = (expr.span.end - expr.span.start) as usize;
    if total + 2 != span_len || start > widths.len() {
        return expr.span;
    }
    let end = end.clamp(start, widths.len());
    let from = expr.span.start as usize + 1 + widths[..start].iter().sum::<usize>();
    let to = from + widths[start..end].iter().sum::<usize>();
    Span::new(expr.span.file, from, to.max(from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Given, GivenValue, Origin};
    use crate::source::FileId;

    fn parse(source: &str) -> SourceFile {
        let (file, syntax) = crate::syntax::parse(FileId(0), source);
        assert!(syntax.is_empty(), "{syntax:#?}");
        file
    }

    fn flag(value: &str) -> Given {
        Given {
            value: GivenValue::Text(value.to_string()),
            origin: Origin::Flag,
        }
    }

    fn json(value: serde_json::Value) -> Given {
        Given {
            value: GivenValue::Json(value),
            origin: Origin::File("prod.json".into()),
        }
    }

    fn run(
        source: &str,
        given: &[(&str, Given)],
    ) -> (IndexMap<String, ParamInfo>, Vec<Diagnostic>) {
        let file = parse(source);
        let given: GivenParams = given
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        check(&file, &given)
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
        diagnostics.iter().map(|d| d.code.id).collect()
    }

    /// The codes a program produces with no value given.
    fn codes_of(source: &str) -> Vec<&'static str> {
        codes(&run(source, &[]).1)
    }

    fn text_of(source: &str, span: Span) -> &str {
        &source[span.range()]
    }

    #[test]
    fn valid_params_give_their_info() {
        let source = r#"
let limit = 20
param web_count: int = 2 {
  min = 1
  max = limit
  label = "Servers"
  group = "Web"
}
param env: "staging" | "production" = "staging"
param name = "shop" { pattern = "^[a-z]+$" min_length = 2 max_length = 10 }
param tags: {string: string} = { team = "web" }
param ratio: number = 1
param zone: string? { allowed = ["a", "b"] }
"#;
        let (infos, diagnostics) = run(source, &[]);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let web = &infos["web_count"];
        assert_eq!(web.ty, ParamType::Int);
        assert_eq!(web.default, Some(Value::Int(2)));
        assert_eq!(web.value, None);
        assert_eq!(web.constraints.max.as_ref().unwrap().value, Value::Int(20));
        assert_eq!(
            text_of(source, web.constraints.max.as_ref().unwrap().span),
            "max = limit"
        );
        assert_eq!(web.label.as_deref(), Some("Servers"));
        assert_eq!(web.group.as_deref(), Some("Web"));
        assert_eq!(
            infos["name"].ty,
            ParamType::String,
            "the type of the default"
        );
        assert_eq!(infos["env"].ty.describe(), "\"staging\" | \"production\"");
        assert_eq!(infos["tags"].ty.describe(), "{string: string}");
        assert_eq!(infos["zone"].ty.describe(), "string?");
        assert!(!infos["web_count"].secret);
    }

    #[test]
    fn given_values_are_converted_by_type() {
        let source = r#"
param n: int
param r: number
param b: bool
param s: string
param l: [int]
param m: {string: bool}
param o: int?
param u = 5
param any_alias: compute.Size
"#;
        let (infos, diagnostics) = run(
            source,
            &[
                ("n", flag("-12")),
                ("r", flag("2.5")),
                ("b", flag("true")),
                ("s", flag("007")),
                ("l", flag("[1, 2]")),
                ("m", flag(r#"{"x": false}"#)),
                ("o", flag("null")),
                ("u", json(serde_json::json!(7))),
                ("any_alias", flag("large")),
            ],
        );
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(infos["n"].value, Some(Value::Int(-12)));
        assert_eq!(infos["r"].value, Some(Value::Number(2.5)));
        assert_eq!(infos["b"].value, Some(Value::Bool(true)));
        assert_eq!(infos["s"].value, Some(Value::String("007".into())));
        assert_eq!(
            infos["l"].value,
            Some(Value::List(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(infos["o"].value, Some(Value::Null));
        assert_eq!(infos["u"].value, Some(Value::Int(7)));
        assert_eq!(
            infos["any_alias"].value,
            Some(Value::String("large".into()))
        );
    }

    #[test]
    fn local_aliases_are_resolved_and_foreign_ones_left_to_the_checker() {
        let source = "type Tier = \"web\" | \"db\"\ntype Count = int\ntype Rule = { port: int }\nparam tier: Tier = \"wbe\"\nparam n: Count\nparam rule: Rule\nparam size: compute.Size = \"huge\"\n";
        let (mut infos, diagnostics) = run(source, &[("n", flag("3"))]);
        // `size` names an alias of another file: nothing is said of it yet.
        assert_eq!(codes(&diagnostics), ["E0302"], "{diagnostics:#?}");
        assert_eq!(text_of(source, diagnostics[0].primary.span), "\"wbe\"");
        let literal = |s: &str| ParamType::Literal(s.into());
        assert_eq!(
            infos["tier"].ty,
            ParamType::Union(vec![literal("web"), literal("db")])
        );
        // Read as the alias's type: an int, not the text "3".
        assert_eq!(infos["n"].value, Some(Value::Int(3)));
        assert_eq!(infos["rule"].ty, ParamType::Other("Rule".into()));
        let file = parse(source);
        let sizes = ParamType::Union(vec![literal("small"), literal("large")]);
        let mut resolved = Vec::new();
        let diagnostics = check_foreign(&file, &mut infos, &mut |ty| {
            resolved.push(type_text(ty));
            sizes.clone()
        });
        assert_eq!(resolved, ["compute.Size"]);
        assert_eq!(codes(&diagnostics), ["E0302"], "{diagnostics:#?}");
        assert_eq!(text_of(source, diagnostics[0].primary.span), "\"huge\"");
        assert_eq!(infos["size"].ty, sizes);
    }

    #[test]
    fn given_values_of_the_wrong_type_are_errors() {
        let source = "param n: int\nparam b: bool\nparam l: [int]\nparam e: \"a\" | \"bb\"\n";
        for (name, given, needle) in [
            ("n", flag("ten"), "`ten` is not an int"),
            ("n", flag("1.5"), "`1.5` is not an int"),
            ("b", flag("yes"), "write `true` or `false`"),
            ("l", flag("[1,"), "not valid JSON"),
            ("l", flag("[\"x\"]"), "element 0"),
            ("e", flag("b"), "found a string"),
            ("n", json(serde_json::json!("3")), "found a string"),
        ] {
            let (infos, diagnostics) = run(source, &[(name, given)]);
            assert_eq!(codes(&diagnostics), ["E0302"], "{name}");
            let d = &diagnostics[0];
            assert!(d.primary.message.contains(needle), "{needle}: {d:#?}");
            assert_eq!(text_of(source, d.primary.span), name, "on the param's name");
            assert_eq!(infos[name].value, None);
        }
        let (_, diagnostics) = run(source, &[("e", flag("bb "))]);
        assert_eq!(diagnostics[0].help, ["did you mean \"bb\"?"]);
    }

    #[test]
    fn given_values_are_checked_against_constraints() {
        let source = r#"param web_count: int = 2 {
  min = 1
  max = 20
  message = "1 to 20"
}
output c = web_count
"#;
        let (infos, diagnostics) = run(source, &[("web_count", flag("25"))]);
        assert_eq!(codes(&diagnostics), ["E0301"]);
        let d = &diagnostics[0];
        assert!(d.message.contains("`max`"), "{d:#?}");
        assert_eq!(
            d.primary.message,
            "`--param web_count=25`: 25 is greater than the maximum 20"
        );
        assert_eq!(text_of(source, d.primary.span), "web_count");
        assert_eq!(text_of(source, d.secondary[0].span), "max = 20");
        assert_eq!(d.notes, ["the param's message: 1 to 20"]);
        assert_eq!(infos["web_count"].value, None);

        let (infos, diagnostics) = run(source, &[("web_count", flag("20"))]);
        assert!(diagnostics.is_empty());
        assert_eq!(infos["web_count"].value, Some(Value::Int(20)));

        let (_, diagnostics) = run(source, &[("web_count", json(serde_json::json!(0)))]);
        assert!(
            diagnostics[0]
                .primary
                .message
                .starts_with("the params file `prod.json`")
        );
    }

    #[test]
    fn every_violated_constraint_is_reported() {
        let source = r#"param code: string = "AB" {
  min_length = 3
  pattern = "^[a-z]+$"
  allowed = ["abc", "def"]
}
"#;
        let (_, diagnostics) = run(source, &[]);
        let options: Vec<&str> = diagnostics
            .iter()
            .map(|d| d.message.split('`').nth(3).unwrap_or(""))
            .collect();
        assert_eq!(
            options,
            ["allowed", "min_length", "pattern"],
            "{diagnostics:#?}"
        );
        assert!(
            diagnostics
                .iter()
                .all(|d| text_of(source, d.primary.span) == "\"AB\"")
        );
    }

    #[test]
    fn secrets_are_never_folded() {
        let source = "param pw: string {\n  secret = true\n  min_length = 12\n}\n";
        let (infos, diagnostics) = run(source, &[("pw", flag("short"))]);
        assert_eq!(
            codes(&diagnostics),
            ["E0309"],
            "no constraint check on a secret"
        );
        let d = &diagnostics[0];
        assert_eq!(d.primary.message, "given by `--param pw`");
        assert!(
            !format!("{d:?}").contains("short"),
            "the secret is never echoed"
        );
        assert!(infos["pw"].secret);
        assert_eq!(infos["pw"].value, None);
        assert_eq!(
            codes_of("param pw: string = \"hunter2\" { secret = true }\n"),
            ["E0309"]
        );
    }

    #[test]
    fn unknown_names_given_are_errors_with_a_suggestion() {
        let source = "param region: string\nlet prefix = \"x\"\n";
        let (_, diagnostics) = run(source, &[("regoin", flag("x")), ("prefix", flag("y"))]);
        assert_eq!(codes(&diagnostics), ["E0102", "E0102"]);
        assert_eq!(diagnostics[0].primary.span, Span::new(FileId(0), 0, 0));
        assert_eq!(diagnostics[0].help, ["did you mean `region`?"]);
        assert!(diagnostics[1].notes[0].contains("`prefix` is a let, not a param"));
        let env = Given {
            value: GivenValue::Text("x".into()),
            origin: Origin::Env,
        };
        let (_, diagnostics) = run(source, &[("other", env)]);
        assert!(diagnostics.is_empty(), "the environment is shared");
    }

    #[test]
    fn defaults_may_read_constants_and_given_params() {
        let source = r#"
let base = 10
param a: int = base * 2 { max = 30 }
param b: int = a + 1
param c: string = "${a}-x"
"#;
        let (infos, diagnostics) = run(source, &[("a", flag("5"))]);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(infos["a"].default, Some(Value::Int(20)));
        assert_eq!(infos["b"].default, Some(Value::Int(6)));
        let (_, diagnostics) = run(source, &[]);
        assert_eq!(codes(&diagnostics), ["E0308", "E0308"]);
        assert!(diagnostics[0].help[0].contains("--param a="));
        // The default of a param given a value is not used.
        let (_, diagnostics) = run(source, &[("c", flag("z"))]);
        assert_eq!(codes(&diagnostics), ["E0308"]);
    }

    #[test]
    fn defaults_must_be_constants() {
        let source =
            "resource net: network.Network { cidr = \"10.0.0.0/16\" }\nparam id: string = net.id\n";
        let (_, diagnostics) = run(source, &[]);
        assert_eq!(codes(&diagnostics), ["E0308"]);
        assert_eq!(text_of(source, diagnostics[0].primary.span), "net");
        // Unknown names are the resolver's; errors in lets are the checker's.
        assert!(codes_of("param x: int = nowhere\n").is_empty());
        assert!(codes_of("let bad = 1 / 0\nparam x: int = bad\n").is_empty());
        // Loop variables are not deploy-time names.
        assert!(codes_of("param x: [int] = [for i in 0..2: i]\n").is_empty());
        // A cycle of lets folds to nothing, quietly.
        assert!(codes_of("let a = b\nlet b = a\nparam x: int = a\n").len() <= 1);
    }

    #[test]
    fn option_blocks_are_checked() {
        assert_eq!(codes_of("param x: int = 1 { mni = 0 }\n"), ["E0303"]);
        assert_eq!(
            codes_of("param x: int = 1 { min = 0 min = 1 }\n"),
            ["E0317"]
        );
        assert_eq!(codes_of("param x: int = 1 { min = \"0\" }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { min_length = -1 }\n"), ["E0304"]);
        assert_eq!(
            codes_of("param x: string { min_length = 1.5 }\n"),
            ["E0304"]
        );
        assert_eq!(codes_of("param x: string { allowed = [] }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { allowed = \"a\" }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { message = 1 }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { label = true }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { group = [] }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: string { min = 1 }\n"), ["E0305"]);
        assert_eq!(
            codes_of("param x: [string] { pattern = \"^a$\" }\n"),
            ["E0305"]
        );
        assert_eq!(codes_of("param x: bool { max_length = 2 }\n"), ["E0305"]);
        assert_eq!(codes_of("param x: int? { min = 1 }\n"), Vec::<&str>::new());
        assert_eq!(
            codes_of("param x: compute.Size { min_length = 1 }\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes_of("param x: \"a\" | \"b\" { max_length = 1 }\n"),
            Vec::<&str>::new()
        );
        assert_eq!(codes_of("param x: int { min = 5 max = 1 }\n"), ["E0306"]);
        assert_eq!(
            codes_of("param x: number { min = 1.5 max = 1 }\n"),
            ["E0306"]
        );
        assert_eq!(codes_of("param x: int { min = 1.5 }\n"), ["E0304"]);
        assert_eq!(codes_of("param x: int { max = 2.0 }\n"), Vec::<&str>::new());
        assert_eq!(
            codes_of("param x: string { min_length = 5 max_length = 1 }\n"),
            ["E0306"]
        );
        assert_eq!(
            codes_of("param x: string { pattern = \"^[a-z]+$\" allowed = [\"ok\", \"NO\"] }\n"),
            ["E0306"]
        );
        assert_eq!(
            codes_of("param x: string { pattern = \"^(a$\" }\n"),
            ["E0307"]
        );
        assert_eq!(codes_of("param x: string { pattern = \"a\" }\n"), ["W0301"]);
        // A feature this compiler cannot check is left to the target.
        let (infos, diagnostics) = run("param x: string = \"b\" { pattern = \"^(?=a)a$\" }\n", &[]);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(
            infos["x"].constraints.pattern.as_ref().unwrap().value.regex,
            None
        );
    }

    #[test]
    fn regex_errors_point_into_the_string() {
        let source = "param x: string { pattern = \"^[a-z]+(\\\\d$\" }\n";
        let (_, diagnostics) = run(source, &[]);
        assert_eq!(codes(&diagnostics), ["E0307"]);
        assert_eq!(text_of(source, diagnostics[0].primary.span), "(");
        let source = "param x: string { pattern = \"^ab\\\\q$\" }\n";
        let (_, diagnostics) = run(source, &[]);
        assert_eq!(text_of(source, diagnostics[0].primary.span), "\\\\q");
    }

    #[test]
    fn crossing_bounds_are_not_checked_again() {
        assert_eq!(
            codes_of("param x: int = 3 { min = 5 max = 1 }\n"),
            ["E0306"]
        );
    }

    #[test]
    fn component_params_are_checked_without_given_values() {
        let source = r#"
component Tier {
  param servers: int = 20 { min = 1 max = 10 }
  param name: string = "${prefix}-x"
  param size: string { mni = 1 }
  let prefix = "p"
  output n = name
}
"#;
        let (infos, diagnostics) = run(source, &[]);
        assert!(infos.is_empty(), "only top-level params are returned");
        assert_eq!(codes(&diagnostics), ["E0301", "E0303"], "{diagnostics:#?}");
    }

    #[test]
    fn the_stdlib_params_are_clean() {
        for (path, text) in crate::stdlib::files() {
            let (file, _) = crate::syntax::parse(FileId(0), text);
            let (_, diagnostics) = check(&file, &GivenParams::new());
            // `compute.KeyPair.public_key` has a pattern anchored at its start
            // only (W0301): a warning, left to the stdlib's owners.
            let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{path}: {errors:#?}");
        }
    }

    #[test]
    fn types_coerce_values() {
        let int = ParamType::Int;
        assert_eq!(int.coerce(Value::Number(3.0)), Ok(Value::Int(3)));
        assert!(int.coerce(Value::Number(3.5)).is_err());
        assert_eq!(ParamType::Number.coerce(Value::Int(3)), Ok(Value::Int(3)));
        let optional = ParamType::Optional(Box::new(ParamType::String));
        assert_eq!(optional.coerce(Value::Null), Ok(Value::Null));
        assert!(ParamType::String.coerce(Value::Null).is_err());
        assert_eq!(optional.from_text("null"), Ok(Value::String("null".into())));
        let list = ParamType::List(Box::new(ParamType::Int));
        let err = list
            .coerce(Value::List(vec![Value::Int(1), Value::Bool(true)]))
            .unwrap_err();
        assert_eq!(err, "element 1: expected `int`, found a bool true");
        let other = ParamType::Other("network.Rule".into());
        assert_eq!(
            other.from_text(r#"{"port": 22}"#).unwrap().to_string(),
            "{ port = 22 }"
        );
        assert_eq!(
            ParamType::Number.from_text("1e3"),
            Ok(Value::Number(1000.0))
        );
        assert!(ParamType::Number.from_text("inf").is_err());
        assert!(ParamType::Number.from_text("NaN").is_err());
        assert_eq!(
            ParamType::of_value(&Value::List(vec![Value::Int(1), Value::Number(0.5)])),
            ParamType::List(Box::new(ParamType::Number))
        );
    }

    #[test]
    fn violations_name_the_constraint() {
        let span = Span::default();
        let constraints = Constraints {
            min: Some(Constraint {
                value: Value::Number(0.5),
                span,
            }),
            max_length: Some(Constraint { value: 1, span }),
            ..Constraints::default()
        };
        assert_eq!(constraints.violations(&Value::Int(0))[0].option, "min");
        assert!(constraints.violations(&Value::Int(1)).is_empty());
        assert!(constraints.violations(&Value::Null).is_empty());
        let v = constraints.violations(&Value::String("ab".into()));
        assert_eq!(
            v[0].reason,
            "\"ab\" is 2 characters long, more than the maximum of 1"
        );
    }
}

/// A small backtracking regular expression engine, for the `pattern`
/// constraint: the syntax CloudFormation (Java), Heat (Python) and
/// Terraform (RE2) patterns have in common.
///
/// Supported: literals, `.`, classes `[a-z0-9-]` and `[^...]` with POSIX
/// names (`[[:alpha:]]`), the escapes `\d \D \w \W \s \S \b \B \A \z`,
/// `\n \t \r \f \v \0`, `\xhh`, `\x{h..}`, `\uhhhh` and escaped
/// punctuation, the anchors `^ $`, groups `( )`, `(?: )` and named groups,
/// alternation `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (lazy with
/// a trailing `?`). Lookaround, backreferences, flags, possessive
/// quantifiers and Unicode classes are reported as unsupported: such a
/// pattern is not checked at compile time, since the target may accept it.
pub mod regex {
    /// A compiled pattern.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Regex {
        source: String,
        root: Node,
    }

    /// Why a pattern does not compile, with the offending characters as
    /// char offsets into the pattern.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Error {
        pub message: String,
        pub start: usize,
        pub end: usize,
        /// A feature some regex dialects have and this engine lacks: the
        /// pattern may be valid for the target.
        pub unsupported: bool,
    }

    /// The most characters a value checked against a pattern may have.
    pub const MAX_INPUT: usize = 4096;
    /// The most backtracking steps one match may take.
    const MAX_STEPS: usize = 1_000_000;
    /// The deepest recursion one match may use.
    const MAX_DEPTH: usize = 2_000;
    /// The largest count of a `{n,m}` quantifier.
    const MAX_REPEAT: u32 = 1000;
    /// The deepest nesting of groups.
    const MAX_GROUPS: usize = 50;

    #[derive(Clone, Debug, PartialEq)]
    enum Node {
        Empty,
        Char(char),
        Any,
        Class(Class),
        Start,
        End,
        /// `\b` (true) or `\B` (false).
        WordBoundary(bool),
        Concat(Vec<Node>),
        Alt(Vec<Node>),
        Repeat {
            node: Box<Node>,
            min: u32,
            max: Option<u32>,
            greedy: bool,
        },
    }

    #[derive(Clone, Debug, PartialEq)]
    struct Class {
        negated: bool,
        items: Vec<Item>,
    }

    /// A member of a class; the bool of the named sets negates them
    /// (`\D`, `\W`, `\S`).
    #[derive(Clone, Debug, PartialEq)]
    enum Item {
        Range(char, char),
        Digit(bool),
        Word(bool),
        Space(bool),
    }

    impl Item {
        fn matches(&self, c: char) -> bool {
            match *self {
                Item::Range(lo, hi) => lo <= c && c <= hi,
                Item::Digit(negated) => c.is_ascii_digit() != negated,
                Item::Word(negated) => is_word(c) != negated,
                Item::Space(negated) => {
                    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c') != negated
                }
            }
        }
    }

    impl Class {
        fn matches(&self, c: char) -> bool {
            self.items.iter().any(|item| item.matches(c)) != self.negated
        }
    }

    fn is_word(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    impl Node {
        /// Matches exactly one character, whatever the context?
        fn single(&self) -> bool {
            matches!(self, Node::Char(_) | Node::Any | Node::Class(_))
        }

        fn matches_char(&self, c: char) -> bool {
            match self {
                Node::Char(x) => *x == c,
                Node::Any => c != '\n',
                Node::Class(class) => class.matches(c),
                _ => false,
            }
        }

        fn is_anchor(&self) -> bool {
            matches!(self, Node::Start | Node::End | Node::WordBoundary(_))
        }
    }

    fn error(message: impl Into<String>, start: usize, end: usize) -> Error {
        Error {
            message: message.into(),
            start,
            end,
            unsupported: false,
        }
    }

    fn unsupported(what: &str, start: usize, end: usize) -> Error {
        Error {
            message: format!("{what} are not supported"),
            start,
            end,
            unsupported: true,
        }
    }

    /// What an escape stands for.
    enum Escape {
        Char(char),
        Item(Item),
        Node(Node),
    }

    struct Parser {
        chars: Vec<char>,
        pos: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<char> {
            self.chars.get(self.pos).copied()
        }

        fn peek_at(&self, offset: usize) -> Option<char> {
            self.chars.get(self.pos + offset).copied()
        }

        fn next(&mut self) -> Option<char> {
            let c = self.peek()?;
            self.pos += 1;
            Some(c)
        }

        fn alternation(&mut self, depth: usize) -> Result<Node, Error> {
            let mut branches = vec![self.concat(depth)?];
            while self.peek() == Some('|') {
                self.pos += 1;
                branches.push(self.concat(depth)?);
            }
            Ok(if branches.len() == 1 {
                branches.pop().unwrap_or(Node::Empty)
            } else {
                Node::Alt(branches)
            })
        }

        fn concat(&mut self, depth: usize) -> Result<Node, Error> {
            let mut items = Vec::new();
            while let Some(c) = self.peek() {
                if c == '|' || c == ')' {
                    break;
                }
                let atom = self.atom(depth)?;
                items.push(self.quantifiers(atom)?);
            }
            Ok(match items.len() {
                0 => Node::Empty,
                1 => items.pop().unwrap_or(Node::Empty),
                _ => Node::Concat(items),
            })
        }

        fn atom(&mut self, depth: usize) -> Result<Node, Error> {
            let start = self.pos;
            let Some(c) = self.next() else {
                return Ok(Node::Empty);
            };
            match c {
                '(' => self.group(start, depth),
                '[' => self.class(start),
                '.' => Ok(Node::Any),
                '^' => Ok(Node::Start),
                '$' => Ok(Node::End),
                '\\' => Ok(match self.escape(start, false)? {
                    Escape::Char(c) => Node::Char(c),
                    Escape::Item(item) => Node::Class(Class {
                        negated: false,
                        items: vec![item],
                    }),
                    Escape::Node(node) => node,
                }),
                '*' | '+' | '?' => Err(error(
                    format!("nothing to repeat: `{c}` follows nothing"),
                    start,
                    start + 1,
                )),
                '{' => {
                    self.pos = start;
                    if let Some((_, _, end)) = self.brace_quantifier() {
                        return Err(error("nothing to repeat: `{` follows nothing", start, end));
                    }
                    self.pos = start + 1;
                    Ok(Node::Char('{'))
                }
                c => Ok(Node::Char(c)),
            }
        }

        fn group(&mut self, start: usize, depth: usize) -> Result<Node, Error> {
            if depth >= MAX_GROUPS {
                return Err(error("groups are nested too deeply", start, start + 1));
            }
            if self.peek() == Some('?') {
                self.pos += 1;
                match (self.peek(), self.peek_at(1)) {
                    (Some(':'), _) => self.pos += 1,
                    (Some('='), _) | (Some('!'), _) => {
                        return Err(unsupported("lookahead assertions", start, self.pos + 1));
                    }
                    (Some('<'), Some('=' | '!')) => {
                        return Err(unsupported("lookbehind assertions", start, self.pos + 2));
                    }
                    (Some('<'), _) | (Some('P'), Some('<')) => {
                        if self.peek() == Some('P') {
                            self.pos += 1;
                        }
                        self.pos += 1;
                        let name_start = self.pos;
                        while self.peek().is_some_and(is_word) {
                            self.pos += 1;
                        }
                        if self.pos == name_start || self.peek() != Some('>') {
                            return Err(error(
                                "invalid group name",
                                start,
                                self.pos.max(start + 1),
                            ));
                        }
                        self.pos += 1;
                    }
                    _ => return Err(unsupported("group flags", start, self.pos)),
                }
            }
            let inner = self.alternation(depth + 1)?;
            if self.peek() != Some(')') {
                return Err(error("unclosed group: `(` without `)`", start, start + 1));
            }
            self.pos += 1;
            Ok(inner)
        }

        /// `{n}`, `{n,}` or `{n,m}` at the current position, without moving:
        /// the bounds and the position after it.
        fn brace_quantifier(&self) -> Option<(u64, Option<u64>, usize)> {
            let mut pos = self.pos;
            if self.chars.get(pos) != Some(&'{') {
                return None;
            }
            pos += 1;
            let number = |pos: &mut usize| -> Option<u64> {
                let start = *pos;
                let mut value: u64 = 0;
                while let Some(d) = self.chars.get(*pos).and_then(|c| c.to_digit(10)) {
                    value = value.saturating_mul(10).saturating_add(u64::from(d));
                    *pos += 1;
                }
                (*pos > start).then_some(value)
            };
            let min = number(&mut pos)?;
            let max = if self.chars.get(pos) == Some(&',') {
                pos += 1;
                number(&mut pos)
            } else {
                Some(min)
            };
            if self.chars.get(pos) != Some(&'}') {
                return None;
            }
            Some((min, max, pos + 1))
        }

        fn quantifiers(&mut self, atom: Node) -> Result<Node, Error> {
            let mut node = atom;
            let mut quantified = false;
            loop {
                let start = self.pos;
                let (min, max) = match self.peek() {
                    Some('*') => {
                        self.pos += 1;
                        (0, None)
                    }
                    Some('+') => {
                        self.pos += 1;
                        (1, None)
                    }
                    Some('?') => {
                        self.pos += 1;
                        (0, Some(1))
                    }
                    Some('{') => match self.brace_quantifier() {
                        Some((min, max, end)) => {
                            self.pos = end;
                            if max.is_some_and(|max| max < min) {
                                return Err(error(
                                    "invalid repetition: the minimum is larger than the maximum",
                                    start,
                                    end,
                                ));
                            }
                            if min > u64::from(MAX_REPEAT)
                                || max.is_some_and(|m| m > u64::from(MAX_REPEAT))
                            {
                                return Err(error(
                                    format!("repetition count larger than {MAX_REPEAT}"),
                                    start,
                                    end,
                                ));
                            }
                            (min as u32, max.map(|m| m as u32))
                        }
                        None => break,
                    },
                    _ => break,
                };
                if quantified {
                    return Err(error(
                        "nothing to repeat: a quantifier follows another one",
                        start,
                        self.pos,
                    ));
                }
                if node.is_anchor() {
                    return Err(error("an anchor cannot be repeated", start, self.pos));
                }
                let mut greedy = true;
                match self.peek() {
                    Some('?') => {
                        self.pos += 1;
                        greedy = false;
                    }
                    Some('+') => {
                        return Err(unsupported("possessive quantifiers", start, self.pos + 1));
                    }
                    _ => {}
                }
                node = Node::Repeat {
                    node: Box::new(node),
                    min,
                    max,
                    greedy,
                };
                quantified = true;
            }
            Ok(node)
        }

        fn hex(&mut self, digits: usize, start: usize) -> Result<char, Error> {
            let mut value: u32 = 0;
            for _ in 0..digits {
                let Some(d) = self.peek().and_then(|c| c.to_digit(16)) else {
                    return Err(error(
                        format!("invalid escape: expected {digits} hexadecimal digits"),
                        start,
                        self.pos.max(start + 1),
                    ));
                };
                value = value * 16 + d;
                self.pos += 1;
            }
            char::from_u32(value)
                .ok_or_else(|| error("invalid escape: not a character", start, self.pos))
        }

        fn escape(&mut self, start: usize, in_class: bool) -> Result<Escape, Error> {
            let Some(c) = self.next() else {
                return Err(error(
                    "trailing backslash: `\\` escapes nothing",
                    start,
                    start + 1,
                ));
            };
            Ok(match c {
                'd' => Escape::Item(Item::Digit(false)),
                'D' => Escape::Item(Item::Digit(true)),
                'w' => Escape::Item(Item::Word(false)),
                'W' => Escape::Item(Item::Word(true)),
                's' => Escape::Item(Item::Space(false)),
                'S' => Escape::Item(Item::Space(true)),
                'n' => Escape::Char('\n'),
                't' => Escape::Char('\t'),
                'r' => Escape::Char('\r'),
                'f' => Escape::Char('\x0c'),
                'v' => Escape::Char('\x0b'),
                '0' => Escape::Char('\0'),
                'x' if self.peek() == Some('{') => {
                    self.pos += 1;
                    let digits_start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                        self.pos += 1;
                    }
                    let digits: String = self.chars[digits_start..self.pos].iter().collect();
                    if digits.is_empty() || digits.len() > 6 || self.peek() != Some('}') {
                        return Err(error(
                            "invalid escape `\\x{...}`",
                            start,
                            self.pos.max(start + 2),
                        ));
                    }
                    self.pos += 1;
                    let value = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
                    Escape::Char(
                        char::from_u32(value).ok_or_else(|| {
                            error("invalid escape: not a character", start, self.pos)
                        })?,
                    )
                }
                'x' => Escape::Char(self.hex(2, start)?),
                'u' => Escape::Char(self.hex(4, start)?),
                'b' | 'B' | 'A' | 'z' | 'Z' if in_class => {
                    return Err(error(
                        format!("`\\{c}` is an anchor and cannot appear in a class"),
                        start,
                        self.pos,
                    ));
                }
                'b' => Escape::Node(Node::WordBoundary(true)),
                'B' => Escape::Node(Node::WordBoundary(false)),
                'A' => Escape::Node(Node::Start),
                'z' | 'Z' => Escape::Node(Node::End),
                '1'..='9' => return Err(unsupported("backreferences", start, self.pos)),
                'p' | 'P' => return Err(unsupported("Unicode classes", start, self.pos)),
                'Q' | 'E' => return Err(unsupported("quoted sequences", start, self.pos)),
                c if c.is_ascii_alphanumeric() => {
                    return Err(error(format!("unknown escape `\\{c}`"), start, self.pos));
                }
                c => Escape::Char(c),
            })
        }

        fn class(&mut self, start: usize) -> Result<Node, Error> {
            let negated = self.peek() == Some('^');
            if negated {
                self.pos += 1;
            }
            let mut items = Vec::new();
            let mut first = true;
            loop {
                let Some(c) = self.peek() else {
                    return Err(error("unclosed class: `[` without `]`", start, start + 1));
                };
                if c == ']' && !first {
                    self.pos += 1;
                    break;
                }
                first = false;
                let item_start = self.pos;
                if c == '[' && self.peek_at(1) == Some(':') {
                    items.extend(self.posix_class()?);
                    continue;
                }
                let lo = self.class_atom()?;
                if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                    self.pos += 1;
                    let hi = self.class_atom()?;
                    let (Escape::Char(lo), Escape::Char(hi)) = (lo, hi) else {
                        return Err(error(
                            "invalid range: a class such as `\\d` cannot end a range",
                            item_start,
                            self.pos,
                        ));
                    };
                    if lo > hi {
                        return Err(error(
                            format!("invalid range `{lo}-{hi}`: `{lo}` comes after `{hi}`"),
                            item_start,
                            self.pos,
                        ));
                    }
                    items.push(Item::Range(lo, hi));
                } else {
                    items.push(match lo {
                        Escape::Char(c) => Item::Range(c, c),
                        Escape::Item(item) => item,
                        Escape::Node(_) => unreachable!("anchors are refused in classes"),
                    });
                }
            }
            Ok(Node::Class(Class { negated, items }))
        }

        fn class_atom(&mut self) -> Result<Escape, Error> {
            let start = self.pos;
            match self.next() {
                Some('\\') => self.escape(start, true),
                Some(c) => Ok(Escape::Char(c)),
                None => Err(error("unclosed class: `[` without `]`", start, start)),
            }
        }

        /// `[:alpha:]` inside a class.
        fn posix_class(&mut self) -> Result<Vec<Item>, Error> {
            let start = self.pos;
            self.pos += 2;
            let name_start = self.pos;
            while self.peek().is_some_and(|c| c != ':' && c != ']') {
                self.pos += 1;
            }
            let name: String = self.chars[name_start..self.pos].iter().collect();
            if self.peek() != Some(':') || self.peek_at(1) != Some(']') {
                return Err(error(
                    "unclosed POSIX class: `[:` without `:]`",
                    start,
                    self.pos,
                ));
            }
            self.pos += 2;
            let r = Item::Range;
            Ok(match name.as_str() {
                "alpha" => vec![r('a', 'z'), r('A', 'Z')],
                "digit" => vec![Item::Digit(false)],
                "alnum" => vec![r('a', 'z'), r('A', 'Z'), r('0', '9')],
                "upper" => vec![r('A', 'Z')],
                "lower" => vec![r('a', 'z')],
                "space" => vec![Item::Space(false)],
                "blank" => vec![r(' ', ' '), r('\t', '\t')],
                "xdigit" => vec![r('0', '9'), r('a', 'f'), r('A', 'F')],
                "word" => vec![Item::Word(false)],
                "punct" => vec![r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
                "cntrl" => vec![r('\0', '\x1f'), r('\x7f', '\x7f')],
                "print" => vec![r(' ', '~')],
                "graph" => vec![r('!', '~')],
                _ => {
                    return Err(error(
                        format!("unknown POSIX class `[:{name}:]`"),
                        start,
                        self.pos,
                    ));
                }
            })
        }
    }

    type Cont<'k, 't> = &'k mut dyn FnMut(&mut Matcher<'t>, usize) -> bool;

    struct Matcher<'t> {
        text: &'t [char],
        steps: usize,
        depth: usize,
        exhausted: bool,
    }

    impl<'t> Matcher<'t> {
        /// Counts a step; true when the budget is spent.
        fn tick(&mut self) -> bool {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.depth > MAX_DEPTH {
                self.exhausted = true;
            }
            self.exhausted
        }

        fn m(&mut self, node: &Node, i: usize, k: Cont<'_, 't>) -> bool {
            if self.tick() {
                return false;
            }
            self.depth += 1;
            let matched = self.m_inner(node, i, k);
            self.depth -= 1;
            matched
        }

        fn m_inner(&mut self, node: &Node, i: usize, k: Cont<'_, 't>) -> bool {
            let n = self.text.len();
            match node {
                Node::Empty => k(self, i),
                Node::Char(_) | Node::Any | Node::Class(_) => {
                    i < n && node.matches_char(self.text[i]) && k(self, i + 1)
                }
                Node::Start => i == 0 && k(self, i),
                Node::End => i == n && k(self, i),
                Node::WordBoundary(want) => {
                    let before = i > 0 && is_word(self.text[i - 1]);
                    let after = i < n && is_word(self.text[i]);
                    ((before != after) == *want) && k(self, i)
                }
                Node::Concat(nodes) => self.seq(nodes, i, k),
                Node::Alt(branches) => {
                    for branch in branches {
                        if self.m(branch, i, k) {
                            return true;
                        }
                        if self.exhausted {
                            return false;
                        }
                    }
                    false
                }
                Node::Repeat {
                    node,
                    min,
                    max,
                    greedy,
                } => {
                    if node.single() {
                        self.rep_single(node, *min, *max, *greedy, i, k)
                    } else {
                        self.rep(node, *min, *max, *greedy, 0, i, k)
                    }
                }
            }
        }

        fn seq(&mut self, nodes: &[Node], i: usize, k: Cont<'_, 't>) -> bool {
            match nodes {
                [] => k(self, i),
                [only] => self.m(only, i, k),
                [first, rest @ ..] => {
                    self.m(first, i, &mut |s: &mut Matcher<'t>, j| s.seq(rest, j, k))
                }
            }
        }

        /// A repeated single character: counted in a loop, then the
        /// continuation is tried from the longest run (or the shortest).
        fn rep_single(
            &mut self,
            node: &Node,
            min: u32,
            max: Option<u32>,
            greedy: bool,
            i: usize,
            k: Cont<'_, 't>,
        ) -> bool {
            let n = self.text.len();
            let mut end = i;
            while end < n
                && max.is_none_or(|m| end - i < m as usize)
                && node.matches_char(self.text[end])
            {
                end += 1;
            }
            let shortest = i + min as usize;
            if end < shortest {
                return false;
            }
            if greedy {
                for j in (shortest..=end).rev() {
                    if self.tick() {
                        return false;
                    }
                    if k(self, j) {
                        return true;
                    }
                }
            } else {
                for j in shortest..=end {
                    if self.tick() {
                        return false;
                    }
                    if k(self, j) {
                        return true;
                    }
                }
            }
            false
        }

        #[allow(clippy::too_many_arguments)]
        fn rep(
            &mut self,
            node: &Node,
            min: u32,
            max: Option<u32>,
            greedy: bool,
            count: u32,
            i: usize,
            k: Cont<'_, 't>,
        ) -> bool {
            if self.exhausted {
                return false;
            }
            if count < min {
                return self.m(node, i, &mut |s: &mut Matcher<'t>, j| {
                    s.rep(node, min, max, greedy, count + 1, j, k)
                });
            }
            let more = max.is_none_or(|m| count < m);
            if greedy {
                if more
                    && self.m(node, i, &mut |s: &mut Matcher<'t>, j| {
                        // An iteration that consumes nothing ends the loop.
                        j != i && s.rep(node, min, max, greedy, count + 1, j, k)
                    })
                {
                    return true;
                }
                !self.exhausted && k(self, i)
            } else {
                if k(self, i) {
                    return true;
                }
                more && !self.exhausted
                    && self.m(node, i, &mut |s: &mut Matcher<'t>, j| {
                        j != i && s.rep(node, min, max, greedy, count + 1, j, k)
                    })
            }
        }
    }

    impl Regex {
        pub fn new(pattern: &str) -> Result<Regex, Error> {
            let mut parser = Parser {
                chars: pattern.chars().collect(),
                pos: 0,
            };
            let root = parser.alternation(0)?;
            if parser.pos < parser.chars.len() {
                return Err(error(
                    "unmatched `)`: no group is open",
                    parser.pos,
                    parser.pos + 1,
                ));
            }
            Ok(Regex {
                source: pattern.to_string(),
                root,
            })
        }

        /// The pattern as written.
        pub fn as_str(&self) -> &str {
            &self.source
        }

        /// Does the pattern match all of `text`, as CloudFormation and Heat
        /// apply it? `None` when the text is longer than [`MAX_INPUT`] or
        /// the match takes too many steps to decide.
        pub fn full_match(&self, text: &str) -> Option<bool> {
            let chars: Vec<char> = text.chars().collect();
            if chars.len() > MAX_INPUT {
                return None;
            }
            let mut matcher = Matcher {
                text: &chars,
                steps: 0,
                depth: 0,
                exhausted: false,
            };
            let n = chars.len();
            let matched = matcher.m(&self.root, 0, &mut |_, j| j == n);
            (!matcher.exhausted).then_some(matched)
        }

        /// Does the pattern match some part of `text`, as Terraform's
        /// `regex` applies it?
        pub fn find(&self, text: &str) -> Option<bool> {
            let chars: Vec<char> = text.chars().collect();
            if chars.len() > MAX_INPUT {
                return None;
            }
            let mut matcher = Matcher {
                text: &chars,
                steps: 0,
                depth: 0,
                exhausted: false,
            };
            for start in 0..=chars.len() {
                if matcher.m(&self.root, start, &mut |_, _| true) {
                    return Some(true);
                }
                if matcher.exhausted {
                    return None;
                }
            }
            Some(false)
        }

        /// Is the pattern written to match the whole value: `^` (or `\A`)
        /// first and an unescaped `$` (or `\z`) last?
        pub fn is_anchored(&self) -> bool {
            let s = self.source.as_str();
            let starts = s.starts_with('^') || s.starts_with("\\A");
            let ends = if let Some(body) = s.strip_suffix('$') {
                body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 0
            } else if let Some(body) = s.strip_suffix("\\z") {
                body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 0
            } else {
                false
            };
            starts && ends
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn full(pattern: &str, text: &str) -> bool {
            Regex::new(pattern)
                .unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
                .full_match(text)
                .expect("decided")
        }

        fn find(pattern: &str, text: &str) -> bool {
            Regex::new(pattern).unwrap().find(text).expect("decided")
        }

        fn err(pattern: &str) -> Error {
            Regex::new(pattern).expect_err(pattern)
        }

        #[test]
        fn literals_and_dot() {
            assert!(full("abc", "abc"));
            assert!(!full("abc", "abcd"));
            assert!(!full("abc", "ab"));
            assert!(full("a.c", "axc"));
            assert!(!full("a.c", "a\nc"));
            assert!(full("", ""));
            assert!(!full("", "a"));
            assert!(full("héllo", "héllo"));
        }

        #[test]
        fn classes() {
            assert!(full("[a-z0-9-]+", "web-01"));
            assert!(!full("[a-z0-9-]+", "Web-01"));
            assert!(full("[^@ ]+", "user"));
            assert!(!full("[^@ ]+", "us er"));
            assert!(full("[-a]", "-"));
            assert!(full("[a-]", "-"));
            assert!(full("[]a]", "]"));
            assert!(full("[.]", "."));
            assert!(!full("[.]", "x"));
            assert!(full("[\\d.]+", "16.4"));
            assert!(full("[\\w-]+", "a_b-c"));
            assert!(full("[\\]]", "]"));
            assert!(full("[[:alpha:]]+[[:digit:]]", "abc1"));
            assert!(full("[[:upper:][:lower:]]+", "AbC"));
            assert!(!full("[[:xdigit:]]", "g"));
        }

        #[test]
        fn escapes() {
            assert!(full("\\d+", "0123"));
            assert!(!full("\\d+", "12a"));
            assert!(full("\\D", "a"));
            assert!(full("\\w+", "snake_case1"));
            assert!(!full("\\w", "-"));
            assert!(full("\\W", "-"));
            assert!(full("a\\sb", "a b"));
            assert!(full("a\\Sb", "a-b"));
            assert!(full("\\.", "."));
            assert!(!full("\\.", "x"));
            assert!(full("\\\\", "\\"));
            assert!(full("a\\/b", "a/b"));
            assert!(full("\\x41\\u00e9\\x{1F600}", "Aé😀"));
            assert!(full("\\t", "\t"));
        }

        #[test]
        fn anchors() {
            assert!(full("^abc$", "abc"));
            assert!(find("^ab", "abc"));
            assert!(!find("^bc", "abc"));
            assert!(find("bc$", "abc"));
            assert!(!find("ab$", "abc"));
            assert!(find("b", "abc"));
            assert!(find("\\bword\\b", "a word here"));
            assert!(!find("\\bword\\b", "swordfish"));
            assert!(find("\\Bor\\B", "sword"));
            assert!(full("\\Aab\\z", "ab"));
            assert!(full("^a|b$", "a"));
            assert!(full("^a|b$", "b"));
        }

        #[test]
        fn groups_and_alternation() {
            assert!(full("(ab)+", "ababab"));
            assert!(!full("(ab)+", "aba"));
            assert!(full("(?:a|bc)*d", "abcad"));
            assert!(full("a(b|c|)d", "ad"));
            assert!(full("(cat|dog)s?", "dogs"));
            assert!(!full("(cat|dog)s?", "cow"));
            assert!(full("(?<name>a+)b", "aab"));
            assert!(full("(?P<x>a)", "a"));
            assert!(full("((a|b)(c|d))+", "acbdad"));
        }

        #[test]
        fn quantifiers() {
            assert!(full("a*", ""));
            assert!(full("a*", "aaaa"));
            assert!(full("a+", "a"));
            assert!(!full("a+", ""));
            assert!(full("ab?c", "ac"));
            assert!(full("ab?c", "abc"));
            assert!(!full("ab?c", "abbc"));
            assert!(full("a{3}", "aaa"));
            assert!(!full("a{3}", "aa"));
            assert!(!full("a{3}", "aaaa"));
            assert!(full("a{2,}", "aaaaa"));
            assert!(!full("a{2,}", "a"));
            assert!(full("a{2,3}", "aa"));
            assert!(full("a{2,3}", "aaa"));
            assert!(!full("a{2,3}", "aaaa"));
            assert!(full("(ab){2}", "abab"));
            assert!(full("(a|ab){2,3}c", "abaabc"));
            assert!(full("a*?b", "aaab"));
            assert!(full("a+?", "aaa"));
            assert!(full("x{", "x{"), "a brace that is no quantifier is literal");
            assert!(full("x{a}", "x{a}"));
            assert!(full(".*-.*", "a-b-c"));
            assert!(full("(a*)*b", "aaab"), "empty iterations end the loop");
            assert!(full("(a?){3}", ""));
        }

        #[test]
        fn real_world_patterns() {
            let dns = "^([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z]{2,}[.]?$";
            assert!(full(dns, "example.com"));
            assert!(full(dns, "a.b-c.example.org."));
            assert!(!full(dns, "-bad.com"));
            assert!(!full(dns, "example"));
            let bucket = "^[a-z0-9][a-z0-9.-]*[a-z0-9]$";
            assert!(full(bucket, "my-bucket.logs"));
            assert!(!full(bucket, "My-bucket"));
            assert!(!full(bucket, "bucket-"));
            let email = "^[^@ ]+@[^@ ]+$";
            assert!(full(email, "ops@example.com"));
            assert!(!full(email, "ops@@example.com"));
            let cidr = "^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})$";
            assert!(full(cidr, "10.0.0.0/16"));
            assert!(!full(cidr, "10.0.0/16"));
            let version = "^[0-9]+([.][0-9]+)*$";
            assert!(full(version, "16.4"));
            assert!(!full(version, "16."));
            let ami = "^ami-[0-9a-f]{8}([0-9a-f]{9})?$";
            assert!(full(ami, "ami-0abcdef1"));
            assert!(full(ami, "ami-0abcdef1234567890"));
            assert!(!full(ami, "ami-0abcdef12"));
        }

        #[test]
        fn catastrophic_patterns_give_up_instead_of_hanging() {
            let regex = Regex::new("(a*)*b").unwrap();
            let text = "a".repeat(30);
            // Either decided quickly or given up: never a hang.
            assert_ne!(regex.full_match(&text), Some(true));
            let regex = Regex::new("(a|aa)+$").unwrap();
            assert_ne!(
                regex.full_match(&format!("{}b", "a".repeat(60))),
                Some(true)
            );
            let long = "a".repeat(MAX_INPUT + 1);
            assert_eq!(Regex::new("a*").unwrap().full_match(&long), None);
            let deep = "ab".repeat(2000);
            // Deep recursion of a repeated group stays within the budget.
            let _ = Regex::new("(ab)*").unwrap().full_match(&deep);
        }

        #[test]
        fn syntax_errors_point_at_the_fault() {
            let e = err("(abc");
            assert_eq!((e.start, e.end), (0, 1));
            assert!(e.message.contains("unclosed group"), "{e:?}");
            let e = err("abc)");
            assert_eq!((e.start, e.end), (3, 4));
            let e = err("[a-z");
            assert_eq!((e.start, e.end), (0, 1));
            assert!(e.message.contains("unclosed class"));
            let e = err("x[z-a]");
            assert_eq!((e.start, e.end), (2, 5));
            assert!(e.message.contains("invalid range"));
            let e = err("*a");
            assert_eq!((e.start, e.end), (0, 1));
            assert!(e.message.contains("nothing to repeat"));
            let e = err("a**");
            assert_eq!((e.start, e.end), (2, 3));
            let e = err("a{3,2}");
            assert_eq!((e.start, e.end), (1, 6));
            let e = err("a{1001}");
            assert!(e.message.contains("larger than 1000"));
            let e = err("ab\\");
            assert_eq!((e.start, e.end), (2, 3));
            assert!(e.message.contains("trailing backslash"));
            let e = err("\\q");
            assert_eq!((e.start, e.end), (0, 2));
            assert!(e.message.contains("unknown escape"));
            let e = err("^*");
            assert!(e.message.contains("anchor"));
            let e = err("[[:alfa:]]");
            assert!(e.message.contains("POSIX"));
            for pattern in ["(abc", "[a", "*", "\\k"] {
                assert!(!err(pattern).unsupported, "{pattern}");
            }
        }

        #[test]
        fn unsupported_features_are_told_apart() {
            for pattern in [
                "(?=a)", "(?!a)", "(?<=a)b", "(a)\\1", "\\p{L}", "(?i)abc", "a++",
            ] {
                let e = err(pattern);
                assert!(e.unsupported, "{pattern}: {e:?}");
            }
        }

        #[test]
        fn anchoring() {
            assert!(Regex::new("^a$").unwrap().is_anchored());
            assert!(Regex::new("\\Aa\\z").unwrap().is_anchored());
            assert!(!Regex::new("^a").unwrap().is_anchored());
            assert!(!Regex::new("a$").unwrap().is_anchored());
            assert!(!Regex::new("^a\\$").unwrap().is_anchored());
            assert!(Regex::new("^a\\\\$").unwrap().is_anchored());
        }
    }
}
