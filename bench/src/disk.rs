//! What the disk is made to write, counted where it arrives: at the block device under the
//! hub's data folder, from `/proc/diskstats` (sectors written, 512 bytes each, whatever
//! the device's own block size). A process's `write_bytes` in `/proc/self/io` counts
//! what it hands the kernel, not what the device writes (it misses the file system's
//! journal and metadata, and counts pages the kernel never writes), so it is not used.
//!
//! Written pages reach the device when the kernel gets round to them (up to half a
//! minute later) unless something syncs them: [`Device::settled`] syncs the data folder's
//! file system first, so that each measured stretch pays for what it left behind. The
//! device counts every writer on it: run the bench with its data folder on a file system
//! of its own (`NABIJ_BENCH_DIR`) to count only the hub's; [`Device::idle_rate`] says how
//! much the device writes while nothing of the bench runs.

use anyhow::{Context, Result, bail};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The block device a folder lives on.
#[derive(Debug, Clone)]
pub struct Device {
    /// Its name in `/proc/diskstats` (`vda`, `loop0`, `nvme0n1p2`).
    pub name: String,
    major: u64,
    minor: u64,
    /// The folder whose file system is synced before each reading.
    folder: PathBuf,
}

/// The sectors-written field of the `/proc/diskstats` line of device `major:minor`, as
/// bytes (the kernel counts 512-byte sectors on every device).
fn written_in(diskstats: &str, major: u64, minor: u64) -> Option<(String, u64)> {
    diskstats.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (ma, mi) = (fields.first()?.parse().ok()?, fields.get(1)?.parse().ok()?);
        if (ma, mi) != (major, minor) {
            return None;
        }
        // major minor name, then reads (4 fields), then writes completed, merged,
        // sectors written: the tenth field.
        let sectors: u64 = fields.get(9)?.parse().ok()?;
        Some(((*fields.get(2)?).to_owned(), sectors * 512))
    })
}

impl Device {
    /// The device `folder` is on.
    pub fn of(folder: &Path) -> Result<Device> {
        let dev = std::fs::metadata(folder)
            .with_context(|| format!("cannot look at {}", folder.display()))?
            .dev();
        let (major, minor) = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev));
        let stats =
            std::fs::read_to_string("/proc/diskstats").context("cannot read /proc/diskstats")?;
        let Some((name, _)) = written_in(&stats, major, minor) else {
            bail!(
                "{} is on device {major}:{minor}, which /proc/diskstats does not list (tmpfs or overlay?): \
                 put NABIJ_BENCH_DIR on a real disk",
                folder.display()
            );
        };
        Ok(Device {
            name,
            major,
            minor,
            folder: folder.to_owned(),
        })
    }

    /// Bytes the device has written since it started, as it is now (nothing synced).
    pub fn written(&self) -> Result<u64> {
        let stats =
            std::fs::read_to_string("/proc/diskstats").context("cannot read /proc/diskstats")?;
        written_in(&stats, self.major, self.minor)
            .map(|(_, bytes)| bytes)
            .with_context(|| format!("{} left /proc/diskstats", self.name))
    }

    /// Syncs the folder's file system (everything written to it reaches the device), then
    /// reads the count.
    pub fn settled(&self) -> Result<u64> {
        let folder = std::fs::File::open(&self.folder)?;
        nix::unistd::syncfs(&folder).context("syncfs")?;
        self.written()
    }

    /// Bytes a second the device writes while the bench does nothing, over `over`: what
    /// other writers on it add to every figure.
    pub async fn idle_rate(&self, over: Duration) -> Result<f64> {
        let before = self.settled()?;
        tokio::time::sleep(over).await;
        let after = self.settled()?;
        Ok(after.saturating_sub(before) as f64 / over.as_secs_f64())
    }
}

/// Bytes the files under `folder` take on disk (allocated blocks, as `du` counts them).
pub fn allocated(folder: &Path) -> Result<u64> {
    let mut total = 0;
    let mut stack = vec![folder.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let entry = entry?;
            let meta = entry.metadata()?;
            total += meta.blocks() * 512;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sectors_written_field_is_read_for_the_right_device() {
        let stats = "   7       0 loop0 10 0 80 1 20 0 160 5 0 6 6 0 0 0 0 0 0\n \
                     254       0 vda 1415236 22377 42644762 18815120 111360 119538 128009992 483607 0 339684 19308905 30151 43 60944608 9645 10456 531\n";
        assert_eq!(
            written_in(stats, 254, 0),
            Some(("vda".to_owned(), 128_009_992 * 512))
        );
        assert_eq!(
            written_in(stats, 7, 0),
            Some(("loop0".to_owned(), 160 * 512))
        );
        assert_eq!(written_in(stats, 8, 1), None);
    }

    #[test]
    fn a_synced_file_is_counted_on_a_real_disk() {
        // Where tests run on tmpfs there is no device to count: nothing to check then.
        let dir = tempfile::tempdir().unwrap();
        let Ok(device) = Device::of(dir.path()) else {
            return;
        };
        let before = device.settled().unwrap();
        std::fs::write(dir.path().join("probe"), vec![7u8; 1 << 20]).unwrap();
        let after = device.settled().unwrap();
        assert!(after - before >= 1 << 20, "{before} → {after}");
        assert!(allocated(dir.path()).unwrap() >= 1 << 20);
    }
}
