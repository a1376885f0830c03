//! The semantic oracle over every example, ui test and generated program:
//! each target's template deploys exactly what the program says.

#[path = "support/oracle/mod.rs"]
mod oracle;
