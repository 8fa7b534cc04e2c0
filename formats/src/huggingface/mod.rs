//! `huggingface`: a HuggingFace dataset, without Python. `name` is a local directory (the Hub's parquet
//! layout or a `save_to_disk` directory) or a Hub id, whose parquet shards are listed through the Hub's
//! parquet-listing API and downloaded into a cache ([`hub`]). Shards are streamed in parallel; features map to
//! lakefeed types ([`features`]); row ids are deterministic (dataset, config, split, shard, row).

pub mod features;
mod hub;
mod local;
mod shards;

use std::path::PathBuf;
use std::sync::Arc;

use lakefeed_core::arrow::datatypes::{DataType, Schema, SchemaRef};
use lakefeed_core::inputs::{DoneSet, file_input, retain_flagged, still_to_do};
use lakefeed_core::{
    Batches, Error, Format, FormatDescriptor, FormatEnv, IngestContext, Input, LogicalType, Result,
    column_name, options_schema, parse_options,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::features::Mapping;
use self::local::Shard;
use crate::ordered::{Job, Ordered, Rebatch, Sink};

pub use hub::HubSettings;

/// Options of `huggingface`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HuggingFaceOptions {
    /// A local dataset directory (Hub parquet layout or `save_to_disk`), or a Hub id such as `user/name`.
    pub name: String,
    /// The config (subset); default: the card's default, or the only one.
    #[serde(default)]
    pub config: Option<String>,
    /// The split to read (default `train`); `all` reads every split and adds a `split` column.
    #[serde(default)]
    pub split: Option<String>,
    /// A Hub revision (branch, tag or commit): its parquet files are read instead of the parquet conversion.
    #[serde(default)]
    pub revision: Option<String>,
    /// Stop after this many rows.
    #[serde(default)]
    pub max_rows: Option<u64>,
    /// Only these columns (default: all).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// Rows gathered into one batch at most, and bytes (image rows are large).
const BATCH_ROWS: usize = 8192;
const BATCH_BYTES: usize = 16 << 20;
/// Bytes of a shard's rows held back before they are passed on.
const HOLD_BYTES: usize = 32 << 20;

/// A dataset's selected shards, read as table rows.
#[derive(Debug)]
pub struct HuggingFace {
    shards: Vec<Shard>,
    /// Source column → how it is stored, for the selected columns.
    mappings: Vec<(String, Mapping)>,
    schema: SchemaRef,
    /// Add a `split` column (`split: all`).
    with_split: bool,
    /// Identifies the dataset (name, config, revision) in row ids.
    dataset_id: String,
    options: HuggingFaceOptions,
    keys: Vec<Option<String>>,
}

impl HuggingFace {
    /// Finds the dataset `options.name` names (downloading a Hub id's shards when needed).
    pub fn open(options: HuggingFaceOptions, env: &FormatEnv) -> Result<Self> {
        let split = options.split.clone().unwrap_or_else(|| "train".into());
        let local = env.resolve(&options.name);
        let (dir, config) = if local.is_dir() {
            (local, options.config.clone())
        } else if hub::is_hub_id(&options.name) {
            let fetched = hub::fetch(&HubSettings::from_env(), &options, &split)?;
            (fetched.dir, Some(fetched.config))
        } else {
            return Err(Error::bad_source(
                &local,
                format!(
                    "'{}' is neither a directory nor a Hub id (user/name)",
                    options.name
                ),
            ));
        };
        let found = local::find(&dir, config.as_deref())?;
        let shards = found.select(&split, &dir)?;
        let first = shards
            .first()
            .ok_or_else(|| Error::bad_source(&dir, format!("split '{split}' has no files")))?;
        let source = shards::schema_of(first)?;
        let features = found
            .features
            .clone()
            .or_else(|| features::from_schema_metadata(source.metadata()));
        let mut mappings = features::mappings(&source, features.as_ref());
        if let Some(cols) = &options.columns {
            for c in cols {
                if !mappings.iter().any(|(n, _)| n == c) {
                    return Err(Error::Ingest(format!(
                        "huggingface: no column '{c}'{}",
                        lakefeed_core::did_you_mean(c, mappings.iter().map(|(n, _)| n.as_str()))
                    )));
                }
            }
            mappings.retain(|(n, _)| cols.contains(n));
        }
        let with_split = split == "all";
        let mut fields = vec![LogicalType::Text.field("id", DataType::Utf8)];
        if with_split {
            fields.push(LogicalType::Text.field("split", DataType::Utf8));
        }
        for (name, m) in &mappings {
            fields.push(m.field(&column_name(name)));
        }
        let digest = blake3::hash(
            serde_json::json!([options.name, config, options.revision])
                .to_string()
                .as_bytes(),
        );
        let keys = vec![None; shards.len()];
        Ok(Self {
            shards,
            mappings,
            schema: Arc::new(Schema::new(fields)),
            with_split,
            dataset_id: digest.to_hex()[..16].to_string(),
            options,
            keys,
        })
    }
}

impl Format for HuggingFace {
    fn schema(&self) -> Option<SchemaRef> {
        Some(self.schema.clone())
    }

    /// Row ids are deterministic (dataset, split, shard, row).
    fn key(&self) -> Vec<String> {
        vec!["id".to_string()]
    }

    fn keys_unique(&self) -> bool {
        true
    }

    /// One input per shard: its path, size and time, and the options that shape its rows. With `max_rows` the
    /// dataset is read from the start each time (which rows are wanted depends on the shards before).
    fn inputs(&mut self) -> Result<Vec<Input>> {
        if self.options.max_rows.is_some() {
            return Ok(Vec::new());
        }
        let shaping = (&self.options.columns, self.with_split, &self.dataset_id);
        let mut out = Vec::new();
        for (s, key) in self.shards.iter().zip(self.keys.iter_mut()) {
            let input = file_input(&s.path, &shaping);
            *key = Some(input.key.clone());
            out.push(input);
        }
        Ok(out)
    }

    fn skip_inputs(&mut self, done: &DoneSet) {
        let keep = still_to_do(&self.keys, done);
        retain_flagged(&mut self.shards, &keep);
        retain_flagged(&mut self.keys, &keep);
    }

    /// Shards are read in parallel (a few at a time) and their rows come out in order; with `max_rows` one at a
    /// time, so reading stops where the rows do.
    fn normalize(self: Box<Self>, ctx: &IngestContext) -> Result<Batches> {
        let me = Arc::new(*self);
        let budget = me
            .options
            .max_rows
            .map(|n| Arc::new(std::sync::atomic::AtomicU64::new(n)));
        let jobs: Vec<(PathBuf, Option<String>, Job)> = me
            .shards
            .iter()
            .enumerate()
            .zip(&me.keys)
            .map(|((i, s), key)| {
                let (me, budget) = (me.clone(), budget.clone());
                let job: Job = Box::new(move |sink: &Sink| {
                    let shard = &me.shards[i];
                    let reader = shards::Reader {
                        dataset_id: &me.dataset_id,
                        mappings: &me.mappings,
                        schema: &me.schema,
                        with_split: me.with_split,
                        budget: budget.as_deref(),
                    };
                    reader.read(shard, sink);
                });
                (s.path.clone(), key.clone(), job)
            })
            .collect();
        let window = if me.options.max_rows.is_some() {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2)
        };
        let parts = Ordered::new(jobs, window, HOLD_BYTES, me.schema.clone(), ctx.clone());
        Ok(Box::new(Rebatch::new(
            parts,
            me.schema.clone(),
            BATCH_ROWS,
            BATCH_BYTES,
        )))
    }
}

fn build(options: serde_json::Value, env: &FormatEnv) -> Result<Box<dyn Format>> {
    let o: HuggingFaceOptions = parse_options("huggingface", options)?;
    Ok(Box::new(HuggingFace::open(o, env)?))
}

inventory::submit! {
    FormatDescriptor {
        name: "huggingface",
        description: "A HuggingFace dataset: a local Hub-layout or save_to_disk directory, or a Hub id fetched over HTTP (HF_ENDPOINT, HF_TOKEN, HF_HOME cache, HF_HUB_OFFLINE).",
        example: r#"{"name": "huggingface/coco_mini_captions_hub_parquet", "split": "all"}"#,
        options_schema: options_schema::<HuggingFaceOptions>,
        build,
    }
}
