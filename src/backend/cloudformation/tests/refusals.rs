//! What CloudFormation refuses or cannot express: the errors and
//! warnings of the backend.

use super::*;

#[test]
fn deploy_time_arithmetic_is_an_error_naming_the_param() {
    let d = Deployment {
        params: vec![param("days", ParamType::Int)],
        resources: vec![resource(
            "Q",
            "AWS::SQS::Queue",
            vec![(
                "MessageRetentionPeriod",
                bin(BinaryOp::Mul, p("days"), Expr::Int(86400)),
            )],
        )],
        ..deployment()
    };
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "E0510");
    assert_eq!(
        diagnostics[0].message,
        "CloudFormation cannot compute `days * 86400` at deploy time"
    );
    assert!(diagnostics[0].help[0].contains("--param days=VALUE"));
}

#[test]
fn ordering_in_a_condition_is_an_error() {
    let d = Deployment {
        params: vec![param("n", ParamType::Int)],
        resources: vec![Resource {
            condition: Some(Box::new(bin(BinaryOp::Gt, p("n"), Expr::Int(2)))),
            ..resource("Q", "AWS::SQS::Queue", vec![])
        }],
        ..deployment()
    };
    assert_eq!(codes_of(&d), ["E0510"]);
}

#[test]
fn a_deploy_time_count_is_an_error() {
    let d = Deployment {
        params: vec![param("n", ParamType::Int)],
        resources: vec![Resource {
            count: Some(Box::new(p("n"))),
            ..resource(
                "Q",
                "AWS::SQS::Queue",
                vec![(
                    "QueueName",
                    Expr::Interp(vec![Part::Text("q-".into()), Part::Expr(Expr::CountIndex)]),
                )],
            )
        }],
        ..deployment()
    };
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "E0504");
    assert!(diagnostics[0].help[0].contains("--param n=N"));
}

#[test]
fn colliding_logical_ids_are_an_error() {
    let d = Deployment {
        params: vec![
            param("web_server", ParamType::String),
            param("webServer", ParamType::String),
        ],
        resources: vec![
            resource("WebServer", "AWS::SQS::Queue", vec![]),
            resource("Q", "AWS::SQS::Queue", vec![]),
            // As lowering names a second resource whose words make `Q`.
            resource("Q~2", "AWS::SQS::Queue", vec![]),
        ],
        outputs: vec![output("a_b", s("x")), output("aB", s("y"))],
        ..deployment()
    };
    // A param and a resource, two resources (E0503), two outputs.
    assert_eq!(codes_of(&d), ["E0511", "E0511", "E0503", "E0511"]);
}

#[test]
fn invalid_logical_ids_are_an_error() {
    let d = Deployment {
        params: vec![param("_", ParamType::String)],
        resources: vec![resource("Web-1", "AWS::SQS::Queue", vec![])],
        outputs: vec![output(&"x".repeat(300), s("y"))],
        ..deployment()
    };
    assert_eq!(codes_of(&d), ["E0512", "E0512", "E0512"]);
}

#[test]
fn functions_cloudformation_lacks_are_errors() {
    let d = Deployment {
        params: vec![env_param(), param("sep", ParamType::String)],
        resources: vec![resource(
            "R",
            "AWS::SQS::Queue",
            vec![
                ("A", call("upper", vec![p("env")])),
                (
                    "B",
                    call("join", vec![p("sep"), Expr::List(vec![p("env")])]),
                ),
                (
                    "C",
                    call("cidrsubnet", vec![p("env"), Expr::Int(8), Expr::Int(1)]),
                ),
                (
                    "D",
                    call(
                        "lookup",
                        vec![object(vec![("a", s("b"))]), p("sep"), s("c")],
                    ),
                ),
                ("E", call("length", vec![p("env")])),
            ],
        )],
        ..deployment()
    };
    let (_, diagnostics) = emit(&d);
    assert_eq!(
        diagnostics.iter().map(|d| d.code.id).collect::<Vec<_>>(),
        ["E0513"; 5]
    );
    assert!(diagnostics[4].notes[0].contains("LanguageExtensions"));
}

#[test]
fn a_condition_cannot_read_a_resource() {
    let d = Deployment {
        resources: vec![
            resource("Vpc", "AWS::EC2::VPC", vec![]),
            Resource {
                condition: Some(Box::new(eq(attr("Vpc", "CidrBlock"), s("10.0.0.0/16")))),
                ..resource("Q", "AWS::SQS::Queue", vec![])
            },
        ],
        ..deployment()
    };
    assert_eq!(codes_of(&d), ["E0514"]);
}

#[test]
fn values_without_a_cloudformation_shape_are_errors() {
    let d = Deployment {
        params: vec![
            param("tags", ParamType::Json),
            param("env", ParamType::String),
        ],
        resources: vec![resource(
            "R",
            "AWS::SQS::Queue",
            vec![
                ("A", Expr::Member(Box::new(p("tags")), "team".into())),
                (
                    "B",
                    call("lookup", vec![object(vec![("a_b", s("x"))]), p("env")]),
                ),
            ],
        )],
        outputs: vec![output("o", object(vec![("a", p("env"))]))],
        ..deployment()
    };
    assert_eq!(codes_of(&d), ["E0515", "E0515", "E0515"]);
}

#[test]
fn limits_are_errors() {
    let d = Deployment {
        params: (0..201)
            .map(|i| param(&format!("p{i}"), ParamType::String))
            .collect(),
        resources: (0..501)
            .map(|i| {
                let name = format!("p{}", i % 201);
                resource(
                    &format!("Q{i}"),
                    "AWS::SQS::Queue",
                    vec![("QueueName", Expr::Param(name))],
                )
            })
            .collect(),
        outputs: (0..201).map(|i| output(&format!("o{i}"), s("x"))).collect(),
        ..deployment()
    };
    let (_, diagnostics) = emit(&d);
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages[..3],
        [
            "the template has 501 resources: CloudFormation accepts at most 500",
            "the template has 201 parameters: CloudFormation accepts at most 200",
            "the template has 201 outputs: CloudFormation accepts at most 200",
        ]
    );
}

#[test]
fn a_template_too_large_is_an_error() {
    let big = "x".repeat(4000);
    let d = Deployment {
        resources: (0..260)
            .map(|i| {
                resource(
                    &format!("Q{i}"),
                    "AWS::SQS::Queue",
                    vec![("QueueName", s(&big))],
                )
            })
            .collect(),
        ..deployment()
    };
    let (template, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "E0516");
    assert_eq!(
        diagnostics[0].message,
        format!(
            "the template has {} bytes: CloudFormation accepts at most 1000000",
            template.len()
        )
    );
}

#[test]
fn ami_ids_are_told_from_image_names() {
    assert!(is_ami_id("ami-12345678"));
    assert!(is_ami_id("ami-0123456789abcdef0"));
    for name in [
        "ubuntu-24.04",
        "ami-",
        "ami-1234567",
        "ami-0123456789ABCDEF0",
        "AMI-12345678",
    ] {
        assert!(!is_ami_id(name), "{name}");
    }
}

#[test]
fn too_many_mappings_are_an_error() {
    let resources = (0..201)
        .map(|i| {
            resource(
                &format!("Q{i}"),
                "AWS::SQS::Queue",
                vec![(
                    "QueueName",
                    call(
                        "lookup",
                        vec![object(vec![("a", s(&i.to_string()))]), p("env")],
                    ),
                )],
            )
        })
        .collect();
    let d = Deployment {
        params: vec![param("env", ParamType::String)],
        resources,
        ..deployment()
    };
    let codes = codes_of(&d);
    assert!(codes.contains(&"E0516"), "{codes:?}");
}

#[test]
fn a_secret_in_an_output_is_an_error_naming_where_it_is_kept() {
    let password = Expr::Interp(vec![
        Part::Text("{{resolve:secretsmanager:".into()),
        Part::Expr(ref_to("Password")),
        Part::Text(":SecretString}}".into()),
    ]);
    let d = Deployment {
        resources: vec![resource("Password", "AWS::SecretsManager::Secret", vec![])],
        outputs: vec![
            Output {
                sensitive: true,
                ..output("password", password)
            },
            output("token", s("{{resolve:ssm-secure:/app/token}}")),
            // A plain `ssm` parameter is no secret: outputs may read it.
            output("ami", s("{{resolve:ssm:/aws/service/ami}}")),
        ],
        ..deployment()
    };
    let (_, diagnostics) = emit(&d);
    let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
    // No W0511 beside the error: the output is not written at all.
    assert_eq!(codes, ["E0518", "E0518"]);
    assert!(diagnostics[0].help.iter().any(|h| h.contains("`Password`")));
    assert!(diagnostics[1].message.contains("Parameter Store"));
}

#[test]
fn sensitive_outputs_and_unchecked_constraints_are_noted() {
    let d = Deployment {
        params: vec![Param {
            min_length: Some(2),
            ..param("zones", ParamType::List(Box::new(ParamType::String)))
        }],
        resources: vec![resource(
            "R",
            "AWS::SQS::Queue",
            vec![(
                "QueueName",
                Expr::Index(Box::new(p("zones")), Box::new(Expr::Int(0))),
            )],
        )],
        outputs: vec![Output {
            sensitive: true,
            ..output("secret", s("x"))
        }],
        ..deployment()
    };
    let (template, diagnostics) = emit(&d);
    let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["W0512", "W0511"]);
    assert_eq!(diagnostics[1].severity, crate::diagnostics::Severity::Note);
    assert_eq!(
        parsed(&template)["Parameters"]["Zones"],
        json!({ "Type": "CommaDelimitedList" })
    );
}

#[test]
fn a_secret_param_in_an_output_is_a_warning() {
    let d = Deployment {
        params: vec![Param {
            secret: true,
            ..param("db_password", ParamType::String)
        }],
        outputs: vec![Output {
            sensitive: true,
            ..output(
                "pw",
                Expr::Interp(vec![Part::Text("p-".into()), Part::Expr(p("db_password"))]),
            )
        }],
        resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
        ..deployment()
    };
    assert_eq!(codes_of(&d), ["W0514"]);
}
