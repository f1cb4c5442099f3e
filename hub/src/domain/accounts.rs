//! Dashboard accounts: who may do what, which names and passwords are acceptable, and
//! when repeated wrong passwords lock an account. Pure rules; hashing and storage live
//! in `app::accounts`.

use nabij_protocol::{Language, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

/// What a dashboard account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages the accounts and reads the audit log.
    Admin,
    /// Supports seniors: tablets, people, the programme, the follow-up list, what
    /// seniors shared.
    Coach,
    /// Evaluation and funders: figures and reports only, never a message or an answer.
    Staff,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Coach, Role::Staff];

    /// The role's name on the command line and in forms.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coach => "coach",
            Role::Staff => "staff",
        }
    }

    /// The role named `text`.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == text)
    }

    /// Whether this role may open `area` of the dashboard.
    pub fn may(self, area: Area) -> bool {
        match area {
            Area::Home => true,
            Area::Reports => true,
            Area::Accounts | Area::Audit | Area::Status => self == Role::Admin,
            Area::Devices | Area::People | Area::Programme | Area::FollowUp | Area::Diary => {
                self == Role::Coach
            }
        }
    }
}

/// A part of the dashboard, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The start page.
    Home,
    /// Tablets: enrol, status, switch off, wipe, loans.
    Devices,
    /// Participants, coaches, contacts, consent, messages to them.
    People,
    /// Groups, the schedule, attendance.
    Programme,
    /// Who needs a call, and why.
    FollowUp,
    /// Diary prompts and what seniors shared.
    Diary,
    /// Figures: attendance rates, network growth, questionnaire outcomes.
    Reports,
    /// Dashboard accounts.
    Accounts,
    /// Who changed what, when.
    Audit,
    /// How the hub is doing: broker, store, disk, certificate, backups, tablets (also as
    /// `/metrics` for Prometheus).
    Status,
}

/// Wrong passwords in a row that lock an account.
pub const LOCK_AFTER_FAILURES: u32 = 5;

/// How long a locked account stays locked.
pub const LOCKED_FOR_MS: u64 = 15 * 60 * 1000;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Longest password accepted (hashing is the expensive part of a log-in; a cap keeps a
/// stranger from making it more so).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Longest account name.
pub const MAX_NAME_CHARS: usize = 64;

/// An account name: 1–64 characters of letters, digits, `.`, `-`, `_` and `@`, compared
/// in lower case (so "Marie" and "marie" are one account).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Checks and normalises a name typed by a person.
    pub fn parse(text: &str) -> Result<UserName, AccountError> {
        let name = text.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(AccountError::NameLength);
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')))
        {
            return Err(AccountError::NameCharacter(c));
        }
        Ok(UserName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = AccountError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        UserName::parse(&text)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> String {
        name.0
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an account cannot be made or changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// An empty or too long name.
    #[error("an account name has 1 to {MAX_NAME_CHARS} characters")]
    NameLength,
    /// A character a name cannot have.
    #[error("an account name has letters, digits, '.', '-', '_' and '@' only, not {0:?}")]
    NameCharacter(char),
    /// Too short a password.
    #[error(
        "a password has at least {MIN_PASSWORD_CHARS} characters (a short sentence is easiest to remember)"
    )]
    PasswordShort,
    /// Too long a password.
    #[error("a password has at most {MAX_PASSWORD_CHARS} characters")]
    PasswordLong,
    /// A password with the account's name in it.
    #[error("a password must not contain the account's name")]
    PasswordHasName,
    /// A coach's account without its coach.
    #[error("a coach's account names the coach (--coach NAME)")]
    CoachMissing,
    /// A coach named for an account that is not a coach's.
    #[error("only a coach's account names a coach")]
    CoachNotWanted,
    /// No account by that name.
    #[error("there is no account {0}")]
    NoAccount(String),
    /// The password could not be checked or hashed (the hub is stopping, or the work
    /// failed).
    #[error("the password check failed: {0}")]
    CheckFailed(String),
}

/// Whether a new password is acceptable; the reason when not.
pub fn check_password(password: &str, name: &UserName) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::PasswordLong);
    }
    if password.to_lowercase().contains(name.as_str()) {
        return Err(AccountError::PasswordHasName);
    }
    Ok(())
}

/// Wrong passwords from one place: for one name there, or for any name there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Strikes {
    /// Wrong passwords counted (since `since`).
    count: u32,
    /// When the first of them came.
    since: UnixMillis,
    /// Refused until then.
    locked_until: Option<UnixMillis>,
}

impl Default for Strikes {
    fn default() -> Self {
        Strikes {
            count: 0,
            since: UnixMillis(0),
            locked_until: None,
        }
    }
}

impl Strikes {
    fn is_locked(&self, now: UnixMillis) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// After a wrong password: the `limit`th within a quarter of an hour locks for a
    /// quarter of an hour; one more after a lock ends locks again.
    fn failed(self, now: UnixMillis, limit: u32) -> Strikes {
        let stale = now.0.saturating_sub(self.since.0) >= LOCKED_FOR_MS;
        let (count, since) = if self.count == 0 || (stale && self.locked_until.is_none()) {
            (1, now)
        } else {
            (self.count.saturating_add(1), self.since)
        };
        Strikes {
            count,
            since,
            locked_until: (count >= limit).then(|| UnixMillis(now.0.saturating_add(LOCKED_FOR_MS))),
        }
    }

    /// Whether it still says anything at `now` (otherwise it can be forgotten).
    fn matters(&self, now: UnixMillis) -> bool {
        self.is_locked(now) || now.0.saturating_sub(self.since.0) < LOCKED_FOR_MS
    }
}

/// Wrong passwords from one address, over every name, that pause log-ins from there.
pub const LOCK_SOURCE_AFTER_FAILURES: u32 = 20;

/// Most names and addresses remembered at once: names are typed by strangers, so the
/// memory they take is capped (the oldest that no longer matter go first, then any).
const MAX_REMEMBERED: usize = 4096;

/// Who may try a password now. Kept by name *and* source address, never by whether an
/// account exists: an unknown name is refused and locked exactly like a known one, so
/// the answers tell nothing about which accounts there are; and five wrong passwords
/// from one address lock that name only *from that address*, so a stranger cannot
/// lock a coach out from elsewhere. Twenty wrong passwords from one address, whatever
/// the names, pause that address. Held in memory: a restart forgets it, and no wrong
/// password costs a write to the hub's SD card.
#[derive(Debug, Default)]
pub struct LogInGuard {
    by_name: HashMap<(String, IpAddr), Strikes>,
    by_source: HashMap<IpAddr, Strikes>,
}

/// Keeps `map` within [`MAX_REMEMBERED`]: first what no longer matters goes, then, in
/// a flood of names, the oldest.
fn trim<K: Clone + Eq + std::hash::Hash>(map: &mut HashMap<K, Strikes>, now: UnixMillis) {
    if map.len() <= MAX_REMEMBERED {
        return;
    }
    map.retain(|_, s| s.matters(now));
    if map.len() > MAX_REMEMBERED {
        tracing::warn!(
            remembered = map.len(),
            "many wrong log-ins at once; the oldest are forgotten"
        );
    }
    while map.len() > MAX_REMEMBERED {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, s)| s.since)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

/// Where a log-in comes from, as far as locking goes: an IPv4 address, or an IPv6
/// address's /64 (one home or phone network holds a whole /64).
fn source_key(source: IpAddr) -> IpAddr {
    match source {
        IpAddr::V4(_) => source,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
    }
}

/// A typed name as the guard keys it: as accounts compare names (trimmed, lower case),
/// and no longer than a name can be.
fn name_key(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .take(MAX_NAME_CHARS + 1)
        .collect()
}

impl LogInGuard {
    /// Whether a log-in as `name` from `source` is refused at `now`, whatever the
    /// password.
    pub fn refuses(&self, name: &str, source: IpAddr, now: UnixMillis) -> bool {
        let source = source_key(source);
        let locked = |s: Option<&Strikes>| s.is_some_and(|s| s.is_locked(now));
        locked(self.by_source.get(&source)) || locked(self.by_name.get(&(name_key(name), source)))
    }

    /// Counts a wrong password for `name` from `source`; says whether that locked it.
    pub fn failed(&mut self, name: &str, source: IpAddr, now: UnixMillis) -> bool {
        let source = source_key(source);
        let key = (name_key(name), source);
        let pair = self
            .by_name
            .get(&key)
            .copied()
            .unwrap_or_default()
            .failed(now, LOCK_AFTER_FAILURES);
        let place = self
            .by_source
            .get(&source)
            .copied()
            .unwrap_or_default()
            .failed(now, LOCK_SOURCE_AFTER_FAILURES);
        self.by_name.insert(key, pair);
        self.by_source.insert(source, place);
        self.forget_old(now);
        pair.is_locked(now) || place.is_locked(now)
    }

    /// After the right password: nothing held against that name from there (what the
    /// address did with other names still counts).
    pub fn succeeded(&mut self, name: &str, source: IpAddr) {
        self.by_name.remove(&(name_key(name), source_key(source)));
    }

    fn forget_old(&mut self, now: UnixMillis) {
        trim(&mut self.by_name, now);
        trim(&mut self.by_source, now);
    }

    /// How many name-and-address pairs and addresses are remembered (for tests).
    #[cfg(test)]
    fn remembered(&self) -> (usize, usize) {
        (self.by_name.len(), self.by_source.len())
    }
}

/// A dashboard account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The name to log in with.
    pub name: UserName,
    /// What the account may do.
    pub role: Role,
    /// For a coach's account: the coach they are (whose groups, whose name on "dealt
    /// with").
    pub coach: Option<PersonId>,
    /// The password's Argon2id hash.
    pub hash: String,
    /// When it was made.
    pub created_at: UnixMillis,
    /// The language the dashboard speaks to them (accounts made before it could be
    /// chosen: Dutch).
    #[serde(default)]
    pub language: Language,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: UnixMillis,
    /// Who: an account's name, or `command line` for the hub's own commands.
    pub who: String,
    /// What, in a few words with the ids it touched.
    pub what: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_see_figures_only_and_admins_the_accounts() {
        assert!(Role::Staff.may(Area::Reports));
        for area in [
            Area::Devices,
            Area::People,
            Area::Programme,
            Area::FollowUp,
            Area::Diary,
            Area::Accounts,
            Area::Audit,
            Area::Status,
        ] {
            assert!(!Role::Staff.may(area), "{area:?}");
        }
        assert!(Role::Coach.may(Area::FollowUp) && Role::Coach.may(Area::Diary));
        assert!(!Role::Coach.may(Area::Accounts) && !Role::Coach.may(Area::Audit));
        assert!(Role::Admin.may(Area::Accounts) && Role::Admin.may(Area::Audit));
        assert!(Role::Admin.may(Area::Status));
        assert!(!Role::Coach.may(Area::Status) && !Role::Staff.may(Area::Status));
        assert!(!Role::Admin.may(Area::Diary), "an admin reads no answers");
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }

    #[test]
    fn names_are_plain_and_case_blind() {
        assert_eq!(
            UserName::parse(" Marie.Dewulf ").unwrap().as_str(),
            "marie.dewulf"
        );
        assert!(UserName::parse("").is_err());
        assert_eq!(
            UserName::parse("marie dewulf"),
            Err(AccountError::NameCharacter(' '))
        );
        assert!(UserName::parse("<script>").is_err());
        assert!(UserName::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords_are_long_enough_and_not_the_name() {
        let marie = UserName::parse("marie").unwrap();
        assert!(check_password("kort", &marie).is_err());
        assert!(check_password("Marie2026!x", &marie).is_err());
        assert!(check_password("de zee is grijs vandaag", &marie).is_ok());
        assert!(check_password(&"x".repeat(201), &marie).is_err());
    }

    fn here() -> IpAddr {
        IpAddr::from([192, 168, 1, 20])
    }

    fn elsewhere() -> IpAddr {
        IpAddr::from([192, 168, 1, 66])
    }

    #[test]
    fn five_wrong_passwords_lock_a_name_for_a_quarter_of_an_hour_from_that_address_only() {
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        for _ in 0..4 {
            assert!(!guard.failed("marie", elsewhere(), now));
            assert!(!guard.refuses("marie", elsewhere(), now));
        }
        assert!(guard.failed(" Marie ", elsewhere(), now), "the fifth locks");
        assert!(guard.refuses("marie", elsewhere(), now));
        assert!(guard.refuses("marie", elsewhere(), UnixMillis(now.0 + LOCKED_FOR_MS - 1)));
        // Marie at the centre is not locked out by the stranger.
        assert!(!guard.refuses("marie", here(), now));
        let later = UnixMillis(now.0 + LOCKED_FOR_MS);
        assert!(!guard.refuses("marie", elsewhere(), later));
        // One more wrong password after the lock ends locks again at once.
        assert!(guard.failed("marie", elsewhere(), later));
    }

    #[test]
    fn unknown_names_lock_like_known_ones() {
        // The guard never asks whether an account exists: the same counts for any name.
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        let locked: Vec<bool> = (0..5)
            .map(|_| guard.failed("niemand", here(), now))
            .collect();
        assert_eq!(locked, [false, false, false, false, true]);
        assert!(guard.refuses("niemand", here(), now));
    }

    #[test]
    fn many_names_from_one_address_pause_that_address() {
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        for i in 0..LOCK_SOURCE_AFTER_FAILURES - 1 {
            assert!(!guard.failed(&format!("naam{i}"), elsewhere(), now));
        }
        assert!(guard.failed("marie", elsewhere(), now));
        assert!(
            guard.refuses("piet", elsewhere(), now),
            "any name from there"
        );
        assert!(!guard.refuses("piet", here(), now));
    }

    #[test]
    fn the_right_password_clears_its_name_and_old_mistakes_are_forgotten() {
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        for _ in 0..4 {
            guard.failed("marie", here(), now);
        }
        guard.succeeded("marie", here());
        assert!(!guard.failed("marie", here(), now), "counting starts again");
        // Four wrong ones, then a fifth much later: not five in a quarter of an hour.
        let mut guard = LogInGuard::default();
        for _ in 0..4 {
            guard.failed("jan", here(), now);
        }
        assert!(!guard.failed("jan", here(), UnixMillis(now.0 + LOCKED_FOR_MS)));
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        for i in 0..5u16 {
            let addr = std::net::Ipv6Addr::new(0x2a02, 0x1810, 0, 1, 0, 0, 0, i);
            guard.failed("marie", IpAddr::V6(addr), now);
        }
        let other_host = std::net::Ipv6Addr::new(0x2a02, 0x1810, 0, 1, 9, 9, 9, 9);
        assert!(guard.refuses("marie", IpAddr::V6(other_host), now));
    }

    #[test]
    fn a_flood_of_names_takes_bounded_memory() {
        let now = UnixMillis(1_000_000);
        let mut guard = LogInGuard::default();
        for i in 0..(MAX_REMEMBERED + 100) {
            let source = IpAddr::from((i as u32).to_be_bytes());
            guard.failed(&format!("naam{i}"), source, now);
        }
        let (names, sources) = guard.remembered();
        assert!(names <= MAX_REMEMBERED && sources <= MAX_REMEMBERED);
    }
}
