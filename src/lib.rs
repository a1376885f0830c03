//! Infra: a compiler for infrastructure as code.
//!
//! The pipeline (see `ARCHITECTURE.md`): [`syntax::parse`] turns text into an
//! AST; later phases resolve, type-check and lower it. Every phase returns
//! its result with diagnostics; only `main.rs` prints.

pub mod backend;
pub mod builtins;
mod bytes;
pub mod diagnostics;
pub mod diff;
pub mod doc;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod json;
pub mod levels;
pub mod lower;
pub mod lsp;
pub mod native;
pub use sema::params;
pub mod project;
pub mod sema;
pub mod source;
pub mod sourcemap;
pub mod stacks;
pub mod stdlib;
pub mod suggest;
pub mod syntax;
pub mod target;
pub mod workspace;

use diagnostics::Diagnostic;
use source::{FileId, SourceDb};
use syntax::ast;

/// The stack the compiler runs on: deeply nested input is refused by the
/// parser, but every phase recurses as deep as the tree it is given.
pub const STACK_SIZE: usize = 512 * 1024 * 1024;

/// Refuses transparent huge pages for this process, as `infra` runs:
/// mimalloc asks for them, which makes each region it touches resident
/// 2 MiB at a time, so that a small build would hold twice the memory it
/// uses. Refused, the regions are resident as they are used. (The scale
/// bench times its floor the same way.)
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: a flag of this process's own; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Files at least this large are checked on two threads.
const PARALLEL_MIN_BYTES: usize = 64 * 1024;

/// One parsed file of a compilation.
pub struct Parsed {
    pub file: FileId,
    pub ast: std::sync::Arc<ast::SourceFile>,
}

/// What a compilation is given besides its files.
#[derive(Default)]
pub struct Options {
    /// Param values given at compile time.
    pub params: params::GivenParams,
    /// Keep the type and stage of every expression in the checked program
    /// (`Program::types`, `Program::stages`), for tools that show them; a
    /// build does not need them.
    pub keep_types: bool,
    /// The limits of the work one build may do (`lower::Budget`).
    pub limits: lower::Budget,
    /// The process exits once this compilation is reported (not so under
    /// `--watch`, nor in the language server). A single small program's
    /// trees are then left for the exit to reclaim at once rather than
    /// freed one by one (a twentieth of a small build's work); a large one's are
    /// still freed as soon as they are done with, which lowers the peak.
    pub exits_after: bool,
    /// Read every component of each stdlib namespace a program loads, not
    /// only those a program of one file can reach (`stdlib::Reach`): the
    /// two give the same templates and diagnostics, which tests hold them
    /// to.
    pub whole_stdlib: bool,
}

/// A program this small has its trees left for the exit to reclaim
/// (`Options::exits_after`).
const LEFT_TO_EXIT_MAX_BYTES: usize = 64 * 1024;

/// The result of checking a set of files.
pub struct Checked {
    pub db: SourceDb,
    pub files: Vec<Parsed>,
    /// The dependency graph of each file that got that far, by file.
    pub graphs: Vec<(FileId, graph::DepGraph)>,
    /// The checked program of each entry file that got that far.
    pub programs: Vec<(FileId, sema::check::Program)>,
    pub diagnostics: Vec<Diagnostic>,
}

fn empty_program(file: FileId, len: usize) -> Diagnostic {
    Diagnostic::new(
        &diagnostics::codes::E0009,
        source::Span::new(file, 0, len),
        "the program declares nothing",
    )
    .label("no declarations in this file")
    .note(
        "every checked file is compiled to a template, and a template needs at least one resource",
    )
    .help("declare a resource, or remove the file from the paths given to `infra`")
}

/// Parses files without checking them, for the formatter: only syntax
/// errors are reported.
pub fn parse_files(paths: &[std::path::PathBuf]) -> Result<Checked, workspace::IoError> {
    let mut db = SourceDb::new();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    let mut projects = project::Projects::default();
    for path in paths {
        let (project, _) = projects.of(&mut db, path)?;
        let (file, decoded) = workspace::load(&mut db, path, project.limits.max_file_bytes)?;
        match decoded {
            Ok(text) => {
                let (ast, syntax) = syntax::parse(file, &text);
                diagnostics.extend(syntax);
                files.push(Parsed {
                    file,
                    ast: std::sync::Arc::new(ast),
                });
            }
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    Ok(Checked {
        db,
        files,
        graphs: Vec::new(),
        programs: Vec::new(),
        diagnostics,
    })
}

/// Parses and checks the given entry files, reading them from disk.
pub fn check(
    paths: &[std::path::PathBuf],
    options: &Options,
) -> Result<Checked, workspace::IoError> {
    check_for(paths, options, &[])
}

/// [`check`] of programs lowered only for `targets` (empty: every target
/// each can compile to), which leaves the stdlib's lowerings for other
/// targets unchecked.
fn check_for(
    paths: &[std::path::PathBuf],
    options: &Options,
    targets: &[ir::Target],
) -> Result<Checked, workspace::IoError> {
    let mut db = SourceDb::new();
    let mut files = Vec::new();
    let mut graphs = Vec::new();
    let mut programs = Vec::new();
    let mut diagnostics = Vec::new();
    let mut projects = project::Projects::default();
    for path in paths {
        let (project, manifest) = projects.of(&mut db, path)?;
        diagnostics.extend(manifest);
        let (file, decoded) = workspace::load(&mut db, path, project.limits.max_file_bytes)?;
        let text = match decoded {
            Ok(text) => text,
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                continue;
            }
        };
        let budget = project.limits.budget(options.limits);
        let (mut ast, syntax) = syntax::parse(file, &text);
        // The database keeps the text; this copy is not needed past parsing.
        let len = text.len();
        drop(text);
        let syntax_ok = !diagnostics::has_errors(&syntax);
        if syntax_ok {
            diagnostics.extend(sema::files::inline(&mut ast, path.parent(), &project));
        }
        if ast.items.is_empty() && syntax.is_empty() {
            diagnostics.push(empty_program(file, len));
        }
        diagnostics.extend(syntax);
        let ast = std::sync::Arc::new(ast);
        if syntax_ok {
            // Names are resolved first: every later phase reads them. The
            // dependency graph needs only the tree and the names: on a large
            // file it is built on another thread while the checker runs
            // here, and then gets the state classes the checker found.
            let (names, name_diagnostics) = sema::resolve::resolve(&ast);
            let names = std::sync::Arc::new(names);
            let tree: &ast::SourceFile = &ast;
            let resolved: &sema::names::Names = &names;
            let graph_only = || graph::build(tree, resolved);
            let (param_diagnostics, (program, type_diagnostics), graph) =
                std::thread::scope(|scope| {
                    // With the compiler's own stack: the tree may be as deep
                    // as the parser allows. Without a thread, all runs here.
                    let other = (len >= PARALLEL_MIN_BYTES)
                        .then(|| {
                            std::thread::Builder::new()
                                .stack_size(STACK_SIZE)
                                .spawn_scoped(scope, graph_only)
                                .ok()
                        })
                        .flatten();
                    // One budget of evaluation steps for the whole check.
                    let (param_diagnostics, checked) =
                        sema::eval::within_steps(budget.steps, || {
                            let (params, param_diagnostics) =
                                sema::params::check(&ast, &names, &options.params);
                            let checked = sema::check::check_for(
                                &mut db,
                                file,
                                ast.clone(),
                                names.clone(),
                                Some((path, &project)),
                                &params,
                                options.keep_types,
                                targets,
                                options.whole_stdlib,
                            );
                            (param_diagnostics, checked)
                        });
                    let mut graph = match other {
                        Some(thread) => thread
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                        None => graph_only(),
                    };
                    graph.0.set_states(&checked.0.analysis.states);
                    (param_diagnostics, checked, graph)
                });
            let (graph, graph_diagnostics) = graph;
            diagnostics.extend(name_diagnostics);
            diagnostics.extend(param_diagnostics);
            diagnostics.extend(type_diagnostics);
            diagnostics.extend(graph_diagnostics);
            let mut program = program;
            program.budget = budget;
            graphs.push((file, graph));
            programs.push((file, program));
        }
        files.push(Parsed { file, ast });
    }
    Ok(Checked {
        db,
        files,
        graphs,
        programs,
        diagnostics,
    })
}

/// One emitted template.
pub struct Template {
    pub file: FileId,
    pub target: ir::Target,
    /// For a nested stack of a template split because it was over its
    /// target's quotas (`stacks::split`), its bucket, which names its file
    /// (`Target::stack_file_name`); `None` for the parent or a template
    /// not split.
    pub stack: Option<String>,
    /// The file's text: pretty JSON and a final newline. Empty when it
    /// was staged (`staged`).
    pub text: String,
    /// How many resources it holds.
    pub resources: usize,
    /// Each of its resources by the template's name of it (CloudFormation
    /// logical id, Heat name, Terraform `TYPE.NAME`), in its order, with
    /// the name of the entry file's resource it was made for (`infra
    /// diff` reads them). None for a template staged: a build that writes
    /// its files needs only their count.
    pub origins: Vec<(String, String)>,
    /// Its source map (`sourcemap::build`), written beside it as
    /// `sourcemap::map_name` of its file name: pretty JSON and a final
    /// newline. Empty when it was staged (`staged`).
    pub map: String,
    /// Which of its files were written to the build's staging directory
    /// as soon as they were made (`build_each` given a `Staging`).
    pub staged: StagedFiles,
}

/// A template's files staged as made: each `None` where it is held in
/// the `Template` instead.
#[derive(Debug, Default)]
pub struct StagedFiles {
    pub text: Option<workspace::Staged>,
    pub map: Option<workspace::Staged>,
}

impl Template {
    /// Its template and its source map, as `Staging::place` takes them.
    pub fn outputs(&self) -> [workspace::Output<'_>; 2] {
        [
            output(&self.text, &self.staged.text),
            output(&self.map, &self.staged.map),
        ]
    }
}

fn output<'t>(held: &'t str, staged: &'t Option<workspace::Staged>) -> workspace::Output<'t> {
    match staged {
        Some(staged) => workspace::Output::Staged(staged),
        None => workspace::Output::Bytes(held.as_bytes()),
    }
}

/// The entry file's stem, which names its templates (`main` for a file
/// not read from disk).
fn stem(db: &SourceDb, file: FileId) -> String {
    db.get(file)
        .path
        .as_deref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main".into())
}

/// Where `infra build -o DIR` writes each template, relative to `DIR`:
/// `NAME.template.json`, `NAME.hot.json`, `NAME.tf.json`, or
/// `aws/NAME.tf.json` and `openstack/NAME.tf.json` when both Terraform
/// providers are built. `NAME` is the entry file's stem. Terraform reads
/// every `*.tf.json` of a directory as one module: when several programs
/// are built for one provider, each is a module of its own,
/// `[PROVIDER/]NAME/main.tf.json`. A nested stack is beside its parent,
/// `NAME.stack-BUCKET.template.json` or `NAME.stack-BUCKET.hot.yaml`
/// (`Target::stack_file_name`). Each template's source map is beside it
/// (`sourcemap::map_name`).
pub fn output_names(db: &SourceDb, templates: &[Template]) -> Vec<String> {
    let both_providers = [ir::Target::TerraformAws, ir::Target::TerraformOpenstack]
        .iter()
        .all(|t| templates.iter().any(|template| template.target == *t));
    let programs_for = |target: ir::Target| {
        let files = templates.iter().filter(|t| t.target == target);
        files
            .map(|t| t.file)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    templates
        .iter()
        .map(|t| match &t.stack {
            Some(bucket) => (t.target)
                .stack_file_name(&stem(db, t.file), bucket)
                .unwrap_or_default(),
            None => {
                let name = t.target.file_name(&stem(db, t.file), both_providers);
                match name.strip_suffix(".tf.json") {
                    Some(module) if programs_for(t.target) > 1 => format!("{module}/main.tf.json"),
                    _ => name,
                }
            }
        })
        .collect()
}

/// Two entry files whose templates have one output name (`src/a/main.infra`
/// and `src/b/main.infra` both give `main.hot.json`): one E0014 per pair of
/// files, at the later file, naming both. `infra build -o` and `infra diff`
/// refuse them before writing or reading anything.
pub fn output_collisions(db: &SourceDb, templates: &[Template]) -> Vec<Diagnostic> {
    let mut first: std::collections::HashMap<String, FileId> = Default::default();
    let mut reported = std::collections::HashSet::new();
    let mut found = Vec::new();
    for (name, template) in output_names(db, templates).into_iter().zip(templates) {
        let earlier = *first.entry(name.clone()).or_insert(template.file);
        if earlier == template.file || !reported.insert((earlier, template.file)) {
            continue;
        }
        let at = |file: FileId| source::Span::new(file, 0, 0);
        let shown = |file: FileId| db.get(file).name.clone();
        found.push(
            Diagnostic::new(
                &diagnostics::codes::E0014,
                at(template.file),
                format!(
                    "`{}` and `{}` both build to `{name}`",
                    shown(earlier),
                    shown(template.file)
                ),
            )
            .label(format!("this program builds to `{name}`"))
            .secondary(at(earlier), "and so does this one")
            .note("a template is named by its entry file's stem: one would replace the other")
            .help("build each program into its own directory, or rename one of the files"),
        );
    }
    found
}

/// What a template keeps of its part (`stacks::Part`): its text, its
/// source map, its resources' count and origins (`Template`).
struct Mapped {
    text: String,
    map: String,
    resources: usize,
    origins: Vec<(String, String)>,
    staged: StagedFiles,
}

impl Mapped {
    /// A template of `resources` resources with no map nor origins.
    fn bare(printed: workspace::Printed, resources: usize) -> Mapped {
        Mapped {
            text: printed.text,
            map: String::new(),
            resources,
            origins: Vec::new(),
            staged: StagedFiles {
                text: printed.staged,
                map: None,
            },
        }
    }
}

/// The source map and origins of one part of a deployment, the template
/// of `stack` (`None`: the parent, or the one template).
/// With a `Staging`, the text is staged before the map is made, and the
/// map once made: neither is held beside the other, nor to the build's end.
fn mapped(
    db: &SourceDb,
    stem: &str,
    (stack, deployment, sections): (Option<&str>, &ir::Deployment, &sourcemap::Emitted),
    printed: workspace::Printed,
    staging: Option<&workspace::Staging>,
) -> Mapped {
    let mut staged = StagedFiles::default();
    // A file staged as it was printed stays so; one held is staged now,
    // or kept when it cannot be.
    let stage = |printed: workspace::Printed| match printed.staged {
        Some(done) => (printed.text, Some(done)),
        None => match staging.and_then(|s| s.stage(printed.text.as_bytes())) {
            Some(done) => (String::new(), Some(done)),
            None => (printed.text, None),
        },
    };
    let text;
    (text, staged.text) = stage(printed);
    let target = deployment.target;
    let names = backend::names(deployment);
    let file_name = match stack {
        Some(bucket) => target.stack_file_name(stem, bucket).unwrap_or_default(),
        None => target.file_name(stem, false),
    };
    let mut printing = workspace::Printing::from(staging).spill(0);
    sourcemap::write(
        db,
        deployment,
        (&names, &file_name, sections),
        &mut printing,
    );
    let map;
    (map, staged.map) = stage(printing.finish());
    let origins = match staging {
        Some(_) => Vec::new(),
        None => (names.resources.into_iter())
            .zip(&deployment.resources)
            .map(|(name, r)| {
                let text = db.text(r.span.file);
                let origin = text.get(r.span.range()).unwrap_or_default();
                (name, origin.to_string())
            })
            .collect(),
    };
    Mapped {
        text,
        map,
        resources: deployment.resources.len(),
        origins,
        staged,
    }
}

/// Checks the entry files, then lowers and emits each for each target.
/// Templates are returned only when no file has an error for any target, so
/// that nothing is written from a build that failed. With no targets given,
/// every target each program can compile to is checked. Everything is kept
/// (`Checked::programs`, ...), and compiled on this thread: see
/// [`build_each`] for many files.
pub fn build(
    paths: &[std::path::PathBuf],
    options: &Options,
    targets: &[ir::Target],
) -> Result<(Checked, Vec<Template>), workspace::IoError> {
    let mut checked = check(paths, options)?;
    if diagnostics::has_errors(&checked.diagnostics) {
        return Ok((checked, Vec::new()));
    }
    let (found, mut templates) = lower_and_emit(
        &checked.db,
        borrowed(&checked.programs),
        targets,
        Making::kept(Mode::Build),
    );
    checked.diagnostics.extend(found);
    if diagnostics::has_errors(&checked.diagnostics) {
        templates.clear();
    }
    Ok((checked, templates))
}

/// Checks the entry files, then, when nothing failed, lowers and emits
/// each for each target (`targets`, or every target it can compile to)
/// for its diagnostics alone: everything `infra check` reports, with the
/// compilation kept (`Checked`).
pub fn analyse(
    paths: &[std::path::PathBuf],
    options: &Options,
    targets: &[ir::Target],
) -> Result<Checked, workspace::IoError> {
    let mut checked = check(paths, options)?;
    if !diagnostics::has_errors(&checked.diagnostics) {
        let found = target_diagnostics(&checked, targets);
        checked.diagnostics.extend(found);
    }
    Ok(checked)
}

/// What lowering and emitting each checked program for each target
/// (`targets`, or every target it can compile to) reports, the templates
/// dropped: the second half of [`analyse`], which the language server runs
/// after publishing what `check` found.
pub fn target_diagnostics(checked: &Checked, targets: &[ir::Target]) -> Vec<Diagnostic> {
    lower_and_emit(
        &checked.db,
        borrowed(&checked.programs),
        targets,
        Making::kept(Mode::Check),
    )
    .0
}

/// What a compilation makes of each program it lowers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Templates with their source maps and origins.
    Build,
    /// Only the diagnostics: each target is lowered and emitted for what
    /// it refuses, and the text is dropped at once, with no source map.
    Check,
    /// The templates alone, held to be printed (`infra build` without
    /// `-o`): no source map nor origins.
    Print,
}

/// What a compilation makes of each program, where its files go, and
/// whether the process ends once it is done.
#[derive(Clone, Copy)]
struct Making<'s> {
    mode: Mode,
    staging: Option<&'s workspace::Staging>,
    /// The process exits after this compilation: what it no longer needs
    /// is left for the exit to reclaim at once, not freed piece by piece.
    exiting: bool,
}

impl Making<'static> {
    /// A compilation whose caller goes on with what it made: nothing
    /// staged, nothing left to an exit.
    fn kept(mode: Mode) -> Self {
        Making {
            mode,
            staging: None,
            exiting: false,
        }
    }
}

/// Lowers and emits each checked program for each target (`targets`, or
/// every target it can compile to): the diagnostics, and in `Mode::Build`
/// the templates of the targets without errors.
///
/// Given the programs themselves (`P` a `Program`, not a reference), a
/// program compiled for one target is dropped once lowered, before its
/// template is emitted: emitting and mapping read only the IR and the
/// sources.
fn lower_and_emit<P: std::borrow::Borrow<sema::check::Program>>(
    db: &SourceDb,
    programs: impl IntoIterator<Item = (FileId, P)>,
    targets: &[ir::Target],
    making: Making<'_>,
) -> (Vec<Diagnostic>, Vec<Template>) {
    let mut templates = Vec::new();
    let mut found = Vec::new();
    let every_target = targets.is_empty();
    for (file, program) in programs {
        if !program.borrow().deploys() {
            continue;
        }
        let chosen = lower::targets_of(program.borrow(), targets, &mut found);
        if let [target] = chosen[..] {
            let (deployment, lowering) = lowered(program.borrow(), target, every_target);
            // Kept only for a split that may need the whole again.
            let kept = deployment
                .as_ref()
                .is_some_and(stacks::splits_early)
                .then_some(program);
            found.extend(lowering);
            if let Some(deployment) = deployment {
                let kept = kept.as_ref().map(|p| p.borrow());
                let (diagnostics, made) = emitted(db, file, deployment, kept, making);
                found.extend(diagnostics);
                templates.extend(made);
            }
            continue;
        }
        let program = program.borrow();
        let each = |&target: &ir::Target| {
            let (deployment, mut lowering) = lowered(program, target, every_target);
            let mut made = Vec::new();
            if let Some(deployment) = deployment {
                let (diagnostics, templates) = emitted(db, file, deployment, Some(program), making);
                lowering.extend(diagnostics);
                made = templates;
            }
            (lowering, made)
        };
        for (diagnostics, made) in on_every_core(chosen.iter().collect(), each) {
            found.extend(diagnostics);
            templates.extend(made);
        }
    }
    // A decision lowering takes alike for every target (a copy's name, say)
    // is reported once, not once per target.
    let mut seen = std::collections::HashSet::new();
    found.retain(|d| seen.insert((d.code.id, d.primary.span, d.message.clone())));
    (found, templates)
}

/// Each program with its file, borrowed.
fn borrowed(
    programs: &[(FileId, sema::check::Program)],
) -> impl Iterator<Item = (FileId, &sema::check::Program)> {
    programs.iter().map(|(file, program)| (*file, program))
}

thread_local! {
    /// Set while a thread runs items of `on_every_core`: what those share
    /// out in turn runs on that thread, every core being busy already.
    static SHARING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as running shared-out work until dropped.
struct Sharing {
    was: bool,
}

impl Sharing {
    fn enter() -> Sharing {
        Sharing {
            was: SHARING.replace(true),
        }
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        SHARING.set(self.was);
    }
}

/// `f`, with what it shares out (`on_every_core`) done on this thread
/// alone: for a caller whose other cores are busy already.
pub fn on_one_core<R>(f: impl FnOnce() -> R) -> R {
    let _alone = Sharing::enter();
    f()
}

/// `each` of `items`, taken, results in their order: the calling thread
/// and a thread for each other core (with the compiler's stack,
/// `STACK_SIZE`) take the next item in turn, and the threads end with the
/// last. Not a pool, whose idle workers spin a while after the work and
/// would keep the calling thread from its core. On the calling thread
/// alone for one item, or when called from an item of an outer call (a
/// directory of programs, one per core, each with its targets, each with
/// its nested stacks) or inside `on_one_core`.
pub(crate) fn on_every_core<T: Send, R: Send>(
    items: Vec<T>,
    each: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = items.len();
    let cores = match count > 1 && !SHARING.get() {
        true => std::thread::available_parallelism().map_or(1, |n| n.get()),
        false => 1,
    };
    if cores <= 1 {
        return items.into_iter().map(each).collect();
    }
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let _inside = Sharing::enter();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(i) else {
                return done;
            };
            let item = slot.lock().map(|mut s| s.take()).ok().flatten();
            if let Some(item) = item {
                done.push((i, each(item)));
            }
        }
    };
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..cores.min(count))
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut place = |done: Vec<(usize, R)>| {
            for (i, r) in done {
                results[i] = Some(r);
            }
        };
        place(work());
        for helper in helpers {
            match helper.join() {
                Ok(done) => place(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// One program lowered for one target: its diagnostics, and the
/// deployment to emit when nothing failed and there is one.
fn lowered(
    program: &sema::check::Program,
    target: ir::Target,
    every_target: bool,
) -> (Option<ir::Deployment>, Vec<Diagnostic>) {
    let (deployment, lowering) = lower::lower_within(program, target, program.budget);
    // Not asked for, a target a portable type has no form on is not
    // one the program can compile to: it is left out, as `infra
    // check` promises ("every target the program can compile to").
    let unsupported = lowering
        .iter()
        .any(|d| d.code.id == diagnostics::codes::E0501.id);
    if every_target && unsupported {
        return (None, Vec::new());
    }
    let failed = diagnostics::has_errors(&lowering);
    if failed || (deployment.resources.is_empty() && deployment.outputs.is_empty()) {
        return (None, lowering);
    }
    (Some(deployment), lowering)
}

/// A deployment of `file` emitted: its diagnostics, and in `Mode::Build`
/// its templates when nothing failed. `program`, where it is kept, makes
/// the deployment again for a split with an error (`stacks::split`).
fn emitted(
    db: &SourceDb,
    file: FileId,
    deployment: ir::Deployment,
    program: Option<&sema::check::Program>,
    making: Making<'_>,
) -> (Vec<Diagnostic>, Vec<Template>) {
    let Making {
        mode,
        staging,
        exiting,
    } = making;
    let target = deployment.target;
    let mut found = Vec::new();
    let mut templates = Vec::new();
    let stem = stem(db, file);
    // Each part's map is made as the part is, so that its IR is
    // dropped at once, and its files staged; `check` makes none.
    let finish = |stack: Option<&str>, d: &ir::Deployment, sections: &_, text| match mode {
        Mode::Build => Some(mapped(db, &stem, (stack, d, sections), text, staging)),
        Mode::Print => Some(Mapped::bare(text, d.resources.len())),
        Mode::Check => None,
    };
    let (deployment, members) = stacks::member_templates(deployment, &stem, &finish);
    // Lowering is deterministic: the same deployment again, for a split
    // with an error to be reported as the whole's.
    let whole_again = |program: &sema::check::Program| {
        let (deployment, _) = lower::lower_within(program, target, program.budget);
        stacks::member_templates(deployment, &stem, &|_, _, _, _| ()).0
    };
    let again = program.map(|program| move || whole_again(program));
    let again = again.as_ref().map(|f| f as &dyn Fn() -> ir::Deployment);
    // `check` reads only what the backends report of a template.
    let printing = match mode {
        Mode::Check => workspace::Printing::Dropped,
        Mode::Build | Mode::Print => workspace::Printing::from(staging),
    };
    let (mut parts, placing) =
        stacks::split(deployment, &stem, &finish, again, (printing, exiting));
    parts.extend(members);
    let failed = diagnostics::has_errors(&placing)
        || parts
            .iter()
            .any(|p| diagnostics::has_errors(&p.diagnostics));
    found.extend(placing);
    for part in parts {
        found.extend(part.diagnostics);
        if let Some(mapped) = part.finished.filter(|_| !failed) {
            templates.push(Template {
                file,
                target,
                stack: part.stack,
                text: mapped.text,
                resources: mapped.resources,
                origins: mapped.origins,
                map: mapped.map,
                staged: mapped.staged,
            });
        }
    }
    (found, templates)
}

/// What `build_each` reports and writes: the files its diagnostics and
/// templates name, the diagnostics, and the templates when nothing failed.
pub struct Built {
    pub db: SourceDb,
    pub diagnostics: Vec<Diagnostic>,
    pub templates: Vec<Template>,
}

/// One entry file compiled alone: what reports and output need of it.
struct Unit {
    db: SourceDb,
    checking: Vec<Diagnostic>,
    lowering: Vec<Diagnostic>,
    templates: Vec<Template>,
}

/// Compiles one entry file with its own sources, then drops all but what
/// its report and output need: the files its diagnostics and templates
/// name, not its trees, program or deployments.
fn compile_unit(
    path: &std::path::Path,
    options: &Options,
    targets: &[ir::Target],
    (mode, staging): (Mode, Option<&workspace::Staging>),
    alone: bool,
) -> Result<Unit, workspace::IoError> {
    let mut checked = check_for(&[path.to_path_buf()], options, targets)?;
    let source_bytes: usize = checked
        .files
        .iter()
        .map(|p| checked.db.text(p.file).len())
        .sum();
    let making = Making {
        mode,
        staging,
        exiting: options.exits_after && alone,
    };
    let left_to_exit = making.exiting && source_bytes <= LEFT_TO_EXIT_MAX_BYTES;
    // Lowering reads the checked program alone, and takes it.
    checked.graphs.clear();
    let programs = std::mem::take(&mut checked.programs);
    let (mut lowering, mut templates) = if diagnostics::has_errors(&checked.diagnostics) {
        (Vec::new(), Vec::new())
    } else if left_to_exit {
        let made = lower_and_emit(&checked.db, borrowed(&programs), targets, making);
        std::mem::forget(programs);
        made
    } else {
        lower_and_emit(&checked.db, programs, targets, making)
    };
    let mut checking = std::mem::take(&mut checked.diagnostics);
    let mut db = SourceDb::new();
    let mut kept = std::collections::HashMap::new();
    let files = checked.db.into_files();
    let mut keep = |file: &mut FileId| {
        *file = *kept
            .entry(*file)
            .or_insert_with(|| db.insert(files[file.0 as usize].clone()));
    };
    for t in &mut templates {
        keep(&mut t.file);
    }
    for d in checking.iter_mut().chain(&mut lowering) {
        d.for_each_span_mut(|span| keep(&mut span.file));
    }
    if left_to_exit {
        std::mem::forget((files, checked.files));
    }
    Ok(Unit {
        db,
        checking,
        lowering,
        templates,
    })
}

/// [`build`] for `infra check` and `infra build`: each entry file compiled
/// on its own, on every core, with its own sources, and dropped once done
/// but for what its report and output need, so that memory follows the
/// largest program rather than the sum. The diagnostics and templates come
/// in the order `build` gives them: every file's checks, then (when none
/// failed) every file's lowering and emitting. Given a `staging`, each
/// template and source map is written into it as soon as it is made
/// (`Template::staged`), for `Staging::place` once the build succeeded.
pub fn build_each(
    paths: &[std::path::PathBuf],
    options: &Options,
    targets: &[ir::Target],
    mode: Mode,
    staging: Option<&workspace::Staging>,
) -> Result<Built, workspace::IoError> {
    let alone = paths.len() == 1;
    let units = on_every_core(paths.iter().collect(), |path| {
        compile_unit(path, options, targets, (mode, staging), alone)
    });
    let mut db = SourceDb::new();
    let mut checking = Vec::new();
    let mut lowering = Vec::new();
    let mut templates = Vec::new();
    for unit in units {
        let mut unit = unit?;
        // Its files, after those of the units before it.
        let offset = db.len() as u32;
        for source in unit.db.into_files() {
            db.insert(source);
        }
        let mut shift = |span: &mut source::Span| span.file.0 += offset;
        for d in unit.checking.iter_mut().chain(&mut unit.lowering) {
            d.for_each_span_mut(&mut shift);
        }
        for t in &mut unit.templates {
            t.file.0 += offset;
        }
        checking.extend(unit.checking);
        lowering.extend(unit.lowering);
        templates.extend(unit.templates);
    }
    let mut diagnostics = checking;
    if !diagnostics::has_errors(&diagnostics) {
        diagnostics.extend(lowering);
    }
    if diagnostics::has_errors(&diagnostics) {
        templates.clear();
    }
    Ok(Built {
        db,
        diagnostics,
        templates,
    })
}

#[cfg(test)]
mod on_every_core_tests {
    use super::on_every_core;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    #[test]
    fn every_item_is_made_once_and_the_results_keep_their_order() {
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let made = on_every_core((0..200).collect(), |n: u64| {
            threads.lock().unwrap().insert(std::thread::current().id());
            // Uneven work, so that the threads take items out of turn.
            for _ in 0..(n % 7) * 10_000 {
                std::hint::black_box(n);
            }
            n * 2
        });
        assert_eq!(made, (0..200).map(|n| n * 2).collect::<Vec<u64>>());
        assert!(threads.lock().unwrap().len() <= cores());
    }

    #[test]
    fn what_an_item_or_on_one_core_shares_out_stays_on_its_thread() {
        let on_its_thread = |n: usize| {
            let me = std::thread::current().id();
            move || on_every_core(vec![0; n], |_: u8| std::thread::current().id() == me)
        };
        let outer = on_every_core(vec![0, 1, 2, 3], |_: u8| on_its_thread(8)());
        assert!(outer.concat().into_iter().all(|same| same));
        assert!(
            super::on_one_core(on_its_thread(50))
                .into_iter()
                .all(|same| same)
        );
        // Each thread is let go once done: sharing out is possible again.
        assert!(!super::SHARING.get());
    }

    #[test]
    fn a_panic_on_another_thread_reaches_the_caller() {
        if cores() < 2 {
            eprintln!("skipped: one core, no other thread");
            return;
        }
        let caller = std::thread::current().id();
        let helped = AtomicBool::new(false);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            on_every_core(vec![0, 1, 2, 3], |n| {
                if std::thread::current().id() != caller {
                    helped.store(true, Ordering::SeqCst);
                    panic!("on a helper");
                }
                // The caller keeps its item until a helper has taken one.
                let start = Instant::now();
                while !helped.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                n
            })
        }));
        assert!(helped.load(Ordering::SeqCst), "no helper thread ran");
        assert!(caught.is_err(), "the helper's panic was lost");
    }
}
