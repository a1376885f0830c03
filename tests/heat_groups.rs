//! Heat: a deploy-time count without a bound of a component made of
//! several native resources (`tests/groups/server_members.infra`: a
//! `compute.Server` is a port and a server) is one
//! `OS::Heat::ResourceGroup` over a member template written beside the
//! main one, and the load balancer's pool members over the servers are a
//! second group whose member template picks its server's address from the
//! list read through the first group, by index. The oracle deploys the
//! templates (the member templates as nested stacks) for counts 0 to 3 and
//! checks that each server has its own port and the pool members are
//! exactly the servers' addresses; a group under a condition
//! (`tests/groups/conditional.infra`) and pool members over a choice of
//! two counted colours (`tests/groups/blue_green.infra`) too. Heat's
//! validator judges every template, and `infra where` finds the member
//! templates' resources.

#[path = "support/oracle/mod.rs"]
mod oracle;
#[path = "support/tools.rs"]
mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

use indexmap::IndexMap;
use infra::ir::Target;
use oracle::{Deployed, Val};
use serde_json::json;

const PROGRAM: &str = "tests/groups/server_members.infra";

/// What `program` builds for Heat, by output name, the main first, its
/// templates and source maps; the build must succeed.
fn built(program: &str) -> Vec<(String, infra::Template)> {
    let path = PathBuf::from(program);
    let (checked, templates) = infra::build(
        std::slice::from_ref(&path),
        &infra::Options::default(),
        &[Target::Heat],
    )
    .expect("readable");
    let rendered = infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "{rendered}"
    );
    let names = infra::output_names(&checked.db, &templates);
    names.into_iter().zip(templates).collect()
}

/// The templates of `program` for Heat, by output name, the main first.
fn build(program: &str) -> Vec<(String, String)> {
    built(program)
        .into_iter()
        .map(|(name, t)| (name, t.text))
        .collect()
}

fn deploy(templates: &[(String, String)], n: i64) -> Deployed {
    deploy_with(templates, &[("n", json!(n))])
}

fn deploy_with(templates: &[(String, String)], params: &[(&str, serde_json::Value)]) -> Deployed {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("JSON");
    let main = parse(&templates[0].1);
    let files: IndexMap<String, serde_json::Value> = templates[1..]
        .iter()
        .map(|(name, text)| (name.clone(), parse(text)))
        .collect();
    let params: IndexMap<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let deployed = oracle::deploy_with_files(Target::Heat, &main, &params, &files);
    assert!(
        deployed.problems.is_empty(),
        "{params:?}: {:?}",
        deployed.problems
    );
    deployed
}

fn reads(v: &Val) -> Vec<String> {
    let mut read = std::collections::BTreeSet::new();
    v.references(&mut read);
    read.into_iter().collect()
}

#[test]
fn the_servers_are_one_group_over_a_member_template() {
    let templates = build(PROGRAM);
    let names: Vec<&str> = templates.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "server_members.hot.json",
            "server_members.stack-web.hot.yaml",
            "server_members.stack-balancer_member.hot.yaml",
        ]
    );
    let main: serde_json::Value = serde_json::from_str(&templates[0].1).expect("JSON");
    let web = &main["resources"]["web"];
    assert_eq!(web["type"], "OS::Heat::ResourceGroup");
    assert_eq!(web["properties"]["count"], json!({ "get_param": "n" }));
    let def = &web["properties"]["resource_def"];
    assert_eq!(def["type"], "server_members.stack-web.hot.yaml");
    assert_eq!(def["properties"]["index"], "%index%");
    // The addresses are read through the group, as a list.
    let ips = &main["outputs"]["ips"]["value"]["get_attr"];
    assert_eq!(ips[0], "web", "{ips}");
    let member: serde_json::Value = serde_json::from_str(&templates[1].1).expect("JSON");
    let resources: Vec<&String> = member["resources"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(resources, ["web_port", "web_server"]);
    assert_eq!(member["parameters"]["index"]["type"], "string");
}

#[test]
fn each_server_has_its_own_port_and_the_pool_members_are_their_addresses() {
    let templates = build(PROGRAM);
    for n in 0..=3 {
        let deployed = deploy(&templates, n);
        let servers = deployed.of_type("OS::Nova::Server");
        let expected: Vec<String> = (0..n).map(|i| format!("web[{i}].web_server")).collect();
        assert_eq!(servers, expected, "servers for n = {n}");
        let ports: Vec<&str> = deployed
            .of_type("OS::Neutron::Port")
            .into_iter()
            .filter(|k| k.starts_with("web["))
            .collect();
        let expected: Vec<String> = (0..n).map(|i| format!("web[{i}].web_port")).collect();
        assert_eq!(ports, expected, "ports for n = {n}");
        let mut addresses = Vec::new();
        for i in 0..n {
            let server = &deployed.resources[&format!("web[{i}].web_server")];
            assert_eq!(
                reads(&server.properties["networks"]),
                [format!("web[{i}].web_port")],
                "server {i}'s port, n = {n}"
            );
            addresses.push(Val::Attr(
                format!("web[{i}].web_port"),
                "fixed_ips.0.ip_address".into(),
            ));
        }
        let members = deployed.of_type("OS::Octavia::PoolMember");
        let got: Vec<Val> = members
            .iter()
            .map(|k| deployed.resources[*k].properties["address"].clone())
            .collect();
        assert_eq!(got, addresses, "the pool members' addresses, n = {n}");
        for k in &members {
            let pool = &deployed.resources[*k].properties["pool"];
            assert_eq!(reads(pool), ["balancer_pool"], "{k}'s pool");
        }
        assert_eq!(
            deployed.outputs["ips"],
            Val::List(addresses),
            "the addresses output, n = {n}"
        );
        let ids: Vec<Val> = (0..n)
            .map(|i| Val::Ref(format!("web[{i}].web_server")))
            .collect();
        assert_eq!(deployed.outputs["ids"], Val::List(ids), "n = {n}");
    }
}

#[test]
fn a_conditional_group_exists_with_its_condition_and_reads_the_programs_own_index_param() {
    let templates = build("tests/groups/conditional.infra");
    assert_eq!(templates.len(), 2);
    for enabled in [false, true] {
        for n in 0..=2 {
            let params = [
                ("n", json!(n)),
                ("enabled", json!(enabled)),
                ("index", json!("x")),
            ];
            let deployed = deploy_with(&templates, &params);
            let servers = deployed.of_type("OS::Nova::Server");
            let expected = if enabled { n } else { 0 };
            assert_eq!(servers.len(), expected as usize, "{params:?}");
            for (i, key) in servers.iter().enumerate() {
                let name = &deployed.resources[*key].properties["name"];
                assert_eq!(*name, Val::String(format!("web-x-{i}")), "{key}");
            }
        }
    }
}

#[test]
fn the_pool_members_follow_the_live_colour() {
    let templates = build("tests/groups/blue_green.infra");
    for live in ["blue", "green"] {
        for (blue, green) in [(0, 2), (2, 0), (1, 3)] {
            let params = [
                ("live", json!(live)),
                ("blue_count", json!(blue)),
                ("green_count", json!(green)),
            ];
            let deployed = deploy_with(&templates, &params);
            let (colour, n) = if live == "blue" {
                ("blue", blue)
            } else {
                ("green", green)
            };
            let members = deployed.of_type("OS::Octavia::PoolMember");
            let got: Vec<Val> = members
                .iter()
                .map(|k| deployed.resources[*k].properties["address"].clone())
                .collect();
            let expected: Vec<Val> = (0..n)
                .map(|i| {
                    Val::Attr(
                        format!("{colour}[{i}].{colour}_port"),
                        "fixed_ips.0.ip_address".into(),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{params:?}");
            let servers = deployed.of_type("OS::Nova::Server");
            assert_eq!(servers.len(), (blue + green) as usize, "{params:?}");
        }
    }
}

#[test]
fn the_build_is_deterministic() {
    assert_eq!(build(PROGRAM), build(PROGRAM));
}

#[test]
fn every_template_passes_heat_validate() {
    let dir = std::env::temp_dir().join(format!("infra-heat-groups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    // Each program's templates, and the parameter values its main
    // template is validated with (its member templates as nested stacks).
    let programs: [(&str, &[&str]); 3] = [
        (PROGRAM, &["n=0", "n=3"]),
        (
            "tests/groups/conditional.infra",
            &["enabled=false", "enabled=true"],
        ),
        (
            "tests/groups/blue_green.infra",
            &["live=blue", "live=green"],
        ),
    ];
    let mut mains = Vec::new();
    let mut files = Vec::new();
    for (program, params) in programs {
        let templates = build(program);
        for (name, text) in &templates {
            let file = dir.join(name);
            std::fs::write(&file, text).expect("written");
            files.push(file);
        }
        mains.push((dir.join(&templates[0].0), params));
    }
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools");
    let venv = std::env::var("HEAT_VENV").unwrap_or_else(|_| "/opt/heat-venv".into());
    let found =
        tools.join("heat-validate").is_file() && Path::new(&venv).join("bin/python").exists();
    if tools::available("Heat (../shared/tools/heat-setup)", found) {
        for (main, params) in &mains {
            for param in *params {
                let args: Vec<&std::ffi::OsStr> =
                    vec!["-P".as_ref(), param.as_ref(), main.as_os_str()];
                validate(&tools.join("heat-validate"), &args);
            }
        }
        // And each template alone.
        let args: Vec<&std::ffi::OsStr> = files.iter().map(|f| f.as_os_str()).collect();
        validate(&tools.join("heat-validate"), &args);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn validate(tool: &Path, args: &[&std::ffi::OsStr]) {
    let result = Command::new(tool)
        .args(args)
        .output()
        .expect("the validator runs");
    let out = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success() && !out.contains(": "),
        "{} found problems:\n{out}{}",
        tool.display(),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Each template's source map, by the template's output name.
fn maps(program: &str) -> IndexMap<String, serde_json::Value> {
    built(program)
        .into_iter()
        .map(|(name, t)| (name, serde_json::from_str(&t.map).expect("JSON")))
        .collect()
}

#[test]
fn the_member_templates_map_back_to_their_declarations() {
    let maps = maps(PROGRAM);
    let main = &maps["server_members.hot.json"]["resources"];
    assert_eq!(main["web"]["resource"], "web");
    assert_eq!(main["web"]["at"]["line"], 22);
    assert_eq!(main["balancer_member"]["resource"], "balancer");
    let web = &maps["server_members.stack-web.hot.yaml"];
    assert_eq!(web["template"], "server_members.stack-web.hot.yaml");
    for (name, declared) in [("web_port", "port"), ("web_server", "server")] {
        let entry = &web["resources"][name];
        assert_eq!(entry["resource"], "web", "{name}");
        assert_eq!(entry["at"]["line"], 22, "{name}");
        assert_eq!(entry["declared"]["name"], declared, "{name}");
    }
    let member = &maps["server_members.stack-balancer_member.hot.yaml"]["resources"];
    assert_eq!(member["balancer_member"]["resource"], "balancer");
    assert_eq!(member["balancer_member"]["at"]["line"], 28);
}

#[test]
fn infra_build_writes_the_member_templates_and_infra_where_finds_their_resources() {
    let dir = std::env::temp_dir().join(format!("infra-heat-groups-where-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let infra = env!("CARGO_BIN_EXE_infra");
    let built = Command::new(infra)
        .args(["build", PROGRAM, "-t", "heat", "-o"])
        .arg(&dir)
        .output()
        .expect("infra runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .expect("written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "server_members.hot.json",
            "server_members.hot.map.json",
            "server_members.stack-balancer_member.hot.yaml",
            "server_members.stack-balancer_member.hot.yaml.map.json",
            "server_members.stack-web.hot.yaml",
            "server_members.stack-web.hot.yaml.map.json",
        ]
    );
    let found = Command::new(infra)
        .arg("where")
        .arg(&dir)
        .arg("web_server")
        .output()
        .expect("infra runs");
    let text = String::from_utf8_lossy(&found.stdout);
    assert!(found.status.success(), "{text}");
    assert!(
        text.contains(
            "server_members.infra:22:10: resource `web` → OS::Nova::Server web_server in "
        ) && text.contains("server_members.stack-web.hot.yaml\n"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
