//! Resource schemas: what a resource type accepts and what it exposes,
//! whether it is a native type of one target or a component (portable stdlib
//! types and users' own components alike).

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use std::sync::Arc;

use super::check::ModuleId;
use super::params::Constraints;
use super::ty::Ty;
use crate::native::NativeFacts;
use crate::source::Span;
use crate::syntax::ast::StateClass;

#[derive(Clone, Debug)]
pub struct Field {
    pub ty: Ty,
    pub required: bool,
    /// The field's name where the schema declares it.
    pub span: Span,
    /// Whether the field holds a secret: a component's param declared
    /// `secret = true` (it may be given one) or output declared
    /// `sensitive = true` (reading it gives one). Native schemas mark no
    /// field: the generated schemas carry no such marker.
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub enum SchemaKind {
    /// `native "TYPE" on TARGET`.
    Native { target: String },
    /// The component at `index` among the items of `module`.
    Component { module: ModuleId, index: usize },
}

#[derive(Clone, Debug)]
pub struct Schema {
    /// As users write it: `compute.Server`, a native type's name, `WebTier`.
    pub name: String,
    pub kind: SchemaKind,
    pub state: StateClass,
    /// The declaration's name, for "declared here" labels.
    pub span: Span,
    /// Properties a resource of this type may set.
    pub inputs: IndexMap<String, Field, FxBuildHasher>,
    /// Attributes a reference can read.
    pub outputs: IndexMap<String, Field, FxBuildHasher>,
    /// Constraints of a component's params, or of a native type's properties
    /// (its schema's `constraints`), checked against constant values its
    /// instances pass.
    pub constraints: IndexMap<String, Constraints, FxBuildHasher>,
    /// A native type that can be snapshotted before deletion.
    pub snapshot: bool,
    /// Where the type holds IPv4 network blocks, and how they nest.
    pub addressing: Addressing,
    /// What the backends read of a native type (empty for a component),
    /// shared with every native resource made of it.
    pub facts: Arc<NativeFacts>,
    /// What a change of a property does to a deployed resource of a native
    /// type (its schema's `replaced_by` and `may_replace`).
    pub replacement: Replacement,
    /// What the source of a native type's schema says is deprecated.
    pub deprecated: Deprecated,
    /// The schema of an `existing` declaration: what the target can read of
    /// a resource of the native type it does not manage.
    pub existing: bool,
    /// What a native type's schema says of the members its properties
    /// hold: constraints at paths, objects that need one of some sets of
    /// members. Empty for a component.
    pub members: Arc<MemberRules>,
}

/// The schema settings of a native type about the members of its
/// properties: `constraints` entries at paths (`P.F`, `P[]`, `P[].F`) and
/// `one_of_required`.
#[derive(Clone, Debug, Default)]
pub struct MemberRules {
    /// The module declaring the native type, where its constraints are read
    /// from when a resource first sets the property (a type may have
    /// thousands, most never set).
    pub module: Option<ModuleId>,
    /// The constraints entries at paths, by property: the path as written
    /// and the entry's index among the `constraints` setting's entries.
    pub constraints: IndexMap<String, Vec<(String, usize)>, FxBuildHasher>,
    /// By property (`""`: the resource's own properties), the objects at a
    /// path that need every member of one of the sets.
    pub one_of_required: Vec<OneOfRequired>,
}

/// An object that must set every member of one of `sets`: the resource's
/// properties (`site` None) or the objects a path of a property reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOfRequired {
    pub path: String,
    pub site: Option<CidrSite>,
    pub sets: Vec<Vec<String>>,
}

/// The deprecations of a native type's schema (its `deprecated = true` and
/// `deprecated_properties` settings), warned about where a program uses
/// them (W0211).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deprecated {
    /// The type itself.
    pub whole: bool,
    /// Top-level properties.
    pub properties: Vec<String>,
}

/// The top-level properties of a native type whose change makes the tool
/// replace a deployed resource (make a new one, delete the old one):
/// always (`replaced_by`), or in some cases only (`may_replace`). Read by
/// `infra diff`; empty where the source does not say (Terraform).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replacement {
    pub replaced_by: Vec<String>,
    pub may_replace: Vec<String>,
}

/// What a type says of the IPv4 network blocks it holds: a native schema's
/// settings (`cidr`, `network`, `secondary_blocks`, `subnet`, `adds_cidr`),
/// or the portable stdlib's own.
#[derive(Clone, Debug, Default)]
pub struct Addressing {
    /// Properties holding blocks the clouds check (E0320).
    pub blocks: Vec<CidrSite>,
    /// A network: the property holding its block.
    pub network: Option<String>,
    /// A network that may also hold subnets in secondary blocks.
    pub secondary_blocks: bool,
    /// A subnet: the property naming its network and the one holding its
    /// block.
    pub subnet: Option<(String, String)>,
    /// A resource that gives a network a secondary block.
    pub adds_cidr: bool,
}

/// A property and the steps from its value to what a path names: the
/// address blocks of `ingress[].cidr_blocks[]`, the members a constraint or
/// a one-of rule of a schema is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrSite {
    pub property: String,
    pub steps: Vec<Step>,
}

/// A step from a value towards what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Each element of a list (`[]`).
    Each,
    /// A field of an object (`.key`).
    Key(String),
}
