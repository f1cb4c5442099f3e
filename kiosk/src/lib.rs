//! The Nabij kiosk. `main.rs` only parses arguments; everything else lives here so that
//! tests can call the same code.

pub mod cli;
pub mod topics;
