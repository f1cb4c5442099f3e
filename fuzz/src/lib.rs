//! Fuzz targets for everything Nabij reads from outside: what tablets and the hub send
//! each other, the dashboard's forms, and the files the hub and the kiosk read at start.
//!
//! Each target is a plain function over bytes that panics when an invariant breaks (not
//! only when the code under test panics): decode → encode → decode gives the same value,
//! whatever the hub publishes a kiosk would accept, a message is answered once and never
//! delivered twice, a file that loads writes back to what it read, and so on. Two engines
//! drive them (`docs/fuzzing.md`): libFuzzer, coverage-guided, in the instrumented build
//! that `cargo xtask fuzz` makes (`src/bin/libfuzzer.rs`), and the small mutator in
//! [`mutate`], which `cargo xtask test` runs briefly from the checked-in corpus with the
//! ordinary build.

mod files;
#[cfg(feature = "hub")]
mod hub;
pub mod input;
#[cfg(feature = "kiosk")]
mod kiosk;
pub mod mutate;
mod protocol;
#[cfg(feature = "hub")]
mod web;

use std::sync::LazyLock;

/// One fuzz target: a name (its corpus is `fuzz/corpus/<name>/`) and the function that
/// takes one input.
pub struct Target {
    /// The name on the command line and of the corpus folder.
    pub name: &'static str,
    /// What it feeds and what it checks, in a line.
    pub about: &'static str,
    /// The crate feature it needs (`hub`, `kiosk`), or none.
    pub needs: Option<&'static str>,
    /// Runs one input; panics when an invariant breaks.
    pub run: fn(&[u8]),
}

/// Every target built in (all of them with the default features), in the order
/// `cargo xtask fuzz` runs them.
pub static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
    #[allow(unused_mut)] // without features, only the targets that need none
    let mut targets = vec![
        Target {
            name: "protocol_decode",
            about: "nabij_protocol::decode on any topic; decode → encode → decode is the same envelope",
            needs: None,
            run: protocol::decode,
        },
        Target {
            name: "po_catalogue",
            about: "a .po file through nabij-i18n's reader, writer and catalogue",
            needs: None,
            run: files::po,
        },
    ];
    #[cfg(feature = "hub")]
    targets.extend([
        Target {
            name: "hub_inbound",
            about: "a batch of tablet messages through the hub's receive path, then the same batch again",
            needs: Some("hub"),
            run: hub::inbound,
        },
        Target {
            name: "web_forms",
            about: "a logged-in coach's or admin's request through the dashboard's router",
            needs: Some("hub"),
            run: web::forms,
        },
        Target {
            name: "hub_config",
            about: "hub.toml through HubConfig::from_toml",
            needs: Some("hub"),
            run: files::hub_config,
        },
    ]);
    #[cfg(feature = "kiosk")]
    targets.extend([
        Target {
            name: "kiosk_link",
            about: "hub messages through the kiosk's link rules, its screen state and its photo decoder",
            needs: Some("kiosk"),
            run: kiosk::link,
        },
        Target {
            name: "kiosk_settings",
            about: "the kiosk settings file (from `nabij-hub kiosk-settings`) through HubSettings::parse",
            needs: Some("kiosk"),
            run: files::kiosk_settings,
        },
        Target {
            name: "firmware_profile",
            about: "a firmware profile through Profile::from_toml; a loaded profile's sizes are usable",
            needs: Some("kiosk"),
            run: files::firmware_profile,
        },
    ]);
    targets
});

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
