//! The kiosk's link to its hub: a durable outbox and inbox in redb (`store`), the protocol
//! rules as plain code (`core`: what to publish, acknowledge, keep, and tell the app), the
//! enrolled connection (`mqtt`) and the pairing connection (`pairing`), each one thin task
//! that owns its MQTT connection, and `tls` (trust the hub's own CA). Only `mqtt` and
//! `pairing` know rumqttc; only `store` knows redb.

mod core;
mod mqtt;
mod pairing;
mod poller;
mod store;
mod tls;
pub mod topics;

pub use self::core::{LinkCore, LinkEvent, Publish};
pub use mqtt::{Link, LinkConfig, LinkError, new_message_id};
pub use pairing::{Pairing, PairingConfig, PairingEvent};
pub use store::{KioskStore, StoreError};
pub use tls::{TlsError, client_config as tls_client_config};

/// Aborts a task when dropped: a connection's poller goes with it, however it ends.
pub(crate) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
