//! `locals`: compound deploy-time values used more than once, hoisted and
//! named after the property they set or what they read.

use std::borrow::Cow;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::backend::common::names::{first_free, words as text_words};
use crate::builtins::Builtin;
use crate::ir::{Context, Expr, Part, Resource, ResourceId};
use crate::json::{self, Json};
use crate::source::Span;
use crate::syntax::ast::BinaryOp;

use super::expressions::{interpolation, walk};
use super::outputs::output_value;
use super::{Cx, Emitter, Entries, Root, Shape};

/// Candidates for a local by their key: occurrences, size and first node,
/// in order of first occurrence (which breaks ties).
type Counts = IndexMap<Key, (usize, usize, usize), FxBuildHasher>;

/// An expression's structure: equal for equal expressions.
pub(super) type Key = u32;

/// One node of an expression, in a pre-order list of them.
struct Node<'e> {
    expr: &'e Expr,
    key: Key,
    /// Its number of nodes, text parts included (see `size`).
    size: usize,
    /// The index after its last descendant.
    end: usize,
    /// May it be a local (`is_candidate`)?
    candidate: bool,
}

/// What a node's parent reads of it.
struct Facts {
    key: Key,
    size: usize,
    /// Valid wherever the configuration is evaluated (see `is_candidate`).
    ok: bool,
    is_const: bool,
}

/// `Facts` with a structural hash in place of the key (`Emitter::repeats`).
struct Facts64 {
    hash: u64,
    size: usize,
    ok: bool,
    is_const: bool,
}

/// Marks a text's hash among a node's children's hashes.
const TEXT_MARK: u64 = 0x9e37_79b9_7f4a_7c15;

/// A node's own content and its children's keys: what makes its key. Its
/// texts are interned (`Keys::text`) and up to `INLINE` children are kept
/// in place, so that keying a node allocates only for a text never met or
/// a node with more children.
#[derive(PartialEq, Eq, Hash)]
struct Structure {
    kind: u8,
    number: u64,
    /// The id of its text (`Keys::text`).
    text: u32,
    children: Children,
}

/// The children of most nodes fit in place.
const INLINE: usize = 3;

/// A node's children's keys; an object's field names and an
/// interpolation's text parts among them as text ids marked by `TEXT`.
#[derive(PartialEq, Eq, Hash)]
enum Children {
    Inline(u8, [Key; INLINE]),
    Heap(Box<[Key]>),
}

/// Marks a text id among a node's children's keys.
const TEXT: Key = 1 << 31;

impl Children {
    fn new(keys: &[Key]) -> Children {
        if keys.len() <= INLINE {
            let mut inline = [0; INLINE];
            inline[..keys.len()].copy_from_slice(keys);
            Children::Inline(keys.len() as u8, inline)
        } else {
            Children::Heap(keys.into())
        }
    }
}

/// The key of each structure met, so that equal subexpressions are found by
/// hashing once each node rather than by rendering them.
#[derive(Default)]
pub(super) struct Keys {
    known: rustc_hash::FxHashMap<Structure, Key>,
    texts: rustc_hash::FxHashMap<Box<str>, u32>,
    /// A buffer for a node's children's keys, reused from node to node.
    scratch: Vec<Key>,
}

impl Keys {
    fn intern(&mut self, structure: Structure) -> Key {
        let next = self.known.len() as Key;
        *self.known.entry(structure).or_insert(next)
    }

    /// The id of `text`, interned.
    fn text(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.texts.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.insert(text.into(), id);
        id
    }

    /// The key of the leaf `(kind, number, text)`.
    fn leaf(&mut self, kind: u8, number: u64, text: &str) -> Key {
        let text = self.text(text);
        self.intern(Structure {
            kind,
            number,
            text,
            children: Children::new(&[]),
        })
    }
}

/// Looks structures up without interning anything (`Emitter::find_key`).
impl Keys {
    fn find_text(&self, text: &str) -> Option<u32> {
        self.texts.get(text).copied()
    }

    fn find(&self, structure: &Structure) -> Option<Key> {
        self.known.get(structure).copied()
    }
}

impl Emitter<'_> {
    /// The key of `e`, whose children have the keys `children`.
    fn intern(&mut self, e: &Expr, children: &[Key]) -> Key {
        // A keyed attribute read by member (`outputs.href`) is the same
        // read as by index (`outputs["href"]`): one key for both.
        if let Some((id, attribute, key)) = self.keyed_member(e) {
            let base = self.keys.leaf(9, id.index() as u64, attribute);
            let index = self.keys.leaf(4, 0, key);
            let empty = self.keys.text("");
            return self.keys.intern(Structure {
                kind: 16,
                number: 0,
                text: empty,
                children: Children::new(&[base, index]),
            });
        }
        let mut all = std::mem::take(&mut self.keys.scratch);
        all.clear();
        let (kind, number, text) = content(e);
        let keys = &mut self.keys;
        let text = keys.text(text);
        with_texts(e, children, &mut all, &mut |t| keys.text(t));
        let key = self.keys.intern(Structure {
            kind,
            number,
            text,
            children: Children::new(&all),
        });
        self.keys.scratch = all;
        key
    }

    /// The key of `e`, if it has one: an expression never met has none.
    fn find_key(&self, e: &Expr) -> Option<Key> {
        let keys = &self.keys;
        if let Some((id, attribute, key)) = self.keyed_member(e) {
            let leaf = |kind, number, text| {
                keys.find(&Structure {
                    kind,
                    number,
                    text: keys.find_text(text)?,
                    children: Children::new(&[]),
                })
            };
            let base = leaf(9, id.index() as u64, attribute)?;
            let index = leaf(4, 0, key)?;
            return keys.find(&Structure {
                kind: 16,
                number: 0,
                text: keys.find_text("")?,
                children: Children::new(&[base, index]),
            });
        }
        let mut children = Vec::new();
        let mut found = true;
        e.for_each_child(|child| {
            if found {
                match self.find_key(child) {
                    Some(key) => children.push(key),
                    None => found = false,
                }
            }
        });
        if !found {
            return None;
        }
        let (kind, number, text) = content(e);
        let text = keys.find_text(text)?;
        let mut all = Vec::with_capacity(children.len());
        let mut missing = false;
        with_texts(e, &children, &mut all, &mut |t| {
            keys.find_text(t).unwrap_or_else(|| {
                missing = true;
                0
            })
        });
        if missing {
            return None;
        }
        keys.find(&Structure {
            kind,
            number,
            text,
            children: Children::new(&all),
        })
    }

    /// `e` as the resource, keyed attribute and key it reads by member.
    fn keyed_member<'e>(&self, e: &'e Expr) -> Option<(ResourceId, &'e str, &'e str)> {
        let Expr::Attr(id, path) = e else {
            return None;
        };
        let (attribute, key) = path.split_once('.')?;
        (self.is_keyed(*id, attribute) && !key.contains('.')).then_some((*id, attribute, key))
    }
}

/// Appends to `out` the keys of `e`'s children, with an object's field
/// names before each field's value and an interpolation's text parts in
/// place, each as its text id (from `text`) marked by `TEXT`.
fn with_texts(e: &Expr, children: &[Key], out: &mut Vec<Key>, text: &mut dyn FnMut(&str) -> u32) {
    match e {
        Expr::Object(fields) => {
            for (name, &child) in fields.keys().zip(children) {
                out.push(text(name) | TEXT);
                out.push(child);
            }
        }
        Expr::Interp(parts) => {
            let mut children = children.iter();
            for part in parts {
                match part {
                    Part::Text(t) => out.push(text(t) | TEXT),
                    Part::Expr(_) => out.extend(children.next()),
                }
            }
        }
        _ => out.extend_from_slice(children),
    }
}

/// A node's own content: its kind, a number and a text.
fn content(e: &Expr) -> (u8, u64, &str) {
    match e {
        Expr::Null => (0, 0, ""),
        Expr::Bool(b) => (1, *b as u64, ""),
        Expr::Int(i) => (2, *i as u64, ""),
        Expr::Number(n) => (3, n.to_bits(), ""),
        Expr::String(s) => (4, 0, s),
        Expr::List(_) => (5, 0, ""),
        Expr::Object(_) => (6, 0, ""),
        Expr::Param(p) => (7, 0, p),
        Expr::Ref(id) => (8, id.index() as u64, ""),
        Expr::Attr(id, path) => (9, id.index() as u64, path),
        Expr::Interp(_) => (10, 0, ""),
        Expr::Not(_) => (11, 0, ""),
        Expr::Neg(_) => (12, 0, ""),
        Expr::Binary(op, ..) => (13, *op as u64, ""),
        Expr::If(..) => (14, 0, ""),
        Expr::Call(builtin, _) => (15, *builtin as u64, ""),
        Expr::Index(..) => (16, 0, ""),
        Expr::Member(_, name) => (17, 0, name),
        Expr::Context(c) => (18, *c as u64, ""),
        Expr::CountIndex => (19, 0, ""),
        Expr::Import(_) => (21, 0, ""),
        Expr::Copies { of, .. } => (20, of.index() as u64, ""),
    }
}

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
    let mut n = 1 + texts;
    e.for_each_child(|child| n += size(child));
    n
}

impl<'d> Emitter<'d> {
    /// A resource's roots: its condition, its count or list, and its
    /// properties' (`roots`).
    fn resource_roots<'e>(&self, r: &'e Resource, out: &mut Vec<Root<'e>>) {
        out.extend(r.condition.as_deref().map(|c| (Cow::Borrowed(c), None)));
        // A keyed resource writes its list, not its count.
        let repeat = r.for_each.as_deref().or(r.count.as_deref());
        out.extend(repeat.map(|c| (Cow::Borrowed(c), None)));
        for (k, v) in &r.properties {
            self.roots(v, true, Some(k), out);
        }
    }

    /// The expressions a value is written with, as `shape` splits it: where
    /// locals may replace parts. Each comes with the name of the property it
    /// is the whole value of.
    fn roots<'e>(
        &self,
        e: &'e Expr,
        blocks: bool,
        label: Option<&'e str>,
        out: &mut Vec<Root<'e>>,
    ) {
        match self.shape(e, blocks) {
            Shape::Const => {}
            Shape::List(items) => {
                for item in items {
                    // Blocks exist only as an object's fields: in a list,
                    // the value is an expression (see `value`).
                    if let Shape::Blocks(_) = self.shape(item, blocks) {
                        out.push((Cow::Borrowed(item), None));
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
                    out.extend(condition.map(|c| (Cow::Owned(c), None)));
                    for (k, v) in fields {
                        self.roots(v, true, Some(k), out);
                    }
                }
            }
            Shape::Expr => out.push((Cow::Borrowed(e), label)),
        }
    }

    /// Hoists compound deploy-time values used more than once into locals,
    /// largest first.
    pub(super) fn compute_locals(&mut self) {
        let d = self.d;
        let outputs: Vec<Cow<Expr>> = d.outputs.iter().map(output_value).collect();
        // Most configurations repeat nothing: no key is worth making then.
        // That is found a resource's roots at a time, so that a large
        // configuration's roots are gathered only when it repeats some.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut some = Vec::new();
        let mut repeated = false;
        for r in &d.resources {
            some.clear();
            self.resource_roots(r, &mut some);
            if self.repeats(&some, &mut seen) {
                repeated = true;
                break;
            }
        }
        if !repeated {
            some.clear();
            for (o, value) in d.outputs.iter().zip(&outputs) {
                self.roots(value, false, Some(&o.name), &mut some);
            }
            repeated = self.repeats(&some, &mut seen);
        }
        drop((seen, some));
        if !repeated {
            return;
        }
        let mut roots: Vec<Root> = Vec::with_capacity(
            d.outputs.len()
                + d.resources
                    .iter()
                    .map(|r| r.properties.len())
                    .sum::<usize>(),
        );
        for r in &d.resources {
            self.resource_roots(r, &mut roots);
        }
        for (o, value) in d.outputs.iter().zip(&outputs) {
            self.roots(value, false, Some(&o.name), &mut roots);
        }
        // Every node of the roots, once, in pre-order, with its key: the
        // candidates are counted on these on each round.
        let mut nodes: Vec<Node> = Vec::new();
        let mut starts = Vec::with_capacity(roots.len());
        let mut stack = Vec::new();
        for (root, _) in &roots {
            starts.push(nodes.len());
            self.annotate(root, &mut nodes, &mut stack);
        }
        let roots_end = nodes.len();
        for _ in 0..MAX_LOCALS {
            // Occurrences by key: count, size, first node; in order of first
            // occurrence, in the roots and then in the locals' bodies.
            let mut counts = Counts::default();
            self.count_candidates(&nodes, 0, roots_end, &mut counts);
            for body in &self.bodies {
                self.count_candidates(&nodes, body.0, body.1, &mut counts);
            }
            let mut best: Option<(&Key, &(usize, usize, usize))> = None;
            for entry in &counts {
                if entry.1.0 >= 2 && best.is_none_or(|b| entry.1.1 > b.1.1) {
                    best = Some(entry);
                }
            }
            let Some((&key, &(_, _, first))) = best else {
                break;
            };
            let e = nodes[first].expr;
            // A choice is named after the property it sets, anything else
            // after what it reads.
            let mut label = None;
            if matches!(e, Expr::If(..)) {
                for (&(_, l), &start) in roots.iter().zip(&starts) {
                    let root = &nodes[start];
                    if l.is_some() && root.candidate && root.key == key {
                        label = l;
                        break;
                    }
                }
            }
            let name = self.local_name(e, label);
            self.local_keys.insert(key, name.clone());
            self.locals.push((name, e.clone()));
            // The body's own parts may be locals too.
            self.bodies.push((first + 1, nodes[first].end));
        }
        self.bodies.clear();
        self.order_locals(&nodes, &starts);
    }

    /// Appends the nodes of `e`, pre-order, each with its structural key;
    /// returns what its parent needs of it. `stack` holds the keys of the
    /// children of the nodes being annotated, so that none needs a list of
    /// its own.
    fn annotate<'e>(
        &mut self,
        e: &'e Expr,
        nodes: &mut Vec<Node<'e>>,
        stack: &mut Vec<Key>,
    ) -> Facts {
        let at = nodes.len();
        nodes.push(Node {
            expr: e,
            key: 0,
            size: 0,
            end: 0,
            candidate: false,
        });
        let base = stack.len();
        let mut size = 1;
        let mut ok = true;
        let mut all_const = true;
        e.for_each_child(|child| {
            let facts = self.annotate(child, nodes, stack);
            stack.push(facts.key);
            size += facts.size;
            ok &= facts.ok;
            all_const &= facts.is_const;
        });
        if let Expr::Interp(parts) = e {
            size += parts.iter().filter(|p| matches!(p, Part::Text(_))).count();
        }
        let key = self.intern(e, &stack[base..]);
        stack.truncate(base);
        ok &= self.readable_anywhere(e);
        let is_const = is_constant(e, all_const);
        let candidate = self.may_be_local(e, size, is_const) && ok;
        nodes[at] = Node {
            expr: e,
            key,
            size,
            end: nodes.len(),
            candidate,
        };
        Facts {
            key,
            size,
            ok,
            is_const,
        }
    }

    /// Whether two candidates among the roots, or one of them and one met
    /// before (`seen`), may have the same key: their structural hashes
    /// (`structure_hash`) meet, which equal keys always do.
    fn repeats(&self, roots: &[Root], seen: &mut rustc_hash::FxHashSet<u64>) -> bool {
        let mut repeated = false;
        for (root, _) in roots {
            // A root's hash serves only when it is a candidate itself: a
            // leaf (one node) seldom is.
            let leaf = matches!(
                **root,
                Expr::Param(_)
                    | Expr::Ref(_)
                    | Expr::Attr(..)
                    | Expr::Context(_)
                    | Expr::CountIndex
            );
            if leaf && !self.may_be_local(root, 1, false) {
                continue;
            }
            self.structure_hash(root, seen, &mut repeated);
            if repeated {
                return true;
            }
        }
        false
    }

    /// What `annotate` finds of `e`, with a hash of its structure in place of
    /// its key: a function of what makes the key (`Structure`), so equal
    /// keys have equal hashes. Each candidate's hash goes into `seen`;
    /// `repeated` tells one met twice.
    fn structure_hash(
        &self,
        e: &Expr,
        seen: &mut rustc_hash::FxHashSet<u64>,
        repeated: &mut bool,
    ) -> Facts64 {
        use std::hash::{Hash, Hasher};
        let text = |t: &str| {
            let mut h = rustc_hash::FxHasher::default();
            t.hash(&mut h);
            h.finish()
        };
        // A node's hash: its own content, then its children's hashes in
        // order, fed as they come.
        let start = |kind: u8, number: u64, own: &str| {
            let mut h = rustc_hash::FxHasher::default();
            (kind, number, text(own)).hash(&mut h);
            h
        };
        let mut size = 1;
        let mut ok = true;
        let mut all_const = true;
        let mut texts = 0;
        let hash = if let Some((id, attribute, key)) = self.keyed_member(e) {
            let mut h = start(16, 0, "");
            h.write_u64(start(9, id.index() as u64, attribute).finish());
            h.write_u64(start(4, 0, key).finish());
            h.finish()
        } else {
            let (kind, number, own) = content(e);
            let mut h = start(kind, number, own);
            let mut child = |x: &Expr, h: &mut rustc_hash::FxHasher| {
                let facts = self.structure_hash(x, seen, repeated);
                h.write_u64(facts.hash);
                size += facts.size;
                ok &= facts.ok;
                all_const &= facts.is_const;
            };
            match e {
                // Field names and text parts in place, marked (see `with_texts`).
                Expr::Object(fields) => {
                    for (name, value) in fields.iter() {
                        h.write_u64(text(name) ^ TEXT_MARK);
                        child(value, &mut h);
                    }
                }
                Expr::Interp(parts) => {
                    for part in parts {
                        match part {
                            Part::Text(t) => {
                                texts += 1;
                                h.write_u64(text(t) ^ TEXT_MARK);
                            }
                            Part::Expr(x) => child(x, &mut h),
                        }
                    }
                }
                _ => e.for_each_child(|x| child(x, &mut h)),
            }
            h.finish()
        };
        size += texts;
        ok &= self.readable_anywhere(e);
        let is_const = is_constant(e, all_const);
        if ok && self.may_be_local(e, size, is_const) && !seen.insert(hash) {
            *repeated = true;
        }
        Facts64 {
            hash,
            size,
            ok,
            is_const,
        }
    }

    /// Locals in the order they are first read, each after the locals it
    /// reads.
    fn order_locals(&mut self, nodes: &[Node], starts: &[usize]) {
        if self.locals.is_empty() {
            return;
        }
        let mut order: Vec<String> = Vec::new();
        for &start in starts {
            self.visit_locals(nodes, start, &mut order);
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

    /// The locals read in the node at `at` and its children, in order.
    fn visit_locals(&self, nodes: &[Node], at: usize, order: &mut Vec<String>) {
        let node = &nodes[at];
        let local = node
            .candidate
            .then(|| self.local_keys.get(&node.key))
            .flatten();
        if local.is_some_and(|name| order.contains(name)) {
            return;
        }
        let mut child = at + 1;
        while child < node.end {
            self.visit_locals(nodes, child, order);
            child = nodes[child].end;
        }
        if let Some(name) = local {
            order.push(name.clone());
        }
    }

    /// Counts the candidates among `nodes[from..to]`, not inside a local.
    fn count_candidates(&self, nodes: &[Node], from: usize, to: usize, counts: &mut Counts) {
        let mut at = from;
        while at < to {
            let node = &nodes[at];
            if node.candidate {
                if self.local_keys.contains_key(&node.key) {
                    at = node.end;
                    continue;
                }
                counts.entry(node.key).or_insert((0, node.size, at)).0 += 1;
            }
            at += 1;
        }
    }

    /// May `e` be a local? Compound, known only at deploy time, and valid
    /// wherever the configuration is evaluated: no `count.index`, no
    /// resource that may not exist.
    fn is_candidate(&self, e: &Expr) -> bool {
        if !self.may_be_local(e, size(e), e.is_const()) {
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

    /// Whether `e` itself reads the same in any resource or output: not a
    /// copy's index, nor a resource that may not exist or has copies.
    fn readable_anywhere(&self, e: &Expr) -> bool {
        match e {
            Expr::CountIndex => false,
            Expr::Ref(id) | Expr::Attr(id, _) => self
                .resource_at(*id)
                .is_some_and(|r| r.condition.is_none() && r.count.is_none()),
            _ => true,
        }
    }

    /// `is_candidate` but for what `e` reads: compound and known only at
    /// deploy time (`size` nodes, `is_const` whether it is constant).
    fn may_be_local(&self, e: &Expr, size: usize, is_const: bool) -> bool {
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
        keyed || !(is_traversal(e) || is_const || size < 3)
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
            Expr::Import(name) => self.words(name, out),
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

    pub(super) fn hoisted(&mut self, e: &Expr) -> Option<String> {
        if self.local_keys.is_empty() || !self.is_candidate(e) {
            return None;
        }
        let key = self.find_key(e)?;
        self.local_keys.get(&key).cloned()
    }
}

/// A constant: a scalar, or a list or object of constants (`all_const`,
/// what its children are).
fn is_constant(e: &Expr, all_const: bool) -> bool {
    match e {
        Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Number(_) | Expr::String(_) => true,
        Expr::List(_) | Expr::Object(_) => all_const,
        _ => false,
    }
}
