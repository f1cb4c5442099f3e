//! The `nabij-hub` command line, run as a real process against a running hub.

use tests::binary;
use tests::hub::TestHub;
use tests::serve::{Ports, ServedHub};
use tests::sim_kiosk::{Device, Pairing};

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn hub_cli(data_dir: &std::path::Path, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(binary("nabij-hub"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .await
        .expect("nabij-hub runs");
    Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn a_coach_enrols_lists_and_revokes_from_the_command_line() {
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();

    let out = hub_cli(&dir, &["group", "add", "--name", "Brugge Noord"]).await;
    assert_eq!(
        out.stdout, "Added group Brugge Noord (g-brugge-noord).\n",
        "{}",
        out.stderr
    );
    let out = hub_cli(&dir, &["participant", "add", "--name", "Anna Peeters"]).await;
    assert_eq!(
        out.stdout, "Added Anna Peeters (p-anna-peeters).\n",
        "{}",
        out.stderr
    );

    let mut pairing = Pairing::connect(&hub.kiosk_settings()).await;
    let code = pairing.code(Some("hw-9")).await;
    let shown = format!("{}-{}", &code[..3], &code[3..]);
    let out = hub_cli(
        &dir,
        &[
            "device",
            "enrol",
            &shown,
            "--participant",
            "Anna Peeters",
            "--group",
            "Brugge Noord",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("is now lent to Anna Peeters (p-anna-peeters)"),
        "{}",
        out.stdout
    );
    let credentials = pairing.granted().await;
    let anna = hub.hub().person(&hub.person("p-anna-peeters")).unwrap();
    assert_eq!(
        anna.group.map(|g| g.to_string()).as_deref(),
        Some("g-brugge-noord")
    );

    let out = hub_cli(&dir, &["device", "list"]).await;
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(credentials.device_id.as_str()))
        .expect("the tablet is listed");
    assert!(
        line.contains("Anna Peeters")
            && line.contains("desktop")
            && line.contains("never connected"),
        "{line}"
    );
    let mut device = Device::connect(&hub.kiosk_settings(), &credentials)
        .await
        .unwrap();
    device.barrier().await;
    let out = hub_cli(&dir, &["device", "list"]).await;
    assert!(
        out.stdout.contains("online") && out.stdout.contains("80%"),
        "{}",
        out.stdout
    );

    let out = hub_cli(&dir, &["loan", "list"]).await;
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("hw-9") && l.contains("p-anna-peeters")),
        "{}",
        out.stdout
    );

    // A PIN of the tablet's own for its coach settings, made by the hub's command line,
    // shown once; the tablet gets it hashed, the audit log never sees it.
    let out = hub_cli(&dir, &["device", "pin", credentials.device_id.as_str()]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let pin = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Coach PIN: "))
        .expect("the PIN is printed once")
        .to_owned();
    let sent = device
        .receive_until(|e| matches!(e.body, nabij_protocol::Body::CoachPin(_)))
        .await;
    let nabij_protocol::Body::CoachPin(hashed) = sent.body else {
        unreachable!()
    };
    let mut derived = [0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(hashed.rounds).unwrap(),
        &hashed.salt.0,
        pin.as_bytes(),
        &mut derived,
    );
    assert_eq!(hashed.hash.0, derived);
    let audit = hub.hub().audit_log(10).unwrap();
    let line = audit
        .iter()
        .find(|e| e.what.contains("set coach pin"))
        .expect("the change is in the audit log");
    assert!(
        line.what.contains("pin=(not kept)") && !line.what.contains(&pin),
        "{}",
        line.what
    );

    let out = hub_cli(&dir, &["device", "revoke", credentials.device_id.as_str()]).await;
    assert!(
        out.stdout.contains("is switched off"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    device.client.closed().await;
    let out = hub_cli(&dir, &["device", "list"]).await;
    assert!(out.stdout.contains("switched off"), "{}", out.stdout);
}

#[tokio::test]
async fn mistakes_get_a_clear_message_and_a_failing_exit_code() {
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.hub()
        .add_participant("Anna Peeters", None, None)
        .await
        .unwrap();

    let out = hub_cli(
        &dir,
        &[
            "device",
            "enrol",
            "ZZZ-ZZZ",
            "--participant",
            "Anna Peeters",
        ],
    )
    .await;
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("no tablet is showing the code ZZZZZZ"),
        "{}",
        out.stderr
    );
    let out = hub_cli(&dir, &["device", "revoke", "d-0000"]).await;
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("there is no tablet d-0000"),
        "{}",
        out.stderr
    );
    let out = hub_cli(
        &dir,
        &["participant", "add", "--name", "Jo", "--group", "Nowhere"],
    )
    .await;
    assert!(
        out.stderr.contains("there is no group \"Nowhere\""),
        "{}",
        out.stderr
    );

    // A name the broker's certificate does not carry: a tablet would refuse to connect,
    // so no settings are written, and the error says what to do.
    let out = hub_cli(&dir, &["kiosk-settings", "--host", "hub.local"]).await;
    assert_eq!(out.code, Some(2));
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("the hub's certificate is not made for \"hub.local\"")
            && out.stderr.contains("localhost, 127.0.0.1")
            && out
                .stderr
                .contains("`hostnames` under [broker] in hub.toml"),
        "{}",
        out.stderr
    );
    let out = hub_cli(&dir, &["kiosk-settings", "--host", "hub\"\nport = 1"]).await;
    assert!(out.stderr.contains("is not a host name"), "{}", out.stderr);

    let out = hub_cli(&dir, &["kiosk-settings", "--host", "localhost"]).await;
    assert!(
        out.stdout.contains("host = \"localhost\"") && out.stdout.contains("BEGIN CERTIFICATE"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(hub.secrets()["enrol_password"].as_str().unwrap())
    );
    // What it writes is what docs/protocol.md §9 describes and the kiosk reads.
    let settings = nabij_kiosk::live::hub_settings::HubSettings::parse(
        &out.stdout,
        std::path::Path::new("kiosk-settings.toml"),
    )
    .unwrap();
    assert_eq!(
        (settings.host.as_str(), settings.port),
        ("localhost", hub.config.broker.tls_port)
    );
}

#[tokio::test]
async fn without_a_running_hub_or_with_a_bad_config_the_command_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let out = hub_cli(empty.path(), &["device", "list"]).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("the hub is not running") && out.stderr.contains("nabij-hub serve"),
        "{}",
        out.stderr
    );

    let config = empty.path().join("hub.toml");
    std::fs::write(&config, "[broker]\ntls_port = \"high\"\n").unwrap();
    let out = hub_cli(
        empty.path(),
        &["--config", config.to_str().unwrap(), "device", "list"],
    )
    .await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("hub.toml") && out.stderr.contains("tls_port"),
        "{}",
        out.stderr
    );

    let out = hub_cli(empty.path(), &["--help"]).await;
    for command in [
        "serve",
        "device",
        "participant",
        "group",
        "loan",
        "kiosk-settings",
        "check-message",
    ] {
        assert!(
            out.stdout.contains(command),
            "--help lacks {command}: {}",
            out.stdout
        );
    }
}

#[tokio::test]
async fn serve_runs_until_terminated_and_then_stops_its_broker() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = ServedHub::start(dir.path(), Ports::free()).await;
    let pid: i32 = std::fs::read_to_string(dir.path().join("broker/mosquitto.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    serve.terminate();
    let status = tokio::time::timeout(tests::mqtt_client::PATIENCE, serve.wait())
        .await
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "mosquitto still runs"
    );
}

/// Issue 22: the database's files were 0644 in a 0755 folder, readable by every account
/// on the hub's computer. A data folder left so by an older hub is made private at start,
/// and everything the hub writes after is its owner's only.
#[tokio::test]
async fn every_file_and_folder_the_hub_keeps_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::write(dir.join("db/left-by-an-old-hub"), b"x").unwrap();
    for (path, mode) in [
        (dir.clone(), 0o755),
        (dir.join("db"), 0o755),
        (dir.join("db/left-by-an-old-hub"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let serve = ServedHub::start(&dir, Ports::free()).await;
    // Something the store writes: a participant and a dashboard account.
    let (ok, out) = serve
        .cli(&["participant", "add", "--name", "Jan Claes"])
        .await;
    assert!(ok, "{out}");
    let (ok, out) = serve
        .cli(&["user", "add", "--name", "marie", "--role", "admin"])
        .await;
    assert!(ok, "{out}");
    let mut seen = 0;
    let mut todo = vec![dir.clone()];
    while let Some(path) = todo.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", path.display());
            for entry in std::fs::read_dir(&path).unwrap() {
                todo.push(entry.unwrap().path());
            }
        } else {
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", path.display());
            seen += 1;
        }
    }
    assert!(
        seen > 10,
        "the store, keys and broker files were all looked at ({seen})"
    );
    drop(serve);
}

#[tokio::test]
async fn a_coach_is_added_and_messages_a_group_from_the_command_line() {
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    for args in [
        &["group", "add", "--name", "Brugge Noord"][..],
        &[
            "participant",
            "add",
            "--name",
            "Anna Peeters",
            "--group",
            "Brugge Noord",
        ],
    ] {
        let out = hub_cli(&dir, args).await;
        assert_eq!(out.code, Some(0), "{}", out.stderr);
    }
    let out = hub_cli(
        &dir,
        &[
            "coach",
            "add",
            "--name",
            "Marie Dewulf",
            "--phone",
            "059 12 34 56",
            "--group",
            "Brugge Noord",
        ],
    )
    .await;
    assert_eq!(
        out.stdout, "Added Marie Dewulf (p-marie-dewulf).\n",
        "{}",
        out.stderr
    );
    let out = hub_cli(
        &dir,
        &["coach", "add", "--name", "Els", "--phone", "call me"],
    )
    .await;
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("not a phone number"), "{}", out.stderr);

    let out = hub_cli(
        &dir,
        &[
            "message",
            "send",
            "--from",
            "Marie Dewulf",
            "--to",
            "Brugge Noord",
            "--text",
            "De bus vertrekt om 13:30",
        ],
    )
    .await;
    assert_eq!(
        out.stdout,
        "Sent to 1 person on 0 tablets; each tablet shows it as soon as it is online.\n",
        "{}",
        out.stderr
    );
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "add",
            "--name",
            "Jeanne Dubois",
            "--language",
            "fr",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let jeanne = hub.hub().find_person("Jeanne Dubois").unwrap();
    assert_eq!(jeanne.language, Some(nabij_protocol::Language::Fr));
    let out = hub_cli(&dir, &["person", "language", "Anna Peeters", "en"]).await;
    assert_eq!(
        out.stdout, "Anna Peeters's tablet now speaks English.\n",
        "{}",
        out.stderr
    );
    let out = hub_cli(&dir, &["person", "language", "Anna Peeters", "de"]).await;
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("use nl (Dutch), fr (French) or en (English)"),
        "{}",
        out.stderr
    );

    let face = dir.join("marie.jpg");
    std::fs::write(&face, tests::jpeg(600, 800)).unwrap();
    let out = hub_cli(
        &dir,
        &["person", "photo", "Marie Dewulf", face.to_str().unwrap()],
    )
    .await;
    assert_eq!(
        out.stdout, "Marie Dewulf's photo is set; tablets show it as soon as they are online.\n",
        "{}",
        out.stderr
    );
    let stored = hub.hub().find_person("Marie Dewulf").unwrap();
    assert!(
        stored
            .photo
            .is_some_and(|p| p.0.len() <= nabij_protocol::limits::MAX_THUMBNAIL_BYTES),
        "kept small enough for every tablet"
    );

    let photo = dir.join("not-a-photo.jpg");
    std::fs::write(&photo, b"hello").unwrap();
    let out = hub_cli(
        &dir,
        &[
            "message",
            "send",
            "--from",
            "Marie Dewulf",
            "--to",
            "Brugge Noord",
            "--photo",
            photo.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("not a JPEG or PNG"), "{}", out.stderr);
    let out = hub_cli(
        &dir,
        &["person", "photo", "Marie Dewulf", photo.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("not a JPEG or PNG"), "{}", out.stderr);
}

#[tokio::test]
async fn a_call_for_help_is_listed_and_answered_from_the_command_line() {
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Brugge Noord", &["Anna Peeters"]).await;
    hub.hub()
        .add_coach(
            "Marie Dewulf",
            "059 12 34 56",
            Some(&hub.hub().find_group("Brugge Noord").unwrap().id),
        )
        .await
        .unwrap();
    let mut anna = tests::sim_kiosk::enrolled(&hub, "p-anna-peeters").await;

    let out = hub_cli(&dir, &["calls", "list"]).await;
    assert_eq!(
        out.stdout, "No one is waiting for a call.\n",
        "{}",
        out.stderr
    );
    let asked = anna
        .send(nabij_protocol::Body::HelpRequest(
            nabij_protocol::HelpRequest { note: None },
        ))
        .await;
    anna.receive_until(
        |e| matches!(&e.body, nabij_protocol::Body::Ack(a) if a.ids.contains(&asked)),
    )
    .await;
    let out = hub_cli(&dir, &["calls", "list"]).await;
    assert!(
        out.stdout.contains("Anna Peeters") && out.stdout.contains("WAITING"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    let out = hub_cli(
        &dir,
        &["calls", "answer", "Anna Peeters", "--coach", "Marie Dewulf"],
    )
    .await;
    assert!(
        out.stdout.starts_with("1 call for help answered"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let reply = anna
        .receive_until(|e| matches!(e.body, nabij_protocol::Body::HelpReply(_)))
        .await;
    assert!(
        matches!(&reply.body, nabij_protocol::Body::HelpReply(r) if r.coach_name == "Marie Dewulf"),
        "the tablet hears who will call"
    );
    let out = hub_cli(&dir, &["calls", "list"]).await;
    assert_eq!(out.stdout, "No one is waiting for a call.\n");
    let out = hub_cli(&dir, &["calls", "list", "--all"]).await;
    assert!(out.stdout.contains("Anna Peeters") && !out.stdout.contains("WAITING"));
    let out = hub_cli(
        &dir,
        &["calls", "answer", "Anna Peeters", "--coach", "Anna Peeters"],
    )
    .await;
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("not a coach"), "{}", out.stderr);
}

#[tokio::test]
async fn a_coach_plans_moves_cancels_and_exports_a_groups_meetings_and_the_tablets_follow() {
    use nabij_protocol::{Body, ScheduleChangeKind};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Oostende Oost", &["Jan Claes"]).await;
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;

    let plan = [
        "schedule",
        "plan",
        "--group",
        "Oostende Oost",
        "--first",
        "2099-03-16",
        "--time",
        "14:00",
        "--place",
        "Buurthuis De Schelp",
        "--address",
        "Schelpstraat 12, Oostende",
    ];
    let out = hub_cli(&dir, &plan).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("Oostende Oost: 20 meetings\n"),
        "{}",
        out.stdout
    );
    // 16 March 2099 is a Monday; Easter Monday 2099 is 13 April: that week is skipped.
    let line = |id: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("s-oostende-oost-w04").contains("Mon 2099-04-06 14:00–17:00"));
    assert!(
        line("s-oostende-oost-w05").contains("Mon 2099-04-20 14:00–17:00"),
        "{}",
        out.stdout
    );
    let mut reminders = 0;
    jan.receive_until(|e| {
        reminders += usize::from(matches!(e.body, Body::MeetingReminder(_)));
        reminders == 20
    })
    .await;

    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "move",
            "s-oostende-oost-w03",
            "--date",
            "2099-04-01",
            "--time",
            "10:00",
        ],
    )
    .await;
    assert!(out.stdout.contains("moved"), "{}{}", out.stdout, out.stderr);
    let change = jan
        .receive_until(|e| matches!(e.body, Body::ScheduleChange(_)))
        .await;
    let Body::ScheduleChange(change) = change.body else {
        unreachable!()
    };
    assert_eq!(change.change, ScheduleChangeKind::Moved);
    let local = nabij_protocol::time::brussels(change.starts_at.unwrap());
    assert_eq!(
        (local.month, local.day, local.hour),
        (4, 1, 10),
        "10:00 Belgian summer time"
    );

    let out = hub_cli(&dir, &["schedule", "cancel", "s-oostende-oost-w03"]).await;
    assert!(
        out.stdout.contains("cancelled"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    jan.receive_until(
        |e| matches!(&e.body, Body::ScheduleChange(c) if c.change == ScheduleChangeKind::Cancelled),
    )
    .await;
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "add",
            "--group",
            "Oostende Oost",
            "--series",
            "weekly",
            "--date",
            "2099-06-29",
            "--time",
            "14:00",
            "--place",
            "Buurthuis De Schelp",
        ],
    )
    .await;
    assert!(
        out.stdout.contains("s-oostende-oost-w03-2"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    let ics = dir.join("oost.ics");
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "ics",
            "--group",
            "Oostende Oost",
            "--out",
            ics.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = std::fs::read_to_string(&ics).unwrap();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 21);
    assert!(text.contains("STATUS:CANCELLED"));

    // Mistakes: a second plan, a meeting that does not exist, a date that is not one.
    let out = hub_cli(&dir, &plan).await;
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("has a programme already"),
        "{}",
        out.stderr
    );
    let out = hub_cli(&dir, &["schedule", "cancel", "s-nowhere-w01"]).await;
    assert!(
        out.stderr.contains("there is no meeting s-nowhere-w01"),
        "{}",
        out.stderr
    );
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "move",
            "s-oostende-oost-w04",
            "--date",
            "2099-02-30",
            "--time",
            "10:00",
        ],
    )
    .await;
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("write it like 2027-01-12"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn attendance_is_taken_from_the_tablets_answers_with_only_the_exceptions_named() {
    use nabij_protocol::{Body, Rsvp, RsvpAnswer, SessionId};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with(
        "Brugge Noord",
        &["Jan Claes", "Anna Peeters", "Mia Vermeulen"],
    )
    .await;
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    // The programme began a week ago at midnight, so its first meeting can be marked.
    let now = nabij_protocol::time::brussels(nabij_protocol::UnixMillis::now());
    let week_ago = nabij_protocol::UnixMillis(
        nabij_protocol::time::midnight_utc(now.year, now.month, now.day) - 7 * 86_400_000,
    )
    .civil(0);
    let first = format!(
        "{:04}-{:02}-{:02}",
        week_ago.year, week_ago.month, week_ago.day
    );
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "plan",
            "--group",
            "Brugge Noord",
            "--first",
            &first,
            "--time",
            "00:00",
            "--minutes",
            "60",
            "--place",
            "De Vaart",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let session = SessionId::parse("s-brugge-noord-w01").unwrap();

    let answer = jan
        .send(Body::Rsvp(Rsvp {
            session_id: session.clone(),
            answer: RsvpAnswer::NotComing,
        }))
        .await;
    jan.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&answer)))
        .await;
    let out = hub_cli(&dir, &["attendance", "show", session.as_str()]).await;
    let line = |name: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("Jan Claes").contains("not coming") && line("Jan Claes").ends_with("(excused)"),
        "{}",
        out.stdout
    );
    assert!(
        line("Anna Peeters").ends_with("(present)"),
        "{}",
        out.stdout
    );

    let out = hub_cli(
        &dir,
        &[
            "attendance",
            "take",
            session.as_str(),
            "--absent",
            "Mia Vermeulen",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let marks: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .skip(2)
        .collect();
    assert_eq!(marks, ["present", "excused", "absent"], "{}", out.stdout);

    let out = hub_cli(&dir, &["attendance", "rates", "--group", "Brugge Noord"]).await;
    assert!(
        out.stdout
            .starts_with("Brugge Noord: 1 meetings with attendance taken"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("ALL") && l.trim_end().ends_with("33%")),
        "{}",
        out.stdout
    );
    let out = hub_cli(&dir, &["attendance", "take", "s-brugge-noord-w03"]).await;
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("has not begun yet"), "{}", out.stderr);
}

#[tokio::test]
async fn the_follow_up_list_names_who_to_call_and_why_until_a_coach_deals_with_it() {
    use nabij_protocol::{Body, CheckIn, Envelope, HelpRequest, Mood, Party, Topic, UnixMillis};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Brugge Noord", &["Jan Claes"]).await;
    hub.hub()
        .add_coach(
            "Marie Dewulf",
            "059 12 34 56",
            Some(&hub.group("Brugge Noord")),
        )
        .await
        .unwrap();
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    let out = hub_cli(&dir, &["followup", "list"]).await;
    assert_eq!(out.stdout, "No one needs a call now.\n", "{}", out.stderr);
    // The coach turns the daily check-in on: the tablet's settings say so.
    let out = hub_cli(&dir, &["person", "check-in", "Jan Claes", "on"]).await;
    assert!(
        out.stdout.contains("once a day"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    jan.receive_until(|e| matches!(&e.body, Body::Config(c) if c.check_in))
        .await;

    let asked = jan
        .send(Body::HelpRequest(HelpRequest { note: None }))
        .await;
    jan.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&asked)))
        .await;
    let out = hub_cli(&dir, &["followup", "list"]).await;
    assert!(
        out.stdout.contains("Jan Claes") && out.stdout.contains("asked to be called"),
        "{}",
        out.stdout
    );
    hub_cli(
        &dir,
        &["calls", "answer", "Jan Claes", "--coach", "Marie Dewulf"],
    )
    .await;
    let out = hub_cli(&dir, &["followup", "list"]).await;
    assert_eq!(out.stdout, "No one needs a call now.\n", "answered");

    // "Not good" at the check-in three days running (sent from the tablet's outbox now,
    // stamped when the senior tapped).
    let topic = Topic::DeviceUp(jan.credentials.device_id.clone()).to_string();
    for days_ago in [2, 1, 0] {
        let mut envelope = Envelope::new(
            tests::sim_kiosk::message_id(),
            Party::Device(jan.credentials.device_id.clone()),
            Body::CheckIn(CheckIn {
                mood: Mood::NotGood,
            }),
        );
        envelope.ts = UnixMillis(envelope.ts.0 - days_ago * 86_400_000);
        jan.client.publish(&topic, envelope.to_bytes(), false).await;
        jan.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&envelope.id)))
            .await;
    }
    let out = hub_cli(&dir, &["followup", "list"]).await;
    assert!(
        out.stdout.contains("not good at the check-in"),
        "{}",
        out.stdout
    );
    let out = hub_cli(
        &dir,
        &[
            "followup",
            "handled",
            "Jan Claes",
            "--reason",
            "sad-check-ins",
            "--by",
            "Marie Dewulf",
        ],
    )
    .await;
    assert!(
        out.stdout.starts_with("Noted"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let out = hub_cli(&dir, &["followup", "list"]).await;
    assert_eq!(out.stdout, "No one needs a call now.\n");
    let out = hub_cli(&dir, &["followup", "list", "--all"]).await;
    assert!(out.stdout.contains("Marie Dewulf"), "{}", out.stdout);
    let out = hub_cli(
        &dir,
        &[
            "followup",
            "handled",
            "Jan Claes",
            "--reason",
            "bored",
            "--by",
            "Marie Dewulf",
        ],
    )
    .await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("use asked-for-call"), "{}", out.stderr);
}

#[tokio::test]
async fn a_weeks_diary_prompt_reaches_the_group_and_shared_answers_come_back_for_the_coach() {
    use nabij_protocol::{Body, ChoiceId, DiaryAnswer, Share};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    let mut anna = tests::sim_kiosk::enrolled(&hub, "p-anna-peeters").await;

    let out = hub_cli(&dir, &["diary", "prompts"]).await;
    assert!(
        out.stdout.contains("q-talked-to")
            && out.stdout.contains("Met wie hebt u deze week gepraat?"),
        "{}",
        out.stdout
    );
    let now = nabij_protocol::time::brussels(nabij_protocol::UnixMillis::now());
    let yesterday = nabij_protocol::UnixMillis(
        nabij_protocol::time::midnight_utc(now.year, now.month, now.day) - 86_400_000,
    )
    .civil(0);
    let week = format!(
        "{:04}-{:02}-{:02}",
        yesterday.year, yesterday.month, yesterday.day
    );
    let out = hub_cli(
        &dir,
        &[
            "diary",
            "plan",
            "--group",
            "Oostende Oost",
            "--prompt",
            "q-talked-to",
            "--week",
            &week,
        ],
    )
    .await;
    assert!(
        out.stdout.contains("its tablets have it now"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    for (tablet, share, text) in [
        (&mut jan, Share::MyGroup, "Met mijn kleindochter"),
        (&mut anna, Share::OnlyMe, "Met niemand"),
    ] {
        let prompt = tablet
            .receive_until(|e| matches!(e.body, Body::DiaryPrompt(_)))
            .await;
        let Body::DiaryPrompt(prompt) = prompt.body else {
            unreachable!()
        };
        let sent = tablet
            .send(Body::DiaryAnswer(DiaryAnswer {
                prompt_id: prompt.prompt_id,
                choices: vec![ChoiceId::parse("family").unwrap()],
                text: Some(text.into()),
                voice: None,
                share,
                people: Vec::new(),
            }))
            .await;
        tablet
            .receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&sent)))
            .await;
    }
    let out = hub_cli(&dir, &["diary", "answers", "--group", "Oostende Oost"]).await;
    assert!(
        out.stdout.contains("Jan Claes")
            && out.stdout.contains("Familie — \"Met mijn kleindochter\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("and 1 answer kept for themselves"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("Met niemand"), "private stays private");
    let out = hub_cli(&dir, &["diary", "weeks", "--group", "Oostende Oost"]).await;
    assert!(
        out.stdout
            .contains(&format!("week from {week}  q-talked-to")),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_participants_details_groups_and_transport_are_kept_and_the_tablet_shows_the_pick_up() {
    use nabij_protocol::Body;
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    for (name, hood) in [("Oostende Oost", "Oost"), ("Brugge Noord", "Sint-Pieters")] {
        let out = hub_cli(
            &dir,
            &["group", "add", "--name", name, "--neighbourhood", hood],
        )
        .await;
        assert_eq!(out.code, Some(0), "{}", out.stderr);
    }
    hub.hub()
        .add_participant("Jan Claes", Some(&hub.group("Oostende Oost")), None)
        .await
        .unwrap();
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "set",
            "Jan Claes",
            "--phone",
            "059 11 22 33",
            "--address",
            "Schelpstraat 3, 8400 Oostende",
            "--transport",
            "yes",
            "--consent-photos",
            "yes",
        ],
    )
    .await;
    assert!(
        out.stdout.contains("transport:  yes"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("photos yes, evaluation no"),
        "{}",
        out.stdout
    );
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "move",
            "Jan Claes",
            "--group",
            "Brugge Noord",
        ],
    )
    .await;
    assert!(
        out.stdout.contains("group:      Oostende Oost, from ") && out.stdout.contains(" until "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("group:      Brugge Noord, from "),
        "{}",
        out.stdout
    );

    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "plan",
            "--group",
            "Brugge Noord",
            "--first",
            "2099-03-16",
            "--time",
            "14:00",
            "--place",
            "De Vaart",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "pickup",
            "s-brugge-noord-w01",
            "Jan Claes",
            "--at",
            "13:30",
        ],
    )
    .await;
    assert!(
        out.stdout.contains("has transport for Jan Claes at 13:30"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let reminder = jan
        .receive_until(|e| {
            matches!(&e.body, Body::MeetingReminder(m) if m.session_id.as_str() == "s-brugge-noord-w01" && m.pickup_at.is_some())
        })
        .await;
    let Body::MeetingReminder(m) = reminder.body else {
        unreachable!()
    };
    let local = nabij_protocol::time::brussels(m.pickup_at.unwrap());
    assert_eq!((local.hour, local.minute), (13, 30));
    let out = hub_cli(
        &dir,
        &[
            "schedule",
            "pickup",
            "s-brugge-noord-w01",
            "Jan Claes",
            "--at",
            "07:00",
        ],
    )
    .await;
    assert!(
        out.stderr.contains("at most three hours before"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_questionnaire_reaches_those_who_agreed_and_their_scores_come_back_for_the_evaluation() {
    use nabij_protocol::{Body, ItemAnswer, QuestionnaireAnswer};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Oostende Oost", &["Jan Claes", "Anna Peeters"])
        .await;
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "set",
            "Jan Claes",
            "--consent-research",
            "yes",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let out = hub_cli(
        &dir,
        &[
            "survey",
            "send",
            "--group",
            "Oostende Oost",
            "--instrument",
            "dejong6",
            "--round",
            "start",
        ],
    )
    .await;
    assert!(
        out.stdout.contains("is on its way to Jan Claes (1)")
            && out
                .stdout
                .contains("Not asked: Anna Peeters did not agree to count"),
        "{}{}",
        out.stdout,
        out.stderr
    );

    // Jan's tablet asks the six questions; he answers "yes" to each.
    let asked = jan
        .receive_until(|e| matches!(e.body, Body::Questionnaire(_)))
        .await;
    let Body::Questionnaire(q) = asked.body else {
        unreachable!()
    };
    assert_eq!(q.items.len(), 6);
    let yes = q
        .scale
        .iter()
        .find(|c| c.label.nl == "Ja")
        .unwrap()
        .id
        .clone();
    let sent = jan
        .send(Body::QuestionnaireAnswer(QuestionnaireAnswer {
            survey_id: q.survey_id,
            answers: q
                .items
                .iter()
                .map(|item| ItemAnswer {
                    item: item.id.clone(),
                    choice: yes.clone(),
                })
                .collect(),
        }))
        .await;
    jan.receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&sent)))
        .await;

    // Emotional "yes" counts, social "yes" does not: 3 of 6.
    let out = hub_cli(&dir, &["survey", "results", "--group", "Oostende Oost"]).await;
    assert!(
        out.stdout.contains("emotional 3, social 0") && out.stdout.contains("3/6"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stdout.contains("Anna Peeters"), "{}", out.stdout);

    let out = hub_cli(
        &dir,
        &[
            "survey",
            "send",
            "--group",
            "Oostende Oost",
            "--instrument",
            "ucla",
            "--round",
            "start",
        ],
    )
    .await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("dejong6"), "{}", out.stderr);
}

#[tokio::test]
async fn a_coach_sets_a_seniors_own_reminder_times_and_the_tablet_gets_them() {
    use nabij_protocol::Body;
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub.group_with("Oostende Oost", &["Jan Claes"]).await;
    let mut jan = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;

    let out = hub_cli(&dir, &["participant", "show", "Jan Claes"]).await;
    assert!(
        out.stdout
            .contains("reminders:  the day before from 18:00; 2h before (the hub's)"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "reminders",
            "Jan Claes",
            "--day-before",
            "17:00",
            "--before",
            "3h",
        ],
    )
    .await;
    assert!(
        out.stdout
            .contains("reminders:  the day before from 17:00; 3h before (their own)"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let config = jan
        .receive_until(|e| {
            matches!(&e.body, Body::Config(c) if c.reminders.is_some_and(|r| r.before_min == Some(180)))
        })
        .await;
    let Body::Config(config) = config.body else {
        unreachable!()
    };
    assert_eq!(
        config.reminders.and_then(|r| r.day_before_at_min),
        Some(17 * 60)
    );

    let out = hub_cli(
        &dir,
        &[
            "participant",
            "reminders",
            "Jan Claes",
            "--before",
            "two hours",
        ],
    )
    .await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("like 2h"), "{}", out.stderr);
    let out = hub_cli(
        &dir,
        &["participant", "reminders", "Jan Claes", "--hub-default"],
    )
    .await;
    assert!(
        out.stdout.contains("2h before (the hub's)"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn the_dashboard_is_served_over_https_and_the_first_admin_made_on_the_command_line_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let ports = Ports {
        web: tests::hub::free_port(),
        ..Ports::free()
    };
    let web = ports.web;
    let mut serve = ServedHub::start(dir.path(), ports).await;
    let none = hub_cli(dir.path(), &["user", "list"]).await;
    assert!(
        none.stdout.contains("No dashboard accounts yet"),
        "{}",
        none.stdout
    );
    let made = hub_cli(
        dir.path(),
        &["user", "add", "--name", "Beheer", "--role", "admin"],
    )
    .await;
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    assert!(
        made.stdout.contains("Added the admin account \"beheer\""),
        "{}",
        made.stdout
    );
    let password = made
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("the password made, printed once")
        .to_owned();
    let coach_without_coach = hub_cli(
        dir.path(),
        &["user", "add", "--name", "marie", "--role", "coach"],
    )
    .await;
    assert_eq!(coach_without_coach.code, Some(2));
    assert!(
        coach_without_coach.stderr.contains("--coach"),
        "{}",
        coach_without_coach.stderr
    );

    let addr: std::net::SocketAddr = format!("127.0.0.1:{web}").parse().unwrap();
    let mut browser = tests::https::Browser::new(addr, &dir.path().join("pki/ca.pem"));
    let page = browser.get("/login").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-security-policy").is_some());
    let token = page.field("token").expect("the log-in form's token");
    let logged = browser
        .post(
            "/login",
            &[
                ("name", "beheer"),
                ("password", &password),
                ("token", &token),
            ],
        )
        .await;
    assert_eq!(
        (logged.status, logged.header("location")),
        (303, Some("/")),
        "{}",
        logged.body
    );
    let audit = browser.get("/admin/audit").await;
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains("command line")
            && audit
                .body
                .contains("add user language=nl name=Beheer password=(not kept) role=admin")
            && !audit.body.contains(&password),
        "{}",
        audit.body
    );

    serve.terminate();
    let _ = tokio::time::timeout(tests::mqtt_client::PATIENCE, serve.wait()).await;
}

#[tokio::test]
async fn a_participants_data_is_exported_to_a_zip_and_erased_while_what_they_sent_stays() {
    use nabij_protocol::{Body, Recipient, TextMessage};
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    let core = hub.hub();
    for name in ["Jan Claes", "Anna Peeters"] {
        core.add_participant(name, None, None).await.unwrap();
    }
    let (jan, anna) = (hub.person("Jan Claes"), hub.person("Anna Peeters"));
    core.approve_contacts(&jan, &anna).await.unwrap();
    let jan_tablet = tests::sim_kiosk::enrolled(&hub, "Jan Claes").await;
    let mut anna_tablet = tests::sim_kiosk::enrolled(&hub, "p-anna-peeters").await;
    jan_tablet
        .send(Body::Text(TextMessage {
            to: Recipient::Person(anna.clone()),
            author: None,
            text: "Tot donderdag!".into(),
        }))
        .await;
    anna_tablet
        .receive_until(|e| matches!(&e.body, Body::Text(t) if t.text == "Tot donderdag!"))
        .await;

    let zip = dir.join("jan.zip");
    let zip_arg = zip.to_str().unwrap();
    let out = hub_cli(
        &dir,
        &["participant", "export", "Jan Claes", "--out", zip_arg],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("personal data"), "{}", out.stdout);
    let listed = std::process::Command::new("unzip")
        .args(["-p", zip_arg, "data.json"])
        .output()
        .expect("unzip runs");
    let data: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("data.json");
    assert_eq!(data["person"]["name"], "Jan Claes");
    assert_eq!(
        data["messages_sent"][0]["content"]["text"],
        "Tot donderdag!"
    );
    let again = hub_cli(
        &dir,
        &["participant", "export", "Jan Claes", "--out", zip_arg],
    )
    .await;
    assert_eq!(again.code, Some(1), "an export is never written over");
    assert!(
        again.stderr.contains("choose another name"),
        "{}",
        again.stderr
    );

    let still_lent = hub_cli(
        &dir,
        &[
            "participant",
            "erase",
            "Jan Claes",
            "--confirm",
            "Jan Claes",
        ],
    )
    .await;
    assert_ne!(still_lent.code, Some(0));
    assert!(
        still_lent.stderr.contains("still has a tablet"),
        "{}",
        still_lent.stderr
    );
    let out = hub_cli(
        &dir,
        &[
            "device",
            "revoke",
            jan_tablet.credentials.device_id.as_str(),
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let unconfirmed = hub_cli(
        &dir,
        &["participant", "erase", "Jan Claes", "--confirm", "Jan"],
    )
    .await;
    assert!(
        unconfirmed.stderr.contains("type their full name"),
        "{}",
        unconfirmed.stderr
    );
    let out = hub_cli(
        &dir,
        &[
            "participant",
            "erase",
            "Jan Claes",
            "--confirm",
            "jan claes",
        ],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Jan Claes is erased. 1 messages they sent stay"),
        "{}",
        out.stdout
    );
    // Anna's tablet gets her shorter contact list; the hub still has Jan's words for her.
    anna_tablet
        .receive_until(|e| matches!(&e.body, Body::Contacts(c) if c.contacts.is_empty()))
        .await;
    let hers = core.export_participant(&anna).await.unwrap().data;
    assert_eq!(hers.messages_received[0].from, "a former participant");
    let listing = hub_cli(&dir, &["participant", "list"]).await;
    assert!(!listing.stdout.contains("Jan Claes"), "{}", listing.stdout);
}

#[tokio::test]
async fn status_says_how_the_running_hub_is_doing_and_fails_when_a_part_does_not_work() {
    let hub = TestHub::start().await;
    let dir = hub.config.data_dir.clone();
    hub_cli(&dir, &["participant", "add", "--name", "Anna Peeters"]).await;
    let _tablet = tests::sim_kiosk::enrolled(&hub, "p-anna-peeters").await;

    let out = hub_cli(&dir, &["status"]).await;
    let text = &out.stdout;
    // Through the real broker, the real disk and the certificate the hub made.
    assert!(
        text.contains("ok       broker       passes messages on"),
        "{text}"
    );
    assert!(
        text.contains("ok       store        takes changes"),
        "{text}"
    );
    assert!(text.contains(" free of "), "{text}");
    assert!(text.contains("ok       certificate  ends on "), "{text}");
    assert!(
        text.contains("backup       none yet in /var/backups/nabij-hub"),
        "{text}"
    );
    assert!(text.contains("tablets      1 lent: 1 online"), "{text}");
    // Exit 1 only when a part does not work: here this machine's disk might be full.
    let broken = text.contains("PROBLEM");
    assert_eq!(out.code, Some(i32::from(broken)), "{text}{}", out.stderr);

    drop(hub);
    let out = hub_cli(&dir, &["status"]).await;
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("the hub is not running"),
        "{}",
        out.stderr
    );
}
