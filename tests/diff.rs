//! `infra diff` as users and CI run it: a program built into a directory,
//! then compared with changed copies of itself.

use std::path::Path;
use std::process::{Command, Output};

fn infra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("infra runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const THREE_TIER: &str = "examples/three_tier.infra";

/// Every target three_tier compiles to.
const ALL_TARGETS: [&str; 8] = [
    "-t",
    "cloudformation",
    "-t",
    "heat",
    "-t",
    "terraform",
    "--provider",
    "aws",
];

fn build(program: &str, out: &Path, targets: &[&str]) {
    let out = out.display().to_string();
    let mut args = vec!["build", program, "-o", &out];
    args.extend(targets);
    let built = infra(&args);
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
}

fn diff(program: &str, old: &Path, extra: &[&str]) -> Output {
    let old = old.display().to_string();
    let mut args = vec!["diff", "--color", "never", "--against", &old, program];
    args.extend(extra);
    infra(&args)
}

/// A copy of `program` in `dir` with `from` replaced by `to`.
fn edited(dir: &tempfile::TempDir, program: &str, from: &str, to: &str) -> String {
    let source = std::fs::read_to_string(program).expect("read");
    assert!(source.contains(from), "{from}");
    let name = Path::new(program).file_name().expect("a file");
    let path = dir.path().join(name);
    std::fs::write(&path, source.replace(from, to)).expect("write");
    path.display().to_string()
}

#[test]
fn the_same_program_has_no_changes() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &ALL_TARGETS);
    let output = diff(THREE_TIER, old.path(), &ALL_TARGETS);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(out.ends_with("no changes\n"), "{out}");
    assert_eq!(out.matches(": no changes").count(), 3, "{out}");
}

#[test]
fn a_changed_database_engine_blocks_until_allowed() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &ALL_TARGETS);
    let new = tempfile::tempdir().expect("temp dir");
    let program = edited(
        &new,
        THREE_TIER,
        "engine = \"postgres\"",
        "engine = \"mysql\"",
    );
    let output = diff(&program, old.path(), &ALL_TARGETS);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Named by the template's name, its type and the program's resource.
    let line = err
        .lines()
        .find(|l| l.contains("(AWS::RDS::DBInstance, resource `db`) would be replaced"))
        .unwrap_or_else(|| panic!("no CloudFormation line in {err}"));
    assert!(
        line.ends_with(
            "Engine changed from \"postgres\" to \"mysql\", and Engine forces replacement"
        ),
        "{line}"
    );
    // Heat replaces a Trove instance whose datastore changes.
    assert!(
        err.contains("(OS::Trove::Instance, resource `db`) would be replaced"),
        "{err}"
    );
    // Terraform's schemas do not say: a warning, not a failure of its own.
    assert!(
        err.contains("(aws_db_instance, resource `db`) may be replaced"),
        "{err}"
    );
    assert!(err.contains("--allow-replace"), "{err}");

    let output = diff(
        &program,
        old.path(),
        &[&ALL_TARGETS[..], &["--allow-replace", "db"]].concat(),
    );
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("allowed by `--allow-replace`"), "{err}");
}

#[test]
fn fewer_web_servers_are_removed_without_failing() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &["-t", "cloudformation"]);
    let new = tempfile::tempdir().expect("temp dir");
    let program = edited(&new, THREE_TIER, "let web_count = 3", "let web_count = 2");
    let output = diff(&program, old.path(), &["-t", "cloudformation"]);
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let removed: Vec<&str> = out.lines().filter(|l| l.contains("delete")).collect();
    assert_eq!(removed.len(), 1, "{out}");
    assert!(removed[0].contains("AWS::EC2::Instance"), "{out}");
}

#[test]
fn a_kind_of_storage_removed_from_the_three_tier_loop_blocks_on_every_target() {
    for targets in [
        &["-t", "cloudformation"][..],
        &["-t", "heat"],
        &["-t", "terraform", "--provider", "aws"],
        &["-t", "terraform", "--provider", "openstack"],
    ] {
        let old = tempfile::tempdir().expect("temp dir");
        build(THREE_TIER, old.path(), targets);
        let new = tempfile::tempdir().expect("temp dir");
        let program = edited(
            &new,
            THREE_TIER,
            r#"for kind in ["uploads", "exports"]"#,
            r#"for kind in ["uploads"]"#,
        );
        let output = diff(&program, old.path(), targets);
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{targets:?}: {err}");
        // The bucket of the kind removed, named by its kind; the other
        // kind's bucket is the same resource as before.
        let blocking: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert!(!blocking.is_empty(), "{targets:?}: {err}");
        for line in &blocking {
            let lower = line.to_lowercase();
            assert!(lower.contains("exports"), "{targets:?}: {line}");
            assert!(lower.contains("would be deleted"), "{targets:?}: {line}");
            assert!(!lower.contains("uploads"), "{targets:?}: {line}");
        }
    }
}

const VOLUMES: &str = r#"
/// Two data volumes.
resource vol: storage.Volume for name in ["data", "logs"] {
  name = name
  size_gb = 10
}
"#;

#[test]
fn a_persistent_resource_removed_from_a_loop_blocks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let program = dir.path().join("volumes.infra");
    std::fs::write(&program, VOLUMES).expect("write");
    let program = program.display().to_string();
    for targets in [
        &["-t", "cloudformation"][..],
        &["-t", "heat"],
        &["-t", "terraform", "--provider", "aws"],
    ] {
        let old = tempfile::tempdir().expect("temp dir");
        build(&program, old.path(), targets);
        let new = tempfile::tempdir().expect("temp dir");
        let fewer = edited(&new, &program, r#"["data", "logs"]"#, r#"["data"]"#);
        let output = diff(&fewer, old.path(), targets);
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{targets:?}: {err}");
        assert!(err.contains("would be deleted"), "{err}");
        assert!(err.contains("is persistent"), "{err}");
        // The old build alone does not say which resource of the program a
        // name it lost was made for: it is allowed by the template's name,
        // as the report gives it.
        let json = diff(
            &fewer,
            old.path(),
            &[targets, &["--format", "json"]].concat(),
        );
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        let changes = report["templates"][0]["changes"]
            .as_array()
            .expect("changes");
        let blocked: Vec<&str> = changes
            .iter()
            .filter(|c| c["verdict"] == "blocked")
            .map(|c| c["name"].as_str().expect("a name"))
            .collect();
        assert_eq!(blocked.len(), 1, "{report}");
        let allowed = [targets, &["--allow-replace", blocked[0]]].concat();
        let output = diff(&fewer, old.path(), &allowed);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        // The copy kept is the same resource.
        assert!(changes.iter().all(|c| c["kind"] == "removed"), "{report}");
    }
}

#[test]
fn json_reports_are_one_document() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &["-t", "cloudformation"]);
    let new = tempfile::tempdir().expect("temp dir");
    let program = edited(
        &new,
        THREE_TIER,
        "engine = \"postgres\"",
        "engine = \"mysql\"",
    );
    let output = diff(
        &program,
        old.path(),
        &["-t", "cloudformation", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["blocked"], true);
    let template = &report["templates"][0];
    assert_eq!(template["file"], "three_tier.template.json");
    let blocked: Vec<&serde_json::Value> = template["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["verdict"] == "blocked")
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["type"], "AWS::RDS::DBInstance");
    assert_eq!(blocked[0]["resource"], "db");
}

#[test]
fn missing_or_foreign_directories_are_usage_errors() {
    let empty = tempfile::tempdir().expect("temp dir");
    let missing = empty.path().join("nothing-here");
    let output = diff(THREE_TIER, &missing, &["-t", "cloudformation"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read directory"));

    // Built for another target: nothing to compare with.
    let output = diff(THREE_TIER, empty.path(), &["-t", "cloudformation"]);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("holds none of the templates built"), "{err}");

    // A file of that name that is not a template.
    std::fs::write(
        empty.path().join("three_tier.template.json"),
        "{\"Resources\": 1}",
    )
    .expect("write");
    let output = diff(THREE_TIER, empty.path(), &["-t", "cloudformation"]);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot read"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_template_only_in_the_new_build_is_added() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &["-t", "cloudformation"]);
    let output = diff(
        THREE_TIER,
        old.path(),
        &["-t", "cloudformation", "-t", "heat"],
    );
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(out.contains("three_tier.hot.json (Heat): "), "{out}");
    assert!(
        out.contains("a template the earlier build does not have"),
        "{out}"
    );
    assert!(out.contains("three_tier.template.json (CloudFormation): no changes"));
}

#[test]
fn a_library_or_a_program_with_errors_compares_nothing() {
    let old = tempfile::tempdir().expect("temp dir");
    build(THREE_TIER, old.path(), &["-t", "cloudformation"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let library = dir.path().join("library.infra");
    std::fs::write(&library, "component Empty {\n  param n: string\n}\n").expect("write");
    let output = diff(
        &library.display().to_string(),
        old.path(),
        &["-t", "cloudformation"],
    );
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing to compare"), "{err}");
    // A program that does not check reports its errors, and nothing else.
    let broken = edited(&dir, THREE_TIER, "engine = \"postgres\"", "engine = 5");
    let output = diff(&broken, old.path(), &["-t", "cloudformation"]);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("E0203"), "{err}");
    assert!(text(&output.stdout).is_empty());
}

/// An `existing` declaration reads a resource the program does not manage:
/// naming another one changes nothing the stack deploys, on Heat (which
/// adopts it by `external_id`) or Terraform (a data source).
#[test]
fn an_existing_resource_read_elsewhere_is_never_replaced() {
    for (program, from, to, target) in [
        (
            "examples/native/heat/existing_network.infra",
            "id = network_id",
            "id = \"2f0a5bd3-shared-network\"",
            &["-t", "heat"][..],
        ),
        (
            "examples/native/terraform-aws/existing_zone.infra",
            "private_zone = false",
            "private_zone = true",
            &["-t", "terraform", "--provider", "aws"],
        ),
    ] {
        let old = tempfile::tempdir().expect("temp dir");
        build(program, old.path(), target);
        let dir = tempfile::tempdir().expect("temp dir");
        let changed = edited(&dir, program, from, to);
        let output = diff(&changed, old.path(), target);
        let out = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(out.ends_with("no changes\n"), "{program}: {out}");
    }
}
