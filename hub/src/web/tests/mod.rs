//! The dashboard's pages through its router, as a browser uses them: cookies kept,
//! forms sent with their tokens. No socket; the TLS server has its own test below.

mod crawl;
mod inbox;
mod keepsake;
mod login;
mod status;
mod tablet_security;
mod today;

use super::router;
use crate::app::Hub;
use crate::app::testing::{Recorder, hub, pairing_code, status, up};
use crate::domain::accounts::Role;
use crate::domain::attendance::Mark;
use crate::domain::devices::DeviceState;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nabij_protocol::Language;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "de zee is grijs vandaag";

/// A browser: its cookies, and the last page's form token.
struct Browser {
    router: Router,
    cookies: BTreeMap<String, String>,
    /// What the browser sends as `Accept-Language` (English unless a test says otherwise).
    accept_language: &'static str,
    /// The address its requests come from, as the server would put it on them.
    source: std::net::SocketAddr,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
    bytes: Vec<u8>,
    headers: axum::http::HeaderMap,
}

impl Answer {
    /// The value of the hidden field `name` in the page's first form that has one.
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker).expect("the field") + marker.len();
        let end = self.body[start..].find('"').expect("its end");
        self.body[start..start + end].to_owned()
    }
}

impl Browser {
    fn new(router: Router) -> Browser {
        Browser {
            router,
            cookies: BTreeMap::new(),
            accept_language: "en",
            source: std::net::SocketAddr::from(([192, 168, 1, 20], 50_000)),
        }
    }

    async fn send(&mut self, mut request: Request<Body>) -> Answer {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.source));
        request.headers_mut().insert(
            header::ACCEPT_LANGUAGE,
            header::HeaderValue::from_static(self.accept_language),
        );
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("an answer");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            assert!(
                text.contains("Secure") && text.contains("HttpOnly") && text.contains("SameSite"),
                "{text}"
            );
            let (pair, _) = text.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), value.into());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Answer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
            headers,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Answer {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Sends a `multipart/form-data` form; `file` is a field with a file name.
    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Answer {
        const BOUNDARY: &str = "nabij-test-boundary-7d1c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"foto.png\"\r\nContent-Type: image/png\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn log_in(&mut self, name: &str, password: &str) -> Answer {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let token = form.field("token");
        self.post(
            "/login",
            &[("name", name), ("password", password), ("token", &token)],
        )
        .await
    }

    /// The form token of the page at `path`.
    async fn csrf(&mut self, path: &str) -> String {
        self.get(path).await.field("csrf")
    }
}

/// The audit log as the admin reads it.
async fn audit_log(router: Router) -> Answer {
    let mut admin = Browser::new(router);
    admin.log_in("beheer", PASSWORD).await;
    admin.get("/admin/audit").await
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A hub with an admin, a coach (Marie, coach of Oostende Oost with Jan Claes in it) and
/// a staff account.
async fn setup() -> (Hub, Arc<Recorder>, Router) {
    let (hub, out) = hub();
    let group = hub.add_group("Oostende Oost", None).await.unwrap().id;
    let marie = hub
        .add_coach("Marie Dewulf", "059 12 34 56", Some(&group))
        .await
        .unwrap()
        .id;
    hub.add_participant("Jan Claes", Some(&group), None)
        .await
        .unwrap();
    // These tests read the pages' English source text; others read them in Dutch and
    // French.
    hub.add_account("beheer", Role::Admin, None, PASSWORD, Language::En)
        .await
        .unwrap();
    hub.add_account("marie", Role::Coach, Some(&marie), PASSWORD, Language::En)
        .await
        .unwrap();
    hub.add_account("piet", Role::Staff, None, PASSWORD, Language::En)
        .await
        .unwrap();
    let router = router(hub.clone());
    (hub, out, router)
}

#[tokio::test]
async fn every_page_but_the_log_in_needs_a_log_in() {
    let (_, _, router) = setup().await;
    let mut stranger = Browser::new(router);
    for path in [
        "/",
        "/followup",
        "/devices",
        "/reports",
        "/admin/accounts",
        "/admin/audit",
    ] {
        let answer = stranger.get(path).await;
        assert_eq!(
            (answer.status, answer.location),
            (
                StatusCode::SEE_OTHER,
                Some(super::login::login_leading_to(path))
            ),
            "{path}"
        );
    }
    let lost = stranger.get("/no/such/page").await;
    assert_eq!(lost.status, StatusCode::NOT_FOUND);
    assert!(lost.body.contains("no page at this address") && lost.body.contains("href=\"/\""));
    let login = stranger.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(login.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let refused = stranger
        .post(
            "/devices/enrol",
            &[
                ("csrf", "x"),
                ("code", "ABCDEF"),
                ("participant", "p-jan-claes"),
            ],
        )
        .await;
    assert_eq!(refused.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn each_role_opens_its_own_pages_only() {
    let (_, _, router) = setup().await;
    // Each page, and whether admin (beheer), coach (marie) and staff (piet) may open it.
    let pages = [
        ("/", [true, true, true]),
        ("/followup", [false, true, false]),
        ("/devices", [false, true, false]),
        ("/groups", [false, true, false]),
        ("/groups/g-oostende-oost", [false, true, false]),
        ("/groups/g-oostende-oost/diary", [false, true, false]),
        ("/reports", [true, true, true]),
        ("/admin/accounts", [true, false, false]),
        ("/admin/audit", [true, false, false]),
        ("/messages", [false, true, false]),
        ("/people", [false, true, false]),
        ("/people/p-jan-claes", [false, true, false]),
        ("/people/p-jan-claes/export", [false, true, false]),
    ];
    for (who, name) in ["beheer", "marie", "piet"].into_iter().enumerate() {
        let may: Vec<bool> = pages.iter().map(|(_, m)| m[who]).collect();
        let pages: Vec<&str> = pages.iter().map(|(p, _)| *p).collect();
        let mut browser = Browser::new(router.clone());
        let logged = browser.log_in(name, PASSWORD).await;
        assert_eq!(
            logged.location.as_deref(),
            Some("/"),
            "{name}: {}",
            logged.body
        );
        for (path, allowed) in pages.iter().zip(may) {
            let answer = browser.get(path).await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(answer.status, expected, "{name} on {path}");
        }
    }
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_the_fifth_locks_the_account() {
    let (hub, _, router) = setup().await;
    let mut browser = Browser::new(router);
    for _ in 0..4 {
        let answer = browser.log_in("marie", "niet het wachtwoord").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.body.contains("The name or the password is wrong."));
    }
    let locked = browser.log_in("marie", "niet het wachtwoord").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .body
            .contains("log-in is paused for a quarter of an hour")
    );
    assert_eq!(
        browser.log_in("marie", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(!browser.cookies.contains_key("__Host-nabij"), "no session");
    // The same answer for a name that does not exist: names cannot be guessed.
    assert_eq!(
        Browser::new(router_of(&hub))
            .log_in("niemand", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

fn router_of(hub: &Hub) -> Router {
    router(hub.clone())
}

#[tokio::test]
async fn a_log_in_from_another_site_is_refused() {
    let (_, _, router) = setup().await;
    let mut browser = Browser::new(router);
    // No log-in page fetched first: no token cookie, as when another site posts the form.
    let answer = browser
        .post(
            "/login",
            &[("name", "marie"), ("password", PASSWORD), ("token", "abc")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("__Host-nabij"));
}

#[tokio::test]
async fn a_form_without_this_sessions_token_changes_nothing() {
    let (hub, out, router) = setup().await;
    let code = pairing_code(&hub, &out, &format!("e-{}", "ab".repeat(16))).await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let answer = marie
        .post(
            "/devices/enrol",
            &[
                ("csrf", "forged"),
                ("code", &code),
                ("participant", jan.as_str()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("out of date"));
    assert!(hub.devices(false).unwrap().is_empty());
}

#[tokio::test]
async fn a_coach_pairs_a_tablet_with_the_code_it_shows_and_the_audit_log_says_so() {
    let (hub, out, router) = setup().await;
    let code = pairing_code(&hub, &out, &format!("e-{}", "cd".repeat(16))).await;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let page = marie.get("/devices").await;
    assert!(page.body.contains("Jan Claes") && page.body.contains("No tablet is paired yet"));
    // A link with the code fills it in, cleaned of anything a code cannot hold.
    let linked = marie.get("/devices?code=k7p-x4c%22%3E%3Cscript%3E").await;
    assert!(
        linked.body.contains("name=\"code\" required maxlength=\"16\" autocomplete=\"off\" autocapitalize=\"characters\" value=\"K7PX4C\""),
        "{}",
        linked.body
    );
    assert!(!linked.body.contains("<script>"));

    let csrf = page.field("csrf");
    let wrong = marie
        .post(
            "/devices/enrol",
            &[
                ("csrf", &csrf),
                ("code", "ZZZZZZ"),
                ("participant", jan.as_str()),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Not paired"), "{}", wrong.body);

    let done = marie
        .post(
            "/devices/enrol",
            &[
                ("csrf", &csrf),
                ("code", &code.to_lowercase()),
                ("participant", jan.as_str()),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/devices?done=enrolled"),
        "{}",
        done.body
    );
    let listed = marie.get("/devices?done=enrolled").await;
    assert!(listed.body.contains("The tablet is paired"));
    let devices = hub.devices(false).unwrap();
    assert_eq!(devices.len(), 1);
    assert!(listed.body.contains(devices[0].device.id.as_str()));

    let log = audit_log(router).await;
    assert!(
        log.body.contains(&format!(
            "enrolled tablet {} for {jan}",
            devices[0].device.id
        )),
        "{}",
        log.body
    );
    assert!(log.body.contains("marie") && log.body.contains("logged in"));
}

#[tokio::test]
async fn a_call_for_help_is_on_the_follow_up_page_until_a_coach_deals_with_it() {
    let (hub, _, router) = setup().await;
    let (_, device) = crate::app::testing::tablet(&hub, "Mia").await;
    hub.handle_batch(vec![status(&device, true)]).await;
    let (help, _) = up(
        &device,
        nabij_protocol::Body::HelpRequest(nabij_protocol::HelpRequest { note: None }),
    );
    hub.handle_batch(vec![help]).await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/followup").await;
    assert!(
        page.body.contains("Mia") && page.body.contains("asked to be called"),
        "{}",
        page.body
    );
    let person = page.field("person");
    let csrf = page.field("csrf");
    let done = marie
        .post(
            "/followup/handled",
            &[
                ("csrf", &csrf),
                ("person", &person),
                ("reason", "asked-for-call"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/followup?done=answered"),
        "{}",
        done.body
    );
    let after = marie.get("/followup").await;
    assert!(
        after.body.contains("No one needs a call now"),
        "{}",
        after.body
    );
    assert!(hub.follow_up(false).unwrap().is_empty());
}

#[tokio::test]
async fn names_from_people_and_tablets_are_shown_as_text_never_as_markup() {
    let (hub, out, router) = setup().await;
    let evil = hub
        .add_participant("<script>alert(1)</script>", None, None)
        .await
        .unwrap()
        .id;
    let code = pairing_code(&hub, &out, &format!("e-{}", "ef".repeat(16))).await;
    hub.enrol(&code, &evil, None, "command line").await.unwrap();
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/devices").await;
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn an_admin_adds_accounts_and_staff_see_figures_without_names() {
    let (hub, _, router) = setup().await;
    let mut admin = Browser::new(router.clone());
    admin.log_in("beheer", PASSWORD).await;
    let csrf = admin.csrf("/admin/accounts").await;
    let weak = admin
        .post(
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("name", "els"),
                ("role", "staff"),
                ("coach", ""),
                ("password", "kort"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("A password has at least 10 characters"));
    let added = admin
        .post(
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("name", "Els"),
                ("role", "staff"),
                ("coach", ""),
                ("password", PASSWORD),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(
        added.location.as_deref(),
        Some("/admin/accounts?done=added")
    );
    assert!(
        hub.accounts()
            .unwrap()
            .iter()
            .any(|a| a.name.as_str() == "els")
    );

    let mut els = Browser::new(router);
    assert_eq!(
        els.log_in("els", PASSWORD).await.location.as_deref(),
        Some("/")
    );
    let reports = els.get("/reports").await;
    assert_eq!(reports.status, StatusCode::OK);
    assert!(
        reports.body.contains("<html lang=\"fr\">"),
        "Els reads French"
    );
    assert!(reports.body.contains("Oostende Oost"));
    assert!(
        !reports.body.contains("Jan Claes"),
        "staff see groups, not people"
    );
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let (_, _, router) = setup().await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let old_cookie = marie.cookies["__Host-nabij"].clone();
    let csrf = marie.csrf("/").await;
    let out = marie.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(!marie.cookies.contains_key("__Host-nabij"));
    // The old cookie, kept by someone, no longer opens anything.
    marie.cookies.insert("__Host-nabij".into(), old_cookie);
    assert_eq!(marie.get("/").await.location.as_deref(), Some("/login"));
}

/// The date `days` days from today, as a form gives it.
fn day_from_today(days: i64) -> String {
    let today = nabij_protocol::UnixMillis::now().0 / 86_400_000;
    crate::domain::calendar::Date::new(1970, 1, 1)
        .unwrap()
        .plus_days(today as i64 + days)
        .to_string()
}

#[tokio::test]
async fn a_coach_plans_moves_and_cancels_meetings_and_downloads_the_calendar() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").unwrap().id;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/groups").await;
    assert!(
        page.body.contains("/groups/g-oostende-oost"),
        "{}",
        page.body
    );
    let csrf = marie.csrf("/groups/g-oostende-oost").await;
    let bad = marie
        .post(
            "/groups/g-oostende-oost/plan",
            &[
                ("csrf", &csrf),
                ("first", "12/01/2027"),
                ("time", "14:00"),
                ("minutes", "180"),
                ("place", "Buurthuis"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("first meeting's date"));
    let planned = marie
        .post(
            "/groups/g-oostende-oost/plan",
            &[
                ("csrf", &csrf),
                ("first", "2099-03-17"),
                ("time", "14:00"),
                ("minutes", "180"),
                ("place", "Buurthuis De Schelp"),
                ("address", ""),
            ],
        )
        .await;
    assert_eq!(
        planned.location.as_deref(),
        Some("/groups/g-oostende-oost?done=planned"),
        "{}",
        planned.body
    );
    let sessions = hub.schedule(&group).unwrap();
    assert_eq!(sessions.len(), 20);
    let page = marie.get("/groups/g-oostende-oost?done=planned").await;
    assert!(
        page.body.contains("Meeting 1") && page.body.contains("Tue 17 Mar 2099, 14:00–17:00"),
        "{}",
        page.body
    );

    let first = sessions[0].id.to_string();
    let moved = marie
        .post(
            &format!("/sessions/{first}/move"),
            &[
                ("csrf", &csrf),
                ("date", "2099-03-19"),
                ("time", "10:00"),
                ("place", ""),
            ],
        )
        .await;
    assert_eq!(
        moved.location.as_deref(),
        Some("/groups/g-oostende-oost?done=moved")
    );
    let now_first = &hub.schedule(&group).unwrap()[0];
    assert_eq!(now_first.when_words(), "Thu 2099-03-19 10:00–13:00");
    assert_eq!(now_first.place, "Buurthuis De Schelp", "the same place");

    let second = sessions[1].id.to_string();
    let unsure = marie
        .post(&format!("/sessions/{second}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unsure.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cancelled = marie
        .post(
            &format!("/sessions/{second}/cancel"),
            &[("csrf", &csrf), ("sure", "yes")],
        )
        .await;
    assert_eq!(
        cancelled.location.as_deref(),
        Some("/groups/g-oostende-oost?done=cancelled")
    );
    assert!(
        hub.schedule(&group)
            .unwrap()
            .iter()
            .any(|s| s.id.as_str() == second
                && s.state == crate::domain::schedule::SessionState::Cancelled)
    );

    let add = |date: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("series", "weekly".to_owned()),
            ("date", date.to_owned()),
            ("time", "14:00".to_owned()),
            ("minutes", "180".to_owned()),
            ("place", "Buurthuis De Schelp".to_owned()),
        ]
    };
    let fields = add("2099-06-02");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = marie.post("/groups/g-oostende-oost/add", &fields).await;
    assert_eq!(
        added.location.as_deref(),
        Some("/groups/g-oostende-oost?done=added"),
        "{}",
        added.body
    );
    assert!(
        hub.schedule(&group)
            .unwrap()
            .iter()
            .any(|s| s.when_words() == "Tue 2099-06-02 14:00–17:00")
    );
    let fields = add("2099-06-09");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let full = marie.post("/groups/g-oostende-oost/add", &fields).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        full.body
            .contains("All ten weekly meetings are planned already."),
        "{}",
        full.body
    );

    let ics = marie.get("/groups/g-oostende-oost/schedule.ics").await;
    assert_eq!(
        ics.headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert!(ics.body.starts_with("BEGIN:VCALENDAR") && ics.body.contains("STATUS:CANCELLED"));
    let mut audit = Browser::new(router_of(&hub));
    audit.log_in("beheer", PASSWORD).await;
    let log = audit.get("/admin/audit").await;
    assert!(
        log.body.contains("planned 20 meetings for g-oostende-oost")
            && log.body.contains(&format!("cancelled {second}"))
    );
}

#[tokio::test]
async fn attendance_is_taken_with_one_tap_per_person_starting_from_the_answers() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").unwrap().id;
    hub.add_participant("Mia Maes", Some(&group), None)
        .await
        .unwrap();
    let plan = crate::domain::schedule::Plan {
        first: crate::domain::calendar::Date::parse(&day_from_today(-14)).unwrap(),
        time: crate::domain::schedule::TimeOfDay { hour: 9, minute: 0 },
        minutes: 180,
        place: "Buurthuis".into(),
        address: None,
    };
    let sessions = hub.plan_schedule(&group, plan).await.unwrap();
    let first = sessions[0].id.to_string();
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get(&format!("/sessions/{first}/attendance")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Jan Claes") && page.body.contains("Mia Maes"));
    assert!(page.body.contains("no answer"));
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let mia = hub.find_participant("Mia Maes").unwrap().id;
    let csrf = page.field("csrf");
    let saved = marie
        .post(
            &format!("/sessions/{first}/attendance"),
            &[
                ("csrf", &csrf),
                (&format!("mark-{jan}"), "present"),
                (&format!("mark-{mia}"), "absent"),
            ],
        )
        .await;
    assert_eq!(
        saved.location,
        Some(format!("/sessions/{first}/attendance?done=taken")),
        "{}",
        saved.body
    );
    let sheet = hub.attendance_sheet(&sessions[0].id).unwrap();
    let marks: Vec<_> = sheet
        .rows
        .iter()
        .map(|r| (r.name.as_str(), r.mark))
        .collect();
    assert_eq!(
        marks,
        [
            ("Jan Claes", Some(Mark::Present)),
            ("Mia Maes", Some(Mark::Absent))
        ]
    );
    let again = marie
        .get(&format!("/sessions/{first}/attendance?done=taken"))
        .await;
    assert!(again.body.contains("Attendance is saved"));
    assert!(
        again
            .body
            .contains(&format!("name=\"mark-{mia}\" value=\"absent\" checked")),
        "{}",
        again.body
    );

    // Staff see no figures of a group where no one agreed to count (the reports' own
    // tests, in reports.rs, take them further).
    let mut piet = Browser::new(router_of(&hub));
    piet.log_in("piet", PASSWORD).await;
    let reports = piet.get("/reports").await;
    assert!(
        reports.body.contains("No member of this group agreed"),
        "{}",
        reports.body
    );
    assert!(!reports.body.contains("Mia Maes"), "no names for staff");

    // A meeting still to come cannot be taken yet; the page says so.
    let later = sessions[10].id.to_string();
    let early = marie
        .post(
            &format!("/sessions/{later}/attendance"),
            &[("csrf", &csrf), (&format!("mark-{jan}"), "excused")],
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early
            .body
            .contains("Attendance can be saved from an hour before the meeting starts"),
        "{}",
        early.body
    );
    // What was ticked is on the page again, not lost.
    assert!(
        early
            .body
            .contains(&format!("name=\"mark-{jan}\" value=\"excused\" checked")),
        "{}",
        early.body
    );
}

#[tokio::test]
async fn a_coach_wipes_takes_back_and_switches_off_tablets_and_the_loans_say_so() {
    let (hub, out, router) = setup().await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let mia = hub
        .add_participant("Mia Maes", None, None)
        .await
        .unwrap()
        .id;
    let code = pairing_code(&hub, &out, &format!("e-{}", "aa".repeat(16))).await;
    let jans = hub
        .enrol(&code, &jan, None, "command line")
        .await
        .unwrap()
        .device;
    let code = pairing_code(&hub, &out, &format!("e-{}", "bb".repeat(16))).await;
    let mias = hub
        .enrol(&code, &mia, None, "command line")
        .await
        .unwrap()
        .device;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/devices").await;
    assert!(
        page.body.contains(&format!("/devices/{jans}/wipe")),
        "{}",
        page.body
    );
    let csrf = page.field("csrf");

    let unsure = marie
        .post(&format!("/devices/{jans}/wipe"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unsure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hub.device(&jans).unwrap().state, DeviceState::Active);
    let wiped = marie
        .post(
            &format!("/devices/{jans}/wipe"),
            &[("csrf", &csrf), ("sure", "yes")],
        )
        .await;
    assert_eq!(wiped.location.as_deref(), Some("/devices?done=wiped"));
    assert_eq!(hub.device(&jans).unwrap().state, DeviceState::WipePending);

    let back = marie
        .post(
            &format!("/devices/{mias}/return"),
            &[
                ("csrf", &csrf),
                ("condition", "broken"),
                ("note", "screen cracked"),
            ],
        )
        .await;
    assert_eq!(
        back.location.as_deref(),
        Some("/devices?done=returned"),
        "{}",
        back.body
    );
    let loans = hub.loans().unwrap();
    let mias_loan = loans.iter().find(|l| l.device == mias).unwrap();
    assert_eq!(
        mias_loan.condition,
        Some(crate::domain::loans::Condition::Broken)
    );
    assert!(!mias_loan.is_open());
    let page = marie.get("/devices?done=returned").await;
    assert!(
        page.body.contains("broken — screen cracked"),
        "{}",
        page.body
    );

    let code = pairing_code(&hub, &out, &format!("e-{}", "cc".repeat(16))).await;
    let again = hub
        .enrol(&code, &mia, None, "command line")
        .await
        .unwrap()
        .device;
    let off = marie
        .post(
            &format!("/devices/{again}/revoke"),
            &[("csrf", &csrf), ("sure", "yes")],
        )
        .await;
    assert_eq!(off.location.as_deref(), Some("/devices?done=revoked"));
    assert_eq!(hub.device(&again).unwrap().state, DeviceState::Revoked);
    let nowhere = marie
        .post(
            "/devices/d-0000000000000000/revoke",
            &[("csrf", &csrf), ("sure", "yes")],
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_coach_plans_the_diary_and_reads_only_what_members_shared() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").unwrap().id;
    let (mia, mia_tablet) = crate::app::testing::tablet(&hub, "Mia").await;
    let (rik, rik_tablet) = crate::app::testing::tablet(&hub, "Rik").await;
    for who in [&mia, &rik] {
        hub.move_participant(who, Some(&group)).await.unwrap();
    }
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/groups/g-oostende-oost/diary").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Who did you talk to this week?"));
    let csrf = page.field("csrf");
    let planned = marie
        .post(
            "/groups/g-oostende-oost/diary",
            &[
                ("csrf", &csrf),
                ("prompt", "q-talked-to"),
                ("week", &day_from_today(-1)),
            ],
        )
        .await;
    assert_eq!(
        planned.location.as_deref(),
        Some("/groups/g-oostende-oost/diary?done=planned"),
        "{}",
        planned.body
    );
    let taken = marie
        .post(
            "/groups/g-oostende-oost/diary",
            &[
                ("csrf", &csrf),
                ("prompt", "q-visitors"),
                ("week", &day_from_today(-1)),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.body.contains("already"), "{}", taken.body);

    let answer = |share, text: &str| {
        nabij_protocol::Body::DiaryAnswer(nabij_protocol::DiaryAnswer {
            prompt_id: nabij_protocol::PromptId::parse("q-talked-to").unwrap(),
            choices: vec![nabij_protocol::ChoiceId::parse("neighbours").unwrap()],
            people: Vec::new(),
            text: Some(text.into()),
            voice: None,
            share,
        })
    };
    hub.handle_batch(vec![
        up(
            &mia_tablet,
            answer(nabij_protocol::Share::MyGroup, "Met de buurvrouw"),
        )
        .0,
        up(&rik_tablet, answer(nabij_protocol::Share::OnlyMe, "Geheim")).0,
    ])
    .await;
    let page = marie.get("/groups/g-oostende-oost/diary").await;
    assert!(
        page.body.contains("Mia") && page.body.contains("Neighbours — “Met de buurvrouw”"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Geheim"),
        "a private answer never shows"
    );
    assert!(page.body.contains("1 answer kept for themselves."));
    let _ = rik;

    // Another group's coach neither reads nor plans this group's diary.
    let other = hub.add_group("Brugge Noord", None).await.unwrap().id;
    let els = hub
        .add_coach("Els Maes", "050 11 22 33", Some(&other))
        .await
        .unwrap()
        .id;
    hub.add_account("els", Role::Coach, Some(&els), PASSWORD, Language::En)
        .await
        .unwrap();
    let mut els = Browser::new(router_of(&hub));
    els.log_in("els", PASSWORD).await;
    let refused = els.get("/groups/g-oostende-oost/diary").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Only the coach of Oostende Oost"));
    assert!(!refused.body.contains("buurvrouw"));
    let csrf = els.csrf("/groups").await;
    let not_planned = els
        .post(
            "/groups/g-oostende-oost/diary",
            &[
                ("csrf", &csrf),
                ("prompt", "q-visitors"),
                ("week", &day_from_today(6)),
            ],
        )
        .await;
    assert_eq!(not_planned.status, StatusCode::FORBIDDEN);
    assert_eq!(hub.diary_weeks(&group).unwrap().len(), 1);
    // Her own group's diary opens.
    let own = els.get(&format!("/groups/{other}/diary")).await;
    assert_eq!(own.status, StatusCode::OK);
}

#[tokio::test]
async fn a_coach_writes_to_a_group_whose_members_are_her_contacts() {
    let (hub, out, router) = setup().await;
    let group = hub.find_group("Oostende Oost").unwrap().id;
    let (mia, mia_tablet) = crate::app::testing::tablet(&hub, "Mia").await;
    hub.move_participant(&mia, Some(&group)).await.unwrap();
    hub.handle_batch(vec![status(&mia_tablet, true)]).await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/messages/new").await;
    assert!(page.body.contains("value=\"group:g-oostende-oost\""));
    let csrf = page.field("csrf");
    let empty = marie
        .post_multipart(
            "/messages",
            &[
                ("csrf", &csrf),
                ("to", "group:g-oostende-oost"),
                ("text", "  "),
            ],
            None,
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let sent = marie
        .post_multipart(
            "/messages",
            &[
                ("csrf", &csrf),
                ("to", "group:g-oostende-oost"),
                ("text", "De bus vertrekt om 13:30"),
            ],
            None,
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/messages?done=sent"),
        "{}",
        sent.body
    );
    let to_mia = out.take(&nabij_protocol::Topic::DeviceDown(mia_tablet));
    assert!(
        to_mia.iter().any(|e| matches!(&e.body, nabij_protocol::Body::Text(t) if t.text == "De bus vertrekt om 13:30")),
        "{to_mia:?}"
    );
    let log = audit_log(router_of(&hub)).await;
    assert!(log.body.contains("sent a message to g-oostende-oost"));
    assert!(
        !log.body.contains("De bus"),
        "no message content in the audit log"
    );
}

#[tokio::test]
async fn a_coach_edits_consent_and_approves_and_removes_contacts() {
    let (hub, out, router) = setup().await;
    let (mia, mia_tablet) = crate::app::testing::tablet(&hub, "Mia").await;
    hub.handle_batch(vec![status(&mia_tablet, true)]).await;
    out.take(&nabij_protocol::Topic::DeviceDown(mia_tablet.clone()));
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let list = marie.get("/people").await;
    assert!(
        list.body.contains(&format!("/people/{mia}")),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("Coaches, family and friends") && list.body.contains("Marie Dewulf")
    );
    let coach = hub.find_person("Marie Dewulf").unwrap().id;
    let coach_page = marie.get(&format!("/people/{coach}")).await;
    assert_eq!(coach_page.status, StatusCode::OK);
    assert!(
        !coach_page
            .body
            .contains(&format!("action=\"/people/{coach}/details\"")),
        "a coach has no participant details"
    );
    assert!(
        coach_page.body.contains("Jan Claes"),
        "the coach's contacts: her group"
    );
    let page = marie.get(&format!("/people/{mia}")).await;
    assert!(page.body.contains("No contacts yet"));
    let csrf = page.field("csrf");

    let saved = marie
        .post(
            &format!("/people/{mia}/details"),
            &[
                ("csrf", &csrf),
                ("phone", "059 11 22 33"),
                ("address", ""),
                ("consent_research", "yes"),
            ],
        )
        .await;
    assert_eq!(
        saved.location,
        Some(format!("/people/{mia}?done=saved")),
        "{}",
        saved.body
    );
    let person = hub.person(&mia).unwrap();
    assert_eq!(person.phone.as_deref(), Some("059 11 22 33"));
    assert!(person.consent.research && !person.consent.photos && !person.transport);

    let approved = marie
        .post(
            &format!("/people/{mia}/contacts/approve"),
            &[("csrf", &csrf), ("other", jan.as_str())],
        )
        .await;
    assert_eq!(
        approved.location,
        Some(format!("/people/{mia}?done=approved"))
    );
    assert_eq!(hub.contacts_of(&mia).unwrap()[0].id, jan);
    let contacts_sent = |out: &Recorder| {
        out.take(&nabij_protocol::Topic::DeviceDown(mia_tablet.clone()))
            .into_iter()
            .filter_map(|e| match e.body {
                nabij_protocol::Body::Contacts(c) => Some(c.contacts.len()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(contacts_sent(&out), [1], "the tablet gets its new list");

    let unsure = marie
        .post(
            &format!("/people/{mia}/contacts/remove"),
            &[("csrf", &csrf), ("other", jan.as_str())],
        )
        .await;
    assert_eq!(unsure.status, StatusCode::UNPROCESSABLE_ENTITY);
    let removed = marie
        .post(
            &format!("/people/{mia}/contacts/remove"),
            &[("csrf", &csrf), ("other", jan.as_str()), ("sure", "yes")],
        )
        .await;
    assert_eq!(
        removed.location,
        Some(format!("/people/{mia}?done=removed"))
    );
    assert!(hub.contacts_of(&mia).unwrap().is_empty());
    assert_eq!(contacts_sent(&out), [0]);
    let again = marie
        .post(
            &format!("/people/{mia}/contacts/remove"),
            &[("csrf", &csrf), ("other", jan.as_str()), ("sure", "yes")],
        )
        .await;
    assert!(again.body.contains("are not contacts"), "{}", again.body);
}

#[tokio::test]
async fn a_coach_adds_a_group_a_participant_and_a_coach_and_bad_input_is_kept_for_mending() {
    let (hub, _, router) = setup().await;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let csrf = marie.csrf("/groups").await;
    let nameless = marie
        .post(
            "/groups",
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("neighbourhood", "Hazegras"),
            ],
        )
        .await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nameless.body.contains("A name has 1 to") && nameless.body.contains("value=\"Hazegras\""),
        "{}",
        nameless.body
    );
    let added = marie
        .post(
            "/groups",
            &[
                ("csrf", &csrf),
                ("name", "Knokke Zee"),
                ("neighbourhood", "Hazegras"),
            ],
        )
        .await;
    assert_eq!(
        added.location.as_deref(),
        Some("/groups/g-knokke-zee?done=created")
    );
    let group = hub.find_group("Knokke Zee").unwrap();
    assert_eq!(group.neighbourhood.as_deref(), Some("Hazegras"));

    let csrf = marie.csrf("/people").await;
    let person = marie
        .post(
            "/people",
            &[
                ("csrf", &csrf),
                ("role", "participant"),
                ("name", "Rosa Vermeulen"),
                ("group", "g-knokke-zee"),
                ("language", "fr"),
            ],
        )
        .await;
    let rosa = hub.find_participant("Rosa Vermeulen").unwrap();
    assert_eq!(
        person.location,
        Some(format!("/people/{}?done=added", rosa.id))
    );
    assert_eq!(rosa.group, Some(group.id.clone()));
    assert_eq!(rosa.language, Some(nabij_protocol::Language::Fr));
    let no_phone = marie
        .post(
            "/people",
            &[
                ("csrf", &csrf),
                ("role", "coach"),
                ("name", "Els Maes"),
                ("phone", "geen"),
                ("group", "g-knokke-zee"),
            ],
        )
        .await;
    assert_eq!(no_phone.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The name typed stays in the coach form, not in the participant form.
    assert!(
        no_phone
            .body
            .contains("id=\"c-name\" name=\"name\" required maxlength=\"80\" value=\"Els Maes\"")
    );
    assert!(
        no_phone
            .body
            .contains("id=\"p-name\" name=\"name\" required maxlength=\"80\" value=\"\"")
    );
    let coach = marie
        .post(
            "/people",
            &[
                ("csrf", &csrf),
                ("role", "coach"),
                ("name", "Els Maes"),
                ("phone", "050 11 22 33"),
                ("group", "g-knokke-zee"),
            ],
        )
        .await;
    let els = hub.find_person("Els Maes").unwrap();
    assert_eq!(
        coach.location,
        Some(format!("/people/{}?done=added", els.id))
    );
    assert_eq!(
        hub.find_group("Knokke Zee").unwrap().coach,
        Some(els.id.clone())
    );
    // The new coach of the group is on the new member's contact list.
    assert!(
        hub.contacts_of(&rosa.id)
            .unwrap()
            .iter()
            .any(|c| c.id == els.id)
    );
    let unknown_group = marie
        .post(
            "/people",
            &[
                ("csrf", &csrf),
                ("role", "participant"),
                ("name", "Noor"),
                ("group", "g-bestaat-niet"),
            ],
        )
        .await;
    assert_eq!(unknown_group.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hub.find_participant("Noor").is_err());
    let mut staff = Browser::new(router.clone());
    staff.log_in("piet", PASSWORD).await;
    let refused = staff
        .post("/groups", &[("csrf", "x"), ("name", "Stiekem")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let log = audit_log(router).await;
    assert!(
        log.body.contains("added group g-knokke-zee")
            && log
                .body
                .contains(&format!("added participant {} in g-knokke-zee", rosa.id))
            && log
                .body
                .contains(&format!("added coach {} in g-knokke-zee", els.id)),
        "{}",
        log.body
    );
}

/// A small PNG photo, `side` pixels square, with noise so it does not compress away.
fn png_photo(side: u32) -> Vec<u8> {
    let mut seed = 7u32;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_coach_sends_a_photo_and_a_broken_or_too_large_file_is_refused_with_a_reason() {
    let (hub, out, router) = setup().await;
    let group = hub.find_group("Oostende Oost").unwrap().id;
    let (jan, tablet) = crate::app::testing::tablet(&hub, "Jan").await;
    hub.move_participant(&jan, Some(&group)).await.unwrap();
    hub.handle_batch(vec![status(&tablet, true)]).await;
    out.take(&nabij_protocol::Topic::DeviceDown(tablet.clone()));
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/messages/new").await;
    assert!(
        page.body.contains("enctype=\"multipart/form-data\"")
            && page.body.contains("type=\"file\"")
    );
    let csrf = page.field("csrf");
    let to = format!("person:{jan}");
    let photo = png_photo(48);
    let sent = marie
        .post_multipart(
            "/messages",
            &[
                ("csrf", &csrf),
                ("to", &to),
                ("text", "Het nieuwe buurthuis"),
            ],
            Some(("photo", &photo)),
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/messages?done=sent"),
        "{}",
        sent.body
    );
    let to_jan = out.take(&nabij_protocol::Topic::DeviceDown(tablet.clone()));
    let delivered = to_jan
        .iter()
        .find_map(|e| match &e.body {
            nabij_protocol::Body::Photo(p) => Some(p.clone()),
            _ => None,
        })
        .expect("the photo reaches Jan's tablet");
    assert_eq!(delivered.data.0, photo);
    assert_eq!((delivered.width, delivered.height), (48, 48));
    assert_eq!(delivered.caption.as_deref(), Some("Het nieuwe buurthuis"));

    let not_a_photo = marie
        .post_multipart(
            "/messages",
            &[("csrf", &csrf), ("to", &to), ("text", "kijk")],
            Some(("photo", b"%PDF-1.4 this is a letter")),
        )
        .await;
    assert_eq!(not_a_photo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        not_a_photo.body.contains("not a JPEG or PNG photo"),
        "{}",
        not_a_photo.body
    );
    // The caption stays typed in for the next try.
    assert!(not_a_photo.body.contains(">kijk</textarea>"));
    let too_large = vec![0u8; nabij_protocol::limits::MAX_PHOTO_BYTES + 100 * 1024];
    let refused = marie
        .post_multipart(
            "/messages",
            &[("csrf", &csrf), ("to", &to)],
            Some(("photo", &too_large)),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("at most 1 MB"), "{}", refused.body);
    let forged = marie
        .post_multipart(
            "/messages",
            &[("csrf", "forged"), ("to", &to)],
            Some(("photo", &photo)),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let url_encoded = marie
        .post(
            "/messages",
            &[("csrf", &csrf), ("to", &to), ("text", "hoi")],
        )
        .await;
    assert_eq!(url_encoded.status, StatusCode::BAD_REQUEST);
    assert!(
        out.take(&nabij_protocol::Topic::DeviceDown(tablet))
            .iter()
            .all(|e| !matches!(
                e.body,
                nabij_protocol::Body::Photo(_) | nabij_protocol::Body::Text(_)
            )),
        "nothing more was sent"
    );
    let log = audit_log(router).await;
    assert!(
        log.body
            .contains(&format!("sent a photo to {jan} (1 people, 1 tablets)")),
        "{}",
        log.body
    );
    assert!(!log.body.contains("buurthuis"));
}

#[tokio::test]
async fn a_coach_downloads_a_participants_data_and_erases_them_after_typing_their_name() {
    let (hub, _, router) = setup().await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/people/p-jan-claes").await;
    assert!(page.body.contains("href=\"/people/p-jan-claes/export\""));
    let zip = marie.get("/people/p-jan-claes/export").await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.headers[header::CONTENT_TYPE], "application/zip");
    let disposition = zip.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"nabij-export-p-jan-claes-"));
    assert!(zip.bytes.starts_with(b"PK\x03\x04"));
    assert!(
        zip.body.contains("\"name\": \"Jan Claes\""),
        "data.json is in it"
    );

    let csrf = page.field("csrf");
    let wrong = marie
        .post(
            "/people/p-jan-claes/erase",
            &[("csrf", &csrf), ("confirm", "Jan")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains("Nothing was erased: type Jan Claes exactly")
    );
    assert!(hub.person(&jan).is_ok());
    let erased = marie
        .post(
            "/people/p-jan-claes/erase",
            &[("csrf", &csrf), ("confirm", "  jan   claes ")],
        )
        .await;
    assert_eq!(erased.location.as_deref(), Some("/people?done=erased"));
    assert!(hub.person(&jan).is_err());
    let list = marie.get("/people?done=erased").await;
    assert!(list.body.contains("Erased.") && !list.body.contains("Jan Claes"));
    let gone = marie.get("/people/p-jan-claes/export").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let log = audit_log(router).await;
    assert!(
        log.body
            .contains("erased a participant (0 messages kept for others, 0 forgotten)")
    );
    assert!(
        log.body
            .contains("exported the data of p--former-participant")
    );
    assert!(!log.body.contains("p-jan-claes"), "{}", log.body);
}

#[tokio::test]
async fn every_form_refuses_an_account_whose_role_may_not_use_it() {
    let (hub, _, router) = setup().await;
    let session = hub
        .plan_schedule(
            &hub.find_group("Oostende Oost").unwrap().id,
            crate::domain::schedule::Plan {
                first: crate::domain::calendar::Date::parse("2099-03-16").unwrap(),
                time: crate::domain::schedule::TimeOfDay {
                    hour: 14,
                    minute: 0,
                },
                minutes: 180,
                place: "De Schelp".into(),
                address: None,
            },
        )
        .await
        .unwrap()[0]
        .id
        .clone();
    // Each form, and whether admin (beheer), coach (marie) and staff (piet) may send it.
    let forms = [
        ("/followup/handled".to_owned(), [false, true, false]),
        ("/admin/accounts".to_owned(), [true, false, false]),
        ("/people".to_owned(), [false, true, false]),
        (
            "/people/p-jan-claes/details".to_owned(),
            [false, true, false],
        ),
        ("/people/p-jan-claes/erase".to_owned(), [false, true, false]),
        (
            "/people/p-jan-claes/contacts/approve".to_owned(),
            [false, true, false],
        ),
        (
            "/people/p-jan-claes/contacts/remove".to_owned(),
            [false, true, false],
        ),
        ("/messages".to_owned(), [false, true, false]),
        ("/groups".to_owned(), [false, true, false]),
        (
            "/groups/g-oostende-oost/plan".to_owned(),
            [false, true, false],
        ),
        (
            "/groups/g-oostende-oost/add".to_owned(),
            [false, true, false],
        ),
        (
            "/groups/g-oostende-oost/diary".to_owned(),
            [false, true, false],
        ),
        (format!("/sessions/{session}/move"), [false, true, false]),
        (format!("/sessions/{session}/cancel"), [false, true, false]),
        (
            format!("/sessions/{session}/attendance"),
            [false, true, false],
        ),
        ("/devices/enrol".to_owned(), [false, true, false]),
        ("/devices/d-none/revoke".to_owned(), [false, true, false]),
        ("/devices/d-none/wipe".to_owned(), [false, true, false]),
        ("/devices/d-none/return".to_owned(), [false, true, false]),
    ];
    for (who, name) in ["beheer", "marie", "piet"].into_iter().enumerate() {
        let mut browser = Browser::new(router.clone());
        browser.log_in(name, PASSWORD).await;
        let csrf = browser.csrf("/").await;
        for (path, may) in &forms {
            // A token that is right, and nothing else: allowed, the form is refused for
            // what it lacks (or the page shown); not allowed, "not for your account".
            let answer = browser.post(path, &[("csrf", &csrf)]).await;
            if may[who] {
                assert_ne!(answer.status, StatusCode::FORBIDDEN, "{name} on {path}");
            } else {
                assert_eq!(answer.status, StatusCode::FORBIDDEN, "{name} on {path}");
                assert!(
                    answer.body.contains("cannot open this page"),
                    "{name} on {path}: {}",
                    answer.body
                );
            }
        }
    }
    // Nothing changed for any of it that was refused.
    assert!(hub.find_participant("Jan Claes").is_ok());
}

mod reports;
