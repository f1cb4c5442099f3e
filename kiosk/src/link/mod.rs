//! The kiosk's link to its hub: a durable outbox and inbox in sled (`store`), the protocol
//! rules as plain code (`core`: what to publish, acknowledge, keep, and tell the app), and
//! one thin task that owns the MQTT connection (`mqtt`). Only `mqtt` knows rumqttc.

mod core;
mod mqtt;
mod store;

pub use self::core::{LinkCore, LinkEvent, Publish};
pub use mqtt::{Link, LinkConfig, LinkError};
pub use store::{KioskStore, StoreError};
