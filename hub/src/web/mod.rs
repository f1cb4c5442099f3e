//! The web dashboard for coaches, staff and admins: an edge like `cli.rs` and `admin.rs`,
//! server-rendered HTML (no front-end build; works on a phone) over HTTPS with the hub's
//! certificate. Every page calls the same `Hub` operations as the command line; this
//! module only reads forms into typed values, checks who may do what, and writes HTML.
//!
//! Security: Argon2id passwords and a lock after five wrong ones (`app::accounts`);
//! sessions in `__Host-` cookies (Secure, HttpOnly, SameSite=Lax); a per-session token on
//! every form; a strict Content-Security-Policy; every change written to the audit log.

mod charts;
mod csv;
mod diary;
mod followup;
mod html;
mod inbox;
mod keepsake;
pub(crate) mod lang;
mod login;
mod meetings;
mod messages;
mod own;
mod pages;
mod people;
mod problems;
mod programme;
mod reports;
mod server;
mod sessions;
mod signed;
mod status;
mod tablets;
mod today;

pub use server::{DashboardTls, WebError, serve, tls_config};

use crate::app::{AccountView, AppError, Hub};
use crate::domain::accounts::Area;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html::Notice;
use lang::t;
use nabij_protocol::{Language, UnixMillis};
use serde::Deserialize;
use std::sync::Arc;

/// The session cookie (`__Host-`: only over HTTPS, only this host, path `/`).
const SESSION_COOKIE: &str = "__Host-nabij";

/// Largest form accepted, in bytes (the message form, which takes a photo, has its own).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What every handler gets: the hub and the sessions.
#[derive(Clone)]
pub struct Web {
    hub: Hub,
    sessions: Arc<sessions::Sessions>,
}

/// The dashboard's routes over `hub`, without TLS (for [`serve`] and for tests).
pub fn router(hub: Hub) -> Router {
    let web = Web {
        hub,
        sessions: Arc::new(sessions::Sessions::default()),
    };
    pages::routes()
        .merge(programme::routes())
        .merge(reports::routes())
        .merge(tablets::routes())
        .merge(diary::routes())
        .merge(messages::routes())
        .merge(people::routes())
        .merge(followup::routes())
        .merge(today::routes())
        .merge(keepsake::routes())
        .merge(status::routes())
        .merge(login::routes())
        .fallback(no_such_page)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(protect))
        .with_state(web)
}

/// A thing named in the address is not (or no longer) there: `sentence` says so (in the
/// viewer's language), and the page offers the way back to its list.
pub(crate) fn not_found(me: &Me, sentence: &str, back: (&str, &str)) -> Response {
    let lang = me.lang();
    me.page(
        StatusCode::NOT_FOUND,
        t!(lang, "Not found"),
        Some(&Notice::Problem(sentence.to_owned())),
        maud::html! { p { a href=(back.0) { (back.1) } } },
    )
}

/// An address the dashboard does not have: a page that says so, with the way home, in
/// the browser's language (whoever asks may not be logged in).
async fn no_such_page(headers: HeaderMap) -> Response {
    let lang = browser_language(&headers);
    page_response(
        StatusCode::NOT_FOUND,
        html::page(
            lang,
            t!(lang, "No such page"),
            None,
            Some(&Notice::Problem(
                t!(
                    lang,
                    "The dashboard has no page at this address. Start again from the home page."
                )
                .to_owned(),
            )),
            maud::html! { p { a href="/" { (t!(lang, "Home")) } } },
        ),
    )
}

/// The language the browser asks for (`Accept-Language`), for pages shown before log-in.
pub(crate) fn browser_language(headers: &HeaderMap) -> Language {
    lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Headers every answer carries: no scripts at all, no framing, no caching of
/// personal pages, no referrer leaving the hub.
async fn protect(mut response: Response) -> Response {
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The dashboard is only ever HTTPS: a browser that has seen it once never tries it
    // in plain HTTP again (a year, renewed on every visit).
    set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}

/// The answer instead of the page: the log-in page, or a refusal (boxed: it is large).
type Refused = Box<Response>;

/// A logged-in account on this request.
pub(crate) struct Me {
    account: AccountView,
    csrf: String,
    token: String,
}

impl Me {
    /// The language the account reads.
    fn lang(&self) -> Language {
        self.account.language
    }

    /// A page for this account, in its language, with `status`.
    pub(crate) fn page(
        &self,
        status: StatusCode,
        title: &str,
        notice: Option<&Notice>,
        body: maud::Markup,
    ) -> Response {
        page_response(
            status,
            html::page(self.lang(), title, Some(&self.viewer()), notice, body),
        )
    }

    fn viewer(&self) -> html::Viewer<'_> {
        html::Viewer {
            name: self.account.name.as_str(),
            role: self.account.role,
            csrf: &self.csrf,
        }
    }
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl Web {
    /// Who is logged in, if anyone (and their account still exists).
    fn me(&self, headers: &HeaderMap) -> Option<Me> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let session = self.sessions.get(&token)?;
        let account = self.hub.account(&session.account).ok()??;
        Some(Me {
            account,
            csrf: session.csrf,
            token,
        })
    }

    /// The logged-in account, if it may open `area`; else the answer to give: the
    /// log-in page (leading on to `wanted`, the page asked for, after log-in), or "not
    /// for your role".
    fn require(
        &self,
        headers: &HeaderMap,
        wanted: Option<&str>,
        area: Area,
    ) -> Result<Me, Refused> {
        let Some(me) = self.me(headers) else {
            let login = wanted.map_or_else(|| "/login".to_owned(), login::login_leading_to);
            return Err(Box::new(see_other(&login)));
        };
        if !me.account.role.may(area) {
            let lang = me.lang();
            let body = html::page(
                lang,
                t!(lang, "Not for your account"),
                Some(&me.viewer()),
                Some(&html::Notice::Problem(t!(
                    lang,
                    "A {} account cannot open this page. Ask an admin if you need it.",
                    html::role_name(lang, me.account.role)
                ))),
                maud::html! { p { a href="/" { (t!(lang, "Home")) } } },
            );
            return Err(Box::new(page_response(StatusCode::FORBIDDEN, body)));
        }
        Ok(me)
    }

    /// Writes a change to the audit log; a failure is logged, the change stands.
    async fn audit(&self, me: &Me, what: &str) {
        if let Err(e) = self.hub.audit(me.account.name.as_str(), what).await {
            tracing::error!(error = %e, what, "could not write the audit log");
        }
    }
}

/// Whether a form came with this session's token; if not, the "form out of date" page.
fn check_token(me: &Me, csrf: &str) -> Result<(), Refused> {
    if !sessions::same_secret(&me.csrf, csrf) {
        let lang = me.lang();
        let body = html::page(
            lang,
            t!(lang, "Form out of date"),
            Some(&me.viewer()),
            Some(&html::Notice::Problem(
                t!(
                    lang,
                    "This form is out of date or came from another site: open the page again and send it once more."
                )
                .to_owned(),
            )),
            maud::html! {},
        );
        return Err(Box::new(page_response(StatusCode::FORBIDDEN, body)));
    }
    Ok(())
}

/// An HTML page with its status.
fn page_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// "See the page at `to`" after a form (so that reloading does not send it again).
fn see_other(to: &str) -> Response {
    match HeaderValue::try_from(to) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Why a page could not be shown: the store failed. Said plainly, logged in full.
pub(crate) fn failed(me: &Me, e: &AppError) -> Response {
    tracing::error!(error = %e, "a dashboard page failed");
    let lang = me.lang();
    me.page(
        StatusCode::INTERNAL_SERVER_ERROR,
        t!(lang, "Something went wrong"),
        Some(&Notice::Problem(problems::explain(lang, e))),
        maud::html! {},
    )
}

/// A date and time in Belgium in the viewer's language: `di 12 jan 2027, 14:00`.
pub(crate) fn when(lang: Language, t: UnixMillis) -> String {
    lang::date_time(lang, t)
}

/// `?done=…` after a form: a fixed message per code, never text from the address.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Done {
    /// The code.
    pub(crate) done: String,
}

/// The notice for `done`'s code: `known` gives each code's text in the viewer's language.
pub(crate) fn done_notice(done: &Done, known: &[(&str, &str)]) -> Option<Notice> {
    known
        .iter()
        .find(|(code, _)| *code == done.done)
        .map(|(_, text)| Notice::Done((*text).to_owned()))
}

#[cfg(test)]
mod tests;
