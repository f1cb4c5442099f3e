//! The kiosk's side of an update (docs/protocol.md §6.25), as plain code over its
//! hand-over folder: check an offer, fetch its parts in order (kept on disk, so a restart
//! goes on where it stopped), check the whole, hand it to the updater at a quiet time,
//! confirm a version on trial, and report every step and the updater's outcome. It
//! answers with the messages to send; the kiosk's link sends them.

use crate::inbox::{Inbox, UpdaterView};
use crate::manifest::{Bundle, PublicKey, SignedManifest, sha256_hex};
use crate::slots::OutcomeState;
use crate::version::Version;
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::limits::UPDATE_PART_BYTES;
use nabij_protocol::{UpdateFetch, UpdateOffer, UpdatePart, UpdateReport, UpdateState};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

/// A message for the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Ask for a part.
    Fetch(UpdateFetch),
    /// Say how it goes.
    Report(UpdateReport),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Offer {
    manifest: String,
    signature: String,
    version: Version,
    sha256: String,
    size: u64,
}

/// The kiosk's update work, over its hand-over folder.
#[derive(Debug, Clone)]
pub struct Fetcher {
    inbox: Inbox,
    key: PublicKey,
    running: Version,
    arch: String,
}

fn report(version: Version, state: UpdateState, reason: Option<String>) -> Said {
    Said::Report(UpdateReport {
        version: version.to_string(),
        state,
        reason: reason.map(|r| {
            r.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(500)
                .collect()
        }),
    })
}

impl Fetcher {
    /// A kiosk running `running` on `arch`, trusting `key`, with its hand-over folder.
    pub fn new(inbox: Inbox, key: PublicKey, running: Version, arch: &str) -> Fetcher {
        Fetcher {
            inbox,
            key,
            running,
            arch: arch.to_owned(),
        }
    }

    /// The version this kiosk runs.
    pub fn running(&self) -> Version {
        self.running
    }

    fn offer_path(&self) -> std::path::PathBuf {
        self.inbox.dir().join("offer.json")
    }

    fn offer(&self) -> Option<Offer> {
        let bytes = std::fs::read(self.offer_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn have(&self) -> u64 {
        std::fs::metadata(self.inbox.partial())
            .map(|m| m.len())
            .unwrap_or(0)
    }

    fn forget(&self) {
        let _ = std::fs::remove_file(self.offer_path());
        let _ = std::fs::remove_file(self.inbox.partial());
    }

    fn next_fetch(&self, offer: &Offer) -> Option<Said> {
        let have = self.have();
        (have < offer.size).then(|| {
            Said::Fetch(UpdateFetch {
                sha256: offer.sha256.clone(),
                // Whole parts only: a part cut short by a crash is fetched again whole.
                offset: have - have % UPDATE_PART_BYTES as u64,
            })
        })
    }

    /// An offer from the hub: checked with the trusted key and against what runs here;
    /// the download starts (or goes on, for the same release).
    pub fn on_offer(&mut self, offer: &UpdateOffer) -> io::Result<Vec<Said>> {
        let signed = match SignedManifest::from_base64(
            &nabij_protocol::base64::encode(&offer.manifest.0),
            &nabij_protocol::base64::encode(&offer.signature.0),
        ) {
            Ok(signed) => signed,
            Err(e) => {
                return Ok(vec![report(
                    Version::new(0, 0, 0),
                    UpdateState::Refused,
                    Some(e.to_string()),
                )]);
            }
        };
        let claimed = signed.claims().map_or(Version::new(0, 0, 0), |m| m.version);
        let manifest = match signed
            .verify(&self.key)
            .and_then(|m| m.allowed_over(self.running, &self.arch).map(|()| m))
        {
            Ok(manifest) => manifest,
            Err(refused) => {
                return Ok(vec![report(
                    claimed,
                    UpdateState::Refused,
                    Some(refused.to_string()),
                )]);
            }
        };
        if self.offer().is_some_and(|o| o.sha256 == manifest.sha256) {
            return Ok(self.resume());
        }
        std::fs::create_dir_all(self.inbox.dir())?;
        self.forget();
        let kept = Offer {
            manifest: signed.manifest_base64(),
            signature: signed.signature_base64(),
            version: manifest.version,
            sha256: manifest.sha256.clone(),
            size: manifest.size,
        };
        let json = serde_json::to_vec(&kept).map_err(io::Error::other)?;
        std::fs::write(self.offer_path(), json)?;
        std::fs::File::create(self.inbox.partial())?;
        let mut said = vec![report(manifest.version, UpdateState::Downloading, None)];
        said.extend(self.next_fetch(&kept));
        Ok(said)
    }

    /// What to ask for after (re)connecting: the next part of a download under way.
    pub fn resume(&self) -> Vec<Said> {
        self.offer()
            .and_then(|offer| self.next_fetch(&offer))
            .into_iter()
            .collect()
    }

    /// A part from the hub: kept when it is the next one; when the last one came, the
    /// whole is checked.
    pub fn on_part(&mut self, part: &UpdatePart) -> io::Result<Vec<Said>> {
        let Some(offer) = self.offer().filter(|o| o.sha256 == part.sha256) else {
            return Ok(Vec::new());
        };
        let have = self.have();
        let at = have - have % UPDATE_PART_BYTES as u64;
        if part.offset != at || at + part.data.0.len() as u64 > offer.size {
            return Ok(self.next_fetch(&offer).into_iter().collect());
        }
        {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(self.inbox.partial())?;
            file.set_len(at)?;
            let mut file = io::BufWriter::new(file);
            use std::io::Seek;
            file.seek(io::SeekFrom::Start(at))?;
            file.write_all(&part.data.0)?;
            file.into_inner().map_err(|e| e.into_error())?.sync_data()?;
        }
        if self.have() < offer.size {
            return Ok(self.next_fetch(&offer).into_iter().collect());
        }
        let payload = std::fs::read(self.inbox.partial())?;
        if sha256_hex(&payload) != offer.sha256 {
            self.forget();
            return Ok(vec![report(
                offer.version,
                UpdateState::Refused,
                Some("the downloaded update differs from what its signature covers; publish it again".into()),
            )]);
        }
        Ok(vec![report(offer.version, UpdateState::Ready, None)])
    }

    /// Whether a checked download waits for a quiet time.
    pub fn ready(&self) -> bool {
        self.offer().is_some_and(|o| self.have() == o.size) && !self.inbox.requested()
    }

    /// At a quiet time: hands the download to the updater (which restarts the kiosk).
    pub fn install(&mut self) -> io::Result<Vec<Said>> {
        let Some(offer) = self.offer().filter(|o| self.have() == o.size) else {
            return Ok(Vec::new());
        };
        let signed = SignedManifest::from_base64(&offer.manifest, &offer.signature)
            .map_err(io::Error::other)?;
        let payload = std::fs::read(self.inbox.partial())?;
        let bundle = Bundle { signed, payload };
        self.inbox.hand_over(&bundle.to_bytes())?;
        self.forget();
        Ok(vec![report(offer.version, UpdateState::Installing, None)])
    }

    /// After the kiosk reached the hub and drew its home screen: confirms a version on
    /// trial, and reports the updater's last outcome once (a rollback, a refusal).
    pub fn after_start(&mut self, view: &UpdaterView) -> io::Result<Vec<Said>> {
        let mut said = Vec::new();
        if let Some(version) = view.on_trial() {
            self.inbox.confirm(version)?;
            said.push(report(version, UpdateState::Installed, None));
        }
        if let Some(last) = &view.state.last {
            let reported = self.inbox.dir().join("reported");
            // The whole outcome, not its second: two refusals may share one.
            let mark = serde_json::to_string(last).map_err(io::Error::other)?;
            let before = std::fs::read_to_string(&reported).unwrap_or_default();
            if before.trim() != mark {
                let state = match last.state {
                    OutcomeState::Installed => None,
                    OutcomeState::RolledBack => Some(UpdateState::RolledBack),
                    OutcomeState::Refused => Some(UpdateState::Refused),
                };
                if let (Some(state), Some(version)) = (state, last.version) {
                    said.push(report(version, state, last.reason.clone()));
                }
                std::fs::create_dir_all(self.inbox.dir())?;
                std::fs::write(&reported, mark)?;
            }
        }
        Ok(said)
    }
}

/// A part as the hub sends it (for tests and the hub's own checks).
pub fn part(sha256: &str, offset: u64, data: &[u8]) -> UpdatePart {
    UpdatePart {
        sha256: sha256.to_owned(),
        offset,
        data: Base64Bytes(data.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Manifest, PrivateKey};

    fn v(t: &str) -> Version {
        t.parse().expect("version")
    }

    fn offer_of(bundle: &Bundle) -> UpdateOffer {
        UpdateOffer {
            manifest: Base64Bytes(
                nabij_protocol::base64::decode(&bundle.signed.manifest_base64()).expect("b64"),
            ),
            signature: Base64Bytes(
                nabij_protocol::base64::decode(&bundle.signed.signature_base64()).expect("b64"),
            ),
        }
    }

    #[test]
    fn a_download_resumes_after_a_restart_and_is_handed_over_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let (key, _) = PrivateKey::generate().expect("key");
        let payload: Vec<u8> = (0..(UPDATE_PART_BYTES * 2 + 1000))
            .map(|i| (i % 251) as u8)
            .collect();
        let manifest = Manifest::describe(&payload, v("0.2.0"), v("0.1.0"), "amd64");
        let bundle = Bundle::sign(&manifest, payload.clone(), &key).expect("sign");
        let inbox = Inbox::new(dir.path().join("update"));
        let mut fetcher = Fetcher::new(inbox.clone(), key.public(), v("0.1.0"), "amd64");
        let said = fetcher.on_offer(&offer_of(&bundle)).expect("offer");
        assert!(matches!(&said[0], Said::Report(r) if r.state == UpdateState::Downloading));
        assert!(matches!(&said[1], Said::Fetch(f) if f.offset == 0));
        let said = fetcher
            .on_part(&part(&manifest.sha256, 0, &payload[..UPDATE_PART_BYTES]))
            .expect("part");
        assert_eq!(
            said,
            vec![Said::Fetch(UpdateFetch {
                sha256: manifest.sha256.clone(),
                offset: UPDATE_PART_BYTES as u64
            })]
        );
        // A restart: a new fetcher over the same folder goes on at the second part.
        let mut fetcher = Fetcher::new(inbox.clone(), key.public(), v("0.1.0"), "amd64");
        assert_eq!(fetcher.resume(), said);
        // A part out of order is not kept.
        let again = fetcher
            .on_part(&part(&manifest.sha256, 0, &payload[..UPDATE_PART_BYTES]))
            .expect("part");
        assert_eq!(again, said);
        let mut last = Vec::new();
        for offset in [UPDATE_PART_BYTES, UPDATE_PART_BYTES * 2] {
            let end = (offset + UPDATE_PART_BYTES).min(payload.len());
            last = fetcher
                .on_part(&part(
                    &manifest.sha256,
                    offset as u64,
                    &payload[offset..end],
                ))
                .expect("part");
        }
        assert!(matches!(&last[0], Said::Report(r) if r.state == UpdateState::Ready));
        assert!(fetcher.ready());
        let said = fetcher.install().expect("install");
        assert!(matches!(&said[0], Said::Report(r) if r.state == UpdateState::Installing));
        let handed = inbox.request().expect("take").expect("requested");
        assert_eq!(Bundle::parse(&handed).expect("bundle"), bundle);
    }

    #[test]
    fn offers_that_are_not_signed_by_the_key_or_not_newer_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let (key, _) = PrivateKey::generate().expect("key");
        let (stranger, _) = PrivateKey::generate().expect("key");
        let payload = vec![7u8; 100];
        let inbox = Inbox::new(dir.path().join("update"));
        let mut fetcher = Fetcher::new(inbox, key.public(), v("0.2.0"), "amd64");
        for (signer, version, why) in [
            (&stranger, "0.3.0", "signature"),
            (&key, "0.1.0", "not newer"),
            (&key, "0.2.0", "not newer"),
        ] {
            let manifest = Manifest::describe(&payload, v(version), v("0.1.0"), "amd64");
            let bundle = Bundle::sign(&manifest, payload.clone(), signer).expect("sign");
            let said = fetcher.on_offer(&offer_of(&bundle)).expect("offer");
            assert!(
                matches!(&said[..], [Said::Report(r)] if r.state == UpdateState::Refused
                    && r.reason.as_deref().is_some_and(|w| w.contains(why))),
                "{version}: {said:?}"
            );
            assert!(!fetcher.ready());
        }
    }
}
