//! HTML made by hand: every value from a person, a tablet or the store goes through
//! [`esc`], and the page frame is the same for every page.

use crate::domain::accounts::{Area, Role};
use std::fmt::Write;

/// `text` made safe inside HTML text and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who the page is for: their name, role and form token (none on the log-in page).
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

const MENU: [(&str, &str, Area); 8] = [
    ("/followup", "Follow-up", Area::FollowUp),
    ("/groups", "Groups", Area::Programme),
    ("/people", "People", Area::People),
    ("/messages", "Write", Area::People),
    ("/devices", "Tablets", Area::Devices),
    ("/reports", "Reports", Area::Reports),
    ("/admin/accounts", "Accounts", Area::Accounts),
    ("/admin/audit", "Audit log", Area::Audit),
];

/// A whole page: the frame, the menu for the viewer's role, a notice, the body.
pub fn page(
    title: &str,
    viewer: Option<&Viewer<'_>>,
    notice: Option<&Notice>,
    body: &str,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Nabij</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>\
         <header><a class=\"brand\" href=\"/\">Nabij</a>",
        esc(title)
    );
    if let Some(v) = viewer {
        out.push_str("<nav>");
        for (href, label, area) in MENU {
            if v.role.may(area) {
                let _ = write!(out, "<a href=\"{href}\">{label}</a>");
            }
        }
        let _ = write!(
            out,
            "</nav><form class=\"logout\" method=\"post\" action=\"/logout\">{}\
             <span>{} ({})</span> <button>Log out</button></form>",
            csrf_field(v.csrf),
            esc(v.name),
            v.role.name()
        );
    }
    let _ = write!(out, "</header><main><h1>{}</h1>", esc(title));
    match notice {
        Some(Notice::Done(text)) => {
            let _ = write!(out, "<p class=\"done\" role=\"status\">{}</p>", esc(text));
        }
        Some(Notice::Problem(text)) => {
            let _ = write!(out, "<p class=\"problem\" role=\"alert\">{}</p>", esc(text));
        }
        None => {}
    }
    out.push_str(body);
    out.push_str("</main></body></html>\n");
    out
}

/// The hidden field every form carries.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A table: head cells, then rows of cells that are already HTML.
pub fn table(head: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{}</p>", esc(empty));
    }
    let mut out = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let label = head.get(i).copied().unwrap_or("");
            let _ = write!(out, "<td data-label=\"{}\">{cell}</td>", esc(label));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// The style sheet: large, high-contrast, one column on a phone (tables become cards).
pub const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:18px/1.5 system-ui,sans-serif;color:#111;background:#fff}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.75rem 1rem;background:#0d3b66;color:#fff}
header a{color:#fff}
.brand{font-weight:700;font-size:1.3rem;text-decoration:none}
nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.logout{margin-left:auto;display:flex;gap:.5rem;align-items:center}
main{max-width:64rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #bbb;vertical-align:top}
.scroll{overflow-x:auto}
form.inline{display:inline}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select,textarea,button{font:inherit;padding:.5rem .75rem;min-height:44px}
input,select,textarea{width:100%;max-width:28rem;border:2px solid #555;border-radius:4px}
button{background:#0d3b66;color:#fff;border:0;border-radius:4px;cursor:pointer;margin-top:.5rem}
header button{background:#fff;color:#0d3b66;margin:0}
.done{background:#e3f4e1;border-left:6px solid #1e6b1e;padding:.75rem}
.problem{background:#fde8e8;border-left:6px solid #a51d1d;padding:.75rem}
.empty{color:#444;font-style:italic}
.figure{font-size:1.4rem;font-weight:700}
fieldset.marks{border:1px solid #bbb;border-radius:6px;margin:0 0 .75rem;padding:.5rem}
legend{font-weight:700;padding:0 .25rem}
label.mark{display:inline-flex;align-items:center;gap:.4rem;margin:.25rem .75rem .25rem 0;padding:.5rem .75rem;border:2px solid #555;border-radius:6px;min-height:48px;font-weight:400}
input[type=checkbox],input[type=radio]{width:1.4rem;height:1.4rem;min-height:0}
details{margin:.25rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(24rem,1fr));gap:1rem;margin:.5rem 0 1rem}
svg.graph{max-width:26rem}
figure{margin:0}
figcaption{font-weight:600;margin-top:.25rem}
summary{cursor:pointer;color:#0d3b66;text-decoration:underline}
@media (max-width:40rem){
 thead{display:none}
 tr{display:block;border:1px solid #bbb;border-radius:6px;margin:0 0 .75rem;padding:.25rem .5rem}
 td{display:block;border:0;padding:.25rem 0}
 td::before{content:attr(data-label);display:block;font-size:.85rem;color:#444}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_type_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let page = page("<b>", None, Some(&Notice::Problem("<i>".into())), "");
        assert!(!page.contains("<b>") && !page.contains("<i>"));
    }

    #[test]
    fn the_menu_shows_what_the_role_may_open() {
        let staff = Viewer {
            name: "piet",
            role: Role::Staff,
            csrf: "t",
        };
        let page = page("Home", Some(&staff), None, "");
        assert!(page.contains("/reports") && !page.contains("/followup"));
        assert!(!page.contains("/admin/"));
    }
}
