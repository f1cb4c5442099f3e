//! Installing the Debian packages and Rust components the project needs, or saying
//! exactly what to run when this user cannot install them.

use anyhow::{Context, Result, bail};
use std::process::{Command, Stdio};

/// The Debian packages the workspace needs to build and test today. Each entry says why,
/// so the list can shrink as well as grow.
pub const PACKAGES: &[(&str, &str)] = &[
    (
        "mosquitto",
        "the MQTT broker the hub runs and the end-to-end tests start",
    ),
    (
        "pkg-config",
        "finds the C libraries below for the -sys crates",
    ),
    ("libasound2-dev", "ALSA, for the kiosk's sound (cpal)"),
    ("libopus-dev", "the Opus codec for the kiosk's voice notes"),
    (
        "espeak-ng",
        "the kiosk's read-aloud (Voorlezen): local speech in Dutch, French and English, no network; its tests speak through it",
    ),
    (
        "libfontconfig1-dev",
        "font lookup for the kiosk's Slint renderer",
    ),
];

/// What only the tests need: a real browser for the dashboard's end-to-end test.
pub const TEST_PACKAGES: &[(&str, &str)] = &[
    (
        "chromium",
        "the browser the dashboard's end-to-end test drives",
    ),
    (
        "chromium-driver",
        "WebDriver for that browser (chromedriver), which the test talks to",
    ),
    (
        "unzip",
        "checks the participant export's zip files as people will open them",
    ),
    (
        "openssl",
        "offers the broker and the dashboard old TLS suites, which they must refuse",
    ),
    (
        "python3-dbusmock",
        "plays NetworkManager's D-Bus API (its networkmanager template) for the kiosk's Wi-Fi tests",
    ),
    (
        "dbus-daemon",
        "the private D-Bus the Wi-Fi tests run that mock on",
    ),
];

/// What a kiosk *window* needs at run time on a desktop (winit loads them itself).
pub const WINDOW_PACKAGES: &[(&str, &str)] = &[
    (
        "libxkbcommon-x11-0",
        "keyboard handling for the kiosk window (winit on X11)",
    ),
    ("libxcursor1", "the mouse pointer in the kiosk window"),
];

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn can_sudo() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs the missing packages with apt-get (as root, or with passwordless sudo);
/// otherwise stops with the exact command to run.
pub fn ensure_packages(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !is_installed(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("apt-get install -y {}", missing.join(" "));
    let why: Vec<String> = packages
        .iter()
        .filter(|(name, _)| missing.contains(name))
        .map(|(name, why)| format!("  {name}: {why}"))
        .collect();
    println!("Installing missing system packages:\n{}", why.join("\n"));
    let prefix: &[&str] = if is_root() {
        &[]
    } else if can_sudo() {
        &["sudo", "-n"]
    } else {
        bail!(
            "these system packages are missing:\n{}\nInstall them as root, then run this again:\n  \
             sudo apt-get update && sudo {line}",
            why.join("\n")
        );
    };
    let apt = |args: &[&str]| -> Result<()> {
        let mut full: Vec<&str> = prefix.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let status = Command::new(full[0])
            .args(&full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("cannot run {}", full.join(" ")))?;
        if !status.success() {
            bail!(
                "`{}` failed ({status}); run `apt-get update && {line}` by hand",
                full.join(" ")
            );
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}

/// Adds rustup components (rustfmt, clippy) when they are missing.
pub fn ensure_rust_components(components: &[&str]) -> Result<()> {
    for component in components {
        let tool = if *component == "clippy" {
            "cargo-clippy"
        } else {
            *component
        };
        let present = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !present {
            let status = Command::new("rustup")
                .args(["component", "add", component])
                .status()
                .with_context(|| format!("{component} is missing and rustup is not available"))?;
            if !status.success() {
                bail!("{component} is missing: run `rustup component add {component}`");
            }
        }
    }
    Ok(())
}
