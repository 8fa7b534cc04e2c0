//! `lakefeed._lakefeed`: the native module under the `lakefeed` Python package. It holds the same engine as
//! the CLI and `lakefeed serve` (a [`lakefeed::Client`] over a local store or a service) and releases the GIL
//! while that engine works; the package's Python layer gives it the managed SDK's API.

mod arrow_py;
mod client;
mod convert;
mod errors;
mod shard;
mod source;
mod table;
mod wait;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _lakefeed(m: &Bound<'_, PyModule>) -> PyResult<()> {
    lakefeed::link_builtin_formats();
    m.add_class::<client::PyClient>()?;
    m.add_class::<table::PyTable>()?;
    m.add_class::<table::PyView>()?;
    m.add_class::<table::PyBatches>()?;
    m.add_function(wrap_pyfunction!(client::formats, m)?)?;
    m.add_function(wrap_pyfunction!(client::inherited_by_fork, m)?)?;
    m.add_function(wrap_pyfunction!(shard::stage_shard, m)?)?;
    m.add_function(wrap_pyfunction!(shard::commit_run, m)?)?;
    m.add_function(wrap_pyfunction!(shard::fragments, m)?)?;
    m.add_function(wrap_pyfunction!(shard::read_fragment, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
