//! Member templates: on Heat, where a deploy-time count is an
//! `OS::Heat::ResourceGroup` and a member of one group cannot name the
//! member of another, the copies that must pair up are one group over a
//! nested template (its `resource_def.type` the template's file, written
//! beside the main one, `NAME.stack-GROUP.hot.yaml`). A unit is the
//! counted resources made for one declaration (`ir::Resource::group` and
//! `span`): it gets a member template when it has several native
//! resources (a `compute.Server` is a port and a server) or when it reads
//! the copy of another counted declaration with its own index (a load
//! balancer's pool member over counted servers). Lowering decides what is
//! counted and what is unrolled (`lower::bounded`); this is how Heat
//! prints a count that must pair.
//!
//! The member template has an `index` parameter, fed `%index%`; the
//! program's params it reads and the values it reads of resources outside
//! the group are parameters too, given by the group's `resource_def`; a
//! copy of another counted declaration is picked from the list of all of
//! them by index (`get_param [LIST, {get_param: index}]`). What is read of
//! the group's resources from outside is an output of the template, read
//! through the group as a list (`get_attr [group, OUTPUT]`) or for one copy
//! (`get_attr [group, resource.N, OUTPUT]`).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::backend::emission;
use crate::ir::{Context, Deployment, Expr, Output, Param, ParamType, Resource, ResourceId};
use crate::target::Repetition;
use crate::workspace::Printed;

use super::{
    Finish, Part, STACK_NAME_PARAM, folded, output_exprs, read_name, read_of, read_path, unique,
};

/// The member template's parameter that holds the member's index, which
/// the Heat backend reads a copy's index (`Expr::CountIndex`) from.
use crate::backend::heat::MEMBER_INDEX_PARAM as INDEX_PARAM;

/// One declaration's counted resources, and what becomes of them.
struct Unit {
    /// Its resources' indices in the whole deployment, in order.
    members: Vec<u32>,
    /// Whether it is printed as a group over a member template.
    templated: bool,
}

/// A member template being made: its parameters and what the group gives
/// each, in the whole deployment's terms.
struct Member {
    unit: usize,
    /// The group's name (its declaration's), which names its file.
    name: String,
    resources: Vec<Resource>,
    params: Vec<Param>,
    given: Vec<Expr>,
    /// The outputs: each read from outside (resource, path) by name.
    outputs: Vec<((u32, String), String)>,
    /// The condition every member shares, the group's.
    condition: Option<Box<Expr>>,
    /// Resources outside the group its members depend on.
    after: Vec<u32>,
}

/// The reads (`Ref`, `Attr`) of `e`, and each whether it is inside a list
/// of copies (`Copies`), where a counted resource is the list of its
/// copies rather than the copy with the reader's index.
fn bare_reads(e: &Expr, in_copies: bool, f: &mut dyn FnMut(ResourceId, &Expr, bool)) {
    match e {
        Expr::Ref(id) | Expr::Attr(id, _) => f(*id, e, in_copies),
        Expr::Copies { each, .. } => bare_reads(each, true, f),
        _ => e.for_each_child(|c| bare_reads(c, in_copies, f)),
    }
}

/// Splits the units of `deployment` that pair copies into member
/// templates, on a target that repeats by groups (Heat): the main
/// deployment, with a group resource in place of each unit's first
/// resource, and each member template printed and given to `finish`.
/// Elsewhere it is unchanged.
pub fn member_templates<T>(
    deployment: Deployment,
    stem: &str,
    finish: &Finish<'_, T>,
) -> (Deployment, Vec<Part<T>>) {
    let target = deployment.target;
    if target.repetition() != Repetition::Groups || target.capabilities().nested_stacks.is_none() {
        return (deployment, Vec::new());
    }
    let whole = &deployment;
    // The units, by declaration, in order of their first resource.
    let mut unit_of: Vec<Option<usize>> = vec![None; whole.resources.len()];
    let mut units: Vec<Unit> = Vec::new();
    // One declaration may count resources by several counts (a load
    // balancer's members over `c ? blue : green`): a unit per count.
    let mut by_key: HashMap<(crate::ir::Key, crate::source::Span, String), usize> =
        HashMap::default();
    for (i, r) in whole.resources.iter().enumerate() {
        let Some(count) = r.count.as_ref().filter(|_| r.stack().is_none()) else {
            continue;
        };
        let key = (r.group.clone(), r.span, format!("{count:?}"));
        let u = *by_key.entry(key).or_insert_with(|| {
            units.push(Unit {
                members: Vec::new(),
                templated: false,
            });
            units.len() - 1
        });
        units[u].members.push(i as u32);
        unit_of[i] = Some(u);
    }
    if units.is_empty() {
        return (deployment, Vec::new());
    }
    for (u, unit) in units.iter_mut().enumerate() {
        let mut pairs = unit.members.len() > 1;
        for &m in &unit.members {
            for e in resource_exprs(&whole.resources[m as usize]) {
                bare_reads(e, false, &mut |id, _, in_copies| {
                    let other = unit_of.get(id.index()).copied().flatten();
                    if !in_copies && other.is_some_and(|o| o != u) {
                        pairs = true;
                    }
                });
            }
        }
        unit.templated = pairs;
    }
    if !units.iter().any(|u| u.templated) {
        return (deployment, Vec::new());
    }
    let templated_of = |id: u32| -> Option<usize> {
        unit_of
            .get(id as usize)
            .copied()
            .flatten()
            .filter(|&u| units[u].templated)
    };

    // Each member template's resources and parameters, in the whole
    // deployment's terms for what the group gives.
    let mut members: Vec<Member> = Vec::new();
    // Each names a file: two units of one declaration (over two counts)
    // take `NAME`, `NAME_2`.
    let mut files: HashSet<String> = HashSet::default();
    for (u, unit) in units.iter().enumerate().filter(|(_, u)| u.templated) {
        let mut m = member(whole, u, unit, &unit_of);
        let mut n = 2;
        let base = m.name.clone();
        while !files.insert(m.name.clone()) {
            m.name = format!("{base}_{n}");
            n += 1;
        }
        members.push(m);
    }

    // What is read of each templated unit's resources from outside it:
    // its outputs, named in a fixed order.
    let mut read: Vec<Vec<(u32, String)>> = vec![Vec::new(); units.len()];
    {
        let mut note = |id: ResourceId, e: &Expr, reader: Option<usize>| {
            if let Some(u) = templated_of(id.0)
                && reader != Some(u)
            {
                read[u].push((id.0, read_path(e)));
            }
        };
        for (i, r) in whole.resources.iter().enumerate() {
            let reader = templated_of(i as u32);
            if reader.is_some() {
                continue;
            }
            for e in resource_exprs(r) {
                bare_reads(e, false, &mut |id, e, _| note(id, e, reader));
            }
        }
        for o in &whole.outputs {
            for e in output_exprs(o) {
                bare_reads(e, false, &mut |id, e, _| note(id, e, None));
            }
        }
        for m in &members {
            for e in &m.given {
                bare_reads(e, false, &mut |id, e, _| note(id, e, Some(m.unit)));
            }
        }
    }
    for m in &mut members {
        let mut keys = std::mem::take(&mut read[m.unit]);
        keys.sort();
        keys.dedup();
        let mut taken: HashSet<String> = HashSet::default();
        for (old, key) in keys {
            let name = unique(read_name(&whole.resources[old as usize], &key), &mut taken);
            m.outputs.push(((old, key), name));
        }
    }

    // The main deployment: each unit's group in place of its first
    // resource, the other resources as they were.
    let mut new_of: Vec<Option<u32>> = vec![None; whole.resources.len()];
    let mut group_at: HashMap<usize, u32> = HashMap::default();
    let mut next = 0u32;
    for (i, _) in whole.resources.iter().enumerate() {
        match templated_of(i as u32) {
            Some(u) => {
                if let std::collections::hash_map::Entry::Vacant(at) = group_at.entry(u) {
                    at.insert(next);
                    next += 1;
                }
            }
            None => {
                new_of[i] = Some(next);
                next += 1;
            }
        }
    }
    let outputs_of: HashMap<(u32, String), (u32, String)> = members
        .iter()
        .flat_map(|m| {
            let at = group_at[&m.unit];
            m.outputs
                .iter()
                .map(move |(read, name)| (read.clone(), (at, name.clone())))
        })
        .collect();
    let map = |e: &mut Expr| {
        to_main(
            e,
            &new_of,
            &|id| templated_of(id).map(|u| group_at[&u]),
            &outputs_of,
        )
    };
    let stem_file = |name: &str| target.stack_file_name(stem, name).unwrap_or_default();

    let mut resources: Vec<Resource> = Vec::with_capacity(next as usize);
    let mut parts = Vec::new();
    // Each unit's member template, taken where its first resource was.
    let mut left: HashMap<usize, Member> = members.into_iter().map(|m| (m.unit, m)).collect();
    for (i, r) in whole.resources.iter().enumerate() {
        match templated_of(i as u32) {
            Some(u) => {
                let Some(m) = left.remove(&u) else {
                    continue;
                };
                let first = &whole.resources[units[u].members[0] as usize];
                let file = stem_file(&m.name);
                let mut group = Resource::new(&pascal(&m.name), &m.name, &file, Vec::new());
                for (param, given) in m.params.iter().zip(&m.given) {
                    let mut value = given.clone();
                    map(&mut value);
                    group.properties.insert(param.name.as_str().into(), value);
                }
                let mut count = first.count.clone();
                count.iter_mut().for_each(|c| map(c));
                group.count = count;
                group.condition = m.condition.clone();
                group.condition.iter_mut().for_each(|c| map(c));
                let mut after: Vec<ResourceId> = m
                    .after
                    .iter()
                    .filter_map(|&old| {
                        new_of[old as usize]
                            .or_else(|| templated_of(old).map(|u| group_at[&u]))
                            .map(ResourceId)
                    })
                    .collect();
                after.sort_unstable();
                after.dedup();
                group.depends_on = after;
                group.state = first.state;
                group.span = first.span;
                group.declared = first.span;
                group.group = first.group.clone();
                group.set_stack(&file);
                resources.push(group);
                parts.push(m);
            }
            None => {
                let mut r = r.clone();
                for e in r.properties.values_mut() {
                    map(e);
                }
                for e in r.condition.iter_mut().chain(r.count.iter_mut()) {
                    map(e);
                }
                r.depends_on = r
                    .depends_on
                    .iter()
                    .filter_map(|id| {
                        new_of[id.index()]
                            .or_else(|| templated_of(id.0).map(|u| group_at[&u]))
                            .map(ResourceId)
                    })
                    .collect();
                r.depends_on.dedup();
                resources.push(r);
            }
        }
    }
    let mut outputs = whole.outputs.clone();
    for o in &mut outputs {
        let exprs = std::iter::once(&mut o.value)
            .chain(o.export.iter_mut())
            .chain(o.condition.iter_mut());
        for e in exprs {
            map(e);
        }
    }
    let main_name = target.file_name(stem, false);
    let printed = parts
        .into_iter()
        .map(|m| {
            let place: HashMap<u32, u32> = (units[m.unit].members.iter().enumerate())
                .map(|(new, &old)| (old, new as u32))
                .collect();
            let outputs = m
                .outputs
                .iter()
                .map(|((old, key), name)| {
                    let new = ResourceId(place[old]);
                    let r = &m.resources[new.index()];
                    let mut value = match key.strip_prefix('.') {
                        Some(attribute) => Expr::Attr(new, attribute.to_string()),
                        None => Expr::Ref(new),
                    };
                    if let Some(condition) = &r.condition {
                        value = Expr::If(
                            condition.clone(),
                            Box::new(value),
                            Box::new(Expr::String(String::new())),
                        );
                    }
                    let mut output = Output::new(name, value);
                    output.span = r.span;
                    output
                })
                .collect();
            let child = Deployment {
                target,
                description: Some(format!(
                    "One member of the group `{}` of {main_name}",
                    m.name
                )),
                params: m.params,
                resources: m.resources,
                outputs,
            };
            let emitted = emission(&child);
            let finished = finish(
                Some(&m.name),
                &child,
                &emitted.sections,
                Printed::held(emitted.text),
            );
            Part {
                stack: Some(m.name),
                diagnostics: emitted.diagnostics,
                finished,
            }
        })
        .collect();
    let main = Deployment {
        target,
        description: whole.description.clone(),
        params: whole.params.clone(),
        resources,
        outputs,
    };
    (main, printed)
}

/// A snake_case name's PascalCase form (`balancer_member`,
/// `BalancerMember`).
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `e` in the main deployment: a resource kept by its new index, a read
/// of a templated unit's resource as its group's output.
fn to_main(
    e: &mut Expr,
    new_of: &[Option<u32>],
    group_of: &dyn Fn(u32) -> Option<u32>,
    outputs: &HashMap<(u32, String), (u32, String)>,
) {
    match e {
        Expr::Ref(id) | Expr::Attr(id, _) if group_of(id.0).is_some() => {
            let key = (id.0, read_path(e));
            if let Some((at, name)) = outputs.get(&key) {
                *e = Expr::Attr(ResourceId(*at), name.clone());
            }
        }
        Expr::Ref(id) | Expr::Attr(id, _) => {
            if let Some(new) = new_of[id.index()] {
                *id = ResourceId(new);
            }
        }
        Expr::Copies { of, each } => {
            match (new_of[of.index()], group_of(of.0)) {
                (Some(new), _) | (None, Some(new)) => *of = ResourceId(new),
                _ => {}
            }
            to_main(each, new_of, group_of, outputs);
        }
        _ => e.for_each_child_mut(|c| to_main(c, new_of, group_of, outputs)),
    }
}

/// The member template of unit `u`: its resources rewritten, the rest of
/// the deployment read through parameters.
fn member(whole: &Deployment, u: usize, unit: &Unit, unit_of: &[Option<usize>]) -> Member {
    let first = &whole.resources[unit.members[0] as usize];
    // One resource (a pool member over counted servers) is named as it
    // is; several, after their declaration.
    let name = if unit.members.len() == 1 || first.group.is_empty() {
        first.snake.clone()
    } else {
        first.group.to_string()
    };
    let place: HashMap<u32, u32> = (unit.members.iter().enumerate())
        .map(|(new, &old)| (old, new as u32))
        .collect();
    let shared = first.condition.clone().filter(|c| {
        unit.members
            .iter()
            .all(|&m| whole.resources[m as usize].condition.as_ref() == Some(c))
    });
    let mut names: HashSet<String> = whole.params.iter().map(|p| folded(&p.name)).collect();
    names.insert(folded(INDEX_PARAM));
    let mut rewrite = Rewrite {
        whole,
        u,
        unit_of,
        place: &place,
        names,
        taken: Vec::new(),
        params: Vec::new(),
        given: Vec::new(),
        read: HashMap::default(),
        stack_name: None,
        renamed_index: None,
        at: first.span,
    };
    let mut resources = Vec::with_capacity(unit.members.len());
    let mut after = Vec::new();
    for &old in &unit.members {
        let mut r = whole.resources[old as usize].clone();
        r.count = None;
        if shared.is_some() {
            r.condition = None;
        }
        for e in (r.properties.values_mut()).chain(r.condition.as_deref_mut()) {
            rewrite.expr(e);
        }
        let mut depends_on = Vec::new();
        for id in &r.depends_on {
            match place.get(&id.0) {
                Some(&new) => depends_on.push(ResourceId(new)),
                None => after.push(id.0),
            }
        }
        r.depends_on = depends_on;
        resources.push(r);
    }
    // The index first, then the program's params in its order, then what
    // is read of other resources, in the order first read.
    let mut index = Param::new(INDEX_PARAM, ParamType::String);
    index.description = Some("The member's index in its group".into());
    index.span = first.span;
    let mut params = vec![index];
    let mut given = vec![Expr::CountIndex];
    for p in &whole.params {
        if rewrite.taken.contains(&p.name) {
            let mut param = p.clone();
            if p.name == INDEX_PARAM {
                param.name = rewrite.renamed_index.clone().unwrap_or_default();
            }
            params.push(param);
            given.push(Expr::Param(p.name.clone()));
        }
    }
    params.extend(rewrite.params);
    given.extend(rewrite.given);
    Member {
        unit: u,
        name,
        resources,
        params,
        given,
        outputs: Vec::new(),
        condition: shared,
        after,
    }
}

/// A member's expressions rewritten: the unit's resources by their place
/// in the member template, the index a parameter, the rest parameters.
struct Rewrite<'r> {
    whole: &'r Deployment,
    u: usize,
    unit_of: &'r [Option<usize>],
    place: &'r HashMap<u32, u32>,
    /// The parameters' names taken (folded), the program's included.
    names: HashSet<String>,
    /// The program's params read.
    taken: Vec<String>,
    params: Vec<Param>,
    given: Vec<Expr>,
    /// The parameter of each value read from outside, by what it reads.
    read: HashMap<String, String>,
    stack_name: Option<String>,
    /// The name the program's param `index` takes, when read.
    renamed_index: Option<String>,
    /// Where the declaration is, for the parameters made.
    at: crate::source::Span,
}

impl Rewrite<'_> {
    fn counted_elsewhere(&self, id: ResourceId) -> bool {
        self.unit_of
            .get(id.index())
            .copied()
            .flatten()
            .is_some_and(|o| o != self.u)
    }

    fn expr(&mut self, e: &mut Expr) {
        // The copy with the member's own index: of the unit, the resource
        // itself; of another counted declaration, picked from the list of
        // its copies.
        if let Expr::Index(base, key) = e
            && matches!(**key, Expr::CountIndex)
            && let Some(id) = read_of(base)
        {
            if self.place.contains_key(&id.0) {
                let mut base = std::mem::replace(&mut **base, Expr::Null);
                self.expr(&mut base);
                *e = base;
                return;
            }
            if self.counted_elsewhere(id) {
                let base = std::mem::replace(&mut **base, Expr::Null);
                *e = self.paired(id, base);
                return;
            }
        }
        if let Some(id) = read_of(e)
            && !self.place.contains_key(&id.0)
        {
            if self.counted_elsewhere(id) {
                let read = std::mem::replace(e, Expr::Null);
                *e = self.paired(id, read);
                return;
            }
            let r = &self.whole.resources[id.index()];
            let list = matches!(e, Expr::Attr(_, a) if r.facts.list_attributes.contains(a));
            let ty = if list {
                ParamType::List(Box::new(ParamType::String))
            } else {
                ParamType::String
            };
            let base = read_name(r, &read_path(e));
            let name = self.param(format!("{e:?}"), base, ty, e.clone());
            *e = Expr::Param(name);
            return;
        }
        match e {
            Expr::Ref(id) | Expr::Attr(id, _) => {
                if let Some(&new) = self.place.get(&id.0) {
                    *id = ResourceId(new);
                }
            }
            Expr::Copies { .. } => {
                let name = self.param(
                    format!("{e:?}"),
                    "Copies".into(),
                    ParamType::Json,
                    e.clone(),
                );
                *e = Expr::Param(name);
            }
            Expr::Param(name) => {
                if !self.taken.contains(name) && self.whole.params.iter().any(|p| p.name == *name) {
                    self.taken.push(name.clone());
                }
                // The program's own `index` param is passed under another name.
                if name == INDEX_PARAM {
                    *name = self.program_index();
                }
            }
            // Read as the index parameter by the backend, which says what to
            // do about it where Heat cannot use it.
            Expr::CountIndex => {}
            Expr::Context(Context::StackName) => {
                let name = match &self.stack_name {
                    Some(name) => name.clone(),
                    None => {
                        let name = self.param(
                            "stack name".into(),
                            STACK_NAME_PARAM.into(),
                            ParamType::String,
                            e.clone(),
                        );
                        self.stack_name = Some(name.clone());
                        name
                    }
                };
                *e = Expr::Param(name);
            }
            _ => e.for_each_child_mut(|c| self.expr(c)),
        }
    }

    /// The copy of another counted declaration's resource with this
    /// member's index: the element at `index` of the list of all its
    /// copies' `read`, a parameter.
    fn paired(&mut self, id: ResourceId, read: Expr) -> Expr {
        let r = &self.whole.resources[id.index()];
        let base = format!("{}List", read_name(r, &read_path(&read)));
        let copies = Expr::Copies {
            of: id,
            each: Box::new(read),
        };
        let name = self.param(
            format!("{copies:?}"),
            base,
            ParamType::List(Box::new(ParamType::String)),
            copies,
        );
        Expr::Index(
            Box::new(Expr::Param(name)),
            Box::new(Expr::Param(INDEX_PARAM.into())),
        )
    }

    /// The member template's name of the program's param `index`.
    fn program_index(&mut self) -> String {
        if let Some(name) = &self.renamed_index {
            return name.clone();
        }
        let name = unique(format!("{INDEX_PARAM}_param"), &mut self.names);
        self.renamed_index = Some(name.clone());
        name
    }

    fn param(&mut self, key: String, base: String, ty: ParamType, given: Expr) -> String {
        if let Some(name) = self.read.get(&key) {
            return name.clone();
        }
        let name = unique(base, &mut self.names);
        self.read.insert(key, name.clone());
        let mut param = Param::new(&name, ty);
        param.span = self.at;
        self.params.push(param);
        self.given.push(given);
        name
    }
}

/// Every expression of a resource: properties, condition, count.
fn resource_exprs(r: &Resource) -> impl Iterator<Item = &Expr> {
    r.properties
        .values()
        .chain(r.condition.as_deref())
        .chain(r.count.as_deref())
}
