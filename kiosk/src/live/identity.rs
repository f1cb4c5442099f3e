//! The tablet's identity on its own storage: the enrolment id while it pairs (so a lost
//! grant can be asked for again) and, once paired, its device id and password (files of
//! mode 0600, written whole: see `files`).

use crate::live::files::{read, remove, write};
use nabij_protocol::{DeviceId, EnrolmentId};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Reading or writing the identity failed.
pub type IdentityError = crate::live::files::FileError;

/// An enrolled tablet's credential, from `enrol_granted`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Its device id (MQTT username and client id).
    pub device_id: DeviceId,
    /// Its MQTT password.
    pub password: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({}, password hidden)", self.device_id)
    }
}

#[derive(Serialize, Deserialize)]
struct PairingFile {
    enrolment_id: EnrolmentId,
}

fn identity_path(dir: &Path) -> PathBuf {
    dir.join("identity.json")
}

fn pairing_path(dir: &Path) -> PathBuf {
    dir.join("pairing.json")
}

/// The tablet's identity, if it is paired.
pub fn load(dir: &Path) -> Result<Option<Identity>, IdentityError> {
    read(&identity_path(dir))
}

/// Keeps the identity from `enrol_granted`; the enrolment id is no longer needed.
pub fn save(dir: &Path, identity: &Identity) -> Result<(), IdentityError> {
    write(&identity_path(dir), identity)?;
    remove(&pairing_path(dir))
}

/// Forgets the identity (the coach's wipe): the tablet pairs again from scratch.
pub fn forget(dir: &Path) -> Result<(), IdentityError> {
    remove(&identity_path(dir))?;
    remove(&pairing_path(dir))
}

/// The enrolment id to pair under: the one kept from before, or `fresh` (kept now).
pub fn enrolment_id(
    dir: &Path,
    fresh: impl FnOnce() -> EnrolmentId,
) -> Result<EnrolmentId, IdentityError> {
    let path = pairing_path(dir);
    if let Some(file) = read::<PairingFile>(&path)? {
        return Ok(file.enrolment_id);
    }
    let enrolment_id = fresh();
    write(
        &path,
        &PairingFile {
            enrolment_id: enrolment_id.clone(),
        },
    )?;
    Ok(enrolment_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_kept_privately_and_forgotten_on_wipe() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = || EnrolmentId::parse(&format!("e-{}", "a".repeat(32))).unwrap();
        let first = enrolment_id(dir.path(), fresh).unwrap();
        let again = enrolment_id(dir.path(), || unreachable!("kept from before")).unwrap();
        assert_eq!(first, again);
        assert_eq!(load(dir.path()).unwrap(), None);
        let identity = Identity {
            device_id: DeviceId::parse("d-1234").unwrap(),
            password: "p".repeat(40),
        };
        save(dir.path(), &identity).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(identity.clone()));
        assert!(
            !format!("{identity:?}").contains("ppp"),
            "no password in logs"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(identity_path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!pairing_path(dir.path()).exists());
        forget(dir.path()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        std::fs::write(identity_path(dir.path()), b"{broken").unwrap();
        assert!(
            load(dir.path()).is_err(),
            "a damaged file is an error, not a silent re-pair"
        );
    }
}
