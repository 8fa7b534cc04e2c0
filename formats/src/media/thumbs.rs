//! Making the four thumbnails of one encoded image: decode once (JPEG at reduced DCT scale), apply EXIF
//! orientation, resize 256 → 128 → 64 → 32 with SIMD (each from the one before), encode JPEG q85.

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, RgbImage};

use super::jpeg;

/// Thumbnail boxes, largest first (each is made from the previous one).
pub const BOXES: [u32; 4] = [256, 128, 64, 32];
/// JPEG quality of thumbnails.
pub const QUALITY: i32 = 85;

/// One thumbnail: its box (`"32x32"`) and JPEG bytes.
#[derive(Debug, Clone)]
pub struct Thumb {
    /// The box it fits, e.g. `"256x256"`.
    pub dimension: String,
    /// Width of the thumbnail.
    pub width: u32,
    /// Height of the thumbnail.
    pub height: u32,
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
}

/// The size fitting `(w, h)` into a `bx`×`bx` box with the aspect kept, never enlarging (as Pillow's thumbnail).
pub fn fit(w: u32, h: u32, bx: u32) -> (u32, u32) {
    if w <= bx && h <= bx {
        return (w.max(1), h.max(1));
    }
    if w >= h {
        (
            bx,
            ((h as f64 * bx as f64 / w as f64).round() as u32).max(1),
        )
    } else {
        (
            ((w as f64 * bx as f64 / h as f64).round() as u32).max(1),
            bx,
        )
    }
}

/// Makes the four thumbnails of an encoded image.
pub fn thumbnails(bytes: &[u8]) -> Result<Vec<Thumb>, String> {
    let src = decode(bytes)?;
    let (w, h) = (src.width(), src.height());
    let mut resizer = Resizer::new();
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut current =
        FirImage::from_vec_u8(w, h, src.into_raw(), PixelType::U8x3).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(BOXES.len());
    for bx in BOXES {
        let (tw, th) = fit(w, h, bx);
        if (tw, th) != (current.width(), current.height()) {
            let mut dst = FirImage::new(tw, th, PixelType::U8x3);
            resizer
                .resize(&current, &mut dst, &opts)
                .map_err(|e| e.to_string())?;
            current = dst;
        }
        let jpeg = jpeg::encode(tw, th, current.buffer(), QUALITY)?;
        out.push(Thumb {
            dimension: format!("{bx}x{bx}"),
            width: tw,
            height: th,
            jpeg,
        });
    }
    Ok(out)
}

/// Decodes to upright RGB8. JPEGs decode at the smallest DCT scale that keeps 256 px; transparent pixels are
/// composited over white.
fn decode(bytes: &[u8]) -> Result<RgbImage, String> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let rgb = jpeg::decode_scaled(bytes, BOXES[0])?;
        let img = RgbImage::from_raw(rgb.width, rgb.height, rgb.pixels)
            .ok_or("decoded JPEG has the wrong size")?;
        let mut dynimg = DynamicImage::ImageRgb8(img);
        if let Some(o) =
            jpeg::exif_orientation(bytes).and_then(image::metadata::Orientation::from_exif)
        {
            dynimg.apply_orientation(o);
        }
        return Ok(dynimg.into_rgb8());
    }
    let mut decoder = super::checked_decoder(bytes, None)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    img.apply_orientation(orientation);
    Ok(if img.color().has_alpha() {
        over_white(&img.into_rgba8())
    } else {
        img.into_rgb8()
    })
}

fn over_white(rgba: &image::RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = p[3] as u32;
        let mix = |c: u8| ((c as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(640, 480, 256), (256, 192));
        assert_eq!(fit(480, 640, 32), (24, 32));
        assert_eq!(fit(100, 50, 256), (100, 50));
        assert_eq!(fit(10000, 1, 32), (32, 1));
    }

    #[test]
    fn png_with_alpha_and_exif_free_jpeg() {
        let mut png = Vec::new();
        let img = image::RgbaImage::from_pixel(300, 150, image::Rgba([255, 0, 0, 0]));
        DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let t = thumbnails(&png).unwrap();
        assert_eq!(
            t.iter().map(|t| (t.width, t.height)).collect::<Vec<_>>(),
            vec![(256, 128), (128, 64), (64, 32), (32, 16)]
        );
        let px = image::load_from_memory(&t[0].jpeg)
            .unwrap()
            .into_rgb8()
            .get_pixel(5, 5)
            .0;
        assert!(
            px.iter().all(|c| *c > 240),
            "transparent became {px:?}, not white"
        );
        let jpg = jpeg::encode(400, 100, &vec![128u8; 400 * 100 * 3], 90).unwrap();
        let t = thumbnails(&jpg).unwrap();
        assert_eq!((t[0].width, t[0].height), (256, 64));
        assert!(thumbnails(b"hello").is_err());
        assert!(thumbnails(&jpg[..jpg.len() / 3]).is_err());
    }
}
