//! Loading modules: the imports of a file (relative to it, cycles reported
//! with their chain) and the stdlib files a program names, each parsed on
//! demand and checked once.

use std::path::Path;
use std::sync::Arc;

use super::{Checker, ModuleId};
use crate::diagnostics::{Diagnostic, codes};
use crate::sema::resolve::NAMESPACES;
use crate::syntax::ast::*;
use crate::{project, stdlib, syntax, workspace};

impl Checker<'_> {
    pub(super) fn load_imports(&mut self, module: ModuleId) {
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
        // Confined to the project before anything is read: what a refused
        // file holds is never shown.
        let (joined, canonical) = match project::locate(&self.project, dir, &relative) {
            Ok(found) => found,
            Err(refusal) => {
                self.diagnostics
                    .push(refusal.diagnostic(import.path.span, &relative, "import"));
                return None;
            }
        };
        if let Some(position) = self.loading.iter().position(|(p, _, _)| *p == canonical) {
            let mut chain: Vec<String> = self.loading[position..]
                .iter()
                .map(|(_, shown, _)| shown.clone())
                .collect();
            chain.push(crate::source::shown_name(&joined).0);
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
        let text = match workspace::read_regular(&canonical, self.project.limits.max_file_bytes) {
            Ok(bytes) => bytes,
            Err(error) => {
                let refusal = project::Refusal::Unreadable(error);
                self.diagnostics
                    .push(refusal.diagnostic(import.path.span, &relative, "import"));
                return None;
            }
        };
        let lossy = String::from_utf8_lossy(&text).into_owned();
        let file = self.db.add_path(&joined, &canonical, lossy);
        let text = match syntax::decode(file, text) {
            Ok(text) => text,
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                return None;
            }
        };
        let (mut ast, syntax_diagnostics) = syntax::parse(file, &text);
        let broken = crate::diagnostics::has_errors(&syntax_diagnostics);
        self.diagnostics.extend(syntax_diagnostics);
        if !broken {
            let found = crate::sema::files::inline(&mut ast, joined.parent(), &self.project);
            self.diagnostics.extend(found);
        }
        let (names, name_diagnostics) = crate::sema::resolve::resolve(&ast);
        if !broken {
            self.diagnostics.extend(name_diagnostics);
        }
        let ast = Arc::new(ast);
        // Imports of this file resolve from where it was found, as written.
        let id = self.add_module(ast.clone(), Arc::new(names), joined.parent(), None);
        self.user_modules.insert(canonical.clone(), id);
        self.loading.push((
            canonical,
            crate::source::shown_name(&joined).0,
            import.path.span,
        ));
        self.load_imports(id);
        self.loading.pop();
        if !broken {
            // Components and outputs of an imported file are checked with it.
            let _ = self.check_module(id, &ast.items, false, None);
        }
        Some(id)
    }

    pub(super) fn stdlib_module(
        &mut self,
        path: &str,
        namespace: Option<&str>,
    ) -> Option<ModuleId> {
        if let Some(id) = self.stdlib_modules.get(path) {
            return Some(*id);
        }
        let text = stdlib::source(path)?;
        let file = self.db.add(stdlib::display_name(path), None, text);
        // Built for some targets only, the other targets' blocks (most of a
        // portable namespace) are neither checked nor lowered: not read.
        let (ast, diagnostics) = if self.stdlib_for_targets() {
            let targets: Vec<&str> = self.targets.iter().map(|t| t.name()).collect();
            // The components out of the program's reach are not read.
            let gaps = (namespace.zip(self.reach.as_ref()))
                .map(|(namespace, reach)| reach.gaps(namespace))
                .unwrap_or_default();
            syntax::parse_for_without(file, self.db.text(file), &targets, &gaps)
        } else {
            syntax::parse(file, self.db.text(file))
        };
        // The stdlib is tested to parse cleanly; report anyway rather than hide.
        self.diagnostics.extend(diagnostics);
        // The stdlib's own names are checked by its tests, not reported to
        // every program.
        let (names, _) = crate::sema::resolve::resolve(&ast);
        let id = self.add_module(
            Arc::new(ast),
            Arc::new(names),
            None,
            namespace.map(str::to_string),
        );
        self.modules[id.0 as usize].stdlib = true;
        self.stdlib_modules.insert(path.to_string(), id);
        Some(id)
    }

    /// Whether the stdlib is read for `targets` alone: its components'
    /// `target` blocks for other targets neither parsed nor checked.
    pub(super) fn stdlib_for_targets(&self) -> bool {
        self.lazy_stdlib && !self.targets.is_empty()
    }

    pub(super) fn namespace_module(&mut self, namespace: &str) -> Option<ModuleId> {
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
}
