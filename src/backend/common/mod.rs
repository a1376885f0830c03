//! What the backends decide the same way, whatever the template's syntax:
//! how names are spelled and kept unique, where a diagnostic about a param
//! points, the note on export names only CloudFormation uses, and CNAME
//! records that point at an address.
//!
//! A target's own spelling of a decision stays in its backend; only what
//! is the same decision, with the same outcome, is here.

pub mod dns;
pub mod exports;
pub mod names;
pub mod reads;
#[cfg(test)]
pub mod testing;
