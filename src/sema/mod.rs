//! Semantic analysis: names, types and stages. Target-independent.

pub mod resolve;
