//! `cargo xtask package`: the Debian packages an IT person installs, made with `dpkg-deb`
//! (no packaging tool to install): `nabij-hub` (the hub, its systemd units, the nightly
//! backup timer, a `nabij` system user, its folders, `/etc/nabij/hub.toml`) and
//! `nabij-kiosk` (the full-screen tablet app, built with the linuxkms backend, its unit,
//! a `nabij-kiosk` user, the firmware profiles and the tablet's own units from
//! `deploy/tablet/`).
//!
//! Users and folders are declared, not scripted: `sysusers.d` and `tmpfiles.d` files
//! that the maintainer scripts apply with `systemd-sysusers` and `systemd-tmpfiles`.
//! The test applies the very same files to a throw-away root (`--root`), so it checks
//! the owners and modes an installed system gets.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Debian architecture the packages are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// This machine (x86-64 PCs and servers).
    Amd64,
    /// 64-bit ARM: the tablets (PineTab2, Raspberry Pi) and ARM servers.
    Arm64,
}

impl Arch {
    /// The name Debian gives it.
    pub fn deb(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// Reads `amd64` or `arm64`.
    pub fn parse(text: &str) -> Result<Arch> {
        match text {
            "amd64" | "x86_64" => Ok(Arch::Amd64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            other => bail!("unknown architecture {other:?}: say amd64 or arm64"),
        }
    }
}

/// One file in a package.
#[derive(Debug, Clone)]
pub struct Item {
    /// Where it is installed (absolute).
    pub path: String,
    /// Its mode.
    pub mode: u32,
    /// Its contents.
    pub contents: Vec<u8>,
}

/// A binary package, ready for `dpkg-deb`.
#[derive(Debug, Clone)]
pub struct Package {
    /// The package name.
    pub name: &'static str,
    /// Its version (the workspace's).
    pub version: String,
    /// Its architecture.
    pub arch: Arch,
    /// What it needs installed (the binary's libraries are added by `dpkg-shlibdeps`).
    pub depends: Vec<String>,
    /// The summary line, then the long description.
    pub description: &'static str,
    /// Its files.
    pub items: Vec<Item>,
    /// Files under /etc that dpkg keeps when the admin changed them.
    pub conffiles: Vec<String>,
    /// Maintainer scripts: (postinst, prerm, postrm) by name.
    pub scripts: Vec<(&'static str, String)>,
}

fn read(root: &Path, relative: &str) -> Result<Vec<u8>> {
    let path = root.join(relative);
    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
}

fn item(path: &str, mode: u32, contents: Vec<u8>) -> Item {
    Item {
        path: path.to_owned(),
        mode,
        contents,
    }
}

/// The version every crate of the workspace has.
pub fn workspace_version(root: &Path) -> Result<String> {
    let manifest = String::from_utf8(read(root, "Cargo.toml")?)?;
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[workspace.package]";
        } else if in_package && let Some(value) = line.strip_prefix("version") {
            let value = value.trim_start().trim_start_matches('=').trim();
            return Ok(value.trim_matches('"').to_owned());
        }
    }
    bail!("no version in [workspace.package] of Cargo.toml")
}

const COPYRIGHT: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Nabij
Comment: Nabij helps socially isolated seniors stay in touch: tablets on loan, a hub in
 the neighbourhood centre.

Files: *
Copyright: the Nabij contributors
License: GPL-3.0-or-later
 On Debian systems the full text of the GNU General Public License version 3 is in
 /usr/share/common-licenses/GPL-3.
";

/// The maintainer scripts: the postinst makes the user and folders and enables and
/// (re)starts `enable`, the prerm stops them, as debhelper's snippets do (an admin's
/// `systemctl disable` survives an upgrade).
fn maintainer_scripts(what: &str, sysusers: &str, enable: &[&str]) -> Vec<(&'static str, String)> {
    let units = enable.join(" ");
    // One block per unit, as debhelper writes them (no loop: shellcheck rightly asks why
    // a loop over one word).
    let enabling: String = enable
        .iter()
        .map(|unit| {
            format!(
                r#"    deb-systemd-helper unmask '{unit}' >/dev/null || true
    if deb-systemd-helper --quiet was-enabled '{unit}'; then
        deb-systemd-helper enable '{unit}' >/dev/null || true
    else
        deb-systemd-helper update-state '{unit}' >/dev/null || true
    fi
"#
            )
        })
        .collect();
    let starting: String = enable
        .iter()
        .map(|unit| format!("        deb-systemd-invoke restart '{unit}' >/dev/null || true\n"))
        .collect();
    let postinst = format!(
        r#"#!/bin/sh
# {what}: the system user and its folders (declared in sysusers.d and tmpfiles.d),
# then the systemd units, enabled and (re)started.
set -e

if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
    systemd-sysusers {sysusers}.conf
    systemd-tmpfiles --create {sysusers}.conf
{enabling}    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
{starting}    fi
fi

exit 0
"#
    );
    let reversed: Vec<&str> = enable.iter().rev().copied().collect();
    let prerm = format!(
        r#"#!/bin/sh
# {what}: stop its units before its files go.
set -e

if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    deb-systemd-invoke stop {stop} >/dev/null || true
fi

exit 0
"#,
        stop = reversed.join(" ")
    );
    let postrm = format!(
        r#"#!/bin/sh
# {what}: forget its units. The user and the data folder stay, also on purge: they
# hold the participants' data, which only a person decides to delete.
set -e

if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = remove ]; then
    deb-systemd-helper mask {units} >/dev/null || true
fi
if [ "$1" = purge ]; then
    deb-systemd-helper purge {units} >/dev/null || true
    deb-systemd-helper unmask {units} >/dev/null || true
fi

exit 0
"#
    );
    vec![("postinst", postinst), ("prerm", prerm), ("postrm", postrm)]
}

/// The hub's package around `binary`.
pub fn hub(root: &Path, binary: &Path, arch: Arch) -> Result<Package> {
    let binary = std::fs::read(binary)
        .with_context(|| format!("cannot read the hub binary {}", binary.display()))?;
    let example = String::from_utf8(read(root, "deploy/hub.toml.example")?)?;
    // The packaged settings say where the packaged hub keeps its data (the unit passes
    // --data-dir too, which wins).
    let settings = example.replace(
        "data_dir = \"nabij-hub-data\"",
        "data_dir = \"/var/lib/nabij-hub\"",
    );
    let mut items = vec![
        item("/usr/bin/nabij-hub", 0o755, binary),
        item("/etc/nabij/hub.toml", 0o640, settings.into_bytes()),
        item(
            "/usr/lib/sysusers.d/nabij-hub.conf",
            0o644,
            b"# The hub's own user; its managed Mosquitto runs as it too.\n\
              u nabij - \"Nabij hub\" /var/lib/nabij-hub /usr/sbin/nologin\n"
                .to_vec(),
        ),
        item(
            "/usr/lib/tmpfiles.d/nabij-hub.conf",
            0o644,
            b"# The hub's data (database, certificates, broker files) and its nightly backups:\n\
              # the nabij user's alone. Its settings: readable by it, written by root.\n\
              d /var/lib/nabij-hub 0700 nabij nabij -\n\
              d /var/backups/nabij-hub 0700 nabij nabij -\n\
              d /etc/nabij 0755 root root -\n\
              z /etc/nabij/hub.toml 0640 root nabij -\n"
                .to_vec(),
        ),
        item(
            "/usr/share/doc/nabij-hub/copyright",
            0o644,
            COPYRIGHT.as_bytes().to_vec(),
        ),
        item(
            "/usr/share/doc/nabij-hub/README.Debian",
            0o644,
            read(root, "deploy/README.Debian")?,
        ),
        item(
            "/usr/share/doc/nabij-hub/examples/mosquitto-nabij.conf",
            0o644,
            read(root, "deploy/mosquitto/nabij.conf")?,
        ),
    ];
    // The hub, and its nightly backup (`nabij-hub backup`, written by the running hub).
    let units = [
        "nabij-hub.service",
        "nabij-hub-backup.service",
        "nabij-hub-backup.timer",
    ];
    for unit in &units {
        items.push(item(
            &format!("/usr/lib/systemd/system/{unit}"),
            0o644,
            read(root, &format!("deploy/systemd/{unit}"))?,
        ));
    }
    let enable: Vec<&str> = units
        .iter()
        .copied()
        .filter(|u| *u != "nabij-hub-backup.service")
        .collect();
    Ok(Package {
        name: "nabij-hub",
        version: workspace_version(root)?,
        arch,
        depends: vec!["mosquitto (>= 2.0)".into(), "systemd".into()],
        description: "Nabij hub: the neighbourhood centre's service for seniors' tablets\n\
            The hub keeps the participants, groups, meetings and messages of a Nabij\n\
            project, runs its own Mosquitto broker (TLS) that the tablets talk to, and\n\
            serves the coaches' dashboard over HTTPS. A backup is written every night.",
        items,
        conffiles: vec!["/etc/nabij/hub.toml".into()],
        scripts: maintainer_scripts("nabij-hub", "nabij-hub", &enable),
    })
}

/// The kiosk's package around `binary` (a linuxkms build) and `updater` (the root unit
/// that installs signed kiosk updates into the slots the kiosk runs from).
pub fn kiosk(root: &Path, binary: &Path, updater: &Path, arch: Arch) -> Result<Package> {
    let binary = std::fs::read(binary)
        .with_context(|| format!("cannot read the kiosk binary {}", binary.display()))?;
    let updater = std::fs::read(updater)
        .with_context(|| format!("cannot read the updater binary {}", updater.display()))?;
    let mut items = vec![
        item("/usr/bin/nabij-kiosk", 0o755, binary),
        item("/usr/bin/nabij-kiosk-updater", 0o755, updater),
        item(
            "/usr/lib/systemd/system/nabij-kiosk.service",
            0o644,
            read(root, "deploy/systemd/nabij-kiosk.service")?,
        ),
        item(
            "/usr/lib/sysusers.d/nabij-kiosk.conf",
            0o644,
            b"# The kiosk's own user: it draws on the screen, reads the touch panel, plays\n\
              # and records sound, with no desktop in between.\n\
              u nabij-kiosk - \"Nabij kiosk\" /var/lib/nabij-kiosk /usr/sbin/nologin\n\
              m nabij-kiosk video\n\
              m nabij-kiosk input\n\
              m nabij-kiosk audio\n\
              m nabij-kiosk render\n"
                .to_vec(),
        ),
        item(
            "/usr/lib/tmpfiles.d/nabij-kiosk.conf",
            0o644,
            b"# The tablet's identity, outbox and history: the kiosk's alone. The hub's\n\
              # settings hold the pairing password and the coach PIN.\n\
              d /var/lib/nabij-kiosk 0700 nabij-kiosk nabij-kiosk -\n\
              d /etc/nabij 0755 root root -\n\
              z /etc/nabij/kiosk-settings.toml 0640 root nabij-kiosk -\n"
                .to_vec(),
        ),
        item(
            "/usr/share/doc/nabij-kiosk/copyright",
            0o644,
            COPYRIGHT.as_bytes().to_vec(),
        ),
    ];
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(root.join("firmware-profiles"))
        .context("cannot read firmware-profiles/")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    profiles.sort();
    for profile in profiles {
        let name = profile
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        items.push(item(
            &format!("/usr/share/nabij/firmware-profiles/{name}"),
            0o644,
            std::fs::read(&profile)
                .with_context(|| format!("cannot read {}", profile.display()))?,
        ));
    }
    // The tablet's own chores (deploy/tablet/): a clean shutdown on a low battery, the
    // screen dimmed at night (enabled by setup-tablet.sh, not by the package: a kiosk
    // on a desktop has no battery to watch); and the polkit rule that lets the kiosk
    // join Wi-Fi.
    for (from, to, mode) in TABLET_FILES {
        items.push(item(to, *mode, read(root, from)?));
    }
    // Signed updates: the kiosk runs from the updater's slots (the drop-in), and the
    // updater's path unit and watchdog timer are enabled with the kiosk.
    for (from, to) in UPDATER_UNITS {
        items.push(item(to, 0o644, read(root, from)?));
    }
    Ok(Package {
        name: "nabij-kiosk",
        version: workspace_version(root)?,
        arch,
        depends: vec!["espeak-ng".into(), "systemd".into()],
        description: "Nabij kiosk: the tablet app for seniors, full screen\n\
            The app a senior uses on a Nabij tablet: messages, voice notes and photos\n\
            with their group and coach, the weekly diary question, meeting reminders\n\
            and a help button. It draws on the screen itself (Linux KMS), with no\n\
            desktop, and talks to the neighbourhood centre's hub over TLS.",
        items,
        conffiles: Vec::new(),
        // Started only once a coach put the hub's settings in place (the unit's
        // ConditionPathExists); setup-tablet.sh does.
        scripts: maintainer_scripts(
            "nabij-kiosk",
            "nabij-kiosk",
            &[
                "nabij-kiosk.service",
                "nabij-kiosk-updater.path",
                "nabij-kiosk-updater.timer",
            ],
        ),
    })
}

/// The updater's units in the kiosk package: (source, installed path).
pub const UPDATER_UNITS: &[(&str, &str)] = &[
    (
        "deploy/systemd/nabij-kiosk-updater.service",
        "/usr/lib/systemd/system/nabij-kiosk-updater.service",
    ),
    (
        "deploy/systemd/nabij-kiosk-updater.path",
        "/usr/lib/systemd/system/nabij-kiosk-updater.path",
    ),
    (
        "deploy/systemd/nabij-kiosk-updater.timer",
        "/usr/lib/systemd/system/nabij-kiosk-updater.timer",
    ),
    (
        "deploy/systemd/nabij-kiosk.service.d/slots.conf",
        "/usr/lib/systemd/system/nabij-kiosk.service.d/slots.conf",
    ),
];

/// The tablet's files in the kiosk package: (source, installed path, mode).
pub const TABLET_FILES: &[(&str, &str, u32)] = &[
    (
        "deploy/tablet/battery-guard.sh",
        "/usr/lib/nabij/battery-guard",
        0o755,
    ),
    (
        "deploy/tablet/screen-night.sh",
        "/usr/lib/nabij/screen-night",
        0o755,
    ),
    (
        "deploy/tablet/nabij-battery-guard.service",
        "/usr/lib/systemd/system/nabij-battery-guard.service",
        0o644,
    ),
    (
        "deploy/tablet/nabij-battery-guard.timer",
        "/usr/lib/systemd/system/nabij-battery-guard.timer",
        0o644,
    ),
    (
        "deploy/tablet/nabij-screen-night.service",
        "/usr/lib/systemd/system/nabij-screen-night.service",
        0o644,
    ),
    (
        "deploy/tablet/nabij-screen-night.timer",
        "/usr/lib/systemd/system/nabij-screen-night.timer",
        0o644,
    ),
    // The kiosk (a system service) may scan and join Wi-Fi through NetworkManager, for
    // the coach's Wi-Fi screen.
    (
        "deploy/tablet/50-nabij-kiosk-network.rules",
        POLKIT_RULE,
        0o644,
    ),
];

/// Where the kiosk package puts its polkit rule (polkit reads packages' rules there).
pub const POLKIT_RULE: &str = "/usr/share/polkit-1/rules.d/50-nabij-kiosk-network.rules";

/// What `dpkg-shlibdeps` finds the binary at `path` needs (`libc6 (>= 2.34), …`): the
/// libraries it links, by the packages that hold them on this machine.
fn library_depends(binary: &Path, arch: Arch) -> Result<Vec<String>> {
    let dir = tempfile_dir("shlibdeps")?;
    std::fs::create_dir_all(dir.join("debian"))?;
    std::fs::write(
        dir.join("debian/control"),
        "Source: nabij\n\nPackage: nabij\nArchitecture: any\n",
    )?;
    let out = Command::new("dpkg-shlibdeps")
        .arg("-O")
        .arg(format!("-e{}", binary.display()))
        .current_dir(&dir)
        .env("DEB_HOST_ARCH", arch.deb())
        .output()
        .context("cannot run dpkg-shlibdeps (apt-get install dpkg-dev)")?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        bail!(
            "dpkg-shlibdeps could not tell which packages {} needs: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .unwrap_or_default();
    Ok(line
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// A fresh folder under the system's temporary folder.
pub fn tempfile_dir(what: &str) -> Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "nabij-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    Ok(dir)
}

/// The control file.
fn control(package: &Package, depends: &[String], installed_kib: u64) -> String {
    let (summary, long) = package
        .description
        .split_once('\n')
        .unwrap_or((package.description, ""));
    let long: Vec<String> = long.lines().map(|l| format!(" {}", l.trim())).collect();
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {maintainer}\n\
         Installed-Size: {installed_kib}\nDepends: {depends}\nSection: net\nPriority: optional\n\
         Description: {summary}\n{long}\n",
        name = package.name,
        version = package.version,
        arch = package.arch.deb(),
        maintainer = std::env::var("NABIJ_MAINTAINER")
            .unwrap_or_else(|_| "Nabij maintainers <nabij@localhost>".into()),
        depends = depends.join(", "),
        long = long.join("\n"),
    )
}

/// How hard `dpkg-deb` compresses: xz for packages to hand out, none for the tests'
/// (a debug binary is large, and the test unpacks it at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// xz, as Debian's own packages.
    Xz,
    /// None.
    #[cfg_attr(not(test), expect(dead_code, reason = "only the tests' packages"))]
    None,
}

/// Writes `package` as `<out>/<name>_<version>_<arch>.deb`, every file owned by root
/// with the mode the package says; the library dependencies of its ELF binaries are
/// added by `dpkg-shlibdeps`.
pub fn build(package: &Package, out: &Path, compression: Compression) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let stage = tempfile_dir(&format!("deb-{}", package.name))?;
    let mut installed = 0u64;
    let mut depends = Vec::new();
    for item in &package.items {
        let relative = item.path.trim_start_matches('/');
        let path = stage.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot make {}", parent.display()))?;
        }
        std::fs::write(&path, &item.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(item.mode))?;
        installed += item.contents.len() as u64;
        if item.contents.starts_with(b"\x7fELF") {
            depends.extend(library_depends(&path, package.arch)?);
        }
    }
    depends.extend(package.depends.iter().cloned());
    // Folders as dpkg expects them: 0755.
    for entry in walk(&stage)? {
        if entry.is_dir() {
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    let debian = stage.join("DEBIAN");
    std::fs::create_dir_all(&debian)?;
    std::fs::write(
        debian.join("control"),
        control(package, &depends, installed.div_ceil(1024)),
    )?;
    if !package.conffiles.is_empty() {
        std::fs::write(
            debian.join("conffiles"),
            package.conffiles.join("\n") + "\n",
        )?;
    }
    for (name, text) in &package.scripts {
        let path = debian.join(name);
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::set_permissions(&debian, std::fs::Permissions::from_mode(0o755))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot make {}", out.display()))?;
    let deb = out.join(format!(
        "{}_{}_{}.deb",
        package.name,
        package.version,
        package.arch.deb()
    ));
    let status = Command::new("dpkg-deb")
        .args([
            "--root-owner-group",
            match compression {
                Compression::Xz => "-Zxz",
                Compression::None => "-Znone",
            },
            "--build",
        ])
        .arg(&stage)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run dpkg-deb")?;
    let _ = std::fs::remove_dir_all(&stage);
    if !status.success() {
        bail!("dpkg-deb could not build {} ({status})", deb.display());
    }
    Ok(deb)
}

/// Every path under `dir`, folders included.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    //! The packages as an installed system gets them: built from the debug binaries that
    //! `cargo build --workspace --bins` made (CI builds them before the tests), unpacked
    //! into a throw-away root where the packages' users and folders are made by
    //! `systemd-sysusers` and `systemd-tmpfiles` (what the postinst runs), and every unit
    //! verified by `systemd-analyze` against a Debian system's own units.

    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_path_buf()
    }

    /// A binary cargo built beside this test (target/debug/).
    fn built(name: &str) -> PathBuf {
        let exe = std::env::current_exe().expect("the test's path");
        let path = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/debug")
            .join(name);
        assert!(
            path.exists(),
            "{} is missing: run `cargo build --workspace --bins` first (cargo xtask test does)",
            path.display()
        );
        path
    }

    fn is_root() -> bool {
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    /// `program` as root: directly when this is root, else through passwordless sudo
    /// (making files owned by another user needs it, as installing a package does).
    fn as_root(program: &str) -> Command {
        if is_root() {
            Command::new(program)
        } else {
            let mut command = Command::new("sudo");
            command.args(["-n", program]);
            command
        }
    }

    fn output(command: &mut Command) -> String {
        let out = command.output().expect("the command runs");
        assert!(
            out.status.success(),
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The package unpacked into a throw-away root that has a Debian system's own units,
    /// with its users and folders made as its postinst makes them.
    struct Installed {
        root: PathBuf,
        control: PathBuf,
    }

    impl Drop for Installed {
        fn drop(&mut self) {
            let _ = as_root("rm").arg("-rf").arg(&self.root).status();
        }
    }

    fn install(deb: &Path, sysusers: &str) -> Installed {
        let root = tempfile_dir("root").unwrap();
        std::fs::create_dir_all(root.join("usr/lib/systemd")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        output(
            Command::new("cp")
                .args(["-a", "/usr/lib/systemd/system"])
                .arg(root.join("usr/lib/systemd/")),
        );
        output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root));
        let control = root.join("DEBIAN-control");
        output(Command::new("dpkg-deb").arg("-e").arg(deb).arg(&control));
        let conf = format!("{sysusers}.conf");
        output(
            as_root("systemd-sysusers")
                .arg(format!("--root={}", root.display()))
                .arg(root.join("usr/lib/sysusers.d").join(&conf)),
        );
        output(
            as_root("systemd-tmpfiles")
                .args(["--create", &format!("--root={}", root.display())])
                .arg(root.join("usr/lib/tmpfiles.d").join(&conf)),
        );
        Installed { root, control }
    }

    impl Installed {
        /// (uid, gid, home, shell) of a user in the root's /etc/passwd.
        fn user(&self, name: &str) -> (u32, u32, String, String) {
            let passwd = std::fs::read_to_string(self.root.join("etc/passwd")).unwrap();
            let line = passwd
                .lines()
                .find(|l| l.starts_with(&format!("{name}:")))
                .unwrap_or_else(|| panic!("no user {name} in {passwd}"));
            let f: Vec<&str> = line.split(':').collect();
            (
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[5].to_owned(),
                f[6].to_owned(),
            )
        }

        /// (mode, uid, gid) of a path in the root.
        fn owner(&self, path: &str) -> (u32, u32, u32) {
            let meta = std::fs::metadata(self.root.join(path.trim_start_matches('/')))
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            (meta.mode() & 0o7777, meta.uid(), meta.gid())
        }

        /// `systemd-analyze verify` on each unit, with the programs they start that the
        /// package does not bring (sh, install, find: Debian's essential tools) copied
        /// from this machine. Any word from it fails the test, warnings too.
        fn verify_units(&self, units: &[&str]) {
            for unit in units {
                let path = self.root.join("usr/lib/systemd/system").join(unit);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{unit} is not in the package: {e}"));
                for line in text.lines() {
                    let Some((key, value)) = line.split_once('=') else {
                        continue;
                    };
                    if !key.trim().starts_with("Exec") {
                        continue;
                    }
                    let program = value.trim().trim_start_matches(['-', '@', ':', '+', '!']);
                    let program = program.split_whitespace().next().unwrap_or_default();
                    if !program.starts_with('/') {
                        continue;
                    }
                    let inside = self.root.join(program.trim_start_matches('/'));
                    if !inside.exists() {
                        assert!(
                            Path::new(program).exists(),
                            "{unit} runs {program}, which neither the package nor this Debian system has"
                        );
                        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
                        std::fs::copy(program, &inside).unwrap();
                    }
                }
            }
            let out = Command::new("systemd-analyze")
                .args(["verify", "--man=no"])
                .arg(format!("--root={}", self.root.display()))
                .args(units.iter().map(|u| format!("/usr/lib/systemd/system/{u}")))
                .output()
                .expect("systemd-analyze runs");
            let said = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && said.trim().is_empty(),
                "systemd-analyze verify {units:?}:\n{said}"
            );
        }
    }

    /// The listing of the package's files: path → (mode text, owner).
    fn listing(deb: &Path) -> Vec<(String, String, String)> {
        output(Command::new("dpkg-deb").arg("-c").arg(deb))
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (
                    fields[5].trim_start_matches('.').to_owned(),
                    fields[0].to_owned(),
                    fields[1].to_owned(),
                )
            })
            .collect()
    }

    fn shellcheck(name: &str, text: &str) {
        let dir = tempfile_dir("shellcheck").unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new("shellcheck")
            .args(["--shell=sh", "--severity=style"])
            .arg(&path)
            .output()
            .expect("shellcheck runs (apt-get install shellcheck; cargo xtask test installs it)");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status.success(),
            "shellcheck {name}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[test]
    fn the_hub_package_installs_its_user_folders_settings_and_units() {
        let root = workspace();
        let package = hub(&root, &built("nabij-hub"), Arch::Amd64).unwrap();
        let out = tempfile_dir("debs").unwrap();
        let deb = build(&package, &out, Compression::None).unwrap();
        assert!(deb.ends_with(format!(
            "nabij-hub_{}_amd64.deb",
            workspace_version(&root).unwrap()
        )));

        let field = |name: &str| output(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(name));
        assert_eq!(field("Package").trim(), "nabij-hub");
        assert_eq!(field("Architecture").trim(), "amd64");
        let depends = field("Depends");
        assert!(depends.contains("mosquitto (>= 2.0)"), "{depends}");
        assert!(
            depends.contains("libc6 (>= "),
            "from dpkg-shlibdeps: {depends}"
        );

        let files = listing(&deb);
        for (path, mode) in [
            ("/usr/bin/nabij-hub", "-rwxr-xr-x"),
            ("/etc/nabij/hub.toml", "-rw-r-----"),
            ("/usr/lib/systemd/system/nabij-hub.service", "-rw-r--r--"),
            (
                "/usr/lib/systemd/system/nabij-hub-backup.service",
                "-rw-r--r--",
            ),
            (
                "/usr/lib/systemd/system/nabij-hub-backup.timer",
                "-rw-r--r--",
            ),
            ("/usr/lib/sysusers.d/nabij-hub.conf", "-rw-r--r--"),
            ("/usr/lib/tmpfiles.d/nabij-hub.conf", "-rw-r--r--"),
            ("/usr/share/doc/nabij-hub/copyright", "-rw-r--r--"),
        ] {
            let found = files.iter().find(|(p, _, _)| p == path);
            assert_eq!(
                found.map(|(_, m, o)| (m.as_str(), o.as_str())),
                Some((mode, "root/root")),
                "{path} in {files:?}"
            );
        }

        let installed = install(&deb, "nabij-hub");
        let conffiles = std::fs::read_to_string(installed.control.join("conffiles")).unwrap();
        assert_eq!(conffiles, "/etc/nabij/hub.toml\n");
        for script in ["postinst", "prerm", "postrm"] {
            let path = installed.control.join(script);
            assert_eq!(
                std::fs::metadata(&path).unwrap().mode() & 0o777,
                0o755,
                "{script}"
            );
            shellcheck(script, &std::fs::read_to_string(&path).unwrap());
        }
        let postinst = std::fs::read_to_string(installed.control.join("postinst")).unwrap();
        assert!(postinst.contains("systemd-sysusers nabij-hub.conf"));
        assert!(postinst.contains("systemd-tmpfiles --create nabij-hub.conf"));
        for unit in ["nabij-hub.service", "nabij-hub-backup.timer"] {
            assert!(postinst.contains(&format!("deb-systemd-helper enable '{unit}'")));
            assert!(postinst.contains(&format!("deb-systemd-invoke restart '{unit}'")));
        }

        // The system user, and its folders as the running hub needs them.
        let (uid, gid, home, shell) = installed.user("nabij");
        assert!((1..1000).contains(&uid), "a system user: {uid}");
        assert_eq!(
            (home.as_str(), shell.as_str()),
            ("/var/lib/nabij-hub", "/usr/sbin/nologin")
        );
        assert_eq!(installed.owner("/var/lib/nabij-hub"), (0o700, uid, gid));
        assert_eq!(installed.owner("/var/backups/nabij-hub"), (0o700, uid, gid));
        assert_eq!(installed.owner("/etc/nabij"), (0o755, 0, 0));
        assert_eq!(installed.owner("/etc/nabij/hub.toml"), (0o640, 0, gid));

        // The packaged settings are valid for the packaged hub: it reads them and then
        // only finds no hub running.
        let settings = installed.root.join("etc/nabij/hub.toml");
        let text = std::fs::read_to_string(&settings).unwrap();
        assert!(text.contains("data_dir = \"/var/lib/nabij-hub\""));
        // Where the nightly timer writes is where the hub's health looks for backups.
        assert!(text.contains("backup_folder = \"/var/backups/nabij-hub\""));
        // The ports README.Debian names: tablets, and pairing tablets.
        assert!(text.contains("tls_port = 8883") && text.contains("pairing_port = 8884"));
        let run = Command::new(installed.root.join("usr/bin/nabij-hub"))
            .arg("--config")
            .arg(&settings)
            .arg("--data-dir")
            .arg(installed.root.join("var/lib/nabij-hub"))
            .arg("status")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&run.stderr);
        assert!(said.contains("the hub is not running"), "{said}");

        installed.verify_units(&[
            "nabij-hub.service",
            "nabij-hub-backup.service",
            "nabij-hub-backup.timer",
        ]);
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn the_kiosk_package_has_its_user_profiles_and_the_tablets_units() {
        let root = workspace();
        let package = kiosk(
            &root,
            &built("nabij-kiosk"),
            &built("nabij-kiosk-updater"),
            Arch::Amd64,
        )
        .unwrap();
        let out = tempfile_dir("debs").unwrap();
        let deb = build(&package, &out, Compression::None).unwrap();
        let depends = output(
            Command::new("dpkg-deb")
                .args(["-f"])
                .arg(&deb)
                .arg("Depends"),
        );
        for needed in ["espeak-ng", "libasound2", "libopus0"] {
            assert!(depends.contains(needed), "{needed} in {depends}");
        }
        let files = listing(&deb);
        for profile in ["pinetab2", "rpi-touch-7", "pinetab-a64"] {
            let path = format!("/usr/share/nabij/firmware-profiles/{profile}.toml");
            assert!(files.iter().any(|(p, _, _)| *p == path), "{path}");
        }
        for (_, to, mode) in TABLET_FILES {
            let expected = if *mode == 0o755 {
                "-rwxr-xr-x"
            } else {
                "-rw-r--r--"
            };
            assert!(
                files
                    .iter()
                    .any(|(p, m, o)| p == to && m == expected && o == "root/root"),
                "{to} {expected} in {files:?}"
            );
        }
        let updater_files = UPDATER_UNITS
            .iter()
            .map(|(_, to)| (*to, "-rw-r--r--"))
            .chain([("/usr/bin/nabij-kiosk-updater", "-rwxr-xr-x")]);
        for (path, expected) in updater_files {
            assert!(
                files
                    .iter()
                    .any(|(p, m, o)| p == path && m == expected && o == "root/root"),
                "{path} {expected} in {files:?}"
            );
        }

        let installed = install(&deb, "nabij-kiosk");
        let (uid, gid, home, _) = installed.user("nabij-kiosk");
        assert_eq!(home, "/var/lib/nabij-kiosk");
        assert_eq!(installed.owner("/var/lib/nabij-kiosk"), (0o700, uid, gid));
        let group = std::fs::read_to_string(installed.root.join("etc/group")).unwrap();
        for member_of in ["video", "input", "audio", "render"] {
            assert!(
                group
                    .lines()
                    .any(|l| l.starts_with(&format!("{member_of}:")) && l.contains("nabij-kiosk")),
                "nabij-kiosk in {member_of}: {group}"
            );
        }
        // The unit's default profile is one the package brings.
        let unit = std::fs::read_to_string(
            installed
                .root
                .join("usr/lib/systemd/system/nabij-kiosk.service"),
        )
        .unwrap();
        let default = unit
            .lines()
            .find_map(|l| l.strip_prefix("Environment=NABIJ_PROFILE="))
            .expect("a default profile");
        assert!(
            installed
                .root
                .join(default.trim_start_matches('/'))
                .exists()
        );
        polkit_rule_allows_the_kiosk_wifi_only(
            &installed.root.join(POLKIT_RULE.trim_start_matches('/')),
        );
        for script in ["postinst", "prerm", "postrm"] {
            shellcheck(
                script,
                &std::fs::read_to_string(installed.control.join(script)).unwrap(),
            );
        }
        // The kiosk starts from the updater's `current` slot (the drop-in), which the
        // updater's `boot` fills from /usr/bin/nabij-kiosk before the first start.
        let slot = installed.root.join("var/lib/nabij-kiosk-updater/current");
        std::fs::create_dir_all(&slot).unwrap();
        std::fs::copy(
            installed.root.join("usr/bin/nabij-kiosk"),
            slot.join("nabij-kiosk"),
        )
        .unwrap();
        let postinst = std::fs::read_to_string(installed.control.join("postinst")).unwrap();
        for unit in ["nabij-kiosk-updater.path", "nabij-kiosk-updater.timer"] {
            assert!(
                postinst.contains(&format!("deb-systemd-helper enable '{unit}'")),
                "{unit} enabled by the postinst"
            );
        }
        installed.verify_units(&[
            "nabij-kiosk.service",
            "nabij-kiosk-updater.service",
            "nabij-kiosk-updater.path",
            "nabij-kiosk-updater.timer",
            "nabij-battery-guard.service",
            "nabij-battery-guard.timer",
            "nabij-screen-night.service",
            "nabij-screen-night.timer",
        ]);
        let _ = std::fs::remove_dir_all(&out);
    }

    /// polkit's answer to `user` asking for `action` under the rules file at `rules`
    /// ("yes", "no", "auth_admin", …, or "not handled"), for each (user, action): the
    /// file run by Node.js with a stand-in for polkit's `polkit` object, as polkitd
    /// runs it (the rules in order, the first answer counts).
    fn polkit_answers(rules: &Path, asked: &[(&str, &str)]) -> Vec<String> {
        const RUN: &str = r#"
const rules = [];
const polkit = {
    Result: { YES: "yes", NO: "no", AUTH_SELF: "auth_self", AUTH_SELF_KEEP: "auth_self_keep",
              AUTH_ADMIN: "auth_admin", AUTH_ADMIN_KEEP: "auth_admin_keep", NOT_HANDLED: null },
    addRule: (rule) => rules.push(rule),
    addAdminRule: () => {},
    log: () => {},
    spawn: () => { throw new Error("a rule that runs programs"); },
};
new Function("polkit", require("fs").readFileSync(process.argv[1], "utf8"))(polkit);
const asked = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l !== "");
for (const line of asked) {
    const [user, id] = line.split(" ");
    const subject = { user, groups: [user], pid: 1, seat: "", session: "", local: false,
                      active: false, isInGroup: (g) => g === user, isInNetGroup: () => false };
    const action = { id, lookup: () => undefined };
    let answer = null;
    for (const rule of rules) {
        answer = rule(action, subject);
        if (answer !== null && answer !== undefined) break;
    }
    console.log(answer === null || answer === undefined ? "not handled" : answer);
}
"#;
        let mut child = Command::new("node")
            .arg("-e")
            .arg(RUN)
            .arg(rules)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node runs (apt-get install nodejs; cargo xtask test installs it)");
        let lines: String = asked
            .iter()
            .map(|(user, action)| format!("{user} {action}\n"))
            .collect();
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), lines.as_bytes())
            .expect("the questions written");
        let out = child.wait_with_output().expect("node ends");
        assert!(
            out.status.success(),
            "node on {}: {}",
            rules.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The kiosk's user may scan and join Wi-Fi through NetworkManager (it runs with no
    /// login session, where NetworkManager's own rules would refuse it); no other user
    /// gains anything, nor the kiosk anything else.
    fn polkit_rule_allows_the_kiosk_wifi_only(rules: &Path) {
        let nm = |what: &str| format!("org.freedesktop.NetworkManager.{what}");
        let needed: Vec<String> = [
            "settings.modify.system",
            "network-control",
            "wifi.scan",
            "enable-disable-wifi",
        ]
        .iter()
        .map(|w| nm(w))
        .collect();
        let others = [
            nm("settings.modify.hostname"),
            nm("settings.modify.global-dns"),
            nm("reload"),
            nm("enable-disable-network"),
            "org.freedesktop.login1.reboot".to_owned(),
            "org.freedesktop.systemd1.manage-units".to_owned(),
        ];
        let mut asked: Vec<(&str, &str)> = Vec::new();
        for action in &needed {
            asked.push(("nabij-kiosk", action));
            for user in ["nabij", "pi", "nobody"] {
                asked.push((user, action));
            }
        }
        for action in &others {
            asked.push(("nabij-kiosk", action));
        }
        let answers = polkit_answers(rules, &asked);
        assert_eq!(answers.len(), asked.len(), "{answers:?}");
        for ((user, action), answer) in asked.iter().zip(&answers) {
            let expected = if *user == "nabij-kiosk" && needed.iter().any(|n| n == action) {
                "yes"
            } else {
                "not handled"
            };
            assert_eq!(answer, expected, "{user} asking for {action}");
        }
    }

    #[test]
    fn the_tablets_scripts_pass_shellcheck() {
        let root = workspace();
        for script in ["setup-tablet.sh", "battery-guard.sh", "screen-night.sh"] {
            let text = std::fs::read_to_string(root.join("deploy/tablet").join(script)).unwrap();
            assert!(
                text.starts_with("#!/bin/sh\n"),
                "{script} is a POSIX sh script"
            );
            shellcheck(script, &text);
        }
    }

    /// A power supply in a fake /sys/class/power_supply.
    fn supply(dir: &Path, name: &str, fields: &[(&str, &str)]) {
        let path = dir.join(name);
        std::fs::create_dir_all(&path).unwrap();
        for (field, value) in fields {
            std::fs::write(path.join(field), format!("{value}\n")).unwrap();
        }
    }

    /// What battery-guard does over `supplies`: the command it would run to shut down.
    fn guard(supplies: &Path) -> String {
        output(
            Command::new("sh")
                .arg(workspace().join("deploy/tablet/battery-guard.sh"))
                .env("NABIJ_POWER_SUPPLY", supplies)
                .env("NABIJ_POWEROFF", "echo POWEROFF"),
        )
    }

    #[test]
    fn a_nearly_empty_battery_shuts_the_tablet_down_unless_it_charges() {
        let dir = tempfile_dir("power").unwrap();
        let battery = |capacity: &str, status: &str| {
            supply(
                &dir,
                "cw2015-battery",
                &[
                    ("type", "Battery"),
                    ("capacity", capacity),
                    ("status", status),
                ],
            )
        };
        battery("40", "Discharging");
        assert!(!guard(&dir).contains("POWEROFF"), "40 %: nothing to do");
        battery("4", "Discharging");
        let said = guard(&dir);
        assert!(said.contains("at 4% and discharging"), "{said}");
        assert!(said.trim_end().ends_with("POWEROFF"), "{said}");
        battery("4", "Charging");
        assert!(!guard(&dir).contains("POWEROFF"), "charging");
        battery("3", "Discharging");
        supply(&dir, "usb", &[("type", "USB"), ("online", "1")]);
        assert!(!guard(&dir).contains("POWEROFF"), "on its charger");
        supply(&dir, "usb", &[("type", "USB"), ("online", "0")]);
        assert!(guard(&dir).contains("POWEROFF"), "charger unplugged");
        // A Pi with no battery at all: nothing to watch.
        let none = tempfile_dir("power").unwrap();
        assert_eq!(guard(&none), "");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&none);
    }

    #[test]
    fn the_screen_is_dimmed_at_night_and_its_day_brightness_comes_back_in_the_morning() {
        let dir = tempfile_dir("backlight").unwrap();
        let light = dir.join("lights/backlight");
        std::fs::create_dir_all(&light).unwrap();
        std::fs::write(light.join("max_brightness"), "255\n").unwrap();
        std::fs::write(light.join("brightness"), "178\n").unwrap();
        let at = |hour: &str| {
            output(
                Command::new("sh")
                    .arg(workspace().join("deploy/tablet/screen-night.sh"))
                    .env("NABIJ_BACKLIGHT", dir.join("lights"))
                    .env("NABIJ_STATE", dir.join("state"))
                    .env("NABIJ_HOUR", hour),
            )
        };
        let brightness = || {
            std::fs::read_to_string(light.join("brightness"))
                .unwrap()
                .trim()
                .to_owned()
        };
        at("14");
        assert_eq!(brightness(), "178", "by day nothing changes");
        at("22");
        assert_eq!(brightness(), "25", "10 % of 255 at night");
        at("03");
        assert_eq!(brightness(), "25", "still night, the day's value kept once");
        at("07");
        assert_eq!(brightness(), "178", "the day's brightness back");
        at("08");
        assert_eq!(brightness(), "178");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
