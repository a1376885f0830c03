//! What `infra` says to the person at the terminal: the summary of a
//! build, `infra fmt -` and `--diff`, `infra explain --list`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn infra_with_input(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("infra runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("infra ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_build_says_what_it_wrote_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = infra_with_input(
        &[
            "build",
            "examples/static_site.infra",
            "examples/worker_queue.infra",
            "-t",
            "cloudformation",
            "-t",
            "heat",
            "-o",
            out.to_str().unwrap(),
            "--color",
            "never",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let last = text(&output.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        last.starts_with("wrote 4 templates to `")
            && last.contains("(cloudformation: ")
            && last.contains(" in 2 templates; heat: ")
            && last.ends_with("), 0 warnings"),
        "{last}"
    );
}

#[test]
fn fmt_reads_standard_input_and_prints_a_diff() {
    let formatted = infra_with_input(&["fmt", "-"], "let  x=1\n");
    assert_eq!(formatted.status.code(), Some(0));
    assert_eq!(text(&formatted.stdout), "let x = 1\n");
    let diff = infra_with_input(&["fmt", "--diff", "-"], "let  x=1\n");
    assert_eq!(diff.status.code(), Some(1));
    assert_eq!(
        text(&diff.stdout),
        "--- <stdin>\n+++ <stdin>\n@@ -1 +1 @@\n-let  x=1\n+let x = 1\n"
    );
    let clean = infra_with_input(&["fmt", "--check", "-"], "let x = 1\n");
    assert_eq!(clean.status.code(), Some(0));
    assert!(clean.stdout.is_empty());
    let broken = infra_with_input(&["fmt", "-", "--color", "never"], "let x =\n");
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken.stderr).contains("error[E0001]"));
    assert!(broken.stdout.is_empty());
    // On files, `--diff` changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.infra");
    std::fs::write(&file, "let  x=1\n").unwrap();
    let diff = infra_with_input(&["fmt", "--diff", file.to_str().unwrap()], "");
    assert_eq!(diff.status.code(), Some(1));
    assert!(text(&diff.stdout).contains("+let x = 1\n"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "let  x=1\n");
}

#[test]
fn explain_lists_every_code() {
    let output = infra_with_input(&["explain", "--list"], "");
    assert_eq!(output.status.code(), Some(0));
    let listed = text(&output.stdout);
    assert_eq!(listed.lines().count(), infra::diagnostics::codes::ALL.len());
    assert!(listed.contains("W0010  warning  suppression comment that allows nothing\n"));
    assert!(listed.starts_with("E0000  error    internal compiler error\n"));
}

#[test]
fn completions_and_the_manual_page() {
    let bash = infra_with_input(&["completions", "bash"], "");
    assert_eq!(bash.status.code(), Some(0));
    let script = text(&bash.stdout);
    assert!(script.contains("complete -F _infra"), "{script}");
    for word in ["check", "build", "--message-format", "--deny", "--env"] {
        assert!(script.contains(word), "{word} not completed");
    }
    // The script is valid bash.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("infra.bash");
    std::fs::write(&path, &script).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("bash runs");
    assert!(syntax.success());
    let man = infra_with_input(&["man"], "");
    assert_eq!(man.status.code(), Some(0));
    let page = text(&man.stdout);
    assert!(
        page.contains(".TH infra 1") && page.contains("completions"),
        "{page}"
    );
}

#[test]
fn doc_shows_portable_and_native_types_from_the_stdlib() {
    let server = infra_with_input(&["doc", "compute.Server"], "");
    assert_eq!(server.status.code(), Some(0));
    let page = text(&server.stdout);
    for expected in [
        "compute.Server: a portable type (stateless)\nA virtual machine",
        "\nParams:\n",
        "  image: string\n",
        "  size: Size = \"small\"\n",
        "\nAttributes:\n  id: string\n",
        "  cloudformation: AWS::EC2::Instance (instance)\n",
        "OS::Neutron::FloatingIP (address if public_ip)",
        "Defined at stdlib:portable/compute.infra:",
    ] {
        assert!(page.contains(expected), "{expected:?} not in:\n{page}");
    }
    let native = infra_with_input(&["doc", "AWS::EC2::Instance"], "");
    assert_eq!(native.status.code(), Some(0));
    let page = text(&native.stdout);
    for expected in [
        "AWS::EC2::Instance: a native type of cloudformation\n",
        "  ImageId: string?\n      The ID of the AMI.\n",
        "Made by the portable types: compute.Server\n",
    ] {
        assert!(page.contains(expected), "{expected:?} not in:\n{page}");
    }
    let unknown = infra_with_input(&["doc", "compute.Sever"], "");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("did you mean `compute.Server`?"));
}

/// Lines of a child's stderr, read on a thread, until `wanted` is seen or
/// a minute passes.
fn wait_for(lines: &std::sync::mpsc::Receiver<String>, wanted: &str, seen: &mut String) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(wanted) {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn watch_checks_again_when_a_file_is_saved() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.infra");
    std::fs::write(
        &file,
        "resource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(["check", "--watch", "--color", "never", "-t", "heat"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("infra runs");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let first = wait_for(&lines, "[watch] ok", &mut seen);
    if first {
        std::fs::write(&file, "resource net: network.Network {\n  cidr: \"x\"\n}\n").unwrap();
    }
    let second = first && wait_for(&lines, "[watch] failed", &mut seen);
    let _ = child.kill();
    let _ = child.wait();
    assert!(first, "no first check: {seen}");
    assert!(second, "no check after the change: {seen}");
    assert!(seen.contains("error[E0001]"), "{seen}");
}
