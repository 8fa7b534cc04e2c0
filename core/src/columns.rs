//! Data the caller already holds, as formats: named columns of JSON-like values and Arrow batches.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::format::{Batches, Format, IngestContext};
use crate::infer::{Inference, build_array, resolve};
use crate::schema::Hints;
use crate::types::LogicalType;

/// Rows per batch for column data, as in the seed.
pub const BATCH_ROWS: usize = 1000;

/// Columns given as lists of JSON-like values, all the same length.
#[derive(Debug)]
pub struct Columns {
    names: Vec<String>,
    values: Vec<Vec<Value>>,
    schema: SchemaRef,
}

impl Columns {
    /// Checks lengths and infers (or takes from `hints`) each column's type.
    pub fn new(columns: Vec<(String, Vec<Value>)>, hints: &Hints) -> Result<Self> {
        let Some(len) = columns.first().map(|(_, v)| v.len()) else {
            return Err(Error::Ingest("data must not be empty.".into()));
        };
        if let Some((name, v)) = columns.iter().find(|(_, v)| v.len() != len) {
            return Err(Error::Ingest(format!(
                "column '{name}' has {} values but '{}' has {len}; all columns need the same length",
                v.len(),
                columns[0].0
            )));
        }
        let mut fields = Vec::new();
        for (name, vals) in &columns {
            let mut inf = Inference::default();
            for (row, v) in vals.iter().enumerate() {
                inf.observe(name, row, v)?;
            }
            let (t, dt) = resolve(name, hints.get(name).copied(), &inf)?;
            fields.push(t.field(name, dt));
        }
        let (names, values) = columns.into_iter().unzip();
        Ok(Self {
            names,
            values,
            schema: Arc::new(Schema::new(fields)),
        })
    }
}

impl Format for Columns {
    fn schema(&self) -> Option<SchemaRef> {
        Some(self.schema.clone())
    }

    fn estimated_rows(&self) -> Option<u64> {
        self.values.first().map(|v| v.len() as u64)
    }

    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> Result<Batches> {
        let Columns {
            names,
            values,
            schema,
        } = *self;
        let len = values.first().map_or(0, Vec::len);
        let mut start = 0;
        Ok(Box::new(std::iter::from_fn(move || {
            if start >= len {
                return None;
            }
            let end = (start + BATCH_ROWS).min(len);
            let cols = schema
                .fields()
                .iter()
                .zip(&values)
                .zip(&names)
                .map(|((f, vals), name)| {
                    let refs: Vec<&Value> = vals[start..end].iter().collect();
                    let t = LogicalType::of_field(f).unwrap_or(LogicalType::Text);
                    build_array(name, t, f.data_type(), &refs, start)
                });
            let out = cols
                .collect::<Result<Vec<_>>>()
                .and_then(|c| Ok(RecordBatch::try_new(schema.clone(), c)?));
            start = end;
            Some(out)
        })))
    }
}

/// Arrow batches the caller already has, as a format.
#[derive(Debug)]
pub struct InMemory {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl InMemory {
    /// Wraps batches that all share one schema.
    pub fn new(batches: Vec<RecordBatch>) -> Result<Self> {
        let schema = batches
            .first()
            .map(RecordBatch::schema)
            .ok_or_else(|| Error::Ingest("data must not be empty.".into()))?;
        if let Some(b) = batches.iter().find(|b| b.schema() != schema) {
            return Err(Error::Ingest(format!(
                "batches differ in schema: {} vs {}",
                schema,
                b.schema()
            )));
        }
        Ok(Self { schema, batches })
    }
}

impl Format for InMemory {
    fn schema(&self) -> Option<SchemaRef> {
        Some(self.schema.clone())
    }

    fn estimated_rows(&self) -> Option<u64> {
        Some(self.batches.iter().map(|b| b.num_rows() as u64).sum())
    }

    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> Result<Batches> {
        Ok(Box::new(self.batches.into_iter().map(Ok)))
    }
}
