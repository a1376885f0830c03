//! The types of values.

use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// The fields of an object type, by name: their types and whether each is
/// optional.
pub type Fields = IndexMap<String, (Ty, bool), FxBuildHasher>;

/// Index of a resource schema in a [`super::schema::Schemas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SchemaId(pub u32);

/// Shared parts make a type cheap to clone: names, attributes and fields
/// hand theirs out at every read.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// Unknown, or JSON: accepts and is accepted by everything.
    Any,
    /// The type of an expression that already failed: silences cascades.
    Error,
    Null,
    Bool,
    Int,
    Number,
    String,
    /// A string literal type, `"small"`.
    Literal(Arc<str>),
    List(Arc<Ty>),
    Map(Arc<Ty>),
    /// Fields with their types and whether each is optional.
    /// Shared: schemas hand the same object types to every resource.
    Object(Arc<Fields>),
    Optional(Arc<Ty>),
    Union(Arc<[Ty]>),
    /// A reference to a resource of this schema.
    Resource(SchemaId),
}

impl Ty {
    pub fn list(of: Ty) -> Ty {
        Ty::List(Arc::new(of))
    }

    pub fn map(of: Ty) -> Ty {
        Ty::Map(Arc::new(of))
    }

    pub fn optional(of: Ty) -> Ty {
        match of {
            Ty::Optional(_) | Ty::Any | Ty::Error | Ty::Null => of,
            other => Ty::Optional(Arc::new(other)),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// Without an outer `?`.
    pub fn non_optional(&self) -> &Ty {
        match self {
            Ty::Optional(inner) => inner,
            other => other,
        }
    }

    /// May this type be written inside a string interpolation?
    pub fn is_scalar(&self) -> bool {
        match self {
            Ty::Any | Ty::Error | Ty::Bool | Ty::Int | Ty::Number | Ty::String | Ty::Literal(_) => {
                true
            }
            Ty::Union(members) => members.iter().all(Ty::is_scalar),
            Ty::Optional(inner) => inner.is_scalar(),
            _ => false,
        }
    }

    pub fn is_stringy(&self) -> bool {
        match self {
            Ty::Any | Ty::Error | Ty::String | Ty::Literal(_) => true,
            Ty::Union(members) => members.iter().all(Ty::is_stringy),
            _ => false,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Any | Ty::Error | Ty::Int | Ty::Number)
    }

    pub fn is_bool(&self) -> bool {
        matches!(self, Ty::Any | Ty::Error | Ty::Bool)
    }

    /// The type of both branches of a conditional.
    pub fn join(a: Ty, b: Ty) -> Ty {
        if a == b {
            return a;
        }
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
            (Ty::Any, _) | (_, Ty::Any) => Ty::Any,
            (Ty::Null, other) | (other, Ty::Null) => Ty::optional(other),
            (Ty::Int, Ty::Number) | (Ty::Number, Ty::Int) => Ty::Number,
            (Ty::Literal(_), Ty::String) | (Ty::String, Ty::Literal(_)) => Ty::String,
            (Ty::Literal(x), Ty::Literal(y)) => Ty::Union([Ty::Literal(x), Ty::Literal(y)].into()),
            (Ty::Union(xs), Ty::Literal(y)) | (Ty::Literal(y), Ty::Union(xs)) => {
                let y = Ty::Literal(y);
                if xs.contains(&y) {
                    return Ty::Union(xs);
                }
                let mut members = xs.to_vec();
                members.push(y);
                Ty::Union(members.into())
            }
            (Ty::List(x), Ty::List(y)) => {
                Ty::list(Ty::join(Arc::unwrap_or_clone(x), Arc::unwrap_or_clone(y)))
            }
            (Ty::Optional(x), y) | (y, Ty::Optional(x)) => {
                Ty::optional(Ty::join(Arc::unwrap_or_clone(x), y))
            }
            (x, y) => {
                if accepts(&x, &y) {
                    x
                } else if accepts(&y, &x) {
                    y
                } else {
                    Ty::Any
                }
            }
        }
    }
}

/// Can a value of type `found` be used where `expected` is required?
pub fn accepts(expected: &Ty, found: &Ty) -> bool {
    match (expected, found) {
        (Ty::Any | Ty::Error, _) | (_, Ty::Any | Ty::Error) => true,
        (Ty::Optional(_), Ty::Null) => true,
        (Ty::Optional(e), Ty::Optional(f)) => accepts(e, f),
        (Ty::Optional(e), f) => accepts(e, f),
        (e, Ty::Union(members)) => members.iter().all(|m| accepts(e, m)),
        (Ty::Union(members), f) => members.iter().any(|m| accepts(m, f)),
        (Ty::Number, Ty::Int) => true,
        (Ty::String, Ty::Literal(_)) => true,
        (Ty::List(e), Ty::List(f)) => accepts(e, f),
        (Ty::Map(e), Ty::Map(f)) => accepts(e, f),
        (Ty::Map(e), Ty::Object(fields)) => fields.values().all(|(f, _)| accepts(e, f)),
        // Every type accepts itself; schemas share their object types.
        (Ty::Object(expected), Ty::Object(found)) if Arc::ptr_eq(expected, found) => true,
        (Ty::Object(expected), Ty::Object(found)) => {
            // A null in an optional field leaves the field out, so an
            // optional field also takes a value that may be null.
            found.iter().all(|(name, (f, _))| {
                expected.get(name).is_some_and(|(e, optional)| {
                    accepts(e, f) || (*optional && accepts(&Ty::optional(e.clone()), f))
                })
            }) && expected
                .iter()
                .all(|(name, (_, optional))| *optional || found.contains_key(name))
        }
        (Ty::Object(_), Ty::Map(_)) => true,
        (e, f) => e == f,
    }
}

/// Renders a type as a user writes it; resource types by their schema name.
pub fn display(ty: &Ty, schema_name: &dyn Fn(SchemaId) -> String) -> String {
    match ty {
        Ty::Any => "any".into(),
        Ty::Error => "{unknown}".into(),
        Ty::Null => "null".into(),
        Ty::Bool => "bool".into(),
        Ty::Int => "int".into(),
        Ty::Number => "number".into(),
        Ty::String => "string".into(),
        Ty::Literal(s) => format!("{s:?}"),
        Ty::List(t) => format!("[{}]", display(t, schema_name)),
        Ty::Map(t) => format!("{{string: {}}}", display(t, schema_name)),
        Ty::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, (t, optional))| {
                    format!(
                        "{k}{}: {}",
                        if *optional { "?" } else { "" },
                        display(t, schema_name)
                    )
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Ty::Optional(t) => format!("{}?", display(t, schema_name)),
        Ty::Union(members) => members
            .iter()
            .map(|m| display(m, schema_name))
            .collect::<Vec<_>>()
            .join(" | "),
        Ty::Resource(id) => schema_name(*id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_ints_but_not_the_reverse() {
        assert!(accepts(&Ty::Number, &Ty::Int));
        assert!(!accepts(&Ty::Int, &Ty::Number));
    }

    #[test]
    fn literal_unions_accept_their_members_only() {
        let size = Ty::Union([Ty::Literal("small".into()), Ty::Literal("large".into())].into());
        assert!(accepts(&size, &Ty::Literal("small".into())));
        assert!(!accepts(&size, &Ty::Literal("huge".into())));
        assert!(!accepts(&size, &Ty::String));
        let branches = Ty::join(Ty::Literal("small".into()), Ty::Literal("large".into()));
        assert!(accepts(&size, &branches));
    }

    #[test]
    fn optional_accepts_null_and_its_inner_type() {
        let t = Ty::optional(Ty::String);
        assert!(accepts(&t, &Ty::Null));
        assert!(accepts(&t, &Ty::Literal("x".into())));
        assert!(!accepts(&Ty::String, &Ty::Null));
    }

    #[test]
    fn objects_need_required_fields_and_no_unknown_ones() {
        let mut rule = Fields::default();
        rule.insert("port".to_string(), (Ty::Int, false));
        rule.insert("cidr".to_string(), (Ty::String, true));
        let expected = Ty::Object(rule.into());
        let mut found = Fields::default();
        found.insert("port".to_string(), (Ty::Int, false));
        assert!(accepts(&expected, &Ty::Object(found.clone().into())));
        let mut maybe = found.clone();
        maybe.insert("cidr".to_string(), (Ty::optional(Ty::String), false));
        assert!(accepts(&expected, &Ty::Object(maybe.into())));
        found.insert("prot".to_string(), (Ty::Int, false));
        assert!(!accepts(&expected, &Ty::Object(found.into())));
        assert!(!accepts(&expected, &Ty::Object(Fields::default().into())));
    }
}
