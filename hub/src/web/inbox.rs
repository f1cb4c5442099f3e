//! A coach's inbox ("messages to me"): what seniors wrote to this coach on their tablet,
//! one conversation per senior, unread first. Opening a conversation marks it read (the
//! senior's tablet then shows it seen); voice notes play in the browser and photos show,
//! from `/messages/media/…`, which serves a message only to the coach it was written to.
//! The coach answers in words or with a photo, through the same operation as
//! `nabij-hub message send`.

use super::html::{self, Notice};
use super::lang::t;
use super::messages::{message_fields, message_of, read_message_form};
use super::problems::explain;
use super::signed::{People, Signed};
use super::{Done, Me, Web, done_notice, failed, see_other, when};
use crate::app::{Audience, InboxContent, InboxMessage};
use crate::domain::accounts::Area;
use crate::domain::people::{FORMER_PARTICIPANT, Role as PersonRole};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use nabij_protocol::{Language, PersonId};

/// Messages shown in one conversation, newest first (older ones are in the senior's
/// export).
const SHOWN_MESSAGES: usize = 50;

/// The longest uid a message address may carry (`m-` and a 32-character id).
const MAX_UID_CHARS: usize = 64;

/// A sender's name: an erased senior is "a former participant".
fn name_of(lang: Language, person: &PersonId, name: &str) -> String {
    if person.as_str() == FORMER_PARTICIPANT {
        t!(lang, "a former participant").to_owned()
    } else {
        name.to_owned()
    }
}

/// What kind of message it was, in a word or two.
fn kind_words(lang: Language, kind: &str) -> &'static str {
    match kind {
        "voice" => t!(lang, "voice message"),
        "photo" => t!(lang, "photo"),
        _ => t!(lang, "text message"),
    }
}

/// A voice note's length: `0:42`.
fn minutes_seconds(ms: u32) -> String {
    let secs = ms.div_ceil(1000);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// `/messages`: the conversations, unread first, and the way to write to a group.
pub(super) async fn inbox(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let known = [(
        "sent",
        t!(lang, "Sent. Each tablet shows it as soon as it is online."),
    )];
    let notice = done_notice(&done, &known);
    let Some(coach) = me.account.coach.clone() else {
        return not_a_coach(&me);
    };
    let (conversations, groups) = match (web.hub.coach_inbox(&coach), web.hub.groups()) {
        (Ok(c), Ok(g)) => (c, g),
        (Err(e), _) | (_, Err(e)) => return failed(&me, &e),
    };
    let body = html! {
        p { a.button href="/messages/new" { (t!(lang, "Write to a group or a senior")) } }
        h2 { (t!(lang, "What seniors wrote to you")) }
        @if conversations.is_empty() {
            p.empty { (t!(lang, "No messages from seniors yet. What they write to you on their tablet comes here.")) }
        } @else {
            ul.inbox {
                @for c in &conversations {
                    li.unread[c.unread > 0] {
                        a href=(format!("/messages/from/{}", c.person)) {
                            strong { (name_of(lang, &c.person, &c.name)) }
                            @if let Some(g) = c.group.as_ref().and_then(|g| groups.iter().find(|x| &x.id == g)) {
                                " · " (g.name)
                            }
                            br;
                            @if c.unread > 0 {
                                span.badge { (t!(lang, "{} new", c.unread)) } " "
                            }
                            small { (kind_words(lang, &c.last_kind)) ", " (when(lang, c.last_at)) }
                        }
                    }
                }
            }
        }
    };
    me.page(
        StatusCode::OK,
        t!(lang, "Messages to me"),
        notice.as_ref(),
        body,
    )
}

/// The page for an account that has no coach behind it (an admin's mistake).
fn not_a_coach(me: &Me) -> Response {
    let lang = me.lang();
    me.page(
        StatusCode::FORBIDDEN,
        t!(lang, "Messages to me"),
        Some(&Notice::Problem(
            t!(lang, "This account is not linked to a coach; ask an admin.").to_owned(),
        )),
        html! {},
    )
}

/// The page that says there is no such conversation.
fn no_conversation(me: &Me) -> Response {
    let lang = me.lang();
    super::not_found(
        me,
        t!(
            lang,
            "There is no such conversation here (any more). Go back to the list."
        ),
        ("/messages", t!(lang, "Back to the messages to you")),
    )
}

/// One message as the coach reads it.
fn message(lang: Language, name: &str, m: &InboxMessage) -> Markup {
    html! {
        article.msg.new[m.read_at.is_none()] {
            p.when {
                (when(lang, m.received_at))
                @if m.read_at.is_none() { " · " strong { (t!(lang, "new")) } }
            }
            @match &m.content {
                InboxContent::Text(text) => p.text { (text) },
                InboxContent::Voice { duration_ms } => {
                    audio controls preload="none" src=(format!("/messages/media/{}", m.uid)) {
                        a href=(format!("/messages/media/{}", m.uid)) { (t!(lang, "Listen")) }
                    }
                    p.hint { (t!(lang, "Voice message, {}", minutes_seconds(*duration_ms))) }
                },
                InboxContent::Photo { caption } => {
                    img.photo src=(format!("/messages/media/{}", m.uid)) alt=(t!(lang, "Photo from {}", name));
                    @if let Some(caption) = caption { p.text { (caption) } }
                },
                InboxContent::Forgotten => p.empty { (t!(lang, "What this message said is no longer kept.")) },
            }
        }
    }
}

/// `/messages/from/{person}`: what a senior wrote to this coach, the new messages first,
/// then the answer form, then the earlier ones. Opening it marks it read.
pub(super) async fn conversation(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let known = [(
        "sent",
        t!(lang, "Sent. Their tablet shows it as soon as it is online."),
    )];
    conversation_page(
        &web,
        &me,
        &person,
        StatusCode::OK,
        done_notice(&done, &known),
        "",
    )
    .await
}

async fn conversation_page(
    web: &Web,
    me: &Me,
    person: &str,
    status: StatusCode,
    notice: Option<Notice>,
    typed: &str,
) -> Response {
    let lang = me.lang();
    let Some(coach) = me.account.coach.clone() else {
        return not_a_coach(me);
    };
    let Ok(from) = PersonId::parse(person) else {
        return no_conversation(me);
    };
    let senior = web.hub.person(&from).ok();
    let messages = match web.hub.inbox_messages(&coach, &from, SHOWN_MESSAGES) {
        Ok(messages) => messages,
        Err(e) => return failed(me, &e),
    };
    // No contacts (or none readable): no answer form, the messages still show.
    let contacts = web.hub.contacts_of(&from).unwrap_or_default();
    let my_senior = senior
        .as_ref()
        .is_some_and(|p| p.role == PersonRole::Participant)
        && contacts.iter().any(|c| c.id == coach);
    // Only the coach it was written to reads a message: for anyone else there is nothing
    // here, not even that there is something.
    if messages.is_empty() && !my_senior {
        return no_conversation(me);
    }
    if messages.iter().any(|m| m.read_at.is_none())
        && let Err(e) = web.hub.read_inbox(&coach, &from).await
    {
        tracing::warn!(error = %e, "could not mark a conversation read");
    }
    let name = name_of(lang, &from, senior.as_ref().map_or("", |p| p.name.as_str()));
    let (new, earlier): (Vec<&InboxMessage>, Vec<&InboxMessage>) =
        messages.iter().partition(|m| m.read_at.is_none());
    let answer = html! {
        @if my_senior {
            h2 { (t!(lang, "Answer {}", name)) }
            form method="post" action=(format!("/messages/from/{from}")) enctype="multipart/form-data" {
                (html::csrf(&me.csrf))
                (message_fields(lang, typed))
            }
        } @else if senior.is_some() {
            p.hint {
                (t!(lang, "You can answer only your own contacts."))
                @if me.account.role.may(Area::People) {
                    " " a.tap href=(format!("/people/{from}")) { (t!(lang, "Approve them as your contact on their page.")) }
                }
            }
        }
    };
    let body = html! {
        @if let Some(phone) = senior.as_ref().and_then(|p| p.phone.as_deref()) {
            p { (super::followup::phone_link(phone)) }
        }
        @if !new.is_empty() {
            h2 { (t!(lang, "New")) }
            @for m in &new { (message(lang, &name, m)) }
        }
        (answer)
        @if !earlier.is_empty() {
            h2 { (t!(lang, "Earlier")) }
            @for m in &earlier { (message(lang, &name, m)) }
        }
        @if messages.is_empty() {
            p.empty { (t!(lang, "{} has not written to you yet.", name)) }
        }
        p { a.tap href="/messages" { (t!(lang, "Back to the messages to you")) } }
    };
    me.page(status, &name, notice.as_ref(), body)
}

/// The answer form of a conversation: words or a photo to that senior.
pub(super) async fn answer(
    State(web): State<Web>,
    // Who may send is checked before the body is read; the token after.
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = me.lang();
    let mut form = match read_message_form(lang, multipart).await {
        Ok(form) => form,
        Err(words) => {
            return conversation_page(
                &web,
                &me,
                &person,
                StatusCode::BAD_REQUEST,
                Some(Notice::Problem(words)),
                "",
            )
            .await;
        }
    };
    if let Err(answer) = super::check_token(&me, &form.csrf) {
        return *answer;
    }
    let typed = form.text.trim().to_owned();
    let Some(coach) = me.account.coach.clone() else {
        return not_a_coach(&me);
    };
    let Ok(to) = PersonId::parse(&person) else {
        return no_conversation(&me);
    };
    let sent = match message_of(lang, &mut form) {
        Ok((message, what)) => web
            .hub
            .send_from_coach(&coach, &Audience::Person(to.clone()), message)
            .await
            .map(|sent| (sent, what))
            .map_err(|e| t!(lang, "Not sent: {}", explain(lang, &e))),
        Err(words) => Err(words),
    };
    match sent {
        Ok((sent, what)) => {
            // Who and how many, not what: the audit log keeps no message content.
            web.audit(
                &me,
                &format!(
                    "sent {what} to {to} ({} people, {} tablets)",
                    sent.people, sent.tablets
                ),
            )
            .await;
            see_other(&format!("/messages/from/{to}?done=sent"))
        }
        Err(words) => {
            conversation_page(
                &web,
                &me,
                &person,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(Notice::Problem(words)),
                &typed,
            )
            .await
        }
    }
}

/// `/messages/media/{uid}`: a voice note or photo a senior sent, to the coach it was
/// written to only; anyone else (and any other address) gets "not found".
pub(super) async fn media(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(message): Path<String>,
) -> Response {
    let well_formed = !message.is_empty()
        && message.len() <= MAX_UID_CHARS
        && message
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let Some(coach) = me.account.coach.clone() else {
        return not_a_coach(&me);
    };
    let found = if well_formed {
        web.hub.inbox_media(&coach, &message)
    } else {
        Ok(None)
    };
    match found {
        Ok(Some(media)) => (
            [
                (header::CONTENT_TYPE, media.content_type),
                (header::CONTENT_DISPOSITION, "inline"),
                // A file a tablet sent, shown on its own: no scripts, no forms, nothing
                // from elsewhere, whatever is in it.
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                ),
            ],
            media.bytes,
        )
            .into_response(),
        Ok(None) => no_conversation(&me),
        Err(e) => failed(&me, &e),
    }
}
