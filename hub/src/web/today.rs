//! "Vandaag": the meeting day on a coach's phone, one tap from home. For each of the
//! coach's groups meeting today: the meeting, who said they come, and the attendance to
//! tick (savable from an hour before the start; a refused save shows every tick again);
//! when none meets today, the next meeting. Then who of the coach's seniors needs a
//! call, with their number to tap, and this week's diary question with what members
//! shared, ready to talk about.

use super::diary::{localized, shared_answers};
use super::followup::{phone_link, reason_words};
use super::html::Notice;
use super::lang::{self, t};
use super::meetings::{attendance_form, is_mine, meeting_name, meeting_when, meeting_where};
use super::signed::{Programme, Signed};
use super::{Done, Me, Web, done_notice, failed};
use crate::app::{AppError, Sheet};
use crate::clock;
use crate::domain::attendance::Mark;
use crate::domain::calendar::Date;
use crate::domain::people::{Group, Person};
use crate::domain::schedule::{Session, SessionState};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use nabij_protocol::{Language, PersonId, RsvpAnswer, UnixMillis};

pub fn routes() -> Router<Web> {
    Router::new().route("/today", get(today))
}

async fn today(
    State(web): State<Web>,
    Signed(me, _): Signed<Programme>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let notice = done_notice(&done, &[("taken", t!(lang, "Attendance is saved."))]);
    today_page(&web, &me, StatusCode::OK, notice, &[])
}

/// The day of `t` in Belgium.
fn day_of(t: UnixMillis) -> Option<Date> {
    let c = nabij_protocol::time::brussels(t);
    Date::new(c.year, c.month, c.day)
}

/// What one of the coach's groups has on the page.
enum Meeting {
    /// It meets today: its sheet.
    Today(Box<Sheet>),
    /// Not today; its next meeting, if any is planned.
    Next(Option<Session>),
}

/// The coach's group's meeting today, or its next one.
fn meeting_of(web: &Web, group: &Group, now: UnixMillis) -> Result<Meeting, AppError> {
    let today = day_of(now);
    let sessions = web.hub.schedule(&group.id)?;
    let planned = sessions.iter().filter(|s| s.state == SessionState::Planned);
    if let Some(session) = planned.clone().find(|s| day_of(s.starts_at) == today) {
        return Ok(Meeting::Today(Box::new(
            web.hub.attendance_sheet(&session.id)?,
        )));
    }
    Ok(Meeting::Next(
        planned
            .filter(|s| s.starts_at > now)
            .min_by_key(|s| s.starts_at)
            .cloned(),
    ))
}

/// "4 coming, 1 can't come, 1 no answer".
fn answers_summary(lang: Language, sheet: &Sheet) -> String {
    let count = |wanted: Option<RsvpAnswer>| sheet.rows.iter().filter(|r| r.rsvp == wanted).count();
    t!(
        lang,
        "{} coming, {} can't come, {} no answer",
        count(Some(RsvpAnswer::Coming)),
        count(Some(RsvpAnswer::NotComing)),
        count(None)
    )
}

/// The section for one group.
fn group_section(
    lang: Language,
    me: &Me,
    group: &Group,
    meeting: &Meeting,
    ticked: &[(PersonId, Mark)],
) -> Markup {
    html! {
        section.group {
            @match meeting {
                Meeting::Today(sheet) => {
                    @let s = &sheet.session;
                    h2 { (group.name) " — " (meeting_name(lang, s)) }
                    p.when { (meeting_when(lang, s)) br; (meeting_where(s)) }
                    p { (answers_summary(lang, sheet)) }
                    (attendance_form(me, sheet, ticked, "today"))
                }
                Meeting::Next(next) => {
                    h2 { (group.name) }
                    @match next {
                        Some(s) => p {
                            (t!(lang, "No meeting today. The next one:")) " "
                            strong { (meeting_name(lang, s)) ", " (meeting_when(lang, s)) }
                            ", " (meeting_where(s)) "."
                        },
                        None => p { (t!(lang, "No meeting today, and none planned.")) " "
                            a href={ "/groups/" (group.id.as_str()) } { (t!(lang, "Plan the meetings")) } },
                    }
                }
            }
        }
    }
}

/// Today's page; `ticked` are marks sent in a refused save, shown again as sent.
pub(crate) fn today_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    ticked: &[(PersonId, Mark)],
) -> Response {
    let lang = me.lang();
    let now = clock::now();
    let (groups, people, calls) =
        match (web.hub.groups(), web.hub.people(), web.hub.follow_up(false)) {
            (Ok(g), Ok(p), Ok(c)) => (g, p, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(me, &e),
        };
    let mine: Vec<Group> = groups.into_iter().filter(|g| is_mine(me, g)).collect();
    if mine.is_empty() {
        let body = html! {
            p { (t!(lang, "This account coaches no group yet. An admin links an account to its coach; a group gets its coach on the People page.")) }
            p { a href="/groups" { (t!(lang, "Groups")) } }
        };
        return me.page(status, t!(lang, "Today"), notice.as_ref(), body);
    }
    let mut sections = Vec::new();
    for group in &mine {
        match meeting_of(web, group, now) {
            Ok(meeting) => sections.push(group_section(lang, me, group, &meeting, ticked)),
            Err(e) => return failed(me, &e),
        }
    }
    let person = |id: &PersonId| people.iter().find(|p| &p.id == id);
    let in_my_groups = |p: &Person| {
        p.group
            .as_ref()
            .is_some_and(|g| mine.iter().any(|m| &m.id == g))
    };
    let my_calls: Vec<_> = calls
        .iter()
        .filter(|row| person(&row.person).is_some_and(in_my_groups))
        .collect();
    let mut diary = Vec::new();
    let today = day_of(now);
    for group in &mine {
        let weeks = match web.hub.diary_weeks(&group.id) {
            Ok(w) => w,
            Err(e) => return failed(me, &e),
        };
        let this_week = weeks
            .iter()
            .filter(|w| today.is_some_and(|d| w.from <= d && d < w.from.plus_days(7)))
            .max_by_key(|w| w.from);
        if let Some(week) = this_week {
            match web.hub.diary_answers(&group.id, Some(&week.prompt)) {
                Ok(answers) => {
                    if let Some(a) = answers.into_iter().find(|a| a.week == week.from) {
                        diary.push((group, a));
                    }
                }
                Err(e) => return failed(me, &e),
            }
        }
    }
    let body = html! {
        p.today { (lang::date(lang, now)) }
        @for section in sections { (section) }
        section {
            h2 { (t!(lang, "Who needs a call")) }
            @if my_calls.is_empty() {
                p.empty { (t!(lang, "No one needs a call now.")) }
            } @else {
                ul.calls {
                    @for row in &my_calls {
                        li {
                            strong { (row.name) } " — " (reason_words(lang, row.concern.reason))
                            @if let Some(phone) = row.phone.as_deref() {
                                " " (phone_link(phone))
                            }
                        }
                    }
                }
                p { a href="/followup" { (t!(lang, "The whole follow-up list")) } }
            }
        }
        section {
            h2 { (t!(lang, "This week's diary question")) }
            @if diary.is_empty() {
                p.empty { (t!(lang, "No diary question this week.")) }
            }
            @for (group, answers) in &diary {
                h3 { (group.name) ": " (localized(lang, &answers.prompt.question)) }
                (shared_answers(lang, answers))
            }
        }
    };
    me.page(status, t!(lang, "Today"), notice.as_ref(), body)
}
