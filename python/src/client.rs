//! The native client: one [`lakefeed::Client`] (a local store or a service) with every call run off the
//! Python thread (see [`crate::wait`]). The Python layer (`lakefeed/client.py`) gives it the SDK's API.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use lakefeed::{Client, IngestData, IngestOptions, WriteMode};
use lakefeed_core::Hints;
use lakefeed_core::schema::parse_hints;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::Value;

use crate::arrow_py;
use crate::convert::to_json;
use crate::errors::{OrRaise, to_py};
use crate::source::{PySource, Raised};
use crate::table::PyTable;
use crate::wait;

/// A client of a local store or a service.
#[pyclass(name = "NativeClient", module = "lakefeed._lakefeed", frozen)]
pub(crate) struct PyClient {
    inner: Client,
}

#[pymethods]
impl PyClient {
    /// The Lance store at `location` (a directory, created when missing, or an object-store URI with its
    /// `storage_options`).
    #[staticmethod]
    #[pyo3(signature = (location, storage_options=None))]
    fn local(
        py: Python<'_>,
        location: String,
        storage_options: Option<std::collections::BTreeMap<String, String>>,
    ) -> PyResult<Self> {
        refuse_in_forked_child()?;
        let target = lakefeed::Target::lance(location)
            .with_storage_options(storage_options.unwrap_or_default());
        let inner = wait::run(py, None, None, move || Client::open(&target))?.or_raise()?;
        Ok(Self { inner })
    }

    /// One workspace of a service (the seed's API or `lakefeed serve`), with a JWT.
    #[staticmethod]
    #[pyo3(signature = (token, workspace, api_url=None))]
    fn managed(
        py: Python<'_>,
        token: String,
        workspace: String,
        api_url: Option<String>,
    ) -> PyResult<Self> {
        let inner = wait::run(py, None, None, move || {
            Client::managed(&token, &workspace, api_url.as_deref())
        })?
        .or_raise()?;
        Ok(Self { inner })
    }

    /// Ingests a registered format (`format`, `options` as JSON) or a Python iterator of batches (`source`).
    /// Returns `(table_name, row_count, dataset_path, report as JSON)`.
    #[pyo3(signature = (
        table, *, format=None, options=None, source=None, estimated_rows=None, schema=None, index=None,
        mode="append", key=None, on_progress=None, thumbnails=true, rows_per_commit=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn ingest(
        &self,
        py: Python<'_>,
        table: String,
        format: Option<String>,
        options: Option<String>,
        source: Option<Bound<'_, PyAny>>,
        estimated_rows: Option<u64>,
        schema: Option<Vec<(String, String)>>,
        index: Option<Vec<String>>,
        mode: &str,
        key: Option<Vec<String>>,
        on_progress: Option<Py<PyAny>>,
        thumbnails: bool,
        rows_per_commit: Option<usize>,
    ) -> PyResult<(String, u64, String, String)> {
        let hints = hints(schema.unwrap_or_default())?;
        let cancel = Arc::new(AtomicBool::new(false));
        let raised: Raised = Arc::new(Mutex::new(None));
        let data = match (format, source) {
            (Some(name), _) => IngestData::Format {
                name,
                options: match options {
                    Some(o) => serde_json::from_str(&o)
                        .map_err(|e| PyValueError::new_err(e.to_string()))?,
                    None => Value::Null,
                },
            },
            (None, Some(src)) => IngestData::Built(Box::new(PySource::new(
                src.unbind(),
                hints.clone(),
                estimated_rows,
                raised.clone(),
                cancel.clone(),
            ))),
            (None, None) => return Err(PyValueError::new_err("give a format or a source")),
        };
        let mode: WriteMode =
            serde_json::from_value(Value::String(mode.to_string())).map_err(|_| {
                PyValueError::new_err(format!(
                    "mode must be append, overwrite or upsert, not '{mode}'"
                ))
            })?;
        let mut opts = IngestOptions {
            schema: hints,
            index: index.unwrap_or_default(),
            mode,
            key,
            thumbnails,
            cancel: Some(cancel.clone()),
            ..Default::default()
        };
        if let Some(n) = rows_per_commit {
            opts.rows_per_commit = n.max(1);
        }
        let progress = on_progress.map(|callback| {
            let (tx, rx) = std::sync::mpsc::channel();
            opts.on_progress = Some(Arc::new(move |rows, total| {
                let _ = tx.send((rows, total));
            }));
            (rx, callback)
        });
        let client = self.inner.clone();
        let out = wait::run(py, Some(cancel), progress, move || {
            client.ingest(&table, data, &opts)
        })?;
        match out {
            Ok(r) => {
                let report = serde_json::to_string(&r.report).unwrap_or_else(|_| "{}".into());
                Ok((r.table_name, r.row_count, r.dataset_path, report))
            }
            Err(e) => Err(raised
                .lock()
                .ok()
                .and_then(|mut s| s.take())
                .unwrap_or_else(|| to_py(&e))),
        }
    }

    /// Runs SQL with `$1..$n` bound; the result as a `pyarrow.Table`.
    #[pyo3(signature = (sql, params=None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: Option<Vec<Bound<'py, PyAny>>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let params = params
            .unwrap_or_default()
            .iter()
            .map(to_json)
            .collect::<PyResult<Vec<_>>>()?;
        let client = self.inner.clone();
        let result = wait::run(py, None, None, move || client.query(&sql, &params))?.or_raise()?;
        arrow_py::table(py, &result)
    }

    /// The SQL and parameters of a fluent query (the SDK's `ManagedQueryBuilder`), built as the Rust client
    /// builds them: `wheres` are `(condition, params)` pairs, `$1` in each being its own first parameter.
    #[pyo3(signature = (table, select, wheres, order_by, limit=None, offset=None))]
    #[allow(clippy::too_many_arguments)]
    fn build_query<'py>(
        &self,
        py: Python<'py>,
        table: &str,
        select: Vec<String>,
        wheres: Vec<(String, Vec<Bound<'py, PyAny>>)>,
        order_by: Vec<String>,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> PyResult<(String, Bound<'py, PyAny>)> {
        let mut b = lakefeed::QueryBuilder::new(table);
        if !select.is_empty() {
            b = b.select(select);
        }
        for (cond, params) in &wheres {
            b = b.where_(
                cond,
                params.iter().map(to_json).collect::<PyResult<Vec<_>>>()?,
            );
        }
        for term in &order_by {
            b = b.order_by(term);
        }
        if let Some(n) = limit {
            b = b.limit(n);
        }
        if let Some(n) = offset {
            b = b.offset(n);
        }
        let (sql, params) = b.build().or_raise()?;
        let params = py
            .import("json")?
            .call_method1("loads", (Value::Array(params).to_string(),))?;
        Ok((sql, params))
    }

    /// Table names, sorted.
    fn list_tables(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let client = self.inner.clone();
        wait::run(py, None, None, move || client.list_tables())?.or_raise()
    }

    /// Drops a table (and what re-runs remember of it).
    #[pyo3(signature = (table, if_exists=true))]
    fn drop_table(&self, py: Python<'_>, table: String, if_exists: bool) -> PyResult<()> {
        let client = self.inner.clone();
        wait::run(py, None, None, move || client.drop_table(&table, if_exists))?.or_raise()
    }

    /// Builds a search index on a column.
    fn create_index(&self, py: Python<'_>, table: String, column: String) -> PyResult<()> {
        let client = self.inner.clone();
        wait::run(py, None, None, move || client.create_index(&table, &column))?.or_raise()
    }

    /// Compacts a table and folds new rows into its indexes.
    fn optimize(&self, py: Python<'_>, table: String) -> PyResult<()> {
        let client = self.inner.clone();
        wait::run(py, None, None, move || client.optimize(&table))?.or_raise()
    }

    /// Opens a table for reading.
    fn open_table(&self, py: Python<'_>, table: String) -> PyResult<PyTable> {
        let client = self.inner.clone();
        let t = wait::run(py, None, None, move || client.open_table(&table))?.or_raise()?;
        Ok(PyTable::new(t))
    }

    /// Where a table's data lives.
    fn location(&self, table: &str) -> String {
        self.inner.store().location(table)
    }
}

/// The engine cannot run in a process forked from one where it was running (see
/// [`lakefeed::runtime::inherited_by_fork`]): a ManagedServiceError saying what to do instead.
pub(crate) fn refuse_in_forked_child() -> PyResult<()> {
    if !lakefeed::runtime::inherited_by_fork() {
        return Ok(());
    }
    Err(to_py(&lakefeed::Error::Other(
        "this process was forked from one running lakefeed's engine, whose threads' state it cannot reuse; \
         use the 'spawn' or 'forkserver' start method (DataLoader workers forked from it read through a fresh \
         process by themselves)"
            .into(),
    )))
}

/// True in a process forked from one where lakefeed's engine was running.
#[pyfunction]
pub(crate) fn inherited_by_fork() -> bool {
    lakefeed::runtime::inherited_by_fork()
}

/// `[(column, type name)]` as hints.
fn hints(pairs: Vec<(String, String)>) -> PyResult<Hints> {
    parse_hints(pairs.iter().map(|(c, t)| (c.as_str(), t.as_str()))).or_raise()
}

/// The registered formats: `(name, description, options JSON Schema as JSON)`.
#[pyfunction]
pub(crate) fn formats() -> Vec<(String, String, String)> {
    lakefeed::link_builtin_formats();
    lakefeed_core::formats()
        .into_iter()
        .map(|d| {
            (
                d.name.to_string(),
                d.description.to_string(),
                (d.options_schema)().to_string(),
            )
        })
        .collect()
}
