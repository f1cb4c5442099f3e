//! People for coaches: the participants with their details and consent, and each one's
//! contacts — approved by a coach, because only approved contacts can reach a senior.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{People, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other};
use crate::app::DetailChanges;
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use nabij_protocol::{GroupId, Language, PersonId};
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/people", get(people).post(add_person))
        .route("/people/{person}", get(person))
        .route("/people/{person}/details", post(details))
        .route("/people/{person}/export", get(export))
        .route("/people/{person}/erase", post(erase))
        .route("/people/{person}/contacts/approve", post(approve))
        .route("/people/{person}/contacts/remove", post(remove))
}

/// Who someone is, in a word or two.
fn role_words(role: PersonRole) -> &'static str {
    match role {
        PersonRole::Coach => "coach",
        PersonRole::Participant => "participant",
        PersonRole::Family => "family or friend",
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

const PEOPLE_DONE: [(&str, &str); 1] = [(
    "erased",
    "Erased. Messages they sent stay with the people they wrote to, from \"a former participant\".",
)];

async fn people(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Query(done): Query<Done>,
) -> Response {
    people_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &PEOPLE_DONE),
        &AddForm::default(),
    )
}

/// The `<option>`s of a group list, `chosen` selected, after a first "no group" option.
fn group_options(groups: &[crate::domain::people::Group], chosen: &str) -> String {
    let mut options = String::from("<option value=\"\">No group yet</option>");
    for g in groups {
        let _ = write!(
            options,
            "<option value=\"{}\"{}>{}</option>",
            esc(g.id.as_str()),
            if g.id.as_str() == chosen {
                " selected"
            } else {
                ""
            },
            esc(&g.name)
        );
    }
    options
}

fn people_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    typed: &AddForm,
) -> Response {
    let (people, groups) = match (web.hub.people(), web.hub.groups()) {
        (Ok(p), Ok(g)) => (p, g),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let cells: Vec<Vec<String>> = people
        .iter()
        .filter(|p| p.role == PersonRole::Participant)
        .map(|p| {
            let group = p
                .group
                .as_ref()
                .and_then(|g| groups.iter().find(|x| &x.id == g))
                .map_or("-", |g| g.name.as_str());
            vec![
                format!(
                    "<a href=\"/people/{}\">{}</a>",
                    esc(p.id.as_str()),
                    esc(&p.name)
                ),
                esc(group),
                esc(p.phone.as_deref().unwrap_or("-")),
                yes(p.transport).to_owned(),
                yes(p.consent.photos).to_owned(),
                yes(p.consent.research).to_owned(),
            ]
        })
        .collect();
    let others: Vec<Vec<String>> = people
        .iter()
        .filter(|p| p.role != PersonRole::Participant)
        .map(|p| {
            vec![
                format!(
                    "<a href=\"/people/{}\">{}</a>",
                    esc(p.id.as_str()),
                    esc(&p.name)
                ),
                role_words(p.role).to_owned(),
                esc(p.phone.as_deref().unwrap_or("-")),
            ]
        })
        .collect();
    let csrf = csrf_field(&me.csrf);
    // What was typed comes back only into the form it was typed in.
    let (participant, coach) = if typed.role == "coach" {
        (&AddForm::default(), typed)
    } else {
        (typed, &AddForm::default())
    };
    let languages: String = [("nl", "Dutch"), ("fr", "French"), ("en", "English")]
        .iter()
        .map(|(code, words)| {
            format!(
                "<option value=\"{code}\"{}>{words}</option>",
                if participant.language == *code {
                    " selected"
                } else {
                    ""
                }
            )
        })
        .collect();
    let body = format!(
        "<h2>Participants</h2>{}<h2>Coaches, family and friends</h2>{}\
         <h2>Add a participant</h2>\
         <form method=\"post\" action=\"/people\">{csrf}<input type=\"hidden\" name=\"role\" value=\"participant\">\
         <label for=\"p-name\">Name</label><input id=\"p-name\" name=\"name\" required maxlength=\"80\" value=\"{}\">\
         <label for=\"p-group\">Group</label><select id=\"p-group\" name=\"group\">{}</select>\
         <label for=\"p-language\">Language of the tablet</label><select id=\"p-language\" name=\"language\">{languages}</select>\
         <p><button>Add the participant</button></p></form>\
         <h2>Add a coach</h2>\
         <form method=\"post\" action=\"/people\">{csrf}<input type=\"hidden\" name=\"role\" value=\"coach\">\
         <label for=\"c-name\">Name</label><input id=\"c-name\" name=\"name\" required maxlength=\"80\" value=\"{}\">\
         <label for=\"c-phone\">Phone number the seniors call</label><input id=\"c-phone\" name=\"phone\" type=\"tel\" required maxlength=\"40\" value=\"{}\">\
         <label for=\"c-group\">Coach of the group</label><select id=\"c-group\" name=\"group\">{}</select>\
         <p><button>Add the coach</button></p></form>",
        table(
            &[
                "Participant",
                "Group",
                "Phone",
                "Transport",
                "Photos may be shared",
                "Counts in the evaluation"
            ],
            &cells,
            "No participants yet.",
        ),
        table(&["Name", "Who", "Phone"], &others, "No one yet."),
        esc(&participant.name),
        group_options(&groups, &participant.group),
        esc(&coach.name),
        esc(&coach.phone),
        group_options(&groups, &coach.group),
    );
    page_response(
        status,
        html::page_str("People", Some(&me.viewer()), notice.as_ref(), &body),
    )
}

/// Adding a participant or a coach (`role`); fields the other role has no use for are
/// ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AddForm {
    csrf: String,
    role: String,
    name: String,
    group: String,
    language: String,
    phone: String,
}

async fn add_person(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<People, AddForm>,
) -> Response {
    let problem = |text: String| {
        people_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
            &form,
        )
    };
    let group = match form.group.trim() {
        "" => None,
        id => match GroupId::parse(id) {
            Ok(id) => Some(id),
            Err(_) => return problem("Choose the group from the list.".into()),
        },
    };
    let added = match form.role.as_str() {
        "participant" => {
            let language = match form.language.as_str() {
                "nl" | "" => Language::Nl,
                "fr" => Language::Fr,
                "en" => Language::En,
                _ => return problem("Choose the language from the list.".into()),
            };
            web.hub
                .add_participant(&form.name, group.as_ref(), Some(language))
                .await
        }
        "coach" => {
            web.hub
                .add_coach(&form.name, &form.phone, group.as_ref())
                .await
        }
        _ => return problem("Use one of the two forms below.".into()),
    };
    match added {
        Ok(p) => {
            let group = p
                .group
                .as_ref()
                .map_or(String::new(), |g| format!(" in {g}"));
            web.audit(
                &me,
                &format!("added {} {}{group}", role_words(p.role), p.id),
            )
            .await;
            see_other(&format!("/people/{}?done=added", p.id))
        }
        Err(e) => problem(format!("Not added: {e}.")),
    }
}

const PERSON_DONE: [(&str, &str); 4] = [
    (
        "added",
        "Added. Approve their contacts below; pair a tablet for them under Tablets.",
    ),
    ("saved", "Saved."),
    (
        "approved",
        "They are contacts now; both tablets show it within a minute.",
    ),
    (
        "removed",
        "They are no longer contacts; both tablets show it within a minute.",
    ),
];

async fn person(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    person_page(
        &web,
        &me,
        &person,
        StatusCode::OK,
        done_notice(&done, &PERSON_DONE),
    )
}

fn checkbox(name: &str, label: &str, on: bool) -> String {
    format!(
        "<label><input type=\"checkbox\" name=\"{name}\" value=\"yes\"{}> {label}</label>",
        if on { " checked" } else { "" }
    )
}

/// The person's page again, with what was wrong with the form sent from it.
fn person_problem(web: &Web, me: &Me, person: &str, text: String) -> Response {
    person_page(
        web,
        me,
        person,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(Notice::Problem(text)),
    )
}

fn person_page(
    web: &Web,
    me: &Me,
    id: &str,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let Some(p) = PersonId::parse(id)
        .ok()
        .and_then(|id| web.hub.person(&id).ok())
    else {
        return super::not_found(
            me,
            "There is no such person here (any more). Go back to the list.",
            ("/people", "People"),
        );
    };
    let (contacts, everyone) = match (web.hub.contacts_of(&p.id), web.hub.people()) {
        (Ok(c), Ok(e)) => (c, e),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let pid = esc(p.id.as_str());
    let csrf = csrf_field(&me.csrf);
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            vec![
                esc(&c.name),
                role_words(c.role).to_owned(),
                format!(
                    "<details><summary>Remove</summary><form method=\"post\" action=\"/people/{pid}/contacts/remove\">{csrf}\
                     <input type=\"hidden\" name=\"other\" value=\"{}\">\
                     <label><input type=\"checkbox\" name=\"sure\" value=\"yes\" required> Yes, they may no longer write to each other</label>\
                     <button>Remove the contact</button></form></details>",
                    esc(c.id.as_str())
                ),
            ]
        })
        .collect();
    let mut options = String::new();
    for other in everyone
        .iter()
        .filter(|o| o.id != p.id && !contacts.iter().any(|c| c.id == o.id))
    {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(other.id.as_str()),
            esc(&other.name)
        );
    }
    // Details and consent are a participant's; a coach's are kept on the command line.
    let details = if p.role == PersonRole::Participant {
        format!(
            "<h2>Details</h2>\
             <form method=\"post\" action=\"/people/{pid}/details\">{csrf}\
             <label for=\"phone\">Phone</label><input id=\"phone\" name=\"phone\" maxlength=\"40\" value=\"{}\">\
             <label for=\"address\">Address</label><input id=\"address\" name=\"address\" maxlength=\"200\" value=\"{}\">\
             {}{}{}\
             <p><button>Save</button></p></form>",
            esc(p.phone.as_deref().unwrap_or("")),
            esc(p.address.as_deref().unwrap_or("")),
            checkbox("transport", "Needs transport to the meetings", p.transport),
            checkbox(
                "consent_photos",
                "Agreed that photos of them may be shared in the group",
                p.consent.photos
            ),
            checkbox(
                "consent_research",
                "Agreed to count in the evaluation (questionnaires, figures)",
                p.consent.research
            ),
        )
    } else {
        format!("<p>{}</p>", role_words(p.role))
    };
    let their_data = if p.role == PersonRole::Participant {
        format!(
            "<h2>Their data</h2>\
             <p><a href=\"/people/{pid}/export\">Download everything the hub keeps about {name} (zip)</a>. \
             It holds personal data: hand it over, then delete it.</p>\
             <details><summary>Erase {name}</summary>\
             <p>Their details, answers, meetings and the messages sent to them are erased for good. \
             Messages they sent stay with the people they wrote to, from \"a former participant\". \
             Take back or wipe their tablet first.</p>\
             <form method=\"post\" action=\"/people/{pid}/erase\">{csrf}\
             <label for=\"confirm\">Type their full name to confirm</label>\
             <input id=\"confirm\" name=\"confirm\" required autocomplete=\"off\">\
             <p><button>Erase for good</button></p></form></details>",
            name = esc(&p.name),
        )
    } else {
        String::new()
    };
    let body = format!(
        "{details}<h2>Contacts</h2><p>Only these people can write to {} and be written to.</p>{}\
         <form method=\"post\" action=\"/people/{pid}/contacts/approve\">{csrf}\
         <label for=\"other\">Approve a new contact</label><select id=\"other\" name=\"other\">{options}</select>\
         <p><button>Approve</button></p></form>\
         {their_data}<p><a href=\"/people\">Back to people</a></p>",
        esc(&p.name),
        table(&["Name", "Who", ""], &rows, "No contacts yet."),
    );
    page_response(
        status,
        html::page_str(&p.name, Some(&me.viewer()), notice.as_ref(), &body),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailsForm {
    csrf: String,
    phone: String,
    address: String,
    transport: String,
    consent_photos: String,
    consent_research: String,
}

async fn details(
    State(web): State<Web>,
    Path(person): Path<String>,
    SignedForm(me, form, _): SignedForm<People, DetailsForm>,
) -> Response {
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let Ok(id) = PersonId::parse(&person) else {
        return problem("There is no such person.".into());
    };
    let text = |s: &str, max: usize| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.chars().take(max).collect::<String>())
    };
    let changes = DetailChanges {
        phone: Some(text(&form.phone, 40)),
        address: Some(text(&form.address, 200)),
        // An unticked box is not sent at all: no means no.
        transport: Some(form.transport == "yes"),
        consent_photos: Some(form.consent_photos == "yes"),
        consent_research: Some(form.consent_research == "yes"),
        consent_keepsake: None,
    };
    match web.hub.update_participant(&id, changes).await {
        Ok(p) => {
            web.audit(
                &me,
                &format!(
                    "changed the details of {} (transport {}, photos {}, evaluation {})",
                    p.id,
                    yes(p.transport),
                    yes(p.consent.photos),
                    yes(p.consent.research)
                ),
            )
            .await;
            see_other(&format!("/people/{id}?done=saved"))
        }
        Err(e) => problem(format!("Not saved: {e}.")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactForm {
    csrf: String,
    other: String,
    sure: String,
}

async fn approve(
    State(web): State<Web>,
    Path(person): Path<String>,
    SignedForm(me, form, _): SignedForm<People, ContactForm>,
) -> Response {
    contact_change(web, me, person, form, true).await
}

async fn remove(
    State(web): State<Web>,
    Path(person): Path<String>,
    SignedForm(me, form, _): SignedForm<People, ContactForm>,
) -> Response {
    contact_change(web, me, person, form, false).await
}

async fn contact_change(
    web: Web,
    me: Me,
    person: String,
    form: ContactForm,
    approve: bool,
) -> Response {
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let (Ok(a), Ok(b)) = (PersonId::parse(&person), PersonId::parse(form.other.trim())) else {
        return problem("Choose the person from the list.".into());
    };
    if !approve && form.sure != "yes" {
        return problem("Tick the box to remove the contact.".into());
    }
    let done = if approve {
        web.hub.approve_contacts(&a, &b).await
    } else {
        web.hub.remove_contact(&a, &b).await
    };
    match done {
        Ok((pa, pb)) => {
            let verb = if approve { "approved" } else { "removed" };
            web.audit(
                &me,
                &format!("{verb} the contact between {} and {}", pa.id, pb.id),
            )
            .await;
            see_other(&format!("/people/{a}?done={verb}"))
        }
        Err(e) => problem(format!("Not changed: {e}.")),
    }
}

async fn export(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
) -> Response {
    let Some(id) = PersonId::parse(&person).ok() else {
        return super::not_found(
            &me,
            "There is no such person here (any more). Go back to the list.",
            ("/people", "People"),
        );
    };
    let zip = web
        .hub
        .export_participant(&id)
        .await
        .map_err(|e| e.to_string())
        .and_then(|export| {
            let bytes = export.to_zip().map_err(|e| e.to_string())?;
            Ok((export.file_name(), bytes))
        });
    match zip {
        Ok((name, bytes)) => {
            web.audit(&me, &format!("exported the data of {id}")).await;
            (
                [
                    (header::CONTENT_TYPE, "application/zip".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => person_problem(&web, &me, &person, format!("No export: {e}.")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    csrf: String,
    confirm: String,
}

async fn erase(
    State(web): State<Web>,
    Path(person): Path<String>,
    SignedForm(me, form, _): SignedForm<People, EraseForm>,
) -> Response {
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let Some(found) = PersonId::parse(&person)
        .ok()
        .and_then(|id| web.hub.person(&id).ok())
    else {
        return super::not_found(
            &me,
            "There is no such person here (any more). Go back to the list.",
            ("/people", "People"),
        );
    };
    if !crate::domain::people::confirms_name(&found, &form.confirm) {
        return problem(format!(
            "Nothing was erased: type {} exactly as written to confirm.",
            found.name
        ));
    }
    match web.hub.erase_participant(&found.id).await {
        Ok(erased) => {
            // What was done, not to whom: their id would be a trace of them.
            web.audit(
                &me,
                &format!(
                    "erased a participant ({} messages kept for others, {} forgotten)",
                    erased.messages_kept, erased.messages_forgotten
                ),
            )
            .await;
            see_other("/people?done=erased")
        }
        Err(e) => problem(format!("Nothing was erased: {e}.")),
    }
}

super::signed::token_forms!(AddForm, DetailsForm, ContactForm, EraseForm);
