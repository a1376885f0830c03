//! Building the graph: a node per top-level declaration, an edge per
//! reference and `depends_on` entry, and the checks of `depends_on`.

use indexmap::IndexMap;
use petgraph::graph::DiGraph;
use rustc_hash::FxBuildHasher;

use crate::diagnostics::{Diagnostic, codes};
use crate::sema::names::{DeclKind, Names, Place};
use crate::sema::resolve::NAMESPACES;
use crate::source::Span;
use crate::suggest;
use crate::syntax::ast::{Block, Expr, ExprKind, Ident, Item, ItemKind, SourceFile};

use super::cycles::{cycle_diagnostic, find_cycles, topological_order};
use super::{DepGraph, Edge, EdgeIndex, EdgeKind, Node, NodeId, NodeKind};

/// Builds the graph of a file's top-level declarations from its tree and
/// what its names refer to; the state classes the type checker finds are
/// given to it with [`DepGraph::set_states`].
pub fn build(file: &SourceFile, names: &Names) -> (DepGraph, Vec<Diagnostic>) {
    let items = file.items.len();
    let mut graph = DepGraph {
        graph: DiGraph::with_capacity(items, items),
        names: IndexMap::with_capacity_and_hasher(items, FxBuildHasher),
        ..DepGraph::default()
    };
    // The node of each item that got one, by item index.
    let mut item_nodes: Vec<Option<NodeId>> = Vec::with_capacity(items);
    for item in &file.items {
        item_nodes.push(add_node(&mut graph, item));
    }

    let mut diagnostics = Vec::new();
    let mut edges = Edges {
        slots: vec![(NodeId::end(), EdgeIndex::end()); 2 * graph.graph.node_count()],
    };
    // Reused from one declaration to the next.
    let mut references: Vec<Reference> = Vec::new();
    let mut collector = Collector {
        names,
        item_nodes: &item_nodes,
        keys: file
            .items
            .iter()
            .map(|item| match &item.kind {
                ItemKind::Resource(r) => crate::sema::check::literal_keys(r).map(|(k, _)| k),
                _ => None,
            })
            .collect(),
        found: Vec::new(),
        switches: Vec::new(),
    };
    let declared = Declared {
        names,
        item_nodes: &item_nodes,
    };
    for (item, node) in file.items.iter().zip(&item_nodes) {
        let Some(from) = *node else { continue };
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
                    collector.opt_expr(guard.key.as_deref());
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
            for property in r.body.properties.iter().filter(is_depends_on) {
                depends_on(
                    &graph,
                    &declared,
                    from,
                    &property.value,
                    implicit,
                    &mut references,
                    &mut diagnostics,
                );
            }
        }
        graph.switches.extend(
            collector
                .switches
                .drain(..)
                .map(|(copies, index, keys, span)| super::Switch {
                    reader: from,
                    copies,
                    index,
                    keys,
                    span,
                }),
        );
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

/// The node of a param, let, resource or output; a name declared twice
/// (E0101) gets one, for its first declaration.
fn add_node(graph: &mut DepGraph, item: &Item) -> Option<NodeId> {
    let (kind, name): (NodeKind, &Ident) = match &item.kind {
        ItemKind::Param(p) => (NodeKind::Param, &p.name),
        ItemKind::Let(l) => (NodeKind::Let, &l.name),
        ItemKind::Resource(r) => (NodeKind::Resource, &r.name),
        ItemKind::Output(o) => (NodeKind::Output, &o.name),
        _ => return None,
    };
    let taken = match kind {
        NodeKind::Output => graph.outputs.contains_key(&name.name),
        _ => graph.names.contains_key(&name.name),
    };
    if taken {
        return None;
    }
    let id = graph.graph.add_node(Node {
        kind,
        name: name.name.clone(),
        name_span: name.span,
        span: item.span,
        state: None,
        existing: matches!(&item.kind, ItemKind::Resource(r) if r.existing),
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

struct Reference {
    from: NodeId,
    to: NodeId,
    kind: EdgeKind,
    span: Span,
}

/// Collects the references of one declaration to top-level declarations.
struct Collector<'a> {
    names: &'a Names,
    item_nodes: &'a [Option<NodeId>],
    /// The keys of each item's copies, when it is a resource repeated over
    /// an object literal, by item index.
    keys: Vec<Option<Vec<String>>>,
    found: Vec<(NodeId, Span)>,
    /// `copies[index]` with `index` a param: the copies, the param, the
    /// copies' keys and the index's span.
    switches: Vec<(NodeId, NodeId, Vec<String>, Span)>,
}

impl<'a> Collector<'a> {
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

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Name(name) => {
                if let Some(node) = node_of(self.names, self.item_nodes, name) {
                    self.found.push((node, name.span));
                }
            }
            ExprKind::Index(base, index) => {
                self.switch(base, index);
                expr.for_each_operand(|e| self.expr(e));
            }
            ExprKind::ListComp(comp) => {
                self.expr(&comp.iterable);
                self.opt_expr(comp.filter.as_ref());
                self.expr(&comp.body);
            }
            ExprKind::ObjectComp(comp, value) => {
                self.expr(&comp.iterable);
                self.opt_expr(comp.filter.as_ref());
                self.expr(&comp.body);
                self.expr(value);
            }
            _ => expr.for_each_operand(|e| self.expr(e)),
        }
    }
}

impl Collector<'_> {
    /// Records `copies[index]` when `copies` are keyed by name and `index`
    /// names a param of the file.
    fn switch(&mut self, base: &Expr, index: &Expr) {
        let (ExprKind::Name(copies), ExprKind::Name(param)) = (&base.kind, &index.kind) else {
            return;
        };
        let Some((_, decl)) = self.names.lookup(copies) else {
            return;
        };
        let Place::File(item) = decl.place else {
            return;
        };
        let Some(keys) = self.keys.get(item as usize).cloned().flatten() else {
            return;
        };
        let Some(copies) = self.item_nodes[item as usize] else {
            return;
        };
        let Some((_, decl)) = self.names.lookup(param) else {
            return;
        };
        if decl.kind != DeclKind::Param {
            return;
        }
        if let Some(index) = node_of(self.names, self.item_nodes, param) {
            self.switches.push((copies, index, keys, param.span));
        }
    }
}

/// The node of the top-level declaration a name refers to, if it has one.
fn node_of(names: &Names, item_nodes: &[Option<NodeId>], name: &Ident) -> Option<NodeId> {
    match names.lookup(name)?.1.place {
        Place::File(item) => item_nodes[item as usize],
        _ => None,
    }
}

/// What `depends_on` entries may name.
struct Declared<'a> {
    names: &'a Names,
    item_nodes: &'a [Option<NodeId>],
}

/// Checks the entries of one `depends_on` and records an explicit edge for
/// each resource it names.
fn depends_on(
    graph: &DepGraph,
    declared: &Declared,
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
                let root = root_name(entry).filter(|n| declared.resource(graph, n).is_some());
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
        let what = match declared.names.lookup(name) {
            None if NAMESPACES.contains(&name.name.as_str()) => Some("a stdlib namespace"),
            // An unknown name: the resolver reports it (E0102).
            None => continue,
            Some((_, decl)) => match decl.kind {
                DeclKind::Resource if declared.resource(graph, name).is_some() => None,
                kind => Some(describe(kind)),
            },
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
        let Some(to) = declared.resource(graph, name) else {
            continue;
        };
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

fn describe(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Param => "a param",
        DeclKind::Let => "a let",
        DeclKind::Binding => "a loop variable",
        DeclKind::Import => "an import",
        DeclKind::Component => "a component",
        // Not a resource of this file's graph: a `target` block's, say.
        DeclKind::Resource => "not a resource of this file",
    }
}

impl Declared<'_> {
    /// The node of the resource of this file a name refers to.
    fn resource(&self, graph: &DepGraph, name: &Ident) -> Option<NodeId> {
        let node = node_of(self.names, self.item_nodes, name)?;
        (graph.graph[node].kind == NodeKind::Resource).then_some(node)
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
