//! The diary for coaches: a group's question for each week (planned here, sent to the
//! tablets when the week begins) and what its members chose to share, per question,
//! ready for the next meeting, in the coach's language. Answers kept private are only
//! counted, never shown. Only the group's own coach opens it.

use super::html::{self, Notice};
use super::lang::{self, t};
use super::signed::{Diary, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, problems, see_other};
use crate::app::PromptAnswers;
use crate::domain::calendar::Date;
use crate::domain::people::Group;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use nabij_protocol::{DiaryAnswer, DiaryPrompt, GroupId, Language, Localized, PromptId};
use serde::Deserialize;

pub fn routes() -> Router<Web> {
    Router::new().route("/groups/{group}/diary", get(diary).post(plan))
}

/// Text in `lang`, or in Dutch when it has none in that language.
pub fn localized(lang: Language, text: &Localized) -> &str {
    let wanted = match lang {
        Language::Nl => None,
        Language::Fr => text.fr.as_deref(),
        Language::En => text.en.as_deref(),
    };
    wanted.unwrap_or(&text.nl)
}

/// A shared answer in words for a coach: the choices (as the senior saw them, in the
/// coach's language), the people named, the words in quotes, and how long a voice
/// answer is.
pub fn answer_text(
    lang: Language,
    prompt: &DiaryPrompt,
    answer: &DiaryAnswer,
    named: &[String],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let chosen: Vec<&str> = answer
        .choices
        .iter()
        .filter_map(|id| prompt.choices.iter().find(|c| &c.id == id))
        .map(|c| localized(lang, &c.label))
        .collect();
    if !chosen.is_empty() {
        parts.push(chosen.join(", "));
    }
    if !named.is_empty() {
        parts.push(named.join(", "));
    }
    if let Some(text) = &answer.text {
        parts.push(format!("“{text}”"));
    }
    if let Some(voice) = &answer.voice {
        parts.push(t!(
            lang,
            "a voice answer of {} s",
            voice.duration_ms.div_ceil(1000)
        ));
    }
    parts.join(" — ")
}

/// What members shared for one question: a list of who said what, and how many kept
/// their answer for themselves.
pub fn shared_answers(lang: Language, answers: &PromptAnswers) -> Markup {
    html! {
        @if answers.shared.is_empty() {
            p.empty { (t!(lang, "No answers shared yet.")) }
        } @else {
            ul.shared {
                @for s in &answers.shared {
                    li { strong { (s.name) } ": " (answer_text(lang, &answers.prompt, &s.answer, &s.named)) }
                }
            }
        }
        @match answers.private {
            0 => {},
            1 => p { (t!(lang, "1 answer kept for themselves.")) },
            n => p { (t!(lang, "{} answers kept for themselves.", n)) },
        }
    }
}

async fn diary(
    State(web): State<Web>,
    Signed(me, _): Signed<Diary>,
    Path(group): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let notice = done_notice(
        &done,
        &[(
            "planned",
            t!(
                lang,
                "The question is planned; the group's tablets get it when its week begins."
            ),
        )],
    );
    diary_page(&web, &me, &group, StatusCode::OK, notice)
}

/// The group in the address, if the account is its coach's: what members shared in the
/// diary is for their group and its coach, not for every coach of the hub.
fn coached_group(web: &Web, me: &Me, group: &str) -> Result<Group, Box<Response>> {
    let lang = me.lang();
    let Some(group) = GroupId::parse(group)
        .ok()
        .and_then(|id| web.hub.find_group(id.as_str()).ok())
    else {
        return Err(Box::new(super::not_found(
            me,
            t!(
                lang,
                "This group is not (or no longer) known. Open the Groups page again."
            ),
            ("/groups", t!(lang, "Groups")),
        )));
    };
    if group.coach.is_none() || group.coach != me.account.coach {
        let words = match &group.coach {
            Some(_) => t!(
                lang,
                "Only the coach of {} plans its diary and reads what its members shared.",
                group.name
            ),
            None => t!(
                lang,
                "{} has no coach yet: add one under People, then their account opens its diary.",
                group.name
            ),
        };
        return Err(Box::new(me.page(
            StatusCode::FORBIDDEN,
            t!(lang, "Not your group"),
            Some(&Notice::Problem(words)),
            html! { p { a href="/groups" { (t!(lang, "Groups")) } } },
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
    let lang = me.lang();
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
            .map_or("-", |p| localized(lang, &p.question))
    };
    let week_rows: Vec<Vec<Markup>> = weeks
        .iter()
        .map(|w| {
            vec![
                html! { (lang::civil_date(lang, w.from.year, w.from.month, w.from.day)) },
                html! { (question(&w.prompt)) },
                html! {
                    @if w.sent_at.is_some() { (t!(lang, "sent")) } @else { (t!(lang, "planned")) }
                },
            ]
        })
        .collect();
    let body = html! {
        h2 { (t!(lang, "Plan a question")) }
        form method="post" action={ "/groups/" (group.id.as_str()) "/diary" } {
            (html::csrf(&me.csrf))
            label for="prompt" { (t!(lang, "Question")) }
            select id="prompt" name="prompt" {
                @for p in prompts {
                    option value=(p.prompt_id.as_str()) { (localized(lang, &p.question)) }
                }
            }
            label for="week" { (t!(lang, "The week from")) }
            input id="week" name="week" type="date" required;
            p { button { (t!(lang, "Plan the question")) } }
        }
        h2 { (t!(lang, "Weeks")) }
        (html::table(
            &[t!(lang, "Week from"), t!(lang, "Question"), ""],
            week_rows,
            t!(lang, "No question planned yet."),
        ))
        h2 { (t!(lang, "What members shared")) }
        @if answers.is_empty() {
            p.empty { (t!(lang, "Nothing shared yet.")) }
        }
        @for a in &answers {
            h3 {
                (localized(lang, &a.prompt.question)) " "
                small { "(" (t!(lang, "week from {}", lang::civil_date(lang, a.week.year, a.week.month, a.week.day))) ")" }
            }
            (shared_answers(lang, a))
        }
        p { a href={ "/groups/" (group.id.as_str()) } { (t!(lang, "Back to the group")) } }
    };
    me.page(
        status,
        &t!(lang, "Diary — {}", group.name),
        notice.as_ref(),
        body,
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
    let lang = me.lang();
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
        return problem(t!(lang, "Choose a question from the list.").to_owned());
    };
    let Some(week) = Date::parse(form.week.trim()) else {
        return problem(t!(lang, "Give the first day of the week.").to_owned());
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
        Err(e) => problem(problems::explain(lang, &e)),
    }
}

super::signed::token_forms!(PlanForm);
