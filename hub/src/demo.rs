//! A demo hub that has lived: `nabij-hub demo-data --months 6` (which `cargo xtask demo`
//! runs) fills an empty hub with months of made-up, plausible activity, so that the
//! dashboard's reports, follow-up list and tablets page show what months of use look
//! like. Two groups (Oostende Oost and Brugge Sint-Kruis) with their coaches; tablets
//! paired by code; the 10 weekly and 10 monthly meetings planned, answered and taken;
//! messages between members that grow as ties form; diary answers every week; the
//! questionnaires at the start and after the encounters; calls for help, most dealt
//! with; one tablet gone silent; a newcomer without a tablet yet; consent given by most,
//! not by all.
//!
//! Everything goes through the hub's own operations and its receive path (tablets'
//! messages as envelopes), each at its own moment in the past (`clock::pretend`), so the
//! tables and indexes are exactly as the hub keeps them. It is made up and says so: the
//! neighbourhoods read "(demo)", the addresses are on Demostraat, the audit log and the
//! hub's log say it. Deterministic (a seeded generator; only the ids the hub draws
//! itself differ) and done once: a hub that already holds the demo is left as it is, and
//! a hub that holds anything else is not touched.

use crate::app::{
    AppError, Audience, BoxFuture, CoachMessage, DetailChanges, Gatekeeper, Hub, Inbound, Outlet,
    OutletClosed, Parts,
};
use crate::clock::{self, Pretending};
use crate::config::HubConfig;
use crate::domain::attendance::Mark;
use crate::domain::calendar::Date;
use crate::domain::schedule::{Plan, Session, SessionState, TimeOfDay};
use crate::domain::surveys::{Instrument, Round};
use crate::store::{self, Storage};
use nabij_protocol::time::{brussels, from_brussels};
use nabij_protocol::{
    Ack, Body, CheckIn, DeviceId, DeviceStatus, DiaryAnswer, EnrolHello, EnrolmentId, Envelope,
    GroupId, HelpRequest, ItemAnswer, Language, Mood, Party, PersonId, Presence, PromptId,
    Recipient, Rsvp, RsvpAnswer, SessionSeries, Share, TextMessage, Topic, UnixMillis,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Every demo neighbourhood ends with this: the dashboard shows it beside each group.
pub const DEMO_MARK: &str = "(demo)";

/// What the demo wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filled {
    /// Groups.
    pub groups: usize,
    /// Participants.
    pub participants: usize,
    /// Tablets paired.
    pub tablets: usize,
    /// Chat messages sent by tablets.
    pub messages: u64,
    /// Meetings with attendance taken.
    pub meetings_taken: usize,
    /// Diary answers.
    pub diary_answers: usize,
    /// Questionnaires answered.
    pub questionnaires: usize,
    /// Calls for help (all but the last dealt with).
    pub help_calls: usize,
}

/// What asking for the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The demo was written.
    Filled(Filled),
    /// The hub held the demo already: nothing was written.
    AlreadyThere,
}

/// Why the demo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The hub holds data that is not the demo's.
    #[error(
        "this hub already holds groups or people that are not the demo's; the demo only fills an empty hub (give it a data folder of its own)"
    )]
    NotEmpty,
    /// The hub refused one of the demo's steps.
    #[error(transparent)]
    App(#[from] AppError),
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The data folder could not be made.
    #[error("{0}: {1}")]
    Folder(std::path::PathBuf, std::io::Error),
    /// A step did not do what the demo counted on (a bug in the demo).
    #[error("the demo could not {0}")]
    Step(&'static str),
}

/// Writes the demo into the hub whose data folder `config` names. The hub must not be
/// running (its store is opened here). `months`: how long the programme has been going.
pub async fn write(config: &HubConfig, months: u32) -> Result<Outcome, DemoError> {
    crate::files::private_dir(&config.data_dir)
        .map_err(|e| DemoError::Folder(config.data_dir.clone(), e))?;
    let storage: Arc<dyn Storage> = Arc::new(store::DiskStorage::open(
        &config.data_dir.join("db"),
        u64::from(config.store.cache_mb) << 20,
    )?);
    let (hub, tablets) = demo_hub(config, storage)?;
    fill(&hub, &tablets, months, clock::now()).await
}

/// A hub over `storage` whose tablets are the demo's.
fn demo_hub(
    config: &HubConfig,
    storage: Arc<dyn Storage>,
) -> Result<(Hub, Arc<Tablets>), DemoError> {
    let tablets = Arc::new(Tablets::default());
    let mut settings = config.clone();
    // The demo's tablets send months of messages in seconds: no budget would let them.
    settings.limits.burst_messages = u32::MAX / 2;
    settings.limits.messages_per_minute = u32::MAX / 2;
    let hub = Hub::new(Parts {
        ca_cert: config.data_dir.join("pki").join("ca.pem"),
        config: settings,
        storage,
        outlet: tablets.clone(),
        gate: tablets.clone(),
        // Only kiosk settings show it; the demo makes none.
        enrol_password: "the demo pairs its tablets by code".into(),
    })?;
    Ok((hub, tablets))
}

/// The demo's tablets, as the hub sees them: what it publishes to each is kept until the
/// tablet takes it (and acknowledges it), and pairing codes are read from it. The broker
/// lets every tablet in.
#[derive(Default)]
pub struct Tablets {
    down: Mutex<BTreeMap<String, Vec<Envelope>>>,
}

impl Tablets {
    /// Everything published on `topic` since it was last taken.
    fn take(&self, topic: &Topic) -> Vec<Envelope> {
        let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        down.remove(&topic.to_string()).unwrap_or_default()
    }
}

impl Outlet for Tablets {
    fn publish(&self, topic: Topic, payload: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>> {
        if let Ok(envelope) = nabij_protocol::decode(&topic, &payload) {
            let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
            down.entry(topic.to_string()).or_default().push(envelope);
        }
        Box::pin(async { Ok(()) })
    }

    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>> {
        Box::pin(async { Ok(()) })
    }
}

impl Gatekeeper for Tablets {
    fn allow(&self, _: Vec<(DeviceId, String)>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// A small random number generator: the same demo every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// A made-up participant.
struct Senior {
    name: &'static str,
    language: Option<Language>,
    /// Agreed to count in the evaluation.
    agrees: bool,
    phone: Option<&'static str>,
    /// Needs transport to the meetings.
    transport: bool,
    /// Their tablet asks "how are you today?".
    check_in: bool,
    /// How much they write, from 0.5 (little) to 1.5.
    chattiness: f64,
}

/// A made-up group.
struct GroupPlan {
    name: &'static str,
    neighbourhood: &'static str,
    coach: &'static str,
    coach_phone: &'static str,
    place: &'static str,
    address: &'static str,
    postcode: &'static str,
    /// Meeting day, 0 = Monday.
    weekday: u8,
    seniors: &'static [Senior],
}

const fn senior(name: &'static str, agrees: bool, chattiness: f64) -> Senior {
    Senior {
        name,
        language: None,
        agrees,
        phone: None,
        transport: false,
        check_in: false,
        chattiness,
    }
}

const GROUPS: [GroupPlan; 2] = [
    GroupPlan {
        name: "Oostende Oost",
        neighbourhood: "Oostende (demo)",
        coach: "Marie Dewulf",
        coach_phone: "059 12 34 56",
        place: "Buurthuis De Schelp",
        address: "Demostraat 1, 8400 Oostende",
        postcode: "8400 Oostende",
        weekday: 1,
        seniors: &[
            Senior {
                phone: Some("059 70 11 22"),
                check_in: true,
                ..senior("Maria Peeters", true, 1.3)
            },
            Senior {
                language: Some(Language::Fr),
                transport: true,
                ..senior("Georges Dubois", false, 0.9)
            },
            Senior {
                transport: true,
                ..senior("Rosa Vandenberghe", true, 1.1)
            },
            senior("Willy Maes", true, 0.7),
            Senior {
                check_in: true,
                phone: Some("059 80 33 44"),
                ..senior("Simonne De Smet", true, 1.0)
            },
            senior("Gilbert Wouters", true, 0.6),
            Senior {
                language: Some(Language::Fr),
                ..senior("Jeanne Lambert", true, 1.2)
            },
            senior("Frans Jacobs", true, 0.8),
        ],
    },
    GroupPlan {
        name: "Brugge Sint-Kruis",
        neighbourhood: "Brugge (demo)",
        coach: "Koen Verhaeghe",
        coach_phone: "050 44 55 66",
        place: "Dienstencentrum Ter Heide",
        address: "Demostraat 40, 8310 Brugge",
        postcode: "8310 Brugge",
        weekday: 3,
        seniors: &[
            Senior {
                phone: Some("050 31 22 11"),
                ..senior("Agnes Verstraete", true, 1.2)
            },
            senior("Roger Vermeulen", true, 0.7),
            Senior {
                transport: true,
                check_in: true,
                ..senior("Paula Desmet", true, 1.0)
            },
            senior("Marcel Coppens", true, 0.8),
            Senior {
                language: Some(Language::Fr),
                ..senior("Lisette Dumont", true, 1.1)
            },
            senior("Denise Goethals", true, 1.3),
            senior("André Martens", false, 0.6),
        ],
    },
];

/// The newcomer who joins Oostende Oost three weeks before today, without a tablet yet:
/// `cargo xtask demo` pairs the kiosk window with him.
const NEWCOMER: &str = "Jan Claes";
/// The senior whose tablet goes silent twelve days before today.
const SILENT: &str = "Roger Vermeulen";
/// The senior who asked for a call this morning (not dealt with yet).
const CALLING: &str = "Maria Peeters";
/// The senior whose last check-ins were sad.
const SAD: &str = "Simonne De Smet";
/// The senior who does not answer the questionnaires after the encounters.
const FORGETS: &str = "Willy Maes";

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `ms` milliseconds after `t`.
fn after(t: UnixMillis, ms: u64) -> UnixMillis {
    UnixMillis(t.0 + ms)
}

/// What the coaches write to their group the day before a meeting.
const REMINDERS: [&str; 4] = [
    "Tot morgen in het buurthuis! De koffie staat klaar.",
    "Morgen is er weer een bijeenkomst. Neem uw tablet mee.",
    "Denk aan morgen: we oefenen foto's sturen.",
    "Tot morgen! Wie vervoer nodig heeft, wordt opgehaald.",
];

/// What seniors write to each other.
const CHATS: [&str; 12] = [
    "Dag! Hoe gaat het met u?",
    "Tot dinsdag in het buurthuis.",
    "Dank u voor het recept!",
    "Het was gezellig vandaag.",
    "Zullen we samen naar de markt gaan?",
    "Mooi weer vandaag, ik ben gaan wandelen.",
    "Goedemorgen! Goed geslapen?",
    "Ik heb mijn kleinkinderen gezien.",
    "Bonjour, à mardi !",
    "Wat een mooie foto van uw tuin.",
    "Komt u ook naar de koffietafel?",
    "Ik kan nu al berichten sturen!",
];

/// Notes with a call for help.
const HELP_NOTES: [Option<&str>; 4] = [
    Some("Mijn tablet maakt geen geluid meer."),
    None,
    Some("Ik weet niet meer hoe ik een foto stuur."),
    Some("Kunt u mij bellen? Het gaat niet zo goed."),
];

/// A member of a demo group, as the demo goes.
struct Member {
    id: PersonId,
    name: &'static str,
    group: usize,
    tablet: Option<DeviceId>,
    agrees: bool,
    chattiness: f64,
    check_in: bool,
    /// From when their tablet says nothing more.
    silent_from: Option<UnixMillis>,
    /// How lonely they are (0–1): it goes down as the programme goes on.
    lonely: f64,
    /// How many people they see (0–5 per LSNS item): it goes up.
    network: f64,
}

/// A demo group, as the demo goes.
struct Team {
    id: GroupId,
    coach: PersonId,
    sessions: Vec<Session>,
}

/// Something that happens at a moment.
enum Happening {
    /// A senior writes to a contact.
    Chat { from: usize, to: PersonId },
    /// A senior says whether they come.
    Answer {
        member: usize,
        session: usize,
        coming: Option<bool>,
    },
    /// The coach takes the meeting's attendance.
    Attendance { team: usize, session: usize },
    /// The coach pairs two members as contacts.
    Tie { a: usize, b: usize },
    /// The coach reminds the group of tomorrow's meeting.
    Reminder { team: usize },
    /// The coach reads what the group's members wrote to them.
    ReadInbox { team: usize },
    /// A senior answers the diary.
    Diary { member: usize, prompt: PromptId },
    /// A senior answers a questionnaire.
    Questionnaire {
        member: usize,
        instrument: Instrument,
        round: Round,
    },
    /// The coach asks the group a questionnaire.
    Ask { team: usize, round: Round },
    /// A senior asks for a call.
    Help { member: usize },
    /// The coach calls back.
    CallBack { member: usize },
    /// A senior answers "how are you today?".
    Mood { member: usize, mood: Mood },
    /// The newcomer joins.
    Newcomer,
    /// A tablet goes quiet.
    Silence { member: usize },
}

/// The demo being written.
struct Demo<'a> {
    hub: &'a Hub,
    tablets: &'a Tablets,
    clock: Pretending,
    dice: Dice,
    members: Vec<Member>,
    teams: Vec<Team>,
    ties: BTreeSet<(usize, usize)>,
    /// Tablets that are on, with when they last sent something of their own.
    heard: BTreeMap<DeviceId, UnixMillis>,
    filled: Filled,
    enrolments: u32,
    /// What was set in motion for a later day (answers to a questionnaire just asked).
    later: Vec<(UnixMillis, Happening)>,
}

/// `hour:minute` on `date`, Belgian time.
fn at(date: Date, hour: u8, minute: u8) -> UnixMillis {
    from_brussels(date.year, date.month, date.day, hour, minute)
}

fn date_of(t: UnixMillis) -> Date {
    let c = brussels(t);
    Date {
        year: c.year,
        month: c.month,
        day: c.day,
    }
}

/// Fills `hub` with `months` of demo up to `now`, unless it holds the demo already.
pub async fn fill(
    hub: &Hub,
    tablets: &Tablets,
    months: u32,
    now: UnixMillis,
) -> Result<Outcome, DemoError> {
    let groups = hub.groups()?;
    if groups.iter().any(|g| {
        g.neighbourhood
            .as_deref()
            .is_some_and(|n| n.ends_with(DEMO_MARK))
    }) {
        return Ok(Outcome::AlreadyThere);
    }
    if !groups.is_empty() || !hub.people()?.is_empty() {
        return Err(DemoError::NotEmpty);
    }
    // The programme begins on the first of the month `months - 1` months ago, so that
    // the reports show `months` months; the seniors are enrolled ten days before.
    let today = date_of(now);
    let mut first = Date { day: 1, ..today };
    for _ in 1..months.max(1) {
        first = Date {
            day: 1,
            ..first.plus_days(-1)
        };
    }
    let setup = at(first.plus_days(-10), 10, 0);
    let mut demo = Demo {
        hub,
        tablets,
        clock: clock::pretend(setup),
        dice: Dice(0x5eed_0f0a_b11e),
        members: Vec::new(),
        teams: Vec::new(),
        ties: BTreeSet::new(),
        heard: BTreeMap::new(),
        filled: Filled::default(),
        enrolments: 0,
        later: Vec::new(),
    };
    // A diary prompt for every week up to today's, and the next.
    let weeks = usize::try_from((today.days() - first.days()) / 7 + 2).unwrap_or(0);
    demo.set_up(setup, first, weeks).await?;
    let mut day = date_of(setup);
    while day <= today {
        let mut happenings = demo.day(day, first, now);
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut demo.later)
            .into_iter()
            .partition(|(t, _)| date_of(*t) <= day);
        demo.later = later;
        happenings.extend(due);
        happenings.sort_by_key(|(t, _)| *t);
        for (t, happening) in happenings {
            if t > now {
                break;
            }
            demo.happen(t, happening).await?;
        }
        demo.take_everything(at(day, 22, 0).min(now)).await?;
        day = day.plus_days(1);
    }
    demo.go_offline(now).await?;
    demo.clock.set(now);
    hub.audit(
        "demo",
        &format!("demo data {DEMO_MARK}: {months} months of made-up activity, not real people"),
    )
    .await?;
    tracing::warn!(
        months,
        "this hub now holds DEMO DATA: made-up people and activity, marked {DEMO_MARK}"
    );
    Ok(Outcome::Filled(demo.filled))
}

impl Demo<'_> {
    fn now(&self, t: UnixMillis) {
        self.clock.set(t);
    }

    /// A tablet's message, stamped `t`.
    fn up(&self, device: &DeviceId, body: Body, t: UnixMillis) -> Result<Inbound, DemoError> {
        let mut envelope = Envelope::new(
            crate::secrets::message_id().map_err(AppError::from)?,
            Party::Device(device.clone()),
            body,
        );
        envelope.ts = t;
        Ok(Inbound {
            topic: Topic::DeviceUp(device.clone()).to_string(),
            payload: envelope.to_bytes(),
        })
    }

    fn status(&self, device: &DeviceId, online: bool, t: UnixMillis) -> Result<Inbound, DemoError> {
        let mut envelope = Envelope::new(
            crate::secrets::message_id().map_err(AppError::from)?,
            Party::Device(device.clone()),
            Body::Status(DeviceStatus {
                state: if online {
                    Presence::Online
                } else {
                    Presence::Offline
                },
                app_version: Some("0.1.0".into()),
                profile: Some("pinetab2".into()),
                // Each tablet its own charge, lower as the day goes on.
                battery_pct: Some(
                    30 + (device.as_str().bytes().map(u32::from).sum::<u32>() % 50) as u8
                        + (20 - brussels(t).hour.min(20)),
                ),
                charging: Some(false),
                free_storage_mb: Some(9_000),
            }),
        );
        envelope.ts = t;
        Ok(Inbound {
            topic: Topic::DeviceStatus(device.clone()).to_string(),
            payload: envelope.to_bytes(),
        })
    }

    /// A member's tablet sends `body` at `t`.
    async fn send(&mut self, member: usize, body: Body, t: UnixMillis) -> Result<bool, DemoError> {
        let Some(device) = self.members[member].tablet.clone() else {
            return Ok(false);
        };
        if self.members[member].silent_from.is_some_and(|s| s <= t) {
            return Ok(false);
        }
        self.now(t);
        let message = self.up(&device, body, t)?;
        self.hub.handle_batch(vec![message]).await;
        self.heard.insert(device, t);
        Ok(true)
    }

    /// A new tablet shows its code; the coach pairs it with `member` and it connects.
    async fn pair(&mut self, member: usize, t: UnixMillis) -> Result<(), DemoError> {
        self.now(t);
        self.enrolments += 1;
        let enrolment = EnrolmentId::parse(&format!(
            "e-{:032x}",
            0xde70_u128 << 64 | u128::from(self.enrolments)
        ))
        .map_err(|_| DemoError::Step("make an enrolment id"))?;
        let hello = Envelope::new(
            crate::secrets::message_id().map_err(AppError::from)?,
            Party::Enrolling(enrolment.clone()),
            Body::EnrolHello(EnrolHello {
                profile: "pinetab2".into(),
                app_version: "0.1.0".into(),
                hardware_id: Some(format!("demo-tablet-{:02}", self.enrolments)),
            }),
        );
        self.hub
            .handle_batch(vec![Inbound {
                topic: Topic::EnrolUp(enrolment.clone()).to_string(),
                payload: hello.to_bytes(),
            }])
            .await;
        let code = self
            .tablets
            .take(&Topic::EnrolDown(enrolment.clone()))
            .into_iter()
            .find_map(|e| match e.body {
                Body::PairingCode(code) => Some(code.code),
                _ => None,
            })
            .ok_or(DemoError::Step("get a pairing code"))?;
        let person = self.members[member].id.clone();
        let group = self.teams[self.members[member].group].id.clone();
        // A minute later: a tablet's pairing lasts while it says hello, every half
        // minute, and the demo's tablet says it only once.
        self.now(after(t, MINUTE));
        let device = self
            .hub
            .enrol(&code, &person, Some(&group), "demo")
            .await?
            .device;
        self.tablets.take(&Topic::EnrolDown(enrolment));
        let connected = after(t, 3 * MINUTE);
        let online = self.status(&device, true, connected)?;
        self.now(connected);
        self.hub.handle_batch(vec![online]).await;
        self.members[member].tablet = Some(device.clone());
        self.heard.insert(device, connected);
        self.filled.tablets += 1;
        Ok(())
    }

    /// Groups, coaches, seniors with their details and tablets, the meetings planned,
    /// the diary's weeks, the first questionnaires: ten days before the first meeting.
    async fn set_up(&mut self, t: UnixMillis, first: Date, weeks: usize) -> Result<(), DemoError> {
        let hub = self.hub;
        for (g, plan) in GROUPS.iter().enumerate() {
            self.now(after(t, g as u64 * HOUR));
            let group = hub.add_group(plan.name, Some(plan.neighbourhood)).await?.id;
            let coach = hub
                .add_coach(plan.coach, plan.coach_phone, Some(&group))
                .await?
                .id;
            self.filled.groups += 1;
            for (i, s) in plan.seniors.iter().enumerate() {
                let person = hub
                    .add_participant(s.name, Some(&group), s.language)
                    .await?;
                hub.update_participant(
                    &person.id,
                    DetailChanges {
                        phone: Some(s.phone.map(str::to_owned)),
                        address: Some(Some(format!(
                            "Demostraat {}, {}",
                            10 + 2 * i + 20 * g,
                            plan.postcode
                        ))),
                        transport: Some(s.transport),
                        consent_photos: Some(s.agrees || i % 2 == 0),
                        consent_research: Some(s.agrees),
                        // Most agree to their number on their contacts' keepsakes.
                        consent_keepsake: Some(s.agrees || i % 3 == 0),
                    },
                )
                .await?;
                if s.check_in {
                    hub.set_check_in(&person.id, true).await?;
                }
                let lonely = 0.45 + 0.35 * self.dice.below(100) as f64 / 100.0;
                self.members.push(Member {
                    id: person.id,
                    name: s.name,
                    group: g,
                    tablet: None,
                    agrees: s.agrees,
                    chattiness: s.chattiness,
                    check_in: s.check_in,
                    silent_from: None,
                    lonely,
                    network: 1.0 + self.dice.below(15) as f64 / 10.0,
                });
                self.filled.participants += 1;
            }
            // Their meetings: the group's weekday from the programme's first week, 14:00.
            let ahead = (i64::from(plan.weekday) - i64::from(first.weekday())).rem_euclid(7);
            let mut sessions = hub
                .plan_schedule(
                    &group,
                    Plan {
                        first: first.plus_days(ahead + 7 * g as i64),
                        time: TimeOfDay {
                            hour: 14,
                            minute: 0,
                        },
                        minutes: 180,
                        place: plan.place.into(),
                        address: Some(plan.address.into()),
                    },
                )
                .await?;
            sessions.retain(|s| s.state == SessionState::Planned);
            sessions.sort_by_key(|s| s.starts_at);
            self.teams.push(Team {
                id: group,
                coach,
                sessions,
            });
        }
        // Each senior's tablet, paired that afternoon; each is the contact of a neighbour.
        for m in 0..self.members.len() {
            self.pair(m, after(t, 5 * HOUR + m as u64 * 10 * MINUTE))
                .await?;
        }
        for g in 0..self.teams.len() {
            let mine: Vec<usize> = (0..self.members.len())
                .filter(|m| self.members[*m].group == g)
                .collect();
            for pair in mine.windows(2).step_by(2) {
                self.tie(pair[0], pair[1], after(t, 8 * HOUR)).await?;
            }
        }
        // A prompt for the diary every week of the programme, from the library in turn:
        // every other week one that asks who the senior sees (the network figure).
        let (who, other): (Vec<_>, Vec<_>) = hub.diary_prompts().iter().partition(|p| p.people);
        let who: Vec<PromptId> = who.into_iter().map(|p| p.prompt_id.clone()).collect();
        let other: Vec<PromptId> = other.into_iter().map(|p| p.prompt_id.clone()).collect();
        if who.is_empty() || other.is_empty() {
            return Err(DemoError::Step("find diary prompts of both kinds"));
        }
        for g in 0..self.teams.len() {
            self.now(after(t, 9 * HOUR));
            let monday = first.plus_days(-i64::from(first.weekday()));
            for week in 0..weeks {
                let prompt = if week % 2 == 0 {
                    &who[(week / 2 + g) % who.len()]
                } else {
                    &other[(week / 2 + g) % other.len()]
                };
                let from = monday.plus_days(7 * week as i64);
                hub.plan_diary(&self.teams[g].id, prompt, from).await?;
            }
            // The first questionnaires, a few days before the first meeting.
            self.now(after(t, 9 * HOUR + MINUTE));
            self.ask(g, Round::Start).await?;
            self.answers_to_come(g, Round::Start, after(t, 9 * HOUR));
        }
        Ok(())
    }

    async fn tie(&mut self, a: usize, b: usize, t: UnixMillis) -> Result<(), DemoError> {
        let key = (a.min(b), a.max(b));
        if a == b || self.ties.contains(&key) {
            return Ok(());
        }
        self.now(t);
        self.hub
            .approve_contacts(&self.members[a].id, &self.members[b].id)
            .await?;
        self.ties.insert(key);
        Ok(())
    }

    /// A coach asks their group a round of both questionnaires.
    async fn ask(&mut self, team: usize, round: Round) -> Result<(), DemoError> {
        for instrument in Instrument::ALL {
            self.hub
                .send_survey(&self.teams[team].id, instrument, round)
                .await?;
        }
        Ok(())
    }

    /// Who `member` may write to: their coach and the members they are tied to.
    fn contacts(&self, member: usize) -> Vec<PersonId> {
        let mut out = vec![self.teams[self.members[member].group].coach.clone()];
        for (a, b) in &self.ties {
            if *a == member {
                out.push(self.members[*b].id.clone());
            } else if *b == member {
                out.push(self.members[*a].id.clone());
            }
        }
        out
    }

    /// What happens on `day`, with when.
    fn day(&mut self, day: Date, first: Date, now: UnixMillis) -> Vec<(UnixMillis, Happening)> {
        let mut out = Vec::new();
        let since_start = day.days() - first.days();
        // How far into its first half year the programme is, 0 to 1.
        let progress = (since_start as f64 / 180.0).clamp(0.0, 1.0);
        if day == date_of(UnixMillis(now.0.saturating_sub(21 * DAY))) {
            out.push((at(day, 11, 0), Happening::Newcomer));
        }
        for m in 0..self.members.len() {
            let member = &self.members[m];
            if member.tablet.is_none() {
                continue;
            }
            if member.name == SILENT && day == date_of(UnixMillis(now.0.saturating_sub(12 * DAY))) {
                out.push((at(day, 20, 0), Happening::Silence { member: m }));
            }
            if since_start < 0 {
                continue;
            }
            // Messages: a few a week at first, mostly to the coach while they learn; about
            // two a day by the end, more for the chatty, to more people as they know more.
            let contacts = self.contacts(m);
            let coach = self.teams[member.group].coach.clone();
            let rate = member.chattiness * (0.12 + 1.7 * progress);
            let whole = rate.floor() as usize;
            let count = whole + usize::from(self.dice.chance(rate - whole as f64));
            for k in 0..count {
                let to = if self.dice.chance(0.6 * (1.0 - progress)) {
                    Some(coach.clone())
                } else {
                    self.dice.pick(&contacts).cloned()
                };
                if let Some(to) = to {
                    let minute = self.dice.below(60) as u8;
                    let hour = 9 + ((k * 4 + self.dice.below(3)) % 12) as u8;
                    out.push((at(day, hour, minute), Happening::Chat { from: m, to }));
                }
            }
            if self.members[m].check_in && self.dice.chance(0.85) {
                let last_days = now.0.saturating_sub(at(day, 10, 0).0) < 3 * DAY;
                let mood = if self.members[m].name == SAD && last_days {
                    Mood::NotGood
                } else {
                    match self.dice.below(10) {
                        0 => Mood::NotGood,
                        1 | 2 => Mood::Okay,
                        _ => Mood::Good,
                    }
                };
                out.push((
                    at(day, 10, self.dice.below(50) as u8),
                    Happening::Mood { member: m, mood },
                ));
            }
            // A call for help now and then, called back within a few hours.
            if self.dice.chance(0.006) {
                let asked = at(
                    day,
                    10 + self.dice.below(6) as u8,
                    self.dice.below(60) as u8,
                );
                out.push((asked, Happening::Help { member: m }));
                out.push((
                    UnixMillis(asked.0 + (1 + self.dice.below(4) as u64) * HOUR),
                    Happening::CallBack { member: m },
                ));
            }
            // This morning's call, not called back yet (at midnight: at midnight).
            if self.members[m].name == CALLING && day == date_of(now) {
                let asked = UnixMillis(now.0.saturating_sub(3 * HOUR)).max(at(day, 0, 0));
                out.push((asked, Happening::Help { member: m }));
            }
            // The diary: most answer the week's prompt, on a day of their own; nearly all
            // when it asks who they see.
            if day.weekday() == (m % 5) as u8 {
                let monday = day.plus_days(-i64::from(day.weekday()));
                let prompt = self.week_prompt(self.members[m].group, monday).filter(|p| {
                    let asks_who = self
                        .hub
                        .diary_prompts()
                        .iter()
                        .any(|d| &d.prompt_id == p && d.people);
                    self.dice.chance(if asks_who { 0.95 } else { 0.7 })
                });
                if let Some(prompt) = prompt {
                    let t = at(
                        day,
                        11 + self.dice.below(8) as u8,
                        self.dice.below(60) as u8,
                    );
                    out.push((t, Happening::Diary { member: m, prompt }));
                }
            }
        }
        for g in 0..self.teams.len() {
            // Coaches read their messages at the end of each working day; the last two
            // days' messages are still new, as a coach would find them on a Monday.
            let evening = at(day, 17, 30);
            if day.weekday() < 5 && evening.0 + 2 * DAY < now.0 {
                out.push((evening, Happening::ReadInbox { team: g }));
            }
            for (s, session) in self.teams[g].sessions.clone().iter().enumerate() {
                let meeting_day = date_of(session.starts_at);
                if meeting_day == day.plus_days(1) {
                    out.push((at(day, 16, 0), Happening::Reminder { team: g }));
                }
                if meeting_day == day.plus_days(2) {
                    for m in (0..self.members.len()).filter(|m| self.members[*m].group == g) {
                        let coming = match self.dice.below(20) {
                            0 | 1 => Some(false),
                            2 => None,
                            _ => Some(true),
                        };
                        let t = at(
                            day,
                            9 + self.dice.below(10) as u8,
                            self.dice.below(60) as u8,
                        );
                        out.push((
                            t,
                            Happening::Answer {
                                member: m,
                                session: s,
                                coming,
                            },
                        ));
                    }
                }
                if meeting_day == day {
                    let ends = session.ends_at;
                    out.push((
                        UnixMillis(ends.0 + HOUR / 2),
                        Happening::Attendance {
                            team: g,
                            session: s,
                        },
                    ));
                    // New ties at the meetings, between members who were not yet each
                    // other's contacts: most weeks during the encounters, fewer later.
                    let (one, two) = match session.series {
                        SessionSeries::Weekly => (1.0, 0.3),
                        SessionSeries::Monthly => (0.6, 0.0),
                    };
                    let ties =
                        usize::from(self.dice.chance(one)) + usize::from(self.dice.chance(two));
                    let mine: Vec<usize> = (0..self.members.len())
                        .filter(|m| {
                            self.members[*m].group == g && self.members[*m].tablet.is_some()
                        })
                        .collect();
                    let mut untied: Vec<(usize, usize)> = Vec::new();
                    for (i, a) in mine.iter().enumerate() {
                        for b in &mine[i + 1..] {
                            if !self.ties.contains(&(*a, *b)) {
                                untied.push((*a, *b));
                            }
                        }
                    }
                    for _ in 0..ties.min(untied.len()) {
                        let (a, b) = untied.swap_remove(self.dice.below(untied.len()));
                        out.push((
                            UnixMillis(ends.0 + HOUR / 2 + MINUTE),
                            Happening::Tie { a, b },
                        ));
                    }
                    // After the tenth weekly encounter: the second questionnaires.
                    if session.series == SessionSeries::Weekly && session.number == 10 {
                        out.push((
                            UnixMillis(ends.0 + HOUR),
                            Happening::Ask {
                                team: g,
                                round: Round::AfterEncounters,
                            },
                        ));
                    }
                }
            }
        }
        out
    }

    /// The prompt of `group`'s week from `monday` (it goes out that morning, before any
    /// answer).
    fn week_prompt(&self, group: usize, monday: Date) -> Option<PromptId> {
        self.hub
            .diary_weeks(&self.teams[group].id)
            .ok()?
            .into_iter()
            .find(|w| w.from == monday)
            .map(|w| w.prompt)
    }

    async fn happen(&mut self, t: UnixMillis, happening: Happening) -> Result<(), DemoError> {
        self.now(t);
        // Prompts whose week began go out first, as the hub's minute ticker sends them.
        self.hub.send_due_prompts().await?;
        match happening {
            Happening::Chat { from, to } => {
                let text = CHATS[self.dice.below(CHATS.len())];
                let body = Body::Text(TextMessage {
                    to: Recipient::Person(to),
                    author: None,
                    text: text.into(),
                });
                if self.send(from, body, t).await? {
                    self.filled.messages += 1;
                }
            }
            Happening::Answer {
                member,
                session,
                coming,
            } => {
                let session_id = self.teams[self.members[member].group].sessions[session]
                    .id
                    .clone();
                if let Some(coming) = coming {
                    let answer = if coming {
                        RsvpAnswer::Coming
                    } else {
                        RsvpAnswer::NotComing
                    };
                    self.send(member, Body::Rsvp(Rsvp { session_id, answer }), t)
                        .await?;
                }
            }
            Happening::Attendance { team, session } => {
                let session = self.teams[team].sessions[session].clone();
                let mut marks = Vec::new();
                for member in self.members.iter().filter(|m| m.group == team) {
                    let gone_quiet = member.silent_from.is_some_and(|s| s <= t);
                    if gone_quiet || self.dice.chance(0.06) {
                        marks.push((member.id.clone(), Mark::Absent));
                    }
                }
                self.hub.take_attendance(&session.id, marks).await?;
                self.filled.meetings_taken += 1;
            }
            Happening::Tie { a, b } => self.tie(a, b, t).await?,
            Happening::ReadInbox { team } => {
                let coach = &self.teams[team].coach;
                for member in self.members.iter().filter(|m| m.group == team) {
                    self.hub.read_inbox(coach, &member.id).await?;
                }
            }
            Happening::Reminder { team } => {
                let text = REMINDERS[self.dice.below(REMINDERS.len())];
                self.hub
                    .send_from_coach(
                        &self.teams[team].coach,
                        &Audience::Group(self.teams[team].id.clone()),
                        CoachMessage::Text { text: text.into() },
                    )
                    .await?;
            }
            Happening::Diary { member, prompt } => {
                let body = self.diary_answer(member, &prompt);
                if self.send(member, body, t).await? {
                    self.filled.diary_answers += 1;
                }
            }
            Happening::Questionnaire {
                member,
                instrument,
                round,
            } => {
                let answers = self.questionnaire_answers(member, instrument, round)?;
                let body = Body::QuestionnaireAnswer(nabij_protocol::QuestionnaireAnswer {
                    survey_id: instrument.survey_id(round),
                    answers,
                });
                if self.send(member, body, t).await? {
                    self.filled.questionnaires += 1;
                }
            }
            Happening::Ask { team, round } => {
                self.ask(team, round).await?;
                self.answers_to_come(team, round, t);
            }
            Happening::Help { member } => {
                let note = HELP_NOTES[self.dice.below(HELP_NOTES.len())].map(str::to_owned);
                if self
                    .send(member, Body::HelpRequest(HelpRequest { note }), t)
                    .await?
                {
                    self.filled.help_calls += 1;
                }
            }
            Happening::CallBack { member } => {
                let coach = self.teams[self.members[member].group].coach.clone();
                self.hub
                    .answer_help(&self.members[member].id, &coach)
                    .await?;
            }
            Happening::Mood { member, mood } => {
                self.send(member, Body::CheckIn(CheckIn { mood }), t)
                    .await?;
            }
            Happening::Newcomer => {
                let oost = self.teams[0].id.clone();
                let jan = self
                    .hub
                    .add_participant(NEWCOMER, Some(&oost), None)
                    .await?
                    .id;
                for friend in ["Maria Peeters", "Georges Dubois"] {
                    if let Some(other) = self.members.iter().find(|m| m.name == friend) {
                        self.hub.approve_contacts(&jan, &other.id).await?;
                    }
                }
                self.filled.participants += 1;
            }
            Happening::Silence { member } => {
                if let Some(device) = self.members[member].tablet.clone() {
                    let offline = self.status(&device, false, t)?;
                    self.hub.handle_batch(vec![offline]).await;
                    self.heard.remove(&device);
                }
                self.members[member].silent_from = Some(t);
            }
        }
        Ok(())
    }
}

impl Demo<'_> {
    /// Those of `team` who agreed answer the round's questionnaires in the days after
    /// `asked` (all but one, who never answers the second round).
    fn answers_to_come(&mut self, team: usize, round: Round, asked: UnixMillis) {
        for m in (0..self.members.len()).filter(|m| self.members[*m].group == team) {
            let forgets = round != Round::Start && self.members[m].name == FORGETS;
            if self.members[m].agrees && !forgets {
                let when = UnixMillis(asked.0 + DAY + self.dice.below(4 * 24) as u64 * HOUR);
                for instrument in Instrument::ALL {
                    self.later.push((
                        when,
                        Happening::Questionnaire {
                            member: m,
                            instrument,
                            round,
                        },
                    ));
                }
            }
        }
    }

    /// A diary answer: a choice, and for a prompt that asks who, some of their contacts
    /// (more as they have more).
    fn diary_answer(&mut self, member: usize, prompt: &PromptId) -> Body {
        let found = self
            .hub
            .diary_prompts()
            .iter()
            .find(|p| &p.prompt_id == prompt)
            .cloned();
        let mut choices = Vec::new();
        let mut people = Vec::new();
        if let Some(p) = found {
            if p.people {
                let mut contacts = self.contacts(member);
                // More people named as they know more: half their contacts, or one more.
                let named = ((contacts.len() / 2).max(1) + self.dice.below(2)).min(contacts.len());
                while people.len() < named && !contacts.is_empty() {
                    people.push(contacts.swap_remove(self.dice.below(contacts.len())));
                }
            }
            // Nobody is not an answer beside the people named; faces are mostly smiles.
            let fitting: Vec<_> = p
                .choices
                .iter()
                .filter(|c| people.is_empty() || !matches!(c.id.as_str(), "nobody" | "none"))
                .collect();
            let chosen = if p.faces {
                fitting.get(match self.dice.below(10) {
                    0 => 2,
                    1 | 2 => 1,
                    _ => 0,
                })
            } else {
                self.dice.pick(&fitting)
            };
            if let Some(choice) = chosen {
                choices.push(choice.id.clone());
            }
        }
        Body::DiaryAnswer(DiaryAnswer {
            prompt_id: prompt.clone(),
            choices,
            people,
            text: None,
            voice: None,
            share: if self.dice.chance(0.6) {
                Share::MyGroup
            } else {
                Share::OnlyMe
            },
        })
    }

    /// A questionnaire's answers: lonelier and with fewer people at the start, less
    /// lonely and with more people after the encounters.
    fn questionnaire_answers(
        &mut self,
        member: usize,
        instrument: Instrument,
        round: Round,
    ) -> Result<Vec<ItemAnswer>, DemoError> {
        let (lonely, network) = (self.members[member].lonely, self.members[member].network);
        let later = round != Round::Start;
        let items = instrument.questionnaire(round).items;
        // Loneliness: as many items count as the senior's loneliness says (which ones,
        // drawn), one fewer after the encounters; the network: each item near the
        // senior's usual number of people, every other item a step higher after. So the
        // demo shows the programme helping a little, the same every time it is made.
        let counting = ((items.len() as f64 * lonely.clamp(0.0, 1.0)).round() as usize)
            .saturating_sub(usize::from(later));
        let mut order: Vec<usize> = (0..items.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, self.dice.below(i + 1));
        }
        let mut answers = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let choice = match instrument {
                Instrument::Dejong6 => {
                    let counts = order[i] < counting;
                    let emotional = item.id.as_str().starts_with('e');
                    match (emotional, counts, self.dice.chance(0.4)) {
                        (_, true, true) => "more-or-less",
                        (true, true, false) => "yes",
                        (false, true, false) => "no",
                        (true, false, _) => "no",
                        (false, false, _) => "yes",
                    }
                }
                Instrument::Lsns6 => {
                    const STEPS: [&str; 6] = [
                        "none",
                        "one",
                        "two",
                        "three-four",
                        "five-eight",
                        "nine-plus",
                    ];
                    let offset = ((i + member) % 3) as f64 - 1.0;
                    let more = if later && (i + member).is_multiple_of(2) {
                        1.0
                    } else {
                        0.0
                    };
                    STEPS[(network + offset + more).round().clamp(0.0, 5.0) as usize]
                }
            };
            answers.push(ItemAnswer {
                item: item.id,
                choice: nabij_protocol::ChoiceId::parse(choice)
                    .map_err(|_| DemoError::Step("answer a questionnaire"))?,
            });
        }
        Ok(answers)
    }

    /// Every tablet that is on takes what the hub sent it and acknowledges it, as a kiosk
    /// does.
    async fn take_everything(&mut self, t: UnixMillis) -> Result<(), DemoError> {
        self.now(t);
        let devices: Vec<DeviceId> = self.heard.keys().cloned().collect();
        for device in devices {
            let ids: Vec<_> = self
                .tablets
                .take(&Topic::DeviceDown(device.clone()))
                .into_iter()
                .filter(|e| e.body.needs_ack())
                .map(|e| e.id)
                .collect();
            for chunk in ids.chunks(256) {
                let ack = self.up(
                    &device,
                    Body::Ack(Ack {
                        ids: chunk.to_vec(),
                    }),
                    t,
                )?;
                self.hub.handle_batch(vec![ack]).await;
            }
        }
        Ok(())
    }

    /// The tablets that are on go off a little after they last sent something: the
    /// tablets page shows when each was last seen, and only the silent one has been quiet
    /// for long.
    async fn go_offline(&mut self, now: UnixMillis) -> Result<(), DemoError> {
        let heard: Vec<(DeviceId, UnixMillis)> =
            self.heard.iter().map(|(d, t)| (d.clone(), *t)).collect();
        for (device, last) in heard {
            let t = UnixMillis((last.0 + 20 * MINUTE).min(now.0));
            self.now(t);
            let offline = self.status(&device, false, t)?;
            self.hub.handle_batch(vec![offline]).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStorage;

    fn over_memory() -> (Hub, Arc<Tablets>) {
        demo_hub(&HubConfig::default(), Arc::new(MemoryStorage::default())).unwrap()
    }

    #[tokio::test]
    async fn months_that_lived_fill_the_reports_from_the_programmes_start_with_consent_applied() {
        let (hub, tablets) = over_memory();
        let now = clock::now();
        let Outcome::Filled(filled) = fill(&hub, &tablets, 6, now).await.unwrap() else {
            panic!("an empty hub is filled");
        };
        assert_eq!(
            (filled.groups, filled.participants, filled.tablets),
            (2, 16, 15)
        );
        assert!(filled.messages > 1_000, "{filled:?}");
        assert!(filled.meetings_taken >= 2 * 12, "{filled:?}");
        assert!(
            filled.diary_answers > 200 && filled.questionnaires > 40,
            "{filled:?}"
        );
        for group in hub.groups().unwrap() {
            assert!(group.neighbourhood.unwrap().ends_with(DEMO_MARK));
            let network = hub.network_growth(&group.id, 6).unwrap();
            let g = &network.growth;
            // Six months, the first one the programme's: nothing before it.
            assert_eq!(g.months.len(), 6, "{}: {:?}", network.group, g.months);
            assert_eq!(network.started.as_ref(), g.months.first());
            assert!(
                g.mean.iter().all(|m| *m > 0.0),
                "{}: {:?}",
                network.group,
                g.mean
            );
            assert!(g.mean[4] > 1.5 * g.mean[0], "growing: {:?}", g.mean);
            assert!(g.new_ties.iter().sum::<u32>() > 5 && g.ties_before > 0);
            // Enough answered the diary every month (this one may have just begun).
            let whole_months = &g.diary_answered[1..5];
            assert!(
                whole_months.iter().all(|n| *n >= 5),
                "{:?}",
                g.diary_answered
            );
            // Only those who agreed are counted.
            let counted: Vec<&str> = network.members.iter().map(|(_, n)| n.as_str()).collect();
            let (agreed, not) = match network.group.as_str() {
                "Oostende Oost" => (7, 2),
                _ => (6, 1),
            };
            assert_eq!((counted.len(), network.not_counted), (agreed, not));
            for refused in ["Georges Dubois", "André Martens", NEWCOMER] {
                assert!(!counted.contains(&refused));
            }
            let attendance = hub.attendance_counted(&group.id).unwrap();
            assert!(attendance.meetings >= 11);
            assert!(
                attendance
                    .per_session
                    .iter()
                    .all(|(_, t)| t.marked() as usize == agreed)
            );
            let surveys = hub.survey_report(&group.id).unwrap();
            for instrument in Instrument::ALL {
                let round = |r| {
                    surveys
                        .summaries
                        .iter()
                        .find(|s| s.instrument == instrument && s.round == r)
                        .unwrap_or_else(|| panic!("{instrument:?} {r:?}"))
                };
                let (start, after) = (round(Round::Start), round(Round::AfterEncounters));
                assert!(start.answered >= 5 && after.answered >= 5);
                assert!(surveys.rows.iter().all(|r| r.name != "Georges Dubois"));
                let better = match instrument {
                    Instrument::Dejong6 => after.mean < start.mean,
                    Instrument::Lsns6 => after.mean > start.mean,
                };
                assert!(better, "{instrument:?}: {start:?} {after:?}");
            }
        }
        // What a coach finds: one silent tablet, a call this morning, the others dealt with.
        let silent = hub.devices(true).unwrap();
        let silent: Vec<&str> = silent.iter().map(|d| d.participant_name.as_str()).collect();
        assert_eq!(silent, [SILENT]);
        let open = hub.help_requests(true).unwrap();
        assert!(open.iter().any(|h| h.participant_name == CALLING));
        assert!(hub.help_requests(false).unwrap().len() > open.len());
        // The coaches have read all but the last days' messages: a handful are new.
        for team in &hub.groups().unwrap() {
            let coach = team.coach.clone().expect("each demo group has its coach");
            let unread = hub.coach_unread(&coach).unwrap();
            assert!((1..=60).contains(&unread), "{}: {unread} unread", team.name);
        }
        let newcomer = hub.find_participant(NEWCOMER).unwrap();
        assert!(!newcomer.consent.research);

        // Asked again, nothing is added; a hub with other data is not touched.
        let people = hub.people().unwrap().len();
        assert_eq!(
            fill(&hub, &tablets, 6, now).await.unwrap(),
            Outcome::AlreadyThere
        );
        assert_eq!(hub.people().unwrap().len(), people);
        let (other, other_tablets) = over_memory();
        other.add_group("Ons clubje", None).await.unwrap();
        assert!(matches!(
            fill(&other, &other_tablets, 6, now).await,
            Err(DemoError::NotEmpty)
        ));
    }
}
