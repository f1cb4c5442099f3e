//! The page frame and the pieces every page shares, as maud templates: every value is
//! escaped by construction, and no page writes raw HTML (maud's escape hatch appears
//! nowhere in the dashboard: a test says so). Pages are in the reader's language (`lang::t!`).

use super::lang::{self, t};
use crate::domain::accounts::{Area, Role};
use maud::{DOCTYPE, Markup, html};
use nabij_protocol::Language;

/// Who the page is for: their name, role, language and form token (none on the log-in
/// page).
pub struct Viewer<'a> {
    /// The account name.
    pub name: &'a str,
    /// Its role (the menu shows what it may open).
    pub role: Role,
    /// The form token.
    pub csrf: &'a str,
}

/// A message above the page's content.
pub enum Notice {
    /// Something went as asked.
    Done(String),
    /// Something did not; says what to do.
    Problem(String),
}

/// The menu: address, words, and what it opens (shown to roles that may open it).
fn menu(lang: Language) -> [(&'static str, &'static str, Area); 10] {
    [
        ("/today", t!(lang, "Today"), Area::FollowUp),
        ("/followup", t!(lang, "Follow-up"), Area::FollowUp),
        ("/groups", t!(lang, "Groups"), Area::Programme),
        ("/people", t!(lang, "People"), Area::People),
        ("/messages", t!(lang, "Messages"), Area::People),
        ("/devices", t!(lang, "Tablets"), Area::Devices),
        ("/reports", t!(lang, "Reports"), Area::Reports),
        ("/admin/accounts", t!(lang, "Accounts"), Area::Accounts),
        ("/admin/audit", t!(lang, "Audit log"), Area::Audit),
        ("/admin/status", t!(lang, "Status"), Area::Status),
    ]
}

/// A role's name in `lang`.
pub fn role_name(lang: Language, role: Role) -> &'static str {
    match role {
        Role::Admin => t!(lang, "admin"),
        Role::Coach => t!(lang, "coach"),
        Role::Staff => t!(lang, "staff"),
    }
}

/// A whole page in `lang`: the frame, the menu for the viewer's role, a notice, the body.
pub fn page(
    lang: Language,
    title: &str,
    viewer: Option<&Viewer<'_>>,
    notice: Option<&Notice>,
    body: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang::code(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Nabij" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    a.brand href="/" { "Nabij" }
                    @if let Some(v) = viewer {
                        nav aria-label=(t!(lang, "Menu")) {
                            @for (href, label, area) in menu(lang) {
                                @if v.role.may(area) {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        form.logout method="post" action="/logout" {
                            (csrf(v.csrf))
                            // On a phone the role gives way to the name (style.css).
                            a href="/account" { (v.name) span.role { " (" (role_name(lang, v.role)) ")" } }
                            button { (t!(lang, "Log out")) }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @match notice {
                        Some(Notice::Done(text)) => p.done role="status" { (text) },
                        Some(Notice::Problem(text)) => p.problem role="alert" { (text) },
                        None => {},
                    }
                    (body)
                }
            }
        }
    }
    .into_string()
        + "\n"
}

/// The hidden field every form carries.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A table: head cells, then rows of cells; on a phone each row becomes a card whose
/// cells carry their column's name.
pub fn table(head: &[&str], rows: Vec<Vec<Markup>>, empty: &str) -> Markup {
    html! {
        @if rows.is_empty() {
            p.empty { (empty) }
        } @else {
            div.scroll {
                table {
                    thead { tr { @for h in head { th scope="col" { (h) } } } }
                    tbody {
                        @for row in rows {
                            tr {
                                @for (i, cell) in row.into_iter().enumerate() {
                                    td data-label=(head.get(i).copied().unwrap_or("")) { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The style sheet (`style.css` beside this file).
pub const STYLE: &str = include_str!("style.css");

#[cfg(test)]
mod tests {
    use super::*;

    /// The dashboard writes no raw HTML: every page is a template that escapes.
    #[test]
    fn no_page_writes_raw_html() {
        let raw = concat!("Pre", "Escaped");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("the web sources") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    assert!(!text.contains(raw), "{} writes raw HTML", path.display());
                }
            }
        }
    }

    #[test]
    fn what_people_type_cannot_become_markup() {
        let page = page(
            Language::Nl,
            "<b>",
            None,
            Some(&Notice::Problem("<i>".into())),
            html! { p { "<script>" } },
        );
        assert!(!page.contains("<b>") && !page.contains("<i>") && !page.contains("<script>"));
        assert!(page.contains("<html lang=\"nl\">"));
    }

    #[test]
    fn the_menu_shows_what_the_role_may_open_in_the_readers_language() {
        let staff = Viewer {
            name: "piet",
            role: Role::Staff,
            csrf: "t",
        };
        let page = page(Language::En, "Home", Some(&staff), None, html! {});
        assert!(page.contains("/reports") && !page.contains("/followup"));
        assert!(!page.contains("/admin/"));
        assert!(page.contains(">Reports<") && page.contains("Log out"));
    }
}
