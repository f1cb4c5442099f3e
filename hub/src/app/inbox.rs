//! A coach's inbox: what seniors write to their coach. A coach has no tablet and reads on
//! the dashboard, so each message to a coach is indexed under them as it is stored
//! (`tables::put_in_coach_inbox`), and only that coach reads it. Opening a conversation
//! marks its messages read, and the senior's tablet then shows them delivered and seen,
//! as it would for a message to another tablet. Coaches answer with
//! [`Hub::send_from_coach`], as from the command line.

use super::{AppError, Effects, Hub, tables};
use crate::clock;
use crate::domain::messaging::InboxMark;
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::{Audio, GroupId, ImageMime, PersonId, UnixMillis};
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a message to a coach holds, as the dashboard shows it (media are fetched apart,
/// with [`Hub::inbox_media`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxContent {
    /// Words.
    Text(String),
    /// A voice note, this long.
    Voice {
        /// Its length.
        duration_ms: u32,
    },
    /// A photo, with the line under it.
    Photo {
        /// The line under it, if any.
        caption: Option<String>,
    },
    /// The retention period passed: the hub forgot what it said.
    Forgotten,
}

/// One message a senior wrote to their coach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// The hub's id for it (the address of its voice note or photo).
    pub uid: String,
    /// When the hub got it.
    pub received_at: UnixMillis,
    /// When the coach first opened it; `None`: new.
    pub read_at: Option<UnixMillis>,
    /// What it says.
    pub content: InboxContent,
}

/// One senior's messages to a coach, summed up for the inbox's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxConversation {
    /// Who wrote (`p--former-participant` for someone since erased).
    pub person: PersonId,
    /// Their name (for an erased senior, see `domain::people::shown_name`).
    pub name: String,
    /// Their group, if they have one.
    pub group: Option<GroupId>,
    /// Messages the coach has not opened yet.
    pub unread: usize,
    /// Messages in all.
    pub messages: usize,
    /// When the newest came.
    pub last_at: UnixMillis,
    /// The newest one's kind: `text`, `voice` or `photo`.
    pub last_kind: String,
}

/// A voice note or a photo from a message to a coach, to play or show in a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMedia {
    /// Its media type (`audio/ogg`, `image/jpeg`, `image/png`).
    pub content_type: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
}

/// The stored content's words, without decoding a voice note's or photo's data.
#[derive(Deserialize, Default)]
struct Words {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: WordsBody,
}

#[derive(Deserialize, Default)]
struct WordsBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    audio: Option<Length>,
}

#[derive(Deserialize)]
struct Length {
    #[serde(default)]
    duration_ms: u32,
}

/// The stored content's media.
#[derive(Deserialize)]
struct WithMedia {
    body: MediaBody,
}

#[derive(Deserialize)]
struct MediaBody {
    #[serde(default)]
    mime: Option<ImageMime>,
    #[serde(default)]
    data: Option<Base64Bytes>,
    #[serde(default)]
    audio: Option<Audio>,
}

impl Hub {
    /// The conversations in `coach`'s inbox, one per senior who wrote: those with
    /// unread messages first, then the newest.
    pub fn coach_inbox(&self, coach: &PersonId) -> Result<Vec<InboxConversation>, AppError> {
        let tx = self.tx();
        let mut by_person: BTreeMap<PersonId, InboxConversation> = BTreeMap::new();
        for (uid, mark) in tables::coach_inbox(&tx, coach)? {
            let Some(message) = tx.get(tables::MESSAGES, &uid)? else {
                continue;
            };
            let conversation = by_person
                .entry(message.from_person.clone())
                .or_insert_with(|| InboxConversation {
                    person: message.from_person.clone(),
                    name: String::new(),
                    group: None,
                    unread: 0,
                    messages: 0,
                    last_at: message.received_at,
                    last_kind: message.kind.clone(),
                });
            conversation.messages += 1;
            if mark.read_at.is_none() {
                conversation.unread += 1;
            }
            if message.received_at >= conversation.last_at {
                conversation.last_at = message.received_at;
                conversation.last_kind = message.kind.clone();
            }
        }
        let mut out: Vec<InboxConversation> = by_person.into_values().collect();
        for conversation in &mut out {
            let person = tx.get(tables::PEOPLE, conversation.person.as_str())?;
            conversation.name =
                crate::domain::people::shown_name(&conversation.person, person.as_ref());
            conversation.group = person.and_then(|p| p.group);
        }
        out.sort_by_key(|c| (c.unread == 0, std::cmp::Reverse(c.last_at)));
        Ok(out)
    }

    /// How many messages in `coach`'s inbox they have not opened yet.
    pub fn coach_unread(&self, coach: &PersonId) -> Result<usize, AppError> {
        Ok(tables::coach_inbox(&self.tx(), coach)?
            .iter()
            .filter(|(_, mark)| mark.read_at.is_none())
            .count())
    }

    /// What `from` wrote to `coach`, newest first, at most `limit` messages.
    pub fn inbox_messages(
        &self,
        coach: &PersonId,
        from: &PersonId,
        limit: usize,
    ) -> Result<Vec<InboxMessage>, AppError> {
        let tx = self.tx();
        let mut out = Vec::new();
        // The index is in time order: read it from the newest.
        for (uid, mark) in tables::coach_inbox(&tx, coach)?.into_iter().rev() {
            if out.len() >= limit {
                break;
            }
            let Some(message) = tx.get(tables::MESSAGES, &uid)? else {
                continue;
            };
            if &message.from_person != from {
                continue;
            }
            let content = match tx.get_raw(tables::MESSAGE_BODIES, uid.as_bytes())? {
                None => InboxContent::Forgotten,
                Some(bytes) => {
                    let words: Words = serde_json::from_slice(&bytes).unwrap_or_default();
                    match words.kind.as_str() {
                        "text" => InboxContent::Text(words.body.text.unwrap_or_default()),
                        "voice" => InboxContent::Voice {
                            duration_ms: words.body.audio.map_or(0, |a| a.duration_ms),
                        },
                        "photo" => InboxContent::Photo {
                            caption: words.body.caption,
                        },
                        _ => InboxContent::Forgotten,
                    }
                }
            };
            out.push(InboxMessage {
                uid,
                received_at: message.received_at,
                read_at: mark.read_at,
                content,
            });
        }
        Ok(out)
    }

    /// The voice note or photo of message `uid`, if it is one `coach` was sent and the
    /// hub still keeps it; `None` for anyone else's (the same answer as for no message,
    /// so that an address tells nothing about messages to others).
    pub fn inbox_media(&self, coach: &PersonId, uid: &str) -> Result<Option<InboxMedia>, AppError> {
        let tx = self.tx();
        let Some(message) = tx.get(tables::MESSAGES, uid)? else {
            return Ok(None);
        };
        if &message.to != coach || !tx.contains(tables::COACH_INBOX, tables::inbox_key(&message))? {
            return Ok(None);
        }
        let Some(bytes) = tx.get_raw(tables::MESSAGE_BODIES, uid.as_bytes())? else {
            return Ok(None);
        };
        let Ok(stored) = serde_json::from_slice::<WithMedia>(&bytes) else {
            return Ok(None);
        };
        let body = stored.body;
        Ok(match (body.audio, body.mime, body.data) {
            // Ogg Opus is the protocol's only codec.
            (Some(audio), _, _) => Some(InboxMedia {
                content_type: "audio/ogg",
                bytes: audio.data.0,
            }),
            (None, Some(mime), Some(data)) => Some(InboxMedia {
                content_type: match mime {
                    ImageMime::Jpeg => "image/jpeg",
                    ImageMime::Png => "image/png",
                },
                bytes: data.0,
            }),
            _ => None,
        })
    }

    /// `coach` opened their conversation with `from`: its unread messages are marked
    /// read, and each one's tablet hears that it was delivered and seen. Returns how many
    /// were new.
    pub async fn read_inbox(&self, coach: &PersonId, from: &PersonId) -> Result<usize, AppError> {
        let mut fx = Effects::default();
        let read = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let now = clock::now();
            let mut read = 0;
            for (uid, mark) in tables::coach_inbox(&tx, coach)? {
                if mark.read_at.is_some() {
                    continue;
                }
                let Some(message) = tx.get(tables::MESSAGES, &uid)? else {
                    continue;
                };
                if &message.from_person != from {
                    continue;
                }
                tx.put(
                    tables::COACH_INBOX,
                    tables::inbox_key(&message),
                    &InboxMark { read_at: Some(now) },
                )?;
                read += 1;
                // A wiped or switched-off tablet would never take its receipt, and one
                // told to wipe itself gets nothing more.
                let listening = tx
                    .get(tables::DEVICES, message.from_device.as_str())?
                    .is_some_and(|d| d.state.receives_messages());
                if listening {
                    // Seen implies delivered: the coach's "inbox" is where it arrived.
                    for seen in [false, true] {
                        fx.receipts
                            .entry((message.from_device.clone(), seen, coach.clone()))
                            .or_default()
                            .push(message.sender_id.clone());
                    }
                }
            }
            if read == 0 {
                return Ok(0);
            }
            self.queue_receipts(&mut tx, &mut fx)?;
            tx.commit().await?;
            read
        };
        self.finish(fx).await;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub, status, tablet, take_everything, text, up};
    use nabij_protocol::{Body, ReceiptState, Topic};

    #[tokio::test]
    async fn a_seniors_message_to_their_coach_waits_in_the_coachs_inbox_until_opened() {
        let (hub, out) = hub();
        let (jan, jans_tablet) = tablet(&hub, "Jan").await;
        let marie = hub
            .add_coach("Marie", "059 12 34 56", None)
            .await
            .unwrap()
            .id;
        let els = hub.add_coach("Els", "050 11 22 33", None).await.unwrap().id;
        hub.approve_contacts(&jan, &marie).await.unwrap();
        hub.handle_batch(vec![status(&jans_tablet, true)]).await;
        take_everything(&hub, &out, &jans_tablet).await;

        let (first, first_id) = up(&jans_tablet, text(&marie, "Dag Marie"));
        hub.handle_batch(vec![first]).await;
        let (second, second_id) = up(&jans_tablet, text(&marie, "Komt u dinsdag?"));
        hub.handle_batch(vec![second]).await;
        take_everything(&hub, &out, &jans_tablet).await;

        let inbox = hub.coach_inbox(&marie).unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(
            (inbox[0].name.as_str(), inbox[0].unread, inbox[0].messages),
            ("Jan", 2, 2)
        );
        assert_eq!(hub.coach_unread(&marie).unwrap(), 2);
        assert!(hub.coach_inbox(&els).unwrap().is_empty(), "Els's is empty");
        let messages = hub.inbox_messages(&marie, &jan, 10).unwrap();
        assert!(
            messages[0].received_at >= messages[1].received_at,
            "newest first"
        );
        // (Both may have come in the same millisecond.)
        for words in ["Dag Marie", "Komt u dinsdag?"] {
            assert!(
                messages
                    .iter()
                    .any(|m| m.content == InboxContent::Text(words.into())),
                "{messages:?}"
            );
        }
        assert!(hub.inbox_messages(&els, &jan, 10).unwrap().is_empty());

        assert_eq!(hub.read_inbox(&marie, &jan).await.unwrap(), 2);
        let receipts: Vec<_> = out
            .take(&Topic::DeviceDown(jans_tablet.clone()))
            .into_iter()
            .filter_map(|e| match e.body {
                Body::Receipt(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(receipts.len(), 2, "{receipts:?}");
        assert_eq!(
            receipts.iter().map(|r| r.state).collect::<Vec<_>>(),
            [ReceiptState::Delivered, ReceiptState::Seen]
        );
        let mut seen = receipts[1].ids.clone();
        seen.sort();
        let mut sent = vec![first_id, second_id];
        sent.sort();
        assert_eq!(seen, sent, "Jan's own ids for his two messages");
        assert_eq!(receipts[1].by.as_ref(), Some(&marie));
        assert_eq!(hub.coach_unread(&marie).unwrap(), 0);
        assert_eq!(hub.read_inbox(&marie, &jan).await.unwrap(), 0, "once");
    }
}
