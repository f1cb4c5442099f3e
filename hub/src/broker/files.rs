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
    /// Address of the TLS listeners for tablets.
    pub listen: IpAddr,
    /// TLS port for enrolled tablets.
    pub tls_port: u16,
    /// TLS port for pairing tablets.
    pub pairing_port: u16,
    /// Plain listener for tablets during development (`--insecure-dev`), on 127.0.0.1.
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

/// TLS 1.2 suites the tablets' listeners accept: forward secret and authenticated
/// encryption (AEAD) only, for the hub's ECDSA key. Mosquitto's default list also takes
/// CBC suites, which have a history of padding-oracle attacks.
pub const TLS12_CIPHERS: &str =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";

/// TLS 1.3 suites: all three are AEAD; named so that the list cannot widen by default.
pub const TLS13_CIPHERS: &str =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/// The broker's login and access files: one pair per listener, because each listener
/// admits other logins (`per_listener_settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The hub's own loopback listener: the hub's login alone.
    Hub,
    /// The enrolled tablets' listener: one login per tablet, client id = login.
    Tablets,
    /// The pairing listener: the shared enrolment login alone.
    Pairing,
    /// `--insecure-dev`'s plain loopback listener: tablets and pairing both.
    Dev,
}

impl Door {
    /// Every door.
    pub const ALL: [Door; 4] = [Door::Hub, Door::Tablets, Door::Pairing, Door::Dev];

    /// The password file's name in the broker's folder.
    pub fn passwd(self) -> &'static str {
        match self {
            Door::Hub => "passwd-hub",
            Door::Tablets => "passwd",
            Door::Pairing => "passwd-pairing",
            Door::Dev => "passwd-dev",
        }
    }

    /// The ACL file's name in the broker's folder.
    pub fn acl(self) -> &'static str {
        match self {
            Door::Hub => "acl-hub",
            Door::Tablets => "acl",
            Door::Pairing => "acl-pairing",
            Door::Dev => "acl-dev",
        }
    }

    /// Whether the hub's login opens this door: its loopback one, and the pairing
    /// listener, where `cargo xtask bench` measures bare Mosquitto over TLS with it (the
    /// login is a secret that never leaves the hub; on the tablets' listener two clients
    /// of one login would knock each other off).
    pub fn admits_hub(self) -> bool {
        matches!(self, Door::Hub | Door::Pairing)
    }

    /// Whether the shared enrolment login opens this door.
    pub fn admits_pairing(self) -> bool {
        matches!(self, Door::Pairing | Door::Dev)
    }

    /// Whether enrolled tablets' logins open this door.
    pub fn admits_tablets(self) -> bool {
        matches!(self, Door::Tablets | Door::Dev)
    }
}

fn door_lines(conf: &mut String, dir: &Path, door: Door) {
    let d = dir.display();
    let _ = write!(
        conf,
        "allow_anonymous false\npassword_file {d}/{}\nacl_file {d}/{}\n",
        door.passwd(),
        door.acl()
    );
}

fn tls_lines(conf: &mut String, plan: &ListenerPlan<'_>) {
    let _ = write!(
        conf,
        "cafile {ca}\ncertfile {cert}\nkeyfile {key}\ntls_version tlsv1.2\nciphers {TLS12_CIPHERS}\nciphers_tls1.3 {TLS13_CIPHERS}\n",
        ca = plan.ca.display(),
        cert = plan.cert.display(),
        key = plan.key.display(),
    );
}

/// `mosquitto.conf` for the managed broker.
pub fn mosquitto_conf(plan: &ListenerPlan<'_>) -> String {
    let d = plan.dir.display();
    let mut conf = format!(
        "# Written by nabij-hub at every start; edits here are overwritten.\n\
         # Each listener admits its own logins (see the password and ACL files below).\n\
         per_listener_settings true\n\
         persistence true\n\
         persistence_location {d}/persistence/\n\
         autosave_interval 60\n\
         pid_file {d}/mosquitto.pid\n\
         user {user}\n\
         log_dest stderr\n\
         log_type error\n\
         log_type warning\n\
         log_type notice\n\
         # A client id is a tablet's login: it stays out of the log, where anyone who\n\
         # reads it could use it to knock that tablet off.\n\
         connection_messages false\n\
         max_packet_size {max}\n\
         # The hub's own session takes every tablet's burst after an outage: room for it,\n\
         # bounded in bytes.\n\
         max_queued_messages 20000\n\
         max_queued_bytes 268435456\n\
         # Small messages answer small messages: no Nagle delay on acknowledgements.\n\
         set_tcp_nodelay true\n\
         \n\
         # The hub's own connection: plain MQTT, loopback only.\n\
         listener {local} 127.0.0.1\n",
        user = plan.run_as,
        max = MAX_PACKET_BYTES,
        local = plan.local_port,
    );
    door_lines(&mut conf, plan.dir, Door::Hub);
    let _ = write!(
        conf,
        "\n# Enrolled tablets: TLS only, verified against the hub's CA. Each one's client id\n\
         # is its login, so no login can take over another tablet's connection.\n\
         listener {tls} {listen}\n\
         use_username_as_clientid true\n",
        tls = plan.tls_port,
        listen = plan.listen,
    );
    door_lines(&mut conf, plan.dir, Door::Tablets);
    tls_lines(&mut conf, plan);
    let _ = write!(
        conf,
        "\n# Pairing tablets: TLS, the shared enrolment login only; each picks a random\n\
         # client id that names its own enrolment topics.\n\
         listener {pairing} {listen}\n",
        pairing = plan.pairing_port,
        listen = plan.listen,
    );
    door_lines(&mut conf, plan.dir, Door::Pairing);
    tls_lines(&mut conf, plan);
    if let Some(port) = plan.insecure_port {
        let _ = write!(
            conf,
            "\n# --insecure-dev: plain MQTT for tablets on this machine. Never in production.\n\
             listener {port} 127.0.0.1\n"
        );
        door_lines(&mut conf, plan.dir, Door::Dev);
    }
    conf
}

/// The ACL file of `door`. A tablet may publish only to its own `up` and `status`
/// topics and read only its own `down` topic and the hub's status; a pairing tablet only
/// its own enrolment topics, keyed by its (secret, random) client id. Only the hub may
/// use wildcards across tablets. Each listener's file holds only the rules of the logins
/// it admits, so the enrolment login matches no tablet's pattern.
pub fn acl(door: Door) -> String {
    let mut out = String::from("# Written by nabij-hub; edits here are overwritten.\n");
    if door.admits_hub() {
        let _ = write!(out, "user {HUB_USER}\ntopic readwrite nabij/v1/#\n");
    }
    if door.admits_tablets() || door.admits_pairing() {
        out.push_str(
            "# Patterns apply to every login of this listener; %u is the login, %c the client id.\n\
             # Mosquitto does not apply a pattern to an id containing + # or /.\n",
        );
    }
    if door.admits_tablets() {
        out.push_str(
            "pattern write nabij/v1/dev/%u/up\n\
             pattern write nabij/v1/dev/%u/status\n\
             pattern read nabij/v1/dev/%u/down\n\
             pattern read nabij/v1/hub/status\n",
        );
    }
    if door.admits_pairing() {
        out.push_str(
            "pattern write nabij/v1/enrol/%c/up\n\
             pattern read nabij/v1/enrol/%c/down\n",
        );
    }
    out
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

    fn plan(insecure_port: Option<u16>) -> ListenerPlan<'static> {
        ListenerPlan {
            local_port: 1884,
            listen: IpAddr::from([0, 0, 0, 0]),
            tls_port: 8883,
            pairing_port: 8884,
            insecure_port,
            ca: Path::new("/data/pki/ca.pem"),
            cert: Path::new("/data/pki/server.pem"),
            key: Path::new("/data/pki/server-key.pem"),
            dir: Path::new("/data/broker"),
            run_as: "nabij",
        }
    }

    /// The lines of the listener on `port`, up to the next listener.
    fn listener(conf: &str, port: u16) -> String {
        let start = conf
            .find(&format!("listener {port} "))
            .unwrap_or_else(|| panic!("no listener {port} in:\n{conf}"));
        let rest = &conf[start..];
        let end = rest[1..].find("\nlistener ").map_or(rest.len(), |i| i + 1);
        rest[..end].to_owned()
    }

    #[test]
    fn each_listener_admits_its_own_logins_and_the_plain_one_stays_on_loopback() {
        let conf = mosquitto_conf(&plan(None));
        assert!(conf.contains("per_listener_settings true\n"));
        assert!(
            conf.contains("connection_messages false\n"),
            "no client ids in the log"
        );
        let hub = listener(&conf, 1884);
        assert!(hub.starts_with("listener 1884 127.0.0.1\n"));
        assert!(hub.contains("password_file /data/broker/passwd-hub\n"));
        assert!(!hub.contains("cafile"));
        let tablets = listener(&conf, 8883);
        assert!(tablets.starts_with("listener 8883 0.0.0.0\n"));
        assert!(tablets.contains("use_username_as_clientid true\n"));
        assert!(tablets.contains("password_file /data/broker/passwd\nacl_file /data/broker/acl\n"));
        let pairing = listener(&conf, 8884);
        assert!(pairing.contains("password_file /data/broker/passwd-pairing\n"));
        assert!(!pairing.contains("use_username_as_clientid"));
        for tls in [&tablets, &pairing] {
            assert!(tls.contains("allow_anonymous false\n"));
            assert!(tls.contains("cafile /data/pki/ca.pem\n"));
            assert!(tls.contains("tls_version tlsv1.2\n"));
            assert!(tls.contains(&format!("ciphers {TLS12_CIPHERS}\n")));
            assert!(tls.contains(&format!("ciphers_tls1.3 {TLS13_CIPHERS}\n")));
        }
        for suite in TLS12_CIPHERS.split(':') {
            assert!(
                suite.contains("GCM") || suite.contains("CHACHA20-POLY1305"),
                "{suite} is not AEAD"
            );
        }
        assert_eq!(conf.matches("\nlistener ").count(), 3);
        let dev = mosquitto_conf(&plan(Some(1883)));
        let plain = listener(&dev, 1883);
        assert!(plain.starts_with("listener 1883 127.0.0.1\n"), "{plain}");
        assert!(plain.contains("password_file /data/broker/passwd-dev\n"));
    }

    #[test]
    fn the_enrolment_login_matches_no_tablet_pattern_and_tablets_no_enrolment_one() {
        let tablets = acl(Door::Tablets);
        assert!(tablets.contains("pattern read nabij/v1/dev/%u/down\n"));
        assert!(!tablets.contains("enrol"));
        assert!(!tablets.contains(&format!("user {HUB_USER}")));
        let pairing = acl(Door::Pairing);
        assert!(pairing.contains("pattern write nabij/v1/enrol/%c/up\n"));
        assert!(!pairing.contains("/dev/"));
        assert!(
            pairing.contains("user nabij-hub\n"),
            "the benchmark's raw path"
        );
        let hub = acl(Door::Hub);
        assert!(hub.contains("user nabij-hub\ntopic readwrite nabij/v1/#\n"));
        assert!(!hub.contains("pattern"));
        let dev = acl(Door::Dev);
        assert!(dev.contains("/dev/%u/up") && dev.contains("/enrol/%c/up"));
    }

    #[test]
    fn the_packet_limit_is_the_protocols_in_the_managed_and_the_example_external_broker() {
        // A kiosk MUST stay under this limit (docs/protocol.md §1); the broker closes the
        // connection of one that does not, so both configurations must say the same.
        let conf = mosquitto_conf(&plan(None));
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
