//! Snapshot tests of the AST of valid programs: each `tests/parse/*.infra`
//! must parse without diagnostics, and its tree is reviewed as a snapshot.

use infra::source::FileId;

#[test]
fn valid_programs_parse_to_reviewed_trees() {
    let mut paths: Vec<_> = std::fs::read_dir("tests/parse")
        .expect("tests/parse exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "infra"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable");
        let (ast, diagnostics) = infra::syntax::parse(FileId(0), &text);
        assert!(
            diagnostics.is_empty(),
            "{}: {:?}",
            path.display(),
            diagnostics
        );
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        insta::with_settings!({ snapshot_path => "parse_snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, format!("{:#?}", ast.items));
        });
    }
}
