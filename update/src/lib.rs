//! Signed kiosk updates. [`manifest`]: what a release is, signed with Ed25519 (ring) on
//! the release manager's laptop and checked by the hub, the tablet and the updater;
//! [`slots`]: the tablet's two kiosk slots and the switch between them, with a trial that
//! rolls back by itself unless the new kiosk confirms it reached the hub and drew its home
//! screen; [`inbox`]: the files through which the (unprivileged) kiosk and the (root)
//! updater talk. The binary `nabij-kiosk-updater` is the small root unit that runs them.
//!
//! No network, no async runtime, no UI: the updater runs as root, so it stays small.

pub mod download;
pub mod inbox;
pub mod manifest;
pub mod slots;
mod version;

pub use manifest::{Bundle, Manifest, PrivateKey, PublicKey, SignedManifest, UpdateError};
pub use version::{BadVersion, Version};
