//! The inputs ledger: which inputs of a table have all their rows committed, so a re-run leaves them out
//! without decoding them again.
//!
//! A record is written after the commit holding the input's last row, so a crash in between only costs a re-run
//! the work of that input (its rows are then found by key). Records name the table's generation, a random id
//! kept in the table's schema metadata and renewed whenever the table is created or overwritten: records of an
//! older table never match the new one.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use lakefeed_core::inputs::DoneSet;
use lakefeed_core::stage::sql_literal;
use lakefeed_core::{Error, Result, ScanSpec};

use crate::blocking::Store;
use crate::retry::Backoff;

/// The ledger table (hidden from table listings).
pub const LEDGER_TABLE: &str = "_lakefeed_inputs";
/// Schema metadata holding a table's generation.
const GENERATION: &str = "lakefeed:generation";

/// The table's generation, when lakefeed created it.
pub(super) fn generation(schema: &Schema) -> Option<String> {
    schema.metadata().get(GENERATION).cloned()
}

/// `schema` with a fresh generation.
pub(super) fn new_generation(schema: &Schema) -> SchemaRef {
    let mut meta = schema.metadata().clone();
    meta.insert(GENERATION.into(), uuid::Uuid::new_v4().to_string());
    Arc::new(Schema::new_with_metadata(schema.fields().clone(), meta))
}

/// `schema` with the generation every shard of run `run` gives `table` when the run creates it.
pub(super) fn run_generation(schema: &Schema, run: &str, table: &str) -> SchemaRef {
    let mut meta = schema.metadata().clone();
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("lakefeed-run:{run}/{table}").as_bytes(),
    );
    meta.insert(GENERATION.into(), id.to_string());
    Arc::new(Schema::new_with_metadata(schema.fields().clone(), meta))
}

/// The ledger's schema.
pub(super) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("generation", DataType::Utf8, false),
        Field::new("input", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, true),
    ]))
}

/// The keys among `keys` recorded as complete for `table` at `generation`.
pub(super) fn done(
    store: &Store,
    table: &str,
    generation: &str,
    keys: &HashSet<&str>,
) -> Result<DoneSet> {
    let mut out = DoneSet::new();
    if keys.is_empty() || store.table_schema(LEDGER_TABLE)?.is_none() {
        return Ok(out);
    }
    let spec = ScanSpec {
        columns: Some(vec!["input".into()]),
        filter: Some(format!(
            "table_name = {} AND generation = {}",
            sql_literal(table),
            sql_literal(generation)
        )),
        batch_size: 0,
    };
    for batch in store.scan(LEDGER_TABLE, spec)? {
        let batch = batch?;
        let col = batch
            .column(0)
            .as_string_opt::<i32>()
            .ok_or_else(|| Error::Table(format!("{LEDGER_TABLE}.input is not text")))?;
        out.extend(
            col.iter()
                .flatten()
                .filter(|k| keys.contains(k))
                .map(str::to_string),
        );
    }
    Ok(out)
}

/// The ledger rows recording `inputs` (key → path) as complete for `table` at `generation`.
pub(super) fn rows(
    table: &str,
    generation: &str,
    inputs: &BTreeMap<String, String>,
) -> Result<RecordBatch> {
    let n = inputs.len();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![table; n])),
        Arc::new(StringArray::from(vec![generation; n])),
        Arc::new(StringArray::from_iter_values(inputs.keys())),
        Arc::new(StringArray::from_iter_values(inputs.values())),
    ];
    Ok(RecordBatch::try_new(schema(), cols)?)
}

/// Records `inputs` (key → path) as complete for `table` at `generation`.
pub(super) fn record(
    store: &Store,
    table: &str,
    generation: &str,
    inputs: &BTreeMap<String, String>,
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let batch = rows(table, generation, inputs)?;
    let append = || Backoff::COMMITS.run(table, || store.append(LEDGER_TABLE, vec![batch.clone()]));
    match append() {
        // The first record of the store creates the ledger (one look-up, not one per commit).
        Err(e) if e.is_not_found() => {
            match store.create_table(LEDGER_TABLE, schema()) {
                Ok(()) | Err(Error::TableExists(_)) => {}
                Err(e) => return Err(e),
            }
            append()
        }
        other => other,
    }
}

/// Forgets every record of `table` (it was dropped).
pub fn forget(store: &Store, table: &str) -> Result<()> {
    delete(store, format!("table_name = {}", sql_literal(table)))
}

/// Forgets the records of `table`'s earlier generations (it was overwritten).
pub(super) fn forget_others(store: &Store, table: &str, generation: &str) -> Result<()> {
    delete(
        store,
        format!(
            "table_name = {} AND generation <> {}",
            sql_literal(table),
            sql_literal(generation)
        ),
    )
}

fn delete(store: &Store, predicate: String) -> Result<()> {
    if store.table_schema(LEDGER_TABLE)?.is_none() {
        return Ok(());
    }
    Backoff::COMMITS
        .run(LEDGER_TABLE, || store.delete_rows(LEDGER_TABLE, &predicate))
        .map(|_| ())
}
