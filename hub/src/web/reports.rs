//! Figures for staff and coaches: attendance per group and per meeting, on a page and as
//! CSV for Excel. Aggregates only: no participant's name appears here.

use super::csv::Csv;
use super::html::{self, esc, table};
use super::{Me, Web, failed, page_response};
use crate::app::Rates;
use crate::domain::accounts::Area;
use crate::domain::people::Group;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/reports", get(reports))
        .route("/reports/attendance.csv", get(attendance_csv))
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

async fn reports(State(web): State<Web>, headers: HeaderMap) -> Response {
    let me = match web.require(&headers, Area::Reports) {
        Ok(me) => me,
        Err(answer) => return *answer,
    };
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
    let body = format!(
        "<p><a href=\"/reports/attendance.csv\">Download attendance per meeting (CSV, for Excel)</a></p>\
         <h2>Attendance per group</h2>{}<h2>Attendance per meeting</h2>{}",
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
        html::page("Reports", Some(&me.viewer()), None, &body),
    )
}

async fn attendance_csv(State(web): State<Web>, headers: HeaderMap) -> Response {
    let me = match web.require(&headers, Area::Reports) {
        Ok(me) => me,
        Err(answer) => return *answer,
    };
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
