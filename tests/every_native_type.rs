//! One resource of every native type of every target, with its required
//! properties set to values made from the type's schema, goes through what
//! `infra check` does (checked, then lowered and emitted for its target).

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/tools.rs"]
mod tools;
#[path = "support/xorshift.rs"]
mod xorshift;

use infra::source::FileId;
use infra::syntax::ast::*;

/// The named types of a schema file, and the constraints of its type's
/// properties.
struct Schema<'a> {
    types: HashMap<&'a str, &'a TypeExpr>,
    constraints: HashMap<&'a str, &'a [Property]>,
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key(key: &Key) -> String {
    let plain = key
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !key.quoted {
        key.name.clone()
    } else {
        quote(&key.name)
    }
}

/// A literal of a constraint (`allowed`'s first value, `min`).
fn literal(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(s) => s.as_plain().map(|s| quote(&s)),
        ExprKind::Int(i) => Some(i.to_string()),
        ExprKind::Number(n) => Some(n.clone()),
        ExprKind::Unary(UnaryOp::Neg, inner) => literal(inner).map(|v| format!("-{v}")),
        _ => None,
    }
}

/// A value of `ty`; `None` when only a deploy-time value can do (a string
/// with a pattern: a value from a param).
fn value(schema: &Schema, ty: &TypeExpr, depth: usize) -> String {
    match &ty.kind {
        TypeKind::Path(path) => match path.text().as_str() {
            "string" => quote("x"),
            "int" | "number" => "1".into(),
            "bool" => "true".into(),
            "any" => quote("x"),
            name => match schema.types.get(name) {
                Some(named) if depth < 12 => value(schema, named, depth + 1),
                _ => "{}".into(),
            },
        },
        TypeKind::Literal(text) => quote(text),
        TypeKind::List(inner) => format!("[{}]", value(schema, inner, depth + 1)),
        TypeKind::Map(_) => "{}".into(),
        TypeKind::Object(fields) => {
            let set: Vec<String> = fields
                .iter()
                .filter(|f| !f.optional && !matches!(f.ty.kind, TypeKind::Optional(_)))
                .map(|f| format!("{} = {}", key(&f.key), value(schema, &f.ty, depth + 1)))
                .collect();
            format!("{{ {} }}", set.join(", "))
        }
        TypeKind::Optional(inner) | TypeKind::Paren(inner) => value(schema, inner, depth),
        TypeKind::Union(members) => value(schema, &members[0], depth),
    }
}

/// A top-level property's value: within its constraints, or a param's
/// (left open, known at deploy time) where a pattern says what it must be.
fn property_value(
    schema: &Schema,
    name: &str,
    ty: &TypeExpr,
    params: &mut Vec<(String, String)>,
) -> String {
    let Some(options) = schema.constraints.get(name) else {
        return value(schema, ty, 0);
    };
    let option = |k: &str| options.iter().find(|p| p.key.name == k).map(|p| &p.value);
    if let Some(ExprKind::List(allowed)) = option("allowed").map(|v| &v.kind)
        && let Some(first) = allowed.first().and_then(literal)
    {
        return first;
    }
    if option("pattern").is_some() {
        let param = format!("p{}", params.len());
        let shown = match &ty.kind {
            TypeKind::Path(path) => path.text(),
            _ => "string".into(),
        };
        params.push((param.clone(), shown));
        return param;
    }
    if let Some(min) = option("min").and_then(literal) {
        return min;
    }
    if let Some(ExprKind::Int(n)) = option("min_length").map(|v| &v.kind) {
        return quote(&"x".repeat((*n).max(1) as usize));
    }
    value(schema, ty, 0)
}

/// A program declaring one resource of the type `text` declares, with its
/// required properties.
fn program(text: &str) -> Option<(String, String)> {
    let (ast, _) = infra::syntax::parse(FileId(0), text);
    let mut schema = Schema {
        types: HashMap::new(),
        constraints: HashMap::new(),
    };
    let mut native = None;
    for item in &ast.items {
        match &item.kind {
            ItemKind::TypeAlias(alias) => {
                schema.types.insert(&alias.name.name, &alias.ty);
            }
            ItemKind::Native(n) => native = Some(n),
            _ => {}
        }
    }
    let native = native?;
    for member in &native.members {
        if let MemberKind::Setting(p) = &member.kind
            && p.key.name == "constraints"
            && let ExprKind::Object(entries) = &p.value.kind
        {
            for entry in entries {
                if let ExprKind::Object(options) = &entry.value.kind {
                    schema
                        .constraints
                        .insert(&entry.key.name, options.as_slice());
                }
            }
        }
    }
    let type_name = native.type_name.as_plain()?;
    let mut params = Vec::new();
    let mut body = String::new();
    for member in &native.members {
        if let MemberKind::Property(field) = &member.kind
            && !matches!(field.ty.kind, TypeKind::Optional(_))
        {
            let v = property_value(&schema, &field.name.name, &field.ty, &mut params);
            let name = Key {
                name: field.name.name.clone(),
                quoted: false,
                span: field.name.span,
            };
            writeln!(body, "  {} = {v}", key(&name)).unwrap();
        }
    }
    let mut out = String::new();
    for (name, ty) in &params {
        writeln!(out, "param {name}: {ty}").unwrap();
    }
    writeln!(out, "resource r: {type_name} {{\n{body}}}").unwrap();
    Some((type_name, out))
}

/// The program of every native resource type the stdlib has (Terraform's
/// data sources, `native/*/data/`, are not resources), by type name, sorted.
fn every_program() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = infra::stdlib::files()
        .filter(|(path, _)| path.starts_with("native/") && !path.contains("/data/"))
        .map(|(path, text)| program(&text).unwrap_or_else(|| panic!("{path}: no native type")))
        .collect();
    out.sort();
    out
}

/// Builds the programs, each for the targets it can compile to; asserts no
/// error and returns the templates with their type names.
fn build(dir: &Path, programs: &[(String, String)]) -> Vec<(String, infra::Template)> {
    let mut paths = Vec::new();
    for (_, source) in programs {
        let file = dir.join(format!("t{}.infra", paths.len()));
        std::fs::write(&file, source).expect("write program");
        paths.push(file);
    }
    let (checked, templates) =
        infra::build(&paths, &infra::Options::default(), &[]).expect("readable programs");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let shown =
        infra::diagnostics::render::human(&checked.db, &errors[..errors.len().min(20)], false);
    assert!(
        errors.is_empty(),
        "{} errors; the first:\n{shown}",
        errors.len()
    );
    let index: HashMap<_, _> = checked
        .files
        .iter()
        .zip(programs)
        .map(|(parsed, (name, _))| (parsed.file, name.clone()))
        .collect();
    templates
        .into_iter()
        .map(|t| (index[&t.file].clone(), t))
        .collect()
}

#[test]
fn one_resource_of_every_native_type_checks_and_builds() {
    let programs = every_program();
    let resources = infra::stdlib::native_types().filter(|n| !n.starts_with("data."));
    assert_eq!(programs.len(), resources.count());
    let dir = tempfile::tempdir().expect("temporary directory");
    let templates = build(dir.path(), &programs);
    // hashicorp/random's types build for both Terraform providers.
    let both = programs
        .iter()
        .filter(|(n, _)| infra::target::vocabulary_of(n) == Some("terraform"))
        .count();
    assert_eq!(
        templates.len(),
        programs.len() + both,
        "a template a type and target"
    );
}

/// `count` programs of the vocabularies `of` accepts, picked by a fixed
/// seed (all of them when there are fewer).
fn sample(
    programs: &[(String, String)],
    of: impl Fn(&str) -> bool,
    count: usize,
    seed: u64,
) -> Vec<(String, String)> {
    let mut pool: Vec<_> = programs.iter().filter(|(n, _)| of(n)).cloned().collect();
    let mut random = xorshift::XorShift(seed);
    let mut picked = Vec::new();
    while picked.len() < count && !pool.is_empty() {
        picked.push(pool.swap_remove(random.below(pool.len())));
    }
    picked.sort();
    picked
}

fn shared() -> PathBuf {
    std::env::var_os("INFRA_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    )
}

/// Runs a validator once on every file (its start-up dominates); the lines
/// it reports.
fn validate(tool: &str, args: &[&str], files: &[PathBuf]) -> String {
    let result = Command::new(shared().join("tools").join(tool))
        .args(args)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs: {e}"));
    if result.status.success() {
        return String::new();
    }
    format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    )
}

fn venv_has(variable: &str, default: &str, file: &str) -> bool {
    let venv = std::env::var_os(variable).unwrap_or_else(|| default.into());
    Path::new(&venv).join(file).exists()
}

/// Writes each template where its validator reads it: CloudFormation and
/// Heat one file each, Terraform a directory each (a directory is one
/// configuration).
fn write(dir: &Path, templates: &[(String, infra::Template)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (i, (_, template)) in templates.iter().enumerate() {
        let path = match template.target {
            infra::ir::Target::CloudFormation => dir.join(format!("t{i}.template.json")),
            infra::ir::Target::Heat => dir.join(format!("t{i}.hot.json")),
            _ => {
                let config = dir.join(format!("tf{i}"));
                std::fs::create_dir_all(&config).expect("create directory");
                config.join("main.tf.json")
            }
        };
        std::fs::write(&path, &template.text).expect("write template");
        out.push(path);
    }
    out
}

fn programs_of(of: impl Fn(&str) -> bool, count: usize, seed: u64) -> Vec<(String, String)> {
    sample(&every_program(), of, count, seed)
}

fn cloudformation(name: &str) -> bool {
    infra::target::vocabulary_of(name) == Some("cloudformation")
}

fn heat(name: &str) -> bool {
    infra::target::vocabulary_of(name) == Some("heat")
}

fn terraform(name: &str) -> bool {
    infra::target::vocabulary_of(name).is_some_and(|v| v.starts_with("terraform"))
}

/// Builds the programs and runs `tool` once on all their templates.
fn built_and_validated(programs: &[(String, String)], tool: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = write(dir.path(), &build(dir.path(), programs));
    let files: Vec<PathBuf> = if tool == "tf-validate" {
        files
            .iter()
            .map(|f| f.parent().expect("a directory").to_path_buf())
            .collect()
    } else {
        files
    };
    validate(tool, args, &files)
}

#[test]
fn a_fixed_sample_of_300_terraform_types_passes_tf_validate_strict() {
    let found = shared().join("tools/tf-validate").exists();
    if !tools::available("tf-validate (../shared/tools)", found) {
        return;
    }
    let programs = programs_of(terraform, 300, 0x7e44_a1f0);
    assert_eq!(programs.len(), 300);
    let report = built_and_validated(&programs, "tf-validate", &["--strict"]);
    assert!(report.is_empty(), "tf-validate found problems:\n{report}");
}

// The value a schema gives is not always one the target accepts: nested
// enums and patterns (the schemas constrain top-level properties only),
// "one of these properties is required" rules the schemas cannot say
// (CloudFormation's oneOf alternatives, Heat's validate()), ids and ARNs of
// a given form, services AWS has shut down. On the first run 226 of the 300
// CloudFormation types and 113 of the 140 Heat types passed.
#[test]
#[ignore = "values within nested constraints and one-of rules are not made yet"]
fn a_fixed_sample_of_300_cloudformation_types_passes_cfn_validate() {
    let found = venv_has("CFN_VENV", "/opt/cfn-venv", "bin/cfn-lint");
    if !tools::available("cfn-lint (../shared/tools/cfn-setup)", found) {
        return;
    }
    let programs = programs_of(cloudformation, 300, 0x5eed_c0de);
    assert_eq!(programs.len(), 300);
    let report = built_and_validated(&programs, "cfn-validate", &[]);
    assert!(report.is_empty(), "cfn-validate found problems:\n{report}");
}

#[test]
#[ignore = "values within nested constraints and one-of rules are not made yet"]
fn every_heat_type_passes_heat_validate() {
    let found = venv_has("HEAT_VENV", "/opt/heat-venv", "bin/python");
    if !tools::available("Heat (../shared/tools/heat-setup)", found) {
        return;
    }
    let programs = programs_of(heat, usize::MAX, 1);
    let report = built_and_validated(&programs, "heat-validate", &[]);
    assert!(report.is_empty(), "heat-validate found problems:\n{report}");
}
