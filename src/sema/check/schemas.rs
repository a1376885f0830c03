//! Schemas: a component's (its params as inputs, its outputs, the
//! constraints of its params), resolved on first use; a native type's, read
//! from its declaration in the program or in the stdlib.

use std::sync::Arc;

use indexmap::IndexMap;

use super::secrets::marked;
use super::types::{literal_type, written_optional};
use super::{Checker, ModuleId};
use crate::diagnostics::{Diagnostic, codes};
use crate::native::{DnsRecord, FinalSnapshot, KeyedAttribute, NativeFacts};
use crate::sema::params;
use crate::sema::schema::{
    Addressing, CidrSite, Deprecated, Field, MemberRules, OneOfRequired, Replacement, Schema,
    SchemaKind, Step,
};
use crate::sema::ty::{SchemaId, Ty};
use crate::source::Span;
use crate::syntax::ast::*;
use crate::{stdlib, suggest};

impl Checker<'_> {
    pub(super) fn component_schema(&mut self, module: ModuleId, index: usize) -> SchemaId {
        let ast = self.modules[module.0 as usize].ast.clone();
        let ItemKind::Component(component) = &ast.items[index].kind else {
            unreachable!("component_schema is called with a component's index");
        };
        let key = (module, component.name.name.clone());
        if let Some(id) = self.component_schemas.get(&key) {
            return *id;
        }
        let id = SchemaId(self.schemas.len() as u32);
        let name = match &self.modules[module.0 as usize].namespace {
            Some(ns) => format!("{ns}.{}", component.name.name),
            None => component.name.name.clone(),
        };
        let addressing = super::cidr::portable_addressing(&name);
        self.schemas.push(Arc::new(Schema {
            name,
            kind: SchemaKind::Component { module, index },
            state: component.state.unwrap_or(StateClass::Stateless),
            span: component.name.span,
            inputs: IndexMap::default(),
            outputs: IndexMap::default(),
            constraints: IndexMap::default(),
            snapshot: false,
            addressing,
            replacement: Replacement::default(),
            deprecated: Deprecated::default(),
            facts: Arc::default(),
            existing: false,
            members: Arc::default(),
        }));
        // Fields resolve on first use: a component's type may then appear in
        // its own fields or in an alias that one of its fields uses.
        self.component_schemas.insert(key, id);
        self.pending_fields.insert(id, (module, index));
        id
    }

    /// Resolves a component schema's fields if not done yet.
    pub(super) fn ensure_fields(&mut self, id: SchemaId) {
        // Read for every attribute: most often nothing is pending.
        if self.pending_fields.is_empty() {
            return;
        }
        let Some((module, index)) = self.pending_fields.remove(&id) else {
            return;
        };
        let ast = self.modules[module.0 as usize].ast.clone();
        let names = self.modules[module.0 as usize].names.clone();
        let ItemKind::Component(component) = &ast.items[index].kind else {
            return;
        };
        let mut inputs = IndexMap::default();
        let mut outputs = IndexMap::default();
        let mut constraints = IndexMap::default();
        for item in &component.items {
            match &item.kind {
                ItemKind::Param(p) => {
                    if p.options.is_some() {
                        constraints
                            .insert(p.name.name.clone(), params::constraints_of(&ast, &names, p));
                    }
                    let ty = match (&p.ty, &p.default) {
                        (Some(t), _) => self.resolve_type(module, t),
                        (None, Some(d)) => literal_type(d),
                        (None, None) => Ty::Any,
                    };
                    let required =
                        p.default.is_none() && !p.ty.as_ref().is_some_and(written_optional);
                    inputs.insert(
                        p.name.name.clone(),
                        Field {
                            ty,
                            required,
                            span: p.name.span,
                            secret: marked(p.options.as_ref(), "secret"),
                        },
                    );
                }
                ItemKind::Output(o) => {
                    let ty = match &o.ty {
                        Some(t) => self.resolve_type(module, t),
                        None => Ty::Any,
                    };
                    outputs.insert(
                        o.name.name.clone(),
                        Field {
                            ty,
                            required: false,
                            span: o.name.span,
                            secret: marked(o.options.as_ref(), "sensitive"),
                        },
                    );
                }
                _ => {}
            }
        }
        let schema = Arc::make_mut(&mut self.schemas[id.0 as usize]);
        schema.inputs = inputs;
        schema.outputs = outputs;
        schema.constraints = constraints;
    }

    /// The schema of a native type: declared by the program itself, or
    /// from the stdlib.
    fn find_native(&mut self, module: ModuleId, name: &str) -> Option<SchemaId> {
        match self.modules[module.0 as usize].natives.get(name) {
            Some(found) => *found,
            None => {
                let found = self
                    .native_schema_in(module, name)
                    .or_else(|| self.native_schema(name));
                self.modules[module.0 as usize]
                    .natives
                    .insert(name.to_string(), found);
                found
            }
        }
    }

    /// A native type written as a string: checked as the type it names
    /// where there is a schema for it, else unchecked.
    pub(super) fn quoted_type(&mut self, module: ModuleId, name: &StringLit) -> Ty {
        let Some(text) = name.as_plain() else {
            return Ty::Any;
        };
        if crate::target::vocabulary_of(&text).is_none() {
            return Ty::Any;
        }
        match self.find_native(module, &text) {
            Some(id) => Ty::Resource(id),
            None => Ty::Any,
        }
    }

    /// A native type: declared by the program itself, or from the stdlib.
    pub(super) fn native_type(&mut self, module: ModuleId, name: &str, span: Span) -> Ty {
        match self.find_native(module, name) {
            Some(id) => Ty::Resource(id),
            None => {
                let candidates = native_candidates(name);
                let mut diagnostic =
                    Diagnostic::new(&codes::E0104, span, format!("unknown type `{name}`"))
                        .label("no native type of this name in the stdlib");
                if let Some(near) = suggest::best_match(name, candidates.iter().copied()) {
                    diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
                } else {
                    diagnostic = diagnostic.help(format!(
                        "for a type the stdlib lacks, write its name as a string: `\"{name}\"` (unchecked)"
                    ));
                }
                self.diagnostics.push(diagnostic);
                Ty::Error
            }
        }
    }

    pub(super) fn native_schema(&mut self, name: &str) -> Option<SchemaId> {
        if let Some(found) = self.native_schemas.get(name) {
            return *found;
        }
        let found = self.load_native_schema(name);
        self.native_schemas.insert(name.to_string(), found);
        found
    }

    fn load_native_schema(&mut self, name: &str) -> Option<SchemaId> {
        let path = stdlib::native_path(name)?;
        let module = self.stdlib_module(&path, None)?;
        self.native_schema_in(module, name)
    }

    /// The schema of a native type declared in `module`, if it declares it.
    fn native_schema_in(&mut self, module: ModuleId, name: &str) -> Option<SchemaId> {
        let ast = self.modules[module.0 as usize].ast.clone();
        let native = ast.items.iter().find_map(|item| match &item.kind {
            ItemKind::Native(n) if n.type_name.as_plain().as_deref() == Some(name) => Some(n),
            _ => None,
        })?;
        let mut inputs = IndexMap::default();
        let mut outputs = IndexMap::default();
        outputs.insert(
            "id".to_string(),
            Field {
                ty: Ty::String,
                required: false,
                span: native.type_name.span,
                secret: false,
            },
        );
        for member in &native.members {
            match &member.kind {
                MemberKind::Property(f) => {
                    let ty = self.resolve_type(module, &f.ty);
                    let required = !written_optional(&f.ty);
                    inputs.insert(
                        f.name.name.clone(),
                        Field {
                            ty,
                            required,
                            span: f.name.span,
                            secret: false,
                        },
                    );
                }
                MemberKind::Attribute(f) => {
                    let ty = self.resolve_type(module, &f.ty);
                    outputs.insert(
                        f.name.name.clone(),
                        Field {
                            ty,
                            required: false,
                            span: f.name.span,
                            secret: false,
                        },
                    );
                }
                MemberKind::Setting(_) => {}
            }
        }
        // Terraform reads back any argument: `aws_lb.web.vpc_id`.
        if native.target.name.starts_with("terraform") {
            for (name, field) in &inputs {
                outputs.entry(name.clone()).or_insert_with(|| field.clone());
            }
        }
        let constraints = self.native_constraints(module, native);
        let id = SchemaId(self.schemas.len() as u32);
        self.schemas.push(Arc::new(Schema {
            name: name.to_string(),
            kind: SchemaKind::Native {
                target: native.target.name.clone(),
            },
            state: native.state.unwrap_or(StateClass::Stateless),
            span: native.type_name.span,
            inputs,
            outputs,
            constraints,
            snapshot: setting(native, "snapshot").is_some_and(|v| v.kind == ExprKind::Bool(true)),
            addressing: addressing(native),
            replacement: Replacement {
                replaced_by: setting(native, "replaced_by")
                    .map(|v| strings(v).collect())
                    .unwrap_or_default(),
                may_replace: setting(native, "may_replace")
                    .map(|v| strings(v).collect())
                    .unwrap_or_default(),
            },
            facts: Arc::new(facts(native)),
            existing: false,
            members: Arc::new(member_rules(module, native)),
            deprecated: Deprecated {
                whole: setting(native, "deprecated")
                    .is_some_and(|v| v.kind == ExprKind::Bool(true)),
                properties: setting(native, "deprecated_properties")
                    .map(|v| strings(v).collect())
                    .unwrap_or_default(),
            },
        }));
        Some(id)
    }
}

impl Checker<'_> {
    /// `constraints = { P = { allowed = [...], pattern = "...", min = 1 } }`:
    /// the values a native type's top-level properties take, in a param's
    /// option terms, read as the param options of a property of that type
    /// would be.
    fn native_constraints(
        &self,
        module: ModuleId,
        native: &Native,
    ) -> IndexMap<String, crate::sema::params::Constraints, rustc_hash::FxBuildHasher> {
        let mut out = IndexMap::default();
        let Some(ExprKind::Object(entries)) = setting(native, "constraints").map(|v| &v.kind)
        else {
            return out;
        };
        let ast = &self.modules[module.0 as usize].ast;
        let names = &self.modules[module.0 as usize].names;
        for entry in entries {
            let ExprKind::Object(options) = &entry.value.kind else {
                continue;
            };
            let Some(field) = native.members.iter().find_map(|m| match &m.kind {
                MemberKind::Property(f) if f.name.name == entry.key.name => Some(f),
                _ => None,
            }) else {
                continue;
            };
            let param = Param {
                name: field.name.clone(),
                ty: Some(field.ty.clone()),
                default: None,
                options: Some(Block {
                    properties: options.clone(),
                    span: entry.value.span,
                }),
            };
            out.insert(
                entry.key.name.clone(),
                params::constraints_of(ast, names, &param),
            );
        }
        out
    }
}

/// The `constraints` entries at paths (the top-level ones are read with the
/// schema) and the `one_of_required` rules of a native type, in terms of
/// its properties.
fn member_rules(module: ModuleId, native: &Native) -> MemberRules {
    let is_property = |name: &str| {
        native
            .members
            .iter()
            .any(|m| matches!(&m.kind, MemberKind::Property(f) if f.name.name == name))
    };
    let mut out = MemberRules {
        module: Some(module),
        ..MemberRules::default()
    };
    if let Some(ExprKind::Object(entries)) = setting(native, "constraints").map(|v| &v.kind) {
        for (index, entry) in entries.iter().enumerate() {
            let path = &entry.key.name;
            if let Some(site) = cidr_site(path)
                && !site.steps.is_empty()
                && is_property(&site.property)
            {
                out.constraints
                    .entry(site.property)
                    .or_default()
                    .push((path.clone(), index));
            }
        }
    }
    if let Some(ExprKind::Object(entries)) = setting(native, "one_of_required").map(|v| &v.kind) {
        for entry in entries {
            let ExprKind::List(sets) = &entry.value.kind else {
                continue;
            };
            let sets = sets.iter().map(|set| strings(set).collect()).collect();
            let path = entry.key.name.clone();
            let site = match path.as_str() {
                "" => None,
                _ => match cidr_site(&path) {
                    Some(site) if is_property(&site.property) => Some(site),
                    _ => continue,
                },
            };
            out.one_of_required.push(OneOfRequired { path, site, sets });
        }
    }
    out
}

impl Checker<'_> {
    /// The constraints of the members of `property` of a native type
    /// (`constraints` entries at paths under it), each with its path and
    /// steps, read from the schema's declaration; the type each one
    /// constrains is found through the schema's named types.
    pub(super) fn member_constraints(
        &self,
        schema: &Schema,
        property: &str,
    ) -> Vec<(String, Vec<Step>, crate::sema::params::Constraints)> {
        let (Some(module), Some(paths)) = (
            schema.members.module,
            schema.members.constraints.get(property),
        ) else {
            return Vec::new();
        };
        let ast = &self.modules[module.0 as usize].ast;
        let names = &self.modules[module.0 as usize].names;
        let Some(native) = ast.items.iter().find_map(|item| match &item.kind {
            ItemKind::Native(n) if n.type_name.as_plain().as_deref() == Some(&schema.name) => {
                Some(n)
            }
            _ => None,
        }) else {
            return Vec::new();
        };
        let Some(ExprKind::Object(entries)) = setting(native, "constraints").map(|v| &v.kind)
        else {
            return Vec::new();
        };
        let Some(field) = native.members.iter().find_map(|m| match &m.kind {
            MemberKind::Property(f) if f.name.name == property => Some(f),
            _ => None,
        }) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (path, index) in paths {
            let entry = &entries[*index];
            let (Some(site), ExprKind::Object(options)) = (cidr_site(path), &entry.value.kind)
            else {
                continue;
            };
            let Some(ty) = member_type(ast, &field.ty, &site.steps, 0) else {
                continue;
            };
            let param = Param {
                name: Ident {
                    name: path.clone(),
                    span: entry.key.span,
                },
                ty: Some(ty.clone()),
                default: None,
                options: Some(Block {
                    properties: options.clone(),
                    span: entry.value.span,
                }),
            };
            out.push((
                path.clone(),
                site.steps,
                params::constraints_of(ast, names, &param),
            ));
        }
        out
    }
}

/// The type of what `steps` reach in a value of `ty`, through the named
/// types of the schema's file.
fn member_type<'a>(
    ast: &'a SourceFile,
    ty: &'a TypeExpr,
    steps: &[Step],
    depth: usize,
) -> Option<&'a TypeExpr> {
    if depth > 64 {
        return None;
    }
    match (&ty.kind, steps.split_first()) {
        (TypeKind::Optional(inner) | TypeKind::Paren(inner), _) => {
            member_type(ast, inner, steps, depth + 1)
        }
        (TypeKind::Path(path), _)
            if !matches!(
                path.text().as_str(),
                "string" | "int" | "number" | "bool" | "any"
            ) =>
        {
            let name = path.text();
            let named = ast.items.iter().find_map(|item| match &item.kind {
                ItemKind::TypeAlias(alias) if alias.name.name == name => Some(&alias.ty),
                _ => None,
            })?;
            member_type(ast, named, steps, depth + 1)
        }
        (_, None) => Some(ty),
        (TypeKind::List(inner), Some((Step::Each, rest))) => {
            member_type(ast, inner, rest, depth + 1)
        }
        (TypeKind::Object(fields), Some((Step::Key(key), rest))) => {
            let field = fields.iter().find(|f| &f.key.name == key)?;
            member_type(ast, &field.ty, rest, depth + 1)
        }
        _ => None,
    }
}

/// The value of the schema setting `key = value`, if written.
fn setting<'a>(native: &'a Native, key: &str) -> Option<&'a Expr> {
    native.members.iter().find_map(|m| match &m.kind {
        MemberKind::Setting(p) if p.key.name == key => Some(&p.value),
        _ => None,
    })
}

/// The plain strings of a string or a list of strings; nothing else
/// (settings are the generators' output, not checked).
fn strings(value: &Expr) -> impl Iterator<Item = String> + '_ {
    let items = match &value.kind {
        ExprKind::List(items) => items.as_slice(),
        _ => std::slice::from_ref(value),
    };
    items.iter().filter_map(|item| match &item.kind {
        ExprKind::Str(s) => s.as_plain(),
        _ => None,
    })
}

/// The plain string of `field` in an object setting.
fn field<'a>(fields: &'a [Property], key: &str) -> Option<&'a Expr> {
    fields.iter().find(|p| p.key.name == key).map(|p| &p.value)
}

/// `cidr = ["P", "Q[].R"]`, `network = "P"`, `secondary_blocks = true`,
/// `subnet = { network = "P", cidr = "Q" }`, `adds_cidr = true`.
fn addressing(native: &Native) -> Addressing {
    let flag = |key| setting(native, key).is_some_and(|v| v.kind == ExprKind::Bool(true));
    let one = |value: Option<&Expr>| value.and_then(|v| strings(v).next());
    Addressing {
        blocks: setting(native, "cidr")
            .map(|v| strings(v).filter_map(|path| cidr_site(&path)).collect())
            .unwrap_or_default(),
        network: one(setting(native, "network")),
        secondary_blocks: flag("secondary_blocks"),
        subnet: match setting(native, "subnet").map(|v| &v.kind) {
            Some(ExprKind::Object(fields)) => {
                one(field(fields, "network")).zip(one(field(fields, "cidr")))
            }
            _ => None,
        },
        adds_cidr: flag("adds_cidr"),
    }
}

/// What the backends read of a native type: its settings
/// `list_attributes`, `keyed_attributes`, `sensitive_attributes`,
/// `final_snapshot`, `image`, `address_attributes`, `dns_record`.
fn facts(native: &Native) -> NativeFacts {
    let list = |key| {
        setting(native, key)
            .map(|v| strings(v).collect())
            .unwrap_or_default()
    };
    NativeFacts {
        list_attributes: list("list_attributes"),
        keyed_attributes: keyed_attributes(native),
        sensitive_attributes: list("sensitive_attributes"),
        final_snapshot: final_snapshot(native),
        image_property: setting(native, "image")
            .and_then(|v| strings(v).next())
            .map(|path| path.split('.').map(str::to_string).collect()),
        address_attributes: list("address_attributes"),
        dns_record: dns_record(native),
        id_param: setting(native, "id_param").and_then(|v| strings(v).next()),
    }
}

/// `keyed_attributes = { outputs = ["output_key", "output_value"] }`.
fn keyed_attributes(native: &Native) -> Vec<KeyedAttribute> {
    let Some(ExprKind::Object(fields)) = setting(native, "keyed_attributes").map(|v| &v.kind)
    else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|p| {
            let [key, value] =
                <[String; 2]>::try_from(strings(&p.value).collect::<Vec<_>>()).ok()?;
            Some(KeyedAttribute {
                attribute: p.key.name.clone(),
                key,
                value,
            })
        })
        .collect()
}

/// `final_snapshot = { flag = "A" }`, or `final_snapshot = { skip = "S",
/// identifier = "I", named_after = "N" }`.
fn final_snapshot(native: &Native) -> Option<FinalSnapshot> {
    let Some(ExprKind::Object(fields)) = setting(native, "final_snapshot").map(|v| &v.kind) else {
        return None;
    };
    let one = |key| field(fields, key).and_then(|v| strings(v).next());
    match one("flag") {
        Some(flag) => Some(FinalSnapshot::Flag(flag)),
        None => Some(FinalSnapshot::Named {
            skip: one("skip")?,
            identifier: one("identifier")?,
            named_after: one("named_after")?,
        }),
    }
}

/// `dns_record = { type = "T", records = "R" }`.
fn dns_record(native: &Native) -> Option<DnsRecord> {
    let Some(ExprKind::Object(fields)) = setting(native, "dns_record").map(|v| &v.kind) else {
        return None;
    };
    let one = |key| field(fields, key).and_then(|v| strings(v).next());
    Some(DnsRecord {
        type_property: one("type")?,
        records: one("records")?,
    })
}

/// A path to address blocks: a property, then `[]` for each element of a
/// list and `.name` for a field of an object (`ingress[].cidr_blocks[]`).
pub(super) fn cidr_site(path: &str) -> Option<CidrSite> {
    let end = path.find(['[', '.']).unwrap_or(path.len());
    let (property, mut rest) = path.split_at(end);
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[]") {
            steps.push(Step::Each);
            rest = after;
        } else {
            let after = rest.strip_prefix('.')?;
            let end = after.find(['[', '.']).unwrap_or(after.len());
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end..];
        }
    }
    (!property.is_empty()).then(|| CidrSite {
        property: property.to_string(),
        steps,
    })
}

impl Checker<'_> {
    /// W0211 where a resource of a program (not of the stdlib) uses a native
    /// type its source deprecates (`property` None), or sets a deprecated
    /// property of one.
    pub(super) fn check_deprecated(
        &mut self,
        module: ModuleId,
        schema: SchemaId,
        property: Option<&str>,
        span: Span,
    ) {
        if self.modules[module.0 as usize].stdlib {
            return;
        }
        let schema = &self.schemas[schema.0 as usize];
        let message = match property {
            None if schema.deprecated.whole => format!("`{}` is deprecated", schema.name),
            Some(key) if schema.deprecated.properties.iter().any(|p| p == key) => {
                format!("`{key}` of `{}` is deprecated", schema.name)
            }
            _ => return,
        };
        let declared = property
            .and_then(|key| schema.inputs.get(key))
            .map_or(schema.span, |field| field.span);
        let source = match &schema.kind {
            SchemaKind::Native { target } => crate::target::Target::vocabulary_display(target),
            SchemaKind::Component { .. } => return,
        };
        self.diagnostics.push(
            Diagnostic::new(&codes::W0211, span, message)
                .label(format!("deprecated by {source}"))
                .secondary(declared, "the schema says so")
                .note("a deprecated type or property may be removed by a later version of the target; its documentation names what replaces it"),
        );
    }
}

/// What a resource whose type is written as a string is told: with a
/// schema, that the quotes are not needed (W0210); without, that it is not
/// checked (W0202), and the name it may have meant.
pub(super) fn quoted_type_diagnostic(name: &str, span: Span, has_schema: bool) -> Diagnostic {
    if has_schema {
        return Diagnostic::new(
            &codes::W0210,
            span,
            format!("`{name}` is a native type with a schema: the quotes are not needed"),
        )
        .label("checked as if written without quotes")
        .help(format!("write `{name}` without quotes"));
    }
    let diagnostic = Diagnostic::new(
        &codes::W0202,
        span,
        format!("`{name}` is passed through unchecked"),
    )
    .label("properties of this resource are not checked")
    .note("the stdlib has no schema for this type");
    let candidates = native_candidates(name);
    match suggest::best_match(name, candidates.iter().copied()) {
        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
        None => diagnostic,
    }
}

/// The native type names of `name`'s vocabulary, for did-you-mean: every
/// name the stdlib's index holds, no file opened.
fn native_candidates(name: &str) -> Vec<&'static str> {
    let Some(target) = crate::target::vocabulary_of(name) else {
        return Vec::new();
    };
    stdlib::native_types()
        .filter(|candidate| crate::target::vocabulary_of(candidate) == Some(target))
        .collect()
}
