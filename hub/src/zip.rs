//! A zip archive of stored (uncompressed) files, for a participant's data export. The
//! media in it (JPEG, PNG, Ogg Opus) are compressed already and JSON is small, so
//! storing keeps this a page of code with no compression library; every unzip tool and
//! every operating system opens it.

use nabij_protocol::UnixMillis;

/// Why an archive cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZipError {
    /// Past what a zip without its 64-bit extension can hold.
    #[error(
        "the export is too large for one zip file ({files} files, {bytes} bytes; at most 65535 files and 4 GiB)"
    )]
    TooLarge {
        /// How many files.
        files: usize,
        /// How many bytes.
        bytes: usize,
    },
    /// A name an unzip tool would refuse or place outside its folder.
    #[error("{0:?} is not a safe file name inside a zip")]
    BadName(String),
}

/// One file to put in the archive.
pub struct ZipEntry {
    /// Its path inside the archive, `/`-separated.
    pub name: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
/// Version 2.0: what stored files and folders need.
const VERSION: u16 = 20;
/// General purpose flag bit 11: names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;

/// The MS-DOS date and time zip headers carry (local time, two-second steps).
fn dos_time(at: UnixMillis) -> (u16, u16) {
    let c = nabij_protocol::time::brussels(at);
    let year = u16::try_from((c.year - 1980).clamp(0, 127)).unwrap_or(0);
    let date = (year << 9) | (u16::from(c.month) << 5) | u16::from(c.day);
    let time = (u16::from(c.hour) << 11) | (u16::from(c.minute) << 5);
    (time, date)
}

fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 1024
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && name.split('/').all(|part| !part.is_empty() && part != "..")
}

/// The archive of `entries`, each dated `at`.
pub fn archive(entries: &[ZipEntry], at: UnixMillis) -> Result<Vec<u8>, ZipError> {
    let total: usize = entries.iter().map(|e| e.bytes.len() + e.name.len()).sum();
    if entries.len() > usize::from(u16::MAX) || total > u32::MAX as usize / 2 {
        return Err(ZipError::TooLarge {
            files: entries.len(),
            bytes: total,
        });
    }
    if let Some(bad) = entries.iter().find(|e| !safe_name(&e.name)) {
        return Err(ZipError::BadName(bad.name.clone()));
    }
    let (time, date) = dos_time(at);
    let mut out = Vec::with_capacity(total + entries.len() * 100 + 22);
    let mut central = Vec::new();
    // Sizes and offsets fit in 32 bits: checked above (half of u32::MAX leaves room for
    // the headers).
    let u32_of = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    for entry in entries {
        let offset = u32_of(out.len());
        let crc = crc32fast::hash(&entry.bytes);
        let size = u32_of(entry.bytes.len());
        let name = entry.name.as_bytes();
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let common = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&VERSION.to_le_bytes()); // version needed
            buf.extend_from_slice(&UTF8_NAMES.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // stored
            buf.extend_from_slice(&time.to_le_bytes());
            buf.extend_from_slice(&date.to_le_bytes());
            buf.extend_from_slice(&crc.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes()); // compressed
            buf.extend_from_slice(&size.to_le_bytes()); // uncompressed
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // extra field
        };
        out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name);
        out.extend_from_slice(&entry.bytes);

        central.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
        central.extend_from_slice(&VERSION.to_le_bytes()); // made by
        common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = u32_of(out.len());
    let central_size = u32_of(central.len());
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&central);
    out.extend_from_slice(&END_OF_CENTRAL.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with the directory
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, bytes: &[u8]) -> ZipEntry {
        ZipEntry {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    /// The archive as `unzip` sees it: it tests every CRC and lists every file.
    #[test]
    fn unzip_reads_back_every_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let photo: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let bytes = archive(
            &[
                entry("gegevens.json", "{\"naam\": \"Mariëtte\"}".as_bytes()),
                entry("media/foto-1.jpg", &photo),
                entry("media/leeg.txt", b""),
            ],
            UnixMillis(1_795_000_000_000),
        )
        .unwrap();
        let path = dir.path().join("export.zip");
        std::fs::write(&path, &bytes).unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("unzip")
                .args(args)
                .arg(&path)
                .current_dir(dir.path())
                .output()
                .expect("unzip is installed (cargo xtask test installs it)");
            assert!(out.status.success(), "{out:?}");
            out.stdout
        };
        let tested = String::from_utf8(run(&["-t"])).unwrap();
        assert!(tested.contains("No errors detected"), "{tested}");
        run(&["-q", "-d", "out"]);
        let read = |name: &str| std::fs::read(dir.path().join("out").join(name)).unwrap();
        assert_eq!(read("gegevens.json"), "{\"naam\": \"Mariëtte\"}".as_bytes());
        assert_eq!(read("media/foto-1.jpg"), photo);
        assert!(read("media/leeg.txt").is_empty());
    }

    #[test]
    fn names_that_would_escape_the_folder_are_refused() {
        for bad in ["../x", "/etc/x", "a//b", "a\\b", "", "a/\u{7}"] {
            assert_eq!(
                archive(&[entry(bad, b"x")], UnixMillis(0)).err(),
                Some(ZipError::BadName(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_date_is_the_local_time_in_dos_form() {
        // 2026-11-30 14:30 in Brussels (UTC+1 in winter).
        let (time, date) = dos_time(UnixMillis(1_796_045_400_000));
        assert_eq!(date, (46 << 9) | (11 << 5) | 30);
        assert_eq!(time, (14 << 11) | (30 << 5));
    }
}
