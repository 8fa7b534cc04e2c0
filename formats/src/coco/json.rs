//! COCO annotation files: typed views and loading with line/column errors.

use serde::Deserialize;

pub use crate::source_files::{load, require_dir};

/// An entry of `images`.
#[derive(Debug, Clone, Deserialize)]
pub struct ImageInfo {
    /// COCO image id.
    pub id: i64,
    /// File name inside the images directory.
    pub file_name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A detection annotation.
#[derive(Debug, Clone, Deserialize)]
pub struct Annotation {
    /// Annotation id.
    pub id: i64,
    /// The image it belongs to.
    pub image_id: i64,
    /// Raw COCO category id.
    pub category_id: i64,
    /// Polygons or RLE.
    #[serde(default)]
    pub segmentation: Option<Segmentation>,
    /// `[x, y, w, h]`.
    #[serde(default)]
    pub bbox: Vec<f64>,
    /// Area in pixels.
    #[serde(default)]
    pub area: f64,
    /// 1 for crowd regions.
    #[serde(default)]
    pub iscrowd: i64,
}

/// A segmentation: polygons, or RLE with list (uncompressed) or string (compressed) counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Segmentation {
    /// One or more polygons `[x0, y0, x1, y1, …]`.
    Polygons(Vec<Vec<f64>>),
    /// Run-length encoding of an `h`×`w` mask.
    Rle {
        /// Run lengths, or COCO's compressed string.
        counts: Counts,
        /// `[h, w]`.
        size: [u32; 2],
    },
}

/// RLE counts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Counts {
    /// Uncompressed run lengths.
    List(Vec<u32>),
    /// Compressed counts string.
    Str(String),
}

/// `instances_*.json` (and detection-format files in general).
#[derive(Debug, Deserialize)]
pub struct Instances {
    /// The images.
    pub images: Vec<ImageInfo>,
    /// The annotations, in file order.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// The category list, kept as written.
    #[serde(default)]
    pub categories: Vec<serde_json::Value>,
}

/// A caption.
#[derive(Debug, Deserialize)]
pub struct Caption {
    /// The image it describes.
    pub image_id: i64,
    /// The text.
    pub caption: String,
}

/// `captions_*.json`.
#[derive(Debug, Deserialize)]
pub struct Captions {
    /// The captions, in file order.
    pub annotations: Vec<Caption>,
}
