//! Running Mosquitto as a supervised child: start it, restart it when it dies, reload it
//! (SIGHUP) when credentials change, stop it on shutdown.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Why the broker could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ManagedError {
    /// The program could not be run at all.
    #[error(
        "cannot start {program}: {source}. Install Mosquitto (`apt-get install mosquitto`) or set broker.mosquitto in hub.toml"
    )]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// It started, then stopped.
    #[error("mosquitto stopped while starting ({status}): {log}")]
    Exited {
        /// Its exit status.
        status: String,
        /// Its last log lines.
        log: String,
    },
    /// It did not open its port in time.
    #[error("mosquitto did not open port {0} within 10 seconds")]
    Timeout(u16),
}

/// A running, supervised Mosquitto.
pub struct ManagedBroker {
    pid: Arc<AtomicI32>,
    stop: watch::Sender<bool>,
    supervisor: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The last lines Mosquitto logged, for error messages.
type LogTail = Arc<std::sync::Mutex<Vec<String>>>;

fn spawn(program: &Path, conf: &Path, tail: &LogTail) -> Result<Child, ManagedError> {
    let mut command = Command::new(program);
    command
        .arg("-c")
        .arg(conf)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    ends_with_the_hub(&mut command);
    let mut child = command.spawn().map_err(|source| ManagedError::Spawn {
        program: program.to_owned(),
        source,
    })?;
    // Mosquitto logs to stderr; its lines go to our log, and the last few are kept for
    // the error message when it fails to start.
    if let Some(stderr) = child.stderr.take() {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(target: "mosquitto", "{line}");
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == 5 {
                        tail.remove(0);
                    }
                    tail.push(line);
                }
            }
        });
    }
    Ok(child)
}

/// Has the kernel send Mosquitto SIGTERM when the hub dies, however it dies: a clean stop
/// stops the broker itself, but a hub killed with SIGKILL, aborted or crashed runs no
/// code of its own on the way out, and `kill_on_drop` needs a drop to run. Mosquitto on
/// its own would keep the ports, and a stale session for tablets to talk to.
///
/// Linux ties the parent-death signal to the *thread* that started the child, not the
/// process: Mosquitto is started from the thread that runs `Broker::start` (the main
/// thread under `nabij-hub serve`) or from the supervisor task on a runtime worker, and
/// both live as long as the hub's runtime. (A thread of tokio's blocking pool would not:
/// it ends when idle. Nothing here starts Mosquitto from one; keep it that way.)
#[allow(unsafe_code)]
fn ends_with_the_hub(command: &mut Command) {
    let hub = nix::unistd::getpid();
    let pre_exec = move || -> std::io::Result<()> {
        nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
        // The hub may have died between fork and prctl, and then no signal comes:
        // Mosquitto's parent is then another process, and it must not start at all.
        if nix::unistd::getppid() != hub {
            return Err(nix::errno::Errno::ESRCH.into());
        }
        Ok(())
    };
    // SAFETY: `pre_exec` runs in the child between fork and exec, where only
    // async-signal-safe work is allowed. It makes two system calls (prctl, getppid) and
    // builds an `io::Error` from an errno value, which allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(pre_exec);
    }
}

fn log_tail(tail: &LogTail) -> String {
    tail.lock().map(|t| t.join(" | ")).unwrap_or_default()
}

/// Stops a Mosquitto left running by an earlier hub that was killed (its pid file says
/// which), so that its ports are free again.
fn stop_leftover(pid_file: &Path) {
    let Ok(text) = std::fs::read_to_string(pid_file) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != "mosquitto" {
        return;
    }
    tracing::warn!(pid, "stopping a broker left running by an earlier hub");
    let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
}

async fn wait_for_port(port: u16, child: &mut Child, tail: &LogTail) -> Result<(), ManagedError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            // Let the log reader take the last lines before they go into the error.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return Err(ManagedError::Exited {
                status: status.to_string(),
                log: log_tail(tail),
            });
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ManagedError::Timeout(port));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl ManagedBroker {
    /// Starts Mosquitto with `conf` and returns once it accepts connections on
    /// `local_port`; from then on it is restarted whenever it stops.
    pub async fn start(
        program: &Path,
        conf: &Path,
        pid_file: &Path,
        local_port: u16,
    ) -> Result<Self, ManagedError> {
        stop_leftover(pid_file);
        let tail = LogTail::default();
        let mut child = spawn(program, conf, &tail)?;
        wait_for_port(local_port, &mut child, &tail).await?;
        let pid = Arc::new(AtomicI32::new(child.id().map(|p| p as i32).unwrap_or(0)));
        let (stop, stop_rx) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(
            child,
            program.to_owned(),
            conf.to_owned(),
            pid.clone(),
            stop_rx,
            tail,
        ));
        Ok(ManagedBroker {
            pid,
            stop,
            supervisor: tokio::sync::Mutex::new(Some(supervisor)),
        })
    }

    /// Makes Mosquitto re-read its password and ACL files. Clients whose credential is
    /// gone are disconnected at once.
    pub fn reload(&self) {
        let pid = self.pid.load(Ordering::SeqCst);
        if pid > 0
            && let Err(e) = kill(Pid::from_raw(pid), Signal::SIGHUP)
        {
            tracing::error!(pid, error = %e, "cannot signal mosquitto to reload");
        }
    }

    /// Stops Mosquitto and waits for it (a second call finds it stopped).
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        if let Some(supervisor) = self.supervisor.lock().await.take() {
            let _ = supervisor.await;
        }
    }
}

/// The first wait before a restart.
const FIRST_RESTART: Duration = Duration::from_millis(500);

/// How long to wait before restarting a broker that stopped after running `ran_for`:
/// one that ran for a minute was healthy, so its restart is quick again; one that keeps
/// dying waits `planned` (which doubles after each restart, up to 30 seconds).
fn restart_delay(planned: Duration, ran_for: Duration) -> Duration {
    if ran_for >= Duration::from_secs(60) {
        FIRST_RESTART
    } else {
        planned
    }
}

async fn supervise(
    mut child: Child,
    program: PathBuf,
    conf: PathBuf,
    pid: Arc<AtomicI32>,
    mut stop: watch::Receiver<bool>,
    tail: LogTail,
) {
    let mut backoff = FIRST_RESTART;
    let mut started = tokio::time::Instant::now();
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                backoff = restart_delay(backoff, started.elapsed());
                tracing::error!(%status, log = %log_tail(&tail), "mosquitto stopped; restarting it in {backoff:?}");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                match spawn(&program, &conf, &tail) {
                    Ok(new_child) => {
                        child = new_child;
                        started = tokio::time::Instant::now();
                        pid.store(child.id().map(|p| p as i32).unwrap_or(0), Ordering::SeqCst);
                        tracing::info!("mosquitto restarted");
                    }
                    Err(e) => tracing::error!(error = %e, "cannot restart mosquitto"),
                }
            }
            _ = stop.changed() => {
                let current = pid.load(Ordering::SeqCst);
                if current > 0 {
                    let _ = kill(Pid::from_raw(current), Signal::SIGTERM);
                }
                if tokio::time::timeout(Duration::from_secs(5), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
                pid.store(0, Ordering::SeqCst);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_slow_down_while_it_keeps_dying_and_are_quick_again_after_a_good_run() {
        let crash = Duration::from_secs(1);
        let long = Duration::from_secs(30);
        assert_eq!(
            restart_delay(long, crash),
            long,
            "still dying: keep waiting long"
        );
        assert_eq!(
            restart_delay(long, Duration::from_secs(3600)),
            FIRST_RESTART,
            "after an hour of good service, a quick restart"
        );
    }
}
