//! `coco`: COCO detection + captions. One row per image with its file bytes, a label mask painted from its
//! annotations (pycocotools-exact), captions, annotations and categories.

pub mod json;
mod mask;
mod render;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lakefeed_core::arrow::array::{
    ArrayRef, BinaryBuilder, Int64Builder, RecordBatch, StringBuilder,
};
use lakefeed_core::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use lakefeed_core::inputs::{DoneSet, file_stamp, input_key, mark_done};
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, Input, LogicalType, Result,
    batches_in_runs, options_schema, parse_options,
};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

use json::{Annotation, Captions, ImageInfo, Instances};

pub use mask::{Rle, from_polygon, from_string};
pub use render::{paint, png};

/// `captions_json`: a file, or `false` to leave captions out.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CaptionsOption {
    /// Path of the captions file.
    Path(String),
    /// `false` switches captions off (`true` means the default file).
    Enabled(bool),
}

/// Options of the `coco` format.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CocoOptions {
    /// Directory of the images; its name is the split (e.g. `val2017`).
    pub images_dir: String,
    /// Directory of the JSON files (default: `images_dir/../annotations`).
    #[serde(default)]
    pub annotations_dir: Option<String>,
    /// Detection JSON (default `instances_{split}.json` in `annotations_dir`).
    #[serde(default)]
    pub instances_json: Option<String>,
    /// Captions JSON (default `captions_{split}.json` when present), or `false`.
    #[serde(default)]
    pub captions_json: Option<CaptionsOption>,
    /// Images per batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Ingest only the first N images of the JSON.
    #[serde(default)]
    pub max_images: Option<usize>,
}

fn default_batch() -> usize {
    100
}

/// The `coco` format, with the annotation files loaded.
pub struct Coco {
    images_dir: PathBuf,
    images: Vec<ImageInfo>,
    annotations: Vec<Annotation>,
    by_image: HashMap<i64, Vec<usize>>,
    captions: HashMap<i64, Vec<String>>,
    categories: String,
    batch_size: usize,
    orphans: Vec<i64>,
    /// Digest of the annotation files: part of every image's input key.
    annotations_id: String,
    /// Input key of each image, by image id, once `inputs` has made them.
    keys: HashMap<i64, String>,
}

impl std::fmt::Debug for Coco {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coco")
            .field("images_dir", &self.images_dir)
            .field("images", &self.images.len())
            .finish()
    }
}

/// A file option: an existing path relative to the base, else a name inside `dir`.
fn locate(env: &FormatEnv, dir: &Path, given: &str) -> PathBuf {
    let direct = env.resolve(given);
    if direct.exists() || given.contains('/') {
        direct
    } else {
        dir.join(given)
    }
}

impl Coco {
    /// Loads the JSON files; missing directories or files are errors before any row.
    pub fn new(o: CocoOptions, env: &FormatEnv) -> Result<Self> {
        let images_dir = env.resolve(&o.images_dir);
        json::require_dir(&images_dir, "images_dir")?;
        let split = images_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ann_dir = match &o.annotations_dir {
            Some(d) => env.resolve(d),
            None => images_dir
                .parent()
                .map(|p| p.join("annotations"))
                .unwrap_or_else(|| PathBuf::from("annotations")),
        };
        let instances_path = match &o.instances_json {
            Some(p) => locate(env, &ann_dir, p),
            None => {
                json::require_dir(&ann_dir, "annotations_dir")?;
                ann_dir.join(format!("instances_{split}.json"))
            }
        };
        let captions_path = match &o.captions_json {
            Some(CaptionsOption::Enabled(false)) => None,
            Some(CaptionsOption::Path(p)) => Some(locate(env, &ann_dir, p)),
            None | Some(CaptionsOption::Enabled(true)) => {
                Some(ann_dir.join(format!("captions_{split}.json"))).filter(|p| p.is_file())
            }
        };
        let mut inst: Instances = json::load(&instances_path)?;
        if let Some(n) = o.max_images {
            inst.images.truncate(n);
        }
        let known: HashMap<i64, ()> = inst.images.iter().map(|i| (i.id, ())).collect();
        let mut by_image: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut orphans = Vec::new();
        for (i, a) in inst.annotations.iter().enumerate() {
            if known.contains_key(&a.image_id) {
                by_image.entry(a.image_id).or_default().push(i);
            } else if o.max_images.is_none() {
                orphans.push(a.id);
            }
        }
        let annotations_id = files_digest(&[Some(&instances_path), captions_path.as_ref()]);
        let mut captions: HashMap<i64, Vec<String>> = HashMap::new();
        if let Some(p) = captions_path {
            let c: Captions = json::load(&p)?;
            for cap in c.annotations {
                captions.entry(cap.image_id).or_default().push(cap.caption);
            }
        }
        Ok(Self {
            images_dir,
            images: inst.images,
            annotations: inst.annotations,
            by_image,
            captions,
            categories: serde_json::to_string(&inst.categories).unwrap_or_else(|_| "[]".into()),
            batch_size: o.batch_size.max(1),
            orphans,
            annotations_id,
            keys: HashMap::new(),
        })
    }
}

/// A digest of the files' bytes (a file that cannot be read counts as empty: loading it failed earlier).
fn files_digest(paths: &[Option<&PathBuf>]) -> String {
    let mut h = blake3::Hasher::new();
    for p in paths.iter().flatten() {
        h.update(p.as_os_str().as_encoded_bytes());
        if let Ok(bytes) = std::fs::read(p) {
            h.update(&bytes);
        }
    }
    h.finalize().to_hex().to_string()
}

/// The leading columns every COCO-family table has: the image, its mask and its size and name.
pub(crate) fn image_fields() -> Vec<Field> {
    vec![
        LogicalType::Int64.field("coco_image_id", DataType::Int64),
        LogicalType::Image.field("image", DataType::Binary),
        LogicalType::SegmentMask.field("mask", DataType::Binary),
        LogicalType::Int64.field("width", DataType::Int64),
        LogicalType::Int64.field("height", DataType::Int64),
        LogicalType::Text.field("filename", DataType::Utf8),
    ]
}

/// The columns of a COCO row.
pub fn schema() -> SchemaRef {
    let mut fields = image_fields();
    fields.extend([
        LogicalType::Json.field("captions", DataType::Utf8),
        LogicalType::Json.field("annotations", DataType::Utf8),
        LogicalType::Json.field("categories", DataType::Utf8),
        LogicalType::Int64.field("num_objects", DataType::Int64),
    ]);
    Arc::new(Schema::new(fields))
}

struct ImageRow {
    info: ImageInfo,
    image: Vec<u8>,
    mask: Option<Vec<u8>>,
    captions: String,
    annotations: String,
    num_objects: i64,
}

impl Coco {
    fn row(&self, info: &ImageInfo, ctx: &IngestContext) -> Option<ImageRow> {
        let path = self.images_dir.join(&info.file_name);
        let image = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                ctx.skip(
                    &path,
                    format!("image {} missing or unreadable: {e}", info.id),
                );
                return None;
            }
        };
        let anns: Vec<&Annotation> = self
            .by_image
            .get(&info.id)
            .map(|v| v.iter().map(|i| &self.annotations[*i]).collect())
            .unwrap_or_default();
        let mask = match crate::media::check_pixels(info.width, info.height) {
            Ok(()) => Some(self.mask(info, &anns, &path, ctx)?),
            Err(why) => {
                ctx.warn(format!(
                    "{}: image {}: no mask: {why}",
                    path.display(),
                    info.id
                ));
                None
            }
        };
        let summary: Vec<serde_json::Value> = anns
            .iter()
            .map(|a| serde_json::json!({"id": a.id, "bbox": a.bbox, "category_id": a.category_id, "area": a.area, "iscrowd": a.iscrowd}))
            .collect();
        let caps = self.captions.get(&info.id).cloned().unwrap_or_default();
        Some(ImageRow {
            info: info.clone(),
            image,
            mask,
            captions: serde_json::to_string(&caps).unwrap_or_default(),
            annotations: serde_json::to_string(&summary).unwrap_or_default(),
            num_objects: anns.len() as i64,
        })
    }

    /// The category mask PNG of one image (pycocotools' `annToMask` painted in file order); `None` (a skip) when
    /// it cannot be encoded.
    fn mask(
        &self,
        info: &ImageInfo,
        anns: &[&Annotation],
        path: &std::path::Path,
        ctx: &IngestContext,
    ) -> Option<Vec<u8>> {
        let (label, problems) = paint(anns, info.height, info.width);
        for (ann, why) in problems {
            ctx.warn(format!(
                "{}: image {} annotation {ann} left out of the mask: {why}",
                self.images_dir.display(),
                info.id
            ));
        }
        match png(label, info.height, info.width) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.skip(path, format!("mask encoding failed: {e}"));
                None
            }
        }
    }
}

impl Format for Coco {
    /// One row per COCO image: re-runs are keyed by the image id.
    fn key(&self) -> Vec<String> {
        vec!["coco_image_id".to_string()]
    }

    fn schema(&self) -> Option<SchemaRef> {
        Some(schema())
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.images.len() as u64)
    }

    /// One input per image: its id, file name, file size and time, and the annotation files' digest.
    fn inputs(&mut self) -> Result<Vec<Input>> {
        let mut out = Vec::with_capacity(self.images.len());
        for info in &self.images {
            let path = self.images_dir.join(&info.file_name);
            let content = format!("{}:{}", info.id, file_stamp(&path));
            let key = input_key(&content, &self.annotations_id);
            self.keys.insert(info.id, key.clone());
            out.push(Input { key, path });
        }
        Ok(out)
    }

    fn skip_inputs(&mut self, done: &DoneSet) {
        let keys = &self.keys;
        self.images
            .retain(|i| !keys.get(&i.id).is_some_and(|k| done.contains(k)));
    }

    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        if let Some(first) = self.orphans.first() {
            ctx.warn(format!(
                "{} annotations point at image ids not in the images list (first: annotation {first}); left out",
                self.orphans.len()
            ));
        }
        let me = Arc::new(*self);
        let ctx = ctx.clone();
        Ok(batches_in_runs(me.images.len(), me.batch_size, move |r| {
            let rows: Vec<ImageRow> = me.images[r]
                .par_iter()
                .filter_map(|info| me.row(info, &ctx))
                .collect();
            let done: Vec<String> = rows
                .iter()
                .filter_map(|r| me.keys.get(&r.info.id).cloned())
                .collect();
            (!rows.is_empty()).then(|| batch(&rows, &me.categories).map(|b| mark_done(b, &done)))
        }))
    }
}

fn repeated(text: &str, n: usize) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(n, text.len() * n);
    (0..n).for_each(|_| b.append_value(text));
    Arc::new(b.finish())
}

fn batch(rows: &[ImageRow], categories: &str) -> Result<RecordBatch> {
    let ints = |f: &dyn Fn(&ImageRow) -> i64| -> ArrayRef {
        let mut b = Int64Builder::new();
        rows.iter().for_each(|r| b.append_value(f(r)));
        Arc::new(b.finish())
    };
    let texts = |f: &dyn Fn(&ImageRow) -> &str| -> ArrayRef {
        let mut b = StringBuilder::new();
        rows.iter().for_each(|r| b.append_value(f(r)));
        Arc::new(b.finish())
    };
    let bytes = |f: &dyn Fn(&ImageRow) -> Option<&[u8]>| -> ArrayRef {
        let mut b = BinaryBuilder::new();
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish())
    };
    let cols = vec![
        ints(&|r| r.info.id),
        bytes(&|r| Some(&r.image)),
        bytes(&|r| r.mask.as_deref()),
        ints(&|r| i64::from(r.info.width)),
        ints(&|r| i64::from(r.info.height)),
        texts(&|r| &r.info.file_name),
        texts(&|r| &r.captions),
        texts(&|r| &r.annotations),
        repeated(categories, rows.len()),
        ints(&|r| r.num_objects),
    ];
    RecordBatch::try_new(schema(), cols).map_err(Error::from)
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    Ok(Box::new(Coco::new(parse_options("coco", options)?, env)?))
}

inventory::submit! {
    FormatDescriptor {
        name: "coco",
        description: "COCO detection + captions: one row per image with a pycocotools-exact category mask.",
        example: r#"{"images_dir": "coco/val2017", "max_images": 2}"#,
        options_schema: options_schema::<CocoOptions>,
        build,
    }
}
