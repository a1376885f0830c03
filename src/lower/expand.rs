//! The expansion of a checked program into native resources for one target.
//!
//! Expressions are partially evaluated: what every operand knows at compile
//! time is folded (through `sema::eval`), the rest becomes `ir::Expr`.
//! Components are instantiated with their arguments, choosing the `target`
//! block of the target being built; `for` over compile-time lists unrolls;
//! `if` folds or becomes a deploy-time condition.
//!
//! This file holds the [`Expander`] itself: its state, the frames of names
//! (the entry file, one per component instance) and the values of their
//! names, and [`Expander::run`], which expands the entry file, names the
//! resources and puts them in source order. The rest of the work is in the
//! sibling modules: `values` (`Val`), `resources` (instances, copies,
//! policies), `components`, `exprs`, `comprehensions`, `names` (the final
//! pass naming the resources) and `params` (template parameters).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;

use indexmap::IndexMap;

use crate::diagnostics::Diagnostic;
use crate::ir::{self, Deletion, Target};
use crate::sema::check::{ModuleId, Program};
use crate::sema::names::{DeclId, DeclKind, Place};
use crate::source::Span;
use crate::syntax::ast::*;

use super::budget::{Budget, Spent};
use super::values::Val;

/// Name words, outermost first: `["web", "0", "instance"]`.
pub(super) type Path<'p> = Vec<Cow<'p, str>>;

/// A source-order key: indices of the declarations and loop copies a
/// native resource comes from, so the output follows the program.
pub(super) type Key = Vec<u32>;

/// Where a resource's key is in `Expander::key_data`: start and length.
pub(super) type KeyRange = (usize, usize);

/// One scope of names: a file, or a component instance.
pub(super) struct Frame<'p> {
    pub(super) module: ModuleId,
    /// The component this frame instantiates, by index among its module's
    /// items (`None`: the file itself), and the chosen `target` block, by
    /// index among the component's items: which declarations it holds.
    pub(super) component: Option<u32>,
    pub(super) block: Option<u32>,
    /// The declarations: the scope's items, then its `target` block's.
    pub(super) items: &'p [Item],
    pub(super) target_items: &'p [Item],
    /// Values of declarations already computed, by position among
    /// `items` then `target_items`.
    pub(super) memo: Vec<Memo>,
    /// Loop variables bound here, innermost last.
    pub(super) locals: Vec<(DeclId, Val)>,
    /// The instance's name words and source-order key.
    pub(super) path: Path<'p>,
    pub(super) key: Vec<u32>,
    /// The deploy-time condition under which this scope exists.
    pub(super) condition: Option<ir::Expr>,
    /// Component params given by the instance, in the order given (a
    /// component has few: a scan beats hashing each name).
    pub(super) args: Vec<(&'p str, Val)>,
    /// The resource declaration this scope instantiates, when a component.
    pub(super) instance: Option<&'p Resource>,
    /// `deletion` set on the instance that opened this scope, or on one
    /// around it.
    pub(super) deletion: Option<Asked>,
    /// The program's own resource this scope expands, for diagnostics: a
    /// native resource inside a portable type is reported there.
    pub(super) origin: Option<Span>,
}

impl<'p> Frame<'p> {
    /// The position of a declaration of `module` in this frame, if it is
    /// one of this frame's.
    pub(super) fn position(&self, module: ModuleId, place: Place) -> Option<usize> {
        if self.module != module {
            return None;
        }
        match place {
            Place::File(item) if self.component.is_none() => Some(item as usize),
            Place::Component { component, item } if self.component == Some(component) => {
                Some(item as usize)
            }
            Place::Target {
                component,
                block,
                item,
            } if self.component == component && self.block == Some(block) => {
                Some(self.items.len() + item as usize)
            }
            _ => None,
        }
    }

    pub(super) fn item(&self, position: usize) -> &'p Item {
        match position.checked_sub(self.items.len()) {
            Some(target) => &self.target_items[target],
            None => &self.items[position],
        }
    }
}

/// A deletion policy the program sets on a resource (`deletion = ...`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Asked {
    pub(super) deletion: Deletion,
    /// The value the program wrote.
    pub(super) at: Span,
    /// Whether it reaches every native resource of the instance: it does
    /// for a stateless or volatile type; a persistent type's policy is for
    /// the resources that hold its data (a volume, not its attachment).
    pub(super) everywhere: bool,
}

/// The value of a name in a scope: not computed yet, being computed (read
/// then, it is null), or computed.
#[derive(Clone)]
pub(super) enum Memo {
    Todo,
    Busy,
    Done(Val),
    /// Computed, and let go: nothing left to lower reads it
    /// (`liveness::Readers`).
    Dropped,
}

pub struct Expander<'p> {
    pub(super) program: &'p Program,
    pub(super) target: Target,
    pub(super) frames: Vec<Frame<'p>>,
    /// The native resources made so far, in the order they are made (a
    /// `ResourceId` is an index here until `finish` puts them in source
    /// order), the name words of each, and the key of each, kept one after
    /// another in `key_data`.
    pub(super) resources: Vec<ir::Resource>,
    /// With the words each resource had before a rename (`renamed_from`)
    /// of its resource or of an instance around it.
    pub(super) words: super::names::Words,
    /// The renames in force: which word of the path being built was what.
    pub(super) renames: Vec<(usize, &'p str)>,
    pub(super) keys: Vec<KeyRange>,
    pub(super) key_data: Vec<u32>,
    /// A native resource's properties as they are lowered, before its map
    /// is made with room for exactly those not null (`native`).
    pub(super) made_properties: Vec<(ir::Key, ir::Expr)>,
    /// Every map key made so far, each held once and shared (`key`).
    pub(super) map_keys: HashSet<ir::Key>,
    /// Reused by `instantiate`.
    pub(super) path_buffer: Path<'p>,
    pub(super) key_buffer: Key,
    /// Frames closed, their lists kept for the next instance's frame.
    pub(super) spare_frames: Vec<Frame<'p>>,
    /// Reused by `remembered`: the values of the names a lowering reads.
    pub(super) key_buffer_vals: Vec<Option<Val>>,
    /// Top-level params read at deploy time.
    pub(super) used_params: HashSet<&'p str>,
    /// The params that hold the id of an `existing` resource, with what the
    /// target checks it names (`ir::Param::native_type`).
    pub(super) id_params: HashMap<String, String>,
    /// The values of the top-level params read so far.
    pub(super) top_params: HashMap<&'p str, Val>,
    /// The copy of the entry file's repeated resource being expanded: its
    /// index and its name word.
    pub(super) top_copy: Option<(u32, ir::Key)>,
    /// The conditions of the bounded copies being made (`bounded`): a copy
    /// read by index under its own condition is read as it is.
    pub(super) covered: Vec<ir::Expr>,
    /// List and object literals made only of constants, by address: the
    /// same value for every instance and copy that evaluates them, built
    /// once (`None`: not such a literal).
    pub(super) literals: HashMap<usize, Option<super::exprs::Literal>>,
    /// The property values of native resources lowered so far, by the
    /// address of their expression (`None`: one never reused).
    pub(super) remembered: HashMap<usize, Option<super::exprs::Remembered<'p>>>,
    /// Each component's output names, by its address in the tree: shared
    /// by all its instances (`values::Outputs`).
    pub(super) output_names: HashMap<usize, std::rc::Rc<[String]>>,
    /// Who reads each of the entry file's resource declarations, for
    /// letting go of a value nothing will read again.
    pub(super) readers: Option<super::liveness::Readers>,
    /// The build's limits, and what has been spent of them.
    pub(super) budget: Budget,
    pub(super) spent: Spent,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'p> Expander<'p> {
    pub fn new(program: &'p Program, target: Target, budget: Budget) -> Expander<'p> {
        Expander {
            program,
            target,
            frames: Vec::new(),
            resources: Vec::new(),
            words: Default::default(),
            renames: Vec::new(),
            keys: Vec::new(),
            key_data: Vec::new(),
            made_properties: Vec::new(),
            map_keys: HashSet::default(),
            path_buffer: Vec::new(),
            key_buffer: Vec::new(),
            key_buffer_vals: Vec::new(),
            spare_frames: Vec::new(),
            used_params: HashSet::default(),
            id_params: HashMap::default(),
            top_params: HashMap::default(),
            top_copy: None,
            covered: Vec::new(),
            literals: HashMap::default(),
            remembered: HashMap::default(),
            output_names: HashMap::default(),
            readers: None,
            budget,
            spent: Spent::default(),
            diagnostics: Vec::new(),
        }
    }

    /// `name` as a key of the IR's maps: the one copy of it made before,
    /// shared, or a new one.
    pub(super) fn key(&mut self, name: &str) -> ir::Key {
        if let Some(key) = self.map_keys.get(name) {
            return key.clone();
        }
        let key = ir::Key::from(name);
        self.map_keys.insert(key.clone());
        key
    }

    pub(super) fn frame(&mut self) -> &mut Frame<'p> {
        self.frames
            .last_mut()
            .expect("a frame is open while lowering")
    }

    /// Expands the entry file: every resource, and every output.
    pub fn run(mut self) -> (ir::Deployment, Vec<Diagnostic>) {
        let entry = &self.program.modules[self.program.entry.0 as usize];
        let items: &'p [Item] = &self.program.modules[self.program.entry.0 as usize].items;
        self.frames
            .push(new_frame(self.program.entry, None, items, None, &[]));
        let names = &self.program.names[self.program.entry.0 as usize];
        self.readers = super::liveness::Readers::of(items, names);
        // Room for the resources foreseen, at once: grown by doubling, the
        // list of a large program's resources would be copied and its pages
        // touched twice over.
        let foreseen = self.foreseen(items).max(items.len());
        self.resources.reserve_exact(foreseen);
        self.words.reserve(foreseen);
        self.keys.reserve_exact(foreseen);
        self.key_data.reserve(2 * foreseen);
        // The outputs and params, read later, are noted on this one pass.
        let mut output_items = Vec::new();
        let mut param_items = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match &item.kind {
                // One lowered already, when an item before it named it, may
                // have been let go since.
                ItemKind::Resource(r) if matches!(self.frames[0].memo[index], Memo::Todo) => {
                    let _ = self.resource_value(r, index as u32);
                }
                ItemKind::Output(_) => output_items.push(item),
                ItemKind::Param(_) => param_items.push(item),
                _ => {}
            }
        }
        let mut outputs = Vec::new();
        for item in output_items {
            if let ItemKind::Output(o) = &item.kind
                && let Some(value) = &o.value
            {
                let val = self.expr(value);
                let (condition, value_ir) = match val.into_property() {
                    ir::Expr::If(c, a, b) if *b == ir::Expr::Null => (Some(*c), *a),
                    other => (None, other),
                };
                if value_ir == ir::Expr::Null {
                    continue;
                }
                let mut export = None;
                let mut sensitive = false;
                for option in o.options.iter().flat_map(|b| &b.properties) {
                    match option.key.name.as_str() {
                        "export" => export = Some(self.expr(&option.value).into_ir()),
                        "sensitive" => {
                            sensitive = matches!(self.expr(&option.value), Val::Bool(true))
                        }
                        _ => {}
                    }
                }
                if reads_secret(&value_ir, &self.program.params)
                    || self.program.analysis.secret_outputs.contains(&o.name.name)
                {
                    sensitive = true;
                }
                outputs.push(ir::Output {
                    name: o.name.name.clone(),
                    value: value_ir,
                    description: item.doc.clone(),
                    export,
                    condition,
                    sensitive,
                    span: o.name.span,
                });
            }
        }
        let params = self.params(&param_items);
        let mut deployment = ir::Deployment {
            target: self.target,
            description: file_description(entry),
            params,
            resources: std::mem::take(&mut self.resources),
            outputs,
        };
        self.drop_values();
        self.finish(&mut deployment);
        (deployment, self.diagnostics)
    }

    /// Item `position` of the current frame is lowered: when that frame is
    /// the entry file's, the values of its declarations nothing will read
    /// any more are let go.
    pub(super) fn lowered(&mut self, position: usize) {
        let (Some(readers), [top]) = (self.readers.as_mut(), self.frames.as_mut_slice()) else {
            return;
        };
        readers.lowered(position, |declared| {
            if let Some(memo @ Memo::Done(_)) = top.memo.get_mut(declared) {
                *memo = Memo::Dropped;
            }
        });
    }

    /// Drops the values lowering kept for what reads them (every
    /// declaration's, each instance's, the literals and property values
    /// made once): all is lowered, and naming, then the template, can use
    /// their room.
    fn drop_values(&mut self) {
        self.frames = Vec::new();
        self.spare_frames = Vec::new();
        self.key_buffer_vals = Vec::new();
        self.top_params = HashMap::default();
        self.literals = HashMap::default();
        self.remembered = HashMap::default();
        self.output_names = HashMap::default();
        self.map_keys = HashSet::default();
        self.made_properties = Vec::new();
        self.covered = Vec::new();
    }

    /// Names the resources, then puts them in source order, each
    /// `ResourceId` following its resource.
    fn finish(&mut self, deployment: &mut ir::Deployment) {
        let keep = !self.target.capabilities().moves;
        super::names::name_all(&mut deployment.resources, &self.words, keep);
        let data = &self.key_data;
        let key = |(start, len): KeyRange| &data[start..start + len];
        // Most often made in source order already.
        if self.keys.is_sorted_by(|&a, &b| key(a) <= key(b)) {
            return;
        }
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| key(self.keys[a]).cmp(key(self.keys[b])));
        let mut moved_to = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            moved_to[old] = new as u32;
        }
        // Moved in place, each swap putting one resource where it goes: a
        // second list of them would hold the IR twice.
        let mut destination = moved_to.clone();
        for at in 0..destination.len() {
            while destination[at] as usize != at {
                let to = destination[at] as usize;
                deployment.resources.swap(at, to);
                destination.swap(at, to);
            }
        }
        deployment.for_each_reference_mut(&mut |id| *id = ir::ResourceId(moved_to[id.index()]));
    }

    /// `new_frame`, in the lists of a frame closed before when there is one.
    pub(super) fn spare_frame(
        &mut self,
        module: ModuleId,
        component: Option<u32>,
        items: &'p [Item],
        block: Option<u32>,
        target_items: &'p [Item],
    ) -> Frame<'p> {
        let Some(mut frame) = self.spare_frames.pop() else {
            return new_frame(module, component, items, block, target_items);
        };
        frame.module = module;
        frame.component = component;
        frame.block = block;
        frame.items = items;
        frame.target_items = target_items;
        frame
            .memo
            .resize_with(items.len() + target_items.len(), || Memo::Todo);
        frame
    }

    /// Closes the innermost frame, keeping its emptied lists for the next.
    pub(super) fn close_frame(&mut self) {
        if let Some(mut frame) = self.frames.pop() {
            frame.memo.clear();
            frame.locals.clear();
            frame.path.clear();
            frame.key.clear();
            frame.condition = None;
            frame.args.clear();
            frame.instance = None;
            frame.deletion = None;
            frame.origin = None;
            self.spare_frames.push(frame);
        }
    }

    /// The words `path` had before the renames in force, if any applies.
    pub(super) fn previous_words(&self, path: &[Cow<'p, str>]) -> Option<Path<'p>> {
        if self.renames.is_empty() {
            return None;
        }
        let mut old = path.to_vec();
        for &(at, word) in &self.renames {
            if let Some(slot) = old.get_mut(at) {
                *slot = Cow::Borrowed(word);
            }
        }
        Some(old)
    }

    // ---------------------------------------------------------------- names

    /// The value of a name: a loop variable, or a declaration of the current
    /// frame, computed once (a component reads only its own declarations,
    /// E0109, so a name never refers to another frame's).
    pub(super) fn lookup_name(&mut self, name: &Ident) -> Option<Val> {
        let module = self.frame().module;
        let names = &self.program.names[module.0 as usize];
        let (id, decl) = names.lookup(name)?;
        if decl.place == Place::Loop {
            let locals = &self.frame().locals;
            return locals
                .iter()
                .rev()
                .find(|(d, _)| *d == id)
                .map(|(_, v)| v.clone());
        }
        if !matches!(
            decl.kind,
            DeclKind::Param | DeclKind::Let | DeclKind::Resource
        ) {
            return None;
        }
        let position = self.frame().position(module, decl.place)?;
        Some(self.declared(position))
    }

    /// The value `lookup_name` gives `name`, when it is known without
    /// computing anything: a loop variable, a `let` already computed, a
    /// param given or defaulting to a constant, a top-level param already
    /// read. `None` otherwise (reading it may count steps, make resources
    /// or note a param as used).
    pub(super) fn peek_name(&self, name: &Ident) -> Option<Val> {
        let frame = self.frames.last()?;
        let names = &self.program.names[frame.module.0 as usize];
        let (id, decl) = names.lookup(name)?;
        if decl.place == Place::Loop {
            return frame
                .locals
                .iter()
                .rev()
                .find(|(d, _)| *d == id)
                .map(|(_, v)| v.clone());
        }
        let position = frame.position(frame.module, decl.place)?;
        match &frame.item(position).kind {
            ItemKind::Let(_) if decl.kind == DeclKind::Let => match &frame.memo[position] {
                Memo::Done(v) => Some(v.clone()),
                _ => None,
            },
            ItemKind::Param(p) if decl.kind == DeclKind::Param => {
                let name = p.name.name.as_str();
                if frame.component.is_none() && frame.module == self.program.entry {
                    return self.top_params.get(name).cloned();
                }
                if let Some((_, v)) = frame.args.iter().rev().find(|(k, _)| *k == name) {
                    return Some(v.clone());
                }
                match &p.default {
                    Some(default) => self.constant(default),
                    None => Some(Val::Null),
                }
            }
            _ => None,
        }
    }

    /// The keys of the copies `name` refers to, when it names a resource
    /// repeated over an object literal (`for k, v in { blue = ... }`), in
    /// the order of its copies.
    pub(super) fn copy_keys(&mut self, name: &Ident) -> Option<Vec<String>> {
        let module = self.frame().module;
        let names = &self.program.names[module.0 as usize];
        let (_, decl) = names.lookup(name)?;
        if decl.kind != DeclKind::Resource {
            return None;
        }
        let position = self.frame().position(module, decl.place)?;
        match &self.frame().item(position).kind {
            ItemKind::Resource(r) => crate::sema::check::literal_keys(r).map(|(keys, _)| keys),
            _ => None,
        }
    }

    /// The value of the declaration at `position` in the current frame.
    fn declared(&mut self, position: usize) -> Val {
        match &self.frame().item(position).kind {
            ItemKind::Param(p) => self.param_value(p),
            ItemKind::Let(l) => {
                match &self.frame().memo[position] {
                    Memo::Done(v) => return v.clone(),
                    Memo::Busy => return Val::Null,
                    Memo::Todo => {}
                    Memo::Dropped => unreachable!("a let's value is never let go"),
                }
                self.frame().memo[position] = Memo::Busy;
                let locals = std::mem::take(&mut self.frame().locals);
                let v = self.remembered_let(&l.value);
                self.frame().locals = locals;
                self.frame().memo[position] = Memo::Done(v.clone());
                self.lowered(position);
                v
            }
            ItemKind::Resource(r) => self.resource_value(r, position as u32),
            _ => Val::Null,
        }
    }

    fn param_value(&mut self, p: &'p Param) -> Val {
        let frame = self.frames.last().expect("a frame is open while lowering");
        if frame.component.is_none() && frame.module == self.program.entry {
            let name = p.name.name.as_str();
            if let Some(v) = self.top_params.get(name) {
                return v.clone();
            }
            let v = match self
                .program
                .params
                .get(name)
                .and_then(|info| info.value.clone())
            {
                Some(value) => Val::from_value(value),
                None => {
                    self.used_params.insert(name);
                    Val::Deploy(ir::Expr::Param(name.to_string()))
                }
            };
            self.top_params.insert(name, v.clone());
            return v;
        }
        let name = p.name.name.as_str();
        if let Some((_, v)) = self.frame().args.iter().rev().find(|(k, _)| *k == name) {
            return v.clone();
        }
        match &p.default {
            Some(default) => {
                let locals = std::mem::take(&mut self.frame().locals);
                let v = self.expr(default);
                self.frame().locals = locals;
                v
            }
            None => Val::Null,
        }
    }
}

impl Expander<'_> {
    /// Binds a loop's variables in the current frame: with one variable,
    /// `second` (the element); with two, `first` (index or key) and `second`.
    pub(super) fn bind(&mut self, binding: &Binding, first: Val, second: Val) {
        let names = &self.program.names[self.frame().module.0 as usize];
        let first_id = names.of(&binding.first);
        let second_id = binding.second.as_ref().and_then(|s| names.of(s));
        let frame = self.frame();
        match (binding.second.is_some(), first_id) {
            (true, Some(first_id)) => {
                frame.locals.push((first_id, first));
                frame.locals.extend(second_id.map(|id| (id, second)));
            }
            (false, Some(first_id)) => frame.locals.push((first_id, second)),
            (_, None) => {}
        }
    }
}

/// The frame of a file (`component` `None`) or of an instance of the
/// component at index `component` among its module's items, whose chosen
/// `target` block is at index `block` among the component's items.
pub(super) fn new_frame<'p>(
    module: ModuleId,
    component: Option<u32>,
    items: &'p [Item],
    block: Option<u32>,
    target_items: &'p [Item],
) -> Frame<'p> {
    Frame {
        module,
        component,
        block,
        items,
        target_items,
        memo: vec![Memo::Todo; items.len() + target_items.len()],
        locals: Vec::new(),
        path: Vec::new(),
        key: Vec::new(),
        condition: None,
        args: Vec::new(),
        instance: None,
        deletion: None,
        origin: None,
    }
}

/// Does the value read a secret param?
fn reads_secret(e: &ir::Expr, params: &IndexMap<String, crate::sema::params::ParamInfo>) -> bool {
    e.any(&|e| matches!(e, ir::Expr::Param(p) if params.get(p).is_some_and(|info| info.secret)))
}

/// The file's leading `///` block, when it is not the first declaration's
/// own doc comment.
fn file_description(file: &SourceFile) -> Option<String> {
    let mut lines = Vec::new();
    let mut end = 0;
    let first_item = file
        .items
        .first()
        .map_or(usize::MAX, |i| i.span.start as usize);
    for comment in &file.comments {
        // The block ends at a blank line: more than a line break between;
        // and it leads only what comes before the first declaration.
        if comment.kind != CommentKind::Doc
            || comment.span.start as usize >= first_item
            || (!lines.is_empty() && comment.span.start as usize > end + 1)
        {
            break;
        }
        lines.push(comment.doc_text());
        end = comment.span.end as usize;
    }
    if lines.is_empty() {
        return None;
    }
    let block = lines.join("\n");
    match file.items.first() {
        Some(item) if item.doc.as_deref() == Some(block.as_str()) => None,
        _ => Some(block),
    }
}
