//! Media helpers shared by the formats and the engine's thumbnail stage: stream-copy video writing and exact
//! cuts, JPEG decoding at a reduced DCT scale and encoding (libjpeg-turbo), and the four thumbnails of an image
//! (the `media` feature); and pixel-count checks on images (always).

#[cfg(feature = "media")]
pub mod cut;
#[cfg(feature = "media")]
pub mod jpeg;
#[cfg(feature = "media")]
mod mp4_edit;
#[cfg(feature = "media")]
mod thumbs;
#[cfg(feature = "media")]
pub mod video;

#[cfg(feature = "media")]
pub use thumbs::{BOXES, QUALITY, Thumb, fit, thumbnails};

/// Why a video or PDF was left out by a build without the `media` feature.
#[cfg(not(feature = "media"))]
pub const NO_MEDIA: &str = "this build of lakefeed has no media codecs (the `media` feature): videos and PDFs are not read";

/// The most pixels an image or mask may declare and still be decoded or painted: Pillow's decompression-bomb
/// limit (2 × `MAX_IMAGE_PIXELS`). A larger one keeps its bytes in its row; whatever needs its pixels (thumbnails,
/// a mask, a check) is left out with a warning, so a small hostile file cannot exhaust memory.
pub const MAX_PIXELS: u64 = 178_956_970;

/// An error naming the size when `width × height` is over [`MAX_PIXELS`].
pub fn check_pixels(width: u32, height: u32) -> Result<(), String> {
    let n = u64::from(width) * u64::from(height);
    if n > MAX_PIXELS {
        Err(format!(
            "{width}x{height} is {n} pixels, over the limit of {MAX_PIXELS}; not decoded"
        ))
    } else {
        Ok(())
    }
}

/// A decoder of `bytes` (format from `format`, else guessed) whose declared size has been checked against
/// [`MAX_PIXELS`], with allocations capped to match.
pub fn checked_decoder(
    bytes: &[u8],
    format: Option<image::ImageFormat>,
) -> Result<impl image::ImageDecoder + '_, String> {
    let cursor = std::io::Cursor::new(bytes);
    let mut reader = match format {
        Some(f) => image::ImageReader::with_format(cursor, f),
        None => image::ImageReader::new(cursor)
            .with_guessed_format()
            .map_err(|e| e.to_string())?,
    };
    if reader.format().is_none() {
        return Err("not a recognised image format".into());
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    check_pixels(w, h)?;
    Ok(decoder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_limit_is_on_the_declared_size() {
        assert!(check_pixels(13_377, 13_377).is_ok()); // 178,944,129 pixels: just under
        let e = check_pixels(40_000, 40_000).unwrap_err();
        assert!(
            e.contains("40000x40000") && e.contains("not decoded"),
            "{e}"
        );
        assert!(check_pixels(u32::MAX, u32::MAX).is_err(), "no overflow");
        let mut png = Vec::new();
        image::RgbImage::new(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(checked_decoder(&png, None).is_ok());
        assert!(checked_decoder(b"plain text", None).is_err());
    }
}
