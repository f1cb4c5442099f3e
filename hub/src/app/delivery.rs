//! Feeding each connected tablet its queue through its window (`domain::delivery`): what
//! a commit queued goes out right after it, the rest as the tablet acknowledges, and a
//! stalled window starts again from the oldest message.

use super::{AppError, Effects, Hub, lock, tables};
use crate::clock;
use crate::store::{StoreError, Tx};
use nabij_protocol::{DeviceId, Envelope, Topic};
use std::sync::atomic::Ordering;

impl Hub {
    /// Queues an envelope for a tablet: durable with the transaction, sent after the
    /// commit when the tablet is connected and its window has room.
    pub(crate) fn queue(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        device: &DeviceId,
        envelope: &Envelope,
    ) -> Result<(), StoreError> {
        let seq = tables::push_outbox(tx, device, envelope, clock::now())?;
        fx.queued.insert(device.clone());
        fx.queued_up_to = fx.queued_up_to.max(seq);
        Ok(())
    }

    /// Sends a connected tablet as much of its queue as its window takes.
    pub(crate) async fn top_up(&self, device: &DeviceId) -> Result<(), AppError> {
        let payloads = {
            let mut windows = lock(&self.inner.windows);
            let Some(window) = windows.get_mut(device) else {
                return Ok(());
            };
            let room = window.room();
            if room == 0 {
                return Ok(());
            }
            // Entries a later commit applied but has not yet made durable wait for it.
            let durable = self.inner.durable_queue.load(Ordering::SeqCst);
            let mut next = tables::outbox_after(&self.tx(), device, window.cursor(), room)?;
            next.retain(|(seq, _)| *seq <= durable);
            let sizes: Vec<(u64, usize)> = next.iter().map(|(s, p)| (*s, p.len())).collect();
            let n = window.admit(&sizes);
            next.into_iter()
                .take(n)
                .map(|(_, payload)| payload)
                .collect::<Vec<_>>()
        };
        for payload in payloads {
            self.inner
                .parts
                .outlet
                .publish(Topic::DeviceDown(device.clone()), payload)
                .await?;
        }
        Ok(())
    }

    /// The periodic part of delivery (every few seconds): windows without an
    /// acknowledgement for a minute start again from the oldest message (the protocol's
    /// 60-second resend), every window is topped up, and full budgets are forgotten.
    pub async fn delivery_tick(&self) {
        let now = self.steady_ms();
        let devices: Vec<DeviceId> = {
            let mut windows = lock(&self.inner.windows);
            for (device, window) in windows.iter_mut() {
                if window.stalled(now) {
                    tracing::debug!(%device, "no acknowledgement for a minute; sending its queue again");
                    window.restart(now);
                }
            }
            windows.keys().cloned().collect()
        };
        for device in devices {
            if let Err(e) = self.top_up(&device).await {
                tracing::warn!(%device, error = %e, "could not send a tablet its queue");
                return;
            }
        }
        lock(&self.inner.budgets).retain(|_, budget| !budget.is_full(now));
    }

    /// How many messages wait for a tablet (for tests and the coaches' views).
    pub fn queued_for(&self, device: &DeviceId) -> Result<usize, AppError> {
        Ok(tables::outbox_len(&self.tx(), device)?)
    }
}
