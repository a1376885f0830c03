//! Unit tests of the Terraform backend.

use serde_json::{Value, json};

use crate::backend::common::testing::*;
use std::sync::Arc;

use crate::ir::{
    Context, Deletion, Deployment, DnsRecord, Expr, FinalSnapshot, KeyedAttribute, NativeFacts,
    Output, Param, ParamType, Part, Resource, Target,
};
use crate::syntax::ast::BinaryOp;

use super::variables::re2_unsupported;

mod values;

/// The configuration as JSON, and the diagnostics.
fn emit(d: &Deployment) -> (Value, Vec<crate::diagnostics::Diagnostic>) {
    let (text, diagnostics) = crate::backend::emit(&resolved(d));
    (
        serde_json::from_str(&text).expect("the configuration is JSON"),
        diagnostics,
    )
}

fn deployment(target: Target) -> Deployment {
    Deployment {
        target,
        description: None,
        params: Vec::new(),
        resources: Vec::new(),
        outputs: Vec::new(),
    }
}

fn resource(id: &str, snake: &str, ty: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource::new(id, snake, ty, properties)
}

/// The configuration of `d`, which must emit without diagnostics.
fn clean(d: &Deployment) -> Value {
    let (json, diagnostics) = emit(d);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {:?}",
        diagnostics
            .iter()
            .map(|d| (d.code.id, &d.message))
            .collect::<Vec<_>>()
    );
    json
}

fn codes_of(d: &Deployment) -> Vec<&'static str> {
    emit(d).1.iter().map(|d| d.code.id).collect()
}

/// The value of one property of the first resource.
fn property(d: &Deployment, name: &str) -> Value {
    let json = clean(d);
    let r = &d.resources[0];
    json["resource"][&*r.type_name][&r.snake][name].clone()
}

/// `e` as the value of a property of an aws_instance.
fn rendered(params: Vec<Param>, e: Expr) -> Value {
    let mut d = deployment(Target::TerraformAws);
    d.params = params;
    d.resources
        .push(resource("Web", "web", "aws_instance", vec![("ami", e)]));
    property(&d, "ami")
}

#[test]
fn an_empty_deployment_pins_its_provider() {
    let mut d = deployment(Target::TerraformAws);
    d.description = Some("A stack.".into());
    assert_eq!(
        clean(&d),
        json!({
            "//": "A stack.",
            "terraform": {
                "required_version": ">= 1.5.0",
                "required_providers": {
                    "aws": { "source": "hashicorp/aws", "version": "~> 6.69" }
                }
            },
            "provider": { "aws": {} }
        })
    );
    let d = deployment(Target::TerraformOpenstack);
    assert_eq!(
        clean(&d)["terraform"]["required_providers"],
        json!({
            "openstack": {
                "source": "terraform-provider-openstack/openstack",
                "version": "~> 3.0"
            }
        })
    );
}

#[test]
fn random_password_adds_the_random_provider() {
    let mut d = deployment(Target::TerraformOpenstack);
    d.resources.push(resource(
        "Password",
        "password",
        "random_password",
        vec![("length", Expr::Int(32))],
    ));
    assert_eq!(
        clean(&d)["terraform"]["required_providers"]["random"],
        json!({ "source": "hashicorp/random", "version": "~> 3.6" })
    );
}

#[test]
fn a_region_param_configures_the_provider() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("region", ParamType::String));
    assert_eq!(
        clean(&d)["provider"],
        json!({ "aws": { "region": "${var.region}" } })
    );
}

#[test]
fn params_are_variables_with_their_constraints() {
    let mut d = deployment(Target::TerraformAws);
    let mut env = param("env", ParamType::String);
    env.description = Some("Deployment environment.".into());
    env.default = Some(json!("staging"));
    env.allowed = Some(vec![json!("staging"), json!("production")]);
    let mut count = param("web_count", ParamType::Int);
    count.default = Some(json!(2));
    count.min = Some(json!(1));
    count.max = Some(json!(20));
    let mut password = param("db_password", ParamType::String);
    password.secret = true;
    password.min_length = Some(12);
    password.pattern = Some("[A-Za-z0-9]+".into());
    password.message = Some("letters and digits only, at least 12 characters".into());
    let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
    zones.default = Some(json!(["a"]));
    zones.pattern = Some("^[a-z]$".into());
    zones.max_length = Some(3);
    let mut tags = param("tags", ParamType::Json);
    tags.default = Some(json!({ "team": "web" }));
    tags.label = Some("Tags".into());
    d.params = vec![
        env,
        count,
        password,
        zones,
        tags,
        param("public", ParamType::Bool),
    ];
    assert_eq!(
        clean(&d)["variable"],
        json!({
            "env": {
                "description": "Deployment environment.",
                "type": "string",
                "default": "staging",
                "validation": [{
                    "condition": "${contains([\"staging\", \"production\"], var.env)}",
                    "error_message": "The value of env must be one of \"staging\", \"production\"."
                }]
            },
            "web_count": {
                "type": "number",
                "default": 2,
                "validation": [
                    {
                        "condition": "${var.web_count >= 1 && var.web_count <= 20}",
                        "error_message": "The value of web_count must be between 1 and 20."
                    },
                    {
                        "condition": "${floor(var.web_count) == var.web_count}",
                        "error_message": "The value of web_count must be a whole number."
                    }
                ]
            },
            "db_password": {
                "type": "string",
                "sensitive": true,
                "validation": [
                    {
                        "condition": "${can(regex(\"^(?:[A-Za-z0-9]+)$\", var.db_password))}",
                        "error_message": "Letters and digits only, at least 12 characters."
                    },
                    {
                        "condition": "${length(var.db_password) >= 12}",
                        "error_message": "Letters and digits only, at least 12 characters."
                    }
                ]
            },
            "zones": {
                "type": "list(string)",
                "default": ["a"],
                "validation": [
                    {
                        "condition": "${alltrue([for v in var.zones : can(regex(\"^[a-z]$\", v))])}",
                        "error_message": "Each element of zones must match the pattern ^[a-z]$."
                    },
                    {
                        "condition": "${length(var.zones) <= 3}",
                        "error_message": "The value of zones must be at most 3 elements long."
                    }
                ]
            },
            "tags": {
                "description": "Tags",
                "type": "any",
                "default": { "team": "web" }
            },
            "public": { "type": "bool" }
        })
    );
}

#[test]
fn a_list_params_allowed_values_are_whole_lists() {
    let mut d = deployment(Target::TerraformAws);
    let mut zones = param("zones", ParamType::List(Box::new(ParamType::String)));
    zones.default = Some(json!(["a", "b"]));
    zones.allowed = Some(vec![json!(["a", "b"]), json!(["c"]), json!([])]);
    d.params = vec![zones];
    // `contains([["a", "b"]], var.zones)` is false in Terraform: a
    // tuple is not equal to a list of the same elements.
    assert_eq!(
        clean(&d)["variable"]["zones"]["validation"],
        json!([{
            "condition": "${contains([for v in [[\"a\", \"b\"], [\"c\"], []] : jsonencode(v)], jsonencode(var.zones))}",
            "error_message": "The value of zones must be one of [\"a\", \"b\"], [\"c\"], []."
        }])
    );
}

#[test]
fn patterns_are_escaped_into_the_condition() {
    let mut d = deployment(Target::TerraformAws);
    let mut p = param("name", ParamType::String);
    p.pattern = Some("^\\d+\"${x}$".into());
    p.default = Some(Value::Null);
    d.params.push(p);
    assert_eq!(
        clean(&d)["variable"]["name"]["validation"],
        json!([{
            "condition": "${var.name == null || try(can(regex(\"^\\\\d+\\\"$${x}$\", var.name)), false)}",
            "error_message": "The value of name must match the pattern ^\\d+\"$${x}$."
        }])
    );
}

#[test]
fn an_export_name_is_a_note_and_the_output_is_written_without_it() {
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let mut d = deployment(target);
        d.resources
            .push(resource("Q", "q", "aws_sqs_queue", vec![]));
        for name in ["url", "arn"] {
            d.outputs.push(Output {
                export: Some(s(&format!("jobs-{name}"))),
                ..output(name, attr("Q", name))
            });
        }
        let (json, diagnostics) = emit(&d);
        // One note for every exported output of the configuration.
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        let note = &diagnostics[0];
        assert_eq!(note.code.id, "W0552");
        assert_eq!(note.severity, crate::diagnostics::Severity::Note);
        assert!(note.message.contains("`url` and `arn`"), "{}", note.message);
        assert_eq!(note.secondary.len(), 1);
        assert_eq!(
            json["output"]["url"],
            serde_json::json!({ "value": "${aws_sqs_queue.q.url}" })
        );
    }
}

#[test]
fn a_cname_to_an_address_is_an_error_on_openstack() {
    let mut d = deployment(Target::TerraformOpenstack);
    // As the schemas' `address_attributes` and `dns_record` say, through
    // lowering.
    d.resources.push(Resource {
        facts: Arc::new(NativeFacts {
            address_attributes: vec!["address".into(), "fixed_ip".into()],
            ..NativeFacts::default()
        }),
        ..resource("Vip", "vip", "openstack_networking_floatingip_v2", vec![])
    });
    let record = |name: &str, kind: &str, value: Expr| Resource {
        facts: Arc::new(NativeFacts {
            dns_record: Some(DnsRecord {
                type_property: "type".into(),
                records: "records".into(),
            }),
            ..NativeFacts::default()
        }),
        ..resource(
            name,
            &name.to_lowercase(),
            "openstack_dns_recordset_v2",
            vec![("type", s(kind)), ("records", Expr::List(vec![value]))],
        )
    };
    // `lb.LoadBalancer`'s `dns_name` on this provider, with the dot
    // `dns.Record` gives a CNAME's host.
    let address = interp(vec![part(interp(vec![part(attr("Vip", "address"))]))]);
    let dotted = interp(vec![part(address.clone()), text(".")]);
    d.resources.push(record("Www", "CNAME", dotted));
    d.resources.push(record("Shop", "A", address));
    let (_, diagnostics) = emit(&d);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, ["E0553"]);
    assert!(
        diagnostics[0]
            .message
            .contains("`openstack_networking_floatingip_v2.vip.address`")
    );
}

#[test]
fn a_reserved_param_name_is_renamed_with_a_warning() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("version", ParamType::String));
    d.resources.push(resource(
        "Db",
        "db",
        "aws_db_instance",
        vec![("engine_version", p("version"))],
    ));
    let (json, diagnostics) = emit(&d);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code.id, "W0550");
    assert_eq!(
        json["variable"],
        json!({ "version_value": { "type": "string" } })
    );
    assert_eq!(
        json["resource"]["aws_db_instance"]["db"]["engine_version"],
        json!("${var.version_value}")
    );
}

#[test]
fn references_name_the_type_and_the_resource() {
    let mut d = deployment(Target::TerraformAws);
    d.resources.push(resource(
        "Net",
        "net",
        "aws_vpc",
        vec![("cidr_block", s("10.0.0.0/16"))],
    ));
    let mut sub = resource(
        "Sub",
        "sub",
        "aws_subnet",
        vec![
            ("vpc_id", ref_to("Net")),
            ("cidr_block", attr("Net", "cidr_block")),
            ("availability_zone", attr("Net", "listener.0.address")),
        ],
    );
    sub.depends_on = vec![rid("Net")];
    d.resources.push(sub);
    assert_eq!(
        clean(&d)["resource"]["aws_subnet"]["sub"],
        json!({
            "vpc_id": "${aws_vpc.net.id}",
            "cidr_block": "${aws_vpc.net.cidr_block}",
            "availability_zone": "${aws_vpc.net.listener[0].address}",
            "depends_on": ["aws_vpc.net"]
        })
    );
}

/// An RDS instance's final-snapshot arguments, as its schema says.
fn rds(id: &str, snake: &str, properties: Vec<(&str, Expr)>) -> Resource {
    Resource {
        facts: Arc::new(NativeFacts {
            final_snapshot: Some(FinalSnapshot::Named {
                skip: "skip_final_snapshot".into(),
                identifier: "final_snapshot_identifier".into(),
                named_after: "identifier".into(),
            }),
            ..NativeFacts::default()
        }),
        ..resource(id, snake, "aws_db_instance", properties)
    }
}

#[test]
fn a_database_keeps_a_final_snapshot_unless_deleted() {
    let mut d = deployment(Target::TerraformAws);
    let mut named = rds("Db", "db", vec![("identifier", Expr::Param("name".into()))]);
    named.deletion = Some(Deletion::Snapshot);
    let mut unnamed = rds("Orders", "orders_db", vec![]);
    unnamed.deletion = Some(Deletion::Snapshot);
    let mut deleted = unnamed.clone();
    deleted.id = "Scratch".into();
    deleted.snake = "scratch".into();
    deleted.deletion = Some(Deletion::Delete);
    let mut own = unnamed.clone();
    own.id = "Own".into();
    own.snake = "own".into();
    own.properties
        .insert("skip_final_snapshot".into(), Expr::Bool(true));
    d.params = vec![param("name", ParamType::String)];
    d.resources = vec![named, unnamed, deleted, own];
    let json = clean(&d);
    let db = &json["resource"]["aws_db_instance"];
    assert_eq!(db["db"]["skip_final_snapshot"], false);
    assert_eq!(db["db"]["final_snapshot_identifier"], "${var.name}-final");
    assert_eq!(
        db["orders_db"]["final_snapshot_identifier"],
        "${terraform.workspace}-orders-db-final"
    );
    assert_eq!(db["scratch"], json!({ "skip_final_snapshot": true }));
    assert_eq!(db["own"]["skip_final_snapshot"], true);
    assert!(db["own"].get("final_snapshot_identifier").is_none());
}

#[test]
fn kept_resources_are_protected_and_snapshots_are_the_types_own() {
    let mut d = deployment(Target::TerraformAws);
    let mut kept = Resource {
        facts: Arc::new(NativeFacts {
            final_snapshot: Some(FinalSnapshot::Flag("final_snapshot".into())),
            ..NativeFacts::default()
        }),
        ..resource(
            "Data",
            "data",
            "aws_ebs_volume",
            vec![("size", Expr::Int(10))],
        )
    };
    kept.deletion = Some(Deletion::Snapshot);
    let mut deleted = kept.clone();
    deleted.id = "Scratch".into();
    deleted.snake = "scratch".into();
    deleted.deletion = Some(Deletion::Delete);
    let mut retained = resource("Web", "web", "aws_instance", vec![]);
    retained.deletion = Some(Deletion::Retain);
    let mut logs = kept.clone();
    logs.id = "Logs".into();
    logs.snake = "logs".into();
    logs.deletion = Some(Deletion::Retain);
    d.resources = vec![kept, deleted, retained, logs];
    let json = clean(&d);
    let protected = json!({ "prevent_destroy": true });
    assert_eq!(
        json["resource"]["aws_ebs_volume"]["data"]["lifecycle"],
        protected
    );
    assert_eq!(
        json["resource"]["aws_ebs_volume"]["scratch"],
        json!({ "size": 10 })
    );
    assert_eq!(
        json["resource"]["aws_instance"]["web"]["lifecycle"],
        protected
    );
    assert_eq!(
        json["resource"]["aws_ebs_volume"]["logs"]["lifecycle"],
        protected
    );
    assert_eq!(
        json["resource"]["aws_ebs_volume"]["data"]["final_snapshot"],
        true
    );
    assert!(
        json["resource"]["aws_ebs_volume"]["logs"]
            .get("final_snapshot")
            .is_none()
    );
}

#[test]
fn the_copies_of_a_counted_resource_are_a_splat_or_a_for_expression() {
    let mut d = deployment(Target::TerraformOpenstack);
    d.params.push(param("n", ParamType::Int));
    let mut port = resource(
        "WebPort",
        "web_port",
        "openstack_networking_port_v2",
        vec![],
    );
    port.count = Some(Box::new(p("n")));
    let mut server = resource(
        "WebInstance",
        "web_instance",
        "openstack_compute_instance_v2",
        vec![("network", object(vec![("port", ref_to("WebPort"))]))],
    );
    server.count = Some(Box::new(p("n")));
    d.resources = vec![port, server];
    let ip = Expr::Index(
        Box::new(attr("WebPort", "all_fixed_ips")),
        Box::new(Expr::Int(0)),
    );
    d.outputs = vec![
        output("ids", copies("WebInstance", ref_to("WebInstance"))),
        output("names", copies("WebInstance", attr("WebInstance", "name"))),
        output(
            "ips",
            copies(
                "WebInstance",
                interp(vec![
                    part(Expr::CountIndex),
                    text("="),
                    part(ip),
                    text(":80"),
                ]),
            ),
        ),
    ];
    let json = clean(&d);
    // A copy reads the copy of a resource counted alike.
    assert_eq!(
        json["resource"]["openstack_compute_instance_v2"]["web_instance"]["network"],
        json!({ "port": "${openstack_networking_port_v2.web_port[count.index].id}" })
    );
    assert_eq!(
        json["output"],
        json!({
            "ids": { "value": "${openstack_compute_instance_v2.web_instance[*].id}" },
            "names": { "value": "${openstack_compute_instance_v2.web_instance[*].name}" },
            "ips": {
                "value": "${[for i in range(length(openstack_compute_instance_v2.web_instance)) : \"${i}=${openstack_networking_port_v2.web_port[i].all_fixed_ips[0]}:80\"]}"
            }
        })
    );
}

#[test]
fn a_conditional_resource_has_a_count_and_is_read_at_index_0() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("env", ParamType::String));
    let is_prod = bin(BinaryOp::Eq, p("env"), s("production"));
    let mut bastion = resource(
        "Bastion",
        "bastion",
        "aws_instance",
        vec![("ami", s("ami-1"))],
    );
    bastion.condition = Some(Box::new(is_prod.clone()));
    d.resources.push(bastion);
    let mut out = output(
        "ip",
        cond(is_prod.clone(), attr("Bastion", "public_ip"), s("")),
    );
    out.description = Some("The address.".into());
    d.outputs.push(out);
    let mut gated = output("id", ref_to("Bastion"));
    gated.condition = Some(p("public"));
    d.params.push(param("public", ParamType::Bool));
    d.outputs.push(gated);
    let json = clean(&d);
    assert_eq!(
        json["resource"]["aws_instance"]["bastion"],
        json!({
            "count": "${local.env_is_production ? 1 : 0}",
            "ami": "ami-1"
        })
    );
    assert_eq!(
        json["locals"],
        json!({ "env_is_production": "${var.env == \"production\"}" })
    );
    assert_eq!(
        json["output"],
        json!({
            "ip": {
                "description": "The address.",
                "value": "${local.env_is_production ? aws_instance.bastion[0].public_ip : \"\"}"
            },
            "id": { "value": "${var.public ? aws_instance.bastion[0].id : null}" }
        })
    );
}

#[test]
fn an_index_inside_a_counted_resource_selects_from_the_value_of_its_copy() {
    let mut d = deployment(Target::TerraformOpenstack);
    d.params.push(param("n", ParamType::Int));
    let mut port = resource(
        "WebPort",
        "web_port",
        "openstack_networking_port_v2",
        vec![],
    );
    port.count = Some(Box::new(p("n")));
    let address = Expr::Index(
        Box::new(attr("WebPort", "all_fixed_ips")),
        Box::new(Expr::Int(0)),
    );
    let mut member = resource(
        "Member",
        "member",
        "openstack_lb_member_v2",
        vec![("address", address)],
    );
    member.count = Some(Box::new(p("n")));
    d.resources = vec![port, member];
    let json = clean(&d);
    // The member's copy reads its own port's first address, not port 0.
    assert_eq!(
        json["resource"]["openstack_lb_member_v2"]["member"]["address"],
        json!("${openstack_networking_port_v2.web_port[count.index].all_fixed_ips[0]}")
    );
}

#[test]
fn a_deploy_time_count_uses_count_index() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("n", ParamType::Int));
    let mut web = resource(
        "Web",
        "web",
        "aws_instance",
        vec![(
            "tags",
            object(vec![(
                "Name",
                interp(vec![text("web-"), part(Expr::CountIndex)]),
            )]),
        )],
    );
    web.count = Some(Box::new(p("n")));
    let mut disk = resource(
        "Disk",
        "disk",
        "aws_volume_attachment",
        vec![(
            "instance_id",
            Expr::Index(Box::new(ref_to("Web")), Box::new(Expr::CountIndex)),
        )],
    );
    disk.count = Some(Box::new(p("n")));
    disk.condition = Some(Box::new(p("disks")));
    d.params.push(param("disks", ParamType::Bool));
    d.resources = vec![web, disk];
    d.outputs.push(output("ips", attr("Web", "private_ip")));
    let json = clean(&d);
    assert_eq!(
        json["resource"],
        json!({
            "aws_instance": {
                "web": { "count": "${var.n}", "tags": { "Name": "web-${count.index}" } }
            },
            "aws_volume_attachment": {
                "disk": {
                    "count": "${var.disks ? var.n : 0}",
                    "instance_id": "${aws_instance.web[count.index].id}"
                }
            }
        })
    );
    assert_eq!(
        json["output"]["ips"]["value"],
        json!("${aws_instance.web[*].private_ip}")
    );
}

/// A Terraform deployment with a secret param, `pw`.
fn with_secret() -> Deployment {
    let mut d = deployment(Target::TerraformAws);
    let mut pw = param("pw", ParamType::String);
    pw.secret = true;
    d.params.push(pw);
    d
}

/// `r`, existing only when the secret `pw` is set: its count reads it.
fn exists_if_secret(mut r: Resource) -> Resource {
    r.condition = Some(Box::new(bin(BinaryOp::Ne, p("pw"), s(""))));
    r
}

#[test]
fn a_secret_in_a_count_is_an_error() {
    let mut d = with_secret();
    d.resources
        .push(exists_if_secret(resource("X", "x", "aws_instance", vec![])));
    assert_eq!(codes_of(&d), ["E0550"]);
}

/// Resources are written by type, types in order of first use: what they
/// report is in the deployment's order all the same, and a resource whose
/// address a later one takes is replaced in its place, still reporting.
#[test]
fn resources_are_grouped_by_type_and_report_in_the_deployments_order() {
    let mut d = with_secret();
    let secret_count = |id: &str, snake: &str, ty: &str, size: i64| {
        exists_if_secret(resource(
            id,
            snake,
            ty,
            vec![("volume_size", Expr::Int(size))],
        ))
    };
    d.resources = vec![
        secret_count("A", "a", "aws_instance", 1),
        secret_count("B", "b", "aws_ebs_volume", 2),
        secret_count("C", "c", "aws_instance", 3),
        secret_count("A2", "a", "aws_instance", 4),
    ];
    let (json, diagnostics) = emit(&d);
    // Lowering never makes two resources of one address: the IR that
    // has them is reported as the compiler's error, before any is written.
    assert_eq!(diagnostics[0].code.id, "E0000");
    let about: Vec<String> = (diagnostics[1..].iter())
        .inspect(|d| assert_eq!(d.code.id, "E0550"))
        .map(|d| d.message.split('`').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        about,
        [
            "aws_instance.a",
            "aws_ebs_volume.b",
            "aws_instance.c",
            "aws_instance.a"
        ]
    );
    let resource = json["resource"].as_object().expect("resources");
    assert_eq!(
        resource.keys().collect::<Vec<_>>(),
        ["aws_instance", "aws_ebs_volume"]
    );
    let instances = resource["aws_instance"].as_object().expect("instances");
    assert_eq!(instances.keys().collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(instances["a"]["volume_size"], 4);
}

#[test]
fn a_value_known_after_apply_in_a_count_is_an_error() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("cidr", ParamType::String));
    d.resources.push(resource(
        "Net",
        "net",
        "aws_vpc",
        vec![("cidr_block", Expr::Param("cidr".into()))],
    ));
    let mut sub = resource("Sub", "sub", "aws_subnet", vec![("vpc_id", ref_to("Net"))]);
    let reads = |e: Expr| Some(bin(BinaryOp::Ne, e, s("")));
    // The id, an attribute the cloud assigns, and an attribute set to
    // one of them are known only after apply.
    for read in [ref_to("Net"), attr("Net", "arn"), attr("Sub", "vpc_id")] {
        let mut d = d.clone();
        let mut r = resource("X", "x", "aws_subnet", vec![]);
        r.condition = reads(read).map(Box::new);
        d.resources.push(sub.clone());
        d.resources.push(r);
        assert_eq!(codes_of(&d), ["E0554"]);
    }
    // An attribute the program sets to a param is known when Terraform
    // plans; so is one set to such an attribute, in a dynamic block too.
    sub.properties
        .insert("cidr_block".into(), attr("Net", "cidr_block"));
    let mut r = resource("X", "x", "aws_subnet", vec![]);
    r.condition = reads(attr("Net", "cidr_block")).map(Box::new);
    let mut y = r.clone();
    y.id = "Y".into();
    y.snake = "y".into();
    y.condition = reads(attr("Sub", "cidr_block")).map(Box::new);
    d.resources.extend([sub, r, y]);
    assert_eq!(codes_of(&d), Vec::<&str>::new());
}

#[test]
fn a_pattern_re2_cannot_read_is_an_error() {
    let mut d = deployment(Target::TerraformAws);
    let mut p = param("pw", ParamType::String);
    p.pattern = Some("^(?=.*[0-9]).{12,}$".into());
    d.params.push(p);
    assert_eq!(codes_of(&d), ["E0551"]);
    assert_eq!(re2_unsupported("^(a)\\1$"), Some("a backreference"));
    assert_eq!(re2_unsupported("^(?<!x)a$"), Some("a lookbehind"));
    assert_eq!(re2_unsupported("^a++$"), Some("a possessive quantifier"));
    assert_eq!(re2_unsupported("^[a+]+(?:x|y)?(?P<n>z)\\d{1,3}$"), None);
}

#[test]
fn an_unknown_provider_is_an_internal_error() {
    let mut d = deployment(Target::TerraformAws);
    d.resources.push(resource("T", "t", "vault_token", vec![]));
    d.resources.push(resource("U", "u", "vault_policy", vec![]));
    let (json, diagnostics) = emit(&d);
    assert_eq!(
        diagnostics.iter().map(|d| d.code.id).collect::<Vec<_>>(),
        ["E0000"]
    );
    assert_eq!(
        json["terraform"]["required_providers"],
        json!({ "aws": { "source": "hashicorp/aws", "version": "~> 6.69" } })
    );
}

#[test]
fn a_bad_reference_is_an_internal_error() {
    let mut d = deployment(Target::TerraformAws);
    let mut r = resource("X", "x", "aws_instance", vec![("ami", attr("Nope", "id"))]);
    r.depends_on = vec![rid("Gone")];
    d.resources.push(r);
    d.outputs.push(output("i", Expr::CountIndex));
    assert_eq!(codes_of(&d), ["E0000", "E0000", "E0000"]);
}

#[test]
fn output_is_deterministic() {
    let mut d = deployment(Target::TerraformAws);
    d.params = vec![
        param("env", ParamType::String),
        param("app", ParamType::String),
    ];
    for i in 0..20 {
        let name = interp(vec![part(p("app")), text("-"), part(p("env"))]);
        d.resources.push(resource(
            &format!("R{i}"),
            &format!("r{i}"),
            if i % 2 == 0 {
                "aws_instance"
            } else {
                "aws_eip"
            },
            vec![
                ("a", name),
                ("b", bin(BinaryOp::Eq, p("env"), s(&format!("v{}", i % 3)))),
                ("c", Expr::Context(Context::Zones)),
            ],
        ));
    }
    let first = serde_json::to_string(&emit(&d).0).unwrap_or_default();
    for _ in 0..5 {
        assert_eq!(
            serde_json::to_string(&emit(&d).0).unwrap_or_default(),
            first
        );
    }
}

#[test]
fn a_property_named_as_an_argument_replaces_it_in_its_place() {
    let mut d = deployment(Target::TerraformAws);
    let mut r = resource(
        "Web",
        "web",
        "aws_instance",
        vec![("ami", s("a")), ("count", Expr::Int(3))],
    );
    r.condition = Some(Box::new(Expr::Bool(false)));
    d.resources.push(r);
    let (json, _) = emit(&d);
    let body = json["resource"]["aws_instance"]["web"].as_object().unwrap();
    let keys: Vec<&str> = body.keys().map(String::as_str).collect();
    assert_eq!(keys, ["count", "ami"]);
    assert_eq!(body["count"], json!(3));
}

#[test]
fn bodies_whose_keys_may_meet_are_written_as_maps() {
    // Escaped keys, a property named like an argument written beside it,
    // and a field named `dynamic` beside dynamic blocks: written by the
    // tree, where the last value wins, in the first place.
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("on", ParamType::Bool));
    let web = resource(
        "Web",
        "web",
        "aws_instance",
        vec![
            ("a${x}", s("escaped")),
            ("a$${x}", s("written")),
            ("ami", s("ami-1")),
        ],
    );
    let mut db = resource(
        "Db",
        "db",
        "aws_instance",
        vec![("count", Expr::Int(7)), ("ami", s("ami-2"))],
    );
    db.condition = Some(Box::new(p("on")));
    d.resources.push(web);
    d.resources.push(db);
    let blocks = Expr::If(
        Box::new(p("on")),
        Box::new(Expr::List(vec![object(vec![("port", Expr::Int(1))])])),
        Box::new(Expr::Null),
    );
    d.resources.push(resource(
        "Group",
        "group",
        "aws_security_group",
        vec![("dynamic", s("first")), ("ingress", blocks)],
    ));
    let json = clean(&d);
    assert_eq!(
        json["resource"]["aws_instance"]["web"],
        json!({ "a$${x}": "escaped", "a$$${x}": "written", "ami": "ami-1" })
    );
    assert_eq!(
        json["resource"]["aws_instance"]["db"],
        json!({ "count": 7, "ami": "ami-2" })
    );
    let group = &json["resource"]["aws_security_group"]["group"];
    assert_eq!(
        group["dynamic"]["ingress"]["for_each"],
        json!("${var.on ? [1] : []}")
    );
    assert!(group.get("ingress").is_none());
}

#[test]
fn a_staged_configuration_is_the_held_one_its_types_interleaved_in_the_ir() {
    // Three types, their resources interleaved, each type's entries well
    // over what a spill holds: each type's object is staged in pieces and
    // put in place behind the sections before it.
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("env", ParamType::String));
    let tag = |i: usize, ty: &str| {
        Expr::Interp(vec![
            Part::Expr(Expr::Param("env".into())),
            Part::Text(format!("-{ty}-{i}-{}", "x".repeat(200))),
        ])
    };
    for i in 0..1200 {
        for ty in ["aws_vpc", "aws_subnet", "aws_instance"] {
            let snake = format!("{}_{i}", &ty[4..]);
            d.resources.push(resource(
                &snake,
                &snake,
                ty,
                vec![(
                    "tags",
                    Expr::Object(Box::new(
                        [("Name".into(), tag(i, ty))].into_iter().collect(),
                    )),
                )],
            ));
        }
    }
    let d = resolved(&d);
    let held = super::emission(&d);
    assert!(held.text.len() > 3 * 4 * crate::workspace::SPILL_AT);
    let temp = tempfile::tempdir().unwrap();
    let staging = crate::workspace::Staging::new(temp.path());
    let staged = super::emission_to(&d, crate::workspace::Printing::Staged(&staging));
    let file = staged.staged.as_ref().expect("staged");
    let path = std::path::PathBuf::from("t.tf.json");
    staging
        .place(&[(path.clone(), crate::workspace::Output::Staged(file))])
        .unwrap();
    drop(staging);
    let text = std::fs::read_to_string(temp.path().join(&path)).unwrap();
    assert_eq!(text, held.text);
    let json: Value = serde_json::from_str(&text).unwrap();
    let resource = json["resource"].as_object().unwrap();
    assert_eq!(
        resource.keys().collect::<Vec<_>>(),
        ["aws_vpc", "aws_subnet", "aws_instance"]
    );
    let subnets: Vec<&String> = resource["aws_subnet"].as_object().unwrap().keys().collect();
    assert_eq!(subnets.len(), 1200);
    assert_eq!(
        (subnets[0].as_str(), subnets[1199].as_str()),
        ("subnet_0", "subnet_1199")
    );
    assert_eq!(
        resource["aws_instance"]["instance_7"]["tags"]["Name"],
        format!("${{var.env}}-aws_instance-7-{}", "x".repeat(200))
    );
    // Nothing is left staged beside the placed file.
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
}
