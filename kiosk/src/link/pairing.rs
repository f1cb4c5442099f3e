//! The pairing connection of a tablet that has no identity yet (docs/protocol.md §1, §6):
//! log in with the shared enrolment password under its own random enrolment id, say
//! `enrol_hello`, show the code the hub answers, say hello again every half minute (the
//! hub keeps a pairing only while its tablet does) and when the code expires, and hand
//! the app the credential of `enrol_granted`. One task owns the connection (rumqttc stops here).

use super::mqtt::{LinkError, new_message_id};
use super::poller::Failure;
use nabij_protocol::{
    Body, EnrolGranted, EnrolHello, EnrolRefusal, EnrolmentId, Envelope, Party, Topic, UnixMillis,
    decode,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How to reach the hub as a pairing tablet.
#[derive(Debug, Clone)]
pub struct PairingConfig {
    /// The hub's host.
    pub host: String,
    /// Its TLS port.
    pub port: u16,
    /// The hub's CA certificate (PEM); `None` only for a development hub without TLS.
    pub ca_pem: Option<Vec<u8>>,
    /// The shared enrolment password from the kiosk settings.
    pub enrolment_password: String,
    /// This tablet's enrolment id: kept until it is paired, so a grant that was lost on
    /// the way is sent again when the tablet asks again under the same id.
    pub enrolment_id: EnrolmentId,
    /// The firmware profile's name.
    pub profile: String,
}

/// What the app hears while pairing.
#[derive(Debug, Clone, PartialEq)]
pub enum PairingEvent {
    /// Show this code (six characters) until it expires.
    Code(String),
    /// Paired: the tablet's own identity.
    Granted(EnrolGranted),
    /// Connected to the broker, or not.
    Online(bool),
    /// The enrolment log-in was refused: the kiosk settings are wrong or old.
    LoginRefused,
}

/// A running pairing connection; dropping it ends it.
pub struct Pairing {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Pairing {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A hello that gets no answer (the hub was restarting, say) goes again after this long.
const NO_ANSWER_WAIT: Duration = Duration::from_secs(30);

/// The next hello goes this long after a refusal for too many requests.
const RATE_LIMITED_WAIT: Duration = Duration::from_secs(60);

/// While it shows a code, the tablet says hello this often: the hub keeps a pairing only
/// while its tablet says so (docs/protocol.md §6.20), and answers with the same code.
const HEARTBEAT: Duration = Duration::from_secs(30);

impl Pairing {
    /// Starts pairing (inside a tokio runtime).
    pub fn start(
        config: PairingConfig,
    ) -> Result<(Pairing, mpsc::UnboundedReceiver<PairingEvent>), LinkError> {
        let mut options = MqttOptions::new(
            config.enrolment_id.as_str(),
            config.host.clone(),
            config.port,
        );
        options.set_credentials("enrol", config.enrolment_password.clone());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(true);
        let max = nabij_protocol::limits::MAX_ENROL_PAYLOAD_BYTES + 1_024;
        options.set_max_packet_size(max, max);
        if let Some(ca) = &config.ca_pem {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::new(super::tls::client_config(ca)?),
            )));
        }
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        super::poller::no_delay(&mut eventloop);
        let (events_tx, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(drive(config, client, eventloop, events_tx));
        Ok((Pairing { task }, events))
    }
}

fn hello(config: &PairingConfig) -> Envelope {
    Envelope::new(
        new_message_id(),
        Party::Enrolling(config.enrolment_id.clone()),
        Body::EnrolHello(EnrolHello {
            profile: config.profile.clone(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            hardware_id: None,
        }),
    )
}

async fn drive(
    config: PairingConfig,
    client: AsyncClient,
    eventloop: rumqttc::EventLoop,
    events: mpsc::UnboundedSender<PairingEvent>,
) {
    let down = Topic::EnrolDown(config.enrolment_id.clone());
    let up = Topic::EnrolUp(config.enrolment_id.clone()).to_string();
    let (_poller, mut net) =
        super::poller::spawn(eventloop, Duration::from_secs(1), Duration::from_secs(60));
    // When to say hello again: half a minute after a code came (or when it expires, if
    // sooner), after a refusal, or when no answer came.
    let mut again: Option<tokio::time::Instant> = None;
    loop {
        let wait = async {
            match again {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(polled) = net.recv() => {
                let event = match polled {
                    Ok(event) => event,
                    Err(failure) => {
                        let _ = events.send(PairingEvent::Online(false));
                        if failure == Failure::LoginRefused {
                            let _ = events.send(PairingEvent::LoginRefused);
                        }
                        continue;
                    }
                };
                match event {
                    Event::Incoming(Packet::ConnAck(_)) => {
                        let _ = events.send(PairingEvent::Online(true));
                        let _ = client.try_subscribe(down.to_string(), QoS::AtLeastOnce);
                    }
                    Event::Incoming(Packet::SubAck(_)) => {
                        let _ = client.try_publish(&up, QoS::AtLeastOnce, false, hello(&config).to_bytes());
                        again = Some(tokio::time::Instant::now() + NO_ANSWER_WAIT);
                    }
                    Event::Incoming(Packet::Publish(p)) => {
                        let Ok(topic) = Topic::parse(&p.topic) else { continue };
                        if topic != down {
                            continue;
                        }
                        let envelope = match decode(&topic, &p.payload) {
                            Ok(envelope) => envelope,
                            Err(e) => {
                                eprintln!("nabij-kiosk: pairing answer refused: {e}");
                                continue;
                            }
                        };
                        match envelope.body {
                            Body::PairingCode(code) => {
                                let _ = events.send(PairingEvent::Code(code.code));
                                let heartbeat = tokio::time::Instant::now() + HEARTBEAT;
                                again = Some(instant_at(code.expires_at).min(heartbeat));
                            }
                            Body::EnrolGranted(granted) => {
                                let _ = events.send(PairingEvent::Granted(granted));
                                return;
                            }
                            Body::EnrolRefused(refused) => {
                                let wait = match refused.reason {
                                    EnrolRefusal::Expired => Duration::from_secs(1),
                                    EnrolRefusal::RateLimited | EnrolRefusal::Other => RATE_LIMITED_WAIT,
                                };
                                again = Some(tokio::time::Instant::now() + wait);
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            () = wait => {
                // Asked again with the same enrolment id: the hub answers with the same
                // code while it is valid, a new one after.
                let _ = client.try_publish(&up, QoS::AtLeastOnce, false, hello(&config).to_bytes());
                again = Some(tokio::time::Instant::now() + NO_ANSWER_WAIT);
            }
        }
    }
}

/// The tokio instant of a wall-clock time (now, if it has passed).
fn instant_at(at: UnixMillis) -> tokio::time::Instant {
    let left = at.0.saturating_sub(UnixMillis::now().0);
    tokio::time::Instant::now() + Duration::from_millis(left)
}
