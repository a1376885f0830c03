//! What Heat cannot express (E0530-E0535), each with the way out, and how
//! messages spell an expression.

use crate::backend::common::reads::params_in;
use crate::builtins::Builtin;
use crate::diagnostics::codes;
use crate::ir::{Context, Expr, Part, ResourceId};

use super::{Emitter, Problem};

/// `object_store_url()`: the service catalog is out of a template's reach.
pub(super) fn object_store_problem() -> Problem {
    Problem::new(
        &codes::E0533,
        "Heat templates cannot read the object store's endpoint (`object_store_url()`)".into(),
        "read the URL from the container itself: `storage.Bucket`'s `domain_name` and `website_url` (Swift's `DomainName` and `WebsiteURL`), or declare a param for the endpoint".into(),
    )
    .note("the endpoint is in OpenStack's service catalog, which no HOT function or pseudo parameter reads")
}

pub(super) fn internal(what: &str) -> Problem {
    Problem::new(
        &codes::E0000,
        format!("internal error: the Heat backend met {what}"),
        "this is a bug in the Infra compiler; please report it with the program".into(),
    )
}

fn first_resource(e: &Expr) -> Option<ResourceId> {
    let mut found = None;
    e.walk(&mut |e| {
        if found.is_none() {
            found = e.resource();
        }
    });
    found
}

// Heat's backend refuses deploy-time arithmetic and ordering comparisons
// (E0530, E0531) because the target's capabilities deny them.
const _: () = assert!({
    let can = crate::target::Target::Heat.capabilities();
    !can.deploy_arithmetic && !can.ordering_comparisons
});

impl<'d> Emitter<'d> {
    pub(super) fn arithmetic(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0530,
            format!("Heat cannot compute `{}` at deploy time", self.show(e)),
            self.way_out(e, "so the compiler computes the value"),
        )
        .note("HOT has no arithmetic functions (only `yaql`, which Infra does not write)")
    }

    pub(super) fn ordering(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0531,
            format!("Heat cannot compare `{}` at deploy time", self.show(e)),
            format!(
                "{}; or test equality instead (`==` with the param's `allowed` values)",
                self.way_out(e, "so the compiler decides the comparison")
            ),
        )
        .note("HOT conditions have `equals`, `not`, `and`, `or` and `contains`, but no ordering comparisons")
    }

    pub(super) fn function_problem(&self, function: Builtin, args: &[Expr]) -> Problem {
        let call = Expr::Call(function, args.to_vec());
        let (what, fix) = match function {
            Builtin::Length => (
                "`length`".to_string(),
                "so the compiler counts the elements",
            ),
            Builtin::Base64 => (
                "`base64`".to_string(),
                "so the compiler encodes it; Heat passes `user_data` to Nova as text, so a server's user data needs no `base64`",
            ),
            Builtin::Cidrsubnet => (
                "`cidrsubnet`".to_string(),
                "so the compiler computes the subnet, or pass each subnet's CIDR as its own param",
            ),
            Builtin::Lower | Builtin::Upper => (
                "changing the case of text".to_string(),
                "so the compiler converts it, or take the text already in the right case (a param `pattern` can enforce it)",
            ),
            Builtin::Keys | Builtin::Values => (
                "listing a map's keys or values".to_string(),
                "so the compiler lists them, or pass the list as its own param",
            ),
            Builtin::Min | Builtin::Max => (
                "`min` and `max`".to_string(),
                "so the compiler computes the value",
            ),
            Builtin::Replace => (
                "`replace` with text to find that is known only at deploy time".to_string(),
                "so the text to find is a constant (Heat's `str_replace` needs it in the template)",
            ),
            Builtin::Lookup => (
                "`lookup` with a default in a deploy-time map".to_string(),
                "so the compiler looks the key up, or drop the default (`get_param` reads a missing key as empty text)",
            ),
            Builtin::AccountId
            | Builtin::AvailabilityZones
            | Builtin::Concat
            | Builtin::Contains
            | Builtin::Element
            | Builtin::File
            | Builtin::Join
            | Builtin::ObjectStoreUrl
            | Builtin::Region
            | Builtin::Split
            | Builtin::StackName => (
                format!("`{function}`"),
                "so the compiler evaluates the call",
            ),
        };
        Problem::new(
            &codes::E0532,
            format!(
                "Heat has no function for {what}: `{}` is known only at deploy time",
                self.show(&call)
            ),
            self.way_out(&call, fix),
        )
        .note("HOT functions cover this only through `yaql`, which Infra does not write")
    }

    pub(super) fn unconditional(&self, e: &Expr) -> Problem {
        let reads = if e.any(&|e| matches!(e, Expr::CountIndex)) {
            "the index of a copy".to_string()
        } else if let Some(id) = first_resource(e) {
            format!("the resource `{}`", self.name(id))
        } else {
            "a value Heat computes with a function that conditions cannot call".to_string()
        };
        Problem::new(
            &codes::E0534,
            format!("a Heat condition cannot read `{}`: it reads {reads}", self.show(e)),
            "base the condition on params only (for example a `bool` param or `==` on a string param), or give the value at compile time with `--param`".to_string(),
        )
        .note("Heat evaluates `conditions` before it creates anything: they may use `get_param`, `equals`, `not`, `and`, `or` and `contains` only")
    }

    pub(super) fn index_by_copy(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!("Heat cannot select `{}` by the index of a copy", self.show(e)),
            "give the count at compile time with `--param` so the copies are unrolled into separate resources, or use the index only inside text (`\"web-${i}\"`)".to_string(),
        )
        .note("in an `OS::Heat::ResourceGroup` the index is the text `%index%`, substituted into strings after every function has been evaluated")
    }

    pub(super) fn index_of_group(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!(
                "Heat cannot select a copy of a group by a deploy-time index: `{}`",
                self.show(e)
            ),
            self.way_out(
                e,
                "so the copy is chosen in the template (`get_attr [group, resource.N]`)",
            ),
        )
    }

    pub(super) fn unindexable(&self, e: &Expr) -> Problem {
        Problem::new(
            &codes::E0535,
            format!("Heat cannot select `{}` at deploy time", self.show(e)),
            self.way_out(e, "so the compiler selects the element"),
        )
        .note("Heat selects from a param or an attribute by a path (`get_param [p, key]`, `get_attr [r, attr, key]`), and from a literal by a param only (a chain of `if`s)")
    }

    /// The way out: the params to give at compile time, and what then
    /// happens.
    fn way_out(&self, e: &Expr, then: &str) -> String {
        let params = params_in(e);
        let copy = e.any(&|e| matches!(e, Expr::CountIndex));
        let resource = first_resource(e).is_some();
        let mut parts = Vec::new();
        if !params.is_empty() {
            let names: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
            let example = format!("--param {}=VALUE", params[0]);
            parts.push(format!(
                "give {} at compile time (`{example}`) {then}",
                names.join(" and ")
            ));
        }
        if copy {
            parts.push(
                "give the count at compile time with `--param` so the copies are unrolled and each index is a constant"
                    .to_string(),
            );
        }
        if resource {
            parts.push(
                "restructure so the template does not need this from a resource's attributes at deploy time"
                    .to_string(),
            );
        }
        if parts.is_empty() {
            parts.push(format!(
                "give the value at compile time with `--param` {then}"
            ));
        }
        parts.join("; or ")
    }

    /// An expression as the program would spell it, for messages.
    pub(super) fn show(&self, e: &Expr) -> String {
        let text = self.show_inner(e);
        if text.chars().count() > 60 {
            let cut: String = text.chars().take(57).collect();
            format!("{cut}...")
        } else {
            text
        }
    }

    fn show_inner(&self, e: &Expr) -> String {
        let operand = |x: &Expr| match x {
            Expr::Binary(..) | Expr::If(..) => format!("({})", self.show_inner(x)),
            _ => self.show_inner(x),
        };
        match e {
            Expr::Null => "null".into(),
            Expr::Bool(b) => b.to_string(),
            Expr::Int(n) => n.to_string(),
            Expr::Number(x) => x.to_string(),
            Expr::String(s) => format!("{s:?}"),
            Expr::List(items) => {
                let items: Vec<String> = items.iter().map(|i| self.show_inner(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Expr::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", self.show_inner(v)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            Expr::Param(name) => name.clone(),
            Expr::Ref(id) => format!("{}.id", self.name(*id)),
            Expr::Attr(id, attribute) => format!("{}.{attribute}", self.name(*id)),
            Expr::Interp(parts) => {
                let mut text = String::from("\"");
                for part in parts {
                    match part {
                        Part::Text(t) => text.push_str(t),
                        Part::Expr(e) => text.push_str(&format!("${{{}}}", self.show_inner(e))),
                    }
                }
                text.push('"');
                text
            }
            Expr::Not(inner) => format!("!{}", operand(inner)),
            Expr::Neg(inner) => format!("-{}", operand(inner)),
            Expr::Binary(op, a, b) => format!("{} {} {}", operand(a), op.symbol(), operand(b)),
            Expr::If(c, a, b) => format!("{} ? {} : {}", operand(c), operand(a), operand(b)),
            Expr::Call(function, args) => {
                let args: Vec<String> = args.iter().map(|a| self.show_inner(a)).collect();
                format!("{function}({})", args.join(", "))
            }
            Expr::Index(base, key) => format!("{}[{}]", operand(base), self.show_inner(key)),
            Expr::Member(base, field) => format!("{}.{field}", operand(base)),
            Expr::Context(Context::Region) => "region()".into(),
            Expr::Context(Context::Zones) => "availability_zones()".into(),
            Expr::Context(Context::StackName) => "stack_name()".into(),
            Expr::Context(Context::AccountId) => "account_id()".into(),
            Expr::Import(name) => format!("the export {}", self.show_inner(name)),
            Expr::CountIndex => "i".into(),
            Expr::Copies { of, each } => {
                format!(
                    "[for each copy of {}: {}]",
                    self.name(*of),
                    self.show_inner(each)
                )
            }
        }
    }
}
