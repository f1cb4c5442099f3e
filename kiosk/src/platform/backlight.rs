//! Screen brightness through sysfs (`/sys/class/backlight/<name>/`), as named by the
//! firmware profile.

use std::path::Path;

/// Sets the backlight to `percent` (10–100) of its maximum. The floor keeps the screen
/// readable whatever a coach taps.
pub fn set(dir: &Path, percent: u8) -> std::io::Result<u32> {
    let max: u32 = std::fs::read_to_string(dir.join("max_brightness"))?
        .trim()
        .parse()
        .map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("max_brightness: {e}"),
            )
        })?;
    let value = (u64::from(max) * u64::from(percent.clamp(10, 100)) / 100).max(1) as u32;
    std::fs::write(dir.join("brightness"), value.to_string())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brightness_is_a_share_of_the_maximum_with_a_floor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("max_brightness"), "255\n").unwrap();
        assert_eq!(set(dir.path(), 70).unwrap(), 178);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("brightness")).unwrap(),
            "178"
        );
        assert_eq!(set(dir.path(), 0).unwrap(), 25, "never darker than 10%");
        std::fs::write(dir.path().join("max_brightness"), "lots").unwrap();
        assert!(set(dir.path(), 50).is_err());
    }
}
