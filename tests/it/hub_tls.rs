//! TLS as an attacker's client sees it: the broker's two TLS listeners and the
//! dashboard accept only forward-secret AEAD suites (TLS 1.2 and 1.3), and the broker's
//! listener for enrolled tablets binds every client id to its login.

use std::process::Stdio;
use tests::hub::TestHub;
use tests::mqtt_client::{Client, Login};
use tests::sim_kiosk::{Device, Pairing};

/// What `openssl s_client` made of a handshake offering only `args`' version and suites:
/// `Some(suite)` when the server took one.
async fn handshake(port: u16, args: &[&str]) -> Option<String> {
    let out = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("openssl is installed (cargo xtask test installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    // "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"; "Cipher is (NONE)" when
    // the handshake failed.
    let suite = text
        .lines()
        .find_map(|l| l.split("Cipher is ").nth(1))
        .map(str::trim)
        .filter(|s| *s != "(NONE)")
        .map(str::to_owned);
    if out.status.success() { suite } else { None }
}

#[tokio::test]
async fn the_broker_and_the_dashboard_take_only_aead_suites() {
    let hub = TestHub::start().await;
    let broker = &hub.config.broker;
    for (what, port) in [
        ("tablets' listener", broker.tls_port),
        ("pairing listener", broker.pairing_port),
        ("dashboard", hub.web_addr().port()),
    ] {
        for cbc in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"] {
            assert_eq!(
                handshake(port, &["-tls1_2", "-cipher", cbc]).await,
                None,
                "the {what} refuses the CBC suite {cbc}"
            );
        }
        assert_eq!(
            handshake(
                port,
                &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]
            )
            .await
            .as_deref(),
            Some("ECDHE-ECDSA-AES128-GCM-SHA256"),
            "the {what} takes AES-GCM over TLS 1.2"
        );
        assert_eq!(
            handshake(
                port,
                &["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"]
            )
            .await
            .as_deref(),
            Some("ECDHE-ECDSA-CHACHA20-POLY1305"),
            "the {what} takes ChaCha20-Poly1305 over TLS 1.2"
        );
        assert!(
            handshake(port, &["-tls1_3"]).await.is_some(),
            "the {what} speaks TLS 1.3"
        );
    }
}

#[tokio::test]
async fn no_login_can_take_over_an_enrolled_tablets_connection() {
    let hub = TestHub::start().await;
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    let settings = hub.kiosk_settings();
    let mut tablets = Vec::new();
    for name in ["Jan Claes", "Anna Peeters"] {
        let mut pairing = Pairing::connect(&settings).await;
        let code = pairing.code(None).await;
        let person = hub.hub().find_person(name).unwrap().id;
        hub.hub()
            .enrol(&code, &person, None, "command line")
            .await
            .unwrap();
        tablets.push(pairing.granted().await);
    }
    let (jans, annas) = (&tablets[0], &tablets[1]);
    let mut jan = Device::connect(&settings, jans).await.unwrap();
    jan.barrier().await;

    // The shared enrolment login (on every tablet) does not open the enrolled tablets'
    // listener, whatever client id it gives.
    let enrol_as_jan = Client::connect_to(
        &settings.host,
        settings.port,
        Some(&settings.ca),
        Login {
            client_id: jans.device_id.as_str(),
            username: "enrol",
            password: &settings.enrol_password,
            clean_session: true,
            will: None,
        },
    )
    .await;
    assert!(
        enrol_as_jan.is_err(),
        "the enrolment login is refused there"
    );

    // Anna's own login with Jan's device id as its client id: the broker makes the
    // client id Anna's login, so Jan's connection stays.
    let _anna = Client::connect(
        &settings,
        Login {
            client_id: jans.device_id.as_str(),
            username: annas.device_id.as_str(),
            password: &annas.password,
            clean_session: true,
            will: None,
        },
    )
    .await
    .expect("Anna's login works");
    // Jan's connection was not closed: the hub still answers it on it.
    jan.barrier().await;
    let conf = std::fs::read_to_string(hub.config.data_dir.join("broker/mosquitto.conf")).unwrap();
    assert!(
        conf.contains("connection_messages false"),
        "the broker's log names no client id"
    );
}
