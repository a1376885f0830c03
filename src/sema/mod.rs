//! Semantic analysis: names, types and stages. Target-independent.

pub mod eval;
pub mod params;
pub mod resolve;
