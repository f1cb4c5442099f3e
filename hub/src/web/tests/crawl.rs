//! Every page as each role reaches it by following links: `<script>` typed into every
//! form (and sent from a tablet in every field a senior can fill) comes back escaped on
//! every page that shows it; no link leads to a page the role may not open; no page
//! fails; every page is in the account's language.

use super::{Browser, PASSWORD, setup, status, up};
use crate::app::testing::tablet;
use axum::http::StatusCode;
use nabij_protocol::{Body, ChoiceId, DiaryAnswer, PromptId, Recipient, Share, TextMessage};
use std::collections::{BTreeSet, VecDeque};

/// What a stranger would type to run their own code on a coach's page.
const PAYLOAD: &str = "<script>alert(1)</script>\"'><b>";

/// Forms that end something for good, or change the language the crawl checks; they
/// are not sent by the crawl (they take no typed text).
const NOT_SENT: [&str; 7] = [
    "/logout", "/erase", "/wipe", "/revoke", "/return", "/cancel", "/account",
];

/// `&amp;` and friends, back to text (attribute values as a browser reads them).
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in one tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

/// Every tag `<name …>` in `html`, as text.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let opening = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&opening) {
        let after = &rest[start + opening.len()..];
        if after.starts_with([' ', '>'])
            && let Some(end) = after.find('>')
        {
            out.push(&rest[start..start + opening.len() + end + 1]);
        }
        rest = &rest[start + opening.len()..];
    }
    out
}

/// A form found on a page.
#[derive(Debug, Clone)]
struct Form {
    action: String,
    multipart: bool,
    fields: Vec<(String, String)>,
}

/// The POST forms on a page, filled in: hidden fields as they are, every text field
/// with [`PAYLOAD`], choices with their first real option, dates, times and numbers
/// with values the form accepts.
fn forms(page: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for (i, _) in page.match_indices("<form") {
        let Some(end) = page[i..].find("</form>") else {
            continue;
        };
        let html = &page[i..i + end];
        let Some(head) = tags(html, "form").into_iter().next() else {
            continue;
        };
        if attribute(head, "method").as_deref() != Some("post") {
            continue;
        }
        let Some(action) = attribute(head, "action") else {
            continue;
        };
        let mut fields = Vec::new();
        for input in tags(html, "input") {
            let Some(name) = attribute(input, "name") else {
                continue;
            };
            let kind = attribute(input, "type").unwrap_or_else(|| "text".into());
            let value = match kind.as_str() {
                "hidden" | "checkbox" | "radio" => match attribute(input, "value") {
                    Some(v) => v,
                    None => "yes".into(),
                },
                "date" => "2099-03-17".into(),
                "time" => "14:00".into(),
                "number" => "180".into(),
                "file" | "password" => continue,
                _ => PAYLOAD.into(),
            };
            // One choice per radio group.
            if kind == "radio" && fields.iter().any(|(n, _)| n == &name) {
                continue;
            }
            fields.push((name, value));
        }
        for area in tags(html, "textarea") {
            if let Some(name) = attribute(area, "name") {
                fields.push((name, PAYLOAD.into()));
            }
        }
        for (j, _) in html.match_indices("<select") {
            let select = &html[j..];
            let Some(name) = tags(select, "select")
                .first()
                .and_then(|t| attribute(t, "name"))
            else {
                continue;
            };
            let until = select.find("</select>").unwrap_or(select.len());
            let first = tags(&select[..until], "option")
                .into_iter()
                .filter_map(|o| attribute(o, "value"))
                .find(|v| !v.is_empty());
            if let Some(value) = first {
                fields.push((name, value));
            }
        }
        out.push(Form {
            multipart: attribute(head, "enctype").as_deref() == Some("multipart/form-data"),
            action,
            fields,
        });
    }
    out
}

/// The dashboard's own pages a page links to (no downloads to parse, no log-out).
fn links(page: &str) -> Vec<String> {
    tags(page, "a")
        .into_iter()
        .filter_map(|a| attribute(a, "href"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or("").to_owned())
        .filter(|h| !h.is_empty())
        .collect()
}

/// What one crawl saw.
#[derive(Default)]
struct Seen {
    /// Every HTML page opened, with its body.
    pages: Vec<(String, String)>,
    /// Every download (CSV, calendar, photo, sound) opened, with its content type.
    downloads: Vec<(String, String)>,
    /// Every form found, once per action.
    forms: Vec<Form>,
}

/// Opens every page reachable from home by links, as `browser`; checks each answer.
async fn crawl(browser: &mut Browser, who: &str, lang: &str) -> Seen {
    let mut seen = Seen::default();
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut opened = BTreeSet::new();
    let mut actions = BTreeSet::new();
    while let Some(path) = queue.pop_front() {
        if !opened.insert(path.clone()) || opened.len() > 400 {
            continue;
        }
        let answer = browser.get(&path).await;
        assert!(
            answer.status != StatusCode::FORBIDDEN,
            "{who}: a link leads to {path}, which this account may not open"
        );
        assert!(
            answer.status.is_success(),
            "{who}: {path} answered {}: {}",
            answer.status,
            answer.body
        );
        let html = answer
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .is_some_and(|t| t.to_str().unwrap_or("").starts_with("text/html"));
        if !html {
            let kind = answer
                .headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|t| t.to_str().ok())
                .unwrap_or("")
                .to_owned();
            seen.downloads.push((path, kind));
            continue;
        }
        assert!(
            answer.body.contains(&format!("<html lang=\"{lang}\">")),
            "{who}: {path} is not in {lang}: {}",
            answer.body
        );
        for link in links(&answer.body) {
            if !opened.contains(&link) {
                queue.push_back(link);
            }
        }
        for form in forms(&answer.body) {
            if actions.insert(form.action.clone()) {
                seen.forms.push(form);
            }
        }
        seen.pages.push((path, answer.body));
    }
    seen
}

/// No page holds markup that came from what someone typed.
fn assert_escaped(who: &str, seen: &Seen) {
    for (path, body) in &seen.pages {
        assert!(
            !body.contains("<script") && !body.contains("<b>"),
            "{who}: {path} shows typed text as markup: {body}"
        );
    }
}

#[tokio::test]
async fn script_typed_anywhere_is_shown_as_text_and_every_link_opens_for_its_role() {
    let (hub, _, router) = setup().await;
    let group = hub.find_group("Oostende Oost").expect("the group").id;
    let marie = hub.find_person("Marie Dewulf").expect("Marie").id;
    // A senior's tablet sends the payload in every field a senior fills in.
    let (mia, mia_tablet) = tablet(&hub, "Mia").await;
    hub.move_participant(&mia, Some(&group))
        .await
        .expect("moved");
    hub.approve_contacts(&mia, &marie).await.expect("a contact");
    let talked_to = PromptId::parse("q-talked-to").expect("a prompt");
    let today = nabij_protocol::time::brussels(nabij_protocol::UnixMillis::now());
    let week = crate::domain::calendar::Date::new(today.year, today.month, today.day)
        .expect("today")
        .plus_days(-1);
    hub.plan_diary(&group, &talked_to, week)
        .await
        .expect("planned");
    hub.handle_batch(vec![status(&mia_tablet, true)]).await;
    hub.handle_batch(vec![
        up(
            &mia_tablet,
            Body::Text(TextMessage {
                to: Recipient::Person(marie.clone()),
                author: None,
                text: PAYLOAD.into(),
            }),
        )
        .0,
        up(
            &mia_tablet,
            Body::HelpRequest(nabij_protocol::HelpRequest {
                note: Some(PAYLOAD.into()),
            }),
        )
        .0,
        up(
            &mia_tablet,
            Body::DiaryAnswer(DiaryAnswer {
                prompt_id: talked_to,
                choices: vec![ChoiceId::parse("neighbours").expect("a choice")],
                people: Vec::new(),
                text: Some(PAYLOAD.into()),
                voice: None,
                share: Share::MyGroup,
            }),
        )
        .0,
    ])
    .await;

    // The coach and the admin send every form they can reach, twice over (pages that
    // appear after the first round have forms of their own).
    for (who, lang, at_least) in [("marie", "en", 10), ("beheer", "en", 1)] {
        let mut browser = Browser::new(router.clone());
        browser.log_in(who, PASSWORD).await;
        let mut sent = BTreeSet::new();
        for _ in 0..2 {
            let seen = crawl(&mut browser, who, lang).await;
            for form in seen.forms {
                if NOT_SENT.iter().any(|d| form.action.ends_with(d))
                    || !sent.insert(form.action.clone())
                {
                    continue;
                }
                let fields: Vec<(&str, &str)> = form
                    .fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let answer = if form.multipart {
                    browser.post_multipart(&form.action, &fields, None).await
                } else {
                    browser.post(&form.action, &fields).await
                };
                assert!(
                    !answer.status.is_server_error(),
                    "{who}: {} failed: {}",
                    form.action,
                    answer.body
                );
                assert!(
                    !answer.body.contains("<script") && !answer.body.contains("<b>"),
                    "{who}: the answer to {} shows typed text as markup: {}",
                    form.action,
                    answer.body
                );
            }
        }
        assert!(sent.len() >= at_least, "{who} found only {sent:?}");
    }

    // Now every role reads every page it reaches.
    let mut shown_escaped = 0;
    for (who, lang) in [("marie", "en"), ("beheer", "en"), ("piet", "en")] {
        let mut browser = Browser::new(router.clone());
        browser.log_in(who, PASSWORD).await;
        let seen = crawl(&mut browser, who, lang).await;
        assert_escaped(who, &seen);
        shown_escaped += seen
            .pages
            .iter()
            .filter(|(_, body)| body.contains("&lt;script&gt;"))
            .count();
        assert!(
            seen.pages.len() >= 3,
            "{who} reached only {} pages",
            seen.pages.len()
        );
    }
    assert!(
        shown_escaped >= 5,
        "what was typed is on the pages, as text ({shown_escaped} pages)"
    );

    // What the address and the log-in form carry is text too.
    let mut stranger = Browser::new(router.clone());
    let page = stranger
        .get(&format!("/login?next={}", super::encode(PAYLOAD)))
        .await;
    assert!(!page.body.contains("<script"));
    let refused = stranger.log_in(PAYLOAD, "niet het wachtwoord").await;
    assert!(!refused.body.contains("<script") && refused.body.contains("&lt;script&gt;"));
    let mut marie = Browser::new(router);
    marie.log_in("marie", PASSWORD).await;
    for path in [
        format!("/people?q={}", super::encode(PAYLOAD)),
        format!("/devices?code={}", super::encode(PAYLOAD)),
    ] {
        let page = marie.get(&path).await;
        assert!(!page.body.contains("<script"), "{path}: {}", page.body);
    }
}
