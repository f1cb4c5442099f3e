//! The kiosk's integration tests: one binary, a module per concern.

// Test helpers outside `#[test]` functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

mod accessibility;
mod driver;
mod journeys;
mod measure;
mod navigation;
mod pairing;
mod read_aloud;
mod sound;
mod translations;
mod wifi;
