//! `emb <#> v`: cosine similarity (higher = closer), computed exactly for every row.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, Float32Array, ListArray};
use arrow::datatypes::{DataType, Float32Type};
use datafusion::common::{DataFusionError, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::kernel::dot;

/// `lakefeed_cosine(vectors, query, 'column')`: the cosine similarity of each row's vector to `query`; null for a
/// null or all-zero vector. The third argument names the column in errors.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Cosine {
    signature: Signature,
}

/// The function's name in plans.
pub const COSINE: &str = "lakefeed_cosine";

impl Default for Cosine {
    fn default() -> Self {
        Self {
            signature: Signature::any(3, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Cosine {
    fn name(&self) -> &str {
        COSINE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Float32)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let [vectors, query, column] = args.args.as_slice() else {
            return exec_err!("{COSINE} takes (vectors, query, column name)");
        };
        let column = match column {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(c))) => c.clone(),
            _ => "vector".to_string(),
        };
        let query = match query {
            ColumnarValue::Scalar(s) => query_vector(s, &column)?,
            ColumnarValue::Array(a) if !a.is_empty() => {
                query_vector(&ScalarValue::try_from_array(a, 0)?, &column)?
            }
            ColumnarValue::Array(_) => {
                return Ok(ColumnarValue::Scalar(ScalarValue::Float32(None)));
            }
        };
        let rows = match vectors {
            ColumnarValue::Array(a) => a.clone(),
            ColumnarValue::Scalar(s) => s.to_array_of_size(1)?,
        };
        let out = similarities(&rows, &query, &column)?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// The query vector of a scalar (a list of numbers), as f32.
pub(super) fn query_vector(s: &ScalarValue, column: &str) -> datafusion::error::Result<Vec<f32>> {
    let values = match s {
        ScalarValue::FixedSizeList(a) => a.values().clone(),
        ScalarValue::List(a) => a.values().clone(),
        ScalarValue::LargeList(a) => a.values().clone(),
        other => {
            return exec_err!(
                "'{column} <#> …' compares vectors: the right side must be a vector (ARRAY[…]::FLOAT4[] or a \
                 parameter like '[0.1, 0.2]'), not {}",
                other.data_type()
            );
        }
    };
    let values = arrow::compute::cast(&values, &DataType::Float32)?;
    let values = values.as_primitive::<Float32Type>();
    if values.null_count() > 0 {
        return exec_err!("the query vector for '{column}' has nulls");
    }
    Ok(values.values().to_vec())
}

/// Cosine similarity of each row of `rows` (fixed-size or variable lists of numbers) to `query`.
fn similarities(
    rows: &ArrayRef,
    query: &[f32],
    column: &str,
) -> datafusion::error::Result<Float32Array> {
    let qn = norm(query);
    let dims = |d: usize| -> datafusion::error::Result<()> {
        if d == query.len() {
            Ok(())
        } else {
            Err(DataFusionError::Execution(format!(
                "column '{column}' holds {d}-dimensional vectors but the query vector has {} dimensions",
                query.len()
            )))
        }
    };
    let score = |v: &[f32]| -> Option<f32> {
        let n = norm(v);
        (n > 0.0 && qn > 0.0).then(|| dot(v, query) / (n * qn))
    };
    match rows.data_type() {
        DataType::FixedSizeList(_, d) => {
            dims(*d as usize)?;
            let list: &FixedSizeListArray = rows.as_fixed_size_list();
            let values = f32_values(list.values())?;
            let d = *d as usize;
            Ok((0..list.len())
                .map(|i| {
                    if list.is_null(i) {
                        return None;
                    }
                    let start = list.value_offset(i) as usize;
                    score(&values[start..start + d])
                })
                .collect())
        }
        DataType::List(_) => {
            let list: &ListArray = rows.as_list();
            let values = f32_values(list.values())?;
            let offsets = list.value_offsets();
            let mut out = Vec::with_capacity(list.len());
            for i in 0..list.len() {
                if list.is_null(i) {
                    out.push(None);
                    continue;
                }
                let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
                dims(b - a)?;
                out.push(score(&values[a..b]));
            }
            Ok(out.into_iter().collect())
        }
        other => exec_err!("'<#>' with a vector needs an EMBEDDING column; '{column}' is {other}"),
    }
}

fn f32_values(values: &ArrayRef) -> datafusion::error::Result<Vec<f32>> {
    if values.data_type() == &DataType::Float32 && values.null_count() == 0 {
        return Ok(values.as_primitive::<Float32Type>().values().to_vec());
    }
    let cast = arrow::compute::cast(values, &DataType::Float32)?;
    Ok(cast
        .as_primitive::<Float32Type>()
        .iter()
        .map(|v| v.unwrap_or(0.0))
        .collect())
}

fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        let q = [1.0, 0.0, 0.0];
        let values = Float32Array::from(vec![
            1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ]);
        let list = FixedSizeListArray::try_new(
            Arc::new(arrow::datatypes::Field::new(
                "item",
                DataType::Float32,
                true,
            )),
            3,
            Arc::new(values),
            None,
        )
        .unwrap();
        let rows: ArrayRef = Arc::new(list);
        let s = similarities(&rows, &q, "e").unwrap();
        assert_eq!(s.value(0), 1.0);
        assert_eq!(s.value(1), 0.0);
        assert_eq!(s.value(2), -1.0);
        assert!(s.is_null(3));
        let e = similarities(&rows, &[1.0, 2.0], "e").unwrap_err();
        assert!(e.to_string().contains("'e' holds 3-dimensional"), "{e}");
    }
}
