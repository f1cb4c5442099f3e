//! The keepsake at the end of the loan: the senior's coach chooses with them which of
//! their diary answers to keep, then prints one page in the senior's language — the
//! people they were in touch with (a number only where that person agreed), the
//! meetings they came to, and the answers chosen. Only their own group's coach makes
//! it. An answer the senior kept for themselves shows its words only on the printed
//! page, never in the list the coach chooses from.

use super::diary::{answer_text, localized};
use super::html;
use super::lang::{self, t};
use super::signed::{People, Signed};
use super::{Me, Web, failed, page_response};
use crate::app::{AppError, Keepsake};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use nabij_protocol::{Language, PersonId, Share};

/// Most answers one keepsake takes from the address (a year has 52 weeks).
const MAX_KEPT: usize = 60;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/people/{person}/keepsake", get(choose))
        .route("/people/{person}/keepsake/print", get(print))
}

/// The senior's keepsake, if the account coaches their group; else the page to show.
fn keepsake_for(web: &Web, me: &Me, person: &str) -> Result<Keepsake, Box<Response>> {
    let lang = me.lang();
    let missing = || {
        Box::new(super::not_found(
            me,
            t!(
                lang,
                "There is no such participant here (any more). Go back to the list."
            ),
            ("/people", t!(lang, "People")),
        ))
    };
    let Ok(id) = PersonId::parse(person) else {
        return Err(missing());
    };
    let keepsake = match web.hub.keepsake(&id) {
        Ok(k) => k,
        Err(AppError::NoParticipant(_) | AppError::NoPerson(_)) => return Err(missing()),
        Err(e) => return Err(Box::new(failed(me, &e))),
    };
    let coached = keepsake
        .person
        .group
        .as_ref()
        .and_then(|g| web.hub.find_group(g.as_str()).ok())
        .is_some_and(|g| g.coach.is_some() && g.coach == me.account.coach);
    if !coached {
        return Err(Box::new(
            me.page(
                StatusCode::FORBIDDEN,
                t!(lang, "Not your group"),
                Some(&html::Notice::Problem(
                    t!(
                        lang,
                        "Only the coach of the senior's group makes their keepsake."
                    )
                    .to_owned(),
                )),
                html! { p { a href="/people" { (t!(lang, "People")) } } },
            ),
        ));
    }
    Ok(keepsake)
}

async fn choose(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
) -> Response {
    let lang = me.lang();
    let keepsake = match keepsake_for(&web, &me, &person) {
        Ok(k) => k,
        Err(answer) => return *answer,
    };
    let id = keepsake.person.id.as_str();
    let body = html! {
        p { (t!(lang, "At the end of the loan, print this page for the senior: the people they were in touch with, the meetings they came to, and the diary answers they choose to keep. Choose the answers together.")) }
        form method="get" action={ "/people/" (id) "/keepsake/print" } {
            @if keepsake.answers.is_empty() {
                p.empty { (t!(lang, "No diary answers yet.")) }
            } @else {
                fieldset.choice {
                    legend { (t!(lang, "Diary answers to keep")) }
                    @for a in &keepsake.answers {
                        label.mark.block {
                            input type="checkbox" name="keep" value=(a.key);
                            " " strong { (localized(lang, &a.prompt.question)) } " "
                            small { "(" (lang::date(lang, a.at)) ")" }
                            br;
                            @if a.answer.share == Share::OnlyMe {
                                em { (t!(lang, "Kept for themselves: its words are shown only on the printed page.")) }
                            } @else {
                                (answer_text(lang, &a.prompt, &a.answer, &a.named))
                            }
                        }
                    }
                }
            }
            p { button { (t!(lang, "Show the page to print")) } }
        }
    };
    me.page(
        StatusCode::OK,
        &t!(lang, "Keepsake for {}", keepsake.person.name),
        None,
        body,
    )
}

/// The answer keys chosen in the address (`keep=…&keep=…`), at most [`MAX_KEPT`].
fn chosen(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == "keep")
        .map(|(_, v)| v.clone())
        .take(MAX_KEPT)
        .collect()
}

async fn print(
    State(web): State<Web>,
    Signed(me, _): Signed<People>,
    Path(person): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let keepsake = match keepsake_for(&web, &me, &person) {
        Ok(k) => k,
        Err(answer) => return *answer,
    };
    let keep = chosen(&pairs);
    let lang = keepsake.person.language.unwrap_or_default();
    web.audit(
        &me,
        &format!("printed the keepsake of {}", keepsake.person.id),
    )
    .await;
    page_response(StatusCode::OK, printed(lang, &me, &keepsake, &keep))
}

/// The printed page, in the senior's language (`u` in Dutch, `vous` in French).
fn printed(lang: Language, me: &Me, k: &Keepsake, keep: &[String]) -> String {
    let answers: Vec<_> = k.answers.iter().filter(|a| keep.contains(&a.key)).collect();
    let body: Markup = html! {
        (DOCTYPE)
        html lang=(lang::code(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t!(lang, "A keepsake from Nabij")) " · " (k.person.name) }
                link rel="stylesheet" href="/style.css";
            }
            body.keepsake {
                p.screen-only {
                    a href={ "/people/" (k.person.id.as_str()) "/keepsake" } { (t!(me.lang(), "Back")) }
                    " · " (t!(me.lang(), "Print this page with your browser's Print (Ctrl+P)."))
                }
                main {
                    h1 { (t!(lang, "A keepsake from Nabij")) }
                    p.lead { (k.person.name) @if let Some(g) = &k.group { " · " (g) } }
                    h2 { (t!(lang, "The people you were in touch with")) }
                    @if k.contacts.is_empty() {
                        p { (t!(lang, "No one yet.")) }
                    } @else {
                        ul {
                            @for c in &k.contacts {
                                li {
                                    strong { (c.name) }
                                    @if c.coach { " (" (t!(lang, "your coach")) ")" }
                                    @if let Some(phone) = &c.phone { " — " span.phone { (phone) } }
                                }
                            }
                        }
                    }
                    h2 { (t!(lang, "The meetings you came to")) }
                    @if k.attended.is_empty() {
                        p { (t!(lang, "No meetings noted.")) }
                    } @else {
                        ul {
                            @for s in &k.attended {
                                li { (super::meetings::meeting_name(lang, s)) " — " (lang::date(lang, s.starts_at)) ", " (s.place) }
                            }
                        }
                    }
                    @if !answers.is_empty() {
                        h2 { (t!(lang, "Your answers in the diary")) }
                        @for a in &answers {
                            section.answer {
                                h3 { (localized(lang, &a.prompt.question)) }
                                p { small { (lang::date(lang, a.at)) } }
                                p { (answer_text(lang, &a.prompt, &a.answer, &a.named)) }
                            }
                        }
                    }
                    p.thanks { (t!(lang, "Thank you for taking part.")) }
                }
            }
        }
    };
    body.into_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_answers_come_from_the_address_capped() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let pairs = [pair("keep", "a"), pair("x", "1"), pair("keep", "b")];
        assert_eq!(chosen(&pairs), ["a", "b"]);
        let many = vec![pair("keep", "x"); MAX_KEPT + 10];
        assert_eq!(chosen(&many).len(), MAX_KEPT);
    }
}
