//! `cargo xtask <task>`: the project's set-up and automation, in Rust so that it runs
//! wherever cargo runs. The README's two commands are `cargo xtask demo` and
//! `cargo xtask test`; `.ci/run` calls `cargo xtask test`.

mod system;

use anyhow::{Context, Result, bail};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo    install what is missing, then run the main job (see README.md)
  test    install what is missing, then run every check and test (what CI runs)
  deps    only install the system packages the project needs";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("demo") => demo(),
        Some("test") => test(),
        Some("deps") => system::ensure_packages(system::PACKAGES),
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

/// Runs a command from the workspace root, echoing it, and fails if it fails.
fn run(program: &str, args: &[&str]) -> Result<()> {
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Every check CI makes: formatting, lints, then all tests of all crates.
fn test() -> Result<()> {
    system::ensure_packages(system::PACKAGES)?;
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
    let (passed, failed) = run_tests(&cargo, &["test", "--workspace", "--locked"])?;
    // One closing line for the whole run: cargo prints a result per test binary, and the
    // last of those is often an empty one (doc tests), which says nothing about the run.
    println!("\ntests: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} tests failed");
    }
    Ok(())
}

/// Runs `cargo test`, passing its output through, and adds up the per-binary results.
fn run_tests(program: &str, args: &[&str]) -> Result<(u64, u64)> {
    use std::io::BufRead;
    println!("$ {program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
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

/// The main job. It starts what exists today and says plainly what does not exist yet.
fn demo() -> Result<()> {
    system::ensure_packages(system::PACKAGES)?;
    let cargo = cargo();
    run(&cargo, &["build", "--workspace", "--bins"])?;
    let bin = workspace_root().join("target/debug");
    let hub = bin.join("nabij-hub");
    let kiosk = bin.join("nabij-kiosk");
    run(hub.to_str().unwrap_or("nabij-hub"), &["--help"])?;
    run(
        kiosk.to_str().unwrap_or("nabij-kiosk"),
        &["topics", "--device", "d-demo"],
    )?;
    println!(
        "\nThe hub service (broker, enrolment) and the kiosk screens are not built yet; \
         today the binaries offer the commands shown above. See README.md for what exists."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_result_line;

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
