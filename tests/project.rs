//! The project file and diagnostic levels as `infra` users meet them: a
//! bare `infra build` in a project, `--env`, flags over `infra.toml`,
//! `--allow`/`--warn`/`--deny`, and inputs that name no program.

use std::path::Path;
use std::process::{Command, Output};

fn infra_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("INFRA_PARAM_env")
        .env_remove("INFRA_PARAM_cidr")
        .output()
        .expect("infra runs")
}

fn infra(args: &[&str]) -> Output {
    infra_in(Path::new("."), args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `examples/project`, copied into a fresh directory.
fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["infra.toml", "main.infra"] {
        std::fs::copy(
            Path::new("examples/project").join(name),
            dir.path().join(name),
        )
        .expect("copy the example project");
    }
    dir
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir");
                out.push(relative.display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_bare_build_in_the_example_project_builds_every_target() {
    let dir = project_copy();
    let output = infra_in(dir.path(), &["build", "--color", "never"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        files_under(&dir.path().join("out")),
        [
            "aws/main.tf.json",
            "aws/main.tf.map.json",
            "main.hot.json",
            "main.hot.map.json",
            "main.template.json",
            "main.template.map.json",
            "openstack/main.tf.json",
            "openstack/main.tf.map.json",
        ]
    );
    let cfn = std::fs::read_to_string(dir.path().join("out/main.template.json")).unwrap();
    assert!(cfn.contains("10.20.0.0/16"), "{cfn}");
    // From a directory below the project, the same project.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let below = infra_in(&dir.path().join("sub"), &["check", "--color", "never"]);
    assert_eq!(below.status.code(), Some(0), "{}", stderr(&below));
}

#[test]
fn an_environment_gives_its_params_and_output_directory() {
    let dir = project_copy();
    let output = infra_in(dir.path(), &["build", "--env", "production"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let cfn = std::fs::read_to_string(dir.path().join("out/production/main.template.json"))
        .expect("the environment's output directory");
    assert!(cfn.contains("10.30.0.0/16") && cfn.contains("project-production"));
    assert!(!dir.path().join("out/main.template.json").exists());
    // The command line wins over the environment.
    let flagged = infra_in(
        dir.path(),
        &[
            "build",
            "--env",
            "production",
            "--param",
            "cidr=10.40.0.0/16",
            "-t",
            "cloudformation",
            "-o",
            "mine",
        ],
    );
    assert_eq!(flagged.status.code(), Some(0), "{}", stderr(&flagged));
    assert_eq!(
        files_under(&dir.path().join("mine")),
        ["main.template.json", "main.template.map.json"]
    );
    let chosen = std::fs::read_to_string(dir.path().join("mine/main.template.json")).unwrap();
    assert!(
        chosen.contains("10.40.0.0/16") && chosen.contains("project-production"),
        "{chosen}"
    );
    // An environment the project does not have is a usage error.
    let unknown = infra_in(dir.path(), &["build", "--env", "prod"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("its environments are `production`"));
}

#[test]
fn a_misspelt_key_of_the_project_file_is_a_located_error() {
    let dir = project_copy();
    let toml = dir.path().join("infra.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("out_dir = \"out\"", "outdir = \"out\"")).unwrap();
    let output = infra_in(dir.path(), &["build", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("error[E0013]") && err.contains("infra.toml:11:1"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn levels_of_the_project_file_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let program = "resource thing: \"AWS::Contoso::Thing\" {\n  ThingName = \"t\"\n}\n";
    std::fs::write(dir.path().join("main.infra"), program).unwrap();
    let check = |args: &[&str]| {
        let mut all = vec![
            "check",
            "main.infra",
            "--color",
            "never",
            "-t",
            "cloudformation",
        ];
        all.extend_from_slice(args);
        infra_in(dir.path(), &all)
    };
    assert_eq!(check(&[]).status.code(), Some(0));
    let denied = check(&["--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        stderr(&denied).contains("error[W0202]"),
        "{}",
        stderr(&denied)
    );
    assert!(stderr(&denied).contains("`--deny warnings` denies it"));
    let allowed = check(&["--deny", "warnings", "--allow", "W0202"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert!(stderr(&allowed).is_empty(), "{}", stderr(&allowed));
    // The project file's levels, and the command line over them.
    std::fs::write(
        dir.path().join("infra.toml"),
        "[diagnostics]\ndeny = [\"W0202\"]\n",
    )
    .unwrap();
    let denied = check(&[]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(stderr(&denied).contains("`deny = [\"W0202\"]` in `infra.toml` denies it"));
    assert_eq!(check(&["--warn", "W0202"]).status.code(), Some(0));
    // `build` fails where `check` does.
    let build = infra_in(
        dir.path(),
        &["build", "main.infra", "-t", "cloudformation", "-o", "out"],
    );
    assert_eq!(build.status.code(), Some(1));
    assert!(!dir.path().join("out").exists());
    // Errors are not lowered; unknown codes are refused.
    assert_eq!(check(&["--allow", "E0201"]).status.code(), Some(2));
    assert_eq!(check(&["--deny", "W9999"]).status.code(), Some(2));
}

#[test]
fn the_bundled_examples_pass_with_warnings_denied() {
    let output = infra(&[
        "check", "examples", "--deny", "warnings", "--color", "never",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Notes are not warnings: they are still shown.
    assert!(stderr(&output).contains("note[W0531]"));
}

#[test]
fn no_input_files_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().to_str().unwrap();
    for args in [
        vec!["check", empty],
        vec!["fmt", "--check", empty],
        vec!["build", empty, "-t", "heat"],
    ] {
        let output = infra(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("no input files"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // No path and no project.
    let bare = infra_in(dir.path(), &["check"]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(stderr(&bare).contains("no input files"));
}

#[test]
fn check_fails_wherever_build_does_with_the_same_flags() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("out");
    let out = out.to_str().unwrap();
    for (args, status) in [
        // A native CloudFormation program asked for Heat.
        (vec!["examples/native/cloudformation", "-t", "heat"], 1),
        (
            vec![
                "examples/static_site.infra",
                "-t",
                "heat",
                "--deny",
                "warnings",
            ],
            0,
        ),
        (
            vec![
                "tests/ui/levels/suppressions.infra",
                "-t",
                "cloudformation",
                "--deny",
                "W0010",
            ],
            1,
        ),
        (vec!["examples/three_tier.infra", "-t", "terraform"], 2),
    ] {
        let checked = infra(&[&["check"], &args[..]].concat());
        let built = infra(&[&["build", "-o", out], &args[..]].concat());
        assert_eq!(
            checked.status.code(),
            Some(status),
            "check {args:?}: {}",
            stderr(&checked)
        );
        assert_eq!(
            built.status.code(),
            Some(status),
            "build {args:?}: {}",
            stderr(&built)
        );
    }
}

#[test]
fn several_programs_for_terraform_are_one_module_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = infra(&[
        "build",
        "examples/static_site.infra",
        "examples/worker_queue.infra",
        "-t",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
        "-t",
        "heat",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        files_under(&out),
        [
            "aws/static_site/main.tf.json",
            "aws/static_site/main.tf.map.json",
            "aws/worker_queue/main.tf.json",
            "aws/worker_queue/main.tf.map.json",
            "openstack/static_site/main.tf.json",
            "openstack/static_site/main.tf.map.json",
            "openstack/worker_queue/main.tf.json",
            "openstack/worker_queue/main.tf.map.json",
            "static_site.hot.json",
            "static_site.hot.map.json",
            "worker_queue.hot.json",
            "worker_queue.hot.map.json",
        ]
    );
    // Each module holds one program: one `terraform` block, its provider once.
    let module: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("aws/static_site/main.tf.json")).unwrap(),
    )
    .unwrap();
    assert!(module["resource"]["aws_s3_bucket"].is_object(), "{module}");
    // `infra where` and `infra diff` read the modules.
    let found = infra(&["where", out.to_str().unwrap(), "aws_s3_bucket.site_bucket"]);
    assert_eq!(found.status.code(), Some(0), "{}", stderr(&found));
    assert!(String::from_utf8_lossy(&found.stdout).contains("static_site.infra:"));
    let diff = infra(&[
        "diff",
        "--against",
        out.to_str().unwrap(),
        "examples/static_site.infra",
        "examples/worker_queue.infra",
        "-t",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
        "-t",
        "heat",
    ]);
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
}

#[test]
fn machine_output_of_a_bare_build_goes_to_stdout() {
    let dir = project_copy();
    // A stale suppression: W0010, a warning the project denies.
    let main = dir.path().join("main.infra");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("// infra: allow W0202\n{text}")).unwrap();
    let output = infra_in(dir.path(), &["build", "--message-format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    let lines = String::from_utf8_lossy(&output.stdout).into_owned();
    let value: serde_json::Value = serde_json::from_str(lines.trim()).expect("one JSON line");
    assert_eq!(value["code"], "W0010");
    assert_eq!(value["severity"], "error");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn each_file_answers_to_the_levels_of_its_own_project() {
    let dir = tempfile::tempdir().unwrap();
    let program = "resource thing: \"AWS::Contoso::Thing\" {\n  ThingName = \"t\"\n}\n";
    std::fs::write(dir.path().join("loose.infra"), program).unwrap();
    std::fs::create_dir(dir.path().join("strict")).unwrap();
    std::fs::write(dir.path().join("strict/main.infra"), program).unwrap();
    std::fs::write(
        dir.path().join("strict/infra.toml"),
        "[diagnostics]\ndeny = [\"W0202\"]\n",
    )
    .unwrap();
    let output = infra_in(
        dir.path(),
        &["check", ".", "-t", "cloudformation", "--color", "never"],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let warning = err.find("warning[W0202]").expect("loose.infra's warning");
    let error = err.find("error[W0202]").expect("strict/main.infra's error");
    assert!(err[warning..].contains("loose.infra"), "{err}");
    assert!(err[error..].contains("strict/main.infra"), "{err}");
    // The command line wins over every project.
    let allowed = infra_in(
        dir.path(),
        &["check", ".", "-t", "cloudformation", "--allow", "W0202"],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
}
