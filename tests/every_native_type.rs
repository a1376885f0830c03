//! One resource of every native type of every target, with its required
//! properties set to values made from the type's schema, goes through what
//! `infra check` does (checked, then lowered and emitted for its target).

use std::collections::HashMap;
use std::fmt::Write;

use infra::source::FileId;
use infra::syntax::ast::*;

/// The named types of a schema file, and the constraints of its type's
/// properties.
struct Schema<'a> {
    types: HashMap<&'a str, &'a TypeExpr>,
    constraints: HashMap<&'a str, &'a [Property]>,
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key(key: &Key) -> String {
    let plain = key
        .name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !key.quoted {
        key.name.clone()
    } else {
        quote(&key.name)
    }
}

/// A literal of a constraint (`allowed`'s first value, `min`).
fn literal(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(s) => s.as_plain().map(|s| quote(&s)),
        ExprKind::Int(i) => Some(i.to_string()),
        ExprKind::Number(n) => Some(n.clone()),
        ExprKind::Unary(UnaryOp::Neg, inner) => literal(inner).map(|v| format!("-{v}")),
        _ => None,
    }
}

/// A value of `ty`; `None` when only a deploy-time value can do (a string
/// with a pattern: a value from a param).
fn value(schema: &Schema, ty: &TypeExpr, depth: usize) -> String {
    match &ty.kind {
        TypeKind::Path(path) => match path.text().as_str() {
            "string" => quote("x"),
            "int" | "number" => "1".into(),
            "bool" => "true".into(),
            "any" => quote("x"),
            name => match schema.types.get(name) {
                Some(named) if depth < 12 => value(schema, named, depth + 1),
                _ => "{}".into(),
            },
        },
        TypeKind::Literal(text) => quote(text),
        TypeKind::List(inner) => format!("[{}]", value(schema, inner, depth + 1)),
        TypeKind::Map(_) => "{}".into(),
        TypeKind::Object(fields) => {
            let set: Vec<String> = fields
                .iter()
                .filter(|f| !f.optional && !matches!(f.ty.kind, TypeKind::Optional(_)))
                .map(|f| format!("{} = {}", key(&f.key), value(schema, &f.ty, depth + 1)))
                .collect();
            format!("{{ {} }}", set.join(", "))
        }
        TypeKind::Optional(inner) | TypeKind::Paren(inner) => value(schema, inner, depth),
        TypeKind::Union(members) => value(schema, &members[0], depth),
    }
}

/// A top-level property's value: within its constraints, or a param's
/// (left open, known at deploy time) where a pattern says what it must be.
fn property_value(
    schema: &Schema,
    name: &str,
    ty: &TypeExpr,
    params: &mut Vec<(String, String)>,
) -> String {
    let Some(options) = schema.constraints.get(name) else {
        return value(schema, ty, 0);
    };
    let option = |k: &str| options.iter().find(|p| p.key.name == k).map(|p| &p.value);
    if let Some(ExprKind::List(allowed)) = option("allowed").map(|v| &v.kind)
        && let Some(first) = allowed.first().and_then(literal)
    {
        return first;
    }
    if option("pattern").is_some() {
        let param = format!("p{}", params.len());
        let shown = match &ty.kind {
            TypeKind::Path(path) => path.text(),
            _ => "string".into(),
        };
        params.push((param.clone(), shown));
        return param;
    }
    if let Some(min) = option("min").and_then(literal) {
        return min;
    }
    if let Some(ExprKind::Int(n)) = option("min_length").map(|v| &v.kind) {
        return quote(&"x".repeat((*n).max(1) as usize));
    }
    value(schema, ty, 0)
}

/// A program declaring one resource of the type `text` declares, with its
/// required properties.
fn program(text: &str) -> Option<(String, String)> {
    let (ast, _) = infra::syntax::parse(FileId(0), text);
    let mut schema = Schema {
        types: HashMap::new(),
        constraints: HashMap::new(),
    };
    let mut native = None;
    for item in &ast.items {
        match &item.kind {
            ItemKind::TypeAlias(alias) => {
                schema.types.insert(&alias.name.name, &alias.ty);
            }
            ItemKind::Native(n) => native = Some(n),
            _ => {}
        }
    }
    let native = native?;
    for member in &native.members {
        if let MemberKind::Setting(p) = &member.kind
            && p.key.name == "constraints"
            && let ExprKind::Object(entries) = &p.value.kind
        {
            for entry in entries {
                if let ExprKind::Object(options) = &entry.value.kind {
                    schema
                        .constraints
                        .insert(&entry.key.name, options.as_slice());
                }
            }
        }
    }
    let type_name = native.type_name.as_plain()?;
    let mut params = Vec::new();
    let mut body = String::new();
    for member in &native.members {
        if let MemberKind::Property(field) = &member.kind
            && !matches!(field.ty.kind, TypeKind::Optional(_))
        {
            let v = property_value(&schema, &field.name.name, &field.ty, &mut params);
            let name = Key {
                name: field.name.name.clone(),
                quoted: false,
                span: field.name.span,
            };
            writeln!(body, "  {} = {v}", key(&name)).unwrap();
        }
    }
    let mut out = String::new();
    for (name, ty) in &params {
        writeln!(out, "param {name}: {ty}").unwrap();
    }
    writeln!(out, "resource r: {type_name} {{\n{body}}}").unwrap();
    Some((type_name, out))
}

#[test]
fn one_resource_of_every_native_type_checks_and_builds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut paths = Vec::new();
    let mut names = Vec::new();
    for (path, text) in infra::stdlib::files() {
        if !path.starts_with("native/") {
            continue;
        }
        let Some((name, source)) = program(&text) else {
            panic!("{path} declares no native type");
        };
        let file = dir.path().join(format!("t{}.infra", paths.len()));
        std::fs::write(&file, source).expect("write program");
        paths.push(file);
        names.push(name);
    }
    assert_eq!(paths.len(), infra::stdlib::native_types().count());
    let (checked, templates) =
        infra::build(&paths, &infra::Options::default(), &[]).expect("readable programs");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let shown =
        infra::diagnostics::render::human(&checked.db, &errors[..errors.len().min(20)], false);
    assert!(
        errors.is_empty(),
        "{} errors; the first:\n{shown}",
        errors.len()
    );
    // hashicorp/random's types build for both Terraform providers.
    let both = names
        .iter()
        .filter(|n| infra::target::vocabulary_of(n) == Some("terraform"))
        .count();
    assert_eq!(
        templates.len(),
        paths.len() + both,
        "a template a type and target"
    );
}
