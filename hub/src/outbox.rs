//! Messages the hub sends to a tablet and keeps until the tablet acknowledges them
//! (docs/protocol.md §5). Keys are the device id, a zero byte and a sequence number, so one
//! prefix scan gives a tablet's queue in the order it was written.

use crate::store::{Store, StoreError};
use nabij_protocol::{DeviceId, Envelope, MessageId};

fn prefix(device: &DeviceId) -> Vec<u8> {
    let mut key = device.as_str().as_bytes().to_vec();
    key.push(0);
    key
}

/// Queues an envelope for a tablet. It is durable once the store is flushed.
pub fn push(store: &Store, device: &DeviceId, envelope: &Envelope) -> Result<(), StoreError> {
    let mut key = prefix(device);
    key.extend_from_slice(&store.next_id()?.to_be_bytes());
    store.outbox.insert(key, envelope.to_bytes())?;
    Ok(())
}

/// A tablet's queued payloads, oldest first, with their ids.
pub fn pending(store: &Store, device: &DeviceId) -> Result<Vec<(MessageId, Vec<u8>)>, StoreError> {
    let mut out = Vec::new();
    for entry in store.outbox.scan_prefix(prefix(device)) {
        let (_, bytes) = entry?;
        // Only the hub writes here; an entry it cannot read back is skipped, not fatal.
        match serde_json::from_slice::<IdOnly>(&bytes) {
            Ok(head) => out.push((head.id, bytes.to_vec())),
            Err(e) => tracing::error!(%device, error = %e, "unreadable outbox entry skipped"),
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: MessageId,
}

/// Removes the acknowledged ids from a tablet's queue; returns those that were there.
pub fn acknowledge(
    store: &Store,
    device: &DeviceId,
    ids: &[MessageId],
) -> Result<Vec<MessageId>, StoreError> {
    let mut removed = Vec::new();
    for entry in store.outbox.scan_prefix(prefix(device)) {
        let (key, bytes) = entry?;
        if let Ok(head) = serde_json::from_slice::<IdOnly>(&bytes)
            && ids.contains(&head.id)
        {
            store.outbox.remove(key)?;
            removed.push(head.id);
        }
    }
    Ok(removed)
}

/// Drops a tablet's whole queue (it was revoked or wiped).
pub fn clear(store: &Store, device: &DeviceId) -> Result<(), StoreError> {
    for entry in store.outbox.scan_prefix(prefix(device)) {
        let (key, _) = entry?;
        store.outbox.remove(key)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::{Body, Empty, Party};

    fn wipe(id: &str) -> Envelope {
        Envelope::new(
            MessageId::parse(id).unwrap(),
            Party::Hub,
            Body::Wipe(Empty {}),
        )
    }

    #[test]
    fn queues_per_device_in_order_until_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = DeviceId::parse("d-a").unwrap();
        let ab = DeviceId::parse("d-ab").unwrap();
        push(&store, &a, &wipe("first-0001")).unwrap();
        push(&store, &ab, &wipe("other-0001")).unwrap();
        push(&store, &a, &wipe("second-001")).unwrap();
        let ids: Vec<String> = pending(&store, &a)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(
            ids,
            ["first-0001", "second-001"],
            "d-a's queue holds neither d-ab's nor is out of order"
        );

        let removed = acknowledge(
            &store,
            &a,
            &[
                MessageId::parse("first-0001").unwrap(),
                MessageId::parse("nothere-01").unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(pending(&store, &a).unwrap().len(), 1);
        clear(&store, &a).unwrap();
        assert!(pending(&store, &a).unwrap().is_empty());
        assert_eq!(pending(&store, &ab).unwrap().len(), 1);
    }
}
