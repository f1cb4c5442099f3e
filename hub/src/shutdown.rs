//! The ways `nabij-hub serve` is asked to stop: Ctrl-C (SIGINT), SIGTERM (systemd), its
//! standard input closing (`--until-stdin-closes`, for a parent such as `cargo xtask
//! demo` that may itself be killed), and a panic anywhere in the process. Each ends in the
//! same clean stop (`RunningHub::shutdown`: the broker stopped, the store synced). What
//! no code can see (SIGKILL, a crash) is covered by the broker's parent-death signal
//! (`broker::managed`).

use std::sync::Once;
use tokio::sync::Notify;

/// Why the hub stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C in the terminal (SIGINT).
    Interrupt,
    /// SIGTERM: systemd, or `kill`.
    Terminate,
    /// Standard input closed (`--until-stdin-closes`): the parent that started the hub
    /// ended.
    StdinClosed,
    /// Code of the hub panicked. Its state can no longer be trusted: it stops, with its
    /// broker, and says so with a failing exit status (systemd then starts it again).
    Panic,
}

impl Stop {
    /// Whether the hub stops because something went wrong (it then exits with failure).
    pub fn is_failure(self) -> bool {
        self == Stop::Panic
    }
}

/// Told once for each panic, from the panic hook.
static PANICKED: Notify = Notify::const_new();
static HOOK: Once = Once::new();

/// From now on a panic on any thread of this process (after its usual report) asks
/// [`requested`] to stop the hub. Without this, a panic in one of the hub's tasks ends
/// only that task: the hub would go on half-working (no messages handled, say) and look
/// alive to systemd.
pub fn stop_on_panic() {
    HOOK.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            // A stored permit: a panic before anyone waits is not lost.
            PANICKED.notify_one();
        }));
    });
}

/// Resolves with the first reason to stop. Stdin is watched only when asked: under
/// systemd it is /dev/null, which is closed from the start.
pub async fn requested(until_stdin_closes: bool) -> Stop {
    let stdin_closed = async {
        if until_stdin_closes {
            stdin_closes().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stop the hub with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C; stop the hub with SIGTERM");
                std::future::pending::<()>().await;
            }
            Stop::Interrupt
        }
        () = terminate => Stop::Terminate,
        () = stdin_closed => Stop::StdinClosed,
        () = panicked() => Stop::Panic,
    }
}

/// Resolves after a panic anywhere in the process, once [`stop_on_panic`] is in place.
pub async fn panicked() {
    PANICKED.notified().await;
}

/// Resolves when standard input reaches its end (or fails). Read on a thread of its own,
/// not tokio's blocking pool: a read that never ends would hold up the runtime's exit.
async fn stdin_closes() {
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut buffer = [0u8; 256];
            // Whatever is written is ignored; only the end counts.
            while matches!(stdin.read(&mut buffer), Ok(n) if n > 0) {}
            let _ = closed.send(());
        });
    match spawned {
        // A dropped sender (the thread failed) counts as closed too.
        Ok(_) => {
            let _ = on_close.await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch standard input; the hub stops only on a signal");
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_on_any_thread_asks_the_hub_to_stop() {
        stop_on_panic();
        let waiting = tokio::spawn(requested(false));
        let panicked = std::thread::spawn(|| panic!("a bug in some part of the hub"));
        assert!(panicked.join().is_err());
        let why = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
            .await
            .expect("asked to stop")
            .unwrap();
        assert_eq!(why, Stop::Panic);
        assert!(why.is_failure());
        assert!(!Stop::Terminate.is_failure() && !Stop::StdinClosed.is_failure());
    }
}
