//! The stage of each expression: when its value is known. Computed as
//! expressions are typed, from the stages already found for their parts,
//! so each expression is looked at once.

use super::{Checker, DeclRef, Scope};
use crate::builtins::{Builtin, Stage};
use crate::sema::names::{DeclKind, Place};
use crate::syntax::ast::*;

/// When a value is known, from the earliest to the latest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueStage {
    /// When the program is built.
    Compile,
    /// When a component is instantiated: it reads the component's params,
    /// which each instance may give at another stage.
    Instance,
    /// When the template is deployed, before any resource exists: the
    /// deployment's context (region, zones, stack name, account).
    Context,
    /// Only as the deployment runs: a param left open, a resource's
    /// attribute.
    Deploy,
}

impl Checker<'_> {
    /// Records the stage of a loop's variables: its list's.
    pub(super) fn record_binding_stage(
        &mut self,
        scope: &Scope,
        binding: &Binding,
        iterable: &Expr,
    ) {
        if !self.keep_types {
            return;
        }
        let stage = self.recorded(scope, iterable);
        for name in std::iter::once(&binding.first).chain(&binding.second) {
            if let Some(decl) = scope.names.of(name) {
                let module = scope.module;
                self.binding_stages.insert(DeclRef { module, decl }, stage);
            }
        }
    }

    /// Records the stage of `expr`, whose parts are already typed.
    pub(super) fn record_stage(&mut self, scope: &Scope, expr: &Expr) -> ValueStage {
        let stage = self.stage_of(scope, expr);
        self.stages.insert(expr.span, stage);
        stage
    }

    /// The stage found for a part, or, for one the checker typed without
    /// typing it alone (`web` in `web[0]`), its own.
    fn recorded(&self, scope: &Scope, expr: &Expr) -> ValueStage {
        match self.stages.get(&expr.span) {
            Some(stage) => *stage,
            None => self.stage_of(scope, expr),
        }
    }

    fn stage_of(&self, scope: &Scope, expr: &Expr) -> ValueStage {
        match &expr.kind {
            ExprKind::Name(name) => self.name_stage(scope, name),
            ExprKind::Call(callee, args) => {
                let own = match &callee.kind {
                    ExprKind::Name(n) => match Builtin::from_name(&n.name).map(Builtin::stage) {
                        Some(Stage::Compile) | None => ValueStage::Compile,
                        Some(Stage::Context) => ValueStage::Context,
                        Some(Stage::Deploy) => ValueStage::Deploy,
                    },
                    _ => self.recorded(scope, callee),
                };
                args.iter()
                    .map(|a| self.recorded(scope, a))
                    .fold(own, Ord::max)
            }
            ExprKind::ListComp(comp) => self.comprehension_stage(scope, comp, None),
            ExprKind::ObjectComp(comp, value) => self.comprehension_stage(scope, comp, Some(value)),
            _ => {
                let mut stage = ValueStage::Compile;
                expr.for_each_operand(|e| stage = stage.max(self.recorded(scope, e)));
                stage
            }
        }
    }

    fn comprehension_stage(
        &self,
        scope: &Scope,
        comp: &Comprehension,
        value: Option<&Expr>,
    ) -> ValueStage {
        [
            Some(&comp.iterable),
            comp.filter.as_ref(),
            Some(&comp.body),
            value,
        ]
        .into_iter()
        .flatten()
        .map(|e| self.recorded(scope, e))
        .fold(ValueStage::Compile, Ord::max)
    }

    fn name_stage(&self, scope: &Scope, name: &Ident) -> ValueStage {
        let Some((id, decl)) = scope.names.lookup(name) else {
            return ValueStage::Compile;
        };
        match (decl.kind, decl.place) {
            // The entry file's params left open are the template's; an
            // imported file's take their defaults.
            (DeclKind::Param, Place::File(_)) => {
                if !scope.entry || self.param_values.contains_key(&name.name) {
                    ValueStage::Compile
                } else {
                    ValueStage::Deploy
                }
            }
            (DeclKind::Param, _) => ValueStage::Instance,
            (DeclKind::Let, _) => scope
                .consts
                .let_value(name)
                // Typed when the name was (a let in a cycle is not: the graph
                // reports it).
                .and_then(|value| self.stages.get(&value.span).copied())
                .unwrap_or(ValueStage::Compile),
            (DeclKind::Resource, _) => ValueStage::Deploy,
            (DeclKind::Binding, _) => {
                let decl = DeclRef {
                    module: scope.module,
                    decl: id,
                };
                self.binding_stages
                    .get(&decl)
                    .copied()
                    .unwrap_or(ValueStage::Compile)
            }
            (DeclKind::Import | DeclKind::Component, _) => ValueStage::Compile,
        }
    }
}
