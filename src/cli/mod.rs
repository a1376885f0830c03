//! The command line's own logic, apart from parsing and printing.

pub mod project;
