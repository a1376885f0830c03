//! `infra graph`: the graph drawn as DOT, Mermaid or JSON, the same graph
//! always giving the same bytes.

use serde::Serialize;

use crate::syntax::ast::StateClass;

use super::{DepGraph, EdgeKind, Format, Node, NodeId, NodeKind, Switch};

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
    if node.existing {
        return "(existing)".to_string();
    }
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

/// The switches to draw: each (reader, copies, index) once.
fn drawn_switches(graph: &DepGraph) -> Vec<&Switch> {
    let mut drawn: Vec<&Switch> = Vec::new();
    for switch in graph.switches() {
        if !drawn
            .iter()
            .any(|d| (d.reader, d.copies, d.index) == (switch.reader, switch.copies, switch.index))
        {
            drawn.push(switch);
        }
    }
    drawn
}

/// The copies drawn one cluster per key: those a switch chooses among,
/// each once, with their keys.
fn switched_copies<'g>(switches: &[&'g Switch]) -> Vec<(NodeId, &'g [String])> {
    let mut copies: Vec<(NodeId, &[String])> = Vec::new();
    for switch in switches {
        if !copies.iter().any(|(id, _)| *id == switch.copies) {
            copies.push((switch.copies, &switch.keys));
        }
    }
    copies.sort_by_key(|(id, _)| *id);
    copies
}

/// The id of one keyed copy: `resource.web[blue]`.
fn copy_id(node: &Node, key: &str) -> String {
    format!("{}[{key}]", node.id())
}

/// The id of a switch: `switch.front.live`, the reader's and the index's
/// names.
fn switch_id(graph: &DepGraph, switch: &Switch) -> String {
    format!(
        "switch.{}.{}",
        graph.node(switch.reader).name,
        graph.node(switch.index).name
    )
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
            // Read, not managed: drawn dashed.
            NodeKind::Resource if node.existing => attrs.push("style=dashed".into()),
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
    let switches = drawn_switches(graph);
    // Each keyed copy in a cluster of its own, tied to its declaration.
    for (id, keys) in switched_copies(&switches) {
        let node = graph.node(id);
        for key in keys {
            let copy = dot_escape(&copy_id(node, key));
            out.push_str(&format!(
                "  subgraph \"cluster_{copy}\" {{\n    label=\"{}\";\n    style=rounded;\n    \"{copy}\" [label=\"{}\\n(copy of {})\"];\n  }}\n",
                dot_escape(key),
                dot_escape(&format!("{}[\"{key}\"]", node.name)),
                dot_escape(&node.name),
            ));
            out.push_str(&format!(
                "  \"{copy}\" -> \"{}\" [style=dotted, arrowhead=none];\n",
                dot_escape(&node.id())
            ));
        }
    }
    // The reader through the switch, one edge per key.
    for switch in switches {
        let id = dot_escape(&switch_id(graph, switch));
        let copies = graph.node(switch.copies);
        out.push_str(&format!(
            "  \"{id}\" [shape=diamond, label=\"{}\\n(switch)\"];\n",
            dot_escape(&graph.node(switch.index).name)
        ));
        out.push_str(&format!(
            "  \"{}\" -> \"{id}\";\n",
            dot_escape(&graph.node(switch.reader).id())
        ));
        out.push_str(&format!(
            "  \"{id}\" -> \"{}\" [style=dotted];\n",
            dot_escape(&graph.node(switch.index).id())
        ));
        for key in &switch.keys {
            out.push_str(&format!(
                "  \"{id}\" -> \"{}\" [label=\"{}\"];\n",
                dot_escape(&copy_id(copies, key)),
                dot_escape(&format!("\"{key}\""))
            ));
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
            NodeKind::Resource if node.existing => ("[[\"", "\"]]"),
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
    let switches = drawn_switches(graph);
    // Mermaid ids of the keyed copies and switches: letters, digits, `_`.
    let plain = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    for (id, keys) in switched_copies(&switches) {
        let node = graph.node(id);
        for key in keys {
            let copy = format!("{}__{}", ids[id.index()], plain(key));
            out.push_str(&format!(
                "  subgraph {copy}_cluster [\"{}\"]\n    {copy}[\"{}<br/>(copy of {})\"]\n  end\n",
                mermaid_escape(key),
                mermaid_escape(&format!("{}[\"{key}\"]", node.name)),
                mermaid_escape(&node.name),
            ));
            out.push_str(&format!("  {copy} -.- {}\n", ids[id.index()]));
        }
    }
    for switch in switches {
        let id = plain(&switch_id(graph, switch));
        out.push_str(&format!(
            "  {id}{{\"{}<br/>(switch)\"}}\n",
            mermaid_escape(&graph.node(switch.index).name)
        ));
        out.push_str(&format!("  {} --> {id}\n", ids[switch.reader.index()]));
        out.push_str(&format!("  {id} -.-> {}\n", ids[switch.index.index()]));
        for key in &switch.keys {
            out.push_str(&format!(
                "  {id} -->|\"{}\"| {}__{}\n",
                mermaid_escape(&format!("\"{key}\"")),
                ids[switch.copies.index()],
                plain(key)
            ));
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    switches: Vec<JsonSwitch>,
}

/// A switch: `reader` reads the copy of `copies` whose key `index` gives.
#[derive(Serialize)]
struct JsonSwitch {
    id: String,
    reader: String,
    index: String,
    copies: String,
    /// Each key and the id of its copy.
    cases: Vec<JsonCase>,
    file: u32,
    start: u32,
    end: u32,
}

#[derive(Serialize)]
struct JsonCase {
    key: String,
    copy: String,
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
                kind: match node.existing {
                    true => "existing",
                    false => node.kind.as_str(),
                },
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
        switches: drawn_switches(graph)
            .into_iter()
            .map(|switch| JsonSwitch {
                id: switch_id(graph, switch),
                reader: graph.node(switch.reader).id(),
                index: graph.node(switch.index).id(),
                copies: graph.node(switch.copies).id(),
                cases: switch
                    .keys
                    .iter()
                    .map(|key| JsonCase {
                        key: key.clone(),
                        copy: copy_id(graph.node(switch.copies), key),
                    })
                    .collect(),
                file: switch.span.file.0,
                start: switch.span.start,
                end: switch.span.end,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&json).unwrap_or_default();
    out.push('\n');
    out
}
