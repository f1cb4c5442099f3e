//! The hub's relay measured against its ceiling, raw Mosquitto, in one run with the same
//! client (`cargo xtask bench` writes the report to `docs/benchmarks.md`). See
//! [`paths`] for what each path does and [`run`] for the workloads.

pub mod client;
pub mod cpu;
pub mod disk;
pub mod paths;
pub mod report;
pub mod reports;
pub mod run;

use anyhow::{Context, Result, bail};
use nabij_hub::config::HubConfig;
use paths::Pair;
use run::{Clock, Stats};
use std::time::Duration;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Messages per windowed run.
    pub messages: u64,
    /// Windows to measure.
    pub windows: Vec<usize>,
    /// Paces to measure, in messages a second.
    pub rates: Vec<u64>,
    /// How long each paced run lasts.
    pub paced: Duration,
    /// Pairs sending at once in the last run.
    pub pairs: usize,
    /// Messages per pair in the last run (window 20).
    pub per_pair: u64,
    /// Each windowed and paced workload runs in this many rounds, raw and hub taking
    /// turns, so that both see the same moments of a machine whose speed drifts.
    pub rounds: u32,
    /// Photos of [`PHOTO_BYTES`] sent one at a time through the hub.
    pub photos: u64,
    /// How long the device is watched with nothing running, for its writes at rest.
    pub idle: Duration,
}

/// Each photo of the photo run is this big (the largest a photo may be).
pub const PHOTO_BYTES: usize = nabij_protocol::limits::MAX_PHOTO_BYTES;

impl Plan {
    /// The measurement `docs/benchmarks.md` reports.
    pub fn full() -> Plan {
        Plan {
            messages: 10_000,
            windows: vec![20, 50],
            rates: vec![200, 500, 2_000],
            paced: Duration::from_secs(10),
            pairs: 50,
            per_pair: 200,
            rounds: 5,
            photos: 22,
            idle: Duration::from_secs(5),
        }
    }

    /// One pair flat out at window 20 and paced at 200 a second, long enough to profile.
    pub fn profile() -> Plan {
        Plan {
            messages: 20_000,
            windows: vec![20],
            rates: vec![200],
            paced: Duration::from_secs(10),
            pairs: 2,
            per_pair: 10,
            rounds: 2,
            photos: 0,
            idle: Duration::ZERO,
        }
    }

    /// A small run that checks the bench itself works (seconds, any build).
    pub fn smoke() -> Plan {
        Plan {
            messages: 100,
            windows: vec![20],
            rates: vec![200],
            paced: Duration::from_millis(500),
            pairs: 3,
            per_pair: 20,
            rounds: 2,
            photos: 2,
            idle: Duration::from_millis(200),
        }
    }
}

/// How long the disk under the hub takes to make 4 KiB durable (`fdatasync`), in
/// milliseconds: p50 and p99 of `samples` syncs. Every acknowledgement of the hub waits for
/// at least one, so this bounds its latency from below.
pub fn disk_sync_ms(dir: &std::path::Path, samples: usize) -> Result<(f64, f64)> {
    use std::io::Write;
    let path = dir.join("sync-probe");
    let mut file = std::fs::File::create(&path)?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        file.write_all(&[0u8; 4096])?;
        let started = std::time::Instant::now();
        file.sync_data()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(2));
    }
    std::fs::remove_file(&path)?;
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Ok((at(0.5), at(0.99)))
}

/// A store of the hub's own kind in `dir/name`, and a transaction of `records` records of
/// 200 bytes for it (keys made from `round`), as the probes below write them.
struct StoreProbe {
    storage: std::sync::Arc<dyn nabij_hub::store::Storage>,
}

impl StoreProbe {
    fn open(dir: &std::path::Path, name: &str) -> Result<StoreProbe> {
        Ok(StoreProbe {
            storage: std::sync::Arc::new(nabij_hub::store::DiskStorage::open(
                &dir.join(name),
                64 << 20,
            )?),
        })
    }

    fn transaction(&self, round: u64, records: u64) -> nabij_hub::store::Tx {
        let mut tx = nabij_hub::store::Tx::new(self.storage.clone());
        for n in 0..records {
            tx.put_raw(
                nabij_hub::store::RawTable("probe"),
                format!("{round:08}-{n:04}").into_bytes(),
                vec![7; 200],
            );
        }
        tx
    }
}

/// What one record applied through the hub's store costs, in microseconds, without the
/// sync. Records of 200 bytes, 100 a transaction.
pub fn store_write_us(dir: &std::path::Path) -> Result<f64> {
    let probe = StoreProbe::open(dir, "store-probe")?;
    let (rounds, per) = (50u64, 100u64);
    let mut spent = Duration::ZERO;
    for round in 0..rounds {
        let tx = probe.transaction(round, per);
        let started = std::time::Instant::now();
        let applied = tx.apply()?;
        spent += started.elapsed();
        drop(applied);
    }
    Ok(spent.as_secs_f64() * 1e6 / (rounds * per) as f64)
}

/// Milliseconds one small commit through the hub's store takes, as the receive path
/// makes them (10 records of 200 bytes, then made durable), at p50 / p99 / p99.9 / max:
/// the apply and the sync (one durable redb commit) apart.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommitTail {
    /// The apply.
    pub apply: [f64; 4],
    /// The sync.
    pub sync: [f64; 4],
}

/// Times `commits` small commits, one every 2 ms (the pace of 500 messages a second).
pub async fn store_commit_tail(dir: &std::path::Path, commits: u64) -> Result<CommitTail> {
    let probe = StoreProbe::open(dir, "commit-probe")?;
    let (mut apply, mut sync) = (Vec::new(), Vec::new());
    for round in 0..commits {
        let tx = probe.transaction(round, 10);
        let started = std::time::Instant::now();
        let applied = tx.apply()?;
        apply.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = std::time::Instant::now();
        applied.durable().await?;
        sync.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let tail = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        [at(0.5), at(0.99), at(0.999), at(1.0)]
    };
    Ok(CommitTail {
        apply: tail(apply),
        sync: tail(sync),
    })
}

/// What the device under the hub's data folder was made to write.
#[derive(Debug, Clone)]
pub struct DiskFigures {
    /// The device's name in `/proc/diskstats`.
    pub device: String,
    /// Bytes a second it wrote while nothing of the bench ran.
    pub idle_bytes_per_s: f64,
}

/// The photo run: photos sent one at a time through the hub.
#[derive(Debug, Clone)]
pub struct PhotoFigures {
    /// Photos sent (and received).
    pub stats: Stats,
    /// The size of each, in bytes (as an image, before base64).
    pub photo_bytes: u64,
    /// How much the hub's data folder grew (allocated blocks), in bytes.
    pub folder_growth: i64,
}

/// Photos kept one way or the other, as the hub keeps them: each message's content and
/// its copy in the recipient's queue (two envelopes around the same photo), then the
/// copy gone at its acknowledgement.
#[derive(Debug, Clone, Copy)]
pub struct MediaWay {
    /// Photos as files of their own (`true`, the hub's way) or inside the database.
    pub files: bool,
    /// How much the store's folder grew (allocated blocks), in bytes.
    pub folder_growth: i64,
    /// What the device wrote meanwhile, in bytes, if counted.
    pub written: Option<u64>,
}

/// Stores `photos` photos of [`PHOTO_BYTES`] through the hub's store one way, a commit
/// for each message and one for each acknowledgement.
pub fn media_way(
    dir: &std::path::Path,
    device: Option<&disk::Device>,
    files: bool,
    photos: u64,
) -> Result<MediaWay> {
    use nabij_hub::store::{DiskOptions, DiskStorage, Storage, Writes};
    let folder = dir.join(if files { "media-files" } else { "media-inline" });
    let store = DiskStorage::open_with_options(
        &folder,
        DiskOptions {
            media_files: files,
            ..DiskOptions::default()
        },
    )?;
    let before = device.map(disk::Device::settled).transpose()?;
    let grown_from = disk::allocated(&folder)?;
    for n in 0..photos {
        let mut image = photo_bytes(PHOTO_BYTES);
        image[..8].copy_from_slice(&n.to_be_bytes());
        let envelope = |id: &str| {
            format!(
                r#"{{"v":1,"id":"{id}","kind":"photo","body":{{"to":"p-anna","mime":"image/jpeg","width":1024,"height":768,"data":"{}"}}}}"#,
                nabij_protocol::base64::encode(&image)
            )
            .into_bytes()
        };
        let mut writes = Writes::new();
        writes.insert(
            ("message_bodies", format!("m-{n:08}").into_bytes()),
            Some(envelope("k-1")),
        );
        writes.insert(
            ("outbox", format!("d-anna\0{n:08}").into_bytes()),
            Some(envelope("hub-1")),
        );
        store.commit(writes)?;
        let mut ack = Writes::new();
        ack.insert(("outbox", format!("d-anna\0{n:08}").into_bytes()), None);
        store.commit(ack)?;
    }
    drop(store);
    let written = match (device, before) {
        (Some(device), Some(before)) => Some(device.settled()?.saturating_sub(before)),
        _ => None,
    };
    Ok(MediaWay {
        files,
        folder_growth: disk::allocated(&folder)? as i64 - grown_from as i64,
        written,
    })
}

/// What one run measured: each workload on each path, and the disk.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The workloads.
    pub rows: Vec<Row>,
    /// The device the disk figures were counted at, if there is one.
    pub disk: Option<DiskFigures>,
    /// The photo run, when the plan has one.
    pub photos: Option<PhotoFigures>,
    /// The same photos through the store alone, as files and inside the database.
    pub media_ways: Vec<MediaWay>,
    /// The disk's `fdatasync` p50 and p99, in milliseconds.
    pub disk_sync_ms: (f64, f64),
    /// Microseconds a record applied through the hub's store costs.
    pub store_write_us: f64,
    /// How long small commits take, tail included.
    pub commit_tail: CommitTail,
}

/// One workload on each path.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was run.
    pub workload: Workload,
    /// Raw Mosquitto.
    pub raw: Stats,
    /// Through the hub.
    pub hub: Stats,
    /// Through the bare relay (flat-out windows only).
    pub relay: Option<Stats>,
}

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// One pair, this many in flight, flat out.
    Window(usize),
    /// One pair at this many messages a second.
    Paced(u64),
    /// This many pairs at once, 20 in flight each, flat out.
    Pairs(usize),
}

/// How long a run's end waits for work its store does after the last commit.
const SETTLE: Duration = Duration::from_millis(500);

/// Runs a workload and notes the CPU it took and what the device wrote meanwhile (its
/// file system synced before and after, so the run pays for what it left unwritten).
async fn metered<T>(
    device: Option<&disk::Device>,
    run: impl std::future::Future<Output = Result<(T, run::Stats)>>,
) -> Result<(T, run::Stats)> {
    let written = device.map(disk::Device::settled).transpose()?;
    let meter = cpu::Meter::start();
    let (sent, received) = client::publications();
    let (pairs, mut stats) = run.await?;
    stats.cpu = meter.stop();
    let (sent_after, received_after) = client::publications();
    stats.client_publications = (sent_after - sent, received_after - received);
    if let (Some(device), Some(before)) = (device, written) {
        // A store may finish a run's writes a moment after its last commit: they belong
        // to this run, not to the next path's.
        tokio::time::sleep(SETTLE).await;
        stats.disk_bytes = Some(device.settled()?.saturating_sub(before));
    }
    Ok((pairs, stats))
}

/// Runs each path's pairs through `run` in turn, `rounds` times over, so that every path
/// meets the same moments of a machine whose speed drifts; each path's rounds merged.
async fn in_rounds<const N: usize, F, Fut>(
    device: Option<&disk::Device>,
    rounds: u32,
    mut paths: [Vec<Pair>; N],
    mut run: F,
) -> Result<([Vec<Pair>; N], [Stats; N])>
where
    F: FnMut(Vec<Pair>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<Pair>, Stats)>>,
{
    let mut merged: [Stats; N] = std::array::from_fn(|_| Stats::default());
    for _ in 0..rounds {
        for (pairs, stats) in paths.iter_mut().zip(&mut merged) {
            let (back, round) = metered(device, run(std::mem::take(pairs))).await?;
            *pairs = back;
            stats.merge(round);
        }
    }
    Ok((paths, merged))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts a hub (managed broker, TLS, free ports) and measures `plan` on every path.
pub async fn measure(plan: &Plan, progress: impl Fn(&str)) -> Result<Measured> {
    // NABIJ_BENCH_DIR: a file system of its own, so that the device counts the hub alone.
    let dir = match std::env::var_os("NABIJ_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base)?,
        None => tempfile::tempdir()?,
    };
    let device = match disk::Device::of(dir.path()) {
        Ok(device) => Some(device),
        Err(e) => {
            progress(&format!("not counting what the disk writes: {e:#}"));
            None
        }
    };
    let idle = match &device {
        Some(device) if !plan.idle.is_zero() => {
            progress(&format!("watching {} at rest", device.name));
            Some(device.idle_rate(plan.idle).await?)
        }
        _ => None,
    };
    progress("timing the disk");
    let disk = disk_sync_ms(dir.path(), if plan.messages >= 1_000 { 500 } else { 20 })?;
    let write_us = store_write_us(dir.path())?;
    let media_ways = if plan.photos > 0 {
        progress("photos through the store both ways");
        vec![
            media_way(dir.path(), device.as_ref(), true, plan.photos)?,
            media_way(dir.path(), device.as_ref(), false, plan.photos)?,
        ]
    } else {
        Vec::new()
    };
    let commit_tail =
        store_commit_tail(dir.path(), if plan.messages >= 1_000 { 3_000 } else { 50 }).await?;
    let mut config = HubConfig {
        data_dir: dir.path().join("hub"),
        ..HubConfig::default()
    };
    config.broker.tls_port = free_port()?;
    config.broker.pairing_port = free_port()?;
    config.web.port = 0;
    config.broker.local_port = free_port()?;
    config.broker.listen = std::net::IpAddr::from([127, 0, 0, 1]);
    // The budgets protect a hub from one tablet; here one tablet *is* the load.
    let limits = &mut config.limits;
    limits.burst_messages = 1_000_000;
    limits.messages_per_minute = 1_000_000;
    limits.burst_mb = 100_000;
    limits.mb_per_minute = 100_000;
    // The hub on a runtime of its own, as in its own process, its threads named so that
    // its CPU is told apart from the clients'.
    let hub_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(cpu::HUB_THREADS)
        .enable_all()
        .build()?;
    let running = hub_runtime
        .spawn(nabij_hub::start(config.clone()))
        .await?
        .context("the hub did not start")?;
    let result = measure_with(
        plan,
        &config,
        running.hub(),
        hub_runtime.handle(),
        device.as_ref(),
        &progress,
    )
    .await;
    let (dropped, refused) = (running.dropped(), running.refused());
    if dropped + refused > 0 {
        // The bench's clients do not resend (a kiosk would, after the wait the hub gave,
        // or after a minute): say so.
        progress(&format!(
            "the hub could not take {refused} messages in time and asked for them again later, and dropped {dropped} it could not answer"
        ));
    }
    hub_runtime
        .spawn(async move { running.shutdown().await })
        .await?;
    // Not dropped here: dropping a runtime blocks, which an async task may not.
    hub_runtime.shutdown_background();
    let (rows, photos) = result?;
    Ok(Measured {
        rows,
        disk: device.map(|device| DiskFigures {
            device: device.name,
            idle_bytes_per_s: idle.unwrap_or(0.0),
        }),
        photos,
        media_ways,
        disk_sync_ms: disk,
        store_write_us: write_us,
        commit_tail,
    })
}

/// Measures `plan` on every path, with a running hub; the bare relay runs on
/// `hub_runtime`, where the hub does.
async fn measure_with(
    plan: &Plan,
    config: &HubConfig,
    hub: &nabij_hub::app::Hub,
    hub_runtime: &tokio::runtime::Handle,
    device: Option<&disk::Device>,
    progress: &impl Fn(&str),
) -> Result<(Vec<Row>, Option<PhotoFigures>)> {
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config.data_dir.join("broker/secrets.json"))?)?;
    let secret = |key: &str| secrets[key].as_str().unwrap_or_default().to_owned();
    let tls = client::tls(&config.data_dir.join("pki/ca.pem"))?;
    let doors = paths::Doors {
        tablets: client::Endpoint {
            host: "127.0.0.1".into(),
            port: config.broker.tls_port,
            tls: Some(tls.clone()),
        },
        pairing: client::Endpoint {
            host: "127.0.0.1".into(),
            port: config.broker.pairing_port,
            tls: Some(tls),
        },
    };
    // Raw Mosquitto over TLS, with the hub's own login: on the pairing listener.
    let endpoint = doors.pairing.clone();
    // The hub's own link: plain MQTT on the broker's loopback listener.
    let local = client::Endpoint {
        host: "127.0.0.1".into(),
        port: config.broker.local_port,
        tls: None,
    };
    let hub_user = nabij_hub::broker::HUB_USER;
    let (hub_password, enrol_password) = (secret("hub_password"), secret("enrol_password"));
    let raw_pair = |n| {
        let endpoint = endpoint.clone();
        let password = hub_password.clone();
        async move { paths::raw_pair(&endpoint, hub_user, &password, n).await }
    };
    let hub_pair = |n| {
        let doors = doors.clone();
        let password = enrol_password.clone();
        async move { paths::hub_pair(hub, &doors, &password, n).await }
    };
    let clock = Clock::start();
    let mut run = 0;
    let mut next_run = || {
        run += 1;
        run
    };
    let mut raw: Vec<Pair> = vec![raw_pair(0).await?];
    let mut relay: Vec<Pair> = vec![hub_pair(0).await?];
    let mut bare: Vec<Pair> =
        vec![paths::relay_pair(&endpoint, &local, hub_runtime, hub_user, &hub_password, 0).await?];

    progress("warming up");
    (raw, _) = run::windowed(raw, next_run(), 200, 20, clock).await?;
    (relay, _) = run::windowed(relay, next_run(), 200, 20, clock).await?;
    (bare, _) = run::windowed(bare, next_run(), 200, 20, clock).await?;

    let mut rows = Vec::new();
    let rounds = plan.rounds.max(1);
    for &window in &plan.windows {
        progress(&format!(
            "window {window}: raw, hub and bare relay, {rounds} rounds each"
        ));
        let per_round = plan.messages / u64::from(rounds);
        let (paths, [raw_stats, hub_stats, bare_stats]) =
            in_rounds(device, rounds, [raw, relay, bare], |pairs| {
                run::windowed(pairs, next_run(), per_round, window, clock)
            })
            .await?;
        [raw, relay, bare] = paths;
        rows.push(Row {
            workload: Workload::Window(window),
            raw: raw_stats,
            hub: hub_stats,
            relay: Some(bare_stats),
        });
    }
    for &rate in &plan.rates {
        progress(&format!(
            "{rate} a second: raw and hub, {rounds} rounds each"
        ));
        let per_round = plan.paced / rounds;
        let (paths, [raw_stats, hub_stats]) = in_rounds(device, rounds, [raw, relay], |pairs| {
            run::paced(pairs, next_run(), rate, per_round, clock)
        })
        .await?;
        [raw, relay] = paths;
        rows.push(Row {
            workload: Workload::Paced(rate),
            raw: raw_stats,
            hub: hub_stats,
            relay: None,
        });
    }
    let photos = if plan.photos > 0 {
        progress(&format!("{} photos through the hub", plan.photos));
        let (pairs, figures) = photo_run(plan, config, relay, device, &mut next_run, clock).await?;
        relay = pairs;
        Some(figures)
    } else {
        None
    };
    progress(&format!("pairing {} more tablet pairs", plan.pairs - 1));
    for n in 1..plan.pairs {
        raw.push(raw_pair(n).await?);
        relay.push(hub_pair(n).await?);
    }
    progress(&format!("{} pairs: raw", plan.pairs));
    let (_, raw_stats) = metered(
        device,
        run::windowed(raw, next_run(), plan.per_pair, 20, clock),
    )
    .await?;
    progress(&format!("{} pairs: hub", plan.pairs));
    let (_, hub_stats) = metered(
        device,
        run::windowed(relay, next_run(), plan.per_pair, 20, clock),
    )
    .await?;
    rows.push(Row {
        workload: Workload::Pairs(plan.pairs),
        raw: raw_stats,
        hub: hub_stats,
        relay: None,
    });
    Ok((rows, photos))
}

/// Bytes that compress no better than a JPEG does, for the store alone (which never
/// decodes what it keeps).
fn photo_bytes(bytes: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut out = Vec::with_capacity(bytes + 8);
    while out.len() < bytes {
        // xorshift64*: fast, and far from compressible.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(bytes);
    out
}

/// A real JPEG of noise (it does not compress) of at most `target` bytes and nearly that,
/// as a tablet sends one: the hub decodes every tablet photo before it keeps it. Its
/// comment segment, right after the start marker, holds a number (`BenchPhoto::numbered`),
/// so that no two photos of a run are the same file at the hub.
pub struct BenchPhoto {
    /// The JPEG, number 0.
    pub jpeg: Vec<u8>,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
}

/// Where the number sits in [`BenchPhoto::jpeg`]: after the start marker and the comment
/// segment's marker and length.
const PHOTO_NUMBER_AT: std::ops::Range<usize> = 6..14;

impl BenchPhoto {
    /// Makes one of about `target` bytes (90 to 100 %).
    pub fn new(target: usize) -> Result<Self> {
        let mut side = 600u32;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..12 {
            let img = image::RgbImage::from_fn(side, side, |_, _| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let [a, b, c, ..] = seed.to_le_bytes();
                image::Rgb([a, b, c])
            });
            let mut encoded = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 80)
                .encode_image(&img)
                .context("encoding the bench's photo")?;
            // The start marker, a comment segment of 8 bytes (length 10), then the rest.
            let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x0A];
            jpeg.extend_from_slice(&[0; 8]);
            jpeg.extend_from_slice(encoded.get(2..).context("an empty JPEG")?);
            if jpeg.len() <= target && jpeg.len() > target * 9 / 10 {
                return Ok(Self {
                    jpeg,
                    width: side,
                    height: side,
                });
            }
            let scale = (target as f64 * 0.95 / jpeg.len() as f64).sqrt();
            side = (f64::from(side) * scale) as u32;
        }
        bail!("no JPEG of about {target} bytes came out")
    }

    /// Photo number `seq`: the same picture, another file.
    pub fn numbered(&self, seq: u64) -> Vec<u8> {
        let mut jpeg = self.jpeg.clone();
        jpeg[PHOTO_NUMBER_AT].copy_from_slice(&seq.to_be_bytes());
        jpeg
    }
}

/// The photo run on the hub pair: `plan.photos` photos one at a time, then a window of
/// texts (whose commits make the photos' last acknowledgements durable too); what the
/// data folder grew and what the device wrote meanwhile.
async fn photo_run(
    plan: &Plan,
    config: &HubConfig,
    mut pairs: Vec<Pair>,
    device: Option<&disk::Device>,
    next_run: &mut impl FnMut() -> u32,
    clock: Clock,
) -> Result<(Vec<Pair>, PhotoFigures)> {
    let photo = BenchPhoto::new(PHOTO_BYTES)?;
    let pair = pairs.pop().context("no hub pair")?;
    let folder = || disk::allocated(&config.data_dir);
    if let Some(device) = device {
        device.settled()?;
    }
    let grown_from = folder()?;
    let run = next_run();
    let (pair, mut stats) = metered(device, async {
        let (pair, stats) = run::photos(pair, run, plan.photos, &photo, clock).await?;
        let (mut pairs, _) = run::windowed(vec![pair], next_run(), 20, 20, clock).await?;
        let pair = pairs.pop().context("the pair came back")?;
        // The store's work after the last commit (deleting media files no record names
        // any more) is paid for here too.
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok((pair, stats))
    })
    .await?;
    pairs.push(pair);
    let growth = folder()? as i64 - grown_from as i64;
    stats.sent = plan.photos;
    Ok((
        pairs,
        PhotoFigures {
            stats,
            photo_bytes: photo.jpeg.len() as u64,
            folder_growth: growth,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_measures_every_path_and_every_message_arrives() {
        let plan = Plan::smoke();
        let measured = measure(&plan, |_| {}).await.expect("the bench runs");
        let rows = &measured.rows;
        assert_eq!(rows.len(), plan.windows.len() + plan.rates.len() + 1);
        for row in rows {
            for stats in [&row.raw, &row.hub] {
                assert!(stats.sent > 0, "{:?} sent nothing", row.workload);
                assert_eq!(
                    stats.received, stats.sent,
                    "{:?} lost messages",
                    row.workload
                );
                assert_eq!(stats.latencies_us.len() as u64, stats.received);
            }
            // Raw: each message in and out once (and what the run before still had on its
            // way: the counters are the whole bench's). The hub path: in and out twice,
            // and the acknowledgements besides.
            let raw = row.raw.publications_per_message(false);
            assert!((2.0..2.5).contains(&raw), "{:?}: raw {raw}", row.workload);
            let hub = row.hub.publications_per_message(true);
            assert!(hub > 4.0, "{:?}: hub {hub}", row.workload);
            // The bare relay: in and out to the relay, in and out again, nothing else.
            match (row.workload, &row.relay) {
                (Workload::Window(_), Some(relay)) => {
                    assert_eq!(relay.received, relay.sent, "the relay lost messages");
                    let per = relay.publications_per_message(false);
                    assert!((4.0..4.5).contains(&per), "relay {per}");
                    let (_, relay_cpu, _) = relay.cpu.per_message_us(relay.received);
                    assert!(
                        relay_cpu > 0.0,
                        "the relay's CPU is not counted as the hub's"
                    );
                }
                (Workload::Window(_), None) => panic!("a window without the bare relay"),
                (_, relay) => assert!(relay.is_none()),
            }
        }
        let tail = measured.commit_tail;
        assert!(
            tail.sync[0] > 0.0 && tail.sync[0] <= tail.sync[3],
            "{tail:?}"
        );
        assert!(
            tail.apply[0] > 0.0 && tail.apply[0] <= tail.apply[3],
            "{tail:?}"
        );
        let photos = measured.photos.as_ref().expect("the plan has photos");
        assert_eq!(photos.stats.received, plan.photos);
        if let Some(disk) = &measured.photos.as_ref().and_then(|p| p.stats.disk_bytes) {
            assert!(
                *disk >= plan.photos * photos.photo_bytes,
                "the photos were written: {disk} bytes"
            );
        }
        let report = report::markdown(&measured, &plan, "test");
        assert!(report.contains("| window 20 |"), "{report}");
        assert!(report.contains("A small commit as the receive path makes them"));
    }
}
