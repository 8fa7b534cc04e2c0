//! JPEG decoding at reduced DCT scale through libjpeg-turbo, and JPEG encoding.

use turbojpeg::raw;

/// A decoded RGB8 image.
#[derive(Debug)]
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Packed RGB rows, no padding.
    pub pixels: Vec<u8>,
}

/// Owns a TurboJPEG decompressor handle.
struct Handle(raw::tjhandle);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tjInitDecompress and is destroyed once.
        unsafe { raw::tjDestroy(self.0) };
    }
}

fn last_error(h: &Handle) -> String {
    // SAFETY: tjGetErrorStr2 returns a NUL-terminated static or handle-owned string.
    unsafe { std::ffi::CStr::from_ptr(raw::tjGetErrorStr2(h.0)) }
        .to_string_lossy()
        .into_owned()
}

/// Decodes `jpeg` at the smallest DCT scale (1/8, 1/4, 1/2 or 1) whose longer side stays at least `min_side`
/// (or the full image when it is smaller than that).
pub fn decode_scaled(jpeg: &[u8], min_side: u32) -> Result<Rgb, String> {
    // SAFETY: tjInitDecompress has no preconditions; a null handle is checked.
    let h = Handle(unsafe { raw::tjInitDecompress() });
    if h.0.is_null() {
        return Err("cannot start the JPEG decoder".into());
    }
    let len = jpeg.len() as std::os::raw::c_ulong;
    let (mut w, mut ht, mut subsamp, mut cs) = (0, 0, 0, 0);
    // SAFETY: the buffer and length describe `jpeg`; the out-pointers are valid locals.
    let rc = unsafe {
        raw::tjDecompressHeader3(
            h.0,
            jpeg.as_ptr(),
            len,
            &mut w,
            &mut ht,
            &mut subsamp,
            &mut cs,
        )
    };
    if rc != 0 || w <= 0 || ht <= 0 {
        return Err(format!("not a readable JPEG: {}", last_error(&h)));
    }
    super::check_pixels(w as u32, ht as u32)?;
    let longer = w.max(ht) as u32;
    let denom = [8u32, 4, 2, 1]
        .into_iter()
        .find(|d| longer.div_ceil(*d) >= min_side)
        .unwrap_or(1);
    let sw = (w as u32).div_ceil(denom);
    let sh = (ht as u32).div_ceil(denom);
    let mut pixels = vec![0u8; sw as usize * sh as usize * 3];
    // SAFETY: `pixels` holds sw*sh*3 bytes, exactly what TJPF_RGB at the scaled size writes with pitch sw*3.
    let rc = unsafe {
        raw::tjDecompress2(
            h.0,
            jpeg.as_ptr(),
            len,
            pixels.as_mut_ptr(),
            sw as i32,
            (sw * 3) as i32,
            sh as i32,
            raw::TJPF_TJPF_RGB as _,
            0,
        )
    };
    if rc != 0 {
        let msg = last_error(&h);
        // Warnings (e.g. "premature end of data") still leave a usable image only when no error was raised;
        // treat every failure as a failed thumbnail.
        return Err(format!("JPEG decode failed: {msg}"));
    }
    Ok(Rgb {
        width: sw,
        height: sh,
        pixels,
    })
}

/// Encodes packed RGB8 as a baseline JPEG at `quality`, 4:2:0.
pub fn encode(width: u32, height: u32, rgb: &[u8], quality: i32) -> Result<Vec<u8>, String> {
    let image = turbojpeg::Image {
        pixels: rgb,
        width: width as usize,
        pitch: width as usize * 3,
        height: height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    turbojpeg::compress(image, quality, turbojpeg::Subsamp::Sub2x2)
        .map(|b| b.to_vec())
        .map_err(|e| e.to_string())
}

/// The EXIF orientation (1–8) stored in a JPEG's APP1 segment, if any.
pub fn exif_orientation(jpeg: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[0] == 0xFF && jpeg[1] == 0xD8 {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let seg_len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        let body = jpeg.get(i + 4..i + 2 + seg_len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return image::metadata::Orientation::from_exif_chunk(&body[6..]).map(orientation_code);
        }
        i += 2 + seg_len;
    }
    None
}

fn orientation_code(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}
