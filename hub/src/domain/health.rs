//! The rules of the hub's health at a glance: when free disk, a certificate's end, the
//! last backup's age and the tablets' app versions are fine, worth a look, or a problem.
//! Pure: the app layer (`app::health`) reads the disk, the files and the clock.

use super::devices::DeviceRecord;
use nabij_protocol::UnixMillis;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
const MIB: u64 = 1 << 20;

/// How one part of the hub is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing to do.
    Good,
    /// Worth a look soon; the hub works.
    Warning,
    /// Something does not work, or will not for long.
    Problem,
}

/// Free space under the data folder: below 1 GiB or a tenth of the disk is worth a
/// look; below 256 MiB or 2 % the store may soon fail to write (and then the hub stops).
pub fn disk_level(free_bytes: u64, total_bytes: u64) -> Level {
    let share = |percent: u64| total_bytes / 100 * percent;
    if free_bytes < 256 * MIB || free_bytes < share(2) {
        Level::Problem
    } else if free_bytes < 1024 * MIB || free_bytes < share(10) {
        Level::Warning
    } else {
        Level::Good
    }
}

/// The server certificate: the hub renews it `renew_within_days` before its end, so one
/// that close to its end means renewing failed (the log says why); one that ended
/// means tablets refuse the hub.
pub fn certificate_level(ends_at: UnixMillis, now: UnixMillis, renew_within_days: u64) -> Level {
    if ends_at.0 <= now.0 {
        Level::Problem
    } else if ends_at.0 - now.0 <= renew_within_days * DAY_MS {
        Level::Warning
    } else {
        Level::Good
    }
}

/// A backup older than this missed a night (the timer makes one every night).
pub const BACKUP_LATE_HOURS: u64 = 36;

/// A backup older than this is a problem: a week of changes would be lost with the disk.
pub const BACKUP_STALE_DAYS: u64 = 7;

/// The newest backup's age: none at all, or one that missed a night, is worth a look; a
/// week old is a problem.
pub fn backup_level(made_at: Option<UnixMillis>, now: UnixMillis) -> Level {
    match made_at {
        None => Level::Warning,
        Some(at) => {
            let age = now.0.saturating_sub(at.0);
            if age > BACKUP_STALE_DAYS * DAY_MS {
                Level::Problem
            } else if age > BACKUP_LATE_HOURS * HOUR_MS {
                Level::Warning
            } else {
                Level::Good
            }
        }
    }
}

/// Whether a file in the backup folder is a finished backup: `nabij-hub backup` writes
/// `….tar`, first as `….tar.partial`.
pub fn is_backup_file(name: &str) -> bool {
    name.ends_with(".tar") && !name.starts_with('.')
}

/// Compares two kiosk versions as numbers, part by part (`0.10.0` after `0.9.2`); a
/// pre-release (`0.2.0-rc1`) comes before its release. Text that is no version sorts
/// before every version.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> Option<(Vec<u64>, Option<&str>)> {
        let v = v.trim().trim_start_matches('v');
        let v = v.split('+').next().unwrap_or(v);
        let (release, pre) = match v.split_once('-') {
            Some((release, pre)) => (release, Some(pre)),
            None => (v, None),
        };
        let numbers = release
            .split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()?;
        Some((numbers, pre))
    }
    match (parts(a), parts(b)) {
        (None, None) => a.cmp(b),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some((na, pa)), Some((nb, pb))) => {
            let len = na.len().max(nb.len());
            let at = |n: &[u64], i: usize| n.get(i).copied().unwrap_or(0);
            (0..len)
                .map(|i| at(&na, i).cmp(&at(&nb, i)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| match (pa, pb) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => x.cmp(y),
                })
        }
    }
}

/// The lent tablets at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fleet {
    /// Tablets that may connect (lent, or being wiped).
    pub lent: usize,
    /// Connected now.
    pub online: usize,
    /// Not heard from for `health.silent_after_days`.
    pub silent: usize,
    /// Running an older kiosk than the newest any tablet runs.
    pub out_of_date: usize,
    /// The newest kiosk version seen, if any tablet said.
    pub newest: Option<String>,
    /// How many tablets run each version, newest first.
    pub versions: Vec<(String, usize)>,
}

impl Fleet {
    /// Counts `devices` at `now`; a tablet is silent after `silent_after_days`.
    pub fn count(devices: &[DeviceRecord], now: UnixMillis, silent_after_days: u32) -> Fleet {
        let lent: Vec<&DeviceRecord> = devices.iter().filter(|d| d.state.may_connect()).collect();
        let mut versions: Vec<(String, usize)> = Vec::new();
        for device in &lent {
            let version = device.app_version.trim();
            if version.is_empty() {
                continue;
            }
            match versions.iter_mut().find(|(v, _)| v == version) {
                Some((_, n)) => *n += 1,
                None => versions.push((version.to_owned(), 1)),
            }
        }
        versions.sort_by(|(a, _), (b, _)| compare_versions(b, a));
        let newest = versions.first().map(|(v, _)| v.clone());
        let out_of_date = newest.as_deref().map_or(0, |newest| {
            lent.iter()
                .filter(|d| {
                    let v = d.app_version.trim();
                    !v.is_empty() && compare_versions(v, newest).is_lt()
                })
                .count()
        });
        Fleet {
            lent: lent.len(),
            online: lent.iter().filter(|d| d.online).count(),
            silent: lent
                .iter()
                .filter(|d| d.is_silent(now, silent_after_days))
                .count(),
            out_of_date,
            newest,
            versions,
        }
    }

    /// Tablets silent or out of date are worth a look (a coach calls, or updates them);
    /// the hub works either way.
    pub fn level(&self) -> Level {
        if self.silent > 0 || self.out_of_date > 0 {
            Level::Warning
        } else {
            Level::Good
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::devices::DeviceState;

    const NOW: UnixMillis = UnixMillis(1_800_000_000_000);

    #[test]
    fn versions_compare_as_numbers() {
        let check = |a: &str, b: &str, expected: Ordering| {
            assert_eq!(compare_versions(a, b), expected, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), expected.reverse(), "{b} vs {a}");
        };
        check("0.10.0", "0.9.2", Ordering::Greater);
        check("1.0", "1.0.0", Ordering::Equal);
        check("0.2.0-rc1", "0.2.0", Ordering::Less);
        check("0.2.0-rc1", "0.1.9", Ordering::Greater);
        check("v1.2.3", "1.2.3", Ordering::Equal);
        check("0.1.0+build7", "0.1.0", Ordering::Equal);
        check("unknown", "0.0.1", Ordering::Less);
    }

    fn tablet(n: u32, version: &str, state: DeviceState) -> DeviceRecord {
        let mut device = crate::domain::devices::sample(&format!("d-{n}"), &format!("p-{n}"));
        device.app_version = version.into();
        device.state = state;
        device.enrolled_at = UnixMillis(NOW.0 - 30 * DAY_MS);
        device.last_seen = Some(NOW);
        device.online = true;
        device
    }

    #[test]
    fn the_fleet_counts_lent_tablets_online_silent_and_behind_the_newest_version() {
        let mut silent = tablet(3, "0.9.0", DeviceState::Active);
        silent.online = false;
        silent.last_seen = Some(UnixMillis(NOW.0 - 8 * DAY_MS));
        let mut away = tablet(4, "0.10.0", DeviceState::Active);
        away.online = false;
        away.last_seen = Some(UnixMillis(NOW.0 - DAY_MS));
        let devices = [
            tablet(1, "0.10.0", DeviceState::Active),
            tablet(2, "0.10.0", DeviceState::WipePending),
            silent,
            away,
            // Taken back or switched off: not lent, not counted, whatever it runs.
            tablet(5, "0.11.0", DeviceState::Revoked),
            tablet(6, "0.1.0", DeviceState::Wiped),
            // Never said its version: not counted as behind.
            tablet(7, "", DeviceState::Active),
        ];
        let fleet = Fleet::count(&devices, NOW, 7);
        assert_eq!(fleet.lent, 5);
        assert_eq!(fleet.online, 3);
        assert_eq!(fleet.silent, 1);
        assert_eq!(fleet.out_of_date, 1);
        assert_eq!(fleet.newest.as_deref(), Some("0.10.0"));
        assert_eq!(
            fleet.versions,
            vec![("0.10.0".to_owned(), 3), ("0.9.0".to_owned(), 1)]
        );
        assert_eq!(fleet.level(), Level::Warning);

        let none = Fleet::count(&[], NOW, 7);
        assert_eq!(none, Fleet::default());
        assert_eq!(none.level(), Level::Good);
    }

    #[test]
    fn disk_certificate_and_backup_levels() {
        let gib = 1024 * MIB;
        assert_eq!(disk_level(40 * gib, 50 * gib), Level::Good);
        assert_eq!(disk_level(3 * gib, 50 * gib), Level::Warning, "under 10 %");
        assert_eq!(
            disk_level(900 * MIB, 4 * gib),
            Level::Warning,
            "under 1 GiB"
        );
        assert_eq!(disk_level(200 * MIB, 4 * gib), Level::Problem);
        assert_eq!(disk_level(gib, 100 * gib), Level::Problem, "under 2 %");

        let days = |n: u64| UnixMillis(NOW.0 + n * DAY_MS);
        assert_eq!(certificate_level(days(100), NOW, 30), Level::Good);
        assert_eq!(certificate_level(days(30), NOW, 30), Level::Warning);
        assert_eq!(certificate_level(NOW, NOW, 30), Level::Problem);

        let ago = |hours: u64| Some(UnixMillis(NOW.0 - hours * HOUR_MS));
        assert_eq!(backup_level(None, NOW), Level::Warning, "no backup yet");
        assert_eq!(backup_level(ago(20), NOW), Level::Good);
        assert_eq!(backup_level(ago(40), NOW), Level::Warning, "missed a night");
        assert_eq!(backup_level(ago(8 * 24), NOW), Level::Problem);

        assert!(is_backup_file("nabij-hub-2027-01-12.tar"));
        assert!(!is_backup_file("nabij-hub-2027-01-12.tar.partial"));
        assert!(!is_backup_file("notes.txt"));
    }
}
