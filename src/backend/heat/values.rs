//! Values as HOT functions: `get_param`, `get_resource`, `get_attr` with
//! paths, `if`, selections from literals and the functions with a Heat form.

use std::borrow::Cow;

use crate::backend::{write_noted, write_noted_entry};
use crate::builtins::Builtin;
use crate::diagnostics::codes;
use crate::ir::{Context, Expr, Part, ResourceId};
use crate::json::{self, Json, json};
use crate::syntax::ast::BinaryOp;

use super::conditions::{negation, simplified};
use super::problems::{internal, object_store_problem};
use super::{Emitter, Problem, Site, Written};

/// A resource and the path of constant keys `e` reads from it
/// (`port.fixed_ips[0].ip_address`), when it is one.
pub fn member_path(e: &Expr) -> Option<(ResourceId, Vec<Json<'_>>)> {
    match e {
        Expr::Attr(id, attribute) => Some((*id, attribute_path(attribute))),
        Expr::Index(base, key) => {
            let (id, mut path) = member_path(base)?;
            path.push(match &**key {
                Expr::Int(n) if *n >= 0 => Json::int(*n),
                Expr::String(s) => s.into(),
                _ => return None,
            });
            Some((id, path))
        }
        Expr::Member(base, field) => {
            let (id, mut path) = member_path(base)?;
            path.push((&**field).into());
            Some((id, path))
        }
        _ => None,
    }
}

/// The attributes of an `OS::Heat::ResourceGroup` itself: any other name is
/// read from every member, as a list.
/// Kept here, not in a schema: the backend writes the group itself.
const GROUP_ATTRIBUTES: &[&str] = &["refs", "refs_map", "attributes", "removed_rsrc_list"];

/// Functions Heat has a form for (though not every one inside conditions).
pub(super) fn heat_function(function: Builtin) -> bool {
    match function {
        Builtin::Join
        | Builtin::Split
        | Builtin::Concat
        | Builtin::Contains
        | Builtin::Replace
        | Builtin::Element
        | Builtin::Lookup => true,
        Builtin::AccountId
        | Builtin::AvailabilityZones
        | Builtin::Base64
        | Builtin::Cidrsubnet
        | Builtin::File
        | Builtin::Keys
        | Builtin::Length
        | Builtin::Lower
        | Builtin::Max
        | Builtin::Min
        | Builtin::ObjectStoreUrl
        | Builtin::Region
        | Builtin::StackName
        | Builtin::Upper
        | Builtin::Values => false,
    }
}

/// The deploy-time context as Heat's pseudo parameters.
pub(super) fn pseudo_parameter(context: Context) -> Written<'static> {
    match context {
        Context::StackName => Ok(json!({ "get_param": "OS::stack_name" })),
        Context::AccountId => Ok(json!({ "get_param": "OS::project_id" })),
        Context::Region => Err(Problem::new(
            &codes::E0533,
            "Heat templates cannot read the region they are deployed to".into(),
            "declare a `region: string` param and pass the region when creating the stack (or give it at compile time with `--param`)".into(),
        )
        .note("Heat's pseudo parameters are `OS::stack_name`, `OS::stack_id` and `OS::project_id`: none names the region")),
        Context::Zones => Err(Problem::new(
            &codes::E0533,
            "Heat templates cannot list the availability zones".into(),
            "declare a `zones: [string]` param (`openstack availability zone list` shows them) and use it instead of `availability_zones()`".into(),
        )
        .note("HOT has no function that looks zones up; OpenStack clouds often have a single zone, `nova`")),
    }
}

/// `c ? x : null` as an element of a list: there only when `c` holds.
fn exists_only_if(item: &Expr) -> bool {
    matches!(item, Expr::If(_, x, otherwise) if **otherwise == Expr::Null && **x != Expr::Null)
}

/// A dotted attribute as `get_attr` path parts; numeric parts index lists.
fn attribute_path(attribute: &str) -> Vec<Json<'_>> {
    attribute
        .split('.')
        .map(|part| match part.parse::<u64>() {
            Ok(n) if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) => n.into(),
            _ => part.into(),
        })
        .collect()
}

impl<'d> Emitter<'d> {
    /// Whether `write_value` writes `e` without the tree, and never as
    /// `null`.
    pub(super) fn written_as_text(&self, e: &Expr) -> bool {
        match e {
            Expr::Bool(_) | Expr::Int(_) | Expr::String(_) | Expr::Object(_) | Expr::Param(_) => {
                true
            }
            Expr::Ref(id) => !self.groups.contains(id),
            Expr::List(items) => !items.iter().any(exists_only_if),
            // Text of more than one part is never `null`.
            Expr::Interp(parts) => parts.len() != 1 || matches!(parts[0], Part::Text(_)),
            _ => false,
        }
    }

    /// `value(e)` printed into `out` at `depth` as `json::write` prints it,
    /// without the tree for the values most templates are made of; the
    /// conditions it uses are noted in `uses` as `Emitted::uses` notes
    /// them. On an error, what was written is to be dropped.
    pub(super) fn write_value(
        &mut self,
        out: &mut String,
        e: &'d Expr,
        site: Site,
        depth: usize,
        uses: &mut Vec<String>,
    ) -> Result<(), Problem> {
        match e {
            Expr::Null => out.push_str("null"),
            Expr::Bool(true) => out.push_str("true"),
            Expr::Bool(false) => out.push_str("false"),
            Expr::Int(n) => json::write(out, &Json::int(*n), depth),
            Expr::String(s) => json::write_str(out, s),
            Expr::List(items) if !items.iter().any(exists_only_if) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    json::write_item(out, i, depth + 1);
                    self.write_value(out, item, site, depth + 1, uses)?;
                }
                json::write_close(out, depth, items.len(), ']');
            }
            Expr::Object(fields) => {
                out.push('{');
                let mut n = 0;
                for (key, value) in fields.iter() {
                    if matches!(value, Expr::Null) {
                        continue;
                    }
                    json::write_key(out, n, depth + 1, key);
                    n += 1;
                    if matches!(&**key, "condition" | "if") {
                        // Keys the source map's walk reads conditions from.
                        let value = self.value(value, site)?;
                        let target = self.deployment.target;
                        write_noted_entry(out, key, value, depth + 1, target, uses);
                    } else {
                        self.write_value(out, value, site, depth + 1, uses)?;
                    }
                }
                json::write_close(out, depth, n, '}');
            }
            Expr::Param(name) => {
                out.push('{');
                json::write_key(out, 0, depth + 1, "get_param");
                json::write_str(out, name);
                json::write_close(out, depth, 1, '}');
            }
            Expr::Ref(id) if !self.groups.contains(id) => {
                out.push('{');
                json::write_key(out, 0, depth + 1, "get_resource");
                json::write_str(out, self.name(*id));
                json::write_close(out, depth, 1, '}');
            }
            Expr::Interp(parts) => self.write_interpolation(out, parts, site, depth, uses)?,
            _ => {
                let value = self.value(e, site)?;
                write_noted(out, &value, depth, self.deployment.target, uses);
            }
        }
        Ok(())
    }

    pub(super) fn value<'e>(&mut self, e: &'e Expr, site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        Ok(match e {
            Expr::Null => Json::Null,
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(n) => Json::int(*n),
            Expr::Number(x) => Json::float(*x),
            Expr::String(s) => s.into(),
            Expr::List(items) if items.iter().any(exists_only_if) => self.some_of(items, site)?,
            Expr::List(items) => Json::Array(
                items
                    .iter()
                    .map(|item| self.value(item, site))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Object(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (key, value) in fields.iter() {
                    if matches!(value, Expr::Null) {
                        continue;
                    }
                    out.push((Cow::from(&**key), self.value(value, site)?));
                }
                Json::Object(out)
            }
            Expr::Param(name) => json!({ "get_param": name }),
            Expr::Ref(id) if site.in_group && self.groups.contains(id) => {
                return Err(self.copy_of_group(*id));
            }
            Expr::Ref(id) if self.groups.contains(id) => {
                json!({ "get_attr": [self.name(*id), "refs"] })
            }
            Expr::Ref(id) => json!({ "get_resource": self.name(*id) }),
            Expr::Attr(..) | Expr::Index(..) | Expr::Member(..) => self.access(e, site)?,
            Expr::Interp(parts) => self.interpolation(parts, site)?,
            Expr::Not(_)
            | Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..)
                if self.known(e).is_some() =>
            {
                Json::Bool(self.known(e) == Some(true))
            }
            Expr::Not(inner) => {
                let condition = self.condition_ref(inner)?;
                json!({ "if": [condition, false, true] })
            }
            Expr::Binary(BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or, ..) => {
                let condition = self.condition_ref(e)?;
                json!({ "if": [condition, true, false] })
            }
            Expr::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge, ..) => {
                return Err(self.ordering(e));
            }
            Expr::Binary(..) | Expr::Neg(_) => return Err(self.arithmetic(e)),
            Expr::If(condition, then, otherwise) => {
                self.conditional(condition, then, otherwise, site)?
            }
            Expr::Call(function, args) => self.call(*function, args, site)?,
            Expr::Context(context) => pseudo_parameter(*context)?,
            // Only a CloudFormation type is read from an export.
            Expr::Import(_) => return Err(internal("a value imported from another stack")),
            Expr::CountIndex if site.in_group => "%index%".into(),
            Expr::CountIndex if self.member => json!({ "get_param": super::MEMBER_INDEX_PARAM }),
            Expr::CountIndex => {
                return Err(internal("the index of a copy outside a counted resource"));
            }
            Expr::Copies { of, each } => self.copies(*of, each)?,
        })
    }

    /// The list of `each` over the copies of the group `of`: a group reads
    /// one attribute of every member as a list (`get_attr [group, attr]`)
    /// and their ids as `refs`; anything else per copy has no Heat form.
    fn copies<'e>(&mut self, of: ResourceId, each: &'e Expr) -> Written<'e>
    where
        'd: 'e,
    {
        match each {
            Expr::Ref(id) if self.groups.contains(id) => {
                Ok(json!({ "get_attr": [self.name(*id), "refs"] }))
            }
            _ if let Some((id, path)) = member_path(each)
                && self.groups.contains(&id)
                && let Some(Json::Str(first)) = path.first()
                && !GROUP_ATTRIBUTES.contains(&first.as_ref())
                && !first.starts_with("resource.") =>
            {
                let mut args = vec![Json::Str(self.name(id).into())];
                args.extend(path);
                Ok(json!({ "get_attr": Json::Array(args) }))
            }
            _ if !self.groups.contains(&of) => Err(internal(
                "the copies of a resource without a deploy-time count",
            )),
            _ => Err(Problem::new(
                &codes::E0505,
                format!(
                    "Heat cannot make a list of `{}` for each copy of `{}`",
                    self.show(each),
                    self.name(of)
                ),
                "read one attribute of each copy as it is (`[for w in web: w.private_ip]`), and build on that list elsewhere; or give the count at compile time with `--param` so the copies are unrolled".into(),
            )
            .note("an `OS::Heat::ResourceGroup` gives one attribute of all its members as a list (`get_attr [group, attribute]`), and nothing computed per member")),
        }
    }

    /// A list some of whose elements exist only under a condition (`c ? x :
    /// null`: the copies of a resource unrolled to a count's bound):
    /// `list_concat` of one-element lists, each such one `if [c, [x], []]`.
    fn some_of<'e>(&mut self, items: &'e [Expr], site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Expr::If(c, x, _) if exists_only_if(item) => match self.known(&simplified(c)) {
                    Some(true) => parts.push(Json::Array(vec![self.value(x, site)?])),
                    Some(false) => {}
                    None => {
                        let condition = self.condition_ref(c)?;
                        let x = self.assuming(c, true, x, site)?;
                        parts.push(Json::Object(vec![(
                            "if".into(),
                            Json::Array(vec![
                                condition,
                                Json::Array(vec![x]),
                                Json::Array(Vec::new()),
                            ]),
                        )]));
                    }
                },
                other => parts.push(Json::Array(vec![self.value(other, site)?])),
            }
        }
        Ok(Json::Object(vec![(
            "list_concat".into(),
            Json::Array(parts),
        )]))
    }

    /// `c ? a : b`: `if`, leaving the value out where a branch is `null` and
    /// the place allows it.
    fn conditional<'e>(
        &mut self,
        c: &Expr,
        then: &'e Expr,
        otherwise: &'e Expr,
        site: Site,
    ) -> Written<'e>
    where
        'd: 'e,
    {
        let c = &simplified(c);
        if let Some(b) = self.known(c) {
            return self.value(if b { then } else { otherwise }, site);
        }
        let (then_null, otherwise_null) =
            (matches!(then, Expr::Null), matches!(otherwise, Expr::Null));
        if site.nullable && then_null && otherwise_null {
            return Ok(Json::Null);
        }
        if site.nullable && otherwise_null {
            let condition = self.condition_ref(c)?;
            let then = self.assuming(c, true, then, site)?;
            self.nullable_if = true;
            return Ok(json!({ "if": [condition, then] }));
        }
        if site.nullable && then_null {
            let condition = self.condition_ref(&negation(c))?;
            let otherwise = self.assuming(c, false, otherwise, site)?;
            self.nullable_if = true;
            return Ok(json!({ "if": [condition, otherwise] }));
        }
        let condition = self.condition_ref(c)?;
        let then = self.assuming(c, true, then, site)?;
        let otherwise = self.assuming(c, false, otherwise, site)?;
        Ok(json!({ "if": [condition, then, otherwise] }))
    }

    /// `e`, written where the condition `c` is known to be `holds`: inside
    /// a branch of an `if`, or in a resource or output with that condition.
    fn assuming<'e>(&mut self, c: &Expr, holds: bool, e: &'e Expr, site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        self.known.push((simplified(c), holds));
        let written = self.value(e, site);
        self.known.pop();
        written
    }

    /// Whether the condition `c` is known where a value is being written.
    fn known(&self, c: &Expr) -> Option<bool> {
        if let Expr::Bool(b) = c {
            return Some(*b);
        }
        let c = simplified(c);
        self.known.iter().rev().find_map(|(k, holds)| {
            if *k == c {
                Some(*holds)
            } else if negation(k) == c {
                Some(!holds)
            } else {
                None
            }
        })
    }

    /// An attribute, or an element or field of a value: `get_param` or
    /// `get_attr` with a path where the value is one, else a selection from a
    /// literal, `str_split` with an index, or a chain of `if`s.
    fn access<'e>(&mut self, e: &'e Expr, site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        if let Expr::Index(_, key) = e
            && matches!(**key, Expr::CountIndex)
        {
            return Err(self.index_by_copy(e));
        }
        if let Some((function, args)) = self.path(e, site)? {
            return Ok(if function == "get_param" && args.len() == 1 {
                let mut args = args;
                json!({ "get_param": args.swap_remove(0) })
            } else {
                json!({ function: Json::Array(args) })
            });
        }
        match e {
            Expr::Index(base, key) => self.select(base, key, None, site),
            Expr::Member(base, field) => match &**base {
                Expr::Object(fields) => match fields.get(&**field) {
                    Some(value) => self.value(value, site),
                    None => Err(internal(&format!(
                        "no field `{field}` in an object literal"
                    ))),
                },
                _ => {
                    // Values of other kinds fail here with their own problem.
                    self.value(base, site)?;
                    Err(self.unindexable(e))
                }
            },
            _ => Err(internal("an attribute read of an unknown shape")),
        }
    }

    /// A copy of one group reading the copy of another with its index:
    /// each group is repeated on its own, and its members cannot name the
    /// members of another.
    fn copy_of_group(&self, id: ResourceId) -> Problem {
        Problem::new(
            &codes::E0506,
            format!(
                "Heat cannot read the matching copy of `{}` from a copy of another resource counted at deploy time",
                self.name(id)
            ),
            "give the count at compile time (`--param`) to unroll the copies into separate resources, or build for Terraform, whose `count` pairs them".into(),
        )
        .note("each resource counted at deploy time is its own `OS::Heat::ResourceGroup`; a member of one group has no way to name the member of another with the same index")
    }

    /// The function and arguments of a `get_param` or `get_attr` reading
    /// `e`, when it is one.
    fn path<'e>(
        &mut self,
        e: &'e Expr,
        site: Site,
    ) -> Result<Option<(&'static str, Vec<Json<'e>>)>, Problem>
    where
        'd: 'e,
    {
        Ok(match e {
            Expr::Param(name) => Some(("get_param", vec![name.into()])),
            Expr::Attr(id, _) if site.in_group && self.groups.contains(id) => {
                return Err(self.copy_of_group(*id));
            }
            Expr::Attr(id, attribute) => {
                let mut args = vec![Json::Str(self.name(*id).into())];
                args.extend(attribute_path(attribute));
                Some(("get_attr", args))
            }
            Expr::Index(_, key) if matches!(**key, Expr::CountIndex) => {
                return Err(self.index_by_copy(e));
            }
            Expr::Index(base, key) => {
                if let Expr::Attr(id, _) | Expr::Ref(id) = &**base
                    && self.groups.contains(id)
                {
                    // One copy of a group: `resource.N`, then its attribute.
                    let Expr::Int(n) = **key else {
                        return Err(self.index_of_group(e));
                    };
                    let mut args = vec![
                        Json::Str(self.name(*id).into()),
                        format!("resource.{n}").into(),
                    ];
                    if let Expr::Attr(_, attribute) = &**base {
                        args.extend(attribute_path(attribute));
                    }
                    return Ok(Some(("get_attr", args)));
                }
                match self.path(base, site)? {
                    Some((function, mut args)) => {
                        args.push(self.value(key, site)?);
                        Some((function, args))
                    }
                    None => None,
                }
            }
            Expr::Member(base, field) => match self.path(base, site)? {
                Some((function, mut args)) => {
                    args.push((&**field).into());
                    Some((function, args))
                }
                None => None,
            },
            _ => None,
        })
    }

    /// `base[key]` where `base` is not read through a path: an element of a
    /// literal, `str_split` with an index, or a chain of `if`s over a
    /// literal's entries when the key is a param.
    fn select<'e>(
        &mut self,
        base: &'e Expr,
        key: &'e Expr,
        default: Option<&'e Expr>,
        site: Site,
    ) -> Written<'e>
    where
        'd: 'e,
    {
        let entries: Vec<(Expr, &Expr)> = match base {
            Expr::List(items) => {
                if let Expr::Int(n) = key {
                    return match usize::try_from(*n).ok().and_then(|n| items.get(n)) {
                        Some(item) => self.value(item, site),
                        None => match default {
                            Some(default) => self.value(default, site),
                            None => Err(internal("index out of range of a list literal")),
                        },
                    };
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (Expr::Int(i as i64), item))
                    .collect()
            }
            Expr::Object(fields) => {
                if let Expr::String(field) = key {
                    return match (fields.get(field.as_str()), default) {
                        (Some(value), _) => self.value(value, site),
                        (None, Some(default)) => self.value(default, site),
                        (None, None) => {
                            Err(internal(&format!("no key `{field}` in a map literal")))
                        }
                    };
                }
                fields
                    .iter()
                    .map(|(k, v)| (Expr::String(k.to_string()), v))
                    .collect()
            }
            Expr::Call(Builtin::Split, args) if args.len() == 2 && default.is_none() => {
                let separator = self.value(&args[0], site)?;
                let text = self.value(&args[1], site)?;
                let key = self.value(key, site)?;
                return Ok(json!({ "str_split": [separator, text, key] }));
            }
            _ => {
                // Values of other kinds fail here with their own problem.
                self.value(base, site)?;
                return Err(
                    self.unindexable(&Expr::Index(Box::new(base.clone()), Box::new(key.clone())))
                );
            }
        };
        if entries.is_empty() {
            return match default {
                Some(default) => self.value(default, site),
                None => Err(internal("an element of an empty literal")),
            };
        }
        // A chain of `if`s, one condition per entry, the last entry (or the
        // default) when no other matches.
        let (tested, fallback): (&[(Expr, &Expr)], Json) = match default {
            Some(default) => (&entries[..], self.value(default, site)?),
            None => {
                let (last, rest) = entries.split_last().expect("entries is not empty");
                (rest, self.value(last.1, site)?)
            }
        };
        let mut conditions = Vec::new();
        for (k, _) in tested {
            let test = Expr::Binary(BinaryOp::Eq, Box::new(key.clone()), Box::new(k.clone()));
            match self.condition_ref(&test) {
                Ok(condition) => conditions.push(condition),
                Err(_) => {
                    let whole = Expr::Index(Box::new(base.clone()), Box::new(key.clone()));
                    return Err(self.unindexable(&whole));
                }
            }
        }
        let mut chain = fallback;
        for ((_, value), condition) in tested.iter().zip(conditions).rev() {
            let value = self.value(value, site)?;
            chain = json!({ "if": [condition, value, chain] });
        }
        Ok(chain)
    }

    fn call<'e>(&mut self, function: Builtin, args: &'e [Expr], site: Site) -> Written<'e>
    where
        'd: 'e,
    {
        let values = |emitter: &mut Self| -> Result<Json<'e>, Problem> {
            let values = args.iter().map(|a| emitter.value(a, site));
            Ok(Json::Array(values.collect::<Result<_, _>>()?))
        };
        Ok(match (function, args) {
            (Builtin::Join, [_, _]) => json!({ "list_join": values(self)? }),
            (Builtin::Split, [_, _]) => json!({ "str_split": values(self)? }),
            (Builtin::Concat, _) => json!({ "list_concat": values(self)? }),
            (Builtin::Contains, [list, item]) => {
                let list = self.value(list, site)?;
                let item = self.value(item, site)?;
                json!({ "contains": [item, list] })
            }
            (Builtin::Replace, [text, Expr::String(from), to]) => {
                let text = self.value(text, site)?;
                let to = self.value(to, site)?;
                json!({ "str_replace": { "template": text, "params": { from: to } } })
            }
            (Builtin::Element, [list, index]) | (Builtin::Lookup, [list, index]) => {
                let access = Expr::Index(Box::new(list.clone()), Box::new(index.clone()));
                self.value(&access, site)?.into_owned()
            }
            (Builtin::Lookup, [map, key, default]) => {
                if self.path(map, site)?.is_some() {
                    return Err(self.function_problem(function, args));
                }
                self.select(map, key, Some(default), site)?
            }
            (Builtin::ObjectStoreUrl, []) => return Err(object_store_problem()),
            (
                Builtin::Length
                | Builtin::Base64
                | Builtin::Cidrsubnet
                | Builtin::Lower
                | Builtin::Upper
                | Builtin::Keys
                | Builtin::Values
                | Builtin::Min
                | Builtin::Max
                | Builtin::File
                | Builtin::Region
                | Builtin::AvailabilityZones
                | Builtin::StackName
                | Builtin::AccountId,
                _,
            )
            // Arguments Heat's functions cannot take, or arities the type
            // checker refuses.
            | (
                Builtin::Join
                | Builtin::Split
                | Builtin::Contains
                | Builtin::Replace
                | Builtin::Element
                | Builtin::Lookup
                | Builtin::ObjectStoreUrl,
                _,
            ) => return Err(self.function_problem(function, args)),
        })
    }
}
