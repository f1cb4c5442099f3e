//! The admins' Status page and `/metrics`: what they show, in the admin's language, and
//! that only an admin (logged in, or with an admin's name and password for Prometheus)
//! reads them.

use super::{Browser, PASSWORD, router_of};
use crate::app::Hub;
use crate::app::testing::status as tablet_status;
use crate::app::testing::{hub_with, tablet};
use crate::config::HubConfig;
use crate::domain::accounts::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use nabij_protocol::Language;

/// A hub whose data folder has its certificates, a backup folder with one backup made
/// now, an admin (`beheer`, English), a coach (`marie`) and one lent tablet, online.
async fn setup(dir: &std::path::Path) -> Hub {
    let mut config = HubConfig {
        data_dir: dir.join("data"),
        ..HubConfig::default()
    };
    config.health.backup_folder = dir.join("backups");
    std::fs::create_dir_all(&config.data_dir).unwrap();
    std::fs::create_dir_all(&config.health.backup_folder).unwrap();
    std::fs::write(
        config.health.backup_folder.join("nabij-hub-2027-01-12.tar"),
        vec![0u8; 2_500_000],
    )
    .unwrap();
    crate::pki::ensure(&config.data_dir.join("pki"), &["localhost".into()]).unwrap();
    let (hub, _) = hub_with(config);
    hub.add_account("beheer", Role::Admin, None, PASSWORD, Language::En)
        .await
        .unwrap();
    let marie = hub
        .add_coach("Marie Dewulf", "059 12 34 56", None)
        .await
        .unwrap()
        .id;
    hub.add_account("marie", Role::Coach, Some(&marie), PASSWORD, Language::En)
        .await
        .unwrap();
    let (_, device) = tablet(&hub, "Jan").await;
    hub.handle_batch(vec![tablet_status(&device, true)]).await;
    hub
}

#[tokio::test]
async fn the_admin_sees_every_part_of_the_hub_at_a_glance() {
    let dir = tempfile::tempdir().unwrap();
    let hub = setup(dir.path()).await;
    let mut admin = Browser::new(router_of(&hub));
    admin.log_in("beheer", PASSWORD).await;
    let home = admin.get("/").await;
    assert!(
        home.body.contains("href=\"/admin/status\""),
        "a tile and a menu entry"
    );
    let page = admin.get("/admin/status").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    for part in [
        "Broker (Mosquitto)",
        "Database",
        "Disk",
        "Certificate",
        "Backup",
        "Tablets",
    ] {
        assert!(body.contains(part), "{part}: {body}");
    }
    assert!(body.contains("Passes messages on"), "{body}");
    assert!(body.contains("Takes changes."), "{body}");
    assert!(body.contains("free of"), "{body}");
    assert!(body.contains("(in 1"), "days left of 180: {body}");
    assert!(
        body.contains("nabij-hub-2027-01-12.tar, made just now (2.5 MB)"),
        "{body}"
    );
    assert!(
        body.contains("1 lent: 1 online, 0 silent for 7 days or more, 0 with an older app."),
        "{body}"
    );

    // In Dutch, with its numbers written the Dutch way.
    hub.set_account_language("beheer", Language::Nl)
        .await
        .unwrap();
    let page = admin.get("/admin/status").await;
    assert!(page.body.contains("<html lang=\"nl\">"));
    assert!(page.body.contains("(2,5 MB)"), "{}", page.body);
    assert!(page.body.contains("Databank"), "{}", page.body);
}

/// A healthy hub, as the page says it, without this machine's disk in the way.
fn healthy() -> crate::app::Health {
    let at = nabij_protocol::UnixMillis(1_800_000_000_000);
    crate::app::Health {
        at,
        broker_answer_us: Some(4_000),
        store_problem: None,
        data_folder: "/var/lib/nabij-hub".into(),
        disk: Ok(crate::app::DiskSpace {
            free_bytes: 40_000_000_000,
            total_bytes: 50_000_000_000,
        }),
        certificate_ends: Ok(nabij_protocol::UnixMillis(at.0 + 120 * 86_400_000)),
        renew_within_days: 30,
        backup_folder: "/var/backups/nabij-hub".into(),
        last_backup: Ok(Some(crate::app::BackupFile {
            name: "nabij-hub-2027-01-12.tar".into(),
            made_at: nabij_protocol::UnixMillis(at.0 - 3 * 3_600_000),
            bytes: 1_234_567_890,
        })),
        tablets: Some(crate::domain::health::Fleet {
            lent: 12,
            online: 9,
            silent: 0,
            out_of_date: 0,
            newest: Some("0.2.0".into()),
            versions: vec![("0.2.0".into(), 12)],
        }),
        silent_after_days: 7,
    }
}

#[test]
fn the_page_says_all_is_well_or_what_is_not_in_each_language() {
    use crate::web::html::Notice;
    let text = |lang, health: &crate::app::Health| {
        let (notice, body) = crate::web::status::page(lang, health);
        let notice = match notice {
            Notice::Done(t) => format!("done: {t}"),
            Notice::Problem(t) => format!("problem: {t}"),
        };
        (notice, body.into_string())
    };
    let health = healthy();
    let (notice, body) = text(Language::En, &health);
    assert_eq!(notice, "done: All is well.");
    assert!(body.contains("40.0 GB free of 50.0 GB (80 %)"), "{body}");
    assert!(body.contains("made 3 h ago (1.2 GB)"), "{body}");
    assert!(!body.contains("level-warning") && !body.contains("level-problem"));
    let (notice, body) = text(Language::Nl, &health);
    assert_eq!(notice, "done: Alles in orde.");
    assert!(body.contains("40,0 GB"), "{body}");
    let (notice, _) = text(Language::Fr, &health);
    assert_eq!(notice, "done: Tout va bien.");

    let mut broken = healthy();
    broken.broker_answer_us = None;
    broken.certificate_ends = Ok(nabij_protocol::UnixMillis(broken.at.0 - 1));
    let (notice, body) = text(Language::En, &broken);
    assert!(
        notice.starts_with("problem: Something does not work"),
        "{notice}"
    );
    assert!(body.contains("Passes no messages on"), "{body}");
    assert!(body.contains("tablets refuse the hub"), "{body}");
    assert_eq!(body.matches("level-problem").count(), 2, "{body}");
    let (notice, _) = text(Language::Fr, &broken);
    assert!(!notice.contains("Something"), "translated: {notice}");
}

#[tokio::test]
async fn no_backup_is_worth_a_look_and_says_how_to_start_them() {
    let dir = tempfile::tempdir().unwrap();
    let hub = setup(dir.path()).await;
    std::fs::remove_file(dir.path().join("backups/nabij-hub-2027-01-12.tar")).unwrap();
    let mut admin = Browser::new(router_of(&hub));
    admin.log_in("beheer", PASSWORD).await;
    let body = admin.get("/admin/status").await.body;
    assert!(body.contains("Worth a look"), "{body}");
    assert!(body.contains("No backup yet in"), "{body}");
    assert!(
        body.contains("systemctl enable --now nabij-hub-backup.timer"),
        "{body}"
    );
    hub.set_account_language("beheer", Language::Fr)
        .await
        .unwrap();
    let body = admin.get("/admin/status").await.body;
    assert!(body.contains("Pas encore de sauvegarde"), "{body}");
}

#[tokio::test]
async fn only_an_admin_reads_the_status_and_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let hub = setup(dir.path()).await;
    let router = router_of(&hub);
    let mut stranger = Browser::new(router.clone());
    let answer = stranger.get("/admin/status").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "to the log-in");
    let answer = stranger.get("/metrics").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );

    let mut coach = Browser::new(router.clone());
    coach.log_in("marie", PASSWORD).await;
    assert_eq!(
        coach.get("/admin/status").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(coach.get("/metrics").await.status, StatusCode::FORBIDDEN);
    assert!(!coach.get("/").await.body.contains("/admin/status"));

    // Logged in as an admin, in the browser.
    let mut admin = Browser::new(router.clone());
    admin.log_in("beheer", PASSWORD).await;
    let metrics = admin.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    assert!(metrics.body.ends_with("# EOF\n"));

    // As Prometheus does: an admin's name and password with each request.
    let basic = |name: &str, password: &str| {
        let token = nabij_protocol::base64::encode(format!("{name}:{password}").as_bytes());
        Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Basic {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let mut prometheus = Browser::new(router);
    let scraped = prometheus.send(basic("beheer", PASSWORD)).await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(
        scraped.body.contains("nabij_tablets_online 1\n"),
        "{}",
        scraped.body
    );
    assert!(
        scraped.headers.get(header::SET_COOKIE).is_none(),
        "no session"
    );
    let wrong = prometheus.send(basic("beheer", "not the password")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let coach = prometheus.send(basic("marie", PASSWORD)).await;
    assert_eq!(coach.status, StatusCode::FORBIDDEN);
    // Wrong passwords pause the name from that address, as at the log-in page.
    for _ in 0..5 {
        prometheus.send(basic("beheer", "still wrong")).await;
    }
    let paused = prometheus.send(basic("beheer", PASSWORD)).await;
    assert_eq!(paused.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_metrics_are_openmetrics_text_with_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let hub = setup(dir.path()).await;
    let text = crate::web::status::openmetrics(&hub.health().await);
    for line in [
        "# TYPE nabij_broker_up gauge\n",
        "nabij_broker_up 1\n",
        "nabij_store_healthy 1\n",
        "# UNIT nabij_data_disk_free_bytes bytes\n",
        "# UNIT nabij_certificate_expiry_timestamp_seconds seconds\n",
        "nabij_backup_last_size_bytes 2500000\n",
        "nabij_tablets_lent 1\n",
        "nabij_tablets_online 1\n",
        "nabij_tablets_silent 0\n",
        "nabij_tablets_out_of_date 0\n",
        "nabij_tablets_by_app_version{version=\"0.1.0\"} 1\n",
        "nabij_health_level{part=\"backup\"} 0\n",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    // Every family: TYPE first, then its samples, nothing after # EOF.
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().unwrap().to_owned();
        } else if !line.starts_with('#') {
            assert!(
                line.starts_with(&family),
                "{line} outside its family {family}"
            );
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
    assert_eq!(text.lines().last(), Some("# EOF"));
}

#[test]
fn a_tablets_version_cannot_break_the_metrics_text() {
    use crate::domain::health::Fleet;
    let dir = tempfile::tempdir().unwrap();
    let mut health = crate::app::Health {
        at: nabij_protocol::UnixMillis(1_800_000_000_000),
        broker_answer_us: None,
        store_problem: None,
        data_folder: dir.path().into(),
        disk: Err("no disk".into()),
        certificate_ends: Err("no file".into()),
        renew_within_days: 30,
        backup_folder: dir.path().into(),
        last_backup: Ok(None),
        tablets: None,
        silent_after_days: 7,
    };
    health.tablets = Some(Fleet {
        lent: 1,
        versions: vec![("1.0\"} 99\nnabij_evil 1\\".into(), 1)],
        newest: Some("x".into()),
        ..Fleet::default()
    });
    let text = crate::web::status::openmetrics(&health);
    assert!(
        text.contains(
            "nabij_tablets_by_app_version{version=\"1.0\\\"} 99\\nnabij_evil 1\\\\\"} 1\n"
        ),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("nabij_evil")), "{text}");
    // What could not be read is left out, not reported as 0.
    assert!(!text.contains("nabij_data_disk_free_bytes"));
    assert!(!text.contains("nabij_certificate_expiry"));
    assert!(text.contains("nabij_broker_up 0\n"));
}
