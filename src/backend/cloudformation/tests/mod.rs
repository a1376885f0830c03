//! Unit tests of the CloudFormation backend.

use serde_json::{Value, json};

use crate::backend::common::testing::*;
use crate::ir::{
    Context, Deletion, Deployment, Expr, Output, Param, ParamType, Part, Resource, Target,
};
use crate::syntax::ast::BinaryOp;

use super::resources::is_ami_id;
use super::*;

mod refusals;

/// The template and the diagnostics, the references resolved.
fn emit(d: &Deployment) -> (String, Vec<crate::diagnostics::Diagnostic>) {
    crate::backend::emit(&resolved(d))
}

fn deployment() -> Deployment {
    Deployment {
        target: Target::CloudFormation,
        description: None,
        params: Vec::new(),
        resources: Vec::new(),
        outputs: Vec::new(),
    }
}

fn resource(id: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, &id.to_lowercase(), type_name, properties)
}

/// A resource reading every param, so that all are emitted.
fn reader(params: &[Param]) -> Resource {
    resource(
        "Reader",
        "AWS::SQS::Queue",
        params
            .iter()
            .map(|p| (p.name.as_str(), Expr::Param(p.name.clone())))
            .collect(),
    )
}

/// The template as JSON.
fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("the template is JSON")
}

/// The template, asserting nothing was reported.
fn clean(d: &Deployment) -> Value {
    let (template, diagnostics) = emit(d);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect::<Vec<_>>()
    );
    parsed(&template)
}

fn codes_of(d: &Deployment) -> Vec<&'static str> {
    emit(d).1.iter().map(|d| d.code.id).collect()
}

fn env_param() -> Param {
    Param {
        default: Some(json!("staging")),
        allowed: Some(vec![json!("staging"), json!("production")]),
        ..param("env", ParamType::String)
    }
}

#[test]
fn a_template_without_resources_is_an_error() {
    // CloudFormation refuses a template whose `Resources` is empty.
    let (template, diagnostics) = emit(&deployment());
    assert_eq!(
        parsed(&template),
        json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": {} })
    );
    let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["E0519"]);
    let outputs_only = Deployment {
        outputs: vec![output("o", s("x"))],
        ..deployment()
    };
    assert_eq!(codes_of(&outputs_only), ["E0519"]);
    // A resource that exists under a condition is a resource.
    let conditional = Deployment {
        params: vec![env_param()],
        resources: vec![Resource {
            condition: Some(Box::new(eq(p("env"), s("production")))),
            ..resource("Q", "AWS::SQS::Queue", vec![])
        }],
        ..outputs_only
    };
    assert_eq!(codes_of(&conditional), Vec::<&str>::new());
}

#[test]
fn the_description_is_the_doc_comment() {
    let d = Deployment {
        description: Some("The shop.\n".into()),
        resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
        ..deployment()
    };
    assert_eq!(clean(&d)["Description"], json!("The shop."));
}

#[test]
fn a_too_long_description_is_cut_with_a_warning() {
    let d = Deployment {
        description: Some("é".repeat(600)),
        resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
        ..deployment()
    };
    let (template, diagnostics) = emit(&d);
    assert_eq!(diagnostics[0].code.id, "W0513");
    let text = parsed(&template)["Description"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(text.len(), 1024);
}

#[test]
fn params_carry_every_constraint() {
    let params = vec![
        Param {
            description: Some("Deployment environment.".into()),
            message: Some("staging or production".into()),
            ..env_param()
        },
        Param {
            default: Some(json!(2)),
            min: Some(json!(1)),
            max: Some(json!(20)),
            ..param("web_count", ParamType::Int)
        },
        Param {
            secret: true,
            min_length: Some(12),
            max_length: Some(64),
            pattern: Some("^[A-Za-z0-9]+$".into()),
            message: Some("letters and digits".into()),
            ..param("db_password", ParamType::String)
        },
        Param {
            pattern: Some("ssh-".into()),
            ..param("key", ParamType::String)
        },
        Param {
            default: Some(json!(false)),
            ..param("enable_backups", ParamType::Bool)
        },
        Param {
            default: Some(json!(["a", "b"])),
            ..param("zones", ParamType::List(Box::new(ParamType::String)))
        },
        Param {
            default: Some(json!([80, 443])),
            ..param("ports", ParamType::List(Box::new(ParamType::Int)))
        },
        Param {
            message: Some("never shown".into()),
            ..param("plain", ParamType::String)
        },
    ];
    let d = Deployment {
        resources: vec![reader(&params)],
        params,
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Parameters"],
        json!({
            "Env": {
                "Type": "String",
                "Description": "Deployment environment.",
                "Default": "staging",
                "AllowedValues": ["staging", "production"],
                "ConstraintDescription": "staging or production"
            },
            "WebCount": { "Type": "Number", "Default": 2, "MinValue": 1, "MaxValue": 20 },
            "DbPassword": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9]+$",
                "MinLength": 12,
                "MaxLength": 64,
                "ConstraintDescription": "letters and digits",
                "NoEcho": true
            },
            "Key": { "Type": "String", "AllowedPattern": "ssh-" },
            "EnableBackups": {
                "Type": "String",
                "Default": "false",
                "AllowedValues": ["true", "false"]
            },
            "Zones": { "Type": "CommaDelimitedList", "Default": "a,b" },
            "Ports": { "Type": "List<Number>", "Default": "80,443" },
            "Plain": { "Type": "String" }
        })
    );
}

#[test]
fn params_nothing_reads_are_left_out() {
    let d = Deployment {
        params: vec![
            param("used", ParamType::String),
            Param {
                group: Some("Other target".into()),
                ..param("unused", ParamType::String)
            },
        ],
        resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
        outputs: vec![output("o", p("used"))],
        ..deployment()
    };
    let t = clean(&d);
    assert_eq!(t["Parameters"], json!({ "Used": { "Type": "String" } }));
    assert_eq!(t.get("Metadata"), None);
}

#[test]
fn patterns_are_written_as_they_are() {
    // CloudFormation matches the whole value, as Infra does.
    for pattern in ["^a+$", "^a|b$", "a+", "^a\\$"] {
        let d = Deployment {
            params: vec![Param {
                pattern: Some(pattern.into()),
                ..param("name", ParamType::String)
            }],
            resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
            outputs: vec![output("o", p("name"))],
            ..deployment()
        };
        assert_eq!(clean(&d)["Parameters"]["Name"]["AllowedPattern"], pattern);
    }
}

#[test]
fn groups_and_labels_become_the_console_interface() {
    let params = vec![
        Param {
            group: Some("Network".into()),
            label: Some("Office CIDR".into()),
            ..param("admin_cidr", ParamType::String)
        },
        param("image", ParamType::String),
        Param {
            group: Some("Network".into()),
            ..param("vpc_cidr", ParamType::String)
        },
    ];
    let d = Deployment {
        resources: vec![reader(&params)],
        params,
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Metadata"],
        json!({
            "AWS::CloudFormation::Interface": {
                "ParameterGroups": [
                    { "Label": { "default": "Network" }, "Parameters": ["AdminCidr", "VpcCidr"] }
                ],
                "ParameterLabels": { "AdminCidr": { "default": "Office CIDR" } }
            }
        })
    );
}

#[test]
fn resources_have_type_properties_and_explicit_dependencies() {
    let mut instance = resource(
        "Web",
        "AWS::EC2::Instance",
        vec![
            ("ImageId", p("image")),
            ("SubnetId", ref_to("Subnet")),
            ("KeyName", Expr::Null),
            (
                "Tags",
                Expr::List(vec![object(vec![("Key", s("Name")), ("Value", s("web"))])]),
            ),
        ],
    );
    instance.depends_on = vec![rid("Gateway"), rid("Subnet")];
    let d = Deployment {
        params: vec![param("image", ParamType::String)],
        resources: vec![
            resource("Subnet", "AWS::EC2::Subnet", vec![]),
            resource("Gateway", "AWS::EC2::InternetGateway", vec![]),
            instance,
        ],
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Resources"]["Web"],
        json!({
            "Type": "AWS::EC2::Instance",
            // `Subnet` is already ordered by the `Ref`.
            "DependsOn": "Gateway",
            "Properties": {
                "ImageId": { "Ref": "Image" },
                "SubnetId": { "Ref": "Subnet" },
                "Tags": [{ "Key": "Name", "Value": "web" }]
            }
        })
    );
}

#[test]
fn deletion_policies_are_printed_as_lowering_decided() {
    let with = |deletion| Resource {
        deletion,
        ..resource("R", "AWS::EC2::Volume", vec![])
    };
    let policy = |r: Resource| {
        let d = Deployment {
            resources: vec![r],
            ..deployment()
        };
        let t = clean(&d);
        let r = &t["Resources"]["R"];
        assert_eq!(r["DeletionPolicy"], r["UpdateReplacePolicy"]);
        r["DeletionPolicy"].as_str().map(str::to_string)
    };
    assert_eq!(policy(with(None)), None);
    for (deletion, printed) in [
        (Deletion::Delete, "Delete"),
        (Deletion::Retain, "Retain"),
        (Deletion::Snapshot, "Snapshot"),
    ] {
        assert_eq!(policy(with(Some(deletion))).as_deref(), Some(printed));
    }
}

#[test]
fn conditions_are_named_after_what_they_test_and_shared() {
    let is_prod = eq(p("env"), s("production"));
    let d = Deployment {
        params: vec![env_param()],
        resources: vec![
            Resource {
                condition: Some(Box::new(is_prod.clone())),
                ..resource("Bastion", "AWS::EC2::Instance", vec![])
            },
            Resource {
                condition: Some(Box::new(eq(s("production"), p("env")))),
                ..resource("BastionIp", "AWS::EC2::EIP", vec![])
            },
            resource(
                "App",
                "AWS::EC2::Instance",
                vec![(
                    "InstanceType",
                    cond(is_prod.clone(), s("t3.large"), s("t3.medium")),
                )],
            ),
        ],
        outputs: vec![Output {
            condition: Some(bin(BinaryOp::Ne, p("env"), s("production"))),
            ..output("note", s("staging"))
        }],
        ..deployment()
    };
    let t = clean(&d);
    assert_eq!(
        t["Conditions"],
        json!({
            "EnvIsProduction": { "Fn::Equals": [{ "Ref": "Env" }, "production"] },
            "EnvIsNotProduction": { "Fn::Not": [{ "Fn::Equals": [{ "Ref": "Env" }, "production"] }] }
        })
    );
    assert_eq!(
        t["Resources"]["Bastion"]["Condition"],
        json!("EnvIsProduction")
    );
    assert_eq!(
        t["Resources"]["BastionIp"]["Condition"],
        json!("EnvIsProduction")
    );
    assert_eq!(
        t["Resources"]["App"]["Properties"]["InstanceType"],
        json!({ "Fn::If": ["EnvIsProduction", "t3.large", "t3.medium"] })
    );
    assert_eq!(
        t["Outputs"]["Note"]["Condition"],
        json!("EnvIsNotProduction")
    );
}

#[test]
fn compound_conditions_refer_to_their_parts() {
    let d = Deployment {
        params: vec![env_param(), param("backups", ParamType::Bool)],
        resources: vec![
            Resource {
                condition: Some(Box::new(bin(
                    BinaryOp::And,
                    eq(p("env"), s("production")),
                    p("backups"),
                ))),
                ..resource("Vault", "AWS::S3::Bucket", vec![])
            },
            Resource {
                condition: Some(Box::new(Expr::Not(Box::new(p("backups"))))),
                ..resource("Scratch", "AWS::S3::Bucket", vec![])
            },
            Resource {
                condition: Some(Box::new(Expr::Not(Box::new(bin(
                    BinaryOp::Or,
                    eq(p("env"), s("production")),
                    p("backups"),
                ))))),
                ..resource("Other", "AWS::S3::Bucket", vec![])
            },
        ],
        ..deployment()
    };
    let t = clean(&d);
    assert_eq!(
        t["Conditions"],
        json!({
            "EnvIsProduction": { "Fn::Equals": [{ "Ref": "Env" }, "production"] },
            "BackupsIsTrue": { "Fn::Equals": [{ "Ref": "Backups" }, "true"] },
            "EnvIsProductionAndBackupsIsTrue": {
                "Fn::And": [{ "Condition": "EnvIsProduction" }, { "Condition": "BackupsIsTrue" }]
            },
            "BackupsIsFalse": { "Fn::Equals": [{ "Ref": "Backups" }, "false"] },
            "EnvIsProductionOrBackupsIsTrue": {
                "Fn::Or": [{ "Condition": "EnvIsProduction" }, { "Condition": "BackupsIsTrue" }]
            },
            "NotEnvIsProductionOrBackupsIsTrue": {
                "Fn::Not": [{ "Condition": "EnvIsProductionOrBackupsIsTrue" }]
            }
        })
    );
    assert_eq!(
        t["Resources"]["Scratch"]["Condition"],
        json!("BackupsIsFalse")
    );
}

#[test]
fn more_than_ten_operands_are_grouped() {
    let params: Vec<Param> = (0..12)
        .map(|i| param(&format!("f{i}"), ParamType::Bool))
        .collect();
    let all = (1..12).fold(p("f0"), |acc, i| {
        bin(BinaryOp::And, acc, p(&format!("f{i}")))
    });
    let d = Deployment {
        params,
        resources: vec![Resource {
            condition: Some(Box::new(all)),
            ..resource("B", "AWS::S3::Bucket", vec![])
        }],
        ..deployment()
    };
    let t = clean(&d);
    let name = t["Resources"]["B"]["Condition"].as_str().unwrap();
    let operands = t["Conditions"][name]["Fn::And"].as_array().unwrap();
    assert_eq!(operands.len(), 10);
    let rest = operands[9]["Condition"].as_str().unwrap();
    assert_eq!(
        t["Conditions"][rest]["Fn::And"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn absent_values_and_booleans_in_properties() {
    let is_prod = eq(p("env"), s("production"));
    let d = Deployment {
        params: vec![env_param()],
        resources: vec![resource(
            "Db",
            "AWS::RDS::DBInstance",
            vec![
                ("MultiAZ", is_prod.clone()),
                ("KmsKeyId", cond(is_prod.clone(), s("alias/db"), Expr::Null)),
                ("Public", cond(Expr::Bool(true), s("yes"), s("no"))),
            ],
        )],
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Resources"]["Db"]["Properties"],
        json!({
            "MultiAZ": { "Fn::If": ["EnvIsProduction", true, false] },
            "KmsKeyId": { "Fn::If": ["EnvIsProduction", "alias/db", { "Ref": "AWS::NoValue" }] },
            "Public": "yes"
        })
    );
}

#[test]
fn equality_of_booleans_and_conditional_operands() {
    let d = Deployment {
        params: vec![env_param(), param("flag", ParamType::Bool)],
        resources: vec![
            Resource {
                condition: Some(Box::new(eq(p("flag"), Expr::Bool(false)))),
                ..resource("A", "AWS::S3::Bucket", vec![])
            },
            Resource {
                condition: Some(Box::new(eq(
                    cond(p("flag"), s("x"), p("env")),
                    s("production"),
                ))),
                ..resource("B", "AWS::S3::Bucket", vec![])
            },
        ],
        ..deployment()
    };
    let t = clean(&d);
    assert_eq!(t["Resources"]["A"]["Condition"], json!("FlagIsFalse"));
    // `flag ? "x" : env` is never "x" == "production" when flag holds.
    assert_eq!(
        t["Conditions"]["FlagIsFalseAndEnvIsProduction"],
        json!({ "Fn::And": [{ "Condition": "FlagIsFalse" }, { "Condition": "EnvIsProduction" }] })
    );
}

#[test]
fn interpolation_is_sub_with_literal_dollars_escaped() {
    let d = Deployment {
        params: vec![
            env_param(),
            param("ports", ParamType::List(Box::new(ParamType::Int))),
        ],
        resources: vec![
            resource("Db", "AWS::RDS::DBInstance", vec![]),
            resource(
                "Web",
                "AWS::EC2::Instance",
                vec![
                    (
                        "UserData",
                        call(
                            "base64",
                            vec![Expr::Interp(vec![
                                Part::Text("echo ${HOME} ".into()),
                                Part::Expr(attr("Db", "Endpoint.Address")),
                                Part::Text(" ".into()),
                                Part::Expr(p("env")),
                                Part::Text(" ".into()),
                                Part::Expr(Expr::Context(Context::Region)),
                            ])],
                        ),
                    ),
                    (
                        "Name",
                        Expr::Interp(vec![
                            Part::Text("web-".into()),
                            Part::Expr(cond(eq(p("env"), s("production")), s("p"), s("s"))),
                        ]),
                    ),
                    ("Env", Expr::Interp(vec![Part::Expr(p("env"))])),
                ],
            ),
        ],
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Resources"]["Web"]["Properties"],
        json!({
            "UserData": { "Fn::Base64": {
                "Fn::Sub": "echo ${!HOME} ${Db.Endpoint.Address} ${Env} ${AWS::Region}"
            } },
            "Name": { "Fn::Join": ["", ["web-", { "Fn::If": ["EnvIsProduction", "p", "s"] }]] },
            "Env": { "Ref": "Env" }
        })
    );
}

#[test]
fn functions_become_intrinsics() {
    let zones = Expr::Context(Context::Zones);
    let vpc_cidr = Expr::Interp(vec![
        Part::Text("10.".into()),
        Part::Expr(p("octet")),
        Part::Text(".0.0/16".into()),
    ]);
    let d = Deployment {
        params: vec![
            param("octet", ParamType::Int),
            param("names", ParamType::List(Box::new(ParamType::String))),
            param("i", ParamType::Int),
        ],
        resources: vec![resource(
            "R",
            "AWS::EC2::Subnet",
            vec![
                ("A", call("join", vec![s(","), p("names")])),
                ("B", call("split", vec![s(","), p("names")])),
                (
                    "C",
                    Expr::Index(Box::new(zones.clone()), Box::new(Expr::Int(1))),
                ),
                ("D", call("element", vec![p("names"), p("i")])),
                (
                    "E",
                    call(
                        "cidrsubnet",
                        vec![vpc_cidr.clone(), Expr::Int(8), Expr::Int(2)],
                    ),
                ),
                (
                    "F",
                    call("cidrsubnet", vec![vpc_cidr, Expr::Int(4), p("i")]),
                ),
                ("G", Expr::Context(Context::StackName)),
                ("H", Expr::Context(Context::AccountId)),
                (
                    "I",
                    Expr::Index(
                        Box::new(Expr::List(vec![s("a"), p("octet")])),
                        Box::new(Expr::Int(1)),
                    ),
                ),
            ],
        )],
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Resources"]["R"]["Properties"],
        json!({
            "A": { "Fn::Join": [",", { "Ref": "Names" }] },
            "B": { "Fn::Split": [",", { "Ref": "Names" }] },
            "C": { "Fn::Select": [1, { "Fn::GetAZs": "" }] },
            "D": { "Fn::Select": [{ "Ref": "I" }, { "Ref": "Names" }] },
            "E": { "Fn::Select": [2, { "Fn::Cidr": [{ "Fn::Sub": "10.${Octet}.0.0/16" }, 3, 8] }] },
            "F": { "Fn::Select": [{ "Ref": "I" }, { "Fn::Cidr": [{ "Fn::Sub": "10.${Octet}.0.0/16" }, 16, 12] }] },
            "G": { "Ref": "AWS::StackName" },
            "H": { "Ref": "AWS::AccountId" },
            "I": { "Ref": "Octet" }
        })
    );
}

#[test]
fn a_map_read_with_a_deploy_time_key_is_a_mapping() {
    let sizes = object(vec![
        ("staging", s("t3.small")),
        ("production", s("t3.large")),
    ]);
    let settings = object(vec![
        (
            "staging",
            object(vec![
                ("instance_type", s("t3.small")),
                ("disk_gb", Expr::Int(20)),
            ]),
        ),
        (
            "production",
            object(vec![
                ("instance_type", s("t3.large")),
                ("disk_gb", Expr::Int(100)),
            ]),
        ),
    ]);
    let d = Deployment {
        params: vec![env_param()],
        resources: vec![resource(
            "Web",
            "AWS::EC2::Instance",
            vec![
                (
                    "InstanceType",
                    call("lookup", vec![sizes.clone(), p("env")]),
                ),
                (
                    "Other",
                    Expr::Index(Box::new(sizes.clone()), Box::new(p("env"))),
                ),
                (
                    "Disk",
                    Expr::Member(
                        Box::new(Expr::Index(Box::new(settings.clone()), Box::new(p("env")))),
                        "disk_gb".into(),
                    ),
                ),
                (
                    "Fallback",
                    call(
                        "lookup",
                        vec![object(vec![("production", s("big"))]), p("env"), s("small")],
                    ),
                ),
            ],
        )],
        ..deployment()
    };
    let t = clean(&d);
    assert_eq!(
        t["Mappings"],
        json!({
            "InstanceTypeByEnv": {
                "staging": { "Value": "t3.small" },
                "production": { "Value": "t3.large" }
            },
            "EnvMap": {
                "staging": { "InstanceType": "t3.small", "DiskGb": 20 },
                "production": { "InstanceType": "t3.large", "DiskGb": 100 }
            },
            "FallbackByEnv": {
                "production": { "Value": "big" },
                "staging": { "Value": "small" }
            }
        })
    );
    assert_eq!(
        t["Resources"]["Web"]["Properties"],
        json!({
            "InstanceType": { "Fn::FindInMap": ["InstanceTypeByEnv", { "Ref": "Env" }, "Value"] },
            "Other": { "Fn::FindInMap": ["InstanceTypeByEnv", { "Ref": "Env" }, "Value"] },
            "Disk": { "Fn::FindInMap": ["EnvMap", { "Ref": "Env" }, "DiskGb"] },
            "Fallback": { "Fn::FindInMap": ["FallbackByEnv", { "Ref": "Env" }, "Value"] }
        })
    );
}

#[test]
fn outputs_are_text_with_export_and_condition() {
    let d = Deployment {
        params: vec![env_param()],
        resources: vec![resource("Db", "AWS::RDS::DBInstance", vec![])],
        outputs: vec![
            Output {
                description: Some("Where the application connects.".into()),
                export: Some(Expr::Interp(vec![
                    Part::Expr(Expr::Context(Context::StackName)),
                    Part::Text("-db".into()),
                ])),
                condition: Some(eq(p("env"), s("production"))),
                ..output("db_endpoint", attr("Db", "Endpoint.Address"))
            },
            output("zones", Expr::Context(Context::Zones)),
            output("count", Expr::Int(3)),
            output("ids", Expr::List(vec![ref_to("Db"), s("x")])),
            output(
                "maybe",
                cond(eq(p("env"), s("production")), ref_to("Db"), Expr::Null),
            ),
        ],
        ..deployment()
    };
    assert_eq!(
        clean(&d)["Outputs"],
        json!({
            "DbEndpoint": {
                "Description": "Where the application connects.",
                "Condition": "EnvIsProduction",
                "Value": { "Fn::GetAtt": ["Db", "Endpoint.Address"] },
                "Export": { "Name": { "Fn::Sub": "${AWS::StackName}-db" } }
            },
            "Zones": { "Value": { "Fn::Join": [",", { "Fn::GetAZs": "" }] } },
            "Count": { "Value": "3" },
            "Ids": { "Value": { "Fn::Join": [",", [{ "Ref": "Db" }, "x"]] } },
            "Maybe": { "Value": { "Fn::If": ["EnvIsProduction", { "Ref": "Db" }, ""] } }
        })
    );
}

#[test]
fn an_export_that_may_be_empty_is_an_error() {
    let prod = || eq(p("env"), s("production"));
    let exported = |name: &str, value: Expr| Output {
        export: Some(s(&format!("app-{name}"))),
        ..output(name, value)
    };
    let d = |outputs| Deployment {
        params: vec![env_param()],
        resources: vec![resource("Db", "AWS::RDS::DBInstance", vec![])],
        outputs,
        ..deployment()
    };
    let db = || ref_to("Db");
    for value in [
        s(""),
        s(" \t"),
        Expr::Null,
        Expr::List(vec![]),
        cond(prod(), db(), s("")),
        cond(prod(), s(" "), db()),
        cond(prod(), db(), cond(eq(p("env"), s("staging")), db(), s(""))),
    ] {
        let (_, diagnostics) = emit(&d(vec![exported("a", value.clone())]));
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["E0520"], "{value:?}");
    }
    let (_, diagnostics) = emit(&d(vec![exported("a", cond(prod(), db(), s("")))]));
    assert!(
        diagnostics[0]
            .notes
            .iter()
            .any(|n| n.contains("condition `EnvIsProduction` is false")),
        "{:?}",
        diagnostics[0].notes
    );
    // Not exported, or never empty: fine. An output under a condition
    // (`c ? x : null`) exists only with its value.
    clean(&d(vec![
        output("a", cond(prod(), db(), s(""))),
        exported("b", cond(prod(), db(), s("none"))),
        Output {
            condition: Some(prod()),
            ..exported("c", db())
        },
    ]));
}

#[test]
fn sections_come_in_the_documented_order() {
    let d = Deployment {
        description: Some("d".into()),
        params: vec![Param {
            label: Some("Environment".into()),
            ..env_param()
        }],
        resources: vec![Resource {
            condition: Some(Box::new(eq(p("env"), s("production")))),
            ..resource(
                "R",
                "AWS::S3::Bucket",
                vec![(
                    "BucketName",
                    call(
                        "lookup",
                        vec![
                            object(vec![("staging", s("a")), ("production", s("b"))]),
                            p("env"),
                        ],
                    ),
                )],
            )
        }],
        outputs: vec![output("r", ref_to("R"))],
        ..deployment()
    };
    let t = clean(&d);
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "AWSTemplateFormatVersion",
            "Description",
            "Metadata",
            "Parameters",
            "Mappings",
            "Conditions",
            "Resources",
            "Outputs"
        ]
    );
}

#[test]
fn output_is_identical_across_runs() {
    let d = Deployment {
        params: vec![env_param()],
        resources: (0..50)
            .map(|i| Resource {
                condition: Some(Box::new(eq(p("env"), s(&format!("e{}", i % 7))))),
                ..resource(&format!("Q{i}"), "AWS::SQS::Queue", vec![])
            })
            .collect(),
        ..deployment()
    };
    let first = emit(&d).0;
    for _ in 0..5 {
        assert_eq!(emit(&d).0, first);
    }
}

#[test]
fn pascal_case_spells_logical_ids() {
    assert_eq!(pascal_case("web_server"), "WebServer");
    assert_eq!(pascal_case("adminCidr"), "AdminCidr");
    assert_eq!(pascal_case("us-east-1"), "UsEast1");
    assert_eq!(pascal_case("_"), "");
}

#[test]
fn a_resource_written_as_text_is_its_tree_printed() {
    let is_prod = eq(p("env"), s("production"));
    let is_staging = eq(p("env"), s("staging"));
    let d = resolved(&Deployment {
        params: vec![env_param()],
        resources: vec![
            Resource {
                condition: Some(Box::new(is_staging.clone())),
                ..resource("Queue", "AWS::SQS::Queue", vec![])
            },
            Resource {
                condition: Some(Box::new(is_prod.clone())),
                depends_on: vec![rid("Queue")],
                ..resource(
                    "App",
                    "AWS::EC2::Instance",
                    vec![
                        (
                            "InstanceType",
                            cond(is_staging.clone(), s("t3.small"), s("t3.large")),
                        ),
                        (
                            "Tags",
                            Expr::List(vec![
                                object(vec![
                                    // Keys the source map reads conditions from.
                                    ("Condition", s("NotACondition")),
                                    ("Fn::If", Expr::List(vec![s("Listed"), s("a"), s("b")])),
                                    ("Value", interp(vec![text("a-${x}-\"q\"-"), part(p("env"))])),
                                ]),
                                Expr::Null,
                                interp(vec![text("zone-"), part(Expr::Context(Context::Zones))]),
                                attr("Queue", "Arn"),
                                Expr::Int(-3),
                            ]),
                        ),
                        ("Nothing", Expr::Null),
                    ],
                )
            },
        ],
        ..deployment()
    });
    let param_ids = d
        .params
        .iter()
        .map(|p| (p.name.as_str(), pascal_case(&p.name)))
        .collect();
    let names = resource_names(&d);
    let mut by_tree = Emitter::new(&d, &param_ids, &names);
    let mut by_text = Emitter::new(&d, &param_ids, &names);
    for r in &d.resources {
        let tree = by_tree.resource(r).expect("created");
        let mut expected = String::new();
        json::write(&mut expected, &tree, 2);
        let mut written = String::new();
        let uses = by_text.write_resource(&mut written, r, 2).expect("created");
        assert_eq!(written, expected);
        assert_eq!(uses, Emitted::uses(Target::CloudFormation, &tree));
    }
    assert_eq!(by_text.conditions, by_tree.conditions);
    let uses = (by_text.write_resource(&mut String::new(), &d.resources[1], 2)).expect("created");
    assert_eq!(
        uses,
        ["EnvIsProduction", "EnvIsStaging", "NotACondition", "Listed"]
    );
}
