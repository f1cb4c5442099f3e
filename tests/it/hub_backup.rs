//! Backups of a running hub: made with `nabij-hub backup` while a tablet keeps writing,
//! brought back with `nabij-hub restore` into a fresh folder, where a new hub knows every
//! tablet, message and meeting the first had stored when the backup began, and the
//! tablets paired before log in to it as they did.

use nabij_hub::domain::calendar::Date;
use nabij_hub::domain::schedule::{Plan, TimeOfDay};
use nabij_protocol::{Body, Recipient, TextMessage};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tests::binary;
use tests::hub::TestHub;
use tests::sim_kiosk::{Device, enrolled};

fn text(to: &nabij_protocol::PersonId, words: &str) -> Body {
    Body::Text(TextMessage {
        to: Recipient::Person(to.clone()),
        author: None,
        text: words.to_owned(),
    })
}

async fn nabij_hub(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(binary("nabij-hub"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .await
        .expect("nabij-hub runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_made_under_load_restores_a_hub_that_knows_every_tablet_message_and_meeting() {
    let mut hub = TestHub::start().await;
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    let (jan, anna) = (hub.person("Jan Claes"), hub.person("Anna Peeters"));
    hub.hub().approve_contacts(&jan, &anna).await.unwrap();
    let group = hub.group("Oostende Oost");
    let meetings = hub
        .hub()
        .plan_schedule(
            &group,
            Plan {
                first: Date::parse("2099-01-13").unwrap(),
                time: TimeOfDay::parse("14:00").unwrap(),
                minutes: 120,
                place: "Buurthuis De Schelp".into(),
                address: None,
            },
        )
        .await
        .unwrap();
    let mut jan_tablet = enrolled(&hub, "Jan Claes").await;
    let anna_tablet = enrolled(&hub, "Anna Peeters").await;
    // What the hub stored before the backup: the barrier's answer comes after every
    // commit before it.
    let before: Vec<String> = (0..10)
        .map(|n| format!("Bericht {n} voor de back-up"))
        .collect();
    for words in &before {
        jan_tablet.send(text(&anna, words)).await;
    }
    jan_tablet.barrier().await;

    // Anna keeps writing while the backup is made.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        let jan = jan.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(5));
            let mut sent = 0u32;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                anna_tablet
                    .send(text(&jan, &format!("Onder belasting {sent}")))
                    .await;
                sent += 1;
            }
            sent
        })
    };
    let out = hub.dir.path().join("nabij-hub-backup.tar");
    let made = nabij_hub(
        &hub.config.data_dir,
        &["backup", "--out", &out.to_string_lossy()],
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let sent_meanwhile = load.await.unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stdout).contains("Backed up to"));
    assert!(sent_meanwhile > 0, "the backup was made under load");
    let credentials = jan_tablet.credentials.clone();
    drop(jan_tablet);
    hub.stop().await;

    // A fresh folder, a new hub on it.
    let fresh = tempfile::tempdir().unwrap();
    let restored = nabij_hub(
        &fresh.path().join("data"),
        &["restore", &out.to_string_lossy()],
    )
    .await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let second = TestHub::start_in(fresh).await;
    let tablets: Vec<String> = second
        .hub()
        .devices(false)
        .unwrap()
        .into_iter()
        .map(|row| row.device.id.to_string())
        .collect();
    assert!(
        tablets.contains(&credentials.device_id.to_string()),
        "{tablets:?}"
    );
    assert_eq!(tablets.len(), 2, "{tablets:?}");
    assert_eq!(
        second.hub().schedule(&group).unwrap(),
        meetings,
        "every meeting"
    );
    let export = second.hub().export_participant(&jan).await.unwrap();
    let sent: Vec<String> = export
        .data
        .messages_sent
        .iter()
        .filter_map(|m| Some(m.content.as_ref()?.pointer("/text")?.as_str()?.to_owned()))
        .collect();
    for words in &before {
        assert!(sent.contains(words), "{words:?} is not in {sent:?}");
    }
    // The tablets trust the same CA and log in with the same passwords.
    let back = Device::connect(&second.kiosk_settings(), &credentials).await;
    assert!(back.is_ok(), "Jan's tablet logs in to the restored hub");
}
