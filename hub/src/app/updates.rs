//! Kiosk updates: the trusted key, publishing a signed release to some tablets (a pilot
//! group) or all, the parts tablets fetch, and what they report. Each operation once,
//! for the command line and the dashboard alike.
//!
//! A release's payload is a file in `data_dir/updates/`, named by its SHA-256 (like
//! media), written and fsync'd with its folder before the commit that names it.

use super::{AppError, Effects, Hub, hub_envelope, tables};
use crate::domain::updates::{DeviceUpdate, Release, newer};
use crate::store::Tx;
use nabij_protocol::base64::Base64Bytes;
use nabij_protocol::limits::UPDATE_PART_BYTES;
use nabij_protocol::{
    Body, DeviceId, Envelope, Topic, UnixMillis, UpdateFetch, UpdateOffer, UpdatePart, UpdateReport,
};
use nabij_update::{Bundle, PublicKey};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Published {
    /// The release.
    pub version: String,
    /// Its SHA-256.
    pub sha256: String,
    /// The tablets it was offered to now.
    pub offered: Vec<DeviceId>,
    /// The tablets left out, each with why.
    pub skipped: Vec<(DeviceId, String)>,
}

/// Which tablets a release goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// These (a pilot group).
    Some(Vec<DeviceId>),
    /// Every tablet lent out.
    All,
}

const KEY: &str = "trusted";

impl Hub {
    fn updates_dir(&self) -> PathBuf {
        self.config().data_dir.join("updates")
    }

    /// The public key releases must be signed with, if the hub has one.
    pub fn update_key(&self) -> Result<Option<PublicKey>, AppError> {
        match self.tx().get(tables::UPDATE_KEY, KEY)? {
            Some(text) => Ok(Some(text.parse::<PublicKey>().map_err(AppError::Update)?)),
            None => Ok(None),
        }
    }

    /// Trusts `key` for releases from now on (the tablets learn it from their settings
    /// file, `kiosk-settings`).
    pub async fn trust_update_key(&self, key: &str) -> Result<PublicKey, AppError> {
        let key: PublicKey = key.parse().map_err(AppError::Update)?;
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        tx.put(tables::UPDATE_KEY, KEY, &key.to_string())?;
        tx.commit().await?;
        tracing::info!(%key, "update key trusted");
        Ok(key)
    }

    /// Releases held, newest first, and every tablet's update, by device.
    pub fn releases(&self) -> Result<Vec<Release>, AppError> {
        let mut releases = self.tx().all(tables::RELEASES)?;
        releases.sort_by(|a, b| {
            if newer(&a.version, &b.version) {
                std::cmp::Ordering::Less
            } else if newer(&b.version, &a.version) {
                std::cmp::Ordering::Greater
            } else {
                b.published_at.cmp(&a.published_at)
            }
        });
        Ok(releases)
    }

    /// Checks a signed bundle with the trusted key, keeps it, and offers it to
    /// `rollout`: every tablet lent out there that runs an older version and has not
    /// got this release already.
    pub async fn publish_update(
        &self,
        bundle: Vec<u8>,
        rollout: Rollout,
    ) -> Result<Published, AppError> {
        let key = self.update_key()?.ok_or(AppError::NoUpdateKey)?;
        let bundle = Bundle::parse(&bundle).map_err(AppError::Update)?;
        let manifest = bundle.signed.verify(&key).map_err(AppError::Update)?;
        manifest
            .check_payload(&bundle.payload)
            .map_err(AppError::Update)?;
        let dir = self.updates_dir();
        let name = manifest.sha256.clone();
        let payload = bundle.payload;
        super::off_async_threads(move || {
            std::fs::create_dir_all(&dir).map_err(crate::store::StoreError::Io)?;
            let path = dir.join(&name);
            let whole = std::fs::metadata(&path).is_ok_and(|m| m.len() == payload.len() as u64);
            if !whole {
                crate::files::write_private(&path, &payload)
                    .map_err(crate::store::StoreError::Io)?;
            }
            Ok(())
        })
        .await?;
        let mut fx = Effects::default();
        let published = {
            let _write = self.inner.write.lock().await;
            let mut tx = self.tx();
            let now = crate::clock::now();
            let mut release = tx
                .get(tables::RELEASES, &manifest.sha256)?
                .unwrap_or_else(|| Release {
                    version: manifest.version.to_string(),
                    min_version: manifest.min_version.to_string(),
                    arch: manifest.arch.clone(),
                    size: manifest.size,
                    sha256: manifest.sha256.clone(),
                    manifest: bundle.signed.manifest_base64(),
                    signature: bundle.signed.signature_base64(),
                    published_at: now,
                    offered_to: Vec::new(),
                });
            let targets: Vec<DeviceId> = match rollout {
                Rollout::Some(ids) => ids,
                Rollout::All => tx.all(tables::DEVICES)?.into_iter().map(|d| d.id).collect(),
            };
            let mut offered = Vec::new();
            let mut skipped = Vec::new();
            for id in targets {
                let device = tx
                    .get(tables::DEVICES, id.as_str())?
                    .ok_or_else(|| AppError::NoDevice(id.to_string()))?;
                if !device.state.receives_messages() {
                    skipped.push((id, "not lent out".to_owned()));
                    continue;
                }
                if !newer(&release.version, &device.app_version) {
                    skipped.push((id, format!("runs {} already", device.app_version)));
                    continue;
                }
                if let Some(current) = tx.get(tables::DEVICE_UPDATES, id.as_str())?
                    && current.sha256 == release.sha256
                {
                    skipped.push((id, "offered already".to_owned()));
                    continue;
                }
                let envelope = offer(&release)?;
                self.queue(&mut tx, &mut fx, &id, &envelope)?;
                tx.put(
                    tables::DEVICE_UPDATES,
                    id.as_str(),
                    &DeviceUpdate {
                        version: release.version.clone(),
                        sha256: release.sha256.clone(),
                        state: None,
                        reason: None,
                        at: now,
                    },
                )?;
                if !release.offered_to.contains(&id) {
                    release.offered_to.push(id.clone());
                }
                offered.push(id);
            }
            tx.put(tables::RELEASES, &release.sha256, &release)?;
            tx.commit().await?;
            Published {
                version: release.version,
                sha256: release.sha256,
                offered,
                skipped,
            }
        };
        self.finish(fx).await;
        tracing::info!(
            version = %published.version,
            offered = published.offered.len(),
            "kiosk update published"
        );
        Ok(published)
    }

    /// A tablet asks for a part of a release offered to it: answered from the file.
    pub(crate) fn on_update_fetch(
        &self,
        tx: &Tx,
        fx: &mut Effects,
        device: &DeviceId,
        fetch: &UpdateFetch,
    ) -> Result<(), AppError> {
        let Some(release) = tx.get(tables::RELEASES, &fetch.sha256)? else {
            tracing::warn!(%device, "a part of a release this hub does not hold asked for");
            return Ok(());
        };
        if !release.offered_to.contains(device) || fetch.offset >= release.size {
            tracing::warn!(%device, offset = fetch.offset, "a part not offered to this tablet asked for");
            return Ok(());
        }
        let len = (release.size - fetch.offset).min(UPDATE_PART_BYTES as u64) as usize;
        let mut data = vec![0u8; len];
        let path = self.updates_dir().join(&release.sha256);
        let read = std::fs::File::open(&path).and_then(|mut file| {
            file.seek(SeekFrom::Start(fetch.offset))?;
            file.read_exact(&mut data)
        });
        if let Err(e) = read {
            tracing::error!(path = %path.display(), error = %e, "an update's file cannot be read; publish it again");
            return Ok(());
        }
        fx.reply(
            Topic::DeviceDown(device.clone()),
            Body::UpdatePart(UpdatePart {
                sha256: release.sha256,
                offset: fetch.offset,
                data: Base64Bytes(data),
            }),
        )?;
        Ok(())
    }

    /// A tablet says how its update goes.
    pub(crate) fn on_update_report(
        tx: &mut Tx,
        device: &DeviceId,
        report: &UpdateReport,
        now: UnixMillis,
    ) -> Result<(), AppError> {
        let sha256 = tx
            .get(tables::DEVICE_UPDATES, device.as_str())?
            .filter(|u| u.version == report.version)
            .map(|u| u.sha256)
            .unwrap_or_default();
        tracing::info!(%device, version = %report.version, state = ?report.state, reason = report.reason.as_deref().unwrap_or(""), "update report");
        tx.put(
            tables::DEVICE_UPDATES,
            device.as_str(),
            &DeviceUpdate {
                version: report.version.clone(),
                sha256,
                state: Some(report.state),
                reason: report.reason.clone(),
                at: now,
            },
        )?;
        Ok(())
    }

    /// Where a tablet is with its latest update.
    pub fn device_update(&self, device: &DeviceId) -> Result<Option<DeviceUpdate>, AppError> {
        Ok(self.tx().get(tables::DEVICE_UPDATES, device.as_str())?)
    }
}

fn offer(release: &Release) -> Result<Envelope, AppError> {
    let decode = |text: &str| {
        nabij_protocol::base64::decode(text)
            .map(Base64Bytes)
            .map_err(|e| AppError::BadMessage(format!("a stored release: {e}")))
    };
    Ok(hub_envelope(Body::UpdateOffer(UpdateOffer {
        manifest: decode(&release.manifest)?,
        signature: decode(&release.signature)?,
    }))?)
}
