//! The tablet's identity on its own storage: the enrolment id while it pairs (so a lost
//! grant can be asked for again) and, once paired, its device id and password. Files of
//! mode 0600, written whole (temporary file, sync, rename), so a power cut leaves either
//! the old file or the new one.

use nabij_protocol::{DeviceId, EnrolmentId};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Reading or writing the identity failed.
#[derive(Debug, thiserror::Error)]
#[error("the tablet's identity file {path} cannot be used: {reason}")]
pub struct IdentityError {
    path: PathBuf,
    reason: String,
}

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

fn fail(path: &Path, reason: impl ToString) -> IdentityError {
    IdentityError {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, IdentityError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| fail(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail(path, e)),
    }
}

fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), IdentityError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(path, e))?;
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec(value).map_err(|e| fail(path, e))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| fail(path, e))?;
    file.write_all(&bytes).map_err(|e| fail(path, e))?;
    file.sync_all().map_err(|e| fail(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn remove(path: &Path) -> Result<(), IdentityError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail(path, e)),
    }
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
