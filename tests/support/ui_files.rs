//! The UI tests' programs (`tests/ui/**/*.infra`) and their header lines,
//! and the files of a directory. Each test that includes it uses some.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every UI test's program, sorted.
pub fn ui_files() -> Vec<PathBuf> {
    infra_files(Path::new("tests/ui"))
}

/// Every `.infra` file under `dir`, sorted.
pub fn infra_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, &|path| path.extension().is_some_and(|e| e == "infra"))
}

/// Every file under `dir` that `keep` holds, sorted.
pub fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    fn collect(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                collect(&path, keep, out);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    collect(dir, keep, &mut files);
    files.sort();
    files
}

/// More entry files built with the test, named by `// with:` header lines,
/// relative to the test's directory.
pub fn other_entries(path: &Path, text: &str) -> Vec<PathBuf> {
    let dir = path.parent().expect("a test is in a directory");
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("// with:"))
        .flat_map(|l| l.split_whitespace().map(|p| dir.join(p)))
        .collect()
}

/// The build's budget, with the limits a `// budget:` header line sets
/// (`// budget: steps=500 values=100`), so that a program can reach a limit
/// without the time and memory the default ones allow.
pub fn budget(text: &str) -> infra::lower::Budget {
    let mut budget = infra::lower::Budget::default();
    let settings = text
        .lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix("// budget:"))
        .flat_map(str::split_whitespace);
    for setting in settings {
        let (name, value) = setting
            .split_once('=')
            .unwrap_or_else(|| panic!("`{setting}` in a `// budget:` header is not NAME=N"));
        let value: usize = value.parse().expect("a limit is a number");
        match name {
            "resources" => budget.resources = value,
            "values" => budget.values = value,
            "steps" => budget.steps = value,
            other => panic!("unknown limit `{other}` in a `// budget:` header"),
        }
    }
    budget
}
