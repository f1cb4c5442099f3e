//! `cargo xtask fuzz`: the fuzz targets of `fuzz/` (crate `nabij-fuzz`) under libFuzzer,
//! coverage-guided, on stable Rust; and the short run from the corpus that
//! `cargo xtask test` makes (`smoke`). docs/fuzzing.md says what each target checks.
//!
//! libFuzzer needs the code compiled with coverage counters. On stable Rust they come
//! from LLVM's SanitizerCoverage pass, asked for with `-C passes` and `-C llvm-args` as
//! cargo-fuzz does (cargo-fuzz adds `-Z` flags only for sanitizers, which need nightly;
//! these targets run without AddressSanitizer, which safe Rust does not need). The
//! instrumented build lives in its own target folder (`<target>/fuzz`), so it never
//! invalidates the ordinary one; `--target` keeps build scripts and proc macros out of
//! the instrumentation.

use anyhow::{Context, Result, bail};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq)]
pub struct Options {
    /// Minutes of fuzzing in all, split evenly between the targets.
    pub minutes: Option<f64>,
    /// Stop each target after this many executions.
    pub runs: Option<u64>,
    /// The targets (all when empty).
    pub targets: Vec<String>,
}

/// The usage line of the task.
pub const USAGE: &str = "fuzz --minutes N [--runs N] [--target NAME]…";

/// Reads `--minutes N`, `--runs N` and any number of `--target NAME`.
pub fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        minutes: None,
        runs: None,
        targets: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--minutes" => {
                let minutes: f64 = value()?.parse().context("--minutes takes a number")?;
                if !(minutes.is_finite() && minutes > 0.0) {
                    bail!("--minutes must be more than 0");
                }
                options.minutes = Some(minutes);
            }
            "--runs" => options.runs = Some(value()?.parse().context("--runs takes a count")?),
            "--target" => options.targets.push(value()?),
            other => bail!("unknown argument {other:?}; usage: cargo xtask {USAGE}"),
        }
    }
    if options.minutes.is_none() && options.runs.is_none() {
        bail!("say how long: cargo xtask {USAGE}");
    }
    Ok(options)
}

/// The flags that make rustc count coverage for libFuzzer (stable Rust), and build with
/// the checks of a debug build (overflow, debug assertions) at full speed.
const INSTRUMENT: &[&str] = &[
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "--cfg",
    "fuzzing",
    "-Cdebug-assertions",
    "-Coverflow-checks",
];

/// Every target and the crate feature it needs (none, `hub` or `kiosk`), from
/// `nabij-fuzz list` (the one list of targets is in the crate).
fn all_targets(root: &Path, cargo: &str) -> Result<Vec<(String, Option<String>)>> {
    let out = crate::workspace_command(cargo)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "nabij-fuzz",
            "--",
            "list",
        ])
        .current_dir(root)
        .output()
        .context("cannot run nabij-fuzz list")?;
    if !out.status.success() {
        bail!(
            "nabij-fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(read_list(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `nabij-fuzz list`: a target a line, its name, the feature it needs (`-` for
/// none), and what it does.
fn read_list(text: &str) -> Vec<(String, Option<String>)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.to_owned();
            let needs = words.next().filter(|w| *w != "-").map(str::to_owned);
            Some((name, needs))
        })
        .collect()
}

/// The host's target triple, from `rustc -vV`.
fn host() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run rustc")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV names no host")
}

/// What one libFuzzer run did.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Executions, from libFuzzer's final statistics.
    pub runs: u64,
    /// The input that failed, as libFuzzer saved it.
    pub crash: Option<PathBuf>,
}

/// Reads what matters from one line of libFuzzer's output.
pub fn read_line(line: &str, outcome: &mut Outcome) {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        outcome.runs = n.trim().parse().unwrap_or(outcome.runs);
    } else if let Some(rest) = line.strip_prefix("Done ")
        && let Some(n) = rest.split_whitespace().next()
    {
        outcome.runs = n.parse().unwrap_or(outcome.runs);
    } else if let Some(at) = line.find("Test unit written to ") {
        outcome.crash = Some(PathBuf::from(
            line[at + "Test unit written to ".len()..].trim(),
        ));
    }
}

/// Builds the instrumented targets and runs each under libFuzzer.
pub fn fuzz(options: &Options) -> Result<()> {
    crate::system::ensure_packages(&[(
        "g++",
        "compiles libFuzzer's C++ (libfuzzer-sys) for cargo xtask fuzz",
    )])?;
    let root = crate::workspace_root();
    let cargo = crate::cargo();
    let known = all_targets(&root, &cargo)?;
    let targets: Vec<String> = if options.targets.is_empty() {
        known.iter().map(|(name, _)| name.clone()).collect()
    } else {
        for name in &options.targets {
            if !known.iter().any(|(k, _)| k == name) {
                let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
                bail!("no fuzz target {name:?}; there are {}", names.join(", "));
            }
        }
        options.targets.clone()
    };
    // Only the crates the chosen targets need are built (and instrumented): the
    // protocol decoder alone builds in a minute, the kiosk's targets bring Slint.
    let mut features = vec!["libfuzzer".to_owned()];
    for (name, needs) in &known {
        if let Some(feature) = needs
            && targets.contains(name)
            && !features.contains(feature)
        {
            features.push(feature.clone());
        }
    }
    let features = features.join(",");
    let host = host()?;
    let build_dir = crate::target_dir(&root, std::env::var_os("CARGO_TARGET_DIR")).join("fuzz");
    let build_dir_arg = build_dir.to_string_lossy().into_owned();
    println!(
        "$ RUSTFLAGS=\"{}\" CARGO_TARGET_DIR={build_dir_arg} cargo build --release --locked --target {host} -p nabij-fuzz --no-default-features --features {features} --bin nabij-fuzz-libfuzzer",
        INSTRUMENT.join(" ")
    );
    let status = crate::workspace_command(&cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            &host,
            "-p",
            "nabij-fuzz",
            "--no-default-features",
            "--features",
            &features,
            "--bin",
            "nabij-fuzz-libfuzzer",
        ])
        .env("RUSTFLAGS", INSTRUMENT.join(" "))
        .env("CARGO_TARGET_DIR", &build_dir)
        .status()
        .context("cannot start cargo")?;
    if !status.success() {
        bail!("the instrumented build failed ({status})");
    }
    let binary = build_dir.join(&host).join("release/nabij-fuzz-libfuzzer");
    let seconds = options
        .minutes
        .map(|m| ((m * 60.0) / targets.len() as f64).ceil().max(1.0) as u64);
    let mut failed = Vec::new();
    let mut summary = Vec::new();
    for target in &targets {
        let started = std::time::Instant::now();
        let outcome = run_one(&root, &binary, &build_dir, target, seconds, options.runs)?;
        let took = started.elapsed().as_secs_f64();
        let corpus = root.join("fuzz/corpus").join(target);
        let line = format!(
            "{target:<18} {} executions in {took:.0} s ({:.0}/s), {} crashes; corpus {} inputs, {} bytes",
            outcome.runs,
            outcome.runs as f64 / took.max(0.001),
            usize::from(outcome.crash.is_some()),
            count_files(&corpus).0,
            count_files(&corpus).1,
        );
        if let Some(crash) = &outcome.crash {
            failed.push(format!(
                "{target}: the input is saved as {}\n  replay it: cargo run -p nabij-fuzz -- replay {target} {}",
                crash.display(),
                crash.display()
            ));
        }
        summary.push(line);
    }
    println!("\nfuzzing:");
    for line in &summary {
        println!("  {line}");
    }
    if !failed.is_empty() {
        bail!("a fuzz target failed:\n{}", failed.join("\n"));
    }
    Ok(())
}

/// Files in a folder and their bytes.
fn count_files(dir: &Path) -> (usize, u64) {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .fold((0, 0), |(n, b), m| (n + 1, b + m.len()))
        })
        .unwrap_or((0, 0))
}

/// One target under libFuzzer: new inputs go to a folder of the build (the checked-in
/// corpus is only read), failures to `fuzz/artifacts/`.
fn run_one(
    root: &Path,
    binary: &Path,
    build_dir: &Path,
    target: &str,
    seconds: Option<u64>,
    runs: Option<u64>,
) -> Result<Outcome> {
    let found = build_dir.join("corpus").join(target);
    let artifacts = root.join("fuzz/artifacts");
    std::fs::create_dir_all(&found).context("cannot make the corpus folder")?;
    std::fs::create_dir_all(&artifacts).context("cannot make fuzz/artifacts")?;
    let mut args = vec![
        "-print_final_stats=1".to_owned(),
        // A slow input is a finding too: ten seconds is long for any of these.
        "-timeout=10".to_owned(),
        "-rss_limit_mb=4096".to_owned(),
        "-max_len=65536".to_owned(),
        format!("-artifact_prefix={}/{target}-", artifacts.display()),
    ];
    if let Some(seconds) = seconds {
        args.push(format!("-max_total_time={seconds}"));
    }
    if let Some(runs) = runs {
        args.push(format!("-runs={runs}"));
    }
    let dict = root.join("fuzz/dict").join(format!("{target}.dict"));
    if dict.exists() {
        args.push(format!("-dict={}", dict.display()));
    }
    args.push(found.display().to_string());
    args.push(root.join("fuzz/corpus").join(target).display().to_string());
    println!(
        "$ NABIJ_FUZZ_TARGET={target} {} {}",
        binary.display(),
        args.join(" ")
    );
    let mut child = Command::new(binary)
        .args(&args)
        .env("NABIJ_FUZZ_TARGET", target)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let mut outcome = Outcome::default();
    if let Some(stderr) = child.stderr.take() {
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.context("reading libFuzzer's output")?;
            // Progress at every power of two is enough on screen, not each new path.
            // Nor the kiosk's own log line for each message it refuses.
            let news = line.contains("\tNEW ")
                || line.contains("\tREDUCE ")
                || line.trim_start().starts_with("NEW_FUNC")
                || line.starts_with("nabij-kiosk: ");
            if !news {
                eprintln!("{line}");
            }
            read_line(&line, &mut outcome);
        }
    }
    let status = child.wait().context("waiting for libFuzzer")?;
    if !status.success() && outcome.crash.is_none() {
        bail!("{target}: libFuzzer stopped ({status}) without saving an input; see above");
    }
    Ok(outcome)
}

/// What `cargo xtask test` runs: every target from its checked-in corpus, then mutated
/// from it for `seconds` each, in the ordinary build (no second build of the workspace).
/// The code under test logs every input it refuses (the kiosk does so on stderr), tens
/// of thousands of lines: only the last of them are shown, when a target fails.
pub fn smoke(seconds: u64) -> Result<()> {
    const SHOWN: usize = 80;
    let seconds = seconds.to_string();
    let args = [
        "run",
        "--quiet",
        "--locked",
        "-p",
        "nabij-fuzz",
        "--",
        "run",
        "--seconds",
        &seconds,
    ];
    println!("$ cargo {}", args.join(" "));
    let mut child = crate::workspace_command(&crate::cargo())
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start cargo")?;
    let mut last = std::collections::VecDeque::with_capacity(SHOWN);
    let mut hidden = 0u64;
    if let Some(stderr) = child.stderr.take() {
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.context("reading the fuzz targets' output")?;
            if last.len() == SHOWN {
                last.pop_front();
                hidden += 1;
            }
            last.push_back(line);
        }
    }
    let status = child.wait().context("waiting for nabij-fuzz")?;
    if !status.success() {
        if hidden > 0 {
            eprintln!("({hidden} earlier lines of the fuzz targets' log left out)");
        }
        for line in &last {
            eprintln!("{line}");
        }
        bail!(
            "a fuzz target failed on its corpus or a mutation of it ({status}); the input is saved, see above"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn reads_its_arguments() {
        assert_eq!(
            parse(&args("--minutes 30")).unwrap(),
            Options {
                minutes: Some(30.0),
                runs: None,
                targets: vec![]
            }
        );
        assert_eq!(
            parse(&args(
                "--target protocol_decode --runs 10000000 --target po_catalogue"
            ))
            .unwrap(),
            Options {
                minutes: None,
                runs: Some(10_000_000),
                targets: vec!["protocol_decode".into(), "po_catalogue".into()]
            }
        );
        for bad in [
            "",
            "--minutes",
            "--minutes 0",
            "--minutes x",
            "--target a",
            "--hours 2",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reads_the_list_of_targets() {
        let list = "protocol_decode    -      nabij_protocol::decode on any topic\nhub_inbound        hub    a batch of tablet messages\n";
        assert_eq!(
            read_list(list),
            [
                ("protocol_decode".to_owned(), None),
                ("hub_inbound".to_owned(), Some("hub".to_owned()))
            ]
        );
    }

    #[test]
    fn reads_libfuzzers_figures_and_crashes() {
        let mut outcome = Outcome::default();
        for line in [
            "#1048576\tpulse  cov: 2711 ft: 9432 corp: 612/81Kb exec/s: 34952 rss: 91Mb",
            "Done 10000000 runs in 301 second(s)",
            "stat::number_of_executed_units: 10000001",
            "stat::peak_rss_mb:              402",
        ] {
            read_line(line, &mut outcome);
        }
        assert_eq!(
            outcome,
            Outcome {
                runs: 10_000_001,
                crash: None
            }
        );
        read_line(
            "artifact_prefix='fuzz/artifacts/x-'; Test unit written to fuzz/artifacts/x-crash-c8ec8f72",
            &mut outcome,
        );
        assert_eq!(
            outcome.crash,
            Some(PathBuf::from("fuzz/artifacts/x-crash-c8ec8f72"))
        );
    }
}
