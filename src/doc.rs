//! `infra doc TYPE`: a portable or native type's documentation, read from
//! the embedded stdlib: its doc comment, params or properties, outputs or
//! attributes, and, for a portable type, what it becomes on each target.

use crate::source::{SourceDb, Span};
use crate::stdlib;
use crate::syntax::ast::{self, ItemKind, MemberKind};

/// The page of `name`, or why there is none (with the closest name).
pub fn page(name: &str) -> Result<String, String> {
    if let Some((namespace, component)) = name.split_once('.') {
        let path = stdlib::portable_path(namespace);
        let Some(text) = stdlib::source(&path) else {
            return Err(unknown(name));
        };
        let parsed = Parsed::new(&path, &text);
        let found = parsed.ast.items.iter().find_map(|item| match &item.kind {
            ItemKind::Component(c) if c.name.name == component => Some((item, c)),
            _ => None,
        });
        return match found {
            Some((item, c)) => Ok(parsed.portable(name, item, c)),
            None => Err(unknown(name)),
        };
    }
    let path = stdlib::native_path(name).ok_or_else(|| unknown(name))?;
    let text = stdlib::source(&path).ok_or_else(|| unknown(name))?;
    let parsed = Parsed::new(&path, &text);
    let found = parsed.ast.items.iter().find_map(|item| match &item.kind {
        ItemKind::Native(n) if n.type_name.as_plain().as_deref() == Some(name) => Some((item, n)),
        _ => None,
    });
    match found {
        Some((item, native)) => Ok(parsed.native(name, item, native)),
        None => Err(unknown(name)),
    }
}

/// Every portable type: `namespace.Component`.
pub fn portable_names() -> Vec<String> {
    let mut names = Vec::new();
    for (namespace, path, text) in portable_files() {
        let parsed = Parsed::new(path, &text);
        for item in &parsed.ast.items {
            if let ItemKind::Component(c) = &item.kind {
                names.push(format!("{namespace}.{}", c.name.name));
            }
        }
    }
    names
}

fn unknown(name: &str) -> String {
    let names = portable_names();
    let hint = crate::suggest::best_match(name, names.iter().map(String::as_str))
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default();
    format!(
        "no type `{name}` in the stdlib: a portable type is `namespace.Name` ({}), a native type is spelled as its target spells it (`AWS::EC2::Instance`, `OS::Nova::Server`, `aws_instance`){hint}",
        names.join(", ")
    )
}

/// One stdlib file, parsed, with its text for slicing.
struct Parsed {
    path: String,
    text: String,
    ast: ast::SourceFile,
}

impl Parsed {
    fn new(path: &str, text: &str) -> Parsed {
        let mut db = SourceDb::new();
        let file = db.add(stdlib::display_name(path), None, text.to_string());
        let (ast, _) = crate::syntax::parse(file, text);
        Parsed {
            path: path.to_string(),
            text: text.to_string(),
            ast,
        }
    }

    fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or_default()
    }

    fn line(&self, span: Span) -> usize {
        self.text[..(span.start as usize).min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn portable(&self, name: &str, item: &ast::Item, component: &ast::Component) -> String {
        let mut out = String::new();
        let state = component.state.map_or("stateless", |s| s.as_str());
        out.push_str(&format!("{name}: a portable type ({state})\n"));
        push_doc(&mut out, item.doc.as_deref(), "");
        let mut params = Vec::new();
        let mut outputs = Vec::new();
        let mut targets = Vec::new();
        for inner in &component.items {
            match &inner.kind {
                ItemKind::Param(p) => {
                    let ty = p.ty.as_ref().map_or("", |t| self.slice(t.span));
                    let default = p
                        .default
                        .as_ref()
                        .map(|d| format!(" = {}", self.slice(d.span)))
                        .unwrap_or_default();
                    params.push((format!("{}: {ty}{default}", p.name.name), inner.doc.clone()));
                }
                ItemKind::Output(o) => {
                    let ty = o.ty.as_ref().map_or("", |t| self.slice(t.span));
                    outputs.push((format!("{}: {ty}", o.name.name), inner.doc.clone()));
                }
                ItemKind::Target(block) => targets.push(block),
                _ => {}
            }
        }
        push_section(&mut out, "Params", &params);
        push_section(&mut out, "Attributes", &outputs);
        out.push_str("\nOn each target:\n");
        for block in targets {
            let mut made = Vec::new();
            let mut refused = Vec::new();
            for inner in &block.items {
                match &inner.kind {
                    ItemKind::Resource(r) => {
                        let ty = match &r.ty {
                            ast::ResourceType::Path(p) => p.text(),
                            ast::ResourceType::Raw(s) => s.as_plain().unwrap_or_default(),
                        };
                        let guard = r
                            .if_guard
                            .as_ref()
                            .map(|g| format!(" if {}", self.slice(g.span)))
                            .unwrap_or_default();
                        made.push(format!("{ty} ({}{guard})", r.name.name));
                    }
                    ItemKind::Unsupported(u) => {
                        let reason = u.reason.as_plain().unwrap_or_default();
                        refused.push(match &u.condition {
                            Some(c) => format!("refused if {}: {reason}", self.slice(c.span)),
                            None => format!("refused: {reason}"),
                        });
                    }
                    _ => {}
                }
            }
            let made = if made.is_empty() {
                "nothing".to_string()
            } else {
                made.join(", ")
            };
            out.push_str(&format!("  {}: {made}\n", block.target.name));
            for line in refused {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push_str(&format!(
            "\nDefined at stdlib:{}:{}\n",
            self.path,
            self.line(item.span)
        ));
        out
    }

    fn native(&self, name: &str, item: &ast::Item, native: &ast::Native) -> String {
        let mut out = String::new();
        let state = native
            .state
            .map(|s| format!(", {}", s.as_str()))
            .unwrap_or_default();
        out.push_str(&format!(
            "{name}: a native type of {}{state}\n",
            native.target.name
        ));
        push_doc(&mut out, item.doc.as_deref(), "");
        let mut properties = Vec::new();
        let mut attributes = Vec::new();
        for member in &native.members {
            match &member.kind {
                MemberKind::Property(f) => properties.push((
                    format!("{}: {}", f.name.name, self.slice(f.ty.span)),
                    member.doc.clone(),
                )),
                MemberKind::Attribute(f) => attributes.push((
                    format!("{}: {}", f.name.name, self.slice(f.ty.span)),
                    member.doc.clone(),
                )),
                MemberKind::Setting(_) => {}
            }
        }
        push_section(&mut out, "Properties", &properties);
        push_section(&mut out, "Attributes", &attributes);
        let users = portable_users(name);
        if !users.is_empty() {
            out.push_str(&format!(
                "\nMade by the portable types: {}\n",
                users.join(", ")
            ));
        }
        out.push_str(&format!(
            "\nDefined at stdlib:{}:{}\n",
            self.path,
            self.line(item.span)
        ));
        out
    }
}

/// The portable types whose target blocks make a resource of `native`.
fn portable_users(native: &str) -> Vec<String> {
    let mut users = Vec::new();
    for (namespace, path, text) in portable_files() {
        if !text.contains(native) {
            continue;
        }
        let parsed = Parsed::new(path, &text);
        for item in &parsed.ast.items {
            let ItemKind::Component(c) = &item.kind else {
                continue;
            };
            let makes = c.items.iter().any(|inner| match &inner.kind {
                ItemKind::Target(block) => block.items.iter().any(|r| match &r.kind {
                    ItemKind::Resource(r) => match &r.ty {
                        ast::ResourceType::Path(p) => p.text() == native,
                        ast::ResourceType::Raw(s) => s.as_plain().as_deref() == Some(native),
                    },
                    _ => false,
                }),
                _ => false,
            });
            if makes {
                users.push(format!("{namespace}.{}", c.name.name));
            }
        }
    }
    users
}

fn push_doc(out: &mut String, doc: Option<&str>, indent: &str) {
    if let Some(doc) = doc {
        for line in doc.lines() {
            out.push_str(indent);
            out.push_str(line);
            out.push('\n');
        }
    }
}

fn push_section(out: &mut String, title: &str, entries: &[(String, Option<String>)]) {
    if entries.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title}:\n"));
    for (head, doc) in entries {
        out.push_str(&format!("  {head}\n"));
        push_doc(out, doc.as_deref(), "      ");
    }
}

/// The portable namespaces' files, inflated (the only ones `doc` reads
/// whole): each namespace, its file's path and text.
fn portable_files() -> impl Iterator<Item = (&'static str, &'static str, String)> {
    stdlib::paths().filter_map(|path| {
        let namespace = path.strip_prefix("portable/")?.strip_suffix(".infra")?;
        Some((namespace, path, stdlib::source(path)?))
    })
}
