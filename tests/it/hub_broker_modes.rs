//! The other broker set-ups: an external Mosquitto the operator runs (configured as in
//! deploy/mosquitto/nabij.conf), and the development-only plain listener.

use nabij_hub::broker::Door;
use nabij_hub::config::{BrokerMode, HubConfig};
use tests::hub::{KioskSettings, free_port};
use tests::mqtt_client::{Client, Login};
use tests::sim_kiosk::{Device, Pairing};

#[tokio::test]
async fn an_external_broker_gets_the_credentials_and_is_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let creds = dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    // The operator's broker starts first, with (still empty) files the hub will fill.
    for door in Door::ALL {
        std::fs::write(creds.join(door.passwd()), "").unwrap();
        std::fs::write(creds.join(door.acl()), "").unwrap();
    }
    let pki = nabij_hub::pki::ensure(&data.join("pki"), &["127.0.0.1".into()]).unwrap();
    let (local, tls, pairing) = (free_port(), free_port(), free_port());
    // deploy/mosquitto/nabij.conf, with this test's folders and ports.
    let deployed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/mosquitto/nabij.conf"),
    )
    .unwrap();
    let conf_text = deployed
        .replace("/etc/mosquitto/nabij", &creds.display().to_string())
        .replace(
            "/var/lib/nabij-hub/pki",
            &pki.ca_cert.parent().unwrap().display().to_string(),
        )
        .replace(
            "listener 1884 127.0.0.1",
            &format!("listener {local} 127.0.0.1"),
        )
        .replace(
            "listener 8883 0.0.0.0",
            &format!("listener {tls} 127.0.0.1"),
        )
        .replace(
            "listener 8884 0.0.0.0",
            &format!("listener {pairing} 127.0.0.1"),
        )
        .replace("persistence true\n", "");
    let listeners = conf_text.lines().filter(|l| l.starts_with("listener "));
    assert_eq!(listeners.count(), 3, "{conf_text}");
    let conf = dir.path().join("mosquitto.conf");
    // As root Mosquitto would switch to the `mosquitto` user, who cannot read this
    // temporary folder; a real deployment gives that user read access.
    std::fs::write(&conf, format!("user root\n{conf_text}")).unwrap();
    let mut broker = tokio::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("mosquitto is installed");
    let broker_pid = broker.id().unwrap();
    // Wait for the broker's port rather than for a fixed time.
    let deadline = std::time::Instant::now() + tests::mqtt_client::PATIENCE;
    while tokio::net::TcpStream::connect(("127.0.0.1", local))
        .await
        .is_err()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the external broker did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let mut config = HubConfig {
        data_dir: data.clone(),
        ..HubConfig::default()
    };
    config.web.port = 0;
    config.broker.mode = BrokerMode::External;
    config.broker.host = "127.0.0.1".into();
    config.broker.port = local;
    config.broker.credentials_dir = Some(creds.clone());
    config.broker.reload_command = Some(format!("kill -HUP {broker_pid}"));
    let running = nabij_hub::start(config.clone())
        .await
        .expect("the hub starts against the external broker");
    let read = |name: &str| std::fs::read_to_string(creds.join(name)).unwrap();
    assert!(read(Door::Hub.passwd()).starts_with("nabij-hub:$7$"));
    assert!(read(Door::Pairing.passwd()).contains("\nenrol:$7$"));
    assert_eq!(read(Door::Tablets.passwd()), "", "no tablet yet");

    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("broker/secrets.json")).unwrap()).unwrap();
    let settings = KioskSettings {
        host: "127.0.0.1".into(),
        port: tls,
        pairing_port: pairing,
        ca: pki.ca_cert.clone(),
        enrol_password: secrets["enrol_password"].as_str().unwrap().to_owned(),
    };
    running
        .hub()
        .add_participant("Jan Claes", None, None)
        .await
        .unwrap();
    let mut pairing = Pairing::connect(&settings).await;
    let code = pairing.code(None).await;
    let jan = running.hub().find_person("Jan Claes").unwrap().id;
    running
        .hub()
        .enrol(&code, &jan, None, "command line")
        .await
        .unwrap();
    let credentials = pairing.granted().await;
    let mut device = Device::connect(&settings, &credentials)
        .await
        .expect("the external broker knows the tablet");
    device.barrier().await;
    running.hub().revoke(&credentials.device_id).await.unwrap();
    device.client.closed().await;
    running.shutdown().await;
    assert!(
        broker.try_wait().unwrap().is_none(),
        "the hub leaves an external broker running"
    );
}

#[tokio::test]
async fn the_insecure_dev_listener_takes_plain_mqtt_on_loopback_only_and_never_over_tablets() {
    let dir = tempfile::tempdir().unwrap();
    let plain = free_port();
    let mut config = HubConfig {
        data_dir: dir.path().join("data"),
        insecure_dev_port: Some(plain),
        ..HubConfig::default()
    };
    config.broker.tls_port = free_port();
    config.broker.pairing_port = free_port();
    config.web.port = 0;
    config.broker.local_port = free_port();
    // Even with the tablets' listeners on every address, the plain one is on loopback.
    config.broker.listen = std::net::IpAddr::from([0, 0, 0, 0]);
    let running = nabij_hub::start(config.clone()).await.unwrap();
    let conf = std::fs::read_to_string(dir.path().join("data/broker/mosquitto.conf")).unwrap();
    assert!(
        conf.contains(&format!("listener {plain} 127.0.0.1\n")),
        "{conf}"
    );
    let secrets: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("data/broker/secrets.json")).unwrap(),
    )
    .unwrap();
    let login = |password| Login {
        client_id: "e-plain",
        username: "enrol",
        password,
        clean_session: true,
        will: None,
    };
    let wrong = Client::connect_to("127.0.0.1", plain, None, login("wrong")).await;
    assert!(
        matches!(wrong, Err(tests::mqtt_client::Refused::NotAuthorized(_))),
        "passwords still apply"
    );
    let password = secrets["enrol_password"].as_str().unwrap().to_owned();
    Client::connect_to("127.0.0.1", plain, None, login(&password))
        .await
        .expect("plain MQTT works in dev mode");

    // Once a tablet is enrolled, the hub no longer starts with a plain listener.
    let settings = KioskSettings {
        host: "127.0.0.1".into(),
        port: config.broker.tls_port,
        pairing_port: config.broker.pairing_port,
        ca: config.data_dir.join("pki/ca.pem"),
        enrol_password: password,
    };
    running
        .hub()
        .add_participant("Jan Claes", None, None)
        .await
        .unwrap();
    let mut pairing = Pairing::connect(&settings).await;
    let code = pairing.code(None).await;
    let jan = running.hub().find_person("Jan Claes").unwrap().id;
    running
        .hub()
        .enrol(&code, &jan, None, "command line")
        .await
        .unwrap();
    pairing.granted().await;
    running.shutdown().await;
    let refused = nabij_hub::start(config.clone())
        .await
        .err()
        .map(|e| e.to_string());
    let refused = refused.expect("--insecure-dev over an enrolled tablet is refused");
    assert!(
        refused.contains("--insecure-dev is refused") && refused.contains("1 enrolled tablet"),
        "{refused}"
    );
    // Without it the same hub starts.
    config.insecure_dev_port = None;
    nabij_hub::start(config).await.unwrap().shutdown().await;
}
