//! lakefeed's own I/O runtime, created once per process, and the two ways blocking code waits on it:
//! [`block_on`] and `clean_up`. It imports nothing else of the crate, so any module may use it.

use std::future::Future;
use std::sync::OnceLock;

use lakefeed_core::{Error, Result};

/// The name of the I/O runtime's worker threads.
const IO_THREAD: &str = "lakefeed-io";

/// The runtime every blocking call runs on: created once per process, two or more worker threads.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
                .thread_name(IO_THREAD)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Other(format!("cannot start the I/O runtime: {e}")))
}

/// Runs `fut` on lakefeed's I/O runtime and waits for its result. Safe from any thread but that runtime's own
/// workers (waiting there could wait on itself, so it is refused): the caller's thread only parks, it never
/// enters a runtime.
pub fn block_on<T: Send + 'static>(
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    if std::thread::current().name() == Some(IO_THREAD) {
        return Err(Error::Other(
            "a blocking store call from a task on lakefeed's own I/O runtime would wait on itself; \
             use the async TableStore there"
                .into(),
        ));
    }
    let handle = runtime()?.spawn(fut);
    futures::executor::block_on(handle)
        .map_err(|e| Error::Other(format!("a store task failed: {e}")))?
}

/// Runs a clean-up from `Drop`: waits for it (so it is done before the process can exit), or, on the I/O
/// runtime's own threads where waiting could deadlock, starts it there.
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
pub(crate) fn clean_up(fut: impl Future<Output = ()> + Send + 'static) {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return tracing::warn!(error = %e, "cannot run a clean-up"),
    };
    let on_io_thread = std::thread::current().name() == Some(IO_THREAD);
    let in_async = tokio::runtime::Handle::try_current().is_ok();
    let task = rt.spawn(fut);
    if !on_io_thread && !in_async {
        let _ = futures::executor::block_on(task);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_calls_from_the_io_runtime_are_refused_not_deadlocked() {
        let inner = block_on(async { Ok(block_on(async { Ok(1) })) }).unwrap();
        let e = inner.unwrap_err();
        assert!(e.to_string().contains("own I/O runtime"), "{e}");
        assert_eq!(block_on(async { Ok(2) }).unwrap(), 2);
    }
}
