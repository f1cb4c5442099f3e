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
