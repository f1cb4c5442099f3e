//! What the tablet tells its hub about itself in its status: battery and free storage,
//! read from the places the firmware profile names (docs/protocol.md `status`).

use std::path::Path;

/// The tablet's health, as far as it can be read; what cannot be read is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Health {
    /// Battery charge, 0–100.
    pub battery_pct: Option<u8>,
    /// Whether it is on the charger.
    pub charging: Option<bool>,
    /// Free space where the kiosk keeps its data, in MiB.
    pub free_storage_mb: Option<u64>,
}

/// Reads the battery from its sysfs folder (`capacity`, `status`) and the free space of
/// the file system that holds `data_dir`.
pub fn read(battery: Option<&Path>, data_dir: &Path) -> Health {
    let field = |name: &str| {
        battery
            .and_then(|dir| std::fs::read_to_string(dir.join(name)).ok())
            .map(|text| text.trim().to_owned())
    };
    let battery_pct = field("capacity")
        .and_then(|c| c.parse::<u8>().ok())
        .map(|c| c.min(100));
    let charging = field("status").and_then(|s| match s.as_str() {
        "Charging" | "Full" => Some(true),
        "Discharging" | "Not charging" => Some(false),
        _ => None,
    });
    // The block counts are 32 bits wide on some ARM tablets and 64 on others.
    #[allow(clippy::unnecessary_cast)]
    let free_storage_mb = nix::sys::statvfs::statvfs(data_dir)
        .ok()
        .map(|fs| fs.blocks_available() as u64 * fs.fragment_size() as u64 / (1024 * 1024));
    Health {
        battery_pct,
        charging,
        free_storage_mb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_and_storage_are_read_and_what_is_missing_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let battery = dir.path().join("cw2015-battery");
        std::fs::create_dir(&battery).unwrap();
        std::fs::write(battery.join("capacity"), "76\n").unwrap();
        std::fs::write(battery.join("status"), "Charging\n").unwrap();
        let health = read(Some(&battery), dir.path());
        assert_eq!(
            (health.battery_pct, health.charging),
            (Some(76), Some(true))
        );
        assert!(health.free_storage_mb.is_some_and(|mb| mb > 0));
        std::fs::write(battery.join("status"), "Discharging\n").unwrap();
        assert_eq!(read(Some(&battery), dir.path()).charging, Some(false));
        let none = read(None, Path::new("/no/such/folder"));
        assert_eq!(
            none,
            Health::default(),
            "a desktop has no battery: nothing is made up"
        );
    }
}
