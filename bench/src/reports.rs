//! The staff's reports on a year of data: a hub over a real disk store holding a
//! programme's year (groups of seniors with their coach, every member a contact of every
//! other, messages every day, the 10 + 10 meetings with attendance taken), then the
//! dashboard's reports page and its two CSVs asked for through the dashboard's router,
//! as a signed-in staff member's browser asks for them.

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nabij_hub::app::{BoxFuture, Gatekeeper, Hub, Outlet, OutletClosed, Parts, tables};
use nabij_hub::config::HubConfig;
use nabij_hub::domain::accounts::Role;
use nabij_hub::domain::calendar::Date;
use nabij_hub::domain::messaging::StoredMessage;
use nabij_hub::domain::schedule::{Plan, TimeOfDay};
use nabij_hub::store::{DiskStorage, Storage, Tx};
use nabij_protocol::{DeviceId, Language, MessageId, PersonId, Topic, UnixMillis};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// How much history to make.
#[derive(Debug, Clone)]
pub struct Year {
    /// Groups.
    pub groups: usize,
    /// Seniors in each.
    pub members: usize,
    /// Messages each senior sends a day.
    pub messages_per_day: usize,
    /// Days of history.
    pub days: u64,
    /// Times each report is asked for.
    pub views: usize,
}

impl Year {
    /// What `docs/benchmarks.md` reports: 200 seniors in 20 groups, three messages a day
    /// each for a year.
    pub fn full() -> Year {
        Year {
            groups: 20,
            members: 10,
            messages_per_day: 3,
            days: 365,
            views: 10,
        }
    }

    /// Seconds: checks the bench itself.
    pub fn smoke() -> Year {
        Year {
            groups: 2,
            members: 4,
            messages_per_day: 1,
            days: 60,
            views: 2,
        }
    }
}

/// Milliseconds of each view of one report.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    /// Sorted.
    pub ms: Vec<f64>,
    /// The answer's size in bytes.
    pub bytes: usize,
}

impl Timing {
    /// The median.
    pub fn p50(&self) -> f64 {
        self.ms.get(self.ms.len() / 2).copied().unwrap_or(0.0)
    }

    /// The slowest.
    pub fn max(&self) -> f64 {
        self.ms.last().copied().unwrap_or(0.0)
    }
}

/// What the reports bench measured.
#[derive(Debug, Clone)]
pub struct ReportsMeasured {
    /// The history's shape.
    pub year: Year,
    /// Chat messages in it.
    pub messages: u64,
    /// Meetings with attendance taken.
    pub meetings_taken: usize,
    /// Seconds to write it all.
    pub seeded_s: f64,
    /// `/reports`.
    pub page: Timing,
    /// `/reports/network.csv`.
    pub network_csv: Timing,
    /// `/reports/attendance.csv`.
    pub attendance_csv: Timing,
    /// Milliseconds to gather one participant's data for export.
    pub export_ms: f64,
    /// Milliseconds to erase one participant.
    pub erase_ms: f64,
    /// The longest a write (a line of the audit log, taking the write lock as the receive
    /// path does) waited meanwhile, in milliseconds.
    pub erase_blocked_ms: f64,
}

/// The longest the reports page may take (p50) on a year of data: a staff member waits
/// for it at a meeting with funders.
pub const PAGE_TARGET_MS: f64 = 1_000.0;

/// Nothing leaves this hub: no broker.
struct Nowhere;

impl Outlet for Nowhere {
    fn publish(&self, _: Topic, _: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(async { Ok(()) })
    }

    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(async { Ok(()) })
    }
}

impl Gatekeeper for Nowhere {
    fn allow(&self, _: Vec<(DeviceId, String)>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// A small random number generator: the same history every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

const DAY_MS: u64 = 86_400_000;
const PASSWORD: &str = "een jaar aan cijfers";

/// Makes the year, then asks for the reports.
pub async fn measure(year: &Year, progress: &impl Fn(&str)) -> Result<ReportsMeasured> {
    let dir = tempfile::tempdir()?;
    let storage: Arc<dyn Storage> =
        Arc::new(DiskStorage::open(&dir.path().join("store"), 256 << 20)?);
    let hub = Hub::new(Parts {
        config: HubConfig {
            data_dir: dir.path().to_owned(),
            ..HubConfig::default()
        },
        storage: storage.clone(),
        outlet: Arc::new(Nowhere),
        gate: Arc::new(Nowhere),
        enrol_password: "not used by this bench".into(),
        ca_cert: dir.path().join("ca.pem"),
    })?;
    let started = Instant::now();
    progress("reports: writing a year of history");
    let (messages, meetings_taken, members) = seed(&hub, storage, year).await?;
    let seeded_s = started.elapsed().as_secs_f64();
    hub.add_account("staff", Role::Staff, None, PASSWORD, Language::En)
        .await
        .context("the staff account")?;
    let router = nabij_hub::web::router(hub.clone());
    let cookie = log_in(&router).await?;
    let mut timings = Vec::new();
    for path in [
        "/reports",
        "/reports/network.csv",
        "/reports/attendance.csv",
    ] {
        progress(&format!("reports: {path}"));
        timings.push(view(&router, &cookie, path, year.views).await?);
    }
    let [page, network_csv, attendance_csv] =
        <[Timing; 3]>::try_from(timings).map_err(|_| anyhow::anyhow!("three reports"))?;
    let (exported, erased) = match members.first().map(Vec::as_slice) {
        Some([first, second, ..]) => (first.clone(), second.clone()),
        _ => bail!("the year needs a group of two or more"),
    };
    progress("reports: a participant's export and erasure");
    let started = Instant::now();
    let export = hub.export_participant(&exported).await?;
    let export_ms = started.elapsed().as_secs_f64() * 1000.0;
    if export.data.messages_sent.is_empty() {
        bail!("the exported participant sent nothing");
    }
    // Meanwhile small writes (lines of the audit log, which take the write lock as the
    // receive path does) go on, one a millisecond: the longest wait is what a tablet's
    // message would have waited.
    let longest = std::cell::Cell::new(0f64);
    let writing = async {
        loop {
            let asked = Instant::now();
            hub.audit("bench", "a write while a participant is erased")
                .await?;
            longest.set(longest.get().max(asked.elapsed().as_secs_f64() * 1000.0));
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };
    let started = Instant::now();
    let gone = tokio::select! {
        gone = hub.erase_participant(&erased) => gone?,
        failed = writing => {
            let failed: Result<()> = failed;
            failed?;
            bail!("the writes ended before the erasure")
        }
    };
    let erase_ms = started.elapsed().as_secs_f64() * 1000.0;
    let erase_blocked_ms = longest.get();
    if gone.messages_kept == 0 {
        bail!("the erased participant sent nothing");
    }
    Ok(ReportsMeasured {
        year: year.clone(),
        messages,
        meetings_taken,
        seeded_s,
        page,
        network_csv,
        attendance_csv,
        export_ms,
        erase_ms,
        erase_blocked_ms,
    })
}

/// Groups with a coach, members who are each other's contacts, a planned programme with
/// attendance taken for every meeting that has begun, and messages every day.
/// Returns the messages, the meetings taken and each group's members.
async fn seed(
    hub: &Hub,
    storage: Arc<dyn Storage>,
    year: &Year,
) -> Result<(u64, usize, Vec<Vec<PersonId>>)> {
    let now = UnixMillis::now();
    let today = nabij_protocol::time::brussels(now);
    let today = Date::new(today.year, today.month, today.day).context("today")?;
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut members: Vec<Vec<PersonId>> = Vec::new();
    let mut taken = 0;
    for g in 0..year.groups {
        let group = hub
            .add_group(&format!("Groep {g}"), Some("Oostende"))
            .await?
            .id;
        hub.add_coach(&format!("Coach {g}"), "059 12 34 56", Some(&group))
            .await?;
        let mut ids = Vec::new();
        for m in 0..year.members {
            let id = hub
                .add_participant(&format!("Senior {g}-{m}"), Some(&group), None)
                .await?
                .id;
            // They agree to count, so the reports compute every figure they would.
            hub.update_participant(
                &id,
                nabij_hub::app::DetailChanges {
                    consent_research: Some(true),
                    ..Default::default()
                },
            )
            .await?;
            ids.push(id);
        }
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                hub.approve_contacts(a, b).await?;
            }
        }
        let first = today.plus_days(-(i64::try_from(year.days).unwrap_or(365) - 5));
        let sessions = hub
            .plan_schedule(
                &group,
                Plan {
                    first,
                    time: TimeOfDay { hour: 0, minute: 0 },
                    minutes: 180,
                    place: "Buurthuis".into(),
                    address: None,
                },
            )
            .await?;
        for session in sessions.iter().filter(|s| s.starts_at < now) {
            let absent = ids[dice.below(ids.len())].clone();
            hub.take_attendance(
                &session.id,
                vec![(absent, nabij_hub::domain::attendance::Mark::Absent)],
            )
            .await?;
            taken += 1;
        }
        members.push(ids);
    }
    // Messages as the receive path keeps them, dated over the year (the receive path
    // itself dates them now).
    let mut count = 0u64;
    let mut tx = Tx::new(storage.clone());
    for day in 0..year.days {
        let date = UnixMillis(now.0 - (year.days - day) * DAY_MS);
        for group in &members {
            for (i, from) in group.iter().enumerate() {
                for n in 0..year.messages_per_day {
                    let mut to = dice.below(group.len());
                    if to == i {
                        to = (to + 1) % group.len();
                    }
                    let uid = format!("m-{count:09}");
                    let message = StoredMessage {
                        uid: uid.clone(),
                        from_device: DeviceId::parse(&format!("d-bench-{:04}", i))?,
                        from_person: from.clone(),
                        sender_id: MessageId::parse(&format!("bench-{count:09}"))?,
                        to: group[to].clone(),
                        received_at: UnixMillis(date.0 + (n as u64 + 1) * 3_600_000),
                        kind: "text".into(),
                        size: 200,
                        deliveries: Vec::new(),
                    };
                    let content = format!(
                        "{{\"v\":1,\"id\":\"{uid}\",\"from\":\"hub\",\"ts\":0,\"kind\":\"text\",\"body\":{{\"to\":\"{}\",\"text\":\"Tot donderdag in het buurthuis!\"}}}}",
                        group[to]
                    );
                    tables::put_new_message(&mut tx, &message, content.into_bytes())?;
                    count += 1;
                    if count.is_multiple_of(2_000) {
                        std::mem::replace(&mut tx, Tx::new(storage.clone()))
                            .commit()
                            .await?;
                    }
                }
            }
        }
    }
    tx.commit().await?;
    Ok((count, taken, members))
}

/// Logs in as the staff account, as a browser does; returns the session cookie.
async fn log_in(router: &axum::Router) -> Result<String> {
    let form = router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty())?)
        .await?;
    let login_cookie = cookie_of(&form)?;
    let page = String::from_utf8(
        axum::body::to_bytes(form.into_body(), 1 << 20)
            .await?
            .to_vec(),
    )?;
    let marker = "name=\"token\" value=\"";
    let start = page.find(marker).context("the log-in form's token")? + marker.len();
    let token = &page[start..start + page[start..].find('"').context("token end")?];
    let answer = router
        .clone()
        .oneshot(
            Request::post("/login")
                .header(header::COOKIE, login_cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "name=staff&password={}&token={token}",
                    PASSWORD.replace(' ', "+")
                )))?,
        )
        .await?;
    if answer.status() != StatusCode::SEE_OTHER {
        bail!("the staff account could not log in: {}", answer.status());
    }
    cookie_of(&answer)
}

fn cookie_of(answer: &axum::response::Response) -> Result<String> {
    let set = answer
        .headers()
        .get(header::SET_COOKIE)
        .context("a cookie")?
        .to_str()?;
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

async fn view(router: &axum::Router, cookie: &str, path: &str, views: usize) -> Result<Timing> {
    let mut timing = Timing::default();
    for _ in 0..views {
        let started = Instant::now();
        let answer = router
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())?,
            )
            .await?;
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), 64 << 20).await?;
        timing.ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if status != StatusCode::OK {
            bail!("{path} answered {status}");
        }
        timing.bytes = body.len();
    }
    timing.ms.sort_by(f64::total_cmp);
    Ok(timing)
}

/// The report's section for `docs/benchmarks.md`.
pub fn markdown(m: &ReportsMeasured) -> String {
    let y = &m.year;
    let row = |what: &str, t: &Timing| {
        format!(
            "| {what} | {:.0} | {:.0} | {} |\n",
            t.p50(),
            t.max(),
            t.bytes / 1024
        )
    };
    let met = m.page.p50() <= PAGE_TARGET_MS;
    format!(
        "\n## Reports on a year of data\n\n\
         A hub over a disk store holding a year: {} groups of {} seniors and their coach, \
         every member a contact of every other, {} messages a day from each senior \
         ({} messages in all), the 10 + 10 meetings planned with attendance taken at the \
         {} that have begun. Written in {:.0} s. Then a staff member's browser asks for each \
         report {} times through the dashboard's router (no TLS, no network):\n\n\
         | report | p50 ms | max ms | KiB |\n|---|---:|---:|---:|\n{}{}{}\n\
         - [{}] the reports page on a year of data: p50 ≤ {PAGE_TARGET_MS:.0} ms: {:.0} ms\n\n\
         Every figure is computed when asked, from small indexes (who wrote to whom per \
         month, attendance per meeting), never from the messages themselves: the cost \
         grows with groups × members × months, not with the messages sent.\n\n\
         On the same year, a participant's data gathered for export took {:.0} ms, and \
         erasing another took {:.0} ms. An erasure reads the big tables before it takes the \
         hub's write lock: small writes made meanwhile, one a millisecond, waited {:.1} ms at \
         most (a tablet's message would have waited as long).\n",
        y.groups,
        y.members,
        y.messages_per_day,
        m.messages,
        m.meetings_taken,
        m.seeded_s,
        y.views,
        row("`/reports` (page, all groups)", &m.page),
        row("`/reports/network.csv`", &m.network_csv),
        row("`/reports/attendance.csv`", &m.attendance_csv),
        if met { "x" } else { " " },
        m.page.p50(),
        m.export_ms,
        m.erase_ms,
        m.erase_blocked_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bench_writes_the_history_and_times_every_report() {
        let year = Year::smoke();
        let m = measure(&year, &|_: &str| {}).await.unwrap();
        let expected = (year.groups * year.members * year.messages_per_day) as u64 * year.days;
        assert_eq!(m.messages, expected);
        assert!(m.meetings_taken >= year.groups, "{}", m.meetings_taken);
        for timing in [&m.page, &m.network_csv, &m.attendance_csv] {
            assert_eq!(timing.ms.len(), year.views);
            assert!(timing.bytes > 0);
        }
        assert!(m.export_ms > 0.0 && m.erase_ms > 0.0, "{m:?}");
        assert!(
            m.erase_blocked_ms > 0.0,
            "writes went on during the erasure: {m:?}"
        );
        let text = markdown(&m);
        assert!(
            text.contains(&format!("({expected} messages in all)")),
            "{text}"
        );
    }
}
