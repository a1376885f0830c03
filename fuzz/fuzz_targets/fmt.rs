//! Any text the parser accepts: formatting keeps it a program that parses,
//! means the same (the formatted text formats to itself), and loses no
//! comment.

#![no_main]

use infra::source::SourceDb;
use libfuzzer_sys::fuzz_target;

fn format(text: &str) -> Option<String> {
    let mut db = SourceDb::new();
    let file = db.add("main.infra", None, text.to_string());
    let (ast, diagnostics) = infra::syntax::parse(file, text);
    if infra::diagnostics::has_errors(&diagnostics) {
        return None;
    }
    Some(infra::fmt::format(&ast, text))
}

fn comments(text: &str) -> usize {
    let mut db = SourceDb::new();
    let file = db.add("main.infra", None, text.to_string());
    infra::syntax::parse(file, text).0.comments.len()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_string();
    std::thread::Builder::new()
        .stack_size(infra::STACK_SIZE)
        .spawn(move || {
            let Some(once) = format(&text) else { return };
            let twice = format(&once).expect("formatted text parses");
            assert_eq!(once, twice, "formatting is not idempotent");
            assert_eq!(comments(&text), comments(&once), "a comment was lost");
        })
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
});
