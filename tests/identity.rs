//! Identity across edits: what an ordinary change to a program does to the
//! names of what it deployed, on every target. Copies are named by their
//! key, so removing one leaves the others alone; a declared rename keeps
//! the deployed resource (the earlier logical id on CloudFormation and
//! Heat, a `moved` block on Terraform).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use infra::ir::Target;
use serde_json::Value;

#[path = "support/tools.rs"]
mod tools;

/// Builds `program` as `main.infra` for `target`: the template as JSON.
fn build(program: &str, target: Target) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("main.infra");
    std::fs::write(&path, program).expect("write");
    let (checked, templates) =
        infra::build(&[path], &infra::Options::default(), &[target]).expect("read");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{target:?}: {errors:#?}");
    let template = templates.first().expect("a template");
    serde_json::from_str(&template.text).expect("JSON")
}

/// The name of every resource of a template: a CloudFormation logical id, a
/// Heat resource name, a Terraform address.
fn names(template: &Value) -> BTreeSet<String> {
    let section = |key: &str| template.get(key).and_then(Value::as_object);
    if let Some(resources) = section("Resources").or_else(|| section("resources")) {
        return resources.keys().cloned().collect();
    }
    let mut out = BTreeSet::new();
    for (ty, named) in section("resource").into_iter().flatten() {
        for name in named.as_object().into_iter().flatten().map(|(n, _)| n) {
            out.insert(format!("{ty}.{name}"));
        }
    }
    out
}

fn volumes(list: &str) -> String {
    format!(
        "resource vol: storage.Volume for name in [{list}] {{\n  size_gb = 10\n}}\n\nresource disk: storage.Volume for d in [{{ name = \"a\", size = 1 }}, {{ name = \"b\", size = 2 }}] key d.name {{\n  size_gb = d.size\n}}\n"
    )
}

#[test]
fn removing_a_copy_leaves_the_others_named_as_they_were() {
    for target in Target::ALL {
        let before = names(&build(&volumes(r#""logs", "data", "cache""#), target));
        let after = names(&build(&volumes(r#""data", "cache""#), target));
        assert_eq!(
            after.len() + 1,
            before.len(),
            "{target:?}: {before:?} {after:?}"
        );
        assert!(
            after.is_subset(&before),
            "{target:?}: {after:?} renamed copies of {before:?}"
        );
        let gone: Vec<_> = before.difference(&after).collect();
        assert!(
            gone[0].to_lowercase().contains("logs"),
            "{target:?}: {gone:?}"
        );
    }
}

#[test]
fn copies_are_named_by_text_by_map_key_and_by_their_key() {
    let program = r#"
let sizes = { small = 10, large = 100 }

resource by_value: storage.Volume for name in ["logs", "v2.data"] {
  size_gb = 10
}

resource by_map_key: storage.Volume for name, size in sizes {
  size_gb = size
}

resource by_key: storage.Volume for d in [{ name = "a", size = 1 }] key "disk-${d.name}" {
  size_gb = d.size
}
"#;
    let cloudformation = names(&build(program, Target::CloudFormation));
    for id in [
        "ByValueLogs",
        "ByValueV2Data",
        "ByMapKeySmall",
        "ByMapKeyLarge",
        "ByKeyDiskA",
    ] {
        assert!(cloudformation.contains(id), "{id}: {cloudformation:?}");
    }
    let terraform = names(&build(program, Target::TerraformAws));
    for address in [
        "aws_ebs_volume.by_value_logs",
        "aws_ebs_volume.by_value_v2_data",
        "aws_ebs_volume.by_map_key_small",
        "aws_ebs_volume.by_key_disk_a",
    ] {
        assert!(terraform.contains(address), "{address}: {terraform:?}");
    }
}

const BEFORE_RENAME: &str = r#"
resource vol: storage.Volume for name in ["logs", "cache"] {
  size_gb = 10
}

resource q: queue.Queue {
  name = "jobs"
}
"#;

const AFTER_RENAME: &str = r#"
resource data: storage.Volume for name in ["logs", "cache"] {
  size_gb = 10
  renamed_from = "vol"
}

resource jobs: queue.Queue {
  name = "jobs"
  renamed_from = "q"
}
"#;

#[test]
fn a_renamed_resource_keeps_its_logical_id_on_cloudformation_and_heat() {
    for target in [Target::CloudFormation, Target::Heat] {
        let before = build(BEFORE_RENAME, target);
        let after = build(AFTER_RENAME, target);
        assert_eq!(names(&before), names(&after), "{target:?}");
        let section = if target == Target::Heat {
            "resources"
        } else {
            "Resources"
        };
        assert_eq!(before[section], after[section], "{target:?}");
    }
}

#[test]
fn a_renamed_resource_moves_on_terraform() {
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let after = build(AFTER_RENAME, target);
        let moved = after["moved"].as_array().expect("moved blocks");
        let pairs: BTreeSet<(String, String)> = moved
            .iter()
            .map(|m| {
                let end = |k: &str| m[k].as_str().expect("an address").to_string();
                (end("from"), end("to"))
            })
            .collect();
        let after_names = names(&after);
        let before_names = names(&build(BEFORE_RENAME, target));
        assert_eq!(pairs.len(), 3, "{target:?}: {pairs:?}");
        for (from, to) in &pairs {
            assert!(
                before_names.contains(from),
                "{target:?}: {from} not in {before_names:?}"
            );
            assert!(
                after_names.contains(to),
                "{target:?}: {to} not in {after_names:?}"
            );
        }
    }
}

/// tf-validate, when this machine has it; with `CI` set, it must.
fn tf_validate() -> Option<PathBuf> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/tf-validate");
    let found = tool.is_file();
    tools::available("tf-validate", found).then_some(tool)
}

#[test]
fn the_moved_blocks_pass_the_validator() {
    let Some(tool) = tf_validate() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for target in [Target::TerraformAws, Target::TerraformOpenstack] {
        let out = dir.path().join(target.provider().expect("a provider"));
        std::fs::create_dir_all(&out).expect("out dir");
        let template = build(AFTER_RENAME, target);
        std::fs::write(out.join("main.tf.json"), template.to_string()).expect("write");
        let run = std::process::Command::new("python3")
            .arg(&tool)
            .arg("--strict")
            .arg(&out)
            .output()
            .expect("run tf-validate");
        assert!(
            run.status.success(),
            "{target:?}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
