//! What a map reads back of an emitted template: the names each section
//! kept, its conditions, and which conditions each resource and output
//! uses. Read as the text streams by, without building the template's tree.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::ir::Target;

/// The sections of one template, by the template's names.
#[derive(Default)]
pub(super) struct Emitted {
    /// Resources (Terraform: `TYPE.NAME`), with the conditions each uses.
    pub resources: Vec<(String, Vec<String>)>,
    pub params: Vec<String>,
    pub outputs: Vec<(String, Vec<String>)>,
    pub conditions: Vec<String>,
    /// Each condition's text leaves, among which the names of the
    /// conditions it combines (`Fn::Or` of `Condition`s, Heat's `or` of
    /// names): it is used wherever they are.
    pub condition_reads: Vec<Vec<String>>,
}

/// Where each target keeps what a map reads.
struct Spelling {
    resources: &'static str,
    params: &'static str,
    outputs: &'static str,
    conditions: &'static str,
    /// The key that puts a resource or output under a condition.
    condition: &'static str,
    /// The function whose first argument is a condition.
    choice: &'static str,
    /// Terraform's resources are by type, then by name.
    by_type: bool,
}

fn spelling(target: Target) -> Spelling {
    match target {
        Target::CloudFormation => Spelling {
            resources: "Resources",
            params: "Parameters",
            outputs: "Outputs",
            conditions: "Conditions",
            condition: "Condition",
            choice: "Fn::If",
            by_type: false,
        },
        Target::Heat => Spelling {
            resources: "resources",
            params: "parameters",
            outputs: "outputs",
            conditions: "conditions",
            condition: "condition",
            choice: "if",
            by_type: false,
        },
        Target::TerraformAws | Target::TerraformOpenstack => Spelling {
            resources: "resource",
            params: "variable",
            outputs: "output",
            conditions: "",
            condition: "",
            choice: "",
            by_type: true,
        },
    }
}

/// Reads `text`, a template of `target`; `None` when it is not JSON.
pub(super) fn read(target: Target, text: &str) -> Option<Emitted> {
    let spelling = spelling(target);
    let mut reader = serde_json::Deserializer::from_str(text);
    let emitted = Top(&spelling).deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    Some(emitted)
}

/// A key, without keeping its text when it is not wanted.
struct Key<'s>(&'s [&'static str]);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    /// The index of the wanted key it is.
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| !k.is_empty() && *k == v))
    }
}

struct Top<'s>(&'s Spelling);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Emitted;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Emitted, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Emitted;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a template")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Emitted, A::Error> {
        let s = self.0;
        let keys = [s.resources, s.params, s.outputs, s.conditions];
        let mut out = Emitted::default();
        while let Some(key) = map.next_key_seed(Key(&keys))? {
            match key {
                Some(0) if s.by_type => {
                    for (ty, names) in map.next_value_seed(Users { uses: None })?.0 {
                        let names = names.into_iter().map(|n| (format!("{ty}.{n}"), Vec::new()));
                        out.resources.extend(names);
                    }
                }
                Some(0) => out.resources = map.next_value_seed(Users { uses: Some(s) })?.0,
                Some(1) => out.params = map.next_value_seed(Names)?,
                Some(2) => out.outputs = map.next_value_seed(Users { uses: Some(s) })?.0,
                Some(3) => {
                    let bodies: serde_json::Map<String, serde_json::Value> = map.next_value()?;
                    for (name, body) in bodies {
                        let mut texts = Vec::new();
                        texts_of(&body, &mut texts);
                        out.conditions.push(name);
                        out.condition_reads.push(texts);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Every text of a value (object keys left out).
fn texts_of(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| texts_of(v, out)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| texts_of(v, out)),
        _ => {}
    }
}

/// An object's keys; its values skipped.
struct Names;

impl<'de> DeserializeSeed<'de> for Names {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Names {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            out.push(key);
        }
        Ok(out)
    }
}

/// An object of resources or outputs: each name with the conditions its
/// value uses (`uses`: how they are spelled), or, without `uses`, with the
/// keys of its value (Terraform's types, each with its resources' names).
struct Users<'s> {
    uses: Option<&'s Spelling>,
}

/// Each entry's name, with what was found in its value.
struct Found(Vec<(String, Vec<String>)>);

impl<'de> DeserializeSeed<'de> for Users<'_> {
    type Value = Found;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Users<'_> {
    type Value = Found;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let found = match self.uses {
                Some(s) => {
                    let mut used = Vec::new();
                    map.next_value_seed(Walk { s, used: &mut used })?;
                    used
                }
                None => map.next_value_seed(Names)?,
            };
            out.push((key, found));
        }
        Ok(Found(out))
    }
}

/// Any value, noting the conditions it uses: the value of a `Condition`
/// key, the first argument of an `Fn::If`.
struct Walk<'s, 'u> {
    s: &'s Spelling,
    used: &'u mut Vec<String>,
}

impl Walk<'_, '_> {
    fn note(&mut self, name: &str) {
        if !self.used.iter().any(|u| u == name) {
            self.used.push(name.to_string());
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let s = self.s;
        while seq
            .next_element_seed(Walk {
                s,
                used: &mut *self.used,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let s = self.s;
        let keys = [s.condition, s.choice];
        while let Some(key) = map.next_key_seed(Key(&keys))? {
            match key {
                Some(which) => {
                    let test = map.next_value_seed(Test {
                        s,
                        used: &mut *self.used,
                        arguments: which == 1,
                    })?;
                    if let Some(name) = test {
                        self.note(&name);
                    }
                }
                None => map.next_value_seed(Walk {
                    s,
                    used: &mut *self.used,
                })?,
            }
        }
        Ok(())
    }
}

/// A condition's name where one is expected: the value of a `Condition`
/// key, or (`arguments`) the first of a choice's arguments; anything else
/// is walked.
struct Test<'s, 'u> {
    s: &'s Spelling,
    used: &'u mut Vec<String>,
    arguments: bool,
}

impl<'de> DeserializeSeed<'de> for Test<'_, '_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Test<'_, '_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a condition")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<String>, A::Error> {
        let s = self.s;
        let first = match self.arguments {
            true => seq
                .next_element_seed(Test {
                    s,
                    used: &mut *self.used,
                    arguments: false,
                })?
                .flatten(),
            false => None,
        };
        while seq
            .next_element_seed(Walk {
                s,
                used: &mut *self.used,
            })?
            .is_some()
        {}
        Ok(first)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<String>, A::Error> {
        Walk {
            s: self.s,
            used: self.used,
        }
        .visit_map(map)?;
        Ok(None)
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<String>, E> {
        Ok((!self.arguments).then(|| v.to_string()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
}
