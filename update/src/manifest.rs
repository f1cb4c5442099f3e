//! The signed manifest, the bundle file and the Ed25519 keys (ring).
//!
//! A bundle is the kiosk binary of a release (the file the `nabij-kiosk` package installs
//! as `/usr/bin/nabij-kiosk`) with a manifest that says what it is — package, version,
//! the oldest version it may replace, architecture, size and SHA-256 — and an Ed25519
//! signature over the manifest's exact bytes. The payload is bound to the signature
//! through its hash, so a changed byte anywhere is refused.
//!
//! The bundle file (`*.nabij-update`):
//! ```text
//! nabij-kiosk-update 1\n
//! <the manifest's JSON bytes, base64>\n
//! <the signature, 64 bytes, base64>\n
//! <the payload>
//! ```

use crate::version::Version;
use nabij_protocol::base64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The first line of every bundle file.
pub const BUNDLE_MAGIC: &str = "nabij-kiosk-update 1";

/// The only package a bundle may carry.
pub const KIOSK_PACKAGE: &str = "nabij-kiosk";

/// The largest payload accepted (a kiosk binary is about 30 MiB in release).
pub const MAX_PAYLOAD_BYTES: u64 = 128 * 1024 * 1024;

/// The largest manifest accepted, in bytes of JSON.
pub const MAX_MANIFEST_BYTES: usize = 2_048;

/// What is signed is this prefix and then the manifest's bytes, so that a signature made
/// with the key can never be taken for one over anything else.
const SIGNING_CONTEXT: &[u8] = b"nabij-kiosk-update-manifest-v1\0";

/// Why an update is refused. Each says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// Not a bundle file, or a damaged one.
    #[error("this is not a kiosk update bundle ({0}); make it again with `nabij-hub update sign`")]
    NotABundle(String),
    /// The manifest's JSON does not hold the fields it must.
    #[error(
        "the update's manifest is not valid ({0}); make the bundle again with `nabij-hub update sign`"
    )]
    BadManifest(String),
    /// The signature does not match the manifest and the trusted key.
    #[error(
        "the update's signature does not match the trusted update key: it was changed, or signed with another key; publish a bundle signed with this hub's key"
    )]
    BadSignature,
    /// The payload is not the one the manifest names.
    #[error(
        "the update's contents differ from what its signature covers ({0}); download it again, or make the bundle again"
    )]
    PayloadMismatch(String),
    /// Not newer than what runs.
    #[error(
        "the update is version {offered}, not newer than the running {running}; sign a newer release"
    )]
    NotNewer {
        /// The bundle's version.
        offered: Version,
        /// The running version.
        running: Version,
    },
    /// Needs a newer kiosk to start from.
    #[error(
        "the update needs at least version {min} to start from, and this tablet runs {running}; install {min} first"
    )]
    TooOld {
        /// The oldest version the bundle may replace.
        min: Version,
        /// The running version.
        running: Version,
    },
    /// Built for another kind of processor.
    #[error("the update is built for {offered} and this tablet is {here}; sign the {here} build")]
    WrongArch {
        /// The bundle's architecture.
        offered: String,
        /// This machine's.
        here: String,
    },
    /// A key file could not be read.
    #[error("{0}")]
    BadKey(String),
}

/// What a release is: the signed part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `nabij-kiosk`.
    pub package: String,
    /// The release's version.
    pub version: Version,
    /// The oldest running version this release may replace.
    pub min_version: Version,
    /// Debian's architecture name: `amd64` or `arm64`.
    pub arch: String,
    /// The payload's size in bytes.
    pub size: u64,
    /// The payload's SHA-256, 64 lower-case hex digits.
    pub sha256: String,
}

impl Manifest {
    /// A manifest for `payload`.
    pub fn describe(payload: &[u8], version: Version, min_version: Version, arch: &str) -> Self {
        Manifest {
            package: KIOSK_PACKAGE.to_owned(),
            version,
            min_version,
            arch: arch.to_owned(),
            size: payload.len() as u64,
            sha256: sha256_hex(payload),
        }
    }

    fn check_fields(&self) -> Result<(), UpdateError> {
        if self.package != KIOSK_PACKAGE {
            return Err(UpdateError::BadManifest(format!(
                "package {:?}, not {KIOSK_PACKAGE}",
                self.package
            )));
        }
        if !matches!(self.arch.as_str(), "amd64" | "arm64" | "armhf") {
            return Err(UpdateError::BadManifest(format!(
                "unknown architecture {:?}",
                self.arch
            )));
        }
        if self.size == 0 || self.size > MAX_PAYLOAD_BYTES {
            return Err(UpdateError::BadManifest(format!(
                "size {} outside 1..={MAX_PAYLOAD_BYTES}",
                self.size
            )));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(UpdateError::BadManifest(
                "sha256 is not 64 hex digits".into(),
            ));
        }
        if self.min_version > self.version {
            return Err(UpdateError::BadManifest(format!(
                "min_version {} is newer than version {}",
                self.min_version, self.version
            )));
        }
        Ok(())
    }

    /// Whether this release may replace `running` on a machine of architecture `here`:
    /// never older or the same, never from older than `min_version`, only for this
    /// processor.
    pub fn allowed_over(&self, running: Version, here: &str) -> Result<(), UpdateError> {
        if self.arch != here {
            return Err(UpdateError::WrongArch {
                offered: self.arch.clone(),
                here: here.to_owned(),
            });
        }
        if self.version <= running {
            return Err(UpdateError::NotNewer {
                offered: self.version,
                running,
            });
        }
        if running < self.min_version {
            return Err(UpdateError::TooOld {
                min: self.min_version,
                running,
            });
        }
        Ok(())
    }

    /// Checks that `payload` is the one this manifest names (size and SHA-256).
    pub fn check_payload(&self, payload: &[u8]) -> Result<(), UpdateError> {
        if payload.len() as u64 != self.size {
            return Err(UpdateError::PayloadMismatch(format!(
                "{} bytes, the manifest says {}",
                payload.len(),
                self.size
            )));
        }
        if sha256_hex(payload) != self.sha256 {
            return Err(UpdateError::PayloadMismatch("its SHA-256 differs".into()));
        }
        Ok(())
    }
}

/// A manifest's bytes and their signature, as they travel (in a bundle file, in the
/// `update_offer` message, in a slot on the tablet). Nothing in it is trusted until
/// [`SignedManifest::verify`] says so.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedManifest {
    bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl fmt::Debug for SignedManifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedManifest")
            .field("manifest", &String::from_utf8_lossy(&self.bytes))
            .finish_non_exhaustive()
    }
}

impl SignedManifest {
    /// From the two base64 fields of a bundle or an `update_offer`.
    pub fn from_base64(manifest: &str, signature: &str) -> Result<Self, UpdateError> {
        let bytes = base64::decode(manifest)
            .map_err(|e| UpdateError::NotABundle(format!("manifest: {e}")))?;
        let signature = base64::decode(signature)
            .map_err(|e| UpdateError::NotABundle(format!("signature: {e}")))?;
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(UpdateError::NotABundle("the manifest is too long".into()));
        }
        if signature.len() != 64 {
            return Err(UpdateError::NotABundle(
                "a signature is 64 bytes".to_owned(),
            ));
        }
        Ok(SignedManifest { bytes, signature })
    }

    /// The manifest, base64.
    pub fn manifest_base64(&self) -> String {
        base64::encode(&self.bytes)
    }

    /// The signature, base64.
    pub fn signature_base64(&self) -> String {
        base64::encode(&self.signature)
    }

    /// The manifest if the signature is `key`'s over its exact bytes, and its fields are
    /// sound.
    pub fn verify(&self, key: &PublicKey) -> Result<Manifest, UpdateError> {
        let mut signed = SIGNING_CONTEXT.to_vec();
        signed.extend_from_slice(&self.bytes);
        UnparsedPublicKey::new(&ED25519, key.0)
            .verify(&signed, &self.signature)
            .map_err(|_| UpdateError::BadSignature)?;
        let manifest: Manifest = serde_json::from_slice(&self.bytes)
            .map_err(|e| UpdateError::BadManifest(e.to_string()))?;
        manifest.check_fields()?;
        Ok(manifest)
    }

    /// The manifest's fields without checking the signature: only to show what an
    /// untrusted bundle claims to be.
    pub fn claims(&self) -> Option<Manifest> {
        serde_json::from_slice(&self.bytes).ok()
    }
}

/// A bundle: the signed manifest and the payload it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The signed manifest.
    pub signed: SignedManifest,
    /// The kiosk binary.
    pub payload: Vec<u8>,
}

impl Bundle {
    /// Signs `payload` as `manifest` with `key`.
    pub fn sign(
        manifest: &Manifest,
        payload: Vec<u8>,
        key: &PrivateKey,
    ) -> Result<Bundle, UpdateError> {
        manifest.check_fields()?;
        manifest.check_payload(&payload)?;
        let bytes =
            serde_json::to_vec(manifest).map_err(|e| UpdateError::BadManifest(e.to_string()))?;
        let mut signed = SIGNING_CONTEXT.to_vec();
        signed.extend_from_slice(&bytes);
        let signature = key.0.sign(&signed).as_ref().to_vec();
        Ok(Bundle {
            signed: SignedManifest { bytes, signature },
            payload,
        })
    }

    /// The bundle file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{BUNDLE_MAGIC}\n{}\n{}\n",
            self.signed.manifest_base64(),
            self.signed.signature_base64()
        )
        .into_bytes();
        out.extend_from_slice(&self.payload);
        out
    }

    /// Reads a bundle file (nothing verified yet).
    pub fn parse(bytes: &[u8]) -> Result<Bundle, UpdateError> {
        let mut rest = bytes;
        let mut line = || -> Result<&str, UpdateError> {
            let end = rest
                .iter()
                .take(8 * 1024)
                .position(|&b| b == b'\n')
                .ok_or_else(|| UpdateError::NotABundle("its header is cut short".into()))?;
            let text = std::str::from_utf8(&rest[..end])
                .map_err(|_| UpdateError::NotABundle("its header is not text".into()))?;
            rest = &rest[end + 1..];
            Ok(text)
        };
        if line()? != BUNDLE_MAGIC {
            return Err(UpdateError::NotABundle(format!(
                "it does not start with {BUNDLE_MAGIC:?}"
            )));
        }
        let manifest = line()?.to_owned();
        let signature = line()?.to_owned();
        let signed = SignedManifest::from_base64(&manifest, &signature)?;
        Ok(Bundle {
            signed,
            payload: rest.to_vec(),
        })
    }

    /// Everything a tablet checks before it installs: the signature with `key`, the
    /// payload against the manifest, and that it may replace `running` here.
    pub fn verify_for(
        &self,
        key: &PublicKey,
        running: Version,
        here: &str,
    ) -> Result<Manifest, UpdateError> {
        let manifest = self.signed.verify(key)?;
        manifest.check_payload(&self.payload)?;
        manifest.allowed_over(running, here)?;
        Ok(manifest)
    }
}

/// An Ed25519 public key that update manifests are checked with. Written as
/// `ed25519:` and its 32 bytes in base64.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519:{}", base64::encode(&self.0))
    }
}

impl std::str::FromStr for PublicKey {
    type Err = UpdateError;

    fn from_str(text: &str) -> Result<PublicKey, UpdateError> {
        let bad = || {
            UpdateError::BadKey(
                "an update key is written `ed25519:` and 44 characters of base64 (from `nabij-hub update keygen`)"
                    .into(),
            )
        };
        let b64 = text.trim().strip_prefix("ed25519:").ok_or_else(bad)?;
        let bytes = base64::decode(b64).map_err(|_| bad())?;
        Ok(PublicKey(bytes.try_into().map_err(|_| bad())?))
    }
}

/// The signing key, kept off the hub (on the release manager's laptop).
pub struct PrivateKey(Ed25519KeyPair);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(public {}, secret not shown)", self.public())
    }
}

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

impl PrivateKey {
    /// A new key from the system's random source, and its PKCS#8 file as PEM text.
    pub fn generate() -> Result<(PrivateKey, String), UpdateError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| UpdateError::BadKey("the system's random source failed".into()))?;
        let key = PrivateKey::from_pkcs8_der(pkcs8.as_ref())?;
        let b64 = base64::encode(pkcs8.as_ref());
        let mut pem = format!("{PEM_BEGIN}\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str(PEM_END);
        pem.push('\n');
        Ok((key, pem))
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, UpdateError> {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(PrivateKey)
            .map_err(|_| {
                UpdateError::BadKey(
                    "the private key is not an Ed25519 key in PKCS#8 (make one with `nabij-hub update keygen`)"
                        .into(),
                )
            })
    }

    /// Reads a PKCS#8 key file, PEM (`BEGIN PRIVATE KEY`) or DER.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<PrivateKey, UpdateError> {
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim_start().starts_with(PEM_BEGIN) => {
                let body: String = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with("-----"))
                    .collect();
                let der = base64::decode(&body).map_err(|_| {
                    UpdateError::BadKey("the private key's PEM text is not valid base64".into())
                })?;
                PrivateKey::from_pkcs8_der(&der)
            }
            _ => PrivateKey::from_pkcs8_der(bytes),
        }
    }

    /// The public half, for the hub and the tablets.
    pub fn public(&self) -> PublicKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.0.public_key().as_ref());
        PublicKey(bytes)
    }
}

/// SHA-256 of `bytes` as 64 lower-case hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This machine's architecture in Debian's words (what a manifest's `arch` says).
pub fn this_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "armhf",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().expect("version")
    }

    fn signed(version: &str, min: &str) -> (Bundle, PublicKey) {
        let (key, _) = PrivateKey::generate().expect("key");
        let payload = b"\x7fELF pretend kiosk binary".repeat(100);
        let manifest = Manifest::describe(&payload, v(version), v(min), "amd64");
        (
            Bundle::sign(&manifest, payload, &key).expect("sign"),
            key.public(),
        )
    }

    #[test]
    fn a_signed_newer_bundle_is_accepted_through_its_file() {
        let (bundle, key) = signed("0.2.0", "0.1.0");
        let read = Bundle::parse(&bundle.to_bytes()).expect("parse");
        assert_eq!(read, bundle);
        let manifest = read.verify_for(&key, v("0.1.0"), "amd64").expect("verify");
        assert_eq!(manifest.version, v("0.2.0"));
        assert_eq!(manifest.size, bundle.payload.len() as u64);
    }

    #[test]
    fn another_keys_signature_is_refused() {
        let (bundle, _) = signed("0.2.0", "0.1.0");
        let (other, _) = PrivateKey::generate().expect("key");
        assert_eq!(
            bundle.verify_for(&other.public(), v("0.1.0"), "amd64"),
            Err(UpdateError::BadSignature)
        );
    }

    #[test]
    fn a_changed_byte_anywhere_is_refused() {
        let (bundle, key) = signed("0.2.0", "0.1.0");
        let bytes = bundle.to_bytes();
        // Every byte of the header and a spread of the payload, each flipped alone.
        let header = bytes.len() - bundle.payload.len();
        let positions = (0..header).chain((header..bytes.len()).step_by(97));
        for at in positions {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            let outcome =
                Bundle::parse(&changed).and_then(|b| b.verify_for(&key, v("0.1.0"), "amd64"));
            assert!(outcome.is_err(), "byte {at} changed and still accepted");
        }
        // The payload's last byte, cut or added to.
        let mut cut = bytes.clone();
        cut.pop();
        let outcome = Bundle::parse(&cut).and_then(|b| b.verify_for(&key, v("0.1.0"), "amd64"));
        assert!(
            matches!(outcome, Err(UpdateError::PayloadMismatch(_))),
            "{outcome:?}"
        );
        let mut longer = bytes;
        longer.push(0);
        let outcome = Bundle::parse(&longer).and_then(|b| b.verify_for(&key, v("0.1.0"), "amd64"));
        assert!(
            matches!(outcome, Err(UpdateError::PayloadMismatch(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn older_same_and_too_new_a_start_are_refused() {
        let (bundle, key) = signed("0.2.0", "0.1.5");
        assert_eq!(
            bundle.verify_for(&key, v("0.3.0"), "amd64"),
            Err(UpdateError::NotNewer {
                offered: v("0.2.0"),
                running: v("0.3.0")
            })
        );
        assert_eq!(
            bundle.verify_for(&key, v("0.2.0"), "amd64"),
            Err(UpdateError::NotNewer {
                offered: v("0.2.0"),
                running: v("0.2.0")
            })
        );
        assert_eq!(
            bundle.verify_for(&key, v("0.1.0"), "amd64"),
            Err(UpdateError::TooOld {
                min: v("0.1.5"),
                running: v("0.1.0")
            })
        );
        assert!(matches!(
            bundle.verify_for(&key, v("0.1.5"), "arm64"),
            Err(UpdateError::WrongArch { .. })
        ));
    }

    #[test]
    fn keys_round_trip_through_their_files() {
        let (key, pem) = PrivateKey::generate().expect("key");
        let again = PrivateKey::from_file_bytes(pem.as_bytes()).expect("pem");
        assert_eq!(again.public(), key.public());
        let public: PublicKey = key.public().to_string().parse().expect("public");
        assert_eq!(public, key.public());
        assert!(format!("{key:?}").contains("secret not shown"));
        assert!(PrivateKey::from_file_bytes(b"not a key").is_err());
        assert!("ed25519:AAAA".parse::<PublicKey>().is_err());
    }

    #[test]
    fn the_protocol_docs_example_offer_is_genuinely_signed() {
        // docs/protocol.md §6.25: its key, manifest and signature.
        let key: PublicKey = "ed25519:A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
            .parse()
            .expect("key");
        let signed = SignedManifest::from_base64(
            "eyJwYWNrYWdlIjoibmFiaWota2lvc2siLCJ2ZXJzaW9uIjoiMC4yLjAiLCJtaW5fdmVyc2lvbiI6IjAuMS4wIiwiYXJjaCI6ImFybTY0Iiwic2l6ZSI6NDcsInNoYTI1NiI6ImFiYWY0YTgxM2M4NWVhYjBjYjlkZjAwZTM2MTJjNDYyMDMyNmIxM2U2MDc5ZjFiZWZlZmEyNDRlYjI2ZWQwNDMifQ==",
            "WG9PWiMvv6pjrnK2YHirF96Lv0ejmGi7PGjty/1knNXdBEMyUto9zWoXkyMaD7IH2U1rdC3QfVoLXcySPNUrDQ==",
        )
        .expect("signed");
        let manifest = signed.verify(&key).expect("verified");
        let part =
            base64::decode("f0VMRmFuIGV4YW1wbGUga2lvc2sgYmluYXJ5LCA0OCBieXRlcyBsb25nLi4uLi4=")
                .expect("part");
        manifest
            .check_payload(&part)
            .expect("the example part is the whole payload");
        assert_eq!(manifest.version, v("0.2.0"));
    }

    #[test]
    fn unsound_manifests_cannot_be_signed() {
        let (key, _) = PrivateKey::generate().expect("key");
        let payload = vec![1u8; 10];
        let mut manifest = Manifest::describe(&payload, v("0.2.0"), v("0.3.0"), "amd64");
        assert!(Bundle::sign(&manifest, payload.clone(), &key).is_err());
        manifest.min_version = v("0.1.0");
        manifest.package = "something-else".into();
        assert!(Bundle::sign(&manifest, payload, &key).is_err());
    }
}
