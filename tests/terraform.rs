//! The Terraform backend on representative hand-made deployments, for both
//! providers: the configurations emit without diagnostics, are byte-identical
//! across runs, and, when `../shared/tools/tf-validate` is on this machine,
//! the validator reports nothing on them (`--strict`: warnings fail too).

use std::path::{Path, PathBuf};

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

fn resource(id: &str, snake: &str, ty: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, snake, ty, properties)
}

/// A generated password, its secrets marked as its schema's
/// `sensitive_attributes` says (lowering copies them).
fn password(properties: Vec<(&str, Expr)>) -> Resource {
    Resource {
        facts: Arc::new(NativeFacts {
            sensitive_attributes: vec!["bcrypt_hash".into(), "result".into()],
            ..NativeFacts::default()
        }),
        ..resource("Password", "password", "random_password", properties)
    }
}

fn param(name: &str, ty: ParamType) -> Param {
    Param::new(name, ty)
}

fn output(name: &str, description: &str, value: Expr) -> Output {
    Output {
        description: Some(description.into()),
        ..Output::new(name, value)
    }
}

fn s(text: &str) -> Expr {
    Expr::String(text.into())
}

fn var(name: &str) -> Expr {
    Expr::Param(name.into())
}

fn id(of: &str) -> Expr {
    Expr::Ref(rid(of))
}

fn attr(of: &str, path: &str) -> Expr {
    Expr::Attr(rid(of), path.into())
}

fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::If(Box::new(c), Box::new(a), Box::new(b))
}

fn obj(fields: Vec<(&str, Expr)>) -> Expr {
    Expr::object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
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

/// `"${app}-${env}-SUFFIX"`.
fn named(suffix: &str) -> Expr {
    interp(vec![
        part(var("app")),
        text("-"),
        part(var("env")),
        text(&format!("-{suffix}")),
    ])
}

/// The params both stacks share.
fn common_params() -> Vec<Param> {
    let mut env = param("env", ParamType::String);
    env.description = Some("Deployment environment.".into());
    env.default = Some(serde_json::json!("staging"));
    env.allowed = Some(vec![
        serde_json::json!("staging"),
        serde_json::json!("production"),
    ]);
    let mut app = param("app", ParamType::String);
    app.description = Some("Short name of the application.".into());
    app.default = Some(serde_json::json!("shop"));
    app.pattern = Some("^[a-z][a-z0-9-]{1,15}$".into());
    app.message = Some("2 to 16 lower-case letters, digits and hyphens".into());
    let mut web_count = param("web_count", ParamType::Int);
    web_count.description = Some("Number of web servers.".into());
    web_count.default = Some(serde_json::json!(2));
    web_count.min = Some(serde_json::json!(1));
    web_count.max = Some(serde_json::json!(20));
    let mut volume_size = param("volume_size", ParamType::Int);
    volume_size.description = Some("Root volume size in GB; null for the image's.".into());
    volume_size.default = Some(serde_json::Value::Null);
    let mut db_password = param("db_password", ParamType::String);
    db_password.description = Some("Master password of the database.".into());
    db_password.secret = true;
    db_password.min_length = Some(12);
    db_password.pattern = Some("[A-Za-z0-9]+".into());
    let mut cidrs = param("admin_cidrs", ParamType::List(Box::new(ParamType::String)));
    cidrs.default = Some(serde_json::json!(["203.0.113.0/24"]));
    cidrs.max_length = Some(5);
    let mut version = param("version", ParamType::String);
    version.default = Some(serde_json::json!("16.4"));
    vec![
        env,
        app,
        web_count,
        volume_size,
        db_password,
        cidrs,
        version,
    ]
}

fn is_prod() -> Expr {
    bin(BinaryOp::Eq, var("env"), s("production"))
}

/// A web stack on AWS: network, security group, a deploy-time number of web
/// servers with an optional root volume size, a production-only bastion, a
/// persistent database and a random password.
fn aws_stack() -> Deployment {
    let mut params = common_params();
    let mut region = param("region", ParamType::String);
    region.default = Some(serde_json::json!("eu-west-1"));
    params.push(region);
    let zone = |i: i64| {
        Expr::Index(
            Box::new(Expr::Context(Context::Zones)),
            Box::new(Expr::Int(i)),
        )
    };
    let mut resources = vec![
        resource(
            "Net",
            "net",
            "aws_vpc",
            vec![
                ("cidr_block", s("10.0.0.0/16")),
                ("tags", obj(vec![("Name", named("net"))])),
            ],
        ),
        resource(
            "Public",
            "public",
            "aws_subnet",
            vec![
                ("vpc_id", id("Net")),
                ("cidr_block", s("10.0.0.0/24")),
                ("availability_zone", zone(0)),
                ("map_public_ip_on_launch", Expr::Bool(true)),
            ],
        ),
        resource(
            "Private",
            "private",
            "aws_subnet",
            vec![
                ("vpc_id", id("Net")),
                (
                    "cidr_block",
                    Expr::Call(
                        Builtin::from_name("cidrsubnet").expect("a built-in"),
                        vec![attr("Net", "cidr_block"), Expr::Int(8), Expr::Int(1)],
                    ),
                ),
                ("availability_zone", zone(1)),
            ],
        ),
        resource(
            "WebSg",
            "web_sg",
            "aws_security_group",
            vec![
                ("name", named("web")),
                ("description", s("Web servers: ${port} from anywhere")),
                ("vpc_id", id("Net")),
            ],
        ),
        resource(
            "WebSgHttp",
            "web_sg_http",
            "aws_vpc_security_group_ingress_rule",
            vec![
                ("security_group_id", id("WebSg")),
                ("ip_protocol", s("tcp")),
                ("from_port", Expr::Int(80)),
                ("to_port", Expr::Int(80)),
                ("cidr_ipv4", s("0.0.0.0/0")),
            ],
        ),
        resource(
            "WebSgSsh",
            "web_sg_ssh",
            "aws_vpc_security_group_ingress_rule",
            vec![
                ("security_group_id", id("WebSg")),
                ("ip_protocol", s("tcp")),
                ("from_port", Expr::Int(22)),
                ("to_port", Expr::Int(22)),
                (
                    "cidr_ipv4",
                    Expr::Call(
                        Builtin::from_name("element").expect("a built-in"),
                        vec![var("admin_cidrs"), Expr::Int(0)],
                    ),
                ),
            ],
        ),
    ];
    let mut web = resource(
        "Web",
        "web",
        "aws_instance",
        vec![
            ("ami", s("ami-0123456789abcdef0")),
            (
                "instance_type",
                cond(is_prod(), s("t3.large"), s("t3.small")),
            ),
            ("subnet_id", id("Private")),
            ("vpc_security_group_ids", Expr::List(vec![id("WebSg")])),
            (
                "root_block_device",
                cond(
                    bin(BinaryOp::Ne, var("volume_size"), Expr::Null),
                    Expr::List(vec![obj(vec![
                        ("volume_size", var("volume_size")),
                        ("encrypted", Expr::Bool(true)),
                    ])]),
                    Expr::Null,
                ),
            ),
            (
                "user_data",
                interp(vec![
                    text("#!/bin/sh\necho \"server ${HOSTNAME} #"),
                    part(bin(BinaryOp::Add, Expr::CountIndex, Expr::Int(1))),
                    text(" of "),
                    part(var("web_count")),
                    text(" in "),
                    part(Expr::Context(Context::Region)),
                    text("\"\n"),
                ]),
            ),
            (
                "tags",
                obj(vec![(
                    "Name",
                    interp(vec![part(named("web")), text("-"), part(Expr::CountIndex)]),
                )]),
            ),
        ],
    );
    web.count = Some(Box::new(var("web_count")));
    resources.push(web);
    let mut bastion = resource(
        "Bastion",
        "bastion",
        "aws_instance",
        vec![
            ("ami", s("ami-0123456789abcdef0")),
            (
                "instance_type",
                cond(is_prod(), s("t3.large"), s("t3.small")),
            ),
            ("subnet_id", id("Public")),
            (
                "vpc_security_group_ids",
                Expr::List(vec![id("WebSg"), cond(is_prod(), Expr::Null, id("WebSg"))]),
            ),
            ("tags", obj(vec![("Name", named("bastion"))])),
        ],
    );
    bastion.condition = Some(Box::new(is_prod()));
    bastion.depends_on = vec![rid("WebSgSsh")];
    resources.push(bastion);
    let mut ip = resource(
        "BastionIp",
        "bastion_ip",
        "aws_eip",
        vec![("domain", s("vpc")), ("instance", id("Bastion"))],
    );
    ip.condition = Some(Box::new(is_prod()));
    resources.push(ip);
    resources.push(password(vec![
        ("length", Expr::Int(32)),
        ("special", Expr::Bool(false)),
    ]));
    let mut db = resource(
        "Db",
        "db",
        "aws_db_instance",
        vec![
            ("identifier", named("db")),
            ("engine", s("postgres")),
            ("engine_version", var("version")),
            (
                "instance_class",
                Expr::Index(
                    Box::new(obj(vec![
                        ("staging", s("db.t3.small")),
                        ("production", s("db.t3.large")),
                    ])),
                    Box::new(var("env")),
                ),
            ),
            ("allocated_storage", Expr::Int(20)),
            ("username", s("app")),
            ("password", var("db_password")),
            ("skip_final_snapshot", Expr::Bool(false)),
            (
                "final_snapshot_identifier",
                interp(vec![part(named("db")), text("-final")]),
            ),
        ],
    );
    db.state = StateClass::Persistent;
    db.deletion = Some(Deletion::Snapshot);
    db.snapshot = true;
    resources.push(db);
    let mut bastion_address = output(
        "bastion_address",
        "How to reach the bastion.",
        attr("BastionIp", "public_ip"),
    );
    bastion_address.condition = Some(is_prod());
    Deployment {
        target: Target::TerraformAws,
        description: Some("A web stack with a database.".into()),
        params,
        resources,
        outputs: vec![
            output(
                "web_ips",
                "The web servers' addresses.",
                attr("Web", "private_ip"),
            ),
            output(
                "first_web",
                "The first web server.",
                Expr::Index(Box::new(id("Web")), Box::new(Expr::Int(0))),
            ),
            bastion_address,
            output(
                "db_url",
                "Where the application connects.",
                interp(vec![
                    text("postgres://app:"),
                    part(var("db_password")),
                    text("@"),
                    part(attr("Db", "address")),
                    text("/"),
                ]),
            ),
            output(
                "generated",
                "A generated password.",
                attr("Password", "result"),
            ),
            output(
                "account",
                "Where it runs.",
                interp(vec![
                    part(Expr::Context(Context::AccountId)),
                    text("/"),
                    part(Expr::Context(Context::StackName)),
                ]),
            ),
            output(
                "servers",
                "Half the servers, rounded down.",
                bin(BinaryOp::Div, var("web_count"), Expr::Int(2)),
            ),
        ],
    }
}

/// The same kind of stack on OpenStack.
fn openstack_stack() -> Deployment {
    let params = common_params();
    let mut resources = vec![
        resource(
            "Net",
            "net",
            "openstack_networking_network_v2",
            vec![("name", named("net"))],
        ),
        resource(
            "Subnet",
            "subnet",
            "openstack_networking_subnet_v2",
            vec![
                ("network_id", id("Net")),
                ("cidr", s("10.0.0.0/24")),
                ("ip_version", Expr::Int(4)),
            ],
        ),
        resource(
            "WebSg",
            "web_sg",
            "openstack_networking_secgroup_v2",
            vec![("name", named("web"))],
        ),
        resource(
            "WebSgHttp",
            "web_sg_http",
            "openstack_networking_secgroup_rule_v2",
            vec![
                ("security_group_id", id("WebSg")),
                ("direction", s("ingress")),
                ("ethertype", s("IPv4")),
                ("protocol", s("tcp")),
                ("port_range_min", Expr::Int(80)),
                ("port_range_max", Expr::Int(80)),
                ("remote_ip_prefix", s("0.0.0.0/0")),
            ],
        ),
    ];
    let mut web = resource(
        "Web",
        "web",
        "openstack_compute_instance_v2",
        vec![
            (
                "name",
                interp(vec![part(named("web")), text("-"), part(Expr::CountIndex)]),
            ),
            ("image_name", s("ubuntu-24.04")),
            ("flavor_name", cond(is_prod(), s("m1.large"), s("m1.small"))),
            ("security_groups", Expr::List(vec![attr("WebSg", "name")])),
            (
                "availability_zone",
                Expr::Call(
                    Builtin::from_name("element").expect("a built-in"),
                    vec![Expr::Context(Context::Zones), Expr::CountIndex],
                ),
            ),
            ("network", Expr::List(vec![obj(vec![("uuid", id("Net"))])])),
            (
                "block_device",
                cond(
                    bin(BinaryOp::Ne, var("volume_size"), Expr::Null),
                    Expr::List(vec![obj(vec![
                        ("source_type", s("image")),
                        ("destination_type", s("volume")),
                        ("volume_size", var("volume_size")),
                        ("boot_index", Expr::Int(0)),
                        ("delete_on_termination", Expr::Bool(true)),
                    ])]),
                    Expr::Null,
                ),
            ),
            (
                "metadata",
                obj(vec![
                    ("env", var("env")),
                    ("region", Expr::Context(Context::Region)),
                ]),
            ),
        ],
    );
    web.count = Some(Box::new(var("web_count")));
    web.depends_on = vec![rid("Subnet")];
    resources.push(web);
    let mut data = resource(
        "Data",
        "data",
        "openstack_blockstorage_volume_v3",
        vec![("name", named("data")), ("size", Expr::Int(100))],
    );
    data.state = StateClass::Persistent;
    data.deletion = Some(Deletion::Retain);
    resources.push(data);
    let mut attach = resource(
        "DataAttach",
        "data_attach",
        "openstack_compute_volume_attach_v2",
        vec![
            (
                "instance_id",
                Expr::Index(Box::new(id("Web")), Box::new(Expr::Int(0))),
            ),
            ("volume_id", id("Data")),
        ],
    );
    attach.depends_on = vec![rid("Web")];
    resources.push(attach);
    let mut fip = resource(
        "PublicIp",
        "public_ip",
        "openstack_networking_floatingip_v2",
        vec![("pool", s("public"))],
    );
    fip.condition = Some(Box::new(is_prod()));
    resources.push(fip);
    resources.push(password(vec![("length", Expr::Int(24))]));
    let mut public = output(
        "public_address",
        "The public address.",
        attr("PublicIp", "address"),
    );
    public.condition = Some(is_prod());
    Deployment {
        target: Target::TerraformOpenstack,
        description: Some("A web stack on OpenStack.".into()),
        params,
        resources,
        outputs: vec![
            public,
            output(
                "web_addresses",
                "The web servers' addresses.",
                attr("Web", "access_ip_v4"),
            ),
            output(
                "project",
                "The project and region.",
                interp(vec![
                    part(Expr::Context(Context::AccountId)),
                    text("@"),
                    part(Expr::Context(Context::Region)),
                ]),
            ),
            output(
                "password",
                "A generated password.",
                attr("Password", "result"),
            ),
            output(
                "names",
                "Names of things.",
                Expr::Call(
                    Builtin::from_name("join").expect("a built-in"),
                    vec![
                        s(","),
                        Expr::List(vec![attr("Net", "name"), attr("WebSg", "name")]),
                    ],
                ),
            ),
        ],
    }
}

/// The configuration of `d`, with only the expected warning about the param
/// named `version`.
fn emit_clean(d: &Deployment) -> String {
    let (text, diagnostics) = infra::backend::emit(&resolved(d));
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["W0550"], "{:?}", diagnostics);
    text
}

#[test]
fn configurations_are_deterministic() {
    for d in [aws_stack(), openstack_stack()] {
        let first = emit_clean(&d);
        for _ in 0..3 {
            assert_eq!(emit_clean(&d), first);
        }
    }
}

#[test]
fn configurations_read_as_terraform() {
    let aws: serde_json::Value =
        serde_json::from_str(&emit_clean(&aws_stack())).expect("valid JSON");
    assert_eq!(aws["provider"]["aws"]["region"], "${var.region}");
    assert_eq!(
        aws["resource"]["aws_instance"]["web"]["count"],
        "${var.web_count}"
    );
    assert_eq!(
        aws["resource"]["aws_eip"]["bastion_ip"]["instance"],
        "${aws_instance.bastion[0].id}"
    );
    assert_eq!(aws["output"]["db_url"]["sensitive"], true);
    assert_eq!(aws["output"]["generated"]["sensitive"], true);
    assert_eq!(aws["variable"]["db_password"]["sensitive"], true);
    assert_eq!(
        aws["resource"]["aws_db_instance"]["db"]["lifecycle"]["prevent_destroy"],
        true
    );
    assert!(aws["variable"].get("version_value").is_some());
    let openstack: serde_json::Value =
        serde_json::from_str(&emit_clean(&openstack_stack())).expect("valid JSON");
    assert_eq!(
        openstack["terraform"]["required_providers"]["openstack"]["source"],
        "terraform-provider-openstack/openstack"
    );
    assert_eq!(
        openstack["resource"]["openstack_compute_volume_attach_v2"]["data_attach"]["instance_id"],
        "${openstack_compute_instance_v2.web[0].id}"
    );
}

/// The validator and its schemas, when this machine has them.
fn validator() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let tool = root.join("tools/tf-validate");
    let schemas = root.join("schemas/terraform");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let found = tool.is_file() && schemas.is_dir() && python;
    tools::available("tf-validate and its schemas", found).then_some((tool, schemas))
}

/// hashicorp/random's `random_password` (schema version 3), which the shared
/// schemas lack: enough for the validator to check the resource.
const RANDOM_SCHEMA: &str = r#"{"format_version": "1.0", "provider_schemas": {"registry.terraform.io/hashicorp/random": {"provider": {"version": 0, "block": {}}, "resource_schemas": {"random_password": {"version": 3, "block": {"attributes": {
"bcrypt_hash": {"type": "string", "computed": true, "sensitive": true},
"id": {"type": "string", "computed": true},
"keepers": {"type": ["map", "string"], "optional": true},
"length": {"type": "number", "required": true},
"lower": {"type": "bool", "optional": true, "computed": true},
"min_lower": {"type": "number", "optional": true, "computed": true},
"min_numeric": {"type": "number", "optional": true, "computed": true},
"min_special": {"type": "number", "optional": true, "computed": true},
"min_upper": {"type": "number", "optional": true, "computed": true},
"number": {"type": "bool", "optional": true, "computed": true, "deprecated": true},
"numeric": {"type": "bool", "optional": true, "computed": true},
"override_special": {"type": "string", "optional": true},
"result": {"type": "string", "computed": true, "sensitive": true},
"special": {"type": "bool", "optional": true, "computed": true},
"upper": {"type": "bool", "optional": true, "computed": true}}}}}, "data_source_schemas": {}}}}"#;

#[test]
fn the_validator_accepts_the_configurations() {
    let Some((tool, schemas)) = validator() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // The shared provider schemas, and the random provider's.
    let schema_dir = dir.path().join("schemas");
    std::fs::create_dir(&schema_dir).expect("schema dir");
    for entry in std::fs::read_dir(&schemas).expect("schemas") {
        let path = entry.expect("entry").path();
        if let Some(name) = path.file_name()
            && path.to_string_lossy().ends_with(".json.gz")
        {
            std::fs::copy(&path, schema_dir.join(name)).expect("copy schema");
        }
    }
    std::fs::write(schema_dir.join("random.json"), RANDOM_SCHEMA).expect("random schema");
    let mut dirs = Vec::new();
    for d in [aws_stack(), openstack_stack()] {
        let name = d.target.file_name("main", true);
        let path = dir.path().join("out").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("out dir");
        std::fs::write(&path, emit_clean(&d)).expect("write configuration");
        dirs.push(path.parent().expect("parent").to_path_buf());
    }
    let out = std::process::Command::new("python3")
        .arg(&tool)
        .arg("--strict")
        .arg("--schemas")
        .arg(&schema_dir)
        .args(&dirs)
        .output()
        .expect("run tf-validate");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tf-validate rejects the configurations:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report.lines().filter(|l| l.contains(": ok (")).count(),
        2,
        "{report}"
    );
}

/// What the native schemas say of a type reaches the configuration through
/// lowering: the attributes the provider marks sensitive
/// (`sensitive_attributes`) and the arguments that keep a final snapshot
/// (`final_snapshot`).
#[test]
fn the_schemas_say_what_is_sensitive_and_what_keeps_a_snapshot() {
    let program = r#"
resource pw: random_password {
  length = 20
}

resource data: aws_ebs_volume {
  availability_zone = "eu-west-1a"
  size = 10
}

resource db: aws_db_instance {
  instance_class = "db.t3.micro"
  identifier = "orders"
}

output secret = pw.result
output plain = pw.id
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("main.infra");
    std::fs::write(&path, program).expect("write");
    let (checked, templates) =
        infra::build(&[path], &infra::Options::default(), &[Target::TerraformAws]).expect("read");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let tf: serde_json::Value = serde_json::from_str(&templates[0].text).expect("valid JSON");
    assert_eq!(tf["output"]["secret"]["sensitive"], true);
    assert!(tf["output"]["plain"].get("sensitive").is_none());
    let data = &tf["resource"]["aws_ebs_volume"]["data"];
    assert_eq!(data["final_snapshot"], true);
    let db = &tf["resource"]["aws_db_instance"]["db"];
    assert_eq!(db["skip_final_snapshot"], false);
    assert_eq!(db["final_snapshot_identifier"], "orders-final");
}
