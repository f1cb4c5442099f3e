//! The command line: `serve` runs the hub; the other commands are a coach's or an
//! operator's tasks, sent to the running hub over its admin socket.

use crate::admin::{self, Request, Response};
use crate::app::{SurveyReport, SurveySent, SurveySummary};
use crate::clock;
use crate::config::HubConfig;
use crate::domain::accounts::Role as AccountRole;
use crate::domain::calendar::Date;
use crate::domain::devices::DeviceState;
use crate::domain::diary::answer_words;
use crate::domain::followup::Reason;
use crate::domain::loans::Condition;
use crate::domain::reminders::{self, Setting};
use crate::domain::schedule::{Session, SessionState, TimeOfDay};
use crate::domain::surveys::{Instrument, Round};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use nabij_protocol::SessionSeries;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The Nabij hub: the neighbourhood centre's service for the seniors' tablets.
#[derive(Debug, Parser)]
#[command(name = "nabij-hub", version, about)]
pub struct Cli {
    /// The configuration file (optional; every setting has a default).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the hub keeps its data (overrides `data_dir` in the configuration).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The hub's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub: database, managed Mosquitto broker (TLS), enrolment, admin socket.
    Serve(ServeArgs),
    /// Enrol, list, switch off, wipe and take back tablets.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Add and list participants.
    #[command(subcommand)]
    Participant(ParticipantCommand),
    /// Add and list groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Add coaches (the person a group's tablets call from Help).
    #[command(subcommand)]
    Coach(CoachCommand),
    /// Accounts of the web dashboard (admin, coach, staff).
    #[command(subcommand)]
    User(UserCommand),
    /// Send a coach's message to a participant or a whole group.
    #[command(subcommand)]
    Message(MessageCommand),
    /// Calls for help from tablets: list them, and say you will call back.
    #[command(subcommand)]
    Calls(CallsCommand),
    /// Set the photo tablets show for a person (on contact buttons and the Help screen).
    #[command(subcommand)]
    Person(PersonCommand),
    /// Approve who may write to whom (only approved contacts can reach a senior).
    #[command(subcommand)]
    Contact(ContactCommand),
    /// The loan register: which tablet is lent to whom, from when to when.
    #[command(subcommand)]
    Loan(LoanCommand),
    /// A group's meetings: plan the 10 weekly encounters and 10 monthly support
    /// meetings, move, cancel or add one, export them for a calendar.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Who came to a meeting: the sheet (pre-filled from the tablets' "I'm coming" / "I
    /// can't come"), taking it, and each group's rates.
    #[command(subcommand)]
    Attendance(AttendanceCommand),
    /// Who a coach should call, and why: a call for help, sad check-ins, missed meetings,
    /// a silent tablet, nothing sent for weeks.
    #[command(subcommand)]
    Followup(FollowupCommand),
    /// The diary: a prompt about the seniors' network each week, and what they share.
    #[command(subcommand)]
    Diary(DiaryCommand),
    /// The evaluation's questionnaires (loneliness, network size): ask a group, read scores.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// Write a backup of the running hub to FILE: the database as of its last commit, its
    /// photos and voice notes, the certificates and the broker's secrets (one tar file).
    ///
    /// The hub goes on meanwhile. `deploy/nabij-hub-backup.timer` makes one every night.
    Backup {
        /// The file to write (a new one; `.tar` by custom).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Bring a backup back into a new data folder (given with --data-dir), then start the
    /// hub on that folder. The hub need not run; the folder must be empty or not exist.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Fill an empty hub with months of made-up activity, marked as demo data: two
    /// groups, their meetings and attendance, messages, the diary, questionnaires, calls
    /// for help. For trying the dashboard; run it before `serve`, on a data folder of
    /// its own. A hub that holds the demo already is left as it is.
    DemoData {
        /// How long the made-up programme has been going, in months.
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=12))]
        months: u32,
    },
    /// How the hub is doing: broker, store, free disk, certificate, last backup, tablets
    /// online, silent and out of date. Exits with 1 when a part does not work, so a
    /// monitoring check can run it.
    Status,
    /// Print the settings a kiosk needs to reach this hub (host, port, CA, enrolment password).
    KioskSettings {
        /// The host name or address tablets use to reach the hub.
        #[arg(long)]
        host: String,
    },
    /// Check one MQTT payload against the wire protocol, as the hub would on receipt.
    ///
    /// Prints the decoded message, or the reason it would be refused. Useful when
    /// writing or debugging a kiosk: `nabij-hub check-message nabij/v1/dev/d-1/up msg.json`.
    CheckMessage {
        /// The topic the payload would arrive on.
        topic: String,
        /// A file holding the payload; `-` reads standard input.
        file: PathBuf,
    },
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TLS port for tablets (overrides broker.tls_port).
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// TLS port for pairing tablets (overrides broker.pairing_port).
    #[arg(long)]
    pub pairing_port: Option<u16>,
    /// Loopback port for the hub's own broker connection (overrides broker.local_port).
    #[arg(long)]
    pub local_port: Option<u16>,
    /// HTTPS port of the web dashboard (overrides web.port; 0 picks a free one).
    #[arg(long)]
    pub web_port: Option<u16>,
    /// ALSO let tablets on this machine connect WITHOUT encryption on 127.0.0.1:PORT.
    /// Development only: refused while any tablet is enrolled.
    #[arg(long, value_name = "PORT")]
    pub insecure_dev: Option<u16>,
    /// Stop when standard input closes: for a parent process (like `cargo xtask demo`)
    /// that must not leave the hub running when it ends, even when it is killed itself.
    #[arg(long, hide = true)]
    pub until_stdin_closes: bool,
}

/// `device …`
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Pair the tablet that shows CODE with a participant.
    Enrol {
        /// The pairing code on the tablet's screen (e.g. K7P-X4C).
        code: String,
        /// The participant's id or full name.
        #[arg(long)]
        participant: String,
        /// Also put the participant in this group (id or name).
        #[arg(long)]
        group: Option<String>,
    },
    /// List tablets: participant, model, app version, online or last seen, battery.
    List {
        /// Only tablets silent for longer than health.silent_after_days.
        #[arg(long)]
        silent: bool,
    },
    /// Switch a tablet off now (lost, stolen, misused): its connection is cut at once.
    Revoke {
        /// The device id.
        id: String,
    },
    /// Make a tablet erase its data and show a new pairing code.
    Wipe {
        /// The device id.
        id: String,
    },
    /// Set the PIN that opens a tablet's coach settings. Without --pin-stdin a random
    /// PIN is made and printed once.
    Pin {
        /// The device id.
        id: String,
        /// Read the PIN (four digits) from the first line of standard input.
        #[arg(long)]
        pin_stdin: bool,
    },
    /// A tablet came back: record its condition, end the loan, switch it off at once.
    Return {
        /// The device id.
        id: String,
        /// The condition it came back in: good, damaged, broken or lost.
        #[arg(long, value_parser = parse_condition)]
        condition: Condition,
        /// A note for the loan register.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `participant …`
#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Add a participant.
    Add {
        /// Full name.
        #[arg(long)]
        name: String,
        /// Their group (id or name).
        #[arg(long)]
        group: Option<String>,
        /// Their tablet's language: nl (the default), fr or en.
        #[arg(long, value_parser = parse_language)]
        language: Option<nabij_protocol::Language>,
    },
    /// List everyone.
    List,
    /// Show a participant: details, consent, groups over time.
    Show {
        /// The participant (id or full name).
        person: String,
    },
    /// Change a participant's details (an empty text clears a phone or address).
    Set {
        /// The participant (id or full name).
        person: String,
        /// Their phone number, as written.
        #[arg(long)]
        phone: Option<String>,
        /// Their street address.
        #[arg(long)]
        address: Option<String>,
        /// Whether they need transport to the meetings: yes or no.
        #[arg(long, value_parser = parse_yes_no)]
        transport: Option<bool>,
        /// Whether photos of them may be shared with their group: yes or no.
        #[arg(long, value_parser = parse_yes_no)]
        consent_photos: Option<bool>,
        /// Whether their figures may count in the evaluation: yes or no.
        #[arg(long, value_parser = parse_yes_no)]
        consent_research: Option<bool>,
        /// Whether their phone number may be printed on the keepsakes of the people they
        /// are in touch with, at the end of the loan: yes or no.
        #[arg(long, value_parser = parse_yes_no)]
        consent_keepsake: Option<bool>,
    },
    /// When their tablet shows meeting reminders, if not at the hub's times (say, earlier
    /// for someone whose bus comes early). A time not given stays as it is.
    Reminders {
        /// The participant (id or full name).
        person: String,
        /// The day before, from this time, e.g. 17:00; or off.
        #[arg(long, value_parser = parse_day_before)]
        day_before: Option<Setting>,
        /// On the day, this long before the meeting, e.g. 3h or 90m; or off.
        #[arg(long, value_parser = parse_before)]
        before: Option<Setting>,
        /// Back to the hub's times (hub.toml `[reminders]`).
        #[arg(long, conflicts_with_all = ["day_before", "before"])]
        hub_default: bool,
    },
    /// Write everything the hub keeps about a participant to a zip file (JSON and media),
    /// for them to take with them.
    Export {
        /// The participant (id or full name).
        person: String,
        /// The zip file to write (not overwritten if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Erase a participant for good: their details, answers and messages to them go;
    /// messages they sent stay with the people they wrote to, from "a former
    /// participant". Take back or wipe their tablet first.
    Erase {
        /// The participant (id or full name).
        person: String,
        /// Their full name again, to confirm.
        #[arg(long)]
        confirm: String,
    },
    /// Move a participant to another group; the move is kept in their history.
    Move {
        /// The participant (id or full name).
        person: String,
        /// The new group (id or name).
        #[arg(long, required_unless_present = "no_group")]
        group: Option<String>,
        /// Out of any group.
        #[arg(long, conflicts_with = "group")]
        no_group: bool,
    },
}

/// `group …`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a group.
    Add {
        /// Its name, e.g. "Oostende Oost 1".
        #[arg(long)]
        name: String,
        /// The neighbourhood it meets in, e.g. "Oostende Oost".
        #[arg(long)]
        neighbourhood: Option<String>,
    },
    /// List groups.
    List,
}

/// `coach …`
#[derive(Debug, Subcommand)]
pub enum CoachCommand {
    /// Add a coach; with --group, they coach that group (its members' contact and Help).
    Add {
        /// Full name.
        #[arg(long)]
        name: String,
        /// The phone number seniors call, as written ("059 12 34 56").
        #[arg(long)]
        phone: String,
        /// The group they coach (id or name).
        #[arg(long)]
        group: Option<String>,
    },
}

/// `user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard account. Without --password-stdin a password is made and printed
    /// once: give it to its owner in person.
    Add {
        /// The name to log in with (letters, digits, . - _ @).
        #[arg(long)]
        name: String,
        /// admin (accounts, audit log), coach (tablets, people, programme, follow-up,
        /// shared answers) or staff (figures and reports only).
        #[arg(long, value_parser = parse_account_role)]
        role: AccountRole,
        /// For a coach's account: the coach (id or name), as added with `coach add`.
        #[arg(long)]
        coach: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// The language the dashboard speaks to its owner: nl (Dutch), fr (French) or en
        /// (English).
        #[arg(long, value_parser = parse_language, default_value = "nl")]
        language: nabij_protocol::Language,
    },
    /// The dashboard's accounts.
    List,
}

/// `calls …`
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// Seniors who asked to be called, newest first (only those not answered yet).
    List {
        /// Also the calls already answered.
        #[arg(long)]
        all: bool,
    },
    /// Say you will call a participant back: their tablet shows it at once.
    Answer {
        /// The participant (id or full name).
        participant: String,
        /// The coach who will call (id or name).
        #[arg(long)]
        coach: String,
    },
}

/// `person …`
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Set the language a participant's tablet speaks: nl, fr or en.
    Language {
        /// The participant (id or full name).
        person: String,
        /// nl, fr or en.
        #[arg(value_parser = parse_language)]
        language: nabij_protocol::Language,
    },
    /// Turn a participant's daily check-in on or off: once a day their tablet asks "How
    /// are you today?" (three faces, and "Please call me"); sad days show on the
    /// follow-up list.
    CheckIn {
        /// The participant (id or full name).
        person: String,
        /// on or off.
        #[arg(value_parser = parse_on_off, action = clap::ArgAction::Set)]
        on: bool,
    },
    /// Set a person's photo from a JPEG or PNG file (cut to a square and made small).
    Photo {
        /// The person (id or full name).
        person: String,
        /// The photo file.
        file: PathBuf,
    },
}

/// `message …`
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Send words or a photo from a coach: `message send --from Marie --to "Oostende Oost"
    /// --text "The bus leaves at 13:30 tomorrow"`.
    Send {
        /// The coach who sends it (id or name).
        #[arg(long)]
        from: String,
        /// A group (everyone in it) or one participant (an approved contact), id or name.
        #[arg(long)]
        to: String,
        /// The words.
        #[arg(long, required_unless_present = "photo", conflicts_with = "photo")]
        text: Option<String>,
        /// A JPEG or PNG photo file (at most 1 MiB).
        #[arg(long, value_name = "FILE")]
        photo: Option<PathBuf>,
        /// A line shown under the photo.
        #[arg(long, requires = "photo")]
        caption: Option<String>,
    },
}

/// `contact …`
#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Let two people write to each other (ids or full names).
    Approve {
        /// One person.
        a: String,
        /// The other person.
        b: String,
    },
    /// Take an approval back: the two can no longer write to each other.
    Remove {
        /// One person.
        a: String,
        /// The other person.
        b: String,
    },
}

/// `schedule …`
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Plan a group's programme: 10 weekly encounters from --first (a holiday week is
    /// skipped), then 10 monthly meetings on the first same weekday of each month. Every
    /// member's tablet gets them.
    Plan {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// The first encounter's date, e.g. 2027-01-12; the meetings keep its weekday.
        #[arg(long, value_parser = parse_date)]
        first: Date,
        /// The start time, Belgian time, e.g. 14:00.
        #[arg(long, value_parser = parse_time)]
        time: TimeOfDay,
        /// How long a meeting lasts, in minutes.
        #[arg(long, default_value_t = 180)]
        minutes: u32,
        /// The place, e.g. "Buurthuis De Schelp".
        #[arg(long)]
        place: String,
        /// Its street address.
        #[arg(long)]
        address: Option<String>,
    },
    /// List a group's meetings.
    List {
        /// The group (id or name).
        #[arg(long)]
        group: String,
    },
    /// Move a meeting: the group's tablets show the new time at once.
    Move {
        /// The meeting, e.g. s-oostende-oost-w03 (`schedule list` shows them).
        session: String,
        /// The new date, e.g. 2027-01-14.
        #[arg(long, value_parser = parse_date)]
        date: Date,
        /// The new start time, Belgian time, e.g. 14:00.
        #[arg(long, value_parser = parse_time)]
        time: TimeOfDay,
        /// A new place.
        #[arg(long)]
        place: Option<String>,
        /// The new place's address.
        #[arg(long, requires = "place")]
        address: Option<String>,
    },
    /// Cancel a meeting: the group's tablets take it out of their agenda at once.
    Cancel {
        /// The meeting, e.g. s-oostende-oost-w03.
        session: String,
    },
    /// Add a meeting (say, instead of a cancelled one): it takes the first number of its
    /// series without a planned meeting.
    Add {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// weekly (an encounter) or monthly (an ICT support meeting).
        #[arg(long, value_parser = parse_series)]
        series: SessionSeries,
        /// Its date, e.g. 2027-02-03.
        #[arg(long, value_parser = parse_date)]
        date: Date,
        /// Its start time, Belgian time, e.g. 14:00.
        #[arg(long, value_parser = parse_time)]
        time: TimeOfDay,
        /// How long it lasts, in minutes.
        #[arg(long, default_value_t = 180)]
        minutes: u32,
        /// The place.
        #[arg(long)]
        place: String,
        /// Its street address.
        #[arg(long)]
        address: Option<String>,
    },
    /// Arrange transport: when the bus picks a participant up for a meeting (their tablet
    /// shows it); it moves with the meeting.
    Pickup {
        /// The meeting, e.g. s-oostende-oost-w03.
        session: String,
        /// The participant (id or full name).
        person: String,
        /// The pick-up time, Belgian time, e.g. 13:30.
        #[arg(long, value_parser = parse_time, required_unless_present = "none")]
        at: Option<TimeOfDay>,
        /// No transport after all.
        #[arg(long, conflicts_with = "at")]
        none: bool,
    },
    /// Write a group's meetings as an iCalendar file (.ics) for a coach's calendar.
    Ics {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// The file to write (standard output without it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `attendance …`
#[derive(Debug, Subcommand)]
pub enum AttendanceCommand {
    /// Show a meeting's sheet: each member, their answer, their mark.
    Show {
        /// The meeting, e.g. s-oostende-oost-w03.
        session: String,
    },
    /// Take a meeting's attendance in one go: name only the exceptions. Everyone else is
    /// present, except who answered "I can't come": excused.
    Take {
        /// The meeting, e.g. s-oostende-oost-w03.
        session: String,
        /// Absent without a word (name or id; repeat for more).
        #[arg(long)]
        absent: Vec<String>,
        /// Excused (name or id; repeat for more).
        #[arg(long)]
        excused: Vec<String>,
        /// Present after all (say, they answered "I can't come" and came).
        #[arg(long)]
        present: Vec<String>,
    },
    /// A group's attendance over its meetings so far.
    Rates {
        /// The group (id or name).
        #[arg(long)]
        group: String,
    },
}

/// `survey …`
#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Ask a group's members a questionnaire on their tablets (only those who agreed to
    /// count in the evaluation).
    Send {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// dejong6 (De Jong Gierveld loneliness, 6 questions) or lsns6 (Lubben social
        /// network, 6 questions).
        #[arg(long, value_parser = parse_instrument)]
        instrument: Instrument,
        /// start, after-encounters or end.
        #[arg(long, value_parser = parse_round)]
        round: Round,
    },
    /// A group's scores: per member, and the group's mean and change since the start.
    Results {
        /// The group (id or name).
        #[arg(long)]
        group: String,
    },
}

/// `diary …`
#[derive(Debug, Subcommand)]
pub enum DiaryCommand {
    /// The prompts to choose from (in Dutch, as seniors see them; French and English too).
    Prompts,
    /// Give a group its prompt for a week: its tablets get it that morning at 9.
    Plan {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// The prompt, e.g. q-talked-to (`diary prompts` lists them).
        #[arg(long)]
        prompt: String,
        /// The week's first day, e.g. 2027-01-11.
        #[arg(long, value_parser = parse_date)]
        week: Date,
    },
    /// A group's prompts, by week.
    Weeks {
        /// The group (id or name).
        #[arg(long)]
        group: String,
    },
    /// What a group's members shared, per prompt (private answers are only counted).
    Answers {
        /// The group (id or name).
        #[arg(long)]
        group: String,
        /// Only this prompt.
        #[arg(long)]
        prompt: Option<String>,
    },
}

/// `followup …`
#[derive(Debug, Subcommand)]
pub enum FollowupCommand {
    /// The list: who to call, why, since when (most urgent first).
    List {
        /// Also the reasons a coach dealt with already.
        #[arg(long)]
        all: bool,
    },
    /// Note that you dealt with a reason to call someone; it comes back if it happens again.
    Handled {
        /// The participant (id or full name).
        person: String,
        /// asked-for-call, sad-check-ins, missed-meetings, tablet-silent or nothing-sent.
        #[arg(long, value_parser = parse_reason)]
        reason: Reason,
        /// The coach who dealt with it (id or name).
        #[arg(long)]
        by: String,
    },
}

/// `loan …`
#[derive(Debug, Subcommand)]
pub enum LoanCommand {
    /// Show the loan register.
    List,
}

/// Reads the configuration and applies the command-line overrides.
pub fn load_config(cli: &Cli) -> anyhow::Result<HubConfig> {
    let (path, must_exist) = match &cli.config {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from("hub.toml"), false),
    };
    let mut config = HubConfig::load(&path, must_exist)?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    if let Command::Serve(args) = &cli.command {
        if let Some(port) = args.tls_port {
            config.broker.tls_port = port;
        }
        if let Some(port) = args.pairing_port {
            config.broker.pairing_port = port;
        }
        if let Some(port) = args.local_port {
            config.broker.local_port = port;
        }
        if let Some(port) = args.web_port {
            config.web.port = port;
        }
        if args.insecure_dev.is_some() {
            config.insecure_dev_port = args.insecure_dev;
        }
    }
    Ok(config)
}

/// `serve`: the hub until it is asked to stop (see [`crate::shutdown`]), then a clean
/// stop, its broker with it.
async fn serve(config: HubConfig, until_stdin_closes: bool) -> anyhow::Result<ExitCode> {
    crate::shutdown::stop_on_panic();
    let (told, why) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        let stop = crate::shutdown::requested(until_stdin_closes).await;
        tracing::info!(why = ?stop, "stopping");
        let _ = told.send(stop);
    };
    let result = crate::run(config, shutdown).await;
    // Nothing was told when the hub stopped by itself (its store stopped).
    let stop = why.await.ok();
    match result {
        Ok(()) if stop.is_some_and(crate::shutdown::Stop::is_failure) => anyhow::bail!(
            "a part of the hub failed unexpectedly (the panic above says where); the hub and its broker stopped so that it can be started again (under systemd that happens by itself)"
        ),
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ crate::StartError::StoreStopped(_)) => Err(e.into()),
        Err(e) => Err(anyhow::Error::from(e).context("the hub could not start")),
    }
}

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    // A password the command made (for `user add`), printed once after the answer.
    let mut made_password: Option<String> = None;
    // A coach PIN the command made (for `device pin`), printed once after the answer.
    let mut made_pin: Option<String> = None;
    let request = match cli.command {
        Command::Serve(args) => return serve(config, args.until_stdin_closes).await,
        Command::CheckMessage { topic, file } => return check_message(&topic, &file),
        Command::Restore { file } => {
            let summary = crate::backup::restore(&file, &config.data_dir)?;
            println!(
                "Restored {} files ({:.1} MB) into {}. Start the hub with --data-dir {} (or set data_dir in hub.toml).",
                summary.files,
                summary.bytes as f64 / 1e6,
                config.data_dir.display(),
                config.data_dir.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        Command::Backup { out } => {
            // The hub writes the file: it needs the path from the root.
            let out = std::path::absolute(&out)
                .with_context(|| format!("cannot tell where {} is", out.display()))?;
            if out.exists() {
                anyhow::bail!("{} exists already: choose a new file", out.display());
            }
            Request::Backup { out }
        }
        Command::DemoData { months } => return demo_data(&config, months).await,
        Command::Device(DeviceCommand::Enrol {
            code,
            participant,
            group,
        }) => Request::Enrol {
            code,
            participant,
            group,
        },
        Command::Device(DeviceCommand::List { silent }) => Request::Devices {
            silent_only: silent,
        },
        Command::Device(DeviceCommand::Revoke { id }) => Request::Revoke { device: id },
        Command::Device(DeviceCommand::Wipe { id }) => Request::Wipe { device: id },
        Command::Device(DeviceCommand::Pin { id, pin_stdin }) => {
            let pin = if pin_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("could not read the PIN from standard input")?;
                line.trim().to_owned()
            } else {
                // The hub refuses its shared PIN (one draw in 10 000): run it again then.
                let pin = crate::secrets::random_coach_pin("")?;
                made_pin = Some(pin.clone());
                pin
            };
            Request::SetCoachPin { device: id, pin }
        }
        Command::Device(DeviceCommand::Return {
            id,
            condition,
            note,
        }) => Request::Return {
            device: id,
            condition,
            note,
        },
        Command::Participant(ParticipantCommand::Add {
            name,
            group,
            language,
        }) => Request::AddParticipant {
            name,
            group,
            language,
        },
        Command::Person(PersonCommand::Language { person, language }) => {
            Request::SetLanguage { person, language }
        }
        Command::Participant(ParticipantCommand::List) => Request::People,
        Command::Group(GroupCommand::Add {
            name,
            neighbourhood,
        }) => Request::AddGroup {
            name,
            neighbourhood,
        },
        Command::Participant(ParticipantCommand::Show { person }) => {
            Request::ShowParticipant { person }
        }
        Command::Participant(ParticipantCommand::Set {
            person,
            phone,
            address,
            transport,
            consent_photos,
            consent_research,
            consent_keepsake,
        }) => Request::SetDetails {
            person,
            phone,
            address,
            transport,
            consent_photos,
            consent_research,
            consent_keepsake,
        },
        Command::Participant(ParticipantCommand::Reminders {
            person,
            day_before,
            before,
            hub_default,
        }) => Request::SetReminders {
            person,
            day_before,
            before,
            hub_default,
        },
        Command::Participant(ParticipantCommand::Move {
            person,
            group,
            no_group: _,
        }) => Request::MoveParticipant { person, group },
        Command::Schedule(ScheduleCommand::Pickup {
            session,
            person,
            at,
            none: _,
        }) => Request::SetPickup {
            session,
            person,
            at,
        },
        Command::Group(GroupCommand::List) => Request::Groups,
        Command::Coach(CoachCommand::Add { name, phone, group }) => {
            Request::AddCoach { name, phone, group }
        }
        Command::User(UserCommand::Add {
            name,
            role,
            coach,
            password_stdin,
            language,
        }) => {
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("could not read the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (crate::secrets::readable_password()?, true)
            };
            made_password = made.then(|| password.clone());
            Request::AddUser {
                name,
                role,
                coach,
                password,
                language,
            }
        }
        Command::User(UserCommand::List) => Request::Users,
        Command::Calls(CallsCommand::List { all }) => Request::HelpList { all },
        Command::Calls(CallsCommand::Answer { participant, coach }) => {
            Request::HelpAnswer { participant, coach }
        }
        Command::Person(PersonCommand::CheckIn { person, on }) => {
            Request::SetCheckIn { person, on }
        }
        Command::Person(PersonCommand::Photo { person, file }) => Request::SetPhoto {
            person,
            image: nabij_protocol::base64::Base64Bytes(read_photo(&file)?),
        },
        Command::Message(MessageCommand::Send {
            from,
            to,
            text,
            photo,
            caption,
        }) => {
            let message = match (text, photo) {
                (Some(text), _) => crate::app::CoachMessage::Text { text },
                (None, Some(path)) => crate::app::CoachMessage::Photo {
                    image: nabij_protocol::base64::Base64Bytes(read_photo(&path)?),
                    caption,
                },
                (None, None) => anyhow::bail!("say what to send: --text \"…\" or --photo FILE"),
            };
            Request::Send { from, to, message }
        }
        Command::Loan(LoanCommand::List) => Request::Loans,
        Command::Contact(ContactCommand::Approve { a, b }) => Request::ApproveContacts { a, b },
        Command::Contact(ContactCommand::Remove { a, b }) => Request::RemoveContact { a, b },
        Command::KioskSettings { host } => Request::KioskSettings { host },
        Command::Schedule(ScheduleCommand::Plan {
            group,
            first,
            time,
            minutes,
            place,
            address,
        }) => Request::SchedulePlan {
            group,
            first,
            time,
            minutes,
            place,
            address,
        },
        Command::Schedule(ScheduleCommand::List { group }) => Request::ScheduleList { group },
        Command::Schedule(ScheduleCommand::Move {
            session,
            date,
            time,
            place,
            address,
        }) => Request::ScheduleMove {
            session,
            date,
            time,
            place,
            address,
        },
        Command::Schedule(ScheduleCommand::Cancel { session }) => {
            Request::ScheduleCancel { session }
        }
        Command::Schedule(ScheduleCommand::Add {
            group,
            series,
            date,
            time,
            minutes,
            place,
            address,
        }) => Request::ScheduleAdd {
            group,
            series,
            date,
            time,
            minutes,
            place,
            address,
        },
        Command::Attendance(AttendanceCommand::Show { session }) => {
            Request::AttendanceShow { session }
        }
        Command::Attendance(AttendanceCommand::Take {
            session,
            absent,
            excused,
            present,
        }) => Request::AttendanceTake {
            session,
            present,
            absent,
            excused,
        },
        Command::Attendance(AttendanceCommand::Rates { group }) => {
            Request::AttendanceRates { group }
        }
        Command::Followup(FollowupCommand::List { all }) => Request::FollowUp { all },
        Command::Survey(SurveyCommand::Send {
            group,
            instrument,
            round,
        }) => Request::SurveySend {
            group,
            instrument,
            round,
        },
        Command::Survey(SurveyCommand::Results { group }) => Request::SurveyResults { group },
        Command::Diary(DiaryCommand::Prompts) => Request::DiaryPrompts,
        Command::Diary(DiaryCommand::Plan {
            group,
            prompt,
            week,
        }) => Request::DiaryPlan {
            group,
            prompt,
            week,
        },
        Command::Diary(DiaryCommand::Weeks { group }) => Request::DiaryWeeks { group },
        Command::Diary(DiaryCommand::Answers { group, prompt }) => {
            Request::DiaryAnswers { group, prompt }
        }
        Command::Followup(FollowupCommand::Handled { person, reason, by }) => {
            Request::FollowUpHandled {
                person,
                reason,
                coach: by,
            }
        }
        Command::Participant(ParticipantCommand::Erase { person, confirm }) => {
            Request::EraseParticipant { person, confirm }
        }
        Command::Status => {
            let response =
                admin::call(&admin::socket_path(&config.data_dir), &Request::Status).await?;
            let Response::Status(health) = response else {
                eprintln!("nabij-hub: {}", render(&response).err().unwrap_or_default());
                return Ok(ExitCode::from(2));
            };
            print!("{}", crate::status::words(&health));
            let broken = health.level() == crate::domain::health::Level::Problem;
            return Ok(if broken {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        Command::Participant(ParticipantCommand::Export { person, out }) => {
            let response = admin::call(
                &admin::socket_path(&config.data_dir),
                &Request::ExportParticipant { person },
            )
            .await?;
            let Response::File { bytes, .. } = response else {
                eprintln!("nabij-hub: {}", render(&response).err().unwrap_or_default());
                return Ok(ExitCode::from(2));
            };
            write_new_file(&out, &bytes.0)?;
            println!(
                "Written to {} ({} bytes). It holds personal data: hand it over, then delete it.",
                out.display(),
                bytes.0.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        Command::Schedule(ScheduleCommand::Ics { group, out }) => {
            let response = admin::call(
                &admin::socket_path(&config.data_dir),
                &Request::ScheduleIcs { group },
            )
            .await?;
            return match (response, out) {
                (Response::Text { text }, Some(path)) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("Written to {}.", path.display());
                    Ok(ExitCode::SUCCESS)
                }
                (Response::Text { text }, None) => {
                    print!("{text}");
                    Ok(ExitCode::SUCCESS)
                }
                (other, _) => {
                    eprintln!("nabij-hub: {}", render(&other).err().unwrap_or_default());
                    Ok(ExitCode::from(2))
                }
            };
        }
    };
    let response = admin::call(&admin::socket_path(&config.data_dir), &request).await?;
    match render(&response) {
        Ok(text) => {
            print!("{text}");
            if let Some(password) = made_password {
                println!(
                    "Password: {password}\nGive it to its owner in person; it is not shown again."
                );
            }
            if let Some(pin) = made_pin {
                println!(
                    "Coach PIN: {pin}\nTell it to the tablet's coaches in person; it is not shown again."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("nabij-hub: {message}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `2027-01-12`.
fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("{text:?} is not a date: write it like 2027-01-12"))
}

/// `17:00` or `off`.
fn parse_day_before(text: &str) -> Result<Setting, String> {
    Setting::day_before(text).map_err(|e| e.to_string())
}

/// `3h`, `90m` or `off`.
fn parse_before(text: &str) -> Result<Setting, String> {
    Setting::before(text).map_err(|e| e.to_string())
}

/// `dejong6` or `lsns6`.
fn parse_instrument(text: &str) -> Result<Instrument, String> {
    Instrument::parse(&text.to_lowercase()).ok_or_else(|| {
        format!("{text:?} is not a questionnaire: write dejong6 (loneliness) or lsns6 (network)")
    })
}

/// `start`, `after-encounters` or `end`.
fn parse_round(text: &str) -> Result<Round, String> {
    Round::parse(&text.to_lowercase())
        .ok_or_else(|| format!("{text:?} is not a round: write start, after-encounters or end"))
}

/// `14:00`.
fn parse_time(text: &str) -> Result<TimeOfDay, String> {
    TimeOfDay::parse(text).ok_or_else(|| format!("{text:?} is not a time: write it like 14:00"))
}

/// `yes` or `no`.
fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(format!("{other:?}: say yes or no")),
    }
}

/// `on` or `off`.
fn parse_on_off(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{other:?}: say on or off")),
    }
}

/// `admin`, `coach` or `staff`.
fn parse_account_role(text: &str) -> Result<AccountRole, String> {
    AccountRole::parse(text.trim())
        .ok_or_else(|| format!("{text:?} is not a role: use admin, coach or staff"))
}

/// A follow-up reason's name.
fn parse_reason(text: &str) -> Result<Reason, String> {
    Reason::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Reason::ALL.iter().map(|r| r.name()).collect();
        format!("{text:?} is not a reason: use {}", names.join(", "))
    })
}

/// `weekly` or `monthly`.
fn parse_series(text: &str) -> Result<SessionSeries, String> {
    match text.trim().to_lowercase().as_str() {
        "weekly" => Ok(SessionSeries::Weekly),
        "monthly" => Ok(SessionSeries::Monthly),
        other => Err(format!("{other:?} is not a series: use weekly or monthly")),
    }
}

/// `good`, `damaged`, `broken` or `lost`.
fn parse_condition(text: &str) -> Result<Condition, String> {
    Condition::parse(text).ok_or_else(|| {
        format!(
            "{:?} is not a condition: use good, damaged, broken or lost",
            text.trim()
        )
    })
}

/// `nl`, `fr` or `en`.
fn parse_language(text: &str) -> Result<nabij_protocol::Language, String> {
    match text.trim().to_lowercase().as_str() {
        "nl" => Ok(nabij_protocol::Language::Nl),
        "fr" => Ok(nabij_protocol::Language::Fr),
        "en" => Ok(nabij_protocol::Language::En),
        other => Err(format!(
            "{other:?} is not a language: use nl (Dutch), fr (French) or en (English)"
        )),
    }
}

/// Writes a file that must not replace another (an export of personal data).
fn write_new_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {} (if it exists, choose another name)",
                path.display()
            )
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a photo file, refusing one too large to send before it is read whole.
fn read_photo(path: &Path) -> anyhow::Result<Vec<u8>> {
    let limit = nabij_protocol::limits::MAX_PHOTO_BYTES;
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the photo {}", path.display()))?
        .len();
    if size > limit as u64 {
        anyhow::bail!(
            "the photo {} is {size} bytes; at most {limit} can be sent: make it smaller (e.g. 1600 pixels wide, JPEG quality 85)",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read the photo {}", path.display()))
}

/// How a coach erases a tablet taken back: on the tablet itself, since it can no longer
/// reach the hub.
const ERASE_AT_THE_TABLET: &str = "To lend it again, erase it on the tablet: Help, \"For the coach\" (tap it three times), the coach PIN, \"Erase this tablet\"; it then shows a new pairing code.";

/// Turns the hub's answer into what the coach reads.
pub fn render(response: &Response) -> Result<String, String> {
    let now = clock::now();
    let mut out = String::new();
    match response {
        Response::Error { message } => return Err(message.clone()),
        Response::Enrolled(summary) => {
            out += &format!(
                "Tablet {} is now lent to {} ({}). It connects by itself within a few seconds.\n",
                summary.device, summary.participant.name, summary.participant.id
            );
        }
        Response::Devices {
            rows,
            silent_after_days,
        } => {
            if rows.is_empty() {
                return Ok("No tablets.\n".into());
            }
            out += &format!(
                "{:<20} {:<24} {:<16} {:<8} {:<22} {}\n",
                "DEVICE", "PARTICIPANT", "MODEL", "APP", "SEEN", "BATTERY"
            );
            for row in rows {
                let d = &row.device;
                let seen = match (d.state, d.online, d.last_seen) {
                    (DeviceState::Revoked, _, _) => "switched off".to_owned(),
                    (DeviceState::Wiped, _, _) => "wiped".to_owned(),
                    (DeviceState::WipePending, _, _) => "wipe pending".to_owned(),
                    (_, true, _) => "online".to_owned(),
                    (_, false, Some(t)) => clock::ago(now, t),
                    (_, false, None) => "never connected".to_owned(),
                };
                let seen = if row.silent {
                    format!("SILENT, {seen}")
                } else {
                    seen
                };
                let battery = match (d.battery_pct, d.charging) {
                    (Some(p), Some(true)) => format!("{p}% charging"),
                    (Some(p), _) => format!("{p}%"),
                    (None, _) => "-".to_owned(),
                };
                // One row per tablet, whatever an older hub let a tablet store in its
                // model or version (the protocol now refuses line breaks there).
                let one_line = |s: &str| -> String {
                    s.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect()
                };
                out += &format!(
                    "{:<20} {:<24} {:<16} {:<8} {:<22} {}\n",
                    d.id,
                    one_line(&row.participant_name),
                    one_line(&d.profile),
                    one_line(&d.app_version),
                    seen,
                    battery
                );
            }
            if rows.iter().any(|r| r.silent) {
                out += &format!(
                    "SILENT: not heard from for {silent_after_days} days or more: call the participant.\n"
                );
            }
        }
        Response::Device { message } => out += &format!("{message}\n"),
        Response::Help { rows } => {
            if rows.is_empty() {
                return Ok("No one is waiting for a call.\n".into());
            }
            out += &format!("{:<28} {:<16} {}\n", "PARTICIPANT", "ASKED", "ANSWERED");
            for row in rows {
                out += &format!(
                    "{:<28} {:<16} {}\n",
                    row.participant_name,
                    clock::ago(now, row.asked_at),
                    row.answered_at
                        .map_or_else(|| "WAITING".to_owned(), |t| clock::ago(now, t)),
                );
            }
        }
        Response::Loan { loan } => match loan {
            Some(loan) => {
                out += &format!(
                    "Loan {} closed; the tablet is switched off (its connection is cut). {ERASE_AT_THE_TABLET}\n",
                    loan.number
                )
            }
            None => {
                out += &format!(
                    "This tablet had no loan on record; it is switched off. {ERASE_AT_THE_TABLET}\n"
                )
            }
        },
        Response::Person(p) => out += &format!("Added {} ({}).\n", p.name, p.id),
        Response::UserAdded(account) => {
            out += &format!(
                "Added the {} account {:?}{}.\n",
                account.role.name(),
                account.name.as_str(),
                account
                    .coach
                    .as_ref()
                    .map_or_else(String::new, |c| format!(" for coach {c}"))
            )
        }
        Response::Users { accounts } => {
            if accounts.is_empty() {
                return Ok("No dashboard accounts yet: add one with `nabij-hub user add --name NAME --role admin`.\n".into());
            }
            out += &format!(
                "{:<24} {:<6} {:<22} {}\n",
                "NAME", "ROLE", "COACH", "LANGUAGE"
            );
            for a in accounts {
                out += &format!(
                    "{:<24} {:<6} {:<22} {}\n",
                    a.name.as_str(),
                    a.role.name(),
                    a.coach.as_ref().map_or("-", |c| c.as_str()),
                    match a.language {
                        nabij_protocol::Language::Nl => "nl",
                        nabij_protocol::Language::Fr => "fr",
                        nabij_protocol::Language::En => "en",
                    }
                );
            }
        }
        Response::Group(g) => out += &format!("Added group {} ({}).\n", g.name, g.id),
        Response::Participant {
            person,
            history,
            reminders,
        } => {
            let yes = |b: bool| if b { "yes" } else { "no" };
            out += &format!("{} ({})\n", person.name, person.id);
            out += &format!("  phone:      {}\n", person.phone.as_deref().unwrap_or("-"));
            out += &format!(
                "  address:    {}\n",
                person.address.as_deref().unwrap_or("-")
            );
            out += &format!("  transport:  {}\n", yes(person.transport));
            out += &format!(
                "  consent:    photos {}, evaluation {}, number on keepsakes {}\n",
                yes(person.consent.photos),
                yes(person.consent.research),
                yes(person.consent.phone_on_keepsakes)
            );
            out += &format!(
                "  check-in:   {}\n",
                if person.check_in { "on" } else { "off" }
            );
            out += &format!(
                "  reminders:  {} ({})\n",
                reminders::describe(reminders),
                if person.reminders.is_some() {
                    "their own"
                } else {
                    "the hub's"
                }
            );
            if history.is_empty() {
                out += "  groups:     none\n";
            }
            for (m, name) in history {
                let date = |t: nabij_protocol::UnixMillis| {
                    if t.0 == 0 {
                        "before records".to_owned()
                    } else {
                        let (y, mo, d) = clock::civil_date(t);
                        format!("{y:04}-{mo:02}-{d:02}")
                    }
                };
                out += &format!(
                    "  group:      {name}, from {}{}\n",
                    date(m.from),
                    m.until
                        .map(|u| format!(" until {}", date(u)))
                        .unwrap_or_default()
                );
            }
        }
        Response::People { people } => {
            for p in people {
                let group = p.group.as_ref().map(|g| g.to_string()).unwrap_or_default();
                out += &format!(
                    "{:<28} {:<30} {:<12} {}\n",
                    p.id,
                    p.name,
                    format!("{:?}", p.role).to_lowercase(),
                    group
                );
            }
        }
        Response::Groups { groups } => {
            for g in groups {
                out += &format!("{:<28} {}\n", g.id, g.name);
            }
        }
        Response::Loans { loans } => {
            out += &format!(
                "{:<6} {:<20} {:<20} {:<24} {:<12} {:<12} {}\n",
                "LOAN", "TABLET", "DEVICE", "PARTICIPANT", "FROM", "RETURNED", "CONDITION"
            );
            for l in loans {
                let date = |t: nabij_protocol::UnixMillis| {
                    let (y, m, d) = clock::civil_date(t);
                    format!("{y:04}-{m:02}-{d:02}")
                };
                out += &format!(
                    "{:<6} {:<20} {:<20} {:<24} {:<12} {:<12} {}\n",
                    l.number,
                    l.tablet,
                    l.device,
                    l.participant,
                    date(l.lent_at),
                    l.returned_at.map(date).unwrap_or_else(|| "-".into()),
                    l.condition
                        .map(|c| format!("{c:?}").to_lowercase())
                        .or(l.note.clone())
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        Response::Text { text } => out += text,
        Response::File { name, bytes } => {
            out += &format!(
                "A file, {name} ({} bytes): write it with --out.\n",
                bytes.0.len()
            );
        }
        Response::Sessions { group, sessions } => {
            if sessions.is_empty() {
                return Ok(format!(
                    "{group} has no meetings yet; plan them with `nabij-hub schedule plan`.\n"
                ));
            }
            out += &format!("{group}: {} meetings\n", sessions.len());
            out += &format!(
                "{:<28} {:<30} {:<28} {}\n",
                "MEETING", "WHEN", "PLACE", "WHAT"
            );
            for s in sessions {
                out += &session_line(s);
            }
        }
        Response::Sheet(sheet) => {
            out += &session_line(&sheet.session);
            out += &format!("{:<28} {:<14} {}\n", "PARTICIPANT", "ANSWERED", "MARK");
            for row in &sheet.rows {
                let answered = match row.rsvp {
                    Some(nabij_protocol::RsvpAnswer::Coming) => "coming",
                    Some(nabij_protocol::RsvpAnswer::NotComing) => "not coming",
                    None => "-",
                };
                let mark = match row.mark {
                    Some(mark) => mark.word().to_owned(),
                    None => format!("({})", row.suggested.word()),
                };
                out += &format!("{:<28} {:<14} {mark}\n", row.name, answered);
            }
            if sheet.rows.iter().all(|r| r.mark.is_none()) {
                out +=
                    "Not taken yet; (…) is what `attendance take` marks unless told otherwise.\n";
            }
        }
        Response::Rates(rates) => {
            out += &format!(
                "{}: {} meetings with attendance taken\n",
                rates.group, rates.meetings
            );
            out += &format!(
                "{:<28} {:>8} {:>8} {:>8} {:>6}\n",
                "PARTICIPANT", "PRESENT", "ABSENT", "EXCUSED", "RATE"
            );
            let rate = |t: &crate::domain::attendance::Tally| {
                t.rate_pct()
                    .map_or_else(|| "-".to_owned(), |p| format!("{p}%"))
            };
            for row in &rates.rows {
                let t = &row.tally;
                out += &format!(
                    "{:<28} {:>8} {:>8} {:>8} {:>6}\n",
                    row.name,
                    t.present,
                    t.absent,
                    t.excused,
                    rate(t)
                );
            }
            let t = &rates.total;
            out += &format!(
                "{:<28} {:>8} {:>8} {:>8} {:>6}\n",
                "ALL",
                t.present,
                t.absent,
                t.excused,
                rate(t)
            );
        }
        Response::Prompts { prompts } => {
            for p in prompts {
                let ways: Vec<String> = [
                    (!p.choices.is_empty()).then(|| format!("{} choices", p.choices.len())),
                    p.allow_text.then(|| "words".to_owned()),
                    p.allow_voice.then(|| "voice".to_owned()),
                ]
                .into_iter()
                .flatten()
                .collect();
                out += &format!(
                    "{:<18} {}  ({})\n",
                    p.prompt_id,
                    p.question.nl,
                    ways.join(", ")
                );
            }
        }
        Response::DiaryWeeks { group, weeks } => {
            if weeks.is_empty() {
                return Ok(format!(
                    "{group} has no diary prompts planned; plan one with `nabij-hub diary plan`.\n"
                ));
            }
            out += &format!("{group}:\n");
            for (week, question) in weeks {
                let state = if week.sent_at.is_some() {
                    "sent"
                } else {
                    "planned"
                };
                out += &format!(
                    "week from {}  {:<18} {:<8} {question}\n",
                    week.from, week.prompt, state
                );
            }
        }
        Response::DiaryAnswers { answers } => {
            if answers.is_empty() {
                return Ok("No diary prompts for this group yet.\n".into());
            }
            for a in answers {
                out += &format!(
                    "{} (week from {}): {}\n",
                    a.prompt.prompt_id, a.week, a.prompt.question.nl
                );
                for s in &a.shared {
                    let said = answer_words(&a.prompt, &s.answer, &s.named);
                    out += &format!("  {:<24} {said}\n", s.name);
                }
                if a.shared.is_empty() {
                    out += "  (no answers shared yet)\n";
                }
                if a.private > 0 {
                    out += &format!(
                        "  and {} {} kept for themselves\n",
                        a.private,
                        if a.private == 1 { "answer" } else { "answers" }
                    );
                }
            }
        }
        Response::SurveySent {
            group,
            instrument,
            round,
            sent,
        } => out += &survey_sent_words(group, *instrument, *round, sent),
        Response::SurveyReport(report) => out += &survey_report_words(report),
        Response::FollowUp { rows } => {
            if rows.is_empty() {
                return Ok("No one needs a call now.\n".into());
            }
            out += &format!(
                "{:<24} {:<18} {:<34} {:<12} {}\n",
                "PARTICIPANT", "GROUP", "WHY", "SINCE", "DEALT WITH"
            );
            for row in rows {
                let why = row.concern.reason.words();
                let dealt = row.handled.as_ref().map_or_else(
                    || "-".to_owned(),
                    |(by, at)| format!("{by}, {}", clock::ago(now, *at)),
                );
                out += &format!(
                    "{:<24} {:<18} {:<34} {:<12} {dealt}\n",
                    row.name,
                    row.group.as_deref().unwrap_or("-"),
                    why,
                    clock::ago(now, row.concern.since)
                );
            }
            out += "When you have dealt with one: `nabij-hub followup handled NAME --reason … --by YOU`.\n";
        }
        Response::Session { done, session } => {
            out += &format!("Meeting {} {done}:\n", session.id);
            out += &session_line(session);
        }
        Response::Status(health) => out += &crate::status::words(health),
    }
    Ok(out)
}

/// Names, joined for a sentence.
fn names(list: &[String]) -> String {
    list.join(", ")
}

fn survey_sent_words(
    group: &str,
    instrument: Instrument,
    round: Round,
    sent: &SurveySent,
) -> String {
    let mut out = String::new();
    let what = format!("the {} questionnaire ({})", instrument.name(), round.name());
    if sent.asked.is_empty() {
        out += &format!("No one in {group} was asked {what}.\n");
    } else {
        out += &format!(
            "{group}: {what} is on its way to {} ({}).\n",
            names(&sent.asked),
            sent.asked.len()
        );
    }
    if !sent.no_tablet.is_empty() {
        out += &format!(
            "  {} {} no tablet yet: it comes when the tablet first connects.\n",
            names(&sent.no_tablet),
            if sent.no_tablet.len() == 1 {
                "has"
            } else {
                "have"
            }
        );
    }
    if !sent.answered_already.is_empty() {
        out += &format!(
            "  Not asked again: {} answered this round already.\n",
            names(&sent.answered_already)
        );
    }
    if !sent.no_consent.is_empty() {
        out += &format!(
            "  Not asked: {} did not agree to count in the evaluation (`nabij-hub participant set NAME --consent-research yes` once they do).\n",
            names(&sent.no_consent)
        );
    }
    out
}

fn survey_report_words(report: &SurveyReport) -> String {
    if report.rows.is_empty() {
        return format!(
            "{} has no questionnaires yet; ask one with `nabij-hub survey send`.\n",
            report.group
        );
    }
    let mut out = format!(
        "{}: questionnaires (only members who agreed to count in the evaluation)\n",
        report.group
    );
    for instrument in Instrument::ALL {
        let summaries: Vec<&SurveySummary> = report
            .summaries
            .iter()
            .filter(|s| s.instrument == instrument)
            .collect();
        if summaries.is_empty() {
            continue;
        }
        out += &format!("\n{}: {}\n", instrument.name(), instrument.about());
        out += &format!(
            "  {:<18} {:>8} {:>6} {:>8} {:>8}  {}\n",
            "ROUND", "ANSWERED", "ASKED", "MEAN", "AT RISK", "CHANGE SINCE START"
        );
        for s in summaries {
            let mean = s
                .mean
                .map(|m| format!("{m:.1}/{}", s.max))
                .unwrap_or_else(|| "-".into());
            let risk = s
                .at_risk
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into());
            let change = match s.change_since_start {
                Some((change, n)) => format!("{change:+.1} (over {n})"),
                None => String::new(),
            };
            let line = format!(
                "  {:<18} {:>8} {:>6} {:>8} {:>8}  {change}",
                s.round.name(),
                s.answered,
                s.asked,
                mean,
                risk
            );
            out += line.trim_end();
            out += "\n";
        }
    }
    out += &format!(
        "\n{:<24} {:<8} {:<18} {:<8} {:<24} {}\n",
        "PARTICIPANT", "WHICH", "ROUND", "SCORE", "PARTS", "ANSWERED"
    );
    for row in &report.rows {
        let (score, parts, when) = match &row.asked.answered {
            Some(a) => {
                let t = nabij_protocol::time::brussels(a.at);
                (
                    format!(
                        "{}/{}{}",
                        a.score.total,
                        a.score.max,
                        if a.score.at_risk == Some(true) {
                            " !"
                        } else {
                            ""
                        }
                    ),
                    a.score
                        .parts
                        .iter()
                        .map(|(part, points)| format!("{part} {points}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    format!("{:04}-{:02}-{:02}", t.year, t.month, t.day),
                )
            }
            None => ("-".into(), String::new(), "not yet".into()),
        };
        out += &format!(
            "{:<24} {:<8} {:<18} {:<8} {:<24} {when}\n",
            row.name,
            row.asked.instrument.name(),
            row.asked.round.name(),
            score,
            parts
        );
    }
    if report.rows.iter().any(|r| {
        r.asked
            .answered
            .as_ref()
            .is_some_and(|a| a.score.at_risk == Some(true))
    }) {
        out += "! at risk of social isolation\n";
    }
    out
}

/// `demo-data`: the demo written into the hub's data folder (the hub must not be running).
async fn demo_data(config: &HubConfig, months: u32) -> anyhow::Result<ExitCode> {
    let outcome = crate::demo::write(config, months)
        .await
        .with_context(|| format!("no demo data written to {}", config.data_dir.display()))?;
    match outcome {
        crate::demo::Outcome::AlreadyThere => {
            println!("This hub holds the demo data already; nothing was added.");
        }
        crate::demo::Outcome::Filled(f) => println!(
            "Demo data written (made up, marked {}): {} groups, {} participants, {} tablets, \
             {} messages, {} meetings with attendance, {} diary answers, {} questionnaires \
             answered, {} calls for help.",
            crate::demo::DEMO_MARK,
            f.groups,
            f.participants,
            f.tablets,
            f.messages,
            f.meetings_taken,
            f.diary_answers,
            f.questionnaires,
            f.help_calls
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// One meeting on one line, in Belgian time.
fn session_line(s: &Session) -> String {
    let what = format!(
        "{}{}",
        s.what_words(),
        if s.state == SessionState::Cancelled {
            "  CANCELLED"
        } else {
            ""
        }
    );
    format!(
        "{:<28} {:<30} {:<28} {what}\n",
        s.id,
        s.when_words(),
        s.place
    )
}

fn check_message(topic: &str, file: &Path) -> anyhow::Result<ExitCode> {
    let payload = read_payload(file)?;
    match crate::check::check_message(topic, &payload) {
        Ok(report) => {
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            eprintln!("refused: {refusal}");
            Ok(ExitCode::from(2))
        }
    }
}

fn read_payload(file: &Path) -> anyhow::Result<Vec<u8>> {
    // Read one byte past the largest allowed payload: enough to say "too large" without
    // holding an arbitrarily large file in memory.
    let limit = nabij_protocol::limits::MAX_PAYLOAD_BYTES as u64 + 1;
    let mut payload = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut payload)
            .context("reading standard input")?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("cannot open {}", file.display()))?
            .take(limit)
            .read_to_end(&mut payload)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        // clap checks its own definition only when a command is parsed in a debug build:
        // this checks every subcommand at once.
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn each_tablet_is_one_row_of_device_list_whatever_it_stored() {
        let mut device = crate::domain::devices::sample("d-1", "p-jan");
        device.profile = "pinetab2\nd-fake      Mia".into();
        device.app_version = "0.1.0\r".into();
        let text = render(&Response::Devices {
            rows: vec![crate::app::DeviceRow {
                device,
                participant_name: "Jan".into(),
                silent: false,
            }],
            silent_after_days: 7,
        })
        .unwrap();
        assert_eq!(text.lines().count(), 2, "a header and one row: {text}");
    }

    #[test]
    fn words_on_the_command_line_are_read_or_refused_clearly() {
        assert_eq!(parse_on_off(" ON "), Ok(true));
        assert_eq!(parse_yes_no("No"), Ok(false));
        assert!(parse_on_off("yes").unwrap_err().contains("on or off"));
        assert_eq!(parse_series("Monthly"), Ok(SessionSeries::Monthly));
        assert!(parse_date("2027-02-30").unwrap_err().contains("2027-01-12"));
        assert!(parse_time("25:00").unwrap_err().contains("14:00"));
        assert_eq!(parse_reason("tablet-silent"), Ok(Reason::TabletSilent));
        assert_eq!(parse_condition("lost"), Ok(Condition::Lost));
        assert_eq!(parse_instrument("LSNS6"), Ok(Instrument::Lsns6));
        assert!(parse_instrument("ucla").unwrap_err().contains("dejong6"));
        assert_eq!(parse_round("after-encounters"), Ok(Round::AfterEncounters));
        assert!(parse_round("middle").unwrap_err().contains("start"));
    }
}
