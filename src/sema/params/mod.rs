//! Params: their constraint blocks, their defaults, and the values given at
//! compile time, checked against type and constraints.
//!
//! Every top-level param is checked here: its option block (known keys,
//! values of the right kind, options that fit the param's type, no
//! contradictions, patterns that compile), its default (a constant of the
//! param's type that satisfies every constraint, never on a secret), and
//! the value given to it at compile time (converted by the param's type,
//! then checked the same way). The params of components get the same
//! checks of their option blocks and defaults; their values come from
//! instances, which the type checker checks with [`Constraints::violations`].
//!
//! One module for everything about params:
//!
//! - [`given`]: the values given at compile time (`--param`, `--params`,
//!   `INFRA_PARAM_*`) and their precedence, gathered before any file is read;
//! - `types`: [`ParamType`], a param's type as far as values are checked;
//! - `constraints`: [`Constraints`] and the [`Violation`]s of a value;
//! - `checker`: [`check`], [`check_foreign`] and [`constraints_of`];
//! - `options`: the checks of a param's option block;
//! - [`regex`]: the engine `pattern` constraints are checked with.
//!
//! `crate::params` is this module too.

mod checker;
mod constraints;
pub mod given;
mod options;
pub mod regex;
#[cfg(test)]
mod tests;
mod types;

pub use checker::{check, check_foreign, constraints_of};
pub use constraints::{
    Constraint, Constraints, PatternConstraint, Violation, unchecked_pattern_diagnostic,
};
pub use given::{ENV_PREFIX, Given, GivenParams, GivenValue, Origin, gather, is_param_name};
pub use options::OPTIONS;
pub use types::{ParamType, alias_type, type_text};

use crate::sema::eval::Value;

/// What the checker knows of one top-level param.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamInfo {
    /// The value given at compile time, converted to the param's type: the
    /// param is then a constant, folded into the template.
    pub value: Option<Value>,
    pub secret: bool,
    /// The declared type, or the type of the default.
    pub ty: ParamType,
    /// The default, folded, when it is a valid constant.
    pub default: Option<Value>,
    /// The constraints that are well formed, to emit as the target's own.
    pub constraints: Constraints,
    /// `label`: a short name for consoles.
    pub label: Option<String>,
    /// `group`: the group the param is listed in.
    pub group: Option<String>,
    /// The value given at compile time, as given: a param whose type names
    /// an alias of another file is checked again, with the value converted
    /// again, once the type checker has resolved the alias.
    pub given: Option<Given>,
}
