//! Python values to Arrow: a batch that `normalize()` yields (a dict of columns, or an Arrow record batch) and
//! each column of a dict (a list of Python values, an Arrow array, or anything `lakefeed._convert.to_arrow`
//! turns into one: numpy arrays, pandas series). Lists of Python values are typed the way lakefeed types
//! column data everywhere (`lakefeed_core::infer`), with the caller's hints first; lists of `bytes` become
//! binary columns directly.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryBuilder, RecordBatch, make_array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow_pyarrow::FromPyArrow;
use lakefeed_core::infer::{Inference, build_array, resolve};
use lakefeed_core::{Hints, LogicalType};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde_json::{Map, Number, Value};

/// One item of a source: a dict of columns or an Arrow record batch. `first_row` numbers rows in messages.
pub(crate) fn batch(
    item: &Bound<'_, PyAny>,
    hints: &Hints,
    first_row: usize,
) -> PyResult<RecordBatch> {
    let Ok(dict) = item.cast::<PyDict>() else {
        return RecordBatch::from_pyarrow_bound(item).map_err(|_| {
            PyTypeError::new_err(format!(
                "normalize() must yield dicts of columns or Arrow record batches, got {}",
                type_name(item)
            ))
        });
    };
    let mut fields = Vec::with_capacity(dict.len());
    let mut arrays = Vec::with_capacity(dict.len());
    for (name, values) in dict.iter() {
        let name: String = name
            .extract()
            .map_err(|_| PyTypeError::new_err("column names must be strings"))?;
        let (field, array) = column(&name, &values, hints, first_row)?;
        if let Some(first) = arrays.first().map(|a: &ArrayRef| a.len())
            && array.len() != first
        {
            return Err(PyValueError::new_err(format!(
                "column '{name}' has {} values but '{}' has {first}; all columns need the same length",
                array.len(),
                fields.first().map_or("", |f: &Field| f.name().as_str()),
            )));
        }
        fields.push(field);
        arrays.push(array);
    }
    if arrays.is_empty() {
        return Err(PyValueError::new_err(
            "a batch must hold at least one column",
        ));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// One named column as an Arrow field and array.
fn column(
    name: &str,
    values: &Bound<'_, PyAny>,
    hints: &Hints,
    first_row: usize,
) -> PyResult<(Field, ArrayRef)> {
    let hint = hints.get(name).copied();
    if !(values.is_instance_of::<PyList>() || values.is_instance_of::<PyTuple>()) {
        let py = values.py();
        let arrow = py
            .import("lakefeed._convert")?
            .call_method1("to_arrow", (values,))?;
        let data = arrow::array::ArrayData::from_pyarrow_bound(&arrow)?;
        let array = make_array(data);
        let field = match hint {
            Some(t) => t.field(name, array.data_type().clone()),
            None => Field::new(name, array.data_type().clone(), true),
        };
        return Ok((field, array));
    }
    let items: Vec<Bound<'_, PyAny>> = values.try_iter()?.collect::<PyResult<_>>()?;
    if items.iter().any(is_bytes) {
        return binary(name, &items, hint, first_row);
    }
    let json: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, v)| to_json(v).map_err(|e| at(name, first_row + i, e)))
        .collect::<PyResult<_>>()?;
    let mut inf = Inference::default();
    for (row, v) in json.iter().enumerate() {
        inf.observe(name, first_row + row, v)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
    }
    let (t, dt) = resolve(name, hint, &inf).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let refs: Vec<&Value> = json.iter().collect();
    let array = build_array(name, t, &dt, &refs, first_row)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((t.field(name, dt), array))
}

/// A column of `bytes` (and `None`): a binary array of the hinted byte type (BINARY by default).
fn binary(
    name: &str,
    items: &[Bound<'_, PyAny>],
    hint: Option<LogicalType>,
    first_row: usize,
) -> PyResult<(Field, ArrayRef)> {
    let t = hint.unwrap_or(LogicalType::Binary);
    if t.arrow_type() != Some(DataType::Binary) {
        return Err(PyValueError::new_err(format!(
            "column '{name}' holds bytes but is declared {t}"
        )));
    }
    let mut b = BinaryBuilder::with_capacity(items.len(), 0);
    for (i, v) in items.iter().enumerate() {
        if v.is_none() {
            b.append_null();
        } else if let Ok(bytes) = v.cast::<PyBytes>() {
            b.append_value(bytes.as_bytes());
        } else if let Ok(bytes) = v.cast::<PyByteArray>() {
            b.append_value(bytes.to_vec());
        } else {
            return Err(at(
                name,
                first_row + i,
                PyValueError::new_err(format!(
                    "mixed types: {} where other rows hold bytes",
                    type_name(v)
                )),
            ));
        }
    }
    Ok((t.field(name, DataType::Binary), Arc::new(b.finish())))
}

fn is_bytes(v: &Bound<'_, PyAny>) -> bool {
    v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>()
}

/// A Python value as JSON: None, bool, int, float, str, lists, tuples, dicts, and numpy scalars and arrays
/// (through their `item()` and `tolist()`).
pub(crate) fn to_json(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Ok(float(v.extract::<f64>()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(float(v.extract::<f64>()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_string()));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        return v
            .try_iter()?
            .map(|x| to_json(&x?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut out = Map::new();
        for (k, x) in d.iter() {
            out.insert(k.str()?.to_str()?.to_string(), to_json(&x)?);
        }
        return Ok(Value::Object(out));
    }
    if v.hasattr("tolist")? {
        return to_json(&v.call_method0("tolist")?);
    }
    if v.hasattr("item")? {
        return to_json(&v.call_method0("item")?);
    }
    Err(PyTypeError::new_err(format!(
        "cannot store a {}",
        type_name(v)
    )))
}

/// A float as JSON; NaN and infinities (which JSON cannot hold) are null.
fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn at(column: &str, row: usize, e: PyErr) -> PyErr {
    Python::attach(|py| {
        let msg = format!("column '{column}', row {row}: {}", e.value(py));
        let new = PyErr::from_type(e.get_type(py), msg);
        new.set_cause(py, Some(e));
        new
    })
}

pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map_or_else(|_| "object".into(), |n| n.to_string())
}
