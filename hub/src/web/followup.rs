//! Who needs a call, and why: the follow-up list, with the senior's number to tap and
//! what they wrote with a call for help, and marking a line dealt with (for a call for
//! help, that also tells their tablet the coach will call, as `calls answer` does).

use super::html::{self, Notice};
use super::lang::{self, t};
use super::problems::explain;
use super::signed::{FollowUp, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, own, see_other};
use crate::clock;
use crate::domain::accounts::Area;
use crate::domain::followup::Reason;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use nabij_protocol::{Language, PersonId};
use serde::Deserialize;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/followup", get(follow_up))
        .route("/followup/handled", post(mark_handled))
}

/// Why someone is on the list, in a few words in `lang`.
pub(crate) fn reason_words(lang: Language, reason: Reason) -> &'static str {
    match reason {
        Reason::AskedForCall => t!(lang, "asked to be called"),
        Reason::SadCheckIns => t!(
            lang,
            "not feeling good at the check-in, several days running"
        ),
        Reason::MissedMeetings => t!(lang, "missed two meetings without a word"),
        Reason::TabletSilent => t!(lang, "tablet silent for days"),
        Reason::NothingSent => t!(lang, "sent nothing for weeks"),
    }
}

/// A phone number as a `tel:` link: the number as written, dialled without its spaces
/// and punctuation.
pub(crate) fn phone_link(phone: &str) -> Markup {
    let dial: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    html! { a.tap.phone href=(format!("tel:{dial}")) { (phone) } }
}

async fn follow_up(
    State(web): State<Web>,
    Signed(me, _): Signed<FollowUp>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let known = [
        (
            "handled",
            t!(
                lang,
                "Marked as dealt with. It comes back if it holds anew."
            ),
        ),
        (
            "answered",
            t!(
                lang,
                "Marked as dealt with. Their tablet now says that you will call."
            ),
        ),
    ];
    follow_up_page(&web, &me, StatusCode::OK, done_notice(&done, &known))
}

fn follow_up_page(web: &Web, me: &Me, status: StatusCode, notice: Option<Notice>) -> Response {
    let lang = me.lang();
    let (mut rows, groups) = match (web.hub.follow_up(false), web.hub.groups()) {
        (Ok(rows), Ok(groups)) => (rows, groups),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let own = own::groups(me, &groups);
    // Most urgent first, as the hub orders them; within a reason, the coach's own seniors.
    rows.sort_by_key(|row| {
        let theirs = row.group_id.as_ref().is_none_or(|g| !own.contains(g));
        (row.concern.reason, theirs)
    });
    let now = clock::now();
    // No link to a page the account may not open.
    let people_pages = me.account.role.may(Area::People);
    let cells: Vec<Vec<Markup>> = rows
        .iter()
        .map(|row| {
            let call = row.concern.reason == Reason::AskedForCall;
            vec![
                html! {
                    @if people_pages {
                        a.tap href=(format!("/people/{}", row.person)) { (row.name) }
                    } @else {
                        (row.name)
                    }
                },
                html! {
                    @match &row.phone {
                        Some(phone) => (phone_link(phone)),
                        None => span.empty { (t!(lang, "no number")) },
                    }
                },
                html! { (row.group.as_deref().unwrap_or("–")) },
                html! {
                    (reason_words(lang, row.concern.reason))
                    @if let Some(note) = &row.note {
                        blockquote.note { (note) }
                    }
                },
                html! { (lang::ago(lang, now, row.concern.since)) },
                html! {
                    form method="post" action="/followup/handled" {
                        (html::csrf(&me.csrf))
                        input type="hidden" name="person" value=(row.person.as_str());
                        input type="hidden" name="reason" value=(row.concern.reason.name());
                        button { (t!(lang, "Dealt with")) }
                        @if call {
                            small.hint { (t!(lang, "Their tablet then says that you will call.")) }
                        }
                    }
                },
            ]
        })
        .collect();
    let body = html! {
        p { (t!(lang, "Who to call, and why. \"Dealt with\" takes a line off until it holds anew.")) }
        (html::table(
            &[
                t!(lang, "Senior"),
                t!(lang, "Phone"),
                t!(lang, "Group"),
                t!(lang, "Why"),
                t!(lang, "Since"),
                t!(lang, "Do"),
            ],
            cells,
            t!(lang, "No one needs a call now."),
        ))
    };
    me.page(status, t!(lang, "Follow-up"), notice.as_ref(), body)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Handled {
    csrf: String,
    person: String,
    reason: String,
}

async fn mark_handled(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<FollowUp, Handled>,
) -> Response {
    let lang = me.lang();
    let problem = |text: String| {
        follow_up_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
        )
    };
    let (Ok(person), Some(reason)) = (PersonId::parse(&form.person), Reason::parse(&form.reason))
    else {
        return problem(
            t!(
                lang,
                "That line is not on the list any more: look at the list again."
            )
            .to_owned(),
        );
    };
    let Some(coach) = me.account.coach.clone() else {
        return problem(
            t!(lang, "This account is not linked to a coach; ask an admin.").to_owned(),
        );
    };
    match web.hub.mark_handled(&person, reason, &coach).await {
        Ok(()) => {
            web.audit(
                &me,
                &format!("follow-up: {} {} dealt with", person, reason.name()),
            )
            .await;
            if reason == Reason::AskedForCall {
                see_other("/followup?done=answered")
            } else {
                see_other("/followup?done=handled")
            }
        }
        Err(e) => problem(t!(lang, "Not marked: {}", explain(lang, &e))),
    }
}

super::signed::token_forms!(Handled);
