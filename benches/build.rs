//! `cargo bench --bench build`: the time `infra build` takes on a generated
//! 5,000-resource program, beside the time serde_json takes to read and
//! rewrite the template it emits. Medians of several runs, measured in one
//! process so that both see the same machine.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use infra::ir::Target;

const RESOURCES: usize = 5_000;
const RUNS: usize = 5;

/// A program of `RESOURCES` native resources: half subnets, half security
/// groups reading them, with params, interpolation and a condition.
fn program() -> String {
    let mut text = String::from(
        "/// A generated program.\nparam env: \"staging\" | \"production\" = \"staging\"\n\n\
         resource net: AWS::EC2::VPC {\n  CidrBlock = \"10.0.0.0/16\"\n}\n\n",
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

fn main() {
    let dir = std::env::temp_dir().join(format!("infra-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path: PathBuf = dir.join("generated.infra");
    std::fs::write(&path, program()).expect("write program");

    let checked =
        infra::check(std::slice::from_ref(&path), &infra::Options::default()).expect("readable");
    assert!(
        !infra::diagnostics::has_errors(&checked.diagnostics),
        "the generated program must be valid"
    );

    let mut build_times = Vec::new();
    let mut template = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let checked = infra::check(std::slice::from_ref(&path), &infra::Options::default())
            .expect("readable");
        let (_, program) = &checked.programs[0];
        let (deployment, _) = infra::lower::lower(program, Target::CloudFormation);
        // CloudFormation refuses more than 500 resources (a diagnostic); the
        // template is still emitted in full, which is what is measured.
        let (json, _) = infra::backend::emit(&deployment);
        template = serde_json::to_string_pretty(&json).expect("serializable");
        build_times.push(start.elapsed());
    }

    // `infra check`: parse, names, types, stages and graph, then lowering
    // and the backends for every target the program compiles to.
    let mut analysis_times = Vec::new();
    let mut check_times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let checked = infra::check(std::slice::from_ref(&path), &infra::Options::default())
            .expect("readable");
        analysis_times.push(start.elapsed());
        std::hint::black_box(checked);
        let start = Instant::now();
        let built = infra::build(std::slice::from_ref(&path), &infra::Options::default(), &[])
            .expect("readable");
        check_times.push(start.elapsed());
        std::hint::black_box(built);
    }
    println!(
        "infra check, {RESOURCES} resources: {:.1} ms to analyse (parse, names, types, graph), {:.1} ms with every target lowered and emitted",
        median(analysis_times).as_secs_f64() * 1000.0,
        median(check_times).as_secs_f64() * 1000.0
    );

    let mut serde_times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let value: serde_json::Value = serde_json::from_str(&template).expect("valid JSON");
        let rewritten = serde_json::to_string_pretty(&value).expect("serializable");
        std::hint::black_box(rewritten);
        serde_times.push(start.elapsed());
    }
    let build = median(build_times);
    let serde = median(serde_times);
    println!(
        "infra build, {RESOURCES} resources to CloudFormation ({} bytes): {:.1} ms",
        template.len(),
        build.as_secs_f64() * 1000.0
    );
    println!(
        "serde_json read and rewrite of that template: {:.1} ms",
        serde.as_secs_f64() * 1000.0
    );
    println!(
        "ratio: {:.2} (target: at most 2)",
        build.as_secs_f64() / serde.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
