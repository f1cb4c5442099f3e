//! The admin socket: how `nabij-hub device …` and the other coach commands reach the
//! running hub. A Unix socket in the data directory (mode 0600, in a 0700 directory), so
//! only the hub's own user can use it; one JSON request per line, one JSON answer per line.

use crate::app::{
    AppError, Audience, CoachMessage, DeviceRow, EnrolSummary, Extra, HelpRow, Hub, KioskSettings,
    Move, Rates, Sheet,
};
use crate::app::{DetailChanges, FollowUpRow, PromptAnswers, SurveyReport, SurveySent};
use crate::domain::attendance::Mark;
use crate::domain::calendar::Date;
use crate::domain::diary::DiaryWeek;
use crate::domain::followup::Reason;
use crate::domain::loans::{Condition, Loan};
use crate::domain::people::{Group, Person};
use crate::domain::reminders::{self, Setting};
use crate::domain::schedule::{Plan, Session, TimeOfDay, at};
use crate::domain::surveys::{Instrument, Round};
use nabij_protocol::{DeviceId, GroupId, SessionId, SessionSeries};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// Who the audit log names for a change made with the hub's command line.
const COMMAND_LINE: &str = "command line";

/// Largest request line, in bytes: room for a photo (base64) a coach sends.
const MAX_REQUEST_BYTES: u64 = 2 * nabij_protocol::limits::MAX_PAYLOAD_BYTES as u64;

/// A coach or operator command.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Pair the tablet showing `code` with a participant.
    Enrol {
        /// The code on the tablet.
        code: String,
        /// The participant's id or name.
        participant: String,
        /// Put the participant in this group (id or name).
        group: Option<String>,
    },
    /// List tablets.
    Devices {
        /// Only those silent too long.
        silent_only: bool,
    },
    /// Switch a tablet off.
    Revoke {
        /// The device id.
        device: String,
    },
    /// Wipe a tablet.
    Wipe {
        /// The device id.
        device: String,
    },
    /// Set the PIN of a tablet's coach settings.
    SetCoachPin {
        /// The device id.
        device: String,
        /// Four digits (never written to the audit log).
        pin: String,
    },
    /// A tablet came back.
    Return {
        /// The device id.
        device: String,
        /// Its condition.
        condition: Condition,
        /// A note.
        note: Option<String>,
    },
    /// Add a participant.
    AddParticipant {
        /// Their name.
        name: String,
        /// Their group's id or name.
        group: Option<String>,
        /// Their tablet's language (Dutch when not given).
        #[serde(default)]
        language: Option<nabij_protocol::Language>,
    },
    /// Set the language of a participant's tablet.
    SetLanguage {
        /// The participant (id or name).
        person: String,
        /// The language.
        language: nabij_protocol::Language,
    },
    /// Add a coach.
    AddCoach {
        /// Their name.
        name: String,
        /// The phone number seniors call.
        phone: String,
        /// The group they coach (id or name).
        group: Option<String>,
    },
    /// Add a dashboard account.
    AddUser {
        /// The name to log in with.
        name: String,
        /// What it may do.
        role: crate::domain::accounts::Role,
        /// For a coach's account: the coach (id or name).
        coach: Option<String>,
        /// The password.
        password: String,
        /// The language the dashboard speaks to it (Dutch when not said).
        #[serde(default)]
        language: nabij_protocol::Language,
    },
    /// The dashboard's accounts.
    Users,
    /// Calls for help.
    HelpList {
        /// Also those already answered.
        all: bool,
    },
    /// A coach will call a participant back.
    HelpAnswer {
        /// The participant (id or name).
        participant: String,
        /// The coach (id or name).
        coach: String,
    },
    /// Turn a participant's daily check-in on or off.
    SetCheckIn {
        /// The participant (id or name).
        person: String,
        /// On or off.
        on: bool,
    },
    /// Set a person's photo.
    SetPhoto {
        /// The person (id or name).
        person: String,
        /// The image file's bytes.
        image: nabij_protocol::base64::Base64Bytes,
    },
    /// A coach's message to a person or a group.
    Send {
        /// The coach (id or name).
        from: String,
        /// A person or a group (id or name).
        to: String,
        /// What.
        message: CoachMessage,
    },
    /// Add a group.
    AddGroup {
        /// Its name.
        name: String,
        /// The neighbourhood it meets in.
        #[serde(default)]
        neighbourhood: Option<String>,
    },
    /// Change a participant's details (absent: unchanged; an empty text clears it).
    SetDetails {
        /// The participant (id or name).
        person: String,
        /// Phone number.
        #[serde(default)]
        phone: Option<String>,
        /// Address.
        #[serde(default)]
        address: Option<String>,
        /// Needs transport.
        #[serde(default)]
        transport: Option<bool>,
        /// Consent to photos in the group.
        #[serde(default)]
        consent_photos: Option<bool>,
        /// Consent to count in the evaluation.
        #[serde(default)]
        consent_research: Option<bool>,
        /// Consent to their number on their contacts' keepsakes.
        #[serde(default)]
        consent_keepsake: Option<bool>,
    },
    /// Move a participant to another group (none: out of any group).
    MoveParticipant {
        /// The participant (id or name).
        person: String,
        /// The group (id or name).
        group: Option<String>,
    },
    /// Set when a participant's tablets show meeting reminders.
    SetReminders {
        /// The participant (id or name).
        person: String,
        /// The day before, from this minute of the day, or off.
        day_before: Option<Setting>,
        /// On the day, this many minutes before, or off.
        before: Option<Setting>,
        /// Back to the hub's times.
        hub_default: bool,
    },
    /// A participant's details and group history.
    ShowParticipant {
        /// The participant (id or name).
        person: String,
    },
    /// Arrange transport to a meeting (no time: cancel it).
    SetPickup {
        /// The meeting.
        session: String,
        /// The participant (id or name).
        person: String,
        /// When the bus comes, Belgian time, on the meeting's day.
        at: Option<TimeOfDay>,
    },
    /// Approve two people as contacts of each other.
    ApproveContacts {
        /// One person (id or name).
        a: String,
        /// The other (id or name).
        b: String,
    },
    /// Take two people's approval back.
    RemoveContact {
        /// One person (id or name).
        a: String,
        /// The other (id or name).
        b: String,
    },
    /// Everything the hub keeps about a participant, as a zip.
    ExportParticipant {
        /// The participant (id or name).
        person: String,
    },
    /// A backup of the whole hub, written by the hub to this file while it goes on.
    Backup {
        /// The file (an absolute path: the hub's working folder is not the caller's).
        out: PathBuf,
    },
    /// Erase a participant (their tablets taken back or wiped first).
    EraseParticipant {
        /// The participant (id or name).
        person: String,
        /// Their full name, typed again: erasure cannot be undone.
        confirm: String,
    },
    /// List people.
    People,
    /// List groups.
    Groups,
    /// The loan register.
    Loans,
    /// The hub's health: broker, store, disk, certificate, backup, tablets.
    Status,
    /// The kiosk settings file.
    KioskSettings {
        /// The host name tablets use.
        host: String,
    },
    /// Plan a group's 10 + 10 meetings.
    SchedulePlan {
        /// The group (id or name).
        group: String,
        /// The first weekly encounter.
        first: Date,
        /// The meetings' start, Belgian time.
        time: TimeOfDay,
        /// Their length in minutes.
        minutes: u32,
        /// The place.
        place: String,
        /// Its address.
        address: Option<String>,
    },
    /// A group's meetings.
    ScheduleList {
        /// The group (id or name).
        group: String,
    },
    /// Move a meeting.
    ScheduleMove {
        /// The meeting.
        session: String,
        /// Its new date.
        date: Date,
        /// Its new start, Belgian time.
        time: TimeOfDay,
        /// A new place.
        place: Option<String>,
        /// A new address (with a new place).
        address: Option<String>,
    },
    /// Cancel a meeting.
    ScheduleCancel {
        /// The meeting.
        session: String,
    },
    /// Add a meeting.
    ScheduleAdd {
        /// The group (id or name).
        group: String,
        /// Weekly encounter or monthly support meeting.
        series: SessionSeries,
        /// Its date.
        date: Date,
        /// Its start, Belgian time.
        time: TimeOfDay,
        /// Its length in minutes.
        minutes: u32,
        /// The place.
        place: String,
        /// Its address.
        address: Option<String>,
    },
    /// A group's meetings as an iCalendar file.
    ScheduleIcs {
        /// The group (id or name).
        group: String,
    },
    /// A meeting's attendance sheet.
    AttendanceShow {
        /// The meeting.
        session: String,
    },
    /// Take a meeting's attendance: the named exceptions, the rest as suggested.
    AttendanceTake {
        /// The meeting.
        session: String,
        /// People present (ids or names).
        #[serde(default)]
        present: Vec<String>,
        /// People absent without a word.
        #[serde(default)]
        absent: Vec<String>,
        /// People excused.
        #[serde(default)]
        excused: Vec<String>,
    },
    /// A group's attendance rates.
    AttendanceRates {
        /// The group (id or name).
        group: String,
    },
    /// The diary prompts coaches choose from.
    DiaryPrompts,
    /// Plan a group's prompt for a week.
    DiaryPlan {
        /// The group (id or name).
        group: String,
        /// The prompt.
        prompt: String,
        /// The week's first day.
        week: Date,
    },
    /// A group's planned prompts.
    DiaryWeeks {
        /// The group (id or name).
        group: String,
    },
    /// What a group's members shared.
    DiaryAnswers {
        /// The group (id or name).
        group: String,
        /// Only this prompt.
        prompt: Option<String>,
    },
    /// Ask a group's members a questionnaire for a round.
    SurveySend {
        /// The group (id or name).
        group: String,
        /// Which questionnaire.
        instrument: Instrument,
        /// Which round.
        round: Round,
    },
    /// A group's questionnaires and scores.
    SurveyResults {
        /// The group (id or name).
        group: String,
    },
    /// Who a coach should call.
    FollowUp {
        /// Also those already dealt with.
        all: bool,
    },
    /// A coach dealt with a reason to call someone.
    FollowUpHandled {
        /// The participant (id or name).
        person: String,
        /// Which reason.
        reason: Reason,
        /// The coach (id or name).
        coach: String,
    },
}

/// The hub's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    /// The command failed; the message says what to do.
    Error {
        /// The message.
        message: String,
    },
    /// A tablet was enrolled.
    Enrolled(EnrolSummary),
    /// Tablets.
    Devices {
        /// One row per tablet.
        rows: Vec<DeviceRow>,
        /// The silence threshold.
        silent_after_days: u32,
    },
    /// A command that changed one tablet.
    Device {
        /// What was done, in words.
        message: String,
    },
    /// A loan.
    Loan {
        /// The loan closed, if there was one.
        loan: Option<Loan>,
    },
    /// A person.
    Person(Person),
    /// A dashboard account was added.
    UserAdded(crate::app::AccountView),
    /// The dashboard's accounts.
    Users {
        /// By name.
        accounts: Vec<crate::app::AccountView>,
    },
    /// A group.
    Group(Group),
    /// A participant in full.
    Participant {
        /// The person.
        person: Person,
        /// Their groups over time, with the groups' names.
        history: Vec<(crate::domain::people::Membership, String)>,
        /// When their tablets show meeting reminders (their own times, or the hub's).
        reminders: nabij_protocol::ReminderTimes,
    },
    /// People.
    People {
        /// Everyone.
        people: Vec<Person>,
    },
    /// Groups.
    Groups {
        /// Every group.
        groups: Vec<Group>,
    },
    /// The loan register.
    Loans {
        /// Every loan.
        loans: Vec<Loan>,
    },
    /// Calls for help, newest first.
    Help {
        /// One row per call.
        rows: Vec<HelpRow>,
    },
    /// A text to print.
    Text {
        /// The text.
        text: String,
    },
    /// A file to write where the coach asked.
    File {
        /// The name the hub suggests.
        name: String,
        /// Its contents.
        bytes: nabij_protocol::base64::Base64Bytes,
    },
    /// A group's meetings, by start.
    Sessions {
        /// The group's name.
        group: String,
        /// The meetings.
        sessions: Vec<Session>,
    },
    /// A meeting's attendance sheet.
    Sheet(Sheet),
    /// A group's attendance.
    Rates(Rates),
    /// The diary library.
    Prompts {
        /// Every prompt.
        prompts: Vec<nabij_protocol::DiaryPrompt>,
    },
    /// A group's diary weeks.
    DiaryWeeks {
        /// The group's name.
        group: String,
        /// The weeks, with their prompts' questions.
        weeks: Vec<(DiaryWeek, String)>,
    },
    /// Shared diary answers, per prompt.
    DiaryAnswers {
        /// Per prompt.
        answers: Vec<PromptAnswers>,
    },
    /// Who was asked a questionnaire.
    SurveySent {
        /// The group's name.
        group: String,
        /// Which questionnaire.
        instrument: Instrument,
        /// Which round.
        round: Round,
        /// Who was and was not asked.
        sent: SurveySent,
    },
    /// A group's questionnaires and scores.
    SurveyReport(SurveyReport),
    /// Who to call, and why.
    FollowUp {
        /// One line per reason per person.
        rows: Vec<FollowUpRow>,
    },
    /// The hub's health.
    Status(Box<crate::app::Health>),
    /// One meeting, after a change.
    Session {
        /// What was done.
        done: String,
        /// The meeting now.
        session: Session,
    },
}

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("hub.sock")
}

/// What to do about an error, in the words of this edge (the command line).
pub fn explain(error: &AppError) -> String {
    let hint = match error {
        AppError::NoDevice(_) => "`nabij-hub device list` shows them all",
        AppError::NoParticipant(_) | AppError::NoPerson(_) => {
            "add one with `nabij-hub participant add --name …`"
        }
        AppError::NoGroup(_) => "add one with `nabij-hub group add --name …`",
        AppError::NotACoach(_) => "add coaches with `nabij-hub coach add --name … --phone …`",
        AppError::NotAContact { .. } => "approve them first with `nabij-hub contact approve`",
        AppError::WrongState { .. } => {
            "it cannot connect any more, so it cannot be wiped remotely: erase it on the tablet (Help, \"For the coach\", the coach PIN, \"Erase this tablet\")"
        }
        AppError::NoSession(_) => "`nabij-hub schedule list --group …` shows the meetings",
        AppError::AlreadyPlanned(_) => {
            "move, cancel or add meetings with `nabij-hub schedule move|cancel|add`"
        }
        AppError::Cancelled(_) => "add a new one with `nabij-hub schedule add`",
        AppError::SeriesFull(_) => "cancel one first, or move it",
        AppError::NotYet(_) => "take attendance at the meeting",
        AppError::BadPickup(_) => "give the time the bus comes, e.g. --at 13:30",
        AppError::NoPrompt(_) => "`nabij-hub diary prompts` lists them",
        AppError::WeekTaken(..) => "choose another week (`nabij-hub diary weeks --group …`)",
        AppError::NotAMember(_) => "`nabij-hub attendance show` lists the group",
        AppError::Backup(_) => {
            "the running hub writes the file as its own user: choose a folder it may write to and that has room (under systemd: /var/backups/nabij-hub)"
        }
        _ => return error.to_string(),
    };
    format!("{error}; {hint}")
}

fn device_id(text: &str) -> Result<DeviceId, AppError> {
    DeviceId::parse(text.trim()).map_err(|_| AppError::NoDevice(text.to_owned()))
}

fn participant_view(hub: &Hub, person: Person) -> Result<Response, AppError> {
    let groups = hub.groups()?;
    let history = hub
        .memberships(&person.id)?
        .into_iter()
        .map(|m| {
            let name = groups
                .iter()
                .find(|g| g.id == m.group)
                .map_or_else(|| m.group.to_string(), |g| g.name.clone());
            (m, name)
        })
        .collect();
    let reminders = hub.reminders_of(&person);
    Ok(Response::Participant {
        person,
        history,
        reminders,
    })
}

fn prompt_id(text: &str) -> Result<nabij_protocol::PromptId, AppError> {
    nabij_protocol::PromptId::parse(text.trim()).map_err(|_| AppError::NoPrompt(text.to_owned()))
}

fn session_id(text: &str) -> Result<SessionId, AppError> {
    SessionId::parse(text.trim()).map_err(|_| AppError::NoSession(text.to_owned()))
}

fn group_id(hub: &Hub, group: Option<&str>) -> Result<Option<GroupId>, AppError> {
    group.map(|g| hub.find_group(g).map(|g| g.id)).transpose()
}

/// The kiosk settings file, as `nabij-kiosk run --hub-settings` reads it.
pub fn kiosk_settings_file(settings: &KioskSettings) -> String {
    let dashboard = settings.dashboard_port.map_or(String::new(), |port| {
        format!(
            "# The dashboard's port: the pairing screen shows a QR code of its pairing page.\n\
             dashboard_port = {port}\n"
        )
    });
    format!(
        "# Kiosk settings for this hub. Keep them private: they let a tablet ask to be paired.\n\
         [hub]\nhost = \"{host}\"\nport = {port}\npairing_port = {pairing_port}\nenrolment_password = \"{password}\"\n\
         # The PIN that opens the coach settings on every tablet of this hub.\n\
         coach_pin = \"{pin}\"\n{dashboard}ca = \"\"\"\n{ca}\"\"\"\n",
        host = settings.host,
        port = settings.port,
        pairing_port = settings.pairing_port,
        password = settings.enrolment_password,
        pin = settings.coach_pin,
        ca = settings.ca_pem,
    )
}

async fn answer(hub: &Hub, request: Request) -> Result<Response, AppError> {
    Ok(match request {
        Request::Enrol {
            code,
            participant,
            group,
        } => {
            let participant = hub.find_participant(&participant)?.id;
            let group = group_id(hub, group.as_deref())?;
            Response::Enrolled(
                hub.enrol(&code, &participant, group.as_ref(), COMMAND_LINE)
                    .await?,
            )
        }
        Request::Devices { silent_only } => Response::Devices {
            rows: hub.devices(silent_only)?,
            silent_after_days: hub.silent_after_days(),
        },
        Request::Revoke { device } => {
            hub.revoke(&device_id(&device)?).await?;
            Response::Device {
                message: format!("Tablet {device} is switched off; its connection was cut."),
            }
        }
        Request::Wipe { device } => {
            let record = hub.wipe(&device_id(&device)?).await?;
            let when = if record.online {
                "now"
            } else {
                "as soon as it connects"
            };
            Response::Device {
                message: format!(
                    "Tablet {device} will erase itself {when} and then show a new pairing code."
                ),
            }
        }
        Request::SetCoachPin { device, pin } => {
            hub.set_coach_pin(&device_id(&device)?, &pin).await?;
            Response::Device {
                message: format!(
                    "Tablet {device} takes its new coach PIN as soon as it is online; until then the old one opens its coach settings."
                ),
            }
        }
        Request::Return {
            device,
            condition,
            note,
        } => Response::Loan {
            loan: hub
                .return_device(&device_id(&device)?, condition, note)
                .await?,
        },
        Request::AddParticipant {
            name,
            group,
            language,
        } => {
            let group = group_id(hub, group.as_deref())?;
            Response::Person(hub.add_participant(&name, group.as_ref(), language).await?)
        }
        Request::SetLanguage { person, language } => {
            let id = hub.find_participant(&person)?.id;
            let person = hub.set_language(&id, language).await?;
            Response::Device {
                message: format!(
                    "{}'s tablet now speaks {}.",
                    person.name,
                    match language {
                        nabij_protocol::Language::Nl => "Dutch",
                        nabij_protocol::Language::Fr => "French",
                        nabij_protocol::Language::En => "English",
                    }
                ),
            }
        }
        Request::AddCoach { name, phone, group } => {
            let group = group_id(hub, group.as_deref())?;
            Response::Person(hub.add_coach(&name, &phone, group.as_ref()).await?)
        }
        Request::AddUser {
            name,
            role,
            coach,
            password,
            language,
        } => {
            let coach = match coach {
                Some(key) => Some(hub.find_person(&key)?.id),
                None => None,
            };
            Response::UserAdded(
                hub.add_account(&name, role, coach.as_ref(), &password, language)
                    .await?,
            )
        }
        Request::Users => Response::Users {
            accounts: hub.accounts()?,
        },
        Request::HelpList { all } => Response::Help {
            rows: hub.help_requests(!all)?,
        },
        Request::HelpAnswer { participant, coach } => {
            let participant_id = hub.find_participant(&participant)?.id;
            let coach_id = hub.find_person(&coach)?.id;
            let answered = hub.answer_help(&participant_id, &coach_id).await?;
            Response::Device {
                message: match answered {
                    0 => format!(
                        "{participant} had no open call for help; their tablet still says a coach will call."
                    ),
                    n => format!(
                        "{n} call{} for help answered; {participant}'s tablet says a coach will call soon.",
                        if n == 1 { "" } else { "s" }
                    ),
                },
            }
        }
        Request::SetCheckIn { person, on } => {
            let id = hub.find_participant(&person)?.id;
            let person = hub.set_check_in(&id, on).await?;
            Response::Device {
                message: if on {
                    format!(
                        "{}'s tablet now asks \"How are you today?\" once a day.",
                        person.name
                    )
                } else {
                    format!(
                        "{}'s tablet no longer asks \"How are you today?\".",
                        person.name
                    )
                },
            }
        }
        Request::SetPhoto { person, image } => {
            let id = hub.find_person(&person)?.id;
            let person = hub.set_photo(&id, &image.0).await?;
            Response::Device {
                message: format!(
                    "{}'s photo is set; tablets show it as soon as they are online.",
                    person.name
                ),
            }
        }
        Request::Send { from, to, message } => {
            let from = hub.find_person(&from)?.id;
            let audience = match hub.find_group(&to) {
                Ok(group) => Audience::Group(group.id),
                Err(AppError::NoGroup(_)) => Audience::Person(hub.find_person(&to)?.id),
                Err(e) => return Err(e),
            };
            let sent = hub.send_from_coach(&from, &audience, message).await?;
            Response::Device {
                message: format!(
                    "Sent to {} {} on {} {}; each tablet shows it as soon as it is online.",
                    sent.people,
                    if sent.people == 1 { "person" } else { "people" },
                    sent.tablets,
                    if sent.tablets == 1 {
                        "tablet"
                    } else {
                        "tablets"
                    },
                ),
            }
        }
        Request::AddGroup {
            name,
            neighbourhood,
        } => Response::Group(hub.add_group(&name, neighbourhood.as_deref()).await?),
        Request::SetDetails {
            person,
            phone,
            address,
            transport,
            consent_photos,
            consent_research,
            consent_keepsake,
        } => {
            let id = hub.find_participant(&person)?.id;
            let text = |t: Option<String>| t.map(|t| Some(t).filter(|t| !t.trim().is_empty()));
            let changes = DetailChanges {
                phone: text(phone),
                address: text(address),
                transport,
                consent_photos,
                consent_research,
                consent_keepsake,
            };
            let person = hub.update_participant(&id, changes).await?;
            participant_view(hub, person)?
        }
        Request::MoveParticipant { person, group } => {
            let id = hub.find_participant(&person)?.id;
            let group = group_id(hub, group.as_deref())?;
            let person = hub.move_participant(&id, group.as_ref()).await?;
            participant_view(hub, person)?
        }
        Request::SetReminders {
            person,
            day_before,
            before,
            hub_default,
        } => {
            let who = hub.find_participant(&person)?;
            let times = if hub_default {
                None
            } else if day_before.is_none() && before.is_none() {
                who.reminders
            } else {
                Some(reminders::changed(
                    hub.reminders_of(&who),
                    day_before,
                    before,
                ))
            };
            let person = hub.set_reminders(&who.id, times).await?;
            participant_view(hub, person)?
        }
        Request::ShowParticipant { person } => {
            let person = hub.find_participant(&person)?;
            participant_view(hub, person)?
        }
        Request::SetPickup {
            session,
            person,
            at,
        } => {
            let id = hub.find_participant(&person)?.id;
            Response::Session {
                done: match at {
                    Some(at) => format!(
                        "has transport for {person} at {:02}:{:02}; their tablet shows it",
                        at.hour, at.minute
                    ),
                    None => format!("has no transport for {person} any more"),
                },
                session: hub.set_pickup(&session_id(&session)?, &id, at).await?,
            }
        }
        Request::ApproveContacts { a, b } => {
            let (a, b) = (hub.find_person(&a)?.id, hub.find_person(&b)?.id);
            let (a, b) = hub.approve_contacts(&a, &b).await?;
            Response::Device {
                message: format!("{} and {} may now write to each other.", a.name, b.name),
            }
        }
        Request::RemoveContact { a, b } => {
            let (a, b) = (hub.find_person(&a)?.id, hub.find_person(&b)?.id);
            let (a, b) = hub.remove_contact(&a, &b).await?;
            Response::Device {
                message: format!(
                    "{} and {} can no longer write to each other.",
                    a.name, b.name
                ),
            }
        }
        Request::Backup { out } => {
            let summary = hub.back_up(out.clone()).await?;
            Response::Text {
                text: format!(
                    "Backed up to {} ({} files, {:.1} MB): the database, photos and voice notes, certificates and broker secrets. Keep it as safe as the hub itself.\n",
                    out.display(),
                    summary.files,
                    summary.bytes as f64 / 1e6
                ),
            }
        }
        Request::ExportParticipant { person } => {
            let id = hub.find_participant(&person)?.id;
            let export = hub.export_participant(&id).await?;
            let bytes = export
                .to_zip()
                .map_err(|e| AppError::BadMessage(e.to_string()))?;
            Response::File {
                name: export.file_name(),
                bytes: nabij_protocol::base64::Base64Bytes(bytes),
            }
        }
        Request::EraseParticipant { person, confirm } => {
            let found = hub.find_participant(&person)?;
            if !crate::domain::people::confirms_name(&found, &confirm) {
                return Err(AppError::BadMessage(format!(
                    "to erase {} for good, type their full name after --confirm",
                    found.name
                )));
            }
            let erased = hub.erase_participant(&found.id).await?;
            Response::Device {
                message: format!(
                    "{} is erased. {} messages they sent stay with the people they wrote to, from \"a former participant\"; {} messages to them are forgotten.",
                    erased.name, erased.messages_kept, erased.messages_forgotten
                ),
            }
        }
        Request::People => Response::People {
            people: hub.people()?,
        },
        Request::Groups => Response::Groups {
            groups: hub.groups()?,
        },
        Request::Status => Response::Status(Box::new(hub.health().await)),
        Request::Loans => Response::Loans {
            loans: hub.loans()?,
        },
        Request::KioskSettings { host } => {
            // Settings a tablet would refuse to connect with help no one: the host must be
            // one the broker's certificate carries (docs/protocol.md §1).
            let settings = hub.kiosk_settings(host.trim())?;
            let (server, names) = hub.server_certificate()?;
            match crate::host_check::check(settings.ca_pem.as_bytes(), &server, &names, &host) {
                Ok(()) => Response::Text {
                    text: kiosk_settings_file(&settings),
                },
                Err(e) => Response::Error {
                    message: e.to_string(),
                },
            }
        }
        Request::SchedulePlan {
            group,
            first,
            time,
            minutes,
            place,
            address,
        } => {
            let group = hub.find_group(&group)?;
            let plan = Plan {
                first,
                time,
                minutes,
                place,
                address,
            };
            Response::Sessions {
                sessions: hub.plan_schedule(&group.id, plan).await?,
                group: group.name,
            }
        }
        Request::ScheduleList { group } => {
            let group = hub.find_group(&group)?;
            Response::Sessions {
                sessions: hub.schedule(&group.id)?,
                group: group.name,
            }
        }
        Request::ScheduleMove {
            session,
            date,
            time,
            place,
            address,
        } => {
            let to = Move {
                starts_at: at(date, time),
                place: place.map(|p| (p, address)),
            };
            Response::Session {
                done: "moved; the group's tablets show the new time".into(),
                session: hub.move_session(&session_id(&session)?, to).await?,
            }
        }
        Request::ScheduleCancel { session } => Response::Session {
            done: "cancelled; the group's tablets take it out of their agenda".into(),
            session: hub.cancel_session(&session_id(&session)?).await?,
        },
        Request::ScheduleAdd {
            group,
            series,
            date,
            time,
            minutes,
            place,
            address,
        } => {
            let group = hub.find_group(&group)?;
            let extra = Extra {
                series,
                starts_at: at(date, time),
                minutes,
                place: (place, address),
            };
            Response::Session {
                done: "added; the group's tablets show it in their agenda".into(),
                session: hub.add_session(&group.id, extra).await?,
            }
        }
        Request::AttendanceShow { session } => {
            Response::Sheet(hub.attendance_sheet(&session_id(&session)?)?)
        }
        Request::AttendanceTake {
            session,
            present,
            absent,
            excused,
        } => {
            let mut marks = Vec::new();
            for (names, mark) in [
                (present, Mark::Present),
                (absent, Mark::Absent),
                (excused, Mark::Excused),
            ] {
                for name in names {
                    marks.push((hub.find_participant(&name)?.id, mark));
                }
            }
            Response::Sheet(hub.take_attendance(&session_id(&session)?, marks).await?)
        }
        Request::AttendanceRates { group } => {
            let group = hub.find_group(&group)?;
            Response::Rates(hub.attendance_rates(&group.id)?)
        }
        Request::DiaryPrompts => Response::Prompts {
            prompts: hub.diary_prompts().to_vec(),
        },
        Request::DiaryPlan {
            group,
            prompt,
            week,
        } => {
            let group = hub.find_group(&group)?;
            let prompt = prompt_id(&prompt)?;
            let planned = hub.plan_diary(&group.id, &prompt, week).await?;
            Response::Device {
                message: match planned.sent_at {
                    Some(_) => format!(
                        "{prompt} is {}'s prompt for the week from {week}; its tablets have it now.",
                        group.name
                    ),
                    None => format!(
                        "{prompt} is {}'s prompt for the week from {week}; its tablets get it that morning.",
                        group.name
                    ),
                },
            }
        }
        Request::DiaryWeeks { group } => {
            let group = hub.find_group(&group)?;
            let prompts = hub.diary_prompts();
            let weeks = hub
                .diary_weeks(&group.id)?
                .into_iter()
                .map(|w| {
                    let question = prompts
                        .iter()
                        .find(|p| p.prompt_id == w.prompt)
                        .map(|p| p.question.nl.clone())
                        .unwrap_or_default();
                    (w, question)
                })
                .collect();
            Response::DiaryWeeks {
                group: group.name,
                weeks,
            }
        }
        Request::DiaryAnswers { group, prompt } => {
            let group = hub.find_group(&group)?;
            let prompt = prompt.as_deref().map(prompt_id).transpose()?;
            Response::DiaryAnswers {
                answers: hub.diary_answers(&group.id, prompt.as_ref())?,
            }
        }
        Request::SurveySend {
            group,
            instrument,
            round,
        } => {
            let group = hub.find_group(&group)?;
            Response::SurveySent {
                sent: hub.send_survey(&group.id, instrument, round).await?,
                group: group.name,
                instrument,
                round,
            }
        }
        Request::SurveyResults { group } => {
            let group = hub.find_group(&group)?;
            Response::SurveyReport(hub.survey_report(&group.id)?)
        }
        Request::FollowUp { all } => Response::FollowUp {
            rows: hub.follow_up(all)?,
        },
        Request::FollowUpHandled {
            person,
            reason,
            coach,
        } => {
            let who = hub.find_participant(&person)?;
            let by = hub.find_person(&coach)?.id;
            hub.mark_handled(&who.id, reason, &by).await?;
            Response::Device {
                message: format!(
                    "Noted: {}'s {} is dealt with; it comes back on the list if it happens again.",
                    who.name,
                    reason.name()
                ),
            }
        }
        Request::ScheduleIcs { group } => {
            let group = hub.find_group(&group)?;
            let sessions = hub.schedule(&group.id)?;
            Response::Text {
                text: crate::ics::calendar(
                    &group.name,
                    &sessions,
                    nabij_protocol::UnixMillis::now(),
                    &crate::ics::CalendarWords::default(),
                ),
            }
        }
    })
}

impl Request {
    /// For a request that changes something: the audit log's line, with what it names
    /// (ids, names, dates) but never a password, a photo or a message's words. `None`
    /// for a request that only reads. Every variant is named, so a new one must decide.
    pub fn audit_line(&self) -> Option<String> {
        use Request::*;
        let changes = match self {
            Enrol { .. }
            | Revoke { .. }
            | Wipe { .. }
            | Return { .. }
            | SetCoachPin { .. }
            | AddParticipant { .. }
            | SetLanguage { .. }
            | AddCoach { .. }
            | AddUser { .. }
            | HelpAnswer { .. }
            | SetCheckIn { .. }
            | SetPhoto { .. }
            | Send { .. }
            | AddGroup { .. }
            | SetDetails { .. }
            | MoveParticipant { .. }
            | SetReminders { .. }
            | SetPickup { .. }
            | ApproveContacts { .. }
            | RemoveContact { .. }
            | ExportParticipant { .. }
            | Backup { .. }
            | EraseParticipant { .. }
            | SchedulePlan { .. }
            | ScheduleMove { .. }
            | ScheduleCancel { .. }
            | ScheduleAdd { .. }
            | AttendanceTake { .. }
            | DiaryPlan { .. }
            | SurveySend { .. }
            | FollowUpHandled { .. } => true,
            Devices { .. }
            | Users
            | HelpList { .. }
            | ShowParticipant { .. }
            | People
            | Groups
            | Loans
            | Status
            | KioskSettings { .. }
            | ScheduleList { .. }
            | ScheduleIcs { .. }
            | AttendanceShow { .. }
            | AttendanceRates { .. }
            | DiaryPrompts
            | DiaryWeeks { .. }
            | DiaryAnswers { .. }
            | SurveyResults { .. }
            | FollowUp { .. } => false,
        };
        if !changes {
            return None;
        }
        // Who was erased is exactly what must not stay behind.
        if let EraseParticipant { .. } = self {
            return Some("erase participant (who is not kept)".into());
        }
        const SECRET: [&str; 7] = [
            "password", "pin", "photo", "image", "text", "caption", "message",
        ];
        let value = serde_json::to_value(self).ok()?;
        let object = value.as_object()?;
        let op = object
            .get("op")
            .and_then(|v| v.as_str())
            .unwrap_or("change");
        let mut line = op.replace('_', " ");
        for (key, v) in object {
            if key == "op" || v.is_null() {
                continue;
            }
            if SECRET.contains(&key.as_str()) {
                line += &format!(" {key}=(not kept)");
            } else {
                let shown = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                line += &format!(" {key}={shown}");
            }
        }
        Some(line)
    }
}

async fn serve_connection(hub: Hub, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(MAX_REQUEST_BYTES));
    let mut line = String::new();
    let response = match reader.read_line(&mut line).await {
        Ok(_) if !line.ends_with('\n') => Response::Error {
            message: "request too large or cut short".into(),
        },
        Ok(_) => match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                let audit = request.audit_line();
                match answer(&hub, request).await {
                    Ok(response) => {
                        if let Some(what) = audit
                            && let Err(e) = hub.audit(COMMAND_LINE, &what).await
                        {
                            tracing::error!(error = %e, what, "could not write the audit log");
                        }
                        response
                    }
                    Err(e) => Response::Error {
                        message: explain(&e),
                    },
                }
            }
            Err(e) => Response::Error {
                message: format!("not a hub request: {e}"),
            },
        },
        Err(e) => Response::Error {
            message: format!("cannot read the request: {e}"),
        },
    };
    let mut bytes = serde_json::to_vec(&response).unwrap_or_default();
    bytes.push(b'\n');
    let _ = write.write_all(&bytes).await;
}

/// Listens on the admin socket until the task is dropped.
pub fn listen(hub: Hub, path: &Path) -> std::io::Result<tokio::task::JoinHandle<()>> {
    // A socket file left by a hub that was killed would block the bind.
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(hub.clone(), stream));
                }
                Err(e) => tracing::error!(error = %e, "admin socket accept failed"),
            }
        }
    }))
}

/// Why a command could not reach the hub.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No hub listens.
    #[error(
        "the hub is not running (nothing answers at {0}); start it with `nabij-hub serve`, with the same --data-dir"
    )]
    NotRunning(PathBuf),
    /// The exchange failed.
    #[error("talking to the hub failed: {0}")]
    Io(#[from] std::io::Error),
    /// The answer made no sense.
    #[error("the hub answered something this command does not understand: {0}")]
    BadAnswer(String),
}

/// Sends one request to the hub behind `path` and waits for its answer.
pub async fn call(path: &Path, request: &Request) -> Result<Response, ClientError> {
    let stream = UnixStream::connect(path)
        .await
        .map_err(|_| ClientError::NotRunning(path.to_owned()))?;
    let (read, mut write) = stream.into_split();
    let mut bytes = serde_json::to_vec(request).unwrap_or_default();
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    serde_json::from_str(&line).map_err(|e| ClientError::BadAnswer(e.to_string()))
}

#[cfg(test)]
mod audit_tests {
    use super::Request;

    #[test]
    fn changes_are_audited_without_secrets_and_reads_are_not() {
        let send = Request::Send {
            from: "Marie Dewulf".into(),
            to: "Oostende Oost".into(),
            message: crate::app::CoachMessage::Text {
                text: "De bus vertrekt om 13:30".into(),
            },
        };
        let line = send.audit_line().expect("a change");
        assert!(
            line.starts_with("send ") && line.contains("to=Oostende Oost"),
            "{line}"
        );
        assert!(
            line.contains("message=(not kept)") && !line.contains("bus"),
            "{line}"
        );
        assert_eq!(Request::People.audit_line(), None);
        assert_eq!(Request::FollowUp { all: false }.audit_line(), None);
    }
}
