//! Rendering without a display: a Slint platform around `MinimalSoftwareWindow`, sized
//! and scaled from a firmware profile, and snapshots to PNG.

use crate::platform::profile::Profile;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, PlatformError, WindowAdapter};
use slint::{ComponentHandle, PhysicalSize};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Why a screen could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Slint refused.
    #[error("rendering failed: {0}")]
    Slint(String),
    /// The PNG could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The reason.
        reason: String,
    },
}

thread_local! {
    static LATEST: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

struct Headless {
    started: Instant,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        LATEST.with(|latest| *latest.borrow_mut() = Some(window.clone()));
        Ok(window)
    }

    fn duration_since_start(&self) -> std::time::Duration {
        self.started.elapsed()
    }
}

/// Makes this thread render without a display. Safe to call more than once.
pub fn init() {
    // Slint keeps one platform per thread; a second call finds it set, which is fine.
    let _ = slint::platform::set_platform(Box::new(Headless {
        started: Instant::now(),
    }));
}

/// Sizes and scales `app`'s window for `profile` and shows it.
pub fn fit(app: &crate::ui::App, profile: &Profile) -> Result<(), RenderError> {
    let (w, h) = profile.window_px();
    app.window()
        .dispatch_event(slint::platform::WindowEvent::ScaleFactorChanged {
            scale_factor: profile.scale_factor(),
        });
    app.window().set_size(PhysicalSize::new(w, h));
    crate::adapters::fit_screen(app, profile);
    app.show().map_err(|e| RenderError::Slint(e.to_string()))
}

/// The current picture of `app`'s window.
pub fn snapshot(app: &crate::ui::App) -> Result<image::RgbaImage, RenderError> {
    let pixels = app
        .window()
        .take_snapshot()
        .map_err(|e| RenderError::Slint(e.to_string()))?;
    image::RgbaImage::from_raw(pixels.width(), pixels.height(), pixels.as_bytes().to_vec())
        .ok_or_else(|| RenderError::Slint("the snapshot has the wrong size".into()))
}

/// Writes a snapshot as PNG.
pub fn write_png(picture: &image::RgbaImage, path: &std::path::Path) -> Result<(), RenderError> {
    picture.save(path).map_err(|e| RenderError::Write {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
