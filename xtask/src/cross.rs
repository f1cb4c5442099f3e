//! Building for the tablets' arm64 on an amd64 machine: Rust's aarch64 standard library
//! (rustup), Debian's cross compiler, the arm64 libraries the kiosk links (Debian
//! multiarch), and qemu to run the result. `ready` says exactly what is missing and the
//! commands that add it; nothing here pretends a step worked.

use anyhow::{Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};

/// The Rust target of the tablets.
pub const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The C cross compiler (for ring, opus and the -sys crates) and linker.
pub const GCC: &str = "aarch64-linux-gnu-gcc";

/// Debian's arm64 libraries the kiosk links with the linuxkms backend (multiarch, so they
/// install beside the amd64 ones), and what each is for.
pub const ARM64_LIBRARIES: &[(&str, &str)] = &[
    ("libasound2-dev:arm64", "ALSA, the kiosk's sound"),
    ("libopus-dev:arm64", "Opus, its voice notes"),
    ("libfontconfig1-dev:arm64", "font lookup for Slint"),
    (
        "libudev-dev:arm64",
        "linuxkms: finding the screen and the touch panel",
    ),
    (
        "libseat-dev:arm64",
        "linuxkms: the seat (screen and input) from logind",
    ),
    ("libinput-dev:arm64", "linuxkms: touch input"),
    ("libgbm-dev:arm64", "linuxkms: buffers on the screen"),
    ("libxkbcommon-dev:arm64", "linuxkms: keyboard maps"),
];

/// The amd64 tools.
pub const TOOLS: &[(&str, &str)] = &[
    (
        "gcc-aarch64-linux-gnu",
        "the C cross compiler and linker for arm64",
    ),
    (
        "qemu-user",
        "runs the arm64 kiosk on this machine (qemu-aarch64) to check its screens",
    ),
];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

fn rust_target_installed() -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
}

fn foreign_arm64() -> bool {
    Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == "arm64")
        })
}

/// What is missing to build and run arm64 here, each with the command that adds it.
pub fn missing() -> Vec<(String, String)> {
    let mut missing = Vec::new();
    if !rust_target_installed() {
        missing.push((
            format!("Rust's standard library for {TARGET}"),
            format!("rustup target add {TARGET}"),
        ));
    }
    let tools: Vec<&str> = TOOLS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !installed(name))
        .collect();
    if !tools.is_empty() {
        missing.push((
            "the arm64 cross compiler and qemu".into(),
            format!("apt-get install {}", tools.join(" ")),
        ));
    }
    if !foreign_arm64() {
        missing.push((
            "Debian's arm64 packages (multiarch)".into(),
            "dpkg --add-architecture arm64 && apt-get update".into(),
        ));
    }
    let libraries: Vec<&str> = ARM64_LIBRARIES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !installed(name))
        .collect();
    if !libraries.is_empty() {
        missing.push((
            "the arm64 libraries the kiosk links".into(),
            format!("apt-get install {}", libraries.join(" ")),
        ));
    }
    missing
}

/// Says what is missing for arm64, if anything, and how to add it.
pub fn ready() -> Result<()> {
    let missing = missing();
    if missing.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = missing
        .iter()
        .map(|(what, how)| format!("  {what}:\n      {how}"))
        .collect();
    bail!(
        "cannot build for arm64 on this machine; missing:\n{}\nRun those (as root), then `cargo xtask package --arch arm64` again.",
        lines.join("\n")
    )
}

/// The environment cargo needs to build for arm64: the cross linker and C compiler, and
/// pkg-config pointed at the arm64 libraries.
pub fn environment() -> Vec<(&'static str, String)> {
    vec![
        (
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            GCC.to_owned(),
        ),
        ("CC_aarch64_unknown_linux_gnu", GCC.to_owned()),
        (
            "AR_aarch64_unknown_linux_gnu",
            "aarch64-linux-gnu-ar".into(),
        ),
        ("PKG_CONFIG_ALLOW_CROSS", "1".into()),
        (
            "PKG_CONFIG_LIBDIR",
            "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig".into(),
        ),
    ]
}

/// Runs the arm64 kiosk at `kiosk` under qemu-aarch64 to draw `screen` of `profile` in
/// Dutch into `out`: the same binary a tablet runs, on this machine. Its libraries are
/// Debian's arm64 ones (multiarch, with their C library and loader); qemu's `-L` with
/// the cross compiler's separate C library is not used: mixing the two made programs
/// spin for ever.
pub fn render_under_qemu(kiosk: &Path, profile: &Path, screen: &str, out: &Path) -> Result<()> {
    let mut child = Command::new("qemu-aarch64")
        .arg(kiosk)
        .args(["render", "--profile"])
        .arg(profile)
        .args(["--screen", screen, "--lang", "nl", "--out"])
        .arg(out)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run qemu-aarch64 ({e}): apt-get install qemu-user"))?;
    // Emulated, one screen takes seconds; ten minutes means it is stuck.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            bail!("the arm64 kiosk failed under qemu-aarch64 ({status})");
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the arm64 kiosk did not draw its screen under qemu-aarch64 within ten minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Compares two renders of the same screen pixel by pixel. The software renderer is the
/// same code on both machines, but arm64 may round floating point differently (fused
/// multiply-add), so an edge pixel may differ by a shade; more than that fails.
pub fn compare_png(a: &Path, b: &Path) -> Result<String> {
    let load = |path: &Path| -> Result<image::RgbaImage> {
        Ok(image::open(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
            .to_rgba8())
    };
    let (a_image, b_image) = (load(a)?, load(b)?);
    if a_image.dimensions() != b_image.dimensions() {
        bail!(
            "{} is {:?} pixels, {} is {:?}",
            a.display(),
            a_image.dimensions(),
            b.display(),
            b_image.dimensions()
        );
    }
    let mut different = 0u64;
    let mut most = 0u8;
    for (p, q) in a_image.pixels().zip(b_image.pixels()) {
        let worst =
            p.0.iter()
                .zip(q.0.iter())
                .map(|(x, y)| x.abs_diff(*y))
                .max()
                .unwrap_or(0);
        most = most.max(worst);
        if worst > 16 {
            different += 1;
        }
    }
    let total = u64::from(a_image.width()) * u64::from(a_image.height());
    // A hundredth of the pixels: anti-aliased edges, never a word or a button.
    if different * 100 > total {
        bail!(
            "the arm64 render {} differs from the amd64 one {} in {different} of {total} pixels (by up to {most} of 255)",
            a.display(),
            b.display()
        );
    }
    Ok(format!(
        "the same as the amd64 render ({different} of {total} pixels differ by more than 16 of 255; the most by {most})"
    ))
}
