//! A real hub with its real managed Mosquitto, on free ports in a temporary folder.

use nabij_hub::RunningHub;
use nabij_hub::config::HubConfig;
use std::path::PathBuf;

/// A free TCP port on 127.0.0.1 (the OS picks it; it is free when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the OS has no free port")
}

/// What a kiosk needs to reach a test hub.
#[derive(Clone, Debug)]
pub struct KioskSettings {
    /// Host (127.0.0.1).
    pub host: String,
    /// The enrolled tablets' TLS port.
    pub port: u16,
    /// The pairing tablets' TLS port.
    pub pairing_port: u16,
    /// The hub's CA certificate file.
    pub ca: PathBuf,
    /// The shared enrolment password.
    pub enrol_password: String,
}

/// A running test hub.
pub struct TestHub {
    /// The hub.
    pub running: Option<RunningHub>,
    /// Its configuration.
    pub config: HubConfig,
    /// Its data folder (deleted on drop).
    pub dir: tempfile::TempDir,
}

impl TestHub {
    /// Starts a hub with defaults, on free ports.
    pub async fn start() -> TestHub {
        TestHub::start_in(tempfile::tempdir().expect("temp dir")).await
    }

    /// Starts a hub with defaults, on free ports, with its data in `dir/data` (which may
    /// hold what an earlier hub left, or a restored backup).
    pub async fn start_in(dir: tempfile::TempDir) -> TestHub {
        let mut config = HubConfig {
            data_dir: dir.path().join("data"),
            ..HubConfig::default()
        };
        config.broker.tls_port = free_port();
        config.broker.pairing_port = free_port();
        config.web.port = 0;
        config.broker.local_port = free_port();
        config.broker.listen = std::net::IpAddr::from([127, 0, 0, 1]);
        let running = nabij_hub::start(config.clone())
            .await
            .expect("the hub starts");
        TestHub {
            running: Some(running),
            config,
            dir,
        }
    }

    /// The running hub's operations.
    pub fn hub(&self) -> &nabij_hub::app::Hub {
        self.running.as_ref().expect("hub is running").hub()
    }

    /// The dashboard's address (HTTPS).
    pub fn web_addr(&self) -> std::net::SocketAddr {
        self.running
            .as_ref()
            .and_then(|r| r.web_addr())
            .expect("the dashboard is on")
    }

    /// Settings for a kiosk.
    pub fn kiosk_settings(&self) -> KioskSettings {
        let secrets = self.secrets();
        KioskSettings {
            host: "127.0.0.1".into(),
            port: self.config.broker.tls_port,
            pairing_port: self.config.broker.pairing_port,
            ca: self.config.data_dir.join("pki/ca.pem"),
            enrol_password: secrets["enrol_password"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The broker secrets file, as JSON.
    pub fn secrets(&self) -> serde_json::Value {
        let bytes =
            std::fs::read(self.config.data_dir.join("broker/secrets.json")).expect("secrets.json");
        serde_json::from_slice(&bytes).expect("secrets.json is JSON")
    }

    /// Adds a group with these participants in it.
    pub async fn group_with(&self, group: &str, participants: &[&str]) {
        let group = self
            .hub()
            .add_group(group, None)
            .await
            .expect("the group is added");
        for name in participants {
            self.hub()
                .add_participant(name, Some(&group.id), None)
                .await
                .expect("the participant is added");
        }
    }

    /// A group (by name or id) or else a person, as a coach's message addresses them.
    pub fn audience(&self, name: &str) -> nabij_hub::app::Audience {
        match self.hub().find_group(name) {
            Ok(group) => nabij_hub::app::Audience::Group(group.id),
            Err(_) => nabij_hub::app::Audience::Person(self.person(name)),
        }
    }

    /// The id of the group with this name (or id).
    pub fn group(&self, name: &str) -> nabij_protocol::GroupId {
        self.hub().find_group(name).expect("a known group").id
    }

    /// The id of the person with this name (or id).
    pub fn person(&self, name: &str) -> nabij_protocol::PersonId {
        self.hub().find_person(name).expect("a known person").id
    }

    /// Stops the hub cleanly.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}
