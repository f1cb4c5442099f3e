//! Tablets for coaches: pairing by the code a tablet shows, each tablet's state and
//! health, switching one off, wiping it, taking it back (the loan closes), and the loan
//! register.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{Devices, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other, when};
use crate::clock;
use crate::domain::devices::DeviceState;
use crate::domain::loans::Condition;
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use nabij_protocol::{DeviceId, PersonId};
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/devices", get(devices))
        .route("/devices/enrol", post(enrol))
        .route("/devices/{device}/revoke", post(revoke))
        .route("/devices/{device}/wipe", post(wipe))
        .route("/devices/{device}/return", post(take_back))
}

const DEVICES_DONE: [(&str, &str); 4] = [
    (
        "enrolled",
        "The tablet is paired. It shows the participant's home screen within a minute.",
    ),
    (
        "revoked",
        "The tablet is switched off: it can no longer connect.",
    ),
    (
        "wiped",
        "The tablet erases everything as soon as it is online, then shows a new pairing code.",
    ),
    ("returned", "The tablet is taken back and its loan closed."),
];

/// `/devices?code=K7PX4C`: a link (or, later, a QR code on the tablet) that opens the
/// page with the code filled in, so the coach only chooses the participant.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DevicesQuery {
    done: String,
    code: String,
}

async fn devices(
    State(web): State<Web>,
    Signed(me, _): Signed<Devices>,
    Query(query): Query<DevicesQuery>,
) -> Response {
    let done = Done { done: query.done };
    // Only the characters a code can have, and no more than a code's length.
    let code: String = query
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(nabij_protocol::PAIRING_CODE_LEN)
        .collect();
    devices_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &DEVICES_DONE),
        &code.to_uppercase(),
    )
}

/// The actions for one tablet, each a small form; the ones that end something ask for
/// a tick first.
fn actions(me: &Me, id: &str, state: DeviceState) -> String {
    if !matches!(state, DeviceState::Active | DeviceState::WipePending) {
        return String::new();
    }
    let csrf = csrf_field(&me.csrf);
    let mut conditions = String::new();
    for c in Condition::ALL {
        let _ = write!(conditions, "<option value=\"{0}\">{0}</option>", c.name());
    }
    let mut out = format!(
        "<details><summary>Take back</summary>\
         <form method=\"post\" action=\"/devices/{id}/return\">{csrf}\
         <label for=\"c-{id}\">Condition</label><select id=\"c-{id}\" name=\"condition\">{conditions}</select>\
         <label for=\"n-{id}\">Note (optional)</label><input id=\"n-{id}\" name=\"note\" maxlength=\"200\">\
         <button>Take back and close the loan</button></form></details>"
    );
    if state == DeviceState::Active {
        let _ = write!(
            out,
            "<details><summary>Wipe</summary>\
             <form method=\"post\" action=\"/devices/{id}/wipe\">{csrf}\
             <label><input type=\"checkbox\" name=\"sure\" value=\"yes\" required> Yes, erase everything on this tablet</label>\
             <button>Wipe the tablet</button></form></details>"
        );
    }
    let _ = write!(
        out,
        "<details><summary>Switch off</summary>\
         <form method=\"post\" action=\"/devices/{id}/revoke\">{csrf}\
         <label><input type=\"checkbox\" name=\"sure\" value=\"yes\" required> Yes, this tablet may no longer connect (lost or stolen)</label>\
         <button>Switch off</button></form></details>"
    );
    out
}

/// The tablets page again, with what was wrong with the form sent from it (and the
/// code typed, if any, still in its field).
fn devices_problem(web: &Web, me: &Me, text: String, code: &str) -> Response {
    devices_page(
        web,
        me,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(Notice::Problem(text)),
        code,
    )
}

fn devices_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    code: &str,
) -> Response {
    let (rows, people, loans) = match (web.hub.devices(false), web.hub.people(), web.hub.loans()) {
        (Ok(rows), Ok(people), Ok(loans)) => (rows, people, loans),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(me, &e),
    };
    let now = clock::now();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let d = &row.device;
            let seen = if d.online {
                "online".to_owned()
            } else {
                d.last_seen.map_or_else(
                    || "never".to_owned(),
                    |t| format!("last seen {}", clock::ago(now, t)),
                )
            };
            let silent = if row.silent {
                " — silent too long"
            } else {
                ""
            };
            let charging = if d.charging == Some(true) {
                ", charging"
            } else {
                ""
            };
            vec![
                esc(&row.participant_name),
                format!("<code>{}</code>", esc(d.id.as_str())),
                esc(d.state.word()),
                format!("{}{silent}", esc(&seen)),
                d.battery_pct
                    .map_or_else(|| "-".to_owned(), |b| format!("{b}%{charging}")),
                esc(&format!("{} {}", d.profile, d.app_version)),
                actions(me, &esc(d.id.as_str()), d.state),
            ]
        })
        .collect();
    let name_of =
        |id: &PersonId| crate::domain::people::shown_name(id, people.iter().find(|p| &p.id == id));
    let loan_cells: Vec<Vec<String>> = loans
        .iter()
        .rev()
        .map(|l| {
            vec![
                l.number.to_string(),
                esc(&name_of(&l.participant)),
                format!("<code>{}</code>", esc(&l.tablet)),
                when(me.lang(), l.lent_at),
                l.returned_at
                    .map_or_else(|| "out".to_owned(), |t| when(me.lang(), t)),
                esc(&format!(
                    "{}{}",
                    l.condition.map_or("", |c| c.name()),
                    l.note
                        .as_deref()
                        .map(|n| format!(" — {n}"))
                        .unwrap_or_default()
                )),
            ]
        })
        .collect();
    let mut options = String::new();
    for p in people.iter().filter(|p| p.role == PersonRole::Participant) {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(p.id.as_str()),
            esc(&p.name)
        );
    }
    let body = format!(
        "<h2>Pair a tablet</h2>\
         <form method=\"post\" action=\"/devices/enrol\">{}\
         <label for=\"code\">The code on the tablet's screen</label>\
         <input id=\"code\" name=\"code\" required maxlength=\"16\" autocomplete=\"off\" autocapitalize=\"characters\" value=\"{}\">\
         <label for=\"participant\">For</label>\
         <select id=\"participant\" name=\"participant\" required>{options}</select>\
         <p><button>Pair</button></p></form>\
         <h2>Tablets</h2>{}<h2>Loans</h2>{}",
        csrf_field(&me.csrf),
        esc(code),
        table(
            &[
                "Participant",
                "Tablet",
                "State",
                "Seen",
                "Battery",
                "Model and version",
                ""
            ],
            &cells,
            "No tablet is paired yet.",
        ),
        table(
            &["Loan", "Participant", "Tablet", "Lent", "Back", "Condition"],
            &loan_cells,
            "No tablet has been lent yet.",
        ),
    );
    page_response(
        status,
        html::page_str("Tablets", Some(&me.viewer()), notice.as_ref(), &body),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Enrol {
    csrf: String,
    code: String,
    participant: String,
}

async fn enrol(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<Devices, Enrol>,
) -> Response {
    let code: String = form.code.chars().take(16).collect();
    let problem = |text: String| devices_problem(&web, &me, text, &code);
    let Ok(participant) = PersonId::parse(form.participant.trim()) else {
        return problem("Choose the participant the tablet is for.".into());
    };
    match web.hub.enrol(&code, &participant, None).await {
        Ok(summary) => {
            web.audit(
                &me,
                &format!(
                    "enrolled tablet {} for {}",
                    summary.device, summary.participant.id
                ),
            )
            .await;
            see_other("/devices?done=enrolled")
        }
        Err(e) => problem(format!(
            "Not paired: {e}. Check the code on the tablet's screen and try again."
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Sure {
    csrf: String,
    sure: String,
}

/// The tablet in the address, or the page that says there is no such tablet.
fn tablet_named(web: &Web, me: &Me, device: &str) -> Result<DeviceId, Box<Response>> {
    match DeviceId::parse(device) {
        Ok(id) if web.hub.device(&id).is_ok() => Ok(id),
        _ => {
            let page = devices_page(
                web,
                me,
                StatusCode::NOT_FOUND,
                Some(Notice::Problem(format!(
                    "There is no tablet {device:?}: look at the list again."
                ))),
                "",
            );
            Err(Box::new(page))
        }
    }
}

/// The two ways to end a tablet's use from the dashboard, each asked for with a tick.
#[derive(Clone, Copy)]
enum Ending {
    /// Switched off: it may no longer connect (lost or stolen).
    Revoke,
    /// Wiped: it erases everything and pairs again.
    Wipe,
}

async fn revoke(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, Sure>,
) -> Response {
    end_tablet(web, me, device, form, Ending::Revoke).await
}

async fn wipe(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, Sure>,
) -> Response {
    end_tablet(web, me, device, form, Ending::Wipe).await
}

async fn end_tablet(web: Web, me: Me, device: String, form: Sure, how: Ending) -> Response {
    let id = match tablet_named(&web, &me, &device) {
        Ok(id) => id,
        Err(answer) => return *answer,
    };
    let (verb, code) = match how {
        Ending::Revoke => ("switch the tablet off", "revoked"),
        Ending::Wipe => ("wipe the tablet", "wiped"),
    };
    let problem = |text: String| devices_problem(&web, &me, text, "");
    if form.sure != "yes" {
        return problem(format!("Tick the box to {verb}."));
    }
    let done = match how {
        Ending::Revoke => web.hub.revoke(&id).await,
        Ending::Wipe => web.hub.wipe(&id).await,
    };
    match done {
        Ok(_) => {
            let what = match how {
                Ending::Revoke => "switched off",
                Ending::Wipe => "wiped",
            };
            web.audit(&me, &format!("{what} tablet {id}")).await;
            see_other(&format!("/devices?done={code}"))
        }
        Err(e) => problem(format!("Could not {verb}: {e}.")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TakeBack {
    csrf: String,
    condition: String,
    note: String,
}

async fn take_back(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, TakeBack>,
) -> Response {
    let id = match tablet_named(&web, &me, &device) {
        Ok(id) => id,
        Err(answer) => return *answer,
    };
    let problem = |text: String| devices_problem(&web, &me, text, "");
    let Some(condition) = Condition::parse(&form.condition) else {
        return problem("Choose the tablet's condition: good, damaged, broken or lost.".into());
    };
    let note = Some(form.note.trim())
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect::<String>());
    match web.hub.return_device(&id, condition, note).await {
        Ok(_) => {
            web.audit(
                &me,
                &format!("took back tablet {id} ({})", condition.name()),
            )
            .await;
            see_other("/devices?done=returned")
        }
        Err(e) => problem(format!("Not taken back: {e}.")),
    }
}

super::signed::token_forms!(Enrol, Sure, TakeBack);
