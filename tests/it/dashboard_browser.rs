//! The dashboard in a real headless Chromium against a real hub, broker and simulated
//! tablets, in Dutch and in French, on a phone (360 × 740) and on a laptop (1280 × 800):
//! four runs of one coach's and one evaluator's day.
//!
//! A coach opens a tablet's QR pairing link while logged out, logs in on a page in the
//! browser's language, comes back to the pairing form with the code filled in and pairs
//! it; pairs a second tablet by typing its code; takes today's attendance with one tap;
//! answers a senior's message from the inbox; writes to the group with a photo; downloads
//! the group's calendar. Staff read the network report and download each CSV. Every file
//! is checked to be in the account's language; on every page the phone has no sideways
//! scroll and no target under 44 px, the laptop no sideways scroll.
//!
//! With `NABIJ_SCREENSHOTS=DIR` set (a relative one from the workspace's root), each
//! page is saved as `DIR/<language>-<screen>/<nn>-<page>.png` for a person to look at.

use nabij_hub::app::{DetailChanges, Extra};
use nabij_hub::domain::accounts::Role;
use nabij_hub::domain::attendance::Mark;
use nabij_protocol::{Body, Language, PersonId, Recipient, SessionSeries, TextMessage};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tests::hub::TestHub;
use tests::mqtt_client::PATIENCE;
use tests::sim_kiosk::{Device, Pairing};
use tests::webdriver::{Chromium, Screen};

const PASSWORD: &str = "de zee is grijs vandaag";

/// Tappable things on a phone are at least this tall and wide (CSS pixels).
const SMALLEST_TARGET: f64 = 44.0;

/// What a run needs in its language: the people, and the words the pages and files say
/// (copied from `assets/translations/*/LC_MESSAGES/nabij-hub.po`, so that a wrong or
/// lost translation fails here).
struct Words {
    language: Language,
    /// `<html lang>` and `.ics`'s `LANGUAGE=`.
    code: &'static str,
    /// What the browser asks for (`Accept-Language`).
    accept: &'static str,
    group: &'static str,
    coach: &'static str,
    coach_account: &'static str,
    staff_account: &'static str,
    /// Six seniors: the first two get tablets in the browser.
    seniors: [&'static str; 6],
    /// What the first senior asks their coach, the coach's answer, the group photo's
    /// caption.
    question: &'static str,
    answer: &'static str,
    caption: &'static str,
    // The pages.
    log_in: &'static str,
    paired: &'static str,
    one_loan: &'static str,
    attendance_saved: &'static str,
    messages_to_me: &'static str,
    answer_sent: &'static str,
    group_message_sent: &'static str,
    network: &'static str,
    // The files.
    meeting_1: &'static str,
    attendance_csv: &'static str,
    network_csv: &'static str,
    questionnaires_csv: &'static str,
    no_data: &'static str,
}

const DUTCH: Words = Words {
    language: Language::Nl,
    code: "nl",
    accept: "nl-BE,nl",
    group: "Oostende Oost",
    coach: "Marie Dewulf",
    coach_account: "marie",
    staff_account: "piet",
    seniors: [
        "Jan Claes",
        "Anna Peeters",
        "Rita Maes",
        "Paul Janssens",
        "Mia Wouters",
        "Karel Smet",
    ],
    question: "Komt de bus morgen om tien uur?",
    answer: "Ja, om tien uur aan je deur.",
    caption: "Onze uitstap naar zee",
    log_in: "Aanmelden",
    paired: "De tablet is gekoppeld. Binnen een minuut toont hij het startscherm van de deelnemer.",
    one_loan: "Het uitleenregister (1 uitlening)",
    attendance_saved: "De aanwezigheid is opgeslagen.",
    messages_to_me: "Berichten aan mij",
    answer_sent: "Verstuurd. De tablet toont het zodra hij online is.",
    group_message_sent: "Verstuurd. Elke tablet toont het zodra hij online is.",
    network: "Netwerk",
    meeting_1: "Bijeenkomst 1",
    attendance_csv: "Groep;Wijk;Bijeenkomst;Datum;Aanwezig;Verontschuldigd;Afwezig;Aanwezigheid (%)",
    network_csv: "Groep;Lid (nummer);Maand;Verschillende mensen naar wie geschreven",
    questionnaires_csv: "Groep;Vragenlijst;Ronde;Gevraagd;Geantwoord;Gemiddelde score;\
                         Hoogst mogelijke score;Met risico;Verschil sinds de start;\
                         Beide keren geantwoord",
    no_data: "geen gegevens",
};

const FRENCH: Words = Words {
    language: Language::Fr,
    code: "fr",
    accept: "fr-BE,fr",
    group: "Liège Outremeuse",
    coach: "Sophie Lejeune",
    coach_account: "sophie",
    staff_account: "claire",
    seniors: [
        "Jeanne Lambert",
        "Marcel Dupont",
        "Françoise Renard",
        "Louis Maes",
        "Nicole Leroy",
        "André Simon",
    ],
    question: "Le bus passe demain à dix heures ?",
    answer: "Oui, à dix heures devant chez vous. À demain !",
    caption: "Notre sortie à la Citadelle",
    log_in: "Se connecter",
    paired: "La tablette est associée. Elle affiche l'écran d'accueil du participant d'ici une minute.",
    one_loan: "Le registre des prêts (1 prêt)",
    attendance_saved: "Les présences sont enregistrées.",
    messages_to_me: "Messages reçus",
    answer_sent: "Envoyé. Sa tablette l'affiche dès qu'elle est en ligne.",
    group_message_sent: "Envoyé. Chaque tablette l'affiche dès qu'elle est en ligne.",
    network: "Réseau",
    meeting_1: "Rencontre 1",
    attendance_csv: "Groupe;Quartier;Rencontre;Date;Présents;Excusés;Absents;Taux de présence (%)",
    network_csv: "Groupe;Membre (numéro);Mois;Personnes différentes à qui il a écrit",
    questionnaires_csv: "Groupe;Questionnaire;Vague;Interrogés;Réponses;Score moyen;\
                         Score maximal possible;À risque;Évolution depuis le départ;\
                         Ont répondu les deux fois",
    no_data: "pas de données",
};

#[test]
fn a_coachs_and_an_evaluators_day_in_dutch_on_a_phone() {
    run(&DUTCH, Screen::Phone);
}

#[test]
fn a_coachs_and_an_evaluators_day_in_dutch_on_a_laptop() {
    run(&DUTCH, Screen::Laptop);
}

#[test]
fn a_coachs_and_an_evaluators_day_in_french_on_a_phone() {
    run(&FRENCH, Screen::Phone);
}

#[test]
fn a_coachs_and_an_evaluators_day_in_french_on_a_laptop() {
    run(&FRENCH, Screen::Laptop);
}

/// Runs one day on a runtime of its own whose threads have room for it: the day is one
/// large future, and a test build (unoptimised) needs more than a thread's usual 2 MiB
/// of stack to poll it.
fn run(words: &'static Words, screen: Screen) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("a runtime");
    let day = runtime.spawn(a_coachs_and_an_evaluators_day(words, screen));
    if let Err(e) = runtime.block_on(day) {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the day did not finish: {e}"),
        }
    }
}

/// One browser on one screen in one language, and what it checks on every page.
struct Visit<'a> {
    browser: Chromium,
    base: String,
    screen: Screen,
    words: &'a Words,
    /// Where screenshots go, if anywhere.
    shots: Option<PathBuf>,
    /// Pages looked at so far (numbers the screenshots in order).
    seen: std::sync::atomic::AtomicUsize,
}

impl Visit<'_> {
    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn goto(&self, path: &str) {
        self.browser.goto(&self.at(path)).await;
    }

    /// The path and query of the page shown.
    async fn path(&self) -> String {
        let url = self.browser.url().await;
        url.strip_prefix(&self.base).unwrap_or(&url).to_owned()
    }

    /// Runs `script` in the page with `args`; its answer.
    async fn js(&self, script: &str, args: serde_json::Value) -> serde_json::Value {
        self.browser.execute(script, args).await
    }

    /// Whether the page has an element `css`.
    async fn has(&self, css: &str) -> bool {
        self.js(
            "return document.querySelector(arguments[0]) !== null;",
            json!([css]),
        )
        .await
            == json!(true)
    }

    /// The text of the first element `css` (empty when there is none).
    async fn text(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : '';",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The value of the form field `css`.
    async fn value(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_else(|| panic!("no field {css}"))
        .to_owned()
    }

    /// Waits until the page has `css` (a page after a form is sent may still load).
    async fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.has(css).await {
            assert!(
                Instant::now() < deadline,
                "{} never showed {css}: {}",
                self.path().await,
                self.browser.source().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the page's "done" notice and checks its words.
    async fn done(&self, words: &str) {
        self.wait_for("main p.done").await;
        assert_eq!(
            self.text("main p.done").await,
            words,
            "{}",
            self.path().await
        );
    }

    /// Checks the page shown: in the run's language, no sideways scroll, and on a phone
    /// no target too small to tap; then saves its screenshot as `name`.
    async fn look(&self, name: &str) {
        let path = self.path().await;
        let lang = self
            .js("return document.documentElement.lang;", json!([]))
            .await;
        assert_eq!(lang, json!(self.words.code), "the language of {path}");
        let layout = self.browser.layout_problems(SMALLEST_TARGET).await;
        assert!(
            layout.overflow <= 1.0,
            "{path} is {} px wider than the {:?} screen: {:#?}",
            layout.overflow,
            self.screen,
            layout.too_wide
        );
        if self.screen == Screen::Phone {
            assert!(
                layout.small.is_empty(),
                "{path} has targets under {SMALLEST_TARGET} px on a phone: {:#?}",
                layout.small
            );
        }
        let png = self.browser.full_screenshot().await;
        assert!(png.starts_with(b"\x89PNG"), "a PNG of {path}");
        let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(dir) = &self.shots {
            std::fs::write(dir.join(format!("{n:02}-{name}.png")), png).unwrap();
        }
    }

    /// Fills in the log-in form shown and sends it.
    async fn log_in(&self, account: &str) {
        self.wait_for("#name").await;
        assert_eq!(self.text("main h1").await, self.words.log_in);
        self.browser.type_into("#name", account).await;
        self.browser.type_into("#password", PASSWORD).await;
        self.browser.click("main form button").await;
    }

    /// Chooses `value` in the select `css`, by tapping its option.
    async fn choose(&self, css: &str, value: &str) {
        self.browser
            .click(&format!("{css} option[value='{value}']"))
            .await;
        assert_eq!(self.value(css).await, value, "{css} is chosen");
    }

    /// Taps the link `css` and waits for the file `name` to be downloaded whole; its
    /// bytes.
    async fn download(&self, css: &str, name: &str) -> Vec<u8> {
        self.browser.click(css).await;
        let file = self.browser.downloads.join(name);
        let deadline = Instant::now() + PATIENCE;
        loop {
            // Chromium writes to a `.crdownload` file and renames it when it is whole.
            if let Ok(bytes) = std::fs::read(&file)
                && !bytes.is_empty()
            {
                return bytes;
            }
            assert!(
                Instant::now() < deadline,
                "{name} was not downloaded from {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A CSV as the reports write it: UTF-8 with a byte order mark, `;` between fields;
/// its lines.
fn csv_lines(bytes: Vec<u8>, name: &str) -> Vec<String> {
    let text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"));
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or_else(|| panic!("{name} has no byte order mark for Excel: {text}"));
    text.split_terminator("\r\n").map(str::to_owned).collect()
}

/// Sends a text from a tablet and waits until the hub has stored it (its ack).
async fn write(tablet: &mut Device, to: &PersonId, words: &str) {
    let sent = tablet
        .send(Body::Text(TextMessage {
            to: Recipient::parse(to.as_str()).unwrap(),
            author: None,
            text: words.into(),
        }))
        .await;
    tablet
        .receive_until(|e| matches!(&e.body, Body::Ack(a) if a.ids.contains(&sent)))
        .await;
}

/// A tablet showing its pairing code: the tablet, and the code.
async fn pairing_tablet(hub: &TestHub) -> (Pairing, String) {
    let mut tablet = Pairing::connect(&hub.kiosk_settings()).await;
    let code = tablet.code(None).await;
    (tablet, code)
}

/// The pairing tablet hears it is paired; it connects as the new tablet.
async fn granted(hub: &TestHub, mut tablet: Pairing) -> Device {
    let credentials = tokio::time::timeout(PATIENCE, tablet.granted())
        .await
        .expect("the tablet hears it is paired");
    let mut device = Device::connect(&hub.kiosk_settings(), &credentials)
        .await
        .expect("the paired tablet connects");
    device.barrier().await;
    device
}

async fn a_coachs_and_an_evaluators_day(words: &'static Words, screen: Screen) {
    let started = Instant::now();
    // ----- The hub: a group of six who all agreed to count, its coach, staff. -----
    let hub = TestHub::start().await;
    hub.group_with(words.group, &words.seniors).await;
    let group = hub.group(words.group);
    let seniors: Vec<PersonId> = words.seniors.iter().map(|s| hub.person(s)).collect();
    let coach = hub
        .hub()
        .add_coach(words.coach, "059 12 34 56", Some(&group))
        .await
        .unwrap()
        .id;
    for (account, role, coach) in [
        (words.coach_account, Role::Coach, Some(&coach)),
        (words.staff_account, Role::Staff, None),
    ] {
        hub.hub()
            .add_account(account, role, coach, PASSWORD, words.language)
            .await
            .unwrap();
    }
    for senior in &seniors {
        hub.hub()
            .update_participant(
                senior,
                DetailChanges {
                    consent_research: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    // Ties between members: the first two write to each other below.
    for (a, b) in [(0, 1), (0, 2), (1, 3), (4, 5)] {
        hub.hub()
            .approve_contacts(&seniors[a], &seniors[b])
            .await
            .unwrap();
    }
    // Today's meeting, begun: two hours ago, or just after midnight in Belgium.
    let now = nabij_protocol::UnixMillis::now();
    let today = nabij_protocol::time::brussels(now);
    let just_after_midnight =
        nabij_protocol::time::from_brussels(today.year, today.month, today.day, 0, 1);
    let starts_at = nabij_protocol::UnixMillis(
        now.0
            .saturating_sub(2 * 3_600_000)
            .max(just_after_midnight.0),
    );
    let meeting = hub
        .hub()
        .add_session(
            &group,
            Extra {
                series: SessionSeries::Weekly,
                starts_at,
                minutes: 180,
                place: ("Buurthuis De Schelp".into(), None),
            },
        )
        .await
        .unwrap();

    let shots = std::env::var_os("NABIJ_SCREENSHOTS").map(|dir| {
        let label = match screen {
            Screen::Phone => "phone",
            Screen::Laptop => "laptop",
        };
        // A relative folder is taken from the workspace's root, not this crate's.
        let dir = tests::workspace_root()
            .join(dir)
            .join(format!("{}-{label}", words.code));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    });
    let visit = Visit {
        browser: Chromium::start_as(screen, words.accept).await,
        base: format!("https://localhost:{}", hub.web_addr().port()),
        screen,
        words,
        shots,
        seen: std::sync::atomic::AtomicUsize::new(0),
    };

    // ----- Pairing by the QR link, which survives the log-in. -----
    let (first_tablet, code) = pairing_tablet(&hub).await;
    let qr_link = format!("/devices?code={code}");
    visit.goto(&qr_link).await;
    visit.wait_for("#name").await;
    assert!(
        visit.path().await.starts_with("/login?next="),
        "a logged-out phone is asked to log in first: {}",
        visit.path().await
    );
    visit.look("login").await;
    visit.log_in(words.coach_account).await;
    visit.wait_for("#code").await;
    assert_eq!(visit.path().await, qr_link, "back on the QR link's page");
    assert_eq!(visit.value("#code").await, code, "the code is filled in");
    assert_eq!(
        visit.value("#participant").await,
        "",
        "no senior is chosen for the coach"
    );
    visit.look("devices-from-qr").await;
    visit.choose("#participant", seniors[0].as_str()).await;
    visit
        .browser
        .click("form[action='/devices/enrol'] button")
        .await;
    visit.done(words.paired).await;
    let mut first = granted(&hub, first_tablet).await;
    // Listed among the tablets in use, and no longer offered for pairing.
    assert!(
        visit
            .has(&format!("main table a[href='/people/{}']", seniors[0]))
            .await
    );
    assert!(
        !visit
            .has(&format!("#participant option[value='{}']", seniors[0]))
            .await
    );
    assert_eq!(
        visit.text("main details.more:last-of-type > summary").await,
        words.one_loan
    );
    visit.look("devices-paired").await;

    // ----- Pairing by typing the code. -----
    let (second_tablet, code) = pairing_tablet(&hub).await;
    visit.goto("/devices").await;
    visit.wait_for("#code").await;
    visit.browser.type_into("#code", &code).await;
    visit.choose("#participant", seniors[1].as_str()).await;
    visit
        .browser
        .click("form[action='/devices/enrol'] button")
        .await;
    visit.done(words.paired).await;
    let mut second = granted(&hub, second_tablet).await;
    visit.look("devices-paired-by-code").await;
    assert_eq!(
        hub.hub()
            .devices(false)
            .unwrap()
            .iter()
            .filter(|row| row.device.state.may_connect())
            .map(|row| row.device.participant.clone())
            .collect::<std::collections::BTreeSet<_>>(),
        seniors[..2].iter().cloned().collect(),
        "each tablet is lent to the senior chosen"
    );

    // ----- Today, from home: one tap marks a senior absent. -----
    visit.browser.click("header a.brand").await;
    visit.wait_for("a.tile[href='/today']").await;
    visit.look("home").await;
    visit.browser.click("a.tile[href='/today']").await;
    visit.wait_for("form.attendance").await;
    visit.look("today").await;
    let absent = format!("input[name='mark-{}'][value='absent']", seniors[1]);
    // Scrolled to just inside the bottom of the screen, where the save button stays, then
    // reached with the keyboard's Tab: the page must scroll it clear of the button.
    let covered = visit
        .js(
            "const e = document.querySelector(arguments[0]);
             window.scrollBy(0, e.getBoundingClientRect().bottom - window.innerHeight + 4);
             e.focus();
             const r = e.getBoundingClientRect();
             const there = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             return there !== e && !e.closest('label').contains(there);",
            json!([absent]),
        )
        .await;
    assert_eq!(covered, json!(false), "{absent} is under the save button");
    visit.browser.click(&absent).await;
    visit.browser.click("form.attendance button").await;
    visit.done(words.attendance_saved).await;
    assert_eq!(visit.path().await, "/today?done=taken");
    visit.look("today-saved").await;
    let sheet = hub.hub().attendance_sheet(&meeting.id).unwrap();
    for row in &sheet.rows {
        let expected = if row.person == seniors[1] {
            Mark::Absent
        } else {
            Mark::Present
        };
        assert_eq!(row.mark, Some(expected), "{}", row.name);
    }
    assert_eq!(sheet.rows.len(), 6);

    // ----- The inbox: a senior writes to the coach; the coach answers. -----
    // First two members who write to each other, for the network report.
    write(&mut first, &seniors[1], "🙂").await;
    write(&mut second, &seniors[0], "👍").await;
    write(&mut first, &coach, words.question).await;
    visit.goto("/messages").await;
    let conversation = format!("/messages/from/{}", seniors[0]);
    visit
        .wait_for(&format!("ul.inbox li.unread a[href='{conversation}']"))
        .await;
    assert_eq!(visit.text("main h1").await, words.messages_to_me);
    visit.look("inbox").await;
    visit
        .browser
        .click(&format!("ul.inbox a[href='{conversation}']"))
        .await;
    visit.wait_for("article.msg p.text").await;
    assert_eq!(visit.text("article.msg p.text").await, words.question);
    visit.look("conversation").await;
    let answer = words.answer;
    visit.browser.type_into("#text", answer).await;
    visit
        .browser
        .click(&format!("form[action='{conversation}'] button"))
        .await;
    visit.done(words.answer_sent).await;
    visit.look("conversation-answered").await;
    let got = first
        .receive_until(|e| matches!(&e.body, Body::Text(t) if t.text == answer))
        .await;
    let Body::Text(got) = got.body else {
        unreachable!()
    };
    assert_eq!(got.author.as_ref(), Some(&coach), "from the coach");

    // ----- Writing to the group with a photo chosen in the file field. -----
    let photo = tests::jpeg(400, 300);
    let photo_file = hub.dir.path().join("photo.jpg");
    std::fs::write(&photo_file, &photo).unwrap();
    visit.goto("/messages/new").await;
    visit.wait_for("#to").await;
    assert_eq!(
        visit.value("#to").await,
        format!("group:{group}"),
        "the coach's own group is chosen"
    );
    visit.browser.type_into("#text", words.caption).await;
    visit
        .browser
        .type_into("#photo", photo_file.to_str().unwrap())
        .await;
    visit.look("write").await;
    visit.browser.click("form[action='/messages'] button").await;
    visit.done(words.group_message_sent).await;
    visit.look("sent").await;
    for tablet in [&mut first, &mut second] {
        let got = tablet
            .receive_until(|e| matches!(&e.body, Body::Photo(_)))
            .await;
        let Body::Photo(got) = got.body else {
            unreachable!()
        };
        assert_eq!(got.data.0, photo, "the photo whole");
        assert_eq!(got.caption.as_deref(), Some(words.caption));
        assert_eq!(got.author.as_ref(), Some(&coach));
    }

    // ----- The group's meetings for a calendar. -----
    visit.goto(&format!("/groups/{group}")).await;
    let ics_link = format!("a[href='/groups/{group}/schedule.ics']");
    visit.wait_for(&ics_link).await;
    visit.look("group").await;
    let ics = visit.download(&ics_link, &format!("{group}.ics")).await;
    let ics = String::from_utf8(ics).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    let summary = format!(
        "SUMMARY;LANGUAGE={}:{} – {}",
        words.code, words.meeting_1, words.group
    );
    assert!(ics.contains(&summary), "{summary} in {ics}");

    // ----- Staff: the network report and the CSVs. -----
    visit.browser.click("form.logout button").await;
    visit.wait_for("#name").await;
    assert_eq!(visit.path().await, "/login");
    visit.look("logged-out").await;
    visit.log_in(words.staff_account).await;
    visit.wait_for("a.tile[href='/reports']").await;
    visit.look("home-staff").await;
    visit.browser.click("a.tile[href='/reports']").await;
    let network = format!("#network-{group}");
    visit.wait_for(&network).await;
    assert_eq!(visit.text(&network).await, words.network);
    let section = format!("section#group-{group}");
    assert!(
        !visit.has(&format!("{section} p.withheld")).await,
        "six members agreed: the figures show"
    );
    let charts = visit
        .js(
            "return document.querySelectorAll(arguments[0]).length;",
            json!([format!("{section} .charts figure svg")]),
        )
        .await;
    assert_eq!(charts, json!(4), "the network's four charts");
    let report = visit.text(&section).await;
    for name in words.seniors {
        assert!(!report.contains(name), "staff see no names: {name}");
    }
    // Different people written to this month: two by the first senior (the second and
    // the coach), one by the second, none by the four others: 3 / 6.
    assert!(
        report.contains("0,5"),
        "the mean, written the Belgian way: {report}"
    );
    visit.look("reports").await;

    let attendance = csv_lines(
        visit
            .download("a[href='/reports/attendance.csv']", "nabij-attendance.csv")
            .await,
        "attendance.csv",
    );
    assert_eq!(attendance[0], words.attendance_csv);
    let date = format!("{:02}/{:02}/{:04}", today.day, today.month, today.year);
    assert_eq!(
        attendance[1..],
        [format!(
            "{};;{};{date};5;0;1;83",
            words.group, words.meeting_1
        )],
        "five present, one absent"
    );

    let network = csv_lines(
        visit
            .download("a[href='/reports/network.csv']", "nabij-network.csv")
            .await,
        "network.csv",
    );
    assert_eq!(network[0], words.network_csv);
    let (mut numbers, mut written): (Vec<String>, Vec<String>) = network[1..]
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(';').collect();
            assert_eq!(fields.len(), 4, "{line}");
            assert_eq!(fields[0], words.group);
            (fields[1].to_owned(), fields[3].to_owned())
        })
        .unzip();
    numbers.sort();
    written.sort();
    assert_eq!(
        numbers,
        ["1", "2", "3", "4", "5", "6"],
        "one row per member, numbered"
    );
    assert_eq!(
        written,
        ["0", "0", "0", "0", "1", "2"],
        "who wrote to how many"
    );

    let questionnaires = csv_lines(
        visit
            .download(
                "a[href='/reports/questionnaires.csv']",
                "nabij-questionnaires.csv",
            )
            .await,
        "questionnaires.csv",
    );
    assert_eq!(questionnaires[0], words.questionnaires_csv);
    let no_data = std::iter::repeat_n(words.no_data, 7)
        .collect::<Vec<_>>()
        .join(";");
    assert_eq!(
        questionnaires[1..],
        [format!("{};;;{no_data}", words.group)],
        "no questionnaire round yet"
    );
    eprintln!(
        "dashboard in {} on a {screen:?}: {} pages in {:.1} s",
        words.code,
        visit.seen.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}
