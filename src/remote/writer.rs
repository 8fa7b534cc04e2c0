//! Writing into a service: rows by Arrow IPC or by INSERT statements, split into requests of bounded size, and
//! [`RemoteWriter`], a run's writer (an overwrite is staged and swapped in with one commit).

use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use lakefeed_core::{Error, Result, TableStore, TableWriter, WriteMode, WriteSpec, Written};

use super::{Call, Payload, RemoteStore, insert};
use crate::wire::ipc;
use crate::wire::messages::{self, Replace, WriteParams};
use crate::wire::routes;

/// Arrow bytes per write request at most (a single larger batch goes alone).
const MAX_ARROW_BYTES: usize = 16 << 20;

impl RemoteStore {
    /// Writes batches as `spec` says (never an overwrite: that is staged by the writer).
    pub(super) async fn write_rows(
        &self,
        table: &str,
        batches: &[RecordBatch],
        spec: &WriteSpec,
    ) -> Result<Written> {
        let mut total = Written::default();
        // A keyed write may be sent again: rows already there are skipped.
        let keyed = !spec.key.is_empty();
        if self.arrow_writes {
            let params = WriteParams {
                mode: match spec.mode {
                    WriteMode::Upsert => WriteMode::Upsert,
                    _ => WriteMode::Append,
                },
                key: keyed.then(|| spec.key.join(",")),
                unique: spec.unique,
            };
            let path = self.api.path(routes::ARROW_WRITE, table) + &params.query_string();
            for chunk in arrow_chunks(batches) {
                let Some(schema) = chunk.first().map(RecordBatch::schema) else {
                    continue;
                };
                let body = Bytes::from(ipc::encode(&schema, &chunk)?);
                let call = Call {
                    timeout: None,
                    idempotent: keyed,
                };
                let r: messages::Written = self
                    .api
                    .answer(routes::ARROW_WRITE, &path, Payload::Arrow(body), call)
                    .await
                    .map_err(|e| partly_written(e, &total, keyed))?;
                total.rows += r.inserted;
                total.present += r.skipped;
            }
            return Ok(total);
        }
        // A slice of rows at a time, so only one slice's SQL text is held at once.
        let slices = batches.iter().flat_map(|b| {
            (0..b.num_rows())
                .step_by(insert::MAX_ROWS)
                .map(move |start| b.slice(start, insert::MAX_ROWS.min(b.num_rows() - start)))
        });
        for b in slices {
            for (sql, params) in insert::statements(table, &b, spec)? {
                let rows_sent = sql.matches("), (").count() as u64 + 1;
                let (cols, rows) = self
                    .query_json(&sql, &params, keyed)
                    .await
                    .map_err(|e| partly_written(e, &total, keyed))?;
                // lakefeed serve answers with the counts; another service's INSERT returns no rows.
                let count = |name: &str| {
                    let i = cols.iter().position(|c| c == name)?;
                    rows.first()?.get(i)?.as_u64()
                };
                match (count("inserted"), count("skipped")) {
                    (Some(i), Some(s)) => {
                        total.rows += i;
                        total.present += s;
                    }
                    _ => total.rows += rows_sent,
                }
            }
        }
        Ok(total)
    }
}

/// A failure after some requests of one write committed: not retryable when sending the write again would
/// add those rows twice (an unkeyed write), since a write is retried whole.
fn partly_written(e: Error, done: &Written, keyed: bool) -> Error {
    if keyed || done.rows + done.present == 0 || !e.is_retryable() {
        return e;
    }
    Error::Ingest(format!(
        "{} rows of this write were committed before it failed, so it is not retried (the rows would be \
         written twice): {}",
        done.rows,
        e.chain()
    ))
}

/// Batches grouped so each request stays under [`MAX_ARROW_BYTES`].
fn arrow_chunks(batches: &[RecordBatch]) -> Vec<Vec<RecordBatch>> {
    let mut out: Vec<Vec<RecordBatch>> = Vec::new();
    let mut size = 0;
    for b in batches.iter().filter(|b| b.num_rows() > 0) {
        let n = b.get_array_memory_size();
        match out.last_mut() {
            Some(last) if size + n <= MAX_ARROW_BYTES => {
                last.push(b.clone());
                size += n;
            }
            _ => {
                out.push(vec![b.clone()]);
                size = n;
            }
        }
    }
    out
}

/// A run's writes into a service. Appends and upserts are written as they come (each request one commit on
/// the server); an overwrite writes into a hidden staging table and replaces the table's rows with it in one
/// commit at `finish`.
pub(super) struct RemoteWriter {
    pub(super) store: RemoteStore,
    pub(super) table: String,
    pub(super) schema: SchemaRef,
    pub(super) spec: WriteSpec,
    /// The staging table of an overwrite, once created.
    pub(super) stage: Option<String>,
}

impl RemoteWriter {
    async fn stage(&mut self) -> Result<String> {
        if let Some(s) = &self.stage {
            return Ok(s.clone());
        }
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("_lakefeed_stage_{}_{}", &nonce[..12], self.table);
        let name: String = name.chars().take(128).collect();
        self.store.create_table(&name, self.schema.clone()).await?;
        self.stage = Some(name.clone());
        Ok(name)
    }
}

#[async_trait::async_trait]
impl TableWriter for RemoteWriter {
    async fn write(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        if self.spec.mode != WriteMode::Overwrite {
            return self
                .store
                .write_rows(&self.table, &batches, &self.spec)
                .await;
        }
        let stage = self.stage().await?;
        // Keyed as the run is: a key seen twice in the run is written once, as the local writer does.
        let spec = WriteSpec {
            mode: WriteMode::Append,
            key: self.spec.key.clone(),
            unique: self.spec.unique,
        };
        self.store.write_rows(&stage, &batches, &spec).await
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        if self.spec.mode != WriteMode::Overwrite {
            return Ok(());
        }
        let stage = self.stage().await?;
        let path = self.store.api.path(routes::REPLACE, &self.table);
        let body = messages::to_json(&Replace { from: stage })?;
        let replaced = self
            .store
            .api
            .json(routes::REPLACE, &path, Payload::Json(body), Call::default())
            .await;
        // Done or failed, the stage goes now (the server drops it on success; this is a no-op then).
        if let Some(stage) = self.stage.take() {
            drop_stage(self.store.clone(), stage).await;
        }
        replaced.map(|_| ())
    }
}

/// Drops a staging table, within half a minute and without retries: a clean-up must not hold anything up.
async fn drop_stage(store: RemoteStore, stage: String) {
    let dropped =
        tokio::time::timeout(Duration::from_secs(30), store.drop_table(&stage, true)).await;
    if let Err(e) = dropped
        .map_err(|_| Error::Network("timed out".into()))
        .and_then(|r| r)
    {
        tracing::warn!(stage, error = %e, "cannot drop a staging table");
    }
}

impl Drop for RemoteWriter {
    /// An overwrite abandoned (or failed) leaves the table as it was; its staging table is dropped.
    fn drop(&mut self) {
        if let Some(stage) = self.stage.take() {
            crate::runtime::clean_up(drop_stage(self.store.clone(), stage));
        }
    }
}
