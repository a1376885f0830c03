//! Tests of lowering through the whole compiler: what a name means in each
//! scope.

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
fn a_target_block_reads_its_own_lets_and_the_components_params() {
    let main = r#"
component Thing {
  param n: string
  let suffix = "${n}-q"

  target heat {
    let name = "heat-${suffix}"
    resource q: OS::Zaqar::Queue { name = name }
  }

  target cloudformation {
    let name = "cfn-${suffix}"
    resource q: AWS::SQS::Queue { QueueName = name }
  }
}

resource t: Thing { n = "x" }
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::Heat);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resources", "t", "properties", "name"]),
        "heat-x-q"
    );
    let (codes, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["Resources", "T", "Properties", "QueueName"]),
        "cfn-x-q"
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
        at(&template, &["Resources", "QA", "Properties", "QueueName"]),
        "a-q"
    );
    assert_eq!(
        at(&template, &["Outputs", "Names", "Value", "Fn::Join", "1"]),
        &serde_json::json!(["b"])
    );
}

#[test]
fn a_setting_a_target_cannot_honour_refuses_only_the_uses_that_ask_for_it() {
    let main = r#"
param versioned: bool

resource archive: storage.Bucket {
  name = "archive-bucket"
  versioning = versioned
}
"#;
    let files = [("main.infra", main)];
    // Known at compile time and false: Heat builds the bucket, unversioned.
    let (codes, template) = build(&files, &[("versioned", "false")], Target::Heat);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resources", "archive", "type"]),
        "OS::Swift::Container"
    );
    // True, or open until deploy time: refused, and nothing is built.
    for given in [&[("versioned", "true")][..], &[]] {
        let (codes, template) = build(&files, given, Target::Heat);
        assert_eq!(codes, ["E0501"], "{given:?}");
        assert!(template.is_none());
    }
    // Where the setting has a form, it is honoured, at deploy time too.
    let (codes, template) = build(&files, &[], Target::CloudFormation);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    let status = at(
        &template,
        &[
            "Resources",
            "Archive",
            "Properties",
            "VersioningConfiguration",
        ],
    );
    assert!(status.is_object(), "{status}");
}
