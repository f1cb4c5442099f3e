//! Tablets for coaches: pairing by the code a tablet shows (or the QR link it shows,
//! `/devices?code=K7PX4C`), each tablet's state and health by its senior's name, switching
//! one off, wiping it, taking it back (the loan closes), and the loan register.

use super::html::{self, Notice};
use super::lang::{self, t};
use super::problems::{explain, state_word};
use super::signed::{Devices, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, own, see_other, when};
use crate::app::DeviceRow;
use crate::clock;
use crate::domain::accounts::Area;
use crate::domain::loans::{Condition, Loan};
use crate::domain::people::Person;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use nabij_protocol::{DeviceId, Language, PersonId};
use serde::Deserialize;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/devices", get(devices))
        .route("/devices/enrol", post(enrol))
        .route("/devices/{device}/revoke", post(revoke))
        .route("/devices/{device}/wipe", post(wipe))
        .route("/devices/{device}/return", post(take_back))
        .route("/devices/{device}/pin", post(set_pin))
}

/// A condition a tablet came back in, in `lang`.
fn condition_word(lang: Language, condition: Condition) -> &'static str {
    match condition {
        Condition::Good => t!(lang, "good"),
        Condition::Damaged => t!(lang, "damaged"),
        Condition::Broken => t!(lang, "broken"),
        Condition::Lost => t!(lang, "lost"),
    }
}

/// `/devices?code=K7PX4C&for=p-…`: a link (the QR code on a tablet's pairing screen, or
/// a senior's page) that opens the page with the code, or the senior, filled in.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DevicesQuery {
    done: String,
    code: String,
    #[serde(rename = "for")]
    senior: String,
}

/// What the pairing form shows filled in.
#[derive(Default)]
struct Filled {
    code: String,
    senior: String,
}

async fn devices(
    State(web): State<Web>,
    Signed(me, _): Signed<Devices>,
    Query(query): Query<DevicesQuery>,
) -> Response {
    let lang = me.lang();
    let done = Done { done: query.done };
    let known = [
        (
            "enrolled",
            t!(
                lang,
                "The tablet is paired. It shows the senior's home screen within a minute."
            ),
        ),
        (
            "revoked",
            t!(
                lang,
                "The tablet is switched off: it can no longer connect."
            ),
        ),
        (
            "wiped",
            t!(
                lang,
                "The tablet erases everything as soon as it is online, then shows a new pairing code."
            ),
        ),
        (
            "pin",
            t!(
                lang,
                "The new coach PIN works on the tablet as soon as it is online. Tell it to the tablet's coaches: the hub does not show it again."
            ),
        ),
        (
            "returned",
            t!(
                lang,
                "The tablet is taken back and switched off, and its loan is closed. To lend it again, erase it on the tablet itself: Help, “For the coach” (tap it three times), the coach PIN, “Erase this tablet”."
            ),
        ),
    ];
    // Only the characters a code can have, and no more than a code's length.
    let code: String = query
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(nabij_protocol::PAIRING_CODE_LEN)
        .collect();
    let filled = Filled {
        code: code.to_uppercase(),
        senior: query.senior.chars().take(100).collect(),
    };
    devices_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &known),
        &filled,
    )
}

/// The actions for one tablet, each a small form; the ones that end something ask for
/// a tick first.
fn actions(me: &Me, row: &DeviceRow) -> Markup {
    let lang = me.lang();
    let d = &row.device;
    let id = d.id.as_str();
    if !d.state.may_connect() {
        return html! {};
    }
    html! {
        details.act {
            summary { (t!(lang, "Take back")) }
            form method="post" action=(format!("/devices/{id}/return")) {
                (html::csrf(&me.csrf))
                label for=(format!("c-{id}")) { (t!(lang, "Condition")) }
                select id=(format!("c-{id}")) name="condition" {
                    @for c in Condition::ALL {
                        option value=(c.name()) { (condition_word(lang, c)) }
                    }
                }
                label for=(format!("n-{id}")) { (t!(lang, "Note (optional)")) }
                input id=(format!("n-{id}")) name="note" maxlength="200";
                button { (t!(lang, "Take back and close the loan")) }
            }
        }
        @if d.state == crate::domain::devices::DeviceState::Active {
            details.act {
                summary { (t!(lang, "Coach PIN")) }
                p.hint {
                    @match d.coach_pin_set_at {
                        Some(t) => (t!(lang, "This tablet has its own coach PIN since {}.", when(lang, t))),
                        None => (t!(lang, "This tablet still opens with the coach PIN every tablet shares. Give it its own.")),
                    }
                }
                form method="post" action=(format!("/devices/{id}/pin")) {
                    (html::csrf(&me.csrf))
                    label for=(format!("p-{id}")) { (t!(lang, "New coach PIN (four digits)")) }
                    input id=(format!("p-{id}")) name="pin" type="password" inputmode="numeric" pattern="[0-9]{4}" minlength="4" maxlength="4" autocomplete="off" required;
                    p.hint { (t!(lang, "Not 1234 or 0000. The tablet locks its PIN pad for a while after three wrong PINs.")) }
                    button { (t!(lang, "Set the PIN")) }
                }
            }
            details.act {
                summary { (t!(lang, "Wipe")) }
                form method="post" action=(format!("/devices/{id}/wipe")) {
                    (html::csrf(&me.csrf))
                    label.tick {
                        input type="checkbox" name="sure" value="yes" required;
                        " " (t!(lang, "Yes, erase everything on this tablet"))
                    }
                    button { (t!(lang, "Wipe the tablet")) }
                }
            }
        }
        details.act {
            summary { (t!(lang, "Switch off")) }
            form method="post" action=(format!("/devices/{id}/revoke")) {
                (html::csrf(&me.csrf))
                label.tick {
                    input type="checkbox" name="sure" value="yes" required;
                    " " (t!(lang, "Yes, this tablet may no longer connect (lost or stolen)"))
                }
                button { (t!(lang, "Switch off")) }
            }
        }
    }
}

/// The tablets page again, with what was wrong with the form sent from it (and what was
/// filled in, still in its fields).
fn devices_problem(web: &Web, me: &Me, text: String, filled: &Filled) -> Response {
    devices_page(
        web,
        me,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(Notice::Problem(text)),
        filled,
    )
}

/// When a tablet was last heard from, in `lang`.
fn seen(lang: Language, row: &DeviceRow, now: nabij_protocol::UnixMillis) -> String {
    let d = &row.device;
    let seen = if d.online {
        t!(lang, "online").to_owned()
    } else {
        match d.last_seen {
            Some(t) => t!(lang, "last seen {}", lang::ago(lang, now, t)),
            None => t!(lang, "never connected").to_owned(),
        }
    };
    if row.silent {
        t!(lang, "{} — silent too long", seen)
    } else {
        seen
    }
}

/// The pairing form: the code, and the senior it is for, chosen from those without a
/// tablet, the coach's own groups' first. No one is chosen for the coach unless only one
/// senior can be: a wrong default would give someone else's tablet to this senior.
fn pairing_form(
    me: &Me,
    people: &[Person],
    rows: &[DeviceRow],
    own: &[nabij_protocol::GroupId],
    filled: &Filled,
) -> Markup {
    let lang = me.lang();
    let lent: Vec<&PersonId> = rows
        .iter()
        .filter(|r| r.device.state.may_connect())
        .map(|r| &r.device.participant)
        .collect();
    let candidates: Vec<&Person> = own::participants_first(people, own)
        .into_iter()
        .filter(|p| !lent.contains(&&p.id))
        .collect();
    let only = (candidates.len() == 1).then(|| candidates[0].id.as_str());
    let chosen = |p: &Person| only == Some(p.id.as_str()) || filled.senior == p.id.as_str();
    let (mine, others): (Vec<&Person>, Vec<&Person>) =
        candidates.iter().partition(|p| own::is_own(p, own));
    html! {
        form method="post" action="/devices/enrol" {
            (html::csrf(&me.csrf))
            label for="code" { (t!(lang, "The code on the tablet's screen")) }
            input id="code" name="code" required maxlength="16" autocomplete="off" autocapitalize="characters" value=(filled.code);
            label for="participant" { (t!(lang, "For")) }
            select id="participant" name="participant" required {
                @if only.is_none() {
                    option value="" { (t!(lang, "Choose the senior")) }
                }
                @if !mine.is_empty() && !others.is_empty() {
                    optgroup label=(t!(lang, "Your groups")) {
                        @for p in &mine { option value=(p.id.as_str()) selected[chosen(p)] { (p.name) } }
                    }
                    optgroup label=(t!(lang, "Other seniors")) {
                        @for p in &others { option value=(p.id.as_str()) selected[chosen(p)] { (p.name) } }
                    }
                } @else {
                    @for p in &candidates { option value=(p.id.as_str()) selected[chosen(p)] { (p.name) } }
                }
            }
            @if candidates.is_empty() {
                p.hint { (t!(lang, "Every senior has a tablet already. Add the senior on the People page first.")) }
            } @else {
                p.hint { (t!(lang, "Only seniors without a tablet are listed.")) }
            }
            p { button { (t!(lang, "Pair")) } }
        }
    }
}

fn loan_rows(
    lang: Language,
    loans: &[Loan],
    people: &[Person],
    rows: &[DeviceRow],
) -> Vec<Vec<Markup>> {
    let name_of = |id: &PersonId| match people.iter().find(|p| &p.id == id) {
        Some(p) => p.name.clone(),
        None if id.as_str() == crate::domain::people::FORMER_PARTICIPANT => {
            t!(lang, "a former participant").to_owned()
        }
        None => t!(lang, "someone no longer known").to_owned(),
    };
    loans
        .iter()
        .rev()
        .map(|l| {
            let model = rows
                .iter()
                .find(|r| r.device.id == l.device)
                .map(|r| r.device.profile.clone())
                .unwrap_or_default();
            // The hardware's own serial number is what is written on it; a tablet that
            // sent none is known only by its internal id, which tells a coach nothing.
            let serial = (l.tablet != l.device.as_str()).then_some(l.tablet.as_str());
            let condition = l.condition.map_or("", |c| condition_word(lang, c));
            let condition = match l.note.as_deref() {
                Some(note) => format!("{condition} — {note}"),
                None => condition.to_owned(),
            };
            vec![
                html! { (l.number) },
                html! { (name_of(&l.participant)) },
                html! {
                    (model)
                    @if let Some(serial) = serial { br; small { (t!(lang, "serial number {}", serial)) } }
                },
                html! { (when(lang, l.lent_at)) },
                html! {
                    @match l.returned_at {
                        Some(t) => (when(lang, t)),
                        None => (t!(lang, "still lent")),
                    }
                },
                html! { (condition) },
            ]
        })
        .collect()
}

fn devices_page(
    web: &Web,
    me: &Me,
    status: StatusCode,
    notice: Option<Notice>,
    filled: &Filled,
) -> Response {
    let lang = me.lang();
    let (rows, people, loans, groups) = match (
        web.hub.devices(false),
        web.hub.people(),
        web.hub.loans(),
        web.hub.groups(),
    ) {
        (Ok(rows), Ok(people), Ok(loans), Ok(groups)) => (rows, people, loans, groups),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return failed(me, &e);
        }
    };
    let own = own::groups(me, &groups);
    let now = clock::now();
    let (in_use, ended): (Vec<&DeviceRow>, Vec<&DeviceRow>) =
        rows.iter().partition(|r| r.device.state.may_connect());
    let tablet_row = |row: &DeviceRow, with_actions: bool| {
        let d = &row.device;
        let charging = if d.charging == Some(true) {
            t!(lang, ", charging")
        } else {
            ""
        };
        let mut cells = vec![
            if people.iter().any(|p| p.id == d.participant) && me.account.role.may(Area::People) {
                html! { a.tap href=(format!("/people/{}", d.participant)) { (row.participant_name) } }
            } else if people.iter().any(|p| p.id == d.participant) {
                html! { (row.participant_name) }
            } else {
                html! { (t!(lang, "a former participant")) }
            },
            html! { (state_word(lang, d.state)) },
            html! { (seen(lang, row, now)) },
            html! {
                @match d.battery_pct {
                    Some(b) => (format!("{b}%{charging}")),
                    None => "–",
                }
            },
            html! { (d.profile) " " (d.app_version) },
        ];
        if with_actions {
            cells.push(actions(me, row));
        }
        cells
    };
    let in_use_rows: Vec<Vec<Markup>> = in_use.iter().map(|r| tablet_row(r, true)).collect();
    let ended_rows: Vec<Vec<Markup>> = ended.iter().map(|r| tablet_row(r, false)).collect();
    let head = [
        t!(lang, "Senior"),
        t!(lang, "State"),
        t!(lang, "Seen"),
        t!(lang, "Battery"),
        t!(lang, "Model and version"),
    ];
    let mut head_with_actions = head.to_vec();
    head_with_actions.push(t!(lang, "Do"));
    let body = html! {
        h2 { (t!(lang, "Pair a tablet")) }
        (pairing_form(me, &people, &rows, &own, filled))
        h2 { (t!(lang, "Tablets in use")) }
        (html::table(&head_with_actions, in_use_rows, t!(lang, "No tablet is paired yet.")))
        @if !ended_rows.is_empty() {
            details.more {
                summary { (t!(lang, "Tablets wiped or switched off ({})", ended_rows.len())) }
                (html::table(&head, ended_rows, ""))
            }
        }
        h2 { (t!(lang, "Loans")) }
        @if loans.is_empty() {
            p.empty { (t!(lang, "No tablet has been lent yet.")) }
        } @else {
            details.more {
                summary {
                    @if loans.len() == 1 {
                        (t!(lang, "The loan register (1 loan)"))
                    } @else {
                        (t!(lang, "The loan register ({} loans)", loans.len()))
                    }
                }
                (html::table(
                    &[
                        t!(lang, "Loan"),
                        t!(lang, "Senior"),
                        t!(lang, "Tablet"),
                        t!(lang, "Lent"),
                        t!(lang, "Back"),
                        t!(lang, "Condition"),
                    ],
                    loan_rows(lang, &loans, &people, &rows),
                    "",
                ))
            }
        }
    };
    me.page(status, t!(lang, "Tablets"), notice.as_ref(), body)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Enrol {
    csrf: String,
    code: String,
    participant: String,
}

async fn enrol(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<Devices, Enrol>,
) -> Response {
    let lang = me.lang();
    let filled = Filled {
        code: form.code.chars().take(16).collect(),
        senior: form.participant.chars().take(100).collect(),
    };
    let problem = |text: String| devices_problem(&web, &me, text, &filled);
    let Ok(participant) = PersonId::parse(form.participant.trim()) else {
        return problem(t!(lang, "Choose the senior the tablet is for.").to_owned());
    };
    let who = me.account.name.as_str();
    match web.hub.enrol(&filled.code, &participant, None, who).await {
        Ok(summary) => {
            web.audit(
                &me,
                &format!(
                    "enrolled tablet {} for {}",
                    summary.device, summary.participant.id
                ),
            )
            .await;
            see_other("/devices?done=enrolled")
        }
        Err(e) => problem(t!(lang, "Not paired: {}", explain(lang, &e))),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Sure {
    csrf: String,
    sure: String,
}

/// The tablet in the address, or the page that says there is no such tablet.
fn tablet_named(web: &Web, me: &Me, device: &str) -> Result<DeviceId, Box<Response>> {
    match DeviceId::parse(device) {
        Ok(id) if web.hub.device(&id).is_ok() => Ok(id),
        _ => {
            let lang = me.lang();
            let page = devices_page(
                web,
                me,
                StatusCode::NOT_FOUND,
                Some(Notice::Problem(
                    t!(
                        lang,
                        "This tablet is not (or no longer) known. Look at the list again."
                    )
                    .to_owned(),
                )),
                &Filled::default(),
            );
            Err(Box::new(page))
        }
    }
}

/// The two ways to end a tablet's use from the dashboard, each asked for with a tick.
#[derive(Clone, Copy)]
enum Ending {
    /// Switched off: it may no longer connect (lost or stolen).
    Revoke,
    /// Wiped: it erases everything and pairs again.
    Wipe,
}

async fn revoke(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, Sure>,
) -> Response {
    end_tablet(web, me, device, form, Ending::Revoke).await
}

async fn wipe(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, Sure>,
) -> Response {
    end_tablet(web, me, device, form, Ending::Wipe).await
}

async fn end_tablet(web: Web, me: Me, device: String, form: Sure, how: Ending) -> Response {
    let id = match tablet_named(&web, &me, &device) {
        Ok(id) => id,
        Err(answer) => return *answer,
    };
    let lang = me.lang();
    let problem = |text: String| devices_problem(&web, &me, text, &Filled::default());
    if form.sure != "yes" {
        return problem(match how {
            Ending::Revoke => t!(lang, "Tick the box to switch the tablet off.").to_owned(),
            Ending::Wipe => t!(lang, "Tick the box to wipe the tablet.").to_owned(),
        });
    }
    let done = match how {
        Ending::Revoke => web.hub.revoke(&id).await,
        Ending::Wipe => web.hub.wipe(&id).await,
    };
    match done {
        Ok(_) => {
            let (what, code) = match how {
                Ending::Revoke => ("switched off", "revoked"),
                Ending::Wipe => ("wiped", "wiped"),
            };
            web.audit(&me, &format!("{what} tablet {id}")).await;
            see_other(&format!("/devices?done={code}"))
        }
        Err(e) => problem(match how {
            Ending::Revoke => t!(lang, "Not switched off: {}", explain(lang, &e)),
            Ending::Wipe => t!(lang, "Not wiped: {}", explain(lang, &e)),
        }),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TakeBack {
    csrf: String,
    condition: String,
    note: String,
}

async fn take_back(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, TakeBack>,
) -> Response {
    let id = match tablet_named(&web, &me, &device) {
        Ok(id) => id,
        Err(answer) => return *answer,
    };
    let lang = me.lang();
    let problem = |text: String| devices_problem(&web, &me, text, &Filled::default());
    let Some(condition) = Condition::parse(&form.condition) else {
        return problem(
            t!(
                lang,
                "Choose the tablet's condition: good, damaged, broken or lost."
            )
            .to_owned(),
        );
    };
    let note = Some(form.note.trim())
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect::<String>());
    match web.hub.return_device(&id, condition, note).await {
        Ok(_) => {
            web.audit(
                &me,
                &format!("took back tablet {id} ({})", condition.name()),
            )
            .await;
            see_other("/devices?done=returned")
        }
        Err(e) => problem(t!(lang, "Not taken back: {}", explain(lang, &e))),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PinForm {
    csrf: String,
    pin: String,
}

async fn set_pin(
    State(web): State<Web>,
    Path(device): Path<String>,
    SignedForm(me, form, _): SignedForm<Devices, PinForm>,
) -> Response {
    let id = match tablet_named(&web, &me, &device) {
        Ok(id) => id,
        Err(answer) => return *answer,
    };
    let lang = me.lang();
    match web.hub.set_coach_pin(&id, &form.pin).await {
        Ok(_) => {
            // The PIN itself is never written anywhere.
            web.audit(&me, &format!("set the coach PIN of tablet {id}"))
                .await;
            see_other("/devices?done=pin")
        }
        Err(e) => devices_problem(
            &web,
            &me,
            t!(lang, "The PIN is not set: {}", explain(lang, &e)),
            &Filled::default(),
        ),
    }
}

super::signed::token_forms!(Enrol, Sure, TakeBack, PinForm);
