//! A coach writes to one participant or a whole group: the same operation as
//! `nabij-hub message send`, with the coach the account belongs to as the sender.

use super::html::{self, Notice, csrf_field, esc};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::app::{Audience, CoachMessage};
use crate::domain::accounts::Area;
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use nabij_protocol::{GroupId, PersonId};
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new().route("/messages", get(messages).post(send))
}

const MESSAGES_DONE: [(&str, &str); 1] = [(
    "sent",
    "Sent. Each tablet shows it as soon as it is online.",
)];

async fn messages(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Response {
    let me = match web.require(&headers, Area::People) {
        Ok(me) => me,
        Err(answer) => return *answer,
    };
    messages_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &MESSAGES_DONE),
        "",
    )
}

fn messages_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    text: &str,
) -> Response {
    let (groups, people) = match (web.hub.groups(), web.hub.people()) {
        (Ok(g), Ok(p)) => (g, p),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let mut options = String::from("<optgroup label=\"A whole group\">");
    for g in &groups {
        let _ = write!(
            options,
            "<option value=\"group:{}\">{}</option>",
            esc(g.id.as_str()),
            esc(&g.name)
        );
    }
    options.push_str("</optgroup><optgroup label=\"One participant\">");
    for p in people.iter().filter(|p| p.role == PersonRole::Participant) {
        let _ = write!(
            options,
            "<option value=\"person:{}\">{}</option>",
            esc(p.id.as_str()),
            esc(&p.name)
        );
    }
    options.push_str("</optgroup>");
    let max = nabij_protocol::limits::MAX_TEXT_CHARS;
    let body = format!(
        "<p>Short and plain: the seniors read it in large letters.</p>\
         <form method=\"post\" action=\"/messages\">{}\
         <label for=\"to\">To</label><select id=\"to\" name=\"to\">{options}</select>\
         <label for=\"text\">Message</label>\
         <textarea id=\"text\" name=\"text\" rows=\"4\" required maxlength=\"{max}\">{}</textarea>\
         <p><button>Send</button></p></form>",
        csrf_field(&me.csrf),
        esc(text),
    );
    page_response(
        status,
        html::page(
            "Write to seniors",
            Some(&me.viewer()),
            notice.as_ref(),
            &body,
        ),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendForm {
    csrf: String,
    to: String,
    text: String,
}

async fn send(State(web): State<Web>, headers: HeaderMap, Form(form): Form<SendForm>) -> Response {
    let me = match web.require_form(&headers, Area::People, &form.csrf) {
        Ok(me) => me,
        Err(answer) => return *answer,
    };
    let text = form.text.trim().to_owned();
    let problem = |words: String| {
        messages_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(words)),
            &text,
        )
    };
    let Some(from) = me.account.coach.clone() else {
        return problem("This account is not linked to a coach; ask an admin.".into());
    };
    let to = match form.to.split_once(':') {
        Some(("group", id)) => GroupId::parse(id).ok().map(Audience::Group),
        Some(("person", id)) => PersonId::parse(id).ok().map(Audience::Person),
        _ => None,
    };
    let Some(to) = to else {
        return problem("Choose who the message is for.".into());
    };
    if text.is_empty() {
        return problem("Write the message first.".into());
    }
    let target = match &to {
        Audience::Group(g) => g.to_string(),
        Audience::Person(p) => p.to_string(),
    };
    match web
        .hub
        .send_from_coach(&from, &to, CoachMessage::Text { text: text.clone() })
        .await
    {
        Ok(sent) => {
            // Who and how many, not what: the audit log keeps no message content.
            web.audit(
                &me,
                &format!(
                    "sent a message to {target} ({} people, {} tablets)",
                    sent.people, sent.tablets
                ),
            )
            .await;
            see_other("/messages?done=sent")
        }
        Err(e) => problem(format!("Not sent: {e}.")),
    }
}
