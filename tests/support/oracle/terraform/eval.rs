//! Evaluating expressions and templates as Terraform's plan does.

use std::collections::{BTreeMap, BTreeSet};

use super::Ev;
use super::expr::{Expr, For, Key, Op, Part, Step};
use super::funcs;
use super::value::{Fail, R, V, dynamic, equal, to_bool, to_num, to_str, unknown_of};

/// What names mean where an expression is evaluated.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub count_index: Option<usize>,
    /// `each.key` and `each.value`.
    pub each: Option<(V, V)>,
    /// `for` variables and `dynamic` block iterators, innermost last.
    pub binds: Vec<(String, V)>,
    /// No references at all (a variable's default, `lifecycle`).
    pub constant: bool,
}

impl Scope {
    pub fn constant() -> Scope {
        Scope {
            constant: true,
            ..Scope::default()
        }
    }

    pub fn with(&self, name: &str, v: V) -> Scope {
        let mut s = self.clone();
        s.binds.push((name.to_string(), v));
        s
    }
}

/// One step of a traversal, borrowed from the syntax.
#[derive(Clone, Copy)]
enum StepRef<'e> {
    Attr(&'e str),
    Index(&'e Expr),
}

fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Or => "||",
        Op::And => "&&",
        Op::Eq => "==",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Add => "+",
        Op::Sub => "-",
        Op::Mul => "*",
        Op::Div => "/",
        Op::Mod => "%",
    }
}

fn operand(sym: &str) -> impl Fn(String) -> Fail + '_ {
    move |m| Fail::Dyn(format!("invalid operand for `{sym}`: {m}"))
}

pub fn get_attr(v: V, name: &str) -> R<V> {
    match v {
        V::Inst(k) if name == "id" => Ok(V::Ref(k)),
        V::Inst(k) => Ok(V::Attr(k, name.to_string())),
        V::Obj(mut m) => m
            .remove(name)
            .ok_or_else(|| Fail::Dyn(format!("the object has no attribute `{name}`"))),
        u if u.is_unknown() => Ok(unknown_of([&u])),
        V::Null => dynamic(format!("cannot read attribute `{name}` of null")),
        V::List(_) | V::Set(_) => dynamic(format!(
            "cannot read attribute `{name}` of a {}: a resource with `count` needs an index ([0]) or a splat ([*])",
            v.type_name()
        )),
        other => dynamic(format!(
            "cannot read attribute `{name}` of a {}",
            other.type_name()
        )),
    }
}

pub fn index(v: V, k: V) -> R<V> {
    if matches!(k, V::Null) {
        return dynamic("the index is null");
    }
    if let V::Inst(_) = v {
        return get_attr(v, &to_str(&k).map_err(Fail::Dyn)?);
    }
    if k.is_unknown() || v.is_unknown() {
        return Ok(unknown_of([&v, &k]));
    }
    match v {
        V::List(mut xs) => {
            let i = to_num(&k).map_err(Fail::Dyn)?;
            if i.fract() != 0.0 || i < 0.0 || i as usize >= xs.len() {
                return dynamic(format!(
                    "index {} is out of range for a list of {} elements",
                    to_str(&k).unwrap_or_default(),
                    xs.len()
                ));
            }
            Ok(xs.swap_remove(i as usize))
        }
        V::Obj(mut m) => {
            let key = to_str(&k).map_err(Fail::Dyn)?;
            m.remove(&key)
                .ok_or_else(|| Fail::Dyn(format!("no element with the key {key:?}")))
        }
        V::Set(_) => dynamic("elements of a set cannot be indexed; convert it with tolist()"),
        V::Null => dynamic("cannot index a null value"),
        other => dynamic(format!("cannot index a {}", other.type_name())),
    }
}

/// The elements of a collection with their keys (index, set element, or
/// object key); `None` when the collection is unknown.
pub fn iterate(coll: &V) -> R<Option<Vec<(V, V)>>> {
    match coll {
        V::List(xs) => Ok(Some(
            xs.iter()
                .enumerate()
                .map(|(i, x)| (V::Num(i as f64), x.clone()))
                .collect(),
        )),
        V::Set(xs) => Ok(Some(xs.iter().map(|x| (x.clone(), x.clone())).collect())),
        V::Obj(m) => Ok(Some(
            m.iter().map(|(k, x)| (V::str(k), x.clone())).collect(),
        )),
        V::Null => dynamic("cannot iterate over a null value"),
        u if u.is_unknown() => Ok(None),
        other => dynamic(format!("cannot iterate over a {}", other.type_name())),
    }
}

impl Ev<'_> {
    pub fn eval(&self, e: &Expr, s: &Scope) -> R<V> {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Template(parts) => self.template(parts, s),
            Expr::Paren(inner) => self.eval(inner, s),
            Expr::Var(_) | Expr::GetAttr(..) | Expr::Index(..) => self.traversal(e, s),
            Expr::Tuple(items) => items
                .iter()
                .map(|x| self.eval(x, s))
                .collect::<R<Vec<_>>>()
                .map(V::List),
            Expr::Object(items) => self.object(items, s),
            Expr::Splat(src, steps) => self.splat(src, steps, s),
            Expr::Call(name, args, expand) => self.call(name, args, *expand, s),
            Expr::Not(x) => {
                let v = self.eval(x, s)?;
                if v.is_unknown() {
                    return Ok(unknown_of([&v]));
                }
                Ok(V::Bool(!to_bool(&v).map_err(operand("!"))?))
            }
            Expr::Neg(x) => {
                let v = self.eval(x, s)?;
                if v.is_unknown() {
                    return Ok(unknown_of([&v]));
                }
                Ok(V::Num(-to_num(&v).map_err(operand("-"))?))
            }
            Expr::Binary(op, l, r) => self.binary(*op, l, r, s),
            Expr::Cond(c, a, b) => self.cond(c, a, b, s),
            Expr::For(f) => self.for_expr(f, s),
        }
    }

    /// A template's value: a lone interpolation keeps its value's type.
    pub fn template(&self, parts: &[Part], s: &Scope) -> R<V> {
        if let [Part::Interp(e)] = parts {
            return self.eval(e, s);
        }
        let mut out = String::new();
        let mut unknown = None;
        self.render(parts, s, &mut out, &mut unknown)?;
        Ok(match unknown {
            Some(keys) => V::Unknown(keys.into_iter().collect()),
            None => V::Str(out),
        })
    }

    fn render(
        &self,
        parts: &[Part],
        s: &Scope,
        out: &mut String,
        unknown: &mut Option<BTreeSet<String>>,
    ) -> R<()> {
        for part in parts {
            match part {
                Part::Lit(t) => out.push_str(t),
                Part::Interp(e) => match self.eval(e, s)? {
                    V::Inst(k) => {
                        return dynamic(format!(
                            "cannot include the whole resource `{k}` in a string template"
                        ));
                    }
                    u if u.is_unknown() => u.refs(unknown.get_or_insert_default()),
                    V::Null => return dynamic("a template interpolates a null value"),
                    v if v.is_primitive() => out.push_str(&to_str(&v).map_err(Fail::Dyn)?),
                    v => {
                        return dynamic(format!(
                            "cannot include a {} in a string template",
                            v.type_name()
                        ));
                    }
                },
                Part::If(c, yes, no) => match self.eval(c, s)? {
                    V::Null => return dynamic("the condition of `%{if}` is null"),
                    u if u.is_unknown() => {
                        let keys = unknown.get_or_insert_default();
                        u.refs(keys);
                        // Either branch may be the text: both are read.
                        let mut scratch = (String::new(), Some(BTreeSet::new()));
                        let _ = self.render(yes, s, &mut scratch.0, &mut scratch.1);
                        let _ = self.render(no, s, &mut scratch.0, &mut scratch.1);
                        keys.extend(scratch.1.unwrap_or_default());
                    }
                    v => {
                        let b = to_bool(&v).map_err(|m| Fail::Dyn(format!("`%{{if}}`: {m}")))?;
                        let (taken, other) = if b { (yes, no) } else { (no, yes) };
                        self.render(taken, s, out, unknown)?;
                        let mut scratch = (String::new(), None);
                        if let Err(f @ Fail::Static(_)) =
                            self.render(other, s, &mut scratch.0, &mut scratch.1)
                        {
                            return Err(f);
                        }
                    }
                },
                Part::For(k, v, coll, body) => {
                    let c = self.eval(coll, s)?;
                    let Some(items) = iterate(&c)? else {
                        c.refs(unknown.get_or_insert_default());
                        continue;
                    };
                    for (key, val) in items {
                        let mut inner = s.clone();
                        if let Some(k) = k {
                            inner = inner.with(k, key);
                        }
                        self.render(body, &inner.with(v, val), out, unknown)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn traversal(&self, e: &Expr, s: &Scope) -> R<V> {
        let mut steps = Vec::new();
        let mut root = e;
        loop {
            match root {
                Expr::GetAttr(inner, name) => {
                    steps.push(StepRef::Attr(name));
                    root = inner;
                }
                Expr::Index(inner, idx) => {
                    steps.push(StepRef::Index(idx));
                    root = inner;
                }
                _ => break,
            }
        }
        steps.reverse();
        let (mut v, used) = match root {
            Expr::Var(name) => self.root(name, &steps, s)?,
            other => (self.eval(other, s)?, 0),
        };
        for step in &steps[used..] {
            v = self.step(v, *step, s)?;
        }
        Ok(v)
    }

    fn step(&self, v: V, step: StepRef, s: &Scope) -> R<V> {
        match step {
            StepRef::Attr(name) => get_attr(v, name),
            StepRef::Index(e) => index(v, self.eval(e, s)?),
        }
    }

    /// What a root name with its first attributes refers to, and how many
    /// steps that took.
    fn root(&self, name: &str, steps: &[StepRef], s: &Scope) -> R<(V, usize)> {
        if let Some((_, v)) = s.binds.iter().rev().find(|(n, _)| n == name) {
            return Ok((v.clone(), 0));
        }
        if s.constant {
            return Err(Fail::Static(format!(
                "`{name}`: references are not allowed here"
            )));
        }
        let attr = |k: usize| match steps.get(k) {
            Some(StepRef::Attr(a)) => Ok(*a),
            _ => Err(Fail::Static(format!(
                "`{name}` must be followed by {} attribute name{}",
                if k == 0 { "an" } else { "a second" },
                if k == 0 { "" } else { "s" }
            ))),
        };
        let only = |what: &str| Fail::Static(format!("`{name}.{what}` is not available here"));
        Ok(match name {
            "var" => (self.var(attr(0)?)?, 1),
            "local" => (self.local(attr(0)?)?, 1),
            "count" => match (attr(0)?, s.count_index) {
                ("index", Some(i)) => (V::Num(i as f64), 1),
                (a, _) => return Err(only(a)),
            },
            "each" => match (attr(0)?, &s.each) {
                ("key", Some((k, _))) => (k.clone(), 1),
                ("value", Some((_, v))) => (v.clone(), 1),
                (a, _) => return Err(only(a)),
            },
            "path" => match attr(0)? {
                "module" | "root" | "cwd" => (V::str("."), 1),
                a => return Err(only(a)),
            },
            "terraform" => match attr(0)? {
                "workspace" => (V::str("default"), 1),
                a => return Err(only(a)),
            },
            "data" => (self.data_value(attr(0)?, attr(1)?)?, 2),
            "module" => (self.module_value(attr(0)?)?, 1),
            "self" => (V::Unknown(Vec::new()), 0),
            ty if self.resource_types.contains(ty) || !steps.is_empty() => {
                (self.resource_value(ty, attr(0)?)?, 1)
            }
            other => {
                return Err(Fail::Static(format!(
                    "`{other}` is not a variable, a local value, a resource or a `for` variable"
                )));
            }
        })
    }

    fn object(&self, items: &[(Key, Expr)], s: &Scope) -> R<V> {
        let mut m = BTreeMap::new();
        let mut unknown: Option<BTreeSet<String>> = None;
        for (k, e) in items {
            let key = match k {
                Key::Name(n) => V::str(n),
                Key::Expr(e) => self.eval(e, s)?,
            };
            let v = self.eval(e, s)?;
            if key.is_unknown() {
                key.refs(unknown.get_or_insert_default());
                v.refs(unknown.get_or_insert_default());
                continue;
            }
            if matches!(key, V::Null) {
                return dynamic("an object key is null");
            }
            let key = to_str(&key).map_err(Fail::Dyn)?;
            if m.insert(key.clone(), v).is_some() {
                return dynamic(format!("the object has the key {key:?} twice"));
            }
        }
        // An unknown key makes the whole object's type unknown.
        if let Some(mut keys) = unknown {
            m.values().for_each(|v| v.refs(&mut keys));
            return Ok(V::Unknown(keys.into_iter().collect()));
        }
        Ok(V::Obj(m))
    }

    fn splat(&self, src: &Expr, steps: &[Step], s: &Scope) -> R<V> {
        let v = self.eval(src, s)?;
        let items = match v {
            V::Null => return Ok(V::List(Vec::new())),
            V::List(xs) | V::Set(xs) => xs,
            V::Inst(_) => vec![v],
            u if u.is_unknown() => return Ok(unknown_of([&u])),
            other => vec![other],
        };
        let mut out = Vec::new();
        for mut x in items {
            for step in steps {
                let step = match step {
                    Step::Attr(a) => StepRef::Attr(a),
                    Step::Index(e) => StepRef::Index(e),
                };
                x = self.step(x, step, s)?;
            }
            out.push(x);
        }
        Ok(V::List(out))
    }

    fn call(&self, name: &str, args: &[Expr], expand: bool, s: &Scope) -> R<V> {
        match name {
            // `try` and `can` catch the errors of evaluating their arguments,
            // but not errors in the configuration itself.
            "try" => {
                for a in args {
                    match self.eval(a, s) {
                        Ok(v) if !v.wholly_known() => return Ok(unknown_of([&v])),
                        Ok(v) => return Ok(v),
                        Err(Fail::Dyn(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                return dynamic("no argument of `try` could be evaluated");
            }
            "can" => {
                let [a] = args else {
                    return Err(Fail::Static("`can` takes 1 argument".into()));
                };
                return match self.eval(a, s) {
                    Ok(v) if !v.wholly_known() => Ok(unknown_of([&v])),
                    Ok(_) => Ok(V::Bool(true)),
                    Err(Fail::Dyn(_)) => Ok(V::Bool(false)),
                    Err(e) => Err(e),
                };
            }
            _ => {}
        }
        let mut vals = args
            .iter()
            .map(|a| self.eval(a, s))
            .collect::<R<Vec<_>>>()?;
        if expand {
            match vals.pop() {
                Some(V::List(xs) | V::Set(xs)) => vals.extend(xs),
                Some(u) if u.is_unknown() => return Ok(unknown_of(vals.iter().chain([&u]))),
                Some(other) => {
                    return dynamic(format!(
                        "only a list can be expanded with `...`, got {}",
                        other.type_name()
                    ));
                }
                None => return Err(Fail::Static("`...` without an argument".into())),
            }
        }
        funcs::call(name, vals).map_err(|f| match f {
            Fail::Dyn(m) if m.contains("not supported by the oracle") => Fail::Static(m),
            f => f,
        })
    }

    fn binary(&self, op: Op, l: &Expr, r: &Expr, s: &Scope) -> R<V> {
        let sym = op_symbol(op);
        if let Op::And | Op::Or = op {
            // Either side known to decide the result short-circuits, and the
            // other side's errors are dropped (HCL since 2.23).
            let decisive = op == Op::Or;
            let (lv, rv) = (self.eval(l, s), self.eval(r, s));
            let decides = |x: &R<V>| matches!(x, Ok(V::Bool(b)) if *b == decisive);
            if decides(&lv) || decides(&rv) {
                for x in [lv, rv] {
                    if let Err(f @ Fail::Static(_)) = x {
                        return Err(f);
                    }
                }
                return Ok(V::Bool(decisive));
            }
            let (lv, rv) = (lv?, rv?);
            if lv.is_unknown() || rv.is_unknown() {
                return Ok(unknown_of([&lv, &rv]));
            }
            let a = to_bool(&lv).map_err(operand(sym))?;
            let b = to_bool(&rv).map_err(operand(sym))?;
            return Ok(V::Bool(if decisive { a || b } else { a && b }));
        }
        let (a, b) = (self.eval(l, s)?, self.eval(r, s)?);
        if let Op::Eq | Op::Ne = op {
            return Ok(match equal(&a, &b) {
                None => unknown_of([&a, &b]),
                Some(same) => V::Bool(same == (op == Op::Eq)),
            });
        }
        for v in [&a, &b] {
            if matches!(v, V::Null | V::Inst(_)) {
                return dynamic(format!(
                    "invalid operand for `{sym}`: a number is required, got {}",
                    v.type_name()
                ));
            }
        }
        if a.is_unknown() || b.is_unknown() {
            return Ok(unknown_of([&a, &b]));
        }
        let x = to_num(&a).map_err(operand(sym))?;
        let y = to_num(&b).map_err(operand(sym))?;
        Ok(match op {
            Op::Add => V::Num(x + y),
            Op::Sub => V::Num(x - y),
            Op::Mul => V::Num(x * y),
            Op::Div | Op::Mod if y == 0.0 => return dynamic(format!("`{sym}` by zero")),
            Op::Div => V::Num(x / y),
            Op::Mod => V::Num(x % y),
            Op::Lt => V::Bool(x < y),
            Op::Le => V::Bool(x <= y),
            Op::Gt => V::Bool(x > y),
            Op::Ge => V::Bool(x >= y),
            Op::And | Op::Or | Op::Eq | Op::Ne => unreachable!("handled above"),
        })
    }

    fn cond(&self, c: &Expr, a: &Expr, b: &Expr, s: &Scope) -> R<V> {
        let cv = self.eval(c, s)?;
        // Both results are evaluated (for their types); only the chosen
        // one's errors count.
        let (av, bv) = (self.eval(a, s), self.eval(b, s));
        if cv.is_unknown() {
            let mut keys = BTreeSet::new();
            cv.refs(&mut keys);
            av.iter().chain(bv.iter()).for_each(|v| v.refs(&mut keys));
            return Ok(V::Unknown(keys.into_iter().collect()));
        }
        let pick = match &cv {
            V::Null => return dynamic("the condition is null; it must be a bool"),
            v => to_bool(v).map_err(|m| Fail::Dyn(format!("the condition: {m}")))?,
        };
        let (chosen, other) = if pick { (av?, bv) } else { (bv?, av) };
        let other = match other {
            Ok(v) => v,
            // Errors in the configuration itself count in either branch.
            Err(f @ Fail::Static(_)) => return Err(f),
            Err(_) => return Ok(chosen),
        };
        let kind = |v: &V| match v {
            V::Bool(_) | V::Num(_) | V::Str(_) => Some("primitive"),
            V::List(_) | V::Set(_) => Some("list"),
            V::Obj(_) => Some("object"),
            _ => None,
        };
        match (kind(&chosen), kind(&other)) {
            (Some(x), Some(y)) if x != y => dynamic(format!(
                "the results have inconsistent types ({} and {})",
                chosen.type_name(),
                other.type_name()
            )),
            // Different primitive types unify to string.
            (Some("primitive"), Some("primitive")) if chosen.type_name() != other.type_name() => {
                Ok(V::Str(to_str(&chosen).map_err(Fail::Dyn)?))
            }
            _ => Ok(chosen),
        }
    }

    fn for_expr(&self, f: &For, s: &Scope) -> R<V> {
        let coll = self.eval(&f.coll, s)?;
        let Some(items) = iterate(&coll)? else {
            return Ok(unknown_of([&coll]));
        };
        let mut list = Vec::new();
        let mut obj: BTreeMap<String, V> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<V>> = BTreeMap::new();
        let mut unknown: Option<BTreeSet<String>> = None;
        for (k, v) in items {
            let mut inner = s.clone();
            if let Some(kv) = &f.key_var {
                inner = inner.with(kv, k);
            }
            let inner = inner.with(&f.val_var, v);
            if let Some(c) = &f.cond {
                match self.eval(c, &inner)? {
                    V::Null => return dynamic("the `if` of a `for` expression is null"),
                    u if u.is_unknown() => {
                        u.refs(unknown.get_or_insert_default());
                        continue;
                    }
                    b if !to_bool(&b).map_err(Fail::Dyn)? => continue,
                    _ => {}
                }
            }
            let val = self.eval(&f.val, &inner)?;
            let Some(ke) = &f.key else {
                list.push(val);
                continue;
            };
            let key = match self.eval(ke, &inner)? {
                V::Null => return dynamic("a key of a `for` expression is null"),
                u if u.is_unknown() => {
                    u.refs(unknown.get_or_insert_default());
                    continue;
                }
                key => to_str(&key).map_err(Fail::Dyn)?,
            };
            if f.group {
                groups.entry(key).or_default().push(val);
            } else if obj.insert(key.clone(), val).is_some() {
                return dynamic(format!(
                    "the `for` expression makes the key {key:?} twice (group with `...`)"
                ));
            }
        }
        let out = match &f.key {
            None => V::List(list),
            Some(_) if f.group => {
                V::Obj(groups.into_iter().map(|(k, vs)| (k, V::List(vs))).collect())
            }
            Some(_) => V::Obj(obj),
        };
        Ok(match unknown {
            Some(mut keys) => {
                out.refs(&mut keys);
                V::Unknown(keys.into_iter().collect())
            }
            None => out,
        })
    }
}
