//! What the kiosk keeps on its own storage: the outbox (everything it sends, until the
//! hub acknowledges it), the ids it has received (so nothing is shown twice), and the
//! recent conversation history. Each change is flushed before it counts as done, so a
//! power cut loses nothing the senior saw as written.

use nabij_protocol::{Envelope, MessageId};
use std::path::Path;

/// The kiosk's storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (disk full, permissions, corruption).
    #[error("the tablet's storage failed: {0}")]
    Sled(#[from] sled::Error),
}

/// The kiosk's durable storage. Cheap to clone.
#[derive(Clone)]
pub struct KioskStore {
    db: sled::Db,
    outbox: sled::Tree,
    seen: sled::Tree,
    history: sled::Tree,
    thumbnails: sled::Tree,
}

impl KioskStore {
    /// Opens (or creates) the storage in `dir`.
    pub fn open(dir: &Path) -> Result<KioskStore, StoreError> {
        let db = sled::open(dir)?;
        Ok(KioskStore {
            outbox: db.open_tree("outbox")?,
            seen: db.open_tree("seen")?,
            history: db.open_tree("history")?,
            thumbnails: db.open_tree("thumbnails")?,
            db,
        })
    }

    /// Puts an envelope in the outbox and waits until it is on disk.
    pub fn push(&self, envelope: &Envelope) -> Result<(), StoreError> {
        let key = self.db.generate_id()?.to_be_bytes();
        self.outbox.insert(key, envelope.to_bytes())?;
        self.history
            .insert(history_key(envelope), envelope.to_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// The outbox, oldest first, as payloads with their ids.
    pub fn pending(&self) -> Result<Vec<(MessageId, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.outbox.iter() {
            let (_, bytes) = entry?;
            if let Ok(head) = serde_json::from_slice::<IdOnly>(&bytes) {
                out.push((head.id, bytes.to_vec()));
            }
        }
        Ok(out)
    }

    /// Removes acknowledged (or refused) ids from the outbox; returns those removed.
    pub fn remove(&self, ids: &[MessageId]) -> Result<Vec<MessageId>, StoreError> {
        let mut removed = Vec::new();
        for entry in self.outbox.iter() {
            let (key, bytes) = entry?;
            if let Ok(head) = serde_json::from_slice::<IdOnly>(&bytes)
                && ids.contains(&head.id)
            {
                self.outbox.remove(key)?;
                removed.push(head.id);
            }
        }
        if !removed.is_empty() {
            self.db.flush()?;
        }
        Ok(removed)
    }

    /// Records a received message; false if it was received before (a duplicate).
    pub fn receive(&self, envelope: &Envelope) -> Result<bool, StoreError> {
        let fresh = self
            .seen
            .insert(envelope.id.as_str(), &envelope.ts.0.to_be_bytes())?
            .is_none();
        if fresh {
            self.history
                .insert(history_key(envelope), envelope.to_bytes())?;
            self.db.flush()?;
        }
        Ok(fresh)
    }

    /// The conversation history of tablet `me`, oldest first: what it sent and what it
    /// received, checked again as it is read back.
    pub fn history(&self, me: &nabij_protocol::DeviceId) -> Result<Vec<Envelope>, StoreError> {
        let mut out = Vec::new();
        for entry in self.history.iter() {
            let (_, bytes) = entry?;
            let mine =
                serde_json::from_slice::<IdFrom>(&bytes).is_ok_and(|h| h.from == me.as_str());
            let topic = if mine {
                nabij_protocol::Topic::DeviceUp(me.clone())
            } else {
                nabij_protocol::Topic::DeviceDown(me.clone())
            };
            if let Ok(envelope) = nabij_protocol::decode(&topic, &bytes) {
                out.push(envelope);
            }
        }
        Ok(out)
    }

    /// Forgets conversation messages (and their receipts and thumbnails) from before
    /// `cutoff`; settings, contacts and questions stay, as the latest of each still counts.
    /// Returns how many went.
    pub fn prune_history(&self, cutoff: nabij_protocol::UnixMillis) -> Result<usize, StoreError> {
        const CONVERSATION: [&str; 5] = ["text", "voice", "photo", "receipt", "rejected"];
        let mut removed = 0;
        for entry in self.history.range(..cutoff.0.to_be_bytes().to_vec()) {
            let (key, bytes) = entry?;
            let Ok(head) = serde_json::from_slice::<IdKind>(&bytes) else {
                continue;
            };
            if CONVERSATION.contains(&head.kind.as_str()) {
                self.history.remove(&key)?;
                self.thumbnails.remove(head.id.as_str())?;
                removed += 1;
            }
        }
        if removed > 0 {
            self.db.flush()?;
        }
        Ok(removed)
    }

    /// A photo's thumbnail made before (width, height, RGBA), if any.
    pub fn thumbnail(&self, id: &MessageId) -> Result<Option<(u32, u32, Vec<u8>)>, StoreError> {
        let Some(bytes) = self.thumbnails.get(id.as_str())? else {
            return Ok(None);
        };
        let (Some(w), Some(h)) = (bytes.get(0..4), bytes.get(4..8)) else {
            return Ok(None);
        };
        let (w, h) = (
            u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
            u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
        );
        let rgba = bytes[8..].to_vec();
        // A damaged entry is made again rather than shown wrong.
        Ok((rgba.len() as u64 == u64::from(w) * u64::from(h) * 4).then_some((w, h, rgba)))
    }

    /// Keeps a photo's thumbnail, so it is decoded once, not at every start.
    pub fn keep_thumbnail(
        &self,
        id: &MessageId,
        width: u32,
        height: u32,
        rgba: &[u8],
    ) -> Result<(), StoreError> {
        let mut bytes = Vec::with_capacity(8 + rgba.len());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(rgba);
        self.thumbnails.insert(id.as_str(), bytes)?;
        Ok(())
    }

    /// Erases everything (the coach's `wipe`).
    pub fn wipe(&self) -> Result<(), StoreError> {
        for tree in [&self.outbox, &self.seen, &self.history, &self.thumbnails] {
            tree.clear()?;
        }
        self.db.flush()?;
        Ok(())
    }
}

fn history_key(envelope: &Envelope) -> Vec<u8> {
    let mut key = envelope.ts.0.to_be_bytes().to_vec();
    key.extend_from_slice(envelope.id.as_str().as_bytes());
    key
}

#[derive(serde::Deserialize)]
struct IdOnly {
    id: MessageId,
}

#[derive(serde::Deserialize)]
struct IdKind {
    id: MessageId,
    kind: String,
}

#[derive(serde::Deserialize)]
struct IdFrom {
    from: String,
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
