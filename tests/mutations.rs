//! Broken programs never crash the compiler: every example and ui test,
//! damaged by seeded random edits, goes through the whole pipeline (parse,
//! checks, lowering and every backend) and comes out with diagnostics, each
//! with a code and a span in a known file.

use std::path::Path;

#[path = "support/ui_files.rs"]
mod ui_files;
#[path = "support/xorshift.rs"]
mod xorshift;
use ui_files::{infra_files, ui_files};
use xorshift::XorShift;

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "\"",
    "(",
    ")",
    "[",
    "]",
    "?",
    ":",
    "..",
    "${",
    "null",
    "0",
    "x.y",
    ",",
    "=",
    "resource ",
    "for i in ",
    " if ",
    "\n",
    "///",
    "-",
    "!",
];

/// Deletes, inserts or copies text at random places, on char boundaries.
fn damage(text: &str, random: &mut XorShift) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + random.below(4) {
        let at = random.below(chars.len());
        match random.below(3) {
            0 => {
                let end = (at + 1 + random.below(20)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let fragment = FRAGMENTS[random.below(FRAGMENTS.len())];
                chars.splice(at..at, fragment.chars());
            }
            _ => {
                let from = random.below(chars.len());
                let copied: Vec<char> = chars[from..(from + 30).min(chars.len())].to_vec();
                chars.splice(at..at, copied);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn damaged_programs_get_diagnostics_not_crashes() {
    let mut sources = infra_files(Path::new("examples"));
    sources.extend(ui_files());
    sources.sort();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    for n in 0..400 {
        let source = &sources[random.below(sources.len())];
        let text = String::from_utf8_lossy(&std::fs::read(source).expect("readable")).into_owned();
        if text.is_empty() {
            continue;
        }
        let path = dir.path().join(format!("case{n}.infra"));
        std::fs::write(&path, damage(&text, &mut random)).expect("write case");
        let (checked, _) =
            infra::build(std::slice::from_ref(&path), &infra::Options::default(), &[])
                .expect("readable case");
        for diagnostic in &checked.diagnostics {
            assert_ne!(
                diagnostic.code.id,
                "E0000",
                "case {n} from {}: {}",
                source.display(),
                diagnostic.message
            );
            let file = checked.db.get(diagnostic.primary.span.file);
            assert!(
                diagnostic.primary.span.end as usize <= file.text.len(),
                "case {n} from {}: span out of its file",
                source.display()
            );
        }
    }
}
