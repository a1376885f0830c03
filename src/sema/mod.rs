//! Semantic analysis: names, types and stages. Target-independent.

pub mod check;
pub mod eval;
pub mod files;
pub mod names;
pub mod params;
pub mod resolve;
pub mod schema;
pub mod ty;
