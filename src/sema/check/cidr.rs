//! Address blocks known at compile time: each one a block the clouds
//! accept (E0320), a subnet's within its network's (E0318), and no two
//! subnets of a network overlapping (E0319).

use rustc_hash::FxHashMap as HashMap;

use super::items::constants;
use super::{Checker, Scope};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::eval::{self, Value};
use crate::sema::ty::SchemaId;
use crate::source::Span;
use crate::syntax::ast::*;

impl Checker<'_> {
    /// A subnet's address block known at compile time must lie within its
    /// network's, and must not overlap another subnet's of the same network:
    /// the clouds refuse both when the stack is deployed (cfn-lint reports
    /// them too).
    pub(super) fn check_address_ranges(&mut self, scope: &Scope, items: &[Item]) {
        let type_name = |index: usize| {
            scope.resource_schemas[index].map(|id| self.schemas[id.0 as usize].name.as_str())
        };
        // A secondary block lets a native VPC hold subnets outside its own.
        let secondary = (0..items.len()).any(|index| {
            matches!(
                type_name(index),
                Some("AWS::EC2::VPCCidrBlock" | "aws_vpc_ipv4_cidr_block_association")
            )
        });
        let mut networks: HashMap<&str, (Block4, Span, usize)> = HashMap::default();
        let mut subnets = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let ItemKind::Resource(r) = &item.kind else {
                continue;
            };
            let Some(name) = type_name(index) else {
                continue;
            };
            for (kind, ranges) in ADDRESS_RANGES.iter().enumerate() {
                if name == ranges.network && r.for_guard.is_none() {
                    if let Some((block, span)) = block_of(scope, r, ranges.network_block) {
                        networks.entry(&r.name.name).or_insert((block, span, kind));
                    }
                } else if name == ranges.subnet
                    && let Some(network) = network_of(r, ranges.subnet_network)
                    && let Some((block, span)) = block_of(scope, r, ranges.subnet_block)
                {
                    subnets.push((r, kind, network, block, span));
                }
            }
        }
        // Subnets that surely exist together, in source order.
        let mut placed: Vec<(&str, Block4, Span, &str)> = Vec::new();
        for (r, kind, network, block, span) in subnets {
            let Some(&(outer, outer_span, network_kind)) = networks.get(network) else {
                continue;
            };
            if network_kind != kind {
                continue;
            }
            if !(outer.contains(block) || ADDRESS_RANGES[kind].native && secondary) {
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
        let Some((_, _, steps)) = ADDRESS_BLOCKS
            .iter()
            .find(|(ty, property, _)| *property == key && *ty == schema.name)
        else {
            return;
        };
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

/// The resource types whose address blocks nest: a network, the property
/// holding its block; a subnet, the property naming its network and the one
/// holding its block.
struct AddressRanges {
    /// A native VPC may hold subnets in secondary blocks too.
    native: bool,
    network: &'static str,
    network_block: &'static str,
    subnet: &'static str,
    subnet_network: &'static str,
    subnet_block: &'static str,
}

const ADDRESS_RANGES: &[AddressRanges] = &[
    AddressRanges {
        native: false,
        network: "network.Network",
        network_block: "cidr",
        subnet: "network.Subnet",
        subnet_network: "network",
        subnet_block: "cidr",
    },
    AddressRanges {
        native: true,
        network: "AWS::EC2::VPC",
        network_block: "CidrBlock",
        subnet: "AWS::EC2::Subnet",
        subnet_network: "VpcId",
        subnet_block: "CidrBlock",
    },
    AddressRanges {
        native: true,
        network: "aws_vpc",
        network_block: "cidr_block",
        subnet: "aws_subnet",
        subnet_network: "vpc_id",
        subnet_block: "cidr_block",
    },
];

/// A step from a property's value towards the address blocks it holds.
#[derive(Clone, Copy)]
enum Step {
    /// Each element of a list.
    Each,
    /// A field of an object.
    Key(&'static str),
}

/// The properties whose values hold IPv4 network blocks the clouds check
/// when the stack is deployed: the type, the property, and the steps from
/// its value to each block. Neutron's security group rules are left out:
/// Neutron takes an address with host bits there and masks it.
const ADDRESS_BLOCKS: &[(&str, &str, &[Step])] = &[
    ("network.Network", "cidr", &[]),
    ("network.Subnet", "cidr", &[]),
    (
        "network.SecurityGroup",
        "ingress",
        &[Step::Each, Step::Key("cidr")],
    ),
    (
        "network.SecurityGroup",
        "egress",
        &[Step::Each, Step::Key("cidr")],
    ),
    ("AWS::EC2::VPC", "CidrBlock", &[]),
    ("AWS::EC2::Subnet", "CidrBlock", &[]),
    ("AWS::EC2::Route", "DestinationCidrBlock", &[]),
    (
        "AWS::EC2::SecurityGroup",
        "SecurityGroupIngress",
        &[Step::Each, Step::Key("CidrIp")],
    ),
    (
        "AWS::EC2::SecurityGroup",
        "SecurityGroupEgress",
        &[Step::Each, Step::Key("CidrIp")],
    ),
    ("AWS::EC2::SecurityGroupIngress", "CidrIp", &[]),
    ("AWS::EC2::SecurityGroupEgress", "CidrIp", &[]),
    ("aws_vpc", "cidr_block", &[]),
    ("aws_subnet", "cidr_block", &[]),
    ("aws_route", "destination_cidr_block", &[]),
    (
        "aws_route_table",
        "route",
        &[Step::Each, Step::Key("cidr_block")],
    ),
    (
        "aws_security_group",
        "ingress",
        &[Step::Each, Step::Key("cidr_blocks"), Step::Each],
    ),
    (
        "aws_security_group",
        "egress",
        &[Step::Each, Step::Key("cidr_blocks"), Step::Each],
    ),
    ("aws_vpc_security_group_ingress_rule", "cidr_ipv4", &[]),
    ("aws_vpc_security_group_egress_rule", "cidr_ipv4", &[]),
    ("OS::Neutron::Subnet", "cidr", &[]),
    ("openstack_networking_subnet_v2", "cidr", &[]),
];

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
            if let Some(p) = properties.iter().rev().find(|p| p.key.name == *key) {
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
            if let Some(item) = fields.get(*key) {
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
        _ => match eval::eval(&p.value, &|name| scope.consts.lookup(name), &mut Vec::new()) {
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
