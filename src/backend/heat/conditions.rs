//! `conditions`: deploy-time booleans as condition functions, named after
//! what they test (`env_is_production`), deduplicated, in order of first use.

use std::borrow::Cow;

use crate::backend::common::names::{first_free, snake_case};
use crate::builtins::Builtin;
use crate::ir::{Context, Expr};
use crate::json::{Json, json};
use crate::syntax::ast::BinaryOp;

use super::values::{heat_function, pseudo_parameter};
use super::{Emitter, Entries, Site, Written};

/// A named condition.
pub(super) struct Condition {
    expr: Expr,
    name: String,
}

/// A condition without the forms that only restate another one
/// (`c ? true : false`, `!!c`), so that a condition's definition is never
/// just the name of another, which Heat rejects.
pub(super) fn simplified(c: &Expr) -> Expr {
    match c {
        Expr::If(test, then, otherwise) => match (&**then, &**otherwise) {
            (Expr::Bool(true), Expr::Bool(false)) => simplified(test),
            (Expr::Bool(false), Expr::Bool(true)) => negation(&simplified(test)),
            _ => c.clone(),
        },
        Expr::Not(inner) => negation(&simplified(inner)),
        _ => c.clone(),
    }
}

/// `!c`, without a double negation.
pub(super) fn negation(c: &Expr) -> Expr {
    match c {
        Expr::Not(inner) => (**inner).clone(),
        _ => Expr::Not(Box::new(c.clone())),
    }
}

/// The operands of a chain of one operator (`a && b && c`).
fn flatten<'e>(e: &'e Expr, op: BinaryOp, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            flatten(b, op, out);
        }
        _ => out.push(e),
    }
}

impl<'d> Emitter<'d> {
    /// A resource's or an output's `condition`: a condition's name, or a
    /// literal boolean.
    pub(super) fn condition(&mut self, condition: &Expr, site: Site) -> Option<Json<'static>> {
        match self.condition_ref(condition) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.report(problem, site);
                None
            }
        }
    }

    /// The `conditions` section: each condition's definition, referring to
    /// the other named conditions it contains.
    pub(super) fn condition_definitions(&self) -> Entries<'_> {
        self.conditions
            .iter()
            .map(|c| {
                let definition = self
                    .condition_body(&c.expr, true)
                    .unwrap_or(Json::Bool(false));
                (c.name.as_str().into(), definition)
            })
            .collect()
    }

    /// The name of the condition `c` (registering it on first use), or a
    /// literal boolean.
    pub(super) fn condition_ref(&mut self, c: &Expr) -> Written<'static> {
        let c = &simplified(c);
        if let Expr::Bool(b) = c {
            return Ok(Json::Bool(*b));
        }
        if let Some(name) = self.condition_name(c) {
            return Ok(name.to_string().into());
        }
        // Checks that Heat can evaluate it, before naming it.
        self.condition_body(c, true)?;
        let base = self.condition_base(c);
        let base = if base.len() > 48 {
            "condition".to_string()
        } else {
            base
        };
        let name = first_free(&base, "_", |name| {
            self.conditions.iter().any(|existing| existing.name == name)
        });
        self.conditions.push(Condition {
            expr: c.clone(),
            name: name.clone(),
        });
        Ok(name.into())
    }

    fn condition_name(&self, c: &Expr) -> Option<&str> {
        self.conditions
            .iter()
            .find(|existing| existing.expr == *c)
            .map(|existing| existing.name.as_str())
    }

    /// A condition as a condition function. Below the top, a condition that
    /// has a name is referred to by it.
    fn condition_body<'e>(&'e self, c: &'e Expr, top: bool) -> Written<'e> {
        if !top && let Some(name) = self.condition_name(c) {
            return Ok(name.into());
        }
        Ok(match c {
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Binary(BinaryOp::Eq, a, b) => {
                json!({ "equals": [self.condition_value(a)?, self.condition_value(b)?] })
            }
            Expr::Binary(BinaryOp::Ne, a, b) => {
                let equal = Expr::Binary(BinaryOp::Eq, a.clone(), b.clone());
                json!({ "not": self.condition_body(&equal, false)?.into_owned() })
            }
            Expr::Binary(op @ (BinaryOp::And | BinaryOp::Or), ..) => {
                let mut operands = Vec::new();
                flatten(c, *op, &mut operands);
                let key = if *op == BinaryOp::And { "and" } else { "or" };
                let operands = operands
                    .into_iter()
                    .map(|o| self.condition_body(o, false))
                    .collect::<Result<Vec<_>, _>>()?;
                json!({ key: Json::Array(operands) })
            }
            Expr::Not(inner) => json!({ "not": self.condition_body(inner, false)? }),
            Expr::If(test, then, otherwise) => {
                // (c && a) || (!c && b), with the common literal branches
                // folded away.
                let test = self.condition_body(test, false)?;
                let branch = |emitter: &'e Self, e: &'e Expr| emitter.condition_body(e, false);
                match (&**then, &**otherwise) {
                    (Expr::Bool(true), Expr::Bool(false)) => test,
                    (Expr::Bool(false), Expr::Bool(true)) => json!({ "not": test }),
                    (Expr::Bool(true), b) => json!({ "or": [test, branch(self, b)?] }),
                    (a, Expr::Bool(false)) => json!({ "and": [test, branch(self, a)?] }),
                    (a, b) => json!({ "or": [
                        { "and": [test.clone(), branch(self, a)?] },
                        { "and": [{ "not": test }, branch(self, b)?] },
                    ] }),
                }
            }
            Expr::Call(Builtin::Contains, args) if args.len() == 2 => {
                json!({ "contains": [self.condition_value(&args[1])?, self.condition_value(&args[0])?] })
            }
            _ => self.condition_value(c)?,
        })
    }

    /// A value inside a condition: params, constants and condition
    /// functions only.
    fn condition_value<'e>(&'e self, e: &'e Expr) -> Written<'e> {
        Ok(match e {
            Expr::Null => Json::Null,
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(n) => Json::int(*n),
            Expr::Number(x) => Json::float(*x),
            Expr::String(s) => s.into(),
            Expr::List(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.condition_value(item))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Object(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (key, value) in fields.iter() {
                    out.push((Cow::from(&**key), self.condition_value(value)?));
                }
                Json::Object(out)
            }
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Context(context @ (Context::StackName | Context::AccountId)) => {
                pseudo_parameter(*context)?
            }
            Expr::Context(context) => return Err(pseudo_parameter(*context).unwrap_err()),
            Expr::Index(..) | Expr::Member(..) => {
                let mut keys = Vec::new();
                let mut root = e;
                loop {
                    match root {
                        Expr::Index(base, key) => {
                            keys.push(self.condition_value(key)?);
                            root = base;
                        }
                        Expr::Member(base, field) => {
                            keys.push((&**field).into());
                            root = base;
                        }
                        _ => break,
                    }
                }
                match root {
                    Expr::Param(name) => {
                        keys.push(name.as_str().into());
                        keys.reverse();
                        json!({ "get_param": Json::Array(keys) })
                    }
                    _ => return Err(self.unconditional(e)),
                }
            }
            Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..)
            | Expr::Not(_) => self.condition_body(e, false)?,
            Expr::Call(Builtin::Contains, args) if args.len() == 2 => {
                self.condition_body(e, false)?
            }
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                return Err(self.ordering(e));
            }
            Expr::Binary(..) | Expr::Neg(_) => return Err(self.arithmetic(e)),
            Expr::Call(function, args) if !heat_function(*function) => {
                return Err(self.function_problem(*function, args));
            }
            _ => return Err(self.unconditional(e)),
        })
    }

    /// A readable name for a condition: what it tests, as words.
    fn condition_base(&self, c: &Expr) -> String {
        let raw = match c {
            Expr::Param(name) => name.clone(),
            Expr::Binary(BinaryOp::Eq, a, b) => {
                format!("{}_is_{}", self.value_word(a), self.value_word(b))
            }
            Expr::Binary(BinaryOp::Ne, a, b) => {
                format!("{}_is_not_{}", self.value_word(a), self.value_word(b))
            }
            Expr::Binary(BinaryOp::And, a, b) => {
                format!("{}_and_{}", self.condition_base(a), self.condition_base(b))
            }
            Expr::Binary(BinaryOp::Or, a, b) => {
                format!("{}_or_{}", self.condition_base(a), self.condition_base(b))
            }
            Expr::Not(inner) => format!("not_{}", self.condition_base(inner)),
            Expr::Call(Builtin::Contains, args) if args.len() == 2 => {
                format!(
                    "{}_contains_{}",
                    self.value_word(&args[0]),
                    self.value_word(&args[1])
                )
            }
            Expr::Index(..) | Expr::Member(..) => self.value_word(c),
            _ => "condition".into(),
        };
        snake_case(&raw)
    }

    fn value_word(&self, e: &Expr) -> String {
        match e {
            Expr::Param(name) => name.clone(),
            Expr::String(s) if s.is_empty() => "empty".into(),
            Expr::String(s) => s.clone(),
            Expr::Int(n) => n.to_string(),
            Expr::Number(x) => x.to_string(),
            Expr::Bool(b) => b.to_string(),
            Expr::Null => "null".into(),
            Expr::Context(Context::StackName) => "stack_name".into(),
            Expr::Context(Context::AccountId) => "project_id".into(),
            Expr::Index(base, key) => format!("{}_{}", self.value_word(base), self.value_word(key)),
            Expr::Member(base, field) => format!("{}_{field}", self.value_word(base)),
            _ => "value".into(),
        }
    }
}
