//! The pairing screen's QR code: the dashboard page that pairs this tablet, for a coach's
//! phone camera. Drawn as black modules on white with the four-module quiet zone readers
//! need, a whole number of pixels per module so that no edge is blurred.

use qrcodegen::{QrCode, QrCodeEcc};

/// A square grey image: `side` × `side` bytes, 0 black, 255 white.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    /// Pixels on a side.
    pub side: u32,
    /// One byte per pixel, row by row.
    pub pixels: Vec<u8>,
}

/// Modules of white around the code (the standard's minimum).
const QUIET_ZONE: i32 = 4;

/// `text` as a QR code at about `target_side` pixels (never less than two pixels per
/// module); `None` if it does not fit in a QR code.
pub fn encode(text: &str, target_side: u32) -> Option<QrImage> {
    // Medium error correction: a scratched or glossy screen still reads.
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let modules = code.size() + 2 * QUIET_ZONE;
    let modules_u32 = u32::try_from(modules).ok()?;
    let scale = (target_side / modules_u32).max(2);
    let side = modules_u32 * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let mx = i32::try_from(x / scale).ok()? - QUIET_ZONE;
            let my = i32::try_from(y / scale).ok()? - QUIET_ZONE;
            // `get_module` is false outside the code: the quiet zone stays white.
            if code.get_module(mx, my) {
                pixels[(y * side + x) as usize] = 0;
            }
        }
    }
    Some(QrImage { side, pixels })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a phone would read: the image decoded by an independent QR reader.
    fn read(image: &QrImage) -> String {
        let side = image.side as usize;
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            image.pixels[y * side + x]
        });
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the image");
        let (_, content) = grids[0].decode().expect("it decodes");
        content
    }

    #[test]
    fn a_reader_gets_the_pairing_link_back() {
        let link = "https://hub.local:8443/devices?code=K7PX4C";
        let image = encode(link, 300).expect("fits");
        assert!(image.side >= 250 && image.side <= 300, "{}", image.side);
        assert_eq!(image.pixels.len(), (image.side * image.side) as usize);
        assert_eq!(read(&image), link);
        // The quiet zone: the border is white all round.
        assert!(
            image.pixels[..image.side as usize]
                .iter()
                .all(|p| *p == 255)
        );
    }

    #[test]
    fn a_small_target_still_gets_two_pixels_per_module() {
        let image = encode("https://[fd00::7]:8443/devices?code=K7PX4C", 10).unwrap();
        assert!(image.side >= 2 * 29, "{}", image.side);
        assert_eq!(read(&image), "https://[fd00::7]:8443/devices?code=K7PX4C");
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_refused() {
        assert_eq!(encode(&"x".repeat(5000), 300), None);
    }
}
