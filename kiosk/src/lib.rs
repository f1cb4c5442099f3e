//! The Nabij kiosk: the tablet app seniors use. `main.rs` only parses arguments.
//!
//! - `ui` (generated from `ui/*.slint`) and `adapters` are the only code that touches
//!   Slint; `state`, `words` and `sample` are plain data and logic.
//! - `profile` reads firmware profiles; `headless` and `render` draw screens to PNG.

/// The Slint UI, generated from `ui/app.slint`.
// Generated code uses unsafe internally (Slint's item tree vtables).
#[allow(
    missing_docs,
    unsafe_code,
    clippy::all,
    clippy::unwrap_used,
    clippy::todo
)]
pub mod ui {
    slint::include_modules!();
}

pub mod adapters;
pub mod app;
pub mod backlight;
pub mod catalog;
pub mod cli;
pub mod files;
pub mod headless;
pub mod health;
pub mod hub_settings;
pub mod identity;
pub mod link;
pub mod live;
pub mod outgoing;
pub mod photos;
pub mod profile;
pub mod qr;
pub mod received;
pub mod render;
pub mod run;
pub mod sample;
pub mod settings_file;
pub mod sound;
pub mod sound_check;
pub mod sound_cpal;
pub mod state;
pub mod topics;
pub mod voice;
pub mod words;
