//! A coach's inbox, the follow-up list's calls, and the defaults of the pairing and
//! message forms, through the router as a browser uses them (issue 20, points 4 and 7;
//! the QR link through the log-in is in `login.rs`).

use super::{Browser, PASSWORD, png_photo, setup};
use crate::app::Hub;
use crate::app::testing::{Recorder, status, tablet, take_everything, up};
use crate::domain::accounts::Role;
use axum::http::{StatusCode, header};
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::{
    Audio, AudioCodec, Body, DeviceId, ImageMime, Language, PersonId, Recipient, Topic,
};

/// A senior with a connected tablet who may write to Marie (and she to them), their
/// tablet's first messages taken.
async fn senior_of_marie(hub: &Hub, out: &Recorder, name: &str) -> (PersonId, DeviceId) {
    let (person, device) = tablet(hub, name).await;
    let marie = marie(hub);
    hub.approve_contacts(&person, &marie).await.unwrap();
    hub.handle_batch(vec![status(&device, true)]).await;
    take_everything(hub, out, &device).await;
    (person, device)
}

fn marie(hub: &Hub) -> PersonId {
    hub.find_person("Marie Dewulf").unwrap().id
}

/// `device` sends `body` and takes the hub's answers.
async fn sends(hub: &Hub, out: &Recorder, device: &DeviceId, body: Body) {
    hub.handle_batch(vec![up(device, body).0]).await;
    take_everything(hub, out, device).await;
}

fn text_to(to: &PersonId, words: &str) -> Body {
    Body::Text(nabij_protocol::TextMessage {
        to: Recipient::Person(to.clone()),
        author: None,
        text: words.into(),
    })
}

/// The address of the first voice note or photo on a page.
fn media_address(page: &str) -> String {
    let start = page
        .find("src=\"/messages/media/")
        .expect("a media address")
        + 5;
    let end = page[start..].find('"').expect("its end");
    page[start..start + end].to_owned()
}

#[tokio::test]
async fn a_seniors_message_is_in_their_coachs_inbox_unread_first_and_read_once_opened() {
    let (hub, out, router) = setup().await;
    let marie_id = marie(&hub);
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    let (rik, rik_tablet) = senior_of_marie(&hub, &out, "Rik").await;
    sends(
        &hub,
        &out,
        &mia_tablet,
        text_to(&marie_id, "Kunt u mij bellen?"),
    )
    .await;
    sends(&hub, &out, &rik_tablet, text_to(&marie_id, "Tot dinsdag")).await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let home = marie.get("/").await;
    assert!(
        home.body.contains("2 new messages from your seniors"),
        "home says so: {}",
        home.body
    );

    // Rik's, the newest, is read first; Mia's older one stays unread.
    let riks = marie.get(&format!("/messages/from/{rik}")).await;
    assert_eq!(riks.status, StatusCode::OK);
    assert!(riks.body.contains("Tot dinsdag"), "{}", riks.body);
    let inbox = marie.get("/messages").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains("Messages to me") && inbox.body.contains("1 new"));
    let (at_mia, at_rik) = (
        inbox.body.find(&format!("/messages/from/{mia}")).unwrap(),
        inbox.body.find(&format!("/messages/from/{rik}")).unwrap(),
    );
    assert!(at_mia < at_rik, "unread first: {}", inbox.body);
    assert!(
        inbox.body.contains("href=\"/messages/new\""),
        "the way to write to a group"
    );

    out.take(&Topic::DeviceDown(mia_tablet.clone()));
    let mias = marie.get(&format!("/messages/from/{mia}")).await;
    assert!(mias.body.contains("Kunt u mij bellen?") && mias.body.contains(">new<"));
    assert_eq!(hub.coach_unread(&marie_id).unwrap(), 0, "marked read");
    let seen = out
        .take(&Topic::DeviceDown(mia_tablet.clone()))
        .into_iter()
        .any(|e| matches!(&e.body, Body::Receipt(r) if r.state == nabij_protocol::ReceiptState::Seen && r.by.as_ref() == Some(&marie_id)));
    assert!(seen, "Mia's tablet shows her message seen");
    let again = marie.get(&format!("/messages/from/{mia}")).await;
    assert!(!again.body.contains(">new<"), "read now");
}

#[tokio::test]
async fn a_voice_note_plays_and_a_photo_shows_in_the_browser_and_words_stay_words() {
    let (hub, out, router) = setup().await;
    let marie_id = marie(&hub);
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    let recording = b"OggS\0\x02 a voice note from Mia".to_vec();
    let voice = Body::Voice(nabij_protocol::VoiceNote {
        to: Recipient::Person(marie_id.clone()),
        author: None,
        audio: Audio {
            codec: AudioCodec::OggOpus,
            duration_ms: 4_200,
            data: Base64Bytes(recording.clone()),
        },
    });
    sends(&hub, &out, &mia_tablet, voice).await;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get(&format!("/messages/from/{mia}")).await;
    assert!(
        page.body
            .contains("<audio controls preload=\"none\" src=\"/messages/media/"),
        "{}",
        page.body
    );
    assert!(page.body.contains("0:05"), "its length");
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("media-src 'self'"), "{csp}");
    let sound = marie.get(&media_address(&page.body)).await;
    assert_eq!(sound.status, StatusCode::OK);
    assert_eq!(sound.headers[header::CONTENT_TYPE], "audio/ogg");
    assert_eq!(sound.bytes, recording);

    let photo = png_photo(32);
    let picture = Body::Photo(nabij_protocol::Photo {
        to: Recipient::Person(marie_id.clone()),
        author: None,
        mime: ImageMime::Png,
        width: 32,
        height: 32,
        caption: Some("<script>alert(1)</script> mijn tuin".into()),
        data: Base64Bytes(photo.clone()),
    });
    sends(&hub, &out, &mia_tablet, picture).await;
    let page = marie.get(&format!("/messages/from/{mia}")).await;
    assert!(
        page.body
            .contains("<img class=\"photo\" src=\"/messages/media/"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"));
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; mijn tuin")
    );
    let image = marie.get(&media_address(&page.body)).await;
    assert_eq!(image.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(image.bytes, photo);
    // Shown on its own, a file from a tablet can do nothing.
    assert!(
        image.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
}

#[tokio::test]
async fn a_coach_answers_from_the_dashboard_and_it_is_queued_for_the_seniors_tablet() {
    let (hub, out, router) = setup().await;
    let marie_id = marie(&hub);
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    sends(
        &hub,
        &out,
        &mia_tablet,
        text_to(&marie_id, "Hoe stuur ik een foto?"),
    )
    .await;
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get(&format!("/messages/from/{mia}")).await;
    assert!(
        page.body
            .contains(&format!("action=\"/messages/from/{mia}\""))
    );
    let csrf = page.field("csrf");
    let address = format!("/messages/from/{mia}");
    let empty = marie
        .post_multipart(&address, &[("csrf", &csrf), ("text", " ")], None)
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty
            .body
            .contains("Write the message or choose a photo first")
    );
    let sent = marie
        .post_multipart(
            &address,
            &[("csrf", &csrf), ("text", "Tik op de camera, Mia")],
            None,
        )
        .await;
    assert_eq!(
        sent.location,
        Some(format!("/messages/from/{mia}?done=sent")),
        "{}",
        sent.body
    );
    let photo = png_photo(24);
    let with_photo = marie
        .post_multipart(
            &address,
            &[("csrf", &csrf), ("text", "Zo")],
            Some(("photo", &photo)),
        )
        .await;
    assert_eq!(
        with_photo.status,
        StatusCode::SEE_OTHER,
        "{}",
        with_photo.body
    );
    let to_mia = out.take(&Topic::DeviceDown(mia_tablet));
    assert!(
        to_mia.iter().any(|e| matches!(&e.body, Body::Text(t) if t.text == "Tik op de camera, Mia" && t.author.as_ref() == Some(&marie_id))),
        "{to_mia:?}"
    );
    assert!(
        to_mia
            .iter()
            .any(|e| matches!(&e.body, Body::Photo(p) if p.data.0 == photo))
    );
    let forged = marie
        .post_multipart(&address, &[("csrf", "forged"), ("text", "x")], None)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_coach_it_was_written_to_reads_it_and_staff_never() {
    let (hub, out, router) = setup().await;
    let marie_id = marie(&hub);
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    sends(
        &hub,
        &out,
        &mia_tablet,
        text_to(&marie_id, "Alleen voor Marie"),
    )
    .await;
    let els = hub
        .add_coach("Els Maes", "050 11 22 33", None)
        .await
        .unwrap()
        .id;
    hub.add_account("els", Role::Coach, Some(&els), PASSWORD, Language::En)
        .await
        .unwrap();
    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get(&format!("/messages/from/{mia}")).await;
    let media_uid = hub.inbox_messages(&marie_id, &mia, 1).unwrap()[0]
        .uid
        .clone();
    assert!(page.body.contains("Alleen voor Marie"));

    let mut other = Browser::new(router.clone());
    other.log_in("els", PASSWORD).await;
    let inbox = other.get("/messages").await;
    assert!(!inbox.body.contains("Mia") && !inbox.body.contains("Alleen voor Marie"));
    let refused = other.get(&format!("/messages/from/{mia}")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(!refused.body.contains("Alleen voor Marie"));
    let media = other.get(&format!("/messages/media/{media_uid}")).await;
    assert_eq!(media.status, StatusCode::NOT_FOUND);
    let odd = other.get("/messages/media/..%2F..%2Fetc").await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);

    let mut staff = Browser::new(router);
    staff.log_in("piet", PASSWORD).await;
    for path in [
        "/messages".to_owned(),
        "/messages/new".to_owned(),
        format!("/messages/from/{mia}"),
        format!("/messages/media/{media_uid}"),
    ] {
        assert_eq!(
            staff.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn dealt_with_on_a_call_tells_the_tablet_the_coach_will_call_and_the_list_shows_number_and_note()
 {
    let (hub, out, router) = setup().await;
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    hub.update_participant(
        &mia,
        crate::app::DetailChanges {
            phone: Some(Some("059 11 22 33".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let help = Body::HelpRequest(nabij_protocol::HelpRequest {
        note: Some("Mijn tablet doet <raar>".into()),
    });
    sends(&hub, &out, &mia_tablet, help).await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/followup").await;
    assert!(
        page.body.contains("href=\"tel:059112233\"") && page.body.contains(">059 11 22 33<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Mijn tablet doet &lt;raar&gt;"));
    let csrf = page.field("csrf");
    let done = marie
        .post(
            "/followup/handled",
            &[
                ("csrf", &csrf),
                ("person", mia.as_str()),
                ("reason", "asked-for-call"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/followup?done=answered"));
    let reply = out
        .take(&Topic::DeviceDown(mia_tablet))
        .into_iter()
        .find_map(|e| match e.body {
            Body::HelpReply(r) => Some(r),
            _ => None,
        })
        .expect("the tablet hears that Marie will call");
    assert_eq!(reply.coach_name, "Marie Dewulf");
    let after = marie.get("/followup?done=answered").await;
    assert!(
        after
            .body
            .contains("Their tablet now says that you will call")
    );
}

#[tokio::test]
async fn pairing_offers_only_seniors_without_a_tablet_the_coachs_own_first_and_nobody_by_default() {
    let (hub, out, router) = setup().await;
    let other_group = hub.add_group("Brugge Centrum", None).await.unwrap().id;
    hub.add_participant("Anna Aerts", Some(&other_group), None)
        .await
        .unwrap();
    let (mia, _) = senior_of_marie(&hub, &out, "Mia").await;
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/devices").await;
    let start = page.body.find("id=\"participant\"").unwrap();
    let end = start + page.body[start..].find("</select>").unwrap();
    let form = &page.body[start..end];
    assert!(!form.contains(mia.as_str()), "Mia has a tablet: {form}");
    let (jan, anna) = (
        form.find("Jan Claes").expect("Jan, of Marie's group"),
        form.find("Anna Aerts").expect("Anna, of another group"),
    );
    assert!(jan < anna, "her own group first: {form}");
    assert!(
        form.contains("<option value=\"\">Choose the senior</option>")
            && !form.contains("selected"),
        "nobody chosen: {form}"
    );
    // The tablet list names the senior, never shows the tablet's internal id as text.
    assert!(page.body.contains(">Mia<") && !page.body.contains("<code>"));
    assert!(page.body.contains("in use"));
}

#[tokio::test]
async fn the_message_form_is_for_the_coachs_own_group_unless_she_chooses() {
    let (hub, _, router) = setup().await;
    // A group whose name comes first, and that is not Marie's.
    hub.add_group("Blankenberge", None).await.unwrap();
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get("/messages/new").await;
    assert!(
        page.body
            .contains("<option value=\"group:g-oostende-oost\" selected>Oostende Oost</option>"),
        "{}",
        page.body
    );
    let (own, other) = (
        page.body.find("group:g-oostende-oost").unwrap(),
        page.body.find("group:g-blankenberge").unwrap(),
    );
    assert!(own < other, "her own group first");
    // The button right under the three fields: nothing long before it.
    let form = &page.body[page
        .body
        .find("<form method=\"post\" action=\"/messages\"")
        .unwrap()..];
    let button = form.find("<button>Send</button>").unwrap();
    assert!(form[..button].matches("<label").count() == 3, "{form}");
    // A senior's page links to the form with them chosen.
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    let chosen = marie.get(&format!("/messages/new?to=person:{jan}")).await;
    assert!(
        chosen
            .body
            .contains(&format!("<option value=\"person:{jan}\" selected>"))
    );
    assert!(!chosen.body.contains("g-oostende-oost\" selected"));
}

#[tokio::test]
async fn people_are_found_by_name_and_the_coachs_own_group_is_open_the_others_folded() {
    let (hub, _, router) = setup().await;
    let other = hub.add_group("Brugge Centrum", None).await.unwrap().id;
    for n in 0..30 {
        hub.add_participant(&format!("Senior {n:02}"), Some(&other), None)
            .await
            .unwrap();
    }
    hub.add_participant("Hélène Daele", Some(&other), None)
        .await
        .unwrap();
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    let list = marie.get("/people").await;
    let own = list
        .body
        .find("<section class=\"group\"><h2>Oostende Oost")
        .expect("open");
    let folded = list
        .body
        .find("<details class=\"group\"><summary>Brugge Centrum")
        .expect("folded");
    assert!(own < folded, "{}", list.body);
    assert!(list.body.contains("(31 seniors)"));
    let found = marie.get("/people?q=helene").await;
    assert!(found.body.contains("Hélène Daele"), "{}", found.body);
    assert!(!found.body.contains("Senior 07") && !found.body.contains("Jan Claes"));
    let nobody = marie.get("/people?q=%3Cscript%3E").await;
    assert!(nobody.body.contains("&lt;script&gt;") && !nobody.body.contains("<script>"));
    assert!(nobody.body.contains("No one has that in their name"));
}

#[tokio::test]
async fn the_inbox_tablets_and_people_pages_speak_the_accounts_language() {
    let (hub, out, router) = setup().await;
    let marie_id = marie(&hub);
    let (mia, mia_tablet) = senior_of_marie(&hub, &out, "Mia").await;
    sends(&hub, &out, &mia_tablet, text_to(&marie_id, "Dag")).await;
    for (language, inbox, tablets, state, people) in [
        (
            Language::Nl,
            "Berichten aan mij",
            "Tablet koppelen",
            "in gebruik",
            "Iemand zoeken op naam",
        ),
        (
            Language::Fr,
            "Messages reçus",
            "Associer une tablette",
            "utilisée",
            "Chercher quelqu",
        ),
    ] {
        hub.set_account_language("marie", language).await.unwrap();
        let mut marie = Browser::new(router.clone());
        marie.log_in("marie", PASSWORD).await;
        let page = marie.get("/messages").await;
        assert!(page.body.contains(inbox), "{language:?}: {}", page.body);
        let page = marie.get("/devices").await;
        assert!(
            page.body.contains(tablets) && page.body.contains(state),
            "{language:?}: {}",
            page.body
        );
        let page = marie.get("/people").await;
        assert!(page.body.contains(people), "{language:?}: {}", page.body);
        let page = marie.get(&format!("/messages/from/{mia}")).await;
        assert!(!page.body.contains(">Send<"), "{language:?}: {}", page.body);
    }
}
