use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::ir::{Expr, Output, Resource, Target};
use crate::syntax::ast::BinaryOp;

fn production() -> Expr {
    Expr::Binary(
        BinaryOp::Eq,
        Box::new(Expr::Param("env".into())),
        Box::new(Expr::String("production".into())),
    )
}

/// A deployment built by hand: spans of no file.
fn deployment(target: Target) -> Deployment {
    let mut d = Deployment::new(target);
    d.params
        .push(crate::ir::Param::new("env", crate::ir::ParamType::String));
    let mut web = Resource::new("Web", "web", "AWS::SQS::Queue", vec![]);
    web.condition = Some(Box::new(production()));
    let mut db = Resource::new(
        "Db",
        "db",
        "AWS::SQS::Queue",
        vec![(
            "DelaySeconds",
            Expr::If(
                Box::new(production()),
                Box::new(Expr::Int(1)),
                Box::new(Expr::Int(2)),
            ),
        )],
    );
    db.copy_key = Some("logs".into());
    d.resources = vec![web, db];
    d.outputs.push(Output::new("url", Expr::String("x".into())));
    d
}

fn map_of(target: Target) -> Value {
    map_named(&deployment(target), "app.json")
}

/// The map of `d`'s template, named `template`.
fn map_named(d: &Deployment, template: &str) -> Value {
    let emission = crate::backend::emission(d);
    let names = crate::backend::names(d);
    let map = build(&SourceDb::new(), d, &names, template, &emission.sections);
    serde_json::from_str(&map).expect("a map is JSON")
}

fn terraform_map(d: &Deployment) -> Value {
    map_named(d, "a.tf.json")
}

#[test]
fn conditions_list_what_uses_them_and_entries_without_a_file_have_no_place() {
    let map = map_of(Target::CloudFormation);
    assert_eq!(map["version"], 1);
    assert_eq!(map["target"], "cloudformation");
    let resources = map["resources"].as_object().expect("resources");
    assert_eq!(resources.keys().collect::<Vec<_>>(), ["Web", "Db"]);
    assert_eq!(map["resources"]["Db"]["copy"], "logs");
    assert!(map["resources"]["Db"].get("at").is_none());
    assert!(map["resources"]["Db"].get("renamed_from").is_none());
    assert_eq!(map["params"]["Env"]["param"], "env");
    assert_eq!(map["outputs"]["Url"]["output"], "url");
    let conditions = map["conditions"].as_object().expect("conditions");
    assert_eq!(conditions.len(), 1);
    let (_, condition) = conditions.iter().next().expect("one");
    assert_eq!(condition["used_by"], json!(["Web", "Db"]));

    let heat = map_of(Target::Heat);
    let (_, condition) = (heat["conditions"].as_object())
        .and_then(|c| c.iter().next())
        .expect("one condition");
    assert_eq!(condition["used_by"], json!(["web", "db"]));
}

#[test]
fn terraform_maps_say_what_a_resource_moved_from() {
    let mut d = Deployment::new(Target::TerraformAws);
    let mut vol = Resource::new("VolLogs", "vol_logs", "aws_ebs_volume", vec![]);
    vol.set_moved_from("data_logs");
    d.resources.push(vol);
    let map = terraform_map(&d);
    let entry = &map["resources"]["aws_ebs_volume.vol_logs"];
    assert_eq!(entry["renamed_from"], "aws_ebs_volume.data_logs");
    assert_eq!(map["conditions"], json!({}));
}

fn maps(values: Vec<(&str, Value)>) -> Maps {
    Maps {
        dir: PathBuf::from("out"),
        maps: values
            .into_iter()
            .map(|(p, v)| (PathBuf::from(p), v))
            .collect(),
    }
}

#[test]
fn lookups_read_terraform_forms_and_survive_odd_maps() {
    let good = json!({
        "version": 1, "template": "app.tf.json", "target": "terraform-aws",
        "resources": {"aws_ebs_volume.vol_logs": {"resource": "vol", "copy": "logs",
            "type": "aws_ebs_volume", "renamed_from": "aws_ebs_volume.data_logs",
            "at": {"file": "stdlib:none", "line": 3, "column": 1}}},
    });
    let odd = json!({"resources": [1, 2], "params": {"x": 3}, "outputs": "no"});
    let all = maps(vec![
        ("aws/app.tf.map.json", good),
        ("odd.map.json", odd),
        ("list.map.json", json!([])),
    ]);
    for id in [
        "aws_ebs_volume.vol_logs",
        "aws_ebs_volume.vol_logs[0]",
        "aws_ebs_volume.vol_logs[\"a\"]",
        "module.app.module.db.aws_ebs_volume.vol_logs",
        "vol_logs",
        "aws_ebs_volume.data_logs",
    ] {
        let hits = find(&all, id);
        assert_eq!(hits.len(), 1, "{id}");
        assert_eq!(hits[0].template, "aws/app.tf.json");
    }
    let hits = find(&all, "vol_logs");
    let text = human(&hits, &|_| Some("a\nb\n".into()));
    assert!(
        text.starts_with("stdlib:none:3:1: resource `vol` (copy `logs`) → aws_ebs_volume.vol_logs in aws/app.tf.json"),
        "{text}"
    );
    assert!(find(&all, "x").is_empty());
    assert!(find(&all, "]").is_empty());
    assert!(find(&all, "module.").is_empty());
    assert_eq!(closest(&all, "vol_log"), ["aws_ebs_volume.vol_logs"]);
    let listed: Value = serde_json::from_str(&super::json(&find(&all, "vol_logs"))).unwrap();
    assert_eq!(listed[0]["kind"], "resource");
    assert_eq!(listed[0]["copy"], "logs");
}

/// Terraform's map lists the resources the configuration holds, by the
/// emitter's note (`Emitted::kept`): not an `existing` one, which is a data
/// source, nor one whose address a later resource takes.
#[test]
fn terraform_maps_list_the_resources_the_configuration_holds() {
    let mut d = Deployment::new(Target::TerraformAws);
    let mut read = Resource::new("Vpc", "vpc", "aws_vpc", vec![]);
    read.existing = true;
    let first = Resource::new("Logs", "logs", "aws_sqs_queue", vec![]);
    let second = Resource::new("Logs2", "logs", "aws_sqs_queue", vec![]);
    let other = Resource::new("Data", "data", "aws_sqs_queue", vec![]);
    d.resources = vec![read, first, second, other];
    let emission = crate::backend::emission(&d);
    assert_eq!(emission.sections.kept, Some(vec![false, false, true, true]));
    let map = terraform_map(&d);
    let listed: Vec<&String> = map["resources"].as_object().unwrap().keys().collect();
    assert_eq!(listed, ["aws_sqs_queue.logs", "aws_sqs_queue.data"]);
}
