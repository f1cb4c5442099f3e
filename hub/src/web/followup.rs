//! Who needs a call, and why: the follow-up list, and marking a line dealt with.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{FollowUp, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::clock;
use crate::domain::followup::Reason;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use nabij_protocol::PersonId;
use serde::Deserialize;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/followup", get(follow_up))
        .route("/followup/handled", post(mark_handled))
}

const FOLLOW_UP_DONE: [(&str, &str); 1] = [(
    "handled",
    "Marked as dealt with. It comes back if it holds anew.",
)];

async fn follow_up(
    State(web): State<Web>,
    Signed(me, _): Signed<FollowUp>,
    Query(done): Query<Done>,
) -> Response {
    follow_up_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &FOLLOW_UP_DONE),
    )
}

fn follow_up_page(web: &Web, me: &Me, status: StatusCode, notice: Option<Notice>) -> Response {
    let rows = match web.hub.follow_up(false) {
        Ok(rows) => rows,
        Err(e) => return failed(me, &e),
    };
    let now = clock::now();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            vec![
                esc(&row.name),
                esc(row.group.as_deref().unwrap_or("-")),
                esc(row.concern.reason.words()),
                esc(&clock::ago(now, row.concern.since)),
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/followup/handled\">{}\
                     <input type=\"hidden\" name=\"person\" value=\"{}\">\
                     <input type=\"hidden\" name=\"reason\" value=\"{}\">\
                     <button>Dealt with</button></form>",
                    csrf_field(&me.csrf),
                    esc(row.person.as_str()),
                    row.concern.reason.name()
                ),
            ]
        })
        .collect();
    let body = format!(
        "<p>Who to call, and why. \"Dealt with\" takes a line off until it holds anew.</p>{}",
        table(
            &["Participant", "Group", "Why", "Since", ""],
            &cells,
            "No one needs a call now.",
        )
    );
    page_response(
        status,
        html::page_str("Follow-up", Some(&me.viewer()), notice.as_ref(), &body),
    )
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
        return problem("That line is not on the list any more: look at the list again.".into());
    };
    let Some(coach) = me.account.coach.clone() else {
        return problem("This account is not linked to a coach; ask an admin.".into());
    };
    match web.hub.mark_handled(&person, reason, &coach).await {
        Ok(()) => {
            web.audit(
                &me,
                &format!("follow-up: {} {} dealt with", person, reason.name()),
            )
            .await;
            see_other("/followup?done=handled")
        }
        Err(e) => problem(format!("Not marked: {e}.")),
    }
}

super::signed::token_forms!(Handled);
