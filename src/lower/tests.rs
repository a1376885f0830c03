//! Tests of lowering through the whole compiler: what a name means where a
//! declaration of another scope is read.

use crate::ir::Target;
use crate::sema::check::tests::build;

/// The value of `path` (keys, then array indexes) in a built template.
fn at<'v>(template: &'v serde_json::Value, path: &[&str]) -> &'v serde_json::Value {
    path.iter()
        .fold(template, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[*key],
        })
}

#[test]
fn a_component_reads_a_let_and_a_param_of_its_file() {
    let main = r#"
param env: string = "prod"

let prefix = "app"

component Thing {
  param n: string
  resource q: queue.Queue { name = "${prefix}-${n}-${env}" }
}

resource t: Thing { n = "x" }
"#;
    let (codes, template) = build(&[("main.infra", main)], &[("env", "dev")], Target::Heat);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resources", "t", "properties", "name"]),
        "app-x-dev"
    );
}

#[test]
fn a_component_of_an_imported_file_reads_that_files_let() {
    let lib = r#"
let prefix = "lib"

component Thing {
  param n: string
  resource q: queue.Queue { name = "${prefix}-${n}" }
}
"#;
    let main = r#"
import "./lib.infra" as lib

let prefix = "main"

resource t: lib.Thing { n = "x" }
"#;
    let files = [("main.infra", main), ("lib.infra", lib)];
    let (codes, template) = build(&files, &[], Target::TerraformAws);
    // The entry file's own `prefix` is not the one the component reads.
    assert_eq!(codes, ["W0101"]);
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resource", "aws_sqs_queue", "t", "name"]),
        "lib-x"
    );
}

#[test]
fn a_loop_variable_shadows_a_declaration_of_the_same_name() {
    let main = r#"
let name = "outer"

resource q: queue.Queue for name in ["a"] { name = "${name}-q" }

output names = [for name in ["b"]: name]
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    // Both loops' variables shadow the let, which is then never read.
    assert_eq!(codes, ["W0101"]);
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["Resources", "Q0", "Properties", "QueueName"]),
        "a-q"
    );
    assert_eq!(
        at(&template, &["Outputs", "Names", "Value", "Fn::Join", "1"]),
        &serde_json::json!(["b"])
    );
}
