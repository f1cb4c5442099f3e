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
    (
        "xvfb",
        "a display for the end-to-end test that starts real kiosk versions from their slots",
    ),
    (
        "binutils",
        "strip, which makes the debug kiosk small enough to be an update in that test",
    ),
    (
        "nodejs",
        "runs the tablet's polkit rule (JavaScript) to check whom it lets join Wi-Fi",
    ),
    (
        "shellcheck",
        "checks the tablet's scripts (deploy/tablet) and the packages' maintainer scripts",
    ),
    (
        "systemd",
        "systemd-analyze verifies every unit; systemd-sysusers and systemd-tmpfiles make the packages' users and folders in a throw-away root",
    ),
    (
        "dpkg-dev",
        "dpkg-shlibdeps: the libraries of the packaged hub, for its Depends",
    ),
    (
        "gcc-aarch64-linux-gnu",
        "the C cross compiler for the arm64 check of the hub (ring's C code)",
    ),
];

/// What `cargo xtask package` needs besides [`PACKAGES`]: the Debian tools and the
/// libraries of the kiosk's linuxkms backend (full screen with no desktop).
pub const PACKAGING: &[(&str, &str)] = &[
    (
        "dpkg-dev",
        "dpkg-shlibdeps: which packages each packaged program's libraries are in",
    ),
    (
        "libudev-dev",
        "the kiosk's linuxkms backend: finding the screen and the touch panel",
    ),
    (
        "libseat-dev",
        "the kiosk's linuxkms backend: the seat (screen and input) from logind",
    ),
    ("libinput-dev", "the kiosk's linuxkms backend: touch input"),
    (
        "libgbm-dev",
        "the kiosk's linuxkms backend: buffers on the screen",
    ),
    (
        "libxkbcommon-dev",
        "the kiosk's linuxkms backend: keyboard maps",
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

/// Whether Rust's standard library for a target is here to build with.
#[derive(Debug, PartialEq, Eq)]
pub enum RustTarget {
    /// It is installed (or rustup just added it).
    Ready,
    /// It is missing and could not be added; why, in rustup's words where it gave some.
    Unavailable(String),
}

/// How long `rustup target add` may take: on a machine whose network does not reach
/// static.rust-lang.org it can otherwise wait on its retries for a long time.
const RUSTUP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(300);

/// Rust's standard library for `target`: found in the toolchain, else added with rustup.
/// Never an error: a machine that cannot download it (CI that reaches only package
/// registries) gets [`RustTarget::Unavailable`] with the reason, and the caller decides.
pub fn rust_target(target: &str) -> RustTarget {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    rust_target_with(target, &rustc, "rustup")
}

fn rust_target_with(target: &str, rustc: &str, rustup: &str) -> RustTarget {
    if has_standard_library(rustc, target) {
        return RustTarget::Ready;
    }
    println!("$ {rustup} target add {target}");
    let child = Command::new(rustup)
        .args(["target", "add", target])
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return RustTarget::Unavailable(format!("rustup cannot be started ({e})")),
    };
    // Its words are passed on as they come, and kept for the reason.
    let said = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut lines = Vec::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                eprintln!("{line}");
                lines.push(line);
            }
            lines
        })
    });
    let deadline = std::time::Instant::now() + RUSTUP_PATIENCE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let lines = said.and_then(|t| t.join().ok()).unwrap_or_default();
    let Some(status) = status else {
        return RustTarget::Unavailable(format!(
            "`rustup target add {target}` did not finish in {} minutes",
            RUSTUP_PATIENCE.as_secs() / 60
        ));
    };
    if status.success() && has_standard_library(rustc, target) {
        return RustTarget::Ready;
    }
    // rustup's own reason: its last error line ("could not download file from …").
    let reason = lines
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .or_else(|| lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty()))
        .map(str::trim);
    RustTarget::Unavailable(match (status.success(), reason) {
        (true, _) => {
            format!("rustup said it added {target}, but {rustc} has no standard library for it")
        }
        (false, Some(reason)) => format!("rustup could not add it ({reason})"),
        (false, None) => format!("rustup could not add it ({status})"),
    })
}

/// Whether the toolchain `rustc` belongs to has the standard library for `target`.
fn has_standard_library(rustc: &str, target: &str) -> bool {
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    out.status.success()
        && std::fs::read_dir(
            std::path::Path::new(&sysroot).join(format!("lib/rustlib/{target}/lib")),
        )
        .is_ok_and(|mut entries| entries.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for rustup that says `words` on stderr and exits with `code`.
    fn fake_rustup(dir: &std::path::Path, words: &str, code: i32) -> String {
        let path = dir.join("rustup");
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho '{words}' >&2\nexit {code}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("nabij-xtask-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_installed_target_is_ready_without_asking_rustup() {
        // The host's own standard library is always there; rustup is never started.
        let host = String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .unwrap();
        assert_eq!(
            rust_target_with(&host, "rustc", "/nonexistent/rustup"),
            RustTarget::Ready
        );
    }

    #[test]
    fn a_target_rustup_cannot_download_is_unavailable_with_rustups_reason() {
        let dir = scratch("rustup-offline");
        let rustup = fake_rustup(
            &dir,
            "error: could not download file from \"https://static.rust-lang.org/dist/channel-rust-stable.toml.sha256\"",
            1,
        );
        let RustTarget::Unavailable(why) = rust_target_with("nabij-nowhere", "rustc", &rustup)
        else {
            panic!("a missing target rustup could not add is not ready");
        };
        assert!(
            why.starts_with("rustup could not add it (could not download file from"),
            "{why}"
        );
        // rustup missing altogether is a reason too, not an error.
        let RustTarget::Unavailable(why) =
            rust_target_with("nabij-nowhere", "rustc", "/nonexistent/rustup")
        else {
            panic!("no rustup, no target");
        };
        assert!(why.contains("rustup cannot be started"), "{why}");
        // A rustup that claims success but adds nothing does not make it ready.
        let rustup = fake_rustup(&dir, "info: component rust-std is up to date", 0);
        let RustTarget::Unavailable(why) = rust_target_with("nabij-nowhere", "rustc", &rustup)
        else {
            panic!("nothing was added");
        };
        assert!(why.contains("has no standard library for it"), "{why}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
