//! `infra::build_each`, which `infra check` and `infra build` run: each
//! program compiled on its own (on every core) must report and build
//! exactly what `infra::build`, one compilation of all the files, does.

use std::path::PathBuf;

use infra::diagnostics::json;
use infra::workspace;
use infra::{Mode, Options, build, build_each};

#[path = "support/programs.rs"]
mod programs;

fn inputs(dir: &str) -> Vec<PathBuf> {
    workspace::expand(&[PathBuf::from(dir)]).expect("readable")
}

/// Directories with errors in the checks, in lowering and emitting, and
/// with none (examples, which build).
const DIRS: [&str; 4] = [
    "examples",
    "tests/ui/lowering",
    "tests/ui/heat",
    "tests/ui/types",
];

#[test]
fn each_program_alone_reports_and_builds_as_one_compilation() {
    let targets = [
        infra::ir::Target::CloudFormation,
        infra::ir::Target::Heat,
        infra::ir::Target::TerraformAws,
        infra::ir::Target::TerraformOpenstack,
    ];
    for dir in DIRS {
        let paths = inputs(dir);
        assert!(paths.len() > 1, "{dir} has several programs");
        // Every target each program has, and (for what builds) the four
        // asked for by name.
        let asked_by_name: &[_] = if dir == "examples" { &targets } else { &[] };
        for asked in [&[][..], asked_by_name] {
            let (checked, templates) = build(&paths, &Options::default(), asked).expect("read");
            let expected = json::lines(&checked.db, &checked.diagnostics);
            // Each mode reports what `build` reports.
            let built_as = |mode| {
                let built =
                    build_each(&paths, &Options::default(), asked, mode, None).expect("read");
                assert_eq!(
                    json::lines(&built.db, &built.diagnostics),
                    expected,
                    "{dir} {mode:?}"
                );
                built
            };
            let built = built_as(Mode::Build);
            assert_eq!(
                infra::output_names(&built.db, &built.templates),
                infra::output_names(&checked.db, &templates),
                "{dir}"
            );
            for (a, b) in built.templates.iter().zip(&templates) {
                assert_eq!(a.text, b.text, "{dir}");
                assert_eq!(a.map, b.map, "{dir}");
                assert_eq!(a.origins, b.origins, "{dir}");
                assert_eq!(a.resources, b.resources, "{dir}");
            }
            // Printed to standard output: the same templates, without
            // the source maps and origins nothing prints.
            let printed = built_as(Mode::Print);
            assert_eq!(printed.templates.len(), templates.len(), "{dir}");
            for (a, b) in printed.templates.iter().zip(&templates) {
                assert_eq!((&a.text, a.resources), (&b.text, b.resources), "{dir}");
                assert!(a.map.is_empty() && a.origins.is_empty(), "{dir}");
                assert!(!b.map.is_empty(), "{dir}");
            }
            let only = built_as(Mode::Check);
            assert!(only.templates.is_empty(), "a check keeps no template");
        }
    }
}

#[test]
fn an_unreadable_file_is_an_error_of_the_command() {
    let mut paths = inputs("examples");
    paths.insert(1, PathBuf::from("examples/no-such-file.infra"));
    let error = build_each(&paths, &Options::default(), &[], Mode::Check, None)
        .err()
        .expect("an unreadable file fails");
    assert_eq!(error.path, PathBuf::from("examples/no-such-file.infra"));
}

/// Staged as they are made and placed once the build succeeded, the files
/// are byte for byte the templates and maps held in memory; a split's
/// children too (600 servers in 12 declarations: more than CloudFormation's 500 resources).
#[test]
fn staged_templates_are_placed_as_they_are_held() {
    let dir = tempfile::tempdir().expect("temp dir");
    let large = programs::servers('a'..='l', 50);
    let large_path = dir.path().join("large.infra");
    std::fs::write(&large_path, large).expect("writable");
    // The portable examples of one file, which build for every target,
    // each to a name of its own.
    let mut paths: Vec<PathBuf> = (inputs("examples").into_iter())
        .filter(|p| p.parent() == Some(std::path::Path::new("examples")))
        .collect();
    paths.push(large_path);
    let targets = [
        infra::ir::Target::CloudFormation,
        infra::ir::Target::Heat,
        infra::ir::Target::TerraformAws,
    ];
    let held = build_each(&paths, &Options::default(), &targets, Mode::Build, None).expect("read");
    let out = dir.path().join("out");
    let staging = workspace::Staging::new(&out);
    let staged = build_each(
        &paths,
        &Options::default(),
        &targets,
        Mode::Build,
        Some(&staging),
    )
    .expect("read");
    assert!(
        !infra::diagnostics::has_errors(&staged.diagnostics),
        "{:?}",
        json::lines(&staged.db, &staged.diagnostics)
    );
    let names = infra::output_names(&staged.db, &staged.templates);
    assert_eq!(names, infra::output_names(&held.db, &held.templates));
    assert!(
        staged.templates.iter().any(|t| t.stack.is_some()),
        "the large program is split"
    );
    let mut files = Vec::new();
    for (name, t) in names.iter().zip(&staged.templates) {
        assert!(t.staged.text.is_some() && t.staged.map.is_some(), "{name}");
        assert!(t.text.is_empty() && t.map.is_empty(), "{name}: not held");
        let [template, map] = t.outputs();
        let path = PathBuf::from(name);
        files.push((infra::sourcemap::map_path(&path), map));
        files.push((path, template));
    }
    // The large program's Terraform configuration and map are staged as
    // they are printed, in pieces (`workspace::Spill`).
    let large_tf = (names.iter().zip(&held.templates))
        .find(|(n, _)| n.starts_with("large") && n.ends_with(".tf.json"))
        .map(|(_, t)| t)
        .expect("the large program for Terraform");
    assert!(large_tf.text.len() > 2 * workspace::SPILL_AT);
    assert!(large_tf.map.len() > 2 * workspace::SPILL_AT);
    staging.place(&files).expect("placed");
    drop(staging);
    for ((name, t), held) in names.iter().zip(&staged.templates).zip(&held.templates) {
        assert_eq!(t.resources, held.resources, "{name}");
        let text = std::fs::read_to_string(out.join(name)).expect("written");
        assert_eq!(text, held.text, "{name}");
        let map_path = infra::sourcemap::map_path(std::path::Path::new(name));
        let map = std::fs::read_to_string(out.join(map_path)).expect("written");
        assert_eq!(map, held.map, "{name}");
    }
    let left = std::fs::read_dir(&out)
        .expect("written")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".infra-build-"))
        .count();
    assert_eq!(left, 0, "the staging directory is removed");
}
