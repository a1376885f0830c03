//! Every example command of `infra`'s `--help` texts and of the README runs
//! as written, in a directory holding a copy of `examples/` and the
//! README's `shop.infra`: the documentation cannot drift from the command.

use std::path::Path;
use std::process::Command;

/// The subcommands, in the order their examples build on each other
/// (`where` reads what `build` wrote).
const SUBCOMMANDS: &[&str] = &[
    "check",
    "build",
    "diff",
    "graph",
    "where",
    "fmt",
    "explain",
    "doc",
    "completions",
    "man",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("readable dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("named"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A shell running `line` in `dir`, with the built `infra` first on PATH.
fn sh(dir: &Path, line: &str) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_infra"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("a directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        // Nothing a command writes lands outside the test's directory.
        .env("HOME", dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs")
}

/// The README's first `infra` block: the program its examples name
/// `shop.infra`.
fn readme_program(readme: &str) -> String {
    let start = readme.find("```infra\n").expect("an infra block") + "```infra\n".len();
    let end = start + readme[start..].find("```").expect("closed");
    readme[start..end].to_string()
}

/// Commands of the README written in full: `infra ...` in inline code
/// without placeholders (`PATH`, `DIR`, `[...]`) that is more than the
/// name of a command or flag, and the `infra` commands
/// of its `sh` blocks (`./target/release/infra` read as `infra`).
fn readme_commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prose = String::new();
    let mut in_block = None;
    for line in readme.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            in_block = match in_block {
                None => Some(fence.to_string()),
                Some(_) => None,
            };
            continue;
        }
        match in_block.as_deref() {
            Some("sh") => out.extend(
                line.split("&&")
                    .filter_map(|part| part.trim().strip_prefix("./target/release/infra "))
                    .map(|rest| format!("infra {rest}")),
            ),
            Some(_) => {}
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
        }
    }
    out.extend(
        prose
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|s| s.starts_with("infra ") && !s.contains(['[', '|', '\n']))
            .filter(|s| !has_placeholder(s))
            // `infra where`, `infra build -o`: names of commands and flags.
            .filter(|s| s.split_whitespace().count() > 2 && !s.ends_with(" -o"))
            .map(str::to_string),
    );
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

fn has_placeholder(command: &str) -> bool {
    command
        .split_whitespace()
        .any(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

#[test]
fn every_example_of_the_help_texts_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new("examples"), &dir.path().join("examples"));
    let mut ran = 0;
    for sub in SUBCOMMANDS {
        let help = sh(dir.path(), &format!("infra {sub} --help"));
        assert_eq!(help.status.code(), Some(0));
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        let examples: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("  infra "))
            .collect();
        assert!(!examples.is_empty(), "`infra {sub} --help` has no example");
        for example in examples {
            let line = format!("infra {example}");
            let output = sh(dir.path(), &line);
            assert_eq!(
                output.status.code(),
                Some(0),
                "`{line}` from `infra {sub} --help`:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 15, "only {ran} examples");
}

#[test]
fn every_command_of_the_readme_runs() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new("examples"), &dir.path().join("examples"));
    std::fs::write(dir.path().join("shop.infra"), readme_program(&readme)).unwrap();
    // The README's program passes as shown.
    let checked = sh(dir.path(), "infra check shop.infra");
    assert_eq!(
        checked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let commands = readme_commands(&readme);
    for expected in [
        "infra build shop.infra --target cloudformation",
        "infra check . --message-format sarif > report.sarif",
        "infra check examples --deny warnings",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected} not found in {commands:?}"
        );
    }
    for command in &commands {
        let output = sh(dir.path(), command);
        assert_eq!(
            output.status.code(),
            Some(0),
            "`{command}` from README.md:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The README's build shows an excerpt of what it writes.
    let built = sh(dir.path(), "infra build shop.infra --target cloudformation");
    let template = String::from_utf8_lossy(&built.stdout);
    for excerpt in [
        "\"EnvIsProduction\"",
        "\"MetadataOptions\"",
        "\"AWS::EC2::Instance\"",
    ] {
        assert!(template.contains(excerpt), "{excerpt} not in {template}");
    }
}
