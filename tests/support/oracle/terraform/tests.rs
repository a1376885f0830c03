//! Tests of the Terraform evaluator: the parser, the evaluation rules, and
//! every Terraform example snapshot.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::super::{Deployed, Val};
use super::deploy;
use super::expr::{Expr, Op, parse_expr};

fn run(t: Value) -> Deployed {
    deploy(&t, &IndexMap::new())
}

fn run_with(t: Value, params: &[(&str, Value)]) -> Deployed {
    let params = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    deploy(&t, &params)
}

/// The value of one expression, which must evaluate without problems.
fn value(expr: &str) -> Val {
    let d = run(json!({ "output": { "x": { "value": format!("${{{expr}}}") } } }));
    assert!(d.problems.is_empty(), "{expr}: {:?}", d.problems);
    d.outputs.get("x").cloned().unwrap_or(Val::Null)
}

/// The problems of evaluating one expression, which must have some.
fn problems(expr: &str) -> String {
    let d = run(json!({ "output": { "x": { "value": format!("${{{expr}}}") } } }));
    assert!(
        !d.problems.is_empty(),
        "{expr} should be a problem, got {:?}",
        d.outputs
    );
    d.problems.join("\n")
}

/// A JSON value as the model's value (numbers, strings, lists, objects).
fn val(j: Value) -> Val {
    match j {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(b),
        Value::Number(n) => Val::Number(n.as_f64().unwrap()),
        Value::String(s) => Val::String(s),
        Value::Array(xs) => Val::List(xs.into_iter().map(val).collect()),
        Value::Object(m) => Val::Object(m.into_iter().map(|(k, v)| (k, val(v))).collect()),
    }
}

fn var(n: &str) -> Box<Expr> {
    Box::new(Expr::Var(n.into()))
}

fn bin(op: Op, l: Box<Expr>, r: Box<Expr>) -> Box<Expr> {
    Box::new(Expr::Binary(op, l, r))
}

#[test]
fn operators_bind_by_precedence() {
    let e = parse_expr("a || b && c == d + e * f").unwrap();
    let expected = bin(
        Op::Or,
        var("a"),
        bin(
            Op::And,
            var("b"),
            bin(
                Op::Eq,
                var("c"),
                bin(Op::Add, var("d"), bin(Op::Mul, var("e"), var("f"))),
            ),
        ),
    );
    assert_eq!(e, *expected);
    let cases = [
        ("1 + 2 * 3", json!(7)),
        ("(1 + 2) * 3", json!(9)),
        ("10 - 4 - 3", json!(3)),
        ("-2 * 3", json!(-6)),
        ("7 % 3", json!(1)),
        ("!false && false", json!(false)),
        ("1 < 2 == 2 > 1", json!(true)),
        ("false ? 1 : 0 + 5", json!(5)),
        ("true ? 1 : 0 + 5", json!(1)),
        ("false ? 1 : true ? 2 : 3", json!(2)),
        ("\"5\" + 1", json!(6)),
        ("1 == \"1\"", json!(false)),
        ("null == null", json!(true)),
    ];
    for (src, want) in cases {
        assert_eq!(value(src), val(want), "{src}");
    }
}

#[test]
fn templates_interpolate_and_unwrap() {
    let d = run(json!({
        "locals": {
            "n": "${1 + 1}",
            "text": "x${1 + 1}",
            "escaped": "$${x} and %%{y}",
            "nested": "${\"in ${\"ner\"}\"}",
            "cond": "%{ if local.n == 2 }two%{ else }other%{ endif }",
            "loop": "%{ for x in [\"a\", \"b\"] }${x},%{ endfor }",
            "strip": "a ${~ \"b\" ~} c",
            "escapes": "${\"tab\\there \\\"q\\\"\"}"
        },
        "output": {
            "n": { "value": "${local.n}" },
            "text": { "value": "${local.text}" },
            "escaped": { "value": "${local.escaped}" },
            "nested": { "value": "${local.nested}" },
            "cond": { "value": "${local.cond}" },
            "loop": { "value": "${local.loop}" },
            "strip": { "value": "${local.strip}" },
            "escapes": { "value": "${local.escapes}" }
        }
    }));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let want = [
        ("n", json!(2)),
        ("text", json!("x2")),
        ("escaped", json!("${x} and %{y}")),
        ("nested", json!("in ner")),
        ("cond", json!("two")),
        ("loop", json!("a,b,")),
        ("strip", json!("abc")),
        ("escapes", json!("tab\there \"q\"")),
    ];
    for (k, v) in want {
        assert_eq!(d.outputs[k], val(v), "{k}");
    }
    assert!(problems("\"a${null}\"").contains("null"));
    assert!(problems("\"a${[1]}\"").contains("list"));
}

fn counted(n: Value) -> Deployed {
    run_with(
        json!({
            "variable": { "n": { "type": "number" } },
            "resource": { "aws_instance": { "web": {
                "count": "${var.n}",
                "tags": { "Name": "web-${count.index}" },
                "index": "${count.index}"
            } } }
        }),
        &[("n", n)],
    )
}

#[test]
fn count_makes_copies_with_their_index() {
    let d = counted(json!(3));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "aws_instance.web[0]",
            "aws_instance.web[1]",
            "aws_instance.web[2]"
        ]
    );
    let second = &d.resources["aws_instance.web[1]"];
    assert_eq!(second.name, "aws_instance.web");
    assert_eq!(second.index, Some(1));
    assert_eq!(second.type_name, "aws_instance");
    assert_eq!(second.properties["tags"], val(json!({ "Name": "web-1" })));
    assert_eq!(second.properties["index"], Val::Number(1.0));
    assert!(!second.properties.contains_key("count"));
    let none = counted(json!(0));
    assert!(none.problems.is_empty() && none.resources.is_empty());
    // A string holding a number converts; a fraction does not.
    assert_eq!(counted(json!("2")).resources.len(), 2);
    assert!(counted(json!(1.5)).problems[0].contains("resource.aws_instance.web.count"));
}

#[test]
fn count_must_be_a_known_number() {
    for count in [
        "${null > 0 ? 1 : 0}",
        "${null}",
        "${true}",
        "${-1}",
        "${length(aws_vpc.net.id)}",
        "${data.aws_ami.ubuntu.id == \"x\" ? 1 : 0}",
    ] {
        let d = run(json!({
            "data": { "aws_ami": { "ubuntu": {} } },
            "resource": {
                "aws_vpc": { "net": {} },
                "aws_instance": { "web": { "count": count } }
            }
        }));
        assert!(
            d.problems
                .iter()
                .any(|p| p.starts_with("resource.aws_instance.web.count: ")),
            "{count}: {:?}",
            d.problems
        );
        assert!(!d.resources.contains_key("aws_instance.web"), "{count}");
    }
}

#[test]
fn conditionals_choose_and_unify() {
    assert_eq!(value("true ? 1 : \"x\""), val(json!("1")));
    assert_eq!(value("false ? \"a\" : null"), Val::Null);
    // The branch not taken may fail: only the chosen one's errors count.
    assert_eq!(value("false ? [][0] : 1"), Val::Number(1.0));
    assert!(problems("true ? [][0] : 1").contains("out of range"));
    // Errors in the configuration itself count in either branch.
    assert!(problems("false ? nosuch(1) : 1").contains("unknown function"));
    assert!(problems("true || local.nope").contains("undeclared"));
    assert!(problems("\"%{ if true }a%{ else }${var.nope}%{ endif }\"").contains("undeclared"));
    assert_eq!(value("false && [][0]"), Val::Bool(false));
    assert!(problems("true && [][0]").contains("out of range"));
    assert!(problems("true ? [1] : \"x\"").contains("inconsistent"));
    assert!(problems("null ? 1 : 2").contains("null"));
    assert!(problems("\"yes\" ? 1 : 2").contains("bool"));
}

#[test]
fn for_expressions_filter_map_and_group() {
    assert_eq!(
        value("[for x in [1, 2, 3] : x * 2 if x > 1]"),
        val(json!([4, 6]))
    );
    assert_eq!(
        value("[for i, x in [\"a\", \"b\"] : \"${i}${x}\"]"),
        val(json!(["0a", "1b"]))
    );
    assert_eq!(
        value("{for k, v in {b = 2, a = 1} : upper(k) => v}"),
        val(json!({ "A": 1, "B": 2 }))
    );
    assert_eq!(
        value("{for x in [\"a\", \"b\", \"a\"] : x => x...}"),
        val(json!({ "a": ["a", "a"], "b": ["b"] }))
    );
    // Objects are iterated in key order.
    assert_eq!(
        value("[for k, v in {z = 1, a = 2} : k]"),
        val(json!(["a", "z"]))
    );
    assert!(problems("{for x in [\"a\", \"a\"] : x => 1}").contains("twice"));
    assert!(problems("[for x in null : x]").contains("null"));
}

fn with_resources(extra: Value, count: u32) -> Deployed {
    let mut t = json!({
        "data": { "aws_ami": { "ubuntu": {} } },
        "resource": {
            "aws_vpc": { "net": {} },
            "aws_instance": { "web": { "count": count } },
            "aws_eip": { "ip": extra }
        }
    });
    t["output"] = json!({ "ids": { "value": "${aws_instance.web[*].id}" } });
    run(t)
}

#[test]
fn references_are_typed_and_splats_cover_every_copy() {
    let d = with_resources(
        json!({
            "vpc": "${aws_vpc.net.id}",
            "arn": "${aws_vpc.net.arn}",
            "text": "vpc ${aws_vpc.net.id} in ${data.aws_ami.ubuntu.id}",
            "deep": "${aws_vpc.net.cidrs[0]}",
            "image": "${data.aws_ami.ubuntu.id}",
            "first": "${aws_instance.web[0].id}",
            "all": "${aws_instance.web.*.private_ip}",
            "one": "${aws_vpc.net[*].id}",
            "n": "${length(aws_instance.web)}"
        }),
        2,
    );
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let p = &d.resources["aws_eip.ip"].properties;
    assert_eq!(p["vpc"], Val::Ref("aws_vpc.net".into()));
    assert_eq!(p["arn"], Val::Attr("aws_vpc.net".into(), "arn".into()));
    assert_eq!(p["text"], Val::Unknown(vec!["aws_vpc.net".into()]));
    assert_eq!(p["deep"], Val::Unknown(vec!["aws_vpc.net".into()]));
    assert_eq!(p["image"], Val::Unknown(vec![]));
    assert_eq!(p["first"], Val::Ref("aws_instance.web[0]".into()));
    assert_eq!(
        p["all"],
        Val::List(vec![
            Val::Attr("aws_instance.web[0]".into(), "private_ip".into()),
            Val::Attr("aws_instance.web[1]".into(), "private_ip".into()),
        ])
    );
    assert_eq!(p["one"], Val::List(vec![Val::Ref("aws_vpc.net".into())]));
    assert_eq!(p["n"], Val::Number(2.0));
    assert!(d.depends("aws_eip.ip", "aws_instance.web[1]"));
    assert!(!d.depends("aws_vpc.net", "aws_eip.ip"));
    // Over no copies the splat is empty, and an output of it exists.
    let none = with_resources(json!({}), 0);
    assert!(none.problems.is_empty(), "{:?}", none.problems);
    assert_eq!(none.outputs["ids"], Val::List(vec![]));
}

#[test]
fn a_reference_to_a_copy_that_does_not_exist_is_a_problem() {
    let d = with_resources(json!({ "instance": "${aws_instance.web[0].id}" }), 0);
    assert!(
        d.problems
            .iter()
            .any(|p| p.starts_with("resource.aws_eip.ip.instance: ") && p.contains("out of range")),
        "{:?}",
        d.problems
    );
    // Guarded by the same condition as the count, it is fine.
    let guarded = with_resources(
        json!({ "instance": "${length(aws_instance.web) > 0 ? aws_instance.web[0].id : null}" }),
        0,
    );
    assert!(guarded.problems.is_empty(), "{:?}", guarded.problems);
    assert!(
        !guarded.resources["aws_eip.ip"]
            .properties
            .contains_key("instance")
    );
    // A counted resource needs an index; undeclared ones are problems.
    for bad in [
        "${aws_instance.web.id}",
        "${aws_instance.nope.id}",
        "${data.aws_ami.nope.id}",
        "${var.nope}",
        "${local.nope}",
        "${nope}",
    ] {
        let d = with_resources(json!({ "x": bad }), 1);
        assert!(
            d.problems
                .iter()
                .any(|p| p.starts_with("resource.aws_eip.ip.x: ")),
            "{bad}: {:?}",
            d.problems
        );
    }
}

#[test]
fn for_each_keys_copies_by_map_key_or_set_element() {
    let d = run(json!({
        "resource": { "aws_s3_bucket": {
            "by_map": { "for_each": { "a": "x", "b": "y" }, "bucket": "${each.key}-${each.value}" },
            "by_set": { "for_each": "${toset([\"q\", \"p\", \"q\"])}", "bucket": "${each.value}" }
        } }
    }));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let keys: Vec<&str> = d.resources.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "aws_s3_bucket.by_map[\"a\"]",
            "aws_s3_bucket.by_map[\"b\"]",
            "aws_s3_bucket.by_set[\"p\"]",
            "aws_s3_bucket.by_set[\"q\"]"
        ]
    );
    assert_eq!(
        d.resources["aws_s3_bucket.by_map[\"b\"]"].properties["bucket"],
        val(json!("b-y"))
    );
    assert_eq!(d.resources["aws_s3_bucket.by_map[\"b\"]"].index, None);
    let list =
        run(json!({ "resource": { "aws_s3_bucket": { "b": { "for_each": "${[\"a\"]}" } } } }));
    assert!(
        list.problems[0].contains("resource.aws_s3_bucket.b.for_each"),
        "{:?}",
        list.problems
    );
}

fn validated(value: Value) -> Deployed {
    run_with(
        json!({
            "variable": { "port": {
                "type": "number",
                "default": 8080,
                "validation": [
                    { "condition": "${var.port >= 1024 && var.port <= 65535}", "error_message": "Between 1024 and 65535." },
                    { "condition": "${floor(var.port) == var.port}", "error_message": "Whole, not ${var.port}." }
                ]
            } },
            "output": { "port": { "value": "${var.port}" } }
        }),
        &[("port", value)],
    )
}

#[test]
fn validations_refuse_values_that_fail_them() {
    let ok = validated(json!("8443"));
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    assert_eq!(ok.outputs["port"], Val::Number(8443.0));
    assert_eq!(
        validated(json!(80)).problems,
        ["variable.port: invalid value: Between 1024 and 65535."]
    );
    assert_eq!(
        validated(json!(2000.5)).problems,
        ["variable.port: invalid value: Whole, not 2000.5."]
    );
    assert!(validated(json!("eighty")).problems[0].contains("does not fit its type"));
    let regex = run_with(
        json!({ "variable": { "key": { "type": "string", "validation": {
            "condition": "${can(regex(\"^ssh-(ed25519|rsa) .+$\", var.key))}",
            "error_message": "An OpenSSH key."
        } } } }),
        &[("key", json!("ssh-dss AAAA"))],
    );
    assert_eq!(
        regex.problems,
        ["variable.key: invalid value: An OpenSSH key."]
    );
}

#[test]
fn variables_take_defaults_types_and_must_have_values() {
    let t = json!({
        "variable": {
            "names": { "type": "list(string)", "default": [1, true] },
            "cfg": { "type": "object({ size = number, tag = optional(string, \"none\") })" },
            "needed": {}
        },
        "output": {
            "names": { "value": "${var.names}" },
            "cfg": { "value": "${var.cfg}" }
        }
    });
    let d = run_with(
        t.clone(),
        &[
            ("cfg", json!({ "size": "3", "extra": 1 })),
            ("needed", json!("x")),
        ],
    );
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.outputs["names"], val(json!(["1", "true"])));
    assert_eq!(d.outputs["cfg"], val(json!({ "size": 3, "tag": "none" })));
    let missing = run_with(t, &[("cfg", json!({ "size": 1 })), ("stray", json!(1))]);
    assert_eq!(
        missing.problems,
        [
            "variable.needed: no value is given and it has no default",
            "variable.stray: a value is given for a variable the configuration does not declare"
        ]
    );
}

#[test]
fn depends_on_and_lifecycle_are_kept() {
    let d = run(json!({
        "module": { "net": { "source": "./net" } },
        "resource": {
            "aws_vpc": { "net": { "lifecycle": { "prevent_destroy": true } } },
            "aws_instance": { "web": {
                "depends_on": ["aws_vpc.net", "module.net"],
                "lifecycle": [{ "prevent_destroy": false, "ignore_changes": ["tags"] }],
                "provisioner": [{ "local-exec": { "command": "${nope.nope}" } }]
            } },
            "aws_eip": { "ip": { "depends_on": ["aws_nat.gone"] } }
        }
    }));
    assert_eq!(d.problems.len(), 1, "{:?}", d.problems);
    assert!(d.problems[0].starts_with("resource.aws_eip.ip.depends_on: "));
    let web = &d.resources["aws_instance.web"];
    assert_eq!(web.depends_on, ["aws_vpc.net", "module.net"]);
    assert!(web.properties.is_empty());
    assert_eq!(web.deletion, None);
    assert_eq!(
        d.resources["aws_vpc.net"].deletion.as_deref(),
        Some("Retain")
    );
    assert!(d.depends("aws_instance.web", "aws_vpc.net"));
}

#[test]
fn locals_resolve_in_dependency_order() {
    let d = run(json!({
        "variable": { "env": { "default": "prod" } },
        "locals": [
            { "c": "${local.b}-c", "b": "${local.a}-b" },
            { "a": "${var.env}" }
        ],
        "output": { "c": { "value": "${local.c}" } }
    }));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(d.outputs["c"], val(json!("prod-b-c")));
    let cycle = run(json!({ "locals": { "a": "${local.b}", "b": "${local.a}" } }));
    assert!(
        cycle
            .problems
            .iter()
            .any(|p| p.contains("depends on itself")),
        "{:?}",
        cycle.problems
    );
    // A broken local is reported once, where it is declared.
    let broken = run(json!({
        "locals": { "bad": "${1 + \"x\"}" },
        "output": { "a": { "value": "${local.bad}" }, "b": { "value": "${local.bad}" } }
    }));
    assert_eq!(broken.problems.len(), 1, "{:?}", broken.problems);
    assert!(broken.problems[0].starts_with("locals.bad: "));
}

#[test]
fn null_properties_are_unset_and_dynamic_blocks_expand() {
    let d = run(json!({
        "variable": { "ports": { "default": [80, 443] } },
        "resource": { "aws_security_group": { "sg": {
            "name": null,
            "description": "${false ? \"x\" : null}",
            "ingress": [{ "from_port": 22, "cidr": null }],
            "dynamic": { "ingress": {
                "for_each": "${var.ports}",
                "iterator": "p",
                "content": { "from_port": "${p.value}", "rule": "${p.key}" }
            } }
        } } }
    }));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let p = &d.resources["aws_security_group.sg"].properties;
    assert!(
        !p.contains_key("name") && !p.contains_key("description") && !p.contains_key("dynamic")
    );
    assert_eq!(
        p["ingress"],
        val(json!([
            { "from_port": 22 },
            { "from_port": 80, "rule": 0 },
            { "from_port": 443, "rule": 1 }
        ]))
    );
}

#[test]
fn functions_compute_what_terraform_does() {
    let cases = [
        ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", json!("10.0.2.0/24")),
        ("cidrsubnet(\"fd00::/56\", 8, 1)", json!("fd00:0:0:1::/64")),
        ("cidrhost(\"10.0.1.0/24\", 5)", json!("10.0.1.5")),
        ("cidrhost(\"10.0.1.0/24\", -2)", json!("10.0.1.254")),
        ("cidrnetmask(\"10.0.0.0/12\")", json!("255.240.0.0")),
        (
            "format(\"%s-%03d %.2f %q %v\", \"a\", 7, 1.5, \"q\", true)",
            json!("a-007 1.50 \"q\" true"),
        ),
        (
            "formatlist(\"%s=%s\", [\"a\", \"b\"], \"x\")",
            json!(["a=x", "b=x"]),
        ),
        ("join(\",\", [\"a\", 1], [true])", json!("a,1,true")),
        ("split(\",\", \"a,,b\")", json!(["a", "", "b"])),
        ("replace(\"a1b22\", \"/[0-9]+/\", \"#\")", json!("a#b#")),
        (
            "replace(\"k=v\", \"/(\\\\w)=(\\\\w)/\", \"$2=$1\")",
            json!("v=k"),
        ),
        ("replace(\"a.b.c\", \".\", \"-\")", json!("a-b-c")),
        (
            "regex(\"^ssh-(ed25519|rsa) .+$\", \"ssh-rsa AAA\")",
            json!(["rsa"]),
        ),
        ("regex(\"[a-z]+\", \"12abc34\")", json!("abc")),
        (
            "regex(\"(?P<k>\\\\w+)=(?P<v>\\\\d{2,3})\", \"port=8080 x=443\")",
            json!({ "k": "port", "v": "808" }),
        ),
        ("regexall(\"[0-9]+\", \"a1b22c\")", json!(["1", "22"])),
        (
            "jsonencode({b = 1, a = [true, null, \"<\"]})",
            json!("{\"a\":[true,null,\"\\u003c\"],\"b\":1}"),
        ),
        ("jsondecode(\"{\\\"a\\\": [1]}\")", json!({ "a": [1] })),
        ("base64encode(\"hello\")", json!("aGVsbG8=")),
        ("base64decode(\"aGVsbG8=\")", json!("hello")),
        ("lookup({a = 1}, \"b\", 2)", json!(2)),
        (
            "merge({a = 1, b = 1}, null, {b = 2})",
            json!({ "a": 1, "b": 2 }),
        ),
        ("flatten([[1, [2]], [], 3])", json!([1, 2, 3])),
        ("coalesce(null, \"\", \"x\")", json!("x")),
        ("compact([\"a\", \"\", null, \"b\"])", json!(["a", "b"])),
        ("distinct([1, 2, 1])", json!([1, 2])),
        ("range(3)", json!([0, 1, 2])),
        ("range(1, 7, 2)", json!([1, 3, 5])),
        ("range(3, 0)", json!([3, 2, 1])),
        ("min(3, 1, 2)", json!(1)),
        ("max([3, 9]...)", json!(9)),
        ("keys({b = 1, a = 2})", json!(["a", "b"])),
        ("values({b = 1, a = 2})", json!([2, 1])),
        ("zipmap([\"a\", \"b\"], [1, 2])", json!({ "a": 1, "b": 2 })),
        ("one([])", json!(null)),
        ("one([4])", json!(4)),
        ("slice([1, 2, 3, 4], 1, 3)", json!([2, 3])),
        ("index([\"a\", \"b\"], \"b\")", json!(1)),
        ("element([\"a\", \"b\"], 3)", json!("b")),
        ("substr(\"hello\", 1, 3)", json!("ell")),
        ("substr(\"hello\", -3, -1)", json!("llo")),
        ("length(\"héllo\")", json!(5)),
        ("length({a = 1})", json!(1)),
        ("concat([1], [2, 3])", json!([1, 2, 3])),
        ("contains([60, 300], 300)", json!(true)),
        ("contains([\"a\"], 1)", json!(false)),
        ("tostring(1.5)", json!("1.5")),
        ("tonumber(\"5\")", json!(5)),
        ("tolist([1, \"a\"])", json!(["1", "a"])),
        ("toset([\"b\", \"a\", \"b\"])", json!(["a", "b"])),
        ("startswith(\"abc\", \"ab\")", json!(true)),
        ("endswith(\"abc\", \"x\")", json!(false)),
        ("trimspace(\"  a \\n\")", json!("a")),
        ("upper(\"a\")", json!("A")),
        ("lower(\"A\")", json!("a")),
        ("abs(-2)", json!(2)),
        ("ceil(1.2)", json!(2)),
        ("floor(-1.2)", json!(-2)),
        ("try([][0], \"fallback\")", json!("fallback")),
        ("can([][0])", json!(false)),
        (
            "can(regex(\"^[a-z][a-z0-9-]{1,15}$\", \"shop\"))",
            json!(true),
        ),
        (
            "can(regex(\"^([0-9]{1,3}[.]){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$\", \"203.0.113.0/24\"))",
            json!(true),
        ),
        (
            "can(regex(\"^([a-z0-9-]+[.])+[a-z]{2,}$\", \"example.com.\"))",
            json!(false),
        ),
        ("nonsensitive(sensitive(\"s\"))", json!("s")),
        ("can(regex(\"^[[:alpha:]]+é?$\", \"abcé\"))", json!(true)),
        ("regex(\"a.*?b\", \"xaabab\")", json!("aab")),
        // Long texts do not exhaust the matcher's stack.
        (
            "length(regex(\"^a.+j$\", join(\"\", [for i in range(1000) : \"abcdefghij\"])))",
            json!(10000),
        ),
        (
            "replace(join(\"\", [for i in range(1000) : \"a-\"]), \"/(a)-$/\", \"$1!\")",
            json!(format!("{}a!", "a-".repeat(999))),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(value(src), val(want), "{src}");
    }
    for (src, why) in [
        ("nosuch(1)", "unknown function"),
        ("file(\"x\")", "files"),
        ("templatefile(\"x\", {})", "files"),
        ("length(null)", "null"),
        ("lookup({}, \"k\")", "does not exist"),
        ("cidrsubnet(\"10.0.0.0/30\", 4, 0)", "address space"),
        ("element([], 0)", "empty"),
        ("regex(\"x\", \"y\")", "did not match"),
        ("can(nosuch(1))", "unknown function"),
        ("try(local.nope, 1)", "undeclared"),
        ("format(\"%d\")", "not enough"),
    ] {
        let p = problems(src);
        assert!(p.contains(why), "{src}: {p}");
    }
}

#[test]
fn functions_on_apply_time_values_are_unknown_but_keep_shape() {
    let d = with_resources(
        json!({
            "joined": "${join(\",\", aws_instance.web[*].id)}",
            "n": "${length([aws_vpc.net.id, \"x\"])}",
            "first": "${element([aws_vpc.net.id, \"x\"], 0)}",
            "upper": "${upper(aws_vpc.net.arn)}",
            "can": "${can(aws_vpc.net.arn)}"
        }),
        2,
    );
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let p = &d.resources["aws_eip.ip"].properties;
    assert_eq!(
        p["joined"],
        Val::Unknown(vec![
            "aws_instance.web[0]".into(),
            "aws_instance.web[1]".into()
        ])
    );
    assert_eq!(p["n"], Val::Number(2.0));
    assert_eq!(p["first"], Val::Ref("aws_vpc.net".into()));
    assert_eq!(p["upper"], Val::Unknown(vec!["aws_vpc.net".into()]));
    assert_eq!(p["can"], Val::Unknown(vec!["aws_vpc.net".into()]));
}

#[test]
fn dependency_cycles_are_problems() {
    let d = run(json!({ "resource": {
        "aws_a": { "a": { "x": "${aws_b.b.id}" } },
        "aws_b": { "b": { "depends_on": ["aws_a.a"] } },
        "aws_c": { "c": { "me": "${aws_c.c.arn}" } },
        "aws_d": { "d": { "count": 2, "prev": "${count.index > 0 ? aws_d.d[0].id : null}" } }
    } }));
    assert!(
        d.problems.iter().any(|p| p.contains("dependency cycle")),
        "{:?}",
        d.problems
    );
    // Even a copy referring to another copy of its block.
    for name in ["aws_c.c", "aws_d.d"] {
        let want = format!("resource.{name}: refers to itself");
        assert!(d.problems.contains(&want), "{:?}", d.problems);
    }
    let acyclic = run(json!({ "resource": {
        "aws_a": { "a": { "x": "${aws_b.b[1].id}" } },
        "aws_b": { "b": { "count": 2 } },
        "aws_c": { "c": { "depends_on": ["aws_a.a", "aws_b.b"] } }
    } }));
    assert!(acyclic.problems.is_empty(), "{:?}", acyclic.problems);
}

/// A snapshot's template: the JSON after the insta header.
fn snapshot_template(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("\n{\n").map(|i| i + 1).unwrap_or(0);
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Values for the variables without defaults that meet their validations
/// (the first candidate the variable accepts).
fn required_values(t: &Value) -> Vec<(String, Value)> {
    let strings = [
        json!("ami-0123456789abcdef0"),
        json!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly ci"),
        json!("example.com"),
        json!("203.0.113.0/24"),
        json!("abc-123"),
    ];
    let numbers = [json!(60), json!(100), json!(1024)];
    let mut chosen: Vec<(String, Value)> = Vec::new();
    let vars = t["variable"].as_object().cloned().unwrap_or_default();
    for (name, decl) in &vars {
        if decl.get("default").is_some() {
            continue;
        }
        let candidates: &[Value] = match decl["type"].as_str() {
            Some("number") => &numbers,
            Some("bool") => &[json!(false)],
            _ => &strings,
        };
        let fits = candidates.iter().find(|c| {
            let mut params: Vec<(&str, Value)> = chosen
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            params.push((name, (*c).clone()));
            let d = run_with(t.clone(), &params);
            !d.problems
                .iter()
                .any(|p| p.starts_with(&format!("variable.{name}")))
        });
        let fits =
            fits.unwrap_or_else(|| panic!("no candidate value meets the validations of {name}"));
        chosen.push((name.clone(), fits.clone()));
    }
    chosen
}

#[test]
fn every_terraform_example_snapshot_deploys_without_problems() {
    let mut paths: Vec<_> = std::fs::read_dir("tests/example_snapshots")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("terraform")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 2, "the Terraform snapshots are found");
    let mut failures = Vec::new();
    for path in &paths {
        let t = snapshot_template(path);
        let base = required_values(&t);
        let mut assignments = vec![base.clone()];
        // Every environment the `env` variable allows, for the counts that
        // depend on it.
        if t["variable"].get("env").is_some() {
            for env in ["dev", "staging", "production"] {
                let mut a = base.clone();
                a.push(("env".into(), json!(env)));
                let params: Vec<(&str, Value)> =
                    a.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                let d = run_with(t.clone(), &params);
                if !d.problems.iter().any(|p| p.starts_with("variable.env")) {
                    assignments.push(a);
                }
            }
        }
        for a in assignments {
            let params: Vec<(&str, Value)> =
                a.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let d = run_with(t.clone(), &params);
            if d.resources.is_empty() {
                failures.push(format!("{}: deploys nothing", path.display()));
            }
            for p in d.problems {
                failures.push(format!("{} with {a:?}: {p}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_snapshot_deploys_what_its_conditions_say() {
    let t = snapshot_template(std::path::Path::new(
        "tests/example_snapshots/bastion__terraform-openstack.snap",
    ));
    let key = json!("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly ci");
    let staging = run_with(
        t.clone(),
        &[("admin_key", key.clone()), ("image", json!("cirros"))],
    );
    assert!(staging.problems.is_empty(), "{:?}", staging.problems);
    assert!(
        !staging
            .resources
            .keys()
            .any(|k| k.contains("bastion_instance"))
    );
    // A null output is not stored: outside production there is none.
    assert!(!staging.outputs.contains_key("bastion_address"));
    let prod = run_with(
        t,
        &[
            ("admin_key", key),
            ("image", json!("cirros")),
            ("env", json!("production")),
        ],
    );
    assert!(prod.problems.is_empty(), "{:?}", prod.problems);
    let bastion = &prod.resources["openstack_compute_instance_v2.bastion_instance[0]"];
    assert_eq!(bastion.index, Some(0));
    assert_eq!(bastion.properties["flavor_name"], val(json!("m1.small")));
    assert!(prod.depends(
        "openstack_compute_instance_v2.bastion_instance[0]",
        "openstack_compute_keypair_v2.ops_key[0]"
    ));
    assert_eq!(
        prod.outputs["bastion_address"],
        Val::Attr(
            "openstack_networking_floatingip_v2.bastion_ip_address[0]".into(),
            "address".into()
        )
    );
    assert_eq!(
        prod.resources["openstack_compute_instance_v2.app_0_instance"].properties["flavor_name"],
        val(json!("m1.large"))
    );
}
