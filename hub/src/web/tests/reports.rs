//! The reports as staff and coaches read them: the evaluation's rules (consent, fewer
//! than five, numbers drawn afresh), the charts a funder reads, the CSV files, in the
//! reader's language.

use super::{Answer, Browser, PASSWORD, day_from_today, setup};
use crate::app::Hub;
use crate::app::testing::{status, tablet, text, up};
use crate::domain::attendance::Mark;
use crate::domain::network::{last_months, month_of};
use crate::domain::schedule::Session;
use crate::domain::surveys::{Instrument, Round};
use axum::Router;
use nabij_protocol::{Body, DeviceId, GroupId, Language, PersonId, UnixMillis};

/// Participants with a tablet each, in `group`, who agreed to count in the evaluation
/// or not.
async fn members(
    hub: &Hub,
    group: &GroupId,
    names: &[&str],
    agreed: bool,
) -> Vec<(PersonId, DeviceId)> {
    let mut out = Vec::new();
    for name in names {
        let (person, device) = tablet(hub, name).await;
        hub.move_participant(&person, Some(group)).await.unwrap();
        if agreed {
            hub.update_participant(
                &person,
                crate::app::DetailChanges {
                    consent_research: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        hub.handle_batch(vec![status(&device, true)]).await;
        out.push((person, device));
    }
    out
}

/// The group's meetings, from 40 days ago: the first one.
async fn programme(hub: &Hub, group: &GroupId) -> Session {
    let plan = crate::domain::schedule::Plan {
        first: crate::domain::calendar::Date::parse(&day_from_today(-40)).unwrap(),
        time: crate::domain::schedule::TimeOfDay { hour: 9, minute: 0 },
        minutes: 180,
        place: "Buurthuis".into(),
        address: None,
    };
    let mut sessions = hub.plan_schedule(group, plan).await.unwrap();
    sessions.sort_by_key(|s| s.starts_at);
    sessions.remove(0)
}

async fn writes(hub: &Hub, from: &DeviceId, to: &PersonId) {
    hub.handle_batch(vec![up(from, text(to, "Tot donderdag")).0])
        .await;
}

/// Every member asked `instrument` for `round` answers `choice` to every item.
async fn answer_all(
    hub: &Hub,
    group: &GroupId,
    who: &[(PersonId, DeviceId)],
    instrument: Instrument,
    round: Round,
    choice: &str,
) {
    hub.send_survey(group, instrument, round).await.unwrap();
    for (_, device) in who {
        let answers = instrument
            .questionnaire(round)
            .items
            .into_iter()
            .map(|item| nabij_protocol::ItemAnswer {
                item: item.id,
                choice: nabij_protocol::ChoiceId::parse(choice).unwrap(),
            })
            .collect();
        let body = Body::QuestionnaireAnswer(nabij_protocol::QuestionnaireAnswer {
            survey_id: instrument.survey_id(round),
            answers,
        });
        hub.handle_batch(vec![up(device, body).0]).await;
    }
}

async fn logged_in(router: &Router, name: &str) -> Browser {
    let mut browser = Browser::new(router.clone());
    browser.log_in(name, PASSWORD).await;
    browser
}

/// The part of the reports page about one group.
fn section<'a>(page: &'a Answer, group: &str) -> &'a str {
    let start = page
        .body
        .find(&format!("<section class=\"group\" id=\"group-{group}\""))
        .unwrap_or_else(|| panic!("no section for {group}: {}", page.body));
    let end = page.body[start..].find("</section>").expect("its end") + start;
    &page.body[start..end]
}

/// A CSV file's rows, fields split, without the byte order mark.
fn rows(csv: &Answer) -> Vec<Vec<String>> {
    csv.body
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(';').map(str::to_owned).collect())
        .collect()
}

fn this_month() -> String {
    month_of(UnixMillis::now())
}

/// `2026-12` as the English reports write it: `Dec 2026`.
fn month_in_english(month: &str) -> String {
    let (year, number) = super::super::charts::parse_month(month);
    super::super::lang::month_year(Language::En, year, number)
}

#[tokio::test]
async fn members_who_did_not_agree_count_in_no_figure_and_a_group_where_none_agreed_has_none() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    let agreed = members(&hub, &oost, &["An", "Bart", "Chris", "Dirk", "Els"], true).await;
    // Fien and Guido, like Jan Claes, did not agree: they write, are tied and stay away.
    let others = members(&hub, &oost, &["Fien", "Guido"], false).await;
    let (an, bart) = (&agreed[0], &agreed[1]);
    let (fien, guido) = (&others[0], &others[1]);
    hub.approve_contacts(&an.0, &bart.0).await.unwrap();
    hub.approve_contacts(&fien.0, &an.0).await.unwrap();
    hub.approve_contacts(&fien.0, &guido.0).await.unwrap();
    writes(&hub, &an.1, &bart.0).await;
    writes(&hub, &fien.1, &an.0).await;
    writes(&hub, &fien.1, &guido.0).await;
    let first = programme(&hub, &oost).await;
    let jan = hub.find_participant("Jan Claes").unwrap().id;
    hub.take_attendance(
        &first.id,
        vec![
            (jan, Mark::Absent),
            (fien.0.clone(), Mark::Absent),
            (guido.0.clone(), Mark::Absent),
        ],
    )
    .await
    .unwrap();
    // In Brugge none of three agreed.
    let brugge = hub.add_group("Brugge Sint-Kruis", None).await.unwrap().id;
    members(&hub, &brugge, &["Hilde", "Ivo", "Joke"], false).await;
    let brugge_first = programme(&hub, &brugge).await;
    hub.take_attendance(&brugge_first.id, vec![]).await.unwrap();

    let mut piet = logged_in(&router, "piet").await;
    let page = piet.get("/reports").await;
    let oostende = section(&page, "g-oostende-oost");
    assert!(
        oostende.contains("5 of 8 members agreed to count in the evaluation."),
        "{oostende}"
    );
    // The first meeting: the five who agreed came; the three absences are not counted.
    assert!(
        oostende.contains("100%") && oostende.contains("5 / 0 / 0"),
        "{oostende}"
    );
    // Only An wrote (to Bart), among the five: 0.2 each on average this month.
    assert!(
        oostende.contains("Members wrote to 0.2 different people on average in"),
        "{oostende}"
    );
    // One tie among those who agreed: An and Bart.
    assert!(oostende.contains("Ties between members now: 1."));
    assert_eq!(oostende.matches("class=\"tie\"").count(), 1);
    for name in ["An", "Bart", "Fien", "Guido", "Jan Claes"] {
        assert!(
            !page.body.contains(&format!(">{name}<")),
            "staff see no names"
        );
    }
    let brugge_section = section(&page, "g-brugge-sint-kruis");
    assert!(brugge_section.contains("0 of 3 members agreed"));
    assert!(
        brugge_section.contains("No member of this group agreed to count in the evaluation")
            && !brugge_section.contains("<svg"),
        "{brugge_section}"
    );

    let attendance = rows(&piet.get("/reports/attendance.csv").await);
    let oostende_rows: Vec<&Vec<String>> = attendance
        .iter()
        .filter(|r| r[0] == "Oostende Oost")
        .collect();
    assert_eq!(oostende_rows.len(), 1, "one meeting taken");
    let date = csv_date(&first);
    assert_eq!(
        oostende_rows[0][2..],
        ["Meeting 1", date.as_str(), "5", "0", "0", "100"]
    );
    let brugge_rows: Vec<&Vec<String>> = attendance
        .iter()
        .filter(|r| r[0] == "Brugge Sint-Kruis")
        .collect();
    assert_eq!(
        brugge_rows,
        [&vec![
            "Brugge Sint-Kruis".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            "no data".to_owned(),
            "no data".to_owned(),
            "no data".to_owned(),
            "no data".to_owned(),
        ]]
    );
    let network = rows(&piet.get("/reports/network.csv").await);
    let mut numbers: Vec<&str> = network
        .iter()
        .filter(|r| r[0] == "Oostende Oost")
        .map(|r| r[1].as_str())
        .collect();
    numbers.dedup();
    assert_eq!(
        numbers,
        ["1", "2", "3", "4", "5"],
        "five members, in number order"
    );
}

fn csv_date(session: &Session) -> String {
    let c = nabij_protocol::time::brussels(session.starts_at);
    format!("{:02}/{:02}/{:04}", c.day, c.month, c.year)
}

#[tokio::test]
async fn a_group_of_three_shows_no_figures_on_the_page_or_in_any_file() {
    let (hub, _, router) = setup().await;
    let brugge = hub.add_group("Brugge Sint-Kruis", None).await.unwrap().id;
    let three = members(&hub, &brugge, &["Hilde", "Ivo", "Joke"], true).await;
    hub.approve_contacts(&three[0].0, &three[1].0)
        .await
        .unwrap();
    writes(&hub, &three[0].1, &three[1].0).await;
    let first = programme(&hub, &brugge).await;
    hub.take_attendance(&first.id, vec![(three[2].0.clone(), Mark::Absent)])
        .await
        .unwrap();
    answer_all(
        &hub,
        &brugge,
        &three,
        Instrument::Dejong6,
        Round::Start,
        "no",
    )
    .await;

    for who in ["piet", "marie", "beheer"] {
        let mut reader = logged_in(&router, who).await;
        let page = reader.get("/reports").await;
        let brugge_section = section(&page, "g-brugge-sint-kruis");
        assert!(brugge_section.contains("3 of 3 members agreed"), "{who}");
        assert!(
            brugge_section.contains("Too few to show: fewer than 5 members"),
            "{who}: {brugge_section}"
        );
        for figure in ["<svg", "<table", "2 / 0 / 1", "67%", "%"] {
            assert!(!brugge_section.contains(figure), "{who}: {figure}");
        }
        let overview = &page.body[..page.body.find("<section").unwrap()];
        assert!(!overview.contains("67%") && !overview.contains("2 / 0 / 1"));
        assert!(overview.contains("3 of 3") && overview.contains("too few to show"));
    }
    let mut piet = logged_in(&router, "piet").await;
    for (file, figures) in [
        ("/reports/attendance.csv", 4),
        ("/reports/network.csv", 1),
        ("/reports/questionnaires.csv", 7),
    ] {
        let rows = rows(&piet.get(file).await);
        let brugge_rows: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| r[0] == "Brugge Sint-Kruis")
            .collect();
        assert_eq!(brugge_rows.len(), 1, "{file}: one row, withheld");
        let withheld = brugge_rows[0]
            .iter()
            .filter(|f| *f == "too few to show")
            .count();
        assert_eq!(withheld, figures, "{file}: {brugge_rows:?}");
        assert!(
            brugge_rows[0]
                .iter()
                .all(|f| f.is_empty() || f == "too few to show" || f == "Brugge Sint-Kruis"),
            "{file}: {brugge_rows:?}"
        );
    }
}

#[tokio::test]
async fn member_numbers_are_drawn_afresh_for_each_report_and_rows_follow_them() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    let six = members(
        &hub,
        &oost,
        &["An", "Bart", "Chris", "Dirk", "Els", "Fien"],
        true,
    )
    .await;
    // Chris, third on every list by name, is the only one who writes.
    hub.approve_contacts(&six[2].0, &six[0].0).await.unwrap();
    writes(&hub, &six[2].1, &six[0].0).await;
    programme(&hub, &oost).await;
    let month = month_in_english(&this_month());

    let mut piet = logged_in(&router, "piet").await;
    let mut numbers_of_chris = Vec::new();
    for _ in 0..12 {
        let rows = rows(&piet.get("/reports/network.csv").await);
        let this_month: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| r[0] == "Oostende Oost" && r[2] == month)
            .collect();
        let numbers: Vec<&str> = this_month.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(
            numbers,
            ["1", "2", "3", "4", "5", "6"],
            "rows follow the numbers, not a list"
        );
        let chris: Vec<&str> = this_month
            .iter()
            .filter(|r| r[3] == "1")
            .map(|r| r[1].as_str())
            .collect();
        assert_eq!(chris.len(), 1);
        numbers_of_chris.push(chris[0].to_owned());
    }
    numbers_of_chris.sort();
    numbers_of_chris.dedup();
    // Were the numbers the list's order, or fixed, Chris would be 3 every time; drawn
    // afresh, twelve reports give him one number with a chance of 1 in 6^11.
    assert!(
        numbers_of_chris.len() > 1,
        "Chris had number {numbers_of_chris:?} in every report"
    );

    // The page too: staff see numbers; Marie, the group's coach, her members' names.
    let page = piet.get("/reports").await;
    assert!(!page.body.contains("Chris"));
    let mut marie = logged_in(&router, "marie").await;
    let page = marie.get("/reports").await;
    let oostende = section(&page, "g-oostende-oost");
    assert!(oostende.contains(">Chris<"), "{oostende}");
}

#[tokio::test]
async fn a_coach_sees_names_in_her_own_group_only() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    members(&hub, &oost, &["An", "Bart", "Chris", "Dirk", "Els"], true).await;
    programme(&hub, &oost).await;
    let brugge = hub.add_group("Brugge Sint-Kruis", None).await.unwrap().id;
    members(
        &hub,
        &brugge,
        &["Hilde", "Ivo", "Joke", "Karel", "Lut"],
        true,
    )
    .await;
    programme(&hub, &brugge).await;
    let mut marie = logged_in(&router, "marie").await;
    let page = marie.get("/reports").await;
    assert!(section(&page, "g-oostende-oost").contains(">An<"));
    let other = section(&page, "g-brugge-sint-kruis");
    assert!(
        !other.contains("Hilde") && !other.contains("Karel"),
        "{other}"
    );
    assert!(
        page.body
            .contains("You see the names of your own group's members")
    );
}

#[tokio::test]
async fn the_charts_say_what_changed_on_full_scales_from_the_programmes_start() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    let five = members(&hub, &oost, &["An", "Bart", "Chris", "Dirk", "Els"], true).await;
    hub.approve_contacts(&five[0].0, &five[1].0).await.unwrap();
    hub.approve_contacts(&five[0].0, &five[2].0).await.unwrap();
    writes(&hub, &five[0].1, &five[1].0).await;
    let first = programme(&hub, &oost).await;
    // Two members answer the diary this month: too few to show.
    let today = nabij_protocol::UnixMillis::now().0 / 86_400_000;
    let yesterday = crate::domain::calendar::Date::new(1970, 1, 1)
        .unwrap()
        .plus_days(today as i64 - 1);
    let prompt = nabij_protocol::PromptId::parse("q-talked-to").unwrap();
    hub.plan_diary(&oost, &prompt, yesterday).await.unwrap();
    for (_, device) in &five[..2] {
        let answer = Body::DiaryAnswer(nabij_protocol::DiaryAnswer {
            prompt_id: prompt.clone(),
            choices: Vec::new(),
            people: vec![five[4].0.clone()],
            text: None,
            voice: None,
            share: nabij_protocol::Share::OnlyMe,
        });
        hub.handle_batch(vec![up(device, answer).0]).await;
    }
    // Loneliness: 6 ("more or less" to everything) at the start, 3 after.
    answer_all(
        &hub,
        &oost,
        &five,
        Instrument::Dejong6,
        Round::Start,
        "more-or-less",
    )
    .await;
    answer_all(
        &hub,
        &oost,
        &five,
        Instrument::Dejong6,
        Round::AfterEncounters,
        "no",
    )
    .await;

    let mut piet = logged_in(&router, "piet").await;
    let page = piet.get("/reports").await;
    let oostende = section(&page, "g-oostende-oost");
    // Every chart: its caption first, then a sentence saying what changed, then the chart.
    let figures = oostende.matches("<figure>").count();
    assert_eq!(figures, 5, "four network charts and one questionnaire");
    assert_eq!(oostende.matches("<figure><figcaption>").count(), figures);
    assert_eq!(
        oostende
            .matches("</figcaption><p class=\"change\">")
            .count(),
        figures
    );
    // Axis titles with their units.
    for title in [
        "people per member",
        ">month<",
        ">new ties<",
        "people named per member",
        "mean score, 0 to 6",
        ">round<",
    ] {
        assert!(oostende.contains(title), "{title}");
    }
    // The months: from the programme's first meeting to now, none before.
    let expected: Vec<String> = last_months(UnixMillis::now(), 6)
        .into_iter()
        .filter(|m| *m >= month_of(first.starts_at))
        .collect();
    let network = rows(&piet.get("/reports/network.csv").await);
    let mut months: Vec<String> = network
        .iter()
        .filter(|r| r[0] == "Oostende Oost" && r[1] == "1")
        .map(|r| r[2].clone())
        .collect();
    months.dedup();
    let expected_words: Vec<String> = expected.iter().map(|m| month_in_english(m)).collect();
    assert_eq!(months, expected_words);
    let first_month = month_in_english(&expected[0]);
    let now = month_in_english(&this_month());
    assert!(
        oostende.contains(&format!(
            "Members wrote to 0.2 different people on average in {now}, up from 0.0 in {first_month}."
        )),
        "{oostende}"
    );
    // The ties: the number said is the number drawn, and the bars add up to it.
    assert!(oostende.contains(&format!(
        "New ties between members since {first_month}: 2, in {now}: 2."
    )));
    assert!(oostende.contains("Ties between members now: 2."));
    assert_eq!(oostende.matches("class=\"tie\"").count(), 2);
    // The diary: no one answered in the first month, two (too few) this month.
    let diary_start = oostende.find("People named in the diary").unwrap();
    let diary = &oostende[diary_start..];
    assert!(
        diary.contains(">no data<") && diary.contains(">too few<"),
        "{diary}"
    );
    assert!(diary.contains("Too few members answered the diary"));
    // Loneliness on its whole scale, 0 to 6, and what changed.
    let loneliness = &oostende[oostende.find("Loneliness (De Jong Gierveld").unwrap()..];
    let svg = &loneliness[loneliness.find("<svg").unwrap()..loneliness.find("</svg>").unwrap()];
    for tick in [">0<", ">3<", ">6<"] {
        assert!(svg.contains(tick), "{tick}");
    }
    assert!(
        loneliness
            .contains("The mean score went from 6.0 at the start to 3.0 after the encounters.")
    );
    // Charts shrink to a phone: a viewBox, the width of their box, no fixed size.
    for svg in page.body.split("<svg").skip(1) {
        let tag = &svg[..svg.find('>').unwrap()];
        assert!(
            tag.contains("viewBox=") && tag.contains("width=\"100%\"") && !tag.contains("height="),
            "{tag}"
        );
    }
    let css = super::super::html::STYLE;
    let reports_css = &css[css.find("/* reports */").expect("the reports' section")..];
    assert!(reports_css.contains(".charts{") && reports_css.contains("min(100%"));
}

#[tokio::test]
async fn the_questionnaire_file_has_each_round_with_the_rules_applied() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    let five = members(&hub, &oost, &["An", "Bart", "Chris", "Dirk", "Els"], true).await;
    programme(&hub, &oost).await;
    answer_all(
        &hub,
        &oost,
        &five,
        Instrument::Dejong6,
        Round::Start,
        "more-or-less",
    )
    .await;
    // After the encounters only three answer.
    answer_all(
        &hub,
        &oost,
        &five[..3],
        Instrument::Dejong6,
        Round::AfterEncounters,
        "no",
    )
    .await;
    let mut piet = logged_in(&router, "piet").await;
    let csv = piet.get("/reports/questionnaires.csv").await;
    assert_eq!(
        csv.headers[axum::http::header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        csv.headers[axum::http::header::CONTENT_DISPOSITION],
        "attachment; filename=\"nabij-questionnaires.csv\""
    );
    let rows = rows(&csv);
    assert_eq!(
        rows[0],
        [
            "Group",
            "Questionnaire",
            "Round",
            "Asked",
            "Answered",
            "Mean score",
            "Highest possible score",
            "At risk",
            "Change since the start",
            "Answered both"
        ]
    );
    let oostende: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Oostende Oost").collect();
    let title = "Loneliness (De Jong Gierveld, 6 questions)";
    assert_eq!(
        oostende[0][1..],
        [title, "Start", "5", "5", "6.0", "6", "", "", ""]
    );
    let withheld = "too few to show";
    assert_eq!(
        oostende[1][1..],
        [
            title,
            "After the encounters",
            "5",
            "3",
            withheld,
            "6",
            withheld,
            withheld,
            withheld
        ]
    );
}

#[tokio::test]
async fn reports_and_their_files_are_in_the_readers_language() {
    let (hub, _, router) = setup().await;
    let oost = hub.find_group("Oostende Oost").unwrap().id;
    let five = members(&hub, &oost, &["An", "Bart", "Chris", "Dirk", "Els"], true).await;
    hub.approve_contacts(&five[0].0, &five[1].0).await.unwrap();
    writes(&hub, &five[0].1, &five[1].0).await;
    let first = programme(&hub, &oost).await;
    hub.take_attendance(&first.id, vec![(five[4].0.clone(), Mark::Absent)])
        .await
        .unwrap();
    for (lang, header, sentence, percent) in [
        (
            Language::Nl,
            "Groep;Wijk;Bijeenkomst;Datum;Aanwezig;Verontschuldigd;Afwezig;Aanwezigheid (%)",
            "0,2",
            "80%",
        ),
        (
            Language::Fr,
            "Groupe;Quartier;Rencontre;Date;Présents;Excusés;Absents;Taux de présence (%)",
            "0,2",
            "80\u{a0}%",
        ),
    ] {
        hub.set_account_language("piet", lang).await.unwrap();
        let mut piet = logged_in(&router, "piet").await;
        let page = piet.get("/reports").await;
        assert!(page.body.contains(&format!(
            "<html lang=\"{}\">",
            super::super::lang::code(lang)
        )));
        assert!(
            !page.body.contains("Attendance per group") && !page.body.contains("too few"),
            "{lang:?}: untranslated"
        );
        let oostende = section(&page, "g-oostende-oost");
        assert!(
            oostende.contains(sentence) && oostende.contains(percent),
            "{oostende}"
        );
        let csv = piet.get("/reports/attendance.csv").await;
        assert!(
            csv.body.starts_with(&format!("\u{feff}{header}\r\n")),
            "{}",
            csv.body
        );
        let meeting = super::super::lang::t!(lang, "Meeting {}", 1);
        assert!(
            csv.body
                .contains(&format!(";{meeting};{};4;0;1;80\r\n", csv_date(&first)))
        );
    }
}

#[tokio::test]
async fn demo_figures_say_they_are_made_up() {
    let (hub, _, router) = setup().await;
    let mut piet = logged_in(&router, "piet").await;
    let made_up = "made-up demo data";
    for page in ["/", "/reports"] {
        assert!(!piet.get(page).await.body.contains(made_up), "{page}");
    }
    hub.add_group("Brugge Sint-Kruis", Some("Brugge (demo)"))
        .await
        .unwrap();
    for page in ["/", "/reports"] {
        assert!(piet.get(page).await.body.contains(made_up), "{page}");
    }
}
