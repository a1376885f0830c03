//! The standard library, embedded: portable namespaces and native schemas,
//! written in Infra under `stdlib/` and parsed by the same front end.
//!
//! Files are looked up by path and parsed only when a program uses them.
//! Diagnostics name them `stdlib:PATH` (`stdlib:portable/network.infra`),
//! and show their lines from the embedded text.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));
}

/// Every embedded file as `(path under stdlib/, text)`, sorted by path.
pub fn files() -> &'static [(&'static str, &'static str)] {
    generated::FILES
}

/// The text of one embedded file.
pub fn source(path: &str) -> Option<&'static str> {
    files()
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| files()[i].1)
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
/// `aws_instance`, `openstack_compute_instance_v2`, `random_password`.
pub fn native_path(type_name: &str) -> Option<String> {
    let target = crate::target::vocabulary_of(type_name)?;
    let file = type_name.to_lowercase().replace("::", "-");
    Some(format!("native/{target}/{file}.infra"))
}

#[cfg(test)]
mod tests;
