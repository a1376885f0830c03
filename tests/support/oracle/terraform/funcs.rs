//! Terraform's built-in functions (those `try` and `can` aside, which take
//! their arguments unevaluated).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::regex::Regex;
use super::value::{
    Fail, R, V, equal, fmt_num, make_set, to_bool, to_int, to_num, to_str, unify, unknown_of,
};

/// Minimum and maximum argument counts, and whether a null argument is
/// allowed (Terraform rejects null for most parameters).
fn signature(name: &str) -> Option<(usize, Option<usize>, bool)> {
    Some(match name {
        "abs" | "ceil" | "floor" | "signum" | "lower" | "upper" | "title" | "trimspace"
        | "chomp" | "strrev" | "length" | "keys" | "values" | "flatten" | "distinct"
        | "compact" | "reverse" | "sort" | "sum" | "alltrue" | "anytrue" | "base64encode"
        | "base64decode" | "jsondecode" | "urlencode" | "cidrnetmask" => (1, Some(1), false),
        "tostring" | "tonumber" | "tobool" | "tolist" | "toset" | "tomap" | "jsonencode"
        | "sensitive" | "nonsensitive" | "one" => (1, Some(1), true),
        "split" | "startswith" | "endswith" | "trim" | "trimprefix" | "trimsuffix" | "element"
        | "index" | "contains" | "zipmap" | "regex" | "regexall" | "pow" | "cidrhost"
        | "parseint" | "log" => (2, Some(2), false),
        "replace" | "substr" | "slice" | "cidrsubnet" => (3, Some(3), false),
        "join" => (2, None, false),
        "lookup" => (2, Some(3), true),
        "format" | "formatlist" | "coalesce" => (1, None, true),
        "merge" => (0, None, true),
        "concat" => (0, None, false),
        "coalescelist" | "min" | "max" => (1, None, false),
        "range" => (1, Some(3), false),
        "timestamp" | "uuid" => (0, Some(0), false),
        _ => return None,
    })
}

/// Functions that look only at the shape of their arguments, so a
/// collection holding unknowns still gives a known result.
const SHALLOW: &[&str] = &[
    "length",
    "concat",
    "element",
    "slice",
    "tolist",
    "keys",
    "merge",
    "lookup",
    "zipmap",
    "one",
    "coalescelist",
    "reverse",
    "flatten",
    "values",
];

pub fn call(name: &str, args: Vec<V>) -> R<V> {
    if name.starts_with("file") || name == "templatefile" {
        return Err(Fail::Static(format!(
            "`{name}` reads files next to the configuration, which the oracle does not have"
        )));
    }
    let Some((min, max, nulls)) = signature(name) else {
        return Err(Fail::Static(format!("call to unknown function `{name}`")));
    };
    if args.len() < min || max.is_some_and(|m| args.len() > m) {
        return Err(Fail::Static(format!(
            "`{name}` takes {}{} arguments, got {}",
            if max.is_none() { "at least " } else { "" },
            min,
            args.len()
        )));
    }
    if !nulls && args.iter().any(|a| matches!(a, V::Null)) {
        return Err(Fail::Dyn(format!(
            "invalid argument to `{name}`: argument must not be null"
        )));
    }
    // Marks do not change values: these are the identity.
    if matches!(name, "sensitive" | "nonsensitive") {
        return Ok(args.into_iter().next().expect("one argument"));
    }
    let unknown = if SHALLOW.contains(&name) {
        args.iter().any(V::is_unknown)
    } else {
        !args.iter().all(V::wholly_known)
    };
    if unknown {
        return Ok(unknown_of(&args));
    }
    pure(name, &args).map_err(|m| Fail::Dyn(format!("`{name}`: {m}")))
}

type Res = Result<V, String>;

fn list_of<'a>(v: &'a V, what: &str) -> Result<&'a [V], String> {
    match v {
        V::List(xs) => Ok(xs),
        V::Set(xs) => Ok(xs),
        other => Err(format!("{what} must be a list, got {}", other.type_name())),
    }
}

fn obj_of(v: &V) -> Result<&BTreeMap<String, V>, String> {
    match v {
        V::Obj(m) => Ok(m),
        other => Err(format!(
            "a map or object is required, got {}",
            other.type_name()
        )),
    }
}

fn strings(xs: &[V]) -> Result<Vec<String>, String> {
    xs.iter().map(to_str).collect()
}

fn pure(name: &str, a: &[V]) -> Res {
    let s = |i: usize| to_str(&a[i]);
    let n = |i: usize| to_num(&a[i]);
    let int = |i: usize| to_int(&a[i]);
    let text = |f: fn(&str) -> String| Ok(V::Str(f(&to_str(&a[0])?)));
    let num = |f: fn(f64) -> f64| Ok(V::Num(f(to_num(&a[0])?)));
    let strs = |v: Vec<String>| V::List(v.into_iter().map(V::Str).collect());
    match name {
        "abs" => num(f64::abs),
        "ceil" => num(f64::ceil),
        "floor" => num(f64::floor),
        "signum" => num(|x| if x == 0.0 { 0.0 } else { x.signum() }),
        "pow" => Ok(V::Num(n(0)?.powf(n(1)?))),
        "log" => Ok(V::Num(n(0)?.ln() / n(1)?.ln())),
        "parseint" => {
            let base = int(1)?;
            if !(2..=62).contains(&base) {
                return Err(format!("base {base} is out of range"));
            }
            let t = s(0)?;
            i64::from_str_radix(&t, base as u32)
                .map(|x| V::Num(x as f64))
                .map_err(|_| format!("cannot parse {t:?} as a base {base} integer"))
        }
        "min" | "max" => {
            let xs = a.iter().map(to_num).collect::<Result<Vec<_>, _>>()?;
            let pick = if name == "min" { f64::min } else { f64::max };
            Ok(V::Num(xs.into_iter().reduce(pick).expect("at least one")))
        }
        "lower" => text(str::to_lowercase),
        "upper" => text(str::to_uppercase),
        "title" => text(|t| {
            let mut out = String::new();
            let mut start = true;
            for c in t.chars() {
                out.extend(if start {
                    c.to_uppercase().collect::<Vec<_>>()
                } else {
                    vec![c]
                });
                start = !c.is_alphanumeric();
            }
            out
        }),
        "trimspace" => text(|t| t.trim().to_string()),
        "chomp" => text(|t| t.trim_end_matches(['\n', '\r']).to_string()),
        "strrev" => text(|t| t.chars().rev().collect()),
        "trim" => {
            let cut: Vec<char> = s(1)?.chars().collect();
            Ok(V::Str(s(0)?.trim_matches(cut.as_slice()).to_string()))
        }
        "trimprefix" => Ok(V::Str(
            s(0)?.strip_prefix(&s(1)?).map_or(s(0)?, str::to_string),
        )),
        "trimsuffix" => Ok(V::Str(
            s(0)?.strip_suffix(&s(1)?).map_or(s(0)?, str::to_string),
        )),
        "startswith" => Ok(V::Bool(s(0)?.starts_with(&s(1)?))),
        "endswith" => Ok(V::Bool(s(0)?.ends_with(&s(1)?))),
        "substr" => {
            let chars: Vec<char> = s(0)?.chars().collect();
            let len = chars.len() as i64;
            let mut off = int(1)?;
            if off < 0 {
                off += len;
            }
            if off < 0 || off > len {
                return Err("offset is out of range".into());
            }
            let take = match int(2)? {
                -1 => len - off,
                l if l < 0 => return Err("length must be -1 or at least 0".into()),
                l => l.min(len - off),
            };
            Ok(V::Str(
                chars[off as usize..(off + take) as usize].iter().collect(),
            ))
        }
        "join" => {
            let sep = s(0)?;
            let mut parts = Vec::new();
            for l in &a[1..] {
                for x in list_of(l, "each list to join")? {
                    if matches!(x, V::Null) {
                        return Err("a list element is null".into());
                    }
                    parts.push(to_str(x)?);
                }
            }
            Ok(V::Str(parts.join(&sep)))
        }
        "split" => {
            let (sep, t) = (s(0)?, s(1)?);
            Ok(strs(if sep.is_empty() {
                t.chars().map(String::from).collect()
            } else {
                t.split(sep.as_str()).map(str::to_string).collect()
            }))
        }
        "replace" => {
            let (t, from, to) = (s(0)?, s(1)?, s(2)?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return regex_replace(&t, &from[1..from.len() - 1], &to).map(V::Str);
            }
            Ok(V::Str(t.replace(&from, &to)))
        }
        "format" => format(&s(0)?, &a[1..]).map(V::Str),
        "formatlist" => {
            let fmt = s(0)?;
            let mut len = None;
            for arg in &a[1..] {
                if let V::List(xs) | V::Set(xs) = arg {
                    if len.is_some_and(|l| l != xs.len()) {
                        return Err("all list arguments must have the same length".into());
                    }
                    len = Some(xs.len());
                }
            }
            let mut out = Vec::new();
            for i in 0..len.unwrap_or(1) {
                let row: Vec<V> = a[1..]
                    .iter()
                    .map(|arg| match arg {
                        V::List(xs) | V::Set(xs) => xs[i].clone(),
                        v => v.clone(),
                    })
                    .collect();
                out.push(V::Str(format(&fmt, &row)?));
            }
            Ok(V::List(out))
        }
        "regex" | "regexall" => {
            let re = Regex::new(&s(0)?)?;
            let t: Vec<char> = s(1)?.chars().collect();
            let shape = |caps: &Vec<Option<(usize, usize)>>| -> V {
                let text = |g: usize| match caps[g] {
                    Some((x, y)) => V::Str(t[x..y].iter().collect()),
                    None => V::Null,
                };
                if re.names.is_empty() {
                    text(0)
                } else if re.names.iter().all(Option::is_some) {
                    V::Obj(
                        re.names
                            .iter()
                            .enumerate()
                            .map(|(g, n)| (n.clone().expect("named"), text(g + 1)))
                            .collect(),
                    )
                } else {
                    V::List((1..caps.len()).map(text).collect())
                }
            };
            if name == "regex" {
                return re
                    .find(&t, 0)
                    .map(|c| shape(&c))
                    .ok_or_else(|| "pattern did not match the given string".into());
            }
            let mut out = Vec::new();
            let mut from = 0;
            while let Some(c) = re.find(&t, from) {
                let (x, y) = c[0].expect("whole match");
                out.push(shape(&c));
                from = if y > x { y } else { y + 1 };
                if from > t.len() {
                    break;
                }
            }
            Ok(V::List(out))
        }
        "length" => match &a[0] {
            V::List(xs) | V::Set(xs) => Ok(V::Num(xs.len() as f64)),
            V::Obj(m) => Ok(V::Num(m.len() as f64)),
            V::Str(t) => Ok(V::Num(t.chars().count() as f64)),
            other => Err(format!("cannot take the length of {}", other.type_name())),
        },
        "element" => {
            let xs = match &a[0] {
                V::List(xs) => xs,
                other => return Err(format!("a list is required, got {}", other.type_name())),
            };
            let i = int(1)?;
            if xs.is_empty() || i < 0 {
                return Err("cannot use element on an empty list or with a negative index".into());
            }
            Ok(xs[i as usize % xs.len()].clone())
        }
        "index" => {
            let xs = list_of(&a[0], "the first argument")?;
            xs.iter()
                .position(|x| equal(x, &a[1]) == Some(true))
                .map(|i| V::Num(i as f64))
                .ok_or_else(|| "item not found".into())
        }
        "contains" => Ok(V::Bool(
            list_of(&a[0], "the first argument")?
                .iter()
                .any(|x| equal(x, &a[1]) == Some(true)),
        )),
        "lookup" => {
            if matches!(a[0], V::Null) {
                return Err("the map must not be null".into());
            }
            let m = obj_of(&a[0])?;
            match (m.get(&s(1)?), a.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(format!("the given key {:?} does not exist", s(1)?)),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for l in a {
                match l {
                    V::List(xs) => out.extend(xs.iter().cloned()),
                    other => {
                        return Err(format!(
                            "all arguments must be lists or tuples, got {}",
                            other.type_name()
                        ));
                    }
                }
            }
            Ok(V::List(out))
        }
        "flatten" => {
            fn flat(xs: &[V], out: &mut Vec<V>) -> Result<(), V> {
                for x in xs {
                    match x {
                        V::List(ys) | V::Set(ys) => flat(ys, out)?,
                        // A whole resource is an object; other unknowns may be lists.
                        u if u.is_unknown() && !matches!(u, V::Inst(_)) => return Err(u.clone()),
                        v => out.push(v.clone()),
                    }
                }
                Ok(())
            }
            let mut out = Vec::new();
            match flat(list_of(&a[0], "the argument")?, &mut out) {
                Ok(()) => Ok(V::List(out)),
                // An unknown element might be a list: the result's shape is unknown.
                Err(_) => Ok(unknown_of(a)),
            }
        }
        "distinct" => {
            let mut out: Vec<V> = Vec::new();
            for x in list_of(&a[0], "the argument")? {
                if !out.iter().any(|o| equal(o, x) == Some(true)) {
                    out.push(x.clone());
                }
            }
            Ok(V::List(out))
        }
        "compact" => Ok(V::List(
            list_of(&a[0], "the argument")?
                .iter()
                .filter(|x| !matches!(x, V::Null) && **x != V::str(""))
                .map(|x| to_str(x).map(V::Str))
                .collect::<Result<_, _>>()?,
        )),
        "coalesce" => {
            for x in a {
                match x {
                    V::Null => {}
                    V::Str(t) if t.is_empty() => {}
                    v => return Ok(v.clone()),
                }
            }
            Err("no non-null, non-empty-string arguments".into())
        }
        "coalescelist" => {
            for x in a {
                if !list_of(x, "each argument")?.is_empty() {
                    return Ok(x.clone());
                }
            }
            Err("no non-empty list arguments".into())
        }
        "reverse" => {
            let mut xs = list_of(&a[0], "the argument")?.to_vec();
            xs.reverse();
            Ok(V::List(xs))
        }
        "sort" => {
            let mut xs = strings(list_of(&a[0], "the argument")?)?;
            xs.sort();
            Ok(strs(xs))
        }
        "sum" => {
            let xs = list_of(&a[0], "the argument")?;
            if xs.is_empty() {
                return Err("cannot sum an empty list".into());
            }
            Ok(V::Num(xs.iter().map(to_num).sum::<Result<f64, _>>()?))
        }
        "alltrue" | "anytrue" => {
            let xs = list_of(&a[0], "the argument")?
                .iter()
                .map(to_bool)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(V::Bool(if name == "alltrue" {
                xs.iter().all(|b| *b)
            } else {
                xs.iter().any(|b| *b)
            }))
        }
        "range" => {
            let nums = a.iter().map(to_num).collect::<Result<Vec<_>, _>>()?;
            let (start, end) = match nums[..] {
                [e] => (0.0, e),
                [st, e, ..] => (st, e),
                _ => unreachable!("1 to 3 arguments"),
            };
            let step = nums
                .get(2)
                .copied()
                .unwrap_or(if start > end { -1.0 } else { 1.0 });
            if step == 0.0 || (step > 0.0) != (end >= start) && start != end {
                return Err("the step must move from start toward end".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() >= 1024 {
                    return Err("more than 1024 elements".into());
                }
                out.push(V::Num(x));
                x += step;
            }
            Ok(V::List(out))
        }
        "keys" => Ok(strs(obj_of(&a[0])?.keys().cloned().collect())),
        "values" => Ok(V::List(obj_of(&a[0])?.values().cloned().collect())),
        "merge" => {
            let mut out = BTreeMap::new();
            for m in a {
                if matches!(m, V::Null) {
                    continue;
                }
                out.extend(obj_of(m)?.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(V::Obj(out))
        }
        "zipmap" => {
            let ks = strings(list_of(&a[0], "the keys")?)?;
            let vs = list_of(&a[1], "the values")?;
            if ks.len() != vs.len() {
                return Err("the keys and values lists differ in length".into());
            }
            Ok(V::Obj(ks.into_iter().zip(vs.iter().cloned()).collect()))
        }
        "one" => match &a[0] {
            V::Null => Ok(V::Null),
            V::List(xs) | V::Set(xs) if xs.len() <= 1 => Ok(xs.first().cloned().unwrap_or(V::Null)),
            V::List(_) | V::Set(_) => Err("the list has more than one element".into()),
            other => Err(format!(
                "a list or set is required, got {}",
                other.type_name()
            )),
        },
        "slice" => {
            let xs = list_of(&a[0], "the first argument")?;
            let (from, to) = (int(1)?, int(2)?);
            if from < 0 || to < from || to as usize > xs.len() {
                return Err(format!(
                    "indexes {from}..{to} are out of range for {} elements",
                    xs.len()
                ));
            }
            Ok(V::List(xs[from as usize..to as usize].to_vec()))
        }
        "tostring" => match &a[0] {
            V::Null => Ok(V::Null),
            v if v.is_primitive() => Ok(V::Str(to_str(v)?)),
            other => Err(format!("cannot convert {} to string", other.type_name())),
        },
        "tonumber" => match &a[0] {
            V::Null => Ok(V::Null),
            v => Ok(V::Num(to_num(v)?)),
        },
        "tobool" => match &a[0] {
            V::Null => Ok(V::Null),
            v => Ok(V::Bool(to_bool(v)?)),
        },
        "tolist" => match &a[0] {
            V::Null => Ok(V::Null),
            V::List(xs) | V::Set(xs) => Ok(V::List(unify(xs.clone())?)),
            other => Err(format!("cannot convert {} to list", other.type_name())),
        },
        "toset" => match &a[0] {
            V::Null => Ok(V::Null),
            V::List(xs) | V::Set(xs) => make_set(xs.clone()),
            other => Err(format!("cannot convert {} to set", other.type_name())),
        },
        "tomap" => match &a[0] {
            V::Null => Ok(V::Null),
            V::Obj(m) => {
                let vals = unify(m.values().cloned().collect())?;
                Ok(V::Obj(m.keys().cloned().zip(vals).collect()))
            }
            other => Err(format!("cannot convert {} to map", other.type_name())),
        },
        "jsonencode" => Ok(V::Str(json(&a[0]))),
        "jsondecode" => serde_json::from_str::<serde_json::Value>(&s(0)?)
            .map(|j| V::from_json(&j))
            .map_err(|e| format!("invalid JSON: {e}")),
        "base64encode" => Ok(V::Str(base64_encode(s(0)?.as_bytes()))),
        "base64decode" => base64_decode(&s(0)?)
            .and_then(|b| String::from_utf8(b).ok())
            .map(V::Str)
            .ok_or_else(|| "not valid base64 of UTF-8 text".into()),
        "urlencode" => Ok(V::Str(
            s(0)?
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    b' ' => "+".into(),
                    b => format!("%{b:02X}"),
                })
                .collect(),
        )),
        "cidrsubnet" => {
            let (addr, len, bits) = cidr(&s(0)?)?;
            let (newbits, netnum) = (int(1)?, int(2)?);
            let new_len = len as i64 + newbits;
            if newbits < 0 || new_len > bits as i64 {
                return Err(format!(
                    "insufficient address space to extend prefix of {len} by {newbits}"
                ));
            }
            if netnum < 0 || (newbits < 64 && netnum >= 1 << newbits) {
                return Err(format!(
                    "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
                ));
            }
            let shifted = (netnum as u128)
                .checked_shl(bits - new_len as u32)
                .unwrap_or(0);
            let net = (addr & mask(len, bits)) | shifted;
            Ok(V::Str(format!("{}/{new_len}", show_addr(net, bits))))
        }
        "cidrhost" => {
            let (addr, len, bits) = cidr(&s(0)?)?;
            let host_bits = bits - len;
            let size: i128 = if host_bits >= 127 {
                i128::MAX
            } else {
                1 << host_bits
            };
            let mut host = int(1)? as i128;
            if host < 0 {
                host += size;
            }
            if host < 0 || host >= size {
                return Err(format!(
                    "prefix of {len} does not accommodate a host numbered {}",
                    int(1)?
                ));
            }
            Ok(V::Str(show_addr(
                (addr & mask(len, bits)) | host as u128,
                bits,
            )))
        }
        "cidrnetmask" => {
            let (_, len, bits) = cidr(&s(0)?)?;
            if bits != 32 {
                return Err("only IPv4 prefixes have a netmask".into());
            }
            Ok(V::Str(show_addr(mask(len, bits), bits)))
        }
        "timestamp" | "uuid" => Ok(V::Unknown(Vec::new())),
        _ => unreachable!("every function with a signature is implemented: {name}"),
    }
}

/// An address prefix: the address as a number, the prefix length, and the
/// address size in bits.
fn cidr(text: &str) -> Result<(u128, u32, u32), String> {
    let bad = || format!("invalid CIDR prefix {text:?}");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let len: u32 = len.parse().map_err(|_| bad())?;
    let (addr, bits) = if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        (u32::from(v4) as u128, 32)
    } else {
        (
            u128::from(addr.parse::<Ipv6Addr>().map_err(|_| bad())?),
            128,
        )
    };
    if len > bits {
        return Err(bad());
    }
    Ok((addr, len, bits))
}

fn mask(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let host = if bits - len >= 128 {
        u128::MAX
    } else {
        (1u128 << (bits - len)) - 1
    };
    all & !host
}

fn show_addr(addr: u128, bits: u32) -> String {
    if bits == 32 {
        Ipv4Addr::from(addr as u32).to_string()
    } else {
        Ipv6Addr::from(addr).to_string()
    }
}

fn regex_replace(text: &str, pattern: &str, with: &str) -> Result<String, String> {
    let re = Regex::new(pattern)?;
    let t: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let (mut from, mut copied) = (0, 0);
    while let Some(caps) = re.find(&t, from) {
        let (x, y) = caps[0].expect("whole match");
        out.extend(&t[copied..x]);
        // `$1`, `${1}` and `${name}` stand for groups.
        let w: Vec<char> = with.chars().collect();
        let mut i = 0;
        while i < w.len() {
            if w[i] == '$' && i + 1 < w.len() {
                let (name, next) = if w[i + 1] == '{' {
                    let end = w[i..].iter().position(|c| *c == '}').map(|p| p + i);
                    match end {
                        Some(e) => (w[i + 2..e].iter().collect::<String>(), e + 1),
                        None => (String::new(), i + 1),
                    }
                } else {
                    let e = (i + 1..w.len())
                        .find(|&j| !(w[j].is_alphanumeric() || w[j] == '_'))
                        .unwrap_or(w.len());
                    (w[i + 1..e].iter().collect(), e)
                };
                if !name.is_empty() {
                    let group = name.parse::<usize>().ok().or_else(|| {
                        re.names
                            .iter()
                            .position(|n| n.as_deref() == Some(&name))
                            .map(|p| p + 1)
                    });
                    if let Some(Some((gx, gy))) = group.and_then(|g| caps.get(g).copied()) {
                        out.extend(&t[gx..gy]);
                    }
                    i = next;
                    continue;
                }
            }
            out.push(w[i]);
            i += 1;
        }
        copied = y;
        from = if y > x { y } else { y + 1 };
        if from > t.len() {
            break;
        }
        if y == x && x < t.len() {
            out.push(t[x]);
            copied = x + 1;
        }
    }
    out.extend(&t[copied.min(t.len())..]);
    Ok(out)
}

/// `format`'s verbs, as Go's fmt reads them through cty.
fn format(fmt: &str, args: &[V]) -> Result<String, String> {
    let f: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let (mut i, mut next_arg) = (0, 0);
    let mut used = BTreeSet::new();
    while i < f.len() {
        if f[i] != '%' {
            out.push(f[i]);
            i += 1;
            continue;
        }
        i += 1;
        if f.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut flags = String::new();
        while let Some(c) = f.get(i).filter(|c| "+-# 0".contains(**c)) {
            flags.push(*c);
            i += 1;
        }
        if f.get(i) == Some(&'[') {
            let end = f[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or("unclosed `[`")?
                + i;
            let n: usize = f[i + 1..end]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "bad argument index")?;
            next_arg = n.checked_sub(1).ok_or("argument indexes start at 1")?;
            i = end + 1;
        }
        let number = |i: &mut usize| {
            let start = *i;
            while f.get(*i).is_some_and(char::is_ascii_digit) {
                *i += 1;
            }
            f[start..*i]
                .iter()
                .collect::<String>()
                .parse::<usize>()
                .ok()
        };
        let width = number(&mut i);
        let prec = if f.get(i) == Some(&'.') {
            i += 1;
            Some(number(&mut i).unwrap_or(0))
        } else {
            None
        };
        let verb = *f.get(i).ok_or("format string ends in a verb")?;
        i += 1;
        let arg = args
            .get(next_arg)
            .ok_or_else(|| format!("not enough arguments for %{verb}"))?;
        used.insert(next_arg);
        next_arg += 1;
        if matches!(arg, V::Null) && verb != 'v' {
            return Err(format!("a null value cannot be formatted with %{verb}"));
        }
        let whole = |v: &V| -> Result<i64, String> { to_int(v) };
        let mut text = match verb {
            'v' if flags.contains('#') => json(arg),
            'v' => match arg {
                V::Null => "null".into(),
                v if v.is_primitive() => to_str(v)?,
                v => json(v),
            },
            's' => to_str(arg)?,
            'q' => json(&V::Str(to_str(arg)?)),
            't' => to_bool(arg)?.to_string(),
            'd' => whole(arg)?.to_string(),
            'b' => format!("{:b}", whole(arg)?),
            'o' => format!("{:o}", whole(arg)?),
            'x' | 'X' => {
                let hex = match arg {
                    V::Str(t) => t.bytes().map(|b| format!("{b:02x}")).collect(),
                    v => format!("{:x}", whole(v)?),
                };
                if verb == 'X' { hex.to_uppercase() } else { hex }
            }
            'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), to_num(arg)?),
            'e' | 'E' => {
                let t = go_exp(to_num(arg)?, prec.unwrap_or(6));
                if verb == 'E' { t.to_uppercase() } else { t }
            }
            'g' | 'G' => fmt_num(to_num(arg)?),
            other => return Err(format!("unsupported verb %{other}")),
        };
        if flags.contains('+') && matches!(arg, V::Num(x) if *x >= 0.0) && "dfeEg".contains(verb) {
            text.insert(0, '+');
        }
        if let Some(p) = prec.filter(|_| verb == 's') {
            text = text.chars().take(p).collect();
        }
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if flags.contains('-') {
            text.push_str(&" ".repeat(pad));
        } else if flags.contains('0') && matches!(arg, V::Num(_)) {
            let sign = text.starts_with(['-', '+']) as usize;
            text.insert_str(sign, &"0".repeat(pad));
        } else {
            text.insert_str(0, &" ".repeat(pad));
        }
        out.push_str(&text);
    }
    if used.len() < args.len() {
        return Err(format!(
            "too many arguments; only {} used by the format string",
            used.len()
        ));
    }
    Ok(out)
}

/// Go's `%e`: `1.500000e+03`.
fn go_exp(x: f64, prec: usize) -> String {
    let t = format!("{x:.prec$e}");
    let (mantissa, exp) = t.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// `jsonencode`: keys sorted, Go's escapes (`<`, `>` and `&` as `\u00XX`).
pub fn json(v: &V) -> String {
    match v {
        V::Null => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Num(n) => fmt_num(*n),
        V::Str(s) => {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                        out.push_str(&format!("\\u{:04x}", c as u32))
                    }
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        V::List(xs) | V::Set(xs) => {
            format!("[{}]", xs.iter().map(json).collect::<Vec<_>>().join(","))
        }
        V::Obj(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", json(&V::str(k)), json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        // Callers check for unknowns first.
        V::Ref(_) | V::Attr(..) | V::Unknown(_) | V::Inst(_) => "null".into(),
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = text
        .trim_end_matches('=')
        .bytes()
        .map(|c| B64.iter().position(|b| *b == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0, |n, (k, d)| n | d << (18 - 6 * k));
        for k in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    Some(out)
}
