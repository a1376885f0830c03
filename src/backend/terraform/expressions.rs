//! Expressions in Terraform's own syntax, with its precedence, escapes and
//! functions; reads of resources (`TYPE.NAME[i].attr`) and key/value lists.

use std::borrow::Cow;

use rustc_hash::FxHashMap as HashMap;

use crate::builtins::Builtin;
use crate::ir::{Context, Expr, Param, ParamType, Part, ResourceId};
use crate::json::Json;
use crate::syntax::ast::BinaryOp;

use super::resources::is_optional_item;
use super::{Cx, Emitter};

// Precedence of Terraform's operators, loosest first.
const P_COND: u8 = 0;

pub(super) const P_OR: u8 = 1;

const P_AND: u8 = 2;

const P_EQ: u8 = 3;

const P_CMP: u8 = 4;

const P_ADD: u8 = 5;

const P_MUL: u8 = 6;

const P_UNARY: u8 = 7;

const P_PRIMARY: u8 = 8;

enum FlatPart<'e> {
    Text(Cow<'e, str>),
    Expr(&'e Expr),
}

/// Is `e` an integer by construction (Infra divides integers to an integer)?
fn is_int(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::Int(_) | Expr::CountIndex => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| p.ty == ParamType::Int),
        Expr::Neg(x) => is_int(x, params),
        Expr::Binary(
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem,
            a,
            b,
        ) => is_int(a, params) && is_int(b, params),
        Expr::If(_, a, b) => is_int(a, params) && is_int(b, params),
        Expr::Call(name, args) => match name {
            Builtin::Length => true,
            Builtin::Min | Builtin::Max => {
                !args.is_empty() && args.iter().all(|a| is_int(a, params))
            }
            _ => false,
        },
        _ => false,
    }
}

fn is_number(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::Int(_) | Expr::Number(_) | Expr::CountIndex | Expr::Neg(_) => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| matches!(p.ty, ParamType::Int | ParamType::Number)),
        Expr::Binary(
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem,
            ..,
        ) => true,
        Expr::If(_, a, b) => is_number(a, params) || is_number(b, params),
        Expr::Call(name, _) => matches!(name, Builtin::Length | Builtin::Min | Builtin::Max),
        _ => false,
    }
}

/// Is `e` text (for `contains`, which Terraform spells `strcontains` on
/// text)?
fn is_text(e: &Expr, params: &HashMap<&str, &Param>) -> bool {
    match e {
        Expr::String(_) | Expr::Interp(_) => true,
        Expr::Param(p) => params
            .get(p.as_str())
            .is_some_and(|p| p.ty == ParamType::String),
        Expr::Context(c) => *c != Context::Zones,
        Expr::If(_, a, b) => is_text(a, params) || is_text(b, params),
        Expr::Call(name, _) => matches!(
            name,
            Builtin::Join
                | Builtin::Lower
                | Builtin::Upper
                | Builtin::Replace
                | Builtin::Base64
                | Builtin::Cidrsubnet
                | Builtin::ObjectStoreUrl
        ),
        _ => false,
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

pub(super) fn is_identifier(s: &str) -> bool {
    // ASCII only: bytes of other characters are neither letters nor digits.
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A name that reads the same in any expression: no `-`, which HCL allows in
/// identifiers but a reader takes for a minus.
fn is_simple_name(s: &str) -> bool {
    is_identifier(s) && !s.contains('-')
}

/// `${expr}`; `${ {...} }` when the expression is an object, which reads
/// better than `${{`.
pub(super) fn interpolation(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 5);
    push_interpolation(&mut out, expr);
    out
}

/// `interpolation(expr)`, in the buffer of `expr` when it has room.
fn wrap_interpolation(mut expr: String) -> String {
    if expr.starts_with('{') {
        expr.insert_str(0, "${ ");
        expr.push_str(" }");
    } else {
        expr.insert_str(0, "${");
        expr.push('}');
    }
    expr
}

/// Appends `interpolation(expr)` to `out`.
fn push_interpolation(out: &mut String, expr: &str) {
    if expr.starts_with('{') {
        out.push_str("${ ");
        out.push_str(expr);
        out.push_str(" }");
    } else {
        out.push_str("${");
        out.push_str(expr);
        out.push('}');
    }
}

/// Literal text in a template: `${` and `%{` escaped.
pub(super) fn escape_template(s: &str) -> Cow<'_, str> {
    // Most text has no brace at all: one memchr says so.
    let bytes = s.as_bytes();
    if !bytes.contains(&b'{')
        || !(bytes.windows(2)).any(|w| w[1] == b'{' && matches!(w[0], b'$' | b'%'))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("${", "$${").replace("%{", "%%{"))
}

/// HCL's escapes for a quoted string.
fn escape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A string literal in Terraform syntax.
pub(super) fn quote(s: &str) -> String {
    let quoted = escape_quoted(s);
    let text = escape_template(&quoted);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    out.push_str(&text);
    out.push('"');
    out
}

/// `s` with RE2's special characters escaped.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `parts` joined, in one allocation, with room for the `${` and `}` of an
/// interpolation (`wrap_interpolation`).
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 3);
    parts.iter().for_each(|p| out.push_str(p));
    out
}

/// A read of the local `name`.
fn local(name: &str) -> String {
    concat(&["local.", name])
}

/// Visits `e` and its subexpressions, pre-order, while `f` says go on.
pub(super) fn walk<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr) -> bool) {
    if f(e) {
        for child in e.children() {
            walk(child, f);
        }
    }
}

impl<'d> Emitter<'d> {
    /// A JSON string holding `e`: a template for text with deploy-time
    /// parts, `"${...}"` otherwise.
    pub(super) fn template(&mut self, e: &Expr, cx: Cx) -> Json<'static> {
        if let Some(name) = self.hoisted(e) {
            return interpolation(&local(&name)).into();
        }
        match e {
            Expr::Interp(parts) => self.template_text(parts, cx, false).into(),
            _ => wrap_interpolation(self.render(e, cx).0).into(),
        }
    }

    /// Template text of `parts`: literal text escaped (`$${`, `%%{`, and in
    /// a quoted string HCL's backslash escapes), expressions as `${...}`.
    pub(super) fn template_text(&mut self, parts: &[Part], cx: Cx, quoted: bool) -> String {
        let mut flat = Vec::with_capacity(parts.len());
        self.flatten_parts(parts, &mut flat);
        let mut out = String::with_capacity(64);
        for part in flat {
            match part {
                FlatPart::Text(t) => {
                    let t = if quoted {
                        Cow::Owned(escape_quoted(&t))
                    } else {
                        t
                    };
                    out.push_str(&escape_template(&t));
                }
                FlatPart::Expr(e) => {
                    // `$` before `${` would read as the escape `$${`.
                    if out.ends_with('$') {
                        out.pop();
                        out.push_str("${\"$\"}");
                    }
                    let inner = self.render(e, cx).0;
                    push_interpolation(&mut out, &inner);
                }
            }
        }
        out
    }

    /// Interpolation parts with nested interpolations (unless they are
    /// locals) and string constants merged into the text.
    fn flatten_parts<'e>(&mut self, parts: &'e [Part], out: &mut Vec<FlatPart<'e>>) {
        let text = |t: &'e str, out: &mut Vec<FlatPart<'e>>| match out.last_mut() {
            Some(FlatPart::Text(prev)) => prev.to_mut().push_str(t),
            _ => out.push(FlatPart::Text(Cow::Borrowed(t))),
        };
        for part in parts {
            match part {
                Part::Text(t) => text(t, out),
                Part::Expr(Expr::String(s)) => text(s, out),
                Part::Expr(e @ Expr::Interp(inner)) => {
                    if self.hoisted(e).is_some() {
                        out.push(FlatPart::Expr(e));
                    } else {
                        self.flatten_parts(inner, out);
                    }
                }
                Part::Expr(e) => out.push(FlatPart::Expr(e)),
            }
        }
    }

    /// `e` rendered, in parentheses when it binds looser than `min`.
    pub(super) fn operand(&mut self, e: &Expr, min: u8, cx: Cx) -> String {
        let (s, p) = self.render(e, cx);
        if p < min { concat(&["(", &s, ")"]) } else { s }
    }

    /// `e` as a Terraform expression, with its precedence.
    pub(super) fn render(&mut self, e: &Expr, cx: Cx) -> (String, u8) {
        if let Some(name) = self.hoisted(e) {
            return (local(&name), P_PRIMARY);
        }
        self.render_inner(e, cx)
    }

    pub(super) fn render_inner(&mut self, e: &Expr, cx: Cx) -> (String, u8) {
        match e {
            Expr::Null => ("null".into(), P_PRIMARY),
            Expr::Bool(b) => (b.to_string(), P_PRIMARY),
            Expr::Int(i) => (i.to_string(), if *i < 0 { P_UNARY } else { P_PRIMARY }),
            Expr::Number(n) => (number_text(*n), if *n < 0.0 { P_UNARY } else { P_PRIMARY }),
            Expr::String(s) => (quote(s), P_PRIMARY),
            Expr::List(items) => self.render_list(items, cx),
            Expr::Object(fields) => {
                if fields.is_empty() {
                    return ("{}".into(), P_PRIMARY);
                }
                let mut entries = Vec::new();
                for (k, v) in fields.iter() {
                    let key = if is_simple_name(k) && !matches!(&**k, "true" | "false" | "null") {
                        k.to_string()
                    } else {
                        quote(k)
                    };
                    let v = self.render(v, cx).0;
                    entries.push(format!("{key} = {v}"));
                }
                (format!("{{ {} }}", entries.join(", ")), P_PRIMARY)
            }
            Expr::Param(name) => match self.variables.get(name.as_str()) {
                Some(var) => (concat(&["var.", var]), P_PRIMARY),
                None => {
                    self.internal(cx.span, format!("param `{name}` is read but not declared"));
                    ("null".into(), P_PRIMARY)
                }
            },
            Expr::Ref(id) => (self.resource_ref(*id, "id", None, cx), P_PRIMARY),
            Expr::Attr(id, path) => (self.resource_ref(*id, path, None, cx), P_PRIMARY),
            Expr::Interp(parts) => (
                format!("\"{}\"", self.template_text(parts, cx, true)),
                P_PRIMARY,
            ),
            Expr::Not(x) => (format!("!{}", self.operand(x, P_UNARY, cx)), P_UNARY),
            Expr::Neg(x) => {
                let s = self.operand(x, P_UNARY, cx);
                if s.starts_with('-') {
                    (format!("-({s})"), P_UNARY)
                } else {
                    (format!("-{s}"), P_UNARY)
                }
            }
            Expr::Binary(op, a, b) => self.binary(*op, a, b, cx),
            Expr::If(c, a, b) => {
                let c = self.operand(c, P_OR, cx);
                let a = self.operand(a, P_OR, cx);
                let b = self.render(b, cx).0;
                (concat(&[&c, " ? ", &a, " : ", &b]), P_COND)
            }
            Expr::Call(name, args) => self.call(*name, args, cx),
            Expr::Index(base, i) => {
                // In a keyed copy, its element is `each.value`, and the
                // copy of a resource keyed alike is read by `each.key`.
                if cx.counted
                    && **i == Expr::CountIndex
                    && let Some(list) = self.each
                {
                    if **base == *list {
                        return ("each.value".into(), P_PRIMARY);
                    }
                    if let Expr::Ref(id) | Expr::Attr(id, _) = base.as_ref()
                        && self.resource_at(*id).is_some_and(|r| r.for_each.is_some())
                    {
                        let path = match base.as_ref() {
                            Expr::Attr(_, path) => path.as_str(),
                            _ => "id",
                        };
                        let key = Some("each.key".to_string());
                        return (self.resource_ref(*id, path, key, cx), P_PRIMARY);
                    }
                }
                // `TYPE.NAME[i]`: one copy of a counted resource; inside a
                // for expression over the copies, a counted resource is
                // already the copy, and the index selects from the value;
                // so it does inside a resource counted alike, but for the
                // copy's own index (`web[count.index]`).
                if !cx.copy
                    && (!cx.counted || **i == Expr::CountIndex)
                    && let Expr::Ref(id) | Expr::Attr(id, _) = base.as_ref()
                    && self.resource_at(*id).is_some_and(|r| r.count.is_some())
                {
                    let path = match base.as_ref() {
                        Expr::Attr(_, path) => path.as_str(),
                        _ => "id",
                    };
                    let i = self.render(i, cx).0;
                    return (self.resource_ref(*id, path, Some(i), cx), P_PRIMARY);
                }
                if let Expr::Attr(id, path) = base.as_ref()
                    && self.is_keyed(*id, path)
                {
                    let key = self.render(i, cx).0;
                    return (
                        self.resource_read(*id, path, None, Some(key), cx),
                        P_PRIMARY,
                    );
                }
                let base = self.operand(base, P_PRIMARY, cx);
                let i = self.render(i, cx).0;
                (concat(&[&base, "[", &i, "]"]), P_PRIMARY)
            }
            Expr::Member(base, field) => {
                let base = self.operand(base, P_PRIMARY, cx);
                if is_simple_name(field) {
                    (concat(&[&base, ".", field]), P_PRIMARY)
                } else {
                    (format!("{base}[{}]", quote(field)), P_PRIMARY)
                }
            }
            Expr::Context(c) => (self.context(*c), P_PRIMARY),
            // Only a CloudFormation type is read from an export.
            Expr::Import(_) => {
                self.internal(cx.span, "a value imported from another stack".into());
                ("null".into(), P_PRIMARY)
            }
            Expr::Copies { of, each } => (self.copies(*of, each, cx), P_PRIMARY),
            Expr::CountIndex if cx.copy => ("i".into(), P_PRIMARY),
            Expr::CountIndex => {
                if !cx.counted {
                    self.internal(
                        cx.span,
                        "the index of a copy is read outside a resource with a deploy-time count"
                            .into(),
                    );
                }
                match self.each {
                    // A keyed copy's position is its key's among the keys.
                    Some(list) if cx.counted => {
                        let list = self.render(list, cx).0;
                        (format!("index(sort(toset({list})), each.key)"), P_PRIMARY)
                    }
                    _ => ("count.index".into(), P_PRIMARY),
                }
            }
        }
    }

    /// A list; elements that are absent under a condition make it a
    /// `concat` of the parts.
    fn render_list(&mut self, items: &[Expr], cx: Cx) -> (String, u8) {
        if !items.iter().any(is_optional_item) {
            let items: Vec<String> = items.iter().map(|i| self.render(i, cx).0).collect();
            return (format!("[{}]", items.join(", ")), P_PRIMARY);
        }
        let mut parts = Vec::new();
        let mut run: Vec<String> = Vec::new();
        for item in items {
            if let Expr::If(c, a, b) = item
                && is_optional_item(item)
            {
                if !run.is_empty() {
                    parts.push(format!("[{}]", run.join(", ")));
                    run.clear();
                }
                let c = self.operand(c, P_OR, cx);
                let side = |s: &mut Self, x: &Expr| match x {
                    Expr::Null => "[]".to_string(),
                    x => format!("[{}]", s.render(x, cx).0),
                };
                let a = side(self, a);
                let b = side(self, b);
                parts.push(format!("{c} ? {a} : {b}"));
            } else {
                run.push(self.render(item, cx).0);
            }
        }
        if !run.is_empty() {
            parts.push(format!("[{}]", run.join(", ")));
        }
        (format!("concat({})", parts.join(", ")), P_PRIMARY)
    }

    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr, cx: Cx) -> (String, u8) {
        if op == BinaryOp::Div && is_int(a, &self.params) && is_int(b, &self.params) {
            // Infra divides integers to an integer; Terraform's `/` does not.
            let a = self.operand(a, P_MUL, cx);
            let b = self.operand(b, P_MUL + 1, cx);
            return (format!("floor({a} / {b})"), P_PRIMARY);
        }
        let p = match op {
            BinaryOp::Or => P_OR,
            BinaryOp::And => P_AND,
            BinaryOp::Eq | BinaryOp::Ne => P_EQ,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => P_CMP,
            BinaryOp::Add | BinaryOp::Sub => P_ADD,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => P_MUL,
        };
        // Comparisons do not chain: both sides bind tighter.
        let left = if p == P_EQ || p == P_CMP { p + 1 } else { p };
        let a = self.operand(a, left, cx);
        let b = self.operand(b, p + 1, cx);
        (concat(&[&a, " ", op.symbol(), " ", &b]), p)
    }

    fn call(&mut self, name: Builtin, args: &[Expr], cx: Cx) -> (String, u8) {
        let function = match (name, args.len()) {
            (Builtin::Region, 0) => return (self.context(Context::Region), P_PRIMARY),
            (Builtin::AvailabilityZones, 0) => return (self.context(Context::Zones), P_PRIMARY),
            (Builtin::StackName, 0) => return (self.context(Context::StackName), P_PRIMARY),
            (Builtin::AccountId, 0) => return (self.context(Context::AccountId), P_PRIMARY),
            (Builtin::ObjectStoreUrl, 0) => return (self.object_store_url(cx), P_PRIMARY),
            (Builtin::Join, 2)
            | (Builtin::Split, 2)
            | (Builtin::Element, 2)
            | (Builtin::Length, 1)
            | (Builtin::Cidrsubnet, 3)
            | (Builtin::Lower, 1)
            | (Builtin::Upper, 1)
            | (Builtin::Keys, 1)
            | (Builtin::Values, 1)
            | (Builtin::Replace, 3) => name.name(),
            (Builtin::Concat, n) if n > 0 => name.name(),
            (Builtin::Base64, 1) => "base64encode",
            (Builtin::Contains, 2) if is_text(&args[0], &self.params) => "strcontains",
            (Builtin::Contains, 2) => "contains",
            (Builtin::Min | Builtin::Max, n) if n > 0 => name.name(),
            (Builtin::Lookup, 2) => {
                let map = self.operand(&args[0], P_PRIMARY, cx);
                let key = self.render(&args[1], cx).0;
                return (format!("{map}[{key}]"), P_PRIMARY);
            }
            (Builtin::Lookup, 3) => "lookup",
            // `file` has no form here; the other arities are refused by the
            // type checker.
            (
                Builtin::File
                | Builtin::AccountId
                | Builtin::AvailabilityZones
                | Builtin::Base64
                | Builtin::Cidrsubnet
                | Builtin::Concat
                | Builtin::Contains
                | Builtin::Element
                | Builtin::Join
                | Builtin::Keys
                | Builtin::Length
                | Builtin::Lookup
                | Builtin::Lower
                | Builtin::Max
                | Builtin::Min
                | Builtin::ObjectStoreUrl
                | Builtin::Region
                | Builtin::Replace
                | Builtin::Split
                | Builtin::StackName
                | Builtin::Upper
                | Builtin::Values,
                _,
            ) => {
                self.internal(
                    cx.span,
                    format!(
                        "the function `{name}` with {} argument(s) has no form in {}",
                        args.len(),
                        self.d.target.display()
                    ),
                );
                return ("null".into(), P_PRIMARY);
            }
        };
        let mut rendered: Vec<String> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // Terraform's `replace` reads `/.../` as a regular expression;
            // Infra's replaces the text as it is.
            if name == Builtin::Replace
                && i == 1
                && let Expr::String(s) = a
                && s.len() > 1
                && s.starts_with('/')
                && s.ends_with('/')
            {
                rendered.push(quote(&format!("/{}/", regex_escape(s))));
                continue;
            }
            rendered.push(self.render(a, cx).0);
        }
        // `min(list)` in Infra is `min(list...)` in Terraform.
        if matches!(name, Builtin::Min | Builtin::Max)
            && args.len() == 1
            && !is_number(&args[0], &self.params)
        {
            return (format!("{function}({}...)", rendered[0]), P_PRIMARY);
        }
        (format!("{function}({})", rendered.join(", ")), P_PRIMARY)
    }

    /// The list of `each` over the copies of the counted resource `of`: a
    /// splat (`TYPE.NAME[*].attr`) when `each` is one attribute of a copy,
    /// else `[for i in range(length(TYPE.NAME)) : each]`, the copy's index
    /// being `i`.
    fn copies(&mut self, of: ResourceId, each: &Expr, cx: Cx) -> String {
        let counted =
            |s: &Self, id: ResourceId| s.resource_at(id).is_some_and(|r| r.count.is_some());
        let whole = Cx {
            counted: false,
            copy: false,
            ..cx
        };
        match each {
            &Expr::Ref(id) if counted(self, id) => return self.resource_ref(id, "id", None, whole),
            Expr::Attr(id, path)
                if counted(self, *id)
                    && !self.is_keyed(*id, path.split('.').next().unwrap_or("")) =>
            {
                return self.resource_ref(*id, path, None, whole);
            }
            _ => {}
        }
        if cx.copy || !counted(self, of) || each.any(&|e| matches!(e, Expr::Copies { .. })) {
            self.internal(
                cx.span,
                format!(
                    "the copies of `{}` read where they cannot be",
                    self.address(of)
                ),
            );
            return "null".into();
        }
        let list = self.address(of).to_string();
        let inner = Cx {
            counted: false,
            copy: true,
            ..cx
        };
        let each = self.render(each, inner).0;
        format!("[for i in range(length({list})) : {each}]")
    }

    /// `TYPE.NAME` (with `[0]` for a conditional resource, `[i]` or `[*]`
    /// for a counted one) and the attribute path.
    fn resource_ref(
        &mut self,
        id: ResourceId,
        path: &str,
        index: Option<String>,
        cx: Cx,
    ) -> String {
        self.resource_read(id, path, index, None, cx)
    }

    /// Is `path` a key/value list attribute of resource `id` (the
    /// schema's `keyed_attributes`)?
    pub(super) fn is_keyed(&self, id: ResourceId, path: &str) -> bool {
        self.resource_at(id)
            .is_some_and(|r| r.facts.keyed_attributes.iter().any(|k| k.attribute == path))
    }

    /// `resource_ref`, reading a key/value list attribute (the first segment
    /// of `path`) as a map: one value, by `key` (rendered) or by the next
    /// segment of `path`, is `one([for o in LIST : o.VALUE if o.KEY == key])`;
    /// the whole map is `{for o in LIST : o.KEY => o.VALUE}`.
    fn resource_read(
        &mut self,
        id: ResourceId,
        path: &str,
        index: Option<String>,
        mut key: Option<String>,
        cx: Cx,
    ) -> String {
        let Some(r) = self.resource_at(id) else {
            let message = format!("resource {} is read but does not exist", id.0);
            self.internal(cx.span, message);
            return "null".into();
        };
        let address = self.address(id);
        let mut s = String::with_capacity(address.len() + path.len() + 16);
        s.push_str(address);
        if r.for_each.is_some() {
            // Keyed copies are a map: by key, or as a list by position in
            // the order of the keys.
            match &index {
                Some(key) if key == "each.key" => s.push_str("[each.key]"),
                Some(i) => s = format!("values({s})[{i}]"),
                None if cx.copy => s = format!("values({s})[i]"),
                None if cx.counted && self.each.is_some() => s.push_str("[each.key]"),
                None if cx.counted => s = format!("values({s})[count.index]"),
                None => s = format!("values({s})[*]"),
            }
        } else if r.count.is_some() {
            // Unindexed, a counted resource is the copy being written: the
            // one a for expression over the copies is at, or the copy of a
            // resource counted alike (a component's other resources).
            match &index {
                Some(i) => {
                    s.push('[');
                    s.push_str(i);
                    s.push(']');
                }
                None if cx.copy => s.push_str("[i]"),
                None if cx.counted => s.push_str("[count.index]"),
                None => s.push_str("[*]"),
            }
        } else if r.condition.is_some() {
            s.push_str("[0]");
        }
        let mut segments = path.split('.').filter(|s| !s.is_empty());
        let mut first = true;
        while let Some(segment) = segments.next() {
            let keyed = r
                .facts
                .keyed_attributes
                .iter()
                .find(|k| first && k.attribute == segment);
            first = false;
            if let Some(crate::ir::KeyedAttribute {
                attribute: attr,
                key: key_field,
                value: value_field,
            }) = keyed
            {
                let list = format!("{s}.{attr}");
                s = match key.take().or_else(|| segments.next().map(quote)) {
                    Some(key) => format!(
                        "one([for o in {list} : o.{value_field} if o.{key_field} == {key}])"
                    ),
                    None => format!("{{for o in {list} : o.{key_field} => o.{value_field}}}"),
                };
            } else if segment.bytes().all(|b| b.is_ascii_digit()) {
                s.push('[');
                s.push_str(segment);
                s.push(']');
            } else if is_simple_name(segment) {
                s.push('.');
                s.push_str(segment);
            } else {
                s.push_str(&format!("[{}]", quote(segment)));
            }
        }
        s
    }
}
