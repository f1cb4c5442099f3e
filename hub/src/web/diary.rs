//! The diary for coaches: a group's prompt for each week (planned here, sent to the
//! tablets when the week begins) and what its members chose to share, per prompt, ready
//! for the next encounter. Answers kept private are only counted, never shown.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{Diary, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::domain::calendar::Date;
use crate::domain::diary::answer_words;
use crate::domain::people::Group;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use nabij_protocol::{GroupId, PromptId};
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new().route("/groups/{group}/diary", get(diary).post(plan))
}

const DIARY_DONE: [(&str, &str); 1] = [(
    "planned",
    "The prompt is planned; the group's tablets get it when its week begins.",
)];

async fn diary(
    State(web): State<Web>,
    Signed(me, _): Signed<Diary>,
    Path(group): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    diary_page(
        &web,
        &me,
        &group,
        StatusCode::OK,
        done_notice(&done, &DIARY_DONE),
    )
}

/// The group in the address, if the account is its coach's: what members shared in the
/// diary is for their group and its coach, not for every coach of the hub.
fn coached_group(web: &Web, me: &Me, group: &str) -> Result<Group, Box<Response>> {
    let Some(group) = GroupId::parse(group)
        .ok()
        .and_then(|id| web.hub.find_group(id.as_str()).ok())
    else {
        return Err(Box::new(super::not_found(
            me,
            "such group",
            ("/groups", "Groups"),
        )));
    };
    if group.coach.is_none() || group.coach != me.account.coach {
        let words = match &group.coach {
            Some(_) => format!(
                "Only the coach of {} plans its diary and reads what its members shared.",
                group.name
            ),
            None => format!(
                "{} has no coach yet: add one under People, then their account opens its diary.",
                group.name
            ),
        };
        return Err(Box::new(page_response(
            StatusCode::FORBIDDEN,
            html::page_str(
                "Not your group",
                Some(&me.viewer()),
                Some(&Notice::Problem(words)),
                "<p><a href=\"/groups\">Groups</a></p>",
            ),
        )));
    }
    Ok(group)
}

fn diary_page(
    web: &Web,
    me: &Me,
    group: &str,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let group = match coached_group(web, me, group) {
        Ok(group) => group,
        Err(answer) => return *answer,
    };
    let (weeks, answers) = match (
        web.hub.diary_weeks(&group.id),
        web.hub.diary_answers(&group.id, None),
    ) {
        (Ok(w), Ok(a)) => (w, a),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let prompts = web.hub.diary_prompts();
    let question = |id: &PromptId| {
        prompts
            .iter()
            .find(|p| &p.prompt_id == id)
            .map_or_else(|| id.to_string(), |p| p.question.nl.clone())
    };
    let week_cells: Vec<Vec<String>> = weeks
        .iter()
        .map(|w| {
            vec![
                w.from.to_string(),
                esc(&question(&w.prompt)),
                if w.sent_at.is_some() {
                    "sent"
                } else {
                    "planned"
                }
                .to_owned(),
            ]
        })
        .collect();
    let mut options = String::new();
    for p in prompts {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(p.prompt_id.as_str()),
            esc(&p.question.nl)
        );
    }
    let mut shared = String::new();
    for a in &answers {
        let _ = write!(
            shared,
            "<h3>{} <small>(week from {})</small></h3>",
            esc(&a.prompt.question.nl),
            a.week
        );
        let rows: Vec<Vec<String>> = a
            .shared
            .iter()
            .map(|s| {
                vec![
                    esc(&s.name),
                    esc(&answer_words(&a.prompt, &s.answer, &s.named)),
                ]
            })
            .collect();
        shared += &table(&["Who", "Shared"], &rows, "No answers shared yet.");
        if a.private > 0 {
            let _ = write!(
                shared,
                "<p>and {} answer{} kept for themselves.</p>",
                a.private,
                if a.private == 1 { "" } else { "s" }
            );
        }
    }
    let body = format!(
        "<h2>Plan a prompt</h2>\
         <form method=\"post\" action=\"/groups/{id}/diary\">{csrf}\
         <label for=\"prompt\">Prompt</label><select id=\"prompt\" name=\"prompt\">{options}</select>\
         <label for=\"week\">The week from</label><input id=\"week\" name=\"week\" type=\"date\" required>\
         <p><button>Plan the prompt</button></p></form>\
         <h2>Weeks</h2>{weeks}\
         <h2>What members shared</h2>{shared}\
         <p><a href=\"/groups/{id}\">Back to the group</a></p>",
        id = esc(group.id.as_str()),
        csrf = csrf_field(&me.csrf),
        weeks = table(
            &["Week from", "Prompt", ""],
            &week_cells,
            "No prompt planned yet."
        ),
        shared = if shared.is_empty() {
            "<p class=\"empty\">Nothing shared yet.</p>".to_owned()
        } else {
            shared
        },
    );
    page_response(
        status,
        html::page_str(
            &format!("Diary — {}", group.name),
            Some(&me.viewer()),
            notice.as_ref(),
            &body,
        ),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanForm {
    csrf: String,
    prompt: String,
    week: String,
}

async fn plan(
    State(web): State<Web>,
    Path(group): Path<String>,
    SignedForm(me, form, _): SignedForm<Diary, PlanForm>,
) -> Response {
    let problem = |text: String| {
        diary_page(
            &web,
            &me,
            &group,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
        )
    };
    let id = match coached_group(&web, &me, &group) {
        Ok(group) => group.id,
        Err(answer) => return *answer,
    };
    let Ok(prompt) = PromptId::parse(form.prompt.trim()) else {
        return problem("Choose a prompt from the list.".into());
    };
    let Some(week) = Date::parse(form.week.trim()) else {
        return problem("Give the first day of the week.".into());
    };
    match web.hub.plan_diary(&id, &prompt, week).await {
        Ok(_) => {
            web.audit(
                &me,
                &format!("planned diary prompt {prompt} for {id}, week from {week}"),
            )
            .await;
            see_other(&format!("/groups/{id}/diary?done=planned"))
        }
        Err(e) => problem(format!("Not planned: {e}.")),
    }
}

super::signed::token_forms!(PlanForm);
