//! The Heat backend on hand-made deployments that exercise what a real stack
//! uses: networks and servers, volumes with deletion policies, conditions, a
//! deploy-time count, lookups, functions and constrained params. Each
//! template is checked by Heat's own engine (`../shared/tools/heat-validate`)
//! when it is set up on this machine, with the params' defaults and with
//! every param required and given its default by `-P`; without the
//! validator, only the shape of the templates is checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use indexmap::IndexMap;
#[path = "support/named_ir.rs"]
mod named_ir;
#[path = "support/tools.rs"]
mod tools;

use infra::builtins::Builtin;
use infra::ir::{
    Context, Deletion, Deployment, Expr, Output, Param, ParamType, Part, Resource, Target,
};
use infra::syntax::ast::{BinaryOp, StateClass};
use named_ir::{resolved, rid};
use serde_json::{Value, json};

fn param(name: &str, ty: ParamType, default: Value) -> Param {
    Param {
        default: Some(default),
        ..Param::new(name, ty)
    }
}

fn resource(id: &str, snake: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, snake, type_name, properties)
}

fn output(name: &str, value: Expr) -> Output {
    Output::new(name, value)
}

fn p(name: &str) -> Expr {
    Expr::Param(name.into())
}

fn s(text: &str) -> Expr {
    Expr::String(text.into())
}

fn r(id: &str) -> Expr {
    Expr::Ref(rid(id))
}

fn attr(id: &str, attribute: &str) -> Expr {
    Expr::Attr(rid(id), attribute.into())
}

fn object(fields: Vec<(&str, Expr)>) -> Expr {
    Expr::object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn eq(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinaryOp::Eq, Box::new(a), Box::new(b))
}

fn iff(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::If(Box::new(c), Box::new(a), Box::new(b))
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

fn deployment(
    description: &str,
    params: Vec<Param>,
    resources: Vec<Resource>,
    outputs: Vec<Output>,
) -> Deployment {
    Deployment {
        target: Target::Heat,
        description: Some(description.into()),
        params,
        resources,
        outputs,
    }
}

/// A network, a router to the outside, a security group, a server on a
/// port with a floating address, and a volume attached to it.
fn web_server() -> Deployment {
    let mut env = param("env", ParamType::String, json!("staging"));
    env.allowed = Some(vec![json!("staging"), json!("production")]);
    env.message = Some("staging or production".into());
    env.label = Some("Environment".into());
    env.group = Some("Deployment".into());
    let mut image = param("image", ParamType::String, json!("ubuntu-24.04"));
    image.min_length = Some(1);
    image.group = Some("Deployment".into());
    let mut disk = param("disk_gb", ParamType::Int, json!(20));
    disk.min = Some(json!(1));
    disk.max = Some(json!(1024));
    disk.description = Some("Size of the data volume.".into());
    let mut admin = param(
        "admin_password",
        ParamType::String,
        json!("correct-horse-battery"),
    );
    admin.secret = true;
    admin.min_length = Some(12);
    admin.pattern = Some("^[a-z-]+$".into());
    admin.message = Some("lower-case letters and hyphens, at least 12".into());

    let net = resource(
        "AppNet",
        "app_net",
        "OS::Neutron::Net",
        vec![("name", interp(vec![part(p("env")), text("-net")]))],
    );
    let subnet = resource(
        "AppSubnet",
        "app_subnet",
        "OS::Neutron::Subnet",
        vec![
            ("network", r("AppNet")),
            ("cidr", s("10.0.1.0/24")),
            ("ip_version", Expr::Int(4)),
        ],
    );
    let router = resource(
        "Gateway",
        "gateway",
        "OS::Neutron::Router",
        vec![(
            "external_gateway_info",
            object(vec![("network", s("public"))]),
        )],
    );
    let interface = resource(
        "GatewayInterface",
        "gateway_interface",
        "OS::Neutron::RouterInterface",
        vec![("router", r("Gateway")), ("subnet", r("AppSubnet"))],
    );
    let group = resource(
        "WebSg",
        "web_sg",
        "OS::Neutron::SecurityGroup",
        vec![(
            "rules",
            Expr::List(vec![object(vec![
                ("direction", s("ingress")),
                ("protocol", s("tcp")),
                ("port_range_min", Expr::Int(80)),
                ("port_range_max", Expr::Int(80)),
                ("remote_ip_prefix", s("0.0.0.0/0")),
            ])]),
        )],
    );
    let port = resource(
        "WebPort",
        "web_port",
        "OS::Neutron::Port",
        vec![
            ("network", r("AppNet")),
            (
                "fixed_ips",
                Expr::List(vec![object(vec![("subnet", r("AppSubnet"))])]),
            ),
            ("security_groups", Expr::List(vec![r("WebSg")])),
        ],
    );
    let mut server = resource(
        "WebServer",
        "web_server",
        "OS::Nova::Server",
        vec![
            (
                "name",
                interp(vec![part(Expr::Context(Context::StackName)), text("-web")]),
            ),
            ("image", p("image")),
            (
                "flavor",
                iff(eq(p("env"), s("production")), s("m1.large"), s("m1.small")),
            ),
            (
                "networks",
                Expr::List(vec![object(vec![("port", r("WebPort"))])]),
            ),
            ("admin_pass", p("admin_password")),
            (
                "user_data",
                interp(vec![
                    text("#!/bin/sh\nset -e\necho \"env=$1\" > /etc/app.env\necho "),
                    part(p("env")),
                    text(" >> /etc/app.env\necho disk="),
                    part(p("disk_gb")),
                    text(" >> /etc/app.env\n"),
                ]),
            ),
            ("user_data_format", s("RAW")),
        ],
    );
    server.depends_on = vec![rid("GatewayInterface")];
    let address = resource(
        "WebAddress",
        "web_address",
        "OS::Neutron::FloatingIP",
        vec![("floating_network", s("public")), ("port_id", r("WebPort"))],
    );
    let mut volume = resource(
        "Data",
        "data",
        "OS::Cinder::Volume",
        vec![
            ("size", p("disk_gb")),
            ("name", interp(vec![part(p("env")), text("-data")])),
        ],
    );
    volume.state = StateClass::Persistent;
    volume.deletion = Some(Deletion::Snapshot);
    volume.snapshot = true;
    let attachment = resource(
        "DataAttachment",
        "data_attachment",
        "OS::Cinder::VolumeAttachment",
        vec![("instance_uuid", r("WebServer")), ("volume_id", r("Data"))],
    );
    let mut container = resource(
        "Assets",
        "assets",
        "OS::Swift::Container",
        vec![("name", interp(vec![part(p("env")), text("-assets")]))],
    );
    // A container cannot be snapshotted: lowering keeps it instead.
    container.state = StateClass::Persistent;
    container.deletion = Some(Deletion::Retain);

    deployment(
        "A web server with a data volume.",
        vec![env, image, disk, admin],
        vec![
            net, subnet, router, interface, group, port, server, address, volume, attachment,
            container,
        ],
        vec![
            output("address", attr("WebAddress", "floating_ip_address")),
            output("private_ip", attr("WebPort", "fixed_ips.0.ip_address")),
            output(
                "url",
                interp(vec![
                    text("http://"),
                    part(attr("WebAddress", "floating_ip_address")),
                    text("/"),
                ]),
            ),
        ],
    )
}

/// A bastion only in production, a deploy-time number of workers, and
/// values present only under a condition.
fn conditions_and_count() -> Deployment {
    let mut env = param("env", ParamType::String, json!("staging"));
    env.allowed = Some(vec![json!("staging"), json!("production")]);
    let mut count = param("worker_count", ParamType::Int, json!(2));
    count.min = Some(json!(0));
    count.max = Some(json!(10));
    let debug = param("debug", ParamType::Bool, json!(false));
    let key = param("key_name", ParamType::String, json!(""));
    let prod = eq(p("env"), s("production"));

    let net = resource("Net", "net", "OS::Neutron::Net", vec![]);
    let subnet = resource(
        "Subnet",
        "subnet",
        "OS::Neutron::Subnet",
        vec![("network", r("Net")), ("cidr", s("10.1.0.0/24"))],
    );
    let has_key = Expr::Binary(BinaryOp::Ne, Box::new(p("key_name")), Box::new(s("")));
    let mut bastion = resource(
        "Bastion",
        "bastion",
        "OS::Nova::Server",
        vec![
            ("image", s("cirros")),
            ("flavor", s("m1.small")),
            ("key_name", iff(has_key.clone(), p("key_name"), Expr::Null)),
            (
                "networks",
                Expr::List(vec![object(vec![("subnet", r("Subnet"))])]),
            ),
        ],
    );
    bastion.condition = Some(Box::new(prod.clone()));
    let mut bastion_ip = resource(
        "BastionIp",
        "bastion_ip",
        "OS::Neutron::FloatingIP",
        vec![("floating_network", s("public"))],
    );
    bastion_ip.condition = Some(Box::new(prod.clone()));
    let mut association = resource(
        "BastionIpAssociation",
        "bastion_ip_association",
        "OS::Neutron::FloatingIPAssociation",
        vec![
            ("floatingip_id", r("BastionIp")),
            ("port_id", attr("Bastion", "addresses.private.0.port")),
        ],
    );
    association.condition = Some(Box::new(prod.clone()));
    let mut workers = resource(
        "Worker",
        "worker",
        "OS::Nova::Server",
        vec![
            (
                "name",
                interp(vec![
                    part(p("env")),
                    text("-worker-"),
                    part(Expr::CountIndex),
                ]),
            ),
            ("image", s("cirros")),
            ("flavor", iff(prod.clone(), s("m1.medium"), s("m1.small"))),
            (
                "metadata",
                object(vec![
                    ("index", Expr::CountIndex),
                    ("debug", iff(p("debug"), s("yes"), Expr::Null)),
                ]),
            ),
            (
                "networks",
                Expr::List(vec![object(vec![("subnet", r("Subnet"))])]),
            ),
        ],
    );
    workers.count = Some(Box::new(p("worker_count")));
    workers.depends_on = vec![rid("Subnet")];
    let mut bastion_address = output("bastion_address", attr("BastionIp", "floating_ip_address"));
    bastion_address.condition = Some(prod.clone());
    deployment(
        "Workers, and a bastion in production.",
        vec![env, count, debug, key],
        vec![net, subnet, bastion, bastion_ip, association, workers],
        vec![
            bastion_address,
            output("worker_ids", r("Worker")),
            output("worker_names", attr("Worker", "name")),
            output(
                "first_worker",
                Expr::Index(
                    Box::new(attr("Worker", "first_address")),
                    Box::new(Expr::Int(0)),
                ),
            ),
            output("mode", iff(prod, s("production"), s("not production"))),
        ],
    )
}

/// Flavors looked up by a size param, list and text functions, generated
/// secrets, a queue, a zone and its records.
fn lookups_and_functions() -> Deployment {
    let mut size = param("size", ParamType::String, json!("small"));
    size.allowed = Some(vec![json!("small"), json!("medium"), json!("large")]);
    let zones = param(
        "zones",
        ParamType::List(Box::new(ParamType::String)),
        json!(["nova", "az2"]),
    );
    let domain = param("domain", ParamType::String, json!("example.com"));
    let tags = param("tags", ParamType::Json, json!({ "owner": "ops" }));
    let flavors = object(vec![
        ("small", s("m1.small")),
        ("medium", s("m1.medium")),
        ("large", s("m1.large")),
    ]);
    let password = resource(
        "DbPassword",
        "db_password",
        "OS::Heat::RandomString",
        vec![("length", Expr::Int(24))],
    );
    let server = resource(
        "App",
        "app",
        "OS::Nova::Server",
        vec![
            ("image", s("cirros")),
            (
                "flavor",
                Expr::Index(Box::new(flavors), Box::new(p("size"))),
            ),
            (
                "availability_zone",
                Expr::Index(Box::new(p("zones")), Box::new(Expr::Int(0))),
            ),
            (
                "metadata",
                object(vec![
                    (
                        "zones",
                        Expr::Call(
                            Builtin::from_name("join").expect("a built-in"),
                            vec![s(","), p("zones")],
                        ),
                    ),
                    ("owner", Expr::Member(Box::new(p("tags")), "owner".into())),
                    ("project", Expr::Context(Context::AccountId)),
                    (
                        "first_label",
                        Expr::Index(
                            Box::new(Expr::Call(
                                Builtin::from_name("split").expect("a built-in"),
                                vec![s("."), p("domain")],
                            )),
                            Box::new(Expr::Int(0)),
                        ),
                    ),
                    (
                        "dashed",
                        Expr::Call(
                            Builtin::from_name("replace").expect("a built-in"),
                            vec![p("domain"), s("."), s("-")],
                        ),
                    ),
                ]),
            ),
            (
                "tags",
                Expr::Call(
                    Builtin::from_name("concat").expect("a built-in"),
                    vec![p("zones"), Expr::List(vec![s("app")])],
                ),
            ),
            (
                "config_drive",
                Expr::Call(
                    Builtin::from_name("contains").expect("a built-in"),
                    vec![p("zones"), s("nova")],
                ),
            ),
            ("admin_pass", attr("DbPassword", "value")),
        ],
    );
    let queue = resource(
        "Jobs",
        "jobs",
        "OS::Zaqar::Queue",
        vec![(
            "name",
            interp(vec![part(Expr::Context(Context::StackName)), text("-jobs")]),
        )],
    );
    let mut zone = resource(
        "Zone",
        "zone",
        "OS::Designate::Zone",
        vec![
            ("name", interp(vec![part(p("domain")), text(".")])),
            (
                "email",
                interp(vec![text("hostmaster@"), part(p("domain"))]),
            ),
        ],
    );
    zone.deletion = Some(Deletion::Retain);
    let record = resource(
        "Www",
        "www",
        "OS::Designate::RecordSet",
        vec![
            ("zone", r("Zone")),
            (
                "name",
                interp(vec![text("www."), part(p("domain")), text(".")]),
            ),
            ("type", s("A")),
            ("records", Expr::List(vec![attr("App", "first_address")])),
        ],
    );
    deployment(
        "An application server with its zone and queue.",
        vec![size, zones, domain, tags],
        vec![password, server, queue, zone, record],
        vec![
            output("queue_href", attr("Jobs", "href")),
            output("zone_id", r("Zone")),
            output(
                "all_zones",
                Expr::Call(
                    Builtin::from_name("split").expect("a built-in"),
                    vec![
                        s(","),
                        Expr::Call(
                            Builtin::from_name("join").expect("a built-in"),
                            vec![s(","), p("zones")],
                        ),
                    ],
                ),
            ),
        ],
    )
}

fn templates() -> Vec<(&'static str, Value)> {
    [
        ("web_server", web_server()),
        ("conditions_and_count", conditions_and_count()),
        ("lookups_and_functions", lookups_and_functions()),
    ]
    .into_iter()
    .map(|(name, d)| {
        let (text, diagnostics) = infra::backend::emit(&resolved(&d));
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        (
            name,
            serde_json::from_str(&text).expect("the template is JSON"),
        )
    })
    .collect()
}

/// The validator, when it is set up on this machine.
fn validator() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/heat-validate");
    let venv = std::env::var("HEAT_VENV").unwrap_or_else(|_| "/opt/heat-venv".into());
    let found = script.is_file() && Path::new(&venv).join("bin/python").exists();
    tools::available("Heat (../shared/tools/heat-setup)", found).then_some(script)
}

fn run(validator: &Path, args: &[String]) {
    let result = Command::new(validator)
        .args(args)
        .output()
        .expect("heat-validate runs");
    assert!(
        result.status.success(),
        "heat-validate {}:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// A param's default as `-P` text.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    }
}

#[test]
fn heat_accepts_the_templates() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut files = Vec::new();
    for (name, template) in templates() {
        let path = dir.path().join(format!("{name}.hot.json"));
        let text = serde_json::to_string_pretty(&template).expect("serializable");
        std::fs::write(&path, text).expect("writable");
        files.push((path, template));
    }
    let Some(validator) = validator() else {
        return;
    };
    let all: Vec<String> = files
        .iter()
        .map(|(path, _)| path.display().to_string())
        .collect();
    run(&validator, &all);
    // Stack-create semantics: every param given, here its default.
    for (path, template) in &files {
        let mut args = vec!["--require-params".to_string()];
        if let Some(parameters) = template["parameters"].as_object() {
            for (name, definition) in parameters {
                args.push("-P".into());
                args.push(format!("{name}={}", as_text(&definition["default"])));
            }
        }
        args.push(path.display().to_string());
        run(&validator, &args);
    }
}

#[test]
fn templates_use_the_heat_constructs_they_need() {
    let templates: IndexMap<&str, Value> = templates().into_iter().collect();
    let count = &templates["conditions_and_count"];
    assert_eq!(count["heat_template_version"], json!("2021-04-16"));
    assert_eq!(
        count["resources"]["worker"]["type"],
        json!("OS::Heat::ResourceGroup")
    );
    assert_eq!(
        count["resources"]["bastion"]["condition"],
        json!("env_is_production")
    );
    let web = &templates["web_server"];
    assert_eq!(web["heat_template_version"], json!("2018-08-31"));
    assert_eq!(
        web["resources"]["data"]["deletion_policy"],
        json!("Snapshot")
    );
    assert_eq!(
        web["resources"]["assets"]["deletion_policy"],
        json!("Retain")
    );
    assert_eq!(
        web["parameter_groups"],
        json!([{ "label": "Deployment", "parameters": ["env", "image"] }])
    );
}

#[test]
fn templates_are_byte_identical_across_runs() {
    let first: Vec<String> = templates()
        .iter()
        .map(|(_, t)| serde_json::to_string_pretty(t).unwrap())
        .collect();
    let second: Vec<String> = templates()
        .iter()
        .map(|(_, t)| serde_json::to_string_pretty(t).unwrap())
        .collect();
    assert_eq!(first, second);
}
