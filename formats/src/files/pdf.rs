//! PDF files: one row per page, the page rendered to PNG at `pdf_dpi` with PDFium and its text.
//!
//! PDFium binds once per process and serialises its calls, so pages of one file render one after another; the
//! PNG encoding of page k runs on a helper thread while page k+1 renders, and separate files run in parallel.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::{DynamicImage, ImageEncoder};
use lakefeed_core::{Error, Result};
use pdfium_render::prelude::*;

use super::table::Row;
use crate::ordered::{Msg, Sink};

/// Environment variable naming the directory that holds `libpdfium.so`.
pub const PDFIUM_DIR_ENV: &str = "LAKEFEED_PDFIUM_DIR";

static PDFIUM: OnceLock<std::result::Result<Pdfium, String>> = OnceLock::new();

/// Where we look for `libpdfium.so`, in order.
fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for var in [PDFIUM_DIR_ENV, "PDFIUM_DYNAMIC_LIB_PATH"] {
        if let Some(d) = std::env::var_os(var) {
            dirs.push(PathBuf::from(d));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cache/lakefeed/pdfium"));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir);
    }
    dirs.into_iter()
        .map(|d| Pdfium::pdfium_platform_library_name_at_path(&d))
        .collect()
}

/// The process-wide PDFium binding, or an IngestError saying how to install the library.
pub fn pdfium() -> Result<&'static Pdfium> {
    let bound = PDFIUM.get_or_init(|| {
        let tried = candidates();
        let bindings = tried
            .iter()
            .filter(|p| p.is_file())
            .find_map(|p| Pdfium::bind_to_library(p).ok())
            .or_else(|| Pdfium::bind_to_system_library().ok());
        match bindings {
            Some(b) => Ok(Pdfium::new(b)),
            None => Err(format!(
                "PDFium library (libpdfium.so) not found; run scripts/setup.sh, or set {PDFIUM_DIR_ENV} to the folder \
                 holding it (pip install pypdfium2 ships one in site-packages/pypdfium2_raw). Looked in: {}",
                tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            )),
        }
    });
    bound.as_ref().map_err(|e| Error::Ingest(e.clone()))
}

/// Renders every page of `path`, sending one part per page.
pub fn process(path: &Path, dpi: f32, emit: &mut dyn FnMut(Vec<Row>) -> bool, sink: &Sink) {
    let pdfium = match pdfium() {
        Ok(p) => p,
        Err(e) => {
            let _ = sink.send(Msg::Skip(e.to_string()));
            return;
        }
    };
    let doc = match pdfium.load_pdf_from_file(path, None) {
        Ok(d) => d,
        Err(PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError)) => {
            let _ = sink.send(Msg::Skip(
                "encrypted PDF: a password is needed to open it".into(),
            ));
            return;
        }
        Err(e) => {
            let _ = sink.send(Msg::Skip(format!("unreadable PDF: {e}")));
            return;
        }
    };
    let mut pending: Option<(i64, String, DynamicImage)> = None;
    let pages = doc.pages();
    for (i, page) in pages.iter().enumerate() {
        let scale = page_scale(page.width().value, page.height().value, dpi);
        if scale < dpi / 72.0 {
            let _ = sink.send(Msg::Warn(format!(
                "{}: page {} is too large to render at {dpi} DPI; rendered at {:.0} DPI",
                path.display(),
                i + 1,
                scale * 72.0
            )));
        }
        let config = PdfRenderConfig::new().scale_page_by_factor(scale);
        let render = || -> std::result::Result<(String, DynamicImage), String> {
            let text = page.text().map(|t| t.all()).unwrap_or_default();
            let img = page
                .render_with_config(&config)
                .and_then(|b| b.as_image())
                .map_err(|e| e.to_string())?;
            Ok((text, img))
        };
        // Encode the previous page on a helper thread while this one renders (PDFium calls stay on this thread).
        let previous = pending.take();
        let (encoded, rendered) = std::thread::scope(|s| {
            let helper = s.spawn(move || previous.map(encode_row));
            let rendered = render();
            (
                helper
                    .join()
                    .unwrap_or_else(|_| Some(Err("PNG encoding panicked".into()))),
                rendered,
            )
        });
        if let Some(row) = encoded {
            match row {
                Ok(row) => {
                    if !emit(vec![row]) {
                        return;
                    }
                }
                Err(e) => {
                    let _ = sink.send(Msg::Skip(e));
                    return;
                }
            }
        }
        match rendered {
            Ok((text, img)) => pending = Some((i as i64, text, img)),
            Err(e) => {
                let _ = sink.send(Msg::Skip(format!("page {}: cannot render: {e}", i + 1)));
                return;
            }
        }
    }
    if let Some(last) = pending {
        match encode_row(last) {
            Ok(row) => {
                emit(vec![row]);
            }
            Err(e) => {
                let _ = sink.send(Msg::Skip(e));
            }
        }
    }
}

/// Pixels a page render may have (RGBA, 4 bytes each): 40 M is an A0 poster at 150 DPI, or 4.6 A4 pages at 300.
const MAX_PAGE_PIXELS: f32 = 40e6;

/// The render scale (pixels per point) for a page of `w`×`h` points at `dpi`, lowered so the render stays within
/// [`MAX_PAGE_PIXELS`]: a hostile PDF can declare pages of 200 inches square.
fn page_scale(w: f32, h: f32, dpi: f32) -> f32 {
    let scale = dpi / 72.0;
    let pixels = (w * scale).max(1.0) * (h * scale).max(1.0);
    if pixels <= MAX_PAGE_PIXELS {
        scale
    } else {
        scale * (MAX_PAGE_PIXELS / pixels).sqrt()
    }
}

fn encode_row((index, text, img): (i64, String, DynamicImage)) -> std::result::Result<Row, String> {
    let rgb = img.into_rgb8();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| format!("page {}: PNG encoding failed: {e}", index + 1))?;
    let text = if text.trim().is_empty() {
        format!("PDF page {}", index + 1)
    } else {
        text
    };
    Ok(Row {
        page_index: Some(index),
        image: Some(png),
        text: Some(text),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_pages_render_within_the_pixel_cap() {
        // A4 at 300 DPI is left alone.
        assert_eq!(page_scale(595.0, 842.0, 300.0), 300.0 / 72.0);
        // A 200-inch square page at 300 DPI would be 3.6 G pixels.
        let s = page_scale(14_400.0, 14_400.0, 300.0);
        let px = (14_400.0 * s) * (14_400.0 * s);
        assert!(
            px <= MAX_PAGE_PIXELS * 1.001 && px > MAX_PAGE_PIXELS * 0.99,
            "{px}"
        );
    }
}
