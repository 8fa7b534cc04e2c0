//! Reading tables back: an open table (count, rows by position, batches, views) and a view of it, streamed to
//! Python as pyarrow record batches without copying.

use std::sync::Mutex;

use lakefeed::client::TableView;
use lakefeed::{Batches, OpenTable};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::arrow_py;
use crate::convert::to_json;
use crate::errors::OrRaise;
use crate::wait;

/// An open table.
#[pyclass(name = "NativeTable", module = "lakefeed._lakefeed", frozen)]
pub(crate) struct PyTable {
    inner: OpenTable,
}

impl PyTable {
    pub(crate) fn new(inner: OpenTable) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyTable {
    /// Number of rows.
    fn count(&self, py: Python<'_>) -> PyResult<u64> {
        let t = self.inner.clone();
        wait::run(py, None, None, move || t.count())?.or_raise()
    }

    /// The table with only these columns.
    fn select(&self, columns: Vec<String>) -> Self {
        Self::new(self.inner.clone().select(columns))
    }

    /// The rows at these positions, in the order given, as a `pyarrow.RecordBatch`.
    fn take<'py>(&self, py: Python<'py>, rows: Vec<u64>) -> PyResult<Bound<'py, PyAny>> {
        let t = self.inner.clone();
        let batch = wait::run(py, None, None, move || t.take(rows))?.or_raise()?;
        arrow_py::batch(py, &batch)
    }

    /// Streams the rows in batches of at most `n`.
    fn batches(&self, py: Python<'_>, n: usize) -> PyResult<PyBatches> {
        let t = self.inner.clone();
        let it = wait::run(py, None, None, move || t.batches(n))?.or_raise()?;
        Ok(PyBatches::new(it))
    }

    /// A view: `SELECT cols [WHERE …]` over this table (FROM optional).
    #[pyo3(signature = (sql, params=None))]
    fn query(&self, sql: &str, params: Option<Vec<Bound<'_, PyAny>>>) -> PyResult<PyView> {
        let params = params
            .unwrap_or_default()
            .iter()
            .map(to_json)
            .collect::<PyResult<Vec<_>>>()?;
        let view = self.inner.query(sql, &params).or_raise()?;
        Ok(PyView { inner: view })
    }
}

/// A view of a table.
#[pyclass(name = "NativeView", module = "lakefeed._lakefeed", frozen)]
pub(crate) struct PyView {
    inner: TableView,
}

#[pymethods]
impl PyView {
    /// Streams the view's rows in batches of at most `n`.
    fn batches(&self, py: Python<'_>, n: usize) -> PyResult<PyBatches> {
        let v = self.inner.clone();
        let it = wait::run(py, None, None, move || v.batches(n))?.or_raise()?;
        Ok(PyBatches::new(it))
    }

    /// Runs the view; the rows as a `pyarrow.Table`.
    fn execute<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.inner.clone();
        let result = wait::run(py, None, None, move || v.execute())?.or_raise()?;
        arrow_py::table(py, &result)
    }
}

/// An iterator of `pyarrow.RecordBatch`es; each batch is read without the GIL.
#[pyclass(name = "NativeBatches", module = "lakefeed._lakefeed", frozen)]
pub(crate) struct PyBatches {
    inner: Mutex<Option<Batches>>,
}

impl PyBatches {
    fn new(it: Batches) -> Self {
        Self {
            inner: Mutex::new(Some(it)),
        }
    }
}

#[pymethods]
impl PyBatches {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(
            || -> Result<Option<lakefeed::Result<arrow::array::RecordBatch>>, String> {
                let mut guard = self
                    .inner
                    .lock()
                    .map_err(|_| "a batch reader panicked".to_string())?;
                let Some(it) = guard.as_mut() else {
                    return Ok(None);
                };
                let item = it.next();
                if !matches!(item, Some(Ok(_))) {
                    *guard = None;
                }
                Ok(item)
            },
        );
        match next.map_err(PyRuntimeError::new_err)? {
            None => Ok(None),
            Some(Err(e)) => Err(crate::errors::to_py(&e)),
            Some(Ok(b)) => arrow_py::batch(py, &b).map(Some),
        }
    }
}
