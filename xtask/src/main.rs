//! `cargo xtask <task>`: the project's set-up and automation, in Rust so that it runs
//! wherever cargo runs. The README's two commands are `cargo xtask demo` and
//! `cargo xtask test`; `.ci/run` calls `cargo xtask test`.

mod cross;
mod fuzz;
mod package;
mod system;

use anyhow::{Context, Result, bail};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo    install what is missing, then run the main job (see README.md)
  test    install what is missing, then run every check and test (what CI runs)
  bench   measure the hub's relay against raw Mosquitto (release build, a few minutes)
          and write docs/benchmarks.md
  deps    only install the system packages the project needs
  fuzz --minutes N [--runs N] [--target NAME]…
          run the fuzz targets under libFuzzer (an instrumented build; docs/fuzzing.md)
  package [--arch amd64|arm64] [--out DIR]
          Debian packages of the hub and the kiosk (release builds, the kiosk with
          its linuxkms backend), in target/debian/ unless --out says otherwise
  translations
          update the kiosk's .po files from the @tr strings of its .slint files";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("demo") => demo(),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("deps") => system::ensure_packages(system::PACKAGES),
        Some("package") => package_task(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("fuzz") => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            fuzz::parse(&args).and_then(|options| fuzz::fuzz(&options))
        }
        Some("translations") => translations(),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Measures the hub against raw Mosquitto in one run, with the same client, and writes the
/// figures with the command that made them to docs/benchmarks.md.
fn bench() -> Result<()> {
    system::ensure_packages(system::PACKAGES)?;
    let out = workspace_root().join("docs/benchmarks.md");
    let out = out.to_string_lossy();
    run(
        &cargo(),
        &[
            "run",
            "--release",
            "--locked",
            "--package",
            "nabij-bench",
            "--",
            "--out",
            &out,
        ],
    )
    .context("the bench failed or missed a target (see above)")
}

/// Brings every `.po` file in line with the strings the kiosk's screens and the
/// dashboard's pages use: new strings are added untranslated, strings nothing uses any
/// more are dropped, translations are kept.
fn translations() -> Result<()> {
    let root = workspace_root();
    let kiosk = nabij_i18n::slint_strings(&root.join("kiosk/ui")).context("reading kiosk/ui")?;
    let hub = nabij_i18n::rust_strings(&root.join("hub/src")).context("reading hub/src")?;
    for (file, what, strings) in [
        ("nabij-kiosk", "Nabij kiosk", &kiosk),
        ("nabij-hub", "Nabij dashboard", &hub),
    ] {
        for lang in ["nl", "fr"] {
            let path = root.join(format!("assets/translations/{lang}/LC_MESSAGES/{file}.po"));
            let known = nabij_i18n::parse_po(&std::fs::read_to_string(&path).unwrap_or_default());
            std::fs::write(&path, nabij_i18n::write_po(what, lang, strings, &known))
                .with_context(|| format!("cannot write {}", path.display()))?;
            let missing = strings
                .iter()
                .filter(|s| known.get(*s).is_none_or(|t| t.is_empty()))
                .count();
            for (source, translated) in &known {
                if !translated.is_empty()
                    && nabij_i18n::placeholders(source) != nabij_i18n::placeholders(translated)
                {
                    println!("  {lang}: {translated:?} must keep the {{}} of {source:?}");
                }
            }
            println!(
                "{}: {} strings, {missing} to translate",
                path.display(),
                strings.len()
            );
        }
    }
    Ok(())
}

/// Debian packages of the hub and the kiosk for `--arch` (this machine's amd64 by
/// default), from release builds, into `--out` (target/debian/).
fn package_task(args: &[String]) -> Result<()> {
    let mut arch = package::Arch::Amd64;
    let mut out: Option<std::path::PathBuf> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--arch" => {
                let value = args.next().context("--arch needs amd64 or arm64")?;
                arch = package::Arch::parse(value)?;
            }
            "--out" => out = Some(args.next().context("--out needs a folder")?.into()),
            other => bail!("unknown option {other:?} for package\n\n{USAGE}"),
        }
    }
    if std::env::consts::ARCH != "x86_64" {
        bail!(
            "`cargo xtask package` builds on an amd64 (x86_64) machine; this one is {}",
            std::env::consts::ARCH
        );
    }
    let root = workspace_root();
    let target = target_dir(&root, std::env::var_os("CARGO_TARGET_DIR"));
    system::ensure_packages(system::PACKAGES)?;
    system::ensure_packages(system::PACKAGING)?;
    let mut environment = Vec::new();
    let mut target_args: Vec<&str> = Vec::new();
    let built = match arch {
        package::Arch::Amd64 => target.join("release"),
        package::Arch::Arm64 => {
            cross::ready()?;
            environment = cross::environment();
            target_args = vec!["--target", cross::TARGET];
            target.join(cross::TARGET).join("release")
        }
    };
    let cargo = cargo();
    let build = |extra: &[&str]| -> Result<()> {
        let mut args = vec!["build", "--release", "--locked"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&target_args);
        run_with(&cargo, &args, &environment)
    };
    build(&["--package", "nabij-hub"])?;
    build(&["--package", "nabij-kiosk", "--features", "linuxkms"])?;
    if arch == package::Arch::Arm64 {
        // The same kiosk for this machine, to compare the arm64 one's screen with.
        run(
            &cargo,
            &[
                "build",
                "--release",
                "--locked",
                "--package",
                "nabij-kiosk",
                "--features",
                "linuxkms",
            ],
        )?;
        check_arm64_kiosk(&root, &built.join("nabij-kiosk"), &target)?;
    }
    let out = out.unwrap_or_else(|| target.join("debian"));
    let hub = package::build(
        &package::hub(&root, &built.join("nabij-hub"), arch)?,
        &out,
        package::Compression::Xz,
    )?;
    let kiosk = package::build(
        &package::kiosk(&root, &built.join("nabij-kiosk"), arch)?,
        &out,
        package::Compression::Xz,
    )?;
    println!(
        "\nMade:\n  {}\n  {}\nOn the hub's machine (Debian 12): sudo apt install ./{}\n\
         On a tablet: deploy/tablet/setup-tablet.sh installs the kiosk package (see deploy/tablet/README.md).",
        hub.display(),
        kiosk.display(),
        hub.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    Ok(())
}

/// The arm64 kiosk, run under qemu, draws the home screen as the amd64 build does.
fn check_arm64_kiosk(
    root: &std::path::Path,
    kiosk: &std::path::Path,
    target: &std::path::Path,
) -> Result<()> {
    let profile = root.join("firmware-profiles/pinetab2.toml");
    let dir = target.join("arm64-check");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let arm = dir.join("home-arm64.png");
    let here = dir.join("home-amd64.png");
    println!("$ qemu-aarch64 {} render --screen home", kiosk.display());
    cross::render_under_qemu(kiosk, &profile, "home", &arm)?;
    let amd64_kiosk = target.join("release/nabij-kiosk");
    let status = Command::new(&amd64_kiosk)
        .args(["render", "--profile"])
        .arg(&profile)
        .args(["--screen", "home", "--lang", "nl", "--out"])
        .arg(&here)
        .status()
        .with_context(|| format!("cannot run {}", amd64_kiosk.display()))?;
    if !status.success() {
        bail!("the amd64 kiosk could not draw the home screen ({status})");
    }
    let difference = cross::compare_png(&arm, &here)?;
    println!("arm64 home screen under qemu: {difference}");
    Ok(())
}

/// Runs a command from the workspace root with more environment variables, echoing it.
fn run_with(program: &str, args: &[&str], environment: &[(&str, String)]) -> Result<()> {
    println!("$ {program} {}", args.join(" "));
    let status = workspace_command(program)
        .args(args)
        .envs(environment.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs a command from the workspace root, echoing it, and fails if it fails.
fn run(program: &str, args: &[&str]) -> Result<()> {
    println!("$ {program} {}", args.join(" "));
    let status = workspace_command(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// `program` to run in the workspace's root, without the variables `cargo run` set for
/// this xtask package (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, …). A build script that
/// asks cargo to watch one of them (ring's does) would otherwise see it change between
/// `cargo xtask …` and a plain `cargo …`, and everything built on it would be built again
/// at each switch.
fn workspace_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(describes_this_package) {
            command.env_remove(name);
        }
    }
    command
}

/// Whether an environment variable is one `cargo run` sets to describe the package it
/// runs.
fn describes_this_package(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Seconds each fuzz target mutates its corpus for in `cargo xtask test`.
const FUZZ_SECONDS_IN_TESTS: u64 = 15;

/// Every check CI makes: formatting, lints, the fuzz targets briefly, then all tests of
/// all crates.
fn test() -> Result<()> {
    system::ensure_packages(system::PACKAGES)?;
    system::ensure_packages(system::TEST_PACKAGES)?;
    system::ensure_rust_components(&["rustfmt", "clippy"])?;
    let cargo = cargo();
    run(&cargo, &["fmt", "--all", "--check"])
        .context("formatting differs: run `cargo fmt --all`")?;
    run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The tablets are arm64: the hub and the wire protocol must keep building for them.
    // The short form of `cargo xtask package --arch arm64` (which builds the kiosk too,
    // with Debian's arm64 libraries, and runs it under qemu). A machine that cannot
    // download rustup's arm64 standard library (CI whose network reaches only package
    // registries) skips it and says so loudly, at once and again at the end; a check that
    // runs and fails fails the whole run.
    let arm64_skipped = match system::rust_target(cross::TARGET) {
        system::RustTarget::Ready => {
            run_with(
                &cargo,
                &[
                    "check",
                    "--locked",
                    "--target",
                    cross::TARGET,
                    "--package",
                    "nabij-hub",
                ],
                &cross::environment(),
            )?;
            None
        }
        system::RustTarget::Unavailable(why) => {
            let line = arm64_skipped_line(&why);
            eprintln!("\n{}\n{line}\n{}\n", "!".repeat(78), "!".repeat(78));
            Some(line)
        }
    };
    // The end-to-end tests run the real binaries; `cargo test` builds a package's binaries
    // only for that package's own integration tests, so build them all first.
    run(&cargo, &["build", "--workspace", "--bins", "--locked"])?;
    // Every fuzz target from its corpus, then briefly mutated (docs/fuzzing.md): a couple
    // of minutes, in the build just made.
    fuzz::smoke(FUZZ_SECONDS_IN_TESTS)?;
    let (passed, failed) = run_tests(&cargo, &["test", "--workspace", "--locked"])?;
    // One closing line for the whole run: cargo prints a result per test binary, and the
    // last of those is often an empty one (doc tests), which says nothing about the run.
    println!("\ntests: {passed} passed, {failed} failed");
    if let Some(line) = &arm64_skipped {
        println!("{line}");
    }
    if failed > 0 {
        bail!("{failed} tests failed");
    }
    Ok(())
}

/// The line that says the arm64 check did not run, why, and what makes it run.
fn arm64_skipped_line(why: &str) -> String {
    format!(
        "arm64 check skipped: {why}, run `rustup target add {}`",
        cross::TARGET
    )
}

/// Runs `cargo test`, passing its output through, and adds up the per-binary results.
fn run_tests(program: &str, args: &[&str]) -> Result<(u64, u64)> {
    use std::io::BufRead;
    println!("$ {program} {}", args.join(" "));
    let mut child = workspace_command(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let (mut passed, mut failed) = (0, 0);
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.context("reading test output")?;
            println!("{line}");
            if let Some((p, f)) = parse_result_line(&line) {
                passed += p;
                failed += f;
            }
        }
    }
    let status = child.wait().context("waiting for cargo test")?;
    if !status.success() {
        println!("\ntests: {passed} passed, {} failed", failed.max(1));
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok((passed, failed))
}

/// Reads `test result: ok. 5 passed; 0 failed; …` into (5, 0).
fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        rest.split(';').find_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .strip_suffix(word)?
                .trim()
                .parse()
                .ok()
        })
    };
    Some((count("passed")?, count("failed")?))
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` when set (relative to the
/// workspace, as cargo reads it), else `target/` in the workspace.
fn target_dir(root: &std::path::Path, from_env: Option<std::ffi::OsString>) -> std::path::PathBuf {
    match from_env.filter(|dir| !dir.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// The main job: the hub with its managed broker and demo data (six months of made-up
/// activity), in the foreground until Ctrl-C. It starts what exists and says plainly
/// what does not exist yet.
fn demo() -> Result<()> {
    system::ensure_packages(system::PACKAGES)?;
    let cargo = cargo();
    run(&cargo, &["build", "--workspace", "--bins"])?;
    let root = workspace_root();
    let built = target_dir(&root, std::env::var_os("CARGO_TARGET_DIR")).join("debug");
    let hub = built.join("nabij-hub");
    let hub_shown = hub.display().to_string();
    let data = root.join("demo-data/hub");
    // Demo data made by the sled-based versions cannot be read any more: the demo starts
    // afresh (the hub itself refuses such a folder and says what to do).
    if data.join("db/conf").exists() {
        let aside = root.join(format!(
            "demo-data.sled-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        ));
        std::fs::rename(root.join("demo-data"), &aside)
            .context("cannot move the old demo data aside")?;
        println!(
            "demo-data was made by an earlier version (sled): moved to {} (delete it when you like); starting afresh",
            aside.display()
        );
    }
    let data_arg = data.to_string_lossy().into_owned();
    let hub_cli = |args: &[&str]| -> Result<std::process::Output> {
        Command::new(&hub)
            .arg("--data-dir")
            .arg(&data_arg)
            .args(args)
            .output()
            .context("cannot run nabij-hub")
    };

    // The demo's months are written before the hub runs: they go into its store directly.
    println!("$ nabij-hub --data-dir {data_arg} demo-data --months 6");
    let written = Command::new(&hub)
        .arg("--data-dir")
        .arg(&data_arg)
        .args(["demo-data", "--months", "6"])
        .env("NABIJ_LOG", "error")
        .status()
        .context("cannot run nabij-hub")?;
    if !written.success() {
        bail!(
            "writing the demo data failed (see above); to start afresh, remove {}",
            root.join("demo-data").display()
        );
    }

    println!("$ nabij-hub --data-dir {data_arg} serve");
    let mut serve = Command::new(&hub)
        .arg("--data-dir")
        .arg(&data_arg)
        .args(["serve", "--until-stdin-closes"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("cannot start nabij-hub serve")?;
    // Ready when the admin socket answers; give up if the hub exits.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = serve.try_wait()? {
            bail!("nabij-hub serve stopped ({status}); its messages above say why");
        }
        if hub_cli(&["group", "list"])?.status.success() {
            break;
        }
        if std::time::Instant::now() > deadline {
            stop_hub(&mut serve);
            bail!("nabij-hub serve did not become ready within 30 seconds");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    add_demo_accounts(&hub, &data_arg, &hub_cli)?;

    let settings = root.join("demo-data/kiosk-settings.toml");
    let out = hub_cli(&["kiosk-settings", "--host", "localhost"])?;
    std::fs::write(&settings, &out.stdout)
        .with_context(|| format!("cannot write {}", settings.display()))?;
    let list = hub_cli(&["participant", "list"])?;
    println!(
        "\nThe hub is running, with its own Mosquitto broker (TLS on ports 8883 and 8884) and six months of\n\
         made-up demo data (two groups, marked \"(demo)\"):\n{}\n\
         Kiosk settings for this hub: {}\n\
         The dashboard: https://localhost:8443/ — log in as beheer (admin), marie or koen (coaches)\n  \
         or staff, password {DEMO_PASSWORD:?} (demo only). The browser warns about the certificate:\n  \
         it is signed by this hub's own CA, {data_arg}/pki/ca.pem; accept it, or import that CA.\n\
         Coach commands, in another terminal:\n  \
         {hub_shown} --data-dir {data_arg} device list\n  \
         {hub_shown} --data-dir {data_arg} calls list\n",
        String::from_utf8_lossy(&list.stdout).trim_end(),
        settings.display()
    );
    let kiosk = built.join("nabij-kiosk");
    let profile = root.join("firmware-profiles/desktop.toml");
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if has_display {
        system::ensure_packages(system::WINDOW_PACKAGES)?;
        let kiosk_data = root.join("demo-data/kiosk");
        println!(
            "Opening the kiosk window. A new tablet shows a pairing code: pair it as Jan, who\n  \
             joined Oostende Oost three weeks ago and has no tablet yet, with\n  \
             {hub_shown} --data-dir {data_arg} device enrol <CODE> --participant \"Jan Claes\"\n\
             then write to Jan's group from the hub:\n  \
             {hub_shown} --data-dir {data_arg} message send --from \"Marie Dewulf\" --to \"Oostende Oost\" --text \"De bus vertrekt om 13:30\"\n\
             Close the window or press Ctrl-C to stop both."
        );
        let status = Command::new(&kiosk)
            .arg("run")
            .arg("--profile")
            .arg(&profile)
            .arg("--hub-settings")
            .arg(&settings)
            .arg("--data-dir")
            .arg(&kiosk_data)
            .status()
            .context("cannot start nabij-kiosk")?;
        stop_hub(&mut serve);
        if !status.success() {
            bail!("the kiosk stopped ({status}); its message above says why");
        }
        return Ok(());
    }
    let shots = root.join("demo-data/kiosk-screens");
    println!(
        "There is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so no kiosk window opens.\n\
         Rendering every kiosk screen in Dutch, French and English as PNG files instead, into {}:",
        shots.display()
    );
    let status = Command::new(&kiosk)
        .args(["render", "--all", "--profile"])
        .arg(&profile)
        .arg("--out-dir")
        .arg(&shots)
        .status()
        .context("cannot start nabij-kiosk")?;
    if !status.success() {
        bail!("rendering the kiosk screens failed ({status})");
    }
    println!(
        "Open the PNG files in {} to see the kiosk. The hub keeps running: press Ctrl-C to stop.",
        shots.display()
    );
    let status = serve.wait().context("waiting for nabij-hub serve")?;
    if !status.success() && status.code().is_some() {
        bail!("nabij-hub serve stopped ({status})");
    }
    Ok(())
}

/// Stops the demo's hub the way it was told to stop (`--until-stdin-closes`): its
/// standard input is closed, and it stops its broker and store cleanly. SIGKILL is the
/// last resort, after 30 seconds (the broker stops then too: the kernel sends it the
/// hub's parent-death signal).
fn stop_hub(serve: &mut std::process::Child) {
    drop(serve.stdin.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        match serve.try_wait() {
            Ok(Some(_)) | Err(_) => return,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    eprintln!("nabij-hub serve did not stop within 30 seconds of being asked; killing it");
    let _ = serve.kill();
    let _ = serve.wait();
}

/// The demo's dashboard password (every demo account has it).
const DEMO_PASSWORD: &str = "nabij demo 2026";

/// An admin, the two coaches (Marie Dewulf, Koen Verhaeghe) and a staff account for the
/// dashboard, added once.
fn add_demo_accounts(
    hub: &std::path::Path,
    data_arg: &str,
    hub_cli: &dyn Fn(&[&str]) -> Result<std::process::Output>,
) -> Result<()> {
    let users = hub_cli(&["user", "list"])?;
    if !String::from_utf8_lossy(&users.stdout).contains("No dashboard accounts yet") {
        return Ok(());
    }
    for args in [
        &["--name", "beheer", "--role", "admin"][..],
        &[
            "--name",
            "marie",
            "--role",
            "coach",
            "--coach",
            "Marie Dewulf",
        ],
        &[
            "--name",
            "koen",
            "--role",
            "coach",
            "--coach",
            "Koen Verhaeghe",
        ],
        &["--name", "staff", "--role", "staff"],
    ] {
        let mut child = Command::new(hub)
            .arg("--data-dir")
            .arg(data_arg)
            .args(["user", "add", "--password-stdin"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .context("cannot run nabij-hub")?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            writeln!(stdin, "{DEMO_PASSWORD}").context("cannot give nabij-hub the password")?;
        }
        let out = child.wait_with_output().context("cannot run nabij-hub")?;
        if !out.status.success() {
            bail!(
                "adding the demo's dashboard accounts failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{arm64_skipped_line, parse_result_line, target_dir, workspace_command};

    #[test]
    fn a_skipped_arm64_check_says_why_and_what_makes_it_run() {
        assert_eq!(
            arm64_skipped_line("rustup could not add it (could not download file)"),
            "arm64 check skipped: rustup could not add it (could not download file), \
             run `rustup target add aarch64-unknown-linux-gnu`"
        );
    }

    #[test]
    fn the_demo_runs_what_cargo_built_where_cargo_target_dir_says() {
        let root = std::path::Path::new("/work/nabij");
        assert_eq!(target_dir(root, None), root.join("target"));
        assert_eq!(target_dir(root, Some("".into())), root.join("target"));
        assert_eq!(
            target_dir(root, Some("/work/target-demo".into())),
            std::path::PathBuf::from("/work/target-demo")
        );
        assert_eq!(
            target_dir(root, Some("build/out".into())),
            root.join("build/out")
        );
    }

    #[test]
    fn cargo_runs_without_the_variables_that_describe_this_package() {
        // cargo sets these for its tests as it does for `cargo run`.
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let command = workspace_command("cargo");
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_PKG_NAME", "CARGO_PKG_VERSION", "CARGO_MANIFEST_DIR"] {
            assert!(removed.iter().any(|r| r == name), "{name} is passed on");
        }
        assert!(
            !removed.iter().any(|r| r == "CARGO" || r == "CARGO_HOME"),
            "cargo's own settings stay: {removed:?}"
        );
    }

    #[test]
    fn reads_cargo_test_result_lines() {
        let ok = "test result: ok. 18 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s";
        assert_eq!(parse_result_line(ok), Some((18, 0)));
        let failed =
            "test result: FAILED. 2 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_result_line(failed), Some((2, 3)));
        assert_eq!(parse_result_line("running 3 tests"), None);
    }
}
