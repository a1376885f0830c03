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
//!
//! # Files
//!
//! This file holds the graph's types and queries; `builder` builds it from
//! the tree, `cycles` orders it and finds its cycles, `render` draws it.

mod builder;
mod cycles;
mod render;
#[cfg(test)]
mod tests;

pub use builder::build;
pub use render::render;

use std::hash::BuildHasher;

use indexmap::IndexMap;
use petgraph::Direction;
use petgraph::graph::DiGraph;
use rustc_hash::FxBuildHasher;

use crate::source::Span;
use crate::syntax::ast::StateClass;

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
    /// A resource the program reads and does not manage (`existing`).
    pub existing: bool,
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
    /// Deploy-time indexes into copies keyed by name, in source order.
    switches: Vec<Switch>,
}

/// `reader` reads `copies[index]`, the copies keyed by name (`for k, v in
/// { blue = ..., green = ... }`) and `index` a declaration known only at
/// deploy time (a param): which copy it reads is chosen when deploying,
/// a blue/green switch. The graph keeps the references as edges too
/// (`reader` to `copies` and to `index`); the switch is what the drawings
/// add: the copies as one cluster per key, and the reader reaching them
/// through a node of the index, an edge per key.
#[derive(Clone, Debug, PartialEq)]
pub struct Switch {
    pub reader: NodeId,
    pub copies: NodeId,
    pub index: NodeId,
    /// The copies' keys, in order.
    pub keys: Vec<String>,
    /// The index expression.
    pub span: Span,
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

    /// Every switch between keyed copies, in source order.
    pub fn switches(&self) -> &[Switch] {
        &self.switches
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
