//! Feeding each connected tablet its queue through its window (`domain::delivery`): what
//! a commit queued goes out right after it (a chat copy as soon as its batch is applied,
//! see `Effects::early`), the rest as the tablet acknowledges, and a stalled window starts
//! again from the oldest message.

use super::{AppError, Effects, Hub, lock, tables};
use crate::clock;
use crate::domain::delivery::Window;
use crate::store::{StoreError, Tx};
use nabij_protocol::{DeviceId, Envelope, Topic};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
        push(tx, fx, device, envelope)?;
        fx.late = true;
        Ok(())
    }

    /// Queues a receipt, which may go before its transaction is durable (see
    /// `Effects::receipt_seqs`).
    pub(crate) fn queue_receipt(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        device: &DeviceId,
        envelope: &Envelope,
    ) -> Result<(), StoreError> {
        let seq = push(tx, fx, device, envelope)?;
        fx.receipt_seqs
            .entry(device.clone())
            .or_default()
            .insert(seq);
        Ok(())
    }

    /// Queues a chat copy that may go out before its transaction is durable (see
    /// `Effects::early`): its id must be one the same message always makes again.
    pub(crate) fn queue_early(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        device: &DeviceId,
        envelope: &Envelope,
    ) -> Result<(), StoreError> {
        let seq = push(tx, fx, device, envelope)?;
        fx.early.entry(device.clone()).or_default().insert(seq);
        Ok(())
    }

    /// What an applied (not yet durable) batch may do at once: the acknowledgements it
    /// took free room in their tablets' windows (if the batch is lost, the queue entries
    /// are still there and go again), and its early copies go out.
    pub(crate) async fn send_early(&self, fx: &Effects) {
        {
            let mut early = lock(&self.inner.early);
            for (device, seqs) in &fx.early {
                early.entry(device.clone()).or_default().extend(seqs);
            }
        }
        let mut devices: BTreeSet<&DeviceId> = fx.early.keys().collect();
        let now = self.steady_ms();
        devices.extend(free_room(&mut lock(&self.inner.windows), &fx.acked, now));
        for device in devices {
            if let Err(e) = self.top_up_with(device, fx.early.get(device)).await {
                tracing::warn!(%device, error = %e, "could not pass on a message at once; it goes once stored");
            }
        }
    }

    /// Sends a connected tablet as much of its queue as its window takes.
    pub(crate) async fn top_up(&self, device: &DeviceId) -> Result<(), AppError> {
        self.top_up_with(device, None).await
    }

    /// [`Hub::top_up`], also sending the `early` entries before they are durable.
    pub(crate) async fn top_up_with(
        &self,
        device: &DeviceId,
        early: Option<&BTreeSet<u64>>,
    ) -> Result<(), AppError> {
        let payloads = {
            let mut windows = lock(&self.inner.windows);
            let Some(window) = windows.get_mut(device) else {
                return Ok(());
            };
            let room = window.room();
            if room == 0 {
                return Ok(());
            }
            // Entries a later commit applied but has not yet made durable wait for it
            // (early ones aside), and so does everything queued after them: a tablet's
            // queue goes in order.
            let durable = self.inner.durable_queue.load(Ordering::SeqCst);
            // Early copies of earlier batches too, until their commit is durable.
            let kept: BTreeSet<u64> = {
                let mut remembered = lock(&self.inner.early);
                match remembered.get_mut(device) {
                    Some(seqs) => {
                        seqs.retain(|seq| *seq > durable);
                        let kept = seqs.clone();
                        if kept.is_empty() {
                            remembered.remove(device);
                        }
                        kept
                    }
                    None => BTreeSet::new(),
                }
            };
            let sendable = |seq: &u64| {
                *seq <= durable
                    || early.is_some_and(|early| early.contains(seq))
                    || kept.contains(seq)
            };
            let next: Vec<(u64, Vec<u8>)> =
                tables::outbox_after(&self.tx(), device, window.cursor(), room)?
                    .into_iter()
                    .take_while(|(seq, _)| sendable(seq))
                    .collect();
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
        // Batches of acknowledgements alone do not wait for the disk; whatever nothing
        // else made durable since becomes durable here.
        let storage = self.inner.parts.storage.clone();
        match tokio::task::spawn_blocking(move || storage.sync_up_to(u64::MAX)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not make the latest changes durable"),
            Err(e) => tracing::error!(error = %e, "the sync task failed"),
        }
        lock(&self.inner.budgets).retain(|_, budget| !budget.is_full(now));
    }

    /// How many messages wait for a tablet (for tests and the coaches' views).
    pub fn queued_for(&self, device: &DeviceId) -> Result<usize, AppError> {
        Ok(tables::outbox_len(&self.tx(), device)?)
    }
}

/// Puts an envelope in a tablet's queue and notes it in `fx`; returns its place.
fn push(
    tx: &mut Tx,
    fx: &mut Effects,
    device: &DeviceId,
    envelope: &Envelope,
) -> Result<u64, StoreError> {
    let seq = tables::push_outbox(tx, device, envelope, clock::now())?;
    fx.queued.insert(device.clone());
    fx.queued_up_to = fx.queued_up_to.max(seq);
    Ok(seq)
}

/// What tablets acknowledged leaves their windows; returns those that have one (and so
/// may take more now).
pub(super) fn free_room<'a>(
    windows: &mut HashMap<DeviceId, Window>,
    acked: &'a BTreeMap<DeviceId, Vec<u64>>,
    now: u64,
) -> Vec<&'a DeviceId> {
    let mut freed = Vec::new();
    for (device, seqs) in acked {
        if let Some(window) = windows.get_mut(device) {
            for seq in seqs {
                window.acked(*seq, now);
            }
            freed.push(device);
        }
    }
    freed
}
