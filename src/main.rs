//! The `infra` command: the only place that prints or exits.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod cli;

use infra::diagnostics::{self, Diagnostic, Severity, codes};
use infra::ir::Target;
use infra::levels::{Level, Levels};
use infra::source::SourceDb;
use infra::workspace::{self, IoError};

/// Compile typed, commented `.infra` programs into CloudFormation, Heat and
/// Terraform templates, checked before anything is deployed.
#[derive(Parser)]
#[command(name = "infra", version = env!("INFRA_VERSION"), about, max_term_width = 100)]
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
    /// Report nothing of this code (a warning or note); repeatable.
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Report this code with its own severity, whatever `infra.toml` says;
    /// repeatable.
    #[arg(long, value_name = "CODE")]
    warn: Vec<String>,
    /// Make this code, or every warning (`--deny warnings`), an error that
    /// fails the command; repeatable. Notes are not warnings.
    #[arg(long, value_name = "CODE|warnings")]
    deny: Vec<String>,
    /// The same as `--deny warnings`.
    #[arg(long, hide = true)]
    deny_warnings: bool,
    /// Write the report (in the chosen `--message-format`, failures of the
    /// command included) to this file instead of standard output or error.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
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
    /// The environment of `infra.toml` whose params (`[env.NAME.params]`)
    /// and output directory are used.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
}

// Deferred: each subcommand's arguments are built only when it is the one
// run (or for completions and manual pages), not all of them on every run.
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    /// Check programs for errors without writing anything.
    #[command(
        after_help = "Examples:\n  infra check examples\n  infra check examples --deny warnings\n  infra check examples --message-format sarif > report.sarif\n\nWithout PATH, the entry files of the nearest infra.toml."
    )]
    Check {
        /// Files, or directories searched for `*.infra` (default: the
        /// entry files of the nearest `infra.toml`).
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
        /// Check again each time a `.infra` file or `infra.toml` under the
        /// paths (or the project) is saved; stop with Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Compile programs into native templates.
    #[command(
        after_help = "Examples:\n  infra build examples/static_site.infra --target cloudformation > stack.template.json\n  infra build examples/three_tier.infra -o out --target cloudformation --target heat --target terraform --provider aws\n  infra build examples/three_tier.infra --target terraform --provider openstack -o out/openstack --param env=production\n\nWithout PATH, the entry files of the nearest infra.toml, for its targets, into its out_dir."
    )]
    Build {
        /// Files, or directories searched for `*.infra` (default: the
        /// entry files of the nearest `infra.toml`).
        paths: Vec<PathBuf>,
        /// A target: cloudformation, heat, terraform (with --provider), or
        /// terraform-aws / terraform-openstack; repeatable (default: the
        /// targets of `infra.toml`).
        #[arg(long = "target", short = 't', value_name = "TARGET")]
        targets: Vec<String>,
        /// The Terraform provider(s) for `--target terraform`: aws, openstack.
        #[arg(long = "provider", value_name = "PROVIDER")]
        providers: Vec<String>,
        /// Write `NAME.template.json`, `NAME.hot.json`, `NAME.tf.json` here
        /// (default: `out_dir` of `infra.toml`); without it, the one
        /// template goes to stdout.
        #[arg(long, short = 'o', value_name = "DIR")]
        out_dir: Option<PathBuf>,
        #[command(flatten)]
        params: ParamArgs,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
        /// Build again each time a `.infra` file or `infra.toml` under the
        /// paths (or the project) is saved; stop with Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Compare a build with templates built earlier: what deploying it would
    /// add, remove, change and replace. Fails (exit 1) when a persistent
    /// resource would be deleted or replaced, unless allowed by name.
    #[command(
        after_help = "Examples:\n  infra build examples/three_tier.infra -t cloudformation -o deployed\n  infra diff --against deployed examples/three_tier.infra -t cloudformation\n  infra diff --against deployed examples/three_tier.infra -t cloudformation --allow-replace db --format json"
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
        after_help = "Examples:\n  infra graph examples/three_tier.infra --format dot > graph.dot\n  infra graph examples/three_tier.infra --format mermaid"
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
    #[command(
        after_help = "Examples:\n  infra fmt examples\n  infra fmt --check .\n  infra fmt --diff examples\n  echo 'let  x=1' | infra fmt -"
    )]
    Fmt {
        /// Files, or directories searched for `*.infra`; `-` formats
        /// standard input to standard output.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
        /// Change nothing; print what formatting would change as a unified
        /// diff, and exit 1 if a file is not formatted.
        #[arg(long)]
        diff: bool,
        #[command(flatten)]
        diagnostics: DiagnosticArgs,
    },
    /// Find where the program declares a name a tool reports: a
    /// CloudFormation logical id, a Heat resource name, a Terraform address,
    /// a param, output or condition of a template `infra build -o DIR`
    /// wrote. Exit 1 when no template of DIR has it.
    #[command(
        after_help = "Examples (after the examples of `infra build --help`):\n  infra where out DbInstance\n  infra where out 'aws_instance.web_0'\n  infra where out env --format json"
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
    /// Show the documentation of a portable or native type from the
    /// embedded stdlib: params or properties, attributes, and what a
    /// portable type becomes on each target.
    #[command(
        after_help = "Examples:\n  infra doc compute.Server\n  infra doc AWS::EC2::Instance\n  infra doc OS::Nova::Server"
    )]
    Doc {
        /// `namespace.Name` (portable), or a native type as its target
        /// spells it.
        name: String,
    },
    /// Print a completion script for a shell.
    #[command(
        after_help = "Examples:\n  infra completions bash > /dev/null\n\nInstall: `infra completions bash > ~/.local/share/bash-completion/completions/infra`;\nzsh: `infra completions zsh > ~/.zfunc/_infra`."
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man`.
    #[command(
        after_help = "Examples:\n  infra man > infra.1\n\nInstall: `infra man > ~/.local/share/man/man1/infra.1`, then `man infra`."
    )]
    Man,
    /// Serve the Language Server Protocol over stdin and stdout, for
    /// editors: diagnostics, hover, completion, definitions, references,
    /// rename, symbols, formatting, folding and fixes.
    #[command(
        after_help = "Examples:\n  infra lsp\n\nStarted by an editor, not by hand: see docs/editors.md."
    )]
    Lsp,
    /// Explain a diagnostic code, with an example and the fix.
    #[command(after_help = "Examples:\n  infra explain E0001\n  infra explain --list")]
    Explain {
        /// A code such as `E0001`.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its severity and title.
        #[arg(long, conflicts_with = "code")]
        list: bool,
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
/// A panic: an internal compiler error.
const EXIT_INTERNAL: u8 = 101;

// The compiler allocates many small trees; mimalloc is faster at that than
// the system allocator.
#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, asked for a plain block wherever one is aligned enough.
/// `mimalloc::MiMalloc` asks for an aligned block every time, whose entry
/// point costs a build about 3% more instructions to reach the same
/// block: nearly every allocation needs no more than a plain one gives.
/// A large block (a growing list of every resource, a whole template) is
/// mapped from the kernel on its own, so that growing it moves its pages
/// (`mremap`) instead of copying them: mimalloc copies into a new block and
/// keeps the old one's pages a while, which at 50,000 resources is a fifth
/// of a build's peak memory.
struct Allocator;

/// Whether a plain block of mimalloc's has `layout`'s alignment: at most 16
/// and at most the size, the rule mimalloc applies itself
/// (`mi_malloc_is_naturally_aligned`).
fn plain(align: usize, size: usize) -> bool {
    align <= 16 && align <= size
}

/// Blocks of this size and up are mapped on their own (Linux).
const MAPPED_FROM: usize = 1 << 20;

/// Whether a block of this alignment and size is mapped on its own: the
/// same answer for its allocation, its growth and its release, which all
/// know its size.
fn mapped(align: usize, size: usize) -> bool {
    cfg!(target_os = "linux") && size >= MAPPED_FROM && align <= 4096
}

#[cfg(target_os = "linux")]
mod mapping {
    pub unsafe fn map(size: usize) -> *mut u8 {
        or_null(unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        })
    }

    pub unsafe fn unmap(ptr: *mut u8, size: usize) {
        unsafe { libc::munmap(ptr.cast(), size) };
    }

    pub unsafe fn remap(ptr: *mut u8, size: usize, new_size: usize) -> *mut u8 {
        or_null(unsafe { libc::mremap(ptr.cast(), size, new_size, libc::MREMAP_MAYMOVE) })
    }

    /// A mapping's address, null where it failed (as `GlobalAlloc` says).
    fn or_null(p: *mut libc::c_void) -> *mut u8 {
        match p == libc::MAP_FAILED {
            true => std::ptr::null_mut(),
            false => p.cast(),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod mapping {
    pub unsafe fn map(_: usize) -> *mut u8 {
        unreachable!("blocks are mapped on Linux only")
    }
    pub unsafe fn unmap(_: *mut u8, _: usize) {
        unreachable!("blocks are mapped on Linux only")
    }
    pub unsafe fn remap(_: *mut u8, _: usize, _: usize) -> *mut u8 {
        unreachable!("blocks are mapped on Linux only")
    }
}

// SAFETY: a block is mapped exactly when `mapped` holds of its layout,
// which its release and growth are given too; every other block goes to
// mimalloc, plain only where `plain` holds, and is freed by `mi_free`.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if mapped(layout.align(), layout.size()) {
            unsafe { mapping::map(layout.size()) }
        } else if plain(layout.align(), layout.size()) {
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if mapped(layout.align(), layout.size()) {
            // The kernel's fresh pages are zeroed.
            unsafe { mapping::map(layout.size()) }
        } else if plain(layout.align(), layout.size()) {
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if mapped(layout.align(), layout.size()) {
            unsafe { mapping::unmap(ptr, layout.size()) }
        } else {
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let (was, will) = (
            mapped(layout.align(), layout.size()),
            mapped(layout.align(), new_size),
        );
        if was && will {
            return unsafe { mapping::remap(ptr, layout.size(), new_size) };
        }
        if was || will {
            // Across the threshold: a new block, the bytes both hold copied.
            let new_layout =
                unsafe { std::alloc::Layout::from_size_align_unchecked(new_size, layout.align()) };
            let new = unsafe { self.alloc(new_layout) };
            if !new.is_null() {
                unsafe {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            return new;
        }
        if plain(layout.align(), new_size) {
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

fn main() {
    infra::without_huge_pages();
    // Deeply nested input is refused by the parser, but the refusal itself
    // needs headroom: the compiler runs on a large stack of its own, on
    // this thread. On a thread of its own, a small build took a seventh
    // longer.
    let code = match std::panic::catch_unwind(|| stacker::grow(infra::STACK_SIZE, run)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("error: internal compiler error (please report this)");
            EXIT_INTERNAL
        }
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // Every file is written and closed, and the output flushed: the rest
    // of an exit is the allocator giving its memory back to the kernel
    // page by page (at 50,000 resources, 2-4% of a build), which the
    // kernel does at once for a process that ends.
    unsafe { libc::_exit(code.into()) }
}

/// Where diagnostics go and how, chosen once per run from the command line.
struct Sink {
    format: MessageFormat,
    /// `--output FILE`: the report goes there, whatever its format.
    output: Option<PathBuf>,
    /// Machine-readable formats go to stdout when the command prints nothing
    /// else there (`check`, `build -o`), so `> report.sarif` captures them;
    /// else to stderr. Human text always goes to stderr.
    machine_on_stdout: bool,
}

static SINK: std::sync::OnceLock<Sink> = std::sync::OnceLock::new();

/// The run's SARIF log, printed once at its end with any failure of the
/// command itself added: one run, one log.
static SARIF_LOG: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn sink() -> &'static Sink {
    SINK.get_or_init(|| Sink {
        format: MessageFormat::Human,
        output: None,
        machine_on_stdout: false,
    })
}

/// The sink of a command line clap could not parse, from its words: the
/// failure is reported in the format asked for where it can be found.
fn sink_of_words() -> Sink {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let words = &words;
    // The values of `--FLAG VALUE` and `--FLAG=VALUE`, in order.
    let values = |flag: &'static str| {
        words
            .iter()
            .enumerate()
            .filter_map(move |(i, word)| match word.strip_prefix(flag)? {
                "" => words.get(i + 1).map(String::as_str),
                rest => rest.strip_prefix('='),
            })
    };
    let format = values("--message-format")
        .filter_map(|v| MessageFormat::from_str(v, false).ok())
        .next_back()
        .unwrap_or(MessageFormat::Human);
    let output = values("--output").next().map(PathBuf::from);
    let command = words.iter().find(|w| !w.starts_with('-'));
    let out_dir = words
        .iter()
        .any(|w| w == "-o" || w.starts_with("--out-dir") || w.starts_with("-o"));
    Sink {
        format,
        output,
        machine_on_stdout: match command.map(String::as_str) {
            Some("check") => true,
            Some("build") => out_dir,
            _ => false,
        },
    }
}

fn sink_of(command: &Command) -> Sink {
    let (args, machine_on_stdout) = match command {
        Command::Check { diagnostics, .. } => (Some(diagnostics), true),
        Command::Build {
            diagnostics,
            out_dir,
            paths,
            params,
            ..
        } => {
            // The output directory may come from the project file.
            let project_out = || match cli::project::find(paths) {
                Ok(Some(found)) => found.out_dir(params.env.as_deref()).is_some(),
                _ => false,
            };
            (Some(diagnostics), out_dir.is_some() || project_out())
        }
        Command::Diff { diagnostics, .. }
        | Command::Graph { diagnostics, .. }
        | Command::Fmt { diagnostics, .. } => (Some(diagnostics), false),
        Command::Where { .. }
        | Command::Explain { .. }
        | Command::Completions { .. }
        | Command::Doc { .. }
        | Command::Lsp
        | Command::Man => (None, false),
    };
    Sink {
        format: args.map_or(MessageFormat::Human, |a| a.message_format),
        output: args.and_then(|a| a.output.clone()),
        machine_on_stdout,
    }
}

/// The file `--output` names, created (emptied) at the first report.
static OUTPUT: std::sync::Mutex<Option<std::fs::File>> = std::sync::Mutex::new(None);

/// Writes diagnostics text to the stream its format goes to, or to the
/// `--output` file.
fn emit(text: &str) {
    let sink = sink();
    if let Some(path) = &sink.output {
        let mut file = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            match std::fs::File::create(path) {
                Ok(created) => *file = Some(created),
                Err(error) => {
                    let name = path.display().to_string();
                    let shown = diagnostics::render::escape_controls(&name);
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "error: cannot write `{shown}`: {error}"
                    );
                }
            }
        }
        if let Some(file) = file.as_mut() {
            if let Err(error) = file.write_all(text.as_bytes()) {
                unwritten(format!("`{}`", path.display()), error);
            }
            return;
        }
    }
    let (written, place) = if sink.format != MessageFormat::Human && sink.machine_on_stdout {
        (std::io::stdout().lock().write_all(text.as_bytes()), STDOUT)
    } else {
        (
            std::io::stderr().lock().write_all(text.as_bytes()),
            "standard error",
        )
    };
    if let Err(error) = written {
        unwritten(place.to_string(), error);
    }
}

const STDOUT: &str = "standard output";

/// What a failed write to `place` says.
fn cannot_write(place: &str, error: &std::io::Error) -> String {
    format!("cannot write to {place}: {error}")
}

/// The first report or output line that could not be written, and where
/// it went: the command then fails (exit 2) rather than pass for one whose
/// report was read whole.
static UNWRITTEN: std::sync::Mutex<Option<(String, std::io::Error)>> = std::sync::Mutex::new(None);

/// Notes a write to `place` that failed, unless its reader left (`| head`).
fn unwritten(place: String, error: std::io::Error) {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return;
    }
    let mut first = UNWRITTEN.lock().unwrap_or_else(|e| e.into_inner());
    if first.is_none() {
        *first = Some((place, error));
    }
}

/// Reports a failure of the command itself (exit status 2) in the chosen
/// format, with its code when it has one (an input refused for what it is).
fn fail(message: &str) {
    fail_with(message, None)
}

fn fail_with(message: &str, code: Option<&'static diagnostics::Code>) {
    match sink().format {
        MessageFormat::Human => {
            let message = diagnostics::render::escape_controls(message);
            let code = code.map(|c| format!("[{}]", c.id)).unwrap_or_default();
            emit(&format!("error{code}: {message}\n"));
        }
        MessageFormat::Json => emit(&diagnostics::json::failure(message, code)),
        MessageFormat::Sarif => {
            let mut log = SARIF_LOG.lock().unwrap_or_else(|e| e.into_inner());
            let base = log
                .take()
                .unwrap_or_else(|| diagnostics::sarif::report(&SourceDb::new(), &[]));
            *log = Some(diagnostics::sarif::with_failure(&base, message));
        }
    }
}

/// Prints the run's SARIF log, if it has one.
fn flush_sarif() {
    let log = SARIF_LOG.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(log) = log {
        emit(&log);
    }
}

fn run() -> u8 {
    let code = run_command();
    flush_sarif();
    // What a report left in stdout's buffer (the `--output` file has none).
    if let Err(error) = std::io::stdout().flush() {
        unwritten(STDOUT.to_string(), error);
    }
    let failed = UNWRITTEN.lock().unwrap_or_else(|e| e.into_inner()).take();
    match failed {
        Some((place, error)) => {
            let place = diagnostics::render::escape_controls(&place);
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: {}",
                cannot_write(&place, &error)
            );
            code.max(EXIT_USAGE)
        }
        None => code,
    }
}

fn run_command() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            if !error.use_stderr() {
                let _ = error.print();
                return 0;
            }
            let sink = SINK.get_or_init(sink_of_words);
            if sink.format == MessageFormat::Human {
                let _ = error.print();
            } else {
                let text = error.render().to_string();
                fail(text.strip_prefix("error: ").unwrap_or(&text).trim_end());
            }
            return EXIT_USAGE;
        }
    };
    let _ = SINK.set(sink_of(&cli.command));
    let result = match cli.command {
        Command::Check {
            paths,
            targets,
            providers,
            params,
            diagnostics,
            watch,
        } => watching(watch, &paths, || {
            check(&paths, &targets, &providers, &params, &diagnostics)
        }),
        Command::Build {
            paths,
            targets,
            providers,
            out_dir,
            params,
            diagnostics,
            watch,
        } => watching(watch, &paths, || {
            build(
                &paths,
                &targets,
                &providers,
                out_dir.as_deref(),
                &params,
                &diagnostics,
            )
        }),
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
            diff,
            diagnostics,
        } => fmt(&paths, FmtMode::of(check, diff), &diagnostics),
        Command::Where { dir, id, format } => where_(&dir, &id, format),
        Command::Doc { name } => match infra::doc::page(&name) {
            Ok(page) => print(page.as_bytes()).map(|()| 0),
            Err(message) => Err(UsageError::Params(message)),
        },
        Command::Lsp => Ok(infra::lsp::run()),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "infra", &mut text);
            print(&text).map(|()| 0)
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut text = Vec::new();
            // Rendering into memory cannot fail.
            let _ = clap_mangen::Man::new(Cli::command()).render(&mut text);
            print(&text).map(|()| 0)
        }
        Command::Explain { code, list } => match code {
            Some(code) if !list => explain(&code),
            _ => {
                let mut text = String::new();
                for code in codes::ALL {
                    let severity = match code.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                        Severity::Note => "note",
                    };
                    text.push_str(&format!("{}  {severity:<7}  {}\n", code.id, code.title));
                }
                print(text.as_bytes()).map(|()| 0)
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            let code = match &error {
                UsageError::Io(error) => error.code(),
                _ => None,
            };
            fail_with(&error.to_string(), code);
            EXIT_USAGE
        }
    }
}

/// A failure of the command itself: exit status 2.
enum UsageError {
    Io(IoError),
    /// Standard output could not take the command's output.
    Stdout(std::io::Error),
    Params(String),
    Diff(infra::diff::DiffError),
    Where(infra::sourcemap::WhereError),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::Io(error) => error.fmt(f),
            UsageError::Stdout(error) => f.write_str(&cannot_write(STDOUT, error)),
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

/// The diagnostic levels the command line gives. [`report`] puts them over
/// those of the project file of each file reported on.
static LEVELS: std::sync::OnceLock<Levels> = std::sync::OnceLock::new();

/// The targets a command builds, when it names them; unset for every
/// target. [`report`] does not call a suppression of a code only another
/// target reports stale.
static BUILT: std::sync::OnceLock<Vec<Target>> = std::sync::OnceLock::new();

/// A command's inputs with its project file applied.
struct Context {
    /// The entry paths: those given, else the project's.
    paths: Vec<PathBuf>,
    project: Option<cli::project::Found>,
    options: infra::Options,
}

impl Context {
    /// The targets: those given, else the project's.
    fn targets(&self, given: &[String]) -> Vec<String> {
        match &self.project {
            Some(found) if given.is_empty() => found.targets(),
            _ => given.to_vec(),
        }
    }

    /// The providers: those given, else the project's where its targets
    /// are used or `--target terraform` is given.
    fn providers(&self, targets: &[String], given: &[String]) -> Vec<String> {
        match &self.project {
            Some(found)
                if given.is_empty()
                    && (targets.is_empty() || targets.iter().any(|t| t == "terraform")) =>
            {
                found.providers()
            }
            _ => given.to_vec(),
        }
    }
}

/// The levels the command line gives: `--deny` over `--warn` over
/// `--allow` for one code given twice.
fn command_line_levels(args: &DiagnosticArgs) -> Result<Levels, UsageError> {
    let mut levels = Levels::default();
    if args.deny_warnings {
        let _ = levels.set(infra::levels::WARNINGS, Level::Deny, "`--deny-warnings`");
    }
    for (list, level, flag) in [
        (&args.allow, Level::Allow, "--allow"),
        (&args.warn, Level::Warn, "--warn"),
        (&args.deny, Level::Deny, "--deny"),
    ] {
        for code in list {
            levels
                .set(code, level, &format!("`{flag} {code}`"))
                .map_err(|m| UsageError::Params(format!("invalid `{flag} {code}`: {m}")))?;
        }
    }
    Ok(levels)
}

/// Reads the project file of `paths` and applies it: entry paths, params,
/// levels. A project file with errors is reported (exit status 1, the
/// `Err` of the inner result).
fn context(
    paths: &[PathBuf],
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<Result<Context, u8>, UsageError> {
    let given_levels = command_line_levels(args)?;
    let project = match cli::project::find(paths) {
        Ok(found) => found,
        Err((db, errors)) => {
            let _ = LEVELS.set(given_levels);
            return Ok(Err(report(&db, &errors, args)));
        }
    };
    cli::project::check_env(project.as_ref(), params.env.as_deref()).map_err(UsageError::Params)?;
    let _ = LEVELS.set(given_levels);
    let paths = match &project {
        Some(found) if paths.is_empty() => found.entries(),
        _ => paths.to_vec(),
    };
    if paths.is_empty() {
        return Err(UsageError::Params(format!(
            "no input files: give the files or directories to read, or run in a project (a directory with `{}` at or above it)",
            infra::project::PROJECT_FILE
        )));
    }
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let mut given = infra::params::gather(&params.param, params.params.as_deref(), env)
        .map_err(UsageError::Params)?;
    if let Some(found) = &project {
        found.add_params(params.env.as_deref(), &mut given);
    }
    Ok(Ok(Context {
        paths,
        project,
        options: infra::Options {
            params: given,
            exits_after: !WATCHING.load(std::sync::atomic::Ordering::Relaxed),
            ..Default::default()
        },
    }))
}

/// The `*.infra` files of the paths given: none is a usage error, so that a
/// wrong path never passes.
fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, UsageError> {
    let inputs = workspace::expand(paths)?;
    if inputs.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", shown(p))).collect();
        return Err(UsageError::Params(format!(
            "no input files: no `*.infra` file in {}",
            shown.join(", ")
        )));
    }
    Ok(inputs)
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
    let context = match context(paths, params, args)? {
        Ok(context) => context,
        Err(status) => return Ok(status),
    };
    let targets = parse_targets(
        &context.targets(targets),
        &context.providers(targets, providers),
    )?;
    let _ = BUILT.set(targets.clone());
    let inputs = expand_inputs(&context.paths)?;
    let checked = infra::build_each(
        &inputs,
        &context.options,
        &targets,
        infra::Mode::Check,
        None,
    )?;
    Ok(report(&checked.db, &checked.diagnostics, args))
}

/// The process is about to exit: freeing a large compilation's trees one by
/// one would only delay that. Not so under `--watch`, which goes on.
fn exit_without_freeing<T>(compilation: T) {
    if !WATCHING.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(compilation);
    }
}

/// Whether the run is `--watch`: it goes on after each compilation.
static WATCHING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs `once`, and with `watch` again after every change to a `.infra`
/// file or `infra.toml` under `paths` (or the project's directory, or the
/// current one, when none is given), until interrupted.
fn watching(
    watch: bool,
    paths: &[PathBuf],
    mut once: impl FnMut() -> Result<u8, UsageError>,
) -> Result<u8, UsageError> {
    if !watch {
        return once();
    }
    use notify::Watcher;
    WATCHING.store(true, std::sync::atomic::Ordering::Relaxed);
    let roots = if paths.is_empty() {
        match cli::project::find(paths) {
            Ok(Some(found)) => vec![found.dir],
            _ => vec![PathBuf::from(".")],
        }
    } else {
        paths.to_vec()
    };
    let (sender, changes) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(sender).map_err(|e| watch_error(&roots[0], e))?;
    for root in &roots {
        watcher
            .watch(root, notify::RecursiveMode::Recursive)
            .map_err(|e| watch_error(root, e))?;
    }
    let relevant = |event: &notify::Event| {
        !event.kind.is_access()
            && event.paths.iter().any(|p| {
                p.extension().is_some_and(|e| e == "infra")
                    || p.file_name()
                        .is_some_and(|n| n == infra::project::PROJECT_FILE)
            })
    };
    loop {
        let status = match once() {
            Ok(status) => status,
            Err(error) => {
                fail(&error.to_string());
                EXIT_USAGE
            }
        };
        flush_sarif();
        let verdict = if status == 0 { "ok" } else { "failed" };
        eprintln!("[watch] {verdict}; waiting for changes (Ctrl-C stops)");
        // Wait for a change, then let a burst of saves settle.
        loop {
            match changes.recv() {
                Ok(Ok(event)) if relevant(&event) => break,
                Ok(_) => continue,
                Err(_) => return Ok(status),
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        while changes.try_recv().is_ok() {}
    }
}

fn watch_error(path: &std::path::Path, error: notify::Error) -> UsageError {
    UsageError::Params(format!("cannot watch `{}`: {error}", shown(path)))
}

/// Reports a build's diagnostics: the exit status when there were errors
/// (`Ok(Some)`), or a usage error when no file deploys anything. `what` is
/// what the command does with the templates, for that message.
fn reported(
    db: &SourceDb,
    found: &[Diagnostic],
    templates: &[infra::Template],
    args: &DiagnosticArgs,
    what: &str,
) -> Result<Option<u8>, UsageError> {
    // Two programs writing one file is found before anything is written.
    let collisions = infra::output_collisions(db, templates);
    let status = if collisions.is_empty() {
        report(db, found, args)
    } else {
        report(db, &[found, &collisions].concat(), args)
    };
    if status != 0 {
        return Ok(Some(status));
    }
    // Only files of components, types and lets: libraries, built through
    // the files that import them.
    if templates.is_empty() {
        return Err(UsageError::Params(format!(
            "nothing to {what}: no file given declares a resource or an output (a file of components is built through the files that import it)"
        )));
    }
    Ok(None)
}

fn build(
    paths: &[PathBuf],
    targets: &[String],
    providers: &[String],
    out_dir: Option<&std::path::Path>,
    params: &ParamArgs,
    args: &DiagnosticArgs,
) -> Result<u8, UsageError> {
    let context = match context(paths, params, args)? {
        Ok(context) => context,
        Err(status) => return Ok(status),
    };
    let providers = context.providers(targets, providers);
    let targets = context.targets(targets);
    if targets.is_empty() {
        return Err(UsageError::Params(format!(
            "no target: give `--target`, or `targets` in the `[build]` of `{}`",
            infra::project::PROJECT_FILE
        )));
    }
    let targets = parse_targets(&targets, &providers)?;
    let _ = BUILT.set(targets.clone());
    let out_dir = match (&context.project, out_dir) {
        (Some(found), None) => found.out_dir(params.env.as_deref()),
        (_, given) => given.map(std::path::Path::to_path_buf),
    };
    let out_dir = out_dir.as_deref();
    let inputs = expand_inputs(&context.paths)?;
    // Written as they are made, into the output directory's staging
    // directory, and placed once nothing failed; printed to standard
    // output, staged in the temporary directory and copied out once
    // nothing failed, without a source map.
    let (staging, mode) = match out_dir {
        Some(dir) => (workspace::Staging::new(dir), infra::Mode::Build),
        None => (workspace::Staging::temporary(), infra::Mode::Print),
    };
    let built = infra::build_each(&inputs, &context.options, &targets, mode, Some(&staging))?;
    if let Some(status) = reported(
        &built.db,
        &built.diagnostics,
        &built.templates,
        args,
        "build",
    )? {
        return Ok(status);
    }
    let templates = &built.templates;
    match out_dir {
        Some(_) => {
            // Each template, its source map beside it.
            let names = infra::output_names(&built.db, templates);
            let mut files = Vec::with_capacity(2 * templates.len());
            for (name, t) in names.iter().zip(templates) {
                let [template, map] = t.outputs();
                let path = PathBuf::from(name);
                files.push((infra::sourcemap::map_path(&path), map));
                files.push((path, template));
            }
            staging.place(&files)?;
            if args.message_format == MessageFormat::Human {
                let warnings = leveled(&built.db, &built.diagnostics)
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count();
                eprintln!("{}", build_summary(templates, staging.dir(), warnings));
            }
        }
        None => match templates.as_slice() {
            [template] => match &template.staged.text {
                Some(staged) => {
                    let mut file = staging.open(staged)?;
                    print_with(|stdout| std::io::copy(&mut file, stdout).map(drop))?;
                }
                None => print(template.text.as_bytes())?,
            },
            _ => {
                return Err(UsageError::Params(format!(
                    "{} templates were built: give `-o DIR` to write them",
                    templates.len()
                )));
            }
        },
    }
    drop(staging);
    exit_without_freeing(built);
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
    let context = match context(paths, params, args)? {
        Ok(context) => context,
        Err(status) => return Ok(status),
    };
    let targets = parse_targets(
        &context.targets(targets),
        &context.providers(targets, providers),
    )?;
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
    let inputs = expand_inputs(&context.paths)?;
    // The checked programs too: their schemas say what a change does.
    let (checked, templates) = infra::build(&inputs, &context.options, &targets)?;
    if let Some(status) = reported(
        &checked.db,
        &checked.diagnostics,
        &templates,
        args,
        "compare",
    )? {
        exit_without_freeing((checked, templates));
        return Ok(status);
    }
    let found = infra::diff::against(against, &checked, &templates, allow)?;
    match format {
        ReportFormat::Human => {
            let (table, messages) = infra::diff::human(&found);
            print(table.as_bytes())?;
            let _ = std::io::stderr().write_all(messages.as_bytes());
        }
        ReportFormat::Json => {
            print(infra::diff::json(&found).as_bytes())?;
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
    let path = [path.to_path_buf()];
    let context = match context(&path, params, args)? {
        Ok(context) => context,
        Err(status) => return Ok(status),
    };
    let checked = infra::check(&path, &context.options)?;
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
        print(infra::graph::render(graph, format).as_bytes())?;
    }
    Ok(0)
}

/// What `infra fmt` does with a file that is not formatted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FmtMode {
    Write,
    Check,
    Diff,
}

impl FmtMode {
    fn of(check: bool, diff: bool) -> FmtMode {
        match (check, diff) {
            (_, true) => FmtMode::Diff,
            (true, false) => FmtMode::Check,
            (false, false) => FmtMode::Write,
        }
    }
}

/// A unified diff from `text` to `formatted`, both named `name`.
fn unified_diff(name: &str, text: &str, formatted: &str) -> String {
    similar::TextDiff::from_lines(text, formatted)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

/// `infra fmt -`: standard input formatted to standard output.
fn fmt_stdin(mode: FmtMode, args: &DiagnosticArgs) -> Result<u8, UsageError> {
    let mut bytes = Vec::new();
    let max = infra::project::Limits::default().max_file_bytes;
    let read = std::io::stdin()
        .lock()
        .take(max + 1)
        .read_to_end(&mut bytes);
    let io = |error| IoError {
        path: PathBuf::from("-"),
        action: "read",
        error,
    };
    read.map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(UsageError::Params(format!(
            "standard input is larger than the limit of {max} bytes"
        )));
    }
    let mut db = SourceDb::new();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.into_bytes();
            let file = db.add(
                "<stdin>",
                None,
                String::from_utf8_lossy(&bytes).into_owned(),
            );
            if let Err(diagnostic) = infra::syntax::decode(file, bytes) {
                return Ok(report(&db, &[*diagnostic], args));
            }
            return Ok(EXIT_ERRORS);
        }
    };
    let file = db.add("<stdin>", None, text);
    let (ast, syntax) = infra::syntax::parse(file, db.text(file));
    let errors: Vec<Diagnostic> = syntax.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Ok(report(&db, &errors, args));
    }
    let text = db.text(file);
    let formatted = infra::fmt::format(&ast, text);
    let printed = match mode {
        FmtMode::Write => formatted.clone(),
        FmtMode::Check if formatted != text => "<stdin> is not formatted\n".to_string(),
        FmtMode::Diff => unified_diff("<stdin>", text, &formatted),
        FmtMode::Check => String::new(),
    };
    print(printed.as_bytes())?;
    Ok(if mode != FmtMode::Write && formatted != text {
        EXIT_ERRORS
    } else {
        0
    })
}

fn fmt(paths: &[PathBuf], mode: FmtMode, args: &DiagnosticArgs) -> Result<u8, UsageError> {
    if paths.len() == 1 && paths[0].as_os_str() == "-" {
        return fmt_stdin(mode, args);
    }
    let inputs = expand_inputs(paths)?;
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
        match mode {
            FmtMode::Check => out(&format!("{} is not formatted", shown(&path))),
            FmtMode::Diff => {
                let diff = unified_diff(&shown(&path), text, &formatted);
                print(diff.as_bytes())?;
            }
            FmtMode::Write => {
                workspace::rewrite(&path, formatted.as_bytes())?;
                out(&format!("formatted {}", shown(&path)));
            }
        }
    }
    Ok(if mode != FmtMode::Write && unformatted > 0 {
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
        let message = format!(
            "error: no template in `{}` has a resource, param, output or condition `{id}`{hint}",
            shown(dir)
        );
        eprintln!("{}", diagnostics::render::escape_controls(&message));
        return Ok(EXIT_ERRORS);
    }
    let text = match format {
        ReportFormat::Human => infra::sourcemap::human(&hits, &read_source),
        ReportFormat::Json => infra::sourcemap::json(&hits),
    };
    print(text.as_bytes())?;
    Ok(0)
}

/// The text of a file a source map names: a user's file as the build read
/// it (relative to the directory it ran in), or a stdlib module.
fn read_source(name: &str) -> Option<String> {
    if let Some(path) = infra::stdlib::path_of_display_name(name) {
        return infra::stdlib::source(path);
    }
    let max = infra::project::Limits::default().max_file_bytes;
    String::from_utf8(workspace::read_regular(std::path::Path::new(name), max).ok()?).ok()
}

fn explain(code: &str) -> Result<u8, UsageError> {
    match codes::find(code) {
        Some(code) => {
            print(code.explanation.as_bytes())?;
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

/// A path as a person reads it: its control characters escaped.
fn shown(path: &std::path::Path) -> String {
    let (name, _) = infra::source::shown_name(path);
    diagnostics::render::escape_controls(&name).into_owned()
}

/// Writes a command's output to standard output. A reader that went away
/// (a closed pipe: `infra build ... | head`) is no failure; any other
/// error is one of the command (exit 2), so that a full disk behind `>`
/// never passes for a template written.
fn print_with(
    write: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> Result<(), UsageError> {
    let mut stdout = std::io::stdout().lock();
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(UsageError::Stdout(error))
        }
        _ => Ok(()),
    }
}

/// [`print_with`] of bytes held.
fn print(bytes: &[u8]) -> Result<(), UsageError> {
    print_with(|stdout| stdout.write_all(bytes))
}

/// One line on stdout; a closed pipe (`infra fmt --check | head`) is not
/// an error, any other failure fails the command once it ends.
fn out(line: &str) {
    if let Err(error) = writeln!(std::io::stdout().lock(), "{line}") {
        unwritten(STDOUT.to_string(), error);
    }
}

/// One line after a build: templates written, resources per target,
/// warnings.
fn build_summary(templates: &[infra::Template], dir: &std::path::Path, warnings: usize) -> String {
    let mut per_target: Vec<(Target, usize, usize)> = Vec::new();
    for template in templates {
        match per_target
            .iter_mut()
            .find(|(t, _, _)| *t == template.target)
        {
            Some((_, count, resources)) => {
                *count += 1;
                *resources += template.resources;
            }
            None => per_target.push((template.target, 1, template.resources)),
        }
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let targets: Vec<String> = per_target
        .iter()
        .map(|(target, count, resources)| {
            let of = if *count == 1 {
                String::new()
            } else {
                format!(" in {count} templates")
            };
            format!("{}: {}{of}", target.name(), plural(*resources, "resource"))
        })
        .collect();
    format!(
        "wrote {} to `{}` ({}), {}",
        plural(templates.len(), "template"),
        shown(dir),
        targets.join("; "),
        plural(warnings, "warning")
    )
}

/// The diagnostics as the levels and suppression comments leave them: the
/// command line's levels over those of the `infra.toml` of each file's
/// project (a directory given may hold several projects).
fn leveled(db: &SourceDb, found: &[Diagnostic]) -> Vec<Diagnostic> {
    let given = LEVELS.get_or_init(Levels::default);
    let mut by_manifest: std::collections::HashMap<PathBuf, Levels> = Default::default();
    let mut of_file: Vec<Option<PathBuf>> = Vec::with_capacity(db.len());
    for index in 0..db.len() {
        let source = db.get(infra::source::FileId(index as u32));
        // A program's file, not a project file (read by its real path).
        let program = source.path.as_deref().filter(|p| {
            p.file_name()
                .is_none_or(|n| n != infra::project::PROJECT_FILE)
        });
        let dir = program.and_then(std::path::Path::parent);
        let manifest = dir.and_then(|d| {
            infra::project::find_manifest(if d.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                d
            })
        });
        if let Some((real, shown)) = &manifest
            && !by_manifest.contains_key(real)
        {
            // Its mistakes are the compilation's own diagnostics (E0013).
            let mut scratch = SourceDb::new();
            let levels = match infra::project::load_manifest(&mut scratch, real, shown) {
                Ok((_, read, errors)) if errors.is_empty() => read
                    .levels(&shown.display().to_string())
                    .overridden_by(given),
                _ => given.clone(),
            };
            by_manifest.insert(real.clone(), levels);
        }
        of_file.push(manifest.map(|(real, _)| real));
    }
    let levels_of = |file: infra::source::FileId| {
        of_file
            .get(file.0 as usize)
            .and_then(Option::as_ref)
            .and_then(|real| by_manifest.get(real))
            .unwrap_or(given)
    };
    let built = BUILT.get().map(Vec::as_slice).unwrap_or_default();
    infra::levels::apply_by_file(db, found.to_vec(), &levels_of, built)
}

/// Prints diagnostics in the chosen format and returns the exit status.
fn report(db: &SourceDb, found: &[Diagnostic], args: &DiagnosticArgs) -> u8 {
    let found = &leveled(db, found)[..];
    let text = match args.message_format {
        MessageFormat::Human => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && args.output.is_none()
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
        MessageFormat::Sarif => {
            *SARIF_LOG.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(diagnostics::sarif::report(db, found));
            String::new()
        }
    };
    emit(&text);
    if found.iter().any(|d| d.severity == Severity::Error) {
        EXIT_ERRORS
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::{Allocator, MAPPED_FROM};

    /// Fills `len` bytes at `ptr` with a pattern of their offsets.
    unsafe fn fill(ptr: *mut u8, len: usize) {
        for i in 0..len {
            unsafe { ptr.add(i).write((i % 251) as u8) };
        }
    }

    /// Whether the first `len` bytes at `ptr` still hold `fill`'s pattern.
    unsafe fn filled(ptr: *const u8, len: usize) -> bool {
        (0..len).all(|i| unsafe { ptr.add(i).read() } == (i % 251) as u8)
    }

    #[test]
    fn a_block_keeps_its_bytes_as_it_grows_and_shrinks_across_the_mapped_size() {
        let sizes = [
            100,
            MAPPED_FROM - 1,
            MAPPED_FROM,
            3 * MAPPED_FROM + 17,
            12 * MAPPED_FROM,
            MAPPED_FROM + 1,
            64,
        ];
        for align in [8, 64] {
            let mut layout = Layout::from_size_align(sizes[0], align).unwrap();
            let mut ptr = unsafe { Allocator.alloc(layout) };
            assert!(!ptr.is_null());
            unsafe { fill(ptr, layout.size()) };
            for &size in &sizes[1..] {
                let kept = layout.size().min(size);
                ptr = unsafe { Allocator.realloc(ptr, layout, size) };
                assert!(!ptr.is_null(), "{} to {size}", layout.size());
                assert_eq!(ptr as usize % align, 0);
                assert!(unsafe { filled(ptr, kept) }, "{} to {size}", layout.size());
                layout = Layout::from_size_align(size, align).unwrap();
                unsafe { fill(ptr, size) };
            }
            unsafe { Allocator.dealloc(ptr, layout) };
        }
    }

    #[test]
    fn a_large_zeroed_block_is_zeroed() {
        let layout = Layout::from_size_align(2 * MAPPED_FROM, 16).unwrap();
        let ptr = unsafe { Allocator.alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        assert!((0..layout.size()).all(|i| unsafe { ptr.add(i).read() } == 0));
        unsafe { Allocator.dealloc(ptr, layout) };
    }
}
