//! `nabij-hub serve` as a real process. Dropped — also when a test fails halfway — it is
//! terminated as systemd would (SIGTERM), so it stops its managed broker on the way out
//! and no Mosquitto outlives the test.

use std::path::{Path, PathBuf};

/// A running `nabij-hub serve`.
pub struct ServedHub {
    child: tokio::process::Child,
    dir: PathBuf,
}

impl Drop for ServedHub {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The ports a served hub listens on.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// Enrolled tablets (TLS).
    pub tls: u16,
    /// Pairing tablets (TLS).
    pub pairing: u16,
    /// The hub's own broker connection (loopback).
    pub local: u16,
    /// The dashboard (HTTPS); 0 picks any free one.
    pub web: u16,
}

impl Ports {
    /// Free ports for the broker, and any for the dashboard.
    pub fn free() -> Ports {
        Ports {
            tls: crate::hub::free_port(),
            pairing: crate::hub::free_port(),
            local: crate::hub::free_port(),
            web: 0,
        }
    }
}

impl ServedHub {
    /// Starts a hub over `dir` on these ports and waits until its command line answers.
    pub async fn start(dir: &Path, ports: Ports) -> ServedHub {
        ServedHub::start_with(dir, ports, &[]).await
    }

    /// Like [`ServedHub::start`], with more `serve` options. Its standard input is a pipe
    /// the test holds (see [`ServedHub::close_stdin`]).
    pub async fn start_with(dir: &Path, ports: Ports, options: &[&str]) -> ServedHub {
        let child = tokio::process::Command::new(crate::binary("nabij-hub"))
            .arg("--data-dir")
            .arg(dir)
            .args([
                "serve",
                "--tls-port",
                &ports.tls.to_string(),
                "--pairing-port",
                &ports.pairing.to_string(),
                "--local-port",
                &ports.local.to_string(),
                "--web-port",
                &ports.web.to_string(),
            ])
            .args(options)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nabij-hub runs");
        let hub = ServedHub {
            child,
            dir: dir.to_owned(),
        };
        let deadline = std::time::Instant::now() + crate::mqtt_client::PATIENCE;
        while !hub.cli(&["group", "list"]).await.0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the hub did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        hub
    }

    /// Runs `nabij-hub ARGS` against it: whether it succeeded, and what it printed.
    pub async fn cli(&self, args: &[&str]) -> (bool, String) {
        let out = tokio::process::Command::new(crate::binary("nabij-hub"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .output()
            .await
            .expect("nabij-hub runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    /// Stops the hub as systemd would (SIGTERM): it stops its own broker on the way out.
    pub fn terminate(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }

    /// Sends the hub a signal by name (`INT`, `TERM`, `KILL`, …).
    pub fn signal(&self, name: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args([&format!("-{name}"), &pid.to_string()])
                .status();
        }
    }

    /// Closes the hub's standard input, as a parent that ends does.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// The process id of the hub's managed Mosquitto, from the pid file it writes.
    pub fn broker_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("broker/mosquitto.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Kills the hub with SIGKILL, as a power cut would its process.
    pub fn kill9(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }

    /// Waits until the process has ended; its exit status.
    pub async fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().await.expect("the hub's exit status")
    }
}
