//! Running engine work off the Python thread: the caller's thread releases the GIL and waits, waking every few
//! milliseconds to run progress callbacks (on Python's own thread) and to let Ctrl-C through as
//! `KeyboardInterrupt`. Work that can be cancelled is stopped between commits and waited for, so only whole
//! commits remain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

/// How often the waiting thread wakes for signals and progress.
const TICK: Duration = Duration::from_millis(50);

/// Progress reports `(rows written, total)` and the Python callable they go to.
pub(crate) type Progress = (Receiver<(u64, Option<u64>)>, Py<PyAny>);

/// Runs `work` on a thread of its own while this thread waits without the GIL. On Ctrl-C (or an exception from
/// the progress callback) `cancel` is set, when there is one, and the work is waited for before the exception
/// is raised; without one the work is left to finish on its own and the exception is raised at once.
pub(crate) fn run<T: Send + 'static>(
    py: Python<'_>,
    cancel: Option<Arc<AtomicBool>>,
    progress: Option<Progress>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("lakefeed-call".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start a thread: {e}"))
        })?;
    // A receiver is not Sync; the lock lets it cross into the GIL-free closure.
    let rx = Mutex::new(rx);
    let recv = |timeout: Option<Duration>| {
        let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match timeout {
            Some(t) => rx.recv_timeout(t),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        }
    };
    loop {
        let got = py.detach(|| recv(Some(TICK)));
        let interrupted = report(py, progress.as_ref()).and_then(|()| py.check_signals());
        match (got, interrupted) {
            (Ok(out), Ok(())) => return Ok(out),
            (Err(RecvTimeoutError::Timeout), Ok(())) => {}
            (Err(RecvTimeoutError::Disconnected), Ok(())) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "lakefeed's worker thread stopped without a result",
                ));
            }
            (_, Err(e)) => {
                if let Some(flag) = &cancel {
                    flag.store(true, Ordering::Relaxed);
                    let _ = py.detach(|| recv(None));
                }
                return Err(e);
            }
        }
    }
}

/// Hands the progress reports received so far to the callback.
fn report(py: Python<'_>, progress: Option<&Progress>) -> PyResult<()> {
    let Some((rx, callback)) = progress else {
        return Ok(());
    };
    while let Ok((rows, total)) = rx.try_recv() {
        callback.call1(py, (rows, total))?;
    }
    Ok(())
}
