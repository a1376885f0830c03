//! Nested stacks: a deployment too large for one template of its target
//! (more resources or bytes than its quotas, `Capabilities::limits`) is
//! split into a parent and children, each a template of its own. This is
//! the one place the split is decided; the backends print the parent and
//! the children they are given.
//!
//! The unit of placement is a group (`ir::Resource::group`: the entry
//! file's declaration a resource was made for, with all its copies, or a
//! component instance with everything in it; declarations that read each
//! other both ways are one group). A group that reads exactly one other
//! follows it: same level, and a key that extends the other's. Any other
//! group starts a level above the highest of what it reads, its key
//! extending that of its primary dependency (the highest, the first by
//! name). A key is hex digits, 8 per name along that chain, of a stable
//! hash of the name (64-bit FNV-1a). A child holds groups of one level
//! whose keys start with its bucket's bits: the groups of a level are one
//! bucket (`1`), split in two by the next bit while its child does not fit
//! the target's quotas (`1-2138d2194fp01`; `z` holds the groups whose key
//! ends there; extendible hashing, in two so that children are about two
//! thirds full). So a server and what reads only it (its
//! volume) are placed together, the servers of one subnet near each other,
//! and a stack reads stacks of lower levels, or of its own level only
//! groups its groups follow, whose buckets' digits are prefixes of its own:
//! the stacks' dependencies have no cycle.
//!
//! A group's key and level depend only on what it reads, and a child's
//! content only on the groups in its bucket: adding a declaration changes
//! only its bucket's child and the parent (and, where the new resources
//! read one of another child's resources that nothing outside it read
//! before, that child gains an output; where its child no longer fits, it
//! is split).
//!
//! In a child, what it reads of another child becomes a parameter, which
//! the parent gives from the other child's output (what it reads of copies
//! of one declaration, one list for them all, as the target passes lists:
//! `ListParameters`); a param of the program
//! it reads is a parameter too, given by the parent's; `depends_on` across
//! children becomes a dependency between the stack resources; the stack's
//! name is passed down, since a nested stack has a name of its own.

mod members;

pub use members::member_templates;

use std::collections::BTreeMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::Emission;
use crate::builtins::Builtin;
use crate::diagnostics::{self, Code, Diagnostic, codes};
use crate::ir::{Context, Deployment, Expr, Map, Output, Param, ParamType, Resource, ResourceId};
use crate::source::Span;
use crate::sourcemap::Emitted;
use crate::target::{Limits, ListParameters, NestedStacks, Target};
use crate::workspace::{Printed, Printing};

/// One template of a deployment, split or not, with what its backend
/// reported, and what `split`'s caller made of its deployment and printed
/// text (`finish`), which are not kept.
pub struct Part<T> {
    /// A child's bucket (`1-2138d2194f`), which names its file
    /// (`Target::stack_file_name`); `None` for the parent, or the one
    /// template of a deployment not split.
    pub stack: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub finished: T,
}

/// What the caller of `split` makes of each part while its deployment is
/// at hand (a source map): from its bucket, its deployment, what its
/// source map reads of its text, and the text, which is its to keep or
/// write at once (or was staged as it was printed). Children are made and
/// finished on every core, in no set order.
pub type Finish<'f, T> = dyn Fn(Option<&str>, &Deployment, &Emitted, Printed) -> T + Sync + 'f;

/// The name of the parameter a child gets its parent's stack name in.
const STACK_NAME_PARAM: &str = "ParentStackName";

/// Hex digits of a name's hash in a group's key.
const NAME_DIGITS: usize = 8;

/// A group follows its primary dependency's key only while that key is
/// shorter than this (8 names): past it a chain starts again, a level up.
const MAX_FOLLOWED: usize = 8 * NAME_DIGITS;

/// The fewest resources in one round of children made on every core: on
/// fewer, starting a thread takes longer than it saves (portable N = 500
/// to CloudFormation, 3 templates, 7% slower on two cores).
const PARALLEL_MIN_RESOURCES: usize = 2_000;

/// The bit of a sub-bucket that holds the groups whose key ends at its
/// depth, written `z`.
const END: u8 = 2;

/// Whether `deployment`, whose template is `size` bytes, is over its
/// target's quotas in a way nested stacks can fix: too many resources or
/// too many bytes. Too many params or outputs stay in the parent.
pub fn needed(deployment: &Deployment, size: usize) -> bool {
    let capabilities = deployment.target.capabilities();
    if capabilities.nested_stacks.is_none() {
        return false;
    }
    let limits = capabilities.limits;
    limits
        .resources
        .is_some_and(|max| deployment.resources.len() > max)
        || limits.body_bytes.is_some_and(|max| size > max)
}

/// Splits `deployment` (the template of the entry file `stem`) into a parent
/// and children when its printed template is over a quota splitting can
/// fix; else it is the one part, printed.
/// The parent comes first, then the children by bucket. The diagnostics
/// are what could not be placed. Each part is given to `finish` as soon as
/// it is made, and its deployment dropped: a child's IR is not held beside
/// the whole's and the others'. A child's properties, most of its IR, are
/// moved out of the whole, not copied; the rest of each resource is cloned
/// from the whole, which the split reads to the end. Where a split made
/// before the whole is printed (`splits_early`) has an error, the whole,
/// printed to report it, is made again by `whole_again`; without it, the
/// whole is printed first. A template that is never split is printed to
/// `printing` (`backend::emission_to`): staged or dropped as it is printed;
/// with `exiting` (the process ends after this build), what its source map
/// does not read is left to the exit.
pub fn split<T: Send>(
    mut deployment: Deployment,
    stem: &str,
    finish: &Finish<'_, T>,
    whole_again: Option<&dyn Fn() -> Deployment>,
    (printing, exiting): (Printing<'_>, bool),
) -> (Vec<Part<T>>, Vec<Diagnostic>) {
    let nested = deployment.target.capabilities().nested_stacks;
    let mut early = None;
    if let Some(nested) = nested
        && let Some(whole_again) = whole_again
        && splits_early(&deployment)
    {
        let properties = take_properties(&mut deployment);
        let (parts, placing) = Splitter::new(&deployment, properties, nested, stem).run(finish);
        let failed = diagnostics::has_errors(&placing)
            || parts
                .iter()
                .any(|p| diagnostics::has_errors(&p.diagnostics));
        if !failed {
            return (parts, placing);
        }
        deployment = whole_again();
        early = Some((parts, placing));
    }
    let emitted = crate::backend::emission_to(&deployment, printing);
    let limit_codes = [codes::E0516.id, codes::E0536.id];
    let other_errors = emitted.diagnostics.iter().any(|d| {
        d.code.severity == diagnostics::Severity::Error && !limit_codes.contains(&d.code.id)
    });
    let needs_split =
        nested.is_some_and(|_| !other_errors && needed(&deployment, emitted.text.len()));
    let Some(nested) = nested.filter(|_| needs_split) else {
        // The map reads no property: the IR's largest part goes before the
        // map is made beside the template, or is left to the exit, which
        // reclaims it at once (freed node by node, it takes 3% of a large
        // build).
        for r in &mut deployment.resources {
            let properties = std::mem::take(&mut r.properties);
            if exiting {
                std::mem::forget(properties);
            }
        }
        let part = Part {
            stack: None,
            finished: finish(
                None,
                &deployment,
                &emitted.sections,
                Printed {
                    text: emitted.text,
                    staged: emitted.staged,
                },
            ),
            diagnostics: emitted.diagnostics,
        };
        return (vec![part], Vec::new());
    };
    drop(emitted);
    early.unwrap_or_else(|| {
        let properties = take_properties(&mut deployment);
        Splitter::new(&deployment, properties, nested, stem).run(finish)
    })
}

/// Whether `deployment` is split before its whole is printed: it has too
/// many resources for one template, which is known without printing it.
/// The whole is printed only when a part has an error, so that a program's
/// errors are reported as the whole's. An exported output is checked on
/// the whole (E0520: a value that may be empty), which its parent's read
/// of a child's output would hide; so are ids that two resources' names
/// make one (`Name~N`), which two children may each hold alone.
pub fn splits_early(deployment: &Deployment) -> bool {
    let capabilities = deployment.target.capabilities();
    capabilities.nested_stacks.is_some()
        && capabilities
            .limits
            .resources
            .is_some_and(|max| deployment.resources.len() > max)
        && deployment.outputs.iter().all(|o| o.export.is_none())
        && !deployment.resources.iter().any(Resource::id_shared)
}

/// A group: the resources made for one declaration of the entry file (or
/// for several, where they read each other both ways).
struct Group {
    /// Its resources' indices, in source order.
    members: Vec<u32>,
    /// Its name (the first of its declarations' names).
    name: String,
    /// Hex digits: its primary dependency's key, then its name's hash's
    /// first `NAME_DIGITS`. A bucket holds the groups whose keys start
    /// with its digits, so that what reads one resource is placed with it
    /// and with each other.
    key: Vec<u8>,
    /// 0 for a group that reads nothing; its dependency's for a group that
    /// reads one other group (which it then follows: its key extends that
    /// one's); else one more than the highest of what it reads. A child
    /// holds groups of one level: a stack reads stacks of lower levels, or
    /// of its level what its groups follow, whose keys are prefixes of
    /// theirs, so that the stacks' dependencies have no cycle.
    level: u32,
}

/// A bucket: a level, and the first bits of its groups' keys (`END` last
/// for the groups whose keys end there).
type Bucket = (u32, Vec<u8>);

/// The copies of one type that one declaration makes, which pass as one
/// list from stack to stack.
struct CopyList {
    members: Vec<u32>,
    /// The declaration's name as words (`SubnetA`), then the type's last
    /// segment where the declaration makes several types.
    name: String,
}

/// What is read of a resource: `read_path` of the read.
type Key = String;

struct Splitter<'d> {
    whole: &'d Deployment,
    nested: NestedStacks,
    stem: &'d str,
    limits: Limits,
    groups: Vec<Group>,
    /// The whole's resources' properties, each moved into the child that
    /// holds its resource (`Splitter::run`).
    properties: Vec<Map<Expr>>,
    /// For each resource, who reads what of it: a resource's index, or
    /// `None` for an output of the program.
    read_by: Vec<Vec<(Option<u32>, Expr)>>,
    lists: Vec<CopyList>,
    /// Each resource's list and place in it, where a read of it from
    /// another stack passes in the list (`Splitter::listed`).
    listed_in: Vec<Option<(u32, u32)>>,
    diagnostics: Vec<Diagnostic>,
}

/// A bucket whose child a round makes: its groups, their resources in
/// source order, and those resources' properties, taken from the whole.
struct Job {
    bucket: Bucket,
    groups: Vec<usize>,
    members: Vec<u32>,
    properties: Vec<Map<Expr>>,
}

/// A read of copies that passes as one list parameter: the list, what is
/// read of each copy, and which part of the list (`ListParameters`).
type ListRead = (u32, Key, u32);

/// A child: its bucket's resources as a deployment, and how the parent
/// wires it.
struct Child<'d> {
    bucket: String,
    /// How its resources' properties are the whole's again, should it not
    /// fit.
    restore: Restore,
    /// The whole deployment's indices of its resources, in order.
    members: Vec<u32>,
    /// Its params and counts; its resources and outputs are dropped once
    /// it is finished (`Finish`).
    deployment: Deployment,
    /// Where its first resource is declared.
    first: Span,
    /// Each parameter the parent gives it, in its params' order.
    given: Vec<Given<'d>>,
    /// The resources outside it that its resources depend on.
    after: Vec<u32>,
    /// The output of each read of its resources from outside, by the
    /// resource's index in the whole deployment and what is read.
    outputs: HashMap<(u32, Key), String>,
    /// The output of each list read of its resources from outside.
    list_outputs: HashMap<ListRead, String>,
    /// Its printed template, given to `Finish` once it fits.
    text: String,
    /// The length of its printed template, kept when the text is dropped.
    bytes: usize,
    diagnostics: Vec<Diagnostic>,
    sections: Emitted,
}

/// What the parent gives a child's parameter.
enum Given<'d> {
    /// A param of the program.
    Param(&'d str),
    /// The parent's stack name.
    StackName,
    /// What another child outputs of one of its resources.
    Read(u32, Key),
    /// What another child outputs of a list of copies.
    ReadList(ListRead),
}

/// 64-bit FNV-1a: a hash of a group's name that no version of Rust or of
/// this compiler changes.
fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The first `NAME_DIGITS` hex digits of a name's hash.
fn name_digits(name: &str) -> impl Iterator<Item = u8> {
    let hash = stable_hash(name);
    (0..NAME_DIGITS).map(move |i| ((hash >> (60 - 4 * i)) & 0xf) as u8)
}

/// The resource a read starts from: a `Ref` or an `Attr` of it, with
/// constant indexes and members into it (`port.fixed_ips[0].ip_address`).
/// A read is passed whole from one stack to another, so that what passes
/// is the value used, most often text, as parameters and outputs hold.
fn read_of(e: &Expr) -> Option<ResourceId> {
    match e {
        Expr::Ref(id) | Expr::Attr(id, _) => Some(*id),
        Expr::Member(base, _) => read_of(base),
        Expr::Index(base, index) if index.is_const() => read_of(base),
        _ => None,
    }
}

/// What a read reads of its resource, exactly: `` for its id, then
/// `.attribute`, `.member`, `[index]` in order.
fn read_path(e: &Expr) -> String {
    match e {
        Expr::Attr(_, attribute) => format!(".{attribute}"),
        Expr::Member(base, field) => format!("{}.{field}", read_path(base)),
        Expr::Index(base, index) => {
            let index = match &**index {
                Expr::Int(i) => i.to_string(),
                Expr::String(s) => format!("{s:?}"),
                other => format!("{other:?}"),
            };
            format!("{}[{index}]", read_path(base))
        }
        _ => String::new(),
    }
}

/// The name a read takes as a child's parameter and output: its logical
/// id's letters and digits, then `Ref` or the words of what it reads,
/// capitalised (`WebServerPublicIp`, `PortFixedIps0IpAddress`), which
/// every backend writes as it is.
fn read_name(resource: &Resource, path: &str) -> String {
    let mut name: String = resource
        .id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    push_read(&mut name, path);
    name
}

/// `Ref`, or the words of what a read reads, capitalised.
fn push_read(name: &mut String, path: &str) {
    if path.is_empty() {
        name.push_str("Ref");
    }
    push_words(name, path);
}

/// The words of `text` (between characters not letters or digits), each
/// capitalised.
fn push_words(name: &mut String, text: &str) {
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
}

/// A name as every backend's spelling of it compares: its letters and
/// digits, in lower case (`net_ref` and `NetRef` are one on
/// CloudFormation).
fn folded(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    // A byte of a character outside ASCII is never alphanumeric ASCII.
    for byte in name.bytes().filter(u8::is_ascii_alphanumeric) {
        out.push(char::from(byte.to_ascii_lowercase()));
    }
    out
}

/// `base`, or the first of `base2`, `base3`, ... whose `folded` form is
/// not in `taken`, which it joins.
fn unique(base: String, taken: &mut HashSet<String>) -> String {
    if taken.insert(folded(&base)) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|name| taken.insert(folded(name)))
        .unwrap_or_default()
}

/// Calls `f` on every read of a resource in `e` (`read_of`) and on every
/// list of copies.
fn reads<'e>(e: &'e Expr, f: &mut dyn FnMut(ResourceId, &'e Expr)) {
    if let Some(id) = read_of(e) {
        f(id, e);
        return;
    }
    if let Expr::Copies { of, .. } = e {
        f(*of, e);
    }
    e.for_each_child(|child| reads(child, f));
}

/// The properties of every resource of `deployment`, taken out of it.
fn take_properties(deployment: &mut Deployment) -> Vec<Map<Expr>> {
    (deployment.resources.iter_mut())
        .map(|r| std::mem::take(&mut r.properties))
        .collect()
}

fn output_exprs(o: &Output) -> impl Iterator<Item = &Expr> {
    std::iter::once(&o.value)
        .chain(o.export.iter())
        .chain(o.condition.iter())
}

impl<'d> Splitter<'d> {
    fn new(
        whole: &'d Deployment,
        properties: Vec<Map<Expr>>,
        nested: NestedStacks,
        stem: &'d str,
    ) -> Splitter<'d> {
        // Each resource's declaration, by first appearance.
        let mut names: Vec<&str> = Vec::new();
        let mut by_name: HashMap<&str, u32> = HashMap::default();
        let declaration_of: Vec<u32> = whole
            .resources
            .iter()
            .map(|r| {
                let name = if r.group.is_empty() { &r.id } else { &*r.group };
                *by_name.entry(name).or_insert_with(|| {
                    names.push(name);
                    names.len() as u32 - 1
                })
            })
            .collect();
        let mut read_by: Vec<Vec<(Option<u32>, Expr)>> = vec![Vec::new(); whole.resources.len()];
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(names.len(), 0);
        for _ in &names {
            graph.add_node(());
        }
        let mut edges: HashSet<(u32, u32)> = HashSet::default();
        for (i, r) in whole.resources.iter().enumerate() {
            let from = declaration_of[i];
            let mut edge = |to: ResourceId| {
                if let Some(&to) = declaration_of.get(to.index())
                    && to != from
                    && edges.insert((from, to))
                {
                    graph.add_edge(
                        NodeIndex::new(from as usize),
                        NodeIndex::new(to as usize),
                        (),
                    );
                }
            };
            let exprs = properties[i]
                .values()
                .chain(r.condition.as_deref())
                .chain(r.count.as_deref());
            for e in exprs {
                reads(e, &mut |id, key| {
                    edge(id);
                    if let Some(list) = read_by.get_mut(id.index()) {
                        list.push((Some(i as u32), key.clone()));
                    }
                });
            }
            r.depends_on.iter().for_each(|&id| edge(id));
        }
        for o in &whole.outputs {
            for e in output_exprs(o) {
                reads(e, &mut |id, key| {
                    if let Some(list) = read_by.get_mut(id.index()) {
                        list.push((None, key.clone()));
                    }
                });
            }
        }
        // Declarations that read each other both ways are one group, named
        // by the first of their names in order; the components come
        // dependencies first.
        let components = tarjan_scc(&graph);
        let mut group_of: Vec<u32> = vec![0; names.len()];
        let mut groups: Vec<Group> = Vec::with_capacity(components.len());
        for (g, component) in components.iter().enumerate() {
            for node in component {
                group_of[node.index()] = g as u32;
            }
            let mut dependencies: Vec<usize> = component
                .iter()
                .flat_map(|node| graph.neighbors(*node))
                .map(|d| group_of[d.index()] as usize)
                // `tarjan_scc` gives the components in reverse topological
                // order: with edges from a group to what it reads, what a
                // group reads comes before it (and itself is `g`).
                .filter(|&d| d < g)
                .collect();
            dependencies.sort_unstable();
            dependencies.dedup();
            let name = component
                .iter()
                .map(|n| names[n.index()])
                .min()
                .unwrap_or_default();
            // The dependency of the highest level, the first by name.
            let primary = dependencies
                .iter()
                .map(|&d| &groups[d])
                .max_by(|a, b| a.level.cmp(&b.level).then(b.name.cmp(&a.name)));
            let followed = primary.filter(|p| p.key.len() < MAX_FOLLOWED);
            let level = match (dependencies.len(), followed) {
                (0, _) => 0,
                (1, Some(p)) => p.level,
                _ => primary.map_or(0, |p| p.level + 1),
            };
            let mut key = followed.map(|p| p.key.clone()).unwrap_or_default();
            key.extend(name_digits(name));
            groups.push(Group {
                members: Vec::new(),
                name: name.to_string(),
                key,
                level,
            });
        }
        for (i, declaration) in declaration_of.iter().enumerate() {
            groups[group_of[*declaration as usize] as usize]
                .members
                .push(i as u32);
        }
        let (lists, listed_in) = copy_lists(whole);
        Splitter {
            whole,
            nested,
            stem,
            limits: whole.target.capabilities().limits,
            groups,
            properties,
            read_by,
            lists,
            listed_in,
            diagnostics: Vec::new(),
        }
    }

    /// The list and place in it of a read of resource `old` from another
    /// stack, when it passes in a list: a copy read as the target's lists
    /// can hold.
    fn listed(&self, old: u32, read: &Expr) -> Option<(u32, u32)> {
        let placed = self.listed_in.get(old as usize).copied().flatten()?;
        let r = &self.whole.resources[old as usize];
        let holds = match self.nested.lists {
            ListParameters::Json => true,
            ListParameters::CommaSeparated {
                ids_with_commas, ..
            } => {
                matches!(read, Expr::Ref(_))
                    && !ids_with_commas
                        .iter()
                        .any(|prefix| r.type_name.starts_with(prefix))
            }
        };
        holds.then_some(placed)
    }

    /// The most copies one list parameter passes: all on Heat.
    fn list_values(&self) -> usize {
        match self.nested.lists {
            ListParameters::CommaSeparated { values, .. } => values,
            ListParameters::Json => usize::MAX,
        }
    }

    /// The part of its list a copy's value passes in, and its index there.
    fn list_part(&self, position: u32) -> (u32, u32) {
        let values = u32::try_from(self.list_values()).unwrap_or(u32::MAX);
        (position / values, position % values)
    }

    /// The name of a list read's parameter and output: the declaration's
    /// words, what is read, and the copies it holds (`SubnetARef0to15`).
    fn list_name(&self, (list, key, part): &ListRead) -> String {
        let list = &self.lists[*list as usize];
        let mut name = list.name.clone();
        push_read(&mut name, key);
        let (from, to) = self.part_range(list, *part);
        name.push_str(&format!("{from}to{}", to - 1));
        name
    }

    /// The positions in `list` of the copies part `part` holds.
    fn part_range(&self, list: &CopyList, part: u32) -> (usize, usize) {
        let values = self.list_values();
        let from = (part as usize).saturating_mul(values);
        (from, from.saturating_add(values).min(list.members.len()))
    }

    fn run<T: Send>(mut self, finish: &Finish<'_, T>) -> (Vec<Part<T>>, Vec<Diagnostic>) {
        // A bucket of each level holds all its groups, then is split by
        // their digits while it does not fit. The children of one round
        // are made on every core; whether one fits decides the next round.
        let mut levels: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (g, group) in self.groups.iter().enumerate() {
            levels.entry(group.level).or_default().push(g);
        }
        let mut pending: Vec<(Bucket, Vec<usize>)> = levels
            .into_iter()
            .map(|(level, groups)| ((level, Vec::new()), groups))
            .collect();
        let mut properties = std::mem::take(&mut self.properties);
        let mut children: BTreeMap<Bucket, Child<'d>> = BTreeMap::new();
        let mut finished: BTreeMap<Bucket, T> = BTreeMap::new();
        let mut unplaced: Vec<(Bucket, Diagnostic)> = Vec::new();
        while !pending.is_empty() {
            let mut round = Vec::new();
            while let Some((bucket, groups)) = pending.pop() {
                // Too many resources is known without building the child.
                let count: usize = groups.iter().map(|&g| self.groups[g].members.len()).sum();
                if self.limits.resources.is_some_and(|max| count > max)
                    && let Some(deeper) = self.subdivide(&bucket, &groups)
                {
                    pending.extend(deeper);
                    continue;
                }
                let members = self.members(&groups);
                let properties = (members.iter())
                    .map(|&m| std::mem::take(&mut properties[m as usize]))
                    .collect();
                round.push(Job {
                    bucket,
                    groups,
                    members,
                    properties,
                });
            }
            let this = &self;
            let made = |job: Job| {
                let mut child = this.child(&job.bucket, job.members, job.properties);
                let fitting = fits(&child);
                let text = std::mem::take(&mut child.text);
                let sections = std::mem::take(&mut child.sections);
                let done = fitting.then(|| {
                    let held = Printed::held(text);
                    let done = finish(Some(&child.bucket), &child.deployment, &sections, held);
                    child.deployment.resources = Vec::new();
                    child.deployment.outputs = Vec::new();
                    done
                });
                (job.bucket, job.groups, child, done)
            };
            // Threads cost more than they give on a small program.
            let resources: usize = round.iter().map(|job| job.members.len()).sum();
            let made = match resources >= PARALLEL_MIN_RESOURCES {
                true => crate::on_every_core(round, made),
                false => round.into_iter().map(made).collect(),
            };
            for (bucket, groups, child, done) in made {
                if let Some(done) = done {
                    finished.insert(bucket.clone(), done);
                    children.insert(bucket, child);
                    continue;
                }
                match self.subdivide(&bucket, &groups) {
                    Some(deeper) => pending.extend(deeper),
                    None => unplaced.push((bucket, self.too_large(&child, &groups))),
                }
                Self::give_back(child, &mut properties);
            }
        }
        // In source order, whatever order the threads found them in.
        unplaced.sort_by(|a, b| (a.1.primary.span, &a.0).cmp(&(b.1.primary.span, &b.0)));
        self.diagnostics
            .extend(unplaced.into_iter().map(|(_, d)| d));
        if diagnostics::has_errors(&self.diagnostics) {
            return (Vec::new(), self.diagnostics);
        }
        let children: Vec<Child<'d>> = children.into_values().collect();
        let mut crossing = Vec::new();
        let parent = self.parent(&children, &mut crossing);
        if !crossing.is_empty() {
            self.diagnostics.extend(crossing);
            return (Vec::new(), self.diagnostics);
        }
        let mut emission = crate::backend::emission(&parent);
        let quotas = [codes::E0516.id, codes::E0536.id];
        for d in &mut emission.diagnostics {
            if quotas.contains(&d.code.id) {
                d.notes.push(format!(
                    "the program is split into nested stacks ({}): this is the parent, which holds the program's params and outputs, a stack resource for each nested stack, and what one stack reads of another",
                    children.len()
                ));
            }
        }
        let mut parts = vec![Part {
            stack: None,
            finished: finish(
                None,
                &parent,
                &emission.sections,
                Printed::held(emission.text),
            ),
            diagnostics: emission.diagnostics,
        }];
        drop(parent);
        parts.extend(
            children
                .into_iter()
                .zip(finished.into_values())
                .map(|(child, finished)| Part {
                    stack: Some(child.bucket),
                    diagnostics: child.diagnostics,
                    finished,
                }),
        );
        (parts, self.diagnostics)
    }

    /// The groups of a bucket, by their next bit (`END` for those whose
    /// key ends there): the non-empty buckets one bit deeper, or deeper
    /// while all are in one; `None` when their keys are one.
    fn subdivide(&self, bucket: &Bucket, groups: &[usize]) -> Option<Vec<(Bucket, Vec<usize>)>> {
        let (level, mut digits) = bucket.clone();
        loop {
            let depth = digits.len();
            let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); usize::from(END) + 1];
            for &g in groups {
                let bit = self.groups[g]
                    .key
                    .get(depth / 4)
                    .map_or(END, |hex| (hex >> (3 - depth % 4)) & 1);
                buckets[usize::from(bit)].push(g);
            }
            let full: Vec<usize> = (0..buckets.len())
                .filter(|&d| !buckets[d].is_empty())
                .collect();
            match full.as_slice() {
                [only] if *only == usize::from(END) => return None,
                [only] => digits.push(*only as u8),
                _ => {
                    let split = buckets
                        .into_iter()
                        .enumerate()
                        .filter(|(_, groups)| !groups.is_empty())
                        .map(|(digit, groups)| {
                            let mut deeper = digits.clone();
                            deeper.push(digit as u8);
                            ((level, deeper), groups)
                        })
                        .collect();
                    return Some(split);
                }
            }
        }
    }

    /// The child of a bucket: its groups' resources in source order, what
    /// they read outside it as parameters, what is read of them outside as
    /// outputs; printed.
    fn child(&self, bucket: &Bucket, members: Vec<u32>, properties: Vec<Map<Expr>>) -> Child<'d> {
        let whole = self.whole;
        let bucket = bucket_name(bucket);
        let place: HashMap<u32, u32> = (members.iter().enumerate())
            .map(|(new, &old)| (old, new as u32))
            .collect();
        let mut rewrite = Rewrite {
            whole,
            splitter: self,
            place: &place,
            given: Vec::new(),
            read_params: HashMap::default(),
            list_params: HashMap::default(),
            names: whole.params.iter().map(|p| folded(&p.name)).collect(),
            stack_name: None,
            params: Vec::new(),
            taken: HashSet::default(),
            crossing_copies: Vec::new(),
            at: Span::default(),
            restore: Restore::default(),
        };
        let mut resources = Vec::with_capacity(members.len());
        let mut after: Vec<u32> = Vec::new();
        for (&old, properties) in members.iter().zip(properties) {
            // The whole's resource without its properties, then them.
            let mut r = whole.resources[old as usize].clone();
            r.properties = properties;
            rewrite.at = r.span;
            for e in r.properties.values_mut() {
                rewrite.expr(e);
            }
            for e in r.condition.iter_mut().chain(r.count.iter_mut()) {
                rewrite.expr(e);
            }
            let mut depends_on = Vec::with_capacity(r.depends_on.len());
            for id in &r.depends_on {
                match place.get(&id.0) {
                    Some(&new) => depends_on.push(ResourceId(new)),
                    None if !after.contains(&id.0) => after.push(id.0),
                    None => {}
                }
            }
            r.depends_on = depends_on;
            resources.push(r);
        }
        // The reads of its resources from outside, each resource's in a
        // fixed order: its id, then its attributes by name.
        let mut outputs: HashMap<(u32, Key), String> = HashMap::default();
        let mut list_outputs: HashMap<ListRead, String> = HashMap::default();
        let mut child_outputs = Vec::new();
        let mut taken: HashSet<String> = HashSet::default();
        for (new, &old) in members.iter().enumerate() {
            let mut read: Vec<(Key, &Expr)> = Vec::new();
            for (reader, e) in &self.read_by[old as usize] {
                let reader = *reader;
                if reader.is_some_and(|r| place.contains_key(&r)) {
                    continue;
                }
                // A read by another child of a listed copy passes in its
                // list, output with the list's first copy read; the
                // program's outputs, in the parent, read each copy.
                let listed = reader.and_then(|_| self.listed(old, e));
                let Some((list, position)) = listed else {
                    read.push((read_path(e), e));
                    continue;
                };
                let list_read = (list, read_path(e), self.list_part(position).0);
                if list_outputs.contains_key(&list_read) {
                    continue;
                }
                let name = unique(self.list_name(&list_read), &mut taken);
                let copies = &self.lists[list as usize];
                let (from, to) = self.part_range(copies, list_read.2);
                let values: Vec<Expr> = copies.members[from..to]
                    .iter()
                    .map(|m| {
                        let mut value = e.clone();
                        let new = place.get(m).copied().unwrap_or_default();
                        value.for_each_reference_mut(&mut |id| *id = ResourceId(new));
                        value
                    })
                    .collect();
                let value = match self.nested.lists {
                    ListParameters::Json => Expr::List(values),
                    ListParameters::CommaSeparated { .. } => Expr::Call(
                        Builtin::Join,
                        vec![Expr::String(",".into()), Expr::List(values)],
                    ),
                };
                let mut output = Output::new(&name, value);
                output.span = whole.resources[copies.members[from] as usize].span;
                child_outputs.push(output);
                list_outputs.insert(list_read, name);
            }
            read.sort_by(|a, b| a.0.cmp(&b.0));
            read.dedup_by(|a, b| a.0 == b.0);
            let r = &resources[new];
            for (key, e) in read {
                let name = unique(read_name(&whole.resources[old as usize], &key), &mut taken);
                let mut value = e.clone();
                value.for_each_reference_mut(&mut |id| *id = ResourceId(new as u32));
                if matches!(e, Expr::Copies { .. }) {
                    continue;
                }
                if let Expr::Attr(_, attribute) = e
                    && r.facts.list_attributes.contains(attribute)
                {
                    value = Expr::Call(Builtin::Join, vec![Expr::String(",".into()), value]);
                }
                // An output that reads a resource under a condition is
                // empty when it does not exist: the parent reads it
                // whatever holds.
                if let Some(condition) = &r.condition {
                    value = Expr::If(
                        condition.clone(),
                        Box::new(value),
                        Box::new(Expr::String(String::new())),
                    );
                }
                let mut output = Output::new(&name, value);
                output.span = r.span;
                child_outputs.push(output);
                outputs.insert((old, key), name);
            }
        }
        let mut params: Vec<Param> = whole
            .params
            .iter()
            .filter(|p| rewrite.taken.contains(p.name.as_str()))
            .cloned()
            .collect();
        params.extend(rewrite.params);
        // The program's params first, in its order, then the others in the
        // order first read.
        let mut given: Vec<Given<'d>> = Vec::with_capacity(params.len());
        given.extend(
            whole
                .params
                .iter()
                .filter(|p| rewrite.taken.contains(p.name.as_str()))
                .map(|p| Given::Param(&p.name)),
        );
        given.extend(rewrite.given);
        let description = format!(
            "Nested stack {bucket} of {}",
            whole.target.file_name(self.stem, false)
        );
        let deployment = Deployment {
            target: whole.target,
            description: Some(description),
            params,
            resources,
            outputs: child_outputs,
        };
        let restore = std::mem::take(&mut rewrite.restore);
        let mut diagnostics = Vec::new();
        for (span, of) in rewrite.crossing_copies {
            diagnostics.push(self.crossing_copies(span, of));
        }
        let emission = if counts_fit(&deployment, &self.limits) {
            crate::backend::emission(&deployment)
        } else {
            Emission {
                text: String::new(),
                staged: None,
                diagnostics: Vec::new(),
                sections: Emitted::default(),
            }
        };
        // A child is uploaded by `aws cloudformation package`, never passed
        // inline.
        let emitted = emission.diagnostics.into_iter();
        diagnostics.extend(emitted.filter(|d| d.code.id != codes::W0510.id));
        let first = deployment.resources.first().map(|f| f.span);
        Child {
            bucket,
            restore,
            members,
            first: first.unwrap_or_default(),
            deployment,
            given,
            after,
            outputs,
            list_outputs,
            bytes: emission.text.len(),
            text: emission.text,
            diagnostics,
            sections: emission.sections,
        }
    }

    /// The resources of a bucket's groups, in source order.
    fn members(&self, groups: &[usize]) -> Vec<u32> {
        let mut members: Vec<u32> = groups
            .iter()
            .flat_map(|&g| self.groups[g].members.iter().copied())
            .collect();
        members.sort_unstable();
        members
    }

    /// The properties of a child that does not fit, as the whole's again,
    /// for the children of its sub-buckets.
    fn give_back(mut child: Child<'d>, properties: &mut [Map<Expr>]) {
        for (r, &old) in child.deployment.resources.iter_mut().zip(&child.members) {
            let mut taken = std::mem::take(&mut r.properties);
            for e in taken.values_mut() {
                child.restore.expr(e, &child.members);
            }
            properties[old as usize] = taken;
        }
    }

    /// A read across children of a resource with a deploy-time count.
    fn crossing_copies(&self, span: Span, of: u32) -> Diagnostic {
        let r = &self.whole.resources[of as usize];
        let name = if r.group.is_empty() { &r.id } else { &*r.group };
        Diagnostic::new(
            &codes::E0539,
            span,
            format!(
                "`{name}` is repeated at deploy time and read from another nested stack"
            ),
        )
        .label("read here, in another nested stack than the copies")
        .note(format!(
            "the program is too large for one template of {} and is split into nested stacks; the copies of a deploy-time count are one group, which a nested stack's outputs cannot pass whole",
            self.whole.target.display()
        ))
        .help("give the count at compile time with `--param`, or put the reader and the copies in one component, which is placed in one nested stack")
    }

    /// The diagnostic for a group that does not fit a child alone.
    fn too_large(&self, child: &Child<'d>, groups: &[usize]) -> Diagnostic {
        let whole = self.whole;
        let first = &whole.resources[self.groups[groups[0]].members[0] as usize];
        let target = whole.target;
        let code: &'static Code = match target {
            Target::Heat => &codes::E0538,
            _ => &codes::E0521,
        };
        let d = &child.deployment;
        let limits = self.limits;
        let over = |count: usize, max: Option<usize>| max.is_some_and(|m| count > m);
        let why = if over(d.resources.len(), limits.resources) {
            format!(
                "it makes {} native resources, and a template of {} holds at most {}",
                d.resources.len(),
                target.display(),
                limits.resources.unwrap_or_default()
            )
        } else if over(d.params.len(), limits.parameters) {
            format!(
                "it reads {} values from outside it, each a parameter, and a template of {} takes at most {}",
                d.params.len(),
                target.display(),
                limits.parameters.unwrap_or_default()
            )
        } else if over(d.outputs.len(), limits.outputs) {
            format!(
                "{} of its values are read from outside it, each an output, and a template of {} has at most {}",
                d.outputs.len(),
                target.display(),
                limits.outputs.unwrap_or_default()
            )
        } else {
            format!(
                "its template is {} bytes, and {} takes at most {}",
                child.bytes,
                target.display(),
                limits.body_bytes.unwrap_or_default()
            )
        };
        let what = if groups.len() > 1 {
            format!(
                "`{}` and {} other declarations share a key and do not fit one nested stack",
                first.group,
                groups.len() - 1
            )
        } else {
            format!("`{}` does not fit one nested stack", first.group)
        };
        Diagnostic::new(code, first.span, what)
            .label(why)
            .note(format!(
                "the program is too large for one template of {} and is split into nested stacks; a declaration with all its copies, or a component instance with everything in it, is kept in one",
                target.display()
            ))
            .help("split the declaration: fewer copies in each, or several component instances")
    }

    /// The parent: the program's params and outputs, one stack resource
    /// per child.
    fn parent(&self, children: &[Child<'d>], crossing: &mut Vec<Diagnostic>) -> Deployment {
        let whole = self.whole;
        // Each resource's child, and the stack resources' ids.
        let mut home: Vec<u32> = vec![0; whole.resources.len()];
        for (c, child) in children.iter().enumerate() {
            for &old in &child.members {
                home[old as usize] = c as u32;
            }
        }
        // The output `name` of the stack resource of child `c`.
        let output = |c: u32, name: Option<&String>| -> Expr {
            let name = name.map_or("", String::as_str);
            Expr::Attr(
                ResourceId(c),
                format!("{}{name}", self.nested.output_attribute),
            )
        };
        let read = |old: u32, key: &str| -> Expr {
            let c = home[old as usize];
            output(c, children[c as usize].outputs.get(&(old, key.to_string())))
        };
        let read_list = |list_read: &ListRead| -> Expr {
            let c = home[self.lists[list_read.0 as usize].members[0] as usize];
            output(c, children[c as usize].list_outputs.get(list_read))
        };
        let mut resources = Vec::with_capacity(children.len());
        for child in children {
            let file = whole
                .target
                .stack_file_name(self.stem, &child.bucket)
                .unwrap_or_default();
            let type_name = self
                .nested
                .type_name
                .map_or_else(|| file.clone(), str::to_string);
            let mut r = Resource::new(
                &format!("Stack{}", child.bucket.replace('-', "x")),
                &format!("stack_{}", child.bucket.replace('-', "_")),
                &type_name,
                Vec::new(),
            );
            for (param, given) in child.deployment.params.iter().zip(&child.given) {
                let value = match given {
                    Given::Param(name) => {
                        let value = Expr::Param(name.to_string());
                        // A nested stack's parameters are text.
                        if matches!(param.ty, ParamType::List(_)) {
                            Expr::Call(Builtin::Join, vec![Expr::String(",".into()), value])
                        } else {
                            value
                        }
                    }
                    Given::StackName => Expr::Context(Context::StackName),
                    Given::Read(old, key) => read(*old, key),
                    Given::ReadList(list_read) => read_list(list_read),
                };
                r.properties.insert(param.name.as_str().into(), value);
            }
            let mut after: Vec<ResourceId> = child
                .after
                .iter()
                .map(|old| ResourceId(home[*old as usize]))
                .collect();
            after.sort_unstable();
            after.dedup();
            r.depends_on = after;
            r.span = child.first;
            r.declared = r.span;
            r.set_stack(&file);
            resources.push(r);
        }
        let mut outputs = whole.outputs.clone();
        for o in &outputs {
            for e in output_exprs(o) {
                reads(e, &mut |id, read| {
                    let counted = whole
                        .resources
                        .get(id.index())
                        .is_some_and(|r| r.count.is_some());
                    if counted || matches!(read, Expr::Copies { .. }) {
                        crossing.push(self.crossing_copies(o.span, id.0));
                    }
                });
            }
        }
        for o in &mut outputs {
            let exprs = std::iter::once(&mut o.value)
                .chain(o.export.iter_mut())
                .chain(o.condition.iter_mut());
            for e in exprs {
                replace_reads(e, &read);
            }
        }
        Deployment {
            target: whole.target,
            description: whole.description.clone(),
            params: whole.params.clone(),
            resources,
            outputs,
        }
    }
}

/// A bucket's name: its level, then its bits as hex digits, `z` for
/// `END`, and the bits of a last partial digit after a `p` (`1-2f`,
/// `1-2fp01`, `1-2fz`, `0-p1`).
fn bucket_name((level, bits): &Bucket) -> String {
    let mut name = level.to_string();
    if bits.is_empty() {
        return name;
    }
    name.push('-');
    // A key ends only after a whole digit, so `END` starts the remainder.
    let mut digits = bits.chunks_exact(4);
    for digit in digits.by_ref() {
        let value = digit
            .iter()
            .fold(0, |value, bit| value << 1 | u32::from(*bit));
        name.push(char::from_digit(value, 16).unwrap_or('z'));
    }
    let rest = digits.remainder();
    if rest.first() == Some(&END) {
        name.push('z');
    } else if !rest.is_empty() {
        name.push('p');
        name.extend(rest.iter().map(|bit| if *bit == 1 { '1' } else { '0' }));
    }
    name
}

/// The copies each declaration makes of each type, where they are more
/// than one and none has a condition (whose absent copy a list would hold
/// as empty text) or a deploy-time count; each resource's list and place
/// in it.
fn copy_lists(whole: &Deployment) -> (Vec<CopyList>, Vec<Option<(u32, u32)>>) {
    let mut index: HashMap<(&str, &str), usize> = HashMap::default();
    let mut kinds: Vec<(&str, &str, Vec<u32>)> = Vec::new();
    for (i, r) in whole.resources.iter().enumerate() {
        let declaration = if r.group.is_empty() { &r.id } else { &*r.group };
        let kind = (declaration, &*r.type_name);
        let k = *index.entry(kind).or_insert_with(|| {
            kinds.push((kind.0, kind.1, Vec::new()));
            kinds.len() - 1
        });
        kinds[k].2.push(i as u32);
    }
    let mut types_of: HashMap<&str, usize> = HashMap::default();
    for (declaration, _, _) in &kinds {
        *types_of.entry(declaration).or_default() += 1;
    }
    let mut lists = Vec::new();
    let mut listed_in = vec![None; whole.resources.len()];
    for (declaration, type_name, members) in kinds {
        let plain = members.iter().all(|&m| {
            let r = &whole.resources[m as usize];
            r.condition.is_none() && r.count.is_none()
        });
        if members.len() < 2 || !plain {
            continue;
        }
        let mut name = String::new();
        push_words(&mut name, declaration);
        if types_of[declaration] > 1 {
            push_words(
                &mut name,
                type_name.rsplit("::").next().unwrap_or(type_name),
            );
        }
        for (position, &m) in members.iter().enumerate() {
            listed_in[m as usize] = Some((lists.len() as u32, position as u32));
        }
        lists.push(CopyList { members, name });
    }
    (lists, listed_in)
}

/// Replaces each read of a resource in `e` by `read` of it.
fn replace_reads(e: &mut Expr, read: &dyn Fn(u32, &str) -> Expr) {
    match read_of(e) {
        Some(id) => *e = read(id.0, &read_path(e)),
        None => e.for_each_child_mut(|child| replace_reads(child, read)),
    }
}

/// Whether a child's counts are within its target's quotas.
fn counts_fit(d: &Deployment, limits: &Limits) -> bool {
    let within = |count: usize, max: Option<usize>| max.is_none_or(|m| count <= m);
    within(d.resources.len(), limits.resources)
        && within(d.params.len(), limits.parameters)
        && within(d.outputs.len(), limits.outputs)
}

/// Whether a child fits its quotas: its counts, then its printed size and
/// what else the backend checks (mappings).
fn fits(child: &Child) -> bool {
    !child.text.is_empty()
        && !child
            .diagnostics
            .iter()
            .any(|d| d.code.id == codes::E0516.id || d.code.id == codes::E0536.id)
}

/// A child's expressions rewritten: its own resources by their new
/// indices, the rest read through parameters.
struct Rewrite<'r, 'd> {
    whole: &'d Deployment,
    splitter: &'r Splitter<'d>,
    place: &'r HashMap<u32, u32>,
    /// What the parent gives each parameter made here, in order.
    given: Vec<Given<'d>>,
    /// The parameter of each read of another child's resource.
    read_params: HashMap<(u32, Key), String>,
    /// The parameter of each list read of another child's copies.
    list_params: HashMap<ListRead, String>,
    /// The names of the parameters made here, and the program's.
    names: HashSet<String>,
    stack_name: Option<String>,
    params: Vec<Param>,
    /// The program's params read.
    taken: HashSet<&'d str>,
    /// Reads of copies made at deploy time outside the child: where, and
    /// of which resource.
    crossing_copies: Vec<(Span, u32)>,
    /// The resource being rewritten.
    at: Span,
    restore: Restore,
}

/// What a child's rewrite replaced, to undo it (`Splitter::give_back`).
#[derive(Default)]
struct Restore {
    /// Each parameter made for a read, with the read.
    reads: HashMap<String, Expr>,
    /// Each list parameter and index, with the read of that copy.
    list_reads: HashMap<(String, i64), Expr>,
    stack_name: Option<String>,
}

impl Restore {
    /// `e` of a child's resource as the whole's: reads of parameters as
    /// the reads they replaced, the child's resources by their indices in
    /// the whole (`members`).
    fn expr(&self, e: &mut Expr, members: &[u32]) {
        match e {
            Expr::Param(name) => {
                if let Some(read) = self.reads.get(name) {
                    *e = read.clone();
                } else if self.stack_name.as_ref() == Some(name) {
                    *e = Expr::Context(Context::StackName);
                }
                return;
            }
            Expr::Index(base, index) => {
                if let (Expr::Param(name), Expr::Int(i)) = (&**base, &**index)
                    && let Some(read) = self.list_reads.get(&(name.clone(), *i))
                {
                    *e = read.clone();
                    return;
                }
            }
            Expr::Ref(id) | Expr::Attr(id, _) | Expr::Copies { of: id, .. } => {
                *id = ResourceId(members.get(id.index()).copied().unwrap_or_default());
            }
            _ => {}
        }
        e.for_each_child_mut(|child| self.expr(child, members));
    }
}

impl<'d> Rewrite<'_, 'd> {
    fn expr(&mut self, e: &mut Expr) {
        let whole = self.whole;
        if let Some(id) = read_of(e)
            && !self.place.contains_key(&id.0)
            && let Some(target) = whole.resources.get(id.index())
        {
            if target.count.is_some() {
                self.crossing_copies.push((self.at, id.0));
            }
            let key = read_path(e);
            if let Some((list, position)) = self.splitter.listed(id.0, e) {
                let (part, index) = self.splitter.list_part(position);
                let name = self.list_param((list, key, part));
                let read = (name.clone(), i64::from(index));
                self.restore
                    .list_reads
                    .entry(read)
                    .or_insert_with(|| e.clone());
                *e = Expr::Index(
                    Box::new(Expr::Param(name)),
                    Box::new(Expr::Int(i64::from(index))),
                );
                return;
            }
            let list = matches!(e, Expr::Attr(_, a) if target.facts.list_attributes.contains(a));
            let ty = if list {
                ParamType::List(Box::new(ParamType::String))
            } else {
                ParamType::String
            };
            let base = read_name(target, &key);
            let name = self.param((id.0, key), base, ty, target.span);
            self.restore
                .reads
                .entry(name.clone())
                .or_insert_with(|| e.clone());
            *e = Expr::Param(name);
            return;
        }
        match e {
            Expr::Ref(id) | Expr::Attr(id, _) | Expr::Copies { of: id, .. } => {
                match self.place.get(&id.0) {
                    Some(&new) => *id = ResourceId(new),
                    // Reported (E0539); the child is printed without it.
                    None => {
                        self.crossing_copies.push((self.at, id.0));
                        *e = Expr::Null;
                        return;
                    }
                }
            }
            Expr::Param(name) => {
                if let Some(p) = whole.params.iter().find(|p| p.name == *name) {
                    self.taken.insert(&p.name);
                }
                return;
            }
            Expr::Context(Context::StackName) => {
                let name = self.stack_name();
                *e = Expr::Param(name);
                return;
            }
            _ => {}
        }
        e.for_each_child_mut(|child| self.expr(child));
    }

    /// The parameter the parent's stack name is given in.
    fn stack_name(&mut self) -> String {
        if let Some(name) = &self.stack_name {
            return name.clone();
        }
        let name = unique(STACK_NAME_PARAM.to_string(), &mut self.names);
        self.given.push(Given::StackName);
        let mut param = Param::new(&name, ParamType::String);
        param.span = self.at;
        self.params.push(param);
        self.stack_name = Some(name.clone());
        self.restore.stack_name = Some(name.clone());
        name
    }

    /// The parameter a list read of another child's copies is given in:
    /// a JSON list, or text with commas between the values.
    fn list_param(&mut self, read: ListRead) -> String {
        if let Some(name) = self.list_params.get(&read) {
            return name.clone();
        }
        let splitter = self.splitter;
        let name = unique(splitter.list_name(&read), &mut self.names);
        let first = splitter.lists[read.0 as usize].members[0];
        self.list_params.insert(read.clone(), name.clone());
        self.given.push(Given::ReadList(read));
        let ty = match splitter.nested.lists {
            ListParameters::Json => ParamType::Json,
            ListParameters::CommaSeparated { .. } => ParamType::List(Box::new(ParamType::String)),
        };
        let mut param = Param::new(&name, ty);
        param.span = self.whole.resources[first as usize].span;
        self.params.push(param);
        name
    }

    /// The parameter a read of another child's resource is given in.
    fn param(&mut self, read: (u32, Key), base: String, ty: ParamType, span: Span) -> String {
        if let Some(name) = self.read_params.get(&read) {
            return name.clone();
        }
        let name = unique(base, &mut self.names);
        self.read_params.insert(read.clone(), name.clone());
        self.given.push(Given::Read(read.0, read.1));
        let mut param = Param::new(&name, ty);
        param.span = span;
        self.params.push(param);
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_named_by_its_whole_digits_then_the_bits_of_a_part() {
        let bits = |digits: &[u8]| -> Vec<u8> {
            digits
                .iter()
                .flat_map(|d| (0..4).rev().map(move |i| (d >> i) & 1))
                .collect()
        };
        assert_eq!(bucket_name(&(1, Vec::new())), "1");
        assert_eq!(bucket_name(&(1, bits(&[0x2, 0xf]))), "1-2f");
        let mut partial = bits(&[0x2, 0xf]);
        partial.extend([0, 1]);
        assert_eq!(bucket_name(&(1, partial)), "1-2fp01");
        assert_eq!(bucket_name(&(0, vec![1])), "0-p1");
        let mut ended = bits(&[0x2, 0xf]);
        ended.push(END);
        assert_eq!(bucket_name(&(3, ended)), "3-2fz");
    }
}
