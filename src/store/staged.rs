//! Staged writes for distributed runs: each shard writes its rows as uncommitted Lance data files and describes
//! them (fragments and schema, as JSON); one commit later publishes every shard's fragments of a table in a
//! single transaction, so readers see all of a run or none of it.
//!
//! A table that did not exist is created by that commit (a strict overwrite at version 0: if another process
//! created the table meanwhile, the commit fails instead of replacing it). Parts whose data files the table
//! already references were committed before (a commit that is run again) and are not committed twice.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use lakefeed_core::{Error, Result, Staged, TableWriter, WriteSpec, Written};
use lance::Dataset;
use lance::dataset::transaction::{Operation, TransactionBuilder};
use lance::dataset::{CommitBuilder, InsertBuilder, WriteMode as LanceMode, WriteParams};
use lance::table::format::Fragment;

use super::keyed_commit::{drop_own, files_of, fragments_of, probe, without};
use super::keys::KeySet;
use super::lance_error::from_lance_core;
use super::location::Location;

/// What a Lance part holds: the uncommitted fragments, and the schema they were written with when they create
/// the table (Lance numbers its fields the same way from it in every process), as an Arrow IPC stream in hex.
#[derive(serde::Serialize, serde::Deserialize)]
struct Part {
    fragments: Vec<Fragment>,
    schema: Option<String>,
}

/// `schema` as the hex of an empty Arrow IPC stream.
fn schema_hex(schema: &SchemaRef) -> Result<String> {
    let mut buf = Vec::new();
    let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut buf, schema)?;
    w.finish()?;
    drop(w);
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The schema [`schema_hex`] wrote.
fn schema_from_hex(table: &str, hex: &str) -> Result<arrow::datatypes::Schema> {
    let bad = || Error::Ingest(format!("a staged part of '{table}' has a damaged schema"));
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    let r = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .map_err(|_| bad())?;
    Ok(r.schema().as_ref().clone())
}

/// A shard's writer into one table: stages, never commits.
pub(super) struct StagedWriter {
    table: String,
    loc: Location,
    spec: WriteSpec,
    schema: SchemaRef,
    /// The table as the shard found it (`None`: it does not exist yet).
    base: Option<Arc<Dataset>>,
    own_keys: KeySet,
    fragments: Vec<Fragment>,
    rows: u64,
}

impl StagedWriter {
    pub(super) async fn new(
        table: &str,
        loc: Location,
        schema: SchemaRef,
        spec: WriteSpec,
    ) -> Result<Self> {
        if spec.mode != lakefeed_core::WriteMode::Append {
            return Err(Error::Ingest(format!(
                "a sharded run appends; '{table}' asks for {:?} (run it unsharded, or drop the table first)",
                spec.mode
            )));
        }
        let base = match loc.dataset(table).await {
            Ok(d) => Some(Arc::new(d)),
            Err(Error::TableNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(Self {
            table: table.to_string(),
            loc,
            spec,
            schema,
            base,
            own_keys: KeySet::default(),
            fragments: Vec::new(),
            rows: 0,
        })
    }

    fn params(&self) -> WriteParams {
        WriteParams {
            mode: LanceMode::Append,
            store_params: Some(self.loc.store_params()),
            ..Default::default()
        }
    }
}

#[async_trait::async_trait]
impl TableWriter for StagedWriter {
    async fn write(&mut self, batches: Vec<RecordBatch>) -> Result<Written> {
        let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
        if batches.is_empty() {
            return Ok(Written::default());
        }
        let mut present = 0;
        let batches = if self.spec.key.is_empty() {
            batches
        } else {
            let (mut pending, dropped) = drop_own(&self.spec, &self.own_keys, batches)?;
            present += dropped;
            if let Some(base) = &self.base {
                let all = base
                    .get_fragments()
                    .into_iter()
                    .map(|f| f.metadata().clone())
                    .collect();
                let found = probe(&self.table, &self.spec.key, base, all, &pending).await?;
                pending = without(pending, &found, &mut present)?;
            }
            if !self.spec.unique {
                self.own_keys.extend(
                    pending
                        .iter()
                        .flat_map(|(_, k)| k.iter().flatten().copied()),
                );
            }
            pending.into_iter().map(|(b, _)| b).collect()
        };
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        if rows == 0 {
            return Ok(Written { rows, present });
        }
        let uri = self.loc.table_uri(&self.table);
        let builder = match &self.base {
            Some(ds) => InsertBuilder::new(ds.clone()),
            None => InsertBuilder::new(uri.as_str()),
        };
        let txn = builder
            .with_params(&self.params())
            .execute_uncommitted(batches)
            .await
            .map_err(|e| from_lance_core(&self.table, "stage rows of", e))?;
        self.fragments.extend(fragments_of(txn));
        self.rows += rows;
        Ok(Written { rows, present })
    }

    async fn finish(self: Box<Self>) -> Result<()> {
        Err(Error::Other(format!(
            "the staged writer of '{}' is finished with finish_staged",
            self.table
        )))
    }

    async fn finish_staged(self: Box<Self>) -> Result<Staged> {
        let part = Part {
            fragments: self.fragments,
            schema: match self.base {
                None => Some(schema_hex(&self.schema)?),
                Some(_) => None,
            },
        };
        Ok(Staged {
            table: self.table.clone(),
            rows: self.rows,
            keyed: !self.spec.key.is_empty(),
            base_version: self.base.as_ref().map(|d| d.version().version),
            data: serde_json::to_value(&part)
                .map_err(|e| Error::Other(format!("staged part of '{}': {e}", self.table)))?,
        })
    }
}

fn lance_schema(
    table: &str,
    schema: &arrow::datatypes::Schema,
) -> Result<lance_core::datatypes::Schema> {
    lance_core::datatypes::Schema::try_from(schema)
        .map_err(|e| Error::Table(format!("'{table}': the schema cannot be stored: {e}")))
}

/// Commits `parts` of `table` in one transaction (see the module's notes); returns the rows committed.
pub(super) async fn commit(loc: &Location, table: &str, parts: Vec<Staged>) -> Result<u64> {
    let mut fragments = Vec::new();
    let mut schema: Option<arrow::datatypes::Schema> = None;
    let mut rows = 0;
    for p in &parts {
        let part: Part = serde_json::from_value(p.data.clone()).map_err(|e| {
            Error::Ingest(format!("a staged part of '{table}' cannot be read: {e}"))
        })?;
        let mine = match &part.schema {
            Some(hex) => Some(schema_from_hex(table, hex)?),
            None => None,
        };
        if let (Some(s), Some(mine)) = (&schema, &mine)
            && s.fields() != mine.fields()
        {
            return Err(Error::Table(format!(
                "the shards staged '{table}' with different columns; run them again with the same sources"
            )));
        }
        if schema.is_none() {
            schema = mine;
        }
        fragments.extend(part.fragments);
        rows += p.rows;
    }
    if fragments.is_empty() {
        return Ok(0);
    }
    let staged_files: HashSet<String> = files_of(&fragments).into_iter().collect();
    let keyed = parts.iter().any(|p| p.keyed);
    let bases: HashSet<Option<u64>> = parts.iter().map(|p| p.base_version).collect();
    match loc.dataset(table).await {
        Ok(ds) => {
            let present = ds
                .get_fragments()
                .iter()
                .flat_map(|f| f.metadata().files.iter().map(|d| d.path.clone()))
                .any(|p| staged_files.contains(&p));
            if present {
                tracing::info!(table, "staged rows already committed");
                return Ok(0);
            }
            if bases.contains(&None) {
                return Err(Error::Table(format!(
                    "'{table}' was created after the shards ran; run them again"
                )));
            }
            let version = ds.version().version;
            if keyed && bases.iter().any(|b| *b != Some(version)) {
                return Err(Error::Table(format!(
                    "'{table}' changed since the shards looked its keys up (version {:?} → {version}); run \
                     them again",
                    bases.iter().flatten().min()
                )));
            }
            let txn = TransactionBuilder::new(version, Operation::Append { fragments }).build();
            CommitBuilder::new(Arc::new(ds))
                .execute(txn)
                .await
                .map_err(|e| from_lance_core(table, "commit staged rows of", e))?;
        }
        Err(Error::TableNotFound(_)) => {
            if bases.iter().any(Option::is_some) {
                return Err(Error::Table(format!(
                    "'{table}' was dropped after the shards ran; run them again"
                )));
            }
            let schema = schema.ok_or_else(|| Error::Other("no schema staged".into()))?;
            let schema = lance_schema(table, &schema)?;
            let op = Operation::Overwrite {
                fragments,
                schema,
                config_upsert_values: None,
                initial_bases: None,
            };
            let txn = TransactionBuilder::new(0, op).build();
            super::lance::create_with(loc, table, txn).await.map_err(|e| match e {
                Error::TableExists(_) => Error::Table(format!(
                    "'{table}' was created by another writer during the commit; run the shards again"
                )),
                e => e,
            })?;
        }
        Err(e) => return Err(e),
    }
    Ok(rows)
}
