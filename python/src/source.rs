//! A Python iterator as a lakefeed [`Format`]: an SDK-style format's `normalize()` generator, or the batches
//! the Python layer cuts column data, Arrow tables and DataFrames into. The pipeline pulls it on its own
//! thread, taking the GIL for each item only; an exception raised by the iterator is kept, so the caller gets
//! the user's own exception, traceback included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use lakefeed_core::{Batches, Error, Format, Hints, IngestContext, Result};
use pyo3::prelude::*;

use crate::convert;

/// The first exception a Python source raised, to re-raise in the caller.
pub(crate) type Raised = Arc<Mutex<Option<PyErr>>>;

/// A format whose batches come from a Python iterator.
pub(crate) struct PySource {
    iter: Py<PyAny>,
    hints: Hints,
    estimated: Option<u64>,
    raised: Raised,
    cancel: Arc<AtomicBool>,
}

impl PySource {
    /// Batches from `iter` (its items: dicts of columns or Arrow record batches), typed with `hints`.
    pub(crate) fn new(
        iter: Py<PyAny>,
        hints: Hints,
        estimated: Option<u64>,
        raised: Raised,
        cancel: Arc<AtomicBool>,
    ) -> Self {
        Self {
            iter,
            hints,
            estimated,
            raised,
            cancel,
        }
    }
}

impl Format for PySource {
    fn estimated_rows(&self) -> Option<u64> {
        self.estimated
    }

    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> Result<Batches> {
        let PySource {
            iter,
            hints,
            raised,
            cancel,
            ..
        } = *self;
        let mut rows = 0usize;
        let mut done = false;
        Ok(Box::new(std::iter::from_fn(move || {
            if done || cancel.load(Ordering::Relaxed) {
                return None;
            }
            let next = Python::attach(|py| -> std::result::Result<Option<RecordBatch>, Error> {
                let item = match iter.bind(py).call_method0("__next__") {
                    Ok(item) => item,
                    Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => {
                        return Ok(None);
                    }
                    // The user's own exception: kept, to be raised again in the caller.
                    Err(e) => {
                        let message = describe(py, &e);
                        if let Ok(mut slot) = raised.lock() {
                            slot.get_or_insert(e);
                        }
                        return Err(Error::Ingest(message));
                    }
                };
                convert::batch(&item, &hints, rows)
                    .map(Some)
                    .map_err(|e| Error::Ingest(e.value(py).to_string()))
            });
            match next {
                Ok(Some(b)) => {
                    rows += b.num_rows();
                    Some(Ok(b))
                }
                Ok(None) => None,
                Err(e) => {
                    done = true;
                    Some(Err(e))
                }
            }
        })))
    }
}

/// "ValueError: bad row" for an exception.
fn describe(py: Python<'_>, e: &PyErr) -> String {
    let kind = e
        .get_type(py)
        .name()
        .map_or_else(|_| "Exception".into(), |n| n.to_string());
    format!("the Python source raised {kind}: {}", e.value(py))
}
