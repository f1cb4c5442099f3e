//! Signed kiosk updates end to end: `nabij-hub update keygen|sign` as a release manager
//! runs them, `trust|publish|status` against a real hub and its Mosquitto, simulated
//! tablets that download over their own link with the kiosk's own update code
//! (`nabij_update::download`), and the real `nabij-kiosk-updater` over a slot folder:
//! a good update lands, one that fails its health check rolls back, bad bundles are
//! refused, and an updater killed at every step leaves a working kiosk.

use nabij_protocol::{Body, DeviceStatus, Envelope, Party, Presence, Topic, UpdateState};
use nabij_update::download::{Fetcher, Said};
use nabij_update::inbox::{Inbox, UpdaterView};
use nabij_update::manifest::this_arch;
use nabij_update::slots::{OutcomeState, Progress, Step};
use nabij_update::{PublicKey, Version};
use std::path::{Path, PathBuf};
use tests::binary;
use tests::hub::TestHub;
use tests::sim_kiosk::{Device, enrolled, message_id};

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn run(program: &str, args: &[&std::ffi::OsStr]) -> Output {
    let output = tokio::process::Command::new(binary(program))
        .args(args)
        .output()
        .await
        .expect("the program runs");
    Output {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn hub_cli(data_dir: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = vec!["--data-dir".as_ref(), data_dir.as_os_str()];
    all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
    run("nabij-hub", &all).await
}

/// A release manager's laptop: a release key and the kiosk binaries of two releases.
struct Laptop {
    dir: tempfile::TempDir,
    public: String,
}

impl Laptop {
    async fn new() -> Laptop {
        let dir = tempfile::tempdir().expect("dir");
        let key = dir.path().join("release.pem");
        // Offline: no hub at this data folder.
        let out = hub_cli(
            &dir.path().join("no-hub"),
            &["update", "keygen", "--out", key.to_str().expect("utf-8")],
        )
        .await;
        assert!(out.ok, "{}", out.stderr);
        let public = out
            .stdout
            .split_whitespace()
            .find(|w| w.starts_with("ed25519:"))
            .expect("the public key is printed")
            .to_owned();
        Laptop { dir, public }
    }

    /// A "kiosk binary" of `version`: 1.2 MB, so that it travels in three parts.
    fn binary(&self, version: &str) -> PathBuf {
        let path = self.dir.path().join(format!("nabij-kiosk-{version}"));
        let mut bytes = format!("#!/bin/sh\necho nabij-kiosk {version}\n").into_bytes();
        bytes.extend((0..1_200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        std::fs::write(&path, bytes).expect("write");
        path
    }

    async fn sign(&self, version: &str, min: &str) -> PathBuf {
        let binary = self.binary(version);
        self.sign_binary(&binary, version, min).await
    }

    /// Signs `binary` as release `version`.
    async fn sign_binary(&self, binary: &Path, version: &str, min: &str) -> PathBuf {
        let out_path = self
            .dir
            .path()
            .join(format!("kiosk-{version}.nabij-update"));
        let key = self.dir.path().join("release.pem");
        let out = hub_cli(
            &self.dir.path().join("no-hub"),
            &[
                "update",
                "sign",
                "--key",
                key.to_str().expect("utf-8"),
                "--binary",
                binary.to_str().expect("utf-8"),
                "--version",
                version,
                "--min-version",
                min,
                "--arch",
                this_arch(),
                "--out",
                out_path.to_str().expect("utf-8"),
            ],
        )
        .await;
        assert!(out.ok, "{}", out.stderr);
        assert!(
            out.stdout.contains(&format!("Signed kiosk {version}")),
            "{}",
            out.stdout
        );
        out_path
    }
}

/// A tablet's disk: the updater's folder, the kiosk's hand-over folder, its settings.
struct TabletDisk {
    dir: tempfile::TempDir,
}

impl TabletDisk {
    fn root(&self) -> PathBuf {
        self.dir.path().join("updater")
    }
    fn inbox(&self) -> Inbox {
        Inbox::new(self.dir.path().join("kiosk/update"))
    }
    fn settings(&self) -> PathBuf {
        self.dir.path().join("kiosk-settings.toml")
    }

    async fn new(hub_dir: &Path) -> TabletDisk {
        TabletDisk::with_package(hub_dir, None).await
    }

    /// A tablet whose `nabij-kiosk` package installed `package` (by default a stand-in
    /// script) as 0.1.0.
    async fn with_package(hub_dir: &Path, package: Option<&Path>) -> TabletDisk {
        let disk = TabletDisk {
            dir: tempfile::tempdir().expect("dir"),
        };
        // The settings file the coach copies onto the tablet, with the update key in it.
        let out = hub_cli(hub_dir, &["kiosk-settings", "--host", "localhost"]).await;
        assert!(out.ok, "{}", out.stderr);
        assert!(
            out.stdout.contains("update_key = \"ed25519:"),
            "{}",
            out.stdout
        );
        std::fs::write(disk.settings(), &out.stdout).expect("settings");
        // The package installed 0.1.0; its unit's ExecStartPre puts it into a slot.
        let package = match package {
            Some(binary) => binary.to_owned(),
            None => {
                let script = disk.dir.path().join("usr-bin-nabij-kiosk");
                std::fs::write(&script, b"#!/bin/sh\necho nabij-kiosk 0.1.0\n").expect("package");
                script
            }
        };
        let out = disk
            .updater(
                &[],
                &[
                    "boot",
                    "--package-binary",
                    package.to_str().expect("utf-8"),
                    "--package-version",
                    "0.1.0",
                ],
            )
            .await;
        assert!(out.ok, "{}", out.stderr);
        assert_eq!(disk.running(), Version::new(0, 1, 0));
        disk
    }

    async fn updater(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let root = self.root();
        let inbox = self.inbox().dir().to_owned();
        let settings = self.settings();
        let mut command = tokio::process::Command::new(binary("nabij-kiosk-updater"));
        command
            .arg("--root")
            .arg(&root)
            .arg("--inbox")
            .arg(&inbox)
            .arg("--settings")
            .arg(&settings)
            .arg("--no-restart")
            .args(args)
            .envs(env.iter().copied());
        let output = command.output().await.expect("the updater runs");
        Output {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn view(&self) -> UpdaterView {
        UpdaterView::read(&self.root())
    }

    /// The version the kiosk unit would start now, checked against its binary.
    fn running(&self) -> Version {
        let info = self.view().running.expect("a kiosk in the current slot");
        let binary = std::fs::read(self.root().join("current/nabij-kiosk")).expect("binary");
        assert_eq!(
            nabij_update::manifest::sha256_hex(&binary),
            info.sha256,
            "a whole binary"
        );
        info.version
    }

    /// The kiosk, (re)started: its update work over this disk.
    fn kiosk(&self) -> Fetcher {
        let text = std::fs::read_to_string(self.settings()).expect("settings");
        let key: PublicKey = text
            .lines()
            .find_map(|l| l.strip_prefix("update_key = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("an update key")
            .parse()
            .expect("a key");
        Fetcher::new(self.inbox(), key, self.running(), this_arch())
    }
}

async fn say(device: &Device, said: Vec<Said>) -> Vec<nabij_protocol::UpdateReport> {
    let mut reports = Vec::new();
    for s in said {
        match s {
            Said::Fetch(fetch) => device.send(Body::UpdateFetch(fetch)).await,
            Said::Report(report) => {
                reports.push(report.clone());
                device.send(Body::UpdateReport(report)).await
            }
        };
    }
    reports
}

/// The tablet tells the hub which version it runs, as its status after a start does.
async fn status(device: &Device, version: Version) {
    let id = device.credentials.device_id.clone();
    let envelope = Envelope::new(
        message_id(),
        Party::Device(id.clone()),
        Body::Status(DeviceStatus {
            state: Presence::Online,
            app_version: Some(version.to_string()),
            profile: Some("desktop".into()),
            battery_pct: None,
            charging: None,
            free_storage_mb: None,
        }),
    );
    device
        .client
        .publish(
            &Topic::DeviceStatus(id).to_string(),
            envelope.to_bytes(),
            true,
        )
        .await;
}

/// The kiosk takes the offer, downloads every part over its link, and reports `ready`.
async fn download(device: &mut Device, kiosk: &mut Fetcher) {
    let offer = device
        .receive_until(|e| matches!(e.body, Body::UpdateOffer(_)))
        .await;
    let Body::UpdateOffer(offer) = offer.body else {
        unreachable!()
    };
    let mut said = kiosk.on_offer(&offer).expect("offer");
    let mut parts = 0;
    loop {
        let reports = say(device, said).await;
        if reports.iter().any(|r| r.state == UpdateState::Ready) {
            break;
        }
        assert!(
            !reports.iter().any(|r| r.state == UpdateState::Refused),
            "{reports:?}"
        );
        let part = device
            .receive_until(|e| matches!(e.body, Body::UpdatePart(_)))
            .await;
        let Body::UpdatePart(part) = part.body else {
            unreachable!()
        };
        parts += 1;
        said = kiosk.on_part(&part).expect("part");
    }
    assert_eq!(parts, 3, "1.2 MB in parts of 512 KiB");
    assert!(kiosk.ready());
}

fn update_line(status: &str, device: &Device) -> String {
    status
        .lines()
        .find(|l| l.starts_with(device.credentials.device_id.as_str()))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_good_update_lands_on_the_pilot_group_and_a_failing_one_rolls_back_by_itself() {
    let hub = TestHub::start().await;
    let hub_dir = hub.config.data_dir.clone();
    hub.group_with("Brugge Noord", &["Anna Peeters", "Bert Claes"])
        .await;
    let mut anna = enrolled(&hub, "Anna Peeters").await;
    let mut bert = enrolled(&hub, "Bert Claes").await;
    let laptop = Laptop::new().await;

    // Without a trusted key nothing is published.
    let good = laptop.sign("0.2.0", "0.1.0").await;
    let out = hub_cli(
        &hub_dir,
        &["update", "publish", good.to_str().unwrap(), "--all"],
    )
    .await;
    assert!(
        !out.ok && out.stderr.contains("update trust"),
        "{}",
        out.stderr
    );

    let out = hub_cli(&hub_dir, &["update", "trust", &laptop.public]).await;
    assert!(out.ok, "{}", out.stderr);
    let disk = TabletDisk::new(&hub_dir).await;

    // Published to the pilot group (Anna's tablet) only.
    let anna_id = anna.credentials.device_id.to_string();
    let out = hub_cli(
        &hub_dir,
        &[
            "update",
            "publish",
            good.to_str().unwrap(),
            "--to",
            &anna_id,
        ],
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("Kiosk 0.2.0 offered to 1 tablet(s)"),
        "{}",
        out.stdout
    );
    let mut kiosk = disk.kiosk();
    download(&mut anna, &mut kiosk).await;
    let before = bert.barrier().await;
    assert!(
        !before
            .iter()
            .any(|e| matches!(e.body, Body::UpdateOffer(_))),
        "not in the pilot group: no offer"
    );

    // A quiet time: handed to the updater, which installs it for a trial.
    say(&anna, kiosk.install().expect("hand over")).await;
    let out = disk.updater(&[], &["run"]).await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(disk.running(), Version::new(0, 2, 0));
    assert_eq!(disk.view().on_trial(), Some(Version::new(0, 2, 0)));

    // The new kiosk starts, reaches the hub, draws its home screen and confirms itself.
    let mut kiosk = disk.kiosk();
    status(&anna, kiosk.running()).await;
    anna.barrier().await;
    let reports = say(&anna, kiosk.after_start(&disk.view()).expect("confirm")).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].state, UpdateState::Installed);
    let out = disk.updater(&[], &["run"]).await;
    assert!(out.ok && out.stderr.contains("kept"), "{}", out.stderr);
    // Long after, it stays.
    let out = disk
        .updater(&[], &["--clock-offset-secs", "3600", "run"])
        .await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(disk.running(), Version::new(0, 2, 0));
    anna.barrier().await;
    let out = hub_cli(&hub_dir, &["device", "list"]).await;
    let line = update_line(&out.stdout, &anna);
    assert!(
        line.contains("0.2.0") && line.contains("0.2.0 installed"),
        "{}",
        out.stdout
    );
    assert_eq!(
        update_line(&out.stdout, &bert).split_whitespace().last(),
        Some("-")
    );

    // 0.3.0 to everyone; on Anna's tablet it never reaches the hub.
    let bad = laptop.sign("0.3.0", "0.1.0").await;
    let out = hub_cli(
        &hub_dir,
        &["update", "publish", bad.to_str().unwrap(), "--all"],
    )
    .await;
    assert!(
        out.ok && out.stdout.contains("offered to 2 tablet(s)"),
        "{}",
        out.stdout
    );
    download(&mut anna, &mut kiosk).await;
    say(&anna, kiosk.install().expect("hand over")).await;
    let out = disk.updater(&[], &["run"]).await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(disk.running(), Version::new(0, 3, 0));
    // The broken kiosk starts its link (and records so, as the kiosk does), says what it
    // could, and never confirms.
    disk.inbox()
        .record_progress(Version::new(0, 3, 0), Progress::Started)
        .expect("progress");
    disk.inbox()
        .say_trouble("the hub did not answer")
        .expect("trouble");
    let out = disk
        .updater(&[], &["--clock-offset-secs", "120", "run"])
        .await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(
        disk.running(),
        Version::new(0, 3, 0),
        "still within its 5 minutes"
    );
    let out = disk
        .updater(&[], &["--clock-offset-secs", "301", "run"])
        .await;
    assert!(
        out.ok && out.stderr.contains("rolled back"),
        "{}",
        out.stderr
    );
    assert_eq!(disk.running(), Version::new(0, 2, 0));
    // 0.2.0 starts again and reports why.
    let mut kiosk = disk.kiosk();
    let reports = say(&anna, kiosk.after_start(&disk.view()).expect("report")).await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].state, UpdateState::RolledBack);
    assert!(
        reports[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("the hub did not answer")),
        "{reports:?}"
    );
    // Reported once, not at every start.
    assert!(
        disk.kiosk()
            .after_start(&disk.view())
            .expect("again")
            .is_empty()
    );
    anna.barrier().await;
    let out = hub_cli(&hub_dir, &["update", "status"]).await;
    let line = update_line(&out.stdout, &anna);
    assert!(
        line.contains("0.3.0 ROLLED BACK")
            && line.contains(
                "version 0.3.0 started but did not reach the hub within 5 minutes: the hub did not answer"
            ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("release 0.3.0") && out.stdout.contains("release 0.2.0"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn bundles_with_a_bad_signature_a_changed_byte_or_an_older_version_are_refused() {
    let hub = TestHub::start().await;
    let hub_dir = hub.config.data_dir.clone();
    hub.group_with("Brugge Noord", &["Anna Peeters"]).await;
    let mut anna = enrolled(&hub, "Anna Peeters").await;
    let laptop = Laptop::new().await;
    let stranger = Laptop::new().await;
    let out = hub_cli(&hub_dir, &["update", "trust", &laptop.public]).await;
    assert!(out.ok, "{}", out.stderr);
    let disk = TabletDisk::new(&hub_dir).await;

    // At the hub.
    let foreign = stranger.sign("0.2.0", "0.1.0").await;
    let out = hub_cli(
        &hub_dir,
        &["update", "publish", foreign.to_str().unwrap(), "--all"],
    )
    .await;
    assert!(
        !out.ok && out.stderr.contains("signature does not match"),
        "{}",
        out.stderr
    );
    let good = laptop.sign("0.2.0", "0.1.0").await;
    let mut bytes = std::fs::read(&good).expect("bundle");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let changed = laptop.dir.path().join("changed.nabij-update");
    std::fs::write(&changed, &bytes).expect("write");
    let out = hub_cli(
        &hub_dir,
        &["update", "publish", changed.to_str().unwrap(), "--all"],
    )
    .await;
    assert!(
        !out.ok && out.stderr.contains("differ from what its signature covers"),
        "{}",
        out.stderr
    );
    let same = laptop.sign("0.1.0", "0.1.0").await;
    let out = hub_cli(
        &hub_dir,
        &["update", "publish", same.to_str().unwrap(), "--all"],
    )
    .await;
    assert!(
        out.ok
            && out.stdout.contains("offered to 0 tablet(s)")
            && out.stdout.contains("runs 0.1.0 already"),
        "{}",
        out.stdout
    );
    assert!(
        !anna
            .barrier()
            .await
            .iter()
            .any(|e| matches!(e.body, Body::UpdateOffer(_))),
        "nothing offered"
    );

    // At the updater, whatever the kiosk handed over (a kiosk that was tampered with).
    for (bundle, why) in [
        (
            std::fs::read(&foreign).expect("read"),
            "signature does not match",
        ),
        (bytes.clone(), "differ from what its signature covers"),
        (std::fs::read(&same).expect("read"), "not newer"),
    ] {
        disk.inbox().hand_over(&bundle).expect("hand over");
        let out = disk.updater(&[], &["run"]).await;
        assert!(out.ok && out.stderr.contains(why), "{why}: {}", out.stderr);
        assert_eq!(disk.running(), Version::new(0, 1, 0));
        let last = disk.view().state.last.expect("an outcome");
        assert_eq!(last.state, OutcomeState::Refused);
        let reports = disk.kiosk().after_start(&disk.view()).expect("report");
        assert!(
            matches!(&reports[..], [Said::Report(r)] if r.state == UpdateState::Refused),
            "{reports:?}"
        );
        say(&anna, reports).await;
    }
    anna.barrier().await;
    let out = hub_cli(&hub_dir, &["device", "list"]).await;
    assert!(
        update_line(&out.stdout, &anna).contains("REFUSED"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_updater_killed_at_every_step_leaves_a_working_kiosk() {
    let hub = TestHub::start().await;
    let hub_dir = hub.config.data_dir.clone();
    let laptop = Laptop::new().await;
    let out = hub_cli(&hub_dir, &["update", "trust", &laptop.public]).await;
    assert!(out.ok, "{}", out.stderr);
    let bundle = std::fs::read(laptop.sign("0.2.0", "0.1.0").await).expect("bundle");
    for step in Step::ALL {
        for confirm in [true, false] {
            let disk = TabletDisk::new(&hub_dir).await;
            disk.inbox().hand_over(&bundle).expect("hand over");
            // Install, then (for the rollback's steps) let the trial's time run out.
            let mut out = disk
                .updater(&[("NABIJ_UPDATER_STOP_AT", step.name())], &["run"])
                .await;
            if out.ok {
                out = disk
                    .updater(
                        &[("NABIJ_UPDATER_STOP_AT", step.name())],
                        &["--clock-offset-secs", "600", "run"],
                    )
                    .await;
            }
            let killed = !out.ok;
            // Whatever was half done, the next start gives a whole kiosk.
            let out = disk.updater(&[], &["run"]).await;
            assert!(out.ok, "{}: {}", step.name(), out.stderr);
            let running = disk.running();
            assert!(
                running == Version::new(0, 1, 0) || running == Version::new(0, 2, 0),
                "{}: {running}",
                step.name()
            );
            // The story ends: the new version confirms itself, or its time runs out.
            if confirm {
                let _ = disk.kiosk().after_start(&disk.view()).expect("confirm");
            }
            let out = disk
                .updater(&[], &["--clock-offset-secs", "1200", "run"])
                .await;
            assert!(out.ok, "{}: {}", step.name(), out.stderr);
            assert!(killed, "{}: the updater was not stopped there", step.name());
            let expected = match (step, confirm) {
                // Killed during a rollback (the trial's time was up): it is finished.
                (Step::RollbackMarked | Step::RollbackSwitched, _) => Version::new(0, 1, 0),
                // Killed during the install: installed again at the next start (the
                // request stays until then), or gone on with from where it stopped.
                (_, true) => Version::new(0, 2, 0),
                (_, false) => Version::new(0, 1, 0),
            };
            assert_eq!(
                disk.running(),
                expected,
                "{}, confirmed {confirm}",
                step.name()
            );
            assert!(disk.view().state.trial.is_none(), "{}", step.name());
        }
    }
}

/// An X server without a screen, for the real kiosk's window.
struct Xvfb {
    child: std::process::Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        use std::io::BufRead;
        let mut child = std::process::Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt-get install xvfb)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("Xvfb says its display");
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not start");
        Xvfb {
            child,
            display: format!(":{number}"),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kiosk unit as `deploy/systemd` has it: `nabij-kiosk-updater boot` (ExecStartPre),
/// then the kiosk started through the `current` slot (ExecStart), with its state folder.
struct KioskUnit<'a> {
    disk: &'a TabletDisk,
    package: PathBuf,
    display: String,
    kiosk: Option<tokio::process::Child>,
}

impl KioskUnit<'_> {
    fn data_dir(&self) -> PathBuf {
        self.disk.dir.path().join("kiosk")
    }

    /// Starts the kiosk (stopping a running one first, as `systemctl restart`); returns
    /// the version of the slot it started from.
    async fn start(&mut self) -> Version {
        self.stop().await;
        let out = self
            .disk
            .updater(
                &[],
                &[
                    "boot",
                    "--package-binary",
                    self.package.to_str().expect("utf-8"),
                    "--package-version",
                    "0.1.0",
                ],
            )
            .await;
        assert!(out.ok, "{}", out.stderr);
        let profile =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-profiles/desktop.toml");
        let child = tokio::process::Command::new(self.disk.root().join("current/nabij-kiosk"))
            .arg("run")
            .arg("--profile")
            .arg(profile)
            .arg("--hub-settings")
            .arg(self.disk.settings())
            .arg("--data-dir")
            .arg(self.data_dir())
            .env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .kill_on_drop(true)
            .spawn()
            .expect("the kiosk in the current slot starts");
        self.kiosk = Some(child);
        self.disk.running()
    }

    /// How the kiosk stopped by itself.
    async fn exited(&mut self) -> std::process::ExitStatus {
        let child = self.kiosk.as_mut().expect("a kiosk started");
        tokio::time::timeout(tests::mqtt_client::PATIENCE, child.wait())
            .await
            .expect("the kiosk stops by itself")
            .expect("its status")
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.kiosk.take() {
            let _ = child.kill().await;
        }
    }
}

/// Issue 24 with two real kiosk versions: the built `nabij-kiosk`, installed by the
/// package as 0.1.0 and signed as release 0.2.0 (the same program: a kiosk reports the
/// version of the slot it runs from, from the updater's root-owned `slot.json`, so no
/// override is needed), runs from the `current` slot under the kiosk unit's steps, in a
/// window on an X server without a screen, logged in as an enrolled tablet. The updater
/// installs 0.2.0; started from its slot it reaches the real hub, draws its home screen
/// and confirms itself; the updater keeps it. Release 0.3.0 exits at once: the kiosk
/// unit starts it three times, at the fourth start `boot` goes back to 0.2.0, which runs
/// again and tells the hub why. (The hub's offer and the download in parts, and the
/// hand-over at a quiet time, have their own tests in `kiosk_live`; here the bundle is
/// handed over as the kiosk does it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_kiosk_updated_in_its_slot_confirms_and_a_release_that_crashes_is_rolled_back() {
    let hub = TestHub::start().await;
    let hub_dir = hub.config.data_dir.clone();
    hub.group_with("Brugge Noord", &["Anna Peeters"]).await;
    let laptop = Laptop::new().await;
    let out = hub_cli(&hub_dir, &["update", "trust", &laptop.public]).await;
    assert!(out.ok, "{}", out.stderr);
    // The built kiosk without its debugging information (a debug build's is larger than
    // an update may be; a package's binary has none either).
    let kiosk_binary = laptop.dir.path().join("nabij-kiosk");
    let stripped = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&kiosk_binary)
        .arg(binary("nabij-kiosk"))
        .status()
        .expect("strip runs (binutils)");
    assert!(stripped.success());
    let size = std::fs::metadata(&kiosk_binary).expect("kiosk").len();
    assert!(
        size <= nabij_update::manifest::MAX_PAYLOAD_BYTES,
        "the built kiosk ({size} bytes) is larger than an update may be"
    );
    let disk = TabletDisk::with_package(&hub_dir, Some(&kiosk_binary)).await;
    // A tablet enrolled for Anna; the real kiosk takes over its identity.
    let anna = enrolled(&hub, "Anna Peeters").await;
    let id = anna.credentials.device_id.clone();
    let identity = nabij_kiosk::live::identity::Identity {
        device_id: id.clone(),
        password: anna.credentials.password.clone(),
    };
    drop(anna);
    let xvfb = Xvfb::start();
    let mut unit = KioskUnit {
        disk: &disk,
        package: kiosk_binary.clone(),
        display: xvfb.display.clone(),
        kiosk: None,
    };
    nabij_kiosk::live::identity::save(&unit.data_dir(), &identity).expect("identity");
    let app_version = |hub: &TestHub| hub.hub().device(&id).expect("device").app_version;
    let update = |hub: &TestHub| hub.hub().device_update(&id).expect("update");

    assert_eq!(unit.start().await, Version::new(0, 1, 0));
    tests::sim_kiosk::eventually("the package's kiosk says it runs 0.1.0", || {
        app_version(&hub) == "0.1.0"
    })
    .await;

    // Release 0.2.0, the same program, handed over and installed for a trial.
    let good = laptop.sign_binary(&kiosk_binary, "0.2.0", "0.1.0").await;
    disk.inbox()
        .hand_over(&std::fs::read(&good).expect("bundle"))
        .expect("hand over");
    let out = disk.updater(&[], &["run"]).await;
    assert!(
        out.ok && out.stderr.contains("installed for a trial"),
        "{}",
        out.stderr
    );
    // The updater restarts the kiosk unit.
    assert_eq!(unit.start().await, Version::new(0, 2, 0));
    tests::sim_kiosk::eventually("0.2.0 reached the hub and confirmed itself", || {
        app_version(&hub) == "0.2.0"
            && update(&hub)
                .is_some_and(|u| u.version == "0.2.0" && u.state == Some(UpdateState::Installed))
    })
    .await;
    assert_eq!(disk.inbox().confirmed(), Some(Version::new(0, 2, 0)));
    assert_eq!(
        disk.inbox().progress(),
        Some((Version::new(0, 2, 0), Progress::ReachedHub)),
        "it recorded how far it got"
    );
    let out = disk.updater(&[], &["run"]).await;
    assert!(
        out.ok && out.stderr.contains("0.2.0 confirmed and kept"),
        "{}",
        out.stderr
    );

    // Release 0.3.0 exits at once.
    let crashing = laptop.dir.path().join("crashing-kiosk");
    std::fs::write(
        &crashing,
        b"#!/bin/sh\necho 'nabij-kiosk 0.3.0: cannot start' >&2\nexit 1\n",
    )
    .expect("write");
    std::fs::set_permissions(
        &crashing,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("mode");
    let bad = laptop.sign_binary(&crashing, "0.3.0", "0.1.0").await;
    disk.inbox()
        .hand_over(&std::fs::read(&bad).expect("bundle"))
        .expect("hand over");
    let out = disk.updater(&[], &["run"]).await;
    assert!(out.ok, "{}", out.stderr);
    // Restart=always: the unit starts it again each time it stops.
    for start in 1..=3 {
        assert_eq!(unit.start().await, Version::new(0, 3, 0), "start {start}");
        assert!(!unit.exited().await.success());
    }
    // The fourth start: boot went back to 0.2.0, which runs again and says why.
    assert_eq!(unit.start().await, Version::new(0, 2, 0));
    let reason = "version 0.3.0 stopped 3 times and never started";
    tests::sim_kiosk::eventually("0.2.0 runs again and reports the rollback", || {
        update(&hub).is_some_and(|u| {
            u.version == "0.3.0"
                && u.state == Some(UpdateState::RolledBack)
                && u.reason.as_deref() == Some(reason)
        })
    })
    .await;
    assert_eq!(app_version(&hub), "0.2.0");
    let last = disk.view().state.last.expect("an outcome");
    assert_eq!(
        (last.state, last.reason.as_deref()),
        (OutcomeState::RolledBack, Some(reason))
    );
    unit.stop().await;
}
