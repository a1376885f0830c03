//! [`Value`]: a value known at compile time, how values compare, and how
//! they are written in messages (as Infra source).

use indexmap::IndexMap;

/// A value known at compile time.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Object(IndexMap<String, Value>),
}

impl Value {
    /// The kind of value, with its article, for messages: `an int`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// The text a string interpolation inserts: strings as they are, ints,
    /// numbers and bools written out. Null, lists and objects have none.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::List(_) | Value::Object(_) => None,
        }
    }

    /// The value as a number, for arithmetic and comparisons.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as JSON, as templates hold it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
        }
    }

    /// A JSON value (a params file) as a value: integral numbers that fit
    /// in 64 bits are ints, other numbers are numbers.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The size of the value for the evaluation budget: one per node, and
    /// one per 16 bytes of string.
    pub(super) fn weight(&self, cap: usize) -> usize {
        match self {
            Value::String(s) => 1 + s.len() / 16,
            Value::List(items) => {
                let mut total = 1;
                for item in items {
                    total += item.weight(cap);
                    if total > cap {
                        break;
                    }
                }
                total
            }
            Value::Object(map) => {
                let mut total = 1;
                for item in map.values() {
                    total += 1 + item.weight(cap);
                    if total > cap {
                        break;
                    }
                }
                total
            }
            _ => 1,
        }
    }
}

/// Equality as `==` sees it: ints and numbers compare by value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Int(_) | Value::Number(_), Value::Int(_) | Value::Number(_)) => {
            a.as_f64() == b.as_f64()
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A number as text: the shortest form that reads back to the same number,
/// without an exponent (`0.5`, `2`, `1500000000`).
pub fn format_number(n: f64) -> String {
    format!("{n}")
}

/// Writes a value as Infra source would: `"text"`, `[1, 2]`, `{ a = 1 }`.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Number(n) => {
                let text = format_number(*n);
                if n.is_finite() && !text.contains('.') {
                    write!(f, "{text}.0")
                } else {
                    f.write_str(&text)
                }
            }
            Value::String(s) => f.write_str(
                &serde_json::Value::String(s.clone())
                    .to_string()
                    .replace("${", "\\${"),
            ),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    item.fmt(f)?;
                }
                f.write_str("]")
            }
            Value::Object(map) => {
                if map.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if is_word(key) {
                        write!(f, "{key} = {item}")?;
                    } else {
                        write!(f, "{} = {item}", serde_json::Value::String(key.clone()))?;
                    }
                }
                f.write_str(" }")
            }
        }
    }
}

fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value written for a message, cut short when long.
pub fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(56).collect();
    format!("{cut} ...")
}
