//! `infra`'s SARIF logs validate against the SARIF 2.1.0 JSON schema
//! (`tests/schemas/`, with its provenance): the log of the bundled
//! examples, of a failing program, and of a failure of the command itself.

use std::process::Command;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/schemas/sarif-2.1.0-rtm.5.json")
        .expect("the SARIF schema is in the repository");
    // The rtm.5 schema's pattern for a run's `language` has a stray `]`,
    // which the validator's regex check refuses; the schema of SARIF 2.1.0
    // Errata 01 gives the pattern meant. Nothing else is changed.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(stray), "the schema file changed");
    let text = text.replace(stray, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::new(&schema).expect("a valid draft-04 schema")
}

/// The SARIF log `infra ARGS --message-format sarif` prints on stdout, and
/// its exit status.
fn sarif_of(args: &[&str]) -> (serde_json::Value, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .args(["--message-format", "sarif"])
        .output()
        .expect("infra runs");
    let log = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (log, output.status.code())
}

fn assert_valid(validator: &jsonschema::Validator, log: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn the_examples_log_validates() {
    let validator = validator();
    let (log, status) = sarif_of(&["check", "examples"]);
    assert_eq!(status, Some(0));
    assert_valid(&validator, &log, "infra check examples");
    assert_eq!(log["version"], "2.1.0");
    // Not vacuous: the examples' notes are results, with locations.
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(results.len() > 10, "{results:?}");
    assert!(results[0]["locations"][0]["physicalLocation"].is_object());
}

#[test]
fn a_failing_program_and_a_failing_command_validate() {
    let validator = validator();
    let (log, status) = sarif_of(&["check", "tests/ui/syntax/three_broken_declarations.infra"]);
    assert_eq!(status, Some(1));
    assert_valid(&validator, &log, "three broken declarations");
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(3));
    let dir = tempfile::tempdir().unwrap();
    let (log, status) = sarif_of(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(status, Some(2));
    assert_valid(&validator, &log, "no input files");
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    // Not vacuous: the schema refuses a log missing its version.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(validator.iter_errors(&broken).next().is_some());
}
