//! `nabij-hub`: parses the command line, sets up logging, and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything the hub writes is its owner's only: the database, keys, logs of the
    // broker, exports (docs/security.md, "Data at rest").
    nabij_hub::files::private_umask();
    let cli = nabij_hub::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NABIJ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("nabij-hub: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(nabij_hub::cli::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("nabij-hub: {error:#}");
            ExitCode::FAILURE
        }
    }
}
