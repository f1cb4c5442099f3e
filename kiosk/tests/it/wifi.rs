//! Home Wi-Fi against NetworkManager's D-Bus API as python-dbusmock's `networkmanager`
//! template plays it, on a private bus of its own (a `dbus-daemon` per test), and the hub
//! check against real TLS servers on loopback: networks listed strongest first, joining
//! with the right password, a wrong password told as such (and not kept), a network
//! without internet, and a hub that answers — or something else that does.

use nabij_kiosk::wifi::hub::{HubError, reach_hub};
use nabij_kiosk::wifi::nm::NetworkManager;
use nabij_kiosk::wifi::{Joined, Network, Wifi, join_and_check};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MOCK: &str = "org.freedesktop.DBus.Mock";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const RIGHT_PASSWORD: &str = "zonnebloem 42";
/// `NM_802_11_AP_SEC_KEY_MGMT_PSK`: the template's one kind of secured network.
const WPA_PSK: u32 = 0x100;

/// A python that has dbusmock: `NABIJ_DBUSMOCK_PYTHON`, Debian's (where apt puts
/// python3-dbusmock), or the first `python3` on the PATH.
fn python_with_dbusmock() -> String {
    let candidates = std::env::var("NABIJ_DBUSMOCK_PYTHON")
        .into_iter()
        .chain(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import dbusmock"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return python;
        }
    }
    panic!(
        "the Wi-Fi tests need python-dbusmock and dbus-daemon: run `cargo xtask test` (it \
         installs them) or `apt-get install python3-dbusmock dbus-daemon` (or set \
         NABIJ_DBUSMOCK_PYTHON to a python that can `import dbusmock`)"
    );
}

/// NetworkManager played by dbusmock on a private bus; both stop when dropped.
struct MockNm {
    _dir: tempfile::TempDir,
    bus: Child,
    mock: Child,
    address: String,
    control: zbus::Connection,
    rt: tokio::runtime::Runtime,
}

impl Drop for MockNm {
    fn drop(&mut self) {
        for child in [&mut self.mock, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl MockNm {
    fn start() -> MockNm {
        let python = python_with_dbusmock();
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("dbus-daemon did not start ({e}): `apt-get install dbus-daemon`")
            });
        // The daemon prints its address once it listens.
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let log = dir.path().join("mock.log");
        let mock = Command::new(python)
            .args(["-m", "dbusmock", "--template", "networkmanager", "-l"])
            .arg(&log)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let control = rt.block_on(async {
            let control = zbus::connection::Builder::address(address.as_str())
                .unwrap()
                .build()
                .await
                .unwrap();
            // Until the mock has its name (python takes a moment to start), within 20 s.
            let dbus = zbus::fdo::DBusProxy::new(&control).await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            let name = zbus::names::BusName::try_from("org.freedesktop.NetworkManager").unwrap();
            while !dbus.name_has_owner(name.clone()).await.unwrap() {
                assert!(Instant::now() < deadline, "dbusmock did not start");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            control
        });
        MockNm {
            _dir: dir,
            bus,
            mock,
            address,
            control,
            rt,
        }
    }

    /// Calls one of the mock's own methods (`org.freedesktop.DBus.Mock`) on the manager.
    fn mock_call<B, R>(&self, method: &str, body: &B) -> R
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
        R: for<'d> zbus::zvariant::DynamicDeserialize<'d>,
    {
        self.rt.block_on(async {
            let proxy = zbus::Proxy::new(
                &self.control,
                "org.freedesktop.NetworkManager",
                NM_PATH,
                MOCK,
            )
            .await
            .unwrap();
            proxy
                .call(method, body)
                .await
                .unwrap_or_else(|e| panic!("the mock's {method}: {e}"))
        })
    }

    /// A Wi-Fi device with networks `(name, strength, secured)`; joining behaves as a
    /// real NetworkManager's does: it takes a moment, and a wrong WPA key makes the
    /// device ask for secrets (reason 8, supplicant disconnect) and then fail for want of
    /// them (reason 7, no secrets).
    fn wifi_with(&self, networks: &[(&str, u8, bool)]) -> String {
        let device: String = self.mock_call("AddWiFiDevice", &("wlan0dev", "wlan0", 30i32));
        for (i, (ssid, strength, secured)) in networks.iter().enumerate() {
            let _: String = self.mock_call(
                "AddAccessPoint",
                &(
                    device.as_str(),
                    format!("ap{i}"),
                    *ssid,
                    format!("11:22:33:44:55:{i:02x}"),
                    2u32,
                    2437u32,
                    54_000u32,
                    *strength,
                    if *secured { WPA_PSK } else { 0 },
                ),
            );
        }
        let code = format!(
            r#"
from gi.repository import GLib
conn, active = self.add_and_activate_connection(self, args[0], args[1], args[2])
dev = objects[args[1]]
ac = objects[active]
D = 'org.freedesktop.NetworkManager.Device'
A = 'org.freedesktop.NetworkManager.Connection.Active'
ac.Set(A, 'State', dbus.UInt32(1))
dev.Set(D, 'StateReason', (dbus.UInt32(50), dbus.UInt32(0)))
dev.Set(D, 'State', dbus.UInt32(50))
security = args[0].get('802-11-wireless-security', None)
right = security is None or str(security.get('psk', '')) == {RIGHT_PASSWORD:?}
def settle(dev=dev, ac=ac, right=right, D=D, A=A, dbus=dbus):
    if right:
        dev.Set(D, 'StateReason', (dbus.UInt32(100), dbus.UInt32(0)))
        dev.Set(D, 'State', dbus.UInt32(100))
        ac.Set(A, 'State', dbus.UInt32(2))
    else:
        dev.Set(D, 'StateReason', (dbus.UInt32(60), dbus.UInt32(8)))
        dev.Set(D, 'State', dbus.UInt32(60))
        dev.Set(D, 'StateReason', (dbus.UInt32(120), dbus.UInt32(7)))
        dev.Set(D, 'State', dbus.UInt32(120))
        ac.Set(A, 'State', dbus.UInt32(4))
    return False
GLib.timeout_add(300, settle)
ret = (conn, active)
"#
        );
        let _: () = self.mock_call(
            "AddMethod",
            &(
                "org.freedesktop.NetworkManager",
                "AddAndActivateConnection",
                "a{sa{sv}}oo",
                "oo",
                code.as_str(),
            ),
        );
        device
    }

    fn connectivity(&self, value: u32) {
        let _: () = self.mock_call("SetConnectivity", &(value,));
    }

    /// The saved connections' names.
    fn saved(&self) -> Vec<String> {
        self.rt.block_on(async {
            let settings = zbus::Proxy::new(
                &self.control,
                "org.freedesktop.NetworkManager",
                "/org/freedesktop/NetworkManager/Settings",
                "org.freedesktop.NetworkManager.Settings",
            )
            .await
            .unwrap();
            let paths: Vec<zbus::zvariant::OwnedObjectPath> =
                settings.call("ListConnections", &()).await.unwrap();
            let mut names = Vec::new();
            for path in paths {
                let connection = zbus::Proxy::new(
                    &self.control,
                    "org.freedesktop.NetworkManager",
                    path,
                    "org.freedesktop.NetworkManager.Settings.Connection",
                )
                .await
                .unwrap();
                let settings: std::collections::HashMap<
                    String,
                    std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
                > = connection.call("GetSettings", &()).await.unwrap();
                let id = settings["connection"]["id"].clone();
                names.push(String::try_from(id).unwrap());
            }
            names
        })
    }

    fn client(&self) -> NetworkManager {
        self.rt
            .block_on(NetworkManager::connect(Some(&self.address)))
            .unwrap()
            .with_join_timeout(Duration::from_secs(20))
    }

    /// The calls the mock's manager took, by name.
    fn calls(&self, method: &str) -> usize {
        let calls: Vec<(u64, Vec<zbus::zvariant::OwnedValue>)> =
            self.mock_call("GetMethodCalls", &(method,));
        calls.len()
    }
}

/// A TLS server on loopback with a certificate for "localhost" from a CA of its own;
/// returns its port and that CA (PEM). It answers `handshakes` handshakes.
fn hub_on_loopback(handshakes: usize) -> (u16, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(handshakes) {
            let Ok(mut stream) = stream else { continue };
            let mut tls = rustls::ServerConnection::new(config.clone()).unwrap();
            while tls.is_handshaking() {
                if tls.complete_io(&mut stream).is_err() {
                    break;
                }
            }
            let _ = tls.complete_io(&mut stream);
        }
    });
    (port, ca.pem())
}

/// A port where nothing listens (bound, then let go).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const TIMEOUT: Duration = Duration::from_secs(5);

#[test]
fn the_hub_check_needs_the_hub_itself_not_just_an_open_port() {
    let (port, ca) = hub_on_loopback(1);
    reach_hub("localhost", port, ca.as_bytes(), TIMEOUT).expect("the hub answers");

    let refused = reach_hub("localhost", closed_port(), ca.as_bytes(), TIMEOUT);
    assert!(
        matches!(refused, Err(HubError::Connect { .. })),
        "{refused:?}"
    );

    // A hub with another CA's certificate (a sign-in page, another machine): not the hub.
    let (other, _) = hub_on_loopback(1);
    let stranger = reach_hub("localhost", other, ca.as_bytes(), TIMEOUT);
    assert!(
        matches!(stranger, Err(HubError::Handshake { .. })),
        "{stranger:?}"
    );

    // Something that speaks no TLS at all.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let plain = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 302 Found\r\nLocation: http://login.example/\r\n\r\n");
        }
    });
    let portal = reach_hub("localhost", plain, ca.as_bytes(), TIMEOUT);
    assert!(
        matches!(portal, Err(HubError::Handshake { .. })),
        "{portal:?}"
    );
}

#[test]
fn networks_are_listed_strongest_first_with_a_fresh_scan() {
    let nm = MockNm::start();
    nm.wifi_with(&[
        ("Buren", 31, true),
        ("Thuis", 82, true),
        ("Bibliotheek", 55, false),
        ("Thuis", 40, true),
    ]);
    let networks = nm.rt.block_on(nm.client().networks()).unwrap();
    let listed: Vec<_> = networks
        .iter()
        .map(|n| (n.ssid.as_str(), n.strength, n.secured))
        .collect();
    assert_eq!(
        listed,
        [
            ("Thuis", 82, true),
            ("Bibliotheek", 55, false),
            ("Buren", 31, true)
        ]
    );
    assert_eq!(nm.calls_on_device("RequestScan"), 1);
}

impl MockNm {
    /// The calls the Wi-Fi device took, by name.
    fn calls_on_device(&self, method: &str) -> usize {
        self.rt.block_on(async {
            let proxy = zbus::Proxy::new(
                &self.control,
                "org.freedesktop.NetworkManager",
                "/org/freedesktop/NetworkManager/Devices/wlan0dev",
                MOCK,
            )
            .await
            .unwrap();
            let calls: Vec<(u64, Vec<zbus::zvariant::OwnedValue>)> =
                proxy.call("GetMethodCalls", &(method,)).await.unwrap();
            calls.len()
        })
    }
}

fn network(ssid: &str, secured: bool) -> Network {
    Network {
        ssid: ssid.into(),
        strength: 80,
        secured,
    }
}

#[test]
fn the_right_password_joins_and_the_hub_answers() {
    let nm = MockNm::start();
    nm.wifi_with(&[("Thuis", 82, true)]);
    let (port, ca) = hub_on_loopback(1);
    let client = nm.client();
    let joined = nm
        .rt
        .block_on(join_and_check(
            &client,
            &network("Thuis", true),
            RIGHT_PASSWORD,
            move || reach_hub("localhost", port, ca.as_bytes(), TIMEOUT),
        ))
        .unwrap();
    assert_eq!(joined, Joined::HubReachable);
    assert_eq!(nm.saved(), ["Thuis"], "kept for next time");
    assert_eq!(nm.calls("AddAndActivateConnection"), 1);
}

#[test]
fn a_wrong_password_is_told_as_such_and_not_kept() {
    let nm = MockNm::start();
    nm.wifi_with(&[("Thuis", 82, true)]);
    let client = nm.client();
    let joined = nm
        .rt
        .block_on(join_and_check(
            &client,
            &network("Thuis", true),
            "zonnebloem 24",
            || panic!("no hub check without a network"),
        ))
        .unwrap();
    assert_eq!(joined, Joined::WrongPassword);
    assert!(nm.saved().is_empty(), "a wrong password is not kept");

    // Then the right one, on the same device.
    let (port, ca) = hub_on_loopback(1);
    let joined = nm
        .rt
        .block_on(join_and_check(
            &client,
            &network("Thuis", true),
            RIGHT_PASSWORD,
            move || reach_hub("localhost", port, ca.as_bytes(), TIMEOUT),
        ))
        .unwrap();
    assert_eq!(joined, Joined::HubReachable);
}

#[test]
fn a_network_without_internet_is_told_apart_from_a_hub_that_does_not_answer() {
    let nm = MockNm::start();
    nm.wifi_with(&[("Bibliotheek", 55, false)]);
    let client = nm.client();
    let (_, ca) = hub_on_loopback(0);
    let join = |ca: String| {
        nm.rt
            .block_on(join_and_check(
                &client,
                &network("Bibliotheek", false),
                "",
                move || reach_hub("localhost", closed_port(), ca.as_bytes(), TIMEOUT),
            ))
            .unwrap()
    };
    // NM_CONNECTIVITY_LIMITED: a network, no internet behind it.
    nm.connectivity(3);
    assert_eq!(join(ca.clone()), Joined::NoInternet);
    // NM_CONNECTIVITY_PORTAL: a sign-in page first.
    nm.connectivity(2);
    assert_eq!(join(ca.clone()), Joined::SignInPage);
    // NM_CONNECTIVITY_FULL: the internet works, the hub does not answer.
    nm.connectivity(4);
    assert!(matches!(join(ca), Joined::HubUnreachable(why) if why.contains("did not answer")));
    assert_eq!(nm.calls("CheckConnectivity"), 3, "asked afresh each time");
}

#[test]
fn a_network_gone_from_the_list_is_said_so() {
    let nm = MockNm::start();
    nm.wifi_with(&[("Thuis", 82, true)]);
    let client = nm.client();
    let gone = nm
        .rt
        .block_on(client.join(&network("Elders", true), RIGHT_PASSWORD));
    assert!(
        matches!(&gone, Err(e) if e.to_string().contains("no longer seen")),
        "{gone:?}"
    );
}

#[test]
fn without_networkmanager_the_coach_reads_what_to_check() {
    // A bus without NetworkManager on it.
    let mut nm = MockNm::start();
    let _ = nm.mock.kill();
    let _ = nm.mock.wait();
    let client = nm.client();
    let none = nm.rt.block_on(client.networks());
    assert!(
        matches!(&none, Err(e) if e.to_string().contains("NetworkManager runs")),
        "{none:?}"
    );
}
