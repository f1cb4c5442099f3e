//! `nabij-hub status` in words, for an operator at the command line (an edge like
//! `ics.rs`): one line per part, its level first, and what to do when it is not good.

use crate::app::Health;
use crate::clock;
use crate::domain::health::Level;

/// Bytes as people read them: `41.2 GiB`, `812 MiB`.
pub fn bytes(n: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    let n = n as f64;
    if n >= GIB {
        format!("{:.1} GiB", n / GIB)
    } else {
        format!("{:.0} MiB", n / MIB)
    }
}

fn date(t: nabij_protocol::UnixMillis) -> String {
    let (y, m, d) = clock::civil_date(t);
    format!("{y:04}-{m:02}-{d:02}")
}

fn mark(level: Level) -> &'static str {
    match level {
        Level::Good => "ok",
        Level::Warning => "WARNING",
        Level::Problem => "PROBLEM",
    }
}

/// The status report: a line per part, then a summary line.
pub fn words(h: &Health) -> String {
    let mut lines: Vec<(Level, &str, String)> = Vec::new();
    lines.push((
        h.broker_level(),
        "broker",
        match h.broker_answer_us {
            Some(us) => format!(
                "passes messages on (the hub's own came back in {:.1} ms)",
                us as f64 / 1000.0
            ),
            None => "does not pass messages on: tablets cannot reach the hub. The hub's log (target mosquitto) says why".into(),
        },
    ));
    lines.push((
        h.store_level(),
        "store",
        match &h.store_problem {
            None => "takes changes".into(),
            Some(why) => format!(
                "takes no changes ({why}); restart the hub (systemctl restart nabij-hub) and it applies what it has"
            ),
        },
    ));
    lines.push((
        h.disk_level(),
        "disk",
        match &h.disk {
            Ok(d) => {
                let share = d
                    .free_bytes
                    .saturating_mul(100)
                    .checked_div(d.total_bytes)
                    .unwrap_or(0);
                let mut line = format!(
                    "{} free of {} ({share}%) under {}",
                    bytes(d.free_bytes),
                    bytes(d.total_bytes),
                    h.data_folder.display()
                );
                if h.disk_level() != Level::Good {
                    line += ": make room, or the store stops taking changes";
                }
                line
            }
            Err(why) => format!("cannot be measured: {why}"),
        },
    ));
    lines.push((
        h.certificate_level(),
        "certificate",
        match h.certificate_ends {
            Ok(ends) if ends.0 <= h.at.0 => format!(
                "ended on {}: tablets refuse the hub. Restart it to make a new one",
                date(ends)
            ),
            Ok(ends) => {
                let days = (ends.0 - h.at.0) / 86_400_000;
                let mut line = format!("ends on {} (in {days} days)", date(ends));
                if h.certificate_level() != Level::Good {
                    line += &format!(
                        "; the hub renews it {} days before its end, so renewing failed: see the hub's log",
                        h.renew_within_days
                    );
                }
                line
            }
            Err(ref why) => format!("cannot be read: {why}"),
        },
    ));
    lines.push((
        h.backup_level(),
        "backup",
        match &h.last_backup {
            Ok(Some(b)) => {
                let mut line = format!(
                    "{} ({}, {}) in {}",
                    b.name,
                    clock::ago(h.at, b.made_at),
                    bytes(b.bytes),
                    h.backup_folder.display()
                );
                if h.backup_level() != Level::Good {
                    line += ": the nightly one is missing; `systemctl status nabij-hub-backup.timer` says why";
                }
                line
            }
            Ok(None) => format!(
                "none yet in {}: `systemctl enable --now nabij-hub-backup.timer` makes one every night",
                h.backup_folder.display()
            ),
            Err(why) => format!("the folder cannot be read: {why}"),
        },
    ));
    lines.push((
        h.tablets_level(),
        "tablets",
        match &h.tablets {
            None => "cannot be counted: the store cannot be read".into(),
            Some(f) => {
                let mut line = format!(
                    "{} lent: {} online, {} silent for {} days or more, {} out of date",
                    f.lent, f.online, f.silent, h.silent_after_days, f.out_of_date
                );
                if let Some(newest) = &f.newest {
                    let versions: Vec<String> = f
                        .versions
                        .iter()
                        .map(|(v, n)| format!("{v} × {n}"))
                        .collect();
                    line += &format!(" (newest app {newest}; {})", versions.join(", "));
                }
                if f.silent > 0 {
                    line += "; `nabij-hub device list --silent` shows which";
                }
                line
            }
        },
    ));
    let mut out = String::new();
    for (level, part, line) in &lines {
        out += &format!("{:<8} {part:<12} {line}\n", mark(*level));
    }
    out += match h.level() {
        Level::Good => "All is well.\n",
        Level::Warning => "The hub works; the lines marked WARNING are worth a look.\n",
        Level::Problem => "Something does not work: see the lines marked PROBLEM.\n",
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{BackupFile, DiskSpace};
    use crate::domain::health::Fleet;
    use nabij_protocol::UnixMillis;

    const DAY: u64 = 86_400_000;

    fn health() -> Health {
        let at = UnixMillis(1_800_000_000_000);
        Health {
            at,
            broker_answer_us: Some(3_200),
            store_problem: None,
            data_folder: "/var/lib/nabij-hub".into(),
            disk: Ok(DiskSpace {
                free_bytes: 40 << 30,
                total_bytes: 50 << 30,
            }),
            certificate_ends: Ok(UnixMillis(at.0 + 120 * DAY)),
            renew_within_days: 30,
            backup_folder: "/var/backups/nabij-hub".into(),
            last_backup: Ok(Some(BackupFile {
                name: "nabij-hub-2027-01-12.tar".into(),
                made_at: UnixMillis(at.0 - 5 * 3_600_000),
                bytes: 300 << 20,
            })),
            tablets: Some(Fleet {
                lent: 3,
                online: 2,
                silent: 0,
                out_of_date: 0,
                newest: Some("0.2.0".into()),
                versions: vec![("0.2.0".into(), 3)],
            }),
            silent_after_days: 7,
        }
    }

    #[test]
    fn a_healthy_hub_in_words() {
        let text = words(&health());
        assert!(text.contains("ok       broker"), "{text}");
        assert!(text.contains("came back in 3.2 ms"), "{text}");
        assert!(text.contains("40.0 GiB free of 50.0 GiB (80%)"), "{text}");
        assert!(text.contains("(in 120 days)"), "{text}");
        assert!(
            text.contains("nabij-hub-2027-01-12.tar (5 h ago, 300 MiB)"),
            "{text}"
        );
        assert!(text.contains("3 lent: 2 online, 0 silent"), "{text}");
        assert!(text.ends_with("All is well.\n"), "{text}");
    }

    #[test]
    fn what_is_wrong_says_what_to_do() {
        let mut h = health();
        h.broker_answer_us = None;
        h.last_backup = Ok(None);
        h.certificate_ends = Ok(UnixMillis(h.at.0 + 10 * DAY));
        let text = words(&h);
        assert!(text.contains("PROBLEM  broker"), "{text}");
        assert!(text.contains("WARNING  backup       none yet"), "{text}");
        assert!(text.contains("nabij-hub-backup.timer"), "{text}");
        assert!(text.contains("renewing failed"), "{text}");
        assert!(text.ends_with("see the lines marked PROBLEM.\n"), "{text}");
    }
}
