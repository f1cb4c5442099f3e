//! The command line: one subcommand per coach or operator task.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// The Nabij hub: the neighbourhood centre's service for the seniors' tablets.
#[derive(Debug, Parser)]
#[command(name = "nabij-hub", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The hub's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check one MQTT payload against the wire protocol, as the hub would on receipt.
    ///
    /// Prints the decoded message, or the reason it would be refused. Useful when
    /// writing or debugging a kiosk: `nabij-hub check-message nabij/v1/dev/d-1/up msg.json`.
    CheckMessage {
        /// The topic the payload would arrive on.
        topic: String,
        /// A file holding the payload; `-` reads standard input.
        file: PathBuf,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::CheckMessage { topic, file } => {
            let payload = read_payload(&file)?;
            match crate::check::check_message(&topic, &payload) {
                Ok(report) => {
                    println!("{report}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(refusal) => {
                    eprintln!("refused: {refusal}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

fn read_payload(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    // Read one byte past the largest allowed payload: enough to say "too large" without
    // holding an arbitrarily large file in memory.
    let limit = nabij_protocol::limits::MAX_PAYLOAD_BYTES as u64 + 1;
    let mut payload = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut payload)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("cannot open {}", file.display()))?
            .take(limit)
            .read_to_end(&mut payload)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(payload)
}
