//! The protocol rules of docs/protocol.md §5 for a tablet, as plain code: what to
//! publish after connecting, on each message and each minute; what to acknowledge; what
//! to tell the app. It keeps nothing itself: the outbox and inbox are in `KioskStore`.

use super::store::{KioskStore, StoreError};
use nabij_protocol::{
    Ack, Body, DeviceId, DeviceStatus, Envelope, MessageId, Party, Presence, Receipt, Rejected,
    Topic, decode,
};

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    /// Where.
    pub topic: Topic,
    /// What.
    pub payload: Vec<u8>,
}

/// What the app hears from the link.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The hub stored these of ours ("Sent").
    Acked(Vec<MessageId>),
    /// The hub refused one of ours for good ("Not sent", with the reason).
    Rejected(Rejected),
    /// The hub said "not now" to one of ours (`rate_limited`): it stays in the outbox
    /// and goes again after this many milliseconds. Nothing changes on screen.
    Deferred {
        /// The message.
        id: MessageId,
        /// How long to wait.
        retry_after_ms: u64,
    },
    /// How far our chat messages got ("Delivered", "Seen").
    Receipt(Receipt),
    /// Something for the senior (a message, contacts, a prompt, a reminder…), new.
    Received(Envelope),
    /// The coach wants this tablet erased (already acknowledged).
    Wipe,
    /// The coach switched this tablet off.
    Revoked,
    /// The broker refused this tablet's log-in (its credential was deleted).
    LoginRefused,
    /// Connected to the broker, or not.
    Online(bool),
    /// The hub (re)started: the outbox goes again.
    HubOnline,
    /// The tablet's storage failed: what came was not kept (nor acknowledged, so the hub
    /// sends it again).
    StorageFailed(String),
}

/// The link's rules for one tablet.
pub struct LinkCore {
    device: DeviceId,
    store: KioskStore,
    next_id: Box<dyn FnMut() -> MessageId + Send>,
}

impl LinkCore {
    /// Rules for `device`, keeping data in `store`; `next_id` makes message ids.
    pub fn new(
        device: DeviceId,
        store: KioskStore,
        next_id: Box<dyn FnMut() -> MessageId + Send>,
    ) -> LinkCore {
        LinkCore {
            device,
            store,
            next_id,
        }
    }

    /// Where the hub writes to this tablet.
    pub fn down_topic(&self) -> Topic {
        Topic::DeviceDown(self.device.clone())
    }

    fn envelope(&mut self, body: Body) -> Envelope {
        Envelope::new((self.next_id)(), Party::Device(self.device.clone()), body)
    }

    fn up(&self, envelope: &Envelope) -> Publish {
        Publish {
            topic: Topic::DeviceUp(self.device.clone()),
            payload: envelope.to_bytes(),
        }
    }

    /// The status to publish on connecting (and the last will, with `Offline`).
    pub fn status(
        &mut self,
        state: Presence,
        app_version: &str,
        profile: &str,
        health: crate::live::health::Health,
    ) -> Publish {
        let body = Body::Status(DeviceStatus {
            state,
            app_version: Some(app_version.to_owned()),
            profile: Some(profile.to_owned()),
            battery_pct: health.battery_pct,
            charging: health.charging,
            free_storage_mb: health.free_storage_mb,
        });
        let envelope = self.envelope(body);
        Publish {
            topic: Topic::DeviceStatus(self.device.clone()),
            payload: envelope.to_bytes(),
        }
    }

    /// Everything still in the outbox, oldest first, with ids: what goes (again) after
    /// each connection, when the hub comes back online, and each minute.
    pub fn outbox(&self) -> Result<Vec<(MessageId, Publish)>, StoreError> {
        self.outbox_reader()()
    }

    /// [`LinkCore::outbox`] to be read later, on another thread (it reads the storage).
    pub fn outbox_reader(
        &self,
    ) -> impl FnOnce() -> Result<Vec<(MessageId, Publish)>, StoreError> + Send + 'static {
        let (store, topic) = (self.store.clone(), Topic::DeviceUp(self.device.clone()));
        move || {
            Ok(store
                .pending()?
                .into_iter()
                .map(|(id, payload)| {
                    (
                        id,
                        Publish {
                            topic: topic.clone(),
                            payload,
                        },
                    )
                })
                .collect())
        }
    }

    /// Sends a message: it is on disk before this returns, then published.
    pub fn send(&mut self, body: Body) -> Result<(MessageId, Publish), StoreError> {
        let id = (self.next_id)();
        self.send_as(id, body)
    }

    /// Sends a message under a given id.
    pub fn send_as(
        &mut self,
        id: MessageId,
        body: Body,
    ) -> Result<(MessageId, Publish), StoreError> {
        let envelope = Envelope::new(id, Party::Device(self.device.clone()), body);
        self.store.push(&envelope)?;
        Ok((envelope.id.clone(), self.up(&envelope)))
    }

    /// Handles one message from the broker: what to publish, what to tell the app.
    pub fn on_message(
        &mut self,
        topic: &str,
        payload: &[u8],
    ) -> Result<(Vec<Publish>, Vec<LinkEvent>), StoreError> {
        let (mut out, mut events) = (Vec::new(), Vec::new());
        let Ok(topic) = Topic::parse(topic) else {
            return Ok((out, events));
        };
        // Only this tablet's own topic and the hub's presence are for it. The broker's ACL
        // sends it nothing else, but a message for another tablet or a pairing one must
        // not be shown, stored or acknowledged here if one ever came.
        if topic != self.down_topic() && topic != Topic::HubStatus {
            return Ok((out, events));
        }
        let envelope = match decode(&topic, payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                eprintln!("nabij-kiosk: message from the hub refused: {e}");
                return Ok((out, events));
            }
        };
        if topic == Topic::HubStatus {
            if matches!(&envelope.body, Body::HubStatus(s) if s.state == Presence::Online) {
                // The hub (re)started: what it may have missed goes again.
                events.push(LinkEvent::HubOnline);
            }
            return Ok((out, events));
        }
        match envelope.body.clone() {
            Body::Ack(Ack { ids }) => {
                let removed = self.store.remove(&ids)?;
                if !removed.is_empty() {
                    events.push(LinkEvent::Acked(removed));
                }
            }
            Body::Rejected(rejected) if !rejected.is_final() => {
                // "Not now": the message stays in the outbox and goes again later.
                events.push(LinkEvent::Deferred {
                    id: rejected.id,
                    retry_after_ms: rejected.retry_after_ms.unwrap_or(60_000),
                });
            }
            Body::Rejected(rejected) => {
                // Kept in the history too, so "Not sent" is still shown after a restart.
                self.store.receive(&envelope)?;
                if !self
                    .store
                    .remove(std::slice::from_ref(&rejected.id))?
                    .is_empty()
                {
                    events.push(LinkEvent::Rejected(rejected));
                }
            }
            Body::Revoked(_) => events.push(LinkEvent::Revoked),
            Body::Wipe(_) => {
                // The ack goes first (it is already made when the data goes), then every
                // message, answer and queued item on this tablet is erased.
                let ack = self.envelope(Body::Ack(Ack {
                    ids: vec![envelope.id.clone()],
                }));
                out.push(self.up(&ack));
                self.store.wipe()?;
                events.push(LinkEvent::Wipe);
            }
            body => {
                // Store first, then acknowledge: the hub stops resending only once it is
                // safe here. A duplicate is acknowledged again but not shown again.
                let fresh = self.store.receive(&envelope)?;
                if body.needs_ack() || matches!(body, Body::Unknown { .. }) {
                    let ack = self.envelope(Body::Ack(Ack {
                        ids: vec![envelope.id.clone()],
                    }));
                    out.push(self.up(&ack));
                }
                if fresh {
                    events.push(match body {
                        Body::Receipt(receipt) => LinkEvent::Receipt(receipt),
                        _ => LinkEvent::Received(envelope),
                    });
                }
            }
        }
        Ok((out, events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::{Recipient, TextMessage};

    fn core(dir: &std::path::Path) -> LinkCore {
        let store = KioskStore::open(dir).unwrap();
        let mut n = 0;
        LinkCore::new(
            DeviceId::parse("d-1").unwrap(),
            store,
            Box::new(move || {
                n += 1;
                MessageId::parse(&format!("kiosk-{n:04}")).unwrap()
            }),
        )
    }

    fn from_hub(id: &str, body: Body) -> Vec<u8> {
        Envelope::new(MessageId::parse(id).unwrap(), Party::Hub, body).to_bytes()
    }

    const DOWN: &str = "nabij/v1/dev/d-1/down";

    /// A text the senior sends to Anna.
    fn dag_to_anna() -> Body {
        Body::Text(TextMessage {
            to: Recipient::parse("p-anna").unwrap(),
            author: None,
            text: "Dag".into(),
        })
    }

    #[test]
    fn a_sent_message_stays_in_the_outbox_until_the_hub_acks_it_even_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        let text = dag_to_anna();
        let (id, publish) = link.send(text).unwrap();
        assert_eq!(publish.topic.to_string(), "nabij/v1/dev/d-1/up");
        drop(link);
        let mut link = core(dir.path()); // power cut and restart
        assert_eq!(link.outbox().unwrap().len(), 1);
        let (_, events) = link
            .on_message(
                DOWN,
                &from_hub(
                    "hub-ack-01",
                    Body::Ack(Ack {
                        ids: vec![id.clone()],
                    }),
                ),
            )
            .unwrap();
        assert_eq!(events, [LinkEvent::Acked(vec![id])]);
        assert!(link.outbox().unwrap().is_empty());
    }

    #[test]
    fn a_message_on_another_tablets_topic_is_ignored() {
        // Found by the kiosk_link fuzz target: a pairing code on an enrolment topic was
        // stored and shown, and then missing from the history read back at start.
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        let text = Body::Text(TextMessage {
            to: Recipient::parse("p-me").unwrap(),
            author: Some("p-anna".parse().unwrap()),
            text: "Hoi".into(),
        });
        for topic in [
            "nabij/v1/dev/d-2/down",
            "nabij/v1/enrol/e-0123456789abcdef0123456789abcdef/down",
        ] {
            let (out, events) = link
                .on_message(topic, &from_hub("hub-msg-002", text.clone()))
                .unwrap();
            assert!(out.is_empty() && events.is_empty(), "{topic}");
        }
        let (_, events) = link
            .on_message(DOWN, &from_hub("hub-msg-002", text))
            .unwrap();
        assert_eq!(events.len(), 1, "the same message on its own topic is new");
    }

    #[test]
    fn a_received_message_is_acked_every_time_but_shown_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        let text = Body::Text(TextMessage {
            to: Recipient::parse("p-me").unwrap(),
            author: Some("p-anna".parse().unwrap()),
            text: "Hoi".into(),
        });
        let payload = from_hub("hub-msg-001", text);
        let (out, events) = link.on_message(DOWN, &payload).unwrap();
        assert_eq!((out.len(), events.len()), (1, 1));
        let (out, events) = link.on_message(DOWN, &payload).unwrap();
        assert_eq!(
            (out.len(), events.len()),
            (1, 0),
            "acked again, not shown again"
        );
        assert_eq!(
            link.store
                .history(&DeviceId::parse("d-1").unwrap())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_wipe_is_acknowledged_and_erases_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        let text = dag_to_anna();
        link.send(text).unwrap();
        let wipe = from_hub("hub-wipe-01", Body::Wipe(nabij_protocol::Empty {}));
        let (out, events) = link.on_message(DOWN, &wipe).unwrap();
        assert_eq!(events, [LinkEvent::Wipe]);
        assert!(
            String::from_utf8_lossy(&out[0].payload).contains("hub-wipe-01"),
            "the wipe is acknowledged"
        );
        assert!(link.outbox().unwrap().is_empty());
        assert!(
            link.store
                .history(&DeviceId::parse("d-1").unwrap())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn rate_limited_keeps_the_message_to_send_again_and_a_final_refusal_drops_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        let text = dag_to_anna();
        let (id, _) = link.send(text).unwrap();
        let refusal = |reason, retry_after_ms| {
            Body::Rejected(Rejected {
                id: id.clone(),
                reason,
                detail: None,
                retry_after_ms,
            })
        };
        let (_, events) = link
            .on_message(
                DOWN,
                &from_hub(
                    "hub-rej-01",
                    refusal(nabij_protocol::RejectReason::RateLimited, Some(1_500)),
                ),
            )
            .unwrap();
        assert_eq!(
            events,
            [LinkEvent::Deferred {
                id: id.clone(),
                retry_after_ms: 1_500
            }]
        );
        assert_eq!(link.outbox().unwrap().len(), 1, "kept to send again");
        let (_, events) = link
            .on_message(
                DOWN,
                &from_hub(
                    "hub-rej-02",
                    refusal(nabij_protocol::RejectReason::QuotaExceeded, None),
                ),
            )
            .unwrap();
        assert!(matches!(events.as_slice(), [LinkEvent::Rejected(_)]));
        assert!(link.outbox().unwrap().is_empty(), "a final refusal ends it");
    }

    #[test]
    fn garbage_and_wrong_topics_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut link = core(dir.path());
        assert_eq!(link.on_message(DOWN, b"{nope").unwrap(), (vec![], vec![]));
        assert_eq!(
            link.on_message("elsewhere", b"{}").unwrap(),
            (vec![], vec![])
        );
    }
}
