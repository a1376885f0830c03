//! Values as intrinsic functions: `Ref`, `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::Join`, `Fn::If`, `Fn::Select`, `Fn::Cidr` and the rest, and what has
//! no intrinsic (E0510, E0513, E0515).

use std::borrow::Cow;

use crate::backend::common::reads::params_in;
use crate::builtins::Builtin;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Context, Expr, ParamType, Part, ResourceId};
use crate::json::{self, Json, json};
use crate::syntax::ast::BinaryOp;
use crate::target::Target;

use super::conditions::Cond;
use super::{Emitter, Site};
use crate::backend::{write_noted, write_noted_entry};

/// `Fn::Cidr` makes at most this many blocks.
const MAX_CIDR_COUNT: i64 = 256;

/// `{ "Ref": name }` printed at `depth`.
fn write_ref(out: &mut String, name: &str, depth: usize) {
    out.push('{');
    json::write_key(out, 0, depth + 1, "Ref");
    json::write_str(out, name);
    json::write_close(out, depth, 1, '}');
}

/// A condition a value uses, noted once, where first met.
pub(super) fn note(uses: &mut Vec<String>, name: &str) {
    if !uses.iter().any(|u| u == name) {
        uses.push(name.to_string());
    }
}

fn no_value() -> Json<'static> {
    json!({ "Ref": "AWS::NoValue" })
}

impl Emitter<'_> {
    /// How the program would spell an expression, for messages.
    pub(super) fn describe(&self, expr: &Expr) -> String {
        match expr {
            Expr::Null => "null".to_string(),
            Expr::Bool(b) => b.to_string(),
            Expr::Int(i) => i.to_string(),
            Expr::Number(n) => n.to_string(),
            Expr::String(s) => format!("{s:?}"),
            Expr::List(_) => "[...]".to_string(),
            Expr::Object(_) => "{...}".to_string(),
            Expr::Param(name) => name.clone(),
            Expr::Ref(id) => self.id(*id).to_string(),
            Expr::Attr(id, attr) => format!("{}.{attr}", self.id(*id)),
            Expr::Import(name) => format!("the export {}", self.describe(name)),
            Expr::Interp(_) => "\"...\"".to_string(),
            Expr::Not(e) => format!("!{}", self.describe_operand(e)),
            Expr::Neg(e) => format!("-{}", self.describe_operand(e)),
            Expr::Binary(op, l, r) => format!(
                "{} {} {}",
                self.describe_operand(l),
                op.symbol(),
                self.describe_operand(r)
            ),
            Expr::If(c, a, b) => format!(
                "{} ? {} : {}",
                self.describe_operand(c),
                self.describe_operand(a),
                self.describe_operand(b)
            ),
            Expr::Call(name, args) => format!(
                "{name}({})",
                args.iter()
                    .map(|a| self.describe(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Expr::Index(list, i) => {
                format!("{}[{}]", self.describe_operand(list), self.describe(i))
            }
            Expr::Member(obj, field) => format!("{}.{field}", self.describe_operand(obj)),
            Expr::Context(Context::Region) => "region()".to_string(),
            Expr::Context(Context::Zones) => "availability_zones()".to_string(),
            Expr::Context(Context::StackName) => "stack_name()".to_string(),
            Expr::Context(Context::AccountId) => "account_id()".to_string(),
            Expr::CountIndex => "the copy's index".to_string(),
            Expr::Copies { of, each } => format!(
                "[for each copy of {}: {}]",
                self.id(*of),
                self.describe(each)
            ),
        }
    }

    fn describe_operand(&self, expr: &Expr) -> String {
        match expr {
            Expr::Binary(..) | Expr::If(..) => format!("({})", self.describe(expr)),
            _ => self.describe(expr),
        }
    }
}

pub(super) fn param_help(names: &[String], what: &str) -> String {
    match names {
        [] => format!("compute {what} before deployment, from values known at compile time"),
        [one] => format!("give `{one}` a value at compile time with `--param {one}=VALUE`"),
        many => format!(
            "give {} values at compile time with `--param NAME=VALUE`",
            many.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A compile-time scalar as CloudFormation text (`Fn::Equals` compares text).
pub(super) fn scalar_text(value: &Expr) -> Option<Cow<'_, str>> {
    match value {
        Expr::String(s) => Some(Cow::Borrowed(s)),
        Expr::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Expr::Int(i) => Some(Cow::Owned(i.to_string())),
        Expr::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Text in an `Fn::Sub` string, where `${` must be written `${!`.
fn push_sub_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let (before, after) = rest.split_at(i + 1);
        out.push_str(before);
        match after.strip_prefix('{') {
            Some(after) => {
                out.push_str("{!");
                rest = after;
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
}

/// `push_sub_text(text)` escaped into a JSON string being written.
fn write_sub_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        json::write_escaped(out, &rest[..i]);
        out.push_str("${!");
        rest = &rest[i + 2..];
    }
    json::write_escaped(out, rest);
}

/// The prefix length of a deploy-time CIDR block whose text ends in `/NN`.
fn prefix_length(prefix: &Expr) -> Option<i64> {
    let text = match prefix {
        Expr::String(s) => s.as_str(),
        Expr::Interp(parts) => match parts.last() {
            Some(Part::Text(t)) => t.as_str(),
            _ => return None,
        },
        _ => return None,
    };
    let (_, bits) = text.rsplit_once('/')?;
    let bits: i64 = bits.parse().ok()?;
    (0..=32).contains(&bits).then_some(bits)
}

fn context_value(context: Context) -> Json<'static> {
    match context {
        Context::Region => json!({ "Ref": "AWS::Region" }),
        Context::Zones => json!({ "Fn::GetAZs": "" }),
        Context::StackName => json!({ "Ref": "AWS::StackName" }),
        Context::AccountId => json!({ "Ref": "AWS::AccountId" }),
    }
}

impl<'d> Emitter<'d> {
    pub(super) fn value<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        match expr {
            Expr::Null => {
                if site.output {
                    json!("")
                } else {
                    no_value()
                }
            }
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(i) => Json::int(*i),
            Expr::Number(n) => Json::float(*n),
            Expr::String(s) => json!(s),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if !matches!(item, Expr::Null) {
                        out.push(self.value(item, site));
                    }
                }
                Json::Array(out)
            }
            Expr::Object(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (key, value) in fields.iter() {
                    if !matches!(value, Expr::Null) {
                        let value = self.value(value, site);
                        out.push((Cow::from(&**key), value));
                    }
                }
                Json::Object(out)
            }
            Expr::Param(name) => match self.param_id(name, site) {
                Some(id) => json!({ "Ref": id }),
                None => Json::Null,
            },
            Expr::Ref(id) => {
                self.resource_read(*id, None, site);
                json!({ "Ref": self.id(*id) })
            }
            Expr::Attr(id, attr) => {
                self.resource_read(*id, Some(attr), site);
                json!({ "Fn::GetAtt": [self.id(*id), attr] })
            }
            Expr::Import(name) => json!({ "Fn::ImportValue": self.value(name, site) }),
            Expr::Interp(parts) => self.interp(parts, site),
            Expr::Not(_)
            | Expr::Binary(
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::And
                | BinaryOp::Or
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge,
                ..,
            ) => self.boolean(expr, site),
            Expr::Binary(..) | Expr::Neg(_) => {
                self.arithmetic(expr, site);
                Json::Null
            }
            Expr::If(c, a, b) => {
                if site.in_condition {
                    self.not_in_condition(expr, site);
                    return Json::Null;
                }
                match self.cond(c, site) {
                    Some(Cond::Const(true)) => self.value(a, site),
                    Some(Cond::Const(false)) => self.value(b, site),
                    Some(cond) => {
                        let name = self.register(cond);
                        let a = self.value(a, site);
                        let b = self.value(b, site);
                        json!({ "Fn::If": [name, a, b] })
                    }
                    None => Json::Null,
                }
            }
            Expr::Call(name, args) => self.call(expr, *name, args, site),
            Expr::Index(list, index) => self.index(expr, list, index, site),
            Expr::Member(object, field) => self.member(expr, object, field, site),
            Expr::Context(context) => context_value(*context),
            Expr::CountIndex => {
                if !site.counted {
                    self.internal(
                        site.span,
                        "a copy's index outside a repeated resource".to_string(),
                    );
                }
                Json::Null
            }
            // CloudFormation has no deploy-time count (E0504 comes first).
            Expr::Copies { .. } => {
                self.internal(
                    site.span,
                    "the copies of a resource repeated a deploy-time number of times".to_string(),
                );
                Json::Null
            }
        }
    }

    /// `value(expr)` printed into `out` at `depth` as `json::write` prints
    /// it, without the tree for the values most templates are made of; the
    /// conditions it uses are noted in `uses` in the order the source map's
    /// walk meets them (`Emitted::uses`).
    pub(super) fn write_value(
        &mut self,
        out: &mut String,
        expr: &'d Expr,
        site: &Site<'_>,
        depth: usize,
        uses: &mut Vec<String>,
    ) {
        match expr {
            Expr::Null if !site.output => write_ref(out, "AWS::NoValue", depth),
            Expr::Bool(true) => out.push_str("true"),
            Expr::Bool(false) => out.push_str("false"),
            Expr::Int(i) => json::write(out, &Json::int(*i), depth),
            Expr::Number(n) => json::write(out, &Json::float(*n), depth),
            Expr::String(s) => json::write_str(out, s),
            Expr::Interp(parts) => self.write_interp(out, parts, site, depth, uses),
            Expr::Context(Context::Zones) => {
                out.push('{');
                json::write_key(out, 0, depth + 1, "Fn::GetAZs");
                out.push_str("\"\"");
                json::write_close(out, depth, 1, '}');
            }
            Expr::Context(Context::Region) => write_ref(out, "AWS::Region", depth),
            Expr::Context(Context::StackName) => write_ref(out, "AWS::StackName", depth),
            Expr::Context(Context::AccountId) => write_ref(out, "AWS::AccountId", depth),
            Expr::List(items) => {
                out.push('[');
                let mut n = 0;
                for item in items.iter().filter(|item| !matches!(item, Expr::Null)) {
                    json::write_item(out, n, depth + 1);
                    n += 1;
                    self.write_value(out, item, site, depth + 1, uses);
                }
                json::write_close(out, depth, n, ']');
            }
            Expr::Object(fields) => {
                out.push('{');
                let mut n = 0;
                for (key, value) in fields.iter() {
                    if matches!(value, Expr::Null) {
                        continue;
                    }
                    json::write_key(out, n, depth + 1, key);
                    n += 1;
                    if matches!(&**key, "Condition" | "Fn::If") {
                        // Keys the source map's walk reads conditions from.
                        let value = self.value(value, site);
                        let target = self.deployment.target;
                        write_noted_entry(out, key, value, depth + 1, target, uses);
                    } else {
                        self.write_value(out, value, site, depth + 1, uses);
                    }
                }
                json::write_close(out, depth, n, '}');
            }
            Expr::Param(name) => match self.param_id(name, site) {
                Some(id) => write_ref(out, id, depth),
                None => out.push_str("null"),
            },
            Expr::Ref(id) => {
                self.resource_read(*id, None, site);
                write_ref(out, self.id(*id), depth);
            }
            Expr::Attr(id, attr) => {
                self.resource_read(*id, Some(attr), site);
                out.push('{');
                json::write_key(out, 0, depth + 1, "Fn::GetAtt");
                out.push('[');
                json::write_item(out, 0, depth + 2);
                json::write_str(out, self.id(*id));
                json::write_item(out, 1, depth + 2);
                json::write_str(out, attr);
                json::write_close(out, depth + 1, 2, ']');
                json::write_close(out, depth, 1, '}');
            }
            Expr::If(c, a, b) if !site.in_condition => match self.cond(c, site) {
                Some(Cond::Const(true)) => self.write_value(out, a, site, depth, uses),
                Some(Cond::Const(false)) => self.write_value(out, b, site, depth, uses),
                Some(cond) => {
                    let name = self.register(cond);
                    out.push('{');
                    json::write_key(out, 0, depth + 1, "Fn::If");
                    out.push('[');
                    json::write_item(out, 0, depth + 2);
                    json::write_str(out, &name);
                    json::write_item(out, 1, depth + 2);
                    self.write_value(out, a, site, depth + 2, uses);
                    json::write_item(out, 2, depth + 2);
                    self.write_value(out, b, site, depth + 2, uses);
                    json::write_close(out, depth + 1, 3, ']');
                    json::write_close(out, depth, 1, '}');
                    // The walk notes a choice's condition after its branches'.
                    note(uses, &name);
                }
                None => out.push_str("null"),
            },
            _ => {
                let value = self.value(expr, site);
                write_noted(out, &value, depth, self.deployment.target, uses);
            }
        }
    }

    /// `interp(parts)` printed into `out` at `depth`, as `write_value`.
    fn write_interp(
        &mut self,
        out: &mut String,
        parts: &'d [Part],
        site: &Site<'_>,
        depth: usize,
        uses: &mut Vec<String>,
    ) {
        // Escaping goes byte by byte: a text is escaped piece by piece.
        if parts.iter().all(|p| matches!(p, Part::Text(_))) {
            out.push('"');
            for part in parts {
                if let Part::Text(t) = part {
                    json::write_escaped(out, t);
                }
            }
            out.push('"');
            return;
        }
        if let Some(e) = self.text_alone(parts) {
            return self.write_value(out, e, site, depth, uses);
        }
        let sub = parts.iter().all(|part| match part {
            Part::Text(_) => true,
            Part::Expr(e) => self.sub_variable(e).is_some(),
        });
        if sub {
            out.push('{');
            json::write_key(out, 0, depth + 1, "Fn::Sub");
            out.push('"');
            for part in parts {
                match part {
                    Part::Text(t) => write_sub_text(out, t),
                    Part::Expr(e) => {
                        let Some((name, attr)) = self.sub_variable(e) else {
                            continue;
                        };
                        out.push_str("${");
                        json::write_escaped(out, name);
                        if let Some(attr) = attr {
                            out.push('.');
                            json::write_escaped(out, attr);
                        }
                        out.push('}');
                    }
                }
            }
            out.push('"');
            json::write_close(out, depth, 1, '}');
            for part in parts {
                // Checks the reads, as `value` would.
                match part {
                    Part::Expr(Expr::Ref(id)) => self.resource_read(*id, None, site),
                    Part::Expr(Expr::Attr(id, attr)) => self.resource_read(*id, Some(attr), site),
                    _ => {}
                }
            }
            return;
        }
        out.push('{');
        json::write_key(out, 0, depth + 1, "Fn::Join");
        out.push('[');
        json::write_item(out, 0, depth + 2);
        out.push_str("\"\"");
        json::write_item(out, 1, depth + 2);
        out.push('[');
        let mut n = 0;
        for part in parts {
            match part {
                Part::Text(t) if t.is_empty() => continue,
                Part::Text(t) => {
                    json::write_item(out, n, depth + 3);
                    json::write_str(out, t);
                }
                Part::Expr(e) => {
                    json::write_item(out, n, depth + 3);
                    self.write_value(out, e, site, depth + 3, uses);
                }
            }
            n += 1;
        }
        json::write_close(out, depth + 2, n, ']');
        json::write_close(out, depth + 1, 2, ']');
        json::write_close(out, depth, 1, '}');
    }

    fn param_id(&mut self, name: &str, site: &Site<'_>) -> Option<&'d str> {
        let ids = self.param_ids;
        match ids.get(name) {
            Some(id) => Some(id),
            None => {
                self.internal(site.span, format!("param `{name}` is not declared"));
                None
            }
        }
    }

    /// Checks a `Ref` or `Fn::GetAtt` of a resource.
    fn resource_read(&mut self, id: ResourceId, attr: Option<&str>, site: &Site<'_>) {
        if self.deployment.resource(id).is_none() {
            self.internal(site.span, format!("no resource has the index {}", id.0));
            return;
        }
        let id = self.id(id);
        if site.in_condition {
            let what = match attr {
                Some(attr) => format!("`{id}.{attr}`"),
                None => format!("the id of `{id}`"),
            };
            self.report(
                Diagnostic::new(
                    &codes::E0514,
                    site.span,
                    format!("CloudFormation conditions cannot read {what}"),
                )
                .label("this depends on a condition that reads a resource")
                .note("CloudFormation decides every condition before it creates any resource, from params and mappings only")
                .help("decide on params only, or give the value at compile time with `--param`"),
            );
        }
    }

    /// A deploy-time boolean as a value: `Fn::If [cond, true, false]`.
    fn boolean(&mut self, expr: &Expr, site: &Site<'_>) -> Json<'static> {
        if site.in_condition {
            self.not_in_condition(expr, site);
            return Json::Null;
        }
        match self.cond(expr, site) {
            Some(Cond::Const(b)) => {
                if site.output {
                    json!(if b { "true" } else { "false" })
                } else {
                    Json::Bool(b)
                }
            }
            Some(cond) => {
                let name = self.register(cond);
                if site.output {
                    json!({ "Fn::If": [name, "true", "false"] })
                } else {
                    json!({ "Fn::If": [name, true, false] })
                }
            }
            None => Json::Null,
        }
    }

    fn not_in_condition(&mut self, expr: &Expr, site: &Site<'_>) {
        self.report(
            Diagnostic::new(
                &codes::E0515,
                site.span,
                format!(
                    "CloudFormation cannot compare `{}` in a condition",
                    self.describe(expr)
                ),
            )
            .label("this depends on a condition CloudFormation cannot write")
            .note("inside `Conditions`, CloudFormation has no `Fn::If` and no boolean values")
            .help(param_help(&params_in(expr), "the value")),
        );
    }

    /// Refuses deploy-time arithmetic and ordering comparisons (E0510), as
    /// the target's capabilities deny them.
    pub(super) fn arithmetic(&mut self, expr: &Expr, site: &Site<'_>) {
        const {
            let can = Target::CloudFormation.capabilities();
            assert!(!can.deploy_arithmetic && !can.ordering_comparisons);
        }
        let what = match expr {
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                "compare the order of"
            }
            _ => "compute",
        };
        self.report(
            Diagnostic::new(
                &codes::E0510,
                site.span,
                format!(
                    "CloudFormation cannot {what} `{}` at deploy time",
                    self.describe(expr)
                ),
            )
            .label("this needs deploy-time arithmetic")
            .note("CloudFormation has no arithmetic and no ordering comparisons; only `==`, `!=`, `&&`, `||` and `!` on deploy-time values")
            .help(param_help(&params_in(expr), "the value"))
            .help("or restructure the program to compare with `==` (for example against a param's allowed values)"),
        );
    }

    /// The one expression of an interpolation that is text already (a
    /// string param, another interpolation), which is written as it is.
    fn text_alone<'e>(&self, parts: &'e [Part]) -> Option<&'e Expr> {
        let [Part::Expr(e)] = parts else {
            return None;
        };
        let is_text = match e {
            Expr::Param(name) => self
                .params
                .get(name.as_str())
                .is_some_and(|p| matches!(p.ty, ParamType::String)),
            Expr::Interp(_) => true,
            _ => false,
        };
        is_text.then_some(e)
    }

    fn interp<'e>(&mut self, parts: &'e [Part], site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        if parts.iter().all(|p| matches!(p, Part::Text(_))) {
            let mut text = String::new();
            for part in parts {
                if let Part::Text(t) = part {
                    text.push_str(t);
                }
            }
            return text.into();
        }
        if let Some(e) = self.text_alone(parts) {
            return self.value(e, site);
        }
        if let Some(text) = self.sub_text(parts) {
            for part in parts {
                // Checks the reads, as `value` would.
                match part {
                    Part::Expr(Expr::Ref(id)) => self.resource_read(*id, None, site),
                    Part::Expr(Expr::Attr(id, attr)) => self.resource_read(*id, Some(attr), site),
                    _ => {}
                }
            }
            return json!({ "Fn::Sub": text });
        }
        let mut items = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Part::Text(t) if t.is_empty() => {}
                Part::Text(t) => items.push(json!(t)),
                Part::Expr(e) => items.push(self.value(e, site)),
            }
        }
        json!({ "Fn::Join": ["", Json::Array(items)] })
    }

    /// The text of an `Fn::Sub` of `parts`, when each value is one it can
    /// read without a variable map.
    fn sub_text(&self, parts: &[Part]) -> Option<String> {
        let guess = |p: &Part| match p {
            Part::Text(t) => t.len(),
            Part::Expr(_) => 16,
        };
        let mut text = String::with_capacity(parts.iter().map(guess).sum());
        for part in parts {
            match part {
                Part::Text(t) => push_sub_text(&mut text, t),
                Part::Expr(e) => {
                    let (name, attr) = self.sub_variable(e)?;
                    text.push_str("${");
                    text.push_str(name);
                    if let Some(attr) = attr {
                        text.push('.');
                        text.push_str(attr);
                    }
                    text.push('}');
                }
            }
        }
        Some(text)
    }

    /// How `Fn::Sub` names a value it can read without a variable map: a
    /// name and the attribute read, if any.
    fn sub_variable<'e>(&self, expr: &'e Expr) -> Option<(&'e str, Option<&'e str>)>
    where
        'd: 'e,
    {
        match expr {
            Expr::Param(name) => {
                let p = self.params.get(name.as_str())?;
                if matches!(p.ty, ParamType::List(_) | ParamType::Json) {
                    return None;
                }
                let ids = self.param_ids;
                ids.get(name.as_str()).map(|id| (id.as_str(), None))
            }
            Expr::Ref(id) => Some((self.id(*id), None)),
            Expr::Attr(id, attr) => Some((self.id(*id), Some(attr))),
            Expr::Context(Context::Region) => Some(("AWS::Region", None)),
            Expr::Context(Context::StackName) => Some(("AWS::StackName", None)),
            Expr::Context(Context::AccountId) => Some(("AWS::AccountId", None)),
            _ => None,
        }
    }

    pub(super) fn not_expressible(
        &mut self,
        expr: &Expr,
        site: &Site<'_>,
        function: &str,
        why: &str,
    ) {
        self.report(
            Diagnostic::new(
                &codes::E0513,
                site.span,
                format!(
                    "CloudFormation cannot compute `{}` at deploy time",
                    self.describe(expr)
                ),
            )
            .label(format!("`{function}` of a deploy-time value"))
            .note(why.to_string())
            .help(param_help(&params_in(expr), "the value")),
        );
    }

    fn call<'e>(
        &mut self,
        expr: &Expr,
        name: Builtin,
        args: &'e [Expr],
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        match (name, args) {
            (Builtin::Join, [separator, list]) => match separator {
                Expr::String(sep) => {
                    let list = self.value(list, site);
                    json!({ "Fn::Join": [sep, list] })
                }
                _ => {
                    self.not_expressible(
                        expr,
                        site,
                        name.name(),
                        "the separator of CloudFormation's `Fn::Join` must be written in the template",
                    );
                    Json::Null
                }
            },
            (Builtin::Split, [separator, text]) => match separator {
                Expr::String(sep) => {
                    let text = self.value(text, site);
                    json!({ "Fn::Split": [sep, text] })
                }
                _ => {
                    self.not_expressible(
                        expr,
                        site,
                        name.name(),
                        "the separator of CloudFormation's `Fn::Split` must be written in the template",
                    );
                    Json::Null
                }
            },
            (Builtin::Element, [list, index]) => {
                self.index(expr, list, index, site)
            }
            (Builtin::Base64, [text]) => {
                let text = self.value(text, site);
                json!({ "Fn::Base64": text })
            }
            (Builtin::Cidrsubnet, [prefix, newbits, netnum]) => {
                self.cidrsubnet(expr, prefix, newbits, netnum, site)
            }
            (Builtin::Lookup, [map, key]) => self.lookup(expr, map, key, None, None, site),
            (Builtin::Lookup, [map, key, default]) => {
                self.lookup(expr, map, key, Some(default), None, site)
            }
            (Builtin::Region, []) => context_value(Context::Region),
            (Builtin::AvailabilityZones, []) => context_value(Context::Zones),
            (Builtin::StackName, []) => context_value(Context::StackName),
            (Builtin::AccountId, []) => context_value(Context::AccountId),
            (Builtin::ObjectStoreUrl, []) => {
                self.report(
                    Diagnostic::new(
                        &codes::E0513,
                        site.span,
                        "`object_store_url()` is the endpoint of OpenStack's object store, which CloudFormation cannot read",
                    )
                    .label("reads `object_store_url()`")
                    .note("the value comes from OpenStack's service catalog; AWS has no such endpoint")
                    .help("build this program for terraform with `--provider openstack`, or read a `storage.Bucket`'s `domain_name` and `website_url`, which every target gives"),
                );
                Json::Null
            }
            (Builtin::Length, _) => {
                self.not_expressible(
                    expr,
                    site,
                    name.name(),
                    "CloudFormation's `Fn::Length` needs the `AWS::LanguageExtensions` transform, which Infra does not use",
                );
                Json::Null
            }
            (
                Builtin::Concat
                | Builtin::Contains
                | Builtin::File
                | Builtin::Keys
                | Builtin::Lower
                | Builtin::Max
                | Builtin::Min
                | Builtin::Replace
                | Builtin::Upper
                | Builtin::Values,
                _,
            )
            // Arities the type checker refuses.
            | (
                Builtin::Join
                | Builtin::Split
                | Builtin::Element
                | Builtin::Base64
                | Builtin::Cidrsubnet
                | Builtin::Lookup
                | Builtin::Region
                | Builtin::AvailabilityZones
                | Builtin::StackName
                | Builtin::AccountId
                | Builtin::ObjectStoreUrl,
                _,
            ) => {
                let why = format!("CloudFormation has no function like `{name}`");
                self.not_expressible(expr, site, name.name(), &why);
                Json::Null
            }
        }
    }

    /// `cidrsubnet(prefix, newbits, netnum)` as `Fn::Select` of `Fn::Cidr`,
    /// which counts host bits: the prefix length must be known.
    fn cidrsubnet<'e>(
        &mut self,
        expr: &Expr,
        prefix: &'e Expr,
        newbits: &Expr,
        netnum: &'e Expr,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        let (Some(length), Expr::Int(newbits)) = (prefix_length(prefix), newbits) else {
            self.not_expressible(
                expr,
                site,
                "cidrsubnet",
                "CloudFormation's `Fn::Cidr` counts the bits left to hosts, so the prefix length of the network and the added bits must be known at compile time",
            );
            return Json::Null;
        };
        let host_bits = 32 - length - newbits;
        let count = match netnum {
            Expr::Int(n) => n + 1,
            _ => 1i64 << (*newbits).clamp(0, 9),
        }
        .min(MAX_CIDR_COUNT);
        let too_many = matches!(netnum, Expr::Int(n) if *n >= MAX_CIDR_COUNT);
        if host_bits < 0 || *newbits < 0 || too_many {
            self.not_expressible(
                expr,
                site,
                "cidrsubnet",
                "CloudFormation's `Fn::Cidr` makes at most 256 blocks, each at most as large as the network",
            );
            return Json::Null;
        }
        let prefix = self.value(prefix, site);
        let netnum = self.value(netnum, site);
        json!({ "Fn::Select": [netnum, { "Fn::Cidr": [prefix, count, host_bits] }] })
    }

    fn index<'e>(
        &mut self,
        expr: &Expr,
        list: &'e Expr,
        index: &'e Expr,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        match (list, index) {
            (Expr::Object(_), _) => self.lookup(expr, list, index, None, None, site),
            (Expr::List(items), Expr::Int(i)) => {
                match usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                    Some(item) => self.value(item, site),
                    None => {
                        self.internal(
                            site.span,
                            format!("index {i} out of a list of {}", items.len()),
                        );
                        Json::Null
                    }
                }
            }
            _ => {
                let index = self.value(index, site);
                let list = self.value(list, site);
                json!({ "Fn::Select": [index, list] })
            }
        }
    }

    fn member<'e>(
        &mut self,
        expr: &Expr,
        object: &'e Expr,
        field: &str,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        match object {
            Expr::Object(fields) => match fields.get(field) {
                Some(value) => self.value(value, site),
                None => self.value(&Expr::Null, site),
            },
            Expr::If(c, a, b) => {
                let distributed = Expr::If(
                    c.clone(),
                    Box::new(Expr::Member(a.clone(), field.into())),
                    Box::new(Expr::Member(b.clone(), field.into())),
                );
                self.value(&distributed, site).into_owned()
            }
            Expr::Index(map, key) if matches!(**map, Expr::Object(_)) => {
                self.lookup(expr, map, key, None, Some(field), site)
            }
            Expr::Call(Builtin::Lookup, args) if args.len() == 2 || args.len() == 3 => {
                self.lookup(expr, &args[0], &args[1], args.get(2), Some(field), site)
            }
            // A param of an object type is reported where it is declared.
            Expr::Param(name)
                if self
                    .params
                    .get(name.as_str())
                    .is_some_and(|p| matches!(p.ty, ParamType::Json)) =>
            {
                Json::Null
            }
            _ => {
                self.report(
                    Diagnostic::new(
                        &codes::E0515,
                        site.span,
                        format!(
                            "CloudFormation cannot read field `{field}` of `{}` at deploy time",
                            self.describe(object)
                        ),
                    )
                    .label("reads a field of a deploy-time object")
                    .note("CloudFormation values are text, numbers and lists: it has no objects to read fields from")
                    .help(param_help(&params_in(expr), "the object")),
                );
                Json::Null
            }
        }
    }
}
