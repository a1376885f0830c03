//! `infra::build_each`, which `infra check` and `infra build` run: each
//! program compiled on its own (on every core) must report and build
//! exactly what `infra::build`, one compilation of all the files, does.

use std::path::PathBuf;

use infra::diagnostics::json;
use infra::workspace;
use infra::{Mode, Options, build, build_each};

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
            let built =
                build_each(&paths, &Options::default(), asked, Mode::Build, None).expect("read");
            assert_eq!(
                json::lines(&built.db, &built.diagnostics),
                expected,
                "{dir}"
            );
            assert_eq!(
                infra::output_names(&built.db, &built.templates),
                infra::output_names(&checked.db, &templates),
                "{dir}"
            );
            for (a, b) in built.templates.iter().zip(&templates) {
                assert_eq!(a.text, b.text, "{dir}");
                assert_eq!(a.map, b.map, "{dir}");
                assert_eq!(a.origins, b.origins, "{dir}");
            }
            let only =
                build_each(&paths, &Options::default(), asked, Mode::Check, None).expect("read");
            assert_eq!(json::lines(&only.db, &only.diagnostics), expected, "{dir}");
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
