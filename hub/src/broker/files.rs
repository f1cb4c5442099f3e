//! The text of Mosquitto's configuration, password and ACL files. Pure functions: the
//! caller decides where they go.

use std::fmt::Write;
use std::net::IpAddr;
use std::path::Path;

/// The hub's own MQTT username.
pub const HUB_USER: &str = "nabij-hub";

/// The shared username of pairing tablets.
pub const ENROL_USER: &str = "enrol";

/// What the managed broker listens on and where its files are.
#[derive(Debug, Clone)]
pub struct ListenerPlan<'a> {
    /// Plain MQTT on 127.0.0.1 for the hub.
    pub local_port: u16,
    /// Address of the TLS listener for tablets.
    pub listen: IpAddr,
    /// TLS port for tablets.
    pub tls_port: u16,
    /// Plain listener for tablets during development (`--insecure-dev`).
    pub insecure_port: Option<u16>,
    /// CA certificate, server certificate and key.
    pub ca: &'a Path,
    /// The server certificate.
    pub cert: &'a Path,
    /// The server key.
    pub key: &'a Path,
    /// The broker's own folder (password, ACL, pid and persistence files).
    pub dir: &'a Path,
    /// The user Mosquitto should run as (it drops root privileges to this user).
    pub run_as: &'a str,
}

/// The largest MQTT packet the broker accepts: the protocol's, which a kiosk must respect
/// (docs/protocol.md §1); deploy/mosquitto/nabij.conf says the same, and a test checks it.
pub const MAX_PACKET_BYTES: usize = nabij_protocol::limits::MAX_PACKET_BYTES;

/// `mosquitto.conf` for the managed broker.
pub fn mosquitto_conf(plan: &ListenerPlan<'_>) -> String {
    let d = plan.dir.display();
    let mut conf = format!(
        "# Written by nabij-hub at every start; edits here are overwritten.\n\
         per_listener_settings false\n\
         allow_anonymous false\n\
         password_file {d}/passwd\n\
         acl_file {d}/acl\n\
         persistence true\n\
         persistence_location {d}/persistence/\n\
         autosave_interval 60\n\
         pid_file {d}/mosquitto.pid\n\
         user {user}\n\
         log_dest stderr\n\
         log_type error\n\
         log_type warning\n\
         log_type notice\n\
         connection_messages true\n\
         max_packet_size {max}\n\
         # The hub's own session takes every tablet's burst after an outage: room for it,\n\
         # bounded in bytes.\n\
         max_queued_messages 20000\n\
         max_queued_bytes 268435456\n\
         # Small messages answer small messages: no Nagle delay on acknowledgements.\n\
         set_tcp_nodelay true\n\
         \n\
         # The hub's own connection: plain MQTT, loopback only.\n\
         listener {local} 127.0.0.1\n\
         \n\
         # Tablets: TLS only, verified against the hub's CA.\n\
         listener {tls} {listen}\n\
         cafile {ca}\n\
         certfile {cert}\n\
         keyfile {key}\n",
        user = plan.run_as,
        max = MAX_PACKET_BYTES,
        local = plan.local_port,
        tls = plan.tls_port,
        listen = plan.listen,
        ca = plan.ca.display(),
        cert = plan.cert.display(),
        key = plan.key.display(),
    );
    if let Some(port) = plan.insecure_port {
        let _ = write!(
            conf,
            "\n# --insecure-dev: plain MQTT for tablets. Never in production.\nlistener {port} 0.0.0.0\n"
        );
    }
    conf
}

/// The ACL file. Every tablet may publish only to its own `up` and `status` topics and
/// read only its own `down` topic and the hub's status; a pairing tablet only its own
/// enrolment topics, keyed by its (secret, random) client id. Only the hub may use
/// wildcards across tablets.
pub fn acl() -> String {
    format!(
        "# Written by nabij-hub; edits here are overwritten.\n\
         user {HUB_USER}\n\
         topic readwrite nabij/v1/#\n\
         \n\
         # Patterns apply to every user; %u is the username, %c the client id.\n\
         # Mosquitto does not apply a pattern to an id containing + # or /.\n\
         pattern write nabij/v1/dev/%u/up\n\
         pattern write nabij/v1/dev/%u/status\n\
         pattern read nabij/v1/dev/%u/down\n\
         pattern read nabij/v1/hub/status\n\
         pattern write nabij/v1/enrol/%c/up\n\
         pattern read nabij/v1/enrol/%c/down\n"
    )
}

/// The password file: one `user:hash` line each for the hub, the enrolment user and
/// every tablet that may connect.
pub fn passwd<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (user, hash) in entries {
        let _ = writeln!(out, "{user}:{hash}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_listener_has_its_certificates_and_the_plain_one_stays_on_loopback() {
        let dir = Path::new("/data/broker");
        let plan = ListenerPlan {
            local_port: 1884,
            listen: IpAddr::from([0, 0, 0, 0]),
            tls_port: 8883,
            insecure_port: None,
            ca: Path::new("/data/pki/ca.pem"),
            cert: Path::new("/data/pki/server.pem"),
            key: Path::new("/data/pki/server-key.pem"),
            dir,
            run_as: "nabij",
        };
        let conf = mosquitto_conf(&plan);
        assert!(conf.contains("listener 1884 127.0.0.1\n"));
        assert!(conf.contains("listener 8883 0.0.0.0\ncafile /data/pki/ca.pem\n"));
        assert!(conf.contains("allow_anonymous false"));
        assert!(
            !conf.contains("0.0.0.0\n\n"),
            "no plain listener on all addresses"
        );
        let dev = mosquitto_conf(&ListenerPlan {
            insecure_port: Some(1883),
            ..plan
        });
        assert!(dev.contains("listener 1883 0.0.0.0"));
    }

    #[test]
    fn the_packet_limit_is_the_protocols_in_the_managed_and_the_example_external_broker() {
        // A kiosk MUST stay under this limit (docs/protocol.md §1); the broker closes the
        // connection of one that does not, so both configurations must say the same.
        let conf = mosquitto_conf(&ListenerPlan {
            local_port: 1884,
            listen: IpAddr::from([127, 0, 0, 1]),
            tls_port: 8883,
            insecure_port: None,
            ca: Path::new("ca.pem"),
            cert: Path::new("server.pem"),
            key: Path::new("server-key.pem"),
            dir: Path::new("broker"),
            run_as: "nabij",
        });
        let line = format!(
            "max_packet_size {}\n",
            nabij_protocol::limits::MAX_PACKET_BYTES
        );
        assert!(conf.contains(&line), "{conf}");
        let external = include_str!("../../../deploy/mosquitto/nabij.conf");
        assert!(
            external.contains(&line),
            "deploy/mosquitto/nabij.conf lacks {line:?}"
        );
        assert!(
            !external.contains("message_size_limit"),
            "a payload limit below the packet limit would drop messages in silence"
        );
    }

    #[test]
    fn password_lines() {
        assert_eq!(
            passwd([("nabij-hub", "$7$a"), ("d-1", "$7$b")]),
            "nabij-hub:$7$a\nd-1:$7$b\n"
        );
    }
}
