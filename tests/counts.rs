//! Deploy-time counts of a `compute.Server` feeding `lb.LoadBalancer`'s
//! members (`tests/counts/server_members.infra`): on CloudFormation the
//! servers are unrolled to the count's `max`, each under a condition on the
//! count, and the target group lists each under the same condition; on
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
    let path = PathBuf::from(PROGRAM);
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
    let params = IndexMap::from([(param.to_string(), json!(n))]);
    let deployed = match target {
        Target::CloudFormation => oracle::cloudformation::deploy(template, &params),
        _ => oracle::terraform::deploy(template, &params),
    };
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
    let mut tf = Vec::new();
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let file = dir.join(format!("{}.tf.json", target.name()));
        std::fs::write(&file, build(target).1).expect("written");
        tf.push(file);
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
