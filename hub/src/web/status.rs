//! The hub's health for admins: `/admin/status`, a page of every part with its state and
//! what to do, and `/metrics`, the same as OpenMetrics text for Prometheus. Both call
//! `Hub::health`, as `nabij-hub status` does.
//!
//! `/metrics` is behind log-in like every page: an admin's session, or, since Prometheus
//! keeps no session, an admin account's name and password as HTTP Basic credentials
//! (checked like a log-in, with the same pause after wrong passwords; over HTTPS only,
//! as the whole dashboard is).

use super::Web;
use super::html;
use super::lang::{self, t};
use super::login::Source;
use super::signed::{Signed, Status};
use crate::app::{AppError, Health};
use crate::domain::accounts::Area;
use crate::domain::health::Level;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use html::Notice;
use maud::{Markup, html};
use nabij_protocol::{Language, UnixMillis};
use std::fmt::Write as _;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/admin/status", get(status_page))
        .route("/metrics", get(metrics))
}

const DAY_MS: u64 = 86_400_000;

/// The level in words, with a class that colours it (style.css, "status").
fn level(lang: Language, level: Level) -> Markup {
    let (class, word) = match level {
        Level::Good => ("level-good", t!(lang, "Good")),
        Level::Warning => ("level-warning", t!(lang, "Worth a look")),
        Level::Problem => ("level-problem", t!(lang, "Problem")),
    };
    html! { strong class=(class) { (word) } }
}

/// Bytes in gigabytes or megabytes, written as the language writes numbers.
fn size(lang: Language, bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e9 {
        t!(lang, "{} GB", lang::number(lang, bytes / 1e9, 1))
    } else {
        t!(lang, "{} MB", lang::number(lang, bytes / 1e6, 1))
    }
}

fn sentences(parts: &[String]) -> String {
    parts.join(" ")
}

/// One row per part: its name, its state, what was found and what to do.
fn rows(lang: Language, h: &Health) -> Vec<Vec<Markup>> {
    let row = |part: &str, state: Level, details: String| {
        vec![html! { (part) }, level(lang, state), html! { (details) }]
    };
    let broker = match h.broker_answer_us {
        Some(us) => t!(
            lang,
            "Passes messages on: the hub's own came back in {} ms.",
            lang::number(lang, us as f64 / 1000.0, 1)
        ),
        None => t!(
            lang,
            "Passes no messages on: tablets cannot reach the hub. The hub's log says why."
        )
        .to_owned(),
    };
    let store = match &h.store_problem {
        None => t!(lang, "Takes changes.").to_owned(),
        Some(why) => t!(
            lang,
            "Takes no changes ({}). Restart the hub: it then applies what it has.",
            why
        ),
    };
    let disk = match &h.disk {
        Ok(d) => {
            let share = d.free_bytes.saturating_mul(100) / d.total_bytes.max(1);
            let mut parts = vec![t!(
                lang,
                "{} free of {} ({} %) under {}.",
                size(lang, d.free_bytes),
                size(lang, d.total_bytes),
                share,
                h.data_folder.display()
            )];
            if h.disk_level() != Level::Good {
                parts.push(t!(lang, "Make room, or the database stops taking changes.").to_owned());
            }
            sentences(&parts)
        }
        Err(why) => t!(lang, "Cannot be measured: {}.", why),
    };
    let certificate = match &h.certificate_ends {
        Ok(ends) if ends.0 <= h.at.0 => t!(
            lang,
            "Ended on {}: tablets refuse the hub. Restart the hub to make a new one.",
            lang::date(lang, *ends)
        ),
        Ok(ends) => {
            let mut parts = vec![t!(
                lang,
                "Ends on {} (in {} days).",
                lang::date(lang, *ends),
                (ends.0 - h.at.0) / DAY_MS
            )];
            if h.certificate_level() != Level::Good {
                parts.push(t!(
                    lang,
                    "The hub renews it {} days before its end, so renewing failed: see the hub's log.",
                    h.renew_within_days
                ));
            }
            sentences(&parts)
        }
        Err(why) => t!(lang, "Cannot be read: {}.", why),
    };
    let backup = match &h.last_backup {
        Ok(Some(b)) => {
            let mut parts = vec![t!(
                lang,
                "{}, made {} ({}), in {}.",
                &b.name,
                lang::ago(lang, h.at, b.made_at),
                size(lang, b.bytes),
                h.backup_folder.display()
            )];
            if h.backup_level() != Level::Good {
                parts.push(
                    t!(
                        lang,
                        "Last night's backup is missing: systemctl status nabij-hub-backup.timer says why."
                    )
                    .to_owned(),
                );
            }
            sentences(&parts)
        }
        Ok(None) => t!(
            lang,
            "No backup yet in {}. Switch on the nightly backup: systemctl enable --now nabij-hub-backup.timer",
            h.backup_folder.display()
        ),
        Err(why) => t!(lang, "The backup folder cannot be read: {}.", why),
    };
    let tablets = match &h.tablets {
        None => t!(lang, "Cannot be counted: the database cannot be read.").to_owned(),
        Some(f) => {
            let mut parts = vec![t!(
                lang,
                "{} lent: {} online, {} silent for {} days or more, {} with an older app.",
                f.lent,
                f.online,
                f.silent,
                h.silent_after_days,
                f.out_of_date
            )];
            if let Some(newest) = &f.newest {
                let versions: Vec<String> = f
                    .versions
                    .iter()
                    .map(|(v, n)| format!("{v} × {n}"))
                    .collect();
                parts.push(t!(
                    lang,
                    "Newest app: {} (versions: {}).",
                    newest,
                    versions.join(", ")
                ));
            }
            if f.silent > 0 {
                parts.push(t!(lang, "A coach sees which on the Tablets page.").to_owned());
            }
            sentences(&parts)
        }
    };
    vec![
        row(t!(lang, "Broker (Mosquitto)"), h.broker_level(), broker),
        row(t!(lang, "Database"), h.store_level(), store),
        row(t!(lang, "Disk"), h.disk_level(), disk),
        row(t!(lang, "Certificate"), h.certificate_level(), certificate),
        row(t!(lang, "Backup"), h.backup_level(), backup),
        row(t!(lang, "Tablets"), h.tablets_level(), tablets),
    ]
}

async fn status_page(State(web): State<Web>, Signed(me, _): Signed<Status>) -> Response {
    let lang = me.lang();
    let health = web.hub.health().await;
    let (notice, body) = page(lang, &health);
    me.page(StatusCode::OK, t!(lang, "Status"), Some(&notice), body)
}

/// The page's summary above it and its body.
pub(crate) fn page(lang: Language, health: &Health) -> (Notice, Markup) {
    let notice = match health.level() {
        Level::Good => Notice::Done(t!(lang, "All is well.").to_owned()),
        Level::Warning => Notice::Done(
            t!(
                lang,
                "The hub works; the parts marked \"Worth a look\" need attention soon."
            )
            .to_owned(),
        ),
        Level::Problem => Notice::Problem(
            t!(
                lang,
                "Something does not work: see the parts marked \"Problem\"."
            )
            .to_owned(),
        ),
    };
    let head = [
        t!(lang, "Part"),
        t!(lang, "State"),
        t!(lang, "What was found"),
    ];
    let body = html! {
        p { (t!(lang, "Looked at {}.", super::when(lang, health.at))) }
        (html::table(&head, rows(lang, health), ""))
        p.hint {
            (t!(lang, "The same figures, for Prometheus, are at /metrics (log in with an admin account's name and password)."))
        }
    };
    (notice, body)
}

/// The content type of OpenMetrics text.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

async fn metrics(State(web): State<Web>, headers: HeaderMap, Source(source): Source) -> Response {
    let allowed = match web.me(&headers) {
        Some(me) => me.account.role.may(Area::Status),
        None => match basic_credentials(&headers) {
            None => return ask_for_credentials(),
            Some((name, password)) => match web.hub.log_in(&name, &password, source).await {
                Ok(account) => account.role.may(Area::Status),
                Err(e @ (AppError::WrongLogIn | AppError::Locked)) => {
                    tracing::warn!(name = %name.chars().take(64).collect::<String>(), %source, error = %e, "/metrics log-in refused");
                    return if matches!(e, AppError::Locked) {
                        plain(
                            StatusCode::TOO_MANY_REQUESTS,
                            "locked for a while after wrong passwords\n",
                        )
                    } else {
                        ask_for_credentials()
                    };
                }
                Err(e) => {
                    tracing::error!(error = %e, "/metrics log-in failed");
                    return plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the log-in failed; see the hub's log\n",
                    );
                }
            },
        },
    };
    if !allowed {
        return plain(
            StatusCode::FORBIDDEN,
            "only an admin account may read /metrics\n",
        );
    }
    let health = web.hub.health().await;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OPENMETRICS)],
        openmetrics(&health),
    )
        .into_response()
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn ask_for_credentials() -> Response {
    let mut response = plain(
        StatusCode::UNAUTHORIZED,
        "log in with an admin account's name and password (HTTP Basic)\n",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Nabij hub\", charset=\"UTF-8\""),
    );
    response
}

/// The name and password of an `Authorization: Basic …` header, if it is a well-formed
/// one (RFC 7617: base64 of `name:password`, UTF-8).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = nabij_protocol::base64::decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}

/// A label value as OpenMetrics writes it: `\`, `"` and line breaks escaped. Versions come
/// from tablets, so they are also cut short.
fn label(value: &str) -> String {
    value.chars().take(64).fold(String::new(), |mut out, c| {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
        out
    })
}

fn seconds(t: UnixMillis) -> String {
    format!("{}.{:03}", t.0 / 1000, t.0 % 1000)
}

/// The health as OpenMetrics text (version 1.0.0): a gauge family per figure, units in
/// the names, `# EOF` at the end. A figure the hub could not read is left out, not 0.
pub(crate) fn openmetrics(h: &Health) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, unit: Option<&str>, help: &str, samples: &[(String, String)]| {
        if samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(unit) = unit {
            let _ = writeln!(out, "# UNIT {name} {unit}");
        }
        let _ = writeln!(out, "# HELP {name} {help}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |value: String| vec![(String::new(), value)];
    let flag = |yes: bool| one(if yes { "1" } else { "0" }.to_owned());
    gauge(
        "nabij_broker_up",
        None,
        "Whether the broker passed the hub's own message back (1) or not (0).",
        &flag(h.broker_answer_us.is_some()),
    );
    if let Some(us) = h.broker_answer_us {
        gauge(
            "nabij_broker_round_trip_seconds",
            Some("seconds"),
            "How long the hub's own message took through the broker.",
            &one(format!("{}.{:06}", us / 1_000_000, us % 1_000_000)),
        );
    }
    gauge(
        "nabij_store_healthy",
        None,
        "Whether the database takes changes (1) or not (0).",
        &flag(h.store_problem.is_none()),
    );
    if let Ok(disk) = &h.disk {
        gauge(
            "nabij_data_disk_free_bytes",
            Some("bytes"),
            "Free space on the disk of the hub's data folder.",
            &one(disk.free_bytes.to_string()),
        );
        gauge(
            "nabij_data_disk_size_bytes",
            Some("bytes"),
            "Size of the disk of the hub's data folder.",
            &one(disk.total_bytes.to_string()),
        );
    }
    if let Ok(ends) = h.certificate_ends {
        gauge(
            "nabij_certificate_expiry_timestamp_seconds",
            Some("seconds"),
            "When the server certificate of the broker and the dashboard ends (Unix time).",
            &one(seconds(ends)),
        );
    }
    if let Ok(Some(backup)) = &h.last_backup {
        gauge(
            "nabij_backup_last_timestamp_seconds",
            Some("seconds"),
            "When the newest backup was written (Unix time).",
            &one(seconds(backup.made_at)),
        );
        gauge(
            "nabij_backup_last_age_seconds",
            Some("seconds"),
            "How old the newest backup is.",
            &one((h.at.0.saturating_sub(backup.made_at.0) / 1000).to_string()),
        );
        gauge(
            "nabij_backup_last_size_bytes",
            Some("bytes"),
            "Size of the newest backup.",
            &one(backup.bytes.to_string()),
        );
    }
    if let Some(f) = &h.tablets {
        for (name, help, n) in [
            (
                "nabij_tablets_lent",
                "Tablets lent (their credential works).",
                f.lent,
            ),
            (
                "nabij_tablets_online",
                "Lent tablets connected now.",
                f.online,
            ),
            (
                "nabij_tablets_silent",
                "Lent tablets not heard from for health.silent_after_days.",
                f.silent,
            ),
            (
                "nabij_tablets_out_of_date",
                "Lent tablets running an older app than the newest any tablet runs.",
                f.out_of_date,
            ),
        ] {
            gauge(name, None, help, &one(n.to_string()));
        }
        let versions: Vec<(String, String)> = f
            .versions
            .iter()
            .map(|(v, n)| (format!("{{version=\"{}\"}}", label(v)), n.to_string()))
            .collect();
        gauge(
            "nabij_tablets_by_app_version",
            None,
            "Lent tablets by the app version they last reported.",
            &versions,
        );
    }
    let levels: Vec<(String, String)> = [
        ("broker", h.broker_level()),
        ("store", h.store_level()),
        ("disk", h.disk_level()),
        ("certificate", h.certificate_level()),
        ("backup", h.backup_level()),
        ("tablets", h.tablets_level()),
    ]
    .into_iter()
    .map(|(part, level)| {
        let value = match level {
            Level::Good => "0",
            Level::Warning => "1",
            Level::Problem => "2",
        };
        (format!("{{part=\"{part}\"}}"), value.to_owned())
    })
    .collect();
    gauge(
        "nabij_health_level",
        None,
        "Each part's state as nabij-hub status judges it: 0 good, 1 worth a look, 2 a problem.",
        &levels,
    );
    out.push_str("# EOF\n");
    out
}
