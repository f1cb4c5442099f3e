//! The keepsake: made by the senior's own coach, printed in the senior's language, with
//! only numbers that were agreed and only the senior's own chosen answers.

use super::{Browser, PASSWORD, router_of, setup, up};
use crate::app::DetailChanges;
use crate::domain::accounts::Role;
use axum::http::StatusCode;
use nabij_protocol::{Body, ChoiceId, DiaryAnswer, Language, PersonId, PromptId, Share};

fn answer(text: &str, share: Share, people: Vec<PersonId>) -> Body {
    Body::DiaryAnswer(DiaryAnswer {
        prompt_id: PromptId::parse("q-talked-to").expect("a prompt"),
        choices: vec![ChoiceId::parse("neighbours").expect("a choice")],
        people,
        text: Some(text.into()),
        voice: None,
        share,
    })
}

#[tokio::test]
async fn a_keepsake_is_printed_in_the_seniors_language_with_what_they_chose() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").expect("the group").id;
    let (mia, mia_tablet) = crate::app::testing::tablet(&hub, "Mia").await;
    let (rik, rik_tablet) = crate::app::testing::tablet(&hub, "Rik").await;
    let (els, _) = crate::app::testing::tablet(&hub, "Els").await;
    for who in [&mia, &rik, &els] {
        hub.move_participant(who, Some(&group))
            .await
            .expect("moved");
    }
    hub.approve_contacts(&mia, &rik).await.expect("contacts");
    hub.approve_contacts(&mia, &els).await.expect("contacts");
    for (who, phone, agreed) in [(&rik, "059 11 11 11", true), (&els, "059 22 22 22", false)] {
        hub.update_participant(
            who,
            DetailChanges {
                phone: Some(Some(phone.into())),
                consent_keepsake: Some(agreed),
                ..DetailChanges::default()
            },
        )
        .await
        .expect("details");
    }
    hub.handle_batch(vec![
        up(
            &mia_tablet,
            answer("Met de buurvrouw", Share::OnlyMe, vec![]),
        )
        .0,
        up(
            &rik_tablet,
            answer("Rik zijn woorden", Share::MyGroup, vec![mia.clone()]),
        )
        .0,
    ])
    .await;
    // Mia reads French on her tablet, so her keepsake is in French.
    let mut tx = crate::store::Tx::new(hub.storage());
    let mut person = tx
        .get(crate::app::tables::PEOPLE, mia.as_str())
        .expect("read")
        .expect("Mia");
    person.language = Some(Language::Fr);
    tx.put(crate::app::tables::PEOPLE, mia.as_str(), &person)
        .expect("written");
    tx.commit().await.expect("committed");

    let mut marie = Browser::new(router.clone());
    marie.log_in("marie", PASSWORD).await;
    let page = marie.get(&format!("/people/{mia}")).await;
    assert!(
        page.body
            .contains(&format!("href=\"/people/{mia}/keepsake\""))
    );
    assert!(page.body.contains("name=\"consent_keepsake\""));
    let choose = marie.get(&format!("/people/{mia}/keepsake")).await;
    assert_eq!(choose.status, StatusCode::OK, "{}", choose.body);
    assert!(
        !choose.body.contains("Met de buurvrouw"),
        "a private answer's words are not in the coach's list"
    );
    assert!(
        !choose.body.contains("Rik zijn woorden"),
        "nothing of others"
    );
    let key = choose.field("keep");
    let query = format!("keep={}", super::encode(&key));
    let printed = marie
        .get(&format!("/people/{mia}/keepsake/print?{query}"))
        .await;
    assert_eq!(printed.status, StatusCode::OK);
    for expected in [
        "<html lang=\"fr\">",
        "Les personnes avec qui vous étiez en contact",
        "Marie Dewulf",
        "059 12 34 56",
        "059 11 11 11",
        "Els",
        "Met de buurvrouw",
        "Les voisins",
    ] {
        assert!(
            printed.body.contains(expected),
            "{expected}: {}",
            printed.body
        );
    }
    assert!(!printed.body.contains("059 22 22 22"), "Els did not agree");
    assert!(
        !printed.body.contains("Rik zijn woorden"),
        "nothing of others"
    );
    // Nothing chosen: no answers at all.
    let bare = marie.get(&format!("/people/{mia}/keepsake/print")).await;
    assert!(!bare.body.contains("Met de buurvrouw"));

    // Another group's coach cannot make it.
    let other = hub
        .add_group("Brugge Noord", None)
        .await
        .expect("a group")
        .id;
    let els_coach = hub
        .add_coach("Els Maes", "050 11 22 33", Some(&other))
        .await
        .expect("a coach")
        .id;
    hub.add_account(
        "elsm",
        Role::Coach,
        Some(&els_coach),
        PASSWORD,
        Language::En,
    )
    .await
    .expect("an account");
    let mut stranger = Browser::new(router_of(&hub));
    stranger.log_in("elsm", PASSWORD).await;
    for path in [
        format!("/people/{mia}/keepsake"),
        format!("/people/{mia}/keepsake/print?{query}"),
    ] {
        let refused = stranger.get(&path).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!refused.body.contains("buurvrouw"));
    }
}
