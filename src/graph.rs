//! The dependency graph of a program: params, lets, resources and outputs,
//! with an edge for every reference and every `depends_on`.
//!
//! # Nodes
//!
//! One node per top-level `param`, `let`, `resource` and `output`, added in
//! source order, so a [`NodeId`]'s index is its declaration's position among
//! the nodes. When a name is declared twice (E0101, reported by the
//! resolver), the first declaration is the node and the others are left out.
//! Imports, components, type aliases and the stdlib namespaces are not nodes.
//!
//! # Edges
//!
//! An edge goes **from the dependent to its dependency**: `web -> subnet`
//! means that `web` refers to `subnet` (or lists it in `depends_on`), so
//! `subnet` is deployed first. There is one edge per (from, to, kind):
//!
//! - [`EdgeKind::Implicit`]: a reference to a top-level name in any
//!   expression of the declaration (param defaults and options, let values,
//!   resource guards and properties, output values and options), including
//!   `${...}` interpolations, unless a loop variable shadows the name.
//! - [`EdgeKind::Explicit`]: an entry of a resource's `depends_on = [...]`.
//!
//! Each edge keeps the span of its first reference and the spans of all of
//! them.
//!
//! # Diagnostics
//!
//! - E0401: every dependency cycle (strongly connected component, or
//!   self-reference), once, with one concrete path through it.
//! - E0402: a `depends_on` entry that is not a resource.
//! - W0401: a `depends_on` entry the resource already refers to, or lists
//!   twice.
//!
//! # State classes
//!
//! [`build`] takes each resource's state class from the type checker. A
//! resource missing from that map has no known class: its state is `None`,
//! drawn without a class in DOT and Mermaid and as `null` in JSON.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hash::BuildHasher;

use indexmap::IndexMap;
use petgraph::Direction;
use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;
use rustc_hash::FxBuildHasher;
use serde::Serialize;

use crate::diagnostics::{Diagnostic, codes};
use crate::sema::resolve::NAMESPACES;
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::{
    Binding, Block, Comprehension, Expr, ExprKind, Ident, Item, ItemKind, SourceFile, StateClass,
};

/// A node of the graph. Its index is the node's position in source order.
pub type NodeId = petgraph::graph::NodeIndex;

type EdgeIndex = petgraph::graph::EdgeIndex;

/// What a node declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Param,
    Let,
    Resource,
    Output,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Param => "param",
            NodeKind::Let => "let",
            NodeKind::Resource => "resource",
            NodeKind::Output => "output",
        }
    }
}

/// One top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub name: String,
    /// The declared name.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// A resource's state class, when the type checker knows it; always
    /// `None` for params, lets and outputs.
    pub state: Option<StateClass>,
}

impl Node {
    /// The node's id in every rendering: `kind.name` (`resource.web`,
    /// `output.url`), unique even though outputs have their own namespace.
    pub fn id(&self) -> String {
        format!("{}.{}", self.kind.as_str(), self.name)
    }
}

/// Where an edge comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// A reference in an expression.
    Implicit,
    /// An entry of `depends_on`.
    Explicit,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Implicit => "implicit",
            EdgeKind::Explicit => "explicit",
        }
    }
}

/// `from` depends on `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// The first reference or `depends_on` entry, in source order.
    pub span: Span,
    /// Every reference (or entry) behind this edge, in source order.
    pub references: Vec<Span>,
}

/// The graph of one file.
#[derive(Clone, Debug, Default)]
pub struct DepGraph {
    graph: DiGraph<Node, Edge>,
    /// Params, lets and resources, which share one namespace.
    names: IndexMap<String, NodeId, FxBuildHasher>,
    /// Outputs, which have their own.
    outputs: IndexMap<String, NodeId, FxBuildHasher>,
    order: Vec<NodeId>,
    cycles: Vec<Vec<NodeId>>,
}

impl DepGraph {
    /// Gives each resource node its state class, by resource name, as the
    /// type checker found it.
    pub fn set_states<S: BuildHasher>(&mut self, states: &IndexMap<String, StateClass, S>) {
        for node in self.graph.node_weights_mut() {
            if node.kind == NodeKind::Resource {
                node.state = states.get(&node.name).copied();
            }
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id]
    }

    /// Every node, in source order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.graph
            .node_indices()
            .map(move |id| (id, &self.graph[id]))
    }

    /// Every edge, in source order of its first reference.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.graph.edge_weights()
    }

    /// The param, let or resource of that name.
    pub fn lookup(&self, name: &str) -> Option<NodeId> {
        self.names.get(name).copied()
    }

    /// The resource of that name.
    pub fn resource(&self, name: &str) -> Option<NodeId> {
        self.lookup(name)
            .filter(|id| self.graph[*id].kind == NodeKind::Resource)
    }

    /// The output of that name.
    pub fn output(&self, name: &str) -> Option<NodeId> {
        self.outputs.get(name).copied()
    }

    /// The edges leaving `id` (what it depends on), in source order.
    pub fn edges_from(&self, id: NodeId) -> Vec<&Edge> {
        self.sorted_edges(id, Direction::Outgoing)
    }

    /// The edges reaching `id` (what depends on it), in source order.
    pub fn edges_to(&self, id: NodeId) -> Vec<&Edge> {
        self.sorted_edges(id, Direction::Incoming)
    }

    /// What `id` depends on, each node once, in source order of the nodes.
    pub fn dependencies(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbors(id, Direction::Outgoing)
    }

    /// What depends on `id`, each node once, in source order of the nodes.
    pub fn dependents(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbors(id, Direction::Incoming)
    }

    /// Every node, dependencies before their dependents; among the nodes
    /// ready at the same time, the first in source order comes first. On a
    /// graph with cycles (an error, E0401) the order is still total and
    /// deterministic: when no node is ready, the first remaining one in
    /// source order is taken as if its dependencies were met.
    pub fn topological_order(&self) -> &[NodeId] {
        &self.order
    }

    /// The names of [`DepGraph::topological_order`].
    pub fn topological_names(&self) -> Vec<&str> {
        self.order
            .iter()
            .map(|id| self.graph[*id].name.as_str())
            .collect()
    }

    /// Does any cycle exist? Then E0401 was reported.
    pub fn has_cycles(&self) -> bool {
        !self.cycles.is_empty()
    }

    /// One concrete path per cycle reported, starting from the node of the
    /// cycle first in source order (the closing edge back to it is implied).
    pub fn cycles(&self) -> &[Vec<NodeId>] {
        &self.cycles
    }

    /// The underlying petgraph graph, for algorithms this type lacks.
    pub fn petgraph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    fn sorted_edges(&self, id: NodeId, direction: Direction) -> Vec<&Edge> {
        let mut edges: Vec<&Edge> = self
            .graph
            .edges_directed(id, direction)
            .map(|e| e.weight())
            .collect();
        edges.sort_by_key(|e| (e.span.start, e.kind));
        edges
    }

    fn neighbors(&self, id: NodeId, direction: Direction) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self.graph.neighbors_directed(id, direction).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// How `infra graph` draws the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
    Json,
}

// ----------------------------------------------------------------- building

/// A top-level name and what it is, for `depends_on` diagnostics.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Declared {
    Node(NodeId),
    Import,
    Component,
}

/// Builds the graph of a file's top-level declarations. It needs only the
/// tree; the state classes the type checker finds are given to it with
/// [`DepGraph::set_states`].
pub fn build(file: &SourceFile) -> (DepGraph, Vec<Diagnostic>) {
    let items = file.items.len();
    let mut graph = DepGraph {
        graph: DiGraph::with_capacity(items, items),
        names: IndexMap::with_capacity_and_hasher(items, FxBuildHasher),
        ..DepGraph::default()
    };
    // Imports and components: the top-level names that are not nodes.
    let mut others: IndexMap<&str, Declared, FxBuildHasher> = IndexMap::default();
    // The node of each item that got one, by item index.
    let mut item_nodes: Vec<Option<NodeId>> = Vec::with_capacity(items);
    for item in &file.items {
        item_nodes.push(add_node(&mut graph, &mut others, item));
    }

    let mut diagnostics = Vec::new();
    let mut edges = Edges {
        slots: vec![(NodeId::end(), EdgeIndex::end()); 2 * graph.graph.node_count()],
    };
    // Reused from one declaration to the next.
    let mut references: Vec<Reference> = Vec::new();
    let mut collector = Collector {
        names: &graph.names,
        bound: Vec::new(),
        found: Vec::new(),
    };
    for (item, node) in file.items.iter().zip(&item_nodes) {
        let Some(from) = *node else { continue };
        collector.bound.clear();
        collector.found.clear();
        references.clear();
        match &item.kind {
            ItemKind::Param(p) => {
                collector.opt_expr(p.default.as_ref());
                collector.block(p.options.as_ref(), false);
            }
            ItemKind::Let(l) => collector.expr(&l.value),
            ItemKind::Resource(r) => {
                if let Some(guard) = &r.for_guard {
                    collector.expr(&guard.iterable);
                    collector.bind(&guard.binding);
                }
                collector.opt_expr(r.if_guard.as_ref());
                collector.block(Some(&r.body), true);
            }
            ItemKind::Output(o) => {
                collector.opt_expr(o.value.as_ref());
                collector.block(o.options.as_ref(), false);
            }
            _ => {}
        }
        let implicit = &collector.found;
        if let ItemKind::Resource(r) = &item.kind {
            let bindings: Vec<&str> = r
                .for_guard
                .iter()
                .flat_map(|g| binding_names(&g.binding))
                .collect();
            for property in r.body.properties.iter().filter(is_depends_on) {
                depends_on(
                    &graph,
                    &others,
                    &bindings,
                    from,
                    &property.value,
                    implicit,
                    &mut references,
                    &mut diagnostics,
                );
            }
        }
        references.extend(implicit.iter().map(|&(to, span)| Reference {
            from,
            to,
            kind: EdgeKind::Implicit,
            span,
        }));
        edges.add(&mut graph.graph, &mut references);
    }
    // Declarations are in source order and their references within them.
    debug_assert!(graph.graph.edge_weights().is_sorted_by_key(|e| (
        e.span.file,
        e.span.start,
        e.span.end,
        e.kind
    )));
    let (order, acyclic) = topological_order(&graph.graph);
    graph.order = order;
    let cycles = if acyclic {
        Vec::new()
    } else {
        find_cycles(&graph.graph)
    };
    for cycle in &cycles {
        diagnostics.push(cycle_diagnostic(&graph.graph, cycle));
    }
    graph.cycles = cycles.into_iter().map(|c| c.nodes).collect();
    diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
    (graph, diagnostics)
}

fn add_node<'a>(
    graph: &mut DepGraph,
    others: &mut IndexMap<&'a str, Declared, FxBuildHasher>,
    item: &'a Item,
) -> Option<NodeId> {
    let (kind, name): (NodeKind, &Ident) = match &item.kind {
        ItemKind::Param(p) => (NodeKind::Param, &p.name),
        ItemKind::Let(l) => (NodeKind::Let, &l.name),
        ItemKind::Resource(r) => (NodeKind::Resource, &r.name),
        ItemKind::Output(o) => (NodeKind::Output, &o.name),
        ItemKind::Import(i) => {
            if !graph.names.contains_key(&i.alias.name) {
                others.entry(&i.alias.name).or_insert(Declared::Import);
            }
            return None;
        }
        ItemKind::Component(c) => {
            if !graph.names.contains_key(&c.name.name) {
                others.entry(&c.name.name).or_insert(Declared::Component);
            }
            return None;
        }
        _ => return None,
    };
    if kind == NodeKind::Output {
        if graph.outputs.contains_key(&name.name) {
            return None;
        }
    } else if graph.names.contains_key(&name.name) || others.contains_key(name.name.as_str()) {
        return None;
    }
    let id = graph.graph.add_node(Node {
        kind,
        name: name.name.clone(),
        name_span: name.span,
        span: item.span,
        state: None,
    });
    if kind == NodeKind::Output {
        graph.outputs.insert(name.name.clone(), id);
    } else {
        graph.names.insert(name.name.clone(), id);
    }
    Some(id)
}

fn is_depends_on(property: &&crate::syntax::ast::Property) -> bool {
    property.key.name == "depends_on"
}

fn binding_names(binding: &Binding) -> impl Iterator<Item = &str> {
    std::iter::once(binding.first.name.as_str())
        .chain(binding.second.iter().map(|s| s.name.as_str()))
}

struct Reference {
    from: NodeId,
    to: NodeId,
    kind: EdgeKind,
    span: Span,
}

/// Collects the references of one declaration to top-level names.
struct Collector<'a> {
    names: &'a IndexMap<String, NodeId, FxBuildHasher>,
    /// Loop variables in scope, innermost last.
    bound: Vec<&'a str>,
    found: Vec<(NodeId, Span)>,
}

impl<'a> Collector<'a> {
    fn bind(&mut self, binding: &'a Binding) {
        self.bound.extend(binding_names(binding));
    }

    fn block(&mut self, block: Option<&'a Block>, resource_body: bool) {
        for property in block.into_iter().flat_map(|b| &b.properties) {
            if resource_body && property.key.name == "depends_on" {
                continue;
            }
            self.expr(&property.value);
        }
    }

    fn opt_expr(&mut self, expr: Option<&'a Expr>) {
        if let Some(expr) = expr {
            self.expr(expr);
        }
    }

    fn name(&mut self, name: &Ident) {
        if self.bound.contains(&name.name.as_str()) {
            return;
        }
        if let Some(id) = self.names.get(&name.name) {
            self.found.push((*id, name.span));
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Name(name) => self.name(name),
            ExprKind::ListComp(comp) => self.comprehension(comp, None),
            ExprKind::ObjectComp(comp, value) => self.comprehension(comp, Some(value)),
            _ => expr.for_each_operand(|e| self.expr(e)),
        }
    }

    fn comprehension(&mut self, comp: &'a Comprehension, value: Option<&'a Expr>) {
        self.expr(&comp.iterable);
        let depth = self.bound.len();
        self.bind(&comp.binding);
        self.opt_expr(comp.filter.as_ref());
        self.expr(&comp.body);
        self.opt_expr(value);
        self.bound.truncate(depth);
    }
}

/// Checks the entries of one `depends_on` and records an explicit edge for
/// each resource it names.
#[allow(clippy::too_many_arguments)]
fn depends_on(
    graph: &DepGraph,
    others: &IndexMap<&str, Declared, FxBuildHasher>,
    bindings: &[&str],
    from: NodeId,
    value: &Expr,
    implicit: &[(NodeId, Span)],
    references: &mut Vec<Reference>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let dependent = &graph.graph[from].name;
    let resource_names = || {
        graph
            .names
            .iter()
            .filter(|(_, id)| graph.graph[**id].kind == NodeKind::Resource)
            .map(|(name, _)| name.as_str())
    };
    let entries = match &value.kind {
        ExprKind::List(entries) => entries,
        ExprKind::Error => return,
        _ => {
            let mut diagnostic = Diagnostic::new(
                &codes::E0402,
                value.span,
                "`depends_on` takes a list of resources",
            )
            .label("not a list");
            if let ExprKind::Name(name) = &value.kind {
                diagnostic = diagnostic.help(format!(
                    "write the resource in a list: `depends_on = [{}]`",
                    name.name
                ));
            } else {
                diagnostic = diagnostic.help("write `depends_on = [a, b]`, naming resources");
            }
            diagnostics.push(diagnostic);
            return;
        }
    };
    let mut listed: Vec<(NodeId, Span)> = Vec::new();
    for entry in entries {
        let name = match &entry.kind {
            ExprKind::Name(name) => name,
            ExprKind::Error => continue,
            _ => {
                let mut diagnostic = Diagnostic::new(
                    &codes::E0402,
                    entry.span,
                    "`depends_on` lists resources by name",
                )
                .label("not the name of a resource");
                let root = root_name(entry).and_then(|n| graph.resource(&n.name).map(|_| n));
                if let Some(root) = root {
                    diagnostic = diagnostic.help(format!(
                        "write `{}`: a dependency is on the whole resource, every instance of it",
                        root.name
                    ));
                } else {
                    diagnostic = diagnostic.help("write the name of a resource of this file");
                }
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let what = if bindings.contains(&name.name.as_str()) {
            Some("a loop variable")
        } else {
            let declared = match graph.names.get(&name.name) {
                Some(id) => Some(Declared::Node(*id)),
                None => others.get(name.name.as_str()).copied(),
            };
            match declared {
                Some(Declared::Node(id)) => match graph.graph[id].kind {
                    NodeKind::Resource => None,
                    NodeKind::Param => Some("a param"),
                    NodeKind::Let => Some("a let"),
                    NodeKind::Output => Some("an output"),
                },
                Some(Declared::Import) => Some("an import"),
                Some(Declared::Component) => Some("a component"),
                None if NAMESPACES.contains(&name.name.as_str()) => Some("a stdlib namespace"),
                // An unknown name: the resolver reports it (E0102).
                None => continue,
            }
        };
        if let Some(what) = what {
            let mut diagnostic = Diagnostic::new(
                &codes::E0402,
                name.span,
                format!("`{}` is {what}, not a resource", name.name),
            )
            .label("`depends_on` lists resources only");
            diagnostic = diagnostic.help(match suggest::best_match(&name.name, resource_names()) {
                Some(near) => format!("did you mean the resource `{near}`?"),
                None => match what {
                "a param" | "a let" => {
                    "a value needs no `depends_on`: referring to it is enough; remove the entry"
                }
                "a loop variable" => {
                    "a dependency is on the whole resource, not on one of its instances: remove the entry"
                }
                _ => "name a resource declared in this file, or remove the entry",
            }
            .to_string(),
            });
            diagnostics.push(diagnostic);
            continue;
        }
        let to = graph.names[&name.name];
        if let Some((_, first)) = listed.iter().find(|(id, _)| *id == to) {
            diagnostics.push(
                Diagnostic::new(
                    &codes::W0401,
                    name.span,
                    format!("`{}` is listed twice in `depends_on`", name.name),
                )
                .label("listed again here")
                .secondary(*first, "first listed here")
                .help(format!("remove the second `{}`", name.name)),
            );
            continue;
        }
        listed.push((to, name.span));
        if let Some((_, reference)) = implicit.iter().find(|(id, _)| *id == to) {
            diagnostics.push(
                Diagnostic::new(
                    &codes::W0401,
                    name.span,
                    format!(
                        "`{dependent}` already depends on `{}`: this `depends_on` entry is redundant",
                        name.name
                    ),
                )
                .label("redundant entry")
                .secondary(
                    *reference,
                    format!("`{dependent}` refers to `{}` here", name.name),
                )
                .note("a reference already makes the resource wait for the one it refers to")
                .help(format!("remove `{}` from `depends_on`", name.name)),
            );
        }
        references.push(Reference {
            from,
            to,
            kind: EdgeKind::Explicit,
            span: name.span,
        });
    }
}

/// The name an expression like `web.id` or `web[0]` starts with.
fn root_name(expr: &Expr) -> Option<&Ident> {
    match &expr.kind {
        ExprKind::Name(name) => Some(name),
        ExprKind::Member(base, _) | ExprKind::Index(base, _) | ExprKind::Paren(base) => {
            root_name(base)
        }
        _ => None,
    }
}

/// One edge per (from, to, kind), added one declaration at a time, in
/// source order of the first reference.
struct Edges {
    /// By `2 * to + kind`: the declaration that last made an edge of that
    /// target and kind, and the edge.
    slots: Vec<(NodeId, EdgeIndex)>,
}

impl Edges {
    /// Adds the references of one declaration, merging those of the same
    /// target and kind into one edge.
    fn add(&mut self, graph: &mut DiGraph<Node, Edge>, references: &mut [Reference]) {
        references.sort_by_key(|r| (r.span.file, r.span.start, r.span.end, r.kind));
        for r in references.iter() {
            let slot = &mut self.slots[2 * r.to.index() + r.kind as usize];
            if slot.0 == r.from {
                graph[slot.1].references.push(r.span);
                continue;
            }
            let edge = Edge {
                from: r.from,
                to: r.to,
                kind: r.kind,
                span: r.span,
                references: vec![r.span],
            };
            *slot = (r.from, graph.add_edge(r.from, r.to, edge));
        }
    }
}

/// Kahn's algorithm on reversed edges: a node is ready when everything it
/// depends on is placed; ties go to the first in source order. Also tells
/// whether the graph has no cycle: then every node became ready.
fn topological_order(graph: &DiGraph<Node, Edge>) -> (Vec<NodeId>, bool) {
    let count = graph.node_count();
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|id| graph.neighbors_directed(id, Direction::Outgoing).count())
        .collect();
    let mut placed = vec![false; count];
    let mut ready: BinaryHeap<Reverse<usize>> = (0..count)
        .filter(|i| waiting[*i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut next_unplaced = 0;
    let mut acyclic = true;
    while order.len() < count {
        let index = match ready.pop() {
            Some(Reverse(index)) if placed[index] => continue,
            Some(Reverse(index)) => index,
            None => {
                // Only cycles remain: take the first node left.
                acyclic = false;
                while placed[next_unplaced] {
                    next_unplaced += 1;
                }
                next_unplaced
            }
        };
        placed[index] = true;
        let id = NodeId::new(index);
        order.push(id);
        // One decrement per edge (parallel edges were each counted).
        for dependent in graph.neighbors_directed(id, Direction::Incoming) {
            let d = dependent.index();
            waiting[d] = waiting[d].saturating_sub(1);
            if waiting[d] == 0 && !placed[d] {
                ready.push(Reverse(d));
            }
        }
    }
    (order, acyclic)
}

// ------------------------------------------------------------------- cycles

/// One concrete cycle: `nodes[0] -> nodes[1] -> ... -> nodes[0]`, through
/// `edges` (one per step, the closing one last); `others` are the rest of
/// its strongly connected component.
struct Cycle {
    nodes: Vec<NodeId>,
    edges: Vec<petgraph::graph::EdgeIndex>,
    others: Vec<NodeId>,
}

fn find_cycles(graph: &DiGraph<Node, Edge>) -> Vec<Cycle> {
    let mut cycles = Vec::new();
    // The component of each node, for the components with more than one.
    let mut component = vec![usize::MAX; graph.node_count()];
    for (index, mut scc) in petgraph::algo::tarjan_scc(graph).into_iter().enumerate() {
        scc.sort();
        let start = scc[0];
        if scc.len() == 1 {
            if let Some(edge) = first_edge(graph, start, start) {
                cycles.push(Cycle {
                    nodes: vec![start],
                    edges: vec![edge],
                    others: Vec::new(),
                });
            }
            continue;
        }
        for id in &scc {
            component[id.index()] = index;
        }
        let nodes = shortest_cycle(graph, start, |id| component[id.index()] == index);
        let edges = (0..nodes.len())
            .filter_map(|i| first_edge(graph, nodes[i], nodes[(i + 1) % nodes.len()]))
            .collect();
        let on_path: indexmap::IndexSet<NodeId> = nodes.iter().copied().collect();
        let others = scc.into_iter().filter(|id| !on_path.contains(id)).collect();
        cycles.push(Cycle {
            nodes,
            edges,
            others,
        });
    }
    cycles.sort_by_key(|c| c.nodes[0]);
    cycles
}

/// The edge from `from` to `to` whose first reference comes first.
fn first_edge(
    graph: &DiGraph<Node, Edge>,
    from: NodeId,
    to: NodeId,
) -> Option<petgraph::graph::EdgeIndex> {
    graph
        .edges_connecting(from, to)
        .min_by_key(|e| (e.weight().span.start, e.weight().kind))
        .map(|e| e.id())
}

/// Out-neighbours of `id` in source order of the edges.
fn successors(graph: &DiGraph<Node, Edge>, id: NodeId) -> Vec<NodeId> {
    let mut edges: Vec<(u32, EdgeKind, NodeId)> = graph
        .edges_directed(id, Direction::Outgoing)
        .map(|e| (e.weight().span.start, e.weight().kind, e.target()))
        .collect();
    edges.sort();
    edges.into_iter().map(|(_, _, to)| to).collect()
}

/// A shortest cycle through `start` inside its component (breadth-first,
/// edges in source order): the nodes from `start` on.
fn shortest_cycle(
    graph: &DiGraph<Node, Edge>,
    start: NodeId,
    in_component: impl Fn(NodeId) -> bool,
) -> Vec<NodeId> {
    // Parents of the nodes reached, local to the component.
    let mut parent: IndexMap<NodeId, NodeId> = IndexMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(id) = queue.pop_front() {
        for next in successors(graph, id) {
            if next == start {
                let mut path = vec![id];
                let mut at = id;
                while let Some(p) = parent.get(&at) {
                    path.push(*p);
                    at = *p;
                }
                path.reverse();
                return path;
            }
            if in_component(next) && !parent.contains_key(&next) {
                parent.insert(next, id);
                queue.push_back(next);
            }
        }
    }
    // A strongly connected component always leads back to its start.
    vec![start]
}

/// Past this many steps a cycle's message and labels are shortened.
const MAX_CYCLE_STEPS: usize = 12;

fn cycle_diagnostic(graph: &DiGraph<Node, Edge>, cycle: &Cycle) -> Diagnostic {
    let name = |id: NodeId| graph[id].name.as_str();
    let described = |id: NodeId| format!("{} `{}`", graph[id].kind.as_str(), name(id));
    let steps = cycle.nodes.len();
    let mut path: Vec<&str> = cycle.nodes.iter().map(|id| name(*id)).collect();
    path.push(name(cycle.nodes[0]));
    let message = if steps > MAX_CYCLE_STEPS {
        let head = path[..MAX_CYCLE_STEPS / 2].join(" → ");
        let tail = path[path.len() - MAX_CYCLE_STEPS / 2..].join(" → ");
        format!(
            "dependency cycle: {head} → … ({} more) … → {tail}",
            path.len() - MAX_CYCLE_STEPS
        )
    } else {
        format!("dependency cycle: {}", path.join(" → "))
    };

    let edge_label = |edge: &Edge| {
        let (from, to) = (name(edge.from), name(edge.to));
        match (edge.kind, edge.from == edge.to) {
            (EdgeKind::Implicit, true) => format!("`{from}` refers to itself here"),
            (EdgeKind::Explicit, true) => format!("`{from}` depends on itself here"),
            (EdgeKind::Implicit, false) => format!("`{from}` refers to `{to}` here"),
            (EdgeKind::Explicit, false) => format!("`{from}` depends on `{to}` here"),
        }
    };
    let first = &graph[cycle.edges[0]];
    let mut diagnostic =
        Diagnostic::new(&codes::E0401, first.span, message).label(edge_label(first));
    for (i, edge) in cycle.edges.iter().enumerate().skip(1) {
        if i >= MAX_CYCLE_STEPS && i + 1 < cycle.edges.len() {
            continue;
        }
        let edge = &graph[*edge];
        diagnostic = diagnostic.secondary(edge.span, edge_label(edge));
    }

    let all_values = cycle
        .nodes
        .iter()
        .all(|id| matches!(graph[*id].kind, NodeKind::Let | NodeKind::Param));
    let verb = if all_values { "computed" } else { "deployed" };
    if steps == 1 {
        diagnostic = diagnostic.note(format!(
            "{} needs itself first, so it can never be {verb}",
            described(cycle.nodes[0])
        ));
    } else {
        let mut chain: Vec<String> = cycle.nodes.iter().map(|id| described(*id)).collect();
        chain.push(described(cycle.nodes[0]));
        if chain.len() > MAX_CYCLE_STEPS + 1 {
            let omitted = chain.len() - MAX_CYCLE_STEPS;
            chain.splice(
                MAX_CYCLE_STEPS / 2..chain.len() - MAX_CYCLE_STEPS / 2,
                [format!("… ({omitted} more) …")],
            );
        }
        diagnostic = diagnostic.note(format!(
            "each needs the next one first, so none of them can be {verb}: {}",
            chain.join(" → ")
        ));
    }
    if !cycle.others.is_empty() {
        let mut others: Vec<String> = cycle
            .others
            .iter()
            .take(8)
            .map(|id| described(*id))
            .collect();
        if cycle.others.len() > 8 {
            others.push(format!("and {} more", cycle.others.len() - 8));
        }
        diagnostic = diagnostic.note(format!(
            "also caught in cycles with these: {}",
            others.join(", ")
        ));
    }

    let explicit = cycle
        .edges
        .iter()
        .map(|e| &graph[*e])
        .find(|e| e.kind == EdgeKind::Explicit);
    let help = match explicit {
        Some(edge) if edge.from == edge.to => format!(
            "remove `{}` from its own `depends_on`",
            name(edge.to)
        ),
        Some(edge) => format!(
            "break the cycle: remove `{}` from the `depends_on` of `{}` if it is not needed, or remove one of the references",
            name(edge.to),
            name(edge.from)
        ),
        None if steps == 1 => format!(
            "a declaration cannot use its own value: remove the reference to `{}` from it",
            name(cycle.nodes[0])
        ),
        None if all_values => {
            "break the cycle: compute one of these values without referring, directly or not, to itself".to_string()
        }
        None => "break the cycle: remove one of these references; when two resources must refer to each other (two security groups allowing each other), move one side into a separate resource that refers to both".to_string(),
    };
    diagnostic = diagnostic.help(help);
    diagnostic
}

// ---------------------------------------------------------------- rendering

/// Draws the graph. Nodes in source order, edges in source order of their
/// first reference; the same graph always gives the same bytes.
pub fn render(graph: &DepGraph, format: Format) -> String {
    match format {
        Format::Dot => render_dot(graph),
        Format::Mermaid => render_mermaid(graph),
        Format::Json => render_json(graph),
    }
}

/// The second line of a node's label: `(resource, persistent)`.
fn describe(node: &Node) -> String {
    match node.state {
        Some(state) => format!("({}, {})", node.kind.as_str(), state.as_str()),
        None => format!("({})", node.kind.as_str()),
    }
}

/// A DOT double-quoted string. `\n` in `text` must already be escaped by
/// the caller where a line break is meant; everything else is literal.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn render_dot(graph: &DepGraph) -> String {
    let mut out = String::from("digraph infra {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=box, fontname=\"Helvetica\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (_, node) in graph.nodes() {
        let label = format!(
            "{}\\n{}",
            dot_escape(&node.name),
            dot_escape(&describe(node))
        );
        let mut attrs = vec![format!("label=\"{label}\"")];
        match node.kind {
            NodeKind::Param => attrs.push("shape=ellipse".into()),
            NodeKind::Let => attrs.push("style=rounded".into()),
            NodeKind::Output => attrs.push("shape=note".into()),
            NodeKind::Resource => match node.state {
                Some(StateClass::Persistent) => {
                    attrs.push("style=\"bold,filled\"".into());
                    attrs.push("fillcolor=\"#fde9b0\"".into());
                }
                Some(StateClass::Volatile) => {
                    attrs.push("style=filled".into());
                    attrs.push("fillcolor=\"#dde8fb\"".into());
                }
                Some(StateClass::Stateless) | None => {}
            },
        }
        out.push_str(&format!(
            "  \"{}\" [{}];\n",
            dot_escape(&node.id()),
            attrs.join(", ")
        ));
    }
    for edge in graph.edges() {
        let from = dot_escape(&graph.node(edge.from).id());
        let to = dot_escape(&graph.node(edge.to).id());
        match edge.kind {
            EdgeKind::Implicit => out.push_str(&format!("  \"{from}\" -> \"{to}\";\n")),
            EdgeKind::Explicit => out.push_str(&format!(
                "  \"{from}\" -> \"{to}\" [style=dashed, label=\"depends_on\"];\n"
            )),
        }
    }
    out.push_str("}\n");
    out
}

/// Mermaid ids: `kind_name` with anything but ASCII letters, digits and `_`
/// replaced, made unique with the node's index if needed.
fn mermaid_ids(graph: &DepGraph) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(graph.len());
    let mut taken: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for (id, node) in graph.nodes() {
        let mut candidate: String = format!("{}_{}", node.kind.as_str(), node.name)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if taken.contains(&candidate) {
            candidate = format!("{candidate}_{}", id.index());
        }
        taken.insert(candidate.clone());
        ids.push(candidate);
    }
    ids
}

/// Text inside a quoted Mermaid label, with Mermaid's entity codes.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn render_mermaid(graph: &DepGraph) -> String {
    let ids = mermaid_ids(graph);
    let mut out = String::from("flowchart LR\n");
    let mut persistent = Vec::new();
    let mut volatile = Vec::new();
    for (id, node) in graph.nodes() {
        let label = format!(
            "{}<br/>{}",
            mermaid_escape(&node.name),
            mermaid_escape(&describe(node))
        );
        let (open, close) = match node.kind {
            NodeKind::Param => ("([\"", "\"])"),
            NodeKind::Let => ("(\"", "\")"),
            NodeKind::Resource => ("[\"", "\"]"),
            NodeKind::Output => ("[/\"", "\"/]"),
        };
        let mermaid_id = &ids[id.index()];
        out.push_str(&format!("  {mermaid_id}{open}{label}{close}\n"));
        match node.state {
            Some(StateClass::Persistent) => persistent.push(mermaid_id.as_str()),
            Some(StateClass::Volatile) => volatile.push(mermaid_id.as_str()),
            _ => {}
        }
    }
    for edge in graph.edges() {
        let (from, to) = (&ids[edge.from.index()], &ids[edge.to.index()]);
        match edge.kind {
            EdgeKind::Implicit => out.push_str(&format!("  {from} --> {to}\n")),
            EdgeKind::Explicit => out.push_str(&format!("  {from} -.->|depends_on| {to}\n")),
        }
    }
    if !persistent.is_empty() {
        out.push_str("  classDef persistent fill:#fde9b0,stroke-width:3px\n");
        out.push_str(&format!("  class {} persistent\n", persistent.join(",")));
    }
    if !volatile.is_empty() {
        out.push_str("  classDef volatile fill:#dde8fb\n");
        out.push_str(&format!("  class {} volatile\n", volatile.join(",")));
    }
    out
}

#[derive(Serialize)]
struct JsonGraph {
    nodes: Vec<JsonNode>,
    edges: Vec<JsonEdge>,
    order: Vec<String>,
}

#[derive(Serialize)]
struct JsonNode {
    id: String,
    kind: &'static str,
    name: String,
    state: Option<&'static str>,
    file: u32,
    start: u32,
    end: u32,
}

#[derive(Serialize)]
struct JsonEdge {
    from: String,
    to: String,
    kind: &'static str,
    file: u32,
    start: u32,
    end: u32,
}

/// `{"nodes": [...], "edges": [...], "order": [...]}`. `file` is the index of
/// the file in the compilation (the order of the paths given), `start` and
/// `end` are byte offsets: of the declared name for a node, of the first
/// reference for an edge. `order` lists node ids in topological order.
fn render_json(graph: &DepGraph) -> String {
    let json = JsonGraph {
        nodes: graph
            .nodes()
            .map(|(_, node)| JsonNode {
                id: node.id(),
                kind: node.kind.as_str(),
                name: node.name.clone(),
                state: node.state.map(StateClass::as_str),
                file: node.name_span.file.0,
                start: node.name_span.start,
                end: node.name_span.end,
            })
            .collect(),
        edges: graph
            .edges()
            .map(|edge| JsonEdge {
                from: graph.node(edge.from).id(),
                to: graph.node(edge.to).id(),
                kind: edge.kind.as_str(),
                file: edge.span.file.0,
                start: edge.span.start,
                end: edge.span.end,
            })
            .collect(),
        order: graph
            .topological_order()
            .iter()
            .map(|id| graph.node(*id).id())
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&json).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn parse(text: &str) -> SourceFile {
        let (file, diagnostics) = crate::syntax::parse(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        file
    }

    fn graph_of(text: &str) -> (DepGraph, Vec<Diagnostic>) {
        build(&parse(text))
    }

    /// `from -> to (kind)` for every edge, in order.
    fn edges(graph: &DepGraph) -> Vec<String> {
        graph
            .edges()
            .map(|e| {
                format!(
                    "{} -> {} ({})",
                    graph.node(e.from).name,
                    graph.node(e.to).name,
                    e.kind.as_str()
                )
            })
            .collect()
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics.iter().map(|d| d.code.id).collect()
    }

    const PROGRAM: &str = r#"
param env: string = "staging"
let prefix = "shop-${env}"
resource net: network.Network {
  name = "${prefix}-net"
  cidr = "10.0.0.0/16"
}
resource app: network.Subnet for i in 0..2 {
  network = net
  cidr = "10.0.${i}.0/24"
}
resource gateway: network.Router {
  network = net
}
resource web: compute.Server {
  image = "ubuntu"
  subnet = app[0]
  depends_on = [gateway]
}
output ip = web.private_ip
"#;

    #[test]
    fn nodes_are_in_source_order_with_their_kinds() {
        let (graph, diagnostics) = graph_of(PROGRAM);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let nodes: Vec<String> = graph.nodes().map(|(_, n)| n.id()).collect();
        assert_eq!(
            nodes,
            [
                "param.env",
                "let.prefix",
                "resource.net",
                "resource.app",
                "resource.gateway",
                "resource.web",
                "output.ip"
            ]
        );
        for (index, (id, _)) in graph.nodes().enumerate() {
            assert_eq!(id.index(), index);
        }
        assert_eq!(
            graph.lookup("net").map(|id| graph.node(id).kind),
            Some(NodeKind::Resource)
        );
        assert_eq!(graph.resource("prefix"), None);
        assert!(graph.output("ip").is_some());
        assert_eq!(graph.lookup("ip"), None);
    }

    #[test]
    fn edges_go_from_dependent_to_dependency() {
        let (graph, _) = graph_of(PROGRAM);
        assert_eq!(
            edges(&graph),
            [
                "prefix -> env (implicit)",
                "net -> prefix (implicit)",
                "app -> net (implicit)",
                "gateway -> net (implicit)",
                "web -> app (implicit)",
                "web -> gateway (explicit)",
                "ip -> web (implicit)",
            ]
        );
        let web = graph.lookup("web").unwrap();
        let explicit = graph.edges_from(web)[1];
        assert_eq!(explicit.kind, EdgeKind::Explicit);
        assert_eq!(&PROGRAM[explicit.span.range()], "gateway");
        assert_eq!(
            graph.dependencies(web),
            [
                graph.lookup("app").unwrap(),
                graph.lookup("gateway").unwrap()
            ]
        );
        let net = graph.lookup("net").unwrap();
        assert_eq!(graph.dependents(net).len(), 2);
        assert_eq!(graph.edges_to(net).len(), 2);
    }

    #[test]
    fn every_reference_of_a_pair_is_kept_on_one_edge() {
        let text = "let a = 1\nlet b = a + a * a\n";
        let (graph, _) = graph_of(text);
        assert_eq!(edges(&graph), ["b -> a (implicit)"]);
        let edge = graph.edges().next().unwrap();
        assert_eq!(edge.references.len(), 3);
        assert_eq!(edge.span, edge.references[0]);
        assert!(edge.references.windows(2).all(|w| w[0].start < w[1].start));
    }

    #[test]
    fn loop_variables_shadow_top_level_names() {
        let text = r#"
let x = 1
let xs = [1, 2]
let i = 0
resource r: compute.Server for i in xs {
  a = i
  b = [for x in xs: x]
  c = {for k, x in xs: "${k}" => x}
  d = [for y in xs: x]
}
"#;
        let (graph, _) = graph_of(text);
        // `i` and the `x` bound by the comprehensions are loop variables; the
        // last comprehension reads the top-level `x`.
        assert_eq!(edges(&graph), ["r -> xs (implicit)", "r -> x (implicit)",]);
        let r = graph.lookup("r").unwrap();
        assert_eq!(graph.edges_from(r)[0].references.len(), 4);
    }

    #[test]
    fn guards_options_and_interpolations_are_references() {
        let text = r#"
param count: int = 2
param low: int = 1 {
  max = count
}
let on = low > 0
resource r: compute.Server for i in 0..count if on {
  name = "r-${low}"
}
output o = "x" {
  export = "${r.id}"
}
"#;
        let (graph, _) = graph_of(text);
        assert_eq!(
            edges(&graph),
            [
                "low -> count (implicit)",
                "on -> low (implicit)",
                "r -> count (implicit)",
                "r -> on (implicit)",
                "r -> low (implicit)",
                "o -> r (implicit)",
            ]
        );
    }

    #[test]
    fn namespaces_functions_and_unknown_names_are_not_nodes() {
        let text = r#"
resource r: compute.Server {
  a = length([1])
  b = compute
  c = nowhere
}
"#;
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(graph.len(), 1);
        assert_eq!(graph.edges().count(), 0);
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn a_name_declared_twice_is_one_node() {
        let (graph, _) = graph_of("let a = 1\nresource a: compute.Server {}\nlet b = a\n");
        assert_eq!(graph.len(), 2);
        assert_eq!(graph.node(graph.lookup("a").unwrap()).kind, NodeKind::Let);
        assert_eq!(edges(&graph), ["b -> a (implicit)"]);
    }

    #[test]
    fn topological_order_puts_dependencies_first_ties_in_source_order() {
        let text = "let c = b\nlet a = 1\nlet b = a\nlet d = 2\n";
        let (graph, _) = graph_of(text);
        assert_eq!(graph.topological_names(), ["a", "b", "c", "d"]);
        let (graph, _) = graph_of(PROGRAM);
        assert_eq!(
            graph.topological_names(),
            ["env", "prefix", "net", "app", "gateway", "web", "ip"]
        );
    }

    #[test]
    fn a_three_resource_cycle_is_one_diagnostic_with_its_path() {
        let text = r#"
resource a: network.SecurityGroup {
  rules = [b]
}
resource b: network.SecurityGroup {
  rules = [c.id]
}
resource c: network.SecurityGroup {
  rules = "${a.id}"
}
"#;
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(codes(&diagnostics), ["E0401"]);
        let d = &diagnostics[0];
        assert_eq!(d.message, "dependency cycle: a → b → c → a");
        assert_eq!(&text[d.primary.span.range()], "b");
        assert_eq!(d.primary.message, "`a` refers to `b` here");
        let labels: Vec<&str> = d.secondary.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(labels, ["`b` refers to `c` here", "`c` refers to `a` here"]);
        assert_eq!(d.notes.len(), 1);
        assert_eq!(d.help.len(), 1);
        assert!(graph.has_cycles());
        assert_eq!(graph.cycles().len(), 1);
        assert_eq!(graph.cycles()[0].len(), 3);
        // The order is still total and deterministic.
        assert_eq!(graph.topological_order().len(), 3);
        // `a` is taken first; then `c`, which waits only for `a`.
        assert_eq!(graph.topological_names(), ["a", "c", "b"]);
    }

    #[test]
    fn the_cycle_starts_at_the_first_declaration_in_source_order() {
        let text = "let z = x\nlet y = z\nlet x = y\n";
        let (_, diagnostics) = graph_of(text);
        assert_eq!(diagnostics[0].message, "dependency cycle: z → x → y → z");
    }

    #[test]
    fn self_references_and_two_let_cycles_are_cycles() {
        let (_, diagnostics) = graph_of("let a = a + 1\n");
        assert_eq!(codes(&diagnostics), ["E0401"]);
        assert_eq!(diagnostics[0].message, "dependency cycle: a → a");
        assert_eq!(diagnostics[0].primary.message, "`a` refers to itself here");
        let (_, diagnostics) = graph_of("let a = b\nlet b = a\n");
        assert_eq!(codes(&diagnostics), ["E0401"]);
        assert_eq!(diagnostics[0].message, "dependency cycle: a → b → a");
    }

    #[test]
    fn separate_cycles_are_reported_separately_and_the_rest_of_a_component_in_a_note() {
        let text = "let a = b\nlet b = a + c\nlet c = b\nlet d = e\nlet e = d\nlet f = a\n";
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(codes(&diagnostics), ["E0401", "E0401"]);
        assert_eq!(diagnostics[0].message, "dependency cycle: a → b → a");
        assert!(diagnostics[0].notes[1].contains("let `c`"));
        assert_eq!(diagnostics[1].message, "dependency cycle: d → e → d");
        assert_eq!(graph.topological_order().len(), 6);
    }

    #[test]
    fn a_long_cycle_is_shortened_in_the_message() {
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("let v{i} = v{}\n", (i + 1) % 40));
        }
        let (_, diagnostics) = graph_of(&text);
        assert_eq!(codes(&diagnostics), ["E0401"]);
        assert!(
            diagnostics[0].message.contains("(29 more)"),
            "{}",
            diagnostics[0].message
        );
        assert!(diagnostics[0].secondary.len() <= MAX_CYCLE_STEPS);
    }

    #[test]
    fn depends_on_makes_explicit_edges_and_closes_cycles() {
        let text = r#"
resource a: compute.Server {
  x = b
}
resource b: compute.Server {
  depends_on = [a]
}
"#;
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(edges(&graph), ["a -> b (implicit)", "b -> a (explicit)"]);
        assert_eq!(codes(&diagnostics), ["E0401"]);
        assert_eq!(
            diagnostics[0].secondary[0].message,
            "`b` depends on `a` here"
        );
        assert!(diagnostics[0].help[0].contains("`depends_on` of `b`"));
    }

    #[test]
    fn redundant_depends_on_is_a_warning() {
        let text = r#"
resource a: compute.Server {}
resource b: compute.Server {}
resource c: compute.Server {
  x = "${a.id}"
  depends_on = [a, b, b]
}
"#;
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(codes(&diagnostics), ["W0401", "W0401"]);
        assert_eq!(&text[diagnostics[0].primary.span.range()], "a");
        assert_eq!(&text[diagnostics[0].secondary[0].span.range()], "a");
        assert!(diagnostics[0].secondary[0].span.start < diagnostics[0].primary.span.start);
        assert!(diagnostics[1].message.contains("twice"));
        assert_eq!(
            edges(&graph),
            [
                "c -> a (implicit)",
                "c -> a (explicit)",
                "c -> b (explicit)"
            ]
        );
    }

    #[test]
    fn depends_on_accepts_only_resource_names() {
        let text = r#"
param p: string = "x"
let gatewy = "x"
import "./m.infra" as m
resource gateway: compute.Server {}
resource r: compute.Server for i in [1] {
  depends_on = [p, gatewy, i, m, network, gateway.id, unknown]
}
resource s: compute.Server {
  depends_on = gateway
}
"#;
        let (graph, diagnostics) = graph_of(text);
        assert_eq!(codes(&diagnostics), ["E0402"; 7]);
        assert_eq!(diagnostics[0].message, "`p` is a param, not a resource");
        assert_eq!(
            diagnostics[1].help,
            ["did you mean the resource `gateway`?"]
        );
        assert_eq!(
            diagnostics[2].message,
            "`i` is a loop variable, not a resource"
        );
        assert_eq!(diagnostics[3].message, "`m` is an import, not a resource");
        assert_eq!(
            diagnostics[4].message,
            "`network` is a stdlib namespace, not a resource"
        );
        assert_eq!(
            diagnostics[5].message,
            "`depends_on` lists resources by name"
        );
        assert_eq!(
            diagnostics[6].message,
            "`depends_on` takes a list of resources"
        );
        // Neither valid nor invalid entries become implicit edges.
        assert_eq!(graph.edges().count(), 0);
        // `unknown` is left to the resolver (E0102).
    }

    #[test]
    fn states_are_given_after_building() {
        let mut states = IndexMap::new();
        states.insert("db".to_string(), StateClass::Persistent);
        states.insert("q".to_string(), StateClass::Stateless);
        let file = parse(
            "param p: int\nresource db: database.Instance {}\nresource q: queue.Queue {}\noutput o = db.id\n",
        );
        let (mut graph, _) = build(&file);
        assert_eq!(graph.node(graph.lookup("db").unwrap()).state, None);
        graph.set_states(&states);
        assert_eq!(
            graph.node(graph.lookup("q").unwrap()).state,
            Some(StateClass::Stateless)
        );
        assert_eq!(graph.node(graph.lookup("p").unwrap()).state, None);
    }

    #[test]
    fn states_come_from_the_type_checker() {
        let mut states = IndexMap::new();
        states.insert("db".to_string(), StateClass::Persistent);
        let file = parse("resource db: database.Instance {}\nresource q: queue.Queue {}\n");
        let (mut graph, _) = build(&file);
        graph.set_states(&states);
        let db = graph.lookup("db").unwrap();
        assert_eq!(graph.node(db).state, Some(StateClass::Persistent));
        assert_eq!(graph.node(graph.lookup("q").unwrap()).state, None);
        let dot = render(&graph, Format::Dot);
        assert!(
            dot.contains(
                r#""resource.db" [label="db\n(resource, persistent)", style="bold,filled""#
            ),
            "{dot}"
        );
        assert!(
            dot.contains(r#""resource.q" [label="q\n(resource)"]"#),
            "{dot}"
        );
        let mermaid = render(&graph, Format::Mermaid);
        assert!(
            mermaid.contains("class resource_db persistent"),
            "{mermaid}"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&graph, Format::Json)).unwrap();
        assert_eq!(json["nodes"][0]["state"], "persistent");
        assert_eq!(json["nodes"][1]["state"], serde_json::Value::Null);
    }

    #[test]
    fn dot_mermaid_and_json_are_deterministic_and_well_formed() {
        let (graph, _) = graph_of(PROGRAM);
        for format in [Format::Dot, Format::Mermaid, Format::Json] {
            let (again, _) = graph_of(PROGRAM);
            assert_eq!(render(&graph, format), render(&again, format));
        }
        let dot = render(&graph, Format::Dot);
        assert!(dot.starts_with("digraph infra {\n  rankdir=LR;\n"));
        assert!(dot.ends_with("}\n"));
        assert!(dot.contains(r#""param.env" [label="env\n(param)", shape=ellipse];"#));
        assert!(dot.contains(r#""output.ip" [label="ip\n(output)", shape=note];"#));
        assert!(dot.contains(
            r#""resource.web" -> "resource.gateway" [style=dashed, label="depends_on"];"#
        ));
        let mermaid = render(&graph, Format::Mermaid);
        assert!(mermaid.starts_with("flowchart LR\n"));
        assert!(mermaid.contains("  param_env([\"env<br/>(param)\"])\n"));
        assert!(mermaid.contains("  resource_web -.->|depends_on| resource_gateway\n"));
        assert!(mermaid.contains("  resource_app --> resource_net\n"));
        let json = render(&graph, Format::Json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["nodes", "edges", "order"]);
        let node_keys: Vec<&String> = value["nodes"][0].as_object().unwrap().keys().collect();
        assert_eq!(
            node_keys,
            ["id", "kind", "name", "state", "file", "start", "end"]
        );
        assert_eq!(value["edges"][5]["kind"], "explicit");
        assert_eq!(value["edges"][5]["from"], "resource.web");
        assert_eq!(value["order"][0], "param.env");
        assert_eq!(value["nodes"][0]["start"], PROGRAM.find("env").unwrap());
    }

    #[test]
    fn renderers_escape_any_name() {
        let node = |name: &str, kind| Node {
            kind,
            name: name.to_string(),
            name_span: Span::default(),
            span: Span::default(),
            state: None,
        };
        let mut graph = DepGraph::default();
        let a = graph.graph.add_node(node("a\"b\\c\nd", NodeKind::Resource));
        let b = graph.graph.add_node(node("x<y>#&", NodeKind::Let));
        let c = graph.graph.add_node(node("a_b", NodeKind::Let));
        let d = graph.graph.add_node(node("end", NodeKind::Output));
        let e = graph.graph.add_node(node("a-b", NodeKind::Let));
        for (from, to) in [(a, b), (d, c), (e, c)] {
            graph.graph.add_edge(
                from,
                to,
                Edge {
                    from,
                    to,
                    kind: EdgeKind::Implicit,
                    span: Span::default(),
                    references: Vec::new(),
                },
            );
        }
        graph.order = topological_order(&graph.graph).0;
        let dot = render(&graph, Format::Dot);
        assert!(
            dot.contains(r#""resource.a\"b\\c\nd" [label="a\"b\\c\nd\n(resource)"];"#),
            "{dot}"
        );
        let mermaid = render(&graph, Format::Mermaid);
        assert!(
            mermaid.contains("resource_a_b_c_d[\"a#quot;b\\c d<br/>(resource)\"]"),
            "{mermaid}"
        );
        assert!(
            mermaid.contains("let_x_y___(\"x#lt;y#gt;#35;#amp;<br/>(let)\")"),
            "{mermaid}"
        );
        // `let.a_b` and `let.a-b` sanitise alike; the second gets its index.
        assert!(mermaid.contains("  let_a_b_4 --> let_a_b\n"), "{mermaid}");
        assert!(mermaid.contains("  output_end --> let_a_b\n"), "{mermaid}");
        let json: serde_json::Value = serde_json::from_str(&render(&graph, Format::Json)).unwrap();
        assert_eq!(json["nodes"][0]["name"], "a\"b\\c\nd");
    }

    #[test]
    fn an_empty_file_draws_an_empty_graph() {
        let graph = DepGraph::default();
        assert_eq!(render(&graph, Format::Dot).lines().last(), Some("}"));
        assert_eq!(render(&graph, Format::Mermaid), "flowchart LR\n");
        let json: serde_json::Value = serde_json::from_str(&render(&graph, Format::Json)).unwrap();
        assert_eq!(json["order"], serde_json::json!([]));
    }
}
