//! NetworkManager over D-Bus (its documented API, `org.freedesktop.NetworkManager`): the
//! Wi-Fi device (`DeviceType` 2), a scan and its access points, `AddAndActivateConnection`
//! with a WPA-PSK password, then the active connection's and the device's states until
//! the tablet is on the network or NetworkManager gave up, and why. The only code that
//! knows zbus. The bus is the system bus (`DBUS_SYSTEM_BUS_ADDRESS` overrides it, as for
//! every D-Bus client), or an address given (the tests' private bus).

use super::{Activation, Connectivity, JoinFailure, Network, Wifi, WifiError, strongest_first};
use std::collections::HashMap;
use std::time::Duration;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const BUS_NAME: &str = "org.freedesktop.NetworkManager";
const MANAGER_PATH: &str = "/org/freedesktop/NetworkManager";
const MANAGER: &str = "org.freedesktop.NetworkManager";
const DEVICE: &str = "org.freedesktop.NetworkManager.Device";
const WIRELESS: &str = "org.freedesktop.NetworkManager.Device.Wireless";
const ACCESS_POINT: &str = "org.freedesktop.NetworkManager.AccessPoint";
const ACTIVE: &str = "org.freedesktop.NetworkManager.Connection.Active";
const SETTINGS_CONNECTION: &str = "org.freedesktop.NetworkManager.Settings.Connection";

/// `NM_DEVICE_TYPE_WIFI`.
const DEVICE_TYPE_WIFI: u32 = 2;
/// `NM_ACTIVE_CONNECTION_STATE_ACTIVATED` and `_DEACTIVATED`.
const ACTIVATED: u32 = 2;
const DEACTIVATED: u32 = 4;
/// `NM_DEVICE_STATE_FAILED`.
const DEVICE_FAILED: u32 = 120;
/// `NM_DEVICE_STATE_REASON_NONE`, `_UNKNOWN`.
const NO_REASON: [u32; 2] = [0, 1];
/// `NM_802_11_AP_FLAGS_PRIVACY`.
const AP_PRIVACY: u32 = 0x1;

/// How long joining may take before the tablet gives up (DHCP on a slow router included).
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(45);
/// How often the states are looked at while joining.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long a scan may take before the list is read anyway.
const SCAN_WAIT: Duration = Duration::from_secs(5);

fn unreachable(e: zbus::Error) -> WifiError {
    WifiError::Unreachable(e.to_string())
}

fn refused(e: zbus::Error) -> WifiError {
    WifiError::Refused(e.to_string())
}

/// NetworkManager on a D-Bus connection.
pub struct NetworkManager {
    bus: zbus::Connection,
    join_timeout: Duration,
}

impl NetworkManager {
    /// Connects to the system bus, or to `address` when given.
    pub async fn connect(address: Option<&str>) -> Result<NetworkManager, WifiError> {
        let bus = match address {
            Some(address) => {
                zbus::connection::Builder::address(address)
                    .map_err(unreachable)?
                    .build()
                    .await
            }
            None => zbus::Connection::system().await,
        }
        .map_err(unreachable)?;
        Ok(NetworkManager {
            bus,
            join_timeout: JOIN_TIMEOUT,
        })
    }

    /// Gives up joining after `timeout` instead of [`JOIN_TIMEOUT`].
    pub fn with_join_timeout(mut self, timeout: Duration) -> Self {
        self.join_timeout = timeout;
        self
    }

    async fn proxy(
        &self,
        path: &str,
        interface: &'static str,
    ) -> Result<zbus::Proxy<'static>, WifiError> {
        zbus::proxy::Builder::<zbus::Proxy<'static>>::new(&self.bus)
            .destination(BUS_NAME)
            .and_then(|b| b.path(path.to_owned()))
            .and_then(|b| b.interface(interface))
            .map_err(refused)?
            // Every read asks NetworkManager: states change while the tablet joins.
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .map_err(unreachable)
    }

    /// The first Wi-Fi device.
    async fn wifi_device(&self) -> Result<OwnedObjectPath, WifiError> {
        let manager = self.proxy(MANAGER_PATH, MANAGER).await?;
        let devices: Vec<OwnedObjectPath> =
            manager.call("GetDevices", &()).await.map_err(unreachable)?;
        for device in devices {
            let kind: u32 = self
                .proxy(device.as_str(), DEVICE)
                .await?
                .get_property("DeviceType")
                .await
                .map_err(refused)?;
            if kind == DEVICE_TYPE_WIFI {
                return Ok(device);
            }
        }
        Err(WifiError::NoWifiDevice)
    }

    /// The access points the device sees, each with its network.
    async fn access_points(
        &self,
        device: &OwnedObjectPath,
    ) -> Result<Vec<(OwnedObjectPath, Network)>, WifiError> {
        let wireless = self.proxy(device.as_str(), WIRELESS).await?;
        let paths: Vec<OwnedObjectPath> = wireless
            .call("GetAllAccessPoints", &())
            .await
            .map_err(refused)?;
        let mut found = Vec::new();
        for path in paths {
            let ap = self.proxy(path.as_str(), ACCESS_POINT).await?;
            // An access point can vanish between the list and the read: skip it.
            let Ok(ssid) = ap.get_property::<OwnedValue>("Ssid").await else {
                continue;
            };
            let ssid: Vec<u8> = match &*ssid {
                Value::Array(bytes) => bytes.iter().filter_map(|b| u8::try_from(b).ok()).collect(),
                _ => continue,
            };
            let strength: u8 = ap.get_property("Strength").await.unwrap_or(0);
            let flags: u32 = ap.get_property("Flags").await.unwrap_or(0);
            let wpa: u32 = ap.get_property("WpaFlags").await.unwrap_or(0);
            let rsn: u32 = ap.get_property("RsnFlags").await.unwrap_or(0);
            found.push((
                path,
                Network {
                    ssid: String::from_utf8_lossy(&ssid).into_owned(),
                    strength: strength.min(100),
                    secured: flags & AP_PRIVACY != 0 || wpa != 0 || rsn != 0,
                },
            ));
        }
        Ok(found)
    }

    /// Asks for a scan and waits (a few seconds at most) until the device says it ended.
    async fn scan(&self, device: &OwnedObjectPath) -> Result<(), WifiError> {
        let wireless = self.proxy(device.as_str(), WIRELESS).await?;
        // `LastScan` (NetworkManager 1.12+) changes when a scan ends; without it the list
        // is read at once.
        let before: Option<i64> = wireless.get_property("LastScan").await.ok();
        let options: HashMap<&str, Value<'_>> = HashMap::new();
        // NetworkManager refuses a scan right after another: the list it has is fresh.
        let _ = wireless.call::<_, _, ()>("RequestScan", &(options,)).await;
        if let Some(before) = before {
            let deadline = tokio::time::Instant::now() + SCAN_WAIT;
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(POLL_EVERY).await;
                let now: Option<i64> = wireless.get_property("LastScan").await.ok();
                if now.is_some_and(|now| now != before) {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Deletes a saved connection (one that did not work: a wrong password is not kept).
    async fn forget(&self, connection: &OwnedObjectPath) {
        if let Ok(proxy) = self.proxy(connection.as_str(), SETTINGS_CONNECTION).await {
            let _ = proxy.call::<_, _, ()>("Delete", &()).await;
        }
    }

    /// Follows an activation until it ends: activated, or failed and why.
    async fn follow(
        &self,
        device: &OwnedObjectPath,
        active: &OwnedObjectPath,
    ) -> Result<Activation, WifiError> {
        let device = self.proxy(device.as_str(), DEVICE).await?;
        let active = self.proxy(active.as_str(), ACTIVE).await?;
        let deadline = tokio::time::Instant::now() + self.join_timeout;
        // The last reason the device gave: NetworkManager may pass FAILED on to
        // DISCONNECTED between two looks, and its reason with it. What the device said
        // before it took this activation up (a FAILED from the last try) does not count.
        let mut reason = None;
        let mut fresh = false;
        loop {
            if let Ok((state, why)) = device.get_property::<(u32, u32)>("StateReason").await {
                fresh |= state != DEVICE_FAILED;
                if fresh && !NO_REASON.contains(&why) {
                    reason = Some(why);
                }
                if fresh && state == DEVICE_FAILED {
                    let why = reason.unwrap_or(why);
                    return Ok(Activation::Failed(JoinFailure::from_reason(why)));
                }
            }
            // The active connection goes away once it is deactivated.
            let state = active.get_property::<u32>("State").await.ok();
            match state {
                Some(ACTIVATED) => return Ok(Activation::Activated),
                Some(DEACTIVATED) | None => {
                    return Ok(Activation::Failed(
                        reason.map_or(JoinFailure::Other(0), JoinFailure::from_reason),
                    ));
                }
                Some(_) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Activation::Failed(JoinFailure::TimedOut));
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

impl Wifi for NetworkManager {
    async fn networks(&self) -> Result<Vec<Network>, WifiError> {
        let device = self.wifi_device().await?;
        self.scan(&device).await?;
        let found = self.access_points(&device).await?;
        Ok(strongest_first(found.into_iter().map(|(_, n)| n).collect()))
    }

    async fn join(&self, network: &Network, password: &str) -> Result<Activation, WifiError> {
        let device = self.wifi_device().await?;
        let found = self.access_points(&device).await?;
        let ap = found
            .into_iter()
            .filter(|(_, n)| n.ssid == network.ssid)
            .max_by_key(|(_, n)| n.strength)
            .map(|(path, _)| path)
            .ok_or_else(|| WifiError::Gone(network.ssid.clone()))?;
        let mut settings: HashMap<&str, HashMap<&str, Value<'_>>> = HashMap::new();
        settings.insert(
            "connection",
            HashMap::from([
                ("type", Value::from("802-11-wireless")),
                ("id", Value::from(network.ssid.as_str())),
            ]),
        );
        settings.insert(
            "802-11-wireless",
            HashMap::from([
                ("ssid", Value::from(network.ssid.as_bytes().to_vec())),
                ("mode", Value::from("infrastructure")),
            ]),
        );
        if network.secured {
            settings.insert(
                "802-11-wireless-security",
                HashMap::from([
                    ("key-mgmt", Value::from("wpa-psk")),
                    ("psk", Value::from(password)),
                ]),
            );
        }
        let manager = self.proxy(MANAGER_PATH, MANAGER).await?;
        let (connection, active): (OwnedObjectPath, OwnedObjectPath) = manager
            .call("AddAndActivateConnection", &(settings, &device, &ap))
            .await
            .map_err(refused)?;
        let outcome = self.follow(&device, &active).await?;
        if outcome != Activation::Activated {
            self.forget(&connection).await;
        }
        Ok(outcome)
    }

    async fn connectivity(&self) -> Result<Connectivity, WifiError> {
        let manager = self.proxy(MANAGER_PATH, MANAGER).await?;
        // A fresh check; NetworkManager refuses it when checking is switched off, and then
        // its property says what it knows.
        let checked: Result<u32, _> = manager.call("CheckConnectivity", &()).await;
        let value = match checked {
            Ok(value) => value,
            Err(_) => manager
                .get_property::<u32>("Connectivity")
                .await
                .map_err(refused)?,
        };
        Ok(Connectivity::from_nm(value))
    }
}
