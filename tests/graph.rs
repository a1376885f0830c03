//! `infra graph` as users run it: every format on the three-tier example,
//! Graphviz accepting the DOT, and cycles refused with one diagnostic.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const THREE_TIER: &str = "examples/three_tier.infra";
const THREE_CYCLE: &str = "tests/ui/graph/three_resource_cycle.infra";

fn infra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("infra runs")
}

fn graph(path: &str, format: &str) -> String {
    let output = infra(&["graph", path, "--format", format, "--color", "never"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path.display().to_string()
}

/// Runs Graphviz on `dot_text` when it is installed; `None` when it is not.
fn graphviz_svg(dot_text: &str) -> Option<Output> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(dot_text.as_bytes())
        .expect("write to dot");
    Some(child.wait_with_output().expect("dot runs"))
}

#[test]
fn dot_is_valid_graphviz() {
    let dot = graph(THREE_TIER, "dot");
    assert!(dot.starts_with("digraph infra {\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
    assert!(
        dot.contains(r#""resource.db" [label="db\n(resource, persistent)""#),
        "{dot}"
    );
    assert!(dot.contains(r#""resource.web" -> "resource.db";"#), "{dot}");
    assert!(dot.contains(r#""param.env" [label="env\n(param)", shape=ellipse];"#));
    assert!(dot.contains(r#""output.url" [label="url\n(output)", shape=note];"#));
    if let Some(output) = graphviz_svg(&dot) {
        assert!(
            output.status.success(),
            "dot -Tsvg failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("<svg"));
        assert!(
            output.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn mermaid_is_a_flowchart() {
    let mermaid = graph(THREE_TIER, "mermaid");
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains("  resource_db[\"db<br/>(resource, persistent)\"]\n"));
    assert!(mermaid.contains("  resource_web --> resource_db\n"));
    assert!(
        mermaid.lines().any(|l| l.trim_start().starts_with("class ")
            && l.trim_end().ends_with(" persistent")
            && l.split([' ', ',']).any(|id| id == "resource_db")),
        "{mermaid}"
    );
}

#[test]
fn json_lists_nodes_edges_and_a_topological_order() {
    let text = graph(THREE_TIER, "json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let nodes = json["nodes"].as_array().expect("nodes");
    let ids: Vec<&str> = nodes
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    for id in ["let.prefix", "resource.web", "resource.front", "output.url"] {
        assert!(ids.contains(&id), "{id} is a node");
    }
    assert_eq!(ids[0], "param.env");
    assert_eq!(ids[ids.len() - 1], "output.db_endpoint");
    let db = nodes.iter().find(|n| n["id"] == "resource.db").expect("db");
    assert_eq!(db["kind"], "resource");
    assert_eq!(db["state"], "persistent");
    let source = std::fs::read_to_string(THREE_TIER).expect("example");
    let (start, end) = (db["start"].as_u64().unwrap(), db["end"].as_u64().unwrap());
    assert_eq!(&source[start as usize..end as usize], "db");

    let order: Vec<&str> = json["order"]
        .as_array()
        .expect("order")
        .iter()
        .map(|id| id.as_str().expect("id"))
        .collect();
    let mut sorted_order = order.clone();
    sorted_order.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_order, sorted_ids, "the order holds every node once");
    let position = |id: &str| order.iter().position(|o| *o == id).expect("in order");
    let edges = json["edges"].as_array().expect("edges");
    assert!(!edges.is_empty());
    for edge in edges {
        let (from, to) = (edge["from"].as_str().unwrap(), edge["to"].as_str().unwrap());
        assert!(ids.contains(&from) && ids.contains(&to));
        assert!(
            position(to) < position(from),
            "{to} must come before {from}"
        );
        assert_eq!(edge["kind"], "implicit");
    }
}

#[test]
fn every_format_is_byte_identical_across_runs() {
    for format in ["dot", "mermaid", "json"] {
        assert_eq!(graph(THREE_TIER, format), graph(THREE_TIER, format));
    }
}

#[test]
fn every_example_draws_valid_dot() {
    let mut examples: Vec<_> = std::fs::read_dir("examples")
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "infra"))
        .collect();
    examples.sort();
    for example in examples {
        let drawn = infra(&["graph", &example.display().to_string(), "--format", "dot"]);
        // An example that does not check draws nothing; `tests/cli.rs`
        // requires the examples to check.
        if !drawn.status.success() {
            continue;
        }
        let dot = String::from_utf8(drawn.stdout).expect("UTF-8 output");
        assert!(
            dot.starts_with("digraph infra {\n"),
            "{}",
            example.display()
        );
        if let Some(output) = graphviz_svg(&dot) {
            assert!(output.status.success(), "{}", example.display());
        }
    }
}

#[test]
fn a_three_resource_cycle_is_one_coded_diagnostic_and_no_graph() {
    let output = infra(&["graph", THREE_CYCLE, "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
    assert!(
        stderr.contains("error[E0401]: dependency cycle: a → b → c → a"),
        "{stderr}"
    );
    for label in [
        "`a` refers to `b` here",
        "`b` refers to `c` here",
        "`c` refers to `a` here",
    ] {
        assert!(stderr.contains(label), "{stderr}");
    }
}

#[test]
fn a_redundant_depends_on_is_drawn_dashed_beside_the_reference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(
        &dir,
        "redundant.infra",
        r#"resource net: network.Network {
  cidr = "10.0.0.0/16"
}

resource app: network.Subnet {
  network = net
  cidr = "10.0.1.0/24"
  depends_on = [net]
}
"#,
    );
    let output = infra(&["graph", &path, "--format", "dot", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning[W0401]"));
    let dot = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        dot.contains("  \"resource.app\" -> \"resource.net\";\n"),
        "{dot}"
    );
    assert!(
        dot.contains(
            "  \"resource.app\" -> \"resource.net\" [style=dashed, label=\"depends_on\"];\n"
        ),
        "{dot}"
    );
}

#[test]
fn long_chains_and_long_cycles_stay_fast() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = 20_000;
    let mut chain = String::from("let v0 = \"chain-bucket\"\n");
    for i in 1..n {
        chain.push_str(&format!("let v{i} = v{}\n", i - 1));
    }
    chain.push_str(&format!(
        "resource site: storage.Bucket {{\n  name = v{}\n}}\n",
        n - 1
    ));
    let path = temp_file(&dir, "chain.infra", &chain);
    let started = std::time::Instant::now();
    let json: serde_json::Value = serde_json::from_str(&graph(&path, "json")).expect("valid JSON");
    assert_eq!(json["order"][0], "let.v0");
    assert_eq!(json["order"][n], "resource.site");
    assert!(started.elapsed().as_secs() < 60);

    let mut cycle = String::new();
    for i in 0..n {
        cycle.push_str(&format!("let v{i} = v{}\n", (i + 1) % n));
    }
    cycle.push_str("resource site: storage.Bucket {\n  name = v0\n}\n");
    let path = temp_file(&dir, "cycle.infra", &cycle);
    let output = infra(&["check", "--color", "never", &path]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("error[E0401]").count(), 1, "{stderr}");
    assert!(stderr.contains("more) …"), "{stderr}");
}

/// The blue/green example in every format, reviewed: the copies of `web`
/// one cluster per colour, and `front` reaching them through the switch
/// on `live`, an edge per colour.
#[test]
fn the_blue_green_switch_in_every_format() {
    for (format, ending) in [("dot", "dot"), ("mermaid", "mmd"), ("json", "json")] {
        let drawn = graph("examples/blue_green.infra", format);
        insta::with_settings!({ snapshot_path => "graph_snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("blue_green.{ending}"), drawn);
        });
    }
    let json: serde_json::Value =
        serde_json::from_str(&graph("examples/blue_green.infra", "json")).expect("JSON");
    let switch = &json["switches"][0];
    assert_eq!(switch["reader"], "resource.front");
    assert_eq!(switch["index"], "param.live");
    assert_eq!(switch["copies"], "resource.web");
    let keys: Vec<&str> = switch["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["blue", "green"]);
}

/// Without a switch, nothing is drawn beside the declarations.
#[test]
fn keyed_copies_read_by_a_constant_key_are_no_switch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(
        &dir,
        "keyed.infra",
        "resource q: queue.Queue for k, v in { a = 1, b = 2 } {\n  name = \"q-${k}-${v}\"\n}\n\noutput a = q[\"a\"].url\n",
    );
    let json: serde_json::Value = serde_json::from_str(&graph(&path, "json")).expect("JSON");
    assert!(json.get("switches").is_none(), "{json}");
    assert!(!graph(&path, "dot").contains("switch"));
}
