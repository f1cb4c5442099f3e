//! `nabij-fuzz`: runs the fuzz targets without libFuzzer, in the ordinary build.
//!
//! ```text
//! nabij-fuzz list
//! nabij-fuzz run [--seconds N] [--seed S] [--corpus DIR] [--artifacts DIR] [TARGET…]
//! nabij-fuzz replay TARGET FILE…
//! ```
//! `run` passes each target's corpus (`DIR/TARGET/`) through it, then mutates from it for
//! N seconds (the `mutate` engine); `cargo xtask test` runs it for CI. On a failure the
//! input is saved in the artifacts folder and the command to replay it is printed.

use anyhow::{Context, Result, bail};
use nabij_fuzz::mutate::{Mutator, Rng};
use nabij_fuzz::{TARGETS, Target};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest input the mutator makes.
const MAX_LEN: usize = 64 << 10;

/// What was asked for on the command line.
#[derive(Debug, PartialEq)]
enum Command {
    List,
    Run {
        targets: Vec<String>,
        seconds: u64,
        seed: Option<u64>,
        corpus: PathBuf,
        artifacts: PathBuf,
    },
    Replay {
        target: String,
        files: Vec<PathBuf>,
    },
}

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn parse(args: &[String]) -> Result<Command> {
    let Some((task, rest)) = args.split_first() else {
        bail!("say what to do: list, run or replay");
    };
    match task.as_str() {
        "list" => Ok(Command::List),
        "replay" => {
            let Some((target, files)) = rest.split_first() else {
                bail!("replay TARGET FILE…");
            };
            Ok(Command::Replay {
                target: target.clone(),
                files: files.iter().map(PathBuf::from).collect(),
            })
        }
        "run" => {
            let (mut seconds, mut seed, mut targets) = (10, None, Vec::new());
            let mut corpus = fuzz_dir().join("corpus");
            let mut artifacts = fuzz_dir().join("artifacts");
            let mut args = rest.iter();
            while let Some(arg) = args.next() {
                let mut value = |name: &str| {
                    args.next()
                        .cloned()
                        .with_context(|| format!("{name} needs a value"))
                };
                match arg.as_str() {
                    "--seconds" => seconds = value("--seconds")?.parse().context("--seconds")?,
                    "--seed" => seed = Some(value("--seed")?.parse().context("--seed")?),
                    "--corpus" => corpus = value("--corpus")?.into(),
                    "--artifacts" => artifacts = value("--artifacts")?.into(),
                    flag if flag.starts_with('-') => bail!("unknown option {flag}"),
                    name => targets.push(name.to_owned()),
                }
            }
            Ok(Command::Run {
                targets,
                seconds,
                seed,
                corpus,
                artifacts,
            })
        }
        other => bail!("unknown task {other:?}: list, run or replay"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse(&args).and_then(|command| match command {
        Command::List => {
            for target in TARGETS.iter() {
                // The name, the feature it needs (`-` for none), what it does.
                println!(
                    "{:<18} {:<6} {}",
                    target.name,
                    target.needs.unwrap_or("-"),
                    target.about
                );
            }
            Ok(())
        }
        Command::Replay { target, files } => replay(find(&target)?, &files),
        Command::Run {
            targets,
            seconds,
            seed,
            corpus,
            artifacts,
        } => {
            let chosen: Vec<&Target> = if targets.is_empty() {
                TARGETS.iter().collect()
            } else {
                targets.iter().map(|t| find(t)).collect::<Result<_>>()?
            };
            let seed = seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
            println!("nabij-fuzz: seed {seed}, {seconds} s a target");
            for target in chosen {
                run(target, seconds, seed, &corpus, &artifacts)?;
            }
            Ok(())
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nabij-fuzz: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn find(name: &str) -> Result<&'static Target> {
    nabij_fuzz::target(name).with_context(|| {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        format!("no target {name:?}; there are {}", names.join(", "))
    })
}

/// The input being run, so that a failure can be saved (from the panic hook: a panic on
/// another thread — the hub's blocking pool — must stop the run too).
static CURRENT: Mutex<Option<(&'static str, Vec<u8>, PathBuf)>> = Mutex::new(None);

fn catch_failures() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let current = CURRENT.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((target, input, artifacts)) = current {
            let file = artifacts.join(format!("crash-{target}-{:016x}", fnv(&input)));
            let saved =
                std::fs::create_dir_all(&artifacts).and_then(|()| std::fs::write(&file, &input));
            match saved {
                Ok(()) => eprintln!(
                    "nabij-fuzz: {target} failed on the input saved as {}\n  replay it with: cargo run -p nabij-fuzz -- replay {target} {}",
                    file.display(),
                    file.display()
                ),
                Err(e) => eprintln!(
                    "nabij-fuzz: {target} failed; the input could not be saved ({e}): {input:?}"
                ),
            }
        }
        std::process::exit(101);
    }));
}

/// FNV-1a: a short, stable name for an input.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn read_corpus(dir: &Path) -> Result<Vec<Vec<u8>>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("no corpus at {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("reading {}", f.display())))
        .collect()
}

fn run(
    target: &'static Target,
    seconds: u64,
    seed: u64,
    corpus: &Path,
    artifacts: &Path,
) -> Result<()> {
    catch_failures();
    let inputs = read_corpus(&corpus.join(target.name))?;
    if inputs.is_empty() {
        bail!("the corpus of {} is empty", target.name);
    }
    let one = |input: &[u8]| {
        *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((target.name, input.to_vec(), artifacts.to_path_buf()));
        (target.run)(input);
    };
    let started = Instant::now();
    for input in &inputs {
        one(input);
    }
    let replayed = started.elapsed();
    let mutator = Mutator::new(&inputs, MAX_LEN);
    let mut rng = Rng::new(seed ^ fnv(target.name.as_bytes()));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < until {
        // Time is read once per 16 inputs: a clock read costs as much as a small input.
        for _ in 0..16 {
            let input = &inputs[rng.below(inputs.len())];
            let other = &inputs[rng.below(inputs.len())];
            one(&mutator.mutate(&mut rng, input, other));
            runs += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<18} {} corpus inputs passed in {:.1} s; {runs} mutated inputs, {:.0}/s; 0 crashes",
        target.name,
        inputs.len(),
        replayed.as_secs_f64(),
        runs as f64 / (secs - replayed.as_secs_f64()).max(0.001),
    );
    Ok(())
}

fn replay(target: &'static Target, files: &[PathBuf]) -> Result<()> {
    if files.is_empty() {
        bail!("name the files to replay");
    }
    for file in files {
        let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        (target.run)(&input);
        println!("{}: {} passes", file.display(), target.name);
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
    fn reads_its_command_line() {
        assert_eq!(parse(&args("list")).unwrap(), Command::List);
        match parse(&args(
            "run --seconds 20 --seed 5 protocol_decode hub_inbound",
        ))
        .unwrap()
        {
            Command::Run {
                targets,
                seconds,
                seed,
                corpus,
                ..
            } => {
                assert_eq!(targets, ["protocol_decode", "hub_inbound"]);
                assert_eq!((seconds, seed), (20, Some(5)));
                assert!(corpus.ends_with("fuzz/corpus"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse(&args("replay po_catalogue a b")).unwrap(),
            Command::Replay {
                target: "po_catalogue".into(),
                files: vec!["a".into(), "b".into()]
            }
        );
        assert!(parse(&args("run --seconds")).is_err());
        assert!(parse(&args("run --minutes 3")).is_err());
        assert!(parse(&args("fuzz")).is_err());
    }

    #[test]
    fn every_corpus_input_passes_its_target() {
        for target in TARGETS.iter() {
            let inputs = read_corpus(&fuzz_dir().join("corpus").join(target.name)).unwrap();
            assert!(!inputs.is_empty(), "{} has a corpus", target.name);
            for input in inputs {
                (target.run)(&input);
            }
        }
    }
}
