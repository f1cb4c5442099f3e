//! The command line.

use crate::platform::profile::Profile;
use crate::state::Screen;
use crate::words::Language;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use nabij_protocol::DeviceId;
use std::path::PathBuf;

/// The Nabij kiosk: the tablet app seniors use.
#[derive(Debug, Parser)]
#[command(name = "nabij-kiosk", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The kiosk's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kiosk: a window on a desktop (winit), or full screen on a tablet (linuxkms).
    Run {
        /// The firmware profile of this tablet.
        #[arg(long, default_value = "firmware-profiles/desktop.toml")]
        profile: PathBuf,
        /// The language until the hub sets one: nl, fr or en.
        #[arg(long, default_value = "nl")]
        lang: String,
        /// The kiosk settings from `nabij-hub kiosk-settings` (hub address, CA, pairing).
        /// Without them the kiosk shows sample data and reaches no hub.
        #[arg(long, value_name = "FILE")]
        hub_settings: Option<PathBuf>,
        /// Where the tablet keeps its identity, messages and outbox
        /// (default: $STATE_DIRECTORY under systemd, else ~/.local/share/nabij-kiosk).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Render screens with sample data to PNG, without a display.
    Render {
        /// The firmware profile (a file in firmware-profiles/).
        #[arg(long, default_value = "firmware-profiles/desktop.toml")]
        profile: PathBuf,
        /// The screen to render (see --list): a screen's name, or a sample state's such
        /// as coach-wifi-wrong-password.
        #[arg(long)]
        screen: Option<String>,
        /// The language: nl, fr or en.
        #[arg(long, default_value = "nl")]
        lang: String,
        /// Text size in percent (100–150), as a coach can set it.
        #[arg(long, default_value_t = 100)]
        text_scale: u8,
        /// Where to write the PNG (with --screen).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Render every screen in every language into --out-dir.
        #[arg(long)]
        all: bool,
        /// The folder for --all.
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// List the screen names and stop.
        #[arg(long)]
        list: bool,
    },
    /// Check the tablet's sound for a coach: play the chime, record a few seconds, play
    /// them back, and report what went through (frames and level).
    SoundCheck {
        /// The firmware profile (its ALSA devices are used).
        #[arg(long, default_value = "firmware-profiles/desktop.toml")]
        profile: PathBuf,
        /// How many seconds to record.
        #[arg(long, default_value_t = 2)]
        record_seconds: u32,
    },
    /// List the MQTT topics an enrolled tablet uses, with direction, QoS and retain flag.
    Topics {
        /// The tablet's device id, e.g. d-7f3a9c2e.
        #[arg(long, value_parser = parse_device_id)]
        device: DeviceId,
    },
}

fn parse_device_id(text: &str) -> Result<DeviceId, String> {
    DeviceId::parse(text).map_err(|e| e.to_string())
}

/// Where a kiosk keeps its data when not told: systemd's state directory, else the
/// user's data folder.
fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("no --data-dir given and HOME is not set: say where the kiosk keeps its data with --data-dir DIR")?;
    Ok(PathBuf::from(home).join(".local/share/nabij-kiosk"))
}

/// What `render` draws: each screen's sample, then the sample states that are not one
/// screen's own (how joining a Wi-Fi network ended, …).
fn render_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Screen::ALL.iter().map(|s| s.name()).collect();
    names.extend(crate::sample::variant_names());
    names
}

fn screen_names() -> String {
    render_names().join(", ")
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run {
            profile,
            lang,
            hub_settings,
            data_dir,
        } => {
            let profile = Profile::load(&profile)?;
            let Some(lang) = Language::parse(&lang) else {
                bail!("--lang must be nl, fr or en, not {lang:?}");
            };
            let hub = match hub_settings {
                Some(path) => {
                    let settings = crate::live::hub_settings::HubSettings::load(&path)?;
                    let dir = match data_dir {
                        Some(dir) => dir,
                        None => default_data_dir()?,
                    };
                    Some((settings, dir))
                }
                None => None,
            };
            crate::platform::run::run(&profile, lang, hub)
        }
        Command::SoundCheck {
            profile,
            record_seconds,
        } => {
            let profile = Profile::load(&profile)?;
            crate::audio::check::run(&profile, record_seconds)
        }
        Command::Topics { device } => {
            for line in crate::link::topics::describe(&device) {
                println!("{line}");
            }
            Ok(())
        }
        Command::Render {
            profile,
            screen,
            lang,
            text_scale,
            out,
            all,
            out_dir,
            list,
        } => {
            if list {
                for name in render_names() {
                    println!("{name}");
                }
                return Ok(());
            }
            if !(100..=150).contains(&text_scale) {
                bail!("--text-scale must be 100 to 150 (percent), not {text_scale}");
            }
            let profile = Profile::load(&profile)?;
            if all {
                let dir = out_dir.context("--all needs --out-dir DIR")?;
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                let names = render_names();
                let total = names.len() * Language::ALL.len();
                let mut done = 0;
                for lang in Language::ALL {
                    for name in &names {
                        let path = dir.join(format!("{}-{name}-{}.png", profile.name, lang.code()));
                        let state = crate::sample::named(name, lang)
                            .with_context(|| format!("no sample state {name}"))?;
                        let (_app, picture) =
                            crate::platform::render::render_state(&profile, state, text_scale)?;
                        crate::platform::headless::write_png(&picture, &path)?;
                        done += 1;
                        eprintln!("[{done}/{total}] {}", path.display());
                    }
                }
                return Ok(());
            }
            let name = screen.context(format!(
                "name a screen with --screen (one of: {}), or use --all or --list",
                screen_names()
            ))?;
            let Some(lang) = Language::parse(&lang) else {
                bail!("--lang must be nl, fr or en, not {lang:?}");
            };
            let Some(state) = crate::sample::named(&name, lang) else {
                bail!(
                    "there is no screen {name:?}; the screens are: {}",
                    screen_names()
                );
            };
            let out = out.context("say where the PNG goes with --out FILE")?;
            let (_app, picture) =
                crate::platform::render::render_state(&profile, state, text_scale)?;
            crate::platform::headless::write_png(&picture, &out)?;
            println!("{}", out.display());
            Ok(())
        }
    }
}
