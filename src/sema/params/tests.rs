//! Tests of the param checks.

use indexmap::IndexMap;

use super::*;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast::SourceFile;

fn parse(source: &str) -> SourceFile {
    let (file, syntax) = crate::syntax::parse(FileId(0), source);
    assert!(syntax.is_empty(), "{syntax:#?}");
    file
}

fn flag(value: &str) -> Given {
    Given {
        value: GivenValue::Text(value.to_string()),
        origin: Origin::Flag,
    }
}

fn json(value: serde_json::Value) -> Given {
    Given {
        value: GivenValue::Json(value),
        origin: Origin::File("prod.json".into()),
    }
}

fn run(source: &str, given: &[(&str, Given)]) -> (IndexMap<String, ParamInfo>, Vec<Diagnostic>) {
    let file = parse(source);
    let given: GivenParams = given
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let (names, _) = crate::sema::resolve::resolve(&file);
    check(&file, &names, &given)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.id).collect()
}

/// The codes a program produces with no value given.
fn codes_of(source: &str) -> Vec<&'static str> {
    codes(&run(source, &[]).1)
}

fn text_of(source: &str, span: Span) -> &str {
    &source[span.range()]
}

#[test]
fn valid_params_give_their_info() {
    let source = r#"
let limit = 20
param web_count: int = 2 {
  min = 1
  max = limit
  label = "Servers"
  group = "Web"
}
param env: "staging" | "production" = "staging"
param name = "shop" { pattern = "^[a-z]+$" min_length = 2 max_length = 10 }
param tags: {string: string} = { team = "web" }
param ratio: number = 1
param zone: string? { allowed = ["a", "b"] }
"#;
    let (infos, diagnostics) = run(source, &[]);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let web = &infos["web_count"];
    assert_eq!(web.ty, ParamType::Int);
    assert_eq!(web.default, Some(Value::Int(2)));
    assert_eq!(web.value, None);
    assert_eq!(web.constraints.max.as_ref().unwrap().value, Value::Int(20));
    assert_eq!(
        text_of(source, web.constraints.max.as_ref().unwrap().span),
        "max = limit"
    );
    assert_eq!(web.label.as_deref(), Some("Servers"));
    assert_eq!(web.group.as_deref(), Some("Web"));
    assert_eq!(
        infos["name"].ty,
        ParamType::String,
        "the type of the default"
    );
    assert_eq!(infos["env"].ty.describe(), "\"staging\" | \"production\"");
    assert_eq!(infos["tags"].ty.describe(), "{string: string}");
    assert_eq!(infos["zone"].ty.describe(), "string?");
    assert!(!infos["web_count"].secret);
}

#[test]
fn given_values_are_converted_by_type() {
    let source = r#"
param n: int
param r: number
param b: bool
param s: string
param l: [int]
param m: {string: bool}
param o: int?
param u = 5
param any_alias: compute.Size
"#;
    let (infos, diagnostics) = run(
        source,
        &[
            ("n", flag("-12")),
            ("r", flag("2.5")),
            ("b", flag("true")),
            ("s", flag("007")),
            ("l", flag("[1, 2]")),
            ("m", flag(r#"{"x": false}"#)),
            ("o", flag("null")),
            ("u", json(serde_json::json!(7))),
            ("any_alias", flag("large")),
        ],
    );
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(infos["n"].value, Some(Value::Int(-12)));
    assert_eq!(infos["r"].value, Some(Value::Number(2.5)));
    assert_eq!(infos["b"].value, Some(Value::Bool(true)));
    assert_eq!(infos["s"].value, Some(Value::String("007".into())));
    assert_eq!(
        infos["l"].value,
        Some(Value::List(vec![Value::Int(1), Value::Int(2)]))
    );
    assert_eq!(infos["o"].value, Some(Value::Null));
    assert_eq!(infos["u"].value, Some(Value::Int(7)));
    assert_eq!(
        infos["any_alias"].value,
        Some(Value::String("large".into()))
    );
}

#[test]
fn local_aliases_are_resolved_and_foreign_ones_left_to_the_checker() {
    let source = "type Tier = \"web\" | \"db\"\ntype Count = int\ntype Rule = { port: int }\nparam tier: Tier = \"wbe\"\nparam n: Count\nparam rule: Rule\nparam size: compute.Size = \"huge\"\n";
    let (mut infos, diagnostics) = run(source, &[("n", flag("3"))]);
    // `size` names an alias of another file: nothing is said of it yet.
    assert_eq!(codes(&diagnostics), ["E0302"], "{diagnostics:#?}");
    assert_eq!(text_of(source, diagnostics[0].primary.span), "\"wbe\"");
    let literal = |s: &str| ParamType::Literal(s.into());
    assert_eq!(
        infos["tier"].ty,
        ParamType::Union(vec![literal("web"), literal("db")])
    );
    // Read as the alias's type: an int, not the text "3".
    assert_eq!(infos["n"].value, Some(Value::Int(3)));
    assert_eq!(infos["rule"].ty, ParamType::Other("Rule".into()));
    let file = parse(source);
    let (names, _) = crate::sema::resolve::resolve(&file);
    let sizes = ParamType::Union(vec![literal("small"), literal("large")]);
    let mut resolved = Vec::new();
    let diagnostics = check_foreign(&file, &names, &mut infos, &mut |ty| {
        resolved.push(type_text(ty));
        sizes.clone()
    });
    assert_eq!(resolved, ["compute.Size"]);
    assert_eq!(codes(&diagnostics), ["E0302"], "{diagnostics:#?}");
    assert_eq!(text_of(source, diagnostics[0].primary.span), "\"huge\"");
    assert_eq!(infos["size"].ty, sizes);
}

#[test]
fn given_values_of_the_wrong_type_are_errors() {
    let source = "param n: int\nparam b: bool\nparam l: [int]\nparam e: \"a\" | \"bb\"\n";
    for (name, given, needle) in [
        ("n", flag("ten"), "`ten` is not an int"),
        ("n", flag("1.5"), "`1.5` is not an int"),
        ("b", flag("yes"), "write `true` or `false`"),
        ("l", flag("[1,"), "not valid JSON"),
        ("l", flag("[\"x\"]"), "element 0"),
        ("e", flag("b"), "found a string"),
        ("n", json(serde_json::json!("3")), "found a string"),
    ] {
        let (infos, diagnostics) = run(source, &[(name, given)]);
        assert_eq!(codes(&diagnostics), ["E0302"], "{name}");
        let d = &diagnostics[0];
        assert!(d.primary.message.contains(needle), "{needle}: {d:#?}");
        assert_eq!(text_of(source, d.primary.span), name, "on the param's name");
        assert_eq!(infos[name].value, None);
    }
    let (_, diagnostics) = run(source, &[("e", flag("bb "))]);
    assert_eq!(diagnostics[0].help, ["did you mean \"bb\"?"]);
}

#[test]
fn given_values_are_checked_against_constraints() {
    let source = r#"param web_count: int = 2 {
  min = 1
  max = 20
  message = "1 to 20"
}
output c = web_count
"#;
    let (infos, diagnostics) = run(source, &[("web_count", flag("25"))]);
    assert_eq!(codes(&diagnostics), ["E0301"]);
    let d = &diagnostics[0];
    assert!(d.message.contains("`max`"), "{d:#?}");
    assert_eq!(
        d.primary.message,
        "`--param web_count=25`: 25 is greater than the maximum 20"
    );
    assert_eq!(text_of(source, d.primary.span), "web_count");
    assert_eq!(text_of(source, d.secondary[0].span), "max = 20");
    assert_eq!(d.notes, ["the param's message: 1 to 20"]);
    assert_eq!(infos["web_count"].value, None);

    let (infos, diagnostics) = run(source, &[("web_count", flag("20"))]);
    assert!(diagnostics.is_empty());
    assert_eq!(infos["web_count"].value, Some(Value::Int(20)));

    let (_, diagnostics) = run(source, &[("web_count", json(serde_json::json!(0)))]);
    assert!(
        diagnostics[0]
            .primary
            .message
            .starts_with("the params file `prod.json`")
    );
}

#[test]
fn every_violated_constraint_is_reported() {
    let source = r#"param code: string = "AB" {
  min_length = 3
  pattern = "^[a-z]+$"
  allowed = ["abc", "def"]
}
"#;
    let (_, diagnostics) = run(source, &[]);
    let options: Vec<&str> = diagnostics
        .iter()
        .map(|d| d.message.split('`').nth(3).unwrap_or(""))
        .collect();
    assert_eq!(
        options,
        ["allowed", "min_length", "pattern"],
        "{diagnostics:#?}"
    );
    assert!(
        diagnostics
            .iter()
            .all(|d| text_of(source, d.primary.span) == "\"AB\"")
    );
}

#[test]
fn secrets_are_never_folded() {
    let source = "param pw: string {\n  secret = true\n  min_length = 12\n}\n";
    let (infos, diagnostics) = run(source, &[("pw", flag("short"))]);
    assert_eq!(
        codes(&diagnostics),
        ["E0309"],
        "no constraint check on a secret"
    );
    let d = &diagnostics[0];
    assert_eq!(d.primary.message, "given by `--param pw`");
    assert!(
        !format!("{d:?}").contains("short"),
        "the secret is never echoed"
    );
    assert!(infos["pw"].secret);
    assert_eq!(infos["pw"].value, None);
    assert_eq!(
        codes_of("param pw: string = \"hunter2\" { secret = true }\n"),
        ["E0309"]
    );
}

#[test]
fn unknown_names_given_are_errors_with_a_suggestion() {
    let source = "param region: string\nlet prefix = \"x\"\n";
    let (_, diagnostics) = run(source, &[("regoin", flag("x")), ("prefix", flag("y"))]);
    assert_eq!(codes(&diagnostics), ["E0102", "E0102"]);
    assert_eq!(diagnostics[0].primary.span, Span::new(FileId(0), 0, 0));
    assert_eq!(diagnostics[0].help, ["did you mean `region`?"]);
    assert!(diagnostics[1].notes[0].contains("`prefix` is a let, not a param"));
    let env = Given {
        value: GivenValue::Text("x".into()),
        origin: Origin::Env,
    };
    let (_, diagnostics) = run(source, &[("other", env)]);
    assert!(diagnostics.is_empty(), "the environment is shared");
}

#[test]
fn defaults_may_read_constants_and_given_params() {
    let source = r#"
let base = 10
param a: int = base * 2 { max = 30 }
param b: int = a + 1
param c: string = "${a}-x"
"#;
    let (infos, diagnostics) = run(source, &[("a", flag("5"))]);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(infos["a"].default, Some(Value::Int(20)));
    assert_eq!(infos["b"].default, Some(Value::Int(6)));
    let (_, diagnostics) = run(source, &[]);
    assert_eq!(codes(&diagnostics), ["E0308", "E0308"]);
    assert!(diagnostics[0].help[0].contains("--param a="));
    // The default of a param given a value is not used.
    let (_, diagnostics) = run(source, &[("c", flag("z"))]);
    assert_eq!(codes(&diagnostics), ["E0308"]);
}

#[test]
fn defaults_must_be_constants() {
    let source =
        "resource net: network.Network { cidr = \"10.0.0.0/16\" }\nparam id: string = net.id\n";
    let (_, diagnostics) = run(source, &[]);
    assert_eq!(codes(&diagnostics), ["E0308"]);
    assert_eq!(text_of(source, diagnostics[0].primary.span), "net");
    // Unknown names are the resolver's; errors in lets are the checker's.
    assert!(codes_of("param x: int = nowhere\n").is_empty());
    assert!(codes_of("let bad = 1 / 0\nparam x: int = bad\n").is_empty());
    // Loop variables are not deploy-time names.
    assert!(codes_of("param x: [int] = [for i in 0..2: i]\n").is_empty());
    // A cycle of lets folds to nothing, quietly.
    assert!(codes_of("let a = b\nlet b = a\nparam x: int = a\n").len() <= 1);
}

#[test]
fn option_blocks_are_checked() {
    assert_eq!(codes_of("param x: int = 1 { mni = 0 }\n"), ["E0303"]);
    assert_eq!(
        codes_of("param x: int = 1 { min = 0 min = 1 }\n"),
        ["E0317"]
    );
    assert_eq!(codes_of("param x: int = 1 { min = \"0\" }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { min_length = -1 }\n"), ["E0304"]);
    assert_eq!(
        codes_of("param x: string { min_length = 1.5 }\n"),
        ["E0304"]
    );
    assert_eq!(codes_of("param x: string { allowed = [] }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { allowed = \"a\" }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { message = 1 }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { label = true }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { group = [] }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: string { min = 1 }\n"), ["E0305"]);
    assert_eq!(
        codes_of("param x: [string] { pattern = \"^a$\" }\n"),
        ["E0305"]
    );
    assert_eq!(codes_of("param x: bool { max_length = 2 }\n"), ["E0305"]);
    assert_eq!(codes_of("param x: int? { min = 1 }\n"), Vec::<&str>::new());
    assert_eq!(
        codes_of("param x: compute.Size { min_length = 1 }\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        codes_of("param x: \"a\" | \"b\" { max_length = 1 }\n"),
        Vec::<&str>::new()
    );
    assert_eq!(codes_of("param x: int { min = 5 max = 1 }\n"), ["E0306"]);
    assert_eq!(
        codes_of("param x: number { min = 1.5 max = 1 }\n"),
        ["E0306"]
    );
    assert_eq!(codes_of("param x: int { min = 1.5 }\n"), ["E0304"]);
    assert_eq!(codes_of("param x: int { max = 2.0 }\n"), Vec::<&str>::new());
    assert_eq!(
        codes_of("param x: string { min_length = 5 max_length = 1 }\n"),
        ["E0306"]
    );
    assert_eq!(
        codes_of("param x: string { pattern = \"^[a-z]+$\" allowed = [\"ok\", \"NO\"] }\n"),
        ["E0306"]
    );
    assert_eq!(
        codes_of("param x: string { pattern = \"^(a$\" }\n"),
        ["E0307"]
    );
    assert_eq!(codes_of("param x: string { pattern = \"a\" }\n"), ["W0301"]);
    // A feature this compiler cannot check is left to the target.
    let (infos, diagnostics) = run("param x: string = \"b\" { pattern = \"^(?=a)a$\" }\n", &[]);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
        infos["x"].constraints.pattern.as_ref().unwrap().value.regex,
        None
    );
}

#[test]
fn regex_errors_point_into_the_string() {
    let source = "param x: string { pattern = \"^[a-z]+(\\\\d$\" }\n";
    let (_, diagnostics) = run(source, &[]);
    assert_eq!(codes(&diagnostics), ["E0307"]);
    assert_eq!(text_of(source, diagnostics[0].primary.span), "(");
    let source = "param x: string { pattern = \"^ab\\\\q$\" }\n";
    let (_, diagnostics) = run(source, &[]);
    assert_eq!(text_of(source, diagnostics[0].primary.span), "\\\\q");
}

#[test]
fn crossing_bounds_are_not_checked_again() {
    assert_eq!(
        codes_of("param x: int = 3 { min = 5 max = 1 }\n"),
        ["E0306"]
    );
}

#[test]
fn component_params_are_checked_without_given_values() {
    let source = r#"
component Tier {
  param servers: int = 20 { min = 1 max = 10 }
  param name: string = "${prefix}-x"
  param size: string { mni = 1 }
  let prefix = "p"
  output n = name
}
"#;
    let (infos, diagnostics) = run(source, &[]);
    assert!(infos.is_empty(), "only top-level params are returned");
    assert_eq!(codes(&diagnostics), ["E0301", "E0303"], "{diagnostics:#?}");
}

#[test]
fn the_stdlib_params_are_clean() {
    for (path, text) in crate::stdlib::files() {
        let (file, _) = crate::syntax::parse(FileId(0), &text);
        let (names, _) = crate::sema::resolve::resolve(&file);
        let (_, diagnostics) = check(&file, &names, &GivenParams::new());
        // `compute.KeyPair.public_key` has a pattern anchored at its start
        // only (W0301): a warning, left to the stdlib's owners.
        let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
}

#[test]
fn types_coerce_values() {
    let int = ParamType::Int;
    assert_eq!(int.coerce(Value::Number(3.0)), Ok(Value::Int(3)));
    assert!(int.coerce(Value::Number(3.5)).is_err());
    assert_eq!(ParamType::Number.coerce(Value::Int(3)), Ok(Value::Int(3)));
    let optional = ParamType::Optional(Box::new(ParamType::String));
    assert_eq!(optional.coerce(Value::Null), Ok(Value::Null));
    assert!(ParamType::String.coerce(Value::Null).is_err());
    assert_eq!(optional.from_text("null"), Ok(Value::String("null".into())));
    let list = ParamType::List(Box::new(ParamType::Int));
    let err = list
        .coerce(Value::List(vec![Value::Int(1), Value::Bool(true)]))
        .unwrap_err();
    assert_eq!(err, "element 1: expected `int`, found a bool true");
    let other = ParamType::Other("network.Rule".into());
    assert_eq!(
        other.from_text(r#"{"port": 22}"#).unwrap().to_string(),
        "{ port = 22 }"
    );
    assert_eq!(
        ParamType::Number.from_text("1e3"),
        Ok(Value::Number(1000.0))
    );
    assert!(ParamType::Number.from_text("inf").is_err());
    assert!(ParamType::Number.from_text("NaN").is_err());
    assert_eq!(
        ParamType::of_value(&Value::List(vec![Value::Int(1), Value::Number(0.5)])),
        ParamType::List(Box::new(ParamType::Number))
    );
}

#[test]
fn violations_name_the_constraint() {
    let span = Span::default();
    let constraints = Constraints {
        min: Some(Constraint {
            value: Value::Number(0.5),
            span,
        }),
        max_length: Some(Constraint { value: 1, span }),
        ..Constraints::default()
    };
    assert_eq!(constraints.violations(&Value::Int(0))[0].option, "min");
    assert!(constraints.violations(&Value::Int(1)).is_empty());
    assert!(constraints.violations(&Value::Null).is_empty());
    let v = constraints.violations(&Value::String("ab".into()));
    assert_eq!(
        v[0].reason,
        "\"ab\" is 2 characters long, more than the maximum of 1"
    );
}

#[test]
fn a_given_value_is_checked_against_its_pattern_whatever_its_length() {
    let source = "param label: string { pattern = \"^[a-z]+$\" }\n";
    let long = "a".repeat(100_000);
    let (infos, diagnostics) = run(source, &[("label", flag(&long))]);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(infos["label"].value, Some(Value::String(long.clone())));
    let hostile = format!("{long};$(curl evil)");
    let (infos, diagnostics) = run(source, &[("label", flag(&hostile))]);
    assert_eq!(codes(&diagnostics), ["E0301"]);
    assert_eq!(infos["label"].value, None);
}

#[test]
fn a_given_value_is_refused_when_its_pattern_cannot_be_matched() {
    // Left to the target when deploying; but a value given now would be
    // written into the template unchecked.
    let source = "param label: string { pattern = \"^(?!admin)[a-z]+$\" }\n";
    let (_, diagnostics) = run(source, &[]);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let (infos, diagnostics) = run(source, &[("label", flag("admin"))]);
    assert_eq!(codes(&diagnostics), ["E0324"]);
    assert_eq!(infos["label"].value, None);
}
