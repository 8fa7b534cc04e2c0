//! SQL type names (PostgreSQL's, as the seed's service uses them, and lakefeed's own) as stored fields, both
//! ways: what `CREATE`/`ALTER TABLE` and `information_schema.columns` say.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use lakefeed_core::{Error, LogicalType, Result};

/// The field a column of SQL type `ty` (PostgreSQL's names, or lakefeed's: `IMAGE`, `EMBEDDING(384)`…) is
/// stored as.
pub fn sql_field(name: &str, ty: &str) -> Result<Field> {
    let logical = match ty.trim().to_ascii_uppercase().as_str() {
        "BIGINT" | "INT8" => LogicalType::Int64,
        "INTEGER" | "INT4" | "INT" | "SMALLINT" => LogicalType::Int32,
        "REAL" | "FLOAT4" => LogicalType::Float32,
        "DOUBLE PRECISION" | "FLOAT8" => LogicalType::Float64,
        "BOOLEAN" => LogicalType::Bool,
        "BYTEA" => LogicalType::Binary,
        "FLOAT4[]" | "REAL[]" | "ARRAY" => LogicalType::Embedding(None),
        "JSONB" => LogicalType::Json,
        "VARCHAR" | "CHARACTER VARYING" => LogicalType::Text,
        other => other
            .parse()
            .map_err(|e: Error| Error::Table(format!("column '{name}': {e}")))?,
    };
    let dt = logical
        .arrow_type()
        .unwrap_or_else(|| DataType::List(Arc::new(Field::new("item", DataType::Float32, true))));
    Ok(logical.field(name, dt))
}

/// How `information_schema.columns` names a column's type, PostgreSQL style: `(data_type, udt_name)`. Domains
/// (IMAGE, VIDEO, …) are `USER-DEFINED`, vectors `ARRAY` of `float4`.
pub fn pg_column_type(t: LogicalType) -> (String, String) {
    let (dt, udt) = match t {
        LogicalType::Text | LogicalType::File => ("text", "text"),
        LogicalType::Int32 | LogicalType::ClassLabel => ("integer", "int4"),
        LogicalType::Int64 => ("bigint", "int8"),
        LogicalType::Float32 => ("real", "float4"),
        LogicalType::Float64 => ("double precision", "float8"),
        LogicalType::Bool => ("boolean", "bool"),
        LogicalType::Binary => ("bytea", "bytea"),
        LogicalType::Json => ("jsonb", "jsonb"),
        LogicalType::Embedding(_) | LogicalType::BoundingBox | LogicalType::Point => {
            ("ARRAY", "_float4")
        }
        domain => return ("USER-DEFINED".into(), domain.name().to_ascii_lowercase()),
    };
    (dt.into(), udt.into())
}

/// A column's type name from PostgreSQL's `information_schema.columns`: the `data_type`, or for a domain
/// (`USER-DEFINED`, e.g. `image`) or an array (`ARRAY`, `_float4`) the underlying `udt_name`.
pub fn pg_type(data_type: &str, udt_name: &str) -> String {
    match data_type.to_ascii_uppercase().as_str() {
        "USER-DEFINED" => udt_name.to_string(),
        "ARRAY" => format!("{}[]", udt_name.trim_start_matches('_')),
        _ => data_type.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_column_types_map_to_stored_types() {
        let field = |dt: &str, udt: &str| sql_field("c", &pg_type(dt, udt)).unwrap();
        assert!(matches!(
            field("ARRAY", "_float4").data_type(),
            DataType::List(_)
        ));
        let image = field("USER-DEFINED", "image");
        assert_eq!(image.data_type(), &DataType::Binary);
        assert_eq!(LogicalType::of_field(&image), Some(LogicalType::Image));
        assert_eq!(
            field("double precision", "float8").data_type(),
            &DataType::Float64
        );
        assert_eq!(
            field("character varying", "varchar").data_type(),
            &DataType::Utf8
        );
        assert_eq!(field("integer", "int4").data_type(), &DataType::Int32);
        assert_eq!(field("jsonb", "jsonb").data_type(), &DataType::Utf8);
        assert!(sql_field("c", &pg_type("USER-DEFINED", "geometry")).is_err());
    }
}
