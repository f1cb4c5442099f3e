//! The programme's pages for coaches: groups, a group's 10 + 10 meetings (plan, move,
//! cancel, `.ics`), and taking attendance at a meeting with one tap per person.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{Programme, Signed, SignedForm, TokenForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::app::Move;
use crate::domain::attendance::Mark;
use crate::domain::calendar::Date;
use crate::domain::people::Role as PersonRole;
use crate::domain::schedule::{Plan, SessionState, TimeOfDay, at};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use nabij_protocol::{GroupId, PersonId, SessionId};
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/groups", get(groups).post(add_group))
        .route("/groups/{group}", get(group))
        .route("/groups/{group}/plan", post(plan))
        .route("/groups/{group}/add", post(add_meeting))
        .route("/groups/{group}/schedule.ics", get(ics))
        .route("/sessions/{session}/move", post(move_session))
        .route("/sessions/{session}/cancel", post(cancel_session))
        .route(
            "/sessions/{session}/attendance",
            get(attendance).post(take_attendance),
        )
}

fn not_found(me: &Me, what: &str) -> Response {
    super::not_found(me, what, ("/groups", "Groups"))
}

async fn groups(State(web): State<Web>, Signed(me, _): Signed<Programme>) -> Response {
    groups_page(&web, &me, StatusCode::OK, None, &GroupForm::default())
}

fn groups_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    typed: &GroupForm,
) -> Response {
    let (groups, people) = match (web.hub.groups(), web.hub.people()) {
        (Ok(g), Ok(p)) => (g, p),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let cells: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let members = people
                .iter()
                .filter(|p| p.role == PersonRole::Participant && p.group.as_ref() == Some(&g.id))
                .count();
            let coach = g
                .coach
                .as_ref()
                .and_then(|c| people.iter().find(|p| &p.id == c))
                .map_or("-", |p| p.name.as_str());
            vec![
                format!(
                    "<a href=\"/groups/{}\">{}</a>",
                    esc(g.id.as_str()),
                    esc(&g.name)
                ),
                esc(g.neighbourhood.as_deref().unwrap_or("-")),
                members.to_string(),
                esc(coach),
            ]
        })
        .collect();
    let body = format!(
        "{}<h2>Add a group</h2>\
         <p>Then plan its 10 + 10 meetings, add its participants under People, and add or \
         choose its coach.</p>\
         <form method=\"post\" action=\"/groups\">{}\
         <label for=\"name\">Name</label><input id=\"name\" name=\"name\" required maxlength=\"80\" value=\"{}\">\
         <label for=\"neighbourhood\">Neighbourhood</label><input id=\"neighbourhood\" name=\"neighbourhood\" maxlength=\"80\" value=\"{}\">\
         <p><button>Add the group</button></p></form>",
        table(
            &["Group", "Neighbourhood", "Members", "Coach"],
            &cells,
            "There are no groups yet.",
        ),
        csrf_field(&me.csrf),
        esc(&typed.name),
        esc(&typed.neighbourhood),
    );
    page_response(
        status,
        html::page_str("Groups", Some(&me.viewer()), notice.as_ref(), &body),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GroupForm {
    csrf: String,
    name: String,
    neighbourhood: String,
}

async fn add_group(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<Programme, GroupForm>,
) -> Response {
    let neighbourhood = Some(form.neighbourhood.trim()).filter(|n| !n.is_empty());
    match web.hub.add_group(&form.name, neighbourhood).await {
        Ok(g) => {
            web.audit(&me, &format!("added group {}", g.id)).await;
            see_other(&format!("/groups/{}?done=created", g.id))
        }
        Err(e) => groups_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(format!("Not added: {e}."))),
            &form,
        ),
    }
}

const GROUP_DONE: [(&str, &str); 5] = [
    (
        "created",
        "The group is added. Plan its meetings below; add participants under People.",
    ),
    (
        "added",
        "The meeting is added; the group's tablets show it in their agenda.",
    ),
    (
        "planned",
        "The 10 + 10 meetings are planned; the group's tablets show them.",
    ),
    (
        "moved",
        "The meeting moved; the group's tablets say so at once.",
    ),
    (
        "cancelled",
        "The meeting is cancelled; the group's tablets say so at once.",
    ),
];

async fn group(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(group): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(&me, "such group");
    };
    group_page(
        &web,
        &me,
        &id,
        StatusCode::OK,
        done_notice(&done, &GROUP_DONE),
    )
}

/// The group's page again, with what was wrong with the form sent from it.
fn group_problem(web: &Web, me: &Me, id: &GroupId, text: &str) -> Response {
    group_page(
        web,
        me,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(Notice::Problem(text.to_owned())),
    )
}

fn group_page(
    web: &Web,
    me: &Me,
    id: &GroupId,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let Ok(group) = web.hub.find_group(id.as_str()) else {
        return not_found(me, "such group");
    };
    let (sessions, people) = match (web.hub.schedule(&group.id), web.hub.people()) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let mut body = String::new();
    let members: Vec<&str> = people
        .iter()
        .filter(|p| p.role == PersonRole::Participant && p.group.as_ref() == Some(&group.id))
        .map(|p| p.name.as_str())
        .collect();
    let _ = write!(
        body,
        "<p>{} member{}: {}</p>",
        members.len(),
        if members.len() == 1 { "" } else { "s" },
        esc(&members.join(", "))
    );
    if sessions.is_empty() {
        let _ = write!(
            body,
            "<h2>Plan the 10 + 10 meetings</h2>\
             <p>Ten weekly encounters from the first date, then ten monthly support meetings \
             on the same weekday; Belgian public holidays are skipped.</p>\
             <form method=\"post\" action=\"/groups/{}/plan\">{}\
             <label for=\"first\">First encounter</label><input id=\"first\" name=\"first\" type=\"date\" required>\
             <label for=\"time\">Starts at</label><input id=\"time\" name=\"time\" type=\"time\" value=\"14:00\" required>\
             <label for=\"minutes\">Minutes</label><input id=\"minutes\" name=\"minutes\" type=\"number\" min=\"30\" max=\"480\" value=\"180\" required>\
             <label for=\"place\">Place</label><input id=\"place\" name=\"place\" required maxlength=\"120\">\
             <label for=\"address\">Address (optional)</label><input id=\"address\" name=\"address\" maxlength=\"200\">\
             <p><button>Plan the meetings</button></p></form>",
            esc(group.id.as_str()),
            csrf_field(&me.csrf)
        );
    } else {
        let _ = write!(
            body,
            "<p><a href=\"/groups/{0}/diary\">Diary: prompts and what members shared</a> · \
             <a href=\"/groups/{0}/schedule.ics\">Download for a calendar (.ics)</a></p>",
            esc(group.id.as_str())
        );
        let cells: Vec<Vec<String>> = sessions
            .iter()
            .map(|s| {
                let id = esc(s.id.as_str());
                let cancelled = s.state == SessionState::Cancelled;
                let actions = if cancelled {
                    "cancelled".to_owned()
                } else {
                    format!(
                        "<a href=\"/sessions/{id}/attendance\">Attendance</a>\
                         <details><summary>Move</summary>\
                         <form method=\"post\" action=\"/sessions/{id}/move\">{csrf}\
                         <label for=\"d-{id}\">New date</label><input id=\"d-{id}\" name=\"date\" type=\"date\" required>\
                         <label for=\"t-{id}\">New time</label><input id=\"t-{id}\" name=\"time\" type=\"time\" required>\
                         <label for=\"p-{id}\">New place (empty: the same)</label><input id=\"p-{id}\" name=\"place\" maxlength=\"120\">\
                         <button>Move</button></form></details>\
                         <details><summary>Cancel</summary>\
                         <form method=\"post\" action=\"/sessions/{id}/cancel\">{csrf}\
                         <label><input type=\"checkbox\" name=\"sure\" value=\"yes\" required> Yes, cancel this meeting</label>\
                         <button>Cancel the meeting</button></form></details>",
                        csrf = csrf_field(&me.csrf)
                    )
                };
                vec![
                    esc(&s.what_words()),
                    esc(&s.when_words()),
                    esc(&s.place),
                    actions,
                ]
            })
            .collect();
        body += &table(&["Meeting", "When", "Where", ""], &cells, "");
        let _ = write!(
            body,
            "<details><summary>Add a meeting (when one was cancelled and is made up)</summary>\
             <form method=\"post\" action=\"/groups/{}/add\">{}\
             <label for=\"series\">Which</label><select id=\"series\" name=\"series\">\
             <option value=\"weekly\">a weekly encounter</option><option value=\"monthly\">a monthly support meeting</option></select>\
             <label for=\"a-date\">Date</label><input id=\"a-date\" name=\"date\" type=\"date\" required>\
             <label for=\"a-time\">Starts at</label><input id=\"a-time\" name=\"time\" type=\"time\" value=\"14:00\" required>\
             <label for=\"a-minutes\">Minutes</label><input id=\"a-minutes\" name=\"minutes\" type=\"number\" min=\"30\" max=\"480\" value=\"180\" required>\
             <label for=\"a-place\">Place</label><input id=\"a-place\" name=\"place\" required maxlength=\"120\">\
             <p><button>Add the meeting</button></p></form></details>",
            esc(group.id.as_str()),
            csrf_field(&me.csrf)
        );
    }
    page_response(
        status,
        html::page_str(&group.name, Some(&me.viewer()), notice.as_ref(), &body),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanForm {
    csrf: String,
    first: String,
    time: String,
    minutes: String,
    place: String,
    address: String,
}

async fn plan(
    State(web): State<Web>,
    Path(group): Path<String>,
    SignedForm(me, form, _): SignedForm<Programme, PlanForm>,
) -> Response {
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(&me, "such group");
    };
    let problem = |text: &str| group_problem(&web, &me, &id, text);
    let Some(first) = Date::parse(form.first.trim()) else {
        return problem("Give the first encounter's date.");
    };
    let Some(time) = TimeOfDay::parse(form.time.trim()) else {
        return problem("Give the time the meetings start, like 14:00.");
    };
    let Ok(minutes) = form.minutes.trim().parse::<u32>() else {
        return problem("Give how long a meeting lasts, in minutes (like 180).");
    };
    if !(30..=480).contains(&minutes) {
        return problem("A meeting lasts between 30 and 480 minutes.");
    }
    let place = form.place.trim();
    if place.is_empty() || place.chars().count() > 120 {
        return problem("Give the place (at most 120 characters).");
    }
    let address = Some(form.address.trim())
        .filter(|a| !a.is_empty())
        .map(|a| a.chars().take(200).collect());
    let plan = Plan {
        first,
        time,
        minutes,
        place: place.to_owned(),
        address,
    };
    match web.hub.plan_schedule(&id, plan).await {
        Ok(sessions) => {
            web.audit(
                &me,
                &format!("planned {} meetings for {id}", sessions.len()),
            )
            .await;
            see_other(&format!("/groups/{id}?done=planned"))
        }
        Err(e) => problem(&format!("Not planned: {e}.")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AddForm {
    csrf: String,
    series: String,
    date: String,
    time: String,
    minutes: String,
    place: String,
}

async fn add_meeting(
    State(web): State<Web>,
    Path(group): Path<String>,
    SignedForm(me, form, _): SignedForm<Programme, AddForm>,
) -> Response {
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(&me, "such group");
    };
    let problem = |text: &str| group_problem(&web, &me, &id, text);
    let series = match form.series.as_str() {
        "weekly" => nabij_protocol::SessionSeries::Weekly,
        "monthly" => nabij_protocol::SessionSeries::Monthly,
        _ => return problem("Choose a weekly encounter or a monthly support meeting."),
    };
    let (Some(date), Some(time)) = (
        Date::parse(form.date.trim()),
        TimeOfDay::parse(form.time.trim()),
    ) else {
        return problem("Give the date and the time it starts.");
    };
    let minutes = match form.minutes.trim().parse::<u32>() {
        Ok(m) if (30..=480).contains(&m) => m,
        _ => return problem("A meeting lasts between 30 and 480 minutes."),
    };
    let place = form.place.trim();
    if place.is_empty() || place.chars().count() > 120 {
        return problem("Give the place (at most 120 characters).");
    }
    let extra = crate::app::Extra {
        series,
        starts_at: at(date, time),
        minutes,
        place: (place.to_owned(), None),
    };
    match web.hub.add_session(&id, extra).await {
        Ok(added) => {
            web.audit(
                &me,
                &format!("added meeting {} ({})", added.id, added.when_words()),
            )
            .await;
            see_other(&format!("/groups/{id}?done=added"))
        }
        Err(e) => problem(&format!("Not added: {e}.")),
    }
}

async fn ics(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(group): Path<String>,
) -> Response {
    let Ok(group) = web.hub.find_group(&group) else {
        return not_found(&me, "such group");
    };
    let sessions = match web.hub.schedule(&group.id) {
        Ok(s) => s,
        Err(e) => return failed(&me, &e),
    };
    let text = crate::ics::calendar(&group.name, &sessions, nabij_protocol::UnixMillis::now());
    let disposition = HeaderValue::try_from(format!(
        "attachment; filename=\"{}.ics\"",
        group.id.as_str()
    ))
    .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response()
}

/// The meeting in the address, if there is one.
fn session_of(web: &Web, session: &str) -> Option<crate::domain::schedule::Session> {
    let id = SessionId::parse(session).ok()?;
    web.hub
        .attendance_sheet(&id)
        .ok()
        .map(|sheet| sheet.session)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    csrf: String,
    date: String,
    time: String,
    place: String,
}

async fn move_session(
    State(web): State<Web>,
    Path(session): Path<String>,
    SignedForm(me, form, _): SignedForm<Programme, MoveForm>,
) -> Response {
    let Some(session) = session_of(&web, &session) else {
        return not_found(&me, "such meeting");
    };
    let problem = |text: &str| group_problem(&web, &me, &session.group, text);
    let (Some(date), Some(time)) = (
        Date::parse(form.date.trim()),
        TimeOfDay::parse(form.time.trim()),
    ) else {
        return problem("Give the new date and time.");
    };
    let place = form.place.trim();
    if place.chars().count() > 120 {
        return problem("A place has at most 120 characters.");
    }
    let to = Move {
        starts_at: at(date, time),
        place: (!place.is_empty()).then(|| (place.to_owned(), None)),
    };
    match web.hub.move_session(&session.id, to).await {
        Ok(moved) => {
            web.audit(
                &me,
                &format!("moved {} to {}", moved.id, moved.when_words()),
            )
            .await;
            see_other(&format!("/groups/{}?done=moved", moved.group))
        }
        Err(e) => problem(&format!("Not moved: {e}.")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelForm {
    csrf: String,
    sure: String,
}

async fn cancel_session(
    State(web): State<Web>,
    Path(session): Path<String>,
    SignedForm(me, form, _): SignedForm<Programme, CancelForm>,
) -> Response {
    let Some(session) = session_of(&web, &session) else {
        return not_found(&me, "such meeting");
    };
    let problem = |text: &str| group_problem(&web, &me, &session.group, text);
    if form.sure != "yes" {
        return problem("Tick \"Yes, cancel this meeting\" to cancel it.");
    }
    match web.hub.cancel_session(&session.id).await {
        Ok(cancelled) => {
            web.audit(&me, &format!("cancelled {}", cancelled.id)).await;
            see_other(&format!("/groups/{}?done=cancelled", cancelled.group))
        }
        Err(e) => problem(&format!("Not cancelled: {e}.")),
    }
}

const ATTENDANCE_DONE: [(&str, &str); 1] = [("taken", "Attendance is saved.")];

async fn attendance(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(session): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let Ok(id) = SessionId::parse(&session) else {
        return not_found(&me, "such meeting");
    };
    attendance_page(
        &web,
        &me,
        &id,
        StatusCode::OK,
        done_notice(&done, &ATTENDANCE_DONE),
    )
}

fn attendance_page(
    web: &Web,
    me: &Me,
    id: &SessionId,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let Ok(sheet) = web.hub.attendance_sheet(id) else {
        return not_found(me, "such meeting");
    };
    let s = &sheet.session;
    let mut rows = String::new();
    for row in &sheet.rows {
        let chosen = row.mark.unwrap_or(row.suggested);
        let answered = match row.rsvp {
            Some(nabij_protocol::RsvpAnswer::Coming) => "said: coming",
            Some(nabij_protocol::RsvpAnswer::NotComing) => "said: can't come",
            None => "no answer",
        };
        let person = esc(row.person.as_str());
        let _ = write!(
            rows,
            "<fieldset class=\"marks\"><legend>{} <small>({answered})</small></legend>",
            esc(&row.name)
        );
        for mark in [Mark::Present, Mark::Absent, Mark::Excused] {
            let word = mark.word();
            let _ = write!(
                rows,
                "<label class=\"mark\"><input type=\"radio\" name=\"mark-{person}\" value=\"{word}\"{}> {word}</label>",
                if mark == chosen { " checked" } else { "" }
            );
        }
        rows.push_str("</fieldset>");
    }
    let body = format!(
        "<p>{} · {} · {}</p>\
         <form method=\"post\" action=\"/sessions/{}/attendance\">{}{}\
         <p><button>Save attendance</button></p></form>\
         <p><a href=\"/groups/{}\">Back to the group</a></p>",
        esc(&s.what_words()),
        esc(&s.when_words()),
        esc(&s.place),
        esc(s.id.as_str()),
        csrf_field(&me.csrf),
        if rows.is_empty() {
            "<p class=\"empty\">The group has no members.</p>".to_owned()
        } else {
            rows
        },
        esc(s.group.as_str()),
    );
    page_response(
        status,
        html::page_str("Attendance", Some(&me.viewer()), notice.as_ref(), &body),
    )
}

/// The attendance form: a mark per person, under the person's id, and the token.
#[derive(Deserialize)]
#[serde(transparent)]
struct AttendanceFields(Vec<(String, String)>);

impl TokenForm for AttendanceFields {
    fn token(&self) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn take_attendance(
    State(web): State<Web>,
    Path(session): Path<String>,
    SignedForm(me, AttendanceFields(fields), _): SignedForm<Programme, AttendanceFields>,
) -> Response {
    let Ok(id) = SessionId::parse(&session) else {
        return not_found(&me, "such meeting");
    };
    let problem = |text: &str| {
        attendance_page(
            &web,
            &me,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text.to_owned())),
        )
    };
    let mut marks = Vec::new();
    for (key, value) in &fields {
        let Some(person) = key.strip_prefix("mark-") else {
            continue;
        };
        let (Ok(person), Some(mark)) = (PersonId::parse(person), parse_mark(value)) else {
            return problem("The sheet was not understood: open it again.");
        };
        marks.push((person, mark));
    }
    match web.hub.take_attendance(&id, marks).await {
        Ok(sheet) => {
            let present = sheet
                .rows
                .iter()
                .filter(|r| r.mark == Some(Mark::Present))
                .count();
            web.audit(
                &me,
                &format!(
                    "took attendance of {id}: {present} of {} present",
                    sheet.rows.len()
                ),
            )
            .await;
            see_other(&format!("/sessions/{id}/attendance?done=taken"))
        }
        Err(e) => problem(&format!("Not saved: {e}.")),
    }
}

fn parse_mark(text: &str) -> Option<Mark> {
    [Mark::Present, Mark::Absent, Mark::Excused]
        .into_iter()
        .find(|m| m.word() == text)
}

super::signed::token_forms!(GroupForm, PlanForm, AddForm, MoveForm, CancelForm);
