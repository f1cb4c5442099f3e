//! However the hub stops, its managed Mosquitto stops with it: Ctrl-C, SIGTERM, its
//! standard input closed (`--until-stdin-closes`, as `cargo xtask demo` runs it), SIGKILL
//! (no code of the hub runs: the kernel's parent-death signal does it), and a panic.
//! Each test reads the broker's pid from the pid file Mosquitto writes, and waits for
//! that process to end.

use std::time::{Duration, Instant};
use tests::mqtt_client::PATIENCE;
use tests::serve::{Ports, ServedHub};

/// Whether `pid` is a Mosquitto that still runs (a zombie waiting for its parent to
/// reap it has ended: it holds no port and no file).
fn broker_runs(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name in parentheses: "123 (mosquitto) S …".
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    comm.trim() == "mosquitto" && state != Some(Some('Z'))
}

/// Whether something accepts connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    )
    .is_ok()
}

/// Waits until Mosquitto `pid` has ended and nothing listens on the broker's ports any
/// more (a broker started again by someone, under another pid, would); fails after the
/// tests' patience.
async fn ends(pid: u32, ports: &[u16], how: &str) {
    let deadline = Instant::now() + PATIENCE;
    while broker_runs(pid) {
        assert!(
            Instant::now() < deadline,
            "the hub's Mosquitto (pid {pid}) still runs after the hub was stopped by {how}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while let Some(port) = ports.iter().copied().find(|&p| listening(p)) {
        assert!(
            Instant::now() < deadline,
            "port {port} of the hub's broker still listens after the hub was stopped by {how}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The broker's ports of a served hub: tablets, pairing tablets, the hub's own.
fn broker_ports(ports: Ports) -> [u16; 3] {
    [ports.tls, ports.pairing, ports.local]
}

/// A served hub, the pid of its running Mosquitto, and that broker's ports (listening).
async fn served(dir: &std::path::Path, options: &[&str]) -> (ServedHub, u32, [u16; 3]) {
    let ports = Ports::free();
    let hub = ServedHub::start_with(dir, ports, options).await;
    let pid = hub.broker_pid().expect("Mosquitto wrote its pid file");
    assert!(broker_runs(pid), "the broker runs while the hub does");
    let ports = broker_ports(ports);
    for port in ports {
        assert!(listening(port), "the broker listens on {port}");
    }
    (hub, pid, ports)
}

#[tokio::test]
async fn ctrl_c_stops_the_broker_with_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hub, broker, ports) = served(dir.path(), &[]).await;
    hub.signal("INT");
    assert!(hub.wait().await.success(), "a clean stop");
    ends(broker, &ports, "Ctrl-C (SIGINT)").await;
}

#[tokio::test]
async fn sigterm_stops_the_broker_with_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hub, broker, ports) = served(dir.path(), &[]).await;
    hub.signal("TERM");
    assert!(hub.wait().await.success(), "a clean stop");
    ends(broker, &ports, "SIGTERM").await;
}

#[tokio::test]
async fn closing_its_standard_input_stops_the_hub_and_its_broker_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hub, broker, ports) = served(dir.path(), &["--until-stdin-closes"]).await;
    hub.close_stdin();
    assert!(hub.wait().await.success(), "a clean stop");
    ends(broker, &ports, "closing its standard input").await;

    // Without the option, standard input is not watched (under systemd it is /dev/null).
    let (mut hub, broker, ports) = served(dir.path(), &[]).await;
    hub.close_stdin();
    // The hub still answers after its input closed.
    assert!(hub.cli(&["group", "list"]).await.0, "still running");
    assert!(broker_runs(broker));
    hub.signal("TERM");
    hub.wait().await;
    ends(broker, &ports, "SIGTERM").await;
}

#[tokio::test]
async fn a_hub_killed_outright_takes_its_broker_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut hub, broker, ports) = served(dir.path(), &[]).await;
    hub.kill9();
    hub.wait().await;
    // No code of the hub ran: the kernel sent the broker its parent-death signal.
    ends(broker, &ports, "SIGKILL").await;

    // And the next start finds its ports free.
    let (mut again, second, again_ports) = served(dir.path(), &[]).await;
    assert_ne!(second, broker);
    again.signal("TERM");
    again.wait().await;
    ends(second, &again_ports, "SIGTERM").await;
}

/// A panic in any part of the running hub: the hub stops, cleanly, and its broker with
/// it. The hub runs in this process, on a runtime of its own, the way `serve` runs it
/// (`nabij_hub::run` until `shutdown::panicked`), so the test can make one of its
/// threads panic.
#[test]
fn a_panic_in_the_hub_stops_it_and_its_broker() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = nabij_hub::config::HubConfig {
        data_dir: dir.path().join("data"),
        ..Default::default()
    };
    config.broker.tls_port = tests::hub::free_port();
    config.broker.pairing_port = tests::hub::free_port();
    config.broker.local_port = tests::hub::free_port();
    config.broker.listen = std::net::IpAddr::from([127, 0, 0, 1]);
    config.web.port = 0;
    let ports = [
        config.broker.tls_port,
        config.broker.pairing_port,
        config.broker.local_port,
    ];
    let pid_file = config.data_dir.join("broker/mosquitto.pid");
    let socket = nabij_hub::admin::socket_path(&config.data_dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    nabij_hub::shutdown::stop_on_panic();
    let hub = std::thread::spawn(move || {
        runtime.block_on(nabij_hub::run(config, nabij_hub::shutdown::panicked()))
    });

    // Started: the admin socket answers.
    let deadline = Instant::now() + PATIENCE;
    let answers = || {
        handle.block_on(nabij_hub::admin::call(
            &socket,
            &nabij_hub::admin::Request::Groups,
        ))
    };
    while answers().is_err() {
        assert!(Instant::now() < deadline, "the hub did not start");
        assert!(!hub.is_finished(), "the hub stopped while starting");
        std::thread::sleep(Duration::from_millis(50));
    }
    let broker: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(broker_runs(broker));
    for port in ports {
        assert!(listening(port), "the broker listens on {port}");
    }

    // A bug somewhere in the hub's tasks.
    handle.spawn(async { panic!("a bug in one of the hub's tasks") });

    let stopped = hub
        .join()
        .expect("the hub's thread ends without panicking itself");
    assert!(stopped.is_ok(), "a clean stop: {stopped:?}");
    // The hub's runtime is gone with its thread; a small one waits.
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(ends(broker, &ports, "a panic"));
}
