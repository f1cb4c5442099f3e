//! Home Wi-Fi: the networks the tablet sees, joining one with its password, and whether
//! the hub can then be reached. `nm.rs` talks to NetworkManager over D-Bus (the only code
//! here that knows zbus); `hub.rs` tries the hub itself (TCP, then a TLS handshake that
//! trusts only the hub's CA). The [`Wifi`] trait is the seam: [`join_and_check`], the
//! rules that turn what NetworkManager and the hub say into one [`Joined`], is tested
//! with a stand-in, and `nm.rs` against NetworkManager's D-Bus API played by
//! python-dbusmock (`tests/it/wifi.rs`). No Slint here: the app runs these on a thread
//! of their own and hands the result to `state::wifi`.

pub mod hub;
pub mod nm;

use std::future::Future;

/// A Wi-Fi network the tablet sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Its name (SSID), as text (bytes that are not UTF-8 shown with �).
    pub ssid: String,
    /// Signal strength, 0 to 100.
    pub strength: u8,
    /// Whether it asks for a password.
    pub secured: bool,
}

/// Sorts networks strongest first (then by name), one entry per name: the strongest
/// access point of each, and none without a name (hidden networks).
pub fn strongest_first(mut networks: Vec<Network>) -> Vec<Network> {
    networks.retain(|n| !n.ssid.is_empty());
    networks.sort_by(|a, b| {
        b.strength
            .cmp(&a.strength)
            .then_with(|| a.ssid.cmp(&b.ssid))
    });
    let mut seen = std::collections::HashSet::new();
    networks.retain(|n| seen.insert(n.ssid.clone()));
    networks
}

/// What NetworkManager says of the internet once the tablet is on a network
/// (`NMConnectivityState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// NetworkManager has not checked (or its check is switched off).
    Unknown,
    /// No network at all.
    None,
    /// A sign-in page (hotel, library) stands between the tablet and the internet.
    Portal,
    /// A network, but no internet behind it.
    Limited,
    /// The internet works.
    Full,
}

impl Connectivity {
    /// From NetworkManager's number.
    pub fn from_nm(value: u32) -> Connectivity {
        match value {
            1 => Connectivity::None,
            2 => Connectivity::Portal,
            3 => Connectivity::Limited,
            4 => Connectivity::Full,
            _ => Connectivity::Unknown,
        }
    }
}

/// Why joining a network did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinFailure {
    /// The network refused the password.
    WrongPassword,
    /// The network is no longer there (out of reach, switched off).
    NotFound,
    /// It took too long.
    TimedOut,
    /// Another reason, NetworkManager's number (`NMDeviceStateReason`).
    Other(u32),
}

impl JoinFailure {
    /// From the device's state reason as NetworkManager gives it.
    pub fn from_reason(reason: u32) -> JoinFailure {
        match reason {
            // NO_SECRETS (no password, or no agent to ask for a better one after a
            // refused one), SUPPLICANT_DISCONNECT (the access point sent us away during
            // the handshake: a wrong WPA key), SUPPLICANT_FAILED / SUPPLICANT_TIMEOUT
            // during authentication.
            7 | 8 | 10 | 11 => JoinFailure::WrongPassword,
            // SSID_NOT_FOUND.
            53 => JoinFailure::NotFound,
            other => JoinFailure::Other(other),
        }
    }
}

/// The end of trying to join a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// The tablet is on the network.
    Activated,
    /// It is not, and why.
    Failed(JoinFailure),
}

/// What went wrong talking to NetworkManager (not the network's own answer: that is an
/// [`Activation`]).
#[derive(Debug, thiserror::Error)]
pub enum WifiError {
    /// No answer on D-Bus, or NetworkManager is not there.
    #[error(
        "the tablet cannot reach NetworkManager ({0}); check that NetworkManager runs (systemctl status NetworkManager)"
    )]
    Unreachable(String),
    /// NetworkManager has no Wi-Fi device.
    #[error(
        "this tablet has no Wi-Fi that NetworkManager manages; check that Wi-Fi is switched on (nmcli radio wifi on)"
    )]
    NoWifiDevice,
    /// The network chosen is no longer in the list.
    #[error("the network \"{0}\" is no longer seen; look for networks again")]
    Gone(String),
    /// NetworkManager answered something unexpected.
    #[error("NetworkManager refused: {0}")]
    Refused(String),
}

/// The seam between the Wi-Fi rules and NetworkManager.
pub trait Wifi {
    /// Asks for a fresh scan and lists the networks seen, strongest first.
    fn networks(&self) -> impl Future<Output = Result<Vec<Network>, WifiError>> + Send;
    /// Joins `network` (with `password` when it is secured) and waits until the tablet
    /// is on it or it failed; a failed attempt leaves no saved connection behind.
    fn join(
        &self,
        network: &Network,
        password: &str,
    ) -> impl Future<Output = Result<Activation, WifiError>> + Send;
    /// Asks NetworkManager to check the internet now, and what it found.
    fn connectivity(&self) -> impl Future<Output = Result<Connectivity, WifiError>> + Send;
}

/// The outcome a coach reads to the senior (`words::wifi_outcome` says it in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// On the network, and the hub answered: all is well.
    HubReachable,
    /// On the network, but no internet behind it (NetworkManager says none or limited,
    /// and the hub does not answer).
    NoInternet,
    /// On the network, but it wants a sign-in on a web page first.
    SignInPage,
    /// The internet works but the hub does not answer; why, for whoever helps.
    HubUnreachable(String),
    /// The password was refused.
    WrongPassword,
    /// The network is gone.
    NotFound,
    /// Joining failed otherwise: why, for whoever helps.
    Failed(String),
}

/// Joins `network`, then checks the hub with `reach_hub` (which runs on a blocking
/// thread: it connects and shakes hands). A hub that answers is all that counts: when it
/// does not, NetworkManager's connectivity check tells "no internet" (the modem) from
/// "the hub does not answer" (the project).
pub async fn join_and_check<W, R>(
    wifi: &W,
    network: &Network,
    password: &str,
    reach_hub: R,
) -> Result<Joined, WifiError>
where
    W: Wifi,
    R: FnOnce() -> Result<(), hub::HubError> + Send + 'static,
{
    match wifi.join(network, password).await? {
        Activation::Failed(JoinFailure::WrongPassword) => return Ok(Joined::WrongPassword),
        Activation::Failed(JoinFailure::NotFound) => return Ok(Joined::NotFound),
        Activation::Failed(JoinFailure::TimedOut) => {
            return Ok(Joined::Failed("joining took too long".into()));
        }
        Activation::Failed(JoinFailure::Other(reason)) => {
            return Ok(Joined::Failed(format!(
                "NetworkManager gave reason {reason}"
            )));
        }
        Activation::Activated => {}
    }
    check_hub(wifi, reach_hub).await
}

/// Whether the hub answers on the network the tablet is on now, and if not, why.
pub async fn check_hub<W, R>(wifi: &W, reach_hub: R) -> Result<Joined, WifiError>
where
    W: Wifi,
    R: FnOnce() -> Result<(), hub::HubError> + Send + 'static,
{
    let reached = tokio::task::spawn_blocking(reach_hub)
        .await
        .map_err(|e| WifiError::Refused(format!("the hub check stopped: {e}")))?;
    let Err(problem) = reached else {
        return Ok(Joined::HubReachable);
    };
    Ok(match wifi.connectivity().await? {
        Connectivity::Full => Joined::HubUnreachable(problem.to_string()),
        Connectivity::Portal => Joined::SignInPage,
        // Unknown: NetworkManager does not check; a hub that does not answer is then
        // most likely no internet at all, which the coach can check first.
        Connectivity::None | Connectivity::Limited | Connectivity::Unknown => Joined::NoInternet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A stand-in for NetworkManager: answers as told, and counts the checks.
    struct Told {
        activation: Activation,
        connectivity: Connectivity,
        checks: Mutex<u32>,
    }

    impl Wifi for Told {
        async fn networks(&self) -> Result<Vec<Network>, WifiError> {
            Ok(Vec::new())
        }
        async fn join(&self, _: &Network, _: &str) -> Result<Activation, WifiError> {
            Ok(self.activation)
        }
        async fn connectivity(&self) -> Result<Connectivity, WifiError> {
            *self.checks.lock().expect("not poisoned") += 1;
            Ok(self.connectivity)
        }
    }

    fn check(activation: Activation, connectivity: Connectivity, hub_answers: bool) -> Joined {
        let wifi = Told {
            activation,
            connectivity,
            checks: Mutex::new(0),
        };
        let network = Network {
            ssid: "Thuis".into(),
            strength: 80,
            secured: true,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        rt.block_on(join_and_check(&wifi, &network, "geheim", move || {
            if hub_answers {
                Ok(())
            } else {
                Err(hub::HubError::Connect {
                    address: "hub.example:8883".into(),
                    reason: "connection refused".into(),
                })
            }
        }))
        .expect("no D-Bus trouble")
    }

    #[test]
    fn what_the_network_and_the_hub_say_becomes_one_outcome() {
        use Activation::*;
        use Connectivity as C;
        let wrong = Failed(JoinFailure::WrongPassword);
        assert_eq!(check(wrong, C::Full, true), Joined::WrongPassword);
        assert_eq!(
            check(Failed(JoinFailure::NotFound), C::Full, true),
            Joined::NotFound
        );
        assert_eq!(check(Activated, C::Full, true), Joined::HubReachable);
        assert_eq!(
            check(Activated, C::Limited, true),
            Joined::HubReachable,
            "the hub answering is what counts, whatever the connectivity check says"
        );
        assert_eq!(check(Activated, C::Limited, false), Joined::NoInternet);
        assert_eq!(check(Activated, C::None, false), Joined::NoInternet);
        assert_eq!(check(Activated, C::Unknown, false), Joined::NoInternet);
        assert_eq!(check(Activated, C::Portal, false), Joined::SignInPage);
        assert!(matches!(
            check(Activated, C::Full, false),
            Joined::HubUnreachable(why) if why.contains("connection refused")
        ));
        assert!(matches!(
            check(Failed(JoinFailure::Other(42)), C::Full, true),
            Joined::Failed(why) if why.contains("42")
        ));
    }

    #[test]
    fn nm_reasons_tell_a_wrong_password_from_a_network_gone() {
        for reason in [7, 8, 10, 11] {
            assert_eq!(JoinFailure::from_reason(reason), JoinFailure::WrongPassword);
        }
        assert_eq!(JoinFailure::from_reason(53), JoinFailure::NotFound);
        assert_eq!(JoinFailure::from_reason(36), JoinFailure::Other(36));
    }

    #[test]
    fn networks_are_listed_strongest_first_once_each_and_never_nameless() {
        let n = |ssid: &str, strength| Network {
            ssid: ssid.into(),
            strength,
            secured: true,
        };
        let listed = strongest_first(vec![
            n("Buren", 30),
            n("Thuis", 55),
            n("", 99),
            n("Thuis", 80),
            n("Anders", 55),
        ]);
        assert_eq!(listed, [n("Thuis", 80), n("Anders", 55), n("Buren", 30)]);
    }
}
