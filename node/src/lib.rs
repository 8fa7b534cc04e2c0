//! `lakefeed` for Node.js: the native module under the package's JavaScript layer (`node/index.js`), which gives
//! it the managed SDK's Node API (`ManagedClient`). It holds the same engine as the CLI, `lakefeed serve` and the
//! Python package (a [`lakefeed::Client`] over a local store, an object store or a service). Every call returns a
//! Promise and runs off the event loop: the engine's blocking calls go to tokio's blocking pool.
//!
//! Errors cross as JavaScript `Error`s whose message is a JSON object `{"class", "message", "retryable",
//! "notFound"}`; the JavaScript layer turns it into the SDK's error classes. Every export catches panics.

use std::sync::{Arc, Mutex};

mod stream;

use lakefeed::{Client, IngestData, IngestOptions, Target, WriteMode};
use lakefeed_core::Batches;
use lakefeed_core::schema::parse_hints;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::{Map, Value, json};
use stream::NativeIngest;

/// A lakefeed error as the JavaScript layer reads it.
fn to_js(e: lakefeed::Error) -> napi::Error {
    let body = json!({
        "class": e.class().name(),
        "message": e.chain(),
        "retryable": e.is_retryable(),
        "notFound": e.is_not_found(),
    });
    napi::Error::from_reason(body.to_string())
}

fn bad_input(message: impl Into<String>) -> napi::Error {
    to_js(lakefeed::Error::Ingest(message.into()))
}

/// Runs blocking engine work on tokio's blocking pool, so the event loop stays free.
async fn off_loop<T, F>(f: F) -> napi::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> lakefeed::Result<T> + Send + 'static,
{
    napi::bindgen_prelude::spawn_blocking(f)
        .await
        .map_err(|e| bad_input(format!("a lakefeed task failed: {e}")))?
        .map_err(to_js)
}

/// A client of a local store, an object store or a service.
#[napi]
pub struct NativeClient {
    inner: Client,
}

#[napi]
impl NativeClient {
    /// The Lance store at `location` (a directory, created when missing, or an object-store URI), with
    /// `storageOptions` as a JSON object of strings.
    #[napi(factory, catch_unwind)]
    pub async fn local(location: String, storage_options: Option<String>) -> napi::Result<Self> {
        let options = match storage_options {
            Some(s) => {
                serde_json::from_str(&s).map_err(|e| bad_input(format!("storageOptions: {e}")))?
            }
            None => Default::default(),
        };
        let target = Target::lance(location).with_storage_options(options);
        let inner = off_loop(move || Client::open(&target)).await?;
        Ok(Self { inner })
    }

    /// One workspace of a service (the seed's API or `lakefeed serve`) with a JWT.
    #[napi(factory, catch_unwind)]
    pub async fn managed(
        token: String,
        workspace: String,
        api_url: Option<String>,
    ) -> napi::Result<Self> {
        let inner =
            off_loop(move || Client::managed(&token, &workspace, api_url.as_deref())).await?;
        Ok(Self { inner })
    }

    /// Starts ingesting what the JSON `spec` says (see `ingestSpec` in index.js) in the background; the
    /// handle's `finish()` resolves to the result as JSON (`table_name`, `row_count`, `dataset_path`, `report`).
    /// With `pushed`, the rows come from the handle's `push()` (a custom format) and `spec` holds options only.
    #[napi(catch_unwind)]
    pub fn ingest(&self, table: String, spec: String, pushed: bool) -> napi::Result<NativeIngest> {
        let spec: Map<String, Value> =
            serde_json::from_str(&spec).map_err(|e| bad_input(format!("ingest options: {e}")))?;
        let client = self.inner.clone();
        if pushed {
            let (_, opts) = ingest_job(spec, true)?;
            return Ok(NativeIngest::pushed(client, table, opts));
        }
        let (data, opts) = ingest_job(spec, false)?;
        Ok(NativeIngest::start(
            client,
            table,
            data.unwrap_or(IngestData::Batches(Vec::new())),
            opts,
        ))
    }

    /// Runs SQL with `$n` parameters (a JSON array); resolves to the rows as a JSON array of objects.
    #[napi(catch_unwind)]
    pub async fn query(&self, sql: String, params: Option<String>) -> napi::Result<String> {
        let params: Vec<Value> = match params {
            Some(p) => serde_json::from_str(&p).map_err(|e| bad_input(format!("params: {e}")))?,
            None => Vec::new(),
        };
        let client = self.inner.clone();
        off_loop(move || {
            let rows = client.query(&sql, &params)?.records()?;
            Ok(Value::Array(rows.into_iter().map(Value::Object).collect()).to_string())
        })
        .await
    }

    /// The tables, sorted.
    #[napi(catch_unwind)]
    pub async fn list_tables(&self) -> napi::Result<Vec<String>> {
        let client = self.inner.clone();
        off_loop(move || client.list_tables()).await
    }

    /// Drops a table (a missing one is fine when `ifExists`).
    #[napi(catch_unwind)]
    pub async fn drop_table(&self, table: String, if_exists: bool) -> napi::Result<()> {
        let client = self.inner.clone();
        off_loop(move || client.drop_table(&table, if_exists)).await
    }

    /// Builds a search index on a column (ANN for EMBEDDING, BM25 for TEXT).
    #[napi(catch_unwind)]
    pub async fn create_index(&self, table: String, column: String) -> napi::Result<()> {
        let client = self.inner.clone();
        off_loop(move || client.create_index(&table, &column)).await
    }

    /// The number of rows of `table`.
    #[napi(catch_unwind)]
    pub async fn count(&self, table: String) -> napi::Result<f64> {
        let client = self.inner.clone();
        off_loop(move || Ok(client.open_table(&table)?.count()? as f64)).await
    }

    /// `table`'s rows, `batchSize` at a time (only `columns` when given), as Arrow IPC streams.
    #[napi(catch_unwind)]
    pub async fn batches(
        &self,
        table: String,
        batch_size: u32,
        columns: Option<Vec<String>>,
    ) -> napi::Result<NativeBatches> {
        let client = self.inner.clone();
        let batches = off_loop(move || {
            let mut t = client.open_table(&table)?;
            if let Some(cols) = columns {
                t = t.select(cols);
            }
            t.batches(batch_size.max(1) as usize)
        })
        .await?;
        Ok(NativeBatches {
            inner: Arc::new(Mutex::new(Some(batches))),
        })
    }
}

/// Record batches read one at a time, each as an Arrow IPC stream.
#[napi]
pub struct NativeBatches {
    inner: Arc<Mutex<Option<Batches>>>,
}

#[napi]
impl NativeBatches {
    /// The next batch, or `null` at the end.
    #[napi(catch_unwind)]
    pub async fn next(&self) -> napi::Result<Option<Buffer>> {
        let inner = self.inner.clone();
        let bytes = off_loop(move || {
            let mut guard = inner
                .lock()
                .map_err(|_| lakefeed::Error::Other("the batch reader failed earlier".into()))?;
            let Some(it) = guard.as_mut() else {
                return Ok(None);
            };
            match it.next() {
                None => {
                    *guard = None;
                    Ok(None)
                }
                Some(b) => Ok(Some(ipc(&b?)?)),
            }
        })
        .await?;
        Ok(bytes.map(Buffer::from))
    }
}

/// One batch as an Arrow IPC stream (apache-arrow's `tableFromIPC` reads it).
fn ipc(batch: &arrow::array::RecordBatch) -> lakefeed::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut buf, &batch.schema())?;
    w.write(batch)?;
    w.finish()?;
    drop(w);
    Ok(buf)
}

/// The data and options an ingest `spec` names: `format` + `options` (a registered format), `paths` (files by
/// kind), `huggingface` (a dataset name), or `columns` (column data); `schema`, `index`, `mode`, `key`,
/// `thumbnails`, `chunkSize`, `chunkOverlap`.
fn ingest_job(
    mut spec: Map<String, Value>,
    options_only: bool,
) -> napi::Result<(Option<IngestData>, IngestOptions)> {
    let mut opts = IngestOptions::default();
    if let Some(Value::Object(schema)) = spec.remove("schema") {
        let pairs: Vec<(String, String)> = schema
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
        opts.schema =
            parse_hints(pairs.iter().map(|(c, t)| (c.as_str(), t.as_str()))).map_err(to_js)?;
    }
    if let Some(v) = spec.remove("index") {
        opts.index = serde_json::from_value(v).map_err(|e| bad_input(format!("index: {e}")))?;
    }
    if let Some(v) = spec.remove("key") {
        opts.key = Some(serde_json::from_value(v).map_err(|e| bad_input(format!("key: {e}")))?);
    }
    if let Some(Value::String(m)) = spec.remove("mode") {
        opts.mode = match m.as_str() {
            "append" => WriteMode::Append,
            "overwrite" => WriteMode::Overwrite,
            "upsert" => WriteMode::Upsert,
            other => {
                return Err(bad_input(format!(
                    "mode '{other}': use append, overwrite or upsert"
                )));
            }
        };
    }
    if let Some(Value::Bool(t)) = spec.remove("thumbnails") {
        opts.thumbnails = t;
    }
    let mut chunking = Map::new();
    for (js, opt) in [
        ("chunkSize", "chunk_size"),
        ("chunkOverlap", "chunk_overlap"),
    ] {
        if let Some(v) = spec.remove(js).filter(|v| !v.is_null()) {
            chunking.insert(opt.to_string(), v);
        }
    }
    if options_only {
        return Ok((None, opts));
    }
    let data = if let Some(Value::String(name)) = spec.remove("format") {
        let mut options = match spec.remove("options") {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        if name == "files" {
            options.extend(chunking);
        }
        IngestData::Format {
            name,
            options: Value::Object(options),
        }
    } else if let Some(paths) = spec.remove("paths") {
        let mut options = Map::new();
        options.insert("paths".into(), paths);
        options.extend(chunking);
        IngestData::Format {
            name: "files".into(),
            options: Value::Object(options),
        }
    } else if let Some(Value::String(name)) = spec.remove("huggingface") {
        IngestData::huggingface(name)
    } else if let Some(columns) = spec.remove("columns") {
        IngestData::from_dict(columns).map_err(to_js)?
    } else {
        return Err(bad_input(
            "ingest needs data (column arrays, FILE paths or {_huggingface}) or a format",
        ));
    };
    Ok((Some(data), opts))
}
