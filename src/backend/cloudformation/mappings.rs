//! `Mappings`: a compile-time map read with a deploy-time key becomes a
//! `Fn::FindInMap` on an entry named after what it is read by.

use std::borrow::Cow;

use crate::backend::common::names::pascal_case;
use crate::backend::common::reads::params_in;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::Expr;
use crate::json::{self, Json, json};

use super::names::MAX_ID;
use super::params::json_text;
use super::values::{param_help, scalar_text};
use super::{Emitter, Entries, Site};

/// Is a compile-time map's key one CloudFormation accepts in `Mappings`?
fn is_mapping_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_ID
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// A compile-time value as a `Mappings` value: text, a number, a boolean or
/// a list of those.
fn mapping_value(value: &Expr) -> Option<Json<'_>> {
    match value {
        Expr::String(s) => Some(Json::from(s.as_str())),
        Expr::Bool(b) => Some(Json::Bool(*b)),
        Expr::Int(i) => Some(Json::int(*i)),
        Expr::Number(n) => Some(Json::float(*n)),
        Expr::List(items) => items
            .iter()
            .map(|item| scalar_text(item).map(Json::from))
            .collect::<Option<Vec<_>>>()
            .map(Json::Array),
        _ => None,
    }
}

impl<'d> Emitter<'d> {
    /// A compile-time map read with a deploy-time key: `Fn::FindInMap` on a
    /// `Mappings` entry. `field` reads one field of a map of objects.
    pub(super) fn lookup<'e>(
        &mut self,
        expr: &Expr,
        map: &'e Expr,
        key: &'e Expr,
        default: Option<&'e Expr>,
        field: Option<&str>,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        let Expr::Object(entries) = map else {
            self.not_expressible(
                expr,
                site,
                "lookup",
                "CloudFormation looks values up only in a `Mappings` entry, written in the template, so the map must be known at compile time",
            );
            return Json::Null;
        };
        if !map.is_const() {
            self.not_expressible(
                expr,
                site,
                "lookup",
                "CloudFormation looks values up only in a `Mappings` entry, written in the template, so the map's values must be known at compile time",
            );
            return Json::Null;
        }
        // A key known at compile time needs no mapping.
        if let Some(key) = scalar_text(key) {
            let found = entries.get(key.as_ref()).or(default);
            let found = match (found, field) {
                (Some(Expr::Object(fields)), Some(field)) => fields.get(field),
                (found, None) => found,
                _ => None,
            };
            return match found {
                Some(value) => self.value(value, site),
                None => {
                    self.internal(site.span, format!("no key `{key}` in a looked-up map"));
                    Json::Null
                }
            };
        }
        let second = field.map(pascal_case);
        let mut mapping: Entries<'e> = Vec::new();
        let entry = |value: &'e Expr| -> Result<Json<'e>, String> {
            match (field, value) {
                (None, Expr::Object(_)) => {
                    Err("its values are objects: read one field of the looked-up value".into())
                }
                (None, value) => mapping_value(value)
                    .map(|v| json!({ "Value": v }))
                    .ok_or_else(|| {
                        "its values are not text, numbers, booleans or lists of them".into()
                    }),
                (Some(field), Expr::Object(fields)) => {
                    let mut out = Vec::new();
                    for (name, value) in fields.iter() {
                        let v = mapping_value(value);
                        match v {
                            Some(v) => out.push((Cow::Owned(pascal_case(name)), v)),
                            None if **name == *field => {
                                return Err(format!(
                                    "field `{field}` holds a value that is not text, a number, a boolean or a list of them"
                                ));
                            }
                            None => {}
                        }
                    }
                    Ok(Json::Object(json::dedup(out)))
                }
                (Some(field), _) => Err(format!("its values have no field `{field}`")),
            }
        };
        let mut problem = None;
        for (k, value) in entries.iter() {
            if matches!(value, Expr::Null) {
                continue;
            }
            if !is_mapping_key(k) {
                problem = Some(format!(
                    "key `{k}` holds characters a `Mappings` key cannot (only letters, digits, `-` and `.`)"
                ));
                break;
            }
            match entry(value) {
                Ok(v) => mapping.push((Cow::from(&**k), v)),
                Err(why) => {
                    problem = Some(why);
                    break;
                }
            }
        }
        if problem.is_none()
            && let Some(default) = default
        {
            let allowed = match key {
                Expr::Param(name) => self
                    .params
                    .get(name.as_str())
                    .copied()
                    .and_then(|p| p.allowed.as_ref()),
                _ => None,
            };
            match allowed {
                Some(allowed) => {
                    for value in allowed {
                        let Some(k) = json_text(value) else { continue };
                        if mapping.iter().any(|(key, _)| *key == k) {
                            continue;
                        }
                        if !is_mapping_key(&k) {
                            problem = Some(format!(
                                "key `{k}` holds characters a `Mappings` key cannot (only letters, digits, `-` and `.`)"
                            ));
                            break;
                        }
                        match entry(default) {
                            Ok(v) => mapping.push((k, v)),
                            Err(why) => {
                                problem = Some(format!("the default: {why}"));
                                break;
                            }
                        }
                    }
                }
                None => {
                    self.not_expressible(
                        expr,
                        site,
                        "lookup",
                        "CloudFormation's `Fn::FindInMap` has no default without the `AWS::LanguageExtensions` transform; Infra fills in the default only for a param with `allowed` values",
                    );
                    return Json::Null;
                }
            }
        }
        if mapping.is_empty() && problem.is_none() {
            problem = Some("the map is empty".into());
        }
        if let Some(why) = problem {
            self.report(
                Diagnostic::new(
                    &codes::E0515,
                    site.span,
                    format!(
                        "CloudFormation cannot look up `{}` at deploy time: {why}",
                        self.describe(expr)
                    ),
                )
                .label("a map read with a deploy-time key")
                .note("CloudFormation reads such a map from a `Mappings` entry, whose keys are letters, digits, `-` and `.`, and whose values are text, numbers, booleans or lists")
                .help(param_help(&params_in(key), "the key")),
            );
            return Json::Null;
        }
        let mapping = Json::Object(mapping);
        let name = self.mapping_name(mapping, key, field.is_some(), site);
        let key = self.value(key, site);
        let second = second.unwrap_or_else(|| "Value".to_string());
        json!({ "Fn::FindInMap": [name, key, second] })
    }

    fn mapping_name(
        &mut self,
        mapping: Json<'_>,
        key: &Expr,
        objects: bool,
        site: &Site<'_>,
    ) -> String {
        let mut text = String::new();
        json::write(&mut text, &mapping, 0);
        if let Some(name) = self.mapping_names.get(&text) {
            return name.clone();
        }
        let key_name = self.operand_name(key);
        let base = if objects {
            format!("{key_name}Map")
        } else {
            format!("{}By{key_name}", pascal_case(site.owner))
        };
        let name = self.unique(&base, "Map");
        self.mapping_names.insert(text, name.clone());
        self.mappings
            .push((Cow::Owned(name.clone()), mapping.into_owned()));
        self.mapping_spans.push(site.span);
        name
    }
}
