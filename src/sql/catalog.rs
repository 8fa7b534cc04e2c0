//! `information_schema.columns` over a store's tables, PostgreSQL style (what the seed's clients ask a service
//! for a table's columns): `table_name`, `column_name`, `ordinal_position`, `data_type`, `udt_name`. Built when
//! a statement names it, from the tables' current schemas; lakefeed's own tables are not listed.

use std::sync::Arc;

use arrow::array::{Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::MemorySchemaProvider;
use datafusion::datasource::MemTable;
use datafusion::execution::context::SessionContext;
use datafusion::sql::TableReference;
use lakefeed_core::{LogicalType, Result};

use super::df_error;
use crate::store::lance_error::from_lance;
use crate::wire::pg_column_type;

const SCHEMA: &str = "information_schema";

/// Whether a statement's table reference is `information_schema.columns`.
pub(super) fn is_columns_view(r: &TableReference) -> bool {
    r.schema() == Some(SCHEMA) && r.table() == "columns"
}

/// Registers the view under `r` in `ctx`, from `conn`'s tables as they are now.
pub(super) async fn register_columns_view(
    ctx: &SessionContext,
    conn: &lancedb::Connection,
    r: TableReference,
) -> Result<()> {
    let (mut tables, mut columns, mut positions, mut types, mut udts) =
        (vec![], vec![], vec![], vec![], vec![]);
    for name in crate::store::table_names(conn).await? {
        let t = conn
            .open_table(&name)
            .execute()
            .await
            .map_err(|e| from_lance(&name, "open", e))?;
        let schema = t
            .schema()
            .await
            .map_err(|e| from_lance(&name, "read the schema of", e))?;
        for (i, f) in schema.fields().iter().enumerate() {
            let (dt, udt) = pg_column_type(LogicalType::of_field(f).unwrap_or(LogicalType::Binary));
            tables.push(name.clone());
            columns.push(f.name().clone());
            positions.push(i as i32 + 1);
            types.push(dt);
            udts.push(udt);
        }
    }
    let text = |n: &str| Field::new(n, DataType::Utf8, false);
    let schema = Arc::new(Schema::new(vec![
        text("table_name"),
        text("column_name"),
        Field::new("ordinal_position", DataType::Int32, false),
        text("data_type"),
        text("udt_name"),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(tables)),
            Arc::new(StringArray::from(columns)),
            Arc::new(Int32Array::from(positions)),
            Arc::new(StringArray::from(types)),
            Arc::new(StringArray::from(udts)),
        ],
    )?;
    let view = MemTable::try_new(schema, vec![vec![batch]])
        .map_err(df_error("cannot build information_schema"))?;
    if let Some(catalog) = ctx
        .catalog(r.catalog().unwrap_or("datafusion"))
        .filter(|c| c.schema(SCHEMA).is_none())
    {
        catalog
            .register_schema(SCHEMA, Arc::new(MemorySchemaProvider::new()))
            .map_err(df_error("cannot register information_schema"))?;
    }
    ctx.register_table(r, Arc::new(view))
        .map_err(df_error("cannot register information_schema.columns"))?;
    Ok(())
}
