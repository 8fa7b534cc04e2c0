//! Ingesting a stream of Arrow batches pushed from JavaScript (a custom format's `normalize()`): the pipeline
//! runs on a blocking thread and pulls batches from a bounded channel, so a fast producer waits for the writer
//! and memory stays bounded; thumbnails, keys and the rest work as for any format.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use lakefeed::{Client, IngestData, IngestOptions};
use lakefeed_core::{Batches, Format, IngestContext};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::{bad_input, off_loop, to_js};

type Item = lakefeed::Result<RecordBatch>;

/// The batches JavaScript pushes, as a format.
struct Pushed {
    rx: Receiver<Item>,
}

impl Format for Pushed {
    fn normalize(self: Box<Self>, _ctx: &IngestContext) -> lakefeed::Result<Batches> {
        Ok(Box::new(self.rx.into_iter()))
    }
}

/// An ingest running in the background: fed batch by batch from JavaScript (a custom format), or reading its own
/// source; `written()` reports progress while it runs.
#[napi]
pub struct NativeIngest {
    tx: Arc<Mutex<Option<SyncSender<Item>>>>,
    run: Arc<Mutex<Option<napi::tokio::task::JoinHandle<lakefeed::Result<String>>>>>,
    written: Arc<AtomicU64>,
}

impl NativeIngest {
    /// Starts ingesting `data` into `table` with `opts`, in the background.
    pub(crate) fn start(
        client: Client,
        table: String,
        data: IngestData,
        opts: IngestOptions,
    ) -> Self {
        Self::spawn(client, table, data, opts, None)
    }

    /// Starts ingesting into `table` with `opts`; batches come from [`NativeIngest::push`].
    pub(crate) fn pushed(client: Client, table: String, opts: IngestOptions) -> Self {
        let (tx, rx) = sync_channel(2);
        let data = IngestData::Built(Box::new(Pushed { rx }));
        Self::spawn(client, table, data, opts, Some(tx))
    }

    fn spawn(
        client: Client,
        table: String,
        data: IngestData,
        mut opts: IngestOptions,
        tx: Option<SyncSender<Item>>,
    ) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let seen = written.clone();
        opts.on_progress = Some(Arc::new(move |n, _| seen.store(n, Ordering::Relaxed)));
        let run = napi::bindgen_prelude::spawn_blocking(move || {
            let r = client.ingest(&table, data, &opts)?;
            serde_json::to_string(&r).map_err(|e| lakefeed::Error::Other(e.to_string()))
        });
        Self {
            tx: Arc::new(Mutex::new(tx)),
            run: Arc::new(Mutex::new(Some(run))),
            written,
        }
    }

    fn sender(&self) -> Option<SyncSender<Item>> {
        self.tx.lock().ok().and_then(|g| g.clone())
    }
}

#[napi]
impl NativeIngest {
    /// Adds the batches of an Arrow IPC stream; resolves when the pipeline has room for them.
    #[napi(catch_unwind)]
    pub async fn push(&self, ipc: Buffer) -> napi::Result<()> {
        let Some(tx) = self.sender() else {
            return Err(bad_input("the ingest has finished"));
        };
        let bytes = ipc.to_vec();
        off_loop(move || {
            let reader =
                arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)?;
            for batch in reader {
                // The pipeline stopped (an error it reports at `finish`): nothing more to send.
                if tx.send(batch.map_err(lakefeed::Error::from)).is_err() {
                    break;
                }
            }
            Ok(())
        })
        .await
    }

    /// Ends the stream with an error (the source threw): the ingest fails with `message` at `finish`.
    #[napi(catch_unwind)]
    pub async fn abort(&self, message: String) -> napi::Result<()> {
        let Some(tx) = self.tx.lock().ok().and_then(|mut g| g.take()) else {
            return Ok(());
        };
        off_loop(move || {
            let _ = tx.send(Err(lakefeed::Error::Ingest(message)));
            Ok(())
        })
        .await
    }

    /// Ends the stream and resolves to the ingest's result as JSON.
    #[napi(catch_unwind)]
    pub async fn finish(&self) -> napi::Result<String> {
        if let Ok(mut g) = self.tx.lock() {
            g.take();
        }
        let run = self.run.lock().ok().and_then(|mut g| g.take());
        let Some(run) = run else {
            return Err(bad_input("the ingest was already finished"));
        };
        run.await
            .map_err(|e| bad_input(format!("the ingest task failed: {e}")))?
            .map_err(to_js)
    }

    /// Rows committed so far.
    #[napi(catch_unwind)]
    pub fn written(&self) -> f64 {
        self.written.load(Ordering::Relaxed) as f64
    }
}
