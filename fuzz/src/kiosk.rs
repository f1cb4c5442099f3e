//! `kiosk_link`: what the hub sends a tablet, through the kiosk's link rules
//! (`LinkCore::on_message`: decode, store, acknowledge), the screen state
//! (`live::apply`), the photo decoder (`live::photos::fit`), and the history read back
//! at the next start.
//!
//! Input: message lines (see [`crate::input`]; `down` and `hub` are Anna's tablet's own
//! topics), received in order by Anna's tablet with two of her messages waiting in its
//! outbox (`kiosk-0001` and `kiosk-0002`, texts to Ben), then received again, as the
//! broker delivers a message again after a reconnection.

use crate::input::ANNA;
use nabij_kiosk::link::{KioskStore, LinkCore, LinkEvent};
use nabij_kiosk::live::{self, LiveEvent, Restored, photos};
use nabij_kiosk::state::{KioskState, Screen};
use nabij_kiosk::words::Language;
use nabij_protocol::{
    Body, DeviceId, Envelope, MessageId, Party, PersonId, Recipient, TextMessage, Topic,
};
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

/// The kiosk's store, opened once per process (sled takes a while to open) and wiped
/// before each input, so that each input starts from the same empty tablet.
struct Tablet {
    store: KioskStore,
    /// Where the store lives; removed with it.
    _dir: tempfile::TempDir,
}

fn tablet() -> &'static Mutex<Tablet> {
    static TABLET: OnceLock<Mutex<Tablet>> = OnceLock::new();
    TABLET.get_or_init(|| {
        // In memory where the system has a RAM disk: the store flushes after each message.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("a folder for the kiosk's store");
        let store = KioskStore::open(dir.path()).expect("the kiosk's store");
        Mutex::new(Tablet { store, _dir: dir })
    })
}

/// The two messages waiting in the outbox at the start of each input.
pub const WAITING: [&str; 2] = ["kiosk-0001", "kiosk-0002"];

/// Runs one input.
pub fn link(data: &[u8]) {
    let tablet = tablet().lock().unwrap_or_else(|p| p.into_inner());
    let store = &tablet.store;
    store.wipe().expect("the store wiped");
    let me = DeviceId::parse(ANNA).expect("a device id");
    let mut made = 0u32;
    let mut core = LinkCore::new(
        me.clone(),
        store.clone(),
        Box::new(move || {
            made += 1;
            MessageId::parse(&format!("kiosk-ack-{made:04}")).expect("an id")
        }),
    );
    for id in WAITING {
        let body = Body::Text(TextMessage {
            to: Recipient::Person(PersonId::parse("p-ben-janssens").expect("an id")),
            author: None,
            text: "Dag Ben".into(),
        });
        core.send_as(MessageId::parse(id).expect("an id"), body)
            .expect("sent");
    }
    let messages = crate::input::messages(data);
    let mut state = nabij_kiosk::sample::state(Screen::Home, Language::Nl);
    let mut shown = BTreeSet::new();
    let mut wiped = false;
    for (topic, payload) in &messages {
        wiped |= receive(&mut core, &mut state, &me, topic, payload, &mut shown);
    }
    // Received again: acknowledged again, shown once.
    if !wiped {
        let mut again = BTreeSet::new();
        for (topic, payload) in &messages {
            receive(&mut core, &mut state, &me, topic, payload, &mut again);
        }
        assert!(again.is_empty(), "shown twice: {again:?}");
    }
    // The next start: the history is read back and shown. What was shown is in it.
    let history = store.history(&me).expect("the history");
    let kept: BTreeSet<&str> = history.iter().map(|e| e.id.as_str()).collect();
    if !wiped {
        for id in &shown {
            assert!(
                kept.contains(id.as_str()),
                "{id} was shown but is not in the history"
            );
        }
    }
    let mut restarted = nabij_kiosk::sample::state(Screen::Home, Language::Nl);
    let restored = history
        .into_iter()
        .map(|envelope| Restored {
            waiting: false,
            photo: None,
            envelope,
        })
        .collect();
    live::apply(&mut restarted, LiveEvent::Restored(restored));
}

/// One message through the link and onto the screen; `shown` gets the ids of the
/// messages the link passed on as new. Returns whether the tablet was wiped.
fn receive(
    core: &mut LinkCore,
    state: &mut KioskState,
    me: &DeviceId,
    topic: &str,
    payload: &[u8],
    shown: &mut BTreeSet<String>,
) -> bool {
    let (publish, events) = core
        .on_message(topic, payload)
        .expect("the kiosk's store works");
    let decoded = Topic::parse(topic)
        .ok()
        .and_then(|t| nabij_protocol::decode(&t, payload).ok());
    let mut acked = BTreeSet::new();
    for out in &publish {
        assert_eq!(out.topic, Topic::DeviceUp(me.clone()));
        let envelope = nabij_protocol::decode(&out.topic, &out.payload).unwrap_or_else(|e| {
            panic!(
                "the kiosk published what the hub refuses: {e}\n{}",
                String::from_utf8_lossy(&out.payload)
            )
        });
        assert_eq!(envelope.from, Party::Device(me.clone()));
        if let Body::Ack(ack) = &envelope.body {
            acked.extend(ack.ids.iter().map(|id| id.as_str().to_owned()));
        }
    }
    if let Some(envelope) = &decoded {
        let must_ack = envelope.from == Party::Hub
            && Topic::parse(topic).is_ok_and(|t| t == Topic::DeviceDown(me.clone()))
            && (envelope.body.needs_ack() || matches!(envelope.body, Body::Unknown { .. }))
            && !matches!(envelope.body, Body::Rejected(_));
        if must_ack {
            assert!(
                acked.contains(envelope.id.as_str()),
                "{} was not acknowledged",
                envelope.id
            );
        }
    }
    let mut wiped = false;
    for event in events {
        wiped |= matches!(event, LinkEvent::Wipe);
        let event = match event {
            LinkEvent::Received(envelope) => {
                shown.insert(envelope.id.as_str().to_owned());
                let photo = thumbnail(&envelope);
                LiveEvent::Received(envelope, photo)
            }
            other => LiveEvent::Link(other),
        };
        live::apply(state, event);
    }
    wiped
}

/// A received photo decoded and fitted to a 7" screen, as the live link does.
fn thumbnail(envelope: &Envelope) -> Option<nabij_kiosk::state::Content> {
    let Body::Photo(photo) = &envelope.body else {
        return None;
    };
    let fitted = photos::fit(&photo.data.0, 800, 480).ok()?;
    if let nabij_kiosk::state::Content::Photo {
        width,
        height,
        rgba,
    } = &fitted
    {
        assert!(*width <= 800 && *height <= 480 && *width > 0 && *height > 0);
        assert_eq!(rgba.len(), *width as usize * *height as usize * 4);
    }
    Some(fitted)
}
