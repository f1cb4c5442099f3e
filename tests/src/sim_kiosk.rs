//! A simulated kiosk speaking the wire protocol exactly as docs/protocol.md describes it:
//! pairing with a random enrolment id, then connecting as the enrolled tablet.

use crate::hub::KioskSettings;
use crate::mqtt_client::{Client, Login, Refused};
use nabij_protocol::{
    Body, DeviceId, DeviceStatus, EnrolHello, EnrolmentId, Envelope, MessageId, Party, Presence,
    Topic, decode,
};

fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("/dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh message id.
pub fn message_id() -> MessageId {
    MessageId::parse(&format!("m-{}", random_hex(12))).expect("valid id")
}

/// A fresh enrolment id (128 random bits).
pub fn enrolment_id() -> EnrolmentId {
    EnrolmentId::parse(&format!("e-{}", random_hex(16))).expect("valid id")
}

/// A tablet that is pairing.
pub struct Pairing {
    /// Its enrolment id.
    pub enrolment_id: EnrolmentId,
    /// Its connection.
    pub client: Client,
}

/// A device identity from `enrol_granted`.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The device id.
    pub device_id: DeviceId,
    /// The password.
    pub password: String,
}

impl Pairing {
    /// Connects as `enrol` with a new enrolment id and subscribes to its own answers.
    pub async fn connect(settings: &KioskSettings) -> Pairing {
        let enrolment_id = enrolment_id();
        let mut client = Client::connect(
            settings,
            Login {
                client_id: enrolment_id.as_str(),
                username: "enrol",
                password: &settings.enrol_password,
                clean_session: true,
                will: None,
            },
        )
        .await
        .expect("the enrolment login works");
        let code = client
            .subscribe(&Topic::EnrolDown(enrolment_id.clone()).to_string())
            .await;
        assert_ne!(
            code,
            rumqttc::SubscribeReasonCode::Failure,
            "a pairing tablet may read its own answers"
        );
        Pairing {
            enrolment_id,
            client,
        }
    }

    /// Publishes `enrol_hello`.
    pub async fn hello(&self, hardware_id: Option<&str>) {
        let hello = Envelope::new(
            message_id(),
            Party::Enrolling(self.enrolment_id.clone()),
            Body::EnrolHello(EnrolHello {
                profile: "desktop".into(),
                app_version: "0.1.0".into(),
                hardware_id: hardware_id.map(str::to_owned),
            }),
        );
        self.publish_raw(hello.to_bytes()).await;
    }

    /// Publishes any bytes on the tablet's enrolment `up` topic.
    pub async fn publish_raw(&self, payload: Vec<u8>) {
        self.client
            .publish(
                &Topic::EnrolUp(self.enrolment_id.clone()).to_string(),
                payload,
                false,
            )
            .await;
    }

    /// The next answer from the hub, decoded. Fails the test if anything arrives on a
    /// topic other than this tablet's own enrolment `down` topic.
    pub async fn answer(&mut self) -> Body {
        let (topic, payload) = loop {
            let (topic, payload) = self.client.next_message().await;
            let topic = Topic::parse(&topic).expect("a protocol topic");
            // Everyone may read the hub's (retained) status.
            if topic != Topic::HubStatus {
                break (topic, payload);
            }
        };
        assert_eq!(
            topic,
            Topic::EnrolDown(self.enrolment_id.clone()),
            "a pairing tablet got someone else's message"
        );
        decode(&topic, &payload)
            .expect("the hub sends valid envelopes")
            .body
    }

    /// Says hello and returns the code the hub gives.
    pub async fn code(&mut self, hardware_id: Option<&str>) -> String {
        self.hello(hardware_id).await;
        match self.answer().await {
            Body::PairingCode(code) => code.code,
            other => panic!("expected a pairing code, got {other:?}"),
        }
    }

    /// Waits for `enrol_granted`.
    pub async fn granted(&mut self) -> Credentials {
        match self.answer().await {
            Body::EnrolGranted(granted) => Credentials {
                device_id: granted.device_id,
                password: granted.password.0,
            },
            other => panic!("expected enrol_granted, got {other:?}"),
        }
    }
}

/// An enrolled tablet's connection.
pub struct Device {
    /// Its identity.
    pub credentials: Credentials,
    /// Its connection.
    pub client: Client,
}

fn status(device: &DeviceId, state: Presence) -> Envelope {
    Envelope::new(
        message_id(),
        Party::Device(device.clone()),
        Body::Status(DeviceStatus {
            state,
            app_version: Some("0.1.0".into()),
            profile: Some("desktop".into()),
            battery_pct: Some(80),
            charging: Some(false),
            free_storage_mb: Some(2048),
        }),
    )
}

impl Device {
    /// Logs in as the enrolled tablet (without subscribing or saying anything).
    pub async fn login(
        settings: &KioskSettings,
        credentials: &Credentials,
    ) -> Result<Client, Refused> {
        let will = status(&credentials.device_id, Presence::Offline);
        Client::connect(
            settings,
            Login {
                client_id: credentials.device_id.as_str(),
                username: credentials.device_id.as_str(),
                password: &credentials.password,
                clean_session: false,
                will: Some((
                    Topic::DeviceStatus(credentials.device_id.clone()).to_string(),
                    will.to_bytes(),
                )),
            },
        )
        .await
    }

    /// Logs in, subscribes to its `down` topic and publishes its online status, as a
    /// kiosk does after every connection.
    pub async fn connect(
        settings: &KioskSettings,
        credentials: &Credentials,
    ) -> Result<Device, Refused> {
        let mut client = Self::login(settings, credentials).await?;
        let down = Topic::DeviceDown(credentials.device_id.clone()).to_string();
        let code = client.subscribe(&down).await;
        assert_ne!(
            code,
            rumqttc::SubscribeReasonCode::Failure,
            "a tablet may read its own down topic"
        );
        let online = status(&credentials.device_id, Presence::Online);
        client
            .publish(
                &Topic::DeviceStatus(credentials.device_id.clone()).to_string(),
                online.to_bytes(),
                true,
            )
            .await;
        Ok(Device {
            credentials: credentials.clone(),
            client,
        })
    }

    /// Publishes an envelope from this device on its `up` topic.
    pub async fn send(&self, body: Body) -> MessageId {
        let envelope = Envelope::new(
            message_id(),
            Party::Device(self.credentials.device_id.clone()),
            body,
        );
        let topic = Topic::DeviceUp(self.credentials.device_id.clone()).to_string();
        self.client
            .publish(&topic, envelope.to_bytes(), false)
            .await;
        envelope.id
    }

    /// Receives until a message matches, acknowledging everything the hub wants acked,
    /// as a kiosk does. Returns the match.
    pub async fn receive_until(&mut self, mut wanted: impl FnMut(&Envelope) -> bool) -> Envelope {
        loop {
            let envelope = self.receive().await;
            if envelope.body.needs_ack() {
                self.send(Body::Ack(nabij_protocol::Ack {
                    ids: vec![envelope.id.clone()],
                }))
                .await;
            }
            if wanted(&envelope) {
                return envelope;
            }
        }
    }

    /// The next message from the hub, decoded.
    pub async fn receive(&mut self) -> Envelope {
        let (topic, payload) = self.client.next_message().await;
        let topic = Topic::parse(&topic).expect("a protocol topic");
        decode(&topic, &payload).expect("the hub sends valid envelopes")
    }
}

impl Device {
    /// Sends a message of a kind no hub knows and waits for its `rejected`: everything
    /// this device published before has then been handled by the hub (one connection's
    /// messages reach the hub in order, and the hub handles them in order). Returns what
    /// the hub sent meanwhile.
    pub async fn barrier(&mut self) -> Vec<Envelope> {
        let id = self
            .send(Body::Unknown {
                kind: "barrier".into(),
                body: serde_json::json!({}),
            })
            .await;
        let mut before = Vec::new();
        loop {
            let envelope = self.receive().await;
            if let Body::Rejected(rejected) = &envelope.body
                && rejected.id == id
            {
                return before;
            }
            before.push(envelope);
        }
    }
}

/// A tablet paired by a coach for `participant` (who must exist), connected as itself and
/// past the hub's first messages (`barrier`).
pub async fn enrolled(hub: &crate::hub::TestHub, participant: &str) -> Device {
    let mut pairing = Pairing::connect(&hub.kiosk_settings()).await;
    let code = pairing.code(None).await;
    hub.hub()
        .enrol(&code, &hub.person(participant), None, "command line")
        .await
        .expect("the coach enrols the tablet");
    let credentials = pairing.granted().await;
    let mut device = Device::connect(&hub.kiosk_settings(), &credentials)
        .await
        .expect("the enrolled tablet connects");
    device.barrier().await;
    device
}

/// Polls `condition` until it holds; fails the test after [`crate::mqtt_client::PATIENCE`].
/// For state the hub changes in the background, where no message marks the moment.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + crate::mqtt_client::PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
