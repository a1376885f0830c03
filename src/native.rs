//! What a native type's schema says that the backends read: the settings
//! `tools/gen-schemas` writes into `stdlib/native/` (`list_attributes`,
//! `keyed_attributes`, `sensitive_attributes`, `final_snapshot`, `image`,
//! `address_attributes`, `dns_record`). Sema reads them once into its
//! `Schema`; each native resource of the IR shares them.

/// A native type's facts for the backends; empty for a type without them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeFacts {
    /// Attributes the target reads as lists.
    pub list_attributes: Vec<String>,
    /// Attributes the target gives as lists of key/value objects, read as
    /// maps.
    pub keyed_attributes: Vec<KeyedAttribute>,
    /// Attributes the provider marks sensitive.
    pub sensitive_attributes: Vec<String>,
    /// The arguments that keep a final snapshot when the tool deletes a
    /// resource of the type.
    pub final_snapshot: Option<FinalSnapshot>,
    /// Where the type takes the machine image it boots from: a property,
    /// then fields of the objects it holds.
    pub image_property: Option<Vec<String>>,
    /// Attributes holding IP addresses, by the first segment of the path
    /// read.
    pub address_attributes: Vec<String>,
    /// A DNS record: the properties holding its type and its values.
    pub dns_record: Option<DnsRecord>,
    /// What a template parameter holding the id of a resource of the type
    /// is, for an `existing` declaration: CloudFormation's AWS-specific
    /// parameter type (`AWS::EC2::VPC::Id`), Heat's custom constraint
    /// (`neutron.network`).
    pub id_param: Option<String>,
}

/// An attribute given as a list of objects, read as a map: `attribute` is
/// the list, each object's `key` field its key, its `value` field its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedAttribute {
    pub attribute: String,
    pub key: String,
    pub value: String,
}

/// `dns_record = { type = "T", records = "R" }`: the type is a DNS record,
/// its type (`A`, `CNAME`) in property `T`, its values in `R`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsRecord {
    pub type_property: String,
    pub records: String,
}

/// `final_snapshot`: the arguments that keep a final snapshot when the tool
/// deletes a resource, written from its deletion policy unless the program
/// sets one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalSnapshot {
    /// `{ flag = "A" }`: `A = true` when the policy is snapshot
    /// (`aws_ebs_volume`'s `final_snapshot`).
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
