//! Resolving a table's schema from hints (user > format > inference) and conforming batches to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryBuilder, RecordBatch, new_null_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::infer::bytes_of_text;
use crate::types::{LogicalType, TYPE_KEY};
use crate::util::did_you_mean;

/// Column type hints by column name, as written in `schema:`.
pub type Hints = BTreeMap<String, LogicalType>;

/// Parses `name → type name` pairs into hints.
pub fn parse_hints<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Hints> {
    pairs
        .into_iter()
        .map(|(c, t)| Ok((c.to_string(), t.parse()?)))
        .collect()
}

/// Applies `hints` to `schema`: hinted columns take the hinted type, every column carries its logical type in
/// metadata. A hint for a column the data does not have is an error. FILE hints are left to the caller.
pub fn apply_hints(schema: &Schema, hints: &Hints) -> Result<SchemaRef> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if let Some((col, _)) = hints
        .iter()
        .find(|(c, t)| **t != LogicalType::File && !names.contains(&c.as_str()))
    {
        return Err(Error::Ingest(format!(
            "schema names column '{col}', which the data does not have{}",
            did_you_mean(col, names.iter().copied())
        )));
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| annotate(f, hints.get(f.name()).copied()))
        .collect::<Result<_>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

fn annotate(f: &Field, hint: Option<LogicalType>) -> Result<Field> {
    let current = LogicalType::of_field(f);
    let t = match (hint, current) {
        (Some(LogicalType::Embedding(None)), _) => match f.data_type() {
            DataType::FixedSizeList(_, n) => LogicalType::Embedding(Some(*n)),
            _ => {
                return Err(Error::Ingest(format!(
                    "column '{}' is EMBEDDING but its data is {}; write EMBEDDING(n) or give vectors",
                    f.name(),
                    f.data_type()
                )));
            }
        },
        (Some(h), _) => h,
        (None, Some(c)) => c,
        (None, None) => return Ok(f.clone().with_nullable(true)),
    };
    let dt = match t.arrow_type() {
        Some(dt) if !t.is_byte_domain() || !is_binary(f.data_type()) => dt,
        _ => f.data_type().clone(),
    };
    let dt = if matches!(t, LogicalType::Text | LogicalType::Json) && is_text(f.data_type()) {
        f.data_type().clone()
    } else {
        dt
    };
    let mut md = f.metadata().clone();
    md.insert(TYPE_KEY.to_string(), t.name());
    Ok(Field::new(f.name(), dt, true).with_metadata(md))
}

fn is_binary(dt: &DataType) -> bool {
    matches!(dt, DataType::Binary | DataType::LargeBinary)
}

fn is_text(dt: &DataType) -> bool {
    matches!(dt, DataType::Utf8 | DataType::LargeUtf8)
}

/// Reorders, casts and null-fills `batch`'s columns to exactly `target`'s. A column that `target` lacks, or a
/// value that cannot be cast, is an error naming the column.
pub fn conform(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().as_ref() == target.as_ref() {
        return Ok(batch.clone());
    }
    let schema = batch.schema();
    if let Some(extra) = schema
        .fields()
        .iter()
        .find(|f| target.field_with_name(f.name()).is_err())
    {
        return Err(Error::Ingest(format!(
            "column '{}' is not in the target schema",
            extra.name()
        )));
    }
    let opts = CastOptions {
        safe: false,
        ..Default::default()
    };
    let columns: Vec<ArrayRef> = target
        .fields()
        .iter()
        .map(|f| match schema.index_of(f.name()) {
            Ok(i) => {
                let col = batch.column(i);
                if col.data_type() == f.data_type() {
                    Ok(col.clone())
                } else if is_text(col.data_type()) && is_binary(f.data_type()) {
                    text_to_bytes(f.name(), col, f.data_type())
                } else {
                    cast_with_options(col, f.data_type(), &opts).map_err(|e| {
                        Error::Ingest(format!(
                            "column '{}': cannot convert {} to {}: {e}",
                            f.name(),
                            col.data_type(),
                            f.data_type()
                        ))
                    })
                }
            }
            Err(_) => Ok(new_null_array(f.data_type(), batch.num_rows())),
        })
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(target.clone(), columns)?)
}

/// Text read into a byte column the way inference reads it: `"\\x0aff"` is hex, other text its UTF-8 bytes.
fn text_to_bytes(name: &str, col: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    let text = cast_with_options(col, &DataType::Utf8, &CastOptions::default())?;
    let mut out = BinaryBuilder::with_capacity(text.len(), 0);
    for (row, v) in text.as_string::<i32>().iter().enumerate() {
        match v {
            None => out.append_null(),
            Some(s) => out.append_value(bytes_of_text(s).ok_or_else(|| {
                Error::Ingest(format!(
                    "column '{name}', row {row}: '\\x' must be followed by pairs of hex digits"
                ))
            })?),
        }
    }
    let bytes: ArrayRef = Arc::new(out.finish());
    Ok(cast_with_options(&bytes, to, &CastOptions::default())?)
}

/// What appending data of schema `incoming` to a table of schema `existing` needs: the columns the table lacks,
/// to be added as nullable columns (earlier rows read null), in the data's order. Columns the data lacks are
/// written as null. A column in both with another storage type, or a required table column the data lacks, is a
/// real clash: a TableError naming every such column, and nothing is to be written.
pub fn plan_append(table: &str, existing: &Schema, incoming: &Schema) -> Result<Vec<Field>> {
    let mut clashes = Vec::new();
    let mut added = Vec::new();
    for f in incoming.fields() {
        match existing.field_with_name(f.name()) {
            Err(_) => added.push(f.as_ref().clone().with_nullable(true)),
            Ok(e) if !same_storage(e.data_type(), f.data_type()) => clashes.push(format!(
                "column '{}' is {} in the table but {} in the data",
                f.name(),
                type_label(e),
                type_label(f)
            )),
            Ok(_) => {}
        }
    }
    for e in existing.fields() {
        if incoming.field_with_name(e.name()).is_err() && !e.is_nullable() {
            clashes.push(format!(
                "column '{}' is required by the table but missing from the data",
                e.name()
            ));
        }
    }
    if clashes.is_empty() {
        Ok(added)
    } else {
        Err(Error::SchemaMismatch {
            table: table.to_string(),
            details: clashes.join("; "),
        })
    }
}

fn same_storage(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::FixedSizeList(x, n), DataType::FixedSizeList(y, m)) => {
            n == m && x.data_type() == y.data_type()
        }
        (DataType::List(x), DataType::List(y))
        | (DataType::LargeList(x), DataType::LargeList(y)) => {
            same_storage(x.data_type(), y.data_type())
        }
        // A vector column whose length the table does not record (`float4[]` on a service) takes vectors of
        // any fixed length.
        (DataType::List(x), DataType::FixedSizeList(y, _)) => x.data_type() == y.data_type(),
        (a, b) => a == b || (is_text(a) && is_text(b)) || (is_binary(a) && is_binary(b)),
    }
}

fn type_label(f: &Field) -> String {
    match LogicalType::of_field(f) {
        Some(t) => t.name(),
        None => f.data_type().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn hints_win_and_metadata_is_set() {
        let s = Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("img", DataType::Binary, true),
        ]);
        let hints = parse_hints([("a", "INT32"), ("img", "IMAGE")]).unwrap();
        let out = apply_hints(&s, &hints).unwrap();
        assert_eq!(out.field(0).data_type(), &DataType::Int32);
        assert_eq!(
            LogicalType::of_field(out.field(1)),
            Some(LogicalType::Image)
        );
        let e = apply_hints(&s, &parse_hints([("imgg", "IMAGE")]).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean 'img'"), "{e}");
    }

    #[test]
    fn conform_casts_reorders_and_fills() {
        let b =
            RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)])
                .unwrap();
        let target = Arc::new(Schema::new(vec![
            Field::new("t", DataType::Utf8, true),
            Field::new("a", DataType::Int32, true),
        ]));
        let out = conform(&b, &target).unwrap();
        assert_eq!(out.column(0).null_count(), 2);
        assert_eq!(out.column(1).data_type(), &DataType::Int32);
    }

    #[test]
    fn append_check_names_columns() {
        let table = Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("t", DataType::Utf8, true),
        ]);
        let data = Schema::new(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("x", DataType::Utf8, true),
        ]);
        let e = plan_append("tbl", &table, &data).unwrap_err().to_string();
        assert!(e.starts_with("cannot append to 'tbl'"), "{e}");
        assert!(
            e.contains("column 'a' is INT64 in the table but TEXT") && !e.contains("column 'x'"),
            "{e}"
        );
        // Without the clash, 'x' is a column to add, nullable; 't' is written as null.
        let data = Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("x", DataType::Utf8, false),
        ]);
        let added = plan_append("tbl", &table, &data).unwrap();
        assert_eq!(added, vec![Field::new("x", DataType::Utf8, true)]);
        let _ = StringArray::from(vec!["ok"]);
    }

    #[test]
    fn fixed_vectors_append_to_a_list_column() {
        let item = || Arc::new(Field::new("item", DataType::Float32, true));
        let table = Arc::new(Schema::new(vec![Field::new(
            "v",
            DataType::List(item()),
            true,
        )]));
        let data = Schema::new(vec![Field::new(
            "v",
            DataType::FixedSizeList(item(), 2),
            true,
        )]);
        assert!(plan_append("t", &table, &data).unwrap().is_empty());
        let v = arrow::array::FixedSizeListArray::new(
            item(),
            2,
            Arc::new(arrow::array::Float32Array::from(vec![1.0, 2.0])),
            None,
        );
        let batch = RecordBatch::try_new(Arc::new(data), vec![Arc::new(v)]).unwrap();
        let out = conform(&batch, &table).unwrap();
        assert_eq!(out.schema(), table);
        // The other way round (a list into a fixed-length column) stays a clash.
        let fixed = Schema::new(vec![Field::new(
            "v",
            DataType::FixedSizeList(item(), 2),
            true,
        )]);
        assert!(plan_append("t", &fixed, &table).is_err());
    }
}
