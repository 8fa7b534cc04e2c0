//! Arrow data handed to Python through the Arrow C data interface (no copy): batches, schemas and query
//! results as pyarrow objects.

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use arrow_pyarrow::ToPyArrow;
use lakefeed_core::QueryResult;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// A batch as a `pyarrow.RecordBatch`.
pub(crate) fn batch<'py>(py: Python<'py>, b: &RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    b.to_pyarrow(py)
}

/// A query result as a `pyarrow.Table`.
pub(crate) fn table<'py>(py: Python<'py>, r: &QueryResult) -> PyResult<Bound<'py, PyAny>> {
    let batches = r
        .batches()
        .iter()
        .map(|b| batch(py, b))
        .collect::<PyResult<Vec<_>>>()?;
    let schema = Schema::clone(r.schema()).to_pyarrow(py)?;
    py.import("pyarrow")?
        .getattr("Table")?
        .call_method1("from_batches", (PyList::new(py, batches)?, schema))
}
