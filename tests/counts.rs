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

#[test]
fn cloudformation_unrolls_to_the_max_and_the_members_follow_the_count() {
    let (template, _) = build(Target::CloudFormation);
    for n in 0..=3 {
        let deployed = deploy(Target::CloudFormation, &template, "N", n);
        let servers: Vec<String> = (0..n).map(|i| format!("Web{i}")).collect();
        assert_eq!(
            deployed.of_type("AWS::EC2::Instance"),
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
        assert_eq!(deployed.of_type("OS::Nova::Server"), servers, "n = {n}");
        let members = deployed.of_type("OS::Octavia::PoolMember");
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
            let servers = deployed.of_type(server);
            let members = deployed.of_type(member);
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

/// The address of each deployed copy whose properties name `text`.
fn addresses_naming(deployed: &Deployed, text: &str) -> Vec<String> {
    let expected = format!("{:?}", Val::String(text.to_string()));
    deployed
        .resources
        .iter()
        .filter(|(_, r)| format!("{:?}", r.properties).contains(&expected))
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
fn terraform_keys_copies_over_a_list_of_names_so_removing_one_keeps_the_others() {
    let program = "tests/counts/keyed_list.infra";
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let (template, _) = build_program(program, target);
        let before = deploy_with(target, &template, "names", json!(["a", "b", "c"]));
        let after = deploy_with(target, &template, "names", json!(["b", "c"]));
        for name in ["b", "c"] {
            let was = addresses_naming(&before, &format!("dead-{name}"));
            let is = addresses_naming(&after, &format!("dead-{name}"));
            assert_eq!(was.len(), 1, "{}: {was:?}", target.name());
            assert!(
                was[0].ends_with(&format!("[\"{name}\"]")),
                "{}: the copy for {name} is {}",
                target.name(),
                was[0]
            );
            assert_eq!(was, is, "{}: the copy for {name} moved", target.name());
        }
        assert!(addresses_naming(&after, "dead-a").is_empty());
        // A copy's index over keyed copies is its key's position among
        // the keys.
        let second = |d: &Deployed| {
            let found = addresses_naming(d, "x1");
            assert_eq!(found.len(), 1, "{}: {found:?}", target.name());
            found[0].clone()
        };
        assert!(
            second(&before).ends_with("indexed[\"b\"]"),
            "{}",
            target.name()
        );
        assert!(
            second(&after).ends_with("indexed[\"c\"]"),
            "{}",
            target.name()
        );
        // The loop that reads the index keeps numbered copies: removing
        // the first name moves the others.
        assert_eq!(
            addresses_naming(&before, "n1-b"),
            addresses_naming(&after, "n0-b")
                .iter()
                .map(|a| a.replace("[0]", "[1]"))
                .collect::<Vec<_>>(),
            "{}",
            target.name()
        );
        // Each server's member reads the server of its key; the addresses
        // are listed in the order of the keys.
        let (server, member, field) = match target {
            Target::TerraformAws => (
                "aws_instance",
                "aws_lb_target_group_attachment",
                "target_id",
            ),
            _ => (
                "openstack_compute_instance_v2",
                "openstack_lb_member_v2",
                "address",
            ),
        };
        for deployed in [&before, &after] {
            let servers = deployed.of_type(server);
            let members = deployed.of_type(member);
            assert_eq!(servers.len(), members.len(), "{}", target.name());
            for key in members {
                let copy = &key[key.find('[').expect("keyed")..];
                let mut read = std::collections::BTreeSet::new();
                deployed.resources[key].properties[field].references(&mut read);
                assert!(
                    read.iter().any(|r| r.ends_with(copy)),
                    "{}: member {key} reads {read:?}",
                    target.name()
                );
            }
            match &deployed.outputs["ips"] {
                Val::List(ips) => assert_eq!(ips.len(), servers.len(), "{}", target.name()),
                other => panic!("the addresses are not a list: {other:?}"),
            }
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

/// The copy index of each server a key names (`Web2`, `web_2_port`,
/// `aws_instance.web_2[0]`, `aws_instance.web[2]`).
fn copy_indices<'k>(keys: impl IntoIterator<Item = &'k str>) -> std::collections::BTreeSet<i64> {
    keys.into_iter()
        .filter_map(|key| {
            let lower = key.to_lowercase();
            let at = lower.find("web")? + 3;
            let rest = lower[at..].trim_start_matches(['_', '[']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// `[for i in 0..4 if i < n: web[i]]` as the load balancer's members, the
/// servers either each under `if i < n` or counted to `n` (unrolled to
/// its `max` where the target does): for n = 0 to 4, the servers that
/// exist are copies 0 to n - 1, the load balancer reads exactly those,
/// and `length` of the list (the output `count`) is n.
#[test]
fn a_list_filtered_at_deploy_time_follows_the_count() {
    let programs: [(&str, &[Target]); 2] = [
        ("tests/counts/filtered_members.infra", &Target::ALL),
        (
            "tests/counts/bounded_filtered_members.infra",
            &[Target::CloudFormation, Target::Heat],
        ),
    ];
    for (program, targets) in programs {
        for &target in targets {
            let (template, _) = build_program(program, target);
            let (param, output) = match target {
                Target::CloudFormation => ("N", "Count"),
                _ => ("n", "count"),
            };
            for n in 0..=4 {
                let deployed = deploy(target, &template, param, n);
                let what = format!("{program} on {} with n = {n}", target.name());
                let servers = copy_indices(
                    deployed
                        .resources
                        .iter()
                        .filter(|(_, r)| {
                            matches!(
                                r.type_name.as_str(),
                                "AWS::EC2::Instance"
                                    | "OS::Nova::Server"
                                    | "aws_instance"
                                    | "openstack_compute_instance_v2"
                            )
                        })
                        .map(|(k, _)| k.as_str()),
                );
                let expected: std::collections::BTreeSet<i64> = (0..n).collect();
                assert_eq!(servers, expected, "servers of {what}");
                let mut read = std::collections::BTreeSet::new();
                for (key, resource) in &deployed.resources {
                    if key.to_lowercase().contains("balancer") {
                        for value in resource.properties.values() {
                            value.references(&mut read);
                        }
                    }
                }
                assert_eq!(
                    copy_indices(read.iter().map(String::as_str)),
                    expected,
                    "the load balancer's members of {what}: {read:?}"
                );
                let count = match &deployed.outputs[output] {
                    Val::Number(x) => *x as i64,
                    Val::String(text) => text.parse().expect("a number"),
                    other => panic!("{what}: the count is {other:?}"),
                };
                assert_eq!(count, n, "length of the filtered list of {what}");
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
    let mut cfn_files = vec![cfn.clone()];
    let mut hot_files = Vec::new();
    for stem in ["filtered_members", "bounded_filtered_members"] {
        let program = format!("tests/counts/{stem}.infra");
        let file = dir.join(format!("{stem}.template.json"));
        std::fs::write(&file, build_program(&program, Target::CloudFormation).1).expect("written");
        cfn_files.push(file);
        let file = dir.join(format!("{stem}.hot.json"));
        std::fs::write(&file, build_program(&program, Target::Heat).1).expect("written");
        hot_files.push(file);
    }
    let venv = std::env::var_os("CFN_VENV").unwrap_or_else(|| "/opt/cfn-venv".into());
    let found =
        tools.join("cfn-validate").exists() && Path::new(&venv).join("bin/cfn-lint").exists();
    if tools::available("cfn-lint (../shared/tools/cfn-setup)", found) {
        let files: Vec<&Path> = cfn_files.iter().map(PathBuf::as_path).collect();
        validate(&tools.join("cfn-validate"), &files);
    }
    let hot = dir.join("main.hot.json");
    std::fs::write(&hot, build(Target::Heat).1).expect("written");
    let venv = std::env::var("HEAT_VENV").unwrap_or_else(|_| "/opt/heat-venv".into());
    let found =
        tools.join("heat-validate").is_file() && Path::new(&venv).join("bin/python").exists();
    if tools::available("Heat (../shared/tools/heat-setup)", found) {
        validate(&tools.join("heat-validate"), &[hot.as_path()]);
        // Heat stops at a template's first error: one call each.
        for file in &hot_files {
            validate(&tools.join("heat-validate"), &[file.as_path()]);
        }
    }
    let mut tf = Vec::new();
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        for (stem, program) in [
            ("members", PROGRAM),
            ("list", "tests/counts/list_param.infra"),
            ("filtered", "tests/counts/filtered_members.infra"),
            ("keyed", "tests/counts/keyed_list.infra"),
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
