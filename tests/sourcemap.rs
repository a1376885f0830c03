//! Source maps: every name of every example's templates leads back to the
//! line of the program that declares it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "support/ui_files.rs"]
mod ui_files;
use ui_files::files_under;

/// The programs of `examples/` and the `infra build` arguments of each:
/// portable ones for every target, native ones for their own.
fn examples() -> Vec<(PathBuf, Vec<&'static str>)> {
    let all = vec![
        "-t",
        "cloudformation",
        "-t",
        "heat",
        "-t",
        "terraform",
        "--provider",
        "aws",
        "--provider",
        "openstack",
    ];
    let mut out = Vec::new();
    for path in sorted("examples") {
        if path.extension().is_some_and(|e| e == "infra") {
            out.push((path, all.clone()));
        } else if path.join("main.infra").is_file() {
            out.push((path.join("main.infra"), all.clone()));
        }
    }
    for (dir, target) in [
        (
            "examples/native/cloudformation",
            &["-t", "cloudformation"][..],
        ),
        ("examples/native/heat", &["-t", "heat"]),
        (
            "examples/native/terraform-aws",
            &["-t", "terraform", "--provider", "aws"],
        ),
    ] {
        out.extend(sorted(dir).into_iter().map(|p| (p, target.to_vec())));
    }
    out
}

fn sorted(dir: &str) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("examples exist")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    entries
}

/// The text of a file a map names: a user's file, or a stdlib module.
fn source(file: &str) -> String {
    match infra::stdlib::path_of_display_name(file) {
        Some(path) => {
            infra::stdlib::source(path).unwrap_or_else(|| panic!("{file}: no such stdlib file"))
        }
        None => std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}")),
    }
}

/// The identifier at a map's `at` (`{"file", "line", "column"}`).
fn word_at(at: &Value, what: &str) -> String {
    let file = at["file"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: file"));
    let line = at["line"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: line")) as usize;
    let column = at["column"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}: column")) as usize;
    let text = source(file);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        line >= 1 && line <= lines.len(),
        "{what}: line {line} of {file}, which has {}",
        lines.len()
    );
    assert!(column >= 1, "{what}: column {column}");
    lines[line - 1]
        .chars()
        .skip(column - 1)
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The template's names of its resources, as `infra diff` reads them.
fn template_resources(template: &Value) -> Vec<String> {
    if let Some(resources) = template.get("Resources").and_then(Value::as_object) {
        return resources.keys().cloned().collect();
    }
    if template.get("heat_template_version").is_some() {
        let resources = template["resources"].as_object().expect("resources");
        return resources.keys().cloned().collect();
    }
    let mut out = Vec::new();
    if let Some(types) = template.get("resource").and_then(Value::as_object) {
        for (ty, by_name) in types {
            let by_name = by_name.as_object().expect("resources by name");
            out.extend(by_name.keys().map(|name| format!("{ty}.{name}")));
        }
    }
    out
}

#[test]
fn every_name_of_every_example_maps_to_its_declaration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    for (i, (path, targets)) in examples().into_iter().enumerate() {
        let out = dir.path().join(i.to_string());
        let built = Command::new(env!("CARGO_BIN_EXE_infra"))
            .arg("build")
            .arg(&path)
            .arg("-o")
            .arg(&out)
            .args(&targets)
            .output()
            .expect("infra runs");
        assert_eq!(
            built.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&built.stderr)
        );
        let found = files_under(&out, &|p| p.to_string_lossy().ends_with(".map.json"));
        // One map per template: CloudFormation, Heat, and one per provider.
        let templates = (targets.iter())
            .filter(|t| matches!(**t, "cloudformation" | "heat" | "aws" | "openstack"))
            .count();
        assert_eq!(found.len(), templates, "{}: {found:?}", path.display());
        for map_path in found {
            let what = map_path.display().to_string();
            let map: Value =
                serde_json::from_str(&std::fs::read_to_string(&map_path).expect("map"))
                    .expect("a map is JSON");
            assert_eq!(map["version"], 1, "{what}");
            let template_path =
                map_path.with_file_name(map["template"].as_str().expect("template"));
            let template: Value =
                serde_json::from_str(&std::fs::read_to_string(&template_path).expect("beside"))
                    .expect("a template is JSON");
            let resources = map["resources"].as_object().expect("resources");
            // Terraform's are by type: compared as sets.
            let mut names = template_resources(&template);
            let mut mapped: Vec<String> = resources.keys().cloned().collect();
            names.sort();
            mapped.sort();
            assert_eq!(names, mapped, "{what}: every resource of the template");
            for (name, entry) in resources {
                let what = format!("{what}: {name}");
                let at = &entry["at"];
                assert!(
                    Path::new(at["file"].as_str().expect("file")).is_file(),
                    "{what}: {at}"
                );
                assert_eq!(
                    word_at(at, &what),
                    entry["resource"].as_str().expect("resource"),
                    "{what}"
                );
                if let Some(declared) = entry.get("declared") {
                    assert_eq!(
                        word_at(declared, &what),
                        declared["name"].as_str().expect("name"),
                        "{what}: declared"
                    );
                }
                checked += 1;
            }
            for (section, key) in [("params", "param"), ("outputs", "output")] {
                for (name, entry) in map[section].as_object().expect(section) {
                    let what = format!("{what}: {section} {name}");
                    assert_eq!(
                        word_at(&entry["at"], &what),
                        entry[key].as_str().expect(key),
                        "{what}"
                    );
                }
            }
            for (name, entry) in map["conditions"].as_object().expect("conditions") {
                let users = entry["used_by"].as_array().expect("used_by");
                assert!(!users.is_empty(), "{what}: condition {name} used by none");
                for user in users {
                    let user = user.as_str().expect("a name");
                    assert!(
                        resources.contains_key(user) || map["outputs"].get(user).is_some(),
                        "{what}: condition {name} used by {user}, which the map lacks"
                    );
                }
            }
        }
    }
    assert!(checked > 100, "{checked} resources checked");
}

#[test]
fn a_map_is_the_same_for_the_same_build() {
    let path = PathBuf::from("examples/three_tier.infra");
    let options = infra::Options::default();
    let targets = infra::ir::Target::ALL;
    let first = infra::build(std::slice::from_ref(&path), &options, &targets).expect("readable");
    let again = infra::build(std::slice::from_ref(&path), &options, &targets).expect("readable");
    assert_eq!(first.1.len(), 4);
    for (a, b) in first.1.iter().zip(&again.1) {
        assert_eq!(a.map, b.map);
        assert!(a.map.ends_with("}\n"));
    }
}

#[test]
fn map_files_are_named_beside_their_templates() {
    use infra::sourcemap::map_name;
    assert_eq!(map_name("app.template.json"), "app.template.map.json");
    assert_eq!(map_name("app.hot.json"), "app.hot.map.json");
    assert_eq!(map_name("app.tf.json"), "app.tf.map.json");
    assert_eq!(
        infra::sourcemap::map_path(Path::new("out/aws/app.tf.json")),
        Path::new("out/aws/app.tf.map.json")
    );
}
