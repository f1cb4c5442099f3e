//! Home Wi-Fi's work, off the UI thread: each scan, join or hub check runs on a thread of
//! its own with a small tokio runtime (NetworkManager over D-Bus, then the hub's TLS
//! handshake), and its result comes back to the UI thread, where the state takes it.

use super::Kiosk;
use crate::live::hub_settings::HubSettings;
use crate::state::Effect;
use crate::wifi::hub::{HUB_TIMEOUT, HubError, reach_hub};
use crate::wifi::nm::NetworkManager;
use crate::wifi::{Joined, Network, Wifi, WifiError, check_hub, join_and_check};
use std::cell::RefCell;
use std::sync::mpsc::{Receiver, channel};

/// What came back from a thread.
enum Done {
    Found(Result<Vec<Network>, String>),
    Joined(Result<Joined, String>),
}

thread_local! {
    /// The kiosk the results go to, and the threads still at work.
    static WIFI_DESK: RefCell<Option<(Kiosk, Vec<Receiver<Done>>)>> = const { RefCell::new(None) };
}

fn drain_wifi() {
    let (kiosk, done) = WIFI_DESK.with(|desk| {
        let mut desk = desk.borrow_mut();
        let Some((kiosk, jobs)) = desk.as_mut() else {
            return (None, Vec::new());
        };
        let mut done = Vec::new();
        jobs.retain(|job| match job.try_recv() {
            Ok(result) => {
                done.push(result);
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
        });
        (Some(kiosk.clone()), done)
    });
    let Some(kiosk) = kiosk else { return };
    for result in done {
        kiosk.update(|s| {
            match result {
                Done::Found(found) => s.wifi_found(found),
                Done::Joined(outcome) => s.wifi_joined(outcome),
            }
            Vec::new()
        });
    }
}

/// The hub check with this tablet's kiosk settings.
fn hub_check(hub: Option<HubSettings>) -> impl FnOnce() -> Result<(), HubError> + Send + 'static {
    move || match hub {
        Some(hub) => reach_hub(&hub.host, hub.port, hub.ca.as_bytes(), HUB_TIMEOUT),
        None => Err(HubError::NotSet),
    }
}

async fn run(effect: Effect, hub: Option<HubSettings>) -> Done {
    let nm = NetworkManager::connect(None).await;
    let text = |e: WifiError| e.to_string();
    match effect {
        Effect::WifiScan => Done::Found(match nm {
            Ok(nm) => nm.networks().await.map_err(text),
            Err(e) => Err(text(e)),
        }),
        Effect::WifiJoin { network, password } => Done::Joined(match nm {
            Ok(nm) => join_and_check(&nm, &network, password.as_str(), hub_check(hub))
                .await
                .map_err(text),
            Err(e) => Err(text(e)),
        }),
        _ => Done::Joined(match nm {
            Ok(nm) => check_hub(&nm, hub_check(hub)).await.map_err(text),
            Err(e) => Err(text(e)),
        }),
    }
}

impl Kiosk {
    /// Starts a Wi-Fi effect on a thread of its own; the result comes back by itself.
    pub(super) fn wifi(&self, effect: Effect) {
        let (done, job) = channel();
        WIFI_DESK.with(|desk| {
            let mut desk = desk.borrow_mut();
            let jobs = desk.get_or_insert_with(|| (self.clone(), Vec::new()));
            jobs.1.push(job);
        });
        let hub = self.hub.borrow().clone();
        let found = matches!(effect, Effect::WifiScan);
        let spawned = std::thread::Builder::new()
            .name("nabij-wifi".into())
            .spawn(move || {
                let result = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(effect, hub)),
                    Err(e) => {
                        let why = format!("the tablet cannot start a task: {e}");
                        if found {
                            Done::Found(Err(why))
                        } else {
                            Done::Joined(Err(why))
                        }
                    }
                };
                if done.send(result).is_ok() {
                    // Fails only when there is no event loop (then nothing is shown).
                    let _ = slint::invoke_from_event_loop(drain_wifi);
                }
            });
        if let Err(e) = spawned {
            let why = format!("the tablet cannot start a task: {e}");
            let mut state = self.state.borrow_mut();
            if found {
                state.wifi_found(Err(why));
            } else {
                state.wifi_joined(Err(why));
            }
        }
    }
}
