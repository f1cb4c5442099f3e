//! Figures for staff and coaches: attendance per group and per meeting, and each group's
//! network over the last months (different people written to, ties formed, the graph),
//! on a page and as CSV for Excel. Staff never see a name: members are numbered.

use super::charts;
use super::csv::Csv;
use super::html::{self, esc, table_str as table};
use super::signed::{Reports, Signed};
use super::{Me, Web, failed, page_response};
use crate::app::Rates;
use crate::domain::accounts::Role;
use crate::domain::people::Group;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/reports", get(reports))
        .route("/reports/attendance.csv", get(attendance_csv))
        .route("/reports/network.csv", get(network_csv))
}

/// Every group with its attendance, or the page to show instead.
fn all_rates(web: &Web, me: &Me) -> Result<Vec<(Group, Rates)>, Box<Response>> {
    let groups = web.hub.groups().map_err(|e| Box::new(failed(me, &e)))?;
    let mut out = Vec::new();
    for group in groups {
        let rates = web
            .hub
            .attendance_rates(&group.id)
            .map_err(|e| Box::new(failed(me, &e)))?;
        out.push((group, rates));
    }
    Ok(out)
}

fn pct(t: &crate::domain::attendance::Tally) -> String {
    t.rate_pct()
        .map_or_else(|| "-".to_owned(), |p| format!("{p}%"))
}

async fn reports(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let all = match all_rates(&web, &me) {
        Ok(all) => all,
        Err(answer) => return *answer,
    };
    let groups: Vec<Vec<String>> = all
        .iter()
        .map(|(group, rates)| {
            let t = rates.total;
            vec![
                esc(&group.name),
                esc(group.neighbourhood.as_deref().unwrap_or("-")),
                rates.meetings.to_string(),
                rates.rows.len().to_string(),
                pct(&t),
                format!("{} / {} / {}", t.present, t.excused, t.absent),
            ]
        })
        .collect();
    let mut sessions = Vec::new();
    for (group, rates) in &all {
        for (session, t) in &rates.per_session {
            sessions.push(vec![
                esc(&group.name),
                esc(&session.what_words()),
                esc(&session.when_words()),
                pct(t),
                format!("{} / {} / {}", t.present, t.excused, t.absent),
            ]);
        }
    }
    let mut network = String::new();
    for (group, _) in &all {
        match web.hub.network_growth(&group.id, NETWORK_MONTHS) {
            Ok(report) => network += &network_section(&me, &report),
            Err(e) => return failed(&me, &e),
        }
        match web.hub.survey_report(&group.id) {
            Ok(report) => network += &outcome_section(&report),
            Err(e) => return failed(&me, &e),
        }
    }
    let body = format!(
        "<p><a href=\"/reports/attendance.csv\">Download attendance per meeting (CSV, for Excel)</a> · \
         <a href=\"/reports/network.csv\">Download the network per member and month (CSV, numbered)</a></p>\
         <h2>Attendance per group</h2>{}<h2>Attendance per meeting</h2>{}{network}",
        table(
            &[
                "Group",
                "Neighbourhood",
                "Meetings taken",
                "Members",
                "Attendance",
                "Present / excused / absent"
            ],
            &groups,
            "There are no groups yet.",
        ),
        table(
            &[
                "Group",
                "Meeting",
                "When",
                "Attendance",
                "Present / excused / absent"
            ],
            &sessions,
            "No attendance taken yet.",
        ),
    );
    page_response(
        StatusCode::OK,
        html::page_str("Reports", Some(&me.viewer()), None, &body),
    )
}

/// Months of network figures shown and exported.
const NETWORK_MONTHS: usize = 6;

/// What a member is called on the reports: their name for a coach, a number for staff.
fn member_label(me: &Me, index: usize, name: &str) -> String {
    if me.account.role == Role::Coach {
        name.to_owned()
    } else {
        format!("{}", index + 1)
    }
}

fn network_section(me: &Me, report: &crate::app::NetworkReport) -> String {
    let g = &report.growth;
    let labels: Vec<String> = report
        .members
        .iter()
        .enumerate()
        .map(|(i, (_, name))| member_label(me, i, name))
        .collect();
    let mut head: Vec<String> = vec!["Member".into()];
    head.extend(g.months.iter().cloned());
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = labels
        .iter()
        .zip(&g.contacts)
        .map(|(label, counts)| {
            let mut row = vec![esc(label)];
            row.extend(counts.iter().map(u32::to_string));
            row
        })
        .collect();
    format!(
        "<h2 id=\"network-{id}\">Network of {name}</h2>\
         <p>Different people each member wrote to per month (the group's mean), ties formed \
         between members, and the ties now: a solid line where the two wrote to each other, \
         dashed where they could but did not yet.</p>\
         <div class=\"charts\"><figure>{}<figcaption>Different people written to, per member (mean)</figcaption></figure>\
         <figure>{}<figcaption>New ties between members</figcaption></figure>\
         <figure>{}<figcaption>Ties between members now</figcaption></figure>\
         <figure>{}<figcaption>People named in the diary (mean, members who agreed to count)</figcaption></figure></div>{}",
        charts::line(
            &format!(
                "{}: different people written to per member, per month",
                report.group
            ),
            &g.months,
            &g.mean
        ),
        charts::bars(
            &format!("{}: new ties between members, per month", report.group),
            &g.months,
            &g.new_ties
        ),
        charts::network(
            &format!("{}: ties between members", report.group),
            &labels,
            &report.ties
        ),
        charts::line(
            &format!("{}: people named in the diary, per month", report.group),
            &g.months,
            &g.diary_named
        ),
        table(&head_refs, &rows, "The group has no members."),
        name = esc(&report.group),
        id = esc(report.group_id.as_str()),
    )
}

/// The questionnaires' outcomes of a group, per instrument over the rounds: the mean, how
/// many answered, how many at risk, the change since the start. Aggregates only.
fn outcome_section(report: &crate::app::SurveyReport) -> String {
    use crate::domain::surveys::{Instrument, Round};
    let mut out = String::new();
    for instrument in Instrument::ALL {
        let rounds: Vec<&crate::app::SurveySummary> = Round::ALL
            .iter()
            .filter_map(|r| {
                report
                    .summaries
                    .iter()
                    .find(|s| s.instrument == instrument && s.round == *r)
            })
            .collect();
        if rounds.is_empty() {
            continue;
        }
        let labels: Vec<String> = rounds.iter().map(|s| s.round.name().to_owned()).collect();
        let means: Vec<f64> = rounds.iter().map(|s| s.mean.unwrap_or(0.0)).collect();
        let rows: Vec<Vec<String>> = rounds
            .iter()
            .map(|s| {
                vec![
                    s.round.name().to_owned(),
                    format!("{} of {}", s.answered, s.asked),
                    s.mean
                        .map_or_else(|| "-".to_owned(), |m| format!("{m:.1} of {}", s.max)),
                    s.at_risk.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                    s.change_since_start.map_or_else(
                        || "-".to_owned(),
                        |(d, n)| format!("{d:+.1} ({n} answered both)"),
                    ),
                ]
            })
            .collect();
        out += &format!(
            "<h3>{}: {}</h3><div class=\"charts\"><figure>{}<figcaption>Mean score per round</figcaption></figure></div>{}",
            esc(&report.group),
            esc(instrument.about()),
            charts::line(
                &format!("{}: {} mean per round", report.group, instrument.name()),
                &labels,
                &means
            ),
            table(
                &[
                    "Round",
                    "Answered",
                    "Mean",
                    "At risk",
                    "Change since the start"
                ],
                &rows,
                "",
            ),
        );
    }
    if out.is_empty() {
        return String::new();
    }
    format!("<h2>Outcomes of {}</h2>{out}", esc(&report.group))
}

async fn network_csv(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let groups = match web.hub.groups() {
        Ok(groups) => groups,
        Err(e) => return failed(&me, &e),
    };
    let mut csv = Csv::new(&["group", "member", "month", "different_people_written_to"]);
    for group in &groups {
        let report = match web.hub.network_growth(&group.id, NETWORK_MONTHS) {
            Ok(report) => report,
            Err(e) => return failed(&me, &e),
        };
        for (i, counts) in report.growth.contacts.iter().enumerate() {
            for (month, count) in report.growth.months.iter().zip(counts) {
                // Numbered for everyone: the file leaves the hub.
                csv.row(&[
                    group.name.clone(),
                    (i + 1).to_string(),
                    month.clone(),
                    count.to_string(),
                ]);
            }
        }
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"nabij-network.csv\""),
            ),
        ],
        csv.finish(),
    )
        .into_response()
}

async fn attendance_csv(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let all = match all_rates(&web, &me) {
        Ok(all) => all,
        Err(answer) => return *answer,
    };
    let mut csv = Csv::new(&[
        "group",
        "neighbourhood",
        "meeting",
        "date",
        "present",
        "excused",
        "absent",
        "attendance_pct",
    ]);
    for (group, rates) in &all {
        for (session, t) in &rates.per_session {
            let start = nabij_protocol::time::brussels(session.starts_at);
            csv.row(&[
                group.name.clone(),
                group.neighbourhood.clone().unwrap_or_default(),
                session.what_words(),
                format!("{:04}-{:02}-{:02}", start.year, start.month, start.day),
                t.present.to_string(),
                t.excused.to_string(),
                t.absent.to_string(),
                t.rate_pct().map(|p| p.to_string()).unwrap_or_default(),
            ]);
        }
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"nabij-attendance.csv\""),
            ),
        ],
        csv.finish(),
    )
        .into_response()
}
