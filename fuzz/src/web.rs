//! `web_forms`: requests to the dashboard, through its router (axum's form and query
//! extraction, the form token check, each handler's own parsing of its fields, and the
//! use case behind it), as a logged-in coach or admin, or a stranger.
//!
//! Input: the first line is `WHO METHOD PATH` (`coach POST /people`; WHO is `coach`,
//! `admin` or `stranger`), the rest the form's body, sent as
//! `application/x-www-form-urlencoded`, or as `multipart/form-data` when it starts with
//! `--nabij-fuzz` (its boundary). The session's form token is added to every form.
//!
//! The dashboard answers any request with a page or a redirect, never a server error,
//! and a page never carries a `<script>` (the crawl test's rule, for any input). Log-in
//! takes an Argon2 hash, too slow to do for each input: the hub and its sessions live
//! for a few thousand inputs, so a crash may need the ones before it. Its input is
//! saved all the same, and is replayed alone to check.

use crate::hub::{Broker, fill, hub_over};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nabij_hub::domain::accounts::Role;
use nabij_hub::store::MemoryStorage;
use nabij_protocol::Language;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

const PASSWORD: &str = "het fuzzen van formulieren";
/// The multipart boundary a body starts with to be sent as `multipart/form-data`.
const BOUNDARY: &str = "nabij-fuzz";
/// Inputs a dashboard takes before a fresh one replaces it.
const INPUTS_PER_DASHBOARD: u32 = 5_000;

/// A logged-in browser: its session cookie and the form token of its pages.
struct Session {
    cookie: String,
    csrf: String,
}

/// A hub with its dashboard, a coach and an admin logged in.
struct Dashboard {
    runtime: tokio::runtime::Runtime,
    router: Router,
    coach: Session,
    admin: Session,
    inputs: u32,
}

impl Dashboard {
    fn new() -> Dashboard {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let store = Arc::new(MemoryStorage::default());
        let hub = hub_over(store.clone(), Arc::new(Broker::default()));
        let router = runtime.block_on(async {
            let cast = fill(&hub, store).await;
            hub.add_account("beheer", Role::Admin, None, PASSWORD, Language::Nl)
                .await
                .expect("an admin");
            hub.add_account(
                "marie",
                Role::Coach,
                Some(&cast.coach),
                PASSWORD,
                Language::Nl,
            )
            .await
            .expect("a coach");
            let _ = cast.anna;
            nabij_hub::web::router(hub)
        });
        let coach = runtime.block_on(log_in(&router, "marie", "/devices"));
        let admin = runtime.block_on(log_in(&router, "beheer", "/admin/accounts"));
        Dashboard {
            runtime,
            router,
            coach,
            admin,
            inputs: 0,
        }
    }
}

/// Sends a request as a browser on the local network would.
async fn send(router: &Router, mut request: Request<Body>) -> (StatusCode, Vec<String>, String) {
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 168, 1, 20],
            50_000,
        ))));
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router always answers");
    let status = response.status();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("the whole page");
    let body = if is_html {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        String::new()
    };
    (status, cookies, body)
}

/// The value of the hidden field `name` on a page.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("the field on the page") + marker.len();
    let end = page[start..].find('"').expect("its end");
    page[start..start + end].to_owned()
}

/// Logs `name` in and reads the form token from `page`.
async fn log_in(router: &Router, name: &str, page: &str) -> Session {
    let get = |path: &str, cookie: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("a request")
    };
    let (_, cookies, form) = send(router, get("/login", "")).await;
    let token = field(&form, "token");
    let body = format!(
        "name={name}&password={}&token={token}",
        PASSWORD.replace(' ', "+")
    );
    let request = Request::post("/login")
        .header(header::COOKIE, cookies.join("; "))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("a request");
    let (status, cookies, _) = send(router, request).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{name} logged in");
    let cookie = cookies.join("; ");
    let (_, _, page) = send(router, get(page, &cookie)).await;
    Session {
        csrf: field(&page, "csrf"),
        cookie,
    }
}

/// Whether `NABIJ_FUZZ_VERBOSE` asks for each request's answer to be printed.
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("NABIJ_FUZZ_VERBOSE").is_some())
}

fn dashboard() -> &'static Mutex<Option<Dashboard>> {
    static DASHBOARD: OnceLock<Mutex<Option<Dashboard>>> = OnceLock::new();
    DASHBOARD.get_or_init(|| Mutex::new(None))
}

/// Runs one input.
pub fn forms(data: &[u8]) {
    let (first, body) = crate::input::first_line(data);
    let first = String::from_utf8_lossy(first);
    let mut words = first.split(' ');
    let (Some(who), Some(method), Some(path), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return;
    };
    let mut slot = dashboard().lock().unwrap_or_else(|p| p.into_inner());
    if slot
        .as_ref()
        .is_none_or(|d| d.inputs >= INPUTS_PER_DASHBOARD)
    {
        *slot = Some(Dashboard::new());
    }
    let Some(dashboard) = slot.as_mut() else {
        return;
    };
    dashboard.inputs += 1;
    let session = match who {
        "coach" => Some(&dashboard.coach),
        "admin" => Some(&dashboard.admin),
        _ => None,
    };
    let cookie = session.map(|s| s.cookie.as_str()).unwrap_or_default();
    let csrf = session.map(|s| s.csrf.as_str()).unwrap_or_default();
    let request = match method {
        "GET" => Request::get(path).body(Body::empty()),
        "POST" if body.starts_with(format!("--{BOUNDARY}").as_bytes()) => {
            let mut with_token = format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .into_bytes();
            with_token.extend_from_slice(body);
            Request::post(path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(Body::from(with_token))
        }
        "POST" => {
            let mut with_token = body.to_vec();
            with_token.extend_from_slice(format!("&csrf={csrf}").as_bytes());
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(with_token))
        }
        _ => return,
    };
    // A path that is no URI is refused by the HTTP parser before the dashboard sees it.
    let Ok(mut request) = request else {
        return;
    };
    if let Ok(cookie) = header::HeaderValue::from_str(cookie) {
        request.headers_mut().insert(header::COOKIE, cookie);
    }
    let (status, cookies, page) = dashboard.runtime.block_on(send(&dashboard.router, request));
    // Logged out (`/logout`, or a session cleared): the next input gets a fresh dashboard,
    // so that the inputs after it still come from a logged-in browser.
    if session.is_some() && cookies.iter().any(|c| c.ends_with('=')) {
        dashboard.inputs = INPUTS_PER_DASHBOARD;
    }
    if verbose() {
        // For keeping the corpus useful: which inputs reach a handler, which are refused.
        println!("{who} {method} {path} → {status}");
    }
    assert!(
        !status.is_server_error(),
        "{who} {method} {path} answered {status}:\n{page}"
    );
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "{who} {method} {path}: a page with a script:\n{page}"
    );
}
