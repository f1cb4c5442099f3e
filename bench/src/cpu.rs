//! CPU time spent during a run: this process, from `getrusage`; of it, the hub's own
//! threads (it runs on a runtime of its own here, as in its own process), and the
//! Mosquitto the hub started, from the scheduler's count in `/proc/{pid}/task/*/schedstat`;
//! all to the microsecond. On two cores shared
//! by all three, it tells whether a path was limited by work or by waiting.

use std::time::Instant;

/// CPU seconds of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cpu {
    /// This process (user and system).
    pub process_s: f64,
    /// The broker processes this process started.
    pub broker_s: f64,
    /// Of `process_s`, the hub's own threads (its runtime, and its blocking threads where
    /// the store commits).
    pub hub_s: f64,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
}

impl Cpu {
    /// Adds another run's CPU (and wall-clock time) to this one.
    pub fn add(&mut self, other: &Cpu) {
        self.process_s += other.process_s;
        self.broker_s += other.broker_s;
        self.hub_s += other.hub_s;
        self.wall_s += other.wall_s;
    }

    /// Cores kept busy on average (of the machine's).
    pub fn cores_busy(&self) -> f64 {
        if self.wall_s > 0.0 {
            (self.process_s + self.broker_s) / self.wall_s
        } else {
            0.0
        }
    }

    /// Microseconds per message of the clients (this process but the hub), of the hub
    /// and of the broker.
    pub fn per_message_us(&self, messages: u64) -> (f64, f64, f64) {
        let n = messages.max(1) as f64;
        let clients = (self.process_s - self.hub_s).max(0.0);
        (
            clients * 1e6 / n,
            self.hub_s * 1e6 / n,
            self.broker_s * 1e6 / n,
        )
    }
}

/// Started before a run, read after it.
pub struct Meter {
    started: Instant,
    process: f64,
    broker: f64,
    hub: f64,
}

impl Meter {
    /// Reads the counters now.
    pub fn start() -> Meter {
        Meter {
            started: Instant::now(),
            process: process_seconds(),
            broker: broker_seconds(),
            hub: hub_seconds(),
        }
    }

    /// What was spent since [`Meter::start`].
    pub fn stop(self) -> Cpu {
        Cpu {
            process_s: (process_seconds() - self.process).max(0.0),
            broker_s: (broker_seconds() - self.broker).max(0.0),
            hub_s: (hub_seconds() - self.hub).max(0.0),
            wall_s: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// User and system time of this process so far.
fn process_seconds() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
        return 0.0;
    };
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    seconds(usage.user_time()) + seconds(usage.system_time())
}

/// The name of the hub runtime's threads in the bench.
pub const HUB_THREADS: &str = "nabij-hub-rt";

/// Threads of this process that belong to the hub, by name: its runtime's (the store's
/// commits run on its blocking threads, which carry the same name).
fn is_hub_thread(name: &str) -> bool {
    name.starts_with(HUB_THREADS)
}

/// Nanoseconds on a CPU of the threads of process `pid` whose name passes `keep`.
fn threads_on_cpu_ns(pid: &str, keep: impl Fn(&str) -> bool) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|n| keep(n.trim()))
        })
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// CPU time so far of the hub's threads in this process (those alive now: the hub's
/// threads live as long as the hub).
fn hub_seconds() -> f64 {
    threads_on_cpu_ns("self", is_hub_thread) as f64 / 1e9
}

/// CPU time so far of every `mosquitto` whose parent is this process (the first field
/// of each thread's `schedstat`: nanoseconds on a CPU).
fn broker_seconds() -> f64 {
    let me = std::process::id().to_string();
    let parent_of = |pid: &str| -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command name (which may hold spaces): state, then the parent.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)
            .map(str::to_owned)
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "mosquitto")
        })
        .filter(|pid| parent_of(pid).as_deref() == Some(me.as_str()))
        .map(|pid| threads_on_cpu_ns(&pid, |_| true) as f64 / 1e9)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_in_this_process_is_counted() {
        // Work until this thread has had a quarter of a second on a CPU, however busy the
        // machine is (a fixed wall-clock time would get less of it on a loaded machine).
        let thread_s = || {
            use nix::sys::resource::{UsageWho, getrusage};
            getrusage(UsageWho::RUSAGE_THREAD).map_or(0.0, |u| {
                let t = u.user_time();
                t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6
            })
        };
        let meter = Meter::start();
        let from = thread_s();
        let mut x = 0u64;
        while thread_s() - from < 0.25 {
            for _ in 0..10_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
        }
        std::hint::black_box(x);
        let cpu = meter.stop();
        assert!(cpu.process_s >= 0.25, "{cpu:?}");
        assert!(cpu.wall_s >= 0.25, "{cpu:?}");
        assert!(cpu.cores_busy() > 0.0, "{cpu:?}");
    }
}
