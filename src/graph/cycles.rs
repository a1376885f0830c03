//! The topological order of the graph, and the cycles that prevent one:
//! each found once, with one concrete path through it (E0401).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use indexmap::IndexMap;
use petgraph::Direction;
use petgraph::graph::DiGraph;
use petgraph::visit::EdgeRef;

use crate::diagnostics::{Diagnostic, codes};

use super::{Edge, EdgeKind, Node, NodeId, NodeKind};

/// Kahn's algorithm on reversed edges: a node is ready when everything it
/// depends on is placed; ties go to the first in source order. Also tells
/// whether the graph has no cycle: then every node became ready.
pub(super) fn topological_order(graph: &DiGraph<Node, Edge>) -> (Vec<NodeId>, bool) {
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

/// One concrete cycle: `nodes[0] -> nodes[1] -> ... -> nodes[0]`, through
/// `edges` (one per step, the closing one last); `others` are the rest of
/// its strongly connected component.
pub(super) struct Cycle {
    pub(super) nodes: Vec<NodeId>,
    edges: Vec<petgraph::graph::EdgeIndex>,
    others: Vec<NodeId>,
}

pub(super) fn find_cycles(graph: &DiGraph<Node, Edge>) -> Vec<Cycle> {
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
pub(super) const MAX_CYCLE_STEPS: usize = 12;

pub(super) fn cycle_diagnostic(graph: &DiGraph<Node, Edge>, cycle: &Cycle) -> Diagnostic {
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
