//! Photos: the file is checked here (format, size, that it decodes whole), so a tablet
//! never receives an image the hub could not read itself, whether a coach sent it or
//! another tablet ([`check_received`]).

use nabij_protocol::ImageMime;
use nabij_protocol::limits::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE_PX};

/// Why a photo cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// Too many bytes.
    #[error(
        "the photo is {size} bytes; at most {MAX_PHOTO_BYTES} can be sent: make it smaller (e.g. 1600 pixels wide, JPEG quality 85)"
    )]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// Not a JPEG or PNG.
    #[error("the file is not a JPEG or PNG photo")]
    NotAPhoto,
    /// Too many pixels on a side.
    #[error("the photo is {width}×{height} pixels; at most {MAX_PHOTO_SIDE_PX} on a side")]
    TooBig {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// It does not decode.
    #[error("the photo is damaged and cannot be read: {0}")]
    Damaged(String),
}

/// What the protocol says about a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoInfo {
    /// Its format.
    pub mime: ImageMime,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Checks a photo file and reads its format and size.
pub fn inspect(bytes: &[u8]) -> Result<PhotoInfo, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge { size: bytes.len() });
    }
    let (mime, format) = match image::guess_format(bytes) {
        Ok(image::ImageFormat::Jpeg) => (ImageMime::Jpeg, image::ImageFormat::Jpeg),
        Ok(image::ImageFormat::Png) => (ImageMime::Png, image::ImageFormat::Png),
        _ => return Err(PhotoError::NotAPhoto),
    };
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| PhotoError::Damaged(e.to_string()))?;
    if width == 0 || height == 0 || width > MAX_PHOTO_SIDE_PX || height > MAX_PHOTO_SIDE_PX {
        return Err(PhotoError::TooBig { width, height });
    }
    // The JPEG decoder fills in what is missing from a file cut short; the end-of-image
    // marker after the last scan says the file is whole (bytes after it are allowed:
    // some cameras append their own).
    if format == image::ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PhotoError::Damaged(
            "the JPEG file ends before its end-of-image marker".into(),
        ));
    }
    // Decoding it whole proves it is not corrupt past the header.
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(decode_limits());
    reader
        .decode()
        .map_err(|e| PhotoError::Damaged(e.to_string()))?;
    Ok(PhotoInfo {
        mime,
        width,
        height,
    })
}

/// Whether an end-of-image marker (FF D9) follows the last start-of-scan (FF DA). Inside a
/// scan a 0xFF byte is always followed by 0x00 or a restart marker, so the first FF D9
/// after it is the real end, and a file cut short has none.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let marker = |code: u8| move |w: &[u8]| w == [0xFF, code];
    bytes
        .windows(2)
        .rposition(marker(0xDA))
        .is_some_and(|scan| bytes[scan..].windows(2).any(marker(0xD9)))
}

/// What decoding one photo may take: the protocol's largest sides, and memory for its
/// pixels at four bytes each (8192 × 8192 RGBA), so that a small file claiming a huge
/// image cannot make the hub allocate more.
fn decode_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE_PX);
    limits.max_image_height = Some(MAX_PHOTO_SIDE_PX);
    limits.max_alloc = Some(u64::from(MAX_PHOTO_SIDE_PX) * u64::from(MAX_PHOTO_SIDE_PX) * 4);
    limits
}

/// Why a photo a tablet sent is refused (`rejected` / `malformed`, with this as the
/// detail: docs/protocol.md §6.3).
#[derive(Debug, thiserror::Error)]
pub enum ReceivedPhotoError {
    /// The file is not what the message says it is.
    #[error("the photo is {is}, but its message says {said}")]
    NotAsSaid {
        /// What the message says (format and size).
        said: String,
        /// What the file is.
        is: String,
    },
    /// The file cannot be read.
    #[error(transparent)]
    Unreadable(#[from] PhotoError),
}

/// Checks a photo a tablet sent before the hub keeps or relays it: the file must be a
/// JPEG or PNG that decodes whole, of the format, width and height its message gives.
/// It decodes every pixel: the receive path runs it off the async threads, one photo at
/// a time.
pub fn check_received(photo: &nabij_protocol::Photo) -> Result<(), ReceivedPhotoError> {
    let info = inspect(&photo.data.0)?;
    let said = (photo.mime, photo.width, photo.height);
    if said != (info.mime, info.width, info.height) {
        let words = |(mime, width, height): (ImageMime, u32, u32)| {
            let format = match mime {
                ImageMime::Jpeg => "a JPEG",
                ImageMime::Png => "a PNG",
            };
            format!("{format} of {width}×{height} pixels")
        };
        return Err(ReceivedPhotoError::NotAsSaid {
            said: words(said),
            is: words((info.mime, info.width, info.height)),
        });
    }
    Ok(())
}

/// Side of a person's face photo on tablets, in pixels.
pub const FACE_PX: u32 = 192;

/// A person's photo for tablets' contact buttons and Help screen: any JPEG or PNG the
/// coach has, cut to a centred square, scaled to [`FACE_PX`] and saved as a small JPEG
/// (the protocol allows 32 KiB).
pub fn face(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    inspect(bytes)?;
    let image = image::load_from_memory(bytes).map_err(|e| PhotoError::Damaged(e.to_string()))?;
    let side = image.width().min(image.height());
    let square = image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let small = square
        .resize_exact(FACE_PX, FACE_PX, image::imageops::FilterType::Triangle)
        .to_rgb8();
    for quality in [80, 60, 40] {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&small)
            .map_err(|e| PhotoError::Damaged(e.to_string()))?;
        if out.len() <= nabij_protocol::limits::MAX_THUMBNAIL_BYTES {
            return Ok(out);
        }
    }
    Err(PhotoError::TooLarge {
        size: nabij_protocol::limits::MAX_THUMBNAIL_BYTES + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, 90])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_jpeg_is_measured_and_garbage_or_a_cut_file_is_refused() {
        let photo = jpeg(64, 48);
        assert_eq!(
            inspect(&photo).unwrap(),
            PhotoInfo {
                mime: ImageMime::Jpeg,
                width: 64,
                height: 48
            }
        );
        assert!(matches!(inspect(b"hello"), Err(PhotoError::NotAPhoto)));
        let cut = &photo[..20];
        assert!(matches!(inspect(cut), Err(PhotoError::Damaged(_))));
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(32, 32)
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let png = png.into_inner();
        assert_eq!(inspect(&png).unwrap().mime, ImageMime::Png);
        let cut = &png[..png.len() - 20];
        assert!(matches!(inspect(cut), Err(PhotoError::Damaged(_))));
        let huge = vec![0u8; MAX_PHOTO_BYTES + 1];
        assert!(matches!(inspect(&huge), Err(PhotoError::TooLarge { .. })));
    }

    #[test]
    fn a_tablets_photo_must_decode_as_its_message_says() {
        let photo = |data: Vec<u8>, mime, width, height| nabij_protocol::Photo {
            to: nabij_protocol::Recipient::Person("p-anna".parse().unwrap()),
            author: None,
            mime,
            width,
            height,
            caption: None,
            data: nabij_protocol::base64::Base64Bytes(data),
        };
        let good = jpeg(64, 48);
        assert!(check_received(&photo(good.clone(), ImageMime::Jpeg, 64, 48)).is_ok());
        let e = check_received(&photo(good.clone(), ImageMime::Jpeg, 48, 64)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the photo is a JPEG of 64×48 pixels, but its message says a JPEG of 48×64 pixels"
        );
        assert!(check_received(&photo(good.clone(), ImageMime::Png, 64, 48)).is_err());
        let cut = good[..good.len() / 2].to_vec();
        let e = check_received(&photo(cut, ImageMime::Jpeg, 64, 48)).unwrap_err();
        assert!(e.to_string().contains("damaged"), "{e}");
        let e = check_received(&photo(b"GIF89a".to_vec(), ImageMime::Jpeg, 1, 1)).unwrap_err();
        assert!(e.to_string().contains("not a JPEG or PNG"), "{e}");
    }

    #[test]
    fn a_face_is_a_small_centred_square_jpeg() {
        let face = face(&jpeg(640, 480)).unwrap();
        assert!(face.len() <= nabij_protocol::limits::MAX_THUMBNAIL_BYTES);
        assert_eq!(
            inspect(&face).unwrap(),
            PhotoInfo {
                mime: ImageMime::Jpeg,
                width: FACE_PX,
                height: FACE_PX
            }
        );
        assert!(super::face(b"nope").is_err());
    }
}
