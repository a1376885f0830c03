//! What every name in a file refers to, decided once by [`resolve`] and read
//! by every later phase: the checker, the dependency graph and lowering look
//! a name up here instead of walking scopes of their own, so a name means
//! the same thing to all of them (a loop variable shadowing a declaration,
//! a `target` block's let beside its component's params).
//!
//! [`resolve`]: super::resolve::resolve

use rustc_hash::FxHashMap;

use crate::source::Span;
use crate::syntax::ast::Ident;

/// A declaration of a file, by its index in [`Names::decls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeclId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Param,
    Let,
    Resource,
    Import,
    Component,
    /// A loop variable: of a resource's `for` or of a comprehension.
    Binding,
}

impl DeclKind {
    pub fn describe(self) -> &'static str {
        match self {
            DeclKind::Param => "param",
            DeclKind::Let => "let",
            DeclKind::Resource => "resource",
            DeclKind::Import => "import",
            DeclKind::Component => "component",
            DeclKind::Binding => "loop variable",
        }
    }
}

/// Where a declaration is among the items of its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The file's own items, by index.
    File(u32),
    /// A component's items (`component`, the component's index among the
    /// file's items), by index.
    Component { component: u32, item: u32 },
    /// The items of a `target` block, by index, the block being `block`
    /// among the items of `component` (or of the file, `None`).
    Target {
        component: Option<u32>,
        block: u32,
        item: u32,
    },
    /// A loop variable.
    Loop,
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub kind: DeclKind,
    /// The declared name.
    pub span: Span,
    pub place: Place,
}

/// The declarations of one file and the declaration each name refers to.
#[derive(Debug, Default)]
pub struct Names {
    pub decls: Vec<Decl>,
    /// The declaration each name use and each declared name refers to, by
    /// the start of the name: a file's names never start at the same byte.
    /// A name that is not here is a stdlib namespace, or unknown (E0102).
    refs: FxHashMap<u32, DeclId>,
}

impl Names {
    /// Names with room for `decls` declarations and `refs` names.
    pub(super) fn with_capacity(decls: usize, refs: usize) -> Names {
        let mut names = Names {
            decls: Vec::with_capacity(decls),
            refs: FxHashMap::default(),
        };
        names.refs.reserve(refs);
        names
    }

    pub(super) fn declare(&mut self, name: &Ident, kind: DeclKind, place: Place) -> DeclId {
        let id = DeclId(self.decls.len() as u32);
        self.decls.push(Decl {
            kind,
            span: name.span,
            place,
        });
        self.refs.insert(name.span.start, id);
        id
    }

    pub(super) fn refer(&mut self, name: &Ident, decl: DeclId) {
        self.refs.insert(name.span.start, decl);
    }

    /// The declaration a name (a use, or a declared name) refers to.
    pub fn of(&self, name: &Ident) -> Option<DeclId> {
        self.refs.get(&name.span.start).copied()
    }

    /// The declaration of the name that starts at byte `start`, for tools
    /// that find a name by its position.
    pub fn at(&self, start: u32) -> Option<DeclId> {
        self.refs.get(&start).copied()
    }

    /// Every name and declared name with the declaration it refers to, by
    /// its start (in no order): a name is as long as its declaration's.
    pub fn references(&self) -> impl Iterator<Item = (u32, DeclId)> + '_ {
        self.refs.iter().map(|(start, id)| (*start, *id))
    }

    pub fn decl(&self, id: DeclId) -> &Decl {
        &self.decls[id.0 as usize]
    }

    /// The declaration a name refers to, with what it is.
    pub fn lookup(&self, name: &Ident) -> Option<(DeclId, &Decl)> {
        let id = self.of(name)?;
        Some((id, self.decl(id)))
    }
}

/// Values by declaration, read without hashing: a slot for each id from the
/// first one inserted to the last. The declarations of one scope have ids
/// close together (its items are declared one after the other), and those
/// of one file are numbered from 0, so the slots stay few.
#[derive(Clone, Debug)]
pub struct DeclMap<T> {
    first: u32,
    slots: Vec<Option<T>>,
}

impl<T> Default for DeclMap<T> {
    fn default() -> Self {
        DeclMap {
            first: 0,
            slots: Vec::new(),
        }
    }
}

impl<T> DeclMap<T> {
    pub fn get(&self, id: DeclId) -> Option<&T> {
        let index = id.0.checked_sub(self.first)?;
        self.slots.get(index as usize)?.as_ref()
    }

    /// The value of `id`, inserted first when there is none.
    pub fn get_or_insert(&mut self, id: DeclId, value: T) -> &mut T {
        self.slot(id).get_or_insert(value)
    }

    /// Sets the value of `id`, returning the one it replaces.
    pub fn insert(&mut self, id: DeclId, value: T) -> Option<T> {
        self.slot(id).replace(value)
    }

    fn slot(&mut self, id: DeclId) -> &mut Option<T> {
        if self.slots.is_empty() {
            self.first = id.0;
        } else if id.0 < self.first {
            let before = (self.first - id.0) as usize;
            self.slots
                .splice(0..0, std::iter::repeat_with(|| None).take(before));
            self.first = id.0;
        }
        let index = (id.0 - self.first) as usize;
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, || None);
        }
        &mut self.slots[index]
    }
}

impl<T> FromIterator<(DeclId, T)> for DeclMap<T> {
    fn from_iter<I: IntoIterator<Item = (DeclId, T)>>(iter: I) -> Self {
        let mut map = DeclMap::default();
        for (id, value) in iter {
            map.insert(id, value);
        }
        map
    }
}
