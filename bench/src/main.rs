//! `nabij-bench [--smoke | --profile | --reports] [--out FILE]`: measures the hub's relay
//! against raw Mosquitto and prints the report (and writes it to FILE). `--smoke` checks
//! the bench itself in seconds; `--profile` runs one long window-20 measurement to profile.
//! Then (not with `--profile`) the staff's reports on a year of data; `--reports` runs only
//! those. `cargo xtask bench` runs it in
//! release mode and writes `docs/benchmarks.md`.

use anyhow::{Context, Result, bail};
use nabij_bench::{Plan, measure, report, reports};
use std::process::ExitCode;

/// The heading from which a report's end is kept when it is written again.
const EARLIER_RUNS: &str = "## Earlier runs";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("nabij-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool> {
    let mut smoke = false;
    let mut profile = false;
    let mut reports_only = false;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--profile" => profile = true,
            "--reports" => reports_only = true,
            "--out" => out = Some(args.next().context("--out needs a file")?),
            other => bail!(
                "unknown argument {other:?}; usage: nabij-bench [--smoke | --profile | --reports] [--out FILE]"
            ),
        }
    }
    let plan = match (smoke, profile) {
        (true, _) => Plan::smoke(),
        (_, true) => Plan::profile(),
        _ => Plan::full(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut text = String::new();
    let mut missed: Vec<report::Check> = Vec::new();
    if !reports_only {
        let measured =
            runtime.block_on(measure(&plan, |step| eprintln!("nabij-bench: {step}…")))?;
        let command = match (smoke, profile) {
            (true, _) => "nabij-bench --smoke",
            (_, true) => "nabij-bench --profile",
            _ => "cargo xtask bench",
        };
        text = report::markdown(&measured, &plan, command);
        missed = report::checks(&measured)
            .into_iter()
            .filter(|c| !c.met)
            .collect();
    }
    let mut missed_reports = false;
    if !profile {
        let year = if smoke {
            reports::Year::smoke()
        } else {
            reports::Year::full()
        };
        let figures = runtime.block_on(reports::measure(&year, &|step: &str| {
            eprintln!("nabij-bench: {step}…");
        }))?;
        text += &reports::markdown(&figures);
        missed_reports = figures.page.p50() > reports::PAGE_TARGET_MS;
        if missed_reports {
            eprintln!(
                "nabij-bench: target missed: the reports page took {:.0} ms (p50)",
                figures.page.p50()
            );
        }
    }
    print!("{text}");
    if let Some(path) = out {
        // Runs of earlier code, kept by hand at the end of the report, stay.
        if let Ok(old) = std::fs::read_to_string(&path)
            && let Some(at) = old.find(EARLIER_RUNS)
        {
            text.push('\n');
            text.push_str(&old[at..]);
        }
        std::fs::write(&path, &text).with_context(|| format!("cannot write {path}"))?;
        eprintln!("nabij-bench: written to {path}");
    }
    for check in &missed {
        eprintln!(
            "nabij-bench: target missed: {} ({})",
            check.target, check.measured
        );
    }
    Ok(missed.is_empty() && !missed_reports)
}
