//! Tests of the checker through the whole compiler: params typed by
//! aliases, and secrets.

use crate::ir::Target;
use crate::params::{Given, GivenValue, Origin};

/// Builds `main.infra` (with `files` beside it) for `target`, with the
/// params `given` on the command line: the codes reported, and the
/// template as JSON when one was built.
pub(crate) fn build(
    files: &[(&str, &str)],
    given: &[(&str, &str)],
    target: Target,
) -> (Vec<&'static str>, Option<serde_json::Value>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("written");
    }
    let mut options = crate::Options::default();
    for (name, value) in given {
        options.params.insert(
            name.to_string(),
            Given {
                value: GivenValue::Text(value.to_string()),
                origin: Origin::Flag,
            },
        );
    }
    let (checked, templates) =
        crate::build(&[dir.path().join("main.infra")], &options, &[target]).expect("read");
    let codes = checked.diagnostics.iter().map(|d| d.code.id).collect();
    let template = templates
        .first()
        .map(|t| serde_json::from_str(&t.text).expect("JSON"));
    (codes, template)
}

const SERVER: &str = r#"
resource net: network.Network {
  cidr = "10.0.0.0/16"
}

resource sub: network.Subnet {
  network = net
  cidr = "10.0.1.0/24"
}

resource web: compute.Server {
  name = "web-${tier}-${env}"
  image = "ami-0123456789abcdef0"
  size = size
  subnet = sub
}
"#;

/// A program whose params are typed by a stdlib alias, a local one and
/// an imported one.
fn program() -> String {
    format!(
        "import \"./lib.infra\" as lib\n\ntype Tier = \"web\" | \"db\"\n\nparam size: compute.Size = \"small\"\n\nparam tier: Tier = \"web\"\n\nparam env: lib.Env = \"staging\"\n{SERVER}"
    )
}

const LIB: &str = "type Env = \"staging\" | \"production\"\n";

#[test]
fn params_typed_by_aliases_are_strings_with_their_values_on_every_target() {
    let main = program();
    let files = [("main.infra", main.as_str()), ("lib.infra", LIB)];
    let small = ["small", "medium", "large", "xlarge"];
    let (codes, template) = build(&files, &[], Target::CloudFormation);
    assert_eq!(codes, Vec::<&str>::new());
    let params = &template.expect("a template")["Parameters"];
    for (name, values) in [
        ("Size", &small[..]),
        ("Tier", &["web", "db"]),
        ("Env", &["staging", "production"]),
    ] {
        assert_eq!(params[name]["Type"], "String", "{name}");
        assert_eq!(params[name]["AllowedValues"], serde_json::json!(values));
    }
    let (codes, template) = build(&files, &[], Target::Heat);
    assert_eq!(codes, Vec::<&str>::new());
    let params = &template.expect("a template")["parameters"];
    assert_eq!(params["size"]["type"], "string");
    assert_eq!(
        params["size"]["constraints"][0]["allowed_values"],
        serde_json::json!(small)
    );
    assert_eq!(params["env"]["type"], "string");
    let (codes, template) = build(&files, &[], Target::TerraformAws);
    assert_eq!(codes, Vec::<&str>::new());
    let variables = &template.expect("a template")["variable"];
    assert_eq!(variables["tier"]["type"], "string");
    let condition = variables["size"]["validation"][0]["condition"]
        .as_str()
        .expect("a validation");
    assert!(condition.contains("contains([\"small\", "), "{condition}");
}

/// Where secrets may go: secret params of portable types and of the
/// program's components, native resources of a component's lowering,
/// `depends_on`, and sensitive outputs.
const SECRETS_WHERE_THEY_BELONG: &str = r#"
param db_password: string {
  secret = true
  min_length = 12
}

resource net: network.Network {
  cidr = "10.0.0.0/16"
}

resource data: network.Subnet {
  network = net
  cidr = "10.0.2.0/24"
}

resource pw: secret.RandomPassword {
  length = 24
  special = false
}

resource generated: database.Instance {
  engine = "postgres"
  version = "16.4"
  username = "app"
  password = pw.value
  subnets = [data]
}

resource given: database.Instance {
  engine = "postgres"
  version = "16.4"
  username = "app"
  password = db_password
  subnets = [data]
  depends_on = [generated]
}

component Vault {
  param token: string {
    secret = true
  }

  output stored: string {
    sensitive = true
  }

  target cloudformation {
    resource queue: AWS::SQS::Queue {
      QueueName = token
    }

    output stored = token
  }
}

resource vault: Vault {
  token = "${pw.value}-${db_password}"
}

resource nested: Vault {
  token = vault.stored
}
"#;

#[test]
fn secrets_passed_to_secret_params_are_accepted_on_every_target() {
    let files = [("main.infra", SECRETS_WHERE_THEY_BELONG)];
    let (codes, template) = build(&files, &[], Target::CloudFormation);
    assert_eq!(codes, Vec::<&str>::new());
    let text = template.expect("a template").to_string();
    assert!(text.contains("resolve:secretsmanager"), "{text}");
    // Without the component, which lowers to CloudFormation only.
    let portable = SECRETS_WHERE_THEY_BELONG
        .split("component Vault")
        .next()
        .unwrap_or_default();
    for target in [
        Target::Heat,
        Target::TerraformAws,
        Target::TerraformOpenstack,
    ] {
        let (codes, template) = build(&[("main.infra", portable)], &[], target);
        assert_eq!(codes, Vec::<&str>::new(), "{target:?}");
        assert!(template.is_some(), "{target:?}");
    }
}

#[test]
fn outputs_reading_secrets_are_known_to_the_analysis() {
    let program = format!(
        "{SECRETS_WHERE_THEY_BELONG}\noutput plain = generated.endpoint\noutput generated_pw = pw.value\noutput dsn = \"app:${{db_password}}@${{given.endpoint}}\"\noutput stored = [for s in [vault.stored]: s]\n"
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("main.infra");
    std::fs::write(&path, program).expect("written");
    let checked = crate::check(&[path], &crate::Options::default()).expect("read");
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.id).collect();
    assert_eq!(codes, Vec::<&str>::new());
    let mut outputs: Vec<&str> = checked.programs[0]
        .1
        .analysis
        .secret_outputs
        .iter()
        .map(String::as_str)
        .collect();
    outputs.sort_unstable();
    assert_eq!(outputs, ["dsn", "generated_pw", "stored"]);
}

#[test]
fn secrets_are_tracked_through_lets_conditionals_and_comprehensions() {
    let base = SECRETS_WHERE_THEY_BELONG
        .split("component Vault")
        .next()
        .unwrap_or_default();
    for (value, secret) in [
        ("\"jobs\"", false),
        ("generated.endpoint", false),
        ("dsn", true),
        ("length(dsn) > 3 ? \"a\" : \"b\"", true),
        ("true ? \"a\" : pw.value", true),
        ("[for c in split(\",\", dsn): c][0]", true),
        ("{ k = db_password }.k", true),
        ("upper(pw.value)", true),
    ] {
        let program = format!(
            "{base}\nlet dsn = \"app:${{db_password}}\"\n\nresource jobs: queue.Queue {{\n  name = {value}\n}}\n"
        );
        let (codes, _) = build(&[("main.infra", &program)], &[], Target::TerraformAws);
        let want: &[&str] = if secret { &["E0321"] } else { &[] };
        // `dsn` is unused when the queue does not read it.
        let codes: Vec<&str> = codes.into_iter().filter(|c| *c != "W0101").collect();
        assert_eq!(codes, want, "name = {value}");
    }
}

#[test]
fn values_given_to_params_typed_by_aliases_are_checked_against_them() {
    let main = program();
    let files = [("main.infra", main.as_str()), ("lib.infra", LIB)];
    for (name, value) in [("size", "huge"), ("tier", "wbe"), ("env", "prod")] {
        let (codes, _) = build(&files, &[(name, value)], Target::CloudFormation);
        assert_eq!(codes, ["E0302"], "{name}={value}");
    }
    let given = [("size", "large"), ("tier", "db"), ("env", "production")];
    let (codes, template) = build(&files, &given, Target::CloudFormation);
    assert_eq!(codes, Vec::<&str>::new());
    let template = template.expect("a template");
    // Folded: no template parameter is left.
    assert_eq!(template.get("Parameters"), None);
    let text = template.to_string();
    assert!(text.contains("t3.large"), "{text}");
    assert!(text.contains("web-db-production"), "{text}");
}

#[test]
fn native_schemas_of_the_stdlib_carry_their_replacement_facts() {
    use crate::syntax::ast::StateClass;
    let rds = super::stdlib_native_schema("AWS::RDS::DBInstance").expect("in the stdlib");
    assert_eq!(rds.state, StateClass::Persistent);
    for forced in ["Engine", "DBInstanceIdentifier", "StorageEncrypted"] {
        assert!(rds.replacement.replaced_by.iter().any(|p| p == forced));
    }
    assert!(rds.replacement.may_replace.iter().any(|p| p == "MultiAZ"));
    // Every name is one of the type's own properties.
    for name in rds.replacement.replaced_by.iter() {
        assert!(rds.inputs.contains_key(name), "{name}");
    }
    let trove = super::stdlib_native_schema("OS::Trove::Instance").expect("in the stdlib");
    assert!(
        trove
            .replacement
            .replaced_by
            .iter()
            .any(|p| p == "datastore_type")
    );
    assert!(!trove.replacement.replaced_by.iter().any(|p| p == "flavor"));
    // Terraform's provider schemas do not say.
    let tf = super::stdlib_native_schema("aws_db_instance").expect("in the stdlib");
    assert_eq!(tf.replacement, Default::default());
    assert!(super::stdlib_native_schema("AWS::No::Such").is_none());
    assert!(super::stdlib_native_schema("nothing").is_none());
}

#[test]
fn every_typed_expression_has_its_type_in_the_program() {
    let text = "let n = 3\nlet names = [for i in 0..n: \"vm-${i}\"]\nresource q: queue.Queue { name = names[0] }\noutput url = q.url\n";
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("main.infra");
    std::fs::write(&path, text).expect("written");
    let options = crate::Options {
        keep_types: true,
        ..Default::default()
    };
    let checked = crate::check(&[path], &options).expect("read");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let (_, program) = &checked.programs[0];
    // The last occurrence: a name's use comes after its declaration.
    let type_at = |needle: &str| {
        let start = text.rfind(needle).expect("in the text") as u32;
        let end = start + needle.len() as u32;
        let (_, ty) = program
            .types
            .iter()
            .find(|(span, _)| span.start == start && span.end == end)
            .unwrap_or_else(|| panic!("no type for `{needle}`"));
        crate::sema::ty::display(ty, &|id| program.schemas[id.0 as usize].name.clone())
    };
    assert_eq!(type_at("[for i in 0..n: \"vm-${i}\"]"), "[string]");
    assert_eq!(type_at("names[0]"), "string");
    assert_eq!(type_at("q.url"), "string");
    assert_eq!(type_at("q"), "queue.Queue");
    assert_eq!(type_at("0..n"), "[int]");
}

#[test]
fn every_typed_expression_has_its_stage_in_the_program() {
    use crate::sema::check::ValueStage::*;
    let text = "param env: string\nparam size: int = 2\nlet names = [for i in 0..size: \"vm-${i}\"]\ncomponent C {\n  param p: string\n  resource q: queue.Queue { name = \"${p}-x\" }\n}\nresource q: queue.Queue for n in names { name = \"${n}-${env}\" }\nresource c: C { p = names[0] }\noutput url = q[0].url\noutput where = \"${region()}-${names[1]}\"\n";
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("main.infra");
    std::fs::write(&path, text).expect("written");
    let mut options = crate::Options {
        keep_types: true,
        ..Default::default()
    };
    options.params.insert(
        "size".into(),
        Given {
            value: GivenValue::Text("3".into()),
            origin: Origin::Flag,
        },
    );
    let checked = crate::check(&[path], &options).expect("read");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let (_, program) = &checked.programs[0];
    let stage_at = |needle: &str| {
        let start = text.rfind(needle).expect("in the text") as u32;
        let end = start + needle.len() as u32;
        program
            .stages
            .iter()
            .find(|(span, _)| span.start == start && span.end == end)
            .map(|(_, stage)| *stage)
            .unwrap_or_else(|| panic!("no stage for `{needle}`"))
    };
    assert_eq!(stage_at("[for i in 0..size: \"vm-${i}\"]"), Compile);
    assert_eq!(stage_at("names[0]"), Compile);
    assert_eq!(stage_at("\"${n}-${env}\""), Deploy);
    assert_eq!(stage_at("\"${p}-x\""), Instance);
    assert_eq!(stage_at("q[0].url"), Deploy);
    assert_eq!(stage_at("region()"), Context);
    assert_eq!(stage_at("\"${region()}-${names[1]}\""), Context);
}
