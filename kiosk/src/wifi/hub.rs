//! Whether the hub answers: a TCP connection to its MQTT port and a TLS handshake that
//! trusts only the hub's own CA (the same settings as the link). A sign-in page or
//! another machine on that address fails the handshake, so "reachable" means the hub.
//! Blocking, with a time limit on every step: run it off the UI thread.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// How long each step (finding the address, connecting, the handshake) may take.
pub const HUB_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the hub did not answer (for whoever helps: the coach reads a plain sentence).
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The hub's name was not found.
    #[error("the hub's address {address} was not found ({reason})")]
    Name {
        /// host:port.
        address: String,
        /// What the resolver said.
        reason: String,
    },
    /// No TCP connection.
    #[error("the hub at {address} did not answer ({reason})")]
    Connect {
        /// host:port.
        address: String,
        /// What the connection said.
        reason: String,
    },
    /// Something answered, but not the hub (or not with the hub's certificate).
    #[error("something answered at {address}, but it is not the hub ({reason})")]
    Handshake {
        /// host:port.
        address: String,
        /// What TLS said.
        reason: String,
    },
    /// The tablet has no kiosk settings (no hub to try).
    #[error("this tablet has no kiosk settings yet: copy them with `nabij-hub kiosk-settings`")]
    NotSet,
    /// The kiosk settings' CA cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::link::TlsError),
}

/// Connects to `host:port` and completes a TLS handshake trusting only `ca_pem`, each
/// step within `timeout`.
pub fn reach_hub(host: &str, port: u16, ca_pem: &[u8], timeout: Duration) -> Result<(), HubError> {
    let address = format!("{host}:{port}");
    let config = Arc::new(crate::link::tls_client_config(ca_pem)?);
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| HubError::Name {
            address: address.clone(),
            reason: e.to_string(),
        })?
        .collect();
    let mut last = String::from("no address");
    let mut socket = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                socket = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut socket = socket.ok_or_else(|| HubError::Connect {
        address: address.clone(),
        reason: last,
    })?;
    let handshake = |reason: String| HubError::Handshake {
        address: address.clone(),
        reason,
    };
    socket
        .set_read_timeout(Some(timeout))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(|e| handshake(e.to_string()))?;
    let name = rustls_pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| handshake(e.to_string()))?;
    let mut tls =
        rustls::ClientConnection::new(config, name).map_err(|e| handshake(e.to_string()))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut socket)
            .map_err(|e| handshake(e.to_string()))?;
    }
    // Flush what is left (the client's Finished under TLS 1.3), and leave politely.
    tls.send_close_notify();
    let _ = tls.complete_io(&mut socket);
    let _ = socket.flush();
    Ok(())
}
