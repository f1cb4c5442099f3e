//! The end-to-end test binary: one module per capability.

// Test helpers outside `#[test]` functions may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

mod dashboard_browser;
mod hub_backup;
mod hub_broker_modes;
mod hub_cli;
mod hub_devices;
mod hub_messaging;
mod hub_protocol;
mod hub_stops;
mod hub_tls;
mod kiosk_link;
mod kiosk_live;
mod protocol_doc;
