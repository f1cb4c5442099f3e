//! Log-in: unknown names answer and lock like known ones, a stranger elsewhere cannot
//! lock a coach out, the page asked for survives the log-in, HSTS, and the page's
//! language follows the browser until the account says otherwise.

use super::{Browser, PASSWORD, setup};
use axum::http::{StatusCode, header};
use std::net::SocketAddr;

/// The page as a reader sees it, with what differs by name typed taken out: the name
/// typed echoed in its field, and the fresh form token.
fn without_echo(body: &str, name: &str) -> String {
    let mut out = body.replace(&format!("value=\"{name}\""), "value=\"…\"");
    if let Some(start) = out.find("name=\"token\" value=\"") {
        let from = start + "name=\"token\" value=\"".len();
        if let Some(len) = out[from..].find('"') {
            out.replace_range(from..from + len, "…");
        }
    }
    out
}

#[tokio::test]
async fn an_unknown_name_answers_and_locks_exactly_like_a_known_one() {
    let (_, _, router) = setup().await;
    let mut known = Browser::new(router.clone());
    let mut unknown = Browser::new(router);
    unknown.source = SocketAddr::from(([192, 168, 1, 21], 50_000));
    for attempt in 1..=6 {
        let a = known.log_in("marie", "niet het wachtwoord").await;
        let b = unknown.log_in("niemand", "niet het wachtwoord").await;
        assert_eq!(a.status, b.status, "attempt {attempt}");
        assert_eq!(
            without_echo(&a.body, "marie"),
            without_echo(&b.body, "niemand"),
            "attempt {attempt}"
        );
        let expected = if attempt < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(a.status, expected, "attempt {attempt}");
    }
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_coach_out_from_elsewhere() {
    let (_, _, router) = setup().await;
    let mut stranger = Browser::new(router.clone());
    stranger.source = SocketAddr::from(([10, 0, 0, 99], 41_000));
    for _ in 0..6 {
        stranger.log_in("marie", "raden raden raden").await;
    }
    assert_eq!(
        stranger.log_in("marie", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked from there, even with the right password"
    );
    let mut marie = Browser::new(router);
    let answer = marie.log_in("marie", PASSWORD).await;
    assert_eq!(answer.location.as_deref(), Some("/"), "{}", answer.body);
}

#[tokio::test]
async fn many_names_from_one_address_pause_that_address() {
    let (_, _, router) = setup().await;
    let mut stranger = Browser::new(router);
    stranger.source = SocketAddr::from(([10, 0, 0, 98], 41_000));
    let limit = crate::domain::accounts::LOCK_SOURCE_AFTER_FAILURES;
    for i in 0..limit {
        stranger
            .log_in(&format!("naam{i}"), "raden raden raden")
            .await;
    }
    assert_eq!(
        stranger.log_in("piet", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_page_a_qr_code_opens_survives_the_log_in() {
    let (_, _, router) = setup().await;
    let mut phone = Browser::new(router);
    let asked = phone.get("/devices?code=K7PX4C").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let login = asked.location.expect("to the log-in page");
    assert_eq!(login, "/login?next=/devices%3Fcode%3DK7PX4C");
    let form = phone.get(&login).await;
    assert!(
        form.body
            .contains("name=\"next\" value=\"/devices?code=K7PX4C\""),
        "{}",
        form.body
    );
    let token = form.field("token");
    let logged = phone
        .post(
            "/login",
            &[
                ("name", "marie"),
                ("password", PASSWORD),
                ("token", &token),
                ("next", "/devices?code=K7PX4C"),
            ],
        )
        .await;
    assert_eq!(logged.location.as_deref(), Some("/devices?code=K7PX4C"));
    let page = phone.get("/devices?code=K7PX4C").await;
    assert!(page.body.contains("K7PX4C"), "the code is filled in");
}

#[tokio::test]
async fn a_log_in_never_leads_to_another_site() {
    let (_, _, router) = setup().await;
    let mut browser = Browser::new(router);
    let form = browser.get("/login?next=//evil.example/").await;
    assert!(!form.body.contains("evil.example"));
    let token = form.field("token");
    let logged = browser
        .post(
            "/login",
            &[
                ("name", "marie"),
                ("password", PASSWORD),
                ("token", &token),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(logged.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn every_answer_says_https_only() {
    let (_, _, router) = setup().await;
    let mut browser = Browser::new(router);
    for path in ["/login", "/", "/style.css", "/no/such/page"] {
        let answer = browser.get(path).await;
        assert_eq!(
            answer.headers[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_log_in_page_speaks_the_browsers_language_and_the_account_its_own() {
    let (_, _, router) = setup().await;
    let mut browser = Browser::new(router);
    browser.accept_language = "fr-BE,fr;q=0.9,nl;q=0.8";
    let page = browser.get("/login").await;
    assert!(page.body.contains("<html lang=\"fr\">"));
    assert!(page.body.contains("Mot de passe"), "{}", page.body);
    browser.accept_language = "de-DE,nl-BE;q=0.5";
    let page = browser.get("/login").await;
    assert!(page.body.contains("<html lang=\"nl\">"));
    assert!(page.body.contains("Wachtwoord"));
    // A choice on the page wins over the browser's.
    let page = browser.get("/login?lang=en").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Password"));
    // Marie's account reads English (set up so); she chooses Dutch on her account page.
    browser.log_in("marie", PASSWORD).await;
    assert!(browser.get("/").await.body.contains("<html lang=\"en\">"));
    let csrf = browser.csrf("/account").await;
    let saved = browser
        .post("/account", &[("csrf", &csrf), ("language", "nl")])
        .await;
    assert_eq!(saved.location.as_deref(), Some("/account?done=language"));
    let home = browser.get("/").await;
    assert!(home.body.contains("<html lang=\"nl\">"));
    assert!(home.body.contains("Vandaag"), "{}", home.body);
    let refused = browser
        .post("/account", &[("csrf", &csrf), ("language", "de")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}
