//! INSERT, DELETE and ALTER TABLE over any store: how rows sent as SQL (a service's query endpoint) land.
//!
//! An INSERT's source is planned like any SELECT; its columns are matched to the table's by name (the
//! statement's column list, else the table's order), cast to the stored types (strictly: a vector of the wrong
//! length is an error, not a null), and written through the store's writer, so `ON CONFLICT (key) DO NOTHING`
//! is a keyed append and `DO UPDATE` an upsert, each one commit.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, new_null_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use lakefeed_core::{Error, QueryResult, Result, TableStore, WriteMode, WriteSpec};
use serde_json::Value;

use super::{Insert, NewColumn, Session, values};

/// Runs an INSERT: one commit; the result is one row, `inserted` and `skipped` (rows whose key was present).
pub(super) async fn insert(
    store: &dyn TableStore,
    session: &Session,
    ins: Insert,
    params: &[Value],
) -> Result<QueryResult> {
    let table = ins.table.clone();
    let schema = store
        .table_schema(&table)
        .await?
        .ok_or_else(|| Error::TableNotFound(table.clone()))?;
    let targets = targets(&schema, &ins)?;
    let spec = match &ins.conflict {
        None => WriteSpec::default(),
        Some(c) => {
            // DO UPDATE replaces the whole row, so it must be given every column (else the others would be
            // nulled rather than kept).
            let unset: Vec<&str> = schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .filter(|n| !targets.iter().any(|t| t == n))
                .collect();
            if c.replace && !unset.is_empty() {
                return Err(Error::query(format!(
                    "ON CONFLICT … DO UPDATE replaces whole rows here: insert every column of '{table}' \
                     (missing: {})",
                    unset.join(", ")
                )));
            }
            for k in &c.key {
                if schema.field_with_name(k).is_err() {
                    return Err(Error::Table(format!(
                        "ON CONFLICT: table '{table}' has no column '{k}'"
                    )));
                }
            }
            WriteSpec {
                mode: if c.replace {
                    WriteMode::Upsert
                } else {
                    WriteMode::Append
                },
                key: c.key.clone(),
                unique: false,
            }
        }
    };
    let fast = values::literal_rows(&ins.source, params)
        .filter(|rows| rows.iter().all(|r| r.len() == targets.len()))
        .and_then(|rows| values::batch(&schema, &targets, &rows).ok());
    let batches = match fast {
        Some(batch) => vec![batch],
        None => planned(session, ins.source, params, &schema, &targets).await?,
    };
    let mut writer = store.writer(&table, schema.clone(), spec).await?;
    let written = writer.write(batches).await?;
    writer.finish().await?;
    counts(written.rows, written.present)
}

/// The source planned and run by DataFusion, in the table's schema.
async fn planned(
    session: &Session,
    source: Box<datafusion::sql::sqlparser::ast::Query>,
    params: &[Value],
    schema: &SchemaRef,
    targets: &[String],
) -> Result<Vec<RecordBatch>> {
    let source = session.run_source(source, params).await?;
    if source.schema().fields().len() != targets.len() {
        return Err(Error::query(format!(
            "INSERT has {} values per row for {} target columns",
            source.schema().fields().len(),
            targets.len()
        )));
    }
    source
        .batches()
        .iter()
        .filter(|b| b.num_rows() > 0)
        .map(|b| stored_batch(schema, targets, b))
        .collect()
}

/// The table column each source column goes to.
fn targets(schema: &Schema, ins: &Insert) -> Result<Vec<String>> {
    if ins.columns.is_empty() {
        return Ok(schema.fields().iter().map(|f| f.name().clone()).collect());
    }
    for (i, c) in ins.columns.iter().enumerate() {
        if schema.field_with_name(c).is_err() {
            return Err(Error::Table(format!(
                "table '{}' has no column '{c}'",
                ins.table
            )));
        }
        if ins.columns[..i].contains(c) {
            return Err(Error::query(format!("column '{c}' is named twice")));
        }
    }
    Ok(ins.columns.clone())
}

/// A source batch in the table's schema: targets cast, other columns null.
fn stored_batch(schema: &SchemaRef, targets: &[String], b: &RecordBatch) -> Result<RecordBatch> {
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    let columns = schema
        .fields()
        .iter()
        .map(|f| match targets.iter().position(|t| t == f.name()) {
            Some(i) => cast_with_options(b.column(i), f.data_type(), &strict).map_err(|e| {
                Error::query(format!(
                    "column '{}': cannot store {} as {}: {e}",
                    f.name(),
                    b.column(i).data_type(),
                    f.data_type()
                ))
            }),
            None => Ok(new_null_array(f.data_type(), b.num_rows())),
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn counts(inserted: u64, skipped: u64) -> Result<QueryResult> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("inserted", DataType::Int64, false),
        Field::new("skipped", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![inserted as i64])),
            Arc::new(Int64Array::from(vec![skipped as i64])),
        ],
    )?;
    Ok(QueryResult::new(schema, vec![batch]))
}

/// Runs a DELETE (one commit); the result is the number of rows it deleted. A missing table is a
/// TableNotFound, as in SQL.
pub(super) async fn delete(
    store: &dyn TableStore,
    table: &str,
    predicate: Option<String>,
    params: &[Value],
) -> Result<QueryResult> {
    if !params.is_empty() {
        return Err(Error::query(
            "DELETE takes no parameters here; put the values in the predicate",
        ));
    }
    if store.table_schema(table).await?.is_none() {
        return Err(Error::TableNotFound(table.to_string()));
    }
    let deleted = store
        .delete_rows(table, predicate.as_deref().unwrap_or("true"))
        .await?;
    let schema = Arc::new(Schema::new(vec![Field::new(
        "deleted",
        DataType::Int64,
        false,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![deleted as i64]))],
    )?;
    Ok(QueryResult::new(schema, vec![batch]))
}

/// Runs `ALTER TABLE … ADD COLUMN`: the columns (types by their SQL names) in one commit. A column that exists
/// is kept with `IF NOT EXISTS`, else it is a TableError and nothing is added.
pub(super) async fn add_columns(
    store: &dyn TableStore,
    table: &str,
    columns: &[NewColumn],
) -> Result<QueryResult> {
    let schema = store
        .table_schema(table)
        .await?
        .ok_or_else(|| Error::TableNotFound(table.to_string()))?;
    let mut fields = Vec::new();
    for c in columns {
        if schema.field_with_name(&c.name).is_ok() {
            if c.if_not_exists {
                continue;
            }
            return Err(Error::Table(format!(
                "table '{table}' already has a column '{}'",
                c.name
            )));
        }
        fields.push(crate::wire::sql_field(&c.name, &c.sql_type)?);
    }
    store
        .add_columns(table, Arc::new(Schema::new(fields)))
        .await?;
    Ok(QueryResult::new(Arc::new(Schema::empty()), vec![]))
}
