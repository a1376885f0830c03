//! Any bytes as a program: checked, lowered and emitted for every target.
//! Besides not panicking, the compiler must keep its promises on any input:
//! no internal error (E0000), every diagnostic inside the text it points
//! into, templates only from a build without errors, and each template a
//! JSON document.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use infra::ir::Target;
use libfuzzer_sys::fuzz_target;

/// The one file each run writes its input to: the compiler reads entry
/// files from disk, as `infra build` does.
fn entry() -> &'static PathBuf {
    static ENTRY: OnceLock<PathBuf> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("infra-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory for the input");
        dir.join("main.infra")
    })
}

fn build(path: PathBuf) {
    let Ok((checked, templates)) = infra::build(&[path], &infra::Options::default(), &Target::ALL)
    else {
        return;
    };
    let errors = infra::diagnostics::has_errors(&checked.diagnostics);
    assert!(
        !errors || templates.is_empty(),
        "templates from a failed build"
    );
    for diagnostic in &checked.diagnostics {
        assert_ne!(diagnostic.code.id, "E0000", "{}", diagnostic.message);
        let labels = std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary);
        for label in labels {
            let text = checked.db.text(label.span.file);
            assert!(
                text.get(label.span.range()).is_some(),
                "span {:?} outside its file of {} bytes",
                label.span.range(),
                text.len()
            );
        }
    }
    // Every report format renders whatever was found.
    infra::diagnostics::render::human(&checked.db, &checked.diagnostics, true);
    infra::diagnostics::json::lines(&checked.db, &checked.diagnostics);
    infra::diagnostics::sarif::report(&checked.db, &checked.diagnostics);
    for template in &templates {
        serde_json::from_str::<serde_json::Value>(&template.text).expect("a template is JSON");
        serde_json::from_str::<serde_json::Value>(&template.map).expect("a source map is JSON");
    }
}

fuzz_target!(|data: &[u8]| {
    let path = entry();
    std::fs::write(path, data).expect("the input written");
    let path = path.clone();
    // On the compiler's own stack, as the command runs it.
    std::thread::Builder::new()
        .stack_size(infra::STACK_SIZE)
        .spawn(move || build(path))
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
});
