//! The tablet itself: firmware profiles, the real window (winit or full screen), headless
//! rendering for tests and screenshots, and the backlight.

pub mod backlight;
pub mod headless;
pub mod profile;
pub mod render;
pub mod run;
