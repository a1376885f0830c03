//! The `infra` binary as users and CI run it: exit statuses, output formats,
//! and inputs that must never crash it.

use std::path::Path;
use std::process::{Command, Output};

#[cfg(unix)]
#[path = "support/programs.rs"]
mod programs;

fn infra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("infra runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit status 1 or 2 with a coded diagnostic, never a signal or a panic.
fn assert_refused(output: &Output, code: &str) {
    let status = output
        .status
        .code()
        .expect("exited, not killed by a signal");
    let err = stderr(output);
    assert!(status == 1 || status == 2, "status {status}: {err}");
    assert!(
        err.contains(&format!("[{code}]")),
        "expected {code} in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn temp_file(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path.display().to_string()
}

const THREE_BROKEN: &str = "tests/ui/syntax/three_broken_declarations.infra";

#[test]
fn three_broken_declarations_give_three_located_diagnostics() {
    let output = infra(&["check", "--color", "never", THREE_BROKEN]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.matches("error[E0001]").count(), 3, "{err}");
    for line_col in [":5:1", ":11:16", ":15:1"] {
        assert!(err.contains(&format!("{THREE_BROKEN}{line_col}")), "{err}");
    }
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let output = infra(&["check", "--message-format", "json", THREE_BROKEN]);
    assert_eq!(output.status.code(), Some(1));
    // Machine output goes to stdout: `> report.json` captures it.
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    let objects: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(objects.len(), 3);
    for object in &objects {
        assert_eq!(object["code"], "E0001");
        assert_eq!(object["severity"], "error");
        assert_eq!(object["file"], THREE_BROKEN);
    }
    assert_eq!(objects[1]["span"]["line_start"], 11);
    assert_eq!(objects[1]["span"]["column_start"], 16);
}

#[test]
fn sarif_is_one_valid_log() {
    let output = infra(&["check", "--message-format", "sarif", THREE_BROKEN]);
    assert_eq!(output.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(3));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let always = infra(&["check", "--color", "always", THREE_BROKEN]);
    assert!(stderr(&always).contains('\u{1b}'));
    let never = infra(&["check", "--color", "never", THREE_BROKEN]);
    assert!(!stderr(&never).contains('\u{1b}'));
    let piped = infra(&["check", THREE_BROKEN]);
    assert!(
        !stderr(&piped).contains('\u{1b}'),
        "auto is plain when piped"
    );
}

#[test]
fn a_missing_file_is_an_io_error() {
    let output = infra(&["check", "does/not/exist.infra"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read `does/not/exist.infra`"));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(infra(&["check"]).status.code(), Some(2));
    assert_eq!(infra(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        infra(&["check", "--color", "sometimes", "x"]).status.code(),
        Some(2)
    );
}

#[test]
fn explain_prints_every_code() {
    for code in infra::diagnostics::codes::ALL {
        let output = infra(&["explain", code.id]);
        assert_eq!(output.status.code(), Some(0), "{}", code.id);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.starts_with(&format!("# {}", code.id)), "{text}");
    }
    let unknown = infra(&["explain", "E9999"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(&dir, "empty.infra", b"");
    assert_refused(&infra(&["check", &path]), "E0009");
}

#[test]
fn random_bytes_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A fixed pseudo-random sequence (xorshift), so the test is repeatable.
    let mut state: u32 = 0x2545_f491;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let path = temp_file(&dir, "random.infra", &bytes);
    assert_refused(&infra(&["check", &path]), "E0005");
    let ascii: Vec<u8> = bytes.iter().map(|b| b'!' + b % 90).collect();
    let path = temp_file(&dir, "random_ascii.infra", &ascii);
    let output = infra(&["check", &path]);
    let status = output.status.code().expect("not a signal");
    assert!(status == 1, "{}", stderr(&output));
    assert!(stderr(&output).contains("error[E000"));
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(&dir, "latin1.infra", b"let a = 1\nlet b = \"caf\xe9\"\n");
    let output = infra(&["check", &path]);
    assert_refused(&output, "E0005");
    assert!(stderr(&output).contains("offset 22"), "{}", stderr(&output));
}

#[test]
fn hundred_thousand_nested_brackets_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (open, close) in [("[", "]"), ("(", ")"), ("{", "}")] {
        let text = format!(
            "let a = {}1{}\n",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let path = temp_file(&dir, "deep.infra", text.as_bytes());
        assert_refused(&infra(&["check", &path]), "E0004");
    }
    let unclosed = format!("let a = {}\n", "[".repeat(100_000));
    let path = temp_file(&dir, "unclosed.infra", unclosed.as_bytes());
    assert_refused(&infra(&["check", &path]), "E0004");
}

/// The deepest tree the parser accepts (lists in objects 60 deep, each
/// holding a chain of 250 operators), in a file large enough that names and
/// the graph are resolved on a second thread: it is checked, not overflowed.
#[test]
fn the_deepest_accepted_tree_is_checked_on_every_thread() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chain = vec!["1"; 250].join(" + ");
    let mut value = "0".to_string();
    for _ in 0..60 {
        value = format!("{{ a = [{chain}, {value}] }}");
    }
    let text = format!(
        "{}let deep = {value}\noutput o = deep\n",
        "// padding\n".repeat(8_000)
    );
    assert!(text.len() > 128 * 1024);
    let path = temp_file(&dir, "deep.infra", text.as_bytes());
    let output = infra(&["check", &path, "--target", "terraform", "--provider", "aws"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn long_operator_chains_are_refused_not_overflowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    for chain in [
        "!".repeat(100_000) + "true",
        "1".to_string() + &" + 1".repeat(100_000),
    ] {
        let path = temp_file(&dir, "chain.infra", format!("let a = {chain}\n").as_bytes());
        assert_refused(&infra(&["check", &path]), "E0004");
    }
}

#[test]
fn ten_megabyte_file_is_checked_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let declaration = "/// A value.\nlet value_NUMBER = \"some text ${other}\" // comment\n";
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&declaration.replace("NUMBER", &n.to_string()));
        n += 1;
    }
    // One error at the very end proves the whole file was read.
    text.push_str("let broken = \n");
    let path = temp_file(&dir, "big.infra", text.as_bytes());
    // Above the default limit of 8 MiB: refused unread, exit status 2.
    let refused = infra(&["check", "--color", "never", &path]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("larger than the limit of 8388608 bytes"));
    // The project's infra.toml raises it.
    temp_file(&dir, "infra.toml", b"[limits]\nmax_file_bytes = 16777216\n");
    let output = infra(&["check", "--color", "never", &path]);
    assert_refused(&output, "E0001");
    assert_eq!(stderr(&output).matches("error[").count(), 1);
}

#[test]
fn unterminated_string_and_comment_at_end_of_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(&dir, "string.infra", b"let a = \"no end");
    assert_refused(&infra(&["check", &path]), "E0002");
    let path = temp_file(&dir, "mstring.infra", b"let a = \"\"\"\n  no end");
    assert_refused(&infra(&["check", &path]), "E0002");
    let path = temp_file(&dir, "comment.infra", b"let a = 1 /* no end");
    assert_refused(&infra(&["check", &path]), "E0003");
}

#[test]
fn directories_are_searched_for_infra_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    temp_file(&dir, "sub/a.infra", b"let a = (\n");
    temp_file(&dir, "notes.txt", b"not infra");
    let output = infra(&["check", &dir.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("a.infra"));
}

#[test]
fn fmt_check_fails_on_unformatted_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = b"let   a=1\nresource web : compute.Server{image=\"x\"}\n";
    let path = temp_file(&dir, "messy.infra", messy);
    let output = infra(&["fmt", "--check", &path]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read(&path).expect("still there"), messy);
    // Formatting writes the canonical layout, which then passes the check.
    assert_eq!(infra(&["fmt", &path]).status.code(), Some(0));
    assert_eq!(infra(&["fmt", "--check", &path]).status.code(), Some(0));
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = b"let a = (\n";
    let path = temp_file(&dir, "broken.infra", broken);
    assert_refused(&infra(&["fmt", &path]), "E0001");
    assert_eq!(std::fs::read(&path).expect("still there"), broken);
}

#[test]
fn examples_check_and_are_formatted() {
    if !Path::new("examples").exists() {
        return;
    }
    let check = infra(&["check", "examples"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let fmt = infra(&["fmt", "--check", "examples"]);
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
}

#[test]
fn build_writes_every_target_and_nothing_on_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let out_text = out.display().to_string();
    let built = infra(&[
        "build",
        "examples/three_tier.infra",
        "-o",
        &out_text,
        "--target",
        "cloudformation",
        "--target",
        "heat",
        "--target",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    for file in [
        "three_tier.template.json",
        "three_tier.hot.json",
        "aws/three_tier.tf.json",
        "openstack/three_tier.tf.json",
    ] {
        let text = std::fs::read_to_string(out.join(file)).expect("written");
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON");
        // Its source map, beside it.
        let map = out.join(file.replace(".json", ".map.json"));
        let map = std::fs::read_to_string(&map).expect("a map is written");
        let map: serde_json::Value = serde_json::from_str(&map).expect("JSON");
        assert_eq!(map["version"], 1);
    }
    // A program that fails for one target writes nothing at all.
    let program = temp_file(
        &dir,
        "arith.infra",
        b"param days: int = 3\n\nresource q: queue.Queue {\n  retention_seconds = days * 86400\n}\n",
    );
    let failed_out = dir.path().join("failed");
    let failed = infra(&[
        "build",
        &program,
        "-o",
        &failed_out.display().to_string(),
        "--target",
        "terraform-aws",
        "--target",
        "cloudformation",
    ]);
    assert_refused(&failed, "E0510");
    assert!(
        !failed_out.exists(),
        "nothing is written when a target fails"
    );
}

/// A build killed while it stages its files leaves its staging directory;
/// the next build into the directory removes it, since the process that
/// made it is gone.
#[cfg(unix)]
#[test]
fn the_staging_directory_of_a_killed_build_is_removed_by_the_next() {
    let dir = tempfile::tempdir().expect("temp dir");
    let large = programs::servers('a'..='x', 100);
    let large = temp_file(&dir, "large.infra", large.as_bytes());
    let out = dir.path().join("out");
    let staged = |out: &Path| {
        std::fs::read_dir(out)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".infra-build-"))
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(["build", &large, "-t", "cloudformation", "-o"])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("infra runs");
    let start = std::time::Instant::now();
    while !staged(&out) {
        assert!(
            child.try_wait().expect("waited").is_none(),
            "the build ended before its staging directory was seen"
        );
        assert!(start.elapsed().as_secs() < 120, "no staging directory");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().expect("killed");
    child.wait().expect("waited");
    assert!(staged(&out), "a killed build leaves its staging directory");
    let good = temp_file(&dir, "good.infra", NETWORK.as_bytes());
    let built = infra(&[
        "build",
        &good,
        "-t",
        "heat",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    assert!(!staged(&out), "{:?}", listing(&out));
    assert!(out.join("good.hot.json").is_file());
}

/// Templates are written into the output directory's staging directory as
/// they are made: a build that fails after some were made leaves the
/// directory as it was, and makes none of the directories it would have.
#[test]
fn a_failed_build_leaves_its_output_directory_as_it_was() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = temp_file(&dir, "good.infra", NETWORK.as_bytes());
    let bad = temp_file(
        &dir,
        "bad.infra",
        b"resource q: queue.Queue {\n  retention_seconds = \"a week\"\n}\n",
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("good.hot.json"), "{}\n").unwrap();
    let build = |programs: &[&str], into: &Path| {
        let into = into.display().to_string();
        let mut args = vec!["build"];
        args.extend(programs);
        args.extend(["-t", "heat", "-o", &into]);
        infra(&args)
    };
    // Into a directory that was there: as it was, nothing staged left.
    let failed = build(&[&good, &bad], &out);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert_eq!(
        listing(&out),
        ["good.hot.json"],
        "nothing staged is left behind"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("good.hot.json")).unwrap(),
        "{}\n"
    );
    // Into one that was not: not made.
    let fresh = dir.path().join("fresh/out");
    let failed = build(&[&good, &bad], &fresh);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(!dir.path().join("fresh").exists(), "no directory is made");
    // Without the bad program, the good one is written, with its map.
    let built = build(&[&good], &fresh);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    assert_eq!(listing(&fresh), ["good.hot.json", "good.hot.map.json"]);
}

/// `--provider` only means something for `--target terraform`: with any
/// other target it was silently ignored, and `--target heat --provider aws`
/// built a Heat template.
#[test]
fn a_provider_without_the_terraform_target_is_a_usage_error() {
    let program = "examples/static_site.infra";
    for args in [
        &["build", program, "--target", "heat", "--provider", "aws"][..],
        &[
            "build",
            program,
            "-t",
            "cloudformation",
            "--provider",
            "openstack",
        ],
        // The provider-named targets already say theirs.
        &[
            "build",
            program,
            "-t",
            "terraform-aws",
            "--provider",
            "openstack",
        ],
        &["check", program, "--provider", "aws"],
        &["check", program, "--target", "heat", "--provider", "aws"],
    ] {
        let output = infra(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}: nothing is built");
        let err = stderr(&output);
        assert!(
            err.contains("`--provider` applies only to `--target terraform`")
                && err.contains("add `--target terraform`"),
            "{args:?}: {err}"
        );
    }
    // With `--target terraform` it chooses the provider.
    let output = infra(&[
        "check",
        program,
        "-t",
        "heat",
        "-t",
        "terraform",
        "--provider",
        "aws",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// On OpenStack a load balancer's `dns_name` is an address: the record that
/// names it takes its type from the load balancer (an A record there, a
/// CNAME on AWS), and each Octavia member is placed in its server's subnet.
#[test]
fn a_load_balancer_is_named_and_reaches_its_members_on_every_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let program = temp_file(
        &dir,
        "lb.infra",
        b"param image: string\n\nresource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n\nresource front: network.Subnet {\n  network = net\n  cidr = \"10.0.1.0/24\"\n}\n\nresource app: network.Subnet {\n  network = net\n  cidr = \"10.0.2.0/24\"\n}\n\nresource web: compute.Server {\n  image = image\n  subnet = app\n}\n\nresource balancer: lb.LoadBalancer {\n  subnets = [front]\n  members = [web]\n}\n\nresource zone: dns.Zone {\n  name = \"example.com\"\n}\n\nresource www: dns.Record {\n  zone = zone\n  name = \"www\"\n  type = balancer.dns_record_type\n  values = [balancer.dns_name]\n}\n",
    );
    let out = dir.path().join("out");
    let built = infra(&[
        "build",
        &program,
        "-o",
        &out.display().to_string(),
        "-t",
        "cloudformation",
        "-t",
        "heat",
        "-t",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    let read = |file: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(out.join(file)).expect("written");
        serde_json::from_str(&text).expect("JSON")
    };
    let cfn = read("lb.template.json");
    assert_eq!(cfn["Resources"]["Www"]["Properties"]["Type"], "CNAME");
    let aws = read("aws/lb.tf.json");
    assert_eq!(
        aws["resource"]["aws_route53_record"]["www"]["type"],
        "CNAME"
    );

    let hot = read("lb.hot.json");
    let www = &hot["resources"]["www"]["properties"];
    assert_eq!(www["type"], "A");
    // An address, without the trailing dot of a host name.
    assert_eq!(
        www["records"],
        serde_json::json!([{ "get_attr": ["balancer_vip", "floating_ip_address"] }])
    );
    assert_eq!(
        hot["resources"]["balancer_member_0"]["properties"]["subnet"],
        serde_json::json!({ "get_resource": "app" })
    );
    let openstack = read("openstack/lb.tf.json");
    let www = &openstack["resource"]["openstack_dns_recordset_v2"]["www"];
    assert_eq!(www["type"], "A");
    assert_eq!(
        www["records"],
        serde_json::json!(["${openstack_networking_floatingip_v2.balancer_vip.address}"])
    );
    assert_eq!(
        openstack["resource"]["openstack_lb_member_v2"]["balancer_member_0"]["subnet_id"],
        "${openstack_networking_subnet_v2.app.id}"
    );
}

#[test]
fn an_unwritable_output_directory_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = temp_file(&dir, "not-a-dir", b"a file where the directory should be");
    let output = infra(&[
        "build",
        "examples/static_site.infra",
        "-o",
        &blocker,
        "--target",
        "cloudformation",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot"), "{}", stderr(&output));
}

#[test]
fn several_templates_without_an_output_directory_is_a_usage_error() {
    let output = infra(&[
        "build",
        "examples/static_site.infra",
        "--target",
        "cloudformation",
        "--target",
        "heat",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("-o DIR"), "{}", stderr(&output));
}

/// `large.infra` in `dir`, 2,400 servers: a Terraform configuration of over
/// half a MiB, many times what is held before it is written out
/// (`workspace::SPILL_AT`), and more than a pipe holds.
#[cfg(unix)]
fn large_program(dir: &tempfile::TempDir) -> String {
    let text = programs::servers('a'..='h', 300);
    temp_file(dir, "large.infra", text.as_bytes())
}

/// A template printed to standard output is staged in the temporary
/// directory as it is made (never held whole) and copied out: the bytes
/// `-o` writes, and nothing left behind; where no temporary file can be
/// made, it is held and printed all the same.
#[cfg(unix)]
#[test]
fn a_large_template_printed_is_the_one_written_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let program = large_program(&dir);
    let args = ["build", &program, "-t", "terraform", "--provider", "aws"];
    let out = dir.path().join("out");
    let written = infra(&[&args[..], &["-o", &out.display().to_string()]].concat());
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let expected = std::fs::read(out.join("large.tf.json")).expect("written");
    assert!(
        expected.len() > 8 * infra::workspace::SPILL_AT,
        "{}",
        expected.len()
    );
    let temporary = dir.path().join("tmp");
    std::fs::create_dir(&temporary).expect("temp dir");
    let unusable = dir.path().join("large.infra").join("tmp");
    for tmpdir in [&temporary, &unusable] {
        let printed = Command::new(env!("CARGO_BIN_EXE_infra"))
            .args(args)
            .env("TMPDIR", tmpdir)
            .output()
            .expect("infra runs");
        assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
        assert!(
            printed.stdout == expected,
            "{}: not the template written",
            tmpdir.display()
        );
    }
    let left: Vec<_> = std::fs::read_dir(&temporary).expect("listed").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Output standard output cannot take is a failure of the command (exit
/// 2, said on stderr): a full disk behind `>` never passes for a template
/// written, nor a report for one read whole. A reader that stops reading
/// (`| head`) is none.
#[cfg(target_os = "linux")]
#[test]
fn standard_output_that_cannot_be_written_fails_unless_its_reader_left() {
    let dir = tempfile::tempdir().expect("temp dir");
    let program = large_program(&dir);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    for args in [
        &["build", &program, "-t", "terraform", "--provider", "aws"][..],
        &["build", "examples/static_site.infra", "-t", "heat"],
        &["explain", "E0001"],
        &["graph", "examples/static_site.infra"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_infra"))
            .args(args)
            .stdout(full.try_clone().expect("dup"))
            .output()
            .expect("infra runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("cannot write to standard output"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // A report that cannot be written, on standard output, in a file or on
    // standard error: the command fails for it, not for the program (1).
    let bad = temp_file(&dir, "bad.infra", b"let a = (\n");
    let ugly = temp_file(&dir, "ugly.infra", b"param  a: string = \"x\"\n");
    let reports: [(&[&str], bool, &str); 4] = [
        (&["fmt", "--check", &ugly], true, "standard output"),
        (
            &["check", &bad, "--message-format", "json"],
            true,
            "standard output",
        ),
        (
            &["check", &bad, "--output", "/dev/full"],
            false,
            "`/dev/full`",
        ),
        (&["check", &bad], false, ""),
    ];
    for (args, on_stdout, place) in reports {
        let mut command = Command::new(env!("CARGO_BIN_EXE_infra"));
        command.args(args);
        match (on_stdout, place.is_empty()) {
            (true, _) => command.stdout(full.try_clone().expect("dup")),
            (false, true) => command.stderr(full.try_clone().expect("dup")),
            (false, false) => &mut command,
        };
        let output = command.output().expect("infra runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        // Standard error itself cannot say so.
        assert!(
            place.is_empty() || stderr(&output).contains(&format!("cannot write to {place}")),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(["build", &program, "-t", "terraform", "--provider", "aws"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("infra runs");
    let mut start = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().expect("piped"), &mut start).expect("read");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("infra ends");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A component made of one native resource gives it the component's name;
/// an output that chooses it at deploy time reads it by that name too.
#[test]
fn a_deploy_time_choice_reads_the_renamed_resource_of_a_component() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "param flag: bool = true\n\ncomponent Box {\n  param on: bool\n  resource q: AWS::SQS::Queue {\n    QueueName = \"jobs\"\n  }\n  output url: string = on ? q.id : \"none\"\n}\n\nresource b: Box {\n  on = flag\n}\n\noutput u = b.url\n";
    let path = temp_file(&dir, "choice.infra", text.as_bytes());
    let output = infra(&["build", &path, "--target", "cloudformation"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let template: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("a JSON template");
    assert_eq!(
        template["Outputs"]["U"]["Value"]["Fn::If"][1],
        serde_json::json!({ "Ref": "B" })
    );
    assert!(template["Resources"]["B"].is_object());
}

/// The template's description is the file's leading `///` block: a doc
/// comment further down belongs to its declaration only.
#[test]
fn only_a_leading_doc_block_describes_the_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = "resource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n\n/// The subnet.\nresource s: network.Subnet {\n  network = net\n  cidr = \"10.0.1.0/24\"\n}\n";
    for (text, description) in [
        (body.to_string(), None),
        (format!("/// The network.\n\n{body}"), Some("The network.")),
    ] {
        let path = temp_file(&dir, "described.infra", text.as_bytes());
        let output = infra(&["build", &path, "--target", "cloudformation"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let template: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("a JSON template");
        assert_eq!(template["Description"].as_str(), description, "{text}");
    }
}

/// A file of components alone deploys nothing: building it is a mistake in
/// the command, said plainly, with or without `-o`.
#[test]
fn building_only_a_library_builds_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "component Box {\n  param name: string\n}\n";
    let path = temp_file(&dir, "library.infra", text.as_bytes());
    let out = dir.path().join("out");
    let out = out.to_str().expect("UTF-8 path");
    for args in [
        vec!["build", &path, "--target", "cloudformation"],
        vec!["build", &path, "--target", "heat", "-o", out],
    ] {
        let output = infra(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("nothing to build"),
            "{}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
    assert!(!dir.path().join("out").exists());
}

/// `three_tier` built for every target into a temporary directory.
fn built_three_tier() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out").display().to_string();
    let built = infra(&[
        "build",
        "examples/three_tier.infra",
        "-o",
        &out,
        "-t",
        "cloudformation",
        "-t",
        "heat",
        "-t",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    (dir, out)
}

#[test]
fn where_finds_a_logical_id_and_shows_its_line() {
    let (_dir, out) = built_three_tier();
    let found = infra(&["where", &out, "DbInstance"]);
    assert_eq!(found.status.code(), Some(0), "{}", stderr(&found));
    let text = String::from_utf8_lossy(&found.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("examples/three_tier.infra:")
            && first.contains(
                "resource `db` → AWS::RDS::DBInstance DbInstance in three_tier.template.json"
            ),
        "{text}"
    );
    assert!(
        text.contains("| resource db: database.Instance {"),
        "{text}"
    );
    assert!(text.contains("|          ^^\n"), "{text}");
    // Made inside the portable type: where it is declared there too.
    assert!(text.contains("stdlib:portable/database.infra:"), "{text}");
    assert!(text.contains("made from `instance`"), "{text}");
    // As JSON: the map's entry.
    let json = infra(&["where", &out, "DbInstance", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let entries: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(entries[0]["resource"], "db");
    assert_eq!(entries[0]["template"], "three_tier.template.json");
    assert_eq!(entries[0]["at"]["file"], "examples/three_tier.infra");
}

#[test]
fn where_reads_terraform_addresses_as_terraform_prints_them() {
    let (_dir, out) = built_three_tier();
    for id in ["aws_instance.web_0[0]", "module.app.aws_instance.web_0"] {
        let found = infra(&["where", &out, id]);
        assert_eq!(found.status.code(), Some(0), "{id}: {}", stderr(&found));
        let text = String::from_utf8_lossy(&found.stdout);
        assert!(
            text.contains(
                "resource `web` (copy `0`) → aws_instance.web_0 in aws/three_tier.tf.json"
            ),
            "{id}: {text}"
        );
    }
    // A name in several templates: each.
    let env = infra(&["where", &out, "env"]);
    let text = String::from_utf8_lossy(&env.stdout);
    for template in [
        "three_tier.hot.json",
        "aws/three_tier.tf.json",
        "openstack/three_tier.tf.json",
    ] {
        assert!(
            text.contains(&format!("param `env` → parameter env in {template}")),
            "{text}"
        );
    }
}

#[test]
fn where_without_a_match_suggests_and_fails() {
    let (_dir, out) = built_three_tier();
    let missing = infra(&["where", &out, "DbInstanse"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("did you mean `DbInstance`?"),
        "{}",
        stderr(&missing)
    );
    assert!(missing.stdout.is_empty());
}

#[test]
fn where_in_a_missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gone = dir.path().join("gone").display().to_string();
    let output = infra(&["where", &gone, "DbInstance"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot read directory"),
        "{}",
        stderr(&output)
    );
    // A directory without maps says how to make them.
    let empty = infra(&["where", &dir.path().display().to_string(), "DbInstance"]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("infra build -o"),
        "{}",
        stderr(&empty)
    );
}

// ------------------------------------------------------------ untrusted input

/// Runs `infra` and fails the test, instead of hanging it, when it has not
/// exited within 60 seconds (a FIFO opened for reading blocks forever).
fn infra_within_a_minute(args: &[&str], dir: &Path) -> Output {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("infra runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("infra {args:?} blocked");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

const NETWORK: &str = "resource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n";

const SERVER: &str = "param image: string\n\nresource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n}\n\nresource app: network.Subnet {\n  network = net\n  cidr = \"10.0.1.0/24\"\n}\n\nresource web: compute.Server {\n  image = image\n  subnet = app\n  user_data = USER_DATA\n}\n";

#[test]
fn an_import_of_the_environment_shows_none_of_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = temp_file(&dir, "x.infra", b"import \"/proc/self/environ\" as e\n");
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(["check", &path])
        .env("FAKE_KEY", "hunter2")
        .output()
        .expect("infra runs");
    assert_eq!(output.status.code(), Some(1));
    assert_refused(&output, "E0010");
    let all = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
    let all = String::from_utf8_lossy(&all);
    assert!(!all.contains("hunter2"), "{all}");
    assert!(!all.contains("FAKE_KEY"), "{all}");
}

#[test]
fn imports_and_files_outside_the_project_are_refused_unread() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("app")).unwrap();
    // The secret is outside the project (app/, which has no infra.toml).
    temp_file(
        &dir,
        "secret.infra",
        b"let secret_text = \"TOP-SECRET\" (\n",
    );
    std::os::unix::fs::symlink("../secret.infra", dir.path().join("app/link.infra")).unwrap();
    for (name, program) in [
        ("passwd.infra", "import \"/etc/passwd\" as p\n".to_string()),
        (
            "dots.infra",
            "import \"../secret.infra\" as s\n".to_string(),
        ),
        ("link.infra", "import \"./link.infra\" as s\n".to_string()),
        (
            "file.infra",
            SERVER.replace("USER_DATA", "file(\"../secret.infra\")"),
        ),
        (
            "file_link.infra",
            SERVER.replace("USER_DATA", "file(\"link.infra\")"),
        ),
        (
            "file_passwd.infra",
            SERVER.replace("USER_DATA", "file(\"/etc/passwd\")"),
        ),
    ] {
        let path = temp_file(&dir, &format!("app/prog_{name}"), program.as_bytes());
        let output = infra(&["check", "--color", "never", &path]);
        assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
        assert_refused(&output, "E0010");
        let err = stderr(&output);
        assert!(
            !err.contains("TOP-SECRET") && !err.contains("root:x:0"),
            "{err}"
        );
    }
    // With infra.toml above both, the same file is inside the project.
    temp_file(&dir, "infra.toml", b"");
    let path = dir.path().join("app/prog_dots.infra");
    let output = infra(&["check", "--color", "never", &path.display().to_string()]);
    assert!(!stderr(&output).contains("E0010"), "{}", stderr(&output));
}

#[test]
fn a_fifo_is_refused_without_blocking_as_input_params_import_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    mkfifo(&dir.path().join("pipe.infra"));
    mkfifo(&dir.path().join("pipe.json"));
    temp_file(&dir, "ok.infra", NETWORK.as_bytes());
    let input = infra_within_a_minute(&["check", "pipe.infra"], dir.path());
    assert_eq!(input.status.code(), Some(2), "{}", stderr(&input));
    assert!(
        stderr(&input)
            .contains("error[E0011]: cannot read `pipe.infra`: it is a FIFO, not a regular file"),
        "{}",
        stderr(&input)
    );
    // With the same code in machine output.
    let json = infra_within_a_minute(
        &["check", "pipe.infra", "--message-format", "json"],
        dir.path(),
    );
    assert_eq!(json.status.code(), Some(2));
    let line: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON line");
    assert_eq!(line["code"], "E0011", "{line}");
    let params = infra_within_a_minute(&["check", "ok.infra", "--params", "pipe.json"], dir.path());
    assert_eq!(params.status.code(), Some(2), "{}", stderr(&params));
    assert!(
        stderr(&params).contains("FIFO, not a regular file"),
        "{}",
        stderr(&params)
    );
    temp_file(
        &dir,
        "imports.infra",
        format!("import \"./pipe.infra\" as p\n{NETWORK}").as_bytes(),
    );
    let import = infra_within_a_minute(&["check", "imports.infra"], dir.path());
    assert_refused(&import, "E0011");
    temp_file(
        &dir,
        "reads.infra",
        SERVER
            .replace("USER_DATA", "file(\"pipe.json\")")
            .as_bytes(),
    );
    let file = infra_within_a_minute(&["check", "reads.infra"], dir.path());
    assert_refused(&file, "E0011");
    // A directory scan lists the FIFO, which is then refused, not read.
    let scan = infra_within_a_minute(&["check", "."], dir.path());
    assert_eq!(scan.status.code(), Some(2), "{}", stderr(&scan));
}

#[test]
fn a_device_is_refused_by_its_type_inside_the_project() {
    let dir = tempfile::tempdir().expect("temp dir");
    temp_file(&dir, "infra.toml", b"");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.infra")).unwrap();
    temp_file(
        &dir,
        "main.infra",
        format!("import \"./zero.infra\" as z\n{NETWORK}").as_bytes(),
    );
    // The link leaves the project: refused before its type is even asked.
    let output = infra_within_a_minute(&["check", "main.infra"], dir.path());
    assert_refused(&output, "E0010");
    // Given on the command line, it is refused by its type.
    let output = infra_within_a_minute(&["check", "/dev/zero"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("a character device"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_invalid_infra_toml_is_a_located_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    temp_file(&dir, "infra.toml", b"[limits]\nmax_file_bytes = \"big\"\n");
    let path = temp_file(&dir, "main.infra", NETWORK.as_bytes());
    let output = infra(&["check", "--color", "never", &path]);
    assert_refused(&output, "E0013");
    assert!(
        stderr(&output).contains("infra.toml:2:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn symbolic_link_loops_are_scanned_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("src")).unwrap();
    temp_file(&dir, "src/x.infra", b"let a = (\n");
    std::os::unix::fs::symlink(".", dir.path().join("src/a")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("src/b")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("src/up")).unwrap();
    std::os::unix::fs::symlink("x.infra", dir.path().join("src/y.infra")).unwrap();
    // Outside the directory given: not followed.
    temp_file(&dir, "outside.infra", b"let b = (\n");
    std::os::unix::fs::symlink("../outside.infra", dir.path().join("src/out.infra")).unwrap();
    let output = infra_within_a_minute(&["check", "--color", "never", "src"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output).matches("error[E0001]").count(),
        1,
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("outside"), "{}", stderr(&output));
}

/// The names in `dir`, recursively, relative to it.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn two_programs_building_to_one_file_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("src/a")).unwrap();
    std::fs::create_dir_all(dir.path().join("src/b")).unwrap();
    temp_file(&dir, "src/a/main.infra", NETWORK.as_bytes());
    temp_file(
        &dir,
        "src/b/main.infra",
        NETWORK.replace("10.0", "10.1").as_bytes(),
    );
    let output = infra(
        &[
            "build",
            "src/a/main.infra",
            "src/b/main.infra",
            "-t",
            "heat",
            "-o",
            "out",
            "--color",
            "never",
        ]
        .map(|a| {
            if a.starts_with("src") || a == "out" {
                dir.path().join(a).display().to_string().leak() as &str
            } else {
                a
            }
        }),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_refused(&output, "E0014");
    let err = stderr(&output);
    assert!(
        err.contains("a/main.infra") && err.contains("b/main.infra"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists(), "nothing is written");
}

#[test]
fn a_directory_in_the_way_writes_no_template_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("three_tier.hot.json")).unwrap();
    std::fs::write(out.join("three_tier.template.json"), "old").unwrap();
    let output = infra(&[
        "build",
        "examples/three_tier.infra",
        "-o",
        &out.display().to_string(),
        "-t",
        "cloudformation",
        "-t",
        "heat",
        "-t",
        "terraform-aws",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("three_tier.hot.json"),
        "{}",
        stderr(&output)
    );
    // Nothing was replaced or added, and no temporary is left.
    assert_eq!(
        listing(&out),
        ["three_tier.hot.json", "three_tier.template.json"]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("three_tier.template.json")).unwrap(),
        "old"
    );
}

#[test]
fn a_link_planted_at_an_output_is_replaced_not_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = temp_file(&dir, "victim", b"untouched");
    std::os::unix::fs::symlink(&victim, out.join("static_site.template.json")).unwrap();
    let output = infra(&[
        "build",
        "examples/static_site.infra",
        "-o",
        &out.display().to_string(),
        "-t",
        "cloudformation",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let written = out.join("static_site.template.json");
    assert!(!written.is_symlink());
    assert!(
        std::fs::read_to_string(written)
            .unwrap()
            .contains("AWSTemplateFormatVersion")
    );
    assert_eq!(
        listing(&out),
        ["static_site.template.json", "static_site.template.map.json"]
    );
}

#[test]
fn fmt_writes_through_a_link_and_keeps_the_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let real = temp_file(&dir, "real.infra", b"let   a=1\n");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.infra");
    std::os::unix::fs::symlink("real.infra", &link).unwrap();
    let output = infra(&["fmt", &link.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(link.is_symlink(), "the link stays a link");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "let a = 1\n");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(listing(dir.path()), ["link.infra", "real.infra"]);
}

#[test]
fn file_reads_at_compile_time_on_every_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    temp_file(
        &dir,
        "scripts/boot.sh",
        b"#!/bin/sh\necho booted-from-file ${HOME}\n",
    );
    let program = SERVER.replace("USER_DATA", "file(\"scripts/boot.sh\")")
        + "\noutput script_length: int = length(split(\"\\n\", file(\"scripts/boot.sh\")))\n";
    temp_file(&dir, "main.infra", program.as_bytes());
    let output = infra(
        &[
            "build",
            "main.infra",
            "-o",
            "out",
            "-t",
            "cloudformation",
            "-t",
            "heat",
            "-t",
            "terraform",
            "--provider",
            "aws",
            "--provider",
            "openstack",
        ]
        .map(|a| {
            if a == "main.infra" || a == "out" {
                dir.path().join(a).display().to_string().leak() as &str
            } else {
                a
            }
        }),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (file, script) in [
        // Base64 of the script, folded at compile time.
        (
            "main.template.json",
            "IyEvYmluL3NoCmVjaG8gYm9vdGVkLWZyb20tZmlsZSAke0hPTUV9Cg==",
        ),
        ("main.hot.json", "echo booted-from-file ${HOME}"),
        ("aws/main.tf.json", "echo booted-from-file $${HOME}"),
        ("openstack/main.tf.json", "echo booted-from-file $${HOME}"),
    ] {
        let text = std::fs::read_to_string(dir.path().join("out").join(file)).expect("written");
        assert!(text.contains(script), "{file}: {text}");
        // Folded at compile time: three lines, the last one empty.
        assert!(text.contains("\"3\"") || text.contains(": 3\n"), "{file}");
    }
}

// ------------------------------------------------------------ output hygiene

#[test]
fn a_failure_of_the_command_is_reported_in_the_message_format() {
    let json = infra(&["check", "missing.infra", "--message-format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let line: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON line");
    assert_eq!(line["severity"], "error");
    assert_eq!(line["code"], serde_json::Value::Null);
    assert!(line["message"].as_str().unwrap().contains("missing.infra"));
    let sarif = infra(&["check", "missing.infra", "--message-format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("one SARIF log");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let text = &invocation["toolExecutionNotifications"][0]["message"]["text"];
    assert!(text.as_str().unwrap().contains("missing.infra"), "{log}");
    // A command line clap refuses, too.
    let usage = infra(&[
        "check",
        "--message-format=json",
        "--no-such-flag",
        "x.infra",
    ]);
    assert_eq!(usage.status.code(), Some(2));
    let line: serde_json::Value = serde_json::from_slice(&usage.stdout).expect("one JSON line");
    assert!(line["message"].as_str().unwrap().contains("--no-such-flag"));
    // A template on stdout keeps machine output off it.
    let built = infra(&[
        "build",
        "examples/static_site.infra",
        "-t",
        "heat",
        "--message-format",
        "json",
    ]);
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    serde_json::from_slice::<serde_json::Value>(&built.stdout).expect("only the template");
}

#[test]
fn control_characters_of_sources_and_names_are_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "evil\u{1b}]0;pwned\u{7}.infra";
    let path = temp_file(
        &dir,
        name,
        "let a = \"\u{1b}[2J\u{1b}[31mred\" )\n".as_bytes(),
    );
    let output = infra(&["check", "--color", "never", &path]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("evil\\x1b]0;pwned\\x07.infra"), "{err}");
    assert!(err.contains("\\x1b[2J\\x1b[31mred"), "{err}");
    // An error of the command names the file escaped too.
    let missing = dir.path().join("gone\u{1b}[2J.infra");
    let output = infra(&["check", &missing.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains('\u{1b}'), "{:?}", stderr(&output));
}

#[test]
fn a_file_name_that_is_not_utf8_is_kept_whole_in_json_and_sarif() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let name = std::ffi::OsStr::from_bytes(b"bad\xff.infra");
    std::fs::write(dir.path().join(name), "let a = (\n").unwrap();
    let path = dir.path().join(name);
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .arg("check")
        .arg(&path)
        .args(["--message-format", "json"])
        .output()
        .expect("infra runs");
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let bytes: Vec<u8> = line["file_bytes"]
        .as_array()
        .expect("file_bytes")
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(bytes, path.as_os_str().as_bytes());
    assert!(
        line["file"].as_str().unwrap().ends_with("bad\\xff.infra"),
        "{line}"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .arg("check")
        .arg(&path)
        .args(["--message-format", "sarif"])
        .output()
        .expect("infra runs");
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert!(uri.as_str().unwrap().ends_with("bad%FF.infra"), "{uri}");
}

#[test]
fn the_report_goes_to_the_output_file_failures_included() {
    let dir = tempfile::tempdir().expect("temp dir");
    temp_file(&dir, "bad.infra", b"let a = (\n");
    let report = dir.path().join("report.sarif");
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .current_dir(dir.path())
        .args([
            "check",
            "bad.infra",
            "--message-format",
            "sarif",
            "--output",
        ])
        .arg(&report)
        .output()
        .expect("infra runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("the report")).expect("JSON");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "E0001", "{log}");
    // A failure of the command itself lands there too.
    let failed = dir.path().join("failed.json");
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .current_dir(dir.path())
        .args([
            "check",
            "missing.infra",
            "--message-format",
            "json",
            "--output",
        ])
        .arg(&failed)
        .output()
        .expect("infra runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    let line: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&failed).expect("the report")).expect("JSON");
    assert!(
        line["message"].as_str().unwrap().contains("missing.infra"),
        "{line}"
    );
}

#[test]
fn a_report_file_that_cannot_be_written_falls_back_to_the_usual_stream() {
    let dir = tempfile::tempdir().expect("temp dir");
    temp_file(&dir, "bad.infra", b"let a = (\n");
    let output = Command::new(env!("CARGO_BIN_EXE_infra"))
        .current_dir(dir.path())
        .args(["check", "bad.infra", "--message-format", "json"])
        .args(["--output", "no/such/dir/report.json"])
        .output()
        .expect("infra runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot write `no/such/dir/report.json`"),
        "{}",
        stderr(&output)
    );
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the report");
    assert_eq!(line["code"], "E0001");
}

#[test]
fn a_suppression_of_another_targets_warning_is_not_stale() {
    let dir = tempfile::tempdir().unwrap();
    // W0512 is CloudFormation's own: its list param's allowed values are lists.
    let program = "\
param zones: [string] = [\"eu-west-1a\", \"eu-west-1b\"] {
  allowed = [[\"eu-west-1a\", \"eu-west-1b\"], [\"eu-west-1c\"]]
}

resource net: network.Network {
  cidr = \"10.0.0.0/16\"
}

// infra: allow W0512
resource app: network.Subnet {
  network = net
  cidr = \"10.0.1.0/24\"
  zone = zones[0]
}
";
    let main = temp_file(&dir, "main.infra", program.as_bytes());
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let build = |targets: &[&str]| {
        let mut args = vec!["build", main.as_str(), "-o", out];
        args.extend_from_slice(targets);
        infra(&args)
    };
    // CloudFormation reports W0512 at the subnet, and the comment allows it.
    let cloudformation = build(&["-t", "cloudformation"]);
    assert_eq!(
        cloudformation.status.code(),
        Some(0),
        "{}",
        stderr(&cloudformation)
    );
    assert!(
        !stderr(&cloudformation).contains("W0512"),
        "{}",
        stderr(&cloudformation)
    );
    assert!(
        !stderr(&cloudformation).contains("W0010"),
        "{}",
        stderr(&cloudformation)
    );
    // Heat never reports it: the comment is not stale for being unused there.
    let heat = build(&["-t", "heat"]);
    assert_eq!(heat.status.code(), Some(0), "{}", stderr(&heat));
    assert!(!stderr(&heat).contains("W0010"), "{}", stderr(&heat));
    // A suppression of a code no target reports at the line is.
    std::fs::write(&main, program.replace("W0512", "W0202")).unwrap();
    let stale = build(&["-t", "heat"]);
    assert!(stderr(&stale).contains("W0010"), "{}", stderr(&stale));
}
