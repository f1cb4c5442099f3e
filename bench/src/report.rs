//! `docs/benchmarks.md`: the figures, how they were made, and the targets.

use crate::{Measured, Plan, Row, Workload};

/// A target the hub must meet, checked against the figures.
#[derive(Debug, Clone)]
pub struct Check {
    /// What it says.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// Met or not.
    pub met: bool,
}

/// Bytes the sled store (before issue 21) made the disk write per chat message at 200
/// messages a second, on the bench's own file system (`docs/benchmarks.md`, earlier runs).
pub const SLED_BYTES_PER_MESSAGE_AT_200: f64 = 11_700.0;

/// The targets: throughput at least 40% of raw at the same window; p99 at 200 messages
/// a second at most five times raw's; every message of the pairs run delivered; at 200
/// messages a second at most half the bytes per message the sled store wrote; a photo
/// taking at most 1.5 times its size on disk.
pub fn checks(measured: &Measured) -> Vec<Check> {
    let rows = &measured.rows;
    let mut out = Vec::new();
    for row in rows {
        match row.workload {
            Workload::Window(w) => {
                let share = row.hub.rate() / row.raw.rate().max(1e-9);
                out.push(Check {
                    target: format!("window {w}: hub throughput ≥ 40% of raw"),
                    measured: format!("{:.0}%", share * 100.0),
                    met: share >= 0.40,
                });
            }
            Workload::Paced(200) => {
                let (raw, hub) = (row.raw.percentile_ms(0.99), row.hub.percentile_ms(0.99));
                out.push(Check {
                    target: "200 msg/s: hub p99 ≤ 5 × raw p99".into(),
                    measured: format!("{hub:.1} ms vs {raw:.1} ms ({:.1}×)", hub / raw.max(1e-9)),
                    met: hub <= 5.0 * raw,
                });
                if let Some(bytes) = row.hub.disk_bytes_per_message() {
                    let limit = SLED_BYTES_PER_MESSAGE_AT_200 / 2.0;
                    out.push(Check {
                        target: format!(
                            "200 msg/s: the disk writes ≤ {} KB a message (half of the sled store's {} KB)",
                            kb(limit),
                            kb(SLED_BYTES_PER_MESSAGE_AT_200)
                        ),
                        measured: format!("{} KB", kb(bytes)),
                        met: bytes <= limit,
                    });
                }
            }
            Workload::Paced(_) => {}
            Workload::Pairs(n) => out.push(Check {
                target: format!("{n} pairs flat out: every message delivered"),
                measured: format!("{} of {}", row.hub.received, row.hub.sent),
                met: row.hub.received == row.hub.sent,
            }),
        }
    }
    if let Some(photos) = &measured.photos {
        let share = photos.folder_growth as f64
            / (photos.stats.received.max(1) as f64 * photos.photo_bytes as f64);
        out.push(Check {
            target: "a photo takes ≤ 1.5 × its size on disk".into(),
            measured: format!("{share:.2} ×"),
            met: share <= 1.5,
        });
    }
    out
}

/// The fastest paced rate the hub kept up with (p99 under 50 ms), in words.
fn kept_up(rows: &[Row]) -> String {
    rows.iter()
        .filter_map(|row| match row.workload {
            Workload::Paced(rate) if row.hub.percentile_ms(0.99) < 50.0 => Some(rate),
            _ => None,
        })
        .max()
        .map_or_else(
            || "none of the paced rates".to_owned(),
            |rate| format!("{rate} messages a second paced"),
        )
}

/// What the CPU figures of the first flat-out row say about the ceiling.
fn cpu_bound(rows: &[Row]) -> String {
    let Some(row) = rows
        .iter()
        .find(|r| matches!(r.workload, Workload::Window(_)))
    else {
        return String::new();
    };
    let total = |s: &crate::run::Stats| {
        let (clients, hub, broker) = s.cpu.per_message_us(s.received);
        clients + hub + broker
    };
    let (raw, path) = (total(&row.raw), total(&row.hub));
    let (clients, hub, broker) = row.hub.cpu.per_message_us(row.hub.received);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let ceiling = cores * 1e6 / path.max(1e-9);
    let without_hub = cores * 1e6 / (clients + broker).max(1e-9);
    let relay = row.relay.as_ref().map(|relay| {
        let (r_clients, r_relay, r_broker) = relay.cpu.per_message_us(relay.received);
        let r_total = r_clients + r_relay + r_broker;
        // The CPU a message may take, all of it, for the hub to reach 40% of raw here.
        let budget = cores * 1e6 / (0.4 * row.raw.rate()).max(1e-9);
        let left = budget - r_total;
        format!(
            " The bare relay, which only reads each message on the hub's link and publishes \
             it again, took {r_total:.0} µs a message (the clients {r_clients:.0}, the relay \
             {r_relay:.0}, the broker {r_broker:.0}) for its {:.1} publications and passed on \
             {:.0} messages a second, {:.0}% of raw: the ceiling of anything that passes \
             messages on through the broker, on cores it shares with the broker and the \
             clients. At 40% of raw, a message may take {budget:.0} µs of CPU in all; the bare \
             relay leaves {} for everything else the hub does (decoding, checks, fsync'd \
             storage, acknowledgements and receipts, and the publications these add), which \
             here takes {:.0}.",
            relay.publications_per_message(false),
            relay.rate(),
            100.0 * relay.rate() / row.raw.rate().max(1e-9),
            if left > 0.0 {
                format!("{left:.0} µs")
            } else {
                "nothing".to_owned()
            },
            path - r_total,
        )
    });
    format!(
        "At {}, raw Mosquitto and its clients took {raw:.0} µs of CPU a message and kept \
         {:.1} of the {cores:.0} cores busy; the hub path took {path:.0} µs (the broker \
         {broker:.0}, the clients {clients:.0}, the hub {hub:.0}) for its {:.1} publications, \
         so on this machine it could not go past {ceiling:.0} messages a second, {:.0}% of \
         raw's rate, even if it never waited; the broker and the clients alone would stop at \
         {without_hub:.0} ({:.0}%).{}",
        workload(row.workload).to_lowercase(),
        row.raw.cpu.cores_busy(),
        row.hub.publications_per_message(true),
        100.0 * ceiling / row.raw.rate().max(1e-9),
        100.0 * without_hub / row.raw.rate().max(1e-9),
        relay.unwrap_or_default(),
    )
}

fn workload(w: Workload) -> String {
    match w {
        Workload::Window(n) => format!("window {n}"),
        Workload::Paced(rate) => format!("paced {rate}/s"),
        Workload::Pairs(n) => format!("{n} pairs, window 20"),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let debian = std::fs::read_to_string("/etc/debian_version")
        .map(|v| format!(", Debian {}", v.trim()))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores{debian}")
}

/// KB (1000 bytes), one decimal.
fn kb(bytes: f64) -> String {
    format!("{:.1}", bytes / 1000.0)
}

/// What the disk was made to write: per message on each path, and the photo run.
fn disk_section(measured: &Measured) -> String {
    let Some(disk) = &measured.disk else {
        return "\nWhat the disk writes was not counted (the data folder was on no block device).\n"
            .to_owned();
    };
    let mut out = format!(
        "\n## What the disk is made to write\n\n\
         Counted at the block device under the hub's data folder (`{}`), from \
         `/proc/diskstats` (sectors written × 512): what reaches the device, the file \
         system's journal and metadata included. The file system is synced (`syncfs`) before \
         and after each round, so that each pays for what it left in the page cache. With \
         nothing of the bench running, the device wrote {} KB a second (other writers on it, \
         the file system's own timers): the raw path shows what that adds to a round.\n\n\
         | workload | raw KB / message | hub KB / message |\n|---|---:|---:|\n",
        disk.device,
        kb(disk.idle_bytes_per_s),
    );
    for row in &measured.rows {
        let per = |s: &crate::run::Stats| {
            s.disk_bytes_per_message()
                .map_or_else(|| "–".to_owned(), kb)
        };
        out += &format!(
            "| {} | {} | {} |\n",
            workload(row.workload),
            per(&row.raw),
            per(&row.hub)
        );
    }
    if let Some(photos) = &measured.photos {
        let n = photos.stats.received.max(1) as f64;
        let size = photos.photo_bytes as f64;
        let written = photos.stats.disk_bytes.unwrap_or(0) as f64;
        out += &format!(
            "\nPhotos: {} photos of {} KiB each (as a tablet sends them, base64 in the message), \
             one at a time from one tablet to another, then 20 texts: the hub's data folder grew \
             {:.1} MiB ({:.2} × the photos' size), and the device wrote {:.1} MiB ({:.2} × the \
             photos' size). A photo took {:.0} ms from its send to its arrival (p50).\n",
            photos.stats.received,
            photos.photo_bytes / 1024,
            photos.folder_growth as f64 / (1 << 20) as f64,
            photos.folder_growth as f64 / (n * size),
            written / (1 << 20) as f64,
            written / (n * size),
            photos.stats.percentile_ms(0.5),
        );
    }
    if !measured.media_ways.is_empty() {
        let n = measured
            .photos
            .as_ref()
            .map_or(1, |p| p.stats.received.max(1)) as f64;
        let size = n * crate::PHOTO_BYTES as f64;
        out += "\nThe same photos through the store alone, both ways it can keep them (each \
                photo's message and its copy in the recipient's queue, then the copy gone at \
                its acknowledgement; a durable commit each):\n\n\
                | photos kept | the store's folder grew | × the photos | the device wrote | × the photos |\n\
                |---|---:|---:|---:|---:|\n";
        for way in &measured.media_ways {
            let written = way.written.map_or_else(
                || "–".to_owned(),
                |w| format!("{:.1} MiB", w as f64 / (1 << 20) as f64),
            );
            let written_share = way
                .written
                .map_or_else(|| "–".to_owned(), |w| format!("{:.2}", w as f64 / size));
            out += &format!(
                "| {} | {:.1} MiB | {:.2} | {written} | {written_share} |\n",
                if way.files {
                    "as files named by their hash (the hub's way)"
                } else {
                    "inside the database"
                },
                way.folder_growth as f64 / (1 << 20) as f64,
                way.folder_growth as f64 / size,
            );
        }
    }
    out
}

/// The report as Markdown. `command` is how it was made.
pub fn markdown(measured: &Measured, plan: &Plan, command: &str) -> String {
    let rows = &measured.rows;
    let (sync_p50, sync_p99) = measured.disk_sync_ms;
    let write_us = measured.store_write_us;
    let today = nabij_protocol::UnixMillis::now().civil(0);
    let mut out = format!(
        "# Benchmarks\n\n\
         Written by `{command}` on {:04}-{:02}-{:02}, on {}, release build. Run it again after \
         any change to the hub's receive path, storage or MQTT edge.\n\n\
         Every path uses the same client (rumqttc over TLS to the hub's managed Mosquitto, \
         TCP_NODELAY, QoS 1) and {}-byte payloads, one process, one machine:\n\n\
         - **raw**: one client publishes to a topic another subscribes to: Mosquitto alone, \
         the ceiling.\n\
         - **bare relay** (flat-out windows only): a client on the hub's own link (plain MQTT \
         on the broker's loopback listener, as the hub's) reads each message and publishes it \
         again to the receiver's topic, and does nothing else: the ceiling for any hub that \
         passes messages on through the broker. Its CPU is counted as the hub's.\n\
         - **hub**: a tablet's chat message to a contact. The hub decodes and checks it, stores \
         it (a batch of messages per fsync'd commit), acknowledges it and passes it on; the \
         recipient acknowledges the copy, the hub answers with a `delivered` receipt to the \
         sender, which acknowledges that too. Acknowledgements and receipts cover whatever \
         arrived together (the protocol allows 256 ids in one). Raw's message is two \
         publications through the broker (in, out); the hub path's is four (in and out to \
         the hub, in and out as the copy), plus shares of the two acknowledgements and the \
         receipt with its acknowledgement, two publications each too.\n\n\
         *Window N*: a sender keeps N messages in flight (sent, not yet received) and goes as \
         fast as that allows, {} messages. *Paced*: one message every 1/rate seconds for {} s, \
         whatever arrives. Each runs in {} rounds, raw and hub taking turns, so that both meet \
         the same moments of a machine whose speed drifts (a shared virtual machine's does); \
         the figures are the rounds together. Latency: from the send to the receiver. The hub's per-tablet budgets \
         are lifted for the run (by default a tablet may send 120 messages a minute after a \
         burst of 500): here one tablet is the whole load.\n\n\
         | workload | raw msg/s | hub msg/s | hub / raw | bare relay msg/s | relay / raw | raw p50 / p99 / max ms | hub p50 / p99 / max ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
        today.year,
        today.month,
        today.day,
        machine(),
        crate::paths::PAYLOAD_BYTES,
        plan.messages,
        plan.paced.as_secs_f64(),
        plan.rounds.max(1),
    );
    for row in rows {
        let ms = |s: &crate::run::Stats| {
            format!(
                "{:.1} / {:.1} / {:.1}",
                s.percentile_ms(0.5),
                s.percentile_ms(0.99),
                s.percentile_ms(1.0)
            )
        };
        let (relay_rate, relay_share) = match &row.relay {
            Some(relay) => (
                format!("{:.0}", relay.rate()),
                format!("{:.0}%", 100.0 * relay.rate() / row.raw.rate().max(1e-9)),
            ),
            None => ("–".to_owned(), "–".to_owned()),
        };
        out += &format!(
            "| {} | {:.0} | {:.0} | {:.0}% | {relay_rate} | {relay_share} | {} | {} |\n",
            workload(row.workload),
            row.raw.rate(),
            row.hub.rate(),
            100.0 * row.hub.rate() / row.raw.rate().max(1e-9),
            ms(&row.raw),
            ms(&row.hub),
        );
    }
    out += "\nThe CPU each path took, per message delivered, in µs: the clients, the hub (its own \
            runtime and the blocking threads its store commits on, in this process) and \
            Mosquitto; and how many \
            of the machine's cores they kept busy on average; and the publications through the \
            broker per message (in and out, acknowledgements and receipts included).\n\n\
            | workload | raw: clients µs | raw: broker µs | raw: cores | raw: publications | hub path: clients µs | hub µs | broker µs | cores | publications |\n\
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for row in rows {
        let (raw_clients, _, raw_broker) = row.raw.cpu.per_message_us(row.raw.received);
        let (clients, hub, broker) = row.hub.cpu.per_message_us(row.hub.received);
        out += &format!(
            "| {} | {raw_clients:.0} | {raw_broker:.0} | {:.2} | {:.1} | {clients:.0} | {hub:.0} | {broker:.0} | {:.2} | {:.1} |\n",
            workload(row.workload),
            row.raw.cpu.cores_busy(),
            row.raw.publications_per_message(false),
            row.hub.cpu.cores_busy(),
            row.hub.publications_per_message(true),
        );
    }
    out += &format!(
        "\nThe disk under the hub: `fdatasync` of 4 KiB takes {sync_p50:.2} ms (p50), \
         {sync_p99:.2} ms (p99). A record applied through the hub's store (200 bytes, 100 a \
         transaction, without the sync: into the map in memory that readers see first; the \
         next sync writes it into redb) costs {write_us:.1} µs.\n"
    );
    let tail = &measured.commit_tail;
    let ms = |t: &[f64; 4]| format!("{:.2} / {:.2} / {:.2} / {:.2}", t[0], t[1], t[2], t[3]);
    out += &format!(
        "A small commit as the receive path makes them (10 records of 200 bytes, one every \
         2 ms), p50 / p99 / p99.9 / max in ms: apply {}; made durable {} (one redb commit: \
         the pages it changed, its commit slot, one fsync).\n",
        ms(&tail.apply),
        ms(&tail.sync),
    );
    out += &disk_section(measured);
    out += "\n## Targets\n\n";
    for check in checks(measured) {
        out += &format!(
            "- [{}] {}: {}\n",
            if check.met { "x" } else { " " },
            check.target,
            check.measured
        );
    }
    out += &format!(
        "\n## Where the hub's time goes\n\n\
         - **Latency.** A raw message crosses the broker once. A hub message crosses it \
         twice, and between the two the hub decodes, checks and applies its batch. The copy \
         does not wait for the disk (its id is made from the message, so a copy passed on \
         before a crash is kept once when the sender sends again); the sender's ack does: \
         a durable redb commit, at most one every {} ms on the receive path, shared by every \
         batch handled meanwhile (an `fdatasync` takes {sync_p50:.2} ms p50, \
         {sync_p99:.2} ms p99 on this disk). At a fixed window, throughput is the window \
         divided by the latency.\n\
         - **Work.** On the hub path a chat message is four publications through the broker \
         (into it and out to the hub, then as the copy into it and out to the recipient) \
         against raw's two, plus its shares of the acknowledgements and receipts (the sender's ack, the \
         recipient's ack of its copy, the `delivered` receipt and the sender's ack of that, \
         each covering whatever arrived together: the publications column above), and about \
         ten records applied in the store ({write_us:.1} µs each here, \
         see above), of which the next commit writes the six or so still there into redb (a \
         message's place in its recipient's queue is gone again by then). {}\n\
         - **What the hub does meanwhile.** The MQTT reader never waits on the handler; a batch \
         is handled (a large one on a blocking thread) while earlier ones wait for their commit \
         (group commit: one commit covers every batch applied before it), so the hub keeps up \
         with bursts \
         (see `tests/load`); here it kept up (p99 under 50 ms) with {}.\n",
        nabij_hub::GROUP_COMMIT.as_millis(),
        cpu_bound(rows),
        kept_up(rows)
    );
    out += &format!(
        "- **The tail.** A copy waits for its batch to be handled and applied (the store's \
         apply: {:.2} ms at p99.9, above), not for the disk; its sender's ack waits for the \
         next commit ({:.2} ms at p50, {:.2} ms at p99.9, {:.2} ms at worst, once it starts); \
         acknowledgements from tablets wait for none. What remains of the hub's p99 at low \
         rates is two cores shared by the broker, the clients and the hub: a message wakes a \
         handful of threads in each.\n",
        tail.apply[2], tail.sync[0], tail.sync[2], tail.sync[3],
    );
    out
}
