//! Nested stacks: a generated portable program too large for one template
//! of CloudFormation (over 500 resources) and of Heat (over 524,288 bytes)
//! is built into a parent and children that the real validators accept,
//! whose resources are the unsplit template's, each once, with every
//! reference across stacks wired to the output that gives it and every
//! `depends_on` across stacks kept between the stack resources, and every
//! copy read from a list parameter traced to its place in the list; adding
//! a declaration changes only the parent and the child that holds it. Two
//! programs: one declaration per server, and declarations of copies (`for`)
//! reading each other's copies.
//!
//! `cargo test --release --test stacks -- --ignored` runs the same on
//! programs of about 50,000 resources of both shapes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

#[path = "support/tools.rs"]
mod tools;

use infra::ir::Target;

/// A network of `subnets` subnets, each with a security group and
/// `servers` servers, each server with a data volume; the first server of
/// each subnet waits for the router, a bastion exists in production only,
/// and outputs read servers and the bastion. With `extra`, one more
/// declaration at the end: a volume on the first server.
fn program(subnets: usize, servers: usize, extra: bool) -> String {
    let boot: String = (0..12)
        .map(|i| format!("echo step {i} of the first boot of this server\\n"))
        .collect();
    let mut out = String::from(
        "param env: \"staging\" | \"production\" = \"staging\"\n\
         param image: string\n\
         let is_prod = env == \"production\"\n\n\
         resource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n\n\
         resource gateway: network.Router {\n  network = net\n  subnets = [subnet_0]\n}\n\n\
         resource bastion: compute.Server if is_prod {\n  image = image\n  subnet = subnet_0\n}\n\n\
         resource bastion_ip: network.FloatingIp if is_prod {\n  server = bastion\n}\n\n",
    );
    for s in 0..subnets {
        out.push_str(&format!(
            "resource subnet_{s}: network.Subnet {{\n  network = net\n  cidr = \"10.{}.{}.0/24\"\n}}\n\n",
            s / 256,
            s % 256
        ));
        out.push_str(&format!(
            "resource sg_{s}: network.SecurityGroup {{\n  network = net\n  ingress = [{{ protocol = \"tcp\", port = 22, cidr = \"10.0.0.0/8\" }}]\n}}\n\n"
        ));
        for k in 0..servers {
            let wait = if k == 0 {
                "  depends_on = [gateway]\n"
            } else {
                ""
            };
            out.push_str(&format!(
                "resource server_s{s}_n{k}: compute.Server {{\n  image = image\n  subnet = subnet_{s}\n  security_groups = [sg_{s}]\n  user_data = \"{boot}\"\n{wait}}}\n\n"
            ));
            out.push_str(&format!(
                "resource data_s{s}_n{k}: storage.Volume {{\n  size_gb = 10\n  attach_to = server_s{s}_n{k}\n}}\n\n"
            ));
        }
    }
    out.push_str("output first_server = server_s0_n0.private_ip\n");
    out.push_str("output bastion_address = is_prod ? bastion_ip.address : \"\"\n");
    if extra {
        out.push_str(
            "\nresource extra: storage.Volume {\n  size_gb = 20\n  attach_to = server_s0_n1\n}\n",
        );
    }
    out
}

/// `blocks` blocks of `copies` subnets, security groups, servers and
/// volumes, each declaration one `for` (the bench's program): each server
/// reads its copy of its block's subnets and groups, so a stack of servers
/// reads lists of copies of another; an output reads one server. With
/// `extra`, one more declaration at the end: a volume on a server.
fn looped_program(blocks: usize, copies: usize, extra: bool) -> String {
    let mut out = String::from(
        "param env: \"staging\" | \"production\" = \"staging\"\n\
         param image: string\n\n\
         resource net: network.Network {\n  name = \"${env}-net\"\n  cidr = \"10.0.0.0/8\"\n}\n\n",
    );
    for b in 0..blocks {
        let first = b * copies;
        out.push_str(&format!(
            "resource b{b}_subnet: network.Subnet for i in 0..{copies} {{\n  network = net\n  cidr = \"10.${{({first} + i) / 250}}.${{({first} + i) % 250}}.0/24\"\n}}\n\n\
             resource b{b}_sg: network.SecurityGroup for i in 0..{copies} {{\n  network = net\n  ingress = [{{ protocol = \"tcp\", port = 443, cidr = \"10.0.0.0/8\" }}]\n}}\n\n\
             resource b{b}_server: compute.Server for i in 0..{copies} {{\n  name = \"${{env}}-server-${{({first} + i)}}\"\n  image = image\n  subnet = b{b}_subnet[i]\n  security_groups = [b{b}_sg[i]]\n}}\n\n\
             resource b{b}_volume: storage.Volume for i in 0..{copies} {{\n  size_gb = 10\n  attach_to = b{b}_server[i]\n}}\n\n"
        ));
    }
    out.push_str("output first_server = b0_server[1].private_ip\n");
    if extra {
        out.push_str(
            "\nresource extra: storage.Volume {\n  size_gb = 20\n  attach_to = b0_server[2]\n}\n",
        );
    }
    out
}

/// A build's files, by name: templates and source maps.
type Files = BTreeMap<String, String>;

/// Builds `path` for CloudFormation and Heat; the files `infra build`
/// writes, and each target's unsplit template as the backend prints the
/// whole deployment.
fn build(path: &Path) -> (Files, BTreeMap<Target, Value>) {
    let targets = [Target::CloudFormation, Target::Heat];
    let options = infra::Options::default();
    let (checked, templates) =
        infra::build(&[path.to_path_buf()], &options, &targets).expect("readable program");
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.severity == infra::diagnostics::Severity::Error)
        .map(|d| format!("{}: {}", d.code.id, d.message))
        .collect();
    assert!(errors.is_empty(), "the program does not build: {errors:?}");
    let names = infra::output_names(&checked.db, &templates);
    let mut files = Files::new();
    for (name, template) in names.iter().zip(&templates) {
        files.insert(name.clone(), template.text.clone());
        files.insert(infra::sourcemap::map_name(name), template.map.clone());
    }
    let program = &checked.programs[0].1;
    let wholes = targets
        .iter()
        .map(|&target| {
            let (deployment, _) = infra::lower::lower(program, target);
            let (text, _) = infra::backend::emit(&deployment);
            (target, serde_json::from_str(&text).expect("JSON"))
        })
        .collect();
    (files, wholes)
}

fn write(dir: &Path, files: &Files) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("writable");
    }
}

/// `count` queues appended to `source`, each a declaration of its own: a
/// program made too large for one template.
fn push_queues(source: &mut String, count: usize) {
    for i in 0..count {
        source.push_str(&format!(
            "\nresource pad_{i}: queue.Queue {{\n  name = \"q-{i}\"\n}}\n"
        ));
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("infra-stacks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// How a target's template spells what the check reads.
struct Spelling {
    target: Target,
    resources: &'static str,
    outputs: &'static str,
    value: &'static str,
    param_ref: &'static str,
    depends_on: &'static str,
    parent_file: &'static str,
}

const CLOUDFORMATION: Spelling = Spelling {
    target: Target::CloudFormation,
    resources: "Resources",
    outputs: "Outputs",
    value: "Value",
    param_ref: "Ref",
    depends_on: "DependsOn",
    parent_file: "main.template.json",
};

const HEAT: Spelling = Spelling {
    target: Target::Heat,
    resources: "resources",
    outputs: "outputs",
    value: "value",
    param_ref: "get_param",
    depends_on: "depends_on",
    parent_file: "main.hot.json",
};

impl Spelling {
    /// The child file of a stack resource, and the parameters it is given.
    fn stack<'v>(&self, resource: &'v Value) -> (String, &'v serde_json::Map<String, Value>) {
        static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> =
            std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(serde_json::Map::new);
        match self.target {
            Target::CloudFormation => {
                assert_eq!(resource["Type"], "AWS::CloudFormation::Stack");
                let properties = &resource["Properties"];
                let file = properties["TemplateURL"].as_str().expect("TemplateURL");
                let given = properties["Parameters"].as_object().unwrap_or(empty);
                (file.to_string(), given)
            }
            _ => {
                let file = resource["type"].as_str().expect("type");
                let given = resource["properties"].as_object().unwrap_or(empty);
                (file.to_string(), given)
            }
        }
    }

    /// The stack and output a parent's value reads, if it reads one.
    fn output_read<'v>(&self, value: &'v Value) -> Option<(&'v str, String)> {
        match self.target {
            Target::CloudFormation => {
                let get = value.get("Fn::GetAtt")?.as_array()?;
                let output = get[1].as_str()?.strip_prefix("Outputs.")?;
                Some((get[0].as_str()?, output.to_string()))
            }
            _ => {
                let get = value.get("get_attr")?.as_array()?;
                Some((get[0].as_str()?, get.get(1)?.as_str()?.to_string()))
            }
        }
    }

    /// A value without the wrapping a split adds: a list joined into text,
    /// a resource under a condition read as empty text when it is absent.
    fn unwrapped<'v>(&self, value: &'v Value) -> &'v Value {
        let (join, cond) = match self.target {
            Target::CloudFormation => ("Fn::Join", "Fn::If"),
            _ => ("list_join", "if"),
        };
        if let Some(args) = value.get(join).and_then(Value::as_array)
            && args.len() == 2
            && args[0] == ","
        {
            return self.unwrapped(&args[1]);
        }
        if let Some(args) = value.get(cond).and_then(Value::as_array)
            && args.len() == 3
            && args[2] == ""
        {
            return self.unwrapped(&args[1]);
        }
        value
    }

    /// The parent's stack name as the unsplit template reads it.
    fn stack_name(&self) -> Value {
        match self.target {
            Target::CloudFormation => serde_json::json!({ "Ref": "AWS::StackName" }),
            _ => serde_json::json!({ "get_param": "OS::stack_name" }),
        }
    }
}

fn depends(resource: &Value, key: &str) -> Vec<String> {
    match resource.get(key) {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Replaces, in a child's value, each read of a parameter by what the
/// parent gives it, traced to the value it stands for.
fn substitute(value: &mut Value, param_ref: &str, resolved: &BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(name)) = map.get(param_ref)
                && let Some(v) = resolved.get(name)
            {
                *value = v.clone();
                return;
            }
            // One copy read of a list parameter: Heat's `get_param [P, i]`.
            if map.len() == 1
                && let Some(Value::Array(path)) = map.get(param_ref)
                && let [Value::String(name), Value::Number(i)] = path.as_slice()
                && let Some(Value::Array(list)) = resolved.get(name)
                && let Some(v) = i.as_u64().and_then(|i| list.get(i as usize))
            {
                *value = v.clone();
                return;
            }
            if let Some(Value::String(text)) = map.get_mut("Fn::Sub") {
                *text = sub_text(text, resolved);
            }
            if let Some(Value::Array(args)) = map.get_mut("Fn::Sub")
                && let Some(Value::String(text)) = args.first_mut()
            {
                *text = sub_text(text, resolved);
            }
            for v in map.values_mut() {
                substitute(v, param_ref, resolved);
            }
            // CloudFormation's `Fn::Select [i, Ref P]` of a list parameter,
            // once `P` is traced to the list its output joins.
            if map.len() == 1
                && let Some(Value::Array(args)) = map.get("Fn::Select")
                && let [Value::Number(i), Value::Array(list)] = args.as_slice()
                && let Some(v) = i.as_u64().and_then(|i| list.get(i as usize))
            {
                *value = v.clone();
            }
        }
        Value::Array(items) => {
            for v in items {
                substitute(v, param_ref, resolved);
            }
        }
        _ => {}
    }
}

/// CloudFormation's `Fn::Sub` text with each `${Param}` traced.
fn sub_text(text: &str, resolved: &BTreeMap<String, Value>) -> String {
    let mut out = text.to_string();
    for (name, value) in resolved {
        let spelled = if let Some(r) = value.get("Ref").and_then(Value::as_str) {
            r.to_string()
        } else if let Some(get) = value.get("Fn::GetAtt").and_then(Value::as_array) {
            format!(
                "{}.{}",
                get[0].as_str().unwrap_or(""),
                get[1].as_str().unwrap_or("")
            )
        } else {
            continue;
        };
        out = out.replace(&format!("${{{name}}}"), &format!("${{{spelled}}}"));
    }
    out
}

/// The meaning of a split build: every resource of the unsplit template is
/// in exactly one child, and equal to it once each parameter is traced
/// through the parent to the output that gives it; every parameter is
/// given, every output read exists; each `depends_on` is kept, in the
/// child or between the stack resources.
fn check_meaning(files: &Files, whole: &Value, spelling: &Spelling) {
    let parse = |name: &str| -> Value {
        serde_json::from_str(files.get(name).unwrap_or_else(|| panic!("no file {name}")))
            .expect("JSON")
    };
    let parent = parse(spelling.parent_file);
    let stacks = parent[spelling.resources]
        .as_object()
        .expect("parent resources");
    assert!(stacks.len() > 1, "the program was not split");
    let children: BTreeMap<&str, (String, Value)> = stacks
        .iter()
        .map(|(name, r)| {
            let (file, _) = spelling.stack(r);
            let child = parse(&file);
            (name.as_str(), (file, child))
        })
        .collect();
    // Where each resource is, and no resource twice.
    let mut home: BTreeMap<String, &str> = BTreeMap::new();
    for (stack, (_, child)) in &children {
        for name in child[spelling.resources]
            .as_object()
            .expect("resources")
            .keys()
        {
            let earlier = home.insert(name.clone(), stack);
            assert!(earlier.is_none(), "{name} is in {stack} and {earlier:?}");
        }
    }
    let expected: BTreeSet<&String> = whole[spelling.resources]
        .as_object()
        .expect("resources")
        .keys()
        .collect();
    let found: BTreeSet<&String> = home.keys().collect();
    assert_eq!(
        found, expected,
        "the children's resources are not the program's"
    );

    for (stack, resource) in stacks {
        let (file, given) = spelling.stack(resource);
        let child = &children[stack.as_str()].1;
        let params: BTreeSet<&String> = child
            .get(if spelling.target == Target::Heat {
                "parameters"
            } else {
                "Parameters"
            })
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        let given_names: BTreeSet<&String> = given.keys().collect();
        assert_eq!(
            given_names, params,
            "{file}: parameters given and declared differ"
        );
        let mut resolved = BTreeMap::new();
        for (param, value) in given {
            let traced = match spelling.output_read(value) {
                Some((from, output)) => {
                    let (from_file, from_child) = &children[from];
                    let out = from_child[spelling.outputs]
                        .get(&output)
                        .unwrap_or_else(|| {
                            panic!("{file}: {param} reads {output}, which {from_file} lacks")
                        });
                    spelling.unwrapped(&out[spelling.value]).clone()
                }
                None if *value == spelling.stack_name() => value.clone(),
                None => spelling.unwrapped(value).clone(),
            };
            resolved.insert(param.clone(), traced);
        }
        let own_stack_deps: BTreeSet<String> = depends(resource, spelling.depends_on)
            .into_iter()
            .chain(
                given
                    .values()
                    .filter_map(|v| spelling.output_read(v))
                    .map(|(s, _)| s.to_string()),
            )
            .collect();
        for (name, r) in child[spelling.resources].as_object().expect("resources") {
            let mut traced = r.clone();
            substitute(&mut traced, spelling.param_ref, &resolved);
            let mut original = whole[spelling.resources][name].clone();
            let before = depends(&original, spelling.depends_on);
            let after = depends(&traced, spelling.depends_on);
            for dependency in &before {
                if home[dependency] == stack.as_str() {
                    assert!(
                        after.contains(dependency),
                        "{name} lost its dependency on {dependency}"
                    );
                } else {
                    assert!(
                        own_stack_deps.contains(home[dependency]),
                        "{name} depends on {dependency}, but {stack} does not wait for {}",
                        home[dependency]
                    );
                }
            }
            for r in [&mut traced, &mut original] {
                if let Some(map) = r.as_object_mut() {
                    map.remove(spelling.depends_on);
                }
                placeholders_by_value(r);
            }
            assert_eq!(traced, original, "{name} in {file} is not the program's");
        }
    }
    // The program's outputs read the children's outputs.
    for (name, output) in parent[spelling.outputs].as_object().into_iter().flatten() {
        let mut value = output[spelling.value].clone();
        let mut reads = Vec::new();
        collect_reads(&value, spelling, &mut reads);
        for (stack, out) in &reads {
            assert!(
                children[stack.as_str()].1[spelling.outputs]
                    .get(out)
                    .is_some(),
                "output {name} reads {out} of {stack}, which has none"
            );
        }
        trace_outputs(&mut value, spelling, &children);
        let mut original = whole[spelling.outputs][name][spelling.value].clone();
        placeholders_by_value(&mut value);
        placeholders_by_value(&mut original);
        assert_eq!(value, original, "output {name}");
    }
}

/// Heat's `str_replace` with each placeholder written as the value it
/// stands for: a placeholder is named after what it reads, a parameter in
/// a child where the unsplit template reads an attribute.
fn placeholders_by_value(value: &mut Value) {
    if let Some(Value::Object(args)) = value.get_mut("str_replace")
        && let Some(Value::Object(params)) = args.get("params").cloned()
        && let Some(Value::String(template)) = args.get_mut("template")
    {
        let mut keys: Vec<&String> = params.keys().collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
        for key in keys {
            *template = template.replace(key.as_str(), &format!("<{}>", params[key]));
        }
        args.remove("params");
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(placeholders_by_value),
        Value::Array(items) => items.iter_mut().for_each(placeholders_by_value),
        _ => {}
    }
}

fn collect_reads(value: &Value, spelling: &Spelling, out: &mut Vec<(String, String)>) {
    if let Some((stack, output)) = spelling.output_read(value) {
        out.push((stack.to_string(), output));
        return;
    }
    match value {
        Value::Object(map) => map.values().for_each(|v| collect_reads(v, spelling, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_reads(v, spelling, out)),
        _ => {}
    }
}

fn trace_outputs(
    value: &mut Value,
    spelling: &Spelling,
    children: &BTreeMap<&str, (String, Value)>,
) {
    // `Fn::Sub` text reads `${Stack.Outputs.Name}`: traced to what the
    // child's output reads, spelled as `Fn::Sub` spells it.
    if let Some(Value::String(text)) = value.get_mut("Fn::Sub") {
        for (stack, (_, child)) in children {
            for (name, output) in child["Outputs"].as_object().into_iter().flatten() {
                let read = format!("${{{stack}.Outputs.{name}}}");
                if !text.contains(&read) {
                    continue;
                }
                let out = spelling.unwrapped(&output["Value"]);
                let spelled = if let Some(r) = out.get("Ref").and_then(Value::as_str) {
                    r.to_string()
                } else if let Some(get) = out.get("Fn::GetAtt").and_then(Value::as_array) {
                    format!(
                        "{}.{}",
                        get[0].as_str().unwrap_or(""),
                        get[1].as_str().unwrap_or("")
                    )
                } else {
                    continue;
                };
                *text = text.replace(&read, &format!("${{{spelled}}}"));
            }
        }
    }
    if let Some((stack, output)) = spelling.output_read(value) {
        let out = &children[stack].1[spelling.outputs][&output][spelling.value];
        *value = spelling.unwrapped(out).clone();
        return;
    }
    match value {
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| trace_outputs(v, spelling, children)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| trace_outputs(v, spelling, children)),
        _ => {}
    }
}

/// The files that differ between two builds, or are in one only.
fn changed(a: &Files, b: &Files) -> BTreeSet<String> {
    a.keys()
        .chain(b.keys())
        .filter(|name| a.get(*name) != b.get(*name))
        .cloned()
        .collect()
}

/// Checks that adding the `extra` declaration changed only the parents and
/// the one child of each target that holds it (templates and maps).
fn check_stable(before: &Files, after: &Files) {
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for (parent, spelling, extra) in [
        ("main.template.json", &CLOUDFORMATION, "Extra"),
        ("main.hot.json", &HEAT, "extra"),
    ] {
        let holders: Vec<&String> = after
            .iter()
            .filter(|(name, _)| name.contains(".stack-") && !name.ends_with(".map.json"))
            .filter(|(name, _)| infra::sourcemap::map_name(name) != **name)
            .filter(|(name, text)| {
                let template: Value = serde_json::from_str(text).expect("JSON");
                let ours = name.ends_with(match spelling.target {
                    Target::Heat => ".hot.yaml",
                    _ => ".template.json",
                });
                ours && template[spelling.resources]
                    .as_object()
                    .is_some_and(|r| r.keys().any(|k| k.starts_with(extra)))
            })
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            holders.len(),
            1,
            "the extra volume is in one child: {holders:?}"
        );
        for name in [parent, holders[0].as_str()] {
            expected.insert(name.to_string());
            expected.insert(infra::sourcemap::map_name(name));
        }
    }
    let changed = changed(before, after);
    assert!(
        changed.is_subset(&expected),
        "adding one declaration changed more than its child and the parent: {:?}",
        changed.difference(&expected).collect::<Vec<_>>()
    );
}

fn cfn_validate() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/cfn-validate");
    let venv = std::env::var_os("CFN_VENV").unwrap_or_else(|| "/opt/cfn-venv".into());
    let found = script.exists() && Path::new(&venv).join("bin/cfn-lint").exists();
    tools::available("cfn-lint (../shared/tools/cfn-setup)", found).then_some(script)
}

fn heat_validate() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/heat-validate");
    let venv = std::env::var("HEAT_VENV").unwrap_or_else(|_| "/opt/heat-venv".into());
    let found = script.is_file() && Path::new(&venv).join("bin/python").exists();
    tools::available("Heat (../shared/tools/heat-setup)", found).then_some(script)
}

/// Runs a validator on files of `dir`; panics with its report when it
/// finds a problem.
fn validate(tool: &Path, dir: &Path, files: &[&String]) {
    let result = Command::new(tool)
        .current_dir(dir)
        .args(files.iter().map(|f| f.as_str()))
        .output()
        .expect("the validator runs");
    assert!(
        result.status.success(),
        "{} found problems:\n{}{}",
        tool.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Builds the program with and without the extra declaration, checks the
/// split's meaning and stability, and passes the templates to the
/// validators (CloudFormation: every file; Heat: the parent, whose
/// validation creates and validates every child).
fn run(name: &str, program: &dyn Fn(bool) -> String, found_by_where: &[&str]) {
    let dir = temp_dir(name);
    let before_dir = dir.join("before");
    std::fs::create_dir_all(&before_dir).expect("dir");
    // One path for both programs: source maps name the file.
    let path = dir.join("main.infra");
    std::fs::write(&path, program(false)).expect("writable");
    // The largest program (13 MB, each server's first-boot script written
    // out) is over the default limit of a file's size, as a project
    // meaning to be this large says.
    std::fs::write(
        dir.join("infra.toml"),
        "[limits]\nmax_file_bytes = 33554432\n",
    )
    .expect("writable");
    let started = std::time::Instant::now();
    let (before, wholes) = build(&path);
    let templates = before.keys().filter(|n| !n.ends_with(".map.json")).count();
    let resources = wholes[&Target::CloudFormation]["Resources"]
        .as_object()
        .map_or(0, |r| r.len());
    eprintln!(
        "{name}: {resources} CloudFormation resources, {templates} templates, built (both targets, and each unsplit) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    check_meaning(&before, &wholes[&Target::CloudFormation], &CLOUDFORMATION);
    check_meaning(&before, &wholes[&Target::Heat], &HEAT);
    std::fs::write(&path, program(true)).expect("writable");
    let (after, wholes_after) = build(&path);
    check_meaning(
        &after,
        &wholes_after[&Target::CloudFormation],
        &CLOUDFORMATION,
    );
    check_meaning(&after, &wholes_after[&Target::Heat], &HEAT);
    check_stable(&before, &after);

    write(&before_dir, &before);
    // `infra where` finds a child's resources in the child's map.
    let maps = infra::sourcemap::read_maps(&before_dir).expect("maps");
    for name in found_by_where {
        let hits = infra::sourcemap::find(&maps, name);
        assert!(
            hits.iter().any(|h| h.template.contains(".stack-")),
            "infra where does not find {name} in a nested stack"
        );
        // What the split makes points at the declaration it is made for.
        let source = |file: &str| std::fs::read_to_string(file).ok();
        let shown = infra::sourcemap::human(&hits, &source);
        assert!(
            shown.contains("| resource ") && !shown.contains("has changed"),
            "{shown}"
        );
    }
    let templates: Vec<&String> = before
        .keys()
        .filter(|n| !n.ends_with(".map.json"))
        .collect();
    if let Some(tool) = cfn_validate() {
        let cfn: Vec<&String> = templates
            .iter()
            .copied()
            .filter(|n| n.ends_with(".template.json"))
            .collect();
        let started = std::time::Instant::now();
        validate(&tool, &before_dir, &cfn);
        eprintln!(
            "{name}: cfn-validate of {} files: {:.1} s",
            cfn.len(),
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(tool) = heat_validate() {
        let started = std::time::Instant::now();
        validate(&tool, &before_dir, &[&"main.hot.json".to_string()]);
        eprintln!(
            "{name}: heat-validate: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// What `infra where` finds in a nested stack of `program`: a resource on
/// CloudFormation and on Heat, and an output made by the split.
const WHERE_ONE_BY_ONE: &[&str] = &["DataS0N0Volume", "data_s0_n0_volume", "Subnet0Ref"];
const WHERE_LOOPED: &[&str] = &["B0Volume1Volume", "b0_volume_1_volume", "B0SubnetRef0to15"];

#[test]
fn a_large_program_is_split_into_nested_stacks_that_validate() {
    run("ci", &|extra| program(20, 19, extra), WHERE_ONE_BY_ONE);
}

/// Copies read across stacks pass as lists: on CloudFormation 16 to a
/// parameter, so 30 copies take two.
#[test]
fn a_program_of_loops_is_split_into_nested_stacks_that_validate() {
    run("loops", &|extra| looped_program(8, 30, extra), WHERE_LOOPED);
}

/// About 50,000 native resources on CloudFormation. Minutes: run with
/// `cargo test --release --test stacks -- --ignored`.
#[test]
#[ignore]
fn a_program_of_fifty_thousand_resources_is_split_into_nested_stacks() {
    run("large", &|extra| program(250, 66, extra), WHERE_ONE_BY_ONE);
}

/// The bench's program of 50,000 resources: 1,000 declarations of 50
/// copies. Minutes, as above.
#[test]
#[ignore]
fn a_program_of_fifty_thousand_copies_is_split_into_nested_stacks() {
    run(
        "large-loops",
        &|extra| looped_program(250, 50, extra),
        WHERE_LOOPED,
    );
}

fn infra(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .output()
        .expect("infra runs")
}

/// Builds `source` as `dir/main.infra` into `dir/out` for CloudFormation.
fn build_into(dir: &Path, source: &str) -> String {
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let out = dir.join("out");
    let built = infra(&[
        "build",
        &path.display().to_string(),
        "-o",
        &out.display().to_string(),
        "-t",
        "cloudformation",
    ]);
    assert_eq!(
        built.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    path.display().to_string()
}

/// `infra diff --format json` of `source` against `dir/out`: its exit
/// status and report.
fn diff_against(dir: &Path, source: &str) -> (Option<i32>, Value) {
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let out = dir.join("out").display().to_string();
    let path = path.display().to_string();
    let args = [
        "diff",
        "--format",
        "json",
        "--against",
        &out,
        &path,
        "-t",
        "cloudformation",
    ];
    let diff = infra(&args);
    let report = serde_json::from_slice(&diff.stdout).expect("a JSON report");
    (diff.status.code(), report)
}

/// Every change of a report, with the file it is in.
fn report_changes(report: &Value) -> Vec<(String, Value)> {
    report["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .flat_map(|t| {
            let file = t["file"].as_str().unwrap_or_default().to_string();
            t["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |c| (file.clone(), c.clone()))
        })
        .collect()
}

#[test]
fn a_resource_moving_between_nested_stacks_is_a_replacement() {
    let dir = temp_dir("moves");
    let base = program(20, 10, false);
    // A bucket that reads nothing is in a level-0 stack; reading the
    // network and a subnet puts it one level up, in another stack.
    let before =
        format!("{base}\nresource extra: storage.Bucket {{\n  name = \"extra-data\"\n}}\n");
    let after = format!(
        "{base}\nresource extra: storage.Bucket {{\n  name = \"extra-data-${{net.id}}-${{subnet_0.id}}\"\n}}\n"
    );
    build_into(&dir, &before);
    let (status, report) = diff_against(&dir, &after);
    assert_eq!(status, Some(1), "replacing a bucket blocks: {report}");
    let changes = report_changes(&report);
    // Besides the stack resource of a new child, one change, in the stack
    // it moves to.
    let changes: Vec<&(String, Value)> = changes
        .iter()
        .filter(|(_, c)| c["type"] != "AWS::CloudFormation::Stack" || c["action"] != "create")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let (file, change) = changes[0];
    assert!(file.starts_with("main.stack-1"), "{file}");
    assert_eq!(change["name"], "Extra");
    assert_eq!(change["action"], "replace");
    assert_eq!(change["verdict"], "blocked");
    let reason = change["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("moves from `main.stack-0.template.json`"),
        "{reason}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_program_no_longer_split_loses_what_its_nested_stacks_held() {
    let dir = temp_dir("unsplit");
    build_into(&dir, &program(20, 10, false));
    // Small enough for one template: what stays moves into the parent,
    // the rest is deleted from stacks that are gone.
    let (status, report) = diff_against(&dir, &program(1, 1, false));
    assert_eq!(status, Some(1), "volumes are deleted: {report}");
    let changes = report_changes(&report);
    let moved: Vec<&Value> = changes
        .iter()
        .filter(|(file, c)| file == "main.template.json" && c["action"] == "replace")
        .map(|(_, c)| c)
        .collect();
    assert!(
        moved.iter().any(|c| c["name"] == "DataS0N0Volume"),
        "the first volume moves into the parent: {changes:?}"
    );
    let deleted_in_gone_stacks = changes
        .iter()
        .filter(|(file, c)| file.contains(".stack-") && c["action"] == "delete")
        .count();
    assert!(
        deleted_in_gone_stacks > 100,
        "the other servers and volumes are deleted from their stacks: {deleted_in_gone_stacks}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The three-tier example (conditions, a database with a generated
/// password, a load balancer, exported outputs) with enough queues beside
/// it to be split on both targets keeps its meaning.
#[test]
fn the_three_tier_example_split_keeps_its_meaning() {
    let dir = temp_dir("three-tier");
    let mut source = std::fs::read_to_string("examples/three_tier.infra").expect("example");
    push_queues(&mut source, 3500);
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let (files, wholes) = build(&path);
    check_meaning(&files, &wholes[&Target::CloudFormation], &CLOUDFORMATION);
    check_meaning(&files, &wholes[&Target::Heat], &HEAT);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two declarations whose copies' ids are one on CloudFormation (copy 10
/// of `queue_1` and copy 0 of `queue_11` are both `Queue110`) are refused
/// as in a template not split, where the split puts them in two children,
/// each id alone (their keys' first bits differ).
#[test]
fn ids_that_collide_are_refused_in_a_program_split() {
    let dir = temp_dir("collide");
    let mut source = String::from(
        "resource queue_1: queue.Queue for i in 0..11 {\n  name = \"a-${i}\"\n}\n\n\
         resource queue_11: queue.Queue for i in 0..2 {\n  name = \"b-${i}\"\n}\n",
    );
    push_queues(&mut source, 600);
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let options = infra::Options::default();
    let (checked, templates) =
        infra::build(&[path], &options, &[Target::CloudFormation]).expect("readable program");
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.id).collect();
    assert!(codes.contains(&"E0503"), "{codes:?}");
    assert!(templates.is_empty(), "a template was made");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Heat program within the resource quota but over the byte limit: the
/// first child, of every group, is built, does not fit and gives its
/// resources back to the smaller children cut from it, which must hold
/// them as the whole does.
#[test]
fn a_child_too_large_in_bytes_gives_its_resources_to_smaller_ones() {
    let dir = temp_dir("bytes");
    let boot: String = (0..40)
        .map(|i| format!("echo step {i} of the first boot of this server\\n"))
        .collect();
    let mut source = String::from(
        "param image: string\n\n\
         resource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n\n\
         resource subnet: network.Subnet {\n  network = net\n  cidr = \"10.0.0.0/24\"\n}\n",
    );
    for i in 0..300 {
        source.push_str(&format!(
            "\nresource server_{i}: compute.Server {{\n  image = image\n  subnet = subnet\n  user_data = \"{boot}\"\n}}\n"
        ));
    }
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let (files, wholes) = build(&path);
    let heat = wholes[&Target::Heat]["resources"]
        .as_object()
        .map_or(0, |r| r.len());
    assert!(heat <= 1000, "{heat} resources: the split is not by bytes");
    check_meaning(&files, &wholes[&Target::Heat], &HEAT);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Four declarations that no nested stack holds (501 subnets each), in a
/// program large enough that its children are made on every core: each is
/// reported, in source order, and alike from build to build, whichever
/// thread found it.
#[test]
fn declarations_too_large_for_a_nested_stack_are_reported_in_source_order() {
    let dir = temp_dir("unplaced");
    let mut source = String::from("resource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n");
    for name in ["delta", "alpha", "charlie", "bravo"] {
        source.push_str(&format!(
            "\nresource {name}: network.Subnet for i in 0..501 {{\n  network = net\n  cidr = \"10.${{i / 256}}.${{i % 256}}.0/24\"\n}}\n"
        ));
    }
    push_queues(&mut source, 300);
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let options = infra::Options::default();
    let reported = || {
        let (checked, templates) = infra::build(
            std::slice::from_ref(&path),
            &options,
            &[Target::CloudFormation],
        )
        .expect("readable program");
        assert!(templates.is_empty(), "a template was made");
        let found: Vec<(String, u32)> = (checked.diagnostics.iter())
            .filter(|d| d.code.id == "E0521")
            .map(|d| (d.message.clone(), d.primary.span.start))
            .collect();
        found
    };
    let first = reported();
    let messages: Vec<&str> = first.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`delta` does not fit one nested stack",
            "`alpha` does not fit one nested stack",
            "`charlie` does not fit one nested stack",
            "`bravo` does not fit one nested stack",
        ]
    );
    assert!(first.windows(2).all(|w| w[0].1 < w[1].1), "{first:?}");
    for _ in 0..3 {
        assert_eq!(reported(), first);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The children of a program split in one round of 2,400 resources are
/// made on every core; on one (`on_one_core`, as in a directory of
/// programs, one per core), the same. Both give the same templates, maps and origins, in the
/// same order, on CloudFormation and Heat.
#[test]
fn children_made_on_every_core_are_those_made_on_one() {
    let dir = temp_dir("threads");
    let mut source = String::from("resource net: network.Network {\n  cidr = \"10.0.0.0/8\"\n}\n");
    source.push_str(
        "\nresource subnet: network.Subnet for i in 0..400 {\n  network = net\n  cidr = \"10.${i / 256}.${i % 256}.0/24\"\n}\n",
    );
    push_queues(&mut source, 2_000);
    let path = dir.join("main.infra");
    std::fs::write(&path, source).expect("writable");
    let options = infra::Options::default();
    // One target at a time: several are built on a pool of their own.
    let made = || {
        let mut all = Vec::new();
        for target in [Target::CloudFormation, Target::Heat] {
            let (checked, templates) =
                infra::build(std::slice::from_ref(&path), &options, &[target])
                    .expect("readable program");
            assert!(
                !infra::diagnostics::has_errors(&checked.diagnostics),
                "the program does not build"
            );
            all.extend(
                templates
                    .into_iter()
                    .map(|t| (t.stack, t.text, t.map, t.origins)),
            );
        }
        all
    };
    let shared = made();
    let nested = shared.iter().filter(|t| t.0.is_some()).count();
    assert!(nested >= 4, "{nested} nested stacks");
    let alone = infra::on_one_core(made);
    assert!(
        shared == alone,
        "the templates differ between threads and one"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
