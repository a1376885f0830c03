//! The type checker: resolves resource types against the stdlib and imports,
//! checks properties against schemas, attribute reads, operators, calls, and
//! uses of conditional resources.
//!
//! Modules (the entry file, its imports, stdlib files) are loaded on demand;
//! a stdlib file is parsed only when a program names something in it.

use rustc_hash::{FxBuildHasher, FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::IndexMap;

use super::eval::{self, Value};
use super::params::{self, ParamInfo};
use super::resolve::NAMESPACES;
use super::schema::{Field, Schema, SchemaKind};
use super::ty::{Fields, SchemaId, Ty, accepts, display};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{FileId, SourceDb, Span};
use crate::target::Target;
use crate::syntax::ast::*;
use crate::{stdlib, suggest, syntax};

/// Index of a loaded module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId(pub u32);

/// A checked program: what lowering needs to expand it for a target.
pub struct Program {
    /// Every loaded module (the entry file, imports, stdlib files), by id.
    pub modules: Vec<Rc<SourceFile>>,
    pub entry: ModuleId,
    pub schemas: Vec<Schema>,
    /// The schema of each resource declaration, by the span of its name.
    pub resource_schemas: HashMap<Span, SchemaId>,
    pub analysis: Analysis,
    /// The entry file's params, with their compile-time values.
    pub params: IndexMap<String, ParamInfo>,
}

struct Module {
    ast: Rc<SourceFile>,
    /// The directory imports are relative to; `None` for stdlib files.
    dir: Option<PathBuf>,
    /// The namespace a stdlib portable file defines (`compute`), if any.
    namespace: Option<String>,
    /// A file of the stdlib: where its secrets go is its own decision, so
    /// nothing in it is checked for secrets reaching properties.
    stdlib: bool,
    imports: HashMap<String, Option<ModuleId>>,
    /// Native types named in this module, declared by it or by the stdlib,
    /// by name; `None` for a name that is neither.
    natives: HashMap<String, Option<SchemaId>>,
}

/// What the checker found, for later phases.
#[derive(Debug, Default)]
pub struct Analysis {
    /// State class of each top-level resource of the entry file.
    pub states: IndexMap<String, StateClass, FxBuildHasher>,
    /// The entry file's outputs whose value reads a secret: a secret param,
    /// or an output of a component declared `sensitive = true` (such as
    /// `secret.RandomPassword`'s `value`). Each is sensitive, whether it is
    /// marked `sensitive = true` or not, as an output reading a secret param
    /// always was.
    pub secret_outputs: HashSet<String>,
}

/// How many instances of a resource a program declares.
#[derive(Clone, Debug, PartialEq)]
pub enum Count {
    /// No `for`: one.
    One,
    /// `for` over a list known at compile time: unrolled.
    Fixed(usize),
    /// `for i in a..n` with a bound known only at deploy time: the target's
    /// own repetition (Terraform `count`, Heat `ResourceGroup`).
    Deploy,
}

/// Whether a resource exists.
#[derive(Clone, Debug, PartialEq)]
pub enum Existence {
    Always,
    /// Its `if` folded to false: it is left out of every template.
    Never,
    /// Its `if` is known only at deploy time.
    Conditional,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Instances {
    pub count: Count,
    pub existence: Existence,
}

/// Up to this many properties, a resource's body is scanned for duplicate
/// keys rather than hashed.
const FEW_PROPERTIES: usize = 16;

const BUILTIN_TYPES: &[&str] = &["string", "int", "number", "bool", "any"];
const META_PROPERTIES: &[&str] = &["depends_on", "deletion"];

pub struct Checker<'db> {
    db: &'db mut SourceDb,
    modules: Vec<Module>,
    user_modules: HashMap<PathBuf, ModuleId>,
    stdlib_modules: HashMap<String, ModuleId>,
    /// Import chain being loaded, for cycle detection.
    /// Each file's canonical path, its name as written, and the import span.
    loading: Vec<(PathBuf, String, Span)>,
    /// Shared so that a schema can be read while the checker is borrowed
    /// mutably.
    schemas: Vec<Rc<Schema>>,
    component_schemas: HashMap<(ModuleId, String), SchemaId>,
    native_schemas: HashMap<String, Option<SchemaId>>,
    aliases_in_progress: HashSet<(ModuleId, String)>,
    aliases: HashMap<(ModuleId, String), Ty>,
    /// Component schemas whose fields are not resolved yet.
    pending_fields: HashMap<SchemaId, (ModuleId, usize)>,
    resource_schemas: HashMap<Span, SchemaId>,
    /// Values of the entry file's params given at compile time.
    param_values: IndexMap<String, Value>,
    /// Defaults of the entry file's other params (secrets left out): the
    /// values a deployment gets when it gives none.
    param_defaults: IndexMap<String, Value>,
    diagnostics: Vec<Diagnostic>,
    /// The text of the type path being resolved, kept from one path to the
    /// next: every resource's type is one.
    path_text: String,
    /// The first secret read by the expressions inferred since it was last
    /// taken: secrecy is tracked beside types, as every operator, call,
    /// interpolation, list, object and comprehension propagates it. See
    /// [`Checker::reading_secrets`].
    secret: Option<Rc<Secret>>,
}

/// A secret an expression reads, for E0321.
#[derive(Debug)]
struct Secret {
    /// Where the expression reads it: a name or an attribute read.
    read: Span,
    /// What is read there, as written: `db_password`, `pw.value`, `dsn`.
    name: String,
    /// The secret itself, as first read: `dsn` reads `db_password`.
    source: String,
    /// The declaration that makes it secret (`secret = true`, an output
    /// declared `sensitive = true`), and what to say there.
    origin: Span,
    why: String,
}

impl Secret {
    /// The same secret, read at `read` through `name` (a let, a loop
    /// variable).
    fn through(&self, name: &str, read: Span) -> Rc<Secret> {
        Rc::new(Secret {
            read,
            name: name.to_string(),
            source: self.source.clone(),
            origin: self.origin,
            why: self.why.clone(),
        })
    }

    /// The label where it is read.
    fn label(&self) -> String {
        if self.name == self.source {
            format!("`{}` is secret", self.name)
        } else {
            format!(
                "`{}` is computed from `{}`, a secret",
                self.name, self.source
            )
        }
    }
}

/// Top-level names of a module, as the checker sees them.
#[derive(Clone)]
enum Entry {
    /// A param, and for a secret one where `secret = true` is written.
    Param(Ty, Option<Span>),
    Let(usize),
    Resource {
        ty: Ty,
        /// The `if` it exists under, printed, and where it is. Boxed: most
        /// resources have none, and every name has an entry.
        condition: Option<Box<(String, Span)>>,
        /// Its index among the scope's items.
        item: usize,
    },
    Import,
}

/// The scope expressions are checked in.
struct Scope<'a> {
    module: ModuleId,
    items: &'a [Item],
    entries: HashMap<&'a str, Entry>,
    /// The schema of each resource among `items`, by index, as its name's
    /// entry gives it: read once per resource, without hashing its name.
    resource_schemas: Vec<Option<SchemaId>>,
    lets: HashMap<usize, Option<Ty>>,
    /// The secret each let's value reads, by index, once its type is known.
    let_secrets: HashMap<usize, Rc<Secret>>,
    /// Loop variables and narrowed names: name, type, and the secret the
    /// value carries.
    locals: Vec<(String, Ty, Option<Rc<Secret>>)>,
    /// Conditions known to hold here, canonically printed.
    conditions: Vec<String>,
    /// Attribute paths known not to be null here (`a.b != null ? a.b : ...`),
    /// canonically printed.
    non_null: Vec<String>,
    consts: ConstEnv<'a>,
}

impl Scope<'_> {
    /// Is `name` a loop variable or a narrowed name here?
    fn is_local(&self, name: &str) -> bool {
        self.locals.iter().any(|(local, ..)| local == name)
    }
}

/// Checks one entry file already parsed into `ast`.
pub fn check(
    db: &mut SourceDb,
    file: FileId,
    ast: Rc<SourceFile>,
    path: Option<&Path>,
    params: &IndexMap<String, ParamInfo>,
) -> (Program, Vec<Diagnostic>) {
    let mut checker = Checker {
        db,
        modules: Vec::new(),
        user_modules: HashMap::default(),
        stdlib_modules: HashMap::default(),
        loading: Vec::new(),
        schemas: Vec::new(),
        component_schemas: HashMap::default(),
        native_schemas: HashMap::default(),
        aliases_in_progress: HashSet::default(),
        aliases: HashMap::default(),
        pending_fields: HashMap::default(),
        resource_schemas: HashMap::default(),
        param_values: IndexMap::new(),
        param_defaults: IndexMap::new(),
        diagnostics: Vec::new(),
        path_text: String::new(),
        secret: None,
    };
    let _ = file;
    let canonical = path.and_then(|p| p.canonicalize().ok());
    if let Some(p) = &canonical {
        let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
        checker.loading.push((p.clone(), shown, Span::default()));
    }
    let entry = checker.add_module(ast.clone(), path.and_then(Path::parent), None);
    if let Some(p) = canonical {
        checker.user_modules.insert(p, entry);
    }
    checker.load_imports(entry);
    checker.loading.clear();
    // Params typed by an alias of another file are checked now that every
    // file they name is loaded.
    let mut params = params.clone();
    let found = params::check_foreign(&ast, &mut params, &mut |ty| checker.param_type(entry, ty));
    checker.diagnostics.extend(found);
    checker.param_values = params
        .iter()
        .filter_map(|(name, info)| Some((name.clone(), info.value.clone()?)))
        .collect();
    checker.param_defaults = params
        .iter()
        .filter(|(_, info)| info.value.is_none() && !info.secret)
        .filter_map(|(name, info)| Some((name.clone(), info.default.clone()?)))
        .collect();
    let analysis = checker.check_module(entry, &ast.items, true, None);
    let pending: Vec<SchemaId> = checker.pending_fields.keys().copied().collect();
    for id in pending {
        checker.ensure_fields(id);
    }
    let program = Program {
        modules: checker.modules.iter().map(|m| m.ast.clone()).collect(),
        entry,
        schemas: checker
            .schemas
            .into_iter()
            .map(Rc::unwrap_or_clone)
            .collect(),
        resource_schemas: checker.resource_schemas,
        analysis,
        params,
    };
    (program, checker.diagnostics)
}

impl Checker<'_> {
    fn add_module(
        &mut self,
        ast: Rc<SourceFile>,
        dir: Option<&Path>,
        namespace: Option<String>,
    ) -> ModuleId {
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(Module {
            ast,
            dir: dir.map(Path::to_path_buf),
            namespace,
            stdlib: false,
            imports: HashMap::default(),
            natives: HashMap::default(),
        });
        id
    }

    fn source_text(&self, span: Span) -> String {
        self.db
            .text(span.file)
            .get(span.range())
            .unwrap_or_default()
            .to_string()
    }

    fn schema_name(&self, id: SchemaId) -> String {
        self.schemas[id.0 as usize].name.clone()
    }

    fn show(&self, ty: &Ty) -> String {
        display(ty, &|id| self.schema_name(id))
    }

    // ------------------------------------------------------------- modules

    fn load_imports(&mut self, module: ModuleId) {
        let ast = self.modules[module.0 as usize].ast.clone();
        let dir = self.modules[module.0 as usize].dir.clone();
        for item in &ast.items {
            let ItemKind::Import(import) = &item.kind else {
                continue;
            };
            let target = self.load_import(import, dir.as_deref());
            self.modules[module.0 as usize]
                .imports
                .insert(import.alias.name.clone(), target);
        }
    }

    fn load_import(&mut self, import: &Import, dir: Option<&Path>) -> Option<ModuleId> {
        let Some(relative) = import.path.as_plain() else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0105,
                    import.path.span,
                    "an import path cannot contain an interpolation",
                )
                .label("the file to import must be known before anything is evaluated")
                .help("write the path as plain text"),
            );
            return None;
        };
        let dir = dir.unwrap_or(Path::new("."));
        // Lexically, so that names read `dir/web.infra`, not `dir/./web.infra`.
        let joined: PathBuf = dir
            .join(&relative)
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        let Ok(canonical) = joined.canonicalize() else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0105,
                    import.path.span,
                    format!("cannot find `{relative}`"),
                )
                .label(format!("no file at `{}`", joined.display()))
                .help("import paths are relative to the importing file"),
            );
            return None;
        };
        if let Some(position) = self.loading.iter().position(|(p, _, _)| *p == canonical) {
            let mut chain: Vec<String> = self.loading[position..]
                .iter()
                .map(|(_, shown, _)| shown.clone())
                .collect();
            chain.push(joined.display().to_string());
            let self_import = position + 1 == self.loading.len();
            let mut diagnostic = Diagnostic::new(&codes::E0103, import.path.span, "import cycle")
                .label("this import closes the cycle")
                .note(format!("the cycle: {}", chain.join(" → ")));
            for (_, _, span) in &self.loading[position + 1..] {
                diagnostic = diagnostic.secondary(*span, "imported here");
            }
            self.diagnostics.push(diagnostic.help(if self_import {
                "a file's own declarations are in scope without an import: remove it"
            } else {
                "move what both files need into a third file that imports neither"
            }));
            return None;
        }
        if let Some(existing) = self.user_modules.get(&canonical) {
            return Some(*existing);
        }
        let text = match std::fs::read(&canonical) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0105,
                        import.path.span,
                        format!("cannot read `{relative}`: {error}"),
                    )
                    .label("imported here"),
                );
                return None;
            }
        };
        let name = joined.display().to_string();
        let lossy = String::from_utf8_lossy(&text).into_owned();
        let file = self.db.add(name, Some(&canonical), lossy);
        let text = match syntax::decode(file, text) {
            Ok(text) => text,
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                return None;
            }
        };
        let (ast, syntax_diagnostics) = syntax::parse(file, &text);
        let broken = crate::diagnostics::has_errors(&syntax_diagnostics);
        self.diagnostics.extend(syntax_diagnostics);
        if !broken {
            self.diagnostics.extend(super::resolve::resolve(&ast));
        }
        let ast = Rc::new(ast);
        // Imports of this file resolve from where it was found, as written.
        let id = self.add_module(ast.clone(), joined.parent(), None);
        self.user_modules.insert(canonical.clone(), id);
        self.loading
            .push((canonical, joined.display().to_string(), import.path.span));
        self.load_imports(id);
        self.loading.pop();
        if !broken {
            // Components and outputs of an imported file are checked with it.
            let _ = self.check_module(id, &ast.items, false, None);
        }
        Some(id)
    }

    fn stdlib_module(&mut self, path: &str, namespace: Option<&str>) -> Option<ModuleId> {
        if let Some(id) = self.stdlib_modules.get(path) {
            return Some(*id);
        }
        let text = stdlib::source(path)?;
        let file = self
            .db
            .add(stdlib::display_name(path), None, text.to_string());
        let (ast, diagnostics) = syntax::parse(file, text);
        // The stdlib is tested to parse cleanly; report anyway rather than hide.
        self.diagnostics.extend(diagnostics);
        let id = self.add_module(Rc::new(ast), None, namespace.map(str::to_string));
        self.modules[id.0 as usize].stdlib = true;
        self.stdlib_modules.insert(path.to_string(), id);
        Some(id)
    }

    fn namespace_module(&mut self, namespace: &str) -> Option<ModuleId> {
        if !NAMESPACES.contains(&namespace) {
            return None;
        }
        let path = stdlib::portable_path(namespace);
        let first_time = !self.stdlib_modules.contains_key(&path);
        let id = self.stdlib_module(&path, Some(namespace))?;
        if first_time {
            // Checking the namespace's lowerings records the native schema of
            // every resource in them, which lowering needs.
            let ast = self.modules[id.0 as usize].ast.clone();
            let _ = self.check_module(id, &ast.items, false, None);
        }
        Some(id)
    }

    // --------------------------------------------------------------- types

    /// Resolves a type written in `module`.
    fn resolve_type(&mut self, module: ModuleId, ty: &TypeExpr) -> Ty {
        match &ty.kind {
            TypeKind::Path(path) => self.resolve_type_path(module, path),
            TypeKind::Literal(s) => Ty::Literal(s.as_str().into()),
            TypeKind::List(inner) => Ty::list(self.resolve_type(module, inner)),
            TypeKind::Map(inner) => Ty::map(self.resolve_type(module, inner)),
            TypeKind::Object(fields) => Ty::Object(
                fields
                    .iter()
                    .map(|f| {
                        let t = self.resolve_type(module, &f.ty);
                        (f.key.name.clone(), (t, f.optional))
                    })
                    .collect::<Fields>()
                    .into(),
            ),
            TypeKind::Optional(inner) => Ty::optional(self.resolve_type(module, inner)),
            TypeKind::Union(members) => Ty::Union(
                members
                    .iter()
                    .map(|m| self.resolve_type(module, m))
                    .collect(),
            ),
            TypeKind::Paren(inner) => self.resolve_type(module, inner),
        }
    }

    fn resolve_type_path(&mut self, module: ModuleId, path: &TypePath) -> Ty {
        // Taken, as resolving a path may resolve others.
        let mut text = std::mem::take(&mut self.path_text);
        write_path_text(path, &mut text);
        let ty = self.resolve_written_path(module, path, &text);
        self.path_text = text;
        ty
    }

    /// A type path, with its text as written.
    fn resolve_written_path(&mut self, module: ModuleId, path: &TypePath, text: &str) -> Ty {
        if path.separator == PathSeparator::Colons {
            return self.native_type(module, text, path.span);
        }
        match path.segments.as_slice() {
            [name] => {
                if let Some(t) = builtin_type(&name.name) {
                    return t;
                }
                if let Some(t) = self.type_in_module(module, &name.name) {
                    return t;
                }
                if stdlib::native_target(&name.name).is_some() {
                    return self.native_type(module, &name.name, path.span);
                }
                let candidates = self.type_names(module);
                self.unknown_type(path.span, text, candidates.iter().map(String::as_str))
            }
            [namespace, name] => {
                let imported = self.modules[module.0 as usize]
                    .imports
                    .get(&namespace.name)
                    .copied();
                let target = match imported {
                    Some(Some(m)) => Some(m),
                    // The import already failed and was reported.
                    Some(None) => return Ty::Error,
                    None => self.namespace_module(&namespace.name),
                };
                let Some(target) = target else {
                    let mut candidates: Vec<String> =
                        NAMESPACES.iter().map(|s| s.to_string()).collect();
                    candidates.extend(self.modules[module.0 as usize].imports.keys().cloned());
                    let mut diagnostic = Diagnostic::new(
                        &codes::E0104,
                        namespace.span,
                        format!("unknown namespace `{}`", namespace.name),
                    )
                    .label("not an import or a stdlib namespace");
                    diagnostic = diagnostic
                        .did_you_mean(&namespace.name, candidates.iter().map(String::as_str));
                    self.diagnostics.push(diagnostic);
                    return Ty::Error;
                };
                if let Some(t) = self.type_in_module(target, &name.name) {
                    return t;
                }
                let candidates = self.type_names(target);
                self.unknown_type(name.span, text, candidates.iter().map(String::as_str))
            }
            _ => self.unknown_type(path.span, text, std::iter::empty()),
        }
    }

    fn unknown_type<'c>(
        &mut self,
        span: Span,
        name: &str,
        candidates: impl Iterator<Item = &'c str>,
    ) -> Ty {
        let last = name.rsplit(['.', ':']).next().unwrap_or(name);
        let mut diagnostic = Diagnostic::new(&codes::E0104, span, format!("unknown type `{name}`"))
            .label("no type of this name");
        diagnostic = diagnostic.did_you_mean(last, candidates);
        self.diagnostics.push(diagnostic);
        Ty::Error
    }

    /// Names of the types a module declares, for suggestions.
    fn type_names(&self, module: ModuleId) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_TYPES.iter().map(|s| s.to_string()).collect();
        for item in &self.modules[module.0 as usize].ast.items {
            match &item.kind {
                ItemKind::TypeAlias(a) => names.push(a.name.name.clone()),
                ItemKind::Component(c) => names.push(c.name.name.clone()),
                _ => {}
            }
        }
        names
    }

    /// A type alias or component declared in `module`.
    fn type_in_module(&mut self, module: ModuleId, name: &str) -> Option<Ty> {
        let ast = self.modules[module.0 as usize].ast.clone();
        for (index, item) in ast.items.iter().enumerate() {
            match &item.kind {
                ItemKind::TypeAlias(alias) if alias.name.name == name => {
                    let key = (module, name.to_string());
                    if let Some(t) = self.aliases.get(&key) {
                        return Some(t.clone());
                    }
                    if !self.aliases_in_progress.insert(key.clone()) {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0107,
                                alias.name.span,
                                format!("type `{name}` is defined in terms of itself"),
                            )
                            .label("recursive type alias")
                            .help("break the recursion with `any` or a resource type"),
                        );
                        self.aliases.insert(key, Ty::Error);
                        return Some(Ty::Error);
                    }
                    let t = self.resolve_type(module, &alias.ty);
                    self.aliases_in_progress.remove(&key);
                    self.aliases.entry(key).or_insert(t.clone());
                    return Some(t);
                }
                ItemKind::Component(c) if c.name.name == name => {
                    return Some(Ty::Resource(self.component_schema(module, index)));
                }
                _ => {}
            }
        }
        None
    }

    /// A param's declared type, written in `module`, with the aliases of
    /// every file resolved, for [`params::check_foreign`]. Reports nothing:
    /// the type is resolved again when the param is declared, and mistakes
    /// in it are reported then.
    fn param_type(&mut self, module: ModuleId, ty: &TypeExpr) -> params::ParamType {
        let mut busy = Vec::new();
        params::ParamType::resolve(ty, &mut |path| self.param_alias(module, path, &mut busy))
    }

    /// The type an alias named in `module` gives a param; `None` for any
    /// other name. `busy`: the aliases being resolved, as a recursive one
    /// stays opaque.
    fn param_alias(
        &mut self,
        module: ModuleId,
        path: &TypePath,
        busy: &mut Vec<(ModuleId, String)>,
    ) -> Option<params::ParamType> {
        if path.separator == PathSeparator::Colons {
            return None;
        }
        let (target, name) = match path.segments.as_slice() {
            [name] => (module, name),
            [namespace, name] => {
                let imported = self.modules[module.0 as usize]
                    .imports
                    .get(&namespace.name)
                    .copied();
                let target = match imported {
                    Some(import) => import?,
                    None => self.namespace_module(&namespace.name)?,
                };
                (target, name)
            }
            _ => return None,
        };
        let ast = self.modules[target.0 as usize].ast.clone();
        let body = ast.items.iter().find_map(|item| match &item.kind {
            ItemKind::TypeAlias(alias) if alias.name.name == name.name => Some(&alias.ty),
            _ => None,
        })?;
        let key = (target, name.name.clone());
        if busy.contains(&key) {
            return None;
        }
        busy.push(key);
        let ty = params::alias_type(path, body, &mut |p| self.param_alias(target, p, busy));
        busy.pop();
        Some(ty)
    }

    fn component_schema(&mut self, module: ModuleId, index: usize) -> SchemaId {
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
        self.schemas.push(Rc::new(Schema {
            name,
            kind: SchemaKind::Component { module, index },
            state: component.state.unwrap_or(StateClass::Stateless),
            span: component.name.span,
            inputs: IndexMap::default(),
            outputs: IndexMap::default(),
            constraints: IndexMap::default(),
            snapshot: false,
        }));
        // Fields resolve on first use: a component's type may then appear in
        // its own fields or in an alias that one of its fields uses.
        self.component_schemas.insert(key, id);
        self.pending_fields.insert(id, (module, index));
        id
    }

    /// Resolves a component schema's fields if not done yet.
    fn ensure_fields(&mut self, id: SchemaId) {
        // Read for every attribute: most often nothing is pending.
        if self.pending_fields.is_empty() {
            return;
        }
        let Some((module, index)) = self.pending_fields.remove(&id) else {
            return;
        };
        let ast = self.modules[module.0 as usize].ast.clone();
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
                        constraints.insert(p.name.name.clone(), params::constraints_of(&ast, p));
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
        let schema = Rc::make_mut(&mut self.schemas[id.0 as usize]);
        schema.inputs = inputs;
        schema.outputs = outputs;
        schema.constraints = constraints;
    }

    /// A native type: declared by the program itself, or from the stdlib.
    fn native_type(&mut self, module: ModuleId, name: &str, span: Span) -> Ty {
        let found = match self.modules[module.0 as usize].natives.get(name) {
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
        };
        match found {
            Some(id) => Ty::Resource(id),
            None => {
                let candidates = native_candidates(name);
                let mut diagnostic =
                    Diagnostic::new(&codes::E0104, span, format!("unknown type `{name}`"))
                        .label("no native type of this name in the stdlib");
                if let Some(near) = suggest::best_match(name, candidates.iter().map(String::as_str))
                {
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

    fn native_schema(&mut self, name: &str) -> Option<SchemaId> {
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
        let id = SchemaId(self.schemas.len() as u32);
        self.schemas.push(Rc::new(Schema {
            name: name.to_string(),
            kind: SchemaKind::Native {
                target: native.target.name.clone(),
            },
            state: native.state.unwrap_or(StateClass::Stateless),
            span: native.type_name.span,
            inputs,
            outputs,
            constraints: IndexMap::default(),
            snapshot: native.members.iter().any(|m| {
                matches!(&m.kind, MemberKind::Setting(p)
                    if p.key.name == "snapshot" && matches!(p.value.kind, ExprKind::Bool(true)))
            }),
        }));
        Some(id)
    }

    // ------------------------------------------------------------- checking

    /// Checks the declarations of a module (or of a component's body).
    /// `component`: in a component's body or `target` block, the names of
    /// the component's outputs declared `sensitive = true`.
    fn check_module(
        &mut self,
        module: ModuleId,
        items: &[Item],
        entry: bool,
        component: Option<&[String]>,
    ) -> Analysis {
        let consts = ConstEnv {
            lets: items
                .iter()
                .filter_map(|item| match &item.kind {
                    ItemKind::Let(l) => Some((l.name.name.as_str(), &l.value)),
                    _ => None,
                })
                .collect(),
            params: if entry {
                self.param_values.clone()
            } else {
                IndexMap::new()
            },
            defaults: if entry {
                self.param_defaults.clone()
            } else {
                IndexMap::new()
            },
            cache: RefCell::new(HashMap::default()),
            diagnostics: RefCell::new(Vec::new()),
        };
        let mut scope = Scope {
            module,
            items,
            entries: HashMap::default(),
            resource_schemas: Vec::new(),
            lets: HashMap::default(),
            let_secrets: HashMap::default(),
            locals: Vec::new(),
            conditions: Vec::new(),
            non_null: Vec::new(),
            consts,
        };
        let mut analysis = Analysis::default();
        if entry {
            analysis.states.reserve(items.len());
        }
        self.resource_schemas.reserve(items.len());
        self.declare_entries(&mut scope, items);
        for (index, item) in items.iter().enumerate() {
            match &item.kind {
                ItemKind::Let(l) => {
                    self.let_type(&mut scope, index);
                    if entry {
                        // Folding reports what cannot be computed (1 / 0).
                        let _ = scope.consts.lookup(&l.name.name);
                    }
                }
                ItemKind::Resource(r) => {
                    let schema = scope.resource_schemas[index];
                    let (state, _) = self.check_resource(&mut scope, r, schema, entry);
                    if entry && let Some(state) = state {
                        analysis.states.insert(r.name.name.clone(), state);
                    }
                }
                ItemKind::Output(o) => {
                    if let Some(value) = &o.value {
                        let (found, secret) = self.reading_secrets(|s| s.infer(&mut scope, value));
                        if let Some(secret) = secret {
                            if entry {
                                analysis.secret_outputs.insert(o.name.name.clone());
                            } else if let Some(declared) = component {
                                self.secret_in_component_output(&scope, o, declared, &secret);
                            }
                        }
                        if let Some(declared) = &o.ty {
                            let expected = self.resolve_type(module, declared);
                            self.expect(&expected, &found, value.span, None);
                        }
                    } else if let Some(declared) = &o.ty {
                        let _ = self.resolve_type(module, declared);
                    }
                    if let Some(options) = &o.options {
                        self.check_output_options(&mut scope, options);
                    }
                }
                ItemKind::TypeAlias(a) => {
                    let _ = self.resolve_type(module, &a.ty);
                }
                ItemKind::Native(n) => {
                    for member in &n.members {
                        if let MemberKind::Property(f) | MemberKind::Attribute(f) = &member.kind {
                            let _ = self.resolve_type(module, &f.ty);
                        }
                    }
                }
                ItemKind::Component(c) => {
                    let own: Vec<Item> = c
                        .items
                        .iter()
                        .filter(|i| !matches!(i.kind, ItemKind::Target(_)))
                        .cloned()
                        .collect();
                    let sensitive = sensitive_outputs(c);
                    let _ = self.check_module(module, &own, false, Some(&sensitive));
                    for item in &c.items {
                        if let ItemKind::Target(block) = &item.kind {
                            self.check_target_block(module, c, block);
                        }
                    }
                }
                _ => {}
            }
        }
        self.check_address_ranges(&scope, items);
        self.diagnostics.extend(scope.consts.diagnostics.take());
        analysis
    }

    /// A subnet's address block known at compile time must lie within its
    /// network's, and must not overlap another subnet's of the same network:
    /// the clouds refuse both when the stack is deployed (cfn-lint reports
    /// them too).
    fn check_address_ranges(&mut self, scope: &Scope, items: &[Item]) {
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

    /// A component's lowering for one target: its resources are native
    /// resources of that target, checked against their schemas, in a scope
    /// of the component's params and lets; each `output` binds one of the
    /// component's declared outputs.
    fn check_target_block(&mut self, module: ModuleId, component: &Component, block: &TargetBlock) {
        let target = block.target.name.as_str();
        let Some(block_target) = Target::from_name(target) else {
            let mut d = Diagnostic::new(
                &codes::E0211,
                block.target.span,
                format!("unknown target `{target}`"),
            )
            .label("not a target")
            .note(format!("the targets are {}", Target::NAMES.join(", ")));
            d = d.did_you_mean(target, Target::NAMES);
            self.diagnostics.push(d);
            return;
        };
        let mut items: Vec<Item> = component
            .items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Param(_) | ItemKind::Let(_)))
            .cloned()
            .collect();
        // A bound output is checked against the type its declaration gives.
        let declared: HashMap<&str, &TypeExpr> = component
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Output(o) if o.value.is_none() => {
                    Some((o.name.name.as_str(), o.ty.as_ref()?))
                }
                _ => None,
            })
            .collect();
        items.extend(block.items.iter().map(|item| {
            let mut item = item.clone();
            if let ItemKind::Output(o) = &mut item.kind
                && o.ty.is_none()
                && let Some(ty) = declared.get(o.name.name.as_str())
            {
                o.ty = Some((*ty).clone());
            }
            item
        }));
        for item in &block.items {
            if let ItemKind::Resource(r) = &item.kind {
                let name = match &r.ty {
                    ResourceType::Path(path)
                        if path.separator == PathSeparator::Colons || path.segments.len() == 1 =>
                    {
                        Some((path.text(), path.span))
                    }
                    ResourceType::Raw(raw) => raw.as_plain().map(|t| (t, raw.span)),
                    ResourceType::Path(_) => None,
                };
                if let Some((name, span)) = name
                    && let Some(owner) = stdlib::native_target(&name)
                    && !block_target.accepts_vocabulary(owner)
                {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0212,
                            span,
                            format!("`{name}` is a native type of {owner}, not of {target}"),
                        )
                        .label(format!("not a {target} type"))
                        .help(format!(
                            "a `target {target}` block lowers into {target}'s own types"
                        )),
                    );
                }
            }
        }
        let _ = self.check_module(module, &items, false, Some(&sensitive_outputs(component)));
        // Every declared output is bound by every lowering.
        let bound: HashSet<&str> = block
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Output(o) if o.value.is_some() => Some(o.name.name.as_str()),
                _ => None,
            })
            .collect();
        let unsupported = block
            .items
            .iter()
            .any(|i| matches!(i.kind, ItemKind::Unsupported(_)));
        if unsupported {
            return;
        }
        for item in &component.items {
            if let ItemKind::Output(o) = &item.kind
                && o.value.is_none()
                && !bound.contains(o.name.name.as_str())
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0213,
                        block.target.span,
                        format!(
                            "the {target} lowering of `{}` does not bind output `{}`",
                            component.name.name, o.name.name
                        ),
                    )
                    .label(format!("no `output {} = ...` in this block", o.name.name))
                    .secondary(o.name.span, "declared here")
                    .help(format!("add `output {} = ...` to the block", o.name.name)),
                );
            }
        }
    }

    fn declare_entries<'a>(&mut self, scope: &mut Scope<'a>, items: &'a [Item]) {
        scope.entries.reserve(items.len());
        scope.resource_schemas = vec![None; items.len()];
        for (index, item) in items.iter().enumerate() {
            let (name, entry) = match &item.kind {
                ItemKind::Param(p) => {
                    let ty = match (&p.ty, &p.default) {
                        (Some(t), _) => self.resolve_type(scope.module, t),
                        (None, Some(d)) => literal_type(d),
                        (None, None) => Ty::Any,
                    };
                    let secret =
                        marked_at(p.options.as_ref(), "secret", &|n| scope.consts.lookup(n));
                    (&p.name, Entry::Param(ty, secret))
                }
                ItemKind::Let(l) => (&l.name, Entry::Let(index)),
                ItemKind::Resource(r) => {
                    let ty = match &r.ty {
                        ResourceType::Path(path) => {
                            match self.resolve_type_path(scope.module, path) {
                                t @ (Ty::Resource(_) | Ty::Error) => t,
                                other => {
                                    let shown = self.show(&other);
                                    self.diagnostics.push(
                                        Diagnostic::new(
                                            &codes::E0106,
                                            path.span,
                                            format!("`{}` is not a resource type", path.text()),
                                        )
                                        .label(format!("this is the value type `{shown}`"))
                                        .help("a resource's type is a component, a portable stdlib type such as `compute.Server`, or a native type such as `AWS::EC2::VPC`"),
                                    );
                                    Ty::Error
                                }
                            }
                        }
                        ResourceType::Raw(_) => Ty::Any,
                    };
                    let ty = if r.for_guard.is_some() {
                        Ty::list(ty)
                    } else {
                        ty
                    };
                    let condition = r.if_guard.as_ref().map(|c| Box::new((canon(c), c.span)));
                    (
                        &r.name,
                        Entry::Resource {
                            ty,
                            condition,
                            item: index,
                        },
                    )
                }
                ItemKind::Import(i) => (&i.alias, Entry::Import),
                _ => continue,
            };
            let entry = scope.entries.entry(&name.name).or_insert(entry);
            if matches!(item.kind, ItemKind::Resource(_)) {
                // A name declared twice has the first declaration's entry.
                scope.resource_schemas[index] = match entry {
                    Entry::Resource { ty, .. } => match ty.non_optional() {
                        Ty::Resource(id) => Some(*id),
                        Ty::List(inner) => match **inner {
                            Ty::Resource(id) => Some(id),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
            }
        }
    }

    fn let_type(&mut self, scope: &mut Scope, index: usize) -> Ty {
        match scope.lets.get(&index) {
            Some(Some(t)) => return t.clone(),
            // A cycle among lets; the graph reports it.
            Some(None) => return Ty::Error,
            None => {}
        }
        scope.lets.insert(index, None);
        let ItemKind::Let(l) = &scope.items[index].kind else {
            return Ty::Error;
        };
        // Lets are checked outside any local scope or condition.
        let locals = std::mem::take(&mut scope.locals);
        let conditions = std::mem::take(&mut scope.conditions);
        let (found, secret) = self.reading_secrets(|s| s.infer(scope, &l.value));
        if let Some(secret) = secret {
            scope.let_secrets.insert(index, secret);
        }
        scope.locals = locals;
        scope.conditions = conditions;
        let ty = match &l.ty {
            Some(declared) => {
                let expected = self.resolve_type(scope.module, declared);
                self.expect(&expected, &found, l.value.span, None);
                expected
            }
            None => found,
        };
        scope.lets.insert(index, Some(ty.clone()));
        ty
    }

    /// Checks a resource; returns its state class when its type is known,
    /// and, in the entry file, how many instances exist.
    fn check_resource(
        &mut self,
        scope: &mut Scope,
        r: &Resource,
        schema: Option<SchemaId>,
        fold: bool,
    ) -> (Option<StateClass>, Instances) {
        let mut instances = Instances {
            count: Count::One,
            existence: Existence::Always,
        };
        if let ResourceType::Raw(name) = &r.ty {
            self.raw_type(name);
        }
        if let Some(schema) = schema {
            self.resource_schemas.insert(r.name.span, schema);
        }
        let locals_before = scope.locals.len();
        if let Some(guard) = &r.for_guard {
            let (iterable, secret) = self.reading_secrets(|s| s.infer(scope, &guard.iterable));
            let element = self.element_type(&iterable, guard.iterable.span);
            // A list of the wrong type is already reported.
            if fold && !element.is_error() {
                instances.count = self.repetition(scope, guard);
            }
            bind(scope, &guard.binding, &iterable, element, secret);
        }
        let pushed_condition = match &r.if_guard {
            Some(condition) => {
                let t = self.infer(scope, condition);
                self.expect(&Ty::Bool, &t, condition.span, None);
                scope.conditions.push(canon(condition));
                if fold {
                    instances.existence = match self.fold(scope, condition) {
                        Some(Value::Bool(true)) => Existence::Always,
                        Some(Value::Bool(false)) => Existence::Never,
                        _ => Existence::Conditional,
                    };
                }
                true
            }
            None => false,
        };
        let properties = &r.body.properties;
        // The latest span of each key set so far; a short body is scanned
        // instead.
        let mut seen: Option<HashMap<&str, Span>> = (properties.len() > FEW_PROPERTIES)
            .then(|| HashMap::with_capacity_and_hasher(properties.len(), FxBuildHasher));
        // The schema, once its fields are resolved.
        let mut resolved: Option<Rc<Schema>> = None;
        for (index, property) in properties.iter().enumerate() {
            let key = property.key.name.as_str();
            let earlier = match &mut seen {
                Some(seen) => seen.insert(key, property.key.span),
                None => properties[..index]
                    .iter()
                    .rev()
                    .find(|p| p.key.name == key)
                    .map(|p| p.key.span),
            };
            if let Some(first) = earlier {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0205,
                        property.key.span,
                        format!("property `{key}` is set twice"),
                    )
                    .label("set again here")
                    .secondary(first, "first set here")
                    .help("remove one of them"),
                );
            }
            match key {
                "depends_on" => {
                    // Entries must be resources; the graph checks them.
                    continue;
                }
                "deletion" => {
                    self.check_deletion(property, schema);
                    continue;
                }
                _ => {}
            }
            let Some(schema) = schema else {
                let _ = self.infer(scope, &property.value);
                continue;
            };
            let fields = match &resolved {
                Some(fields) => fields,
                None => {
                    self.ensure_fields(schema);
                    resolved.insert(self.schemas[schema.0 as usize].clone())
                }
            };
            match fields.inputs.get(key) {
                Some(field) => {
                    let ((), secret) = self.reading_secrets(|s| {
                        s.check_value(scope, &property.value, &field.ty, Some((key, field)))
                    });
                    if let Some(secret) = secret {
                        self.secret_in_property(scope.module, schema, key, field, &secret);
                    }
                    self.check_constraints(scope, schema, key, &property.value);
                    self.check_address_blocks(scope, schema, key, &property.value);
                }
                None => {
                    let _ = self.infer(scope, &property.value);
                    self.unknown_property(schema, &property.key);
                }
            }
        }
        if let Some(schema) = schema {
            self.ensure_fields(schema);
            let fields = self.schemas[schema.0 as usize].clone();
            let is_set = |name: &str| match &seen {
                Some(seen) => seen.contains_key(name),
                None => properties.iter().any(|p| p.key.name == name),
            };
            let missing = fields
                .inputs
                .iter()
                .filter(|(name, field)| field.required && !is_set(name));
            for (name, field) in missing {
                let schema_name = self.schema_name(schema);
                let shown = self.show(&field.ty);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0202,
                        r.name.span,
                        format!("missing required property `{name}` of `{schema_name}`"),
                    )
                    .label(format!("`{name}` is not set"))
                    .secondary(
                        field.span,
                        format!("`{name}` is declared here, of type `{shown}`"),
                    )
                    .help(format!("set it: `{name} = ...`")),
                );
            }
        }
        if pushed_condition {
            scope.conditions.pop();
        }
        scope.locals.truncate(locals_before);
        (schema.map(|s| self.schemas[s.0 as usize].state), instances)
    }

    /// An output's options: `export`, a name (deploy-time parts allowed, as
    /// CloudFormation's `Export.Name`), and `sensitive`, which decides how
    /// the output is emitted and so must be known at compile time.
    fn check_output_options(&mut self, scope: &mut Scope, options: &Block) {
        const OPTIONS: &[&str] = &["export", "sensitive"];
        for p in &options.properties {
            let expected = match p.key.name.as_str() {
                "export" => Ty::String,
                "sensitive" => Ty::Bool,
                other => {
                    let _ = self.infer(scope, &p.value);
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0201,
                            p.key.span,
                            format!("unknown output option `{other}`"),
                        )
                        .label("not an option of an output")
                        .did_you_mean(other, OPTIONS.iter().copied())
                        .note("an output's options are `export` (a name other stacks import the value by) and `sensitive`"),
                    );
                    continue;
                }
            };
            let (found, secret) =
                self.reading_secrets(|s| s.check_expr(scope, &p.value, &expected));
            let found = found.unwrap_or_else(|| expected.clone());
            if p.key.name == "export"
                && let Some(secret) = secret
                && !self.modules[scope.module.0 as usize].stdlib
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0321,
                        secret.read,
                        "an export name cannot read a secret",
                    )
                    .label(secret.label())
                    .secondary(secret.origin, secret.why.clone())
                    .note("the export name is written into the template in plain text, and every stack that imports the output sees it")
                    .help("build the export name from values that are not secret"),
                );
            }
            self.expect(&expected, &found, p.value.span, None);
            if p.key.name == "sensitive"
                && found == Ty::Bool
                && !matches!(
                    eval::eval(&p.value, &|name| scope.consts.lookup(name), &mut Vec::new()),
                    Some(Value::Bool(_))
                )
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0308,
                        p.value.span,
                        "`sensitive` must be known at compile time",
                    )
                    .label("known only at deploy time")
                    .help("write `sensitive = true` or `false`, or give the params it reads with `--param`"),
                );
            }
        }
    }

    /// The compile-time value of an expression of the module's top level,
    /// if everything it reads is known at compile time.
    fn fold(&mut self, scope: &Scope, expr: &Expr) -> Option<Value> {
        let mut diagnostics = Vec::new();
        let value = eval::eval(expr, &|name| scope.consts.lookup(name), &mut diagnostics);
        self.diagnostics.extend(diagnostics);
        value
    }

    /// How many instances a `for` makes: unrolled when the list is known at
    /// compile time, the target's own count for a deploy-time range.
    fn repetition(&mut self, scope: &Scope, guard: &ForGuard) -> Count {
        match self.fold(scope, &guard.iterable) {
            Some(Value::List(items)) => Count::Fixed(items.len()),
            Some(Value::Object(fields)) => Count::Fixed(fields.len()),
            Some(_) => Count::One,
            None => match self.static_length(scope, &guard.iterable, 0) {
                Some(n) => Count::Fixed(n),
                None if matches!(guard.iterable.kind, ExprKind::Range(..)) => Count::Deploy,
                None => self.deploy_time_list(guard),
            },
        }
    }

    /// The length of a list whose elements may be known only at deploy time
    /// but whose shape is fixed: `[a, b]`, `[for x in xs: ...]` over such a
    /// list, a range with constant bounds, a let of one of these.
    fn static_length(&mut self, scope: &Scope, expr: &Expr, depth: usize) -> Option<usize> {
        if depth > 64 {
            return None;
        }
        match &expr.kind {
            ExprKind::List(items) => Some(items.len()),
            ExprKind::Paren(inner) => self.static_length(scope, inner, depth + 1),
            ExprKind::ListComp(comp) if comp.filter.is_none() => {
                self.static_length(scope, &comp.iterable, depth + 1)
            }
            ExprKind::Name(name) => {
                let value = scope.consts.lets.get(name.name.as_str()).copied()?;
                self.static_length(scope, value, depth + 1)
            }
            _ => match self.fold(scope, expr)? {
                Value::List(items) => Some(items.len()),
                Value::Object(fields) => Some(fields.len()),
                _ => None,
            },
        }
    }

    fn deploy_time_list(&mut self, guard: &ForGuard) -> Count {
        {
            {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0210,
                        guard.iterable.span,
                        "`for` over a list known only at deploy time",
                    )
                    .label("this list is not known at compile time")
                    .note("repetition over a list unrolls into distinct resources, so the compiler must know the list; only a count (`for i in 0..n`) may wait for deploy time")
                    .help("give the params this list depends on at compile time (`--param`), or repeat over a range `0..length`"),
                );
                Count::One
            }
        }
    }

    /// A constant given to a component's param must meet the param's
    /// constraints, as a compile-time value given to a program's param does.
    fn check_constraints(&mut self, scope: &Scope, schema: SchemaId, key: &str, value: &Expr) {
        let Some(constraints) = self.schemas[schema.0 as usize]
            .constraints
            .get(key)
            .cloned()
        else {
            return;
        };
        for (e, folded, param) in constants(scope, value) {
            self.report_violations(schema, key, &constraints, e.span, &folded, param);
        }
    }

    /// An IPv4 block known at compile time, in a property the clouds read
    /// as one, must be one they accept: cfn-lint, AWS and Neutron refuse an
    /// octet written with a leading zero and a block with host bits set.
    fn check_address_blocks(&mut self, scope: &Scope, schema: SchemaId, key: &str, value: &Expr) {
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

    fn report_violations(
        &mut self,
        schema: SchemaId,
        key: &str,
        constraints: &super::params::Constraints,
        span: Span,
        folded: &Value,
        default_of: Option<&str>,
    ) {
        let schema_name = self.schema_name(schema);
        for violation in constraints.violations(folded) {
            let (reason, label) = match default_of {
                Some(param) => (
                    format!("the default of `{param}`: {}", violation.reason),
                    format!(
                        "`{param}` breaks `{}` when deployed with its default",
                        violation.option
                    ),
                ),
                None => (
                    violation.reason.clone(),
                    format!("breaks `{}`", violation.option),
                ),
            };
            let mut diagnostic = Diagnostic::new(
                &codes::E0301,
                span,
                format!("`{key}` of `{schema_name}`: {reason}"),
            )
            .label(label)
            .secondary(violation.span, "the constraint");
            if let Some(message) = &constraints.message {
                diagnostic = diagnostic.note(message.clone());
            }
            if let Some(param) = default_of {
                diagnostic = diagnostic.help(format!(
                    "change the default of `{param}`, or give `{param}` the same constraint so a deployment cannot pass such a value"
                ));
            }
            self.diagnostics.push(diagnostic);
        }
    }

    fn raw_type(&mut self, name: &StringLit) {
        let text = name.as_plain().unwrap_or_default();
        if stdlib::native_target(&text).is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0104,
                    name.span,
                    format!("`{text}` is not a type name of any target"),
                )
                .label("unknown target vocabulary")
                .help("a native type name starts with `AWS::`, `OS::`, `aws_`, `openstack_` or `random_`"),
            );
            return;
        }
        let mut diagnostic = Diagnostic::new(
            &codes::W0202,
            name.span,
            format!("`{text}` is passed through unchecked"),
        )
        .label("properties of this resource are not checked");
        diagnostic = match self.native_schema(&text) {
            Some(_) => diagnostic.help(format!(
                "the stdlib knows this type: write `{text}` without quotes to have it checked"
            )),
            None => diagnostic.note("the stdlib has no schema for this type"),
        };
        self.diagnostics.push(diagnostic);
    }

    fn check_deletion(&mut self, property: &Property, schema: Option<SchemaId>) {
        const POLICIES: &[&str] = &["delete", "retain", "snapshot"];
        let value = match &property.value.kind {
            ExprKind::Str(s) => s.as_plain(),
            _ => None,
        };
        let Some(value) = value else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0209,
                    property.value.span,
                    "`deletion` must be written as a literal",
                )
                .label("not a literal string")
                .note("the policy is fixed at compile time: it becomes the template's own deletion policy")
                .help("write \"delete\", \"retain\" or \"snapshot\" here"),
            );
            return;
        };
        let Some(value) = Some(value).filter(|v| POLICIES.contains(&v.as_str())) else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0209,
                    property.value.span,
                    "`deletion` must be \"delete\", \"retain\" or \"snapshot\"",
                )
                .label("not a deletion policy")
                .note("the policy is fixed at compile time: it becomes the template's own deletion policy"),
            );
            return;
        };
        if value == "delete"
            && let Some(schema) = schema
        {
            let s = &self.schemas[schema.0 as usize];
            {
                if s.state == StateClass::Persistent {
                    let name = s.name.clone();
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::W0201,
                            property.value.span,
                            format!(
                                "`{name}` holds data that this policy deletes with the resource"
                            ),
                        )
                        .label("the data is lost when the resource is deleted or replaced")
                        .note(format!("`{name}` is persistent: by default it is retained"))
                        .help(
                            "remove `deletion` to keep the default protection, or use \"snapshot\"",
                        ),
                    );
                }
            }
        }
    }

    fn unknown_property(&mut self, schema: SchemaId, key: &Key) {
        let s = &self.schemas[schema.0 as usize];
        let mut diagnostic = Diagnostic::new(
            &codes::E0201,
            key.span,
            format!("`{}` has no property `{}`", s.name, key.name),
        )
        .label("unknown property")
        .secondary(s.span, format!("`{}` is declared here", s.name));
        let candidates = s
            .inputs
            .keys()
            .map(String::as_str)
            .chain(META_PROPERTIES.iter().copied());
        diagnostic = diagnostic.did_you_mean(&key.name, candidates);
        self.diagnostics.push(diagnostic);
    }

    /// Reports a type mismatch unless `found` fits `expected`.
    fn expect(&mut self, expected: &Ty, found: &Ty, span: Span, field: Option<(&str, &Field)>) {
        if accepts(expected, found) {
            return;
        }
        let (e, f) = (self.show(expected), self.show(found));
        let mut diagnostic =
            Diagnostic::new(&codes::E0203, span, format!("expected `{e}`, found `{f}`"))
                .label(format!("this is `{f}`"));
        if let Some((name, field)) = field {
            diagnostic = diagnostic.secondary(field.span, format!("`{name}` is declared as `{e}`"));
        }
        if let Ty::Resource(id) = found
            && expected.is_stringy()
        {
            self.ensure_fields(*id);
            let attributes: Vec<String> = self.schemas[id.0 as usize]
                .outputs
                .iter()
                .filter(|(_, f)| f.ty.is_stringy())
                .map(|(name, _)| format!("`.{name}`"))
                .collect();
            diagnostic = diagnostic.help(format!(
                "this is a resource; read one of its attributes: {}",
                attributes.join(", ")
            ));
        }
        self.diagnostics.push(diagnostic);
    }

    /// Checks a value against an expected type, reporting a mismatch where
    /// it is.
    fn check_value(
        &mut self,
        scope: &mut Scope,
        expr: &Expr,
        expected: &Ty,
        field: Option<(&str, &Field)>,
    ) {
        // Each branch of a conditional is checked against what is expected,
        // where it is: their join may hide a mistake in one of them.
        if let ExprKind::Conditional(c, a, b) = &expr.kind {
            self.branches(scope, c, a, b, |s, scope, branch| {
                s.check_value(scope, branch, expected, field)
            });
            return;
        }
        if let Some(found) = self.check_expr(scope, expr, expected) {
            self.expect(expected, &found, expr.span, field);
        }
    }

    /// Checks a value against an expected type, descending into list and
    /// object literals so a mistake is reported where it is; returns the
    /// type to compare with `expected`, or `None` when the value was checked
    /// here (a literal of the expected shape).
    fn check_expr(&mut self, scope: &mut Scope, expr: &Expr, expected: &Ty) -> Option<Ty> {
        match (&expr.kind, expected.non_optional()) {
            (ExprKind::List(items), Ty::List(element)) => {
                for item in items {
                    self.check_value(scope, item, element, None);
                }
                None
            }
            (ExprKind::Object(props), Ty::Object(fields)) => {
                // Which fields are set, by index.
                let mut seen = vec![false; fields.len()];
                for p in props {
                    match fields.get_full(&p.key.name) {
                        Some((index, _, (t, optional))) => {
                            seen[index] = true;
                            // A null in an optional field leaves it out.
                            if *optional {
                                self.check_value(scope, &p.value, &Ty::optional(t.clone()), None);
                            } else {
                                self.check_value(scope, &p.value, t, None);
                            }
                        }
                        None => {
                            let _ = self.infer(scope, &p.value);
                            let mut d = Diagnostic::new(
                                &codes::E0201,
                                p.key.span,
                                format!("unknown field `{}`", p.key.name),
                            )
                            .label(format!("not a field of `{}`", self.show(expected)));
                            d = d.did_you_mean(&p.key.name, fields.keys().map(String::as_str));
                            self.diagnostics.push(d);
                        }
                    }
                }
                for ((name, (_, optional)), seen) in fields.iter().zip(seen) {
                    if !optional && !seen {
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0202,
                                expr.span,
                                format!("missing required field `{name}`"),
                            )
                            .label(format!("`{name}` is not set"))
                            .help(format!("set it: `{name} = ...`")),
                        );
                    }
                }
                None
            }
            (ExprKind::Object(props), Ty::Map(value)) => {
                for p in props {
                    self.check_value(scope, &p.value, value, None);
                }
                None
            }
            // Any string fits: no need to build its literal type.
            (ExprKind::Str(s), Ty::String)
                if s.parts.iter().all(|p| matches!(p, StrPart::Text(_))) =>
            {
                None
            }
            _ => Some(self.infer(scope, expr)),
        }
    }

    fn element_type(&mut self, iterable: &Ty, span: Span) -> Ty {
        match iterable.non_optional() {
            Ty::List(t) => (**t).clone(),
            Ty::Map(t) => (**t).clone(),
            // An object literal is a map whose values are its fields'.
            Ty::Object(fields) => fields
                .values()
                .map(|(t, _)| t.clone())
                .reduce(Ty::join)
                .unwrap_or(Ty::Any),
            Ty::Any | Ty::Error => Ty::Any,
            other => {
                let shown = self.show(other);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0203,
                        span,
                        format!("cannot iterate over `{shown}`"),
                    )
                    .label("not a list, a range or a map"),
                );
                Ty::Error
            }
        }
    }

    // ---------------------------------------------------------- expressions

    fn infer(&mut self, scope: &mut Scope, expr: &Expr) -> Ty {
        match &expr.kind {
            ExprKind::Null => Ty::Null,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Number(_) => Ty::Number,
            ExprKind::Error => Ty::Error,
            ExprKind::Str(s) => {
                let mut plain = true;
                for part in &s.parts {
                    if let StrPart::Interp(e) = part {
                        plain = false;
                        let t = self.infer(scope, e);
                        if !t.is_scalar() {
                            let shown = self.show(&t);
                            self.diagnostics.push(
                                Diagnostic::new(
                                    &codes::E0203,
                                    e.span,
                                    format!("cannot interpolate a value of type `{shown}`"),
                                )
                                .label("not a string, number or bool")
                                .help(
                                    if matches!(t, Ty::Resource(_)) {
                                        "read one of the resource's attributes, such as `.id`"
                                    } else {
                                        "use `join(\",\", list)` for a list"
                                    },
                                ),
                            );
                        }
                    }
                }
                match s.parts.as_slice() {
                    _ if !plain => Ty::String,
                    [StrPart::Text(text)] => Ty::Literal(text.as_str().into()),
                    _ => Ty::Literal(s.as_plain().unwrap_or_default().into()),
                }
            }
            ExprKind::Name(name) => self.name_type(scope, name),
            ExprKind::List(items) => {
                let mut element: Option<Ty> = None;
                for item in items {
                    let t = self.infer(scope, item);
                    element = Some(match element {
                        None => t,
                        Some(e) => Ty::join(e, t),
                    });
                }
                Ty::list(element.unwrap_or(Ty::Any))
            }
            ExprKind::Object(props) => {
                let mut fields = Fields::default();
                for p in props {
                    let t = self.infer(scope, &p.value);
                    fields.insert(p.key.name.clone(), (t, false));
                }
                Ty::Object(fields.into())
            }
            ExprKind::Member(base, name) => {
                let base_ty = self.infer(scope, base);
                let ty = self.member_type(&base_ty, name, base.span);
                if !scope.non_null.is_empty() && scope.non_null.contains(&canon(expr)) {
                    return ty.non_optional().clone();
                }
                ty
            }
            ExprKind::Index(base, index) => {
                let base_ty = match &base.kind {
                    // Which instance of a repeated resource is read tells
                    // whether it exists.
                    ExprKind::Name(name) => self.name_type_at(scope, name, Some(index)),
                    _ => self.infer(scope, base),
                };
                let index_ty = self.infer(scope, index);
                match base_ty.non_optional() {
                    Ty::List(t) => {
                        self.expect(&Ty::Int, &index_ty, index.span, None);
                        (**t).clone()
                    }
                    Ty::Map(t) => {
                        self.expect(&Ty::String, &index_ty, index.span, None);
                        (**t).clone()
                    }
                    Ty::Object(fields) => match &index.kind {
                        ExprKind::Str(s) => match s.as_plain().and_then(|k| fields.get(&k)) {
                            Some((t, _)) => t.clone(),
                            None => Ty::Any,
                        },
                        _ => Ty::Any,
                    },
                    Ty::Any | Ty::Error => Ty::Any,
                    other => {
                        let shown = self.show(other);
                        self.diagnostics.push(
                            Diagnostic::new(
                                &codes::E0203,
                                base.span,
                                format!("cannot index a value of type `{shown}`"),
                            )
                            .label("not a list or a map"),
                        );
                        Ty::Error
                    }
                }
            }
            ExprKind::Call(callee, args) => self.call_type(scope, callee, args),
            ExprKind::Unary(op, operand) => {
                let t = self.infer(scope, operand);
                match op {
                    UnaryOp::Neg => {
                        self.operand(&t, operand.span, "-", Ty::is_numeric, "a number");
                        if t == Ty::Int { Ty::Int } else { Ty::Number }
                    }
                    UnaryOp::Not => {
                        self.operand(&t, operand.span, "!", Ty::is_bool, "a bool");
                        Ty::Bool
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let ta = self.infer(scope, a);
                let tb = self.infer(scope, b);
                self.binary_type(*op, (&ta, a.span), (&tb, b.span))
            }
            ExprKind::Conditional(c, a, b) => {
                let (ta, tb) =
                    self.branches(scope, c, a, b, |s, scope, branch| s.infer(scope, branch));
                Ty::join(ta, tb)
            }
            ExprKind::Range(a, b) => {
                for (e, t) in [(a, self.infer(scope, a)), (b, self.infer(scope, b))] {
                    self.expect(&Ty::Int, &t, e.span, None);
                }
                Ty::list(Ty::Int)
            }
            ExprKind::ListComp(comp) => {
                let body = self.comprehension(scope, comp, None);
                Ty::list(body.0)
            }
            ExprKind::ObjectComp(comp, value) => {
                let (key, value) = self.comprehension(scope, comp, Some(value));
                if !key.is_stringy() {
                    let shown = self.show(&key);
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            comp.body.span,
                            format!("expected `string`, found `{shown}`"),
                        )
                        .label("object keys are strings"),
                    );
                }
                Ty::map(value.unwrap_or(Ty::Any))
            }
            ExprKind::Paren(inner) => self.infer(scope, inner),
        }
    }

    /// Checks the condition of `c ? a : b`, then runs `branch` on `a` and
    /// on `b`, each in the scope it sees: its side of the condition known to
    /// hold, and what the condition tests against null (`x != null ? x : y`,
    /// `a.b != null ? a.b : y`) known not to be null in the branch where it
    /// is not.
    fn branches<T>(
        &mut self,
        scope: &mut Scope,
        c: &Expr,
        a: &Expr,
        b: &Expr,
        mut branch: impl FnMut(&mut Self, &mut Scope, &Expr) -> T,
    ) -> (T, T) {
        let tc = self.infer(scope, c);
        self.expect(&Ty::Bool, &tc, c.span, None);
        let condition = canon(c);
        let (narrow_then, narrow_else) = match null_test(c) {
            Some((tested, true)) => (Some(tested), None),
            Some((tested, false)) => (None, Some(tested)),
            None => (None, None),
        };
        let mut in_branch = |s: &mut Self, scope: &mut Scope, held: String, tested, e| {
            scope.conditions.push(held);
            let narrowed = s.narrow(scope, tested);
            let result = branch(s, scope, e);
            match narrowed {
                Some(Narrowed::Local) => drop(scope.locals.pop()),
                Some(Narrowed::Path) => drop(scope.non_null.pop()),
                None => {}
            }
            scope.conditions.pop();
            result
        };
        let then = in_branch(self, scope, condition.clone(), narrow_then, a);
        let otherwise = in_branch(self, scope, format!("!({condition})"), narrow_else, b);
        (then, otherwise)
    }

    /// Takes `tested` as not null from here: a name through a local of its
    /// type without the `?`, an attribute path through `non_null`. Says
    /// which, for the caller to undo.
    fn narrow(&mut self, scope: &mut Scope, tested: Option<&Expr>) -> Option<Narrowed> {
        let tested = tested?;
        match &tested.kind {
            ExprKind::Name(name) => {
                let (t, secret) = self.reading_secrets(|s| s.name_type_quiet(scope, name));
                scope
                    .locals
                    .push((name.name.clone(), t.non_optional().clone(), secret));
                Some(Narrowed::Local)
            }
            _ => {
                scope.non_null.push(canon(tested));
                Some(Narrowed::Path)
            }
        }
    }

    /// The type of a name without reporting anything about it.
    fn name_type_quiet(&mut self, scope: &mut Scope, name: &Ident) -> Ty {
        let before = self.diagnostics.len();
        let t = self.name_type(scope, name);
        self.diagnostics.truncate(before);
        t
    }

    fn comprehension(
        &mut self,
        scope: &mut Scope,
        comp: &Comprehension,
        value: Option<&Expr>,
    ) -> (Ty, Option<Ty>) {
        // A comprehension over a secret is secret, whatever its body reads.
        let (iterable, secret) = self.reading_secrets(|s| s.infer(scope, &comp.iterable));
        if let Some(secret) = &secret {
            self.note_secret(secret.clone());
        }
        let before = scope.locals.len();
        let element = self.element_type(&iterable, comp.iterable.span);
        bind(scope, &comp.binding, &iterable, element, secret);
        if let Some(filter) = &comp.filter {
            let t = self.infer(scope, filter);
            self.expect(&Ty::Bool, &t, filter.span, None);
        }
        let body = self.infer(scope, &comp.body);
        let value = value.map(|v| self.infer(scope, v));
        scope.locals.truncate(before);
        (body, value)
    }

    fn operand(&mut self, t: &Ty, span: Span, op: &str, ok: fn(&Ty) -> bool, wanted: &str) -> bool {
        if ok(t) {
            return true;
        }
        let shown = self.show(t);
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0203,
                span,
                format!("`{op}` needs {wanted}, found `{shown}`"),
            )
            .label(format!("this is `{shown}`")),
        );
        false
    }

    fn binary_type(&mut self, op: BinaryOp, a: (&Ty, Span), b: (&Ty, Span)) -> Ty {
        let sym = op.symbol();
        match op {
            BinaryOp::Or | BinaryOp::And => {
                self.operand(a.0, a.1, sym, Ty::is_bool, "a bool");
                self.operand(b.0, b.1, sym, Ty::is_bool, "a bool");
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if !accepts(a.0, b.0) && !accepts(b.0, a.0) {
                    let (ta, tb) = (self.show(a.0), self.show(b.0));
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            a.1.to(b.1),
                            format!("`{sym}` compares `{ta}` with `{tb}`"),
                        )
                        .label("these can never be equal")
                        .note("values of different types are never equal"),
                    );
                }
                Ty::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.operand(a.0, a.1, sym, Ty::is_numeric, "a number");
                self.operand(b.0, b.1, sym, Ty::is_numeric, "a number");
                Ty::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                if op == BinaryOp::Add
                    && (a.0.is_stringy() || b.0.is_stringy())
                    && !matches!(a.0, Ty::Any | Ty::Error)
                    && !matches!(b.0, Ty::Any | Ty::Error)
                {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::E0203,
                            a.1.to(b.1),
                            "`+` adds numbers, not strings",
                        )
                        .label("a string operand")
                        .help("join strings with interpolation: \"${a}${b}\""),
                    );
                    return Ty::Error;
                }
                let ok_a = self.operand(a.0, a.1, sym, Ty::is_numeric, "a number");
                let ok_b = self.operand(b.0, b.1, sym, Ty::is_numeric, "a number");
                match (a.0, b.0) {
                    (Ty::Int, Ty::Int) => Ty::Int,
                    _ if ok_a && ok_b => Ty::Number,
                    _ => Ty::Error,
                }
            }
        }
    }

    fn name_type(&mut self, scope: &mut Scope, name: &Ident) -> Ty {
        self.name_type_at(scope, name, None)
    }

    /// The type of a name; `index`, when the name is indexed (`a[0]`): which
    /// instance of a repeated resource is read.
    fn name_type_at(&mut self, scope: &mut Scope, name: &Ident, index: Option<&Expr>) -> Ty {
        if let Some((_, t, secret)) = scope.locals.iter().rev().find(|(n, ..)| *n == name.name) {
            if let Some(secret) = secret {
                self.note_secret(secret.through(&name.name, name.span));
            }
            return t.clone();
        }
        match scope.entries.get(name.name.as_str()) {
            Some(Entry::Param(t, secret)) => {
                if let Some(origin) = *secret {
                    self.note_secret(Rc::new(Secret {
                        read: name.span,
                        name: name.name.clone(),
                        source: name.name.clone(),
                        origin,
                        why: format!("`{}` is declared secret here", name.name),
                    }));
                }
                t.clone()
            }
            Some(Entry::Let(index)) => {
                let index = *index;
                let t = self.let_type(scope, index);
                if let Some(secret) = scope.let_secrets.get(&index) {
                    self.note_secret(secret.through(&name.name, name.span));
                }
                t
            }
            Some(Entry::Resource {
                ty,
                condition,
                item,
            }) => {
                let ty = ty.clone();
                if let Some((condition, guard_span)) = condition.as_deref()
                    && !scope.conditions.contains(condition)
                {
                    let (item, guard_span) = (*item, *guard_span);
                    self.may_not_exist(scope, name, index, item, guard_span);
                }
                ty
            }
            Some(Entry::Import) => self.not_a_value(name, "an import", "an import names a file: use its components and type aliases as types, as in `web.WebTier`"),
            None if NAMESPACES.contains(&name.name.as_str()) => self.not_a_value(
                name,
                "a namespace of portable types",
                "use its types in a resource, as in `resource net: network.Network { ... }`, and read the resource's attributes",
            ),
            None if scope.items.iter().any(|i| matches!(&i.kind, ItemKind::Component(c) if c.name.name == name.name)) => self.not_a_value(
                name,
                "a component",
                "declare a resource of this component and read its outputs, as in `resource r: NAME { ... }` then `r.OUTPUT`",
            ),
            // Unknown names are reported by the resolver.
            None => Ty::Error,
        }
    }

    /// Reports a conditional resource used where its `if` is not known to
    /// hold (E0208), unless one instance of a repeated resource is read at a
    /// constant index under the condition that instance exists by: for `a`
    /// declared `for i in 0..3 if i < n`, `0 < n ? a[0].url : null`. The
    /// help names only what is in scope where `a` is used: an `if` reading
    /// the loop variables is shown with them replaced by what they are for
    /// one instance, or not shown at all.
    fn may_not_exist(
        &mut self,
        scope: &Scope,
        name: &Ident,
        index: Option<&Expr>,
        item: usize,
        guard_span: Span,
    ) {
        let ItemKind::Resource(r) = &scope.items[item].kind else {
            return;
        };
        let Some(guard) = &r.if_guard else {
            return;
        };
        let constant = index.and_then(|e| constant_index(scope, e));
        let bound: Vec<&str> = r
            .for_guard
            .iter()
            .flat_map(|f| std::iter::once(&f.binding.first).chain(&f.binding.second))
            .map(|b| b.name.as_str())
            .collect();
        let mut names = Vec::new();
        names_in(guard, &mut names);
        let reads_binding = names.iter().any(|n| bound.contains(&n.name.as_str()));
        // The condition as it reads here for instance `k`; `None` when the
        // names it reads mean something else here, or a loop variable cannot
        // be written without the loop.
        let shadowed = names
            .iter()
            .any(|n| !bound.contains(&n.name.as_str()) && scope.is_local(&n.name));
        let instance = |k: i64| {
            let guard_for = r.for_guard.as_ref()?;
            let substitutions = instance_bindings(scope, guard_for, k)?;
            let hidden = substitutions
                .iter()
                .flat_map(|(_, e, _)| {
                    let mut inner = Vec::new();
                    names_in(e, &mut inner);
                    inner
                })
                .any(|n| scope.is_local(&n.name));
            (!shadowed && !hidden).then_some(substitutions)
        };
        if reads_binding
            && let Some(k) = constant
            && let Some(substitutions) = instance(k)
            && scope
                .conditions
                .contains(&canon(&substitute(guard, &substitutions)))
        {
            return;
        }
        let written = self.source_text(guard_span);
        let help = if !reads_binding {
            let read = match (index, &r.for_guard) {
                (Some(e), _) => format!("{}[{}]", name.name, self.source_text(e.span)),
                (None, Some(_)) => format!("{}[0]", name.name),
                (None, None) => name.name.clone(),
            };
            format!(
                "use it under the same condition, as in `{written} ? {read}.ATTRIBUTE : null`, or give this declaration the same `if`"
            )
        } else {
            let variable = bound
                .iter()
                .find(|b| names.iter().any(|n| n.name == **b))
                .copied()
                .unwrap_or_default();
            let k = constant.unwrap_or(0);
            match instance(k) {
                Some(substitutions) if constant.is_some() => {
                    let condition = splice(&written, guard_span, guard, &substitutions);
                    format!(
                        "instance {k} of `{0}` exists only when `{condition}`: read it under that condition, as in `{condition} ? {0}[{k}].ATTRIBUTE : null`",
                        name.name
                    )
                }
                Some(substitutions) => {
                    let condition = splice(&written, guard_span, guard, &substitutions);
                    format!(
                        "whether an instance of `{0}` exists depends on `{variable}`, its loop variable: read one instance at a constant index under its own condition, as in `{condition} ? {0}[{k}].ATTRIBUTE : null`, or use `{0}` in a resource with the same `for` and `if`",
                        name.name
                    )
                }
                None => format!(
                    "whether an instance of `{0}` exists depends on `{variable}`, its loop variable, which is not in scope here: use `{0}` in a resource with the same `for` and `if`",
                    name.name
                ),
            }
        };
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0208,
                name.span,
                format!("`{}` may not exist here", name.name),
            )
            .label(format!("`{}` exists only under a condition", name.name))
            .secondary(guard_span, "it exists only when this is true")
            .help(help),
        );
    }

    /// Runs `f`; returns its result and the first secret that the
    /// expressions it infers read. What the enclosing expression reads is
    /// kept as it was: a caller that propagates the secret notes it again.
    fn reading_secrets<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> (T, Option<Rc<Secret>>) {
        let outer = self.secret.take();
        let result = f(self);
        let found = std::mem::replace(&mut self.secret, outer);
        (result, found)
    }

    /// Records that the expression being inferred reads `secret`.
    fn note_secret(&mut self, secret: Rc<Secret>) {
        if self.secret.is_none() {
            self.secret = Some(secret);
        }
    }

    /// A secret given to the property `key` of a resource of type `schema`:
    /// refused unless the property is a secret param. Native schemas are
    /// left out: the generated schemas do not say which of their properties
    /// hide their values, and guessing by name would be wrong both ways. In
    /// the stdlib, its components decide where their secret params go.
    fn secret_in_property(
        &mut self,
        module: ModuleId,
        schema: SchemaId,
        key: &str,
        field: &Field,
        secret: &Secret,
    ) {
        if field.secret || self.modules[module.0 as usize].stdlib {
            return;
        }
        let s = &self.schemas[schema.0 as usize];
        let SchemaKind::Component {
            module: declared, ..
        } = s.kind
        else {
            return;
        };
        let type_name = s.name.clone();
        let secret_params: Vec<String> = s
            .inputs
            .iter()
            .filter(|(_, f)| f.secret)
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        let own = !self.modules[declared.0 as usize].stdlib;
        let mut diagnostic = Diagnostic::new(
            &codes::E0321,
            secret.read,
            format!("`{key}` of `{type_name}` is not secret, but is given a secret value"),
        )
        .label(secret.label())
        .secondary(secret.origin, secret.why.clone());
        if key == "user_data" && !own {
            self.diagnostics.push(
                diagnostic
                    .note("user data is kept in plain text: anyone who can describe the server can read it")
                    .help("have the server fetch the secret at boot from the secret store (AWS Secrets Manager, OpenStack Barbican) instead of passing it in its user data"),
            );
            return;
        }
        diagnostic = diagnostic.note(format!(
            "only a param declared `secret = true` keeps its value hidden: `{key}` may be written into the template, shown in consoles or read back in plain text"
        ));
        diagnostic = match (own, secret_params.is_empty()) {
            (true, _) => diagnostic.help(format!(
                "pass the secret to a param declared `secret = true`, or declare `{key}` of `{type_name}` `secret = true`"
            )),
            (false, false) => diagnostic.help(format!(
                "pass the secret to a param declared `secret = true`: `{type_name}` has {}",
                secret_params.join(", ")
            )),
            (false, true) => diagnostic.help(
                "pass the secret only to params declared `secret = true`, such as `password` of `database.Instance`",
            ),
        };
        self.diagnostics.push(diagnostic);
    }

    /// An output of a component that reads a secret must be declared
    /// `sensitive = true`, so that reading it outside is known to read a
    /// secret.
    fn secret_in_component_output(
        &mut self,
        scope: &Scope,
        output: &Output,
        declared_sensitive: &[String],
        secret: &Secret,
    ) {
        if self.modules[scope.module.0 as usize].stdlib
            || declared_sensitive.contains(&output.name.name)
            || marked_at(output.options.as_ref(), "sensitive", &|n| {
                scope.consts.lookup(n)
            })
            .is_some()
        {
            return;
        }
        let name = &output.name.name;
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0321,
                secret.read,
                format!("output `{name}` reads a secret, but is not declared sensitive"),
            )
            .label(secret.label())
            .secondary(secret.origin, secret.why.clone())
            .secondary(output.name.span, "not declared `sensitive = true`")
            .note("whoever reads an output of a component keeps it secret only when it is declared sensitive")
            .help(format!(
                "declare the output sensitive: `output {name}: TYPE {{ sensitive = true }}`"
            )),
        );
    }

    /// A name that is declared, but not as a value: reported, typed as an
    /// error so that nothing more is said of it.
    fn not_a_value(&mut self, name: &Ident, what: &str, help: &str) -> Ty {
        self.diagnostics.push(
            Diagnostic::new(
                &codes::E0108,
                name.span,
                format!("`{}` is {what}, not a value", name.name),
            )
            .label(format!("{what}, used as a value"))
            .help(help.to_string()),
        );
        Ty::Error
    }

    fn member_type(&mut self, base: &Ty, name: &Ident, base_span: Span) -> Ty {
        match base.non_optional() {
            Ty::Resource(id) => {
                self.ensure_fields(*id);
                let schema = &self.schemas[id.0 as usize];
                if let Some(field) = schema.outputs.get(&name.name) {
                    let ty = field.ty.clone();
                    if field.secret {
                        let origin = field.span;
                        let why = format!(
                            "`{}` of `{}` is declared sensitive here",
                            name.name, schema.name
                        );
                        let read = base_span.to(name.span);
                        let shown = self.source_text(read);
                        self.note_secret(Rc::new(Secret {
                            read,
                            name: shown.clone(),
                            source: shown,
                            origin,
                            why,
                        }));
                    }
                    return ty;
                }
                let prefix = format!("{}.", name.name);
                let nested: Fields = schema
                    .outputs
                    .iter()
                    .filter_map(|(key, field)| {
                        let rest = key.strip_prefix(&prefix)?;
                        Some((rest.to_string(), (field.ty.clone(), false)))
                    })
                    .collect();
                // `Endpoint.Address` is one attribute, read as a path.
                if !nested.is_empty() {
                    return Ty::Object(nested.into());
                }
                let mut d = Diagnostic::new(
                    &codes::E0204,
                    name.span,
                    format!("`{}` has no attribute `{}`", schema.name, name.name),
                )
                .label("unknown attribute")
                .secondary(schema.span, format!("`{}` is declared here", schema.name));
                if let Some(near) =
                    suggest::best_match(&name.name, schema.outputs.keys().map(String::as_str))
                {
                    d = d.help(format!("did you mean `{near}`?"));
                } else if schema.inputs.contains_key(&name.name) {
                    d = d.note(format!(
                        "`{}` is a property: what a resource is given cannot be read back from it",
                        name.name
                    ));
                }
                self.diagnostics.push(d);
                Ty::Error
            }
            Ty::Object(fields) => match fields.get(&name.name) {
                Some((t, optional)) => {
                    if *optional {
                        Ty::optional(t.clone())
                    } else {
                        t.clone()
                    }
                }
                None => {
                    let mut d = Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("no field `{}` in this object", name.name),
                    )
                    .label("unknown field");
                    d = d.did_you_mean(&name.name, fields.keys().map(String::as_str));
                    self.diagnostics.push(d);
                    Ty::Error
                }
            },
            Ty::Map(t) => (**t).clone(),
            Ty::List(inner) if matches!(**inner, Ty::Resource(_)) => {
                let shown = self.show(base);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("`{shown}` is a list: it has no attribute `{}`", name.name),
                    )
                    .label("read from one element")
                    .secondary(base_span, "a resource with `for` is a list")
                    .help(format!(
                        "index it (`[0].{0}`) or collect every element: `[for x in ...: x.{0}]`",
                        name.name
                    )),
                );
                Ty::Error
            }
            Ty::Any | Ty::Error => Ty::Any,
            other => {
                let shown = self.show(other);
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::E0204,
                        name.span,
                        format!("a value of type `{shown}` has no attribute `{}`", name.name),
                    )
                    .label("no attributes"),
                );
                Ty::Error
            }
        }
    }

    fn call_type(&mut self, scope: &mut Scope, callee: &Expr, args: &[Expr]) -> Ty {
        let arg_types: Vec<Ty> = args.iter().map(|a| self.infer(scope, a)).collect();
        let ExprKind::Name(name) = &callee.kind else {
            let reported = self.diagnostics.len();
            if self.infer(scope, callee) != Ty::Error && self.diagnostics.len() == reported {
                self.diagnostics.push(
                    Diagnostic::new(&codes::E0206, callee.span, "only built-in functions can be called")
                        .label("not a function")
                        .help("call a built-in function by its name, as in `length(xs)` or `cidrsubnet(block, 8, 1)`"),
                );
            }
            return Ty::Error;
        };
        let Some(&(_, min, max)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name.name) else {
            let mut d = Diagnostic::new(
                &codes::E0206,
                name.span,
                format!("unknown function `{}`", name.name),
            )
            .label("not a built-in function");
            d = d.did_you_mean(&name.name, FUNCTIONS.iter().map(|(n, _, _)| *n));
            self.diagnostics.push(d);
            return Ty::Error;
        };
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::E0207,
                    callee.span,
                    format!(
                        "`{}` takes {wanted} argument{}, given {}",
                        name.name,
                        if wanted == "1" { "" } else { "s" },
                        args.len()
                    ),
                )
                .label("wrong number of arguments"),
            );
            return Ty::Error;
        }
        // The arguments whose type does not depend on the others.
        let expected: &[Ty] = match name.name.as_str() {
            "join" => &[Ty::String],
            "split" | "replace" => &[Ty::String, Ty::String, Ty::String],
            "lower" | "upper" | "base64" | "file" => &[Ty::String],
            "cidrsubnet" => &[Ty::String, Ty::Int, Ty::Int],
            "element" => &[Ty::Any, Ty::Int],
            "lookup" => &[Ty::Any, Ty::String],
            _ => &[],
        };
        for ((arg, found), wanted) in args.iter().zip(&arg_types).zip(expected) {
            if *wanted != Ty::Any {
                self.expect(wanted, found, arg.span, None);
            }
        }
        let first = arg_types.first().cloned().unwrap_or(Ty::Any);
        let element = |t: &Ty| match t.non_optional() {
            Ty::List(e) | Ty::Map(e) => (**e).clone(),
            _ => Ty::Any,
        };
        match name.name.as_str() {
            "length" => Ty::Int,
            "region" | "stack_name" | "account_id" | "object_store_url" => Ty::String,
            "availability_zones" => Ty::list(Ty::String),
            "join" | "lower" | "upper" | "replace" | "base64" | "cidrsubnet" | "file" | "trim"
            | "format" => Ty::String,
            "split" | "keys" => Ty::list(Ty::String),
            "contains" => Ty::Bool,
            "values" => Ty::list(element(&first)),
            "concat" => arg_types
                .into_iter()
                .reduce(Ty::join)
                .unwrap_or(Ty::list(Ty::Any)),
            "element" => element(&first),
            "lookup" => element(&first),
            "min" | "max" => {
                if arg_types.iter().all(|t| *t == Ty::Int) {
                    Ty::Int
                } else {
                    Ty::Number
                }
            }
            _ => Ty::Any,
        }
    }
}

/// Writes [`TypePath::text`] into `text`, replacing what it held.
fn write_path_text(path: &TypePath, text: &mut String) {
    let separator = match path.separator {
        PathSeparator::Dot => ".",
        PathSeparator::Colons => "::",
    };
    text.clear();
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            text.push_str(separator);
        }
        text.push_str(&segment.name);
    }
}

/// Is a type written `T?`? (`any?` resolves to `any`, but is still optional.)
fn written_optional(ty: &TypeExpr) -> bool {
    match &ty.kind {
        TypeKind::Optional(_) => true,
        TypeKind::Paren(inner) => written_optional(inner),
        _ => false,
    }
}

/// Is `key = true` among `options` (folded as param options are, with no
/// names known)?
fn marked(options: Option<&Block>, key: &str) -> bool {
    marked_at(options, key, &|_| None).is_some()
}

/// Where `key = true` is written among `options`, if it is; names are
/// folded through `lookup`.
fn marked_at(
    options: Option<&Block>,
    key: &str,
    lookup: &dyn Fn(&str) -> Option<Value>,
) -> Option<Span> {
    options?
        .properties
        .iter()
        .filter(|p| p.key.name == key)
        .find(|p| eval::eval(&p.value, lookup, &mut Vec::new()) == Some(Value::Bool(true)))
        .map(|p| p.key.span.to(p.value.span))
}

/// The names of a component's outputs declared `sensitive = true`.
fn sensitive_outputs(component: &Component) -> Vec<String> {
    component
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Output(o) if marked(o.options.as_ref(), "sensitive") => {
                Some(o.name.name.clone())
            }
            _ => None,
        })
        .collect()
}

/// Every name an expression reads, comprehensions' included; a bare callee
/// names a function and is left out.
fn names_in<'e>(expr: &'e Expr, out: &mut Vec<&'e Ident>) {
    match &expr.kind {
        ExprKind::Name(name) => out.push(name),
        ExprKind::ListComp(comp) => names_in_comprehension(comp, None, out),
        ExprKind::ObjectComp(comp, value) => names_in_comprehension(comp, Some(value), out),
        _ => expr.for_each_operand(|e| names_in(e, out)),
    }
}

fn names_in_comprehension<'e>(
    comp: &'e Comprehension,
    value: Option<&'e Expr>,
    out: &mut Vec<&'e Ident>,
) {
    names_in(&comp.iterable, out);
    for e in comp.filter.iter().chain([&comp.body]).chain(value) {
        names_in(e, out);
    }
}

/// A constant index, when nothing it reads is a local: `a[0]`, `a[last]`.
fn constant_index(scope: &Scope, index: &Expr) -> Option<i64> {
    let mut names = Vec::new();
    names_in(index, &mut names);
    if names.iter().any(|n| scope.is_local(&n.name)) {
        return None;
    }
    match eval::eval(index, &|n| scope.consts.lookup(n), &mut Vec::new())? {
        Value::Int(k) if k >= 0 => Some(k),
        _ => None,
    }
}

/// What the loop variables of `guard` are for instance `k`, as
/// expressions of the module's scope, with their text: for `i in a..b`,
/// `a + k` when `a` is a constant; for `x in xs`, a list named at the top
/// level, `xs[k]`. `None` for anything else.
fn instance_bindings(
    scope: &Scope,
    guard: &ForGuard,
    k: i64,
) -> Option<Vec<(String, Expr, String)>> {
    let literal = |n: i64| {
        let expr = Expr {
            kind: ExprKind::Int(n),
            span: Span::default(),
        };
        (expr, n.to_string())
    };
    let (index, element) = match &guard.iterable.kind {
        ExprKind::Range(start, _) => {
            let Value::Int(start) =
                eval::eval(start, &|n| scope.consts.lookup(n), &mut Vec::new())?
            else {
                return None;
            };
            (literal(k), literal(start.checked_add(k)?))
        }
        ExprKind::Name(list) if is_list(scope, &list.name) => {
            let expr = Expr {
                kind: ExprKind::Index(Box::new(guard.iterable.clone()), Box::new(literal(k).0)),
                span: Span::default(),
            };
            (literal(k), (expr, format!("{}[{k}]", list.name)))
        }
        _ => return None,
    };
    let binding = &guard.binding;
    Some(match &binding.second {
        Some(second) => vec![
            (binding.first.name.clone(), index.0, index.1),
            (second.name.clone(), element.0, element.1),
        ],
        None => vec![(binding.first.name.clone(), element.0, element.1)],
    })
}

/// Is `name`, of the module's top level, a list (by its declared type, or
/// its value when known at compile time)?
fn is_list(scope: &Scope, name: &str) -> bool {
    let typed = match scope.entries.get(name) {
        Some(Entry::Param(t, _)) => Some(t),
        Some(Entry::Let(index)) => scope.lets.get(index).and_then(Option::as_ref),
        _ => None,
    };
    match typed.map(Ty::non_optional) {
        Some(Ty::List(_)) => true,
        Some(Ty::Any) | None => matches!(scope.consts.lookup(name), Some(Value::List(_))),
        Some(_) => false,
    }
}

/// `expr` with the names of `substitutions` replaced by their expressions.
fn substitute(expr: &Expr, substitutions: &[(String, Expr, String)]) -> Expr {
    let mut expr = expr.clone();
    replace_names(&mut expr, substitutions);
    expr
}

fn replace_names(expr: &mut Expr, substitutions: &[(String, Expr, String)]) {
    let mut each = |e: &mut Expr| replace_names(e, substitutions);
    match &mut expr.kind {
        ExprKind::Name(name) => {
            if let Some((_, replacement, _)) = substitutions.iter().find(|(n, ..)| *n == name.name)
            {
                *expr = replacement.clone();
            }
        }
        ExprKind::Str(s) => {
            for part in &mut s.parts {
                if let StrPart::Interp(e) = part {
                    each(e);
                }
            }
        }
        ExprKind::List(items) => items.iter_mut().for_each(each),
        ExprKind::Object(props) => props.iter_mut().for_each(|p| each(&mut p.value)),
        ExprKind::Member(base, _) => each(base),
        ExprKind::Call(callee, args) => {
            if !matches!(callee.kind, ExprKind::Name(_)) {
                each(callee);
            }
            args.iter_mut().for_each(each);
        }
        ExprKind::Unary(_, e) | ExprKind::Paren(e) => each(e),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Range(a, b) => {
            each(a);
            each(b);
        }
        ExprKind::Conditional(c, a, b) => {
            each(c);
            each(a);
            each(b);
        }
        ExprKind::ListComp(comp) => {
            each(&mut comp.iterable);
            comp.filter.iter_mut().for_each(&mut each);
            each(&mut comp.body);
        }
        ExprKind::ObjectComp(comp, value) => {
            each(&mut comp.iterable);
            comp.filter.iter_mut().for_each(&mut each);
            each(&mut comp.body);
            each(value);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Number(_)
        | ExprKind::Error => {}
    }
}

/// The text of `guard`, written at `span` as `written`, with the names of
/// `substitutions` replaced by their text.
fn splice(
    written: &str,
    span: Span,
    guard: &Expr,
    substitutions: &[(String, Expr, String)],
) -> String {
    let mut names = Vec::new();
    names_in(guard, &mut names);
    names.sort_by_key(|n| std::cmp::Reverse(n.span.range().start));
    let mut text = written.to_string();
    let base = span.range().start;
    for name in names {
        let Some((_, _, replacement)) = substitutions.iter().find(|(n, ..)| *n == name.name) else {
            continue;
        };
        let range = name.span.range();
        if let (Some(start), Some(end)) =
            (range.start.checked_sub(base), range.end.checked_sub(base))
            && name.span.file == span.file
            && text.is_char_boundary(start)
            && end <= text.len()
            && text.is_char_boundary(end)
        {
            text.replace_range(start..end, replacement);
        }
    }
    text
}

/// `x != null` gives `(x, true)`, `x == null` gives `(x, false)`: the name,
/// and whether the condition being true means it is not null.
fn null_test(condition: &Expr) -> Option<(&Expr, bool)> {
    let ExprKind::Binary(op @ (BinaryOp::Ne | BinaryOp::Eq), a, b) = &condition.kind else {
        return None;
    };
    let tested = match (&a.kind, &b.kind) {
        (ExprKind::Null, _) => b,
        (_, ExprKind::Null) => a,
        _ => return None,
    };
    matches!(tested.kind, ExprKind::Name(_) | ExprKind::Member(..))
        .then_some((&**tested, *op == BinaryOp::Ne))
}

/// Where [`Checker::narrow`] recorded that a value is not null.
#[derive(Clone, Copy)]
enum Narrowed {
    Local,
    Path,
}

/// Compile-time values of a module's names: params given at compile time,
/// and lets whose values fold, evaluated on demand.
struct ConstEnv<'a> {
    lets: HashMap<&'a str, &'a Expr>,
    params: IndexMap<String, Value>,
    /// Defaults of the params not given: not constants, but what a
    /// deployment that gives no value gets.
    defaults: IndexMap<String, Value>,
    /// `None` while a let is being evaluated, so a cycle folds to nothing.
    cache: RefCell<HashMap<String, Option<Value>>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl ConstEnv<'_> {
    fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.params.get(name) {
            return Some(value.clone());
        }
        if let Some(cached) = self.cache.borrow().get(name) {
            return cached.clone();
        }
        let expr = self.lets.get(name)?;
        self.cache.borrow_mut().insert(name.to_string(), None);
        let mut diagnostics = Vec::new();
        let value = eval::eval(expr, &|n| self.lookup(n), &mut diagnostics);
        self.diagnostics.borrow_mut().extend(diagnostics);
        self.cache
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        value
    }
}

/// Built-in functions: name, fewest and most arguments.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("account_id", 0, 0),
    ("availability_zones", 0, 0),
    ("base64", 1, 1),
    ("cidrsubnet", 3, 3),
    ("concat", 1, usize::MAX),
    ("contains", 2, 2),
    ("element", 2, 2),
    ("file", 1, 1),
    ("join", 2, 2),
    ("keys", 1, 1),
    ("length", 1, 1),
    ("lookup", 2, 3),
    ("lower", 1, 1),
    ("max", 1, usize::MAX),
    ("min", 1, usize::MAX),
    ("object_store_url", 0, 0),
    ("region", 0, 0),
    ("replace", 3, 3),
    ("split", 2, 2),
    ("stack_name", 0, 0),
    ("upper", 1, 1),
    ("values", 1, 1),
];

/// Declares the names of a `for` over `iterable`: one name is the element
/// (a map's value); with two, the first is a list's index or a map's key.
/// Over a secret, both names are secret.
fn bind(
    scope: &mut Scope,
    binding: &Binding,
    iterable: &Ty,
    element: Ty,
    secret: Option<Rc<Secret>>,
) {
    match &binding.second {
        Some(second) => {
            let position = match iterable.non_optional() {
                Ty::Map(_) | Ty::Object(_) => Ty::String,
                Ty::Any => Ty::Any,
                Ty::Error => Ty::Error,
                _ => Ty::Int,
            };
            scope
                .locals
                .push((binding.first.name.clone(), position, secret.clone()));
            scope.locals.push((second.name.clone(), element, secret));
        }
        None => scope
            .locals
            .push((binding.first.name.clone(), element, secret)),
    }
}

fn builtin_type(name: &str) -> Option<Ty> {
    Some(match name {
        "string" => Ty::String,
        "int" => Ty::Int,
        "number" => Ty::Number,
        "bool" => Ty::Bool,
        "any" => Ty::Any,
        _ => return None,
    })
}

/// The type a param without a declared type gets from its default.
fn literal_type(expr: &Expr) -> Ty {
    match &expr.kind {
        ExprKind::Str(_) => Ty::String,
        ExprKind::Int(_) => Ty::Int,
        ExprKind::Number(_) => Ty::Number,
        ExprKind::Bool(_) => Ty::Bool,
        ExprKind::List(items) => Ty::list(items.first().map_or(Ty::Any, literal_type)),
        _ => Ty::Any,
    }
}

/// Native type names near `name`, by the stdlib's file names, for
/// did-you-mean. File names are lowercase; the suggestion is read from the
/// file to get the name's own spelling.
fn native_candidates(name: &str) -> Vec<String> {
    let Some(target) = stdlib::native_target(name) else {
        return Vec::new();
    };
    let prefix = format!("native/{target}/");
    stdlib::files()
        .iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .filter_map(|(_, text)| {
            let start = text.find("native \"")? + "native \"".len();
            let end = text[start..].find('"')? + start;
            Some(text[start..end].to_string())
        })
        .collect()
}

/// An expression printed without spans, to compare conditions.
pub fn canon(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Number(n) => n.clone(),
        ExprKind::Str(s) => {
            let parts: Vec<String> = s
                .parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => format!("{t:?}"),
                    StrPart::Interp(e) => format!("${{{}}}", canon(e)),
                })
                .collect();
            format!("\"{}\"", parts.join(""))
        }
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::List(items) => {
            format!(
                "[{}]",
                items.iter().map(canon).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Object(props) => format!(
            "{{{}}}",
            props
                .iter()
                .map(|p| format!("{} = {}", p.key.name, canon(&p.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Member(b, n) => format!("{}.{}", canon(b), n.name),
        ExprKind::Index(b, i) => format!("{}[{}]", canon(b), canon(i)),
        ExprKind::Call(c, args) => format!(
            "{}({})",
            canon(c),
            args.iter().map(canon).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Unary(UnaryOp::Neg, e) => format!("-({})", canon(e)),
        ExprKind::Unary(UnaryOp::Not, e) => format!("!({})", canon(e)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", canon(a), op.symbol(), canon(b)),
        ExprKind::Conditional(c, a, b) => {
            format!("({} ? {} : {})", canon(c), canon(a), canon(b))
        }
        ExprKind::Range(a, b) => format!("({}..{})", canon(a), canon(b)),
        ExprKind::ListComp(c) => format!("[for {}]", canon(&c.body)),
        ExprKind::ObjectComp(c, v) => format!("{{for {} => {}}}", canon(&c.body), canon(v)),
        ExprKind::Paren(e) => canon(e),
        ExprKind::Error => "<error>".into(),
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

/// The constants a property's value may be, with the expressions that give
/// them: a value chosen at deploy time between constants is each of them,
/// and a param passed as it is is its default (then named), the value a
/// deployment that gives none gets.
fn constants<'e>(scope: &Scope, value: &'e Expr) -> Vec<(&'e Expr, Value, Option<&'e str>)> {
    let mut alternatives = vec![value];
    let mut constants = Vec::new();
    while let Some(e) = alternatives.pop() {
        match &e.kind {
            ExprKind::Conditional(_, a, b) => alternatives.extend([&**b, &**a]),
            ExprKind::Paren(inner) => alternatives.push(inner),
            ExprKind::Name(name)
                if !scope.locals.iter().any(|(local, ..)| *local == name.name)
                    && let Some(default) = scope.consts.defaults.get(&name.name) =>
            {
                constants.push((e, default.clone(), Some(name.name.as_str())));
            }
            _ => {
                // What cannot be folded is reported where it is checked.
                let mut quiet = Vec::new();
                let folded = eval::eval(e, &|name| scope.consts.lookup(name), &mut quiet);
                constants.extend(folded.map(|v| (e, v, None)));
            }
        }
    }
    constants
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

#[cfg(test)]
mod tests {
    use crate::ir::Target;
    use crate::params::{Given, GivenValue, Origin};

    /// Builds `main.infra` (with `files` beside it) for `target`, with the
    /// params `given` on the command line: the codes reported, and the
    /// template as JSON when one was built.
    fn build(
        files: &[(&str, &str)],
        given: &[(&str, &str)],
        target: Target,
    ) -> (Vec<&'static str>, Option<serde_json::Value>) {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("written");
        }
        let mut options = crate::Options::default();
        for (name, value) in given {
            options.params.insert(
                name.to_string(),
                Given {
                    value: GivenValue::Text(value.to_string()),
                    origin: Origin::Flag,
                },
            );
        }
        let (checked, templates) =
            crate::build(&[dir.path().join("main.infra")], &options, &[target]).expect("read");
        let codes = checked.diagnostics.iter().map(|d| d.code.id).collect();
        let template = templates
            .first()
            .map(|t| serde_json::from_str(&t.text).expect("JSON"));
        (codes, template)
    }

    const SERVER: &str = r#"
resource net: network.Network {
  cidr = "10.0.0.0/16"
}

resource sub: network.Subnet {
  network = net
  cidr = "10.0.1.0/24"
}

resource web: compute.Server {
  name = "web-${tier}-${env}"
  image = "ami-0123456789abcdef0"
  size = size
  subnet = sub
}
"#;

    /// A program whose params are typed by a stdlib alias, a local one and
    /// an imported one.
    fn program() -> String {
        format!(
            "import \"./lib.infra\" as lib\n\ntype Tier = \"web\" | \"db\"\n\nparam size: compute.Size = \"small\"\n\nparam tier: Tier = \"web\"\n\nparam env: lib.Env = \"staging\"\n{SERVER}"
        )
    }

    const LIB: &str = "type Env = \"staging\" | \"production\"\n";

    #[test]
    fn params_typed_by_aliases_are_strings_with_their_values_on_every_target() {
        let main = program();
        let files = [("main.infra", main.as_str()), ("lib.infra", LIB)];
        let small = ["small", "medium", "large", "xlarge"];
        let (codes, template) = build(&files, &[], Target::CloudFormation);
        assert_eq!(codes, Vec::<&str>::new());
        let params = &template.expect("a template")["Parameters"];
        for (name, values) in [
            ("Size", &small[..]),
            ("Tier", &["web", "db"]),
            ("Env", &["staging", "production"]),
        ] {
            assert_eq!(params[name]["Type"], "String", "{name}");
            assert_eq!(params[name]["AllowedValues"], serde_json::json!(values));
        }
        let (codes, template) = build(&files, &[], Target::Heat);
        assert_eq!(codes, Vec::<&str>::new());
        let params = &template.expect("a template")["parameters"];
        assert_eq!(params["size"]["type"], "string");
        assert_eq!(
            params["size"]["constraints"][0]["allowed_values"],
            serde_json::json!(small)
        );
        assert_eq!(params["env"]["type"], "string");
        let (codes, template) = build(&files, &[], Target::TerraformAws);
        assert_eq!(codes, Vec::<&str>::new());
        let variables = &template.expect("a template")["variable"];
        assert_eq!(variables["tier"]["type"], "string");
        let condition = variables["size"]["validation"][0]["condition"]
            .as_str()
            .expect("a validation");
        assert!(condition.contains("contains([\"small\", "), "{condition}");
    }

    /// Where secrets may go: secret params of portable types and of the
    /// program's components, native resources of a component's lowering,
    /// `depends_on`, and sensitive outputs.
    const SECRETS_WHERE_THEY_BELONG: &str = r#"
param db_password: string {
  secret = true
  min_length = 12
}

resource net: network.Network {
  cidr = "10.0.0.0/16"
}

resource data: network.Subnet {
  network = net
  cidr = "10.0.2.0/24"
}

resource pw: secret.RandomPassword {
  length = 24
  special = false
}

resource generated: database.Instance {
  engine = "postgres"
  version = "16.4"
  username = "app"
  password = pw.value
  subnets = [data]
}

resource given: database.Instance {
  engine = "postgres"
  version = "16.4"
  username = "app"
  password = db_password
  subnets = [data]
  depends_on = [generated]
}

component Vault {
  param token: string {
    secret = true
  }

  output stored: string {
    sensitive = true
  }

  target cloudformation {
    resource queue: AWS::SQS::Queue {
      QueueName = token
    }

    output stored = token
  }
}

resource vault: Vault {
  token = "${pw.value}-${db_password}"
}

resource nested: Vault {
  token = vault.stored
}
"#;

    #[test]
    fn secrets_passed_to_secret_params_are_accepted_on_every_target() {
        let files = [("main.infra", SECRETS_WHERE_THEY_BELONG)];
        let (codes, template) = build(&files, &[], Target::CloudFormation);
        assert_eq!(codes, Vec::<&str>::new());
        let text = template.expect("a template").to_string();
        assert!(text.contains("resolve:secretsmanager"), "{text}");
        // Without the component, which lowers to CloudFormation only.
        let portable = SECRETS_WHERE_THEY_BELONG
            .split("component Vault")
            .next()
            .unwrap_or_default();
        for target in [
            Target::Heat,
            Target::TerraformAws,
            Target::TerraformOpenstack,
        ] {
            let (codes, template) = build(&[("main.infra", portable)], &[], target);
            assert_eq!(codes, Vec::<&str>::new(), "{target:?}");
            assert!(template.is_some(), "{target:?}");
        }
    }

    #[test]
    fn outputs_reading_secrets_are_known_to_the_analysis() {
        let program = format!(
            "{SECRETS_WHERE_THEY_BELONG}\noutput plain = generated.endpoint\noutput generated_pw = pw.value\noutput dsn = \"app:${{db_password}}@${{given.endpoint}}\"\noutput stored = [for s in [vault.stored]: s]\n"
        );
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("main.infra");
        std::fs::write(&path, program).expect("written");
        let checked = crate::check(&[path], &crate::Options::default()).expect("read");
        let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, Vec::<&str>::new());
        let mut outputs: Vec<&str> = checked.programs[0]
            .1
            .analysis
            .secret_outputs
            .iter()
            .map(String::as_str)
            .collect();
        outputs.sort_unstable();
        assert_eq!(outputs, ["dsn", "generated_pw", "stored"]);
    }

    #[test]
    fn secrets_are_tracked_through_lets_conditionals_and_comprehensions() {
        let base = SECRETS_WHERE_THEY_BELONG
            .split("component Vault")
            .next()
            .unwrap_or_default();
        for (value, secret) in [
            ("\"jobs\"", false),
            ("generated.endpoint", false),
            ("dsn", true),
            ("length(dsn) > 3 ? \"a\" : \"b\"", true),
            ("true ? \"a\" : pw.value", true),
            ("[for c in split(\",\", dsn): c][0]", true),
            ("{ k = db_password }.k", true),
            ("upper(pw.value)", true),
        ] {
            let program = format!(
                "{base}\nlet dsn = \"app:${{db_password}}\"\n\nresource jobs: queue.Queue {{\n  name = {value}\n}}\n"
            );
            let (codes, _) = build(&[("main.infra", &program)], &[], Target::TerraformAws);
            let want: &[&str] = if secret { &["E0321"] } else { &[] };
            // `dsn` is unused when the queue does not read it.
            let codes: Vec<&str> = codes.into_iter().filter(|c| *c != "W0101").collect();
            assert_eq!(codes, want, "name = {value}");
        }
    }

    #[test]
    fn values_given_to_params_typed_by_aliases_are_checked_against_them() {
        let main = program();
        let files = [("main.infra", main.as_str()), ("lib.infra", LIB)];
        for (name, value) in [("size", "huge"), ("tier", "wbe"), ("env", "prod")] {
            let (codes, _) = build(&files, &[(name, value)], Target::CloudFormation);
            assert_eq!(codes, ["E0302"], "{name}={value}");
        }
        let given = [("size", "large"), ("tier", "db"), ("env", "production")];
        let (codes, template) = build(&files, &given, Target::CloudFormation);
        assert_eq!(codes, Vec::<&str>::new());
        let template = template.expect("a template");
        // Folded: no template parameter is left.
        assert_eq!(template.get("Parameters"), None);
        let text = template.to_string();
        assert!(text.contains("t3.large"), "{text}");
        assert!(text.contains("web-db-production"), "{text}");
    }
}
