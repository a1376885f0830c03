//! The CloudFormation backend: an `ir::Deployment` to the JSON template an
//! experienced CloudFormation author would have written by hand.
//!
//! Params become `Parameters` (PascalCase logical ids) with their
//! constraints; deploy-time booleans become named `Conditions`, deduplicated
//! by structure and named after what they test (`EnvIsProduction`); a
//! compile-time map read with a deploy-time key becomes a `Mappings` entry;
//! the rest are intrinsic functions. What CloudFormation cannot express
//! (arithmetic on deploy-time values, a deploy-time count, most functions)
//! is an E05xx diagnostic naming CloudFormation and the way out, and so is
//! every service limit a template would break.
//!
//! Architecture Invariant: the output depends only on the IR, in IR order.
//! Hash maps here are only looked up, never iterated into the template.

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Context, Deletion, Deployment, Expr, Output, Param, ParamType, Part, Resource};
use crate::json::{self, Json, json};
use crate::source::Span;
use crate::syntax::ast::BinaryOp;

/// CloudFormation's quotas on one template.
const MAX_RESOURCES: usize = 500;
const MAX_PARAMETERS: usize = 200;
const MAX_OUTPUTS: usize = 200;
const MAX_MAPPINGS: usize = 200;
/// The largest template body CloudFormation accepts from S3.
const MAX_BODY: usize = 1_000_000;
/// The largest template body that can be passed inline (`--template-body`).
const MAX_INLINE_BODY: usize = 51_200;
const MAX_ID: usize = 255;
const MAX_TEMPLATE_DESCRIPTION: usize = 1024;
const MAX_PARAM_DESCRIPTION: usize = 4000;
const MAX_OUTPUT_DESCRIPTION: usize = 1024;
/// `Fn::And` and `Fn::Or` take between 2 and 10 conditions.
const MAX_CONDITION_OPERANDS: usize = 10;
/// The most characters a parameter value holds (cfn-lint's bound on
/// `MinLength` and `MaxLength`).
const MAX_PARAM_VALUE: u64 = 4096;
/// Longer condition names are shortened, to stay readable.
const MAX_CONDITION_NAME: usize = 64;
/// `Fn::Cidr` makes at most this many blocks.
const MAX_CIDR_COUNT: i64 = 256;

/// The template of `deployment`, printed as `infra build` writes it, and
/// what CloudFormation cannot express.
pub fn emit(deployment: &Deployment) -> (String, Vec<Diagnostic>) {
    let param_ids = deployment
        .params
        .iter()
        .map(|p| (p.name.as_str(), pascal_case(&p.name)))
        .collect();
    let mut emitter = Emitter::new(deployment, &param_ids);
    let template = emitter.template();
    (template, emitter.diagnostics)
}

/// The entries of a JSON object.
type Entries<'a> = Vec<(Cow<'a, str>, Json<'a>)>;

/// `web_server` → `WebServer`: words split at anything not a letter or a
/// digit, each capitalised, the rest kept as written (`adminCidr` →
/// `AdminCidr`).
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

fn is_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The valid logical ids of params, resources and outputs: names made up
/// for conditions and mappings must differ from them.
fn logical_ids<'d>(
    deployment: &'d Deployment,
    param_ids: &'d HashMap<&'d str, String>,
) -> HashSet<Cow<'d, str>> {
    let params = (deployment.params.iter()).map(|p| Cow::from(param_ids[p.name.as_str()].as_str()));
    let resources = (deployment.resources.iter()).map(|r| Cow::from(r.id.as_str()));
    let outputs = (deployment.outputs.iter()).map(|o| Cow::from(pascal_case(&o.name)));
    params
        .chain(resources)
        .chain(outputs)
        .filter(|id| is_logical_id(id))
        .collect()
}

fn no_value() -> Json<'static> {
    json!({ "Ref": "AWS::NoValue" })
}

/// Where a value is emitted: what diagnostics point at and how some values
/// are spelled there.
#[derive(Clone, Copy)]
struct Site<'s> {
    span: Span,
    /// The property or output the value belongs to, for naming mappings.
    owner: &'s str,
    /// Inside the `Conditions` section, where only params, pseudo params and
    /// mappings can be read, and `Fn::If` does not exist.
    in_condition: bool,
    /// An output's value: text only, and an absent value is empty text.
    output: bool,
    /// Inside a resource with a deploy-time count (already reported).
    counted: bool,
}

/// A deploy-time boolean, as CloudFormation's condition functions see it.
#[derive(Clone, Debug, PartialEq)]
enum Cond<'a> {
    Const(bool),
    Equals(Operand<'a>, Operand<'a>),
    Not(Box<Cond<'a>>),
    And(Vec<Cond<'a>>),
    Or(Vec<Cond<'a>>),
}

/// One side of an `Fn::Equals`.
#[derive(Clone, Debug, PartialEq)]
struct Operand<'a> {
    json: Json<'a>,
    /// Readable name for the condition's name (`Env`, `Production`).
    name: String,
    /// A `bool` param: its negation flips the text it is compared with.
    boolean_param: bool,
}

impl Operand<'_> {
    fn text(s: &'static str) -> Operand<'static> {
        Operand {
            json: Json::from(s),
            name: value_name(s),
            boolean_param: false,
        }
    }
}

fn value_name(text: &str) -> String {
    let name = pascal_case(text);
    if name.is_empty() {
        "Empty".to_string()
    } else {
        name
    }
}

fn negate(cond: Cond<'_>) -> Cond<'_> {
    match cond {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Not(inner) => *inner,
        Cond::Equals(a, b)
            if a.boolean_param && (b.json.is_str("true") || b.json.is_str("false")) =>
        {
            let flipped = if b.json.is_str("true") {
                "false"
            } else {
                "true"
            };
            Cond::Equals(a, Operand::text(flipped))
        }
        other => Cond::Not(Box::new(other)),
    }
}

fn and<'a>(a: Cond<'a>, b: Cond<'a>) -> Cond<'a> {
    combine(a, b, true)
}

fn or<'a>(a: Cond<'a>, b: Cond<'a>) -> Cond<'a> {
    combine(a, b, false)
}

/// `a && b` (`conjunction`) or `a || b`, flattened, with constants folded.
fn combine<'a>(a: Cond<'a>, b: Cond<'a>, conjunction: bool) -> Cond<'a> {
    let mut items = Vec::new();
    for c in [a, b] {
        match c {
            Cond::Const(v) if v == conjunction => {}
            Cond::Const(v) => return Cond::Const(v),
            Cond::And(xs) if conjunction => items.extend(xs),
            Cond::Or(xs) if !conjunction => items.extend(xs),
            other => items.push(other),
        }
    }
    let mut unique: Vec<Cond<'_>> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    match unique.len() {
        0 => Cond::Const(conjunction),
        1 => unique.pop().unwrap_or(Cond::Const(conjunction)),
        _ if conjunction => Cond::And(unique),
        _ => Cond::Or(unique),
    }
}

fn cond_name(cond: &Cond<'_>) -> String {
    match cond {
        Cond::Const(true) => "Always".to_string(),
        Cond::Const(false) => "Never".to_string(),
        Cond::Equals(a, b) => format!("{}Is{}", a.name, b.name),
        Cond::Not(inner) => match &**inner {
            Cond::Equals(a, b) => format!("{}IsNot{}", a.name, b.name),
            other => format!("Not{}", cond_name(other)),
        },
        Cond::And(xs) => compound_name(xs, "And"),
        Cond::Or(xs) => compound_name(xs, "Or"),
    }
}

/// `AIsXAndBIsY`, or `AIsXAnd3More` when that grows too long to read.
fn compound_name(items: &[Cond<'_>], joiner: &str) -> String {
    let names: Vec<String> = items.iter().map(cond_name).collect();
    let full = names.join(joiner);
    if full.len() <= MAX_CONDITION_NAME {
        return full;
    }
    format!("{}{joiner}{}More", names[0], names.len() - 1)
}

/// How the program would spell an expression, for messages.
fn describe(expr: &Expr) -> String {
    match expr {
        Expr::Null => "null".to_string(),
        Expr::Bool(b) => b.to_string(),
        Expr::Int(i) => i.to_string(),
        Expr::Number(n) => n.to_string(),
        Expr::String(s) => format!("{s:?}"),
        Expr::List(_) => "[...]".to_string(),
        Expr::Object(_) => "{...}".to_string(),
        Expr::Param(name) => name.clone(),
        Expr::Ref(id) => id.clone(),
        Expr::Attr(id, attr) => format!("{id}.{attr}"),
        Expr::Interp(_) => "\"...\"".to_string(),
        Expr::Not(e) => format!("!{}", describe_operand(e)),
        Expr::Neg(e) => format!("-{}", describe_operand(e)),
        Expr::Binary(op, l, r) => format!(
            "{} {} {}",
            describe_operand(l),
            op.symbol(),
            describe_operand(r)
        ),
        Expr::If(c, a, b) => format!(
            "{} ? {} : {}",
            describe_operand(c),
            describe_operand(a),
            describe_operand(b)
        ),
        Expr::Call(name, args) => format!(
            "{name}({})",
            args.iter().map(describe).collect::<Vec<_>>().join(", ")
        ),
        Expr::Index(list, i) => format!("{}[{}]", describe_operand(list), describe(i)),
        Expr::Member(obj, field) => format!("{}.{field}", describe_operand(obj)),
        Expr::Context(Context::Region) => "region()".to_string(),
        Expr::Context(Context::Zones) => "availability_zones()".to_string(),
        Expr::Context(Context::StackName) => "stack_name()".to_string(),
        Expr::Context(Context::AccountId) => "account_id()".to_string(),
        Expr::CountIndex => "the copy's index".to_string(),
        Expr::Copies { of, each } => format!("[for each copy of {of}: {}]", describe(each)),
    }
}

fn describe_operand(expr: &Expr) -> String {
    match expr {
        Expr::Binary(..) | Expr::If(..) => format!("({})", describe(expr)),
        _ => describe(expr),
    }
}

/// The params an expression reads, in order, for "give it with `--param`".
fn params_in(expr: &Expr) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    expr.walk(&mut |e| {
        if let Expr::Param(name) = e
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    });
    names
}

/// A dynamic reference to a secret inside `expr` (`{{resolve:secretsmanager:`
/// or `{{resolve:ssm-secure:`): the service that keeps it, and the logical id
/// of the resource the reference names, when it is one of the template's.
fn secret_reference(expr: &Expr) -> Option<(&'static str, Option<&str>)> {
    const SERVICES: [(&str, &str); 2] = [
        ("{{resolve:secretsmanager:", "Secrets Manager"),
        ("{{resolve:ssm-secure:", "Systems Manager Parameter Store"),
    ];
    let service = |text: &str| {
        SERVICES
            .iter()
            .find(|(prefix, _)| text.contains(prefix))
            .map(|(_, service)| *service)
    };
    let mut found = None;
    expr.walk(&mut |e| {
        if found.is_some() {
            return;
        }
        match e {
            Expr::String(text) => found = service(text).map(|s| (s, None)),
            Expr::Interp(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    let Part::Text(text) = part else { continue };
                    if let Some(s) = service(text) {
                        // `{{resolve:secretsmanager:${Secret}:...}}`: the
                        // reference names the secret by its `Ref`.
                        let holder = match parts.get(i + 1) {
                            Some(Part::Expr(Expr::Ref(id))) => Some(id.as_str()),
                            _ => None,
                        };
                        found = Some((s, holder));
                        break;
                    }
                }
            }
            _ => {}
        }
    });
    found
}

fn param_help(names: &[String], what: &str) -> String {
    match names {
        [] => format!("compute {what} before deployment, from values known at compile time"),
        [one] => format!("give `{one}` a value at compile time with `--param {one}=VALUE`"),
        many => format!(
            "give {} values at compile time with `--param NAME=VALUE`",
            many.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A regular expression as a CloudFormation `AllowedPattern`, which must
/// match the whole value: Infra's patterns match anywhere unless anchored.
fn allowed_pattern(pattern: &str) -> Cow<'_, str> {
    if fully_anchored(pattern) {
        Cow::Borrowed(pattern)
    } else {
        Cow::Owned(format!(".*(?:{pattern}).*"))
    }
}

fn fully_anchored(pattern: &str) -> bool {
    if !pattern.starts_with('^') || !pattern.ends_with('$') {
        return false;
    }
    // The final `$` must not be escaped, and no `|` may split the pattern
    // outside groups and classes.
    let bytes = pattern.as_bytes();
    let mut depth = 0i32;
    let mut in_class = false;
    let mut i = 0;
    let mut last_escaped = false;
    while i < bytes.len() {
        last_escaped = false;
        match bytes[i] {
            b'\\' => {
                i += 1;
                last_escaped = true;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => depth -= 1,
            b'|' if !in_class && depth == 0 => return false,
            _ => {}
        }
        i += 1;
    }
    !last_escaped
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A compile-time scalar as CloudFormation text (`Fn::Equals` compares text).
fn scalar_text(value: &Expr) -> Option<Cow<'_, str>> {
    match value {
        Expr::String(s) => Some(Cow::Borrowed(s)),
        Expr::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Expr::Int(i) => Some(Cow::Owned(i.to_string())),
        Expr::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn json_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Text in an `Fn::Sub` string, where `${` must be written `${!`.
fn push_sub_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let (before, after) = rest.split_at(i + 1);
        out.push_str(before);
        match after.strip_prefix('{') {
            Some(after) => {
                out.push_str("{!");
                rest = after;
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
}

/// Is a compile-time map's key one CloudFormation accepts in `Mappings`?
fn is_mapping_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_ID
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// A compile-time value as a `Mappings` value: text, a number, a boolean or
/// a list of those.
fn mapping_value(value: &Expr) -> Option<Json<'_>> {
    match value {
        Expr::String(s) => Some(Json::from(s.as_str())),
        Expr::Bool(b) => Some(Json::Bool(*b)),
        Expr::Int(i) => Some(Json::int(*i)),
        Expr::Number(n) => Some(Json::float(*n)),
        Expr::List(items) => items
            .iter()
            .map(|item| scalar_text(item).map(Json::from))
            .collect::<Option<Vec<_>>>()
            .map(Json::Array),
        _ => None,
    }
}

/// The prefix length of a deploy-time CIDR block whose text ends in `/NN`.
fn prefix_length(prefix: &Expr) -> Option<i64> {
    let text = match prefix {
        Expr::String(s) => s.as_str(),
        Expr::Interp(parts) => match parts.last() {
            Some(Part::Text(t)) => t.as_str(),
            _ => return None,
        },
        _ => return None,
    };
    let (_, bits) = text.rsplit_once('/')?;
    let bits: i64 = bits.parse().ok()?;
    (0..=32).contains(&bits).then_some(bits)
}

struct Emitter<'d> {
    deployment: &'d Deployment,
    params: HashMap<&'d str, &'d Param>,
    /// Each param's logical id, by its name in the program.
    param_ids: &'d HashMap<&'d str, String>,
    resources: HashMap<&'d str, &'d Resource>,
    /// Every logical id and name used in the template, gathered when a name
    /// is first made up.
    taken: Option<HashSet<Cow<'d, str>>>,
    conditions: Entries<'d>,
    /// A condition's function as JSON text → its name.
    condition_names: HashMap<String, String>,
    mappings: Entries<'d>,
    mapping_names: HashMap<String, String>,
    /// Where each mapping was first needed, for the limit's diagnostic.
    mapping_spans: Vec<Span>,
    /// Where each param is first read.
    param_spans: HashMap<&'d str, Span>,
    /// Params given as a machine image: typed `AWS::EC2::Image::Id`, which
    /// CloudFormation checks against the account's images.
    image_params: HashSet<&'d str>,
    diagnostics: Vec<Diagnostic>,
    reported: HashSet<(&'static str, Span, String)>,
}

impl<'d> Emitter<'d> {
    fn new(deployment: &'d Deployment, param_ids: &'d HashMap<&'d str, String>) -> Emitter<'d> {
        let mut param_spans = HashMap::default();
        let mut note = |expr: &'d Expr, span: Span| {
            expr.walk(&mut |e| {
                if let Expr::Param(name) = e {
                    param_spans.entry(name.as_str()).or_insert(span);
                }
            });
        };
        for r in &deployment.resources {
            for value in r.properties.values() {
                note(value, r.span);
            }
            for expr in r.condition.iter().chain(&r.count) {
                note(expr, r.span);
            }
        }
        for o in &deployment.outputs {
            for expr in std::iter::once(&o.value)
                .chain(&o.export)
                .chain(&o.condition)
            {
                note(expr, o.span);
            }
        }
        Emitter {
            deployment,
            params: deployment
                .params
                .iter()
                .map(|p| (p.name.as_str(), p))
                .collect(),
            param_ids,
            resources: deployment
                .resources
                .iter()
                .map(|r| (r.id.as_str(), r))
                .collect(),
            taken: None,
            conditions: Vec::new(),
            condition_names: HashMap::default(),
            mappings: Vec::new(),
            mapping_names: HashMap::default(),
            mapping_spans: Vec::new(),
            param_spans,
            image_params: image_params(deployment),
            diagnostics: Vec::new(),
            reported: HashSet::default(),
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        let key = (
            diagnostic.code.id,
            diagnostic.primary.span,
            diagnostic.message.clone(),
        );
        if self.reported.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// A span for what has none of its own: the first declaration.
    fn anchor(&self) -> Span {
        // Outputs are declared in the entry file; a native resource may come
        // from a component's lowering.
        self.deployment
            .outputs
            .first()
            .map(|o| o.span)
            .or_else(|| self.deployment.resources.first().map(|r| r.span))
            .unwrap_or_default()
    }

    /// Where a param is first read (params carry no span of their own).
    fn param_span(&self, name: &str) -> Span {
        self.param_spans
            .get(name)
            .copied()
            .unwrap_or_else(|| self.anchor())
    }

    fn internal(&mut self, span: Span, message: String) {
        self.report(
            Diagnostic::new(&codes::E0000, span, format!("internal error: {message}"))
                .label("the compiler could not emit this for CloudFormation")
                .note("this is a bug in the Infra compiler; please report it"),
        );
    }

    /// The template, printed.
    fn template(&mut self) -> String {
        self.check_ids();
        self.check_images();
        let parameters = self.parameters();
        let metadata = self.metadata();
        let deployment = self.deployment;
        // Each resource is printed as soon as it is built, while its tree is
        // fresh; the template is put together at the end, the sections before
        // `Resources` being filled in meanwhile.
        let mut printed = String::new();
        let mut resources: Vec<(Cow<str>, std::ops::Range<usize>)> =
            Vec::with_capacity(deployment.resources.len());
        for r in &deployment.resources {
            if let Some(resource) = self.resource(r) {
                let start = printed.len();
                json::write(&mut printed, &resource, 2);
                resources.push((Cow::from(r.id.as_str()), start..printed.len()));
            }
        }
        // Ids repeat only in a program with an error (E0511), where the last
        // resource of an id replaces the first, as in a map.
        if self.resources.len() < deployment.resources.len() {
            resources = json::dedup(resources);
        }
        let mut outputs = Vec::with_capacity(deployment.outputs.len());
        for o in &deployment.outputs {
            if let Some(output) = self.output(o) {
                outputs.push(output);
            }
        }
        let outputs = json::dedup(outputs);
        if resources.is_empty() {
            self.no_resources();
        }

        // The sections before `Resources`.
        let mut template: Entries<'d> =
            vec![("AWSTemplateFormatVersion".into(), "2010-09-09".into())];
        if let Some(description) = &deployment.description {
            let description = description.trim();
            if !description.is_empty() {
                let span = self.anchor();
                let text = self.bounded(
                    description,
                    MAX_TEMPLATE_DESCRIPTION,
                    span,
                    "the template's description",
                    "in the template built from this program",
                );
                template.push(("Description".into(), text.into()));
            }
        }
        if let Some(metadata) = metadata {
            template.push(("Metadata".into(), metadata));
        }
        if !parameters.is_empty() {
            template.push(("Parameters".into(), Json::Object(parameters)));
        }
        if !self.mappings.is_empty() {
            template.push((
                "Mappings".into(),
                Json::Object(std::mem::take(&mut self.mappings)),
            ));
        }
        if !self.conditions.is_empty() {
            template.push((
                "Conditions".into(),
                Json::Object(std::mem::take(&mut self.conditions)),
            ));
        }
        let mut text = String::with_capacity(printed.len() + 4096);
        text.push('{');
        for (i, (name, value)) in template.iter().enumerate() {
            json::write_key(&mut text, i, 1, name);
            json::write(&mut text, value, 1);
        }
        json::write_key(&mut text, template.len(), 1, "Resources");
        text.push('{');
        for (i, (id, range)) in resources.iter().enumerate() {
            json::write_key(&mut text, i, 2, id);
            text.push_str(&printed[range.clone()]);
        }
        json::write_close(&mut text, 1, resources.len(), '}');
        let mut sections = template.len() + 1;
        if !outputs.is_empty() {
            json::write_key(&mut text, sections, 1, "Outputs");
            json::write(&mut text, &Json::Object(outputs), 1);
            sections += 1;
        }
        json::write_close(&mut text, 0, sections, '}');
        text.push('\n');
        self.check_limits(text.len(), resources.len());
        text
    }

    /// A template without resources, which CloudFormation refuses: the
    /// program deploys only outputs there.
    fn no_resources(&mut self) {
        let span = self.anchor();
        let label = match self.deployment.outputs.first() {
            Some(o) => format!("output `{}` is in a template without resources", o.name),
            None => "the template built from this program has no resources".to_string(),
        };
        self.report(
            Diagnostic::new(
                &codes::E0519,
                span,
                "the CloudFormation template has no resources, and CloudFormation refuses a template without one",
            )
            .label(label)
            .note("a CloudFormation template needs at least one member in `Resources`; a type made of no native resource on CloudFormation (a `deploy.Context`) adds none")
            .help("declare a resource for the stack to hold; or build the program for Heat or Terraform (`--target heat`, `--target terraform`), which accept templates of outputs only"),
        );
    }

    /// An image written into the program must be an AMI id: EC2 refuses
    /// anything else when the stack is created.
    fn check_images(&mut self) {
        for r in &self.deployment.resources {
            let Some(image) = image_of(r) else {
                continue;
            };
            // Each image a deploy-time choice may pick.
            let mut alternatives = vec![image];
            while let Some(e) = alternatives.pop() {
                // Text, or text with values spliced in that cannot start as
                // an AMI id does.
                let text = match e {
                    Expr::If(_, a, b) => {
                        alternatives.extend([&**b, &**a]);
                        continue;
                    }
                    Expr::String(text) if !is_ami_id(text) => text.clone(),
                    Expr::Interp(parts) => match parts.first() {
                        Some(Part::Text(text))
                            if !(text.starts_with("ami-") || "ami-".starts_with(text.as_str())) =>
                        {
                            format!("{text}...")
                        }
                        _ => continue,
                    },
                    _ => continue,
                };
                self.report(
                    Diagnostic::new(
                        &codes::E0517,
                        r.span,
                        format!("`{text}` is not an AMI id, and CloudFormation's `{}` boots only from one", r.type_name),
                    )
                    .label(format!("boots from `{text}`"))
                    .note("an EC2 image id is `ami-` and 8 or 17 letters or digits; a name such as `ubuntu-24.04` means something to OpenStack, not to EC2")
                    .help("make the image a param (given as `--param` or when deploying), or write the AMI id of the region"),
                );
            }
        }
    }

    /// Text CloudFormation caps at `max` bytes, cut with a warning.
    fn bounded<'t>(
        &mut self,
        text: &'t str,
        max: usize,
        span: Span,
        what: &str,
        label: &str,
    ) -> &'t str {
        if text.len() <= max {
            return text;
        }
        self.report(
            Diagnostic::new(
                &codes::W0513,
                span,
                format!(
                    "{what} is {} bytes long: CloudFormation takes at most {max}, so it is cut",
                    text.len()
                ),
            )
            .label(label.to_string())
            .help(format!("shorten the doc comment to at most {max} bytes")),
        );
        truncate(text, max)
    }

    // ------------------------------------------------------------------
    // Logical ids.

    fn check_ids(&mut self) {
        let deployment = self.deployment;
        // Resources and params share one namespace (`Ref` reads both). What
        // each id names is spelled only for a diagnostic.
        let mut seen: HashMap<&str, (Span, &str, &str)> = HashMap::with_capacity_and_hasher(
            deployment.params.len() + deployment.resources.len(),
            Default::default(),
        );
        for p in &deployment.params {
            let id = self.param_ids[p.name.as_str()].as_str();
            let span = self.param_span(&p.name);
            if !is_logical_id(id) {
                self.invalid_id(id, span, &format!("param `{}`", p.name));
                continue;
            }
            if let Some(&(first_span, kind, name)) = seen.get(id) {
                let what = format!("param `{}`", p.name);
                self.collision(id, span, &what, first_span, &format!("{kind} `{name}`"));
            } else {
                seen.insert(id, (span, "param", &p.name));
            }
        }
        for r in &deployment.resources {
            // Lowering keeps ids unique with a `~N` suffix where two
            // resources' names are one: on CloudFormation they collide.
            let id = r.id.split('~').next().unwrap_or_default();
            if !is_logical_id(id) {
                self.invalid_id(id, r.span, &format!("resource `{id}`"));
                continue;
            }
            match seen.get(id) {
                Some(&(first_span, "resource", _)) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0503,
                            r.span,
                            format!("two resources are both named `{id}` in the CloudFormation template"),
                        )
                        .label("this one")
                        .secondary(first_span, "and this one")
                        .note("names are turned into CloudFormation's logical ids (`web_server` becomes `WebServer`, copy 0 of `q2` becomes `Q20`), and these two become the same")
                        .help("rename one of them"),
                    );
                }
                Some(&(first_span, kind, name)) => {
                    let what = format!("resource `{id}`");
                    self.collision(id, r.span, &what, first_span, &format!("{kind} `{name}`"));
                }
                None => {
                    seen.insert(id, (r.span, "resource", id));
                }
            }
        }
        let mut outputs: HashMap<String, (Span, &str)> = HashMap::default();
        for o in &deployment.outputs {
            let id = pascal_case(&o.name);
            let what = format!("output `{}`", o.name);
            if !is_logical_id(&id) {
                self.invalid_id(&id, o.span, &what);
                continue;
            }
            if let Some(&(first_span, first)) = outputs.get(&id) {
                self.collision(&id, o.span, &what, first_span, &format!("output `{first}`"));
            } else {
                outputs.insert(id.clone(), (o.span, &o.name));
            }
        }
    }

    fn invalid_id(&mut self, id: &str, span: Span, what: &str) {
        let reason = if id.is_empty() {
            "it has no letter or digit".to_string()
        } else if id.len() > MAX_ID {
            format!("it is {} characters long, over {MAX_ID}", id.len())
        } else {
            "it holds characters other than letters and digits".to_string()
        };
        self.report(
            Diagnostic::new(
                &codes::E0512,
                span,
                format!("{what} has no valid CloudFormation logical id: {reason}"),
            )
            .label("declared here")
            .note("CloudFormation logical ids are 1 to 255 ASCII letters and digits")
            .help("rename it with ASCII letters, digits and underscores"),
        );
    }

    fn collision(&mut self, id: &str, span: Span, what: &str, first_span: Span, first: &str) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0511,
            span,
            format!("{what} and {first} both become the CloudFormation logical id `{id}`"),
        )
        .label(format!("becomes `{id}`"))
        .note("CloudFormation logical ids are letters and digits only: underscores and case differences in names are lost");
        if first_span != span {
            diagnostic = diagnostic.secondary(first_span, format!("also becomes `{id}`"));
        }
        self.report(
            diagnostic.help("rename one of them so the names differ in more than underscores"),
        );
    }

    /// A name no other logical id, condition or mapping has.
    fn unique(&mut self, base: &str, fallback: &str) -> String {
        let base = if base.is_empty() || base.len() > MAX_ID - 4 {
            fallback
        } else {
            base
        };
        let (deployment, param_ids) = (self.deployment, self.param_ids);
        let taken = self
            .taken
            .get_or_insert_with(|| logical_ids(deployment, param_ids));
        let mut name = base.to_string();
        let mut n = 2;
        while taken.contains(name.as_str()) {
            name = format!("{base}{n}");
            n += 1;
        }
        taken.insert(Cow::Owned(name.clone()));
        name
    }

    // ------------------------------------------------------------------
    // Parameters.

    fn parameters(&mut self) -> Entries<'d> {
        let deployment = self.deployment;
        let mut out = Vec::new();
        // A param nothing reads here (one only another target's lowering
        // uses) is left out, as a hand-written template would.
        for p in &deployment.params {
            if !self.is_read(&p.name) {
                continue;
            }
            let id = self.param_ids[p.name.as_str()].as_str();
            if let Some(param) = self.parameter(p) {
                out.push((Cow::Borrowed(id), param));
            }
        }
        json::dedup(out)
    }

    fn parameter(&mut self, p: &'d Param) -> Option<Json<'d>> {
        let span = self.param_span(&p.name);
        let ty = match &p.ty {
            ParamType::String if self.image_params.contains(p.name.as_str()) => {
                "AWS::EC2::Image::Id"
            }
            ParamType::String | ParamType::Bool => "String",
            ParamType::Number | ParamType::Int => "Number",
            ParamType::List(inner) => match **inner {
                ParamType::Number | ParamType::Int => "List<Number>",
                ParamType::String | ParamType::Bool => "CommaDelimitedList",
                _ => {
                    self.param_not_expressible(p, span, "a list of lists or objects");
                    return None;
                }
            },
            ParamType::Json => {
                self.param_not_expressible(p, span, "an object or map");
                return None;
            }
        };
        let mut out: Entries<'d> = vec![("Type".into(), ty.into())];
        if let Some(description) = &p.description {
            let text = self.bounded(
                description.trim(),
                MAX_PARAM_DESCRIPTION,
                span,
                &format!("the description of param `{}`", p.name),
                "the param is read here",
            );
            out.push(("Description".into(), text.into()));
        }
        let image_default = match &p.default {
            Some(Value::String(text)) if ty == "AWS::EC2::Image::Id" && !is_ami_id(text) => {
                Some(text.clone())
            }
            _ => None,
        };
        if let Some(text) = image_default {
            self.report(
                Diagnostic::new(
                    &codes::W0515,
                    span,
                    format!("the default `{text}` of param `{}` is not an AMI id: it is left out of the template", p.name),
                )
                .label("the param is read here as an EC2 image id")
                .note("CloudFormation checks an `AWS::EC2::Image::Id` param against the account's images; a name such as `ubuntu-24.04` means something to OpenStack, not to EC2")
                .help(format!(
                    "give the AMI when deploying (parameter `{}`), or at compile time: `--param {}=ami-0123456789abcdef0`",
                    self.param_ids[p.name.as_str()],
                    p.name
                )),
            );
        } else if let Some(default) = &p.default {
            match self.param_value(p, default, span) {
                Some(value) => {
                    out.push(("Default".into(), value));
                }
                None => return None,
            }
        }
        let mut constrained = false;
        let allowed = match (&p.ty, &p.allowed) {
            (ParamType::Bool, None) => Some(vec![Json::from("true"), Json::from("false")]),
            (ParamType::List(_), Some(allowed)) if allowed.iter().any(Value::is_array) => {
                self.unchecked_constraint(p, span, "`allowed` lists");
                None
            }
            (_, Some(allowed)) => Some(
                allowed
                    .iter()
                    .map(|v| self.scalar_param_value(p, v))
                    .collect(),
            ),
            (_, None) => None,
        };
        if let Some(allowed) = allowed {
            out.push(("AllowedValues".into(), Json::Array(allowed)));
            constrained = true;
        }
        let is_string = matches!(p.ty, ParamType::String);
        if let Some(pattern) = &p.pattern {
            if is_string {
                out.push(("AllowedPattern".into(), allowed_pattern(pattern).into()));
                constrained = true;
            } else {
                self.unchecked_constraint(p, span, "`pattern`");
            }
        }
        for (value, key) in [(p.min_length, "MinLength"), (p.max_length, "MaxLength")] {
            if let Some(n) = value {
                if is_string {
                    let n = if n > MAX_PARAM_VALUE {
                        self.param_too_long(p, span, key, n);
                        MAX_PARAM_VALUE
                    } else {
                        n
                    };
                    out.push((key.into(), Json::Number(n.into())));
                    constrained = true;
                } else {
                    self.unchecked_constraint(p, span, "`min_length` and `max_length`");
                }
            }
        }
        let is_number = ty == "Number";
        for (value, key) in [(&p.min, "MinValue"), (&p.max, "MaxValue")] {
            if let Some(n) = value {
                if let (true, Value::Number(n)) = (is_number, n) {
                    out.push((key.into(), Json::Number(n.clone())));
                    constrained = true;
                } else {
                    self.unchecked_constraint(p, span, "`min` and `max`");
                }
            }
        }
        if let Some(message) = &p.message
            && constrained
        {
            out.push(("ConstraintDescription".into(), message.as_str().into()));
        }
        if p.secret {
            out.push(("NoEcho".into(), true.into()));
        }
        Some(Json::Object(out))
    }

    /// A param's value as its `Default`: lists as comma-separated text.
    fn param_value(&mut self, p: &Param, value: &'d Value, span: Span) -> Option<Json<'d>> {
        match value {
            Value::Array(items) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match json_text(item) {
                        Some(text) if !text.contains(',') => texts.push(text),
                        _ => {
                            self.report(
                                Diagnostic::new(
                                    &codes::E0515,
                                    span,
                                    format!(
                                        "the default of param `{}` cannot be written as a CloudFormation list",
                                        p.name
                                    ),
                                )
                                .label("the param is read here")
                                .note("CloudFormation list parameters are comma-separated text: an element cannot hold a comma, a list or an object")
                                .help(format!("give `{}` at compile time with `--param`, or use elements without commas", p.name)),
                            );
                            return None;
                        }
                    }
                }
                Some(texts.join(",").into())
            }
            _ => Some(self.scalar_param_value(p, value)),
        }
    }

    fn scalar_param_value(&self, p: &Param, value: &'d Value) -> Json<'d> {
        let numeric = matches!(p.ty, ParamType::Number | ParamType::Int);
        match value {
            Value::Number(n) if numeric => Json::Number(n.clone()),
            other => json_text(other).map_or(Json::Null, Json::Str),
        }
    }

    fn param_not_expressible(&mut self, p: &Param, span: Span, what: &str) {
        self.report(
            Diagnostic::new(
                &codes::E0515,
                span,
                format!(
                    "param `{}` is {what}: CloudFormation parameters hold only text, numbers and lists of them",
                    p.name
                ),
            )
            .label("the param is read here")
            .help(format!(
                "give `{}` a value at compile time with `--param {}=VALUE`, or split it into params of simple types",
                p.name, p.name
            )),
        );
    }

    /// A length bound beyond what a CloudFormation parameter can hold: the
    /// template says the most it can.
    fn param_too_long(&mut self, p: &Param, span: Span, key: &str, n: u64) {
        self.report(
            Diagnostic::new(
                &codes::W0512,
                span,
                format!(
                    "CloudFormation cannot check a length of {n} on param `{}`: a parameter value holds at most {MAX_PARAM_VALUE} characters",
                    p.name
                ),
            )
            .label("the param is read here")
            .note(format!("the template says `{key}: {MAX_PARAM_VALUE}`"))
            .help(format!("bound the length by {MAX_PARAM_VALUE} or less")),
        );
    }

    fn unchecked_constraint(&mut self, p: &Param, span: Span, what: &str) {
        self.report(
            Diagnostic::new(
                &codes::W0512,
                span,
                format!(
                    "CloudFormation cannot check {what} of param `{}` at deploy time",
                    p.name
                ),
            )
            .label("the param is read here")
            .note("the constraint is checked against values given at compile time, but not against values given to CloudFormation")
            .help(format!(
                "give `{}` at compile time with `--param` to have it checked",
                p.name
            )),
        );
    }

    fn is_read(&self, param: &str) -> bool {
        self.param_spans.contains_key(param)
    }

    fn metadata(&self) -> Option<Json<'d>> {
        let params: Vec<&Param> = self
            .deployment
            .params
            .iter()
            .filter(|p| self.is_read(&p.name))
            .collect();
        if !params
            .iter()
            .any(|p| p.group.is_some() || p.label.is_some())
        {
            return None;
        }
        let mut groups: Vec<(&str, Vec<Json<'d>>)> = Vec::new();
        let mut labels = Vec::new();
        for p in params {
            let id = self.param_ids[p.name.as_str()].as_str();
            if let Some(group) = &p.group {
                match groups.iter_mut().find(|(name, _)| name == group) {
                    Some((_, members)) => members.push(id.into()),
                    None => groups.push((group, vec![id.into()])),
                }
            }
            if let Some(label) = &p.label {
                labels.push((
                    Cow::Borrowed(id),
                    Json::single("default", label.as_str().into()),
                ));
            }
        }
        let mut interface = Vec::new();
        if !groups.is_empty() {
            let groups = groups
                .into_iter()
                .map(|(label, members)| {
                    Json::Object(vec![
                        ("Label".into(), Json::single("default", label.into())),
                        ("Parameters".into(), Json::Array(members)),
                    ])
                })
                .collect();
            interface.push(("ParameterGroups".into(), Json::Array(groups)));
        }
        if !labels.is_empty() {
            interface.push(("ParameterLabels".into(), Json::Object(json::dedup(labels))));
        }
        Some(Json::single(
            "AWS::CloudFormation::Interface",
            Json::Object(interface),
        ))
    }

    // ------------------------------------------------------------------
    // Resources and outputs.

    fn resource(&mut self, r: &'d Resource) -> Option<Json<'d>> {
        let mut site = Site {
            span: r.span,
            owner: &r.id,
            in_condition: false,
            output: false,
            counted: false,
        };
        if let Some(count) = &r.count {
            let names = params_in(count);
            let help = match names.as_slice() {
                [one] => format!(
                    "give the count at compile time with `--param {one}=N`: the copies are then unrolled into separate resources"
                ),
                _ => "give the count at compile time with `--param`: the copies are then unrolled into separate resources".to_string(),
            };
            self.report(
                Diagnostic::new(
                    &codes::E0504,
                    r.span,
                    format!(
                        "CloudFormation cannot make a deploy-time number of copies of `{}`",
                        r.id
                    ),
                )
                .label(format!("repeated `{}` times", describe(count)))
                .note("CloudFormation has no count: every resource in a template is written out")
                .help(help)
                .help("or build for Terraform or Heat, which repeat resources at deploy time"),
            );
            site.counted = true;
        }
        let condition = match &r.condition {
            None => None,
            Some(expr) => match self.cond(expr, &site) {
                Some(Cond::Const(true)) => None,
                // Never created: nothing to write.
                Some(Cond::Const(false)) => return None,
                Some(cond) => Some(self.register(cond)),
                None => None,
            },
        };
        let mut properties = Vec::with_capacity(r.properties.len());
        for (name, value) in &r.properties {
            if matches!(value, Expr::Null) {
                continue;
            }
            site.owner = name;
            let value = self.value(value, &site);
            properties.push((Cow::from(name.as_str()), value));
        }
        let mut depends_on: Vec<&str> = Vec::new();
        if !r.depends_on.is_empty() {
            let mut referenced: HashSet<&str> = HashSet::default();
            for value in r.properties.values() {
                value.walk(&mut |e| match e {
                    Expr::Ref(id) | Expr::Attr(id, _) => {
                        referenced.insert(id.as_str());
                    }
                    _ => {}
                });
            }
            for id in &r.depends_on {
                if !self.resources.contains_key(id.as_str()) {
                    self.internal(r.span, format!("`depends_on` names no resource `{id}`"));
                    continue;
                }
                // A reference already orders the two.
                if !referenced.contains(id.as_str()) && !depends_on.contains(&id.as_str()) {
                    depends_on.push(id);
                }
            }
        }

        let mut out: Entries<'d> = Vec::with_capacity(6);
        out.push(("Type".into(), r.type_name.as_str().into()));
        if let Some(condition) = condition {
            out.push(("Condition".into(), condition.into()));
        }
        match depends_on.as_slice() {
            [] => {}
            [one] => out.push(("DependsOn".into(), (*one).into())),
            many => out.push((
                "DependsOn".into(),
                Json::Array(many.iter().map(|&id| id.into()).collect()),
            )),
        }
        if let Some(policy) = deletion_policy(r) {
            out.push(("DeletionPolicy".into(), policy.into()));
            out.push(("UpdateReplacePolicy".into(), policy.into()));
        }
        if !properties.is_empty() {
            out.push(("Properties".into(), Json::Object(properties)));
        }
        Some(Json::Object(out))
    }

    /// An output, and its logical id.
    fn output(&mut self, o: &'d Output) -> Option<(Cow<'d, str>, Json<'d>)> {
        let id = pascal_case(&o.name);
        let site = Site {
            span: o.span,
            owner: &id,
            in_condition: false,
            output: true,
            counted: false,
        };
        let condition = match &o.condition {
            None => None,
            Some(expr) => match self.cond(expr, &site) {
                Some(Cond::Const(true)) => None,
                Some(Cond::Const(false)) => return None,
                Some(cond) => Some(self.register(cond)),
                None => None,
            },
        };
        let secrets: Vec<String> = params_in(&o.value)
            .into_iter()
            .filter(|name| self.params.get(name.as_str()).is_some_and(|p| p.secret))
            .collect();
        if let Some((service, holder)) = secret_reference(&o.value) {
            // A generated secret (`secret.RandomPassword`) is a dynamic
            // reference, which CloudFormation resolves in resource properties
            // only: in `Outputs` it is refused, never shown.
            let mut diagnostic = Diagnostic::new(
                &codes::E0518,
                o.span,
                format!(
                    "output `{}` reads a secret kept in {service}, and CloudFormation cannot output a secret",
                    o.name
                ),
            )
            .label("its value is a dynamic reference (`{{resolve:...}}`) to a secret")
            .note("CloudFormation resolves dynamic references to secrets in resource properties only; a template with one in `Outputs` is refused")
            .help("drop the output: readers fetch the secret where it is kept, with their own permissions; to say where it is, output its ARN or name, not its value");
            if let Some(id) = holder {
                diagnostic = diagnostic.help(format!(
                    "the secret is the stack's resource `{id}`: `aws cloudformation describe-stack-resource --stack-name STACK --logical-resource-id {id}` gives its ARN, and `aws secretsmanager get-secret-value --secret-id ARN` its value"
                ));
            }
            self.report(diagnostic);
        } else if let Some(secret) = secrets.first() {
            self.report(
                Diagnostic::new(
                    &codes::W0514,
                    o.span,
                    format!(
                        "output `{}` shows secret param `{secret}`: CloudFormation masks it only as a parameter",
                        o.name
                    ),
                )
                .label(format!("reads `{secret}`"))
                .note("`NoEcho` hides a parameter's value in the console and the API, but not where an output shows it")
                .help(format!("drop the output, or output something that identifies `{secret}` without showing it")),
            );
        } else if o.sensitive {
            self.report(
                Diagnostic::new(
                    &codes::W0511,
                    o.span,
                    format!(
                        "output `{}` is sensitive, but CloudFormation shows outputs in plain text",
                        o.name
                    ),
                )
                .label("marked sensitive")
                .note("anyone allowed to describe the stack can read its outputs")
                .help("to share a secret, output where it is kept (a Secrets Manager secret's id) rather than its value"),
            );
        }
        let mut out: Entries<'d> = Vec::new();
        if let Some(description) = &o.description {
            let text = self.bounded(
                description.trim(),
                MAX_OUTPUT_DESCRIPTION,
                o.span,
                &format!("the description of output `{}`", o.name),
                "described by its doc comment",
            );
            out.push(("Description".into(), text.into()));
        }
        if let Some(condition) = condition {
            out.push(("Condition".into(), condition.into()));
        }
        let value = self.output_value(&o.value, &site);
        if o.export.is_some()
            && let Some(when) = blank_when(&value)
        {
            self.empty_export(o, &when);
        }
        out.push(("Value".into(), value));
        if let Some(export) = &o.export {
            let name = self.output_value(export, &site);
            out.push(("Export".into(), Json::single("Name", name)));
        }
        Some((Cow::Owned(id), Json::Object(out)))
    }

    /// An exported output whose value may be blank: CloudFormation refuses
    /// to export an empty or whitespace-only value. `when` lists the
    /// conditions under which it is (none: always).
    fn empty_export(&mut self, o: &Output, when: &[String]) {
        let mut diagnostic = Diagnostic::new(
            &codes::E0520,
            o.span,
            format!(
                "output `{}` is exported, but its value may be empty, and CloudFormation refuses to export an empty value",
                o.name
            ),
        )
        .label(if when.is_empty() {
            "its value is empty"
        } else {
            "its value may be empty"
        });
        if !when.is_empty() {
            diagnostic = diagnostic.note(format!(
                "in the template, the value is empty when {}",
                when.join(" and ")
            ));
        }
        self.report(
            diagnostic
                .note("CloudFormation refuses to create or update a stack that exports an empty or whitespace-only value")
                .help("make the output exist only when it has a value: a choice whose other branch is `null` (`c ? value : null`) is an output under a condition")
                .help("or drop the `export`, if no other stack imports the value"),
        );
    }

    /// An output's value: CloudFormation outputs are text, so lists are
    /// joined with commas (as list parameters are read) and scalars written
    /// as text.
    fn output_value<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        match expr {
            Expr::Null => json!(""),
            Expr::Bool(_) | Expr::Int(_) | Expr::Number(_) => {
                json!(scalar_text(expr).unwrap_or_default())
            }
            Expr::Object(_) => {
                self.report(
                    Diagnostic::new(
                        &codes::E0515,
                        site.span,
                        "CloudFormation outputs are text: an object cannot be an output's value",
                    )
                    .label("this output's value is an object")
                    .help("output each field as its own output"),
                );
                Json::Null
            }
            Expr::If(c, a, b) => match self.cond(c, site) {
                Some(Cond::Const(true)) => self.output_value(a, site),
                Some(Cond::Const(false)) => self.output_value(b, site),
                Some(cond) => {
                    let name = self.register(cond);
                    let a = self.output_value(a, site);
                    let b = self.output_value(b, site);
                    json!({ "Fn::If": [name, a, b] })
                }
                None => Json::Null,
            },
            _ if self.is_list(expr) => {
                let list = self.value(expr, site);
                json!({ "Fn::Join": [",", list] })
            }
            _ => self.value(expr, site),
        }
    }

    /// Is the value a list, as far as CloudFormation functions tell?
    fn is_list(&self, expr: &Expr) -> bool {
        match expr {
            Expr::List(_) | Expr::Context(Context::Zones) => true,
            Expr::Param(name) => self
                .params
                .get(name.as_str())
                .is_some_and(|p| matches!(p.ty, ParamType::List(_))),
            Expr::Call(name, _) => matches!(name.as_str(), "split" | "cidr" | "availability_zones"),
            Expr::Attr(id, attr) => self
                .resources
                .get(id.as_str())
                .is_some_and(|r| LIST_ATTRIBUTES.contains(&(r.type_name.as_str(), attr.as_str()))),
            _ => false,
        }
    }

    // ------------------------------------------------------------------
    // Values.

    fn value<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        match expr {
            Expr::Null => {
                if site.output {
                    json!("")
                } else {
                    no_value()
                }
            }
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(i) => Json::int(*i),
            Expr::Number(n) => Json::float(*n),
            Expr::String(s) => json!(s),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if !matches!(item, Expr::Null) {
                        out.push(self.value(item, site));
                    }
                }
                Json::Array(out)
            }
            Expr::Object(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (key, value) in fields {
                    if !matches!(value, Expr::Null) {
                        let value = self.value(value, site);
                        out.push((Cow::from(key.as_str()), value));
                    }
                }
                Json::Object(out)
            }
            Expr::Param(name) => match self.param_id(name, site) {
                Some(id) => json!({ "Ref": id }),
                None => Json::Null,
            },
            Expr::Ref(id) => {
                self.resource_read(id, None, site);
                json!({ "Ref": id })
            }
            Expr::Attr(id, attr) => {
                self.resource_read(id, Some(attr), site);
                json!({ "Fn::GetAtt": [id, attr] })
            }
            Expr::Interp(parts) => self.interp(parts, site),
            Expr::Not(_)
            | Expr::Binary(
                BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::And
                | BinaryOp::Or
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge,
                ..,
            ) => self.boolean(expr, site),
            Expr::Binary(..) | Expr::Neg(_) => {
                self.arithmetic(expr, site);
                Json::Null
            }
            Expr::If(c, a, b) => {
                if site.in_condition {
                    self.not_in_condition(expr, site);
                    return Json::Null;
                }
                match self.cond(c, site) {
                    Some(Cond::Const(true)) => self.value(a, site),
                    Some(Cond::Const(false)) => self.value(b, site),
                    Some(cond) => {
                        let name = self.register(cond);
                        let a = self.value(a, site);
                        let b = self.value(b, site);
                        json!({ "Fn::If": [name, a, b] })
                    }
                    None => Json::Null,
                }
            }
            Expr::Call(name, args) => self.call(expr, name, args, site),
            Expr::Index(list, index) => self.index(expr, list, index, site),
            Expr::Member(object, field) => self.member(expr, object, field, site),
            Expr::Context(context) => context_value(*context),
            Expr::CountIndex => {
                if !site.counted {
                    self.internal(
                        site.span,
                        "a copy's index outside a repeated resource".to_string(),
                    );
                }
                Json::Null
            }
            // CloudFormation has no deploy-time count (E0504 comes first).
            Expr::Copies { .. } => {
                self.internal(
                    site.span,
                    "the copies of a resource repeated a deploy-time number of times".to_string(),
                );
                Json::Null
            }
        }
    }

    fn param_id(&mut self, name: &str, site: &Site<'_>) -> Option<&'d str> {
        let ids = self.param_ids;
        match ids.get(name) {
            Some(id) => Some(id),
            None => {
                self.internal(site.span, format!("param `{name}` is not declared"));
                None
            }
        }
    }

    /// Checks a `Ref` or `Fn::GetAtt` of a resource.
    fn resource_read(&mut self, id: &str, attr: Option<&str>, site: &Site<'_>) {
        if !self.resources.contains_key(id) {
            self.internal(site.span, format!("no resource has the logical id `{id}`"));
            return;
        }
        if site.in_condition {
            let what = match attr {
                Some(attr) => format!("`{id}.{attr}`"),
                None => format!("the id of `{id}`"),
            };
            self.report(
                Diagnostic::new(
                    &codes::E0514,
                    site.span,
                    format!("CloudFormation conditions cannot read {what}"),
                )
                .label("this depends on a condition that reads a resource")
                .note("CloudFormation decides every condition before it creates any resource, from params and mappings only")
                .help("decide on params only, or give the value at compile time with `--param`"),
            );
        }
    }

    /// A deploy-time boolean as a value: `Fn::If [cond, true, false]`.
    fn boolean(&mut self, expr: &Expr, site: &Site<'_>) -> Json<'static> {
        if site.in_condition {
            self.not_in_condition(expr, site);
            return Json::Null;
        }
        match self.cond(expr, site) {
            Some(Cond::Const(b)) => {
                if site.output {
                    json!(if b { "true" } else { "false" })
                } else {
                    Json::Bool(b)
                }
            }
            Some(cond) => {
                let name = self.register(cond);
                if site.output {
                    json!({ "Fn::If": [name, "true", "false"] })
                } else {
                    json!({ "Fn::If": [name, true, false] })
                }
            }
            None => Json::Null,
        }
    }

    fn not_in_condition(&mut self, expr: &Expr, site: &Site<'_>) {
        self.report(
            Diagnostic::new(
                &codes::E0515,
                site.span,
                format!(
                    "CloudFormation cannot compare `{}` in a condition",
                    describe(expr)
                ),
            )
            .label("this depends on a condition CloudFormation cannot write")
            .note("inside `Conditions`, CloudFormation has no `Fn::If` and no boolean values")
            .help(param_help(&params_in(expr), "the value")),
        );
    }

    fn arithmetic(&mut self, expr: &Expr, site: &Site<'_>) {
        let what = match expr {
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                "compare the order of"
            }
            _ => "compute",
        };
        self.report(
            Diagnostic::new(
                &codes::E0510,
                site.span,
                format!(
                    "CloudFormation cannot {what} `{}` at deploy time",
                    describe(expr)
                ),
            )
            .label("this needs deploy-time arithmetic")
            .note("CloudFormation has no arithmetic and no ordering comparisons; only `==`, `!=`, `&&`, `||` and `!` on deploy-time values")
            .help(param_help(&params_in(expr), "the value"))
            .help("or restructure the program to compare with `==` (for example against a param's allowed values)"),
        );
    }

    fn interp<'e>(&mut self, parts: &'e [Part], site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        if parts.iter().all(|p| matches!(p, Part::Text(_))) {
            let mut text = String::new();
            for part in parts {
                if let Part::Text(t) = part {
                    text.push_str(t);
                }
            }
            return text.into();
        }
        if let [Part::Expr(e)] = parts {
            let is_text = match e {
                Expr::Param(name) => self
                    .params
                    .get(name.as_str())
                    .is_some_and(|p| matches!(p.ty, ParamType::String)),
                Expr::Interp(_) => true,
                _ => false,
            };
            if is_text {
                return self.value(e, site);
            }
        }
        if let Some(text) = self.sub_text(parts) {
            for part in parts {
                // Checks the reads, as `value` would.
                match part {
                    Part::Expr(Expr::Ref(id)) => self.resource_read(id, None, site),
                    Part::Expr(Expr::Attr(id, attr)) => self.resource_read(id, Some(attr), site),
                    _ => {}
                }
            }
            return json!({ "Fn::Sub": text });
        }
        let mut items = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Part::Text(t) if t.is_empty() => {}
                Part::Text(t) => items.push(json!(t)),
                Part::Expr(e) => items.push(self.value(e, site)),
            }
        }
        json!({ "Fn::Join": ["", Json::Array(items)] })
    }

    /// The text of an `Fn::Sub` of `parts`, when each value is one it can
    /// read without a variable map.
    fn sub_text(&self, parts: &[Part]) -> Option<String> {
        let guess = |p: &Part| match p {
            Part::Text(t) => t.len(),
            Part::Expr(_) => 16,
        };
        let mut text = String::with_capacity(parts.iter().map(guess).sum());
        for part in parts {
            match part {
                Part::Text(t) => push_sub_text(&mut text, t),
                Part::Expr(e) => {
                    let (name, attr) = self.sub_variable(e)?;
                    text.push_str("${");
                    text.push_str(name);
                    if let Some(attr) = attr {
                        text.push('.');
                        text.push_str(attr);
                    }
                    text.push('}');
                }
            }
        }
        Some(text)
    }

    /// How `Fn::Sub` names a value it can read without a variable map: a
    /// name and the attribute read, if any.
    fn sub_variable<'e>(&self, expr: &'e Expr) -> Option<(&'e str, Option<&'e str>)>
    where
        'd: 'e,
    {
        match expr {
            Expr::Param(name) => {
                let p = self.params.get(name.as_str())?;
                if matches!(p.ty, ParamType::List(_) | ParamType::Json) {
                    return None;
                }
                let ids = self.param_ids;
                ids.get(name.as_str()).map(|id| (id.as_str(), None))
            }
            Expr::Ref(id) => Some((id, None)),
            Expr::Attr(id, attr) => Some((id, Some(attr))),
            Expr::Context(Context::Region) => Some(("AWS::Region", None)),
            Expr::Context(Context::StackName) => Some(("AWS::StackName", None)),
            Expr::Context(Context::AccountId) => Some(("AWS::AccountId", None)),
            _ => None,
        }
    }

    fn not_expressible(&mut self, expr: &Expr, site: &Site<'_>, function: &str, why: &str) {
        self.report(
            Diagnostic::new(
                &codes::E0513,
                site.span,
                format!(
                    "CloudFormation cannot compute `{}` at deploy time",
                    describe(expr)
                ),
            )
            .label(format!("`{function}` of a deploy-time value"))
            .note(why.to_string())
            .help(param_help(&params_in(expr), "the value")),
        );
    }

    fn call<'e>(&mut self, expr: &Expr, name: &str, args: &'e [Expr], site: &Site<'_>) -> Json<'e>
    where
        'd: 'e,
    {
        match (name, args) {
            ("join", [separator, list]) => match separator {
                Expr::String(sep) => {
                    let list = self.value(list, site);
                    json!({ "Fn::Join": [sep, list] })
                }
                _ => {
                    self.not_expressible(
                        expr,
                        site,
                        name,
                        "the separator of CloudFormation's `Fn::Join` must be written in the template",
                    );
                    Json::Null
                }
            },
            ("split", [separator, text]) => match separator {
                Expr::String(sep) => {
                    let text = self.value(text, site);
                    json!({ "Fn::Split": [sep, text] })
                }
                _ => {
                    self.not_expressible(
                        expr,
                        site,
                        name,
                        "the separator of CloudFormation's `Fn::Split` must be written in the template",
                    );
                    Json::Null
                }
            },
            ("element", [list, index]) | ("select", [index, list]) => {
                self.index(expr, list, index, site)
            }
            ("base64", [text]) => {
                let text = self.value(text, site);
                json!({ "Fn::Base64": text })
            }
            ("cidr", [prefix, count, bits]) => {
                let prefix = self.value(prefix, site);
                let count = self.value(count, site);
                let bits = self.value(bits, site);
                json!({ "Fn::Cidr": [prefix, count, bits] })
            }
            ("cidrsubnet", [prefix, newbits, netnum]) => {
                self.cidrsubnet(expr, prefix, newbits, netnum, site)
            }
            ("lookup", [map, key]) => self.lookup(expr, map, key, None, None, site),
            ("lookup", [map, key, default]) => {
                self.lookup(expr, map, key, Some(default), None, site)
            }
            ("region", []) => context_value(Context::Region),
            ("availability_zones", []) => context_value(Context::Zones),
            ("stack_name", []) => context_value(Context::StackName),
            ("account_id", []) => context_value(Context::AccountId),
            ("object_store_url", []) => {
                self.report(
                    Diagnostic::new(
                        &codes::E0513,
                        site.span,
                        "`object_store_url()` is the endpoint of OpenStack's object store, which CloudFormation cannot read",
                    )
                    .label("reads `object_store_url()`")
                    .note("the value comes from OpenStack's service catalog; AWS has no such endpoint")
                    .help("build this program for terraform with `--provider openstack`, or read a `storage.Bucket`'s `domain_name` and `website_url`, which every target gives"),
                );
                Json::Null
            }
            _ => {
                let why = match name {
                    "length" => "CloudFormation's `Fn::Length` needs the `AWS::LanguageExtensions` transform, which Infra does not use".to_string(),
                    _ => format!("CloudFormation has no function like `{name}`"),
                };
                self.not_expressible(expr, site, name, &why);
                Json::Null
            }
        }
    }

    /// `cidrsubnet(prefix, newbits, netnum)` as `Fn::Select` of `Fn::Cidr`,
    /// which counts host bits: the prefix length must be known.
    fn cidrsubnet<'e>(
        &mut self,
        expr: &Expr,
        prefix: &'e Expr,
        newbits: &Expr,
        netnum: &'e Expr,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        let (Some(length), Expr::Int(newbits)) = (prefix_length(prefix), newbits) else {
            self.not_expressible(
                expr,
                site,
                "cidrsubnet",
                "CloudFormation's `Fn::Cidr` counts the bits left to hosts, so the prefix length of the network and the added bits must be known at compile time",
            );
            return Json::Null;
        };
        let host_bits = 32 - length - newbits;
        let count = match netnum {
            Expr::Int(n) => n + 1,
            _ => 1i64 << (*newbits).clamp(0, 9),
        }
        .min(MAX_CIDR_COUNT);
        let too_many = matches!(netnum, Expr::Int(n) if *n >= MAX_CIDR_COUNT);
        if host_bits < 0 || *newbits < 0 || too_many {
            self.not_expressible(
                expr,
                site,
                "cidrsubnet",
                "CloudFormation's `Fn::Cidr` makes at most 256 blocks, each at most as large as the network",
            );
            return Json::Null;
        }
        let prefix = self.value(prefix, site);
        let netnum = self.value(netnum, site);
        json!({ "Fn::Select": [netnum, { "Fn::Cidr": [prefix, count, host_bits] }] })
    }

    fn index<'e>(
        &mut self,
        expr: &Expr,
        list: &'e Expr,
        index: &'e Expr,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        match (list, index) {
            (Expr::Object(_), _) => self.lookup(expr, list, index, None, None, site),
            (Expr::List(items), Expr::Int(i)) => {
                match usize::try_from(*i).ok().and_then(|i| items.get(i)) {
                    Some(item) => self.value(item, site),
                    None => {
                        self.internal(
                            site.span,
                            format!("index {i} out of a list of {}", items.len()),
                        );
                        Json::Null
                    }
                }
            }
            _ => {
                let index = self.value(index, site);
                let list = self.value(list, site);
                json!({ "Fn::Select": [index, list] })
            }
        }
    }

    fn member<'e>(
        &mut self,
        expr: &Expr,
        object: &'e Expr,
        field: &str,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        match object {
            Expr::Object(fields) => match fields.get(field) {
                Some(value) => self.value(value, site),
                None => self.value(&Expr::Null, site),
            },
            Expr::If(c, a, b) => {
                let distributed = Expr::If(
                    c.clone(),
                    Box::new(Expr::Member(a.clone(), field.to_string())),
                    Box::new(Expr::Member(b.clone(), field.to_string())),
                );
                self.value(&distributed, site).into_owned()
            }
            Expr::Index(map, key) if matches!(**map, Expr::Object(_)) => {
                self.lookup(expr, map, key, None, Some(field), site)
            }
            Expr::Call(name, args) if name == "lookup" && (args.len() == 2 || args.len() == 3) => {
                self.lookup(expr, &args[0], &args[1], args.get(2), Some(field), site)
            }
            // A param of an object type is reported where it is declared.
            Expr::Param(name)
                if self
                    .params
                    .get(name.as_str())
                    .is_some_and(|p| matches!(p.ty, ParamType::Json)) =>
            {
                Json::Null
            }
            _ => {
                self.report(
                    Diagnostic::new(
                        &codes::E0515,
                        site.span,
                        format!(
                            "CloudFormation cannot read field `{field}` of `{}` at deploy time",
                            describe(object)
                        ),
                    )
                    .label("reads a field of a deploy-time object")
                    .note("CloudFormation values are text, numbers and lists: it has no objects to read fields from")
                    .help(param_help(&params_in(expr), "the object")),
                );
                Json::Null
            }
        }
    }

    /// A compile-time map read with a deploy-time key: `Fn::FindInMap` on a
    /// `Mappings` entry. `field` reads one field of a map of objects.
    fn lookup<'e>(
        &mut self,
        expr: &Expr,
        map: &'e Expr,
        key: &'e Expr,
        default: Option<&'e Expr>,
        field: Option<&str>,
        site: &Site<'_>,
    ) -> Json<'e>
    where
        'd: 'e,
    {
        let Expr::Object(entries) = map else {
            self.not_expressible(
                expr,
                site,
                "lookup",
                "CloudFormation looks values up only in a `Mappings` entry, written in the template, so the map must be known at compile time",
            );
            return Json::Null;
        };
        if !map.is_const() {
            self.not_expressible(
                expr,
                site,
                "lookup",
                "CloudFormation looks values up only in a `Mappings` entry, written in the template, so the map's values must be known at compile time",
            );
            return Json::Null;
        }
        // A key known at compile time needs no mapping.
        if let Some(key) = scalar_text(key) {
            let found = entries.get(key.as_ref()).or(default);
            let found = match (found, field) {
                (Some(Expr::Object(fields)), Some(field)) => fields.get(field),
                (found, None) => found,
                _ => None,
            };
            return match found {
                Some(value) => self.value(value, site),
                None => {
                    self.internal(site.span, format!("no key `{key}` in a looked-up map"));
                    Json::Null
                }
            };
        }
        let second = field.map(pascal_case);
        let mut mapping: Entries<'e> = Vec::new();
        let entry = |value: &'e Expr| -> Result<Json<'e>, String> {
            match (field, value) {
                (None, Expr::Object(_)) => {
                    Err("its values are objects: read one field of the looked-up value".into())
                }
                (None, value) => mapping_value(value)
                    .map(|v| json!({ "Value": v }))
                    .ok_or_else(|| {
                        "its values are not text, numbers, booleans or lists of them".into()
                    }),
                (Some(field), Expr::Object(fields)) => {
                    let mut out = Vec::new();
                    for (name, value) in fields {
                        let v = mapping_value(value);
                        match v {
                            Some(v) => out.push((Cow::Owned(pascal_case(name)), v)),
                            None if name == field => {
                                return Err(format!(
                                    "field `{field}` holds a value that is not text, a number, a boolean or a list of them"
                                ));
                            }
                            None => {}
                        }
                    }
                    Ok(Json::Object(json::dedup(out)))
                }
                (Some(field), _) => Err(format!("its values have no field `{field}`")),
            }
        };
        let mut problem = None;
        for (k, value) in entries {
            if matches!(value, Expr::Null) {
                continue;
            }
            if !is_mapping_key(k) {
                problem = Some(format!(
                    "key `{k}` holds characters a `Mappings` key cannot (only letters, digits, `-` and `.`)"
                ));
                break;
            }
            match entry(value) {
                Ok(v) => mapping.push((Cow::from(k.as_str()), v)),
                Err(why) => {
                    problem = Some(why);
                    break;
                }
            }
        }
        if problem.is_none()
            && let Some(default) = default
        {
            let allowed = match key {
                Expr::Param(name) => self
                    .params
                    .get(name.as_str())
                    .copied()
                    .and_then(|p| p.allowed.as_ref()),
                _ => None,
            };
            match allowed {
                Some(allowed) => {
                    for value in allowed {
                        let Some(k) = json_text(value) else { continue };
                        if mapping.iter().any(|(key, _)| *key == k) {
                            continue;
                        }
                        if !is_mapping_key(&k) {
                            problem = Some(format!(
                                "key `{k}` holds characters a `Mappings` key cannot (only letters, digits, `-` and `.`)"
                            ));
                            break;
                        }
                        match entry(default) {
                            Ok(v) => mapping.push((k, v)),
                            Err(why) => {
                                problem = Some(format!("the default: {why}"));
                                break;
                            }
                        }
                    }
                }
                None => {
                    self.not_expressible(
                        expr,
                        site,
                        "lookup",
                        "CloudFormation's `Fn::FindInMap` has no default without the `AWS::LanguageExtensions` transform; Infra fills in the default only for a param with `allowed` values",
                    );
                    return Json::Null;
                }
            }
        }
        if mapping.is_empty() && problem.is_none() {
            problem = Some("the map is empty".into());
        }
        if let Some(why) = problem {
            self.report(
                Diagnostic::new(
                    &codes::E0515,
                    site.span,
                    format!(
                        "CloudFormation cannot look up `{}` at deploy time: {why}",
                        describe(expr)
                    ),
                )
                .label("a map read with a deploy-time key")
                .note("CloudFormation reads such a map from a `Mappings` entry, whose keys are letters, digits, `-` and `.`, and whose values are text, numbers, booleans or lists")
                .help(param_help(&params_in(key), "the key")),
            );
            return Json::Null;
        }
        let mapping = Json::Object(mapping);
        let name = self.mapping_name(mapping, key, field.is_some(), site);
        let key = self.value(key, site);
        let second = second.unwrap_or_else(|| "Value".to_string());
        json!({ "Fn::FindInMap": [name, key, second] })
    }

    fn mapping_name(
        &mut self,
        mapping: Json<'_>,
        key: &Expr,
        objects: bool,
        site: &Site<'_>,
    ) -> String {
        let mut text = String::new();
        json::write(&mut text, &mapping, 0);
        if let Some(name) = self.mapping_names.get(&text) {
            return name.clone();
        }
        let key_name = self.operand_name(key);
        let base = if objects {
            format!("{key_name}Map")
        } else {
            format!("{}By{key_name}", pascal_case(site.owner))
        };
        let name = self.unique(&base, "Map");
        self.mapping_names.insert(text, name.clone());
        self.mappings
            .push((Cow::Owned(name.clone()), mapping.into_owned()));
        self.mapping_spans.push(site.span);
        name
    }

    // ------------------------------------------------------------------
    // Conditions.

    /// A deploy-time boolean as condition functions; `None` when it cannot
    /// be (already reported).
    fn cond<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Option<Cond<'e>>
    where
        'd: 'e,
    {
        let site = &Site {
            in_condition: true,
            ..*site
        };
        match expr {
            Expr::Bool(b) => Some(Cond::Const(*b)),
            Expr::Not(inner) => self.cond(inner, site).map(negate),
            Expr::Binary(BinaryOp::And, l, r) => {
                let l = self.cond(l, site)?;
                let r = self.cond(r, site)?;
                Some(and(l, r))
            }
            Expr::Binary(BinaryOp::Or, l, r) => {
                let l = self.cond(l, site)?;
                let r = self.cond(r, site)?;
                Some(or(l, r))
            }
            Expr::Binary(BinaryOp::Eq, l, r) => self.equals(l, r, site),
            Expr::Binary(BinaryOp::Ne, l, r) => self.equals(l, r, site).map(negate),
            Expr::Binary(..) | Expr::Neg(_) => {
                self.arithmetic(expr, site);
                None
            }
            Expr::If(c, a, b) => {
                let c = self.cond(c, site)?;
                let a = self.cond(a, site)?;
                let b = self.cond(b, site)?;
                Some(or(and(c.clone(), a), and(negate(c), b)))
            }
            Expr::Call(name, _) if name == "contains" => {
                self.not_expressible(
                    expr,
                    site,
                    name,
                    "CloudFormation has no function that tests whether a value contains another",
                );
                None
            }
            _ => {
                // A boolean param, a looked-up boolean, and so on: text that
                // is "true" or "false" at deploy time.
                let operand = self.operand(expr, site)?;
                Some(Cond::Equals(operand, Operand::text("true")))
            }
        }
    }

    fn is_boolean(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Bool(_) | Expr::Not(_) => true,
            Expr::Binary(op, ..) => matches!(
                op,
                BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::And
                    | BinaryOp::Or
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge
            ),
            Expr::Param(name) => self
                .params
                .get(name.as_str())
                .is_some_and(|p| p.ty == ParamType::Bool),
            Expr::If(_, a, b) => self.is_boolean(a) || self.is_boolean(b),
            _ => false,
        }
    }

    fn equals<'e>(&mut self, l: &'e Expr, r: &'e Expr, site: &Site<'_>) -> Option<Cond<'e>>
    where
        'd: 'e,
    {
        // `(c ? a : b) == x` is `c && a == x || !c && b == x`: conditions
        // have no `Fn::If`.
        if let Expr::If(c, a, b) = l {
            let c = self.cond(c, site)?;
            let a = self.equals(a, r, site)?;
            let b = self.equals(b, r, site)?;
            return Some(or(and(c.clone(), a), and(negate(c), b)));
        }
        if let Expr::If(..) = r {
            return self.equals(r, l, site);
        }
        if self.is_boolean(l) || self.is_boolean(r) {
            let l = self.cond(l, site)?;
            let r = self.cond(r, site)?;
            return Some(match (l, r) {
                (Cond::Const(true), c) | (c, Cond::Const(true)) => c,
                (Cond::Const(false), c) | (c, Cond::Const(false)) => negate(c),
                (l, r) => or(and(l.clone(), r.clone()), and(negate(l), negate(r))),
            });
        }
        if let (Some(a), Some(b)) = (scalar_text(l), scalar_text(r)) {
            return Some(Cond::Const(a == b));
        }
        let a = self.operand(l, site)?;
        let b = self.operand(r, site)?;
        // The deploy-time side first: `EnvIsProduction`.
        if l.is_const() && !r.is_const() {
            Some(Cond::Equals(b, a))
        } else {
            Some(Cond::Equals(a, b))
        }
    }

    fn operand<'e>(&mut self, expr: &'e Expr, site: &Site<'_>) -> Option<Operand<'e>>
    where
        'd: 'e,
    {
        let json = match scalar_text(expr) {
            Some(text) => Json::Str(text),
            None => {
                let errors = self.diagnostics.len();
                let value = self.value(expr, site);
                if self.diagnostics[errors..].iter().any(Diagnostic::is_error) {
                    return None;
                }
                value
            }
        };
        let boolean_param = matches!(expr, Expr::Param(name)
            if self.params.get(name.as_str()).is_some_and(|p| p.ty == ParamType::Bool));
        Some(Operand {
            json,
            name: self.operand_name(expr),
            boolean_param,
        })
    }

    fn operand_name(&self, expr: &Expr) -> String {
        match expr {
            Expr::String(s) => value_name(s),
            Expr::Bool(true) => "True".into(),
            Expr::Bool(false) => "False".into(),
            Expr::Int(i) if *i < 0 => format!("Minus{}", i.unsigned_abs()),
            Expr::Int(i) => i.to_string(),
            Expr::Number(n) => value_name(&n.to_string().replace('.', "Point")),
            Expr::Param(name) => self
                .param_ids
                .get(name.as_str())
                .cloned()
                .unwrap_or_else(|| pascal_case(name)),
            Expr::Ref(id) => id.clone(),
            Expr::Attr(id, attr) => format!("{id}{}", pascal_case(attr)),
            Expr::Context(Context::Region) => "Region".into(),
            Expr::Context(Context::Zones) => "Zones".into(),
            Expr::Context(Context::StackName) => "StackName".into(),
            Expr::Context(Context::AccountId) => "AccountId".into(),
            Expr::Member(object, field) => {
                format!("{}{}", self.operand_name(object), pascal_case(field))
            }
            Expr::Index(_, key) => self.operand_name(key),
            Expr::Call(name, args) if name == "lookup" && args.len() >= 2 => {
                self.operand_name(&args[1])
            }
            _ => "Value".into(),
        }
    }

    /// The name of a condition, defining it on first use.
    fn register(&mut self, cond: Cond<'_>) -> String {
        let function = match &cond {
            Cond::Const(b) => {
                // Callers fold constants; an always-true or always-false
                // condition is still written correctly.
                json!({ "Fn::Equals": ["true", if *b { "true" } else { "false" }] })
            }
            Cond::Equals(a, b) => json!({ "Fn::Equals": [a.json.clone(), b.json.clone()] }),
            Cond::Not(inner) => {
                let inner = match &**inner {
                    Cond::Equals(a, b) => {
                        json!({ "Fn::Equals": [a.json.clone(), b.json.clone()] })
                    }
                    other => json!({ "Condition": self.register(other.clone()) }),
                };
                json!({ "Fn::Not": [inner] })
            }
            Cond::And(items) | Cond::Or(items) => {
                let conjunction = matches!(cond, Cond::And(_));
                let key = if conjunction { "Fn::And" } else { "Fn::Or" };
                let mut items = items.clone();
                // At most ten operands each: the rest become one condition.
                if items.len() > MAX_CONDITION_OPERANDS {
                    let rest = items.split_off(MAX_CONDITION_OPERANDS - 1);
                    items.push(if conjunction {
                        Cond::And(rest)
                    } else {
                        Cond::Or(rest)
                    });
                }
                let operands = items
                    .into_iter()
                    .map(|c| json!({ "Condition": self.register(c) }))
                    .collect();
                json!({ key: Json::Array(operands) })
            }
        };
        self.define(function, &cond_name(&cond))
    }

    fn define(&mut self, function: Json<'_>, name: &str) -> String {
        let mut text = String::new();
        json::write(&mut text, &function, 0);
        if let Some(name) = self.condition_names.get(&text) {
            return name.clone();
        }
        let name = self.unique(name, "Condition");
        self.condition_names.insert(text, name.clone());
        self.conditions
            .push((Cow::Owned(name.clone()), function.into_owned()));
        name
    }

    // ------------------------------------------------------------------
    // Limits.

    /// Checks CloudFormation's quotas; `size` is the printed template's.
    fn check_limits(&mut self, size: usize, resource_count: usize) {
        let deployment = self.deployment;
        let limit = |what: &str, count: usize, max: usize, span: Span, label: &str| {
            Diagnostic::new(
                &codes::E0516,
                span,
                format!("the template has {count} {what}: CloudFormation accepts at most {max}"),
            )
            .label(label.to_string())
            .note("this is a quota of CloudFormation on one template")
        };
        if resource_count > MAX_RESOURCES {
            let span = deployment
                .resources
                .get(MAX_RESOURCES)
                .map_or(self.anchor(), |r| r.span);
            self.report(
                limit("resources", resource_count, MAX_RESOURCES, span, "the first resource over the limit")
                    .help("split the program into several stacks (one entry file each), sharing values through outputs with `export`"),
            );
        }
        let read: Vec<&Param> = deployment
            .params
            .iter()
            .filter(|p| self.is_read(&p.name))
            .collect();
        let params = read.len();
        if params > MAX_PARAMETERS {
            let span = self.param_span(&read[MAX_PARAMETERS].name);
            self.report(
                limit("parameters", params, MAX_PARAMETERS, span, "the first param over the limit is read here")
                    .help("give some params at compile time with `--param` or `--params FILE`: they are then folded into the template"),
            );
        }
        let outputs = deployment.outputs.len();
        if outputs > MAX_OUTPUTS {
            let span = deployment.outputs[MAX_OUTPUTS].span;
            self.report(
                limit("outputs", outputs, MAX_OUTPUTS, span, "the first output over the limit")
                    .help("output lists instead of one output per value, or split the program into several stacks"),
            );
        }
        let mappings = self.mapping_spans.len();
        if mappings > MAX_MAPPINGS {
            let span = self.mapping_spans[MAX_MAPPINGS];
            self.report(
                limit("mappings", mappings, MAX_MAPPINGS, span, "the first lookup over the limit")
                    .help("give the keys at compile time with `--param`: a lookup with a known key needs no mapping"),
            );
        }
        let span = self.anchor();
        if size > MAX_BODY {
            self.report(
                limit("bytes", size, MAX_BODY, span, "in the template built from this program")
                    .help("split the program into several stacks (one entry file each), sharing values through outputs with `export`"),
            );
        } else if size > MAX_INLINE_BODY {
            self.report(
                Diagnostic::new(
                    &codes::W0510,
                    span,
                    format!(
                        "the template is {size} bytes: CloudFormation accepts at most {MAX_INLINE_BODY} bytes passed inline"
                    ),
                )
                .label("in the template built from this program")
                .note("a larger template must be uploaded to S3 and passed by URL (`--template-url`; `aws cloudformation deploy --s3-bucket` does it), up to 1,000,000 bytes")
                .help("upload the template to S3, or split the program into several stacks"),
            );
        }
    }
}

/// The attributes `Fn::GetAtt` reads as lists, of the types the stdlib
/// declares (from AWS's resource schemas).
const LIST_ATTRIBUTES: &[(&str, &str)] = &[
    ("AWS::EC2::Subnet", "Ipv6CidrBlocks"),
    ("AWS::EC2::VPC", "CidrBlockAssociations"),
    ("AWS::EC2::VPC", "Ipv6CidrBlocks"),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "SecurityGroups",
    ),
    (
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "LoadBalancerArns",
    ),
    ("AWS::RDS::DBInstance", "ReadReplicaDBClusterIdentifiers"),
    ("AWS::RDS::DBInstance", "ReadReplicaDBInstanceIdentifiers"),
    ("AWS::Route53::HostedZone", "NameServers"),
];

/// The machine image a resource boots from, for the types that take one.
/// Whether an output's value, as written, may be empty or whitespace-only
/// text: the conditions under which it is (empty: always), or `None`.
fn blank_when(value: &Json<'_>) -> Option<Vec<String>> {
    match value {
        Json::Str(text) => text.trim().is_empty().then(Vec::new),
        Json::Object(entries) => match entries.as_slice() {
            [(key, Json::Array(args))] if key == "Fn::If" => {
                let [Json::Str(name), then, otherwise] = args.as_slice() else {
                    return None;
                };
                let branch = |value, holds: bool| {
                    blank_when(value).map(|mut when| {
                        let state = if holds { "true" } else { "false" };
                        when.insert(0, format!("condition `{name}` is {state}"));
                        when
                    })
                };
                branch(then, true).or_else(|| branch(otherwise, false))
            }
            [(key, Json::Array(args))] if key == "Fn::Join" => match args.as_slice() {
                [_, Json::Array(items)] if items.is_empty() => Some(Vec::new()),
                [_, Json::Array(items)] if items.len() == 1 => blank_when(&items[0]),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn image_of(r: &Resource) -> Option<&Expr> {
    match r.type_name.as_str() {
        "AWS::EC2::Instance" | "AWS::AutoScaling::LaunchConfiguration" => {
            r.properties.get("ImageId")
        }
        "AWS::EC2::LaunchTemplate" => match r.properties.get("LaunchTemplateData") {
            Some(Expr::Object(data)) => data.get("ImageId"),
            _ => None,
        },
        _ => None,
    }
}

/// The params read as they are by an EC2 image id property.
fn image_params(deployment: &Deployment) -> HashSet<&str> {
    deployment
        .resources
        .iter()
        .filter_map(|r| match image_of(r) {
            Some(Expr::Param(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// `ami-` and 8 or 17 lower-case letters or digits: what EC2 takes as an
/// image id (the pattern of AWS's resource schema).
fn is_ami_id(text: &str) -> bool {
    text.strip_prefix("ami-").is_some_and(|rest| {
        matches!(rest.len(), 8 | 17)
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

fn context_value(context: Context) -> Json<'static> {
    match context {
        Context::Region => json!({ "Ref": "AWS::Region" }),
        Context::Zones => json!({ "Fn::GetAZs": "" }),
        Context::StackName => json!({ "Ref": "AWS::StackName" }),
        Context::AccountId => json!({ "Ref": "AWS::AccountId" }),
    }
}

/// `DeletionPolicy` and `UpdateReplacePolicy`: the policy lowering decided.
fn deletion_policy(r: &Resource) -> Option<&'static str> {
    r.deletion.map(|d| match d {
        Deletion::Delete => "Delete",
        Deletion::Retain => "Retain",
        Deletion::Snapshot => "Snapshot",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Target;
    use serde_json::json;

    fn deployment() -> Deployment {
        Deployment {
            target: Target::CloudFormation,
            description: None,
            params: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn param(name: &str, ty: ParamType) -> Param {
        Param::new(name, ty)
    }

    fn resource(id: &str, type_name: &str, properties: Vec<(&str, Expr)>) -> Resource {
        Resource::new(id, &id.to_lowercase(), type_name, properties)
    }

    /// A resource reading every param, so that all are emitted.
    fn reader(params: &[Param]) -> Resource {
        resource(
            "Reader",
            "AWS::SQS::Queue",
            params
                .iter()
                .map(|p| (p.name.as_str(), Expr::Param(p.name.clone())))
                .collect(),
        )
    }

    fn output(name: &str, value: Expr) -> Output {
        Output::new(name, value)
    }

    fn s(text: &str) -> Expr {
        Expr::String(text.into())
    }

    fn p(name: &str) -> Expr {
        Expr::Param(name.into())
    }

    fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
        Expr::Binary(op, Box::new(l), Box::new(r))
    }

    fn eq(l: Expr, r: Expr) -> Expr {
        bin(BinaryOp::Eq, l, r)
    }

    fn cond(c: Expr, a: Expr, b: Expr) -> Expr {
        Expr::If(Box::new(c), Box::new(a), Box::new(b))
    }

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(name.into(), args)
    }

    fn object(fields: Vec<(&str, Expr)>) -> Expr {
        Expr::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<crate::ir::Map<_>>(),
        )
    }

    /// The template as JSON.
    fn parsed(text: &str) -> Value {
        serde_json::from_str(text).expect("the template is JSON")
    }

    /// The template, asserting nothing was reported.
    fn clean(d: &Deployment) -> Value {
        let (template, diagnostics) = emit(d);
        assert!(
            diagnostics.is_empty(),
            "unexpected diagnostics: {:#?}",
            diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.code.id, d.message))
                .collect::<Vec<_>>()
        );
        parsed(&template)
    }

    fn codes_of(d: &Deployment) -> Vec<&'static str> {
        emit(d).1.iter().map(|d| d.code.id).collect()
    }

    fn env_param() -> Param {
        Param {
            default: Some(json!("staging")),
            allowed: Some(vec![json!("staging"), json!("production")]),
            ..param("env", ParamType::String)
        }
    }

    #[test]
    fn a_template_without_resources_is_an_error() {
        // CloudFormation refuses a template whose `Resources` is empty.
        let (template, diagnostics) = emit(&deployment());
        assert_eq!(
            parsed(&template),
            json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": {} })
        );
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["E0519"]);
        let outputs_only = Deployment {
            outputs: vec![output("o", s("x"))],
            ..deployment()
        };
        assert_eq!(codes_of(&outputs_only), ["E0519"]);
        // A resource that exists under a condition is a resource.
        let conditional = Deployment {
            params: vec![env_param()],
            resources: vec![Resource {
                condition: Some(eq(p("env"), s("production"))),
                ..resource("Q", "AWS::SQS::Queue", vec![])
            }],
            ..outputs_only
        };
        assert_eq!(codes_of(&conditional), Vec::<&str>::new());
    }

    #[test]
    fn the_description_is_the_doc_comment() {
        let d = Deployment {
            description: Some("The shop.\n".into()),
            resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
            ..deployment()
        };
        assert_eq!(clean(&d)["Description"], json!("The shop."));
    }

    #[test]
    fn a_too_long_description_is_cut_with_a_warning() {
        let d = Deployment {
            description: Some("é".repeat(600)),
            resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
            ..deployment()
        };
        let (template, diagnostics) = emit(&d);
        assert_eq!(diagnostics[0].code.id, "W0513");
        let text = parsed(&template)["Description"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(text.len(), 1024);
    }

    #[test]
    fn params_carry_every_constraint() {
        let params = vec![
            Param {
                description: Some("Deployment environment.".into()),
                message: Some("staging or production".into()),
                ..env_param()
            },
            Param {
                default: Some(json!(2)),
                min: Some(json!(1)),
                max: Some(json!(20)),
                ..param("web_count", ParamType::Int)
            },
            Param {
                secret: true,
                min_length: Some(12),
                max_length: Some(64),
                pattern: Some("^[A-Za-z0-9]+$".into()),
                message: Some("letters and digits".into()),
                ..param("db_password", ParamType::String)
            },
            Param {
                pattern: Some("ssh-".into()),
                ..param("key", ParamType::String)
            },
            Param {
                default: Some(json!(false)),
                ..param("enable_backups", ParamType::Bool)
            },
            Param {
                default: Some(json!(["a", "b"])),
                ..param("zones", ParamType::List(Box::new(ParamType::String)))
            },
            Param {
                default: Some(json!([80, 443])),
                ..param("ports", ParamType::List(Box::new(ParamType::Int)))
            },
            Param {
                message: Some("never shown".into()),
                ..param("plain", ParamType::String)
            },
        ];
        let d = Deployment {
            resources: vec![reader(&params)],
            params,
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Parameters"],
            json!({
                "Env": {
                    "Type": "String",
                    "Description": "Deployment environment.",
                    "Default": "staging",
                    "AllowedValues": ["staging", "production"],
                    "ConstraintDescription": "staging or production"
                },
                "WebCount": { "Type": "Number", "Default": 2, "MinValue": 1, "MaxValue": 20 },
                "DbPassword": {
                    "Type": "String",
                    "AllowedPattern": "^[A-Za-z0-9]+$",
                    "MinLength": 12,
                    "MaxLength": 64,
                    "ConstraintDescription": "letters and digits",
                    "NoEcho": true
                },
                "Key": { "Type": "String", "AllowedPattern": ".*(?:ssh-).*" },
                "EnableBackups": {
                    "Type": "String",
                    "Default": "false",
                    "AllowedValues": ["true", "false"]
                },
                "Zones": { "Type": "CommaDelimitedList", "Default": "a,b" },
                "Ports": { "Type": "List<Number>", "Default": "80,443" },
                "Plain": { "Type": "String" }
            })
        );
    }

    #[test]
    fn params_nothing_reads_are_left_out() {
        let d = Deployment {
            params: vec![
                param("used", ParamType::String),
                Param {
                    group: Some("Other target".into()),
                    ..param("unused", ParamType::String)
                },
            ],
            resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
            outputs: vec![output("o", p("used"))],
            ..deployment()
        };
        let t = clean(&d);
        assert_eq!(t["Parameters"], json!({ "Used": { "Type": "String" } }));
        assert_eq!(t.get("Metadata"), None);
    }

    #[test]
    fn patterns_are_anchored_as_allowed_pattern_needs() {
        assert_eq!(allowed_pattern("^a+$"), "^a+$");
        assert_eq!(allowed_pattern("^a|b$"), ".*(?:^a|b$).*");
        assert_eq!(allowed_pattern("^(a|b)$"), "^(a|b)$");
        assert_eq!(allowed_pattern("^a\\$"), ".*(?:^a\\$).*");
        assert_eq!(allowed_pattern("^[|]$"), "^[|]$");
    }

    #[test]
    fn groups_and_labels_become_the_console_interface() {
        let params = vec![
            Param {
                group: Some("Network".into()),
                label: Some("Office CIDR".into()),
                ..param("admin_cidr", ParamType::String)
            },
            param("image", ParamType::String),
            Param {
                group: Some("Network".into()),
                ..param("vpc_cidr", ParamType::String)
            },
        ];
        let d = Deployment {
            resources: vec![reader(&params)],
            params,
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Metadata"],
            json!({
                "AWS::CloudFormation::Interface": {
                    "ParameterGroups": [
                        { "Label": { "default": "Network" }, "Parameters": ["AdminCidr", "VpcCidr"] }
                    ],
                    "ParameterLabels": { "AdminCidr": { "default": "Office CIDR" } }
                }
            })
        );
    }

    #[test]
    fn resources_have_type_properties_and_explicit_dependencies() {
        let mut instance = resource(
            "Web",
            "AWS::EC2::Instance",
            vec![
                ("ImageId", p("image")),
                ("SubnetId", Expr::Ref("Subnet".into())),
                ("KeyName", Expr::Null),
                (
                    "Tags",
                    Expr::List(vec![object(vec![("Key", s("Name")), ("Value", s("web"))])]),
                ),
            ],
        );
        instance.depends_on = vec!["Gateway".into(), "Subnet".into()];
        let d = Deployment {
            params: vec![param("image", ParamType::String)],
            resources: vec![
                resource("Subnet", "AWS::EC2::Subnet", vec![]),
                resource("Gateway", "AWS::EC2::InternetGateway", vec![]),
                instance,
            ],
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Resources"]["Web"],
            json!({
                "Type": "AWS::EC2::Instance",
                // `Subnet` is already ordered by the `Ref`.
                "DependsOn": "Gateway",
                "Properties": {
                    "ImageId": { "Ref": "Image" },
                    "SubnetId": { "Ref": "Subnet" },
                    "Tags": [{ "Key": "Name", "Value": "web" }]
                }
            })
        );
    }

    #[test]
    fn deletion_policies_are_printed_as_lowering_decided() {
        let with = |deletion| Resource {
            deletion,
            ..resource("R", "AWS::EC2::Volume", vec![])
        };
        let policy = |r: Resource| {
            let d = Deployment {
                resources: vec![r],
                ..deployment()
            };
            let t = clean(&d);
            let r = &t["Resources"]["R"];
            assert_eq!(r["DeletionPolicy"], r["UpdateReplacePolicy"]);
            r["DeletionPolicy"].as_str().map(str::to_string)
        };
        assert_eq!(policy(with(None)), None);
        for (deletion, printed) in [
            (Deletion::Delete, "Delete"),
            (Deletion::Retain, "Retain"),
            (Deletion::Snapshot, "Snapshot"),
        ] {
            assert_eq!(policy(with(Some(deletion))).as_deref(), Some(printed));
        }
    }

    #[test]
    fn conditions_are_named_after_what_they_test_and_shared() {
        let is_prod = eq(p("env"), s("production"));
        let d = Deployment {
            params: vec![env_param()],
            resources: vec![
                Resource {
                    condition: Some(is_prod.clone()),
                    ..resource("Bastion", "AWS::EC2::Instance", vec![])
                },
                Resource {
                    condition: Some(eq(s("production"), p("env"))),
                    ..resource("BastionIp", "AWS::EC2::EIP", vec![])
                },
                resource(
                    "App",
                    "AWS::EC2::Instance",
                    vec![(
                        "InstanceType",
                        cond(is_prod.clone(), s("t3.large"), s("t3.medium")),
                    )],
                ),
            ],
            outputs: vec![Output {
                condition: Some(bin(BinaryOp::Ne, p("env"), s("production"))),
                ..output("note", s("staging"))
            }],
            ..deployment()
        };
        let t = clean(&d);
        assert_eq!(
            t["Conditions"],
            json!({
                "EnvIsProduction": { "Fn::Equals": [{ "Ref": "Env" }, "production"] },
                "EnvIsNotProduction": { "Fn::Not": [{ "Fn::Equals": [{ "Ref": "Env" }, "production"] }] }
            })
        );
        assert_eq!(
            t["Resources"]["Bastion"]["Condition"],
            json!("EnvIsProduction")
        );
        assert_eq!(
            t["Resources"]["BastionIp"]["Condition"],
            json!("EnvIsProduction")
        );
        assert_eq!(
            t["Resources"]["App"]["Properties"]["InstanceType"],
            json!({ "Fn::If": ["EnvIsProduction", "t3.large", "t3.medium"] })
        );
        assert_eq!(
            t["Outputs"]["Note"]["Condition"],
            json!("EnvIsNotProduction")
        );
    }

    #[test]
    fn compound_conditions_refer_to_their_parts() {
        let d = Deployment {
            params: vec![env_param(), param("backups", ParamType::Bool)],
            resources: vec![
                Resource {
                    condition: Some(bin(
                        BinaryOp::And,
                        eq(p("env"), s("production")),
                        p("backups"),
                    )),
                    ..resource("Vault", "AWS::S3::Bucket", vec![])
                },
                Resource {
                    condition: Some(Expr::Not(Box::new(p("backups")))),
                    ..resource("Scratch", "AWS::S3::Bucket", vec![])
                },
                Resource {
                    condition: Some(Expr::Not(Box::new(bin(
                        BinaryOp::Or,
                        eq(p("env"), s("production")),
                        p("backups"),
                    )))),
                    ..resource("Other", "AWS::S3::Bucket", vec![])
                },
            ],
            ..deployment()
        };
        let t = clean(&d);
        assert_eq!(
            t["Conditions"],
            json!({
                "EnvIsProduction": { "Fn::Equals": [{ "Ref": "Env" }, "production"] },
                "BackupsIsTrue": { "Fn::Equals": [{ "Ref": "Backups" }, "true"] },
                "EnvIsProductionAndBackupsIsTrue": {
                    "Fn::And": [{ "Condition": "EnvIsProduction" }, { "Condition": "BackupsIsTrue" }]
                },
                "BackupsIsFalse": { "Fn::Equals": [{ "Ref": "Backups" }, "false"] },
                "EnvIsProductionOrBackupsIsTrue": {
                    "Fn::Or": [{ "Condition": "EnvIsProduction" }, { "Condition": "BackupsIsTrue" }]
                },
                "NotEnvIsProductionOrBackupsIsTrue": {
                    "Fn::Not": [{ "Condition": "EnvIsProductionOrBackupsIsTrue" }]
                }
            })
        );
        assert_eq!(
            t["Resources"]["Scratch"]["Condition"],
            json!("BackupsIsFalse")
        );
    }

    #[test]
    fn more_than_ten_operands_are_grouped() {
        let params: Vec<Param> = (0..12)
            .map(|i| param(&format!("f{i}"), ParamType::Bool))
            .collect();
        let all = (1..12).fold(p("f0"), |acc, i| {
            bin(BinaryOp::And, acc, p(&format!("f{i}")))
        });
        let d = Deployment {
            params,
            resources: vec![Resource {
                condition: Some(all),
                ..resource("B", "AWS::S3::Bucket", vec![])
            }],
            ..deployment()
        };
        let t = clean(&d);
        let name = t["Resources"]["B"]["Condition"].as_str().unwrap();
        let operands = t["Conditions"][name]["Fn::And"].as_array().unwrap();
        assert_eq!(operands.len(), 10);
        let rest = operands[9]["Condition"].as_str().unwrap();
        assert_eq!(
            t["Conditions"][rest]["Fn::And"].as_array().unwrap().len(),
            3
        );
    }

    #[test]
    fn absent_values_and_booleans_in_properties() {
        let is_prod = eq(p("env"), s("production"));
        let d = Deployment {
            params: vec![env_param()],
            resources: vec![resource(
                "Db",
                "AWS::RDS::DBInstance",
                vec![
                    ("MultiAZ", is_prod.clone()),
                    ("KmsKeyId", cond(is_prod.clone(), s("alias/db"), Expr::Null)),
                    ("Public", cond(Expr::Bool(true), s("yes"), s("no"))),
                ],
            )],
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Resources"]["Db"]["Properties"],
            json!({
                "MultiAZ": { "Fn::If": ["EnvIsProduction", true, false] },
                "KmsKeyId": { "Fn::If": ["EnvIsProduction", "alias/db", { "Ref": "AWS::NoValue" }] },
                "Public": "yes"
            })
        );
    }

    #[test]
    fn equality_of_booleans_and_conditional_operands() {
        let d = Deployment {
            params: vec![env_param(), param("flag", ParamType::Bool)],
            resources: vec![
                Resource {
                    condition: Some(eq(p("flag"), Expr::Bool(false))),
                    ..resource("A", "AWS::S3::Bucket", vec![])
                },
                Resource {
                    condition: Some(eq(cond(p("flag"), s("x"), p("env")), s("production"))),
                    ..resource("B", "AWS::S3::Bucket", vec![])
                },
            ],
            ..deployment()
        };
        let t = clean(&d);
        assert_eq!(t["Resources"]["A"]["Condition"], json!("FlagIsFalse"));
        // `flag ? "x" : env` is never "x" == "production" when flag holds.
        assert_eq!(
            t["Conditions"]["FlagIsFalseAndEnvIsProduction"],
            json!({ "Fn::And": [{ "Condition": "FlagIsFalse" }, { "Condition": "EnvIsProduction" }] })
        );
    }

    #[test]
    fn interpolation_is_sub_with_literal_dollars_escaped() {
        let d = Deployment {
            params: vec![
                env_param(),
                param("ports", ParamType::List(Box::new(ParamType::Int))),
            ],
            resources: vec![
                resource("Db", "AWS::RDS::DBInstance", vec![]),
                resource(
                    "Web",
                    "AWS::EC2::Instance",
                    vec![
                        (
                            "UserData",
                            call(
                                "base64",
                                vec![Expr::Interp(vec![
                                    Part::Text("echo ${HOME} ".into()),
                                    Part::Expr(Expr::Attr("Db".into(), "Endpoint.Address".into())),
                                    Part::Text(" ".into()),
                                    Part::Expr(p("env")),
                                    Part::Text(" ".into()),
                                    Part::Expr(Expr::Context(Context::Region)),
                                ])],
                            ),
                        ),
                        (
                            "Name",
                            Expr::Interp(vec![
                                Part::Text("web-".into()),
                                Part::Expr(cond(eq(p("env"), s("production")), s("p"), s("s"))),
                            ]),
                        ),
                        ("Env", Expr::Interp(vec![Part::Expr(p("env"))])),
                    ],
                ),
            ],
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Resources"]["Web"]["Properties"],
            json!({
                "UserData": { "Fn::Base64": {
                    "Fn::Sub": "echo ${!HOME} ${Db.Endpoint.Address} ${Env} ${AWS::Region}"
                } },
                "Name": { "Fn::Join": ["", ["web-", { "Fn::If": ["EnvIsProduction", "p", "s"] }]] },
                "Env": { "Ref": "Env" }
            })
        );
    }

    #[test]
    fn functions_become_intrinsics() {
        let zones = Expr::Context(Context::Zones);
        let vpc_cidr = Expr::Interp(vec![
            Part::Text("10.".into()),
            Part::Expr(p("octet")),
            Part::Text(".0.0/16".into()),
        ]);
        let d = Deployment {
            params: vec![
                param("octet", ParamType::Int),
                param("names", ParamType::List(Box::new(ParamType::String))),
                param("i", ParamType::Int),
            ],
            resources: vec![resource(
                "R",
                "AWS::EC2::Subnet",
                vec![
                    ("A", call("join", vec![s(","), p("names")])),
                    ("B", call("split", vec![s(","), p("names")])),
                    (
                        "C",
                        Expr::Index(Box::new(zones.clone()), Box::new(Expr::Int(1))),
                    ),
                    ("D", call("element", vec![p("names"), p("i")])),
                    (
                        "E",
                        call(
                            "cidrsubnet",
                            vec![vpc_cidr.clone(), Expr::Int(8), Expr::Int(2)],
                        ),
                    ),
                    (
                        "F",
                        call("cidrsubnet", vec![vpc_cidr, Expr::Int(4), p("i")]),
                    ),
                    ("G", Expr::Context(Context::StackName)),
                    ("H", Expr::Context(Context::AccountId)),
                    (
                        "I",
                        Expr::Index(
                            Box::new(Expr::List(vec![s("a"), p("octet")])),
                            Box::new(Expr::Int(1)),
                        ),
                    ),
                ],
            )],
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Resources"]["R"]["Properties"],
            json!({
                "A": { "Fn::Join": [",", { "Ref": "Names" }] },
                "B": { "Fn::Split": [",", { "Ref": "Names" }] },
                "C": { "Fn::Select": [1, { "Fn::GetAZs": "" }] },
                "D": { "Fn::Select": [{ "Ref": "I" }, { "Ref": "Names" }] },
                "E": { "Fn::Select": [2, { "Fn::Cidr": [{ "Fn::Sub": "10.${Octet}.0.0/16" }, 3, 8] }] },
                "F": { "Fn::Select": [{ "Ref": "I" }, { "Fn::Cidr": [{ "Fn::Sub": "10.${Octet}.0.0/16" }, 16, 12] }] },
                "G": { "Ref": "AWS::StackName" },
                "H": { "Ref": "AWS::AccountId" },
                "I": { "Ref": "Octet" }
            })
        );
    }

    #[test]
    fn a_map_read_with_a_deploy_time_key_is_a_mapping() {
        let sizes = object(vec![
            ("staging", s("t3.small")),
            ("production", s("t3.large")),
        ]);
        let settings = object(vec![
            (
                "staging",
                object(vec![
                    ("instance_type", s("t3.small")),
                    ("disk_gb", Expr::Int(20)),
                ]),
            ),
            (
                "production",
                object(vec![
                    ("instance_type", s("t3.large")),
                    ("disk_gb", Expr::Int(100)),
                ]),
            ),
        ]);
        let d = Deployment {
            params: vec![env_param()],
            resources: vec![resource(
                "Web",
                "AWS::EC2::Instance",
                vec![
                    (
                        "InstanceType",
                        call("lookup", vec![sizes.clone(), p("env")]),
                    ),
                    (
                        "Other",
                        Expr::Index(Box::new(sizes.clone()), Box::new(p("env"))),
                    ),
                    (
                        "Disk",
                        Expr::Member(
                            Box::new(Expr::Index(Box::new(settings.clone()), Box::new(p("env")))),
                            "disk_gb".into(),
                        ),
                    ),
                    (
                        "Fallback",
                        call(
                            "lookup",
                            vec![object(vec![("production", s("big"))]), p("env"), s("small")],
                        ),
                    ),
                ],
            )],
            ..deployment()
        };
        let t = clean(&d);
        assert_eq!(
            t["Mappings"],
            json!({
                "InstanceTypeByEnv": {
                    "staging": { "Value": "t3.small" },
                    "production": { "Value": "t3.large" }
                },
                "EnvMap": {
                    "staging": { "InstanceType": "t3.small", "DiskGb": 20 },
                    "production": { "InstanceType": "t3.large", "DiskGb": 100 }
                },
                "FallbackByEnv": {
                    "production": { "Value": "big" },
                    "staging": { "Value": "small" }
                }
            })
        );
        assert_eq!(
            t["Resources"]["Web"]["Properties"],
            json!({
                "InstanceType": { "Fn::FindInMap": ["InstanceTypeByEnv", { "Ref": "Env" }, "Value"] },
                "Other": { "Fn::FindInMap": ["InstanceTypeByEnv", { "Ref": "Env" }, "Value"] },
                "Disk": { "Fn::FindInMap": ["EnvMap", { "Ref": "Env" }, "DiskGb"] },
                "Fallback": { "Fn::FindInMap": ["FallbackByEnv", { "Ref": "Env" }, "Value"] }
            })
        );
    }

    #[test]
    fn outputs_are_text_with_export_and_condition() {
        let d = Deployment {
            params: vec![env_param()],
            resources: vec![resource("Db", "AWS::RDS::DBInstance", vec![])],
            outputs: vec![
                Output {
                    description: Some("Where the application connects.".into()),
                    export: Some(Expr::Interp(vec![
                        Part::Expr(Expr::Context(Context::StackName)),
                        Part::Text("-db".into()),
                    ])),
                    condition: Some(eq(p("env"), s("production"))),
                    ..output(
                        "db_endpoint",
                        Expr::Attr("Db".into(), "Endpoint.Address".into()),
                    )
                },
                output("zones", Expr::Context(Context::Zones)),
                output("count", Expr::Int(3)),
                output("ids", Expr::List(vec![Expr::Ref("Db".into()), s("x")])),
                output(
                    "maybe",
                    cond(
                        eq(p("env"), s("production")),
                        Expr::Ref("Db".into()),
                        Expr::Null,
                    ),
                ),
            ],
            ..deployment()
        };
        assert_eq!(
            clean(&d)["Outputs"],
            json!({
                "DbEndpoint": {
                    "Description": "Where the application connects.",
                    "Condition": "EnvIsProduction",
                    "Value": { "Fn::GetAtt": ["Db", "Endpoint.Address"] },
                    "Export": { "Name": { "Fn::Sub": "${AWS::StackName}-db" } }
                },
                "Zones": { "Value": { "Fn::Join": [",", { "Fn::GetAZs": "" }] } },
                "Count": { "Value": "3" },
                "Ids": { "Value": { "Fn::Join": [",", [{ "Ref": "Db" }, "x"]] } },
                "Maybe": { "Value": { "Fn::If": ["EnvIsProduction", { "Ref": "Db" }, ""] } }
            })
        );
    }

    #[test]
    fn an_export_that_may_be_empty_is_an_error() {
        let prod = || eq(p("env"), s("production"));
        let exported = |name: &str, value: Expr| Output {
            export: Some(s(&format!("app-{name}"))),
            ..output(name, value)
        };
        let d = |outputs| Deployment {
            params: vec![env_param()],
            resources: vec![resource("Db", "AWS::RDS::DBInstance", vec![])],
            outputs,
            ..deployment()
        };
        let db = || Expr::Ref("Db".into());
        for value in [
            s(""),
            s(" \t"),
            Expr::Null,
            Expr::List(vec![]),
            cond(prod(), db(), s("")),
            cond(prod(), s(" "), db()),
            cond(prod(), db(), cond(eq(p("env"), s("staging")), db(), s(""))),
        ] {
            let (_, diagnostics) = emit(&d(vec![exported("a", value.clone())]));
            let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
            assert_eq!(codes, ["E0520"], "{value:?}");
        }
        let (_, diagnostics) = emit(&d(vec![exported("a", cond(prod(), db(), s("")))]));
        assert!(
            diagnostics[0]
                .notes
                .iter()
                .any(|n| n.contains("condition `EnvIsProduction` is false")),
            "{:?}",
            diagnostics[0].notes
        );
        // Not exported, or never empty: fine. An output under a condition
        // (`c ? x : null`) exists only with its value.
        clean(&d(vec![
            output("a", cond(prod(), db(), s(""))),
            exported("b", cond(prod(), db(), s("none"))),
            Output {
                condition: Some(prod()),
                ..exported("c", db())
            },
        ]));
    }

    #[test]
    fn sections_come_in_the_documented_order() {
        let d = Deployment {
            description: Some("d".into()),
            params: vec![Param {
                label: Some("Environment".into()),
                ..env_param()
            }],
            resources: vec![Resource {
                condition: Some(eq(p("env"), s("production"))),
                ..resource(
                    "R",
                    "AWS::S3::Bucket",
                    vec![(
                        "BucketName",
                        call(
                            "lookup",
                            vec![
                                object(vec![("staging", s("a")), ("production", s("b"))]),
                                p("env"),
                            ],
                        ),
                    )],
                )
            }],
            outputs: vec![output("r", Expr::Ref("R".into()))],
            ..deployment()
        };
        let t = clean(&d);
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "AWSTemplateFormatVersion",
                "Description",
                "Metadata",
                "Parameters",
                "Mappings",
                "Conditions",
                "Resources",
                "Outputs"
            ]
        );
    }

    #[test]
    fn deploy_time_arithmetic_is_an_error_naming_the_param() {
        let d = Deployment {
            params: vec![param("days", ParamType::Int)],
            resources: vec![resource(
                "Q",
                "AWS::SQS::Queue",
                vec![(
                    "MessageRetentionPeriod",
                    bin(BinaryOp::Mul, p("days"), Expr::Int(86400)),
                )],
            )],
            ..deployment()
        };
        let (_, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "E0510");
        assert_eq!(
            diagnostics[0].message,
            "CloudFormation cannot compute `days * 86400` at deploy time"
        );
        assert!(diagnostics[0].help[0].contains("--param days=VALUE"));
    }

    #[test]
    fn ordering_in_a_condition_is_an_error() {
        let d = Deployment {
            params: vec![param("n", ParamType::Int)],
            resources: vec![Resource {
                condition: Some(bin(BinaryOp::Gt, p("n"), Expr::Int(2))),
                ..resource("Q", "AWS::SQS::Queue", vec![])
            }],
            ..deployment()
        };
        assert_eq!(codes_of(&d), ["E0510"]);
    }

    #[test]
    fn a_deploy_time_count_is_an_error() {
        let d = Deployment {
            params: vec![param("n", ParamType::Int)],
            resources: vec![Resource {
                count: Some(p("n")),
                ..resource(
                    "Q",
                    "AWS::SQS::Queue",
                    vec![(
                        "QueueName",
                        Expr::Interp(vec![Part::Text("q-".into()), Part::Expr(Expr::CountIndex)]),
                    )],
                )
            }],
            ..deployment()
        };
        let (_, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "E0504");
        assert!(diagnostics[0].help[0].contains("--param n=N"));
    }

    #[test]
    fn colliding_logical_ids_are_an_error() {
        let d = Deployment {
            params: vec![
                param("web_server", ParamType::String),
                param("webServer", ParamType::String),
            ],
            resources: vec![
                resource("WebServer", "AWS::SQS::Queue", vec![]),
                resource("Q", "AWS::SQS::Queue", vec![]),
                // As lowering names a second resource whose words make `Q`.
                resource("Q~2", "AWS::SQS::Queue", vec![]),
            ],
            outputs: vec![output("a_b", s("x")), output("aB", s("y"))],
            ..deployment()
        };
        // A param and a resource, two resources (E0503), two outputs.
        assert_eq!(codes_of(&d), ["E0511", "E0511", "E0503", "E0511"]);
    }

    #[test]
    fn invalid_logical_ids_are_an_error() {
        let d = Deployment {
            params: vec![param("_", ParamType::String)],
            resources: vec![resource("Web-1", "AWS::SQS::Queue", vec![])],
            outputs: vec![output(&"x".repeat(300), s("y"))],
            ..deployment()
        };
        assert_eq!(codes_of(&d), ["E0512", "E0512", "E0512"]);
    }

    #[test]
    fn functions_cloudformation_lacks_are_errors() {
        let d = Deployment {
            params: vec![env_param(), param("sep", ParamType::String)],
            resources: vec![resource(
                "R",
                "AWS::SQS::Queue",
                vec![
                    ("A", call("upper", vec![p("env")])),
                    (
                        "B",
                        call("join", vec![p("sep"), Expr::List(vec![p("env")])]),
                    ),
                    (
                        "C",
                        call("cidrsubnet", vec![p("env"), Expr::Int(8), Expr::Int(1)]),
                    ),
                    (
                        "D",
                        call(
                            "lookup",
                            vec![object(vec![("a", s("b"))]), p("sep"), s("c")],
                        ),
                    ),
                    ("E", call("length", vec![p("env")])),
                ],
            )],
            ..deployment()
        };
        let (_, diagnostics) = emit(&d);
        assert_eq!(
            diagnostics.iter().map(|d| d.code.id).collect::<Vec<_>>(),
            ["E0513"; 5]
        );
        assert!(diagnostics[4].notes[0].contains("LanguageExtensions"));
    }

    #[test]
    fn a_condition_cannot_read_a_resource() {
        let d = Deployment {
            resources: vec![
                resource("Vpc", "AWS::EC2::VPC", vec![]),
                Resource {
                    condition: Some(eq(
                        Expr::Attr("Vpc".into(), "CidrBlock".into()),
                        s("10.0.0.0/16"),
                    )),
                    ..resource("Q", "AWS::SQS::Queue", vec![])
                },
            ],
            ..deployment()
        };
        assert_eq!(codes_of(&d), ["E0514"]);
    }

    #[test]
    fn values_without_a_cloudformation_shape_are_errors() {
        let d = Deployment {
            params: vec![
                param("tags", ParamType::Json),
                param("env", ParamType::String),
            ],
            resources: vec![resource(
                "R",
                "AWS::SQS::Queue",
                vec![
                    ("A", Expr::Member(Box::new(p("tags")), "team".into())),
                    (
                        "B",
                        call("lookup", vec![object(vec![("a_b", s("x"))]), p("env")]),
                    ),
                ],
            )],
            outputs: vec![output("o", object(vec![("a", p("env"))]))],
            ..deployment()
        };
        assert_eq!(codes_of(&d), ["E0515", "E0515", "E0515"]);
    }

    #[test]
    fn limits_are_errors() {
        let d = Deployment {
            params: (0..201)
                .map(|i| param(&format!("p{i}"), ParamType::String))
                .collect(),
            resources: (0..501)
                .map(|i| {
                    let name = format!("p{}", i % 201);
                    resource(
                        &format!("Q{i}"),
                        "AWS::SQS::Queue",
                        vec![("QueueName", Expr::Param(name))],
                    )
                })
                .collect(),
            outputs: (0..201).map(|i| output(&format!("o{i}"), s("x"))).collect(),
            ..deployment()
        };
        let (_, diagnostics) = emit(&d);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages[..3],
            [
                "the template has 501 resources: CloudFormation accepts at most 500",
                "the template has 201 parameters: CloudFormation accepts at most 200",
                "the template has 201 outputs: CloudFormation accepts at most 200",
            ]
        );
    }

    #[test]
    fn a_template_too_large_is_an_error() {
        let big = "x".repeat(4000);
        let d = Deployment {
            resources: (0..260)
                .map(|i| {
                    resource(
                        &format!("Q{i}"),
                        "AWS::SQS::Queue",
                        vec![("QueueName", s(&big))],
                    )
                })
                .collect(),
            ..deployment()
        };
        let (template, diagnostics) = emit(&d);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code.id, "E0516");
        assert_eq!(
            diagnostics[0].message,
            format!(
                "the template has {} bytes: CloudFormation accepts at most 1000000",
                template.len()
            )
        );
    }

    #[test]
    fn ami_ids_are_told_from_image_names() {
        assert!(is_ami_id("ami-12345678"));
        assert!(is_ami_id("ami-0123456789abcdef0"));
        for name in [
            "ubuntu-24.04",
            "ami-",
            "ami-1234567",
            "ami-0123456789ABCDEF0",
            "AMI-12345678",
        ] {
            assert!(!is_ami_id(name), "{name}");
        }
    }

    #[test]
    fn too_many_mappings_are_an_error() {
        let resources = (0..201)
            .map(|i| {
                resource(
                    &format!("Q{i}"),
                    "AWS::SQS::Queue",
                    vec![(
                        "QueueName",
                        call(
                            "lookup",
                            vec![object(vec![("a", s(&i.to_string()))]), p("env")],
                        ),
                    )],
                )
            })
            .collect();
        let d = Deployment {
            params: vec![param("env", ParamType::String)],
            resources,
            ..deployment()
        };
        let codes = codes_of(&d);
        assert!(codes.contains(&"E0516"), "{codes:?}");
    }

    #[test]
    fn a_secret_in_an_output_is_an_error_naming_where_it_is_kept() {
        let password = Expr::Interp(vec![
            Part::Text("{{resolve:secretsmanager:".into()),
            Part::Expr(Expr::Ref("Password".into())),
            Part::Text(":SecretString}}".into()),
        ]);
        let d = Deployment {
            resources: vec![resource("Password", "AWS::SecretsManager::Secret", vec![])],
            outputs: vec![
                Output {
                    sensitive: true,
                    ..output("password", password)
                },
                output("token", s("{{resolve:ssm-secure:/app/token}}")),
                // A plain `ssm` parameter is no secret: outputs may read it.
                output("ami", s("{{resolve:ssm:/aws/service/ami}}")),
            ],
            ..deployment()
        };
        let (_, diagnostics) = emit(&d);
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
        // No W0511 beside the error: the output is not written at all.
        assert_eq!(codes, ["E0518", "E0518"]);
        assert!(diagnostics[0].help.iter().any(|h| h.contains("`Password`")));
        assert!(diagnostics[1].message.contains("Parameter Store"));
    }

    #[test]
    fn sensitive_outputs_and_unchecked_constraints_are_noted() {
        let d = Deployment {
            params: vec![Param {
                min_length: Some(2),
                ..param("zones", ParamType::List(Box::new(ParamType::String)))
            }],
            resources: vec![resource(
                "R",
                "AWS::SQS::Queue",
                vec![(
                    "QueueName",
                    Expr::Index(Box::new(p("zones")), Box::new(Expr::Int(0))),
                )],
            )],
            outputs: vec![Output {
                sensitive: true,
                ..output("secret", s("x"))
            }],
            ..deployment()
        };
        let (template, diagnostics) = emit(&d);
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["W0512", "W0511"]);
        assert_eq!(diagnostics[1].severity, crate::diagnostics::Severity::Note);
        assert_eq!(
            parsed(&template)["Parameters"]["Zones"],
            json!({ "Type": "CommaDelimitedList" })
        );
    }

    #[test]
    fn a_secret_param_in_an_output_is_a_warning() {
        let d = Deployment {
            params: vec![Param {
                secret: true,
                ..param("db_password", ParamType::String)
            }],
            outputs: vec![Output {
                sensitive: true,
                ..output(
                    "pw",
                    Expr::Interp(vec![Part::Text("p-".into()), Part::Expr(p("db_password"))]),
                )
            }],
            resources: vec![resource("Q", "AWS::SQS::Queue", vec![])],
            ..deployment()
        };
        assert_eq!(codes_of(&d), ["W0514"]);
    }

    #[test]
    fn output_is_identical_across_runs() {
        let d = Deployment {
            params: vec![env_param()],
            resources: (0..50)
                .map(|i| Resource {
                    condition: Some(eq(p("env"), s(&format!("e{}", i % 7)))),
                    ..resource(&format!("Q{i}"), "AWS::SQS::Queue", vec![])
                })
                .collect(),
            ..deployment()
        };
        let first = emit(&d).0;
        for _ in 0..5 {
            assert_eq!(emit(&d).0, first);
        }
    }

    #[test]
    fn pascal_case_spells_logical_ids() {
        assert_eq!(pascal_case("web_server"), "WebServer");
        assert_eq!(pascal_case("adminCidr"), "AdminCidr");
        assert_eq!(pascal_case("us-east-1"), "UsEast1");
        assert_eq!(pascal_case("_"), "");
    }
}
