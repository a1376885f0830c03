//! Resource declarations: instances made once per declaration, copies of
//! repeated resources (unrolled, or counted at deploy time), their guards,
//! native resources, `depends_on`, and deletion policies.

use std::borrow::Cow;
use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{self, Deletion};
use crate::sema::names::DeclKind;
use crate::sema::schema::SchemaKind;
use crate::source::Span;
use crate::syntax::ast::*;
use crate::target::Repetition;

use super::expand::{Asked, Expander, Key, Memo, Path};
use super::values::{Instance, Val};

/// Whether a copy of a repeated resource exists.
enum Guard {
    /// It exists under this deploy-time condition (`None`: always).
    Exists(Option<ir::Expr>),
    Never,
}

impl<'p> Expander<'p> {
    /// The value of a resource declaration of the current frame: instances,
    /// created once.
    pub(super) fn resource_value(&mut self, r: &'p Resource, index: u32) -> Val {
        if self.spent.exhausted {
            return Val::Null;
        }
        let frame = self.frame();
        let slot = index as usize;
        match &frame.memo[slot] {
            Memo::Done(v) => return v.clone(),
            Memo::Busy => return Val::Null,
            Memo::Todo => {}
            // Let go only once every item that names it is lowered.
            Memo::Dropped => unreachable!("the value of a resource nothing reads is read"),
        }
        frame.memo[slot] = Memo::Busy;
        let value = self.instantiate(r, index);
        self.frame().memo[slot] = Memo::Done(value.clone());
        self.lowered(slot);
        value
    }

    fn instantiate(&mut self, r: &'p Resource, index: u32) -> Val {
        // The instance's name words and key, built in buffers reused from one
        // resource to the next (a nested instance makes its own).
        let mut path = std::mem::take(&mut self.path_buffer);
        let mut key = std::mem::take(&mut self.key_buffer);
        let frame = self.frames.last().expect("a frame is open while lowering");
        path.extend_from_slice(&frame.path);
        path.push(Cow::Borrowed(r.name.name.as_str()));
        key.extend_from_slice(&frame.key);
        key.push(index);
        let renamed = renamed_from(r);
        if let Some(old) = renamed {
            self.renames.push((path.len() - 1, old));
        }
        // A resource of the entry file may be expanded while another's copy
        // is: it is not that copy.
        let outer_copy = match self.frames.len() {
            1 => self.top_copy.take(),
            _ => self.top_copy.clone(),
        };
        let value = self.instantiate_at(r, &mut path, &mut key);
        if renamed.is_some() {
            self.renames.pop();
        }
        self.top_copy = outer_copy;
        path.clear();
        key.clear();
        self.path_buffer = path;
        self.key_buffer = key;
        value
    }

    fn instantiate_at(&mut self, r: &'p Resource, path: &mut Path<'p>, key: &mut Key) -> Val {
        let mut condition = self.frame().condition.clone();
        // With `for`, the `if` is each copy's and reads the loop variables.
        if r.for_guard.is_none()
            && let Some(guard) = &r.if_guard
        {
            match self.expr(guard) {
                Val::Bool(false) => return Val::Null,
                Val::Bool(true) => {}
                other => condition = Some(ir::Expr::and(condition, other.into_ir())),
            }
        }
        let Some(guard) = &r.for_guard else {
            return self.instance(r, path, key, condition);
        };
        let iterable = self.expr(&guard.iterable);
        // A deploy-time choice between lists (`c ? a : b`, and choices
        // nested in it, `c ? (d ? a : []) : b`): the copies of each list
        // exist under the conditions that choose it.
        if let Val::Choice(..) = &iterable {
            let mut leaves = Vec::new();
            if list_leaves(&iterable, condition.clone(), &mut leaves) {
                // Named by position: a value of two lists names two copies.
                let by = Naming::Position;
                let mut instances = Vec::new();
                for (chosen, list) in leaves {
                    let pairs: Vec<(Val, Val)> = list
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Val::Int(i as i64), v.clone()))
                        .collect();
                    let offset = instances.len();
                    instances.extend(self.copies(r, guard, path, key, pairs, offset, chosen, by));
                }
                return Val::list(instances);
            }
        }
        match iterable {
            Val::List(elements) => {
                let pairs = Rc::unwrap_or_clone(elements)
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Val::Int(i as i64), v))
                    .collect();
                let by = Naming::Element;
                Val::list(self.copies(r, guard, path, key, pairs, 0, condition, by))
            }
            Val::Object(fields) => {
                let pairs = Rc::unwrap_or_clone(fields)
                    .into_iter()
                    .map(|(k, v)| (Val::Str(k.to_string()), v))
                    .collect();
                let by = Naming::MapKey;
                Val::list(self.copies(r, guard, path, key, pairs, 0, condition, by))
            }
            _ => {
                // `for i in a..n` with `n` known only at deploy time: one
                // declaration the target repeats itself (Terraform `count`,
                // Heat `ResourceGroup`), where the target can.
                if self.target.repetition() == Repetition::Groups
                    && let ExprKind::Range(from, to) = &guard.iterable.kind
                    && self.unrolls_on_groups(r, to)
                {
                    return self.bounded_range(r, guard, path, key, condition, from, to);
                }
                if self.target.repetition() != Repetition::None
                    && let ExprKind::Range(from, to) = &guard.iterable.kind
                {
                    let from = self.expr(from);
                    let to = self.expr(to);
                    let index = match &from {
                        Val::Int(0) => Val::Deploy(ir::Expr::CountIndex),
                        start => Val::Deploy(ir::Expr::Binary(
                            BinaryOp::Add,
                            Box::new(start.to_ir()),
                            Box::new(ir::Expr::CountIndex),
                        )),
                    };
                    let count = match &from {
                        Val::Int(0) => to.to_ir(),
                        start => ir::Expr::Binary(
                            BinaryOp::Sub,
                            Box::new(to.to_ir()),
                            Box::new(start.to_ir()),
                        ),
                    };
                    return self.counted_instance(
                        r,
                        guard,
                        path,
                        key,
                        condition,
                        count,
                        index.clone(),
                        index,
                    );
                }
                if self.target.repetition() == Repetition::None
                    && let ExprKind::Range(from, to) = &guard.iterable.kind
                {
                    return self.bounded_range(r, guard, path, key, condition, from, to);
                }
                // `for m in web`, `web` counted at deploy time: as many
                // copies, each reading the copy of `web` with its index.
                if let Val::Resource(instance) = &iterable
                    && let Some(value) =
                        self.over_counted(r, guard, path, key, condition.clone(), instance)
                {
                    return value;
                }
                // `for m in c ? blue : green`, both counted at deploy time:
                // the copies over each under the condition that chooses it.
                if let Val::Choice(c, a, b) = &iterable
                    && let (Val::Resource(first), Val::Resource(second)) = (&**a, &**b)
                    && first.counted
                    && second.counted
                {
                    let yes = Some(ir::Expr::and(condition.clone(), c.clone()));
                    let no = Some(ir::Expr::and(
                        condition.clone(),
                        ir::Expr::Not(Box::new(c.clone())),
                    ));
                    let mut sides = Vec::with_capacity(2);
                    for (n, (side, condition)) in
                        [(first, yes), (second, no)].into_iter().enumerate()
                    {
                        path.push(Cow::Owned(n.to_string()));
                        key.push(n as u32);
                        let value = self.over_counted(r, guard, path, key, condition, side);
                        path.pop();
                        key.pop();
                        match value {
                            Some(value) => sides.push(value),
                            None => break,
                        }
                    }
                    if let (Some(second), Some(first)) = (sides.pop(), sides.pop()) {
                        return Val::Choice(c.clone(), Box::new(first), Box::new(second));
                    }
                }
                if let Val::Deploy(list) = &iterable
                    && !matches!(guard.iterable.kind, ExprKind::Range(..))
                {
                    return self.counted_list(r, guard, path, key, condition, list.clone());
                }
                let diagnostic = match self.given_argument(&guard.iterable) {
                    // A component repeats over what its instance was given:
                    // the mistake is at the instance's argument, which the
                    // user wrote, not in the component.
                    Some((argument, component)) => Diagnostic::new(
                        &codes::E0504,
                        argument.value.span,
                        format!(
                            "`{component}` repeats a resource for each element of `{}`, and {} cannot repeat a resource a number of times known only at deploy time",
                            argument.key.name,
                            self.target.display()
                        ),
                    )
                    .label("known only at deploy time"),
                    None => Diagnostic::new(
                        &codes::E0504,
                        guard.iterable.span,
                        format!(
                            "{} cannot repeat a resource a number of times known only at deploy time",
                            self.target.display()
                        ),
                    )
                    .label("known only at deploy time"),
                };
                self.diagnostics.push(
                    diagnostic
                        .help("give the params this count depends on at compile time (`--param`)"),
                );
                Val::Null
            }
        }
    }

    /// `for m in web`, `web` counted at deploy time, on a target that
    /// repeats (Terraform `count`, Heat groups, where the copies pair up
    /// through a member template, `stacks::member_templates`): counted
    /// alike, `m` the copy of `web` with the same index; `None` where the
    /// target cannot.
    fn over_counted(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        condition: Option<ir::Expr>,
        instance: &Instance,
    ) -> Option<Val> {
        if !instance.counted || self.target.repetition() == Repetition::None {
            return None;
        }
        let count = instance
            .natives()
            .first()
            .and_then(|id| self.resources.get(id.index()))
            .and_then(|made| made.count.as_deref().cloned())?;
        let copy = Val::Resource(Rc::new(Instance {
            native: instance.native,
            made: instance.made.clone(),
            counted: false,
            exists: None,
            outputs: instance.outputs.clone(),
        }));
        let for_each = instance
            .natives()
            .first()
            .and_then(|id| self.resources.get(id.index()))
            .and_then(|made| made.for_each.clone());
        let index = Val::Deploy(ir::Expr::CountIndex);
        let before = self.resources.len();
        let value = self.counted_instance(r, guard, path, key, condition, count, index, copy);
        // Copies of keyed copies are keyed alike, each reading its own.
        if for_each.is_some() {
            for resource in &mut self.resources[before..] {
                resource.for_each = for_each.clone();
            }
        }
        Some(value)
    }

    /// `for x in LIST`, the list known only at deploy time: on Terraform,
    /// a `count` of its length, each copy reading its element by
    /// `count.index`; elsewhere E0210, since the copies' number is the
    /// list's length, which neither CloudFormation nor Heat can count.
    fn counted_list(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        condition: Option<ir::Expr>,
        list: ir::Expr,
    ) -> Val {
        if self.target.repetition() != Repetition::Count {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0210,
                    guard.iterable.span,
                    format!(
                        "{} cannot repeat a resource over a list known only at deploy time",
                        self.target.display()
                    ),
                )
                .label("this list is not known at compile time")
                .note("the copies are as many as the list's elements, which this target cannot count when it deploys; Terraform can")
                .help("give the params this list depends on at compile time (`--param`), or repeat over a count `0..n`"),
            );
            return Val::Null;
        }
        let count = ir::Expr::Call(crate::builtins::Builtin::Length, vec![list.clone()]);
        let index = Val::Deploy(ir::Expr::CountIndex);
        let element = Val::Deploy(ir::Expr::Index(
            Box::new(list.clone()),
            Box::new(ir::Expr::CountIndex),
        ));
        // Copies keyed by their string rather than numbered keep their
        // address when another element is removed: only a loop that does
        // not read the index can be keyed.
        let keyed = guard.binding.second.is_none() && self.is_string_list(&list);
        let before = self.resources.len();
        let value = self.counted_instance(r, guard, path, key, condition, count, index, element);
        if keyed {
            for resource in &mut self.resources[before..] {
                resource.for_each = Some(Box::new(list.clone()));
            }
        }
        value
    }

    /// Whether a deploy-time list is known to hold strings: a `[string]`
    /// param, or a choice between such lists.
    fn is_string_list(&self, list: &ir::Expr) -> bool {
        use crate::sema::params::ParamType;
        match list {
            ir::Expr::Param(name) => self.program.params.get(name.as_str()).is_some_and(|p| {
                matches!(&p.ty, ParamType::List(inner) if matches!(**inner, ParamType::String | ParamType::Literal(_)))
            }),
            ir::Expr::If(_, a, b) => self.is_string_list(a) && self.is_string_list(b),
            _ => false,
        }
    }

    /// One declaration the target repeats `count` times (Terraform `count`,
    /// Heat `ResourceGroup`), its loop variables bound to `first` and
    /// `second` (what each copy reads of its index).
    #[allow(clippy::too_many_arguments)]
    fn counted_instance(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        condition: Option<ir::Expr>,
        count: ir::Expr,
        first: Val,
        second: Val,
    ) -> Val {
        let before = self.resources.len();
        let frame_locals = self.frame().locals.len();
        self.bind(&guard.binding, first, second);
        let condition = match self.copy_guard(r, condition) {
            Guard::Exists(condition) => condition,
            Guard::Never => {
                self.frame().locals.truncate(frame_locals);
                return Val::list(Vec::new());
            }
        };
        let value = self.instance(r, path, key, condition);
        self.frame().locals.truncate(frame_locals);
        for resource in &mut self.resources[before..] {
            resource.count = Some(Box::new(count.clone()));
        }
        let mut refused = false;
        if !self.target.snapshots_counted_copies() {
            let asked = deletion_of(r)
                .map(|(_, at)| at)
                .or_else(|| self.frame().deletion.map(|a| a.at));
            for i in before..self.resources.len() {
                if self.resources[i].deletion == Some(Deletion::Snapshot) {
                    self.resources[i].deletion = Some(Deletion::Retain);
                    if let Some(at) = asked {
                        refused = true;
                        let type_name = self.resources[i].type_name.clone();
                        self.refuse_snapshot(
                                at,
                                &type_name,
                                "copies repeated at deploy time are the members of one group, which take no deletion policy of their own",
                            );
                    }
                }
            }
        }
        // A refused snapshot already says what the group keeps.
        if self.target.repetition() == Repetition::Groups && !refused {
            self.group_protection(r, guard, before);
        }
        // The outputs are one copy's, read with the copy's
        // index: a comprehension over the copies reads them.
        match value {
            Val::Resource(instance) => Val::Resource(Rc::new(Instance {
                native: instance.native,
                made: instance.made.clone(),
                counted: true,
                exists: None,
                outputs: instance.outputs.clone(),
            })),
            other => other,
        }
    }

    /// The copies of a resource repeated over `pairs` (index or key, and
    /// element), numbered from `offset`, each named as `naming` says unless
    /// the `for` gives a `key`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn copies(
        &mut self,
        r: &'p Resource,
        guard: &ForGuard,
        path: &mut Path<'p>,
        key: &mut Key,
        pairs: Vec<(Val, Val)>,
        offset: usize,
        condition: Option<ir::Expr>,
        naming: Naming,
    ) -> Vec<Val> {
        if !self.afford(r, pairs.len(), guard.iterable.span) {
            return Vec::new();
        }
        let mut instances = Vec::with_capacity(pairs.len());
        // The copy each name was given to, to report two with one name.
        let mut named: HashMap<String, usize> = HashMap::default();
        let mut positional = false;
        for (i, (first, second)) in pairs.into_iter().enumerate() {
            if self.spent.exhausted {
                break;
            }
            let n = offset + i;
            let naming_value = match naming {
                Naming::MapKey => Some(first.clone()),
                Naming::Element => Some(second.clone()),
                Naming::Position => None,
            };
            let element_exists = exists_of(&second);
            let before = self.frame().locals.len();
            self.bind(&guard.binding, first, second);
            let word = match &guard.key {
                Some(key_expr) => {
                    let value = self.expr(key_expr);
                    self.copy_key(r, key_expr, &value, n)
                }
                None => match naming_value.as_ref().and_then(copy_word) {
                    Some(word) => word,
                    None => {
                        positional |= naming != Naming::Position;
                        n.to_string()
                    }
                },
            };
            if let Some(&earlier) = named.get(word.as_str()) {
                self.same_copy_name(r, guard, &word, earlier, n);
            }
            let top = self.frames.len() == 1;
            if top {
                self.top_copy = Some((n as u32, self.key(&word)));
            }
            path.push(Cow::Owned(word));
            key.push(n as u32);
            // A copy the `if` leaves out keeps its place: `web[i]` is the
            // copy made for element `i`.
            // A copy for each copy of a resource unrolled to a bound exists
            // where that copy does.
            let copy_condition = match &element_exists {
                Some(c) => Some(ir::Expr::and(condition.clone(), c.clone())),
                None => condition.clone(),
            };
            self.covered.extend(element_exists.clone());
            let instance = match self.copy_guard(r, copy_condition) {
                Guard::Exists(condition) => self.instance(r, path, key, condition),
                Guard::Never => Val::Gone,
            };
            if element_exists.is_some() {
                self.covered.pop();
            }
            instances.push(with_exists(instance, element_exists));
            if top {
                self.top_copy = None;
            }
            // The word, back from the path, is the copy's in `named`.
            if let Some(word) = path.pop() {
                named.insert(word.into_owned(), n);
            }
            key.pop();
            self.frame().locals.truncate(before);
        }
        if positional {
            self.named_by_position(r, guard);
        }
        instances
    }

    /// The name a `key` gives a copy: text or a number known at compile
    /// time that has letters or digits; else E0509, and its position.
    fn copy_key(&mut self, r: &Resource, key: &Expr, value: &Val, n: usize) -> String {
        if let Some(word) = copy_word(value) {
            return word;
        }
        let why = match value {
            Val::Deploy(_) | Val::Choice(..) => "is known only at deploy time",
            Val::Str(_) => "has no letter or digit to name a copy with",
            _ => "is neither text nor a number",
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0509,
                key.span,
                format!("the key of the copies of `{}` {why}", r.name.name),
            )
            .label("names no copy")
            .note("each copy's name is part of its logical id and address: it must be fixed when the template is built")
            .help("key the copies by text known at compile time, such as a name field of each element"),
        );
        n.to_string()
    }

    fn same_copy_name(&mut self, r: &Resource, guard: &ForGuard, word: &str, a: usize, b: usize) {
        let at = guard.key.as_deref().map_or(guard.iterable.span, |k| k.span);
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0508,
                at,
                format!("copies {a} and {b} of `{}` are both named `{word}`", r.name.name),
            )
            .label("gives two copies one name")
            .note("a copy is named by its key: its element when that is text or a number, its key in a map, or what `key` gives")
            .help("give each copy a key of its own: `for x in xs key x.name`, with names that differ in their letters and digits"),
        );
    }

    /// W0501: the copies of a persistent resource named by their position,
    /// so that removing an element renames, and replaces, every later one.
    fn named_by_position(&mut self, r: &Resource, guard: &ForGuard) {
        let module = self.frame().module;
        let persistent = self
            .program
            .schema_of(module, r)
            .is_some_and(|id| self.program.schemas[id.0 as usize].state == StateClass::Persistent);
        if !persistent {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::W0501,
                guard.iterable.span,
                format!("the copies of `{}` are named by their position", r.name.name),
            )
            .label("elements that are neither text nor numbers")
            .note("removing or reordering an element renames every later copy, and a renamed copy of persistent data is replaced")
            .help(format!(
                "name each copy by something of its own: `for {} in ... key {}.name`",
                guard.binding.first.name, guard.binding.first.name
            )),
        );
    }

    /// When `expr` is a param of the component being instantiated that its
    /// instance gives, that argument and the component's type name.
    pub(super) fn given_argument(&self, expr: &Expr) -> Option<(&'p Property, String)> {
        let ExprKind::Name(name) = &expr.kind else {
            return None;
        };
        let frame = self.frames.last()?;
        let instance = frame.instance?;
        let names = &self.program.names[frame.module.0 as usize];
        let (_, decl) = names.lookup(name)?;
        if decl.kind != DeclKind::Param || frame.position(frame.module, decl.place).is_none() {
            return None;
        }
        let argument = instance
            .body
            .properties
            .iter()
            .find(|p| p.key.name == name.name)?;
        let component = match &instance.ty {
            ResourceType::Path(p) => p.text(),
            ResourceType::Raw(s) => s.as_plain().unwrap_or_default(),
        };
        Some((argument, component))
    }

    /// The deletion policy of a native resource: the one the program asks
    /// for, or the protection its state class gets (a snapshot where the
    /// type can take one). Deleting is every target's default, so it is
    /// said only where it lifts that protection. A snapshot the type cannot
    /// take is refused where the program asks for it.
    fn policy(
        &mut self,
        asked: Option<Asked>,
        state: StateClass,
        snapshot: bool,
        type_name: &str,
    ) -> Option<Deletion> {
        let persistent = state == StateClass::Persistent;
        match asked.map(|a| (a.deletion, a.at)) {
            Some((Deletion::Snapshot, at)) if !snapshot => {
                self.refuse_snapshot(
                    at,
                    type_name,
                    "a snapshot before deletion is for volumes and databases, on the targets whose tools take one",
                );
                Some(Deletion::Retain)
            }
            Some((Deletion::Delete, _)) if !persistent => None,
            Some((deletion, _)) => Some(deletion),
            None if persistent && snapshot => Some(Deletion::Snapshot),
            None if persistent => Some(Deletion::Retain),
            None => None,
        }
    }

    /// `deletion = "snapshot"` on a resource the target cannot snapshot:
    /// reported once, where the program asks for it.
    fn refuse_snapshot(&mut self, at: Span, type_name: &str, note: &str) {
        if self
            .diagnostics
            .iter()
            .any(|d| d.code.id == codes::E0507.id && d.primary.span == at)
        {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0507,
                at,
                format!(
                    "{} cannot keep a snapshot of `{type_name}` when deleting it",
                    self.target.display()
                ),
            )
            .label("a snapshot is asked for here")
            .note(note)
            .help("use \"retain\" to keep the resource itself, or \"delete\""),
        );
    }

    /// The native resources a resource's `depends_on` names: every native
    /// resource each instance it lists is made of.
    pub(super) fn depends_on(&mut self, r: &'p Resource) -> Vec<ir::ResourceId> {
        let mut depends_on = Vec::new();
        let Some(property) = r
            .body
            .properties
            .iter()
            .find(|p| p.key.name == "depends_on")
        else {
            return depends_on;
        };
        let ExprKind::List(items) = &property.value.kind else {
            return depends_on;
        };
        for item in items {
            let instances = match self.expr(item) {
                Val::List(list) => Rc::unwrap_or_clone(list),
                one => vec![one],
            };
            for v in instances {
                if let Val::Resource(instance) = v {
                    for id in self.last_made(instance.natives()) {
                        if !depends_on.contains(&id) {
                            depends_on.push(id);
                        }
                    }
                }
            }
        }
        depends_on
    }

    /// Of the native resources of one instance, those no other of them
    /// waits for: depending on these is depending on all of them.
    /// (While lowering, a `ResourceId` is the index in `resources`: they
    /// are put in source order only once all are made.)
    fn last_made(&self, natives: &[ir::ResourceId]) -> Vec<ir::ResourceId> {
        if natives.len() < 2 {
            return natives.to_vec();
        }
        let made: Vec<(ir::ResourceId, &ir::Resource)> = natives
            .iter()
            .filter_map(|&id| Some((id, self.resources.get(id.index())?)))
            .collect();
        // Where some exist only under a condition of their own, the last
        // may not exist: depend on every one of them.
        if made.iter().any(|(_, r)| r.condition != made[0].1.condition) {
            return natives.to_vec();
        }
        let waited_for = |id: ir::ResourceId| {
            made.iter().any(|&(other, r)| {
                other != id
                    && (r.depends_on.contains(&id)
                        || r.properties.values().any(|v| {
                            v.any(&|e| match e {
                                ir::Expr::Ref(x) | ir::Expr::Attr(x, _) => *x == id,
                                _ => false,
                            })
                        }))
            })
        };
        natives
            .iter()
            .copied()
            .filter(|&id| !waited_for(id))
            .collect()
    }

    /// The `if` of a repeated resource, for the copy whose loop variables
    /// are bound: whether it exists, and under which condition.
    fn copy_guard(&mut self, r: &'p Resource, condition: Option<ir::Expr>) -> Guard {
        let Some(guard) = &r.if_guard else {
            return Guard::Exists(condition);
        };
        match self.expr(guard) {
            Val::Bool(false) => Guard::Never,
            Val::Bool(true) => Guard::Exists(condition),
            other => {
                let test = other.into_ir();
                if test.any(&|e| matches!(e, ir::Expr::CountIndex)) {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0504,
                            guard.span,
                            format!(
                                "{} cannot leave out some copies of a resource repeated a number of times known only at deploy time",
                                self.target.display()
                            ),
                        )
                        .label("reads the copy's index, known only at deploy time")
                        .help("give the params the count depends on at compile time (`--param`), or repeat over a shorter range instead of leaving copies out"),
                    );
                    return Guard::Never;
                }
                Guard::Exists(Some(ir::Expr::and(condition, test)))
            }
        }
    }

    /// One instance of a resource declaration.
    pub(super) fn instance(
        &mut self,
        r: &'p Resource,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
    ) -> Val {
        let schema = self.program.schema_of(self.frame().module, r);
        // A policy set on a portable instance reaches the native resources
        // that hold its data, not the ones around them (an attachment).
        let own = deletion_of(r);
        let inherited = self.frame().deletion;
        let kind_state = schema.map(|id| self.program.schemas[id.0 as usize].state);
        let own = own.map(|(deletion, at)| Asked {
            deletion,
            at,
            everywhere: kind_state != Some(StateClass::Persistent),
        });
        match schema.map(|id| &self.program.schemas[id.0 as usize]) {
            Some(schema) => match &schema.kind {
                SchemaKind::Component { module, index } => {
                    let (module, index) = (*module, *index);
                    let mut args = Vec::with_capacity(r.body.properties.len());
                    for property in &r.body.properties {
                        if is_meta_property(&property.key.name) {
                            continue;
                        }
                        let v = self.expr(&property.value);
                        args.push((property.key.name.as_str(), v));
                    }
                    if !self.afford(r, 1, r.name.span) {
                        return Val::Null;
                    }
                    let deletion = own.or(inherited);
                    // The instance as a whole comes after what it depends
                    // on: so does every native resource it is made of.
                    let depends_on = self.depends_on(r);
                    let before = self.resources.len();
                    let value =
                        self.component(r, module, index, args, path, key, condition, deletion);
                    // A persistent type none of whose native resources is
                    // persistent of itself (a generated password: a Heat
                    // random string) keeps its data in all of them.
                    if kind_state == Some(StateClass::Persistent)
                        && self.resources[before..]
                            .iter()
                            .all(|m| m.state != StateClass::Persistent)
                    {
                        for i in before..self.resources.len() {
                            let (type_name, snapshot) = (
                                self.resources[i].type_name.clone(),
                                self.resources[i].snapshot,
                            );
                            let policy =
                                self.policy(deletion, StateClass::Persistent, snapshot, &type_name);
                            let made = &mut self.resources[i];
                            made.state = StateClass::Persistent;
                            made.deletion = policy;
                        }
                    }
                    for made in &mut self.resources[before..] {
                        for id in &depends_on {
                            if !made.depends_on.contains(id) {
                                made.depends_on.push(*id);
                            }
                        }
                    }
                    value
                }
                SchemaKind::Native { .. } if r.existing => self.existing(r, schema, path, key),
                SchemaKind::Native { .. } => {
                    let type_name = self.key(&schema.name);
                    let state = schema.state;
                    let snapshot = schema.snapshot;
                    let deletion = own
                        .or(inherited.filter(|a| a.everywhere || state == StateClass::Persistent));
                    let value = self.native(
                        r, type_name, state, snapshot, path, key, condition, deletion,
                    );
                    // What the backends read of the type, shared.
                    if let Some(made) = self.resources.last_mut() {
                        made.facts = schema.facts.clone();
                    }
                    value
                }
            },
            None => {
                let type_name = match &r.ty {
                    ResourceType::Raw(s) => s.as_plain().unwrap_or_default(),
                    ResourceType::Path(p) => p.text(),
                };
                let type_name = self.key(&type_name);
                // An unchecked type: whether it takes a snapshot is the
                // target's to say where the program asks for one; the
                // protection it is given otherwise is to be retained, which
                // every resource of every target accepts. Inside a
                // persistent component, a type whose schema is unknown may
                // hold the component's data: it is protected as persistent.
                let state = if self.in_persistent_component() {
                    StateClass::Persistent
                } else {
                    StateClass::Stateless
                };
                let snapshot = own.is_some_and(|a| a.deletion == Deletion::Snapshot);
                let deletion =
                    own.or(inherited.filter(|a| a.everywhere || state == StateClass::Persistent));
                self.native(
                    r, type_name, state, snapshot, path, key, condition, deletion,
                )
            }
        }
    }

    /// E0216: the copies of `r` from `before` on are members of Heat groups,
    /// whose member definitions take no deletion policy (Heat refuses
    /// `deletion_policy` in a `ResourceGroup`'s `resource_def`): the policy
    /// lowering decided is the group's, which keeps the members when the
    /// stack is deleted but not when a lowered count or an update
    /// replacing a member deletes it: a protection the target cannot keep
    /// is refused, not weakened.
    fn group_protection(&mut self, r: &Resource, guard: &ForGuard, before: usize) {
        let protected = self.resources[before..]
            .iter()
            .any(|m| matches!(m.deletion, Some(Deletion::Retain | Deletion::Snapshot)));
        if !protected {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0216,
                guard.iterable.span,
                format!(
                    "{} can protect the group of `{}`'s copies, not each copy",
                    self.target.display(),
                    r.name.name
                ),
            )
            .label("repeated a number of times known only at deploy time")
            .note("the copies are the members of one group, whose definition takes no deletion policy: the group is retained with the stack, but a member removed by a lower count, or replaced by an update, is deleted with its data")
            .help("give the count at compile time (`--param`): each copy is then a resource of its own, with its own deletion policy; or, if the copies' data may go, say `deletion = \"delete\"`"),
        );
    }

    /// Is the current frame an instance of a persistent component, or inside
    /// one?
    fn in_persistent_component(&self) -> bool {
        self.frames.iter().any(|f| {
            let Some(index) = f.component else {
                return false;
            };
            let items = &self.program.modules[f.module.0 as usize].items;
            matches!(
                items.get(index as usize).map(|i| &i.kind),
                Some(ItemKind::Component(c)) if c.state == Some(StateClass::Persistent)
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn native(
        &mut self,
        r: &'p Resource,
        type_name: ir::Key,
        state: StateClass,
        snapshot: bool,
        path: &[Cow<'p, str>],
        key: &[u32],
        condition: Option<ir::Expr>,
        deletion: Option<Asked>,
    ) -> Val {
        if !self.afford_one(r.name.span) {
            return Val::Null;
        }
        let depends_on = self.depends_on(r);
        // Lowered into a list kept from one resource to the next, so that
        // the map, which stays with the IR, holds no room for the
        // properties left out.
        let mut made = std::mem::take(&mut self.made_properties);
        for property in &r.body.properties {
            if is_meta_property(&property.key.name) {
                continue;
            }
            let value = self.remembered_property(&property.value);
            if !matches!(value, ir::Expr::Null) {
                made.push((self.key(&property.key.name), value));
            }
        }
        let mut properties = ir::Map::with_capacity(made.len());
        properties.extend(made.drain(..));
        self.made_properties = made;
        // Named once every resource is made (`names::name_all`), after these
        // words or, for the one native resource of a component instance,
        // the instance's.
        let id = ir::ResourceId(self.resources.len() as u32);
        let previous = self.previous_words(path);
        self.words.push(path, previous.as_deref());
        let deletion = self.policy(deletion, state, snapshot, &type_name);
        let span = self.frame().origin.unwrap_or(r.name.span);
        self.keys.push((self.key_data.len(), key.len()));
        self.key_data.extend_from_slice(key);
        self.resources.push(ir::Resource {
            id: String::new(),
            snake: String::new(),
            type_name,
            properties,
            depends_on,
            condition: condition.map(Box::new),
            count: None,
            for_each: None,
            state,
            deletion,
            snapshot,
            facts: Default::default(),
            span,
            declared: r.name.span,
            copy: self.top_copy.as_ref().map(|(n, _)| *n),
            copy_key: (self.top_copy.as_ref()).map(|(_, word)| word.clone()),
            group: ir::Key::default(),
            rare: None,
            existing: false,
        });
        Val::Resource(Rc::new(Instance::native(id, false)))
    }
}

/// The lists a deploy-time choice chooses among, each with the condition
/// that chooses it (`within` and the tests on the way to it); `false` when
/// a choice leads to something other than a list (`null` is an empty one).
fn list_leaves(
    value: &Val,
    within: Option<ir::Expr>,
    out: &mut Vec<(Option<ir::Expr>, Rc<Vec<Val>>)>,
) -> bool {
    match value {
        Val::List(items) => {
            out.push((within, items.clone()));
            true
        }
        Val::Null => true,
        Val::Choice(c, a, b) => {
            let yes = Some(ir::Expr::and(within.clone(), c.clone()));
            let no = Some(ir::Expr::and(within, ir::Expr::Not(Box::new(c.clone()))));
            list_leaves(a, yes, out) && list_leaves(b, no, out)
        }
        _ => false,
    }
}

/// The condition a copy unrolled to a deploy-time count's bound exists
/// under, when `value` is one.
pub(super) fn exists_of(value: &Val) -> Option<ir::Expr> {
    match value {
        Val::Resource(instance) => instance.exists.clone(),
        _ => None,
    }
}

/// `value`, existing only under `exists` (`None`: wherever it is read)
/// when it is a resource.
pub(super) fn with_exists(value: Val, exists: Option<ir::Expr>) -> Val {
    match value {
        Val::Resource(instance) if instance.exists != exists => {
            let mut copy = instance.without_exists();
            copy.exists = exists;
            Val::Resource(Rc::new(copy))
        }
        value => value,
    }
}

/// The name a resource says it had (`renamed_from`), checked by sema.
fn renamed_from(r: &Resource) -> Option<&str> {
    let property = r
        .body
        .properties
        .iter()
        .find(|p| p.key.name == "renamed_from")?;
    match &property.value.kind {
        ExprKind::Str(s) => s.parts.iter().find_map(|p| match p {
            StrPart::Text(t) if s.parts.len() == 1 => Some(t.as_str()),
            _ => None,
        }),
        _ => None,
    }
}

/// The policy a resource's `deletion` asks for, and where.
fn deletion_of(r: &Resource) -> Option<(Deletion, Span)> {
    let property = r
        .body
        .properties
        .iter()
        .find(|p| p.key.name == "deletion")?;
    let ExprKind::Str(s) = &property.value.kind else {
        return None;
    };
    let deletion = match s.as_plain()?.as_str() {
        "delete" => Deletion::Delete,
        "retain" => Deletion::Retain,
        "snapshot" => Deletion::Snapshot,
        _ => return None,
    };
    Some((deletion, property.value.span))
}

/// What names the copies of a repeated resource without a `key`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Naming {
    /// Each element, when it is text or a number.
    Element,
    /// Each key of a map.
    MapKey,
    /// The position: copies of a deploy-time choice between two lists.
    Position,
}

/// A copy's name word from its key: the runs of ASCII letters and digits
/// of text joined by `_` (`logs.v2` is `logs_v2`), a number as written
/// (`-1` is `minus_1`); `None` for anything else or no letter or digit.
fn copy_word(value: &Val) -> Option<String> {
    let text = match value {
        Val::Str(s) => s.clone(),
        Val::Int(i) if *i < 0 => format!("minus_{}", i.unsigned_abs()),
        Val::Int(i) => i.to_string(),
        Val::Number(x) if x.is_finite() => {
            let text = x.abs().to_string();
            if *x < 0.0 {
                format!("minus_{text}")
            } else {
                text
            }
        }
        _ => return None,
    };
    let word = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    (!word.is_empty()).then_some(word)
}
