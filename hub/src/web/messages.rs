//! A coach writes to one participant or a whole group, words or a photo with a line
//! under it: the same operation as `nabij-hub message send`, with the coach the account
//! belongs to as the sender. The form is `multipart/form-data` (the only way a browser
//! sends a file without scripts); its size is capped just above the largest photo.

use super::html::{self, Notice, csrf_field, esc};
use super::signed::{People, Signed};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::app::{Audience, CoachMessage};
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use nabij_protocol::{GroupId, PersonId};
use std::fmt::Write;

/// The largest message form: a photo at the protocol's limit, plus room for the fields
/// and the multipart framing.
const MAX_MESSAGE_FORM_BYTES: usize = nabij_protocol::limits::MAX_PHOTO_BYTES + 64 * 1024;

pub fn routes() -> Router<Web> {
    Router::new().route(
        "/messages",
        get(messages)
            .post(send)
            .layer(DefaultBodyLimit::max(MAX_MESSAGE_FORM_BYTES)),
    )
}

const MESSAGES_DONE: [(&str, &str); 1] = [(
    "sent",
    "Sent. Each tablet shows it as soon as it is online.",
)];

async fn messages(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Query(done): Query<Done>,
) -> Response {
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
         <form method=\"post\" action=\"/messages\" enctype=\"multipart/form-data\">{}\
         <label for=\"to\">To</label><select id=\"to\" name=\"to\">{options}</select>\
         <label for=\"text\">Message (with a photo: the line under it)</label>\
         <textarea id=\"text\" name=\"text\" rows=\"4\" maxlength=\"{max}\">{}</textarea>\
         <label for=\"photo\">Photo (JPEG or PNG, at most 1 MB; optional)</label>\
         <input id=\"photo\" name=\"photo\" type=\"file\" accept=\"image/jpeg,image/png\">\
         <p><button>Send</button></p></form>",
        csrf_field(&me.csrf),
        esc(text),
    );
    page_response(
        status,
        html::page_str(
            "Write to seniors",
            Some(&me.viewer()),
            notice.as_ref(),
            &body,
        ),
    )
}

/// The message form's fields.
#[derive(Default)]
struct SendForm {
    csrf: String,
    to: String,
    text: String,
    /// The photo file's bytes; empty when none was chosen.
    photo: Vec<u8>,
}

/// Reads the multipart form; unknown fields are skipped, a broken form is an error a
/// coach can act on.
async fn read_send_form(mut multipart: Multipart) -> Result<SendForm, String> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        format!(
            "The form did not arrive whole ({}). A photo may be at most 1 MB; try again.",
            e.body_text()
        )
    };
    let mut form = SendForm::default();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "photo" => form.photo = field.bytes().await.map_err(broken)?.to_vec(),
            "csrf" | "to" | "text" => {
                let value = field.text().await.map_err(broken)?;
                match name.as_str() {
                    "csrf" => form.csrf = value,
                    "to" => form.to = value,
                    _ => form.text = value,
                }
            }
            _ => {}
        }
    }
    Ok(form)
}

async fn send(
    State(web): State<Web>,
    // Who may send is checked before the body is read; the token after.
    Signed(me, _): Signed<People>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match multipart {
        Ok(multipart) => read_send_form(multipart).await,
        Err(e) => Err(format!(
            "The form could not be read ({}); open the page again.",
            e.body_text()
        )),
    };
    let form = match form {
        Ok(form) => form,
        Err(words) => {
            return messages_page(
                &web,
                &me,
                StatusCode::BAD_REQUEST,
                Some(Notice::Problem(words)),
                "",
            );
        }
    };
    if let Err(answer) = super::check_token(&me, &form.csrf) {
        return *answer;
    }
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
    let (message, what) = if !form.photo.is_empty() {
        let caption = (!text.is_empty()).then(|| text.clone());
        let image = nabij_protocol::base64::Base64Bytes(form.photo);
        (CoachMessage::Photo { image, caption }, "a photo")
    } else if text.is_empty() {
        return problem("Write the message or choose a photo first.".into());
    } else {
        (CoachMessage::Text { text: text.clone() }, "a message")
    };
    let target = match &to {
        Audience::Group(g) => g.to_string(),
        Audience::Person(p) => p.to_string(),
    };
    match web.hub.send_from_coach(&from, &to, message).await {
        Ok(sent) => {
            // Who and how many, not what: the audit log keeps no message content.
            web.audit(
                &me,
                &format!(
                    "sent {what} to {target} ({} people, {} tablets)",
                    sent.people, sent.tablets
                ),
            )
            .await;
            see_other("/messages?done=sent")
        }
        Err(e) => problem(format!("Not sent: {e}.")),
    }
}
