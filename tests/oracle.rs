//! The semantic oracle over every example, ui test and generated program:
//! for params chosen to take each condition both ways, each target's
//! template deploys exactly the copies of the program's resources that the
//! program says exist, every dependency the program states holds in the
//! template, and nothing evaluates to a null or a value of the wrong kind.

#[path = "support/oracle/mod.rs"]
mod oracle;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use infra::ir::Target;
use infra::sema::check::Program;
use infra::sema::eval::Value;
use infra::sema::params::{ParamInfo, ParamType};
use oracle::reference::{self, Instance};

/// Values tried for a param without default or allowed values, in order:
/// the first that meets its constraints is used.
const CANDIDATE_STRINGS: &[&str] = &[
    "ami-0123456789abcdef0",
    "cirros",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly ci",
    "10.0.0.0/16",
    "example.com",
    "admin@example.com",
    "Passw0rd-Passw0rd",
    "a",
    "abc-123",
    "abc1",
];

/// A value of `info`'s type that meets its constraints.
fn some_value(info: &ParamInfo, name: &str) -> Option<Value> {
    // A pattern this compiler's engine cannot run (a look-ahead) checks
    // nothing here: such a param gets plain letters and digits.
    let unchecked_pattern = info
        .constraints
        .pattern
        .as_ref()
        .is_some_and(|p| p.value.regex.is_none());
    let fits = |v: &Value| {
        info.constraints.violations(v).is_empty()
            && (!unchecked_pattern
                || matches!(v, Value::String(s) if s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && s.chars().any(|c| c.is_ascii_digit())))
    };
    let candidates: Vec<Value> = match &info.ty {
        ParamType::Bool => vec![Value::Bool(false), Value::Bool(true)],
        ParamType::Int | ParamType::Number => {
            let mut c: Vec<Value> = [1, 60, 100, 300, 1024]
                .into_iter()
                .map(Value::Int)
                .collect();
            c.extend(info.constraints.min.iter().map(|m| m.value.clone()));
            c
        }
        ParamType::Literal(l) => vec![Value::String(l.clone())],
        ParamType::Union(members) => members
            .iter()
            .filter_map(|m| match m {
                ParamType::Literal(l) => Some(Value::String(l.clone())),
                _ => None,
            })
            .collect(),
        ParamType::List(_) => vec![Value::List(vec![Value::String("a".into())])],
        _ => {
            let mut c: Vec<Value> = CANDIDATE_STRINGS
                .iter()
                .map(|s| Value::String(s.to_string()))
                .collect();
            if name.contains("key") {
                c.swap(0, 2);
            }
            c
        }
    };
    let mut candidates = candidates;
    if let Some(allowed) = &info.constraints.allowed {
        candidates = allowed.value.clone();
    }
    candidates.into_iter().find(fits)
}

/// Assignments of the params that a deployment must give or may choose:
/// first the defaults (and a valid value for params without one), then, one
/// param at a time, every other value of a bool or of a param with a
/// finite set of values, so that each condition on one param is taken both
/// ways.
fn assignments(program: &Program) -> Vec<IndexMap<String, Value>> {
    let mut base = IndexMap::new();
    for (name, info) in &program.params {
        if info.value.is_some() {
            continue;
        }
        let value = info.default.clone().or_else(|| some_value(info, name));
        if let Some(value) = value {
            base.insert(name.clone(), value);
        }
    }
    let mut out = vec![base.clone()];
    for (name, info) in &program.params {
        if info.value.is_some() {
            continue;
        }
        let choices: Vec<Value> = match (&info.constraints.allowed, &info.ty) {
            (Some(allowed), _) => allowed.value.clone(),
            (None, ParamType::Bool) => vec![Value::Bool(false), Value::Bool(true)],
            (None, ParamType::Union(members)) => members
                .iter()
                .filter_map(|m| match m {
                    ParamType::Literal(l) => Some(Value::String(l.clone())),
                    _ => None,
                })
                .collect(),
            (None, ParamType::Int) => [&info.constraints.min, &info.constraints.max]
                .into_iter()
                .flatten()
                .map(|c| c.value.clone())
                .collect(),
            _ => Vec::new(),
        };
        for choice in choices {
            if base.get(name) == Some(&choice) {
                continue;
            }
            let mut next = base.clone();
            next.insert(name.clone(), choice);
            out.push(next);
        }
    }
    out
}

/// Checks one program on one target for every assignment; what is wrong
/// goes into `failures`. Returns whether the program built for the target.
fn check_target(
    path: &Path,
    program: &Program,
    target: Target,
    failures: &mut Vec<String>,
) -> bool {
    check_target_with(path, program, target, None, failures)
}

/// `check_target`, for the assignments of `program`'s params, or, when
/// `given`, for that one, whose values `program` was checked with at
/// compile time.
fn check_target_with(
    path: &Path,
    program: &Program,
    target: Target,
    given: Option<&IndexMap<String, Value>>,
    failures: &mut Vec<String>,
) -> bool {
    if !program.deploys() {
        return false;
    }
    let entry = &program.modules[program.entry.0 as usize];
    let (deployment, lowering) = infra::lower::lower(program, target);
    if infra::diagnostics::has_errors(&lowering) {
        return false;
    }
    // Heat's member templates, written beside the template and deployed
    // as the nested stacks of their groups.
    let (deployment, members) = infra::stacks::member_templates(
        deployment,
        "main",
        &|_, d: &infra::ir::Deployment, _, text| (infra::backend::names(d), d.clone(), text),
    );
    let (text, emitting) = infra::backend::emit(&deployment);
    if infra::diagnostics::has_errors(&emitting)
        || members
            .iter()
            .any(|m| infra::diagnostics::has_errors(&m.diagnostics))
    {
        return false;
    }
    let template: serde_json::Value = serde_json::from_str(&text).expect("a template is JSON");
    let names = infra::backend::names(&deployment);
    let files: IndexMap<String, serde_json::Value> = members
        .iter()
        .map(|m| {
            let group = m.stack.as_deref().unwrap_or_default();
            let file = target.stack_file_name("main", group).unwrap_or_default();
            (
                file,
                serde_json::from_str(&m.finished.2.text).expect("a template is JSON"),
            )
        })
        .collect();
    // A deployed resource's IR resource, and the member of a group it is
    // in: `web[1].web_server` is `web_server` of member 1 of the group
    // `web`'s member template.
    let resource_of = |name: &str| -> Option<(&infra::ir::Resource, Option<usize>)> {
        if let Some((outer, inner)) = name.split_once("].")
            && let Some((group, index)) = outer.split_once('[')
        {
            let m = members
                .iter()
                .position(|m| m.stack.as_deref() == Some(group))?;
            let (member_names, member, _) = &members[m].finished;
            let at = member_names.resources.iter().position(|n| n == inner)?;
            return Some((&member.resources[at], index.parse().ok()));
        }
        let at = names.resources.iter().position(|n| *n == name)?;
        Some((&deployment.resources[at], None))
    };
    // The entry file's resource each native resource was made for.
    let item_of_span: BTreeMap<(usize, usize), usize> = entry
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match &item.kind {
            infra::syntax::ast::ItemKind::Resource(r) => {
                Some(((r.name.span.start as usize, r.name.span.end as usize), i))
            }
            _ => None,
        })
        .collect();
    let assignments = match given {
        Some(given) => vec![given.clone()],
        None => assignments(program),
    };
    let base = &assignments[0];
    for assignment in assignments.clone() {
        let shown: Vec<String> = assignment
            .iter()
            .map(|(k, v)| format!("{k}={}", infra::sema::eval::show(v)))
            .collect();
        let context = format!(
            "{} on {} with {}{}",
            path.display(),
            target.name(),
            shown.join(" "),
            if given.is_some() {
                " (given at compile time)"
            } else {
                ""
            }
        );
        let said = reference::evaluate(program, &assignment, target.name());
        for problem in &said.problems {
            failures.push(format!("{context}: reference: {problem}"));
        }
        // A param the template leaves out (read only where lowering folded
        // it away) is not given.
        let declared = ["Parameters", "parameters", "variable"]
            .iter()
            .find_map(|section| template.get(section));
        let mut params = IndexMap::new();
        for (p, name) in deployment.params.iter().zip(&names.params) {
            if let Some(v) = assignment.get(&p.name)
                && declared.is_some_and(|d| d.get(name).is_some())
            {
                params.insert(name.clone(), v.to_json());
            }
        }
        let deployed = oracle::deploy_with_files(target, &template, &params, &files);
        if given.is_none() && assignment == *base {
            check_constraints(
                &context,
                program,
                &deployment,
                &names,
                target,
                &template,
                &params,
                failures,
            );
        }
        for problem in &deployed.problems {
            failures.push(format!("{context}: template: {problem}"));
        }
        // Each deployed native resource, as the copy of the program's
        // resource it was made for.
        let mut natives: BTreeMap<Instance, Vec<String>> = BTreeMap::new();
        for (key, native) in &deployed.resources {
            let Some((r, member)) = resource_of(&native.name) else {
                failures.push(format!(
                    "{context}: `{key}` is deployed but the program made no such resource"
                ));
                continue;
            };
            // Read, not deployed (`existing`): Heat adopts it, and neither
            // side counts it.
            if r.existing {
                continue;
            }
            let Some(&item) = item_of_span.get(&(r.span.start as usize, r.span.end as usize))
            else {
                failures.push(format!(
                    "{context}: `{key}` comes from no resource of the entry file"
                ));
                continue;
            };
            // A copy of a deploy-time count is the target's copy; a
            // conditional resource's `count = c ? 1 : 0` makes no copies,
            // nor do copies counted inside one instance of a component
            // (a load balancer's member for each server counted), nor
            // copies counted inside a copy unrolled at compile time.
            let repeated = matches!(
                &entry.items[item].kind,
                infra::syntax::ast::ItemKind::Resource(e) if e.for_guard.is_some()
            );
            let copy = match (&r.count, member) {
                (_, Some(i)) if repeated => Some(i as u32),
                (Some(_), _) if repeated && r.copy.is_none() => native
                    .index
                    .map(|i| i as u32)
                    .or_else(|| keyed_copy(r, key, &assignment)),
                _ => r.copy,
            };
            natives.entry((item, copy)).or_default().push(key.clone());
        }
        let name_of = |i: &Instance| {
            let base = said
                .instances
                .get(i)
                .map(|s| s.name.clone())
                .or_else(|| match &entry.items[i.0].kind {
                    infra::syntax::ast::ItemKind::Resource(r) => Some(r.name.name.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            match i.1 {
                Some(c) => format!("{base}[{c}]"),
                None => base,
            }
        };
        // A resource of a type made of nothing on this target (a
        // `deploy.Context`) deploys nothing.
        let made: BTreeSet<usize> = deployment
            .resources
            .iter()
            .filter(|r| !r.existing)
            .filter_map(|r| {
                item_of_span
                    .get(&(r.span.start as usize, r.span.end as usize))
                    .copied()
            })
            .collect();
        let expected: BTreeSet<&Instance> = said
            .instances
            .keys()
            .filter(|instance| made.contains(&instance.0) && said.instances[instance].deploys)
            .collect();
        let got: BTreeSet<&Instance> = natives.keys().collect();
        for missing in expected.difference(&got) {
            failures.push(format!(
                "{context}: the program deploys `{}`, the template does not",
                name_of(missing)
            ));
        }
        for extra in got.difference(&expected) {
            failures.push(format!(
                "{context}: the template deploys `{}` ({}), the program does not",
                name_of(extra),
                natives[*extra].join(", ")
            ));
        }
        // Each template prints the policy lowering decided.
        for native in deployed.resources.values() {
            let Some((r, _)) = resource_of(&native.name) else {
                continue;
            };
            let decided = r.deletion.map(|d| format!("{d:?}"));
            let printed = match target {
                // Terraform keeps a resource by refusing to destroy it.
                Target::TerraformAws | Target::TerraformOpenstack => decided
                    .filter(|d| d != "Delete")
                    .map(|_| "Retain".to_string()),
                _ => decided,
            };
            if native.deletion != printed {
                failures.push(format!(
                    "{context}: `{}` is deleted as {:?}, lowering decided {printed:?}",
                    native.name, native.deletion
                ));
            }
        }
        for (instance, s) in &said.instances {
            let Some(from) = natives.get(instance) else {
                continue;
            };
            // What the program says becomes of its data.
            let kept = from.iter().any(|k| {
                matches!(
                    deployed.resources[k].deletion.as_deref(),
                    Some("Retain" | "Snapshot")
                )
            });
            let snapshot = from
                .iter()
                .any(|k| deployed.resources[k].deletion.as_deref() == Some("Snapshot"));
            let wrong = match s.deletion.as_deref() {
                Some("protected" | "retain") => !kept,
                Some("snapshot") => match target {
                    Target::TerraformAws | Target::TerraformOpenstack => !kept,
                    _ => !snapshot,
                },
                Some("delete") | None => kept && s.deletion.is_some(),
                Some(_) => false,
            };
            if wrong {
                failures.push(format!(
                    "{context}: `{}` says {:?}, but its resources {from:?} are deleted as {:?}",
                    name_of(instance),
                    s.deletion,
                    from.iter()
                        .map(|k| deployed.resources[k].deletion.clone())
                        .collect::<Vec<_>>()
                ));
            }
            for group in &s.references {
                let group: BTreeSet<&Instance> = group.iter().map(|(to, _)| to).collect();
                let to_natives: Vec<&String> = group
                    .iter()
                    .filter_map(|to| natives.get(*to))
                    .flatten()
                    .collect();
                if to_natives.is_empty() {
                    continue;
                }
                let holds = from
                    .iter()
                    .any(|a| to_natives.iter().any(|b| deployed.depends(a, b)));
                if !holds {
                    let names: Vec<String> = group.iter().map(|i| name_of(i)).collect();
                    failures.push(format!(
                        "{context}: `{}` refers to `{}`, but none of {from:?} depends on any of {to_natives:?}",
                        name_of(instance),
                        names.join("` or `")
                    ));
                }
            }
            for to in &s.depends_on {
                let Some(to_natives) = natives.get(to) else {
                    continue;
                };
                for a in from {
                    for b in to_natives {
                        if !deployed.depends(a, b) {
                            failures.push(format!(
                                "{context}: `{}` depends on `{}`, but `{a}` does not depend on `{b}`",
                                name_of(instance),
                                name_of(to)
                            ));
                        }
                    }
                }
            }
        }
    }
    true
}

/// Values tried against each param's constraints.
const PROBES: &[&str] = &[
    "",
    "a",
    "A",
    "web-1",
    "Web-1",
    "abc1",
    "ab",
    "a b",
    "10.0.0.0/16",
    "x@example.com",
    "small",
    "large",
    "huge",
    "web",
];

/// A param's constraints are decided by the compiler and written in each
/// target's terms: each template accepts exactly the values the compiler
/// accepts (where the compiler can decide), among some probes.
#[allow(clippy::too_many_arguments)]
fn check_constraints(
    context: &str,
    program: &Program,
    deployment: &infra::ir::Deployment,
    names: &infra::backend::Names,
    target: Target,
    template: &serde_json::Value,
    base: &IndexMap<String, serde_json::Value>,
    failures: &mut Vec<String>,
) {
    let baseline = oracle::deploy(target, template, base).problems.len();
    for (p, name) in deployment.params.iter().zip(&names.params) {
        let Some(info) = program.params.get(&p.name) else {
            continue;
        };
        let textual = matches!(
            info.ty,
            ParamType::String | ParamType::Union(_) | ParamType::Literal(_)
        );
        if !base.contains_key(name) || !textual {
            continue;
        }
        let checkable = info
            .constraints
            .pattern
            .as_ref()
            .is_none_or(|p| p.value.regex.is_some());
        // A CloudFormation param of an AWS type (an image id) is checked
        // against the account as well: a refinement of the target's own.
        let aws_typed = template
            .pointer(&format!("/Parameters/{name}/Type"))
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("AWS::"));
        if !checkable || p.secret || aws_typed {
            continue;
        }
        for probe in PROBES {
            let value = Value::String(probe.to_string());
            let accepted = info.ty.coerce(value.clone()).is_ok()
                && info.constraints.violations(&value).is_empty();
            let mut params = base.clone();
            params.insert(name.clone(), serde_json::Value::String(probe.to_string()));
            let refused = oracle::deploy(target, template, &params).problems.len() > baseline;
            if accepted == refused {
                failures.push(format!(
                    "{context}: param `{}` = {probe:?} is {} by the compiler and {} by the template",
                    p.name,
                    if accepted { "accepted" } else { "refused" },
                    if refused { "refused" } else { "accepted" },
                ));
            }
        }
    }
}

/// Checks a program on every target it builds for; returns the targets it
/// built for.
fn check_program(path: &Path, failures: &mut Vec<String>) -> Vec<Target> {
    let options = infra::Options::default();
    let checked = infra::check(&[path.to_path_buf()], &options).expect("readable");
    if infra::diagnostics::has_errors(&checked.diagnostics) {
        return Vec::new();
    }
    let Some((_, program)) = checked.programs.first() else {
        return Vec::new();
    };
    let mut built = Vec::new();
    // The targets whose vocabulary the program's native types are of.
    for target in infra::lower::targets_of(program, &[], &mut Vec::new()) {
        if check_target(path, program, target, failures) {
            built.push(target);
        }
    }
    // The same assignments given at compile time, where they are folded
    // into the program instead of becoming template parameters.
    for assignment in assignments(program) {
        let mut options = infra::Options::default();
        for (name, value) in &assignment {
            if program.params.get(name).is_some_and(|info| !info.secret) {
                options.params.insert(
                    name.clone(),
                    infra::params::Given {
                        value: infra::params::GivenValue::Json(value.to_json()),
                        origin: infra::params::Origin::Flag,
                    },
                );
            }
        }
        // A value a target refuses at compile time (a CloudFormation image
        // that is not an AMI id) is a coded error, not a miscompilation:
        // only what builds is compared.
        let checked = infra::check(&[path.to_path_buf()], &options).expect("readable");
        if infra::diagnostics::has_errors(&checked.diagnostics) {
            continue;
        }
        let program = &checked.programs[0].1;
        for &target in &built {
            check_target_with(path, program, target, Some(&assignment), failures);
        }
    }
    built
}

/// The program's index of a Terraform copy keyed by `for_each` over a
/// list param (`TYPE.NAME["b"]`): the position of its key in the list.
fn keyed_copy(
    r: &infra::ir::Resource,
    key: &str,
    assignment: &IndexMap<String, Value>,
) -> Option<u32> {
    let Some(infra::ir::Expr::Param(name)) = r.for_each.as_deref() else {
        return None;
    };
    let element: String = serde_json::from_str(key.rsplit_once('[')?.1.strip_suffix(']')?).ok()?;
    match assignment.get(name)? {
        Value::List(items) => items
            .iter()
            .position(|v| matches!(v, Value::String(s) if *s == element))
            .map(|i| i as u32),
        _ => None,
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory exists")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.join("main.infra").is_file() {
                out.push(path.join("main.infra"));
            } else {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "infra") {
            out.push(path);
        }
    }
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} findings:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn examples_deploy_what_they_say() {
    let mut programs = Vec::new();
    collect(Path::new("examples"), &mut programs);
    let mut failures = Vec::new();
    for path in &programs {
        let built = check_program(path, &mut failures);
        let portable = !path.starts_with("examples/native");
        if portable {
            assert_eq!(
                built,
                Target::ALL,
                "{} builds for every target",
                path.display()
            );
        } else {
            assert_eq!(built.len(), 1, "{} builds for its target", path.display());
        }
    }
    report(&failures);
}

#[test]
fn ui_programs_that_build_deploy_what_they_say() {
    let mut programs = Vec::new();
    collect(Path::new("tests/ui"), &mut programs);
    let mut failures = Vec::new();
    let mut built = 0;
    for path in &programs {
        built += check_program(path, &mut failures).len();
    }
    assert!(built > 0, "some ui programs build for some target");
    report(&failures);
}

#[test]
fn oracle_programs_deploy_what_they_say() {
    let mut programs = Vec::new();
    collect(Path::new("tests/oracle"), &mut programs);
    let mut failures = Vec::new();
    for path in &programs {
        let built = check_program(path, &mut failures);
        assert_eq!(
            built,
            Target::ALL,
            "{} builds for every target",
            path.display()
        );
    }
    report(&failures);
}

/// The copies of each resource of `path` that the reference says exist for
/// its default params.
fn copies(path: &str) -> BTreeMap<String, Vec<Option<u32>>> {
    let checked = infra::check(&[PathBuf::from(path)], &infra::Options::default()).unwrap();
    assert!(!infra::diagnostics::has_errors(&checked.diagnostics));
    let program = &checked.programs[0].1;
    let said = reference::evaluate(program, &IndexMap::new(), "cloudformation");
    let mut out: BTreeMap<String, Vec<Option<u32>>> = BTreeMap::new();
    for ((_, copy), s) in &said.instances {
        out.entry(s.name.clone()).or_default().push(*copy);
    }
    out
}

#[test]
fn a_loop_guard_sees_its_loop_variable() {
    let copies = copies("tests/oracle/loop_guards.infra");
    assert_eq!(copies["later"], [Some(1), Some(2)]);
    assert_eq!(copies["not_first"], [Some(1), Some(2)]);
    assert_eq!(copies["public"], [Some(0), Some(2)]);
    assert_eq!(copies["optional"], [Some(1)]);
}

#[test]
fn names_collide_only_where_the_target_makes_them_one() {
    let path = PathBuf::from("tests/oracle_cases/copies_named_alike.infra");
    refused_on_cloudformation_deployed_elsewhere(&path);
    let (_, templates) = infra::build(
        std::slice::from_ref(&path),
        &infra::Options::default(),
        &[Target::CloudFormation],
    )
    .unwrap();
    assert!(templates.is_empty());
}

#[test]
fn unbounded_counts_of_servers_and_their_members_deploy_what_they_say_on_heat_and_terraform() {
    // CloudFormation needs a bound (E0504). The others deploy the default
    // count, 2, and the param's `min`, 0.
    refused_on_cloudformation_deployed_elsewhere(Path::new(
        "tests/oracle_cases/counted_servers_and_members.infra",
    ));
}

/// The program at `path` does not build for CloudFormation, and deploys
/// what it says on Heat and both Terraform providers.
fn refused_on_cloudformation_deployed_elsewhere(path: &Path) {
    let checked = infra::check(&[path.to_path_buf()], &infra::Options::default()).unwrap();
    let program = &checked.programs[0].1;
    let mut failures = Vec::new();
    assert!(!check_target(
        path,
        program,
        Target::CloudFormation,
        &mut failures
    ));
    for target in [
        Target::Heat,
        Target::TerraformAws,
        Target::TerraformOpenstack,
    ] {
        assert!(
            check_target(path, program, target, &mut failures),
            "{target:?}"
        );
    }
    report(&failures);
}

/// How many generated programs the oracle checks: 200, or `ORACLE_SEEDS`
/// (the long run: `ORACLE_SEEDS=10000 cargo test --release --test oracle
/// generated`), from `ORACLE_FIRST_SEED` (0).
fn generated_seeds() -> std::ops::Range<u64> {
    let number = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |s| s.parse().expect("a number"))
    };
    let first = number("ORACLE_FIRST_SEED", 0);
    first..first + number("ORACLE_SEEDS", 200)
}

#[test]
fn generated_programs_deploy_what_they_say() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut built = 0;
    let seeds = generated_seeds();
    let count = seeds.end - seeds.start;
    for seed in seeds {
        let path = dir.path().join(format!("seed_{seed}.infra"));
        std::fs::write(&path, oracle::generate::program(seed)).expect("writable");
        let before = failures.len();
        built += check_program(&path, &mut failures).len();
        if failures.len() > before {
            failures.push(format!(
                "seed {seed}:\n{}",
                std::fs::read_to_string(&path).unwrap_or_default()
            ));
        }
    }
    eprintln!("{count} generated programs, {built} (program, target) pairs built and compared");
    assert!(
        built as u64 >= count * 3,
        "most generated programs build for most targets"
    );
    report(&failures);
}
