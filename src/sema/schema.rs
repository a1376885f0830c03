//! Resource schemas: what a resource type accepts and what it exposes,
//! whether it is a native type of one target or a component (portable stdlib
//! types and users' own components alike).

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use super::check::ModuleId;
use super::params::Constraints;
use super::ty::Ty;
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
    /// `native "AWS::EC2::VPC" on cloudformation`.
    Native { target: String },
    /// The component at `index` among the items of `module`.
    Component { module: ModuleId, index: usize },
}

#[derive(Clone, Debug)]
pub struct Schema {
    /// As users write it: `compute.Server`, `AWS::EC2::VPC`, `WebTier`.
    pub name: String,
    pub kind: SchemaKind,
    pub state: StateClass,
    /// The declaration's name, for "declared here" labels.
    pub span: Span,
    /// Properties a resource of this type may set.
    pub inputs: IndexMap<String, Field, FxBuildHasher>,
    /// Attributes a reference can read.
    pub outputs: IndexMap<String, Field, FxBuildHasher>,
    /// Constraints of a component's params, checked against constant values
    /// its instances pass.
    pub constraints: IndexMap<String, Constraints, FxBuildHasher>,
    /// A native type that can be snapshotted before deletion.
    pub snapshot: bool,
}
