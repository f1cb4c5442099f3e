//! Dashboard accounts: who may do what, which names and passwords are acceptable, and
//! when repeated wrong passwords lock an account. Pure rules; hashing and storage live
//! in `app::accounts`.

use nabij_protocol::{PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

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
            Area::Accounts | Area::Audit => self == Role::Admin,
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
    pub fn parse(text: &str) -> Result<UserName, String> {
        let name = text.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "an account name has 1 to {MAX_NAME_CHARS} characters"
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')))
        {
            return Err(format!(
                "an account name has letters, digits, '.', '-', '_' and '@' only, not {c:?}"
            ));
        }
        Ok(UserName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = String;
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

/// Whether a new password is acceptable; the reason when not.
pub fn check_password(password: &str, name: &UserName) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters (a short sentence is easiest to remember)"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "a password has at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    if password.to_lowercase().contains(name.as_str()) {
        return Err("a password must not contain the account's name".into());
    }
    Ok(())
}

/// An account's wrong passwords in a row, and until when it is locked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    /// Wrong passwords since the last right one.
    pub failures: u32,
    /// Locked until then.
    pub locked_until: Option<UnixMillis>,
}

impl Lockout {
    /// Whether a log-in is refused at `now`, whatever the password.
    pub fn is_locked(&self, now: UnixMillis) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// After a wrong password: the fifth in a row locks for 15 minutes, and every wrong
    /// password after a lock ends locks again.
    pub fn failed(self, now: UnixMillis) -> Lockout {
        let failures = self.failures.saturating_add(1);
        Lockout {
            failures,
            locked_until: (failures >= LOCK_AFTER_FAILURES)
                .then(|| UnixMillis(now.0.saturating_add(LOCKED_FOR_MS))),
        }
    }

    /// After the right password: nothing held against the account.
    pub fn succeeded(self) -> Lockout {
        Lockout::default()
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
    /// Wrong passwords in a row, and a lock.
    pub lockout: Lockout,
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
        ] {
            assert!(!Role::Staff.may(area), "{area:?}");
        }
        assert!(Role::Coach.may(Area::FollowUp) && Role::Coach.may(Area::Diary));
        assert!(!Role::Coach.may(Area::Accounts) && !Role::Coach.may(Area::Audit));
        assert!(Role::Admin.may(Area::Accounts) && Role::Admin.may(Area::Audit));
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
        assert!(UserName::parse("marie dewulf").unwrap_err().contains("' '"));
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

    #[test]
    fn five_wrong_passwords_lock_for_a_quarter_of_an_hour() {
        let now = UnixMillis(1_000_000);
        let mut l = Lockout::default();
        for _ in 0..4 {
            l = l.failed(now);
            assert!(!l.is_locked(now));
        }
        l = l.failed(now);
        assert!(l.is_locked(now));
        assert!(l.is_locked(UnixMillis(now.0 + LOCKED_FOR_MS - 1)));
        assert!(!l.is_locked(UnixMillis(now.0 + LOCKED_FOR_MS)));
        // One more wrong password after the lock locks again at once.
        let later = UnixMillis(now.0 + LOCKED_FOR_MS);
        assert!(l.failed(later).is_locked(later));
        assert_eq!(l.succeeded(), Lockout::default());
    }
}
