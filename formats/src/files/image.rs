//! Image files: stored byte for byte, after a cheap integrity check so that a renamed text file or a truncated
//! download is skipped with a reason instead of landing as a broken IMAGE.

use image::ImageFormat;

/// Checks that `bytes` are a whole image of a format we store; returns (format name, width, height).
pub fn check(bytes: &[u8]) -> Result<(&'static str, u32, u32), String> {
    let format = image::guess_format(bytes).map_err(|_| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
            .replace(|c: char| c.is_control(), " ");
        if bytes.is_empty() {
            "empty file".to_string()
        } else {
            format!("not an image (starts with {head:?})")
        }
    })?;
    let name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::WebP => "WebP",
        other => return Err(format!("unsupported image format {other:?}")),
    };
    let (w, h) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| format!("unreadable {name} header: {e}"))?;
    if w == 0 || h == 0 {
        return Err(format!("{name} declares an empty {w}x{h} image"));
    }
    let complete = match format {
        ImageFormat::Jpeg => tail(bytes, 64 << 10).windows(2).any(|w| w == [0xFF, 0xD9]),
        ImageFormat::Png => tail(bytes, 64).windows(4).any(|w| w == b"IEND"),
        ImageFormat::Gif => tail(bytes, 16).contains(&0x3B),
        ImageFormat::WebP => {
            bytes.len() >= 12
                && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8
                    <= bytes.len()
        }
        _ => bmp_complete(bytes),
    };
    if complete {
        Ok((name, w, h))
    } else {
        Err(format!(
            "truncated {name}: the file ends before the image data does"
        ))
    }
}

fn tail(bytes: &[u8], n: usize) -> &[u8] {
    &bytes[bytes.len().saturating_sub(n)..]
}

/// A BMP whose pixel array (offset + declared image size) fits in the file.
fn bmp_complete(bytes: &[u8]) -> bool {
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    match (u32_at(10), u32_at(34)) {
        (Some(offset), Some(size)) if size > 0 => offset + size <= bytes.len(),
        (Some(offset), _) => offset < bytes.len(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut v = Vec::new();
        image::RgbImage::new(4, 3)
            .write_to(&mut std::io::Cursor::new(&mut v), ImageFormat::Png)
            .unwrap();
        v
    }

    #[test]
    fn accepts_whole_images_and_rejects_the_rest() {
        assert_eq!(check(&png()).unwrap(), ("PNG", 4, 3));
        let p = png();
        assert!(check(&p[..p.len() - 20]).unwrap_err().contains("truncated"));
        assert!(
            check(b"hello, I am text")
                .unwrap_err()
                .contains("not an image")
        );
        assert_eq!(check(b"").unwrap_err(), "empty file");
    }
}
