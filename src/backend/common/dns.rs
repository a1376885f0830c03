//! CNAME records whose value is an IP address: invalid DNS, which the DNS
//! service stores and resolvers then fail on. On OpenStack a load
//! balancer's `dns_name` is its address, so the portable `dns.Record`
//! pointed at one is built this way unless it takes its type from the load
//! balancer (`dns_record_type`). Heat and Terraform check it; which types
//! are DNS records and which attributes hold addresses, the resources say
//! (their schemas' `dns_record` and `address_attributes`).

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Deployment, Expr, Part, Resource, ResourceId};

/// The CNAME records of `deployment` whose value is an IP address, each an
/// error of `code`; `show` names an attribute (of a resource) for the
/// message.
pub fn cnames_to_addresses(
    deployment: &Deployment,
    code: &'static Code,
    show: impl Fn(ResourceId, &Resource, &str) -> String,
) -> Vec<Diagnostic> {
    let is_address = |id: ResourceId, attribute: &str| {
        deployment.resource(id).is_some_and(|r| {
            let first = attribute.split('.').next().unwrap_or_default();
            r.facts.address_attributes.iter().any(|a| a == first)
        })
    };
    let mut found = Vec::new();
    for r in &deployment.resources {
        let Some(record) = &r.facts.dns_record else {
            continue;
        };
        if r.properties.get(record.type_property.as_str()) != Some(&Expr::String("CNAME".into())) {
            continue;
        }
        let Some(Expr::List(values)) = r.properties.get(record.records.as_str()) else {
            continue;
        };
        let Some((id, attribute)) = values.iter().find_map(|v| address_read(v, &is_address)) else {
            continue;
        };
        let Some(holder) = deployment.resource(id) else {
            continue;
        };
        let mut diagnostic = Diagnostic::new(
            code,
            r.span,
            format!(
                "a CNAME record must name a host, but on {} this one's value is an IP address ({})",
                deployment.target.display(),
                show(id, holder, attribute)
            ),
        )
        .label("a CNAME record pointing at an address");
        if holder.span != r.span {
            diagnostic = diagnostic.secondary(holder.span, "the address comes from here");
        }
        found.push(
            diagnostic
                .note("OpenStack gives load balancers and servers no DNS name: a `lb.LoadBalancer`'s `dns_name` is its address there")
                .help("make it an `A` record; to name a load balancer on every target, write `type = LB.dns_record_type` with `values = [LB.dns_name]` (a CNAME on AWS, an A record on OpenStack)"),
        );
    }
    found
}

/// The resource and attribute whose address `e` is, as a record's value:
/// the attribute itself, or text made of it alone (and the trailing dot of a
/// host name); either branch of a choice.
fn address_read<'e>(
    e: &'e Expr,
    is_address: &dyn Fn(ResourceId, &str) -> bool,
) -> Option<(ResourceId, &'e str)> {
    match e {
        Expr::Attr(id, attribute) => is_address(*id, attribute).then_some((*id, attribute)),
        Expr::Member(base, _) | Expr::Index(base, _) => address_read(base, is_address),
        Expr::If(_, a, b) => address_read(a, is_address).or_else(|| address_read(b, is_address)),
        Expr::Interp(parts) => {
            let mut read = parts.iter().filter(|p| match p {
                Part::Text(text) => !text.is_empty() && text != ".",
                Part::Expr(_) => true,
            });
            match (read.next(), read.next()) {
                (Some(Part::Expr(e)), None) => address_read(e, is_address),
                _ => None,
            }
        }
        _ => None,
    }
}
