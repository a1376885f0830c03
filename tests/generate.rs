//! The random program generator of the oracle (tests/support/oracle/
//! generate.rs) makes programs that check without errors, are formatted as
//! `infra fmt` prints them, and build for (nearly) every target.

#[path = "support/oracle/generate.rs"]
mod generate;

use infra::diagnostics::{Severity, render};
use infra::ir::Target;

const SEEDS: u64 = 300;

/// The seeds tried: 0..300, or 0..GEN_SEEDS.
fn seeds() -> u64 {
    std::env::var("GEN_SEEDS").map_or(SEEDS, |s| s.parse().expect("a number"))
}

fn write(dir: &std::path::Path, seed: u64) -> (std::path::PathBuf, String) {
    let text = generate::program(seed);
    let path = dir.join(format!("seed_{seed}.infra"));
    std::fs::write(&path, &text).expect("writable temp dir");
    (path, text)
}

#[test]
fn generated_programs_check_and_build() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = infra::Options::default();
    let mut built = [0usize; 4];
    let mut warned = 0;
    let mut failures = Vec::new();
    for seed in 0..seeds() {
        let (path, text) = write(dir.path(), seed);
        let checked = infra::check(std::slice::from_ref(&path), &options).expect("readable");
        let errors = checked
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);
        assert!(
            !errors,
            "seed {seed} does not check:\n{text}\n{}",
            render::human(&checked.db, &checked.diagnostics, false)
        );
        if !checked.diagnostics.is_empty() {
            warned += 1;
            eprintln!(
                "seed {seed} warns:\n{}",
                render::human(&checked.db, &checked.diagnostics, false)
            );
        }
        for (t, target) in Target::ALL.iter().enumerate() {
            let (checked, templates) =
                infra::build(std::slice::from_ref(&path), &options, &[*target]).expect("readable");
            if templates.is_empty() {
                failures.push(format!(
                    "seed {seed} does not build for {target:?}:\n{}",
                    render::human(&checked.db, &checked.diagnostics, false)
                ));
            } else {
                built[t] += 1;
            }
        }
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    eprintln!(
        "{} programs check; {warned} with warnings; built: {}",
        seeds(),
        Target::ALL
            .iter()
            .zip(built)
            .map(|(t, n)| format!("{t:?} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let total: usize = built.iter().sum();
    assert!(
        total * 10 >= seeds() as usize * Target::ALL.len() * 9,
        "only {total} of {} (program, target) pairs build",
        seeds() as usize * Target::ALL.len()
    );
}

#[test]
fn generated_programs_are_formatted() {
    let dir = tempfile::tempdir().expect("temp dir");
    for seed in 0..seeds() {
        let (path, text) = write(dir.path(), seed);
        let parsed = infra::parse_files(std::slice::from_ref(&path)).expect("readable");
        let formatted = infra::fmt::format(&parsed.files[0].ast, &text);
        if formatted != text {
            let line = text
                .lines()
                .zip(formatted.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "seed {seed} is not formatted (first difference at line {}):\n{text}\n--- infra fmt:\n{formatted}",
                line + 1
            );
        }
    }
}

/// `GEN_SEED=7 cargo test --test generate print -- --ignored --nocapture`
/// prints one program; with `GEN_DIR=DIR`, writes seeds 0..300 there.
#[test]
#[ignore]
fn print() {
    if let Ok(dir) = std::env::var("GEN_DIR") {
        for seed in 0..seeds() {
            let path = std::path::Path::new(&dir).join(format!("seed_{seed}.infra"));
            std::fs::write(path, generate::program(seed)).expect("writable");
        }
        return;
    }
    let seed = std::env::var("GEN_SEED").map_or(0, |s| s.parse().expect("a seed"));
    println!("{}", generate::program(seed));
}
