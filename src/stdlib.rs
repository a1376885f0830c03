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
    include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));
}

use generated::{BLOB, FILES, NAMES, NATIVE_TYPES, PATHS};

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

#[cfg(test)]
mod tests;
