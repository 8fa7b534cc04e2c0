//! Query parameters: counting the plan's `$n` placeholders and turning JSON values into scalars.

use std::sync::Arc;

use arrow::array::{FixedSizeListArray, Float32Array};
use arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use serde_json::Value;

use lakefeed_core::{Error, Result};

use super::df_error;

/// Checks that the plan's placeholders are exactly `$1..$given`; returns how many there are.
pub(crate) fn check_count(plan: &LogicalPlan, given: usize) -> Result<usize> {
    let ids = plan
        .get_parameter_types()
        .map_err(df_error("cannot read the parameters"))?;
    let mut max = 0usize;
    for id in ids.keys() {
        let n: usize = id
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                Error::query(format!(
                    "placeholder '{id}' is not supported; use $1, $2, …"
                ))
            })?;
        max = max.max(n);
    }
    if max != given {
        return Err(Error::query(format!(
            "the query uses {max} parameter{} ($1..${max}) but {given} {} given",
            if max == 1 { "" } else { "s" },
            if given == 1 { "was" } else { "were" }
        )));
    }
    Ok(max)
}

/// A JSON value as a SQL scalar: numbers, text, booleans, null, and vectors (lists of numbers → float4[]).
pub fn to_scalar(v: &Value) -> Result<ScalarValue> {
    Ok(match v {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ScalarValue::Int64(Some(i)),
            None => ScalarValue::Float64(n.as_f64()),
        },
        Value::String(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Array(items) => {
            let floats: Option<Vec<f32>> =
                items.iter().map(|x| x.as_f64().map(|f| f as f32)).collect();
            let floats = floats.ok_or_else(|| {
                Error::query(format!("parameter {v} is a list but not of numbers"))
            })?;
            let n = floats.len() as i32;
            let field = Arc::new(Field::new("item", DataType::Float32, true));
            let arr =
                FixedSizeListArray::try_new(field, n, Arc::new(Float32Array::from(floats)), None)?;
            ScalarValue::FixedSizeList(Arc::new(arr))
        }
        Value::Object(_) => ScalarValue::Utf8(Some(v.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_become_fixed_size_lists() {
        let s = to_scalar(&serde_json::json!([0.5, 1])).unwrap();
        match s {
            ScalarValue::FixedSizeList(a) => assert_eq!(a.value_length(), 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            to_scalar(&serde_json::json!(3)).unwrap(),
            ScalarValue::Int64(Some(3))
        );
        assert!(to_scalar(&serde_json::json!(["a"])).is_err());
    }
}
