//! Captures the hub's log lines in memory, so that tests can check that a refusal was
//! logged with its reason.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Every log line written in this test process.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything logged so far.
    pub fn dump(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }

    /// True when some line contains every one of `needles`.
    pub fn has_line_with(&self, needles: &[&str]) -> bool {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .any(|line| needles.iter().all(|n| line.contains(n)))
    }
}

struct Writer(Logs);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing logger (once per process) and returns it.
pub fn capture() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let for_writer = logs.clone();
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(move || Writer(for_writer.clone()))
            .try_init();
        logs
    })
    .clone()
}
