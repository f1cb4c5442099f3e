//! rumqttc's `poll()` must not be cancelled half-way (a TLS handshake would be cut off), so
//! each connection polls in a task of its own and hands what happened over a channel,
//! waiting longer after each failure (the back-off of docs/protocol.md §1).

use super::AbortOnDrop;
use rumqttc::{Event, EventLoop, Packet};
use std::time::Duration;
use tokio::sync::mpsc;

/// Why the connection failed, as far as a kiosk cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The broker refused the name or password (switched off, or wrong settings).
    LoginRefused,
    /// Anything else (network, broker away): it tries again by itself.
    Other,
}

impl Failure {
    fn of(error: &rumqttc::ConnectionError) -> Failure {
        use rumqttc::ConnectReturnCode::{BadUserNamePassword, NotAuthorized};
        match error {
            rumqttc::ConnectionError::ConnectionRefused(BadUserNamePassword | NotAuthorized) => {
                Failure::LoginRefused
            }
            _ => Failure::Other,
        }
    }
}

/// Polls `eventloop` until the returned guard is dropped. After a failure it waits
/// `first`, doubling up to `longest`, and starts again at `first` once connected.
pub fn spawn(
    mut eventloop: EventLoop,
    first: Duration,
    longest: Duration,
) -> (AbortOnDrop, mpsc::UnboundedReceiver<Result<Event, Failure>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut backoff = first;
        loop {
            let polled = eventloop.poll().await;
            let failed = polled.is_err();
            if matches!(polled, Ok(Event::Incoming(Packet::ConnAck(_)))) {
                backoff = first;
            }
            if tx.send(polled.map_err(|e| Failure::of(&e))).is_err() {
                return;
            }
            if failed {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(longest);
            }
        }
    });
    (AbortOnDrop(task), rx)
}

/// Turns off Nagle's algorithm on the connection: the link sends small messages that
/// answer small messages, which Nagle and the hub's delayed ACK would hold back ~40 ms.
pub fn no_delay(eventloop: &mut rumqttc::EventLoop) {
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
}
