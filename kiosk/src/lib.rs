//! The Nabij kiosk: the tablet app seniors use. `main.rs` only parses arguments.
//!
//! Rooms by job:
//! - `ui` (generated from `ui/*.slint`), `adapters` and `app` are the only code that
//!   touches Slint; `state` (each screen's state and transitions), `words` and `sample`
//!   are plain data and logic.
//! - `audio`: sound, recording, voice notes, read-aloud.
//! - `link` (the MQTT connection to the hub) and `live` (the kiosk's life with its hub:
//!   what arrives, what goes, what is kept on disk).
//! - `platform`: firmware profiles, the window, headless rendering, the backlight.
//! - `wifi`: home Wi-Fi through NetworkManager, and whether the hub answers.

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
pub mod audio;
pub mod cli;
pub mod link;
pub mod live;
pub mod platform;
pub mod sample;
pub mod state;
pub mod wifi;
pub mod words;
