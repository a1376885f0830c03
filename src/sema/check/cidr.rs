//! Address blocks known at compile time: each one a block the clouds
//! accept (E0320), a subnet's within its network's (E0318), and no two
//! subnets of a network overlapping (E0319).

use rustc_hash::FxHashMap as HashMap;

use super::items::constants;
use super::schemas::cidr_site;
use super::{Checker, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::schema::{Addressing, Schema, SchemaKind, Step};
use crate::sema::ty::SchemaId;
use crate::source::Span;
use crate::syntax::ast::*;

impl Checker<'_> {
    /// A subnet's address block known at compile time must lie within its
    /// network's, and must not overlap another subnet's of the same network:
    /// the clouds refuse both when the stack is deployed (cfn-lint reports
    /// them too).
    pub(super) fn check_address_ranges(&mut self, scope: &Scope, items: &[Item]) {
        let schema =
            |index: usize| scope.resource_schemas[index].map(|id| &*self.schemas[id.0 as usize]);
        // A secondary block lets a native network hold subnets outside its own.
        let secondary =
            (0..items.len()).any(|index| schema(index).is_some_and(|s| s.addressing.adds_cidr));
        let mut networks: HashMap<&str, (Block4, Span, &Schema)> = HashMap::default();
        let mut subnets = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let ItemKind::Resource(r) = &item.kind else {
                continue;
            };
            let Some(schema) = schema(index) else {
                continue;
            };
            let facts = &schema.addressing;
            if let Some(property) = &facts.network {
                if r.for_guard.is_none()
                    && let Some((block, span)) = block_of(scope, r, property)
                {
                    networks
                        .entry(&r.name.name)
                        .or_insert((block, span, schema));
                }
            } else if let Some((network_property, block_property)) = &facts.subnet
                && let Some(network) = network_of(r, network_property)
                && let Some((block, span)) = block_of(scope, r, block_property)
            {
                subnets.push((r, schema, network, block, span));
            }
        }
        // Subnets that surely exist together, in source order.
        let mut placed: Vec<(&str, Block4, Span, &str)> = Vec::new();
        for (r, schema, network, block, span) in subnets {
            let Some(&(outer, outer_span, network_schema)) = networks.get(network) else {
                continue;
            };
            // A subnet's network is of its own vocabulary.
            if !same_vocabulary(&network_schema.kind, &schema.kind) {
                continue;
            }
            if !(outer.contains(block) || network_schema.addressing.secondary_blocks && secondary) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0318,
                        span,
                        format!(
                            "subnet `{}` is outside its network: {} is not within {}",
                            r.name.name, block, outer
                        ),
                    )
                    .label(format!("not within `{network}`'s block"))
                    .secondary(outer_span, format!("the block of `{network}`"))
                    .help("choose a block inside the network's, or widen the network's block"),
                );
            } else if r.if_guard.is_none() && r.for_guard.is_none() {
                placed.push((network, block, span, &r.name.name));
            }
        }
        // Overlaps, by a sweep over the blocks in address order: each block
        // is compared with the one reaching furthest before it.
        let mut order: Vec<usize> = (0..placed.len()).collect();
        order.sort_by_key(|&i| {
            (
                placed[i].0,
                placed[i].1.address,
                std::cmp::Reverse(placed[i].1.length),
            )
        });
        let mut overlaps = Vec::new();
        let mut furthest: Option<usize> = None;
        for i in order {
            match furthest {
                Some(f)
                    if placed[f].0 == placed[i].0 && placed[i].1.first() <= placed[f].1.last() =>
                {
                    // The later one in the file is the one reported.
                    overlaps.push((f.max(i), f.min(i)));
                    if placed[i].1.last() > placed[f].1.last() {
                        furthest = Some(i);
                    }
                }
                _ => furthest = Some(i),
            }
        }
        overlaps.sort_unstable();
        overlaps.dedup_by_key(|(reported, _)| *reported);
        for (reported, other) in overlaps {
            let (_, block, span, name) = placed[reported];
            let (_, other_block, other_span, other_name) = placed[other];
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0319,
                    span,
                    format!(
                        "subnets `{other_name}` and `{name}` overlap: {other_block} and {block}"
                    ),
                )
                .label("overlaps another subnet of the same network")
                .secondary(other_span, format!("the block of `{other_name}`"))
                .help(
                    "give each subnet of a network its own block, for instance with `cidrsubnet`",
                ),
            );
        }
    }

    /// An IPv4 block known at compile time, in a property the clouds read
    /// as one, must be one they accept: cfn-lint, AWS and Neutron refuse an
    /// octet written with a leading zero and a block with host bits set.
    pub(super) fn check_address_blocks(
        &mut self,
        scope: &Scope,
        schema: SchemaId,
        key: &str,
        value: &Expr,
    ) {
        let schema = self.schemas[schema.0 as usize].clone();
        let Some(site) = schema
            .addressing
            .blocks
            .iter()
            .find(|site| site.property == key)
        else {
            return;
        };
        let steps = site.steps.as_slice();
        let mut blocks = Vec::new();
        blocks_in(scope, value, steps, &mut blocks);
        for (e, text, default_of) in blocks {
            // IPv6 blocks are the targets' to check.
            if text.contains(':') {
                continue;
            }
            let Err(error) = eval::parse_ipv4_prefix(&text) else {
                continue;
            };
            // A value its param's constraints refuse is reported already.
            if steps.is_empty()
                && schema
                    .constraints
                    .get(key)
                    .is_some_and(|c| !c.violations(&Value::String(text.clone())).is_empty())
            {
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                &codes::E0320,
                e.span,
                format!(
                    "`{key}` of `{}`: `{text}` is not an IPv4 network block",
                    schema.name
                ),
            )
            .label(match default_of {
                Some(param) => format!("the default of `{param}`: {}", error.label()),
                None => error.label(),
            })
            .note("the clouds refuse it when the stack is deployed");
            if let Some(help) = error.help() {
                diagnostic = diagnostic.help(match default_of {
                    Some(param) => format!("in the default of `{param}`, {help}"),
                    None => help,
                });
            }
            self.diagnostics.push(diagnostic);
        }
    }
}

/// Whether a network and a subnet are of one vocabulary: the same target's
/// native types, or both portable.
fn same_vocabulary(a: &SchemaKind, b: &SchemaKind) -> bool {
    match (a, b) {
        (SchemaKind::Native { target: a }, SchemaKind::Native { target: b }) => a == b,
        (SchemaKind::Component { .. }, SchemaKind::Component { .. }) => true,
        _ => false,
    }
}

/// The portable stdlib's networks, subnets and security groups, which hold
/// address blocks as native schemas' settings say theirs. Neutron's security
/// group rules are left out of the native ones: Neutron takes an address
/// with host bits there and masks it.
pub(super) fn portable_addressing(name: &str) -> Addressing {
    let site = |path| cidr_site(path).into_iter().collect();
    match name {
        "network.Network" => Addressing {
            blocks: site("cidr"),
            network: Some("cidr".into()),
            ..Addressing::default()
        },
        "network.Subnet" => Addressing {
            blocks: site("cidr"),
            subnet: Some(("network".into(), "cidr".into())),
            ..Addressing::default()
        },
        "network.SecurityGroup" => Addressing {
            blocks: ["ingress[].cidr", "egress[].cidr"]
                .into_iter()
                .filter_map(cidr_site)
                .collect(),
            ..Addressing::default()
        },
        _ => Addressing::default(),
    }
}

/// The address blocks `steps` reach from `expr`: each constant string,
/// with the expression that gives it and the param whose default it is.
/// List and object literals are followed, so that a block is found, and
/// pointed at, even when its neighbours are known only at deploy time;
/// anything else is folded and its value followed.
fn blocks_in<'e>(
    scope: &Scope,
    expr: &'e Expr,
    steps: &[Step],
    out: &mut Vec<(&'e Expr, String, Option<&'e str>)>,
) {
    match (steps.split_first(), &expr.kind) {
        (_, ExprKind::Paren(inner)) => blocks_in(scope, inner, steps, out),
        (Some((Step::Each, rest)), ExprKind::List(items)) => {
            for item in items {
                blocks_in(scope, item, rest, out);
            }
        }
        (Some((Step::Key(key), rest)), ExprKind::Object(properties)) => {
            // The last one counts; setting a key twice is reported anyway.
            if let Some(p) = properties.iter().rev().find(|p| &p.key.name == key) {
                blocks_in(scope, &p.value, rest, out);
            }
        }
        _ => {
            for (e, value, default_of) in constants(scope, expr) {
                let mut found = Vec::new();
                strings_in(&value, steps, &mut found);
                out.extend(found.into_iter().map(|s| (e, s.to_string(), default_of)));
            }
        }
    }
}

/// The strings `steps` reach in a folded value.
fn strings_in<'v>(value: &'v Value, steps: &[Step], out: &mut Vec<&'v str>) {
    match (steps.split_first(), value) {
        (None, Value::String(text)) => out.push(text),
        (Some((Step::Each, rest)), Value::List(items)) => {
            for item in items {
                strings_in(item, rest, out);
            }
        }
        (Some((Step::Key(key), rest)), Value::Object(fields)) => {
            if let Some(item) = fields.get(key.as_str()) {
                strings_in(item, rest, out);
            }
        }
        _ => {}
    }
}

/// An IPv4 block: its first address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block4 {
    address: u32,
    length: u32,
}

impl Block4 {
    fn mask(length: u32) -> u32 {
        u32::MAX.checked_shl(32 - length).unwrap_or(0)
    }

    fn contains(self, inner: Block4) -> bool {
        inner.length >= self.length
            && inner.address & Block4::mask(self.length) == self.address & Block4::mask(self.length)
    }

    fn first(self) -> u64 {
        u64::from(self.address & Block4::mask(self.length))
    }

    fn last(self) -> u64 {
        self.first() + (1u64 << (32 - self.length)) - 1
    }
}

impl std::fmt::Display for Block4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.address.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.length)
    }
}

/// The block a resource's `property` gives, when known at compile time.
fn block_of(scope: &Scope, r: &Resource, property: &str) -> Option<(Block4, Span)> {
    let p = r.body.properties.iter().find(|p| p.key.name == property)?;
    // Most blocks are written out; others are folded. A block the clouds
    // refuse is reported by `check_address_blocks`.
    let (address, length) = match &p.value.kind {
        ExprKind::Str(StringLit { parts, .. }) if let [StrPart::Text(text)] = parts.as_slice() => {
            eval::parse_ipv4_prefix(text).ok()?
        }
        _ => match eval::eval(
            &p.value,
            scope.names,
            &|name| scope.consts.lookup(name),
            &mut Vec::new(),
        ) {
            Some(Value::String(text)) => eval::parse_ipv4_prefix(&text).ok()?,
            _ => return None,
        },
    };
    Some((Block4 { address, length }, p.value.span))
}

/// The network a subnet's `property` names: `net` or `net.id`.
fn network_of<'r>(r: &'r Resource, property: &str) -> Option<&'r str> {
    let p = r.body.properties.iter().find(|p| p.key.name == property)?;
    match &p.value.kind {
        ExprKind::Name(name) => Some(&name.name),
        ExprKind::Member(base, member) if member.name == "id" => match &base.kind {
            ExprKind::Name(name) => Some(&name.name),
            _ => None,
        },
        _ => None,
    }
}
