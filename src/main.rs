//! The `infra` command: the only place that prints or exits.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use infra::diagnostics::{self, Diagnostic, Severity, codes};
use infra::ir::Target;
use infra::source::SourceDb;
use infra::workspace::{self, IoError};

/// Compile typed, commented `.infra` programs into CloudFormation, Heat and
/// Terraform templates, checked before anything is deployed.
#[derive(Parser)]
#[command(name = "infra", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DiagnosticArgs {
    /// When to colour diagnostics (`NO_COLOR` is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(clap::Args, Clone)]
struct ParamArgs {
    /// Give a param its value at compile time (`--param env=production`);
    /// repeatable. Overrides `--params` and `INFRA_PARAM_<name>`.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    param: Vec<String>,
    /// A JSON object of param values; overrides `INFRA_PARAM_<name>`.
    #[arg(long = "params", value_name = "FILE")]
    params: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Check programs for errors without writing anything.
    #[command(
        after_help = "Examples:\n  infra check examples\n  infra check main.infra --message-format json"
    )]
    Check {
        /// Files, or directories searched for `*.infra`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Check for these targets only (default: every target each
        /// program can compile to).
        #[arg(long = "target", short = 't', value_name = "TARGET")]
        targets: Vec<String>,
        /// The Terraform provider(s) for `--target terraform`: aws, openstack.
        #[arg(long = "provider", value_name = "PROVIDER")]
        providers: Vec<String>,
        #[command(flatten)]
        params: ParamArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Compile programs into native templates.
    #[command(
        after_help = "Examples:\n  infra build main.infra --target cloudformation > stack.template.json\n  infra build examples -o out --target cloudformation --target heat --target terraform\n  infra build main.infra --target terraform --provider openstack -o out --param env=prod"
    )]
    Build {
        /// Files, or directories searched for `*.infra`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A target: cloudformation, heat, terraform (with --provider), or
        /// terraform-aws / terraform-openstack; repeatable.
        #[arg(long = "target", short = 't', required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// The Terraform provider(s) for `--target terraform`: aws, openstack.
        #[arg(long = "provider", value_name = "PROVIDER")]
        providers: Vec<String>,
        /// Write `NAME.template.json`, `NAME.hot.json`, `NAME.tf.json` here;
        /// without it, the one template goes to stdout.
        #[arg(long, short = 'o', value_name = "DIR")]
        out_dir: Option<PathBuf>,
        #[command(flatten)]
        params: ParamArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Compare a build with templates built earlier: what deploying it would
    /// add, remove, change and replace. Fails (exit 1) when a persistent
    /// resource would be deleted or replaced, unless allowed by name.
    #[command(
        after_help = "Examples:\n  infra build main.infra -t cloudformation -o deployed\n  infra diff --against deployed main.infra -t cloudformation\n  infra diff --against deployed main.infra -t cloudformation --allow-replace db --format json"
    )]
    Diff {
        /// Files, or directories searched for `*.infra`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The directory an earlier `infra build -o` wrote, with the same
        /// targets.
        #[arg(long, value_name = "OLD_DIR")]
        against: PathBuf,
        /// A target: cloudformation, heat, terraform (with --provider), or
        /// terraform-aws / terraform-openstack; repeatable.
        #[arg(long = "target", short = 't', required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// The Terraform provider(s) for `--target terraform`: aws, openstack.
        #[arg(long = "provider", value_name = "PROVIDER")]
        providers: Vec<String>,
        /// Accept the deletion or replacement of this resource: a
        /// template's name of it or the program's resource name; repeatable.
        #[arg(long = "allow-replace", value_name = "NAME")]
        allow_replace: Vec<String>,
        /// A table per template, or one JSON document.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
        #[command(flatten)]
        params: ParamArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Draw the dependency graph of a program, with each resource's state class.
    #[command(
        after_help = "Examples:\n  infra graph examples/three_tier.infra --format dot | dot -Tsvg > graph.svg\n  infra graph main.infra --format mermaid"
    )]
    Graph {
        /// One program file.
        path: PathBuf,
        /// Graphviz DOT, a Mermaid flowchart, or JSON.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        #[command(flatten)]
        params: ParamArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Format programs in the canonical layout.
    #[command(after_help = "Examples:\n  infra fmt examples\n  infra fmt --check .")]
    Fmt {
        /// Files, or directories searched for `*.infra`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Find where the program declares a name a tool reports: a
    /// CloudFormation logical id, a Heat resource name, a Terraform address,
    /// a param, output or condition of a template `infra build -o DIR`
    /// wrote. Exit 1 when no template of DIR has it.
    #[command(
        after_help = "Examples:\n  infra where out DbInstance\n  infra where out 'aws_ebs_volume.vol_logs[0]'\n  infra where out env --format json"
    )]
    Where {
        /// The directory `infra build -o` wrote, with its source maps
        /// (`*.map.json`, in `aws/` and `openstack/` too).
        dir: PathBuf,
        /// The name as the tool shows it.
        id: String,
        /// Human-readable locations, or the matching map entries as JSON.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
    },
    /// Explain a diagnostic code, with an example and the fix.
    #[command(after_help = "Example:\n  infra explain E0001")]
    Explain {
        /// A code such as `E0001`.
        code: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
    Sarif,
}

const EXIT_ERRORS: u8 = 1;
const EXIT_USAGE: u8 = 2;

// The compiler allocates many small trees; mimalloc is faster at that than
// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Deeply nested input is refused by the parser, but the refusal itself
    // needs headroom: run the compiler on a thread with a large stack.
    let worker = std::thread::Builder::new()
        .name("infra".into())
        .stack_size(infra::STACK_SIZE)
        .spawn(run);
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal compiler error (please report this)");
            ExitCode::from(101)
        }
    }
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Check {
            paths,
            targets,
            providers,
            params,
            diagnostics,
        } => check(&paths, &targets, &providers, &params, &diagnostics),
        Command::Build {
            paths,
            targets,
            providers,
            out_dir,
            params,
            diagnostics,
        } => build(
            &paths,
            &targets,
            &providers,
            out_dir.as_deref(),
            &params,
            &diagnostics,
        ),
        Command::Diff {
            paths,
            against,
            targets,
            providers,
            allow_replace,
            format,
            params,
            diagnostics,
        } => diff(
            &paths,
            &against,
            &targets,
            &providers,
            &allow_replace,
            format,
            &params,
            &diagnostics,
        ),
        Command::Graph {
            path,
            format,
            params,
            diagnostics,
        } => graph(&path, format, &params, &diagnostics),
        Command::Fmt {
            paths,
            check,
            diagnostics,
        } => fmt(&paths, check, &diagnostics),
        Command::Where { dir, id, format } => where_(&dir, &id, format),
        Command::Explain { code } => explain(&code),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A failure of the command itself: exit status 2.
enum UsageError {
    Io(IoError),
    Params(String),
    Diff(infra::diff::DiffError),
    Where(infra::sourcemap::WhereError),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::Io(error) => error.fmt(f),
            UsageError::Params(message) => f.write_str(message),
            UsageError::Diff(error) => error.fmt(f),
            UsageError::Where(error) => error.fmt(f),
        }
    }
}

impl From<infra::diff::DiffError> for UsageError {
    fn from(error: infra::diff::DiffError) -> UsageError {
        UsageError::Diff(error)
    }
}

impl From<infra::sourcemap::WhereError> for UsageError {
    fn from(error: infra::sourcemap::WhereError) -> UsageError {
        UsageError::Where(error)
    }
}

impl From<IoError> for UsageError {
    fn from(error: IoError) -> UsageError {
        UsageError::Io(error)
    }
}

fn options(params: &ParamArgs) -> Result<infra::Options, UsageError> {
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let params = infra::params::gather(&params.param, params.params.as_deref(), env)
        .map_err(UsageError::Params)?;
    Ok(infra::Options {
        params,
        keep_types: false,
    })
}

/// Targets from `--target` and `--provider`.
fn parse_targets(targets: &[String], providers: &[String]) -> Result<Vec<Target>, UsageError> {
    // `--provider` only expands `--target terraform`: anywhere else it would
    // be ignored, and the user would get templates for a provider they did
    // not ask for (or none at all).
    if !providers.is_empty() && !targets.iter().any(|t| t == "terraform") {
        let given = providers
            .iter()
            .map(|p| format!("--provider {p}"))
            .collect::<Vec<_>>()
            .join(" ");
        let given_targets = if targets.is_empty() {
            "no `--target` at all".to_string()
        } else {
            format!("the targets given: {}", targets.join(", "))
        };
        return Err(UsageError::Params(format!(
            "`--provider` applies only to `--target terraform`, which is not given ({given_targets}): add `--target terraform`, or drop `{given}`"
        )));
    }
    let mut out = Vec::new();
    let mut push = |t: Target| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for target in targets {
        if let Some(t) = Target::from_name(target) {
            push(t);
            continue;
        }
        if target != "terraform" {
            let known = Target::NAMES.iter().copied().chain(["terraform"]);
            let hint = infra::suggest::best_match(target, known)
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            return Err(UsageError::Params(format!(
                "unknown target `{target}`: the targets are cloudformation, heat and terraform{hint}"
            )));
        }
        if providers.is_empty() {
            return Err(UsageError::Params(
                "`--target terraform` needs `--provider aws` or `--provider openstack`".into(),
            ));
        }
        for provider in providers {
            match Target::terraform(provider) {
                Some(t) => push(t),
                None => {
                    return Err(UsageError::Params(format!(
                        "unknown provider `{provider}`: the providers are aws and openstack"
                    )));
                }
            }
        }
    }
    Ok(out)
}

fn check(
    paths: &[PathBuf],
    targets: &[String],
    providers: &[String],
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<u8, UsageError> {
    let options = options(params)?;
    let targets = parse_targets(targets, providers)?;
    let inputs = workspace::expand(paths)?;
    let (checked, templates) = infra::build(&inputs, &options, &targets)?;
    let status = report(&checked.db, &checked.diagnostics, args);
    exit_without_freeing((checked, templates));
    Ok(status)
}

/// The process is about to exit: freeing a large compilation's trees one by
/// one would only delay that.
fn exit_without_freeing<T>(compilation: T) {
    std::mem::forget(compilation);
}

/// The templates `paths` build to, with their diagnostics reported; the
/// exit status instead when there were errors. `what` is what the command
/// does with them, for the message when no file deploys anything.
fn built(
    paths: &[PathBuf],
    options: &infra::Options,
    targets: &[Target],
    args: &DiagnosticArgs,
    what: &str,
) -> Result<Result<(infra::Checked, Vec<infra::Template>), u8>, UsageError> {
    let inputs = workspace::expand(paths)?;
    let (checked, templates) = infra::build(&inputs, options, targets)?;
    let status = report(&checked.db, &checked.diagnostics, args);
    if status != 0 {
        exit_without_freeing((checked, templates));
        return Ok(Err(status));
    }
    // Only files of components, types and lets: libraries, built through
    // the files that import them.
    if templates.is_empty() {
        return Err(UsageError::Params(format!(
            "nothing to {what}: no file given declares a resource or an output (a file of components is built through the files that import it)"
        )));
    }
    Ok(Ok((checked, templates)))
}

fn build(
    paths: &[PathBuf],
    targets: &[String],
    providers: &[String],
    out_dir: Option<&std::path::Path>,
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<u8, UsageError> {
    let options = options(params)?;
    let targets = parse_targets(targets, providers)?;
    let (checked, templates) = match built(paths, &options, &targets, args, "build")? {
        Ok(built) => built,
        Err(status) => return Ok(status),
    };
    let rendered: Vec<(PathBuf, &[u8])> = infra::output_names(&checked.db, &templates)
        .into_iter()
        .zip(&templates)
        .map(|(name, t)| (PathBuf::from(name), t.text.as_bytes()))
        .collect();
    // Each template's source map, beside it.
    let maps: Vec<(PathBuf, &[u8])> = (rendered.iter().zip(&templates))
        .map(|((path, _), t)| (infra::sourcemap::map_path(path), t.map.as_bytes()))
        .collect();
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|error| IoError {
                path: dir.to_path_buf(),
                action: "create directory",
                error,
            })?;
            for (name, bytes) in rendered.iter().chain(&maps) {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|error| IoError {
                        path: parent.to_path_buf(),
                        action: "create directory",
                        error,
                    })?;
                }
                workspace::write_atomic(&path, bytes)?;
            }
        }
        None => match rendered.as_slice() {
            [(_, bytes)] => {
                let _ = std::io::stdout().write_all(bytes);
            }
            _ => {
                return Err(UsageError::Params(format!(
                    "{} templates were built: give `-o DIR` to write them",
                    rendered.len()
                )));
            }
        },
    }
    drop((rendered, maps));
    exit_without_freeing((checked, templates));
    Ok(0)
}

#[allow(clippy::too_many_arguments)]
fn diff(
    paths: &[PathBuf],
    against: &std::path::Path,
    targets: &[String],
    providers: &[String],
    allow: &[String],
    format: ReportFormat,
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<u8, UsageError> {
    let options = options(params)?;
    let targets = parse_targets(targets, providers)?;
    // Before building: a missing directory needs no compilation to report.
    if !against.is_dir() {
        let error = std::fs::metadata(against)
            .err()
            .unwrap_or_else(|| std::io::Error::other("not a directory"));
        return Err(UsageError::Io(IoError {
            path: against.to_path_buf(),
            action: "read directory",
            error,
        }));
    }
    let (checked, templates) = match built(paths, &options, &targets, args, "compare")? {
        Ok(built) => built,
        Err(status) => return Ok(status),
    };
    let found = infra::diff::against(against, &checked, &templates, allow)?;
    match format {
        ReportFormat::Human => {
            let (table, messages) = infra::diff::human(&found);
            let _ = std::io::stdout().write_all(table.as_bytes());
            let _ = std::io::stderr().write_all(messages.as_bytes());
        }
        ReportFormat::Json => {
            let _ = std::io::stdout().write_all(infra::diff::json(&found).as_bytes());
        }
    }
    exit_without_freeing((checked, templates));
    Ok(if found.blocked() { EXIT_ERRORS } else { 0 })
}

fn graph(
    path: &std::path::Path,
    format: GraphFormat,
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<u8, UsageError> {
    let options = options(params)?;
    let checked = infra::check(&[path.to_path_buf()], &options)?;
    let status = report(&checked.db, &checked.diagnostics, args);
    if status != 0 {
        return Ok(status);
    }
    let format = match format {
        GraphFormat::Dot => infra::graph::Format::Dot,
        GraphFormat::Mermaid => infra::graph::Format::Mermaid,
        GraphFormat::Json => infra::graph::Format::Json,
    };
    if let Some((_, graph)) = checked.graphs.first() {
        let _ = std::io::stdout().write_all(infra::graph::render(graph, format).as_bytes());
    }
    Ok(0)
}

fn fmt(paths: &[PathBuf], check_only: bool, args: &DiagnosticArgs) -> Result<u8, UsageError> {
    let inputs = workspace::expand(paths)?;
    let checked = infra::parse_files(&inputs)?;
    let syntax_errors: Vec<Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !syntax_errors.is_empty() {
        // Formatting a file that does not parse could lose text: refuse.
        return Ok(report(&checked.db, &syntax_errors, args));
    }
    let mut unformatted = 0;
    for parsed in &checked.files {
        let text = checked.db.text(parsed.file);
        let formatted = infra::fmt::format(&parsed.ast, text);
        if formatted == text {
            continue;
        }
        unformatted += 1;
        let path = checked.db.get(parsed.file).path.clone().unwrap_or_default();
        if check_only {
            out(&format!("{} is not formatted", path.display()));
        } else {
            workspace::write_atomic(&path, formatted.as_bytes())?;
            out(&format!("formatted {}", path.display()));
        }
    }
    Ok(if check_only && unformatted > 0 {
        EXIT_ERRORS
    } else {
        0
    })
}

/// `infra where DIR ID`: each entry of DIR's source maps that ID names.
fn where_(dir: &std::path::Path, id: &str, format: ReportFormat) -> Result<u8, UsageError> {
    let maps = infra::sourcemap::read_maps(dir)?;
    let hits = infra::sourcemap::find(&maps, id);
    if hits.is_empty() {
        let near = infra::sourcemap::closest(&maps, id);
        let hint = match near.as_slice() {
            [] => String::new(),
            names => format!(
                "; did you mean {}?",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        };
        eprintln!(
            "error: no template in `{}` has a resource, param, output or condition `{id}`{hint}",
            dir.display()
        );
        return Ok(EXIT_ERRORS);
    }
    let text = match format {
        ReportFormat::Human => infra::sourcemap::human(&hits, &read_source),
        ReportFormat::Json => infra::sourcemap::json(&hits),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(0)
}

/// The text of a file a source map names: a user's file as the build read
/// it (relative to the directory it ran in), or a stdlib module.
fn read_source(name: &str) -> Option<String> {
    if let Some(path) = name
        .strip_prefix("<stdlib/")
        .and_then(|n| n.strip_suffix('>'))
    {
        return infra::stdlib::source(path);
    }
    std::fs::read_to_string(name).ok()
}

fn explain(code: &str) -> Result<u8, UsageError> {
    match codes::find(code) {
        Some(code) => {
            let _ = std::io::stdout().write_all(code.explanation.as_bytes());
            Ok(0)
        }
        None => {
            let ids = codes::ALL.iter().map(|c| c.id);
            match infra::suggest::best_match(&code.to_uppercase(), ids) {
                Some(near) => {
                    eprintln!("error: no diagnostic code `{code}`; did you mean `{near}`?")
                }
                None => eprintln!("error: no diagnostic code `{code}`"),
            }
            Ok(EXIT_USAGE)
        }
    }
}

/// One line on stdout; a closed pipe (`infra fmt --check | head`) is not an error.
fn out(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Prints diagnostics in the chosen format and returns the exit status.
fn report(db: &SourceDb, found: &[Diagnostic], args: &DiagnosticArgs) -> u8 {
    let mut stderr = std::io::stderr().lock();
    let text = match args.message_format {
        MessageFormat::Human => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::io::stderr().is_terminal()
                }
            };
            let mut text = diagnostics::render::human(db, found, color);
            if let Some(summary) = diagnostics::render::summary(found) {
                text.push_str(&summary);
                text.push('\n');
            }
            text
        }
        MessageFormat::Json => diagnostics::json::lines(db, found),
        MessageFormat::Sarif => diagnostics::sarif::report(db, found),
    };
    let _ = stderr.write_all(text.as_bytes());
    let failing = found.iter().any(|d| {
        d.severity == Severity::Error || (args.deny_warnings && d.severity == Severity::Warning)
    });
    if failing { EXIT_ERRORS } else { 0 }
}
