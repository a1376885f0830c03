//! Embeds every `stdlib/**/*.infra` file in the binary, each deflated on its
//! own (a program inflates only the files it uses) but the portable
//! namespaces, which are stored as they are, with an index by path
//! and one by the native type names the files declare. The indexes are
//! offsets into one string each, not `&str`s: thousands of pointers would
//! each cost a relocation when the binary starts.
//!
//! It also sets `INFRA_VERSION`, the version `infra --version` prints.

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

/// The type names of the `native "NAME" on ...` declarations of a file: a
/// declaration starts a line, after an optional state class.
fn native_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = ["stateless ", "persistent ", "volatile "]
                .iter()
                .find_map(|class| line.strip_prefix(class))
                .unwrap_or(line);
            let rest = line.strip_prefix("native \"")?;
            let end = rest.find('"')?;
            // Generated names hold no escapes; a name with one is not indexed.
            let name = &rest[..end];
            (!name.contains('\\')).then(|| name.to_string())
        })
        .collect()
}

/// The words of `text`, type names whole (`aws_instance`,
/// `AWS::EC2::VPC`).
fn words(text: &str) -> std::collections::HashSet<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect()
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
    let mut entries: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|file| {
            let relative = file
                .strip_prefix(&stdlib)
                .expect("under stdlib")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, file)
        })
        .collect();
    entries.sort();
    let mut blob = Vec::new();
    let mut names = Vec::new();
    let mut paths = String::new();
    // [path start, path end, blob start, blob end, size inflated]
    let mut code = String::from("pub static FILES: &[[u32; 5]] = &[\n");
    let texts: Vec<String> = (entries.iter())
        .map(|(_, file)| std::fs::read_to_string(file).expect("stdlib files are UTF-8"))
        .collect();
    let portable: String = (entries.iter().zip(&texts))
        .filter(|((relative, _), _)| relative.starts_with("portable/"))
        .map(|(_, text)| text.as_str())
        .collect();
    let portable = words(&portable);
    for (index, ((relative, _), text)) in entries.iter().zip(&texts).enumerate() {
        // The portable namespaces, and the native types their target
        // blocks are made of, are read by most programs: stored as they
        // are, they cost no inflating (a small program's build spent a
        // thirteenth of its instructions inflating). A file is stored raw
        // exactly when its stored size is its size: deflated, every other
        // one is smaller.
        let deflated = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
        let raw = relative.starts_with("portable/")
            || native_names(text)
                .iter()
                .any(|name| portable.contains(name.as_str()))
            || deflated.len() >= text.len();
        let start = blob.len();
        blob.extend_from_slice(if raw { text.as_bytes() } else { &deflated });
        let path_start = paths.len();
        paths.push_str(relative);
        writeln!(
            code,
            "    [{path_start}, {}, {start}, {}, {}],",
            paths.len(),
            blob.len(),
            text.len()
        )
        .expect("write to string");
        names.extend(native_names(text).into_iter().map(|name| (name, index)));
    }
    code.push_str("];\n");
    writeln!(code, "pub static PATHS: &str = {paths:?};").expect("write to string");
    names.sort();
    // Sorted by name: the order `stdlib::native_file` binary-searches in.
    // [name start, name end, file index]
    let mut all_names = String::new();
    code.push_str("pub static NATIVE_TYPES: &[[u32; 3]] = &[\n");
    for (name, index) in &names {
        let start = all_names.len();
        all_names.push_str(name);
        writeln!(code, "    [{start}, {}, {index}],", all_names.len()).expect("write to string");
    }
    code.push_str("];\n");
    writeln!(code, "pub static NAMES: &str = {all_names:?};").expect("write to string");
    code.push_str(
        "pub static BLOB: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/stdlib.bin\"));\n",
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("stdlib.bin"), blob).expect("write generated file");
    std::fs::write(out.join("stdlib_files.rs"), code).expect("write generated file");
}
