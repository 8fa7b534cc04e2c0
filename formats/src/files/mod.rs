//! `files`: FILE ingestion. Each file is chunked by its kind: video segments, one image row, PDF pages,
//! text chunks, or the bytes of anything else. Files are worked on in parallel and come out in input order.

mod chunker;
mod image;
mod kind;
mod paths;
#[cfg(feature = "media")]
mod pdf;
mod table;
pub mod text;
#[cfg(feature = "media")]
mod video;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use lakefeed_core::arrow::datatypes::{Schema, SchemaRef};
use lakefeed_core::inputs::{DoneSet, input_key};
use lakefeed_core::{
    Batches, Format, FormatDescriptor, FormatEnv, IngestContext, Input, Result, options_schema,
    parse_options,
};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::ordered::{Job, Msg, Ordered, Rebatch, Sink};
pub use kind::Kind;
use table::Row;

/// Options of the `files` format.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesOptions {
    /// Files, directories (walked recursively, hidden entries skipped) or glob patterns.
    pub paths: Vec<String>,
    /// Largest text chunk, in characters.
    #[serde(default = "default_chunk_size")]
    pub chunk_size: usize,
    /// Characters shared by consecutive text chunks.
    #[serde(default = "default_chunk_overlap")]
    pub chunk_overlap: usize,
    /// Resolution PDF pages are rendered at.
    #[serde(default = "default_pdf_dpi")]
    pub pdf_dpi: f32,
    /// Length of video segments, in seconds (cuts fall on the first keyframe at or after each boundary).
    #[serde(default = "default_segment_seconds")]
    pub segment_seconds: f64,
}

fn default_chunk_size() -> usize {
    1000
}
fn default_chunk_overlap() -> usize {
    200
}
fn default_pdf_dpi() -> f32 {
    300.0
}
fn default_segment_seconds() -> f64 {
    10.0
}

/// Bytes of a file's rows held back before they are passed on: a file that fails within this is skipped whole;
/// a larger one streams on (so memory does not grow with a file's size) and a failure later keeps what was passed.
const HOLD_BYTES: usize = 32 << 20;
/// Rows gathered into one batch, so the thumbnail stage has rows to work on in parallel.
const BATCH_ROWS: usize = 64;
/// Bytes gathered into one batch at most: with the pipeline's bounded queues this bounds memory for large media
/// rows (video segments) whatever the file's size.
const BATCH_BYTES: usize = 16 << 20;

/// The `files` format.
#[derive(Debug)]
pub struct Files {
    files: Vec<PathBuf>,
    options: FilesOptions,
    schema: SchemaRef,
    /// File id and input key of each file, once `inputs` has read them.
    known: HashMap<PathBuf, (String, String)>,
}

impl Files {
    /// Expands the paths; a missing named path is an error before any row.
    pub fn new(options: FilesOptions, env: &FormatEnv) -> Result<Self> {
        if !(options.segment_seconds > 0.0 && options.pdf_dpi > 0.0) {
            return Err(lakefeed_core::Error::Ingest(
                "segment_seconds and pdf_dpi must be positive".into(),
            ));
        }
        text::Chunker::new(options.chunk_size, options.chunk_overlap)?;
        let files = paths::expand(&options.paths, env)?;
        let kinds: BTreeSet<Kind> = files.iter().map(|p| Kind::of(p)).collect();
        Ok(Self {
            schema: table::schema_for(&kinds),
            files,
            options,
            known: HashMap::new(),
        })
    }

    /// The options that shape a file's rows (all but the paths): part of every input key.
    fn shaping(&self) -> (usize, usize, f32, f64) {
        let o = &self.options;
        (o.chunk_size, o.chunk_overlap, o.pdf_dpi, o.segment_seconds)
    }
}

impl Format for Files {
    /// Rows have deterministic ids, so re-runs are keyed by them.
    fn key(&self) -> Vec<String> {
        vec!["id".to_string()]
    }

    fn schema(&self) -> Option<SchemaRef> {
        Some(self.schema.clone())
    }

    /// Only page renders and image files get thumbnails; video thumbnails are already small.
    fn image_columns(&self, schema: &Schema) -> Vec<String> {
        schema
            .field_with_name("image")
            .map(|_| vec!["image".to_string()])
            .unwrap_or_default()
    }

    /// Every readable file, keyed by its content id (BLAKE3 of its bytes and name) and the shaping options. Files
    /// are hashed in parallel, and the ids are kept so a file is not read twice for them.
    fn inputs(&mut self) -> Result<Vec<Input>> {
        let shaping = self.shaping();
        let ids: Vec<(PathBuf, Option<String>)> = self
            .files
            .par_iter()
            .map(|p| (p.clone(), table::file_id(p).ok()))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for (path, id) in ids {
            // An unreadable file is not an input here: reading it later records the skip.
            if let Some(id) = id {
                let key = input_key(&id, &shaping);
                out.push(Input {
                    key: key.clone(),
                    path: path.clone(),
                });
                self.known.insert(path, (id, key));
            }
        }
        Ok(out)
    }

    fn skip_inputs(&mut self, done: &DoneSet) {
        let known = &self.known;
        // The schema stays the one of every file listed: the shards of a distributed run, each leaving out the
        // others' files, must all produce the same columns.
        self.files
            .retain(|p| !known.get(p).is_some_and(|(_, key)| done.contains(key)));
    }

    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        #[cfg(feature = "media")]
        if self.files.iter().any(|p| Kind::of(p) == Kind::Pdf) {
            pdf::pdfium()?;
        }
        let window = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2);
        let jobs: Vec<(PathBuf, Option<String>, Job)> = self
            .files
            .iter()
            .map(|p| {
                let (id, key) = self.known.get(p).cloned().unzip();
                let job = job(p.clone(), id, self.options.clone(), self.schema.clone());
                (p.clone(), key, job)
            })
            .collect();
        let parts = Ordered::new(jobs, window, HOLD_BYTES, self.schema.clone(), ctx.clone());
        Ok(Box::new(Rebatch::new(
            parts,
            self.schema.clone(),
            BATCH_ROWS,
            BATCH_BYTES,
        )))
    }
}

/// The work for one file: send its rows as parts, or a skip. `fid` is the file's id when already known.
fn job(path: PathBuf, fid: Option<String>, options: FilesOptions, schema: SchemaRef) -> Job {
    Box::new(move |sink: &Sink| {
        let kind = Kind::of(&path);
        let fid = match fid.map_or_else(|| table::file_id(&path), Ok) {
            Ok(id) => id,
            Err(e) => {
                let _ = sink.send(Msg::Skip(format!("unreadable: {e}")));
                return;
            }
        };
        let mut emit = |rows: Vec<Row>| -> bool {
            match table::batch(&schema, &fid, &rows) {
                Ok(b) => sink.send(Msg::Part(b)).is_ok(),
                Err(e) => {
                    let _ = sink.send(Msg::Skip(e.to_string()));
                    false
                }
            }
        };
        match kind {
            #[cfg(feature = "media")]
            Kind::Video => video::process(&path, options.segment_seconds, &mut emit, sink),
            #[cfg(feature = "media")]
            Kind::Pdf => pdf::process(&path, options.pdf_dpi, &mut emit, sink),
            #[cfg(not(feature = "media"))]
            Kind::Video | Kind::Pdf => {
                let _ = sink.send(Msg::Skip(crate::media::NO_MEDIA.into()));
            }
            Kind::Text => match text::Chunker::new(options.chunk_size, options.chunk_overlap) {
                Ok(chunker) => text::process(&path, chunker, &mut emit, sink),
                Err(e) => {
                    let _ = sink.send(Msg::Skip(e.to_string()));
                }
            },
            _ => match small_file_rows(&path, kind) {
                Ok(rows) => {
                    for chunk in rows.chunks(256) {
                        if !emit(chunk.to_vec()) {
                            return;
                        }
                    }
                }
                Err(reason) => {
                    let _ = sink.send(Msg::Skip(reason));
                }
            },
        }
    })
}

/// Rows of an image or other file, read whole.
fn small_file_rows(path: &Path, kind: Kind) -> std::result::Result<Vec<Row>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {e}"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(match kind {
        Kind::Image => {
            image::check(&bytes)?;
            vec![Row {
                chunk_index: None,
                image: Some(bytes),
                text: Some(format!("Image: {name}")),
                filename: Some(name),
                ..Default::default()
            }]
        }
        _ => vec![Row {
            data: Some(bytes),
            filename: Some(name),
            ..Default::default()
        }],
    })
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    Ok(Box::new(Files::new(parse_options("files", options)?, env)?))
}

inventory::submit! {
    FormatDescriptor {
        name: "files",
        description: "Files by kind: video segments, images, PDF pages, text chunks, other bytes (the FILE schema).",
        example: r#"{"paths": ["examples/files"]}"#,
        options_schema: options_schema::<FilesOptions>,
        build,
    }
}
