//! Embeds every `stdlib/**/*.infra` file in the binary, sorted by path,
//! and sets `INFRA_VERSION`, the version `infra --version` prints.

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

/// The version: the latest git tag reachable from the commit built
/// (`v0.2.0` gives `0.2.0`) where the checkout has one, else Cargo.toml's.
/// Rerun only when tags change, not at every commit, so that a commit does
/// not rebuild the compiler.
fn version() {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        output.status.success().then(|| text.trim().to_string())
    };
    if let Some(common) = git(&["rev-parse", "--git-common-dir"]) {
        let common = PathBuf::from(common);
        // A path that does not exist would rerun the script at every build.
        for watched in ["refs/tags", "packed-refs"].map(|p| common.join(p)) {
            if watched.exists() {
                println!("cargo:rerun-if-changed={}", watched.display());
            }
        }
    }
    let tag = git(&["describe", "--tags", "--abbrev=0"]);
    let version = match tag {
        Some(tag) if !tag.is_empty() => tag.trim_start_matches('v').to_string(),
        _ => std::env::var("CARGO_PKG_VERSION").expect("cargo sets it"),
    };
    println!("cargo:rustc-env=INFRA_VERSION={version}");
}

fn main() {
    version();
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
