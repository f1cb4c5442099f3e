//! The workloads, the same for every path: a sender keeps a *window* of messages in
//! flight (sent, not yet received) and goes as fast as that allows; or it sends at a
//! fixed *pace* whatever happens. Latency is from the send to the receiver's arrival.

use crate::paths::Pair;
use anyhow::{Result, bail};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

/// Without a single arrival for this long, a run has failed.
const STUCK: Duration = Duration::from_secs(30);

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Messages sent.
    pub sent: u64,
    /// Different messages received.
    pub received: u64,
    /// From the first send to the last arrival.
    pub seconds: f64,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// The CPU it took.
    pub cpu: crate::cpu::Cpu,
    /// Publications the clients sent and received meanwhile (acknowledgements and
    /// receipts included).
    pub client_publications: (u64, u64),
    /// Bytes the device under the hub's data folder wrote meanwhile (synced at the end),
    /// when there is a device to count.
    pub disk_bytes: Option<u64>,
}

impl Stats {
    /// Adds another run of the same workload to this one, as if one run.
    pub fn merge(&mut self, other: Stats) {
        self.sent += other.sent;
        self.received += other.received;
        self.seconds += other.seconds;
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.cpu.add(&other.cpu);
        self.client_publications.0 += other.client_publications.0;
        self.client_publications.1 += other.client_publications.1;
        self.disk_bytes = match (self.disk_bytes, other.disk_bytes) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Bytes the disk wrote per message received.
    pub fn disk_bytes_per_message(&self) -> Option<f64> {
        self.disk_bytes
            .map(|bytes| bytes as f64 / self.received.max(1) as f64)
    }

    /// Messages received per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.received as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Publications through the broker per message received: into it and out of it. On
    /// the raw path the clients are both ends; on the hub path every publication of a
    /// client also crosses the broker once more, to or from the hub.
    pub fn publications_per_message(&self, through_hub: bool) -> f64 {
        let (sent, received) = self.client_publications;
        let ends = if through_hub { 2.0 } else { 1.0 };
        ends * (sent + received) as f64 / self.received.max(1) as f64
    }

    /// A latency percentile (0.5, 0.99, 1.0) in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let last = self.latencies_us.len() - 1;
        let i = ((last as f64) * p).round() as usize;
        self.latencies_us[i.min(last)] as f64 / 1000.0
    }
}

/// The bench's clock: both sides of every pair stamp and read it.
#[derive(Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    /// Starts now.
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    /// Nanoseconds since the start.
    pub fn ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// Receives `expected` different messages of `run`; calls `each` on each first arrival.
/// Returns their latencies in microseconds and when the last one came.
async fn receive(
    arrivals: &mut mpsc::UnboundedReceiver<crate::paths::Arrival>,
    run: u32,
    expected: u64,
    clock: Clock,
    mut each: impl FnMut(),
) -> Result<(Vec<u64>, u64)> {
    let mut seen = HashSet::new();
    let mut latencies = Vec::with_capacity(expected as usize);
    let mut last = clock.ns();
    while (seen.len() as u64) < expected {
        let Ok(Some(arrival)) = tokio::time::timeout(STUCK, arrivals.recv()).await else {
            bail!(
                "{} of {expected} messages arrived, then nothing for {} s",
                seen.len(),
                STUCK.as_secs()
            );
        };
        if arrival.run != run || !seen.insert(arrival.seq) {
            continue;
        }
        last = clock.ns();
        latencies.push(last.saturating_sub(arrival.sent_ns) / 1_000);
        each();
    }
    Ok((latencies, last))
}

/// Runs one task per pair and adds up what they measured.
async fn all_pairs<F, Fut>(pairs: Vec<Pair>, clock: Clock, each: F) -> Result<(Vec<Pair>, Stats)>
where
    F: Fn(Pair) -> Fut,
    Fut: std::future::Future<Output = Result<(Pair, u64, Vec<u64>, u64)>> + Send + 'static,
{
    let started = clock.ns();
    let tasks: Vec<_> = pairs
        .into_iter()
        .map(|pair| tokio::spawn(each(pair)))
        .collect();
    let mut pairs = Vec::new();
    let mut stats = Stats::default();
    let mut last = started;
    for task in tasks {
        let (pair, sent, latencies, finished) = task.await??;
        stats.sent += sent;
        stats.received += latencies.len() as u64;
        stats.latencies_us.extend(latencies);
        last = last.max(finished);
        pairs.push(pair);
    }
    stats.seconds = (last - started) as f64 / 1e9;
    stats.latencies_us.sort_unstable();
    Ok((pairs, stats))
}

/// Every pair sends `per_pair` messages as fast as a window of `window` messages in
/// flight allows, all pairs at once.
pub async fn windowed(
    pairs: Vec<Pair>,
    run: u32,
    per_pair: u64,
    window: usize,
    clock: Clock,
) -> Result<(Vec<Pair>, Stats)> {
    all_pairs(pairs, clock, move |mut pair| async move {
        let room = Arc::new(Semaphore::new(window));
        let sender = pair.sender.clone();
        let sending = {
            let room = room.clone();
            async move {
                for seq in 0..per_pair {
                    room.acquire().await?.forget();
                    sender.send(run, seq, clock.ns()).await?;
                }
                anyhow::Ok(())
            }
        };
        let receiving = receive(&mut pair.arrivals, run, per_pair, clock, || {
            room.add_permits(1)
        });
        let (sent, received) = tokio::join!(sending, receiving);
        sent?;
        let (latencies, last) = received?;
        Ok((pair, per_pair, latencies, last))
    })
    .await
}

/// Every pair sends `rate` messages a second for `duration`, whatever arrives.
pub async fn paced(
    pairs: Vec<Pair>,
    run: u32,
    rate: u64,
    duration: Duration,
    clock: Clock,
) -> Result<(Vec<Pair>, Stats)> {
    let total = (rate as f64 * duration.as_secs_f64()).round() as u64;
    all_pairs(pairs, clock, move |mut pair| async move {
        let sender = pair.sender.clone();
        let sending = async move {
            let every = Duration::from_secs_f64(1.0 / rate as f64);
            let mut tick = tokio::time::interval(every);
            // Timers tick in milliseconds: at 2000 a second, two go per tick.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for seq in 0..total {
                tick.tick().await;
                sender.send(run, seq, clock.ns()).await?;
            }
            anyhow::Ok(())
        };
        let receiving = receive(&mut pair.arrivals, run, total, clock, || {});
        let (sent, received) = tokio::join!(sending, receiving);
        sent?;
        let (latencies, last) = received?;
        Ok((pair, total, latencies, last))
    })
    .await
}

/// The pair's sender sends `count` photos like `photo` (each its own file, as photos
/// are), one at a time: each once the one before arrived.
pub async fn photos(
    mut pair: Pair,
    run: u32,
    count: u64,
    photo: &crate::BenchPhoto,
    clock: Clock,
) -> Result<(Pair, Stats)> {
    let started = clock.ns();
    let mut stats = Stats::default();
    let mut last = started;
    for seq in 0..count {
        // Each photo its own: the same bytes twice would be one file at the hub.
        let image = photo.numbered(seq);
        pair.sender
            .send_photo(run, seq, clock.ns(), &image, (photo.width, photo.height))
            .await?;
        stats.sent += 1;
        loop {
            let Ok(Some(arrival)) = tokio::time::timeout(STUCK, pair.arrivals.recv()).await else {
                bail!("photo {seq} did not arrive within {} s", STUCK.as_secs());
            };
            if arrival.run == run && arrival.seq == seq {
                last = clock.ns();
                stats
                    .latencies_us
                    .push(last.saturating_sub(arrival.sent_ns) / 1_000);
                stats.received += 1;
                break;
            }
        }
    }
    stats.seconds = (last - started) as f64 / 1e9;
    stats.latencies_us.sort_unstable();
    Ok((pair, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_merge_into_one_run() {
        let round = |latencies: Vec<u64>, seconds: f64| Stats {
            sent: latencies.len() as u64,
            received: latencies.len() as u64,
            seconds,
            latencies_us: latencies,
            cpu: crate::cpu::Cpu {
                process_s: 1.0,
                broker_s: 0.5,
                hub_s: 0.25,
                wall_s: seconds,
            },
            client_publications: (10, 20),
            disk_bytes: Some(1_000),
        };
        let mut all = round(vec![1_000, 5_000], 1.0);
        all.merge(round(vec![3_000, 2_000, 4_000], 2.0));
        assert_eq!((all.sent, all.received), (5, 5));
        assert_eq!(all.latencies_us, [1_000, 2_000, 3_000, 4_000, 5_000]);
        assert_eq!(all.rate(), 5.0 / 3.0);
        assert_eq!(all.percentile_ms(0.5), 3.0);
        assert_eq!(all.client_publications, (20, 40));
        assert_eq!(all.disk_bytes, Some(2_000));
        assert_eq!(all.disk_bytes_per_message(), Some(400.0));
        assert_eq!(
            (
                all.cpu.process_s,
                all.cpu.broker_s,
                all.cpu.hub_s,
                all.cpu.wall_s
            ),
            (2.0, 1.0, 0.5, 3.0)
        );
    }

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let stats = Stats {
            sent: 100,
            received: 100,
            seconds: 2.0,
            latencies_us: (1..=100).map(|n| n * 1_000).collect(),
            ..Stats::default()
        };
        assert_eq!(stats.rate(), 50.0);
        assert_eq!(stats.percentile_ms(0.5), 51.0);
        assert_eq!(stats.percentile_ms(0.99), 99.0);
        assert_eq!(stats.percentile_ms(1.0), 100.0);
        assert_eq!(Stats::default().percentile_ms(0.99), 0.0);
    }
}
