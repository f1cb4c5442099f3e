//! Translation catalogues: the strings the kiosk's screens (`@tr("…")` in .slint files)
//! and the dashboard's pages (`t!(lang, "…")` in Rust) show, and the gettext `.po` files
//! that translate them. One crate, without dependencies, for the tool that updates the
//! files (`cargo xtask translations`), the builds that read them and the tests that check
//! them, so that all read them alike. An entry marked `#, fuzzy` is not translated (as
//! gettext's own tools treat it).

use std::collections::BTreeMap;
use std::path::Path;

/// Every `@tr("…")` string in the `.slint` files below `dir`, with Slint's escapes
/// resolved, in sorted order without duplicates.
pub fn slint_strings(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "slint") {
                found.extend(tr_strings(&std::fs::read_to_string(&path)?));
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The string literals that directly follow `@tr(` in one file.
pub fn tr_strings(source: &str) -> Vec<String> {
    literals_after(source, "@tr(", false)
}

/// Every `t!(lang, "…")` string in the Rust files below `dir`, escapes resolved, sorted,
/// without duplicates.
pub fn rust_strings(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.extend(t_strings(&std::fs::read_to_string(&path)?));
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The string literals of `t!(lang, "…")` in one Rust file: after `t!(`, an expression
/// without commas (the language), a comma, then the literal. Comment lines (`//`, `///`,
/// `//!`) are skipped: documentation shows the macro without asking for a translation.
pub fn t_strings(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| format!("{line}\n"))
        .collect();
    literals_after(&code, "t!(", true)
}

/// The string literals that follow `opening` (and, with `skip_argument`, one argument and
/// its comma).
fn literals_after(source: &str, opening: &str, skip_argument: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(opening) {
        // `t!(` must not be the end of a longer name (`fmt!(`).
        let before = rest[..start].chars().next_back();
        rest = rest[start + opening.len()..].trim_start();
        if skip_argument {
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            // The first argument ends at a comma outside any brackets.
            let mut depth = 0i32;
            let mut comma = None;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth == 0 => break,
                    ')' | ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        comma = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(comma) = comma else {
                continue;
            };
            rest = rest[comma + 1..].trim_start();
        }
        let Some(body) = rest.strip_prefix('"') else {
            continue;
        };
        let mut text = String::new();
        let mut chars = body.char_indices();
        let mut end = body.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => text.push('\n'),
                    Some((_, other)) => text.push(other),
                    None => break,
                },
                '"' => {
                    end = i + 1;
                    break;
                }
                c => text.push(c),
            }
        }
        out.push(text);
        rest = &body[end..];
    }
    out
}

fn po_quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// The text of one quoted `.po` string: from its opening quote to the first quote not
/// escaped. (Trimming every quote off both ends lost a translation's own closing `\"`:
/// `"Zeg \"dag\""` read as `Zeg "dag`.)
fn po_unquote(text: &str) -> String {
    let text = text.trim();
    let inner = text.strip_prefix('"').unwrap_or(text);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            },
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

/// Reads a `.po` file's entries (msgid → msgstr), without the header. Multi-line
/// strings (continuation lines in quotes) are joined; a `#, fuzzy` entry reads as not
/// translated (an empty msgstr).
pub fn parse_po(text: &str) -> BTreeMap<String, String> {
    /// The entry being read.
    #[derive(Default)]
    struct Entry {
        id: Option<String>,
        value: Option<String>,
        fuzzy: bool,
    }
    let mut entries = BTreeMap::new();
    let mut flush = |entry: &mut Entry| {
        let done = std::mem::take(entry);
        if let (Some(i), Some(v)) = (done.id, done.value)
            && !i.is_empty()
        {
            entries.insert(i, if done.fuzzy { String::new() } else { v });
        }
    };
    let mut entry = Entry::default();
    // Flags come before their msgid; they belong to the next entry.
    let mut next_fuzzy = false;
    let mut target = 0u8;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("#,") {
            flush(&mut entry);
            next_fuzzy |= line.contains("fuzzy");
            target = 0;
        } else if let Some(rest) = line.strip_prefix("msgid ") {
            flush(&mut entry);
            entry.id = Some(po_unquote(rest));
            entry.fuzzy = std::mem::take(&mut next_fuzzy);
            target = 1;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            entry.value = Some(po_unquote(rest));
            target = 2;
        } else if line.starts_with('"') {
            let more = po_unquote(line);
            match target {
                1 => entry.id.get_or_insert_with(String::new).push_str(&more),
                2 => entry.value.get_or_insert_with(String::new).push_str(&more),
                _ => {}
            }
        } else if line.is_empty() {
            flush(&mut entry);
            target = 0;
        }
    }
    flush(&mut entry);
    entries
}

/// Writes a `.po` file of `what` (e.g. "Nabij kiosk") for `language` with exactly
/// `strings`, keeping the translations of `known` (untranslated strings get an empty
/// msgstr).
pub fn write_po(
    what: &str,
    language: &str,
    strings: &[String],
    known: &BTreeMap<String, String>,
) -> String {
    let mut out = format!(
        "# {what}, {language}. Update with `cargo xtask translations`; translate every empty msgstr.\n\
         msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Language: {language}\\n\"\n"
    );
    for s in strings {
        let translated = known.get(s).cloned().unwrap_or_default();
        out += &format!(
            "\nmsgid {}\nmsgstr {}\n",
            po_quote(s),
            po_quote(&translated)
        );
    }
    out
}

/// The `{}` placeholders of a string, counted.
pub fn placeholders(text: &str) -> usize {
    text.matches("{}").count()
}

/// A catalogue ready for lookups: a `.po` file's translations (empty ones left out, so
/// that the source text shows).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: BTreeMap<String, String>,
}

impl Catalogue {
    /// The catalogue in a `.po` file's text.
    pub fn from_po(text: &str) -> Catalogue {
        Catalogue {
            entries: parse_po(text)
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        }
    }

    /// The translation of `source`, if there is one.
    pub fn get(&self, source: &str) -> Option<&str> {
        self.entries.get(source).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_translation_that_ends_in_a_quote_keeps_it() {
        // Found by the po_catalogue fuzz target: the closing `\"` was taken for the
        // string's own closing quote.
        let po = "msgid \"Say \\\"hello\\\"\"\nmsgstr \"Zeg \\\"dag\\\"\"\n";
        let entries = parse_po(po);
        assert_eq!(
            entries.get("Say \"hello\"").map(String::as_str),
            Some("Zeg \"dag\"")
        );
        let strings: Vec<String> = entries.keys().cloned().collect();
        assert_eq!(
            parse_po(&write_po("Nabij", "nl", &strings, &entries)),
            entries
        );
    }

    #[test]
    fn fuzzy_entries_are_not_translations() {
        let po = "msgid \"\"\nmsgstr \"\"\n\n#, fuzzy\nmsgid \"Home\"\nmsgstr \"Thuis\"\n\nmsgid \"Help\"\nmsgstr \"Hulp\"\n";
        let entries = parse_po(po);
        assert_eq!(entries.get("Home").map(String::as_str), Some(""));
        assert_eq!(entries.get("Help").map(String::as_str), Some("Hulp"));
        let catalogue = Catalogue::from_po(po);
        assert_eq!(
            (catalogue.get("Home"), catalogue.get("Help")),
            (None, Some("Hulp"))
        );
    }

    #[test]
    fn rust_strings_are_found_after_the_language() {
        let source = r#"let a = t!(lang, "Groups"); let b = t!(me.lang(), "Hello {}", name);
            let c = fmt!(x, "not this"); let d = t!(lang, "A \"quoted\" word");
            /// Written `t!(lang, "in a comment")`, which asks for nothing.
            let e = t!(
                lang,
                "over lines"
            );"#;
        assert_eq!(
            t_strings(source),
            ["Groups", "Hello {}", "A \"quoted\" word", "over lines"]
        );
    }
}
