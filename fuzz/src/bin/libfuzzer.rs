//! The libFuzzer entry point, built by `cargo xtask fuzz` with the coverage
//! instrumentation and the `libfuzzer` feature. One binary for every target (one link of
//! the whole workspace, not eight): `NABIJ_FUZZ_TARGET` names the one to run.

#![no_main]

use std::sync::OnceLock;

fn selected() -> &'static nabij_fuzz::Target {
    static TARGET: OnceLock<&'static nabij_fuzz::Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let name = std::env::var("NABIJ_FUZZ_TARGET").unwrap_or_default();
        nabij_fuzz::target(&name).unwrap_or_else(|| {
            eprintln!("NABIJ_FUZZ_TARGET={name:?} is no target; `nabij-fuzz list` lists them");
            std::process::exit(2)
        })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| (selected().run)(data));
