//! Logging in and out. The log-in form has its own token (in a short-lived cookie and the
//! form), so that another site cannot log a browser into an account of its choosing.
//! The page speaks the browser's language (`Accept-Language`). Wrong passwords pause a
//! name per source address (`domain::accounts::LogInGuard`), the same for names that
//! are no account. A page asked for before log-in (a tablet's QR code opens the pairing
//! page with its code) is where the log-in leads, when it is one of the dashboard's own.

use super::html::{self, Notice};
use super::lang::t;
use super::{SESSION_COOKIE, Web, browser_language, cookie, page_response, see_other, sessions};
use crate::app::AppError;
use crate::secrets;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use nabij_protocol::Language;
use serde::Deserialize;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

const LOGIN_COOKIE: &str = "__Host-nabij-login";

/// Longest address kept to go to after log-in.
const MAX_NEXT_CHARS: usize = 200;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/login", get(login_page).post(log_in))
        .route("/logout", post(log_out))
}

/// Where to go after logging in: one of the dashboard's own pages (a path with its
/// query), never another site. Anything else is home.
pub(crate) fn safe_next(next: &str) -> &str {
    let own_page = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= MAX_NEXT_CHARS
        && next
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '\\' && c != '"' && c != '<' && c != '>')
        && !next.starts_with("/login")
        && !next.starts_with("/logout");
    if own_page { next } else { "/" }
}

/// The address of the log-in page that leads on to `path_and_query` afterwards.
pub(crate) fn login_leading_to(path_and_query: &str) -> String {
    match safe_next(path_and_query) {
        "/" => "/login".to_owned(),
        next => format!("/login?next={}", encode_query_value(next)),
    }
}

/// Percent-encodes a value for a query string (letters, digits and `-._~/` stay).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The log-in form with a fresh token, and the cookie that carries it too.
fn login_form(
    lang: Language,
    status: StatusCode,
    notice: Option<&Notice>,
    name: &str,
    next: &str,
) -> Response {
    let Ok(token) = secrets::session_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let next = safe_next(next);
    let body = html! {
        form method="post" action="/login" {
            input type="hidden" name="token" value=(token);
            input type="hidden" name="lang" value=(super::lang::code(lang));
            @if next != "/" { input type="hidden" name="next" value=(next); }
            label for="name" { (t!(lang, "Account name")) }
            input id="name" name="name" autocomplete="username" required maxlength="64"
                autocapitalize="none" value=(name);
            label for="password" { (t!(lang, "Password")) }
            input id="password" name="password" type="password" autocomplete="current-password"
                required maxlength="200";
            p { button { (t!(lang, "Log in")) } }
        }
        p.languages {
            @for other in super::lang::ALL {
                @if other != lang {
                    a href={ "/login?lang=" (super::lang::code(other)) @if next != "/" { "&next=" (encode_query_value(next)) } }
                        hreflang=(super::lang::code(other)) lang=(super::lang::code(other)) {
                        (super::lang::own_name(other))
                    }
                    " "
                }
            }
        }
    };
    let mut response = page_response(
        status,
        html::page(lang, t!(lang, "Log in"), None, notice, body),
    );
    if let Ok(value) = HeaderValue::try_from(format!(
        "{LOGIN_COOKIE}={token}; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `/login?next=/devices?code=K7PX4C&lang=fr`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
    lang: String,
}

/// The language of a page before log-in: one chosen on the page, else the browser's.
fn page_language(chosen: &str, headers: &HeaderMap) -> Language {
    match chosen {
        "nl" => Language::Nl,
        "fr" => Language::Fr,
        "en" => Language::En,
        _ => browser_language(headers),
    }
}

async fn login_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    if web.me(&headers).is_some() {
        return see_other(safe_next(&query.next));
    }
    let lang = page_language(&query.lang, &headers);
    login_form(lang, StatusCode::OK, None, "", &query.next)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogIn {
    name: String,
    password: String,
    token: String,
    next: String,
    lang: String,
}

/// The address a request came from (the server puts it on every request); an
/// unspecified address if it has none (only requests made in tests without one).
pub(crate) struct Source(pub(crate) IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Source(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

async fn log_in(
    State(web): State<Web>,
    headers: HeaderMap,
    Source(source): Source,
    Form(form): Form<LogIn>,
) -> Response {
    let lang = page_language(&form.lang, &headers);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !sessions::same_secret(&expected, &form.token) {
        return login_form(
            lang,
            StatusCode::FORBIDDEN,
            Some(&Notice::Problem(
                t!(
                    lang,
                    "This log-in form is out of date (or your browser refuses cookies): try again on this page."
                )
                .to_owned(),
            )),
            &form.name,
            &form.next,
        );
    }
    let account = match web.hub.log_in(&form.name, &form.password, source).await {
        Ok(account) => account,
        Err(e @ (AppError::WrongLogIn | AppError::Locked)) => {
            tracing::warn!(name = %form.name.chars().take(64).collect::<String>(), %source, error = %e, "dashboard log-in refused");
            let status = if matches!(e, AppError::Locked) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            return login_form(
                lang,
                status,
                Some(&Notice::Problem(super::problems::explain(lang, &e))),
                &form.name,
                &form.next,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard log-in failed");
            return login_form(
                lang,
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(&Notice::Problem(super::problems::explain(lang, &e))),
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
    let mut response = see_other(safe_next(&form.next));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_dashboards_own_pages_are_gone_to_after_log_in() {
        assert_eq!(safe_next("/devices?code=K7PX4C"), "/devices?code=K7PX4C");
        assert_eq!(safe_next("/today"), "/today");
        for elsewhere in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/login?next=/x",
            "/a b",
            "/\"><script>",
        ] {
            assert_eq!(safe_next(elsewhere), "/", "{elsewhere}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(300))), "/");
    }

    #[test]
    fn the_log_in_address_carries_where_to_go() {
        assert_eq!(
            login_leading_to("/devices?code=K7PX4C"),
            "/login?next=/devices%3Fcode%3DK7PX4C"
        );
        assert_eq!(login_leading_to("/"), "/login");
        assert_eq!(login_leading_to("//evil.example"), "/login");
    }
}
