//! `nabij-kiosk`: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = nabij_kiosk::cli::Cli::parse();
    match nabij_kiosk::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nabij-kiosk: {error:#}");
            ExitCode::FAILURE
        }
    }
}
