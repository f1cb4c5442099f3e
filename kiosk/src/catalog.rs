//! The translation catalogue: the `@tr("…")` strings of the .slint files and the gettext
//! `.po` files that translate them. Shared (by `#[path]`) with `cargo xtask translations`,
//! so that the tool that updates the files and the test that checks them read them alike.

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
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("@tr(") {
        rest = rest[start + 4..].trim_start();
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

fn po_unquote(text: &str) -> String {
    let inner = text.trim().trim_start_matches('"').trim_end_matches('"');
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a `.po` file's entries (msgid → msgstr), without the header. Multi-line
/// strings (continuation lines in quotes) are joined.
pub fn parse_po(text: &str) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    let (mut id, mut value, mut target): (Option<String>, Option<String>, u8) = (None, None, 0);
    let mut flush = |id: &mut Option<String>, value: &mut Option<String>| {
        if let (Some(i), Some(v)) = (id.take(), value.take())
            && !i.is_empty()
        {
            entries.insert(i, v);
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("msgid ") {
            flush(&mut id, &mut value);
            id = Some(po_unquote(rest));
            target = 1;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            value = Some(po_unquote(rest));
            target = 2;
        } else if line.starts_with('"') {
            let more = po_unquote(line);
            match target {
                1 => id.get_or_insert_with(String::new).push_str(&more),
                2 => value.get_or_insert_with(String::new).push_str(&more),
                _ => {}
            }
        } else if line.is_empty() {
            flush(&mut id, &mut value);
            target = 0;
        }
    }
    flush(&mut id, &mut value);
    entries
}

/// Writes a `.po` file for `language` with exactly `strings`, keeping the translations
/// of `known` (untranslated strings get an empty msgstr).
pub fn write_po(language: &str, strings: &[String], known: &BTreeMap<String, String>) -> String {
    let mut out = format!(
        "# Nabij kiosk, {language}. Update with `cargo xtask translations`; translate every empty msgstr.\n\
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
