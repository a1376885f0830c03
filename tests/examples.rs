//! Every example, built for its targets (a portable example for all four:
//! every portable type has a form on each, so one that does not build is a
//! failure), kept as a reviewed snapshot of the emitted template; and every
//! build is byte-identical to the one before it.

use std::path::PathBuf;

use infra::ir::Target;

/// The programs of `examples/`, with the targets each is built for.
fn examples() -> Vec<(PathBuf, Vec<Target>)> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir("examples")
        .expect("examples exist")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().is_some_and(|e| e == "infra") {
            out.push((path, Target::ALL.to_vec()));
        } else if path.join("main.infra").is_file() {
            out.push((path.join("main.infra"), Target::ALL.to_vec()));
        }
    }
    for (dir, target) in [
        ("examples/native/cloudformation", Target::CloudFormation),
        ("examples/native/heat", Target::Heat),
        ("examples/native/terraform-aws", Target::TerraformAws),
    ] {
        let mut natives: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("native examples exist")
            .map(|e| e.expect("entry").path())
            .collect();
        natives.sort();
        out.extend(natives.into_iter().map(|p| (p, vec![target])));
    }
    out
}

#[test]
fn examples_build_to_reviewed_templates() {
    let options = infra::Options::default();
    for (path, targets) in examples() {
        for target in targets {
            let (checked, templates) =
                infra::build(std::slice::from_ref(&path), &options, &[target]).expect("readable");
            let rendered =
                infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
            assert!(
                !infra::diagnostics::has_errors(&checked.diagnostics),
                "{} for {}:\n{rendered}",
                path.display(),
                target.name()
            );
            assert_eq!(
                templates.len(),
                1,
                "{} for {}",
                path.display(),
                target.name()
            );
            let text = &templates[0].text;
            let again = infra::build(std::slice::from_ref(&path), &options, &[target])
                .expect("readable")
                .1;
            assert_eq!(
                &again[0].text,
                text,
                "{} for {} differs between two builds",
                path.display(),
                target.name()
            );
            let name = format!(
                "{}__{}",
                path.with_extension("")
                    .strip_prefix("examples")
                    .unwrap_or(&path)
                    .display()
                    .to_string()
                    .replace('/', "__"),
                target.name()
            );
            // The file's text is the snapshot and a final newline.
            let json = text.strip_suffix('\n').expect("a final newline");
            insta::with_settings!({ snapshot_path => "example_snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(name, json);
            });
        }
    }
}
