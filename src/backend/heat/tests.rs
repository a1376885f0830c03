//! Unit tests of the Heat backend.

use crate::builtins::Builtin;
use serde_json::{Value, json};

use crate::backend::common::testing::*;
use std::sync::Arc;

use crate::ir::{
    Context, Deletion, Deployment, DnsRecord, Expr, NativeFacts, Output, Param, ParamType,
    Resource, Target,
};
use crate::syntax::ast::BinaryOp;

use super::interpolation::{Segment, replaced};

/// The template as JSON, and the diagnostics.
fn emit(d: &Deployment) -> (Value, Vec<crate::diagnostics::Diagnostic>) {
    let (text, diagnostics) = crate::backend::emit(&resolved(d));
    (
        serde_json::from_str(&text).expect("the template is JSON"),
        diagnostics,
    )
}

fn deployment(params: Vec<Param>, resources: Vec<Resource>, outputs: Vec<Output>) -> Deployment {
    Deployment {
        target: Target::Heat,
        description: None,
        params,
        resources,
        outputs,
    }
}

fn resource(id: &str, snake: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, snake, type_name, properties)
}

/// The template, asserting that nothing was reported.
fn clean(d: &Deployment) -> Value {
    let (template, diagnostics) = emit(d);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    template
}

fn codes_of(d: &Deployment) -> Vec<&'static str> {
    emit(d).1.iter().map(|d| d.code.id).collect()
}

fn server(properties: Vec<(&str, Expr)>) -> Resource {
    let mut all = vec![("flavor", s("m1.small"))];
    all.extend(properties);
    resource("Web", "web", "OS::Nova::Server", all)
}

#[test]
fn an_empty_deployment_is_a_template_with_no_resources() {
    let mut d = deployment(vec![], vec![], vec![]);
    d.description = Some("Nothing yet.".into());
    assert_eq!(
        clean(&d),
        json!({
            "heat_template_version": "2018-08-31",
            "description": "Nothing yet.",
            "resources": {}
        })
    );
}

/// Python's `\d` (and `\w`, `\s`, `\b`) match Unicode: the ASCII flag
/// keeps Heat's check of a pattern to what the compiler checks.
#[test]
fn patterns_with_named_sets_are_ascii_on_heat() {
    let mut code = param("code", ParamType::String);
    code.pattern = Some("^\\d+-\\w+$".into());
    let mut plain = param("plain", ParamType::String);
    plain.pattern = Some("^[0-9]+\\.[a-z]$".into());
    let d = deployment(vec![code, plain], vec![], vec![]);
    let template = clean(&d);
    assert_eq!(
        template["parameters"]["code"]["constraints"][0]["allowed_pattern"],
        json!("(?a)^\\d+-\\w+$")
    );
    assert_eq!(
        template["parameters"]["plain"]["constraints"][0]["allowed_pattern"],
        json!("^[0-9]+\\.[a-z]$")
    );
}

#[test]
fn params_carry_their_type_and_every_constraint_heat_accepts() {
    let mut env = param("env", ParamType::String);
    env.default = Some(json!("staging"));
    env.label = Some("Environment".into());
    env.description = Some("Deployment environment.".into());
    env.min_length = Some(3);
    env.max_length = Some(12);
    env.pattern = Some("^[a-z]+$".into());
    env.allowed = Some(vec![json!("staging"), json!("production")]);
    env.message = Some("staging or production".into());
    let mut count = param("count", ParamType::Int);
    count.default = Some(json!(2));
    count.min = Some(json!(1));
    count.max = Some(json!(20));
    let mut password = param("password", ParamType::String);
    password.secret = true;
    password.min_length = Some(12);
    let zones = param("zones", ParamType::List(Box::new(ParamType::String)));
    let tags = param("tags", ParamType::Json);
    let flag = param("flag", ParamType::Bool);
    let d = deployment(
        vec![env, count, password, zones, tags, flag],
        vec![],
        vec![],
    );
    assert_eq!(
        clean(&d)["parameters"],
        json!({
            "env": {
                "type": "string",
                "label": "Environment",
                "description": "Deployment environment.",
                "default": "staging",
                "constraints": [
                    { "length": { "min": 3, "max": 12 }, "description": "staging or production" },
                    { "allowed_pattern": "^[a-z]+$", "description": "staging or production" },
                    { "allowed_values": ["staging", "production"], "description": "staging or production" }
                ]
            },
            "count": {
                "type": "number",
                "default": 2,
                "constraints": [{ "range": { "min": 1, "max": 20 } }]
            },
            "password": {
                "type": "string",
                "hidden": true,
                "constraints": [{ "length": { "min": 12 } }]
            },
            "zones": { "type": "comma_delimited_list" },
            "tags": { "type": "json" },
            "flag": { "type": "boolean" }
        })
    );
}

#[test]
fn allowed_values_heat_cannot_check_are_left_out_with_a_warning() {
    // A list's allowed values are whole lists: Heat would check each
    // element against them, and refuse the param's own default.
    let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
    zones.default = Some(json!(["a", "b"]));
    zones.allowed = Some(vec![json!(["a", "b"]), json!(["c"])]);
    zones.min_length = Some(1);
    let mut tags = param("tags", ParamType::Json);
    tags.allowed = Some(vec![json!({ "team": "web" })]);
    let mut env = param("env", ParamType::String);
    env.allowed = Some(vec![json!("staging")]);
    let d = deployment(vec![zones, tags, env], vec![], vec![]);
    let (template, diagnostics) = emit(&d);
    assert_eq!(
        template["parameters"],
        json!({
            "zones": {
                "type": "comma_delimited_list",
                "default": ["a", "b"],
                "constraints": [{ "length": { "min": 1 } }]
            },
            "tags": { "type": "json" },
            "env": {
                "type": "string",
                "constraints": [{ "allowed_values": ["staging"] }]
            }
        })
    );
    let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["W0532", "W0532"]);
    assert!(diagnostics[0].message.contains("`zones`"));
    assert!(diagnostics[1].message.contains("`tags`"));
}

#[test]
fn grouped_params_are_listed_in_parameter_groups() {
    let mut a = param("image", ParamType::String);
    a.group = Some("Servers".into());
    let b = param("env", ParamType::String);
    let mut c = param("flavor", ParamType::String);
    c.group = Some("Servers".into());
    let mut e = param("cidr", ParamType::String);
    e.group = Some("Network".into());
    let d = deployment(vec![a, b, c, e], vec![], vec![]);
    assert_eq!(
        clean(&d)["parameter_groups"],
        json!([
            { "label": "Servers", "parameters": ["image", "flavor"] },
            { "label": "Network", "parameters": ["cidr"] }
        ])
    );
}

#[test]
fn references_are_get_param_get_resource_and_get_attr() {
    let net = resource(
        "AppNet",
        "app_net",
        "OS::Neutron::Net",
        vec![("name", p("name"))],
    );
    let port = resource(
        "WebPort",
        "web_port",
        "OS::Neutron::Port",
        vec![("network", ref_to("AppNet"))],
    );
    let out = output("ip", attr("WebPort", "fixed_ips.0.ip_address"));
    let d = deployment(
        vec![param("name", ParamType::String)],
        vec![net, port],
        vec![out],
    );
    let template = clean(&d);
    assert_eq!(
        template["resources"],
        json!({
            "app_net": { "type": "OS::Neutron::Net", "properties": { "name": { "get_param": "name" } } },
            "web_port": { "type": "OS::Neutron::Port", "properties": { "network": { "get_resource": "app_net" } } }
        })
    );
    assert_eq!(
        template["outputs"],
        json!({ "ip": { "value": { "get_attr": ["web_port", "fixed_ips", 0, "ip_address"] } } })
    );
}

#[test]
fn explicit_dependencies_are_depends_on() {
    let a = resource("First", "first", "OS::Neutron::Net", vec![]);
    let mut b = resource("Second", "second", "OS::Neutron::Net", vec![]);
    b.depends_on = vec![rid("First")];
    let d = deployment(vec![], vec![a, b], vec![]);
    assert_eq!(
        clean(&d)["resources"]["second"],
        json!({ "type": "OS::Neutron::Net", "depends_on": ["first"] })
    );
}

#[test]
fn deletion_policies_are_printed_as_lowering_decided() {
    let mut volume = resource(
        "Data",
        "data",
        "OS::Cinder::Volume",
        vec![("size", Expr::Int(10))],
    );
    volume.deletion = Some(Deletion::Snapshot);
    let mut queue = resource(
        "Jobs",
        "jobs",
        "OS::Zaqar::Queue",
        vec![("name", s("jobs"))],
    );
    queue.deletion = Some(Deletion::Delete);
    let mut keep = resource("Keep", "keep", "OS::Swift::Container", vec![]);
    keep.deletion = Some(Deletion::Retain);
    let plain = resource("Plain", "plain", "OS::Swift::Container", vec![]);
    let d = deployment(vec![], vec![volume, queue, keep, plain], vec![]);
    let resources = &clean(&d)["resources"];
    assert_eq!(resources["data"]["deletion_policy"], json!("Snapshot"));
    assert_eq!(resources["jobs"]["deletion_policy"], json!("Delete"));
    assert_eq!(resources["keep"]["deletion_policy"], json!("Retain"));
    assert!(resources["plain"].get("deletion_policy").is_none());
}

#[test]
fn conditions_are_named_after_what_they_test_and_shared() {
    let prod = eq(p("env"), s("production"));
    let mut a = resource("Bastion", "bastion", "OS::Neutron::Net", vec![]);
    a.condition = Some(Box::new(prod.clone()));
    let mut b = resource("Monitor", "monitor", "OS::Neutron::Net", vec![]);
    b.condition = Some(Box::new(prod.clone()));
    let mut c = resource("Debug", "debug", "OS::Neutron::Net", vec![]);
    c.condition = Some(Box::new(Expr::Not(Box::new(prod.clone()))));
    let mut e = resource("Extra", "extra", "OS::Neutron::Net", vec![]);
    e.condition = Some(Box::new(bin(
        BinaryOp::And,
        bin(BinaryOp::And, prod.clone(), p("ha")),
        bin(BinaryOp::Ne, p("zone"), s("")),
    )));
    let d = deployment(
        vec![
            param("env", ParamType::String),
            param("ha", ParamType::Bool),
            param("zone", ParamType::String),
        ],
        vec![a, b, c, e],
        vec![],
    );
    let template = clean(&d);
    assert_eq!(
        template["conditions"],
        json!({
            "env_is_production": { "equals": [{ "get_param": "env" }, "production"] },
            "not_env_is_production": { "not": "env_is_production" },
            "env_is_production_and_ha_and_zone_is_not_empty": {
                "and": [
                    "env_is_production",
                    { "get_param": "ha" },
                    { "not": { "equals": [{ "get_param": "zone" }, ""] } }
                ]
            }
        })
    );
    assert_eq!(
        template["resources"]["bastion"],
        json!({ "type": "OS::Neutron::Net", "condition": "env_is_production" })
    );
    assert_eq!(
        template["resources"]["monitor"]["condition"],
        json!("env_is_production")
    );
    assert_eq!(
        template["resources"]["debug"]["condition"],
        json!("not_env_is_production")
    );
}

#[test]
fn a_boolean_value_is_an_if_over_a_condition() {
    let r = resource(
        "Net",
        "net",
        "OS::Neutron::Net",
        vec![
            ("admin_state_up", eq(p("env"), s("production"))),
            ("port_security_enabled", Expr::Not(Box::new(p("open")))),
            ("shared", p("open")),
        ],
    );
    let d = deployment(
        vec![
            param("env", ParamType::String),
            param("open", ParamType::Bool),
        ],
        vec![r],
        vec![],
    );
    let template = clean(&d);
    assert_eq!(
        template["resources"]["net"]["properties"],
        json!({
            "admin_state_up": { "if": ["env_is_production", true, false] },
            "port_security_enabled": { "if": ["open", false, true] },
            "shared": { "get_param": "open" }
        })
    );
    assert_eq!(
        template["conditions"]["open"],
        json!({ "get_param": "open" })
    );
}

#[test]
fn a_value_absent_under_a_condition_is_a_two_argument_if() {
    let web = server(vec![
        ("key_name", cond(p("debug"), s("ops"), Expr::Null)),
        ("admin_pass", cond(p("debug"), Expr::Null, p("password"))),
        (
            "metadata",
            Expr::object(crate::ir::Map::from_iter([("role".into(), s("web"))])),
        ),
        ("config_drive", cond(p("debug"), Expr::Null, Expr::Null)),
    ]);
    let d = deployment(
        vec![
            param("debug", ParamType::Bool),
            param("password", ParamType::String),
        ],
        vec![web],
        vec![],
    );
    let template = clean(&d);
    assert_eq!(template["heat_template_version"], json!("2021-04-16"));
    assert_eq!(
        template["resources"]["web"]["properties"],
        json!({
            "flavor": "m1.small",
            "key_name": { "if": ["debug", "ops"] },
            "admin_pass": { "if": ["not_debug", { "get_param": "password" }] },
            "metadata": { "role": "web" }
        })
    );
    assert_eq!(
        template["conditions"]["not_debug"],
        json!({ "not": "debug" })
    );
}

#[test]
fn a_condition_known_where_a_value_is_written_is_not_tested_again() {
    let prod = eq(p("env"), s("production"));
    let mut bastion = resource(
        "Bastion",
        "bastion",
        "OS::Nova::Server",
        vec![
            ("flavor", cond(prod.clone(), s("m1.large"), s("m1.small"))),
            (
                "metadata",
                cond(
                    p("debug"),
                    Expr::object(crate::ir::Map::from_iter([(
                        "level".into(),
                        cond(p("debug"), s("verbose"), s("quiet")),
                    )])),
                    Expr::object(crate::ir::Map::from_iter([(
                        "shown".into(),
                        Expr::Not(Box::new(p("debug"))),
                    )])),
                ),
            ),
        ],
    );
    // `c ? true : false` is `c` itself: no second condition.
    bastion.condition = Some(Box::new(cond(
        prod.clone(),
        Expr::Bool(true),
        Expr::Bool(false),
    )));
    let d = deployment(
        vec![
            param("env", ParamType::String),
            param("debug", ParamType::Bool),
        ],
        vec![bastion],
        vec![],
    );
    let template = clean(&d);
    assert_eq!(
        template["resources"]["bastion"],
        json!({
            "type": "OS::Nova::Server",
            "properties": {
                "flavor": "m1.large",
                "metadata": { "if": ["debug", { "level": "verbose" }, { "shown": true }] }
            },
            "condition": "env_is_production"
        })
    );
    assert_eq!(
        template["conditions"],
        json!({
            "env_is_production": { "equals": [{ "get_param": "env" }, "production"] },
            "debug": { "get_param": "debug" }
        })
    );
}

#[test]
fn outputs_have_description_value_and_condition() {
    let mut bastion = resource(
        "Bastion",
        "bastion",
        "OS::Nova::Server",
        vec![("flavor", s("m1.small"))],
    );
    bastion.condition = Some(Box::new(p("with_bastion")));
    let mut ip = output("bastion_ip", attr("Bastion", "first_address"));
    ip.description = Some("Where to ssh.".into());
    ip.condition = Some(p("with_bastion"));
    ip.export = Some(s("ignored"));
    let name = output(
        "bastion_name",
        cond(p("with_bastion"), attr("Bastion", "name"), Expr::Null),
    );
    let d = deployment(
        vec![param("with_bastion", ParamType::Bool)],
        vec![bastion],
        vec![ip, name],
    );
    let (template, diagnostics) = emit(&d);
    // The export name has no Heat form: a note says it is not used, and
    // the output is written without it.
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["W0531"]);
    assert_eq!(diagnostics[0].severity, crate::diagnostics::Severity::Note);
    assert_eq!(template["heat_template_version"], json!("2018-08-31"));
    assert_eq!(
        template["outputs"],
        json!({
            "bastion_ip": {
                "description": "Where to ssh.",
                "value": { "get_attr": ["bastion", "first_address"] },
                "condition": "with_bastion"
            },
            "bastion_name": {
                "value": { "if": ["with_bastion", { "get_attr": ["bastion", "name"] }, null] }
            }
        })
    );
}

#[test]
fn interpolation_is_str_replace_with_named_placeholders() {
    let net = resource("Net", "net", "OS::Neutron::Net", vec![]);
    let web = server(vec![
        (
            "name",
            interp(vec![part(p("env")), text("-web-"), part(p("env"))]),
        ),
        (
            "user_data",
            interp(vec![
                text("#!/bin/sh\necho $HOME $env_dir "),
                part(p("env")),
                text(" "),
                part(attr("Net", "name")),
                text(" "),
                part(Expr::Int(3)),
            ]),
        ),
        ("admin_user", interp(vec![part(p("env"))])),
        (
            "description",
            interp(vec![text("echo $env_dir "), part(p("env"))]),
        ),
    ]);
    let d = deployment(
        vec![param("env", ParamType::String)],
        vec![net, web],
        vec![],
    );
    let properties = &clean(&d)["resources"]["web"]["properties"];
    assert_eq!(
        properties["name"],
        json!({ "str_replace": { "template": "$env-web-$env", "params": { "$env": { "get_param": "env" } } } })
    );
    // A script's placeholders do not look like shell variables.
    assert_eq!(
        properties["user_data"],
        json!({ "str_replace": {
            "template": "#!/bin/sh\necho $HOME $env_dir __env__ __net_name__ 3",
            "params": {
                "__env__": { "get_param": "env" },
                "__net_name__": { "get_attr": ["net", "name"] }
            }
        } })
    );
    assert_eq!(properties["admin_user"], json!({ "get_param": "env" }));
    // `$env` is in the text itself: the placeholder changes spelling.
    assert_eq!(
        properties["description"],
        json!({ "str_replace": { "template": "echo $env_dir __env__", "params": { "__env__": { "get_param": "env" } } } })
    );
}

#[test]
fn heat_replaces_longest_placeholders_first() {
    let keys = vec!["$a".to_string(), "$ab".to_string()];
    assert_eq!(
        replaced("x$ab$a", &keys),
        vec![Segment::Text("x".into()), Segment::Key(1), Segment::Key(0)]
    );
    // `$a` followed by the text `b` reads as `$ab`: a collision.
    assert_ne!(
        replaced("$ab", &keys),
        vec![Segment::Key(0), Segment::Text("b".into())]
    );
}

#[test]
fn the_copies_of_a_group_read_one_attribute_of_every_member() {
    let mut port = resource("WebPort", "web_port", "OS::Neutron::Port", vec![]);
    port.count = Some(Box::new(p("n")));
    let mut web = server(vec![]);
    web.count = Some(Box::new(p("n")));
    let ip = Expr::Member(
        Box::new(index(attr("WebPort", "fixed_ips"), Expr::Int(0))),
        "ip_address".into(),
    );
    let d = deployment(
        vec![param("n", ParamType::Int)],
        vec![port, web],
        vec![
            output("ids", copies("Web", ref_to("Web"))),
            output("names", copies("Web", attr("Web", "name"))),
            output("ips", copies("Web", ip)),
        ],
    );
    let template = clean(&d);
    assert_eq!(
        template["outputs"],
        json!({
            "ids": { "value": { "get_attr": ["web", "refs"] } },
            "names": { "value": { "get_attr": ["web", "name"] } },
            "ips": { "value": { "get_attr": ["web_port", "fixed_ips", 0, "ip_address"] } }
        })
    );
}

#[test]
fn heat_refuses_a_value_computed_for_each_copy_of_a_group() {
    let mut web = server(vec![]);
    web.count = Some(Box::new(p("n")));
    let each = interp(vec![part(attr("Web", "first_address")), text(":80")]);
    let d = deployment(
        vec![param("n", ParamType::Int)],
        vec![web],
        vec![output("urls", copies("Web", each))],
    );
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.code.id, "E0505");
    assert!(
        diagnostic.message.starts_with("Heat cannot make a list of"),
        "{}",
        diagnostic.message
    );
    assert!(diagnostic.help[0].contains("--param"));
}

#[test]
fn a_deploy_time_count_is_a_resource_group() {
    let mut web = server(vec![
        ("name", interp(vec![text("web-"), part(Expr::CountIndex)])),
        (
            "metadata",
            Expr::object(crate::ir::Map::from_iter([(
                "index".into(),
                Expr::CountIndex,
            )])),
        ),
    ]);
    web.count = Some(Box::new(p("web_count")));
    web.condition = Some(Box::new(p("enabled")));
    let d = deployment(
        vec![
            param("web_count", ParamType::Int),
            param("enabled", ParamType::Bool),
        ],
        vec![web],
        vec![
            output("ids", ref_to("Web")),
            output("names", attr("Web", "name")),
            output(
                "first",
                index(attr("Web", "networks.private"), Expr::Int(0)),
            ),
            output("first_id", index(ref_to("Web"), Expr::Int(0))),
        ],
    );
    let template = clean(&d);
    assert_eq!(
        template["resources"]["web"],
        json!({
            "type": "OS::Heat::ResourceGroup",
            "properties": {
                "count": { "get_param": "web_count" },
                "resource_def": {
                    "type": "OS::Nova::Server",
                    "properties": {
                        "flavor": "m1.small",
                        "name": "web-%index%",
                        "metadata": { "index": "%index%" }
                    }
                }
            },
            "condition": "enabled"
        })
    );
    assert_eq!(
        template["outputs"],
        json!({
            "ids": { "value": { "get_attr": ["web", "refs"] } },
            "names": { "value": { "get_attr": ["web", "name"] } },
            "first": { "value": { "get_attr": ["web", "resource.0", "networks", "private"] } },
            "first_id": { "value": { "get_attr": ["web", "resource.0"] } }
        })
    );
}

#[test]
fn the_index_of_a_copy_inside_interpolation_is_literal_text() {
    let mut web = server(vec![(
        "name",
        interp(vec![part(p("env")), text("-"), part(Expr::CountIndex)]),
    )]);
    web.count = Some(Box::new(Expr::Int(2)));
    let d = deployment(vec![param("env", ParamType::String)], vec![web], vec![]);
    assert_eq!(
        clean(&d)["resources"]["web"]["properties"]["resource_def"]["properties"]["name"],
        json!({ "str_replace": { "template": "$env-%index%", "params": { "$env": { "get_param": "env" } } } })
    );
}

#[test]
fn functions_with_a_heat_form() {
    let r = resource(
        "Net",
        "net",
        "OS::Neutron::Net",
        vec![(
            "value_specs",
            Expr::object(crate::ir::Map::from_iter([
                (
                    "joined".into(),
                    Expr::Call(
                        Builtin::from_name("join").expect("a built-in"),
                        vec![s(","), p("zones")],
                    ),
                ),
                (
                    "split".into(),
                    Expr::Call(
                        Builtin::from_name("split").expect("a built-in"),
                        vec![s(","), p("csv")],
                    ),
                ),
                (
                    "second".into(),
                    index(
                        Expr::Call(
                            Builtin::from_name("split").expect("a built-in"),
                            vec![s(","), p("csv")],
                        ),
                        Expr::Int(1),
                    ),
                ),
                (
                    "all".into(),
                    Expr::Call(
                        Builtin::from_name("concat").expect("a built-in"),
                        vec![p("zones"), Expr::List(vec![s("nova")])],
                    ),
                ),
                (
                    "has".into(),
                    Expr::Call(
                        Builtin::from_name("contains").expect("a built-in"),
                        vec![p("zones"), s("nova")],
                    ),
                ),
                (
                    "dashed".into(),
                    Expr::Call(
                        Builtin::from_name("replace").expect("a built-in"),
                        vec![p("csv"), s(","), s("-")],
                    ),
                ),
                (
                    "first".into(),
                    Expr::Call(
                        Builtin::from_name("element").expect("a built-in"),
                        vec![p("zones"), Expr::Int(0)],
                    ),
                ),
                (
                    "tag".into(),
                    Expr::Member(Box::new(p("tags")), "owner".into()),
                ),
                ("stack".into(), Expr::Context(Context::StackName)),
                ("project".into(), Expr::Context(Context::AccountId)),
            ])),
        )],
    );
    let d = deployment(
        vec![
            param("zones", ParamType::List(Box::new(ParamType::String))),
            param("csv", ParamType::String),
            param("tags", ParamType::Json),
        ],
        vec![r],
        vec![],
    );
    assert_eq!(
        clean(&d)["resources"]["net"]["properties"]["value_specs"],
        json!({
            "joined": { "list_join": [",", { "get_param": "zones" }] },
            "split": { "str_split": [",", { "get_param": "csv" }] },
            "second": { "str_split": [",", { "get_param": "csv" }, 1] },
            "all": { "list_concat": [{ "get_param": "zones" }, ["nova"]] },
            "has": { "contains": ["nova", { "get_param": "zones" }] },
            "dashed": { "str_replace": { "template": { "get_param": "csv" }, "params": { ",": "-" } } },
            "first": { "get_param": ["zones", 0] },
            "tag": { "get_param": ["tags", "owner"] },
            "stack": { "get_param": "OS::stack_name" },
            "project": { "get_param": "OS::project_id" }
        })
    );
}

#[test]
fn a_literal_map_indexed_by_a_param_is_a_chain_of_ifs() {
    let flavors = Expr::object(crate::ir::Map::from_iter([
        ("small".into(), s("m1.small")),
        ("medium".into(), s("m1.medium")),
        ("large".into(), s("m1.large")),
    ]));
    let web = resource(
        "Web",
        "web",
        "OS::Nova::Server",
        vec![("flavor", index(flavors, p("size")))],
    );
    let d = deployment(vec![param("size", ParamType::String)], vec![web], vec![]);
    let template = clean(&d);
    assert_eq!(
        template["resources"]["web"]["properties"]["flavor"],
        json!({ "if": ["size_is_small", "m1.small", { "if": ["size_is_medium", "m1.medium", "m1.large"] }] })
    );
    assert_eq!(
        template["conditions"],
        json!({
            "size_is_small": { "equals": [{ "get_param": "size" }, "small"] },
            "size_is_medium": { "equals": [{ "get_param": "size" }, "medium"] }
        })
    );
}

#[test]
fn arithmetic_is_an_error_naming_heat_and_the_param() {
    let mut web = server(vec![]);
    web.count = Some(Box::new(bin(BinaryOp::Mul, p("web_count"), Expr::Int(2))));
    let d = deployment(vec![param("web_count", ParamType::Int)], vec![web], vec![]);
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.code.id, "E0530");
    assert_eq!(
        diagnostic.message,
        "Heat cannot compute `web_count * 2` at deploy time"
    );
    assert_eq!(diagnostic.primary.message, "in the count of `web`");
    assert!(
        diagnostic.help[0].contains("--param web_count=VALUE"),
        "{:?}",
        diagnostic.help
    );
    let negative = deployment(
        vec![param("n", ParamType::Int)],
        vec![],
        vec![output("minus", Expr::Neg(Box::new(p("n"))))],
    );
    assert_eq!(codes_of(&negative), ["E0530"]);
}

#[test]
fn ordering_comparisons_are_an_error() {
    let mut r = resource(
        "Backup",
        "backup",
        "OS::Cinder::Volume",
        vec![("size", Expr::Int(1))],
    );
    r.condition = Some(Box::new(bin(BinaryOp::Gt, p("replicas"), Expr::Int(1))));
    let d = deployment(vec![param("replicas", ParamType::Int)], vec![r], vec![]);
    assert_eq!(codes_of(&d), ["E0531"]);
}

#[test]
fn functions_without_a_heat_form_are_an_error() {
    for function in [
        "length",
        "base64",
        "cidrsubnet",
        "lower",
        "upper",
        "keys",
        "values",
        "min",
        "max",
    ] {
        let d = deployment(
            vec![param("x", ParamType::String)],
            vec![],
            vec![output(
                "o",
                Expr::Call(
                    Builtin::from_name(function).expect("a built-in"),
                    vec![p("x")],
                ),
            )],
        );
        assert_eq!(codes_of(&d), ["E0532"], "{function}");
    }
    let replace = deployment(
        vec![param("x", ParamType::String)],
        vec![],
        vec![output(
            "o",
            Expr::Call(
                Builtin::from_name("replace").expect("a built-in"),
                vec![s("a-b"), p("x"), s("+")],
            ),
        )],
    );
    assert_eq!(codes_of(&replace), ["E0532"]);
}

#[test]
fn region_zones_and_object_store_are_an_error() {
    let d = deployment(
        vec![],
        vec![],
        vec![
            output("region", Expr::Context(Context::Region)),
            output("zone", index(Expr::Context(Context::Zones), Expr::Int(0))),
            output(
                "store",
                Expr::Call(
                    Builtin::from_name("object_store_url").expect("a built-in"),
                    vec![],
                ),
            ),
        ],
    );
    assert_eq!(codes_of(&d), ["E0533", "E0533", "E0533"]);
}

#[test]
fn conditions_reading_resources_are_an_error() {
    let db = resource(
        "Db",
        "db",
        "OS::Trove::Instance",
        vec![("flavor", s("m1.small"))],
    );
    let d = deployment(
        vec![],
        vec![db],
        vec![output(
            "mode",
            cond(
                eq(attr("Db", "port"), Expr::Int(5432)),
                s("plain"),
                s("custom"),
            ),
        )],
    );
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "E0534");
    assert_eq!(
        diagnostics[0].message,
        "a Heat condition cannot read `db.port`: it reads the resource `db`"
    );
}

#[test]
fn selecting_by_the_index_of_a_copy_is_an_error() {
    let mut web = server(vec![(
        "availability_zone",
        index(p("zones"), Expr::CountIndex),
    )]);
    web.count = Some(Box::new(p("n")));
    let d = deployment(
        vec![
            param("n", ParamType::Int),
            param("zones", ParamType::List(Box::new(ParamType::String))),
        ],
        vec![web],
        vec![],
    );
    assert_eq!(codes_of(&d), ["E0535"]);
    // One group's copy from another's: the copy's index is not a number
    // until Heat substitutes it into text.
    let mut ports = resource(
        "Port",
        "port",
        "OS::Neutron::Port",
        vec![("network", s("private"))],
    );
    ports.count = Some(Box::new(p("n")));
    let mut servers = server(vec![(
        "networks",
        Expr::List(vec![Expr::object(crate::ir::Map::from_iter([(
            "port".into(),
            index(ref_to("Port"), Expr::CountIndex),
        )]))]),
    )]);
    servers.count = Some(Box::new(p("n")));
    let d = deployment(
        vec![param("n", ParamType::Int)],
        vec![ports, servers],
        vec![output("second", index(ref_to("Port"), p("n")))],
    );
    assert_eq!(codes_of(&d), ["E0535", "E0535"]);
}

#[test]
fn a_sensitive_output_is_a_note() {
    let mut secret = output("password", p("password"));
    secret.sensitive = true;
    let d = deployment(
        vec![param("password", ParamType::String)],
        vec![],
        vec![secret],
    );
    let (template, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "W0530");
    assert_eq!(diagnostics[0].severity, crate::diagnostics::Severity::Note);
    assert_eq!(
        template["outputs"]["password"],
        json!({ "value": { "get_param": "password" } })
    );
}

#[test]
fn a_cname_to_an_address_is_an_error() {
    // As the schemas' `address_attributes` and `dns_record` say, through
    // lowering.
    let vip = Resource {
        facts: Arc::new(NativeFacts {
            address_attributes: vec!["floating_ip_address".into(), "fixed_ip_address".into()],
            ..NativeFacts::default()
        }),
        ..resource("Vip", "vip", "OS::Neutron::FloatingIP", vec![])
    };
    let record = |kind: &str, value: Expr| Resource {
        facts: Arc::new(NativeFacts {
            dns_record: Some(DnsRecord {
                type_property: "type".into(),
                records: "records".into(),
            }),
            ..NativeFacts::default()
        }),
        ..resource(
            "Www",
            "www",
            "OS::Designate::RecordSet",
            vec![("type", s(kind)), ("records", Expr::List(vec![value]))],
        )
    };
    let address = attr("Vip", "floating_ip_address");
    // As `dns.Record` writes a CNAME's value: a host name with its dot.
    let dotted = interp(vec![part(address.clone()), text(".")]);
    let chosen = cond(
        p("public"),
        address.clone(),
        attr("Vip", "fixed_ip_address"),
    );
    for value in [address.clone(), dotted, chosen] {
        let d = deployment(
            vec![param("public", ParamType::Bool)],
            vec![vip.clone(), record("CNAME", value)],
            vec![],
        );
        assert_eq!(codes_of(&d), ["E0537"]);
    }
    // An A record of the address, and a CNAME to a name built from it.
    let named = interp(vec![part(address.clone()), text(".nip.io.")]);
    for (kind, value) in [("A", address), ("CNAME", named)] {
        let d = deployment(vec![], vec![vip.clone(), record(kind, value)], vec![]);
        assert_eq!(codes_of(&d), Vec::<&str>::new());
    }
}

#[test]
fn names_colliding_as_snake_case_keep_their_ids() {
    let a = resource("WebServer", "web_server", "OS::Neutron::Net", vec![]);
    let b = resource("Web_Server", "web_server", "OS::Neutron::Net", vec![]);
    let d = deployment(vec![], vec![a, b], vec![]);
    let resources = clean(&d)["resources"].as_object().unwrap().clone();
    let names: Vec<&String> = resources.keys().collect();
    assert_eq!(names, ["web_server", "Web_Server"]);
}

#[test]
fn output_is_byte_identical_across_runs() {
    let mut web = server(vec![("name", interp(vec![part(p("env")), text("-web")]))]);
    web.condition = Some(Box::new(eq(p("env"), s("production"))));
    let d = deployment(vec![param("env", ParamType::String)], vec![web], vec![]);
    let first = serde_json::to_string_pretty(&emit(&d).0).unwrap();
    for _ in 0..5 {
        assert_eq!(serde_json::to_string_pretty(&emit(&d).0).unwrap(), first);
    }
}

#[test]
fn in_a_member_template_a_copys_index_is_its_index_parameter() {
    let name = interp(vec![text("web-"), part(Expr::CountIndex)]);
    let d = deployment(
        vec![param(super::MEMBER_INDEX_PARAM, ParamType::String)],
        vec![server(vec![("name", name)])],
        vec![],
    );
    let template = clean(&d);
    assert_eq!(
        template["resources"]["web"]["properties"]["name"],
        json!({
            "str_replace": {
                "template": "web-$index",
                "params": { "$index": { "get_param": "index" } }
            }
        })
    );
    // Arithmetic on it is refused as on a group's index, with the same way
    // out: the count at compile time.
    let d = deployment(
        vec![param(super::MEMBER_INDEX_PARAM, ParamType::String)],
        vec![server(vec![(
            "name",
            Expr::Binary(
                BinaryOp::Add,
                Box::new(Expr::CountIndex),
                Box::new(Expr::Int(1)),
            ),
        )])],
        vec![],
    );
    let (_, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].code.id, "E0530");
    assert!(
        diagnostics[0]
            .help
            .iter()
            .any(|h| h.contains("give the count at compile time")),
        "{:?}",
        diagnostics[0].help
    );
}

#[test]
fn a_resource_written_as_text_is_its_tree_printed() {
    let is_prod = eq(p("env"), s("production"));
    let d = resolved(&deployment(
        vec![param("env", ParamType::String)],
        vec![
            resource("Net", "net", "OS::Neutron::Net", vec![]),
            Resource {
                condition: Some(Box::new(is_prod.clone())),
                depends_on: vec![rid("Net")],
                deletion: Some(Deletion::Retain),
                ..server(vec![
                    ("image", cond(is_prod.clone(), s("big"), s("small"))),
                    (
                        "metadata",
                        object(vec![
                            // Keys the source map reads conditions from.
                            ("condition", s("not_a_condition")),
                            ("if", Expr::List(vec![s("listed"), s("a"), s("b")])),
                            ("name", interp(vec![text("web-\"q\"-"), part(p("env"))])),
                            ("net", ref_to("Net")),
                            ("none", Expr::Null),
                            ("count", Expr::Int(3)),
                        ]),
                    ),
                    // Heat cannot write it: left out, and reported.
                    (
                        "region",
                        Expr::List(vec![s("a"), Expr::Context(Context::Region)]),
                    ),
                    (
                        "networks",
                        Expr::List(vec![object(vec![("network", ref_to("Net"))])]),
                    ),
                ])
            },
        ],
        vec![],
    ));
    let names = super::resource_names(&d);
    let mut by_tree = super::Emitter::new(&d, &names);
    let mut by_text = super::Emitter::new(&d, &names);
    let mut uses = Vec::new();
    for (i, r) in d.resources.iter().enumerate() {
        let id = crate::ir::ResourceId(i as u32);
        let tree = by_tree.resource(id, r);
        let mut expected = String::new();
        crate::json::write(&mut expected, &tree, 2);
        let mut written = String::new();
        uses = by_text.write_resource(&mut written, id, r, 2);
        assert_eq!(written, expected);
        assert_eq!(uses, crate::sourcemap::Emitted::uses(Target::Heat, &tree));
    }
    assert_eq!(uses, ["not_a_condition", "listed", "env_is_production"]);
    let codes = |e: &super::Emitter| e.diagnostics.iter().map(|d| d.code.id).collect::<Vec<_>>();
    assert_eq!(codes(&by_text), codes(&by_tree));
    assert_eq!(codes(&by_text), ["E0533"]);
}
