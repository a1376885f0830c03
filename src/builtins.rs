//! The built-in functions: one enum, matched exhaustively by the checker,
//! the folder, lowering and every backend, so that a new built-in is a
//! compile error wherever it is not yet handled.

use std::fmt;

use crate::ir::Context;
use crate::sema::ty::Ty;

/// A built-in function of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    AccountId,
    AvailabilityZones,
    Base64,
    Cidrsubnet,
    Concat,
    Contains,
    Element,
    /// Replaced by the file's text right after parsing (`sema::files`): a
    /// call that is left could not be read and is an error already, so no
    /// phase computes it.
    File,
    Join,
    Keys,
    Length,
    Lookup,
    Lower,
    Max,
    Min,
    ObjectStoreUrl,
    Region,
    Replace,
    Split,
    StackName,
    Upper,
    Values,
}

/// When a built-in's value is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Computed at compile time when its arguments are known; otherwise the
    /// target computes it at deploy time (or refuses).
    Compile,
    /// The deploy-time context ([`Builtin::context`]): lowering writes it as
    /// `ir::Expr::Context`.
    Context,
    /// Never folded: only the target can give it, if it can.
    Deploy,
}

impl Builtin {
    /// Every built-in, in the order of their names.
    pub const ALL: &'static [Builtin] = &[
        Builtin::AccountId,
        Builtin::AvailabilityZones,
        Builtin::Base64,
        Builtin::Cidrsubnet,
        Builtin::Concat,
        Builtin::Contains,
        Builtin::Element,
        Builtin::File,
        Builtin::Join,
        Builtin::Keys,
        Builtin::Length,
        Builtin::Lookup,
        Builtin::Lower,
        Builtin::Max,
        Builtin::Min,
        Builtin::ObjectStoreUrl,
        Builtin::Region,
        Builtin::Replace,
        Builtin::Split,
        Builtin::StackName,
        Builtin::Upper,
        Builtin::Values,
    ];

    /// The built-in called `name` in source.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Its name in source.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::AccountId => "account_id",
            Builtin::AvailabilityZones => "availability_zones",
            Builtin::Base64 => "base64",
            Builtin::Cidrsubnet => "cidrsubnet",
            Builtin::Concat => "concat",
            Builtin::Contains => "contains",
            Builtin::Element => "element",
            Builtin::File => "file",
            Builtin::Join => "join",
            Builtin::Keys => "keys",
            Builtin::Length => "length",
            Builtin::Lookup => "lookup",
            Builtin::Lower => "lower",
            Builtin::Max => "max",
            Builtin::Min => "min",
            Builtin::ObjectStoreUrl => "object_store_url",
            Builtin::Region => "region",
            Builtin::Replace => "replace",
            Builtin::Split => "split",
            Builtin::StackName => "stack_name",
            Builtin::Upper => "upper",
            Builtin::Values => "values",
        }
    }

    /// The fewest and most arguments it takes (`usize::MAX`: no limit).
    pub fn arity(self) -> (usize, usize) {
        match self {
            Builtin::AccountId
            | Builtin::AvailabilityZones
            | Builtin::ObjectStoreUrl
            | Builtin::Region
            | Builtin::StackName => (0, 0),
            Builtin::Base64
            | Builtin::File
            | Builtin::Keys
            | Builtin::Length
            | Builtin::Lower
            | Builtin::Upper
            | Builtin::Values => (1, 1),
            Builtin::Contains | Builtin::Element | Builtin::Join | Builtin::Split => (2, 2),
            Builtin::Lookup => (2, 3),
            Builtin::Cidrsubnet | Builtin::Replace => (3, 3),
            Builtin::Concat | Builtin::Max | Builtin::Min => (1, usize::MAX),
        }
    }

    /// The types of the leading arguments whose type does not depend on the
    /// others (`Ty::Any`: not checked here).
    pub fn params(self) -> &'static [Ty] {
        match self {
            Builtin::Join => &[Ty::String],
            Builtin::Split | Builtin::Replace => &[Ty::String, Ty::String, Ty::String],
            Builtin::Lower | Builtin::Upper | Builtin::Base64 | Builtin::File => &[Ty::String],
            Builtin::Cidrsubnet => &[Ty::String, Ty::Int, Ty::Int],
            Builtin::Element => &[Ty::Any, Ty::Int],
            Builtin::Lookup => &[Ty::Any, Ty::String],
            Builtin::AccountId
            | Builtin::AvailabilityZones
            | Builtin::Concat
            | Builtin::Contains
            | Builtin::Keys
            | Builtin::Length
            | Builtin::Max
            | Builtin::Min
            | Builtin::ObjectStoreUrl
            | Builtin::Region
            | Builtin::StackName
            | Builtin::Values => &[],
        }
    }

    /// When its value is known.
    pub fn stage(self) -> Stage {
        match self {
            Builtin::AccountId
            | Builtin::AvailabilityZones
            | Builtin::Region
            | Builtin::StackName => Stage::Context,
            Builtin::ObjectStoreUrl | Builtin::File => Stage::Deploy,
            Builtin::Base64
            | Builtin::Cidrsubnet
            | Builtin::Concat
            | Builtin::Contains
            | Builtin::Element
            | Builtin::Join
            | Builtin::Keys
            | Builtin::Length
            | Builtin::Lookup
            | Builtin::Lower
            | Builtin::Max
            | Builtin::Min
            | Builtin::Replace
            | Builtin::Split
            | Builtin::Upper
            | Builtin::Values => Stage::Compile,
        }
    }

    /// Whether the constant folder computes it when its arguments are known.
    pub fn folds(self) -> bool {
        self.stage() == Stage::Compile
    }

    /// The deploy-time context it reads, for the built-ins of
    /// [`Stage::Context`].
    pub fn context(self) -> Option<Context> {
        match self {
            Builtin::Region => Some(Context::Region),
            Builtin::AvailabilityZones => Some(Context::Zones),
            Builtin::StackName => Some(Context::StackName),
            Builtin::AccountId => Some(Context::AccountId),
            _ => None,
        }
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_order() {
        for pair in Builtin::ALL.windows(2) {
            assert!(pair[0].name() < pair[1].name());
        }
        for &b in Builtin::ALL {
            assert_eq!(Builtin::from_name(b.name()), Some(b));
            assert_eq!(b.context().is_some(), b.stage() == Stage::Context);
        }
        assert_eq!(Builtin::from_name("frobnicate"), None);
    }
}
