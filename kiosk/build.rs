//! Compiles the Slint UI, with the Dutch and French translations bundled in.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("../assets/translations")
        // Strings are translated once, whatever component they appear in.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(error) = slint_build::compile_with_config("ui/app.slint", config) {
        panic!("the kiosk's .slint files do not compile: {error}");
    }
    println!("cargo:rerun-if-changed=../assets/translations");
}
