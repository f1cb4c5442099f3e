//! Compiles the Slint UI, with the Dutch and French translations bundled in.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("../assets/translations")
        // Strings are translated once, whatever component they appear in.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element names and types for the tests, which find elements and measure them
        // (i-slint-backend-testing); left out of release builds.
        .with_debug_info(std::env::var("PROFILE").is_ok_and(|p| p == "debug"));
    if let Err(error) = slint_build::compile_with_config("ui/app.slint", config) {
        panic!("the kiosk's .slint files do not compile: {error}");
    }
    for lang in ["nl", "fr"] {
        println!("cargo:rerun-if-changed=../assets/translations/{lang}/LC_MESSAGES/nabij-kiosk.po");
    }
}
