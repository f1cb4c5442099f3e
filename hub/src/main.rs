//! `nabij-hub`: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = nabij_hub::cli::Cli::parse();
    match nabij_hub::cli::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("nabij-hub: {error:#}");
            ExitCode::FAILURE
        }
    }
}
