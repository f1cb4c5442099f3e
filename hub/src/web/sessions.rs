//! Who is logged in: sessions kept in memory (a restart of the hub logs everyone out,
//! which is fine for a dashboard), each with its own token against cross-site forms.

use crate::domain::accounts::UserName;
use crate::secrets::{self, RandomError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session ends after this long without a request…
pub const IDLE: Duration = Duration::from_secs(8 * 3600);
/// …and after this long in any case (a working day and a bit).
pub const LONGEST: Duration = Duration::from_secs(12 * 3600);
/// Most sessions at once; the oldest goes first when a new one would pass it.
const MOST: usize = 1_000;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account.
    pub account: UserName,
    /// The token every form of this session carries.
    pub csrf: String,
    started: Instant,
    last_used: Instant,
}

/// The sessions, by the cookie's token.
#[derive(Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session; returns its cookie token.
    pub fn start(&self, account: UserName) -> Result<String, RandomError> {
        let token = secrets::session_token()?;
        let now = Instant::now();
        let session = Session {
            account,
            csrf: secrets::session_token()?,
            started: now,
            last_used: now,
        };
        let mut all = self.lock();
        all.retain(|_, s| alive(s, now));
        if all.len() >= MOST
            && let Some(oldest) = all
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(t, _)| t.clone())
        {
            all.remove(&oldest);
        }
        all.insert(token.clone(), session);
        Ok(token)
    }

    /// The session of `token`, if it is still alive (and marks it used).
    pub fn get(&self, token: &str) -> Option<Session> {
        let now = Instant::now();
        let mut all = self.lock();
        let session = all.get_mut(token)?;
        if !alive(session, now) {
            all.remove(token);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends a session.
    pub fn end(&self, token: &str) {
        self.lock().remove(token);
    }
}

fn alive(s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_used) < IDLE && now.duration_since(s.started) < LONGEST
}

pub use crate::secrets::same_secret;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_until_it_ends_and_tokens_compare_whole() {
        let sessions = Sessions::default();
        let marie = UserName::parse("marie").unwrap();
        let token = sessions.start(marie.clone()).unwrap();
        let session = sessions.get(&token).expect("alive");
        assert_eq!(session.account, marie);
        assert_eq!(session.csrf.len(), 64);
        assert!(sessions.get("not-a-token").is_none());
        sessions.end(&token);
        assert!(sessions.get(&token).is_none());
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd") && !same_secret("abc", "abcd"));
    }
}
