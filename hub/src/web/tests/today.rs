//! "Vandaag": the coach's meeting today, its RSVPs and attendance in one tap, who needs a
//! call with a number to tap, and this week's diary question — one tap from home.

use super::{Browser, PASSWORD, setup, status, up};
use crate::app::DetailChanges;
use crate::app::Extra;
use crate::domain::calendar::Date;
use crate::domain::schedule::{TimeOfDay, at};
use axum::http::StatusCode;
use nabij_protocol::{SessionSeries, UnixMillis};

/// A start that is today in Belgium and has begun: two hours ago, or just after
/// midnight when that was later.
fn begun_today() -> UnixMillis {
    let now = UnixMillis::now();
    let c = nabij_protocol::time::brussels(now);
    let today = Date::new(c.year, c.month, c.day).expect("today");
    let midnight = at(today, TimeOfDay { hour: 0, minute: 1 });
    UnixMillis(
        now.0
            .saturating_sub(2 * 3_600_000)
            .max(midnight.0)
            .min(now.0),
    )
}

#[tokio::test]
async fn the_meeting_day_is_one_page_from_home() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").expect("the group").id;
    let (mia, mia_tablet) = crate::app::testing::tablet(&hub, "Mia").await;
    hub.move_participant(&mia, Some(&group))
        .await
        .expect("moved");
    hub.update_participant(
        &mia,
        DetailChanges {
            phone: Some(Some("059 44 55 66".into())),
            ..DetailChanges::default()
        },
    )
    .await
    .expect("a phone number");
    let meeting = hub
        .add_session(
            &group,
            Extra {
                series: SessionSeries::Weekly,
                starts_at: begun_today(),
                minutes: 180,
                place: ("Buurthuis De Schelp".into(), Some("Schelpstraat 12".into())),
            },
        )
        .await
        .expect("a meeting today");
    // Mia says she cannot come, then asks to be called.
    hub.handle_batch(vec![status(&mia_tablet, true)]).await;
    let (rsvp, _) = up(
        &mia_tablet,
        nabij_protocol::Body::Rsvp(nabij_protocol::Rsvp {
            session_id: meeting.id.clone(),
            answer: nabij_protocol::RsvpAnswer::NotComing,
        }),
    );
    let (help, _) = up(
        &mia_tablet,
        nabij_protocol::Body::HelpRequest(nabij_protocol::HelpRequest { note: None }),
    );
    hub.handle_batch(vec![rsvp, help]).await;
    // This week's diary question, and Mia's answer shared with her group.
    let now = UnixMillis::now();
    let c = nabij_protocol::time::brussels(now);
    let yesterday = Date::new(c.year, c.month, c.day)
        .expect("today")
        .plus_days(-1);
    let talked_to = nabij_protocol::PromptId::parse("q-talked-to").expect("a prompt");
    hub.plan_diary(&group, &talked_to, yesterday)
        .await
        .expect("planned");
    let (answer, _) = up(
        &mia_tablet,
        nabij_protocol::Body::DiaryAnswer(nabij_protocol::DiaryAnswer {
            prompt_id: talked_to.clone(),
            choices: vec![nabij_protocol::ChoiceId::parse("neighbours").expect("a choice")],
            people: Vec::new(),
            text: Some("Met de buurvrouw".into()),
            voice: None,
            share: nabij_protocol::Share::MyGroup,
        }),
    );
    hub.handle_batch(vec![answer]).await;

    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let home = marie.get("/").await;
    let first_tile = home.body.find("class=\"tile\"").expect("tiles");
    assert!(
        home.body[first_tile..].starts_with("class=\"tile\" href=\"/today\""),
        "Today is the first thing on home: {}",
        home.body
    );
    let today = marie.get("/today").await;
    assert_eq!(today.status, StatusCode::OK);
    for expected in [
        "Oostende Oost — Meeting 1",
        "Buurthuis De Schelp, Schelpstraat 12",
        "0 coming, 1 can't come, 1 no answer",
        "said: can't come",
        "Mia",
        "asked to be called",
        "href=\"tel:059445566\"",
        "Oostende Oost: Who did you talk to this week?",
        "Neighbours — “Met de buurvrouw”",
    ] {
        assert!(today.body.contains(expected), "{expected}: {}", today.body);
    }
    // Mia's suggestion is "excused" (she said so); one tap makes Jan absent.
    let jan = hub.find_participant("Jan Claes").expect("Jan").id;
    assert!(
        today
            .body
            .contains(&format!("name=\"mark-{mia}\" value=\"excused\" checked"))
    );
    let csrf = today.field("csrf");
    let saved = marie
        .post(
            &format!("/sessions/{}/attendance", meeting.id),
            &[
                ("csrf", &csrf),
                ("back", "today"),
                (&format!("mark-{jan}"), "absent"),
                (&format!("mark-{mia}"), "excused"),
            ],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/today?done=taken"));
    let sheet = hub.attendance_sheet(&meeting.id).expect("the sheet");
    let marks: Vec<_> = sheet
        .rows
        .iter()
        .map(|r| (r.name.as_str(), r.mark))
        .collect();
    assert!(marks.contains(&("Jan Claes", Some(crate::domain::attendance::Mark::Absent))));
    assert!(marks.contains(&("Mia", Some(crate::domain::attendance::Mark::Excused))));
    let after = marie.get("/today?done=taken").await;
    assert!(after.body.contains("Attendance is saved."));
    // The group's page says which meetings have their attendance taken.
    let page = marie.get("/groups/g-oostende-oost").await;
    assert!(
        page.body
            .contains("Attendance: 0 present, 1 absent, 1 excused"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn today_in_dutch_and_without_a_meeting_says_when_the_next_one_is() {
    let (hub, _, router) = setup().await;
    hub.set_account_language("marie", nabij_protocol::Language::Nl)
        .await
        .expect("Dutch");
    let group = hub.find_group("Oostende Oost").expect("the group").id;
    hub.plan_schedule(
        &group,
        crate::domain::schedule::Plan {
            first: Date::parse("2099-03-17").expect("a date"),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "Buurthuis De Schelp".into(),
            address: None,
        },
    )
    .await
    .expect("planned");
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let today = marie.get("/today").await;
    assert!(today.body.contains("<html lang=\"nl\">"));
    assert!(
        today
            .body
            .contains("Vandaag geen bijeenkomst. De volgende:")
            && today
                .body
                .contains("Bijeenkomst 1, di 17 mrt 2099, 14:00–17:00"),
        "{}",
        today.body
    );
}

#[tokio::test]
async fn only_coaches_open_today() {
    let (_, _, router) = setup().await;
    let mut piet = Browser::new(router);
    piet.log_in("piet", PASSWORD).await;
    assert_eq!(piet.get("/today").await.status, StatusCode::FORBIDDEN);
    let home = piet.get("/").await;
    assert!(
        !home.body.contains("href=\"/today\""),
        "no link to a page staff cannot open"
    );
}
