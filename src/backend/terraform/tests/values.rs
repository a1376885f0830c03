//! Values: expressions in Terraform's syntax, functions, context values,
//! outputs, dynamic blocks and locals.

use super::*;

#[test]
fn literal_text_is_escaped() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("x", ParamType::String));
    d.resources.push(resource(
        "Web",
        "web",
        "aws_instance",
        vec![
            ("user_data", s("echo ${HOME} %{x}")),
            (
                "ami",
                interp(vec![text("a$"), part(p("x")), text("${b}\n")]),
            ),
            (
                "tags",
                object(vec![(
                    "q",
                    cond(
                        p("p"),
                        interp(vec![text("\"${"), part(p("x")), text("\\")]),
                        s("a\tb"),
                    ),
                )]),
            ),
        ],
    ));
    d.params.push(param("p", ParamType::Bool));
    let json = clean(&d);
    assert_eq!(
        json["resource"]["aws_instance"]["web"],
        json!({
            "user_data": "echo $${HOME} %%{x}",
            "ami": "a${\"$\"}${var.x}$${b}\n",
            "tags": { "q": "${var.p ? \"\\\"$${${var.x}\\\\\" : \"a\\tb\"}" }
        })
    );
}

#[test]
fn operators_keep_their_precedence() {
    let params = vec![
        param("a", ParamType::Int),
        param("b", ParamType::Int),
        param("x", ParamType::Number),
        param("p", ParamType::Bool),
        param("q", ParamType::Bool),
    ];
    let sum = bin(BinaryOp::Add, p("a"), p("b"));
    assert_eq!(
        rendered(params.clone(), bin(BinaryOp::Mul, sum.clone(), p("x"))),
        json!("${(var.a + var.b) * var.x}")
    );
    assert_eq!(
        rendered(params.clone(), bin(BinaryOp::Sub, p("x"), sum.clone())),
        json!("${var.x - (var.a + var.b)}")
    );
    assert_eq!(
        rendered(
            params.clone(),
            bin(BinaryOp::Div, sum.clone(), Expr::Int(2))
        ),
        json!("${floor((var.a + var.b) / 2)}")
    );
    assert_eq!(
        rendered(params.clone(), bin(BinaryOp::Div, p("x"), Expr::Int(2))),
        json!("${var.x / 2}")
    );
    let either = bin(BinaryOp::Or, p("p"), p("q"));
    let neither = bin(BinaryOp::Or, p("q"), p("p"));
    assert_eq!(
        rendered(
            params.clone(),
            bin(BinaryOp::And, either, Expr::Not(Box::new(neither)))
        ),
        json!("${(var.p || var.q) && !(var.q || var.p)}")
    );
    assert_eq!(
        rendered(
            params.clone(),
            bin(BinaryOp::Eq, bin(BinaryOp::Lt, p("a"), p("b")), p("p"))
        ),
        json!("${var.a < var.b == var.p}")
    );
    assert_eq!(
        rendered(params.clone(), Expr::Neg(Box::new(Expr::Int(-1)))),
        json!("${-(-1)}")
    );
    assert_eq!(
        rendered(
            params.clone(),
            cond(
                p("p"),
                cond(p("q"), s("a"), s("b")),
                cond(p("q"), s("c"), Expr::Null)
            )
        ),
        json!("${var.p ? (var.q ? \"a\" : \"b\") : var.q ? \"c\" : null}")
    );
    assert_eq!(
        rendered(params, Expr::Member(Box::new(p("a")), "field-name".into())),
        json!("${var.a[\"field-name\"]}")
    );
}

#[test]
fn functions_are_terraform_functions() {
    let params = vec![
        param("s", ParamType::String),
        param("l", ParamType::List(Box::new(ParamType::String))),
        param("n", ParamType::List(Box::new(ParamType::Number))),
        param("m", ParamType::Json),
    ];
    let cases = vec![
        (call("join", vec![s(","), p("l")]), "${join(\",\", var.l)}"),
        (
            call("split", vec![s(","), p("s")]),
            "${split(\",\", var.s)}",
        ),
        (
            call("element", vec![p("l"), Expr::Int(1)]),
            "${element(var.l, 1)}",
        ),
        (call("length", vec![p("l")]), "${length(var.l)}"),
        (call("base64", vec![p("s")]), "${base64encode(var.s)}"),
        (
            call("cidrsubnet", vec![p("s"), Expr::Int(8), Expr::Int(2)]),
            "${cidrsubnet(var.s, 8, 2)}",
        ),
        (call("lookup", vec![p("m"), p("s")]), "${var.m[var.s]}"),
        (
            call("lookup", vec![p("m"), p("s"), s("x")]),
            "${lookup(var.m, var.s, \"x\")}",
        ),
        (
            call("contains", vec![p("s"), s("x")]),
            "${strcontains(var.s, \"x\")}",
        ),
        (
            call("contains", vec![p("l"), s("x")]),
            "${contains(var.l, \"x\")}",
        ),
        (call("min", vec![p("n")]), "${min(var.n...)}"),
        (
            call("max", vec![Expr::Int(1), Expr::Int(2)]),
            "${max(1, 2)}",
        ),
        (
            call("replace", vec![p("s"), s("/a.b/"), s("-")]),
            "${replace(var.s, \"/\\\\/a\\\\.b\\\\//\", \"-\")}",
        ),
        (call("upper", vec![p("s")]), "${upper(var.s)}"),
        (call("keys", vec![p("m")]), "${keys(var.m)}"),
        (
            call("concat", vec![p("l"), Expr::List(vec![s("x")])]),
            "${concat(var.l, [\"x\"])}",
        ),
    ];
    for (e, want) in cases {
        assert_eq!(rendered(params.clone(), e), json!(want));
    }
}

#[test]
fn a_function_without_a_form_is_an_internal_error() {
    let mut d = deployment(Target::TerraformAws);
    d.resources.push(resource(
        "Web",
        "web",
        "aws_instance",
        vec![("ami", call("file", vec![Expr::Context(Context::Region)]))],
    ));
    assert_eq!(codes_of(&d), ["E0000"]);
}

#[test]
fn context_values_are_data_sources() {
    let props = vec![
        (
            "a",
            interp(vec![
                part(Expr::Context(Context::Region)),
                text("/"),
                part(Expr::Context(Context::AccountId)),
                text("/"),
                part(Expr::Context(Context::StackName)),
            ]),
        ),
        (
            "b",
            Expr::Index(
                Box::new(Expr::Context(Context::Zones)),
                Box::new(Expr::Int(0)),
            ),
        ),
    ];
    let mut d = deployment(Target::TerraformAws);
    d.resources
        .push(resource("Web", "web", "aws_instance", props.clone()));
    let json = clean(&d);
    assert_eq!(
        json["data"],
        json!({
            "aws_region": { "current": {} },
            "aws_availability_zones": { "available": { "state": "available" } },
            "aws_caller_identity": { "current": {} }
        })
    );
    assert_eq!(
        json["resource"]["aws_instance"]["web"],
        json!({
            "a": "${data.aws_region.current.region}/${data.aws_caller_identity.current.account_id}/${terraform.workspace}",
            "b": "${data.aws_availability_zones.available.names[0]}"
        })
    );
    let mut d = deployment(Target::TerraformOpenstack);
    d.resources.push(resource(
        "Web",
        "web",
        "openstack_compute_instance_v2",
        props,
    ));
    let json = clean(&d);
    assert_eq!(
        json["data"],
        json!({
            "openstack_identity_auth_scope_v3": { "current": { "name": "current" } },
            "openstack_compute_availability_zones_v2": { "available": {} }
        })
    );
    assert_eq!(
        json["resource"]["openstack_compute_instance_v2"]["web"],
        json!({
            "a": "${data.openstack_identity_auth_scope_v3.current.region}/${data.openstack_identity_auth_scope_v3.current.project_id}/${terraform.workspace}",
            "b": "${data.openstack_compute_availability_zones_v2.available.names[0]}"
        })
    );
}

#[test]
fn the_object_store_url_is_read_from_the_service_catalog() {
    let url = call("object_store_url", vec![]);
    let mut d = deployment(Target::TerraformOpenstack);
    d.resources.push(resource(
        "Site",
        "site",
        "openstack_objectstorage_container_v1",
        vec![("name", s("site"))],
    ));
    d.outputs.push(output(
        "host",
        Expr::Index(
            Box::new(call("split", vec![s("/"), url.clone()])),
            Box::new(Expr::Int(2)),
        ),
    ));
    let json = clean(&d);
    assert_eq!(
        json["data"],
        json!({ "openstack_identity_auth_scope_v3": { "current": { "name": "current" } } })
    );
    let catalog = "one([for s in data.openstack_identity_auth_scope_v3.current.service_catalog : one([for e in s.endpoints : e.url if e.interface == \"public\" && contains([\"\", e.region_id, e.region], data.openstack_identity_auth_scope_v3.current.region)]) if s.type == \"object-store\"])";
    assert_eq!(
        json["output"]["host"]["value"],
        json!(format!("${{split(\"/\", {catalog})[2]}}"))
    );
    // Read twice, the long expression is a local.
    d.outputs.push(output(
        "site",
        interp(vec![part(url.clone()), text("/site")]),
    ));
    let json = clean(&d);
    assert_eq!(
        json["locals"],
        json!({ "object_store_url": format!("${{{catalog}}}") })
    );
    assert_eq!(
        json["output"]["site"]["value"],
        json!("${local.object_store_url}/site")
    );
    // The aws provider has no OpenStack catalog.
    let mut d = deployment(Target::TerraformAws);
    d.outputs.push(output("site", url));
    assert_eq!(codes_of(&d), ["E0552"]);
}

#[test]
fn key_value_lists_are_read_by_key() {
    let mut d = deployment(Target::TerraformOpenstack);
    // As the schema's `keyed_attributes` says, through lowering.
    d.resources.push(Resource {
        facts: Arc::new(NativeFacts {
            keyed_attributes: vec![KeyedAttribute {
                attribute: "outputs".into(),
                key: "output_key".into(),
                value: "output_value".into(),
            }],
            ..NativeFacts::default()
        }),
        ..resource(
            "Jobs",
            "jobs",
            "openstack_orchestration_stack_v1",
            vec![
                ("name", s("jobs")),
                ("template_opts", object(vec![("Bin", s("{}"))])),
            ],
        )
    });
    d.outputs.push(output(
        "by_index",
        Expr::Index(Box::new(attr("Jobs", "outputs")), Box::new(s("href"))),
    ));
    d.outputs
        .push(output("by_member", attr("Jobs", "outputs.href")));
    d.outputs.push(output("all", attr("Jobs", "outputs")));
    let json = clean(&d);
    let href = "${one([for o in openstack_orchestration_stack_v1.jobs.outputs : o.output_value if o.output_key == \"href\"])}";
    // Read twice (the two spellings are one read), the value is a local.
    assert_eq!(json["locals"], json!({ "jobs_outputs_href": href }));
    assert_eq!(
        json["output"]["by_index"]["value"],
        json!("${local.jobs_outputs_href}")
    );
    assert_eq!(
        json["output"]["by_member"]["value"],
        json!("${local.jobs_outputs_href}")
    );
    assert_eq!(
        json["output"]["all"]["value"],
        json!(
            "${ {for o in openstack_orchestration_stack_v1.jobs.outputs : o.output_key => o.output_value} }"
        )
    );
    // Read once, it is written in place.
    d.outputs.remove(1);
    let json = clean(&d);
    assert_eq!(json["output"]["by_index"]["value"], json!(href));
    // Other types' attributes are read as they are.
    d.resources[0].type_name = "openstack_compute_instance_v2".into();
    d.resources[0].facts = Arc::default();
    let json = clean(&d);
    assert_eq!(
        json["output"]["by_index"]["value"],
        json!("${openstack_compute_instance_v2.jobs.outputs[\"href\"]}")
    );
}

#[test]
fn outputs_reading_secrets_are_sensitive() {
    let mut d = deployment(Target::TerraformAws);
    let mut pw = param("db_password", ParamType::String);
    pw.secret = true;
    d.params = vec![pw, param("user", ParamType::String)];
    d.resources.push(Resource {
        facts: Arc::new(NativeFacts {
            sensitive_attributes: vec!["bcrypt_hash".into(), "result".into()],
            ..NativeFacts::default()
        }),
        ..resource(
            "Password",
            "password",
            "random_password",
            vec![("length", Expr::Int(32))],
        )
    });
    d.outputs = vec![
        output(
            "dsn",
            interp(vec![part(p("user")), text(":"), part(p("db_password"))]),
        ),
        output("generated", attr("Password", "result")),
        output("user", p("user")),
        Output {
            sensitive: true,
            ..output("marked", p("user"))
        },
    ];
    assert_eq!(
        clean(&d)["output"],
        json!({
            "dsn": { "value": "${var.user}:${var.db_password}", "sensitive": true },
            "generated": { "value": "${random_password.password.result}", "sensitive": true },
            "user": { "value": "${var.user}" },
            "marked": { "value": "${var.user}", "sensitive": true }
        })
    );
}

#[test]
fn conditional_nested_blocks_are_dynamic_blocks() {
    let mut d = deployment(Target::TerraformAws);
    d.params = vec![
        param("size", ParamType::Int),
        param("protocol", ParamType::String),
    ];
    let sized = bin(BinaryOp::Ne, p("size"), Expr::Null);
    let tcp = bin(BinaryOp::Eq, p("protocol"), s("TCP"));
    d.resources.push(resource(
        "Web",
        "web",
        "aws_instance",
        vec![
            (
                "root_block_device",
                cond(
                    sized,
                    Expr::List(vec![object(vec![("volume_size", p("size"))])]),
                    Expr::Null,
                ),
            ),
            (
                "metadata_options",
                Expr::List(vec![object(vec![("http_tokens", s("required"))])]),
            ),
            (
                "ebs_block_device",
                Expr::List(vec![
                    object(vec![("device_name", s("/dev/sdf"))]),
                    cond(
                        tcp.clone(),
                        object(vec![("device_name", s("/dev/sdg"))]),
                        Expr::Null,
                    ),
                ]),
            ),
            (
                "network_interface",
                cond(
                    tcp,
                    Expr::List(vec![object(vec![("device_index", Expr::Int(0))])]),
                    Expr::List(vec![object(vec![("device_index", Expr::Int(1))])]),
                ),
            ),
        ],
    ));
    assert_eq!(
        clean(&d)["resource"]["aws_instance"]["web"],
        json!({
            "metadata_options": [{ "http_tokens": "required" }],
            "ebs_block_device": [{ "device_name": "/dev/sdf" }],
            "dynamic": {
                "root_block_device": {
                    "for_each": "${var.size != null ? [1] : []}",
                    "content": { "volume_size": "${var.size}" }
                },
                "ebs_block_device": {
                    "for_each": "${local.protocol_is_tcp ? [1] : []}",
                    "content": { "device_name": "/dev/sdg" }
                },
                "network_interface": [
                    {
                        "for_each": "${local.protocol_is_tcp ? [1] : []}",
                        "content": { "device_index": 0 }
                    },
                    {
                        "for_each": "${var.protocol != \"TCP\" ? [1] : []}",
                        "content": { "device_index": 1 }
                    }
                ]
            }
        })
    );
}

#[test]
fn optional_list_elements_are_concatenated() {
    let params = vec![param("p", ParamType::Bool), param("x", ParamType::String)];
    assert_eq!(
        rendered(
            params,
            Expr::List(vec![
                s("a"),
                p("x"),
                cond(p("p"), s("b"), Expr::Null),
                s("c"),
            ])
        ),
        json!("${concat([\"a\", var.x], var.p ? [\"b\"] : [], [\"c\"])}")
    );
}

#[test]
fn shared_values_are_locals() {
    let mut d = deployment(Target::TerraformAws);
    d.params = vec![
        param("app", ParamType::String),
        param("env", ParamType::String),
    ];
    let prefix = interp(vec![part(p("app")), text("-"), part(p("env"))]);
    let is_prod = bin(BinaryOp::Eq, p("env"), s("production"));
    let size = cond(is_prod.clone(), s("t3.large"), s("t3.small"));
    for name in ["a", "b"] {
        d.resources.push(resource(
            &name.to_uppercase(),
            name,
            "aws_instance",
            vec![
                ("instance_type", size.clone()),
                (
                    "tags",
                    object(vec![(
                        "Name",
                        interp(vec![part(prefix.clone()), text(&format!("-{name}"))]),
                    )]),
                ),
                ("ami", prefix.clone()),
            ],
        ));
    }
    let mut c = resource("C", "c", "aws_instance", vec![]);
    c.condition = Some(Box::new(is_prod));
    d.resources.push(c);
    let json = clean(&d);
    assert_eq!(
        json["locals"],
        json!({
            "env_is_production": "${var.env == \"production\"}",
            "instance_type": "${local.env_is_production ? \"t3.large\" : \"t3.small\"}",
            "app_env": "${var.app}-${var.env}"
        })
    );
    assert_eq!(
        json["resource"]["aws_instance"]["b"],
        json!({
            "instance_type": "${local.instance_type}",
            "tags": { "Name": "${local.app_env}-b" },
            "ami": "${local.app_env}"
        })
    );
    assert_eq!(
        json["resource"]["aws_instance"]["c"]["count"],
        json!("${local.env_is_production ? 1 : 0}")
    );
}

#[test]
fn values_reading_a_copy_or_a_conditional_resource_stay_inline() {
    let mut d = deployment(Target::TerraformAws);
    d.params.push(param("p", ParamType::Bool));
    let mut x = resource("X", "x", "aws_instance", vec![]);
    x.condition = Some(Box::new(p("p")));
    d.resources.push(x);
    let name = interp(vec![text("x-"), part(attr("X", "id")), text("-y")]);
    d.outputs = vec![output("a", name.clone()), output("b", name)];
    let json = clean(&d);
    assert_eq!(json.get("locals"), None);
    assert_eq!(
        json["output"]["b"]["value"],
        json!("x-${aws_instance.x[0].id}-y")
    );
}
