//! `nabij-kiosk-updater`: the small root unit that installs a signed kiosk update into the
//! other slot, switches to it for a trial, keeps it once the kiosk confirms it, and rolls
//! back by itself when it does not (see `nabij_update::slots`).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use nabij_update::inbox::Inbox;
use nabij_update::manifest::this_arch;
use nabij_update::slots::{Checked, RealFs, SlotError, Slots, Step};
use nabij_update::{Bundle, PublicKey, Version};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "nabij-kiosk-updater", version, about)]
struct Cli {
    /// The updater's folder: the slots, `current` and `state.json`.
    #[arg(long, default_value = "/var/lib/nabij-kiosk-updater")]
    root: PathBuf,
    /// The kiosk's hand-over folder.
    #[arg(long, default_value = "/var/lib/nabij-kiosk/update")]
    inbox: PathBuf,
    /// The kiosk settings file, whose `update_key` is the only key trusted.
    #[arg(long, default_value = "/etc/nabij/kiosk-settings.toml")]
    settings: PathBuf,
    /// How long a new version has to confirm itself.
    #[arg(long, default_value_t = 5)]
    trial_minutes: u64,
    /// Do not restart the kiosk unit after a switch (tests).
    #[arg(long)]
    no_restart: bool,
    /// Act as if this many seconds later (tests: a trial's time running out).
    #[arg(long, hide = true, default_value_t = 0)]
    clock_offset_secs: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Before the kiosk starts: finish what a stop left half done, adopt the package's
    /// binary when it is newer than the slots', roll back a trial whose time is up or
    /// whose version was started three times without confirming itself.
    Boot {
        /// The binary the package installed.
        #[arg(long, default_value = "/usr/bin/nabij-kiosk")]
        package_binary: PathBuf,
        /// Its version (the package's); by default what `<binary> --version` says.
        #[arg(long)]
        package_version: Option<Version>,
    },
    /// Install what the kiosk handed over, then keep or roll back a trial.
    Run,
    /// The slots and the last outcome, as JSON.
    Status,
}

#[derive(serde::Deserialize)]
struct Settings {
    hub: HubPart,
}

#[derive(serde::Deserialize)]
struct HubPart {
    update_key: Option<String>,
}

fn trusted_key(path: &PathBuf) -> Result<PublicKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the kiosk settings {}", path.display()))?;
    let settings: Settings = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid kiosk settings file", path.display()))?;
    let Some(key) = settings.hub.update_key else {
        bail!(
            "{} has no update_key: make it again with `nabij-hub kiosk-settings` on a hub that has an update key",
            path.display()
        );
    };
    Ok(key.parse()?)
}

fn wall_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What `binary --version` says (clap's `nabij-kiosk 0.2.0`).
fn version_of(binary: &PathBuf) -> Result<Version> {
    let output = std::process::Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {} --version", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let word = text.split_whitespace().last().unwrap_or_default();
    word.parse().with_context(|| {
        format!(
            "{} --version says {:?}; give --package-version",
            binary.display(),
            text.trim()
        )
    })
}

fn restart_kiosk(cli: &Cli) -> Result<()> {
    if cli.no_restart {
        return Ok(());
    }
    let status = std::process::Command::new("systemctl")
        .args(["restart", "--no-block", "nabij-kiosk.service"])
        .status()
        .context("cannot run systemctl to restart the kiosk")?;
    if !status.success() {
        bail!("systemctl could not restart nabij-kiosk.service ({status})");
    }
    Ok(())
}

/// Stopped at a step on purpose (`NABIJ_UPDATER_STOP_AT`): die as `kill -9` would, with
/// nothing cleaned up.
fn or_die<T>(outcome: Result<T, SlotError>) -> Result<T, SlotError> {
    if let Err(SlotError::Stopped(_)) = &outcome {
        std::process::abort();
    }
    outcome
}

fn run(cli: &Cli) -> Result<()> {
    let stop_at = std::env::var("NABIJ_UPDATER_STOP_AT")
        .ok()
        .and_then(|name| Step::ALL.into_iter().find(|s| s.name() == name));
    std::fs::create_dir_all(&cli.root)
        .with_context(|| format!("cannot make {}", cli.root.display()))?;
    let slots = Slots::new(RealFs::new(&cli.root)).stop_at(stop_at);
    let trial_secs = cli.trial_minutes * 60;
    let inbox = Inbox::new(&cli.inbox);
    let now = || wall_clock() + cli.clock_offset_secs;
    let mut restart = false;
    match &cli.command {
        Command::Status => {
            let state = slots.state()?;
            let running = slots.running().ok();
            let out = serde_json::json!({
                "running": running.map(|(slot, info)| serde_json::json!({"slot": slot, "release": info})),
                "state": state,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            return Ok(());
        }
        Command::Boot {
            package_binary,
            package_version,
        } => {
            let binary = std::fs::read(package_binary)
                .with_context(|| format!("cannot read {}", package_binary.display()))?;
            let package_version = match package_version {
                Some(version) => *version,
                None => version_of(package_binary)?,
            };
            let package_version = &package_version;
            if or_die(slots.adopt(&binary, *package_version, now(), trial_secs))? {
                eprintln!("nabij-kiosk-updater: the package's kiosk {package_version} is in place");
            }
        }
        Command::Run => {
            if let Some(bytes) = inbox.request()? {
                let key = trusted_key(&cli.settings)?;
                inbox.clear_trial_notes();
                let installed = Bundle::parse(&bytes)
                    .map_err(SlotError::from)
                    .and_then(|bundle| {
                        slots.install(&bundle, &key, this_arch(), now(), trial_secs)
                    });
                let installed = or_die(installed);
                if !matches!(installed, Err(SlotError::Io(_))) {
                    // Installed or refused for good; a disk that failed is tried again.
                    inbox.done_with_request()?;
                }
                match installed {
                    Ok(trial) => {
                        eprintln!(
                            "nabij-kiosk-updater: {} installed for a trial over {}",
                            trial.version, trial.from_version
                        );
                        restart = true;
                    }
                    Err(refused) => eprintln!("nabij-kiosk-updater: refused: {refused}"),
                }
            }
        }
    }
    let notes = inbox.notes();
    let mut checked = or_die(slots.check(now(), trial_secs, inbox.confirmed(), &notes))?;
    if matches!(cli.command, Command::Boot { .. })
        && matches!(checked, Checked::OnTrial(_) | Checked::Idle)
    {
        // The kiosk unit starts the kiosk next: count the start of a version on trial,
        // and go back to the previous one after it was started too often unconfirmed.
        checked = or_die(slots.starting(now(), &notes))?;
    }
    match checked {
        Checked::Kept(version) => {
            eprintln!("nabij-kiosk-updater: {version} confirmed and kept");
            inbox.clear_trial_notes();
        }
        Checked::RolledBack(reason) => {
            eprintln!("nabij-kiosk-updater: rolled back: {reason}");
            inbox.clear_trial_notes();
            restart = !matches!(cli.command, Command::Boot { .. });
        }
        Checked::OnTrial(_) | Checked::Idle => {}
    }
    if restart {
        restart_kiosk(cli)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nabij-kiosk-updater: {e:#}");
            ExitCode::FAILURE
        }
    }
}
