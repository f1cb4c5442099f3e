//! Figures for the project's evaluation: attendance per group and per meeting, each
//! group's network over the months since its first meeting (different people written
//! to, ties formed, the ties now, people named in the diary), and the questionnaires'
//! outcomes per round; on a page (maud, in the reader's language, charts drawn by
//! `charts.rs`, each with a sentence above it saying what changed) and as CSV for Excel
//! (`csv.rs`).
//!
//! The evaluation's rules hold for everyone who reads a report (`domain::evaluation`):
//! only members who agreed to count are counted; a figure about fewer than five people
//! is withheld ("too few to show"), and a group with fewer than five members who agreed
//! shows none of its figures. Staff and admins never see a name: members are numbered
//! afresh, in a random order, each time a report is made, and rows follow the numbers,
//! so two reports cannot be joined to each other or to a coach's list. A coach sees the
//! names of their own group's members (whom they know) on the page; every CSV is
//! numbered, since files leave the hub.

use super::charts::{self, Axes, Slot};
use super::csv::Csv;
use super::html;
use super::lang::{self, t};
use super::meetings::meeting_name;
use super::signed::{Reports, Signed};
use super::{Me, Web, failed};
use crate::app::{AppError, NetworkReport, Rates, SurveyReport, SurveySummary};
use crate::domain::accounts::Role;
use crate::domain::attendance::Tally;
use crate::domain::evaluation::{self, FEWEST_COUNTED, Figure};
use crate::domain::people::Group;
use crate::domain::surveys::{Instrument, Round};
use crate::secrets;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use nabij_protocol::Language;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/reports", get(reports))
        .route("/reports/attendance.csv", get(attendance_csv))
        .route("/reports/network.csv", get(network_csv))
        .route("/reports/questionnaires.csv", get(questionnaires_csv))
}

/// Months of network figures shown and exported (none before the group's first meeting).
const NETWORK_MONTHS: usize = 6;

/// What a report says about one group, counted as the evaluation counts.
struct GroupFigures {
    group: Group,
    /// Its members, whether they agreed or not.
    members: usize,
    /// Attendance of the members who agreed.
    attendance: Rates,
    /// The network of the members who agreed.
    network: NetworkReport,
    /// The questionnaires of the members who agreed.
    surveys: SurveyReport,
}

impl GroupFigures {
    /// Members who agreed to count.
    fn counted(&self) -> usize {
        self.network.members.len()
    }

    /// Why none of the group's figures are shown, if so: nobody agreed (no data), or
    /// fewer than five did (too few).
    fn withheld(&self) -> Option<Figure<String>> {
        match self.counted() {
            0 => Some(Figure::NoData),
            n if n < FEWEST_COUNTED => Some(Figure::TooFew),
            _ => None,
        }
    }
}

/// Every group's figures.
fn gather(web: &Web) -> Result<Vec<GroupFigures>, AppError> {
    let mut out = Vec::new();
    for group in web.hub.groups()? {
        let network = web.hub.network_growth(&group.id, NETWORK_MONTHS)?;
        out.push(GroupFigures {
            members: network.members.len() + network.not_counted,
            attendance: web.hub.attendance_counted(&group.id)?,
            surveys: web.hub.survey_report(&group.id)?,
            network,
            group,
        });
    }
    Ok(out)
}

/// How one report shows a group's counted members.
struct Labels {
    /// Per member, in the network report's order: a name or a number.
    full: Vec<String>,
    /// The same, short enough for the ring (a first name).
    short: Vec<String>,
    /// The members in the order shown: by number, or by name.
    order: Vec<usize>,
}

/// Names (`named`), or numbers drawn afresh for this report.
fn labels(report: &NetworkReport, named: bool) -> Result<Labels, AppError> {
    let n = report.members.len();
    if named {
        let full: Vec<String> = report.members.iter().map(|(_, n)| n.clone()).collect();
        let short = full
            .iter()
            .map(|name| name.split_whitespace().next().unwrap_or(name).to_owned())
            .collect();
        // The network report lists its members by name.
        return Ok(Labels {
            full,
            short,
            order: (0..n).collect(),
        });
    }
    let drawn = secrets::shuffled(n)?;
    let full: Vec<String> = drawn.iter().map(|d| (d + 1).to_string()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| drawn[i]);
    Ok(Labels {
        short: full.clone(),
        full,
        order,
    })
}

/// Whether `me` sees the names of `group`'s members: a coach, in their own group.
fn sees_names(me: &Me, group: &Group) -> bool {
    me.account.role == Role::Coach
        && me.account.coach.is_some()
        && group.coach.as_ref() == me.account.coach.as_ref()
}

// ----- Words -----

/// A withheld or missing figure in words; a shown one as given.
fn words(lang: Language, figure: Figure<String>) -> String {
    match figure {
        Figure::Shown(text) => text,
        Figure::TooFew => t!(lang, "too few to show").to_owned(),
        Figure::NoData => t!(lang, "no data").to_owned(),
    }
}

/// A group's or a meeting's marks, as a figure about the `people` counted in them.
fn tally_figure(people: usize, tally: &Tally) -> Figure<Tally> {
    if tally.marked() == 0 {
        return Figure::NoData;
    }
    evaluation::about(people, || *tally)
}

fn percent(lang: Language, tally: &Tally) -> String {
    tally
        .rate_pct()
        .map_or_else(|| t!(lang, "no data").to_owned(), |p| t!(lang, "{}%", p))
}

fn breakdown(tally: &Tally) -> String {
    format!("{} / {} / {}", tally.present, tally.excused, tally.absent)
}

/// `2027-03` in words: `mrt 2027`.
fn month_words(lang: Language, month: &str) -> String {
    let (year, number) = charts::parse_month(month);
    lang::month_year(lang, year, number)
}

fn instrument_title(lang: Language, instrument: Instrument) -> &'static str {
    match instrument {
        Instrument::Dejong6 => t!(lang, "Loneliness (De Jong Gierveld, 6 questions)"),
        Instrument::Lsns6 => t!(lang, "Social network (Lubben, LSNS-6)"),
    }
}

fn instrument_scale(lang: Language, instrument: Instrument) -> &'static str {
    match instrument {
        Instrument::Dejong6 => t!(lang, "Scale 0 to 6: a higher score is lonelier."),
        Instrument::Lsns6 => t!(
            lang,
            "Scale 0 to 30: a higher score is a larger network; below 12 is at risk of isolation."
        ),
    }
}

fn round_name(lang: Language, round: Round) -> &'static str {
    match round {
        Round::Start => t!(lang, "Start"),
        Round::AfterEncounters => t!(lang, "After the encounters"),
        Round::End => t!(lang, "End"),
    }
}

/// A round on a chart's axis, short.
fn round_slot(lang: Language, round: Round) -> Slot {
    let label = match round {
        Round::Start => t!(lang, "start"),
        Round::AfterEncounters => t!(lang, "after 10 weeks"),
        Round::End => t!(lang, "end"),
    };
    Slot {
        label: label.to_owned(),
        under: None,
    }
}

/// When a later round was, in a sentence: "after the encounters", "at the end".
fn round_when(lang: Language, round: Round) -> &'static str {
    match round {
        Round::Start => t!(lang, "at the start"),
        Round::AfterEncounters => t!(lang, "after the encounters"),
        Round::End => t!(lang, "at the end"),
    }
}

/// A change with its sign: `+1,5`, `-0,5`, `0,0`.
fn signed(lang: Language, value: f64) -> String {
    let text = lang::number(lang, value, 1);
    if value >= 0.05 {
        format!("+{text}")
    } else {
        text
    }
}

/// The first and the last month with a value shown, and those values.
fn ends<'a>(months: &'a [String], values: &[Figure<f64>]) -> Option<[(&'a str, f64); 2]> {
    let shown: Vec<(&str, f64)> = months
        .iter()
        .zip(values)
        .filter_map(|(m, v)| v.shown().map(|v| (m.as_str(), *v)))
        .collect();
    Some([*shown.first()?, *shown.last()?])
}

/// Whether the figure went up, down or stayed, as it reads with one decimal.
fn direction(from: f64, to: f64) -> std::cmp::Ordering {
    let tenths = |v: f64| (v * 10.0).round() as i64;
    tenths(to).cmp(&tenths(from))
}

/// What changed in the different people members wrote to.
fn written_sentence(lang: Language, months: &[String], values: &[Figure<f64>]) -> String {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some([(first, from), (last, to)]) = ends(months, values) else {
        return t!(lang, "No month to show yet.").to_owned();
    };
    let (to_words, last_words) = (lang::number(lang, to, 1), month_words(lang, last));
    if first == last {
        return t!(
            lang,
            "Members wrote to {} different people on average in {}.",
            to_words,
            last_words
        );
    }
    let (from_words, first_words) = (lang::number(lang, from, 1), month_words(lang, first));
    match direction(from, to) {
        Greater => t!(
            lang,
            "Members wrote to {} different people on average in {}, up from {} in {}.",
            to_words,
            last_words,
            from_words,
            first_words
        ),
        Less => t!(
            lang,
            "Members wrote to {} different people on average in {}, down from {} in {}.",
            to_words,
            last_words,
            from_words,
            first_words
        ),
        Equal => t!(
            lang,
            "Members wrote to {} different people on average in {}, as many as in {}.",
            to_words,
            last_words,
            first_words
        ),
    }
}

/// What changed in the people members named in their diary.
fn diary_sentence(lang: Language, months: &[String], values: &[Figure<f64>]) -> String {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some([(first, from), (last, to)]) = ends(months, values) else {
        return t!(
            lang,
            "Too few members answered the diary in these months to show a figure."
        )
        .to_owned();
    };
    let (to_words, last_words) = (lang::number(lang, to, 1), month_words(lang, last));
    if first == last {
        return t!(
            lang,
            "Members named {} people in their diary on average in {}.",
            to_words,
            last_words
        );
    }
    let (from_words, first_words) = (lang::number(lang, from, 1), month_words(lang, first));
    match direction(from, to) {
        Greater => t!(
            lang,
            "Members named {} people in their diary on average in {}, up from {} in {}.",
            to_words,
            last_words,
            from_words,
            first_words
        ),
        Less => t!(
            lang,
            "Members named {} people in their diary on average in {}, down from {} in {}.",
            to_words,
            last_words,
            from_words,
            first_words
        ),
        Equal => t!(
            lang,
            "Members named {} people in their diary on average in {}, as many as in {}.",
            to_words,
            last_words,
            first_words
        ),
    }
}

/// The new ties per month, in a sentence.
fn new_ties_sentence(lang: Language, months: &[String], new_ties: &[u32]) -> String {
    let total: u32 = new_ties.iter().sum();
    let since = months
        .first()
        .map(|m| month_words(lang, m))
        .unwrap_or_default();
    let (Some(last), Some(last_count)) = (months.last(), new_ties.last()) else {
        return String::new();
    };
    if total == 0 {
        return t!(lang, "No new ties between members since {}.", since);
    }
    t!(
        lang,
        "New ties between members since {}: {}, in {}: {}.",
        since,
        total,
        month_words(lang, last),
        last_count
    )
}

/// The ties drawn on the ring, in a sentence: as many as there are lines.
fn ties_sentence(lang: Language, report: &NetworkReport) -> String {
    let now = report.ties.len();
    if now == 0 {
        return t!(lang, "No ties between members yet.").to_owned();
    }
    let mut sentence = t!(lang, "Ties between members now: {}.", now);
    let before = report.growth.ties_before;
    if before > 0
        && let Some(first) = report.growth.months.first()
    {
        sentence.push(' ');
        sentence += &t!(
            lang,
            "Formed before {}: {}.",
            month_words(lang, first),
            before
        );
    }
    sentence.push(' ');
    sentence += t!(
        lang,
        "A solid line: the two wrote to each other in these months; a dashed one: not yet."
    );
    sentence
}

/// What changed in a questionnaire's mean score over the rounds.
fn score_sentence(lang: Language, rounds: &[(Round, Figure<f64>)]) -> String {
    let start = rounds
        .iter()
        .find(|(r, _)| *r == Round::Start)
        .and_then(|(_, f)| f.shown().copied());
    let latest = rounds
        .iter()
        .rev()
        .find(|(r, f)| *r != Round::Start && f.shown().is_some())
        .and_then(|(r, f)| f.shown().map(|v| (*r, *v)));
    match (start, latest) {
        (Some(start), Some((round, latest))) => t!(
            lang,
            "The mean score went from {} at the start to {} {}.",
            lang::number(lang, start, 1),
            lang::number(lang, latest, 1),
            round_when(lang, round)
        ),
        (Some(start), None) => t!(
            lang,
            "The mean score at the start was {}.",
            lang::number(lang, start, 1)
        ),
        (None, Some((round, latest))) => t!(
            lang,
            "The mean score was {} {}.",
            lang::number(lang, latest, 1),
            round_when(lang, round)
        ),
        (None, None) => t!(lang, "Too few members answered to show a mean score.").to_owned(),
    }
}

// ----- The page -----

async fn reports(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let lang = me.lang();
    let groups = match gather(&web) {
        Ok(groups) => groups,
        Err(e) => return failed(&me, &e),
    };
    let mut sections = Vec::new();
    for figures in &groups {
        let labels = match labels(&figures.network, sees_names(&me, &figures.group)) {
            Ok(labels) => labels,
            Err(e) => return failed(&me, &e),
        };
        sections.push(group_section(lang, figures, &labels));
    }
    let rows: Vec<Vec<Markup>> = groups
        .iter()
        .map(|f| {
            let tally = &f.attendance.total;
            let shown = tally_figure(f.counted(), tally);
            vec![
                html! { a href=(format!("#group-{}", f.group.id)) { (f.group.name) } },
                html! { (f.group.neighbourhood.as_deref().unwrap_or("–")) },
                html! { (t!(lang, "{} of {}", f.counted(), f.members)) },
                html! { (f.attendance.meetings) },
                html! { (words(lang, shown.map(|t| percent(lang, &t)))) },
                html! { (words(lang, shown.map(|t| breakdown(&t)))) },
            ]
        })
        .collect();
    let made_up = groups.iter().any(|f| {
        f.group
            .neighbourhood
            .as_deref()
            .is_some_and(|n| n.ends_with(crate::demo::DEMO_MARK))
    });
    let body = html! {
        @if made_up {
            p.demo role="note" { (t!(lang, "These figures come from made-up demo data, not from real people.")) }
        }
        p.rules { (t!(lang, "Only members who agreed to count in the evaluation are counted. A figure about fewer than 5 people is not shown. Members are numbered afresh each time a report is made: the numbers follow no list.")) }
        @if me.account.role == Role::Coach {
            p.rules { (t!(lang, "You see the names of your own group's members here; other groups are numbered, and every download is numbered.")) }
        }
        ul.downloads {
            li { a href="/reports/attendance.csv" { (t!(lang, "Attendance per meeting (CSV, for Excel)")) } }
            li { a href="/reports/network.csv" { (t!(lang, "Network per member and month (CSV, numbered)")) } }
            li { a href="/reports/questionnaires.csv" { (t!(lang, "Questionnaires per round (CSV)")) } }
        }
        h2 { (t!(lang, "Attendance per group")) }
        (html::table(
            &[
                t!(lang, "Group"),
                t!(lang, "Neighbourhood"),
                t!(lang, "Members counted"),
                t!(lang, "Meetings with attendance"),
                t!(lang, "Attendance"),
                t!(lang, "Present / excused / absent"),
            ],
            rows,
            t!(lang, "There are no groups yet."),
        ))
        @for section in sections { (section) }
    };
    me.page(StatusCode::OK, t!(lang, "Reports"), None, body)
}

fn group_section(lang: Language, f: &GroupFigures, labels: &Labels) -> Markup {
    html! {
        section.group id=(format!("group-{}", f.group.id)) {
            h2 { (f.group.name) }
            p { (t!(lang, "{} of {} members agreed to count in the evaluation.", f.counted(), f.members)) }
            @match f.withheld() {
                None => {
                    details.meetings {
                        summary { (t!(lang, "Attendance per meeting")) " (" (f.attendance.per_session.len()) ")" }
                        (meetings_table(lang, &f.attendance))
                    }
                    h3 id=(format!("network-{}", f.group.id)) { (t!(lang, "Network")) }
                    (network_part(lang, &f.network, labels))
                    h3 { (t!(lang, "Questionnaires")) }
                    (questionnaires_part(lang, &f.surveys))
                }
                Some(Figure::NoData) => {
                    p.withheld { (t!(lang, "No member of this group agreed to count in the evaluation, so it has no figures.")) }
                }
                Some(_) => {
                    p.withheld { (t!(lang, "Too few to show: fewer than {} members of this group agreed to count in the evaluation, so none of its figures are shown.", FEWEST_COUNTED)) }
                }
            }
        }
    }
}

fn meetings_table(lang: Language, rates: &Rates) -> Markup {
    let rows = rates
        .per_session
        .iter()
        .map(|(session, tally)| {
            let shown = tally_figure(tally.marked() as usize, tally);
            vec![
                html! { (meeting_name(lang, session)) },
                html! { (lang::date(lang, session.starts_at)) },
                html! { (words(lang, shown.map(|t| percent(lang, &t)))) },
                html! { (words(lang, shown.map(|t| breakdown(&t)))) },
            ]
        })
        .collect();
    html::table(
        &[
            t!(lang, "Meeting"),
            t!(lang, "Date"),
            t!(lang, "Attendance"),
            t!(lang, "Present / excused / absent"),
        ],
        rows,
        t!(lang, "No attendance taken yet."),
    )
}

fn network_part(lang: Language, report: &NetworkReport, labels: &Labels) -> Markup {
    let g = &report.growth;
    if g.months.is_empty() {
        return html! {
            p.empty { (t!(lang, "The group's figures begin with its first meeting, and it has not had one yet.")) }
        };
    }
    let slots = charts::month_slots(lang, &g.months);
    let counted = report.members.len();
    let written: Vec<Figure<f64>> = g
        .mean
        .iter()
        .map(|mean| evaluation::about(counted, || *mean))
        .collect();
    let named: Vec<Figure<f64>> = g
        .diary_named
        .iter()
        .zip(&g.diary_answered)
        .map(|(mean, answered)| evaluation::about(*answered, || *mean))
        .collect();
    let month = t!(lang, "month").to_owned();
    let titled = |caption: &str| format!("{}: {caption}", report.group);
    // The ring places members in the order shown, so it reveals no list either.
    let mut place = vec![0; counted];
    for (at, member) in labels.order.iter().enumerate() {
        place[*member] = at;
    }
    let ring_labels: Vec<String> = labels
        .order
        .iter()
        .map(|m| labels.short[*m].clone())
        .collect();
    let ring_ties: Vec<(usize, usize, bool)> = report
        .ties
        .iter()
        .map(|(a, b, wrote)| (place[*a], place[*b], *wrote))
        .collect();
    let mut head = vec![t!(lang, "Member").to_owned()];
    head.extend(g.months.iter().map(|m| month_words(lang, m)));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let rows = labels
        .order
        .iter()
        .map(|&member| {
            let mut row = vec![html! { (labels.full[member]) }];
            if let Some(counts) = g.contacts.get(member) {
                row.extend(counts.iter().map(|c| html! { (c) }));
            }
            row
        })
        .collect();
    let written_caption = t!(lang, "Different people written to, per member and month");
    let ties_caption = t!(lang, "New ties between members, per month");
    let ring_caption = t!(lang, "Ties between members now");
    let diary_caption = t!(lang, "People named in the diary, per member and month");
    html! {
        div.charts {
            figure {
                figcaption { (written_caption) }
                p.change { (written_sentence(lang, &g.months, &written)) }
                (charts::line(lang, &titled(written_caption), &slots, &written, &Axes {
                    y: t!(lang, "people per member").to_owned(), x: month.clone(), top: None, decimals: 1,
                }))
            }
            figure {
                figcaption { (ties_caption) }
                p.change { (new_ties_sentence(lang, &g.months, &g.new_ties)) }
                (charts::bars(lang, &titled(ties_caption), &slots, &g.new_ties, &Axes {
                    y: t!(lang, "new ties").to_owned(), x: month.clone(), top: None, decimals: 0,
                }))
            }
            figure {
                figcaption { (ring_caption) }
                p.change { (ties_sentence(lang, report)) }
                (charts::network(&titled(ring_caption), &ring_labels, &ring_ties))
            }
            figure {
                figcaption { (diary_caption) }
                p.change { (diary_sentence(lang, &g.months, &named)) }
                (charts::line(lang, &titled(diary_caption), &slots, &named, &Axes {
                    y: t!(lang, "people named per member").to_owned(), x: month, top: None, decimals: 1,
                }))
            }
        }
        details {
            summary { (t!(lang, "Per member: different people written to each month")) }
            (html::table(&head, rows, ""))
        }
    }
}

/// A round's figures as shown: how many answered, the mean, at risk, the change.
struct RoundFigures {
    answered: Figure<String>,
    mean: Figure<f64>,
    at_risk: Figure<String>,
    change: Figure<String>,
}

fn round_figures(lang: Language, s: &SurveySummary) -> RoundFigures {
    let mean = match s.mean {
        Some(mean) => evaluation::about(s.answered, || mean),
        None => Figure::NoData,
    };
    let at_risk = evaluation::about(s.answered, || match s.at_risk {
        Some(n) => n.to_string(),
        None => t!(lang, "no cut-off").to_owned(),
    });
    let change = match (s.round, s.change_since_start) {
        (Round::Start, _) => Figure::Shown(String::new()),
        (_, None) => Figure::NoData,
        (_, Some((change, both))) => evaluation::about(both, || {
            t!(lang, "{} ({} answered both)", signed(lang, change), both)
        }),
    };
    RoundFigures {
        answered: evaluation::about(s.asked, || t!(lang, "{} of {}", s.answered, s.asked)),
        mean,
        at_risk,
        change,
    }
}

/// Each questionnaire's summaries, in the programme's order of rounds.
fn per_instrument(report: &SurveyReport) -> Vec<(Instrument, Vec<&SurveySummary>)> {
    Instrument::ALL
        .into_iter()
        .map(|instrument| {
            let rounds = Round::ALL
                .iter()
                .filter_map(|round| {
                    report
                        .summaries
                        .iter()
                        .find(|s| s.instrument == instrument && s.round == *round)
                })
                .collect::<Vec<_>>();
            (instrument, rounds)
        })
        .filter(|(_, rounds)| !rounds.is_empty())
        .collect()
}

fn questionnaires_part(lang: Language, report: &SurveyReport) -> Markup {
    let instruments = per_instrument(report);
    if instruments.is_empty() {
        return html! { p.empty { (t!(lang, "No questionnaire asked yet.")) } };
    }
    html! {
        @for (instrument, rounds) in instruments {
            @let figures: Vec<(Round, RoundFigures)> = rounds.iter().map(|s| (s.round, round_figures(lang, s))).collect();
            @let means: Vec<(Round, Figure<f64>)> = figures.iter().map(|(r, f)| (*r, f.mean)).collect();
            @let slots: Vec<Slot> = rounds.iter().map(|s| round_slot(lang, s.round)).collect();
            @let values: Vec<Figure<f64>> = means.iter().map(|(_, m)| *m).collect();
            @let title = format!("{}: {}", report.group, instrument_title(lang, instrument));
            div.charts {
                figure {
                    figcaption { (instrument_title(lang, instrument)) }
                    p.change { (score_sentence(lang, &means)) " " (instrument_scale(lang, instrument)) }
                    (charts::line(lang, &title, &slots, &values, &Axes {
                        y: t!(lang, "mean score, 0 to {}", instrument.max()),
                        x: t!(lang, "round").to_owned(),
                        top: Some(f64::from(instrument.max())),
                        decimals: 1,
                    }))
                }
            }
            (html::table(
                &[
                    t!(lang, "Round"),
                    t!(lang, "Answered"),
                    t!(lang, "Mean score"),
                    t!(lang, "At risk"),
                    t!(lang, "Change since the start"),
                ],
                figures.into_iter().map(|(round, f)| vec![
                    html! { (round_name(lang, round)) },
                    html! { (words(lang, f.answered)) },
                    html! { (words(lang, f.mean.map(|m| t!(lang, "{} of {}", lang::number(lang, m, 1), instrument.max())))) },
                    html! { (words(lang, f.at_risk)) },
                    html! { (words(lang, f.change)) },
                ]).collect(),
                "",
            ))
        }
    }
}

// ----- The CSV files -----

fn csv_response(file_name: &'static str, csv: Csv) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static(file_name),
            ),
        ],
        csv.finish(),
    )
        .into_response()
}

/// A day as Excel in Belgium reads a date: `12/01/2027`.
fn csv_date(t: nabij_protocol::UnixMillis) -> String {
    let c = nabij_protocol::time::brussels(t);
    format!("{:02}/{:02}/{:04}", c.day, c.month, c.year)
}

async fn attendance_csv(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let lang = me.lang();
    let groups = match gather(&web) {
        Ok(groups) => groups,
        Err(e) => return failed(&me, &e),
    };
    let mut csv = Csv::new(&[
        t!(lang, "Group"),
        t!(lang, "Neighbourhood"),
        t!(lang, "Meeting"),
        t!(lang, "Date"),
        t!(lang, "Present"),
        t!(lang, "Excused"),
        t!(lang, "Absent"),
        t!(lang, "Attendance (%)"),
    ]);
    for f in &groups {
        let group = [
            f.group.name.clone(),
            f.group.neighbourhood.clone().unwrap_or_default(),
        ];
        if let Some(withheld) = f.withheld() {
            let mut row = group.to_vec();
            row.extend([String::new(), String::new()]);
            row.extend(std::iter::repeat_n(words(lang, withheld), 4));
            csv.row(&row);
            continue;
        }
        for (session, tally) in &f.attendance.per_session {
            let shown = tally_figure(tally.marked() as usize, tally);
            let cell = |value: fn(&Tally) -> String| words(lang, shown.map(|t| value(&t)));
            let mut row = group.to_vec();
            row.extend([
                meeting_name(lang, session),
                csv_date(session.starts_at),
                cell(|t| t.present.to_string()),
                cell(|t| t.excused.to_string()),
                cell(|t| t.absent.to_string()),
                cell(|t| t.rate_pct().map(|p| p.to_string()).unwrap_or_default()),
            ]);
            csv.row(&row);
        }
    }
    csv_response("attachment; filename=\"nabij-attendance.csv\"", csv)
}

async fn network_csv(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let lang = me.lang();
    let groups = match gather(&web) {
        Ok(groups) => groups,
        Err(e) => return failed(&me, &e),
    };
    let mut csv = Csv::new(&[
        t!(lang, "Group"),
        t!(lang, "Member (number)"),
        t!(lang, "Month"),
        t!(lang, "Different people written to"),
    ]);
    for f in &groups {
        let g = &f.network.growth;
        let missing = if let Some(withheld) = f.withheld() {
            Some(withheld)
        } else if g.months.is_empty() {
            Some(Figure::NoData)
        } else {
            None
        };
        if let Some(missing) = missing {
            csv.row(&[
                f.group.name.clone(),
                String::new(),
                String::new(),
                words(lang, missing),
            ]);
            continue;
        }
        // Numbered for everyone, afresh: the file leaves the hub.
        let labels = match labels(&f.network, false) {
            Ok(labels) => labels,
            Err(e) => return failed(&me, &e),
        };
        for &member in &labels.order {
            let Some(counts) = g.contacts.get(member) else {
                continue;
            };
            for (month, count) in g.months.iter().zip(counts) {
                csv.row(&[
                    f.group.name.clone(),
                    labels.full[member].clone(),
                    month_words(lang, month),
                    count.to_string(),
                ]);
            }
        }
    }
    csv_response("attachment; filename=\"nabij-network.csv\"", csv)
}

async fn questionnaires_csv(State(web): State<Web>, Signed(me, _): Signed<Reports>) -> Response {
    let lang = me.lang();
    let groups = match gather(&web) {
        Ok(groups) => groups,
        Err(e) => return failed(&me, &e),
    };
    let mut csv = Csv::new(&[
        t!(lang, "Group"),
        t!(lang, "Questionnaire"),
        t!(lang, "Round"),
        t!(lang, "Asked"),
        t!(lang, "Answered"),
        t!(lang, "Mean score"),
        t!(lang, "Highest possible score"),
        t!(lang, "At risk"),
        t!(lang, "Change since the start"),
        t!(lang, "Answered both"),
    ]);
    for f in &groups {
        let name = f.group.name.clone();
        let instruments = per_instrument(&f.surveys);
        let missing = if let Some(withheld) = f.withheld() {
            Some(withheld)
        } else if instruments.is_empty() {
            Some(Figure::NoData)
        } else {
            None
        };
        if let Some(missing) = missing {
            let mut row = vec![name, String::new(), String::new()];
            row.extend(std::iter::repeat_n(words(lang, missing), 7));
            csv.row(&row);
            continue;
        }
        for (instrument, rounds) in instruments {
            for s in rounds {
                let asked = evaluation::about(s.asked, || s.asked.to_string());
                let answered = evaluation::about(s.asked, || s.answered.to_string());
                let mean = match s.mean {
                    Some(mean) => evaluation::about(s.answered, || lang::number(lang, mean, 1)),
                    None => Figure::NoData,
                };
                let at_risk = evaluation::about(s.answered, || {
                    s.at_risk.map(|n| n.to_string()).unwrap_or_default()
                });
                let (change, both) = match (s.round, s.change_since_start) {
                    (Round::Start, _) => {
                        (Figure::Shown(String::new()), Figure::Shown(String::new()))
                    }
                    (_, None) => (Figure::NoData, Figure::NoData),
                    (_, Some((change, both))) => (
                        evaluation::about(both, || lang::number(lang, change, 1)),
                        evaluation::about(both, || both.to_string()),
                    ),
                };
                csv.row(&[
                    name.clone(),
                    instrument_title(lang, instrument).to_owned(),
                    round_name(lang, s.round).to_owned(),
                    words(lang, asked),
                    words(lang, answered),
                    words(lang, mean),
                    instrument.max().to_string(),
                    words(lang, at_risk),
                    words(lang, change),
                    words(lang, both),
                ]);
            }
        }
    }
    csv_response("attachment; filename=\"nabij-questionnaires.csv\"", csv)
}
