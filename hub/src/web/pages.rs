//! The dashboard's own pages: home (what needs doing, for each role), the account page
//! (its language), and the admin's accounts and audit log. Each reads its form into
//! typed values, calls one `Hub` operation (the same as the command line), writes the
//! audit log for a change, and answers with a page.

use super::html::{self, Notice};
use super::lang::{self, t};
use super::signed::{Accounts, Audit, HomePage, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, problems, see_other, when};
use crate::domain::accounts::{Area, Role};
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use nabij_protocol::{Language, PersonId};
use serde::Deserialize;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
        .route("/account", get(account).post(set_language))
        .route("/admin/accounts", get(accounts).post(add_account))
        .route("/admin/audit", get(audit_log))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        html::STYLE,
    )
        .into_response()
}

/// A large link to a page, with a line under it saying what is there.
fn tile(href: &str, title: &str, line: &str) -> Markup {
    html! {
        a.tile href=(href) {
            strong { (title) }
            span { (line) }
        }
    }
}

async fn home(State(web): State<Web>, Signed(me, _): Signed<HomePage>) -> Response {
    let lang = me.lang();
    let role = me.account.role;
    let mut tiles = Vec::new();
    if role.may(Area::FollowUp) {
        tiles.push(tile(
            "/today",
            t!(lang, "Today"),
            t!(lang, "Today's meeting: who comes, attendance, the diary"),
        ));
        let calls = match web.hub.follow_up(false) {
            Ok(rows) => rows.len(),
            Err(e) => return failed(&me, &e),
        };
        let line = match calls {
            0 => t!(lang, "No one needs a call now").to_owned(),
            1 => t!(lang, "1 person needs a call").to_owned(),
            n => t!(lang, "{} people need a call", n),
        };
        tiles.push(tile("/followup", t!(lang, "Follow-up"), &line));
    }
    if role.may(Area::People) {
        let unread = match &me.account.coach {
            Some(coach) => match web.hub.coach_unread(coach) {
                Ok(n) => n,
                Err(e) => return failed(&me, &e),
            },
            None => 0,
        };
        let line = match unread {
            0 => t!(lang, "Messages from your seniors, and writing to them").to_owned(),
            1 => t!(lang, "1 new message from your seniors").to_owned(),
            n => t!(lang, "{} new messages from your seniors", n),
        };
        tiles.push(tile("/messages", t!(lang, "Messages"), &line));
    }
    if role.may(Area::Programme) {
        tiles.push(tile(
            "/groups",
            t!(lang, "Groups"),
            t!(lang, "Groups, the 10 + 10 meetings, attendance"),
        ));
    }
    if role.may(Area::Devices) {
        tiles.push(tile(
            "/devices",
            t!(lang, "Tablets"),
            t!(lang, "Pair a tablet, see how each is doing"),
        ));
    }
    if role.may(Area::Reports) {
        tiles.push(tile(
            "/reports",
            t!(lang, "Reports"),
            t!(lang, "Attendance and network figures, for the evaluation"),
        ));
    }
    if role.may(Area::Accounts) {
        tiles.push(tile(
            "/admin/accounts",
            t!(lang, "Accounts"),
            t!(lang, "Who may use the dashboard"),
        ));
    }
    if role.may(Area::Audit) {
        tiles.push(tile(
            "/admin/audit",
            t!(lang, "Audit log"),
            t!(lang, "Every change, who made it and when"),
        ));
    }
    if role.may(Area::Status) {
        tiles.push(tile(
            "/admin/status",
            t!(lang, "Status"),
            t!(
                lang,
                "Broker, database, disk, certificate, backups, tablets"
            ),
        ));
    }
    // A demo hub says so on its first page, so no one mistakes it for real seniors.
    let made_up = match web.hub.groups() {
        Ok(groups) => groups.iter().any(|g| {
            g.neighbourhood
                .as_deref()
                .is_some_and(|n| n.ends_with(crate::demo::DEMO_MARK))
        }),
        Err(e) => return failed(&me, &e),
    };
    let body = html! {
        @if made_up {
            p.demo role="note" { (t!(lang, "This hub holds made-up demo data: the people, groups and figures are not real.")) }
        }
        nav.tiles aria-label=(t!(lang, "Start")) { @for tile in tiles { (tile) } }
    };
    me.page(
        StatusCode::OK,
        &t!(lang, "Hello, {}", me.account.name),
        None,
        body,
    )
}

// ----- the account's own page -----

async fn account(Signed(me, _): Signed<HomePage>, Query(done): Query<Done>) -> Response {
    let lang = me.lang();
    let notice = done_notice(
        &done,
        &[(
            "language",
            t!(lang, "From now on the dashboard speaks this language."),
        )],
    );
    account_page(&me, StatusCode::OK, notice)
}

fn account_page(me: &Me, status: StatusCode, notice: Option<Notice>) -> Response {
    let lang = me.lang();
    let body = html! {
        p { (t!(lang, "Account")) ": " strong { (me.account.name) } " (" (html::role_name(lang, me.account.role)) ")" }
        form method="post" action="/account" {
            (html::csrf(&me.csrf))
            fieldset.choice {
                legend { (t!(lang, "Language of the dashboard")) }
                @for option in lang::ALL {
                    label.mark lang=(lang::code(option)) {
                        input type="radio" name="language" value=(lang::code(option))
                            checked[option == me.account.language];
                        (lang::own_name(option))
                    }
                }
            }
            p { button { (t!(lang, "Save")) } }
        }
    };
    me.page(status, t!(lang, "Your account"), notice.as_ref(), body)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LanguageForm {
    csrf: String,
    language: String,
}

/// A language code from a form: `nl`, `fr` or `en`.
fn language_of(code: &str) -> Option<Language> {
    lang::ALL
        .into_iter()
        .find(|l| lang::code(*l) == code.trim())
}

async fn set_language(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<HomePage, LanguageForm>,
) -> Response {
    let lang = me.lang();
    let Some(language) = language_of(&form.language) else {
        return account_page(
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(
                t!(lang, "Choose one of the languages.").to_owned(),
            )),
        );
    };
    match web
        .hub
        .set_account_language(me.account.name.as_str(), language)
        .await
    {
        Ok(_) => {
            web.audit(&me, &format!("language set to {}", lang::code(language)))
                .await;
            see_other("/account?done=language")
        }
        Err(e) => account_page(
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(problems::explain(lang, &e))),
        ),
    }
}

// ----- admin -----

async fn accounts(
    State(web): State<Web>,
    Signed(me, _): Signed<Accounts>,
    Query(done): Query<Done>,
) -> Response {
    let lang = me.lang();
    let notice = done_notice(
        &done,
        &[(
            "added",
            t!(
                lang,
                "The account is made. Give its name and password to its owner in person."
            ),
        )],
    );
    accounts_page(&web, &me, StatusCode::OK, notice)
}

fn accounts_page(web: &Web, me: &Me, status: StatusCode, notice: Option<Notice>) -> Response {
    let lang = me.lang();
    let (list, people) = match (web.hub.accounts(), web.hub.people()) {
        (Ok(list), Ok(people)) => (list, people),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let name_of = |id: &PersonId| {
        people
            .iter()
            .find(|p| &p.id == id)
            .map_or_else(|| "-".to_owned(), |p| p.name.clone())
    };
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|a| {
            vec![
                html! { (a.name) },
                html! { (html::role_name(lang, a.role)) },
                html! { (a.coach.as_ref().map_or_else(|| "-".to_owned(), name_of)) },
                html! { (lang::own_name(a.language)) },
                html! { (when(lang, a.created_at)) },
            ]
        })
        .collect();
    let body = html! {
        (html::table(
            &[t!(lang, "Name"), t!(lang, "Role"), t!(lang, "Coach"), t!(lang, "Language"), t!(lang, "Made")],
            rows,
            t!(lang, "No accounts yet."),
        ))
        h2 { (t!(lang, "Add an account")) }
        form method="post" action="/admin/accounts" {
            (html::csrf(&me.csrf))
            label for="name" { (t!(lang, "Account name")) }
            input id="name" name="name" required maxlength="64" autocomplete="off" autocapitalize="none";
            label for="role" { (t!(lang, "Role")) }
            select id="role" name="role" {
                @for role in Role::ALL {
                    option value=(role.name()) { (html::role_name(lang, role)) }
                }
            }
            label for="coach" { (t!(lang, "For a coach's account: the coach")) }
            select id="coach" name="coach" {
                option value="" { (t!(lang, "(not a coach)")) }
                @for p in people.iter().filter(|p| p.role == PersonRole::Coach) {
                    option value=(p.id.as_str()) { (p.name) }
                }
            }
            label for="language" { (t!(lang, "Language")) }
            select id="language" name="language" {
                @for option in lang::ALL {
                    option value=(lang::code(option)) selected[option == lang] { (lang::own_name(option)) }
                }
            }
            label for="password" { (t!(lang, "Password (at least 10 characters)")) }
            input id="password" name="password" type="password" required minlength="10"
                maxlength="200" autocomplete="new-password";
            p { button { (t!(lang, "Add the account")) } }
        }
    };
    me.page(status, t!(lang, "Accounts"), notice.as_ref(), body)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewAccount {
    csrf: String,
    name: String,
    role: String,
    coach: String,
    password: String,
    language: String,
}

async fn add_account(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<Accounts, NewAccount>,
) -> Response {
    let lang = me.lang();
    let problem = |text: String| {
        accounts_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
        )
    };
    let Some(role) = Role::parse(form.role.trim()) else {
        return problem(t!(lang, "Choose a role.").to_owned());
    };
    let Some(language) = language_of(&form.language) else {
        return problem(t!(lang, "Choose one of the languages.").to_owned());
    };
    let coach = match form.coach.trim() {
        "" => None,
        id => match PersonId::parse(id) {
            Ok(id) => Some(id),
            Err(_) => return problem(t!(lang, "Choose the coach from the list.").to_owned()),
        },
    };
    match web
        .hub
        .add_account(&form.name, role, coach.as_ref(), &form.password, language)
        .await
    {
        Ok(account) => {
            web.audit(
                &me,
                &format!("added account {} ({})", account.name, role.name()),
            )
            .await;
            see_other("/admin/accounts?done=added")
        }
        Err(e) => problem(problems::explain(lang, &e)),
    }
}

async fn audit_log(State(web): State<Web>, Signed(me, _): Signed<Audit>) -> Response {
    let lang = me.lang();
    let log = match web.hub.audit_log(500) {
        Ok(log) => log,
        Err(e) => return failed(&me, &e),
    };
    let rows: Vec<Vec<Markup>> = log
        .iter()
        .map(|e| {
            vec![
                html! { (when(lang, e.at)) },
                html! { (e.who) },
                html! { code { (e.what) } },
            ]
        })
        .collect();
    let body = html! {
        p { (t!(lang, "The newest 500 changes, newest first, as the hub recorded them.")) }
        (html::table(&[t!(lang, "When"), t!(lang, "Who"), t!(lang, "What")], rows, t!(lang, "Nothing changed yet.")))
    };
    me.page(StatusCode::OK, t!(lang, "Audit log"), None, body)
}

super::signed::token_forms!(NewAccount, LanguageForm);
