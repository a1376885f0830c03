//! `Conditions`: deploy-time booleans as condition functions, folded,
//! deduplicated by structure and named after what they test
//! (`EnvIsProduction`).

use std::borrow::Cow;

use crate::backend::common::names::pascal_case;
use crate::builtins::Builtin;
use crate::diagnostics::Diagnostic;
use crate::ir::{Context, Expr, ParamType};
use crate::json::{self, Json, json};
use crate::syntax::ast::BinaryOp;

use super::values::scalar_text;
use super::{Emitter, Site};

/// `Fn::And` and `Fn::Or` take between 2 and 10 conditions.
const MAX_CONDITION_OPERANDS: usize = 10;

/// Longer condition names are shortened, to stay readable.
const MAX_CONDITION_NAME: usize = 64;

/// A deploy-time boolean, as CloudFormation's condition functions see it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cond<'a> {
    Const(bool),
    Equals(Operand<'a>, Operand<'a>),
    Not(Box<Cond<'a>>),
    And(Vec<Cond<'a>>),
    Or(Vec<Cond<'a>>),
}

/// One side of an `Fn::Equals`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Operand<'a> {
    json: Json<'a>,
    /// Readable name for the condition's name (`Env`, `Production`).
    name: String,
    /// A `bool` param: its negation flips the text it is compared with.
    boolean_param: bool,
}

fn value_name(text: &str) -> String {
    let name = pascal_case(text);
    if name.is_empty() {
        "Empty".to_string()
    } else {
        name
    }
}

fn negate(cond: Cond<'_>) -> Cond<'_> {
    match cond {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Not(inner) => *inner,
        Cond::Equals(a, b)
            if a.boolean_param && (b.json.is_str("true") || b.json.is_str("false")) =>
        {
            let flipped = if b.json.is_str("true") {
                "false"
            } else {
                "true"
            };
            Cond::Equals(a, Operand::text(flipped))
        }
        other => Cond::Not(Box::new(other)),
    }
}

fn and<'a>(a: Cond<'a>, b: Cond<'a>) -> Cond<'a> {
    combine(a, b, true)
}

fn or<'a>(a: Cond<'a>, b: Cond<'a>) -> Cond<'a> {
    combine(a, b, false)
}

/// `a && b` (`conjunction`) or `a || b`, flattened, with constants folded.
fn combine<'a>(a: Cond<'a>, b: Cond<'a>, conjunction: bool) -> Cond<'a> {
    let mut items = Vec::new();
    for c in [a, b] {
        match c {
            Cond::Const(v) if v == conjunction => {}
            Cond::Const(v) => return Cond::Const(v),
            Cond::And(xs) if conjunction => items.extend(xs),
            Cond::Or(xs) if !conjunction => items.extend(xs),
            other => items.push(other),
        }
    }
    let mut unique: Vec<Cond<'_>> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    match unique.len() {
        0 => Cond::Const(conjunction),
        1 => unique.pop().unwrap_or(Cond::Const(conjunction)),
        _ if conjunction => Cond::And(unique),
        _ => Cond::Or(unique),
    }
}

fn cond_name(cond: &Cond<'_>) -> String {
    match cond {
        Cond::Const(true) => "Always".to_string(),
        Cond::Const(false) => "Never".to_string(),
        Cond::Equals(a, b) => format!("{}Is{}", a.name, b.name),
        Cond::Not(inner) => match &**inner {
            Cond::Equals(a, b) => format!("{}IsNot{}", a.name, b.name),
            other => format!("Not{}", cond_name(other)),
        },
        Cond::And(xs) => compound_name(xs, "And"),
        Cond::Or(xs) => compound_name(xs, "Or"),
    }
}

/// `AIsXAndBIsY`, or `AIsXAnd3More` when that grows too long to read.
fn compound_name(items: &[Cond<'_>], joiner: &str) -> String {
    let names: Vec<String> = items.iter().map(cond_name).collect();
    let full = names.join(joiner);
    if full.len() <= MAX_CONDITION_NAME {
        return full;
    }
    format!("{}{joiner}{}More", names[0], names.len() - 1)
}

impl<'d> Emitter<'d> {
    /// A deploy-time boolean as condition functions; `None` when it cannot
    /// be (already reported).
    pub(super) fn cond<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Option<Cond<'e>>
    where
        'd: 'e,
    {
        let site = &Site {
            in_condition: true,
            ..*site
        };
        match expr {
            Expr::Bool(b) => Some(Cond::Const(*b)),
            Expr::Not(inner) => self.cond(inner, site).map(negate),
            Expr::Binary(BinaryOp::And, l, r) => {
                let l = self.cond(l, site)?;
                let r = self.cond(r, site)?;
                Some(and(l, r))
            }
            Expr::Binary(BinaryOp::Or, l, r) => {
                let l = self.cond(l, site)?;
                let r = self.cond(r, site)?;
                Some(or(l, r))
            }
            Expr::Binary(BinaryOp::Eq, l, r) => self.equals(l, r, site),
            Expr::Binary(BinaryOp::Ne, l, r) => self.equals(l, r, site).map(negate),
            Expr::Binary(..) | Expr::Neg(_) => {
                self.arithmetic(expr, site);
                None
            }
            Expr::If(c, a, b) => {
                let c = self.cond(c, site)?;
                let a = self.cond(a, site)?;
                let b = self.cond(b, site)?;
                Some(or(and(c.clone(), a), and(negate(c), b)))
            }
            Expr::Call(Builtin::Contains, _) => {
                self.not_expressible(
                    expr,
                    site,
                    Builtin::Contains.name(),
                    "CloudFormation has no function that tests whether a value contains another",
                );
                None
            }
            _ => {
                // A boolean param, a looked-up boolean, and so on: text that
                // is "true" or "false" at deploy time.
                let operand = self.operand(expr, site)?;
                Some(Cond::Equals(operand, Operand::text("true")))
            }
        }
    }

    fn is_boolean(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Bool(_) | Expr::Not(_) => true,
            Expr::Binary(op, ..) => matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::And
                    | BinaryOp::Or
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
            ),
            Expr::Param(name) => self
                .params
                .get(name.as_str())
                .is_some_and(|p| p.ty == ParamType::Bool),
            Expr::If(_, a, b) => self.is_boolean(a) || self.is_boolean(b),
            _ => false,
        }
    }

    fn equals<'e>(&mut self, l: &'e Expr, r: &'e Expr, site: &Site<'_>) -> Option<Cond<'e>>
    where
        'd: 'e,
    {
        // `(c ? a : b) == x` is `c && a == x || !c && b == x`: conditions
        // have no `Fn::If`.
        if let Expr::If(c, a, b) = l {
            let c = self.cond(c, site)?;
            let a = self.equals(a, r, site)?;
            let b = self.equals(b, r, site)?;
            return Some(or(and(c.clone(), a), and(negate(c), b)));
        }
        if let Expr::If(..) = r {
            return self.equals(r, l, site);
        }
        if self.is_boolean(l) || self.is_boolean(r) {
            let l = self.cond(l, site)?;
            let r = self.cond(r, site)?;
            return Some(match (l, r) {
                (Cond::Const(true), c) | (c, Cond::Const(true)) => c,
                (Cond::Const(false), c) | (c, Cond::Const(false)) => negate(c),
                (l, r) => or(and(l.clone(), r.clone()), and(negate(l), negate(r))),
            });
        }
        if let (Some(a), Some(b)) = (scalar_text(l), scalar_text(r)) {
            return Some(Cond::Const(a == b));
        }
        let a = self.operand(l, site)?;
        let b = self.operand(r, site)?;
        // The deploy-time side first: `EnvIsProduction`.
        if l.is_const() && !r.is_const() {
            Some(Cond::Equals(b, a))
        } else {
            Some(Cond::Equals(a, b))
        }
    }

    fn operand<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Option<Operand<'e>>
    where
        'd: 'e,
    {
        let json = match scalar_text(expr) {
            Some(text) => Json::Str(text),
            None => {
                let errors = self.diagnostics.len();
                let value = self.value(expr, site);
                if self.diagnostics[errors..].iter().any(Diagnostic::is_error) {
                    return None;
                }
                value
            }
        };
        let boolean_param = matches!(expr, Expr::Param(name)
            if self.params.get(name.as_str()).is_some_and(|p| p.ty == ParamType::Bool));
        Some(Operand {
            json,
            name: self.operand_name(expr),
            boolean_param,
        })
    }

    pub(super) fn operand_name(&self, expr: &Expr) -> String {
        match expr {
            Expr::String(s) => value_name(s),
            Expr::Bool(true) => "True".into(),
            Expr::Bool(false) => "False".into(),
            Expr::Int(i) if *i < 0 => format!("Minus{}", i.unsigned_abs()),
            Expr::Int(i) => i.to_string(),
            Expr::Number(n) => value_name(&n.to_string().replace('.', "Point")),
            Expr::Param(name) => self
                .param_ids
                .get(name.as_str())
                .cloned()
                .unwrap_or_else(|| pascal_case(name)),
            Expr::Ref(id) => self.id(*id).to_string(),
            Expr::Attr(id, attr) => format!("{}{}", self.id(*id), pascal_case(attr)),
            Expr::Context(Context::Region) => "Region".into(),
            Expr::Context(Context::Zones) => "Zones".into(),
            Expr::Context(Context::StackName) => "StackName".into(),
            Expr::Context(Context::AccountId) => "AccountId".into(),
            Expr::Member(object, field) => {
                format!("{}{}", self.operand_name(object), pascal_case(field))
            }
            Expr::Index(_, key) => self.operand_name(key),
            Expr::Call(Builtin::Lookup, args) if args.len() >= 2 => self.operand_name(&args[1]),
            _ => "Value".into(),
        }
    }

    /// The name of a condition, defining it on first use.
    pub(super) fn register(&mut self, cond: Cond<'_>) -> String {
        let function = match &cond {
            Cond::Const(b) => {
                // Callers fold constants; an always-true or always-false
                // condition is still written correctly.
                json!({ "Fn::Equals": ["true", if *b { "true" } else { "false" }] })
            }
            Cond::Equals(a, b) => json!({ "Fn::Equals": [a.json.clone(), b.json.clone()] }),
            Cond::Not(inner) => {
                let inner = match &**inner {
                    Cond::Equals(a, b) => {
                        json!({ "Fn::Equals": [a.json.clone(), b.json.clone()] })
                    }
                    other => json!({ "Condition": self.register(other.clone()) }),
                };
                json!({ "Fn::Not": [inner] })
            }
            Cond::And(items) | Cond::Or(items) => {
                let conjunction = matches!(cond, Cond::And(_));
                let key = if conjunction { "Fn::And" } else { "Fn::Or" };
                let mut items = items.clone();
                // At most ten operands each: the rest become one condition.
                if items.len() > MAX_CONDITION_OPERANDS {
                    let rest = items.split_off(MAX_CONDITION_OPERANDS - 1);
                    items.push(if conjunction {
                        Cond::And(rest)
                    } else {
                        Cond::Or(rest)
                    });
                }
                let operands = items
                    .into_iter()
                    .map(|c| json!({ "Condition": self.register(c) }))
                    .collect();
                json!({ key: Json::Array(operands) })
            }
        };
        self.define(function, &cond_name(&cond))
    }

    fn define(&mut self, function: Json<'_>, name: &str) -> String {
        let mut text = String::new();
        json::write(&mut text, &function, 0);
        if let Some(name) = self.condition_names.get(&text) {
            return name.clone();
        }
        let name = self.unique(name, "Condition");
        self.condition_names.insert(text, name.clone());
        self.conditions
            .push((Cow::Owned(name.clone()), function.into_owned()));
        name
    }
}

impl Operand<'_> {
    fn text(s: &'static str) -> Operand<'static> {
        Operand {
            json: Json::from(s),
            name: value_name(s),
            boolean_param: false,
        }
    }
}
