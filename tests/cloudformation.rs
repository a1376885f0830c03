//! The CloudFormation backend on hand-made deployments of the shapes real
//! programs lower to, judged by the real tool: each template is written to a
//! temporary directory and, where `../shared/tools/cfn-validate` and its
//! cfn-lint are installed, must draw no error and no warning from it.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/named_ir.rs"]
mod named_ir;
#[path = "support/tools.rs"]
mod tools;

use infra::builtins::Builtin;
use std::sync::Arc;

use infra::ir::{
    Context, Deletion, Deployment, Expr, NativeFacts, Output, Param, ParamType, Part, Resource,
    Target,
};
use infra::syntax::ast::{BinaryOp, StateClass};
use named_ir::{resolved, rid};
use serde_json::json;

fn param(name: &str, ty: ParamType) -> Param {
    Param::new(name, ty)
}

fn resource(id: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, &id.to_lowercase(), type_name, properties)
}

/// An EC2 instance, which boots from the image in `ImageId`, as its schema's
/// `image` says (through lowering).
fn instance(id: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource {
        facts: Arc::new(NativeFacts {
            image_property: Some(vec!["ImageId".into()]),
            ..NativeFacts::default()
        }),
        ..resource(id, "AWS::EC2::Instance", properties)
    }
}

fn output(name: &str, value: Expr) -> Output {
    Output::new(name, value)
}

fn s(text: &str) -> Expr {
    Expr::String(text.into())
}

fn p(name: &str) -> Expr {
    Expr::Param(name.into())
}

fn r(id: &str) -> Expr {
    Expr::Ref(rid(id))
}

fn attr(id: &str, name: &str) -> Expr {
    Expr::Attr(rid(id), name.into())
}

fn eq(l: Expr, r: Expr) -> Expr {
    Expr::Binary(BinaryOp::Eq, Box::new(l), Box::new(r))
}

fn and(l: Expr, r: Expr) -> Expr {
    Expr::Binary(BinaryOp::And, Box::new(l), Box::new(r))
}

fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}

fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::If(Box::new(c), Box::new(a), Box::new(b))
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(Builtin::from_name(name).expect("a built-in"), args)
}

fn interp(parts: Vec<Part>) -> Expr {
    Expr::Interp(parts)
}

fn text(t: &str) -> Part {
    Part::Text(t.into())
}

fn part(e: Expr) -> Part {
    Part::Expr(e)
}

fn object(fields: Vec<(&str, Expr)>) -> Expr {
    Expr::object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn tags(name: Expr) -> Expr {
    Expr::List(vec![object(vec![("Key", s("Name")), ("Value", name)])])
}

fn env_param() -> Param {
    Param {
        description: Some("Deployment environment.".into()),
        default: Some(json!("staging")),
        allowed: Some(vec![json!("staging"), json!("production")]),
        group: Some("Deployment".into()),
        label: Some("Environment".into()),
        ..param("env", ParamType::String)
    }
}

fn is_prod() -> Expr {
    eq(p("env"), s("production"))
}

/// A VPC with public and private subnets, servers, a bastion that exists
/// only in production, and the usual params and outputs.
fn web() -> Deployment {
    let prefix = || interp(vec![text("app-"), part(p("env"))]);
    let mut route = resource(
        "GatewayRoute",
        "AWS::EC2::Route",
        vec![
            ("RouteTableId", r("GatewayRouteTable")),
            ("DestinationCidrBlock", s("0.0.0.0/0")),
            ("GatewayId", r("GatewayInternetGateway")),
        ],
    );
    route.depends_on = vec![rid("GatewayAttachment")];
    let server = |id: &str, i: usize| {
        instance(
            id,
            vec![
                ("ImageId", p("image")),
                (
                    "InstanceType",
                    call(
                        "lookup",
                        vec![
                            object(vec![
                                ("staging", s("t3.medium")),
                                ("production", s("t3.large")),
                            ]),
                            p("env"),
                        ],
                    ),
                ),
                ("SubnetId", r("Private")),
                ("SecurityGroupIds", Expr::List(vec![r("AppSg")])),
                (
                    "UserData",
                    call(
                        "base64",
                        vec![interp(vec![
                            text("#!/bin/sh\necho \"${HOSTNAME} in "),
                            part(Expr::Context(Context::Region)),
                            text("\" > /etc/motd\n"),
                        ])],
                    ),
                ),
                (
                    "Tags",
                    tags(interp(vec![part(p("env")), text(&format!("-app-{i}"))])),
                ),
            ],
        )
    };
    let mut bastion = instance(
        "Bastion",
        vec![
            ("ImageId", p("image")),
            ("InstanceType", s("t3.micro")),
            ("SubnetId", r("Dmz")),
            ("SecurityGroupIds", Expr::List(vec![r("BastionSg")])),
            ("KeyName", r("OpsKey")),
        ],
    );
    bastion.condition = Some(Box::new(is_prod()));
    bastion.depends_on = vec![rid("GatewayRoute")];
    Deployment {
        target: Target::CloudFormation,
        description: Some(
            "Application servers in a private subnet, with an SSH bastion host that\nexists only in production."
                .into(),
        ),
        params: vec![
            env_param(),
            Param {
                description: Some("Addresses allowed to reach the bastion over SSH.".into()),
                default: Some(json!("203.0.113.0/24")),
                pattern: Some(
                    "^([0-9]{1,3}[.]){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$".into(),
                ),
                message: Some("an IPv4 CIDR block such as 203.0.113.0/24".into()),
                group: Some("Access".into()),
                ..param("admin_cidr", ParamType::String)
            },
            Param {
                description: Some("The administrators' SSH public key.".into()),
                default: Some(json!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample admin")),
                pattern: Some("^ssh-(ed25519|rsa) .+$".into()),
                group: Some("Access".into()),
                ..param("admin_key", ParamType::String)
            },
            Param {
                description: Some("Machine image of every server.".into()),
                default: Some(json!("ami-0123456789abcdef0")),
                ..param("image", ParamType::String)
            },
        ],
        resources: vec![
            resource(
                "Net",
                "AWS::EC2::VPC",
                vec![
                    ("CidrBlock", s("10.10.0.0/16")),
                    ("EnableDnsSupport", Expr::Bool(true)),
                    ("EnableDnsHostnames", Expr::Bool(true)),
                    ("Tags", tags(prefix())),
                ],
            ),
            resource(
                "Dmz",
                "AWS::EC2::Subnet",
                vec![
                    ("VpcId", r("Net")),
                    ("CidrBlock", s("10.10.0.0/24")),
                    (
                        "AvailabilityZone",
                        Expr::Index(
                            Box::new(Expr::Context(Context::Zones)),
                            Box::new(Expr::Int(0)),
                        ),
                    ),
                    ("MapPublicIpOnLaunch", Expr::Bool(true)),
                ],
            ),
            resource(
                "Private",
                "AWS::EC2::Subnet",
                vec![
                    ("VpcId", r("Net")),
                    ("CidrBlock", s("10.10.1.0/24")),
                    (
                        "AvailabilityZone",
                        Expr::Index(
                            Box::new(Expr::Context(Context::Zones)),
                            Box::new(Expr::Int(0)),
                        ),
                    ),
                ],
            ),
            resource("GatewayInternetGateway", "AWS::EC2::InternetGateway", vec![]),
            resource(
                "GatewayAttachment",
                "AWS::EC2::VPCGatewayAttachment",
                vec![
                    ("VpcId", r("Net")),
                    ("InternetGatewayId", r("GatewayInternetGateway")),
                ],
            ),
            resource(
                "GatewayRouteTable",
                "AWS::EC2::RouteTable",
                vec![("VpcId", r("Net"))],
            ),
            route,
            resource(
                "GatewayDmzAssociation",
                "AWS::EC2::SubnetRouteTableAssociation",
                vec![
                    ("SubnetId", r("Dmz")),
                    ("RouteTableId", r("GatewayRouteTable")),
                ],
            ),
            resource(
                "BastionSg",
                "AWS::EC2::SecurityGroup",
                vec![
                    ("GroupDescription", s("SSH from admins")),
                    ("VpcId", r("Net")),
                    (
                        "SecurityGroupIngress",
                        Expr::List(vec![object(vec![
                            ("IpProtocol", s("tcp")),
                            ("FromPort", Expr::Int(22)),
                            ("ToPort", Expr::Int(22)),
                            ("CidrIp", p("admin_cidr")),
                            ("Description", s("SSH from admins")),
                        ])]),
                    ),
                ],
            ),
            resource(
                "AppSg",
                "AWS::EC2::SecurityGroup",
                vec![
                    ("GroupDescription", s("HTTP inside the network")),
                    ("VpcId", r("Net")),
                    (
                        "SecurityGroupIngress",
                        cond(
                            is_prod(),
                            Expr::List(vec![
                                object(vec![
                                    ("IpProtocol", s("tcp")),
                                    ("FromPort", Expr::Int(80)),
                                    ("ToPort", Expr::Int(80)),
                                    ("CidrIp", s("10.10.0.0/16")),
                                ]),
                                object(vec![
                                    ("IpProtocol", s("tcp")),
                                    ("FromPort", Expr::Int(22)),
                                    ("ToPort", Expr::Int(22)),
                                    ("SourceSecurityGroupId", r("BastionSg")),
                                ]),
                            ]),
                            Expr::List(vec![object(vec![
                                ("IpProtocol", s("tcp")),
                                ("FromPort", Expr::Int(80)),
                                ("ToPort", Expr::Int(80)),
                                ("CidrIp", s("10.10.0.0/16")),
                            ])]),
                        ),
                    ),
                ],
            ),
            server("App0", 0),
            server("App1", 1),
            Resource {
                condition: Some(Box::new(is_prod())),
                ..resource(
                    "OpsKey",
                    "AWS::EC2::KeyPair",
                    vec![
                        ("KeyName", interp(vec![text("app-"), part(p("env")), text("-admins")])),
                        ("PublicKeyMaterial", p("admin_key")),
                    ],
                )
            },
            bastion,
            Resource {
                condition: Some(Box::new(eq(s("production"), p("env")))),
                ..resource(
                    "BastionIp",
                    "AWS::EC2::EIP",
                    vec![("Domain", s("vpc")), ("InstanceId", r("Bastion"))],
                )
            },
        ],
        outputs: vec![
            Output {
                description: Some("How to reach the bastion, in production.".into()),
                export: Some(interp(vec![text("app-"), part(p("env")), text("-bastion")])),
                // An export cannot be empty: the output exists where it has
                // a value.
                condition: Some(is_prod()),
                ..output("bastion_address", attr("BastionIp", "PublicIp"))
            },
            Output {
                condition: Some(is_prod()),
                ..output(
                    "ssh_command",
                    interp(vec![
                        text("ssh -J ubuntu@"),
                        part(attr("BastionIp", "PublicIp")),
                        text(" ubuntu@"),
                        part(attr("App0", "PrivateIp")),
                    ]),
                )
            },
            output(
                "app_ips",
                Expr::List(vec![attr("App0", "PrivateIp"), attr("App1", "PrivateIp")]),
            ),
            output("zones", Expr::Context(Context::Zones)),
        ],
    }
}

/// Data that must survive: a database with a generated password, a volume,
/// a bucket and queues, with protection from the state class.
fn data() -> Deployment {
    let backups = || p("backups");
    Deployment {
        target: Target::CloudFormation,
        description: Some("Stateful services.".into()),
        params: vec![
            env_param(),
            Param {
                description: Some("Size of the data volume in GB.".into()),
                default: Some(json!(100)),
                min: Some(json!(10)),
                max: Some(json!(4096)),
                message: Some("between 10 GB and 4 TB".into()),
                group: Some("Storage".into()),
                ..param("data_gb", ParamType::Int)
            },
            Param {
                description: Some("Keep a snapshot of the database every night.".into()),
                default: Some(json!(true)),
                ..param("backups", ParamType::Bool)
            },
            Param {
                description: Some("The database administrator's name.".into()),
                default: Some(json!("admin")),
                min_length: Some(1),
                max_length: Some(16),
                pattern: Some("^[a-z][a-z0-9]*$".into()),
                message: Some("lower-case letters and digits, starting with a letter".into()),
                secret: true,
                ..param("db_user", ParamType::String)
            },
            Param {
                description: Some("Subnets of the database.".into()),
                default: Some(json!([
                    "subnet-0123456789abcdef0",
                    "subnet-0123456789abcdef1"
                ])),
                ..param("subnets", ParamType::List(Box::new(ParamType::String)))
            },
        ],
        resources: vec![
            resource(
                "DbPasswordSecret",
                "AWS::SecretsManager::Secret",
                vec![(
                    "GenerateSecretString",
                    object(vec![
                        ("PasswordLength", Expr::Int(32)),
                        ("ExcludeCharacters", s("\"',./;@\\^`|~")),
                    ]),
                )],
            ),
            resource(
                "DbSubnetGroup",
                "AWS::RDS::DBSubnetGroup",
                vec![
                    ("DBSubnetGroupDescription", s("Subnets of the database")),
                    ("SubnetIds", p("subnets")),
                ],
            ),
            Resource {
                state: StateClass::Persistent,
                snapshot: true,
                ..resource(
                    "Db",
                    "AWS::RDS::DBInstance",
                    vec![
                        ("Engine", s("postgres")),
                        (
                            "DBInstanceClass",
                            cond(is_prod(), s("db.m6g.large"), s("db.t4g.small")),
                        ),
                        ("AllocatedStorage", s("20")),
                        ("MasterUsername", p("db_user")),
                        (
                            "MasterUserPassword",
                            interp(vec![
                                text("{{resolve:secretsmanager:"),
                                part(r("DbPasswordSecret")),
                                text(":SecretString}}"),
                            ]),
                        ),
                        ("DBSubnetGroupName", r("DbSubnetGroup")),
                        ("MultiAZ", is_prod()),
                        ("StorageEncrypted", Expr::Bool(true)),
                        (
                            "BackupRetentionPeriod",
                            cond(backups(), Expr::Int(7), Expr::Null),
                        ),
                    ],
                )
            },
            Resource {
                state: StateClass::Persistent,
                snapshot: true,
                ..resource(
                    "Data",
                    "AWS::EC2::Volume",
                    vec![
                        (
                            "AvailabilityZone",
                            Expr::Index(
                                Box::new(Expr::Context(Context::Zones)),
                                Box::new(Expr::Int(0)),
                            ),
                        ),
                        ("Size", p("data_gb")),
                        ("VolumeType", s("gp3")),
                        ("Encrypted", Expr::Bool(true)),
                    ],
                )
            },
            Resource {
                state: StateClass::Persistent,
                condition: Some(Box::new(and(is_prod(), backups()))),
                ..resource(
                    "Archive",
                    "AWS::S3::Bucket",
                    vec![(
                        "VersioningConfiguration",
                        object(vec![("Status", s("Enabled"))]),
                    )],
                )
            },
            Resource {
                state: StateClass::Persistent,
                deletion: Some(Deletion::Delete),
                condition: Some(Box::new(not(is_prod()))),
                ..resource("Scratch", "AWS::S3::Bucket", vec![])
            },
            Resource {
                state: StateClass::Volatile,
                ..resource(
                    "JobsDeadLetter",
                    "AWS::SQS::Queue",
                    vec![("MessageRetentionPeriod", Expr::Int(1209600))],
                )
            },
            Resource {
                state: StateClass::Volatile,
                ..resource(
                    "Jobs",
                    "AWS::SQS::Queue",
                    vec![
                        ("VisibilityTimeout", Expr::Int(30)),
                        (
                            "RedrivePolicy",
                            object(vec![
                                ("deadLetterTargetArn", attr("JobsDeadLetter", "Arn")),
                                ("maxReceiveCount", Expr::Int(5)),
                            ]),
                        ),
                    ],
                )
            },
        ],
        outputs: vec![
            Output {
                description: Some("Where the application connects.".into()),
                export: Some(interp(vec![
                    part(Expr::Context(Context::StackName)),
                    text("-db"),
                ])),
                ..output("db_endpoint", attr("Db", "Endpoint.Address"))
            },
            output("db_port", attr("Db", "Endpoint.Port")),
            output("queue_url", r("Jobs")),
            Output {
                condition: Some(and(is_prod(), backups())),
                ..output("archive", r("Archive"))
            },
            output("backups_on", backups()),
            output("prod", is_prod()),
        ],
    }
}

/// Everything through params and pseudo params: mappings of objects,
/// `Fn::Cidr` with a deploy-time index, list params, joins and splits.
fn lookups() -> Deployment {
    let regions = object(vec![
        (
            "eu-west-1",
            object(vec![
                ("ami", s("ami-0aaaaaaaaaaaaaaaa")),
                ("zones", Expr::Int(3)),
            ]),
        ),
        (
            "us-east-1",
            object(vec![
                ("ami", s("ami-0bbbbbbbbbbbbbbbb")),
                ("zones", Expr::Int(6)),
            ]),
        ),
    ]);
    let region_image = Expr::Member(
        Box::new(Expr::Index(
            Box::new(regions),
            Box::new(Expr::Context(Context::Region)),
        )),
        "ami".into(),
    );
    Deployment {
        target: Target::CloudFormation,
        description: None,
        params: vec![
            Param {
                default: Some(json!(16)),
                min: Some(json!(0)),
                max: Some(json!(255)),
                ..param("octet", ParamType::Int)
            },
            Param {
                default: Some(json!(0)),
                min: Some(json!(0)),
                max: Some(json!(15)),
                ..param("index", ParamType::Int)
            },
            Param {
                default: Some(json!(["web", "api"])),
                ..param("roles", ParamType::List(Box::new(ParamType::String)))
            },
            Param {
                default: Some(json!([8080, 8443])),
                ..param("ports", ParamType::List(Box::new(ParamType::Int)))
            },
        ],
        resources: vec![
            resource(
                "Net",
                "AWS::EC2::VPC",
                vec![(
                    "CidrBlock",
                    interp(vec![text("10."), part(p("octet")), text(".0.0/16")]),
                )],
            ),
            resource(
                "Sub",
                "AWS::EC2::Subnet",
                vec![
                    ("VpcId", r("Net")),
                    (
                        "CidrBlock",
                        call(
                            "cidrsubnet",
                            vec![
                                interp(vec![text("10."), part(p("octet")), text(".0.0/16")]),
                                Expr::Int(4),
                                p("index"),
                            ],
                        ),
                    ),
                ],
            ),
            instance(
                "Server",
                vec![
                    ("ImageId", region_image),
                    ("SubnetId", r("Sub")),
                    (
                        "Tags",
                        Expr::List(vec![
                            object(vec![
                                ("Key", s("Roles")),
                                ("Value", call("join", vec![s("+"), p("roles")])),
                            ]),
                            object(vec![
                                ("Key", s("FirstRole")),
                                ("Value", call("element", vec![p("roles"), Expr::Int(0)])),
                            ]),
                            object(vec![
                                ("Key", s("Stack")),
                                (
                                    "Value",
                                    interp(vec![
                                        part(Expr::Context(Context::StackName)),
                                        text("/"),
                                        part(Expr::Context(Context::AccountId)),
                                    ]),
                                ),
                            ]),
                        ]),
                    ),
                ],
            ),
        ],
        outputs: vec![
            output("ports", p("ports")),
            output(
                "first_port",
                Expr::Index(Box::new(p("ports")), Box::new(Expr::Int(0))),
            ),
            output(
                "parts",
                call(
                    "split",
                    vec![s("."), interp(vec![text("a."), part(p("octet"))])],
                ),
            ),
        ],
    }
}

/// Conditions of every shape: compound, negated, on booleans, more than ten
/// operands, deploy-time booleans as property values, lookups with a
/// default, and a boolean param read as it is.
fn conditions() -> Deployment {
    let flags: Vec<Param> = (0..11)
        .map(|i| Param {
            default: Some(json!(true)),
            ..param(&format!("feature_{i}"), ParamType::Bool)
        })
        .collect();
    let all_features = (1..11).fold(p("feature_0"), |acc, i| {
        and(acc, p(&format!("feature_{i}")))
    });
    let mut params = vec![
        env_param(),
        Param {
            default: Some(json!("eu-west-1")),
            ..param("home_region", ParamType::String)
        },
        Param {
            default: Some(json!(false)),
            ..param("dns", ParamType::Bool)
        },
    ];
    params.extend(flags);
    let or = |l, r| Expr::Binary(BinaryOp::Or, Box::new(l), Box::new(r));
    Deployment {
        target: Target::CloudFormation,
        description: Some("Conditions.".into()),
        params,
        resources: vec![
            resource(
                "Net",
                "AWS::EC2::VPC",
                vec![
                    ("CidrBlock", s("10.0.0.0/16")),
                    ("EnableDnsSupport", p("dns")),
                    ("EnableDnsHostnames", or(is_prod(), p("dns"))),
                ],
            ),
            Resource {
                condition: Some(Box::new(and(
                    not(is_prod()),
                    eq(Expr::Context(Context::Region), p("home_region")),
                ))),
                ..resource(
                    "Logs",
                    "AWS::Logs::LogGroup",
                    vec![(
                        "RetentionInDays",
                        call(
                            "lookup",
                            vec![
                                object(vec![("production", Expr::Int(365))]),
                                p("env"),
                                Expr::Int(14),
                            ],
                        ),
                    )],
                )
            },
            Resource {
                condition: Some(Box::new(all_features)),
                ..resource("Everything", "AWS::SQS::Queue", vec![])
            },
            Resource {
                condition: Some(Box::new(eq(p("dns"), is_prod()))),
                ..resource("Agree", "AWS::SQS::Queue", vec![])
            },
        ],
        outputs: vec![
            Output {
                condition: Some(and(
                    not(is_prod()),
                    eq(Expr::Context(Context::Region), p("home_region")),
                )),
                ..output("logs", r("Logs"))
            },
            output("dns_on", p("dns")),
            output("agree", cond(eq(p("dns"), is_prod()), s("yes"), s("no"))),
        ],
    }
}

fn validator() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/cfn-validate");
    let venv = std::env::var_os("CFN_VENV").unwrap_or_else(|| "/opt/cfn-venv".into());
    let installed = Path::new(&venv).join("bin/cfn-lint").exists();
    let found = script.exists() && installed;
    tools::available("cfn-lint (../shared/tools/cfn-setup)", found).then_some(script)
}

fn templates() -> Vec<(&'static str, Deployment)> {
    vec![
        ("web", web()),
        ("data", data()),
        ("lookups", lookups()),
        ("conditions", conditions()),
    ]
}

#[test]
fn hand_made_deployments_emit_without_diagnostics() {
    for (name, deployment) in templates() {
        let (_, diagnostics) = infra::backend::emit(&resolved(&deployment));
        let found: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect();
        assert!(found.is_empty(), "{name}: {found:#?}");
    }
}

#[test]
fn emitting_twice_gives_identical_bytes() {
    for (_, deployment) in templates() {
        let first = infra::backend::emit(&resolved(&deployment)).0;
        let second = infra::backend::emit(&resolved(&deployment)).0;
        assert_eq!(first, second);
    }
}

#[test]
fn cfn_lint_accepts_the_templates() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // `INFRA_CFN_OUT=DIR` keeps the templates there, to read them.
    let out =
        std::env::var_os("INFRA_CFN_OUT").map_or_else(|| dir.path().to_path_buf(), PathBuf::from);
    let mut files = Vec::new();
    for (name, deployment) in templates() {
        let (template, _) = infra::backend::emit(&resolved(&deployment));
        let path = out.join(format!("{name}.template.json"));
        std::fs::write(&path, template).expect("write template");
        files.push(path);
    }
    let Some(validator) = validator() else {
        return;
    };
    let result = Command::new(validator)
        .args(&files)
        .output()
        .expect("cfn-validate runs");
    let report = String::from_utf8_lossy(&result.stdout);
    let errors = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "cfn-lint found problems:\n{report}\n{errors}"
    );
}
