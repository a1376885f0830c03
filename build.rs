//! Embeds every `stdlib/**/*.infra` file in the binary, each deflated on its
//! own (a program inflates only the files it uses) but the portable
//! namespaces, which are stored as they are, with an index by path
//! and one by the native type names the files declare. The indexes are
//! offsets into one string each, not `&str`s: thousands of pointers would
//! each cost a relocation when the binary starts.
//!
//! For the portable namespaces it also writes where each component's text
//! is and what it mentions (`components`), so that a program is checked
//! with the components it can reach alone.
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

/// A component of a portable namespace: the bytes of its text (its doc
/// comment included) and the components and names it mentions.
struct Component {
    namespace: String,
    name: String,
    start: usize,
    end: usize,
    mentions: Vec<(String, String)>,
}

/// The components of the portable namespace `namespace`, what the rest
/// of its text (the aliases, which every program that loads it checks)
/// mentions, as `(namespace, name)`, and its aliases' names. Mentioned:
/// `other.Name` for any namespace, and a bare word that is a component of
/// this one. A line
/// that is a comment mentions nothing; everything else is read as words,
/// strings and trailing comments too, which can only mention more.
/// Formatted text is assumed (checked by the stdlib's tests): a component
/// starts a line, after at most a state class, its doc comment is the
/// `///` lines right before it, and it ends at the next line that is `}`.
fn components(
    namespace: &str,
    text: &str,
    namespaces: &[String],
) -> (Vec<Component>, Vec<(String, String)>, Vec<String>) {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    // `component NAME {` or `CLASS component NAME {`, at the top level.
    let header = |line: &str| -> Option<String> {
        if line.starts_with(char::is_whitespace) {
            return None;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["component", name, "{"] | [_, "component", name, "{"] => Some(name.to_string()),
            _ => None,
        }
    };
    let mut found = Vec::new();
    let mut outside = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = header(lines[i].1) else {
            outside.push(i);
            i += 1;
            continue;
        };
        let mut first = i;
        while first > 0 && lines[first - 1].1.starts_with("///") {
            first -= 1;
            outside.retain(|&o| o != first);
        }
        let last = (i..lines.len())
            .find(|&j| lines[j].1.trim_end() == "}")
            .unwrap_or_else(|| {
                panic!("stdlib/portable/{namespace}.infra: `{name}` has no closing line")
            });
        found.push((name, first, i, last));
        i = last + 1;
    }
    let names: Vec<&str> = found.iter().map(|(name, ..)| name.as_str()).collect();
    let mentions = |rows: &mut dyn Iterator<Item = usize>| {
        let mut out = Vec::new();
        for row in rows {
            let line = lines[row].1;
            if line.trim_start().starts_with("//") {
                continue;
            }
            mentioned(line, namespace, &names, namespaces, &mut out);
        }
        out.sort();
        out.dedup();
        out
    };
    let components = found
        .iter()
        .map(|(name, first, header, last)| Component {
            namespace: namespace.to_string(),
            name: name.clone(),
            start: lines[*first].0,
            end: lines[*last].0 + lines[*last].1.len(),
            mentions: mentions(&mut (*header..=*last)),
        })
        .collect();
    let aliases = outside
        .iter()
        .filter_map(|&row| lines[row].1.strip_prefix("type "))
        .filter_map(|rest| {
            rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
        })
        .map(str::to_string)
        .collect();
    (components, mentions(&mut outside.into_iter()), aliases)
}

/// Adds what `line` mentions: `other.Name`, and the components `names` of
/// `namespace` by their bare names.
fn mentioned(
    line: &str,
    namespace: &str,
    names: &[&str],
    namespaces: &[String],
    out: &mut Vec<(String, String)>,
) {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let words: Vec<(usize, &str)> = line
        .match_indices(|c: char| !is_word(c))
        .scan(0, |start, (at, sep)| {
            let word = (*start, &line[*start..at]);
            *start = at + sep.len();
            Some(word)
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    for (k, &(at, word)) in words.iter().enumerate() {
        if names.contains(&word) {
            out.push((namespace.to_string(), word.to_string()));
        }
        if namespaces.iter().any(|n| n == word)
            && line[at + word.len()..].trim_start().starts_with('.')
            && let Some(&(_, next)) = words.get(k + 1)
        {
            out.push((word.to_string(), next.to_string()));
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
    // Linked at a fixed address, the binary starts without relocating its
    // tables: position-independent, `infra` spent about a sixth of a small
    // build's time (1 ms of 5.6) applying 10,000 relocations and copying
    // the ~50 pages they touch (benches/scale.rs). Go links its binaries so
    // by default; shared libraries, stack and heap still go at random.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
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
    code.push_str(&component_index(&entries, &texts));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("stdlib.bin"), blob).expect("write generated file");
    std::fs::write(out.join("stdlib_files.rs"), code).expect("write generated file");
}

/// `COMPONENTS`, each portable component sorted by namespace and name:
/// its namespace, its name, its text's bytes in its file, and the
/// components it mentions, as indexes into `COMPONENTS`; `ALWAYS`, the
/// components the namespaces' aliases mention, which any program that
/// loads them checks; `ALIASES`, each namespace's aliases, sorted.
/// Mentions of names that are not components (an alias, a built-in) are
/// left out.
fn component_index(entries: &[(String, PathBuf)], texts: &[String]) -> String {
    let portable: Vec<(String, &String)> = (entries.iter().zip(texts))
        .filter_map(|((relative, _), text)| {
            let stem = relative.strip_prefix("portable/")?.strip_suffix(".infra")?;
            Some((stem.to_string(), text))
        })
        .collect();
    let namespaces: Vec<String> = portable.iter().map(|(n, _)| n.clone()).collect();
    let mut all = Vec::new();
    let mut always = Vec::new();
    let mut aliases = Vec::new();
    for (namespace, text) in &portable {
        let (found, outside, named) = components(namespace, text, &namespaces);
        all.extend(found);
        always.extend(outside);
        aliases.extend(named.into_iter().map(|name| (namespace.clone(), name)));
    }
    aliases.sort();
    all.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let index = |(namespace, name): &(String, String)| {
        all.iter()
            .position(|c| &c.namespace == namespace && &c.name == name)
    };
    let mut code = String::from("pub static COMPONENTS: &[Component] = &[\n");
    for c in &all {
        let mut refs: Vec<usize> = c.mentions.iter().filter_map(index).collect();
        refs.sort();
        refs.dedup();
        writeln!(
            code,
            "    Component {{ namespace: {:?}, name: {:?}, start: {}, end: {}, mentions: &{refs:?} }},",
            c.namespace, c.name, c.start, c.end
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    let mut always: Vec<usize> = always.iter().filter_map(index).collect();
    always.sort();
    always.dedup();
    writeln!(code, "pub static ALWAYS: &[u16] = &{always:?};").expect("write to string");
    writeln!(code, "pub static ALIASES: &[(&str, &str)] = &{aliases:?};").expect("write to string");
    code
}
