//! An example third-party lakefeed format, written only against `lakefeed-core`'s public API: a manifest of
//! images, the way many teams keep a labelled image set.
//!
//! `image-manifest` reads a CSV (header row) or JSONL file with one record per image:
//!
//! | field | meaning | column |
//! |---|---|---|
//! | `path` (required) | the image, relative to `image_root` (default: the manifest's folder) | `path` TEXT, `image` IMAGE |
//! | `label` | a class name | `label` TEXT, `label_id` CLASS_LABEL (names in its metadata) |
//! | `bbox` | `[x, y, w, h]` in pixels (JSON list, or 4 numbers in a cell) | `bbox` BOUNDING_BOX |
//! | `embedding` | a precomputed vector (JSON list, or numbers in a cell) | `embedding` EMBEDDING(n) |
//! | anything else | kept | TEXT |
//!
//! Rows get the id `{path}#{line}`, so a re-run skips what is there. A record whose image is missing is skipped
//! with the reason in the run report; a malformed record is an error naming the manifest's line.

mod records;

use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::array::{
    ArrayRef, BinaryBuilder, FixedSizeListBuilder, Float32Builder, Int32Builder, RecordBatch,
    StringBuilder,
};
use lakefeed_core::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use lakefeed_core::schemars::JsonSchema;
use lakefeed_core::serde::Deserialize;
use lakefeed_core::serde_json;
use lakefeed_core::types::vector_type;
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, LogicalType, Result,
    column_name,
};

use records::Record;

/// Options of `image-manifest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(crate = "lakefeed_core::serde", deny_unknown_fields)]
#[schemars(crate = "lakefeed_core::schemars")]
pub struct Options {
    /// The manifest: a `.csv` file with a header row, or a `.jsonl` file.
    pub manifest: String,
    /// The folder image paths are relative to (default: the manifest's folder).
    #[serde(default)]
    pub image_root: Option<String>,
    /// Class names in label-id order (default: the labels found, sorted).
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// Records per batch.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
}

fn default_batch() -> usize {
    64
}

/// The fields with columns of their own; any other field is kept as TEXT.
const KNOWN: [&str; 4] = ["path", "label", "bbox", "embedding"];

/// The format: the manifest's records, read when it is built (a manifest is small; the images are not).
#[derive(Debug)]
pub struct ImageManifest {
    manifest: PathBuf,
    root: PathBuf,
    records: Vec<Record>,
    labels: Vec<String>,
    /// The embedding's length, from the first record that has one.
    dim: Option<i32>,
    /// Other fields, in name order.
    extras: Vec<String>,
    batch_size: usize,
}

impl ImageManifest {
    /// Reads and checks the manifest: every record has a path, labels are known, vectors agree in length.
    pub fn new(options: Options, env: &FormatEnv) -> Result<Self> {
        let manifest = env.resolve(&options.manifest);
        let records = records::read(&manifest)?;
        let root = match &options.image_root {
            Some(r) => env.resolve(r),
            None => manifest.parent().map(PathBuf::from).unwrap_or_default(),
        };
        let mut found = std::collections::BTreeSet::new();
        let mut extras = std::collections::BTreeSet::new();
        let mut dim = None;
        for r in &records {
            if r.text("path").is_none() {
                return Err(Error::bad_source(
                    &manifest,
                    format!("line {}: no path", r.line),
                ));
            }
            found.extend(r.text("label"));
            extras.extend(
                r.fields
                    .keys()
                    .filter(|k| !KNOWN.contains(&k.as_str()))
                    .cloned(),
            );
            if let Some(b) = r.numbers("bbox", &manifest)?
                && b.len() != 4
            {
                return Err(Error::bad_source(
                    &manifest,
                    format!(
                        "line {}: bbox has {} numbers, not 4 (x, y, w, h)",
                        r.line,
                        b.len()
                    ),
                ));
            }
            if let Some(v) = r.numbers("embedding", &manifest)? {
                let n = v.len() as i32;
                match dim {
                    None => dim = Some(n),
                    Some(d) if d != n => {
                        return Err(Error::bad_source(
                            &manifest,
                            format!(
                                "line {}: embedding has {n} numbers; earlier ones have {d}",
                                r.line
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        let labels = match options.labels {
            Some(names) => {
                if let Some(unknown) = found.iter().find(|l| !names.contains(l)) {
                    return Err(Error::Ingest(format!(
                        "image-manifest: label '{unknown}' is not in the labels option"
                    )));
                }
                names
            }
            None => found.into_iter().collect(),
        };
        Ok(Self {
            manifest,
            root,
            records,
            labels,
            dim,
            extras: extras.into_iter().collect(),
            batch_size: options.batch_size.max(1),
        })
    }

    fn table_schema(&self) -> SchemaRef {
        let names = serde_json::to_string(&self.labels).unwrap_or_default();
        let label_id = LogicalType::ClassLabel.field("label_id", DataType::Int32);
        let mut meta = label_id.metadata().clone();
        meta.insert("class_names".into(), names);
        let mut fields = vec![
            LogicalType::Text.field("id", DataType::Utf8),
            LogicalType::Text.field("path", DataType::Utf8),
            LogicalType::Image.field("image", DataType::Binary),
            LogicalType::Text.field("label", DataType::Utf8),
            label_id.with_metadata(meta),
            LogicalType::BoundingBox.field("bbox", vector_type(4)),
        ];
        if let Some(n) = self.dim {
            fields.push(LogicalType::Embedding(Some(n)).field("embedding", vector_type(n)));
        }
        for e in &self.extras {
            fields.push(LogicalType::Text.field(&column_name(e), DataType::Utf8));
        }
        Arc::new(Schema::new(fields))
    }

    /// The rows of `chunk`; records whose image cannot be read are skipped with the reason.
    fn batch(&self, chunk: &[Record], ctx: &IngestContext) -> Result<RecordBatch> {
        let mut id = StringBuilder::new();
        let mut path = StringBuilder::new();
        let mut image = BinaryBuilder::new();
        let mut label = StringBuilder::new();
        let mut label_id = Int32Builder::new();
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let mut bbox = FixedSizeListBuilder::new(Float32Builder::new(), 4).with_field(item.clone());
        let mut emb = self
            .dim
            .map(|d| FixedSizeListBuilder::new(Float32Builder::new(), d).with_field(item.clone()));
        let mut extras: Vec<StringBuilder> =
            self.extras.iter().map(|_| StringBuilder::new()).collect();
        for r in chunk {
            let rel = r.text("path").unwrap_or_default();
            let file = self.root.join(&rel);
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => {
                    ctx.skip(
                        &file,
                        format!("{} line {}: {e}", self.manifest.display(), r.line),
                    );
                    continue;
                }
            };
            id.append_value(format!("{rel}#{}", r.line));
            path.append_value(&rel);
            image.append_value(&bytes);
            let l = r.text("label");
            label.append_option(l.as_deref());
            label_id.append_option(
                l.and_then(|l| self.labels.iter().position(|x| *x == l))
                    .map(|i| i as i32),
            );
            append_vector(&mut bbox, r.numbers("bbox", &self.manifest)?, 4);
            if let (Some(b), Some(d)) = (emb.as_mut(), self.dim) {
                append_vector(b, r.numbers("embedding", &self.manifest)?, d as usize);
            }
            for (b, name) in extras.iter_mut().zip(&self.extras) {
                b.append_option(r.text(name));
            }
        }
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(path.finish()),
            Arc::new(image.finish()),
            Arc::new(label.finish()),
            Arc::new(label_id.finish()),
            Arc::new(bbox.finish()),
        ];
        if let Some(mut b) = emb {
            cols.push(Arc::new(b.finish()));
        }
        cols.extend(
            extras
                .into_iter()
                .map(|mut b| Arc::new(b.finish()) as ArrayRef),
        );
        Ok(RecordBatch::try_new(self.table_schema(), cols)?)
    }
}

/// Appends a vector of `n` numbers, or a null one.
fn append_vector(b: &mut FixedSizeListBuilder<Float32Builder>, v: Option<Vec<f32>>, n: usize) {
    match v {
        Some(v) => {
            b.values().append_slice(&v);
            b.append(true);
        }
        None => {
            b.values().append_nulls(n);
            b.append(false);
        }
    }
}

impl Format for ImageManifest {
    fn schema(&self) -> Option<SchemaRef> {
        Some(self.table_schema())
    }

    /// `{path}#{line}` identifies a record.
    fn key(&self) -> Vec<String> {
        vec!["id".into()]
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.records.len() as u64)
    }

    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        let ctx = ctx.clone();
        let me = *self;
        let starts: Vec<usize> = (0..me.records.len()).step_by(me.batch_size).collect();
        Ok(Box::new(starts.into_iter().map(move |s| {
            let end = (s + me.batch_size).min(me.records.len());
            me.batch(&me.records[s..end], &ctx)
        })))
    }
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: Options = lakefeed_core::parse_options("image-manifest", options)?;
    Ok(Box::new(ImageManifest::new(o, env)?))
}

lakefeed_core::inventory::submit! {
    FormatDescriptor {
        name: "image-manifest",
        description: "Example plugin: a CSV/JSONL manifest of image paths with labels, bounding boxes and precomputed embeddings.",
        example: r#"{"manifest": "examples/image-manifest/labels.csv"}"#,
        options_schema: lakefeed_core::options_schema::<Options>,
        build,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakefeed_core::arrow::array::{Array, AsArray};
    use lakefeed_core::arrow::datatypes::Float32Type;
    use lakefeed_core::report::Recorder;

    fn run(dir: &std::path::Path, manifest: &str) -> Result<(Vec<RecordBatch>, Arc<Recorder>)> {
        let env = FormatEnv::new(dir);
        let f = build(serde_json::json!({ "manifest": manifest }), &env)?;
        let rec = Arc::new(Recorder::default());
        let batches = f
            .normalize(&IngestContext::new(rec.clone()))?
            .collect::<Result<Vec<_>>>()?;
        Ok((batches, rec))
    }

    #[test]
    fn csv_and_jsonl_manifests_give_the_same_rows() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.png"), b"png bytes").unwrap();
        std::fs::write(d.path().join("b.png"), b"more bytes").unwrap();
        std::fs::write(
            d.path().join("m.csv"),
            "path,label,bbox,embedding,split\na.png,cat,1 2 3 4,\"[0.5, 1.5]\",train\nb.png,dog,,0.25 0.75,val\nmissing.png,cat,,,val\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("m.jsonl"),
            "{\"path\": \"a.png\", \"label\": \"cat\", \"bbox\": [1, 2, 3, 4], \"embedding\": [0.5, 1.5], \"split\": \"train\"}\n\
             {\"path\": \"b.png\", \"label\": \"dog\", \"embedding\": [0.25, 0.75], \"split\": \"val\"}\n\
             {\"path\": \"missing.png\", \"label\": \"cat\", \"split\": \"val\"}\n",
        )
        .unwrap();
        for m in ["m.csv", "m.jsonl"] {
            let (batches, rec) = run(d.path(), m).unwrap();
            let b = &batches[0];
            assert_eq!(b.num_rows(), 2, "{m}: the missing image is skipped");
            assert_eq!(rec.skips().len(), 1, "{m}");
            assert_eq!(
                b.column_by_name("image")
                    .unwrap()
                    .as_binary::<i32>()
                    .value(1),
                b"more bytes"
            );
            let ids = b
                .column_by_name("label_id")
                .unwrap()
                .as_primitive::<lakefeed_core::arrow::datatypes::Int32Type>();
            assert_eq!((ids.value(0), ids.value(1)), (0, 1), "{m}: cat, dog");
            let bbox = b.column_by_name("bbox").unwrap().as_fixed_size_list();
            assert!(bbox.is_valid(0) && bbox.is_null(1));
            let emb = b.column_by_name("embedding").unwrap().as_fixed_size_list();
            let v = emb.value(1);
            assert_eq!(
                v.as_primitive::<Float32Type>().values().to_vec(),
                vec![0.25, 0.75]
            );
            assert_eq!(
                b.column_by_name("split")
                    .unwrap()
                    .as_string::<i32>()
                    .value(1),
                "val"
            );
            let meta = b
                .schema()
                .field_with_name("label_id")
                .unwrap()
                .metadata()
                .clone();
            assert_eq!(meta["class_names"], r#"["cat","dog"]"#);
        }
    }

    #[test]
    fn malformed_records_name_their_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("m.csv"), "path,bbox\na.png,1 2 3\n").unwrap();
        let e = run(d.path(), "m.csv").unwrap_err().to_string();
        assert!(
            e.contains("m.csv") && e.contains("line 2") && e.contains("not 4"),
            "{e}"
        );
        std::fs::write(
            d.path().join("m.jsonl"),
            "{\"path\": \"a\", \"embedding\": [1]}\n{\"path\": \"b\", \"embedding\": [1, 2]}\n",
        )
        .unwrap();
        let e = run(d.path(), "m.jsonl").unwrap_err().to_string();
        assert!(
            e.contains("line 2") && e.contains("earlier ones have 1"),
            "{e}"
        );
        std::fs::write(d.path().join("n.jsonl"), "{\"label\": \"x\"}\n").unwrap();
        let e = run(d.path(), "n.jsonl").unwrap_err().to_string();
        assert!(e.contains("line 1: no path"), "{e}");
    }
}
