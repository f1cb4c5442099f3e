//! People for coaches: the seniors by group (the coach's own group open, the others
//! folded, a search by name), coaches, family and friends, each senior's details and
//! consent, and each one's contacts — approved by a coach, because only approved contacts
//! can reach a senior.

use super::followup::phone_link;
use super::html::{self, Notice};
use super::lang::{self, t};
use super::problems::{explain, state_word};
use super::signed::{People, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, own, see_other};
use crate::app::{DetailChanges, DeviceRow};
use crate::domain::accounts::Area;
use crate::domain::people::{Group, Person, Role as PersonRole};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use nabij_protocol::{GroupId, Language, PersonId};
use serde::Deserialize;

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

/// The longest search accepted (a name has at most 80 characters).
const MAX_SEARCH_CHARS: usize = 80;

/// Who someone is, in a word or two, in `lang`.
fn role_words(lang: Language, role: PersonRole) -> &'static str {
    match role {
        PersonRole::Coach => t!(lang, "coach"),
        PersonRole::Participant => t!(lang, "senior"),
        PersonRole::Family => t!(lang, "family or friend"),
    }
}

/// Who someone is, for the audit log (English, like the rest of it).
fn role_name(role: PersonRole) -> &'static str {
    match role {
        PersonRole::Coach => "coach",
        PersonRole::Participant => "participant",
        PersonRole::Family => "family or friend",
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `/people?q=…`: a search by name, and the `?done=` notice.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PeopleQuery {
    done: String,
    q: String,
}

async fn people(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Query(query): Query<PeopleQuery>,
) -> Response {
    let lang = me.lang();
    let known = [(
        "erased",
        t!(
            lang,
            "Erased. Messages they sent stay with the people they wrote to, from \"a former participant\"."
        ),
    )];
    let notice = done_notice(&Done { done: query.done }, &known);
    let search: String = query.q.trim().chars().take(MAX_SEARCH_CHARS).collect();
    people_page(
        &web,
        &me,
        StatusCode::OK,
        notice,
        &AddForm::default(),
        &search,
    )
}

/// The `<option>`s of a group list, the coach's own groups first, `chosen` selected,
/// after a first "no group" option.
fn group_options(lang: Language, groups: &[Group], own: &[GroupId], chosen: &str) -> Markup {
    html! {
        option value="" { (t!(lang, "No group yet")) }
        @for g in own::groups_first(groups, own) {
            option value=(g.id.as_str()) selected[g.id.as_str() == chosen] { (g.name) }
        }
    }
}

/// The seniors' table: name, phone, tablet, transport, consent.
fn seniors_table(me: &Me, seniors: &[&Person], tablets: &[DeviceRow]) -> Markup {
    let lang = me.lang();
    // No link to a page the account may not open.
    let tablet_pages = me.account.role.may(Area::Devices);
    let rows = seniors
        .iter()
        .map(|p| {
            let tablet = tablets
                .iter()
                .find(|r| r.device.participant == p.id && r.device.state.may_connect());
            let mut agreed = Vec::new();
            if p.consent.photos {
                agreed.push(t!(lang, "photos"));
            }
            if p.consent.research {
                agreed.push(t!(lang, "evaluation"));
            }
            vec![
                html! { a.tap href=(format!("/people/{}", p.id)) { (p.name) } },
                html! {
                    @match &p.phone {
                        Some(phone) => (phone_link(phone)),
                        None => "–",
                    }
                },
                html! {
                    @match tablet {
                        Some(row) => (state_word(lang, row.device.state)),
                        None if tablet_pages => a.tap href=(format!("/devices?for={}", p.id)) { (t!(lang, "Pair a tablet")) },
                        None => (t!(lang, "no tablet")),
                    }
                },
                html! { @if p.transport { (t!(lang, "needs transport")) } @else { "–" } },
                html! {
                    @if agreed.is_empty() { "–" } @else { (agreed.join(", ")) }
                },
            ]
        })
        .collect();
    // On a phone each senior is a short card (`.seniors` in the style sheet): a group of
    // twenty stays a few screens long.
    html! {
        div.seniors {
            (html::table(
                &[
                    t!(lang, "Senior"),
                    t!(lang, "Phone"),
                    t!(lang, "Tablet"),
                    t!(lang, "Transport"),
                    t!(lang, "Agreed to"),
                ],
                rows,
                t!(lang, "No seniors here."),
            ))
        }
    }
}

fn people_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    typed: &AddForm,
    search: &str,
) -> Response {
    let lang = me.lang();
    let (people, groups, tablets) =
        match (web.hub.people(), web.hub.groups(), web.hub.devices(false)) {
            (Ok(p), Ok(g), Ok(t)) => (p, g, t),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return failed(me, &e),
        };
    let own = own::groups(me, &groups);
    let seniors = own::participants_first(&people, &own);
    let wanted = own::fold(search);
    let found: Vec<&Person> = people
        .iter()
        .filter(|p| !wanted.is_empty() && own::fold(&p.name).contains(&wanted))
        .collect();
    let others: Vec<&Person> = people
        .iter()
        .filter(|p| p.role != PersonRole::Participant)
        .collect();
    let others_table = |list: &[&Person]| {
        let rows = list
            .iter()
            .map(|p| {
                vec![
                    html! { a.tap href=(format!("/people/{}", p.id)) { (p.name) } },
                    html! { (role_words(lang, p.role)) },
                    html! {
                        @match &p.phone {
                            Some(phone) => (phone_link(phone)),
                            None => "–",
                        }
                    },
                ]
            })
            .collect();
        html::table(
            &[t!(lang, "Name"), t!(lang, "Who"), t!(lang, "Phone")],
            rows,
            t!(lang, "No one yet."),
        )
    };
    // What was typed comes back only into the form it was typed in; a fresh form for a
    // senior puts them in the coach's own group.
    let fresh = typed.role.is_empty();
    let (participant, coach) = if typed.role == "coach" {
        (&AddForm::default(), typed)
    } else {
        (typed, &AddForm::default())
    };
    let participant_group = if fresh {
        own::groups_first(&groups, &own)
            .first()
            .filter(|g| own.contains(&g.id))
            .map_or(String::new(), |g| g.id.to_string())
    } else {
        participant.group.clone()
    };
    let sections = html! {
        @for group in own::groups_first(&groups, &own) {
            @let members: Vec<&Person> = seniors.iter().copied().filter(|p| p.group.as_ref() == Some(&group.id)).collect();
            @if own.contains(&group.id) {
                section.group {
                    h2 { (group.name) " " span.count { (t!(lang, "({} seniors)", members.len())) } }
                    (seniors_table(me, &members, &tablets))
                }
            } @else if !members.is_empty() {
                details.group {
                    summary { (group.name) " " span.count { (t!(lang, "({} seniors)", members.len())) } }
                    (seniors_table(me, &members, &tablets))
                }
            }
        }
        @let loose: Vec<&Person> = seniors.iter().copied().filter(|p| p.group.as_ref().is_none_or(|g| !groups.iter().any(|x| &x.id == g))).collect();
        @if !loose.is_empty() {
            details.group {
                summary { (t!(lang, "Not in a group")) " " span.count { (t!(lang, "({} seniors)", loose.len())) } }
                (seniors_table(me, &loose, &tablets))
            }
        }
        @if seniors.is_empty() {
            p.empty { (t!(lang, "No seniors yet.")) }
        }
    };
    let body = html! {
        form.search method="get" action="/people" role="search" {
            label for="q" { (t!(lang, "Find someone by name")) }
            div.row {
                input id="q" name="q" type="search" maxlength=(MAX_SEARCH_CHARS) value=(search) autocomplete="off";
                button { (t!(lang, "Find")) }
            }
        }
        @if !wanted.is_empty() {
            h2 { (t!(lang, "Names with \"{}\" ({})", search, found.len())) }
            @let found_seniors: Vec<&Person> = found.iter().copied().filter(|p| p.role == PersonRole::Participant).collect();
            @let found_others: Vec<&Person> = found.iter().copied().filter(|p| p.role != PersonRole::Participant).collect();
            @if found.is_empty() {
                p.empty { (t!(lang, "No one has that in their name.")) }
            }
            @if !found_seniors.is_empty() { (seniors_table(me, &found_seniors, &tablets)) }
            @if !found_others.is_empty() { (others_table(&found_others)) }
            p { a.tap href="/people" { (t!(lang, "Show everyone")) } }
        } @else {
            (sections)
            details.more {
                summary { (t!(lang, "Coaches, family and friends")) " " span.count { "(" (others.len()) ")" } }
                (others_table(&others))
            }
        }
        details.more open[typed.role == "participant"] {
            summary { (t!(lang, "Add a senior")) }
            form method="post" action="/people" {
                (html::csrf(&me.csrf))
                input type="hidden" name="role" value="participant";
                label for="p-name" { (t!(lang, "Name")) }
                input id="p-name" name="name" required maxlength="80" value=(participant.name);
                label for="p-group" { (t!(lang, "Group")) }
                select id="p-group" name="group" { (group_options(lang, &groups, &own, &participant_group)) }
                label for="p-language" { (t!(lang, "Language of the tablet")) }
                select id="p-language" name="language" {
                    @for l in lang::ALL {
                        option value=(lang::code(l)) selected[participant.language == lang::code(l)] { (lang::own_name(l)) }
                    }
                }
                p { button { (t!(lang, "Add the senior")) } }
            }
        }
        details.more open[typed.role == "coach"] {
            summary { (t!(lang, "Add a coach")) }
            form method="post" action="/people" {
                (html::csrf(&me.csrf))
                input type="hidden" name="role" value="coach";
                label for="c-name" { (t!(lang, "Name")) }
                input id="c-name" name="name" required maxlength="80" value=(coach.name);
                label for="c-phone" { (t!(lang, "Phone number the seniors call")) }
                input id="c-phone" name="phone" type="tel" required maxlength="40" value=(coach.phone);
                label for="c-group" { (t!(lang, "Coach of the group")) }
                select id="c-group" name="group" { (group_options(lang, &groups, &own, &coach.group)) }
                p { button { (t!(lang, "Add the coach")) } }
            }
        }
    };
    me.page(status, t!(lang, "People"), notice.as_ref(), body)
}

/// Adding a senior or a coach (`role`); fields the other role has no use for are
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
    let lang = me.lang();
    let problem = |text: String| {
        people_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
            &form,
            "",
        )
    };
    let group = match form.group.trim() {
        "" => None,
        id => match GroupId::parse(id) {
            Ok(id) => Some(id),
            Err(_) => return problem(t!(lang, "Choose the group from the list.").to_owned()),
        },
    };
    let added = match form.role.as_str() {
        "participant" => {
            let language = match form.language.as_str() {
                "nl" | "" => Language::Nl,
                "fr" => Language::Fr,
                "en" => Language::En,
                _ => {
                    return problem(t!(lang, "Choose the language from the list.").to_owned());
                }
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
        _ => return problem(t!(lang, "Use one of the two forms below.").to_owned()),
    };
    match added {
        Ok(p) => {
            let group = p
                .group
                .as_ref()
                .map_or(String::new(), |g| format!(" in {g}"));
            web.audit(&me, &format!("added {} {}{group}", role_name(p.role), p.id))
                .await;
            see_other(&format!("/people/{}?done=added", p.id))
        }
        Err(e) => problem(t!(lang, "Not added: {}", explain(lang, &e))),
    }
}

async fn person(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let known = [
        (
            "added",
            t!(
                lang,
                "Added. Approve their contacts below; pair a tablet for them under Tablets."
            ),
        ),
        ("saved", t!(lang, "Saved.")),
        (
            "approved",
            t!(
                lang,
                "They are contacts now; both tablets show it within a minute."
            ),
        ),
        (
            "removed",
            t!(
                lang,
                "They are no longer contacts; both tablets show it within a minute."
            ),
        ),
    ];
    person_page(
        &web,
        &me,
        &person,
        StatusCode::OK,
        done_notice(&done, &known),
    )
}

fn checkbox(name: &str, label: &str, on: bool) -> Markup {
    html! {
        label.tick { input type="checkbox" name=(name) value="yes" checked[on]; " " (label) }
    }
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

/// The page that says there is no such person, with the way back to the list.
fn no_such_person(me: &Me) -> Response {
    let lang = me.lang();
    super::not_found(
        me,
        t!(
            lang,
            "There is no such person here (any more). Go back to the list."
        ),
        ("/people", t!(lang, "Back to people")),
    )
}

fn person_page(
    web: &Web,
    me: &Me,
    id: &str,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let lang = me.lang();
    let Some(p) = PersonId::parse(id)
        .ok()
        .and_then(|id| web.hub.person(&id).ok())
    else {
        return no_such_person(me);
    };
    let (contacts, everyone, groups, tablets) = match (
        web.hub.contacts_of(&p.id),
        web.hub.people(),
        web.hub.groups(),
        web.hub.devices(false),
    ) {
        (Ok(c), Ok(e), Ok(g), Ok(t)) => (c, e, g, t),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return failed(me, &e);
        }
    };
    let own = own::groups(me, &groups);
    let pid = p.id.as_str();
    let participant = p.role == PersonRole::Participant;
    let group = p
        .group
        .as_ref()
        .and_then(|g| groups.iter().find(|x| &x.id == g));
    let tablet = tablets
        .iter()
        .find(|r| r.device.participant == p.id && r.device.state.may_connect());
    let mine = me.account.coach.as_ref();
    let my_contact = mine.is_some_and(|c| contacts.iter().any(|x| &x.id == c));
    let unread = match mine {
        Some(c) if participant => web
            .hub
            .coach_inbox(c)
            .ok()
            .and_then(|inbox| inbox.into_iter().find(|x| x.person == p.id))
            .map(|x| (x.messages, x.unread)),
        _ => None,
    };
    let role = me.account.role;
    let rows: Vec<Vec<Markup>> = contacts
        .iter()
        .map(|c| {
            vec![
                html! { a.tap href=(format!("/people/{}", c.id)) { (c.name) } },
                html! { (role_words(lang, c.role)) },
                html! {
                    details.act {
                        summary { (t!(lang, "Remove")) }
                        form method="post" action=(format!("/people/{pid}/contacts/remove")) {
                            (html::csrf(&me.csrf))
                            input type="hidden" name="other" value=(c.id.as_str());
                            label.tick {
                                input type="checkbox" name="sure" value="yes" required;
                                " " (t!(lang, "Yes, they may no longer write to each other"))
                            }
                            button { (t!(lang, "Remove the contact")) }
                        }
                    }
                },
            ]
        })
        .collect();
    // Who may become a contact: not yet one; the senior's own group first, then the
    // coach's groups, coaches among them, then everyone else.
    let mut candidates: Vec<&Person> = everyone
        .iter()
        .filter(|o| o.id != p.id && !contacts.iter().any(|c| c.id == o.id))
        .collect();
    candidates.sort_by_key(|o| {
        let same_group = p.group.is_some() && o.group == p.group;
        (!same_group, !own::is_own(o, &own), own::fold(&o.name))
    });
    let summary = html! {
        ul.facts {
            li { (role_words(lang, p.role)) @if let Some(g) = group { " · " (g.name) } }
            @if let Some(phone) = &p.phone { li { (phone_link(phone)) } }
            @if participant && role.may(Area::Devices) {
                li {
                    @match tablet {
                        Some(row) => {
                            (t!(lang, "Tablet: {}, {}", row.device.profile, state_word(lang, row.device.state)))
                            " · "
                            a.tap href="/devices" { (t!(lang, "Tablets")) }
                        }
                        None => a.tap href=(format!("/devices?for={pid}")) { (t!(lang, "Pair a tablet for them")) },
                    }
                }
            }
            @if participant && my_contact && role.may(Area::People) {
                li {
                    a.tap href=(format!("/messages/new?to=person:{pid}")) { (t!(lang, "Write to {}", p.name)) }
                }
            }
            @if let Some((messages, unread)) = unread {
                li {
                    a.tap href=(format!("/messages/from/{pid}")) {
                        (t!(lang, "Their messages to you ({})", messages))
                        @if unread > 0 { " · " strong { (t!(lang, "{} new", unread)) } }
                    }
                }
            }
        }
    };
    // Details and consent are a senior's; a coach's are kept on the command line.
    let details = html! {
        @if participant {
            h2 { (t!(lang, "Details")) }
            form method="post" action=(format!("/people/{pid}/details")) {
                (html::csrf(&me.csrf))
                label for="phone" { (t!(lang, "Phone")) }
                input id="phone" name="phone" type="tel" maxlength="40" value=(p.phone.as_deref().unwrap_or(""));
                label for="address" { (t!(lang, "Address")) }
                input id="address" name="address" maxlength="200" value=(p.address.as_deref().unwrap_or(""));
                (checkbox("transport", t!(lang, "Needs transport to the meetings"), p.transport))
                (checkbox("consent_photos", t!(lang, "Agreed that photos of them may be shared in the group"), p.consent.photos))
                (checkbox("consent_research", t!(lang, "Agreed to count in the evaluation (questionnaires, figures)"), p.consent.research))
                (checkbox("consent_keepsake", t!(lang, "Agreed that their phone number is printed on their contacts' keepsakes"), p.consent.phone_on_keepsakes))
                p { button { (t!(lang, "Save")) } }
            }
        }
    };
    let their_data = html! {
        @if participant {
            h2 { (t!(lang, "Their data")) }
            p {
                a.tap href=(format!("/people/{pid}/keepsake")) { (t!(lang, "A keepsake for the end of the loan")) }
            }
            p {
                a.tap href=(format!("/people/{pid}/export")) { (t!(lang, "Download everything the hub keeps about {} (zip)", p.name)) }
                " " (t!(lang, "It holds personal data: hand it over, then delete it."))
            }
            details.act {
                summary { (t!(lang, "Erase {}", p.name)) }
                p { (t!(lang, "Their details, answers, meetings and the messages sent to them are erased for good. Messages they sent stay with the people they wrote to, from \"a former participant\". Take back or wipe their tablet first.")) }
                form method="post" action=(format!("/people/{pid}/erase")) {
                    (html::csrf(&me.csrf))
                    label for="confirm" { (t!(lang, "Type their full name to confirm")) }
                    input id="confirm" name="confirm" required autocomplete="off";
                    p { button { (t!(lang, "Erase for good")) } }
                }
            }
        }
    };
    let body = html! {
        (summary)
        (details)
        h2 { (t!(lang, "Contacts")) }
        p { (t!(lang, "Only these people can write to {} and be written to.", p.name)) }
        (html::table(&[t!(lang, "Name"), t!(lang, "Who"), t!(lang, "Do")], rows, t!(lang, "No contacts yet.")))
        form method="post" action=(format!("/people/{pid}/contacts/approve")) {
            (html::csrf(&me.csrf))
            label for="other" { (t!(lang, "Approve a new contact")) }
            select id="other" name="other" required {
                option value="" { (t!(lang, "Choose a person")) }
                @for o in &candidates {
                    option value=(o.id.as_str()) { (o.name) " (" (role_words(lang, o.role)) ")" }
                }
            }
            p { button { (t!(lang, "Approve")) } }
        }
        (their_data)
        p { a.tap href="/people" { (t!(lang, "Back to people")) } }
    };
    me.page(status, &p.name, notice.as_ref(), body)
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
    consent_keepsake: String,
}

async fn details(
    State(web): State<Web>,
    Path(person): Path<String>,
    SignedForm(me, form, _): SignedForm<People, DetailsForm>,
) -> Response {
    let lang = me.lang();
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let Ok(id) = PersonId::parse(&person) else {
        return no_such_person(&me);
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
        consent_keepsake: Some(form.consent_keepsake == "yes"),
    };
    match web.hub.update_participant(&id, changes).await {
        Ok(p) => {
            web.audit(
                &me,
                &format!(
                    "changed the details of {} (transport {}, photos {}, evaluation {}, keepsakes {})",
                    p.id,
                    yes(p.transport),
                    yes(p.consent.photos),
                    yes(p.consent.research),
                    yes(p.consent.phone_on_keepsakes)
                ),
            )
            .await;
            see_other(&format!("/people/{id}?done=saved"))
        }
        Err(e) => problem(t!(lang, "Not saved: {}", explain(lang, &e))),
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
    let lang = me.lang();
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let (Ok(a), Ok(b)) = (PersonId::parse(&person), PersonId::parse(form.other.trim())) else {
        return problem(t!(lang, "Choose the person from the list.").to_owned());
    };
    if !approve && form.sure != "yes" {
        return problem(t!(lang, "Tick the box to remove the contact.").to_owned());
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
        Err(e) => problem(t!(lang, "Not changed: {}", explain(lang, &e))),
    }
}

async fn export(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
) -> Response {
    let lang = me.lang();
    let Some(id) = PersonId::parse(&person).ok() else {
        return no_such_person(&me);
    };
    let export = match web.hub.export_participant(&id).await {
        Ok(export) => export,
        Err(e) => {
            return person_problem(
                &web,
                &me,
                &person,
                t!(lang, "No export: {}", explain(lang, &e)),
            );
        }
    };
    match export.to_zip() {
        Ok(bytes) => {
            web.audit(&me, &format!("exported the data of {id}")).await;
            (
                [
                    (header::CONTENT_TYPE, "application/zip".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{}\"", export.file_name()),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not make an export's zip");
            person_problem(
                &web,
                &me,
                &person,
                t!(
                    lang,
                    "No export: the zip file could not be made. Try again in a minute; if it stays, look at the hub's log."
                )
                .to_owned(),
            )
        }
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
    let lang = me.lang();
    let problem = |text: String| person_problem(&web, &me, &person, text);
    let Some(found) = PersonId::parse(&person)
        .ok()
        .and_then(|id| web.hub.person(&id).ok())
    else {
        return no_such_person(&me);
    };
    if !crate::domain::people::confirms_name(&found, &form.confirm) {
        return problem(t!(
            lang,
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
        Err(e) => problem(t!(lang, "Nothing was erased: {}", explain(lang, &e))),
    }
}

super::signed::token_forms!(AddForm, DetailsForm, ContactForm, EraseForm);
