//! Issue 22 on the Tablets page: each coach's wrong pairing codes count for that coach
//! only, a coach sets a tablet's own coach PIN (which goes to the tablet hashed and is
//! never written down), and a tablet taken back is switched off at once.

use super::{Browser, PASSWORD, audit_log, setup};
use crate::app::testing::pairing_code;
use crate::domain::accounts::Role;
use crate::domain::devices::DeviceState;
use axum::http::StatusCode;
use nabij_protocol::{Body, Language, Topic};

#[tokio::test]
async fn one_coachs_wrong_codes_never_stop_another_coach_pairing() {
    let (hub, out, router) = setup().await;
    let ahmed = hub
        .add_coach("Ahmed Benali", "059 65 43 21", None)
        .await
        .unwrap()
        .id;
    hub.add_account("ahmed", Role::Coach, Some(&ahmed), PASSWORD, Language::En)
        .await
        .unwrap();
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let code = pairing_code(&hub, &out, &format!("e-{}", "ab".repeat(16))).await;

    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let csrf = marie.csrf("/devices").await;
    let limit = crate::config::HubConfig::default()
        .enrolment
        .wrong_codes_per_minute;
    for _ in 0..limit {
        marie
            .post(
                "/devices/enrol",
                &[
                    ("csrf", &csrf),
                    ("code", "ZZZZZZ"),
                    ("participant", jan.as_str()),
                ],
            )
            .await;
    }
    let stopped = marie
        .post(
            "/devices/enrol",
            &[
                ("csrf", &csrf),
                ("code", &code),
                ("participant", jan.as_str()),
            ],
        )
        .await;
    assert_eq!(stopped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stopped.body.contains("You typed too many wrong codes"),
        "{}",
        stopped.body
    );

    // Ahmed, at the same hub in the same minute, pairs the tablet.
    let mut other = Browser::new(router);
    other.log_in("ahmed", PASSWORD).await;
    let csrf = other.csrf("/devices").await;
    let paired = other
        .post(
            "/devices/enrol",
            &[
                ("csrf", &csrf),
                ("code", &code),
                ("participant", jan.as_str()),
            ],
        )
        .await;
    assert_eq!(
        paired.location.as_deref(),
        Some("/devices?done=enrolled"),
        "{}",
        paired.body
    );
}

#[tokio::test]
async fn a_coach_gives_a_tablet_its_own_pin_which_goes_to_the_tablet_hashed_and_nowhere_else() {
    let (hub, out, router) = setup().await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let code = pairing_code(&hub, &out, &format!("e-{}", "cd".repeat(16))).await;
    let jans = hub
        .enrol(&code, &jan, None, "command line")
        .await
        .unwrap()
        .device;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/devices").await;
    assert!(
        page.body
            .contains("still opens with the coach PIN every tablet shares"),
        "{}",
        page.body
    );
    let csrf = page.field("csrf");
    let path = format!("/devices/{jans}/pin");
    for (easy, why) in [
        ("1234", "too easy to guess"),
        ("12a4", "four digits"),
        ("", "four digits"),
    ] {
        let refused = marie.post(&path, &[("csrf", &csrf), ("pin", easy)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{easy}");
        assert!(refused.body.contains(why), "{easy}: {}", refused.body);
    }
    assert_eq!(hub.device(&jans).unwrap().coach_pin_set_at, None);

    let set = marie.post(&path, &[("csrf", &csrf), ("pin", "4821")]).await;
    assert_eq!(set.location.as_deref(), Some("/devices?done=pin"));
    let page = marie.get("/devices?done=pin").await;
    assert!(page.body.contains("The new coach PIN works on the tablet"));
    assert!(page.body.contains("has its own coach PIN since"));
    // The tablet's queue holds the PIN as the protocol says: a salted hash.
    let tx = crate::store::Tx::new(hub.storage());
    let queued = crate::app::tables::outbox_after(&tx, &jans, None, 100).unwrap();
    let pins: Vec<nabij_protocol::CoachPin> = queued
        .iter()
        .filter_map(|(_, bytes)| {
            match nabij_protocol::decode(&Topic::DeviceDown(jans.clone()), bytes)
                .ok()?
                .body
            {
                Body::CoachPin(pin) => Some(pin),
                _ => None,
            }
        })
        .collect();
    assert_eq!(pins.len(), 1);
    let mut derived = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(pins[0].rounds).unwrap(),
        &pins[0].salt.0,
        b"4821",
        &mut derived,
    );
    assert_eq!(pins[0].hash.0, derived);
    for (_, bytes) in &queued {
        assert!(!String::from_utf8_lossy(bytes).contains("4821"));
    }
    let log = audit_log(router).await;
    assert!(
        log.body
            .contains(&format!("set the coach PIN of tablet {jans}"))
    );
    assert!(
        !log.body.contains("4821"),
        "the PIN is not in the audit log"
    );
}

#[tokio::test]
async fn a_tablet_taken_back_is_switched_off_at_once_and_the_page_says_how_to_erase_it() {
    let (hub, out, router) = setup().await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let code = pairing_code(&hub, &out, &format!("e-{}", "ef".repeat(16))).await;
    let jans = hub
        .enrol(&code, &jan, None, "command line")
        .await
        .unwrap()
        .device;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let csrf = marie.csrf("/devices").await;
    let back = marie
        .post(
            &format!("/devices/{jans}/return"),
            &[("csrf", &csrf), ("condition", "good")],
        )
        .await;
    assert_eq!(back.location.as_deref(), Some("/devices?done=returned"));
    assert_eq!(hub.device(&jans).unwrap().state, DeviceState::Revoked);
    assert_eq!(out.allowed(), Some(vec![]), "its credential is gone");
    let page = marie.get("/devices?done=returned").await;
    assert!(page.body.contains("Erase this tablet"), "{}", page.body);
}
