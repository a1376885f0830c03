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

/// A quoted native type the stdlib declares persistent keeps the
/// protection its schema gives, on every target.
#[test]
fn a_quoted_persistent_type_keeps_its_protection() {
    let cfn = r#"
resource db: "AWS::RDS::DBInstance" {
  DBInstanceClass = "db.t3.micro"
  Engine = "postgres"
}
"#;
    let (codes, template) = build(&[("main.infra", cfn)], &[], Target::CloudFormation);
    assert_eq!(codes, ["W0210"]);
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["Resources", "Db", "DeletionPolicy"]),
        "Snapshot"
    );
    assert_eq!(
        at(&template, &["Resources", "Db", "UpdateReplacePolicy"]),
        "Snapshot"
    );
    let heat = r#"
resource data: "OS::Cinder::Volume" {
  size = 10
}
"#;
    let (codes, template) = build(&[("main.infra", heat)], &[], Target::Heat);
    assert_eq!(codes, ["W0210"]);
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resources", "data", "deletion_policy"]),
        "Snapshot"
    );
    let terraform = r#"
resource db: "aws_db_instance" {
  instance_class = "db.t3.micro"
}
"#;
    let (codes, template) = build(&[("main.infra", terraform)], &[], Target::TerraformAws);
    assert_eq!(codes, ["W0210"]);
    let template = template.expect("a template");
    assert_eq!(
        at(
            &template,
            &[
                "resource",
                "aws_db_instance",
                "db",
                "lifecycle",
                "prevent_destroy"
            ]
        ),
        true
    );
}

/// Inside a persistent component, a resource of a type no schema describes
/// may hold the component's data: it is retained on every target, beside
/// the persistent resources whose schema says so.
#[test]
fn a_persistent_component_protects_its_unchecked_resources() {
    let main = r#"
persistent component Store {
  target cloudformation {
    resource disk: AWS::EC2::Volume {
      AvailabilityZone = "eu-west-1a"
      Size = 10
    }
    resource cache: "AWS::Custom::Cache" {}
  }
  target heat {
    resource disk: OS::Cinder::Volume { size = 10 }
    resource cache: "OS::Custom::Cache" {}
  }
  target terraform-aws {
    resource cache: "aws_custom_cache" {}
  }
}

resource store: Store {}
"#;
    let (_, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    let template = template.expect("a template");
    let resources = at(&template, &["Resources"]);
    assert_eq!(resources["StoreDisk"]["DeletionPolicy"], "Snapshot");
    assert_eq!(resources["StoreCache"]["DeletionPolicy"], "Retain");
    assert_eq!(resources["StoreCache"]["UpdateReplacePolicy"], "Retain");
    let (_, template) = build(&[("main.infra", main)], &[], Target::Heat);
    let template = template.expect("a template");
    let resources = at(&template, &["resources"]);
    assert_eq!(resources["store_disk"]["deletion_policy"], "Snapshot");
    assert_eq!(resources["store_cache"]["deletion_policy"], "Retain");
    let (_, template) = build(&[("main.infra", main)], &[], Target::TerraformAws);
    let template = template.expect("a template");
    assert_eq!(
        at(
            &template,
            &[
                "resource",
                "aws_custom_cache",
                "store",
                "lifecycle",
                "prevent_destroy"
            ]
        ),
        true
    );
}

/// `deletion = "retain"` on a type that holds no data is honoured on every
/// target, not only where the state class would have asked for it.
#[test]
fn retain_on_a_stateless_type_reaches_every_target() {
    let main = r#"
resource q: queue.Queue {
  deletion = "retain"
}
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["Resources", "Q", "DeletionPolicy"]),
        "Retain"
    );
    assert_eq!(
        at(&template, &["Resources", "Q", "UpdateReplacePolicy"]),
        "Retain"
    );
    let (_, template) = build(&[("main.infra", main)], &[], Target::Heat);
    let template = template.expect("a template");
    assert_eq!(
        at(&template, &["resources", "q", "deletion_policy"]),
        "Retain"
    );
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let (_, template) = build(&[("main.infra", main)], &[], target);
        let template = template.expect("a template");
        let resources = at(&template, &["resource"]).as_object().expect("resources");
        for (kind, of_kind) in resources {
            for (name, body) in of_kind.as_object().expect("resources of a type") {
                assert_eq!(
                    body["lifecycle"]["prevent_destroy"], true,
                    "{kind}.{name} on {target:?}"
                );
            }
        }
    }
}

#[test]
fn a_value_remembered_across_copies_is_reused_only_for_the_same_constants() {
    // Copies 0 and 2 read the very same list, copy 1 another: the let and
    // the property lowered for copy 0 serve copy 2, not copy 1.
    let main = r#"
component Thing {
  param rules: [string] = ["a", "b"]
  let tagged = [for r in rules: "${r}-x"]

  target cloudformation {
    resource q: AWS::SQS::Queue { QueueName = tagged[length(tagged) - 1] }
  }
}

resource t: Thing for i in 0..3 { rules = i == 1 ? ["c"] : ["a", "b"] }

resource u: Thing {}
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    let name = |id: &str| at(&template, &["Resources", id, "Properties", "QueueName"]).clone();
    assert_eq!(name("T0"), "b-x");
    assert_eq!(name("T1"), "c-x");
    assert_eq!(name("T2"), "b-x");
    assert_eq!(name("U"), "b-x");
}

#[test]
fn a_remembered_let_that_reads_a_let_not_yet_computed_is_keyed_by_what_that_reads() {
    // `tagged` is read first, before `outgoing` is computed: copies 2 and
    // 3 reuse what copy 1 lowered, copies 4 and 5 (other lists) do not,
    // and `outgoing`, set with the reused value, is each copy's own.
    let main = r#"
component Thing {
  param rules: [string] = ["a", "b"]
  let outgoing = length(rules) == 0 ? ["none"] : rules
  let tagged = [for r in outgoing: "${r}-x"]

  target cloudformation {
    resource q: AWS::SQS::Queue {
      QueueName = tagged[length(tagged) - 1]
      DelaySeconds = length(outgoing)
    }
  }
}

resource t: Thing for i in 0..6 { rules = i == 4 ? ["c"] : i == 5 ? [] : ["a", "b"] }
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::CloudFormation);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    let property =
        |id: &str, name: &str| at(&template, &["Resources", id, "Properties", name]).clone();
    for (id, name, delay) in [
        ("T0", "b-x", 2),
        ("T1", "b-x", 2),
        ("T2", "b-x", 2),
        ("T3", "b-x", 2),
        ("T4", "c-x", 1),
        ("T5", "none-x", 1),
    ] {
        assert_eq!(property(id, "QueueName"), name, "{id}");
        assert_eq!(property(id, "DelaySeconds"), delay, "{id}");
    }
}

#[test]
fn a_resource_lowered_before_its_place_and_named_after_it_is_read_by_both() {
    // `y` is lowered when `x` reads it, then read again by `z`: lowering
    // lets go of its value only after `z`. `b`, lowered when `a` reads it,
    // is let go before lowering reaches its place.
    let main = r#"
resource x: queue.Queue { name = "${y.name}-x" }
resource y: queue.Queue { name = "y" }
resource z: queue.Queue { name = "${y.name}-z" }
resource a: queue.Queue { name = "${b.name}-a" }
resource b: queue.Queue { name = "b" }
"#;
    let (codes, template) = build(&[("main.infra", main)], &[], Target::Heat);
    assert!(codes.is_empty(), "{codes:?}");
    let template = template.expect("a template");
    let name = |queue: &str| at(&template, &["resources", queue, "properties", "name"]);
    assert_eq!(name("y"), "y");
    assert_eq!(name("b"), "b");
    for (queue, read, text) in [("x", "y", "$y-x"), ("z", "y", "$y-z"), ("a", "b", "$b-a")] {
        let replace = &name(queue)["str_replace"];
        assert_eq!(replace["template"], text);
        assert_eq!(replace["params"][format!("${read}")]["get_resource"], read);
    }
}
