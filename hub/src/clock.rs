//! Wall-clock helpers: the hub stores and sends times as Unix milliseconds (UTC).

use nabij_protocol::UnixMillis;
use std::cell::Cell;

thread_local! {
    /// The time this thread pretends it is, if any (see [`pretend`]).
    static PRETENDED: Cell<Option<UnixMillis>> = const { Cell::new(None) };
}

/// Now (on this thread: the time it pretends it is, while it does).
pub fn now() -> UnixMillis {
    PRETENDED.with(Cell::get).unwrap_or_else(UnixMillis::now)
}

/// Makes [`now`] answer `at` on this thread until the guard is dropped: the demo writes
/// months of history through the hub's own operations, each at its own time. Only this
/// thread pretends, so tests running beside it keep the real time; work the hub hands to
/// other threads (large batches) would see the real time, so whoever pretends keeps its
/// batches small.
pub(crate) fn pretend(at: UnixMillis) -> Pretending {
    let before = PRETENDED.with(|p| p.replace(Some(at)));
    Pretending {
        before,
        _this_thread: std::marker::PhantomData,
    }
}

/// While it lives, this thread's [`now`] is the time it was given last.
pub(crate) struct Pretending {
    before: Option<UnixMillis>,
    // Not Send: the guard restores the thread it was made on.
    _this_thread: std::marker::PhantomData<*const ()>,
}

impl Pretending {
    /// Moves the pretended time to `at`.
    pub(crate) fn set(&self, at: UnixMillis) {
        PRETENDED.with(|p| p.set(Some(at)));
    }
}

impl Drop for Pretending {
    fn drop(&mut self) {
        PRETENDED.with(|p| p.set(self.before));
    }
}

/// The UTC calendar date (year, month 1–12, day 1–31) of a time.
pub fn civil_date(t: UnixMillis) -> (i32, u8, u8) {
    let c = t.civil(0);
    (c.year, c.month, c.day)
}

/// "just now", "5 min ago", "3 h ago", "2 days ago": for coaches reading `device list`.
pub fn ago(now: UnixMillis, then: UnixMillis) -> String {
    let secs = now.0.saturating_sub(then.0) / 1000;
    match secs {
        0..=59 => "just now".to_owned(),
        60..=3_599 => format!("{} min ago", secs / 60),
        3_600..=86_399 => format!("{} h ago", secs / 3_600),
        _ => match secs / 86_400 {
            1 => "1 day ago".to_owned(),
            days => format!("{days} days ago"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(UnixMillis(0)), (1970, 1, 1));
        assert_eq!(civil_date(UnixMillis(1_795_511_700_000)), (2026, 11, 24));
        assert_eq!(civil_date(UnixMillis(951_782_400_000)), (2000, 2, 29));
    }

    #[test]
    fn a_thread_pretends_a_time_until_the_guard_goes_and_others_do_not() {
        let then = UnixMillis(1_795_511_700_000);
        let real = now();
        {
            let pretending = pretend(then);
            assert_eq!(now(), then);
            let elsewhere = std::thread::spawn(now).join().unwrap();
            assert!(elsewhere >= real, "another thread keeps the real time");
            pretending.set(UnixMillis(then.0 + 1));
            assert_eq!(now(), UnixMillis(then.0 + 1));
        }
        assert!(now() >= real, "the real time again");
    }

    #[test]
    fn ago_in_words() {
        let now = UnixMillis(10 * 86_400_000);
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now, UnixMillis(now.0 - 300_000)), "5 min ago");
        assert_eq!(ago(now, UnixMillis(now.0 - 3 * 3_600_000)), "3 h ago");
        assert_eq!(ago(now, UnixMillis(now.0 - 9 * 86_400_000)), "9 days ago");
    }
}
