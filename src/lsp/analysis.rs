//! The compiler run on an editor's buffers: each open document checked as
//! an entry file (imports read from open buffers first, then disk), its
//! diagnostics in the protocol's terms, and where every file of a
//! compilation is for an editor (the stdlib's files written once, read-only,
//! into a cache directory, so that any client can open them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Url,
};

use super::text;
use crate::diagnostics::{Diagnostic, Severity};
use crate::sema::check::{ModuleId, Program};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// One document checked: the compilation, with the text it read.
pub struct Analysis {
    /// The entry file, as the loader names it.
    pub path: PathBuf,
    /// The document's text this analysis read.
    pub text: String,
    /// The compilation, when the file could be read.
    pub checked: Option<crate::Checked>,
    /// Its diagnostics, with the levels and suppression comments applied:
    /// those of the check alone until `lower` has run.
    pub diagnostics: Vec<Diagnostic>,
    /// The targets its lowering is for, and the levels of its project.
    targets: Vec<crate::ir::Target>,
    levels: crate::levels::Levels,
    /// Has everything been reported: the check failed, or lowering ran?
    pub complete: bool,
}

impl Analysis {
    /// Did the document parse, so that names and types are known?
    pub fn has_program(&self) -> bool {
        self.program().is_some()
    }

    pub fn program(&self) -> Option<&Program> {
        let checked = self.checked.as_ref()?;
        checked.programs.first().map(|(_, p)| p)
    }

    pub fn db(&self) -> Option<&crate::source::SourceDb> {
        self.checked.as_ref().map(|c| &c.db)
    }

    /// The file of a module.
    pub fn file_of(&self, module: ModuleId) -> Option<FileId> {
        Some(self.program()?.modules.get(module.0 as usize)?.span.file)
    }

    /// The module of the program read from `path`.
    pub fn module_at(&self, path: &Path) -> Option<ModuleId> {
        let program = self.program()?;
        let db = self.db()?;
        (program.modules.iter())
            .position(|m| db.get(m.span.file).path.as_deref() == Some(path))
            .map(|i| ModuleId(i as u32))
    }

    pub fn module_ast(&self, module: ModuleId) -> Option<&ast::SourceFile> {
        Some(self.program()?.modules.get(module.0 as usize)?)
    }

    pub fn file_text(&self, file: FileId) -> &str {
        self.db().map_or("", |db| &db.get(file).text)
    }

    /// Where a span is, for the client.
    pub fn location(&self, span: Span) -> Option<Location> {
        let db = self.db()?;
        let source = db.get(span.file);
        let url = url_of_source(source)?;
        Some(Location::new(
            url,
            text::range(&source.text, span.start as usize, span.end as usize),
        ))
    }
}

/// Checks `path` as an entry file, with `overlay`'s texts read in place of
/// the files at those paths, then lowers and emits it for `targets` (every
/// target the program can compile to when empty) for their diagnostics.
pub fn analyse(
    path: &Path,
    text: &str,
    overlay: HashMap<PathBuf, String>,
    targets: &[crate::ir::Target],
) -> Analysis {
    let mut analysis = check(path, text, overlay, targets);
    analysis.lower();
    analysis
}

/// [`analyse`] without lowering: what the checker reports, at once; the
/// targets' diagnostics come with [`Analysis::lower`].
pub fn check(
    path: &Path,
    text: &str,
    overlay: HashMap<PathBuf, String>,
    targets: &[crate::ir::Target],
) -> Analysis {
    let mut overlay = overlay;
    overlay.insert(path.to_path_buf(), text.to_string());
    let (project_targets, levels) = project_settings(path);
    let targets = if targets.is_empty() {
        &project_targets[..]
    } else {
        targets
    };
    let options = crate::Options {
        keep_types: true,
        ..Default::default()
    };
    let checked =
        crate::workspace::with_overlay(overlay, || crate::check(&[path.to_path_buf()], &options))
            .ok();
    let failed = checked
        .as_ref()
        .is_none_or(|c| crate::diagnostics::has_errors(&c.diagnostics));
    let mut diagnostics = match &checked {
        Some(checked) => crate::levels::apply(&checked.db, checked.diagnostics.clone(), &levels),
        None => Vec::new(),
    };
    if !failed {
        // Whether a suppression allows nothing is known only once the
        // targets' diagnostics are in.
        diagnostics.retain(|d| d.code.id != crate::diagnostics::codes::W0010.id);
    }
    Analysis {
        path: path.to_path_buf(),
        text: text.to_string(),
        checked,
        diagnostics,
        targets: targets.to_vec(),
        levels,
        complete: failed,
    }
}

impl Analysis {
    /// Lowers and emits the checked program for its targets, adding what
    /// they report (nothing when the check failed).
    pub fn lower(&mut self) {
        if self.complete {
            return;
        }
        self.complete = true;
        let Some(checked) = &self.checked else {
            return;
        };
        let mut all = checked.diagnostics.clone();
        all.extend(crate::target_diagnostics(checked, &self.targets));
        self.diagnostics = crate::levels::apply(&checked.db, all, &self.levels);
    }
}

/// The targets (`[build]`'s `targets` and `providers`) and the diagnostic
/// levels (`[diagnostics]`) of the project file at or above `path`, as
/// `infra check` in the project would have them; none when there is no
/// project file or it has mistakes (which `infra check` reports).
fn project_settings(path: &Path) -> (Vec<crate::ir::Target>, crate::levels::Levels) {
    let none = || (Vec::new(), crate::levels::Levels::default());
    let Some((real, shown)) = path.parent().and_then(crate::project::find_manifest) else {
        return none();
    };
    let mut db = crate::source::SourceDb::new();
    let Ok((_, manifest, errors)) = crate::project::load_manifest(&mut db, &real, &shown) else {
        return none();
    };
    if !errors.is_empty() {
        return none();
    }
    let providers: Vec<String> = (manifest.build.providers.iter())
        .map(|p| p.get_ref().clone())
        .collect();
    let mut targets = Vec::new();
    for target in &manifest.build.targets {
        match target.get_ref().as_str() {
            "terraform" if providers.is_empty() => targets.extend([
                crate::ir::Target::TerraformAws,
                crate::ir::Target::TerraformOpenstack,
            ]),
            "terraform" => targets.extend(
                providers
                    .iter()
                    .filter_map(|p| crate::ir::Target::terraform(p)),
            ),
            name => targets.extend(crate::ir::Target::from_name(name)),
        }
    }
    (targets, manifest.levels(&shown.display().to_string()))
}

/// The document's diagnostics in the protocol's terms: those whose primary
/// span is in the entry file.
pub fn lsp_diagnostics(analysis: &Analysis) -> Vec<lsp_types::Diagnostic> {
    lsp_diagnostics_in(analysis, &analysis.path)
}

/// The analysis' diagnostics located in the file at `path`.
pub fn lsp_diagnostics_in(analysis: &Analysis, path: &Path) -> Vec<lsp_types::Diagnostic> {
    let Some(db) = analysis.db() else {
        return Vec::new();
    };
    (analysis.diagnostics.iter())
        .filter(|d| db.get(d.primary.span.file).path.as_deref() == Some(path))
        .map(|d| lsp_diagnostic(analysis, d))
        .collect()
}

/// The files other than the entry file (imports, never the stdlib) that
/// the analysis' diagnostics are located in.
pub fn other_files(analysis: &Analysis) -> Vec<PathBuf> {
    let Some(db) = analysis.db() else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = (analysis.diagnostics.iter())
        .filter_map(|d| db.get(d.primary.span.file).path.clone())
        .filter(|p| *p != analysis.path)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// One diagnostic in the protocol's terms.
pub fn lsp_diagnostics_one(analysis: &Analysis, d: &Diagnostic) -> lsp_types::Diagnostic {
    lsp_diagnostic(analysis, d)
}

fn lsp_diagnostic(analysis: &Analysis, d: &Diagnostic) -> lsp_types::Diagnostic {
    let text = analysis.file_text(d.primary.span.file);
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(": {}", d.primary.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    for help in &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<_> = (d.secondary.iter())
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: analysis.location(label.span)?,
                message: if label.message.is_empty() {
                    "here".into()
                } else {
                    label.message.clone()
                },
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: text::range(
            text,
            d.primary.span.start as usize,
            d.primary.span.end as usize,
        ),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(d.code.id.to_string())),
        code_description: explanation_url(d.code).map(|href| CodeDescription { href }),
        source: Some("infra".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The directory the server writes read-only copies into: the stdlib's
/// files and the codes' explanations, by this compiler's version.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("infra").join(env!("CARGO_PKG_VERSION"))
}

/// Writes `text` at `path` unless it is there already, read-only.
fn materialise(path: &Path, text: &str) -> Option<()> {
    if std::fs::read(path).ok().as_deref() == Some(text.as_bytes()) {
        return Some(());
    }
    std::fs::create_dir_all(path.parent()?).ok()?;
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
    }
    std::fs::write(path, text).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444));
    }
    Some(())
}

thread_local! {
    static WRITTEN: std::cell::RefCell<std::collections::HashSet<PathBuf>> = Default::default();
}

fn materialised(path: PathBuf, text: impl FnOnce() -> Option<String>) -> Option<Url> {
    let done = WRITTEN.with(|w| w.borrow().contains(&path));
    if !done {
        materialise(&path, &text()?)?;
        WRITTEN.with(|w| w.borrow_mut().insert(path.clone()));
    }
    Url::from_file_path(&path).ok()
}

/// A page of `infra explain CODE`, as a file the client can open: the
/// diagnostic's link.
fn explanation_url(code: &crate::diagnostics::Code) -> Option<Url> {
    let path = cache_dir().join("explain").join(format!("{}.md", code.id));
    materialised(path, || Some(code.explanation.to_string()))
}

/// The stdlib file shown as `stdlib:PATH`, as a read-only file.
pub fn stdlib_url(name: &str) -> Option<Url> {
    let inner = crate::stdlib::path_of_display_name(name)?;
    let path = cache_dir().join("stdlib").join(inner);
    materialised(path, || crate::stdlib::source(inner))
}

/// Where the client finds a file of a compilation.
pub fn url_of_source(source: &crate::source::SourceFile) -> Option<Url> {
    match &source.path {
        Some(path) => Url::from_file_path(path).ok(),
        None => stdlib_url(&source.name),
    }
}

/// The path the loader reads for a document, when it is a file.
pub fn path_of_url(url: &Url) -> Option<PathBuf> {
    if url.scheme() != "file" {
        return None;
    }
    let path = url.to_file_path().ok()?;
    Some(path.canonicalize().unwrap_or(path))
}
