//! The kind of a file, by extension.

use std::path::Path;

/// How a file is chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// .mp4 .mov .avi .mkv .webm: one row per 10 s segment.
    Video,
    /// .jpg .jpeg .png .gif .bmp .webp: one row.
    Image,
    /// .pdf: one row per page.
    Pdf,
    /// .txt .md .csv .json .xml .html: one row per chunk.
    Text,
    /// Anything else: one row with the bytes.
    Other,
}

impl Kind {
    /// The kind of `path`, from its extension (case-insensitive).
    pub fn of(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "mp4" | "mov" | "avi" | "mkv" | "webm" => Self::Video,
            "jpg" | "jpeg" | "png" | "gif" | "bmp" | "webp" => Self::Image,
            "pdf" => Self::Pdf,
            "txt" | "md" | "csv" | "json" | "xml" | "html" => Self::Text,
            _ => Self::Other,
        }
    }
}
