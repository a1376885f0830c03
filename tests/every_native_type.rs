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

/// The named types of a schema file, the constraints of its type's
/// properties and of their members (by path: `P`, `P.F`, `P[].F`, `P[]`),
/// and the objects that need every member of one of some sets (`""` the
/// resource's own properties).
struct Schema<'a> {
    types: HashMap<&'a str, &'a TypeExpr>,
    constraints: HashMap<&'a str, &'a [Property]>,
    one_of: HashMap<&'a str, Vec<Vec<String>>>,
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

fn key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { name.into() } else { quote(name) }
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

/// The strings of a list of lists of strings.
fn string_sets(expr: &Expr) -> Vec<Vec<String>> {
    let strings = |e: &Expr| match &e.kind {
        ExprKind::List(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                ExprKind::Str(s) => s.as_plain(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    match &expr.kind {
        ExprKind::List(sets) => sets.iter().map(strings).collect(),
        _ => Vec::new(),
    }
}

/// Makes the values of one program: literals within the schema's
/// constraints; a string the schema does not enumerate is a param left
/// open (known at deploy time), since its form (an ARN, an id, an address,
/// a pattern's) is the target's to know.
struct Maker<'a> {
    schema: Schema<'a>,
    params: Vec<(String, String)>,
    /// n > 0: the next object made also sets its n-th optional member, so
    /// that the elements of a list that needs several differ.
    variant: usize,
}

impl Maker<'_> {
    fn param(&mut self, ty: &str) -> String {
        let name = format!("p{}", self.params.len());
        self.params.push((name.clone(), ty.into()));
        name
    }

    /// A scalar of type `name` at `path`, within the path's constraints.
    fn scalar(&mut self, name: &str, path: &str) -> String {
        let options = self.schema.constraints.get(path).copied().unwrap_or(&[]);
        let option = |k: &str| options.iter().find(|p| p.key.name == k).map(|p| &p.value);
        if let Some(ExprKind::List(allowed)) = option("allowed").map(|v| &v.kind)
            && let Some(first) = allowed.first().and_then(literal)
        {
            return first;
        }
        match name {
            "string" => self.param("string"),
            "int" | "number" => {
                if let Some(min) = option("min").and_then(literal) {
                    return min;
                }
                match option("max").map(|v| &v.kind) {
                    Some(ExprKind::Int(max)) if *max < 1 => max.to_string(),
                    Some(ExprKind::Unary(..)) => option("max").and_then(literal).unwrap(),
                    _ => "1".into(),
                }
            }
            "bool" => "true".into(),
            _ => quote("x"),
        }
    }

    /// The `min_items` constraint at `path`.
    fn min_items(&self, path: &str) -> Option<usize> {
        self.schema
            .constraints
            .get(path)
            .and_then(|options| options.iter().find(|p| p.key.name == "min_items"))
            .and_then(|p| match p.value.kind {
                ExprKind::Int(n) => usize::try_from(n).ok(),
                _ => None,
            })
    }

    /// A value of `ty`, the type of what `path` names.
    fn value(&mut self, ty: &TypeExpr, path: &str, depth: usize) -> String {
        match &ty.kind {
            TypeKind::Path(p) => match p.text().as_str() {
                name @ ("string" | "int" | "number" | "bool" | "any") => self.scalar(name, path),
                name => match self.schema.types.get(name).copied() {
                    Some(named) if depth < 12 => self.value(named, path, depth + 1),
                    _ => "{}".into(),
                },
            },
            TypeKind::Literal(text) => quote(text),
            TypeKind::List(inner) => {
                let count = self.min_items(path).unwrap_or(1);
                let items: Vec<String> = (0..count)
                    .map(|i| {
                        self.variant = i;
                        self.value(inner, &format!("{path}[]"), depth + 1)
                    })
                    .collect();
                self.variant = 0;
                format!("[{}]", items.join(", "))
            }
            TypeKind::Map(inner) => {
                let count = self.min_items(path).unwrap_or(0);
                let entries: Vec<String> = (0..count)
                    .map(|i| {
                        format!(
                            "k{i} = {}",
                            self.value(inner, &format!("{path}.k{i}"), depth + 1)
                        )
                    })
                    .collect();
                format!("{{ {} }}", entries.join(", "))
            }
            TypeKind::Object(fields) => {
                let members: Vec<(&str, &TypeExpr, bool)> = fields
                    .iter()
                    .map(|f| {
                        let required = !f.optional && !matches!(f.ty.kind, TypeKind::Optional(_));
                        (f.key.name.as_str(), &f.ty, required)
                    })
                    .collect();
                let set = self.members(&members, path, depth);
                format!("{{ {} }}", set.join(", "))
            }
            TypeKind::Optional(inner) | TypeKind::Paren(inner) => self.value(inner, path, depth),
            TypeKind::Union(members) => self.value(&members[0], path, depth),
        }
    }

    /// `name = value` of each required member of an object at `path` (`""`
    /// the resource), and of the members of one set its one-of rule names:
    /// none when the required members already make up one, else the first
    /// set the object has all the members of.
    fn members(
        &mut self,
        members: &[(&str, &TypeExpr, bool)],
        path: &str,
        depth: usize,
    ) -> Vec<String> {
        let variant = std::mem::take(&mut self.variant);
        let mut chosen: Vec<&str> = members.iter().filter(|m| m.2).map(|m| m.0).collect();
        if variant > 0
            && let Some(optional) = members.iter().filter(|m| !m.2).nth(variant - 1)
        {
            chosen.push(optional.0);
        }
        if let Some(sets) = self.schema.one_of.get(path) {
            let has = |name: &String| members.iter().any(|m| m.0 == name);
            let met = sets
                .iter()
                .any(|s| s.iter().all(|n| chosen.contains(&n.as_str())));
            if !met && let Some(set) = sets.iter().find(|s| s.iter().all(has)) {
                for name in set {
                    if !chosen.contains(&name.as_str()) {
                        chosen.push(members.iter().find(|m| m.0 == name).unwrap().0);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (name, ty, _) in members {
            if chosen.contains(name) {
                let inner = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                };
                let v = self.value(ty, &inner, depth + 1);
                out.push(format!("{} = {v}", key(name)));
            }
        }
        out
    }
}

/// A program declaring one resource of the type `text` declares, with its
/// required properties.
fn program(text: &str) -> Option<(String, String)> {
    let (ast, _) = infra::syntax::parse(FileId(0), text);
    let mut schema = Schema {
        types: HashMap::new(),
        constraints: HashMap::new(),
        one_of: HashMap::new(),
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
        let MemberKind::Setting(p) = &member.kind else {
            continue;
        };
        let ExprKind::Object(entries) = &p.value.kind else {
            continue;
        };
        for entry in entries {
            match (p.key.name.as_str(), &entry.value.kind) {
                ("constraints", ExprKind::Object(options)) => {
                    schema
                        .constraints
                        .insert(&entry.key.name, options.as_slice());
                }
                ("one_of_required", _) => {
                    schema
                        .one_of
                        .insert(&entry.key.name, string_sets(&entry.value));
                }
                _ => {}
            }
        }
    }
    let type_name = native.type_name.as_plain()?;
    let properties: Vec<(&str, &TypeExpr, bool)> = native
        .members
        .iter()
        .filter_map(|m| match &m.kind {
            MemberKind::Property(field) => Some((
                field.name.name.as_str(),
                &field.ty,
                !matches!(field.ty.kind, TypeKind::Optional(_)),
            )),
            _ => None,
        })
        .collect();
    let mut maker = Maker {
        schema,
        params: Vec::new(),
        variant: 0,
    };
    let mut body = String::new();
    for set in maker.members(&properties, "", 0) {
        writeln!(body, "  {set}").unwrap();
    }
    let mut out = String::new();
    for (name, ty) in &maker.params {
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
    let templates = build(dir.path(), programs);
    let files = write(dir.path(), &templates);
    let files: Vec<PathBuf> = if tool == "tf-validate" {
        files
            .iter()
            .map(|f| f.parent().expect("a directory").to_path_buf())
            .collect()
    } else {
        files
    };
    // Each finding with the type whose template it is about.
    validate(tool, args, &files)
        .lines()
        .map(|line| {
            let of = files.iter().zip(&templates).find(|(f, _)| {
                line.strip_prefix(&*f.to_string_lossy())
                    .is_some_and(|rest| rest.starts_with([':', '/']))
            });
            match of {
                Some((_, (name, _))) => format!("{name}: {line}\n"),
                None => format!("{line}\n"),
            }
        })
        .collect()
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

/// The CloudFormation types whose schema says their service is shut down,
/// shutting down or in maintenance only (`deprecated = true`, from the
/// provider schema's `lifecycle`): cfn-lint refuses (E3710) or warns of
/// (W3696, W3697) every use of one, whatever its properties.
fn retired_cloudformation_types() -> Vec<String> {
    infra::stdlib::files()
        .filter(|(path, text)| {
            path.starts_with("native/cloudformation/") && text.contains("\n  deprecated = true\n")
        })
        .filter_map(|(_, text)| program(&text).map(|(name, _)| name))
        .collect()
}

#[test]
fn a_fixed_sample_of_300_cloudformation_types_passes_cfn_validate() {
    let found = venv_has("CFN_VENV", "/opt/cfn-venv", "bin/cfn-lint");
    if !tools::available("cfn-lint (../shared/tools/cfn-setup)", found) {
        return;
    }
    let retired = retired_cloudformation_types();
    // cfn-lint 1.58: 13 shut down, 76 sunsetting, 8 in maintenance.
    assert_eq!(retired.len(), 97, "retired types: {retired:?}");
    let programs = programs_of(
        |n| cloudformation(n) && !retired.iter().any(|r| r == n),
        300,
        0x5eed_c0de,
    );
    assert_eq!(programs.len(), 300);
    let report = built_and_validated(&programs, "cfn-validate", &[]);
    assert!(report.is_empty(), "cfn-validate found problems:\n{report}");
}

/// A Heat type whose `validate()` asks more than its schema says (a rule in
/// the plugin's code): the properties that meet the rule, each replacing
/// what the schema made, and any other declaration the program needs.
struct HeatRule {
    type_name: &'static str,
    properties: &'static [(&'static str, &'static str)],
    declarations: &'static str,
}

const fn rule(
    type_name: &'static str,
    properties: &'static [(&'static str, &'static str)],
) -> HeatRule {
    HeatRule {
        type_name,
        properties,
        declarations: "",
    }
}

/// The rules `one_of_required` does not say, and the values of a member
/// it names where a param left open will not do: Heat's `validate()`
/// reads a param without a value as no value.
const HEAT_RULES: &[HeatRule] = &[
    // "Properties algorithm and bit_length are required for key type of order."
    rule(
        "OS::Barbican::Order",
        &[("algorithm", "\"aes\""), ("bit_length", "256")],
    ),
    // "Property email is required for zone type PRIMARY."
    rule("OS::Designate::Zone", &[("email", "\"dns@example.com\"")]),
    // The resources it allows must be in the stack.
    HeatRule {
        type_name: "OS::Heat::AccessPolicy",
        properties: &[("AllowedResources", "[\"other\"]")],
        declarations: "resource other: OS::Heat::None {}\n",
    },
    // The resource definitions must name a type.
    rule(
        "OS::Heat::AutoScalingGroup",
        &[("resource", "{ type = \"OS::Heat::None\" }")],
    ),
    rule(
        "OS::Heat::ResourceGroup",
        &[("resource_def", "{ type = \"OS::Heat::None\" }")],
    ),
    rule(
        "OS::Heat::ResourceChain",
        &[("resources", "[\"OS::Heat::None\"]")],
    ),
    // The members of a one-of rule that are strings.
    rule("OS::Mistral::CronTrigger", &[("pattern", "\"0 * * * *\"")]),
    rule(
        "OS::Mistral::Workflow",
        &[("tasks", "[{ name = \"noop\", action = \"std.noop\" }]")],
    ),
    rule("OS::Neutron::RouterInterface", &[("subnet", "\"private\"")]),
    rule("OS::Neutron::Subnet", &[("cidr", "\"10.0.0.0/24\"")]),
    rule("OS::Octavia::Pool", &[("loadbalancer", "\"lb\"")]),
    rule("OS::Nova::Server", &[("image", "\"cirros\"")]),
    // The subscriber is a URL of a scheme Zaqar sends to.
    rule(
        "OS::Zaqar::Subscription",
        &[("subscriber", "\"mailto:ops@example.com\"")],
    ),
];

/// Heat types left out of the validation, and why.
const HEAT_LEFT_OUT: &[(&str, &str)] = &[(
    "OS::Heat::InstanceGroup",
    "its LaunchConfigurationName must name an AWS::AutoScaling::LaunchConfiguration \
     of the same stack, one of Heat's AWS-compatible types, which Infra spells in \
     CloudFormation's vocabulary and cannot declare on Heat",
)];

/// `program` with the properties and declarations `HEAT_RULES` gives its
/// type.
fn with_heat_rules((name, text): (String, String)) -> (String, String) {
    let Some(rule) = HEAT_RULES.iter().find(|r| r.type_name == name) else {
        return (name, text);
    };
    let mut out = String::from(rule.declarations);
    for line in text.lines() {
        if rule
            .properties
            .iter()
            .any(|(p, _)| line.starts_with(&format!("  {p} = ")))
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.starts_with("resource r: ") {
            for (p, v) in rule.properties {
                writeln!(out, "  {p} = {v}").unwrap();
            }
        }
    }
    (name, out)
}

#[test]
fn every_heat_type_passes_heat_validate() {
    let found = venv_has("HEAT_VENV", "/opt/heat-venv", "bin/python");
    if !tools::available("Heat (../shared/tools/heat-setup)", found) {
        return;
    }
    let programs: Vec<_> = programs_of(
        |n| heat(n) && !HEAT_LEFT_OUT.iter().any(|(t, _)| *t == n),
        usize::MAX,
        1,
    )
    .into_iter()
    .map(with_heat_rules)
    .collect();
    assert_eq!(programs.len(), 139, "every Heat type but those left out");
    let report = built_and_validated(&programs, "heat-validate", &[]);
    assert!(report.is_empty(), "heat-validate found problems:\n{report}");
}
