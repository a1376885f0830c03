//! Unit tests of the comparison, on templates written by hand in each
//! target's shape.

use serde_json::{Value, json};

use super::*;

fn side(text: &str) -> Side<'_> {
    Side {
        text,
        ..Side::default()
    }
}

/// Compares `old` with `new` (templates of `target`), allowing `allow`.
fn diff(target: Target, old: &Value, new: &Value, allow: &[&str]) -> Report {
    let (old, new) = (old.to_string(), new.to_string());
    let mut facts = Facts::default();
    let found = compare("t.json", target, Some(side(&old)), side(&new), &mut facts)
        .expect("both are templates");
    let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
    allowing(vec![found], &allow)
}

fn only(report: &Report) -> &ResourceChange {
    let changes: Vec<&ResourceChange> = report.changes().collect();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    changes[0]
}

fn cfn(resources: Value) -> Value {
    json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": resources })
}

fn rds(engine: &str) -> Value {
    json!({
        "Type": "AWS::RDS::DBInstance",
        "DeletionPolicy": "Snapshot",
        "Properties": { "Engine": engine, "DBInstanceClass": "db.t3.small" }
    })
}

#[test]
fn identical_templates_have_no_changes() {
    let t = cfn(json!({ "Db": rds("postgres") }));
    let report = diff(Target::CloudFormation, &t, &t, &[]);
    assert_eq!(report.changes().count(), 0);
    assert!(!report.blocked());
    let (table, messages) = human(&report);
    assert_eq!(table, "t.json (CloudFormation): no changes\nno changes\n");
    assert_eq!(messages, "");
}

#[test]
fn a_replacing_property_of_a_persistent_resource_blocks() {
    let old = cfn(json!({ "Db": rds("postgres") }));
    let new = cfn(json!({ "Db": rds("mysql") }));
    let report = diff(Target::CloudFormation, &old, &new, &[]);
    let change = only(&report);
    assert_eq!(change.kind, Kind::Changed);
    assert_eq!(change.danger, Danger::Replace);
    assert_eq!(change.verdict, Verdict::Blocked);
    assert!(report.blocked());
    let (_, messages) = human(&report);
    assert!(
        messages.contains(
            "Db (AWS::RDS::DBInstance) would be replaced: Engine changed from \"postgres\" to \"mysql\", and Engine forces replacement"
        ),
        "{messages}"
    );
    // Allowed by its name: reported, not failing.
    let report = diff(Target::CloudFormation, &old, &new, &["Db", "Other"]);
    assert_eq!(only(&report).verdict, Verdict::Allowed);
    assert!(!report.blocked());
    assert_eq!(report.unused_allowances, ["Other"]);
}

#[test]
fn an_updatable_property_is_an_update() {
    let old = cfn(json!({ "Db": rds("postgres") }));
    let mut new = old.clone();
    new["Resources"]["Db"]["Properties"]["DBInstanceClass"] = json!("db.t3.large");
    let report = diff(Target::CloudFormation, &old, &new, &[]);
    let change = only(&report);
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::None, Verdict::Fine)
    );
    assert_eq!(change.properties[0].name, "DBInstanceClass");
}

#[test]
fn removing_a_persistent_resource_blocks_and_a_stateless_one_does_not() {
    let vol = json!({ "Type": "AWS::EC2::Volume", "Properties": { "Size": 10 } });
    let sg =
        json!({ "Type": "AWS::EC2::SecurityGroup", "Properties": { "GroupDescription": "x" } });
    let old = cfn(json!({ "Data": vol, "Sg": sg }));
    let report = diff(Target::CloudFormation, &old, &cfn(json!({ "Sg": sg })), &[]);
    let change = only(&report);
    assert_eq!(
        (change.kind, change.verdict),
        (Kind::Removed, Verdict::Blocked)
    );
    assert_eq!(
        change.persistent.as_deref(),
        Some("AWS::EC2::Volume is persistent")
    );
    let report = diff(
        Target::CloudFormation,
        &old,
        &cfn(json!({ "Data": vol })),
        &[],
    );
    assert_eq!(only(&report).verdict, Verdict::Fine);
}

#[test]
fn a_deletion_policy_that_keeps_it_makes_any_type_persistent() {
    let old = cfn(json!({ "Q": { "Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain" } }));
    let report = diff(Target::CloudFormation, &old, &cfn(json!({})), &[]);
    assert_eq!(only(&report).verdict, Verdict::Blocked);
    assert_eq!(
        only(&report).persistent.as_deref(),
        Some("its DeletionPolicy is Retain")
    );
}

#[test]
fn a_replaced_resource_replaces_those_whose_replacing_property_refers_to_it() {
    let group = |name: &str| {
        json!({ "Type": "AWS::RDS::DBSubnetGroup",
                "Properties": { "DBSubnetGroupName": name, "DBSubnetGroupDescription": "d" } })
    };
    let db = json!({ "Type": "AWS::RDS::DBInstance",
                     "Properties": { "Engine": "postgres", "DBSubnetGroupName": { "Ref": "Group" } } });
    let old = cfn(json!({ "Group": group("a"), "Db": db }));
    let new = cfn(json!({ "Group": group("b"), "Db": db }));
    let report = diff(Target::CloudFormation, &old, &new, &[]);
    let db = report.changes().find(|c| c.name == "Db").expect("Db");
    assert_eq!(db.verdict, Verdict::Blocked);
    assert_eq!(
        db.reason.as_deref(),
        Some(
            "DBSubnetGroupName refers to Group, which would be replaced, and DBSubnetGroupName forces replacement"
        )
    );
}

#[test]
fn a_changed_type_replaces() {
    let old = cfn(json!({ "Db": rds("postgres") }));
    let new = cfn(json!({ "Db": { "Type": "AWS::EC2::Volume", "Properties": {} } }));
    let change = only(&diff(Target::CloudFormation, &old, &new, &[])).clone();
    assert_eq!(change.danger, Danger::Replace);
    assert_eq!(change.verdict, Verdict::Blocked);
}

fn tf(resources: Value, moved: Option<Value>) -> Value {
    let mut t = json!({ "resource": resources });
    if let Some(moved) = moved {
        t["moved"] = moved;
    }
    t
}

#[test]
fn terraform_moved_blocks_rename_without_deleting() {
    let vol = json!({ "size": 10, "lifecycle": { "prevent_destroy": true } });
    let old = tf(json!({ "aws_ebs_volume": { "a": vol } }), None);
    let new = tf(
        json!({ "aws_ebs_volume": { "b": vol } }),
        Some(json!([{ "from": "aws_ebs_volume.a", "to": "aws_ebs_volume.b" }])),
    );
    let report = diff(Target::TerraformAws, &old, &new, &[]);
    let change = only(&report);
    assert_eq!(change.kind, Kind::Renamed);
    assert_eq!(change.renamed_from.as_deref(), Some("aws_ebs_volume.a"));
    assert_eq!(change.verdict, Verdict::Fine);
    // Without the block, the old address is gone.
    let new = tf(json!({ "aws_ebs_volume": { "b": vol } }), None);
    let report = diff(Target::TerraformAws, &old, &new, &[]);
    let removed = report
        .changes()
        .find(|c| c.kind == Kind::Removed)
        .expect("removed");
    assert_eq!(removed.verdict, Verdict::Blocked);
    // A Terraform address's name alone allows it.
    let report = diff(Target::TerraformAws, &old, &new, &["a"]);
    assert!(!report.blocked());
}

#[test]
fn terraform_changes_of_persistent_resources_may_replace_without_failing() {
    let old = tf(
        json!({ "aws_db_instance": { "db": { "engine": "postgres" } } }),
        None,
    );
    let new = tf(
        json!({ "aws_db_instance": { "db": { "engine": "mysql" } } }),
        None,
    );
    let report = diff(Target::TerraformAws, &old, &new, &[]);
    let change = only(&report);
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::MayReplace, Verdict::Warn)
    );
    assert!(!report.blocked());
}

#[test]
fn fewer_copies_of_a_persistent_resource_block() {
    let old = tf(
        json!({ "aws_ebs_volume": { "v": { "count": 3, "size": 1 } } }),
        None,
    );
    let new = tf(
        json!({ "aws_ebs_volume": { "v": { "count": 2, "size": 1 } } }),
        None,
    );
    let change = only(&diff(Target::TerraformAws, &old, &new, &[])).clone();
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::Delete, Verdict::Blocked)
    );
    assert_eq!(
        change.reason.as_deref(),
        Some("its count goes from 3 to 2: the last copy would be deleted")
    );
    // More copies delete nothing.
    let change = only(&diff(Target::TerraformAws, &new, &old, &[])).clone();
    assert_eq!(change.verdict, Verdict::Fine);
}

#[test]
fn heat_groups_are_read_as_their_members() {
    let group = |count: u64, size: u64| {
        json!({ "resources": { "vols": { "type": "OS::Heat::ResourceGroup", "properties": {
            "count": count,
            "resource_def": { "type": "OS::Cinder::Volume", "properties": { "size": size } }
        } } } })
    };
    let change = only(&diff(Target::Heat, &group(3, 1), &group(2, 1), &[])).clone();
    assert_eq!(change.type_name, "OS::Cinder::Volume");
    assert_eq!(change.verdict, Verdict::Blocked);
    // `size` is update_allowed on a Cinder volume.
    let change = only(&diff(Target::Heat, &group(3, 1), &group(3, 2), &[])).clone();
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::None, Verdict::Fine)
    );
}

#[test]
fn renames_of_a_source_map_keep_the_resource_only_on_terraform() {
    let vol = json!({ "Type": "AWS::EC2::Volume", "Properties": { "Size": 1 } });
    let (old, new) = (
        cfn(json!({ "A": vol })).to_string(),
        cfn(json!({ "B": vol })).to_string(),
    );
    let map = json!({ "resources": { "B": { "resource": "data", "renamed_from": "A" } } });
    let mut facts = Facts::default();
    let new_side = Side {
        map: Some(&map),
        ..side(&new)
    };
    let found = compare(
        "t",
        Target::CloudFormation,
        Some(side(&old)),
        new_side,
        &mut facts,
    )
    .expect("templates");
    let report = allowing(vec![found], &[]);
    let change = only(&report);
    assert_eq!(change.kind, Kind::Renamed);
    assert_eq!(change.resource.as_deref(), Some("data"));
    // CloudFormation makes a new resource for a new logical id.
    assert_eq!(change.verdict, Verdict::Blocked);
    let report = allowing(report.templates.clone(), &["data".to_string()]);
    assert!(!report.blocked());
}

#[test]
fn a_template_the_old_build_lacks_is_all_new() {
    let new = cfn(json!({ "Db": rds("postgres") })).to_string();
    let mut facts = Facts::default();
    let found = compare("t", Target::CloudFormation, None, side(&new), &mut facts).expect("ok");
    assert!(found.new_template);
    assert_eq!(found.changes[0].kind, Kind::Added);
    assert_eq!(found.changes[0].verdict, Verdict::Fine);
}

#[test]
fn what_is_not_a_template_is_an_error_never_a_panic() {
    let good = cfn(json!({})).to_string();
    let mut facts = Facts::default();
    for bad in [
        "",
        "[]",
        "{",
        r#"{"Resources": []}"#,
        r#"{"Resources": {"A": 1}}"#,
        r#"{"Resources": {"A": {}}}"#,
        r#"{"Resources": {"A": {"Type": "X", "Properties": 2}}}"#,
    ] {
        let found = compare(
            "t",
            Target::CloudFormation,
            Some(side(bad)),
            side(&good),
            &mut facts,
        );
        assert!(found.is_err(), "{bad}");
    }
    for bad in [
        r#"{"resource": {"a": 1}}"#,
        r#"{"resource": {"a": {"b": 2}}}"#,
    ] {
        let found = compare(
            "t",
            Target::TerraformAws,
            Some(side(bad)),
            side("{}"),
            &mut facts,
        );
        assert!(found.is_err(), "{bad}");
    }
    // Odd but well-formed shapes are read.
    let odd = r#"{"resources": {"g": {"type": "OS::Heat::ResourceGroup"}}, "moved": 3}"#;
    assert!(compare("t", Target::Heat, Some(side(odd)), side("{}"), &mut facts).is_ok());
}

#[test]
fn json_reports_are_documents() {
    let old = cfn(json!({ "Db": rds("postgres") }));
    let new = cfn(json!({ "Db": rds("mysql") }));
    let report = diff(Target::CloudFormation, &old, &new, &[]);
    let document: Value = serde_json::from_str(&json(&report)).expect("JSON");
    assert_eq!(document["blocked"], true);
    let change = &document["templates"][0]["changes"][0];
    assert_eq!(change["verdict"], "blocked");
    assert_eq!(change["properties"][0]["name"], "Engine");
    assert_eq!(change["properties"][0]["effect"], "replace");
}

#[test]
fn a_new_condition_or_a_count_known_when_deploying_may_delete() {
    let old = cfn(json!({ "Db": rds("postgres") }));
    let mut new = old.clone();
    new["Resources"]["Db"]["Condition"] = json!("IsProd");
    let change = only(&diff(Target::CloudFormation, &old, &new, &[])).clone();
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::MayDelete, Verdict::Warn)
    );
    let old = tf(json!({ "aws_ebs_volume": { "v": { "size": 1 } } }), None);
    let new = tf(
        json!({ "aws_ebs_volume": { "v": { "count": "${var.on ? 1 : 0}", "size": 1 } } }),
        None,
    );
    let change = only(&diff(Target::TerraformAws, &old, &new, &[])).clone();
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::MayDelete, Verdict::Warn)
    );
    // A count of zero where there was none deletes the one copy.
    let new = tf(
        json!({ "aws_ebs_volume": { "v": { "count": 0, "size": 1 } } }),
        None,
    );
    let change = only(&diff(Target::TerraformAws, &old, &new, &[])).clone();
    assert_eq!(
        (change.danger, change.verdict),
        (Danger::Delete, Verdict::Blocked)
    );
}
