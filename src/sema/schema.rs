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
    /// Constraints of a component's params, checked against constant values
    /// its instances pass.
    pub constraints: IndexMap<String, Constraints, FxBuildHasher>,
    /// A native type that can be snapshotted before deletion.
    pub snapshot: bool,
    /// Where the type holds IPv4 network blocks, and how they nest.
    pub addressing: Addressing,
    /// Attributes the target reads as lists (a native schema's
    /// `list_attributes`).
    pub list_attributes: Vec<String>,
    /// Attributes the target gives as lists of key/value objects, read as
    /// maps (a native schema's `keyed_attributes`).
    pub keyed_attributes: Vec<KeyedAttribute>,
    /// What a change of a property does to a deployed resource of a native
    /// type (its schema's `replaced_by` and `may_replace`).
    pub replacement: Replacement,
    /// Attributes the provider marks sensitive (a native schema's
    /// `sensitive_attributes`).
    pub sensitive_attributes: Vec<String>,
    /// The arguments that keep a final snapshot when the tool deletes a
    /// resource of the type (a native schema's `final_snapshot`).
    pub final_snapshot: Option<FinalSnapshot>,
    /// Where the type takes the machine image it boots from: a property,
    /// then fields of the objects it holds (a native schema's `image`).
    pub image_property: Option<Vec<String>>,
    /// Attributes holding IP addresses (a native schema's
    /// `address_attributes`).
    pub address_attributes: Vec<String>,
    /// A DNS record: the properties holding its type and its values (a
    /// native schema's `dns_record`).
    pub dns_record: Option<DnsRecord>,
}

/// A native schema's `dns_record = { type = "T", records = "R" }`: the
/// type is a DNS record, its type in property `T`, its values in `R`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsRecord {
    pub type_property: String,
    pub records: String,
}

/// A native schema's `final_snapshot`: the arguments that keep a final
/// snapshot when the tool deletes a resource, written from its deletion
/// policy unless the program sets one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalSnapshot {
    /// `{ flag = "A" }`: `A = true` when the policy is snapshot.
    Flag(String),
    /// `{ skip = "S", identifier = "I", named_after = "N" }`: `S = false`
    /// unless the policy is delete, then `I`, the snapshot's name, after
    /// the property `N` (`<N>-final`) or the stack and the resource.
    Named {
        skip: String,
        identifier: String,
        named_after: String,
    },
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

/// A property holding address blocks, and the steps from its value to each
/// block: `ingress[].cidr_blocks[]` in a schema.
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

/// An attribute given as a list of objects, read as a map: `attribute` is
/// the list, each object's `key` field its key, its `value` field its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedAttribute {
    pub attribute: String,
    pub key: String,
    pub value: String,
}
