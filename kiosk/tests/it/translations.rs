//! Every string on every screen is translated into Dutch and French.

use nabij_i18n::{parse_po, placeholders, slint_strings};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_ui_string_is_translated_in_dutch_and_french() {
    let strings = slint_strings(&root().join("ui")).unwrap();
    assert!(strings.len() > 40, "the .slint files lost their strings");
    for lang in ["nl", "fr"] {
        let path = root().join(format!(
            "../assets/translations/{lang}/LC_MESSAGES/nabij-kiosk.po"
        ));
        let po = parse_po(&std::fs::read_to_string(&path).unwrap());
        let untranslated: Vec<&String> = strings
            .iter()
            .filter(|s| po.get(*s).is_none_or(|t| t.trim().is_empty()))
            .collect();
        assert!(
            untranslated.is_empty(),
            "{lang}: untranslated (run `cargo xtask translations`, then translate): {untranslated:?}"
        );
        let obsolete: Vec<&String> = po.keys().filter(|k| !strings.contains(k)).collect();
        assert!(
            obsolete.is_empty(),
            "{lang}: strings no screen uses any more (run `cargo xtask translations`): {obsolete:?}"
        );
        for (source, translated) in &po {
            assert_eq!(
                placeholders(source),
                placeholders(translated),
                "{lang}: {source:?} → {translated:?} must keep its {{}}"
            );
        }
    }
}

#[test]
fn the_extractor_reads_slint_escapes_and_arguments() {
    let source =
        r#"text: @tr("Ask {} to call me", name); other: @tr( "Say \"hi\"" ); plain: "not @tr""#;
    assert_eq!(
        nabij_i18n::tr_strings(source),
        ["Ask {} to call me", "Say \"hi\""]
    );
}

#[test]
fn po_files_round_trip() {
    let strings = vec!["Home".to_owned(), "Say \"hi\"\nnow".to_owned()];
    let known = [("Home".to_owned(), "Start".to_owned())]
        .into_iter()
        .collect();
    let text = nabij_i18n::write_po("Nabij kiosk", "nl", &strings, &known);
    let back = parse_po(&text);
    assert_eq!(back.get("Home").map(String::as_str), Some("Start"));
    assert_eq!(back.get("Say \"hi\"\nnow").map(String::as_str), Some(""));
}

/// The marked words (`**…**`, `*…*`) of a row of docs/wording.md, the row whose first
/// cell starts with `row` in the section `section`; a "…" in them stands for words left
/// out, so each part between is a word of its own.
fn wording_row(section: &str, row: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("../docs/wording.md")).unwrap();
    let after = text
        .split_once(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("no section {section} in docs/wording.md"))
        .1;
    let line = after
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(&format!("| {row}")))
        .unwrap_or_else(|| panic!("no row {row:?} under {section} in docs/wording.md"));
    let cells = line.splitn(3, '|').nth(2).unwrap_or_default();
    let mut marked = Vec::new();
    for (i, part) in cells.split("**").enumerate() {
        if i % 2 == 1 {
            marked.push(part.to_owned());
        } else {
            marked.extend(part.split('*').skip(1).step_by(2).map(str::to_owned));
        }
    }
    marked
        .iter()
        .flat_map(|m| m.split('…'))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_wording_page_gives_the_wifi_screens_words_as_they_are() {
    use nabij_kiosk::{sample, words, words::Language};
    let network = "Telenet-Thuis";
    for (lang, section, row) in [
        (Language::Nl, "Nederlands", "wifi thuis"),
        (Language::Fr, "Français", "wifi à la maison"),
    ] {
        // What the Wi-Fi screens can say: their .slint words as translated, and the
        // sentences made in Rust for the sample's home network.
        let po = parse_po(
            &std::fs::read_to_string(root().join(format!(
                "../assets/translations/{}/LC_MESSAGES/nabij-kiosk.po",
                lang.code()
            )))
            .unwrap(),
        );
        let mut said: Vec<String> = po.into_values().collect();
        said.push("OK".into());
        said.extend(
            sample::wifi_outcomes()
                .iter()
                .map(|(_, outcome)| words::wifi_outcome(outcome, network, lang)),
        );
        said.push(words::wifi_joining(network, lang));
        said.push(words::wifi_password_placeholder(network, lang));
        said.push(words::wifi_password_heading(network, lang));
        said.extend([90, 50, 10].map(|strength| words::wifi_signal(strength, lang)));
        // The page writes a plain space where the screens keep a word and its sign
        // together (a French "Telenet-Thuis :").
        let said: Vec<String> = said.iter().map(|s| s.replace('\u{a0}', " ")).collect();
        let marked = wording_row(section, row);
        assert!(marked.len() > 15, "{section}: {marked:?}");
        for words in marked {
            assert!(
                said.iter().any(|s| s.contains(&words)),
                "{section}: docs/wording.md gives {words:?}, which no Wi-Fi screen says"
            );
        }
    }
}
