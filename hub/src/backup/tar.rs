//! A tar archive (POSIX ustar, regular files only) written and read as a stream: what
//! `nabij-hub backup` makes, so that any `tar` lists and unpacks it, and what
//! `nabij-hub restore` reads back. A page of code instead of a dependency.

use std::io::{Read, Write};

const BLOCK: usize = 512;

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The bytes are not a tar archive this code wrote.
    #[error("not a backup made by nabij-hub: {0}")]
    Damaged(String),
}

/// Writes entries to `out`, one after the other.
pub struct TarWriter<W: Write> {
    out: W,
}

fn octal(field: &mut [u8], value: u64) -> std::io::Result<()> {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return Err(std::io::Error::other(format!(
            "{value} does not fit a tar header field"
        )));
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

fn checksum(header: &[u8; BLOCK]) -> u64 {
    header
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum()
}

impl<W: Write> TarWriter<W> {
    /// An archive written to `out`.
    pub fn new(out: W) -> TarWriter<W> {
        TarWriter { out }
    }

    /// Adds a file `path` (`/`-separated, under 100 bytes) of `len` bytes read from
    /// `contents`, with permissions `mode`.
    pub fn add(
        &mut self,
        path: &str,
        mode: u32,
        contents: &mut dyn Read,
        len: u64,
    ) -> std::io::Result<()> {
        if path.len() >= 100 || path.is_empty() {
            return Err(std::io::Error::other(format!(
                "{path:?} cannot be a name in the archive"
            )));
        }
        let mut header = [0u8; BLOCK];
        header[..path.len()].copy_from_slice(path.as_bytes());
        octal(&mut header[100..108], u64::from(mode))?;
        octal(&mut header[108..116], 0)?;
        octal(&mut header[116..124], 0)?;
        octal(&mut header[124..136], len)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        octal(&mut header[136..148], now)?;
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        let sum = checksum(&header);
        header[148..154].copy_from_slice(format!("{sum:06o}").as_bytes());
        header[154] = 0;
        header[155] = b' ';
        self.out.write_all(&header)?;
        let copied = std::io::copy(&mut contents.take(len), &mut self.out)?;
        if copied != len {
            return Err(std::io::Error::other(format!(
                "{path} changed while it was copied ({copied} of {len} bytes)"
            )));
        }
        let padding = (BLOCK - (len as usize % BLOCK)) % BLOCK;
        self.out.write_all(&[0u8; BLOCK][..padding])?;
        Ok(())
    }

    /// Ends the archive (two empty blocks) and gives back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(&[0u8; 2 * BLOCK])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Its path in the archive.
    pub path: String,
    /// Its permissions.
    pub mode: u32,
    /// Its length in bytes.
    pub len: u64,
}

/// Reads entries from `input`, one after the other.
pub struct TarReader<R: Read> {
    input: R,
    /// Bytes of the current entry not yet read, and its padding.
    left: u64,
    padding: u64,
}

fn field_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

impl<R: Read> TarReader<R> {
    /// An archive read from `input`.
    pub fn new(input: R) -> TarReader<R> {
        TarReader {
            input,
            left: 0,
            padding: 0,
        }
    }

    /// The next entry (its contents are then read with [`TarReader::copy_to`]); `None`
    /// at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        // Whatever of the last entry was not read.
        std::io::copy(
            &mut (&mut self.input).take(self.left + self.padding),
            &mut std::io::sink(),
        )?;
        self.left = 0;
        self.padding = 0;
        let mut header = [0u8; BLOCK];
        self.input.read_exact(&mut header).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                TarError::Damaged("it ends too soon".into())
            } else {
                TarError::Io(e)
            }
        })?;
        if header.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        let stored = field_octal(&header[148..156])
            .ok_or_else(|| TarError::Damaged("a header's checksum is not a number".into()))?;
        if stored != checksum(&header) {
            return Err(TarError::Damaged(
                "a header does not match its checksum".into(),
            ));
        }
        if header[156] != b'0' && header[156] != 0 {
            return Err(TarError::Damaged(
                "it holds something other than files".into(),
            ));
        }
        let end = header[..100].iter().position(|b| *b == 0).unwrap_or(100);
        let path = std::str::from_utf8(&header[..end])
            .map_err(|_| TarError::Damaged("a name is not UTF-8".into()))?
            .to_owned();
        let mode = field_octal(&header[100..108]).unwrap_or(0o600) as u32;
        let len = field_octal(&header[124..136])
            .ok_or_else(|| TarError::Damaged(format!("{path}: its size is not a number")))?;
        self.left = len;
        self.padding = (BLOCK as u64 - len % BLOCK as u64) % BLOCK as u64;
        Ok(Some(TarEntry { path, mode, len }))
    }

    /// Copies the current entry's contents to `out`.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> Result<u64, TarError> {
        let copied = std::io::copy(&mut (&mut self.input).take(self.left), out)?;
        if copied != self.left {
            return Err(TarError::Damaged("it ends inside a file".into()));
        }
        self.left = 0;
        Ok(copied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_in_and_come_out_as_they_were() {
        let mut tar = TarWriter::new(Vec::new());
        tar.add("db/hub.redb", 0o600, &mut &[7u8; 1000][..], 1000)
            .unwrap();
        tar.add("pki/ca.pem", 0o644, &mut &b"cert"[..], 4).unwrap();
        tar.add("empty", 0o600, &mut &b""[..], 0).unwrap();
        let bytes = tar.finish().unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        let mut reader = TarReader::new(bytes.as_slice());
        let mut seen = Vec::new();
        while let Some(entry) = reader.next_entry().unwrap() {
            let mut contents = Vec::new();
            if entry.path != "pki/ca.pem" {
                reader.copy_to(&mut contents).unwrap();
            }
            seen.push((entry, contents));
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].0.path, "db/hub.redb");
        assert_eq!(seen[0].1, vec![7u8; 1000]);
        assert_eq!(seen[1].0.mode, 0o644);
        assert_eq!(seen[2].0.len, 0);
    }

    #[test]
    fn a_cut_or_altered_archive_is_refused() {
        let mut tar = TarWriter::new(Vec::new());
        tar.add("a", 0o600, &mut &[1u8; 600][..], 600).unwrap();
        let bytes = tar.finish().unwrap();
        let mut cut = TarReader::new(&bytes[..700]);
        cut.next_entry().unwrap();
        assert!(cut.copy_to(&mut Vec::new()).is_err());
        let mut altered = bytes.clone();
        altered[3] ^= 1;
        assert!(TarReader::new(altered.as_slice()).next_entry().is_err());
        assert!(TarReader::new(&b"hello"[..]).next_entry().is_err());
    }

    #[test]
    fn the_system_tar_reads_it() {
        let Ok(status) = std::process::Command::new("tar").arg("--version").output() else {
            return;
        };
        if !status.status.success() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut tar = TarWriter::new(Vec::new());
        tar.add("db/hub.redb", 0o600, &mut &b"data"[..], 4).unwrap();
        std::fs::write(dir.path().join("b.tar"), tar.finish().unwrap()).unwrap();
        let listed = std::process::Command::new("tar")
            .args(["-tvf", "b.tar"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(listed.status.success(), "{listed:?}");
        assert!(String::from_utf8_lossy(&listed.stdout).contains("db/hub.redb"));
    }
}
