//! Compile-time param values through the `infra` binary: `--param`,
//! `--params FILE` and `INFRA_PARAM_<name>`, their precedence, and the
//! checks of the values against the params' types and constraints.

use std::io::Write;
use std::process::{Command, Output};

const PROGRAM: &str = r#"/// Number of web servers.
param web_count: int = 2 {
  min = 1
  max = 20
  message = "between 1 and 20 servers"
}

param env: "staging" | "production" = "staging"

/// Master password of the database.
param db_password: string {
  secret = true
  min_length = 12
}

param zones: [string] = ["a"]

resource site: storage.Bucket {
  name = "shop-${env}-${web_count}-${zones[0]}"
}

output password = db_password {
  sensitive = true
}
"#;

struct Program {
    dir: tempfile::TempDir,
}

impl Program {
    fn new(source: &str) -> Program {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("main.infra"), source).expect("written");
        Program { dir }
    }

    fn path(&self) -> String {
        self.dir.path().join("main.infra").display().to_string()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        let mut file = std::fs::File::create(&path).expect("created");
        file.write_all(text.as_bytes()).expect("written");
        path.display().to_string()
    }

    /// `infra check main.infra ARGS...` with `env` as the only
    /// `INFRA_PARAM_` variables.
    fn check(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_infra"));
        command.arg("check").arg(self.path()).args(args);
        command.args(["--color", "never"]);
        for (key, _) in std::env::vars() {
            if key.starts_with("INFRA_PARAM_") {
                command.env_remove(key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("infra runs")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn status(output: &Output) -> i32 {
    output
        .status
        .code()
        .expect("exited, not killed by a signal")
}

#[track_caller]
fn assert_status(output: &Output, expected: i32) -> String {
    let err = stderr(output);
    assert_eq!(status(output), expected, "stderr: {err}");
    err
}

#[test]
fn a_program_without_values_checks() {
    let program = Program::new(PROGRAM);
    assert_status(&program.check(&[], &[]), 0);
}

#[test]
fn a_value_in_range_is_accepted() {
    let program = Program::new(PROGRAM);
    let output = program.check(
        &["--param", "web_count=20", "--param", "env=production"],
        &[],
    );
    assert_status(&output, 0);
}

#[test]
fn a_value_above_max_names_the_constraint() {
    let program = Program::new(PROGRAM);
    let err = assert_status(&program.check(&["--param", "web_count=25"], &[]), 1);
    assert!(err.contains("error[E0301]"), "{err}");
    assert!(err.contains("`max`"), "{err}");
    assert!(
        err.contains("`--param web_count=25`: 25 is greater than the maximum 20"),
        "{err}"
    );
    assert!(
        err.contains("between 1 and 20 servers"),
        "the message: {err}"
    );
    assert!(err.contains("main.infra:2:7"), "on the param's name: {err}");
}

#[test]
fn a_value_below_min_names_the_constraint() {
    let program = Program::new(PROGRAM);
    let err = assert_status(&program.check(&["--param", "web_count=0"], &[]), 1);
    assert!(err.contains("`min`"), "{err}");
}

#[test]
fn a_value_of_the_wrong_type_is_an_error() {
    let program = Program::new(PROGRAM);
    let err = assert_status(&program.check(&["--param", "web_count=many"], &[]), 1);
    assert!(err.contains("error[E0302]"), "{err}");
    assert!(err.contains("`many` is not an int"), "{err}");

    let err = assert_status(&program.check(&["--param", "env=prod"], &[]), 1);
    assert!(err.contains("error[E0302]"), "{err}");

    let err = assert_status(&program.check(&["--param", "zones=a,b"], &[]), 1);
    assert!(err.contains("not valid JSON"), "{err}");
    assert_status(&program.check(&["--param", r#"zones=["a","b"]"#], &[]), 0);
}

#[test]
fn a_secret_given_at_compile_time_is_an_error() {
    let program = Program::new(PROGRAM);
    let output = program.check(&["--param", "db_password=correct-horse-battery"], &[]);
    let err = assert_status(&output, 1);
    assert!(err.contains("error[E0309]"), "{err}");
    assert!(err.contains("deploy time"), "{err}");
    assert!(
        !err.contains("correct-horse-battery"),
        "never echoed: {err}"
    );

    let output = program.check(&[], &[("INFRA_PARAM_db_password", "correct-horse-battery")]);
    let err = assert_status(&output, 1);
    assert!(err.contains("INFRA_PARAM_db_password"), "{err}");
}

#[test]
fn an_unknown_param_is_an_error_with_a_suggestion() {
    let program = Program::new(PROGRAM);
    let err = assert_status(&program.check(&["--param", "web_cuont=3"], &[]), 1);
    assert!(err.contains("error[E0102]"), "{err}");
    assert!(err.contains("did you mean `web_count`?"), "{err}");
}

#[test]
fn an_unknown_environment_variable_is_ignored() {
    let program = Program::new(PROGRAM);
    assert_status(
        &program.check(&[], &[("INFRA_PARAM_other_program", "x")]),
        0,
    );
}

#[test]
fn malformed_flags_are_usage_errors() {
    let program = Program::new(PROGRAM);
    for flag in ["web_count", "=3", "web-count=3", "1x=2"] {
        let err = assert_status(&program.check(&["--param", flag], &[]), 2);
        assert!(err.contains("--param"), "{flag}: {err}");
    }
}

#[test]
fn a_bad_params_file_is_a_usage_error() {
    let program = Program::new(PROGRAM);
    let missing = program.dir.path().join("missing.json");
    let missing = missing.display().to_string();
    let err = assert_status(&program.check(&["--params", &missing], &[]), 2);
    assert!(err.contains(&missing), "{err}");

    let broken = program.file("broken.json", "{ \"web_count\": ");
    let err = assert_status(&program.check(&["--params", &broken], &[]), 2);
    assert!(err.contains("not valid JSON"), "{err}");

    let list = program.file("list.json", "[1]");
    let err = assert_status(&program.check(&["--params", &list], &[]), 2);
    assert!(err.contains("JSON object"), "{err}");
}

#[test]
fn a_params_file_gives_json_values() {
    let program = Program::new(PROGRAM);
    let file = program.file(
        "prod.json",
        r#"{ "web_count": 5, "env": "production", "zones": ["a", "b"] }"#,
    );
    assert_status(&program.check(&["--params", &file], &[]), 0);

    let file = program.file("bad.json", r#"{ "web_count": 50 }"#);
    let err = assert_status(&program.check(&["--params", &file], &[]), 1);
    assert!(err.contains("`max`"), "{err}");
    assert!(err.contains("the params file"), "the origin: {err}");

    let file = program.file("typed.json", r#"{ "web_count": "5" }"#);
    let err = assert_status(&program.check(&["--params", &file], &[]), 1);
    assert!(
        err.contains("error[E0302]"),
        "JSON values are not text: {err}"
    );
}

#[test]
fn flags_win_over_the_file_which_wins_over_the_environment() {
    let program = Program::new(PROGRAM);
    let bad_file = program.file("bad.json", r#"{ "web_count": 50 }"#);
    let good_file = program.file("good.json", r#"{ "web_count": 5 }"#);
    let bad_env = [("INFRA_PARAM_web_count", "99")];

    // The environment alone is used...
    let err = assert_status(&program.check(&[], &bad_env), 1);
    assert!(err.contains("`INFRA_PARAM_web_count`: 99"), "{err}");
    // ...the file overrides it...
    assert_status(&program.check(&["--params", &good_file], &bad_env), 0);
    let err = assert_status(&program.check(&["--params", &bad_file], &bad_env), 1);
    assert!(err.contains("50 is greater"), "{err}");
    // ...and a flag overrides both.
    let args = ["--params", &bad_file, "--param", "web_count=3"];
    assert_status(&program.check(&args, &bad_env), 0);
    // The last of several flags wins.
    let args = ["--param", "web_count=3", "--param", "web_count=30"];
    let err = assert_status(&program.check(&args, &[]), 1);
    assert!(err.contains("web_count=30"), "{err}");
}

#[test]
fn environment_names_are_case_sensitive() {
    let program = Program::new(PROGRAM);
    assert_status(&program.check(&[], &[("INFRA_PARAM_WEB_COUNT", "99")]), 0);
    assert_status(&program.check(&[], &[("INFRA_PARAM_web_count", "99")]), 1);
}

#[test]
fn every_problem_of_a_run_is_reported() {
    let program = Program::new(PROGRAM);
    let args = [
        "--param",
        "web_count=25",
        "--param",
        "env=test",
        "--param",
        "nope=1",
    ];
    let err = assert_status(&program.check(&args, &[]), 1);
    for code in ["E0301", "E0302", "E0102"] {
        assert!(err.contains(&format!("error[{code}]")), "{code}: {err}");
    }
}

#[test]
fn graph_checks_values_too() {
    let program = Program::new(PROGRAM);
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(["graph", &program.path(), "--param", "web_count=25"])
        .args(["--color", "never"])
        .output()
        .expect("infra runs");
    let err = assert_status(&output, 1);
    assert!(err.contains("error[E0301]"), "{err}");
}

#[test]
fn json_diagnostics_carry_the_constraint() {
    let program = Program::new(PROGRAM);
    let output = program.check(
        &["--param", "web_count=25", "--message-format", "json"],
        &[],
    );
    assert_eq!(status(&output), 1);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("\"E0301\""), "{text}");
}
