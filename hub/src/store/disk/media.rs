//! Photos and voice notes as files of their own, named by their SHA-256, instead of
//! inside the database: a 1 MiB photo is about 1.4 MB of base64 in a message's JSON, and
//! redb gives a value that size a 2 MiB page (pages come in powers of two), writes it
//! again for every copy (the message and its place in a tablet's queue), and keeps the
//! file at the size its busiest moment needed. As a file it takes its own size, once,
//! however many records name it. See docs/benchmarks.md for the figures both ways.
//!
//! A stored value is one tag byte and then either the value itself ([`PLAIN`]) or the
//! files it names and the value without them ([`WITH_MEDIA`]): each long base64 string in
//! the value is taken out, decoded and kept as a file; reading puts the same text back,
//! byte for byte (the protocol's base64 has one encoding per value, checked here). This
//! needs no knowledge of what the value is: any value with such a string qualifies.
//!
//! A file is written (under a temporary name, then renamed) by the sync whose commit first
//! names it, and made durable, with its folder, before that commit is; the database counts
//! the values that name each file, and a file no value names any more is deleted after the
//! commit that made it so, when no reader may still need it. What a crash leaves over
//! (files written for a commit that never happened, or not yet deleted) goes at the next
//! open.

use super::super::StoreError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

/// Tag of a value stored as it is.
pub(super) const PLAIN: u8 = 0;
/// Tag of a value whose long base64 strings are files.
pub(super) const WITH_MEDIA: u8 = 1;

/// Base64 strings at least this long (about 12 KiB of media) become files. Below that, a
/// file's own block and inode cost more than the database's share of a page.
pub const MEDIA_MIN_BASE64: usize = 16 << 10;

/// A file's name: the SHA-256 of its contents.
pub(super) type Hash = [u8; 32];

/// A folder of media files. On disk, [`DiskFolder`]; in the power-cut tests, a folder
/// whose unsynced changes a cut may lose.
pub trait Folder: Send + Sync + 'static {
    /// Puts `bytes` under `name` whole (a temporary file renamed into place), not yet
    /// durable.
    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Makes these files' contents durable, then the folder's names.
    fn sync(&self, names: &[String]) -> std::io::Result<()>;
    /// A file's contents.
    fn read(&self, name: &str) -> std::io::Result<Vec<u8>>;
    /// Removes a file (a file that is not there is not an error).
    fn remove(&self, name: &str) -> std::io::Result<()>;
    /// Every name in the folder.
    fn names(&self) -> std::io::Result<Vec<String>>;
}

/// Media files in a folder on disk.
#[derive(Debug, Clone)]
pub struct DiskFolder {
    dir: PathBuf,
}

impl DiskFolder {
    /// The folder `dir` (made if missing).
    pub fn open(dir: &Path) -> std::io::Result<DiskFolder> {
        std::fs::create_dir_all(dir)?;
        Ok(DiskFolder {
            dir: dir.to_owned(),
        })
    }

    /// Where the folder is.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

/// The temporary name a file is written under before it is renamed into place.
const TEMPORARY: &str = ".tmp";

impl Folder for DiskFolder {
    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let temporary = self.dir.join(format!("{name}{TEMPORARY}"));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, self.dir.join(name))
    }

    fn sync(&self, names: &[String]) -> std::io::Result<()> {
        for name in names {
            std::fs::File::open(self.dir.join(name))?.sync_data()?;
        }
        std::fs::File::open(&self.dir)?.sync_all()
    }

    fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.dir.join(name))
    }

    fn remove(&self, name: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.dir.join(name)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn names(&self) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }
}

/// A file a stored value names: its hash, its length, and where in the value without
/// it its base64 goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MediaRef {
    pub hash: Hash,
    pub len: u64,
    pub at: u64,
}

const REF_BYTES: usize = 32 + 8 + 8;

/// The file name of a hash (hex).
pub(super) fn file_name(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash a file name stands for, if it is one.
pub(super) fn hash_of_name(name: &str) -> Option<Hash> {
    if name.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(name.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}

fn sha256(bytes: &[u8]) -> Hash {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest.as_ref());
    hash
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')
}

/// Where the quoted strings of at least `min` base64 characters are in `value` (the
/// range between the quotes). A string with an escape in it is not one.
fn long_base64_strings(value: &[u8], min: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut base64 = true;
        while end < value.len() && value[end] != b'"' {
            if value[end] == b'\\' {
                base64 = false;
                end += 1;
            } else if !is_base64(value[end]) {
                base64 = false;
            }
            end += 1;
        }
        if end >= value.len() {
            break;
        }
        if base64 && end - start >= min {
            found.push((start, end));
        }
        i = end + 1;
    }
    found
}

/// A value ready for the database: the bytes to store and the media taken out of it
/// (each with its decoded contents, for its file).
pub(super) struct Encoded {
    pub stored: Vec<u8>,
    pub media: Vec<(Hash, Vec<u8>)>,
}

/// Takes the long base64 strings out of `value` when it has any (and `min` allows).
pub(super) fn encode(value: &[u8], min: usize) -> Encoded {
    let plain = || {
        let mut stored = Vec::with_capacity(value.len() + 1);
        stored.push(PLAIN);
        stored.extend_from_slice(value);
        Encoded {
            stored,
            media: Vec::new(),
        }
    };
    if value.len() < min {
        return plain();
    }
    let mut refs = Vec::new();
    let mut media = Vec::new();
    let mut rest = Vec::with_capacity(1024);
    let mut from = 0;
    for (start, end) in long_base64_strings(value, min) {
        let Ok(text) = std::str::from_utf8(&value[start..end]) else {
            continue;
        };
        let Ok(bytes) = nabij_protocol::base64::decode(text) else {
            continue;
        };
        // Put back, it must be the same text: the strict decoder accepts one encoding only.
        if bytes.len().div_ceil(3) * 4 != text.len() {
            continue;
        }
        rest.extend_from_slice(&value[from..start]);
        from = end;
        let hash = sha256(&bytes);
        refs.push(MediaRef {
            hash,
            len: bytes.len() as u64,
            at: rest.len() as u64,
        });
        media.push((hash, bytes));
    }
    if refs.is_empty() {
        return plain();
    }
    rest.extend_from_slice(&value[from..]);
    let mut stored = Vec::with_capacity(1 + 4 + refs.len() * REF_BYTES + rest.len());
    stored.push(WITH_MEDIA);
    stored.extend_from_slice(&(refs.len() as u32).to_le_bytes());
    for r in &refs {
        stored.extend_from_slice(&r.hash);
        stored.extend_from_slice(&r.len.to_le_bytes());
        stored.extend_from_slice(&r.at.to_le_bytes());
    }
    stored.extend_from_slice(&rest);
    Encoded { stored, media }
}

/// A stored value taken apart: the files it names and the rest.
pub(super) struct Decoded<'a> {
    pub refs: Vec<MediaRef>,
    pub rest: &'a [u8],
}

/// Takes a stored value apart; `None` when it is damaged.
pub(super) fn decode(stored: &[u8]) -> Option<Decoded<'_>> {
    let (&tag, body) = stored.split_first()?;
    match tag {
        PLAIN => Some(Decoded {
            refs: Vec::new(),
            rest: body,
        }),
        WITH_MEDIA => {
            let count = u32::from_le_bytes(body.get(..4)?.try_into().ok()?) as usize;
            let table = body.get(4..4 + count.checked_mul(REF_BYTES)?)?;
            let rest = body.get(4 + table.len()..)?;
            let mut refs = Vec::with_capacity(count);
            for chunk in table.chunks_exact(REF_BYTES) {
                let r = MediaRef {
                    hash: chunk[..32].try_into().ok()?,
                    len: u64::from_le_bytes(chunk[32..40].try_into().ok()?),
                    at: u64::from_le_bytes(chunk[40..48].try_into().ok()?),
                };
                if r.at as usize > rest.len() || refs.last().is_some_and(|p: &MediaRef| p.at > r.at)
                {
                    return None;
                }
                refs.push(r);
            }
            Some(Decoded { refs, rest })
        }
        _ => None,
    }
}

/// The hashes a stored value names (none when it is damaged: it named nothing this store
/// could count).
pub(super) fn hashes(stored: &[u8]) -> Vec<Hash> {
    decode(stored).map_or_else(Vec::new, |d| d.refs.iter().map(|r| r.hash).collect())
}

/// The media files, and who may delete them when.
pub(super) struct Media {
    folder: Box<dyn Folder>,
    /// Base64 strings this long become files (`usize::MAX`: none do).
    pub(super) min: usize,
    /// Held shared by readers between opening a snapshot and reading the files its values
    /// name; a deletion takes it alone, without waiting: when a reader (a backup, say)
    /// holds it, files wait for the next sync.
    readers: RwLock<()>,
    /// Files no value names any more, not yet deleted.
    doomed: Mutex<BTreeSet<Hash>>,
}

fn corrupt(what: String, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table: "media",
        key: what,
        reason: reason.to_string(),
    }
}

impl Media {
    pub(super) fn new(folder: Box<dyn Folder>, min: usize) -> Media {
        Media {
            folder,
            min,
            readers: RwLock::new(()),
            doomed: Mutex::new(BTreeSet::new()),
        }
    }

    /// Held while a snapshot's values and the files they name are read.
    pub(super) fn reading(&self) -> RwLockReadGuard<'_, ()> {
        self.readers.read().unwrap_or_else(|p| p.into_inner())
    }

    /// A file's contents, checked against its name.
    pub(super) fn read(&self, hash: &Hash, len: u64) -> Result<Vec<u8>, StoreError> {
        let name = file_name(hash);
        let bytes = self
            .folder
            .read(&name)
            .map_err(|e| corrupt(name.clone(), format!("the file cannot be read: {e}")))?;
        if bytes.len() as u64 != len || sha256(&bytes) != *hash {
            return Err(corrupt(name, "the file does not hold what its name says"));
        }
        Ok(bytes)
    }

    /// The value a stored one stands for, its files put back as base64.
    pub(super) fn restore(&self, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        let decoded = decode(stored).ok_or_else(|| corrupt("a value".into(), "damaged"))?;
        if decoded.refs.is_empty() {
            return Ok(decoded.rest.to_vec());
        }
        let extra: u64 = decoded.refs.iter().map(|r| r.len.div_ceil(3) * 4).sum();
        let mut out = Vec::with_capacity(decoded.rest.len() + extra as usize);
        let mut from = 0;
        for r in &decoded.refs {
            let at = r.at as usize;
            out.extend_from_slice(&decoded.rest[from..at]);
            out.extend_from_slice(
                nabij_protocol::base64::encode(&self.read(&r.hash, r.len)?).as_bytes(),
            );
            from = at;
        }
        out.extend_from_slice(&decoded.rest[from..]);
        Ok(out)
    }

    /// Writes a file (not yet durable); it is no longer doomed.
    pub(super) fn write(&self, hash: &Hash, bytes: &[u8]) -> Result<String, StoreError> {
        let name = file_name(hash);
        self.folder.write(&name, bytes)?;
        self.doomed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(hash);
        Ok(name)
    }

    /// Makes written files durable, with the folder.
    pub(super) fn sync(&self, names: &[String]) -> Result<(), StoreError> {
        if names.is_empty() {
            return Ok(());
        }
        Ok(self.folder.sync(names)?)
    }

    /// Notes files that no value names after a durable commit.
    pub(super) fn doom(&self, hashes: impl IntoIterator<Item = Hash>) {
        self.doomed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(hashes);
    }

    /// Deletes the doomed files that `still_named` says nothing names, unless a reader
    /// may need them (then they wait for the next call). Call with no commit running.
    pub(super) fn delete_doomed(
        &self,
        still_named: impl Fn(&Hash) -> Result<bool, StoreError>,
    ) -> Result<usize, StoreError> {
        let Ok(_alone) = self.readers.try_write() else {
            return Ok(0);
        };
        let mut doomed = self.doomed.lock().unwrap_or_else(|p| p.into_inner());
        let mut deleted = 0;
        while let Some(hash) = doomed.pop_first() {
            if !still_named(&hash)? {
                self.folder.remove(&file_name(&hash))?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// At open: deletes every file `named` does not list (written for a commit a crash
    /// took, doomed and not deleted, or half-written) and returns the named hashes that
    /// have no file.
    pub(super) fn tidy(&self, named: &BTreeSet<Hash>) -> Result<Vec<Hash>, StoreError> {
        let mut present = BTreeSet::new();
        let mut removed = 0;
        for name in self.folder.names()? {
            match hash_of_name(&name) {
                Some(hash) if named.contains(&hash) => {
                    present.insert(hash);
                }
                _ => {
                    self.folder.remove(&name)?;
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            self.folder.sync(&[])?;
            tracing::info!(files = removed, "media files no record names were removed");
        }
        Ok(named.difference(&present).copied().collect())
    }

    /// Every media file's contents, by hash, for a backup (files may not be deleted
    /// while `guard` lives).
    pub(super) fn folder(&self) -> &dyn Folder {
        self.folder.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_with(data: &[u8]) -> Vec<u8> {
        format!(
            r#"{{"id":"m-1","body":{{"data":"{}","caption":"hi"}}}}"#,
            nabij_protocol::base64::encode(data)
        )
        .into_bytes()
    }

    #[test]
    fn long_base64_strings_become_files_and_come_back_byte_for_byte() {
        let photo: Vec<u8> = (0..40_000u32).map(|n| (n * 7 % 251) as u8).collect();
        let value = json_with(&photo);
        let encoded = encode(&value, MEDIA_MIN_BASE64);
        assert_eq!(encoded.stored[0], WITH_MEDIA);
        assert!(
            encoded.stored.len() < 200,
            "the photo is out: {}",
            encoded.stored.len()
        );
        assert_eq!(encoded.media.len(), 1);
        assert_eq!(encoded.media[0].1, photo);
        let dir = tempfile::tempdir().unwrap();
        let media = Media::new(
            Box::new(DiskFolder::open(dir.path()).unwrap()),
            MEDIA_MIN_BASE64,
        );
        media.write(&encoded.media[0].0, &photo).unwrap();
        assert_eq!(media.restore(&encoded.stored).unwrap(), value);
        assert_eq!(hashes(&encoded.stored), vec![encoded.media[0].0]);
    }

    #[test]
    fn short_values_and_strings_that_are_not_strict_base64_stay_as_they_are() {
        let small = json_with(b"tiny");
        assert_eq!(encode(&small, MEDIA_MIN_BASE64).stored[0], PLAIN);
        // Long, base64 letters, but not a whole encoding (bad length, padding inside).
        let odd = format!(r#"{{"a":"{}="}}"#, "A".repeat(20_000)).into_bytes();
        let encoded = encode(&odd, MEDIA_MIN_BASE64);
        assert_eq!(encoded.stored[0], PLAIN);
        assert_eq!(&encoded.stored[1..], odd.as_slice());
        let escaped = format!(r#"{{"a":"{}\"x"}}"#, "A".repeat(20_000)).into_bytes();
        assert_eq!(encode(&escaped, MEDIA_MIN_BASE64).stored[0], PLAIN);
        assert_eq!(
            encode(&json_with(&[1; 30_000]), usize::MAX).stored[0],
            PLAIN
        );
    }

    #[test]
    fn a_file_that_does_not_match_its_name_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let folder = DiskFolder::open(dir.path()).unwrap();
        let media = Media::new(Box::new(folder.clone()), MEDIA_MIN_BASE64);
        let encoded = encode(&json_with(&[5; 20_000]), MEDIA_MIN_BASE64);
        let (hash, _) = &encoded.media[0];
        folder.write(&file_name(hash), &[6; 20_000]).unwrap();
        let err = media.restore(&encoded.stored).unwrap_err().to_string();
        assert!(err.contains("does not hold what its name says"), "{err}");
        assert_eq!(hash_of_name(&file_name(hash)), Some(*hash));
        assert_eq!(hash_of_name("x.tmp"), None);
    }
}
