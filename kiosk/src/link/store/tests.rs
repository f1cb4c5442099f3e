//! The kiosk store: what it keeps, what a failure does, and a thousand power cuts.

use super::*;
use nabij_powercut::{Power, Rng, SimDisk};
use nabij_protocol::{Body, Contacts, DeviceId, Party, Recipient, TextMessage, UnixMillis};

fn from_hub(id: &str, ts: u64, body: Body) -> Envelope {
    let mut envelope = Envelope::new(MessageId::parse(id).unwrap(), Party::Hub, body);
    envelope.ts = UnixMillis(ts);
    envelope
}

#[test]
fn old_conversations_go_but_settings_stay_and_thumbnails_are_kept_until_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = KioskStore::open(dir.path()).unwrap();
    let me = DeviceId::parse("d-1").unwrap();
    let text = |id: &str, ts| {
        from_hub(
            id,
            ts,
            Body::Text(TextMessage {
                to: Recipient::parse("p-jan").unwrap(),
                author: Some("p-anna".parse().unwrap()),
                text: "Dag".into(),
            }),
        )
    };
    let contacts = from_hub(
        "hub-con-01",
        1_000,
        Body::Contacts(Contacts {
            contacts: vec![],
            former: vec![],
        }),
    );
    for envelope in [
        contacts,
        text("hub-msg-01", 2_000),
        text("hub-msg-02", 9_000),
    ] {
        assert!(store.receive(&envelope).unwrap());
    }
    let old = MessageId::parse("hub-msg-01").unwrap();
    store.keep_thumbnail(&old, 1, 1, &[1, 2, 3, 4]).unwrap();
    assert_eq!(
        store.thumbnail(&old).unwrap(),
        Some((1, 1, vec![1, 2, 3, 4]))
    );

    assert_eq!(store.prune_history(UnixMillis(5_000)).unwrap(), 1);
    let kept: Vec<String> = store
        .history(&me)
        .unwrap()
        .into_iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(kept, ["hub-con-01", "hub-msg-02"]);
    assert_eq!(store.thumbnail(&old).unwrap(), None);
    assert!(
        !store.receive(&text("hub-msg-01", 2_000)).unwrap(),
        "a pruned message that comes again is still not shown twice"
    );
}

fn mine(device: &DeviceId, n: u64) -> Envelope {
    let mut envelope = Envelope::new(
        MessageId::parse(&format!("k-{n:06}")).unwrap(),
        Party::Device(device.clone()),
        Body::Text(TextMessage {
            to: Recipient::parse("p-anna").unwrap(),
            author: None,
            text: format!("Bericht {n}"),
        }),
    );
    envelope.ts = UnixMillis(1_000_000 + n);
    envelope
}

fn text_from_hub(n: u64) -> Envelope {
    from_hub(
        &format!("hub-{n:06}"),
        2_000_000 + n,
        Body::Text(TextMessage {
            to: Recipient::parse("p-jan").unwrap(),
            author: Some("p-anna".parse().unwrap()),
            text: format!("Antwoord {n}"),
        }),
    )
}

/// A store on a simulated disk, opened again over what a restart finds.
fn on(disk: &SimDisk) -> KioskStore {
    let disk = disk.clone();
    KioskStore::open_with(move || disk.clone()).expect("the store opens")
}

#[test]
fn a_message_sent_or_received_is_on_disk_when_the_call_returns() {
    let power = Power::on();
    let disk = SimDisk::new(power.clone());
    let store = on(&disk);
    let me = DeviceId::parse("d-1").unwrap();
    store.push(&mine(&me, 1)).unwrap();
    assert!(store.receive(&text_from_hub(1)).unwrap());
    // The power goes now: not one write after the calls returned is needed.
    power.cut_after(1);
    drop(store);
    let after = on(&SimDisk::with_image(Power::on(), disk.durable_image()));
    let ids: Vec<String> = after
        .pending()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(ids, ["k-000001"]);
    assert!(
        !after.receive(&text_from_hub(1)).unwrap(),
        "remembered as received"
    );
    assert_eq!(after.history(&me).unwrap().len(), 2);
}

#[test]
fn after_a_failed_write_the_store_opens_again_by_itself_once_the_disk_works() {
    let disk = SimDisk::new(Power::on());
    let store = on(&disk);
    let me = DeviceId::parse("d-1").unwrap();
    store.push(&mine(&me, 1)).unwrap();
    disk.fail_syncs(true);
    let err = store.push(&mine(&me, 2)).unwrap_err();
    assert!(
        err.to_string().contains("the tablet's storage failed"),
        "{err}"
    );
    disk.fail_syncs(false);
    store.push(&mine(&me, 3)).expect("works again");
    let ids: Vec<String> = store
        .pending()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert!(
        ids.contains(&"k-000001".to_owned()) && ids.contains(&"k-000003".to_owned()),
        "{ids:?}"
    );
}

#[test]
fn a_folder_of_the_sled_version_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("conf"), "segment_size: 524288").unwrap();
    let err = KioskStore::open(dir.path()).err().expect("refused");
    assert!(err.to_string().contains("wipe the tablet"), "{err}");
}

/// What the workload knows of one message.
#[derive(Default, Clone, Copy)]
struct Known {
    /// `push` returned: it is in the outbox (until its removal returns).
    pushed: bool,
    /// `remove` returned for it.
    removed: bool,
    /// A removal was under way when the power went.
    removing: bool,
}

/// A thousand power cuts through a busy kiosk: messages written by the senior, messages
/// from the hub, acknowledgements, thumbnails, old conversations pruned. After each, the
/// store opens, every message `push` returned for is in the outbox exactly once (unless
/// its removal returned), every removal that returned holds, and every message `receive`
/// called fresh is known as received. Seeded; `NABIJ_POWERCUT_SEED` runs the same cuts.
#[test]
fn a_thousand_power_cuts_lose_nothing_the_senior_saw_stored() {
    let seed = std::env::var("NABIJ_POWERCUT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let cuts: u64 = std::env::var("NABIJ_POWERCUTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    eprintln!("kiosk power cuts: seed {seed} (again: NABIJ_POWERCUT_SEED={seed})");
    let me = DeviceId::parse("d-1").unwrap();
    let mut rng = Rng::new(seed);
    let mut known: std::collections::BTreeMap<u64, Known> = Default::default();
    let mut received: std::collections::BTreeSet<u64> = Default::default();
    let (mut next_mine, mut next_theirs) = (1u64, 1u64);
    let mut power = Power::on();
    let mut disk = SimDisk::new(power.clone());
    let (mut written, mut calls) = (0u64, 0u64);
    for cut in 1..=cuts {
        macro_rules! fail {
            ($why:expr) => {
                panic!("seed {seed}, cut {cut}: {}", $why)
            };
        }
        let store = on(&disk);
        // What must hold after the restart.
        let pending: Vec<String> = store
            .pending()
            .unwrap_or_else(|e| fail!(e))
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        for (n, k) in &known {
            let id = mine(&me, *n).id.to_string();
            let times = pending.iter().filter(|p| **p == id).count();
            if times > 1 {
                fail!(format!("{id} is in the outbox {times} times"));
            }
            if k.pushed && !k.removed && !k.removing && times == 0 {
                fail!(format!("{id} was stored and is gone"));
            }
            if k.removed && times == 1 {
                fail!(format!("{id} was acknowledged and is back"));
            }
        }
        for n in &received {
            if store
                .receive(&text_from_hub(*n))
                .unwrap_or_else(|e| fail!(e))
            {
                fail!(format!("hub-{n:06} was kept and is shown again"));
            }
        }
        // The model now matches the store: in-flight removals either landed or not.
        for (n, k) in known.iter_mut() {
            if k.removing {
                let id = mine(&me, *n).id.to_string();
                k.removed = !pending.contains(&id);
                k.removing = false;
            }
        }
        let before = disk.written();
        power.cut_after(1 + rng.below(300));
        while !power.is_off() {
            calls += 1;
            match rng.below(10) {
                0..=3 => {
                    let n = next_mine;
                    next_mine += 1;
                    // Tried: there once at most, whatever the power did.
                    known.insert(n, Known::default());
                    if store.push(&mine(&me, n)).is_ok() {
                        known.insert(
                            n,
                            Known {
                                pushed: true,
                                ..Known::default()
                            },
                        );
                    }
                }
                4..=5 => {
                    let waiting: Vec<u64> = known
                        .iter()
                        .filter(|(_, k)| k.pushed && !k.removed)
                        .map(|(n, _)| *n)
                        .take(1 + rng.below(5) as usize)
                        .collect();
                    let ids: Vec<MessageId> = waiting.iter().map(|n| mine(&me, *n).id).collect();
                    for n in &waiting {
                        if let Some(k) = known.get_mut(n) {
                            k.removing = true;
                        }
                    }
                    if store.remove(&ids).is_ok() {
                        for n in &waiting {
                            if let Some(k) = known.get_mut(n) {
                                k.removed = true;
                                k.removing = false;
                            }
                        }
                    }
                }
                6..=8 => {
                    let n = next_theirs;
                    next_theirs += 1;
                    if store.receive(&text_from_hub(n)).is_ok() {
                        received.insert(n);
                    }
                }
                _ => {
                    let _ = store.keep_thumbnail(
                        &text_from_hub(next_theirs.saturating_sub(1)).id,
                        2,
                        2,
                        &[9; 16],
                    );
                }
            }
        }
        written += disk.written() - before;
        drop(store);
        // The model keeps a week's worth: older messages are done with.
        while known.len() > 200 {
            known.pop_first();
        }
        while received.len() > 200 {
            received.pop_first();
        }
        let image = disk.crash_image(&mut rng);
        power = Power::on();
        disk = SimDisk::with_image(power.clone(), image);
    }
    eprintln!(
        "{cuts} cuts, {calls} calls, {} bytes handed to the disk per call",
        written / calls.max(1)
    );
}
