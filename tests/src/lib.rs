//! Helpers for the end-to-end tests: a real hub on free ports, simulated kiosks, a
//! captured log, the built binaries and the documented protocol examples.

pub mod https;
pub mod hub;
pub mod logs;
pub mod mqtt_client;
pub mod serve;
pub mod sim_kiosk;
pub mod webdriver;

use std::path::{Path, PathBuf};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The path of a binary built from this workspace (`nabij-hub`, `nabij-kiosk`), next to
/// the test executable. `cargo xtask test` builds the binaries before it runs the tests
/// (`cargo test` alone builds only those its own package's tests need).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // The test runs from target/<profile>/deps/; binaries sit in target/<profile>/.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo xtask test`, or `cargo build --workspace --bins` \
         before `cargo test`",
        path.display()
    );
    path
}

/// One JSON example from `docs/protocol.md`: the topic it is given for, and its text.
#[derive(Debug, Clone)]
pub struct DocExample {
    /// The 1-based line of the opening fence, for error messages.
    pub line: usize,
    /// The topic from the `Example on `…`:` line above the block.
    pub topic: String,
    /// The JSON, exactly as written.
    pub json: String,
}

/// Every ```json block of a protocol document. Each must follow a line
/// ``Example on `TOPIC`:`` so that the tests know where it travels; a block without one
/// is reported as an error, so no example escapes the tests.
pub fn doc_examples(markdown: &str) -> Result<Vec<DocExample>, String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut examples = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() != "```json" {
            i += 1;
            continue;
        }
        let line = i + 1;
        let intro = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .copied()
            .unwrap_or("");
        let topic = intro
            .strip_prefix("Example on `")
            .and_then(|rest| rest.strip_suffix("`:"))
            .ok_or_else(|| {
                format!("line {line}: a json block must follow \"Example on `TOPIC`:\"")
            })?;
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.trim_end() == "```")
            .ok_or_else(|| format!("line {line}: json block is never closed"))?;
        let json = lines[i + 1..i + 1 + end].join("\n");
        examples.push(DocExample {
            line,
            topic: topic.to_owned(),
            json,
        });
        i += end + 2;
    }
    Ok(examples)
}

/// The examples of the workspace's `docs/protocol.md`.
pub fn protocol_doc_examples() -> Vec<DocExample> {
    let path = workspace_root().join("docs/protocol.md");
    let markdown = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    doc_examples(&markdown).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JPEG photo of `width` × `height` pixels (a colour gradient), as a coach might send.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 250) as u8, (y % 250) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("an image in memory encodes");
    out.into_inner()
}
