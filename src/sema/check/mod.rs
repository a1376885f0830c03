//! The type checker: resolves resource types against the stdlib and imports,
//! checks properties against schemas, attribute reads, operators, calls, and
//! uses of conditional resources.
//!
//! Modules (the entry file, its imports, stdlib files) are loaded on demand;
//! a stdlib file is parsed only when a program names something in it.
//!
//! [`check`] and the [`Checker`] it runs are here, with what they hand to
//! later phases ([`Program`], [`Analysis`], [`Instances`]); the checker's
//! methods are spread over one file per responsibility:
//!
//! - `loader`: imports and stdlib modules;
//! - `types`: type expressions and aliases;
//! - `schemas`: component and native schemas;
//! - `items`: declarations, resources and their properties;
//! - `exprs`: expression typing;
//! - `existence`: uses of conditional resources (E0208);
//! - `secrets`: where secrets may go (E0321);
//! - `targets`: a component's `target` blocks;
//! - `cidr`: address blocks known at compile time.

mod cidr;
mod existence;
mod exprs;
mod items;
mod loader;
mod members;
use members::MemberConstraints;
mod recursion;
mod schemas;
mod secrets;
mod stages;
mod targets;
mod twins;
pub use twins::literal_keys;
#[cfg(test)]
pub(crate) mod tests;
mod types;
mod unmanaged;

pub use exprs::canon;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap as HashMap, FxHashSet as HashSet};

use super::eval::{self, Value};
use super::names::{DeclId, DeclKind, DeclMap, Names};
use super::params::{self, ParamInfo};
use super::schema::Schema;
use super::ty::{SchemaId, Ty, display};
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, SourceDb, Span};
use crate::syntax::ast::*;
use secrets::Secret;
pub use stages::ValueStage;

/// Index of a loaded module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModuleId(pub u32);

/// A checked program: what lowering needs to expand it for a target.
pub struct Program {
    /// Every loaded module (the entry file, imports, stdlib files), by id.
    pub modules: Vec<Arc<SourceFile>>,
    /// What every name of each module refers to, by module id.
    pub names: Vec<Arc<Names>>,
    pub entry: ModuleId,
    pub schemas: Vec<Schema>,
    /// What the checker found of each resource declaration, by module and
    /// declaration.
    resources: Vec<DeclMap<ResourceInfo>>,
    /// The type of every expression the checker typed, by its span (an
    /// expression's span is its own: no two expressions of a program have
    /// one), for tools that show a value's type; kept when asked for
    /// (`Options::keep_types`).
    pub types: HashMap<Span, Ty>,
    /// When the value of each of those expressions is known.
    pub stages: HashMap<Span, ValueStage>,
    pub analysis: Analysis,
    /// The entry file's params, with their compile-time values.
    pub params: IndexMap<String, ParamInfo>,
    /// What lowering may spend on the program: the build's budget, with
    /// what its project's `infra.toml` sets.
    pub budget: crate::lower::Budget,
}

/// A declaration of one of a program's modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeclRef {
    pub module: ModuleId,
    pub decl: DeclId,
}

/// A resource declaration, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInfo {
    /// Its type, when the type is known (quoted or not).
    pub schema: Option<SchemaId>,
    /// How many instances exist: folded in the entry file, where every
    /// param given at compile time is known; in a component they depend on
    /// each instance's arguments, and lowering decides them.
    pub instances: Instances,
}

impl Program {
    /// What the checker found of a resource declared in `module`.
    pub fn resource(&self, module: ModuleId, r: &Resource) -> Option<&ResourceInfo> {
        let decl = self.names[module.0 as usize].of(&r.name)?;
        self.resources.get(module.0 as usize)?.get(decl)
    }

    /// The schema of a resource declared in `module`, when its type is known.
    pub fn schema_of(&self, module: ModuleId, r: &Resource) -> Option<SchemaId> {
        self.resource(module, r)?.schema
    }

    /// Does the entry file deploy anything? A file of components, types and
    /// lets only is a library for other files: there is nothing to lower.
    pub fn deploys(&self) -> bool {
        self.modules[self.entry.0 as usize]
            .items
            .iter()
            .any(|i| matches!(i.kind, ItemKind::Resource(_) | ItemKind::Output(_)))
    }
}

struct Module {
    ast: Arc<SourceFile>,
    names: Arc<Names>,
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

pub struct Checker<'db> {
    db: &'db mut SourceDb,
    modules: Vec<Module>,
    user_modules: HashMap<PathBuf, ModuleId>,
    stdlib_modules: HashMap<String, ModuleId>,
    /// The project imports are confined to: the entry file's, or, for a
    /// program not read from disk, the current directory.
    project: crate::project::Project,
    /// Import chain being loaded, for cycle detection.
    /// Each file's canonical path, its name as written, and the import span.
    loading: Vec<(PathBuf, String, Span)>,
    /// Shared so that a schema can be read while the checker is borrowed
    /// mutably.
    schemas: Vec<Arc<Schema>>,
    component_schemas: HashMap<(ModuleId, String), SchemaId>,
    native_schemas: HashMap<String, Option<SchemaId>>,
    /// The schema an `existing` declaration of a native type is checked
    /// against, by the type's schema.
    existing_schemas: HashMap<SchemaId, SchemaId>,
    /// The constraints of the members of a native type's property, read
    /// from its schema when a resource first sets the property.
    member_constraint_cache: HashMap<(SchemaId, String), MemberConstraints>,
    aliases_in_progress: HashSet<(ModuleId, String)>,
    aliases: HashMap<(ModuleId, String), Ty>,
    /// Component schemas whose fields are not resolved yet.
    pending_fields: HashMap<SchemaId, (ModuleId, usize)>,
    /// What the checker found of each module's resources, by module.
    resources: Vec<DeclMap<ResourceInfo>>,
    /// Whether `types` and `stages` are kept.
    keep_types: bool,
    types: HashMap<Span, Ty>,
    stages: HashMap<Span, ValueStage>,
    /// The stage of each loop variable: its list's.
    binding_stages: HashMap<DeclRef, ValueStage>,
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
    secret: Option<Arc<Secret>>,
    /// While the body of a component declared `stateless` is checked: its
    /// name, where a persistent resource inside it is refused (E0217).
    stateless_component: Option<Ident>,
    /// Whether a stdlib component is checked only once a program
    /// instantiates it: the stdlib is tested to check cleanly, so checking
    /// it reports nothing, and what lowering needs of it is only the
    /// components it expands. Off when every expression's type is kept.
    lazy_stdlib: bool,
    /// The targets the program is lowered for, whose `target` blocks of
    /// stdlib components are checked; empty: every target.
    targets: Vec<crate::target::Target>,
    /// The stdlib components the program can reach, the only ones of a
    /// namespace it loads that are read; none: every one.
    reach: Option<crate::stdlib::Reach>,
    /// Stdlib components not checked yet, by module and item index.
    deferred: HashSet<(ModuleId, usize)>,
    /// Deferred components a checked resource instantiates, to check.
    wanted: Vec<(ModuleId, usize)>,
    /// Deploy-time indexes into keyed copies, checked for what the copies
    /// hold once every resource is checked (E0219).
    switches: Vec<twins::Switch>,
    /// The `allowed` strings of the entry file's params, by name: the
    /// values an index into keyed copies may take.
    param_allowed: IndexMap<String, Vec<String>>,
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

/// The scope expressions are checked in: the types of a module's (or a
/// component body's) declarations, by the id name resolution gave them.
struct Scope<'a> {
    module: ModuleId,
    /// The entry file's own top level, whose params are the template's.
    entry: bool,
    /// What each name of the module refers to.
    names: &'a Names,
    items: &'a [Item],
    entries: DeclMap<Entry>,
    /// The schema of each resource among `items`, by index, as its name's
    /// entry gives it: read once per resource, without hashing its name.
    resource_schemas: Vec<Option<SchemaId>>,
    lets: HashMap<usize, Option<Ty>>,
    /// The secret each let's value reads, by index, once its type is known.
    let_secrets: HashMap<usize, Arc<Secret>>,
    /// Loop variables and narrowed names: the declaration, its type here,
    /// and the secret the value carries.
    locals: Vec<(DeclId, Ty, Option<Arc<Secret>>)>,
    /// Conditions known to hold here, canonically printed.
    conditions: Vec<String>,
    /// Attribute paths known not to be null here (`a.b != null ? a.b : ...`),
    /// canonically printed.
    non_null: Vec<String>,
    /// The earlier names resources here say they had (`renamed_from`).
    renamed: HashMap<String, Span>,
    consts: ConstEnv<'a>,
}

impl Scope<'_> {
    /// Is `name` a loop variable or a narrowed name here?
    fn is_local(&self, name: &Ident) -> bool {
        let Some(id) = self.names.of(name) else {
            return false;
        };
        self.locals.iter().any(|(local, ..)| *local == id)
    }

    /// The local a declaration is, innermost first.
    fn local(&self, id: DeclId) -> Option<&(DeclId, Ty, Option<Arc<Secret>>)> {
        self.locals.iter().rev().find(|(local, ..)| *local == id)
    }
}

/// The largest program whose reach in the stdlib is found
/// (`stdlib::Reach`).
const REACH_MAX_BYTES: usize = 64 * 1024;

/// Checks one entry file already parsed into `ast`, whose names `names`
/// resolves.
pub fn check(
    db: &mut SourceDb,
    file: FileId,
    ast: Arc<SourceFile>,
    names: Arc<Names>,
    entry: Option<(&Path, &crate::project::Project)>,
    params: &IndexMap<String, ParamInfo>,
    keep_types: bool,
) -> (Program, Vec<Diagnostic>) {
    check_for(db, file, ast, names, entry, params, keep_types, &[], false)
}

/// [`check`] for a program lowered only for `targets` (empty: every
/// target): the `target` blocks of stdlib components for other targets
/// are not checked, as nothing reads them; and, for a program of one
/// small file, unless `whole_stdlib`, the stdlib components it cannot
/// reach are not read (`stdlib::Reach`).
#[allow(clippy::too_many_arguments)]
pub fn check_for(
    db: &mut SourceDb,
    file: FileId,
    ast: Arc<SourceFile>,
    names: Arc<Names>,
    entry: Option<(&Path, &crate::project::Project)>,
    params: &IndexMap<String, ParamInfo>,
    keep_types: bool,
    targets: &[crate::target::Target],
    whole_stdlib: bool,
) -> (Program, Vec<Diagnostic>) {
    let mut checker = Checker::new(db);
    checker.keep_types = keep_types;
    checker.lazy_stdlib = !keep_types;
    checker.targets = targets.to_vec();
    let imports = ast
        .items
        .iter()
        .any(|item| matches!(item.kind, ItemKind::Import(_)));
    if !whole_stdlib && !imports && checker.stdlib_for_targets() {
        let text = checker.db.text(file);
        // Finding the reach reads the whole text: worth it for a small
        // program, whose build the stdlib's parsing weighs on.
        if text.len() <= REACH_MAX_BYTES {
            checker.reach = Some(crate::stdlib::Reach::of(text));
        }
    }
    let path = entry.map(|(path, _)| path);
    if let Some((_, project)) = entry {
        checker.project = project.clone();
    }
    let canonical = path.and_then(|p| p.canonicalize().ok());
    if let Some(p) = &canonical {
        let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
        checker.loading.push((p.clone(), shown, Span::default()));
    }
    let entry = checker.add_module(ast.clone(), names, path.and_then(Path::parent), None);
    if let Some(p) = canonical {
        checker.user_modules.insert(p, entry);
    }
    checker.load_imports(entry);
    checker.loading.clear();
    // Params typed by an alias of another file are checked now that every
    // file they name is loaded.
    let mut params = params.clone();
    let names = checker.modules[entry.0 as usize].names.clone();
    let found = params::check_foreign(&ast, &names, &mut params, &mut |ty| {
        checker.param_type(entry, ty)
    });
    checker.diagnostics.extend(found);
    checker.param_values = params
        .iter()
        .filter_map(|(name, info)| Some((name.clone(), info.value.clone()?)))
        .collect();
    checker.param_allowed = params
        .iter()
        .filter_map(|(name, info)| {
            let allowed = info.constraints.allowed.as_ref()?;
            let strings: Option<Vec<String>> = allowed
                .value
                .iter()
                .map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            Some((name.clone(), strings?))
        })
        .collect();
    checker.param_defaults = params
        .iter()
        .filter(|(_, info)| info.value.is_none() && !info.secret)
        .filter_map(|(name, info)| Some((name.clone(), info.default.clone()?)))
        .collect();
    let analysis = checker.check_module(entry, &ast.items, true, None);
    checker.check_wanted_components();
    let pending: Vec<SchemaId> = checker.pending_fields.keys().copied().collect();
    for id in pending {
        checker.ensure_fields(id);
    }
    checker.check_recursive_components();
    checker.check_twins();
    let program = Program {
        modules: checker.modules.iter().map(|m| m.ast.clone()).collect(),
        names: checker.modules.iter().map(|m| m.names.clone()).collect(),
        entry,
        schemas: checker
            .schemas
            .into_iter()
            .map(Arc::unwrap_or_clone)
            .collect(),
        resources: checker.resources,
        types: checker.types,
        stages: checker.stages,
        analysis,
        params,
        budget: crate::lower::Budget::default(),
    };
    (program, checker.diagnostics)
}

/// The schema of a native type of the stdlib, found by its name
/// (`AWS::RDS::DBInstance`) and read as the checker reads it, for what
/// meets a type name outside a program: `infra diff` reading a template.
/// `None` for a name the stdlib has no schema of.
pub fn stdlib_native_schema(type_name: &str) -> Option<Schema> {
    let mut db = SourceDb::new();
    let mut checker = Checker::new(&mut db);
    let id = checker.native_schema(type_name)?;
    Some((*checker.schemas[id.0 as usize]).clone())
}

impl<'db> Checker<'db> {
    fn new(db: &'db mut SourceDb) -> Checker<'db> {
        Checker {
            db,
            modules: Vec::new(),
            user_modules: HashMap::default(),
            stdlib_modules: HashMap::default(),
            project: crate::project::Project {
                root: std::env::current_dir()
                    .and_then(|d| d.canonicalize())
                    .unwrap_or_default(),
                limits: Default::default(),
            },
            loading: Vec::new(),
            schemas: Vec::new(),
            component_schemas: HashMap::default(),
            native_schemas: HashMap::default(),
            existing_schemas: HashMap::default(),
            member_constraint_cache: HashMap::default(),
            aliases_in_progress: HashSet::default(),
            aliases: HashMap::default(),
            pending_fields: HashMap::default(),
            resources: Vec::new(),
            keep_types: false,
            types: HashMap::default(),
            stages: HashMap::default(),
            binding_stages: HashMap::default(),
            param_values: IndexMap::new(),
            param_defaults: IndexMap::new(),
            diagnostics: Vec::new(),
            path_text: String::new(),
            secret: None,
            stateless_component: None,
            lazy_stdlib: false,
            targets: Vec::new(),
            reach: None,
            deferred: HashSet::default(),
            wanted: Vec::new(),
            switches: Vec::new(),
            param_allowed: IndexMap::default(),
        }
    }
}

impl Checker<'_> {
    fn add_module(
        &mut self,
        ast: Arc<SourceFile>,
        names: Arc<Names>,
        dir: Option<&Path>,
        namespace: Option<String>,
    ) -> ModuleId {
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(Module {
            ast,
            names,
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
}

/// Compile-time values of a module's names: params given at compile time,
/// and lets whose values fold, evaluated on demand.
struct ConstEnv<'a> {
    names: &'a Names,
    lets: DeclMap<&'a Expr>,
    params: IndexMap<String, Value>,
    /// Defaults of the params not given: not constants, but what a
    /// deployment that gives no value gets.
    defaults: IndexMap<String, Value>,
    /// `None` while a let is being evaluated, so a cycle folds to nothing.
    cache: RefCell<DeclMap<Option<Value>>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl ConstEnv<'_> {
    fn lookup(&self, name: &Ident) -> Option<Value> {
        let (id, decl) = self.names.lookup(name)?;
        if decl.kind == DeclKind::Param {
            return self.params.get(&name.name).cloned();
        }
        if let Some(cached) = self.cache.borrow().get(id) {
            return cached.clone();
        }
        let expr = self.lets.get(id)?;
        self.cache.borrow_mut().insert(id, None);
        let mut diagnostics = Vec::new();
        let value = eval::eval(expr, self.names, &|n| self.lookup(n), &mut diagnostics);
        self.diagnostics.borrow_mut().extend(diagnostics);
        self.cache.borrow_mut().insert(id, value.clone());
        value
    }

    /// The default of a param of the entry file a name reads, when it is
    /// not given at compile time.
    fn default_of(&self, name: &Ident) -> Option<&Value> {
        let (_, decl) = self.names.lookup(name)?;
        if decl.kind != DeclKind::Param {
            return None;
        }
        self.defaults.get(&name.name)
    }

    /// The value a let reads, unevaluated.
    fn let_value(&self, name: &Ident) -> Option<&Expr> {
        self.lets.get(self.names.of(name)?).copied()
    }
}
