//! Painting an image's annotations into one label mask and encoding it as PNG (8-bit, or 16-bit for category
//! ids above 255).

use image::{ImageBuffer, ImageEncoder, Luma};

use super::json::{Annotation, Counts, Segmentation};
use super::mask::{self, Rle};

/// The RLEs of one annotation's segmentation for an `h`×`w` image.
pub fn rles(seg: &Segmentation, h: u32, w: u32) -> Result<Vec<Rle>, String> {
    match seg {
        Segmentation::Polygons(polys) => {
            polys.iter().map(|p| mask::from_polygon(p, h, w)).collect()
        }
        Segmentation::Rle {
            counts,
            size: [rh, rw],
        } => {
            if (*rh, *rw) != (h, w) {
                return Err(format!(
                    "RLE size {rh}x{rw} differs from the image's {h}x{w}"
                ));
            }
            Ok(vec![match counts {
                Counts::List(c) => Rle::new(h, w, c.clone())?,
                Counts::Str(s) => mask::from_string(s, h, w)?,
            }])
        }
    }
}

/// Paints `anns` in order (a later annotation wins) with their raw category ids. Returns the label image
/// (row-major) and, per annotation that could not be rendered, its id and the reason.
pub fn paint(anns: &[&Annotation], h: u32, w: u32) -> (Vec<u16>, Vec<(i64, String)>) {
    let mut label = vec![0u16; h as usize * w as usize];
    let mut problems = Vec::new();
    for ann in anns {
        let Ok(value) = u16::try_from(ann.category_id) else {
            problems.push((
                ann.id,
                format!("category_id {} does not fit a 16-bit mask", ann.category_id),
            ));
            continue;
        };
        let Some(seg) = &ann.segmentation else {
            continue;
        };
        match rles(seg, h, w) {
            Ok(rles) => rles.iter().for_each(|r| r.paint(&mut label, value)),
            Err(e) => problems.push((ann.id, e)),
        }
    }
    (label, problems)
}

/// Encodes a label image as a greyscale PNG: 8-bit when every value fits, else 16-bit.
pub fn png(label: Vec<u16>, h: u32, w: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    if label.iter().all(|v| *v <= 255) {
        let bytes: Vec<u8> = label.into_iter().map(|v| v as u8).collect();
        enc.write_image(&bytes, w, h, image::ExtendedColorType::L8)
            .map_err(|e| e.to_string())?;
    } else {
        let img: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_raw(w, h, label).ok_or("mask has the wrong size")?;
        let bytes: Vec<u8> = img.as_raw().iter().flat_map(|v| v.to_ne_bytes()).collect();
        enc.write_image(&bytes, w, h, image::ExtendedColorType::L16)
            .map_err(|e| e.to_string())?;
    }
    Ok(out)
}
