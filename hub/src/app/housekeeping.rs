//! Retention: chat content is kept for `limits.retention_days` (as long as a tablet keeps
//! its history), then the hub forgets it. Who wrote to whom and when stay, for the
//! project's figures; settings, contact lists and wipes wait for their tablet however long
//! it takes. The sweep works in small transactions so tablets never wait behind it.

use super::{AppError, Hub, tables};
use crate::clock;
use nabij_protocol::UnixMillis;

/// Records changed in one transaction of the sweep.
const CHUNK: usize = 500;

/// What a sweep forgot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Chat messages whose content went.
    pub messages: usize,
    /// Copies that waited too long for a tablet that never came back.
    pub queued: usize,
}

impl Hub {
    /// Forgets chat content received before `now − retention`. Run at start and every few
    /// hours.
    pub async fn sweep_expired(&self) -> Result<Swept, AppError> {
        let days = u64::from(self.config().limits.retention_days);
        let cutoff = UnixMillis(clock::now().0.saturating_sub(days * 86_400_000));
        self.sweep_before(cutoff).await
    }

    /// Forgets chat content received, and chat copies queued, before `cutoff`.
    pub async fn sweep_before(&self, cutoff: UnixMillis) -> Result<Swept, AppError> {
        let mut swept = Swept::default();
        loop {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let uids = tables::messages_before(&tx, cutoff, CHUNK)?;
            for uid in &uids {
                let Some(message) = tx.get(tables::MESSAGES, uid)? else {
                    continue;
                };
                if tables::forget_content(&mut tx, uid)? {
                    tables::add_usage(&mut tx, &message.from_device, -(message.size as i64))?;
                    swept.messages += 1;
                }
                tables::forget_message_time(&mut tx, &message);
            }
            tx.commit().await?;
            if uids.len() < CHUNK {
                break;
            }
        }
        let mut after: Option<Vec<u8>> = None;
        loop {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let rows = tx.scan(tables::OUTBOX_IDS, b"", after.as_deref(), CHUNK)?;
            for (k, queued) in &rows {
                if !queued.expires || queued.queued_at >= cutoff {
                    continue;
                }
                tables::remove_queued(&mut tx, k, queued);
                swept.queued += 1;
            }
            after = rows.last().map(|(k, _)| k.clone());
            tx.commit().await?;
            if rows.len() < CHUNK {
                break;
            }
        }
        if swept != Swept::default() {
            tracing::info!(
                messages = swept.messages,
                queued = swept.queued,
                "retention: old chat content forgotten"
            );
        }
        Ok(swept)
    }
}
