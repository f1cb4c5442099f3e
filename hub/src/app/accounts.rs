//! Dashboard accounts and the audit log: adding accounts, logging in (with the lock after
//! repeated wrong passwords), and who changed what, when. Passwords are kept only as
//! Argon2id hashes; hashing runs off the async threads.

use super::{AppError, Hub, tables};
use crate::clock;
pub use crate::domain::accounts::{Account, AuditEntry};
use crate::domain::accounts::{
    AccountError, LogInGuard, MAX_PASSWORD_CHARS, Role, UserName, check_password,
};
use crate::domain::people::Role as PersonRole;
use crate::secrets;
use nabij_protocol::{Language, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// An account as the edges see it: no hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The name to log in with.
    pub name: UserName,
    /// What the account may do.
    pub role: Role,
    /// For a coach: the coach they are.
    pub coach: Option<PersonId>,
    /// When it was made.
    pub created_at: UnixMillis,
    /// The language the dashboard speaks to them.
    pub language: Language,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            name: a.name.clone(),
            role: a.role,
            coach: a.coach.clone(),
            created_at: a.created_at,
            language: a.language,
        }
    }
}

/// Longest audit line kept.
const MAX_AUDIT_CHARS: usize = 500;

/// A hash of a password no one has, checked when the name is unknown, so that a wrong
/// name takes as long as a wrong password and does not tell that the name is free.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        secrets::password_hash("no account has this password, ever").unwrap_or_default()
    })
}

/// Password hashes computed at once, at most: each takes 19 MiB and tens of
/// milliseconds, so a stranger posting log-ins in a loop queues here instead of taking
/// the hub's memory and every blocking thread.
const HASHING_AT_ONCE: usize = 2;

async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);
    let _slot = SLOTS
        .acquire()
        .await
        .map_err(|e| AppError::Account(AccountError::CheckFailed(e.to_string())))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Account(AccountError::CheckFailed(e.to_string())))
}

impl Hub {
    /// Adds a dashboard account, reading `language`. A coach's account names the coach
    /// they are.
    pub async fn add_account(
        &self,
        name: &str,
        role: Role,
        coach: Option<&PersonId>,
        password: &str,
        language: Language,
    ) -> Result<AccountView, AppError> {
        let name = UserName::parse(name).map_err(AppError::Account)?;
        check_password(password, &name).map_err(AppError::Account)?;
        let coach = match (role, coach) {
            (Role::Coach, None) => {
                return Err(AppError::Account(AccountError::CoachMissing));
            }
            (Role::Coach, Some(id)) => {
                let person = self.find_person(id.as_str())?;
                if person.role != PersonRole::Coach {
                    return Err(AppError::NotACoach(person.name));
                }
                Some(person.id)
            }
            (_, Some(_)) => {
                return Err(AppError::Account(AccountError::CoachNotWanted));
            }
            (_, None) => None,
        };
        let password = password.to_owned();
        let hash = off_thread(move || secrets::password_hash(&password)).await??;
        let account = Account {
            name,
            role,
            coach,
            hash,
            created_at: clock::now(),
            language,
        };
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        if tx.contains(tables::ACCOUNTS, account.name.as_str())? {
            return Err(AppError::AccountExists(account.name.to_string()));
        }
        tx.put(tables::ACCOUNTS, account.name.as_str(), &account)?;
        tx.commit().await?;
        Ok(AccountView::from(&account))
    }

    /// The language the dashboard speaks to an account.
    pub async fn set_account_language(
        &self,
        name: &str,
        language: Language,
    ) -> Result<AccountView, AppError> {
        let name = UserName::parse(name).map_err(AppError::Account)?;
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let Some(mut account) = tx.get(tables::ACCOUNTS, name.as_str())? else {
            return Err(AppError::Account(AccountError::NoAccount(name.to_string())));
        };
        account.language = language;
        tx.put(tables::ACCOUNTS, account.name.as_str(), &account)?;
        tx.commit().await?;
        Ok(AccountView::from(&account))
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<AccountView>, AppError> {
        Ok(self
            .tx()
            .all(tables::ACCOUNTS)?
            .iter()
            .map(AccountView::from)
            .collect())
    }

    /// Checks a log-in from `source`. A wrong name and a wrong password get the same
    /// answer, and lock alike: five wrong passwords for a name from one address pause
    /// that name from there for a quarter of an hour, twenty from one address pause the
    /// address (`domain::accounts::LogInGuard`); a paused log-in is refused whatever
    /// the password, before any hashing.
    pub async fn log_in(
        &self,
        name: &str,
        password: &str,
        source: IpAddr,
    ) -> Result<AccountView, AppError> {
        let now = clock::now();
        if self.guard().refuses(name, source, now) {
            return Err(AppError::Locked);
        }
        let found = match UserName::parse(name) {
            Ok(name) if password.chars().count() <= MAX_PASSWORD_CHARS => {
                self.tx().get(tables::ACCOUNTS, name.as_str())?
            }
            _ => None,
        };
        // An unknown name costs the same hashing as a known one.
        let hash = found
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |a| a.hash.clone());
        let given = password.to_owned();
        let right = off_thread(move || secrets::password_matches(&given, &hash)).await?;
        match found {
            Some(account) if right => {
                self.guard().succeeded(name, source);
                Ok(AccountView::from(&account))
            }
            _ => {
                if self.guard().failed(name, source, now) {
                    Err(AppError::Locked)
                } else {
                    Err(AppError::WrongLogIn)
                }
            }
        }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, LogInGuard> {
        // A panic while holding it leaves counts that are still counts.
        self.inner
            .log_ins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The account named `name`, if there is one (a session checks it is still there).
    pub fn account(&self, name: &UserName) -> Result<Option<AccountView>, AppError> {
        Ok(self
            .tx()
            .get(tables::ACCOUNTS, name.as_str())?
            .as_ref()
            .map(AccountView::from))
    }

    /// Writes a line to the audit log.
    pub async fn audit(&self, who: &str, what: &str) -> Result<(), AppError> {
        let what: String = what.chars().take(MAX_AUDIT_CHARS).collect();
        let _write = self.inner.write.lock().await;
        let mut tx = self.tx();
        let seq = tx.next_id()?;
        tx.put(
            tables::AUDIT,
            seq.to_be_bytes(),
            &AuditEntry {
                at: clock::now(),
                who: who.to_owned(),
                what,
            },
        )?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` lines of the audit log, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AppError> {
        let mut all = self.tx().all(tables::AUDIT)?;
        all.reverse();
        all.truncate(limit);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::hub;

    const PASSWORD: &str = "de zee is grijs vandaag";
    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 20));
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 66));

    #[tokio::test]
    async fn an_account_logs_in_with_its_password_only() {
        let (hub, _) = hub();
        let admin = hub
            .add_account("Beheer", Role::Admin, None, PASSWORD, Language::Nl)
            .await
            .unwrap();
        assert_eq!(admin.name.as_str(), "beheer");
        assert_eq!(
            hub.log_in("BEHEER", PASSWORD, HERE).await.unwrap().role,
            Role::Admin
        );
        assert!(matches!(
            hub.log_in("beheer", "de zee is blauw", HERE).await,
            Err(AppError::WrongLogIn)
        ));
        assert!(matches!(
            hub.log_in("niemand", PASSWORD, HERE).await,
            Err(AppError::WrongLogIn)
        ));
        assert!(matches!(
            hub.add_account("beheer", Role::Staff, None, PASSWORD, Language::Nl)
                .await,
            Err(AppError::AccountExists(_))
        ));
        let stored = hub.tx().get(tables::ACCOUNTS, "beheer").unwrap().unwrap();
        assert!(!stored.hash.contains(PASSWORD) && stored.hash.starts_with("$argon2id$"));
    }

    #[tokio::test]
    async fn a_coach_account_is_a_coach_and_weak_passwords_are_refused() {
        let (hub, _) = hub();
        assert!(matches!(
            hub.add_account("marie", Role::Coach, None, PASSWORD, Language::Nl)
                .await,
            Err(AppError::Account(AccountError::CoachMissing))
        ));
        let jan = hub
            .add_participant("Jan Claes", None, None)
            .await
            .unwrap()
            .id;
        assert!(matches!(
            hub.add_account("jan", Role::Coach, Some(&jan), PASSWORD, Language::Nl)
                .await,
            Err(AppError::NotACoach(_))
        ));
        let marie = hub
            .add_coach("Marie Dewulf", "059 12 34 56", None)
            .await
            .unwrap()
            .id;
        let account = hub
            .add_account("marie", Role::Coach, Some(&marie), PASSWORD, Language::Nl)
            .await
            .unwrap();
        assert_eq!(account.coach, Some(marie));
        let err = hub
            .add_account("piet", Role::Staff, None, "kort", Language::Nl)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("at least 10"), "{err}");
    }

    #[tokio::test]
    async fn five_wrong_passwords_lock_even_the_right_one_out() {
        let (hub, _) = hub();
        hub.add_account("staff", Role::Staff, None, PASSWORD, Language::Nl)
            .await
            .unwrap();
        for _ in 0..4 {
            assert!(matches!(
                hub.log_in("staff", "fout wachtwoord", HERE).await,
                Err(AppError::WrongLogIn)
            ));
        }
        assert!(matches!(
            hub.log_in("staff", "fout wachtwoord", HERE).await,
            Err(AppError::Locked)
        ));
        assert!(matches!(
            hub.log_in("staff", PASSWORD, HERE).await,
            Err(AppError::Locked)
        ));
        // The account's owner logging in from elsewhere is not locked out by them.
        assert!(hub.log_in("staff", PASSWORD, ELSEWHERE).await.is_ok());
        // A name that is no account answers and locks exactly the same.
        for _ in 0..4 {
            assert!(matches!(
                hub.log_in("niemand", "fout wachtwoord", HERE).await,
                Err(AppError::WrongLogIn)
            ));
        }
        assert!(matches!(
            hub.log_in("niemand", "fout wachtwoord", HERE).await,
            Err(AppError::Locked)
        ));
    }

    #[tokio::test]
    async fn the_audit_log_reads_newest_first() {
        let (hub, _) = hub();
        hub.audit("marie", "enrolled d-1 for Jan Claes")
            .await
            .unwrap();
        hub.audit("marie", "revoked d-1").await.unwrap();
        let log = hub.audit_log(10).unwrap();
        assert_eq!(
            log.iter().map(|e| e.what.as_str()).collect::<Vec<_>>(),
            ["revoked d-1", "enrolled d-1 for Jan Claes"]
        );
        assert_eq!(hub.audit_log(1).unwrap().len(), 1);
    }
}
