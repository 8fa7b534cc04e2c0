//! lakefeed's errors as the SDK's Python exception classes (defined in `lakefeed/errors.py`), with the
//! classifiers as attributes: `retryable`, `not_found`.

use lakefeed::Error;
use pyo3::prelude::*;

/// The Python exception for `e`: its class (`TableError`, …) and its whole cause chain as the message.
pub(crate) fn to_py(e: &Error) -> PyErr {
    Python::attach(|py| match exception(py, e) {
        Ok(err) => err,
        Err(failed) => failed,
    })
}

fn exception(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let class = py.import("lakefeed.errors")?.getattr(e.class().name())?;
    let value = class.call1((e.chain(),))?;
    value.setattr("retryable", e.is_retryable())?;
    value.setattr("not_found", e.is_not_found())?;
    Ok(PyErr::from_value(value))
}

/// Converts a lakefeed result into a Python one.
pub(crate) trait OrRaise<T> {
    /// The value, or the error as its Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for lakefeed::Result<T> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}
