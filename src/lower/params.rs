//! Template parameters: the top-level params read at deploy time, with
//! their types and constraints from `ParamInfo`.

use crate::ir;
use crate::sema::eval::Value;
use crate::syntax::ast::*;

use super::expand::Expander;

impl<'p> Expander<'p> {
    /// The top-level params read at deploy time, as template parameters.
    pub(super) fn params(&self, items: &[&Item]) -> Vec<ir::Param> {
        let mut out = Vec::new();
        for item in items {
            let ItemKind::Param(p) = &item.kind else {
                continue;
            };
            if !self.used_params.contains(p.name.name.as_str()) {
                continue;
            }
            let Some(info) = self.program.params.get(&p.name.name) else {
                continue;
            };
            let c = &info.constraints;
            out.push(ir::Param {
                name: p.name.name.clone(),
                ty: param_type(&info.ty),
                default: info.default.as_ref().map(Value::to_json),
                description: item.doc.clone(),
                secret: info.secret,
                min: c.min.as_ref().map(|m| m.value.to_json()),
                max: c.max.as_ref().map(|m| m.value.to_json()),
                min_length: c.min_length.as_ref().map(|m| m.value),
                max_length: c.max_length.as_ref().map(|m| m.value),
                pattern: c.pattern.as_ref().map(|p| p.value.source.clone()),
                allowed: c
                    .allowed
                    .as_ref()
                    .map(|a| a.value.iter().map(Value::to_json).collect())
                    .or_else(|| literal_members(&info.ty)),
                message: c.message.clone(),
                label: info.label.clone(),
                group: info.group.clone(),
                native_type: self.id_params.get(p.name.name.as_str()).cloned(),
                span: p.name.span,
            });
        }
        out
    }
}

fn param_type(ty: &crate::sema::params::ParamType) -> ir::ParamType {
    use crate::sema::params::ParamType as P;
    match ty {
        P::String | P::Literal(_) => ir::ParamType::String,
        P::Int => ir::ParamType::Int,
        P::Number => ir::ParamType::Number,
        P::Bool => ir::ParamType::Bool,
        P::List(inner) => ir::ParamType::List(Box::new(param_type(inner))),
        P::Optional(inner) => param_type(inner),
        P::Union(members) if members.iter().all(|m| matches!(m, P::Literal(_))) => {
            ir::ParamType::String
        }
        _ => ir::ParamType::Json,
    }
}

/// The members of a literal union type (`"staging" | "production"`), or
/// the one literal of an alias of one: the values the targets must allow.
fn literal_members(ty: &crate::sema::params::ParamType) -> Option<Vec<serde_json::Value>> {
    use crate::sema::params::ParamType as P;
    match ty {
        P::Optional(inner) => literal_members(inner),
        P::Literal(s) => Some(vec![serde_json::Value::String(s.clone())]),
        P::Union(members) => members
            .iter()
            .map(|m| match m {
                P::Literal(s) => Some(serde_json::Value::String(s.clone())),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
