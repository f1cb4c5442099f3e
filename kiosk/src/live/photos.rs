//! Received photos: decoded with `image` and scaled down to fit the screen, once; the
//! result is cached on the tablet (`KioskStore::keep_thumbnail`).

use crate::state::Content;
use nabij_protocol::limits::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE_PX};

/// A photo that cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// Over the protocol's limits (the hub should never send one).
    #[error("the photo is too large ({0})")]
    TooLarge(String),
    /// Not a photo this tablet can read.
    #[error("the photo cannot be read: {0}")]
    Unreadable(String),
}

/// Decodes `bytes` (JPEG or PNG) and scales it to fit `max_width` × `max_height`,
/// keeping its proportions; never scales up. Returns width, height and RGBA pixels.
pub fn fit(bytes: &[u8], max_width: u32, max_height: u32) -> Result<Content, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge(format!("{} bytes", bytes.len())));
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE_PX);
    limits.max_image_height = Some(MAX_PHOTO_SIDE_PX);
    // 8192² RGBA is 256 MiB: far more than a low-cost tablet should spend on one photo.
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = reader;
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let (w, h) = (image.width(), image.height());
    let scaled = if w > max_width || h > max_height {
        image.thumbnail(max_width.max(1), max_height.max(1))
    } else {
        image
    };
    let rgba = scaled.to_rgba8();
    Ok(Content::Photo {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 255) as u8, 80, 160]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_is_scaled_to_the_screen_keeping_its_shape() {
        let Content::Photo {
            width,
            height,
            rgba,
        } = fit(&jpeg(2000, 1000), 800, 600).unwrap()
        else {
            panic!("a photo")
        };
        assert_eq!((width, height), (800, 400));
        assert_eq!(rgba.len(), 800 * 400 * 4);
        let Content::Photo { width, height, .. } = fit(&jpeg(300, 200), 800, 600).unwrap() else {
            panic!("a photo")
        };
        assert_eq!((width, height), (300, 200), "never scaled up");
        assert!(fit(b"not a photo", 800, 600).is_err());
    }
}
