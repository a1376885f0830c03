//! `locals`: compound deploy-time values used more than once, hoisted and
//! named after the property they set or what they read.

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::backend::common::names::{first_free, words as text_words};
use crate::builtins::Builtin;
use crate::ir::{Context, Expr, Part};
use crate::json::{self, Json};
use crate::source::Span;
use crate::syntax::ast::BinaryOp;

use super::expressions::{interpolation, walk};
use super::outputs::output_value;
use super::{Cx, Emitter, Entries, Root, Shape};

/// Candidates for a local by their plain rendering: occurrences, size and
/// first expression, in order of first occurrence (which breaks ties).
type Counts = IndexMap<String, (usize, usize, Expr), FxBuildHasher>;

/// The most locals one configuration gets.
const MAX_LOCALS: usize = 64;

/// Is `e` a reference, possibly indexed by a constant or followed by a
/// field: no computation worth a local.
fn is_traversal(e: &Expr) -> bool {
    match e {
        Expr::Param(_) | Expr::Ref(_) | Expr::Attr(..) | Expr::Context(_) | Expr::CountIndex => {
            true
        }
        Expr::Index(base, i) => is_traversal(base) && i.is_const(),
        Expr::Member(base, _) => is_traversal(base),
        _ => false,
    }
}

/// The number of nodes of `e`, text parts included.
fn size(e: &Expr) -> usize {
    let texts = match e {
        Expr::Interp(parts) => parts.iter().filter(|p| matches!(p, Part::Text(_))).count(),
        _ => 0,
    };
    1 + texts + e.children().into_iter().map(size).sum::<usize>()
}

impl<'d> Emitter<'d> {
    /// The expressions a value is written with, as `shape` splits it: where
    /// locals may replace parts. Each comes with the name of the property it
    /// is the whole value of.
    fn roots(&self, e: &Expr, blocks: bool, label: Option<&str>, out: &mut Vec<Root>) {
        match self.shape(e, blocks) {
            Shape::Const => {}
            Shape::List(items) => {
                for item in items {
                    // Blocks exist only as an object's fields: in a list,
                    // the value is an expression (see `value`).
                    if let Shape::Blocks(_) = self.shape(item, blocks) {
                        out.push((item.clone(), None));
                    } else {
                        self.roots(item, blocks, None, out);
                    }
                }
            }
            Shape::Object(fields) => {
                for (k, v) in fields {
                    self.roots(v, blocks, Some(k), out);
                }
            }
            Shape::Blocks(alternatives) => {
                for (condition, fields) in alternatives {
                    out.extend(condition.map(|c| (c, None)));
                    for (k, v) in fields {
                        self.roots(v, true, Some(k), out);
                    }
                }
            }
            Shape::Expr => out.push((e.clone(), label.map(str::to_string))),
        }
    }

    /// Hoists compound deploy-time values used more than once into locals,
    /// largest first.
    pub(super) fn compute_locals(&mut self) {
        let d = self.d;
        let mut roots: Vec<Root> = Vec::new();
        for r in &d.resources {
            roots.extend(r.condition.iter().map(|c| (c.clone(), None)));
            roots.extend(r.count.iter().map(|c| (c.clone(), None)));
            for (k, v) in &r.properties {
                self.roots(v, true, Some(k), &mut roots);
            }
        }
        for o in &d.outputs {
            self.roots(&output_value(o), false, Some(&o.name), &mut roots);
        }
        for _ in 0..MAX_LOCALS {
            // Occurrences by plain rendering: count, size, first expression.
            let mut counts = Counts::default();
            for (root, _) in &roots {
                self.count_candidates(root, &mut counts);
            }
            let bodies: Vec<Expr> = self.locals.iter().map(|(_, e)| e.clone()).collect();
            for body in &bodies {
                for child in body.children() {
                    self.count_candidates(child, &mut counts);
                }
            }
            let mut best: Option<(&String, &(usize, usize, Expr))> = None;
            for entry in &counts {
                if entry.1.0 >= 2 && best.is_none_or(|b| entry.1.1 > b.1.1) {
                    best = Some(entry);
                }
            }
            let Some((key, (_, _, e))) = best else {
                break;
            };
            // A choice is named after the property it sets, anything else
            // after what it reads.
            let mut label = None;
            if matches!(e, Expr::If(..)) {
                for (root, l) in &roots {
                    if l.is_some() && self.is_candidate(root) && self.plain(root) == *key {
                        label.clone_from(l);
                        break;
                    }
                }
            }
            let name = self.local_name(e, label.as_deref());
            self.local_keys.insert(key.clone(), name.clone());
            self.locals.push((name, e.clone()));
        }
        self.order_locals(&roots);
    }

    /// Locals in the order they are first read, each after the locals it
    /// reads.
    fn order_locals(&mut self, roots: &[Root]) {
        if self.locals.is_empty() {
            return;
        }
        let mut order: Vec<String> = Vec::new();
        for (root, _) in roots {
            self.visit_locals(root, &mut order);
        }
        let mut locals = std::mem::take(&mut self.locals);
        let mut sorted = Vec::with_capacity(locals.len());
        for name in &order {
            if let Some(i) = locals.iter().position(|(n, _)| n == name) {
                sorted.push(locals.remove(i));
            }
        }
        sorted.extend(locals);
        self.locals = sorted;
    }

    fn visit_locals(&mut self, e: &Expr, order: &mut Vec<String>) {
        if self.is_candidate(e) {
            let key = self.plain(e);
            if let Some(name) = self.local_keys.get(&key).cloned() {
                if !order.contains(&name) {
                    for child in e.children() {
                        self.visit_locals(child, order);
                    }
                    order.push(name);
                }
                return;
            }
        }
        for child in e.children() {
            self.visit_locals(child, order);
        }
    }

    fn count_candidates(&mut self, e: &Expr, counts: &mut Counts) {
        if self.is_candidate(e) {
            let key = self.plain(e);
            if self.local_keys.contains_key(&key) {
                return;
            }
            let entry = counts.entry(key).or_insert_with(|| (0, size(e), e.clone()));
            entry.0 += 1;
        }
        for child in e.children() {
            self.count_candidates(child, counts);
        }
    }

    /// May `e` be a local? Compound, known only at deploy time, and valid
    /// wherever the configuration is evaluated: no `count.index`, no
    /// resource that may not exist.
    fn is_candidate(&self, e: &Expr) -> bool {
        // The object store's URL and a value read by key from a key/value
        // list are long expressions: locals when read twice.
        if matches!(e, Expr::Call(Builtin::ObjectStoreUrl, args) if args.is_empty()) {
            return self.provider == "openstack";
        }
        let keyed = match e {
            Expr::Index(base, _) => {
                matches!(&**base, Expr::Attr(id, path) if self.is_keyed(*id, path))
            }
            Expr::Attr(id, path) => path
                .split_once('.')
                .is_some_and(|(first, _)| self.is_keyed(*id, first)),
            _ => false,
        };
        if !keyed && (is_traversal(e) || e.is_const() || size(e) < 3) {
            return false;
        }
        let mut ok = true;
        walk(e, &mut |x| {
            match x {
                Expr::CountIndex => ok = false,
                Expr::Ref(id) | Expr::Attr(id, _) => {
                    ok &= self
                        .resource_at(*id)
                        .is_some_and(|r| r.condition.is_none() && r.count.is_none());
                }
                _ => {}
            }
            ok
        });
        ok
    }

    /// The rendering of `e` without locals: the key locals are found by. It
    /// changes nothing: the data sources it reads are not recorded.
    fn plain(&mut self, e: &Expr) -> String {
        let contexts = self.contexts;
        let cx = Cx {
            span: Span::default(),
            counted: true,
            plain: true,
            copy: false,
        };
        let key = self.render(e, cx).0;
        self.contexts = contexts;
        key
    }

    /// A readable, unique name for a local: the property it sets, or the
    /// words of what it reads.
    fn local_name(&self, e: &Expr, label: Option<&str>) -> String {
        let mut words = Vec::new();
        match label {
            Some(label) => words.extend(text_words(label).map(str::to_ascii_lowercase)),
            None => self.words(e, &mut words),
        }
        let mut name = String::new();
        for w in words.iter().take(6) {
            if name.len() + w.len() > 40 {
                break;
            }
            if !name.is_empty() {
                name.push('_');
            }
            name.push_str(w);
        }
        if name.is_empty() {
            name = "value".into();
        }
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            name = format!("v_{name}");
        }
        first_free(&name, "_", |n| self.locals.iter().any(|(l, _)| l == n))
    }

    fn words(&self, e: &Expr, out: &mut Vec<String>) {
        if out.len() >= 6 {
            return;
        }
        let push_text = |s: &str, out: &mut Vec<String>| {
            for w in text_words(s).take(3) {
                out.push(w.to_ascii_lowercase());
            }
        };
        match e {
            Expr::Null => out.push("null".into()),
            Expr::Bool(b) => out.push(b.to_string()),
            Expr::Int(i) => out.push(i.unsigned_abs().to_string()),
            Expr::Number(n) => push_text(&n.to_string(), out),
            Expr::String(s) => push_text(s, out),
            Expr::Param(p) => push_text(self.variables.get(p.as_str()).unwrap_or(p), out),
            Expr::Ref(id) => {
                if let Some(r) = self.resource_at(*id) {
                    push_text(&r.snake, out);
                }
                out.push("id".into());
            }
            Expr::Attr(id, path) => {
                if let Some(r) = self.resource_at(*id) {
                    push_text(&r.snake, out);
                }
                push_text(path, out);
            }
            Expr::Interp(parts) => {
                for part in parts {
                    match part {
                        Part::Text(t) => push_text(t, out),
                        Part::Expr(e) => self.words(e, out),
                    }
                }
            }
            Expr::Not(x) => {
                out.push("not".into());
                self.words(x, out);
            }
            Expr::Neg(x) => {
                out.push("minus".into());
                self.words(x, out);
            }
            Expr::Binary(op, a, b) => {
                self.words(a, out);
                out.push(
                    match op {
                        BinaryOp::Or => "or",
                        BinaryOp::And => "and",
                        BinaryOp::Eq => "is",
                        BinaryOp::Ne => "is_not",
                        BinaryOp::Lt => "below",
                        BinaryOp::Le => "at_most",
                        BinaryOp::Gt => "above",
                        BinaryOp::Ge => "at_least",
                        BinaryOp::Add => "plus",
                        BinaryOp::Sub => "minus",
                        BinaryOp::Mul => "times",
                        BinaryOp::Div => "over",
                        BinaryOp::Rem => "mod",
                    }
                    .into(),
                );
                self.words(b, out);
            }
            Expr::If(_, a, b) => {
                self.words(a, out);
                out.push("or".into());
                self.words(b, out);
            }
            Expr::Call(name, args) => {
                out.push(name.name().to_string());
                for a in args {
                    self.words(a, out);
                }
            }
            Expr::Index(base, i) => {
                self.words(base, out);
                self.words(i, out);
            }
            Expr::Member(base, f) => {
                self.words(base, out);
                push_text(f, out);
            }
            Expr::List(items) => {
                for item in items {
                    self.words(item, out);
                }
            }
            Expr::Object(fields) => {
                for v in fields.values() {
                    self.words(v, out);
                }
            }
            Expr::Context(c) => out.push(
                match c {
                    Context::Region => "region",
                    Context::Zones => "zones",
                    Context::StackName => "workspace",
                    Context::AccountId => "account",
                }
                .into(),
            ),
            Expr::CountIndex => out.push("index".into()),
            Expr::Copies { each, .. } => self.words(each, out),
        }
    }

    pub(super) fn locals_block(&mut self) -> Entries<'static> {
        let mut out = Vec::with_capacity(self.locals.len());
        let cx = Cx {
            span: Span::default(),
            counted: false,
            plain: false,
            copy: false,
        };
        let locals = self.locals.clone();
        for (name, e) in &locals {
            let value = match e {
                Expr::Interp(parts) => self.template_text(parts, cx, false),
                _ => interpolation(&self.render_inner(e, cx).0),
            };
            out.push((name.clone().into(), Json::from(value)));
        }
        json::dedup(out)
    }

    pub(super) fn hoisted(&mut self, e: &Expr, cx: Cx) -> Option<String> {
        if cx.plain || self.local_keys.is_empty() || !self.is_candidate(e) {
            return None;
        }
        let key = self.plain(e);
        self.local_keys.get(&key).cloned()
    }
}
