//! Wall-clock helpers: the hub stores and sends times as Unix milliseconds (UTC).

use nabij_protocol::UnixMillis;

/// Now.
pub fn now() -> UnixMillis {
    UnixMillis::now()
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
    fn ago_in_words() {
        let now = UnixMillis(10 * 86_400_000);
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now, UnixMillis(now.0 - 300_000)), "5 min ago");
        assert_eq!(ago(now, UnixMillis(now.0 - 3 * 3_600_000)), "3 h ago");
        assert_eq!(ago(now, UnixMillis(now.0 - 9 * 86_400_000)), "9 days ago");
    }
}
