//! UI tests: each `tests/ui/**/*.infra` is a failing program whose header
//! names the codes it must produce (`// expect: E0001 E0001`); its rendered
//! diagnostics are an insta snapshot, reviewed like code.

#[path = "support/ui_files.rs"]
mod ui_files;

use ui_files::{budget, other_entries, ui_files};

/// The targets named by a `// build:` header line: the program is then built
/// for them, so that target-specific diagnostics show.
fn build_targets(text: &str) -> Option<Vec<infra::ir::Target>> {
    use infra::ir::Target;
    let line = text
        .lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix("// build:"))?;
    let targets = line
        .split_whitespace()
        .filter(|t| *t != "all")
        .map(|t| {
            Target::from_name(t)
                .unwrap_or_else(|| panic!("unknown target `{t}` in a `// build:` header"))
        })
        .collect();
    Some(targets)
}

/// The codes named by `// expect:` header lines, in order.
fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("// expect:"))
        .flat_map(|l| l.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn ui() {
    let files = ui_files();
    assert!(!files.is_empty(), "no ui tests found");
    for path in files {
        let text = std::fs::read(&path).expect("readable test");
        let expected = expected_codes(&String::from_utf8_lossy(&text));
        assert!(
            !expected.is_empty(),
            "{} has no `// expect:` header",
            path.display()
        );
        let targets = build_targets(&String::from_utf8_lossy(&text));
        let options = infra::Options {
            limits: budget(&String::from_utf8_lossy(&text)),
            ..Default::default()
        };
        let mut entries = vec![path.clone()];
        entries.extend(other_entries(&path, &String::from_utf8_lossy(&text)));
        // Programs go through what `infra build` does: checked, then lowered
        // for every target they can compile to (a `// build:` header names
        // the targets instead; `all`: the same as no header), and the
        // templates' names compared.
        let (mut checked, templates) =
            infra::build(&entries, &options, &targets.unwrap_or_default()).expect("readable test");
        let collisions = infra::output_collisions(&checked.db, &templates);
        checked.diagnostics.extend(collisions);
        // As `infra` reports them: suppression comments applied.
        let found = std::mem::take(&mut checked.diagnostics);
        let levels = infra::levels::Levels::default();
        checked.diagnostics = infra::levels::apply(&checked.db, found, &levels);
        let mut found: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.id.to_string())
            .collect();
        let mut want = expected.clone();
        found.sort();
        want.sort();
        assert_eq!(found, want, "codes reported for {}", path.display());
        let rendered = infra::diagnostics::render::human(&checked.db, &checked.diagnostics, false);
        let name = path
            .strip_prefix("tests/ui")
            .unwrap_or(&path)
            .with_extension("")
            .display()
            .to_string()
            .replace('/', "__");
        insta::with_settings!({ snapshot_path => "ui_snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, rendered);
        });
    }
}

#[test]
fn every_code_has_an_explanation_and_a_ui_test() {
    let mut covered = std::collections::BTreeSet::new();
    for path in ui_files() {
        let text = std::fs::read(&path).expect("readable test");
        covered.extend(expected_codes(&String::from_utf8_lossy(&text)));
    }
    for code in infra::diagnostics::codes::ALL {
        assert!(
            code.explanation.starts_with(&format!("# {}", code.id))
                && code.explanation.contains("## Example")
                && code.explanation.contains("## Fix"),
            "{} needs an explanation with an example and a fix",
            code.id
        );
        // E0000 is the compiler's own bug: no program should produce it.
        if code.id != "E0000" {
            assert!(covered.contains(code.id), "{} has no ui test", code.id);
        }
    }
}
