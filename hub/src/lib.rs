//! The Nabij hub. `main.rs` only parses arguments; everything else lives here so that
//! tests can call the same code.

pub mod check;
pub mod cli;
