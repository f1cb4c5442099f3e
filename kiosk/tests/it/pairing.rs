//! The pairing screen's QR code, read from the rendered screen by an independent QR
//! reader, as a coach's phone reads it from the glass.

use nabij_kiosk::platform::profile::shipped;
use nabij_kiosk::platform::render::render_state;
use nabij_kiosk::sample;
use nabij_kiosk::state::Screen;
use nabij_kiosk::ui;
use nabij_kiosk::words::Language;
use slint::ComponentHandle;

/// The QR codes a reader finds in a screenshot.
fn codes_in(picture: &image::RgbaImage) -> Vec<String> {
    let grey = image::DynamicImage::ImageRgba8(picture.clone()).to_luma8();
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey.as_raw()[y * w + x]);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn every_tablet_shows_a_qr_code_a_phone_reads_as_the_dashboards_pairing_page() {
    let link = "https://hub.local:8443/devices?code=K7PX4C";
    for profile in shipped().unwrap() {
        let mut state = sample::state(Screen::Pairing, Language::Nl);
        state.pairing_link = Some(link.into());
        let (app, picture) = render_state(&profile, state, 100).unwrap();
        assert!(app.global::<ui::Api>().get_pairing_qr_shown());
        assert_eq!(codes_in(&picture), [link], "{}", profile.name);
    }
}

#[test]
fn without_the_dashboards_port_there_is_only_the_code() {
    let profile = shipped().unwrap().into_iter().next().unwrap();
    let mut state = sample::state(Screen::Pairing, Language::Fr);
    state.pairing_link = None;
    let (app, picture) = render_state(&profile, state, 100).unwrap();
    assert!(!app.global::<ui::Api>().get_pairing_qr_shown());
    assert!(codes_in(&picture).is_empty());
    // Elsewhere than the pairing screen, no QR code either.
    let (app, _) = render_state(&profile, sample::state(Screen::Home, Language::Nl), 100).unwrap();
    assert!(!app.global::<ui::Api>().get_pairing_qr_shown());
}
