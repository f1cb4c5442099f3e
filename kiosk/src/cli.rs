//! The command line.

use clap::{Parser, Subcommand};
use nabij_protocol::DeviceId;

/// The Nabij kiosk: the tablet app seniors use.
#[derive(Debug, Parser)]
#[command(name = "nabij-kiosk", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The kiosk's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the MQTT topics an enrolled tablet uses, with direction, QoS and retain flag.
    Topics {
        /// The tablet's device id, e.g. d-7f3a9c2e.
        #[arg(long, value_parser = parse_device_id)]
        device: DeviceId,
    },
}

fn parse_device_id(text: &str) -> Result<DeviceId, String> {
    DeviceId::parse(text).map_err(|e| e.to_string())
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Topics { device } => {
            for line in crate::topics::describe(&device) {
                println!("{line}");
            }
            Ok(())
        }
    }
}
