//! The other broker set-ups: an external Mosquitto the operator runs (configured as in
//! deploy/mosquitto/nabij.conf), and the development-only plain listener.

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
    std::fs::write(creds.join("passwd"), "").unwrap();
    std::fs::write(creds.join("acl"), "").unwrap();
    let pki = nabij_hub::pki::ensure(&data.join("pki"), &["127.0.0.1".into()]).unwrap();
    let (local, tls) = (free_port(), free_port());
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            // As root Mosquitto would switch to the `mosquitto` user, who cannot read
            // this temporary folder; a real deployment gives that user read access.
            "user root\nper_listener_settings false\nallow_anonymous false\npassword_file {c}/passwd\nacl_file {c}/acl\n\
             listener {local} 127.0.0.1\nlistener {tls} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
            c = creds.display(),
            ca = pki.ca_cert.display(),
            cert = pki.server_cert.display(),
            key = pki.server_key.display(),
        ),
    )
    .unwrap();
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
    config.broker.mode = BrokerMode::External;
    config.broker.host = "127.0.0.1".into();
    config.broker.port = local;
    config.broker.credentials_dir = Some(creds.clone());
    config.broker.reload_command = Some(format!("kill -HUP {broker_pid}"));
    let running = nabij_hub::start(config.clone())
        .await
        .expect("the hub starts against the external broker");
    let passwd = std::fs::read_to_string(creds.join("passwd")).unwrap();
    assert!(
        passwd.starts_with("nabij-hub:$7$") && passwd.contains("\nenrol:$7$"),
        "{passwd}"
    );

    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("broker/secrets.json")).unwrap()).unwrap();
    let settings = KioskSettings {
        host: "127.0.0.1".into(),
        port: tls,
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
async fn the_insecure_dev_listener_takes_plain_mqtt_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let plain = free_port();
    let mut config = HubConfig {
        data_dir: dir.path().join("data"),
        insecure_dev_port: Some(plain),
        ..HubConfig::default()
    };
    config.broker.tls_port = free_port();
    config.web.port = 0;
    config.broker.local_port = free_port();
    config.broker.listen = std::net::IpAddr::from([127, 0, 0, 1]);
    let running = nabij_hub::start(config).await.unwrap();
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
    let password = secrets["enrol_password"].as_str().unwrap();
    Client::connect_to("127.0.0.1", plain, None, login(password))
        .await
        .expect("plain MQTT works in dev mode");
    running.shutdown().await;
}
