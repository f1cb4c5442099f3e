//! The programme's pages for coaches: groups (their own first), a group's 10 + 10
//! meetings (plan, move, cancel, which have attendance taken, `.ics` in the coach's
//! language), and taking attendance at a meeting with one tap per person.

use super::html::{self, Notice};
use super::lang::t;
use super::meetings::{
    attendance_form, is_mine, mark_word, meeting_name, meeting_when, meeting_where, own_first,
    parse_mark,
};
use super::signed::{Programme, Signed, SignedForm, TokenForm};
use super::{Done, Me, Web, done_notice, failed, problems, see_other};
use crate::app::Move;
use crate::domain::attendance::{Mark, Tally};
use crate::domain::calendar::Date;
use crate::domain::people::Role as PersonRole;
use crate::domain::schedule::{Plan, SessionState, TimeOfDay, at};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use nabij_protocol::{GroupId, PersonId, SessionId};
use serde::Deserialize;

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

fn not_found(me: &Me, sentence: &str) -> Response {
    let lang = me.lang();
    super::not_found(me, sentence, ("/groups", t!(lang, "Groups")))
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
    let lang = me.lang();
    let (groups, people) = match (web.hub.groups(), web.hub.people()) {
        (Ok(g), Ok(p)) => (g, p),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let rows: Vec<Vec<Markup>> = own_first(me, groups)
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
                html! {
                    a href={ "/groups/" (g.id.as_str()) } { (g.name) }
                    @if is_mine(me, g) { " " small.mine { (t!(lang, "(your group)")) } }
                },
                html! { (g.neighbourhood.as_deref().unwrap_or("-")) },
                html! { (members) },
                html! { (coach) },
            ]
        })
        .collect();
    let body = html! {
        (html::table(
            &[t!(lang, "Group"), t!(lang, "Neighbourhood"), t!(lang, "Members"), t!(lang, "Coach")],
            rows,
            t!(lang, "There are no groups yet."),
        ))
        h2 { (t!(lang, "Add a group")) }
        p { (t!(lang, "Then plan its 10 + 10 meetings, add its participants under People, and add or choose its coach.")) }
        form method="post" action="/groups" {
            (html::csrf(&me.csrf))
            label for="name" { (t!(lang, "Name")) }
            input id="name" name="name" required maxlength="80" value=(typed.name);
            label for="neighbourhood" { (t!(lang, "Neighbourhood")) }
            input id="neighbourhood" name="neighbourhood" maxlength="80" value=(typed.neighbourhood);
            p { button { (t!(lang, "Add the group")) } }
        }
    };
    me.page(status, t!(lang, "Groups"), notice.as_ref(), body)
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
            Some(Notice::Problem(problems::explain(me.lang(), &e))),
            &form,
        ),
    }
}

async fn group(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(group): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(
            &me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
        );
    };
    let notice = done_notice(
        &done,
        &[
            (
                "created",
                t!(
                    lang,
                    "The group is added. Plan its meetings below; add participants under People."
                ),
            ),
            (
                "added",
                t!(
                    lang,
                    "The meeting is added; the group's tablets show it in their agenda."
                ),
            ),
            (
                "planned",
                t!(
                    lang,
                    "The 10 + 10 meetings are planned; the group's tablets show them."
                ),
            ),
            (
                "moved",
                t!(
                    lang,
                    "The meeting moved; the group's tablets say so at once."
                ),
            ),
            (
                "cancelled",
                t!(
                    lang,
                    "The meeting is cancelled; the group's tablets say so at once."
                ),
            ),
        ],
    );
    group_page(&web, &me, &id, StatusCode::OK, notice)
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

/// A meeting's attendance in a few words: `5 present, 1 excused`, or that it is not
/// taken yet.
fn taken_words(lang: nabij_protocol::Language, tally: Option<&Tally>) -> String {
    match tally {
        None => t!(lang, "not taken yet").to_owned(),
        Some(t) => {
            let mut parts = vec![format!("{} {}", t.present, mark_word(lang, Mark::Present))];
            if t.absent > 0 {
                parts.push(format!("{} {}", t.absent, mark_word(lang, Mark::Absent)));
            }
            if t.excused > 0 {
                parts.push(format!("{} {}", t.excused, mark_word(lang, Mark::Excused)));
            }
            parts.join(", ")
        }
    }
}

fn group_page(
    web: &Web,
    me: &Me,
    id: &GroupId,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let lang = me.lang();
    let Ok(group) = web.hub.find_group(id.as_str()) else {
        return not_found(
            me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
        );
    };
    let (sessions, people, rates) = match (
        web.hub.schedule(&group.id),
        web.hub.people(),
        web.hub.attendance_rates(&group.id),
    ) {
        (Ok(s), Ok(p), Ok(r)) => (s, p, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(me, &e),
    };
    let members: Vec<&str> = people
        .iter()
        .filter(|p| p.role == PersonRole::Participant && p.group.as_ref() == Some(&group.id))
        .map(|p| p.name.as_str())
        .collect();
    let gid = group.id.as_str();
    let rows: Vec<Vec<Markup>> = sessions
        .iter()
        .map(|s| {
            let sid = s.id.as_str();
            let cancelled = s.state == SessionState::Cancelled;
            let tally = rates
                .per_session
                .iter()
                .find(|(taken, _)| taken.id == s.id)
                .map(|(_, t)| t);
            vec![
                html! { (meeting_name(lang, s)) },
                html! { (meeting_when(lang, s)) },
                html! { (meeting_where(s)) },
                html! {
                    @if cancelled {
                        (t!(lang, "cancelled"))
                    } @else {
                        a.button href={ "/sessions/" (sid) "/attendance" } {
                            (t!(lang, "Attendance")) ": " (taken_words(lang, tally))
                        }
                    }
                },
                html! {
                    @if !cancelled {
                        details {
                            summary { (t!(lang, "Move")) }
                            form method="post" action={ "/sessions/" (sid) "/move" } {
                                (html::csrf(&me.csrf))
                                label for={ "d-" (sid) } { (t!(lang, "New date")) }
                                input id={ "d-" (sid) } name="date" type="date" required;
                                label for={ "t-" (sid) } { (t!(lang, "New time")) }
                                input id={ "t-" (sid) } name="time" type="time" required;
                                label for={ "p-" (sid) } { (t!(lang, "New place (empty: the same)")) }
                                input id={ "p-" (sid) } name="place" maxlength="120";
                                button { (t!(lang, "Move")) }
                            }
                        }
                        details {
                            summary { (t!(lang, "Cancel")) }
                            form method="post" action={ "/sessions/" (sid) "/cancel" } {
                                (html::csrf(&me.csrf))
                                label {
                                    input type="checkbox" name="sure" value="yes" required;
                                    " " (t!(lang, "Yes, cancel this meeting"))
                                }
                                button { (t!(lang, "Cancel the meeting")) }
                            }
                        }
                    }
                },
            ]
        })
        .collect();
    let body = html! {
        p {
            @match members.len() {
                1 => (t!(lang, "1 member")),
                n => (t!(lang, "{} members", n)),
            }
            @if !members.is_empty() { ": " (members.join(", ")) }
        }
        @if sessions.is_empty() {
            h2 { (t!(lang, "Plan the 10 + 10 meetings")) }
            p { (t!(lang, "Ten weekly meetings from the first date, then ten monthly tablet help meetings on the same weekday; Belgian public holidays are skipped.")) }
            form method="post" action={ "/groups/" (gid) "/plan" } {
                (html::csrf(&me.csrf))
                label for="first" { (t!(lang, "First meeting")) }
                input id="first" name="first" type="date" required;
                label for="time" { (t!(lang, "Starts at")) }
                input id="time" name="time" type="time" value="14:00" required;
                label for="minutes" { (t!(lang, "Minutes")) }
                input id="minutes" name="minutes" type="number" min="30" max="480" value="180" required;
                label for="place" { (t!(lang, "Place")) }
                input id="place" name="place" required maxlength="120";
                label for="address" { (t!(lang, "Address (optional)")) }
                input id="address" name="address" maxlength="200";
                p { button { (t!(lang, "Plan the meetings")) } }
            }
        } @else {
            p.links {
                @if is_mine(me, &group) {
                    a href={ "/groups/" (gid) "/diary" } { (t!(lang, "Diary: questions and what members shared")) }
                }
                a href={ "/groups/" (gid) "/schedule.ics" } { (t!(lang, "Download for a calendar (.ics)")) }
            }
            (html::table(
                &[t!(lang, "Meeting"), t!(lang, "When"), t!(lang, "Where"), t!(lang, "Attendance"), ""],
                rows,
                "",
            ))
            details {
                summary { (t!(lang, "Add a meeting (when one was cancelled and is made up)")) }
                form method="post" action={ "/groups/" (gid) "/add" } {
                    (html::csrf(&me.csrf))
                    label for="series" { (t!(lang, "Which")) }
                    select id="series" name="series" {
                        option value="weekly" { (t!(lang, "a weekly meeting")) }
                        option value="monthly" { (t!(lang, "a monthly tablet help meeting")) }
                    }
                    label for="a-date" { (t!(lang, "Date")) }
                    input id="a-date" name="date" type="date" required;
                    label for="a-time" { (t!(lang, "Starts at")) }
                    input id="a-time" name="time" type="time" value="14:00" required;
                    label for="a-minutes" { (t!(lang, "Minutes")) }
                    input id="a-minutes" name="minutes" type="number" min="30" max="480" value="180" required;
                    label for="a-place" { (t!(lang, "Place")) }
                    input id="a-place" name="place" required maxlength="120";
                    p { button { (t!(lang, "Add the meeting")) } }
                }
            }
        }
    };
    me.page(status, &group.name, notice.as_ref(), body)
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
    let lang = me.lang();
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(
            &me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
        );
    };
    let problem = |text: &str| group_problem(&web, &me, &id, text);
    let Some(first) = Date::parse(form.first.trim()) else {
        return problem(t!(lang, "Give the first meeting's date."));
    };
    let Some(time) = TimeOfDay::parse(form.time.trim()) else {
        return problem(t!(lang, "Give the time the meetings start, like 14:00."));
    };
    let Ok(minutes) = form.minutes.trim().parse::<u32>() else {
        return problem(t!(
            lang,
            "Give how long a meeting lasts, in minutes (like 180)."
        ));
    };
    if !(30..=480).contains(&minutes) {
        return problem(t!(lang, "A meeting lasts between 30 and 480 minutes."));
    }
    let place = form.place.trim();
    if place.is_empty() || place.chars().count() > 120 {
        return problem(t!(lang, "Give the place (at most 120 characters)."));
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
        Err(e) => problem(&problems::explain(lang, &e)),
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
    let lang = me.lang();
    let Ok(id) = GroupId::parse(&group) else {
        return not_found(
            &me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
        );
    };
    let problem = |text: &str| group_problem(&web, &me, &id, text);
    let series = match form.series.as_str() {
        "weekly" => nabij_protocol::SessionSeries::Weekly,
        "monthly" => nabij_protocol::SessionSeries::Monthly,
        _ => {
            return problem(t!(
                lang,
                "Choose a weekly meeting or a monthly tablet help meeting."
            ));
        }
    };
    let (Some(date), Some(time)) = (
        Date::parse(form.date.trim()),
        TimeOfDay::parse(form.time.trim()),
    ) else {
        return problem(t!(lang, "Give the date and the time it starts."));
    };
    let minutes = match form.minutes.trim().parse::<u32>() {
        Ok(m) if (30..=480).contains(&m) => m,
        _ => return problem(t!(lang, "A meeting lasts between 30 and 480 minutes.")),
    };
    let place = form.place.trim();
    if place.is_empty() || place.chars().count() > 120 {
        return problem(t!(lang, "Give the place (at most 120 characters)."));
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
        Err(e) => problem(&problems::explain(lang, &e)),
    }
}

async fn ics(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(group): Path<String>,
) -> Response {
    let lang = me.lang();
    let Ok(group) = web.hub.find_group(&group) else {
        return not_found(
            &me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
        );
    };
    let sessions = match web.hub.schedule(&group.id) {
        Ok(s) => s,
        Err(e) => return failed(&me, &e),
    };
    let words = crate::ics::CalendarWords {
        weekly: t!(lang, "Meeting").to_owned(),
        monthly: t!(lang, "Tablet help").to_owned(),
        language: super::lang::code(lang),
    };
    let text = crate::ics::calendar(
        &group.name,
        &sessions,
        nabij_protocol::UnixMillis::now(),
        &words,
    );
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
    let lang = me.lang();
    let Some(session) = session_of(&web, &session) else {
        return not_found(
            &me,
            t!(
                lang,
                "This meeting is not (or no longer) planned. Open the group's page again."
            ),
        );
    };
    let problem = |text: &str| group_problem(&web, &me, &session.group, text);
    let (Some(date), Some(time)) = (
        Date::parse(form.date.trim()),
        TimeOfDay::parse(form.time.trim()),
    ) else {
        return problem(t!(lang, "Give the new date and time."));
    };
    let place = form.place.trim();
    if place.chars().count() > 120 {
        return problem(t!(lang, "A place has at most 120 characters."));
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
        Err(e) => problem(&problems::explain(lang, &e)),
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
    let lang = me.lang();
    let Some(session) = session_of(&web, &session) else {
        return not_found(
            &me,
            t!(
                lang,
                "This meeting is not (or no longer) planned. Open the group's page again."
            ),
        );
    };
    let problem = |text: &str| group_problem(&web, &me, &session.group, text);
    if form.sure != "yes" {
        return problem(t!(lang, "Tick \"Yes, cancel this meeting\" to cancel it."));
    }
    match web.hub.cancel_session(&session.id).await {
        Ok(cancelled) => {
            web.audit(&me, &format!("cancelled {}", cancelled.id)).await;
            see_other(&format!("/groups/{}?done=cancelled", cancelled.group))
        }
        Err(e) => problem(&problems::explain(lang, &e)),
    }
}

async fn attendance(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Path(session): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let Ok(id) = SessionId::parse(&session) else {
        return not_found(
            &me,
            t!(
                lang,
                "This meeting is not (or no longer) planned. Open the group's page again."
            ),
        );
    };
    let notice = done_notice(&done, &[("taken", t!(lang, "Attendance is saved."))]);
    attendance_page(&web, &me, &id, StatusCode::OK, notice, &[])
}

fn attendance_page(
    web: &Web,
    me: &Me,
    id: &SessionId,
    status: StatusCode,
    notice: Option<Notice>,
    ticked: &[(PersonId, Mark)],
) -> Response {
    let lang = me.lang();
    let Ok(sheet) = web.hub.attendance_sheet(id) else {
        return not_found(
            me,
            t!(
                lang,
                "This meeting is not (or no longer) planned. Open the group's page again."
            ),
        );
    };
    let s = &sheet.session;
    let group_name = web
        .hub
        .find_group(s.group.as_str())
        .map_or_else(|_| String::new(), |g| g.name);
    let body = html! {
        p { strong { (group_name) } " · " (meeting_name(lang, s)) " · " (meeting_when(lang, s)) " · " (meeting_where(s)) }
        (attendance_form(me, &sheet, ticked, "sheet"))
        p { a href={ "/groups/" (s.group.as_str()) } { (t!(lang, "Back to the group")) } }
    };
    me.page(status, t!(lang, "Attendance"), notice.as_ref(), body)
}

/// The attendance form: a mark per person, under the person's id, where to go after,
/// and the token.
#[derive(Deserialize)]
#[serde(transparent)]
struct AttendanceFields(Vec<(String, String)>);

impl TokenForm for AttendanceFields {
    fn token(&self) -> &str {
        self.field("csrf")
    }
}

impl AttendanceFields {
    fn field(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn take_attendance(
    State(web): State<Web>,
    Path(session): Path<String>,
    SignedForm(me, fields, _): SignedForm<Programme, AttendanceFields>,
) -> Response {
    let lang = me.lang();
    let Ok(id) = SessionId::parse(&session) else {
        return not_found(
            &me,
            t!(
                lang,
                "This meeting is not (or no longer) planned. Open the group's page again."
            ),
        );
    };
    let from_today = fields.field("back") == "today";
    let mut marks = Vec::new();
    let mut unreadable = false;
    for (key, value) in &fields.0 {
        let Some(person) = key.strip_prefix("mark-") else {
            continue;
        };
        match (PersonId::parse(person), parse_mark(value)) {
            (Ok(person), Some(mark)) => marks.push((person, mark)),
            _ => unreadable = true,
        }
    }
    // Refused: the same page again with every tick as it was sent.
    let problem = |text: String, marks: &[(PersonId, Mark)]| {
        if from_today {
            super::today::today_page(
                &web,
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(Notice::Problem(text)),
                marks,
            )
        } else {
            attendance_page(
                &web,
                &me,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(Notice::Problem(text)),
                marks,
            )
        }
    };
    if unreadable {
        return problem(
            t!(lang, "The sheet was not understood: open it again.").to_owned(),
            &marks,
        );
    }
    match web.hub.take_attendance(&id, marks.clone()).await {
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
            if from_today {
                see_other("/today?done=taken")
            } else {
                see_other(&format!("/sessions/{id}/attendance?done=taken"))
            }
        }
        Err(e) => problem(problems::explain(lang, &e), &marks),
    }
}

super::signed::token_forms!(GroupForm, PlanForm, AddForm, MoveForm, CancelForm);
