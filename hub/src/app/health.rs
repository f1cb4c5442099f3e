//! The hub's health at a glance, the one use case behind `nabij-hub status`, the admins'
//! Status page and `/metrics`: the broker, the store, the data folder's disk, the server
//! certificate, the last backup and the lent tablets, each with a `Level`
//! (`domain::health` holds the rules).

use super::{Hub, off_async_threads, tables};
use crate::clock;
use crate::domain::health::{self, Fleet, Level};
use nabij_protocol::UnixMillis;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How long the broker has to pass the hub's own message back before it counts as down.
const BROKER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(6);

/// Free and total space of the disk that holds the data folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpace {
    /// Bytes the hub may still write.
    pub free_bytes: u64,
    /// The disk's size in bytes.
    pub total_bytes: u64,
}

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// Its name in the backup folder.
    pub name: String,
    /// When it was written.
    pub made_at: UnixMillis,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Everything `nabij-hub status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// When it was looked at.
    pub at: UnixMillis,
    /// How long the broker took to pass the hub's own message back, in microseconds
    /// (`None`: it did not within a few seconds: tablets cannot reach the hub).
    pub broker_answer_us: Option<u64>,
    /// Why the store takes no changes or could not be read; `None` when it is healthy.
    pub store_problem: Option<String>,
    /// The data folder.
    pub data_folder: PathBuf,
    /// Its disk's space, or why it could not be read.
    pub disk: Result<DiskSpace, String>,
    /// When the server certificate (broker and dashboard) ends, or why it could not be
    /// read.
    pub certificate_ends: Result<UnixMillis, String>,
    /// The hub renews its certificate this many days before it ends.
    pub renew_within_days: u64,
    /// Where the backups are (`health.backup_folder`).
    pub backup_folder: PathBuf,
    /// The newest backup there, or why the folder could not be read (`Ok(None)`: no
    /// backup yet).
    pub last_backup: Result<Option<BackupFile>, String>,
    /// The lent tablets (`None` when the store could not be read).
    pub tablets: Option<Fleet>,
    /// After how many days without a word a tablet counts as silent.
    pub silent_after_days: u32,
}

impl Health {
    /// The broker: it must pass messages on.
    pub fn broker_level(&self) -> Level {
        if self.broker_answer_us.is_some() {
            Level::Good
        } else {
            Level::Problem
        }
    }

    /// The store: it must take changes.
    pub fn store_level(&self) -> Level {
        if self.store_problem.is_none() {
            Level::Good
        } else {
            Level::Problem
        }
    }

    /// The data folder's free space.
    pub fn disk_level(&self) -> Level {
        match &self.disk {
            Ok(disk) => health::disk_level(disk.free_bytes, disk.total_bytes),
            Err(_) => Level::Warning,
        }
    }

    /// The server certificate's end.
    pub fn certificate_level(&self) -> Level {
        match self.certificate_ends {
            Ok(ends) => health::certificate_level(ends, self.at, self.renew_within_days),
            Err(_) => Level::Problem,
        }
    }

    /// The last backup's age.
    pub fn backup_level(&self) -> Level {
        match &self.last_backup {
            Ok(newest) => health::backup_level(newest.as_ref().map(|b| b.made_at), self.at),
            Err(_) => Level::Problem,
        }
    }

    /// The tablets.
    pub fn tablets_level(&self) -> Level {
        self.tablets.as_ref().map_or(Level::Problem, Fleet::level)
    }

    /// The worst of all.
    pub fn level(&self) -> Level {
        [
            self.broker_level(),
            self.store_level(),
            self.disk_level(),
            self.certificate_level(),
            self.backup_level(),
            self.tablets_level(),
        ]
        .into_iter()
        .max()
        .unwrap_or(Level::Good)
    }
}

impl Hub {
    /// Looks at every part of the hub. Never fails: what cannot be read is reported as
    /// such, since that is what an admin needs to see.
    pub async fn health(&self) -> Health {
        let at = clock::now();
        let started = std::time::Instant::now();
        // The broker passes the hub's own message back: the same round trip a tablet's
        // message makes. The MQTT edge gives up waiting for the echo after 5 seconds, but
        // handing it the message can wait longer while the connection is down.
        let echo = self.inner.parts.outlet.settled();
        let broker_answer_us = tokio::time::timeout(BROKER_PATIENCE, echo)
            .await
            .ok()
            .and_then(Result::ok)
            .map(|()| started.elapsed().as_micros() as u64);
        let (store_problem, tablets) = match self.store_stopped() {
            Some(why) => (Some(why), None),
            None => match self.tx().all(tables::DEVICES) {
                Ok(devices) => (
                    None,
                    Some(Fleet::count(&devices, at, self.silent_after_days())),
                ),
                Err(e) => (Some(e.to_string()), None),
            },
        };
        let config = self.config();
        let data_folder = config.data_dir.clone();
        let backup_folder = config.health.backup_folder.clone();
        let files = {
            let (data, backups) = (data_folder.clone(), backup_folder.clone());
            off_async_threads(move || Ok(read_files(&data, &backups))).await
        };
        let (disk, certificate_ends, last_backup) = match files {
            Ok(found) => found,
            Err(e) => {
                let why = e.to_string();
                (Err(why.clone()), Err(why.clone()), Err(why))
            }
        };
        Health {
            at,
            broker_answer_us,
            store_problem,
            data_folder,
            disk,
            certificate_ends,
            renew_within_days: crate::pki::RENEW_WITHIN_DAYS,
            backup_folder,
            last_backup,
            tablets,
            silent_after_days: self.silent_after_days(),
        }
    }
}

/// What is found on disk: the data folder's space, the certificate's end, the newest
/// backup. Blocking file work, for a thread off the async ones.
type Files = (
    Result<DiskSpace, String>,
    Result<UnixMillis, String>,
    Result<Option<BackupFile>, String>,
);

fn read_files(data: &Path, backups: &Path) -> Files {
    let disk = nix::sys::statvfs::statvfs(data)
        .map(|s| {
            let block = s.fragment_size();
            DiskSpace {
                free_bytes: s.blocks_available().saturating_mul(block),
                total_bytes: s.blocks().saturating_mul(block),
            }
        })
        .map_err(|e| format!("{}: {e}", data.display()));
    let pki = crate::pki::PkiPaths::new(&data.join("pki"));
    let certificate = crate::pki::server_cert_ends(&pki).map_err(|e| e.to_string());
    (disk, certificate, newest_backup(backups))
}

/// The newest finished backup in `folder`; `Ok(None)` when there is none, or no folder
/// yet (the timer makes it on its first night).
pub(crate) fn newest_backup(folder: &Path) -> Result<Option<BackupFile>, String> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", folder.display())),
    };
    let mut newest: Option<BackupFile> = None;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !health::is_backup_file(&name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let made_at = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(UnixMillis(0), |d| UnixMillis(d.as_millis() as u64));
        if newest.as_ref().is_none_or(|n| made_at > n.made_at) {
            newest = Some(BackupFile {
                name,
                made_at,
                bytes: meta.len(),
            });
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{hub_with, status, tablet};
    use crate::config::HubConfig;

    fn config(dir: &Path) -> HubConfig {
        let mut config = HubConfig {
            data_dir: dir.join("data"),
            ..HubConfig::default()
        };
        config.health.backup_folder = dir.join("backups");
        config
    }

    #[tokio::test]
    async fn a_fresh_hub_is_healthy_but_has_no_backup_yet() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        std::fs::create_dir_all(&config.data_dir).unwrap();
        crate::pki::ensure(&config.data_dir.join("pki"), &["localhost".into()]).unwrap();
        let (hub, _) = hub_with(config);
        let health = hub.health().await;
        assert_eq!(health.broker_level(), Level::Good);
        assert_eq!(health.store_level(), Level::Good);
        let disk = health.disk.clone().unwrap();
        assert!(disk.total_bytes > 0 && disk.free_bytes <= disk.total_bytes);
        let days = (health.certificate_ends.clone().unwrap().0 - health.at.0) / 86_400_000;
        assert!(days > health.renew_within_days, "{days} days left");
        assert_eq!(health.certificate_level(), Level::Good);
        assert_eq!(health.last_backup, Ok(None));
        assert_eq!(health.backup_level(), Level::Warning, "no backup yet");
        assert_eq!(health.tablets, Some(Fleet::default()));
        // At least: this machine's disk may be full too.
        assert!(health.level() >= Level::Warning);
    }

    // A paused clock: the lost broker's few seconds pass at once.
    #[tokio::test(start_paused = true)]
    async fn the_newest_finished_backup_counts_and_a_broken_part_shows() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let backups = config.health.backup_folder.clone();
        std::fs::create_dir_all(&backups).unwrap();
        let old = backups.join("nabij-hub-2027-01-10.tar");
        std::fs::write(&old, b"old").unwrap();
        let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
        std::fs::write(backups.join("nabij-hub-2027-01-11.tar"), b"newest").unwrap();
        std::fs::write(backups.join("nabij-hub-2027-01-12.tar.partial"), b"half").unwrap();
        // No data folder, so no certificate: that is a problem, said as one.
        let (hub, recorder) = hub_with(config);
        let health = hub.health().await;
        let newest = health.last_backup.clone().unwrap().unwrap();
        assert_eq!(newest.name, "nabij-hub-2027-01-11.tar");
        assert_eq!(newest.bytes, 6);
        assert_eq!(health.backup_level(), Level::Good);
        assert!(health.certificate_ends.is_err());
        assert_eq!(health.certificate_level(), Level::Problem);
        assert_eq!(health.level(), Level::Problem);

        recorder.lose_broker();
        let health = hub.health().await;
        assert_eq!(health.broker_answer_us, None);
        assert_eq!(health.broker_level(), Level::Problem);
    }

    #[tokio::test]
    async fn a_lent_tablet_is_counted_online_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let (hub, _) = hub_with(config(dir.path()));
        let (_, device) = tablet(&hub, "Jan").await;
        hub.handle_batch(vec![status(&device, true)]).await;
        let fleet = hub.health().await.tablets.unwrap();
        assert_eq!((fleet.lent, fleet.online, fleet.silent), (1, 1, 0));
        assert_eq!(fleet.newest.as_deref(), Some("0.1.0"));
    }

    #[tokio::test]
    async fn a_stopped_store_is_a_problem_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let storage = std::sync::Arc::new(crate::store::MemoryStorage::default());
        let (hub, _) = crate::app::testing::hub_over(config(dir.path()), storage.clone());
        storage.stop_taking_changes("syncing failed: the disk is full");
        let health = hub.health().await;
        assert_eq!(
            health.store_problem.as_deref(),
            Some("syncing failed: the disk is full")
        );
        assert_eq!(health.store_level(), Level::Problem);
        assert_eq!(health.tablets, None);
    }
}
