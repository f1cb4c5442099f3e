//! Logging in and out. The log-in form has its own token (in a short-lived cookie and the
//! form), so that another site cannot log a browser into an account of its choosing.

use super::html::{self, Notice, esc};
use super::{SESSION_COOKIE, Web, cookie, page_response, see_other, sessions};
use crate::app::AppError;
use crate::secrets;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

const LOGIN_COOKIE: &str = "__Host-nabij-login";

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
}

/// The longest page address a log-in comes back to.
const MAX_NEXT_CHARS: usize = 512;

/// `next` if it is a page of this dashboard to come back to after logging in: a path
/// of this site (`/devices?code=K7PX4C`), never another site (`//evil.example`,
/// `/\evil.example`, `https://…`), nor the log-in itself.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ours = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/login")
        && !next.starts_with("/logout")
        && next.len() <= MAX_NEXT_CHARS
        && !next.contains('\\')
        && next.chars().all(|c| c.is_ascii_graphic());
    ours.then_some(next)
}

/// `/login?next=/devices%3Fcode%3DK7PX4C`: the page to open once logged in.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Next {
    next: String,
}

/// The log-in form with a fresh token, and the cookie that carries it too.
fn login_form(status: StatusCode, notice: Option<&Notice>, name: &str, next: &str) -> Response {
    let Ok(token) = secrets::session_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = format!(
        "<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\
         <label for=\"name\">Account name</label>\
         <input id=\"name\" name=\"name\" autocomplete=\"username\" required maxlength=\"64\" value=\"{}\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"200\">\
         <p><button>Log in</button></p></form>",
        esc(safe_next(next).unwrap_or("")),
        esc(name)
    );
    let mut response = page_response(status, html::page_str("Log in", None, notice, &body));
    if let Ok(value) = HeaderValue::try_from(format!(
        "{LOGIN_COOKIE}={token}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn login_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(Next { next }): Query<Next>,
) -> Response {
    if web.me(&headers).is_some() {
        return see_other(safe_next(&next).unwrap_or("/"));
    }
    login_form(StatusCode::OK, None, "", &next)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogIn {
    name: String,
    password: String,
    token: String,
    next: String,
}

async fn log_in(State(web): State<Web>, headers: HeaderMap, Form(form): Form<LogIn>) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !sessions::same_secret(&expected, &form.token) {
        return login_form(
            StatusCode::FORBIDDEN,
            Some(&Notice::Problem(
                "This log-in form is out of date (or your browser refuses cookies): try again on this page."
                    .into(),
            )),
            &form.name,
            &form.next,
        );
    }
    let account = match web.hub.log_in(&form.name, &form.password).await {
        Ok(account) => account,
        Err(e @ (AppError::WrongLogIn | AppError::Locked)) => {
            tracing::warn!(name = %form.name.chars().take(64).collect::<String>(), error = %e, "dashboard log-in refused");
            let status = if matches!(e, AppError::Locked) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            return login_form(
                status,
                Some(&Notice::Problem(format!("{e}."))),
                &form.name,
                &form.next,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard log-in failed");
            return login_form(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(&Notice::Problem(format!(
                    "The hub could not check the log-in: {e}."
                ))),
                &form.name,
                &form.next,
            );
        }
    };
    let Ok(token) = web.sessions.start(account.name.clone()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Err(e) = web.hub.audit(account.name.as_str(), "logged in").await {
        tracing::error!(error = %e, "could not write the audit log");
    }
    let mut response = see_other(safe_next(&form.next).unwrap_or("/"));
    for cookie in [
        format!("{SESSION_COOKIE}={token}; Secure; HttpOnly; SameSite=Lax; Path=/"),
        format!("{LOGIN_COOKIE}=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    ] {
        if let Ok(value) = HeaderValue::try_from(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogOut {
    csrf: String,
}

async fn log_out(State(web): State<Web>, headers: HeaderMap, Form(form): Form<LogOut>) -> Response {
    if let Some(me) = web.me(&headers)
        && sessions::same_secret(&me.csrf, &form.csrf)
    {
        web.sessions.end(&me.token);
    }
    let mut response = see_other("/login");
    if let Ok(value) = HeaderValue::try_from(format!(
        "{SESSION_COOKIE}=; Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
