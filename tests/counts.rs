//! Deploy-time counts of a `compute.Server` feeding `lb.LoadBalancer`'s
//! members (`tests/counts/server_members.infra`): on CloudFormation the
//! servers are unrolled to the count's `max`, each under a condition on the
//! count, and the target group lists each under the same condition; on
//! Heat, where each native resource of a server would be a group of its
//! own, the same, each pool member existing with its server; on
//! Terraform the servers and the load balancer's attachments or members
//! are `count`ed alike and paired by `count.index`. The oracle deploys each
//! template for every count the param allows and checks which servers exist
//! and which of them the load balancer gets; the validators judge the
//! templates.

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

const PROGRAM: &str = "tests/counts/server_members.infra";

/// The program's template for `target`, parsed, and its text.
fn build(target: Target) -> (serde_json::Value, String) {
    build_program(PROGRAM, target)
}

fn build_program(program: &str, target: Target) -> (serde_json::Value, String) {
    let path = PathBuf::from(program);
    let (checked, templates) = infra::build(
        std::slice::from_ref(&path),
        &infra::Options::default(),
        &[target],
    )
    .expect("readable");
    let rendered = infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "{}: {rendered}",
        target.name()
    );
    assert_eq!(templates.len(), 1, "{}", target.name());
    let text = templates[0].text.clone();
    (serde_json::from_str(&text).expect("JSON"), text)
}

fn deploy(target: Target, template: &serde_json::Value, param: &str, n: i64) -> Deployed {
    deploy_with(target, template, param, json!(n))
}

fn deploy_with(
    target: Target,
    template: &serde_json::Value,
    param: &str,
    value: serde_json::Value,
) -> Deployed {
    let n = value.clone();
    let params = IndexMap::from([(param.to_string(), value)]);
    let deployed = oracle::deploy(target, template, &params);
    assert!(
        deployed.problems.is_empty(),
        "{} with {param} = {n}: {:?}",
        target.name(),
        deployed.problems
    );
    deployed
}

/// The keys of the deployed resources of `type_name`, in order.
fn of_type<'d>(deployed: &'d Deployed, type_name: &str) -> Vec<&'d str> {
    deployed
        .resources
        .iter()
        .filter(|(_, r)| r.type_name == type_name)
        .map(|(k, _)| k.as_str())
        .collect()
}

#[test]
fn cloudformation_unrolls_to_the_max_and_the_members_follow_the_count() {
    let (template, _) = build(Target::CloudFormation);
    for n in 0..=3 {
        let deployed = deploy(Target::CloudFormation, &template, "N", n);
        let servers: Vec<String> = (0..n).map(|i| format!("Web{i}")).collect();
        assert_eq!(
            of_type(&deployed, "AWS::EC2::Instance"),
            servers,
            "servers for n = {n}"
        );
        let group = &deployed.resources["BalancerGroup"];
        let members: Vec<Val> = servers
            .iter()
            .map(|s| Val::Object(IndexMap::from([("Id".to_string(), Val::Ref(s.clone()))])))
            .collect();
        let targets = group.properties.get("Targets").cloned();
        assert_eq!(
            targets.unwrap_or(Val::List(Vec::new())),
            Val::List(members),
            "the target group's members for n = {n}"
        );
    }
}

#[test]
fn heat_unrolls_a_server_of_several_resources_and_its_members_to_the_max() {
    let (template, _) = build(Target::Heat);
    for n in 0..=3 {
        let deployed = deploy(Target::Heat, &template, "n", n);
        let servers: Vec<String> = (0..n).map(|i| format!("web_{i}_server")).collect();
        assert_eq!(of_type(&deployed, "OS::Nova::Server"), servers, "n = {n}");
        let members = of_type(&deployed, "OS::Octavia::PoolMember");
        let expected: Vec<String> = (0..n).map(|i| format!("balancer_member_{i}")).collect();
        assert_eq!(members, expected, "members for n = {n}");
        for (i, key) in members.iter().enumerate() {
            let mut read = std::collections::BTreeSet::new();
            deployed.resources[*key].properties["address"].references(&mut read);
            assert_eq!(
                read.into_iter().collect::<Vec<_>>(),
                vec![format!("web_{i}_port")],
                "{key}'s address"
            );
        }
        match &deployed.outputs["ips"] {
            Val::List(ips) => assert_eq!(ips.len(), n as usize, "the addresses for n = {n}"),
            other => panic!("the addresses are not a list: {other:?}"),
        }
    }
}

#[test]
fn terraform_counts_the_servers_and_pairs_the_members_by_index() {
    for (target, server, member, field) in [
        (
            Target::TerraformAws,
            "aws_instance",
            "aws_lb_target_group_attachment",
            "target_id",
        ),
        (
            Target::TerraformOpenstack,
            "openstack_compute_instance_v2",
            "openstack_lb_member_v2",
            "address",
        ),
    ] {
        let (template, _) = build(target);
        for n in [0, 1, 3] {
            let deployed = deploy(target, &template, "n", n);
            let servers = of_type(&deployed, server);
            let members = of_type(&deployed, member);
            assert_eq!(
                servers.len(),
                n as usize,
                "{} servers, n = {n}",
                target.name()
            );
            assert_eq!(
                members.len(),
                n as usize,
                "{} members, n = {n}",
                target.name()
            );
            // Each server reads the subnet its index picks (`sub[i % 2]`).
            if target == Target::TerraformAws {
                for (i, key) in servers.iter().enumerate() {
                    let mut read = std::collections::BTreeSet::new();
                    deployed.resources[*key].properties["subnet_id"].references(&mut read);
                    let subnet = format!("aws_subnet.sub_{}", i % 2);
                    assert_eq!(
                        read.into_iter().collect::<Vec<_>>(),
                        vec![subnet],
                        "{key}'s subnet"
                    );
                }
            }
            for (i, key) in members.iter().enumerate() {
                let value = &deployed.resources[*key].properties[field];
                let mut read = std::collections::BTreeSet::new();
                value.references(&mut read);
                let copy = format!("[{i}]");
                assert!(
                    read.iter().any(|r| r.ends_with(&copy)),
                    "{}: member {key} reads {read:?}, not copy {i}",
                    target.name()
                );
            }
        }
    }
}

#[test]
fn terraform_counts_a_list_param_and_reads_each_element_by_index() {
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let (template, _) = build_program("tests/counts/list_param.infra", target);
        let names = ["x", "y", "z"];
        let deployed = deploy_with(target, &template, "names", json!(names));
        let queues: Vec<&oracle::Native> = deployed.resources.values().collect();
        assert_eq!(queues.len(), names.len(), "{}", target.name());
        for (queue, name) in queues.iter().zip(names) {
            // The name may be nested (openstack's queue is a Heat stack
            // whose parameters name it).
            let expected = format!("{:?}", Val::String(format!("jobs-{name}")));
            assert!(
                format!("{:?}", queue.properties).contains(&expected),
                "{}: {queue:?} is not named jobs-{name}",
                target.name()
            );
        }
    }
}

#[test]
fn copies_over_a_nested_choice_exist_under_the_conditions_that_choose_their_list() {
    // `c ? (d ? blue : []) : green`: blue's copies first, then green's.
    for target in Target::ALL {
        let (template, _) = build_program("tests/counts/nested_choice.infra", target);
        for (c, d, expected) in [
            (true, true, [true, true, false, false]),
            (true, false, [false; 4]),
            (false, true, [false, false, true, true]),
            (false, false, [false, false, true, true]),
        ] {
            let names: [&str; 2] = match target {
                Target::CloudFormation => ["C", "D"],
                _ => ["c", "d"],
            };
            // CloudFormation's booleans are text parameters.
            let value = |b: bool| match target {
                Target::CloudFormation => json!(b.to_string()),
                _ => json!(b),
            };
            let params = IndexMap::from([
                (names[0].to_string(), value(c)),
                (names[1].to_string(), value(d)),
            ]);
            let deployed = oracle::deploy(target, &template, &params);
            assert!(
                deployed.problems.is_empty(),
                "{}: {:?}",
                target.name(),
                deployed.problems
            );
            for (i, exists) in expected.iter().enumerate() {
                let copy = [format!("Table{i}"), format!("table_{i}")];
                let found = deployed
                    .resources
                    .keys()
                    .any(|k| copy.iter().any(|name| k.contains(name.as_str())));
                assert_eq!(
                    found,
                    *exists,
                    "{}: copy {i} with c = {c}, d = {d}",
                    target.name()
                );
            }
        }
    }
}

#[test]
fn the_templates_pass_their_validators() {
    let dir = std::env::temp_dir().join(format!("infra-counts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools");
    let cfn = dir.join("main.template.json");
    std::fs::write(&cfn, build(Target::CloudFormation).1).expect("written");
    let venv = std::env::var_os("CFN_VENV").unwrap_or_else(|| "/opt/cfn-venv".into());
    let found =
        tools.join("cfn-validate").exists() && Path::new(&venv).join("bin/cfn-lint").exists();
    if tools::available("cfn-lint (../shared/tools/cfn-setup)", found) {
        validate(&tools.join("cfn-validate"), &[cfn.as_path()]);
    }
    let hot = dir.join("main.hot.json");
    std::fs::write(&hot, build(Target::Heat).1).expect("written");
    let venv = std::env::var("HEAT_VENV").unwrap_or_else(|_| "/opt/heat-venv".into());
    let found =
        tools.join("heat-validate").is_file() && Path::new(&venv).join("bin/python").exists();
    if tools::available("Heat (../shared/tools/heat-setup)", found) {
        validate(&tools.join("heat-validate"), &[hot.as_path()]);
    }
    let mut tf = Vec::new();
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        for (stem, program) in [
            ("members", PROGRAM),
            ("list", "tests/counts/list_param.infra"),
        ] {
            let file = dir.join(format!("{stem}-{}.tf.json", target.name()));
            std::fs::write(&file, build_program(program, target).1).expect("written");
            tf.push(file);
        }
    }
    let tf_validate = tools.join("tf-validate");
    if tools::available("tf-validate (../shared/tools)", tf_validate.exists()) {
        let mut args: Vec<&Path> = vec![Path::new("--strict")];
        args.extend(tf.iter().map(PathBuf::as_path));
        validate(&tf_validate, &args);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn validate(tool: &Path, args: &[&Path]) {
    let result = Command::new(tool)
        .args(args)
        .output()
        .expect("the validator runs");
    assert!(
        result.status.success(),
        "{} found problems:\n{}{}",
        tool.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}
