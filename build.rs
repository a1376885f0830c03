//! Embeds every `stdlib/**/*.infra` file in the binary, sorted by path.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "infra") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let stdlib = root.join("stdlib");
    println!("cargo:rerun-if-changed=stdlib");
    let mut files = Vec::new();
    collect(&stdlib, &mut files);
    // Sorted as strings: the order `stdlib::source` binary-searches in.
    let mut entries: Vec<(String, String)> = files
        .iter()
        .map(|file| {
            let relative = file
                .strip_prefix(&stdlib)
                .expect("under stdlib")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, file.display().to_string())
        })
        .collect();
    entries.sort();
    let mut code = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for (relative, absolute) in &entries {
        writeln!(code, "    ({relative:?}, include_str!({absolute:?})),").expect("write to string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("stdlib_files.rs"), code).expect("write generated file");
}
