//! The pest parser generated from `grammar/infra.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/infra.pest"]
pub struct InfraParser;
