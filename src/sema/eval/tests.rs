//! Tests of constant folding.

use super::*;
use crate::source::FileId;
use crate::syntax::ast::ItemKind;

/// Evaluates `source` as the value of a let, with a few names known:
/// `n` is 3, `xs` is `["a", "b", "c"]`, `m` is `{ a = 1, b = 2 }`;
/// `open` is deploy-time.
fn run(source: &str) -> (Option<Value>, Vec<Diagnostic>) {
    let text = format!("let x = {source}\n");
    let (file, syntax) = crate::syntax::parse(FileId(0), &text);
    assert!(syntax.is_empty(), "{source}: {syntax:#?}");
    let ItemKind::Let(item) = &file.items[0].kind else {
        panic!("a let");
    };
    let lookup = |name: &Ident| match name.name.as_str() {
        "n" => Some(Value::Int(3)),
        "xs" => Some(list(&["a", "b", "c"])),
        "m" => Some(Value::Object(
            [
                ("a".to_string(), Value::Int(1)),
                ("b".to_string(), Value::Int(2)),
            ]
            .into_iter()
            .collect(),
        )),
        _ => None,
    };
    let mut diagnostics = Vec::new();
    let (names, _) = crate::sema::resolve::resolve(&file);
    let value = eval(&item.value, &names, &lookup, &mut diagnostics);
    (value, diagnostics)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::String(s.to_string())).collect())
}

fn ints(items: &[i64]) -> Value {
    Value::List(items.iter().map(|i| Value::Int(*i)).collect())
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// Folds without a diagnostic.
fn ok(source: &str) -> Value {
    let (value, diagnostics) = run(source);
    assert!(diagnostics.is_empty(), "{source}: {diagnostics:#?}");
    value.unwrap_or_else(|| panic!("{source} did not fold"))
}

/// Not constant, and no diagnostic.
fn open(source: &str) {
    let (value, diagnostics) = run(source);
    assert!(diagnostics.is_empty(), "{source}: {diagnostics:#?}");
    assert_eq!(value, None, "{source}");
}

/// Reports exactly one diagnostic of `code`; returns it.
fn fails(source: &str, code: &str) -> Diagnostic {
    let (value, diagnostics) = run(source);
    assert_eq!(value, None, "{source}");
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, [code], "{source}: {diagnostics:#?}");
    diagnostics.into_iter().next().unwrap()
}

/// The source text a diagnostic's primary label covers.
fn labelled(source: &str, diagnostic: &Diagnostic) -> String {
    let text = format!("let x = {source}\n");
    text[diagnostic.primary.span.range()].to_string()
}

#[test]
fn literals() {
    assert_eq!(ok("null"), Value::Null);
    assert_eq!(ok("true"), Value::Bool(true));
    assert_eq!(ok("42"), Value::Int(42));
    assert_eq!(ok("0.75"), Value::Number(0.75));
    assert_eq!(ok("1.5e9"), Value::Number(1.5e9));
    assert_eq!(ok("\"hi\""), s("hi"));
    assert_eq!(ok("[1, 2]"), ints(&[1, 2]));
    assert_eq!(ok("(7)"), Value::Int(7));
    let object = ok("{ b = 1, \"a-b\" = \"x\" }");
    let Value::Object(map) = object else {
        panic!("an object")
    };
    assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a-b"], "source order");
    fails("1.0e999", "E0310");
}

#[test]
fn names() {
    assert_eq!(ok("n"), Value::Int(3));
    open("open");
    open("[1, open]");
    open("open.id");
}

#[test]
fn interpolation() {
    assert_eq!(
        ok("\"n=${n} ok=${true} r=${0.5} s=${xs[0]}\""),
        s("n=3 ok=true r=0.5 s=a")
    );
    assert_eq!(ok("\"${2.0}\""), s("2"));
    assert_eq!(ok(r#""a${"b${n}"}c""#), s("ab3c"));
    open("\"x-${open}\"");
    let d = fails("\"zones: ${xs}\"", "E0315");
    assert_eq!(labelled("\"zones: ${xs}\"", &d), "xs");
    fails("\"${m}\"", "E0315");
    fails("\"${null}\"", "E0315");
}

#[test]
fn arithmetic() {
    assert_eq!(ok("1 + 2 * 3"), Value::Int(7));
    assert_eq!(ok("(1 + 2) * 3"), Value::Int(9));
    assert_eq!(ok("7 / 2"), Value::Int(3));
    assert_eq!(ok("-7 / 2"), Value::Int(-3));
    assert_eq!(ok("7 % 3"), Value::Int(1));
    assert_eq!(ok("-7 % 3"), Value::Int(-1));
    assert_eq!(ok("10 - 20"), Value::Int(-10));
    assert_eq!(ok("1 + 0.5"), Value::Number(1.5));
    assert_eq!(ok("0.5 * 4"), Value::Number(2.0));
    assert_eq!(ok("7.0 / 2"), Value::Number(3.5));
    assert_eq!(ok("7.5 % 2"), Value::Number(1.5));
    assert_eq!(ok("-n"), Value::Int(-3));
    assert_eq!(ok("-0.5"), Value::Number(-0.5));
    assert_eq!(ok("-9223372036854775807 - 1"), Value::Int(i64::MIN));
    assert_eq!(ok("(-9223372036854775807 - 1) % -1"), Value::Int(0));
    open("open + 1");
    open("1 + \"a\"");
}

#[test]
fn arithmetic_errors() {
    let d = fails("9223372036854775807 + 1", "E0310");
    assert_eq!(
        labelled("9223372036854775807 + 1", &d),
        "9223372036854775807 + 1"
    );
    fails("-9223372036854775807 - 2", "E0310");
    fails("4611686018427387904 * 2", "E0310");
    fails("(-9223372036854775807 - 1) / -1", "E0310");
    fails("-(-9223372036854775807 - 1)", "E0310");
    fails("1.0e300 * 1.0e300", "E0310");
    let d = fails("10 / (n - 3)", "E0311");
    assert_eq!(d.secondary[0].span.range().len(), "(n - 3)".len());
    fails("10 % 0", "E0311");
    fails("1.5 / 0", "E0311");
    fails("1.5 / 0.0", "E0311");
    // Both operands are folded, so an error is found beside a
    // deploy-time value.
    fails("open + 1 / 0", "E0311");
    // Each error of a list is reported.
    let (_, diagnostics) = run("[1 / 0, 2 % 0]");
    assert_eq!(diagnostics.len(), 2);
}

#[test]
fn comparisons() {
    assert_eq!(ok("1 < 2"), Value::Bool(true));
    assert_eq!(ok("2 <= 2"), Value::Bool(true));
    assert_eq!(ok("3 > 2.5"), Value::Bool(true));
    assert_eq!(ok("2 >= 3"), Value::Bool(false));
    assert_eq!(ok("1 == 1.0"), Value::Bool(true));
    assert_eq!(ok("\"a\" == \"a\""), Value::Bool(true));
    assert_eq!(ok("\"a\" != \"b\""), Value::Bool(true));
    assert_eq!(ok("[1, 2] == [1, 2.0]"), Value::Bool(true));
    assert_eq!(ok("{ a = 1 } == { a = 1 }"), Value::Bool(true));
    assert_eq!(ok("null == null"), Value::Bool(true));
    assert_eq!(ok("\"a\" == null"), Value::Bool(false));
    open("\"a\" < \"b\"");
}

#[test]
fn logic_short_circuits() {
    assert_eq!(ok("true && false"), Value::Bool(false));
    assert_eq!(ok("true || false"), Value::Bool(true));
    assert_eq!(ok("!true"), Value::Bool(false));
    assert_eq!(ok("false && open"), Value::Bool(false));
    assert_eq!(ok("true || open"), Value::Bool(true));
    assert_eq!(ok("false && 1 / 0 == 1"), Value::Bool(false));
    open("true && open");
    open("open || true");
    open("!open");
    open("!1");
}

#[test]
fn conditionals() {
    assert_eq!(ok("n > 2 ? \"big\" : \"small\""), s("big"));
    assert_eq!(ok("false ? 1 / 0 : 2"), Value::Int(2));
    assert_eq!(ok("true ? 1 : open"), Value::Int(1));
    open("open ? 1 : 2");
    // A branch the condition may not take is not evaluated.
    open("open ? xs[5] : \"none\"");
}

#[test]
fn member_access_and_indexing() {
    assert_eq!(ok("m.a"), Value::Int(1));
    assert_eq!(ok("m[\"b\"]"), Value::Int(2));
    assert_eq!(ok("xs[1]"), s("b"));
    assert_eq!(ok("[[1, 2], [3]][1][0]"), Value::Int(3));
    assert_eq!(ok("{ a = { b = 5 } }.a.b"), Value::Int(5));
    let d = fails("xs[3]", "E0312");
    assert_eq!(labelled("xs[3]", &d), "3");
    fails("xs[-1]", "E0312");
    fails("[][0]", "E0312");
    let d = fails("m.c", "E0313");
    assert_eq!(labelled("m.c", &d), "c");
    let d = fails("m[\"aa\"]", "E0313");
    assert_eq!(d.help, ["did you mean `a`?"]);
    open("xs[\"a\"]");
    open("open[0]");
    open("xs[open]");
}

#[test]
fn ranges() {
    assert_eq!(ok("0..3"), ints(&[0, 1, 2]));
    assert_eq!(ok("2..n + 1"), ints(&[2, 3]));
    assert_eq!(ok("3..1"), ints(&[]));
    let Value::List(big) = ok("0..10000") else {
        panic!("a list")
    };
    assert_eq!(big.len(), 10_000);
    let d = fails("0..10001", "E0314");
    assert_eq!(labelled("0..10001", &d), "0..10001");
    fails("-9223372036854775807..9223372036854775807", "E0314");
    open("0..open");
}

#[test]
fn list_comprehensions() {
    assert_eq!(ok("[for i in 0..3: i * 2]"), ints(&[0, 2, 4]));
    assert_eq!(
        ok("[for x in xs if x != \"b\": upper(x)]"),
        list(&["A", "C"])
    );
    assert_eq!(
        ok("[for i, x in xs: \"${i}:${x}\"]"),
        list(&["0:a", "1:b", "2:c"])
    );
    assert_eq!(
        ok("[for v in m: v]"),
        ints(&[1, 2]),
        "one binding: a map's values"
    );
    assert_eq!(ok("[for k, v in m: k]"), list(&["a", "b"]));
    assert_eq!(
        ok("[for i in 0..2: [for j in 0..2: i * 10 + j]]"),
        Value::List(vec![ints(&[0, 1]), ints(&[10, 11])])
    );
    assert_eq!(
        ok("[for n in [7]: n]"),
        ints(&[7]),
        "a loop variable shadows"
    );
    open("[for x in open: x]");
    open("[for x in xs: open]");
    open("[for x in xs if open: x]");
    fails("[for i in 0..3: 6 / (i - 1)]", "E0311");
}

#[test]
fn object_comprehensions() {
    let Value::Object(map) = ok("{for i, x in xs: x => i}") else {
        panic!("an object")
    };
    assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(map["c"], Value::Int(2));
    let Value::Object(map) = ok("{for k, v in m if v > 1: \"${k}!\" => v * 10}") else {
        panic!("an object")
    };
    assert_eq!(map.len(), 1);
    assert_eq!(map["b!"], Value::Int(20));
    let Value::Object(map) = ok("{for i in 0..2: i => true}") else {
        panic!("an object")
    };
    assert_eq!(map.keys().collect::<Vec<_>>(), ["0", "1"]);
    let d = fails("{for x in [\"a\", \"b\", \"a\"]: x => 1}", "E0317");
    assert_eq!(
        labelled("{for x in [\"a\", \"b\", \"a\"]: x => 1}", &d),
        "x"
    );
    fails("{for x in [[1]]: x => 1}", "E0315");
}

#[test]
fn string_functions() {
    assert_eq!(ok("length(\"héllo\")"), Value::Int(5));
    assert_eq!(ok("join(\"-\", [\"a\", 1, true])"), s("a-1-true"));
    assert_eq!(ok("join(\",\", [])"), s(""));
    fails("join(\",\", [[1]])", "E0315");
    assert_eq!(ok("split(\",\", \"a,b,,c\")"), list(&["a", "b", "", "c"]));
    fails("split(\"\", \"abc\")", "E0316");
    assert_eq!(ok("lower(\"MiXed\")"), s("mixed"));
    assert_eq!(ok("upper(\"MiXed\")"), s("MIXED"));
    assert_eq!(ok("replace(\"a.b.c\", \".\", \"-\")"), s("a-b-c"));
    fails("replace(\"abc\", \"\", \"-\")", "E0316");
    assert_eq!(ok("contains(\"hello\", \"ell\")"), Value::Bool(true));
    assert_eq!(ok("contains(\"hello\", \"xyz\")"), Value::Bool(false));
    open("lower(1)");
}

#[test]
fn collection_functions() {
    assert_eq!(ok("length(xs)"), Value::Int(3));
    assert_eq!(ok("length(m)"), Value::Int(2));
    assert_eq!(ok("contains(xs, \"b\")"), Value::Bool(true));
    assert_eq!(ok("contains([1, 2], 2.0)"), Value::Bool(true));
    assert_eq!(ok("contains(xs, \"z\")"), Value::Bool(false));
    assert_eq!(ok("keys(m)"), list(&["a", "b"]));
    assert_eq!(ok("values(m)"), ints(&[1, 2]));
    assert_eq!(ok("concat([1], [], [2, 3])"), ints(&[1, 2, 3]));
    assert_eq!(ok("concat()"), ints(&[]));
    open("concat([1], 2)");
    assert_eq!(ok("min(3, 1, 2)"), Value::Int(1));
    assert_eq!(ok("max(3, 1, 2)"), Value::Int(3));
    assert_eq!(ok("max([4, 9])"), Value::Int(9));
    assert_eq!(ok("min(1, 0.5)"), Value::Number(0.5));
    fails("max([])", "E0316");
    open("min(\"a\")");
    assert_eq!(ok("element(xs, 2)"), s("c"));
    fails("element(xs, 3)", "E0312");
    assert_eq!(ok("lookup(m, \"a\")"), Value::Int(1));
    assert_eq!(ok("lookup(m, \"z\", 0)"), Value::Int(0));
    fails("lookup(m, \"z\")", "E0313");
}

#[test]
fn encoding_and_networks() {
    assert_eq!(ok("base64(\"\")"), s(""));
    assert_eq!(ok("base64(\"f\")"), s("Zg=="));
    assert_eq!(ok("base64(\"fo\")"), s("Zm8="));
    assert_eq!(ok("base64(\"foo\")"), s("Zm9v"));
    assert_eq!(ok("base64(\"foobar\")"), s("Zm9vYmFy"));
    assert_eq!(ok("base64(\"héllo\")"), s("aMOpbGxv"));
    assert_eq!(ok("cidrsubnet(\"10.0.0.0/16\", 8, 2)"), s("10.0.2.0/24"));
    assert_eq!(ok("cidrsubnet(\"10.1.0.0/16\", 4, 15)"), s("10.1.240.0/20"));
    assert_eq!(
        ok("cidrsubnet(\"172.16.0.0/12\", 0, 0)"),
        s("172.16.0.0/12")
    );
    assert_eq!(ok("cidrsubnet(\"0.0.0.0/0\", 32, 1)"), s("0.0.0.1/32"));
    let d = fails("cidrsubnet(\"10.0.0.0/16\", 8, 256)", "E0316");
    assert_eq!(labelled("cidrsubnet(\"10.0.0.0/16\", 8, 256)", &d), "256");
    fails("cidrsubnet(\"10.0.0.0/16\", 17, 0)", "E0316");
    fails("cidrsubnet(\"10.0.0.0/16\", 8, -1)", "E0316");
    fails("cidrsubnet(\"10.0.0/16\", 8, 1)", "E0316");
    fails("cidrsubnet(\"10.0.0.256/16\", 8, 1)", "E0316");
    fails("cidrsubnet(\"10.0.0.0/33\", 1, 1)", "E0316");
    // Blocks the clouds refuse: an octet with a leading zero, host bits.
    let d = fails("cidrsubnet(\"10.0.01.0/16\", 8, 1)", "E0316");
    assert!(d.help.iter().any(|h| h.contains("`10.0.1.0/16`")));
    let d = fails("cidrsubnet(\"10.1.2.3/16\", 4, 15)", "E0316");
    assert!(d.help.iter().any(|h| h.contains("`10.1.0.0/16`")));
    open("cidrsubnet(\"fd00::/8\", 8, 1)");
}

#[test]
fn address_blocks_as_the_clouds_read_them() {
    assert_eq!(parse_ipv4_prefix("10.0.0.0/16"), Ok((0x0a00_0000, 16)));
    assert_eq!(parse_ipv4_prefix("0.0.0.0/0"), Ok((0, 0)));
    assert_eq!(parse_ipv4_prefix("10.0.2.5/32"), Ok((0x0a00_0205, 32)));
    assert_eq!(
        parse_ipv4_prefix("10.0.01.0/24"),
        Err(BlockError::LeadingZero {
            decimal: "10.0.1.0/24".into()
        })
    );
    assert_eq!(
        parse_ipv4_prefix("10.0.1.0/008"),
        Err(BlockError::LeadingZero {
            decimal: "10.0.1.0/8".into()
        })
    );
    assert_eq!(
        parse_ipv4_prefix("10.0.2.5/24"),
        Err(BlockError::HostBits {
            network: "10.0.2.0/24".into()
        })
    );
    for malformed in [
        "10.0.0/16",
        "10.0.0.256/16",
        "10.0.0.0/33",
        "10.0.0.0",
        "10.0.0.0/",
        "10.0.0.0/+8",
        " 10.0.0.0/8",
        "10.0.0.0.0/8",
        "fd00::/8",
    ] {
        assert_eq!(
            parse_ipv4_prefix(malformed),
            Err(BlockError::Malformed),
            "{malformed}"
        );
    }
}

#[test]
fn functions_left_to_others() {
    open("file(\"init.sh\")");
    open("format(\"%s\", \"a\")");
    open("no_such_function(1)");
    open("length(1, 2)");
    // Errors in the arguments are still found.
    fails("file(\"x\" + 1 / 0)", "E0311");
}

#[test]
fn evaluation_is_bounded() {
    let d = fails("[for i in 0..10000: [for j in 0..10000: j]]", "E0314");
    assert!(d.message.contains("too large"), "{d:?}");
    let d = fails(
        "[for i in 0..1000: join(\",\", [for j in 0..1000: \"${j}\"])]",
        "E0314",
    );
    assert!(d.message.contains("too large"), "{d:?}");
}

#[test]
fn values_display_as_source() {
    let value = ok("{ a = [1, 2.5, \"x\"], \"b-c\" = null, d = 2.0 }");
    assert_eq!(
        value.to_string(),
        "{ a = [1, 2.5, \"x\"], \"b-c\" = null, d = 2.0 }"
    );
    assert_eq!(ok("\"\\${HOME}\"").to_string(), "\"\\${HOME}\"");
    let long = Value::String("x".repeat(100));
    assert!(show(&long).ends_with("..."));
}

#[test]
fn values_round_trip_through_json() {
    let json = serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {}});
    let value = Value::from_json(&json);
    assert_eq!(value.to_json(), json);
    assert_eq!(Value::from_json(&serde_json::json!(3)), Value::Int(3));
    assert_eq!(
        Value::from_json(&serde_json::json!(3.5)),
        Value::Number(3.5)
    );
}
