//! Hand-built IR names the resources it refers to by their ids' text:
//! `rid("Db")` stands for the resource whose `id` is `Db` until `resolved`
//! makes it that resource's index (`ResourceId` is an index in
//! `Deployment::resources`). The same as the unit tests' builders in
//! `src/backend/common/testing.rs`.

use infra::ir::{Deployment, ResourceId};

/// Marks a `ResourceId` that still stands for a name.
const NAMED: u32 = 1 << 31;

/// The resource whose id is `id`, once `resolved`. A name no resource has
/// stays a reference to no resource.
pub fn rid(id: &str) -> ResourceId {
    // FNV-1a: the same name gives the same stand-in in every test.
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    ResourceId(NAMED | (hash & !NAMED))
}

/// `d` with every `rid(...)` made the index of the resource of that id (the
/// last of that id, where two share one).
pub fn resolved(d: &Deployment) -> Deployment {
    let mut d = d.clone();
    let ids: Vec<ResourceId> = d.resources.iter().map(|r| rid(&r.id)).collect();
    d.for_each_reference_mut(&mut |id| {
        if let Some(i) = ids.iter().rposition(|named| named == id) {
            *id = ResourceId(i as u32);
        }
    });
    d
}
