//! Every embedded stdlib file parses without a diagnostic, and every native
//! schema lives where its type name says.

use infra::source::FileId;
use infra::syntax::ast::ItemKind;

#[test]
fn every_stdlib_file_parses_cleanly() {
    assert!(!infra::stdlib::files().is_empty());
    for (path, text) in infra::stdlib::files() {
        let (ast, diagnostics) = infra::syntax::parse(FileId(0), text);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
        assert!(!ast.items.is_empty(), "{path} declares nothing");
    }
}

#[test]
fn native_schemas_are_filed_under_their_type_name() {
    for (path, text) in infra::stdlib::files() {
        let (ast, _) = infra::syntax::parse(FileId(0), text);
        for item in &ast.items {
            if let ItemKind::Native(native) = &item.kind {
                let name = native.type_name.as_plain().expect("plain type name");
                assert_eq!(
                    infra::stdlib::native_path(&name).as_deref(),
                    Some(*path),
                    "{name}"
                );
                assert_eq!(
                    infra::target::vocabulary_of(&name),
                    Some(native.target.name.as_str()),
                    "{name} declared on the wrong target"
                );
            }
        }
    }
}

#[test]
fn every_stdlib_file_resolves_cleanly() {
    for (path, text) in infra::stdlib::files() {
        let (ast, _) = infra::syntax::parse(FileId(0), text);
        let (_, diagnostics) = infra::sema::resolve::resolve(&ast);
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}");
    }
}

#[test]
fn every_stdlib_file_type_checks_cleanly() {
    for (path, text) in infra::stdlib::files() {
        let mut db = infra::source::SourceDb::new();
        let file = db.add(infra::stdlib::display_name(path), None, text.to_string());
        let (ast, _) = infra::syntax::parse(file, text);
        let (names, _) = infra::sema::resolve::resolve(&ast);
        let (_, diagnostics) = infra::sema::check::check(
            &mut db,
            file,
            std::rc::Rc::new(ast),
            std::sync::Arc::new(names),
            None,
            &Default::default(),
            false,
        );
        let rendered = infra::diagnostics::render::human(&db, &diagnostics, false);
        assert!(diagnostics.is_empty(), "{path}:\n{rendered}");
    }
}
