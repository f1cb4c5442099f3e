//! CPU time spent during a run, read from `/proc`: this process (the clients, and on the
//! hub path the hub too) and the Mosquitto the hub started. On two cores shared by all
//! three, it tells whether a path was limited by work or by waiting.

use std::time::Instant;

/// `/proc` counts CPU time in ticks of 1/100 s on every Linux (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cpu {
    /// This process (user and system).
    pub process_s: f64,
    /// The broker processes this process started.
    pub broker_s: f64,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
}

impl Cpu {
    /// Cores kept busy on average (of the machine's).
    pub fn cores_busy(&self) -> f64 {
        if self.wall_s > 0.0 {
            (self.process_s + self.broker_s) / self.wall_s
        } else {
            0.0
        }
    }

    /// Microseconds of this process and of the broker per message.
    pub fn per_message_us(&self, messages: u64) -> (f64, f64) {
        let n = messages.max(1) as f64;
        (self.process_s * 1e6 / n, self.broker_s * 1e6 / n)
    }
}

/// Started before a run, read after it.
pub struct Meter {
    started: Instant,
    process: u64,
    broker: u64,
}

impl Meter {
    /// Reads the counters now.
    pub fn start() -> Meter {
        Meter {
            started: Instant::now(),
            process: ticks_of("self").unwrap_or(0),
            broker: broker_ticks(),
        }
    }

    /// What was spent since [`Meter::start`].
    pub fn stop(self) -> Cpu {
        let process = ticks_of("self").unwrap_or(0).saturating_sub(self.process);
        let broker = broker_ticks().saturating_sub(self.broker);
        Cpu {
            process_s: process as f64 / TICKS_PER_SECOND,
            broker_s: broker as f64 / TICKS_PER_SECOND,
            wall_s: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// The fields of `/proc/{pid}/stat` after the command name (which may hold spaces).
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = text.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// User and system ticks of a process (fields 14 and 15 of `stat`).
fn ticks_of(pid: &str) -> Option<u64> {
    let fields = stat_fields(pid)?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Ticks of every `mosquitto` whose parent is this process.
fn broker_ticks() -> u64 {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "mosquitto")
        })
        .filter(|pid| stat_fields(pid).is_some_and(|f| f.get(1) == Some(&me)))
        .filter_map(|pid| ticks_of(&pid))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_in_this_process_is_counted() {
        let meter = Meter::start();
        let mut x = 0u64;
        let until = Instant::now() + std::time::Duration::from_millis(300);
        while Instant::now() < until {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let cpu = meter.stop();
        assert!(cpu.process_s >= 0.2, "{cpu:?}");
        assert!(cpu.wall_s >= 0.3);
        assert!(cpu.cores_busy() > 0.5);
    }
}
