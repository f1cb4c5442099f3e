//! Random secrets and identifiers, and Mosquitto's password hash. All randomness comes
//! from the operating system's CSPRNG (through ring).

use nabij_protocol::{DeviceId, PAIRING_ALPHABET, PAIRING_CODE_LEN, base64};
use ring::rand::{SecureRandom, SystemRandom};
use std::num::NonZeroU32;

/// The system random source failed; nothing secret can be made.
#[derive(Debug, thiserror::Error)]
#[error("the system's random number generator failed")]
pub struct RandomError;

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(bytes)
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so no bias).
fn random_string(alphabet: &[u8], len: usize) -> Result<String, RandomError> {
    // Largest multiple of the alphabet size that fits in a byte: bytes above it are
    // thrown away so every character is equally likely.
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<64>()? {
            if (b as usize) < limit && out.len() < len {
                out.push(char::from(alphabet[b as usize % alphabet.len()]));
            }
        }
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A device password: 40 characters from a 62-letter alphabet (about 238 bits).
pub fn device_password() -> Result<String, RandomError> {
    random_string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        40,
    )
}

/// A pairing code: 6 characters from the protocol's unambiguous alphabet.
pub fn pairing_code() -> Result<String, RandomError> {
    random_string(PAIRING_ALPHABET.as_bytes(), PAIRING_CODE_LEN)
}

/// A new device id: `d-` and 16 hex digits (64 random bits). Device ids are MQTT client
/// ids too, so they must not be guessable: whoever knows a client id can knock that
/// client off the broker by connecting with the same id.
pub fn device_id() -> Result<DeviceId, RandomError> {
    let id = format!("d-{}", hex(&random_bytes::<8>()?));
    DeviceId::parse(&id).map_err(|_| RandomError)
}

/// A secret MQTT client id for the hub's own connection, for the same reason.
pub fn hub_client_id() -> Result<String, RandomError> {
    Ok(format!("hub-{}", hex(&random_bytes::<16>()?)))
}

/// A fresh message id: a UUID of version 7, its first 48 bits the time in milliseconds,
/// the rest random. In time order, so that the records the hub keys by them (messages,
/// their contents, receipts) are written side by side, a few pages a commit rather than
/// a page each.
pub fn message_id() -> Result<nabij_protocol::MessageId, RandomError> {
    let mut bytes = random_bytes::<16>()?;
    bytes[..6].copy_from_slice(&crate::clock::now().0.to_be_bytes()[2..]);
    Ok(nabij_protocol::MessageId::from_uuid_bytes(bytes, 7))
}

/// `0..n` in a random order (Fisher–Yates), for numbering members on a report afresh
/// each time: nobody can join two reports, or a report and a coach's list, by number.
pub fn shuffled(n: usize) -> Result<Vec<usize>, RandomError> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // 64 random bits modulo a group's size: the bias is below 2^-50.
        let draw = u64::from_le_bytes(random_bytes::<8>()?);
        let j = (draw % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    Ok(order)
}

/// PBKDF2 rounds for broker passwords. The passwords are long random strings, so the
/// rounds do not carry the security; they keep each broker log-in cheap.
const PBKDF2_ROUNDS: u32 = 1_000;

/// A password entry in Mosquitto 2's `$7$` format: PBKDF2-HMAC-SHA512 with a 12-byte salt,
/// `$7$<rounds>$<base64 salt>$<base64 hash>`, the same as `mosquitto_passwd` writes.
pub fn mosquitto_hash(password: &str) -> Result<String, RandomError> {
    let salt = random_bytes::<12>()?;
    Ok(mosquitto_hash_with_salt(password, &salt, PBKDF2_ROUNDS))
}

fn mosquitto_hash_with_salt(password: &str, salt: &[u8], rounds: u32) -> String {
    let mut hash = [0u8; 64];
    let rounds_nz = NonZeroU32::new(rounds).unwrap_or(NonZeroU32::MIN);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA512,
        rounds_nz,
        salt,
        password.as_bytes(),
        &mut hash,
    );
    format!(
        "$7${rounds}${}${}",
        base64::encode(salt),
        base64::encode(&hash)
    )
}

/// The coach PIN of this hub's tablets: four digits derived from the hub's enrolment
/// secret, so every tablet of one hub has the same PIN (coaches learn one) and no extra
/// secret needs keeping. It keeps seniors out of the settings; it is not a lock.
pub fn coach_pin(enrolment_password: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("nabij coach pin\n{enrolment_password}").as_bytes(),
    );
    let bytes = digest.as_ref();
    let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 10_000;
    format!("{n:04}")
}

/// Compares two secrets (form tokens, session tokens) in time that does not depend on
/// where they differ, so that a token cannot be found a byte at a time by timing the
/// answers (`subtle`, whose comparison the optimiser cannot cut short). Only the length
/// may show, and every token of a kind has the same length.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// PBKDF2 rounds for a tablet's coach PIN: a tablet checks a PIN in a few milliseconds.
/// Four digits are found from any hash by trying all 10 000, so the rounds are not the
/// defence (the tablet's lock-out is); the hash keeps the PIN out of sight in the
/// hub's queue and the tablet's files.
pub const COACH_PIN_ROUNDS: u32 = 20_000;

/// A tablet's coach PIN as the protocol carries it: PBKDF2-HMAC-SHA256 of its digits
/// with a fresh 16-byte salt (docs/protocol.md §6.24).
pub fn coach_pin_hash(pin: &str) -> Result<nabij_protocol::CoachPin, RandomError> {
    let salt = random_bytes::<16>()?;
    Ok(coach_pin_hash_with_salt(pin, &salt, COACH_PIN_ROUNDS))
}

fn coach_pin_hash_with_salt(pin: &str, salt: &[u8], rounds: u32) -> nabij_protocol::CoachPin {
    let mut hash = [0u8; nabij_protocol::CoachPin::HASH_BYTES];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(rounds).unwrap_or(NonZeroU32::MIN),
        salt,
        pin.as_bytes(),
        &mut hash,
    );
    nabij_protocol::CoachPin {
        salt: base64::Base64Bytes(salt.to_vec()),
        rounds,
        hash: base64::Base64Bytes(hash.to_vec()),
    }
}

/// A random coach PIN for a tablet (four digits, uniform), for a coach who lets the hub
/// choose; drawn again while it is one too easy to guess or `shared`.
pub fn random_coach_pin(shared: &str) -> Result<String, RandomError> {
    loop {
        let pin = random_string(b"0123456789", nabij_protocol::COACH_PIN_DIGITS)?;
        if crate::domain::devices::coach_pin(&pin, shared).is_ok() {
            return Ok(pin);
        }
    }
}

/// A dashboard password's hash: Argon2id with the crate's recommended cost (19 MiB, two
/// passes) and a random 16-byte salt, as a PHC string (`$argon2id$v=19$…`).
pub fn password_hash(password: &str) -> Result<String, RandomError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|_| RandomError)?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| RandomError)
}

/// Whether `password` matches a hash from [`password_hash`]. A hash that cannot be
/// read matches nothing.
pub fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A password made for a new dashboard account: five groups of four letters and digits
/// without look-alikes (`k7pq-x4cm-…`, about 100 bits), easy to read out and type.
pub fn readable_password() -> Result<String, RandomError> {
    let letters = random_string(b"abcdefghjkmnpqrstuvwxyz23456789", 20)?;
    Ok(letters
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A session token for the dashboard: 32 random bytes as hex (256 bits).
pub fn session_token() -> Result<String, RandomError> {
    Ok(hex(&random_bytes::<32>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coach_pin_is_hashed_as_the_protocol_document_says() {
        // The example of docs/protocol.md §6.24: the PIN 4821.
        let salt = base64::decode("jR86a+DCR1mh47XX+QIcTg==").unwrap();
        let hashed = coach_pin_hash_with_salt("4821", &salt, 20_000);
        assert_eq!(
            base64::encode(&hashed.hash.0),
            "HLTLgPULDxvS1BdrtBR7h/aZY8rvtBof+QMqjm8b2w0="
        );
        let fresh = coach_pin_hash("4821").unwrap();
        assert_ne!(fresh.salt, hashed.salt, "a new salt for every PIN");
        assert_eq!(fresh.rounds, COACH_PIN_ROUNDS);
        let pin = random_coach_pin("2580").unwrap();
        assert!(crate::domain::devices::coach_pin(&pin, "2580").is_ok());
    }

    #[test]
    fn secrets_compare_whole_and_by_content() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd") && !same_secret("", "a"));
    }

    #[test]
    fn a_shuffle_keeps_every_number_once_and_is_drawn_afresh() {
        let mut order = shuffled(12).unwrap();
        let first = order.clone();
        order.sort_unstable();
        assert_eq!(order, (0..12).collect::<Vec<_>>());
        // Twelve members in the same order ten times over: 1 in 479 001 600^9.
        assert!((0..10).any(|_| shuffled(12).unwrap() != first));
        assert!(shuffled(0).unwrap().is_empty());
    }

    #[test]
    fn dashboard_passwords_are_salted_argon2id() {
        let hash = password_hash("de zee is grijs").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(password_matches("de zee is grijs", &hash));
        assert!(!password_matches("de zee is blauw", &hash));
        assert_ne!(hash, password_hash("de zee is grijs").unwrap(), "salted");
        assert!(!password_matches("", "not a hash"));
        assert_eq!(session_token().unwrap().len(), 64);
        let made = readable_password().unwrap();
        assert_eq!((made.len(), made.matches('-').count()), (24, 4), "{made}");
    }

    #[test]
    fn hashes_match_what_mosquitto_passwd_writes() {
        // Written by `mosquitto_passwd -b passwd alice secretpw` (Mosquitto 2.0.11).
        let line = "$7$101$nEBeTc23pcX0oXdZ$nXKnWRBKvOHgQhGbj4qZ5lf/Aikd/2sHLpOp4hCy68bt88FNwTDtQCbAAue9Ep32VAttrzQCl/Pu40imAZNprA==";
        let salt = base64::decode("nEBeTc23pcX0oXdZ").unwrap();
        assert_eq!(mosquitto_hash_with_salt("secretpw", &salt, 101), line);
    }

    #[test]
    fn secrets_have_their_form_and_differ() {
        let a = device_password().unwrap();
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, device_password().unwrap());
        let code = pairing_code().unwrap();
        assert_eq!(code.len(), PAIRING_CODE_LEN);
        assert!(code.chars().all(|c| PAIRING_ALPHABET.contains(c)));
        assert!(device_id().unwrap().as_str().len() == 18);
        assert!(message_id().unwrap().as_str().len() == 36);
    }

    #[test]
    fn every_pairing_letter_can_come_up() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..400 {
            seen.extend(pairing_code().unwrap().chars());
        }
        assert_eq!(seen.len(), PAIRING_ALPHABET.len());
    }
}
