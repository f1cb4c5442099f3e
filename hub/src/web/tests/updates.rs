//! Issue 24 on the Tablets page: each tablet's kiosk update and where it is with it, in
//! the reader's language, with the tablet's reason when it went back.

use super::{Browser, PASSWORD, setup};
use crate::app::testing::{tablet, up};
use nabij_protocol::{Body, Language, UpdateReport, UpdateState};

#[tokio::test]
async fn the_tablets_page_shows_each_tablets_update_in_the_readers_language() {
    let (hub, _out, router) = setup().await;
    let (_, jans) = tablet(&hub, "Jan").await;
    let (_, annas) = tablet(&hub, "Anna").await;
    // Through the receive path, as the tablets report it.
    hub.handle_batch(vec![
        up(
            &jans,
            Body::UpdateReport(UpdateReport {
                version: "0.3.0".into(),
                state: UpdateState::RolledBack,
                reason: Some("version 0.3.0 did not reach the hub within 5 minutes".into()),
            }),
        )
        .0,
        up(
            &annas,
            Body::UpdateReport(UpdateReport {
                version: "0.2.0".into(),
                state: UpdateState::Installed,
                reason: None,
            }),
        )
        .0,
    ])
    .await;
    let mut coach = Browser::new(router.clone());
    coach.log_in("marie", PASSWORD).await;
    let page = coach.get("/devices").await;
    for shown in [
        "Update 0.3.0 did not work: back to the previous version",
        "version 0.3.0 did not reach the hub within 5 minutes",
        "Update 0.2.0 installed",
        ">Update<",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    for (language, words) in [
        (Language::Nl, "Update 0.2.0 geïnstalleerd"),
        (Language::Fr, "Mise à jour 0.2.0 installée"),
    ] {
        hub.set_account_language("marie", language).await.unwrap();
        let page = coach.get("/devices").await;
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
}
