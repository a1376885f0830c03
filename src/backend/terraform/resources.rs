//! `resource` blocks: `count` for conditions and deploy-time counts,
//! bodies with `dynamic` blocks, dependencies and what deletion policies
//! become (`prevent_destroy`, final snapshots).

use std::borrow::Cow;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Context, Deletion, Expr, FinalSnapshot, Part, Resource, ResourceId};
use crate::json::{self, Json, json};
use crate::syntax::ast::BinaryOp;

use super::expressions::{P_OR, escape_template, walk};
use super::{Alternative, Cx, Emitter, Entries, Shape};

/// The nested blocks a value stands for, each with the deploy-time
/// condition it exists under; `None` unless the value is a list of objects
/// (or `null`) chosen by conditions, with at least one condition.
fn block_alternatives(e: &Expr) -> Option<Vec<Alternative<'_>>> {
    fn go<'e>(
        e: &'e Expr,
        condition: Option<Expr>,
        item: bool,
        out: &mut Vec<Alternative<'e>>,
    ) -> bool {
        match e {
            Expr::Null => true,
            Expr::Object(fields) if item => {
                out.push((condition, fields));
                true
            }
            Expr::List(items) if !item => items.iter().all(|i| go(i, condition.clone(), true, out)),
            Expr::If(c, a, b) => {
                go(
                    a,
                    Some(Expr::and(condition.clone(), (**c).clone())),
                    item,
                    out,
                ) && go(
                    b,
                    Some(Expr::and(condition, negate((**c).clone()))),
                    item,
                    out,
                )
            }
            _ => false,
        }
    }
    let mut out = Vec::new();
    if go(e, None, false, &mut out) && !out.is_empty() && out.iter().any(|(c, _)| c.is_some()) {
        Some(out)
    } else {
        None
    }
}

fn negate(e: Expr) -> Expr {
    match e {
        Expr::Not(x) => *x,
        Expr::Binary(BinaryOp::Eq, a, b) => Expr::Binary(BinaryOp::Ne, a, b),
        Expr::Binary(BinaryOp::Ne, a, b) => Expr::Binary(BinaryOp::Eq, a, b),
        Expr::Bool(b) => Expr::Bool(!b),
        e => Expr::Not(Box::new(e)),
    }
}

/// The policy lowering decided: a kept resource cannot be destroyed; a
/// snapshot is the type's own arguments.
fn protected(r: &Resource) -> bool {
    matches!(r.deletion, Some(Deletion::Retain | Deletion::Snapshot))
}

/// A constant printed as `json::write` prints `const_json(e)`; a scalar
/// without the tree.
fn write_const(out: &mut String, e: &Expr, depth: usize) {
    match e {
        Expr::Null => out.push_str("null"),
        Expr::Bool(true) => out.push_str("true"),
        Expr::Bool(false) => out.push_str("false"),
        Expr::String(s) => json::write_str(out, &escape_template(s)),
        _ => json::write(out, &const_json(e), depth),
    }
}

/// A list element present only under a condition: `c ? x : null`.
pub(super) fn is_optional_item(e: &Expr) -> bool {
    matches!(e, Expr::If(_, a, b) if matches!(**a, Expr::Null) != matches!(**b, Expr::Null))
}

/// A constant as JSON, its strings escaped: Terraform reads every string of
/// a JSON configuration as a template.
fn const_json(e: &Expr) -> Json<'_> {
    match e {
        Expr::Null => Json::Null,
        Expr::Bool(b) => Json::Bool(*b),
        Expr::Int(i) => Json::int(*i),
        Expr::Number(n) => Json::float(*n),
        Expr::String(s) => escape_template(s).into(),
        Expr::List(items) => Json::Array(items.iter().map(const_json).collect()),
        // Escaping may make two keys one: the last value wins, as in a map.
        Expr::Object(fields) => Json::Object(json::dedup(
            fields
                .iter()
                .map(|(k, v)| (escape_template(k), const_json(v)))
                .collect(),
        )),
        _ => Json::Null,
    }
}

impl<'d> Emitter<'d> {
    pub(super) fn resource(&mut self, r: &'d Resource) -> Json<'d> {
        let (cx, outer) = Cx::of(r);
        let mut body: Entries = Vec::with_capacity(r.properties.len() + 4);
        body.extend(self.copies_arguments(r, outer));
        self.each = r.for_each.as_deref();
        let properties = self.body(&r.properties, cx, true, Some(r));
        body.extend(properties);
        body.extend(self.closing_arguments(r, protected(r), cx));
        // A property may have the name of an argument written here: the
        // last value wins, in the first place, as in a map.
        Json::Object(json::dedup(body))
    }

    /// The arguments written before a resource's properties: `for_each` or
    /// `count`, from its condition, count and keys.
    fn copies_arguments(&mut self, r: &'d Resource, outer: Cx) -> Option<(Cow<'d, str>, Json<'d>)> {
        let what = match r.for_each {
            Some(_) => "for_each",
            None => "count",
        };
        for e in r.condition.as_deref().into_iter().chain(r.count.as_deref()) {
            self.check_count(r, e, what);
        }
        if let Some(list) = &r.for_each {
            // Under a condition, no copies: an empty set.
            let list = match r.condition.as_deref() {
                None | Some(Expr::Bool(true)) => self.render(list, outer).0,
                Some(c) => {
                    let c = self.operand(c, P_OR, outer);
                    let list = self.operand(list, P_OR, outer);
                    format!("{c} ? {list} : []")
                }
            };
            return Some(("for_each".into(), format!("${{toset({list})}}").into()));
        }
        let count = match (r.condition.as_deref(), r.count.as_deref()) {
            (None, None) | (Some(Expr::Bool(true)), None) => return None,
            (Some(Expr::Bool(false)), _) => Json::int(0),
            (None, Some(Expr::Int(n))) | (Some(Expr::Bool(true)), Some(Expr::Int(n))) => {
                Json::int(*n)
            }
            (None, Some(n)) | (Some(Expr::Bool(true)), Some(n)) => self.template(n, outer),
            (Some(c), n) => {
                let c = self.operand(c, P_OR, outer);
                let n = match n {
                    None => "1".to_string(),
                    Some(n) => self.operand(n, P_OR, outer),
                };
                format!("${{{c} ? {n} : 0}}").into()
            }
        };
        Some(("count".into(), count))
    }

    /// The arguments written after a resource's properties: `depends_on`,
    /// the final-snapshot arguments and `lifecycle`. Ends what reads
    /// `self.each`.
    fn closing_arguments(&mut self, r: &'d Resource, protected: bool, cx: Cx) -> Entries<'d> {
        let mut rest: Entries = Vec::new();
        if !r.depends_on.is_empty() {
            let mut refs = Vec::new();
            for &id in &r.depends_on {
                match self.resource_at(id) {
                    Some(_) => refs.push(self.address(id).to_string().into()),
                    None => self.internal(
                        r.span,
                        format!(
                            "`{}` depends on resource {}, which does not exist",
                            r.id, id.0
                        ),
                    ),
                }
            }
            rest.push(("depends_on".into(), Json::Array(refs)));
        }
        self.final_snapshot(r, protected, &mut rest, cx);
        self.each = None;
        if protected {
            rest.push(("lifecycle".into(), json!({ "prevent_destroy": true })));
        }
        rest
    }

    /// `resource(r)` printed into `out` at `depth` as `json::write` prints
    /// it, written as it is rendered without the tree where no two keys can
    /// meet; where they may (an escaped key, a property named as an argument
    /// written here, `dynamic` beside a property of that name) the tree,
    /// whose `dedup` gives a map's semantics.
    pub(super) fn write_resource(&mut self, out: &mut String, r: &'d Resource, depth: usize) {
        let props = &r.properties;
        let protected = protected(r);
        let may_meet = (r.for_each.is_some() && props.contains_key("for_each"))
            || ((r.condition.is_some() || r.count.is_some()) && props.contains_key("count"))
            || (!r.depends_on.is_empty() && props.contains_key("depends_on"))
            || (protected && props.contains_key("lifecycle"));
        if !may_meet {
            let start = out.len();
            let diagnostics = self.diagnostics.len();
            if self.write_resource_text(out, r, protected, depth) {
                return;
            }
            // Rendered again from the start: what was said is said again.
            out.truncate(start);
            self.diagnostics.truncate(diagnostics);
            self.each = None;
        }
        json::write(out, &self.resource(r), depth);
    }

    /// `write_resource` without the tree; false where two keys may meet.
    fn write_resource_text(
        &mut self,
        out: &mut String,
        r: &'d Resource,
        protected: bool,
        depth: usize,
    ) -> bool {
        let (cx, outer) = Cx::of(r);
        let inner = depth + 1;
        let mut n = 0;
        out.push('{');
        if let Some((key, value)) = self.copies_arguments(r, outer) {
            json::write_key(out, n, inner, &key);
            n += 1;
            json::write(out, &value, inner);
        }
        self.each = r.for_each.as_deref();
        if !self.write_fields(out, &r.properties, cx, true, Some(r), inner, &mut n) {
            return false;
        }
        let rest = self.closing_arguments(r, protected, cx);
        for (key, value) in &rest {
            json::write_key(out, n, inner, key);
            n += 1;
            json::write(out, value, inner);
        }
        json::write_close(out, depth, n, '}');
        true
    }

    /// `body(fields)` printed as entries of an object whose entries are at
    /// `depth`, `n` of them written before; false where two keys may meet.
    #[allow(clippy::too_many_arguments)]
    fn write_fields(
        &mut self,
        out: &mut String,
        fields: &crate::ir::Map<Expr>,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
        depth: usize,
        n: &mut usize,
    ) -> bool {
        let mut dynamic: Entries = Vec::new();
        let mut named_dynamic = false;
        for (key, value) in fields {
            if matches!(escape_template(key), Cow::Owned(_)) {
                return false;
            }
            named_dynamic |= &**key == "dynamic";
            match self.shape(value, blocks) {
                Shape::Blocks(alternatives) => {
                    let (fixed, conditional) = self.block_values(alternatives, cx, resource);
                    if !fixed.is_empty() {
                        json::write_key(out, *n, depth, key);
                        *n += 1;
                        json::write(out, &Json::Array(fixed), depth);
                    }
                    dynamic.push((Cow::from(&**key), conditional));
                }
                shape => {
                    json::write_key(out, *n, depth, key);
                    *n += 1;
                    if !self.write_value(out, value, shape, cx, blocks, resource, depth) {
                        return false;
                    }
                }
            }
        }
        if !dynamic.is_empty() {
            if named_dynamic {
                return false;
            }
            json::write_key(out, *n, depth, "dynamic");
            *n += 1;
            json::write(out, &Json::Object(dynamic), depth);
        }
        true
    }

    /// A property written as blocks: those always there, as the property's
    /// value, and those under a condition, as its `dynamic` block (one, or
    /// a list).
    fn block_values<'e>(
        &mut self,
        alternatives: Vec<Alternative<'e>>,
        cx: Cx,
        resource: Option<&Resource>,
    ) -> (Vec<Json<'e>>, Json<'e>) {
        let mut fixed = Vec::new();
        let mut conditional = Vec::new();
        for (condition, fields) in alternatives {
            let content = Json::Object(self.body(fields, cx, true, resource));
            match condition {
                None => fixed.push(content),
                Some(c) => {
                    if let Some(r) = resource {
                        self.check_count(r, &c, "for_each");
                    }
                    let c = self.operand(&c, P_OR, cx);
                    conditional.push(json!({
                        "for_each": format!("${{{c} ? [1] : []}}"),
                        "content": content,
                    }));
                }
            }
        }
        let conditional = match conditional.len() {
            1 => conditional.pop().unwrap_or(Json::Null),
            _ => Json::Array(conditional),
        };
        (fixed, conditional)
    }

    /// `value_shaped` printed into `out` at `depth`; false where two keys
    /// may meet.
    #[allow(clippy::too_many_arguments)]
    fn write_value(
        &mut self,
        out: &mut String,
        e: &Expr,
        shape: Shape<'_>,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
        depth: usize,
    ) -> bool {
        match shape {
            Shape::Const => write_const(out, e, depth),
            Shape::List([]) => out.push_str("[]"),
            Shape::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    json::write_item(out, i, depth + 1);
                    let shape = self.shape(item, blocks);
                    if !self.write_value(out, item, shape, cx, blocks, resource, depth + 1) {
                        return false;
                    }
                }
                json::write_close(out, depth, items.len(), ']');
            }
            Shape::Object(fields) => {
                out.push('{');
                let mut n = 0;
                if !self.write_fields(out, fields, cx, blocks, resource, depth + 1, &mut n) {
                    return false;
                }
                json::write_close(out, depth, n, '}');
            }
            // `template`: an expression's `${...}` around its text as it
            // is rendered, when nothing in it is escaped.
            Shape::Blocks(_) | Shape::Expr if !matches!(e, Expr::Interp(_)) => {
                let text = match self.hoisted(e) {
                    Some(name) => ["local.", &name].concat(),
                    None => self.render_inner(e, cx).0,
                };
                // `json::write_str(interpolation(text))`: escaping goes byte
                // by byte, so the text is escaped in place.
                let object = text.starts_with('{');
                out.reserve(text.len() + 7);
                out.push_str(if object { "\"${ " } else { "\"${" });
                json::write_escaped(out, &text);
                out.push_str(if object { " }\"" } else { "}\"" });
            }
            Shape::Blocks(_) | Shape::Expr => match self.template(e, cx) {
                Json::Str(s) => json::write_str(out, &s),
                t => json::write(out, &t, depth),
            },
        }
        true
    }

    /// The type's final-snapshot arguments (its schema's `final_snapshot`),
    /// from the deletion policy. A flag is set under the snapshot policy. A
    /// type that refuses to be destroyed until told what becomes of its data
    /// (an RDS instance) keeps a final snapshot, named after the resource,
    /// unless its policy is delete. What the program sets itself is left
    /// alone.
    fn final_snapshot(&mut self, r: &'d Resource, keep_data: bool, body: &mut Entries<'d>, cx: Cx) {
        let (skip, identifier, named_after) = match &r.facts.final_snapshot {
            None => return,
            Some(FinalSnapshot::Flag(flag)) => {
                if r.deletion == Some(Deletion::Snapshot)
                    && !r.properties.contains_key(flag.as_str())
                {
                    body.push((flag.as_str().into(), true.into()));
                }
                return;
            }
            Some(FinalSnapshot::Named {
                skip,
                identifier,
                named_after,
            }) => (skip, identifier, named_after),
        };
        if r.properties.contains_key(skip.as_str())
            || r.properties.contains_key(identifier.as_str())
        {
            return;
        }
        body.push((skip.as_str().into(), (!keep_data).into()));
        if !keep_data {
            return;
        }
        // Snapshot names are letters, digits and single hyphens.
        let name = match r.properties.get(named_after.as_str()) {
            Some(identifier) => Expr::Interp(vec![
                Part::Expr(identifier.clone()),
                Part::Text("-final".into()),
            ]),
            None => Expr::Interp(vec![
                Part::Expr(Expr::Context(Context::StackName)),
                Part::Text(format!("-{}-final", r.snake.replace('_', "-"))),
            ]),
        };
        let name = self.template(&name, cx);
        body.push((identifier.as_str().into(), name));
    }

    /// `count` (and a dynamic block's `for_each`) may not be sensitive, and
    /// must be known when Terraform plans.
    fn check_count(&mut self, r: &Resource, e: &Expr, what: &str) {
        if self.is_sensitive(e) {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0550,
                    r.span,
                    format!(
                        "whether `{}.{}` exists depends on a secret, and {} refuses sensitive values in `{what}`",
                        r.type_name,
                        r.snake,
                        self.d.target.display()
                    ),
                )
                .label("its condition or count reads a secret")
                .help("make the condition depend on a param that is not secret (for instance a boolean `enable_...` param)"),
            );
        }
        if let Some((from, read)) = self.known_after_apply(e, &mut Vec::new()) {
            let from = format!("{}.{}", from.type_name, from.snake);
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0554,
                    r.span,
                    format!(
                        "whether `{}.{}` exists depends on `{from}`, which {} knows only after it is created",
                        r.type_name,
                        r.snake,
                        self.d.target.display()
                    ),
                )
                .label(format!("its `{what}` reads `{from}.{read}`"))
                .note(format!("Terraform must know `{what}` when it plans, and refuses a value known only after apply: `terraform plan` fails"))
                .help("make the condition depend on params only, which Terraform knows when it plans"),
            );
        }
    }

    /// A value read by `e` that Terraform knows only after apply, with the
    /// resource it comes from: an id, or an attribute the program does not
    /// set (or sets to such a value). An attribute the program sets to a
    /// known value is known when Terraform plans. `seen` holds the
    /// attributes followed so far.
    fn known_after_apply(
        &self,
        e: &Expr,
        seen: &mut Vec<(ResourceId, String)>,
    ) -> Option<(&'d Resource, String)> {
        let mut found = None;
        walk(e, &mut |x| {
            if found.is_some() {
                return false;
            }
            let (id, attr) = match x {
                Expr::Ref(id) => (id, None),
                Expr::Attr(id, attr) => (id, Some(attr)),
                _ => return true,
            };
            let Some(r) = self.resource_at(*id) else {
                return false;
            };
            let Some(attr) = attr else {
                found = Some((r, "id".to_string()));
                return false;
            };
            let key = attr.split('.').next().unwrap_or_default();
            match r.properties.get(key) {
                None => found = Some((r, attr.clone())),
                Some(set) => {
                    let followed = (*id, key.to_string());
                    if !seen.contains(&followed) {
                        seen.push(followed);
                        found = self.known_after_apply(set, seen);
                    }
                }
            }
            false
        });
        found
    }

    /// A block body (or a map): `fields` with their values. Nested blocks
    /// that exist only under a deploy-time condition become `dynamic` blocks.
    fn body<'e>(
        &mut self,
        fields: &'e crate::ir::Map<Expr>,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
    ) -> Entries<'e> {
        let mut out: Entries = Vec::with_capacity(fields.len());
        let mut dynamic: Entries = Vec::new();
        // Whether an escaped key may meet another: a map's keys are distinct.
        let mut escaped = false;
        for (key, value) in fields {
            match self.shape(value, blocks) {
                Shape::Blocks(alternatives) => {
                    let (fixed, conditional) = self.block_values(alternatives, cx, resource);
                    if !fixed.is_empty() {
                        let key = escape_template(key);
                        escaped |= matches!(key, Cow::Owned(_));
                        out.push((key, Json::Array(fixed)));
                    }
                    dynamic.push((Cow::from(&**key), conditional));
                }
                shape => {
                    let v = self.value_shaped(value, shape, cx, blocks, resource);
                    let key = escape_template(key);
                    escaped |= matches!(key, Cow::Owned(_));
                    out.push((key, v));
                }
            }
        }
        if !dynamic.is_empty() {
            out.push(("dynamic".into(), Json::Object(dynamic)));
        } else if !escaped {
            return out;
        }
        // Escaped keys, and `dynamic`, may meet a key written before: the
        // last value wins, in the first place, as in a map.
        json::dedup(out)
    }

    pub(super) fn value<'e>(
        &mut self,
        e: &'e Expr,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
    ) -> Json<'e> {
        let shape = self.shape(e, blocks);
        self.value_shaped(e, shape, cx, blocks, resource)
    }

    /// `value`, with the shape of `e` known.
    fn value_shaped<'e>(
        &mut self,
        e: &'e Expr,
        shape: Shape<'e>,
        cx: Cx,
        blocks: bool,
        resource: Option<&Resource>,
    ) -> Json<'e> {
        match shape {
            Shape::Const => const_json(e),
            Shape::List(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.value(item, cx, blocks, resource))
                    .collect(),
            ),
            Shape::Object(fields) => Json::Object(self.body(fields, cx, blocks, resource)),
            Shape::Blocks(_) | Shape::Expr => self.template(e, cx),
        }
    }

    pub(super) fn shape<'e>(&self, e: &'e Expr, blocks: bool) -> Shape<'e> {
        if e.is_const() {
            return Shape::Const;
        }
        match e {
            Expr::List(items) => {
                if blocks && let Some(alternatives) = block_alternatives(e) {
                    return Shape::Blocks(alternatives);
                }
                if items.iter().any(is_optional_item) {
                    Shape::Expr
                } else {
                    Shape::List(items)
                }
            }
            Expr::Object(fields) => Shape::Object(fields),
            Expr::If(..) if blocks => match block_alternatives(e) {
                Some(alternatives) => Shape::Blocks(alternatives),
                None => Shape::Expr,
            },
            _ => Shape::Expr,
        }
    }
}
