//! `cargo bench --bench build`: the time `infra check` and `infra build`
//! take on a generated 5,000-resource program, beside the time serde_json
//! takes to read and rewrite the template it emits.
//!
//! - `infra check` is timed as users run it: the release binary, as a
//!   process, from start to exit.
//! - `infra build` is timed in this process, through the library calls the
//!   command makes (`infra::check`, reading the file; lowering; emitting;
//!   printing the template), because CloudFormation refuses more than 500
//!   resources: the command reports that and writes nothing, while the
//!   whole template is still built here. Like the command, it drops each
//!   deployment once emitted; the compilation, which the command leaves to
//!   the process's exit, is freed after the timing, as serde_json's tree is.
//!   serde_json is timed in the same process, reading the template file and
//!   writing it back.
//! - Every figure is the median of several runs. The steps are printed too,
//!   and the phases of `infra::check` timed one by one in separate runs, to
//!   show where the time goes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use infra::ir::Target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESOURCES: usize = 5_000;
const RUNS: usize = 21;

/// A program of `RESOURCES` native resources: half subnets, half security
/// groups reading them, with params, interpolation and a condition.
fn program() -> String {
    let mut text = String::from(
        "/// A generated program.\nparam env: \"staging\" | \"production\" = \"staging\"\n\n\
         resource net: AWS::EC2::VPC {\n  CidrBlock = \"10.0.0.0/8\"\n}\n\n",
    );
    for i in 0..(RESOURCES - 1) / 2 {
        text.push_str(&format!(
            "resource subnet_{i}: AWS::EC2::Subnet {{\n  VpcId = net.id\n  CidrBlock = \"10.{}.{}.0/24\"\n  \
             Tags = [{{ Key = \"Name\", Value = \"${{env}}-subnet-{i}\" }}]\n}}\n\n\
             resource group_{i}: AWS::EC2::SecurityGroup {{\n  GroupDescription = \"group of ${{subnet_{i}.id}}\"\n  VpcId = net.id\n  \
             SecurityGroupIngress = [{{ IpProtocol = \"tcp\", FromPort = 443, ToPort = 443, CidrIp = \"10.0.0.0/8\" }}]\n}}\n\n",
            i / 250,
            i % 250
        ));
    }
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The steps of `infra build` to CloudFormation, timed one by one: `emit`
/// builds and prints the template's text; `drop` frees the deployment.
const STEPS: [&str; 4] = ["check", "lower", "emit", "drop"];

/// Builds `path` to CloudFormation as `infra build` does and prints the
/// template, timing each step; returns the template's text and the
/// compilation, to be freed.
fn build_once(path: &Path, laps: &mut [Vec<Duration>]) -> (String, Box<dyn std::any::Any>) {
    let mut lap = Instant::now();
    let mut mark = |step: usize| {
        laps[step].push(lap.elapsed());
        lap = Instant::now();
    };
    let checked = infra::check(&[path.to_path_buf()], &Default::default()).expect("readable");
    assert!(
        checked.diagnostics.is_empty(),
        "the generated program must be valid"
    );
    mark(0);
    let program = &checked.programs[0].1;
    let (deployment, _) = infra::lower::lower(program, Target::CloudFormation);
    mark(1);
    // CloudFormation refuses more than 500 resources (a diagnostic); the
    // template is still emitted in full, which is what is measured.
    let (template, _) = infra::backend::emit(&deployment);
    mark(2);
    // As `infra build` does, the deployment is dropped once emitted; the
    // compilation is freed by the caller, outside the timing, as the command
    // leaves it to the process's exit and serde_json's run below is timed
    // without freeing its tree.
    drop(deployment);
    mark(3);
    (template, Box::new(checked))
}

/// The phases of `check`, run one after the other to see where its time
/// goes (`infra::check` overlaps some of them on large files).
const CHECK_PHASES: [&str; 5] = ["parse", "names", "params", "types", "graph"];

fn check_phases_once(
    path: &Path,
    text: &str,
    laps: &mut [Vec<Duration>],
) -> Box<dyn std::any::Any> {
    let mut lap = Instant::now();
    let mut mark = |phase: usize| {
        laps[phase].push(lap.elapsed());
        lap = Instant::now();
    };
    let mut db = infra::source::SourceDb::new();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let project = infra::project::Project::at(dir.unwrap_or(Path::new(".")))
        .expect("the program's directory");
    let file = db.add(path.display().to_string(), Some(path), text.to_string());
    let (ast, _) = infra::syntax::parse(file, text);
    let ast = std::sync::Arc::new(ast);
    mark(0);
    let (names, name_diagnostics) = infra::sema::resolve::resolve(&ast);
    let names = std::sync::Arc::new(names);
    mark(1);
    let (params, _) = infra::sema::params::check(&ast, &names, &Default::default());
    mark(2);
    let (program, types) = infra::sema::check::check(
        &mut db,
        file,
        ast.clone(),
        names.clone(),
        Some((path, &project)),
        &params,
        false,
    );
    mark(3);
    let (mut graph, _) = infra::graph::build(&ast, &names);
    graph.set_states(&program.analysis.states);
    mark(4);
    Box::new((db, ast, name_diagnostics, types, program, graph))
}

fn medians(names: &[&str], laps: Vec<Vec<Duration>>) -> String {
    names
        .iter()
        .zip(laps)
        .map(|(name, times)| format!("{name} {:.1}", ms(median(times))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `INFRA_BENCH_BUILD_ONLY=1` times `infra build` alone (for profilers);
/// `INFRA_BENCH_RUNS` sets the number of runs.
fn main() {
    let runs = std::env::var("INFRA_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(RUNS);
    let build_only = std::env::var_os("INFRA_BENCH_BUILD_ONLY").is_some();
    let check_runs = if build_only { 0 } else { runs };
    let dir = std::env::temp_dir().join(format!("infra-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path: PathBuf = dir.join("generated.infra");
    let text = program();
    std::fs::write(&path, &text).expect("write program");

    let mut check_times = Vec::new();
    for _ in 0..check_runs {
        let start = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_infra"))
            .arg("check")
            .arg(&path)
            .output()
            .expect("run infra");
        check_times.push(start.elapsed());
        // The only findings: CloudFormation's resource and size quotas.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr
                .lines()
                .filter(|l| l.starts_with("error") || l.starts_with("warning"))
                .all(|l| l.starts_with("error[E0516]") || l.starts_with("warning[W0510]")),
            "unexpected diagnostics:\n{stderr}"
        );
    }
    if !build_only {
        println!(
            "infra check, {RESOURCES} resources ({} bytes of source): {:.1} ms (the process, start to exit)",
            text.len(),
            ms(median(check_times))
        );
    }

    // One untimed build writes the template serde_json reads; then each run
    // times a build and serde_json's read and rewrite one after the other,
    // so that both meet the machine in the same state.
    let template_path = dir.join("generated.template.json");
    let (template, compilation) = build_once(&path, &mut vec![Vec::new(); STEPS.len()]);
    drop(compilation);
    std::fs::write(&template_path, &template).expect("write template");
    let mut laps = vec![Vec::new(); STEPS.len()];
    let mut build_times = Vec::new();
    let mut serde_times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let (built, compilation) = build_once(&path, &mut laps);
        build_times.push(start.elapsed());
        drop(compilation);
        assert_eq!(built, template, "two builds of one program differ");

        let start = Instant::now();
        let read = std::fs::read_to_string(&template_path).expect("read template");
        let value: serde_json::Value = serde_json::from_str(&read).expect("valid JSON");
        let rewritten = serde_json::to_string_pretty(&value).expect("serializable");
        std::hint::black_box(rewritten);
        serde_times.push(start.elapsed());
    }
    let mut check_laps = vec![Vec::new(); CHECK_PHASES.len()];
    for _ in 0..runs {
        drop(check_phases_once(&path, &text, &mut check_laps));
    }
    let build = median(build_times);
    let serde = median(serde_times);
    println!(
        "infra build, {RESOURCES} resources to CloudFormation ({} bytes): {:.1} ms ({} ms; check's phases one by one: {} ms)",
        template.len(),
        ms(build),
        medians(&STEPS, laps),
        medians(&CHECK_PHASES, check_laps),
    );
    println!(
        "serde_json read and rewrite of that template: {:.1} ms",
        ms(serde)
    );
    println!(
        "ratio: {:.2} (target: at most 2)",
        build.as_secs_f64() / serde.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
