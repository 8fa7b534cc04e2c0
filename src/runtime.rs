//! lakefeed's own I/O runtime, created once per process, and the two ways blocking code waits on it:
//! [`block_on`] and `clean_up`. A forked child does not wait on its parent's runtime (it would hang) and can tell
//! it was forked from a running engine ([`inherited_by_fork`]), where engine work is not safe. It imports
//! nothing else of the crate, so any module may use it.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use lakefeed_core::{Error, Result};

/// The name of the I/O runtime's worker threads.
const IO_THREAD: &str = "lakefeed-io";

/// The runtime, built on first use. A forked child starts with it unset (see [`forget_in_child`]): tokio's
/// worker threads do not survive `fork()`, so the child builds its own instead of waiting on threads that are
/// gone. That is not all a child inherits, though: [`inherited_by_fork`] says why bindings do engine work in a
/// fresh process there.
static RUNTIME: AtomicPtr<tokio::runtime::Runtime> = AtomicPtr::new(std::ptr::null_mut());
/// Set by the one thread building the runtime; the others wait for it.
static BUILDING: AtomicBool = AtomicBool::new(false);
/// Whether the fork handler is registered (once per process; a child inherits it).
static ATFORK: AtomicBool = AtomicBool::new(false);
/// Set in a child forked from a process whose runtime had been built.
static INHERITED: AtomicBool = AtomicBool::new(false);

/// True in a process forked from one whose engine had started (its I/O runtime built). Such a child inherits
/// the engine's threads' shared state half-way: the dependencies' tokio is built with `parking_lot`, whose
/// process-wide table of parked threads still lists the parent's threads, and glibc hands their stacks to the
/// child's new threads, so the first threads the child starts can corrupt it (seen: an abort in
/// `parking_lot_core` inside a PyTorch DataLoader worker). Work in such a child belongs in a fresh process
/// (the Python package's forked DataLoader workers read through one).
pub fn inherited_by_fork() -> bool {
    INHERITED.load(Ordering::Acquire)
}

/// The runtime every blocking call runs on: two or more worker threads, one per process (and per forked child).
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    loop {
        let ptr = RUNTIME.load(Ordering::Acquire);
        if !ptr.is_null() {
            // SAFETY: the pointer comes from `Box::into_raw` below and the box is never freed (a forked child
            // drops the pointer, not the runtime), so it points to a live runtime for the rest of the process.
            return Ok(unsafe { &*ptr });
        }
        if !BUILDING.swap(true, Ordering::AcqRel) {
            break;
        }
        std::thread::yield_now();
    }
    if !ATFORK.swap(true, Ordering::AcqRel) {
        // SAFETY: registers a handler that only stores to two atomics, which is async-signal-safe.
        #[cfg(unix)]
        unsafe {
            libc::pthread_atfork(None, None, Some(forget_in_child));
        }
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
        .thread_name(IO_THREAD)
        .enable_all()
        .build();
    match built {
        Ok(rt) => {
            let ptr = Box::into_raw(Box::new(rt));
            RUNTIME.store(ptr, Ordering::Release);
            // SAFETY: just made from a box that is never freed.
            Ok(unsafe { &*ptr })
        }
        Err(e) => {
            BUILDING.store(false, Ordering::Release);
            Err(Error::Other(format!("cannot start the I/O runtime: {e}")))
        }
    }
}

/// Runs in a forked child before `fork()` returns there: the parent's runtime (whose threads the child lacks) is
/// left behind, and the next call builds a new one.
#[cfg(unix)]
extern "C" fn forget_in_child() {
    RUNTIME.store(std::ptr::null_mut(), Ordering::Release);
    BUILDING.store(false, Ordering::Release);
    INHERITED.store(true, Ordering::Release);
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

    #[cfg(unix)]
    #[test]
    fn a_forked_child_builds_its_own_runtime() {
        assert_eq!(block_on(async { Ok(1) }).unwrap(), 1);
        // SAFETY: the child only runs lakefeed's own blocking call and then `_exit`s, never returning to the
        // test harness.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = block_on(async {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                Ok(7)
            });
            let code = if matches!(ok, Ok(7)) && inherited_by_fork() {
                0
            } else {
                1
            };
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status}"
        );
    }
}
