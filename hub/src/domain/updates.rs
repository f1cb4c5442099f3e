//! Kiosk updates as the hub keeps them: the releases it holds and where each tablet is
//! with one (pure records and rules; the bundles' bytes are files, see `app::updates`).

use nabij_protocol::{DeviceId, UnixMillis, UpdateState};
use serde::{Deserialize, Serialize};

/// A signed release the hub holds (its payload is the file named by `sha256`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// `major.minor.patch`.
    pub version: String,
    /// The oldest version it may replace.
    pub min_version: String,
    /// Debian's processor name.
    pub arch: String,
    /// The payload's size.
    pub size: u64,
    /// The payload's SHA-256 (and its file's name).
    pub sha256: String,
    /// The manifest's bytes, base64, as signed.
    pub manifest: String,
    /// The signature, base64.
    pub signature: String,
    /// When it was first published.
    pub published_at: UnixMillis,
    /// The tablets it was offered to.
    pub offered_to: Vec<DeviceId>,
}

/// Where one tablet is with an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceUpdate {
    /// The release offered (its version).
    pub version: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Offered and not heard of since (`None`), or what the tablet last reported.
    pub state: Option<UpdateState>,
    /// The tablet's reason, for a rollback or a refusal.
    pub reason: Option<String>,
    /// When this changed.
    pub at: UnixMillis,
}

impl DeviceUpdate {
    /// Whether the offer still stands: not installed, rolled back or refused.
    pub fn open(&self) -> bool {
        !matches!(
            self.state,
            Some(UpdateState::Installed | UpdateState::RolledBack | UpdateState::Refused)
        )
    }
}

/// `a` is a newer `major.minor.patch` than `b` (a text that is no version is never newer).
pub fn newer(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64, u64)> {
        let mut it = v.trim().split('.').map(|p| p.parse::<u64>().ok());
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(Some(x)), Some(Some(y)), Some(Some(z)), None) => Some((x, y, z)),
            _ => None,
        }
    }
    match (parts(a), parts(b)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(newer("0.10.0", "0.9.0"));
        assert!(!newer("0.1.0", "0.1.0"));
        assert!(!newer("0.1.0", "0.2.0"));
        assert!(newer("0.2.0", "unknown"));
        assert!(!newer("nonsense", "0.1.0"));
    }
}
