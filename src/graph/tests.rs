//! Unit tests of the dependency graph: nodes, edges, `depends_on` checks,
//! cycles, the topological order and the renderings.

use super::cycles::{MAX_CYCLE_STEPS, topological_order};
use super::*;
use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::SourceFile;

fn parse(text: &str) -> SourceFile {
    let (file, diagnostics) = crate::syntax::parse(FileId(0), text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    file
}

fn graph_of(text: &str) -> (DepGraph, Vec<Diagnostic>) {
    built(&parse(text))
}

/// The graph of a file, with its names resolved as the compiler does.
fn built(file: &SourceFile) -> (DepGraph, Vec<Diagnostic>) {
    let (names, _) = crate::sema::resolve::resolve(file);
    build(file, &names)
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
    let (mut graph, _) = built(&file);
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
    let (mut graph, _) = built(&file);
    graph.set_states(&states);
    let db = graph.lookup("db").unwrap();
    assert_eq!(graph.node(db).state, Some(StateClass::Persistent));
    assert_eq!(graph.node(graph.lookup("q").unwrap()).state, None);
    let dot = render(&graph, Format::Dot);
    assert!(
        dot.contains(r#""resource.db" [label="db\n(resource, persistent)", style="bold,filled""#),
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
    assert!(
        dot.contains(r#""resource.web" -> "resource.gateway" [style=dashed, label="depends_on"];"#)
    );
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
        existing: false,
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
