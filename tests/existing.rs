//! `existing` declarations: what each target receives for a resource the
//! program reads and does not manage, read back from the emitted templates.

use std::path::PathBuf;

use infra::ir::Target;
use serde_json::{Value, json};

/// The one template `program` builds to for `target`, parsed.
fn built(program: &str, target: Target) -> Value {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = dir.path().join("main.infra");
    std::fs::write(&path, program).expect("write");
    let (checked, templates) =
        infra::build(&[path], &infra::Options::default(), &[target]).expect("readable");
    let rendered = infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "{rendered}"
    );
    assert_eq!(templates.len(), 1, "{rendered}");
    serde_json::from_str(&templates[0].text).expect("JSON")
}

/// The codes `program` is refused with, for `target`.
fn refused(program: &str, target: Target) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path: PathBuf = dir.path().join("main.infra");
    std::fs::write(&path, program).expect("write");
    let (checked, templates) =
        infra::build(&[path], &infra::Options::default(), &[target]).expect("readable");
    assert!(templates.is_empty());
    checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == infra::diagnostics::Severity::Error)
        .map(|d| d.code.id.to_string())
        .collect()
}

const CFN_VPC: &str = r#"
param vpc_id: string

existing vpc: AWS::EC2::VPC {
  id = vpc_id
}

resource app: AWS::EC2::Subnet {
  VpcId = vpc.id
  CidrBlock = "10.0.1.0/24"
}
"#;

#[test]
fn cloudformation_reads_the_id_from_a_param_of_the_aws_specific_type() {
    let t = built(CFN_VPC, Target::CloudFormation);
    assert_eq!(t["Parameters"]["VpcId"]["Type"], "AWS::EC2::VPC::Id");
    assert_eq!(
        t["Resources"]["App"]["Properties"]["VpcId"],
        json!({ "Ref": "VpcId" })
    );
    // Nothing is made of the VPC: the stack only reads it.
    let resources = t["Resources"].as_object().expect("resources");
    assert_eq!(resources.keys().collect::<Vec<_>>(), ["App"]);
}

#[test]
fn cloudformation_reads_another_stacks_export() {
    let program = CFN_VPC
        .replace("param vpc_id: string\n", "")
        .replace("id = vpc_id", "export = \"network-VpcId\"");
    let t = built(&program, Target::CloudFormation);
    assert_eq!(
        t["Resources"]["App"]["Properties"]["VpcId"],
        json!({ "Fn::ImportValue": "network-VpcId" })
    );
    assert!(t.get("Parameters").is_none());
}

#[test]
fn cloudformation_reads_nothing_but_the_id() {
    let program = format!("{CFN_VPC}\noutput cidr = vpc.CidrBlock\n");
    assert_eq!(refused(&program, Target::CloudFormation), ["E0113"]);
}

#[test]
fn heat_adopts_the_resource_by_its_id() {
    let program = r#"
param net_id: string

existing net: OS::Neutron::Net {
  id = net_id
}

resource sub: OS::Neutron::Subnet {
  network = net.id
  cidr = "10.0.1.0/24"
}

output mtu = net.mtu
"#;
    let t = built(program, Target::Heat);
    assert_eq!(
        t["resources"]["net"],
        json!({ "type": "OS::Neutron::Net", "external_id": { "get_param": "net_id" } })
    );
    assert_eq!(
        t["parameters"]["net_id"]["constraints"],
        json!([{ "custom_constraint": "neutron.network" }])
    );
    assert_eq!(
        t["resources"]["sub"]["properties"]["network"],
        json!({ "get_resource": "net" })
    );
    assert_eq!(
        t["outputs"]["mtu"]["value"],
        json!({ "get_attr": ["net", "mtu"] })
    );
}

const TF_ZONE: &str = r#"
existing zone: aws_route53_zone {
  name = "example.org."
}

resource www: aws_route53_record {
  zone_id = zone.zone_id
  name = "www.example.org."
  type = "A"
  ttl = 300
  records = ["192.0.2.1"]
}
"#;

#[test]
fn terraform_reads_a_data_source() {
    let t = built(TF_ZONE, Target::TerraformAws);
    assert_eq!(
        t["data"]["aws_route53_zone"]["zone"],
        json!({ "name": "example.org." })
    );
    assert_eq!(
        t["resource"]["aws_route53_record"]["www"]["zone_id"],
        "${data.aws_route53_zone.zone.zone_id}"
    );
    let resources = t["resource"].as_object().expect("resources");
    assert_eq!(resources.keys().collect::<Vec<_>>(), ["aws_route53_record"]);
}

#[test]
fn terraform_checks_the_lookup_against_the_data_source() {
    let misspelt = TF_ZONE.replace("  name = \"example.org.\"", "  nmae = \"example.org.\"");
    assert_eq!(refused(&misspelt, Target::TerraformAws), ["E0201"]);
    let wrong_type = TF_ZONE.replace(
        "\"example.org.\"\n}",
        "\"example.org.\"\n  private_zone = \"no\"\n}",
    );
    assert_eq!(refused(&wrong_type, Target::TerraformAws), ["E0203"]);
    let unknown = format!("{TF_ZONE}\noutput x = zone.zone_identifier\n");
    assert_eq!(refused(&unknown, Target::TerraformAws), ["E0204"]);
}

#[test]
fn an_existing_type_of_another_target_is_refused() {
    // The existing VPC and the subnet, each a CloudFormation type.
    assert_eq!(refused(CFN_VPC, Target::Heat), ["E0500", "E0500"]);
}
