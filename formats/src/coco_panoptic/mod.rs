//! `coco-panoptic`: COCO panoptic. One row per annotated image: the image, the panoptic PNG as found
//! (segment id = R + 256·G + 256²·B), and its segments. Optionally checks every segment against the PNG.

mod verify;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::array::{
    ArrayRef, BinaryBuilder, Int64Builder, RecordBatch, StringBuilder,
};
use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, LogicalType, Result,
    batches_in_runs, options_schema, parse_options,
};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::coco::json::{self, ImageInfo};

/// Options of the `coco-panoptic` format.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PanopticOptions {
    /// Directory of the images.
    pub images_dir: String,
    /// Directory of the panoptic PNGs.
    pub masks_dir: String,
    /// The panoptic JSON (images, annotations with segments_info, categories).
    pub annotations: String,
    /// Images per batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Check that every segment of `segments_info` occurs in the PNG with a pixel count equal to its `area`;
    /// mismatches are reported per image.
    #[serde(default = "default_verify")]
    pub verify_segments: bool,
}

fn default_batch() -> usize {
    100
}
fn default_verify() -> bool {
    true
}

/// A panoptic annotation entry.
#[derive(Debug, Clone, Deserialize)]
pub struct PanopticAnnotation {
    /// The image.
    pub image_id: i64,
    /// The PNG's file name in `masks_dir`.
    pub file_name: String,
    /// The segments, kept as written.
    #[serde(default)]
    pub segments_info: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct PanopticJson {
    images: Vec<ImageInfo>,
    annotations: Vec<PanopticAnnotation>,
    #[serde(default)]
    categories: Vec<serde_json::Value>,
}

/// The `coco-panoptic` format, with its JSON loaded.
#[derive(Debug)]
pub struct Panoptic {
    images_dir: PathBuf,
    masks_dir: PathBuf,
    entries: Vec<(ImageInfo, PanopticAnnotation)>,
    categories: String,
    batch_size: usize,
    verify: bool,
}

impl Panoptic {
    /// Loads the JSON; missing directories or JSON are errors before any row.
    pub fn new(o: PanopticOptions, env: &FormatEnv) -> Result<Self> {
        let images_dir = env.resolve(&o.images_dir);
        let masks_dir = env.resolve(&o.masks_dir);
        json::require_dir(&images_dir, "images_dir")?;
        json::require_dir(&masks_dir, "masks_dir")?;
        let doc: PanopticJson = json::load(&env.resolve(&o.annotations))?;
        let images: HashMap<i64, ImageInfo> = doc.images.into_iter().map(|i| (i.id, i)).collect();
        let mut entries = Vec::new();
        let mut missing = Vec::new();
        for ann in doc.annotations {
            match images.get(&ann.image_id) {
                Some(info) => entries.push((info.clone(), ann)),
                None => missing.push(ann.image_id),
            }
        }
        if !missing.is_empty() {
            tracing::warn!(
                count = missing.len(),
                first = missing[0],
                "panoptic annotations without an image entry left out"
            );
        }
        Ok(Self {
            images_dir,
            masks_dir,
            entries,
            categories: serde_json::to_string(&doc.categories).unwrap_or_else(|_| "[]".into()),
            batch_size: o.batch_size.max(1),
            verify: o.verify_segments,
        })
    }
}

/// The columns of a panoptic row.
pub fn schema() -> SchemaRef {
    let mut fields = crate::coco::image_fields();
    fields.extend([
        LogicalType::Text.field("mask_filename", DataType::Utf8),
        LogicalType::Json.field("segments_info", DataType::Utf8),
        LogicalType::Json.field("categories", DataType::Utf8),
    ]);
    Arc::new(Schema::new(fields))
}

struct PanopticRow {
    info: ImageInfo,
    ann: PanopticAnnotation,
    image: Vec<u8>,
    mask: Vec<u8>,
}

impl Panoptic {
    fn row(
        &self,
        info: &ImageInfo,
        ann: &PanopticAnnotation,
        ctx: &IngestContext,
    ) -> Option<PanopticRow> {
        let image_path = self.images_dir.join(&info.file_name);
        let mask_path = self.masks_dir.join(&ann.file_name);
        let read = |p: &PathBuf, what: &str| match std::fs::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                ctx.skip(
                    p,
                    format!("{what} of image {} missing or unreadable: {e}", info.id),
                );
                None
            }
        };
        let image = read(&image_path, "image")?;
        let mask = read(&mask_path, "panoptic mask")?;
        if self.verify {
            for problem in verify::check(&mask, info, &ann.segments_info) {
                ctx.warn(format!("{}: {problem}", mask_path.display()));
            }
        }
        Some(PanopticRow {
            info: info.clone(),
            ann: ann.clone(),
            image,
            mask,
        })
    }
}

impl Format for Panoptic {
    /// One row per COCO image: re-runs are keyed by the image id.
    fn key(&self) -> Vec<String> {
        vec!["coco_image_id".to_string()]
    }

    fn schema(&self) -> Option<SchemaRef> {
        Some(schema())
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.entries.len() as u64)
    }

    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        let me = Arc::new(*self);
        let ctx = ctx.clone();
        Ok(batches_in_runs(me.entries.len(), me.batch_size, move |r| {
            let rows: Vec<PanopticRow> = me.entries[r]
                .par_iter()
                .filter_map(|(i, a)| me.row(i, a, &ctx))
                .collect();
            (!rows.is_empty()).then(|| batch(&rows, &me.categories))
        }))
    }
}

fn batch(rows: &[PanopticRow], categories: &str) -> Result<RecordBatch> {
    let mut id = Int64Builder::new();
    let (mut image, mut mask) = (BinaryBuilder::new(), BinaryBuilder::new());
    let (mut width, mut height) = (Int64Builder::new(), Int64Builder::new());
    let (mut filename, mut mask_filename, mut segments, mut cats) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for r in rows {
        id.append_value(r.info.id);
        image.append_value(&r.image);
        mask.append_value(&r.mask);
        width.append_value(i64::from(r.info.width));
        height.append_value(i64::from(r.info.height));
        filename.append_value(&r.info.file_name);
        mask_filename.append_value(&r.ann.file_name);
        segments.append_value(serde_json::to_string(&r.ann.segments_info).unwrap_or_default());
        cats.append_value(categories);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(image.finish()),
        Arc::new(mask.finish()),
        Arc::new(width.finish()),
        Arc::new(height.finish()),
        Arc::new(filename.finish()),
        Arc::new(mask_filename.finish()),
        Arc::new(segments.finish()),
        Arc::new(cats.finish()),
    ];
    RecordBatch::try_new(schema(), cols).map_err(Error::from)
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    Ok(Box::new(Panoptic::new(
        parse_options("coco-panoptic", options)?,
        env,
    )?))
}

inventory::submit! {
    FormatDescriptor {
        name: "coco-panoptic",
        description: "COCO panoptic: one row per image with its RGB-id panoptic PNG and segments.",
        example: r#"{"images_dir": "coco-panoptic/input_images", "masks_dir": "coco-panoptic/panoptic_examples", "annotations": "coco-panoptic/panoptic_examples.json"}"#,
        options_schema: options_schema::<PanopticOptions>,
        build,
    }
}
