//! The dashboard's pages: home, the follow-up list, and the admin's accounts and audit
//! log. Each reads its form into typed values, calls one
//! `Hub` operation (the same as the command line), writes the audit log for a change,
//! and answers with a page.

use super::html::{self, Notice, csrf_field, esc, table_str as table};
use super::signed::{Accounts, Audit, HomePage, Signed, SignedForm};
use super::{Done, Me, Web, done_notice, failed, page_response, see_other, when};
use crate::domain::accounts::{Area, Role};
use crate::domain::people::Role as PersonRole;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use nabij_protocol::PersonId;
use serde::Deserialize;
use std::fmt::Write;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(home))
        .route("/style.css", get(style))
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

async fn home(State(web): State<Web>, Signed(me, _): Signed<HomePage>) -> Response {
    let mut body = String::new();
    if me.account.role.may(Area::FollowUp) {
        match web.hub.follow_up(false) {
            Ok(rows) => {
                let _ = write!(
                    body,
                    "<p class=\"figure\"><a href=\"/followup\">{} to call</a></p>",
                    match rows.len() {
                        0 => "No one".to_owned(),
                        1 => "1 person".to_owned(),
                        n => format!("{n} people"),
                    }
                );
            }
            Err(e) => return failed(&me, &e),
        }
        body.push_str("<p><a href=\"/devices\">Tablets: enrol, status</a></p>");
    }
    body.push_str("<p><a href=\"/reports\">Reports: attendance per group</a></p>");
    if me.account.role.may(Area::Accounts) {
        body.push_str("<p><a href=\"/admin/accounts\">Accounts</a> · <a href=\"/admin/audit\">Audit log</a></p>");
    }
    page_response(
        StatusCode::OK,
        html::page_str(
            &format!("Hello, {}", me.account.name),
            Some(&me.viewer()),
            None,
            &body,
        ),
    )
}

// ----- admin -----

const ACCOUNTS_DONE: [(&str, &str); 1] = [(
    "added",
    "The account is made. Give its name and password to its owner in person.",
)];

async fn accounts(
    State(web): State<Web>,
    Signed(me, _): Signed<Accounts>,
    Query(done): Query<Done>,
) -> Response {
    accounts_page(
        &web,
        &me,
        StatusCode::OK,
        done_notice(&done, &ACCOUNTS_DONE),
    )
}

fn accounts_page(web: &Web, me: &Me, status: StatusCode, notice: Option<Notice>) -> Response {
    let (list, people) = match (web.hub.accounts(), web.hub.people()) {
        (Ok(list), Ok(people)) => (list, people),
        (Err(e), _) | (_, Err(e)) => return failed(me, &e),
    };
    let name_of = |id: &PersonId| {
        people
            .iter()
            .find(|p| &p.id == id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    let cells: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                esc(a.name.as_str()),
                a.role.name().to_owned(),
                esc(&a.coach.as_ref().map_or_else(|| "-".to_owned(), name_of)),
                when(me.lang(), a.created_at),
                a.locked_until.map_or_else(
                    || "-".to_owned(),
                    |t| format!("locked until {}", when(me.lang(), t)),
                ),
            ]
        })
        .collect();
    let mut roles = String::new();
    for role in Role::ALL {
        let _ = write!(roles, "<option value=\"{0}\">{0}</option>", role.name());
    }
    let mut coaches = String::from("<option value=\"\">(not a coach)</option>");
    for p in people.iter().filter(|p| p.role == PersonRole::Coach) {
        let _ = write!(
            coaches,
            "<option value=\"{}\">{}</option>",
            esc(p.id.as_str()),
            esc(&p.name)
        );
    }
    let body = format!(
        "{}<h2>Add an account</h2>\
         <form method=\"post\" action=\"/admin/accounts\">{}\
         <label for=\"name\">Account name</label>\
         <input id=\"name\" name=\"name\" required maxlength=\"64\" autocomplete=\"off\">\
         <label for=\"role\">Role</label><select id=\"role\" name=\"role\">{roles}</select>\
         <label for=\"coach\">For a coach's account: the coach</label><select id=\"coach\" name=\"coach\">{coaches}</select>\
         <label for=\"password\">Password (at least 10 characters)</label>\
         <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"10\" maxlength=\"200\" autocomplete=\"new-password\">\
         <p><button>Add the account</button></p></form>",
        table(
            &["Name", "Role", "Coach", "Made", "Lock"],
            &cells,
            "No accounts yet."
        ),
        csrf_field(&me.csrf),
    );
    page_response(
        status,
        html::page_str("Accounts", Some(&me.viewer()), notice.as_ref(), &body),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewAccount {
    csrf: String,
    name: String,
    role: String,
    coach: String,
    password: String,
}

async fn add_account(
    State(web): State<Web>,
    SignedForm(me, form, _): SignedForm<Accounts, NewAccount>,
) -> Response {
    let problem = |text: String| {
        accounts_page(
            &web,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Notice::Problem(text)),
        )
    };
    let Some(role) = Role::parse(form.role.trim()) else {
        return problem("Choose a role: admin, coach or staff.".into());
    };
    let coach = match form.coach.trim() {
        "" => None,
        id => match PersonId::parse(id) {
            Ok(id) => Some(id),
            Err(_) => return problem("Choose the coach from the list.".into()),
        },
    };
    match web
        .hub
        .add_account(&form.name, role, coach.as_ref(), &form.password)
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
        Err(e) => problem(format!("Not added: {e}.")),
    }
}

async fn audit_log(State(web): State<Web>, Signed(me, _): Signed<Audit>) -> Response {
    let log = match web.hub.audit_log(500) {
        Ok(log) => log,
        Err(e) => return failed(&me, &e),
    };
    let cells: Vec<Vec<String>> = log
        .iter()
        .map(|e| vec![when(me.lang(), e.at), esc(&e.who), esc(&e.what)])
        .collect();
    let body = format!(
        "<p>The newest 500 changes, newest first.</p>{}",
        table(&["When", "Who", "What"], &cells, "Nothing changed yet.")
    );
    page_response(
        StatusCode::OK,
        html::page_str("Audit log", Some(&me.viewer()), None, &body),
    )
}

super::signed::token_forms!(NewAccount);
