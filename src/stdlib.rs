//! The standard library, embedded: portable namespaces and native schemas,
//! written in Infra under `stdlib/` and parsed by the same front end.
//!
//! Each file is stored deflated on its own, the portable namespaces as they
//! are (see `build.rs`), and is inflated and parsed only when a program
//! uses it; an index of the native type
//! names the files declare answers "is there a schema" and "which names are
//! near" without opening any. Diagnostics name files `stdlib:PATH`
//! (`stdlib:portable/network.infra`), and show their lines from the
//! embedded text.

mod generated {
    /// A portable component, as `build.rs` indexes it: its text's bytes
    /// in its namespace's file, its doc comment included, and the
    /// components it mentions, as indexes into `COMPONENTS`.
    pub struct Component {
        pub namespace: &'static str,
        pub name: &'static str,
        pub start: u32,
        pub end: u32,
        pub mentions: &'static [u16],
    }

    include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));
}

use generated::{ALIASES, ALWAYS, BLOB, COMPONENTS, FILES, NAMES, NATIVE_TYPES, PATHS};

fn path_of(entry: &[u32; 5]) -> &'static str {
    &PATHS[entry[0] as usize..entry[1] as usize]
}

fn name_of(entry: &[u32; 3]) -> &'static str {
    &NAMES[entry[0] as usize..entry[1] as usize]
}

/// The path of every embedded file under `stdlib/`, sorted.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(path_of)
}

/// Every embedded file as `(path under stdlib/, text)`, sorted by path.
/// Inflates them all: for tests and tools, not for checking a program.
pub fn files() -> impl Iterator<Item = (&'static str, String)> {
    FILES.iter().map(|entry| (path_of(entry), inflate(entry)))
}

/// The text of one embedded file.
pub fn source(path: &str) -> Option<String> {
    FILES
        .binary_search_by(|entry| path_of(entry).cmp(path))
        .ok()
        .map(|i| inflate(&FILES[i]))
}

fn inflate(entry: &[u32; 5]) -> String {
    let stored = &BLOB[entry[2] as usize..entry[3] as usize];
    // Stored as it is (see `build.rs`): the same size inflated.
    if stored.len() == entry[4] as usize {
        return String::from_utf8(stored.to_vec()).expect("stdlib files are UTF-8");
    }
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(stored, entry[4] as usize)
        .expect("build.rs deflated every stdlib file");
    String::from_utf8(bytes).expect("stdlib files are UTF-8")
}

/// The name diagnostics show for an embedded file.
pub fn display_name(path: &str) -> String {
    format!("stdlib:{path}")
}

/// The embedded file a shown name (`display_name`) names, if it is one.
pub fn path_of_display_name(name: &str) -> Option<&str> {
    name.strip_prefix("stdlib:")
}

/// The portable namespace file for `namespace` (`network`, `compute`, ...).
pub fn portable_path(namespace: &str) -> String {
    format!("portable/{namespace}.infra")
}

/// Where the schema of a native type name lives, by the target vocabulary
/// its spelling belongs to: `AWS::EC2::VPC`, `OS::Nova::Server`,
/// `aws_instance`, `openstack_compute_instance_v2`, `random_password`; a
/// Terraform data source's, `data.aws_vpc`, in its provider's `data/`.
pub fn native_path(type_name: &str) -> Option<String> {
    if let Some(source) = type_name.strip_prefix("data.") {
        let target = crate::target::vocabulary_of(source)?;
        return Some(format!("native/{target}/data/{source}.infra"));
    }
    let target = crate::target::vocabulary_of(type_name)?;
    let file = type_name.to_lowercase().replace("::", "-");
    Some(format!("native/{target}/{file}.infra"))
}

/// The file declaring the schema of a native type, by the index of the
/// names the stdlib declares (exact spelling).
pub fn native_file(type_name: &str) -> Option<&'static str> {
    NATIVE_TYPES
        .binary_search_by(|entry| name_of(entry).cmp(type_name))
        .ok()
        .map(|i| path_of(&FILES[NATIVE_TYPES[i][2] as usize]))
}

/// Every native type name the stdlib has a schema for (Terraform data
/// sources as `data.NAME`), sorted.
pub fn native_types() -> impl Iterator<Item = &'static str> {
    NATIVE_TYPES.iter().map(name_of)
}

/// The portable components a program can reach, found in its text before
/// anything is loaded: those it names (`network.Subnet`), those the
/// namespaces' aliases name, and those these name in turn (`build.rs`
/// indexes what each component names). Comments and strings are read as
/// the rest, which can only add to the reach. A namespace is read whole
/// where the text names in it something that is neither a component nor
/// an alias (`network.Subnt`: its diagnostics are then those of the whole
/// namespace), or puts a comment between it and the name. For a program
/// of one file: an import's names are not read.
#[derive(Debug)]
pub struct Reach {
    wanted: Vec<bool>,
    whole: Vec<&'static str>,
}

impl Reach {
    pub fn of(text: &str) -> Reach {
        // Blanks as the lexer reads them: Unicode's and the byte order mark.
        let blank = |c: char| c.is_whitespace() || c == '\u{feff}';
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let mut reach = Reach {
            wanted: vec![false; COMPONENTS.len()],
            whole: Vec::new(),
        };
        let mut found: Vec<usize> = ALWAYS.iter().map(|&i| i as usize).collect();
        for namespace in crate::sema::resolve::NAMESPACES {
            for (at, _) in text.match_indices(namespace) {
                let before = text[..at].trim_end_matches(blank);
                let after = &text[at + namespace.len()..];
                // Part of a longer word. (`server.network.id`, a field
                // named like a namespace, is read as a mention: telling a
                // `.` before from one ending a comment is the lexer's job.)
                if before.ends_with(word) && before.len() == at || after.starts_with(word) {
                    continue;
                }
                let after = after.trim_start_matches(blank);
                let name = match after.strip_prefix('.') {
                    Some(rest) => rest.trim_start_matches(blank),
                    // A comment may hide a `.` after the namespace.
                    None if after.starts_with('/') => "",
                    None => continue,
                };
                let name = &name[..name.find(|c: char| !word(c)).unwrap_or(name.len())];
                let component =
                    COMPONENTS.binary_search_by(|c| (c.namespace, c.name).cmp(&(*namespace, name)));
                match component {
                    Ok(index) => found.push(index),
                    Err(_) if ALIASES.binary_search(&(*namespace, name)).is_ok() => {}
                    // Neither, or hidden behind a comment: read it all.
                    Err(_) => reach.whole.push(namespace),
                }
            }
        }
        while let Some(index) = found.pop() {
            if !std::mem::replace(&mut reach.wanted[index], true) {
                found.extend(COMPONENTS[index].mentions.iter().map(|&i| i as usize));
            }
        }
        reach
    }

    /// The bytes of the components of the portable namespace `namespace`
    /// out of reach, each with its doc comment, sorted: none when the
    /// namespace is read whole.
    pub fn gaps(&self, namespace: &str) -> Vec<(usize, usize)> {
        if self.whole.contains(&namespace) {
            return Vec::new();
        }
        let mut gaps: Vec<(usize, usize)> = (COMPONENTS.iter().zip(&self.wanted))
            .filter(|(c, wanted)| c.namespace == namespace && !**wanted)
            .map(|(c, _)| (c.start as usize, c.end as usize))
            .collect();
        gaps.sort_unstable();
        gaps
    }
}

#[cfg(test)]
mod tests;
