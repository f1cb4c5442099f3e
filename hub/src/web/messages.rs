//! A coach writes to one senior or a whole group, words or a photo with a line under it:
//! the same operation as `nabij-hub message send`, with the coach the account belongs to
//! as the sender (`/messages/new`). The form is `multipart/form-data` (the only way a
//! browser sends a file without scripts); its size is capped just above the largest
//! photo. `/messages` itself is the coach's inbox (`inbox.rs`).

use super::html::{self, Notice};
use super::inbox;
use super::lang::t;
use super::problems::explain;
use super::signed::{People, Signed};
use super::{Me, Web, failed, own, see_other};
use crate::app::{Audience, CoachMessage};
use crate::domain::people::{Group, Person};
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use nabij_protocol::{GroupId, Language, PersonId};
use serde::Deserialize;

/// The largest message form: a photo at the protocol's limit, plus room for the fields
/// and the multipart framing.
const MAX_MESSAGE_FORM_BYTES: usize = nabij_protocol::limits::MAX_PHOTO_BYTES + 64 * 1024;

pub fn routes() -> Router<Web> {
    Router::new()
        .route(
            "/messages",
            get(inbox::inbox)
                .post(send)
                .layer(DefaultBodyLimit::max(MAX_MESSAGE_FORM_BYTES)),
        )
        .route("/messages/new", get(write))
        .route(
            "/messages/from/{person}",
            get(inbox::conversation)
                .post(inbox::answer)
                .layer(DefaultBodyLimit::max(MAX_MESSAGE_FORM_BYTES)),
        )
        .route("/messages/media/{message}", get(inbox::media))
}

/// `/messages/new?to=person:p-…`: the form with who it is for chosen (a senior's page
/// links here).
#[derive(Deserialize, Default)]
#[serde(default)]
struct WriteQuery {
    to: String,
}

async fn write(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Query(query): Query<WriteQuery>,
) -> Response {
    let typed = Typed {
        to: query.to.chars().take(100).collect(),
        text: String::new(),
    };
    write_page(&web, &me, StatusCode::OK, None, &typed)
}

/// What the coach typed and chose, shown again with a problem.
#[derive(Default)]
struct Typed {
    to: String,
    text: String,
}

/// "To": the coach's own groups and their seniors first, then the others. Their own
/// group is chosen unless the address chose someone; with no group of their own,
/// nothing is, so that a message never goes to someone else's group by default.
fn to_options(
    lang: Language,
    groups_and_people: (&[Group], &[Person]),
    own: &[GroupId],
    chosen: &str,
) -> Markup {
    let (groups, people) = groups_and_people;
    let groups = own::groups_first(groups, own);
    let seniors = own::participants_first(people, own);
    let value_of_group = |g: &GroupId| format!("group:{g}");
    let value_of_person = |p: &PersonId| format!("person:{p}");
    let known = groups.iter().any(|g| value_of_group(&g.id) == chosen)
        || seniors.iter().any(|p| value_of_person(&p.id) == chosen);
    let chosen = if known {
        chosen.to_owned()
    } else {
        own.first().map(value_of_group).unwrap_or_default()
    };
    let (my_groups, other_groups): (Vec<&Group>, Vec<&Group>) =
        groups.iter().copied().partition(|g| own.contains(&g.id));
    let (my_seniors, other_seniors): (Vec<&Person>, Vec<&Person>) =
        seniors.iter().copied().partition(|p| own::is_own(p, own));
    html! {
        @if chosen.is_empty() {
            option value="" { (t!(lang, "Choose who it is for")) }
        }
        @if !my_groups.is_empty() {
            optgroup label=(t!(lang, "Your group, everyone in it")) {
                @for g in &my_groups {
                    @let v = value_of_group(&g.id);
                    option value=(v) selected[v == chosen] { (g.name) }
                }
            }
        }
        @if !my_seniors.is_empty() {
            optgroup label=(t!(lang, "One senior of your group")) {
                @for p in &my_seniors {
                    @let v = value_of_person(&p.id);
                    option value=(v) selected[v == chosen] { (p.name) }
                }
            }
        }
        @if !other_groups.is_empty() {
            optgroup label=(t!(lang, "Another group, everyone in it")) {
                @for g in &other_groups {
                    @let v = value_of_group(&g.id);
                    option value=(v) selected[v == chosen] { (g.name) }
                }
            }
        }
        @if !other_seniors.is_empty() {
            optgroup label=(t!(lang, "Another senior")) {
                @for p in &other_seniors {
                    @let v = value_of_person(&p.id);
                    option value=(v) selected[v == chosen] { (p.name) }
                }
            }
        }
    }
}

/// The words and photo fields of a message form, and its button (the write form and the
/// inbox's answer share them).
pub(super) fn message_fields(lang: Language, text: &str) -> Markup {
    let max = nabij_protocol::limits::MAX_TEXT_CHARS;
    html! {
        // Short labels: on a phone the button stays in reach under the three fields.
        label for="text" { (t!(lang, "Message")) }
        textarea id="text" name="text" rows="3" maxlength=(max) placeholder=(t!(lang, "With a photo: the line under it")) { (text) }
        label for="photo" { (t!(lang, "Photo (optional)")) }
        input id="photo" name="photo" type="file" accept="image/jpeg,image/png";
        p { button { (t!(lang, "Send")) } }
    }
}

fn write_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    typed: &Typed,
) -> Response {
    let lang = me.lang();
    let (groups, people) = match (web.hub.groups(), web.hub.people()) {
        (Ok(g), Ok(p)) => (g, p),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let own = own::groups(me, &groups);
    // The essential fields first, the button right under them: it is in reach on a phone.
    let body = html! {
        form method="post" action="/messages" enctype="multipart/form-data" {
            (html::csrf(&me.csrf))
            label for="to" { (t!(lang, "To")) }
            select id="to" name="to" required { (to_options(lang, (&groups, &people), &own, &typed.to)) }
            (message_fields(lang, &typed.text))
        }
        p.hint { (t!(lang, "Short and plain: the seniors read it in large letters.")) }
        p { a.tap href="/messages" { (t!(lang, "Back to the messages to you")) } }
    };
    me.page(status, t!(lang, "Write to seniors"), notice.as_ref(), body)
}

/// A message form's fields.
#[derive(Default)]
pub(super) struct MessageForm {
    pub(super) csrf: String,
    pub(super) to: String,
    pub(super) text: String,
    /// The photo file's bytes; empty when none was chosen.
    pub(super) photo: Vec<u8>,
}

/// Reads a multipart message form; unknown fields are skipped, a broken form is a
/// problem a coach can act on (said in `lang`; axum's reason goes to the log).
pub(super) async fn read_message_form(
    lang: Language,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<MessageForm, String> {
    let broken = |e: &dyn std::fmt::Display| {
        tracing::info!(error = %e, "a message form did not arrive whole");
        t!(
            lang,
            "The form did not arrive whole. A photo may be at most 1 MB; try again."
        )
        .to_owned()
    };
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(e) => {
            tracing::info!(error = %e, "a message form could not be read");
            return Err(t!(lang, "The form could not be read; open the page again.").to_owned());
        }
    };
    let mut form = MessageForm::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| broken(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "photo" => form.photo = field.bytes().await.map_err(|e| broken(&e))?.to_vec(),
            "csrf" | "to" | "text" => {
                let value = field.text().await.map_err(|e| broken(&e))?;
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

/// The message the form holds, and what it is for the audit log ("a photo", "a
/// message"); `Err`: the form holds nothing to send.
pub(super) fn message_of(
    lang: Language,
    form: &mut MessageForm,
) -> Result<(CoachMessage, &'static str), String> {
    let text = form.text.trim().to_owned();
    if !form.photo.is_empty() {
        let caption = (!text.is_empty()).then_some(text);
        let image = nabij_protocol::base64::Base64Bytes(std::mem::take(&mut form.photo));
        Ok((CoachMessage::Photo { image, caption }, "a photo"))
    } else if text.is_empty() {
        Err(t!(lang, "Write the message or choose a photo first.").to_owned())
    } else {
        Ok((CoachMessage::Text { text }, "a message"))
    }
}

async fn send(
    State(web): State<Web>,
    // Who may send is checked before the body is read; the token after.
    Signed(me, _): Signed<People>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = me.lang();
    let mut form = match read_message_form(lang, multipart).await {
        Ok(form) => form,
        Err(words) => {
            return write_page(
                &web,
                &me,
                StatusCode::BAD_REQUEST,
                Some(Notice::Problem(words)),
                &Typed::default(),
            );
        }
    };
    if let Err(answer) = super::check_token(&me, &form.csrf) {
        return *answer;
    }
    let typed = Typed {
        to: form.to.chars().take(100).collect(),
        text: form.text.trim().to_owned(),
    };
    let problem = |words: String| {
        write_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(words)),
            &typed,
        )
    };
    let Some(from) = me.account.coach.clone() else {
        return problem(
            t!(lang, "This account is not linked to a coach; ask an admin.").to_owned(),
        );
    };
    let to = match form.to.split_once(':') {
        Some(("group", id)) => GroupId::parse(id).ok().map(Audience::Group),
        Some(("person", id)) => PersonId::parse(id).ok().map(Audience::Person),
        _ => None,
    };
    let Some(to) = to else {
        return problem(t!(lang, "Choose who the message is for.").to_owned());
    };
    let (message, what) = match message_of(lang, &mut form) {
        Ok(message) => message,
        Err(words) => return problem(words),
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
        Err(e) => problem(t!(lang, "Not sent: {}", explain(lang, &e))),
    }
}
